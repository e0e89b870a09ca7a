#define _GNU_SOURCE
#include "sys/sentinel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { OP_GROUP = '+', OP_GONE = '-', OP_BYE = 'q' };

/* Whether our program is one that becomes the sentinel when executed so (main's). */
static int can_exec;

/* How much of a process's environment is read, and how often we look again. */
#define ENVIRON_MAX ((size_t)1 << 20)
#define SWEEPS 20

/*
 * Never waits: a full pipe (a sentinel that cannot keep up) loses the
 * records, and the sentinel then still finds the tasks' processes by
 * their ECG_RUN_ID.
 */
static void
flush_batch(struct ecg_sentinel *s)
{
	ssize_t n;

	if (s->fd >= 0 && s->nbatch > 0) {
		do
			n = write(s->fd, s->batch, s->nbatch * sizeof(s->batch[0]));
		while (n < 0 && errno == EINTR);
	}
	s->nbatch = 0;
}

static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct ecg_sentinel *s = w->data;

	(void)loop;
	(void)revents;
	s->flush_fed = 0;
	flush_batch(s);
}

static void
add_record(struct ecg_sentinel *s, int op, pid_t pid)
{
	if (s->fd < 0)
		return;
	if (s->nbatch == ECG_SENTINEL_BATCH)
		flush_batch(s);
	s->batch[s->nbatch].op = op;
	s->batch[s->nbatch].pid = (int32_t)pid;
	s->nbatch++;
	if (!s->flush_fed) {
		s->flush_fed = 1;
		ev_feed_event(s->loop, &s->flush, EV_CUSTOM);
	}
}

/* Whether the environment of pid holds the line marker (NUL-terminated there). */
static int
marked(pid_t pid, const char *marker, char *buf)
{
	char path[64];
	size_t got = 0, len = strlen(marker) + 1;
	ssize_t n;
	const char *p, *end;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (got < ENVIRON_MAX && (n = read(fd, buf + got, ENVIRON_MAX - got)) > 0)
		got += (size_t)n;
	close(fd);
	end = buf + got;
	for (p = buf; p < end; p += strnlen(p, (size_t)(end - p)) + 1)
		if ((size_t)(end - p) >= len && memcmp(p, marker, len) == 0)
			return 1;
	return 0;
}

/* SIGKILL to every process of ours but this one; how many there were. */
static int
kill_marked(const char *marker, char *buf)
{
	struct dirent *de;
	pid_t self = getpid(), pid;
	int count = 0;
	DIR *dir = opendir("/proc");

	if (dir == NULL)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (pid != self && marked(pid, marker, buf) && kill(pid, SIGKILL) == 0)
			count++;
	}
	closedir(dir);
	return count;
}

static void
forget(pid_t *groups, size_t *n, pid_t pgid)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (groups[i] == pgid) {
			groups[i] = groups[--*n];
			return;
		}
	}
}

/*
 * What the sentinel is, whether forked or executed again: a session of its
 * own, every signal ignored (but the ones that cannot be), nothing of
 * ecg-run's open but the pipe, as descriptor 3.
 */
static void
detach(int fd)
{
	struct sigaction sa;
	sigset_t none;
	int sig, nul;
	size_t i;

	setsid();
	prctl(PR_SET_NAME, "ecg-sentinel", 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Nothing of ecg-run's is held open: not its caller's stdout, above all. */
	nul = open("/dev/null", O_RDWR);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
	}
	/* As descriptor 3, kept across an exec (dup2 drops close-on-exec). */
	if (fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(fd, 3) < 0)
		_exit(1);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 4, ~0U, 0) < 0)
#endif
		for (i = 4; i < 4096; i++)
			close((int)i);
}

/*
 * The sentinel itself: it reads what ecg-run tells it until ecg-run says
 * goodbye (then it leaves things alone) or is gone (end of file).
 */
/* ecg-run's control socket, unless another ecg-run answers there now. */
static void
remove_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(a.sun_path) ||
	    lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		unlink(path);
	if (fd >= 0)
		close(fd);
}

