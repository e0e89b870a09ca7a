/*
 * pump: the queue that carries channels to ecg-run's stdout and stderr.
 *
 * Each task stream (its stdout or stderr) is a source: a channel plus what
 * the pump needs to frame it.  Sources whose channels hold a whole line
 * wait on their stream's ready queue; the pump takes whole lines from them
 * in turn, frames them (frame.h) and writes many lines per write(2)
 * through the stream's sink (sink.h), which never blocks the loop: a slow
 * reader stalls only the pump.
 *
 * A hold keeps a source's bytes from some point on until other sources
 * have had their bytes up to given points written: a message about a task
 * waits for the lines the task wrote before it (notes.h), and a task's
 * first lines wait for the message that says it started.  A hold never
 * waits on a source that goes to another file while that file takes no
 * bytes: a stuck stdout does not stop stderr (order across two files can
 * only be seen in time anyway).
 *
 * Each output stream is a member of the errgroup: it is done when all of
 * its sources have ended and been written, or when it fails (EPIPE: 141).
 */
#ifndef ECG_PUMP_H
#define ECG_PUMP_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "seed/channel.h"
#include "seed/context.h"
#include "seed/errgroup.h"
#include "output/frame.h"
#include "output/sink.h"

struct ecg_stream;
struct ecg_hold;

struct ecg_source {
	struct ecg_channel ch;		/* filled by the producer */
	struct ecg_stream *stream;	/* where its lines go */
	const char *name;		/* prefix name; NULL for ecg-run's own lines */
	int color;			/* index into the palette, -1 for none */
	int last;			/* written last: not a task's (see tasks_written) */
	int producing;			/* its producer may still add to its last line */
	struct ecg_source *next;	/* in the stream's ready queue */
	int queued;			/* on the ready queue */
	struct ecg_hold *holds;		/* what its bytes wait for, in order */
	struct ecg_hold **holds_tail;
	struct ecg_source *held_next;	/* in the stream's list of held sources */
	int on_held;			/* on that list */
	int finished;			/* ended and fully written (or thrown away) */
	int line_cut;			/* the last line written was cut: a newline was added */
	uint64_t dropped;		/* bytes its producer had to throw away */
	uint64_t taken;			/* bytes taken from its channel: written or thrown away */
	size_t clean_from, clean_to;	/* [from, to) of the channel has no newline */
};

/* Sources and how far their bytes must be out: see ecg_pump_hold. */
struct ecg_pump_mark {
	const struct ecg_source *src[2];	/* NULL: nothing */
	uint64_t upto[2];			/* in ecg_source.taken terms */
};

/* A partly written line: it goes out first, whatever else is ready. */
struct ecg_frame_rest {
	struct ecg_source *src;		/* NULL when nothing is partly written */
	char hdr[ECG_FRAME_HDR_MAX];	/* its header bytes not written yet */
	size_t hdr_off, hdr_len;	/* header bytes written / in all */
	size_t data;			/* bytes of the line still in the channel */
	int nl;				/* the added newline is still to write */
};

struct ecg_stream {
	struct ecg_pump *pump;
	struct ecg_sink sink;		/* the descriptor and how it is written */
	struct ecg_frame_style style;	/* how its lines are framed */
	char *stage;			/* where a batch is put together */
	ev_io writable;			/* started while a write is waiting for room */
	ev_prepare flush;		/* fed (never started) when lines wait for a write */
	int flush_fed;			/* and not run yet */
	int kicked;			/* its held sources may be free: look again */
	struct ecg_context ctx;		/* cancelled once this stream takes no more */
	struct ecg_context_waiter cancel;	/* our registration on ctx */
	struct ecg_source *ready, *ready_tail;
	struct ecg_source *held;	/* sources with holds (some may be free now) */
	struct ecg_frame_rest rest;
	char hdr[ECG_FRAME_HDR_MAX];	/* prefix of the source being batched */
	size_t hdr_len;
	unsigned nsources, nfinished;
	int failed_errno;		/* the write error that ended it, or 0 */
	int refused;			/* a write ever found no room */
	int cut;			/* a line was left half written */
	int member_done;		/* reported to the errgroup */
	uint64_t undelivered;		/* bytes thrown away from its channels */
};

