/*
 * minisup: the least a supervisor of a group can do, as a benchmark
 * baseline (what multirun does: no prefix, no pipes, no readiness).
 *
 *   minisup COMMAND [COMMAND...]
 *
 * Starts each COMMAND (words split on spaces, run with execvp, no shell)
 * in a process group of its own, its output ours.  When one ends with a
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
main(int argc, char **argv)
{
	int n = argc - 1, i, st, status = 0, stopping = 0, left = 0;
	pid_t *pids;
	struct sigaction sa;

	if (n < 1) {
		fprintf(stderr, "usage: minisup COMMAND [COMMAND...]\n");
		return 2;
	}
	pids = calloc((size_t)n, sizeof(*pids));
	if (pids == NULL)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		posix_spawnattr_t at;
		char **av = words(argv[i + 1]);

		if (av == NULL || av[0] == NULL)
			return 2;
		posix_spawnattr_init(&at);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&at, 0);
		if (posix_spawnp(&pids[i], av[0], NULL, &at, av, environ) != 0) {
			fprintf(stderr, "minisup: cannot start %s\n", av[0]);
			return 2;
		}
		posix_spawnattr_destroy(&at);
		free(av);
		left++;
	}
	while (left > 0) {
		pid_t p = wait(&st);

		if (p < 0) {
			if (errno != EINTR)
				break;
		} else {
			for (i = 0; i < n; i++)
				if (pids[i] == p)
					pids[i] = 0;
			left--;
			if (!stopping && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
				stopping = 1;
			}
		}
		if (!stopping && stop_sig != 0) {
			status = 128 + stop_sig;
			stopping = 1;
		}
		if (stopping == 1) {
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(-pids[i], SIGTERM);
			stopping = 2;
		}
	}
	free(pids);
	return status;
}
