/*
 * proc: one child process run as its own process group, from spawn to
 * "the whole group is gone".
 *
 * A proc spawns its program (see spawn.h), is told when the main process
 * ends, and then keeps watching until no member of its process group (nor
 * any of its processes that left the group, which the owner's escaped
 * hook finds) is left.  Stopping is one policy, used by tasks and by
 * readiness probes alike:
 *
 *   stop signal ─► 0.1 s: SIGCONT if the group is still there ─► stop_timeout ─► SIGKILL
 *
 * Whatever is still in the group when the main process ends is stopped
 * the same way: a background job of a shell never outlives its task.
 */
#ifndef ECG_PROC_H
#define ECG_PROC_H

#include <ev.h>
#include <stddef.h>
#include <sys/types.h>

#include "sys/spawn.h"

struct ecg_proc;

/* What a proc tells its owner.  Any hook may be NULL. */
struct ecg_proc_hooks {
	/* The main process ended with wstatus (from waitpid). */
	void (*exited)(struct ecg_proc *p, int wstatus, void *arg);
	/* After exited: nothing of the group is left (called once). */
	void (*gone)(struct ecg_proc *p, void *arg);
	/* sig was sent to the process group (group = 1) or to n escapees. */
	void (*sent)(struct ecg_proc *p, int sig, int group, size_t n, void *arg);
	/* stop_timeout passed after the stop signal: SIGKILL follows. */
	void (*escalating)(struct ecg_proc *p, void *arg);
	/* The main process ended on its own and left processes running: stopping them now. */
	void (*left)(struct ecg_proc *p, void *arg);
	/*
	 * The proc's processes outside its process group: sends them sig
	 * (unless 0) and returns how many are alive.
	 */
	size_t (*escaped)(struct ecg_proc *p, int sig, void *arg);
};

struct ecg_proc {
	struct ev_loop *loop;
	const struct ecg_proc_hooks *hooks;
	void *arg;
	int stop_signal;
	long stop_timeout_ms;		/* 0: SIGKILL at once */
	pid_t pid;			/* also the process group id; -1 before spawn */
	int wstatus;			/* once reaped */
	unsigned reaped : 1;		/* the main process has been waited for */
	unsigned group_alive : 1;	/* the process group may still have members */
	unsigned stop_sent : 1;
	unsigned kill_sent : 1;
	unsigned cont_due : 1;		/* the kill timer sends SIGCONT first */
	unsigned finished : 1;		/* gone was called (or the proc was abandoned) */
	ev_child child;
	ev_timer kill_timer;		/* 0.1 s, SIGCONT; stop_timeout, then SIGKILL */
	ev_timer poll_timer;		/* is the process group gone yet? */
};

void ecg_proc_init(struct ecg_proc *p, struct ev_loop *loop, int stop_signal,
    long stop_timeout_ms, const struct ecg_proc_hooks *hooks, void *arg);
void ecg_proc_destroy(struct ecg_proc *p);

/*
 * Spawns sp (see ecg_spawn_start for the meaning of the result and of
 * failure).  With a child made, exited comes later from the loop, even if
 * the child could not exec.
 */
int ecg_proc_spawn(struct ecg_proc *p, const struct ecg_spawn *sp,
    struct ecg_spawn_failure *failure);
/* Sends sig to the process group and escapees, if anything may be left. */
void ecg_proc_signal(struct ecg_proc *p, int sig);
/* The stop policy, once: stop signal, SIGCONT (0.1 s later, if needed), SIGKILL after stop_timeout. */
void ecg_proc_stop(struct ecg_proc *p);
/*
 * The stop policy without the stop signal (something else asks it to
 * stop: a stop command): SIGKILL after stop_timeout all the same.
 */
void ecg_proc_stop_asked(struct ecg_proc *p);
/* SIGKILL now to whatever is left. */
void ecg_proc_kill(struct ecg_proc *p);
/* Gives up waiting: SIGKILL once, and counts everything gone (no hooks run). */
void ecg_proc_abandon(struct ecg_proc *p);
/* Whether nothing of the proc is left (looks again). */
int ecg_proc_gone(struct ecg_proc *p);
/* Whether the main process runs (spawned and not reaped). */
int ecg_proc_running(const struct ecg_proc *p);
/* Whether it runs, or its process group may still have members. */
int ecg_proc_alive(const struct ecg_proc *p);
/* Whether nothing of it is left to wait for: never spawned, or gone (gone was said). */
int ecg_proc_over(const struct ecg_proc *p);
/* Its process group id (its main process's pid), -1 before spawn. */
pid_t ecg_proc_pid(const struct ecg_proc *p);
/* Whether its main process has been reaped. */
int ecg_proc_reaped(const struct ecg_proc *p);
/* Its grace between the stop signal and SIGKILL, in ms. */
long ecg_proc_stop_timeout(const struct ecg_proc *p);

#endif
