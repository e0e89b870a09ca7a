#include "seed/channel.h"

#include <errno.h>

static void
wake_writer(struct ecg_channel *ch)
{
	if (!ch->writer_parked)
		return;
	ch->writer_parked = 0;
	if (ch->on_space != NULL)
		ch->on_space(ch, ch->arg);
}

static void
wake_reader(struct ecg_channel *ch)
{
	if (ch->on_data != NULL)
		ch->on_data(ch, ch->arg);
}

/* Cancellation releases a parked producer; the consumer hears of it too. */
static void
cancelled(struct ecg_context *ctx, void *arg)
{
	struct ecg_channel *ch = arg;

	(void)ctx;
	wake_writer(ch);
	wake_reader(ch);
}

void
ecg_channel_init(struct ecg_channel *ch, struct ecg_context *ctx, size_t capacity,
    ecg_channel_cb on_space, ecg_channel_cb on_data, void *arg)
{
	ecg_ring_init(&ch->ring, capacity);
	ch->ctx = ctx;
	ch->closed = 0;
	ch->writer_parked = 0;
	ch->on_space = on_space;
	ch->on_data = on_data;
	ch->arg = arg;
	ch->cancel.linked = 0;
	ecg_context_on_cancel(ctx, &ch->cancel, cancelled, ch);
}

void
ecg_channel_destroy(struct ecg_channel *ch)
{
	ecg_context_forget(ch->ctx, &ch->cancel);
	ecg_ring_destroy(&ch->ring);
}

int
ecg_channel_reserve(struct ecg_channel *ch, struct iovec iov[2])
{
	int n;

	if (ecg_context_done(ch->ctx))
		return -ECANCELED;
	if (ecg_ring_alloc(&ch->ring) < 0)
		return -ENOMEM;
	n = ecg_ring_free(&ch->ring, iov);
	if (n == 0)
		ch->writer_parked = 1;
	return n;
}

void
ecg_channel_commit(struct ecg_channel *ch, size_t n)
{
	if (n == 0)
		return;
	ecg_ring_commit(&ch->ring, n);
	wake_reader(ch);
}

long
ecg_channel_write(struct ecg_channel *ch, const void *buf, size_t len)
{
	struct iovec iov[2];
	size_t done;
	int n = ecg_channel_reserve(ch, iov);

	if (n <= 0)
		return n;
	done = ecg_ring_put(&ch->ring, buf, len);
	if (done < len && ecg_ring_space(&ch->ring) == 0)
		ch->writer_parked = 1;
	if (done > 0)
		wake_reader(ch);
	return (long)done;
}

void
ecg_channel_close(struct ecg_channel *ch)
{
	if (ch->closed)
		return;
	ch->closed = 1;
	ch->writer_parked = 0;
	ecg_ring_release(&ch->ring);
	wake_reader(ch);
}

int
ecg_channel_has_storage(const struct ecg_channel *ch)
{
	return ch->ring.buf != NULL;
}

size_t
ecg_channel_len(const struct ecg_channel *ch)
{
	return ch->ring.buf == NULL ? 0 : ecg_ring_len(&ch->ring);
}

size_t
ecg_channel_capacity(const struct ecg_channel *ch)
{
	return ecg_ring_capacity(&ch->ring);
}

int
ecg_channel_data(const struct ecg_channel *ch, struct iovec iov[2])
{
	return ecg_ring_data(&ch->ring, iov);
}

size_t
ecg_channel_find(const struct ecg_channel *ch, size_t from, int c)
{
	return ecg_ring_find(&ch->ring, from, c);
}

int
ecg_channel_slice(const struct ecg_channel *ch, size_t off, size_t len, struct iovec iov[2])
{
	return ecg_ring_slice(&ch->ring, off, len, iov);
}

void
ecg_channel_consume(struct ecg_channel *ch, size_t n)
{
	if (n == 0)
		return;
	ecg_ring_consume(&ch->ring, n);
	/* A drained channel whose producer is gone needs no storage. */
	if (ch->closed)
		ecg_ring_release(&ch->ring);
	wake_writer(ch);
}

long
ecg_channel_read(struct ecg_channel *ch, void *buf, size_t len)
{
	size_t n;

	if (ecg_channel_len(ch) == 0) {
		if (ch->closed)
			return 0;
		return ecg_context_done(ch->ctx) ? -ECANCELED : -EAGAIN;
	}
	n = ecg_ring_get(&ch->ring, buf, len);
	if (ch->closed)
		ecg_ring_release(&ch->ring);
	wake_writer(ch);
	return (long)n;
}

int
ecg_channel_eof(const struct ecg_channel *ch)
{
	return ch->closed && ecg_channel_len(ch) == 0;
}

int
ecg_channel_closed(const struct ecg_channel *ch)
{
	return ch->closed;
}

int
ecg_channel_shut(const struct ecg_channel *ch)
{
	return ch->closed || ecg_context_done(ch->ctx);
}

int
ecg_channel_writer_parked(const struct ecg_channel *ch)
{
	return ch->writer_parked;
}
