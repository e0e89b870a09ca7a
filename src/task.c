#define _GNU_SOURCE
#include "task.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "command.h"
#include "escapees.h"
#include "spawn.h"

extern char **environ;

static void step(struct ecg_task *t, enum ecg_task_input in);
static void run_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void delay_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

const char *
ecg_task_name(const struct ecg_task *t)
{
	return t->spec->name;
}

pid_t
ecg_task_pid(const struct ecg_task *t)
{
	return t->proc.pid;
}

const char *
ecg_task_end_name(enum ecg_task_end end)
{
	switch (end) {
	case ECG_END_EXITED:
		return "exited";
	case ECG_END_KILLED:
		return "killed";
	case ECG_END_START_FAILED:
		return "could not start";
	case ECG_END_NOT_READY:
		return "not ready";
	case ECG_END_TIMEOUT:
		return "timed out";
	default:
		return "running";
	}
}

const char *
ecg_task_check(const struct ecg_task *t)
{
	return ecg_config_ready_text(t->spec);
}

int
ecg_task_main_running(const struct ecg_task *t)
{
	return ecg_proc_running(&t->proc);
}

int
ecg_task_alive(const struct ecg_task *t)
{
	return t->state != ECG_TASK_WAITING && t->state != ECG_TASK_DONE &&
	    (ecg_proc_running(&t->proc) || (t->proc.pid > 0 && t->proc.group_alive));
}

void
ecg_task_output_mark(const struct ecg_task *t, int unread, struct ecg_pump_mark *m)
{
	ecg_taskio_mark(&t->io, unread, m);
}

uint64_t
ecg_task_dropped(const struct ecg_task *t, int stream)
{
	return ecg_taskio_dropped(&t->io, stream);
}

size_t
ecg_task_stderr_tail(const struct ecg_task *t, const char **bytes)
{
	return ecg_taskio_tail(&t->io, bytes);
}

/* An event about the task goes to the host. */
static void
emit(struct ecg_task *t, struct ecg_event *ev)
{
	ev->task = t;
	ev->name = t->spec->name;
	t->host->event(t->host->event_arg, ev);
}

static void
emit_type(struct ecg_task *t, enum ecg_event_type type)
{
	struct ecg_event ev = { .type = type };

	emit(t, &ev);
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

/* What ecg-run's own service manager meant for ecg-run alone. */
static int
not_inherited(const char *var)
{
	return same_name(var, "NOTIFY_SOCKET=") || same_name(var, "WATCHDOG_USEC=") ||
	    same_name(var, "WATCHDOG_PID=");
}

/*
 * The environment ecg-run was started with (less NOTIFY_SOCKET and the
 * watchdog's variables: a task that passed READY=1 on would speak for
 * ecg-run), then the task's env lines (which replace inherited variables
 * of the same name), then the three ECG_RUN_ variables (and PWD, for a
 * plain command run without the shell; NOTIFY_SOCKET, for ready = notify):
 * one block, built just before the task starts and freed right after, so
 * idle tasks do not keep it.  Strings are borrowed, except the last ones,
 * which live at the block's end.  NULL if out of memory.
 */
static char **
build_env(const struct ecg_task *t, const char *socket)
{
	const struct ecg_task_spec *spec = t->spec;
	const char *group = t->host->group_name;
	size_t n = 0, k = 0, i, j, slots, names;
	char **envp, *str, pwd[PATH_MAX + 8] = "";

	while (environ[n] != NULL)
		n++;
	if (t->words != NULL)
		shell_pwd(t, pwd, sizeof(pwd));
	slots = n + spec->nenv + 6;
	names = sizeof("ECG_RUN_TASK=") + strlen(spec->name) + sizeof("ECG_RUN_GROUP=") +
	    strlen(group) + sizeof("ECG_RUN_ID=") + strlen(t->host->run_id) + strlen(pwd) + 1 +
	    (socket != NULL ? sizeof("NOTIFY_SOCKET=") + strlen(socket) : 0);
	envp = malloc(slots * sizeof(*envp) + names);
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int replaced = same_name(environ[i], "ECG_RUN_TASK=") ||
		    same_name(environ[i], "ECG_RUN_GROUP=") || same_name(environ[i], "ECG_RUN_ID=") ||
		    (pwd[0] != '\0' && same_name(environ[i], "PWD=")) || not_inherited(environ[i]);
		for (j = 0; j < spec->nenv && !replaced; j++)
			replaced = same_name(environ[i], spec->env[j]);
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (j = 0; j < spec->nenv; j++)
		if ((pwd[0] == '\0' || !same_name(spec->env[j], "PWD=")) &&
		    (socket == NULL || !same_name(spec->env[j], "NOTIFY_SOCKET=")))
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
		str = stpcpy(str, pwd) + 1;
	}
	if (socket != NULL) {
		envp[k++] = str;
		stpcpy(stpcpy(str, "NOTIFY_SOCKET="), socket);
	}
	envp[k] = NULL;
	return envp;
}

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


