#define _GNU_SOURCE
#include "base/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ecg_buf_init(struct ecg_buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

void
ecg_buf_free(struct ecg_buf *b)
{
	free(b->p);
	ecg_buf_init(b);
}

void
ecg_buf_reset(struct ecg_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

int
ecg_buf_reserve(struct ecg_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return -ENOMEM;
	if (n < b->cap - b->len && b->p != NULL)
		return 0;
	if (n > SIZE_MAX / 2 - b->len - 1) {
		b->failed = 1;
		return -ENOMEM;
	}
	cap = b->cap != 0 ? b->cap : 256;
	while (cap <= b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->failed = 1;
		return -ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
ecg_buf_put(struct ecg_buf *b, const void *s, size_t n)
{
	if (ecg_buf_reserve(b, n) < 0)
		return;
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
ecg_buf_puts(struct ecg_buf *b, const char *s)
{
	ecg_buf_put(b, s, strlen(s));
}

void
ecg_buf_putc(struct ecg_buf *b, char c)
{
	ecg_buf_put(b, &c, 1);
}

void
ecg_buf_vprintf(struct ecg_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	if (ecg_buf_reserve(b, 0) < 0)
		return;
	va_copy(again, ap);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	if (n < 0) {
		va_end(again);
		b->p[b->len] = '\0';
		b->failed = 1;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (ecg_buf_reserve(b, (size_t)n) < 0) {
			va_end(again);
			b->p[b->len] = '\0';
			return;
		}
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, again);
	}
	va_end(again);
	b->len += (size_t)n;
}

void
ecg_buf_printf(struct ecg_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ecg_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

size_t
ecg_buf_boundary(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = len, back = 0;

	/*
	 * Step back over continuation bytes (at most three) to the lead byte;
	 * the cut goes before it unless the whole character fits.
	 */
	while (i > 0 && back < 3 && (u[i] & 0xC0) == 0x80) {
		i--;
		back++;
	}
	return (u[i] & 0xC0) == 0x80 ? len : i;
}

void
ecg_buf_put_cut(struct ecg_buf *b, const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return;
	n = strlen(s);
	if (n <= max) {
		ecg_buf_put(b, s, n);
		return;
	}
	ecg_buf_put(b, s, ecg_buf_boundary(s, max));
	ecg_buf_puts(b, ECG_BUF_CUT_MARK);
}

size_t
ecg_buf_lines(const struct ecg_buf *b, size_t from)
{
	const char *p = b->p + from, *end = b->p + b->len;
	size_t n = 0;

	while (from < b->len && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

void
ecg_buf_truncate(struct ecg_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->p[len] = '\0';
	}
}

const char *
ecg_buf_str(const struct ecg_buf *b)
{
	return b->p != NULL ? b->p : "";
}

int
ecg_buf_failed(const struct ecg_buf *b)
{
	return b->failed;
}
