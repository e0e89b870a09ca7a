/*
 * taskstate: the table allows exactly the transitions a task can make,
 * each with its action; every state is reachable from WAITING, and DONE
 * from every state; a restart goes through RESTARTING and BACKOFF.
 */
#include <string.h>

#include "task/taskstate.h"
#include "tap.h"

struct move {
	enum ecg_task_state from;
	enum ecg_task_input in;
	enum ecg_task_state to;
	enum ecg_task_action action;
};

#define M(f, i, t, a) { ECG_TASK_##f, ECG_IN_##i, ECG_TASK_##t, ECG_ACT_##a }

/* The whole of what a task may do (taskstate.h draws it), written out again. */
static const struct move allowed[] = {
	M(WAITING, START, STARTING, START),
	M(WAITING, SKIP, DONE, SKIP),
	M(WAITING, ABANDON, DONE, SKIP),
	M(WAITING, HALT, DONE, HALT_WAITING),
	M(STARTING, RESTART, RECYCLING, CYCLE),
	M(STARTING, HALT, ENDING, HALT),
	M(RUNNING, RESTART, RECYCLING, CYCLE),
	M(RUNNING, HALT, ENDING, HALT),
	M(READY, RESTART, RECYCLING, CYCLE),
	M(READY, HALT, ENDING, HALT),
	M(READY, UNHEALTHY, ENDING, UNHEALTHY),
	M(RECYCLING, HALT, ENDING, NOT_RESTARTED),
	M(RESTARTING, HALT, EXITED, NOT_RESTARTED),
	M(BACKOFF, HALT, DONE, NOT_RESTARTED_DONE),
	M(DONE, START, STARTING, START),
	M(STARTING, EXEC, RUNNING, EXEC),
	M(STARTING, TIMEOUT, ENDING, TIMEOUT),
	M(STARTING, STOP, STOPPING, STOP),
	M(STARTING, SIGNAL, STARTING, SIGNAL),
	M(STARTING, KILL, STARTING, KILL),
	M(STARTING, EXIT, EXITED, EXIT),
	M(STARTING, ABANDON, DONE, ABANDON),
	M(RUNNING, READY, READY, READY),
	M(RUNNING, NOT_READY, ENDING, NOT_READY),
	M(RUNNING, TIMEOUT, ENDING, TIMEOUT),
	M(RUNNING, STOP, STOPPING, STOP),
	M(RUNNING, SIGNAL, RUNNING, SIGNAL),
	M(RUNNING, KILL, RUNNING, KILL),
	M(RUNNING, EXIT, EXITED, EXIT),
	M(RUNNING, ABANDON, DONE, ABANDON),
	M(READY, TIMEOUT, ENDING, TIMEOUT),
	M(READY, STOP, STOPPING, STOP),
	M(READY, SIGNAL, READY, SIGNAL),
	M(READY, KILL, READY, KILL),
	M(READY, EXIT, EXITED, EXIT),
	M(READY, ABANDON, DONE, ABANDON),
	M(STOPPING, TIMEOUT, ENDING, TIMEOUT),
	M(STOPPING, STOP, STOPPING, NONE),
	M(STOPPING, SIGNAL, STOPPING, SIGNAL),
	M(STOPPING, KILL, STOPPING, KILL),
	M(STOPPING, EXIT, EXITED, EXIT),
	M(STOPPING, ABANDON, DONE, ABANDON),
	M(ENDING, STOP, ENDING, NONE),
	M(ENDING, SIGNAL, ENDING, SIGNAL),
	M(ENDING, KILL, ENDING, KILL),
	M(ENDING, EXIT, EXITED, EXIT_DECIDED),
	M(ENDING, END, ENDING, COUNT_STOP),
	M(ENDING, AGAIN, RECYCLING, RESTART_STOP),
	M(ENDING, ABANDON, DONE, ABANDON_DECIDED),
	M(RECYCLING, STOP, ENDING, NOT_RESTARTED),
	M(RECYCLING, SIGNAL, RECYCLING, SIGNAL),
	M(RECYCLING, KILL, RECYCLING, KILL),
	M(RECYCLING, EXIT, RESTARTING, EXIT_DECIDED),
	M(RECYCLING, ABANDON, DONE, ABANDON_DECIDED),
	M(EXITED, READY, EXITED, READY),
	M(EXITED, STOP, EXITED, NONE),
	M(EXITED, SIGNAL, EXITED, SIGNAL),
	M(EXITED, KILL, EXITED, KILL),
	M(EXITED, END, EXITED, COUNT),
	M(EXITED, AGAIN, RESTARTING, RESTART),
	M(EXITED, GONE, DONE, DONE),
	M(EXITED, ABANDON, DONE, ABANDON_DECIDED),
	M(RESTARTING, READY, RESTARTING, READY),
	M(RESTARTING, STOP, EXITED, NOT_RESTARTED),
	M(RESTARTING, SIGNAL, RESTARTING, SIGNAL),
	M(RESTARTING, KILL, RESTARTING, KILL),
	M(RESTARTING, GONE, BACKOFF, BACKOFF),
	M(RESTARTING, ABANDON, DONE, ABANDON_DECIDED),
	M(BACKOFF, STOP, DONE, NOT_RESTARTED_DONE),
	M(BACKOFF, SIGNAL, BACKOFF, SIGNAL),
	M(BACKOFF, KILL, BACKOFF, KILL),
	M(BACKOFF, DELAY, STARTING, START),
	M(BACKOFF, ABANDON, DONE, ABANDON_DECIDED),
};
#define NALLOWED (sizeof(allowed) / sizeof(allowed[0]))

