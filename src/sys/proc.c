#define _GNU_SOURCE
#include "sys/proc.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* How often a process group whose main process ended is looked at. */
#define POLL_FIRST 0.005
#define POLL_EVERY 0.025
/* How long after the stop signal a group still there gets its SIGCONT. */
#define CONT_AFTER_MS 100L

static void child_cb(struct ev_loop *loop, ev_child *w, int revents);
static void kill_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void poll_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

void
ecg_proc_init(struct ecg_proc *p, struct ev_loop *loop, int stop_signal, long stop_timeout_ms,
    const struct ecg_proc_hooks *hooks, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->hooks = hooks;
	p->arg = arg;
	p->stop_signal = stop_signal;
	p->stop_timeout_ms = stop_timeout_ms;
	p->pid = -1;
	ev_child_init(&p->child, child_cb, 0, 0);
	p->child.data = p;
	ev_timer_init(&p->kill_timer, kill_timer_cb, 0, 0);
	p->kill_timer.data = p;
	ev_timer_init(&p->poll_timer, poll_timer_cb, POLL_FIRST, POLL_EVERY);
	p->poll_timer.data = p;
}

void
ecg_proc_destroy(struct ecg_proc *p)
{
	ev_child_stop(p->loop, &p->child);
	ev_timer_stop(p->loop, &p->kill_timer);
	ev_timer_stop(p->loop, &p->poll_timer);
}

int
ecg_proc_spawn(struct ecg_proc *p, const struct ecg_spawn *sp, struct ecg_spawn_failure *failure)
{
	pid_t pid;
	int rc = ecg_spawn_start(sp, &pid, failure);

	if (rc < 0)
		return rc;
	p->pid = pid;
	p->group_alive = 1;
	ev_child_set(&p->child, pid, 0);
	ev_child_start(p->loop, &p->child);
	return 0;
}

int
ecg_proc_running(const struct ecg_proc *p)
{
	return p->pid > 0 && !p->reaped;
}

static size_t
escaped(struct ecg_proc *p, int sig)
{
	return p->hooks->escaped != NULL ? p->hooks->escaped(p, sig, p->arg) : 0;
}

/* kill(2) on the process group, unless it is known to be gone, and on the escapees. */
static void
send_group(struct ecg_proc *p, int sig, int tell)
{
	size_t n = escaped(p, sig);

	if (tell && n > 0 && p->hooks->sent != NULL)
		p->hooks->sent(p, sig, 0, n, p->arg);
	if (!p->group_alive)
		return;
	if (kill(-p->pid, sig) < 0 && errno == ESRCH) {
		p->group_alive = 0;
		return;
	}
	if (tell && p->hooks->sent != NULL)
		p->hooks->sent(p, sig, 1, 0, p->arg);
}

/* ecg_proc_gone, from what is known without asking the kernel whether the group is there. */
static int
gone_as_known(struct ecg_proc *p)
{
	if (p->finished || p->pid <= 0)
		return 1;
	if (p->reaped && escaped(p, 0) > 0)
		return 0;
	return !p->group_alive;
}

int
ecg_proc_gone(struct ecg_proc *p)
{
	if (!p->finished && p->pid > 0 && p->group_alive && kill(-p->pid, 0) < 0 &&
	    errno == ESRCH)
		p->group_alive = 0;
	return gone_as_known(p);
}

void
ecg_proc_signal(struct ecg_proc *p, int sig)
{
	if (p->pid > 0 && !p->finished)
		send_group(p, sig, 1);
}

void
ecg_proc_kill(struct ecg_proc *p)
{
	if (ecg_proc_gone(p))
		return;
	/* Sent again to what is still there, but told once. */
	send_group(p, SIGKILL, !p->kill_sent);
	p->kill_sent = 1;
	if (p->reaped && !ev_is_active(&p->poll_timer))
		ev_timer_start(p->loop, &p->poll_timer);
}

/*
 * The stop signal goes to the whole process group, followed by SIGCONT:
 * a member that was stopped (SIGSTOP, SIGTSTP) cannot act on the signal
 * until it runs again.  The SIGCONT goes only to a group still there
 * CONT_AFTER_MS later, from the kill timer's first run: most groups end
 * at their stop signal before that, and a SIGCONT to a process already
 * exiting is a system call for nothing (a third of a stop's kill calls;
 * its time is within W2's noise).  A stopped process so
 * acts on its stop signal 0.1 s late; a stop_timeout too short for
 * that gets its SIGCONT at once, as before.  The kill timer then gives
 * the group the rest of stop_timeout to be gone before SIGKILL.
 */
