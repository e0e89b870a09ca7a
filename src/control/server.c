#define _GNU_SOURCE
#include "control/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

void
ecg_control_init(struct ecg_control *c, struct ev_loop *loop, ecg_control_request_fn request,
    void *arg)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->fd = -1;
	c->request = request;
	c->arg = arg;
}

static void client_close(struct ecg_control_client *cl);

static void
want_write(struct ecg_control_client *cl)
{
	if (cl->off < cl->out.len && !ev_is_active(&cl->writable))
		ev_io_start(cl->ctl->loop, &cl->writable);
}

/* Writes what waits, as far as the socket takes it: 1 all out, 0 not now, -1 failed. */
static int
send_rest(struct ecg_control_client *cl)
{
	ssize_t n;

	while (cl->off < cl->out.len) {
		n = send(cl->fd, cl->out.p + cl->off, cl->out.len - cl->off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		cl->off += (size_t)n;
	}
	return 1;
}

static void
flush(struct ecg_control_client *cl)
{
	int rc = send_rest(cl);

	if (rc == 0) {
		want_write(cl);
		return;
	}
	if (rc < 0) {
		client_close(cl);
		return;
	}
	ecg_buf_reset(&cl->out);
	cl->off = 0;
	ev_io_stop(cl->ctl->loop, &cl->writable);
	if (cl->closing)
		client_close(cl);
}

static void
send_line(struct ecg_control_client *cl, const char *line, size_t len)
{
	ecg_buf_put(&cl->out, line, len);
	ecg_buf_putc(&cl->out, '\n');
	flush(cl);
}

void
ecg_control_answer(struct ecg_control_client *cl, const char *line, size_t len)
{
	cl->waiting = 0;
	send_line(cl, line, len);
}

void
ecg_control_stream(struct ecg_control_client *cl, const char *line, size_t len)
{
	if (cl->out.len - cl->off + len + 1 > ECG_CONTROL_OUT_MAX) {
		cl->lost++;
		return;
	}
	send_line(cl, line, len);
}

/* One request line: parsed, handed to the owner, answered (unless later). */
static void
request(struct ecg_control_client *cl, const char *line, size_t len)
{
	struct ecg_control *c = cl->ctl;
	struct ecg_json_object req;
	struct ecg_buf reply = ECG_BUF_INIT, why = ECG_BUF_INIT;

	if (ecg_json_parse(line, len, &req, &why) < 0) {
		ecg_buf_puts(&reply, "{\"ok\":false,\"error\":\"bad request: ");
		/* why holds no quote nor backslash of its own: only positions and words */
		ecg_buf_puts(&reply, ecg_buf_str(&why));
		ecg_buf_puts(&reply, "\"}");
		send_line(cl, reply.p, reply.len);
	} else {
		if (c->request(c, cl, &req, &reply, c->arg) == 0)
			send_line(cl, reply.p, reply.len);
		else
			cl->waiting = 1;
		ecg_json_free(&req);
	}
	ecg_buf_free(&reply);
	ecg_buf_free(&why);
}

static void
readable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_control_client *cl = w->data;
	char buf[4096], *nl;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* The client is done asking: what it waits for still goes out. */
		ev_io_stop(cl->ctl->loop, &cl->readable);
		if (!cl->waiting && !cl->streaming)
			client_close(cl);
		return;
	}
	ecg_buf_put(&cl->in, buf, (size_t)n);
	while (cl->fd >= 0 && (nl = memchr(cl->in.p, '\n', cl->in.len)) != NULL) {
		size_t len = (size_t)(nl - cl->in.p);
		if (len > ECG_CONTROL_REQUEST_MAX)
			break;
		request(cl, cl->in.p, len);
		if (cl->fd < 0)
			return;
		memmove(cl->in.p, nl + 1, cl->in.len - len - 1);
		cl->in.len -= len + 1;
		cl->in.p[cl->in.len] = '\0';
	}
	if (cl->in.len > ECG_CONTROL_REQUEST_MAX) {
		static const char too_long[] = "{\"ok\":false,\"error\":\"a request is at most 65536 bytes\"}";
		ev_io_stop(cl->ctl->loop, &cl->readable);
		cl->closing = 1;
		send_line(cl, too_long, sizeof(too_long) - 1);
	}
}

static void
writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	flush(w->data);
}

static void
client_close(struct ecg_control_client *cl)
{
	struct ecg_control *c = cl->ctl;
	size_t i;

	if (cl->fd < 0)
		return;
	if (c->gone != NULL)
		c->gone(cl, c->arg);
	ev_io_stop(c->loop, &cl->readable);
	ev_io_stop(c->loop, &cl->writable);
	close(cl->fd);
	cl->fd = -1;
	for (i = 0; i < c->nclients; i++)
		if (c->clients[i] == cl) {
			c->clients[i] = c->clients[--c->nclients];
			break;
		}
	if (c->fd >= 0 && c->nclients < ECG_CONTROL_CLIENTS)
		ev_io_start(c->loop, &c->acceptable);
	ecg_buf_free(&cl->in);
	ecg_buf_free(&cl->out);
	free(cl);
}