static const struct move *
expected_move(enum ecg_task_state s, enum ecg_task_input in)
{
	size_t i;

	for (i = 0; i < NALLOWED; i++)
		if (allowed[i].from == s && allowed[i].in == in)
			return &allowed[i];
	return NULL;
}

static int
expected(enum ecg_task_state s, enum ecg_task_input in)
{
	const struct move *m = expected_move(s, in);

	return m != NULL ? (int)m->to : -1;
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
	for (s = 0, wrong = 0; s < ECG_TASK_NSTATES; s++)
		for (in = 0; in < ECG_IN_COUNT; in++) {
			const struct ecg_task_cell *c = ecg_taskstate_cell(s, in);
			const struct move *m = expected_move(s, in);
			if (c != NULL && m != NULL && c->action != m->action) {
				printf("# %s + %s takes %s, want %s\n", ecg_taskstate_name(s),
				    ecg_taskstate_input_name(in), ecg_taskstate_action_name(c->action),
				    ecg_taskstate_action_name(m->action));
				wrong++;
			}
		}
	ok(wrong == 0, "each move takes its action (%d differ)", wrong);
	ok(refused == ECG_TASK_NSTATES * ECG_IN_COUNT - (int)NALLOWED,
	    "every other pair is refused (%d)", refused);
	for (in = 0, wrong = 0; in < ECG_IN_COUNT; in++)
		if (ecg_taskstate_next(ECG_TASK_DONE, in) >= 0 && in != ECG_IN_START)
			wrong++;
	ok(wrong == 0 && ecg_taskstate_next(ECG_TASK_DONE, ECG_IN_START) == ECG_TASK_STARTING,
	    "DONE takes only a start (asked, while the group runs)");
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
			if (to == ECG_TASK_WAITING ||
			    (to == ECG_TASK_RUNNING && s != ECG_TASK_STARTING && s != ECG_TASK_RUNNING))
				wrong++;
		}
	ok(wrong == 0, "no way back to waiting, and into running only from starting");
	ok(ecg_taskstate_live(ECG_TASK_STARTING) && ecg_taskstate_live(ECG_TASK_READY) &&
	    ecg_taskstate_live(ECG_TASK_STOPPING) && ecg_taskstate_live(ECG_TASK_ENDING) &&
	    ecg_taskstate_live(ECG_TASK_RECYCLING) && !ecg_taskstate_live(ECG_TASK_WAITING) &&
	    !ecg_taskstate_live(ECG_TASK_EXITED) && !ecg_taskstate_live(ECG_TASK_DONE) &&
	    !ecg_taskstate_live(ECG_TASK_RESTARTING) && !ecg_taskstate_live(ECG_TASK_BACKOFF),
	    "live means the main process may run");
	ok(strcmp(ecg_taskstate_name(ECG_TASK_STOPPING), "stopping") == 0 &&
	    strcmp(ecg_taskstate_input_name(ECG_IN_NOT_READY), "not ready") == 0 &&
	    strcmp(ecg_taskstate_action_name(ECG_ACT_ABANDON_DECIDED), "abandon (decided)") == 0 &&
	    strcmp(ecg_taskstate_name(ECG_TASK_NSTATES), "?") == 0, "names");
	return tap_done();
}
