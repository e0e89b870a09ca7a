/*
 * escapees: processes that left their task's process group.
 *
 * A double fork, setsid(1) or a daemonizing script takes a process out of
 * its task's process group, out of reach of kill(-pgid).  ecg-run is a
 * child subreaper, so such a process becomes ecg-run's child once its
 * parent is gone; here we find those children (every child of ours that
 * is not a task's main process), tell which task each came from by the
 * ECG_RUN_TASK variable it inherited, and hold each by a pidfd where the
 * kernel has them: a signal then reaches that very process, never one
 * that was given its pid after it was reaped.
 */
#ifndef ECG_ESCAPEES_H
#define ECG_ESCAPEES_H

#include <stddef.h>
#include <sys/types.h>

/* Most escapees tracked at once; more are found again on the next scan. */
#define ECG_ESCAPEES_MAX 4096

struct ecg_escapee {
	pid_t pid;
	int fd;			/* a pidfd on it, -1 where the kernel has none */
	long task;		/* the task it came from (an index), -1 when unknown */
};

/* The escapees as last scanned. */
struct ecg_escapees {
	struct ecg_escapee *list;
	size_t n;
};

/* Maps the ECG_RUN_TASK an escapee inherited to a task index, or -1. */
typedef long (*ecg_escapees_task_fn)(const char *name, void *arg);

void ecg_escapees_init(struct ecg_escapees *set);
/* Lets go of every escapee (closes the pidfds). */
void ecg_escapees_destroy(struct ecg_escapees *set);

/*
 * Finds the escapees again: the children of self that are not in mains
 * (sorted ascending).  Known ones keep their pidfd and task; new ones are
 * looked up with task_of.  0, or -errno (the set is then unchanged).
 */
int ecg_escapees_rescan(struct ecg_escapees *set, pid_t self, const pid_t *mains,
    size_t nmains, ecg_escapees_task_fn task_of, void *arg);

/* Whether it is still there (a zombie not yet reaped counts). */
int ecg_escapee_alive(const struct ecg_escapee *e);
/* Sends sig to it and, if it leads one, to its process group. */
void ecg_escapee_signal(const struct ecg_escapee *e, int sig);

/*
 * Takes hold of pid, a child of self: 0, or -ESRCH when it is gone or no
 * longer ours (its pid may already name another process).
 */
int ecg_escapee_open(struct ecg_escapee *e, pid_t pid, pid_t self);
void ecg_escapee_close(struct ecg_escapee *e);

/*
 * Reads a whole list of pids (a /proc children file, however long) and
 * returns, in a malloc'd *out, those not in mains (sorted): their count,
 * or -errno.
 */
long ecg_escapees_read_list(const char *path, const pid_t *mains, size_t nmains, pid_t **out);

/*
 * The children of self in process group pgid, sorted: what a task left
 * running when its main process ended (its orphans come to us, a child
 * subreaper).  Their count with the pids in a malloc'd *out, or -errno.
 */
long ecg_escapees_in_group(pid_t self, pid_t pgid, pid_t **out);
/* The parent and the process group of pid (/proc/PID/stat): 0 or -errno. */
int ecg_escapees_stat(pid_t pid, pid_t *ppid, pid_t *pgrp);
/* The program name of pid (/proc/PID/comm), into buf: 0 or -errno. */
int ecg_escapees_comm(pid_t pid, char *buf, size_t len);

/* The task a process belongs to, from its environment: 0, or -errno. */
int ecg_escapees_task_of(pid_t pid, char *name, size_t len);

#endif
