#define _GNU_SOURCE
#include "report/junit.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/value.h"

#define REPLACEMENT "\xEF\xBF\xBD"	/* U+FFFD */

/*
 * The length of the character at p if XML 1.0 can hold it as it is
 * (U+FFFE and U+FFFF aside), else 0: control characters but tab, newline
 * and return, DEL, and bytes that are not UTF-8 cannot be held.
 */
static size_t
xml_char(const unsigned char *p, size_t n)
{
	if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7F)
		return 0;
	return ecg_value_utf8_len(p, n);
}

/*
 * Text or an attribute value, escaped: & < > " ', and what XML 1.0 cannot
 * hold at all becomes U+FFFD: control characters but tab, newline and
 * return, DEL, bytes that are not UTF-8, and U+FFFE and U+FFFF (the
 * surrogates are not UTF-8 already).
 */
static void
escaped(struct ecg_buf *x, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	while (n > 0) {
		k = 1;
		switch (*p) {
		case '&':
			ecg_buf_puts(x, "&amp;");
			break;
		case '<':
			ecg_buf_puts(x, "&lt;");
			break;
		case '>':
			ecg_buf_puts(x, "&gt;");
			break;
		case '"':
			ecg_buf_puts(x, "&quot;");
			break;
		case '\'':
			ecg_buf_puts(x, "&apos;");
			break;
		default:
			k = xml_char(p, n);
			if (k == 0) {
				ecg_buf_puts(x, REPLACEMENT);
				k = 1;
			} else if (k == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE) {
				ecg_buf_puts(x, REPLACEMENT);
			} else {
				ecg_buf_put(x, p, k);
			}
		}
		p += k;
		n -= k;
	}
}

static void
escapedz(struct ecg_buf *x, const char *s)
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

static double
seconds(long ms)
{
	return ms > 0 ? (double)ms / 1000.0 : 0.0;
}

/* <testcase classname="GROUP" name="NAME" time="T" */
static void
open_case(struct ecg_buf *x, const struct ecg_group_spec *g, const char *name, long ms)
{
	ecg_buf_puts(x, "    <testcase classname=\"");
	escapedz(x, g->name);
	ecg_buf_puts(x, "\" name=\"");
	escapedz(x, name);
	ecg_buf_printf(x, "\" time=\"%.3f\"", seconds(ms));
}

static void
failure(struct ecg_buf *x, const struct ecg_summary_row *r, size_t i, ecg_junit_tail_fn tail,
    void *arg)
{
	const char *bytes = NULL, *last;
	size_t len = tail != NULL ? tail(i, &bytes, arg) : 0, n;

	ecg_buf_puts(x, ">\n      <failure message=\"");
	escapedz(x, r->result);
	ecg_buf_puts(x, "\" type=\"");
	escapedz(x, r->result);
	ecg_buf_puts(x, "\">");
	escapedz(x, ecg_buf_str(&r->why));
	if (len > 0) {
		last = last_lines(bytes, len, &n);
		ecg_buf_puts(x, "\nstderr, last lines:\n");
		escaped(x, last, n);
	}
	ecg_buf_puts(x, "</failure>\n    </testcase>\n");
}

static void
skipped(struct ecg_buf *x, const char *result, const char *cause)
{
	ecg_buf_puts(x, ">\n      <skipped message=\"");
	escapedz(x, result);
	if (cause != NULL) {
		ecg_buf_puts(x, " when the group stopped: ");
		escapedz(x, cause);
	}
	ecg_buf_puts(x, "\"/>\n    </testcase>\n");
}

