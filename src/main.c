/*
 * ecg-run: run the commands of an INI file as one errgroup.
 *
 * main.c is the front end: it reads the command line, loads the group,
 * decides which messages the user sees and how ecg-run ends.  Everything
 * else reports to it and never prints or exits on its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "evjson.h"
#include "evlog.h"
#include "frame.h"
#include "junit.h"
#include "notify.h"
#include "safeopen.h"
#include "summary.h"
#include "supervisor.h"
#include "value.h"

#ifndef ECG_VERSION
#define ECG_VERSION "1.0.0"
#endif

#define EXIT_OWN 125		/* ecg-run's own error */

static const char usage_text[] =
    "Usage: ecg-run [OPTION]... -c FILE [TASK]...\n"
    "Run the commands of an INI file as one group: when one fails, stop them all.\n"
    "\n"
    "  -c, --config FILE   the INI file; \"-\" reads it from standard input\n"
    "  -n, --check         load and validate, print the resolved group, run nothing\n"
    "  -q, --quiet         lifecycle messages off (errors and the cause still shown)\n"
    "  -v, --verbose       also pids, signals sent and escalations\n"
    "      --color=WHEN    colour the prefixes: auto (default), always, never\n"
    "  -T, --timestamps    put the local time (hh:mm:ss.mmm) before every line\n"
    "      --no-prefix     task output without the \"NAME | \" prefix\n"
    "      --ready-fd N    write a newline to descriptor N once the group is ready\n"
    "      --events PATH   append every event to PATH as JSON Lines\n"
    "      --junit PATH    write a JUnit XML report of the run to PATH at the end\n"
    "      --summary=WHEN  a table of the tasks at the end: auto (default: when\n"
    "                      something failed, timed out, restarted or was cancelled),\n"
    "                      always, never (-q: never, unless always is given)\n"
    "  -j, --max-parallel N  run at most N tasks at once (0: no limit)\n"
    "      --deadline DURATION  stop the group after DURATION, status 124\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "  TASK...             run only these tasks\n"
    "\n"
    "Exit status: the first failing task's status (128+S if killed by signal S),\n"
    "0 if none failed, 127 if a task could not start (126: its program cannot be\n"
    "executed), 124 if a task was not ready or timed out, or the deadline passed,\n"
    "125 for ecg-run's own errors,\n"
    "130/143/131/129 after SIGINT/SIGTERM/SIGQUIT/SIGHUP (even while stopping\n"
    "for another cause), 141 if output was closed.\n"
    "See ecg-run(1) and ecg-run.ini(5).\n";

struct front {
	int quiet;
	int verbose;
	int ready_fd;			/* --ready-fd, -1 when none (or done) */
	const char *notify_socket;	/* ecg-run's own NOTIFY_SOCKET, or NULL */
	const char *events_path;	/* --events, or NULL */
	struct ecg_evlog events;	/* where they go */
	struct ecg_evjson json;
	struct ecg_buf line;		/* a message or JSON lines being made */
	struct ecg_summary summary;
	int summary_on;			/* 0 never, 1 auto, 2 always */
	const char *junit_path;		/* --junit, or NULL */
	struct ecg_supervisor *sv;	/* set while the group runs */
	struct ecg_buf last;		/* ecg-run's last words, written after the run */
};

/*
 * Whoever started ecg-run learns when the group is ready: a service
 * manager through NOTIFY_SOCKET (READY=1, and STOPPING=1 once it stops),
 * a script through --ready-fd (a newline, then the descriptor is closed;
 * closed without one if the group never gets ready).
 */
static void
report_upward(struct front *f, const struct ecg_event *ev)
{
	ssize_t n;

	if (ev->type == ECG_EV_GROUP_READY) {
		ecg_notify_send(f->notify_socket, "READY=1");
		if (f->ready_fd >= 0) {
			do
				n = write(f->ready_fd, "\n", 1);
			while (n < 0 && errno == EINTR);
			close(f->ready_fd);
			f->ready_fd = -1;
		}
	} else if (ev->type == ECG_EV_STOPPING) {
		ecg_notify_send(f->notify_socket, "STOPPING=1");
	}
}

