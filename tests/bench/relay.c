/*
 * relay: the least a single-process supervisor can do with its tasks'
 * output, as a benchmark baseline.
 *
 *   relay [-l PREFIX | -p] COMMAND [COMMAND...]
 *
 * Starts each COMMAND with "sh -c", its stdout a pipe, and copies whatever
 * arrives on the pipes to its own stdout with plain read(2) and write(2) of
 * up to 64 KiB: no prefix, no line handling (so lines written in pieces
 * may be torn), no memory bound beyond one buffer.  With -l, what the Nth
 * command (from 0) writes also goes to the file PREFIX.N, as it came: the
 * floor for a supervisor that keeps a log file per task.  With -p, every
 * whole line goes out with the prefix "tN | " (N from 0, as wide as the
 * largest), a line cut across reads is held until its end: the floor for
 * a supervisor that prefixes lines (one memchr and one copy a line, as few
 * write(2)s as the 64 KiB reads allow).  Exits 0 when every command exited 0.
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
#define CHUNK 65536

extern char **environ;

/* -p: a task's bytes not yet out (a line not yet ended) */
struct held {
	char *buf;	/* CHUNK for the read, CHUNK for what is held */
	size_t len;
};

static char out[4 * CHUNK];
static size_t out_len;

static int
flush_out(void)
{
	int rc = write_all(out, out_len);

	out_len = 0;
	return rc;
}

/*
 * Reads once from fd into h; sends its whole lines, each after prefix:
 * the bytes read (0 at the end: what is held goes out with a newline), or -1.
 */
static ssize_t
relay_lines(int fd, struct held *h, const char *prefix, size_t plen)
{
	ssize_t r = read(fd, h->buf + h->len, CHUNK);
	char *p = h->buf, *end, *nl;

	if (r < 0)
		return -1;
	end = h->buf + h->len + r;
	if (r == 0 && h->len > 0)
		*end++ = '\n';	/* the last line, unended */
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t ll = (size_t)(nl + 1 - p);
		if (out_len + plen + ll > sizeof(out) && flush_out() < 0)
			return -1;
		memcpy(out + out_len, prefix, plen);
		memcpy(out + out_len + plen, p, ll);
		out_len += plen + ll;
		p = nl + 1;
	}
	h->len = (size_t)(end - p);
	if (h->len >= CHUNK) {	/* a line longer than a read: out as it is */
		if (flush_out() < 0 || write_all(prefix, plen) < 0 || write_all(p, h->len) < 0)
			return -1;
		h->len = 0;
	} else {
		memmove(h->buf, p, h->len);
	}
	if (flush_out() < 0)
		return -1;
	return r;
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	static struct held held[MAX];
	static char pfx[MAX][16];
	struct pollfd pfd[MAX];
	int logs[MAX];
	const char *prefix = NULL;
	int n, open_pipes, i, st, worst = 0, first = 1, lines = 0, width;

	if (argc > 2 && strcmp(argv[1], "-l") == 0) {
		prefix = argv[2];
		first = 3;
	} else if (argc > 1 && strcmp(argv[1], "-p") == 0) {
		lines = 1;
		first = 2;
	}
	n = argc - first;
	if (n < 1 || n > MAX) {
		fprintf(stderr, "usage: relay [-l PREFIX | -p] COMMAND [COMMAND...] (at most %d)\n", MAX);
		return 2;
	}
	width = snprintf(NULL, 0, "t%d", n - 1);
	for (i = 0; lines && i < n; i++) {
		snprintf(pfx[i], sizeof(pfx[i]), "t%-*d | ", width - 1, i);
		if ((held[i].buf = malloc(2 * CHUNK + 1)) == NULL)
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
			if (lines) {
				r = relay_lines(pfd[i].fd, &held[i], pfx[i], strlen(pfx[i]));
				if (r < 0 && errno != EINTR && errno != EAGAIN)
					return 1;
				if (r == 0) {
					close(pfd[i].fd);
					pfd[i].fd = -1;
					open_pipes--;
				}
				continue;
			}
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
