/*
 * taskstate: a task as one transition table (a Mealy machine, after
 * s6-supervise's action table): for each state and each input, the state
 * it leads to and the action taken on the way.  A pair the table does not
 * list cannot happen, or means nothing in that state, and is refused:
 * nothing changes.
 *
 *   WAITING ─start─► STARTING ─exec─► RUNNING ─ready─► READY
 *      │               │                │  │             │
 *      skip            │     not ready, │  └──── stop ───┼──► STOPPING
 *      │               │     timeout    ▼                │       │
 *      │               │              ENDING ◄─(end)─────┘       │
 *      │               │     (again)    │ ◄── stop ─ RECYCLING   │
 *      │               └──── exit ──────┴──── exit ──────────────┘
 *      │                                ▼
 *      │                    EXITED ─(again)─► RESTARTING ─gone─► BACKOFF
 *      ▼                      │  ◄──── stop ─────┘                 │  │
 *     DONE ◄────── gone ──────┘◄───────────── stop ───────────────┘  │
 *      ▲                                                             │
 *      └── abandon: from any state         STARTING ◄──── delay ─────┘
 *
 * WAITING: not started; its dependencies are not all ready yet.
 * STARTING: forked, not yet known to run its program (exec may fail: the
 *   child then exits 126 or 127).
 * RUNNING: its program runs; its readiness check has not passed.
 * READY: its check passed (readiness is latched: it is never lost).
 * STOPPING: it was asked to stop; how its run ends is what its exit says.
 * ENDING: its run's end was decided by ecg-run (not ready, timed out) and
 *   it will not run again: it is being stopped.
 * RECYCLING: the same, but it runs again once it is gone.
 * EXITED: its main process was reaped, and it will not run again; members
 *   of its process group, or its pipes, may still be there.
 * RESTARTING: the same, but it runs again once they are gone.
 * BACKOFF: its last run is over and gone; it waits out its restart delay
 *   (and keeps its slot).
 * DONE: nothing of it is left.  While the group runs, a task that is done
 *   (it ended, or was stopped by request) may be started again by request.
 *
 * The decisions an action makes (restart or not: restart.h) come back to
 * the table as inputs of their own (END, AGAIN), so that where a task goes
 * is always the table's answer, never a flag's.  A one-shot task
 * (ready = exited) is ready by its exit: READY in EXITED or RESTARTING.
 */
#ifndef ECG_TASKSTATE_H
#define ECG_TASKSTATE_H

enum ecg_task_state {
	ECG_TASK_WAITING,
	ECG_TASK_STARTING,
	ECG_TASK_RUNNING,
	ECG_TASK_READY,
	ECG_TASK_STOPPING,
	ECG_TASK_ENDING,
	ECG_TASK_RECYCLING,
	ECG_TASK_EXITED,
	ECG_TASK_RESTARTING,
	ECG_TASK_BACKOFF,
	ECG_TASK_DONE,
	ECG_TASK_NSTATES
};

enum ecg_task_input {
	ECG_IN_START,		/* its dependencies are ready (or its delay is over): start it */
	ECG_IN_SKIP,		/* it will never start */
	ECG_IN_EXEC,		/* its program was executed */
	ECG_IN_READY,		/* its readiness check passed */
	ECG_IN_NOT_READY,	/* its readiness check failed for good (error) */
	ECG_IN_TIMEOUT,		/* its run ran past its timeout */
	ECG_IN_STOP,		/* stop it (the group is stopping) */
	ECG_IN_SIGNAL,		/* send a signal to its process group (sig) */
	ECG_IN_KILL,		/* SIGKILL to whatever is left of it */
	ECG_IN_EXIT,		/* its main process ended (wstatus), or none could be made */
	ECG_IN_END,		/* decided: its run's end counts, it will not run again */
	ECG_IN_AGAIN,		/* decided: a restart absorbs its run's end */
	ECG_IN_GONE,		/* its process group and pipes are gone */
	ECG_IN_DELAY,		/* its restart delay is over */
	ECG_IN_ABANDON,		/* the deadline: stop waiting for it */
	ECG_IN_RESTART,		/* asked (ecg-run ctl): stop this run and start another */
	ECG_IN_HALT,		/* asked (ecg-run ctl): stop it and keep it stopped */
	ECG_IN_UNHEALTHY,	/* its health checks failed after ready (error) */
	ECG_IN_COUNT
};

