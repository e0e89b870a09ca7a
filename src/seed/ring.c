#include "seed/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
ecg_ring_init(struct ecg_ring *r, size_t capacity)
{
	r->buf = NULL;
	r->size = capacity + 1;
	r->head = r->tail = 0;
}

int
ecg_ring_alloc(struct ecg_ring *r)
{
	if (r->buf != NULL)
		return 0;
	r->buf = malloc(r->size);
	if (r->buf == NULL)
		return -ENOMEM;
	r->head = r->tail = 0;
	return 0;
}

/*
 * Most channels are idle most of the time; giving their storage back while
 * they are empty keeps a group of many quiet tasks small.
 */
void
ecg_ring_release(struct ecg_ring *r)
{
	if (r->head != r->tail)
		return;
	free(r->buf);
	r->buf = NULL;
	r->head = r->tail = 0;
}

void
ecg_ring_destroy(struct ecg_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->head = r->tail = 0;
}

size_t
ecg_ring_capacity(const struct ecg_ring *r)
{
	return r->size - 1;
}

size_t
ecg_ring_len(const struct ecg_ring *r)
{
	return r->tail >= r->head ? r->tail - r->head : r->size - r->head + r->tail;
}

size_t
ecg_ring_space(const struct ecg_ring *r)
{
	return r->size - 1 - ecg_ring_len(r);
}

int
ecg_ring_data(const struct ecg_ring *r, struct iovec iov[2])
{
	if (r->head == r->tail)
		return 0;
	if (r->tail > r->head) {
		iov[0].iov_base = r->buf + r->head;
		iov[0].iov_len = r->tail - r->head;
		return 1;
	}
	iov[0].iov_base = r->buf + r->head;
	iov[0].iov_len = r->size - r->head;
	if (r->tail == 0)
		return 1;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = r->tail;
	return 2;
}

void
ecg_ring_consume(struct ecg_ring *r, size_t n)
{
	r->head = (r->head + n) % r->size;
	/* Empty: start over at the front, so the next bytes lie in one piece. */
	if (r->head == r->tail)
		r->head = r->tail = 0;
}

int
ecg_ring_free(const struct ecg_ring *r, struct iovec iov[2])
{
	size_t space = ecg_ring_space(r);
	size_t first;

	if (space == 0 || r->buf == NULL)
		return 0;
	first = r->size - r->tail;
	if (first > space)
		first = space;
	iov[0].iov_base = r->buf + r->tail;
	iov[0].iov_len = first;
	if (first == space)
		return 1;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = space - first;
	return 2;
}

void
ecg_ring_commit(struct ecg_ring *r, size_t n)
{
	r->tail = (r->tail + n) % r->size;
}

size_t
ecg_ring_put(struct ecg_ring *r, const void *buf, size_t len)
{
	struct iovec iov[2];
	const char *p = buf;
	size_t done = 0;
	int n, i;

	if (ecg_ring_alloc(r) < 0)
		return 0;
	n = ecg_ring_free(r, iov);
	for (i = 0; i < n && done < len; i++) {
		size_t k = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy(iov[i].iov_base, p + done, k);
		done += k;
	}
	ecg_ring_commit(r, done);
	return done;
}

void
ecg_ring_peek(const struct ecg_ring *r, size_t off, void *buf, size_t len)
{
	char *p = buf;
	size_t start = (r->head + off) % r->size;
	size_t first = r->size - start < len ? r->size - start : len;

	memcpy(p, r->buf + start, first);
	memcpy(p + first, r->buf, len - first);
}

size_t
ecg_ring_get(struct ecg_ring *r, void *buf, size_t len)
{
	size_t have = ecg_ring_len(r);

	if (len > have)
		len = have;
	if (len == 0)
		return 0;
	ecg_ring_peek(r, 0, buf, len);
	ecg_ring_consume(r, len);
	return len;
}

size_t
ecg_ring_find(const struct ecg_ring *r, size_t from, int c)
{
	struct iovec iov[2];
	size_t base = 0;
	int n = ecg_ring_data(r, iov), i;

	for (i = 0; i < n; i++) {
		size_t len = iov[i].iov_len;
		if (from < base + len) {
			size_t skip = from > base ? from - base : 0;
			const char *p = memchr((char *)iov[i].iov_base + skip, c, len - skip);
			if (p != NULL)
				return base + (size_t)(p - (char *)iov[i].iov_base);
		}
		base += len;
	}
	return base;
}

int
ecg_ring_slice(const struct ecg_ring *r, size_t off, size_t len, struct iovec iov[2])
{
	size_t start = (r->head + off) % r->size;
	size_t first = r->size - start < len ? r->size - start : len;

	if (len == 0)
		return 0;
	iov[0].iov_base = r->buf + start;
	iov[0].iov_len = first;
	if (first == len)
		return 1;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = len - first;
	return 2;
}
