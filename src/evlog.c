#define _GNU_SOURCE
#include "evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void writable_cb(struct ev_loop *loop, ev_io *w, int revents);

int
ecg_evlog_open(struct ecg_evlog *l, struct ev_loop *loop, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->loop = loop;
	l->fd = -1;
	ev_io_init(&l->writable, writable_cb, -1, EV_WRITE);
	l->writable.data = l;
	/*
	 * O_NONBLOCK on a description of our own: a pipe's reader that
	 * stops reading costs lines, not a stuck loop.  A FIFO nobody has
	 * open for reading is an error (ENXIO) rather than a wait.
	 */
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0644);
	if (l->fd < 0)
		return -errno;
	l->buf = malloc(ECG_EVLOG_QUEUE);
	if (l->buf == NULL) {
		close(l->fd);
		l->fd = -1;
		return -ENOMEM;
	}
	ev_io_set(&l->writable, l->fd, EV_WRITE);
	return 0;
}

/* Writes from the queue while the file takes bytes: 0, or -1 once it failed for good. */
static int
drain(struct ecg_evlog *l)
{
	ssize_t n;

	while (l->len > 0) {
		n = write(l->fd, l->buf, l->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			l->err = n < 0 ? errno : EIO;
			return -1;
		}
		memmove(l->buf, l->buf + n, l->len - (size_t)n);
		l->len -= (size_t)n;
	}
	return 0;
}

/* Lines still queued after a failure are lost, one per newline. */
static void
lose_queue(struct ecg_evlog *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (l->buf[i] == '\n')
			l->lost++;
	l->len = 0;
}

static void
writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_evlog *l = w->data;

	(void)revents;
	if (drain(l) < 0)
		lose_queue(l);
	if (l->len == 0)
		ev_io_stop(loop, w);
}

void
ecg_evlog_put(struct ecg_evlog *l, const char *line, size_t len)
{
	if (l->fd < 0)
		return;
	if (l->err != 0 || len > ECG_EVLOG_QUEUE - l->len) {
		l->lost++;
		return;
	}
	memcpy(l->buf + l->len, line, len);
	l->len += len;
	/* Written from the loop, together with what else comes in this round. */
	if (!ev_is_active(&l->writable))
		ev_io_start(l->loop, &l->writable);
}

void
ecg_evlog_flush(struct ecg_evlog *l)
{
	if (l->fd < 0)
		return;
	if (drain(l) < 0 || l->len > 0)
		lose_queue(l);
}

void
ecg_evlog_close(struct ecg_evlog *l)
{
	if (l->fd >= 0) {
		ev_io_stop(l->loop, &l->writable);
		close(l->fd);
	}
	l->fd = -1;
	free(l->buf);
	l->buf = NULL;
	l->len = 0;
}
