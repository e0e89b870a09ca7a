#define _GNU_SOURCE
#include "task/taskrun.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "config/command.h"
#include "sys/escapees.h"
#include "sys/spawn.h"

extern char **environ;

static void
emit(struct ecg_taskrun *r, struct ecg_event *ev)
{
	ev->name = r->spec->name;
	r->hooks->event(r->arg, ev);
}

static void
input(struct ecg_taskrun *r, enum ecg_task_input kind)
{
	struct ecg_task_in in = { .kind = kind };

	r->hooks->input(r->arg, &in);
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
task_getenv(const struct ecg_taskrun *r, const char *name)
{
	size_t j = r->spec->nenv, len = strlen(name);

	while (j-- > 0)			/* names are unique: env lines replace */
		if (strncmp(r->spec->env[j], name, len) == 0 && r->spec->env[j][len] == '=')
			return r->spec->env[j] + len + 1;
	return getenv(name);
}

/*
 * PWD as the shell would export it for a command it runs: the inherited
 * value if it names the task's directory, or else that directory's
 * physical path.  A plain command run without the shell gets the same.
 */
static void
shell_pwd(const struct ecg_taskrun *r, char *buf, size_t len)
{
	const char *dir = r->spec->cwd_path, *inherited = task_getenv(r, "PWD");
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
 * plain command run without the shell; NOTIFY_SOCKET, for ready = notify;
 * WATCHDOG_USEC and WATCHDOG_PID, for health = watchdog, the pid written by
 * the child itself into *pid_slot):
 * one block, built just before the task starts and freed right after, so
 * idle tasks do not keep it.  Strings are borrowed, except the last ones,
 * which live at the block's end.  NULL if out of memory.
 */
static char **
build_env(const struct ecg_taskrun *r, const char *socket, char **pid_slot)
{
	int watchdog = socket != NULL && pid_slot != NULL && r->spec->health.check != NULL &&
	    r->spec->health.kind == ECG_READY_NOTIFY;
	char usec[48] = "";
	const struct ecg_task_spec *spec = r->spec;
	const char *group = r->env->group_name, *control = r->env->control;
	size_t n = 0, k = 0, i, j, slots, names;
	char **envp, *str, pwd[PATH_MAX + 8] = "";
	/* Another user's HOME, USER, LOGNAME and SHELL, unless env lines set them. */
	static const char *const idnames[4] = { "HOME=", "USER=", "LOGNAME=", "SHELL=" };
	const struct ecg_identity *id = spec->identity;
	const char *idvals[4] = { NULL, NULL, NULL, NULL };
	size_t idlen = 0;

	if (id != NULL) {
		idvals[0] = id->home;
		idvals[1] = idvals[2] = id->name[0] != '\0' ? id->name : NULL;
		idvals[3] = id->shell;
		for (i = 0; i < 4; i++) {
			for (j = 0; j < spec->nenv && idvals[i] != NULL; j++)
				if (same_name(spec->env[j], idnames[i]))
					idvals[i] = NULL;
			if (idvals[i] != NULL)
				idlen += strlen(idnames[i]) + strlen(idvals[i]) + 1;
		}
	}
	while (environ[n] != NULL)
		n++;
	if (r->words != NULL)
		shell_pwd(r, pwd, sizeof(pwd));
	slots = n + spec->nenv + 13;
	if (watchdog)
		snprintf(usec, sizeof(usec), "WATCHDOG_USEC=%lld",
		    (long long)spec->health.watchdog_ms * 1000);
	names = sizeof("ECG_RUN_TASK=") + strlen(spec->name) + sizeof("ECG_RUN_GROUP=") +
	    strlen(group) + sizeof("ECG_RUN_ID=") + strlen(r->env->run_id) + strlen(pwd) + 1 +
	    (socket != NULL ? sizeof("NOTIFY_SOCKET=") + strlen(socket) : 0) +
	    (control != NULL ? sizeof("ECG_CONTROL=") + strlen(control) : 0) +
	    (watchdog ? strlen(usec) + 1 + sizeof("WATCHDOG_PID=") + 24 : 0) + idlen;
	envp = malloc(slots * sizeof(*envp) + names);
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		int replaced = same_name(environ[i], "ECG_RUN_TASK=") ||
		    same_name(environ[i], "ECG_RUN_GROUP=") || same_name(environ[i], "ECG_RUN_ID=") ||
		    (pwd[0] != '\0' && same_name(environ[i], "PWD=")) || not_inherited(environ[i]) ||
		    same_name(environ[i], "ECG_CONTROL=");
		for (j = 0; j < 4 && !replaced; j++)
			replaced = idvals[j] != NULL && same_name(environ[i], idnames[j]);
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
	str = stpcpy(stpcpy(str, "ECG_RUN_ID="), r->env->run_id) + 1;
	if (pwd[0] != '\0') {
		envp[k++] = str;
		str = stpcpy(str, pwd) + 1;
	}
	if (socket != NULL) {
		envp[k++] = str;
		str = stpcpy(stpcpy(str, "NOTIFY_SOCKET="), socket) + 1;
	}
	if (control != NULL) {
		envp[k++] = str;
		str = stpcpy(stpcpy(str, "ECG_CONTROL="), control) + 1;
	}
	for (j = 0; j < 4; j++)
		if (idvals[j] != NULL) {
			envp[k++] = str;
			str = stpcpy(stpcpy(str, idnames[j]), idvals[j]) + 1;
		}
	if (watchdog) {
		envp[k++] = str;
		str = stpcpy(str, usec) + 1;
		envp[k++] = str;
		str = stpcpy(str, "WATCHDOG_PID=");
		*pid_slot = str;
		*str = '\0';
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
plain_program(struct ecg_taskrun *r)
{
	char path[PATH_MAX], **words, **script;
	int n, i;

	if (!ecg_command_plain(r->spec->command))
		return 0;
	n = ecg_command_split(r->spec->command, &words);
	if (n < 0)
		return n;
	if (ecg_spawn_which_in(words[0], task_getenv(r, "PATH"), path, sizeof(path)) < 0) {
		free(words);
		return 0;
	}
	script = malloc(((size_t)n + 2) * sizeof(*script) + strlen(path) + 1);
	if (script == NULL) {
		free(words);
		return -ENOMEM;
	}
	r->program = memcpy((char *)(script + n + 2), path, strlen(path) + 1);
	script[0] = (char *)r->env->shell;
	script[1] = r->program;
	for (i = 1; i <= n; i++)
		script[i + 1] = words[i];
	r->script_argv = script;
	r->words = words;
	return 0;
}


/*
 * Whether nothing of the run is left: its main process and process
 * group, its check's probe, its pipes.  If only the pipes are left (held
 * open by something that left the group), they get a grace to close.
 */
static int
run_gone(struct ecg_taskrun *r)
{
	if (!ecg_proc_over(&r->proc))
		return 0;
	if (r->check != NULL && !ecg_ready_idle(r->check))
		return 0;
	if (r->stopper != NULL && !ecg_proc_over(r->stopper))
		return 0;
	if (r->health != NULL && !ecg_health_idle(r->health))
		return 0;
	if (!ecg_taskio_closed(&r->io)) {
		ecg_taskio_linger(&r->io);
		return 0;
	}
	return 1;
}

/* Something of the run went: if that was the last of it, the task hears GONE. */
static void
went(struct ecg_taskrun *r)
{
	if (run_gone(r))
		input(r, ECG_IN_GONE);
}

/* The proc's and the pipes' hooks: each becomes an input or an event. */
static void
proc_exited(struct ecg_proc *p, int wstatus, void *arg)
{
	struct ecg_taskrun *r = arg;
	struct ecg_task_in in = { .kind = ECG_IN_EXIT, .wstatus = wstatus };

	(void)p;
	/*
	 * What the process wrote before it ended is in its pipes already;
	 * taking it in first puts its last lines ahead of the note of its end.
	 */
	ecg_taskio_drain(&r->io);
	/* So is what it sent to its notify socket: a READY=1 just before the end counts. */
	if (r->check != NULL)
		ecg_ready_drain(r->check);
	r->hooks->input(r->arg, &in);
}

static void
proc_gone(struct ecg_proc *p, void *arg)
{
	(void)p;
	went(arg);
}

static void
proc_sent(struct ecg_proc *p, int sig, int group, size_t n, void *arg)
{
	struct ecg_event ev = { .type = group ? ECG_EV_SENT : ECG_EV_SENT_ESCAPEES, .sig = sig,
		.pid = (long)ecg_proc_pid(p), .n = n };

	emit(arg, &ev);
}

static void
proc_escalating(struct ecg_proc *p, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_ESCALATING, .ms = ecg_proc_stop_timeout(p) };

	emit(arg, &ev);
}

static size_t
proc_escaped(struct ecg_proc *p, int sig, void *arg)
{
	struct ecg_taskrun *r = arg;

	return r->hooks->escaped != NULL ? r->hooks->escaped(r->arg, ecg_proc_reaped(p), sig) : 0;
}

/*
 * Its main process ended on its own and left processes running (a
 * daemonizing program: pg_ctl start): they are stopped now, as the task
 * is over, and that is said without -v, naming them, for it surprises.
 */
static void
proc_left(struct ecg_proc *p, void *arg)
{
	struct ecg_taskrun *r = arg;
	struct ecg_event ev = { .type = ECG_EV_LEFTOVERS };
	struct ecg_buf list = ECG_BUF_INIT;
	char comm[64];
	pid_t *pids = NULL;
	long n = ecg_escapees_in_group(getpid(), ecg_proc_pid(p), &pids), i;

	for (i = 0; i < n && i < 8; i++)
		if (ecg_escapees_comm(pids[i], comm, sizeof(comm)) == 0)
			ecg_buf_printf(&list, "%s%s (pid %ld)", list.len > 0 ? ", " : "", comm,
			    (long)pids[i]);
	if (n > 8)
		ecg_buf_printf(&list, " and %ld more", n - 8);
	ev.text = ecg_buf_str(&list);
	ev.n = (size_t)(n > 0 ? n : 0);
	/* Our children of the task: those in its group, and those that left it. */
	ev.limit = (long)proc_escaped(p, 0, r) - (n > 0 ? n : 0);
	emit(r, &ev);
	ecg_buf_free(&list);
	free(pids);
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
	went(arg);
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
	struct ecg_event ev = { .type = ECG_EV_OUTPUT_HELD };

	(void)io;
	emit(arg, &ev);
}

static void
io_log_error(struct ecg_taskio *io, const char *op, int err, void *arg)
{
	struct ecg_taskrun *r = arg;
	struct ecg_event ev = { .type = ECG_EV_LOG_ERROR, .step = op, .what = r->spec->log_path,
		.err = err };

	(void)io;
	emit(r, &ev);
}

static const struct ecg_taskio_hooks io_hooks = {
	.closed = io_closed,
	.read_error = io_read_error,
	.held = io_held,
	.log_error = io_log_error,
};

static void
check_passed(struct ecg_ready *c, void *arg)
{
	(void)c;
	input(arg, ECG_IN_READY);
}

static void
check_failed(struct ecg_ready *c, const char *error, void *arg)
{
	struct ecg_taskrun *r = arg;
	struct ecg_task_in in = { .kind = ECG_IN_NOT_READY, .error = error };

	(void)c;
	r->hooks->input(r->arg, &in);
}

static void
check_status(struct ecg_ready *c, const char *text, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_STATUS, .text = text };

	(void)c;
	emit(arg, &ev);
}

static void
check_refused(struct ecg_ready *c, pid_t pid, const char *why, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_NOTIFY_REFUSED, .pid = (long)pid, .text = why };

	(void)c;
	emit(arg, &ev);
}

