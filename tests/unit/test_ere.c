/*
 * The ERE matcher: what it matches, what it refuses and why, its limits,
 * and, on many random expressions and lines, the same answers as glibc's
 * regexec (the syntax both share, in the C locale).
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "config/ere.h"
#include "tap.h"

/* 1 or 0 for a match, -1 if the pattern does not compile. */
static int
match_n(const char *pattern, const char *s, size_t len)
{
	struct ecg_ere *re;
	char why[256];
	int m;

	if (ecg_ere_compile(pattern, &re, why, sizeof(why)) < 0)
		return -1;
	m = ecg_ere_match(re, s, len);
	ecg_ere_free(re);
	return m;
}

static int
match(const char *pattern, const char *s)
{
	return match_n(pattern, s, strlen(s));
}

/* The error compiling pattern, and its reason in why. */
static int
refused(const char *pattern, char *why, size_t len)
{
	struct ecg_ere *re = NULL;
	int rc = ecg_ere_compile(pattern, &re, why, len);

	ecg_ere_free(re);
	return rc;
}

static void
test_matches(void)
{
	static const struct {
		const char *re, *line;
		int want;
	} t[] = {
		{ "^listening on", "listening on :80", 1 },
		{ "^listening on", "now listening on :80", 0 },
		{ "accepting conn(ections)?$", "ready: accepting connections", 1 },
		{ "accepting conn(ections)?$", "accepting conn", 1 },
		{ "accepting conn(ections)?$", "accepting connections now", 0 },
		{ "port [0-9]+$", "port 6379", 1 },
		{ "port [0-9]+$", "port x", 0 },
		{ "a{2,3}b", "xaab", 1 },
		{ "^a{2,3}b", "ab", 0 },
		{ "^a{2,3}b", "aaaab", 0 },
		{ "^a{,2}b", "b", 1 },
		{ "^(ab|cd){2}$", "abcd", 1 },
		{ "^(ab|cd){2}$", "abc", 0 },
		{ "^a{0}$", "", 1 },
		{ "^(a|b)*c", "ababc", 1 },
		{ "^(a*)*$", "aaaa", 1 },
		{ "^(a*)+b", "aaaa", 0 },
		{ "()", "", 1 },
		{ "", "anything", 1 },
		{ "a|", "b", 1 },
		{ "x)", "x)", 1 },
		{ "[]a]", "]", 1 },
		{ "[^]a]", "]", 0 },
		{ "[a-]", "-", 1 },
		{ "[[:digit:][:upper:]]", "Q", 1 },
		{ "[[:digit:][:upper:]]", "q", 0 },
		{ "[[.-.]]", "-", 1 },
		{ "[[=e=]]", "e", 1 },
		{ "[\\d]", "\\", 1 },
		{ "[\\d]", "7", 0 },
		{ "a\\.b", "a.b", 1 },
		{ "a\\.b", "axb", 0 },
		{ "\\{\\}", "{}", 1 },
		/* What glibc does not have: \d, and anchors repeated as they mean. */
		{ "^\\d+$", "2026", 1 },
		{ "^\\d+$", "d", 0 },
		{ "^\\D+$", "abc", 1 },
		{ "^\\w+\\s\\S$", "ab_9 x", 1 },
		{ "\\W", "ab_9", 0 },
		{ "\\bup\\b", "is up now", 1 },
		{ "\\bup\\b", "upward", 0 },
		{ "\\Bp", "up", 1 },
		{ "\\<up\\>", "(up)", 1 },
		{ "\\<up", "cup", 0 },
		{ "up\\>", "upper", 0 },
		{ "\\`up\\'", "up", 1 },
		{ "(^a|b$){3}", "bbb", 0 },
		{ "(^a|b$){2}", "ab", 1 },
		{ "x*^a", "a", 1 },
		{ "a$x*", "a", 1 },
		{ "a^b", "a^b", 0 },
		/* Bytes, not characters: whatever the line holds. */
		{ "caf\xc3\xa9", "un caf\xc3\xa9", 1 },
		{ "^[^a]$", "\xff", 1 },
		{ "^.$", "\x01", 1 },
		{ "[[:alpha:]]", "\xc3\xa9", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ok(match(t[i].re, t[i].line) == t[i].want, "/%s/ on '%s': %s", t[i].re, t[i].line,
		    t[i].want ? "matches" : "does not match");
	ok(match_n("a.b", "a\0b", 3) == 1 && match_n("^a$", "a\0", 2) == 0,
	    "a NUL byte in the line is a byte like any other");
	ok(match_n("^[^x]$", "\0", 1) == 1, "[^x] takes a NUL byte");
	ok(match_n("ready", "ready and more", 5) == 1 && match_n("ready", "ready", 4) == 0,
	    "only len bytes are looked at");
}

static void
test_refusals(void)
{
	static const struct {
		const char *re, *why;
	} t[] = {
		{ "(unclosed", "'(' is never closed by ')'" },
		{ "[a", "'[' is never closed by ']'" },
		{ "[[:alpha:", "'[:' is never closed by ':]'" },
		{ "*a", "'*' has nothing before it to repeat" },
		{ "a|+b", "'+' has nothing before it to repeat" },
		{ "(?i)x", "'?' has nothing before it to repeat" },
		{ "^*", "'*' has nothing before it to repeat" },
		{ "\\b{2}", "'{' has nothing before it to repeat" },
		{ "{\"ready\":true}", "'{' has nothing before it to repeat" },
		{ "a{", "'{' is never closed by '}'" },
		{ "a{x}", "'{' begins a count, as in {2} or {2,5}" },
		{ "a{}", "'{' begins a count" },
		{ "a{1,2,3}", "'{' begins a count" },
		{ "a{3,1}", "the count {3,1} runs backwards" },
		{ "a{32768}", "a count is at most 32767" },
		{ "a{99999999999999999999}", "a count is at most 32767" },
		{ "(a)\\1", "\\1: back-references are not supported" },
		{ "\\t", "\\t is not an escape ecg-run knows" },
		{ "\\0", "\\0 is not an escape ecg-run knows" },
		{ "a\\", "it ends in a backslash that escapes nothing" },
		{ "[[:word:]]", "[:word:] is not a class: use alpha, digit" },
		{ "[z-a]", "the range z-a runs backwards" },
		{ "[a-c-e]", "a range cannot begin where another ends" },
		{ "[[:alpha:]-z]", "a range cannot begin or end with a class" },
		{ "[a-[:alpha:]]", "a range cannot begin or end with a class" },
		{ "[[.ab.]]", "[. .] holds one character" },
		{ "[[=", "'[' is never closed by ']'" },
		{ "[[=a=", "'[' is never closed by ']'" },
		{ "[[.a", "'[' is never closed by ']'" },
		{ "[[=ab=]]", "[= =] holds one character" },
		{ "[[:alpha:]-", "'[' is never closed by ']'" },
		{ "[a-c-", "'[' is never closed by ']'" },
		{ "[\xe9-a]", "the range \\xe9-a runs backwards" },
	};
	char why[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = refused(t[i].re, why, sizeof(why));

		ok(rc == -EINVAL && strstr(why, t[i].why) != NULL, "/%s/ refused: %s", t[i].re, why);
	}
}

/* "((...(a)...))", depth groups deep. */
static const char *
nest(char *buf, int depth)
{
	for (int i = 0; i < depth; i++) {
		buf[i] = '(';
		buf[depth + 1 + i] = ')';
	}
	buf[depth] = 'a';
	buf[2 * depth + 1] = '\0';
	return buf;
}

/* "(a|(a|...(a|b)...))", depth groups deep. */
static const char *
nest_alt(char *buf, int depth)
{
	size_t at = 0;

	for (int i = 0; i < depth; i++) {
		memcpy(buf + at, "(a|", 3);
		at += 3;
	}
	buf[at++] = 'b';
	memset(buf + at, ')', (size_t)depth);
	buf[at + (size_t)depth] = '\0';
	return buf;
}

static void
test_limits(void)
{
	struct ecg_ere *re;
	char why[256], deep[512], stars[256];
	int rc;

	ok(ecg_ere_compile("a{1000}", &re, why, sizeof(why)) == 0 &&
	    ecg_ere_size(re) == ECG_ERE_MAX_SIZE, "a{1000} is the largest program");
	ecg_ere_free(re);
	ok(ecg_ere_compile("^(a|b)*x+$", &re, why, sizeof(why)) == 0 && ecg_ere_size(re) == 10,
	    "^(a|b)*x+$ is 10 parts: ^, split a jump b, split jump, x split, $");
	ecg_ere_free(re);
	rc = refused("a{1001}", why, sizeof(why));
	ok(rc == -E2BIG && strstr(why, "the expression is too large") != NULL &&
	    strstr(why, "1000 parts") != NULL, "one more is too large: %s", why);
	ok(refused("(a{300}){300}", why, sizeof(why)) == -E2BIG, "counts of counts multiply");
	ok(refused("((((a{99}){99}){99}){99}){99}", why, sizeof(why)) == -E2BIG,
	    "and stop being written at the limit, not at 99^5");
	ok(refused("((a*)*){3000}", why, sizeof(why)) == -E2BIG, "a count of stars is counted");
	ok(match("^((){32767}){32767}(((a{0}){32767}){32767}){32767}x$", "x") == 1,
	    "counts of what writes nothing cost nothing, however they nest");
	ok(match("^a++++++++++++++++++++++++++++++++++++++++$", "aaa") == 1,
	    "stacked + cost one instruction each, not a copy");
	ok(match("^(a?){400}b", "aaab") == 1, "400 optional parts still compile and match");
	ok(refused("(.?){2400}b", why, sizeof(why)) == -E2BIG,
	    "(.?){2400}b, 63 ms a 4 KiB line, is refused");

	ok(match(nest(deep, ECG_ERE_MAX_DEPTH), "a") == 1, "groups %d deep", ECG_ERE_MAX_DEPTH);
	rc = refused(nest(deep, ECG_ERE_MAX_DEPTH + 1), why, sizeof(why));
	ok(rc == -EINVAL && strstr(why, "groups are nested more than 100 deep") != NULL,
	    "one deeper: %s", why);

	memset(stars, 0, sizeof(stars));
	stars[0] = 'a';
	memset(stars + 1, '*', ECG_ERE_MAX_DEPTH);
	ok(match(stars, "aa") == 1, "a and %d stars", ECG_ERE_MAX_DEPTH);
	stars[ECG_ERE_MAX_DEPTH + 1] = '*';
	ok(refused(stars, why, sizeof(why)) == -EINVAL &&
	    strstr(why, "repetitions are nested more than 100 deep") != NULL,
	    "one star more nests too deep: %s", why);
	ok(match(nest_alt(deep, 60), "b") == 1, "60 groups of alternatives, no repetition");
}

/*
 * Random expressions over pieces both syntaxes read the same, matched
 * against random lines by both.  Left out: \d (glibc reads a 'd'),
 * back-references (refused here), and anchors and word boundaries inside a
 * repeated group, where glibc answers wrongly ("(^a|b$){3}" matches "bbb"
 * there).  The random pieces hold no group with an assertion in it.
 */
static unsigned long long seed = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)(seed % n);
}

