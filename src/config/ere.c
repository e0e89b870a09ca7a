/*
 * ere: a pattern is parsed into a tree, the tree is compiled to a program
 * of instructions (Thompson's construction: a byte or a byte set to
 * consume, a split into two paths, a jump, an assertion, the match), and a
 * line is matched by running every path at once, one byte at a time, with
 * each instruction in the set of live paths at most once.  So a match
 * costs at most the line's length times the program's size, and
 * compiling costs the program's size, which has a limit: a repetition
 * spells its operand out ("x{3}" is "xxx"), and the limit is checked as
 * each instruction is written, so stacking counts stops early instead of
 * growing without bound.
 *
 * Only "does some part of the line match" is asked, so no path needs to
 * remember where it started or what its groups held, and the order in
 * which paths are tried does not matter.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ere.h"

/* Instructions. */
enum op {
	OP_BYTE,	/* consume the byte arg */
	OP_SET,		/* consume a byte of sets[x] */
	OP_SPLIT,	/* go on at x and at y */
	OP_JMP,		/* go on at x */
	OP_ASSERT,	/* go on at the next one if assertion arg holds here */
	OP_MATCH,
};

/* Assertions about the position between two bytes. */
enum assertion {
	AS_BEGIN,	/* ^ and \`: the start of the line */
	AS_END,		/* $ and \': its end */
	AS_WORD,	/* \b: a word begins or ends */
	AS_NOTWORD,	/* \B: neither */
	AS_WORD_BEGIN,	/* \< */
	AS_WORD_END,	/* \> */
};

struct insn {
	unsigned char op;
	unsigned char arg;	/* OP_BYTE's byte, OP_ASSERT's assertion */
	int x, y;
};

struct byteset {
	uint32_t w[8];
};

/* What a match works in: two lists of paths, a stack, and marks. */
struct scratch {
	int *now, *next;	/* the OP_BYTE and OP_SET paths alive */
	int *stack;		/* instructions left to follow at one position */
	unsigned *mark;		/* mark[pc] == gen: pc is taken at this position */
	unsigned gen;
};

struct ecg_ere {
	struct insn *prog;
	size_t n;
	struct byteset *sets;
	int anchored;		/* every path starts with ^ */
	int skip;		/* a match consumes a byte of first, first of all */
	int first_byte;		/* the only byte of first, or -1 */
	struct byteset first;
	struct scratch *s;	/* mutable, though the expression is not */
};

/* Where follow takes every assertion as true (for the first bytes). */
#define ANY_POSITION ((size_t)-1)

/* The tree. */
enum kind { N_EMPTY, N_BYTE, N_SET, N_ASSERT, N_CAT, N_ALT, N_REP };

struct node {
	unsigned char kind;
	unsigned char arg;	/* N_BYTE's byte, N_ASSERT's assertion */
	unsigned char empty;	/* it writes no instruction (it matches only "") */
	unsigned short depth;	/* repetitions on the longest path down from here */
	int a;			/* N_SET: the set; N_CAT, N_ALT: first kid; N_REP: the operand */
	int count;		/* N_CAT, N_ALT: kids */
	int min, max;		/* N_REP: max -1 is no limit */
};

struct parser {
	const unsigned char *p;
	int groups;		/* open groups at p */
	struct node *nodes;
	size_t nn, capn;
	int *kids;		/* N_CAT and N_ALT kids, each node's in a row */
	size_t nk, capk;
	int *pending;		/* the kids of the lists being parsed */
	size_t np, capp;
	struct byteset *sets;
	size_t ns, caps;
	int err;
	char *why;
	size_t whylen;
};

