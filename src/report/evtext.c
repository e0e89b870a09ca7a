#define _GNU_SOURCE
#include "report/evtext.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/safeopen.h"
#include "config/value.h"

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
	case ECG_EV_SPAWNED:
	case ECG_EV_ENDED:
	case ECG_EV_RUN_OVER:
	case ECG_EV_DONE:
		return ECG_LEVEL_DATA;
	case ECG_EV_SENT:
	case ECG_EV_SENT_ESCAPEES:
	case ECG_EV_OUTPUT_HELD:
	case ECG_EV_STOP_COMMAND:
	case ECG_EV_STATUS:
	case ECG_EV_CONTROL:
	case ECG_EV_CONTROL_REFUSED:
	case ECG_EV_NOTIFY_REFUSED:
	case ECG_EV_SIGNAL_AGAIN:
	case ECG_EV_SIGNAL_FORWARD:
	case ECG_EV_STOPPING:
		return ECG_LEVEL_VERBOSE;
	case ECG_EV_CAUSE_EXIT:
	case ECG_EV_CAUSE_FAILED:
	case ECG_EV_CAUSE_TIMEOUT:
	case ECG_EV_CAUSE_DEADLINE:
	case ECG_EV_CAUSE_NOT_READY:
	case ECG_EV_CAUSE_UNHEALTHY:
	case ECG_EV_CAUSE_DEPENDENCY:
	case ECG_EV_CAUSE_SIGNAL:
	case ECG_EV_CAUSE_OUTPUT:
	case ECG_EV_CAUSE_SHUTDOWN:
	case ECG_EV_SIGNAL_KILL_ALL:
		return ECG_LEVEL_CAUSE;
	case ECG_EV_START_FAILED:
	case ECG_EV_PORT_HELD:
	case ECG_EV_READ_ERROR:
	case ECG_EV_LOG_ERROR:
	case ECG_EV_LOG_LOST:
	case ECG_EV_GIVEN_UP:
	case ECG_EV_ESCAPEES_GIVEN_UP:
	case ECG_EV_NO_SUBREAPER:
	case ECG_EV_NO_SENTINEL:
	case ECG_EV_NOT_READY:
	case ECG_EV_UNHEALTHY:
	case ECG_EV_TIMED_OUT:
	case ECG_EV_NO_SLOT:
		return ECG_LEVEL_ERROR;
	case ECG_EV_HEALTH:
		/* A failed check is said, healthy with -v; unhealthy is its end's to say. */
		if (ev->what != NULL && strcmp(ev->what, "unhealthy") == 0)
			return ECG_LEVEL_DATA;
		return ev->what != NULL && strcmp(ev->what, "failing") == 0 ?
		    ECG_LEVEL_INFO : ECG_LEVEL_VERBOSE;
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
format_end(const struct ecg_event *e, const char *sig, const char *dur, struct ecg_buf *b)
{
	switch (e->end) {
	case ECG_END_EXITED:
		ecg_buf_printf(b, "exited with status %d", e->code);
		break;
	case ECG_END_KILLED:
		ecg_buf_printf(b, "killed by signal %d (SIG%s)", e->sig, sig);
		break;
	case ECG_END_NOT_READY:
		if (e->text != NULL && e->text[0] != '\0')
			ecg_buf_printf(b, "not ready after %s (%s: %s)", dur, e->check, e->text);
		else
			ecg_buf_printf(b, "not ready after %s (%s)", dur, e->check);
		break;
	case ECG_END_TIMEOUT:
		ecg_buf_printf(b, "timed out after %s", dur);
		break;
	case ECG_END_UNHEALTHY:
		ecg_buf_printf(b, "unhealthy (%s)", e->text != NULL ? e->text : e->check);
		break;
	case ECG_END_STOPPED:
		ecg_buf_puts(b, "stopped, as asked");
		break;
	default:
		ecg_buf_printf(b, "could not start (status %d)", e->code);
		break;
	}
}

