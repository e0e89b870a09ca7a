/*
 * task: the transition table driven through every cell with a fake world
 * (no process, no pipe, no check): each input in each state either is
 * refused (nothing happens) or leads to the table's next state taking its
 * action.  Then whole lives: a run that ends, a one-shot's readiness, a
 * restart, a readiness failure that restarts, a stop while waiting to
 * restart, the deadline, a start that fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "task/task.h"
#include "tap.h"

#define LOG_MAX 64

/* What the task did, in order: world functions, host hooks, events. */
struct world {
	struct ecg_task *t;	/* the state it was in is logged with each entry */
	int spawn_rc;
	int start_code;
	int gone;
	int sig;
	const char *what[LOG_MAX];
	enum ecg_task_state state[LOG_MAX];
	const struct ecg_event *ev[LOG_MAX];
	struct ecg_event events[LOG_MAX];
	int n;
};

static void
note(struct world *w, const char *what)
{
	if (w->n < LOG_MAX) {
		w->what[w->n] = what;
		w->state[w->n] = w->t->state;
		w->ev[w->n] = NULL;
		w->n++;
	}
}

static int
f_spawn(void *w, int *code)
{
	struct world *x = w;

	note(x, "spawn");
	*code = x->start_code;
	return x->spawn_rc;
}

#define OP(name) static void f_##name(void *w) { note(w, #name); }
OP(new_run)
OP(check_begin)
OP(check_stop)
OP(check_end)
OP(stop)
OP(kill)
OP(abandon)
OP(between)
OP(health_begin)

static const char *
f_check_error(void *w)
{
	(void)w;
	return "connection refused";
}

static const char *
f_health_error(void *w)
{
	(void)w;
	return "http://127.0.0.1:1/health: HTTP status 503, 3 checks in a row";
}

static void
f_signal(void *w, int sig)
{
	struct world *x = w;

	x->sig = sig;
	note(x, "signal");
}

static int
f_gone(void *w)
{
	return ((struct world *)w)->gone;
}

static unsigned long
f_finish(void *w)
{
	note(w, "finish");
	return 0;
}

static pid_t
f_pid(void *w)
{
	(void)w;
	return 4242;
}

static int
f_running(void *w)
{
	(void)w;
	return 0;
}

static const struct ecg_task_ops fake = {
	.spawn = f_spawn, .new_run = f_new_run, .check_begin = f_check_begin,
	.check_stop = f_check_stop, .check_end = f_check_end, .check_error = f_check_error,
	.health_begin = f_health_begin, .health_error = f_health_error,
	.stop = f_stop, .signal = f_signal, .kill = f_kill, .abandon = f_abandon,
	.gone = f_gone, .between = f_between, .finish = f_finish, .pid = f_pid,
	.running = f_running, .alive = f_running,
};

static const char *
event_word(enum ecg_event_type type)
{
	switch (type) {
	case ECG_EV_STARTED:
		return "started";
	case ECG_EV_READY:
		return "ready";
	case ECG_EV_EXITED:
		return "exited";
	case ECG_EV_KILLED:
		return "killed";
	case ECG_EV_NOT_STARTED:
		return "not started";
	case ECG_EV_NOT_RESTARTED:
		return "not restarted";
	case ECG_EV_RESTARTING:
		return "restarting";
	case ECG_EV_NOT_READY:
		return "not ready";
	case ECG_EV_TIMED_OUT:
		return "timed out";
	case ECG_EV_UNHEALTHY:
		return "unhealthy";
	case ECG_EV_RESTART_ASKED:
		return "restart asked";
	case ECG_EV_HALT_ASKED:
		return "halt asked";
	case ECG_EV_SPAWNED:
		return "h:started";
	case ECG_EV_ENDED:
		return "h:ended";
	case ECG_EV_RUN_OVER:
		return "h:run_over";
	case ECG_EV_DONE:
		return "h:done";
	case ECG_EV_CAUSE_EXIT:
	case ECG_EV_CAUSE_FAILED:
	case ECG_EV_CAUSE_NOT_READY:
	case ECG_EV_CAUSE_TIMEOUT:
	case ECG_EV_CAUSE_UNHEALTHY:
		return "cause";
	default:
		return "other";
	}
}

