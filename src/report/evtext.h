/*
 * evtext: an event as ecg-run says it on stderr, and how loud it is (the
 * front end decides what is shown).  The other renderings (JSON Lines,
 * the summary, the JUnit report) say the same events in their own form.
 */
#ifndef ECG_EVTEXT_H
#define ECG_EVTEXT_H

#include <stddef.h>

#include "base/buf.h"
#include "seed/event.h"

/* The longest piece of free text in an event's renderings: longer ones are cut, "...". */
#define ECG_EVENT_TEXT_MAX ((size_t)16 * 1024)

/* How a task's run ended (the events that end a run, or say its end, carry it). */
/* How loud an event is; the front end decides what to show. */
enum ecg_event_level {
	ECG_LEVEL_INFO,		/* lifecycle: started, exited, ready */
	ECG_LEVEL_VERBOSE,	/* pids, every signal sent */
	ECG_LEVEL_CAUSE,	/* why the group is being cancelled */
	ECG_LEVEL_ERROR,	/* something went wrong */
	ECG_LEVEL_DATA,		/* for machine renderings only: never printed as text */
};

/*
 * How loud ev is.  Readiness at exec (the default check) is said only with
 * -v: every task has it; so is the readiness of a group that waits for
 * nothing else.
 */
enum ecg_event_level ecg_event_level(const struct ecg_event *ev);
/*
 * The event as ecg-run prints it, "ecg-run: NAME: ..." without a newline,
 * appended to out.  verbose adds details such as pids.  Each piece of free
 * text in it (a check, a probe's error, a list of names, a path) is cut
 * visibly at ECG_EVENT_TEXT_MAX bytes, so that a message is never longer
 * than about 4 times that, and always ends with its outcome.
 */
void ecg_event_format(const struct ecg_event *ev, int verbose, struct ecg_buf *out);
/* Whether its message is said as the task's ("ecg-run: NAME: ..."), not the group's. */
int ecg_event_names_task(const struct ecg_event *ev);
/* The same without "ecg-run: " and the task's name: what happened, as said. */
void ecg_event_format_text(const struct ecg_event *ev, int verbose, struct ecg_buf *out);

#endif
