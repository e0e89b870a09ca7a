#define _GNU_SOURCE
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * How a stream writes without ever blocking the loop, while leaving the
 * descriptor it shares with its parent exactly as it found it:
 *
 * PRIVATE  pipes, FIFOs, terminals, character devices: we open
 *          /proc/self/fd/N again, which gives a new open file description
 *          of the same pipe or terminal; O_NONBLOCK goes on that one only.
 * SOCKET   send(2) with MSG_DONTWAIT asks for non-blocking per call.
 * FILE     regular files and block devices never make a writer wait for a
 *          reader, so plain blocking writes are right (and keep the shared
 *          file offset, which a private reopening would not).
 * GUARDED  fallback when reopening fails: poll(2) for room first and write
 *          at most PIPE_BUF bytes, which then cannot block.
 */
enum { MODE_PRIVATE, MODE_SOCKET, MODE_FILE, MODE_GUARDED };

/*
 * ecg-run's own messages: a base, and room for every task's lines about
 * starting and ending (and -v's signals) even when all of a large group's
 * come in one loop round.  Only the pages that messages touch become
 * resident.
 */
#define LOG_BASE ((size_t)64 * 1024)
#define LOG_PER_TASK ((size_t)1024)

struct ecg_note_wait {
	struct ecg_note_wait *next;
	uint64_t at;			/* where the waiting message starts, in log.taken terms */
	struct ecg_output_mark mark;
};

struct ecg_note_line {
	struct ecg_note_line *next;
	size_t len;
	char text[];			/* with its newline */
};
/* What one write(2) carries at most: frames, and bytes (the stage's size). */
#define BATCH_FRAMES 1024
#define STAGE_BYTES ((size_t)128 * 1024)

static const char *const palette[] = {
	"\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m", "\033[31m",
	"\033[96m", "\033[93m", "\033[92m", "\033[95m", "\033[94m", "\033[91m",
};
#define PALETTE_SIZE (sizeof(palette) / sizeof(palette[0]))
#define COLOR_RESET "\033[0m"

static struct ecg_source *
source_of(struct ecg_channel *ch)
{
	return (struct ecg_source *)((char *)ch - offsetof(struct ecg_source, ch));
}

static struct ecg_stream *
stream_for(struct ecg_output *out, int fd)
{
	return &out->streams[fd == 2 && !out->shared ? 1 : 0];
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

/*
 * Whether what a waiting message waits for is out: each source of its mark
 * has had its bytes up to the mark taken, or has ended, or has been given
 * up.  A source that goes to another file than the message holds it back
 * only while that file takes bytes: a stuck stdout must not stop stderr's
 * messages (their order across two files cannot be seen anyway but in
 * time).
 */
static int
wait_met(const struct ecg_output *out, const struct ecg_note_wait *w)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct ecg_source *src = w->mark.src[i];
		const struct ecg_stream *ss;

		if (src == NULL || src->taken >= w->mark.upto[i] || src->finished)
			continue;
		ss = src->stream;
		if (ss->failed_errno != 0 || ecg_context_done(&ss->ctx))
			continue;
		if (ss != out->log.stream && ev_is_active(&ss->writable))
			continue;
		return 0;
	}
	return 1;
}

/* Lets go of the waits that are over: met, or whose message is gone. */
static void
release_waits(struct ecg_output *out)
{
	struct ecg_note_wait *w;

	while ((w = out->waits) != NULL && (w->at < out->log.taken || wait_met(out, w))) {
		out->waits = w->next;
		if (out->waits == NULL)
			out->waits_tail = &out->waits;
		free(w);
	}
}

/* What of a source's channel may be written now: all of it, but for messages. */
static size_t
src_len(struct ecg_source *src)
{
	struct ecg_output *out = src->stream->out;
	size_t len = ecg_channel_len(&src->ch);

	if (src != &out->log || out->waits == NULL)
		return len;
	release_waits(out);
	if (out->waits != NULL && out->waits->at - src->taken < len)
		len = (size_t)(out->waits->at - src->taken);
	return len;
}

/*
 * Something a waiting message may wait for has changed: its stream gets
 * another look (once the loop has run the callbacks of this round).  The
 * messages go back on the ready queue only when the pump starts, never
 * from here: this runs while a queue is being walked.
 */
static void
kick_notes(struct ecg_output *out)
{
	struct ecg_stream *s = out->log.stream;

	if (out->waits == NULL || ecg_channel_len(&out->log.ch) == 0)
		return;
	out->notes_kicked = 1;
	if (!ev_is_active(&s->writable) && !s->flush_fed && s->failed_errno == 0) {
		s->flush_fed = 1;
		ev_feed_event(out->loop, &s->flush, EV_CUSTOM);
	}
}

