/*
 * config: the group specification, loaded from an INI file.
 *
 * The loader validates everything it can before anything runs: unknown or
 * misplaced keys, repeated keys and sections, bad values, names.  The
 * first problem is reported as "FILE:LINE: message" in the caller's buffer.
 * Settings given in [group] are defaults for every task; they are applied
 * after the whole file is read, so [group] may come anywhere.
 */
#ifndef ECG_CONFIG_H
#define ECG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/buf.h"

#define ECG_CONFIG_NAME_MAX 64
#define ECG_CONFIG_REPLICAS_MAX 1000	/* replicas = N, at most */
#define ECG_CONFIG_VALUE_MAX 131071	/* execve's limit for one string */
#define ECG_CONFIG_FILE_MAX 16777216	/* 16 MiB */
#define ECG_CONFIG_KEYS 64		/* room for this many keys (config.c checks) */
#define ECG_CONFIG_COUNT_MAX 1000000	/* max_restarts, max_parallel */
#define ECG_CONFIG_READY_TIMEOUT_MS 60000	/* ready_timeout's default for polled checks */
#define ECG_CONFIG_FD_MAX 1023		/* the highest descriptor ready = fd may name */

enum ecg_cancel_on {
	ECG_CANCEL_ON_FAILURE,	/* a failure cancels the group */
	ECG_CANCEL_ON_EXIT,	/* any end cancels the group */
	ECG_CANCEL_ON_NEVER,	/* its end never cancels the group */
};

enum ecg_restart {
	ECG_RESTART_NO,
	ECG_RESTART_ON_FAILURE,	/* a failure, a readiness failure, a timeout */
	ECG_RESTART_ALWAYS,	/* any end */
};

/* The signals a task may be forwarded (forward = ...), as bits. */
#define ECG_FORWARD_HUP 1u
#define ECG_FORWARD_USR1 2u
#define ECG_FORWARD_USR2 4u
#define ECG_FORWARD_WINCH 8u
/*
 * None: a signal no task takes keeps its meaning for ecg-run itself (a
 * HUP stops the group; see signals.h).  Forwarding HUP to every task
 * killed each one that does not handle it.
 */
#define ECG_FORWARD_DEFAULT 0u

/* When a task counts as ready (ready = CHECK). */
enum ecg_ready_kind {
	ECG_READY_STARTED,	/* its program was executed */
	ECG_READY_EXITED,	/* it exited with status 0 */
	ECG_READY_LINE,		/* a line of its output matches an ERE */
	ECG_READY_TCP,		/* a TCP connection succeeds */
	ECG_READY_HTTP,		/* an http:// GET answers 200 to 399 */
	ECG_READY_COMMAND,	/* a probe command exits 0 */
	ECG_READY_FD,		/* it writes a newline to descriptor N (s6) */
	ECG_READY_NOTIFY,	/* it sends READY=1 to its NOTIFY_SOCKET (systemd) */
};

struct ecg_ere;
struct ecg_netprobe_target;

/* The resource limits a task may be given (limit_nofile, ...), in the keys' order. */
enum ecg_limit {
	ECG_LIMIT_NOFILE, ECG_LIMIT_CORE, ECG_LIMIT_NPROC, ECG_LIMIT_MEMLOCK, ECG_LIMIT_STACK,
	ECG_LIMIT_AS, ECG_LIMITS
};
#define ECG_LIMIT_INFINITY (~0ULL)

/* Who a task runs as (user =, group =), resolved at load. */
struct ecg_identity {
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary, its own gid among them */
	size_t ngroups;
	char *name, *home, *shell;	/* for USER, LOGNAME, HOME, SHELL ("" name: none) */
};

struct ecg_limit_spec {
	int set;			/* given (else the task keeps ecg-run's) */
	unsigned long long soft, hard;	/* ECG_LIMIT_INFINITY: no limit */
};

