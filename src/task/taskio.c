#define _GNU_SOURCE
#include "task/taskio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "sys/spawn.h"

/* The longest path of a terminal's slave end (/dev/pts/N). */
#define TTY_PATH_MAX 64

/* Longest wait for pipes still held open by processes outside the group. */
#define PIPE_GRACE 2.0

static void on_space(struct ecg_channel *ch, void *arg);
static void readable_cb(struct ev_loop *loop, ev_io *w, int revents);
static void grace_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void log_idle_cb(struct ev_loop *loop, ev_idle *w, int revents);

/*
 * Lines for the log file are written once this many wait, or when the
 * loop has nothing else to do: a write per read would double the
 * system calls of a task that writes in small pieces.
 */
#define LOG_BATCH ((size_t)64 * 1024)

void
ecg_taskio_init(struct ecg_taskio *io, struct ev_loop *loop, struct ecg_pump *pump,
    const char *name, int color, size_t buffer, const struct ecg_taskio_hooks *hooks, void *arg)
{
	int i;

	memset(io, 0, sizeof(*io));
	io->loop = loop;
	io->hooks = hooks;
	io->arg = arg;
	for (i = 0; i < 2; i++) {
		struct ecg_taskio_pipe *p = &io->pipes[i];
		p->io = io;
		p->fd = -1;
		ev_io_init(&p->readable, readable_cb, -1, EV_READ);
		p->readable.data = p;
		ecg_pump_source_init(pump, &p->src, i + 1, name, color, buffer, on_space, p);
	}
	ev_timer_init(&io->grace, grace_cb, PIPE_GRACE, 0);
	io->grace.data = io;
	ev_idle_init(&io->log_idle, log_idle_cb);
	io->log_idle.data = io;
}

static void
close_fd(struct ecg_taskio_pipe *p)
{
	if (p->fd < 0)
		return;
	ev_io_stop(p->io->loop, &p->readable);
	close(p->fd);
	p->fd = -1;
	/* What the task wrote last is final now, a line without its newline too. */
	ecg_pump_source_producing(&p->src, 0);
}

/* The stamp of lines read now. */
static void
stamp_now(struct ecg_taskio *io)
{
	if (io->log != NULL && io->stamps)
		ecg_frame_stamp(io->stamp, ECG_FRAME_STAMP_MAX);
}

/* What was read goes to the log file now; its first failure is told. */
static void
flush_log(struct ecg_taskio *io)
{
	const char *op;
	int err;

	ev_idle_stop(io->loop, &io->log_idle);
	ecg_logfile_flush(io->log);
	while ((err = ecg_logfile_failure(io->log, &op)) != 0)
		if (io->hooks->log_error != NULL)
			io->hooks->log_error(io, op, err, io->arg);
}

/* Or soon: once a batch is full, or when the loop is idle. */
static void
flush_log_soon(struct ecg_taskio *io)
{
	size_t waiting = ecg_logfile_waiting(io->log);

	if (waiting >= LOG_BATCH)
		flush_log(io);
	else if (waiting > 0 || ecg_logfile_untold(io->log))
		ev_idle_start(io->loop, &io->log_idle);
}

static void
log_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	flush_log(w->data);
}

void
ecg_taskio_destroy(struct ecg_taskio *io)
{
	int i;

	ev_timer_stop(io->loop, &io->grace);
	ev_idle_stop(io->loop, &io->log_idle);
	free(io->tail);
	io->tail = NULL;
	free(io->tty_path);
	io->tty_path = NULL;
	free(io->stamp);
	io->stamp = NULL;
	for (i = 0; i < 2; i++) {
		close_fd(&io->pipes[i]);
		free(io->pipes[i].tap_line);
		io->pipes[i].tap_line = NULL;
		ecg_pump_source_destroy(&io->pipes[i].src);
	}
}

int
ecg_taskio_open(struct ecg_taskio *io, int wr[2])
{
	int fds[2], i, rc;

	wr[0] = wr[1] = -1;
	for (i = 0; i < 2; i++) {
		if (pipe2(fds, O_CLOEXEC) < 0)
			goto fail;
		io->pipes[i].fd = ecg_spawn_park_fd(fds[0]);
		wr[i] = fds[1];
		if (fcntl(io->pipes[i].fd, F_SETFL, O_NONBLOCK) < 0)
			goto fail;
	}
	return 0;
fail:
	rc = -errno;
	for (i = 0; i < 2; i++) {
		close_fd(&io->pipes[i]);
		if (wr[i] >= 0)
			close(wr[i]);
		wr[i] = -1;
	}
	return rc;
}

