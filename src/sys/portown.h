/*
 * portown: who holds a listening TCP port of this machine.
 *
 * A tcp or http readiness check that connects to an address of this
 * machine could be answered by a server that was there before the task
 * started (a stale one, another copy): the task's own server then fails
 * with "address already in use", and the group runs against the
 * impostor.  Linux tells which socket listens on a port (/proc/net/tcp
 * and tcp6, by inode) and which process holds a socket (its descriptors
 * in /proc/PID/fd).  So the listeners on the port are noted when the task
 * starts; a check that connects passes if a listener came after that (the
 * task's own server, or a container runtime's proxy for it), or if one of
 * the task's own processes holds a listener; otherwise the port is held
 * by someone else, and ecg-run can say who.
 */
#ifndef ECG_PORTOWN_H
#define ECG_PORTOWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ecg_portown {
	int active;			/* the check's host is an address of this machine */
	uint16_t port;
	uint64_t *before;		/* the inodes of the listeners when the task started */
	size_t nbefore;
};

/* The port it watches. */
unsigned ecg_portown_port(const struct ecg_portown *o);

/*
 * For a check of host:port: notes the listeners on the port now, when host
 * (as written) is an address of this machine.  0 or -ENOMEM (then no
 * check is made).
 */
int ecg_portown_start(struct ecg_portown *o, const char *host, const char *port);
void ecg_portown_free(struct ecg_portown *o);

/*
 * After a check connected: 0 if the port is the task's (a listener that
 * came after its start, or one held by a process of process group pgid or
 * whose environment says ECG_RUN_TASK=task), 1 if it is held by another
 * process, with its pid (0 if not found) and program name in comm.
 */
int ecg_portown_foreign(const struct ecg_portown *o, pid_t pgid, const char *task,
    pid_t *holder, char *comm, size_t len);

/* Whether host (a name as written, or an address) is an address of this machine. */
int ecg_portown_local(const char *host);

#endif
