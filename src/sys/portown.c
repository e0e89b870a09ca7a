#define _GNU_SOURCE
#include "sys/portown.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "sys/escapees.h"

/* The start of whitespace-separated field i (from 0) of line, or NULL. */
static const char *
field(const char *line, int i)
{
	const char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n')
			return NULL;
		if (i-- == 0)
			return p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
	}
}

/* Appends inode to the list: 0 or -ENOMEM. */
static int
add_inode(uint64_t **out, size_t *n, size_t *cap, uint64_t inode)
{
	uint64_t *v;

	if (*n == *cap || *out == NULL) {
		*cap = *cap > *n ? *cap : *n > 0 ? 2 * *n : 8;
		v = realloc(*out, *cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		*out = v;
	}
	(*out)[(*n)++] = inode;
	return 0;
}

/*
 * The listeners on port of one address family, asked of the kernel's
 * socket diagnostics (sock_diag): it walks only the listening sockets,
 * where reading /proc/net/tcp walks the whole connection table, which
 * took about a millisecond a read here even with nothing in it.  0,
 * -ENOMEM, or -EPROTO when the kernel cannot be asked this way.
 */
static int
diag_listeners(int family, uint16_t port, uint64_t **out, size_t *n, size_t *cap)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	char buf[8192] __attribute__((aligned(4)));
	int fd, rc = 0, done = 0;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -EPROTO;
	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_len = sizeof(q);
	q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	q.req.sdiag_family = (uint8_t)family;
	q.req.sdiag_protocol = IPPROTO_TCP;
	q.req.idiag_states = 1U << 10;		/* TCP_LISTEN */
	q.req.id.idiag_sport = htons(port);	/* listeners are matched on it */
	if (sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return -EPROTO;
	}
	while (!done && rc == 0) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			rc = -EPROTO;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				rc = -EPROTO;
				break;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			if (ntohs(m->id.idiag_sport) == port && m->idiag_inode != 0 &&
			    add_inode(out, n, cap, m->idiag_inode) < 0)
				rc = -ENOMEM;
		}
	}
	close(fd);
	return rc;
}

/* The inodes of the sockets that listen on port, from both of the kernel's tables. */
static int
listeners(uint16_t port, uint64_t **out, size_t *n)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	size_t cap = 0, i;
	char line[512];
	int rc;

	*out = NULL;
	*n = 0;
	rc = diag_listeners(AF_INET, port, out, n, &cap);
	if (rc == 0)
		rc = diag_listeners(AF_INET6, port, out, n, &cap);
	if (rc != -EPROTO)
		return rc;
	/* No socket diagnostics here: the tables in /proc. */
	*n = 0;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "re");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			const char *local = field(line, 1), *colon;
			unsigned long lport, state, inode;
			/* "sl: LOCAL:PORT REMOTE:PORT ST TX:RX TR:WHEN RETR UID TIMEOUT INODE" */
			if (local == NULL || (colon = strchr(local, ':')) == NULL || field(line, 9) == NULL)
				continue;
			lport = strtoul(colon + 1, NULL, 16);
			state = strtoul(field(line, 3), NULL, 16);
			inode = strtoul(field(line, 9), NULL, 10);
			if (lport != port || state != 0x0A || inode == 0)
				continue;
			if (add_inode(out, n, &cap, inode) < 0) {
				fclose(f);
				return -ENOMEM;
			}
		}
		fclose(f);
	}
	return 0;
}