static void
check_held(struct ecg_ready *c, const char *error, void *arg)
{
	struct ecg_event ev = { .type = ECG_EV_PORT_HELD, .text = error };

	(void)c;
	emit(arg, &ev);
}

static void
check_idle(struct ecg_ready *c, void *arg)
{
	(void)c;
	went(arg);
}

static char **
check_env(void *arg)
{
	return build_env(arg, NULL, NULL);
}

static void
check_watchdog(struct ecg_ready *c, void *arg)
{
	struct ecg_taskrun *r = arg;

	(void)c;
	if (r->health != NULL)
		ecg_health_ping(r->health);
}

static void
health_changed(struct ecg_health *hl, enum ecg_health_state state, const char *error,
    long fails, void *arg)
{
	struct ecg_taskrun *r = arg;
	struct ecg_event ev = { .type = ECG_EV_HEALTH, .what = ecg_health_name(state),
		.n = (size_t)fails, .check = r->spec->health.check,
		.text = error != NULL && error[0] != '\0' ? error : NULL };

	(void)hl;
	emit(r, &ev);
	if (state == ECG_HEALTH_UNHEALTHY) {
		struct ecg_task_in in = { .kind = ECG_IN_UNHEALTHY, .error = error };
		r->hooks->input(r->arg, &in);
	}
}