/* The proc's and the pipes' hooks: each becomes an input or an event. */
static void
proc_exited(struct ecg_proc *p, int wstatus, void *arg)
{
	struct ecg_task *t = arg;

	(void)p;
	/*
	 * What the process wrote before it ended is in its pipes already;
	 * taking it in first puts its last lines ahead of the note of its end.
	 */
	ecg_taskio_drain(&t->io);
	t->wstatus = wstatus;
	step(t, ECG_IN_EXIT);
}

static void
check_gone(struct ecg_task *t)
{
	if (t->state != ECG_TASK_EXITED)
		return;
	if (t->proc.pid > 0 && !t->proc.finished)
		return;
	if (t->check != NULL && !ecg_ready_idle(t->check))
		return;
	if (!ecg_taskio_closed(&t->io)) {
		ecg_taskio_linger(&t->io);
		return;
	}
	step(t, t->restarting ? ECG_IN_RESTART : ECG_IN_GONE);
}

static void
proc_gone(struct ecg_proc *p, void *arg)
{
	(void)p;
	check_gone(arg);
}

static void
proc_sent(struct ecg_proc *p, int sig, int group, size_t n, void *arg)
{
	struct ecg_event ev = { .type = group ? ECG_EV_SENT : ECG_EV_SENT_ESCAPEES, .sig = sig,
		.pid = (long)p->pid, .n = n };

	emit(arg, &ev);
}

static void
proc_escalating(struct ecg_proc *p, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_ESCALATING, .ms = p->stop_timeout_ms };

	emit(arg, &ev);
}

static size_t proc_escaped(struct ecg_proc *p, int sig, void *arg);

/*
 * Its main process ended on its own and left processes running (a
 * daemonizing program: pg_ctl start): they are stopped now, as the task
 * is over, and that is said without -v, naming them, for it surprises.
 */
static void
proc_left(struct ecg_proc *p, void *arg)
{
	struct ecg_task *t = arg;
	struct ecg_event ev = { .type = ECG_EV_LEFTOVERS };
	struct ecg_buf list = ECG_BUF_INIT;
	char comm[64];
	pid_t *pids = NULL;
	long n = ecg_escapees_in_group(getpid(), p->pid, &pids), i;

	for (i = 0; i < n && i < 8; i++)
		if (ecg_escapees_comm(pids[i], comm, sizeof(comm)) == 0)
			ecg_buf_printf(&list, "%s%s (pid %ld)", list.len > 0 ? ", " : "", comm,
			    (long)pids[i]);
	if (n > 8)
		ecg_buf_printf(&list, " and %ld more", n - 8);
	ev.text = ecg_buf_str(&list);
	ev.n = (size_t)(n > 0 ? n : 0);
	/* Our children of the task: those in its group, and those that left it. */
	ev.limit = (long)proc_escaped(p, 0, t) - (n > 0 ? n : 0);
	emit(t, &ev);
	ecg_buf_free(&list);
	free(pids);
}

static size_t
proc_escaped(struct ecg_proc *p, int sig, void *arg)
{
	struct ecg_task *t = arg;

	(void)p;
	return t->host->escaped != NULL ? t->host->escaped(t, sig, t->host->arg) : 0;
}

