#define _GNU_SOURCE
#include "run/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "sys/spawn.h"

static void
tell(struct ecg_supervisor *sv, enum ecg_event_type type, int err)
{
	struct ecg_event ev = { .type = type, .err = err };

	ecg_bus_publish(&sv->bus, &ev);
}

/*
 * The hard bound: whatever is still stuck (a process that survives
 * SIGKILL in uninterruptible sleep, a pipe held by an escaped process, a
 * stdout nobody reads) is given up, so ecg-run always ends.
 */
static void
deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_supervisor *sv = w->data;
	size_t i;

	(void)loop;
	(void)revents;
	for (i = 0; i < sv->ntasks; i++) {
		struct ecg_task *t = &sv->tasks[i];
		if (ecg_task_alive(t)) {
			struct ecg_event ev = { .type = ECG_EV_GIVEN_UP, .index = i,
				.name = ecg_task_name(t) };
			ecg_bus_publish(&sv->bus, &ev);
		}
	}
	sv->abandoned = 1;
	ecg_sweep_abandon(&sv->sweep);
	for (i = 0; i < sv->ntasks; i++)
		ecg_task_abandon(&sv->tasks[i]);
	ecg_notes_close(&sv->notes);
	ecg_notes_abandon(&sv->notes);
	ecg_pump_abandon(&sv->pump);
}

static void
group_cancelled(struct ecg_context *ctx, void *arg)
{
	struct ecg_supervisor *sv = arg;
	long bound = ecg_sched_stop_bound(&sv->sched);
	struct ecg_event ev = { .type = ECG_EV_STOPPING };
	size_t i;

	(void)ctx;
	if (bound < 0) {
		/* No memory to walk the chains: every stop_timeout in a row is a bound too. */
		for (i = 0, bound = 0; i < sv->ntasks; i++)
			bound += sv->spec->tasks[i].stop_timeout_ms;
	}
	ecg_bus_publish(&sv->bus, &ev);
	ev_timer_stop(sv->loop, &sv->group_deadline);
	ev_timer_set(&sv->deadline, (double)bound / 1000.0 + ECG_SUPERVISOR_GRACE, 0);
	ev_timer_start(sv->loop, &sv->deadline);
}

static size_t
takers(int sig, void *arg)
{
	struct ecg_supervisor *sv = arg;
	unsigned bit = ecg_config_forward_bit(sig);
	size_t i, n = 0;

	for (i = 0; i < sv->ntasks; i++)
		n += (sv->spec->tasks[i].forward & bit) != 0;
	return n;
}

static void
forward(int sig, void *arg)
{
	struct ecg_supervisor *sv = arg;
	unsigned bit = ecg_config_forward_bit(sig);
	size_t i;

	for (i = 0; i < sv->ntasks; i++)
		if (sv->spec->tasks[i].forward & bit)
			ecg_task_signal(&sv->tasks[i], sig);
}

static void
kill_all(void *arg)
{
	struct ecg_supervisor *sv = arg;
	size_t i;

	for (i = 0; i < sv->ntasks; i++)
		ecg_task_kill(&sv->tasks[i]);
}

/* ecg-run's terminal's size (its stdout's, stderr's or stdin's), or 80 x 24. */
static void
own_winsize(struct winsize *ws)
{
	int fd;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, ws) == 0 && ws->ws_col > 0)
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, ws) == 0 && ws->ws_col > 0)
		return;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, ws) == 0 && ws->ws_col > 0)
		return;
	/* Its controlling terminal, if it has one (its output may go to files). */
	if ((fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC)) >= 0) {
		int ok = ioctl(fd, TIOCGWINSZ, ws) == 0 && ws->ws_col > 0;
		close(fd);
		if (ok)
			return;
	}
	memset(ws, 0, sizeof(*ws));
	ws->ws_col = 80;
	ws->ws_row = 24;
}

static void
winch(void *arg)
{
	struct ecg_supervisor *sv = arg;
	size_t i;

	own_winsize(&sv->host.run.winsize);
	for (i = 0; i < sv->ntasks; i++)
		ecg_task_resize(&sv->tasks[i]);
}

static const struct ecg_signals_hooks signal_hooks = {
	.takers = takers,
	.forward = forward,
	.kill_all = kill_all,
	.winch = winch,
};

int
ecg_supervisor_end_signal(const struct ecg_supervisor *sv)
{
	return ecg_signals_end_signal(&sv->signals, ecg_errgroup_err(&sv->eg));
}

