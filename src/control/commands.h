/*
 * commands: what a control request does to a running group.  The
 * server (server.h) hands each request here; the answers are JSON
 * objects, with "ok" and, when it is false, "error".  The names and
 * values are those of the events' schema (--events).
 *
 *   {"cmd":"status"[,"tasks":[NAME...]]}   the tasks: state, pid, since, restarts, last end
 *   {"cmd":"signal","signal":SIG,"tasks":[NAME...]}
 *   {"cmd":"shutdown"}                     stop the group as SIGTERM would; status 0
 *   {"cmd":"events"}                       every event from now on, as JSON Lines
 *   {"cmd":"restart","tasks":[...][,"wait":true]}   answered once they run again (are ready)
 *   {"cmd":"wait"[,"tasks":[...]][,"timeout_ms":N]}  answered once they (the group) are ready
 *   {"cmd":"stop","tasks":[...]}           answered once they are gone
 *   {"cmd":"start","tasks":[...]}
 *   {"cmd":"check"}                        ok while the group is ready and not stopping
 *   {"cmd":"logs","tasks":[...]}           their output lines from now on, one object each:
 *                                          {"task":NAME,"stream":"stdout"|"stderr","text":LINE}
 * A stream ends, when the group does, with {"end":true,"lost":N}: N lines
 * the client was too slow to take.
 */
#ifndef ECG_COMMANDS_H
#define ECG_COMMANDS_H

#include "config/config.h"
#include "control/server.h"
#include "report/evjson.h"
#include "run/supervisor.h"

/* A client waiting for tasks (restart, restart --wait, wait). */
struct ecg_commands_wait {
	struct ecg_commands_wait *next;
	struct ecg_commands *k;
	struct ecg_control_client *cl;
	const char *cmd;		/* what was asked */
	char *left;			/* per task: still to start (or be ready, or be gone) */
	int group;			/* wait for the group's readiness */
	int ready;			/* ready, not only started */
	int gone;			/* gone (done), not started */
	int over;			/* to be answered: ok, or not with why */
	const char *why;
	ev_timer timeout;		/* wait --timeout */
};

/* A client that follows the output of tasks (logs). */
struct ecg_commands_follower {
	struct ecg_commands_follower *next;
	struct ecg_control_client *cl;
	char *pick;			/* per task: followed */
};

/* A followed task stream's line so far. */
struct ecg_commands_part {
	char *p;
	size_t len, cap;
	int synced;			/* at a line's start: what comes is a whole line */
};

/* A longer line of a task is sent in pieces of this many bytes. */
#define ECG_COMMANDS_LINE_MAX ((size_t)64 * 1024)

struct ecg_commands {
	struct ecg_supervisor *sv;
	const struct ecg_group_spec *spec;
	struct ecg_control *ctl;
	struct ecg_evjson json;		/* for clients that follow the events */
	struct ecg_buf line;
	struct ecg_commands_wait *waits;
	struct ecg_commands_follower *followers;
	unsigned *following;		/* per task: how many follow it */
	struct ecg_commands_part *parts;	/* per task, stdout and stderr */
	size_t name_width;		/* names are padded to it on the terminal */
	const char **health;		/* per task: its health (events' names), NULL: none now */
	int group_ready;		/* the group was said to be ready */
	int stopping;			/* it was said to be stopping */
};

void ecg_commands_init(struct ecg_commands *k, struct ecg_supervisor *sv,
    const struct ecg_group_spec *spec, struct ecg_control *ctl);
void ecg_commands_destroy(struct ecg_commands *k);
/* The server's request function (arg: the commands). */
int ecg_commands_request(struct ecg_control *c, struct ecg_control_client *cl,
    const struct ecg_json_object *req, struct ecg_buf *reply, void *arg);
/* A subscriber of the run's events (arg: the commands): to the clients that follow them. */
void ecg_commands_event(void *arg, const struct ecg_event *ev);

#endif
