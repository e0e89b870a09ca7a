/*
 * ring: a fixed-capacity FIFO of bytes.
 *
 * One spare slot keeps "head == tail" meaning empty, so no separate count
 * is needed.  Data and free space are exposed as up to two iovecs (the part
 * before the wrap and the part after it) so callers can readv(2) straight
 * into the ring and writev(2) straight out of it; a "seek" then commits
 * how much was produced or consumed.  The ring never allocates after init.
 */
#ifndef ECG_RING_H
#define ECG_RING_H

#include <stddef.h>
#include <sys/uio.h>

struct ecg_ring {
	char *buf;	/* capacity + 1 bytes, NULL until allocated */
	size_t size;	/* capacity + 1 */
	size_t head;	/* next byte to read */
	size_t tail;	/* next byte to write */
};

/* Sets the capacity; allocates nothing yet. */
void ecg_ring_init(struct ecg_ring *r, size_t capacity);
/* Allocates the storage if not done yet: 0 or -ENOMEM. */
int ecg_ring_alloc(struct ecg_ring *r);
/* Frees the storage when the ring is empty (it is allocated again on demand). */
void ecg_ring_release(struct ecg_ring *r);
void ecg_ring_destroy(struct ecg_ring *r);

size_t ecg_ring_capacity(const struct ecg_ring *r);
size_t ecg_ring_len(const struct ecg_ring *r);
size_t ecg_ring_space(const struct ecg_ring *r);

/* The stored bytes, oldest first: returns how many iovecs (0, 1 or 2) hold data. */
int ecg_ring_data(const struct ecg_ring *r, struct iovec iov[2]);
/* Drops n stored bytes from the front (n <= len). */
void ecg_ring_consume(struct ecg_ring *r, size_t n);
/* The free space, in order: how many iovecs (0, 1 or 2); storage must be allocated. */
int ecg_ring_free(const struct ecg_ring *r, struct iovec iov[2]);
/* Marks n bytes of the free space as written (n <= space). */
void ecg_ring_commit(struct ecg_ring *r, size_t n);

/* Copies in as much of buf as fits; returns the count.  Allocates on demand. */
size_t ecg_ring_put(struct ecg_ring *r, const void *buf, size_t len);
/* Copies out and consumes up to len bytes; returns the count. */
size_t ecg_ring_get(struct ecg_ring *r, void *buf, size_t len);
/* Offset of the first byte c at or after offset from, or len if none. */
size_t ecg_ring_find(const struct ecg_ring *r, size_t from, int c);
/* The stored bytes [off, off + len) as 1 or 2 iovecs: returns the count. */
int ecg_ring_slice(const struct ecg_ring *r, size_t off, size_t len, struct iovec iov[2]);
/* Copies len bytes starting at offset off, without consuming them. */
void ecg_ring_peek(const struct ecg_ring *r, size_t off, void *buf, size_t len);

#endif
