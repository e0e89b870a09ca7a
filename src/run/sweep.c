#define _GNU_SOURCE
#include "run/sweep.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCAN_EVERY 0.1
/* What may still happen after SIGKILL, at most. */
#define KILL_GRACE 2.0

static void poll_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void kill_cb(struct ev_loop *loop, ev_timer *w, int revents);

int
ecg_sweep_init(struct ecg_sweep *sw, struct ev_loop *loop, struct ecg_task *tasks, size_t ntasks,
    const struct ecg_group_spec *spec, ecg_event_fn event, void *event_arg)
{
	memset(sw, 0, sizeof(*sw));
	sw->loop = loop;
	sw->tasks = tasks;
	sw->ntasks = ntasks;
	sw->spec = spec;
	sw->event = event;
	sw->event_arg = event_arg;
	ecg_escapees_init(&sw->escapees);
	ev_timer_init(&sw->poll, poll_cb, 0.025, 0.025);
	sw->poll.data = sw;
	ev_timer_init(&sw->kill, kill_cb, 0, 0);
	sw->kill.data = sw;
	sw->mains = calloc(ntasks + 1, sizeof(*sw->mains));
	sw->seen = calloc(ntasks + 1, sizeof(*sw->seen));
	return sw->mains != NULL && sw->seen != NULL ? 0 : -ENOMEM;
}

void
ecg_sweep_on_end(struct ecg_sweep *sw, void (*ended)(void *arg), void *arg)
{
	sw->ended = ended;
	sw->arg = arg;
}

void
ecg_sweep_set_sentinel(struct ecg_sweep *sw, pid_t sentinel)
{
	sw->sentinel = sentinel;
}

void
ecg_sweep_destroy(struct ecg_sweep *sw)
{
	if (sw->loop == NULL)
		return;
	ev_timer_stop(sw->loop, &sw->poll);
	ev_timer_stop(sw->loop, &sw->kill);
	ecg_escapees_destroy(&sw->escapees);
	free(sw->mains);
	sw->mains = NULL;
	free(sw->seen);
	sw->seen = NULL;
}

static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static long
task_named(const char *name, void *arg)
{
	struct ecg_sweep *sw = arg;
	size_t i;

	for (i = 0; i < sw->ntasks; i++)
		if (strcmp(ecg_task_name(&sw->tasks[i]), name) == 0)
			return (long)i;
	return -1;
}

/*
 * Finds the escapees again, at most every SCAN_EVERY seconds (a scan may
 * have to read every process's /proc entry), or when forced, at most once
 * per loop iteration: the tasks whose main processes were reaped in the
 * same iteration share one scan, so a thousand tasks ending at once cost a
 * few scans, not a thousand.
 */
static void
scan(struct ecg_sweep *sw, int force)
{
	size_t nmains = 0, i;
	unsigned iteration = ev_iteration(sw->loop) + 1;

	if (!force && ev_now(sw->loop) - sw->scanned < SCAN_EVERY)
		return;
	if (force && sw->scan_iteration == iteration)
		return;
	sw->scanned = ev_now(sw->loop);
	sw->scan_iteration = iteration;
	for (i = 0; i < sw->ntasks; i++)
		if (ecg_task_main_running(&sw->tasks[i]))
			sw->mains[nmains++] = ecg_task_pid(&sw->tasks[i]);
	if (sw->sentinel > 0)
		sw->mains[nmains++] = sw->sentinel;
	qsort(sw->mains, nmains, sizeof(*sw->mains), cmp_pid);
	ecg_escapees_rescan(&sw->escapees, getpid(), sw->mains, nmains, task_named, sw);
}

size_t
ecg_sweep_task(struct ecg_sweep *sw, size_t task, pid_t pid, int reaped, int sig)
{
	long idx = (long)task;
	size_t i, n = 0;

	/* Right after the main process ended, its orphans have just come to us. */
	scan(sw, reaped && sw->seen[task] != pid);
	if (reaped)
		sw->seen[task] = pid;
	for (i = 0; i < sw->escapees.n; i++) {
		if (sw->escapees.list[i].task != idx || !ecg_escapee_alive(&sw->escapees.list[i]))
			continue;
		n++;
		if (sig != 0)
			ecg_escapee_signal(&sw->escapees.list[i], sig);
	}
	return n;
}

static size_t
alive(struct ecg_sweep *sw)
{
	size_t i, n = 0;

	for (i = 0; i < sw->escapees.n; i++)
		if (ecg_escapee_alive(&sw->escapees.list[i]))
			n++;
	return n;
}

static void
signal_all(struct ecg_sweep *sw, int sig)
{
	size_t i;

	for (i = 0; i < sw->escapees.n; i++)
		ecg_escapee_signal(&sw->escapees.list[i], sig);
}

static void
tell(struct ecg_sweep *sw, enum ecg_event_type type)
{
	struct ecg_event ev = { .type = type, .n = alive(sw) };

	sw->event(sw->event_arg, &ev);
}

static void
end(struct ecg_sweep *sw)
{
	ev_timer_stop(sw->loop, &sw->poll);
	ev_timer_stop(sw->loop, &sw->kill);
	if (sw->ended != NULL)
		sw->ended(sw->arg);
}

static void
poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_sweep *sw = w->data;

	(void)loop;
	(void)revents;
	scan(sw, 0);
	if (alive(sw) == 0)
		end(sw);
}

static void
kill_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_sweep *sw = w->data;

	(void)revents;
	if (sw->killed) {
		tell(sw, ECG_EV_ESCAPEES_GIVEN_UP);
		end(sw);
		return;
	}
	sw->killed = 1;
	scan(sw, 1);
	tell(sw, ECG_EV_ESCAPEES_KILL);
	signal_all(sw, SIGKILL);
	ev_timer_set(w, KILL_GRACE, 0);
	ev_timer_start(loop, w);
}

int
ecg_sweep_begin(struct ecg_sweep *sw, int kill)
{
	long longest = 0, ms;
	size_t i;
	int sig;

	scan(sw, 1);
	if (alive(sw) == 0 || kill) {
		/* Past the deadline nobody waits: SIGKILL, and on. */
		signal_all(sw, SIGKILL);
		return 0;
	}
	tell(sw, ECG_EV_ESCAPEES_STOP);
	for (i = 0; i < sw->escapees.n; i++) {
		const struct ecg_task_spec *t = sw->escapees.list[i].task >= 0 ?
		    &sw->spec->tasks[sw->escapees.list[i].task] : NULL;
		sig = t != NULL ? t->stop_signal : sw->spec->stop_signal;
		ms = t != NULL ? t->stop_timeout_ms : sw->spec->stop_timeout_ms;
		if (ms > longest)
			longest = ms;
		ecg_escapee_signal(&sw->escapees.list[i], sig);
		ecg_escapee_signal(&sw->escapees.list[i], SIGCONT);
	}
	ev_timer_set(&sw->kill, (double)longest / 1000.0, 0);
	ev_timer_start(sw->loop, &sw->kill);
	ev_timer_start(sw->loop, &sw->poll);
	return 1;
}

void
ecg_sweep_abandon(struct ecg_sweep *sw)
{
	if (!ev_is_active(&sw->poll))
		return;
	signal_all(sw, SIGKILL);
	end(sw);
}
