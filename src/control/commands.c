#define _GNU_SOURCE
#include "control/commands.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "config/value.h"
#include "task/task.h"

/* Marks a client whose stream (of events, of log lines) begins once its answer is out. */
static char events_after, logs_after;

/* What a streaming client gets (its server's streaming field). */
enum { STREAM_EVENTS = 1, STREAM_LOGS = 2 };

static void client_gone(const struct ecg_control_client *cl, void *arg);
static int refuse(struct ecg_buf *reply, const char *fmt, const char *arg);
static int named(struct ecg_commands *k, const struct ecg_json_object *req, char *pick,
    int required, struct ecg_buf *reply);
static void refused_client(pid_t pid, const char *why, void *arg);
static void said(struct ecg_commands *k, struct ecg_control_client *cl, const char *cmd,
    const char *reply);

void
ecg_commands_init(struct ecg_commands *k, struct ecg_supervisor *sv,
    const struct ecg_group_spec *spec, struct ecg_control *ctl)
{
	memset(k, 0, sizeof(*k));
	k->sv = sv;
	k->spec = spec;
	k->ctl = ctl;
	ctl->gone = client_gone;
	ctl->refused = refused_client;
	ecg_evjson_init(&k->json, spec);
	for (size_t i = 0; i < spec->ntasks; i++)
		if (strlen(spec->tasks[i].name) > k->name_width)
			k->name_width = strlen(spec->tasks[i].name);
	k->health = calloc(spec->ntasks ? spec->ntasks : 1, sizeof(*k->health));
}

