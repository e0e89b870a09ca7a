/*
 * supervisor: a group run as an errgroup on one libev loop.
 *
 * It assembles the run: the contexts (root: ecg-run's own signals; group:
 * the errgroup's, a child of root), the errgroup whose members are every
 * task and both output streams, the output pump, the tasks, the scheduler
 * that starts and stops them, the signal policy, the sweep of escaped
 * processes and the sentinel.  Once the group is cancelled, a deadline
 * bounds how long anything may still take: the stop_timeouts along the
 * longest chain of tasks after one another, plus a grace.
 */
#ifndef ECG_SUPERVISOR_H
#define ECG_SUPERVISOR_H

#include <ev.h>
#include <limits.h>
#include <stdint.h>
#include <sys/resource.h>

#include "config/config.h"
#include "seed/context.h"
#include "seed/errgroup.h"
#include "seed/event.h"
#include "output/notes.h"
#include "output/pump.h"
#include "task/sched.h"
#include "sys/sentinel.h"
#include "run/signals.h"
#include "run/sweep.h"
#include "task/task.h"

/* What may still happen after the longest chain of stop_timeouts, at most. */
#define ECG_SUPERVISOR_GRACE ((double)ECG_CONFIG_STOP_GRACE_MS / 1000.0)

struct ecg_supervisor_opts {
	struct ecg_pump_opts out;
	size_t stderr_tail;		/* keep each task's last stderr bytes (0: none) */
	const char *control;		/* the control socket's path (ECG_CONTROL), or NULL */
	ecg_event_fn event;		/* receives every event; decides what to show */
	void *event_arg;
};

struct ecg_supervisor {
	struct ev_loop *loop;
	const struct ecg_group_spec *spec;
	struct ecg_context root;	/* cancelled by SIGINT, SIGTERM, SIGQUIT */
	struct ecg_context group;	/* the errgroup's context */
	struct ecg_context outroot;	/* cancelling it abandons output */
	struct ecg_errgroup eg;
	struct ecg_pump pump;		/* task output, and ecg-run's own */
	struct ecg_notes notes;		/* ecg-run's own messages */
	struct ecg_bus bus;		/* every event: the front end, the scheduler, us */
	struct ecg_task_host host;
	struct ecg_task *tasks;
	size_t ntasks;
	size_t live;			/* tasks not done yet */
	char shell[PATH_MAX];
	struct rlimit nofile;		/* the limit we were started with */
	struct ecg_sentinel sentinel;	/* stops the tasks if we are killed */
	char run_id[48];		/* ECG_RUN_ID of every task */
	struct ecg_signals signals;
	struct ecg_sched sched;
	struct ecg_sweep sweep;
	struct ecg_notify_dir notify_dir;	/* made if a task has ready = notify */
	ev_timer deadline;		/* armed when the group is cancelled */
	ev_timer group_deadline;	/* the group's deadline = ..., if any */
	struct ecg_context_waiter group_cancel;
	int abandoned;			/* the deadline passed */
	int sweeping;			/* the end sweep is a member of the errgroup */
	int pump_made;			/* the pump (and notes) were set up */
};

/* 0, or -errno with a message appended to err. */
int ecg_supervisor_init(struct ecg_supervisor *sv, struct ev_loop *loop,
    const struct ecg_group_spec *spec, const struct ecg_supervisor_opts *opts,
    struct ecg_buf *err);
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

/* For the control socket: the tasks, by number or name (-1: none such). */
size_t ecg_supervisor_ntasks(const struct ecg_supervisor *sv);
const struct ecg_task *ecg_supervisor_task(const struct ecg_supervisor *sv, size_t i);
long ecg_supervisor_find(const struct ecg_supervisor *sv, const char *name);
/* sig to task i's process group (if it has one that may have members). */
void ecg_supervisor_signal_task(struct ecg_supervisor *sv, size_t i, int sig);
/*
 * Stops the group as SIGTERM would, the cause "shutdown requested" (by
 * the control client pid): the status stays 0 unless a task failed
 * before.  0, or -EALREADY if the group is stopping already.
 */
int ecg_supervisor_shutdown(struct ecg_supervisor *sv, long pid);
/*
 * Requests of ecg-run ctl (by: the client's pid), for task i: restart it
 * (it must run: -EALREADY if not), stop it and keep it stopped
 * (-EALREADY if it is not running or waiting), start it again (it must be
 * done: -EALREADY if not).  -ECANCELED while the group is stopping.
 */
int ecg_supervisor_restart_task(struct ecg_supervisor *sv, size_t i, long by);
int ecg_supervisor_stop_task(struct ecg_supervisor *sv, size_t i, long by);
int ecg_supervisor_start_task(struct ecg_supervisor *sv, size_t i, long by);
/* The loop it runs on. */
struct ev_loop *ecg_supervisor_loop(const struct ecg_supervisor *sv);
/* Whether the group is stopping. */
int ecg_supervisor_stopping(const struct ecg_supervisor *sv);
/* An event of the run's, to every subscriber. */
void ecg_supervisor_publish(struct ecg_supervisor *sv, const struct ecg_event *ev);
/* One more subscriber of every event of the run (after those of the supervisor). */
int ecg_supervisor_subscribe(struct ecg_supervisor *sv, ecg_event_fn fn, void *arg);

/*
 * Who follows the tasks' output as it is read (see struct
 * ecg_taskio_follow; id is the task's number): fn NULL for nobody.
 */
void ecg_supervisor_follow(struct ecg_supervisor *sv,
    void (*fn)(void *arg, size_t id, int stream, const char *b, size_t n, int start), void *arg);

/* How far task number i's output is (see ecg_task_output_mark). */
void ecg_supervisor_mark(const struct ecg_supervisor *sv, size_t i, int unread,
    struct ecg_pump_mark *m);
/* The output pump, and ecg-run's messages on it, for the front end. */
struct ecg_pump *ecg_supervisor_pump(struct ecg_supervisor *sv);
struct ecg_notes *ecg_supervisor_notes(struct ecg_supervisor *sv);
/* The last stderr bytes of task i (with opts.stderr_tail): length and where. */
size_t ecg_supervisor_stderr_tail(const struct ecg_supervisor *sv, size_t i,
    const char **bytes);
/* Task bytes meant for fd (1 or 2) that were thrown away. */
uint64_t ecg_supervisor_dropped(const struct ecg_supervisor *sv, int fd);

#endif