static void refill_notes(struct ecg_output *out);

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
	if (at < len)
		return at + 1 - pos;
	src->clean_from = pos;
	src->clean_to = len;
	/*
	 * No newline: a full channel cannot wait for one (the line is longer
	 * than the buffer), and a closed one will never get one.
	 */
	if ((pos == 0 && len == ecg_channel_capacity(&src->ch)) || src->ch.closed) {
		*nl = 1;
		return len - pos;
	}
	return 0;
}

/* Consumes n bytes of a source, keeping its scan memory in step. */
static void
consume(struct ecg_source *src, size_t n)
{
	struct ecg_output *out = src->stream->out;

	src->clean_from = src->clean_from > n ? src->clean_from - n : 0;
	src->clean_to = src->clean_to > n ? src->clean_to - n : 0;
	src->taken += n;
	ecg_channel_consume(&src->ch, n);
	if (src == &out->log)
		refill_notes(out);
	else
		kick_notes(out);
}

static void
finish_member(struct ecg_stream *s, int err)
{
	if (s->member_done)
		return;
	s->member_done = 1;
	ecg_errgroup_done(s->out->eg, err);
}

/*
 * Every task source has ended and been written, or thrown away with a
 * stream that failed or was given up.
 */
static int
tasks_written(const struct ecg_output *out)
{
	int i;

	for (i = 0; i < (out->shared ? 1 : 2); i++) {
		const struct ecg_stream *s = &out->streams[i];
		unsigned own = s == out->log.stream;
		unsigned done = s->nfinished - (own && out->log.finished);

		if (done < s->nsources - own)
			return 0;
	}
	return 1;
}

/*
 * ecg-run's messages end only once no more can come: after the caller said
 * so, and once every task line is out, since a stream that fails on its
 * last lines has a message of its own to give (the cause, when nothing
 * else was).
 */
static void
maybe_close_notes(struct ecg_output *out)
{
	if (out->notes_closing && !out->log.ch.closed && out->overflow == NULL &&
	    tasks_written(out))
		ecg_channel_close(&out->log.ch);
}

static void
check_finished(struct ecg_stream *s, struct ecg_source *src)
{
	if (src->finished || !ecg_channel_eof(&src->ch) || s->rest.src == src)
		return;
	src->finished = 1;
	s->nfinished++;
	if (s->nfinished == s->nsources)
		finish_member(s, 0);
	if (src != &s->out->log) {
		maybe_close_notes(s->out);
		kick_notes(s->out);
	}
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
	if (s->out->on_fail != NULL)
		s->out->on_fail(s->orig_fd, err, s->out->fail_arg);
	ev_io_stop(s->out->loop, &s->writable);
	/*
	 * A closed pipe is reported like a shell would: 128 + SIGPIPE; any
	 * other write error (a full disk, a terminal gone) is ecg-run's own.
	 * The stream counts out with that result before its sources are
	 * thrown away: the last of them finishing must not count it out as a
	 * success first (every task may be over already).
	 */
	finish_member(s, err == EPIPE ? 141 : 125);
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
	/*
	 * Written once the loop has run every other callback of this round
	 * (the flush has the lowest priority), so that everything the tasks'
	 * pipes gave in one round goes out in one write.  A fed event is run
	 * in the same round whatever feeds it, so nothing waits for a wake-up.
	 */
	if (!ev_is_active(&s->writable) && !s->flush_fed) {
		s->flush_fed = 1;
		ev_feed_event(s->out->loop, &s->flush, EV_CUSTOM);
	}
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
	struct ecg_output *out = s->out;
	char *p = s->hdr;
	size_t len;

	if (out->opts.timestamps) {
		memcpy(p, out->batch_ts, strlen(out->batch_ts));
		p += strlen(out->batch_ts);
	}
	if (src->name != NULL && out->opts.prefix) {
		const char *color = s->color && src->color >= 0 ?
		    palette[(size_t)src->color % PALETTE_SIZE] : NULL;
		len = strlen(src->name);
		if (color != NULL) {
			memcpy(p, color, strlen(color));
			p += strlen(color);
		}
		memcpy(p, src->name, len);
		p += len;
		while (len < out->opts.name_width && len < ECG_OUTPUT_HDR_MAX / 2) {
			*p++ = ' ';
			len++;
		}
		memcpy(p, " |", 2);
		p += 2;
		if (color != NULL) {
			memcpy(p, COLOR_RESET, strlen(COLOR_RESET));
			p += strlen(COLOR_RESET);
		}
		*p++ = ' ';
	}
	s->hdr_len = (size_t)(p - s->hdr);
}