static void
format_body(const struct ecg_event *e, int verbose, struct ecg_buf *b)
{
	char sigbuf[16], dur[32];
	const char *sig = e->sig != 0 ? ecg_value_signame(e->sig, sigbuf, sizeof(sigbuf)) : "";

	ecg_value_format_duration(e->ms, dur, sizeof(dur));
	switch (e->type) {
	case ECG_EV_WAITING:
		ecg_buf_printf(b, "waiting for %s", e->text);
		break;
	case ECG_EV_STARTED:
		if (verbose)
			ecg_buf_printf(b, "started (pid %ld)", e->pid);
		else
			ecg_buf_printf(b, "started");
		break;
	case ECG_EV_START_FAILED:
		if (strcmp(e->step, "log file") == 0 && e->err == ENOENT)
			ecg_buf_printf(b, "cannot start: log file %s: %s (its directory must exist)",
			    e->what, strerror(e->err));
		else if (e->what != NULL)
			ecg_buf_printf(b, "cannot start: %s %s: %s", e->step, e->what,
			    ecg_safeopen_strerror(e->err));
		else
			ecg_buf_printf(b, "cannot start: %s: %s", e->step, ecg_safeopen_strerror(e->err));
		break;
	case ECG_EV_READY:
		ecg_buf_printf(b, "ready (%s) after %s", e->check, dur);
		break;
	case ECG_EV_STATUS:
		ecg_buf_printf(b, "status: %s", e->text);
		break;
	case ECG_EV_PORT_HELD:
		ecg_buf_puts(b, e->text);
		break;
	case ECG_EV_NOTIFY_REFUSED:
		if (e->pid > 0)
			ecg_buf_printf(b, "a message from pid %ld to its notify socket was refused: %s",
			    e->pid, e->text);
		else
			ecg_buf_printf(b, "a message to its notify socket was refused: %s", e->text);
		break;
	case ECG_EV_NOT_READY:
	case ECG_EV_CAUSE_NOT_READY:
		if (e->text != NULL && e->text[0] != '\0')
			ecg_buf_printf(b, "not ready after %s (%s: %s)%s", dur, e->check, e->text,
			    e->type == ECG_EV_CAUSE_NOT_READY ? ", stopping the group" : "");
		else
			ecg_buf_printf(b, "not ready after %s (%s)%s", dur, e->check,
			    e->type == ECG_EV_CAUSE_NOT_READY ? ", stopping the group" : "");
		break;
	case ECG_EV_HEALTH:
		if (strcmp(e->what, "healthy") == 0)
			ecg_buf_printf(b, "healthy (%s)", e->check);
		else if (strcmp(e->what, "failing") == 0)
			ecg_buf_printf(b, "health check failed (%s)", e->text);
		else
			ecg_buf_printf(b, "%s (%s)", e->what, e->text != NULL ? e->text : e->check);
		break;
	case ECG_EV_UNHEALTHY:
	case ECG_EV_CAUSE_UNHEALTHY:
		ecg_buf_printf(b, "unhealthy (%s)%s", e->text != NULL ? e->text : e->check,
		    e->type == ECG_EV_CAUSE_UNHEALTHY ? ", stopping the group" : "");
		break;
	case ECG_EV_EXITED:
		ecg_buf_printf(b, "exited with status %d", e->code);
		break;
	case ECG_EV_KILLED:
		ecg_buf_printf(b, "killed by signal %d (SIG%s)%s", e->sig, sig,
		    e->core ? ", core dumped" : "");
		break;
	case ECG_EV_NOT_STARTED:
		ecg_buf_printf(b, "not started: the group is stopping");
		break;
	case ECG_EV_SENT:
		ecg_buf_printf(b, "sent SIG%s to process group %ld", sig, e->pid);
		break;
	case ECG_EV_SENT_ESCAPEES:
		ecg_buf_printf(b, "sent SIG%s to %zu process%s that left its process group", sig,
		    e->n, plural(e->n, "", "es"));
		break;
	case ECG_EV_ESCALATING:
		ecg_buf_printf(b, "still running %s after the stop signal, sending SIGKILL", dur);
		break;
	case ECG_EV_STOP_COMMAND:
		if (e->err == 0)
			ecg_buf_printf(b, "running its stop_command (pid %ld)", e->pid);
		else
			ecg_buf_printf(b, "its stop_command could not start (%s: %s), sending its "
			    "stop signal", e->step, strerror(e->err));
		break;
	case ECG_EV_LEFTOVERS:
		ecg_buf_puts(b, "its main process ended, stopping what it left running");
		if (e->text != NULL && e->text[0] != '\0')
			ecg_buf_printf(b, ": %s", e->text);
		else
			ecg_buf_puts(b, " in its process group");
		if (e->limit > 0)
			ecg_buf_printf(b, " (and %ld process%s that left it)", e->limit,
			    e->limit == 1 ? "" : "es");
		break;
	case ECG_EV_OUTPUT_HELD:
		ecg_buf_printf(b,
		    "process group gone but its output is still open elsewhere, closing it");
		break;
	case ECG_EV_READ_ERROR:
		ecg_buf_printf(b, "reading its %s: %s", e->stream == 1 ? "stdout" : "stderr",
		    strerror(e->err));
		break;
	case ECG_EV_LOG_ERROR:
		ecg_buf_printf(b, "cannot %s log file %s: %s (%s)", e->step, e->what,
		    ecg_safeopen_strerror(e->err),
		    strcmp(e->step, "rotate") == 0 ? "it grows on, past log_max_size" :
		    "its lines are lost while it cannot take them");
		break;
	case ECG_EV_LOG_LOST:
		ecg_buf_printf(b, "%zu line%s could not be written to log file %s", e->n,
		    plural(e->n, "", "s"), e->what);
		break;
	case ECG_EV_GIVEN_UP:
		ecg_buf_printf(b, "still running at the deadline after SIGKILL, giving up on it");
		break;
	case ECG_EV_RESTARTING: {
		char delay[32];
		format_end(e, sig, dur, b);
		ecg_value_format_duration(e->delay, delay, sizeof(delay));
		ecg_buf_printf(b, ", restarting in %s (restart %zu of %ld)", delay, e->n, e->limit);
		break;
	}
	case ECG_EV_NOT_RESTARTED:
		ecg_buf_printf(b, "not restarted: the group is stopping");
		break;
	case ECG_EV_TIMED_OUT:
		ecg_buf_printf(b, "timed out after %s", dur);
		break;
	case ECG_EV_CAUSE_TIMEOUT:
		ecg_buf_printf(b, "timed out after %s, stopping the group", dur);
		break;
	case ECG_EV_CAUSE_DEADLINE:
		ecg_buf_printf(b, "deadline of %s passed, stopping the group", dur);
		break;
	case ECG_EV_NO_SLOT:
		ecg_buf_printf(b, "no free slot: max_parallel = %zu is held by %s, which %s is after",
		    e->n, e->text, e->name);
		break;
	case ECG_EV_WAITING_SLOT:
		ecg_buf_printf(b, "waiting for a free slot (max_parallel = %zu, held by %s)", e->n,
		    e->text);
		break;
	case ECG_EV_CAUSE_EXIT:
		ecg_buf_printf(b, "ended (cancel_on = exit), stopping the group");
		break;
	case ECG_EV_CAUSE_FAILED:
		ecg_buf_printf(b, "failed with status %d, stopping the group", e->code);
		break;
	case ECG_EV_CAUSE_DEPENDENCY:
		ecg_buf_printf(b, "%s waits for %s, which ended before it was ready, stopping the group",
		    e->other, e->name);
		break;
	case ECG_EV_CAUSE_SIGNAL:
		ecg_buf_printf(b, "received SIG%s, stopping the group", sig);
		break;
	case ECG_EV_RESTART_ASKED:
		ecg_buf_puts(b, "restarting, as asked (ecg-run ctl)");
		break;
	case ECG_EV_HALT_ASKED:
		ecg_buf_puts(b, "stopping, as asked (ecg-run ctl): it stays stopped");
		break;
	case ECG_EV_START_ASKED:
		ecg_buf_puts(b, "starting, as asked (ecg-run ctl)");
		break;
	case ECG_EV_CONTROL:
		if (e->code == 0)
			ecg_buf_printf(b, "control: %s (pid %ld)", e->what, e->pid);
		else
			ecg_buf_printf(b, "control: %s (pid %ld) refused: %s", e->what, e->pid,
			    e->text != NULL ? e->text : "");
		break;
	case ECG_EV_CONTROL_REFUSED:
		ecg_buf_printf(b, "control: a client of another user (pid %ld) refused", e->pid);
		break;
	case ECG_EV_CAUSE_SHUTDOWN:
		if (e->pid > 0)
			ecg_buf_printf(b, "shutdown requested (ecg-run ctl, pid %ld), stopping the "
			    "group", e->pid);
		else
			ecg_buf_puts(b, "shutdown requested (ecg-run ctl), stopping the group");
		break;
	case ECG_EV_CAUSE_OUTPUT:
		ecg_buf_printf(b, "cannot write to %s (%s)%s", e->stream == 1 ? "stdout" : "stderr",
		    strerror(e->err), e->n > 0 ? ", stopping the group" : "");
		break;
	case ECG_EV_GROUP_READY:
		ecg_buf_printf(b, "group ready after %s", dur);
		break;
	case ECG_EV_STOPPING:
		ecg_buf_printf(b, "the group is stopping");
		break;
	case ECG_EV_SIGNAL_AGAIN:
		ecg_buf_printf(b, "received SIG%s again at once: the same request", sig);
		break;
	case ECG_EV_SIGNAL_FORWARD:
		ecg_buf_printf(b, "received SIG%s, forwarding it to the tasks that take it", sig);
		break;
	case ECG_EV_SIGNAL_KILL_ALL:
		ecg_buf_printf(b, "received SIG%s while stopping, killing every task", sig);
		break;
	case ECG_EV_SIGNAL_IGNORED:
		ecg_buf_printf(b, "received SIG%s, ignored: no task takes it (forward)", sig);
		break;
	case ECG_EV_ESCAPEES_STOP:
		ecg_buf_printf(b, "%zu process%s that left %s task's process group still running, "
		    "stopping %s", e->n, plural(e->n, "", "es"), plural(e->n, "its", "their"),
		    plural(e->n, "it", "them"));
		break;
	case ECG_EV_ESCAPEES_KILL:
		ecg_buf_printf(b, "%zu escaped process(es) still running after the stop signal, "
		    "sending SIGKILL", e->n);
		break;
	case ECG_EV_ESCAPEES_GIVEN_UP:
		ecg_buf_printf(b, "%zu escaped process(es) still running after SIGKILL, "
		    "giving up on them", e->n);
		break;
	case ECG_EV_NO_SUBREAPER:
		ecg_buf_printf(b, "cannot become a child subreaper (%s): processes that leave their "
		    "task's process group will not be found", strerror(e->err));
		break;
	case ECG_EV_NO_SENTINEL:
		ecg_buf_printf(b, "cannot start the sentinel (%s): if ecg-run is killed, what its "
		    "tasks started may be left running", strerror(e->err));
		break;
	default:
		ecg_buf_printf(b, "event %d", (int)e->type);
		break;
	}
}

