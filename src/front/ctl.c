#define _GNU_SOURCE
#include "front/ctl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/buf.h"
#include "control/json.h"
#include "config/config.h"
#include "config/value.h"
#include "control/sockpath.h"
#include "output/frame.h"
#include "report/evjson.h"

static const char ctl_usage[] =
    "Usage: ecg-run ctl [-s PATH | -c FILE [--pid PID]] COMMAND [ARG]...\n"
    "Act on a running group through its control socket: -s PATH; -c FILE, the\n"
    "group of that file (--pid picks one of several); else $ECG_CONTROL.\n"
    "\n"
    "  status [--json] [TASK]...   a row per task (--json: the answer as it is)\n"
    "  signal SIG TASK...          send SIG to the tasks' process groups\n"
    "  restart TASK...             stop the tasks and start them again (no failure)\n"
    "  stop TASK...                stop the tasks and keep them stopped (no failure)\n"
    "  start TASK...               start tasks that are stopped or have ended\n"
    "  restart --wait TASK...      and answer once they are ready again\n"
    "  wait [--timeout D] [TASK]...  answer once the tasks (the group) are ready\n"
    "  check                       0 while the group is ready, healthy, not stopping\n"
    "  shutdown                    stop the group as SIGTERM would (status 0)\n"
    "  events                      every event from now on, as JSON Lines\n"
    "  logs [TASK]...              the tasks' output lines from now on, prefixed\n"
    "\n"
    "Exit status: 0 done, 1 refused, 2 usage error, 3 no running group answers.\n";

static int __attribute__((format(printf, 1, 2)))
usage(const char *fmt, ...)
{
	va_list ap;

	fputs("ecg-run ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ecg-run ctl --help' for more information.\n", stderr);
	return ECG_CTL_USAGE;
}

