#define _GNU_SOURCE
#include "config/value.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIB ((size_t)1024 * 1024)

/*
 * Reads "digits[.digits]" without strtod, so that no locale, exponent,
 * hex float, sign or "inf" sneaks in.  Returns the end, or NULL.
 */
static const char *
parse_decimal(const char *s, double *out)
{
	double v = 0, scale = 1;
	int digits = 0;

	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			scale /= 10;
			v += (*s++ - '0') * scale;
			digits++;
		}
	}
	if (digits == 0)
		return NULL;
	*out = v;
	return s;
}

/* The reason of a count too large names the limit (one thread: one buffer). */
static char count_why[64];

int
ecg_value_duration(const char *s, long *ms, const char **why)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const char *end;
	double v;
	size_t i;

	end = parse_decimal(s, &v);
	if (end == NULL) {
		*why = "not a duration (try 250ms, 10s, 1.5s, 2m or 1h)";
		return -EINVAL;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		v *= units[i].ms;
		if (v > (double)ECG_DURATION_MAX_MS) {
			*why = "duration too long (at most 168h)";
			return -EINVAL;
		}
		*ms = (long)(v + 0.5);
		/* Below a millisecond is not zero: 0 means SIGKILL at once. */
		if (*ms == 0 && v > 0)
			*ms = 1;
		return 0;
	}
	*why = "unknown duration unit (use ms, s, m or h)";
	return -EINVAL;
}

void
ecg_value_format_duration(long ms, char *buf, size_t len)
{
	/* Minutes and hours from two of them on: "90s" reads better than "1.5m". */
	if (ms >= 2 * 3600000L && ms % 3600000L == 0)
		snprintf(buf, len, "%ldh", ms / 3600000L);
	else if (ms >= 2 * 60000L && ms % 60000L == 0)
		snprintf(buf, len, "%ldm", ms / 60000L);
	else if (ms % 1000 != 0)
		snprintf(buf, len, "%ldms", ms);
	else
		snprintf(buf, len, "%lds", ms / 1000);
}

int
ecg_value_count(const char *s, long max, long *n, const char **why)
{
	long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9') {
		*why = "not a whole number";
		return -EINVAL;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > max) {
			snprintf(count_why, sizeof(count_why), "too large (at most %ld)", max);
			*why = count_why;
			return -EINVAL;
		}
	}
	if (*p != '\0') {
		*why = "not a whole number";
		return -EINVAL;
	}
	*n = v;
	return 0;
}

int
ecg_value_size(const char *s, size_t min, size_t max, size_t *bytes, const char **why)
{
	static const struct { const char *unit; unsigned long long mult; } units[] = {
		{ "", 1 }, { "B", 1 }, { "K", 1024 }, { "KiB", 1024 },
		{ "M", MIB }, { "MiB", MIB }, { "G", 1024 * MIB }, { "GiB", 1024 * MIB },
	};
	static char range_why[80];
	char lo[24], hi[24];
	unsigned long long v = 0;
	const char *p = s;
	size_t i;

	if (!isdigit((unsigned char)*p)) {
		*why = "not a size (try 4096, 64K, 64KiB, 1M or 1MiB)";
		return -EINVAL;
	}
	/* Saturates: any number this large is out of range anyway. */
	while (isdigit((unsigned char)*p)) {
		if (v <= (1ULL << 40))
			v = v * 10 + (unsigned long long)(*p - '0');
		p++;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(p, units[i].unit) != 0)
			continue;
		/* Past max is out of range, and must not wrap around on the way. */
		v = v > max / units[i].mult ? (unsigned long long)max + 1 : v * units[i].mult;
		if (v < min || v > max) {
			ecg_value_format_size(min, lo, sizeof(lo));
			ecg_value_format_size(max, hi, sizeof(hi));
			snprintf(range_why, sizeof(range_why), "size out of range (from %s to %s)",
			    lo, hi);
			*why = range_why;
			return -EINVAL;
		}
		*bytes = (size_t)v;
		return 0;
	}
	*why = "unknown size unit (use K, KiB, M, MiB, G or GiB)";
	return -EINVAL;
}

