#define _GNU_SOURCE
#include "task/sched.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "config/deps.h"

static void cancelled(struct ecg_context *ctx, void *arg);

/* What the file says of t. */
static const struct ecg_task_spec *
spec_of(const struct ecg_sched *s, const struct ecg_task *t)
{
	return &s->specs[ecg_task_index(t)];
}

int
ecg_sched_init(struct ecg_sched *s, struct ecg_task *tasks, const struct ecg_task_spec *specs,
    size_t n, struct ecg_context *ctx, ecg_event_fn event, void *event_arg)
{
	size_t **after, *nafter, i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->tasks = tasks;
	s->specs = specs;
	s->n = n;
	s->ctx = ctx;
	s->event = event;
	s->event_arg = event_arg;
	s->not_ready = n;
	after = malloc((n ? n : 1) * sizeof(*after));
	nafter = malloc((n ? n : 1) * sizeof(*nafter));
	s->waits = calloc(n ? n : 1, sizeof(*s->waits));
	s->running_dependents = calloc(n ? n : 1, sizeof(*s->running_dependents));
	s->said = calloc(n ? n : 1, 1);
	s->holders = calloc(n ? n : 1, sizeof(*s->holders));
	s->wanted = calloc(n ? n : 1, 1);
	if (after == NULL || nafter == NULL || s->waits == NULL || s->running_dependents == NULL ||
	    s->said == NULL || s->holders == NULL || s->wanted == NULL) {
		free(after);
		free(nafter);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		after[i] = specs[i].after;
		nafter[i] = specs[i].nafter;
		s->waits[i] = nafter[i];
		if (!specs[i].sidecar)
			s->others_left++;
	}
	rc = ecg_deps_reverse(n, after, nafter, &s->dependents, &s->ndependents);
	free(after);
	free(nafter);
	if (rc < 0)
		return -ENOMEM;
	ecg_context_on_cancel(ctx, &s->cancel, cancelled, s);
	return 0;
}

void
ecg_sched_on_ready(struct ecg_sched *s, void (*ready)(void *arg), void *arg)
{
	s->ready = ready;
	s->ready_arg = arg;
}

void
ecg_sched_set_limit(struct ecg_sched *s, long limit)
{
	s->limit = limit;
}

void
ecg_sched_destroy(struct ecg_sched *s)
{
	if (s->ctx != NULL)
		ecg_context_forget(s->ctx, &s->cancel);
	free(s->dependents);
	free(s->ndependents);
	free(s->waits);
	free(s->running_dependents);
	free(s->said);
	s->said = NULL;
	free(s->holders);
	s->holders = NULL;
	free(s->wanted);
	s->wanted = NULL;
	s->dependents = NULL;
	s->ndependents = NULL;
	s->waits = NULL;
	s->running_dependents = NULL;
}

/* What a task was told about its wait for a slot (bits of said[]). */
#define SAID_WAITING 1		/* it waits for a free slot */
#define SAID_NO_SLOT 2		/* only tasks it is after hold them */

/* Whether t holds a slot: it started, is not over, and is no sidecar. */
static int
holds_slot(const struct ecg_sched *s, const struct ecg_task *t)
{
	enum ecg_task_state st = ecg_task_state(t);

	return st != ECG_TASK_WAITING && st != ECG_TASK_DONE && !spec_of(s, t)->sidecar;
}

/*
 * The tasks that hold a slot now, as a list ("a", "a and b", "a, b and
 * c") and as indices; *onlyafter tells whether t is after each of them.
 */
static size_t
slot_holders(const struct ecg_sched *s, const struct ecg_task *t, struct ecg_buf *list,
    size_t *idx, int *onlyafter)
{
	size_t i, j, held = 0, k = 0;

	*onlyafter = 1;
	for (i = 0; i < s->n; i++) {
		if (!holds_slot(s, &s->tasks[i]))
			continue;
		for (j = 0; j < spec_of(s, t)->nafter && spec_of(s, t)->after[j] != i; j++)
			;
		if (j == spec_of(s, t)->nafter)
			*onlyafter = 0;
		idx[held++] = i;
	}
	for (k = 0; k < held; k++)
		ecg_buf_printf(list, "%s%s", k == 0 ? "" : k + 1 == held ? " and " : ", ",
		    ecg_task_name(&s->tasks[idx[k]]));
	return held;
}