int
ecg_taskio_open_tty(struct ecg_taskio *io, int *slave, const struct winsize *ws)
{
	struct termios tio;
	int m, s, rc;

	*slave = -1;
	if (io->tty_path == NULL && (io->tty_path = malloc(TTY_PATH_MAX)) == NULL)
		return -ENOMEM;
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -errno;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, io->tty_path, TTY_PATH_MAX) != 0 ||
	    fcntl(m, F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	s = open(io->tty_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		goto fail;
	/* Lines as the task wrote them: no \r\n for \n. */
	if (tcgetattr(s, &tio) == 0) {
		tio.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(s, TCSANOW, &tio);
	}
	if (ws != NULL)
		ioctl(s, TIOCSWINSZ, ws);
	io->tty = 1;
	io->pipes[0].fd = ecg_spawn_park_fd(m);
	io->pipes[1].fd = -1;
	*slave = s;
	return 0;
fail:
	rc = -errno;
	close(m);
	return rc;
}

void
ecg_taskio_resize(struct ecg_taskio *io, const struct winsize *ws)
{
	if (io->tty && io->pipes[0].fd >= 0)
		ioctl(io->pipes[0].fd, TIOCSWINSZ, ws);
}

void
ecg_taskio_start(struct ecg_taskio *io)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct ecg_taskio_pipe *p = &io->pipes[i];
		if (p->fd < 0) {
			/* A terminal's one stream: the other has nothing to give. */
			ecg_pump_source_producing(&p->src, 0);
			continue;
		}
		/*
		 * A pipe's read end never polls writable, but its hang-up
		 * does: libev counts EPOLLHUP as readable and writable, and
		 * for a watcher that wants only EV_READ it makes one more
		 * epoll_ctl to take the writable half back.  Asking for both
		 * saves that call at every task's end (100 a stop of 100
		 * tasks); a terminal's master polls writable, so it asks for
		 * EV_READ alone.
		 */
		ev_io_set(&p->readable, p->fd, io->tty ? EV_READ : EV_READ | EV_WRITE);
		ev_io_start(io->loop, &p->readable);
		ecg_pump_source_producing(&p->src, 1);
	}
}

int
ecg_taskio_closed(const struct ecg_taskio *io)
{
	return io->pipes[0].fd < 0 && io->pipes[1].fd < 0;
}

/*
 * A pipe reached its end (or failed).  Its channel stays open: the task
 * may run again (a restart), and its lines go on in the same stream; the
 * channels end with the task (ecg_taskio_end).
 */
static void
end_pipe(struct ecg_taskio_pipe *p)
{
	struct ecg_taskio *io = p->io;

	if (p->fd < 0)
		return;
	close_fd(p);
	/*
	 * A last line without a newline is final now, and is printed so: the
	 * tap sees it as a line too (a task that prints "ready" and exits).
	 */
	if (io->tap != NULL && p->tap_len > 0) {
		size_t len = p->tap_len;
		p->tap_len = 0;
		io->tap(io, p->tap_line, len, io->tap_arg);
	}
	if (ecg_taskio_closed(io)) {
		ev_timer_stop(io->loop, &io->grace);
		if (io->hooks->closed != NULL)
			io->hooks->closed(io, io->arg);
	}
}

void
ecg_taskio_close(struct ecg_taskio *io)
{
	int i;

	for (i = 0; i < 2; i++)
		end_pipe(&io->pipes[i]);
}

static void follow_break(struct ecg_taskio *io);

void
ecg_taskio_end(struct ecg_taskio *io)
{
	int i;

	ev_timer_stop(io->loop, &io->grace);
	follow_break(io);
	for (i = 0; i < 2; i++) {
		close_fd(&io->pipes[i]);
		ecg_channel_close(&io->pipes[i].src.ch);
	}
	if (io->log != NULL) {
		stamp_now(io);
		ecg_logfile_break(io->log, io->stamps ? io->stamp : NULL);
		flush_log(io);
		ecg_logfile_close(io->log);
	}
}

