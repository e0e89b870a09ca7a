#define _GNU_SOURCE
#include "output/pump.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What one write(2) carries at most: frames, and bytes (the stage's size). */
#define BATCH_FRAMES 1024
#define STAGE_BYTES ((size_t)128 * 1024)
#define STAGE_SLACK ((size_t)32)	/* allocated past STAGE_BYTES */
_Static_assert(STAGE_SLACK <= ECG_FRAME_HDR_MAX, "a header copy reads STAGE_SLACK bytes of hdr");

struct ecg_hold {
	struct ecg_hold *next;
	uint64_t from;			/* the held source's bytes from here on wait */
	struct ecg_pump_mark until;	/* for these */
};

static struct ecg_source *
source_of(struct ecg_channel *ch)
{
	return (struct ecg_source *)((char *)ch - offsetof(struct ecg_source, ch));
}

static struct ecg_stream *
stream_for(struct ecg_pump *p, int fd)
{
	return &p->streams[fd == 2 && !p->shared ? 1 : 0];
}

static void pump(struct ecg_stream *s);

static void
enqueue(struct ecg_stream *s, struct ecg_source *src)
{
	if (src->queued)
		return;
	src->queued = 1;
	src->next = NULL;
	if (s->ready_tail != NULL)
		s->ready_tail->next = src;
	else
		s->ready = src;
	s->ready_tail = src;
}

static void
dequeue_head(struct ecg_stream *s)
{
	struct ecg_source *src = s->ready;

	s->ready = src->next;
	if (s->ready == NULL)
		s->ready_tail = NULL;
	src->next = NULL;
	src->queued = 0;
}

/* The stream is written once the loop has run the other callbacks of this round. */
static void
feed_flush(struct ecg_stream *s)
{
	if (!ev_is_active(&s->writable) && !s->flush_fed && s->failed_errno == 0) {
		s->flush_fed = 1;
		ev_feed_event(s->pump->loop, &s->flush, EV_CUSTOM);
	}
}

/*
 * Something a hold may wait for has changed (a source was consumed or
 * ended, a stream got stuck or failed): streams with held sources get
 * another look once the loop has run the callbacks of this round.  Held
 * sources go back on the ready queue only when the pump starts, never
 * from here: this runs while a queue is being walked.
 */
static void
kick_held(struct ecg_pump *p)
{
	int i;

	if (p->nheld == 0)
		return;
	for (i = 0; i < (p->shared ? 1 : 2); i++) {
		struct ecg_stream *s = &p->streams[i];
		if (s->held == NULL)
			continue;
		s->kicked = 1;
		feed_flush(s);
	}
}

/*
 * What is left of src before upto is the start of a line its producer is
 * still writing: no newline in it, all of it in the channel, and the
 * channel neither full (that line would be cut) nor closed.  Such a line
 * may never end (a prompt): it must not hold anything back.
 */
static int
unfinished_line(const struct ecg_source *src, uint64_t upto)
{
	size_t len = ecg_channel_len(&src->ch);

	if (!src->producing || ecg_channel_closed(&src->ch) || upto > src->taken + len ||
	    len == ecg_channel_capacity(&src->ch))
		return 0;
	return ecg_channel_find(&src->ch, 0, '\n') >= upto - src->taken;
}

/*
 * Whether a hold is over: each source it waits for has had its bytes up to
 * the mark taken, or has ended, or cannot take them: its stream failed or
 * was given up, or it goes to another file than the held source and that
 * file takes nothing now, or only an unfinished line is left before the
 * mark.
 */
static int
hold_met(const struct ecg_source *held, const struct ecg_hold *h)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct ecg_source *src = h->until.src[i];
		const struct ecg_stream *ss;

		if (src == NULL || src->taken >= h->until.upto[i] || src->finished)
			continue;
		ss = src->stream;
		if (ss->failed_errno != 0 || ecg_context_done(&ss->ctx))
			continue;
		if (ss != held->stream && ev_is_active(&ss->writable))
			continue;
		if (unfinished_line(src, h->until.upto[i]))
			continue;
		return 0;
	}
	return 1;
}

