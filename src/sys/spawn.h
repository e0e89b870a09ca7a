/*
 * spawn: starting one child process the careful way.
 *
 * Everything the child needs (argv, environment, descriptors) is built
 * before vfork; between vfork and exec the child makes only
 * async-signal-safe calls on memory it shares with ecg-run, with every
 * signal blocked.  A close-on-exec pipe tells the parent whether exec
 * happened: end of file means it did, a record means it did not, and which
 * step failed.
 *
 * The child is its own session and process group, without a controlling
 * terminal (setsid), and gets back the descriptor limit
 * ecg-run was started with.  It gets SIGKILL when ecg-run dies
 * (PR_SET_PDEATHSIG), so even kill -9 of ecg-run does not leave a task's
 * main process running; the other members of its process group are not
 * reached that way.
 */
#ifndef ECG_SPAWN_H
#define ECG_SPAWN_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/* A resource limit for the child. */
struct ecg_spawn_limit {
	int resource;		/* RLIMIT_ */
	struct rlimit rl;
};

struct ecg_spawn {
	const char *path;	/* the program, an absolute or relative path */
	char *const *argv;
	char *const *envp;
	const char *cwd;	/* NULL: ecg-run's own directory */
	int stdin_fd;		/* become the child's 0, 1 and 2 */
	int stdout_fd;
	int stderr_fd;
	const struct rlimit *nofile;	/* descriptor limit to give back, or NULL */
	/*
	 * One more descriptor for the child (a readiness pipe): extra_fd
	 * becomes its extra_to, which must be 3 or more.  extra_to 0: none.
	 */
	int extra_fd;
	int extra_to;
	/*
	 * When execve answers ENOEXEC (a script without "#!"), do what a
	 * shell and execvp do: run script_shell with script_argv ("/bin/sh",
	 * the program's path, its arguments).  NULL: no second try.
	 */
	const char *script_shell;
	char *const *script_argv;
	/*
	 * Where the child writes its own pid, in decimal with a NUL after it
	 * (at least 21 bytes, within envp's strings: WATCHDOG_PID=), or NULL.
	 */
	char *pid_slot;
	/* Set in the child before exec, after nofile (which one of them may replace). */
	const struct ecg_spawn_limit *limits;
	size_t nlimits;
	int set_umask;		/* give the child umask (else it keeps ours) */
	mode_t umask;
	/* stdout is a terminal: make it the child's controlling terminal. */
	int ctty;
	/* Run as another user: uid, gid and these supplementary groups. */
	int set_ids;
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
};

/* Why a started child could not become the program. */
struct ecg_spawn_failure {
	const char *step;	/* "chdir", "exec", ... NULL if exec happened */
	int err;		/* errno of that step */
};

/*
 * Forks and execs in a new session and process group (sid = pgid = pid).  Returns 0 with *pid
 * set, failure->step NULL on success, or set when the child could not exec
 * (it then exits 127 and must still be reaped); -errno when no child could
 * be made at all (failure->step then names what failed: pipe or fork).
 */
int ecg_spawn_start(const struct ecg_spawn *sp, pid_t *pid, struct ecg_spawn_failure *failure);

/*
 * Descriptors ecg-run keeps for a task's life (its pipes, its terminal,
 * its notify socket, its log) belong at or above this number: a child's
 * first step copies only the descriptors below the ones it is given,
 * so a group of thousands of tasks does not make every start copy and
 * close thousands of descriptors.
 */
#define ECG_SPAWN_PARK_BASE 256

/*
 * Moves fd (close-on-exec) to ECG_SPAWN_PARK_BASE or above and returns
 * its new number; fd itself if it is there already, is negative, or
 * cannot be moved (a descriptor limit below the base).
 */
int ecg_spawn_park_fd(int fd);

/* Finds name in PATH as execvp would: 0 with the path in buf, or -ENOENT. */
int ecg_spawn_which(const char *name, char *buf, size_t len);
/* The same with path as PATH's value (NULL: the default search path). */
int ecg_spawn_which_in(const char *name, const char *path, char *buf, size_t len);

#endif
