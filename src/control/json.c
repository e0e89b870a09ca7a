#define _GNU_SOURCE
#include "control/json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const char *p, *start, *end;
	struct ecg_buf *why;
	int failed;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return -1;
	r->failed = 1;
	ecg_buf_reset(r->why);
	ecg_buf_printf(r->why, "at byte %zu: ", (size_t)(r->p - r->start) + 1);
	va_start(ap, fmt);
	ecg_buf_vprintf(r->why, fmt, ap);
	va_end(ap);
	return -1;
}

static void
blanks(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
take(struct reader *r, char c)
{
	blanks(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 1;
	}
	return 0;
}

static int
hex4(struct reader *r, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (r->end - r->p < 4)
		return fail(r, "a \\u escape needs 4 hex digits");
	for (i = 0; i < 4; i++) {
		char c = r->p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(r, "a \\u escape needs 4 hex digits");
	}
	r->p += 4;
	*out = v;
	return 0;
}

static void
put_utf8(struct ecg_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	ecg_buf_put(b, u, n);
}

/*
 * A string, at its opening quote: a new NUL-terminated copy, or NULL.
 * With len, a NUL (\u0000) may be in it and *len is its length.
 */
static char *
string_n(struct reader *r, size_t *len)
{
	struct ecg_buf b = ECG_BUF_INIT;
	unsigned cp = 0, lo = 0;
	char *out;

	if (!take(r, '"')) {
		fail(r, "a string was expected");
		return NULL;
	}
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p++;
		if (c < 0x20) {
			fail(r, "a control byte in a string (escape it)");
			goto bad;
		}
		if (c != '\\') {
			ecg_buf_putc(&b, (char)c);
			continue;
		}
		if (r->p == r->end)
			break;
		c = (unsigned char)*r->p++;
		switch (c) {
		case '"': case '\\': case '/':
			ecg_buf_putc(&b, (char)c);
			break;
		case 'b': ecg_buf_putc(&b, '\b'); break;
		case 'f': ecg_buf_putc(&b, '\f'); break;
		case 'n': ecg_buf_putc(&b, '\n'); break;
		case 'r': ecg_buf_putc(&b, '\r'); break;
		case 't': ecg_buf_putc(&b, '\t'); break;
		case 'u':
			if (hex4(r, &cp) < 0)
				goto bad;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u') {
					fail(r, "a lone surrogate in a \\u escape");
					goto bad;
				}
				r->p += 2;
				if (hex4(r, &lo) < 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(r, "a lone surrogate in a \\u escape");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(r, "a lone surrogate in a \\u escape");
				goto bad;
			}
			if (cp == 0 && len == NULL) {
				fail(r, "a NUL in a string");
				goto bad;
			}
			put_utf8(&b, cp);
			break;
		default:
			fail(r, "unknown escape \\%c", c);
			goto bad;
		}
	}
	if (r->p == r->end) {
		fail(r, "a string without its closing quote");
		goto bad;
	}
	r->p++;
	if (ecg_buf_failed(&b)) {
		fail(r, "out of memory");
		goto bad;
	}
	out = malloc(b.len + 1);
	if (out != NULL) {
		memcpy(out, ecg_buf_str(&b), b.len + 1);
		if (len != NULL)
			*len = b.len;
	}
	ecg_buf_free(&b);
	if (out == NULL)
		fail(r, "out of memory");
	return out;
bad:
	ecg_buf_free(&b);
	return NULL;
}

static char *
string(struct reader *r)
{
	return string_n(r, NULL);
}

static int
word(struct reader *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) >= n && memcmp(r->p, w, n) == 0) {
		r->p += n;
		return 1;
	}
	return 0;
}

static int
integer(struct reader *r, long long *out)
{
	char buf[32], *end;
	size_t n = 0;

	if (r->p < r->end && *r->p == '-')
		buf[n++] = *r->p++;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9' && n < sizeof(buf) - 1)
		buf[n++] = *r->p++;
	buf[n] = '\0';
	if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
		return fail(r, "only whole numbers are taken");
	if (n == 0 || (n == 1 && buf[0] == '-'))
		return fail(r, "a value was expected");
	if (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		return fail(r, "a number too long");
	errno = 0;
	*out = strtoll(buf, &end, 10);
	if (errno != 0)
		return fail(r, "a number out of range");
	return 0;
}

/* Any JSON value, checked and thrown away, at most ECG_JSON_DEPTH deep. */
static int
skip(struct reader *r, int depth)
{
	char *s;

	if (depth > ECG_JSON_DEPTH)
		return fail(r, "nested deeper than %d", ECG_JSON_DEPTH);
	blanks(r);
	if (r->p == r->end)
		return fail(r, "a value was expected");
	switch (*r->p) {
	case '"':
		s = string(r);
		free(s);
		return s != NULL ? 0 : -1;
	case '{':
		r->p++;
		if (take(r, '}'))
			return 0;
		do {
			blanks(r);
			if ((s = string(r)) == NULL)
				return -1;
			free(s);
			if (!take(r, ':'))
				return fail(r, "':' was expected");
			if (skip(r, depth + 1) < 0)
				return -1;
		} while (take(r, ','));
		return take(r, '}') ? 0 : fail(r, "',' or '}' was expected");
	case '[':
		r->p++;
		if (take(r, ']'))
			return 0;
		do
			if (skip(r, depth + 1) < 0)
				return -1;
		while (take(r, ','));
		return take(r, ']') ? 0 : fail(r, "',' or ']' was expected");
	case 't':
		return word(r, "true") ? 0 : fail(r, "a value was expected");
	case 'f':
		return word(r, "false") ? 0 : fail(r, "a value was expected");
	case 'n':
		return word(r, "null") ? 0 : fail(r, "a value was expected");
	default:
		if (*r->p == '-')
			r->p++;
		if (r->p == r->end || *r->p < '0' || *r->p > '9')
			return fail(r, "a value was expected");
		while (r->p < r->end && ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' ||
		    *r->p == 'e' || *r->p == 'E' || *r->p == '+' || *r->p == '-'))
			r->p++;
		return 0;
	}
}

