/*
 * frame: how a line looks on ecg-run's output, as pure functions.
 *
 * The header in front of a task's line ("hh:mm:ss.mmm " with -T, then the
 * coloured, padded "NAME | "), where a stream's bytes are cut into lines
 * (at a newline; a line longer than its channel, or the end of a stream
 * without one, gets a newline of ours), the stamps in front of each line
 * of ecg-run's last words, and how a message too long for its limit is
 * cut visibly.  Nothing here reads a clock or writes anywhere, but for
 * ecg_frame_stamp, which reads the time it stamps.
 */
#ifndef ECG_FRAME_H
#define ECG_FRAME_H

#include <stddef.h>
#include <time.h>

#include "base/buf.h"

/* A header never needs more: stamp, colour, a name of at most NAME_MAX, " | ". */
#define ECG_FRAME_HDR_MAX 200
#define ECG_FRAME_NAME_MAX 100		/* longer names are cut in the header */
#define ECG_FRAME_STAMP_MAX 32		/* room for "hh:mm:ss.mmm " and its NUL */

struct ecg_frame_style {
	int prefix;			/* "NAME | " in front of task lines */
	int color;			/* colour that prefix */
	size_t name_width;		/* pad names to this width */
};

/* "hh:mm:ss.mmm " of a broken-down local time and its milliseconds. */
void ecg_frame_stamp_at(char *buf, size_t len, const struct tm *tm, long ms);
/* The same for now (the local time of the realtime clock). */
void ecg_frame_stamp(char *buf, size_t len);

/*
 * The header of a line of a source named name (NULL: ecg-run's own, which
 * get only the stamp) with colour index color (-1: none), into hdr (of
 * ECG_FRAME_HDR_MAX bytes); stamp is "" without -T.  Returns its length.
 */
size_t ecg_frame_header(char *hdr, const struct ecg_frame_style *st, const char *stamp,
    const char *name, int color);

/*
 * The next frame of a stream's bytes from pos, of len stored: nl is where
 * the first newline at or after pos is (len if none), capacity the
 * channel's size, closed whether the stream has ended.  Returns the
 * frame's length with *add_nl set when a newline of ours must end it, or
 * 0 when the line is not whole yet (and may still be).
 */
size_t ecg_frame_next(size_t pos, size_t len, size_t nl, size_t capacity, int closed,
    int *add_nl);

/*
 * Appends text (lines, the last one with or without its newline) to out,
 * each line with stamp in front (none if stamp is NULL or ""), every line
 * ending in a newline: ecg-run's last words, written after the pump.
 */
void ecg_frame_lines(struct ecg_buf *out, const char *text, size_t len, const char *stamp);

/*
 * Appends a one-line message to out, cut to at most max bytes (max is at
 * least 64) if it is longer: its head, "...", and its last tail bytes,
 * where its outcome is said (the status, the reason, "stopping the group").
 * Cuts never split a UTF-8 character.
 */
void ecg_frame_message(struct ecg_buf *out, const char *text, size_t len, size_t max,
    size_t tail);

#endif