static _Noreturn void
watch(int fd, const char *id, const char *control)
{
	struct timespec pause = { 0, 10000000L };	/* 10 ms */
	struct ecg_sentinel_record r;
	pid_t *groups = NULL, *more;
	size_t n = 0, cap = 0, i;
	char marker[256], *buf;
	ssize_t got;
	int round, empty;

	detach(fd);
	fd = 3;
	snprintf(marker, sizeof(marker), "ECG_RUN_ID=%s", id);
	for (;;) {
		got = read(fd, &r, sizeof(r));
		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof(r))
			break;
		if (r.op == OP_BYE) {
			free(groups);	/* not needed, but memory checkers look */
			_exit(0);
		}
		if (r.op == OP_GONE) {
			forget(groups, &n, r.pid);
		} else if (r.op == OP_GROUP && r.pid > 0) {
			if (n == cap) {
				size_t bigger = cap ? cap * 2 : 64;
				more = realloc(groups, bigger * sizeof(*groups));
				if (more == NULL)
					continue;	/* the environment scan still finds them */
				groups = more;
				cap = bigger;
			}
			groups[n++] = r.pid;
		}
	}
	/* ecg-run is gone without a word: nothing it started may stay. */
	for (i = 0; i < n; i++)
		kill(-groups[i], SIGKILL);
	/*
	 * Until two sweeps in a row find nothing: a process in the middle of
	 * an execve shows an empty environment for a moment, and a forking
	 * one may have made a child since the last sweep.
	 */
	buf = malloc(ENVIRON_MAX);
	for (round = 0, empty = 0; buf != NULL && round < SWEEPS && empty < 2; round++) {
		empty = kill_marked(marker, buf) > 0 ? 0 : empty + 1;
		nanosleep(&pause, NULL);
	}
	free(buf);
	free(groups);
	remove_socket(control);
	_exit(0);
}

void
ecg_sentinel_init(struct ecg_sentinel *s, struct ev_loop *loop)
{
	s->loop = loop;
	s->pid = -1;
	s->fd = -1;
	s->nbatch = 0;
	s->flush_fed = 0;
	ev_prepare_init(&s->flush, flush_cb);
	ev_set_priority(&s->flush, EV_MINPRI);
	s->flush.data = s;
}

void
ecg_sentinel_destroy(struct ecg_sentinel *s)
{
	ev_clear_pending(s->loop, &s->flush);
	s->flush_fed = 0;
}

int
ecg_sentinel_start(struct ecg_sentinel *s, const char *id, const char *control)
{
	sigset_t all, old;
	char self[PATH_MAX];
	ssize_t len;
	int p[2], err;
	pid_t pid;

	/* Our own program, executed again with an argv of its own. */
	len = can_exec ? readlink("/proc/self/exe", self, sizeof(self) - 1) : -1;
	self[len > 0 ? len : 0] = '\0';
	if (strstr(self, " (deleted)") != NULL)
		self[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* No handler of ecg-run's may run in the child before it has its own. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls from here to the exec. */
		char *const argv[] = { (char *)ECG_SENTINEL_ARGV0, (char *)id,
			(char *)(control != NULL ? control : ""), NULL };
		char *const envp[] = { NULL };
		close(p[1]);
		detach(p[0]);
		if (self[0] != '\0')
			execve(self, argv, envp);
		watch(3, id, control);
	}
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -err;
	}
	/* Room for many records, never a wait (both best effort). */
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0) {
		err = errno;
		close(p[1]);	/* the sentinel sees end of file with nothing to do */
		return -err;
	}
	s->pid = pid;
	s->fd = p[1];
	return 0;
}

void
ecg_sentinel_can_exec(void)
{
	can_exec = 1;
}

_Noreturn void
ecg_sentinel_main(const char *id, const char *control)
{
	watch(3, id, control);
}

void
ecg_sentinel_group(struct ecg_sentinel *s, pid_t pgid, int alive)
{
	add_record(s, alive ? OP_GROUP : OP_GONE, pgid);
}

pid_t
ecg_sentinel_pid(const struct ecg_sentinel *s)
{
	return s->pid > 0 ? s->pid : 0;
}

void
ecg_sentinel_release(struct ecg_sentinel *s)
{
	if (s->fd < 0)
		return;
	add_record(s, OP_BYE, 0);
	flush_batch(s);
	close(s->fd);
	s->fd = -1;
}

void
ecg_sentinel_event(void *arg, const struct ecg_event *ev)
{
	struct ecg_sentinel *s = arg;

	if (ev->type == ECG_EV_SPAWNED)
		ecg_sentinel_group(s, (pid_t)ev->pid, 1);
	else if ((ev->type == ECG_EV_RUN_OVER || ev->type == ECG_EV_DONE) && ev->pid > 0)
		ecg_sentinel_group(s, (pid_t)ev->pid, 0);
}