/* Lets go of the holds that are over, in order: met, or whose bytes are gone. */
static void
release_holds(struct ecg_source *src)
{
	struct ecg_hold *h;

	while ((h = src->holds) != NULL && (h->from < src->taken || hold_met(src, h))) {
		src->holds = h->next;
		free(h);
	}
	if (src->holds == NULL)
		src->holds_tail = &src->holds;
}

/* What of a source's channel may be written now: up to its first hold. */
static size_t
src_len(struct ecg_source *src)
{
	size_t len = ecg_channel_len(&src->ch);

	if (src->holds == NULL)
		return len;
	release_holds(src);
	if (src->holds != NULL && src->holds->from - src->taken < len)
		len = (size_t)(src->holds->from - src->taken);
	return len;
}

/* At the pump's start, after a kick: held sources that may go are queued again. */
static void
requeue_held(struct ecg_stream *s)
{
	struct ecg_source **pp = &s->held, *src;

	s->kicked = 0;
	while ((src = *pp) != NULL) {
		release_holds(src);
		if (src->holds == NULL) {
			*pp = src->held_next;
			src->held_next = NULL;
			src->on_held = 0;
			s->pump->nheld--;
		} else {
			pp = &src->held_next;
		}
		if (ecg_channel_len(&src->ch) > 0)
			enqueue(s, src);
	}
}

/*
 * The length of the next frame at offset pos, with *nl set when a newline
 * must be added.  What was searched in vain is remembered, so a long line
 * arriving in many small reads is scanned once, not once per read.
 */
static size_t
next_frame(struct ecg_source *src, size_t pos, int *nl)
{
	size_t len = src_len(src), at, from = pos;

	*nl = 0;
	if (pos >= len)
		return 0;
	if (pos >= src->clean_from && pos < src->clean_to)
		from = src->clean_to;
	at = ecg_channel_find(&src->ch, from, '\n');
	if (at >= len) {
		src->clean_from = pos;
		src->clean_to = len;
		at = len;
	}
	return ecg_frame_next(pos, len, at, ecg_channel_capacity(&src->ch), src->ch.closed, nl);
}

/* Consumes n bytes of a source, keeping its scan memory in step. */
static void
consume(struct ecg_source *src, size_t n)
{
	src->clean_from = src->clean_from > n ? src->clean_from - n : 0;
	src->clean_to = src->clean_to > n ? src->clean_to - n : 0;
	src->taken += n;
	ecg_channel_consume(&src->ch, n);
	kick_held(src->stream->pump);
}

static void
finish_member(struct ecg_stream *s, int err)
{
	if (s->member_done)
		return;
	s->member_done = 1;
	ecg_errgroup_done(s->pump->eg, err);
}

static void
check_finished(struct ecg_stream *s, struct ecg_source *src)
{
	struct ecg_pump *p = s->pump;

	if (src->finished || !ecg_channel_eof(&src->ch) || s->rest.src == src)
		return;
	src->finished = 1;
	s->nfinished++;
	if (s->nfinished == s->nsources)
		finish_member(s, 0);
	kick_held(p);
	if (!src->last && ++p->ntasks_done == p->ntasks && p->hooks.tasks_written != NULL)
		p->hooks.tasks_written(p->hooks.arg);
}

/* The stream can take no more: what its channels hold is thrown away. */
static void
discard(struct ecg_stream *s)
{
	struct ecg_source *src;

	if (s->rest.src != NULL)
		s->cut = 1;
	s->rest.src = NULL;
	while ((src = s->ready) != NULL) {
		size_t len = ecg_channel_len(&src->ch);
		dequeue_head(s);
		s->undelivered += len;
		consume(src, len);
		check_finished(s, src);
	}
}

static void
fail(struct ecg_stream *s, int err)
{
	s->failed_errno = err;
	ev_io_stop(s->pump->loop, &s->writable);
	if (s->pump->hooks.failed != NULL)
		s->pump->hooks.failed(s->sink.orig_fd, err, s->pump->hooks.arg);
	/*
	 * The stream counts out with its result before its sources are
	 * thrown away: the last of them finishing must not count it out as a
	 * success first (every task may be over already).
	 */
	finish_member(s, ecg_sink_status(err));
	ecg_context_cancel(&s->ctx, err);
	discard(s);
}

