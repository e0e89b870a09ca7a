#include "seed/context.h"
#include "tap.h"

static int runs, inside;

static void
count(struct ecg_context *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	runs++;
	if (inside)
		runs += 1000;
}

int
main(void)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct ecg_context root, child, other;
	struct ecg_context_waiter w1 = { 0 }, w2 = { 0 }, w3 = { 0 }, w4 = { 0 };

	ecg_context_init(&root, loop, NULL);
	ecg_context_init(&child, loop, &root);
	ecg_context_init(&other, loop, NULL);
	ok(!ecg_context_done(&root) && ecg_context_cause(&root) == 0, "a new context is live");

	ecg_context_on_cancel(&root, &w1, count, NULL);
	ecg_context_on_cancel(&root, &w2, count, NULL);
	ecg_context_forget(&root, &w2);
	inside = 1;
	ok(ecg_context_cancel(&root, 130) == 1, "the first cancel takes effect");
	ok(ecg_context_cancel(&root, 3) == 0, "a second cancel is ignored");
	inside = 0;
	ok(runs == 0, "callbacks do not run inside cancel");
	ok(ecg_context_cause(&root) == 130, "the first cause is kept");
	ev_run(loop, EVRUN_NOWAIT);
	ok(runs == 1, "the callback ran once on the loop, a forgotten one never (%d)", runs);
	ok(ecg_context_done(&child) && ecg_context_cause(&child) == 130,
	    "a child is cancelled with its parent's cause");
	ok(!ecg_context_done(&other), "an unrelated context is untouched");

	inside = 1;
	ecg_context_on_cancel(&root, &w3, count, NULL);
	inside = 0;
	ok(runs == 1, "registering on a cancelled context does not call back at once");
	ev_run(loop, EVRUN_NOWAIT);
	ok(runs == 2, "but it runs soon after, on the loop");
	ev_run(loop, EVRUN_NOWAIT);
	ok(runs == 2, "and only once");

	/* Cancelling a child leaves the parent alone. */
	{
		struct ecg_context p, c;
		ecg_context_init(&p, loop, NULL);
		ecg_context_init(&c, loop, &p);
		ecg_context_cancel(&c, 7);
		ev_run(loop, EVRUN_NOWAIT);
		ok(ecg_context_done(&c) && !ecg_context_done(&p), "a child's cancel does not reach its parent");
		ecg_context_on_cancel(&p, &w4, count, NULL);
		ecg_context_destroy(&c);
		ecg_context_cancel(&p, 9);
		ev_run(loop, EVRUN_NOWAIT);
		ok(runs == 3, "a destroyed child is no longer called by its parent");
		ecg_context_destroy(&p);
	}
	ecg_context_destroy(&child);
	ecg_context_destroy(&other);
	ecg_context_destroy(&root);
	ev_loop_destroy(loop);
	return tap_done();
}
