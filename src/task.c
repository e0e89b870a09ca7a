#define _GNU_SOURCE
#include "task.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "spawn.h"
#include "value.h"

extern char **environ;

/* Longest wait for pipes still held open by processes outside the group. */
#define PIPE_GRACE 2.0
/* How often a winding-down task looks whether its process group is gone. */
#define POLL_FIRST 0.005
#define POLL_EVERY 0.025

static void check_done(struct ecg_task *t);
static void read_pipe(struct ecg_task_pipe *p);

const char *
ecg_task_state_name(enum ecg_task_state s)
{
	static const char *const names[] = {
		"pending", "running", "stopping", "winding down", "done",
	};
	return names[s];
}

/* The one place a task changes state. */
static void
set_state(struct ecg_task *t, enum ecg_task_state s)
{
	t->state = s;
}

static const char *
name(const struct ecg_task *t)
{
	return t->spec->name;
}

const char *
ecg_task_name(const struct ecg_task *t)
{
	return name(t);
}

void
ecg_task_output_mark(const struct ecg_task *t, struct ecg_output_mark *m)
{
	int i, unread;

	for (i = 0; i < 2; i++) {
		const struct ecg_task_pipe *p = &t->pipes[i];
		unread = 0;
		if (p->fd >= 0 && ioctl(p->fd, FIONREAD, &unread) < 0)
			unread = 0;
		m->src[i] = &p->src;
		m->upto[i] = ecg_output_source_end(&p->src, unread > 0 ? (size_t)unread : 0);
	}
}

static int
same_name(const char *a, const char *b)
{
	while (*a != '\0' && *a != '=' && *a == *b) {
		a++;
		b++;
	}
	return *a == '=' && *b == '=';
}

/* The value of NAME in the task's environment (its env lines first), or NULL. */
static const char *
task_getenv(const struct ecg_task *t, const char *name)
{
	size_t j = t->spec->nenv, len = strlen(name);

	while (j-- > 0)			/* names are unique: env lines replace */
		if (strncmp(t->spec->env[j], name, len) == 0 && t->spec->env[j][len] == '=')
			return t->spec->env[j] + len + 1;
	return getenv(name);
}

/*
 * PWD as the shell would export it for a command it runs: the inherited
 * value if it names the task's directory, or else that directory's
 * physical path.  A plain command run without the shell gets the same.
 */
