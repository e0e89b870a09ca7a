#define _GNU_SOURCE
#include "task/ready.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/ere.h"

/* One network attempt may take this long; the ready_timeout bounds them all. */
#define NET_ATTEMPT 2.0

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void probe_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void probe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void fd_cb(struct ev_loop *loop, ev_io *w, int revents);
static void net_cb(struct ecg_netprobe *p, int ok, const char *error, void *arg);
static void notify_cb(struct ecg_notify *n, int ready, const char *status, pid_t pid, void *arg);
static void notify_refused(struct ecg_notify *n, pid_t pid, const char *why, void *arg);
static void attempt(struct ecg_ready *r);

/* A check of the task's (its ready, or with check its health one attempt at a time). */
static void
init(struct ecg_ready *r, struct ev_loop *loop, const struct ecg_task_spec *spec,
    const struct ecg_ready_spec *check, long timeout_ms,
    const struct ecg_ready_probe_env *probe_env, const struct ecg_ready_hooks *hooks, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->spec = spec;
	r->hooks = hooks;
	r->arg = arg;
	r->probe_env = *probe_env;
	r->check = check != NULL ? check : &spec->ready;
	r->once = check != NULL;
	r->probe_max = check != NULL ? (double)timeout_ms / 1000.0 : ECG_READY_PROBE_MAX;
	r->net_max = check != NULL ? (double)timeout_ms / 1000.0 : NET_ATTEMPT;
	r->probe_fd = r->fd_read = r->fd_write = -1;
	ev_timer_init(&r->timeout, timeout_cb, 0, 0);
	r->timeout.data = r;
	ev_timer_init(&r->retry, retry_cb, 0, 0);
	r->retry.data = r;
	ev_io_init(&r->probe_io, probe_io_cb, -1, EV_READ);
	r->probe_io.data = r;
	ev_timer_init(&r->probe_timer, probe_timer_cb, r->probe_max, 0);
	r->probe_timer.data = r;
	ev_io_init(&r->fd_io, fd_cb, -1, EV_READ);
	r->fd_io.data = r;
	if (r->check->net != NULL)
		ecg_netprobe_init(&r->net, loop, r->check->net, net_cb, r);
	ecg_notify_init(&r->notify, loop, notify_cb, r);
	ecg_notify_on_refused(&r->notify, notify_refused);
	ecg_proc_init(&r->probe, loop, probe_env->stop_signal, probe_env->stop_timeout_ms, NULL,
	    NULL);
}

void
ecg_ready_init(struct ecg_ready *r, struct ev_loop *loop, const struct ecg_task_spec *spec,
    const struct ecg_ready_probe_env *probe_env, const struct ecg_ready_hooks *hooks, void *arg)
{
	init(r, loop, spec, NULL, 0, probe_env, hooks, arg);
}

void
ecg_ready_init_once(struct ecg_ready *r, struct ev_loop *loop,
    const struct ecg_task_spec *spec, const struct ecg_ready_spec *check, long timeout_ms,
    const struct ecg_ready_probe_env *probe_env, const struct ecg_ready_hooks *hooks, void *arg)
{
	init(r, loop, spec, check, timeout_ms, probe_env, hooks, arg);
}

void
ecg_ready_once(struct ecg_ready *r, pid_t pgid)
{
	r->active = 1;
	r->pgid = pgid;
	r->error[0] = '\0';
	attempt(r);
}

void
ecg_ready_drain(struct ecg_ready *r)
{
	ecg_notify_drain(&r->notify);
}

void
ecg_ready_hear(struct ecg_ready *r, pid_t pid)
{
	if (ecg_notify_path(&r->notify)[0] != '\0')
		ecg_notify_watch(&r->notify, pid);
}

static void
close_io(struct ev_loop *loop, ev_io *w, int *fd)
{
	if (*fd < 0)
		return;
	ev_io_stop(loop, w);
	close(*fd);
	*fd = -1;
}

void
ecg_ready_destroy(struct ecg_ready *r)
{
	ev_timer_stop(r->loop, &r->timeout);
	ev_timer_stop(r->loop, &r->retry);
	ev_timer_stop(r->loop, &r->probe_timer);
	if (r->check->net != NULL)
		ecg_netprobe_destroy(&r->net);
	ecg_portown_free(&r->own);
	ecg_proc_destroy(&r->probe);
	close_io(r->loop, &r->probe_io, &r->probe_fd);
	close_io(r->loop, &r->fd_io, &r->fd_read);
	if (r->fd_write >= 0)
		close(r->fd_write);
	r->fd_write = -1;
	ecg_notify_close(&r->notify);
}

