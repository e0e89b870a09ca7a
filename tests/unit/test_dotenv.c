/*
 * dotenv: the lines of an env_file, read as people write them (export,
 * quotes, comments), and the expansion of ${NAME} in values.
 */
#include <string.h>

#include "base/buf.h"
#include "config/dotenv.h"
#include "config/value.h"
#include "tap.h"

static struct ecg_buf got = ECG_BUF_INIT;

/* Each variable as "NAME=VALUE|e" (e: expand) or "|l" (literal), one a line. */
static int
collect(void *arg, const char *name, size_t len, const char *value, int expand, unsigned line)
{
	(void)arg;
	(void)line;
	ecg_buf_printf(&got, "%.*s=%s|%c\n", (int)len, name, value, expand ? 'e' : 'l');
	return 0;
}

static int
parses(const char *text, const char *want)
{
	unsigned line;
	const char *why;

	ecg_buf_reset(&got);
	if (ecg_dotenv_parse(text, strlen(text), collect, NULL, &line, &why) < 0) {
		printf("# line %u: %s\n", line, why);
		return 0;
	}
	if (strcmp(ecg_buf_str(&got), want) != 0) {
		printf("# got:\n%s", ecg_buf_str(&got));
		return 0;
	}
	return 1;
}

static int
refused(const char *text, unsigned want_line, const char *what)
{
	unsigned line;
	const char *why;

	ecg_buf_reset(&got);
	return ecg_dotenv_parse(text, strlen(text), collect, NULL, &line, &why) < 0 &&
	    line == want_line && strstr(why, what) != NULL;
}

static const char *
vars(void *arg, const char *name, size_t len)
{
	(void)arg;
	if (len == 4 && strncmp(name, "PORT", 4) == 0)
		return "8080";
	if (len == 5 && strncmp(name, "EMPTY", 5) == 0)
		return "";
	return NULL;
}

static const char *
expanded(const char *s)
{
	static struct ecg_buf out = ECG_BUF_INIT;
	const char *unset;
	size_t len;

	ecg_buf_reset(&out);
	if (ecg_value_expand(s, vars, NULL, &out, &unset, &len) < 0) {
		ecg_buf_reset(&out);
		ecg_buf_printf(&out, "UNSET:%.*s", (int)len, unset != NULL ? unset : "");
	}
	return ecg_buf_str(&out);
}

int
main(void)
{
	ok(parses("A=1\nexport B=two\n", "A=1|e\nB=two|e\n"), "NAME=VALUE, and export");
	ok(parses("# c\n\n  \nA = spaced value  \n", "A=spaced value|e\n"),
	    "comments, blank lines, blanks around a value dropped");
	ok(parses("A=x # note\nB=x#not\n", "A=x|e\nB=x#not|e\n"),
	    "a # after a blank begins a comment; one inside a word does not");
	ok(parses("A='$HOME \\n # x'\n", "A=$HOME \\n # x|l\n"),
	    "single quotes: as it is, not expanded");
	ok(parses("A=\"a \\\"q\\\" \\\\ \\n \\$ $B\"\n", "A=a \"q\" \\ \n $$ $B|e\n"),
	    "double quotes: escapes, \\$ kept for the expansion as $$");
	ok(parses("A=\"x\" # c\nB=\r\n", "A=x|e\nB=|e\n"), "a comment after quotes; CRLF lines");
	ok(parses("A=1", "A=1|e\n"), "a last line without a newline");
	ok(refused("A=1\n1A=2\n", 2, "NAME=VALUE"), "a name starting with a digit");
	ok(refused("A\n", 1, "no '='"), "a line without =");
	ok(refused("A='x\n", 1, "single quotes"), "an open single quote");
	ok(refused("A=\"x\n", 1, "double quotes"), "an open double quote");
	ok(refused("A=\"x\" y\n", 1, "after the closing quote"), "words after the quotes");
	ok(refused("A=$(rm -rf /)x", 0, "") == 0 && parses("A=$(rm -rf /)x", "A=$(rm -rf /)x|e\n"),
	    "no command substitution: $( is text");

	ok(strcmp(expanded("127.0.0.1:${PORT}"), "127.0.0.1:8080") == 0, "${NAME}");
	ok(strcmp(expanded("$PORT/x"), "8080/x") == 0, "$NAME");
	ok(strcmp(expanded("${NOPE:-9000}"), "9000") == 0, "${NAME:-default}, unset");
	ok(strcmp(expanded("${EMPTY:-d}"), "d") == 0, "${NAME:-default}, empty");
	ok(strcmp(expanded("${PORT:-d}"), "8080") == 0, "${NAME:-default}, set");
	ok(strcmp(expanded("a$$b $5 x$ $-"), "a$b $5 x$ $-") == 0,
	    "$$ is a $; a $ before anything else is itself");
	ok(strcmp(expanded("${NOPE}"), "UNSET:NOPE") == 0 &&
	    strcmp(expanded("$NOPE"), "UNSET:NOPE") == 0, "an unset name is said");
	ok(strcmp(expanded("${PORT"), "UNSET:") == 0 && strcmp(expanded("${}"), "UNSET:") == 0,
	    "a ${ without its } or its name");
	ecg_buf_free(&got);
	return tap_done();
}
