/*
 * netprobe: parsing, then real attempts on the default loop against
 * listeners on 127.0.0.1 and ::1 served by watchers on that same loop;
 * names from a hosts file of our own, and from fake getent programs put
 * first in PATH (one that answers, one that hangs until it is killed).
 * Every wait is bounded by a safety timer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/netprobe.h"
#include "tap.h"

#define BOUND 5.0	/* seconds any one wait may take */

static struct ev_loop *loop;

struct result {
	int calls;
	int ok;
	int inside;		/* set while start runs */
	int restart;		/* start again from the callback, this many times */
	int destroy;		/* destroy the probe from the callback */
	char error[512];
};

static void
record(struct ecg_netprobe *p, int ok_, const char *error, void *arg)
{
	struct result *r = arg;

	/* The round of the loop that called back may otherwise go on to block. */
	ev_break(loop, EVBREAK_ONE);
	r->calls += r->inside ? 1000 : 1;
	r->ok = ok_;
	snprintf(r->error, sizeof(r->error), "%s", error != NULL ? error : "(null)");
	if (r->restart > 0) {
		r->restart--;
		ecg_netprobe_start(p, 2);
	} else if (r->destroy) {
		ecg_netprobe_destroy(p);
	}
}

static void
expired(struct ev_loop *l, ev_timer *w, int revents)
{
	*(int *)w->data = 1;
	ev_break(l, EVBREAK_ALL);
}

/* Runs the loop until r has had want callbacks: 1, or 0 when the bound hit. */
static int
wait_calls(struct result *r, int want)
{
	ev_timer t;
	int out = 0;

	ev_timer_init(&t, expired, BOUND, 0.);
	t.data = &out;
	ev_timer_start(loop, &t);
	while (r->calls < want && !out)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
	return !out;
}

/*
 * Runs the loop until nothing is left on it, getent children included (a
 * child watcher stays until its process is reaped): the seconds it took,
 * or -1 when the bound hit.
 */
static double
drain(void)
{
	ev_timer t;
	int out = 0;
	double t0;

	ev_now_update(loop);
	t0 = ev_now(loop);
	ev_timer_init(&t, expired, BOUND, 0.);
	t.data = &out;
	ev_timer_start(loop, &t);
	ev_unref(loop);
	ev_run(loop, 0);
	ev_ref(loop);
	ev_timer_stop(loop, &t);
	ev_now_update(loop);
	return out ? -1 : ev_now(loop) - t0;
}

/* One attempt at spec: its result, after the callback (or the bound). */
static struct result
probe(enum ecg_netprobe_kind kind, const char *spec, double timeout, struct ecg_netprobe *keep)
{
	struct ecg_netprobe_target t;
	struct ecg_netprobe p, *pp = keep != NULL ? keep : &p;
	struct result r;
	const char *why = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(pp, 0, sizeof(*pp));
	if (ecg_netprobe_parse(kind, spec, &t, &why) < 0) {
		snprintf(r.error, sizeof(r.error), "parse: %s", why);
		return r;
	}
	ecg_netprobe_init(pp, loop, &t, record, &r);
	r.inside = 1;
	rc = ecg_netprobe_start(pp, timeout);
	r.inside = 0;
	if (rc < 0) {
		snprintf(r.error, sizeof(r.error), "start: %s", strerror(-rc));
		return r;
	}
	if (!wait_calls(&r, 1))
		snprintf(r.error, sizeof(r.error), "no callback within %g s", BOUND);
	ecg_netprobe_destroy(pp);
	return r;
}

/* A listener on addr (port 0: any): its fd, and its port in *port. */
static int
listener(int family, const char *addr, int *port, int do_listen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*in) : sizeof(*in6);
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		inet_pton(AF_INET, addr, &in->sin_addr);
		in->sin_port = htons((uint16_t)*port);
	} else {
		inet_pton(AF_INET6, addr, &in6->sin6_addr);
		in6->sin6_port = htons((uint16_t)*port);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (do_listen && listen(fd, 16) < 0) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? in->sin_port : in6->sin6_port);
	return fd;
}

/* A port nothing listens on: bound, then let go. */
static int
closed_port(void)
{
	int port = 0, fd = listener(AF_INET, "127.0.0.1", &port, 0);

	close(fd);
	return port;
}

/* An HTTP server on the loop: one connection at a time. */
enum mode { ANSWER, DRIP, HANG_UP, SILENT };