static const struct ecg_proc_hooks proc_hooks = {
	.exited = proc_exited,
	.gone = proc_gone,
	.sent = proc_sent,
	.escalating = proc_escalating,
	.escaped = proc_escaped,
	.left = proc_left,
};

static void
io_closed(struct ecg_taskio *io, void *arg)
{
	(void)io;
	check_gone(arg);
}

static void
io_read_error(struct ecg_taskio *io, int stream, int err, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_READ_ERROR, .stream = stream, .err = err };

	(void)io;
	emit(arg, &ev);
}

static void
io_held(struct ecg_taskio *io, void *arg)
{
	(void)io;
	emit_type(arg, ECG_EV_OUTPUT_HELD);
}

static void
io_log_error(struct ecg_taskio *io, const char *op, int err, void *arg)
{
	struct ecg_task *t = arg;
	struct ecg_event ev = { .type = ECG_EV_LOG_ERROR, .step = op, .what = t->spec->log_path,
		.err = err };

	(void)io;
	emit(t, &ev);
}

static const struct ecg_taskio_hooks io_hooks = {
	.closed = io_closed,
	.read_error = io_read_error,
	.held = io_held,
	.log_error = io_log_error,
};

static void not_ready(struct ecg_task *t, const char *error);

static void
check_passed(struct ecg_ready *r, void *arg)
{
	(void)r;
	step(arg, ECG_IN_READY);
}

static void
check_failed(struct ecg_ready *r, const char *error, void *arg)
{
	(void)r;
	not_ready(arg, error);
}

static void
check_status(struct ecg_ready *r, const char *text, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_STATUS, .text = text };

	(void)r;
	emit(arg, &ev);
}

static void
check_refused(struct ecg_ready *r, pid_t pid, const char *why, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_NOTIFY_REFUSED, .pid = (long)pid, .text = why };

	(void)r;
	emit(arg, &ev);
}

static void
check_held(struct ecg_ready *r, const char *error, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_PORT_HELD, .text = error };

	(void)r;
	emit(arg, &ev);
}

static void
check_idle(struct ecg_ready *r, void *arg)
{
	(void)r;
	check_gone(arg);
}

static char **
check_env(void *arg)
{
	return build_env(arg, NULL);
}

static const struct ecg_ready_hooks check_hooks = {
	.passed = check_passed,
	.failed = check_failed,
	.status = check_status,
	.refused = check_refused,
	.held = check_held,
	.idle = check_idle,
	.env = check_env,
};

static void
tap_line(struct ecg_taskio *io, const char *line, size_t len, void *arg)
{
	struct ecg_task *t = arg;

	(void)io;
	ecg_ready_line(t->check, line, len);
}

int
ecg_task_init(struct ecg_task *t, struct ecg_task_host *host,
    const struct ecg_task_spec *spec, size_t index, int color)
{
	const char *base;

	memset(t, 0, sizeof(*t));
	t->spec = spec;
	t->host = host;
	t->index = index;
	t->state = ECG_TASK_WAITING;
	base = strrchr(host->shell, '/');
	t->argv[0] = (char *)(base != NULL ? base + 1 : host->shell);
	t->argv[1] = (char *)"-c";
	t->argv[2] = spec->command;
	t->argv[3] = NULL;
	/* Everything that destroy touches is set up before anything can fail. */
	ecg_proc_init(&t->proc, host->loop, spec->stop_signal, spec->stop_timeout_ms,
	    &proc_hooks, t);
	ecg_taskio_init(&t->io, host->loop, host->pump, spec->name, color, host->buffer,
	    &io_hooks, t);
	ecg_taskio_share(&t->io, &host->tap_round);
	ecg_logfile_init(&t->log, spec->log_path, spec->log_max_size, spec->log_keep,
	    host->buffer);
	if (spec->log_path != NULL)
		ecg_taskio_log(&t->io, &t->log, host->pump->opts.timestamps);
	ev_timer_init(&t->run_timer, run_timer_cb, 0, 0);
	t->run_timer.data = t;
	ev_timer_init(&t->delay_timer, delay_timer_cb, 0, 0);
	t->delay_timer.data = t;
	t->delay_ms = spec->restart_delay_ms;
	if (host->direct && plain_program(t) < 0)
		return -ENOMEM;
	if (host->stderr_tail > 0 && ecg_taskio_keep_tail(&t->io, host->stderr_tail) < 0)
		return -ENOMEM;
	if (spec->ready.kind != ECG_READY_STARTED) {
		struct ecg_ready_probe_env pe = {
			.shell = host->shell, .shell_name = t->argv[0], .cwd = spec->cwd_path,
			.devnull = host->devnull, .nofile = host->nofile,
			.stop_signal = spec->stop_signal, .stop_timeout_ms = spec->stop_timeout_ms,
		};
		t->check = malloc(sizeof(*t->check));
		if (t->check == NULL)
			return -ENOMEM;
		ecg_ready_init(t->check, host->loop, spec, &pe, &check_hooks, t);
	}
	return 0;
}

