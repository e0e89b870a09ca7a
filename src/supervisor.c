#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "escapees.h"
#include "spawn.h"
#include "value.h"

/*
 * HUP, USR1 and USR2 are forwarded.  The others would end ecg-run by
 * default: each stops the group instead, and is raised again at the end.
 */
static const int handled[] = {
	SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGTERM, SIGQUIT,
	SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGPWR, SIGSTKFLT,
};
#define NHANDLED (sizeof(handled) / sizeof(handled[0]))
_Static_assert(NHANDLED == ECG_SUPERVISOR_SIGNALS, "one watcher per handled signal");

static void
note(struct ecg_supervisor *sv, enum ecg_note_level level, const char *fmt, const char *arg)
{
	sv->host.note(sv->host.note_arg, level, NULL, fmt, arg);
}

static void sweep_end(struct ecg_supervisor *sv);

static void
abandon(struct ecg_supervisor *sv)
{
	size_t i;

	if (sv->abandoned)
		return;
	sv->abandoned = 1;
	if (ev_is_active(&sv->sweep_poll)) {
		for (i = 0; i < sv->escapees.n; i++)
			ecg_escapee_signal(&sv->escapees.list[i], SIGKILL);
		sweep_end(sv);
	}
	for (i = 0; i < sv->ntasks; i++)
		ecg_task_abandon(&sv->tasks[i]);
	ecg_output_close_notes(&sv->out);
	ecg_output_abandon(&sv->out);
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
		if (t->state != ECG_TASK_DONE && t->state != ECG_TASK_PENDING &&
		    (!t->reaped || t->group_alive))
			sv->host.note(sv->host.note_arg, ECG_NOTE_ERROR, t,
			    "still running at the deadline after SIGKILL, giving up on it");
	}
	abandon(sv);
}

static void
group_cancelled(struct ecg_context *ctx, void *arg)
{
	struct ecg_supervisor *sv = arg;
	long longest = 0;
	size_t i;

	(void)ctx;
	for (i = 0; i < sv->ntasks; i++)
		if (sv->tasks[i].state != ECG_TASK_DONE &&
		    sv->tasks[i].spec->stop_timeout_ms > longest)
			longest = sv->tasks[i].spec->stop_timeout_ms;
	ev_timer_set(&sv->deadline, (double)longest / 1000.0 + ECG_SUPERVISOR_GRACE, 0);
	ev_timer_start(sv->loop, &sv->deadline);
}

static int
interrupt(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGQUIT;
}

/*
 * A copy of a signal that arrives within SAME_REQUEST of the first copy is
 * the same request, not a second one.  coreutils timeout(1) sends its
 * signal to its child and then to its own process group, which holds the
 * child: ecg-run gets two copies microseconds apart.  A terminal's Ctrl-C
 * under timeout gives three.  A person pressing Ctrl-C again, or a script
 * sending another signal a second later, is well past the window.
 */
#define SAME_REQUEST 0.25

static double
monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ecg_supervisor *sv = w->data;
	int sig = w->signum;
	char buf[16];
	const char *name = ecg_value_signame(sig, buf, sizeof(buf));
	double now = monotonic();
	size_t i, k = (size_t)(w - sv->sigs);

	(void)loop;
	(void)revents;
	if (sv->request_at[k] > 0 && now - sv->request_at[k] < SAME_REQUEST) {
		note(sv, ECG_NOTE_VERBOSE, "received SIG%s again at once: the same request", name);
		return;
	}
	sv->request_at[k] = now;
	/* The first interrupt decides how ecg-run ends, whatever the cause was. */
	if (interrupt(sig) && sv->interrupt == 0)
		sv->interrupt = sig;
	if (sig == SIGHUP || sig == SIGUSR1 || sig == SIGUSR2) {
		note(sv, ECG_NOTE_VERBOSE, "received SIG%s, forwarding it to every task", name);
		for (i = 0; i < sv->ntasks; i++)
			if (sv->tasks[i].state != ECG_TASK_DONE)
				ecg_task_signal(&sv->tasks[i], sig);
		return;
	}
	if (!ecg_context_done(&sv->group)) {
		note(sv, ECG_NOTE_CAUSE, "received SIG%s, stopping the group", name);
		sv->signal = sig;
		ecg_context_cancel(&sv->root, 128 + sig);
		return;
	}
	if (!interrupt(sig))
		return;
	/* Asked again while stopping: the user does not want to wait. */
	note(sv, ECG_NOTE_CAUSE, "received SIG%s while stopping, killing every task", name);
	for (i = 0; i < sv->ntasks; i++)
		if (sv->tasks[i].state != ECG_TASK_DONE)
			ecg_task_kill(&sv->tasks[i]);
}