int
ecg_ready_prepare(struct ecg_ready *r, const struct ecg_notify_dir *dir, const char *name,
    int *extra_fd, const char **socket)
{
	int fds[2], rc;

	*extra_fd = -1;
	*socket = NULL;
	r->error[0] = '\0';
	/* Its socket serves ready = notify, and health = watchdog's pings. */
	if (r->check->kind == ECG_READY_NOTIFY || (r->spec->health.check != NULL &&
	    r->spec->health.kind == ECG_READY_NOTIFY)) {
		ecg_notify_close(&r->notify);
		rc = ecg_notify_open(&r->notify, dir, name);
		if (rc < 0)
			return rc;
		*socket = ecg_notify_path(&r->notify);
		/* A task of another user may write to its own socket (and to no other). */
		if (r->spec->identity != NULL && chown(*socket, r->spec->identity->uid, (gid_t)-1) < 0)
			return -errno;
	}
	switch (r->check->kind) {
	case ECG_READY_FD:
		close_io(r->loop, &r->fd_io, &r->fd_read);
		if (pipe2(fds, O_CLOEXEC) < 0)
			return -errno;
		if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
			rc = -errno;
			close(fds[0]);
			close(fds[1]);
			return rc;
		}
		r->fd_read = fds[0];
		r->fd_write = fds[1];
		*extra_fd = fds[1];
		return 0;
	case ECG_READY_TCP:
	case ECG_READY_HTTP:
		/* The listeners already on the port, if it is this machine's: not the task's. */
		r->held_said = 0;
		return ecg_portown_start(&r->own, r->check->net->host, r->check->net->port);
	default:
		return 0;
	}
}

void
ecg_ready_spawned(struct ecg_ready *r)
{
	/* Only the task holds the write end now: its end of file is the task's. */
	if (r->fd_write >= 0)
		close(r->fd_write);
	r->fd_write = -1;
}

static void
stop_checks(struct ecg_ready *r)
{
	r->active = 0;
	ev_timer_stop(r->loop, &r->timeout);
	ev_timer_stop(r->loop, &r->retry);
	if (r->check->net != NULL)
		ecg_netprobe_cancel(&r->net);
	close_io(r->loop, &r->fd_io, &r->fd_read);
}

static void
passed(struct ecg_ready *r)
{
	stop_checks(r);
	if (r->once)
		r->hooks->result(r, 1, NULL, r->arg);
	else
		r->hooks->passed(r, r->arg);
}

/* The next attempt of a polled check, after a wait that grows. */
static void
again(struct ecg_ready *r)
{
	if (!r->active)
		return;
	if (r->once) {
		/* One attempt only: its failure is the result. */
		stop_checks(r);
		r->hooks->result(r, 0, r->error, r->arg);
		return;
	}
	ev_timer_set(&r->retry, r->interval, 0);
	ev_timer_start(r->loop, &r->retry);
	r->interval *= 2;
	if (r->interval > ECG_READY_POLL_MAX)
		r->interval = ECG_READY_POLL_MAX;
}

static void
net_cb(struct ecg_netprobe *p, int ok, const char *error, void *arg)
{
	struct ecg_ready *r = arg;

	pid_t holder;
	char comm[64];

	(void)p;
	if (!r->active)
		return;
	/* Answered: by the task's server, or by one that was on the port before it? */
	if (ok && !r->once && ecg_portown_foreign(&r->own, r->pgid, r->spec->name, &holder, comm,
	    sizeof(comm))) {
		if (holder > 0)
			snprintf(r->error, sizeof(r->error), "port %u is held by pid %ld (%s), not by %s",
			    ecg_portown_port(&r->own), (long)holder, comm[0] != '\0' ? comm : "?",
			    r->spec->name);
		else
			snprintf(r->error, sizeof(r->error), "port %u is held by a process that is not "
			    "%s's", ecg_portown_port(&r->own), r->spec->name);
		if (!r->held_said && r->hooks->held != NULL) {
			r->held_said = 1;
			r->hooks->held(r, r->error, r->arg);
		}
		again(r);
		return;
	}
	if (ok) {
		passed(r);
		return;
	}
	snprintf(r->error, sizeof(r->error), "%s", error);
	again(r);
}