static void
acceptable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_control *c = w->data;
	struct ecg_control_client *cl;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	(void)revents;
	fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		if (c->refused != NULL)
			c->refused(len == sizeof(cred) ? cred.pid : 0,
			    "only ecg-run's own user or root may control it", c->arg);
		close(fd);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->fd = fd;
	cl->pid = cred.pid;
	ev_io_init(&cl->readable, readable_cb, fd, EV_READ);
	cl->readable.data = cl;
	ev_io_init(&cl->writable, writable_cb, fd, EV_WRITE);
	cl->writable.data = cl;
	c->clients[c->nclients++] = cl;
	ev_io_start(loop, &cl->readable);
	/* Full: the others wait in the kernel's backlog until a client goes. */
	if (c->nclients == ECG_CONTROL_CLIENTS)
		ev_io_stop(loop, &c->acceptable);
}

/* Whether a server answers at path: 1 (and its pid), 0 (nothing, or a stale socket). */
static int
live_at(const char *path, pid_t *pid)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, rc;

	*pid = 0;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		*pid = cred.pid;
	close(fd);
	return rc == 0;
}

int
ecg_control_listen(struct ecg_control *c, const char *path, pid_t *live, struct ecg_buf *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rc;

	*live = 0;
	if (strlen(path) >= sizeof(a.sun_path)) {
		ecg_buf_printf(err, "%s: longer than a socket's address holds", path);
		return -ENAMETOOLONG;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			ecg_buf_printf(err, "%s is there and is not a socket", path);
			return -EEXIST;
		}
		if (live_at(path, live)) {
			ecg_buf_printf(err, "%s: another ecg-run (pid %ld) answers there", path,
			    (long)*live);
			return -EADDRINUSE;
		}
		unlink(path);	/* stale: its ecg-run is gone */
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		rc = -errno;
		ecg_buf_printf(err, "socket: %s", strerror(errno));
		return rc;
	}
	/* Made 0600 at once: nobody else may connect even before a chmod. */
	old = umask(0177);
	rc = bind(c->fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc < 0 || listen(c->fd, ECG_CONTROL_CLIENTS) < 0) {
		rc = -errno;
		ecg_buf_printf(err, "%s: %s", path, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return rc;
	}
	c->path = strdup(path);
	ev_io_init(&c->acceptable, acceptable_cb, c->fd, EV_READ);
	c->acceptable.data = c;
	ev_io_start(c->loop, &c->acceptable);
	return 0;
}

/*
 * What waits for the clients goes out before they are closed, as far as
 * they take it: each gets ECG_CONTROL_LINGER_MS to take more of it, and
 * one that takes nothing in that time is given up (a client that does not
 * read costs the end that much, once, whatever their number).
 */
static void
linger(struct ecg_control *c)
{
	struct pollfd pf[ECG_CONTROL_CLIENTS];
	struct ecg_control_client *who[ECG_CONTROL_CLIENTS];
	size_t i, n;
	int rc;

	for (;;) {
		for (i = n = 0; i < c->nclients; i++) {
			/* client_close takes a client off the array before it frees it. */
			struct ecg_control_client *cl = c->clients[i];
			// NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
			if (cl->fd < 0 || send_rest(cl) != 0)
				continue;
			pf[n].fd = cl->fd;
			pf[n].events = POLLOUT;
			who[n++] = cl;
		}
		if (n == 0)
			return;
		rc = poll(pf, n, ECG_CONTROL_LINGER_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return;
		/* Those that took nothing are given up: closed now, with what they have. */
		for (i = 0; i < n; i++)
			if (pf[i].revents == 0)
				client_close(who[i]);
	}
}

void
ecg_control_close(struct ecg_control *c)
{
	size_t i;

	/* A stream ends with how many lines its client lost. */
	for (i = 0; i < c->nclients; i++) {
		struct ecg_control_client *cl = c->clients[i];
		if (cl->streaming)
			ecg_buf_printf(&cl->out, "{\"end\":true,\"lost\":%lu}\n", cl->lost);
		cl->streaming = 0;
	}
	if (c->fd >= 0)
		linger(c);
	/* client_close takes the client off the array before it frees it. */
	while (c->nclients > 0)
		client_close(c->clients[0]);	// NOLINT(clang-analyzer-unix.Malloc)
	if (c->fd >= 0) {
		ev_io_stop(c->loop, &c->acceptable);
		close(c->fd);
		c->fd = -1;
	}
	if (c->path != NULL)
		unlink(c->path);
}

void
ecg_control_destroy(struct ecg_control *c)
{
	ecg_control_close(c);
	free(c->path);
	c->path = NULL;
}
