/*
 * errgroup: a group of members sharing one context, after Go's errgroup.
 *
 * ecg_errgroup_go counts a member in; ecg_errgroup_done counts it out with
 * its result.  The first non-zero result cancels the group's context with
 * that result as the cause; results that arrive after the context was
 * cancelled (for whatever reason) change nothing, so the group's answer is
 * always the first cause.  The wait callback runs once, on the loop, when
 * the last member is done.
 *
 * A limit (Go's SetLimit) bounds the members that hold a slot: try_go
 * counts one in only while a slot is free, release counts it out and
 * frees its slot, and the slot callback says a slot is free again.
 * Members counted with plain go hold no slot (ecg-run's output streams).
 */
#ifndef ECG_ERRGROUP_H
#define ECG_ERRGROUP_H

#include "seed/context.h"

struct ecg_errgroup;

typedef void (*ecg_errgroup_cb)(struct ecg_errgroup *g, void *arg);

struct ecg_errgroup {
	struct ecg_context *ctx;	/* cancelled by the first error */
	unsigned live;			/* members counted in and not yet done */
	unsigned limit;			/* slots; 0: no limit */
	unsigned slots;			/* slots held */
	ecg_errgroup_cb on_slot;	/* a slot was freed, or NULL */
	void *slot_arg;
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
/* At most limit slot members at once (0: no limit).  Lowering it stops no one. */
void ecg_errgroup_set_limit(struct ecg_errgroup *g, unsigned limit);
/* Counts a member in with a slot: 0, or -EAGAIN while every slot is held. */
int ecg_errgroup_try_go(struct ecg_errgroup *g);
/*
 * A slot member is done with err (see ecg_errgroup_done); its slot is
 * free, and the slot callback runs (from inside this call).  -EINVAL if no
 * slot is held.
 */
int ecg_errgroup_release(struct ecg_errgroup *g, int err);
/* cb(g, arg) whenever a slot frees. */
void ecg_errgroup_on_slot(struct ecg_errgroup *g, ecg_errgroup_cb cb, void *arg);
/* Slots held now. */
unsigned ecg_errgroup_slots(const struct ecg_errgroup *g);

/* Calls cb(g, arg) once no member is live (soon, if none is now). */
void ecg_errgroup_wait(struct ecg_errgroup *g, ecg_errgroup_cb cb, void *arg);
/* The group's answer: the cause its context was cancelled with, else 0. */
int ecg_errgroup_err(const struct ecg_errgroup *g);
unsigned ecg_errgroup_live(const struct ecg_errgroup *g);

#endif
