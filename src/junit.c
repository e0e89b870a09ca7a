#define _GNU_SOURCE
#include "junit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "value.h"

/* The report is built in memory, then written in one go. */
struct xml {
	char *buf;
	size_t len, cap;
	int failed;			/* out of memory */
};

static void
put(struct xml *x, const char *s, size_t n)
{
	char *p;

	if (x->failed)
		return;
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		while (cap < x->len + n + 1)
			cap *= 2;
		p = realloc(x->buf, cap);
		if (p == NULL) {
			x->failed = 1;
			return;
		}
		x->buf = p;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, s, n);
	x->len += n;
}

static void
puts_x(struct xml *x, const char *s)
{
	put(x, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
printf_x(struct xml *x, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(x, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/*
 * Text or an attribute value, escaped: & < > " ', and what XML 1.0 cannot
 * hold at all (control characters but tab, newline and return, bytes that
 * are not UTF-8) becomes U+FFFD.
 */
static void
escaped(struct xml *x, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	while (n > 0) {
		k = 1;
		switch (*p) {
		case '&':
			puts_x(x, "&amp;");
			break;
		case '<':
			puts_x(x, "&lt;");
			break;
		case '>':
			puts_x(x, "&gt;");
			break;
		case '"':
			puts_x(x, "&quot;");
			break;
		case '\'':
			puts_x(x, "&apos;");
			break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7F)
				puts_x(x, "\xEF\xBF\xBD");
			else if ((k = ecg_value_utf8_len(p, n)) == 0) {
				puts_x(x, "\xEF\xBF\xBD");
				k = 1;
			} else
				put(x, (const char *)p, k);
		}
		p += k;
		n -= k;
	}
}

static void
escapedz(struct xml *x, const char *s)
{
	escaped(x, s, strlen(s));
}

/* The last ECG_JUNIT_TAIL_LINES lines of bytes (a cut first line is dropped). */
static const char *
last_lines(const char *b, size_t n, size_t *len)
{
	size_t i = n, lines = 0;

	if (n > 0 && b[n - 1] == '\n')
		i--;
	while (i > 0) {
		if (b[i - 1] == '\n' && ++lines == ECG_JUNIT_TAIL_LINES)
			break;
		i--;
	}
	*len = n - i;
	return b + i;
}

static int
write_all(int fd, const char *b, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static double
seconds(long ms)
{
	return ms > 0 ? (double)ms / 1000.0 : 0.0;
}

int
ecg_junit_write(int fd, const struct ecg_summary *s, int status, long duration_ms,
    ecg_junit_tail_fn tail, void *arg)
{
	const struct ecg_group_spec *g = s->group;
	struct xml x = { NULL, 0, 0, 0 };
	size_t i, failures = 0, skipped = 0, tests = g->ntasks, n;
	int group_case = s->cause[0] != '\0' && !s->cause_is_task, rc;
	char when[32];
	struct tm tm;
	time_t now = time(NULL);

	for (i = 0; i < g->ntasks; i++) {
		if (s->rows[i].first_start_ms < 0)
			skipped++;
		else if (s->rows[i].failed)
			failures++;
	}
	if (group_case) {
		tests++;
		failures++;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	puts_x(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
	escapedz(&x, g->name);
	printf_x(&x, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
	    "time=\"%.3f\">\n  <testsuite name=\"", tests, failures, skipped, seconds(duration_ms));
	escapedz(&x, g->name);
	printf_x(&x, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
	    "time=\"%.3f\" timestamp=\"%s\">\n", tests, failures, skipped, seconds(duration_ms),
	    when);
	for (i = 0; i < g->ntasks; i++) {
		const struct ecg_summary_row *r = &s->rows[i];
		long ms = r->first_start_ms < 0 ? 0 : r->last_end_ms - r->first_start_ms;
		puts_x(&x, "    <testcase classname=\"");
		escapedz(&x, g->name);
		puts_x(&x, "\" name=\"");
		escapedz(&x, g->tasks[i].name);
		printf_x(&x, "\" time=\"%.3f\"", seconds(ms));
		if (r->first_start_ms < 0) {
			puts_x(&x, ">\n      <skipped message=\"");
			escapedz(&x, r->result);
			puts_x(&x, "\"/>\n    </testcase>\n");
		} else if (r->failed) {
			const char *bytes = NULL, *last;
			size_t len = tail != NULL ? tail(i, &bytes, arg) : 0;
			puts_x(&x, ">\n      <failure message=\"");
			escapedz(&x, r->result);
			puts_x(&x, "\" type=\"");
			escapedz(&x, r->result);
			puts_x(&x, "\">");
			if (len > 0) {
				last = last_lines(bytes, len, &n);
				escaped(&x, last, n);
			}
			puts_x(&x, "</failure>\n    </testcase>\n");
		} else {
			puts_x(&x, "/>\n");
		}
	}
	if (group_case) {
		puts_x(&x, "    <testcase classname=\"");
		escapedz(&x, g->name);
		printf_x(&x, "\" name=\"group\" time=\"%.3f\">\n      <failure message=\"",
		    seconds(duration_ms));
		escapedz(&x, s->cause);
		printf_x(&x, "\" type=\"cancelled\">%s; exit status %d</failure>\n    </testcase>\n",
		    "the group was cancelled", status);
	}
	puts_x(&x, "  </testsuite>\n</testsuites>\n");
	if (x.failed) {
		free(x.buf);
		return -ENOMEM;
	}
	rc = write_all(fd, x.buf, x.len);
	free(x.buf);
	return rc;
}