void
ecg_task_destroy(struct ecg_task *t)
{
	ev_timer_stop(t->host->loop, &t->run_timer);
	ev_timer_stop(t->host->loop, &t->delay_timer);
	ecg_proc_destroy(&t->proc);
	ecg_taskio_destroy(&t->io);
	ecg_logfile_destroy(&t->log);
	if (t->check != NULL)
		ecg_ready_destroy(t->check);
	free(t->check);
	t->check = NULL;
	free(t->words);
	free(t->script_argv);
	t->words = NULL;
	t->program = NULL;
	t->script_argv = NULL;
}

/*
 * The task cannot become its command.  As a shell says it: 127 for a
 * program that is not there (or a step before exec that failed), 126 for
 * one that is there but cannot be executed.
 */
static void
start_failed(struct ecg_task *t, const char *step_name, const char *what, int err)
{
	struct ecg_event ev = { .type = ECG_EV_START_FAILED, .step = step_name, .what = what,
		.err = err };

	t->start_code = strcmp(step_name, "exec") == 0 && err != ENOENT && err != ENOTDIR ?
	    126 : 127;
	emit(t, &ev);
}

/*
 * Forks the command with its pipes.  Returns 1 if its program runs, 0 if
 * a child was made that could not become it (it exits by itself), -1 if
 * no child was made.
 */
static int
spawn(struct ecg_task *t)
{
	struct ecg_task_host *h = t->host;
	struct ecg_spawn sp;
	struct ecg_spawn_failure f;
	const char *socket = NULL;
	int wr[2], rc, extra = -1;
	char **envp, sockname[32];

	/* Its log file stays open from its first run to its end. */
	if (t->spec->log_path != NULL && (rc = ecg_logfile_open(&t->log)) < 0) {
		ecg_taskio_close(&t->io);
		start_failed(t, "log file", t->spec->log_path, -rc);
		return -1;
	}
	/* Sockets are named by index: a name could be too long for an address. */
	snprintf(sockname, sizeof(sockname), "%zu.sock", t->index);
	if (t->check != NULL && (rc = ecg_ready_prepare(t->check, h->notify_dir, sockname,
	    &extra, &socket)) < 0) {
		ecg_taskio_close(&t->io);
		start_failed(t, t->spec->ready.kind == ECG_READY_NOTIFY ? "notify socket" :
		    "readiness pipe", NULL, -rc);
		return -1;
	}
	envp = build_env(t, socket);
	if (envp == NULL) {
		ecg_taskio_close(&t->io);
		start_failed(t, "environment", NULL, ENOMEM);
		return -1;
	}
	if ((rc = ecg_taskio_open(&t->io, wr)) < 0) {
		free(envp);
		ecg_taskio_close(&t->io);
		start_failed(t, "pipe", NULL, -rc);
		return -1;
	}
	memset(&sp, 0, sizeof(sp));
	sp.path = t->program != NULL ? t->program : h->shell;
	sp.argv = t->words != NULL ? t->words : t->argv;
	sp.envp = envp;
	sp.cwd = t->spec->cwd_path;
	sp.stdin_fd = h->devnull;
	sp.stdout_fd = wr[0];
	sp.stderr_fd = wr[1];
	sp.nofile = h->nofile;
	if (extra >= 0) {
		sp.extra_fd = extra;
		sp.extra_to = t->spec->ready.fd;
	}
	if (t->script_argv != NULL) {
		sp.script_shell = h->shell;
		sp.script_argv = t->script_argv;
	}
	rc = ecg_proc_spawn(&t->proc, &sp, &f);
	free(envp);
	close(wr[0]);
	close(wr[1]);
	if (t->check != NULL)
		ecg_ready_spawned(t->check);
	if (rc < 0) {
		ecg_taskio_close(&t->io);
		start_failed(t, f.step, NULL, -rc);
		return -1;
	}
	ecg_taskio_start(&t->io);
	if (h->started != NULL)
		h->started(t, h->arg);
	if (f.step != NULL) {
		start_failed(t, f.step, strcmp(f.step, "chdir") == 0 ? t->spec->cwd : sp.path,
		    f.err);
		return 0;
	}
	return 1;
}

