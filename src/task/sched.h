/*
 * sched: when each task of the group starts and when it is stopped.
 *
 * A task starts once every task it is after is ready (tasks with nothing
 * to wait for start at once, in the order of the file) and a slot of the
 * errgroup's limit (max_parallel) is free; waiting for dependencies holds
 * no slot, and tasks ready to start take free slots in the order of the
 * file.  Waiting is a
 * state, not a blocked call: cancellation releases every waiting task at
 * once, and it never starts.  A task that ends, or fails its readiness
 * check, while another still waits for it cancels the group: nothing
 * waits forever.
 *
 * Stopping runs in reverse order: once the group is cancelled, a task
 * gets its stop signal when every task that is after it has ended (its
 * whole process group gone); tasks nothing is after are stopped at once,
 * in parallel.  Sidecars serve the others to the end: on any stop, a
 * sidecar gets its stop signal only once every task that is not a sidecar
 * has ended (a task that is not one never waits for a sidecar after it),
 * and once every other task has ended, the group is ended (cancelled
 * without a cause, if nothing else did) and they stop, in reverse order
 * among themselves.
 *
 * The group is ready once every task is ready (one that exited with 0
 * counts); the scheduler says so once, through its ready callback.
 */
#ifndef ECG_SCHED_H
#define ECG_SCHED_H

#include <stddef.h>

#include "seed/context.h"
#include "seed/event.h"
#include "task/task.h"

struct ecg_sched {
	struct ecg_task *tasks;
	const struct ecg_task_spec *specs;	/* what the file says of each */
	size_t n;
	struct ecg_context *ctx;	/* the group's: cancelled means stopping */
	struct ecg_context_waiter cancel;
	size_t **dependents;		/* per task: the tasks after it */
	size_t *ndependents;
	size_t *waits;			/* per task: tasks it is after, not ready yet */
	size_t *running_dependents;	/* per task: tasks after it, started, not done */
	char *said;			/* per task: what its wait for a slot was told (sched.c) */
	size_t *holders;		/* room for the tasks holding slots, to name them */
	long limit;			/* max_parallel, for messages */
	size_t first_waiting;		/* every task before it has left WAITING (or is not wanted) */
	char *wanted;			/* per task: done, and asked to start again */
	int scanning;			/* ecg_sched_slot_free is running */
	int rescan;			/* and should look again */
	size_t others_left;		/* tasks that are not sidecars, not done */
	size_t not_ready;		/* tasks neither ready nor exited 0 */
	int announced;			/* the group was said to be ready */
	ecg_event_fn event;
	void *event_arg;
	void (*ready)(void *arg);	/* the group is ready */
	void *ready_arg;
};

/* 0 or -ENOMEM. */
/* tasks and the specs they were made from, n of each. */
int ecg_sched_init(struct ecg_sched *s, struct ecg_task *tasks,
    const struct ecg_task_spec *specs, size_t n, struct ecg_context *ctx,
    ecg_event_fn event, void *event_arg);
void ecg_sched_destroy(struct ecg_sched *s);
/* ready(arg) once the group is ready; at most limit tasks at once (0: no limit). */
void ecg_sched_on_ready(struct ecg_sched *s, void (*ready)(void *arg), void *arg);
void ecg_sched_set_limit(struct ecg_sched *s, long limit);

/* Starts what can start; says which tasks wait, and for what. */
void ecg_sched_run(struct ecg_sched *s);

/* A slot of the errgroup's limit is free: waiting tasks take it in order. */
void ecg_sched_slot_free(struct ecg_sched *s);

/*
 * Task i is done (it ended, or was stopped as asked) and is asked to
 * start again: it takes a slot like the others, in the file's order.  0,
 * -EALREADY if it is not done (or already asked), -ECANCELED if the group
 * is stopping.
 */
int ecg_sched_start_again(struct ecg_sched *s, size_t i);

/*
 * A subscriber of the run's events (arg: the scheduler): a task's first
 * readiness starts those after it; an end that counts before it was ever
 * ready stops those that wait for it; a task done lets those it is after
 * stop.
 */
void ecg_sched_event(void *arg, const struct ecg_event *ev);

/*
 * The longest a stop can take, in ms, along the longest chain of tasks
 * after one another: each waits for its dependents' stop_timeout before
 * its own.
 */
long ecg_sched_stop_bound(const struct ecg_sched *s);

#endif
