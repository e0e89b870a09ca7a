#define _GNU_SOURCE
#include "report/evjson.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/safeopen.h"
#include "config/value.h"

void
ecg_evjson_init(struct ecg_evjson *j, const struct ecg_group_spec *group)
{
	j->group = group;
}

/* The lines being built. */
struct out {
	struct ecg_buf *b;
};

static void
raw(struct out *o, const char *s, size_t n)
{
	ecg_buf_put(o->b, s, n);
}

static void
rawz(struct out *o, const char *s)
{
	raw(o, s, strlen(s));
}

/*
 * A JSON string: escaped, and valid UTF-8 whatever the bytes (U+FFFD for
 * the others).  Free text longer than ECG_EVENT_TEXT_MAX is cut visibly.
 */
static void
bytes_cut(struct out *o, const char *s, size_t n, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;
	int cut = 0;
	char esc[8];

	rawz(o, "\"");
	if (n > max) {
		n = ecg_buf_boundary((const char *)p, max);
		cut = 1;
	}
	while (n > 0) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			raw(o, esc, 2);
			k = 1;
		} else if (*p < 0x20 || *p == 0x7F) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			rawz(o, esc);
			k = 1;
		} else if ((k = ecg_value_utf8_len(p, n)) == 0) {
			rawz(o, "\xEF\xBF\xBD");
			k = 1;
		} else {
			raw(o, (const char *)p, k);
		}
		p += k;
		n -= k;
	}
	if (cut)
		rawz(o, ECG_BUF_CUT_MARK);
	rawz(o, "\"");
}

static void
str_cut(struct out *o, const char *s, size_t max)
{
	bytes_cut(o, s != NULL ? s : "", s != NULL ? strlen(s) : 0, max);
}

static void
str(struct out *o, const char *s)
{
	str_cut(o, s, ECG_EVENT_TEXT_MAX);
}

static void
key_str(struct out *o, const char *key, const char *v)
{
	rawz(o, ",\"");
	rawz(o, key);
	rawz(o, "\":");
	str(o, v);
}

static void
key_long(struct out *o, const char *key, long v)
{
	char num[32];

	snprintf(num, sizeof(num), ",\"%s\":%ld", key, v);
	rawz(o, num);
}

static void
key_signal(struct out *o, const char *key, int sig)
{
	char buf[16], name[24];

	snprintf(name, sizeof(name), "SIG%s", ecg_value_signame(sig, buf, sizeof(buf)));
	key_str(o, key, name);
}

/* {"event":NAME,"time":...,"mono_ms":...[,"task":...] */
static void
begin(const struct ecg_evjson *j, struct out *o, const char *name, const struct ecg_event *ev)
{
	struct timespec now;
	struct tm tm;
	char when[64];

	(void)j;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ",
	    now.tv_nsec / 1000000);
	rawz(o, "{\"event\":");
	str(o, name);
	key_str(o, "time", when);
	key_long(o, "mono_ms", ev->at);
	if (ecg_event_names_task(ev))
		key_str(o, "task", ev->name);
}

static void
end(struct out *o)
{
	rawz(o, "}\n");
}

/* How a run ended, as the fields of an exit event. */
static void
exit_fields(struct out *o, const struct ecg_event *ev)
{
	/* An exit event says how the process ended; the others, how the run did. */
	int plain = ev->type == ECG_EV_EXITED || ev->type == ECG_EV_KILLED;

	if (ev->pid > 0)
		key_long(o, "pid", ev->pid);
	if (ev->type == ECG_EV_KILLED || (!plain && ev->end == ECG_END_KILLED))
		key_signal(o, "signal", ev->sig);
	else
		key_long(o, "code", ev->code);
	if (!plain && ev->end != ECG_END_EXITED && ev->end != ECG_END_KILLED)
		key_str(o, "error", ecg_event_end_name(ev->end));
	key_long(o, "runtime_ms", ev->ms);
}

/* The cancel event: what caused it, and the exit status it implies. */
static void
cancel(const struct ecg_evjson *j, struct out *o, const struct ecg_event *ev, const char *cause,
    int status)
{
	begin(j, o, "cancel", ev);
	key_str(o, "cause", cause);
	if (ev->type == ECG_EV_CAUSE_DEPENDENCY) {
		key_str(o, "task", ev->other);
		key_str(o, "dependency", ev->name);
	}
	if (ev->type == ECG_EV_CAUSE_SIGNAL)
		key_signal(o, "signal", ev->sig);
	if (ev->type == ECG_EV_CAUSE_OUTPUT)
		key_str(o, "stream", ev->stream == 1 ? "stdout" : "stderr");
	key_long(o, "status", status);
	end(o);
}

