/*
 * evjson: the events of a run as JSON Lines, for --events.
 *
 * One object per line.  Every object has "event", "time" (RFC 3339, UTC,
 * milliseconds), "mono_ms" (milliseconds since ecg-run started, on the
 * monotonic clock) and, when it concerns one task, "task".  Strings are
 * valid JSON whatever bytes a name or a message holds: quotes, backslashes
 * and control characters are escaped, and bytes that are not UTF-8 are
 * replaced by U+FFFD.  The schema (version 1, given in group_start) is in
 * ecg-run(1).
 */
#ifndef ECG_EVJSON_H
#define ECG_EVJSON_H

#include <stddef.h>

#include "base/buf.h"
#include "config/config.h"
#include "seed/event.h"
#include "report/evtext.h"

#define ECG_EVJSON_VERSION 1

struct ecg_evjson {
	const struct ecg_group_spec *group;
};

void ecg_evjson_init(struct ecg_evjson *j, const struct ecg_group_spec *group);
/*
 * The JSON lines of ev (none, one or two: an absorbed end is an exit and a
 * restart) appended to out, each with its newline.  A string of free text
 * (a message's piece, an error, a check) longer than ECG_EVENT_TEXT_MAX is
 * cut, ending in "...".  Returns the bytes appended.
 */
/*
 * s as a JSON string (escaped, valid UTF-8 whatever its bytes, cut
 * visibly past ECG_EVENT_TEXT_MAX) appended to b: for other writers of
 * the same schema (the control socket's answers).  _whole: never cut.
 */
void ecg_evjson_string(struct ecg_buf *b, const char *s);
void ecg_evjson_string_whole(struct ecg_buf *b, const char *s);
/* n bytes (NULs too) as a JSON string, whole. */
void ecg_evjson_bytes(struct ecg_buf *b, const char *s, size_t n);
size_t ecg_evjson_format(const struct ecg_evjson *j, const struct ecg_event *ev,
    struct ecg_buf *out);

#endif
