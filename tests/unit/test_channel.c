#include <errno.h>
#include <string.h>

#include "seed/channel.h"
#include "tap.h"

static int spaced, fed;

static void
on_space(struct ecg_channel *ch, void *arg)
{
	(void)ch;
	(void)arg;
	spaced++;
}

static void
on_data(struct ecg_channel *ch, void *arg)
{
	(void)ch;
	(void)arg;
	fed++;
}

int
main(void)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct ecg_context ctx;
	struct ecg_channel ch;
	struct iovec iov[2];
	char buf[64];
	long n;

	ecg_context_init(&ctx, loop, NULL);
	ecg_channel_init(&ch, &ctx, 16, on_space, on_data, NULL);
	ok(ch.ring.buf == NULL, "an unused channel holds no memory");
	ok(ecg_channel_read(&ch, buf, sizeof(buf)) == -EAGAIN, "reading an empty open channel: EAGAIN");
	n = ecg_channel_write(&ch, "0123456789abcdefXYZ", 19);
	ok(n == 16, "a write takes only what fits (%ld)", n);
	ok(fed == 1, "the consumer is woken by data");
	ok(ecg_channel_reserve(&ch, iov) == 0 && ch.writer_parked, "a full channel parks the producer");
	ok(ecg_channel_find(&ch, 0, 'a') == 10, "find sees the data");
	ok(ecg_channel_read(&ch, buf, 4) == 4 && memcmp(buf, "0123", 4) == 0, "reads come in order");
	ok(spaced == 1 && !ch.writer_parked, "making room wakes the parked producer");
	ok(ecg_channel_reserve(&ch, iov) >= 1, "there is room again");
	ecg_channel_commit(&ch, 0);

	/* Park the producer again, then cancel: it is released at once. */
	ok(ecg_channel_write(&ch, "WXYZ", 4) == 4, "fill it up");
	ok(ecg_channel_reserve(&ch, iov) == 0, "parked again");
	spaced = 0;
	ecg_context_cancel(&ctx, 1);
	ok(spaced == 0, "release happens on the loop, not inside cancel");
	ev_run(loop, EVRUN_NOWAIT);
	ok(spaced == 1, "cancel releases the parked producer");
	ok(ecg_channel_reserve(&ch, iov) == -ECANCELED, "a cancelled channel refuses new bytes");
	ok(ecg_channel_write(&ch, "late", 4) == -ECANCELED, "and so does write");
	n = ecg_channel_read(&ch, buf, sizeof(buf));
	ok(n == 16 && memcmp(buf, "456789abcdefWXYZ", 16) == 0,
	    "what was accepted before the cancel is still drained");
	ok(ecg_channel_read(&ch, buf, sizeof(buf)) == -ECANCELED,
	    "an empty cancelled channel releases its reader");
	ecg_channel_close(&ch);
	ok(ecg_channel_read(&ch, buf, sizeof(buf)) == 0 && ecg_channel_eof(&ch),
	    "a closed, drained channel reads end of stream");
	ecg_channel_destroy(&ch);
	ecg_context_destroy(&ctx);

	/* Closing keeps data; draining a closed channel frees its memory. */
	ecg_context_init(&ctx, loop, NULL);
	ecg_channel_init(&ch, &ctx, 8, on_space, on_data, NULL);
	ecg_channel_write(&ch, "tail", 4);
	ecg_channel_close(&ch);
	ok(!ecg_channel_eof(&ch), "closed but not empty is not end of stream");
	ok(ecg_channel_read(&ch, buf, 2) == 2 && ecg_channel_read(&ch, buf + 2, 8) == 2 &&
	    memcmp(buf, "tail", 4) == 0, "the last bytes are read after close");
	ok(ecg_channel_eof(&ch) && ch.ring.buf == NULL, "then end of stream, memory released");
	ecg_channel_destroy(&ch);

	/* Storage comes with the first bytes and goes when closed empty. */
	ecg_channel_init(&ch, &ctx, 8, on_space, on_data, NULL);
	ok(!ecg_channel_has_storage(&ch), "a new channel holds no storage");
	ecg_channel_write(&ch, "ab", 2);
	ok(ecg_channel_has_storage(&ch), "the first bytes bring it");
	ok(ecg_channel_read(&ch, buf, 8) == 2 && ecg_channel_has_storage(&ch),
	    "an open channel keeps it when drained");
	ecg_channel_close(&ch);
	ok(!ecg_channel_has_storage(&ch) && ecg_channel_eof(&ch),
	    "closing an empty channel gives it back");
	ecg_channel_destroy(&ch);
	ecg_context_destroy(&ctx);
	ev_loop_destroy(loop);
	return tap_done();
}
