/*
 * sentinel: what stops the tasks when ecg-run itself is killed.
 *
 * SIGKILL (or a crash) gives ecg-run no chance to stop its group.  Each
 * task's main process dies with it (PR_SET_PDEATHSIG, see spawn.h), but
 * not the rest of its process group, nor processes that left it.  So at
 * start ecg-run forks a small sentinel process: a session of its own
 * (neither Ctrl-C nor a signal to ecg-run's process group reaches it),
 * with nothing open but /dev/null and the read end of a pipe from
 * ecg-run.  ecg-run tells it each task's process group as it starts and
 * ends.  When the pipe reaches end of file without ecg-run having said
 * goodbye, ecg-run is gone: the sentinel sends SIGKILL to every process
 * group it was told of, and to every process whose environment holds this
 * run's ECG_RUN_ID (escapees, which keep their environment), until none is
 * left; then it exits.  After a normal end it exits at once.
 *
 * The sentinel executes ecg-run's own program image again, with a command
 * line of its own (ECG_SENTINEL_ARGV0 and the run's id), so that killing
 * ecg-run by its command line (pkill -f 'ecg-run -c x.ini', a common
 * clean-up) never kills the sentinel too.  If that image cannot be
 * executed, the forked copy watches as it is.
 */
#ifndef ECG_SENTINEL_H
#define ECG_SENTINEL_H

#include <ev.h>
#include <stdint.h>
#include <sys/types.h>

#include "seed/event.h"

#define ECG_SENTINEL_BATCH 256
/* The sentinel's argv[0]: ecg-run started with it is the sentinel (see main). */
#define ECG_SENTINEL_ARGV0 "ecg-run-sentinel"

/* One message on the pipe. */
struct ecg_sentinel_record {
	int32_t op;
	int32_t pid;
};

struct ecg_sentinel {
	struct ev_loop *loop;
	pid_t pid;		/* the sentinel process, -1 if there is none */
	int fd;			/* our end of its pipe, -1 once closed */
	/*
	 * Records wait here for the end of the loop round and go in one
	 * write: each write wakes the sentinel, and a group of a thousand
	 * tasks starting or stopping at once should not wake it a thousand
	 * times.
	 */
	struct ecg_sentinel_record batch[ECG_SENTINEL_BATCH];
	unsigned nbatch;
	ev_prepare flush;	/* fed (never started) when the batch is not empty */
	int flush_fed;
};

void ecg_sentinel_init(struct ecg_sentinel *s, struct ev_loop *loop);
/*
 * Starts the sentinel for the run whose tasks carry ECG_RUN_ID=id.
 * 0, or -errno (there is then no sentinel: the run goes on without).
 */
int ecg_sentinel_start(struct ecg_sentinel *s, const char *id, const char *control);
/* A task's process group was made (alive) or is gone (!alive). */
void ecg_sentinel_group(struct ecg_sentinel *s, pid_t pgid, int alive);
/*
 * A subscriber of the run's events (arg: the sentinel): it knows each
 * run's process group while it may have members, and never keeps an id
 * the kernel may give again.
 */
void ecg_sentinel_event(void *arg, const struct ecg_event *ev);
/* The run is over: the sentinel exits without touching anything. */
void ecg_sentinel_release(struct ecg_sentinel *s);
/* The sentinel's pid, or 0 if it was not started. */
pid_t ecg_sentinel_pid(const struct ecg_sentinel *s);
/* Stops what ecg_sentinel_init set up (after release). */
void ecg_sentinel_destroy(struct ecg_sentinel *s);
/*
 * The sentinel's program, once executed again: watches descriptor 3 for
 * the run whose id is id.  Never returns.
 */
_Noreturn void ecg_sentinel_main(const char *id, const char *control);
/*
 * This program runs ecg_sentinel_main when started as ECG_SENTINEL_ARGV0
 * (ecg-run's main does): the sentinel may execute it again.  Without this
 * call (a test program) the forked copy watches as it is.
 */
void ecg_sentinel_can_exec(void);

#endif
