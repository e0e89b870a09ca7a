/* The growable text buffer: growth, printf of any length, visible cuts. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "tap.h"

int
main(void)
{
	struct ecg_buf b = ECG_BUF_INIT;
	char *big;
	size_t i;

	ok(strcmp(ecg_buf_str(&b), "") == 0 && b.len == 0, "an empty buffer is the empty string");
	ecg_buf_puts(&b, "abc");
	ecg_buf_putc(&b, '-');
	ecg_buf_printf(&b, "%d/%s", 42, "x");
	ok(strcmp(ecg_buf_str(&b), "abc-42/x") == 0 && b.len == 8, "put, putc and printf append");

	/* a printf far longer than any first guess */
	big = malloc(300000);
	memset(big, 'y', 299999);
	big[299999] = '\0';
	ecg_buf_reset(&b);
	ecg_buf_printf(&b, "<%s>", big);
	ok(b.len == 300001 && b.p[0] == '<' && b.p[300000] == '>' && b.p[300001] == '\0',
	    "printf of 300,001 bytes is whole (%zu)", b.len);
	for (i = 0; i < 1000; i++)
		ecg_buf_put(&b, "0123456789", 10);
	ok(b.len == 310001 && memcmp(b.p + b.len - 10, "0123456789", 10) == 0,
	    "appends go on growing it");

	/* visible cuts at a character boundary */
	ecg_buf_reset(&b);
	ecg_buf_put_cut(&b, "short", 10);
	ok(strcmp(ecg_buf_str(&b), "short") == 0, "a text within the limit is not cut");
	ecg_buf_reset(&b);
	ecg_buf_put_cut(&b, "0123456789abc", 10);
	ok(strcmp(ecg_buf_str(&b), "0123456789...") == 0, "a longer one is cut and marked");
	ecg_buf_reset(&b);
	/* "é" is two bytes: a cut at 4 would split the second one */
	ecg_buf_put_cut(&b, "ab\xC3\xA9\xC3\xA9z", 5);
	ok(strcmp(ecg_buf_str(&b), "ab\xC3\xA9...") == 0, "a cut never splits a character");
	ecg_buf_reset(&b);
	ecg_buf_put_cut(&b, "ab\xF0\x9F\x98\x80z", 4);
	ok(strcmp(ecg_buf_str(&b), "ab...") == 0, "a four-byte character goes whole or not at all");
	ok(ecg_buf_boundary("a\x80\x80\x80\x80", 4) == 4, "bytes that are not UTF-8 are cut where asked");
	ecg_buf_reset(&b);
	ecg_buf_put_cut(&b, NULL, 4);
	ok(b.len == 0, "NULL appends nothing");

	ecg_buf_reset(&b);
	ecg_buf_puts(&b, "hello world");
	ecg_buf_truncate(&b, 5);
	ok(strcmp(ecg_buf_str(&b), "hello") == 0, "truncate keeps the first bytes");
	ecg_buf_reset(&b);
	ecg_buf_puts(&b, "one\ntwo\nthree");
	ok(ecg_buf_lines(&b, 0) == 2 && ecg_buf_lines(&b, 4) == 1 && ecg_buf_lines(&b, b.len) == 0,
	    "lines counts the newlines from a point on");
	ok(!ecg_buf_failed(&b), "nothing failed");
	ecg_buf_free(&b);
	ok(b.p == NULL && b.len == 0, "free leaves an empty buffer");
	free(big);
	return tap_done();
}