/* The probe's output: only its last line is kept, as the error to tell. */
static void
probe_bytes(struct ecg_ready *r, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] == '\n') {
			if (r->probe_len > 0) {
				r->probe_line[r->probe_len] = '\0';
				memcpy(r->probe_last, r->probe_line, r->probe_len + 1);
			}
			r->probe_len = 0;
		} else if (r->probe_len + 1 < sizeof(r->probe_line) && b[i] != '\r') {
			r->probe_line[r->probe_len++] = b[i];
		}
	}
}

static void
probe_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_ready *r = w->data;
	char buf[4096];
	ssize_t n;
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < 16; i++) {
		n = read(r->probe_fd, buf, sizeof(buf));
		if (n > 0) {
			probe_bytes(r, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		probe_bytes(r, "\n", 1);
		close_io(r->loop, &r->probe_io, &r->probe_fd);
		return;
	}
}

static void
probe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_ready *r = w->data;

	(void)loop;
	(void)revents;
	r->probe_late = 1;
	ecg_proc_stop(&r->probe);
}

/* The probe and everything of it are gone: what did it say? */
static void
probe_gone(struct ecg_proc *p, void *arg)
{
	struct ecg_ready *r = arg;
	int ws = p->wstatus;

	ev_timer_stop(r->loop, &r->probe_timer);
	if (r->probe_fd >= 0)
		probe_io_cb(r->loop, &r->probe_io, 0);
	close_io(r->loop, &r->probe_io, &r->probe_fd);
	if (!r->active) {
		if (r->hooks->idle != NULL)
			r->hooks->idle(r, r->arg);
		return;
	}
	if (!r->probe_late && WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
		passed(r);
		return;
	}
	if (r->probe_late)
		snprintf(r->error, sizeof(r->error), "the probe ran longer than %gs",
		    r->probe_max);
	else if (r->probe_last[0] != '\0')
		snprintf(r->error, sizeof(r->error), "%s", r->probe_last);
	else if (WIFEXITED(ws))
		snprintf(r->error, sizeof(r->error), "the probe exited with status %d",
		    WEXITSTATUS(ws));
	else
		snprintf(r->error, sizeof(r->error), "the probe was killed by signal %d",
		    WTERMSIG(ws));
	again(r);
}

static const struct ecg_proc_hooks probe_hooks = {
	.gone = probe_gone,
};

