/*
 * task: one command of the group, run as its own process group.
 *
 * A task is a state machine (taskstate.h); step() in task.c is the one
 * place that moves it, and every input (its process executed or ended,
 * its readiness check passed or failed, the scheduler asks it to start or
 * stop, its process group and pipes are gone) goes through it.  What it
 * runs is a proc (proc.h); its output goes through taskio (taskio.h).
 *
 * A task is two errgroup members: each run's main process (done when it
 * ends, fails its readiness check or times out, with its failure if that
 * counts and no restart absorbs it) and the task as a whole, which holds
 * a slot of the errgroup's limit from its start until it is DONE (its
 * restarts included).  It never watches the
 * group's context itself: the scheduler decides when it starts and when
 * it is stopped.
 */
#ifndef ECG_TASK_H
#define ECG_TASK_H

#include <ev.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "config.h"
#include "errgroup.h"
#include "event.h"
#include "logfile.h"
#include "pump.h"
#include "notify.h"
#include "proc.h"
#include "ready.h"
#include "taskio.h"
#include "taskstate.h"

/* How a task's main process ended, once it has. */
enum ecg_task_end {
	ECG_END_NONE,		/* not yet (or never started) */
	ECG_END_EXITED,		/* exited: code is its status */
	ECG_END_KILLED,		/* by a signal: code is 128 + it */
	ECG_END_START_FAILED,	/* could not become its command: 126 or 127 */
	ECG_END_NOT_READY,	/* its readiness check failed: 124 */
	ECG_END_TIMEOUT,	/* it ran past its timeout: 124 */
};

struct ecg_task;

/* What every task of a run shares. */
struct ecg_task_host {
	struct ev_loop *loop;
	struct ecg_errgroup *eg;	/* tasks are its members */
	struct ecg_pump *pump;
	const char *shell;		/* resolved path */
	const char *group_name;
	const char *run_id;		/* ECG_RUN_ID: this run, for the sentinel */
	size_t buffer;			/* channel capacity */
	int devnull;			/* every task's stdin */
	int direct;			/* plain commands may skip the shell */
	const struct rlimit *nofile;	/* the descriptor limit tasks get */
	const struct ecg_notify_dir *notify_dir;	/* for ready = notify sockets */
	size_t stderr_tail;		/* keep this many last bytes of stderr (0: none) */
	struct ecg_taskio_round tap_round;	/* the taps' share of each loop round */
	ecg_event_fn event;		/* receives the tasks' events */
	void *event_arg;
	/* What the scheduler and the supervisor hear (any may be NULL). */
	void (*started)(struct ecg_task *t, void *arg);	/* a process was made */
	void (*ready)(struct ecg_task *t, void *arg);
	void (*ended)(struct ecg_task *t, void *arg);	/* main process over (or not ready) */
	void (*done)(struct ecg_task *t, void *arg);
	/* A run's process group is gone and the task will run again. */
	void (*run_over)(struct ecg_task *t, void *arg);
	/*
	 * The task's processes outside its process group: sends them sig
	 * (unless 0) and returns how many are alive.
	 */
	size_t (*escaped)(struct ecg_task *t, int sig, void *arg);
	void *arg;
};

struct ecg_task {
	const struct ecg_task_spec *spec;
	struct ecg_task_host *host;
	size_t index;			/* in the group, in the file's order */
	enum ecg_task_state state;	/* moved by step() only */
	enum ecg_task_end end;
	int code;			/* the status its end gives, as a shell shows it */
	int wstatus;			/* of its main process, once reaped */
	int start_code;			/* 126 or 127 once a start failed, else 0 */
	int ready;			/* this run's check passed */
	int ever_ready;			/* some run's check passed (latched) */
	int restarts;			/* restarts in a row so far */
	long delay_ms;			/* before the next restart */
	int restarting;			/* decided when its run ended: it runs again */
	double started_at;		/* when its run was spawned (ecg_clock_now) */
	double ready_at;		/* and when it became ready */
	struct ecg_proc proc;
	struct ecg_taskio io;
	struct ecg_logfile log;		/* its log file, if it has one (log = PATH) */
	struct ecg_ready *check;	/* its readiness check, unless ready = started */
	ev_timer run_timer;		/* its timeout, each run */
	ev_timer delay_timer;		/* its restart delay */
	char *argv[4];			/* SHELL -c COMMAND */
	char **words;			/* or, for a plain command, its words */
	char *program;			/* and the program they name (see command.h), */
	char **script_argv;		/* SHELL PROGRAM ARGS... if it is a script without #! */
};

/* 0 or -ENOMEM.  color picks the prefix colour. */
int ecg_task_init(struct ecg_task *t, struct ecg_task_host *host,
    const struct ecg_task_spec *spec, size_t index, int color);
void ecg_task_destroy(struct ecg_task *t);

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

const char *ecg_task_name(const struct ecg_task *t);
/* Its process group id, or -1 if it never had one. */
pid_t ecg_task_pid(const struct ecg_task *t);
/* A run ready this long (seconds) gives its task its whole restart budget back. */
#define ECG_TASK_STABLE_S 10.0
/*
 * Every restart in a row after the first waits at least this long (ms),
 * whatever restart_delay says: 0 must not make a crash loop that takes a
 * core (doubling 0 stays 0).
 */
#define ECG_TASK_RESTART_FLOOR_MS 100

/* "exited", "killed", "could not start", "not ready", "timed out". */
const char *ecg_task_end_name(enum ecg_task_end end);
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