struct ecg_ready_spec {
	enum ecg_ready_kind kind;
	char *check;		/* as written, e.g. "tcp 127.0.0.1:6379"; NULL: "started" */
	const char *arg;	/* in check: what follows the kind's word */
	int fd;			/* fd N */
	struct ecg_ere *re;	/* line ERE, compiled */
	struct ecg_netprobe_target *net;	/* tcp, http */
	long watchdog_ms;	/* health = watchdog D (kind NOTIFY: WATCHDOG=1 on its socket) */
};

/* Where a key was given. */
struct ecg_key_line {
	unsigned line;
	unsigned key;
};

/* One task's settings, or the [group] defaults. */
struct ecg_task_spec {
	char *name;
	unsigned line;		/* line of its section header */
	uint64_t set;		/* keys given in its own section (bit per key) */
	/*
	 * The line of each key given, for messages (ecg_config_key_line):
	 * only the keys given, a few of ECG_CONFIG_KEYS, so that a task of
	 * one key costs 8 bytes here and not a line for every key.
	 */
	struct ecg_key_line *key_lines;
	unsigned nkey_lines;
	char *command;
	char *stop_command;	/* run instead of sending stop_signal, or NULL */
	char *cwd;		/* as written */
	char *cwd_path;		/* resolved against the file's directory */
	char **env;		/* "NAME=VALUE", in order; a later NAME wins */
	size_t nenv;
	char **fenv;		/* while loading: what its env_files gave (merged into env) */
	size_t nfenv;
	char **env_files;	/* its own env_files, resolved ("-" in front: may be missing) */
	size_t nenv_files;
	int stop_signal;
	long stop_timeout_ms;
	enum ecg_cancel_on cancel_on;
	struct ecg_ready_spec ready;
	long ready_timeout_ms;	/* 0: no limit */
	struct ecg_ready_spec health;	/* after ready: check NULL for none; tcp, http, command, watchdog */
	long health_interval_ms;
	long health_timeout_ms;	/* a check that takes longer fails */
	long health_retries;	/* failures in a row that make it unhealthy */
	char **after_names;	/* as written */
	size_t nafter_names;
	size_t *after;		/* indices of the tasks it starts after, no repeats */
	size_t nafter;
	int sidecar;		/* serves the others: stopped when they have ended */
	int tty;		/* its stdout and stderr are a pseudo-terminal of its own */
	enum ecg_restart restart;
	long max_restarts;	/* in a row, before its end counts */
	long restart_delay_ms;	/* the first; doubled after each restart */
	long restart_delay_max_ms;
	long restart_reset_ms;	/* a run ready this long gets its restart budget back */
	uint64_t success_exit[4];	/* exit statuses that count as a success (0 always does) */
	uint64_t success_signal;	/* signals (bit sig - 1) whose kill counts as a success */
	int umask;		/* the task's file mode creation mask, or -1: ecg-run's */
	long replicas;		/* replicas = N as given (its copies are tasks of their own) */
	int replica;		/* which copy this task is (1 to N), 0: none */
	char *replica_of;	/* the name the copies share ("web" for web.1), or NULL */
	char *user;		/* user = NAME|UID as written, or NULL */
	char *group;		/* group = NAME|GID as written, or NULL */
	struct ecg_identity *identity;	/* resolved from them, or NULL: ecg-run's own */
	struct ecg_limit_spec *limit;	/* ECG_LIMITS of them; NULL: no limit_* given */
	long timeout_ms;	/* each run's; 0: none */
	unsigned forward;	/* ECG_FORWARD_ bits */
	char *log;		/* its log file as written (%n: its name), or NULL */
	char *log_path;		/* resolved for this task, or NULL: none */
	size_t log_max_size;	/* a new file past this many bytes; 0: no limit */
	long log_keep;		/* old files kept at rotation */
};

