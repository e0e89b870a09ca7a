/*
 * channel: a bounded, cancellation-aware FIFO of bytes between one producer
 * and one consumer, after a Go channel wrapped with context checks.
 *
 * On a single event loop nobody can block, so "blocking" is expressed with
 * callbacks: a producer that finds the channel full is parked (it stops
 * reading its source) and on_space wakes it when the consumer has made room;
 * a consumer is woken by on_data when bytes arrive or the producer closes.
 * When the channel's context is cancelled a parked producer is released at
 * once: from then on ecg_channel_reserve answers -ECANCELED, so it can throw
 * its input away instead of waiting for room that may never come.  What the
 * channel already accepted stays readable: the consumer drains it.
 */
#ifndef ECG_CHANNEL_H
#define ECG_CHANNEL_H

#include <stddef.h>
#include <sys/uio.h>

#include "seed/context.h"
#include "seed/ring.h"

struct ecg_channel;

typedef void (*ecg_channel_cb)(struct ecg_channel *ch, void *arg);

struct ecg_channel {
	struct ecg_ring ring;			/* the bytes accepted, allocated lazily */
	struct ecg_context *ctx;		/* cancelling it releases the producer */
	struct ecg_context_waiter cancel;	/* our registration on ctx */
	int closed;				/* the producer has closed its end */
	int writer_parked;			/* the producer waits for room */
	ecg_channel_cb on_space;		/* wakes the producer */
	ecg_channel_cb on_data;			/* wakes the consumer */
	void *arg;				/* passed to both callbacks */
};

/* Sets up an empty channel of capacity bytes; allocates nothing yet. */
void ecg_channel_init(struct ecg_channel *ch, struct ecg_context *ctx, size_t capacity,
    ecg_channel_cb on_space, ecg_channel_cb on_data, void *arg);
void ecg_channel_destroy(struct ecg_channel *ch);

/*
 * Producer side.  reserve returns the number of iovecs of free space (1 or
 * 2), 0 if the channel is full (the producer is now parked: on_space will
 * call it back), -ECANCELED once the context is cancelled, or -ENOMEM.
 */
int ecg_channel_reserve(struct ecg_channel *ch, struct iovec iov[2]);
void ecg_channel_commit(struct ecg_channel *ch, size_t n);
/* Copies in as much of buf as fits: the count, or a reserve error. */
long ecg_channel_write(struct ecg_channel *ch, const void *buf, size_t len);
/*
 * No more bytes will come; the consumer still reads what is stored.  An
 * empty channel gives its storage back at once.
 */
void ecg_channel_close(struct ecg_channel *ch);
/* Whether the channel holds storage now (it has none until first written). */
int ecg_channel_has_storage(const struct ecg_channel *ch);

/* Consumer side. */
size_t ecg_channel_len(const struct ecg_channel *ch);
size_t ecg_channel_capacity(const struct ecg_channel *ch);
int ecg_channel_data(const struct ecg_channel *ch, struct iovec iov[2]);
/* Offset of the first byte c at or after from, or the length if none. */
size_t ecg_channel_find(const struct ecg_channel *ch, size_t from, int c);
/* The stored bytes [off, off + len) as 1 or 2 iovecs: returns the count. */
int ecg_channel_slice(const struct ecg_channel *ch, size_t off, size_t len, struct iovec iov[2]);
void ecg_channel_consume(struct ecg_channel *ch, size_t n);
/*
 * Copies out and consumes up to len bytes: the count, 0 at end of stream,
 * -EAGAIN when empty and still open, -ECANCELED when empty and cancelled.
 */
long ecg_channel_read(struct ecg_channel *ch, void *buf, size_t len);
/* Closed by the producer and nothing left to read. */
int ecg_channel_eof(const struct ecg_channel *ch);
/* Whether the writer closed it. */
int ecg_channel_closed(const struct ecg_channel *ch);
/* Whether it takes no more: closed, or its context is cancelled. */
int ecg_channel_shut(const struct ecg_channel *ch);
/* Whether a writer waits for room (its space callback is due). */
int ecg_channel_writer_parked(const struct ecg_channel *ch);

#endif