void
ecg_supervisor_mark(const struct ecg_supervisor *sv, size_t i, int unread,
    struct ecg_pump_mark *m)
{
	if (i < sv->ntasks)
		ecg_task_output_mark(&sv->tasks[i], unread, m);
}

size_t
ecg_supervisor_stderr_tail(const struct ecg_supervisor *sv, size_t i, const char **bytes)
{
	*bytes = NULL;
	return i < sv->ntasks ? ecg_task_stderr_tail(&sv->tasks[i], bytes) : 0;
}

struct ecg_pump *
ecg_supervisor_pump(struct ecg_supervisor *sv)
{
	return &sv->pump;
}

struct ecg_notes *
ecg_supervisor_notes(struct ecg_supervisor *sv)
{
	return &sv->notes;
}

uint64_t
ecg_supervisor_dropped(const struct ecg_supervisor *sv, int fd)
{
	uint64_t lost = 0;
	size_t i;

	for (i = 0; i < sv->ntasks; i++) {
		lost += ecg_task_dropped(&sv->tasks[i], fd);
		/* With 2>&1 both are one stream. */
		if (fd == 1 && ecg_pump_shared(&sv->pump))
			lost += ecg_task_dropped(&sv->tasks[i], 2);
	}
	return lost;
}

/* The pump's hooks. */
static void
output_written(void *arg)
{
	struct ecg_supervisor *sv = arg;

	ecg_notes_tasks_written(&sv->notes);
}

static void
output_failed(int fd, int err, void *arg)
{
	struct ecg_supervisor *sv = arg;
	struct ecg_event ev = { .type = ECG_EV_CAUSE_OUTPUT, .stream = fd, .err = err,
		.n = sv->live };

	if (ecg_context_done(&sv->group))
		return;
	/* Once every task is over there is nothing left to stop. */
	ecg_bus_publish(&sv->bus, &ev);
}

/* The end sweep is over: ecg-run's own messages may close now. */
static void
sweep_ended(void *arg)
{
	struct ecg_supervisor *sv = arg;

	ecg_notes_close(&sv->notes);
	if (sv->sweeping) {
		sv->sweeping = 0;
		ecg_errgroup_done(&sv->eg, 0);
	}
}

/*
 * Every task is over.  What is left are processes that escaped their
 * task's process group and outlived its end: they are stopped, so that
 * nothing a task started outlives ecg-run.  The sweep is a member of the
 * errgroup, and ecg-run's own messages stay open until it ends.
 */
static void
all_tasks_over(struct ecg_supervisor *sv)
{
	if (ecg_sweep_begin(&sv->sweep, sv->abandoned)) {
		sv->sweeping = 1;
		ecg_errgroup_go(&sv->eg);
	} else {
		ecg_notes_close(&sv->notes);
	}
}

/* The supervisor's own part of a task's life: the last task done ends the run. */
static void
task_life(void *arg, const struct ecg_event *ev)
{
	struct ecg_supervisor *sv = arg;

	if (ev->type == ECG_EV_DONE && sv->live > 0 && --sv->live == 0)
		all_tasks_over(sv);
}

static size_t
task_escaped(struct ecg_task *t, int reaped, int sig, void *arg)
{
	struct ecg_supervisor *sv = arg;

	return ecg_sweep_task(&sv->sweep, ecg_task_index(t), ecg_task_pid(t), reaped, sig);
}

static void
group_ready(void *arg)
{
	struct ecg_supervisor *sv = arg;
	struct ecg_event ev = { .type = ECG_EV_GROUP_READY };
	size_t i;

	for (i = 0; i < sv->ntasks; i++)
		if (sv->spec->tasks[i].nafter > 0 || ecg_task_has_check(&sv->tasks[i]))
			ev.n++;
	ev.ms = ecg_clock_ms();
	ecg_bus_publish(&sv->bus, &ev);
}

static void
slot_free(struct ecg_errgroup *g, void *arg)
{
	struct ecg_supervisor *sv = arg;

	(void)g;
	ecg_sched_slot_free(&sv->sched);
}

/*
 * The group's deadline (context.WithTimeout): it cancels like a failure,
 * with 124 as timeout(1) gives.  ev_timer runs on the monotonic clock:
 * setting the system time moves nothing.
 */
static void
group_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_supervisor *sv = w->data;
	struct ecg_event ev = { .type = ECG_EV_CAUSE_DEADLINE, .code = 124,
		.ms = sv->spec->deadline_ms };

	(void)loop;
	(void)revents;
	if (ecg_context_done(&sv->group))
		return;
	ecg_bus_publish(&sv->bus, &ev);
	ecg_context_cancel(&sv->group, 124);
}