/*
 * t is ready to start but every slot is held: it says so once, naming
 * the limit and who holds them.  When only tasks it is after hold them,
 * unless one of those ends it never gets one: that is said too, as an
 * error.  t keeps waiting.
 */
static void
slot_wait(struct ecg_sched *s, struct ecg_task *t)
{
	struct ecg_buf list = ECG_BUF_INIT;
	size_t held;
	int onlyafter;

	if ((s->said[ecg_task_index(t)] & SAID_NO_SLOT) ||
	    ((s->said[ecg_task_index(t)] & SAID_WAITING) && spec_of(s, t)->nafter == 0))
		return;
	held = slot_holders(s, t, &list, s->holders, &onlyafter);
	if (!(s->said[ecg_task_index(t)] & SAID_WAITING)) {
		struct ecg_event ev = { .type = ECG_EV_WAITING_SLOT, .index = ecg_task_index(t),
			.name = ecg_task_name(t), .text = ecg_buf_str(&list), .n = (size_t)s->limit,
			.tasks = s->holders, .ntasks = held };
		s->said[ecg_task_index(t)] |= SAID_WAITING;
		s->event(s->event_arg, &ev);
	}
	if (onlyafter && held > 0) {
		struct ecg_event ev = { .type = ECG_EV_NO_SLOT, .index = ecg_task_index(t),
			.name = ecg_task_name(t), .text = ecg_buf_str(&list), .n = (size_t)s->limit };
		s->said[ecg_task_index(t)] |= SAID_NO_SLOT;
		s->event(s->event_arg, &ev);
	}
	ecg_buf_free(&list);
}

/*
 * Whether d, which is after p, must be gone before p is stopped: in
 * reverse order, but a sidecar serves to the end, so a task that is not a
 * sidecar never waits for one.
 */
static int
stops_before(const struct ecg_sched *s, size_t d, size_t p)
{
	return !s->specs[d].sidecar || s->specs[p].sidecar;
}

/* Starts t if a slot is free: 1 if it started, 0 if it must wait for one. */
static int
start(struct ecg_sched *s, struct ecg_task *t)
{
	size_t j;

	if (ecg_task_start(t) < 0) {
		slot_wait(s, t);
		return 0;
	}
	s->wanted[ecg_task_index(t)] = 0;
	for (j = 0; j < spec_of(s, t)->nafter; j++)
		if (stops_before(s, ecg_task_index(t), spec_of(s, t)->after[j]))
			s->running_dependents[spec_of(s, t)->after[j]]++;
	return 1;
}

/*
 * Those whose dependencies are ready, in the order of the file, while
 * slots are free.  A task that starts may be ready at once and free more
 * tasks: that asks for another pass instead of a nested one, so a long
 * chain costs no stack.
 */
void
ecg_sched_slot_free(struct ecg_sched *s)
{
	size_t i;

	if (s->scanning) {
		s->rescan = 1;
		return;
	}
	s->scanning = 1;
	do {
		int full = 0;

		s->rescan = 0;
		/*
		 * No task goes back to waiting: those before the first that waits
		 * are never looked at again, so that starting a group costs each
		 * task one look, not one per start.
		 */
		while (s->first_waiting < s->n && !s->wanted[s->first_waiting] &&
		    ecg_task_state(&s->tasks[s->first_waiting]) != ECG_TASK_WAITING)
			s->first_waiting++;
		for (i = s->first_waiting; i < s->n && !ecg_context_done(s->ctx); i++) {
			struct ecg_task *t = &s->tasks[i];
			enum ecg_task_state st = ecg_task_state(t);
			/* Waiting with its dependencies ready, or done and asked to start again. */
			if (!(st == ECG_TASK_WAITING && s->waits[i] == 0) &&
			    !(st == ECG_TASK_DONE && s->wanted[i]))
				continue;
			/* Behind a task that found no slot, in the file's order: it waits too. */
			if (full && !spec_of(s, t)->sidecar)
				slot_wait(s, t);
			else if (!start(s, t))
				full = 1;
		}
	} while (s->rescan && !ecg_context_done(s->ctx));
	s->scanning = 0;
}