static void
wait_unlink(struct ecg_commands_wait *w)
{
	struct ecg_commands_wait **p;

	for (p = &w->k->waits; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	ev_timer_stop(ecg_supervisor_loop(w->k->sv), &w->timeout);
}

static void
wait_free(struct ecg_commands_wait *w)
{
	wait_unlink(w);
	free(w->left);
	free(w);
}

/*
 * A waiting client's answer: ok, or not with why.  The wait leaves the
 * list first: the answer is an event, and events look at the waits.
 */
static void
wait_answer(struct ecg_commands_wait *w, const char *why)
{
	struct ecg_buf reply = ECG_BUF_INIT;

	wait_unlink(w);

	if (why == NULL) {
		ecg_buf_puts(&reply, "{\"ok\":true}");
	} else {
		ecg_buf_puts(&reply, "{\"ok\":false,\"error\":");
		ecg_evjson_string(&reply, why);
		ecg_buf_puts(&reply, "}");
	}
	said(w->k, w->cl, w->cmd, ecg_buf_str(&reply));
	ecg_control_answer(w->cl, reply.p, reply.len);
	ecg_buf_free(&reply);
	free(w->left);
	free(w);
}

/* Whether a wait is over: every task it waits for has done so. */
static int
wait_over(const struct ecg_commands_wait *w)
{
	size_t i, n = ecg_supervisor_ntasks(w->k->sv);

	if (w->group && !w->k->group_ready)
		return 0;
	for (i = 0; i < n; i++)
		if (w->left[i])
			return 0;
	return 1;
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	wait_answer(t->data, "timed out");
}

/* A follower goes: the tasks nobody follows any more forget their lines. */
static void
unfollow(struct ecg_commands *k, struct ecg_commands_follower *f)
{
	struct ecg_commands_follower **p;
	size_t i, n = ecg_supervisor_ntasks(k->sv);

	for (p = &k->followers; *p != NULL; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	for (i = 0; i < n; i++)
		if (f->pick[i] && --k->following[i] == 0) {
			free(k->parts[2 * i].p);
			free(k->parts[2 * i + 1].p);
			memset(&k->parts[2 * i], 0, 2 * sizeof(k->parts[0]));
		}
	if (k->followers == NULL)
		ecg_supervisor_follow(k->sv, NULL, NULL);
	free(f->pick);
	free(f);
}

/* A line (or a piece of a long one) of task id's stream, to its followers. */
static void
follow_line(struct ecg_commands *k, size_t id, int stream, const char *b, size_t n)
{
	struct ecg_commands_follower *f;

	ecg_buf_reset(&k->line);
	ecg_buf_puts(&k->line, "{\"task\":");
	ecg_evjson_string_whole(&k->line, ecg_task_name(ecg_supervisor_task(k->sv, id)));
	ecg_buf_puts(&k->line, stream == 1 ? ",\"stream\":\"stdout\",\"text\":" :
	    ",\"stream\":\"stderr\",\"text\":");
	ecg_evjson_bytes(&k->line, b, n);
	ecg_buf_putc(&k->line, '}');
	if (ecg_buf_failed(&k->line))
		return;
	for (f = k->followers; f != NULL; f = f->next)
		if (f->pick[id] && f->cl->streaming == STREAM_LOGS)
			ecg_control_stream(f->cl, k->line.p, k->line.len);
}

/*
 * Bytes of a task's stream as read: cut into lines for its followers.
 * Bytes that began before anyone followed (the rest of a line) are not
 * theirs: they begin with the next whole line.
 */
static void
follow_bytes(void *arg, size_t id, int stream, const char *b, size_t n, int start)
{
	struct ecg_commands *k = arg;
	struct ecg_commands_part *part;
	const char *nl;
	size_t take;

	if (k->following[id] == 0)
		return;
	part = &k->parts[2 * id + (stream == 1 ? 0 : 1)];
	if (b == NULL) {
		if (part->synced && part->len > 0)
			follow_line(k, id, stream, part->p, part->len);
		part->len = 0;
		part->synced = 1;
		return;
	}
	if (start && part->len == 0)
		part->synced = 1;
	while (n > 0) {
		nl = memchr(b, '\n', n);
		take = nl != NULL ? (size_t)(nl - b) : n;
		if (!part->synced) {
			if (nl == NULL)
				return;
			part->synced = 1;
		} else if (nl != NULL && part->len == 0 && take <= ECG_COMMANDS_LINE_MAX) {
			follow_line(k, id, stream, b, take);	/* whole in what was read */
		} else {
			while (take > 0) {
				size_t room = ECG_COMMANDS_LINE_MAX - part->len, k2 = take < room ? take : room;
				if (part->len + k2 > part->cap) {
					size_t cap = part->cap ? part->cap : 256;
					char *q;
					while (cap < part->len + k2)
						cap *= 2;
					if ((q = realloc(part->p, cap)) == NULL)
						return;
					part->p = q;
					part->cap = cap;
				}
				memcpy(part->p + part->len, b, k2);
				part->len += k2;
				b += k2;
				n -= k2;
				take -= k2;
				if (part->len == ECG_COMMANDS_LINE_MAX) {
					follow_line(k, id, stream, part->p, part->len);
					part->len = 0;
				}
			}
			if (nl == NULL)
				return;
			if (part->len > 0)
				follow_line(k, id, stream, part->p, part->len);
			part->len = 0;
			b = nl + 1;
			n--;
			continue;
		}
		n -= (size_t)(nl + 1 - b);
		b = nl + 1;
	}
}

/* logs TASK...: their lines from now on, once the answer is out. */
static int
logs(struct ecg_commands *k, struct ecg_control_client *cl, const struct ecg_json_object *req,
    struct ecg_buf *reply)
{
	size_t n = ecg_supervisor_ntasks(k->sv), i;
	struct ecg_commands_follower *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->pick = calloc(n ? n : 1, 1)) == NULL ||
	    (k->following == NULL && (k->following = calloc(n ? n : 1, sizeof(*k->following))) == NULL) ||
	    (k->parts == NULL && (k->parts = calloc(2 * (n ? n : 1), sizeof(*k->parts))) == NULL)) {
		if (f != NULL)
			free(f->pick);
		free(f);
		return refuse(reply, "%s", "out of memory");
	}
	if (named(k, req, f->pick, 0, reply) < 0) {
		free(f->pick);
		free(f);
		return 0;
	}
	f->cl = cl;
	for (i = 0; i < n; i++)
		if (f->pick[i])
			k->following[i]++;
	f->next = k->followers;
	k->followers = f;
	ecg_supervisor_follow(k->sv, follow_bytes, k);
	cl->data = &logs_after;	/* streaming begins after the answer */
	ecg_buf_printf(reply, "{\"ok\":true,\"width\":%zu}", k->name_width);
	return 0;
}

