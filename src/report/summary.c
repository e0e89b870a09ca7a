#define _GNU_SOURCE
#include "report/summary.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/evtext.h"
#include "config/value.h"

int
ecg_summary_init(struct ecg_summary *s, const struct ecg_group_spec *group)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->group = group;
	ecg_buf_init(&s->cause);
	s->cause_type = ECG_EV_COUNT;
	s->rows = calloc(group->ntasks ? group->ntasks : 1, sizeof(*s->rows));
	if (s->rows == NULL)
		return -ENOMEM;
	for (i = 0; i < group->ntasks; i++) {
		s->rows[i].first_start_ms = -1;
		ecg_buf_init(&s->rows[i].why);
		snprintf(s->rows[i].result, sizeof(s->rows[i].result), "not started");
	}
	return 0;
}

void
ecg_summary_destroy(struct ecg_summary *s)
{
	size_t i;

	for (i = 0; s->rows != NULL && i < s->group->ntasks; i++)
		ecg_buf_free(&s->rows[i].why);
	free(s->rows);
	s->rows = NULL;
	ecg_buf_free(&s->cause);
}

static struct ecg_summary_row *
row_of(struct ecg_summary *s, const struct ecg_event *ev)
{
	return ev->name != NULL && s->rows != NULL && ev->index < s->group->ntasks ?
	    &s->rows[ev->index] : NULL;
}

/* The text of ev as ecg-run says it, without "ecg-run: " (and the task's name unless named). */
static void
said(const struct ecg_event *ev, int named, struct ecg_buf *out)
{
	if (named && ecg_event_names_task(ev))
		ecg_buf_printf(out, "%s: ", ev->name);
	ecg_event_format_text(ev, 0, out);
}

/* Why a row failed: the message of the end (a cause said as the plain end). */
static void
set_why(struct ecg_summary_row *r, const struct ecg_event *ev)
{
	struct ecg_event plain = *ev;

	if (ev->type == ECG_EV_CAUSE_NOT_READY)
		plain.type = ECG_EV_NOT_READY;
	else if (ev->type == ECG_EV_CAUSE_TIMEOUT)
		plain.type = ECG_EV_TIMED_OUT;
	else if (ev->type == ECG_EV_CAUSE_UNHEALTHY)
		plain.type = ECG_EV_UNHEALTHY;
	ecg_buf_reset(&r->why);
	said(&plain, 0, &r->why);
}

/* How a run ended, in a few words. */
static void
set_end(struct ecg_summary *s, struct ecg_summary_row *r, const struct ecg_event *ev)
{
	char buf[16];
	const char *sig = ev->sig != 0 ? ecg_value_signame(ev->sig, buf, sizeof(buf)) : "";

	r->last_end_ms = ev->at;
	if (ev->type == ECG_EV_EXITED) {
		snprintf(r->result, sizeof(r->result), "exited %d", ev->code);
		r->failed = ev->failed && !s->stopping;
	} else if (ev->type == ECG_EV_KILLED && s->stopping) {
		/* Most likely by its stop signal: the group was stopping. */
		snprintf(r->result, sizeof(r->result), "stopped (SIG%s)", sig);
		r->failed = 0;
	} else if (ev->type == ECG_EV_KILLED) {
		snprintf(r->result, sizeof(r->result), "killed by SIG%s", sig);
		r->failed = ev->failed;
	}
	if (r->failed)
		set_why(r, ev);
}

/* An end that is a failure whatever else happens: its words, and the table is shown. */
static void
set_failure(struct ecg_summary *s, struct ecg_summary_row *r, const char *result,
    const struct ecg_event *ev)
{
	if (r != NULL) {
		snprintf(r->result, sizeof(r->result), "%s", result);
		r->failed = 1;
		set_why(r, ev);
	}
	s->notable = 1;
}

/* The first cause: said, and every task still going on is cut off by it. */
static void
set_cause(struct ecg_summary *s, const struct ecg_event *ev)
{
	size_t i;

	said(ev, 1, &s->cause);
	s->cause_type = ev->type;
	s->cause_code = ev->code;
	s->cause_is_task = ev->type != ECG_EV_CAUSE_SIGNAL &&
	    ev->type != ECG_EV_CAUSE_DEADLINE && ev->type != ECG_EV_CAUSE_OUTPUT &&
	    ev->type != ECG_EV_CAUSE_SHUTDOWN;
	for (i = 0; i < s->group->ntasks; i++)
		if (s->rows[i].live)
			s->rows[i].cut_off = 1;
}