/* "a and b", "a, b and c": the tasks t still waits for. */
static void
waiting_list(const struct ecg_sched *s, const struct ecg_task *t, struct ecg_buf *b)
{
	size_t j, k = 0, left = 0;

	for (j = 0; j < spec_of(s, t)->nafter; j++)
		if (!ecg_task_ever_ready(&s->tasks[spec_of(s, t)->after[j]]))
			left++;
	for (j = 0; j < spec_of(s, t)->nafter; j++) {
		const struct ecg_task *d = &s->tasks[spec_of(s, t)->after[j]];
		if (ecg_task_ever_ready(d))
			continue;
		k++;
		ecg_buf_printf(b, "%s%s", k == 1 ? "" : k == left ? " and " : ", ", ecg_task_name(d));
	}
}

void
ecg_sched_run(struct ecg_sched *s)
{
	struct ecg_buf list = ECG_BUF_INIT;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct ecg_task *t = &s->tasks[i];
		if (s->waits[i] > 0) {
			struct ecg_event ev = { .type = ECG_EV_WAITING, .index = ecg_task_index(t),
				.name = ecg_task_name(t) };
			ecg_buf_reset(&list);
			waiting_list(s, t, &list);
			ev.text = ecg_buf_str(&list);
			s->event(s->event_arg, &ev);
		}
	}
	ecg_buf_free(&list);
	/* A signal may have come before the run: nothing starts then. */
	ecg_sched_slot_free(s);
}

/* One more task counts as ready for the group (ready, or exited with 0). */
static void
count_ready(struct ecg_sched *s)
{
	if (s->not_ready == 0 || --s->not_ready > 0 || s->announced)
		return;
	if (ecg_context_done(s->ctx))
		return;
	s->announced = 1;
	if (s->ready != NULL)
		s->ready(s->ready_arg);
}

static void
task_ready(struct ecg_sched *s, struct ecg_task *t)
{
	size_t j, k;

	count_ready(s);
	for (j = 0; j < s->ndependents[ecg_task_index(t)]; j++) {
		k = s->dependents[ecg_task_index(t)][j];
		if (s->waits[k] > 0)
			s->waits[k]--;
	}
	/* Its dependents whose wait is over take free slots with the others, in order. */
	ecg_sched_slot_free(s);
}

static void
task_ended(struct ecg_sched *s, struct ecg_task *t, const struct ecg_event *end)
{
	size_t j, i = ecg_task_index(t);

	/* Stopped as asked, it may start again: those after it keep waiting. */
	if (end->was_ready || end->end == ECG_END_STOPPED)
		return;
	/* Whoever still waits for it would wait forever. */
	for (j = 0; j < s->ndependents[i]; j++) {
		struct ecg_task *d = &s->tasks[s->dependents[i][j]];
		if (ecg_task_state(d) != ECG_TASK_WAITING)
			continue;
		if (!ecg_context_done(s->ctx)) {
			struct ecg_event ev = { .type = ECG_EV_CAUSE_DEPENDENCY, .index = ecg_task_index(t),
				.name = ecg_task_name(t), .other = ecg_task_name(d), .code = end->code };
			s->event(s->event_arg, &ev);
			ecg_context_cancel(s->ctx, end->code != 0 ? end->code : 1);
		}
		break;
	}
	/* A task that exited with 0 counts as ready for the group. */
	if (end->end == ECG_END_EXITED && !end->failed)
		count_ready(s);
}

/*
 * Stops t if the group is stopping and nothing after t still runs; a
 * sidecar only once every task that is not one has ended, so that a log
 * follower shows their last lines and a proxy serves them while they
 * drain.
 */
static void
maybe_stop(struct ecg_sched *s, struct ecg_task *t)
{
	if (ecg_context_done(s->ctx) && s->running_dependents[ecg_task_index(t)] == 0 &&
	    (!spec_of(s, t)->sidecar || s->others_left == 0))
		ecg_task_stop(t);
}

