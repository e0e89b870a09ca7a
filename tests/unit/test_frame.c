/* How lines look: headers, -T stamps, where lines are cut, long messages (golden strings). */
#include <string.h>

#include "output/frame.h"
#include "tap.h"

static int
header_is(const struct ecg_frame_style *st, const char *stamp, const char *name, int color,
    const char *want)
{
	char hdr[ECG_FRAME_HDR_MAX];
	size_t n = ecg_frame_header(hdr, st, stamp, name, color);

	return n == strlen(want) && memcmp(hdr, want, n) == 0;
}

int
main(void)
{
	struct ecg_frame_style st = { 1, 0, 6 };
	struct ecg_buf b = ECG_BUF_INIT;
	char stamp[ECG_FRAME_STAMP_MAX], name[160];
	struct tm tm;
	int nl;

	ok(header_is(&st, "", "web", 0, "web    | "), "a name padded to the widest");
	ok(header_is(&st, "", "worker", 3, "worker | "), "the widest name is not padded");
	ok(header_is(&st, "12:00:01.002 ", "db", 0, "12:00:01.002 db     | "), "the stamp comes first");
	ok(header_is(&st, "", NULL, -1, ""), "ecg-run's own lines get no prefix");
	ok(header_is(&st, "12:00:01.002 ", NULL, -1, "12:00:01.002 "), "but a stamp");
	st.color = 1;
	ok(header_is(&st, "", "web", 0, "\033[36mweb    |\033[0m "), "colour around name and bar");
	ok(header_is(&st, "", "web", 13, "\033[33mweb    |\033[0m "), "the palette wraps around");
	ok(header_is(&st, "", "web", -1, "web    | "), "colour -1: none");
	st.prefix = 0;
	ok(header_is(&st, "", "web", 0, ""), "--no-prefix");
	st.prefix = 1;
	st.color = 0;
	st.name_width = 500;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	{
		char hdr[ECG_FRAME_HDR_MAX];
		size_t n = ecg_frame_header(hdr, &st, "12:00:01.002 ", name, 0);
		ok(n == 13 + ECG_FRAME_NAME_MAX + 3 && n <= ECG_FRAME_HDR_MAX,
		    "a name longer than the header holds is cut (%zu bytes)", n);
	}

	memset(&tm, 0, sizeof(tm));
	tm.tm_hour = 9;
	tm.tm_min = 5;
	tm.tm_sec = 7;
	ecg_frame_stamp_at(stamp, sizeof(stamp), &tm, 42);
	ok(strcmp(stamp, "09:05:07.042 ") == 0, "the stamp: hh:mm:ss.mmm and a space");
	ecg_frame_stamp(stamp, sizeof(stamp));
	ok(strlen(stamp) == 13 && stamp[2] == ':' && stamp[8] == '.', "now, in the same shape");

	/* ecg_frame_next(pos, len, nl, capacity, closed, &nl) */
	ok(ecg_frame_next(0, 10, 3, 100, 0, &nl) == 4 && !nl, "a line ends at its newline");
	ok(ecg_frame_next(4, 10, 10, 100, 0, &nl) == 0 && !nl, "no newline yet: wait");
	ok(ecg_frame_next(0, 100, 100, 100, 0, &nl) == 100 && nl,
	    "a full channel without a newline is a line of its own, with ours");
	ok(ecg_frame_next(4, 100, 100, 100, 0, &nl) == 0,
	    "a full channel that has lines before waits for them to go first");
	ok(ecg_frame_next(4, 10, 10, 100, 1, &nl) == 6 && nl, "a stream's end ends its last line");
	ok(ecg_frame_next(10, 10, 10, 100, 1, &nl) == 0, "nothing left, nothing to frame");

	ecg_frame_lines(&b, "a\nb\n", 4, "T ");
	ok(strcmp(ecg_buf_str(&b), "T a\nT b\n") == 0, "every line of the last words is stamped");
	ecg_buf_reset(&b);
	ecg_frame_lines(&b, "a\n\nc", 4, "T ");
	ok(strcmp(ecg_buf_str(&b), "T a\nT \nT c\n") == 0, "empty lines too; the last gets a newline");
	ecg_buf_reset(&b);
	ecg_frame_lines(&b, "a\nb\n", 4, NULL);
	ok(strcmp(ecg_buf_str(&b), "a\nb\n") == 0, "without -T the text is as it was");

	ecg_buf_reset(&b);
	ecg_frame_message(&b, "short message", 13, 64, 16);
	ok(strcmp(ecg_buf_str(&b), "short message") == 0, "a message within its limit is whole");
	ecg_buf_reset(&b);
	{
		const char *m = "ecg-run: db: not ready after 5s (command xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: refused), stopping the group";
		ecg_frame_message(&b, m, strlen(m), 64, 20);
		ok(b.len == 64, "a longer one is cut to the limit (%zu)", b.len);
		ok(strcmp(ecg_buf_str(&b),
		    "ecg-run: db: not ready after 5s (command ..., stopping the group") == 0,
		    "its head, ..., and its end: %s", ecg_buf_str(&b));
	}
	ecg_buf_reset(&b);
	/* "é" at the cut points: neither end splits it */
	ecg_frame_message(&b, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
	    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
	    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
	    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
	    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 80, 64, 9);
	ok(b.len <= 64 && ((unsigned char)b.p[0] == 0xC3) && strstr(b.p, "...") != NULL &&
	    (unsigned char)b.p[strstr(b.p, "...") - b.p + 3] == 0xC3 &&
	    (unsigned char)b.p[strstr(b.p, "...") - b.p - 1] == 0xA9,
	    "cuts fall between characters");
	ecg_buf_free(&b);
	return tap_done();
}