struct server {
	int fd, port;
	enum mode mode;
	const char *answer;
	ev_io accept_w, conn_w;
	int silent[8], nsilent;
	char req[2048];
	size_t reqlen, sent;
};

/* DRIP: the answer one byte per round of the loop. */
static void
drip_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct server *s = w->data;

	if (s->answer[s->sent] != '\0' && send(w->fd, s->answer + s->sent++, 1, MSG_NOSIGNAL) == 1)
		return;
	ev_io_stop(l, w);
	close(w->fd);
}

static void
conn_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct server *s = w->data;
	ssize_t n = read(w->fd, s->req + s->reqlen, sizeof(s->req) - 1 - s->reqlen);

	if (n > 0) {
		s->reqlen += (size_t)n;
		s->req[s->reqlen] = '\0';
		if (strstr(s->req, "\r\n\r\n") == NULL && s->reqlen < sizeof(s->req) - 1)
			return;
		if (s->mode == DRIP) {
			ev_io_stop(l, w);
			ev_io_init(w, drip_cb, w->fd, EV_WRITE);
			ev_io_start(l, w);
			return;
		}
		(void)!send(w->fd, s->answer, strlen(s->answer), MSG_NOSIGNAL);
	} else if (n < 0 && errno == EAGAIN) {
		return;
	}
	ev_io_stop(l, w);
	close(w->fd);
}

static void
accept_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct server *s = w->data;
	int c = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (c < 0)
		return;
	if (s->mode == HANG_UP) {
		close(c);
	} else if (s->mode == SILENT && s->nsilent < 8) {
		s->silent[s->nsilent++] = c;
	} else {
		s->reqlen = 0;
		ev_io_init(&s->conn_w, conn_cb, c, EV_READ);
		s->conn_w.data = s;
		ev_io_start(l, &s->conn_w);
	}
}

static int
server_start(struct server *s, int family, const char *addr, enum mode mode, const char *answer)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->answer = answer;
	s->fd = listener(family, addr, &s->port, 1);
	if (s->fd < 0)
		return -1;
	ev_io_init(&s->accept_w, accept_cb, s->fd, EV_READ);
	s->accept_w.data = s;
	ev_io_start(loop, &s->accept_w);
	return 0;
}

static void
server_stop(struct server *s)
{
	int i;

	if (ev_is_active(&s->conn_w)) {
		ev_io_stop(loop, &s->conn_w);
		close(s->conn_w.fd);
	}
	for (i = 0; i < s->nsilent; i++)
		close(s->silent[i]);
	ev_io_stop(loop, &s->accept_w);
	close(s->fd);
	s->fd = -1;
}

static char dir[] = "/tmp/test_netprobe.XXXXXX";

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

static void
remove_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* Why spec is refused, or NULL if it is accepted. */
static const char *
refused(enum ecg_netprobe_kind kind, const char *spec)
{
	struct ecg_netprobe_target t;
	const char *why = NULL;

	return ecg_netprobe_parse(kind, spec, &t, &why) < 0 ? (why != NULL ? why : "(no reason)") : NULL;
}

