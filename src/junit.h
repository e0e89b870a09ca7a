/*
 * junit: the run as a JUnit XML report, for CI systems (--junit).
 *
 * One testcase per task (classname: the group's name; time: its runtime).
 * A task whose own end was a failure (a non-zero exit, a signal ecg-run
 * did not send to stop it, a start failure, a readiness failure, a
 * timeout) has a <failure> with its result and the last lines it wrote to
 * stderr; a task stopped because the group stopped passes; a task that
 * never started is <skipped>.  When the cause of the cancellation is not
 * a task (a deadline, a signal, a closed output), one more testcase named
 * "group" fails with it.  The usual testsuites/testsuite/testcase shape.
 */
#ifndef ECG_JUNIT_H
#define ECG_JUNIT_H

#include <stddef.h>

#include "summary.h"

#define ECG_JUNIT_TAIL_LINES 50

/* The last bytes task i wrote to stderr: their length, and where they are. */
typedef size_t (*ecg_junit_tail_fn)(size_t i, const char **bytes, void *arg);

/*
 * Writes the report to fd (a file opened for it).  status: ecg-run's exit
 * status; duration_ms: the run's.  0 or -errno.
 */
int ecg_junit_write(int fd, const struct ecg_summary *s, int status, long duration_ms,
    ecg_junit_tail_fn tail, void *arg);

#endif