void
ecg_output_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d ", tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, (int)(ts.tv_nsec / 1000000) % 1000);
}

static void
stamp_batch(struct ecg_output *out)
{
	if (out->opts.timestamps)
		ecg_output_stamp(out->batch_ts, sizeof(out->batch_ts));
}

struct frame {
	struct ecg_source *src;
	size_t hdr_off, hdr_len, data;
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
	size_t room, k, n;
	int i, piece;

	if (b->nframes >= BATCH_FRAMES ||
	    (b->nframes > 0 && b->bytes + hdr_len - hdr_off + data + (size_t)nl > b->limit))
		return -1;
	f = &b->frames[b->nframes++];
	f->src = src;
	f->hdr_off = hdr_off;
	f->hdr_len = hdr_len;
	f->data = data;
	f->nl = nl;
	room = b->limit - b->bytes;
	k = hdr_len - hdr_off < room ? hdr_len - hdr_off : room;
	copy_in(b, hdr + hdr_off, k);
	room -= k;
	k = data < room ? data : room;
	piece = ecg_channel_slice(&src->ch, pos, k, iov);
	for (i = 0; i < piece; i++) {
		n = iov[i].iov_len;
		copy_in(b, iov[i].iov_base, n);
	}
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
	struct frame *f;
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
			if (b->bytes + h + len > b->limit || b->nframes >= BATCH_FRAMES) {
				*full = b->nframes > 0;
				return off + (size_t)(p - base);
			}
			f = &b->frames[b->nframes++];
			f->src = src;
			f->hdr_off = 0;
			f->hdr_len = h;
			f->data = len;
			f->nl = 0;
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
	struct ecg_output *out = s->out;
	struct ecg_source *src;

	b->nframes = 0;
	b->bytes = 0;
	b->buf = s->stage;
	b->limit = s->mode == MODE_GUARDED ? PIPE_BUF : STAGE_BYTES;
	stamp_batch(out);
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
			s->rest.src = f->src;
			s->rest.hdr_off = 0;
			s->rest.hdr_len = f->hdr_len - f->hdr_off;
			memcpy(s->rest.hdr, hdr_left, s->rest.hdr_len);
			s->rest.data = f->data;
			s->rest.nl = f->nl;
			break;
		}
		if (s->rest.src == f->src)
			s->rest.src = NULL;
	}
	if (run != NULL)
		consume(run, taken);
}

static ssize_t
write_batch(struct ecg_stream *s, struct batch *b)
{
	struct pollfd pfd;

	switch (s->mode) {
	case MODE_SOCKET:
		return send(s->fd, b->buf, b->bytes, MSG_DONTWAIT | MSG_NOSIGNAL);
	case MODE_GUARDED:
		/*
		 * Room was promised for PIPE_BUF bytes, and the batch holds no
		 * more (its limit), so this write cannot block.
		 */
		pfd.fd = s->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 0) == 0) {
			errno = EAGAIN;
			return -1;
		}
		return write(s->fd, b->buf, b->bytes);
	default:
		return write(s->fd, b->buf, b->bytes);
	}
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

static void
pump(struct ecg_stream *s)
{
	struct ecg_output *out = s->out;
	struct batch b;
	ssize_t n;

	if (out->notes_kicked && s == out->log.stream) {
		out->notes_kicked = 0;
		if (ecg_channel_len(&out->log.ch) > 0)
			enqueue(s, &out->log);
	}
	for (;;) {
		build(s, &b);
		if (b.nframes == 0)
			break;
		n = write_batch(s, &b);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			s->refused = 1;
			ev_io_start(s->out->loop, &s->writable);
			kick_notes(s->out);
			return;
		}
		if (n < 0) {
			fail(s, errno);
			return;
		}
		settle(s, &b, (size_t)n);
		tidy_queue(s, 1);
		if ((size_t)n < b.bytes) {
			s->refused = 1;
			ev_io_start(s->out->loop, &s->writable);
			kick_notes(s->out);
			return;
		}
	}
	ev_io_stop(s->out->loop, &s->writable);
	tidy_queue(s, 0);
}

static void
writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_stream *s = w->data;

	(void)loop;
	(void)revents;
	ev_io_stop(s->out->loop, &s->writable);
	pump(s);
}

static void
stream_cancelled(struct ecg_context *ctx, void *arg)
{
	struct ecg_stream *s = arg;

	(void)ctx;
	ev_io_stop(s->out->loop, &s->writable);
	discard(s);
}

