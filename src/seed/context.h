/*
 * context: a cancellation signal, after Go's context.Context.
 *
 * A context is cancelled at most once; the first cancel records a cause
 * (an int chosen by the caller, here an exit status) and later cancels are
 * ignored.  Code that must react to cancellation registers a waiter; each
 * waiter's callback runs once, on the event loop, after the call that
 * cancelled (or registered) has returned, so a callback never runs inside
 * the code that triggered it.  A child context is cancelled, with its
 * parent's cause, when its parent is.
 */
#ifndef ECG_CONTEXT_H
#define ECG_CONTEXT_H

#include <ev.h>

struct ecg_context;

typedef void (*ecg_context_cb)(struct ecg_context *ctx, void *arg);

/* A registration, embedded in the object that waits (no allocation). */
struct ecg_context_waiter {
	struct ecg_context_waiter *next;	/* in the context's list */
	struct ecg_context_waiter *prev;
	ecg_context_cb cb;
	void *arg;
	int linked;				/* 1 while registered and not yet run */
};

struct ecg_context {
	struct ev_loop *loop;
	int cancelled;				/* 1 once cancelled */
	int cause;				/* the first cancel's cause */
	struct ecg_context *parent;		/* NULL for a root */
	struct ecg_context_waiter parent_link;	/* our registration on parent */
	struct ecg_context_waiter *waiters;	/* not yet run */
	ev_prepare deliver;			/* fed to run waiters after the caller returns */
};

void ecg_context_init(struct ecg_context *ctx, struct ev_loop *loop, struct ecg_context *parent);
void ecg_context_destroy(struct ecg_context *ctx);

/* Cancels with cause: 1 if this call did it, 0 if it was already cancelled. */
int ecg_context_cancel(struct ecg_context *ctx, int cause);
int ecg_context_done(const struct ecg_context *ctx);
/* The cause of the cancellation; 0 while not cancelled. */
int ecg_context_cause(const struct ecg_context *ctx);

/* Runs cb(ctx, arg) once when ctx is cancelled (soon, if it already is). */
void ecg_context_on_cancel(struct ecg_context *ctx, struct ecg_context_waiter *w,
    ecg_context_cb cb, void *arg);
/* Withdraws a registration whose callback has not run; harmless otherwise. */
void ecg_context_forget(struct ecg_context *ctx, struct ecg_context_waiter *w);

#endif
