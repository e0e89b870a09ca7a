#define _GNU_SOURCE
#include "base/clock.h"

#include <time.h>

/* The one piece of state: when ecg-run started (0: not yet set). */
static double origin;

double
ecg_clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ecg_clock_start(void)
{
	if (origin == 0.0)
		origin = ecg_clock_now();
}

long
ecg_clock_ms_between(double a, double b)
{
	double ms = (b - a) * 1000.0;

	return (long)(ms < 0 ? ms - 0.5 : ms + 0.5);
}

long
ecg_clock_ms_at(double t)
{
	ecg_clock_start();
	return ecg_clock_ms_between(origin, t);
}

long
ecg_clock_ms(void)
{
	return ecg_clock_ms_at(ecg_clock_now());
}
