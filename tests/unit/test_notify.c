#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/notify.h"
#include "tap.h"

/* What the last callback saw. */
static size_t calls;
static int last_ready;
static char last_status[256];
static int last_had_status;
static pid_t last_pid;
static int timed_out;
static int close_in_cb;

static void
on_notify(struct ecg_notify *n, int ready, const char *status, pid_t pid, void *arg)
{
	(void)n;
	(void)arg;
	calls++;
	last_ready = ready;
	last_had_status = status != NULL;
	snprintf(last_status, sizeof(last_status), "%s", status != NULL ? status : "");
	last_pid = pid;
	if (close_in_cb)
		ecg_notify_close(n);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	timed_out = 1;
	ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop until *counter reaches want, or fails after a few seconds. */
static int
wait_count(struct ev_loop *loop, const size_t *counter, size_t want)
{
	ev_timer bound;

	timed_out = 0;
	ev_now_update(loop);
	ev_timer_init(&bound, on_timeout, 5.0, 0.0);
	ev_timer_start(loop, &bound);
	while (*counter < want && !timed_out)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &bound);
	return !timed_out;
}

/*
 * Ends a forked child.  It holds copies of the loop's and the socket's
 * descriptors: letting go of them keeps valgrind --track-fds quiet.
 */
static void __attribute__((noreturn))
child_exit(int success)
{
	close_range(3, ~0U, 0);
	_exit(success ? 0 : 1);
}

/* A child, leader of a session of its own, that sends msg times times and exits: its pid. */
static pid_t
spawn_sender(const char *path, const char *msg, int times)
{
	pid_t pid = fork();
	int rc = 0;

	if (pid == 0) {
		setsid();
		while (times-- > 0 && rc == 0)
			rc = ecg_notify_send(path, msg);
		child_exit(rc == 0);
	}
	return pid;
}

static int
reaped_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * A child that leads a new session (or, without new_session, only a new
 * process group) and a grandchild of it that sends msg, then stays alive
 * until *gate, the write end of a pipe, is closed: a sender is looked up
 * when heard, so it must not be gone by then.  In a new session the
 * grandchild takes a process group of its own, so that only the session
 * ties it to the owner.  Without gate the grandchild exits at once.  The
 * child's pid, or -1.
 */
static pid_t
spawn_family(const char *path, const char *msg, int new_session, int *gate)
{
	int fds[2], rc;
	pid_t child, grandchild;
	char c;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	child = fork();
	if (child == 0) {
		close(fds[1]);
		if (new_session)
			setsid();
		else
			setpgid(0, 0);
		grandchild = fork();
		if (grandchild == 0) {
			if (new_session)
				setpgid(0, 0);
			rc = ecg_notify_send(path, msg);
			while (read(fds[0], &c, 1) < 0 && errno == EINTR)
				;
			child_exit(rc == 0);
		}
		child_exit(grandchild > 0 && reaped_ok(grandchild));
	}
	close(fds[0]);
	if (gate != NULL)
		*gate = fds[1];
	else
		close(fds[1]);
	return child;
}

static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int count = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			count++;
	closedir(dir);
	return count;
}

/* Sends msg to path with a descriptor of /dev/null attached. */
static int
send_with_fd(const char *path, const char *msg)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	struct msghdr m = { .msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov,
		.msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof(control.bytes) };
	struct cmsghdr *c;
	int fd, sock, rc;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sock < 0)
		return -1;
	memset(control.bytes, 0, sizeof(control.bytes));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	rc = sendmsg(sock, &m, 0) < 0 ? -1 : 0;
	close(sock);
	close(fd);
	return rc;
}