void
ecg_taskio_break(struct ecg_taskio *io)
{
	int i;

	/* A run's last line without a newline is not joined to the next run's first. */
	follow_break(io);
	for (i = 0; i < 2; i++)
		if (io->pipes[i].last != '\0' && io->pipes[i].last != '\n') {
			io->pipes[i].last = '\n';
			if (ecg_channel_write(&io->pipes[i].src.ch, "\n", 1) < 1)
				io->pipes[i].src.dropped++;
		}
	if (io->log != NULL) {
		stamp_now(io);
		ecg_logfile_break(io->log, io->stamps ? io->stamp : NULL);
		flush_log(io);
	}
}

static void
on_space(struct ecg_channel *ch, void *arg)
{
	struct ecg_taskio_pipe *p = arg;

	(void)ch;
	if (p->fd >= 0)
		ev_io_start(p->io->loop, &p->readable);
}

/* The tap's view of bytes just read: whole lines, without their newline. */
static void
tap_bytes(struct ecg_taskio_pipe *p, const char *b, size_t n)
{
	struct ecg_taskio *io = p->io;
	const char *nl;
	size_t take;

	while (n > 0 && io->tap != NULL) {
		if (p->tap_line == NULL && (p->tap_line = malloc(ECG_TASKIO_TAP_MAX)) == NULL)
			return;
		nl = memchr(b, '\n', n);
		take = nl != NULL ? (size_t)(nl - b) : n;
		if (take > ECG_TASKIO_TAP_MAX - p->tap_len)
			take = ECG_TASKIO_TAP_MAX - p->tap_len;
		memcpy(p->tap_line + p->tap_len, b, take);
		p->tap_len += take;
		if (nl == NULL) {
			/* Beyond the tap's length, the rest of a line is skipped. */
			return;
		}
		n -= (size_t)(nl - b) + 1;
		b = nl + 1;
		take = p->tap_len;
		p->tap_len = 0;
		io->tap(io, p->tap_line, take, io->tap_arg);
	}
}

/* The last bytes of stderr, for reports: the oldest half goes when it is full. */
static void
tail_bytes(struct ecg_taskio_pipe *p, const char *b, size_t n)
{
	struct ecg_taskio *io = p->io;

	if (io->tail == NULL || p != &io->pipes[1])
		return;
	if (n > io->tail_cap) {
		b += n - io->tail_cap;
		n = io->tail_cap;
	}
	if (io->tail_len + n > io->tail_cap) {
		size_t drop = io->tail_len + n - io->tail_cap;
		if (drop < io->tail_cap / 2)
			drop = io->tail_cap / 2;
		if (drop > io->tail_len)
			drop = io->tail_len;
		memmove(io->tail, io->tail + drop, io->tail_len - drop);
		io->tail_len -= drop;
	}
	memcpy(io->tail + io->tail_len, b, n);
	io->tail_len += n;
}

/*
 * Bytes just read: the line tap, the tail and the log see them, once they
 * are in the channel, so that a message the tap causes (a task is ready)
 * counts them among what the task wrote before it.
 */
static void
seen(struct ecg_taskio_pipe *p, const char *b, size_t n)
{
	struct ecg_taskio *io = p->io;

	tap_bytes(p, b, n);
	tail_bytes(p, b, n);
	if (io->follow != NULL && io->follow->fn != NULL && n > 0)
		io->follow->fn(io->follow->arg, io->follow_id, p == &io->pipes[0] ? 1 : 2, b, n,
		    p->seen_last == '\0' || p->seen_last == '\n');
	if (n > 0)
		p->seen_last = b[n - 1];
	if (io->log != NULL)
		ecg_logfile_write(io->log, p == &io->pipes[0] ? 1 : 2, b, n,
		    io->stamps ? io->stamp : NULL);
}