void
ecg_summary_event(struct ecg_summary *s, const struct ecg_event *ev)
{
	struct ecg_summary_row *r = row_of(s, ev);
	enum ecg_event_level level = ecg_event_level(ev);

	if (level == ECG_LEVEL_CAUSE && s->cause_type == ECG_EV_COUNT &&
	    ev->type != ECG_EV_SIGNAL_KILL_ALL)
		set_cause(s, ev);
	/* The cause is said before anything is stopped for it. */
	if (level == ECG_LEVEL_CAUSE)
		s->stopping = 1;
	switch (ev->type) {
	case ECG_EV_STARTED:
		if (r != NULL && r->first_start_ms < 0)
			r->first_start_ms = ev->at;
		if (r != NULL) {
			snprintf(r->result, sizeof(r->result), "running");
			r->live = 1;
		}
		break;
	case ECG_EV_EXITED:
	case ECG_EV_KILLED:
		if (r == NULL)
			break;
		r->live = 0;
		/* An end already said (not ready, timed out) keeps its words. */
		if (ev->end == ECG_END_EXITED || ev->end == ECG_END_KILLED)
			set_end(s, r, ev);
		else
			r->last_end_ms = ev->at;
		break;
	case ECG_EV_START_FAILED:
		if (r != NULL) {
			if (r->first_start_ms < 0)
				r->first_start_ms = ev->at;
			r->last_end_ms = ev->at;
			r->live = 0;
		}
		set_failure(s, r, "could not start", ev);
		break;
	case ECG_EV_NOT_READY:
	case ECG_EV_CAUSE_NOT_READY:
		set_failure(s, r, "not ready", ev);
		break;
	case ECG_EV_TIMED_OUT:
	case ECG_EV_CAUSE_TIMEOUT:
		set_failure(s, r, "timed out", ev);
		break;
	case ECG_EV_UNHEALTHY:
	case ECG_EV_CAUSE_UNHEALTHY:
		set_failure(s, r, "unhealthy", ev);
		break;
	case ECG_EV_RESTARTING:
		if (r != NULL) {
			r->restarts = (long)ev->n;
			r->last_end_ms = ev->at;
			r->live = 0;
			/* Its end was a failure (unless restart = always took an exit 0). */
			r->failed = ev->failed;
			if (r->failed)
				set_why(r, ev);
		}
		s->notable = 1;
		break;
	case ECG_EV_WAITING_SLOT:
		/* What it is, unless it gets a slot and starts. */
		if (r != NULL && r->first_start_ms < 0)
			snprintf(r->result, sizeof(r->result), "not started (no slot)");
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
ecg_summary_active(const struct ecg_summary *s)
{
	return s->rows != NULL;
}

int
ecg_summary_notable(const struct ecg_summary *s)
{
	return s->notable;
}

int
ecg_summary_planned(const struct ecg_summary *s)
{
	return s->cause_type == ECG_EV_COUNT ||
	    (s->cause_type == ECG_EV_CAUSE_EXIT && s->cause_code == 0);
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

void
ecg_summary_format(const struct ecg_summary *s, int status, struct ecg_buf *out)
{
	size_t i, wname = 0, wres = 0;
	char rt[32];

	for (i = 0; i < s->group->ntasks; i++) {
		if (strlen(s->group->tasks[i].name) > wname)
			wname = strlen(s->group->tasks[i].name);
		if (strlen(s->rows[i].result) > wres)
			wres = strlen(s->rows[i].result);
	}
	for (i = 0; i < s->group->ntasks; i++) {
		const struct ecg_summary_row *r = &s->rows[i];
		format_ms(r->first_start_ms < 0 ? -1 : r->last_end_ms - r->first_start_ms, rt,
		    sizeof(rt));
		ecg_buf_printf(out, "%-*s  %-*s  %7s  %ld restart%s\n", (int)wname,
		    s->group->tasks[i].name, (int)wres, r->result, rt, r->restarts,
		    r->restarts == 1 ? "" : "s");
	}
	if (s->cause.len > 0)
		ecg_buf_printf(out, "ecg-run: cause: %s; exit status %d\n", ecg_buf_str(&s->cause),
		    status);
	else
		ecg_buf_printf(out, "ecg-run: no cause: every task ended; exit status %d\n", status);
}
