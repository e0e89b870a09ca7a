/*
 * benchlines: the benchmark's numbered lines, written fast and checked
 * exactly.
 *
 *   benchlines gen TASK COUNT [LEN [CHUNK]]
 *       writes COUNT lines of LEN bytes (default 100, newline included)
 *       for task TASK (0..999) to stdout.  CHUNK 0 (the default) writes
 *       whole lines only, as many as fit in 64 KiB per write(2); CHUNK > 0
 *       writes exactly CHUNK bytes per write, cutting lines anywhere.
 *   benchlines check [-p|-P] [-l LEN] [-w SECONDS] TASKS COUNT [FILE...]
 *       reads the output of a supervisor (FILEs, or stdin), where every line
 *       is "PREFIX" followed by one generated line (lines with no '@' are
 *       the supervisor's own and only counted), and checks that each of
 *       tasks 0..TASKS-1 arrived with all COUNT lines, each exactly once,
 *       whole, in order.  -p also demands a non-empty prefix on every line;
 *       -P one that is the same on every line of a task and differs between
 *       tasks.  -w waits
 *       before reading (a reader that pauses).  Prints one verdict line,
 *       "ok N lines" or "BAD ..." with counts, and exits 0 only if ok.
 *
 * A line is "@TTT SSSSSSSSSS " and a payload fixed by (TASK, SEQ): a
 * rotation of the alphabet, so every byte of every line can be compared
 * with what was sent, yet writing it costs one copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "write_all.h"

#define HEAD 16			/* "@TTT SSSSSSSSSS " */
#define MAX_LEN 4096
#define MAX_TASKS 1000
#define WHOLE_CHUNK 65536

static const char alpha[] = "abcdefghijklmnopqrstuvwxyz";

/* The payload of line seq (len - HEAD - 1 bytes), into p. */
static void
payload(char *p, size_t n, unsigned task, uint64_t seq)
{
	size_t r = (size_t)((seq + task) % 26), k;

	for (k = 0; k < n; k++)
		p[k] = alpha[(r + k) % 26];
}

static long
number(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "benchlines: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static int
gen(unsigned task, uint64_t count, size_t len, size_t chunk)
{
	static char templ[26][MAX_LEN];
	static char buf[WHOLE_CHUNK + MAX_LEN];
	char digits[11];
	size_t per, fill = 0, r;
	uint64_t seq;

	for (r = 0; r < 26; r++) {
		snprintf(templ[r], HEAD + 1, "@%03u %010u ", task, 0u);
		/* templ[r] serves the lines with seq % 26 == r */
		payload(templ[r] + HEAD, len - HEAD - 1, task, r);
		templ[r][len - 1] = '\n';
	}
	per = chunk == 0 ? WHOLE_CHUNK / len * len : chunk;
	memcpy(digits, "0000000000", 11);
	for (seq = 0; seq < count; seq++) {
		char *line = buf + fill;
		int d;

		memcpy(line, templ[seq % 26], len);
		memcpy(line + 5, digits, 10);
		for (d = 9; d >= 0 && ++digits[d] > '9'; d--)
			digits[d] = '0';
		fill += len;
		while (fill >= per) {	/* pieces may be shorter than a line */
			if (write_all(buf, per) < 0)
				return 1;
			fill -= per;
			memmove(buf, buf + per, fill);
		}
	}
	return fill > 0 && write_all(buf, fill) < 0;
}

struct seen {
	uint64_t next;		/* the seq expected next */
	uint64_t dup;		/* lines seen again or out of order */
	uint64_t gaps;		/* lines skipped over */
	char prefix[64];
	size_t plen;
	int have_prefix;
};

struct checker {
	unsigned ntasks;
	uint64_t count;
	size_t len;
	int strict_prefix;
	struct seen *tasks;
	uint64_t lines, bad, foreign, prefix_bad, other;
	char want[26][MAX_LEN];	/* the payloads, by (seq + task) % 26 */
};

static int
parse_head(const char *p, unsigned *task, uint64_t *seq)
{
	unsigned t = 0;
	uint64_t s = 0;
	int k;

	if (p[0] != '@' || p[4] != ' ' || p[15] != ' ')
		return -1;
	for (k = 1; k < 4; k++) {
		if (p[k] < '0' || p[k] > '9')
			return -1;
		t = t * 10 + (unsigned)(p[k] - '0');
	}
	for (k = 5; k < 15; k++) {
		if (p[k] < '0' || p[k] > '9')
			return -1;
		s = s * 10 + (uint64_t)(p[k] - '0');
	}
	*task = t;
	*seq = s;
	return 0;
}

/* One output line [p, p + n) without its newline. */
static void
check_line(struct checker *c, const char *p, size_t n)
{
	size_t body = c->len - 1, plen;
	const char *l;
	struct seen *t;
	unsigned task;
	uint64_t seq;

	if (memchr(p, '@', n) == NULL) {	/* the tool's own message */
		c->other++;
		return;
	}
	c->lines++;
	if (n < body) {
		c->bad++;
		return;
	}
	plen = n - body;
	l = p + plen;
	if (memchr(p, '@', plen) != NULL || parse_head(l, &task, &seq) < 0) {
		c->bad++;
		return;
	}
	if (task >= c->ntasks) {
		c->foreign++;
		return;
	}
	if (memcmp(l + HEAD, c->want[(seq + task) % 26], body - HEAD) != 0) {
		c->bad++;
		return;
	}
	t = &c->tasks[task];
	if (c->strict_prefix == 1 && plen == 0) {
		c->prefix_bad++;
	} else if (c->strict_prefix == 2) {
		if (plen == 0 || plen > sizeof(t->prefix)) {
			c->prefix_bad++;
		} else if (!t->have_prefix) {
			memcpy(t->prefix, p, plen);
			t->plen = plen;
			t->have_prefix = 1;
		} else if (plen != t->plen || memcmp(p, t->prefix, plen) != 0) {
			c->prefix_bad++;
		}
	}
	if (seq < t->next) {
		t->dup++;
	} else {
		t->gaps += seq - t->next;
		t->next = seq + 1;
	}
}

static int
check_fd(struct checker *c, int fd)
{
	static char buf[(1 << 20) + MAX_LEN * 2];
	size_t have = 0;

	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		char *p, *nl, *end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("benchlines: read");
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		p = buf;
		end = buf + have;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			check_line(c, p, (size_t)(nl - p));
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (have == sizeof(buf)) {	/* an endless line: count it bad */
			c->lines++;
			c->bad++;
			have = 0;
		}
		memmove(buf, p, have);
	}
	if (have > 0)			/* a last line without its newline */
		check_line(c, buf, have);
	return 0;
}