void
ecg_proc_stop(struct ecg_proc *p)
{
	int sig = p->stop_signal;

	/*
	 * No kill(2) to ask first whether the group is there: the signal's
	 * own answer says (ESRCH), and a group of a thousand tasks stops
	 * with a third fewer system calls.
	 */
	if (p->stop_sent || gone_as_known(p))
		return;
	p->stop_sent = 1;
	if (p->stop_timeout_ms == 0 || sig == SIGKILL) {
		ecg_proc_kill(p);
		return;
	}
	send_group(p, sig, 1);
	ev_timer_set(&p->kill_timer, (double)p->stop_timeout_ms / 1000.0, 0);
	if (sig != SIGCONT && p->group_alive) {
		if (p->stop_timeout_ms > 2 * CONT_AFTER_MS) {
			p->cont_due = 1;
			ev_timer_set(&p->kill_timer, (double)CONT_AFTER_MS / 1000.0, 0);
		} else {
			send_group(p, SIGCONT, 1);
		}
	}
	ev_timer_start(p->loop, &p->kill_timer);
}

void
ecg_proc_stop_asked(struct ecg_proc *p)
{
	if (p->stop_sent || ecg_proc_gone(p))
		return;
	p->stop_sent = 1;
	if (p->stop_timeout_ms == 0) {
		ecg_proc_kill(p);
		return;
	}
	ev_timer_set(&p->kill_timer, (double)p->stop_timeout_ms / 1000.0, 0);
	ev_timer_start(p->loop, &p->kill_timer);
}

static void
kill_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_proc *p = w->data;

	(void)revents;
	if (p->kill_sent || p->finished)
		return;
	if (p->cont_due) {
		/* send_group finds out by itself whether the group is gone (ESRCH). */
		p->cont_due = 0;
		send_group(p, SIGCONT, 1);
		ev_timer_set(w, (double)(p->stop_timeout_ms - CONT_AFTER_MS) / 1000.0, 0);
		ev_timer_start(loop, w);
		return;
	}
	if (ecg_proc_gone(p))
		return;
	if (p->hooks->escalating != NULL)
		p->hooks->escalating(p, p->arg);
	ecg_proc_kill(p);
}

static void
finish(struct ecg_proc *p)
{
	p->finished = 1;
	ev_timer_stop(p->loop, &p->kill_timer);
	ev_timer_stop(p->loop, &p->poll_timer);
	if (p->hooks->gone != NULL)
		p->hooks->gone(p, p->arg);
}

/*
 * The main process has ended: the proc is over once nothing of it is
 * left.  Something still there (maybe an escapee found only now: the
 * kernel's list of children can miss one while others exit) is stopped,
 * and looked at again until it is gone.  With the stop signal sent and
 * SIGKILL not yet, the kill timer reaches it.
 */
static void
settle(struct ecg_proc *p)
{
	if (p->finished)
		return;
	if (ecg_proc_gone(p)) {
		finish(p);
		return;
	}
	if (!p->stop_sent) {
		if (p->hooks->left != NULL)
			p->hooks->left(p, p->arg);
		ecg_proc_stop(p);
	} else if (p->kill_sent) {
		ecg_proc_kill(p);
	}
	if (!ev_is_active(&p->poll_timer))
		ev_timer_start(p->loop, &p->poll_timer);
}

static void
poll_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ecg_proc *p = w->data;

	(void)revents;
	if (ecg_proc_gone(p)) {
		ev_timer_stop(loop, w);
		if (!p->finished)
			finish(p);
	} else if (p->kill_sent) {
		/* An escapee found only now gets its SIGKILL too. */
		ecg_proc_kill(p);
	}
}

static void
child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct ecg_proc *p = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	p->reaped = 1;
	p->wstatus = w->rstatus;
	if (p->hooks->exited != NULL)
		p->hooks->exited(p, p->wstatus, p->arg);
	settle(p);
}

void
ecg_proc_abandon(struct ecg_proc *p)
{
	if (p->finished)
		return;
	if (p->pid > 0 && !ecg_proc_gone(p))
		send_group(p, SIGKILL, 1);
	/* Whatever is still unreaped, libev reaps; we stop waiting for it. */
	ev_child_stop(p->loop, &p->child);
	p->group_alive = 0;
	p->finished = 1;
	ev_timer_stop(p->loop, &p->kill_timer);
	ev_timer_stop(p->loop, &p->poll_timer);
}

int
ecg_proc_alive(const struct ecg_proc *p)
{
	return ecg_proc_running(p) || (p->pid > 0 && p->group_alive);
}

int
ecg_proc_over(const struct ecg_proc *p)
{
	return p->pid <= 0 || p->finished;
}

pid_t
ecg_proc_pid(const struct ecg_proc *p)
{
	return p->pid;
}

int
ecg_proc_reaped(const struct ecg_proc *p)
{
	return p->reaped;
}

long
ecg_proc_stop_timeout(const struct ecg_proc *p)
{
	return p->stop_timeout_ms;
}
