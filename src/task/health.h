/*
 * health: one task's health checks, from its readiness until it stops
 * (health = tcp HOST:PORT | http URL | command CMD | watchdog DURATION).
 *
 * tcp, http and command are one attempt every health_interval, each
 * bounded by health_timeout, never two at once (the next is timed from
 * the end of the last); the attempt is a readiness check's (ready.h) made
 * one at a time.  The first is made at once.  health_retries failures in a
 * row make the task unhealthy.  watchdog D: the task sends WATCHDOG=1 to
 * its NOTIFY_SOCKET at least every D (systemd's WatchdogSec=); one D
 * without it makes the task unhealthy at once, as systemd does.
 *
 * The owner hears of every change (a check that failed, healthy again,
 * unhealthy); once unhealthy, checking stops: what happens to the task is
 * the owner's.
 */
#ifndef ECG_HEALTH_H
#define ECG_HEALTH_H

#include <ev.h>
#include <sys/types.h>

#include "base/buf.h"
#include "config/config.h"
#include "task/ready.h"

enum ecg_health_state {
	ECG_HEALTH_NONE,	/* no health check, or not begun */
	ECG_HEALTH_STARTING,	/* begun, no result yet */
	ECG_HEALTH_HEALTHY,
	ECG_HEALTH_FAILING,	/* failures in a row, fewer than health_retries */
	ECG_HEALTH_UNHEALTHY,
};

struct ecg_health;

struct ecg_health_hooks {
	/* Its state changed, or one more check failed (error: why; "" when healthy). */
	void (*changed)(struct ecg_health *h, enum ecg_health_state state, const char *error,
	    long fails, void *arg);
	/* A probe process is over, after ecg_health_stop (see ecg_health_idle). */
	void (*idle)(struct ecg_health *h, void *arg);
	/* The environment for a command probe, freshly allocated. */
	char **(*env)(void *arg);
};

struct ecg_health {
	struct ev_loop *loop;
	const struct ecg_task_spec *spec;
	const struct ecg_health_hooks *hooks;
	void *arg;
	struct ecg_ready probe;		/* tcp, http, command */
	int has_probe;
	ev_timer tick;			/* the next attempt, or the watchdog's deadline */
	int active;			/* between begin and stop (or unhealthy) */
	int attempting;			/* an attempt is under way */
	pid_t pgid;
	long fails;			/* in a row */
	enum ecg_health_state state;
	struct ecg_buf error;		/* the last failure: its target, why, how many in a row */
};

void ecg_health_init(struct ecg_health *h, struct ev_loop *loop, const struct ecg_task_spec *spec,
    const struct ecg_ready_probe_env *probe_env, const struct ecg_health_hooks *hooks,
    void *arg);
void ecg_health_destroy(struct ecg_health *h);
/* The task (process group pgid) is ready: checking begins. */
void ecg_health_begin(struct ecg_health *h, pid_t pgid);
/* The task sent WATCHDOG=1. */
void ecg_health_ping(struct ecg_health *h);
/* The task stops: checking ends (a probe process still running is stopped). */
void ecg_health_stop(struct ecg_health *h);
/* Whether no probe process of ours is left. */
int ecg_health_idle(const struct ecg_health *h);
enum ecg_health_state ecg_health_state(const struct ecg_health *h);
/* The last failure ("" if none). */
const char *ecg_health_error(const struct ecg_health *h);
/* The state's name: "starting", "healthy", "failing", "unhealthy" ("" for none). */
const char *ecg_health_name(enum ecg_health_state s);

#endif
