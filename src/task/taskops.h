/*
 * taskops: what a task's actions do outside the task's own record, as a
 * table of functions: the seam between the transition table (task.c) and
 * the system (taskrun.c: processes, pipes, readiness checks, log files).
 * A unit test gives a task a fake world and drives it through every cell
 * without a process (as entr does for its system calls).
 *
 * Every function takes the world the task was given.
 */
#ifndef ECG_TASKOPS_H
#define ECG_TASKOPS_H

#include <sys/types.h>

struct ecg_task_ops {
	/*
	 * Makes a run's process: 1 if its program runs, 0 if a child was
	 * made that cannot become it (it exits by itself, 126 or 127), -1 if
	 * none was made.  *start_code gets 126 or 127 when it cannot be its
	 * command (said as an event already), else 0.
	 */
	int (*spawn)(void *w, int *start_code);
	/* The last run's process is forgotten: a new run begins. */
	void (*new_run)(void *w);
	/* Its program runs: its readiness check begins (unless ready = started). */
	void (*check_begin)(void *w);
	/* Its check passed: checking stops. */
	void (*check_stop)(void *w);
	/* Its main process is over: what the check holds for the run goes. */
	void (*check_end)(void *w);
	/* The check's last error, or NULL. */
	const char *(*check_error)(void *w);
	/* It is ready (again): its health checks begin (if it has any). */
	void (*health_begin)(void *w);
	/* Why its health checks failed, or NULL. */
	const char *(*health_error)(void *w);
	/* ecg-run's terminal changed its size: so does its own (tty = yes), if it has one. */
	void (*resize)(void *w);
	/* The stop policy: stop signal, grace, SIGKILL, to its process group. */
	void (*stop)(void *w);
	void (*signal)(void *w, int sig);
	void (*kill)(void *w);
	/* SIGKILL, and nothing of it is waited for any more. */
	void (*abandon)(void *w);
	/* Whether nothing of the run is left (if only its pipes are, it waits for them). */
	int (*gone)(void *w);
	/* Between runs: a last line without a newline ends. */
	void (*between)(void *w);
	/* The task is over: its output ends; lines its log file lost (0: none). */
	unsigned long (*finish)(void *w);
	/* Its run's process group id, or -1 before the first. */
	pid_t (*pid)(void *w);
	/* Whether its main process runs; whether anything of the run may. */
	int (*running)(void *w);
	int (*alive)(void *w);
};

#endif
