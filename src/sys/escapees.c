#define _GNU_SOURCE
#include "sys/escapees.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* How much of a process's environment is looked at for ECG_RUN_TASK. */
#define ENVIRON_MAX ((size_t)256 * 1024)

/* Longest task name looked up (config.h's limit, with room to spare). */
#define NAME_MAX_LEN 128

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

/* Reads a whole file into a malloc'd, NUL-terminated buffer: its length, or -errno. */
static ssize_t
slurp(const char *path, size_t max, char **text)
{
	size_t cap = 4096, got = 0;
	char *buf = malloc(cap), *p;
	ssize_t n;
	int fd, err;

	if (buf == NULL)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(buf);
		return -err;
	}
	for (;;) {
		if (got + 1 >= cap) {
			if (cap >= max)
				break;
			cap = cap * 2 < max ? cap * 2 : max;
			p = realloc(buf, cap);
			if (p == NULL) {
				close(fd);
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	return (ssize_t)got;
}

int
ecg_escapees_stat(pid_t pid, pid_t *ppid, pid_t *pgrp)
{
	char path[64], buf[512], *close_paren, *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The name in parentheses may hold anything: what follows the last ')' counts. */
	close_paren = strrchr(buf, ')');
	if (close_paren == NULL || close_paren[1] == '\0' || close_paren[2] == '\0')
		return -ESRCH;
	/* ") S PPID PGRP ..." */
	*ppid = (pid_t)strtol(close_paren + 4, &end, 10);
	*pgrp = (pid_t)strtol(end, NULL, 10);
	return 0;
}

/* The parent pid, or -1. */
static pid_t
parent_of(pid_t pid)
{
	pid_t ppid = -1, pgrp = -1;

	return ecg_escapees_stat(pid, &ppid, &pgrp) == 0 ? ppid : -1;
}

static int
add(pid_t pid, const pid_t *mains, size_t nmains, pid_t **out, size_t *n, size_t *cap)
{
	pid_t *p;

	if (pid <= 0 || is_main(pid, mains, nmains))
		return 0;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		p = realloc(*out, *cap * sizeof(**out));
		if (p == NULL)
			return -ENOMEM;
		*out = p;
	}
	(*out)[(*n)++] = pid;
	return 0;
}

long
ecg_escapees_read_list(const char *path, const pid_t *mains, size_t nmains, pid_t **out)
{
	size_t n = 0, cap = 0;
	char *text = NULL, *p, *end;
	ssize_t len = slurp(path, (size_t)64 << 20, &text);
	long pid;

	*out = NULL;
	if (len < 0 || text == NULL)
		return len < 0 ? (long)len : -ENOMEM;
	for (p = text;; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (add((pid_t)pid, mains, nmains, out, &n, &cap) < 0) {
			free(text);
			free(*out);
			*out = NULL;
			return -ENOMEM;
		}
	}
	free(text);
	return (long)n;
}

/* Every child of self not in mains, from the kernel's list or else from /proc. */
static long
children(pid_t self, const pid_t *mains, size_t nmains, pid_t **out)
{
	size_t n = 0, cap = 0;
	char path[64];
	struct dirent *de;
	long count;
	DIR *dir;

	/* Cheap where the kernel keeps the list (CONFIG_PROC_CHILDREN). */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)self, (int)self);
	count = ecg_escapees_read_list(path, mains, nmains, out);
	if (count != -ENOENT)
		return count;
	/* Otherwise every process's parent is looked at. */
	*out = NULL;
	dir = opendir("/proc");
	if (dir == NULL)
		return -errno;
	while ((de = readdir(dir)) != NULL) {
		pid_t pid;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (parent_of(pid) == self && add(pid, mains, nmains, out, &n, &cap) < 0) {
			closedir(dir);
			free(*out);
			*out = NULL;
			return -ENOMEM;
		}
	}
	closedir(dir);
	return (long)n;
}