static void
on_data(struct ecg_channel *ch, void *arg)
{
	struct ecg_source *src = source_of(ch);
	struct ecg_stream *s = src->stream;

	(void)arg;
	enqueue(s, src);
	if (s->failed_errno != 0 || ecg_context_done(&s->ctx)) {
		discard(s);
		return;
	}
	/* New bytes may end a line a hold waits for, or show it unfinished. */
	kick_held(s->pump);
	/*
	 * Written once the loop has run every other callback of this round
	 * (the flush has the lowest priority), so that everything the tasks'
	 * pipes gave in one round goes out in one write.  A fed event is run
	 * in the same round whatever feeds it, so nothing waits for a wake-up.
	 */
	feed_flush(s);
}

static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct ecg_stream *s = w->data;

	(void)loop;
	(void)revents;
	s->flush_fed = 0;
	if (!ev_is_active(&s->writable) && s->failed_errno == 0 && !ecg_context_done(&s->ctx))
		pump(s);
}

static void
build_header(struct ecg_stream *s, struct ecg_source *src)
{
	struct ecg_pump *p = s->pump;

	s->hdr_len = ecg_frame_header(s->hdr, &s->style, p->opts.timestamps ? p->batch_ts : "",
	    src->name, src->color);
}

/*
 * What a batch holds of one source: hdr_len - hdr_off header bytes, data
 * channel bytes and a newline of ours if nl; or, with lines > 0, a run of
 * that many whole lines, each hdr_len header bytes and its bytes up to its
 * newline (data: all of theirs), which costs one record, not one a line.
 */
struct frame {
	struct ecg_source *src;
	size_t hdr_off, hdr_len, data;
	size_t lines;
	int nl;
};

/*
 * A batch is copied whole into the stream's stage and written with one
 * write(2): a prefixed line would otherwise be two tiny iovecs, and the
 * kernel's per-segment cost, not the bytes, would set the pace.  Channel
 * bytes are consumed only once written (settle), so a partial write
 * simply leaves the rest for the next batch.
 */
struct batch {
	struct frame frames[BATCH_FRAMES];
	int nframes;
	char *buf;			/* the stream's stage */
	size_t bytes, limit;
};

static void
copy_in(struct batch *b, const void *p, size_t n)
{
	memcpy(b->buf + b->bytes, p, n);
	b->bytes += n;
}

/*
 * Adds a frame: hdr_len - hdr_off header bytes, data bytes of the channel
 * from pos, and a newline if nl.  Only the first frame of a batch may be
 * longer than the room left (a line longer than the stage): it is copied
 * in part, and settle() keeps the rest for the next batch.
 */
static int
add_frame(struct batch *b, struct ecg_source *src, const char *hdr, size_t pos,
    size_t hdr_off, size_t hdr_len, size_t data, int nl)
{
	struct iovec iov[2];
	struct frame *f;
	size_t room, k;
	int i, piece;

	if (b->nframes >= BATCH_FRAMES ||
	    (b->nframes > 0 && b->bytes + hdr_len - hdr_off + data + (size_t)nl > b->limit))
		return -1;
	f = &b->frames[b->nframes++];
	f->src = src;
	f->hdr_off = hdr_off;
	f->hdr_len = hdr_len;
	f->data = data;
	f->lines = 0;
	f->nl = nl;
	room = b->limit - b->bytes;
	k = hdr_len - hdr_off < room ? hdr_len - hdr_off : room;
	copy_in(b, hdr + hdr_off, k);
	room -= k;
	k = data < room ? data : room;
	piece = ecg_channel_slice(&src->ch, pos, k, iov);
	for (i = 0; i < piece; i++)
		copy_in(b, iov[i].iov_base, iov[i].iov_len);
	room -= k;
	if (nl && room > 0)
		copy_in(b, "\n", 1);
	return 0;
}

/*
 * The fast path of build(): the whole lines that lie in one piece of the
 * channel from pos, one memchr each, copied with their header and no call
 * per line into the channel.  Returns the position after the last line
 * taken; *full is set when the batch can take no more.  Anything else (a
 * line across the ring's end, or longer than the batch, or no newline yet)
 * is left to next_frame() and add_frame().
 */
