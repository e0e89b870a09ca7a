/*
 * ecg-run's messages on the pump: what may be dropped when stderr is stuck
 * and what never is, a message waiting for a task's lines, a task's lines
 * waiting for a message (the gate), and the cut of a message too long for
 * its limit.  stderr is a pipe of the test's; the TAP lines go to stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/notes.h"
#include "output/pump.h"
#include "tap.h"

static char got[1 << 20];
static size_t ngot;

/* Reads what the pipe holds now into got. */
static void
drain(int fd)
{
	ssize_t n;

	while (ngot < sizeof(got) - 1 && (n = read(fd, got + ngot, sizeof(got) - 1 - ngot)) > 0)
		ngot += (size_t)n;
	got[ngot] = '\0';
}

/* Runs the loop and drains the pipe until got holds want (bounded by rounds). */
static int
run_until(struct ev_loop *loop, int fd, const char *want)
{
	int i;

	for (i = 0; i < 100000; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		drain(fd);
		if (strstr(got, want) != NULL)
			return 1;
	}
	return 0;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

int
main(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ecg_context root;
	struct ecg_errgroup eg;
	struct ecg_pump out;
	struct ecg_notes notes;
	struct ecg_pump_opts opts;
	struct ecg_pump_mark mark;
	struct ecg_source src;
	char line[128], junk[4096];
	int p[2], saved, refused, i, accepted = 0;
	uint64_t dropped;
	const char *a, *c;

	if (pipe2(p, O_CLOEXEC) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0)
		return 2;
	/* fill the pipe: the stderr ecg-run gets refuses every byte */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	memset(junk, 'j', sizeof(junk));
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	while (write(p[1], junk, 1) > 0)
		;
	fcntl(p[1], F_SETFL, 0);
	saved = dup(2);
	dup2(p[1], 2);

	memset(&opts, 0, sizeof(opts));
	opts.prefix = 1;
	ecg_context_init(&root, loop, NULL);
	ecg_errgroup_init(&eg, &root);
	ok(ecg_pump_init(&out, loop, &root, &eg, &opts, NULL) == 0, "output set up");
	ecg_notes_init(&notes, &out, 0);
	ecg_pump_source_init(&out, &src, 2, "t", -1, 4096, NULL, NULL);

	/* a flood of ordinary messages into a stuck stderr: the excess is dropped */
	for (i = 0; i < 2000; i++) {
		int n = snprintf(line, sizeof(line), "info %04d %s", i,
		    "................................................................................");
		uint64_t before = ecg_notes_dropped(&notes);
		ecg_notes_put(&notes, line, (size_t)n, 0, NULL);
		accepted += ecg_notes_dropped(&notes) == before;
		ev_run(loop, EVRUN_NOWAIT);
	}
	dropped = ecg_notes_dropped(&notes);
	refused = ecg_pump_refused(&out, 2);
	ok(dropped > 0 && dropped == (uint64_t)(2000 - accepted),
	    "messages that do not fit are dropped and counted (%llu)", (unsigned long long)dropped);
	ok(refused, "stderr is known to have refused bytes");

	/*
	 * What must be written waits in memory, in its order: a cause longer
	 * than the room left goes into the channel in part, the rest waits.
	 */
	memset(junk, '.', sizeof(junk));
	memcpy(junk, "cause A", 7);
	memcpy(junk + 1000 - 5, "A end", 5);
	ecg_notes_put(&notes, junk, 1000, 1, NULL);
	ecg_notes_put(&notes, "info after A", 12, 0, NULL);
	ecg_notes_put(&notes, "error C", 7, 1, NULL);
	ok(ecg_notes_dropped(&notes) == dropped + 1,
	    "an ordinary message behind a waiting one is dropped, not put ahead of it");

	/* a task's lines, then a message about it that must come after them */
	ecg_channel_write(&src.ch, "t line 1\nt line 2\n", 18);
	mark.src[0] = &src;
	mark.src[1] = NULL;
	mark.upto[0] = ecg_pump_source_end(&src, 9);	/* and 9 bytes not read yet */
	mark.upto[1] = 0;
	ecg_notes_put(&notes, "about t", 7, 1, &mark);

	/* the reader comes back: everything kept arrives */
	got[0] = '\0';
	ngot = 0;
	/* the task's last line arrives late, after the message was queued */
	for (i = 0; i < 1000; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		drain(p[0]);
	}
	ok(strstr(got, "about t") == NULL, "the message waits for the task's line not read yet");
	ecg_channel_write(&src.ch, "t line 3\n", 9);
	ok(run_until(loop, p[0], "about t\n"), "the waiting messages arrive once stderr drains");
	ok(count(got, "info ") == (size_t)accepted,
	    "every accepted message arrives once (%zu of %d)", count(got, "info "), accepted);
	a = strstr(got, "A end\n");
	c = strstr(got, "error C\n");
	ok(a != NULL && c != NULL && a < c && strstr(got, "info after A") == NULL,
	    "must-write messages arrive in order");
	ok(strstr(got, "cause A") != NULL && strstr(got, "cause A") + 995 == a,
	    "a message that went in part arrives whole, as one line");
	ok(strstr(got, "t line 3\n") != NULL && strstr(got, "t line 3\n") < strstr(got, "about t"),
	    "the message about the task comes after the task's last line");

	/* the gate: what t writes after the message that it started comes after it */
	got[0] = '\0';
	ngot = 0;
	ecg_channel_write(&src.ch, "t old line\n", 11);
	mark.upto[0] = ecg_pump_source_end(&src, 0);
	ecg_notes_put(&notes, "held back", 9, 1, &mark);	/* holds the message behind it */
	ecg_notes_gate(&notes, &mark, ecg_notes_put(&notes, "t started", 9, 0, &mark));
	ecg_channel_write(&src.ch, "t first line\n", 13);
	ecg_channel_write(&src.ch, "t second line\n", 14);
	ok(run_until(loop, p[0], "t second line\n"), "the task's lines arrive");
	a = strstr(got, "t old line\n");
	c = strstr(got, "t started\n");
	ok(a != NULL && c != NULL && a < c, "the message comes after what the task wrote before it");
	ok(strstr(got, "t first line\n") > c,
	    "what the task writes after the message that it started comes after it");

	/* a message longer than the limit is cut in its middle and keeps its end */
	{
		size_t n = 200000;
		char *huge = malloc(n), *cut, *nl;
		memset(huge, 'x', n);
		memcpy(huge + n - 24, ", stopping the group END", 24);
		got[0] = '\0';
		ngot = 0;
		ok(ecg_notes_put(&notes, huge, n, 1, NULL) > 0, "a 200,000-byte message is taken");
		ok(run_until(loop, p[0], "stopping the group END\n"), "it arrives with its end");
		cut = strstr(got, "xxx...xxx");
		nl = strchr(got, '\n');
		ok(cut != NULL && nl != NULL && (size_t)(nl - got) + 1 == ECG_NOTES_MAX,
		    "cut visibly to %zu bytes with its newline (%zu)", ECG_NOTES_MAX,
		    nl != NULL ? (size_t)(nl - got) + 1 : (size_t)0);
		free(huge);
	}

	ecg_channel_close(&src.ch);
	ecg_notes_close(&notes);
	ev_run(loop, EVRUN_NOWAIT);
	ecg_pump_source_destroy(&src);
	ecg_notes_destroy(&notes);
	ecg_pump_destroy(&out);
	ecg_errgroup_destroy(&eg);
	ecg_context_destroy(&root);
	ev_loop_destroy(loop);
	dup2(saved, 2);
	close(saved);
	close(p[0]);
	close(p[1]);
	return tap_done();
}