int
ecg_taskio_writer(const struct ecg_taskio *io, int stream)
{
	char path[64];
	int fd = io->pipes[stream == 1 ? 0 : 1].fd;

	/* A terminal: what is written to its slave end is read as the task's. */
	if (io->tty)
		return io->pipes[0].fd >= 0 ? open(io->tty_path, O_WRONLY | O_NOCTTY | O_CLOEXEC) :
		    -1;
	if (fd < 0)
		return -1;
	/* Linux opens the other end of a pipe through its descriptor's link. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_WRONLY | O_CLOEXEC);
}

void
ecg_taskio_share(struct ecg_taskio *io, struct ecg_taskio_round *round)
{
	io->round = round;
}

void
ecg_taskio_followed(struct ecg_taskio *io, const struct ecg_taskio_follow *follow, size_t id)
{
	io->follow = follow;
	io->follow_id = id;
}

/* The followers hear that a run's last line, without a newline, ends. */
static void
follow_break(struct ecg_taskio *io)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct ecg_taskio_pipe *p = &io->pipes[i];
		if (p->seen_last != '\0' && p->seen_last != '\n' && io->follow != NULL &&
		    io->follow->fn != NULL)
			io->follow->fn(io->follow->arg, io->follow_id, i + 1, NULL, 0, 0);
		p->seen_last = '\0';
	}
}

/*
 * How much one read may take: all the channel holds, but while a tap
 * matches lines, one tap line's worth, within what is left of the round's
 * share (0: none left, the pipe is read in the next round; its watcher
 * stays, the pipe stays readable).
 */
static size_t
read_limit(struct ecg_taskio *io)
{
	struct ecg_taskio_round *r = io->round;
	unsigned it;

	if (io->tap == NULL || r == NULL)
		return (size_t)-1;
	it = ev_iteration(io->loop);
	if (r->iteration != it) {
		r->iteration = it;
		r->bytes = 0;
	}
	return r->bytes >= ECG_TASKIO_TAP_ROUND ? 0 : ECG_TASKIO_TAP_MAX;
}

int
ecg_taskio_log(struct ecg_taskio *io, struct ecg_logfile *lf, int stamps)
{
	if (stamps && io->stamp == NULL && (io->stamp = calloc(1, ECG_FRAME_STAMP_MAX)) == NULL)
		return -ENOMEM;
	io->log = lf;
	io->stamps = stamps;
	return 0;
}

static void
seen_iov(struct ecg_taskio_pipe *p, const struct iovec *iov, int n, size_t len)
{
	int i;

	for (i = 0; i < n && len > 0; i++) {
		size_t k = iov[i].iov_len < len ? iov[i].iov_len : len;
		seen(p, iov[i].iov_base, k);
		len -= k;
	}
}

int
ecg_taskio_keep_tail(struct ecg_taskio *io, size_t cap)
{
	io->tail = malloc(cap);
	if (io->tail == NULL)
		return -ENOMEM;
	io->tail_cap = cap;
	io->tail_len = 0;
	return 0;
}

size_t
ecg_taskio_tail(const struct ecg_taskio *io, const char **bytes)
{
	*bytes = io->tail;
	return io->tail != NULL ? io->tail_len : 0;
}

/*
 * Reads once; returns 1 while the pipe may hold more.  A full channel
 * parks us: the watcher stops until the channel has room.  A cancelled
 * channel (its output is gone) no longer takes bytes; we keep reading so
 * that the task is never stuck, and count what is thrown away.
 */
