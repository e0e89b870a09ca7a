#define _GNU_SOURCE
#include "sys/netprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { IDLE, STARTING, RESOLVING, CONNECTING, SENDING, RECEIVING };

/* A status line longer than this is not one an HTTP server would send. */
#define STATUS_MAX 512
/* The hosts file is a local file, but a huge one is read this far only. */
#define HOSTS_MAX ((size_t)1 << 20)

struct ecg_netprobe_resolver {
	ev_child child;			/* on the loop until getent is reaped */
	struct ecg_netprobe *owner;	/* NULL once its answer is no longer wanted */
};

static const char *hosts_path = "/etc/hosts";

void
ecg_netprobe_hosts_file(const char *path)
{
	hosts_path = path != NULL ? path : "/etc/hosts";
}

/* Parsing */

#define DIGIT(c) ((c) >= '0' && (c) <= '9')

/* A name we may put on getent's command line: no option, nothing odd. */
static int
valid_name(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";

	return *s != '-' && *s != '.' && s[strspn(s, ok)] == '\0';
}

static int
parse_port(const char *s, size_t n, char out[6], const char **why)
{
	unsigned long v = 0;
	size_t i;

	*why = n == 0 ? "missing port after ':'" : "port must be a number from 1 to 65535";
	for (i = 0; i < n && i < 5 && DIGIT(s[i]); i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (n == 0 || i < n || v < 1 || v > 65535)
		return -1;
	snprintf(out, 6, "%lu", v);
	*why = NULL;
	return 0;
}

/* HOST:PORT or [V6ADDR]:PORT; without the port where it has a default. */
static int
parse_authority(const char *s, size_t n, int need_port, struct ecg_netprobe_target *t,
    const char **why)
{
	const char *host = s, *end = s + n, *colon, *close = NULL;
	struct in6_addr a6;
	size_t hlen;

	if (n > 0 && s[0] == '[') {
		if ((close = memchr(s, ']', n)) == NULL) {
			*why = "'[' without ']'";
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon != NULL && *colon != ':') {
			*why = "expected ':' after ']'";
			return -1;
		}
	} else {
		colon = memchr(s, ':', n);
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
			*why = "an IPv6 address needs brackets, as in [::1]:80";
			return -1;
		}
		hlen = colon != NULL ? (size_t)(colon - s) : n;
	}
	*why = hlen == 0 ? "empty host" : hlen >= sizeof(t->host) ? "host name too long" : NULL;
	if (*why != NULL)
		return -1;
	memcpy(t->host, host, hlen);
	t->host[hlen] = '\0';
	if (close != NULL ? inet_pton(AF_INET6, t->host, &a6) != 1 : !valid_name(t->host)) {
		*why = close != NULL ? "not an IPv6 address inside []" : "bad host name";
		return -1;
	}
	if (colon != NULL)
		return parse_port(colon + 1, (size_t)(end - colon - 1), t->port, why);
	if (need_port) {
		*why = "missing port (HOST:PORT)";
		return -1;
	}
	strcpy(t->port, "80");
	return 0;
}

int
ecg_netprobe_parse(enum ecg_netprobe_kind kind, const char *spec,
    struct ecg_netprobe_target *t, const char **why)
{
	const char *auth = spec, *c;
	size_t n;

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	strcpy(t->path, "/");
	if (kind == ECG_NETPROBE_HTTP) {
		if (strncasecmp(spec, "https://", 8) == 0) {
			*why = "https is not supported (no TLS): use http:// or tcp";
			return -1;
		}
		if (strncasecmp(spec, "http://", 7) != 0) {
			*why = "not an http:// URL";
			return -1;
		}
		auth = spec + 7;
	} else if (kind != ECG_NETPROBE_TCP) {
		*why = "unknown kind of check";
		return -1;
	}
	n = kind == ECG_NETPROBE_HTTP ? strcspn(auth, "/") : strlen(auth);
	if (n >= sizeof(t->hostport)) {
		*why = "host and port too long";
		return -1;
	}
	memcpy(t->hostport, auth, n);
	t->hostport[n] = '\0';
	if (parse_authority(auth, n, kind == ECG_NETPROBE_TCP, t, why) < 0)
		return -1;
	if (auth[n] == '\0')
		return 0;
	/* A fragment is for the client: it never goes into a request. */
	c = auth + n;
	n = strcspn(c, "#");
	if (n >= sizeof(t->path)) {
		*why = "path too long";
		return -1;
	}
	memcpy(t->path, c, n);
	t->path[n] = '\0';
	/* These would break the request line, or smuggle in a header. */
	for (c = t->path; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
			*why = "path has a space, control or non-ASCII character (use %XX)";
			return -1;
		}
	return 0;
}