int
ecg_escapee_open(struct ecg_escapee *e, pid_t pid, pid_t self)
{
	e->pid = pid;
	e->task = -1;
#ifdef SYS_pidfd_open
	e->fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (e->fd < 0 && errno == ESRCH)
		return -ESRCH;
#else
	e->fd = -1;
#endif
	/*
	 * Held now (or without a pidfd, where the kernel has none or we are
	 * out of descriptors): it must still be our child, or the pid we
	 * read may already be another process's.
	 */
	if (parent_of(pid) != self) {
		ecg_escapee_close(e);
		return -ESRCH;
	}
	return 0;
}

void
ecg_escapee_close(struct ecg_escapee *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

/* kill(2) through the pidfd when there is one. */
static int
escapee_kill(const struct ecg_escapee *e, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (e->fd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, e->fd, sig, NULL, 0);
#endif
	return kill(e->pid, sig);
}

int
ecg_escapee_alive(const struct ecg_escapee *e)
{
	return escapee_kill(e, 0) == 0;
}

void
ecg_escapee_signal(const struct ecg_escapee *e, int sig)
{
	/*
	 * Its process group cannot be reached through the pidfd: it is
	 * signalled while the leader is known to be there (a group outlives
	 * its leader only in the moment the leader is being reaped).
	 */
	if (!ecg_escapee_alive(e))
		return;
	if (getpgid(e->pid) == e->pid)
		kill(-e->pid, sig);
	escapee_kill(e, sig);
}

void
ecg_escapees_init(struct ecg_escapees *set)
{
	set->list = NULL;
	set->n = 0;
}

void
ecg_escapees_destroy(struct ecg_escapees *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		ecg_escapee_close(&set->list[i]);
	free(set->list);
	set->list = NULL;
	set->n = 0;
}

int
ecg_escapees_rescan(struct ecg_escapees *set, pid_t self, const pid_t *mains,
    size_t nmains, ecg_escapees_task_fn task_of, void *arg)
{
	struct ecg_escapee *list;
	char name[NAME_MAX_LEN];
	size_t i, j, n = 0;
	pid_t *pids;
	long count = children(self, mains, nmains, &pids);

	if (count < 0)
		return (int)count;
	if ((size_t)count > ECG_ESCAPEES_MAX)
		count = ECG_ESCAPEES_MAX;
	list = calloc((size_t)count + 1, sizeof(*list));
	if (list == NULL) {
		free(pids);
		return -ENOMEM;
	}
	for (i = 0; pids != NULL && i < (size_t)count; i++) {
		struct ecg_escapee *e = &list[n];
		for (j = 0; j < set->n && set->list[j].pid != pids[i]; j++)
			;
		if (j < set->n) {
			/* known: it keeps its pidfd and its task */
			*e = set->list[j];
			set->list[j].fd = -1;
		} else if (ecg_escapee_open(e, pids[i], self) != 0) {
			continue;
		}
		/*
		 * Looked up until found: in the middle of an execve a process's
		 * environment reads as empty.
		 */
		if (e->task < 0 && task_of != NULL &&
		    ecg_escapees_task_of(pids[i], name, sizeof(name)) == 0)
			e->task = task_of(name, arg);
		n++;
	}
	free(pids);
	ecg_escapees_destroy(set);
	set->list = list;
	set->n = n;
	return 0;
}

long
ecg_escapees_in_group(pid_t self, pid_t pgid, pid_t **out)
{
	long count = children(self, NULL, 0, out), i, n = 0;

	for (i = 0; *out != NULL && i < count; i++)
		if (getpgid((*out)[i]) == pgid)
			(*out)[n++] = (*out)[i];
	return count < 0 ? count : n;
}

int
ecg_escapees_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int
ecg_escapees_task_of(pid_t pid, char *name, size_t len)
{
	static const char var[] = "ECG_RUN_TASK=";
	char path[64], *buf = NULL, *p, *end;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	n = slurp(path, ENVIRON_MAX, &buf);
	if (n < 0 || buf == NULL)
		return n < 0 ? (int)n : -ENOMEM;
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
