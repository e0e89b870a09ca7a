#include <string.h>

#include "seed/ring.h"
#include "tap.h"

int
main(void)
{
	struct ecg_ring r;
	struct iovec iov[2];
	char buf[64];
	size_t n;

	ecg_ring_init(&r, 8);
	ok(r.buf == NULL, "init allocates nothing");
	ok(ecg_ring_capacity(&r) == 8, "capacity is what was asked");
	ok(ecg_ring_len(&r) == 0 && ecg_ring_data(&r, iov) == 0, "starts empty");
	ok(ecg_ring_put(&r, "abcdefghij", 10) == 8, "put stops at capacity");
	ok(ecg_ring_space(&r) == 0 && ecg_ring_len(&r) == 8, "full: no space, len 8");
	ok(ecg_ring_put(&r, "x", 1) == 0, "put into a full ring takes nothing");
	ok(ecg_ring_get(&r, buf, 3) == 3 && memcmp(buf, "abc", 3) == 0, "get returns oldest first");
	ok(ecg_ring_put(&r, "XYZ", 3) == 3, "space freed by get is reused");
	ok(ecg_ring_data(&r, iov) == 2, "data wraps into two iovecs");
	ok(iov[0].iov_len + iov[1].iov_len == 8, "the two iovecs hold all of it");
	ok(ecg_ring_find(&r, 0, 'Y') == 6, "find sees across the wrap");
	ok(ecg_ring_find(&r, 0, 'q') == 8, "find answers len when absent");
	ok(ecg_ring_find(&r, 7, 'Y') == 8, "find starts at from");
	ecg_ring_peek(&r, 4, buf, 4);
	ok(memcmp(buf, "hXYZ", 4) == 0, "peek copies across the wrap");
	ok(ecg_ring_slice(&r, 3, 4, iov) == 2 && iov[0].iov_len + iov[1].iov_len == 4,
	    "slice across the wrap is two iovecs");
	n = ecg_ring_get(&r, buf, sizeof(buf));
	ok(n == 8 && memcmp(buf, "defghXYZ", 8) == 0, "everything comes back in order");
	ok(ecg_ring_free(&r, iov) >= 1 && ecg_ring_space(&r) == 8, "empty again: all space free");
	ecg_ring_release(&r);
	ok(r.buf == NULL, "release frees an empty ring");
	ok(ecg_ring_put(&r, "again", 5) == 5 && r.buf != NULL, "put allocates again on demand");
	ecg_ring_release(&r);
	ok(r.buf != NULL, "release keeps a ring that holds data");
	ecg_ring_destroy(&r);

	/* Many wraps: the byte order survives. */
	{
		size_t in = 0, out = 0, i;
		int good = 1;
		char c;
		ecg_ring_init(&r, 7);
		for (i = 0; i < 1000; i++) {
			char chunk[5];
			size_t k, j;
			for (j = 0; j < 5; j++)
				chunk[j] = (char)((in + j) % 251);
			k = ecg_ring_put(&r, chunk, (i % 5) + 1);
			in += k;
			while (ecg_ring_len(&r) > 3) {
				ecg_ring_get(&r, &c, 1);
				if (c != (char)(out % 251))
					good = 0;
				out++;
			}
		}
		ok(good && in > 1000, "order kept over %zu bytes and many wraps", in);
		ecg_ring_destroy(&r);
	}
	return tap_done();
}
