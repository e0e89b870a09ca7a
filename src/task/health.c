#define _GNU_SOURCE
#include "task/health.h"

#include <stdio.h>
#include <string.h>

#include "config/value.h"

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents);

static void
probe_result(struct ecg_ready *r, int ok, const char *error, void *arg);

static void
probe_idle(struct ecg_ready *r, void *arg)
{
	struct ecg_health *h = arg;

	(void)r;
	if (h->hooks->idle != NULL)
		h->hooks->idle(h, h->arg);
}

static char **
probe_env(void *arg)
{
	struct ecg_health *h = arg;

	return h->hooks->env != NULL ? h->hooks->env(h->arg) : NULL;
}

static const struct ecg_ready_hooks probe_hooks = {
	.result = probe_result,
	.idle = probe_idle,
	.env = probe_env,
};

void
ecg_health_init(struct ecg_health *h, struct ev_loop *loop, const struct ecg_task_spec *spec,
    const struct ecg_ready_probe_env *probe_env_, const struct ecg_health_hooks *hooks,
    void *arg)
{
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	h->spec = spec;
	h->hooks = hooks;
	h->arg = arg;
	ev_timer_init(&h->tick, tick_cb, 0, 0);
	h->tick.data = h;
	if (spec->health.check != NULL && spec->health.kind != ECG_READY_NOTIFY) {
		ecg_ready_init_once(&h->probe, loop, spec, &spec->health, spec->health_timeout_ms,
		    probe_env_, &probe_hooks, h);
		h->has_probe = 1;
	}
}

void
ecg_health_destroy(struct ecg_health *h)
{
	ev_timer_stop(h->loop, &h->tick);
	if (h->has_probe)
		ecg_ready_destroy(&h->probe);
	ecg_buf_free(&h->error);
}

static int
watchdog(const struct ecg_health *h)
{
	return h->spec->health.kind == ECG_READY_NOTIFY;
}

static void
set_state(struct ecg_health *h, enum ecg_health_state s)
{
	h->state = s;
	h->hooks->changed(h, s, ecg_buf_str(&h->error), h->fails, h->arg);
}

static void
next_in(struct ecg_health *h, long ms)
{
	ev_timer_stop(h->loop, &h->tick);
	ev_timer_set(&h->tick, (double)ms / 1000.0, 0);
	ev_timer_start(h->loop, &h->tick);
}

static void
attempt(struct ecg_health *h)
{
	/* The probe of a run before is still going: never two at once. */
	if (!ecg_ready_idle(&h->probe)) {
		next_in(h, h->spec->health_interval_ms);
		return;
	}
	h->attempting = 1;
	ecg_ready_once(&h->probe, h->pgid);
}

static void
probe_result(struct ecg_ready *r, int ok, const char *error, void *arg)
{
	struct ecg_health *h = arg;

	(void)r;
	h->attempting = 0;
	if (!h->active)
		return;
	if (ok) {
		h->fails = 0;
		ecg_buf_reset(&h->error);
		if (h->state != ECG_HEALTH_HEALTHY)
			set_state(h, ECG_HEALTH_HEALTHY);
	} else {
		h->fails++;
		ecg_buf_reset(&h->error);
		ecg_buf_printf(&h->error, "%s: %s, %ld check%s in a row",
		    h->spec->health.arg, error != NULL && error[0] != '\0' ? error : "failed",
		    h->fails, h->fails == 1 ? "" : "s");
		if (h->fails >= h->spec->health_retries) {
			h->active = 0;
			set_state(h, ECG_HEALTH_UNHEALTHY);
			return;
		}
		set_state(h, ECG_HEALTH_FAILING);
	}
	if (h->active)
		next_in(h, h->spec->health_interval_ms);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_health *h = w->data;
	char dur[32];

	(void)loop;
	(void)revents;
	if (!h->active)
		return;
	if (!watchdog(h)) {
		if (!h->attempting)
			attempt(h);
		return;
	}
	/* No WATCHDOG=1 for a whole period: unhealthy at once. */
	ecg_value_format_duration(h->spec->health.watchdog_ms, dur, sizeof(dur));
	h->fails = 1;
	ecg_buf_reset(&h->error);
	ecg_buf_printf(&h->error, "watchdog: no WATCHDOG=1 for %s", dur);
	h->active = 0;
	set_state(h, ECG_HEALTH_UNHEALTHY);
}

void
ecg_health_begin(struct ecg_health *h, pid_t pgid)
{
	if (h->spec->health.check == NULL)
		return;
	h->active = 1;
	h->pgid = pgid;
	h->fails = 0;
	ecg_buf_reset(&h->error);
	h->state = ECG_HEALTH_STARTING;
	/* The first attempt at once, from the loop: a result never comes inside begin. */
	next_in(h, watchdog(h) ? h->spec->health.watchdog_ms : 0);
}

void
ecg_health_ping(struct ecg_health *h)
{
	if (!h->active || !watchdog(h))
		return;
	next_in(h, h->spec->health.watchdog_ms);
	if (h->state != ECG_HEALTH_HEALTHY)
		set_state(h, ECG_HEALTH_HEALTHY);
}

void
ecg_health_stop(struct ecg_health *h)
{
	h->active = 0;
	ev_timer_stop(h->loop, &h->tick);
	if (h->has_probe) {
		h->attempting = 0;
		ecg_ready_stop(&h->probe);
	}
}

int
ecg_health_idle(const struct ecg_health *h)
{
	return !h->has_probe || ecg_ready_idle(&h->probe);
}

enum ecg_health_state
ecg_health_state(const struct ecg_health *h)
{
	return h->state;
}

const char *
ecg_health_error(const struct ecg_health *h)
{
	return ecg_buf_str(&h->error);
}

const char *
ecg_health_name(enum ecg_health_state s)
{
	switch (s) {
	case ECG_HEALTH_STARTING:
		return "starting";
	case ECG_HEALTH_HEALTHY:
		return "healthy";
	case ECG_HEALTH_FAILING:
		return "failing";
	case ECG_HEALTH_UNHEALTHY:
		return "unhealthy";
	default:
		return "";
	}
}
