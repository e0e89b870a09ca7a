/*
 * proc: the stop policy on real processes, on libev's default loop.
 * What was sent is taken from the sent hook, in order:
 * - a group still there 0.1 s after its stop signal gets SIGCONT, and a
 *   stopped process so acts on its stop signal (no SIGKILL);
 * - a group that ends at its stop signal gets no SIGCONT;
 * - with stop_timeout too short to wait, SIGCONT follows at once;
 * - a process that ignores the stop signal: SIGTERM, SIGCONT, SIGKILL
 *   once stop_timeout has passed, with escalating before it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "sys/proc.h"
#include "tap.h"

extern char **environ;

#define SENT_MAX 16
#define BOUND 20.0	/* seconds any one wait may take */

static struct ev_loop *loop;

struct seen {
	int sent[SENT_MAX];
	int nsent;
	int escalated;
	int gone;
	int wstatus;
};

static void
h_exited(struct ecg_proc *p, int wstatus, void *arg)
{
	struct seen *s = arg;

	(void)p;
	s->wstatus = wstatus;
}

static void
h_gone(struct ecg_proc *p, void *arg)
{
	struct seen *s = arg;

	(void)p;
	s->gone = 1;
	ev_break(loop, EVBREAK_ALL);
}

static void
h_sent(struct ecg_proc *p, int sig, int group, size_t n, void *arg)
{
	struct seen *s = arg;

	(void)p;
	(void)n;
	if (group && s->nsent < SENT_MAX)
		s->sent[s->nsent++] = sig;
}

static void
h_escalating(struct ecg_proc *p, void *arg)
{
	struct seen *s = arg;

	(void)p;
	s->escalated = 1;
}

static const struct ecg_proc_hooks hooks = {
	.exited = h_exited,
	.gone = h_gone,
	.sent = h_sent,
	.escalating = h_escalating,
};

/* Whether s->sent holds sig. */
static int
was_sent(const struct seen *s, int sig)
{
	int i;

	for (i = 0; i < s->nsent; i++)
		if (s->sent[i] == sig)
			return 1;
	return 0;
}

/* Starts sh -c script as p's main process, its output to /dev/null. */
static int
start(struct ecg_proc *p, struct seen *s, const char *script, long stop_timeout_ms)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct ecg_spawn sp;
	struct ecg_spawn_failure failure;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), rc;

	memset(s, 0, sizeof(*s));
	memset(&sp, 0, sizeof(sp));
	sp.path = "/bin/sh";
	sp.argv = argv;
	sp.envp = environ;
	sp.stdin_fd = null;
	sp.stdout_fd = null;
	sp.stderr_fd = null;
	ecg_proc_init(p, loop, SIGTERM, stop_timeout_ms, &hooks, s);
	rc = ecg_proc_spawn(p, &sp, &failure);
	close(null);
	return rc == 0 && failure.step == NULL ? 0 : -1;
}

static void
expired(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(l, EVBREAK_ALL);
}

/* Runs the loop until the proc is gone (or BOUND): whether it is. */
static int
run_until_gone(struct seen *s)
{
	ev_timer t;

	ev_timer_init(&t, expired, BOUND, 0.);
	ev_now_update(loop);
	ev_timer_start(loop, &t);
	if (!s->gone)
		ev_run(loop, 0);
	ev_timer_stop(loop, &t);
	return s->gone;
}

/* Waits (without reaping) until pid has changed as flags say: whether it did. */
static int
wait_state(pid_t pid, int flags)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, flags | WNOWAIT) < 0)
		if (errno != EINTR)
			return 0;
	return si.si_pid == pid;
}