static void
all_done(struct ecg_errgroup *g, void *arg)
{
	struct ecg_supervisor *sv = arg;

	(void)g;
	ev_break(sv->loop, EVBREAK_ONE);
}

/*
 * Two pipes per task: a large group needs more descriptors than the
 * usual soft limit of 1024.  Tasks get the original limit back.
 */
static void
raise_nofile(struct ecg_supervisor *sv)
{
	struct rlimit raised;

	if (getrlimit(RLIMIT_NOFILE, &sv->nofile) < 0)
		return;
	raised = sv->nofile;
	raised.rlim_cur = raised.rlim_max;
	if (raised.rlim_cur != sv->nofile.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) == 0)
		sv->host.run.nofile = &sv->nofile;
}

static void
set_host(struct ecg_supervisor *sv, const struct ecg_supervisor_opts *opts)
{
	const struct ecg_group_spec *spec = sv->spec;
	struct timespec now;

	sv->host.run.loop = sv->loop;
	sv->host.eg = &sv->eg;
	sv->host.run.pump = &sv->pump;
	sv->host.run.shell = sv->shell;
	/* Another shell may give even plain words a meaning of its own. */
	sv->host.run.direct = strcmp(spec->shell, "/bin/sh") == 0;
	sv->host.run.group_name = spec->name;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(sv->run_id, sizeof(sv->run_id), "%d.%llx", (int)getpid(),
	    (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec);
	sv->host.run.run_id = sv->run_id;
	sv->host.run.buffer = spec->buffer;
	sv->host.run.stderr_tail = opts->stderr_tail;
	sv->host.run.control = opts->control;
	sv->host.event = ecg_bus_publish;
	sv->host.event_arg = &sv->bus;
	sv->host.escaped = task_escaped;
	sv->host.arg = sv;
}

int
ecg_supervisor_init(struct ecg_supervisor *sv, struct ev_loop *loop,
    const struct ecg_group_spec *spec, const struct ecg_supervisor_opts *opts,
    struct ecg_buf *err)
{
	struct ecg_pump_hooks hooks;
	size_t i;
	int rc;

	memset(sv, 0, sizeof(*sv));
	hooks.failed = output_failed;
	hooks.tasks_written = output_written;
	hooks.arg = sv;
	sv->loop = loop;
	sv->spec = spec;
	sv->host.run.devnull = -1;
	/* The front end first: what happens is said before what follows from it. */
	ecg_bus_subscribe(&sv->bus, opts->event, opts->event_arg);
	ecg_sentinel_init(&sv->sentinel, loop);
	ecg_context_init(&sv->root, loop, NULL);
	ecg_context_init(&sv->group, loop, &sv->root);
	ecg_context_init(&sv->outroot, loop, NULL);
	ecg_errgroup_init(&sv->eg, &sv->group);
	ecg_signals_init(&sv->signals, loop, &sv->root, &sv->group, &signal_hooks, sv,
	    ecg_bus_publish, &sv->bus);
	ev_timer_init(&sv->deadline, deadline_cb, 0, 0);
	sv->deadline.data = sv;
	/*
	 * Orphans of the tasks (a background job whose shell has gone) come
	 * to us rather than to init: libev reaps them at once, so a process
	 * group is seen to be gone as soon as it is.
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		tell(sv, ECG_EV_NO_SUBREAPER, errno);
	raise_nofile(sv);
	rc = ecg_spawn_which(spec->shell, sv->shell, sizeof(sv->shell));
	if (rc < 0) {
		ecg_buf_printf(err, "shell %s: %s", spec->shell, strerror(-rc));
		return rc;
	}
	sv->host.run.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sv->host.run.devnull < 0) {
		rc = -errno;
		ecg_buf_printf(err, "/dev/null: %s", strerror(errno));
		return rc;
	}
	rc = ecg_pump_init(&sv->pump, loop, &sv->outroot, &sv->eg, &opts->out, &hooks);
	ecg_notes_init(&sv->notes, &sv->pump, opts->out.tasks);
	sv->pump_made = 1;
	if (rc < 0) {
		ecg_buf_printf(err, "setting up output: %s", strerror(-rc));
		return rc;
	}
	set_host(sv, opts);
	own_winsize(&sv->host.run.winsize);
	for (i = 0; i < spec->ntasks; i++)
		if (spec->tasks[i].ready.kind == ECG_READY_NOTIFY ||
		    (spec->tasks[i].health.check != NULL &&
		    spec->tasks[i].health.kind == ECG_READY_NOTIFY)) {
			rc = ecg_notify_dir_make(&sv->notify_dir);
			if (rc < 0) {
				ecg_buf_printf(err, "cannot make a directory for notify sockets: %s",
				    strerror(-rc));
				return rc;
			}
			sv->host.run.notify_dir = &sv->notify_dir;
			break;
		}
	/*
	 * Tasks of other users reach their sockets through the directory:
	 * they may pass it, not list it (each socket is its task's user's).
	 */
	for (i = 0; i < spec->ntasks && sv->host.run.notify_dir != NULL; i++)
		if (spec->tasks[i].identity != NULL) {
			chmod(sv->notify_dir.path, 0711);
			break;
		}
	sv->tasks = calloc(spec->ntasks ? spec->ntasks : 1, sizeof(*sv->tasks));
	if (sv->tasks == NULL) {
		ecg_buf_printf(err, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < spec->ntasks; i++) {
		rc = ecg_task_init(&sv->tasks[i], &sv->host, &spec->tasks[i], i, (int)i);
		sv->ntasks = i + 1;
		if (rc < 0) {
			ecg_buf_printf(err, "out of memory");
			return -ENOMEM;
		}
	}
	if (ecg_sweep_init(&sv->sweep, loop, sv->tasks, sv->ntasks, spec, ecg_bus_publish,
	    &sv->bus) < 0 ||
	    ecg_sched_init(&sv->sched, sv->tasks, spec->tasks, sv->ntasks, &sv->group,
	    ecg_bus_publish, &sv->bus) < 0) {
		ecg_buf_printf(err, "out of memory");
		return -ENOMEM;
	}
	ecg_bus_subscribe(&sv->bus, ecg_sched_event, &sv->sched);
	ecg_bus_subscribe(&sv->bus, ecg_sentinel_event, &sv->sentinel);
	ecg_bus_subscribe(&sv->bus, task_life, sv);
	ecg_sweep_on_end(&sv->sweep, sweep_ended, sv);
	ecg_sched_on_ready(&sv->sched, group_ready, sv);
	ecg_sched_set_limit(&sv->sched, spec->max_parallel);
	ecg_errgroup_set_limit(&sv->eg, (unsigned)spec->max_parallel);
	ecg_errgroup_on_slot(&sv->eg, slot_free, sv);
	ev_timer_init(&sv->group_deadline, group_deadline_cb, 0, 0);
	sv->group_deadline.data = sv;
	ecg_context_on_cancel(&sv->group, &sv->group_cancel, group_cancelled, sv);
	ecg_signals_start(&sv->signals);
	/*
	 * As process 1 there is no need: when it dies, the kernel kills every
	 * process of its PID namespace.
	 */
	if (getpid() != 1 &&
	    (rc = ecg_sentinel_start(&sv->sentinel, sv->run_id, opts->control)) < 0)
		tell(sv, ECG_EV_NO_SENTINEL, -rc);
	ecg_sweep_set_sentinel(&sv->sweep, ecg_sentinel_pid(&sv->sentinel));
	return 0;
}

int
ecg_supervisor_run(struct ecg_supervisor *sv)
{
	size_t i;

	struct ecg_event ev = { .type = ECG_EV_GROUP_START, .n = sv->ntasks };

	sv->live = sv->ntasks;
	ecg_bus_publish(&sv->bus, &ev);
	if (sv->spec->deadline_ms > 0) {
		ev_timer_set(&sv->group_deadline, (double)sv->spec->deadline_ms / 1000.0, 0);
		ev_timer_start(sv->loop, &sv->group_deadline);
	}
	ecg_sched_run(&sv->sched);
	/* Nothing new starts once the group is cancelled (a signal may come early). */
	if (ecg_context_done(&sv->group))
		for (i = 0; i < sv->ntasks; i++)
			ecg_task_skip(&sv->tasks[i]);
	ecg_errgroup_wait(&sv->eg, all_done, sv);
	ev_run(sv->loop, 0);
	ecg_sentinel_release(&sv->sentinel);
	return ecg_errgroup_err(&sv->eg);
}

void
ecg_supervisor_destroy(struct ecg_supervisor *sv)
{
	size_t i;

	ecg_signals_stop(&sv->signals);
	ecg_sentinel_release(&sv->sentinel);
	ecg_sentinel_destroy(&sv->sentinel);
	ev_timer_stop(sv->loop, &sv->deadline);
	ev_timer_stop(sv->loop, &sv->group_deadline);
	ecg_sweep_destroy(&sv->sweep);
	ecg_sched_destroy(&sv->sched);
	ecg_context_forget(&sv->group, &sv->group_cancel);
	for (i = 0; i < sv->ntasks; i++)
		ecg_task_destroy(&sv->tasks[i]);
	free(sv->tasks);
	/* Empty now: each socket went with its task. */
	ecg_notify_dir_remove(&sv->notify_dir);
	if (sv->pump_made) {
		ecg_notes_destroy(&sv->notes);
		ecg_pump_destroy(&sv->pump);
	}
	if (sv->host.run.devnull >= 0)
		close(sv->host.run.devnull);
	ecg_errgroup_destroy(&sv->eg);
	ecg_context_destroy(&sv->outroot);
	ecg_context_destroy(&sv->group);
	ecg_context_destroy(&sv->root);
}

size_t
ecg_supervisor_ntasks(const struct ecg_supervisor *sv)
{
	return sv->ntasks;
}

const struct ecg_task *
ecg_supervisor_task(const struct ecg_supervisor *sv, size_t i)
{
	return i < sv->ntasks ? &sv->tasks[i] : NULL;
}

long
ecg_supervisor_find(const struct ecg_supervisor *sv, const char *name)
{
	size_t i;

	for (i = 0; i < sv->ntasks; i++)
		if (strcmp(sv->spec->tasks[i].name, name) == 0)
			return (long)i;
	return -1;
}

void
ecg_supervisor_signal_task(struct ecg_supervisor *sv, size_t i, int sig)
{
	if (i < sv->ntasks)
		ecg_task_signal(&sv->tasks[i], sig);
}

int
ecg_supervisor_shutdown(struct ecg_supervisor *sv, long pid)
{
	struct ecg_event ev = { .type = ECG_EV_CAUSE_SHUTDOWN, .pid = pid };

	if (ecg_context_done(&sv->group))
		return -EALREADY;
	ev.code = ecg_errgroup_err(&sv->eg);
	ecg_bus_publish(&sv->bus, &ev);
	ecg_context_cancel(&sv->group, 0);
	return 0;
}

int
ecg_supervisor_stopping(const struct ecg_supervisor *sv)
{
	return ecg_context_done(&sv->group);
}

int
ecg_supervisor_subscribe(struct ecg_supervisor *sv, ecg_event_fn fn, void *arg)
{
	return ecg_bus_subscribe(&sv->bus, fn, arg);
}

int
ecg_supervisor_restart_task(struct ecg_supervisor *sv, size_t i, long by)
{
	if (ecg_context_done(&sv->group))
		return -ECANCELED;
	return i < sv->ntasks ? ecg_task_ask(&sv->tasks[i], ECG_IN_RESTART, by) : -EINVAL;
}

int
ecg_supervisor_stop_task(struct ecg_supervisor *sv, size_t i, long by)
{
	if (ecg_context_done(&sv->group))
		return -ECANCELED;
	return i < sv->ntasks ? ecg_task_ask(&sv->tasks[i], ECG_IN_HALT, by) : -EINVAL;
}

int
ecg_supervisor_start_task(struct ecg_supervisor *sv, size_t i, long by)
{
	struct ecg_event ev = { .type = ECG_EV_START_ASKED, .pid = by };
	int rc;

	if (i >= sv->ntasks)
		return -EINVAL;
	if (ecg_context_done(&sv->group))
		return -ECANCELED;
	if (ecg_task_state(&sv->tasks[i]) != ECG_TASK_DONE)
		return -EALREADY;
	ev.name = ecg_task_name(&sv->tasks[i]);
	ev.index = i;
	ecg_bus_publish(&sv->bus, &ev);
	/* One more task to be done before the run ends. */
	sv->live++;
	rc = ecg_sched_start_again(&sv->sched, i);
	if (rc < 0)
		sv->live--;
	return rc;
}

void
ecg_supervisor_follow(struct ecg_supervisor *sv,
    void (*fn)(void *arg, size_t id, int stream, const char *b, size_t n, int start), void *arg)
{
	sv->host.run.follow.fn = fn;
	sv->host.run.follow.arg = arg;
}

struct ev_loop *
ecg_supervisor_loop(const struct ecg_supervisor *sv)
{
	return sv->loop;
}

void
ecg_supervisor_publish(struct ecg_supervisor *sv, const struct ecg_event *ev)
{
	ecg_bus_publish(&sv->bus, ev);
}
