/*
 * output: the pump that carries channels to ecg-run's stdout and stderr.
 *
 * Each task stream (its stdout or stderr) is a source: a channel plus what
 * the pump needs to frame it.  The pump takes whole lines from the sources
 * whose channels hold one, puts "NAME | " (and a timestamp, a colour) in
 * front, and writes many lines per writev(2).  A descriptor shared with
 * ecg-run's parent is never switched to non-blocking mode: the pump writes
 * through a private open file description instead (see output.c), so a
 * slow reader stalls only the pump, never the loop.
 *
 * Each output stream is a member of the errgroup: it is done when all of
 * its sources have ended and been written, or when it fails (EPIPE: 141).
 */
#ifndef ECG_OUTPUT_H
#define ECG_OUTPUT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "context.h"
#include "errgroup.h"

#define ECG_OUTPUT_HDR_MAX 200
#define ECG_OUTPUT_STAMP_MAX 32	/* room for a -T stamp (ecg_output_stamp) */

struct ecg_stream;

struct ecg_source {
	struct ecg_channel ch;		/* filled by the producer */
	struct ecg_stream *stream;	/* where its lines go */
	const char *name;		/* prefix name; NULL for ecg-run's own lines */
	int color;			/* index into the palette, -1 for none */
	struct ecg_source *next;	/* in the stream's ready queue */
	int queued;			/* on the ready queue */
	int finished;			/* ended and fully written (or thrown away) */
	int line_cut;			/* the last line written was cut: a newline was added */
	uint64_t dropped;		/* bytes its producer had to throw away */
	uint64_t taken;			/* bytes taken from its channel: written or thrown away */
	size_t clean_from, clean_to;	/* [from, to) of the channel has no newline */
};

/*
 * Where a message about a task must wait: it is written only once every
 * byte of those sources up to those counts is out (see ecg_output_note).
 */
struct ecg_output_mark {
	const struct ecg_source *src[2];	/* NULL: nothing to wait for */
	uint64_t upto[2];			/* in ecg_source.taken terms */
};

/* A message waiting for a mark (output.c). */
struct ecg_note_wait;
/* A message that must be written but found the message channel full. */
struct ecg_note_line;

/* A partly written line: it goes out first, whatever else is ready. */
struct ecg_frame_rest {
	struct ecg_source *src;		/* NULL when nothing is partly written */
	char hdr[ECG_OUTPUT_HDR_MAX];	/* its header bytes not written yet */
	size_t hdr_off, hdr_len;	/* header bytes written / in all */
	size_t data;			/* bytes of the line still in the channel */
	int nl;				/* the added newline is still to write */
};

struct ecg_stream {
	struct ecg_output *out;
	int fd;				/* what we write to */
	int orig_fd;			/* 1 or 2 */
	int own_fd;			/* fd is a private reopening we must close */
	int mode;			/* how writes avoid blocking: see output.c */
	int color;			/* colour the prefixes of its lines */
	char *stage;			/* where a batch is put together */
	ev_io writable;			/* started while a write is waiting for room */
	ev_prepare flush;		/* fed (never started) when lines wait for a write */
	int flush_fed;			/* and not run yet */
	struct ecg_context ctx;		/* cancelled once this stream takes no more */
	struct ecg_context_waiter cancel;	/* our registration on ctx */
	struct ecg_source *ready, *ready_tail;
	struct ecg_frame_rest rest;
	char hdr[ECG_OUTPUT_HDR_MAX];	/* prefix of the source being batched */
	size_t hdr_len;
	unsigned nsources, nfinished;
	int failed_errno;		/* the write error that ended it, or 0 */
	int refused;			/* a write ever found no room */
	int cut;			/* a line was left half written */
	int member_done;		/* reported to the errgroup */
	uint64_t undelivered;		/* bytes thrown away from its channels */
};