static void
health_idle(struct ecg_health *hl, void *arg)
{
	(void)hl;
	went(arg);
}

static const struct ecg_health_hooks health_hooks = {
	.changed = health_changed,
	.idle = health_idle,
	.env = check_env,
};

static const struct ecg_ready_hooks check_hooks = {
	.watchdog = check_watchdog,
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
	struct ecg_taskrun *r = arg;

	(void)io;
	ecg_ready_line(r->check, line, len);
}

/*
 * The task cannot become its command.  As a shell says it: 127 for a
 * program that is not there (or a step before exec that failed), 126 for
 * one that is there but cannot be executed.  The event carries the code.
 */
static int
start_failed(struct ecg_taskrun *r, const char *step_name, const char *what, int err)
{
	struct ecg_event ev = { .type = ECG_EV_START_FAILED, .step = step_name, .what = what,
		.err = err };

	ev.code = strcmp(step_name, "exec") == 0 && err != ENOENT && err != ENOTDIR ? 126 : 127;
	emit(r, &ev);
	return ev.code;
}

/* No child could be made: its pipes close, and the task hears why. */
static int
none_made(struct ecg_taskrun *r, const char *step_name, const char *what, int err,
    int *start_code)
{
	ecg_taskio_close(&r->io);
	*start_code = start_failed(r, step_name, what, err);
	return -1;
}

