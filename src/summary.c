#define _GNU_SOURCE
#include "summary.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "task.h"
#include "value.h"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
ecg_summary_init(struct ecg_summary *s, const struct ecg_group_spec *group)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->group = group;
	s->t0 = mono();
	s->rows = calloc(group->ntasks ? group->ntasks : 1, sizeof(*s->rows));
	if (s->rows == NULL)
		return -ENOMEM;
	for (i = 0; i < group->ntasks; i++) {
		s->rows[i].first_start_ms = -1;
		snprintf(s->rows[i].result, sizeof(s->rows[i].result), "not started");
	}
	return 0;
}

void
ecg_summary_destroy(struct ecg_summary *s)
{
	free(s->rows);
	s->rows = NULL;
}

static long
now_ms(const struct ecg_summary *s)
{
	return (long)((mono() - s->t0) * 1000.0 + 0.5);
}

static struct ecg_summary_row *
row_of(struct ecg_summary *s, const struct ecg_event *ev)
{
	return ev->task != NULL && s->rows != NULL ? &s->rows[ev->task->index] : NULL;
}

/* How a run ended, in a few words. */
static void
set_end(struct ecg_summary *s, struct ecg_summary_row *r, const struct ecg_event *ev)
{
	char buf[16];
	const char *sig = ev->sig != 0 ? ecg_value_signame(ev->sig, buf, sizeof(buf)) : "";

	r->last_end_ms = now_ms(s);
	if (ev->type == ECG_EV_EXITED) {
		snprintf(r->result, sizeof(r->result), "exited %d", ev->code);
		r->failed = ev->code != 0 && !s->stopping;
	} else if (ev->type == ECG_EV_KILLED && s->stopping) {
		/* Most likely by its stop signal: the group was stopping. */
		snprintf(r->result, sizeof(r->result), "stopped (SIG%s)", sig);
		r->failed = 0;
	} else if (ev->type == ECG_EV_KILLED) {
		snprintf(r->result, sizeof(r->result), "killed by SIG%s", sig);
		r->failed = 1;
	}
}

/* An end that is a failure whatever else happens: its words, and the table is shown. */
static void
set_failure(struct ecg_summary *s, struct ecg_summary_row *r, const char *result)
{
	if (r != NULL) {
		snprintf(r->result, sizeof(r->result), "%s", result);
		r->failed = 1;
	}
	s->notable = 1;
}

void
ecg_summary_event(struct ecg_summary *s, const struct ecg_event *ev)
{
	struct ecg_summary_row *r = row_of(s, ev);
	enum ecg_event_level level = ecg_event_level(ev);

	if (level == ECG_LEVEL_CAUSE && s->cause[0] == '\0' && ev->type != ECG_EV_SIGNAL_KILL_ALL) {
		char text[512];
		ecg_event_format(ev, 0, text, sizeof(text));
		snprintf(s->cause, sizeof(s->cause), "%s",
		    strncmp(text, "ecg-run: ", 9) == 0 ? text + 9 : text);
		s->cause_is_task = ev->type != ECG_EV_CAUSE_SIGNAL &&
		    ev->type != ECG_EV_CAUSE_DEADLINE && ev->type != ECG_EV_CAUSE_OUTPUT;
	}
	/* The cause is said before anything is stopped for it. */
	if (level == ECG_LEVEL_CAUSE)
		s->stopping = 1;
	switch (ev->type) {
	case ECG_EV_STARTED:
		if (r != NULL && r->first_start_ms < 0)
			r->first_start_ms = now_ms(s);
		if (r != NULL)
			snprintf(r->result, sizeof(r->result), "running");
		break;
	case ECG_EV_EXITED:
	case ECG_EV_KILLED:
		/* An end already said (not ready, timed out) keeps its words. */
		if (r != NULL && (ev->task == NULL || ev->task->end == ECG_END_EXITED ||
		    ev->task->end == ECG_END_KILLED))
			set_end(s, r, ev);
		else if (r != NULL)
			r->last_end_ms = now_ms(s);
		break;
	case ECG_EV_START_FAILED:
		if (r != NULL) {
			if (r->first_start_ms < 0)
				r->first_start_ms = now_ms(s);
			r->last_end_ms = now_ms(s);
		}
		set_failure(s, r, "could not start");
		break;
	case ECG_EV_NOT_READY:
	case ECG_EV_CAUSE_NOT_READY:
		set_failure(s, r, "not ready");
		break;
	case ECG_EV_TIMED_OUT:
	case ECG_EV_CAUSE_TIMEOUT:
		set_failure(s, r, "timed out");
		break;
	case ECG_EV_RESTARTING:
		if (r != NULL) {
			r->restarts = (long)ev->n;
			r->last_end_ms = now_ms(s);
			/* Its end was a failure (unless restart = always took an exit 0). */
			r->failed = ev->code != 0;
		}
		s->notable = 1;
		break;
	case ECG_EV_NOT_RESTARTED:
		if (r != NULL)
			snprintf(r->result, sizeof(r->result), "not restarted");
		break;
	case ECG_EV_STOPPING:
		s->stopping = 1;
		break;
	default:
		break;
	}
	if (level == ECG_LEVEL_CAUSE || (r != NULL && r->failed))
		s->notable = 1;
}

int
ecg_summary_notable(const struct ecg_summary *s)
{
	return s->notable;
}

static void
format_ms(long ms, char *buf, size_t len)
{
	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%ldms", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
	else
		snprintf(buf, len, "%ldm%02lds", ms / 60000, ms / 1000 % 60);
}

size_t
ecg_summary_format(const struct ecg_summary *s, int status, char *buf, size_t len)
{
	size_t i, off = 0, wname = 0, wres = 0;
	char rt[32];
	int n;

	for (i = 0; i < s->group->ntasks; i++) {
		if (strlen(s->group->tasks[i].name) > wname)
			wname = strlen(s->group->tasks[i].name);
		if (strlen(s->rows[i].result) > wres)
			wres = strlen(s->rows[i].result);
	}
	for (i = 0; i < s->group->ntasks && off < len; i++) {
		const struct ecg_summary_row *r = &s->rows[i];
		format_ms(r->first_start_ms < 0 ? -1 : r->last_end_ms - r->first_start_ms, rt,
		    sizeof(rt));
		n = snprintf(buf + off, len - off, "%-*s  %-*s  %7s  %ld restart%s\n", (int)wname,
		    s->group->tasks[i].name, (int)wres, r->result, rt, r->restarts,
		    r->restarts == 1 ? "" : "s");
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < len) {
		if (s->cause[0] != '\0')
			n = snprintf(buf + off, len - off, "ecg-run: cause: %s; exit status %d\n",
			    s->cause, status);
		else
			n = snprintf(buf + off, len - off, "ecg-run: no cause: every task ended; "
			    "exit status %d\n", status);
		if (n > 0)
			off += (size_t)n;
	}
	return off < len ? off : len;
}