static void
on_event(void *arg, const struct ecg_event *ev)
{
	struct world *w = arg;

	if (w->n < LOG_MAX) {
		w->events[w->n] = *ev;
		note(w, event_word(ev->type));
		w->ev[w->n - 1] = &w->events[w->n - 1];
	}
	/* The first readiness, as those after it hear it. */
	if (ev->type == ECG_EV_READY && ev->first_ready)
		note(w, "h:ready");
}


struct fixture {
	struct ev_loop *loop;
	struct ecg_context ctx;
	struct ecg_errgroup eg;
	struct ecg_task_host host;
	struct ecg_task_spec spec;
	struct world w;
	struct ecg_task t;
};

static void
setup(struct fixture *fx, enum ecg_restart restart, enum ecg_ready_kind ready)
{
	memset(fx, 0, sizeof(*fx));
	fx->loop = ev_loop_new(EVFLAG_AUTO);
	ecg_context_init(&fx->ctx, fx->loop, NULL);
	ecg_errgroup_init(&fx->eg, &fx->ctx);
	fx->host.run.loop = fx->loop;
	fx->host.eg = &fx->eg;
	fx->host.event = on_event;
	fx->host.event_arg = &fx->w;
	fx->host.arg = &fx->w;
	fx->spec.name = (char *)"t";
	fx->spec.command = (char *)"true";
	fx->spec.ready.kind = ready;
	fx->spec.ready.check = (char *)(ready == ECG_READY_EXITED ? "exited" :
	    ready == ECG_READY_TCP ? "tcp 127.0.0.1:1" : NULL);
	fx->spec.cancel_on = ECG_CANCEL_ON_FAILURE;
	fx->spec.restart = restart;
	fx->spec.max_restarts = 3;
	fx->spec.restart_delay_ms = 10;
	fx->spec.restart_delay_max_ms = 1000;
	fx->spec.stop_signal = SIGTERM;
	fx->spec.stop_timeout_ms = 1000;
	fx->w.t = &fx->t;
	fx->w.spawn_rc = 1;
	ecg_task_init_world(&fx->t, &fx->host, &fx->spec, 0, &fake, &fx->w);
}

static void
teardown(struct fixture *fx)
{
	ecg_task_destroy(&fx->t);
	ecg_errgroup_destroy(&fx->eg);
	ecg_context_destroy(&fx->ctx);
	ev_loop_destroy(fx->loop);
}

static void
feed(struct fixture *fx, enum ecg_task_input kind, int wstatus)
{
	struct ecg_task_in in = { .kind = kind, .wstatus = wstatus, .sig = SIGHUP,
		.error = "connection refused" };

	ecg_task_input(&fx->t, &in);
}

/* The restart policy a route to state s needs, and the route. */
static enum ecg_restart
route_policy(enum ecg_task_state s)
{
	return s == ECG_TASK_RECYCLING || s == ECG_TASK_RESTARTING || s == ECG_TASK_BACKOFF ?
	    ECG_RESTART_ON_FAILURE : ECG_RESTART_NO;
}

static void
route(struct fixture *fx, enum ecg_task_state s)
{
	switch (s) {
	case ECG_TASK_WAITING:
		return;
	case ECG_TASK_DONE:
		feed(fx, ECG_IN_SKIP, 0);
		return;
	case ECG_TASK_STARTING:
		fx->w.spawn_rc = 0;
		ecg_task_start(&fx->t);
		fx->w.spawn_rc = 1;
		return;
	default:
		break;
	}
	ecg_task_start(&fx->t);		/* to RUNNING: its check (tcp) begins */
	switch (s) {
	case ECG_TASK_READY:
		feed(fx, ECG_IN_READY, 0);
		break;
	case ECG_TASK_STOPPING:
		feed(fx, ECG_IN_STOP, 0);
		break;
	case ECG_TASK_ENDING:
	case ECG_TASK_RECYCLING:
		feed(fx, ECG_IN_NOT_READY, 0);
		break;
	case ECG_TASK_EXITED:
	case ECG_TASK_RESTARTING:
		feed(fx, ECG_IN_EXIT, W_EXITCODE(1, 0));
		break;
	case ECG_TASK_BACKOFF:
		feed(fx, ECG_IN_EXIT, W_EXITCODE(1, 0));
		feed(fx, ECG_IN_GONE, 0);
		break;
	default:
		break;
	}
}