static void
client_gone(const struct ecg_control_client *cl, void *arg)
{
	struct ecg_commands *k = arg;
	struct ecg_commands_wait *w, *next;
	struct ecg_commands_follower **f;

	for (w = k->waits; w != NULL; w = next) {
		next = w->next;
		if (w->cl == cl)
			wait_free(w);
	}
	for (f = &k->followers; *f != NULL; f = &(*f)->next)
		if ((*f)->cl == cl) {
			unfollow(k, *f);
			break;
		}
}

void
ecg_commands_destroy(struct ecg_commands *k)
{
	struct ecg_commands_wait *w, *wn;
	struct ecg_commands_follower *f, *fn;

	for (w = k->waits; w != NULL; w = wn) {
		wn = w->next;
		ev_timer_stop(ecg_supervisor_loop(k->sv), &w->timeout);
		free(w->left);
		free(w);
	}
	k->waits = NULL;
	for (f = k->followers; f != NULL; f = fn) {
		fn = f->next;
		free(f->pick);
		free(f);
	}
	if (k->followers != NULL)
		ecg_supervisor_follow(k->sv, NULL, NULL);
	k->followers = NULL;
	free(k->following);
	free(k->parts);
	free(k->health);
	ecg_buf_free(&k->line);
}

/* The state as ctl shows it: a task stopped as asked is "stopped", not done. */
static const char *
shown(const struct ecg_task *t)
{
	if (ecg_task_state(t) == ECG_TASK_DONE && ecg_task_run_end(t)->end == ECG_END_STOPPED)
		return "stopped";
	return ecg_taskstate_shown(ecg_task_state(t));
}

static int
refuse(struct ecg_buf *reply, const char *fmt, const char *arg)
{
	struct ecg_buf why = ECG_BUF_INIT;

	ecg_buf_printf(&why, fmt, arg);
	ecg_buf_puts(reply, "{\"ok\":false,\"error\":");
	ecg_evjson_string(reply, ecg_buf_str(&why));
	ecg_buf_puts(reply, "}");
	ecg_buf_free(&why);
	return 0;
}

/*
 * The tasks a request names ("tasks": [NAME...]) as a mark per task; all
 * of them when it names none (unless required).  0, or -1 with the reply.
 */
static int
named(struct ecg_commands *k, const struct ecg_json_object *req, char *pick, int required,
    struct ecg_buf *reply)
{
	const struct ecg_json_member *m = ecg_json_get(req, "tasks");
	size_t i, n = ecg_supervisor_ntasks(k->sv);
	long at;

	if (m != NULL && m->type != ECG_JSON_STRINGS) {
		refuse(reply, "%s", "\"tasks\" is an array of task names");
		return -1;
	}
	if (m == NULL || m->nitems == 0) {
		if (required) {
			refuse(reply, "%s", "name the tasks (\"tasks\": [NAME...])");
			return -1;
		}
		memset(pick, 1, n);
		return 0;
	}
	memset(pick, 0, n);
	for (i = 0; i < m->nitems; i++) {
		size_t j, replicas = 0;
		if ((at = ecg_supervisor_find(k->sv, m->items[i])) >= 0) {
			pick[at] = 1;
			continue;
		}
		/* The name replicas share: every one of them. */
		for (j = 0; j < n; j++)
			if (k->spec->tasks[j].replica_of != NULL &&
			    strcmp(k->spec->tasks[j].replica_of, m->items[i]) == 0) {
				pick[j] = 1;
				replicas++;
			}
		if (replicas == 0) {
			refuse(reply, "unknown task '%s'", m->items[i]);
			return -1;
		}
	}
	return 0;
}