/*
 * The task's limits for its spawn; as another user than root, a limit
 * above ecg-run's own hard limit cannot be had: -1, or the ecg_limit that
 * cannot (what says its value and the hard limit).
 */
static int
limits_of(const struct ecg_taskrun *r, struct ecg_spawn_limit *out, size_t *n, char *what,
    size_t len)
{
	struct rlimit have;
	int l;

	*n = 0;
	for (l = 0; r->spec->limit != NULL && l < ECG_LIMITS; l++) {
		const struct ecg_limit_spec *ls = &r->spec->limit[l];
		struct ecg_spawn_limit *o = &out[*n];
		if (!ls->set)
			continue;
		o->resource = ecg_config_limit_resource((enum ecg_limit)l);
		o->rl.rlim_cur = ls->soft == ECG_LIMIT_INFINITY ? RLIM_INFINITY : (rlim_t)ls->soft;
		o->rl.rlim_max = ls->hard == ECG_LIMIT_INFINITY ? RLIM_INFINITY : (rlim_t)ls->hard;
		if (geteuid() != 0 && getrlimit(o->resource, &have) == 0 &&
		    have.rlim_max != RLIM_INFINITY &&
		    (o->rl.rlim_max == RLIM_INFINITY || o->rl.rlim_max > have.rlim_max)) {
			if (o->rl.rlim_max == RLIM_INFINITY)
				snprintf(what, len, "infinity (ecg-run's hard limit is %llu)",
				    (unsigned long long)have.rlim_max);
			else
				snprintf(what, len, "%llu (ecg-run's hard limit is %llu)",
				    (unsigned long long)o->rl.rlim_max,
				    (unsigned long long)have.rlim_max);
			return l;
		}
		(*n)++;
	}
	return -1;
}