static void
test_parse(void)
{
	struct ecg_netprobe_target t;
	const char *why;

	ok(ecg_netprobe_parse(ECG_NETPROBE_TCP, "db.example:5432", &t, &why) == 0 &&
	    strcmp(t.host, "db.example") == 0 && strcmp(t.port, "5432") == 0,
	    "tcp HOST:PORT parses");
	ok(ecg_netprobe_parse(ECG_NETPROBE_TCP, "[::1]:6379", &t, &why) == 0 &&
	    strcmp(t.host, "::1") == 0 && strcmp(t.port, "6379") == 0,
	    "tcp [::1]:PORT parses, without the brackets");
	ok(ecg_netprobe_parse(ECG_NETPROBE_TCP, "[::1]:80", &t, &why) == 0 &&
	    strcmp(t.port, "80") == 0, "tcp [::1]:80 parses");
	why = refused(ECG_NETPROBE_TCP, "db.example");
	ok(why != NULL && strstr(why, "missing port") != NULL, "tcp without a port: %s", why);
	why = refused(ECG_NETPROBE_TCP, "db.example:");
	ok(why != NULL && strstr(why, "missing port") != NULL, "tcp with an empty port: %s", why);
	why = refused(ECG_NETPROBE_TCP, ":80");
	ok(why != NULL && strcmp(why, "empty host") == 0, "tcp with an empty host: %s", why);
	why = refused(ECG_NETPROBE_TCP, "h:0");
	ok(why != NULL && strcmp(why, "port must be a number from 1 to 65535") == 0,
	    "tcp port 0: %s", why);
	ok(refused(ECG_NETPROBE_TCP, "h:70000") != NULL && refused(ECG_NETPROBE_TCP, "h:8o") != NULL &&
	    refused(ECG_NETPROBE_TCP, "h:-1") != NULL && refused(ECG_NETPROBE_TCP, "h:123456") != NULL &&
	    refused(ECG_NETPROBE_TCP, "h:65535") == NULL && refused(ECG_NETPROBE_TCP, "h:1") == NULL,
	    "ports 70000, 8o, -1 and 123456 are refused, 1 and 65535 are not");
	why = refused(ECG_NETPROBE_TCP, "::1:80");
	ok(why != NULL && strstr(why, "brackets") != NULL, "a bare IPv6 address: %s", why);
	ok(refused(ECG_NETPROBE_TCP, "[nope]:80") != NULL && refused(ECG_NETPROBE_TCP, "[::1:80") != NULL &&
	    refused(ECG_NETPROBE_TCP, "[::1]80") != NULL && refused(ECG_NETPROBE_TCP, "[]:80") != NULL &&
	    refused(ECG_NETPROBE_TCP, "-oops:80") != NULL && refused(ECG_NETPROBE_TCP, "a b:80") != NULL,
	    "a bad IPv6 address, [] or an unclosed [, and odd names are refused");
	why = refused(ECG_NETPROBE_HTTP, "https://example.com/");
	ok(why != NULL && strcmp(why, "https is not supported (no TLS): use http:// or tcp") == 0,
	    "https is refused: %s", why);
	why = refused(ECG_NETPROBE_HTTP, "ftp://example.com/");
	ok(why != NULL && refused(ECG_NETPROBE_HTTP, "example.com:80") != NULL,
	    "other schemes, and none, are refused: %s", why);
	ok(ecg_netprobe_parse(ECG_NETPROBE_HTTP, "http://example.com", &t, &why) == 0 &&
	    strcmp(t.host, "example.com") == 0 && strcmp(t.port, "80") == 0 &&
	    strcmp(t.path, "/") == 0 && strcmp(t.hostport, "example.com") == 0,
	    "http: port 80 and path / by default");
	ok(ecg_netprobe_parse(ECG_NETPROBE_HTTP, "HTTP://Example.com:8080/", &t, &why) == 0 &&
	    strcmp(t.host, "Example.com") == 0 && strcmp(t.port, "8080") == 0 &&
	    strcmp(t.path, "/") == 0 && strcmp(t.hostport, "Example.com:8080") == 0,
	    "http: the scheme in any case, the host as written");
	ok(ecg_netprobe_parse(ECG_NETPROBE_HTTP, "http://[::1]:8080/a/b?x=1&y=2#top", &t, &why) == 0 &&
	    strcmp(t.host, "::1") == 0 && strcmp(t.port, "8080") == 0 &&
	    strcmp(t.path, "/a/b?x=1&y=2") == 0 && strcmp(t.hostport, "[::1]:8080") == 0,
	    "http: [::1]:8080, the path with its query (not the fragment), the Host as written");
	why = refused(ECG_NETPROBE_HTTP, "http://h/a b");
	ok(why != NULL && refused(ECG_NETPROBE_HTTP, "http://h/a\r\nX: y") != NULL,
	    "http: a path with a space or CR LF is refused: %s", why);
	ok(refused(ECG_NETPROBE_HTTP, "http://:80/") != NULL && refused(ECG_NETPROBE_HTTP, "http://") != NULL &&
	    refused(ECG_NETPROBE_HTTP, "http://h:0/") != NULL &&
	    refused(ECG_NETPROBE_HTTP, "http://user@h/") != NULL,
	    "http: an empty host, port 0 or user info is refused");
}

