/*
 * taskio: a task's stdout and stderr pipes as the producers of its two
 * output channels.
 *
 * Each pipe is read into its channel while the channel has room; a full
 * channel stops the watcher (the task then blocks in write(2): that is the
 * backpressure), and the channel's space callback starts it again.  A
 * line tap, when set, sees every line of either stream as the task wrote
 * it (without prefix or newline), for readiness checks that wait for a
 * line; it never changes what is printed.  A log file, when set, gets
 * every line too (logfile.h), and the last bytes of stderr may be kept for
 * reports.
 */
#ifndef ECG_TASKIO_H
#define ECG_TASKIO_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "output/logfile.h"
#include "output/pump.h"

/* Lines longer than this are given to the tap cut at this length. */
#define ECG_TASKIO_TAP_MAX 4096
/*
 * What the taps of all tasks may take in one round of the loop, in bytes:
 * a read feeding a tap takes at most ECG_TASKIO_TAP_MAX, and once the
 * round's share is used, tapped pipes are read in the next round.  With
 * the ERE size limit (ere.h) matching never holds the loop for long.
 */
#define ECG_TASKIO_TAP_ROUND ((size_t)8 * 1024)

/* Shared by every task's taskio: what the taps took in this round of the loop. */
struct ecg_taskio_round {
	unsigned iteration;		/* the round counted (ev_iteration) */
	size_t bytes;
};

struct ecg_taskio;

struct ecg_taskio_hooks {
	/* Both pipes are closed now. */
	void (*closed)(struct ecg_taskio *io, void *arg);
	/* Reading stream (1 stdout, 2 stderr) failed with err. */
	void (*read_error)(struct ecg_taskio *io, int stream, int err, void *arg);
	/* The grace for pipes held open outside the task ran out: closing them. */
	void (*held)(struct ecg_taskio *io, void *arg);
	/* The log file failed for the first time (see logfile.h). */
	void (*log_error)(struct ecg_taskio *io, const char *op, int err, void *arg);
};

typedef void (*ecg_taskio_tap_fn)(struct ecg_taskio *io, const char *line, size_t len,
    void *arg);

/*
 * Whoever follows the output of tasks (ecg-run ctl logs), shared by every
 * task: fn (when set) sees the bytes of stream (1 stdout, 2 stderr) of task
 * id as they are read, start set when they begin a line; b NULL says the
 * run is over and its last line, without a newline, ends there.
 */
struct ecg_taskio_follow {
	void (*fn)(void *arg, size_t id, int stream, const char *b, size_t n, int start);
	void *arg;
};

struct ecg_taskio_pipe {
	struct ecg_taskio *io;
	int fd;				/* our read end, -1 once closed */
	ev_io readable;
	struct ecg_source src;		/* its channel to the output */
	char last;			/* the last byte read, '\0' before any */
	char seen_last;			/* the last byte the followers saw, '\0' before any */
	char *tap_line;			/* the tap's line so far, or NULL */
	size_t tap_len;
};

struct ecg_taskio {
	struct ev_loop *loop;
	struct ecg_taskio_pipe pipes[2];	/* stdout, stderr */
	ev_timer grace;			/* for pipes held outside the group */
	ev_idle log_idle;		/* writes the log's lines when the loop is idle */
	const struct ecg_taskio_hooks *hooks;
	void *arg;
	ecg_taskio_tap_fn tap;		/* NULL: no tap */
	void *tap_arg;
	struct ecg_taskio_round *round;	/* the taps' share of the loop, or NULL */
	const struct ecg_taskio_follow *follow;	/* or NULL */
	size_t follow_id;		/* this task's number for them */
	char *tail;			/* the last bytes of stderr, or NULL */
	size_t tail_cap, tail_len;
	struct ecg_logfile *log;	/* where the lines are also written, or NULL */
	int stamps;			/* with -T stamps */
	int tty;			/* pipes[0] is a pseudo-terminal's master; no pipes[1] */
	char *tty_path;			/* its slave's path (a terminal only) */
	char *stamp;			/* the stamp of the bytes being read (a log with stamps only) */
};

