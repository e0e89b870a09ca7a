/*
 * signals: what ecg-run does with the signals it gets.
 *
 * HUP, USR1, USR2 and WINCH are forwarded to each task whose forward key
 * names them.  One that no task of the group takes keeps its meaning for
 * ecg-run itself: HUP (the terminal went away) is an interrupt like TERM;
 * USR1 and USR2 are ignored, said once each time; WINCH is ignored.  INT,
 * TERM, QUIT (and HUP) and the other signals that would end ecg-run by
 * default cancel the group instead (the first one is the cause); INT,
 * TERM, QUIT or HUP again while the group is stopping kills every task at
 * once.  A copy of a signal that arrives within ECG_SIGNALS_SAME_REQUEST
 * of the previous request of the same signal is that request again, not
 * a new one.
 */
#ifndef ECG_SIGNALS_H
#define ECG_SIGNALS_H

#include <ev.h>
#include <stddef.h>

#include "seed/context.h"
#include "seed/event.h"

/* How many signals ecg-run handles (signals.c lists them). */
#define ECG_SIGNALS_COUNT 13
#define ECG_SIGNALS_SAME_REQUEST 0.25

struct ecg_signals_hooks {
	size_t (*takers)(int sig, void *arg);	/* how many tasks forward sig */
	void (*forward)(int sig, void *arg);	/* to every task that takes it */
	void (*kill_all)(void *arg);		/* asked again while stopping */
	void (*winch)(void *arg);		/* SIGWINCH: the terminal's size changed */
};

struct ecg_signals {
	struct ev_loop *loop;
	struct ecg_context *cancel;	/* cancelled with 128 + the signal */
	struct ecg_context *group;	/* done means stopping */
	const struct ecg_signals_hooks *hooks;
	void *arg;
	ecg_event_fn event;
	void *event_arg;
	ev_signal sigs[ECG_SIGNALS_COUNT];
	double request_at[ECG_SIGNALS_COUNT];	/* when each was last a request */
	int signal;			/* the signal that cancelled, or 0 */
	int interrupt;			/* the first SIGINT, SIGTERM, SIGQUIT (SIGHUP), or 0 */
};

void ecg_signals_init(struct ecg_signals *s, struct ev_loop *loop, struct ecg_context *cancel,
    struct ecg_context *group, const struct ecg_signals_hooks *hooks, void *arg,
    ecg_event_fn event, void *event_arg);
/* Starts catching them. */
void ecg_signals_start(struct ecg_signals *s);
/*
 * Stops catching them, leaving each ignored and blocked: after the run a
 * late signal must not change how ecg-run ends.
 */
void ecg_signals_stop(struct ecg_signals *s);

/* See ecg_supervisor_end_signal. */
int ecg_signals_end_signal(const struct ecg_signals *s, int status);

#endif
