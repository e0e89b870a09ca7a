/*
 * server: the control socket on a real loop.  A live server's path is
 * refused, a stale socket replaced; requests are answered line by line;
 * a bad request gets an error and the connection stays; a request past
 * the limit is refused and closed; a client that never reads loses
 * stream lines (counted) and blocks nothing; the socket is 0600 and gone
 * after close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/server.h"
#include "tap.h"

static int requests;

static int
on_request(struct ecg_control *c, struct ecg_control_client *cl, const struct ecg_json_object *req,
    struct ecg_buf *reply, void *arg)
{
	const struct ecg_json_member *cmd = ecg_json_get(req, "cmd");

	(void)c;
	(void)arg;
	requests++;
	if (cmd != NULL && cmd->type == ECG_JSON_STRING && strcmp(cmd->str, "stream") == 0) {
		cl->streaming = 1;
		ecg_buf_puts(reply, "{\"ok\":true}");
		return 0;
	}
	ecg_buf_printf(reply, "{\"ok\":true,\"cmd\":\"%s\"}",
	    cmd != NULL && cmd->type == ECG_JSON_STRING ? cmd->str : "?");
	return 0;
}

static int
dial(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Runs the loop until fd has a whole line (or 2 s pass): the line, or "". */
static const char *
answer(struct ev_loop *loop, int fd)
{
	static char line[70000];
	size_t n = 0;
	int i;

	for (i = 0; i < 2000; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		ev_run(loop, EVRUN_NOWAIT);
		if (poll(&p, 1, 1) == 1) {
			ssize_t r = recv(fd, line + n, 1, 0);
			if (r <= 0)
				break;
			if (line[n] == '\n') {
				line[n] = '\0';
				return line;
			}
			n++;
		}
	}
	line[n] = '\0';
	return n > 0 ? line : "";
}

static void
say(int fd, const char *s)
{
	(void)!write(fd, s, strlen(s));
}

int
main(void)
{
	char dir[] = "/tmp/ecg-server-XXXXXX", path[256], *big;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ecg_control c, c2;
	struct ecg_buf err = ECG_BUF_INIT;
	struct stat st;
	pid_t live;
	int fd, fd2, i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/g.sock", dir);
	ecg_control_init(&c, loop, on_request, NULL);
	ok(ecg_control_listen(&c, path, &live, &err) == 0, "listens (%s)", ecg_buf_str(&err));
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
	    "a socket, 0600");
	ecg_control_init(&c2, loop, on_request, NULL);
	ok(ecg_control_listen(&c2, path, &live, &err) == -EADDRINUSE && live == getpid() &&
	    strstr(ecg_buf_str(&err), "another ecg-run") != NULL,
	    "a second one at the same path is refused, naming the live one's pid");
	ecg_control_destroy(&c2);

	fd = dial(path);
	say(fd, "{\"cmd\":\"status\"}\n");
	ok(strcmp(answer(loop, fd), "{\"ok\":true,\"cmd\":\"status\"}") == 0, "a request, answered");
	say(fd, "{\"cmd\":\"a\"}\n{\"cmd\":\"b\"}\n");
	ok(strcmp(answer(loop, fd), "{\"ok\":true,\"cmd\":\"a\"}") == 0 &&
	    strcmp(answer(loop, fd), "{\"ok\":true,\"cmd\":\"b\"}") == 0, "two in one write, in order");
	say(fd, "{\"cmd\":\n");
	ok(strstr(answer(loop, fd), "\"error\":\"bad request: at byte") != NULL,
	    "a bad request: an error answer");
	say(fd, "{\"cmd\":\"after\"}\n");
	ok(strcmp(answer(loop, fd), "{\"ok\":true,\"cmd\":\"after\"}") == 0,
	    "and the connection goes on");
	close(fd);

	fd = dial(path);
	big = malloc(ECG_CONTROL_REQUEST_MAX + 100);
	memset(big, ' ', ECG_CONTROL_REQUEST_MAX + 99);
	big[ECG_CONTROL_REQUEST_MAX + 99] = '\0';
	say(fd, big);
	free(big);
	ok(strstr(answer(loop, fd), "at most 65536 bytes") != NULL, "a request past 64 KiB: refused");
	ok(strcmp(answer(loop, fd), "") == 0 && c.nclients == 0, "and closed");
	close(fd);

	/* A streaming client that never reads: lines are lost, counted; the loop goes on. */
	fd = dial(path);
	say(fd, "{\"cmd\":\"stream\"}\n");
	answer(loop, fd);
	fd2 = dial(path);
	for (i = 0; i < 200 && c.nclients < 2; i++)
		ev_run(loop, EVRUN_NOWAIT);
	big = malloc(4096);
	memset(big, 'x', 4095);
	big[4095] = '\0';
	for (i = 0; i < 2000; i++)
		ecg_control_stream(c.clients[0], big, 4095);
	free(big);
	ok(c.clients[0]->lost > 0, "a client that does not read loses stream lines (%lu)",
	    c.clients[0]->lost);
	say(fd2, "{\"cmd\":\"other\"}\n");
	ok(strcmp(answer(loop, fd2), "{\"ok\":true,\"cmd\":\"other\"}") == 0,
	    "another client is answered meanwhile");
	close(fd);
	close(fd2);

	ecg_control_destroy(&c);
	ok(access(path, F_OK) < 0, "the socket is gone after close");
	/* A stale socket (nobody listens) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		strcpy(a.sun_path, path);
		(void)!bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	close(fd);
	ecg_control_init(&c, loop, on_request, NULL);
	ecg_buf_reset(&err);
	ok(ecg_control_listen(&c, path, &live, &err) == 0, "a stale socket is replaced (%s)",
	    ecg_buf_str(&err));
	ecg_control_destroy(&c);
	rmdir(dir);
	ecg_buf_free(&err);
	ev_loop_destroy(loop);
	return tap_done();
}