int
ecg_supervisor_end_signal(const struct ecg_supervisor *sv)
{
	if (sv->interrupt != 0)
		return sv->interrupt;
	/* A signal that was the cause ends ecg-run too, unless a task came first. */
	if (sv->signal != 0 && ecg_errgroup_err(&sv->eg) == 128 + sv->signal)
		return sv->signal;
	return 0;
}

static void
output_failed(int fd, int err, void *arg)
{
	struct ecg_supervisor *sv = arg;

	if (ecg_context_done(&sv->group))
		return;
	/* Once every task is over there is nothing left to stop. */
	sv->host.note(sv->host.note_arg, ECG_NOTE_CAUSE, NULL, "cannot write to %s (%s)%s",
	    fd == 1 ? "stdout" : "stderr", strerror(err),
	    sv->live > 0 ? ", stopping the group" : "");
}

#define SCAN_EVERY 0.1

static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static long
task_named(const char *name, void *arg)
{
	struct ecg_supervisor *sv = arg;
	size_t i;

	for (i = 0; i < sv->ntasks; i++)
		if (strcmp(sv->tasks[i].spec->name, name) == 0)
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
scan_escapees(struct ecg_supervisor *sv, int force)
{
	size_t nmains = 0, i;
	unsigned iteration = ev_iteration(sv->loop) + 1;

	if (!force && ev_now(sv->loop) - sv->scanned < SCAN_EVERY)
		return;
	if (force && sv->scan_iteration == iteration)
		return;
	sv->scanned = ev_now(sv->loop);
	sv->scan_iteration = iteration;
	for (i = 0; i < sv->ntasks; i++)
		if (sv->tasks[i].pid > 0 && !sv->tasks[i].reaped)
			sv->mains[nmains++] = sv->tasks[i].pid;
	/* The sentinel is a child of ours too, and no escapee. */
	if (sv->sentinel.pid > 0)
		sv->mains[nmains++] = sv->sentinel.pid;
	qsort(sv->mains, nmains, sizeof(*sv->mains), cmp_pid);
	ecg_escapees_rescan(&sv->escapees, getpid(), sv->mains, nmains, task_named, sv);
}

/* The host hook of the tasks: signals and counts a task's escapees. */
static size_t
task_escaped(struct ecg_task *t, int sig, void *arg)
{
	struct ecg_supervisor *sv = arg;
	long idx = (long)(t - sv->tasks);
	size_t i, alive = 0;

	/* Right after the main process ended, its orphans have just come to us. */
	scan_escapees(sv, t->reaped && !t->escapees_seen);
	if (t->reaped)
		t->escapees_seen = 1;
	for (i = 0; i < sv->escapees.n; i++) {
		if (sv->escapees.list[i].task != idx || !ecg_escapee_alive(&sv->escapees.list[i]))
			continue;
		alive++;
		if (sig != 0)
			ecg_escapee_signal(&sv->escapees.list[i], sig);
	}
	return alive;
}

static size_t
escapees_alive(struct ecg_supervisor *sv)
{
	size_t i, alive = 0;

	for (i = 0; i < sv->escapees.n; i++)
		if (ecg_escapee_alive(&sv->escapees.list[i]))
			alive++;
	return alive;
}

static void
sweep_end(struct ecg_supervisor *sv)
{
	ev_timer_stop(sv->loop, &sv->sweep_poll);
	ev_timer_stop(sv->loop, &sv->sweep_kill);
	ecg_output_close_notes(&sv->out);
	ecg_errgroup_done(&sv->eg, 0);
}

static void
sweep_poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_supervisor *sv = w->data;

	(void)loop;
	(void)revents;
	scan_escapees(sv, 0);
	if (escapees_alive(sv) == 0)
		sweep_end(sv);
}

