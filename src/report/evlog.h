/*
 * evlog: a file that takes lines without ever making the loop wait.
 *
 * Lines are queued in memory and written while the file takes them (its
 * own open file description, non-blocking): from the loop, and at once
 * whenever a batch has gathered, so a regular file, or any reader that
 * keeps up, gets every line however many come in one loop round (a large
 * group starting).  A reader that takes nothing lets the queue grow to
 * ECG_EVLOG_QUEUE_MAX; past that, lines are lost and counted, never time:
 * the events stream of --events must never slow the group or its
 * cancellation.
 */
#ifndef ECG_EVLOG_H
#define ECG_EVLOG_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define ECG_EVLOG_QUEUE_MAX ((size_t)16 * 1024 * 1024)	/* bytes waiting for the file, at most */
#define ECG_EVLOG_BATCH ((size_t)64 * 1024)	/* written at once when this much waits */

struct ecg_evlog {
	struct ev_loop *loop;
	int fd;				/* -1 when closed */
	ev_io writable;			/* started while lines wait */
	struct ecg_buf queue;		/* lines not written yet, from off */
	size_t off;
	uint64_t lost;			/* lines thrown away */
	int err;			/* the write error that stopped it, or 0 */
};

/*
 * Opens path for appending (created with mode 0644 less the umask);
 * "/dev/fd/N" reopens a descriptor the caller gave.  0 or -errno.
 */
int ecg_evlog_open(struct ecg_evlog *l, struct ev_loop *loop, const char *path);
/* Queues one line (with its newline), or counts it lost. */
void ecg_evlog_put(struct ecg_evlog *l, const char *line, size_t len);
/*
 * Writes what is queued, waiting for the file to take it until until
 * (ecg_clock_now seconds); what is left then is lost.
 */
void ecg_evlog_flush(struct ecg_evlog *l, double until);
/* Stops, closes, frees.  Safe on an object that was never opened. */
void ecg_evlog_close(struct ecg_evlog *l);
/* Whether it is open. */
int ecg_evlog_is_open(const struct ecg_evlog *l);
/* Lines thrown away, and the write error that stopped it (0: none, it was too slow). */
uint64_t ecg_evlog_lost(const struct ecg_evlog *l, int *err);

#endif
