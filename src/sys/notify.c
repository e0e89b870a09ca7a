#define _GNU_SOURCE
#include "sys/notify.h"
#include "sys/spawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Longest datagram taken; a longer one arrives truncated and is refused. */
#define MSG_MAX 4096

/* Most datagrams read per wakeup, so that one chatty task cannot starve the loop. */
#define BATCH_MAX 64

/* The kernel's SCM_MAX_FD: the most descriptors one datagram can carry. */
#define PASSED_FDS_MAX 253

/* Room kept in a socket address after the directory for a socket's name ("/12345.sock"). */
#define NAME_ROOM 24

#define DIR_TEMPLATE "/ecg-run.XXXXXX"

_Static_assert(sizeof(((struct ecg_notify *)0)->path) ==
    sizeof(((struct sockaddr_un *)0)->sun_path), "path must match sun_path");

int
ecg_notify_dir_make(struct ecg_notify_dir *d)
{
	const char *bases[] = { getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp" };
	size_t i, len;
	int err = -ENOENT;

	d->made = 0;
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (bases[i] == NULL || bases[i][0] != '/')
			continue;
		len = strlen(bases[i]);
		while (len > 1 && bases[i][len - 1] == '/')
			len--;
		/* A base too long for the sockets' addresses would only fail later, in open. */
		if (len + sizeof(DIR_TEMPLATE) + NAME_ROOM > sizeof(((struct sockaddr_un *)0)->sun_path)) {
			err = -ENAMETOOLONG;
			continue;
		}
		snprintf(d->path, sizeof(d->path), "%.*s" DIR_TEMPLATE, (int)len, bases[i]);
		if (mkdtemp(d->path) == NULL) {
			err = -errno;
			continue;
		}
		/*
		 * Others may pass through, not look in: a task that switches to
		 * another user (postgres, redis under setpriv) still reaches
		 * its socket.  Who may speak is checked on every datagram.
		 */
		if (chmod(d->path, 0711) < 0) {
			err = -errno;
			rmdir(d->path);
			continue;
		}
		d->made = 1;
		return 0;
	}
	d->path[0] = '\0';
	return err;
}

void
ecg_notify_dir_remove(struct ecg_notify_dir *d)
{
	if (d->made)
		rmdir(d->path);
	d->made = 0;
	d->path[0] = '\0';
}

/*
 * Who may speak for a task, whatever user it runs as (it may have
 * switched to another one): the kernel fills SCM_CREDENTIALS with the
 * sender's real pid, and the sender must be the task's main process or
 * share its session or process group.  The task is started as a new
 * session, so everything it starts belongs to it unless it leaves on
 * purpose.  The main process is trusted by pid alone: it is our child, so
 * its pid cannot be reused before we reap it, even if it has exited since
 * it sent.  Any other sender must still exist to be looked up.  The limit:
 * forging another pid takes CAP_SYS_ADMIN, so root (a task running as
 * root) can speak for any task.  NULL if allowed, else why not.
 */
static const char *
sender_refused(const struct ecg_notify *n, const struct ucred *cred)
{
	pid_t sid, pgid;

	if (n->owner <= 0 || cred->pid <= 0)
		return "the task is not running";
	if (cred->pid == n->owner)
		return NULL;
	sid = getsid(cred->pid);
	if (sid < 0)
		return "its sender is gone, and was not the task's main process";
	if (sid == n->owner)
		return NULL;
	pgid = getpgid(cred->pid);
	return pgid == n->owner ? NULL : "its sender is not one of the task's processes";
}

/*
 * Closes every descriptor a datagram carried (FDSTORE=1 sends some: we keep
 * none, and each would leak) and finds its credentials: 1 if found.
 */
static int
take_control(struct msghdr *msg, struct ucred *cred)
{
	struct cmsghdr *c;
	int found = 0;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t i, nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nfds; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*cred))) {
			memcpy(cred, CMSG_DATA(c), sizeof(*cred));
			found = 1;
		}
	}
	return found;
}

/*
 * Reads the assignments of buf (len bytes, NUL-terminated after them):
 * newline-separated KEY=VALUE lines, the last one perhaps without its
 * newline.  Keys other than READY, WATCHDOG and STATUS are none of our
 * business.  *ready gets ECG_NOTIFY_READY and ECG_NOTIFY_WATCHDOG bits.
 * Returns 1 if it said something we recognise.
 */
static int
parse(char *buf, size_t len, int *ready, const char **status)
{
	char *line = buf, *end = buf + len, *nl;
	int said = 0;

	*ready = 0;
	*status = NULL;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl != NULL)
			*nl = '\0';
		if (strcmp(line, "READY=1") == 0) {
			*ready |= ECG_NOTIFY_READY;
			said = 1;
		} else if (strcmp(line, "WATCHDOG=1") == 0) {
			*ready |= ECG_NOTIFY_WATCHDOG;
			said = 1;
		} else if (strncmp(line, "STATUS=", 7) == 0) {
			*status = line + 7;
			said = 1;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return said;
}