static void
shell_pwd(const struct ecg_task *t, char *buf, size_t len)
{
	const char *dir = t->spec->cwd_path, *inherited = task_getenv(t, "PWD");
	char here[PATH_MAX], real[PATH_MAX];
	struct stat a, b;

	if (dir == NULL)
		dir = getcwd(here, sizeof(here)) != NULL ? here : ".";
	if (inherited != NULL && inherited[0] == '/' && stat(inherited, &a) == 0 &&
	    stat(dir, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		snprintf(buf, len, "PWD=%s", inherited);
	else
		snprintf(buf, len, "PWD=%s", realpath(dir, real) != NULL ? real : dir);
}

/*
 * The environment ecg-run was started with, then the task's env lines
 * (which replace inherited variables of the same name), then the three
 * ECG_RUN_ variables (and PWD, for a plain command run without the shell):
 * one block, built just before the task starts and freed right after, so
 * idle tasks do not keep it.  Strings are borrowed, except the last ones,
 * which live at the block's end.  NULL if out of memory.
 */
static char **
build_env(const struct ecg_task *t)
{
	const struct ecg_task_spec *spec = t->spec;
	const char *group = t->host->group_name;
	size_t n = 0, k = 0, i, j, slots, names;
	char **envp, *str, pwd[PATH_MAX + 8] = "";

	while (environ[n] != NULL)
		n++;
	if (t->words != NULL)
		shell_pwd(t, pwd, sizeof(pwd));
	slots = n + spec->nenv + 5;
	names = sizeof("ECG_RUN_TASK=") + strlen(spec->name) + sizeof("ECG_RUN_GROUP=") +
	    strlen(group) + sizeof("ECG_RUN_ID=") + strlen(t->host->run_id) + strlen(pwd) + 1;
	envp = malloc(slots * sizeof(*envp) + names);
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int replaced = same_name(environ[i], "ECG_RUN_TASK=") ||
		    same_name(environ[i], "ECG_RUN_GROUP=") || same_name(environ[i], "ECG_RUN_ID=") ||
		    (pwd[0] != '\0' && same_name(environ[i], "PWD="));
		for (j = 0; j < spec->nenv && !replaced; j++)
			replaced = same_name(environ[i], spec->env[j]);
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (j = 0; j < spec->nenv; j++)
		if (pwd[0] == '\0' || !same_name(spec->env[j], "PWD="))
			envp[k++] = spec->env[j];
	str = (char *)(envp + slots);
	envp[k++] = str;
	str = stpcpy(stpcpy(str, "ECG_RUN_TASK="), spec->name) + 1;
	envp[k++] = str;
	str = stpcpy(stpcpy(str, "ECG_RUN_GROUP="), group) + 1;
	envp[k++] = str;
	str = stpcpy(stpcpy(str, "ECG_RUN_ID="), t->host->run_id) + 1;
	if (pwd[0] != '\0') {
		envp[k++] = str;
		memcpy(str, pwd, strlen(pwd) + 1);
	}
	envp[k] = NULL;
	return envp;
}

static void on_space(struct ecg_channel *ch, void *arg);
static void readable_cb(struct ev_loop *loop, ev_io *w, int revents);
static void child_cb(struct ev_loop *loop, ev_child *w, int revents);
static void kill_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void poll_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void pipe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void cancelled(struct ecg_context *ctx, void *arg);

/*
 * A plain command whose first word is a program found in the task's PATH
 * is executed directly; otherwise (or if it is not found: the shell then
 * says so in its own words) the shell runs it.  A program that turns out
 * to be a script without "#!" is run as "SHELL PROGRAM ARGS...", as the
 * shell itself would (script_argv, one block with the program's path at
 * its end).  0, or -ENOMEM.
 */
static int
plain_program(struct ecg_task *t)
{
	char path[PATH_MAX], **words, **script;
	int n, i;

	if (!ecg_command_plain(t->spec->command))
		return 0;
	n = ecg_command_split(t->spec->command, &words);
	if (n < 0)
		return n;
	if (ecg_spawn_which_in(words[0], task_getenv(t, "PATH"), path, sizeof(path)) < 0) {
		free(words);
		return 0;
	}
	script = malloc(((size_t)n + 2) * sizeof(*script) + strlen(path) + 1);
	if (script == NULL) {
		free(words);
		return -ENOMEM;
	}
	t->program = memcpy((char *)(script + n + 2), path, strlen(path) + 1);
	script[0] = (char *)t->host->shell;
	script[1] = t->program;
	for (i = 1; i <= n; i++)
		script[i + 1] = words[i];
	t->script_argv = script;
	t->words = words;
	return 0;
}

int
ecg_task_init(struct ecg_task *t, struct ecg_task_host *host,
    const struct ecg_task_spec *spec, int color)
{
	const char *base;
	int i;

	memset(t, 0, sizeof(*t));
	t->spec = spec;
	t->host = host;
	t->pid = -1;
	set_state(t, ECG_TASK_PENDING);
	base = strrchr(host->shell, '/');
	t->argv[0] = (char *)(base != NULL ? base + 1 : host->shell);
	t->argv[1] = (char *)"-c";
	t->argv[2] = spec->command;
	t->argv[3] = NULL;
	/* Everything that destroy touches is set up before anything can fail. */
	for (i = 0; i < 2; i++) {
		struct ecg_task_pipe *p = &t->pipes[i];
		p->task = t;
		p->fd = -1;
		ev_io_init(&p->readable, readable_cb, -1, EV_READ);
		p->readable.data = p;
		ecg_output_source_init(host->out, &p->src, i + 1, spec->name, color,
		    host->buffer, on_space, p);
	}
	ev_child_init(&t->child, child_cb, 0, 0);
	t->child.data = t;
	ev_timer_init(&t->kill_timer, kill_timer_cb, 0, 0);
	t->kill_timer.data = t;
	ev_timer_init(&t->poll_timer, poll_timer_cb, POLL_FIRST, POLL_EVERY);
	t->poll_timer.data = t;
	ev_timer_init(&t->pipe_timer, pipe_timer_cb, PIPE_GRACE, 0);
	t->pipe_timer.data = t;
	if (host->direct && plain_program(t) < 0)
		return -ENOMEM;
	return 0;
}

static void
close_pipe(struct ecg_task_pipe *p)
{
	if (p->fd < 0)
		return;
	ev_io_stop(p->task->host->loop, &p->readable);
	close(p->fd);
	p->fd = -1;
	ecg_channel_close(&p->src.ch);
}

void
ecg_task_destroy(struct ecg_task *t)
{
	struct ev_loop *loop = t->host->loop;
	int i;

	ecg_context_forget(t->host->eg->ctx, &t->cancel);
	ev_child_stop(loop, &t->child);
	ev_timer_stop(loop, &t->kill_timer);
	ev_timer_stop(loop, &t->poll_timer);
	ev_timer_stop(loop, &t->pipe_timer);
	for (i = 0; i < 2; i++) {
		struct ecg_task_pipe *p = &t->pipes[i];
		if (p->fd >= 0) {
			ev_io_stop(loop, &p->readable);
			close(p->fd);
			p->fd = -1;
		}
		ecg_output_source_destroy(&p->src);
	}
	free(t->words);
	free(t->script_argv);
	t->words = NULL;
	t->program = NULL;
	t->script_argv = NULL;
}

static const char *
signame(int sig, char *buf, size_t len)
{
	return ecg_value_signame(sig, buf, len);
}

/*
 * kill(2) on the process group, unless it is known to be gone, and on the
 * task's processes that left the group.
 */
static void
send_group(struct ecg_task *t, int sig, int noted)
{
	struct ecg_task_host *h = t->host;
	char buf[16];
	size_t n = h->escaped != NULL ? h->escaped(t, sig, h->done_arg) : 0;

	if (noted && n > 0)
		h->note(h->note_arg, ECG_NOTE_VERBOSE, t,
		    "sent SIG%s to %zu process%s that left its process group",
		    signame(sig, buf, sizeof(buf)), n, n == 1 ? "" : "es");
	if (!t->group_alive)
		return;
	if (kill(-t->pid, sig) < 0 && errno == ESRCH) {
		t->group_alive = 0;
		return;
	}
	if (noted)
		h->note(h->note_arg, ECG_NOTE_VERBOSE, t,
		    "sent SIG%s to process group %d", signame(sig, buf, sizeof(buf)),
		    (int)t->pid);
}

/* Looks whether anything of the task is left: its process group, or escapees. */
static int
group_gone(struct ecg_task *t)
{
	struct ecg_task_host *h = t->host;

	if (t->given_up)
		return 1;
	if (t->group_alive && kill(-t->pid, 0) < 0 && errno == ESRCH)
		t->group_alive = 0;
	if (t->reaped && h->escaped != NULL && h->escaped(t, 0, h->done_arg) > 0)
		return 0;
	return !t->group_alive;
}

void
ecg_task_signal(struct ecg_task *t, int sig)
{
	send_group(t, sig, 1);
}

void
ecg_task_kill(struct ecg_task *t)
{
	if (group_gone(t))
		return;
	/* Sent again to what is still there, but said once. */
	send_group(t, SIGKILL, !t->kill_sent);
	t->kill_sent = 1;
	if (t->reaped && !ev_is_active(&t->poll_timer))
		ev_timer_start(t->host->loop, &t->poll_timer);
}

/*
 * The stop signal goes to the whole process group, followed by SIGCONT:
 * a member that was stopped (SIGSTOP, SIGTSTP) cannot act on the signal
 * until it runs again.  The kill timer then gives the group stop_timeout
 * to be gone before SIGKILL.
 */
static void
send_stop(struct ecg_task *t)
{
	int sig = t->spec->stop_signal;

	if (t->stop_sent || group_gone(t))
		return;
	t->stop_sent = 1;
	if (t->spec->stop_timeout_ms == 0 || sig == SIGKILL) {
		ecg_task_kill(t);
		return;
	}
	send_group(t, sig, 1);
	if (sig != SIGCONT)
		send_group(t, SIGCONT, 1);
	ev_timer_set(&t->kill_timer, (double)t->spec->stop_timeout_ms / 1000.0, 0);
	ev_timer_start(t->host->loop, &t->kill_timer);
}

static void
kill_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_task *t = w->data;
	char buf[32];

	(void)loop;
	(void)revents;
	if (t->kill_sent || group_gone(t))
		return;
	ecg_value_format_duration(t->spec->stop_timeout_ms, buf, sizeof(buf));
	t->host->note(t->host->note_arg, ECG_NOTE_INFO, t,
	    "still running %s after the stop signal, sending SIGKILL", buf);
	ecg_task_kill(t);
}

static void
poll_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_task *t = w->data;

	(void)revents;
	if (group_gone(t)) {
		ev_timer_stop(loop, w);
		check_done(t);
	}
}

