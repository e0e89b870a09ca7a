#include "seed/errgroup.h"

#include <errno.h>
#include <stddef.h>

static void
finish_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct ecg_errgroup *g = w->data;
	ecg_errgroup_cb cb = g->on_wait;

	(void)loop;
	(void)revents;
	/* A member may have joined between the feed and now. */
	if (cb == NULL || g->live > 0)
		return;
	g->on_wait = NULL;
	cb(g, g->arg);
}

static void
maybe_finish(struct ecg_errgroup *g)
{
	if (g->on_wait != NULL && g->live == 0)
		ev_feed_event(g->ctx->loop, &g->finish, EV_CUSTOM);
}

void
ecg_errgroup_init(struct ecg_errgroup *g, struct ecg_context *ctx)
{
	g->ctx = ctx;
	g->live = 0;
	g->limit = 0;
	g->slots = 0;
	g->on_slot = NULL;
	g->slot_arg = NULL;
	g->on_wait = NULL;
	g->arg = NULL;
	ev_prepare_init(&g->finish, finish_cb);
	g->finish.data = g;
}

void
ecg_errgroup_destroy(struct ecg_errgroup *g)
{
	ev_clear_pending(g->ctx->loop, &g->finish);
	g->on_wait = NULL;
}

void
ecg_errgroup_go(struct ecg_errgroup *g)
{
	g->live++;
}

int
ecg_errgroup_done(struct ecg_errgroup *g, int err)
{
	/* More dones than goes is a bug of the caller: say so, change nothing. */
	if (g->live == 0)
		return -EINVAL;
	g->live--;
	if (err != 0)
		ecg_context_cancel(g->ctx, err);
	maybe_finish(g);
	return 0;
}

void
ecg_errgroup_wait(struct ecg_errgroup *g, ecg_errgroup_cb cb, void *arg)
{
	g->on_wait = cb;
	g->arg = arg;
	maybe_finish(g);
}

int
ecg_errgroup_err(const struct ecg_errgroup *g)
{
	return ecg_context_cause(g->ctx);
}

unsigned
ecg_errgroup_live(const struct ecg_errgroup *g)
{
	return g->live;
}

void
ecg_errgroup_set_limit(struct ecg_errgroup *g, unsigned limit)
{
	g->limit = limit;
}

int
ecg_errgroup_try_go(struct ecg_errgroup *g)
{
	if (g->limit > 0 && g->slots >= g->limit)
		return -EAGAIN;
	g->slots++;
	ecg_errgroup_go(g);
	return 0;
}

int
ecg_errgroup_release(struct ecg_errgroup *g, int err)
{
	if (g->slots == 0 || g->live == 0)
		return -EINVAL;
	g->slots--;
	ecg_errgroup_done(g, err);
	if (g->on_slot != NULL)
		g->on_slot(g, g->slot_arg);
	return 0;
}

void
ecg_errgroup_on_slot(struct ecg_errgroup *g, ecg_errgroup_cb cb, void *arg)
{
	g->on_slot = cb;
	g->slot_arg = arg;
}

unsigned
ecg_errgroup_slots(const struct ecg_errgroup *g)
{
	return g->slots;
}
