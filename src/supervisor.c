#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

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

static void
note(struct ecg_supervisor *sv, enum ecg_note_level level, const char *fmt, const char *arg)
{
	sv->host.note(sv->host.note_arg, level, NULL, fmt, arg);
}

static void
abandon(struct ecg_supervisor *sv)
{
	size_t i;

	if (sv->abandoned)
		return;
	sv->abandoned = 1;
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
			sv->host.note(sv->host.note_arg, ECG_NOTE_ERROR, t->spec->name,
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

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ecg_supervisor *sv = w->data;
	int sig = w->signum;
	char buf[16];
	const char *name = ecg_value_signame(sig, buf, sizeof(buf));
	size_t i;

	(void)loop;
	(void)revents;
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
	if (sig != SIGINT && sig != SIGTERM)
		return;
	/* Asked again while stopping: the user does not want to wait. */
	note(sv, ECG_NOTE_CAUSE, "received SIG%s while stopping, killing every task", name);
	for (i = 0; i < sv->ntasks; i++)
		if (sv->tasks[i].state != ECG_TASK_DONE)
			ecg_task_kill(&sv->tasks[i]);
}

static void
output_failed(int fd, int err, void *arg)
{
	struct ecg_supervisor *sv = arg;

	if (ecg_context_done(&sv->group))
		return;
	sv->host.note(sv->host.note_arg, ECG_NOTE_CAUSE, NULL,
	    "cannot write to %s (%s), stopping the group", fd == 1 ? "stdout" : "stderr",
	    strerror(err));
}

static void
task_done(struct ecg_task *t, void *arg)
{
	struct ecg_supervisor *sv = arg;

	(void)t;
	if (sv->live > 0 && --sv->live == 0)
		ecg_output_close_notes(&sv->out);
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
	size_t i;
	int rc;

	memset(sv, 0, sizeof(*sv));
	sv->loop = loop;
	sv->spec = spec;
	sv->host.devnull = -1;
	ecg_context_init(&sv->root, loop, NULL);
	ecg_context_init(&sv->group, loop, &sv->root);
	ecg_context_init(&sv->outroot, loop, NULL);
	ecg_errgroup_init(&sv->eg, &sv->group);
	ev_timer_init(&sv->deadline, deadline_cb, 0, 0);
	sv->deadline.data = sv;
	/*
	 * Orphans of the tasks (a background job whose shell has gone) come
	 * to us rather than to init: libev reaps them at once, so a process
	 * group is seen to be gone as soon as it is.
	 */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
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
	sv->host.group_name = spec->name;
	sv->host.buffer = spec->buffer;
	sv->host.verbose = opts->verbose;
	sv->host.note = opts->note;
	sv->host.note_arg = opts->note_arg;
	sv->host.on_done = task_done;
	sv->host.done_arg = sv;
	sv->tasks = calloc(spec->ntasks, sizeof(*sv->tasks));
	if (sv->tasks == NULL) {
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
	return 0;
}

int
ecg_supervisor_run(struct ecg_supervisor *sv)
{
	size_t i;

	sv->live = sv->ntasks;
	/* Nothing new starts once the group is cancelled (a signal may come early). */
	for (i = 0; i < sv->ntasks && !ecg_context_done(&sv->group); i++)
		ecg_task_start(&sv->tasks[i]);
	if (i < sv->ntasks) {
		sv->live -= sv->ntasks - i;
		for (; i < sv->ntasks; i++)
			ecg_task_skip(&sv->tasks[i]);
		if (sv->live == 0)
			ecg_output_close_notes(&sv->out);
	}
	ecg_errgroup_wait(&sv->eg, all_done, sv);
	ev_run(sv->loop, 0);
	return ecg_errgroup_err(&sv->eg);
}

void
ecg_supervisor_destroy(struct ecg_supervisor *sv)
{
	size_t i;

	for (i = 0; i < NHANDLED; i++)
		ev_signal_stop(sv->loop, &sv->sigs[i]);
	ev_timer_stop(sv->loop, &sv->deadline);
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