static void
status_row(struct ecg_commands *k, size_t i, double now, struct ecg_buf *b)
{
	const struct ecg_task *t = ecg_supervisor_task(k->sv, i);
	const struct ecg_run_end *end = ecg_task_run_end(t);
	pid_t pid = ecg_task_pid(t);

	ecg_buf_puts(b, "{\"task\":");
	ecg_evjson_string(b, ecg_task_name(t));
	ecg_buf_printf(b, ",\"state\":\"%s\"", shown(t));
	if (pid > 0 && ecg_task_main_running(t))
		ecg_buf_printf(b, ",\"pid\":%ld", (long)pid);
	else
		ecg_buf_puts(b, ",\"pid\":null");
	ecg_buf_printf(b, ",\"since_ms\":%ld,\"restarts\":%ld",
	    ecg_clock_ms_between(ecg_task_state_since(t), now), ecg_task_attempt(t) - 1);
	if (k->health != NULL && k->health[i] != NULL)
		ecg_buf_printf(b, ",\"health\":\"%s\"", k->health[i]);
	else
		ecg_buf_puts(b, ",\"health\":null");
	if (end->end == ECG_END_NONE)
		ecg_buf_puts(b, ",\"last\":null}");
	else
		ecg_buf_printf(b, ",\"last\":{\"end\":\"%s\",\"code\":%d}}",
		    ecg_event_end_name(end->end), end->code);
}

static void
format_ms(long ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%ldms", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(buf, len, "%ldm%02lds", ms / 60000, ms / 1000 % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", ms / 3600000, ms / 60000 % 60);
}

/* The table ctl status prints: a row per task, columns aligned. */
static void
status_text(struct ecg_commands *k, const char *pick, double now, struct ecg_buf *text)
{
	size_t n = ecg_supervisor_ntasks(k->sv), i, wname = 4, wstate = 5;
	char pid[24], since[24], last[48];

	for (i = 0; i < n; i++)
		if (pick[i]) {
			const struct ecg_task *t = ecg_supervisor_task(k->sv, i);
			if (strlen(ecg_task_name(t)) > wname)
				wname = strlen(ecg_task_name(t));
			if (strlen(shown(t)) > wstate)
				wstate = strlen(shown(t));
		}
	ecg_buf_printf(text, "%-*s  %-*s  %7s  %8s  %8s  %-9s  %s\n", (int)wname, "TASK",
	    (int)wstate, "STATE", "PID", "SINCE", "RESTARTS", "HEALTH", "LAST");
	for (i = 0; i < n; i++) {
		const struct ecg_task *t = ecg_supervisor_task(k->sv, i);
		const struct ecg_run_end *end = ecg_task_run_end(t);
		if (!pick[i])
			continue;
		if (ecg_task_pid(t) > 0 && ecg_task_main_running(t))
			snprintf(pid, sizeof(pid), "%ld", (long)ecg_task_pid(t));
		else
			snprintf(pid, sizeof(pid), "-");
		format_ms(ecg_clock_ms_between(ecg_task_state_since(t), now), since, sizeof(since));
		if (end->end == ECG_END_NONE)
			snprintf(last, sizeof(last), "-");
		else
			snprintf(last, sizeof(last), "%s %d", ecg_event_end_name(end->end), end->code);
		ecg_buf_printf(text, "%-*s  %-*s  %7s  %8s  %8ld  %-9s  %s\n", (int)wname,
		    ecg_task_name(t), (int)wstate, shown(t), pid, since, ecg_task_attempt(t) - 1,
		    k->health != NULL && k->health[i] != NULL ? k->health[i] : "-", last);
	}
}

