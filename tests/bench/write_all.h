/*
 * write_all.h: the bench helpers' one way to put bytes on stdout (or on
 * fd): all of them, through short writes and EINTR.  0, or -1 with errno
 * set.
 */
#ifndef BENCH_WRITE_ALL_H
#define BENCH_WRITE_ALL_H

#include <errno.h>
#include <unistd.h>

static inline int
write_fd_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static inline int
write_all(const char *p, size_t n)
{
	return write_fd_all(1, p, n);
}

#endif