int
main(void)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct ecg_notify_dir dir;
	struct ecg_notify n;
	struct stat st;
	char path[PATH_MAX + 16], base[64], name[200], big[5000], abstract[64];
	int fds_before, fds_after, gate, rc, sock;
	pid_t child;
	size_t ignored;

	/* The directory: under XDG_RUNTIME_DIR when it is usable... */
	snprintf(base, sizeof(base), "/tmp/ecg-run-test.XXXXXX");
	ok(mkdtemp(base) != NULL && setenv("XDG_RUNTIME_DIR", base, 1) == 0, "a runtime dir %s", base);
	ok(ecg_notify_dir_make(&dir) == 0 && strncmp(dir.path, base, strlen(base)) == 0 &&
	    strncmp(dir.path + strlen(base), "/ecg-run.", 9) == 0, "is used (%s)", dir.path);
	ecg_notify_dir_remove(&dir);
	ok(rmdir(base) == 0, "and left empty");

	/* ...and an unusable one falls back to TMPDIR or /tmp. */
	setenv("XDG_RUNTIME_DIR", "/nonexistent/ecg-run-test", 1);
	ok(ecg_notify_dir_make(&dir) == 0 && dir.made, "the directory is made (%s)", dir.path);
	ok(strncmp(dir.path, "/nonexistent", 12) != 0 && strstr(dir.path, "/ecg-run.") != NULL,
	    "an unusable XDG_RUNTIME_DIR is passed over");
	ok(stat(dir.path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0711,
	    "it is a directory of mode 0711: a task that switched user reaches its socket");

	/* Opening. */
	ecg_notify_init(&n, loop, on_notify, NULL);
	ecg_notify_close(&n);
	ok(n.fd == -1, "closing an object only init'ed is harmless");
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ok(ecg_notify_open(&n, &dir, name) == -ENAMETOOLONG && n.fd == -1,
	    "a socket path too long for sun_path: ENAMETOOLONG");
	ok(ecg_notify_open(&n, &dir, "1.sock") == 0 && n.fd >= 0, "open binds the socket");
	ok(stat(n.path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0666,
	    "any user may send to it: the sender is checked instead");
	snprintf(path, sizeof(path), "%s/1.sock", dir.path);
	ok(strcmp(n.path, path) == 0 && stat(n.path, &st) == 0 && S_ISSOCK(st.st_mode),
	    "the socket sits at DIR/NAME");
	ok((fcntl(n.fd, F_GETFD) & FD_CLOEXEC) && (fcntl(n.fd, F_GETFL) & O_NONBLOCK),
	    "it is close-on-exec and non-blocking");
	ok(ecg_notify_open(&n, &dir, "2.sock") == -EBUSY, "an open object is not opened twice");

	/* The task's main process, a session leader, says it is ready. */
	child = spawn_sender(n.path, "STATUS=starting\nREADY=1\n", 1);
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &calls, 1), "the callback runs");
	ok(last_ready == 1 && last_had_status && strcmp(last_status, "starting") == 0 &&
	    last_pid == child, "READY=1 and STATUS=starting from the main process (%s)", last_status);
	ok(reaped_ok(child), "the sender succeeded");
	ok(n.ignored == 0, "nothing was refused");

	/* Someone outside the task's session is refused; the task is still heard. */
	ok(ecg_notify_send(n.path, "READY=1") == 0, "a stranger can send");
	child = spawn_sender(n.path, "STATUS=after the stranger\nREADY=1", 1);
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &calls, 2), "the next good datagram is delivered");
	ok(n.ignored == 1 && last_ready == 1 && strcmp(last_status, "after the stranger") == 0 &&
	    last_pid == child, "the stranger's datagram was ignored and counted (%zu)", n.ignored);
	reaped_ok(child);

	/* A grandchild in the owner's session, in a process group of its own. */
	child = spawn_family(n.path, "READY=1\nSTATUS=from below\n", 1, &gate);
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &calls, 3), "the grandchild's datagram is delivered");
	ok(last_ready == 1 && strcmp(last_status, "from below") == 0 && last_pid != child &&
	    last_pid > 0, "from a process of the owner's session (%d)", (int)last_pid);
	close(gate);
	ok(reaped_ok(child), "the grandchild succeeded");

	/* A grandchild in the owner's process group, which is not a session. */
	child = spawn_family(n.path, "READY=1\nSTATUS=same group\n", 0, &gate);
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &calls, 4) && strcmp(last_status, "same group") == 0 &&
	    last_pid != child, "a process of the owner's process group is heard too");
	close(gate);
	ok(reaped_ok(child), "that grandchild succeeded");

	/* A sender gone before it is heard cannot be placed: refused. */
	ignored = n.ignored;
	child = spawn_family(n.path, "READY=1\nSTATUS=too late\n", 1, NULL);
	ok(reaped_ok(child), "a grandchild sent and is gone");
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &n.ignored, ignored + 1) && calls == 4,
	    "its datagram is ignored and counted");

	/* Status alone, among keys of no interest to us. */
	child = spawn_sender(n.path, "WATCHDOG=1\nSTATUS=loading data\nMAINPID=1\nERRNO=2", 1);
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &calls, 5), "a status message is delivered");
	ok(last_ready == ECG_NOTIFY_WATCHDOG && strcmp(last_status, "loading data") == 0,
	    "without READY=1: not ready, the watchdog's ping and the status");
	reaped_ok(child);

	/* Too long, hence truncated: refused. */
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "READY=1\nSTATUS=", 15);
	big[sizeof(big) - 1] = '\0';
	ignored = n.ignored;
	child = spawn_sender(n.path, big, 1);
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &n.ignored, ignored + 1) && calls == 5,
	    "a datagram over 4096 bytes is ignored and counted");
	reaped_ok(child);

	/* A descriptor passed along is closed at once. */
	fds_before = count_fds();
	child = fork();
	if (child == 0) {
		setsid();
		child_exit(send_with_fd(n.path, "STATUS=with a descriptor\n") == 0);
	}
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &calls, 6) && strcmp(last_status, "with a descriptor") == 0,
	    "a datagram carrying a descriptor is delivered");
	ok(reaped_ok(child), "the sender succeeded");
	fds_after = count_fds();
	ok(fds_before > 0 && fds_after == fds_before, "the descriptor did not leak (%d, then %d)",
	    fds_before, fds_after);

	/* The callback closes n: the datagram queued behind is not read. */
	snprintf(path, sizeof(path), "%s", n.path);
	close_in_cb = 1;
	child = spawn_sender(n.path, "STATUS=twice", 2);
	ok(reaped_ok(child), "two datagrams are queued");
	ecg_notify_watch(&n, child);
	ok(wait_count(loop, &calls, 7) && n.fd == -1, "the callback closed n");
	ev_run(loop, EVRUN_NOWAIT);
	ok(calls == 7 && stat(path, &st) < 0 && errno == ENOENT,
	    "nothing more was read, and the socket is unlinked");
	close_in_cb = 0;

	/* Closing. */
	ok(ecg_notify_open(&n, &dir, "2.sock") == 0, "n opens again");
	snprintf(path, sizeof(path), "%s", n.path);
	ecg_notify_close(&n);
	ok(n.fd == -1 && stat(path, &st) < 0 && errno == ENOENT, "close unlinks the socket");
	ecg_notify_close(&n);
	ok(n.fd == -1 && n.path[0] == '\0', "closing twice is harmless");
	ecg_notify_dir_remove(&dir);
	ok(!dir.made && stat(dir.path, &st) < 0 && errno == ENOENT, "the directory is removed");
	ecg_notify_dir_remove(&dir);
	ok(!dir.made, "removing twice is harmless");

	/* Sending upward. */
	ok(ecg_notify_send(NULL, "READY=1") == 0, "no NOTIFY_SOCKET: nothing sent, 0");
	ok(ecg_notify_send("", "READY=1") == 0, "an empty NOTIFY_SOCKET: nothing sent, 0");
	ok(ecg_notify_send("relative/path", "READY=1") == -EINVAL, "a relative path: EINVAL");
	memset(name, 'a', sizeof(name) - 1);
	name[0] = '/';
	ok(ecg_notify_send(name, "READY=1") == -ENAMETOOLONG, "a path too long: ENAMETOOLONG");
	name[0] = '@';
	ok(ecg_notify_send(name, "READY=1") == -ENAMETOOLONG, "an abstract name too long: ENAMETOOLONG");
	ok(ecg_notify_send("/nonexistent/ecg-run-test.sock", "READY=1") == -ENOENT,
	    "a missing socket: ENOENT");

	snprintf(abstract, sizeof(abstract), "@ecg-run-test-%d", (int)getpid());
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_un addr = { .sun_family = AF_UNIX };
		size_t len = strlen(abstract);
		char got[64];
		ssize_t r;

		memcpy(addr.sun_path + 1, abstract + 1, len - 1);
		rc = bind(sock, (struct sockaddr *)&addr,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
		ok(sock >= 0 && rc == 0, "the test binds %s", abstract);
		ok(ecg_notify_send(abstract, "STOPPING=1") == 0, "sending to an abstract socket works");
		r = recv(sock, got, sizeof(got), MSG_DONTWAIT);
		ok(r == 10 && memcmp(got, "STOPPING=1", 10) == 0, "and the message arrives whole");
		close(sock);
	}

	ev_loop_destroy(loop);
	return tap_done();
}