struct ecg_pump_opts {
	int prefix;			/* put "NAME | " in front of task lines */
	int timestamps;			/* put "hh:mm:ss.mmm " in front of every line */
	int color[2];			/* colour the prefixes on stdout, on stderr */
	size_t name_width;		/* pad names to this width */
	size_t tasks;			/* how many: ecg-run's own messages grow with them */
};

/* What the pump tells its owner. */
struct ecg_pump_hooks {
	/* Writing to fd (1 or 2) failed with err: the stream takes no more. */
	void (*failed)(int fd, int err, void *arg);
	/* Every source but the last ones (ecg_pump_source_last) has ended and is out. */
	void (*tasks_written)(void *arg);
	void *arg;
};

struct ecg_pump {
	struct ev_loop *loop;
	struct ecg_errgroup *eg;
	struct ecg_context ctx;		/* cancelled when output is abandoned */
	struct ecg_stream streams[2];	/* stdout, stderr */
	int shared;			/* stdout and stderr are the same file */
	struct ecg_pump_opts opts;
	struct ecg_pump_hooks hooks;
	unsigned ntasks, ntasks_done;	/* sources that are not last, and of them ended */
	unsigned nheld;			/* sources with holds */
	char batch_ts[ECG_FRAME_STAMP_MAX];	/* the -T stamp of the batch being built */
};

/* 0, or -errno when the descriptors cannot be set up. */
int ecg_pump_init(struct ecg_pump *p, struct ev_loop *loop, struct ecg_context *parent,
    struct ecg_errgroup *eg, const struct ecg_pump_opts *opts, const struct ecg_pump_hooks *hooks);
void ecg_pump_destroy(struct ecg_pump *p);

/*
 * Adds a source for stream 1 (stdout) or 2 (stderr).  on_space and arg are
 * the producer's: see ecg_channel_init.
 */
void ecg_pump_source_init(struct ecg_pump *p, struct ecg_source *src, int fd, const char *name,
    int color, size_t capacity, ecg_channel_cb on_space, void *arg);
/* The source is ecg-run's own, written after the tasks' (not counted by tasks_written). */
void ecg_pump_source_last(struct ecg_source *src);
void ecg_pump_source_destroy(struct ecg_source *src);
/*
 * Whether src's producer is still writing (a task's pipe is open): while
 * it is, an unfinished last line (a prompt, a progress bar) holds no
 * message back; once it is not, that line is final and is waited for.
 */
void ecg_pump_source_producing(struct ecg_source *src, int on);
/* The value of src's taken count once its channel and more bytes are out. */
uint64_t ecg_pump_source_end(const struct ecg_source *src, size_t more);

/*
 * src's bytes from position from on (in taken terms) wait until every
 * source of until has had its bytes up to its mark taken, has ended, or
 * cannot take them (its stream failed or was given up, or it goes to
 * another file that takes nothing now, or what is left before its mark
 * is an unfinished line its producer is still writing).  Holds of one
 * source are met in the order they were made.  0, or -ENOMEM (then
 * nothing waits).
 */
int ecg_pump_hold(struct ecg_source *src, uint64_t from, const struct ecg_pump_mark *until);

/* Whether every source but the last ones has ended and been written. */
int ecg_pump_tasks_written(const struct ecg_pump *p);
/* Gives up on writing: throws away what is queued; streams finish at once. */
void ecg_pump_abandon(struct ecg_pump *p);
/* Whether lines carry -T stamps. */
int ecg_pump_timestamps(const struct ecg_pump *p);
/* Whether stdout and stderr are one file (2>&1): their losses are counted once. */
int ecg_pump_shared(const struct ecg_pump *p);
/* Bytes of task output that could not be written to fd (1 or 2), and the error. */
uint64_t ecg_pump_undelivered(const struct ecg_pump *p, int fd, int *err);
/* Whether the stream of fd ever found no room for a write. */
int ecg_pump_refused(const struct ecg_pump *p, int fd);

/*
 * Once the loop is over: writes b (ready to go, stamps and all) to fd,
 * after a newline if a line was left cut there, waiting for room until
 * until (ecg_clock_now seconds).  Nothing is written to a stream that
 * failed.  0, -ETIMEDOUT (the rest is lost), or -errno.
 */
int ecg_pump_write_last(struct ecg_pump *p, int fd, const char *b, size_t n, double until);

#endif