static void
pipe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_task *t = w->data;
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < 2; i++) {
		struct ecg_task_pipe *p = &t->pipes[i];
		int unread = 0;
		/*
		 * Bytes still in the pipe, or a parked producer, mean that the
		 * output is only slow, not held open by a stranger: the pipe will
		 * reach end of file once they are taken.  Keep waiting.
		 */
		if (p->fd >= 0 && (p->src.ch.writer_parked ||
		    (ioctl(p->fd, FIONREAD, &unread) == 0 && unread > 0))) {
			/*
			 * A timer that has fired must be set again: started
			 * as it is, it would be due at once, every round.
			 */
			ev_timer_set(w, PIPE_GRACE, 0);
			ev_timer_start(t->host->loop, w);
			return;
		}
	}
	t->host->note(t->host->note_arg, ECG_NOTE_VERBOSE, t,
	    "process group gone but its output is still open elsewhere, closing it");
	for (i = 0; i < 2; i++) {
		read_pipe(&t->pipes[i]);
		close_pipe(&t->pipes[i]);
	}
	check_done(t);
}

static void
check_done(struct ecg_task *t)
{
	struct ecg_task_host *h = t->host;
	int open = t->pipes[0].fd >= 0 || t->pipes[1].fd >= 0;

	if (t->state == ECG_TASK_DONE || !t->reaped)
		return;
	if (!group_gone(t)) {
		/*
		 * Something of the task is still there, maybe an escapee found
		 * only now (the kernel's list of children can miss one while
		 * others exit): make sure it is being stopped, and look again
		 * until it is gone.  With the stop signal sent and SIGKILL not
		 * yet, the kill timer reaches it.
		 */
		if (!t->stop_sent)
			send_stop(t);
		else if (t->kill_sent)
			ecg_task_kill(t);
		if (!ev_is_active(&t->poll_timer))
			ev_timer_start(h->loop, &t->poll_timer);
		return;
	}
	if (open) {
		if (!ev_is_active(&t->pipe_timer))
			ev_timer_start(h->loop, &t->pipe_timer);
		return;
	}
	set_state(t, ECG_TASK_DONE);
	ev_timer_stop(h->loop, &t->kill_timer);
	ev_timer_stop(h->loop, &t->poll_timer);
	ev_timer_stop(h->loop, &t->pipe_timer);
	ecg_context_forget(h->eg->ctx, &t->cancel);
	/* The second member: what was left of the task. */
	ecg_errgroup_done(h->eg, 0);
	if (h->on_done != NULL)
		h->on_done(t, h->done_arg);
}

