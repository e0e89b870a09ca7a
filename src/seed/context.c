#include "seed/context.h"

#include <stddef.h>

static void
unlink_waiter(struct ecg_context *ctx, struct ecg_context_waiter *w)
{
	if (!w->linked)
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		ctx->waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
	w->linked = 0;
}

/*
 * Waiters run from a fed event rather than from ecg_context_cancel itself:
 * the canceller is usually in the middle of handling something (a child's
 * exit, a write error) and must not find the world changed under it.  A fed
 * event runs in the same loop iteration, so nothing is delayed.
 */
static void
deliver_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct ecg_context *ctx = w->data;
	struct ecg_context_waiter *cur;

	(void)loop;
	(void)revents;
	while ((cur = ctx->waiters) != NULL) {
		unlink_waiter(ctx, cur);
		cur->cb(ctx, cur->arg);
	}
}

static void
parent_cancelled(struct ecg_context *parent, void *arg)
{
	ecg_context_cancel(arg, parent->cause);
}

void
ecg_context_init(struct ecg_context *ctx, struct ev_loop *loop, struct ecg_context *parent)
{
	ctx->loop = loop;
	ctx->cancelled = 0;
	ctx->cause = 0;
	ctx->parent = parent;
	ctx->waiters = NULL;
	ctx->parent_link.linked = 0;
	ev_prepare_init(&ctx->deliver, deliver_cb);
	ctx->deliver.data = ctx;
	if (parent != NULL)
		ecg_context_on_cancel(parent, &ctx->parent_link, parent_cancelled, ctx);
}

void
ecg_context_destroy(struct ecg_context *ctx)
{
	if (ctx->parent != NULL)
		ecg_context_forget(ctx->parent, &ctx->parent_link);
	while (ctx->waiters != NULL)
		unlink_waiter(ctx, ctx->waiters);
	ev_clear_pending(ctx->loop, &ctx->deliver);
}

int
ecg_context_cancel(struct ecg_context *ctx, int cause)
{
	if (ctx->cancelled)
		return 0;
	ctx->cancelled = 1;
	ctx->cause = cause;
	if (ctx->waiters != NULL)
		ev_feed_event(ctx->loop, &ctx->deliver, EV_CUSTOM);
	return 1;
}

int
ecg_context_done(const struct ecg_context *ctx)
{
	return ctx->cancelled;
}

int
ecg_context_cause(const struct ecg_context *ctx)
{
	return ctx->cause;
}

void
ecg_context_on_cancel(struct ecg_context *ctx, struct ecg_context_waiter *w,
    ecg_context_cb cb, void *arg)
{
	if (w->linked)
		unlink_waiter(ctx, w);
	w->cb = cb;
	w->arg = arg;
	w->prev = NULL;
	w->next = ctx->waiters;
	if (ctx->waiters != NULL)
		ctx->waiters->prev = w;
	ctx->waiters = w;
	w->linked = 1;
	if (ctx->cancelled)
		ev_feed_event(ctx->loop, &ctx->deliver, EV_CUSTOM);
}

void
ecg_context_forget(struct ecg_context *ctx, struct ecg_context_waiter *w)
{
	unlink_waiter(ctx, w);
}