static int
stream_init(struct ecg_output *out, struct ecg_stream *s, int fd)
{
	struct stat st;
	char path[64];
	int nfd;

	memset(s, 0, sizeof(*s));
	s->out = out;
	s->orig_fd = fd;
	s->fd = fd;
	s->color = out->opts.color[fd - 1];
	s->mode = MODE_GUARDED;
	if (fstat(fd, &st) == 0) {
		if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
			s->mode = MODE_FILE;
		} else if (S_ISSOCK(st.st_mode)) {
			s->mode = MODE_SOCKET;
		} else {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
			if (nfd >= 0) {
				s->fd = nfd;
				s->own_fd = 1;
				s->mode = MODE_PRIVATE;
			}
		}
	}
	ev_io_init(&s->writable, writable_cb, s->fd, EV_WRITE);
	s->writable.data = s;
	ev_prepare_init(&s->flush, flush_cb);
	ev_set_priority(&s->flush, EV_MINPRI);
	s->flush.data = s;
	ecg_context_init(&s->ctx, out->loop, &out->ctx);
	ecg_context_on_cancel(&s->ctx, &s->cancel, stream_cancelled, s);
	ecg_errgroup_go(out->eg);
	/* Last, so that a stream is whole for destroy even without it. */
	/* Only the pages a batch touches become resident. */
	s->stage = malloc(STAGE_BYTES);
	return s->stage != NULL ? 0 : -ENOMEM;
}

static int
same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
ecg_output_init(struct ecg_output *out, struct ev_loop *loop, struct ecg_context *parent,
    struct ecg_errgroup *eg, const struct ecg_output_opts *opts)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->loop = loop;
	out->eg = eg;
	out->opts = *opts;
	ecg_context_init(&out->ctx, loop, parent);
	/*
	 * With 2>&1 both streams are one file: one writer keeps a half-written
	 * stdout line from being cut by a stderr line.
	 */
	out->shared = same_file(1, 2);
	/* Everything destroy touches is set up even when an allocation fails. */
	rc = stream_init(out, &out->streams[0], 1);
	if (!out->shared && stream_init(out, &out->streams[1], 2) < 0)
		rc = -ENOMEM;
	out->waits_tail = &out->waits;
	out->overflow_tail = &out->overflow;
	ecg_output_source_init(out, &out->log, 2, NULL, -1, LOG_BASE + opts->tasks * LOG_PER_TASK,
	    NULL, NULL);
	return rc;
}

/* Throws away the messages that wait in memory; returns how many. */
static uint64_t
free_pending_notes(struct ecg_output *out)
{
	struct ecg_note_wait *w;
	struct ecg_note_line *l;
	uint64_t n = 0;

	while ((w = out->waits) != NULL) {
		out->waits = w->next;
		free(w);
	}
	out->waits_tail = &out->waits;
	while ((l = out->overflow) != NULL) {
		out->overflow = l->next;
		free(l);
		n++;
	}
	out->overflow_tail = &out->overflow;
	return n;
}

void
ecg_output_destroy(struct ecg_output *out)
{
	int i;

	free_pending_notes(out);
	ecg_output_source_destroy(&out->log);
	for (i = 0; i < (out->shared ? 1 : 2); i++) {
		struct ecg_stream *s = &out->streams[i];
		ev_io_stop(out->loop, &s->writable);
		ev_clear_pending(out->loop, &s->flush);
		ecg_context_forget(&s->ctx, &s->cancel);
		ecg_context_destroy(&s->ctx);
		if (s->own_fd)
			close(s->fd);
		s->fd = -1;
		free(s->stage);
		s->stage = NULL;
	}
	ecg_context_destroy(&out->ctx);
}

void
ecg_output_source_init(struct ecg_output *out, struct ecg_source *src, int fd,
    const char *name, int color, size_t capacity, ecg_channel_cb on_space, void *arg)
{
	struct ecg_stream *s = stream_for(out, fd);

	memset(src, 0, sizeof(*src));
	src->stream = s;
	src->name = name;
	src->color = color;
	ecg_channel_init(&src->ch, &s->ctx, capacity, on_space, on_data, arg);
	s->nsources++;
}

void
ecg_output_source_destroy(struct ecg_source *src)
{
	struct ecg_stream *s = src->stream;
	struct ecg_source **pp;

	if (src->queued) {
		for (pp = &s->ready; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == src) {
				*pp = src->next;
				break;
			}
		}
		s->ready_tail = NULL;
		for (pp = &s->ready; *pp != NULL; pp = &(*pp)->next)
			s->ready_tail = *pp;
		src->queued = 0;
	}
	if (s->rest.src == src)
		s->rest.src = NULL;
	ecg_channel_destroy(&src->ch);
}

