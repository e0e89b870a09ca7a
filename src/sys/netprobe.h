/*
 * netprobe: one attempt of a network readiness check, "ready = tcp
 * HOST:PORT" or "ready = http URL", made without ever blocking the loop.
 *
 * An attempt resolves the host, tries its addresses in turn until one
 * accepts a connection and, for http, sends one GET and reads the status
 * line.  It ends with exactly one callback, from the loop, and is bounded
 * as a whole, resolution included, by the timeout given to start.  When
 * to try again is the caller's business.
 *
 * Names are resolved without getaddrinfo, which a statically linked glibc
 * program cannot use cleanly: a numeric address first, then localhost
 * (::1, then 127.0.0.1), then the hosts file, and last `getent ahosts
 * NAME` run as a child whose output is read from a pipe on the loop.  That
 * child is reaped by an ev_child watcher, so this last step needs the
 * default loop.  It is killed when its attempt is cancelled or times out,
 * and reaped later by the loop even if the probe is destroyed meanwhile;
 * while it runs it is a child of ours that belongs to no task.
 */
#ifndef ECG_NETPROBE_H
#define ECG_NETPROBE_H

#include <ev.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* Most addresses tried in one attempt; a name may have more. */
#define ECG_NETPROBE_ADDRS 16

enum ecg_netprobe_kind { ECG_NETPROBE_TCP, ECG_NETPROBE_HTTP };

/* What a check names, parsed once at load time. */
struct ecg_netprobe_target {
	enum ecg_netprobe_kind kind;
	char host[256];		/* as written, without [] for IPv6 */
	char port[6];		/* decimal */
	char path[1024];	/* http: the request target, "/" if none */
	char hostport[300];	/* http: the Host header value as written in the URL */
};

/*
 * Parses spec, "HOST:PORT" or "[V6ADDR]:PORT" for tcp and
 * "http://HOST[:PORT][/PATH]" for http (port 80 by default; the path is
 * everything from the first '/' after the host, query included, up to a
 * '#'): 0, or -1 with *why set to a static reason, for messages like
 * "ready 'tcp x': REASON".
 */
int ecg_netprobe_parse(enum ecg_netprobe_kind kind, const char *spec,
    struct ecg_netprobe_target *t, const char **why);

struct ecg_netprobe;
struct ecg_netprobe_resolver;	/* a getent child (netprobe.c) */

/*
 * ok: 1 ready (error is NULL), 0 not (error says why, e.g. "connection
 * refused", "HTTP status 503"; it is valid during the call only).  The
 * callback may restart or destroy the probe.
 */
typedef void (*ecg_netprobe_cb)(struct ecg_netprobe *p, int ok, const char *error, void *arg);

/* One address to try, with the target's port. */
struct ecg_netprobe_addr {
	union {
		struct sockaddr any;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

struct ecg_netprobe {
	struct ev_loop *loop;
	struct ecg_netprobe_target target;
	ecg_netprobe_cb cb;
	void *arg;				/* passed to cb */
	int state;				/* the step of the attempt (netprobe.c); 0 when idle */
	int fd;					/* getent's output while resolving, then the socket; -1 when none */
	ev_io io;				/* on fd; also takes the first step, after start */
	ev_timer deadline;			/* bounds the whole attempt */
	double timeout;				/* of the attempt, in seconds */
	struct ecg_netprobe_resolver *resolver;	/* getent while we want its answer, else NULL */
	struct ecg_netprobe_addr addr[ECG_NETPROBE_ADDRS];	/* in the order to try */
	int naddr;				/* addresses found */
	int next;				/* the next one to try */
	size_t len;				/* bytes in buf */
	size_t off;				/* of the request, the bytes sent */
	char buf[1536];				/* getent's answer, then the request, then the status line */
	char error[512];			/* the failure to report: a host name (255) fits */
};

/* Sets up an idle probe of t (copied); allocates nothing. */
void ecg_netprobe_init(struct ecg_netprobe *p, struct ev_loop *loop,
    const struct ecg_netprobe_target *t, ecg_netprobe_cb cb, void *arg);
/*
 * Starts one attempt bounded by timeout seconds: 0, or -errno (-EBUSY
 * while an attempt runs, -EINVAL for a timeout that is not positive, or
 * what the system refused us: a pipe, a process).  The callback runs later,
 * from the loop, never from inside start.
 */
int ecg_netprobe_start(struct ecg_netprobe *p, double timeout);
/* Stops an attempt in progress without calling back.  Safe when idle. */
void ecg_netprobe_cancel(struct ecg_netprobe *p);
int ecg_netprobe_busy(const struct ecg_netprobe *p);
/* Cancels and lets go of everything; safe on an init'ed, idle or zeroed one. */
void ecg_netprobe_destroy(struct ecg_netprobe *p);

/*
 * Reads names from path instead of /etc/hosts, for tests (NULL restores
 * /etc/hosts).  The file is read afresh at each attempt.
 */
void ecg_netprobe_hosts_file(const char *path);

#endif