void
ecg_value_format_size(size_t bytes, char *buf, size_t len)
{
	if (bytes > 0 && bytes % (1024 * MIB) == 0)
		snprintf(buf, len, "%zuGiB", bytes / (1024 * MIB));
	else if (bytes % MIB == 0)
		snprintf(buf, len, "%zuMiB", bytes / MIB);
	else if (bytes % 1024 == 0)
		snprintf(buf, len, "%zuKiB", bytes / 1024);
	else
		snprintf(buf, len, "%zu", bytes);
}

int
ecg_value_signal(const char *s, int *sig, const char **why)
{
	char *end;
	long n;
	int i;

	if (isdigit((unsigned char)*s)) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (*end != '\0' || errno != 0 || n < 1 || n > SIGRTMAX) {
			*why = "not a signal number (from 1 to SIGRTMAX)";
			return -EINVAL;
		}
		*sig = (int)n;
		return 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 1; i < NSIG; i++) {
		const char *name = sigabbrev_np(i);
		if (name != NULL && strcasecmp(name, s) == 0) {
			*sig = i;
			return 0;
		}
	}
	*why = "unknown signal (try TERM, INT, QUIT, HUP, KILL or a number)";
	return -EINVAL;
}

const char *
ecg_value_signame(int sig, char *buf, size_t len)
{
	const char *name = sigabbrev_np(sig);

	if (name != NULL)
		return name;
	snprintf(buf, len, "%d", sig);
	return buf;
}

size_t
ecg_value_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

void
ecg_suggest_init(struct ecg_suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = 3;
}

void
ecg_suggest_offer(struct ecg_suggest *s, const char *candidate)
{
	size_t d = ecg_value_distance(s->word, candidate);

	if (d < s->dist) {
		s->dist = d;
		s->best = candidate;
	}
}

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 if it is not one. */
size_t
ecg_value_utf8_len(const unsigned char *s, size_t n)
{
	size_t k, i;
	unsigned char lo = 0x80, hi = 0xBF;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		k = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		k = 3;
		if (s[0] == 0xE0)
			lo = 0xA0;
		if (s[0] == 0xED)
			hi = 0x9F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		k = 4;
		if (s[0] == 0xF0)
			lo = 0x90;
		if (s[0] == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < k; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return k;
}


static int
name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
name_byte(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

int
ecg_value_expand(const char *s, ecg_value_lookup_fn *lookup, void *arg, struct ecg_buf *out,
    const char **unset, size_t *unset_len)
{
	const char *p = s, *name, *val, *dflt, *close;
	size_t len;

	*unset = NULL;
	*unset_len = 0;
	while (*p != '\0') {
		const char *dollar = strchr(p, '$');
		if (dollar == NULL) {
			ecg_buf_puts(out, p);
			break;
		}
		ecg_buf_put(out, p, (size_t)(dollar - p));
		p = dollar + 1;
		if (*p == '$') {		/* $$ */
			ecg_buf_putc(out, '$');
			p++;
		} else if (*p == '{') {		/* ${NAME} or ${NAME:-default} */
			name = p + 1;
			for (len = 0; name_byte((unsigned char)name[len]); len++)
				;
			close = strchr(name + len, '}');
			if (len == 0 || !name_start((unsigned char)name[0]) || close == NULL ||
			    (name[len] != '}' && strncmp(name + len, ":-", 2) != 0)) {
				*unset = NULL;
				return -1;
			}
			dflt = name[len] == ':' ? name + len + 2 : NULL;
			val = lookup(arg, name, len);
			if (dflt != NULL && (val == NULL || val[0] == '\0'))
				ecg_buf_put(out, dflt, (size_t)(close - dflt));
			else if (val != NULL)
				ecg_buf_puts(out, val);
			else {
				*unset = name;
				*unset_len = len;
				return -1;
			}
			p = close + 1;
		} else if (name_start((unsigned char)*p)) {	/* $NAME */
			name = p;
			for (len = 0; name_byte((unsigned char)name[len]); len++)
				;
			if ((val = lookup(arg, name, len)) == NULL) {
				*unset = name;
				*unset_len = len;
				return -1;
			}
			ecg_buf_puts(out, val);
			p = name + len;
		} else {
			ecg_buf_putc(out, '$');	/* a $ before anything else: itself */
		}
	}
	return 0;
}