/* The first thing each action does, as the log shows it ("": nothing). */
static const char *const first_sign[ECG_ACT_NACTIONS] = {
	[ECG_ACT_NONE] = "",
	[ECG_ACT_START] = "new_run",
	[ECG_ACT_SKIP] = "not started",
	[ECG_ACT_EXEC] = "started",
	[ECG_ACT_READY] = "check_stop",
	[ECG_ACT_NOT_READY] = "decides",
	[ECG_ACT_TIMEOUT] = "decides",
	[ECG_ACT_STOP] = "stop",
	[ECG_ACT_SIGNAL] = "signal",
	[ECG_ACT_KILL] = "kill",
	[ECG_ACT_EXIT] = "check_end",
	[ECG_ACT_EXIT_DECIDED] = "check_end",
	[ECG_ACT_COUNT] = "counts",
	[ECG_ACT_COUNT_STOP] = "counts",
	[ECG_ACT_RESTART] = "restarting",
	[ECG_ACT_RESTART_STOP] = "restarting",
	[ECG_ACT_BACKOFF] = "h:run_over",
	[ECG_ACT_NOT_RESTARTED] = "not restarted",
	[ECG_ACT_NOT_RESTARTED_DONE] = "not restarted",
	[ECG_ACT_DONE] = "finish",
	[ECG_ACT_ABANDON] = "abandon",
	[ECG_ACT_ABANDON_DECIDED] = "abandon",
	[ECG_ACT_CYCLE] = "restart asked",
	[ECG_ACT_HALT] = "halt asked",
	[ECG_ACT_HALT_WAITING] = "halt asked",
	[ECG_ACT_UNHEALTHY] = "decides",
};

/*
 * Whether what the log shows from entry k on is the action's: its first
 * sign, in the cell's next state.  Decisions are known by the input they
 * lead to (the end said, or the restart); counting by the end's event.
 */
static int
shows(const struct world *w, int k, enum ecg_task_action a, enum ecg_task_state next)
{
	const char *sign = first_sign[a];

	if (strcmp(sign, "") == 0)
		return w->n == k;
	if (w->n <= k)
		return 0;
	if (strcmp(sign, "decides") == 0)
		return strcmp(w->what[k], "cause") == 0 || strcmp(w->what[k], "not ready") == 0 ||
		    strcmp(w->what[k], "timed out") == 0 || strcmp(w->what[k], "restarting") == 0 ||
		    strcmp(w->what[k], "unhealthy") == 0;
	if (strcmp(sign, "counts") == 0)
		return w->state[k] == next && (strcmp(w->what[k], "cause") == 0 ||
		    strcmp(w->what[k], "not ready") == 0 || strcmp(w->what[k], "timed out") == 0 ||
		    strcmp(w->what[k], "unhealthy") == 0 ||
		    strcmp(w->what[k], "h:ended") == 0);
	return w->state[k] == next && strcmp(w->what[k], sign) == 0;
}