/* An input with what it carries. */
struct ecg_task_in {
	enum ecg_task_input kind;
	int wstatus;		/* EXIT: of its main process (if one was made) */
	int sig;		/* SIGNAL */
	const char *error;	/* NOT_READY: the check's last error */
	long by;		/* RESTART, HALT, START: the pid that asked (0: unknown) */
};

/* What a transition does on the way (task.c holds one function for each). */
enum ecg_task_action {
	ECG_ACT_NONE,		/* nothing: the state is all */
	ECG_ACT_START,		/* a new run: spawn it */
	ECG_ACT_SKIP,		/* it never started: said, and done */
	ECG_ACT_EXEC,		/* it runs: said; its check begins */
	ECG_ACT_READY,		/* its check passed: said; those after it may start */
	ECG_ACT_NOT_READY,	/* its end is "not ready": decide a restart */
	ECG_ACT_TIMEOUT,	/* its end is "timed out": decide a restart */
	ECG_ACT_STOP,		/* the stop policy on its process group */
	ECG_ACT_SIGNAL,
	ECG_ACT_KILL,
	ECG_ACT_EXIT,		/* its end is what its exit says: decide a restart */
	ECG_ACT_EXIT_DECIDED,	/* its end was decided before: its exit is only said */
	ECG_ACT_COUNT,		/* its end counts, in the errgroup (it may be the cause) */
	ECG_ACT_COUNT_STOP,	/* the same, and it is stopped */
	ECG_ACT_RESTART,	/* its end is absorbed by a restart: said */
	ECG_ACT_RESTART_STOP,	/* the same, and it is stopped */
	ECG_ACT_BACKOFF,	/* its last run is gone: the restart delay begins */
	ECG_ACT_NOT_RESTARTED,	/* the group stopped before it ran again: said */
	ECG_ACT_NOT_RESTARTED_DONE,	/* the same, and it is done */
	ECG_ACT_DONE,		/* nothing of it is left: its slot is free */
	ECG_ACT_ABANDON,	/* killed and given up on; its end (killed) counts */
	ECG_ACT_ABANDON_DECIDED,	/* killed and given up on; its end was counted */
	ECG_ACT_CYCLE,		/* asked to restart: stopped, runs again at once, no budget used */
	ECG_ACT_HALT,		/* asked to stop: its end is "stopped", never a failure */
	ECG_ACT_HALT_WAITING,	/* asked to stop before it started: done, may start later */
	ECG_ACT_UNHEALTHY,	/* its end is "unhealthy": decide a restart */
	ECG_ACT_NACTIONS
};

/* A cell of the table. */
struct ecg_task_cell {
	enum ecg_task_state next;
	enum ecg_task_action action;
};

/* The cell for input in state s, or NULL if the pair is refused. */
const struct ecg_task_cell *ecg_taskstate_cell(enum ecg_task_state s, enum ecg_task_input in);
/* The state after input in state s, or -1 if the pair is refused. */
int ecg_taskstate_next(enum ecg_task_state s, enum ecg_task_input in);

const char *ecg_taskstate_name(enum ecg_task_state s);
/*
 * The state as a user sees it (ctl status): waiting, starting, running,
 * ready, stopping (ending, recycling too), exited, restarting (backoff
 * too), done.
 */
const char *ecg_taskstate_shown(enum ecg_task_state s);
const char *ecg_taskstate_input_name(enum ecg_task_input in);
const char *ecg_taskstate_action_name(enum ecg_task_action a);

/* Whether the task's main process may be running in state s. */
int ecg_taskstate_live(enum ecg_task_state s);

#endif