static size_t
add_lines(struct batch *b, struct ecg_stream *s, struct ecg_source *src, size_t pos,
    int *full)
{
	struct iovec iov[2];
	const char *base, *p, *end, *nl = NULL;
	size_t h = s->hdr_len, len, off = 0;
	struct frame *f = NULL;
	int n, i;

	*full = 0;
	if (pos >= src->clean_from && pos < src->clean_to)
		return pos;		/* known to hold no newline: the slow path knows */
	n = ecg_channel_slice(&src->ch, 0, src_len(src), iov);
	for (i = 0; i < n; off += iov[i].iov_len, i++) {
		if (pos >= off + iov[i].iov_len)
			continue;
		base = iov[i].iov_base;
		p = base + (pos - off);
		end = base + iov[i].iov_len;
		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			len = (size_t)(nl + 1 - p);
			if (b->bytes + h + len > b->limit ||
			    (f == NULL && b->nframes >= BATCH_FRAMES)) {
				*full = b->nframes > 0;
				return off + (size_t)(p - base);
			}
			if (f == NULL) {
				/* one record for the run of lines that begins here */
				f = &b->frames[b->nframes++];
				f->src = src;
				f->hdr_off = 0;
				f->hdr_len = h;
				f->data = 0;
				f->lines = 0;
				f->nl = 0;
			}
			f->lines++;
			f->data += len;
			/*
			 * A short header as one fixed-size copy the compiler
			 * makes inline (the stage has STAGE_SLACK bytes past
			 * its end, and the line's copy overwrites the excess).
			 */
			if (h <= STAGE_SLACK)
				memcpy(b->buf + b->bytes, s->hdr, STAGE_SLACK);
			else
				memcpy(b->buf + b->bytes, s->hdr, h);
			memcpy(b->buf + b->bytes + h, p, len);
			b->bytes += h + len;
			p = nl + 1;
		}
		pos = off + (size_t)(p - base);
		if (p < end) {
			/* the rest of this piece has no newline: do not search it again */
			src->clean_from = pos;
			src->clean_to = off + iov[i].iov_len;
			return pos;
		}
	}
	return pos;
}

/*
 * Collects the frames to write: the partly written one first, then whole
 * lines from each ready source in turn.  A source whose lines do not all
 * fit stays at the head of the queue for the next batch.
 */
static void
build(struct ecg_stream *s, struct batch *b)
{
	struct ecg_pump *p = s->pump;
	struct ecg_source *src;

	b->nframes = 0;
	b->bytes = 0;
	b->buf = s->stage;
	b->limit = ecg_sink_write_max(&s->sink, STAGE_BYTES);
	if (p->opts.timestamps)
		ecg_frame_stamp(p->batch_ts, sizeof(p->batch_ts));
	if (s->rest.src != NULL)
		add_frame(b, s->rest.src, s->rest.hdr, 0, s->rest.hdr_off, s->rest.hdr_len,
		    s->rest.data, s->rest.nl);
	for (src = s->ready; src != NULL; src = src->next) {
		size_t pos = s->rest.src == src ? s->rest.data : 0, len;
		int nl;

		/*
		 * A line longer than the channel was ended with a newline of
		 * ours; if the task's own newline comes next, it is that one.
		 */
		if (pos == 0 && src->line_cut && ecg_channel_len(&src->ch) > 0) {
			struct iovec first[2];
			src->line_cut = 0;
			if (ecg_channel_slice(&src->ch, 0, 1, first) > 0 &&
			    *(const char *)first[0].iov_base == '\n')
				consume(src, 1);
		}
		build_header(s, src);
		for (;;) {
			int full;

			pos = add_lines(b, s, src, pos, &full);
			if (full)
				return;
			len = next_frame(src, pos, &nl);
			if (len == 0)
				break;
			if (add_frame(b, src, s->hdr, pos, 0, s->hdr_len, len, nl) < 0)
				return;
			pos += len;
		}
	}
}