/* Errors and the end of an attempt */

static void __attribute__((format(printf, 2, 3)))
set_error(struct ecg_netprobe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
}

/* strerror's text in the style of our messages: "connection refused". */
static void
set_errno(struct ecg_netprobe *p, const char *prefix, int err)
{
	size_t n = strlen(prefix);

	set_error(p, "%s%s", prefix, strerror(err));
	if (n < sizeof(p->error) && p->error[n] >= 'A' && p->error[n] <= 'Z')
		p->error[n] = (char)(p->error[n] - 'A' + 'a');
}

/* Stops watching and closes the descriptor, in that order. */
static void
close_fd(struct ecg_netprobe *p)
{
	ev_io_stop(p->loop, &p->io);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void
watch(struct ecg_netprobe *p, int events)
{
	ev_io_stop(p->loop, &p->io);
	ev_io_set(&p->io, p->fd, events);
	ev_io_start(p->loop, &p->io);
}

/*
 * Lets go of getent.  When its answer is no longer wanted it is killed: it
 * could sit for minutes on an unreachable DNS server.  Until libev has
 * reaped it (rpid is set then) its pid is still ours, a zombie at worst, so
 * the signal cannot reach another process.  Either way the watcher stays
 * on the loop and frees the record once getent is reaped.
 */
static void
release_resolver(struct ecg_netprobe *p, int kill_it)
{
	struct ecg_netprobe_resolver *r = p->resolver;

	if (r == NULL)
		return;
	if (kill_it && r->child.rpid == 0)
		kill(r->child.pid, SIGKILL);
	r->owner = NULL;
	p->resolver = NULL;
}

static void
teardown(struct ecg_netprobe *p)
{
	ev_timer_stop(p->loop, &p->deadline);
	close_fd(p);
	release_resolver(p, 1);
	p->state = IDLE;
}

/*
 * Everything is put back before the callback runs, and p is not touched
 * after it: the callback may start the probe again or destroy it.  The
 * error is handed over as a copy, which a restart cannot overwrite.
 */
static void
finish(struct ecg_netprobe *p, int ok)
{
	char error[sizeof(p->error)];
	ecg_netprobe_cb cb = p->cb;
	void *arg = p->arg;

	memcpy(error, p->error, sizeof(error));
	teardown(p);
	cb(p, ok, ok ? NULL : error, arg);
}

/* Resolving */

/* Adds s if it is a numeric address, once: 0, or -1 if it is not one. */
static int
add_numeric(struct ecg_netprobe *p, const char *s)
{
	in_port_t port = htons((uint16_t)strtoul(p->target.port, NULL, 10));
	struct ecg_netprobe_addr a;
	int i;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.u.in.sin_addr) == 1) {
		a.u.in.sin_family = AF_INET;
		a.u.in.sin_port = port;
		a.len = sizeof(a.u.in);
	} else if (inet_pton(AF_INET6, s, &a.u.in6.sin6_addr) == 1) {
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_port = port;
		a.len = sizeof(a.u.in6);
	} else {
		return -1;
	}
	for (i = 0; i < p->naddr; i++)
		if (p->addr[i].len == a.len && memcmp(&p->addr[i].u, &a.u, a.len) == 0)
			return 0;
	if (p->naddr < ECG_NETPROBE_ADDRS)
		p->addr[p->naddr++] = a;
	return 0;
}

/* RFC 6761: such names are loopback, whatever a resolver would say. */
static int
is_localhost(const char *name)
{
	size_t n = strlen(name);

	return strcasecmp(name, "localhost") == 0 ||
	    (n > 10 && strcasecmp(name + n - 10, ".localhost") == 0);
}

