/*
 * minisup: the least a supervisor of a group can do, as a benchmark
 * baseline (what multirun does: no prefix, no pipes, no readiness).
 *
 *   minisup [-p] [-s] COMMAND [COMMAND...]
 *
 * Starts each COMMAND (words split on spaces, run with execvp, no shell)
 * in a process group of its own, its output ours; with -s, in a session of
 * its own, as ecg-run starts a task (with the kernel's automatic process
 * groups for the scheduler, a session is also a group of its own there,
 * made at the start and undone at the end).  With -p, a command's
 * stdout and stderr are each a pipe of its own that minisup reads (epoll)
 * and copies to its own, unchanged, until the command's end: what any
 * supervisor that prefixes or logs lines must at least do (two pipes a
 * task, read to their end and closed), as W2 measures.  When one ends with a
 * failure (or a signal), or minisup gets SIGTERM or SIGINT, every process
 * group left gets SIGTERM, and minisup exits, once all are reaped, with
 * the first failure's status (128 + N for a signal; 143 after a SIGTERM of
 * its own).  Exits 0 when every command exited 0.  It is linked against
 * the shared libraries, as a small C tool usually is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t stop_sig;

static void
on_stop(int sig)
{
	stop_sig = sig;
}

/* The words of cmd (split on spaces), NULL-terminated, in a fresh array. */
static char **
words(char *cmd)
{
	char **av = calloc(strlen(cmd) / 2 + 2, sizeof(*av));
	size_t n = 0;
	char *save = NULL, *w;

	if (av == NULL)
		return NULL;
	for (w = strtok_r(cmd, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		av[n++] = w;
	return av;
}

/* -s: a session for each command, not only a process group. */
static int sessions;

/*
 * Starts cmd in a process group (or session) of its own, with fa (or
 * none) and, with unmask, an empty signal mask: 0, or -1 once said.
 */
static int
start(char *cmd, const posix_spawn_file_actions_t *fa, int unmask, pid_t *pid)
{
	posix_spawnattr_t at;
	sigset_t none;
	char **av = words(cmd);
	int rc = 0;

	if (av == NULL || av[0] == NULL)
		return -1;
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, (sessions ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP) |
	    (unmask ? POSIX_SPAWN_SETSIGMASK : 0));
	posix_spawnattr_setpgroup(&at, 0);
	if (posix_spawnp(pid, av[0], fa, &at, av, environ) != 0) {
		fprintf(stderr, "minisup: cannot start %s\n", av[0]);
		rc = -1;
	}
	posix_spawnattr_destroy(&at);
	free(av);
	return rc;
}

/*
 * p ended with st: no longer one to stop; a failure, the first one, sets
 * status and stopping (1: SIGTERM still to send).
 */
static void
ended(pid_t *pids, int n, pid_t p, int st, int *status, int *stopping)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == p)
			pids[i] = 0;
	if (!*stopping && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		*stopping = 1;
	}
}

/* SIGTERM, once, to every process group left, when stopping says it is due. */
static void
stop_all(pid_t *pids, int n, int *stopping)
{
	int i;

	if (*stopping != 1)
		return;
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(-pids[i], SIGTERM);
	*stopping = 2;
}

/* Copies what fd holds to out; at its end closes it: returns 1 if it ended. */
static int
drain(int fd, int out)
{
	char buf[65536];
	ssize_t r, w, off;

	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 0;	/* EAGAIN: more later */
		if (r == 0) {
			close(fd);
			return 1;
		}
		for (off = 0; off < r; off += w)
			if ((w = write(out, buf + off, (size_t)(r - off))) < 0)
				return 0;
	}
}

/*
 * -p: the commands' output through pipes; SIGCHLD, SIGTERM and SIGINT
 * through a signalfd.  The same errgroup rule as without -p.
 */
static int
run_piped(int n, char **cmds)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), sfd, i, st, status = 0, stopping = 0;
	int left = 0, open_pipes = 0;
	struct epoll_event ev, evs[64];
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	sigset_t set;

	if (ep < 0 || pids == NULL)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)-1;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	for (i = 0; i < n; i++) {
		posix_spawn_file_actions_t fa;
		int out[2], err[2], s;

		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
			return 2;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, out[1], 1);
		posix_spawn_file_actions_adddup2(&fa, err[1], 2);
		if (start(cmds[i], &fa, 1, &pids[i]) < 0)
			return 2;
		posix_spawn_file_actions_destroy(&fa);
		close(out[1]);
		close(err[1]);
		for (s = 0; s < 2; s++) {
			int fd = s == 0 ? out[0] : err[0];
			fcntl(fd, F_SETFL, O_NONBLOCK);
			ev.events = EPOLLIN;
			ev.data.u64 = (uint64_t)fd << 1 | (uint64_t)s;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			open_pipes++;
		}
		left++;
	}
	while (left > 0 || open_pipes > 0) {
		int k, got = epoll_wait(ep, evs, 64, -1);

		for (k = 0; k < got; k++) {
			struct signalfd_siginfo si;
			pid_t p;

			if (evs[k].data.u64 != (uint64_t)-1) {
				int fd = (int)(evs[k].data.u64 >> 1);
				open_pipes -= drain(fd, evs[k].data.u64 & 1 ? 2 : 1);
				continue;
			}
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				if (si.ssi_signo != SIGCHLD && !stopping) {
					status = 128 + (int)si.ssi_signo;
					stopping = 1;
				}
			while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
				ended(pids, n, p, st, &status, &stopping);
				left--;
			}
		}
		stop_all(pids, n, &stopping);
	}
	free(pids);
	return status;
}

int
main(int argc, char **argv)
{
	int n, i, st, status = 0, stopping = 0, left = 0, piped = 0;
	pid_t *pids;
	struct sigaction sa;

	for (; argc > 1 && (strcmp(argv[1], "-p") == 0 || strcmp(argv[1], "-s") == 0); argc--, argv++)
		*(argv[1][1] == 'p' ? &piped : &sessions) = 1;
	n = argc - 1;
	if (n < 1) {
		fprintf(stderr, "usage: minisup [-p] [-s] COMMAND [COMMAND...]\n");
		return 2;
	}
	if (piped)
		return run_piped(n, argv + 1);
	pids = calloc((size_t)n, sizeof(*pids));
	if (pids == NULL)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		if (start(argv[i + 1], NULL, 0, &pids[i]) < 0)
			return 2;
		left++;
	}
	while (left > 0) {
		pid_t p = wait(&st);

		if (p < 0) {
			if (errno != EINTR)
				break;
		} else {
			ended(pids, n, p, st, &status, &stopping);
			left--;
		}
		if (!stopping && stop_sig != 0) {
			status = 128 + stop_sig;
			stopping = 1;
		}
		stop_all(pids, n, &stopping);
	}
	free(pids);
	return status;
}