static void
test_api(int port)
{
	struct ecg_netprobe_target t;
	struct ecg_netprobe p;
	struct result r = { 0 };
	const char *why;
	char spec[64];
	int i;

	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	ecg_netprobe_parse(ECG_NETPROBE_TCP, spec, &t, &why);
	memset(&p, 0, sizeof(p));
	ecg_netprobe_init(&p, loop, &t, record, &r);
	ok(!ecg_netprobe_busy(&p), "a new probe is idle");
	ok(ecg_netprobe_start(&p, 0) == -EINVAL && ecg_netprobe_start(&p, -1) == -EINVAL,
	    "a timeout that is not positive is refused");
	r.inside = 1;
	ok(ecg_netprobe_start(&p, 2) == 0 && ecg_netprobe_busy(&p), "start: busy");
	ok(ecg_netprobe_start(&p, 2) == -EBUSY, "starting again meanwhile is -EBUSY");
	r.inside = 0;
	ok(r.calls == 0, "no callback from inside start");
	ecg_netprobe_cancel(&p);
	ok(!ecg_netprobe_busy(&p), "cancel: idle again");
	for (i = 0; i < 5; i++)
		ev_run(loop, EVRUN_NOWAIT);
	ok(r.calls == 0 && drain() >= 0, "no callback after cancel, nothing left on the loop");
	ecg_netprobe_cancel(&p);
	ok(1, "cancelling an idle probe is harmless");

	r.restart = 1;
	ok(ecg_netprobe_start(&p, 2) == 0 && wait_calls(&r, 2) && r.calls == 2 && r.ok,
	    "the callback may start the probe again: a second callback follows");
	r.destroy = 1;
	ok(ecg_netprobe_start(&p, 2) == 0 && wait_calls(&r, 3) && r.ok && !ecg_netprobe_busy(&p),
	    "the callback may destroy the probe");
	ecg_netprobe_destroy(&p);
	ecg_netprobe_destroy(&p);
	ok(drain() >= 0, "destroying twice is harmless, nothing left on the loop");
}

static void
test_tcp(void)
{
	struct ecg_netprobe keep;
	struct result r;
	char spec[64];
	int port = 0, port6 = 0, fd, fd6, closed = closed_port();

	fd = listener(AF_INET, "127.0.0.1", &port, 1);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	r = probe(ECG_NETPROBE_TCP, spec, 2, NULL);
	ok(r.calls == 1 && r.ok, "tcp to a listening port: ready (%s)", r.error);
	test_api(port);

	snprintf(spec, sizeof(spec), "127.0.0.1:%d", closed);
	r = probe(ECG_NETPROBE_TCP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strcmp(r.error, "connection refused") == 0,
	    "tcp to a closed port: \"%s\"", r.error);

	/*
	 * A listener whose queue is full drops the SYN: the connect stays
	 * in progress, and the probe waits for it on the loop until its time
	 * is up (the path a remote host takes).
	 */
	{
		int full_port = 0, lfd = listener(AF_INET, "127.0.0.1", &full_port, 0), c[4], i;
		struct sockaddr_in sa;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)full_port);
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		listen(lfd, 0);
		for (i = 0; i < 4; i++) {
			c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			connect(c[i], (struct sockaddr *)&sa, sizeof(sa));
		}
		snprintf(spec, sizeof(spec), "127.0.0.1:%d", full_port);
		r = probe(ECG_NETPROBE_TCP, spec, 0.2, NULL);
		ok(r.calls == 1 && !r.ok && strcmp(r.error, "timed out after 200 ms connecting") == 0,
		    "tcp to a listener whose queue is full: \"%s\"", r.error);
		for (i = 0; i < 4; i++)
			close(c[i]);
		close(lfd);
	}

	snprintf(spec, sizeof(spec), "localhost:%d", port);
	r = probe(ECG_NETPROBE_TCP, spec, 2, &keep);
	ok(r.calls == 1 && r.ok, "localhost reaches a listener on 127.0.0.1 only (%s)", r.error);
	ok(keep.naddr == 2 && keep.addr[0].u.any.sa_family == AF_INET6 &&
	    keep.addr[1].u.any.sa_family == AF_INET && keep.next == 2,
	    "localhost: ::1 was tried first, then 127.0.0.1");
	snprintf(spec, sizeof(spec), "Foo.LocalHost:%d", closed);
	r = probe(ECG_NETPROBE_TCP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strcmp(r.error, "connection refused") == 0,
	    "*.localhost is loopback too: \"%s\"", r.error);

	fd6 = listener(AF_INET6, "::1", &port6, 1);
	if (fd6 >= 0) {
		snprintf(spec, sizeof(spec), "[::1]:%d", port6);
		r = probe(ECG_NETPROBE_TCP, spec, 2, NULL);
		ok(r.calls == 1 && r.ok, "tcp to [::1]: ready (%s)", r.error);
		close(fd6);
	} else {
		ok(1, "# SKIP no ::1 here");
	}
	close(fd);
}

