#define _GNU_SOURCE
#include "task/taskstate.h"

#include <stddef.h>

#define W ECG_TASK_WAITING
#define S ECG_TASK_STARTING
#define R ECG_TASK_RUNNING
#define Y ECG_TASK_READY
#define P ECG_TASK_STOPPING
#define E ECG_TASK_ENDING
#define C ECG_TASK_RECYCLING
#define X ECG_TASK_EXITED
#define Q ECG_TASK_RESTARTING
#define B ECG_TASK_BACKOFF
#define D ECG_TASK_DONE

/*
 * A cell: where the input leads, and what it does on the way.  No input
 * leads back to WAITING: a cell left empty (next = WAITING) is refused.
 */
#define TO(state, act) { (state), ECG_ACT_##act }

/*
 * One row per state, one cell per input it takes (the rest are refused).
 * A stop that finds the task stopping, ending or exited changes nothing;
 * one that finds it about to run again ends it (nothing restarts once the
 * group is stopping); the deadline ends every state.  A signal reaches
 * every state that had a process group.
 */
static const struct ecg_task_cell table[ECG_TASK_NSTATES][ECG_IN_COUNT] = {
	[W] = {
		[ECG_IN_START] = TO(S, START),
		[ECG_IN_SKIP] = TO(D, SKIP),
		[ECG_IN_ABANDON] = TO(D, SKIP),
		[ECG_IN_HALT] = TO(D, HALT_WAITING),
	},
	[S] = {
		[ECG_IN_EXEC] = TO(R, EXEC),
		[ECG_IN_TIMEOUT] = TO(E, TIMEOUT),
		[ECG_IN_STOP] = TO(P, STOP),
		[ECG_IN_SIGNAL] = TO(S, SIGNAL),
		[ECG_IN_KILL] = TO(S, KILL),
		[ECG_IN_EXIT] = TO(X, EXIT),
		[ECG_IN_ABANDON] = TO(D, ABANDON),
		[ECG_IN_RESTART] = TO(C, CYCLE),
		[ECG_IN_HALT] = TO(E, HALT),
	},
	[R] = {
		[ECG_IN_READY] = TO(Y, READY),
		[ECG_IN_NOT_READY] = TO(E, NOT_READY),
		[ECG_IN_TIMEOUT] = TO(E, TIMEOUT),
		[ECG_IN_STOP] = TO(P, STOP),
		[ECG_IN_SIGNAL] = TO(R, SIGNAL),
		[ECG_IN_KILL] = TO(R, KILL),
		[ECG_IN_EXIT] = TO(X, EXIT),
		[ECG_IN_ABANDON] = TO(D, ABANDON),
		[ECG_IN_RESTART] = TO(C, CYCLE),
		[ECG_IN_HALT] = TO(E, HALT),
	},
	[Y] = {
		[ECG_IN_UNHEALTHY] = TO(E, UNHEALTHY),
		[ECG_IN_TIMEOUT] = TO(E, TIMEOUT),
		[ECG_IN_STOP] = TO(P, STOP),
		[ECG_IN_SIGNAL] = TO(Y, SIGNAL),
		[ECG_IN_KILL] = TO(Y, KILL),
		[ECG_IN_EXIT] = TO(X, EXIT),
		[ECG_IN_ABANDON] = TO(D, ABANDON),
		[ECG_IN_RESTART] = TO(C, CYCLE),
		[ECG_IN_HALT] = TO(E, HALT),
	},
	[P] = {
		[ECG_IN_TIMEOUT] = TO(E, TIMEOUT),
		[ECG_IN_STOP] = TO(P, NONE),
		[ECG_IN_SIGNAL] = TO(P, SIGNAL),
		[ECG_IN_KILL] = TO(P, KILL),
		[ECG_IN_EXIT] = TO(X, EXIT),
		[ECG_IN_ABANDON] = TO(D, ABANDON),
	},
	[E] = {
		[ECG_IN_STOP] = TO(E, NONE),
		[ECG_IN_SIGNAL] = TO(E, SIGNAL),
		[ECG_IN_KILL] = TO(E, KILL),
		[ECG_IN_EXIT] = TO(X, EXIT_DECIDED),
		[ECG_IN_END] = TO(E, COUNT_STOP),
		[ECG_IN_AGAIN] = TO(C, RESTART_STOP),
		[ECG_IN_ABANDON] = TO(D, ABANDON_DECIDED),
	},
	[C] = {
		[ECG_IN_STOP] = TO(E, NOT_RESTARTED),
		[ECG_IN_HALT] = TO(E, NOT_RESTARTED),
		[ECG_IN_SIGNAL] = TO(C, SIGNAL),
		[ECG_IN_KILL] = TO(C, KILL),
		[ECG_IN_EXIT] = TO(Q, EXIT_DECIDED),
		[ECG_IN_ABANDON] = TO(D, ABANDON_DECIDED),
	},
	[X] = {
		[ECG_IN_READY] = TO(X, READY),
		[ECG_IN_STOP] = TO(X, NONE),
		[ECG_IN_SIGNAL] = TO(X, SIGNAL),
		[ECG_IN_KILL] = TO(X, KILL),
		[ECG_IN_END] = TO(X, COUNT),
		[ECG_IN_AGAIN] = TO(Q, RESTART),
		[ECG_IN_GONE] = TO(D, DONE),
		[ECG_IN_ABANDON] = TO(D, ABANDON_DECIDED),
	},
	[Q] = {
		[ECG_IN_READY] = TO(Q, READY),
		[ECG_IN_STOP] = TO(X, NOT_RESTARTED),
		[ECG_IN_HALT] = TO(X, NOT_RESTARTED),
		[ECG_IN_SIGNAL] = TO(Q, SIGNAL),
		[ECG_IN_KILL] = TO(Q, KILL),
		[ECG_IN_GONE] = TO(B, BACKOFF),
		[ECG_IN_ABANDON] = TO(D, ABANDON_DECIDED),
	},
	[B] = {
		[ECG_IN_STOP] = TO(D, NOT_RESTARTED_DONE),
		[ECG_IN_HALT] = TO(D, NOT_RESTARTED_DONE),
		[ECG_IN_SIGNAL] = TO(B, SIGNAL),
		[ECG_IN_KILL] = TO(B, KILL),
		[ECG_IN_DELAY] = TO(S, START),
		[ECG_IN_ABANDON] = TO(D, ABANDON_DECIDED),
	},
	[D] = {
		[ECG_IN_START] = TO(S, START),
	},
};

