/*
 * escapees: reading the kernel's list of children however long it is,
 * holding a child by a pidfd, and (run as "test_escapees reuse" inside a
 * PID namespace of its own, as root) never signalling a process that was
 * given the pid of an escapee already reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/escapees.h"
#include "tap.h"

static pid_t
sleeper(void)
{
	pid_t p = fork();

	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

static int report = -1;

static void
got(int sig)
{
	char c = sig == SIGTERM ? 'T' : 'R';

	(void)!write(report, &c, 1);
}

/*
 * A child that writes T to the pipe when it gets SIGTERM and R for
 * SIGRTMIN: a pending SIGTERM is always delivered before a SIGRTMIN sent
 * after it (lower signals first), so R with no T before it proves that no
 * SIGTERM came.
 */
static pid_t
witness(int *rd)
{
	struct sigaction sa;
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		report = p[1];
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = got;
		sigfillset(&sa.sa_mask);	/* one handler at a time: their writes stay in order */
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGRTMIN, &sa, NULL);
		(void)!write(report, "S", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	*rd = p[0];
	return pid;
}

static long
no_task(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return -1;
}

static long
task_seven(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "web") == 0 ? 7 : -1;
}

/* A child that is a program with ECG_RUN_TASK=web in its environment. */
static pid_t
task_child(void)
{
	static char *const argv[] = { "sleep", "300", NULL };
	static char *const envp[] = { "ECG_RUN_TASK=web", NULL };
	pid_t p = fork();

	if (p == 0) {
		execve("/bin/sleep", argv, envp);
		_exit(127);
	}
	return p;
}

/* The pid reuse test: in a fresh PID namespace, pids can be chosen. */
static int
reuse(void)
{
	struct ecg_escapee e;
	pid_t a, b, self = getpid();
	char c = '?';
	FILE *f;
	int rd;

	a = sleeper();
	ok(ecg_escapee_open(&e, a, self) == 0, "holding a child (%d)", (int)a);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	/* the next pid the namespace gives is a's again */
	f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	if (f == NULL || fprintf(f, "%d", (int)a - 1) < 0 || fclose(f) != 0) {
		printf("ok 2 # skip cannot set ns_last_pid\n1..2\n");
		return 0;
	}
	b = witness(&rd);
	if (b != a) {
		printf("ok 2 # skip the pid was not reused (%d, %d)\n1..2\n", (int)a, (int)b);
		kill(b, SIGKILL);
		return 0;
	}
	/* it has set up its handlers */
	while (read(rd, &c, 1) < 0 && errno == EINTR)
		;
	ok(!ecg_escapee_alive(&e), "the reaped escapee is gone, though its pid is in use again");
	ecg_escapee_signal(&e, SIGTERM);
	kill(b, SIGRTMIN);
	while (read(rd, &c, 1) < 0 && errno == EINTR)
		;
	ok(c == 'R', "the new process with its pid was not signalled (it got %c)", c);
	ecg_escapee_close(&e);
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
	return tap_done();
}

int
main(int argc, char **argv)
{
	static const pid_t mains[] = { 1000, 1500, 200000 };
	char path[] = "/tmp/ecg-children-XXXXXX";
	struct ecg_escapee e;
	struct ecg_escapees set;
	pid_t *pids = NULL, child, self = getpid();
	FILE *f;
	long n, i;
	int fd;

	if (argc > 1 && strcmp(argv[1], "reuse") == 0)
		return reuse();

	/* 20,000 pids: 138 KiB, more than any fixed buffer we had */
	fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL)
		return 2;
	for (i = 0; i < 20000; i++)
		fprintf(f, "%ld ", 1000 + i * 10);
	fprintf(f, "\n");
	fclose(f);
	n = ecg_escapees_read_list(path, mains, 3, &pids);
	unlink(path);
	ok(n == 20000 - 3, "every pid of a long list is read, the mains left out (%ld)", n);
	ok(n > 0 && pids[0] == 1010 && pids[n - 1] == 1000 + 19999 * 10,
	    "the first and the last pid are whole (%d)", n > 0 ? (int)pids[n - 1] : -1);
	free(pids);

	child = sleeper();
	ok(ecg_escapee_open(&e, child, self) == 0, "a child of ours can be held");
	ok(ecg_escapee_alive(&e), "and is alive");
	ecg_escapee_signal(&e, SIGTERM);
	waitpid(child, NULL, 0);
	ok(!ecg_escapee_alive(&e), "a signalled, reaped child is gone");
	ecg_escapee_close(&e);
	ok(ecg_escapee_open(&e, getppid(), self) == -ESRCH, "a process that is not our child is refused");

	/* a rescan finds our children but the mains, and keeps what it knew */
	ecg_escapees_init(&set);
	child = sleeper();
	ok(ecg_escapees_rescan(&set, self, NULL, 0, NULL, NULL) == 0 && set.n == 1 &&
	    set.list[0].pid == child && set.list[0].task == -1, "a rescan finds a child");
	fd = set.list[0].fd;
	ok(ecg_escapees_rescan(&set, self, NULL, 0, NULL, NULL) == 0 && set.n == 1 &&
	    set.list[0].fd == fd, "and keeps its hold on it the next time");
	ok(ecg_escapees_rescan(&set, self, &child, 1, NULL, NULL) == 0 && set.n == 0,
	    "a main process is not an escapee");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ecg_escapees_destroy(&set);

	/* which task: looked up again until it is known */
	ecg_escapees_init(&set);
	child = task_child();
	for (i = 0; i < 1000; i++) {	/* until the exec is done: the environment is there */
		char name[16];
		if (ecg_escapees_task_of(child, name, sizeof(name)) == 0)
			break;
		usleep(1000);
	}
	ok(ecg_escapees_rescan(&set, self, NULL, 0, no_task, NULL) == 0 && set.n == 1 &&
	    set.list[0].task == -1, "an escapee of no known task");
	ok(ecg_escapees_rescan(&set, self, NULL, 0, task_seven, NULL) == 0 && set.n == 1 &&
	    set.list[0].task == 7, "is looked up again on the next scan, by its ECG_RUN_TASK");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ecg_escapees_destroy(&set);
	return tap_done();
}