/*
 * Whether this end is absorbed by a restart: not once the group is
 * stopping, only for the ends the policy names, and only while the budget
 * lasts.  A run that stayed ready for ECG_TASK_STABLE_S gives the budget
 * and the first delay back.
 */
static int
restarts(struct ecg_task *t)
{
	const struct ecg_task_spec *spec = t->spec;

	if (ecg_context_done(t->host->eg->ctx) || spec->restart == ECG_RESTART_NO)
		return 0;
	if (spec->restart == ECG_RESTART_ON_FAILURE && t->code == 0)
		return 0;
	if (t->ready && ecg_clock_now() - t->ready_at >= ECG_TASK_STABLE_S) {
		t->restarts = 0;
		t->delay_ms = spec->restart_delay_ms;
	}
	return t->restarts < spec->max_restarts;
}

/* The end of a run as an event: its kind says how it ended. */
static void
end_event(const struct ecg_task *t, struct ecg_event *ev)
{
	ev->code = t->code;
	ev->pid = (long)t->proc.pid;
	ev->check = ecg_task_check(t);
	ev->what = ecg_task_end_name(t->end);
	ev->ms = ecg_clock_ms_between(t->started_at, ecg_clock_now());
	if (t->end == ECG_END_NOT_READY && t->spec->ready_timeout_ms > 0 &&
	    t->spec->ready.kind != ECG_READY_FD)
		ev->ms = t->spec->ready_timeout_ms;
	if (t->end == ECG_END_TIMEOUT)
		ev->ms = t->spec->timeout_ms;
	if (t->end == ECG_END_KILLED)
		ev->sig = t->code - 128;
	if (t->check != NULL)
		ev->text = t->check->error;
}

/*
 * The main member of the errgroup ends with the run's result.  A restart
 * (again: what restarts() decided for this end) absorbs it, said with the
 * delay and the restart's number.  Otherwise it counts only if the group
 * was not cancelled before: a task that dies because it was stopped never
 * becomes the cause.  failed is the cause a failure gives, quiet what is
 * said when it does not count (ECG_EV_COUNT: nothing).
 */
