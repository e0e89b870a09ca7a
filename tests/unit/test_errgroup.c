#include <errno.h>
#include "errgroup.h"
#include "tap.h"

static int waited;

static void
on_wait(struct ecg_errgroup *g, void *arg)
{
	(void)g;
	(void)arg;
	waited++;
}

int
main(void)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct ecg_context root, ctx;
	struct ecg_errgroup g;

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
	ev_loop_destroy(loop);
	return tap_done();
}
