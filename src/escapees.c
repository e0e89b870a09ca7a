#define _GNU_SOURCE
#include "escapees.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How much of a process's environment is looked at for ECG_RUN_TASK. */
#define ENVIRON_MAX ((size_t)256 * 1024)

static int
is_main(pid_t pid, const pid_t *mains, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mains[mid] == pid)
			return 1;
		if (mains[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static ssize_t
read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1 && (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

static long
add(pid_t pid, const pid_t *mains, size_t nmains, pid_t *out, size_t max, long count)
{
	if (is_main(pid, mains, nmains))
		return count;
	if ((size_t)count < max)
		out[count] = pid;
	return count + 1;
}

/* The parent pid from /proc/PID/stat; the name in parentheses may hold anything. */
static pid_t
parent_of(pid_t pid)
{
	char path[64], buf[512], *close;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	close = strrchr(buf, ')');
	if (close == NULL || close[1] == '\0' || close[2] == '\0')
		return -1;
	/* ") S PPID ..." */
	return (pid_t)strtol(close + 4, NULL, 10);
}

long
ecg_escapees_scan(pid_t self, const pid_t *mains, size_t nmains, pid_t *out, size_t max)
{
	char path[64], *buf, *p, *end;
	struct dirent *de;
	long count = 0;
	DIR *dir;

	/* Cheap where the kernel keeps the list (CONFIG_PROC_CHILDREN). */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)self, (int)self);
	buf = malloc(65536);
	if (buf != NULL && read_file(path, buf, 65536) >= 0) {
		for (p = buf;; p = end) {
			long pid = strtol(p, &end, 10);
			if (end == p)
				break;
			count = add((pid_t)pid, mains, nmains, out, max, count);
		}
		free(buf);
		return count;
	}
	free(buf);
	/* Otherwise every process's parent is looked at. */
	dir = opendir("/proc");
	if (dir == NULL)
		return -errno;
	while ((de = readdir(dir)) != NULL) {
		pid_t pid;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (parent_of(pid) == self)
			count = add(pid, mains, nmains, out, max, count);
	}
	closedir(dir);
	return count;
}

int
ecg_escapees_task_of(pid_t pid, char *name, size_t len)
{
	static const char var[] = "ECG_RUN_TASK=";
	char path[64], *buf, *p, *end;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	buf = malloc(ENVIRON_MAX);
	if (buf == NULL)
		return -ENOMEM;
	n = read_file(path, buf, ENVIRON_MAX);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	end = buf + n;
	for (p = buf; p < end; p += strlen(p) + 1) {
		if (strncmp(p, var, sizeof(var) - 1) == 0) {
			snprintf(name, len, "%s", p + sizeof(var) - 1);
			free(buf);
			return 0;
		}
	}
	free(buf);
	return -ENOENT;
}

void
ecg_escapees_signal(pid_t pid, int sig)
{
	if (getpgid(pid) == pid)
		kill(-pid, sig);
	kill(pid, sig);
}
