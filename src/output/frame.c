#define _GNU_SOURCE
#include "output/frame.h"

#include <stdio.h>
#include <string.h>

static const char *const palette[] = {
	"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m", "\033[31m",
	"\033[96m", "\033[93m", "\033[92m", "\033[95m", "\033[94m", "\033[91m",
};
#define PALETTE_SIZE (sizeof(palette) / sizeof(palette[0]))
#define COLOR_RESET "\033[0m"

void
ecg_frame_stamp_at(char *buf, size_t len, const struct tm *tm, long ms)
{
	snprintf(buf, len, "%02d:%02d:%02d.%03d ", tm->tm_hour % 100, tm->tm_min % 100,
	    tm->tm_sec % 100, (int)(ms % 1000));
}

void
ecg_frame_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	ecg_frame_stamp_at(buf, len, &tm, ts.tv_nsec / 1000000);
}

static char *
append(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

size_t
ecg_frame_header(char *hdr, const struct ecg_frame_style *st, const char *stamp,
    const char *name, int color)
{
	const char *c = NULL;
	char *p = hdr;
	size_t len;

	p = append(p, stamp, strnlen(stamp, ECG_FRAME_STAMP_MAX - 1));
	if (name == NULL || !st->prefix)
		return (size_t)(p - hdr);
	if (st->color && color >= 0)
		c = palette[(size_t)color % PALETTE_SIZE];
	if (c != NULL)
		p = append(p, c, strlen(c));
	len = strnlen(name, ECG_FRAME_NAME_MAX);
	p = append(p, name, len);
	for (; len < st->name_width && len < ECG_FRAME_NAME_MAX; len++)
		*p++ = ' ';
	p = append(p, " |", 2);
	if (c != NULL)
		p = append(p, COLOR_RESET, strlen(COLOR_RESET));
	*p++ = ' ';
	return (size_t)(p - hdr);
}

size_t
ecg_frame_next(size_t pos, size_t len, size_t nl, size_t capacity, int closed, int *add_nl)
{
	*add_nl = 0;
	if (pos >= len)
		return 0;
	if (nl < len)
		return nl + 1 - pos;
	/*
	 * No newline: a full channel cannot wait for one (the line is longer
	 * than the buffer), and a closed one will never get one.
	 */
	if ((pos == 0 && len == capacity) || closed) {
		*add_nl = 1;
		return len - pos;
	}
	return 0;
}

void
ecg_frame_lines(struct ecg_buf *out, const char *text, size_t len, const char *stamp)
{
	size_t st = stamp != NULL ? strlen(stamp) : 0;
	const char *nl;
	size_t n;

	while (len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		ecg_buf_put(out, stamp, st);
		ecg_buf_put(out, text, n);
		ecg_buf_putc(out, '\n');
		n += nl != NULL;
		text += n;
		len -= n;
	}
}

void
ecg_frame_message(struct ecg_buf *out, const char *text, size_t len, size_t max, size_t tail)
{
	size_t head, from;

	if (len <= max) {
		ecg_buf_put(out, text, len);
		return;
	}
	if (tail > max / 2)
		tail = max / 2;
	head = ecg_buf_boundary(text, max - tail - strlen(ECG_BUF_CUT_MARK));
	from = len - tail;
	/* The tail starts at a character too: skip continuation bytes. */
	while (from < len && ((unsigned char)text[from] & 0xC0) == 0x80)
		from++;
	ecg_buf_put(out, text, head);
	ecg_buf_puts(out, ECG_BUF_CUT_MARK);
	ecg_buf_put(out, text + from, len - from);
}