static void
sweep_kill_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_supervisor *sv = w->data;
	size_t i;

	(void)revents;
	if (sv->sweep_killed) {
		sv->host.note(sv->host.note_arg, ECG_NOTE_ERROR, NULL,
		    "%zu escaped process(es) still running after SIGKILL, giving up on them",
		    escapees_alive(sv));
		sweep_end(sv);
		return;
	}
	sv->sweep_killed = 1;
	scan_escapees(sv, 1);
	sv->host.note(sv->host.note_arg, ECG_NOTE_INFO, NULL,
	    "%zu escaped process(es) still running after the stop signal, sending SIGKILL",
	    escapees_alive(sv));
	for (i = 0; i < sv->escapees.n; i++)
		ecg_escapee_signal(&sv->escapees.list[i], SIGKILL);
	ev_timer_set(w, ECG_SUPERVISOR_GRACE, 0);
	ev_timer_start(loop, w);
}

/*
 * Every task is over.  What is left are processes that escaped their
 * task's process group and outlived its end (or came from no known task):
 * they are stopped like their task (or with the group's defaults), so
 * that nothing a task started outlives ecg-run.  The sweep is a member of
 * the errgroup, and ecg-run's own messages stay open until it ends.
 */
static void
sweep(struct ecg_supervisor *sv)
{
	long longest = 0, ms;
	size_t i, n;
	int sig;

	scan_escapees(sv, 1);
	if (escapees_alive(sv) == 0 || sv->abandoned) {
		/* Past the deadline nobody waits: SIGKILL, and on. */
		for (i = 0; i < sv->escapees.n; i++)
			ecg_escapee_signal(&sv->escapees.list[i], SIGKILL);
		ecg_output_close_notes(&sv->out);
		return;
	}
	ecg_errgroup_go(&sv->eg);
	n = escapees_alive(sv);
	sv->host.note(sv->host.note_arg, ECG_NOTE_INFO, NULL,
	    "%zu process%s that left %s task's process group still running, stopping %s", n,
	    n == 1 ? "" : "es", n == 1 ? "its" : "their", n == 1 ? "it" : "them");
	for (i = 0; i < sv->escapees.n; i++) {
		const struct ecg_task_spec *t = sv->escapees.list[i].task >= 0 ?
		    sv->tasks[sv->escapees.list[i].task].spec : NULL;
		sig = t != NULL ? t->stop_signal : sv->spec->stop_signal;
		ms = t != NULL ? t->stop_timeout_ms : sv->spec->stop_timeout_ms;
		if (ms > longest)
			longest = ms;
		ecg_escapee_signal(&sv->escapees.list[i], sig);
		ecg_escapee_signal(&sv->escapees.list[i], SIGCONT);
	}
	ev_timer_set(&sv->sweep_kill, (double)longest / 1000.0, 0);
	ev_timer_start(sv->loop, &sv->sweep_kill);
	ev_timer_start(sv->loop, &sv->sweep_poll);
}

static void
task_done(struct ecg_task *t, void *arg)
{
	struct ecg_supervisor *sv = arg;

	if (t->pid > 0)
		ecg_sentinel_group(&sv->sentinel, t->pid, 0);
	if (sv->live > 0 && --sv->live == 0)
		sweep(sv);
}

