#define _GNU_SOURCE
#include "sys/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

enum { STEP_SETPGID = 1, STEP_SIGNALS, STEP_DUP2, STEP_CHDIR, STEP_EXEC, STEP_PARENT,
	STEP_RLIMIT, STEP_SETGROUPS, STEP_SETGID, STEP_SETUID, STEP_UNSHARE };

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
	case STEP_UNSHARE:
		return "unshare";
	default:
		return "exec";
	}
}

struct report {
	int step;
	int err;
};

/*
 * The child's code runs on a stack of its own (child_stack), which
 * AddressSanitizer would take for a stack it does not know: it is left
 * out of the instrumentation.
 */
#define CHILD_CODE __attribute__((no_sanitize_address))

/* In the child: tell the parent which step failed, then leave. */
CHILD_CODE static _Noreturn void
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
CHILD_CODE static _Noreturn void
child(const struct ecg_spawn *sp, int errfd, pid_t parent, int shared, int keep)
{
	struct sigaction sa;
	sigset_t empty;
	int sig;

	/*
	 * Started sharing ecg-run's descriptor table (see ecg_spawn_start):
	 * take a copy of its first keep descriptors only, before anything
	 * here changes one.  Without close_range's unshare (Linux before
	 * 5.9), a copy of the whole table, as fork makes.
	 */
	if (shared && syscall(SYS_close_range, (unsigned)keep, ~0U, CLOSE_RANGE_UNSHARE) < 0 &&
	    unshare(CLONE_FILES) < 0)
		child_fail(errfd, STEP_UNSHARE);

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

/*
 * The highest descriptor ecg-run was given open without close-on-exec
 * (its tasks inherit it, as a shell's children would), or -1; INT_MAX when
 * that cannot be known.  Every descriptor ecg-run opens itself is
 * close-on-exec, so, looked at before the first spawn, the ones without
 * it are the inherited ones.
 */
static int
inherited_max(void)
{
	static int known, max = -1;
	DIR *d;
	struct dirent *e;

	if (known)
		return max;
	known = 1;
	if ((d = opendir("/proc/self/fd")) == NULL) {
		max = INT_MAX;
		return max;
	}
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int flags;
		if (*end != '\0' || end == e->d_name || fd == dirfd(d) || fd > INT_MAX)
			continue;
		flags = fcntl((int)fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC) && fd > max)
			max = (int)fd;
	}
	closedir(d);
	return max;
}

int
ecg_spawn_park_fd(int fd)
{
	int high;

	if (fd < 0 || fd >= ECG_SPAWN_PARK_BASE)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, ECG_SPAWN_PARK_BASE);
	if (high < 0)
		return fd;	/* no room up there (a low descriptor limit): it stays */
	close(fd);
	return high;
}

/*
 * Whether we run under valgrind, which ends the whole process at a clone
 * it does not know (CLONE_FILES with CLONE_VFORK) instead of failing it:
 * it puts its preload libraries in LD_PRELOAD, even for a static program.
 */
static int
under_valgrind(void)
{
	static int known, yes;
	const char *pre;

	if (!known) {
		pre = getenv("LD_PRELOAD");
		yes = pre != NULL && strstr(pre, "/vgpreload_") != NULL;
		known = 1;
	}
	return yes;
}

/*
 * The stack a child started by clone runs on until it execs: one, made
 * at the first spawn, with a guard page below it.  Spawns are one at a
 * time (ecg-run is one thread), and each child is done with it when
 * clone returns in the parent.
 */
#define CHILD_STACK ((size_t)64 * 1024)

static void *
child_stack(void)
{
	static char *top;
	long page = sysconf(_SC_PAGESIZE);
	char *base;

	if (top != NULL)
		return top;
	if (page <= 0)
		page = 4096;
	base = mmap(NULL, CHILD_STACK + (size_t)page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	mprotect(base, (size_t)page, PROT_NONE);
	top = base + CHILD_STACK + (size_t)page;
	return top;
}

struct clone_arg {
	const struct ecg_spawn *sp;
	int errfd;
	pid_t parent;
	int keep;
	volatile int *borrowed;
};

CHILD_CODE static int
clone_child(void *arg)
{
	const struct clone_arg *a = arg;

	*a->borrowed = 1;
	child(a->sp, a->errfd, a->parent, 1, a->keep);
}

int
ecg_spawn_start(const struct ecg_spawn *sp, pid_t *pid, struct ecg_spawn_failure *failure)
{
	sigset_t all, old;
	struct report r;
	volatile int borrowed;
	int errpipe[2], saved, keep;
	pid_t p, self = getpid();
	ssize_t n;
	void *stack;

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
	/*
	 * A vfork that shares our descriptor table too (CLONE_FILES): the
	 * child's first step copies only the descriptors below keep, those
	 * it passes on, instead of the whole table, which a group of
	 * thousands of tasks fills with their pipes (ecg-run keeps those
	 * above ECG_SPAWN_PARK_BASE).  Copying and then closing them all at
	 * exec was most of what a start cost at 5,000 tasks.  Where that
	 * clone is refused (an emulator), or under valgrind, a plain vfork.
	 */
	keep = inherited_max();
	if (keep < INT_MAX) {
		const int fds[] = { sp->stdin_fd, sp->stdout_fd, sp->stderr_fd, errpipe[1],
			sp->extra_to > 2 ? sp->extra_fd : -1, 2 };
		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] > keep)
				keep = fds[i];
		keep++;
	}
	borrowed = 0;
	p = -1;
	errno = EINVAL;
	stack = keep < INT_MAX && !under_valgrind() ? child_stack() : NULL;
	if (stack != NULL) {
		struct clone_arg a = { sp, errpipe[1], self, keep, &borrowed };
		p = clone(clone_child, stack, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &a);
	}
	if (p < 0 && errno == EINVAL) {
		p = vfork();	/* NOLINT(clang-analyzer-security.insecureAPI.vfork) */
		if (p == 0) {
			borrowed = 1;	/* NOLINT(clang-analyzer-unix.Vfork): read by the parent */
			child(sp, errpipe[1], self, 0, 0);
		}
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
