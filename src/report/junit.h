/*
 * junit: the run as a JUnit XML report, for CI systems (--junit).
 *
 * One testcase per task (classname: the group's name; time: its runtime).
 * A task whose own end was a failure (a non-zero exit, a signal ecg-run
 * did not send to stop it, a start failure, a readiness failure, a
 * timeout) has a <failure> with its result, why (its message: the check
 * and its last error, the step that could not be done) and the last lines
 * it wrote to stderr.  A task that never started is <skipped>.  A task
 * still running when the group was cancelled passes when the run ended as
 * planned (ecg_summary_planned), and is <skipped>, naming the cause,
 * when the cause was a failure, a deadline, a signal or a closed output.
 * When the cause is not a task, one more testcase named "group" fails
 * with it.  The usual testsuites/testsuite/testcase shape; every
 * character XML 1.0 cannot hold becomes U+FFFD.
 *
 * The report is written to a temporary file beside PATH and renamed over
 * it, so a reader never sees half a report, and a report that could not
 * be written whole leaves nothing behind (nor through a symbolic link
 * planted at PATH: the link itself is replaced).
 */
#ifndef ECG_JUNIT_H
#define ECG_JUNIT_H

#include <stddef.h>

#include "base/buf.h"
#include "report/summary.h"

#define ECG_JUNIT_TAIL_LINES 50

/* The last bytes task i wrote to stderr: their length, and where they are. */
typedef size_t (*ecg_junit_tail_fn)(size_t i, const char **bytes, void *arg);

/*
 * Before the run: whether a report can be written at path.  0, or -errno
 * with, for a path that is there but is not a regular file (a FIFO would
 * make the writer wait for a reader), *why saying what it is.
 */
int ecg_junit_check(const char *path, const char **why);
/* The report, appended to out.  status: ecg-run's exit status; duration_ms: the run's. */
void ecg_junit_render(struct ecg_buf *out, const struct ecg_summary *s, int status,
    long duration_ms, ecg_junit_tail_fn tail, void *arg);
/* Writes it to path, whole or not at all.  0 or -errno. */
int ecg_junit_write(const char *path, const struct ecg_summary *s, int status, long duration_ms,
    ecg_junit_tail_fn tail, void *arg);

#endif
