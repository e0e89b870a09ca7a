#define _GNU_SOURCE
#include "taskstate.h"

#define W ECG_TASK_WAITING
#define S ECG_TASK_STARTING
#define R ECG_TASK_RUNNING
#define Y ECG_TASK_READY
#define P ECG_TASK_STOPPING
#define X ECG_TASK_EXITED
#define Q ECG_TASK_RESTARTING
#define D ECG_TASK_DONE
#define NO (-1)

/*
 * One row per state, one column per input.  A stop that finds the task
 * already stopping or exited changes nothing (what is left of an exited
 * task is stopped by its proc already); every other pair not listed
 * cannot happen, and is refused.  A stop while a task waits to restart
 * ends it: nothing restarts once the group is stopping.
 */
static const signed char table[ECG_TASK_NSTATES][ECG_IN_COUNT] = {
	/*      START SKIP EXEC READY NOTRDY STOP EXIT GONE ABANDON RESTART */
	[W] = { S,  D,  NO, NO, NO, NO, NO, NO, D,  NO },
	[S] = { NO, NO, R,  NO, NO, P,  X,  NO, D,  NO },
	[R] = { NO, NO, NO, Y,  P,  P,  X,  NO, D,  NO },
	[Y] = { NO, NO, NO, NO, NO, P,  X,  NO, D,  NO },
	[P] = { NO, NO, NO, NO, NO, P,  X,  NO, D,  NO },
	[X] = { NO, NO, NO, NO, NO, X,  NO, D,  D,  Q },
	[Q] = { S,  NO, NO, NO, NO, D,  NO, NO, D,  NO },
	[D] = { NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
};

_Static_assert(ECG_IN_COUNT == 10, "the table has one column per input");

int
ecg_taskstate_next(enum ecg_task_state s, enum ecg_task_input in)
{
	if ((unsigned)s >= ECG_TASK_NSTATES || (unsigned)in >= ECG_IN_COUNT)
		return NO;
	return table[s][in];
}

const char *
ecg_taskstate_name(enum ecg_task_state s)
{
	static const char *const names[ECG_TASK_NSTATES] = {
		"waiting", "starting", "running", "ready", "stopping", "exited", "restarting", "done",
	};

	return (unsigned)s < ECG_TASK_NSTATES ? names[s] : "?";
}

const char *
ecg_taskstate_input_name(enum ecg_task_input in)
{
	static const char *const names[ECG_IN_COUNT] = {
		"start", "skip", "exec", "ready", "not ready", "stop", "exit", "gone", "abandon",
		"restart",
	};

	return (unsigned)in < ECG_IN_COUNT ? names[in] : "?";
}

int
ecg_taskstate_live(enum ecg_task_state s)
{
	return s == S || s == R || s == Y || s == P;
}