static void
count_end(struct ecg_task *t, int again, enum ecg_event_type failed, enum ecg_event_type quiet)
{
	struct ecg_task_host *h = t->host;
	struct ecg_context *ctx = h->eg->ctx;
	int counts = !ecg_context_done(ctx);
	struct ecg_event ev = { 0 };

	end_event(t, &ev);
	ecg_errgroup_go(h->eg);
	if (again) {
		t->restarts++;
		t->restarting = 1;
		ev.type = ECG_EV_RESTARTING;
		ev.n = (size_t)t->restarts;
		ev.limit = t->spec->max_restarts;
		ev.delay = t->delay_ms;
		emit(t, &ev);
		ecg_errgroup_done(h->eg, 0);
		return;
	}
	if (counts && t->spec->cancel_on == ECG_CANCEL_ON_EXIT) {
		ev.type = failed != ECG_EV_CAUSE_FAILED ? failed : ECG_EV_CAUSE_EXIT;
		emit(t, &ev);
		ecg_context_cancel(ctx, t->code);
		ecg_errgroup_done(h->eg, 0);
	} else if (counts && t->spec->cancel_on == ECG_CANCEL_ON_FAILURE && t->code != 0) {
		ev.type = failed;
		emit(t, &ev);
		ecg_errgroup_done(h->eg, t->code);
	} else {
		if (quiet != ECG_EV_COUNT) {
			ev.type = quiet;
			emit(t, &ev);
		}
		ecg_errgroup_done(h->eg, 0);
	}
	if (h->ended != NULL)
		h->ended(t, h->arg);
}

/*
 * Its run ran past its timeout: it is stopped like any task and ends as a
 * failure with 124, as timeout(1) says it.
 */
static void
run_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_task *t = w->data;

	(void)loop;
	(void)revents;
	if (!ecg_taskstate_live(t->state) || t->end != ECG_END_NONE)
		return;
	t->end = ECG_END_TIMEOUT;
	t->code = 124;
	ecg_taskio_tap(&t->io, NULL, NULL);
	count_end(t, restarts(t), ECG_EV_CAUSE_TIMEOUT, ECG_EV_TIMED_OUT);
	step(t, ECG_IN_STOP);
}

static void
delay_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_task *t = w->data;

	(void)loop;
	(void)revents;
	/* The group may be stopping, its news not yet delivered: nothing restarts then. */
	step(t, ecg_context_done(t->host->eg->ctx) ? ECG_IN_STOP : ECG_IN_START);
}

/*
 * Its readiness check failed for good (timed out, or the task said it
 * never will be): it is stopped like any task and ends with 124, as
 * timeout(1) does.
 */
static void
not_ready(struct ecg_task *t, const char *error)
{
	(void)error;
	if (t->state != ECG_TASK_RUNNING || t->end != ECG_END_NONE)
		return;
	t->end = ECG_END_NOT_READY;
	t->code = 124;
	ecg_taskio_tap(&t->io, NULL, NULL);
	count_end(t, restarts(t), ECG_EV_CAUSE_NOT_READY, ECG_EV_NOT_READY);
	step(t, ECG_IN_NOT_READY);
}

static void
became_ready(struct ecg_task *t)
{
	struct ecg_task_host *h = t->host;
	struct ecg_event ev = { .type = ECG_EV_READY, .check = ecg_task_check(t) };

	if (t->check != NULL)
		ecg_ready_stop(t->check);
	ecg_taskio_tap(&t->io, NULL, NULL);
	t->ready = 1;
	t->ready_at = ecg_clock_now();
	ev.ms = ecg_clock_ms_between(t->started_at, t->ready_at);
	emit(t, &ev);
	/* Tasks after it start at its first readiness; a restart's changes nothing. */
	if (!t->ever_ready && h->ready != NULL) {
		t->ever_ready = 1;
		h->ready(t, h->arg);
	}
	t->ever_ready = 1;
}

/*
 * Its main process was reaped (or none could be made): how did it end?
 * A task whose end was decided already (it failed its readiness check and
 * was stopped for it) is still said to have exited; its end stays.
 */