static void
timeout(const struct ecg_evjson *j, struct out *o, const struct ecg_event *ev, int ready)
{
	begin(j, o, "timeout", ev);
	key_str(o, "kind", ready ? "ready" : "run");
	if (ready) {
		key_str(o, "check", ev->check);
		key_str(o, "error", ev->text);
	}
	key_long(o, "after_ms", ev->ms);
	end(o);
}

/* Its health checks failed: it is stopped, its end is a failure. */
static void
unhealthy(const struct ecg_evjson *j, struct out *o, const struct ecg_event *ev)
{
	begin(j, o, "unhealthy", ev);
	key_str(o, "check", ev->check);
	key_str(o, "error", ev->text);
	end(o);
}

/* Every other event: its text, as ecg-run prints it, and how loud it is. */
static void
message(const struct ecg_evjson *j, struct out *o, const struct ecg_event *ev)
{
	static const char *const levels[] = { "info", "verbose", "cause", "error", "data" };
	struct ecg_buf text = ECG_BUF_INIT;

	ecg_event_format_text(ev, 1, &text);
	begin(j, o, "message", ev);
	key_str(o, "level", levels[ecg_event_level(ev)]);
	/* Its pieces were cut already: the message is whole. */
	rawz(o, ",\"text\":");
	str_cut(o, ecg_buf_str(&text), (size_t)-1);
	end(o);
	ecg_buf_free(&text);
}