/* "ecg-run: MESSAGE" on stderr, before the output pump exists or after it is gone. */
static void
vwarnx(const char *fmt, va_list ap)
{
	fputs("ecg-run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2)))
errx_own(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

/*
 * A message made by a module (the loader, the set-up) or an event before
 * the pump exists, on stderr: cut, like every message of ecg-run's, to
 * ECG_NOTES_MAX with its end kept.  An empty or failed message means
 * that there was no memory to make it.
 */
static void
say(const char *prefix, const struct ecg_buf *msg)
{
	struct ecg_buf line = ECG_BUF_INIT;

	ecg_buf_puts(&line, prefix);
	if (ecg_buf_failed(msg) || msg->len == 0)
		ecg_buf_puts(&line, "out of memory");
	else
		ecg_frame_message(&line, msg->p, msg->len, ECG_NOTES_MAX - 1 - strlen(prefix),
		    ECG_NOTES_TAIL);
	fprintf(stderr, "%s\n", ecg_buf_failed(&line) ? "ecg-run: out of memory" : line.p);
	ecg_buf_free(&line);
}

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fputs("Try 'ecg-run --help' for more information.\n", stderr);
	return EXIT_OWN;
}

/*
 * An option getopt_long refused, named as the user typed it: a long one
 * (unknown, or given an argument it does not take: getopt then reports it
 * by its internal short code) or a short one.
 */
static int
bad_option(const char *arg, int opt)
{
	const char *eq;

	if (arg != NULL && strncmp(arg, "--", 2) == 0) {
		eq = strchr(arg, '=');
		if (eq != NULL && opt != 0)
			return usage_error("option '%.*s' takes no argument", (int)(eq - arg), arg);
		return usage_error("unknown option '%s'", arg);
	}
	return usage_error("unknown option '-%c'", opt != 0 ? opt : '?');
}

/*
 * Every event of the run comes here; we decide what is shown.  It is
 * stamped with the one clock on arrival, and every rendering reads that
 * time.  A message about a task is written after everything the task
 * wrote before it; the message that a task started comes before anything
 * it writes.  The cause of a cancellation and errors are never dropped.
 */
static void
on_event(void *arg, const struct ecg_event *event)
{
	struct front *f = arg;
	struct ecg_event e = *event;
	const struct ecg_event *ev = &e;
	struct ecg_pump_mark mark;
	enum ecg_event_level level = ecg_event_level(ev);
	int started = ev->type == ECG_EV_STARTED;
	uint64_t end;

	e.at = ecg_clock_ms();
	if (ecg_evlog_is_open(&f->events)) {
		ecg_buf_reset(&f->line);
		if (ecg_evjson_format(&f->json, ev, &f->line) > 0 && !ecg_buf_failed(&f->line))
			ecg_evlog_put(&f->events, f->line.p, f->line.len);
	}
	report_upward(f, ev);
	if (ecg_summary_active(&f->summary))
		ecg_summary_event(&f->summary, ev);
	if (level == ECG_LEVEL_DATA)
		return;
	if ((level == ECG_LEVEL_INFO && f->quiet) || (level == ECG_LEVEL_VERBOSE && !f->verbose))
		return;
	ecg_buf_reset(&f->line);
	ecg_event_format(ev, f->verbose, &f->line);
	if (f->sv == NULL) {
		say("", &f->line);
		return;
	}
	/* What a started task writes is its new run's: not before the message. */
	if (ev->name != NULL)
		ecg_supervisor_mark(f->sv, ev->index, !started, &mark);
	end = ecg_notes_put(ecg_supervisor_notes(f->sv), ecg_buf_str(&f->line), f->line.len,
	    level == ECG_LEVEL_CAUSE || level == ECG_LEVEL_ERROR, ev->name != NULL ? &mark : NULL);
	if (started)
		ecg_notes_gate(ecg_supervisor_notes(f->sv), &mark, end);
}

/*
 * The last event, group_end, with the status ecg-run ends with (128 + S
 * when it dies of signal S); then the events file gets what is queued,
 * while it takes it before until.  Events it could not take are counted,
 * and said.
 */
static void
end_events(struct front *f, int status, int sig, double until)
{
	struct ecg_event ev = { .type = ECG_EV_GROUP_END, .code = sig != 0 ? 128 + sig : status };

	if (!ecg_evlog_is_open(&f->events))
		return;
	ev.ms = ecg_clock_ms();
	on_event(f, &ev);
	ecg_evlog_flush(&f->events, until);
}

static size_t
task_tail(size_t i, const char **bytes, void *arg)
{
	return ecg_supervisor_stderr_tail(arg, i, bytes);
}

/* The JUnit report, with the status ecg-run ends with; a failure to write it is said. */
static void
write_junit(struct front *f, struct ecg_supervisor *sv, int sig, int status)
{
	int rc;

	if (f->junit_path == NULL)
		return;
	rc = ecg_junit_write(f->junit_path, &f->summary, sig != 0 ? 128 + sig : status,
	    ecg_clock_ms(), task_tail, sv);
	if (rc < 0)
		ecg_buf_printf(&f->last, "ecg-run: --junit %s: %s\n", f->junit_path, strerror(-rc));
}

/* The table at the end, if it is wanted; with the status ecg-run ends with. */
static void
show_summary(struct front *f, int sig, int status)
{
	if (f->summary_on == 0 || (f->summary_on == 1 && !ecg_summary_notable(&f->summary)))
		return;
	ecg_summary_format(&f->summary, sig != 0 ? 128 + sig : status, &f->last);
}

/* Descriptors 0-2 must be open, or pipes made later would take their place. */
static int
check_std_fds(void)
{
	int fd;

	if (fcntl(2, F_GETFD) < 0)
		return -1;
	if (fcntl(1, F_GETFD) < 0) {
		errx_own("standard output is closed");
		return -1;
	}
	if (fcntl(0, F_GETFD) < 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd != 0) {
			errx_own("cannot open /dev/null as standard input");
			return -1;
		}
	}
	return 0;
}

/* Tells, once, how much task output could not be delivered. */
static void
report_undelivered(struct front *f, struct ecg_supervisor *sv)
{
	static const char *const names[] = { "stdout", "stderr" };
	struct ecg_pump *pump = ecg_supervisor_pump(sv);
	uint64_t lost;
	int fd, err;

	/* With 2>&1 both are one stream: count it once. */
	for (fd = 1; fd <= (ecg_pump_shared(pump) ? 1 : 2); fd++) {
		lost = ecg_pump_undelivered(pump, fd, &err) + ecg_supervisor_dropped(sv, fd);
		if (lost == 0 || (fd == 2 && err != 0))
			continue;
		if (err != 0)
			ecg_buf_printf(&f->last,
			    "ecg-run: %llu bytes of task output could not be written to %s: %s\n",
			    (unsigned long long)lost, names[fd - 1], strerror(err));
		else
			ecg_buf_printf(&f->last,
			    "ecg-run: %llu bytes of task output could not be written to %s in time\n",
			    (unsigned long long)lost, names[fd - 1]);
	}
	lost = ecg_notes_dropped(ecg_supervisor_notes(sv));
	if (lost > 0)
		ecg_buf_printf(&f->last, "ecg-run: %llu messages of ecg-run's own were dropped: "
		    "%s\n", (unsigned long long)lost, ecg_pump_refused(pump, 2) ?
		    "stderr was too slow" : "more came at once than their buffer holds");
}

/* The events the file could not take, said once. */
static void
report_events_lost(struct front *f)
{
	int err;
	uint64_t lost = ecg_evlog_lost(&f->events, &err);

	if (lost == 0)
		return;
	ecg_buf_printf(&f->last, "ecg-run: %llu events could not be written to %s%s%s\n",
	    (unsigned long long)lost, f->events_path, err != 0 ? ": " : " in time",
	    err != 0 ? strerror(err) : "");
}

/*
 * A shell that runs ecg-run must see an interrupted command when ecg-run
 * was interrupted, so the signal that stopped the group is raised again
 * with its default action.  Process 1 cannot be killed by its own signal:
 * there the status says it (128 + S).
 */
static void
die_by_signal(int sig)
{
	struct rlimit nocore = { 0, 0 };
	struct sigaction sa;
	sigset_t set;

	if (getpid() == 1)
		exit(128 + sig);
	if (sig == SIGQUIT)
		setrlimit(RLIMIT_CORE, &nocore);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* Reached only if the signal could not end us (a blocked or ignored one). */
	// cppcheck-suppress unreachableCode
	exit(128 + sig);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "color", required_argument, NULL, 'C' },
		{ "colour", required_argument, NULL, 'C' },
		{ "timestamps", no_argument, NULL, 'T' },
		{ "no-prefix", no_argument, NULL, 'P' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "max-parallel", required_argument, NULL, 'j' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "events", required_argument, NULL, 'E' },
		{ "summary", required_argument, NULL, 'S' },
		{ "junit", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ecg_supervisor_opts opts;
	struct ecg_group_spec spec;
	struct ecg_supervisor sv;
	struct front front;
	struct sigaction sa;
	const char *config = NULL, *color = "auto", *no_color, *why;
	long max_parallel = -1, deadline_ms = -1;
	const char *summary = NULL;
	struct ecg_buf err = ECG_BUF_INIT;
	double until;
	int c, check = 0, status, rc;
	size_t i;

	/* ecg-run executed again as its own sentinel (sentinel.h). */
	if (argc == 2 && strcmp(argv[0], ECG_SENTINEL_ARGV0) == 0)
		ecg_sentinel_main(argv[1]);
	ecg_sentinel_can_exec();
	ecg_clock_start();
	memset(&opts, 0, sizeof(opts));
	memset(&front, 0, sizeof(front));
	front.ready_fd = -1;
	front.events.fd = -1;
	opts.out.prefix = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:nqvThVj:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (config != NULL)
				return usage_error("-c given twice ('%s' and '%s'): one file per run",
				    config, optarg);
			config = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'q':
			front.quiet = 1;
			break;
		case 'v':
			front.verbose = 1;
			break;
		case 'C':
			color = optarg != NULL ? optarg : "";
			if (strcmp(color, "auto") != 0 && strcmp(color, "always") != 0 &&
			    strcmp(color, "never") != 0)
				return usage_error("--color takes auto, always or never, not '%s'",
				    optarg);
			break;
		case 'T':
			opts.out.timestamps = 1;
			break;
		case 'P':
			opts.out.prefix = 0;
			break;
		case 'j':
			if (ecg_value_count(optarg != NULL ? optarg : "", ECG_CONFIG_COUNT_MAX,
			    &max_parallel, &why) < 0)
				return usage_error("--max-parallel '%s': %s", optarg, why);
			break;
		case 'D':
			if (ecg_value_duration(optarg != NULL ? optarg : "", &deadline_ms, &why) < 0)
				return usage_error("--deadline '%s': %s", optarg, why);
			break;
		case 'J':
			if (optarg == NULL || optarg[0] == '\0' || strcmp(optarg, "-") == 0)
				return usage_error("--junit needs a file: standard output carries the "
				    "tasks' output");
			front.junit_path = optarg;
			break;
		case 'S':
			summary = optarg != NULL ? optarg : "";
			if (strcmp(summary, "auto") != 0 && strcmp(summary, "always") != 0 &&
			    strcmp(summary, "never") != 0)
				return usage_error("--summary takes auto, always or never, not '%s'",
				    summary);
			break;
		case 'E':
			if (optarg == NULL || strcmp(optarg, "-") == 0 || optarg[0] == '\0')
				return usage_error("--events needs a file: standard output carries the "
				    "tasks' output (use /dev/fd/N for a descriptor)");
			front.events_path = optarg;
			break;
		case 'R': {
			const char *arg = optarg != NULL ? optarg : "";
			char *end;
			long fd;
			errno = 0;
			fd = strtol(arg, &end, 10);
			if (errno != 0 || *end != '\0' || end == arg || fd < 3 || fd > INT_MAX)
				return usage_error("--ready-fd takes a descriptor number of 3 or more, "
				    "not '%s'", arg);
			if (fcntl((int)fd, F_GETFD) < 0)
				return usage_error("--ready-fd %ld: descriptor %ld is not open", fd, fd);
			/* Ours alone: a task holding it would keep the reader waiting. */
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
			front.ready_fd = (int)fd;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			return fflush(stdout) == 0 ? 0 : EXIT_OWN;
		case 'V':
			printf("ecg-run %s\n", ECG_VERSION);
			return fflush(stdout) == 0 ? 0 : EXIT_OWN;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return bad_option(argv[optind - 1], optopt);
		}
	}
	if (config == NULL)
		return usage_error("no configuration file: use -c FILE");
	if (front.quiet && front.verbose)
		return usage_error("-q and -v cannot be used together");
	if (check_std_fds() < 0)
		return EXIT_OWN;
	if (ecg_config_load(&spec, config, &err) < 0) {
		say("", &err);
		ecg_buf_free(&err);
		ecg_config_free(&spec);
		return EXIT_OWN;
	}
	if (ecg_config_select(&spec, argv + optind, (size_t)(argc - optind), &err) < 0) {
		say("ecg-run: ", &err);
		ecg_buf_free(&err);
		ecg_config_free(&spec);
		return EXIT_OWN;
	}
	/* The command line wins over the file. */
	if (max_parallel >= 0)
		spec.max_parallel = max_parallel;
	if (deadline_ms >= 0)
		spec.deadline_ms = deadline_ms;
	if (check) {
		ecg_config_print(&spec, stdout);
		/* What will fail at run time unless it changes: warned, still 0. */
		ecg_config_warnings(&spec, &err);
		if (err.len > 0)
			fputs(ecg_buf_str(&err), stderr);
		ecg_buf_free(&err);
		ecg_config_free(&spec);
		return fflush(stdout) == 0 ? 0 : EXIT_OWN;
	}
	no_color = getenv("NO_COLOR");
	/* Each stream for itself: 2>err.log on a terminal gets no escape codes. */
	for (i = 0; i < 2; i++) {
		if (strcmp(color, "always") == 0)
			opts.out.color[i] = 1;
		else if (strcmp(color, "auto") == 0)
			opts.out.color[i] = isatty((int)i + 1) && (no_color == NULL || *no_color == '\0');
	}
	for (i = 0; i < spec.ntasks; i++)
		if (strlen(spec.tasks[i].name) > opts.out.name_width)
			opts.out.name_width = strlen(spec.tasks[i].name);
	opts.out.tasks = spec.ntasks;
	opts.event = on_event;
	opts.event_arg = &front;
	/*
	 * EPIPE and EFBIG are handled where they happen; the signals would
	 * kill us first, leaving the tasks behind.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	if (loop == NULL) {
		errx_own("cannot set up the event loop");
		ecg_config_free(&spec);
		return EXIT_OWN;
	}
	/* A report that cannot be written is known before anything runs. */
	if (front.junit_path != NULL) {
		rc = ecg_junit_check(front.junit_path, &why);
		if (rc < 0 && why != NULL) {
			errx_own("--junit %s: is %s, not a regular file", front.junit_path, why);
			ecg_config_free(&spec);
			return EXIT_OWN;
		}
		if (rc < 0) {
			errx_own("--junit %s: %s", front.junit_path, strerror(-rc));
			ecg_config_free(&spec);
			return EXIT_OWN;
		}
		opts.stderr_tail = 16384;
	}
	if (front.events_path != NULL) {
		rc = ecg_evlog_open(&front.events, loop, front.events_path);
		if (rc < 0) {
			errx_own("--events %s: %s", front.events_path, ecg_safeopen_strerror(-rc));
			ecg_config_free(&spec);
			return EXIT_OWN;
		}
		ecg_evjson_init(&front.json, &spec);
	}
	rc = ecg_supervisor_init(&sv, loop, &spec, &opts, &err);
	if (rc < 0) {
		say("ecg-run: ", &err);
		ecg_buf_free(&err);
		ecg_supervisor_destroy(&sv);
		ecg_config_free(&spec);
		return EXIT_OWN;
	}
	/* -q means no summary, unless it was asked for by name. */
	front.summary_on = summary == NULL ? (front.quiet ? 0 : 1) : strcmp(summary, "always") == 0 ?
	    2 : strcmp(summary, "auto") == 0 ? 1 : 0;
	/* The report is made of the summary's rows. */
	if ((front.summary_on > 0 || front.junit_path != NULL) &&
	    ecg_summary_init(&front.summary, &spec) < 0) {
		errx_own("out of memory");
		return EXIT_OWN;
	}
	front.notify_socket = getenv("NOTIFY_SOCKET");
	front.sv = &sv;
	status = ecg_supervisor_run(&sv);
	c = ecg_supervisor_end_signal(&sv);
	/* ecg-run's last words share one bound on how long they may wait for a slow reader. */
	until = ecg_clock_now() + ECG_NOTES_LAST_WAIT;
	end_events(&front, status, c, until);
	/* Never ready: the reader sees end of file without a newline. */
	if (front.ready_fd >= 0)
		close(front.ready_fd);
	front.ready_fd = -1;
	report_undelivered(&front, &sv);
	show_summary(&front, c, status);
	write_junit(&front, &sv, c, status);
	report_events_lost(&front);
	if (front.last.len > 0)
		ecg_notes_last(ecg_supervisor_notes(&sv), front.last.p, front.last.len, until);
	/* note() reads front.sv: from here on, messages go straight to stderr. */
	// cppcheck-suppress redundantAssignment
	front.sv = NULL;
	ecg_supervisor_destroy(&sv);
	ecg_evlog_close(&front.events);
	ecg_buf_free(&front.line);
	ecg_buf_free(&front.last);
	ecg_summary_destroy(&front.summary);
	ecg_config_free(&spec);
	ev_loop_destroy(loop);
	if (c != 0)
		die_by_signal(c);
	return status;
}
