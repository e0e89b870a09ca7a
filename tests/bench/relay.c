/*
 * relay: the least a single-process supervisor can do with its tasks'
 * output, as a benchmark baseline.
 *
 *   relay [-l PREFIX] COMMAND [COMMAND...]
 *
 * Starts each COMMAND with "sh -c", its stdout a pipe, and copies whatever
 * arrives on the pipes to its own stdout with plain read(2) and write(2) of
 * up to 64 KiB: no prefix, no line handling (so lines written in pieces
 * may be torn), no memory bound beyond one buffer.  With -l, what the Nth
 * command (from 0) writes also goes to the file PREFIX.N, as it came: the
 * floor for a supervisor that keeps a log file per task.  Exits 0 when
 * every command exited 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "write_all.h"

#define MAX 256

extern char **environ;

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct pollfd pfd[MAX];
	int logs[MAX];
	const char *prefix = NULL;
	int n, open_pipes, i, st, worst = 0, first = 1;

	if (argc > 2 && strcmp(argv[1], "-l") == 0) {
		prefix = argv[2];
		first = 3;
	}
	n = argc - first;
	if (n < 1 || n > MAX) {
		fprintf(stderr, "usage: relay [-l PREFIX] COMMAND [COMMAND...] (at most %d)\n", MAX);
		return 2;
	}
	for (i = 0; i < n; i++) {
		posix_spawn_file_actions_t fa;
		char *av[] = { "sh", "-c", argv[first + i], NULL };
		int fds[2];
		pid_t pid;

		if (pipe2(fds, O_CLOEXEC) < 0)
			return 2;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
		if (posix_spawn(&pid, "/bin/sh", &fa, NULL, av, environ) != 0)
			return 2;
		posix_spawn_file_actions_destroy(&fa);
		close(fds[1]);
		pfd[i].fd = fds[0];
		pfd[i].events = POLLIN;
		logs[i] = -1;
		if (prefix != NULL) {
			char path[4096];
			snprintf(path, sizeof(path), "%s.%d", prefix, i);
			logs[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (logs[i] < 0) {
				perror(path);
				return 2;
			}
		}
	}
	for (open_pipes = n; open_pipes > 0;) {
		if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
			return 2;
		for (i = 0; i < n; i++) {
			ssize_t r;

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r > 0 && write_all(buf, (size_t)r) < 0)
				return 1;
			if (r > 0 && logs[i] >= 0 && write_fd_all(logs[i], buf, (size_t)r) < 0)
				return 1;
			if (r == 0 || (r < 0 && errno != EINTR)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_pipes--;
			}
		}
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			worst = 1;
	return worst;
}