size_t
ecg_evjson_format(const struct ecg_evjson *j, const struct ecg_event *ev, struct ecg_buf *out)
{
	const struct ecg_task_spec *t = ev->name != NULL && ev->index < j->group->ntasks ?
	    &j->group->tasks[ev->index] : NULL;
	struct out o = { out };
	size_t i, len0 = out->len;

	switch (ev->type) {
	case ECG_EV_GROUP_START:
		begin(j, &o, "group_start", ev);
		key_long(&o, "v", ECG_EVJSON_VERSION);
		key_str(&o, "group", j->group->name);
		rawz(&o, ",\"tasks\":[");
		for (i = 0; i < j->group->ntasks; i++) {
			if (i > 0)
				rawz(&o, ",");
			str(&o, j->group->tasks[i].name);
		}
		rawz(&o, "]");
		end(&o);
		break;
	case ECG_EV_WAITING:
		begin(j, &o, "waiting", ev);
		rawz(&o, ",\"after\":[");
		for (i = 0; t != NULL && i < t->nafter; i++) {
			if (i > 0)
				rawz(&o, ",");
			str(&o, j->group->tasks[t->after[i]].name);
		}
		rawz(&o, "]");
		end(&o);
		break;
	case ECG_EV_WAITING_SLOT:
		begin(j, &o, "waiting_slot", ev);
		key_long(&o, "max_parallel", (long)ev->n);
		rawz(&o, ",\"held_by\":[");
		for (i = 0; i < ev->ntasks; i++) {
			if (i > 0)
				rawz(&o, ",");
			str(&o, j->group->tasks[ev->tasks[i]].name);
		}
		rawz(&o, "]");
		end(&o);
		break;
	case ECG_EV_STARTED:
		begin(j, &o, "start", ev);
		key_long(&o, "pid", ev->pid);
		key_long(&o, "attempt", ev->n > 0 ? (long)ev->n : 1);
		end(&o);
		break;
	case ECG_EV_START_FAILED: {
		struct ecg_buf why = ECG_BUF_INIT;
		ecg_buf_put_cut(&why, ev->step, ECG_EVENT_TEXT_MAX);
		if (ev->what != NULL) {
			ecg_buf_putc(&why, ' ');
			ecg_buf_put_cut(&why, ev->what, ECG_EVENT_TEXT_MAX);
		}
		ecg_buf_printf(&why, ": %s", ecg_safeopen_strerror(ev->err));
		begin(j, &o, "exit", ev);
		key_long(&o, "code", ev->code != 0 ? ev->code : 127);
		rawz(&o, ",\"error\":");
		str_cut(&o, ecg_buf_str(&why), (size_t)-1);
		key_long(&o, "runtime_ms", 0);
		end(&o);
		ecg_buf_free(&why);
		break;
	}
	case ECG_EV_READY:
		begin(j, &o, "ready", ev);
		key_str(&o, "check", ev->check);
		key_long(&o, "after_ms", ev->ms);
		end(&o);
		break;
	case ECG_EV_EXITED:
	case ECG_EV_KILLED:
		begin(j, &o, "exit", ev);
		exit_fields(&o, ev);
		end(&o);
		break;
	case ECG_EV_RESTARTING:
		if (ev->end != ECG_END_START_FAILED) {
			begin(j, &o, "exit", ev);
			exit_fields(&o, ev);
			end(&o);
		}
		begin(j, &o, "restart", ev);
		key_long(&o, "attempt", (long)ev->n + 1);
		key_long(&o, "delay_ms", ev->delay);
		end(&o);
		break;
	case ECG_EV_NOT_READY:
		timeout(j, &o, ev, 1);
		break;
	case ECG_EV_TIMED_OUT:
		timeout(j, &o, ev, 0);
		break;
	case ECG_EV_CAUSE_NOT_READY:
		timeout(j, &o, ev, 1);
		cancel(j, &o, ev, "task", 124);
		break;
	case ECG_EV_CAUSE_TIMEOUT:
		timeout(j, &o, ev, 0);
		cancel(j, &o, ev, "task", 124);
		break;
	case ECG_EV_HEALTH:
		begin(j, &o, "health", ev);
		key_str(&o, "health", ev->what);
		key_str(&o, "check", ev->check);
		key_long(&o, "failures", (long)ev->n);
		if (ev->text != NULL)
			key_str(&o, "error", ev->text);
		end(&o);
		break;
	case ECG_EV_UNHEALTHY:
		unhealthy(j, &o, ev);
		break;
	case ECG_EV_CAUSE_UNHEALTHY:
		unhealthy(j, &o, ev);
		cancel(j, &o, ev, "task", 124);
		break;
	case ECG_EV_CAUSE_EXIT:
	case ECG_EV_CAUSE_FAILED:
		cancel(j, &o, ev, "task", ev->code);
		break;
	case ECG_EV_CAUSE_DEPENDENCY:
		cancel(j, &o, ev, "task", ev->code != 0 ? ev->code : 1);
		break;
	case ECG_EV_CAUSE_SIGNAL:
		cancel(j, &o, ev, "signal", 128 + ev->sig);
		break;
	case ECG_EV_CAUSE_DEADLINE:
		cancel(j, &o, ev, "deadline", 124);
		break;
	case ECG_EV_CAUSE_OUTPUT:
		cancel(j, &o, ev, "output", ev->err == EPIPE ? 141 : 125);
		break;
	case ECG_EV_CAUSE_SHUTDOWN:
		cancel(j, &o, ev, "shutdown", ev->code);
		break;
	case ECG_EV_CONTROL:
		begin(j, &o, "control", ev);
		key_str(&o, "command", ev->what);
		key_long(&o, "pid", ev->pid);
		rawz(&o, ev->code == 0 ? ",\"ok\":true" : ",\"ok\":false");
		if (ev->code != 0)
			key_str(&o, "error", ev->text);
		end(&o);
		break;
	case ECG_EV_SENT:
	case ECG_EV_SENT_ESCAPEES:
		if (ev->sig == SIGCONT)
			break;
		begin(j, &o, ev->sig == SIGKILL ? "kill" : t != NULL &&
		    ev->sig == t->stop_signal ? "stop" : "signal", ev);
		key_signal(&o, "signal", ev->sig);
		if (ev->type == ECG_EV_SENT)
			key_long(&o, "pgid", ev->pid);
		else
			key_long(&o, "escaped", (long)ev->n);
		end(&o);
		break;
	case ECG_EV_NOT_STARTED:
		begin(j, &o, "not_started", ev);
		end(&o);
		break;
	case ECG_EV_NOT_RESTARTED:
		begin(j, &o, "not_restarted", ev);
		end(&o);
		break;
	case ECG_EV_GROUP_READY:
		begin(j, &o, "group_ready", ev);
		key_long(&o, "after_ms", ev->ms);
		end(&o);
		break;
	case ECG_EV_GROUP_END:
		begin(j, &o, "group_end", ev);
		key_long(&o, "status", ev->code);
		key_long(&o, "duration_ms", ev->ms);
		end(&o);
		break;
	case ECG_EV_STOPPING:
	case ECG_EV_ESCALATING:
		/* said by the cancel and the kill events */
	case ECG_EV_SPAWNED:
	case ECG_EV_ENDED:
	case ECG_EV_RUN_OVER:
	case ECG_EV_DONE:
		/* a task's life, for the modules that follow it */
		break;
	default:
		message(j, &o, ev);
		break;
	}
	return o.b->len - len0;
}

void
ecg_evjson_string(struct ecg_buf *b, const char *s)
{
	struct out o = { b };

	str(&o, s);
}

void
ecg_evjson_bytes(struct ecg_buf *b, const char *s, size_t n)
{
	struct out o = { b };

	bytes_cut(&o, s, n, (size_t)-1);
}

void
ecg_evjson_string_whole(struct ecg_buf *b, const char *s)
{
	struct out o = { b };

	str_cut(&o, s, (size_t)-1);
}
