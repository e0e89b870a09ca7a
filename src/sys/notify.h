/*
 * notify: systemd's readiness protocol (sd_notify), both ways.
 *
 * Listening: a task with ready = notify is given a NOTIFY_SOCKET of its
 * own, a datagram socket in a private directory of this run, and is ready
 * when one of its processes sends READY=1 there, as real daemons do
 * (redis-server --supervised systemd).  Only the task's processes are
 * heard: the kernel tells each datagram's sender, and one from outside the
 * task's session or process group is refused and counted.
 *
 * Sending: when ecg-run itself runs under a service manager that gave it a
 * NOTIFY_SOCKET, it reports READY=1 once the group is ready and STOPPING=1
 * once it is cancelled.
 */
#ifndef ECG_NOTIFY_H
#define ECG_NOTIFY_H

#include <ev.h>
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A private directory for the sockets of one run: mode 0700, made under
 * $XDG_RUNTIME_DIR if set and usable, else $TMPDIR, else /tmp, named
 * "ecg-run.XXXXXX".  A base is passed over when it is not absolute, when
 * the directory cannot be made there, or when its path leaves too little
 * room in a socket address for the sockets' names.
 */
struct ecg_notify_dir {
	char path[PATH_MAX];
	int made;		/* 1 while the directory exists */
};

/* 0 or -errno (the last base's error when none was usable). */
int ecg_notify_dir_make(struct ecg_notify_dir *d);
/*
 * Removes it; it must be empty by then (each socket is unlinked by its
 * owner's close).  Safe if not made, and twice.
 */
void ecg_notify_dir_remove(struct ecg_notify_dir *d);

struct ecg_notify;

/*
 * A process of the task said something: ready has ECG_NOTIFY_READY when
 * the datagram holds READY=1, ECG_NOTIFY_WATCHDOG when it holds
 * WATCHDOG=1; status is its STATUS= text (NUL-terminated, valid only
 * during the call; NULL if none); pid is the sender's.  Called only for
 * datagrams that hold one of them.  The callback may close n, but not
 * free it.
 */
#define ECG_NOTIFY_READY 1
#define ECG_NOTIFY_WATCHDOG 2
typedef void (*ecg_notify_cb)(struct ecg_notify *n, int ready, const char *status, pid_t pid,
    void *arg);

/* One task's listening socket. */
struct ecg_notify {
	struct ev_loop *loop;
	int fd;			/* -1 when closed */
	ev_io readable;		/* started by ecg_notify_watch */
	char path[108];		/* the socket's path: the task's NOTIFY_SOCKET; "" when none */
	pid_t owner;		/* the task's process group (= session) id; 0 until known */
	size_t ignored;		/* datagrams refused: wrong sender, or malformed */
	ecg_notify_cb cb;
	/* A datagram was refused: pid its sender (0: unknown), why in words (may be NULL). */
	void (*refused)(struct ecg_notify *n, pid_t pid, const char *why, void *arg);
	void *arg;		/* passed to cb and refused */
};

void ecg_notify_init(struct ecg_notify *n, struct ev_loop *loop, ecg_notify_cb cb, void *arg);
/* Refused datagrams are said to refused (NULL: to nobody). */
void ecg_notify_on_refused(struct ecg_notify *n,
    void (*refused)(struct ecg_notify *n, pid_t pid, const char *why, void *arg));
/* Reads what waits on the socket now, if it is watched (as the loop would). */
void ecg_notify_drain(struct ecg_notify *n);
/* The socket's path ("" when there is none). */
const char *ecg_notify_path(const struct ecg_notify *n);
/*
 * Binds a datagram socket at DIR/NAME (name chosen by the caller, e.g.
 * "3.sock"): 0, -ENAMETOOLONG if the path does not fit a socket address,
 * -EBUSY if n is open already, or another -errno.  The socket passes
 * credentials, does not block and is closed on exec; nothing is read from
 * it before ecg_notify_watch, so a task may be started (and may speak)
 * before its process group is known: its datagrams wait in the socket.
 */
int ecg_notify_open(struct ecg_notify *n, const struct ecg_notify_dir *d, const char *name);
/*
 * From now on, datagrams from the processes of process group or session
 * owner (the task's main process and what it starts) are heard; starts the
 * watcher.  Called again, it changes the owner.  An owner <= 0 hears no one.
 */
void ecg_notify_watch(struct ecg_notify *n, pid_t owner);
/* Stops, closes and unlinks.  Safe twice, and on an object only init'ed. */
void ecg_notify_close(struct ecg_notify *n);

/*
 * Sends msg (e.g. "READY=1" or "STOPPING=1") to the socket named by the
 * environment value socket: an absolute path, or "@name" for the abstract
 * namespace.  NULL or empty: nothing is sent and 0 returned.  0, or
 * -ENAMETOOLONG, -EINVAL (neither '/' nor '@'), or the error of sending;
 * never blocks: a full receiver gives -EAGAIN.
 */
int ecg_notify_send(const char *socket, const char *msg);

#endif