static void
exited(struct ecg_task *t)
{
	struct ecg_event ev = { 0 };
	int ws = t->wstatus, decided = t->end != ECG_END_NONE;
	enum ecg_task_end end;
	int code, again, one_shot;

	ev.pid = (long)t->proc.pid;
	ev.ms = ecg_clock_ms_between(t->started_at, ecg_clock_now());
	if (t->start_code != 0) {
		end = ECG_END_START_FAILED;
		code = t->start_code;
	} else if (WIFEXITED(ws)) {
		end = ECG_END_EXITED;
		code = WEXITSTATUS(ws);
		ev.type = ECG_EV_EXITED;
		ev.code = code;
	} else {
		end = ECG_END_KILLED;
		code = 128 + WTERMSIG(ws);
		ev.type = ECG_EV_KILLED;
		ev.sig = WTERMSIG(ws);
		ev.core = WCOREDUMP(ws) ? 1 : 0;
	}
	if (decided) {
		if (end != ECG_END_START_FAILED)
			emit(t, &ev);
		return;
	}
	t->end = end;
	t->code = code;
	/*
	 * A one-shot task is ready by exiting with 0: said after its exit,
	 * and before its end is counted (the scheduler must know it ready
	 * before it hears of its end).  An end a restart absorbs is said
	 * once, with the restart, and the readiness after it.
	 */
	one_shot = t->spec->ready.kind == ECG_READY_EXITED && end == ECG_END_EXITED && code == 0;
	again = restarts(t);
	if (end != ECG_END_START_FAILED && !again)
		emit(t, &ev);
	if (one_shot && !again)
		became_ready(t);
	count_end(t, again, ECG_EV_CAUSE_FAILED, ECG_EV_COUNT);
	if (one_shot && again)
		became_ready(t);
}

/*
 * Its run is over and gone: the next run after the delay, doubled for the
 * one after (at least ECG_TASK_RESTART_FLOOR_MS, at most restart_delay_max).
 */
static void
enter_restarting(struct ecg_task *t)
{
	long max = t->spec->restart_delay_max_ms;

	t->restarting = 0;
	if (t->host->run_over != NULL)
		t->host->run_over(t, t->host->arg);
	ecg_taskio_break(&t->io);
	ev_timer_set(&t->delay_timer, (double)t->delay_ms / 1000.0, 0);
	ev_timer_start(t->host->loop, &t->delay_timer);
	t->delay_ms = t->delay_ms > max / 2 ? max : t->delay_ms * 2;
	if (t->delay_ms > max)
		t->delay_ms = max;
	if (t->delay_ms < ECG_TASK_RESTART_FLOOR_MS)
		t->delay_ms = ECG_TASK_RESTART_FLOOR_MS;
}

/* A new run: what the last one left is cleared. */
static void
new_run(struct ecg_task *t)
{
	t->end = ECG_END_NONE;
	t->code = 0;
	t->wstatus = 0;
	t->start_code = 0;
	t->ready = 0;
	ecg_proc_destroy(&t->proc);
	ecg_proc_init(&t->proc, t->host->loop, t->spec->stop_signal, t->spec->stop_timeout_ms,
	    &proc_hooks, t);
}

static void
enter_done(struct ecg_task *t, enum ecg_task_state from, enum ecg_task_input in)
{
	struct ecg_task_host *h = t->host;

	ev_timer_stop(h->loop, &t->run_timer);
	ev_timer_stop(h->loop, &t->delay_timer);
	if (in == ECG_IN_SKIP)
		emit_type(t, ECG_EV_NOT_STARTED);
	else if (from == ECG_TASK_RESTARTING && in == ECG_IN_STOP)
		emit_type(t, ECG_EV_NOT_RESTARTED);
	if (in == ECG_IN_ABANDON) {
		ecg_proc_abandon(&t->proc);
		if (t->check != NULL)
			ecg_ready_end(t->check);
		if (from != ECG_TASK_WAITING && from != ECG_TASK_RESTARTING &&
		    t->end == ECG_END_NONE) {
			/* Given up on: it was killed, and never the cause. */
			t->end = ECG_END_KILLED;
			t->code = 128 + SIGKILL;
			/* The deadline has passed: nothing runs again. */
			count_end(t, 0, ECG_EV_CAUSE_FAILED, ECG_EV_COUNT);
		}
	}
	ecg_taskio_end(&t->io);
	if (ecg_logfile_lost(&t->log) > 0) {
		struct ecg_event ev = { .type = ECG_EV_LOG_LOST, .what = t->spec->log_path,
			.n = (size_t)ecg_logfile_lost(&t->log) };
		emit(t, &ev);
	}
	/* The task as a whole, and its slot (a sidecar has none). */
	if (from != ECG_TASK_WAITING && t->spec->sidecar)
		ecg_errgroup_done(h->eg, 0);
	else if (from != ECG_TASK_WAITING)
		ecg_errgroup_release(h->eg, 0);
	if (h->done != NULL)
		h->done(t, h->arg);
}

