#define _GNU_SOURCE
#include "event.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "value.h"

enum ecg_event_level
ecg_event_level(const struct ecg_event *ev)
{
	switch (ev->type) {
	case ECG_EV_READY:
		return ev->check != NULL && strcmp(ev->check, "started") == 0 ?
		    ECG_LEVEL_VERBOSE : ECG_LEVEL_INFO;
	case ECG_EV_GROUP_READY:
		return ev->n > 0 ? ECG_LEVEL_INFO : ECG_LEVEL_VERBOSE;
	case ECG_EV_GROUP_START:
	case ECG_EV_GROUP_END:
		return ECG_LEVEL_DATA;
	case ECG_EV_SENT:
	case ECG_EV_SENT_ESCAPEES:
	case ECG_EV_OUTPUT_HELD:
	case ECG_EV_STATUS:
	case ECG_EV_SIGNAL_AGAIN:
	case ECG_EV_SIGNAL_FORWARD:
	case ECG_EV_STOPPING:
		return ECG_LEVEL_VERBOSE;
	case ECG_EV_CAUSE_EXIT:
	case ECG_EV_CAUSE_FAILED:
	case ECG_EV_CAUSE_TIMEOUT:
	case ECG_EV_CAUSE_DEADLINE:
	case ECG_EV_CAUSE_NOT_READY:
	case ECG_EV_CAUSE_DEPENDENCY:
	case ECG_EV_CAUSE_SIGNAL:
	case ECG_EV_CAUSE_OUTPUT:
	case ECG_EV_SIGNAL_KILL_ALL:
		return ECG_LEVEL_CAUSE;
	case ECG_EV_START_FAILED:
	case ECG_EV_READ_ERROR:
	case ECG_EV_LOG_ERROR:
	case ECG_EV_LOG_LOST:
	case ECG_EV_GIVEN_UP:
	case ECG_EV_ESCAPEES_GIVEN_UP:
	case ECG_EV_NO_SUBREAPER:
	case ECG_EV_NO_SENTINEL:
	case ECG_EV_NOT_READY:
	case ECG_EV_TIMED_OUT:
	case ECG_EV_NO_SLOT:
		return ECG_LEVEL_ERROR;
	default:
		return ECG_LEVEL_INFO;
	}
}

static const char *
plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* How a run ended, as the start of a message (for restarts). */
static void
format_end(const struct ecg_event *e, const char *sig, const char *dur, char *b, size_t len)
{
	const char *what = e->what != NULL ? e->what : "";

	if (strcmp(what, "exited") == 0)
		snprintf(b, len, "exited with status %d", e->code);
	else if (strcmp(what, "killed") == 0)
		snprintf(b, len, "killed by signal %d (SIG%s)", e->sig, sig);
	else if (strcmp(what, "not ready") == 0 && e->text != NULL && e->text[0] != '\0')
		snprintf(b, len, "not ready after %s (%s: %s)", dur, e->check, e->text);
	else if (strcmp(what, "not ready") == 0)
		snprintf(b, len, "not ready after %s (%s)", dur, e->check);
	else if (strcmp(what, "timed out") == 0)
		snprintf(b, len, "timed out after %s", dur);
	else
		snprintf(b, len, "could not start (status %d)", e->code);
}

