#define _GNU_SOURCE
#include "task/task.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/clock.h"

/*
 * The inputs an action decides on (a restart, readiness by exit, the run
 * being gone) wait here until it has returned, then go through the table
 * in order.  An action adds at most two; the queue holds twice that.
 */
#define FEED_MAX 4

struct feed {
	struct ecg_task_in q[FEED_MAX];
	int head, n;
};

static void
push(struct feed *f, enum ecg_task_input kind)
{
	struct ecg_task_in in = { .kind = kind };

	if (f->n == FEED_MAX)
		abort();	/* cannot happen: see FEED_MAX */
	f->q[(f->head + f->n++) % FEED_MAX] = in;
}

const char *
ecg_task_name(const struct ecg_task *t)
{
	return t->spec->name;
}

size_t
ecg_task_index(const struct ecg_task *t)
{
	return t->index;
}

enum ecg_task_state
ecg_task_state(const struct ecg_task *t)
{
	return t->state;
}

double
ecg_task_state_since(const struct ecg_task *t)
{
	return t->state_since;
}

pid_t
ecg_task_pid(const struct ecg_task *t)
{
	return t->ops->pid(t->world);
}

const struct ecg_run_end *
ecg_task_run_end(const struct ecg_task *t)
{
	return &t->end;
}

int
ecg_task_ever_ready(const struct ecg_task *t)
{
	return t->ever_ready;
}

int
ecg_task_ever_started(const struct ecg_task *t)
{
	return t->started_at > 0;
}

long
ecg_task_attempt(const struct ecg_task *t)
{
	return t->history.restarts + 1;
}

int
ecg_task_has_check(const struct ecg_task *t)
{
	return t->spec->ready.kind != ECG_READY_STARTED;
}

const char *
ecg_task_check(const struct ecg_task *t)
{
	return ecg_config_ready_text(t->spec);
}

int
ecg_task_main_running(const struct ecg_task *t)
{
	return t->ops->running(t->world);
}

int
ecg_task_alive(const struct ecg_task *t)
{
	return t->state != ECG_TASK_WAITING && t->state != ECG_TASK_DONE &&
	    t->ops->alive(t->world);
}

void
ecg_task_output_mark(const struct ecg_task *t, int unread, struct ecg_pump_mark *m)
{
	ecg_taskrun_output_mark(&t->run, unread, m);
}

uint64_t
ecg_task_dropped(const struct ecg_task *t, int stream)
{
	return ecg_taskrun_dropped(&t->run, stream);
}

size_t
ecg_task_stderr_tail(const struct ecg_task *t, const char **bytes)
{
	return ecg_taskrun_stderr_tail(&t->run, bytes);
}

/* An event about the task goes to the host. */
static void
emit(struct ecg_task *t, struct ecg_event *ev)
{
	ev->name = t->spec->name;
	ev->index = t->index;
	t->host->event(t->host->event_arg, ev);
}

static void
emit_type(struct ecg_task *t, enum ecg_event_type type)
{
	struct ecg_event ev = { .type = type };

	emit(t, &ev);
}

/* Its life, for the modules that follow it: data only, never rendered. */
static void
life(struct ecg_task *t, enum ecg_event_type type, long pid)
{
	struct ecg_event ev = { .type = type, .pid = pid };

	emit(t, &ev);
}

static void
said_ended(struct ecg_task *t)
{
	struct ecg_event ev = { .type = ECG_EV_ENDED, .end = t->end.end, .code = t->end.code,
		.was_ready = t->ever_ready };

	emit(t, &ev);
}

static int
stopping(const struct ecg_task *t)
{
	return ecg_context_done(t->host->eg->ctx);
}