static int
dial(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The next line from fd into line (without its newline): 1, or 0 at the end. */
static int
next_line(int fd, struct ecg_buf *in, struct ecg_buf *line)
{
	char buf[4096], *nl;
	ssize_t n;

	for (;;) {
		if (in->len > 0 && (nl = memchr(in->p, '\n', in->len)) != NULL) {
			size_t len = (size_t)(nl - in->p);
			ecg_buf_reset(line);
			ecg_buf_put(line, in->p, len);
			memmove(in->p, nl + 1, in->len - len - 1);
			in->len -= len + 1;
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		ecg_buf_put(in, buf, (size_t)n);
	}
}

/*
 * -c FILE: the live sockets of that file's group in the default place
 * (NAME-PID.sock that answer); --pid picks one.  The path into path: 0,
 * or an exit status once said.
 */
static int
find_group(const char *file, long want_pid, struct ecg_buf *path)
{
	struct ecg_group_spec spec;
	struct ecg_buf err = ECG_BUF_INIT, dir = ECG_BUF_INIT, prefix = ECG_BUF_INIT,
	    found = ECG_BUF_INIT;
	DIR *d;
	struct dirent *e;
	size_t nfound = 0;
	int rc = 0, fd;

	if (ecg_config_load(&spec, file, &err) < 0) {
		fprintf(stderr, "ecg-run ctl: %s\n", ecg_buf_str(&err));
		ecg_config_free(&spec);
		ecg_buf_free(&err);
		return ECG_CTL_USAGE;
	}
	if (spec.control != NULL && strcmp(spec.control, "none") != 0) {
		ecg_buf_puts(path, spec.control);
		goto out;
	}
	ecg_sockpath_dir(getenv("XDG_RUNTIME_DIR"), &dir);
	ecg_buf_printf(&prefix, "%s-", spec.name);
	if ((d = opendir(ecg_buf_str(&dir))) != NULL) {
		while ((e = readdir(d)) != NULL) {
			const char *p = e->d_name + prefix.len;
			char *end;
			long pid;
			if (strncmp(e->d_name, prefix.p, prefix.len) != 0)
				continue;
			pid = strtol(p, &end, 10);
			if (end == p || strcmp(end, ".sock") != 0 || (want_pid > 0 && pid != want_pid))
				continue;
			ecg_buf_reset(&err);
			ecg_buf_printf(&err, "%s/%s", ecg_buf_str(&dir), e->d_name);
			if ((fd = dial(ecg_buf_str(&err))) < 0)
				continue;	/* stale: its ecg-run is gone */
			close(fd);
			if (nfound++ == 0) {
				ecg_buf_reset(path);
				ecg_buf_puts(path, ecg_buf_str(&err));
			}
			ecg_buf_printf(&found, "%s  %s\n", p, ecg_buf_str(&err));
		}
		closedir(d);
	}
	if (nfound == 0) {
		fprintf(stderr, "ecg-run ctl: no running group of %s answers%s\n", file,
		    want_pid > 0 ? " with that pid" : "");
		rc = ECG_CTL_NO_GROUP;
	} else if (nfound > 1) {
		fprintf(stderr, "ecg-run ctl: %zu running groups of %s: pick one with --pid "
		    "PID:\n%s", nfound, file, ecg_buf_str(&found));
		rc = ECG_CTL_USAGE;
	}
out:
	ecg_config_free(&spec);
	ecg_buf_free(&err);
	ecg_buf_free(&dir);
	ecg_buf_free(&prefix);
	ecg_buf_free(&found);
	return rc;
}

/* Names as a JSON array into b. */
static void
names(struct ecg_buf *b, char **argv, int n)
{
	int i;

	ecg_buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			ecg_buf_putc(b, ',');
		ecg_evjson_string_whole(b, argv[i]);
	}
	ecg_buf_puts(b, "]");
}

/*
 * The end of a stream ({"end":true,"lost":N}): 1, with the loss said.
 */
static int
stream_end(const struct ecg_json_object *o)
{
	const struct ecg_json_member *end = ecg_json_get(o, "end"), *lost = ecg_json_get(o, "lost");

	if (end == NULL || end->type != ECG_JSON_BOOL)
		return 0;
	if (lost != NULL && lost->type == ECG_JSON_INT && lost->num > 0)
		fprintf(stderr, "ecg-run ctl: %lld lines lost: this client did not keep up\n",
		    lost->num);
	return 1;
}

/*
 * A stream until the group ends: events as they come, or log lines
 * framed as on the terminal (width: the group's longest name).  0, or
 * an exit status when it broke off.
 */
static int
follow(int fd, struct ecg_buf *in, struct ecg_buf *line, int logs, size_t width)
{
	struct ecg_frame_style style = { .prefix = 1, .color = 0, .name_width = width };
	struct ecg_json_object o;
	struct ecg_buf why = ECG_BUF_INIT;
	char hdr[ECG_FRAME_HDR_MAX];
	int ended = 0;

	for (;;) {
		/* Written out before waiting for more: a line at a time would be slow. */
		if (memchr(in->p != NULL ? in->p : "", '\n', in->len) == NULL &&
		    (fflush(stdout) != 0 || fflush(stderr) != 0))
			break;
		if (ended || !next_line(fd, in, line))
			break;
		if (ecg_json_parse(line->p, line->len, &o, &why) < 0) {
			fprintf(stderr, "ecg-run ctl: a bad line in the stream: %s\n", ecg_buf_str(&why));
			ecg_buf_reset(&why);
			continue;
		}
		if ((ended = stream_end(&o))) {
			/* nothing to print */
		} else if (!logs) {
			if (printf("%s\n", ecg_buf_str(line)) < 0) {
				ecg_json_free(&o);
				break;
			}
		} else {
			const struct ecg_json_member *task = ecg_json_get(&o, "task"),
			    *stream = ecg_json_get(&o, "stream"), *text = ecg_json_get(&o, "text");
			FILE *out = stream != NULL && stream->type == ECG_JSON_STRING &&
			    strcmp(stream->str, "stderr") == 0 ? stderr : stdout;
			if (task != NULL && task->type == ECG_JSON_STRING && text != NULL &&
			    text->type == ECG_JSON_STRING) {
				size_t h = ecg_frame_header(hdr, &style, "", task->str, -1);
				fwrite(hdr, 1, h, out);
				fwrite(text->str, 1, text->len, out);
				if (fputc('\n', out) == EOF) {
					ecg_json_free(&o);
					break;
				}
			}
		}
		ecg_json_free(&o);
	}
	ecg_buf_free(&why);
	if (!ended) {
		fputs("ecg-run ctl: the stream broke off before its end\n", stderr);
		return ECG_CTL_NO_GROUP;
	}
	return 0;
}

int
ecg_ctl_main(int argc, char **argv)
{
	const char *path = getenv("ECG_CONTROL"), *cmd, *file = NULL;
	struct ecg_buf found_path = ECG_BUF_INIT;
	long want_pid = 0;
	struct ecg_buf req = ECG_BUF_INIT, in = ECG_BUF_INIT, line = ECG_BUF_INIT,
	    why = ECG_BUF_INIT;
	struct ecg_json_object ans;
	const struct ecg_json_member *ok, *m;
	int i = 1, fd, json = 0, rc = 0;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(ctl_usage, stdout);
		return fflush(stdout) == 0 ? 0 : ECG_CTL_USAGE;
	}
	for (;;) {
		if (i + 1 < argc && strcmp(argv[i], "-s") == 0) {
			path = argv[i + 1];
			i += 2;
		} else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
			file = argv[i + 1];
			i += 2;
		} else if (i + 1 < argc && strcmp(argv[i], "--pid") == 0) {
			char *end;
			want_pid = strtol(argv[i + 1], &end, 10);
			if (*end != '\0' || want_pid <= 0)
				return usage("--pid takes a process id, not '%s'", argv[i + 1]);
			i += 2;
		} else {
			break;
		}
	}
	if (file != NULL && (rc = find_group(file, want_pid, &found_path)) != 0) {
		ecg_buf_free(&found_path);
		return rc;
	}
	if (file != NULL)
		path = ecg_buf_str(&found_path);
	if (i >= argc) {
		rc = usage("no command");
		goto done;
	}
	if (path == NULL || path[0] == '\0') {
		rc = usage("no control socket: use -s PATH or -c FILE (in a task, ECG_CONTROL "
		    "names it)");
		goto done;
	}
	cmd = argv[i++];
	if (strcmp(cmd, "status") == 0) {
		if (i < argc && strcmp(argv[i], "--json") == 0) {
			json = 1;
			i++;
		}
		ecg_buf_puts(&req, "{\"cmd\":\"status\",\"format\":\"text\",\"tasks\":");
		names(&req, argv + i, argc - i);
		ecg_buf_puts(&req, "}");
	} else if (strcmp(cmd, "signal") == 0) {
		if (argc - i < 2) {
			rc = usage("signal takes a signal and the tasks: signal HUP web");
			goto done;
		}
		ecg_buf_puts(&req, "{\"cmd\":\"signal\",\"signal\":");
		ecg_evjson_string_whole(&req, argv[i]);
		ecg_buf_puts(&req, ",\"tasks\":");
		names(&req, argv + i + 1, argc - i - 1);
		ecg_buf_puts(&req, "}");
	} else if (strcmp(cmd, "restart") == 0 || strcmp(cmd, "stop") == 0 ||
	    strcmp(cmd, "start") == 0) {
		int wait = 0;
		if (strcmp(cmd, "restart") == 0 && i < argc && strcmp(argv[i], "--wait") == 0) {
			wait = 1;
			i++;
		}
		if (i >= argc) {
			rc = usage("%s takes the tasks: %s web", cmd, cmd);
			goto done;
		}
		ecg_buf_printf(&req, "{\"cmd\":\"%s\",%s\"tasks\":", cmd, wait ? "\"wait\":true," : "");
		names(&req, argv + i, argc - i);
		ecg_buf_puts(&req, "}");
	} else if (strcmp(cmd, "wait") == 0) {
		long timeout_ms = 0;
		const char *bad = NULL;
		if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0) {
			if (ecg_value_duration(argv[i + 1], &timeout_ms, &bad) < 0) {
				rc = usage("--timeout '%s': %s", argv[i + 1], bad);
				goto done;
			}
			i += 2;
		}
		ecg_buf_printf(&req, "{\"cmd\":\"wait\",\"timeout_ms\":%ld,\"tasks\":", timeout_ms);
		names(&req, argv + i, argc - i);
		ecg_buf_puts(&req, "}");
	} else if (strcmp(cmd, "check") == 0) {
		if (i < argc) {
			rc = usage("check takes no argument");
			goto done;
		}
		ecg_buf_puts(&req, "{\"cmd\":\"check\"}");
	} else if (strcmp(cmd, "logs") == 0) {
		ecg_buf_puts(&req, "{\"cmd\":\"logs\",\"tasks\":");
		names(&req, argv + i, argc - i);
		ecg_buf_puts(&req, "}");
	} else if (strcmp(cmd, "shutdown") == 0 || strcmp(cmd, "events") == 0) {
		if (i < argc) {
			rc = usage("%s takes no argument", cmd);
			goto done;
		}
		ecg_buf_printf(&req, "{\"cmd\":\"%s\"}", cmd);
	} else {
		{
			rc = usage("unknown command '%s'", cmd);
			goto done;
		}
	}
	ecg_buf_putc(&req, '\n');
	if ((fd = dial(path)) < 0) {
		fprintf(stderr, "ecg-run ctl: no running group answers at %s: %s\n", path,
		    strerror(errno));
		ecg_buf_free(&req);
		ecg_buf_free(&found_path);
		return ECG_CTL_NO_GROUP;
	}
	if (write(fd, req.p, req.len) != (ssize_t)req.len || !next_line(fd, &in, &line)) {
		fprintf(stderr, "ecg-run ctl: the group at %s did not answer\n", path);
		rc = ECG_CTL_NO_GROUP;
		goto out;
	}
	if (ecg_json_parse(line.p, line.len, &ans, &why) < 0) {
		fprintf(stderr, "ecg-run ctl: a bad answer: %s\n", ecg_buf_str(&why));
		rc = ECG_CTL_NO_GROUP;
		goto out;
	}
	ok = ecg_json_get(&ans, "ok");
	if (ok == NULL || ok->type != ECG_JSON_BOOL || !ok->num) {
		m = ecg_json_get(&ans, "error");
		fprintf(stderr, "ecg-run ctl: %s\n", m != NULL && m->type == ECG_JSON_STRING ?
		    m->str : "refused");
		rc = ECG_CTL_REFUSED;
	} else if (strcmp(cmd, "status") == 0 && json) {
		printf("%s\n", ecg_buf_str(&line));
	} else if (strcmp(cmd, "status") == 0) {
		m = ecg_json_get(&ans, "text");
		fputs(m != NULL && m->type == ECG_JSON_STRING ? m->str : "", stdout);
	} else if (strcmp(cmd, "events") == 0 || strcmp(cmd, "logs") == 0) {
		m = ecg_json_get(&ans, "width");
		rc = follow(fd, &in, &line, strcmp(cmd, "logs") == 0,
		    m != NULL && m->type == ECG_JSON_INT ? (size_t)m->num : 0);
	}
	ecg_json_free(&ans);
out:
	close(fd);
	ecg_buf_free(&found_path);
	ecg_buf_free(&req);
	ecg_buf_free(&in);
	ecg_buf_free(&line);
	ecg_buf_free(&why);
	if (fflush(stdout) != 0 && rc == 0)
		rc = ECG_CTL_USAGE;
	return rc;
done:
	ecg_buf_free(&req);
	ecg_buf_free(&found_path);
	return rc;
}