static void
all_done(struct ecg_errgroup *g, void *arg)
{
	struct ecg_supervisor *sv = arg;

	(void)g;
	ev_break(sv->loop, EVBREAK_ONE);
}

int
ecg_supervisor_init(struct ecg_supervisor *sv, struct ev_loop *loop,
    const struct ecg_group_spec *spec, const struct ecg_supervisor_opts *opts,
    char *err, size_t errlen)
{
	struct timespec now;
	size_t i;
	int rc;

	memset(sv, 0, sizeof(*sv));
	sv->loop = loop;
	sv->spec = spec;
	sv->host.devnull = -1;
	ecg_escapees_init(&sv->escapees);
	ecg_sentinel_init(&sv->sentinel, loop);
	ecg_context_init(&sv->root, loop, NULL);
	ecg_context_init(&sv->group, loop, &sv->root);
	ecg_context_init(&sv->outroot, loop, NULL);
	ecg_errgroup_init(&sv->eg, &sv->group);
	ev_timer_init(&sv->deadline, deadline_cb, 0, 0);
	sv->deadline.data = sv;
	ev_timer_init(&sv->sweep_poll, sweep_poll_cb, 0.025, 0.025);
	sv->sweep_poll.data = sv;
	ev_timer_init(&sv->sweep_kill, sweep_kill_cb, 0, 0);
	sv->sweep_kill.data = sv;
	/*
	 * Orphans of the tasks (a background job whose shell has gone) come
	 * to us rather than to init: libev reaps them at once, so a process
	 * group is seen to be gone as soon as it is.
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		opts->note(opts->note_arg, ECG_NOTE_ERROR, NULL,
		    "cannot become a child subreaper (%s): processes that leave their "
		    "task's process group will not be found", strerror(errno));
	/*
	 * Two pipes per task: a large group needs more descriptors than the
	 * usual soft limit of 1024.  Tasks get the original limit back.
	 */
	if (getrlimit(RLIMIT_NOFILE, &sv->nofile) == 0) {
		struct rlimit raised = sv->nofile;
		raised.rlim_cur = raised.rlim_max;
		if (raised.rlim_cur != sv->nofile.rlim_cur &&
		    setrlimit(RLIMIT_NOFILE, &raised) == 0)
			sv->host.nofile = &sv->nofile;
	}
	rc = ecg_spawn_which(spec->shell, sv->shell, sizeof(sv->shell));
	if (rc < 0) {
		snprintf(err, errlen, "shell %s: %s", spec->shell, strerror(-rc));
		return rc;
	}
	sv->host.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sv->host.devnull < 0) {
		rc = -errno;
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		return rc;
	}
	rc = ecg_output_init(&sv->out, loop, &sv->outroot, &sv->eg, &opts->out);
	if (rc < 0) {
		snprintf(err, errlen, "setting up output: %s", strerror(-rc));
		return rc;
	}
	sv->out.on_fail = output_failed;
	sv->out.fail_arg = sv;
	sv->host.loop = loop;
	sv->host.eg = &sv->eg;
	sv->host.out = &sv->out;
	sv->host.shell = sv->shell;
	/* Another shell may give even plain words a meaning of its own. */
	sv->host.direct = strcmp(spec->shell, "/bin/sh") == 0;
	sv->host.group_name = spec->name;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(sv->run_id, sizeof(sv->run_id), "%d.%llx", (int)getpid(),
	    (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec);
	sv->host.run_id = sv->run_id;
	sv->host.buffer = spec->buffer;
	sv->host.verbose = opts->verbose;
	sv->host.note = opts->note;
	sv->host.note_arg = opts->note_arg;
	sv->host.on_done = task_done;
	sv->host.done_arg = sv;
	sv->host.escaped = task_escaped;
	sv->mains = calloc(spec->ntasks + 1, sizeof(*sv->mains));
	sv->tasks = calloc(spec->ntasks, sizeof(*sv->tasks));
	if (sv->tasks == NULL || sv->mains == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < spec->ntasks; i++) {
		if (ecg_task_init(&sv->tasks[i], &sv->host, &spec->tasks[i], (int)i) < 0) {
			snprintf(err, errlen, "out of memory");
			sv->ntasks = i + 1;
			return -ENOMEM;
		}
		sv->ntasks = i + 1;
	}
	ecg_context_on_cancel(&sv->group, &sv->group_cancel, group_cancelled, sv);
	for (i = 0; i < NHANDLED; i++) {
		ev_signal_init(&sv->sigs[i], signal_cb, handled[i]);
		sv->sigs[i].data = sv;
		ev_signal_start(loop, &sv->sigs[i]);
	}
	/*
	 * As process 1 there is no need: when it dies, the kernel kills every
	 * process of its PID namespace.
	 */
	if (getpid() != 1 && (rc = ecg_sentinel_start(&sv->sentinel, sv->run_id)) < 0)
		opts->note(opts->note_arg, ECG_NOTE_ERROR, NULL,
		    "cannot start the sentinel (%s): if ecg-run is killed, what its tasks "
		    "started may be left running", strerror(-rc));
	return 0;
}

