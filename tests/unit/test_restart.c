/*
 * restart: the decision is a pure function of the policy, the history and
 * the run that ended: which ends restart, the budget, the delays (doubled,
 * the floor after the first, the cap), and a stable run's reset.
 */
#include "task/restart.h"
#include "tap.h"

#define STABLE_MS 10000
#define STABLE_S (STABLE_MS / 1000.0)

static struct ecg_restart_policy
policy(enum ecg_restart mode, long max, long delay, long delay_max)
{
	struct ecg_restart_policy p = { mode, max, delay, delay_max, STABLE_MS };

	return p;
}

/* failed: its end was a failure (a non-zero status, unless success_status says otherwise) */
static struct ecg_restart_run
run(int failed, int stopping, double ready_at, double now)
{
	struct ecg_restart_run r = { failed, stopping, ready_at, now };

	return r;
}

int
main(void)
{
	struct ecg_restart_policy p;
	struct ecg_restart_history h;
	struct ecg_restart_decision d;
	struct ecg_restart_run r;
	long delays[6];
	int i, again;

	p = policy(ECG_RESTART_NO, 5, 100, 1000);
	ecg_restart_history_init(&h, &p);
	r = run(1, 0, -1, 5);
	d = ecg_restart_decide(&p, &h, &r);
	ok(!d.again && d.next.restarts == 0, "restart = no: never");

	p = policy(ECG_RESTART_ON_FAILURE, 5, 100, 1000);
	ecg_restart_history_init(&h, &p);
	r = run(0, 0, -1, 5);
	d = ecg_restart_decide(&p, &h, &r);
	ok(!d.again, "on-failure: an exit with 0 is over");
	r = run(3, 0, -1, 5);
	d = ecg_restart_decide(&p, &h, &r);
	ok(d.again && d.n == 1 && d.delay_ms == 100 && d.next.restarts == 1,
	    "on-failure: a failure restarts after restart_delay, as the first restart");
	r = run(124, 1, -1, 5);
	d = ecg_restart_decide(&p, &h, &r);
	ok(!d.again, "nothing restarts once it is stopping");

	p = policy(ECG_RESTART_ALWAYS, 3, 100, 1000);
	ecg_restart_history_init(&h, &p);
	r = run(0, 0, -1, 5);
	for (i = 0, again = 0; i < 5; i++) {
		d = ecg_restart_decide(&p, &h, &r);
		if (!d.again)
			break;
		again++;
		delays[i] = d.delay_ms;
		h = d.next;
	}
	ok(again == 3 && !d.again, "always: max_restarts in a row, then over (%d)", again);
	ok(delays[0] == 100 && delays[1] == 200 && delays[2] == 400, "each delay twice the last");
	ok(h.restarts == 3 && d.next.restarts == 3, "a give-up leaves the history as it was");

	p = policy(ECG_RESTART_ALWAYS, 10, 300, 1000);
	ecg_restart_history_init(&h, &p);
	for (i = 0; i < 5; i++) {
		d = ecg_restart_decide(&p, &h, &r);
		delays[i] = d.delay_ms;
		h = d.next;
	}
	ok(delays[0] == 300 && delays[1] == 600 && delays[2] == 1000 && delays[3] == 1000,
	    "up to restart_delay_max");

	p = policy(ECG_RESTART_ALWAYS, 10, 0, 30000);
	ecg_restart_history_init(&h, &p);
	for (i = 0; i < 4; i++) {
		d = ecg_restart_decide(&p, &h, &r);
		delays[i] = d.delay_ms;
		h = d.next;
	}
	ok(delays[0] == 0 && delays[1] == ECG_RESTART_FLOOR_MS &&
	    delays[2] == 2 * ECG_RESTART_FLOOR_MS && delays[3] == 4 * ECG_RESTART_FLOOR_MS,
	    "restart_delay = 0: the first at once, then at least the floor, doubling");
	p = policy(ECG_RESTART_ALWAYS, 10, 0, 0);
	ecg_restart_history_init(&h, &p);
	d = ecg_restart_decide(&p, &h, &r);
	h = d.next;
	d = ecg_restart_decide(&p, &h, &r);
	ok(d.delay_ms == ECG_RESTART_FLOOR_MS, "the floor holds over restart_delay_max = 0");

	p = policy(ECG_RESTART_ON_FAILURE, 2, 100, 1000);
	ecg_restart_history_init(&h, &p);
	h.restarts = 2;
	h.delay_ms = 400;
	r = run(1, 0, 0, STABLE_S - 0.5);
	d = ecg_restart_decide(&p, &h, &r);
	ok(!d.again, "a run ready for less than the stable window keeps the budget spent");
	r = run(1, 0, 0, STABLE_S);
	d = ecg_restart_decide(&p, &h, &r);
	ok(d.again && d.n == 1 && d.delay_ms == 100 && d.next.restarts == 1,
	    "a run ready for the stable window gives the budget and the first delay back");
	r = run(1, 0, -1, 1000);
	d = ecg_restart_decide(&p, &h, &r);
	ok(!d.again, "a run never ready gives nothing back, however long it ran");

	/* restart_reset = 2s: its own stable window. */
	p = policy(ECG_RESTART_ON_FAILURE, 2, 100, 1000);
	p.stable_ms = 2000;
	ecg_restart_history_init(&h, &p);
	h.restarts = 2;
	r = run(1, 0, 0, 1.9);
	d = ecg_restart_decide(&p, &h, &r);
	ok(!d.again, "restart_reset = 2s: ready 1.9 s keeps the budget spent");
	r = run(1, 0, 0, 2.0);
	d = ecg_restart_decide(&p, &h, &r);
	ok(d.again && d.n == 1, "restart_reset = 2s: ready 2 s gives it back");
	return tap_done();
}