/*
 * The one place that moves a task: the table says where an input leads,
 * and entering a state does what that state means.  A refused pair
 * changes nothing.
 */
static void
step(struct ecg_task *t, enum ecg_task_input in)
{
	enum ecg_task_state from = t->state;
	int next = ecg_taskstate_next(from, in), rc;

	if (next < 0 || (enum ecg_task_state)next == from)
		return;
	t->state = (enum ecg_task_state)next;
	switch (t->state) {
	case ECG_TASK_STARTING:
		if (from == ECG_TASK_RESTARTING)
			new_run(t);
		/*
		 * Timed from its own spawn, not from the start of this loop
		 * round: a large group spends seconds in one round starting its
		 * tasks.  Its runtime counts from the moment its program runs.
		 */
		ev_now_update(t->host->loop);
		if (t->spec->timeout_ms > 0) {
			ev_timer_set(&t->run_timer, (double)t->spec->timeout_ms / 1000.0, 0);
			ev_timer_start(t->host->loop, &t->run_timer);
		}
		rc = spawn(t);
		t->started_at = ecg_clock_now();
		if (rc > 0)
			step(t, ECG_IN_EXEC);
		else if (rc < 0)
			step(t, ECG_IN_EXIT);
		break;
	case ECG_TASK_RUNNING: {
		struct ecg_event ev = { .type = ECG_EV_STARTED, .pid = (long)t->proc.pid };
		emit(t, &ev);
		if (t->check == NULL) {
			step(t, ECG_IN_READY);
			break;
		}
		if (t->spec->ready.kind == ECG_READY_LINE)
			ecg_taskio_tap(&t->io, tap_line, t);
		ecg_ready_begin(t->check, t->proc.pid);
		break;
	}
	case ECG_TASK_READY:
		became_ready(t);
		break;
	case ECG_TASK_STOPPING:
		if (t->check != NULL)
			ecg_ready_stop(t->check);
		ecg_taskio_tap(&t->io, NULL, NULL);
		ecg_proc_stop(&t->proc);
		break;
	case ECG_TASK_RESTARTING:
		enter_restarting(t);
		break;
	case ECG_TASK_EXITED:
		ev_timer_stop(t->host->loop, &t->run_timer);
		if (t->check != NULL)
			ecg_ready_end(t->check);
		ecg_taskio_tap(&t->io, NULL, NULL);
		exited(t);
		check_gone(t);
		break;
	case ECG_TASK_DONE:
		enter_done(t, from, in);
		break;
	default:
		break;
	}
}

int
ecg_task_start(struct ecg_task *t)
{
	if (t->state != ECG_TASK_WAITING)
		return 0;
	/* A sidecar serves the batch, it is not part of it: it takes no slot. */
	if (t->spec->sidecar)
		ecg_errgroup_go(t->host->eg);
	else if (ecg_errgroup_try_go(t->host->eg) < 0)
		return -EAGAIN;
	step(t, ECG_IN_START);
	return 0;
}

void
ecg_task_skip(struct ecg_task *t)
{
	step(t, ECG_IN_SKIP);
}

void
ecg_task_stop(struct ecg_task *t)
{
	step(t, ECG_IN_STOP);
}

void
ecg_task_signal(struct ecg_task *t, int sig)
{
	if (t->state != ECG_TASK_WAITING && t->state != ECG_TASK_DONE)
		ecg_proc_signal(&t->proc, sig);
}

void
ecg_task_kill(struct ecg_task *t)
{
	if (t->state != ECG_TASK_WAITING && t->state != ECG_TASK_DONE)
		ecg_proc_kill(&t->proc);
}

void
ecg_task_abandon(struct ecg_task *t)
{
	if (t->state == ECG_TASK_WAITING)
		step(t, ECG_IN_SKIP);
	else
		step(t, ECG_IN_ABANDON);
}
