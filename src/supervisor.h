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
#include "output.h"
#include "task.h"

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
	ev_signal sigs[12];
	ev_timer deadline;		/* armed when the group is cancelled */
	struct ecg_context_waiter group_cancel;
	int signal;			/* the signal that was the cause, or 0 */
	int abandoned;			/* the deadline passed */
};

/* 0, or -errno with a message in err. */
int ecg_supervisor_init(struct ecg_supervisor *sv, struct ev_loop *loop,
    const struct ecg_group_spec *spec, const struct ecg_supervisor_opts *opts,
    char *err, size_t errlen);
/* Runs the group to its end: returns the first cause's exit status. */
int ecg_supervisor_run(struct ecg_supervisor *sv);
void ecg_supervisor_destroy(struct ecg_supervisor *sv);

#endif