struct ecg_output_opts {
	int prefix;			/* put "NAME | " in front of task lines */
	int timestamps;			/* put "hh:mm:ss.mmm " in front of every line */
	int color[2];			/* colour the prefixes on stdout, on stderr */
	size_t name_width;		/* pad names to this width */
	size_t tasks;			/* how many: the message channel grows with them */
};

struct ecg_output {
	struct ev_loop *loop;
	struct ecg_errgroup *eg;
	struct ecg_context ctx;		/* cancelled when output is abandoned */
	struct ecg_stream streams[2];	/* stdout, stderr */
	int shared;			/* stdout and stderr are the same file */
	struct ecg_output_opts opts;
	struct ecg_source log;		/* ecg-run's own messages, on stderr */
	uint64_t log_dropped;		/* messages lost to a full log channel */
	uint64_t log_queued;		/* bytes of messages accepted so far */
	int notes_closing;		/* no more messages but the output's own */
	struct ecg_note_wait *waits;	/* messages waiting for task output, in order */
	int notes_kicked;		/* what they wait for may have come: look again */
	struct ecg_note_wait **waits_tail;
	struct ecg_note_line *overflow;	/* must-write messages the channel had no room for */
	struct ecg_note_line **overflow_tail;
	void (*on_fail)(int fd, int err, void *arg);	/* a stream failed */
	void *fail_arg;
	char batch_ts[ECG_OUTPUT_STAMP_MAX];	/* its "hh:mm:ss.mmm " */
};

/* 0, or -errno when the descriptors cannot be set up. */
int ecg_output_init(struct ecg_output *out, struct ev_loop *loop, struct ecg_context *parent,
    struct ecg_errgroup *eg, const struct ecg_output_opts *opts);
void ecg_output_destroy(struct ecg_output *out);

/*
 * Adds a source for stream 1 (stdout) or 2 (stderr).  on_space and arg are
 * the producer's: see ecg_channel_init.
 */
void ecg_output_source_init(struct ecg_output *out, struct ecg_source *src, int fd,
    const char *name, int color, size_t capacity, ecg_channel_cb on_space, void *arg);
void ecg_output_source_destroy(struct ecg_source *src);

/*
 * Queues one line of ecg-run's own (without newline) for stderr.  With a
 * mark, the line is written after every byte the mark names (a task's
 * output from before the event the line tells of): always where those
 * bytes go to the same file, and on another file as long as that file
 * takes them (a stuck stdout does not hold stderr's messages back).  A
 * line that finds the message channel full is dropped and counted, unless
 * must is set (the cause of a cancellation, errors): then it waits in
 * memory for its turn.
 */
void ecg_output_note(struct ecg_output *out, const char *line, size_t len, int must,
    const struct ecg_output_mark *mark);
/* The value of src's taken count once its channel and more bytes are out. */
uint64_t ecg_output_source_end(const struct ecg_source *src, size_t more);
/* How messages were lost: their count, and whether stderr ever refused bytes. */
uint64_t ecg_output_notes_dropped(const struct ecg_output *out, int *stderr_refused);
/*
 * No more notes will come from the caller; the messages end once every
 * task line is out (a stream may still fail and say so).
 */
void ecg_output_close_notes(struct ecg_output *out);
/* Gives up on writing: throws away what is queued; streams finish at once. */
void ecg_output_abandon(struct ecg_output *out);
/* Writes a last line to stderr if it can be done without waiting. */
void ecg_output_final(struct ecg_output *out, const char *line, size_t len);
/* The local time as -T puts it in front of lines: "hh:mm:ss.mmm ". */
void ecg_output_stamp(char *buf, size_t len);
/* Whether stdout and stderr are one file (2>&1): their losses are counted once. */
int ecg_output_shared(const struct ecg_output *out);
/* Bytes of task output that could not be written to fd (1 or 2). */
uint64_t ecg_output_undelivered(const struct ecg_output *out, int fd, int *err);

#endif