static int
op_spawn(void *w, int *start_code)
{
	struct ecg_taskrun *r = w;
	struct ecg_taskrun_env *h = r->env;
	struct ecg_spawn sp;
	struct ecg_spawn_failure f;
	const char *socket = NULL;
	int wr[2], rc, extra = -1;
	char **envp, sockname[32], *pid_slot = NULL, what[160];
	struct ecg_spawn_limit limits[ECG_LIMITS];
	size_t nlimits = 0;

	*start_code = 0;
	/* Its log file stays open from its first run to its end. */
	if (r->log != NULL && (rc = ecg_logfile_open(r->log)) < 0)
		return none_made(r, "log file", r->spec->log_path, -rc, start_code);
	/* Its limits; one above ecg-run's hard limit cannot be had but as root. */
	if ((rc = limits_of(r, limits, &nlimits, what, sizeof(what))) >= 0)
		return none_made(r, ecg_config_limit_name((enum ecg_limit)rc), what, EPERM,
		    start_code);
	/* Sockets are named by index: a name could be too long for an address. */
	snprintf(sockname, sizeof(sockname), "%zu.sock", r->index);
	if (r->check != NULL && (rc = ecg_ready_prepare(r->check, h->notify_dir, sockname,
	    &extra, &socket)) < 0)
		return none_made(r, r->spec->ready.kind == ECG_READY_FD ? "readiness pipe" :
		    "notify socket", NULL, -rc, start_code);
	envp = build_env(r, socket, &pid_slot);
	if (envp == NULL)
		return none_made(r, "environment", NULL, ENOMEM, start_code);
	/* Its output: two pipes, or one pseudo-terminal for both (tty = yes). */
	if (r->spec->tty) {
		wr[1] = -1;
		rc = ecg_taskio_open_tty(&r->io, &wr[0], &h->winsize);
	} else {
		rc = ecg_taskio_open(&r->io, wr);
	}
	if (rc < 0) {
		free(envp);
		return none_made(r, r->spec->tty ? "pseudo-terminal" : "pipe", NULL, -rc,
		    start_code);
	}
	memset(&sp, 0, sizeof(sp));
	sp.path = r->program != NULL ? r->program : h->shell;
	sp.argv = r->words != NULL ? r->words : r->argv;
	sp.envp = envp;
	sp.cwd = r->spec->cwd_path;
	sp.stdin_fd = h->devnull;
	sp.stdout_fd = wr[0];
	sp.stderr_fd = wr[1] >= 0 ? wr[1] : wr[0];
	sp.ctty = r->spec->tty;
	sp.nofile = h->nofile;
	sp.pid_slot = pid_slot;
	sp.limits = limits;
	sp.nlimits = nlimits;
	ecg_config_spawn_as(r->spec->identity, &sp);
	sp.set_umask = r->spec->umask >= 0;
	sp.umask = (mode_t)(r->spec->umask >= 0 ? r->spec->umask : 0);
	if (extra >= 0) {
		sp.extra_fd = extra;
		sp.extra_to = r->spec->ready.fd;
	}
	if (r->script_argv != NULL) {
		sp.script_shell = h->shell;
		sp.script_argv = r->script_argv;
	}
	rc = ecg_proc_spawn(&r->proc, &sp, &f);
	free(envp);
	close(wr[0]);
	if (wr[1] >= 0)
		close(wr[1]);
	if (r->check != NULL)
		ecg_ready_spawned(r->check);
	if (rc < 0)
		return none_made(r, f.step, NULL, -rc, start_code);
	ecg_taskio_start(&r->io);
	if (f.step != NULL) {
		*start_code = start_failed(r, f.step,
		    strcmp(f.step, "chdir") == 0 ? r->spec->cwd : sp.path, f.err);
		return 0;
	}
	return 1;
}

