#define _GNU_SOURCE
#include "sys/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { STEP_SETPGID = 1, STEP_SIGNALS, STEP_DUP2, STEP_CHDIR, STEP_EXEC, STEP_PARENT,
	STEP_RLIMIT, STEP_SETGROUPS, STEP_SETGID, STEP_SETUID };

static const char *
step_name(int step)
{
	switch (step) {
	case STEP_SETPGID:
		return "setsid";
	case STEP_SIGNALS:
		return "reset signals";
	case STEP_DUP2:
		return "dup2";
	case STEP_CHDIR:
		return "chdir";
	case STEP_PARENT:
		return "prctl";
	case STEP_RLIMIT:
		return "setrlimit";
	case STEP_SETGROUPS:
		return "setgroups";
	case STEP_SETGID:
		return "setgid";
	case STEP_SETUID:
		return "setuid";
	default:
		return "exec";
	}
}

struct report {
	int step;
	int err;
};

/* In the child: tell the parent which step failed, then leave. */
static _Noreturn void
child_fail(int fd, int step)
{
	struct report r = { step, errno };
	ssize_t n;

	do
		n = write(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

/*
 * The child starts with the parent's signal mask (everything blocked, see
 * below) and handlers; libev leaves both unspecified, so each signal gets
 * its default action back and the mask is emptied just before exec.
 */
static _Noreturn void
child(const struct ecg_spawn *sp, int errfd, pid_t parent)
{
	struct sigaction sa;
	sigset_t empty;
	int sig;

	/*
	 * A session of its own, hence a process group of its own, and no
	 * controlling terminal: a task that reads /dev/tty (a password
	 * prompt of sudo, ssh or git) fails at once instead of being stopped
	 * by SIGTTIN, and the group would hang silently.
	 */
	if (setsid() < 0)
		child_fail(errfd, STEP_SETPGID);
	/* If ecg-run died before this line, nobody would ever stop us. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_fail(errfd, STEP_PARENT);
	if (getppid() != parent) {
		errno = ESRCH;
		child_fail(errfd, STEP_PARENT);
	}
	if (sp->nofile != NULL && setrlimit(RLIMIT_NOFILE, sp->nofile) < 0)
		child_fail(errfd, STEP_RLIMIT);
	for (size_t i = 0; i < sp->nlimits; i++)
		if (setrlimit(sp->limits[i].resource, &sp->limits[i].rl) < 0)
			child_fail(errfd, STEP_RLIMIT);
	if (sp->set_umask)
		umask(sp->umask);
	/*
	 * Another user: its groups, its group, then its uid (raw system
	 * calls: this process alone).  The limits above were set while it
	 * could still raise them; a change of credentials clears the parent
	 * death signal, so it is set again.
	 */
	if (sp->set_ids) {
		if (syscall(SYS_setgroups, sp->ngroups, sp->groups) < 0)
			child_fail(errfd, STEP_SETGROUPS);
		if (syscall(SYS_setresgid, sp->gid, sp->gid, sp->gid) < 0)
			child_fail(errfd, STEP_SETGID);
		if (syscall(SYS_setresuid, sp->uid, sp->uid, sp->uid) < 0)
			child_fail(errfd, STEP_SETUID);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			child_fail(errfd, STEP_PARENT);
		if (getppid() != parent) {
			errno = ESRCH;
			child_fail(errfd, STEP_PARENT);
		}
	}
	if (sp->pid_slot != NULL) {
		/* Its own pid, for the environment it gets (async-signal-safe digits). */
		char digits[24];
		long pid = (long)getpid();
		int n = 0, i;
		do
			digits[n++] = (char)('0' + pid % 10);
		while ((pid /= 10) > 0);
		for (i = 0; i < n; i++)
			sp->pid_slot[i] = digits[n - 1 - i];
		sp->pid_slot[n] = '\0';
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	if (dup2(sp->stdin_fd, 0) < 0 || dup2(sp->stdout_fd, 1) < 0 ||
	    dup2(sp->stderr_fd, 2) < 0)
		child_fail(errfd, STEP_DUP2);
	if (sp->extra_to > 2) {
		/* The report pipe may hold the number the extra one must have. */
		if (errfd == sp->extra_to && (errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3)) < 0)
			child_fail(sp->extra_to, STEP_DUP2);
		/* dup2 onto itself would leave close-on-exec set. */
		if (sp->extra_fd == sp->extra_to) {
			if (fcntl(sp->extra_to, F_SETFD, 0) < 0)
				child_fail(errfd, STEP_DUP2);
		} else if (dup2(sp->extra_fd, sp->extra_to) < 0)
			child_fail(errfd, STEP_DUP2);
	}
	/* A terminal of its own (tty = yes): its controlling terminal, in its new session. */
	if (sp->ctty && ioctl(1, TIOCSCTTY, 0) < 0)
		child_fail(errfd, STEP_DUP2);
	if (sp->cwd != NULL && chdir(sp->cwd) < 0)
		child_fail(errfd, STEP_CHDIR);
	sigemptyset(&empty);
	if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
		child_fail(errfd, STEP_SIGNALS);
	execve(sp->path, sp->argv, sp->envp);
	if (errno == ENOEXEC && sp->script_shell != NULL)
		execve(sp->script_shell, sp->script_argv, sp->envp);
	child_fail(errfd, STEP_EXEC);
}

int
ecg_spawn_start(const struct ecg_spawn *sp, pid_t *pid, struct ecg_spawn_failure *failure)
{
	sigset_t all, old;
	struct report r;
	volatile int borrowed;
	int errpipe[2], saved;
	pid_t p, self = getpid();
	ssize_t n;

	failure->step = "pipe";
	failure->err = 0;
	if (pipe2(errpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	failure->step = "fork";
	/*
	 * Block every signal across fork: a signal arriving before the child
	 * has reset its handlers would otherwise run ecg-run's handler in the
	 * child, which writes to the loop's wake-up descriptor it shares.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/*
	 * vfork: the child borrows our memory until it execs or exits, so
	 * starting a task costs no copy of our page tables and no
	 * copy-on-write faults afterwards, and we resume once the exec is
	 * done.  child() never returns and touches nothing of ours but the
	 * error pipe (where a fork-like vfork, under valgrind, still works).
	 */
	/*
	 * posix_spawn cannot set PR_SET_PDEATHSIG or give back RLIMIT_NOFILE,
	 * hence vfork and child() below (only async-signal-safe calls).  The
	 * one store the child makes to our memory is the flag that tells a
	 * true vfork from a fork-like one.
	 */
	borrowed = 0;
	p = vfork();	/* NOLINT(clang-analyzer-security.insecureAPI.vfork) */
	if (p == 0) {
		borrowed = 1;	/* NOLINT(clang-analyzer-unix.Vfork): read by the parent */
		child(sp, errpipe[1], self);
	}
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(errpipe[1]);
	if (p < 0) {
		close(errpipe[0]);
		return -saved;
	}
	failure->step = NULL;
	/*
	 * A true vfork resumes us once the child has passed the point of no
	 * return of exec, or has written its report and exited: the report
	 * is there or will never come.  A vfork that behaves like fork (under
	 * valgrind) needs the wait for end of file or a report.
	 */
	if (!borrowed) {
		struct pollfd pfd = { errpipe[0], POLLIN, 0 };
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
	}
	do
		n = read(errpipe[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == (ssize_t)sizeof(r)) {
		failure->step = step_name(r.step);
		failure->err = r.err;
	}
	*pid = p;
	return 0;
}

/* execve would accept it: a regular file we may execute. */
static int
executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) == 0 ? 0 : -errno;
}

int
ecg_spawn_which(const char *name, char *buf, size_t len)
{
	return ecg_spawn_which_in(name, getenv("PATH"), buf, len);
}

int
ecg_spawn_which_in(const char *name, const char *path, char *buf, size_t len)
{
	const char *p, *colon;
	size_t n;

	if (strchr(name, '/') != NULL) {
		if (snprintf(buf, len, "%s", name) >= (int)len)
			return -ENAMETOOLONG;
		return executable(buf);
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = colon + 1) {
		colon = strchr(p, ':');
		n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (snprintf(buf, len, "%.*s/%s", (int)n, n > 0 ? p : ".", name) < (int)len &&
		    executable(buf) == 0)
			return 0;
		if (colon == NULL)
			return -ENOENT;
	}
}