void ecg_taskio_init(struct ecg_taskio *io, struct ev_loop *loop, struct ecg_pump *pump,
    const char *name, int color, size_t buffer, const struct ecg_taskio_hooks *hooks,
    void *arg);
/* Counts what its tap takes against round, shared with the other tasks. */
void ecg_taskio_share(struct ecg_taskio *io, struct ecg_taskio_round *round);
/* Tells follow (shared with the other tasks) what it reads, as task id. */
void ecg_taskio_followed(struct ecg_taskio *io, const struct ecg_taskio_follow *follow, size_t id);
void ecg_taskio_destroy(struct ecg_taskio *io);

/* Makes both pipes; wr gets their write ends, for the child.  0 or -errno. */
int ecg_taskio_open(struct ecg_taskio *io, int wr[2]);
/*
 * Instead: a pseudo-terminal (tty = yes), ws its size; *slave gets its
 * slave end for the child's stdout and stderr (merged, as on a terminal),
 * which does not turn \n into \r\n.  0 or -errno.
 */
int ecg_taskio_open_tty(struct ecg_taskio *io, int *slave, const struct winsize *ws);
/* A new size for its pseudo-terminal, if it has one (the kernel tells the task: SIGWINCH). */
void ecg_taskio_resize(struct ecg_taskio *io, const struct winsize *ws);
/* The child has them now: starts reading. */
void ecg_taskio_start(struct ecg_taskio *io);
/* Takes in what the pipes hold now, as far as the channels have room. */
void ecg_taskio_drain(struct ecg_taskio *io);
/*
 * The task's processes are gone: a pipe still open is held by some
 * stranger, and is closed after a grace (unless its bytes are only slow).
 */
void ecg_taskio_linger(struct ecg_taskio *io);
/* Closes both pipes now (the channels stay: see ecg_taskio_end). */
void ecg_taskio_close(struct ecg_taskio *io);
/* The task is over: both channels end (and the pipes close, if open); so does the log. */
void ecg_taskio_end(struct ecg_taskio *io);
/* Between two runs: a last line without a newline gets one (in the log too). */
void ecg_taskio_break(struct ecg_taskio *io);
/*
 * A new descriptor for writing into stream (1 or 2) as the task does (a
 * stop command's output is the task's), or -1 if its pipe is closed.
 */
int ecg_taskio_writer(const struct ecg_taskio *io, int stream);
/* Whether both pipes are closed. */
int ecg_taskio_closed(const struct ecg_taskio *io);

/* Sets (or with NULL, removes) the line tap. */
void ecg_taskio_tap(struct ecg_taskio *io, ecg_taskio_tap_fn fn, void *arg);

/*
 * Also writes every line to lf (open by now), with a -T stamp if stamps is
 * set; the end of the task (ecg_taskio_end) closes it.  0 or -ENOMEM.
 */
int ecg_taskio_log(struct ecg_taskio *io, struct ecg_logfile *lf, int stamps);

/* Keep the last (about) cap bytes the task wrote to stderr.  0 or -ENOMEM. */
int ecg_taskio_keep_tail(struct ecg_taskio *io, size_t cap);
/* Those bytes: their length, and where they are. */
size_t ecg_taskio_tail(const struct ecg_taskio *io, const char **bytes);

/*
 * How far the task's output is: what its channels hold, and with unread
 * what its pipes hold too.  A message about the task waits for all it
 * wrote before (unread); the message that it started holds back what it
 * writes after (see ecg_notes_gate).
 */
void ecg_taskio_mark(const struct ecg_taskio *io, int unread, struct ecg_pump_mark *m);
/* Bytes of stream (1 or 2) thrown away because its output was gone. */
uint64_t ecg_taskio_dropped(const struct ecg_taskio *io, int stream);

#endif