static int
read_once(struct ecg_taskio_pipe *p)
{
	static char sink[65536];
	struct ecg_channel *ch = &p->src.ch;
	struct ecg_taskio *io = p->io;
	struct iovec iov[2];
	size_t limit = read_limit(io);
	ssize_t r;
	long w;
	int n;

	if (limit == 0)
		return 0;
	stamp_now(io);
	if (!ecg_channel_has_storage(ch)) {
		/*
		 * Often all there is to read is the end of the pipe: find out
		 * before the channel allocates.  Bytes go into it with one
		 * copy; an empty channel takes all it can hold.
		 */
		size_t cap = ecg_channel_capacity(ch);
		if (cap > sizeof(sink))
			cap = sizeof(sink);
		r = read(p->fd, sink, cap < limit ? cap : limit);
		if (r > 0) {
			p->last = sink[r - 1];
			if ((w = ecg_channel_write(ch, sink, (size_t)r)) < r)
				p->src.dropped += (uint64_t)(r - (w > 0 ? w : 0));
			seen(p, sink, (size_t)r);
		}
		goto done;
	}
	n = ecg_channel_reserve(ch, iov);
	if (n == 0) {
		ev_io_stop(io->loop, &p->readable);
		return 0;
	}
	if (n < 0) {
		r = read(p->fd, sink, sizeof(sink) < limit ? sizeof(sink) : limit);
		if (r > 0) {
			p->last = sink[r - 1];
			seen(p, sink, (size_t)r);
			p->src.dropped += (uint64_t)r;
		}
	} else {
		if (iov[0].iov_len >= limit) {
			iov[0].iov_len = limit;
			n = 1;
		} else if (n == 2 && iov[1].iov_len > limit - iov[0].iov_len) {
			iov[1].iov_len = limit - iov[0].iov_len;
		}
		r = readv(p->fd, iov, n);
		if (r > 0) {
			const char *end = (size_t)r <= iov[0].iov_len ?
			    (const char *)iov[0].iov_base + r :
			    (const char *)iov[1].iov_base + ((size_t)r - iov[0].iov_len);
			p->last = end[-1];
			ecg_channel_commit(ch, (size_t)r);
			seen_iov(p, iov, n, (size_t)r);
		}
	}
done:
	if (r > 0 && limit != (size_t)-1)
		io->round->bytes += (size_t)r;
	if (r > 0 && io->log != NULL)
		flush_log_soon(io);
	if (r > 0)
		return 1;
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* A terminal's master reads EIO once every slave end is closed: its end of file. */
	if (r < 0 && errno == EIO && io->tty) {
		end_pipe(p);
		return 0;
	}
	if (r < 0 && io->hooks->read_error != NULL)
		io->hooks->read_error(io, p == &io->pipes[0] ? 1 : 2, errno, io->arg);
	end_pipe(p);
	return 0;
}

static void
read_pipe(struct ecg_taskio_pipe *p)
{
	int i;

	for (i = 0; i < 64 && p->fd >= 0 && read_once(p); i++)
		;
}

void
ecg_taskio_drain(struct ecg_taskio *io)
{
	int i;

	for (i = 0; i < 2; i++)
		if (io->pipes[i].fd >= 0 && ev_is_active(&io->pipes[i].readable))
			read_pipe(&io->pipes[i]);
}

static void
readable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	read_once(w->data);
}

void
ecg_taskio_linger(struct ecg_taskio *io)
{
	if (!ecg_taskio_closed(io) && !ev_is_active(&io->grace))
		ev_timer_start(io->loop, &io->grace);
}

static void
grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_taskio *io = w->data;
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < 2; i++) {
		struct ecg_taskio_pipe *p = &io->pipes[i];
		int unread = 0;
		/*
		 * Bytes still in the pipe, or a parked producer, mean that the
		 * output is only slow, not held open by a stranger: the pipe will
		 * reach end of file once they are taken.  Keep waiting.
		 */
		if (p->fd >= 0 && (ecg_channel_writer_parked(&p->src.ch) ||
		    (ioctl(p->fd, FIONREAD, &unread) == 0 && unread > 0))) {
			/*
			 * A timer that has fired must be set again: started
			 * as it is, it would be due at once, every round.
			 */
			ev_timer_set(w, PIPE_GRACE, 0);
			ev_timer_start(io->loop, w);
			return;
		}
	}
	if (io->hooks->held != NULL)
		io->hooks->held(io, io->arg);
	for (i = 0; i < 2; i++) {
		read_pipe(&io->pipes[i]);
		end_pipe(&io->pipes[i]);
	}
}

void
ecg_taskio_tap(struct ecg_taskio *io, ecg_taskio_tap_fn fn, void *arg)
{
	int i;

	/* The line buffers stay until destroy: the tap may be removed from inside the tap. */
	io->tap = fn;
	io->tap_arg = arg;
	for (i = 0; i < 2; i++)
		io->pipes[i].tap_len = 0;
}

void
ecg_taskio_mark(const struct ecg_taskio *io, int unread, struct ecg_pump_mark *m)
{
	int i, n;

	for (i = 0; i < 2; i++) {
		const struct ecg_taskio_pipe *p = &io->pipes[i];
		n = 0;
		if (unread && p->fd >= 0 && ioctl(p->fd, FIONREAD, &n) < 0)
			n = 0;
		m->src[i] = &p->src;
		m->upto[i] = ecg_pump_source_end(&p->src, n > 0 ? (size_t)n : 0);
	}
}

uint64_t
ecg_taskio_dropped(const struct ecg_taskio *io, int stream)
{
	return io->pipes[stream - 1].src.dropped;
}