/* The end of a run as an event: its kind says how it ended. */
static void
end_event(struct ecg_task *t, struct ecg_event *ev)
{
	const struct ecg_task_spec *spec = t->spec;

	ev->code = t->end.code;
	ev->failed = t->end.failed;
	ev->pid = (long)t->ops->pid(t->world);
	ev->check = ecg_task_check(t);
	ev->end = t->end.end;
	ev->ms = ecg_clock_ms_between(t->started_at, ecg_clock_now());
	if (t->end.end == ECG_END_NOT_READY && spec->ready_timeout_ms > 0 &&
	    spec->ready.kind != ECG_READY_FD)
		ev->ms = spec->ready_timeout_ms;
	if (t->end.end == ECG_END_TIMEOUT)
		ev->ms = spec->timeout_ms;
	if (t->end.end == ECG_END_KILLED)
		ev->sig = t->end.code - 128;
	ev->text = t->ops->check_error(t->world);
	if (t->end.end == ECG_END_UNHEALTHY) {
		ev->check = spec->health.check;
		ev->text = t->ops->health_error(t->world);
	}
}

/* The run's end is end with code: does a restart absorb it? */
static void
decide(struct ecg_task *t, enum ecg_end end, int code)
{
	struct ecg_restart_run run = { .stopping = stopping(t), .ready_at = t->ready_at,
		.now = ecg_clock_now() };

	t->end.end = end;
	t->end.code = code;
	/* An exit or a signal may count as a success (success_status); what ecg-run decided never does. */
	if (end == ECG_END_EXITED)
		t->end.failed = !ecg_config_success(t->spec, 0, code);
	else if (end == ECG_END_KILLED)
		t->end.failed = !ecg_config_success(t->spec, 1, code - 128);
	else
		t->end.failed = end != ECG_END_STOPPED;
	run.failed = t->end.failed;
	t->end.restart = ecg_restart_decide(&t->policy, &t->history, &run);
}

/*
 * The main member of the errgroup ends with the run's result.  It counts
 * only if the group was not cancelled before: a task that dies because it
 * was stopped never becomes the cause.  Which cause it gives, and what is
 * said when it does not count, depends on how it ended.
 */
static void
count(struct ecg_task *t)
{
	struct ecg_task_host *h = t->host;
	struct ecg_context *ctx = h->eg->ctx;
	int counts = !ecg_context_done(ctx);
	enum ecg_event_type failed = ECG_EV_CAUSE_FAILED, quiet = ECG_EV_COUNT;
	struct ecg_event ev = { 0 };

	if (t->end.end == ECG_END_NOT_READY) {
		failed = ECG_EV_CAUSE_NOT_READY;
		quiet = ECG_EV_NOT_READY;
	} else if (t->end.end == ECG_END_TIMEOUT) {
		failed = ECG_EV_CAUSE_TIMEOUT;
		quiet = ECG_EV_TIMED_OUT;
	} else if (t->end.end == ECG_END_UNHEALTHY) {
		failed = ECG_EV_CAUSE_UNHEALTHY;
		quiet = ECG_EV_UNHEALTHY;
	}
	end_event(t, &ev);
	ecg_errgroup_go(h->eg);
	if (t->end.end == ECG_END_STOPPED) {
		/* Stopped as asked: never a failure, never the cause, whatever cancel_on says. */
		ecg_errgroup_done(h->eg, 0);
	} else if (counts && t->spec->cancel_on == ECG_CANCEL_ON_EXIT) {
		ev.type = failed != ECG_EV_CAUSE_FAILED ? failed : ECG_EV_CAUSE_EXIT;
		emit(t, &ev);
		/* A success (success_status) ends the group with 0. */
		ecg_context_cancel(ctx, t->end.failed ? t->end.code : 0);
		ecg_errgroup_done(h->eg, 0);
	} else if (counts && t->spec->cancel_on == ECG_CANCEL_ON_FAILURE && t->end.failed) {
		ev.type = failed;
		emit(t, &ev);
		ecg_errgroup_done(h->eg, t->end.code);
	} else {
		if (quiet != ECG_EV_COUNT) {
			ev.type = quiet;
			emit(t, &ev);
		}
		ecg_errgroup_done(h->eg, 0);
	}
	said_ended(t);
}

/* A restart absorbs the run's end: said with the delay and the restart's number. */
static void
count_restart(struct ecg_task *t)
{
	struct ecg_event ev = { .type = ECG_EV_RESTARTING };

	end_event(t, &ev);
	ecg_errgroup_go(t->host->eg);
	t->history = t->end.restart.next;
	ev.n = (size_t)t->end.restart.n;
	ev.limit = t->spec->max_restarts;
	ev.delay = t->end.restart.delay_ms;
	emit(t, &ev);
	ecg_errgroup_done(t->host->eg, 0);
}

