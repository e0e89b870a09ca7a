/*
 * buf: the one growable byte buffer for ecg-run's own text.
 *
 * Messages, the summary, JSON lines, the JUnit report and error texts are
 * all built in a buf, so none of them is cut by a fixed-size array (after
 * skalibs' stralloc).  The bytes are always followed by a NUL, so p can be
 * used as a string when the text holds none.  An allocation that fails
 * makes the buffer "failed": later appends do nothing, and the caller
 * checks once, at the end (ecg_buf_failed).  A limit, where one is wanted,
 * is the caller's: ecg_buf_put_cut cuts a piece of free text visibly.
 */
#ifndef ECG_BUF_H
#define ECG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ecg_buf {
	char *p;			/* the bytes and a NUL; NULL until the first append */
	size_t len;			/* bytes, without the NUL */
	size_t cap;			/* allocated */
	int failed;			/* an allocation failed: the text is incomplete */
};

#define ECG_BUF_INIT { NULL, 0, 0, 0 }

/* What ecg_buf_put_cut appends where it cut. */
#define ECG_BUF_CUT_MARK "..."

void ecg_buf_init(struct ecg_buf *b);
void ecg_buf_free(struct ecg_buf *b);
/* Empties it, keeping its storage (and forgetting a failure). */
void ecg_buf_reset(struct ecg_buf *b);
/* Room for n more bytes: 0 or -ENOMEM (and the buffer is failed). */
int ecg_buf_reserve(struct ecg_buf *b, size_t n);

void ecg_buf_put(struct ecg_buf *b, const void *s, size_t n);
void ecg_buf_puts(struct ecg_buf *b, const char *s);
void ecg_buf_putc(struct ecg_buf *b, char c);
void ecg_buf_printf(struct ecg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ecg_buf_vprintf(struct ecg_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/*
 * Appends the string s, or, if it is longer than max bytes, its first
 * bytes up to a character boundary (UTF-8) within max, then "...": a piece
 * of free text (a command, an error) that must not push what follows it
 * out of a message.  NULL appends nothing.
 */
void ecg_buf_put_cut(struct ecg_buf *b, const char *s, size_t max);
/* How many lines (newlines) the bytes from from on hold: what is lost when they are. */
size_t ecg_buf_lines(const struct ecg_buf *b, size_t from);
/* Drops bytes from the end down to len (no-op if it is not longer). */
void ecg_buf_truncate(struct ecg_buf *b, size_t len);

/* The text as a string: "" while empty. */
const char *ecg_buf_str(const struct ecg_buf *b);
int ecg_buf_failed(const struct ecg_buf *b);

/*
 * Where a piece of text of more than len bytes may be cut, at or before
 * len, so that no UTF-8 character is split: len itself when it is a
 * boundary (or the bytes there are not UTF-8).
 */
size_t ecg_buf_boundary(const char *s, size_t len);

#endif
