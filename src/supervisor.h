/*
 * supervisor: a group run as an errgroup on one libev loop.
 *
 * It owns the contexts (root: ecg-run's own signals; group: the errgroup's,
 * a child of root), the errgroup whose members are every task and both
 * output streams, the output pump, and the signal and deadline watchers.
 * Once the group is cancelled, a deadline of the longest stop_timeout plus
 * a grace bounds how long anything may still take.
 */
#ifndef ECG_SUPERVISOR_H
#define ECG_SUPERVISOR_H

#include <ev.h>
#include <limits.h>
#include <sys/resource.h>

#include "config.h"
#include "context.h"
#include "errgroup.h"
#include "escapees.h"
#include "output.h"
#include "sentinel.h"
#include "task.h"

/* How many signals ecg-run handles (supervisor.c lists them). */
#define ECG_SUPERVISOR_SIGNALS 12

/* What may still happen after the longest stop_timeout, at most. */
#define ECG_SUPERVISOR_GRACE 2.0

struct ecg_supervisor_opts {
	int verbose;
	struct ecg_output_opts out;
	ecg_note_fn note;		/* receives every note; decides what to show */
	void *note_arg;
};

struct ecg_supervisor {
	struct ev_loop *loop;
	const struct ecg_group_spec *spec;
	struct ecg_context root;	/* cancelled by SIGINT, SIGTERM, SIGQUIT */
	struct ecg_context group;	/* the errgroup's context */
	struct ecg_context outroot;	/* cancelling it abandons output */
	struct ecg_errgroup eg;
	struct ecg_output out;
	struct ecg_task_host host;
	struct ecg_task *tasks;
	size_t ntasks;
	size_t live;			/* tasks not done yet */
	char shell[PATH_MAX];
	struct rlimit nofile;		/* the limit we were started with */
	struct ecg_sentinel sentinel;	/* stops the tasks if we are killed */
	char run_id[48];		/* ECG_RUN_ID of every task */
	ev_signal sigs[ECG_SUPERVISOR_SIGNALS];
	ev_timer deadline;		/* armed when the group is cancelled */
	struct ecg_context_waiter group_cancel;
	struct ecg_escapees escapees;	/* as last scanned */
	double scanned;			/* ev_now of that scan */
	unsigned scan_iteration;	/* 1 + the loop iteration of that scan */
	pid_t *mains;			/* scratch: pids of unreaped main processes */
	ev_timer sweep_poll;		/* at the end: are the escapees gone? */
	ev_timer sweep_kill;		/* at the end: their stop_timeout */
	int sweep_killed;
	int signal;			/* the signal that was the cause, or 0 */
	int interrupt;			/* the first SIGINT, SIGTERM or SIGQUIT, or 0 */
	double request_at[ECG_SUPERVISOR_SIGNALS];	/* when each was last a request */
	int abandoned;			/* the deadline passed */
};

/* 0, or -errno with a message in err. */
int ecg_supervisor_init(struct ecg_supervisor *sv, struct ev_loop *loop,
    const struct ecg_group_spec *spec, const struct ecg_supervisor_opts *opts,
    char *err, size_t errlen);
/* Runs the group to its end: returns the first cause's exit status. */
int ecg_supervisor_run(struct ecg_supervisor *sv);
void ecg_supervisor_destroy(struct ecg_supervisor *sv);

/*
 * The signal ecg-run should end by, raising it on itself, or 0: the first
 * interrupt (SIGINT, SIGTERM, SIGQUIT) it received, even when another
 * cause came first, so that a calling shell stops too; otherwise a signal
 * that was the cause of the cancellation.
 */
int ecg_supervisor_end_signal(const struct ecg_supervisor *sv);

#endif
