/*
 * task: one command of the group, run as its own process group.
 *
 * A task is a small state machine; task_set_state is the one place that
 * moves it:
 *
 *   PENDING --start--> RUNNING --main process ends--> WINDING_DOWN --> DONE
 *                         |                              ^
 *                         +--group cancelled--> STOPPING-+
 *
 * WINDING_DOWN: the main process is reaped but members of its process group
 * may be alive and its pipes may be open; the task is DONE only when the
 * group is gone and both pipes have reached end of file.
 *
 * The task watches the group's context, as an errgroup member should: on
 * cancellation it sends its stop signal (and SIGCONT) to its process group,
 * then SIGKILL after stop_timeout.  It is two errgroup members: the main
 * process (done when it ends, with its failure if it counts) and what is
 * left of it (done when the task is DONE).
 */
#ifndef ECG_TASK_H
#define ECG_TASK_H

#include <ev.h>
#include <sys/types.h>

#include "config.h"
#include "context.h"
#include "errgroup.h"
#include "output.h"

enum ecg_task_state {
	ECG_TASK_PENDING,
	ECG_TASK_RUNNING,
	ECG_TASK_STOPPING,
	ECG_TASK_WINDING_DOWN,
	ECG_TASK_DONE,
};

/* How loud a note is; the front end decides what to show. */
enum ecg_note_level {
	ECG_NOTE_INFO,		/* lifecycle: started, exited */
	ECG_NOTE_VERBOSE,	/* pids, every signal sent */
	ECG_NOTE_CAUSE,		/* why the group is being cancelled */
	ECG_NOTE_ERROR,		/* something went wrong */
};

struct ecg_task;

/* A note about task (NULL: about the group). */
typedef void (*ecg_note_fn)(void *arg, enum ecg_note_level level, const struct ecg_task *task,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* What every task of a run shares. */
struct ecg_task_host {
	struct ev_loop *loop;
	struct ecg_errgroup *eg;	/* tasks are its members; its context stops them */
	struct ecg_output *out;
	const char *shell;		/* resolved path */
	const char *group_name;
	const char *run_id;		/* ECG_RUN_ID: this run, for the sentinel */
	size_t buffer;			/* channel capacity */
	int devnull;			/* every task's stdin */
	int verbose;			/* notes may carry pids */
	int direct;			/* plain commands may skip the shell */
	const struct rlimit *nofile;	/* the descriptor limit tasks get */
	ecg_note_fn note;
	void *note_arg;
	void (*on_done)(struct ecg_task *t, void *arg);
	void *done_arg;
	/*
	 * The task's processes outside its process group: sends them sig
	 * (unless 0) and returns how many are alive.
	 */
	size_t (*escaped)(struct ecg_task *t, int sig, void *arg);
};

struct ecg_task_pipe {
	struct ecg_task *task;
	int fd;				/* our read end, -1 once closed */
	ev_io readable;
	struct ecg_source src;		/* its channel to the output */
};

struct ecg_task {
	const struct ecg_task_spec *spec;
	struct ecg_task_host *host;
	enum ecg_task_state state;
	pid_t pid;			/* also the process group id */
	int group_alive;		/* the process group may still have members */
	int reaped;			/* the main process has been waited for */
	int wstatus;			/* its wait status */
	int code;			/* its exit code as a shell shows it */
	int start_failed;		/* it could not become the command */
	int start_code;			/* and the status that gives: 126 or 127 */
	int kill_sent;			/* SIGKILL was sent to the group */
	int stop_sent;			/* the stop signal was sent to the group */
	int given_up;			/* abandoned at the deadline */
	int escapees_seen;		/* looked for escapees since the main process ended */
	char *argv[4];			/* SHELL -c COMMAND */
	char **words;			/* or, for a plain command, its words */
	char *program;			/* and the program they name (see command.h), */
	char **script_argv;		/* SHELL PROGRAM ARGS... if it is a script without #! */
	struct ecg_task_pipe pipes[2];	/* stdout, stderr */
	ev_child child;
	ev_timer kill_timer;		/* stop_timeout, then SIGKILL */
	ev_timer poll_timer;		/* is the process group gone yet? */
	ev_timer pipe_timer;		/* grace for pipes held outside the group */
	struct ecg_context_waiter cancel;	/* on the errgroup's context */
};

/* 0 or -ENOMEM.  color picks the prefix colour. */
int ecg_task_init(struct ecg_task *t, struct ecg_task_host *host,
    const struct ecg_task_spec *spec, int color);
void ecg_task_destroy(struct ecg_task *t);

/* Starts the command; a task that cannot start fails with status 127. */
void ecg_task_start(struct ecg_task *t);
/* A task that will never start: its output sources end at once. */
void ecg_task_skip(struct ecg_task *t);
/* Sends sig to the process group, if it may still have members. */
void ecg_task_signal(struct ecg_task *t, int sig);
/* SIGKILL to the process group now. */
void ecg_task_kill(struct ecg_task *t);
/* Gives up waiting: SIGKILL, close the pipes, and count the task done. */
void ecg_task_abandon(struct ecg_task *t);

const char *ecg_task_state_name(enum ecg_task_state s);
const char *ecg_task_name(const struct ecg_task *t);
/*
 * Where a message about the task must wait: everything the task has
 * written so far (its channels, and what its pipes hold) comes first.
 */
void ecg_task_output_mark(const struct ecg_task *t, struct ecg_output_mark *m);

#endif