static void
every_cell(void)
{
	int s, in, refused_ok = 0, moved_ok = 0, cells = 0, bad = 0;

	for (s = 0; s < ECG_TASK_NSTATES; s++)
		for (in = 0; in < ECG_IN_COUNT; in++) {
			const struct ecg_task_cell *c = ecg_taskstate_cell(s, in);
			struct fixture fx;
			int k, good;

			setup(&fx, route_policy(s), ECG_READY_TCP);
			route(&fx, s);
			if (fx.t.state != (enum ecg_task_state)s) {
				printf("# no route to %s\n", ecg_taskstate_name(s));
				bad++;
				teardown(&fx);
				continue;
			}
			k = fx.w.n;
			fx.w.gone = 0;
			feed(&fx, in, W_EXITCODE(2, 0));
			cells++;
			if (c == NULL) {
				good = fx.t.state == (enum ecg_task_state)s && fx.w.n == k;
				refused_ok += good;
			} else {
				good = shows(&fx.w, k, c->action, c->next);
				moved_ok += good;
			}
			if (!good) {
				printf("# %s + %s: now %s, log from %d:", ecg_taskstate_name(s),
				    ecg_taskstate_input_name(in), ecg_taskstate_name(fx.t.state), k);
				for (; k < fx.w.n; k++)
					printf(" %s(%s)", fx.w.what[k], ecg_taskstate_name(fx.w.state[k]));
				printf("\n");
				bad++;
			}
			teardown(&fx);
		}
	ok(bad == 0 && cells == ECG_TASK_NSTATES * ECG_IN_COUNT,
	    "every cell of the table: %d refused with nothing done, %d taken with their action",
	    refused_ok, moved_ok);
}

/* The log as one string, for order checks. */
static const char *
joined(const struct world *w, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < w->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", w->what[i]);
	return buf;
}

static const struct ecg_event *
find_event(const struct world *w, enum ecg_event_type type)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->ev[i] != NULL && w->ev[i]->type == type)
			return w->ev[i];
	return NULL;
}