struct ecg_group_spec {
	char *file;		/* as named in messages ("<stdin>" for -) */
	char *dir;		/* where relative cwds start */
	char *name;
	char *shell;
	char *control;		/* control = PATH (resolved) or "none"; NULL: the default place */
	size_t buffer;		/* channel capacity per stream per task */
	int stop_signal;	/* the group's default, for processes of no known task */
	long stop_timeout_ms;
	long max_parallel;	/* tasks running at once; 0: no limit */
	long deadline_ms;	/* for the whole group; 0: none */
	struct ecg_task_spec defaults;	/* the [group] section */
	struct ecg_task_spec *tasks;
	size_t ntasks;
};

/*
 * Once a group is told to stop, how long stopping may take at most (ms):
 * the longest chain of stop_timeouts of tasks after one another, then the
 * sidecars' (see ecg-run(1)).  The _in form takes the reverse graph and,
 * with live, counts only the tasks marked (-1 if out of memory).
 */
long ecg_config_stop_bound(const struct ecg_group_spec *g);
long ecg_config_stop_bound_in(size_t n, size_t *const *dependents, const size_t *ndependents,
    const struct ecg_task_spec *tasks, const char *live);
/* What ecg-run allows past that bound before it gives up on what is stuck. */
#define ECG_CONFIG_STOP_GRACE_MS 2000

/* Loads path ("-" for stdin).  0, or -1 with the message appended to err. */
int ecg_config_load(struct ecg_group_spec *g, const char *path, struct ecg_buf *err);
/*
 * The same for INI text made by ecg-run itself (the ad-hoc commands of
 * the command line, a Procfile): file names it in messages, name is the
 * group's, relative paths are from ecg-run's directory.
 */
int ecg_config_load_text(struct ecg_group_spec *g, const char *file, const char *name,
    const char *text, size_t len, struct ecg_buf *err);
void ecg_config_free(struct ecg_group_spec *g);

/*
 * Keeps only the named tasks and the tasks they are after, transitively,
 * in the file's order.  -1 with err if a name is unknown or only sidecars
 * would be left.
 */
int ecg_config_select(struct ecg_group_spec *g, char *const *names, size_t n,
    struct ecg_buf *err);

/*
 * Writes the resolved group as INI that loads back to the same group,
 * its tasks in the order they start.
 */
void ecg_config_print(const struct ecg_group_spec *g, FILE *out);

/*
 * What --check cannot refuse but the run will fail on (127) unless it
 * changes first: a cwd or a log directory that is not there, a plain
 * command whose program is not in the task's PATH.  One line each,
 * "FILE:LINE: warning: ...", appended to out.
 */
void ecg_config_warnings(const struct ecg_group_spec *g, struct ecg_buf *out);

const char *ecg_config_cancel_on_name(enum ecg_cancel_on c);
const char *ecg_config_restart_name(enum ecg_restart r);
/* "HUP USR1 USR2", or "none", into buf. */
void ecg_config_forward_text(unsigned forward, char *buf, size_t len);
/*
 * Whether an end counts as a success for the task: an exit with status n
 * (killed 0), or a death by signal n (killed 1).  0 always does; the
 * others, as success_status says.
 */
int ecg_config_success(const struct ecg_task_spec *t, int killed, int n);
struct ecg_spawn;
/* A spawn as the task's user and groups (nothing for NULL: ecg-run's own). */
void ecg_config_spawn_as(const struct ecg_identity *id, struct ecg_spawn *sp);
/* limit_nofile and the others: the key's name, and the RLIMIT_ resource. */
const char *ecg_config_limit_name(enum ecg_limit l);
int ecg_config_limit_resource(enum ecg_limit l);
/* key = v as a file holds it (on continuation lines when v has newlines), into b. */
void ecg_config_value_text(struct ecg_buf *b, const char *key, const char *v);
/* success_status as --check prints it ("0 3 SIGTERM"). */
void ecg_config_success_text(const struct ecg_task_spec *t, char *buf, size_t len);
/* The ECG_FORWARD_ bit of sig, or 0. */
unsigned ecg_config_forward_bit(int sig);
/* The check's text: "started" when none was given. */
const char *ecg_config_ready_text(const struct ecg_task_spec *t);

#endif