/*
 * Messages go through a channel like task output, so they come out as
 * whole lines between task lines.  The channel is sized with the group;
 * when it is full all the same (stderr stuck), a message that must be
 * written waits in memory in its order, and any other is dropped and
 * counted rather than grow memory or block.
 */
void
ecg_output_note(struct ecg_output *out, const char *line, size_t len, int must,
    const struct ecg_output_mark *mark)
{
	struct ecg_channel *ch = &out->log.ch;
	struct ecg_note_line *l;
	struct ecg_note_wait *w;
	char buf[1024];

	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	if (ch->closed) {
		out->log_dropped++;
		return;
	}
	if (out->overflow == NULL && ecg_channel_capacity(ch) - ecg_channel_len(ch) >= len) {
		if (ecg_channel_write(ch, buf, len) != (long)len) {
			out->log_dropped++;
			return;
		}
	} else if (must && (l = malloc(sizeof(*l) + len)) != NULL) {
		l->next = NULL;
		l->len = len;
		memcpy(l->text, buf, len);
		*out->overflow_tail = l;
		out->overflow_tail = &l->next;
	} else {
		out->log_dropped++;
		return;
	}
	/*
	 * Without memory for the wait the message is written when its turn
	 * comes, ahead of the task lines it should follow: out of order,
	 * which is better than lost.
	 */
	if (mark != NULL && (w = malloc(sizeof(*w))) != NULL) {
		w->next = NULL;
		w->at = out->log_queued;
		w->mark = *mark;
		*out->waits_tail = w;
		out->waits_tail = &w->next;
	}
	out->log_queued += len;
}

/* Moves waiting messages into the channel as far as it has room. */
static void
refill_notes(struct ecg_output *out)
{
	struct ecg_channel *ch = &out->log.ch;
	struct ecg_note_line *l;

	while ((l = out->overflow) != NULL &&
	    ecg_channel_capacity(ch) - ecg_channel_len(ch) >= l->len) {
		if (ecg_channel_write(ch, l->text, l->len) != (long)l->len)
			break;
		out->overflow = l->next;
		if (out->overflow == NULL)
			out->overflow_tail = &out->overflow;
		free(l);
	}
	if (out->overflow == NULL)
		maybe_close_notes(out);
}

uint64_t
ecg_output_source_end(const struct ecg_source *src, size_t more)
{
	return src->taken + ecg_channel_len(&src->ch) + more;
}

uint64_t
ecg_output_notes_dropped(const struct ecg_output *out, int *stderr_refused)
{
	*stderr_refused = out->log.stream->refused;
	return out->log_dropped;
}

void
ecg_output_close_notes(struct ecg_output *out)
{
	out->notes_closing = 1;
	maybe_close_notes(out);
}

void
ecg_output_abandon(struct ecg_output *out)
{
	out->log_dropped += free_pending_notes(out);
	ecg_context_cancel(&out->ctx, 0);
	maybe_close_notes(out);
}

uint64_t
ecg_output_undelivered(const struct ecg_output *out, int fd, int *err)
{
	const struct ecg_stream *s = fd == 2 && !out->shared ? &out->streams[1] : &out->streams[0];

	*err = s->failed_errno;
	return s->undelivered;
}

void
ecg_output_final(struct ecg_output *out, const char *line, size_t len)
{
	struct ecg_stream *s = stream_for(out, 2);
	struct pollfd pfd = { s->fd, POLLOUT, 0 };
	char buf[1024 + sizeof(out->batch_ts)];
	size_t ts = 0;
	ssize_t n;

	if (s->failed_errno != 0 || s->fd < 0)
		return;
	if (s->mode != MODE_FILE && poll(&pfd, 1, 0) <= 0)
		return;
	/* A line cut short at the deadline must not swallow this one. */
	if (s->cut) {
		s->cut = 0;
		do
			n = write(s->fd, "\n", 1);
		while (n < 0 && errno == EINTR);
	}
	if (out->opts.timestamps) {
		stamp_batch(out);
		ts = strlen(out->batch_ts);
		memcpy(buf, out->batch_ts, ts);
	}
	if (len > sizeof(buf) - ts)
		len = sizeof(buf) - ts;
	memcpy(buf + ts, line, len);
	do
		n = write(s->fd, buf, ts + len);
	while (n < 0 && errno == EINTR);
}

int
ecg_output_shared(const struct ecg_output *out)
{
	return out->shared;
}
