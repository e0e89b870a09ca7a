/*
 * clock: the one clock for "how long since": ecg-run's start, a task's
 * spawn, its readiness, its end.
 *
 * Monotonic (setting the system time moves nothing), read when asked
 * (never the loop's cached time: a large group spends seconds in one loop
 * round starting its tasks, and each must be timed from its own spawn).
 * Every rendering of a run (messages, --events, --summary, --junit)
 * measures with it from one origin, set once when ecg-run starts.
 */
#ifndef ECG_CLOCK_H
#define ECG_CLOCK_H

/* Sets the origin to now (the first call only). */
void ecg_clock_start(void);
/* Monotonic seconds (any epoch). */
double ecg_clock_now(void);
/* Milliseconds from the origin to t (a value of ecg_clock_now), rounded. */
long ecg_clock_ms_at(double t);
/* Milliseconds from the origin to now. */
long ecg_clock_ms(void);
/* Milliseconds from a to b (values of ecg_clock_now), rounded. */
long ecg_clock_ms_between(double a, double b);

#endif
