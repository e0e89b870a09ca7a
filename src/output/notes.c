#define _GNU_SOURCE
#include "output/notes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/frame.h"

static void on_space(struct ecg_channel *ch, void *arg);

void
ecg_notes_init(struct ecg_notes *n, struct ecg_pump *pump, size_t tasks)
{
	memset(n, 0, sizeof(*n));
	n->pump = pump;
	ecg_buf_init(&n->pending);
	ecg_pump_source_init(pump, &n->src, 2, NULL, -1, ECG_NOTES_BASE + tasks * ECG_NOTES_PER_TASK,
	    on_space, n);
	ecg_pump_source_last(&n->src);
}

void
ecg_notes_destroy(struct ecg_notes *n)
{
	ecg_pump_source_destroy(&n->src);
	ecg_buf_free(&n->pending);
	n->pending_off = 0;
}

/* Messages end only once no more can come, and every task line is out. */
static void
maybe_close(struct ecg_notes *n)
{
	if (n->closing && !ecg_channel_closed(&n->src.ch) && n->pending_off == n->pending.len &&
	    ecg_pump_tasks_written(n->pump))
		ecg_channel_close(&n->src.ch);
}

/*
 * Moves waiting messages into the channel as far as it has room; a
 * message may go in part, the pump writes only whole lines.  A channel
 * left full calls on_space once the pump has made room.
 */
static void
refill(struct ecg_notes *n)
{
	long w;

	if (n->pending_off < n->pending.len) {
		w = ecg_channel_write(&n->src.ch, n->pending.p + n->pending_off,
		    n->pending.len - n->pending_off);
		if (w > 0)
			n->pending_off += (size_t)w;
		else if (w < 0)
			/* Given up on (or no memory for the channel): they are lost, counted. */
			ecg_notes_abandon(n);
	}
	if (n->pending_off == n->pending.len) {
		ecg_buf_reset(&n->pending);
		n->pending_off = 0;
		maybe_close(n);
	}
}

static void
on_space(struct ecg_channel *ch, void *arg)
{
	(void)ch;
	refill(arg);
}

uint64_t
ecg_notes_put(struct ecg_notes *n, const char *line, size_t len, int must,
    const struct ecg_pump_mark *after)
{
	struct ecg_channel *ch = &n->src.ch;
	struct ecg_buf cut = ECG_BUF_INIT;
	uint64_t at = n->queued;
	size_t room = ecg_channel_capacity(ch) - ecg_channel_len(ch), before;
	int kept = 0;

	if (len >= ECG_NOTES_MAX) {
		ecg_frame_message(&cut, line, len, ECG_NOTES_MAX - 1, ECG_NOTES_TAIL);
		line = cut.p;
		len = cut.len;
	}
	if (ecg_channel_shut(ch) || ecg_buf_failed(&cut)) {
		/* too late, or no memory to cut it */
	} else if (n->pending_off == n->pending.len && room > len) {
		/* Whole, with its newline: the channel had room for it (unless no memory). */
		kept = ecg_channel_write(ch, line, len) == (long)len &&
		    ecg_channel_write(ch, "\n", 1) == 1;
	} else if (must) {
		before = n->pending.len;
		ecg_buf_put(&n->pending, line, len);
		ecg_buf_putc(&n->pending, '\n');
		if (ecg_buf_failed(&n->pending)) {
			/* No memory to keep it: lost, but what waited before it stays. */
			n->pending.failed = 0;
			ecg_buf_truncate(&n->pending, before);
		} else {
			kept = 1;
			refill(n);
		}
	}
	ecg_buf_free(&cut);
	if (!kept) {
		n->dropped++;
		return 0;
	}
	/*
	 * Without memory for the hold the message is written when its turn
	 * comes, ahead of the task lines it should follow: out of order,
	 * which is better than lost.
	 */
	if (after != NULL)
		ecg_pump_hold(&n->src, at, after);
	n->queued += len + 1;
	return n->queued;
}

void
ecg_notes_gate(struct ecg_notes *n, const struct ecg_pump_mark *sources, uint64_t end)
{
	struct ecg_pump_mark until = { { &n->src, NULL }, { end, 0 } };
	int i;

	if (end == 0)
		return;
	for (i = 0; i < 2; i++)
		if (sources->src[i] != NULL)
			ecg_pump_hold((struct ecg_source *)sources->src[i], sources->upto[i], &until);
}

void
ecg_notes_close(struct ecg_notes *n)
{
	n->closing = 1;
	maybe_close(n);
}

void
ecg_notes_tasks_written(struct ecg_notes *n)
{
	maybe_close(n);
}

void
ecg_notes_abandon(struct ecg_notes *n)
{
	n->dropped += ecg_buf_lines(&n->pending, n->pending_off);
	ecg_buf_reset(&n->pending);
	n->pending_off = 0;
	maybe_close(n);
}

uint64_t
ecg_notes_dropped(const struct ecg_notes *n)
{
	return n->dropped;
}

int
ecg_notes_last(struct ecg_notes *n, const char *text, size_t len, double until)
{
	struct ecg_buf out = ECG_BUF_INIT;
	char stamp[ECG_FRAME_STAMP_MAX] = "";
	int rc;

	if (n->pump->opts.timestamps)
		ecg_frame_stamp(stamp, sizeof(stamp));
	ecg_frame_lines(&out, text, len, stamp);
	rc = ecg_buf_failed(&out) ? -ENOMEM :
	    ecg_pump_write_last(n->pump, 2, out.p, out.len, until);
	ecg_buf_free(&out);
	return rc;
}