static int
status(struct ecg_commands *k, const struct ecg_json_object *req, struct ecg_buf *reply)
{
	const struct ecg_json_member *format = ecg_json_get(req, "format");
	size_t n = ecg_supervisor_ntasks(k->sv), i, rows = 0;
	char *pick = calloc(n ? n : 1, 1);
	double now = ecg_clock_now();

	if (pick == NULL)
		return refuse(reply, "%s", "out of memory");
	if (named(k, req, pick, 0, reply) < 0) {
		free(pick);
		return 0;
	}
	ecg_buf_puts(reply, "{\"ok\":true,\"v\":1,\"group\":");
	ecg_evjson_string(reply, k->spec->name);
	ecg_buf_printf(reply, ",\"pid\":%ld,\"state\":\"%s\",\"tasks\":[", (long)getpid(),
	    ecg_supervisor_stopping(k->sv) ? "stopping" : "running");
	for (i = 0; i < n; i++)
		if (pick[i]) {
			if (rows++ > 0)
				ecg_buf_putc(reply, ',');
			status_row(k, i, now, reply);
		}
	ecg_buf_puts(reply, "]");
	if (format != NULL && format->type == ECG_JSON_STRING && strcmp(format->str, "text") == 0) {
		struct ecg_buf text = ECG_BUF_INIT;
		status_text(k, pick, now, &text);
		ecg_buf_puts(reply, ",\"text\":");
		ecg_evjson_string_whole(reply, ecg_buf_str(&text));
		ecg_buf_free(&text);
	}
	ecg_buf_puts(reply, "}");
	free(pick);
	return 0;
}

static int
signal_tasks(struct ecg_commands *k, const struct ecg_json_object *req, struct ecg_buf *reply)
{
	const struct ecg_json_member *m = ecg_json_get(req, "signal");
	size_t n = ecg_supervisor_ntasks(k->sv), i;
	const char *why = NULL;
	char *pick;
	int sig;

	if (m == NULL || m->type != ECG_JSON_STRING)
		return refuse(reply, "%s", "say which signal (\"signal\": \"HUP\")");
	if (ecg_value_signal(m->str, &sig, &why) < 0)
		return refuse(reply, "bad signal: %s", m->str);
	if ((pick = calloc(n ? n : 1, 1)) == NULL)
		return refuse(reply, "%s", "out of memory");
	if (named(k, req, pick, 1, reply) == 0) {
		for (i = 0; i < n; i++)
			if (pick[i])
				ecg_supervisor_signal_task(k->sv, i, sig);
		ecg_buf_puts(reply, "{\"ok\":true}");
	}
	free(pick);
	return 0;
}

/* A wait for the tasks picked (or the group), answered later: 1, or 0 if answered now. */
static int
wait_for(struct ecg_commands *k, struct ecg_control_client *cl, const char *cmd, char *pick,
    int group, int ready, long timeout_ms, struct ecg_buf *reply)
{
	struct ecg_commands_wait *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		free(pick);
		return refuse(reply, "%s", "out of memory");
	}
	w->k = k;
	w->cl = cl;
	w->cmd = cmd;
	w->left = pick;
	w->gone = strcmp(cmd, "stop") == 0;
	w->group = group;
	w->ready = ready;
	ev_timer_init(&w->timeout, timeout_cb, (double)timeout_ms / 1000.0, 0);
	w->timeout.data = w;
	w->next = k->waits;
	k->waits = w;
	if (wait_over(w)) {
		wait_free(w);
		ecg_buf_puts(reply, "{\"ok\":true}");
		return 0;
	}
	if (k->stopping && !w->gone) {
		wait_free(w);
		return refuse(reply, "%s", "the group is stopping");
	}
	if (timeout_ms > 0)
		ev_timer_start(ecg_supervisor_loop(k->sv), &w->timeout);
	return 1;
}