static int
grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *m;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	m = realloc(*v, n * size);
	if (m == NULL)
		return -1;
	*v = m;
	*cap = n;
	return 0;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *P, const char *fmt, ...)
{
	va_list ap;

	if (P->err == 0) {
		P->err = -EINVAL;
		va_start(ap, fmt);
		vsnprintf(P->why, P->whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
no_memory(struct parser *P)
{
	if (P->err == 0) {
		P->err = -ENOMEM;
		snprintf(P->why, P->whylen, "out of memory");
	}
	return -1;
}

static int
new_node(struct parser *P, int kind, int depth)
{
	struct node *n;

	if (depth > ECG_ERE_MAX_DEPTH)
		return fail(P, "repetitions are nested more than %d deep", ECG_ERE_MAX_DEPTH);
	if (grow((void **)&P->nodes, &P->capn, P->nn + 1, sizeof(*P->nodes)) < 0)
		return no_memory(P);
	n = &P->nodes[P->nn];
	memset(n, 0, sizeof(*n));
	n->kind = (unsigned char)kind;
	n->depth = (unsigned short)depth;
	return (int)P->nn++;
}

static int
leaf(struct parser *P, int kind, int arg)
{
	int n = new_node(P, kind, 0);

	if (n >= 0) {
		P->nodes[n].arg = (unsigned char)arg;
		P->nodes[n].empty = kind == N_EMPTY;
	}
	return n;
}

/* A new empty set, and a node that consumes a byte of it. */
static int
set_node(struct parser *P, struct byteset **set)
{
	int n;

	if (grow((void **)&P->sets, &P->caps, P->ns + 1, sizeof(*P->sets)) < 0)
		return no_memory(P);
	if ((n = new_node(P, N_SET, 0)) < 0)
		return -1;
	P->nodes[n].a = (int)P->ns;
	*set = &P->sets[P->ns++];
	memset(*set, 0, sizeof(**set));
	return n;
}

static void
set_add(struct byteset *s, int lo, int hi)
{
	for (int c = lo; c <= hi; c++)
		s->w[c >> 5] |= UINT32_C(1) << (c & 31);
}

static int
set_has(const struct byteset *s, unsigned char c)
{
	return (int)((s->w[c >> 5] >> (c & 31)) & 1U);
}

static void
set_invert(struct byteset *s)
{
	for (int i = 0; i < 8; i++)
		s->w[i] = ~s->w[i];
}

/* The bytes of each class are those of the C locale, whatever the locale. */
static int
in_class(const char *name, size_t len, int c)
{
	int upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
	int digit = c >= '0' && c <= '9', graph = c > ' ' && c < 127;

#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
	if (IS("alpha"))
		return upper || lower;
	if (IS("digit"))
		return digit;
	if (IS("alnum"))
		return upper || lower || digit;
	if (IS("upper"))
		return upper;
	if (IS("lower"))
		return lower;
	if (IS("space"))
		return c == ' ' || (c >= '\t' && c <= '\r');
	if (IS("blank"))
		return c == ' ' || c == '\t';
	if (IS("punct"))
		return graph && !upper && !lower && !digit;
	if (IS("print"))
		return graph || c == ' ';
	if (IS("graph"))
		return graph;
	if (IS("cntrl"))
		return c < ' ' || c == 127;
	if (IS("xdigit"))
		return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
#undef IS
	return -1;
}

static int
set_class(struct byteset *s, const char *name, size_t len)
{
	if (in_class(name, len, 'a') < 0)
		return -1;
	for (int c = 0; c < 256; c++)
		if (in_class(name, len, c))
			set_add(s, c, c);
	return 0;
}

/* The N_CAT or N_ALT of the kids pending from base on (one kid is itself). */
static int
list_node(struct parser *P, int kind, size_t base)
{
	size_t count = P->np - base;
	int depth = 0, empty = kind == N_CAT, n;

	if (count == 0)
		return leaf(P, N_EMPTY, 0);
	if (count == 1) {
		P->np = base;
		return P->pending[base];
	}
	for (size_t i = base; i < P->np; i++) {
		if (P->nodes[P->pending[i]].depth > depth)
			depth = P->nodes[P->pending[i]].depth;
		empty &= P->nodes[P->pending[i]].empty;
	}
	if ((n = new_node(P, kind, depth)) < 0)
		return -1;
	P->nodes[n].empty = (unsigned char)empty;
	if (grow((void **)&P->kids, &P->capk, P->nk + count, sizeof(*P->kids)) < 0)
		return no_memory(P);
	memcpy(P->kids + P->nk, P->pending + base, count * sizeof(*P->kids));
	P->nodes[n].a = (int)P->nk;
	P->nodes[n].count = (int)count;
	P->nk += count;
	P->np = base;
	return n;
}

static int
push_pending(struct parser *P, int n)
{
	if (grow((void **)&P->pending, &P->capp, P->np + 1, sizeof(*P->pending)) < 0)
		return no_memory(P);
	P->pending[P->np++] = n;
	return 0;
}

static int parse_alt(struct parser *P);

static int
nothing_to_repeat(struct parser *P, int c)
{
	return fail(P, "'%c' has nothing before it to repeat%s", c,
	    c == '{' ? " (\\{ is a brace)" : "");
}

/* A byte for a message: itself if printable ASCII, else \xNN. */
static const char *
shown(int c, char buf[8])
{
	if (c > ' ' && c < 127)
		snprintf(buf, 8, "%c", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned)c & 0xffU);
	return buf;
}

/* One character of a bracket: c, or [.c.] or [=c=] (single characters in the C locale). */
static int
bracket_char(struct parser *P)
{
	const unsigned char *p = P->p;

	if (p[0] == '[' && p[1] == ':')
		return fail(P, "a range cannot begin or end with a class like [:alpha:]");
	if (p[0] == '[' && (p[1] == '.' || p[1] == '=')) {
		if (p[2] == '\0' || p[3] == '\0' || p[4] == '\0')
			return fail(P, "'[' is never closed by ']'");
		if (p[3] != p[1] || p[4] != ']')
			return fail(P, "[%c %c] holds one character, as in [%ca%c]", p[1], p[1],
			    p[1], p[1]);
		P->p += 5;
		return p[2];
	}
	P->p++;
	return p[0];
}

/*
 * [...]: a ']' first is one of the characters, a '-' first or last too,
 * and a backslash is itself (POSIX).
 */
static int
parse_bracket(struct parser *P)
{
	struct byteset *set;
	int n, lo, hi, negate = 0;
	char a[8], b[8];

	if ((n = set_node(P, &set)) < 0)
		return -1;
	P->p++;
	if (*P->p == '^') {
		negate = 1;
		P->p++;
	}
	for (int first = 1;; first = 0) {
		if (*P->p == '\0')
			return fail(P, "'[' is never closed by ']'");
		if (*P->p == ']' && !first) {
			P->p++;
			break;
		}
		if (P->p[0] == '[' && P->p[1] == ':') {
			const char *name = (const char *)P->p + 2, *end = strstr(name, ":]");

			if (end == NULL)
				return fail(P, "'[:' is never closed by ':]'");
			if (set_class(&P->sets[P->nodes[n].a], name, (size_t)(end - name)) < 0)
				return fail(P, "[:%.*s:] is not a class: use alpha, digit, alnum, "
				    "upper, lower, space, blank, punct, print, graph, cntrl or xdigit",
				    (int)(end - name), name);
			P->p = (const unsigned char *)end + 2;
			if (P->p[0] == '-' && P->p[1] != ']' && P->p[1] != '\0')
				return fail(P, "a range cannot begin or end with a class like [:alpha:]");
			continue;
		}
		if ((lo = bracket_char(P)) < 0)
			return -1;
		hi = lo;
		if (P->p[0] == '-' && P->p[1] != ']' && P->p[1] != '\0') {
			P->p++;
			if ((hi = bracket_char(P)) < 0)
				return -1;
			if (hi < lo)
				return fail(P, "the range %s-%s runs backwards", shown(lo, a),
				    shown(hi, b));
			if (P->p[0] == '-' && P->p[1] != ']' && P->p[1] != '\0')
				return fail(P, "a range cannot begin where another ends, as in a-c-e");
		}
		set_add(&P->sets[P->nodes[n].a], lo, hi);
	}
	if (negate)
		set_invert(&P->sets[P->nodes[n].a]);
	return n;
}

/* \d \w \s and their opposites; the word boundaries; an escaped character. */
static int
parse_escape(struct parser *P, int *repeatable)
{
	static const char classes[] = "dDwWsS", asserts[] = "bB<>`'";
	static const unsigned char assertion[] = { AS_WORD, AS_NOTWORD, AS_WORD_BEGIN,
		AS_WORD_END, AS_BEGIN, AS_END };
	unsigned char c = P->p[1];
	const char *at;
	struct byteset *set;
	int n;

	if (c == '\0')
		return fail(P, "it ends in a backslash that escapes nothing");
	P->p += 2;
	if (strchr(classes, c) != NULL) {
		int upper = c < 'a';

		if ((n = set_node(P, &set)) < 0)
			return -1;
		set = &P->sets[P->nodes[n].a];
		if (c == 'd' || c == 'D')
			set_class(set, "digit", 5);
		else if (c == 's' || c == 'S')
			set_class(set, "space", 5);
		else {
			set_class(set, "alnum", 5);
			set_add(set, '_', '_');
		}
		if (upper)
			set_invert(set);
		return n;
	}
	if ((at = strchr(asserts, c)) != NULL) {
		*repeatable = 0;
		return leaf(P, N_ASSERT, assertion[at - asserts]);
	}
	if (c >= '1' && c <= '9')
		return fail(P, "\\%c: back-references are not supported", c);
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return fail(P, "\\%c is not an escape ecg-run knows (\\d \\w \\s \\D \\W \\S "
		    "\\b \\B \\< \\> are; write the character itself)", c);
	return leaf(P, N_BYTE, c);
}

static int
parse_atom(struct parser *P, int *repeatable)
{
	unsigned char c = *P->p;
	struct byteset *set;
	int n;

	*repeatable = 1;
	switch (c) {
	case '(':
		if (P->groups >= ECG_ERE_MAX_DEPTH)
			return fail(P, "groups are nested more than %d deep", ECG_ERE_MAX_DEPTH);
		P->p++;
		P->groups++;
		n = parse_alt(P);
		P->groups--;
		if (n < 0)
			return -1;
		if (*P->p != ')')
			return fail(P, "'(' is never closed by ')'");
		P->p++;
		return n;
	case '*':
	case '+':
	case '?':
	case '{':
		return nothing_to_repeat(P, c);
	case '.':
		if ((n = set_node(P, &set)) >= 0)
			set_add(set, 0, 255);
		P->p++;
		return n;
	case '^':
	case '$':
		*repeatable = 0;
		P->p++;
		return leaf(P, N_ASSERT, c == '^' ? AS_BEGIN : AS_END);
	case '[':
		return parse_bracket(P);
	case '\\':
		return parse_escape(P, repeatable);
	default:
		P->p++;
		return leaf(P, N_BYTE, c);
	}
}

/* A count's number; -1 if there is none. */
static long
number(struct parser *P)
{
	long v = -1;

	while (*P->p >= '0' && *P->p <= '9') {
		v = (v < 0 ? 0 : v) * 10 + (*P->p - '0');
		if (v > 1000000)
			v = 1000000;
		P->p++;
	}
	return v;
}

/* {n}, {n,}, {n,m}, {,m} (from 0); 32767 at most, as in glibc. */
static int
parse_count(struct parser *P, int *min, int *max)
{
	long lo, hi;

	P->p++;
	lo = number(P);
	hi = lo;
	if (*P->p == ',') {
		P->p++;
		hi = number(P);
		if (lo < 0)
			lo = 0;
	}
	if (*P->p != '}' || lo < 0) {
		if (*P->p == '\0')
			return fail(P, "'{' is never closed by '}'");
		return fail(P, "'{' begins a count, as in {2} or {2,5} (\\{ is a brace)");
	}
	P->p++;
	if (lo > 32767 || hi > 32767)
		return fail(P, "a count is at most 32767");
	if (hi >= 0 && hi < lo)
		return fail(P, "the count {%ld,%ld} runs backwards", lo, hi);
	*min = (int)lo;
	*max = (int)hi;
	return 0;
}

static int
parse_piece(struct parser *P)
{
	int repeatable, n, r, min = 0, max = -1;
	unsigned char q;

	if ((n = parse_atom(P, &repeatable)) < 0)
		return -1;
	while ((q = *P->p) == '*' || q == '+' || q == '?' || q == '{') {
		if (!repeatable)
			return nothing_to_repeat(P, q);
		if (q == '{') {
			if (parse_count(P, &min, &max) < 0)
				return -1;
		} else {
			min = q == '+';
			max = q == '?' ? 1 : -1;
			P->p++;
		}
		if ((r = new_node(P, N_REP, P->nodes[n].depth + 1)) < 0)
			return -1;
		P->nodes[r].empty = max == 0 || P->nodes[n].empty;
		P->nodes[r].a = n;
		P->nodes[r].min = min;
		P->nodes[r].max = max;
		n = r;
	}
	return n;
}

static int
parse_cat(struct parser *P)
{
	size_t base = P->np;
	int n;

	/* A ')' with no group open is itself, as in glibc. */
	while (*P->p != '\0' && *P->p != '|' && !(*P->p == ')' && P->groups > 0)) {
		if ((n = parse_piece(P)) < 0 || push_pending(P, n) < 0)
			return -1;
	}
	return list_node(P, N_CAT, base);
}

static int
parse_alt(struct parser *P)
{
	size_t base = P->np;
	int n;

	for (;;) {
		if ((n = parse_cat(P)) < 0 || push_pending(P, n) < 0)
			return -1;
		if (*P->p != '|')
			break;
		P->p++;
	}
	return list_node(P, N_ALT, base);
}

/* Writing the program. */
struct writer {
	const struct parser *P;
	struct insn *prog;
	size_t n, cap;
	int err;
};

static int
put(struct writer *W, int op, int arg, int x, int y)
{
	if (W->n >= ECG_ERE_MAX_SIZE + (op == OP_MATCH)) {
		W->err = -E2BIG;
		return -1;
	}
	if (grow((void **)&W->prog, &W->cap, W->n + 1, sizeof(*W->prog)) < 0) {
		W->err = -ENOMEM;
		return -1;
	}
	W->prog[W->n] = (struct insn){ (unsigned char)op, (unsigned char)arg, x, y };
	return (int)W->n++;
}

/* Points every jump of a chain linked through x (or y) at the next instruction. */
static void
patch(struct writer *W, int chain, int through_y)
{
	while (chain >= 0) {
		int *f = through_y ? &W->prog[chain].y : &W->prog[chain].x;

		chain = *f;
		*f = (int)W->n;
	}
}

static int
write_node(struct writer *W, int id)
{
	const struct node *n = &W->P->nodes[id];
	int pc, chain = -1;

	switch (n->kind) {
	case N_EMPTY:
		return 0;
	case N_BYTE:
		return put(W, OP_BYTE, n->arg, 0, 0) < 0 ? -1 : 0;
	case N_SET:
		return put(W, OP_SET, 0, n->a, 0) < 0 ? -1 : 0;
	case N_ASSERT:
		return put(W, OP_ASSERT, n->arg, 0, 0) < 0 ? -1 : 0;
	case N_CAT:
		for (int i = 0; i < n->count; i++)
			if (write_node(W, W->P->kids[n->a + i]) < 0)
				return -1;
		return 0;
	case N_ALT:
		/* split L1,next; L1: a; jmp end; next: split L2,next2; ...; last; end: */
		for (int i = 0; i < n->count; i++) {
			int last = i == n->count - 1, split = -1;

			if (!last && (split = put(W, OP_SPLIT, 0, (int)W->n + 1, 0)) < 0)
				return -1;
			if (write_node(W, W->P->kids[n->a + i]) < 0)
				return -1;
			if (!last) {
				if ((pc = put(W, OP_JMP, 0, chain, 0)) < 0)
					return -1;
				chain = pc;
				W->prog[split].y = (int)W->n;
			}
		}
		patch(W, chain, 0);
		return 0;
	case N_REP:
		/* Copies of nothing are nothing, however many: ((){9999}){9999}. */
		if (n->empty)
			return 0;
		break;
	default:
		return -1;
	}
	if (n->max < 0 && n->min == 0) {
		/* L: split body,end; body; jmp L; end: */
		if ((pc = put(W, OP_SPLIT, 0, (int)W->n + 1, 0)) < 0 || write_node(W, n->a) < 0 ||
		    put(W, OP_JMP, 0, pc, 0) < 0)
			return -1;
		W->prog[pc].y = (int)W->n;
		return 0;
	}
	for (int i = 0; i < n->min - (n->max < 0); i++)
		if (write_node(W, n->a) < 0)
			return -1;
	if (n->max < 0) {
		/* The last of min copies loops: L: body; split L,next. */
		pc = (int)W->n;
		if (write_node(W, n->a) < 0 || put(W, OP_SPLIT, 0, pc, (int)W->n + 1) < 0)
			return -1;
		return 0;
	}
	/* Each optional copy may be skipped, to the end of them all. */
	for (int i = n->min; i < n->max; i++) {
		if ((pc = put(W, OP_SPLIT, 0, (int)W->n + 1, chain)) < 0)
			return -1;
		chain = pc;
		if (write_node(W, n->a) < 0)
			return -1;
	}
	patch(W, chain, 1);
	return 0;
}

/* Whether every path of the tree at id begins with ^. */
static int
anchored(const struct parser *P, int id)
{
	const struct node *n = &P->nodes[id];

	switch (n->kind) {
	case N_ASSERT:
		return n->arg == AS_BEGIN;
	case N_CAT:
		return anchored(P, P->kids[n->a]);
	case N_ALT:
		for (int i = 0; i < n->count; i++)
			if (!anchored(P, P->kids[n->a + i]))
				return 0;
		return 1;
	default:
		return 0;
	}
}

void
ecg_ere_free(struct ecg_ere *re)
{
	if (re == NULL)
		return;
	free(re->s);
	free(re->prog);
	free(re->sets);
	free(re);
}

/*
 * The bytes a match can begin with: what the instructions reached from
 * the start consume, assertions taken as true.  When no path is alive, a
 * match can begin only at one of those bytes, and the search skips to the
 * next (with memchr if there is one byte).  Not if the start can reach
 * the match without consuming: then the first position decides.
 */
static int follow(const struct ecg_ere *re, int *list, size_t *nlist, int pc,
    const unsigned char *s, size_t len, size_t pos);

static void
first_bytes(struct ecg_ere *re)
{
	struct scratch *S = re->s;
	size_t n = 0;
	int count = 0;

	S->gen = 1;
	re->skip = !follow(re, S->now, &n, 0, NULL, 0, ANY_POSITION);
	for (size_t i = 0; i < n; i++) {
		const struct insn *in = &re->prog[S->now[i]];

		if (in->op == OP_BYTE)
			set_add(&re->first, in->arg, in->arg);
		else
			for (int w = 0; w < 8; w++)
				re->first.w[w] |= re->sets[in->x].w[w];
	}
	re->first_byte = -1;
	for (int c = 0; c < 256; c++)
		if (set_has(&re->first, (unsigned char)c) && count++ == 0)
			re->first_byte = c;
	if (count != 1)
		re->first_byte = -1;
}

static int
finish(struct ecg_ere *re)
{
	struct scratch *s;
	int *ints;

	/* One block: the scratch, then its three int arrays and the marks. */
	re->s = calloc(1, sizeof(*s) + re->n * (3 * sizeof(int) + sizeof(unsigned)));
	if (re->s == NULL)
		return -ENOMEM;
	s = re->s;
	ints = (int *)(s + 1);
	s->now = ints;
	s->next = ints + re->n;
	s->stack = ints + 2 * re->n;
	s->mark = (unsigned *)(ints + 3 * re->n);
	first_bytes(re);
	return 0;
}

/* The parser's memory; the program and sets too unless an ecg_ere took them. */
static void
parser_free(struct parser *P, struct writer *W)
{
	free(W->prog);
	free(P->sets);
	free(P->nodes);
	free(P->kids);
	free(P->pending);
}

int
ecg_ere_compile(const char *pattern, struct ecg_ere **out, char *why, size_t whylen)
{
	struct parser P = { .p = (const unsigned char *)pattern, .why = why, .whylen = whylen };
	struct writer W = { .P = &P };
	struct ecg_ere *re;
	int root, rc;

	*out = NULL;
	if (whylen > 0)
		why[0] = '\0';
	/* The top level ends only at the end: a ')' with no group open is itself. */
	if ((root = parse_alt(&P)) < 0) {
		parser_free(&P, &W);
		return P.err;
	}
	if (write_node(&W, root) < 0 || put(&W, OP_MATCH, 0, 0, 0) < 0) {
		if (W.err == -E2BIG)
			snprintf(why, whylen, "the expression is too large: with its counts "
			    "spelled out (x{3} is xxx) it passes %d parts", ECG_ERE_MAX_SIZE);
		else
			snprintf(why, whylen, "out of memory");
		parser_free(&P, &W);
		return W.err;
	}
	if ((re = calloc(1, sizeof(*re))) == NULL) {
		parser_free(&P, &W);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	re->prog = W.prog;
	re->n = W.n;
	re->sets = P.sets;
	re->anchored = anchored(&P, root);
	W.prog = NULL;
	P.sets = NULL;
	parser_free(&P, &W);
	if ((rc = finish(re)) < 0) {
		snprintf(why, whylen, "out of memory");
		ecg_ere_free(re);
		return rc;
	}
	*out = re;
	return 0;
}

size_t
ecg_ere_size(const struct ecg_ere *re)
{
	return re->n - 1;	/* the match is no part */
}

/* Onto the stack, unless pc is taken at this position already. */
static void
push(struct scratch *S, size_t *top, int pc)
{
	if (S->mark[pc] != S->gen) {
		S->mark[pc] = S->gen;
		S->stack[(*top)++] = pc;
	}
}

static int
is_word(const unsigned char *s, size_t len, size_t at)
{
	unsigned char c;

	if (at >= len)
		return 0;
	c = s[at];
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_';
}

static int
holds(int assertion, const unsigned char *s, size_t len, size_t pos)
{
	int before, after;

	if (pos == ANY_POSITION)
		return 1;
	before = pos > 0 && is_word(s, len, pos - 1);
	after = is_word(s, len, pos);
	switch (assertion) {
	case AS_BEGIN:
		return pos == 0;
	case AS_END:
		return pos == len;
	case AS_WORD:
		return before != after;
	case AS_NOTWORD:
		return before == after;
	case AS_WORD_BEGIN:
		return !before && after;
	case AS_WORD_END:
		return before && !after;
	default:
		return 0;
	}
}

/*
 * Adds the path at pc, at position pos, to list: follows its splits,
 * jumps and assertions to the instructions that consume a byte.  1 if
 * one of them is the match.  At ANY_POSITION every assertion holds.
 */
static int
follow(const struct ecg_ere *re, int *list, size_t *nlist, int pc, const unsigned char *s,
    size_t len, size_t pos)
{
	struct scratch *S = re->s;
	size_t top = 0;

	push(S, &top, pc);
	while (top > 0) {
		const struct insn *in = &re->prog[pc = S->stack[--top]];
		int to[2] = { 0, 0 }, k = 0;

		switch (in->op) {
		case OP_MATCH:
			return 1;
		case OP_BYTE:
		case OP_SET:
			list[(*nlist)++] = pc;
			continue;
		case OP_JMP:
			to[k++] = in->x;
			break;
		case OP_SPLIT:
			to[k++] = in->x;
			to[k++] = in->y;
			break;
		case OP_ASSERT:
			if (holds(in->arg, s, len, pos))
				to[k++] = pc + 1;
			break;
		default:
			break;
		}
		while (k-- > 0)
			push(S, &top, to[k]);
	}
	return 0;
}

/* A new position: no instruction is taken at it yet. */
static void
next_position(struct scratch *S, size_t n)
{
	if (++S->gen == 0) {
		memset(S->mark, 0, n * sizeof(*S->mark));
		S->gen = 1;
	}
}

/* The next position from i on where a match can begin, or len. */
static size_t
skip_to(const struct ecg_ere *re, const unsigned char *s, size_t len, size_t i)
{
	const unsigned char *at;

	if (re->first_byte >= 0) {
		at = memchr(s + i, re->first_byte, len - i);
		return at != NULL ? (size_t)(at - s) : len;
	}
	while (i < len && !set_has(&re->first, s[i]))
		i++;
	return i;
}

int
ecg_ere_match(const struct ecg_ere *re, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)(len > 0 ? str : "");
	struct scratch *S = re->s;
	size_t nnow = 0, nnext;

	next_position(S, re->n);
	for (size_t i = 0;; i++) {
		int *swap;

		/* Paths alive at i are in now; a new one may begin here too. */
		if (nnow == 0 && i > 0 && re->anchored)
			return 0;
		if (nnow == 0 && re->skip) {
			size_t j = skip_to(re, s, len, i);

			if (j >= len)
				return 0;
			if (j > i) {
				i = j;
				next_position(S, re->n);
			}
		}
		if ((i == 0 || !re->anchored) && follow(re, S->now, &nnow, 0, s, len, i))
			return 1;
		if (i == len)
			return 0;
		next_position(S, re->n);
		nnext = 0;
		for (size_t j = 0; j < nnow; j++) {
			const struct insn *in = &re->prog[S->now[j]];
			int takes = in->op == OP_BYTE ? in->arg == s[i] : set_has(&re->sets[in->x], s[i]);

			if (takes && follow(re, S->next, &nnext, S->now[j] + 1, s, len, i + 1))
				return 1;
		}
		swap = S->now;
		S->now = S->next;
		S->next = swap;
		nnow = nnext;
	}
}
