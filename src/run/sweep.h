/*
 * sweep: the processes that left their task's process group.
 *
 * A task's processes may leave its process group (setsid, a double fork):
 * as a child subreaper, ecg-run gets them once their parent dies.  The
 * sweep keeps the list of such escapees (escapees.h), scanned again at
 * most every SCAN_EVERY and at most once per loop iteration when forced,
 * and answers the tasks' question "which of my processes are outside my
 * group?".  Once every task is over, what is left (an escapee that
 * outlived its task, or one of no known task) is stopped like its task
 * (or with the group's defaults): stop signal, SIGCONT, SIGKILL.
 */
#ifndef ECG_SWEEP_H
#define ECG_SWEEP_H

#include <ev.h>
#include <sys/types.h>

#include "config/config.h"
#include "sys/escapees.h"
#include "seed/event.h"
#include "task/task.h"

struct ecg_sweep {
	struct ev_loop *loop;
	struct ecg_task *tasks;
	size_t ntasks;
	const struct ecg_group_spec *spec;
	struct ecg_escapees escapees;	/* as last scanned */
	double scanned;			/* ev_now of that scan */
	unsigned scan_iteration;	/* 1 + the loop iteration of that scan */
	pid_t *mains;			/* scratch: pids of unreaped main processes */
	pid_t *seen;			/* per task: the run whose orphans were looked for */
	pid_t sentinel;			/* our child too, and no escapee; 0 if none */
	ev_timer poll;			/* at the end: are the escapees gone? */
	ev_timer kill;			/* at the end: their stop_timeout */
	int killed;			/* SIGKILL was sent */
	ecg_event_fn event;
	void *event_arg;
	void (*ended)(void *arg);	/* the end sweep is over */
	void *arg;
};

/* 0 or -ENOMEM. */
int ecg_sweep_init(struct ecg_sweep *sw, struct ev_loop *loop, struct ecg_task *tasks,
    size_t ntasks, const struct ecg_group_spec *spec, ecg_event_fn event, void *event_arg);
void ecg_sweep_destroy(struct ecg_sweep *sw);
/* ended(arg) once the end sweep is over; sentinel: our child that is no escapee (0: none). */
void ecg_sweep_on_end(struct ecg_sweep *sw, void (*ended)(void *arg), void *arg);
void ecg_sweep_set_sentinel(struct ecg_sweep *sw, pid_t sentinel);

/*
 * The task hook: sends sig (unless 0) to the escapees of task number
 * task (its run pid, whose main process was reaped or not), returns how
 * many are alive.
 */
size_t ecg_sweep_task(struct ecg_sweep *sw, size_t task, pid_t pid, int reaped, int sig);

/*
 * Every task is over: stops what is left.  Returns 1 if that takes time
 * (ended is called once it is over), 0 if nothing was left (or kill is
 * set: everything left got SIGKILL, nobody waits).
 */
int ecg_sweep_begin(struct ecg_sweep *sw, int kill);
/* The deadline: SIGKILL to what is left, and the sweep is over now. */
void ecg_sweep_abandon(struct ecg_sweep *sw);

#endif