/*
 * A piece of free text of an event, cut visibly when it is longer than
 * ECG_EVENT_TEXT_MAX: the text itself when it is not (nothing allocated).
 */
static const char *
field(struct ecg_buf *keep, const char *s)
{
	if (s == NULL || strlen(s) <= ECG_EVENT_TEXT_MAX)
		return s;
	ecg_buf_put_cut(keep, s, ECG_EVENT_TEXT_MAX);
	return ecg_buf_failed(keep) ? "(out of memory)" : keep->p;
}

int
ecg_event_names_task(const struct ecg_event *e)
{
	/* The dependency cause is about the waiting task's dependency: said by the group. */
	return e->name != NULL && e->type != ECG_EV_CAUSE_DEPENDENCY;
}

void
ecg_event_format_text(const struct ecg_event *e, int verbose, struct ecg_buf *out)
{
	struct ecg_buf keep[4] = { ECG_BUF_INIT, ECG_BUF_INIT, ECG_BUF_INIT, ECG_BUF_INIT };
	struct ecg_event c = *e;
	int i;

	c.text = field(&keep[0], e->text);
	c.check = field(&keep[1], e->check);
	c.what = field(&keep[2], e->what);
	c.step = field(&keep[3], e->step);
	format_body(&c, verbose, out);
	for (i = 0; i < 4; i++)
		ecg_buf_free(&keep[i]);
}

void
ecg_event_format(const struct ecg_event *e, int verbose, struct ecg_buf *out)
{
	ecg_buf_puts(out, "ecg-run: ");
	if (ecg_event_names_task(e))
		ecg_buf_printf(out, "%s: ", e->name);
	ecg_event_format_text(e, verbose, out);
}
