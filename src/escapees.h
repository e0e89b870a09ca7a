/*
 * escapees: processes that left their task's process group.
 *
 * A double fork, setsid(1) or a daemonizing script takes a process out of
 * its task's process group, out of reach of kill(-pgid).  ecg-run is a
 * child subreaper, so such a process becomes ecg-run's child once its
 * parent is gone; here we find those children (every child of ours that
 * is not a task's main process) and tell which task each came from, by
 * the ECG_RUN_TASK variable it inherited.
 */
#ifndef ECG_ESCAPEES_H
#define ECG_ESCAPEES_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes into out (at most max) the children of self that are not in
 * mains (sorted ascending).  Returns how many there are (possibly more
 * than max), or -errno.
 */
long ecg_escapees_scan(pid_t self, const pid_t *mains, size_t nmains, pid_t *out, size_t max);

/* The task a process belongs to, from its environment: 0, or -errno. */
int ecg_escapees_task_of(pid_t pid, char *name, size_t len);

/* Sends sig to the process and, if it leads one, to its process group. */
void ecg_escapees_signal(pid_t pid, int sig);

#endif