static void
op_new_run(void *w)
{
	struct ecg_taskrun *r = w;

	ecg_proc_destroy(&r->proc);
	ecg_proc_init(&r->proc, r->env->loop, r->spec->stop_signal, r->spec->stop_timeout_ms,
	    &proc_hooks, r);
	r->stopper_ran = 0;
}

static void
op_check_begin(void *w)
{
	struct ecg_taskrun *r = w;

	if (r->check == NULL)
		return;
	if (r->spec->ready.kind == ECG_READY_LINE)
		ecg_taskio_tap(&r->io, tap_line, r);
	ecg_ready_begin(r->check, ecg_proc_pid(&r->proc));
}

static void
op_check_stop(void *w)
{
	struct ecg_taskrun *r = w;

	if (r->check != NULL)
		ecg_ready_stop(r->check);
	if (r->health != NULL)
		ecg_health_stop(r->health);
	ecg_taskio_tap(&r->io, NULL, NULL);
}

static void
op_check_end(void *w)
{
	struct ecg_taskrun *r = w;

	if (r->check != NULL)
		ecg_ready_end(r->check);
	if (r->health != NULL)
		ecg_health_stop(r->health);
	ecg_taskio_tap(&r->io, NULL, NULL);
}

static const char *
op_check_error(void *w)
{
	struct ecg_taskrun *r = w;

	return r->check != NULL && r->spec->ready.kind != ECG_READY_STARTED ?
	    ecg_ready_error(r->check) : NULL;
}

static void
op_health_begin(void *w)
{
	struct ecg_taskrun *r = w;

	if (r->health == NULL || !ecg_proc_running(&r->proc))
		return;
	if (r->check != NULL)
		ecg_ready_hear(r->check, ecg_proc_pid(&r->proc));
	ecg_health_begin(r->health, ecg_proc_pid(&r->proc));
}

static const char *
op_health_error(void *w)
{
	struct ecg_taskrun *r = w;

	return r->health != NULL ? ecg_health_error(r->health) : NULL;
}

static void
stopper_gone(struct ecg_proc *p, void *arg)
{
	(void)p;
	went(arg);
}

static const struct ecg_proc_hooks stopper_hooks = {
	.gone = stopper_gone,
};

/*
 * stop_command: run in the task's directory and environment, its output
 * into the task's pipes; SIGKILL after stop_timeout, as for the task.
 * 0, or -1 if it could not start (said).
 */
static int
run_stop_command(struct ecg_taskrun *r)
{
	struct ecg_taskrun_env *h = r->env;
	char *argv[4] = { r->argv[0], (char *)"-c", r->spec->stop_command, NULL };
	struct ecg_spawn sp;
	struct ecg_spawn_failure f = { 0 };
	struct ecg_event ev = { .type = ECG_EV_STOP_COMMAND, .step = "environment" };
	char **envp = build_env(r, NULL, NULL);
	int out = ecg_taskio_writer(&r->io, 1), err = ecg_taskio_writer(&r->io, 2), rc = -ENOMEM;

	r->stopper_ran = 1;
	if (envp != NULL) {
		memset(&sp, 0, sizeof(sp));
		sp.path = h->shell;
		sp.argv = argv;
		sp.envp = envp;
		sp.cwd = r->spec->cwd_path;
		sp.stdin_fd = h->devnull;
		sp.stdout_fd = out >= 0 ? out : h->devnull;
		sp.stderr_fd = err >= 0 ? err : h->devnull;
		sp.nofile = h->nofile;
		ecg_config_spawn_as(r->spec->identity, &sp);
		ecg_proc_destroy(r->stopper);
		ecg_proc_init(r->stopper, h->loop, SIGKILL, r->spec->stop_timeout_ms,
		    &stopper_hooks, r);
		rc = ecg_proc_spawn(r->stopper, &sp, &f);
		ev.step = f.step != NULL ? f.step : "fork";
	}
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	free(envp);
	if (rc < 0 || f.step != NULL) {
		ev.err = rc < 0 ? -rc : f.err;
		emit(r, &ev);
		if (rc >= 0)
			ecg_proc_kill(r->stopper);
		return -1;
	}
	ecg_proc_stop_asked(r->stopper);
	ev.pid = (long)ecg_proc_pid(r->stopper);
	emit(r, &ev);
	return 0;
}