/* What is left of a frame partly written: it goes out first in the next batch. */
static void
keep_rest(struct ecg_stream *s, struct ecg_source *src, const char *hdr, size_t hdr_len,
    size_t data, int nl)
{
	s->rest.src = src;
	s->rest.hdr_off = 0;
	s->rest.hdr_len = hdr_len;
	memcpy(s->rest.hdr, hdr, hdr_len);
	s->rest.data = data;
	s->rest.nl = nl;
}

/*
 * A run of whole lines (f) was written in part, n bytes of it from at in
 * the stage: counts the channel bytes of what went out, and keeps what is
 * left of the line it was cut in.  Returns the channel bytes written.
 */
static size_t
settle_run(struct ecg_stream *s, const struct batch *b, const struct frame *f, const char *at,
    size_t n)
{
	const char *end = b->buf + b->bytes, *nl;
	size_t taken = 0, len;

	for (;;) {
		nl = memchr(at + f->hdr_len, '\n', (size_t)(end - at) - f->hdr_len);
		len = (size_t)(nl + 1 - (at + f->hdr_len));
		if (n < f->hdr_len) {
			keep_rest(s, f->src, at + n, f->hdr_len - n, len, 0);
			return taken;
		}
		n -= f->hdr_len;
		at += f->hdr_len;
		if (n < len) {
			keep_rest(s, f->src, "", 0, len - n, 0);
			return taken + n;
		}
		taken += len;
		n -= len;
		at += len;
	}
}

/*
 * n bytes of the batch were written: consume them from their channels, in
 * one call per run of frames from the same source.
 */
static void
settle(struct ecg_stream *s, struct batch *b, size_t n)
{
	struct ecg_source *run = NULL;
	size_t taken = 0, at = n;	/* n - at: where f starts in the stage */
	int i;

	for (i = 0; i < b->nframes; i++) {
		struct frame *f = &b->frames[i];
		size_t k = f->hdr_len - f->hdr_off;
		const char *hdr_left;

		if (f->src != run) {
			if (run != NULL)
				consume(run, taken);
			run = f->src;
			taken = 0;
		}
		if (f->lines > 0) {
			size_t all = f->lines * f->hdr_len + f->data;
			if (n < all) {
				taken += settle_run(s, b, f, b->buf + (at - n), n);
				break;
			}
			taken += f->data;
			n -= all;
			if (s->rest.src == f->src)
				s->rest.src = NULL;
			continue;
		}
		if (k > n)
			k = n;
		f->hdr_off += k;
		n -= k;
		hdr_left = b->buf + (at - n);
		k = f->data < n ? f->data : n;
		taken += k;
		f->data -= k;
		n -= k;
		if (f->nl && n > 0) {
			f->nl = 0;
			n--;
			if (f->src != NULL)
				f->src->line_cut = 1;
		}
		if (f->hdr_off < f->hdr_len || f->data > 0 || f->nl) {
			/*
			 * The header it was built with is gone (the next
			 * source's replaced it): keep what is left of it,
			 * which the stage holds whole (a header is far
			 * shorter than any batch).
			 */
			keep_rest(s, f->src, hdr_left, f->hdr_len - f->hdr_off, f->data, f->nl);
			break;
		}
		if (s->rest.src == f->src)
			s->rest.src = NULL;
	}
	if (run != NULL)
		consume(run, taken);
}

/* Drops sources with nothing to write from the head; rotates a busy head. */
static void
tidy_queue(struct ecg_stream *s, int rotate)
{
	struct ecg_source *src, **pp = &s->ready;
	int nl;

	s->ready_tail = NULL;
	while ((src = *pp) != NULL) {
		size_t pos = s->rest.src == src ? s->rest.data : 0;
		if (s->rest.src != src && next_frame(src, pos, &nl) == 0) {
			*pp = src->next;
			src->next = NULL;
			src->queued = 0;
			check_finished(s, src);
			continue;
		}
		s->ready_tail = src;
		pp = &src->next;
	}
	if (rotate && s->ready != NULL && s->ready != s->ready_tail) {
		src = s->ready;
		s->ready = src->next;
		src->next = NULL;
		s->ready_tail->next = src;
		s->ready_tail = src;
	}
}

