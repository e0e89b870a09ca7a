/*
 * front: what the user sees of a run, and how ecg-run ends.  Every event
 * comes here (ecg_front_event): it is rendered as text on stderr (through
 * the notes, after the output it describes), as JSON Lines (--events),
 * into the summary and the JUnit report; the caller learns when the group
 * is ready (--ready-fd, NOTIFY_SOCKET).  At the end come ecg-run's last
 * words and, after an interrupt, the same signal.  Modules never print:
 * this is where their words go out.
 */
#ifndef ECG_FRONT_H
#define ECG_FRONT_H

#include <ev.h>

#include "base/buf.h"
#include "front/cli.h"
#include "config/config.h"
#include "seed/event.h"
#include "report/evjson.h"
#include "report/evlog.h"
#include "report/summary.h"
#include "run/supervisor.h"

struct ecg_front {
	int quiet;
	int verbose;
	int ready_fd;			/* --ready-fd, -1 when none (or done) */
	const char *notify_socket;	/* ecg-run's own NOTIFY_SOCKET, or NULL */
	const char *events_path;	/* --events, or NULL */
	struct ecg_evlog events;	/* where they go */
	struct ecg_evjson json;
	struct ecg_buf line;		/* a message or JSON lines being made */
	struct ecg_summary summary;
	int summary_on;			/* 0 never, 1 auto, 2 always */
	const char *junit_path;		/* --junit, or NULL */
	struct ecg_supervisor *sv;	/* set while the group runs */
	struct ecg_buf last;		/* ecg-run's last words, written after the run */
};

void ecg_front_init(struct ecg_front *f, const struct ecg_cli *cli);
/*
 * What must work before anything runs: the JUnit report's path (then
 * *stderr_tail is what each task keeps for it), the events file.  0, or
 * -1 once said.
 */
int ecg_front_open(struct ecg_front *f, struct ev_loop *loop, const struct ecg_group_spec *spec,
    size_t *stderr_tail);
/* The group is about to run under sv: the summary, if it is wanted.  0, or -1 once said. */
int ecg_front_begin(struct ecg_front *f, struct ecg_supervisor *sv,
    const struct ecg_group_spec *spec, const char *summary);
/* Every event of the run (an ecg_event_fn: arg is the front). */
void ecg_front_event(void *arg, const struct ecg_event *ev);
/*
 * The run ended with status, to be ended by signal sig (0: none): the
 * last event, what could not be delivered, the summary, the JUnit report.
 */
void ecg_front_end(struct ecg_front *f, int status, int sig);
void ecg_front_destroy(struct ecg_front *f);

/* "ecg-run: MESSAGE" on stderr, before the run or after it. */
void ecg_front_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A module's message (prefix, then msg cut to ECG_NOTES_MAX) on stderr. */
void ecg_front_say(const char *prefix, const struct ecg_buf *msg);
/* Descriptors 0-2 must be open (0 is opened on /dev/null): 0, or -1 once said. */
int ecg_front_std_fds(void);
/* Ends ecg-run by sig, as the shell that runs it must see. */
void ecg_front_die_by_signal(int sig) __attribute__((noreturn));

#endif