/* restart, stop, start: each named task, in order; the first that cannot is said. */
static int
act(struct ecg_commands *k, struct ecg_control_client *cl, const char *cmd,
    const struct ecg_json_object *req, struct ecg_buf *reply)
{
	size_t n = ecg_supervisor_ntasks(k->sv), i;
	struct ecg_buf why = ECG_BUF_INIT;
	char *pick;
	int rc = 0;

	if ((pick = calloc(n ? n : 1, 1)) == NULL)
		return refuse(reply, "%s", "out of memory");
	if (named(k, req, pick, 1, reply) < 0) {
		free(pick);
		return 0;
	}
	for (i = 0; i < n && rc == 0; i++) {
		const struct ecg_task *t = ecg_supervisor_task(k->sv, i);
		if (!pick[i])
			continue;
		if (strcmp(cmd, "restart") == 0) {
			rc = ecg_supervisor_restart_task(k->sv, i, (long)cl->pid);
			/* One that is done starts again: a restart of it is a start. */
			if (rc == -EALREADY && ecg_task_state(t) == ECG_TASK_DONE)
				rc = ecg_supervisor_start_task(k->sv, i, (long)cl->pid);
		} else if (strcmp(cmd, "stop") == 0) {
			rc = ecg_supervisor_stop_task(k->sv, i, (long)cl->pid);
		} else {
			rc = ecg_supervisor_start_task(k->sv, i, (long)cl->pid);
		}
		if (rc == -ECANCELED)
			ecg_buf_puts(&why, "the group is stopping");
		else if (rc < 0)
			ecg_buf_printf(&why, "%s is %s: it cannot %s now", ecg_task_name(t),
			    shown(t), cmd);
	}
	if (rc < 0) {
		free(pick);
		refuse(reply, "%s", ecg_buf_str(&why));
		ecg_buf_free(&why);
		return 0;
	}
	ecg_buf_free(&why);
	/* A restart is answered once the new runs have started (or, --wait, are ready). */
	if (strcmp(cmd, "restart") == 0) {
		const struct ecg_json_member *w = ecg_json_get(req, "wait");
		return wait_for(k, cl, "restart", pick, 0,
		    w != NULL && w->type == ECG_JSON_BOOL && w->num, 0, reply);
	}
	/* A stop is answered once they are gone. */
	if (strcmp(cmd, "stop") == 0) {
		for (i = 0; i < n; i++)
			if (pick[i] && ecg_task_state(ecg_supervisor_task(k->sv, i)) == ECG_TASK_DONE)
				pick[i] = 0;
		return wait_for(k, cl, "stop", pick, 0, 0, 0, reply);
	}
	free(pick);
	ecg_buf_puts(reply, "{\"ok\":true}");
	return 0;
}

/*
 * check: the group is ready, not stopping, and every task with a health
 * check that runs is healthy (what an orchestrator's probe asks).
 */
static int
check(struct ecg_commands *k, struct ecg_buf *reply)
{
	size_t i, n = ecg_supervisor_ntasks(k->sv);

	if (!k->group_ready)
		return refuse(reply, "%s", "the group is not ready");
	if (k->stopping || ecg_supervisor_stopping(k->sv))
		return refuse(reply, "%s", "the group is stopping");
	for (i = 0; i < n && k->health != NULL; i++) {
		const struct ecg_task *t = ecg_supervisor_task(k->sv, i);
		if (k->spec->tasks[i].health.check == NULL || !ecg_task_main_running(t))
			continue;
		if (k->health[i] == NULL || strcmp(k->health[i], "healthy") != 0)
			return refuse(reply, "%s is not healthy", ecg_task_name(t));
	}
	ecg_buf_puts(reply, "{\"ok\":true}");
	return 0;
}