/* The file takes nothing now: wait for room, and let what waits on us elsewhere go. */
static void
stuck(struct ecg_stream *s)
{
	s->refused = 1;
	ev_io_start(s->pump->loop, &s->writable);
	kick_held(s->pump);
}

static void
pump(struct ecg_stream *s)
{
	struct batch b;
	ssize_t n;

	if (s->kicked)
		requeue_held(s);
	for (;;) {
		build(s, &b);
		if (b.nframes == 0)
			break;
		n = ecg_sink_write(&s->sink, b.buf, b.bytes);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			stuck(s);
			return;
		}
		if (n < 0) {
			fail(s, errno);
			return;
		}
		settle(s, &b, (size_t)n);
		tidy_queue(s, 1);
		if ((size_t)n < b.bytes) {
			stuck(s);
			return;
		}
	}
	ev_io_stop(s->pump->loop, &s->writable);
	tidy_queue(s, 0);
}

static void
writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_stream *s = w->data;

	(void)loop;
	(void)revents;
	ev_io_stop(s->pump->loop, &s->writable);
	pump(s);
}

static void
stream_cancelled(struct ecg_context *ctx, void *arg)
{
	struct ecg_stream *s = arg;

	(void)ctx;
	ev_io_stop(s->pump->loop, &s->writable);
	discard(s);
	kick_held(s->pump);
}

static int
stream_init(struct ecg_pump *p, struct ecg_stream *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->pump = p;
	ecg_sink_open(&s->sink, fd);
	s->style.prefix = p->opts.prefix;
	s->style.color = p->opts.color[fd - 1];
	s->style.name_width = p->opts.name_width;
	ev_io_init(&s->writable, writable_cb, s->sink.fd, EV_WRITE);
	s->writable.data = s;
	ev_prepare_init(&s->flush, flush_cb);
	ev_set_priority(&s->flush, EV_MINPRI);
	s->flush.data = s;
	ecg_context_init(&s->ctx, p->loop, &p->ctx);
	ecg_context_on_cancel(&s->ctx, &s->cancel, stream_cancelled, s);
	ecg_errgroup_go(p->eg);
	/* Last, so that a stream is whole for destroy even without it. */
	/* Only the pages a batch touches become resident. */
	s->stage = malloc(STAGE_BYTES + STAGE_SLACK);
	return s->stage != NULL ? 0 : -ENOMEM;
}

int
ecg_pump_init(struct ecg_pump *p, struct ev_loop *loop, struct ecg_context *parent,
    struct ecg_errgroup *eg, const struct ecg_pump_opts *opts, const struct ecg_pump_hooks *hooks)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->eg = eg;
	p->opts = *opts;
	if (hooks != NULL)
		p->hooks = *hooks;
	ecg_context_init(&p->ctx, loop, parent);
	/*
	 * With 2>&1 both streams are one file: one writer keeps a half-written
	 * stdout line from being cut by a stderr line.
	 */
	p->shared = ecg_sink_same_file(1, 2);
	/* Everything destroy touches is set up even when an allocation fails. */
	rc = stream_init(p, &p->streams[0], 1);
	if (!p->shared && stream_init(p, &p->streams[1], 2) < 0)
		rc = -ENOMEM;
	return rc;
}

void
ecg_pump_destroy(struct ecg_pump *p)
{
	int i;

	for (i = 0; i < (p->shared ? 1 : 2); i++) {
		struct ecg_stream *s = &p->streams[i];
		ev_io_stop(p->loop, &s->writable);
		ev_clear_pending(p->loop, &s->flush);
		ecg_context_forget(&s->ctx, &s->cancel);
		ecg_context_destroy(&s->ctx);
		ecg_sink_close(&s->sink);
		free(s->stage);
		s->stage = NULL;
	}
	ecg_context_destroy(&p->ctx);
}

void
ecg_pump_source_init(struct ecg_pump *p, struct ecg_source *src, int fd, const char *name,
    int color, size_t capacity, ecg_channel_cb on_space, void *arg)
{
	struct ecg_stream *s = stream_for(p, fd);

	memset(src, 0, sizeof(*src));
	src->stream = s;
	src->name = name;
	src->color = color;
	src->holds_tail = &src->holds;
	ecg_channel_init(&src->ch, &s->ctx, capacity, on_space, on_data, arg);
	s->nsources++;
	p->ntasks++;
}

