/*
 * event: what happens during a run, as data.
 *
 * Every lifecycle message (a task started, exited, is ready, a signal was
 * sent, why the group is stopping) is an event: a type, the task it is
 * about (or none: the group), and the fields that type uses.  Modules
 * emit events on a bus; the front end decides what to do with them.  The
 * text that ecg-run prints on stderr is one rendering (evtext.h); others
 * are made from the same events.
 */
#ifndef ECG_EVENT_H
#define ECG_EVENT_H

#include <stddef.h>

enum ecg_end {
	ECG_END_NONE,		/* not yet (or never started) */
	ECG_END_EXITED,		/* exited: code is its status */
	ECG_END_KILLED,		/* by a signal: code is 128 + it */
	ECG_END_START_FAILED,	/* could not become its command: 126 or 127 */
	ECG_END_NOT_READY,	/* its readiness check failed: 124 */
	ECG_END_TIMEOUT,	/* it ran past its timeout: 124 */
	ECG_END_STOPPED,	/* stopped by request (ecg-run ctl): never a failure */
	ECG_END_UNHEALTHY,	/* its health checks failed after ready: 124 */
};

enum ecg_event_type {
	/* about one task */
	ECG_EV_WAITING,		/* text: the tasks it waits for */
	ECG_EV_STARTED,		/* pid, n: which run (1: the first) */
	ECG_EV_START_FAILED,	/* step, what (or NULL), err, code: 126 or 127 */
	ECG_EV_READY,		/* check, ms: since it started; first: its first readiness */
	ECG_EV_STATUS,		/* text: a STATUS= of its notify socket */
	ECG_EV_NOTIFY_REFUSED,	/* pid: the sender (0: unknown), text: why */
	ECG_EV_PORT_HELD,	/* text: its check's port is held by a process not its own */
	ECG_EV_NOT_READY,	/* check, ms: its ready_timeout, text: last probe error */
	ECG_EV_EXITED,		/* code; end: its run's (not ready, timed out: decided before) */
	ECG_EV_KILLED,		/* sig, core; end: as for EXITED */
	ECG_EV_NOT_STARTED,	/* the group was cancelled before it could start */
	ECG_EV_SENT,		/* sig, pid: to its process group */
	ECG_EV_SENT_ESCAPEES,	/* sig, n */
	ECG_EV_ESCALATING,	/* ms: its stop_timeout */
	ECG_EV_STOP_COMMAND,	/* pid: its stop_command runs; or err, step: it could not start */
	ECG_EV_LEFTOVERS,	/* its main process ended: text, n: what it left in its group; limit: escaped */
	ECG_EV_OUTPUT_HELD,	/* its output is held open by a stranger */
	ECG_EV_READ_ERROR,	/* stream, err */
	ECG_EV_GIVEN_UP,	/* still there at the deadline */
	ECG_EV_RESTARTING,	/* end, code, sig, ms, check, text; delay, n of limit */
	ECG_EV_NOT_RESTARTED,	/* the group stopped while it waited to restart */
	ECG_EV_TIMED_OUT,	/* ms: its timeout (its end does not count) */
	ECG_EV_WAITING_SLOT,	/* n: max_parallel; text, tasks: the tasks that hold the slots */
	ECG_EV_NO_SLOT,		/* n: max_parallel; text: the tasks it is after that hold them */
	ECG_EV_LOG_ERROR,	/* step: what failed (write, rotate, open), what: its log file, err */
	ECG_EV_LOG_LOST,	/* what: its log file, n: lines that could not be written */
	ECG_EV_RESTART_ASKED,	/* pid: who asked (ecg-run ctl restart): its run stops, another starts */
	ECG_EV_HALT_ASKED,	/* pid: who asked (ecg-run ctl stop): it stops and stays stopped */
	ECG_EV_START_ASKED,	/* pid: who asked (ecg-run ctl start) */
	ECG_EV_HEALTH,		/* what: its health ("healthy", "failing", "unhealthy"), n: failures in a row, check, text: the last failure */
	ECG_EV_UNHEALTHY,	/* check, text: why (its end does not count) */
	/* a task's life, for the modules that follow it (data only: never rendered) */
	ECG_EV_SPAWNED,		/* pid: its run's process group was made */
	ECG_EV_ENDED,		/* end, code: its run's end counts; was_ready */
	ECG_EV_RUN_OVER,	/* pid: its run's process group is gone, and it runs again */
	ECG_EV_DONE,		/* pid (or -1); n: 1 if it ever started; nothing of it is left */
	/* why the group is stopping: the cause (end, as RESTARTING, for the task's) */
	ECG_EV_CAUSE_EXIT,	/* task: ended with cancel_on = exit */
	ECG_EV_CAUSE_FAILED,	/* task: code */
	ECG_EV_CAUSE_NOT_READY,	/* task: see ECG_EV_NOT_READY; code 124 */
	ECG_EV_CAUSE_UNHEALTHY,	/* task: see ECG_EV_UNHEALTHY; code 124 */
	ECG_EV_CAUSE_DEPENDENCY,	/* task waits for other, which ended before it was ready */
	ECG_EV_CAUSE_TIMEOUT,	/* task: ms, its timeout; code 124 */
	ECG_EV_CAUSE_DEADLINE,	/* ms: the group's deadline; code 124 */
	ECG_EV_CAUSE_SIGNAL,	/* sig */
	ECG_EV_CAUSE_OUTPUT,	/* stream, err, n: tasks still running */
	ECG_EV_CAUSE_SHUTDOWN,	/* pid: the control client that asked; code: the status */
	/* about the group */
	ECG_EV_GROUP_START,	/* n: tasks (data only: no text) */
	ECG_EV_GROUP_END,	/* code: ecg-run's status, ms: how long it ran (data only) */
	ECG_EV_GROUP_READY,	/* ms: since the run started; n: tasks with a check of their own */
	ECG_EV_STOPPING,	/* the group was cancelled: it is stopping */
	ECG_EV_SIGNAL_AGAIN,	/* sig: a copy within the same-request window */
	ECG_EV_SIGNAL_FORWARD,	/* sig */
	ECG_EV_SIGNAL_IGNORED,	/* sig: no task takes it, and it means nothing to ecg-run */
	ECG_EV_SIGNAL_KILL_ALL,	/* sig: asked again while stopping */
	ECG_EV_ESCAPEES_STOP,	/* n */
	ECG_EV_ESCAPEES_KILL,	/* n */
	ECG_EV_ESCAPEES_GIVEN_UP,	/* n */
	ECG_EV_NO_SUBREAPER,	/* err */
	ECG_EV_NO_SENTINEL,	/* err */
	ECG_EV_CONTROL,		/* what: a control request's command, pid: its client, code: 0 done, 1 refused; text: why */
	ECG_EV_CONTROL_REFUSED,	/* pid: a client of another user, refused at connect (0: unknown) */
	ECG_EV_COUNT
};

