/*
 * task: one command of the group, run as its own process group.
 *
 * A task is a transition table (taskstate.h): every input (its process
 * executed or ended, its readiness check passed or failed, its timeout,
 * the scheduler asks it to start or stop, its process group and pipes are
 * gone) goes through ecg_task_input, which moves it to the state the table
 * names and takes the cell's action.  How a run ended (struct
 * ecg_run_end) is written only by actions; whether it runs again is
 * restart.h's pure decision, which comes back to the table as an input.
 * What a task does to the system goes through its world's functions
 * (taskops.h; the real world is taskrun.h), so that a unit test can drive
 * it through every cell without a process.
 *
 * What it does is said by events (event.h), its one way out: those the
 * user sees, and its life for the modules that follow it.
 *
 * A task is two errgroup members: each run's main process (done when it
 * ends, fails its readiness check or times out, with its failure if that
 * counts and no restart absorbs it) and the task as a whole, which holds
 * a slot of the errgroup's limit from its start until it is DONE (its
 * restarts included; a sidecar holds none).  It never watches the group's
 * context itself: the scheduler decides when it starts and when it is
 * stopped.
 */
#ifndef ECG_TASK_H
#define ECG_TASK_H

#include <ev.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "seed/errgroup.h"
#include "seed/event.h"
#include "output/pump.h"
#include "task/restart.h"
#include "task/taskops.h"
#include "task/taskrun.h"
#include "task/taskstate.h"

/* How a run ended, and what follows: written by the table's actions only. */
struct ecg_run_end {
	enum ecg_end end;
	int code;			/* the status its end gives, as a shell shows it */
	int start_code;			/* 126 or 127 once its start failed, else 0 */
	int failed;			/* its end is a failure (success_status says which are not) */
	struct ecg_restart_decision restart;
};

struct ecg_task;

/* What every task of a run shares. */
struct ecg_task_host {
	struct ecg_taskrun_env run;	/* what every task's world shares */
	struct ecg_errgroup *eg;	/* tasks are its members */
	/*
	 * Everything a task says goes out as events, here (a bus): what the
	 * user sees, and its life (spawned, ready, ended, run over, done) for
	 * the scheduler and the supervisor.
	 */
	ecg_event_fn event;
	void *event_arg;
	/*
	 * The task's processes outside its process group: sends them sig
	 * (unless 0) and returns how many are alive.  reaped: its main
	 * process has ended.
	 */
	size_t (*escaped)(struct ecg_task *t, int reaped, int sig, void *arg);
	void *arg;
};

struct ecg_task {
	const struct ecg_task_spec *spec;
	struct ecg_task_host *host;
	const struct ecg_task_ops *ops;	/* its world's functions */
	void *world;
	size_t index;			/* in the group, in the file's order */
	enum ecg_task_state state;	/* moved by ecg_task_input only */
	double state_since;		/* when it entered it (ecg_clock_now) */
	struct ecg_run_end end;		/* this run's */
	struct ecg_restart_policy policy;
	struct ecg_restart_history history;
	int ever_ready;			/* some run's check passed (latched) */
	double started_at;		/* when its run was spawned (ecg_clock_now); 0: never */
	double ready_at;		/* when this run became ready; < 0: not yet */
	ev_timer run_timer;		/* its timeout, each run */
	ev_timer delay_timer;		/* its restart delay */
	struct ecg_taskrun run;		/* its real world (ecg_task_init) */
};

/* A task on the system: 0 or -ENOMEM.  color picks the prefix colour. */
int ecg_task_init(struct ecg_task *t, struct ecg_task_host *host,
    const struct ecg_task_spec *spec, size_t index, int color);
/* A task in the world ops/world (a test's). */
void ecg_task_init_world(struct ecg_task *t, struct ecg_task_host *host,
    const struct ecg_task_spec *spec, size_t index, const struct ecg_task_ops *ops,
    void *world);
void ecg_task_destroy(struct ecg_task *t);
/* ecg-run's terminal changed its size: a task with a terminal of its own follows it. */
void ecg_task_resize(struct ecg_task *t);

/* The one way in: the table decides what in does in the task's state. */
void ecg_task_input(struct ecg_task *t, const struct ecg_task_in *in);

/* The scheduler's inputs. */
/*
 * WAITING: start it, with a slot of the errgroup (a sidecar takes none):
 * 0, or -EAGAIN if none is free.
 */
int ecg_task_start(struct ecg_task *t);
void ecg_task_skip(struct ecg_task *t);		/* WAITING: it will never start */
void ecg_task_stop(struct ecg_task *t);		/* stop it, if it runs */
/* Sends sig to the process group, if it may still have members. */
void ecg_task_signal(struct ecg_task *t, int sig);
/* SIGKILL to whatever is left, now. */
void ecg_task_kill(struct ecg_task *t);
/* The deadline: SIGKILL, close the pipes, and count the task done. */
void ecg_task_abandon(struct ecg_task *t);
/*
 * A request (ECG_IN_RESTART, ECG_IN_HALT) by pid by: 0 if the table takes
 * it in the task's state, else -EALREADY (nothing is done).
 */
int ecg_task_ask(struct ecg_task *t, enum ecg_task_input kind, long by);

const char *ecg_task_name(const struct ecg_task *t);
size_t ecg_task_index(const struct ecg_task *t);
enum ecg_task_state ecg_task_state(const struct ecg_task *t);
/* Since when it is in its state (ecg_clock_now's clock). */
double ecg_task_state_since(const struct ecg_task *t);
/* Its process group id, or -1 if it never had one. */
pid_t ecg_task_pid(const struct ecg_task *t);
/* How its last run ended (ECG_END_NONE while it runs). */
const struct ecg_run_end *ecg_task_run_end(const struct ecg_task *t);
/* Whether some run of it became ready; whether it ever started. */
int ecg_task_ever_ready(const struct ecg_task *t);
int ecg_task_ever_started(const struct ecg_task *t);
/* Which run this is: 1 for the first, n + 1 after n restarts in a row. */
long ecg_task_attempt(const struct ecg_task *t);
/* Whether it has a readiness check of its own (not ready = started). */
int ecg_task_has_check(const struct ecg_task *t);

/* Its readiness check as written ("started" by default). */
const char *ecg_task_check(const struct ecg_task *t);
/* Whether its main process may still run. */
int ecg_task_main_running(const struct ecg_task *t);
/* Whether something of it may still be running (its main process or group). */
int ecg_task_alive(const struct ecg_task *t);
/* How far its output is (see ecg_taskio_mark). */
void ecg_task_output_mark(const struct ecg_task *t, int unread, struct ecg_pump_mark *m);
/* Bytes of stream (1 or 2) thrown away because its output was gone. */
uint64_t ecg_task_dropped(const struct ecg_task *t, int stream);
/* The last bytes it wrote to stderr (if the host keeps them): length and where. */
size_t ecg_task_stderr_tail(const struct ecg_task *t, const char **bytes);

#endif