static void
start_probe(struct ecg_ready *r)
{
	const struct ecg_ready_probe_env *pe = &r->probe_env;
	char *argv[4] = { (char *)pe->shell_name, (char *)"-c", (char *)r->check->arg, NULL };
	struct ecg_spawn sp;
	struct ecg_spawn_failure f;
	char **envp = r->hooks->env != NULL ? r->hooks->env(r->arg) : NULL;
	int fds[2] = { -1, -1 }, rc;

	if (envp == NULL || pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(r->error, sizeof(r->error), "cannot run the probe: %s", strerror(errno));
		free(envp);
		again(r);
		return;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	memset(&sp, 0, sizeof(sp));
	sp.path = pe->shell;
	sp.argv = argv;
	sp.envp = envp;
	sp.cwd = pe->cwd;
	sp.stdin_fd = pe->devnull;
	sp.stdout_fd = fds[1];
	sp.stderr_fd = fds[1];
	sp.nofile = pe->nofile;
	ecg_config_spawn_as(r->spec->identity, &sp);
	ecg_proc_init(&r->probe, r->loop, pe->stop_signal, pe->stop_timeout_ms, &probe_hooks, r);
	r->probe_last[0] = '\0';
	r->probe_len = 0;
	r->probe_late = 0;
	rc = ecg_proc_spawn(&r->probe, &sp, &f);
	free(envp);
	close(fds[1]);
	if (rc < 0) {
		close(fds[0]);
		snprintf(r->error, sizeof(r->error), "cannot run the probe: %s %s", f.step,
		    strerror(-rc));
		again(r);
		return;
	}
	r->probe_fd = fds[0];
	ev_io_set(&r->probe_io, fds[0], EV_READ);
	ev_io_start(r->loop, &r->probe_io);
	ev_timer_set(&r->probe_timer, r->probe_max, 0);
	ev_timer_start(r->loop, &r->probe_timer);
}

static void
attempt(struct ecg_ready *r)
{
	int rc;

	if (!r->active)
		return;
	if (r->check->kind == ECG_READY_COMMAND) {
		start_probe(r);
		return;
	}
	rc = ecg_netprobe_start(&r->net, r->net_max);
	if (rc < 0) {
		snprintf(r->error, sizeof(r->error), "%s", strerror(-rc));
		again(r);
	}
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	attempt(w->data);
}

static void
fd_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_ready *r = w->data;
	char buf[512];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(r->fd_read, buf, sizeof(buf));
	if (n > 0) {
		if (memchr(buf, '\n', (size_t)n) != NULL)
			passed(r);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Closed without a newline: it says it will never be ready. */
	snprintf(r->error, sizeof(r->error), "descriptor %d was closed without a newline",
	    r->check->fd);
	stop_checks(r);
	r->hooks->failed(r, r->error, r->arg);
}

static void
notify_refused(struct ecg_notify *n, pid_t pid, const char *why, void *arg)
{
	struct ecg_ready *r = arg;

	(void)n;
	if (r->hooks->refused != NULL)
		r->hooks->refused(r, pid, why, r->arg);
}

static void
notify_cb(struct ecg_notify *n, int ready, const char *status, pid_t pid, void *arg)
{
	struct ecg_ready *r = arg;

	(void)n;
	(void)pid;
	if ((ready & ECG_NOTIFY_WATCHDOG) && r->hooks->watchdog != NULL)
		r->hooks->watchdog(r, r->arg);
	/* After ready, a STATUS= is still worth showing; READY=1 changes nothing. */
	if (!r->active) {
		if (status != NULL && r->hooks->status != NULL)
			r->hooks->status(r, status, r->arg);
		return;
	}
	if (status != NULL) {
		snprintf(r->error, sizeof(r->error), "its last status: %s", status);
		if (r->hooks->status != NULL)
			r->hooks->status(r, status, r->arg);
	}
	if ((ready & ECG_NOTIFY_READY) && r->check->kind == ECG_READY_NOTIFY)
		passed(r);
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_ready *r = w->data;

	(void)loop;
	(void)revents;
	ecg_ready_stop(r);
	r->hooks->failed(r, r->error, r->arg);
}

void
ecg_ready_begin(struct ecg_ready *r, pid_t pid)
{
	const struct ecg_ready_spec *rs = &r->spec->ready;

	r->active = 1;
	r->pgid = pid;
	r->interval = ECG_READY_POLL_FIRST;
	if (r->spec->ready_timeout_ms > 0 && rs->kind != ECG_READY_STARTED) {
		ev_timer_set(&r->timeout, (double)r->spec->ready_timeout_ms / 1000.0, 0);
		ev_timer_start(r->loop, &r->timeout);
	}
	switch (rs->kind) {
	case ECG_READY_TCP:
	case ECG_READY_HTTP:
	case ECG_READY_COMMAND:
		attempt(r);
		break;
	case ECG_READY_FD:
		ev_io_set(&r->fd_io, r->fd_read, EV_READ);
		ev_io_start(r->loop, &r->fd_io);
		break;
	case ECG_READY_NOTIFY:
		ecg_notify_watch(&r->notify, pid);
		break;
	default:
		break;
	}
}

void
ecg_ready_line(struct ecg_ready *r, const char *line, size_t len)
{
	if (!r->active || r->check->kind != ECG_READY_LINE)
		return;
	/* A match takes at most len (the tap's 4096 at most) times the ERE's size. */
	if (ecg_ere_match(r->check->re, line, len))
		passed(r);
}

void
ecg_ready_stop(struct ecg_ready *r)
{
	stop_checks(r);
	ev_timer_stop(r->loop, &r->probe_timer);
	close_io(r->loop, &r->probe_io, &r->probe_fd);
	/* A probe still running is stopped like a task; idle says when it is gone. */
	if (!ecg_proc_over(&r->probe))
		ecg_proc_stop(&r->probe);
}

void
ecg_ready_end(struct ecg_ready *r)
{
	ecg_ready_stop(r);
	ecg_notify_close(&r->notify);
}

int
ecg_ready_idle(const struct ecg_ready *r)
{
	return ecg_proc_over(&r->probe);
}

const char *
ecg_ready_error(const struct ecg_ready *r)
{
	return r->error;
}
