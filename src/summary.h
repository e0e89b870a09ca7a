/*
 * summary: the table a person reads at the end of a run.
 *
 * Fed the run's events, it keeps, for each task, how its last run ended,
 * how long it ran and how often it was restarted, and the cause of the
 * cancellation; at the end it renders one row a task (starting with the
 * task's name, aligned, plain ASCII) and one line naming the cause and
 * ecg-run's exit status.
 */
#ifndef ECG_SUMMARY_H
#define ECG_SUMMARY_H

#include <stddef.h>

#include "config.h"
#include "event.h"

struct ecg_summary_row {
	char result[96];		/* "exited 3", "killed by SIGKILL", "not started" ... */
	long first_start_ms;		/* mono ms of its first start, -1 before */
	long last_end_ms;		/* and of its last end */
	long restarts;
	int failed;			/* its own end was a failure */
};

struct ecg_summary {
	const struct ecg_group_spec *group;
	struct ecg_summary_row *rows;	/* one a task, in the order of the file */
	char cause[512];		/* the cause of the cancellation, as said; "" if none */
	int cause_is_task;		/* and it was a task's end, not a signal, deadline, output */
	int notable;			/* a failure, a timeout, a restart or a cancellation */
	int stopping;			/* the group is stopping: signal deaths are "stopped" */
	double t0;			/* monotonic seconds at the start */
};

/* 0 or -ENOMEM. */
int ecg_summary_init(struct ecg_summary *s, const struct ecg_group_spec *group);
void ecg_summary_destroy(struct ecg_summary *s);
void ecg_summary_event(struct ecg_summary *s, const struct ecg_event *ev);
/* Whether --summary=auto shows it: something failed, timed out, restarted, or was cancelled. */
int ecg_summary_notable(const struct ecg_summary *s);
/*
 * The table and the cause line, each line ending in a newline, into buf
 * (cut to fit).  status: ecg-run's exit status.  Returns the length.
 */
size_t ecg_summary_format(const struct ecg_summary *s, int status, char *buf, size_t len);

#endif