const struct ecg_task_cell *
ecg_taskstate_cell(enum ecg_task_state s, enum ecg_task_input in)
{
	if ((unsigned)s >= ECG_TASK_NSTATES || (unsigned)in >= ECG_IN_COUNT ||
	    table[s][in].next == W)
		return NULL;
	return &table[s][in];
}

int
ecg_taskstate_next(enum ecg_task_state s, enum ecg_task_input in)
{
	const struct ecg_task_cell *c = ecg_taskstate_cell(s, in);

	return c != NULL ? (int)c->next : -1;
}

const char *
ecg_taskstate_name(enum ecg_task_state s)
{
	static const char *const names[ECG_TASK_NSTATES] = {
		"waiting", "starting", "running", "ready", "stopping", "ending", "recycling",
		"exited", "restarting", "backoff", "done",
	};

	return (unsigned)s < ECG_TASK_NSTATES ? names[s] : "?";
}

const char *
ecg_taskstate_input_name(enum ecg_task_input in)
{
	static const char *const names[ECG_IN_COUNT] = {
		"start", "skip", "exec", "ready", "not ready", "timeout", "stop", "signal", "kill",
		"exit", "end", "again", "gone", "delay", "abandon", "restart", "halt", "unhealthy",
	};

	return (unsigned)in < ECG_IN_COUNT ? names[in] : "?";
}

const char *
ecg_taskstate_action_name(enum ecg_task_action a)
{
	static const char *const names[ECG_ACT_NACTIONS] = {
		"none", "start", "skip", "exec", "ready", "not ready", "timeout", "stop", "signal",
		"kill", "exit", "exit (decided)", "count", "count and stop", "restart",
		"restart and stop", "backoff", "not restarted", "not restarted (done)", "done",
		"abandon", "abandon (decided)", "cycle", "halt", "halt (waiting)", "unhealthy",
	};

	return (unsigned)a < ECG_ACT_NACTIONS ? names[a] : "?";
}

int
ecg_taskstate_live(enum ecg_task_state s)
{
	return s == S || s == R || s == Y || s == P || s == E || s == C;
}

const char *
ecg_taskstate_shown(enum ecg_task_state s)
{
	switch (s) {
	case E:
	case C:
		return "stopping";
	case B:
		return "restarting";
	default:
		return ecg_taskstate_name(s);
	}
}