static void
test_names(void)
{
	char spec[96], hosts[320], *oldpath = getenv("PATH");
	int port = 0, fd = listener(AF_INET, "127.0.0.1", &port, 1);
	struct ecg_netprobe keep;
	struct result r;
	double took;

	oldpath = oldpath != NULL ? strdup(oldpath) : NULL;
	snprintf(hosts, sizeof(hosts),
	    "# a comment line\n"
	    "\n"
	    "   \t  \n"
	    "10.9.9.9 other-name # probe-test-name in a comment\n"
	    "::1\tprobe-test-name\n"
	    "127.0.0.1   web probe-test-alias\tPROBE-TEST-NAME  # trailing comment\n"
	    "127.0.0.1 probe-test-name\n"
	    "not-an-address probe-test-name\n");
	write_file("hosts", hosts, 0644);
	snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
	ecg_netprobe_hosts_file(hosts);

	snprintf(spec, sizeof(spec), "probe-test-name:%d", port);
	r = probe(ECG_NETPROBE_TCP, spec, 2, &keep);
	ok(r.calls == 1 && r.ok, "a name from the hosts file resolves (%s)", r.error);
	ok(keep.naddr == 2 && keep.addr[0].u.any.sa_family == AF_INET6,
	    "every match in file order, case aside, deduplicated (%d)", keep.naddr);
	snprintf(spec, sizeof(spec), "probe-test-alias:%d", port);
	r = probe(ECG_NETPROBE_TCP, spec, 2, NULL);
	ok(r.calls == 1 && r.ok, "an alias resolves (%s)", r.error);

	/* A fake getent, first in PATH: it checks its arguments. */
	write_file("getent",
	    "#!/bin/sh\n"
	    "[ \"$1\" = ahosts ] && [ \"$2\" = fake-name ] || exit 2\n"
	    "printf '::1  STREAM fake-name\\n::1  DGRAM\\n127.0.0.1 STREAM\\n127.0.0.1 DGRAM\\n'\n", 0755);
	setenv("PATH", dir, 1);
	snprintf(spec, sizeof(spec), "fake-name:%d", port);
	r = probe(ECG_NETPROBE_TCP, spec, 2, &keep);
	ok(r.calls == 1 && r.ok && keep.naddr == 2,
	    "a name getent knows resolves, its lines deduplicated (%s, %d)", r.error, keep.naddr);
	snprintf(spec, sizeof(spec), "other-fake:%d", port);
	r = probe(ECG_NETPROBE_TCP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strcmp(r.error, "cannot resolve other-fake") == 0,
	    "getent finding nothing: \"%s\"", r.error);
	ok(drain() >= 0, "every getent was reaped");

	/* One that hangs: it must be killed at the timeout, and reaped. */
	write_file("getent", "#!/bin/sh\nexec /bin/sleep 30\n", 0755);
	r = probe(ECG_NETPROBE_TCP, spec, 0.2, NULL);
	ok(r.calls == 1 && !r.ok && strstr(r.error, "timed out after 200 ms") != NULL,
	    "a hanging getent: \"%s\"", r.error);
	took = drain();
	ok(took >= 0 && took < 2, "and it was killed and reaped (%.3f s)", took);
	{
		struct ecg_netprobe p;
		struct ecg_netprobe_target t;
		struct result rr = { 0 };
		const char *why;

		ecg_netprobe_parse(ECG_NETPROBE_TCP, spec, &t, &why);
		ecg_netprobe_init(&p, loop, &t, record, &rr);
		ok(ecg_netprobe_start(&p, 5) == 0 && p.resolver != NULL, "getent runs");
		ev_run(loop, EVRUN_NOWAIT);
		ecg_netprobe_destroy(&p);
		took = drain();
		ok(rr.calls == 0 && took >= 0 && took < 2,
		    "destroyed while resolving: no callback, getent killed and reaped (%.3f s)", took);
	}

	remove_file("getent");
	r = probe(ECG_NETPROBE_TCP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strncmp(r.error, "cannot resolve other-fake", 25) == 0,
	    "no getent at all: \"%s\"", r.error);
	if (oldpath != NULL)
		setenv("PATH", oldpath, 1);
	else
		unsetenv("PATH");
	free(oldpath);

	/* The real getent asks DNS, which may be too slow somewhere to answer. */
	r = probe(ECG_NETPROBE_TCP, "no-such-host.invalid:80", 4, NULL);
	if (r.calls == 1 && strstr(r.error, "timed out") != NULL)
		ok(1, "# SKIP the real getent: %s", r.error);
	else
		ok(r.calls == 1 && !r.ok && strcmp(r.error, "cannot resolve no-such-host.invalid") == 0,
		    "an unknown name, the real getent: \"%s\"", r.error);
	ok(drain() >= 0, "the real getent was reaped");
	remove_file("hosts");
	ecg_netprobe_hosts_file(NULL);
	close(fd);
}