/* "ADDRESS NAME ALIAS... # comment" */
static void
hosts_line(struct ecg_netprobe *p, char *line)
{
	static const char blanks[] = " \t\r\n\f\v";
	char *save, *addr, *name;

	line[strcspn(line, "#")] = '\0';
	if ((addr = strtok_r(line, blanks, &save)) == NULL)
		return;
	while ((name = strtok_r(NULL, blanks, &save)) != NULL)
		if (strcasecmp(name, p->target.host) == 0) {
			add_numeric(p, addr);
			return;
		}
}

/*
 * Read at each attempt, so that an entry added meanwhile counts at the
 * next try.  A line too long for any sane entry is skipped whole, and
 * O_NONBLOCK keeps a FIFO put in the file's place from stalling the loop.
 */
static void
read_hosts(struct ecg_netprobe *p)
{
	char line[1024];
	size_t n, total = 0;
	int fd, whole, skip = 0;
	FILE *f;

	fd = open(hosts_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return;
	}
	while (total < HOSTS_MAX && fgets(line, sizeof(line), f) != NULL) {
		n = strlen(line);
		total += n;
		whole = (n > 0 && line[n - 1] == '\n') || feof(f);
		if (whole && !skip)
			hosts_line(p, line);
		skip = !whole;
	}
	fclose(f);
}

static void
reaped(struct ev_loop *loop, ev_child *w, int revents)
{
	struct ecg_netprobe_resolver *r = w->data;

	ev_child_stop(loop, w);
	if (r->owner != NULL)
		r->owner->resolver = NULL;
	free(r);
}

/*
 * Where execvp would find getent.  The search is made before fork, since
 * the child may only make async-signal-safe calls.  0, or -ENOENT.
 */
static int
find_getent(char *buf, size_t len)
{
	const char *d = getenv("PATH"), *end;
	struct stat st;
	int n;

	for (d = d != NULL ? d : "/bin:/usr/bin";; d = end + 1) {
		end = strchrnul(d, ':');
		n = snprintf(buf, len, "%.*s/getent", end > d ? (int)(end - d) : 1, end > d ? d : ".");
		if (n > 0 && (size_t)n < len && stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(buf, X_OK) == 0)
			return 0;
		if (*end == '\0')
			return -ENOENT;
	}
}

/*
 * In the child: default signal actions and an empty mask (libev leaves
 * both unspecified), /dev/null for stdin and stderr.  Descriptors are moved
 * above 2 first, so that no dup2 lands on itself and keeps close-on-exec.
 * Any failure shows as an empty answer.
 */
static _Noreturn void
getent_child(const char *path, char *const argv[], int out)
{
	struct sigaction sa;
	sigset_t none;
	int sig, null;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	null = fcntl(open("/dev/null", O_RDWR | O_CLOEXEC), F_DUPFD_CLOEXEC, 3);
	out = fcntl(out, F_DUPFD_CLOEXEC, 3);
	if (null < 0 || out < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(null, 2) < 0)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, environ);
	_exit(127);
}

/*
 * Runs getent ahosts NAME, its output on a pipe we read without blocking:
 * 0, or -errno.  Every signal is blocked across fork, so that none runs
 * ecg-run's handler in the child before the child has reset them.
 */
static int
spawn_getent(struct ecg_netprobe *p)
{
	static char getent[] = "getent", ahosts[] = "ahosts";
	char *argv[] = { getent, ahosts, p->target.host, NULL };
	struct ecg_netprobe_resolver *r;
	char path[PATH_MAX];
	sigset_t all, old;
	int fds[2], err;
	pid_t pid;

	if (find_getent(path, sizeof(path)) < 0)
		return -ENOENT;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err = -errno;
		free(r);
		return err;
	}
	/* Only our end is non-blocking: getent writes with plain stdio. */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		getent_child(path, argv, fds[1]);
	err = -errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		free(r);
		return err;
	}
	r->owner = p;
	ev_child_init(&r->child, reaped, pid, 0);
	r->child.data = r;
	ev_child_start(p->loop, &r->child);
	p->resolver = r;
	p->fd = fds[0];
	watch(p, EV_READ);
	return 0;
}

static void try_next(struct ecg_netprobe *p);
static void connect_done(struct ecg_netprobe *p);
static void refused(struct ecg_netprobe *p, int err);