static void
stopped_process_gets_sigcont(void)
{
	struct ecg_proc p;
	struct seen s;

	/* sh stops itself: only a SIGCONT lets it act on SIGTERM. */
	if (start(&p, &s, "kill -STOP $$; exec sleep 300", 60000) < 0) {
		ok(0, "stopped: spawn");
		return;
	}
	ok(wait_state(ecg_proc_pid(&p), WSTOPPED), "stopped: the process stopped itself");
	ecg_proc_stop(&p);
	ok(s.nsent == 1 && s.sent[0] == SIGTERM, "stopped: SIGTERM at once, SIGCONT not yet");
	ok(run_until_gone(&s), "stopped: the group is gone, long before stop_timeout");
	ok(s.nsent == 2 && s.sent[1] == SIGCONT, "stopped: then SIGCONT (%d sent)", s.nsent);
	ok(WIFSIGNALED(s.wstatus) && WTERMSIG(s.wstatus) == SIGTERM && !s.escalated,
	    "stopped: ended by SIGTERM, no SIGKILL");
	ecg_proc_destroy(&p);
}

/*
 * A group that ends at SIGTERM gets no SIGCONT.  Asserted when the
 * process was seen dead within 50 ms of the stop (else the 0.1 s may
 * really have passed): a few tries, on a busy machine.
 */
static void
ended_group_gets_no_sigcont(void)
{
	struct ecg_proc p;
	struct seen s;
	int try, asserted = 0;
	double t0, dead;

	for (try = 0; try < 10 && !asserted; try++) {
		if (start(&p, &s, "exec sleep 300", 60000) < 0) {
			ok(0, "ended: spawn");
			return;
		}
		ev_now_update(loop);
		t0 = ecg_clock_now();
		ecg_proc_stop(&p);
		dead = wait_state(ecg_proc_pid(&p), WEXITED) ? ecg_clock_now() - t0 : BOUND;
		ok(run_until_gone(&s), "ended: the group is gone (try %d)", try + 1);
		if (dead < 0.05) {
			asserted = 1;
			ok(s.nsent == 1 && s.sent[0] == SIGTERM && !was_sent(&s, SIGCONT),
			    "ended: SIGTERM only, no SIGCONT (%d sent)", s.nsent);
		}
		ecg_proc_destroy(&p);
	}
	if (!asserted)
		printf("# ended: never dead within 50 ms of SIGTERM; not asserted on this machine\n");
}

static void
short_timeout_sends_sigcont_at_once(void)
{
	struct ecg_proc p;
	struct seen s;

	if (start(&p, &s, "exec sleep 300", 150) < 0) {
		ok(0, "short: spawn");
		return;
	}
	ecg_proc_stop(&p);
	ok(s.nsent == 2 && s.sent[0] == SIGTERM && s.sent[1] == SIGCONT,
	    "short: stop_timeout 150 ms: SIGTERM then SIGCONT at once");
	ok(run_until_gone(&s), "short: the group is gone");
	ecg_proc_destroy(&p);
}

static void
ignored_stop_signal_escalates(void)
{
	struct ecg_proc p;
	struct seen s;

	/* The shell ignores SIGTERM, and so does the sleep it becomes. */
	if (start(&p, &s, "trap '' TERM; exec sleep 300", 400) < 0) {
		ok(0, "ignored: spawn");
		return;
	}
	/* Once the trap is set (the sleep runs), the stop starts. */
	double deadline = ecg_clock_now() + BOUND;

	while (ecg_clock_now() < deadline) {
		char path[64], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)ecg_proc_pid(&p));
		f = fopen(path, "r");
		if (f != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		if (strncmp(comm, "sleep", 5) == 0)
			break;
		usleep(1000);
	}
	ecg_proc_stop(&p);
	ok(run_until_gone(&s), "ignored: the group is gone");
	ok(s.nsent == 3 && s.sent[0] == SIGTERM && s.sent[1] == SIGCONT && s.sent[2] == SIGKILL,
	    "ignored: SIGTERM, SIGCONT, SIGKILL (%d sent)", s.nsent);
	ok(s.escalated && WIFSIGNALED(s.wstatus) && WTERMSIG(s.wstatus) == SIGKILL,
	    "ignored: escalated, ended by SIGKILL");
	ecg_proc_destroy(&p);
}

int
main(void)
{
	loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_SIGNALFD);
	stopped_process_gets_sigcont();
	ended_group_gets_no_sigcont();
	short_timeout_sends_sigcont_at_once();
	ignored_stop_signal_escalates();
	return tap_done();
}