/* Nothing of the task is left: its output ends, and so does its slot. */
static void
finish(struct ecg_task *t, int started)
{
	struct ecg_task_host *h = t->host;
	unsigned long lost;

	ev_timer_stop(h->run.loop, &t->run_timer);
	ev_timer_stop(h->run.loop, &t->delay_timer);
	lost = t->ops->finish(t->world);
	if (lost > 0) {
		struct ecg_event ev = { .type = ECG_EV_LOG_LOST, .what = t->spec->log_path,
			.n = (size_t)lost };
		emit(t, &ev);
	}
	/* The task as a whole, and its slot (a sidecar has none). */
	if (started && t->spec->sidecar)
		ecg_errgroup_done(h->eg, 0);
	else if (started)
		ecg_errgroup_release(h->eg, 0);
	{
		struct ecg_event ev = { .type = ECG_EV_DONE, .pid = (long)t->ops->pid(t->world),
			.n = (size_t)started };
		emit(t, &ev);
	}
}

/* How the main process ended, as its event (the end it gives, and its code). */
static enum ecg_end
exit_event(const struct ecg_task *t, int ws, struct ecg_event *ev, int *code)
{
	ev->pid = (long)t->ops->pid(t->world);
	ev->ms = ecg_clock_ms_between(t->started_at, ecg_clock_now());
	if (t->end.start_code != 0) {
		*code = t->end.start_code;
		return ECG_END_START_FAILED;
	}
	if (WIFEXITED(ws)) {
		ev->type = ECG_EV_EXITED;
		ev->code = *code = WEXITSTATUS(ws);
		return ECG_END_EXITED;
	}
	ev->type = ECG_EV_KILLED;
	ev->sig = WTERMSIG(ws);
	ev->core = WCOREDUMP(ws) ? 1 : 0;
	*code = 128 + ev->sig;
	return ECG_END_KILLED;
}

/* The actions, one for each enum ecg_task_action. */
typedef void action_fn(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f);

static void
a_none(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)t;
	(void)in;
	(void)f;
}

/*
 * A new run: what the last one left is cleared, and its process made.
 * It is timed from its own spawn, not from the start of this loop round:
 * a large group spends seconds in one round starting its tasks.
 */
static void
a_start(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_task_host *h = t->host;
	int rc, code;

	(void)in;
	t->ops->new_run(t->world);
	memset(&t->end, 0, sizeof(t->end));
	t->ready_at = -1;
	ev_now_update(h->run.loop);
	if (t->spec->timeout_ms > 0) {
		ev_timer_set(&t->run_timer, (double)t->spec->timeout_ms / 1000.0, 0);
		ev_timer_start(h->run.loop, &t->run_timer);
	}
	rc = t->ops->spawn(t->world, &code);
	t->started_at = ecg_clock_now();
	t->end.start_code = code;
	if (rc >= 0)
		life(t, ECG_EV_SPAWNED, (long)t->ops->pid(t->world));
	if (rc > 0)
		push(f, ECG_IN_EXEC);
	else if (rc < 0)
		push(f, ECG_IN_EXIT);
}

static void
a_skip(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	emit_type(t, ECG_EV_NOT_STARTED);
	finish(t, 0);
}

static void
a_exec(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_event ev = { .type = ECG_EV_STARTED, .pid = (long)t->ops->pid(t->world),
		.n = (size_t)ecg_task_attempt(t) };

	(void)in;
	emit(t, &ev);
	if (t->spec->ready.kind == ECG_READY_STARTED)
		push(f, ECG_IN_READY);
	else
		t->ops->check_begin(t->world);
}

/* Tasks after it start at its first readiness; a restart's changes nothing. */
static void
a_ready(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_event ev = { .type = ECG_EV_READY, .check = ecg_task_check(t),
		.first_ready = !t->ever_ready };

	(void)in;
	(void)f;
	t->ops->check_stop(t->world);
	t->ready_at = ecg_clock_now();
	t->ever_ready = 1;
	ev.ms = ecg_clock_ms_between(t->started_at, t->ready_at);
	emit(t, &ev);
	/* Health is checked from its readiness on, while it runs. */
	if (t->state == ECG_TASK_READY)
		t->ops->health_begin(t->world);
}

