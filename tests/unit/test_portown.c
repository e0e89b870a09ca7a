/* Who holds a port: this machine's addresses, listeners from before a task, and their holders. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/portown.h"
#include "tap.h"

/* A socket listening on 127.0.0.1 at a port of the kernel's choice: its fd, *port set. */
static int
listener(char *port, size_t len)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	snprintf(port, len, "%u", (unsigned)ntohs(a.sin_port));
	return fd;
}

int
main(void)
{
	struct ecg_portown o = { 0 };
	char port[8], comm[64], host[256];
	pid_t holder;
	int fd, rc;

	ok(ecg_portown_local("localhost") && ecg_portown_local("127.0.0.5") &&
	    ecg_portown_local("::1") && ecg_portown_local("0.0.0.0") &&
	    ecg_portown_local("web.localhost"), "loopback and any-address are this machine's");
	ok(!ecg_portown_local("192.0.2.7") && !ecg_portown_local("example.com"),
	    "another address, a name not its own, are not (and nothing is looked up)");
	if (gethostname(host, sizeof(host)) == 0)
		ok(ecg_portown_local(host), "its own host name is (%s)", host);

	/* a listener that was there before the task started */
	fd = listener(port, sizeof(port));
	ok(fd >= 0 && ecg_portown_start(&o, "127.0.0.1", port) == 0 && o.active && o.nbefore == 1,
	    "the listener there at the start is noted (port %s)", port);
	rc = ecg_portown_foreign(&o, getpgrp() + 100000, "web", &holder, comm, sizeof(comm));
	ok(rc == 1 && holder == getpid(), "held by a process not of the task: foreign, its holder "
	    "named (%ld, %s)", (long)holder, comm);
	ok(ecg_portown_foreign(&o, getpgrp(), "web", &holder, comm, sizeof(comm)) == 0,
	    "held by the task's process group: its own");
	ecg_portown_free(&o);
	close(fd);

	/* nothing at the start; a listener that comes after is the task's, or its proxy */
	fd = listener(port, sizeof(port));
	close(fd);
	ok(ecg_portown_start(&o, "localhost", port) == 0 && o.active && o.nbefore == 0,
	    "nothing listens at the start");
	fd = listener(port, sizeof(port));
	ok(ecg_portown_foreign(&o, getpgrp() + 100000, "web", &holder, comm, sizeof(comm)) == 0,
	    "a listener that came after the start counts");
	ecg_portown_free(&o);
	close(fd);

	ok(ecg_portown_start(&o, "192.0.2.7", "80") == 0 && !o.active &&
	    ecg_portown_foreign(&o, 1, "web", &holder, comm, sizeof(comm)) == 0,
	    "another machine's port is not looked at");
	return tap_done();
}