static void
task_done(struct ecg_sched *s, struct ecg_task *t, int started)
{
	size_t j;

	for (j = 0; j < spec_of(s, t)->nafter && started; j++) {
		size_t p = spec_of(s, t)->after[j];
		if (!stops_before(s, ecg_task_index(t), p))
			continue;
		s->running_dependents[p]--;
		maybe_stop(s, &s->tasks[p]);
	}
	if (spec_of(s, t)->sidecar || s->others_left == 0 || --s->others_left > 0)
		return;
	/*
	 * Every task that is not a sidecar has ended: the group's work is
	 * over.  Ending it without a cause (if nothing did before) leaves the
	 * status as it is.  The sidecars then stop, in reverse order too: if
	 * this ends the group, once it is said to be stopping (the context's
	 * waiters, this scheduler's among them, run after the stopping is
	 * said; a sidecar stopped before that, whose exit libev reports first,
	 * would be taken for one killed from outside); else now.
	 */
	if (!ecg_context_done(s->ctx)) {
		for (j = 0; j < s->n; j++)
			if (ecg_task_state(&s->tasks[j]) != ECG_TASK_DONE) {
				ecg_context_cancel(s->ctx, 0);
				return;
			}
		return;
	}
	for (j = 0; j < s->n; j++)
		if (s->specs[j].sidecar && ecg_task_state(&s->tasks[j]) != ECG_TASK_DONE)
			maybe_stop(s, &s->tasks[j]);
}

int
ecg_sched_start_again(struct ecg_sched *s, size_t i)
{
	if (i >= s->n || ecg_context_done(s->ctx))
		return -ECANCELED;
	if (ecg_task_state(&s->tasks[i]) != ECG_TASK_DONE || s->wanted[i])
		return -EALREADY;
	s->wanted[i] = 1;
	/* It is one of those the group's work waits for again. */
	if (!s->specs[i].sidecar)
		s->others_left++;
	if (i < s->first_waiting)
		s->first_waiting = i;
	ecg_sched_slot_free(s);
	return 0;
}

void
ecg_sched_event(void *arg, const struct ecg_event *ev)
{
	struct ecg_sched *s = arg;
	struct ecg_task *t = ev->name != NULL && ev->index < s->n ? &s->tasks[ev->index] : NULL;

	if (t == NULL)
		return;
	if (ev->type == ECG_EV_READY && ev->first_ready)
		task_ready(s, t);
	else if (ev->type == ECG_EV_ENDED)
		task_ended(s, t, ev);
	else if (ev->type == ECG_EV_DONE)
		task_done(s, t, ev->n != 0);
}

static void
cancelled(struct ecg_context *ctx, void *arg)
{
	struct ecg_sched *s = arg;
	size_t i;

	(void)ctx;
	/* Those still waiting (for their dependencies or a slot) never start; none restarts. */
	for (i = 0; i < s->n; i++) {
		enum ecg_task_state st = ecg_task_state(&s->tasks[i]);
		if (st == ECG_TASK_WAITING)
			ecg_task_skip(&s->tasks[i]);
		else if (st == ECG_TASK_BACKOFF || st == ECG_TASK_RESTARTING ||
		    st == ECG_TASK_RECYCLING)
			ecg_task_stop(&s->tasks[i]);
	}
	for (i = 0; i < s->n; i++)
		if (ecg_task_state(&s->tasks[i]) != ECG_TASK_DONE)
			maybe_stop(s, &s->tasks[i]);
}

long
ecg_sched_stop_bound(const struct ecg_sched *s)
{
	char *live = malloc(s->n ? s->n : 1);
	long bound;
	size_t i;

	if (live == NULL)
		return -1;
	for (i = 0; i < s->n; i++)
		live[i] = (char)(ecg_task_state(&s->tasks[i]) != ECG_TASK_DONE);
	bound = ecg_config_stop_bound_in(s->n, s->dependents, s->ndependents, s->specs, live);
	free(live);
	return bound;
}
