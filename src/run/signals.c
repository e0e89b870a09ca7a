#define _GNU_SOURCE
#include "run/signals.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

/*
 * HUP, USR1, USR2 and WINCH are forwarded (to the tasks whose forward
 * says so); one that no task takes keeps its default meaning for ecg-run
 * (see signals.h).  The others would end ecg-run by default: each stops
 * the group instead, and is raised again at the end.
 */
static const int handled[] = {
	SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGINT, SIGTERM, SIGQUIT,
	SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGPWR, SIGSTKFLT,
};
_Static_assert(sizeof(handled) / sizeof(handled[0]) == ECG_SIGNALS_COUNT,
    "one watcher per handled signal");

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents);

void
ecg_signals_init(struct ecg_signals *s, struct ev_loop *loop, struct ecg_context *cancel,
    struct ecg_context *group, const struct ecg_signals_hooks *hooks, void *arg,
    ecg_event_fn event, void *event_arg)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->cancel = cancel;
	s->group = group;
	s->hooks = hooks;
	s->arg = arg;
	s->event = event;
	s->event_arg = event_arg;
	for (i = 0; i < ECG_SIGNALS_COUNT; i++) {
		ev_signal_init(&s->sigs[i], signal_cb, handled[i]);
		s->sigs[i].data = s;
	}
}

void
ecg_signals_start(struct ecg_signals *s)
{
	size_t i;

	for (i = 0; i < ECG_SIGNALS_COUNT; i++)
		ev_signal_start(s->loop, &s->sigs[i]);
}

/* A signal that asks ecg-run to stop, and again to stop at once; a shell must see it. */
static int
interrupt(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGQUIT || sig == SIGHUP;
}

static int
forwardable(int sig)
{
	return sig == SIGHUP || sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGWINCH;
}

static void
tell(struct ecg_signals *s, enum ecg_event_type type, int sig)
{
	struct ecg_event ev = { .type = type, .sig = sig };

	s->event(s->event_arg, &ev);
}

/*
 * A copy of a signal that arrives within SAME_REQUEST of the first copy is
 * the same request, not a second one.  coreutils timeout(1) sends its
 * signal to its child and then to its own process group, which holds the
 * child: ecg-run gets two copies microseconds apart.  A terminal's Ctrl-C
 * under timeout gives three.  A person pressing Ctrl-C again, or a script
 * sending another signal a second later, is well past the window.
 */
static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct ecg_signals *s = w->data;
	int sig = w->signum;
	double now = ecg_clock_now();
	size_t k = (size_t)(w - s->sigs);

	(void)loop;
	(void)revents;
	/* A new size is never a repeated request: the tasks' terminals follow each one. */
	if (sig == SIGWINCH && s->hooks->winch != NULL)
		s->hooks->winch(s->arg);
	if (s->request_at[k] > 0 && now - s->request_at[k] < ECG_SIGNALS_SAME_REQUEST) {
		tell(s, ECG_EV_SIGNAL_AGAIN, sig);
		return;
	}
	s->request_at[k] = now;
	if (forwardable(sig) && s->hooks->takers(sig, s->arg) > 0) {
		tell(s, ECG_EV_SIGNAL_FORWARD, sig);
		s->hooks->forward(sig, s->arg);
		return;
	}
	/* No task takes it: its own meaning for ecg-run (HUP is an interrupt). */
	if (sig == SIGWINCH)
		return;
	if (sig == SIGUSR1 || sig == SIGUSR2) {
		tell(s, ECG_EV_SIGNAL_IGNORED, sig);
		return;
	}
	/* The first interrupt decides how ecg-run ends, whatever the cause was. */
	if (interrupt(sig) && s->interrupt == 0)
		s->interrupt = sig;
	if (!ecg_context_done(s->group)) {
		tell(s, ECG_EV_CAUSE_SIGNAL, sig);
		s->signal = sig;
		ecg_context_cancel(s->cancel, 128 + sig);
		return;
	}
	if (!interrupt(sig))
		return;
	/* Asked again while stopping: the user does not want to wait. */
	tell(s, ECG_EV_SIGNAL_KILL_ALL, sig);
	s->hooks->kill_all(s->arg);
}

int
ecg_signals_end_signal(const struct ecg_signals *s, int status)
{
	if (s->interrupt != 0)
		return s->interrupt;
	/* A signal that was the cause ends ecg-run too, unless a task came first. */
	if (s->signal != 0 && status == 128 + s->signal)
		return s->signal;
	return 0;
}

void
ecg_signals_stop(struct ecg_signals *s)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	if (s->loop == NULL)
		return;
	/*
	 * The run is over and its status decided.  Stopping a watcher gives
	 * its signal back its default action, and a signal that came after
	 * the loop (a SIGHUP meant for the tasks, a late Ctrl-C) would then
	 * end ecg-run with another status.  So they are ignored (which also
	 * drops any pending one) and blocked, before and after the watchers
	 * stop: libev unblocks a signal it read through a signalfd, and
	 * restores the default action of one it caught with a handler.
	 * The front end sets up the one it raises itself.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&set);
	for (i = 0; i < ECG_SIGNALS_COUNT; i++) {
		sigaction(handled[i], &sa, NULL);
		sigaddset(&set, handled[i]);
	}
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < ECG_SIGNALS_COUNT; i++)
		ev_signal_stop(s->loop, &s->sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
}