static int
among(const uint64_t *v, size_t n, uint64_t x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

int
ecg_portown_local(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;
	struct ifaddrs *ifs, *i;
	char name[HOST_NAME_MAX + 1];
	int local = 0, family;

	if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "ip6-localhost") == 0)
		return 1;
	if (strlen(host) > 10 && strcasecmp(host + strlen(host) - 10, ".localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		uint32_t h = ntohl(a4.s_addr);
		if ((h >> 24) == 127 || h == 0)
			return 1;
		family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6))
			return 1;
		family = AF_INET6;
	} else {
		/* A name: this machine's own, or it is not looked up (no waiting on DNS). */
		return gethostname(name, sizeof(name)) == 0 && strcasecmp(name, host) == 0;
	}
	if (getifaddrs(&ifs) < 0)
		return 0;
	for (i = ifs; i != NULL && !local; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET)
			local = memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, &a4, 4) == 0;
		else
			local = memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, &a6, 16) == 0;
	}
	freeifaddrs(ifs);
	return local;
}

int
ecg_portown_start(struct ecg_portown *o, const char *host, const char *port)
{
	unsigned long p = strtoul(port, NULL, 10);

	ecg_portown_free(o);
	if (p == 0 || p > 65535 || !ecg_portown_local(host))
		return 0;
	o->port = (uint16_t)p;
	if (listeners(o->port, &o->before, &o->nbefore) < 0)
		return -ENOMEM;
	o->active = 1;
	return 0;
}

void
ecg_portown_free(struct ecg_portown *o)
{
	free(o->before);
	o->before = NULL;
	o->nbefore = 0;
	o->active = 0;
}

/*
 * Whether pid is one of the task's processes: in its process group, or a
 * process that left it (it came to us, a child subreaper, and its
 * environment names the task; a stale server of an earlier run names it
 * too, but is no child of ours).
 */
static int
the_tasks(pid_t pid, pid_t pgid, const char *task)
{
	pid_t ppid = -1, pgrp = -1;
	char name[256];

	if (ecg_escapees_stat(pid, &ppid, &pgrp) < 0)
		return 0;
	if (pgrp == pgid)
		return 1;
	return ppid == getpid() && ecg_escapees_task_of(pid, name, sizeof(name)) == 0 &&
	    strcmp(name, task) == 0;
}

/* Whether pid holds one of the sockets (a descriptor "socket:[INODE]"). */
static int
holds(pid_t pid, const uint64_t *inodes, size_t n)
{
	char path[64], link[64];
	struct dirent *de;
	unsigned long inode;
	ssize_t len;
	DIR *dir;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while (!found && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strncmp(link, "socket:[", 8) != 0)
			continue;
		inode = strtoul(link + 8, NULL, 10);
		found = among(inodes, n, inode);
	}
	closedir(dir);
	return found;
}

int
ecg_portown_foreign(const struct ecg_portown *o, pid_t pgid, const char *task, pid_t *holder,
    char *comm, size_t len)
{
	uint64_t *now = NULL;
	size_t n = 0, i;
	struct dirent *de;
	int foreign, ours = 0;
	DIR *dir;

	*holder = 0;
	if (comm != NULL && len > 0)
		comm[0] = '\0';
	if (!o->active || listeners(o->port, &now, &n) < 0 || n == 0) {
		free(now);
		return 0;		/* nothing to tell by: the check's word stands */
	}
	for (i = 0; i < n; i++)
		if (!among(o->before, o->nbefore, now[i])) {
			free(now);
			return 0;	/* there since the task's start: its own, or its proxy */
		}
	/* Every listener was there before the task: is one of them the task's? */
	dir = opendir("/proc");
	while (dir != NULL && !ours && (de = readdir(dir)) != NULL) {
		pid_t pid;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (!holds(pid, now, n))
			continue;
		if (the_tasks(pid, pgid, task))
			ours = 1;
		else if (*holder == 0) {
			*holder = pid;
			if (comm != NULL && ecg_escapees_comm(pid, comm, len) < 0)
				comm[0] = '\0';
		}
	}
	if (dir != NULL)
		closedir(dir);
	/* A holder hidden from us (another user's, without root) is not the task's either. */
	if (ours)
		*holder = 0;
	foreign = !ours;
	free(now);
	return foreign;
}

unsigned
ecg_portown_port(const struct ecg_portown *o)
{
	return o->port;
}