/*
 * getent's lines read "ADDRESS STREAM|DGRAM|RAW [NAME]", a few dozen
 * bytes each: what fills buf is more addresses than we would try, so a
 * full buffer ends the reading (its last line, maybe cut, is dropped).
 */
static void
read_getent(struct ecg_netprobe *p)
{
	char *line, *save, *nl;
	ssize_t n;
	int full;

	do {
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n > 0)
			p->len += (size_t)n;
	} while (n > 0 && p->len < sizeof(p->buf) - 1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	full = p->len == sizeof(p->buf) - 1;
	close_fd(p);
	release_resolver(p, full);
	p->buf[p->len] = '\0';
	if (full && (nl = strrchr(p->buf, '\n')) != NULL)
		*nl = '\0';
	for (line = strtok_r(p->buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, " \t\r")] = '\0';
		add_numeric(p, line);
	}
	p->len = 0;
	if (p->naddr == 0) {
		set_error(p, "cannot resolve %s", p->target.host);
		finish(p, 0);
		return;
	}
	try_next(p);
}

/* Connecting and asking */

static void
connected(struct ecg_netprobe *p)
{
	int n;

	if (p->target.kind == ECG_NETPROBE_TCP) {
		finish(p, 1);
		return;
	}
	n = snprintf(p->buf, sizeof(p->buf), "GET %s HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: ecg-run\r\nConnection: close\r\n\r\n", p->target.path, p->target.hostport);
	p->len = n > 0 && (size_t)n < sizeof(p->buf) ? (size_t)n : 0;
	p->off = 0;
	p->state = SENDING;
	watch(p, EV_WRITE);
}

/*
 * Tries the addresses in order until one accepts.  The error kept is the
 * last failure's: when ::1 and 127.0.0.1 both refuse, it reads the same as
 * with one address.
 */
static void
try_next(struct ecg_netprobe *p)
{
	const struct ecg_netprobe_addr *a;

	while (p->next < p->naddr) {
		a = &p->addr[p->next++];
		p->fd = socket(a->u.any.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (p->fd < 0) {
			set_errno(p, "", errno);
			continue;
		}
		if (connect(p->fd, &a->u.any, a->len) == 0) {
			connected(p);
			return;
		}
		if (errno == EINPROGRESS || errno == EINTR) {
			/*
			 * On this machine (loopback) the answer is there by now,
			 * a refusal most often: take it without a round of the
			 * loop and three epoll calls.  A refusal is the socket's
			 * error already; only without one is it asked whether
			 * the connection is made.
			 */
			struct pollfd pfd = { p->fd, POLLOUT, 0 };
			socklen_t len = sizeof(int);
			int err = 0;

			p->state = CONNECTING;
			if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
				refused(p, err);
				return;
			}
			if (poll(&pfd, 1, 0) == 1) {
				connect_done(p);
				return;
			}
			watch(p, EV_WRITE);
			return;
		}
		set_errno(p, "", errno);
		close_fd(p);
	}
	finish(p, 0);
}

static void
connect_done(struct ecg_netprobe *p)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		connected(p);
		return;
	}
	refused(p, err);
}

/* The connection failed with err: the next address, if any. */
static void
refused(struct ecg_netprobe *p, int err)
{
	set_errno(p, "", err);
	close_fd(p);
	try_next(p);
}

static void
send_request(struct ecg_netprobe *p)
{
	ssize_t n;

	while (p->off < p->len) {
		n = send(p->fd, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n < 0) {
			set_errno(p, "sending the request: ", errno);
			finish(p, 0);
			return;
		}
		p->off += (size_t)n;
	}
	p->len = 0;
	p->state = RECEIVING;
	watch(p, EV_READ);
}

/* "HTTP/1.x NNN", then a space or the end of the line: NNN, or -1. */
static int
status_code(const char *s)
{
	if (strncmp(s, "HTTP/1.", 7) != 0 || !DIGIT(s[7]) || s[8] != ' ' ||
	    !DIGIT(s[9]) || !DIGIT(s[10]) || !DIGIT(s[11]) ||
	    (s[12] != ' ' && s[12] != '\r' && s[12] != '\n'))
		return -1;
	return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}