static void
test_http(void)
{
	struct server s;
	struct result r;
	char spec[96], want[256], big[4096];

	server_start(&s, AF_INET, "127.0.0.1", ANSWER, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/health?full=1", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && r.ok, "http 200: ready (%s)", r.error);
	snprintf(want, sizeof(want), "GET /health?full=1 HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n"
	    "User-Agent: ecg-run\r\nConnection: close\r\n\r\n", s.port);
	ok(strcmp(s.req, want) == 0, "the request is the one expected");
	server_stop(&s);

	server_start(&s, AF_INET, "127.0.0.1", ANSWER, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strcmp(r.error, "HTTP status 503") == 0,
	    "http 503: \"%s\"", r.error);
	server_stop(&s);

	server_start(&s, AF_INET, "127.0.0.1", ANSWER, "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n");
	snprintf(spec, sizeof(spec), "http://localhost:%d", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && r.ok, "http 302 through localhost: ready (%s)", r.error);
	snprintf(want, sizeof(want), "GET / HTTP/1.0\r\nHost: localhost:%d\r\n", s.port);
	ok(strncmp(s.req, want, strlen(want)) == 0, "path / and the Host as written");
	server_stop(&s);

	server_start(&s, AF_INET, "127.0.0.1", ANSWER, "SSH-2.0-OpenSSH_9.2\r\n");
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strcmp(r.error, "not an HTTP status line") == 0,
	    "not HTTP: \"%s\"", r.error);
	server_stop(&s);

	server_start(&s, AF_INET, "127.0.0.1", ANSWER, "HTTP/1.0 200 OK");
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strcmp(r.error, "no HTTP status line") == 0,
	    "a status line cut short: \"%s\"", r.error);
	server_stop(&s);

	server_start(&s, AF_INET, "127.0.0.1", DRIP, "HTTP/1.1 200 OK\r\n\r\n");
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && r.ok && s.sent > 1, "a status line sent a byte at a time: ready (%s)", r.error);
	server_stop(&s);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "HTTP/1.1 200 ", 13);
	server_start(&s, AF_INET, "127.0.0.1", ANSWER, big);
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strcmp(r.error, "not an HTTP status line") == 0,
	    "a first line of 4 KiB: \"%s\"", r.error);
	server_stop(&s);

	server_start(&s, AF_INET, "127.0.0.1", HANG_UP, NULL);
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strncmp(r.error, "no HTTP status line", 19) == 0,
	    "a server that hangs up: \"%s\"", r.error);
	server_stop(&s);

	server_start(&s, AF_INET, "127.0.0.1", SILENT, NULL);
	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/", s.port);
	r = probe(ECG_NETPROBE_HTTP, spec, 0.2, NULL);
	ok(r.calls == 1 && !r.ok &&
	    strcmp(r.error, "timed out after 200 ms waiting for the HTTP status") == 0,
	    "a server that never answers: \"%s\"", r.error);
	server_stop(&s);

	if (server_start(&s, AF_INET6, "::1", ANSWER, "HTTP/1.0 204 No Content\r\n\r\n") == 0) {
		snprintf(spec, sizeof(spec), "http://[::1]:%d/", s.port);
		r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
		ok(r.calls == 1 && r.ok && strstr(s.req, "\r\nHost: [::1]:") != NULL,
		    "http to [::1]: ready, Host [::1]:PORT (%s)", r.error);
		server_stop(&s);
	} else {
		ok(1, "# SKIP no ::1 here");
	}

	snprintf(spec, sizeof(spec), "http://127.0.0.1:%d/", closed_port());
	r = probe(ECG_NETPROBE_HTTP, spec, 2, NULL);
	ok(r.calls == 1 && !r.ok && strcmp(r.error, "connection refused") == 0,
	    "http to a closed port: \"%s\"", r.error);
}

int
main(void)
{
	loop = ev_default_loop(0);
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_parse();
	test_tcp();
	test_names();
	test_http();
	ok(drain() >= 0, "nothing is left on the loop");
	rmdir(dir);
	ev_loop_destroy(loop);
	return tap_done();
}
