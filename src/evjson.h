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
#include <time.h>

#include "config.h"
#include "event.h"

#define ECG_EVJSON_VERSION 1
/* A string of free text (a message, an error, a check) is cut at this length. */
#define ECG_EVJSON_TEXT_MAX 2048

struct ecg_evjson {
	const struct ecg_group_spec *group;
	struct timespec mono0;		/* when the run started */
	size_t line_max;		/* the longest line: the names of every task fit */
};

void ecg_evjson_init(struct ecg_evjson *j, const struct ecg_group_spec *group);
/*
 * The JSON lines of ev (none, one or two: an absorbed end is an exit and a
 * restart) into buf, each with its newline; buf has room for two lines of
 * line_max.  Returns the bytes written.
 */
size_t ecg_evjson_format(const struct ecg_evjson *j, const struct ecg_event *ev, char *buf,
    size_t len);

#endif