void
ecg_pump_source_last(struct ecg_source *src)
{
	struct ecg_pump *p = src->stream->pump;

	if (src->last)
		return;
	src->last = 1;
	p->ntasks--;
}

/* Takes src off a singly linked list of sources, whose links are at offset link. */
static void
unlink_source(struct ecg_source **head, struct ecg_source *src, size_t link)
{
	struct ecg_source **pp;

	for (pp = head; *pp != NULL;
	    pp = (struct ecg_source **)((char *)*pp + link)) {
		if (*pp == src) {
			*pp = *(struct ecg_source **)((char *)src + link);
			return;
		}
	}
}

void
ecg_pump_source_destroy(struct ecg_source *src)
{
	struct ecg_stream *s = src->stream;
	struct ecg_source **pp;
	struct ecg_hold *h;

	if (src->queued) {
		unlink_source(&s->ready, src, offsetof(struct ecg_source, next));
		s->ready_tail = NULL;
		for (pp = &s->ready; *pp != NULL; pp = &(*pp)->next)
			s->ready_tail = *pp;
		src->queued = 0;
	}
	if (src->on_held) {
		unlink_source(&s->held, src, offsetof(struct ecg_source, held_next));
		src->on_held = 0;
		s->pump->nheld--;
	}
	while ((h = src->holds) != NULL) {
		src->holds = h->next;
		free(h);
	}
	src->holds_tail = &src->holds;
	if (s->rest.src == src)
		s->rest.src = NULL;
	ecg_channel_destroy(&src->ch);
}

void
ecg_pump_source_producing(struct ecg_source *src, int on)
{
	src->producing = on;
	kick_held(src->stream->pump);
}

uint64_t
ecg_pump_source_end(const struct ecg_source *src, size_t more)
{
	return src->taken + ecg_channel_len(&src->ch) + more;
}

int
ecg_pump_hold(struct ecg_source *src, uint64_t from, const struct ecg_pump_mark *until)
{
	struct ecg_stream *s = src->stream;
	struct ecg_hold *h = malloc(sizeof(*h));

	if (h == NULL)
		return -ENOMEM;
	h->next = NULL;
	h->from = from;
	h->until = *until;
	*src->holds_tail = h;
	src->holds_tail = &h->next;
	if (!src->on_held) {
		src->on_held = 1;
		src->held_next = s->held;
		s->held = src;
		s->pump->nheld++;
	}
	return 0;
}

int
ecg_pump_tasks_written(const struct ecg_pump *p)
{
	return p->ntasks_done >= p->ntasks;
}

void
ecg_pump_abandon(struct ecg_pump *p)
{
	ecg_context_cancel(&p->ctx, 0);
}

int
ecg_pump_shared(const struct ecg_pump *p)
{
	return p->shared;
}

uint64_t
ecg_pump_undelivered(const struct ecg_pump *p, int fd, int *err)
{
	const struct ecg_stream *s = &p->streams[fd == 2 && !p->shared ? 1 : 0];

	*err = s->failed_errno;
	return s->undelivered;
}

int
ecg_pump_refused(const struct ecg_pump *p, int fd)
{
	return p->streams[fd == 2 && !p->shared ? 1 : 0].refused;
}

int
ecg_pump_write_last(struct ecg_pump *p, int fd, const char *b, size_t n, double until)
{
	struct ecg_stream *s = stream_for(p, fd);
	size_t done;
	int rc;

	if (s->failed_errno != 0 || s->sink.fd < 0)
		return -s->failed_errno;
	/* A line cut short at the deadline must not swallow this text. */
	if (s->cut) {
		rc = ecg_sink_write_all(&s->sink, "\n", 1, until, &done);
		if (rc < 0)
			return rc;
		s->cut = 0;
	}
	return ecg_sink_write_all(&s->sink, b, n, until, &done);
}

int
ecg_pump_timestamps(const struct ecg_pump *p)
{
	return p->opts.timestamps;
}