static int
check(int argc, char **argv)
{
	static struct checker c = { .len = 100 };
	uint64_t lost = 0, dup = 0, got = 0;
	double pause = 0;
	unsigned i;
	int a = 0, distinct = 1;

	while (a < argc && argv[a][0] == '-' && argv[a][1] != '\0') {
		if (strcmp(argv[a], "-p") == 0 || strcmp(argv[a], "-P") == 0) {
			c.strict_prefix = argv[a][1] == 'p' ? 1 : 2;
			a++;
		} else if (strcmp(argv[a], "-l") == 0 && a + 1 < argc) {
			c.len = (size_t)number(argv[a + 1], HEAD + 2, MAX_LEN, "length");
			a += 2;
		} else if (strcmp(argv[a], "-w") == 0 && a + 1 < argc) {
			pause = strtod(argv[a + 1], NULL);
			a += 2;
		} else {
			fprintf(stderr, "benchlines: unknown option %s\n", argv[a]);
			return 2;
		}
	}
	if (argc - a < 2) {
		fprintf(stderr, "usage: benchlines check [-p|-P] [-l LEN] [-w S] TASKS COUNT [FILE...]\n");
		return 2;
	}
	c.ntasks = (unsigned)number(argv[a], 1, MAX_TASKS, "task count");
	c.count = (uint64_t)number(argv[a + 1], 0, 9999999999L, "line count");
	a += 2;
	for (i = 0; i < 26; i++)
		payload(c.want[i], c.len - HEAD - 1, 0, i);
	c.tasks = calloc(c.ntasks, sizeof(*c.tasks));
	if (c.tasks == NULL)
		return 2;
	if (pause > 0) {
		struct timespec ts = { (time_t)pause, (long)((pause - (double)(time_t)pause) * 1e9) };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (a >= argc) {
		if (check_fd(&c, 0) < 0)
			return 2;
	}
	for (; a < argc; a++) {
		int fd = open(argv[a], O_RDONLY);
		if (fd < 0 || check_fd(&c, fd) < 0) {
			perror(argv[a]);
			return 2;
		}
		close(fd);
	}
	for (i = 0; i < c.ntasks; i++) {
		struct seen *t = &c.tasks[i];
		unsigned j;

		got += t->next - t->gaps;
		lost += t->gaps + (c.count > t->next ? c.count - t->next : 0);
		dup += t->dup + (t->next > c.count ? t->next - c.count : 0);
		for (j = 0; c.strict_prefix == 2 && j < i; j++)
			if (t->have_prefix && t->plen == c.tasks[j].plen &&
			    memcmp(t->prefix, c.tasks[j].prefix, t->plen) == 0)
				distinct = 0;
	}
	if (c.bad == 0 && lost == 0 && dup == 0 && c.foreign == 0 && c.prefix_bad == 0 &&
	    distinct) {
		printf("ok %llu lines (%llu others)\n", (unsigned long long)got,
		    (unsigned long long)c.other);
		return 0;
	}
	printf("BAD lines %llu whole %llu torn %llu lost %llu dup %llu foreign %llu"
	    " prefix %llu%s\n", (unsigned long long)c.lines, (unsigned long long)got,
	    (unsigned long long)c.bad, (unsigned long long)lost, (unsigned long long)dup,
	    (unsigned long long)c.foreign, (unsigned long long)c.prefix_bad,
	    distinct ? "" : " (prefixes not distinct)");
	return 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "gen") == 0) {
		long len = argc > 4 ? number(argv[4], HEAD + 2, MAX_LEN, "length") : 100;
		long chunk = argc > 5 ? number(argv[5], 0, WHOLE_CHUNK, "chunk") : 0;
		return gen((unsigned)number(argv[2], 0, MAX_TASKS - 1, "task"),
		    (uint64_t)number(argv[3], 0, 9999999999L, "count"), (size_t)len,
		    (size_t)chunk);
	}
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check(argc - 2, argv + 2);
	fprintf(stderr, "usage: benchlines gen TASK COUNT [LEN [CHUNK]]\n"
	    "       benchlines check [-p|-P] [-l LEN] [-w SECONDS] TASKS COUNT [FILE...]\n");
	return 2;
}