/*
 * Its readiness check failed for good (timed out, or the task said it
 * never will be), or its run ran past its timeout: it ends with 124, as
 * timeout(1) says it, and is stopped like any task.
 */
static void
a_not_ready(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	decide(t, ECG_END_NOT_READY, 124);
	push(f, t->end.restart.again ? ECG_IN_AGAIN : ECG_IN_END);
}

/* Its health checks failed after ready: it ends with 124, and is stopped. */
static void
a_unhealthy(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	decide(t, ECG_END_UNHEALTHY, 124);
	push(f, t->end.restart.again ? ECG_IN_AGAIN : ECG_IN_END);
}

static void
a_timeout(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	decide(t, ECG_END_TIMEOUT, 124);
	push(f, t->end.restart.again ? ECG_IN_AGAIN : ECG_IN_END);
}

static void
a_stop(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	t->ops->stop(t->world);
}

static void
a_signal(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)f;
	t->ops->signal(t->world, in->sig);
}

static void
a_kill(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	t->ops->kill(t->world);
}

/*
 * Its main process was reaped (or none could be made): its end is what
 * that says.  A one-shot task (ready = exited) is ready by exiting with
 * 0: said after its exit and before its end is counted (the scheduler
 * must know it ready before it hears of its end).  An end a restart
 * absorbs is said once, with the restart, and the readiness after it.
 */
static void
a_exit(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_event ev = { 0 };
	enum ecg_end end;
	int code, one_shot;

	ev_timer_stop(t->host->run.loop, &t->run_timer);
	t->ops->check_end(t->world);
	end = exit_event(t, in->wstatus, &ev, &code);
	decide(t, end, code);
	ev.end = end;
	ev.failed = t->end.failed;
	one_shot = t->spec->ready.kind == ECG_READY_EXITED && end == ECG_END_EXITED &&
	    !t->end.failed;
	if (t->end.restart.again) {
		push(f, ECG_IN_AGAIN);
		if (one_shot)
			push(f, ECG_IN_READY);
		return;
	}
	if (end != ECG_END_START_FAILED)
		emit(t, &ev);
	if (one_shot)
		push(f, ECG_IN_READY);
	push(f, ECG_IN_END);
}

/* Its end was decided before (not ready, timed out): its exit is only said. */
static void
a_exit_decided(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_event ev = { 0 };
	int code;

	ev_timer_stop(t->host->run.loop, &t->run_timer);
	t->ops->check_end(t->world);
	ev.end = t->end.end;
	if (exit_event(t, in->wstatus, &ev, &code) != ECG_END_START_FAILED)
		emit(t, &ev);
	if (t->ops->gone(t->world))
		push(f, ECG_IN_GONE);
}

static void
a_count(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	count(t);
	if (t->ops->gone(t->world))
		push(f, ECG_IN_GONE);
}

static void
a_count_stop(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	count(t);
	t->ops->stop(t->world);
}

static void
a_restart(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	count_restart(t);
	if (t->ops->gone(t->world))
		push(f, ECG_IN_GONE);
}

static void
a_restart_stop(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	count_restart(t);
	t->ops->stop(t->world);
}

/* Its run is over and gone: the next run after the delay restart.h chose. */
static void
a_backoff(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_task_host *h = t->host;

	(void)in;
	(void)f;
	life(t, ECG_EV_RUN_OVER, (long)t->ops->pid(t->world));
	t->ops->between(t->world);
	ev_timer_set(&t->delay_timer, (double)t->end.restart.delay_ms / 1000.0, 0);
	ev_timer_start(h->run.loop, &t->delay_timer);
}

static void
a_not_restarted(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	emit_type(t, ECG_EV_NOT_RESTARTED);
}

static void
a_not_restarted_done(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	a_not_restarted(t, in, f);
	finish(t, 1);
}

static void
a_done(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	finish(t, 1);
}

