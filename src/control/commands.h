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
 */
#ifndef ECG_COMMANDS_H
#define ECG_COMMANDS_H

#include "config/config.h"
#include "control/server.h"
#include "report/evjson.h"
#include "run/supervisor.h"

struct ecg_commands {
	struct ecg_supervisor *sv;
	const struct ecg_group_spec *spec;
	struct ecg_control *ctl;
	struct ecg_evjson json;		/* for clients that follow the events */
	struct ecg_buf line;
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
