/*
 * sentinel: what stops the tasks when ecg-run itself is killed.
 *
 * SIGKILL (or a crash) gives ecg-run no chance to stop its group.  Each
 * task's main process dies with it (PR_SET_PDEATHSIG, see spawn.h), but
 * not the rest of its process group, nor processes that left it.  So at
 * start ecg-run forks a small sentinel process: a session of its own
 * (neither Ctrl-C nor a signal to ecg-run's process group reaches it),
 * with nothing open but /dev/null and the read end of a pipe from
 * ecg-run.  ecg-run tells it each task's process group as it starts and
 * ends.  When the pipe reaches end of file without ecg-run having said
 * goodbye, ecg-run is gone: the sentinel sends SIGKILL to every process
 * group it was told of, and to every process whose environment holds this
 * run's ECG_RUN_ID (escapees, which keep their environment), until none is
 * left; then it exits.  After a normal end it exits at once.
 */
#ifndef ECG_SENTINEL_H
#define ECG_SENTINEL_H

#include <sys/types.h>

struct ecg_sentinel {
	pid_t pid;		/* the sentinel process, -1 if there is none */
	int fd;			/* our end of its pipe, -1 once closed */
};

void ecg_sentinel_init(struct ecg_sentinel *s);
/*
 * Starts the sentinel for the run whose tasks carry ECG_RUN_ID=id.
 * 0, or -errno (there is then no sentinel: the run goes on without).
 */
int ecg_sentinel_start(struct ecg_sentinel *s, const char *id);
/* A task's process group was made (alive) or is gone (!alive). */
void ecg_sentinel_group(struct ecg_sentinel *s, pid_t pgid, int alive);
/* The run is over: the sentinel exits without touching anything. */
void ecg_sentinel_release(struct ecg_sentinel *s);

#endif