int
ecg_supervisor_run(struct ecg_supervisor *sv)
{
	size_t i;

	sv->live = sv->ntasks;
	/* Nothing new starts once the group is cancelled (a signal may come early). */
	for (i = 0; i < sv->ntasks && !ecg_context_done(&sv->group); i++) {
		ecg_task_start(&sv->tasks[i]);
		if (sv->tasks[i].pid > 0)
			ecg_sentinel_group(&sv->sentinel, sv->tasks[i].pid, 1);
	}
	if (i < sv->ntasks) {
		sv->live -= sv->ntasks - i;
		for (; i < sv->ntasks; i++)
			ecg_task_skip(&sv->tasks[i]);
		if (sv->live == 0)
			sweep(sv);
	}
	ecg_errgroup_wait(&sv->eg, all_done, sv);
	ev_run(sv->loop, 0);
	ecg_sentinel_release(&sv->sentinel);
	return ecg_errgroup_err(&sv->eg);
}

void
ecg_supervisor_destroy(struct ecg_supervisor *sv)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	/*
	 * The run is over and its status decided.  Stopping a watcher gives
	 * its signal back its default action, and a signal that came after
	 * the loop (a SIGHUP meant for the tasks, a late Ctrl-C) would then
	 * end ecg-run with another status.  So they are ignored (which also
	 * drops any pending one) and blocked, before and after the watchers
	 * stop: libev unblocks a signal it read through a signalfd, and
	 * restores the default action of one it caught with a handler.
	 * die_by_signal sets up the one it raises itself.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&set);
	for (i = 0; i < NHANDLED; i++) {
		sigaction(handled[i], &sa, NULL);
		sigaddset(&set, handled[i]);
	}
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < NHANDLED; i++)
		ev_signal_stop(sv->loop, &sv->sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ecg_sentinel_release(&sv->sentinel);
	ecg_sentinel_destroy(&sv->sentinel);
	ev_timer_stop(sv->loop, &sv->deadline);
	ev_timer_stop(sv->loop, &sv->sweep_poll);
	ev_timer_stop(sv->loop, &sv->sweep_kill);
	ecg_escapees_destroy(&sv->escapees);
	free(sv->mains);
	ecg_context_forget(&sv->group, &sv->group_cancel);
	for (i = 0; i < sv->ntasks; i++)
		ecg_task_destroy(&sv->tasks[i]);
	free(sv->tasks);
	if (sv->out.loop != NULL)
		ecg_output_destroy(&sv->out);
	if (sv->host.devnull >= 0)
		close(sv->host.devnull);
	ecg_errgroup_destroy(&sv->eg);
	ecg_context_destroy(&sv->outroot);
	ecg_context_destroy(&sv->group);
	ecg_context_destroy(&sv->root);
}