/* wait: the tasks named are ready (each, latched), or the group is. */
static int
wait_cmd(struct ecg_commands *k, struct ecg_control_client *cl,
    const struct ecg_json_object *req, struct ecg_buf *reply)
{
	const struct ecg_json_member *tasks = ecg_json_get(req, "tasks"),
	    *timeout = ecg_json_get(req, "timeout_ms");
	size_t n = ecg_supervisor_ntasks(k->sv), i;
	char *pick = calloc(n ? n : 1, 1);
	int group = tasks == NULL || tasks->nitems == 0;

	if (pick == NULL)
		return refuse(reply, "%s", "out of memory");
	if (!group && named(k, req, pick, 1, reply) < 0) {
		free(pick);
		return 0;
	}
	if (group)
		memset(pick, 0, n);
	for (i = 0; i < n; i++)
		if (pick[i] && ecg_task_ever_ready(ecg_supervisor_task(k->sv, i)))
			pick[i] = 0;
	return wait_for(k, cl, "wait", pick, group, 1, timeout != NULL && timeout->type == ECG_JSON_INT ?
	    (long)timeout->num : 0, reply);
}


static int handle(struct ecg_commands *k, struct ecg_control_client *cl,
    const struct ecg_json_object *req, struct ecg_buf *reply);

/* A request and its result, as an event (-v shows it; --events has it). */
static void
said(struct ecg_commands *k, struct ecg_control_client *cl, const char *cmd, const char *reply)
{
	struct ecg_json_object ans;
	struct ecg_buf why = ECG_BUF_INIT;
	struct ecg_event ev = { .type = ECG_EV_CONTROL, .what = cmd, .pid = (long)cl->pid };
	const struct ecg_json_member *ok, *err;

	if (ecg_json_parse(reply, strlen(reply), &ans, &why) == 0) {
		ok = ecg_json_get(&ans, "ok");
		err = ecg_json_get(&ans, "error");
		ev.code = ok != NULL && ok->type == ECG_JSON_BOOL && ok->num ? 0 : 1;
		ev.text = err != NULL && err->type == ECG_JSON_STRING ? err->str : NULL;
		ecg_supervisor_publish(k->sv, &ev);
		ecg_json_free(&ans);
	}
	ecg_buf_free(&why);
}

static void
refused_client(pid_t pid, const char *why, void *arg)
{
	struct ecg_commands *k = arg;
	struct ecg_event ev = { .type = ECG_EV_CONTROL_REFUSED, .pid = (long)pid };

	(void)why;
	ecg_supervisor_publish(k->sv, &ev);
}

int
ecg_commands_request(struct ecg_control *c, struct ecg_control_client *cl,
    const struct ecg_json_object *req, struct ecg_buf *reply, void *arg)
{
	struct ecg_commands *k = arg;
	const struct ecg_json_member *cmd = ecg_json_get(req, "cmd");
	int rc;

	(void)c;
	rc = handle(k, cl, req, reply);
	if (rc == 0)
		said(k, cl, cmd != NULL && cmd->type == ECG_JSON_STRING ? cmd->str : "?",
		    ecg_buf_str(reply));
	/* The answer goes out first: only what comes after it is streamed. */
	if (cl->data == &events_after || cl->data == &logs_after) {
		cl->streaming = cl->data == &events_after ? STREAM_EVENTS : STREAM_LOGS;
		cl->data = NULL;
	}
	return rc;
}