static void
lives(void)
{
	struct fixture fx;
	const struct ecg_event *ev;
	char buf[1024];

	/* A run that passes its check, exits with 0 and goes. */
	setup(&fx, ECG_RESTART_NO, ECG_READY_TCP);
	fx.w.gone = 1;
	ok(ecg_task_start(&fx.t) == 0 && fx.t.state == ECG_TASK_RUNNING, "start: running");
	feed(&fx, ECG_IN_READY, 0);
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, 0));
	ok(fx.t.state == ECG_TASK_DONE && ecg_errgroup_live(&fx.eg) == 0 &&
	    ecg_errgroup_slots(&fx.eg) == 0 && ecg_errgroup_err(&fx.eg) == 0,
	    "a run that ends with 0 and is gone: done, its members and slot counted out");
	ok(strcmp(joined(&fx.w, buf, sizeof(buf)), "new_run, spawn, h:started, started, "
	    "check_begin, check_stop, ready, h:ready, health_begin, check_end, exited, h:ended, "
	    "finish, h:done") == 0,
	    "its life, in order: %s", buf);
	ok(ecg_task_run_end(&fx.t)->end == ECG_END_EXITED && ecg_task_run_end(&fx.t)->code == 0,
	    "its end: exited 0");
	teardown(&fx);

	/* Unhealthy after ready: stopped, and its end (124, unhealthy) is the cause. */
	setup(&fx, ECG_RESTART_NO, ECG_READY_TCP);
	fx.spec.health.check = (char *)"http http://127.0.0.1:1/health";
	fx.w.gone = 1;
	ecg_task_start(&fx.t);
	feed(&fx, ECG_IN_READY, 0);
	fx.w.n = 0;
	feed(&fx, ECG_IN_UNHEALTHY, 0);
	ok(fx.t.state == ECG_TASK_ENDING &&
	    strcmp(joined(&fx.w, buf, sizeof(buf)), "cause, h:ended, stop") == 0,
	    "unhealthy: its end counts at once, and it is stopped (%s)", buf);
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, SIGTERM));
	ev = find_event(&fx.w, ECG_EV_CAUSE_UNHEALTHY);
	ok(fx.t.state == ECG_TASK_DONE && ev != NULL && ev->code == 124 &&
	    ev->end == ECG_END_UNHEALTHY && strcmp(ev->check, fx.spec.health.check) == 0 &&
	    strstr(ev->text, "3 checks in a row") != NULL && ecg_errgroup_err(&fx.eg) == 124,
	    "its end is unhealthy, 124, the cause, with the health check's error");
	teardown(&fx);

	/* With restarts: unhealthy is a failure a restart absorbs. */
	setup(&fx, ECG_RESTART_ON_FAILURE, ECG_READY_TCP);
	fx.spec.health.check = (char *)"command false";
	fx.w.gone = 1;
	ecg_task_start(&fx.t);
	feed(&fx, ECG_IN_READY, 0);
	feed(&fx, ECG_IN_UNHEALTHY, 0);
	ok(fx.t.state == ECG_TASK_RECYCLING, "unhealthy with restarts left: recycling");
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, SIGTERM));
	ev = find_event(&fx.w, ECG_EV_RESTARTING);
	ok(ev != NULL && ev->end == ECG_END_UNHEALTHY && ev->code == 124 &&
	    ecg_errgroup_err(&fx.eg) == 0, "said as a restart of an unhealthy run, no failure yet");
	teardown(&fx);

	/* A failure counts: the errgroup's first error. */
	setup(&fx, ECG_RESTART_NO, ECG_READY_STARTED);
	ecg_task_start(&fx.t);
	ok(fx.t.state == ECG_TASK_READY, "ready = started: ready at exec");
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, SIGSEGV) | 0x80);
	ev = find_event(&fx.w, ECG_EV_CAUSE_FAILED);
	ok(ev != NULL && ev->code == 128 + SIGSEGV && ecg_errgroup_err(&fx.eg) == 128 + SIGSEGV,
	    "killed by a signal: the cause, 128 + it");
	ev = find_event(&fx.w, ECG_EV_KILLED);
	ok(ev != NULL && ev->sig == SIGSEGV && ev->core == 1, "said as killed, with its core");
	teardown(&fx);

	/* A one-shot: its exit, then its readiness, then its end counts. */
	setup(&fx, ECG_RESTART_NO, ECG_READY_EXITED);
	ecg_task_start(&fx.t);
	fx.w.n = 0;
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, 0));
	ok(strcmp(joined(&fx.w, buf, sizeof(buf)), "check_end, exited, check_stop, ready, h:ready, "
	    "h:ended") == 0 && fx.t.state == ECG_TASK_EXITED,
	    "ready = exited: exited, ready, then counted (%s)", buf);
	teardown(&fx);

	/* A failure a restart absorbs, said once; the next run after the delay. */
	setup(&fx, ECG_RESTART_ON_FAILURE, ECG_READY_STARTED);
	ecg_task_start(&fx.t);
	fx.w.n = 0;
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(3, 0));
	ev = find_event(&fx.w, ECG_EV_RESTARTING);
	ok(fx.t.state == ECG_TASK_RESTARTING && ev != NULL && ev->n == 1 && ev->delay == 10 &&
	    ev->code == 3 && find_event(&fx.w, ECG_EV_EXITED) == NULL &&
	    ecg_errgroup_err(&fx.eg) == 0, "a failure that restarts: said once, with the restart");
	feed(&fx, ECG_IN_GONE, 0);
	ok(fx.t.state == ECG_TASK_BACKOFF && ev_is_active(&fx.t.delay_timer),
	    "gone: the delay begins");
	fx.w.n = 0;
	feed(&fx, ECG_IN_DELAY, 0);
	ev = find_event(&fx.w, ECG_EV_STARTED);
	ok(fx.t.state == ECG_TASK_READY && ev != NULL && ev->n == 2 && fx.w.n > 0 &&
	    strcmp(fx.w.what[0], "new_run") == 0, "the delay is over: a new run, attempt 2");
	teardown(&fx);

	/* Not ready, restarting: stopped, said exited, gone, then the delay. */
	setup(&fx, ECG_RESTART_ON_FAILURE, ECG_READY_TCP);
	ecg_task_start(&fx.t);
	fx.w.n = 0;
	feed(&fx, ECG_IN_NOT_READY, 0);
	ok(fx.t.state == ECG_TASK_RECYCLING &&
	    strcmp(joined(&fx.w, buf, sizeof(buf)), "restarting, stop") == 0,
	    "not ready, restarting: said, then stopped (%s)", buf);
	ev = find_event(&fx.w, ECG_EV_RESTARTING);
	ok(ev != NULL && ev->code == 124 && ev->end == ECG_END_NOT_READY &&
	    strcmp(ev->text, "connection refused") == 0, "its end: not ready, 124, the probe's error");
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, SIGTERM));
	ok(fx.t.state == ECG_TASK_RESTARTING && find_event(&fx.w, ECG_EV_KILLED) != NULL &&
	    ecg_task_run_end(&fx.t)->end == ECG_END_NOT_READY,
	    "its exit is said, its end stays not ready");
	feed(&fx, ECG_IN_GONE, 0);
	ok(fx.t.state == ECG_TASK_BACKOFF, "gone: backoff");
	/* The group stops: nothing runs again. */
	fx.w.n = 0;
	feed(&fx, ECG_IN_STOP, 0);
	ok(fx.t.state == ECG_TASK_DONE && find_event(&fx.w, ECG_EV_NOT_RESTARTED) != NULL &&
	    ecg_errgroup_slots(&fx.eg) == 0 && ecg_errgroup_live(&fx.eg) == 0,
	    "a stop in backoff: not restarted, done, its slot free");
	teardown(&fx);

	/* A stop while the old run is still there: it will not run again. */
	setup(&fx, ECG_RESTART_ALWAYS, ECG_READY_STARTED);
	ecg_task_start(&fx.t);
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, 0));
	ok(fx.t.state == ECG_TASK_RESTARTING, "restart = always: an exit with 0 restarts");
	feed(&fx, ECG_IN_STOP, 0);
	feed(&fx, ECG_IN_GONE, 0);
	ok(fx.t.state == ECG_TASK_DONE && find_event(&fx.w, ECG_EV_NOT_RESTARTED) != NULL,
	    "a stop while restarting: not restarted; gone: done");
	teardown(&fx);

	/* The group is stopping: an end then never restarts, and never counts. */
	setup(&fx, ECG_RESTART_ALWAYS, ECG_READY_STARTED);
	ecg_task_start(&fx.t);
	ecg_context_cancel(&fx.ctx, 7);
	feed(&fx, ECG_IN_STOP, 0);
	feed(&fx, ECG_IN_TIMEOUT, 0);
	ok(fx.t.state == ECG_TASK_ENDING && find_event(&fx.w, ECG_EV_TIMED_OUT) != NULL &&
	    find_event(&fx.w, ECG_EV_CAUSE_TIMEOUT) == NULL,
	    "a timeout while stopping: said, not the cause");
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, SIGTERM));
	fx.w.gone = 1;
	feed(&fx, ECG_IN_GONE, 0);
	ok(fx.t.state == ECG_TASK_DONE && ecg_errgroup_err(&fx.eg) == 7 &&
	    find_event(&fx.w, ECG_EV_RESTARTING) == NULL, "it ends, the cause stays the group's");
	teardown(&fx);

	/* The deadline, while it runs: killed, counted, done. */
	setup(&fx, ECG_RESTART_ALWAYS, ECG_READY_STARTED);
	ecg_task_start(&fx.t);
	feed(&fx, ECG_IN_ABANDON, 0);
	ok(fx.t.state == ECG_TASK_DONE && ecg_task_run_end(&fx.t)->end == ECG_END_KILLED &&
	    ecg_task_run_end(&fx.t)->code == 128 + SIGKILL && ecg_errgroup_live(&fx.eg) == 0 &&
	    ecg_errgroup_slots(&fx.eg) == 0, "abandoned while running: killed (137), done");
	teardown(&fx);

	/* No child could be made: not said as an exit; its start code counts. */
	setup(&fx, ECG_RESTART_NO, ECG_READY_STARTED);
	fx.w.spawn_rc = -1;
	fx.w.start_code = 127;
	fx.w.gone = 1;
	ecg_task_start(&fx.t);
	ok(fx.t.state == ECG_TASK_DONE && find_event(&fx.w, ECG_EV_EXITED) == NULL &&
	    find_event(&fx.w, ECG_EV_STARTED) == NULL && ecg_errgroup_err(&fx.eg) == 127 &&
	    ecg_task_run_end(&fx.t)->end == ECG_END_START_FAILED,
	    "a start that makes no child: could not start, 127, done");
	teardown(&fx);

	/* Asked to restart: stopped, then a new run at once; no budget, no end counted. */
	setup(&fx, ECG_RESTART_NO, ECG_READY_STARTED);
	ecg_task_start(&fx.t);
	fx.w.n = 0;
	feed(&fx, ECG_IN_RESTART, 0);
	ok(fx.t.state == ECG_TASK_RECYCLING &&
	    strcmp(joined(&fx.w, buf, sizeof(buf)), "restart asked, stop") == 0,
	    "restart asked: said, stopped (%s)", buf);
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, SIGTERM));
	feed(&fx, ECG_IN_GONE, 0);
	ok(fx.t.state == ECG_TASK_BACKOFF && fx.t.end.restart.delay_ms == 0 &&
	    find_event(&fx.w, ECG_EV_ENDED) == NULL && ecg_errgroup_err(&fx.eg) == 0,
	    "its exit ends nothing: backoff of 0 ms, no end counted");
	feed(&fx, ECG_IN_DELAY, 0);
	ev = find_event(&fx.w, ECG_EV_STARTED);
	ok(fx.t.state == ECG_TASK_READY && ecg_task_attempt(&fx.t) == 1,
	    "a new run, and the restart budget untouched");
	teardown(&fx);

	/* Asked to stop: never a failure, whatever cancel_on says; it may start again. */
	setup(&fx, ECG_RESTART_ALWAYS, ECG_READY_STARTED);
	fx.spec.cancel_on = ECG_CANCEL_ON_EXIT;
	ecg_task_start(&fx.t);
	feed(&fx, ECG_IN_HALT, 0);
	ev = find_event(&fx.w, ECG_EV_ENDED);
	ok(fx.t.state == ECG_TASK_ENDING && ev != NULL && ev->end == ECG_END_STOPPED &&
	    !ecg_context_done(&fx.ctx) && find_event(&fx.w, ECG_EV_CAUSE_EXIT) == NULL,
	    "stop asked: its end is stopped, not the cause even with cancel_on = exit");
	feed(&fx, ECG_IN_EXIT, W_EXITCODE(0, SIGTERM));
	fx.w.gone = 1;
	feed(&fx, ECG_IN_GONE, 0);
	ok(fx.t.state == ECG_TASK_DONE && find_event(&fx.w, ECG_EV_RESTARTING) == NULL &&
	    ecg_errgroup_live(&fx.eg) == 0, "and it is done, not restarted");
	ok(ecg_task_start(&fx.t) == 0 && fx.t.state == ECG_TASK_READY,
	    "a task that is done starts again when asked");
	teardown(&fx);

	/* A sidecar takes no slot; a full errgroup refuses a start. */
	setup(&fx, ECG_RESTART_NO, ECG_READY_STARTED);
	ecg_errgroup_set_limit(&fx.eg, 1);
	ecg_errgroup_try_go(&fx.eg);
	ok(ecg_task_start(&fx.t) == -EAGAIN && fx.t.state == ECG_TASK_WAITING && fx.w.n == 0,
	    "no free slot: it waits, nothing done");
	fx.spec.sidecar = 1;
	ok(ecg_task_start(&fx.t) == 0 && fx.t.state == ECG_TASK_READY &&
	    ecg_errgroup_slots(&fx.eg) == 1, "a sidecar starts without a slot");
	ecg_errgroup_release(&fx.eg, 0);
	teardown(&fx);
}

int
main(void)
{
	every_cell();
	lives();
	return tap_done();
}
