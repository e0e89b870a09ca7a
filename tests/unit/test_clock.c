/* The one clock: monotonic, milliseconds from one origin. */
#define _GNU_SOURCE
#include <time.h>

#include "base/clock.h"
#include "tap.h"

int
main(void)
{
	struct timespec ten = { 0, 10 * 1000 * 1000 };
	double a, b;
	long m0, m1;

	ecg_clock_start();
	m0 = ecg_clock_ms();
	a = ecg_clock_now();
	nanosleep(&ten, NULL);
	b = ecg_clock_now();
	m1 = ecg_clock_ms();
	ok(m0 >= 0 && m0 < 1000, "the origin is now (%ld ms)", m0);
	ok(b > a && ecg_clock_ms_between(a, b) >= 10, "time goes on (%ld ms)",
	    ecg_clock_ms_between(a, b));
	ok(m1 - m0 >= 10, "milliseconds from the origin follow it");
	ok(ecg_clock_ms_between(1.0, 1.0004) == 0 && ecg_clock_ms_between(1.0, 1.0006) == 1,
	    "rounded to the nearest millisecond");
	ok(ecg_clock_ms_between(2.0, 1.0) == -1000, "backwards is negative");
	ok(ecg_clock_ms_at(b) == m1 || ecg_clock_ms_at(b) == m1 - 1, "ms_at reads the same origin");
	ecg_clock_start();
	ok(ecg_clock_ms() >= m1, "a second start does not move the origin");
	return tap_done();
}
