#include <errno.h>

#include "seed/errgroup.h"
#include "tap.h"

static int waited;

static void
on_wait(struct ecg_errgroup *g, void *arg)
{
	(void)g;
	(void)arg;
	waited++;
}

static int freed;

static void
on_slot(struct ecg_errgroup *g, void *arg)
{
	(void)g;
	(void)arg;
	freed++;
}

int
main(void)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct ecg_context root, ctx;
	struct ecg_errgroup g;
	int n;

	ecg_context_init(&ctx, loop, NULL);
	ecg_errgroup_init(&g, &ctx);
	ecg_errgroup_go(&g);
	ecg_errgroup_go(&g);
	ecg_errgroup_go(&g);
	ecg_errgroup_wait(&g, on_wait, NULL);
	ecg_errgroup_done(&g, 0);
	ev_run(loop, EVRUN_NOWAIT);
	ok(!ecg_context_done(&ctx) && ecg_errgroup_err(&g) == 0, "success does not cancel");
	ecg_errgroup_done(&g, 3);
	ok(ecg_context_done(&ctx) && ecg_errgroup_err(&g) == 3, "the first error cancels with itself");
	ecg_errgroup_done(&g, 9);
	ok(ecg_errgroup_err(&g) == 3, "a later error does not replace the first");
	ok(waited == 0, "wait does not end inside done");
	ev_run(loop, EVRUN_NOWAIT);
	ok(waited == 1 && ecg_errgroup_live(&g) == 0, "wait ends once every member is done");
	ecg_errgroup_destroy(&g);
	ecg_context_destroy(&ctx);

	/* A parent's cancellation is the group's answer when it came first. */
	ecg_context_init(&root, loop, NULL);
	ecg_context_init(&ctx, loop, &root);
	ecg_errgroup_init(&g, &ctx);
	ecg_errgroup_go(&g);
	ecg_context_cancel(&root, 130);
	ev_run(loop, EVRUN_NOWAIT);
	ecg_errgroup_done(&g, 143);
	ok(ecg_errgroup_err(&g) == 130, "a member failing after the parent's cancel is not the cause");
	waited = 0;
	ecg_errgroup_wait(&g, on_wait, NULL);
	ev_run(loop, EVRUN_NOWAIT);
	ok(waited == 1, "waiting on an empty group ends at once (on the loop)");
	ecg_errgroup_destroy(&g);
	ecg_context_destroy(&ctx);
	ecg_context_destroy(&root);

	/* Members may join while others leave: wait follows the count. */
	ecg_context_init(&ctx, loop, NULL);
	ecg_errgroup_init(&g, &ctx);
	waited = 0;
	ecg_errgroup_go(&g);
	ecg_errgroup_wait(&g, on_wait, NULL);
	ecg_errgroup_go(&g);
	ecg_errgroup_done(&g, 0);
	ev_run(loop, EVRUN_NOWAIT);
	ok(waited == 0, "wait is not over while a member that joined late is live");
	ecg_errgroup_done(&g, 0);
	ev_run(loop, EVRUN_NOWAIT);
	ok(waited == 1 && ecg_errgroup_err(&g) == 0, "and ends with no error when it leaves");
	ecg_errgroup_destroy(&g);
	ecg_context_destroy(&ctx);

	/* More dones than goes: refused, and nothing changes. */
	ecg_context_init(&ctx, loop, NULL);
	ecg_errgroup_init(&g, &ctx);
	ecg_errgroup_go(&g);
	ok(ecg_errgroup_done(&g, 0) == 0, "a done for a live member is taken");
	ok(ecg_errgroup_done(&g, 5) == -EINVAL && ecg_errgroup_live(&g) == 0 &&
	    !ecg_context_done(&ctx), "a done with no live member is refused and changes nothing");
	ecg_errgroup_destroy(&g);
	ecg_context_destroy(&ctx);

	/* The limit: slots for try_go members; plain members hold none. */
	ecg_context_init(&ctx, loop, NULL);
	ecg_errgroup_init(&g, &ctx);
	ecg_errgroup_set_limit(&g, 2);
	ecg_errgroup_on_slot(&g, on_slot, NULL);
	ecg_errgroup_go(&g);
	ok(ecg_errgroup_try_go(&g) == 0 && ecg_errgroup_try_go(&g) == 0,
	    "two slot members fit a limit of 2, whatever plain members there are");
	ok(ecg_errgroup_try_go(&g) == -EAGAIN && ecg_errgroup_live(&g) == 3 &&
	    ecg_errgroup_slots(&g) == 2, "a third is refused and not counted in");
	freed = 0;
	ok(ecg_errgroup_release(&g, 0) == 0 && freed == 1 && ecg_errgroup_slots(&g) == 1,
	    "a release frees its slot and says so");
	ok(ecg_errgroup_try_go(&g) == 0, "and the slot can be taken again");
	ok(ecg_errgroup_release(&g, 7) == 0 && ecg_context_cause(&ctx) == 7,
	    "a release with an error cancels like a done");
	ok(ecg_errgroup_release(&g, 0) == 0 && ecg_errgroup_release(&g, 0) == -EINVAL &&
	    freed == 3, "a release with no slot held is refused");
	ecg_errgroup_set_limit(&g, 0);
	for (n = 0; n < 100 && ecg_errgroup_try_go(&g) == 0; n++)
		;
	ok(n == 100, "no limit: every try_go is taken");
	ecg_errgroup_destroy(&g);
	ecg_context_destroy(&ctx);
	ev_loop_destroy(loop);
	return tap_done();
}
