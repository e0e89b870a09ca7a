/*
 * taskstate: the table allows exactly the transitions a task can make,
 * every state is reachable from WAITING, and DONE from every state; a
 * restart goes through RESTARTING, and a stop there ends the task.
 */
#include <string.h>

#include "taskstate.h"
#include "tap.h"

struct move {
	enum ecg_task_state from;
	enum ecg_task_input in;
	enum ecg_task_state to;
};

/* The whole of what a task may do (taskstate.h draws it). */
static const struct move allowed[] = {
	{ ECG_TASK_WAITING, ECG_IN_START, ECG_TASK_STARTING },
	{ ECG_TASK_WAITING, ECG_IN_SKIP, ECG_TASK_DONE },
	{ ECG_TASK_WAITING, ECG_IN_ABANDON, ECG_TASK_DONE },
	{ ECG_TASK_STARTING, ECG_IN_EXEC, ECG_TASK_RUNNING },
	{ ECG_TASK_STARTING, ECG_IN_STOP, ECG_TASK_STOPPING },
	{ ECG_TASK_STARTING, ECG_IN_EXIT, ECG_TASK_EXITED },
	{ ECG_TASK_STARTING, ECG_IN_ABANDON, ECG_TASK_DONE },
	{ ECG_TASK_RUNNING, ECG_IN_READY, ECG_TASK_READY },
	{ ECG_TASK_RUNNING, ECG_IN_NOT_READY, ECG_TASK_STOPPING },
	{ ECG_TASK_RUNNING, ECG_IN_STOP, ECG_TASK_STOPPING },
	{ ECG_TASK_RUNNING, ECG_IN_EXIT, ECG_TASK_EXITED },
	{ ECG_TASK_RUNNING, ECG_IN_ABANDON, ECG_TASK_DONE },
	{ ECG_TASK_READY, ECG_IN_STOP, ECG_TASK_STOPPING },
	{ ECG_TASK_READY, ECG_IN_EXIT, ECG_TASK_EXITED },
	{ ECG_TASK_READY, ECG_IN_ABANDON, ECG_TASK_DONE },
	{ ECG_TASK_STOPPING, ECG_IN_STOP, ECG_TASK_STOPPING },
	{ ECG_TASK_STOPPING, ECG_IN_EXIT, ECG_TASK_EXITED },
	{ ECG_TASK_STOPPING, ECG_IN_ABANDON, ECG_TASK_DONE },
	{ ECG_TASK_EXITED, ECG_IN_STOP, ECG_TASK_EXITED },
	{ ECG_TASK_EXITED, ECG_IN_GONE, ECG_TASK_DONE },
	{ ECG_TASK_EXITED, ECG_IN_ABANDON, ECG_TASK_DONE },
	{ ECG_TASK_EXITED, ECG_IN_RESTART, ECG_TASK_RESTARTING },
	{ ECG_TASK_RESTARTING, ECG_IN_START, ECG_TASK_STARTING },
	{ ECG_TASK_RESTARTING, ECG_IN_STOP, ECG_TASK_DONE },
	{ ECG_TASK_RESTARTING, ECG_IN_ABANDON, ECG_TASK_DONE },
};
#define NALLOWED (sizeof(allowed) / sizeof(allowed[0]))

static int
expected(enum ecg_task_state s, enum ecg_task_input in)
{
	size_t i;

	for (i = 0; i < NALLOWED; i++)
		if (allowed[i].from == s && allowed[i].in == in)
			return (int)allowed[i].to;
	return -1;
}

int
main(void)
{
	int s, in, wrong = 0, refused = 0, reach[ECG_TASK_NSTATES] = { 0 }, changed, done_from;

	for (s = 0; s < ECG_TASK_NSTATES; s++)
		for (in = 0; in < ECG_IN_COUNT; in++) {
			int got = ecg_taskstate_next(s, in), want = expected(s, in);
			if (got != want) {
				printf("# %s + %s gives %d, want %d\n", ecg_taskstate_name(s),
				    ecg_taskstate_input_name(in), got, want);
				wrong++;
			}
			if (got < 0)
				refused++;
		}
	ok(wrong == 0, "the table holds exactly the %zu allowed moves (%d pairs differ)", NALLOWED,
	    wrong);
	ok(refused == ECG_TASK_NSTATES * ECG_IN_COUNT - (int)NALLOWED,
	    "every other pair is refused (%d)", refused);
	for (in = 0, wrong = 0; in < ECG_IN_COUNT; in++)
		if (ecg_taskstate_next(ECG_TASK_DONE, in) >= 0)
			wrong++;
	ok(wrong == 0, "DONE is final");
	ok(ecg_taskstate_next(ECG_TASK_NSTATES, ECG_IN_START) < 0 &&
	    ecg_taskstate_next(ECG_TASK_WAITING, ECG_IN_COUNT) < 0, "out of range is refused");

	/* Reachability from WAITING, to a fixed point. */
	reach[ECG_TASK_WAITING] = 1;
	do {
		changed = 0;
		for (s = 0; s < ECG_TASK_NSTATES; s++)
			for (in = 0; in < ECG_IN_COUNT && reach[s]; in++) {
				int to = ecg_taskstate_next(s, in);
				if (to >= 0 && !reach[to])
					reach[to] = changed = 1;
			}
	} while (changed);
	for (s = 0, changed = 0; s < ECG_TASK_NSTATES; s++)
		if (!reach[s]) {
			printf("# %s cannot be reached\n", ecg_taskstate_name(s));
			changed = 1;
		}
	ok(!changed, "every state is reachable from waiting");
	/* DONE from every state: ABANDON, or SKIP for a task that never ran. */
	for (s = 0, done_from = 0; s < ECG_TASK_DONE; s++)
		if (ecg_taskstate_next(s, ECG_IN_ABANDON) == ECG_TASK_DONE)
			done_from++;
	ok(done_from == ECG_TASK_DONE, "the deadline can end a task in every state");
	/* Readiness is latched: nothing leads back to RUNNING or WAITING. */
	for (s = 0, wrong = 0; s < ECG_TASK_NSTATES; s++)
		for (in = 0; in < ECG_IN_COUNT; in++) {
			int to = ecg_taskstate_next(s, in);
			if (to == ECG_TASK_WAITING || (to == ECG_TASK_RUNNING && s != ECG_TASK_STARTING))
				wrong++;
		}
	ok(wrong == 0, "no way back to waiting, and running only from starting");
	ok(ecg_taskstate_live(ECG_TASK_STARTING) && ecg_taskstate_live(ECG_TASK_READY) &&
	    ecg_taskstate_live(ECG_TASK_STOPPING) && !ecg_taskstate_live(ECG_TASK_WAITING) &&
	    !ecg_taskstate_live(ECG_TASK_EXITED) && !ecg_taskstate_live(ECG_TASK_DONE) &&
	    !ecg_taskstate_live(ECG_TASK_RESTARTING),
	    "live means the main process may run");
	ok(strcmp(ecg_taskstate_name(ECG_TASK_STOPPING), "stopping") == 0 &&
	    strcmp(ecg_taskstate_input_name(ECG_IN_NOT_READY), "not ready") == 0, "names");
	return tap_done();
}
