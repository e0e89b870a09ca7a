/*
 * taskrun: what one task is on the system: the program it runs and its
 * environment, its process group (proc.h), its pipes (taskio.h), its log
 * file and its readiness check (ready.h).  It is the task's world: the
 * task's actions reach it only through ecg_taskrun_ops (taskops.h), and
 * what happens to it (its process ran its program or ended, its check
 * passed, everything of it is gone) comes back to the task as inputs
 * (taskstate.h), through the owner's hooks.  It never decides anything.
 */
#ifndef ECG_TASKRUN_H
#define ECG_TASKRUN_H

#include <ev.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "config/config.h"
#include "seed/event.h"
#include "output/logfile.h"
#include "sys/notify.h"
#include "sys/proc.h"
#include "output/pump.h"
#include "task/health.h"
#include "task/ready.h"
#include "task/taskio.h"
#include "task/taskops.h"
#include "task/taskstate.h"

/* What every task's world shares. */
struct ecg_taskrun_env {
	struct ev_loop *loop;
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
	const char *control;		/* ECG_CONTROL: the run's control socket, or NULL */
	struct ecg_taskio_round tap_round;	/* the taps' share of each loop round */
	struct ecg_taskio_follow follow;	/* who follows the tasks' output (by index) */
	struct winsize winsize;		/* ecg-run's terminal's size: tty = yes tasks get it */
};

/* What the world tells its task.  event gets ev with name set; the owner sets task. */
struct ecg_taskrun_hooks {
	void (*input)(void *arg, const struct ecg_task_in *in);
	void (*event)(void *arg, struct ecg_event *ev);
	/*
	 * The run's processes outside its process group: sends them sig
	 * (unless 0) and returns how many are alive.  reaped: its main
	 * process has ended.
	 */
	size_t (*escaped)(void *arg, int reaped, int sig);
};

struct ecg_taskrun {
	const struct ecg_task_spec *spec;
	struct ecg_taskrun_env *env;
	size_t index;
	const struct ecg_taskrun_hooks *hooks;
	void *arg;
	struct ecg_proc proc;
	struct ecg_proc *stopper;	/* its stop_command's process, or NULL: none */
	int stopper_ran;		/* in this run */
	struct ecg_taskio io;
	struct ecg_logfile *log;	/* its log file, or NULL: none (log = PATH) */
	struct ecg_ready *check;	/* its readiness check, unless ready = started (and no watchdog) */
	struct ecg_health *health;	/* its health checks after ready, or NULL: none */
	char *argv[4];			/* SHELL -c COMMAND */
	char **words;			/* or, for a plain command, its words */
	char *program;			/* and the program they name (see command.h), */
	char **script_argv;		/* SHELL PROGRAM ARGS... if it is a script without #! */
};

/* The world of task spec (number index, prefix colour color): 0 or -ENOMEM. */
int ecg_taskrun_init(struct ecg_taskrun *r, struct ecg_taskrun_env *env,
    const struct ecg_task_spec *spec, size_t index, int color,
    const struct ecg_taskrun_hooks *hooks, void *arg);
void ecg_taskrun_destroy(struct ecg_taskrun *r);

/* Its functions for the task, on a struct ecg_taskrun. */
extern const struct ecg_task_ops ecg_taskrun_ops;

/* How far its output is (see ecg_taskio_mark). */
void ecg_taskrun_output_mark(const struct ecg_taskrun *r, int unread, struct ecg_pump_mark *m);
/* Bytes of stream (1 or 2) thrown away because its output was gone. */
uint64_t ecg_taskrun_dropped(const struct ecg_taskrun *r, int stream);
/* The last bytes it wrote to stderr (if kept): length and where. */
size_t ecg_taskrun_stderr_tail(const struct ecg_taskrun *r, const char **bytes);

#endif
