/*
 * notes: ecg-run's own messages, on stderr, in order with the task lines
 * they tell of.
 *
 * Messages go through a channel of the pump like task output, so they come
 * out as whole lines between task lines.  A message about a task holds
 * until the lines the task wrote before it are out (a mark, pump.h); the
 * message that a task started can also hold the task's next lines back
 * until it is out itself (a gate).  The channel is sized with the group;
 * when it is full all the same (stderr stuck), a message that must be
 * written (the cause, errors) waits in memory in its order, and any other
 * is dropped and counted rather than grow memory or block.
 *
 * A message is one line of at most ECG_NOTES_MAX bytes: a longer one is
 * cut in its middle, visibly ("..."), and keeps its end, where the
 * outcome is said.  After the loop, ecg-run's last words (the summary, the
 * losses) are written with ecg_notes_last, stamped like every other line.
 */
#ifndef ECG_NOTES_H
#define ECG_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "output/pump.h"

/* The longest message, its newline included; what a cut message keeps of its end. */
#define ECG_NOTES_MAX ((size_t)64 * 1024)
#define ECG_NOTES_TAIL ((size_t)1024)
/*
 * The channel: room for the longest message and more, and for every
 * task's lines about starting and ending (and -v's signals) even when all
 * of a large group's come in one loop round.  Only the pages that
 * messages touch become resident.
 */
#define ECG_NOTES_BASE ((size_t)128 * 1024)
/* How long ecg-run's last words (and the events file's last lines) wait for a slow reader. */
#define ECG_NOTES_LAST_WAIT 2.0
#define ECG_NOTES_PER_TASK ((size_t)1024)

struct ecg_notes {
	struct ecg_pump *pump;
	struct ecg_source src;		/* the messages' channel, on stderr, written last */
	struct ecg_buf pending;		/* must-write messages the channel had no room for */
	size_t pending_off;		/* how much of pending is in the channel already */
	uint64_t queued;		/* bytes of messages accepted (in src.taken terms) */
	uint64_t dropped;		/* messages lost */
	int closing;			/* no more messages will come */
};

void ecg_notes_init(struct ecg_notes *n, struct ecg_pump *pump, size_t tasks);
void ecg_notes_destroy(struct ecg_notes *n);

/*
 * Queues one message (without its newline).  With after, it is written
 * after every byte the mark names (a task's output from before the event
 * it tells of), on the same file always, on another file as long as that
 * file takes bytes.  A message that finds the channel full is dropped and
 * counted, unless must is set.  Returns where the message ends (in
 * src.taken terms), or 0 if it was dropped.
 */
uint64_t ecg_notes_put(struct ecg_notes *n, const char *line, size_t len, int must,
    const struct ecg_pump_mark *after);
/*
 * The bytes of the mark's sources from their marks on wait until the
 * message that ends at end (a value of ecg_notes_put) is out: a task's
 * first lines come after the message that it started.
 */
void ecg_notes_gate(struct ecg_notes *n, const struct ecg_pump_mark *sources, uint64_t end);
/*
 * No more messages will come from the caller; they end once every task
 * line is out (a stream may still fail and say so).
 */
void ecg_notes_close(struct ecg_notes *n);
/* The pump's tasks_written hook: the messages may end now. */
void ecg_notes_tasks_written(struct ecg_notes *n);
/* Output was given up: messages waiting in memory are lost (counted). */
void ecg_notes_abandon(struct ecg_notes *n);
/* How many messages were lost. */
uint64_t ecg_notes_dropped(const struct ecg_notes *n);

/*
 * Once the loop is over: text (whole lines) to stderr, each line stamped
 * with -T, waiting for room until until (ecg_clock_now seconds).  0,
 * -ETIMEDOUT, or -errno.
 */
int ecg_notes_last(struct ecg_notes *n, const char *text, size_t len, double until);

#endif