/* Given up on at the deadline, still running: it was killed, and its end counts. */
static void
a_abandon(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	t->ops->abandon(t->world);
	memset(&t->end.restart, 0, sizeof(t->end.restart));
	t->end.end = ECG_END_KILLED;
	t->end.code = 128 + SIGKILL;
	count(t);
	finish(t, 1);
}

static void
a_abandon_decided(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	(void)in;
	(void)f;
	t->ops->abandon(t->world);
	finish(t, 1);
}

/* Asked to restart: this run stops and another starts at once; no budget is used. */
static void
a_cycle(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_event ev = { .type = ECG_EV_RESTART_ASKED, .pid = in->by };

	(void)f;
	memset(&t->end, 0, sizeof(t->end));
	t->end.end = ECG_END_STOPPED;
	t->end.restart.again = 1;
	t->end.restart.next = t->history;
	emit(t, &ev);
	t->ops->stop(t->world);
}

/* Asked to stop: its end is "stopped", never a failure; it stays stopped. */
static void
a_halt(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_event ev = { .type = ECG_EV_HALT_ASKED, .pid = in->by };

	memset(&t->end, 0, sizeof(t->end));
	t->end.end = ECG_END_STOPPED;
	emit(t, &ev);
	push(f, ECG_IN_END);
}

static void
a_halt_waiting(struct ecg_task *t, const struct ecg_task_in *in, struct feed *f)
{
	struct ecg_event ev = { .type = ECG_EV_HALT_ASKED, .pid = in->by };

	(void)f;
	emit(t, &ev);
	finish(t, 0);
}

static action_fn *const actions[ECG_ACT_NACTIONS] = {
	[ECG_ACT_NONE] = a_none,
	[ECG_ACT_START] = a_start,
	[ECG_ACT_SKIP] = a_skip,
	[ECG_ACT_EXEC] = a_exec,
	[ECG_ACT_READY] = a_ready,
	[ECG_ACT_NOT_READY] = a_not_ready,
	[ECG_ACT_TIMEOUT] = a_timeout,
	[ECG_ACT_UNHEALTHY] = a_unhealthy,
	[ECG_ACT_STOP] = a_stop,
	[ECG_ACT_SIGNAL] = a_signal,
	[ECG_ACT_KILL] = a_kill,
	[ECG_ACT_EXIT] = a_exit,
	[ECG_ACT_EXIT_DECIDED] = a_exit_decided,
	[ECG_ACT_COUNT] = a_count,
	[ECG_ACT_COUNT_STOP] = a_count_stop,
	[ECG_ACT_RESTART] = a_restart,
	[ECG_ACT_RESTART_STOP] = a_restart_stop,
	[ECG_ACT_BACKOFF] = a_backoff,
	[ECG_ACT_NOT_RESTARTED] = a_not_restarted,
	[ECG_ACT_NOT_RESTARTED_DONE] = a_not_restarted_done,
	[ECG_ACT_DONE] = a_done,
	[ECG_ACT_ABANDON] = a_abandon,
	[ECG_ACT_ABANDON_DECIDED] = a_abandon_decided,
	[ECG_ACT_CYCLE] = a_cycle,
	[ECG_ACT_HALT] = a_halt,
	[ECG_ACT_HALT_WAITING] = a_halt_waiting,
};

/*
 * The one place that moves a task: the table says where an input leads
 * and which action is taken on the way (the state is the new one while
 * it runs); a refused pair changes nothing.  Then the inputs the action
 * decided on, in order.
 */
void
ecg_task_input(struct ecg_task *t, const struct ecg_task_in *first)
{
	struct feed f = { .head = 0, .n = 0 };
	struct ecg_task_in in = *first;

	for (;;) {
		const struct ecg_task_cell *c = ecg_taskstate_cell(t->state, in.kind);
		if (c != NULL) {
			if (t->state != c->next)
				t->state_since = ecg_clock_now();
			t->state = c->next;
			actions[c->action](t, &in, &f);
		}
		if (f.n == 0)
			break;
		in = f.q[f.head];
		f.head = (f.head + 1) % FEED_MAX;
		f.n--;
	}
}

