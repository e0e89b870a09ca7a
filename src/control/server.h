/*
 * server: the control socket of a run.  A Unix stream socket; each
 * client sends requests, one JSON object per line (json.h), and gets one
 * JSON object per line back.  Only ecg-run's own user or root may talk to
 * it (the peer's credentials are checked at accept; others are closed,
 * and said as an event); a request is at most ECG_CONTROL_REQUEST_MAX
 * bytes; at most ECG_CONTROL_CLIENTS clients at once; a client that says
 * nothing, or does not read, costs a buffer and never blocks the loop.
 * Idle, the socket costs no wakeups: it is one ev_io.
 *
 * What a request does is the owner's (commands): the server reads,
 * answers and streams.
 */
#ifndef ECG_SERVER_H
#define ECG_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"
#include "control/json.h"

#define ECG_CONTROL_REQUEST_MAX ((size_t)64 * 1024)
#define ECG_CONTROL_CLIENTS 64
/* A client's unread replies and stream lines, at most; past it, stream lines are lost (counted). */
#define ECG_CONTROL_OUT_MAX ((size_t)1024 * 1024)
/* At the end, how long a client may take nothing of what waits for it before it is given up. */
#define ECG_CONTROL_LINGER_MS 200

struct ecg_control;
struct ecg_control_client;

/*
 * The owner handles a request: writes its reply (one JSON object, no
 * newline) into reply.  Returns 0 to answer now; 1 if the answer comes
 * later (ecg_control_answer), the client waiting.
 */
typedef int (*ecg_control_request_fn)(struct ecg_control *c, struct ecg_control_client *cl,
    const struct ecg_json_object *req, struct ecg_buf *reply, void *arg);

struct ecg_control_client {
	struct ecg_control *ctl;
	int fd;
	pid_t pid;			/* the peer's */
	ev_io readable, writable;
	struct ecg_buf in;		/* a request being read */
	struct ecg_buf out;		/* what waits to be written, from off */
	size_t off;
	unsigned long lost;		/* stream lines thrown away */
	int waiting;			/* a request's answer is due */
	int streaming;			/* not 0: lines go on until the end (the owner's kind) */
	int closing;			/* close once out is written */
	void *data;			/* the owner's */
};

struct ecg_control {
	struct ev_loop *loop;
	int fd;				/* listening, -1 when none */
	char *path;
	ev_io acceptable;
	struct ecg_control_client *clients[ECG_CONTROL_CLIENTS];
	size_t nclients;
	ecg_control_request_fn request;
	void *arg;
	/* A connection was refused: its pid (0: unknown) and why. */
	void (*refused)(pid_t pid, const char *why, void *arg);
	/* A client is going (its answer will never be asked for again). */
	void (*gone)(const struct ecg_control_client *cl, void *arg);
};

void ecg_control_init(struct ecg_control *c, struct ev_loop *loop, ecg_control_request_fn request,
    void *arg);
/*
 * Listens at path: a live server there is refused (-EADDRINUSE, *live its
 * pid when known), a stale socket is replaced.  0 or -errno, err says.
 */
int ecg_control_listen(struct ecg_control *c, const char *path, pid_t *live, struct ecg_buf *err);
/* The answer of a request that said 1; line without newline. */
void ecg_control_answer(struct ecg_control_client *cl, const char *line, size_t len);
/* A line to a streaming client (lost, counted, if it is too far behind). */
void ecg_control_stream(struct ecg_control_client *cl, const char *line, size_t len);
/*
 * Closes every client and the socket, and removes it.  A stream ends with
 * {"end":true,"lost":N}; what waits goes out first, as far as each client
 * takes it (one that takes nothing for ECG_CONTROL_LINGER_MS is given up).
 */
void ecg_control_close(struct ecg_control *c);
void ecg_control_destroy(struct ecg_control *c);

#endif
