#define _GNU_SOURCE
#include "task/restart.h"

void
ecg_restart_policy_of(struct ecg_restart_policy *p, const struct ecg_task_spec *spec)
{
	p->mode = spec->restart;
	p->max_restarts = spec->max_restarts;
	p->delay_ms = spec->restart_delay_ms;
	p->delay_max_ms = spec->restart_delay_max_ms;
	p->stable_ms = spec->restart_reset_ms;
}

void
ecg_restart_history_init(struct ecg_restart_history *h, const struct ecg_restart_policy *p)
{
	h->restarts = 0;
	h->delay_ms = p->delay_ms;
}

struct ecg_restart_decision
ecg_restart_decide(const struct ecg_restart_policy *p, const struct ecg_restart_history *h,
    const struct ecg_restart_run *run)
{
	struct ecg_restart_decision d = { 0 };
	long max = p->delay_max_ms;

	d.next = *h;
	if (run->stopping || p->mode == ECG_RESTART_NO ||
	    (p->mode == ECG_RESTART_ON_FAILURE && !run->failed))
		return d;
	if (run->ready_at >= 0 && (run->now - run->ready_at) * 1000.0 >= (double)p->stable_ms)
		ecg_restart_history_init(&d.next, p);
	if (d.next.restarts >= p->max_restarts)
		return d;
	d.again = 1;
	d.delay_ms = d.next.delay_ms;
	d.n = ++d.next.restarts;
	d.next.delay_ms = d.delay_ms > max / 2 ? max : d.delay_ms * 2;
	if (d.next.delay_ms > max)
		d.next.delay_ms = max;
	if (d.next.delay_ms < ECG_RESTART_FLOOR_MS)
		d.next.delay_ms = ECG_RESTART_FLOOR_MS;
	return d;
}
