#define _GNU_SOURCE
#include "output/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"

/*
 * How a sink writes without ever blocking the loop, while leaving the
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
void
ecg_sink_open(struct ecg_sink *k, int fd)
{
	struct stat st;
	char path[64];
	int nfd;

	k->fd = fd;
	k->orig_fd = fd;
	k->own_fd = 0;
	k->mode = ECG_SINK_GUARDED;
	if (fstat(fd, &st) < 0)
		return;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		k->mode = ECG_SINK_FILE;
	} else if (S_ISSOCK(st.st_mode)) {
		k->mode = ECG_SINK_SOCKET;
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (nfd >= 0) {
			k->fd = nfd;
			k->own_fd = 1;
			k->mode = ECG_SINK_PRIVATE;
		}
	}
}

void
ecg_sink_close(struct ecg_sink *k)
{
	if (k->own_fd && k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	k->own_fd = 0;
}

size_t
ecg_sink_write_max(const struct ecg_sink *k, size_t limit)
{
	return k->mode == ECG_SINK_GUARDED && limit > PIPE_BUF ? PIPE_BUF : limit;
}

ssize_t
ecg_sink_write(struct ecg_sink *k, const void *b, size_t n)
{
	struct pollfd pfd;

	switch (k->mode) {
	case ECG_SINK_SOCKET:
		return send(k->fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	case ECG_SINK_GUARDED:
		/*
		 * Room was promised for PIPE_BUF bytes, and the caller writes
		 * no more (ecg_sink_write_max), so this write cannot block.
		 */
		pfd.fd = k->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 0) <= 0) {
			errno = EAGAIN;
			return -1;
		}
		return write(k->fd, b, n);
	default:
		return write(k->fd, b, n);
	}
}

int
ecg_sink_write_all(struct ecg_sink *k, const void *b, size_t n, double until, size_t *done)
{
	const char *p = b;
	struct pollfd pfd;
	ssize_t w;
	double left;

	*done = 0;
	while (*done < n) {
		w = ecg_sink_write(k, p + *done, ecg_sink_write_max(k, n - *done));
		if (w > 0) {
			*done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return w == 0 ? -EIO : -errno;
		left = until - ecg_clock_now();
		if (left <= 0)
			return -ETIMEDOUT;
		pfd.fd = k->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)(left * 1000.0) + 1) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

int
ecg_sink_status(int err)
{
	return err == EPIPE ? 141 : 125;
}

int
ecg_sink_same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