void
ecg_junit_render(struct ecg_buf *x, const struct ecg_summary *s, int status, long duration_ms,
    ecg_junit_tail_fn tail, void *arg)
{
	const struct ecg_group_spec *g = s->group;
	size_t i, failures = 0, skips = 0, tests = g->ntasks;
	int group_case = s->cause.len > 0 && !s->cause_is_task, planned = ecg_summary_planned(s);
	char when[32];
	struct tm tm;
	time_t now = time(NULL);

	for (i = 0; i < g->ntasks; i++) {
		const struct ecg_summary_row *r = &s->rows[i];
		if (r->first_start_ms < 0 || (!r->failed && r->cut_off && !planned))
			skips++;
		else if (r->failed)
			failures++;
	}
	if (group_case) {
		tests++;
		failures++;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	ecg_buf_puts(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
	escapedz(x, g->name);
	ecg_buf_printf(x, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
	    "time=\"%.3f\">\n  <testsuite name=\"", tests, failures, skips, seconds(duration_ms));
	escapedz(x, g->name);
	ecg_buf_printf(x, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
	    "time=\"%.3f\" timestamp=\"%s\">\n", tests, failures, skips, seconds(duration_ms),
	    when);
	for (i = 0; i < g->ntasks; i++) {
		const struct ecg_summary_row *r = &s->rows[i];
		open_case(x, g, g->tasks[i].name,
		    r->first_start_ms < 0 ? 0 : r->last_end_ms - r->first_start_ms);
		if (r->first_start_ms < 0)
			skipped(x, r->result, NULL);
		else if (r->failed)
			failure(x, r, i, tail, arg);
		else if (r->cut_off && !planned)
			skipped(x, r->result, ecg_buf_str(&s->cause));
		else
			ecg_buf_puts(x, "/>\n");
	}
	if (group_case) {
		open_case(x, g, "group", duration_ms);
		ecg_buf_puts(x, ">\n      <failure message=\"");
		escapedz(x, ecg_buf_str(&s->cause));
		ecg_buf_printf(x, "\" type=\"cancelled\">the group was cancelled; exit status %d"
		    "</failure>\n    </testcase>\n", status);
	}
	ecg_buf_puts(x, "  </testsuite>\n</testsuites>\n");
}

/* The directory of path, and a template for a temporary file in it. */
static int
temp_template(const char *path, struct ecg_buf *tmp)
{
	struct ecg_buf copy = ECG_BUF_INIT, base = ECG_BUF_INIT;

	ecg_buf_puts(&copy, path);
	ecg_buf_puts(&base, path);
	if (ecg_buf_failed(&copy) || ecg_buf_failed(&base)) {
		ecg_buf_free(&copy);
		ecg_buf_free(&base);
		return -ENOMEM;
	}
	ecg_buf_printf(tmp, "%s/.%s.XXXXXX", dirname(copy.p), basename(base.p));
	ecg_buf_free(&copy);
	ecg_buf_free(&base);
	return ecg_buf_failed(tmp) ? -ENOMEM : 0;
}

/* A new temporary file beside path, mode 0644 less the umask: its descriptor, or -errno. */
static int
open_temp(const char *path, struct ecg_buf *tmp)
{
	mode_t mask;
	int fd, rc;

	if ((rc = temp_template(path, tmp)) < 0)
		return rc;
	fd = mkstemp(tmp->p);
	if (fd < 0)
		return -errno;
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0644 & ~mask) < 0) {
		rc = -errno;
		close(fd);
		unlink(tmp->p);
		return rc;
	}
	return fd;
}

int
ecg_junit_check(const char *path, const char **why)
{
	struct ecg_buf tmp = ECG_BUF_INIT;
	struct stat st;
	int fd;

	*why = NULL;
	if (path[0] != '\0' && path[strlen(path) - 1] == '/') {
		*why = "a directory";
		return -EISDIR;
	}
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		*why = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory" :
		    S_ISSOCK(st.st_mode) ? "a socket" : "a device";
		return -EINVAL;
	}
	/* The directory takes a new file: the one the report will be written to. */
	fd = open_temp(path, &tmp);
	if (fd >= 0) {
		close(fd);
		unlink(tmp.p);
	}
	ecg_buf_free(&tmp);
	return fd < 0 ? fd : 0;
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

int
ecg_junit_write(const char *path, const struct ecg_summary *s, int status, long duration_ms,
    ecg_junit_tail_fn tail, void *arg)
{
	struct ecg_buf x = ECG_BUF_INIT, tmp = ECG_BUF_INIT;
	int fd, rc;

	ecg_junit_render(&x, s, status, duration_ms, tail, arg);
	if (ecg_buf_failed(&x)) {
		ecg_buf_free(&x);
		return -ENOMEM;
	}
	fd = open_temp(path, &tmp);
	if (fd < 0) {
		rc = fd;
	} else {
		rc = write_all(fd, x.p, x.len);
		if (close(fd) < 0 && rc == 0)
			rc = -errno;
		if (rc == 0 && rename(tmp.p, path) < 0)
			rc = -errno;
		if (rc < 0)
			unlink(tmp.p);
	}
	ecg_buf_free(&x);
	ecg_buf_free(&tmp);
	return rc;
}
