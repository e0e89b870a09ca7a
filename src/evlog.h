/*
 * evlog: a file that takes lines without ever making the loop wait.
 *
 * Lines are queued in a bounded buffer and written while the file takes
 * them (its own open file description, non-blocking).  A slow or stuck
 * reader only loses lines, counted, never time: the events stream of
 * --events must never slow the group or its cancellation.
 */
#ifndef ECG_EVLOG_H
#define ECG_EVLOG_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#define ECG_EVLOG_QUEUE ((size_t)256 * 1024)	/* bytes waiting for the file, at most */

struct ecg_evlog {
	struct ev_loop *loop;
	int fd;				/* -1 when closed */
	ev_io writable;			/* started while lines wait */
	char *buf;			/* the queue */
	size_t len;			/* bytes in it */
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
/* Writes what the file takes now, without waiting; the rest is lost. */
void ecg_evlog_flush(struct ecg_evlog *l);
/* Stops, closes, frees.  Safe on an object that was never opened. */
void ecg_evlog_close(struct ecg_evlog *l);

#endif