static void
input(struct ecg_task *t, enum ecg_task_input kind)
{
	struct ecg_task_in in = { .kind = kind };

	ecg_task_input(t, &in);
}

static void
run_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	input(w->data, ECG_IN_TIMEOUT);
}

static void
delay_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_task *t = w->data;

	(void)loop;
	(void)revents;
	/* The group may be stopping, its news not yet delivered: that is a stop. */
	input(t, stopping(t) ? ECG_IN_STOP : ECG_IN_DELAY);
}

/* What the world tells the task. */
static void
world_input(void *arg, const struct ecg_task_in *in)
{
	ecg_task_input(arg, in);
}

static void
world_event(void *arg, struct ecg_event *ev)
{
	emit(arg, ev);
}

static size_t
world_escaped(void *arg, int reaped, int sig)
{
	struct ecg_task *t = arg;

	return t->host->escaped != NULL ? t->host->escaped(t, reaped, sig, t->host->arg) : 0;
}

static const struct ecg_taskrun_hooks world_hooks = {
	.input = world_input,
	.event = world_event,
	.escaped = world_escaped,
};

void
ecg_task_init_world(struct ecg_task *t, struct ecg_task_host *host,
    const struct ecg_task_spec *spec, size_t index, const struct ecg_task_ops *ops,
    void *world)
{
	memset(t, 0, sizeof(*t));
	t->spec = spec;
	t->host = host;
	t->ops = ops;
	t->world = world;
	t->index = index;
	t->state = ECG_TASK_WAITING;
	t->state_since = ecg_clock_now();
	t->ready_at = -1;
	ecg_restart_policy_of(&t->policy, spec);
	ecg_restart_history_init(&t->history, &t->policy);
	ev_timer_init(&t->run_timer, run_timer_cb, 0, 0);
	t->run_timer.data = t;
	ev_timer_init(&t->delay_timer, delay_timer_cb, 0, 0);
	t->delay_timer.data = t;
}

int
ecg_task_init(struct ecg_task *t, struct ecg_task_host *host,
    const struct ecg_task_spec *spec, size_t index, int color)
{
	ecg_task_init_world(t, host, spec, index, &ecg_taskrun_ops, &t->run);
	return ecg_taskrun_init(&t->run, &host->run, spec, index, color, &world_hooks, t);
}

void
ecg_task_destroy(struct ecg_task *t)
{
	ev_timer_stop(t->host->run.loop, &t->run_timer);
	ev_timer_stop(t->host->run.loop, &t->delay_timer);
	ecg_taskrun_destroy(&t->run);
}

int
ecg_task_start(struct ecg_task *t)
{
	/* The table says whether it can start at all; then it needs a slot. */
	if (ecg_taskstate_next(t->state, ECG_IN_START) < 0)
		return 0;
	/* A sidecar serves the batch, it is not part of it: it takes no slot. */
	if (t->spec->sidecar)
		ecg_errgroup_go(t->host->eg);
	else if (ecg_errgroup_try_go(t->host->eg) < 0)
		return -EAGAIN;
	input(t, ECG_IN_START);
	return 0;
}

void
ecg_task_skip(struct ecg_task *t)
{
	input(t, ECG_IN_SKIP);
}

void
ecg_task_stop(struct ecg_task *t)
{
	input(t, ECG_IN_STOP);
}

void
ecg_task_signal(struct ecg_task *t, int sig)
{
	struct ecg_task_in in = { .kind = ECG_IN_SIGNAL, .sig = sig };

	ecg_task_input(t, &in);
}

void
ecg_task_kill(struct ecg_task *t)
{
	input(t, ECG_IN_KILL);
}

void
ecg_task_abandon(struct ecg_task *t)
{
	input(t, ECG_IN_ABANDON);
}

int
ecg_task_ask(struct ecg_task *t, enum ecg_task_input kind, long by)
{
	struct ecg_task_in in = { .kind = kind, .by = by };

	if (ecg_taskstate_next(t->state, kind) < 0)
		return -EALREADY;
	ecg_task_input(t, &in);
	return 0;
}

void
ecg_task_resize(struct ecg_task *t)
{
	if (t->ops->resize != NULL)
		t->ops->resize(t->world);
}