static int
value(struct reader *r, struct ecg_json_member *m)
{
	const char *at;
	char *s, **grown;

	blanks(r);
	if (r->p == r->end)
		return fail(r, "a value was expected");
	switch (*r->p) {
	case '"':
		m->type = ECG_JSON_STRING;
		m->str = string_n(r, &m->len);
		return m->str != NULL ? 0 : -1;
	case '[':
		r->p++;
		m->type = ECG_JSON_STRINGS;
		if (take(r, ']'))
			return 0;
		blanks(r);
		if (r->p < r->end && *r->p != '"') {
			/* Not strings: checked and skipped. */
			r->p = memrchr(r->start, '[', (size_t)(r->p - r->start));
			m->type = ECG_JSON_OTHER;
			return skip(r, 1);
		}
		do {
			blanks(r);
			if (r->p == r->end || *r->p != '"')
				return fail(r, "an array holds strings only");
			if ((s = string(r)) == NULL)
				return -1;
			grown = realloc(m->items, (m->nitems + 1) * sizeof(*grown));
			if (grown == NULL) {
				free(s);
				return fail(r, "out of memory");
			}
			m->items = grown;
			m->items[m->nitems++] = s;
		} while (take(r, ','));
		if (!take(r, ']'))
			return fail(r, "',' or ']' was expected");
		return 0;
	case '{':
		m->type = ECG_JSON_OTHER;
		return skip(r, 1);
	case 't':
	case 'f':
		m->type = ECG_JSON_BOOL;
		m->num = *r->p == 't';
		if (word(r, m->num ? "true" : "false"))
			return 0;
		return fail(r, "a value was expected");
	case 'n':
		m->type = ECG_JSON_NULL;
		return word(r, "null") ? 0 : fail(r, "a value was expected");
	default:
		at = r->p;
		m->type = ECG_JSON_INT;
		if (integer(r, &m->num) == 0)
			return 0;
		if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E')) {
			/* A fraction: checked and skipped. */
			r->failed = 0;
			r->p = at;
			m->type = ECG_JSON_OTHER;
			return skip(r, 1);
		}
		return -1;
	}
}

int
ecg_json_parse(const char *text, size_t len, struct ecg_json_object *o, struct ecg_buf *why)
{
	struct reader r = { text, text, text + len, why, 0 };
	struct ecg_json_member *grown, *m;
	char *key;

	o->m = NULL;
	o->n = 0;
	if (memchr(text, '\0', len) != NULL)
		return fail(&r, "a NUL byte");
	if (!take(&r, '{'))
		return fail(&r, "a request is a JSON object: '{' was expected");
	if (!take(&r, '}')) {
		do {
			blanks(&r);
			if ((key = string(&r)) == NULL)
				goto bad;
			if (ecg_json_get(o, key) != NULL) {
				fail(&r, "the key \"%s\" is given twice", key);
				free(key);
				goto bad;
			}
			grown = realloc(o->m, (o->n + 1) * sizeof(*grown));
			if (grown == NULL) {
				free(key);
				fail(&r, "out of memory");
				goto bad;
			}
			o->m = grown;
			m = &o->m[o->n++];
			memset(m, 0, sizeof(*m));
			m->key = key;
			if (!take(&r, ':')) {
				fail(&r, "':' was expected");
				goto bad;
			}
			if (value(&r, m) < 0)
				goto bad;
		} while (take(&r, ','));
		if (!take(&r, '}')) {
			fail(&r, "',' or '}' was expected");
			goto bad;
		}
	}
	blanks(&r);
	if (r.p != r.end) {
		fail(&r, "more after the object");
		goto bad;
	}
	return 0;
bad:
	ecg_json_free(o);
	return -1;
}

void
ecg_json_free(struct ecg_json_object *o)
{
	size_t i, j;

	for (i = 0; i < o->n; i++) {
		free(o->m[i].key);
		free(o->m[i].str);
		for (j = 0; j < o->m[i].nitems; j++)
			free(o->m[i].items[j]);
		free(o->m[i].items);
	}
	free(o->m);
	o->m = NULL;
	o->n = 0;
}

const struct ecg_json_member *
ecg_json_get(const struct ecg_json_object *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->m[i].key, key) == 0)
			return &o->m[i];
	return NULL;
}
