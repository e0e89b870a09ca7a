/*
 * sink: one of ecg-run's own output descriptors (stdout, stderr), written
 * without ever blocking the loop.
 *
 * The descriptor is shared with whoever started ecg-run, so its open file
 * description is never made non-blocking; how a write avoids waiting
 * depends on what the descriptor is (see sink.c).  A write error other
 * than "no room now" ends the sink for good: EPIPE is reported as a shell
 * reports a command killed by SIGPIPE (141), anything else as ecg-run's
 * own error (125).
 */
#ifndef ECG_SINK_H
#define ECG_SINK_H

#include <stddef.h>
#include <sys/types.h>

enum ecg_sink_mode {
	ECG_SINK_PRIVATE,	/* pipe, FIFO, terminal: a non-blocking reopening of our own */
	ECG_SINK_SOCKET,	/* send(2) with MSG_DONTWAIT */
	ECG_SINK_FILE,		/* regular file, block device: plain writes never wait */
	ECG_SINK_GUARDED,	/* the reopening failed: poll(2), then at most PIPE_BUF */
};

struct ecg_sink {
	int fd;				/* what we write to, -1 once closed */
	int orig_fd;			/* 1 or 2 */
	int own_fd;			/* fd is a reopening of ours, to close */
	enum ecg_sink_mode mode;
};

/* Sets up the sink for descriptor fd (1 or 2).  Never fails: GUARDED is the fallback. */
void ecg_sink_open(struct ecg_sink *k, int fd);
void ecg_sink_close(struct ecg_sink *k);

/* The most one write may carry for it never to block: limit, or less. */
size_t ecg_sink_write_max(const struct ecg_sink *k, size_t limit);
/*
 * One write of at most ecg_sink_write_max bytes that never blocks: the
 * bytes written, or -1 with errno (EAGAIN: no room now).
 */
ssize_t ecg_sink_write(struct ecg_sink *k, const void *b, size_t n);
/*
 * All of b, for ecg-run's last words once the loop is over: waits for room
 * (poll) while until (ecg_clock_now seconds) has not passed.  0, -ETIMEDOUT
 * when time ran out first (*done says how much was written), or -errno.
 */
int ecg_sink_write_all(struct ecg_sink *k, const void *b, size_t n, double until, size_t *done);

/* The exit status a failed write gives: 141 for EPIPE, 125 otherwise. */
int ecg_sink_status(int err);
/* Whether descriptors a and b are one file (2>&1). */
int ecg_sink_same_file(int a, int b);

#endif