static void
op_stop(void *w)
{
	struct ecg_taskrun *r = w;

	op_check_stop(r);
	/* Its stop_command asks it to stop; the bound is the same: SIGKILL after stop_timeout. */
	if (r->stopper != NULL && !r->stopper_ran && ecg_proc_running(&r->proc) &&
	    run_stop_command(r) == 0) {
		ecg_proc_stop_asked(&r->proc);
		return;
	}
	ecg_proc_stop(&r->proc);
}

static void
op_resize(void *w)
{
	struct ecg_taskrun *r = w;

	ecg_taskio_resize(&r->io, &r->env->winsize);
}

static void
op_signal(void *w, int sig)
{
	struct ecg_taskrun *r = w;

	ecg_proc_signal(&r->proc, sig);
}

static void
op_kill(void *w)
{
	struct ecg_taskrun *r = w;

	ecg_proc_kill(&r->proc);
}

static void
op_abandon(void *w)
{
	struct ecg_taskrun *r = w;

	ecg_proc_abandon(&r->proc);
	if (r->stopper != NULL && !ecg_proc_over(r->stopper))
		ecg_proc_abandon(r->stopper);
	if (r->check != NULL)
		ecg_ready_end(r->check);
	if (r->health != NULL)
		ecg_health_stop(r->health);
}

static int
op_gone(void *w)
{
	return run_gone(w);
}

static void
op_between(void *w)
{
	struct ecg_taskrun *r = w;

	ecg_taskio_break(&r->io);
}

static unsigned long
op_finish(void *w)
{
	struct ecg_taskrun *r = w;

	ecg_taskio_end(&r->io);
	return r->log != NULL ? (unsigned long)ecg_logfile_lost(r->log) : 0;
}

static pid_t
op_pid(void *w)
{
	struct ecg_taskrun *r = w;

	return ecg_proc_pid(&r->proc);
}

static int
op_running(void *w)
{
	struct ecg_taskrun *r = w;

	return ecg_proc_running(&r->proc);
}

static int
op_alive(void *w)
{
	struct ecg_taskrun *r = w;

	return ecg_proc_alive(&r->proc);
}

const struct ecg_task_ops ecg_taskrun_ops = {
	.spawn = op_spawn,
	.new_run = op_new_run,
	.check_begin = op_check_begin,
	.check_stop = op_check_stop,
	.check_end = op_check_end,
	.check_error = op_check_error,
	.health_begin = op_health_begin,
	.health_error = op_health_error,
	.resize = op_resize,
	.stop = op_stop,
	.signal = op_signal,
	.kill = op_kill,
	.abandon = op_abandon,
	.gone = op_gone,
	.between = op_between,
	.finish = op_finish,
	.pid = op_pid,
	.running = op_running,
	.alive = op_alive,
};