/*
 * The main process has ended (or never started).  Its result counts only
 * if the group was not cancelled before: a task that dies because it was
 * stopped never becomes the cause.
 */
static void
process_ended(struct ecg_task *t)
{
	struct ecg_task_host *h = t->host;
	struct ecg_context *ctx = h->eg->ctx;
	int counts = !ecg_context_done(ctx), sig;
	char buf[16];

	if (t->start_failed)
		t->code = t->start_code;
	else if (WIFEXITED(t->wstatus))
		t->code = WEXITSTATUS(t->wstatus);
	else
		t->code = 128 + WTERMSIG(t->wstatus);
	if (!t->start_failed && WIFEXITED(t->wstatus))
		h->note(h->note_arg, ECG_NOTE_INFO, t, "exited with status %d", t->code);
	else if (!t->start_failed) {
		sig = WTERMSIG(t->wstatus);
		h->note(h->note_arg, ECG_NOTE_INFO, t, "killed by signal %d (SIG%s)%s",
		    sig, signame(sig, buf, sizeof(buf)),
		    WCOREDUMP(t->wstatus) ? ", core dumped" : "");
	}
	set_state(t, ECG_TASK_WINDING_DOWN);
	ecg_errgroup_go(h->eg);
	if (counts && t->spec->cancel_on == ECG_CANCEL_ON_EXIT) {
		h->note(h->note_arg, ECG_NOTE_CAUSE, t,
		    "ended (cancel_on = exit), stopping the group");
		ecg_context_cancel(ctx, t->code);
		ecg_errgroup_done(h->eg, 0);
	} else if (counts && t->spec->cancel_on == ECG_CANCEL_ON_FAILURE && t->code != 0) {
		h->note(h->note_arg, ECG_NOTE_CAUSE, t, "failed with status %d, stopping the group",
		    t->code);
		ecg_errgroup_done(h->eg, t->code);
	} else {
		ecg_errgroup_done(h->eg, 0);
	}
	/* Whatever the task left in its process group goes too. */
	if (!group_gone(t)) {
		send_stop(t);
		if (!ev_is_active(&t->poll_timer))
			ev_timer_start(h->loop, &t->poll_timer);
	}
	check_done(t);
}

