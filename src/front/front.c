#define _GNU_SOURCE
#include "front/front.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/clock.h"
#include "report/evtext.h"
#include "output/frame.h"
#include "report/junit.h"
#include "output/notes.h"
#include "sys/notify.h"
#include "base/safeopen.h"

/*
 * Whoever started ecg-run learns when the group is ready: a service
 * manager through NOTIFY_SOCKET (READY=1, and STOPPING=1 once it stops),
 * a script through --ready-fd (a newline, then the descriptor is closed;
 * closed without one if the group never gets ready).
 */
static void
report_upward(struct ecg_front *f, const struct ecg_event *ev)
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

void
ecg_front_errx(const char *fmt, ...)
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
void
ecg_front_say(const char *prefix, const struct ecg_buf *msg)
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

/*
 * Every event of the run comes here; we decide what is shown.  It is
 * stamped with the one clock on arrival, and every rendering reads that
 * time.  A message about a task is written after everything the task
 * wrote before it; the message that a task started comes before anything
 * it writes.  The cause of a cancellation and errors are never dropped.
 */
void
ecg_front_event(void *arg, const struct ecg_event *event)
{
	struct ecg_front *f = arg;
	struct ecg_event e;
	const struct ecg_event *ev = &e;
	struct ecg_pump_mark mark;
	enum ecg_event_level level;
	int started = event->type == ECG_EV_STARTED;
	uint64_t end;

	/* A task's life is for the modules that follow it: nothing here renders it. */
	if (ecg_event_is_life(event))
		return;
	e = *event;
	level = ecg_event_level(ev);
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
		ecg_front_say("", &f->line);
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
end_events(struct ecg_front *f, int status, int sig, double until)
{
	struct ecg_event ev = { .type = ECG_EV_GROUP_END, .code = sig != 0 ? 128 + sig : status };

	if (!ecg_evlog_is_open(&f->events))
		return;
	ev.ms = ecg_clock_ms();
	ecg_front_event(f, &ev);
	ecg_evlog_flush(&f->events, until);
}

static size_t
task_tail(size_t i, const char **bytes, void *arg)
{
	return ecg_supervisor_stderr_tail(arg, i, bytes);
}

/* The JUnit report, with the status ecg-run ends with; a failure to write it is said. */
static void
write_junit(struct ecg_front *f, struct ecg_supervisor *sv, int sig, int status)
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
show_summary(struct ecg_front *f, int sig, int status)
{
	if (f->summary_on == 0 || (f->summary_on == 1 && !ecg_summary_notable(&f->summary)))
		return;
	ecg_summary_format(&f->summary, sig != 0 ? 128 + sig : status, &f->last);
}

/* Descriptors 0-2 must be open, or pipes made later would take their place. */
int
ecg_front_std_fds(void)
{
	int fd;

	if (fcntl(2, F_GETFD) < 0)
		return -1;
	if (fcntl(1, F_GETFD) < 0) {
		ecg_front_errx("standard output is closed");
		return -1;
	}
	if (fcntl(0, F_GETFD) < 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd != 0) {
			ecg_front_errx("cannot open /dev/null as standard input");
			return -1;
		}
	}
	return 0;
}

/* Tells, once, how much task output could not be delivered. */
static void
report_undelivered(struct ecg_front *f, struct ecg_supervisor *sv)
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
report_events_lost(struct ecg_front *f)
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
void
ecg_front_die_by_signal(int sig)
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

void
ecg_front_init(struct ecg_front *f, const struct ecg_cli *cli)
{
	memset(f, 0, sizeof(*f));
	f->quiet = cli->quiet;
	f->verbose = cli->verbose;
	f->ready_fd = cli->ready_fd;
	f->events_path = cli->events_path;
	f->junit_path = cli->junit_path;
	f->events.fd = -1;
	f->notify_socket = getenv("NOTIFY_SOCKET");
}

int
ecg_front_open(struct ecg_front *f, struct ev_loop *loop, const struct ecg_group_spec *spec,
    size_t *stderr_tail)
{
	const char *why;
	int rc;

	/* A report that cannot be written is known before anything runs. */
	if (f->junit_path != NULL) {
		rc = ecg_junit_check(f->junit_path, &why);
		if (rc < 0 && why != NULL) {
			ecg_front_errx("--junit %s: is %s, not a regular file", f->junit_path, why);
			return -1;
		}
		if (rc < 0) {
			ecg_front_errx("--junit %s: %s", f->junit_path, strerror(-rc));
			return -1;
		}
		*stderr_tail = 16384;
	}
	if (f->events_path != NULL) {
		rc = ecg_evlog_open(&f->events, loop, f->events_path);
		if (rc < 0) {
			ecg_front_errx("--events %s: %s", f->events_path, ecg_safeopen_strerror(-rc));
			return -1;
		}
		ecg_evjson_init(&f->json, spec);
	}
	return 0;
}

int
ecg_front_begin(struct ecg_front *f, struct ecg_supervisor *sv,
    const struct ecg_group_spec *spec, const char *summary)
{
	/* -q means no summary, unless it was asked for by name. */
	f->summary_on = summary == NULL ? (f->quiet ? 0 : 1) : strcmp(summary, "always") == 0 ?
	    2 : strcmp(summary, "auto") == 0 ? 1 : 0;
	/* The report is made of the summary's rows. */
	if ((f->summary_on > 0 || f->junit_path != NULL) &&
	    ecg_summary_init(&f->summary, spec) < 0) {
		ecg_front_errx("out of memory");
		return -1;
	}
	f->sv = sv;
	return 0;
}

void
ecg_front_end(struct ecg_front *f, int status, int sig)
{
	struct ecg_supervisor *sv = f->sv;
	/* ecg-run's last words share one bound on how long they may wait for a slow reader. */
	double until = ecg_clock_now() + ECG_NOTES_LAST_WAIT;

	end_events(f, status, sig, until);
	/* Never ready: the reader sees end of file without a newline. */
	if (f->ready_fd >= 0)
		close(f->ready_fd);
	f->ready_fd = -1;
	report_undelivered(f, sv);
	show_summary(f, sig, status);
	write_junit(f, sv, sig, status);
	report_events_lost(f);
	if (f->last.len > 0)
		ecg_notes_last(ecg_supervisor_notes(sv), f->last.p, f->last.len, until);
	/* From here on, messages go straight to stderr. */
	f->sv = NULL;
}

void
ecg_front_destroy(struct ecg_front *f)
{
	ecg_evlog_close(&f->events);
	ecg_buf_free(&f->line);
	ecg_buf_free(&f->last);
	ecg_summary_destroy(&f->summary);
}
