/*
 * restart: whether a task runs again when a run of it ends, and when; a
 * pure function of its policy, its history and the run that ended.
 *
 * Not once it is stopping (the group, or the task, was asked to stop);
 * only for the ends the policy names; only while the budget lasts
 * (max_restarts in a row).  A run that stayed ready for restart_reset
 * gives the budget and the first delay back.  The
 * first restart in a row waits restart_delay; each one after waits twice
 * the last, at least ECG_RESTART_FLOOR_MS (0 must not make a crash loop
 * that takes a core: doubling 0 stays 0) and at most restart_delay_max.
 */
#ifndef ECG_RESTART_H
#define ECG_RESTART_H

#include "config/config.h"

/* Every restart in a row after the first waits at least this long (ms). */
#define ECG_RESTART_FLOOR_MS 100

struct ecg_restart_policy {
	enum ecg_restart mode;
	long max_restarts;	/* in a row */
	long delay_ms;		/* the first */
	long delay_max_ms;
	long stable_ms;		/* restart_reset: a run ready this long gives the budget back */
};

/* What a task's restarts so far leave for the next. */
struct ecg_restart_history {
	long restarts;		/* in a row */
	long delay_ms;		/* the next one's delay */
};

/* The run that ended. */
struct ecg_restart_run {
	int failed;		/* its end was a failure (success_status says which are not) */
	int stopping;		/* it ended because it was asked to stop */
	double ready_at;	/* when it became ready (clock.h), or < 0: never */
	double now;		/* when it ended */
};

struct ecg_restart_decision {
	int again;		/* 1: it runs again after delay_ms; 0: it is over */
	long delay_ms;
	long n;			/* which restart in a row this is (1: the first) */
	struct ecg_restart_history next;	/* the history after it */
};

void ecg_restart_policy_of(struct ecg_restart_policy *p, const struct ecg_task_spec *spec);
/* A task's history before its first run. */
void ecg_restart_history_init(struct ecg_restart_history *h, const struct ecg_restart_policy *p);
struct ecg_restart_decision ecg_restart_decide(const struct ecg_restart_policy *p,
    const struct ecg_restart_history *h, const struct ecg_restart_run *run);

#endif