static void
readable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_notify *n = w->data;
	char buf[MSG_MAX + 1];
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(struct ucred)) +
		    CMSG_SPACE(sizeof(int) * PASSED_FDS_MAX)];
	} control;
	struct iovec iov;
	struct msghdr msg;
	struct ucred cred;
	const char *status, *why;
	ssize_t got;
	int i, ready, has_cred, has_nul;

	for (i = 0; i < BATCH_MAX; i++) {
		iov.iov_base = buf;
		iov.iov_len = MSG_MAX;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.bytes;
		msg.msg_controllen = sizeof(control.bytes);
		/* CLOEXEC covers the instant before take_control closes what was passed. */
		got = recvmsg(n->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return;		/* EAGAIN: drained; anything else: the next wakeup retries */
		}
		has_cred = take_control(&msg, &cred);
		/* recvmsg filled got bytes of buf. */
		// cppcheck-suppress uninitvar
		has_nul = memchr(buf, '\0', (size_t)got) != NULL;
		/* Truncated or holding a NUL, a datagram cannot be read as its sender meant it. */
		why = !has_cred ? "it came without its sender's credentials" :
		    (msg.msg_flags & MSG_TRUNC) ? "it is longer than 4096 bytes" :
		    has_nul ? "it holds a NUL byte" : sender_refused(n, &cred);
		if (why != NULL) {
			n->ignored++;
			if (n->refused != NULL)
				n->refused(n, has_cred ? cred.pid : 0, why, n->arg);
			if (n->fd < 0 || !ev_is_active(&n->readable))
				return;
			continue;
		}
		buf[got] = '\0';
		if (!parse(buf, (size_t)got, &ready, &status) || n->cb == NULL)
			continue;
		n->cb(n, ready, status, cred.pid, n->arg);
		/* The callback may have closed n: its socket is then gone. */
		if (n->fd < 0 || !ev_is_active(&n->readable))
			return;
	}
}

void
ecg_notify_init(struct ecg_notify *n, struct ev_loop *loop, ecg_notify_cb cb, void *arg)
{
	n->loop = loop;
	n->fd = -1;
	ev_io_init(&n->readable, readable_cb, -1, EV_READ);
	n->readable.data = n;
	n->path[0] = '\0';
	n->owner = 0;
	n->ignored = 0;
	n->cb = cb;
	n->refused = NULL;
	n->arg = arg;
}

int
ecg_notify_open(struct ecg_notify *n, const struct ecg_notify_dir *d, const char *name)
{
	struct sockaddr_un addr;
	int fd, on = 1, err, len;

	if (n->fd >= 0)
		return -EBUSY;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	len = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", d->path, name);
	if (len < 0 || (size_t)len >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Before bind: a datagram that arrives sooner would come without credentials. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	/* Any user may send (a task that switched user); the sender is checked. */
	if (chmod(addr.sun_path, 0666) < 0) {
		err = -errno;
		unlink(addr.sun_path);
		close(fd);
		return err;
	}
	n->fd = ecg_spawn_park_fd(fd);
	memcpy(n->path, addr.sun_path, (size_t)len + 1);
	return 0;
}

void
ecg_notify_watch(struct ecg_notify *n, pid_t owner)
{
	n->owner = owner;
	if (n->fd < 0 || ev_is_active(&n->readable))
		return;
	ev_io_set(&n->readable, n->fd, EV_READ);
	ev_io_start(n->loop, &n->readable);
}

void
ecg_notify_close(struct ecg_notify *n)
{
	ev_io_stop(n->loop, &n->readable);
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	if (n->path[0] != '\0')
		unlink(n->path);
	n->path[0] = '\0';
	n->owner = 0;
}

int
ecg_notify_send(const char *socket_name, const char *msg)
{
	struct sockaddr_un addr;
	socklen_t addrlen;
	size_t len;
	int fd, err = 0;

	if (socket_name == NULL || socket_name[0] == '\0')
		return 0;
	if (socket_name[0] != '/' && socket_name[0] != '@')
		return -EINVAL;
	len = strlen(socket_name);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (socket_name[0] == '@') {
		/* Abstract: the name is every byte after the leading NUL, none beyond it. */
		if (len < 2)
			return -EINVAL;
		if (len > sizeof(addr.sun_path))
			return -ENAMETOOLONG;
		memcpy(addr.sun_path + 1, socket_name + 1, len - 1);
		addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		if (len >= sizeof(addr.sun_path))
			return -ENAMETOOLONG;
		memcpy(addr.sun_path, socket_name, len + 1);
		addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* NOSIGNAL and DONTWAIT: a dead or stalled manager must not stop or kill us. */
	if (sendto(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&addr, addrlen) < 0)
		err = -errno;
	close(fd);
	return err;
}

void
ecg_notify_on_refused(struct ecg_notify *n,
    void (*refused)(struct ecg_notify *n, pid_t pid, const char *why, void *arg))
{
	n->refused = refused;
}

const char *
ecg_notify_path(const struct ecg_notify *n)
{
	return n->path;
}

void
ecg_notify_drain(struct ecg_notify *n)
{
	if (n->fd >= 0 && ev_is_active(&n->readable))
		readable_cb(n->loop, &n->readable, EV_READ);
}