static void
child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct ecg_task *t = w->data;
	int i;

	(void)revents;
	ev_child_stop(loop, w);
	/*
	 * What the process wrote before it ended is in its pipes already;
	 * taking it in first puts its last lines ahead of the note of its end.
	 */
	for (i = 0; i < 2; i++)
		if (t->pipes[i].fd >= 0 && ev_is_active(&t->pipes[i].readable))
			read_pipe(&t->pipes[i]);
	t->reaped = 1;
	t->wstatus = w->rstatus;
	process_ended(t);
}

static void
cancelled(struct ecg_context *ctx, void *arg)
{
	struct ecg_task *t = arg;

	(void)ctx;
	switch (t->state) {
	case ECG_TASK_RUNNING:
		set_state(t, ECG_TASK_STOPPING);
		send_stop(t);
		break;
	case ECG_TASK_WINDING_DOWN:
		send_stop(t);
		break;
	default:
		break;
	}
}

static void
on_space(struct ecg_channel *ch, void *arg)
{
	struct ecg_task_pipe *p = arg;

	(void)ch;
	if (p->fd >= 0)
		ev_io_start(p->task->host->loop, &p->readable);
}

/*
 * The producer side of a channel.  A full channel parks us: the watcher
 * stops, the pipe fills, and the task blocks in write(2) until the output
 * catches up.  A cancelled channel (its output is gone) no longer takes
 * bytes; we keep reading so that the task is never stuck, and count what
 * is thrown away.
 */
/* Reads once; returns 1 while the pipe may hold more. */
static int
read_once(struct ecg_task_pipe *p)
{
	static char sink[65536];
	struct ecg_channel *ch = &p->src.ch;
	struct ev_loop *loop = p->task->host->loop;
	struct iovec iov[2];
	ssize_t r;
	long w;
	int n;

	if (!ecg_channel_has_storage(ch)) {
		/*
		 * Often all there is to read is the end of the pipe: find out
		 * before the channel allocates.  Bytes go into it with one
		 * copy; an empty channel takes all it can hold.
		 */
		size_t cap = ecg_channel_capacity(ch);
		r = read(p->fd, sink, cap < sizeof(sink) ? cap : sizeof(sink));
		if (r > 0 && (w = ecg_channel_write(ch, sink, (size_t)r)) < r)
			p->src.dropped += (uint64_t)(r - (w > 0 ? w : 0));
		goto done;
	}
	n = ecg_channel_reserve(ch, iov);
	if (n == 0) {
		ev_io_stop(loop, &p->readable);
		return 0;
	}
	if (n < 0) {
		r = read(p->fd, sink, sizeof(sink));
		if (r > 0)
			p->src.dropped += (uint64_t)r;
	} else {
		r = readv(p->fd, iov, n);
		if (r > 0)
			ecg_channel_commit(ch, (size_t)r);
	}
done:
	if (r > 0)
		return 1;
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r < 0)
		p->task->host->note(p->task->host->note_arg, ECG_NOTE_ERROR, p->task,
		    "reading its %s: %s", p == &p->task->pipes[0] ? "stdout" : "stderr",
		    strerror(errno));
	close_pipe(p);
	check_done(p->task);
	return 0;
}

/* Takes in what the pipe holds now, as far as the channel has room. */
static void
read_pipe(struct ecg_task_pipe *p)
{
	int i;

	for (i = 0; i < 64 && p->fd >= 0 && read_once(p); i++)
		;
}

/*
 * The producer side of a channel.  A full channel parks us: the watcher
 * stops, the pipe fills, and the task blocks in write(2) until the output
 * catches up.  A cancelled channel (its output is gone) no longer takes
 * bytes; we keep reading so that the task is never stuck, and count what
 * is thrown away.
 */
static void
readable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	read_once(w->data);
}

static void
start_failed(struct ecg_task *t, const char *step, const char *what, int err)
{
	struct ecg_task_host *h = t->host;

	t->start_failed = 1;
	/*
	 * As a shell says it: 127 for a program that is not there (or a
	 * step before exec that failed), 126 for one that is there but
	 * cannot be executed.
	 */
	t->start_code = strcmp(step, "exec") == 0 && err != ENOENT && err != ENOTDIR ? 126 : 127;
	if (what != NULL)
		h->note(h->note_arg, ECG_NOTE_ERROR, t, "cannot start: %s %s: %s", step, what,
		    strerror(err));
	else
		h->note(h->note_arg, ECG_NOTE_ERROR, t, "cannot start: %s: %s", step,
		    strerror(err));
}

