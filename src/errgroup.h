/*
 * errgroup: a group of members sharing one context, after Go's errgroup.
 *
 * ecg_errgroup_go counts a member in; ecg_errgroup_done counts it out with
 * its result.  The first non-zero result cancels the group's context with
 * that result as the cause; results that arrive after the context was
 * cancelled (for whatever reason) change nothing, so the group's answer is
 * always the first cause.  The wait callback runs once, on the loop, when
 * the last member is done.
 */
#ifndef ECG_ERRGROUP_H
#define ECG_ERRGROUP_H

#include "context.h"

struct ecg_errgroup;

typedef void (*ecg_errgroup_cb)(struct ecg_errgroup *g, void *arg);

struct ecg_errgroup {
	struct ecg_context *ctx;	/* cancelled by the first error */
	unsigned live;			/* members counted in and not yet done */
	ecg_errgroup_cb on_wait;	/* NULL until ecg_errgroup_wait */
	void *arg;
	ev_prepare finish;		/* fed to run on_wait after the last done */
};

void ecg_errgroup_init(struct ecg_errgroup *g, struct ecg_context *ctx);
void ecg_errgroup_destroy(struct ecg_errgroup *g);

void ecg_errgroup_go(struct ecg_errgroup *g);
/*
 * A member has returned err (0 = success).  0, or -EINVAL when no member
 * is live (more dones than goes): nothing is changed then.
 */
int ecg_errgroup_done(struct ecg_errgroup *g, int err);
/* Calls cb(g, arg) once no member is live (soon, if none is now). */
void ecg_errgroup_wait(struct ecg_errgroup *g, ecg_errgroup_cb cb, void *arg);
/* The group's answer: the cause its context was cancelled with, else 0. */
int ecg_errgroup_err(const struct ecg_errgroup *g);
unsigned ecg_errgroup_live(const struct ecg_errgroup *g);

#endif