struct ecg_event {
	enum ecg_event_type type;
	const char *name;		/* the task's name; NULL: about the group */
	size_t index;			/* the task's, in the group's order (when name is set) */
	const char *other;		/* a second task's name */
	const char *step;		/* what failed */
	const char *what;		/* on what */
	const char *check;		/* a readiness check, as written */
	const char *text;
	long pid;
	int code;			/* an exit status */
	int failed;			/* EXITED, KILLED, RESTARTING, causes: the end is a failure */
	int sig;
	int core;
	int err;			/* an errno */
	int stream;			/* 1 stdout, 2 stderr */
	long ms;
	enum ecg_end end;
	int first_ready;		/* READY: the task's first (a restart's changes nothing) */
	int was_ready;			/* ENDED: some run of it was ready */
	size_t n;
	long limit;			/* of n: max_restarts */
	long delay;			/* ms before a restart */
	long at;			/* when: ms since ecg-run started (clock.h), set on receipt */
	const size_t *tasks;		/* tasks it names, by index in the group */
	size_t ntasks;
};

/* Receives every event of a run. */
typedef void (*ecg_event_fn)(void *arg, const struct ecg_event *ev);

/*
 * The one way events go out: every subscriber gets every event, in the
 * order they subscribed (the front end first, so that what is said of an
 * event comes before what others do about it).
 */
#define ECG_BUS_MAX 8
struct ecg_bus {
	struct {
		ecg_event_fn fn;
		void *arg;
	} sub[ECG_BUS_MAX];
	size_t n;
};

/* 0, or -ENOSPC past ECG_BUS_MAX subscribers. */
int ecg_bus_subscribe(struct ecg_bus *bus, ecg_event_fn fn, void *arg);
/* An ecg_event_fn: arg is the bus. */
void ecg_bus_publish(void *bus, const struct ecg_event *ev);

/* Whether ev is one of a task's life, for the modules that follow it (never rendered). */
static inline int
ecg_event_is_life(const struct ecg_event *ev)
{
	return ev->type == ECG_EV_SPAWNED || ev->type == ECG_EV_ENDED ||
	    ev->type == ECG_EV_RUN_OVER || ev->type == ECG_EV_DONE;
}

/* "exited", "killed", "could not start", "not ready", "timed out" ("running": none). */
const char *ecg_event_end_name(enum ecg_end end);

#endif