static void
test_like_glibc(void)
{
	static const char *const piece[] = {
		"a", "b", "c", "a", "b", ".", "(", ")", "|", "*", "+", "?", "{1}", "{0,2}",
		"{2,}", "{,1}", "{0}", "{1,3}", "{3}", "[ab]", "[^a]", "[a-c]", "[]a]",
		"[[:alpha:]]", "[[:space:]_]", "[[:punct:]]", "[^[:alnum:]]", "[a-]", "[-a]",
		"[^]]", "[[.a.]]", "[[=b=]]", "[[.-.]-a]", "^", "$", "\\.", "\\*", "\\{", "\\]",
		"\\|", "\\(", "\\b", "\\<", "\\>", "\\B", "\\w", "\\W", "\\s", "\\S", "\\`",
		"\\'", " ", "-", "{", "}", "[", "]", "(a|b)", "()", "a{1,2}b",
	};
	static const char bytes[] = "abc _-.[]{}";
	int compiled = 0, tried = 0, differ = 0, refuse_differ = 0;

	for (int t = 0; t < 20000; t++) {
		char pattern[256] = "", why[256], line[16];
		int k = 1 + (int)rnd(12), mine, theirs;
		struct ecg_ere *re;
		regex_t g;

		for (int i = 0; i < k; i++)
			strcat(pattern, piece[rnd(sizeof(piece) / sizeof(piece[0]))]);
		theirs = regcomp(&g, pattern, REG_EXTENDED | REG_NOSUB) == 0;
		mine = ecg_ere_compile(pattern, &re, why, sizeof(why)) == 0;
		if (mine != theirs) {
			if (refuse_differ++ < 5)
				printf("# /%s/: glibc %s it, ecg-run %s it (%s)\n", pattern,
				    theirs ? "compiles" : "refuses", mine ? "compiles" : "refuses", why);
		} else if (mine) {
			compiled++;
			for (int j = 0; j < 12; j++) {
				size_t len = rnd(9);

				for (size_t i = 0; i < len; i++)
					line[i] = bytes[rnd(sizeof(bytes) - 1)];
				line[len] = '\0';
				tried++;
				if ((regexec(&g, line, 0, NULL, 0) == 0) != ecg_ere_match(re, line, len) &&
				    differ++ < 5)
					printf("# /%s/ on '%s': glibc and ecg-run differ\n", pattern, line);
			}
		}
		if (theirs)
			regfree(&g);
		ecg_ere_free(re);
	}
	ok(refuse_differ == 0, "20000 random expressions: glibc and ecg-run refuse the same ones "
	    "(%d differ)", refuse_differ);
	ok(compiled > 8000, "of them %d compile", compiled);
	ok(differ == 0, "%d random lines: the same answer as glibc's regexec (%d differ)", tried,
	    differ);
}

int
main(void)
{
	test_matches();
	test_refusals();
	test_limits();
	test_like_glibc();
	return tap_done();
}