static int
handle(struct ecg_commands *k, struct ecg_control_client *cl,
    const struct ecg_json_object *req, struct ecg_buf *reply)
{
	const struct ecg_json_member *cmd = ecg_json_get(req, "cmd");

	if (cmd == NULL || cmd->type != ECG_JSON_STRING)
		return refuse(reply, "%s", "say what to do (\"cmd\": \"status\")");
	if (strcmp(cmd->str, "status") == 0)
		return status(k, req, reply);
	if (strcmp(cmd->str, "signal") == 0)
		return signal_tasks(k, req, reply);
	if (strcmp(cmd->str, "restart") == 0 || strcmp(cmd->str, "stop") == 0 ||
	    strcmp(cmd->str, "start") == 0)
		return act(k, cl, cmd->str, req, reply);
	if (strcmp(cmd->str, "wait") == 0)
		return wait_cmd(k, cl, req, reply);
	if (strcmp(cmd->str, "check") == 0)
		return check(k, reply);
	if (strcmp(cmd->str, "shutdown") == 0) {
		if (ecg_supervisor_shutdown(k->sv, (long)cl->pid) < 0)
			return refuse(reply, "%s", "the group is stopping already");
		ecg_buf_puts(reply, "{\"ok\":true}");
		return 0;
	}
	if (strcmp(cmd->str, "logs") == 0) {
		return logs(k, cl, req, reply);
	}
	if (strcmp(cmd->str, "events") == 0) {
		/* Streaming begins after its answer (see ecg_commands_request). */
		cl->data = &events_after;
		ecg_buf_puts(reply, "{\"ok\":true}");
		return 0;
	}
	return refuse(reply, "unknown command '%s'", cmd->str);
}

void
ecg_commands_event(void *arg, const struct ecg_event *ev)
{
	struct ecg_commands *k = arg;
	struct ecg_event e = *ev;
	size_t i;

	struct ecg_commands_wait *w;

	if (ev->type == ECG_EV_GROUP_READY)
		k->group_ready = 1;
	/* Each task's health, as its events say it: from its readiness until its run ends. */
	if (ev->name != NULL && ev->index < k->spec->ntasks && k->health != NULL &&
	    k->spec->tasks[ev->index].health.check != NULL) {
		if (ev->type == ECG_EV_HEALTH)
			k->health[ev->index] = ev->what;
		else if (ev->type == ECG_EV_READY)
			k->health[ev->index] = "starting";
		else if (ev->type == ECG_EV_STARTED || ev->type == ECG_EV_ENDED ||
		    ev->type == ECG_EV_RUN_OVER)
			k->health[ev->index] = NULL;
	}
	/* Marked first, answered after: an answer is an event, which comes here again. */
	for (w = k->waits; w != NULL; w = w->next) {
		if (ev->type == ECG_EV_STOPPING && !w->gone) {
			w->over = 1;
			w->why = "the group is stopping";
			continue;
		}
		if (ev->name != NULL && ev->index < ecg_supervisor_ntasks(k->sv) &&
		    (w->gone ? ev->type == ECG_EV_DONE :
		    (ev->type == ECG_EV_STARTED && !w->ready) || ev->type == ECG_EV_READY))
			w->left[ev->index] = 0;
		if (!w->over && wait_over(w))
			w->over = 1;
	}
	for (;;) {
		/* wait_answer takes w off the list before it frees it. */
		// NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
		for (w = k->waits; w != NULL && !w->over; w = w->next)
			;
		if (w == NULL)
			break;
		wait_answer(w, w->why);
	}
	if (ev->type == ECG_EV_STOPPING)
		k->stopping = 1;
	if (ecg_event_is_life(ev) || k->ctl->nclients == 0)
		return;
	e.at = ecg_clock_ms();
	ecg_buf_reset(&k->line);
	if (ecg_evjson_format(&k->json, &e, &k->line) == 0 || ecg_buf_failed(&k->line))
		return;
	/* One line per event: the format's newline is the stream's. */
	if (k->line.len > 0 && k->line.p[k->line.len - 1] == '\n')
		k->line.len--;
	for (i = 0; i < k->ctl->nclients; i++)
		if (k->ctl->clients[i]->streaming == STREAM_EVENTS)
			ecg_control_stream(k->ctl->clients[i], k->line.p, k->line.len);
}