static void
format_body(const struct ecg_event *e, int verbose, char *b, size_t len)
{
	char sigbuf[16], dur[32];
	const char *sig = e->sig != 0 ? ecg_value_signame(e->sig, sigbuf, sizeof(sigbuf)) : "";

	ecg_value_format_duration(e->ms, dur, sizeof(dur));
	switch (e->type) {
	case ECG_EV_WAITING:
		snprintf(b, len, "waiting for %s", e->text);
		break;
	case ECG_EV_STARTED:
		if (verbose)
			snprintf(b, len, "started (pid %ld)", e->pid);
		else
			snprintf(b, len, "started");
		break;
	case ECG_EV_START_FAILED:
		if (strcmp(e->step, "log file") == 0 && e->err == ENOENT)
			snprintf(b, len, "cannot start: log file %s: %s (its directory must exist)",
			    e->what, strerror(e->err));
		else if (e->what != NULL)
			snprintf(b, len, "cannot start: %s %s: %s", e->step, e->what, strerror(e->err));
		else
			snprintf(b, len, "cannot start: %s: %s", e->step, strerror(e->err));
		break;
	case ECG_EV_READY:
		snprintf(b, len, "ready (%s) after %s", e->check, dur);
		break;
	case ECG_EV_STATUS:
		snprintf(b, len, "status: %s", e->text);
		break;
	case ECG_EV_NOT_READY:
	case ECG_EV_CAUSE_NOT_READY:
		if (e->text != NULL && e->text[0] != '\0')
			snprintf(b, len, "not ready after %s (%s: %s)%s", dur, e->check, e->text,
			    e->type == ECG_EV_CAUSE_NOT_READY ? ", stopping the group" : "");
		else
			snprintf(b, len, "not ready after %s (%s)%s", dur, e->check,
			    e->type == ECG_EV_CAUSE_NOT_READY ? ", stopping the group" : "");
		break;
	case ECG_EV_EXITED:
		snprintf(b, len, "exited with status %d", e->code);
		break;
	case ECG_EV_KILLED:
		snprintf(b, len, "killed by signal %d (SIG%s)%s", e->sig, sig,
		    e->core ? ", core dumped" : "");
		break;
	case ECG_EV_NOT_STARTED:
		snprintf(b, len, "not started: the group is stopping");
		break;
	case ECG_EV_SENT:
		snprintf(b, len, "sent SIG%s to process group %ld", sig, e->pid);
		break;
	case ECG_EV_SENT_ESCAPEES:
		snprintf(b, len, "sent SIG%s to %zu process%s that left its process group", sig,
		    e->n, plural(e->n, "", "es"));
		break;
	case ECG_EV_ESCALATING:
		snprintf(b, len, "still running %s after the stop signal, sending SIGKILL", dur);
		break;
	case ECG_EV_OUTPUT_HELD:
		snprintf(b, len,
		    "process group gone but its output is still open elsewhere, closing it");
		break;
	case ECG_EV_READ_ERROR:
		snprintf(b, len, "reading its %s: %s", e->stream == 1 ? "stdout" : "stderr",
		    strerror(e->err));
		break;
	case ECG_EV_LOG_ERROR:
		snprintf(b, len, "cannot %s log file %s: %s (%s)", e->step, e->what, strerror(e->err),
		    strcmp(e->step, "rotate") == 0 ? "it grows on, past log_max_size" :
		    "its lines are lost while it cannot take them");
		break;
	case ECG_EV_LOG_LOST:
		snprintf(b, len, "%zu line%s could not be written to log file %s", e->n,
		    plural(e->n, "", "s"), e->what);
		break;
	case ECG_EV_GIVEN_UP:
		snprintf(b, len, "still running at the deadline after SIGKILL, giving up on it");
		break;
	case ECG_EV_RESTARTING: {
		char end[512], delay[32];
		format_end(e, sig, dur, end, sizeof(end));
		ecg_value_format_duration(e->delay, delay, sizeof(delay));
		snprintf(b, len, "%s, restarting in %s (restart %zu of %ld)", end, delay, e->n,
		    e->limit);
		break;
	}
	case ECG_EV_NOT_RESTARTED:
		snprintf(b, len, "not restarted: the group is stopping");
		break;
	case ECG_EV_TIMED_OUT:
		snprintf(b, len, "timed out after %s", dur);
		break;
	case ECG_EV_CAUSE_TIMEOUT:
		snprintf(b, len, "timed out after %s, stopping the group", dur);
		break;
	case ECG_EV_CAUSE_DEADLINE:
		snprintf(b, len, "deadline of %s passed, stopping the group", dur);
		break;
	case ECG_EV_NO_SLOT:
		snprintf(b, len, "no free slot: max_parallel = %zu is held by %s, which %s is after",
		    e->n, e->text, e->name);
		break;
	case ECG_EV_CAUSE_EXIT:
		snprintf(b, len, "ended (cancel_on = exit), stopping the group");
		break;
	case ECG_EV_CAUSE_FAILED:
		snprintf(b, len, "failed with status %d, stopping the group", e->code);
		break;
	case ECG_EV_CAUSE_DEPENDENCY:
		snprintf(b, len, "%s waits for %s, which ended before it was ready, stopping the group",
		    e->other, e->name);
		break;
	case ECG_EV_CAUSE_SIGNAL:
		snprintf(b, len, "received SIG%s, stopping the group", sig);
		break;
	case ECG_EV_CAUSE_OUTPUT:
		snprintf(b, len, "cannot write to %s (%s)%s", e->stream == 1 ? "stdout" : "stderr",
		    strerror(e->err), e->n > 0 ? ", stopping the group" : "");
		break;
	case ECG_EV_GROUP_READY:
		snprintf(b, len, "group ready after %s", dur);
		break;
	case ECG_EV_STOPPING:
		snprintf(b, len, "the group is stopping");
		break;
	case ECG_EV_SIGNAL_AGAIN:
		snprintf(b, len, "received SIG%s again at once: the same request", sig);
		break;
	case ECG_EV_SIGNAL_FORWARD:
		snprintf(b, len, "received SIG%s, forwarding it to the tasks that take it", sig);
		break;
	case ECG_EV_SIGNAL_KILL_ALL:
		snprintf(b, len, "received SIG%s while stopping, killing every task", sig);
		break;
	case ECG_EV_ESCAPEES_STOP:
		snprintf(b, len, "%zu process%s that left %s task's process group still running, "
		    "stopping %s", e->n, plural(e->n, "", "es"), plural(e->n, "its", "their"),
		    plural(e->n, "it", "them"));
		break;
	case ECG_EV_ESCAPEES_KILL:
		snprintf(b, len, "%zu escaped process(es) still running after the stop signal, "
		    "sending SIGKILL", e->n);
		break;
	case ECG_EV_ESCAPEES_GIVEN_UP:
		snprintf(b, len, "%zu escaped process(es) still running after SIGKILL, "
		    "giving up on them", e->n);
		break;
	case ECG_EV_NO_SUBREAPER:
		snprintf(b, len, "cannot become a child subreaper (%s): processes that leave their "
		    "task's process group will not be found", strerror(e->err));
		break;
	case ECG_EV_NO_SENTINEL:
		snprintf(b, len, "cannot start the sentinel (%s): if ecg-run is killed, what its "
		    "tasks started may be left running", strerror(e->err));
		break;
	default:
		snprintf(b, len, "event %d", (int)e->type);
		break;
	}
}

void
ecg_event_format(const struct ecg_event *e, int verbose, char *buf, size_t len)
{
	int n;

	/* The dependency cause is about the waiting task's dependency: said by the group. */
	if (e->name != NULL && e->type != ECG_EV_CAUSE_DEPENDENCY)
		n = snprintf(buf, len, "ecg-run: %s: ", e->name);
	else
		n = snprintf(buf, len, "ecg-run: ");
	if (n < 0 || (size_t)n >= len)
		return;
	format_body(e, verbose, buf + n, len - (size_t)n);
}