/* Only the status line is read: the rest of the answer is of no interest. */
static void
read_status(struct ecg_netprobe *p)
{
	ssize_t n;
	int code;

	do {
		n = recv(p->fd, p->buf + p->len, STATUS_MAX - p->len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			if (n < 0)
				set_errno(p, "no HTTP status line: ", errno);
			else
				set_error(p, "no HTTP status line");
			finish(p, 0);
			return;
		}
		p->len += (size_t)n;
	} while (memchr(p->buf, '\n', p->len) == NULL && p->len < STATUS_MAX);
	p->buf[p->len] = '\0';
	code = memchr(p->buf, '\n', p->len) != NULL ? status_code(p->buf) : -1;
	if (code < 0)
		set_error(p, "not an HTTP status line");
	else if (code < 200 || code > 399)
		set_error(p, "HTTP status %d", code);
	finish(p, code >= 200 && code <= 399);
}

/* Watchers */

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ecg_netprobe *p = w->data;

	if (p->state == STARTING && p->naddr == 0)
		finish(p, 0);
	else if (p->state == STARTING)
		try_next(p);
	else if (p->state == RESOLVING)
		read_getent(p);
	else if (p->state == CONNECTING)
		connect_done(p);
	else if (p->state == SENDING)
		send_request(p);
	else if (p->state == RECEIVING)
		read_status(p);
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	static const char *const doing[] = {
		[IDLE] = "", [STARTING] = "starting", [RESOLVING] = "resolving the name",
		[CONNECTING] = "connecting", [SENDING] = "sending the request",
		[RECEIVING] = "waiting for the HTTP status",
	};
	struct ecg_netprobe *p = w->data;

	set_error(p, "timed out after %ld ms %s", (long)(p->timeout * 1000 + 0.5), doing[p->state]);
	finish(p, 0);
}

/* The probe */

void
ecg_netprobe_init(struct ecg_netprobe *p, struct ev_loop *loop,
    const struct ecg_netprobe_target *t, ecg_netprobe_cb cb, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->target = *t;
	p->cb = cb;
	p->arg = arg;
	p->state = IDLE;
	p->fd = -1;
	ev_io_init(&p->io, on_io, -1, EV_READ);
	ev_timer_init(&p->deadline, on_deadline, 0., 0.);
	p->io.data = p->deadline.data = p;
}

/*
 * Failures to reach the target are the callback's business; start fails
 * only for want of its own resources.  A missing getent is the former: the
 * name cannot be resolved here, and the next attempt may find one.  The
 * first step is an event fed to the idle io watcher, so that it is taken
 * from the loop and no callback runs inside start; stopping the watcher,
 * as teardown does, withdraws the event.
 */
int
ecg_netprobe_start(struct ecg_netprobe *p, double timeout)
{
	const char *host = p->target.host;
	int err;

	if (p->state != IDLE)
		return -EBUSY;
	if (!(timeout > 0 && timeout < 1e9))
		return -EINVAL;
	p->timeout = timeout;
	p->naddr = p->next = 0;
	p->len = p->off = 0;
	p->error[0] = '\0';
	if (add_numeric(p, host) < 0 && is_localhost(host)) {
		add_numeric(p, "::1");
		add_numeric(p, "127.0.0.1");
	} else if (p->naddr == 0) {
		read_hosts(p);
	}
	p->state = STARTING;
	if (p->naddr == 0) {
		err = ev_is_default_loop(p->loop) ? spawn_getent(p) : -ENOTSUP;
		if (err == 0)
			p->state = RESOLVING;
		else if (err == -ENOENT || err == -ENOTSUP)
			set_error(p, "cannot resolve %s: %s", host,
			    err == -ENOENT ? "no getent to ask" : "not on the default loop");
		else {
			p->state = IDLE;
			return err;
		}
	}
	if (p->state == STARTING)
		ev_feed_event(p->loop, &p->io, EV_CUSTOM);
	ev_timer_set(&p->deadline, timeout, 0.);
	ev_timer_start(p->loop, &p->deadline);
	return 0;
}

void
ecg_netprobe_cancel(struct ecg_netprobe *p)
{
	if (p->state != IDLE)
		teardown(p);
}

int
ecg_netprobe_busy(const struct ecg_netprobe *p)
{
	return p->state != IDLE;
}

void
ecg_netprobe_destroy(struct ecg_netprobe *p)
{
	ecg_netprobe_cancel(p);
}