void
ecg_task_start(struct ecg_task *t)
{
	struct ecg_task_host *h = t->host;
	struct ecg_spawn sp;
	struct ecg_spawn_failure f;
	int fds[2][2] = { { -1, -1 }, { -1, -1 } }, i, rc;
	char **envp;
	pid_t pid;

	ecg_errgroup_go(h->eg);
	set_state(t, ECG_TASK_RUNNING);
	ecg_context_on_cancel(h->eg->ctx, &t->cancel, cancelled, t);
	envp = build_env(t);
	if (envp == NULL) {
		start_failed(t, "environment", NULL, ENOMEM);
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		if (pipe2(fds[i], O_CLOEXEC) < 0) {
			rc = errno;
			start_failed(t, "pipe", NULL, rc);
			goto fail;
		}
		if (fcntl(fds[i][0], F_SETFL, O_NONBLOCK) < 0) {
			rc = errno;
			start_failed(t, "pipe", NULL, rc);
			goto fail;
		}
	}
	memset(&sp, 0, sizeof(sp));
	sp.path = t->program != NULL ? t->program : h->shell;
	sp.argv = t->words != NULL ? t->words : t->argv;
	sp.envp = envp;
	sp.cwd = t->spec->cwd_path;
	sp.stdin_fd = h->devnull;
	sp.stdout_fd = fds[0][1];
	sp.stderr_fd = fds[1][1];
	sp.nofile = h->nofile;
	if (t->script_argv != NULL) {
		sp.script_shell = h->shell;
		sp.script_argv = t->script_argv;
	}
	rc = ecg_spawn_start(&sp, &pid, &f);
	free(envp);
	envp = NULL;
	close(fds[0][1]);
	close(fds[1][1]);
	fds[0][1] = fds[1][1] = -1;
	if (rc < 0) {
		start_failed(t, f.step, NULL, -rc);
		goto fail;
	}
	t->pid = pid;
	t->group_alive = 1;
	for (i = 0; i < 2; i++) {
		t->pipes[i].fd = fds[i][0];
		ev_io_set(&t->pipes[i].readable, fds[i][0], EV_READ);
		ev_io_start(h->loop, &t->pipes[i].readable);
	}
	ev_child_set(&t->child, pid, 0);
	ev_child_start(h->loop, &t->child);
	if (f.step != NULL)
		start_failed(t, f.step, strcmp(f.step, "chdir") == 0 ? t->spec->cwd : sp.path,
		    f.err);
	else if (h->verbose)
		h->note(h->note_arg, ECG_NOTE_INFO, t, "started (pid %d)", (int)pid);
	else
		h->note(h->note_arg, ECG_NOTE_INFO, t, "started");
	return;
fail:
	free(envp);
	for (i = 0; i < 2; i++) {
		if (fds[i][0] >= 0)
			close(fds[i][0]);
		if (fds[i][1] >= 0)
			close(fds[i][1]);
		ecg_channel_close(&t->pipes[i].src.ch);
	}
	t->reaped = 1;
	process_ended(t);
}

void
ecg_task_skip(struct ecg_task *t)
{
	if (t->state != ECG_TASK_PENDING)
		return;
	set_state(t, ECG_TASK_DONE);
	ecg_channel_close(&t->pipes[0].src.ch);
	ecg_channel_close(&t->pipes[1].src.ch);
}

void
ecg_task_abandon(struct ecg_task *t)
{
	struct ecg_task_host *h = t->host;
	int i;

	if (t->state == ECG_TASK_PENDING)
		ecg_task_skip(t);
	if (t->state == ECG_TASK_DONE)
		return;
	if (!group_gone(t))
		send_group(t, SIGKILL, 1);
	/* Whatever is still unreaped, libev reaps; we stop waiting for it. */
	t->group_alive = 0;
	t->given_up = 1;
	if (!t->reaped) {
		ev_child_stop(h->loop, &t->child);
		t->reaped = 1;
		t->wstatus = W_EXITCODE(0, SIGKILL);
		set_state(t, ECG_TASK_WINDING_DOWN);
		ecg_errgroup_go(h->eg);
		ecg_errgroup_done(h->eg, 0);
	}
	for (i = 0; i < 2; i++)
		close_pipe(&t->pipes[i]);
	check_done(t);
}
