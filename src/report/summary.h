/*
 * summary: the table a person reads at the end of a run.
 *
 * Fed the run's events, it keeps, for each task, how its last run ended
 * (and, for a failure, why, in the words of its message), how long it ran
 * and how often it was restarted, whether it was still running when the
 * group was cancelled, and the cause of the cancellation; at the end it
 * renders one row a task (starting with the task's name, aligned, plain
 * ASCII) and one line naming the cause and ecg-run's exit status.  The
 * JUnit report is made of the same rows.  Times are the events' own
 * (clock.h): a task's runtime is from its first spawn to its last end.
 */
#ifndef ECG_SUMMARY_H
#define ECG_SUMMARY_H

#include <stddef.h>

#include "base/buf.h"
#include "config/config.h"
#include "seed/event.h"

struct ecg_summary_row {
	char result[32];		/* "exited 3", "killed by SIGKILL", "not started" ... */
	struct ecg_buf why;		/* for a failure: its message, without "ecg-run: NAME: " */
	long first_start_ms;		/* ms since the start of its first spawn, -1 before */
	long last_end_ms;		/* and of its last end */
	long restarts;
	int failed;			/* its own end was a failure */
	int live;			/* a run of it is going on */
	int cut_off;			/* it was going on when the group was cancelled */
};

struct ecg_summary {
	const struct ecg_group_spec *group;
	struct ecg_summary_row *rows;	/* one a task, in the order of the file */
	struct ecg_buf cause;		/* the cause of the cancellation, as said; "" if none */
	enum ecg_event_type cause_type;	/* its event, when there is one */
	int cause_code;			/* and its status */
	int cause_is_task;		/* and it was a task's end, not a signal, deadline, output */
	int notable;			/* a failure, a timeout, a restart or a cancellation */
	int stopping;			/* the group is stopping: signal deaths are "stopped" */
};

/* 0 or -ENOMEM. */
int ecg_summary_init(struct ecg_summary *s, const struct ecg_group_spec *group);
void ecg_summary_destroy(struct ecg_summary *s);
/* Whether it was set up (and follows the events). */
int ecg_summary_active(const struct ecg_summary *s);
void ecg_summary_event(struct ecg_summary *s, const struct ecg_event *ev);
/* Whether --summary=auto shows it: something failed, timed out, restarted, or was cancelled. */
int ecg_summary_notable(const struct ecg_summary *s);
/*
 * Whether the run ended as planned: no cause (every task that is not a
 * sidecar ended), or a cancel_on = exit task ended with 0.  Tasks cut off
 * by the cancellation then did their part.
 */
int ecg_summary_planned(const struct ecg_summary *s);
/*
 * The table and the cause line, each line ending in a newline, appended
 * to out, whole.  status: ecg-run's exit status.
 */
void ecg_summary_format(const struct ecg_summary *s, int status, struct ecg_buf *out);

#endif
