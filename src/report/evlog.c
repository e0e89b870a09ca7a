#define _GNU_SOURCE
#include "report/evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/safeopen.h"

static void writable_cb(struct ev_loop *loop, ev_io *w, int revents);

int
ecg_evlog_open(struct ecg_evlog *l, struct ev_loop *loop, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->loop = loop;
	l->fd = -1;
	ecg_buf_init(&l->queue);
	ev_io_init(&l->writable, writable_cb, -1, EV_WRITE);
	l->writable.data = l;
	/*
	 * O_NONBLOCK on a description of our own: a pipe's reader that
	 * stops reading costs lines, not a stuck loop.  A FIFO nobody has
	 * open for reading is an error (ENXIO) rather than a wait.
	 */
	l->fd = ecg_safeopen_append(path, O_NONBLOCK | O_CLOEXEC, 0644);
	if (l->fd < 0)
		return l->fd;
	ev_io_set(&l->writable, l->fd, EV_WRITE);
	return 0;
}

static size_t
waiting(const struct ecg_evlog *l)
{
	return l->queue.len - l->off;
}

/* Lines still queued after a failure are lost, one per newline. */
static void
lose_queue(struct ecg_evlog *l)
{
	l->lost += ecg_buf_lines(&l->queue, l->off);
	ecg_buf_reset(&l->queue);
	l->off = 0;
}

/* Writes from the queue while the file takes bytes: 0, or -1 once it failed for good. */
static int
drain(struct ecg_evlog *l)
{
	ssize_t n;

	while (waiting(l) > 0) {
		n = write(l->fd, l->queue.p + l->off, waiting(l));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			l->err = n < 0 ? errno : EIO;
			lose_queue(l);
			return -1;
		}
		l->off += (size_t)n;
	}
	if (waiting(l) == 0) {
		ecg_buf_reset(&l->queue);
		l->off = 0;
	} else if (l->off > l->queue.len / 2) {
		/* What is left moves to the front: the queue never creeps. */
		memmove(l->queue.p, l->queue.p + l->off, waiting(l));
		ecg_buf_truncate(&l->queue, waiting(l));
		l->off = 0;
	}
	return 0;
}

static void
writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_evlog *l = w->data;

	(void)revents;
	drain(l);
	if (waiting(l) == 0)
		ev_io_stop(loop, w);
}

void
ecg_evlog_put(struct ecg_evlog *l, const char *line, size_t len)
{
	if (l->fd < 0)
		return;
	if (l->err == 0 && waiting(l) + len > ECG_EVLOG_BATCH)
		drain(l);
	if (l->err != 0 || waiting(l) + len > ECG_EVLOG_QUEUE_MAX) {
		l->lost++;
		return;
	}
	/* What was written goes before the queue grows: it never holds more than its limit. */
	if (l->off > 0 && l->queue.len + len > l->queue.cap) {
		memmove(l->queue.p, l->queue.p + l->off, waiting(l));
		ecg_buf_truncate(&l->queue, waiting(l));
		l->off = 0;
	}
	ecg_buf_put(&l->queue, line, len);
	if (ecg_buf_failed(&l->queue)) {
		l->queue.failed = 0;
		l->lost++;
		return;
	}
	/* Written from the loop, together with what else comes in this round. */
	if (!ev_is_active(&l->writable))
		ev_io_start(l->loop, &l->writable);
}

void
ecg_evlog_flush(struct ecg_evlog *l, double until)
{
	struct pollfd pfd;
	double left;

	if (l->fd < 0)
		return;
	while (drain(l) == 0 && waiting(l) > 0) {
		left = until - ecg_clock_now();
		if (left <= 0)
			break;
		pfd.fd = l->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)(left * 1000.0) + 1) < 0 && errno != EINTR)
			break;
	}
	lose_queue(l);
}

int
ecg_evlog_is_open(const struct ecg_evlog *l)
{
	return l->fd >= 0;
}

uint64_t
ecg_evlog_lost(const struct ecg_evlog *l, int *err)
{
	*err = l->err;
	return l->lost;
}

void
ecg_evlog_close(struct ecg_evlog *l)
{
	if (l->fd >= 0) {
		ev_io_stop(l->loop, &l->writable);
		close(l->fd);
	}
	l->fd = -1;
	ecg_buf_free(&l->queue);
	l->off = 0;
}
