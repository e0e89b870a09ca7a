/*
 * taskstate: the states of a task and the events that move it, as one
 * table (after s6-supervise's action table).
 *
 *   WAITING ──start──► STARTING ──exec──► RUNNING ──ready──► READY
 *      │                  │                  │                 │
 *      skip               ├──────stop────────┼───── stop ──────┤
 *      │                  ▼                  ▼                 │
 *      │               STOPPING ◄─not ready──┘                 │
 *      │                  │                                    │
 *      │                  └──exit──► EXITED ◄───── exit ───────┘
 *      ▼                               │
 *     DONE ◄──────────── gone ─────────┤        (abandon: any live state ► DONE)
 *      ▲                               │ restart
 *      └──── stop ───── RESTARTING ◄───┘  ── start ──► STARTING
 *
 * WAITING: not started; its dependencies are not all ready yet.
 * STARTING: forked, not yet known to run its program (exec may fail: the
 *   child then exits 126 or 127, and the task stays STARTING until then).
 * RUNNING: its program runs; its readiness check has not passed.
 * READY: its check passed (readiness is latched: it is never lost).
 * STOPPING: the stop signal was sent to its process group.
 * EXITED: its main process was reaped; members of its process group, or
 *   its pipes, may still be there.
 * RESTARTING: its run ended and its process group is gone; it waits out
 *   its restart delay (and keeps its slot) before it starts again.
 * DONE: nothing of it is left.
 *
 * ecg_taskstate_next is a pure function: the task's one place that moves
 * its state (task.c) asks it, and does nothing for a pair it refuses.
 */
#ifndef ECG_TASKSTATE_H
#define ECG_TASKSTATE_H

enum ecg_task_state {
	ECG_TASK_WAITING,
	ECG_TASK_STARTING,
	ECG_TASK_RUNNING,
	ECG_TASK_READY,
	ECG_TASK_STOPPING,
	ECG_TASK_EXITED,
	ECG_TASK_RESTARTING,
	ECG_TASK_DONE,
	ECG_TASK_NSTATES
};

enum ecg_task_input {
	ECG_IN_START,		/* its dependencies are ready: start it */
	ECG_IN_SKIP,		/* it will never start */
	ECG_IN_EXEC,		/* its program was executed */
	ECG_IN_READY,		/* its readiness check passed */
	ECG_IN_NOT_READY,	/* its readiness check failed for good */
	ECG_IN_STOP,		/* stop it (the group is stopping) */
	ECG_IN_EXIT,		/* its main process ended (or none could be made) */
	ECG_IN_GONE,		/* its process group and pipes are gone */
	ECG_IN_ABANDON,		/* the deadline: stop waiting for it */
	ECG_IN_RESTART,		/* its run is over and gone, and it runs again */
	ECG_IN_COUNT
};

/* The state after input in state s, or -1 if the pair cannot happen. */
int ecg_taskstate_next(enum ecg_task_state s, enum ecg_task_input in);

const char *ecg_taskstate_name(enum ecg_task_state s);
const char *ecg_taskstate_input_name(enum ecg_task_input in);

/* Whether the task's main process may be running in state s. */
int ecg_taskstate_live(enum ecg_task_state s);

#endif