int
ecg_taskrun_init(struct ecg_taskrun *r, struct ecg_taskrun_env *env,
    const struct ecg_task_spec *spec, size_t index, int color,
    const struct ecg_taskrun_hooks *hooks, void *arg)
{
	const char *base;
	struct ecg_ready_probe_env pe;

	memset(r, 0, sizeof(*r));
	r->spec = spec;
	r->env = env;
	r->index = index;
	r->hooks = hooks;
	r->arg = arg;
	base = strrchr(env->shell, '/');
	r->argv[0] = (char *)(base != NULL ? base + 1 : env->shell);
	r->argv[1] = (char *)"-c";
	r->argv[2] = spec->command;
	r->argv[3] = NULL;
	pe = (struct ecg_ready_probe_env){
		.shell = env->shell, .shell_name = r->argv[0], .cwd = spec->cwd_path,
		.devnull = env->devnull, .nofile = env->nofile,
		.stop_signal = spec->stop_signal, .stop_timeout_ms = spec->stop_timeout_ms,
	};
	/* Everything that destroy touches is set up before anything can fail. */
	ecg_proc_init(&r->proc, env->loop, spec->stop_signal, spec->stop_timeout_ms,
	    &proc_hooks, r);
	ecg_taskio_init(&r->io, env->loop, env->pump, spec->name, color, env->buffer,
	    &io_hooks, r);
	ecg_taskio_share(&r->io, &env->tap_round);
	ecg_taskio_followed(&r->io, &env->follow, index);
	/* A stop_command's process and a log file: only for a task that has one. */
	if (spec->stop_command != NULL) {
		if ((r->stopper = malloc(sizeof(*r->stopper))) == NULL)
			return -ENOMEM;
		ecg_proc_init(r->stopper, env->loop, SIGKILL, spec->stop_timeout_ms,
		    &stopper_hooks, r);
	}
	if (spec->log_path != NULL) {
		if ((r->log = malloc(sizeof(*r->log))) == NULL)
			return -ENOMEM;
		ecg_logfile_init(r->log, spec->log_path, spec->log_max_size, spec->log_keep,
		    env->buffer);
		if (ecg_taskio_log(&r->io, r->log, ecg_pump_timestamps(env->pump)) < 0)
			return -ENOMEM;
	}
	if (env->direct && plain_program(r) < 0)
		return -ENOMEM;
	if (env->stderr_tail > 0 && ecg_taskio_keep_tail(&r->io, env->stderr_tail) < 0)
		return -ENOMEM;
	/* Only a task with a health check pays for one (a probe's buffers are large). */
	if (spec->health.check != NULL) {
		if ((r->health = malloc(sizeof(*r->health))) == NULL)
			return -ENOMEM;
		ecg_health_init(r->health, env->loop, spec, &pe, &health_hooks, r);
	}
	/* A watchdog's pings come to the notify socket a check of its own holds. */
	if (spec->ready.kind != ECG_READY_STARTED || (spec->health.check != NULL &&
	    spec->health.kind == ECG_READY_NOTIFY)) {
		r->check = malloc(sizeof(*r->check));
		if (r->check == NULL)
			return -ENOMEM;
		ecg_ready_init(r->check, env->loop, spec, &pe, &check_hooks, r);
	}
	return 0;
}

void
ecg_taskrun_destroy(struct ecg_taskrun *r)
{
	if (r->env == NULL)
		return;
	ecg_proc_destroy(&r->proc);
	if (r->stopper != NULL)
		ecg_proc_destroy(r->stopper);
	free(r->stopper);
	ecg_taskio_destroy(&r->io);
	if (r->log != NULL)
		ecg_logfile_destroy(r->log);
	free(r->log);
	if (r->check != NULL)
		ecg_ready_destroy(r->check);
	if (r->health != NULL)
		ecg_health_destroy(r->health);
	free(r->health);
	r->health = NULL;
	free(r->check);
	r->check = NULL;
	free(r->words);
	free(r->script_argv);
	r->words = NULL;
	r->program = NULL;
	r->script_argv = NULL;
}

void
ecg_taskrun_output_mark(const struct ecg_taskrun *r, int unread, struct ecg_pump_mark *m)
{
	ecg_taskio_mark(&r->io, unread, m);
}

uint64_t
ecg_taskrun_dropped(const struct ecg_taskrun *r, int stream)
{
	return ecg_taskio_dropped(&r->io, stream);
}

size_t
ecg_taskrun_stderr_tail(const struct ecg_taskrun *r, const char **bytes)
{
	return ecg_taskio_tail(&r->io, bytes);
}
