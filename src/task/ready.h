/*
 * ready: one task's readiness check, from the task's start until it
 * passes or fails for good.
 *
 * started and exited need nothing of this module (the task sees its exec
 * and its exit itself).  For the others:
 *   line ERE      the task gives us each line of its output (its taskio tap);
 *   tcp, http     a netprobe attempt, again and again;
 *   command CMD   a probe process (a proc: stopped like a task when it
 *                 runs past ECG_READY_PROBE_MAX), again and again, never
 *                 two at once; its output is kept only as the last error;
 *   fd N          a pipe whose write end the task gets as descriptor N:
 *                 a newline means ready, end of file without one means
 *                 never (s6's readiness notification);
 *   notify        a NOTIFY_SOCKET of the task's own (systemd's sd_notify).
 * Polled checks (tcp, http, command) start at once and retry at an
 * interval that starts at ECG_READY_POLL_FIRST and doubles up to
 * ECG_READY_POLL_MAX.  The ready_timeout counts from the start.
 */
#ifndef ECG_READY_H
#define ECG_READY_H

#include <ev.h>
#include <sys/types.h>

#include "config/config.h"
#include "sys/netprobe.h"
#include "sys/notify.h"
#include "sys/portown.h"
#include "sys/proc.h"

#define ECG_READY_POLL_FIRST 0.025
#define ECG_READY_POLL_MAX 1.0
#define ECG_READY_PROBE_MAX 5.0		/* a probe running longer fails */
#define ECG_READY_ERROR_MAX 512		/* an error: a host name (255) and its reason fit */
#define ECG_READY_LINE_MAX 256		/* a probe's last line is cut here */

struct ecg_ready;

struct ecg_ready_hooks {
	void (*passed)(struct ecg_ready *r, void *arg);
	/* For good: the timeout passed, or the fd was closed.  error: the last probe error. */
	void (*failed)(struct ecg_ready *r, const char *error, void *arg);
	/* A STATUS= text of the notify socket. */
	void (*status)(struct ecg_ready *r, const char *text, void *arg);
	/* A datagram on the notify socket was refused: its sender, and why. */
	void (*refused)(struct ecg_ready *r, pid_t pid, const char *why, void *arg);
	/* A tcp or http check reached a server the task does not own (said once a run). */
	void (*held)(struct ecg_ready *r, const char *error, void *arg);
	/* A probe process is over, after ecg_ready_stop (see ecg_ready_idle). */
	void (*idle)(struct ecg_ready *r, void *arg);
	/* The environment for a command probe, freshly allocated (NULL: none). */
	char **(*env)(void *arg);
	/* A process of the task sent WATCHDOG=1 to its notify socket. */
	void (*watchdog)(struct ecg_ready *r, void *arg);
	/* One attempt (ecg_ready_once) is over: ok, or not with why. */
	void (*result)(struct ecg_ready *r, int ok, const char *error, void *arg);
};

/* What a command probe runs with: the task's shell and directory. */
struct ecg_ready_probe_env {
	const char *shell;		/* resolved path */
	const char *shell_name;		/* its argv[0] */
	const char *cwd;		/* NULL: ecg-run's */
	int devnull;
	const struct rlimit *nofile;
	int stop_signal;
	long stop_timeout_ms;
};

struct ecg_ready {
	struct ev_loop *loop;
	const struct ecg_task_spec *spec;
	const struct ecg_ready_hooks *hooks;
	void *arg;
	struct ecg_ready_probe_env probe_env;
	const struct ecg_ready_spec *check;	/* what it checks: the task's ready, or its health */
	int once;			/* one attempt at a time, each a result (health checks) */
	double probe_max, net_max;	/* an attempt that takes longer fails (s) */
	int active;			/* between begin and a result or stop */
	double interval;		/* the next retry's wait */
	ev_timer timeout;		/* ready_timeout */
	ev_timer retry;			/* polled checks: the next attempt */
	char error[ECG_READY_ERROR_MAX];	/* the last probe error */
	struct ecg_netprobe net;	/* tcp, http */
	struct ecg_portown own;		/* who holds their port, if it is this machine's */
	pid_t pgid;			/* the task's process group, once it runs */
	int held_said;			/* its port held by another was said this run */
	struct ecg_proc probe;		/* command */
	int probe_fd;			/* its output, -1 when closed */
	ev_io probe_io;
	ev_timer probe_timer;		/* ECG_READY_PROBE_MAX */
	char probe_line[ECG_READY_LINE_MAX];	/* the line it is writing */
	char probe_last[ECG_READY_LINE_MAX];	/* its last whole line */
	size_t probe_len;
	int probe_late;			/* it ran past ECG_READY_PROBE_MAX */
	int fd_read;			/* fd N: our end, -1 when closed */
	int fd_write;			/* the task's end until it is spawned */
	ev_io fd_io;
	struct ecg_notify notify;
};

void ecg_ready_init(struct ecg_ready *r, struct ev_loop *loop, const struct ecg_task_spec *spec,
    const struct ecg_ready_probe_env *probe_env, const struct ecg_ready_hooks *hooks,
    void *arg);
/*
 * The same for a check made one attempt at a time (health after ready):
 * check is tcp, http or command; each attempt is bounded by timeout_ms
 * and its outcome goes to the result hook.
 */
void ecg_ready_init_once(struct ecg_ready *r, struct ev_loop *loop,
    const struct ecg_task_spec *spec, const struct ecg_ready_spec *check, long timeout_ms,
    const struct ecg_ready_probe_env *probe_env, const struct ecg_ready_hooks *hooks, void *arg);
void ecg_ready_destroy(struct ecg_ready *r);
/* One attempt of a check made with ecg_ready_init_once, on process group pgid. */
void ecg_ready_once(struct ecg_ready *r, pid_t pgid);
/* Reads what waits on the notify socket now (the task has ended: it said it before). */
void ecg_ready_drain(struct ecg_ready *r);
/* Starts hearing the notify socket, if there is one (health = watchdog after ready = started). */
void ecg_ready_hear(struct ecg_ready *r, pid_t pid);

/*
 * Before the task is spawned: fd N makes its pipe (*extra_fd gets the
 * task's end, for descriptor N), notify its socket in dir (*socket gets
 * its path, for NOTIFY_SOCKET; name names it in dir).  0 or -errno.
 */
int ecg_ready_prepare(struct ecg_ready *r, const struct ecg_notify_dir *dir, const char *name,
    int *extra_fd, const char **socket);
/* The task's spawn is over: the task's ends can close. */
void ecg_ready_spawned(struct ecg_ready *r);
/* The task runs as process group pid: checking starts. */
void ecg_ready_begin(struct ecg_ready *r, pid_t pid);
/* A line of the task's output (line ERE). */
void ecg_ready_line(struct ecg_ready *r, const char *line, size_t len);
/*
 * Stops checking (the task is ready, or stopping): no more hooks but idle
 * and status.  A notify socket stays: the task may still send to it
 * (STOPPING=1), and a sender finding it gone would complain.
 */
void ecg_ready_stop(struct ecg_ready *r);
/* The task's main process is over: its notify socket goes too. */
void ecg_ready_end(struct ecg_ready *r);
/* The last probe error ("" if none yet). */
const char *ecg_ready_error(const struct ecg_ready *r);
/* Whether no probe process of ours is left. */
int ecg_ready_idle(const struct ecg_ready *r);

#endif
