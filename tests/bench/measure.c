/*
 * measure: runs one command and measures that process alone, not its
 * children: wall time, its own CPU time, its peak RSS and its context
 * switches.
 *
 *   measure [-t] [-c N] [-i SECONDS] [-s SECONDS] [-T SECONDS] [-F FILE] [-r FILE] -- COMMAND [ARG...]
 *
 *   -t   trace the process (ptrace) to read its peak RSS (VmHWM) at the
 *        moment it exits; signals it receives are passed on untouched, at
 *        the cost of a stop per signal, so leave it off when timing many
 *        children.  Without -t, CPU time and context switches are still
 *        read from the exited process before it is reaped.
 *   -c N wait (bounded by -T) until the process has N children.
 *   -s S the time to settle before -i's window (default 0.5 s)
 *   -i S after -c and the time to settle: an idle window of S
 *        seconds; the CPU time, context switches and RSS of the process
 *        over it are reported, then it is sent SIGTERM.
 *   -T S time limit: after S seconds the process is sent SIGKILL and the
 *        result says timeout=1 (default 600).
 *   -F FILE  a failure time (CLOCK_REALTIME nanoseconds, written by
 *        "measure fail"): reports the time from it to the process's exit.
 *   -r FILE  appends the result line there (default: stderr).
 *
 *   measure fail MS STATUS FILE
 *        a task that sleeps MS milliseconds, writes the time to FILE and
 *        exits with STATUS.
 *   measure spawn N COMMAND [ARG...]
 *        starts N copies of COMMAND with posix_spawn(3) and waits for them
 *        all: the least any supervisor can do to start N tasks.
 *
 * The result is one line of key=value pairs: status (the exit status,
 * 128+N for a signal), wall, cpu (seconds), sys (of it, in the kernel), rss_kb (with -t), vcs and ivcs
 * (voluntary and involuntary context switches), and with -i: idle_cpu (to the
 * nanosecond, from /proc/PID/schedstat where there is one),
 * idle_cs, idle_rss_kb, idle_hwm_kb, idle_anon_kb (RssAnon: the private,
 * anonymous part); with -F: latency_ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <spawn.h>

extern char **environ;

struct sample {
	double cpu;		/* user + system seconds of the process itself */
	double sys;		/* of which in the kernel */
	long vcs, ivcs;		/* context switches */
	long hwm_kb, rss_kb;	/* peak and current resident set */
	long anon_kb;		/* the resident set's private part (no file pages) */
	double run;		/* seconds on a CPU, to the nanosecond (schedstat), or -1 */
};

static volatile sig_atomic_t expired;

static void
on_alarm(int sig)
{
	(void)sig;
	expired = 1;
}

static double
now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what /proc says of pid now; fields it lacks stay -1. */
static void
take(pid_t pid, struct sample *s)
{
	char path[64], buf[4096], *p;
	unsigned long ut, st;
	FILE *f;
	int fd;
	ssize_t n;

	s->cpu = s->sys = -1;
	s->vcs = s->ivcs = s->hwm_kb = s->rss_kb = s->anon_kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			/* after "(comm) ": state ppid pgrp session tty tpgid flags
			 * minflt cminflt majflt cmajflt utime stime */
			p = strrchr(buf, ')');
			if (p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			    &ut, &st) == 2)
			{
				s->cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
				s->sys = (double)st / (double)sysconf(_SC_CLK_TCK);
			}
		}
	}
	/* The first field: time on a CPU in ns (clock ticks are 10 ms, too coarse for an idle window). */
	s->run = -1;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		unsigned long long ns;

		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "%llu", &ns) == 1)
				s->run = (double)ns / 1e9;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		sscanf(buf, "VmHWM: %ld", &s->hwm_kb);
		sscanf(buf, "VmRSS: %ld", &s->rss_kb);
		sscanf(buf, "RssAnon: %ld", &s->anon_kb);
		sscanf(buf, "voluntary_ctxt_switches: %ld", &s->vcs);
		sscanf(buf, "nonvoluntary_ctxt_switches: %ld", &s->ivcs);
	}
	fclose(f);
}

/* The number of processes whose parent is pid. */
static int
children(pid_t pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int count = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[512], *p;
		int fd, ppid;
		ssize_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p != NULL && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == pid)
			count++;
	}
	closedir(d);
	return count;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !expired)
		;
}

static int
fail_task(long ms, int status, const char *file)
{
	char buf[32];
	struct timespec ts;
	int fd, n;

	pause_ms(ms);
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(buf, sizeof(buf), "%lld\n",
	    (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return 126;
	close(fd);
	return status;
}

/* The process has ended (it is not reaped). */
static int
ended(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != 0;
}

static int
spawn_many(long n, char **argv)
{
	int worst = 0, st;
	long i;
	pid_t pid;

	for (i = 0; i < n; i++) {
		int err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
		if (err != 0) {
			fprintf(stderr, "measure: %s: %s\n", argv[0], strerror(err));
			return 127;
		}
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			worst = 1;
	return worst;
}

static int
status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
usage(void)
{
	fprintf(stderr, "usage: measure [-t] [-c N] [-i SECONDS] [-s SECONDS] [-T SECONDS] [-F FILE] [-r FILE]"
	    " -- COMMAND [ARG...]\n       measure fail MS STATUS FILE\n"
	    "       measure spawn N COMMAND [ARG...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sample end = { -1, -1, -1, -1, -1, -1, -1, -1 }, i0, i1;
	const char *result = NULL, *failfile = NULL;
	double t0, t1 = 0, rt1 = 0, idle = 0, limit = 600, settle = 0.5;
	int trace = 0, want_children = -1, opt, st = 0, timed_out = 0, have_end = 0;
	int idle_done = 0;
	struct sigaction sa;
	siginfo_t si;
	pid_t pid;
	FILE *out;
	char line[512];
	size_t len;

	if (argc == 5 && strcmp(argv[1], "fail") == 0)
		return fail_task(atol(argv[2]), atoi(argv[3]), argv[4]);
	if (argc >= 4 && strcmp(argv[1], "spawn") == 0)
		return spawn_many(atol(argv[2]), argv + 3);
	while ((opt = getopt(argc, argv, "+tc:i:s:T:F:r:")) != -1) {
		switch (opt) {
		case 't': trace = 1; break;
		case 'c': want_children = atoi(optarg); break;
		case 'i': idle = atof(optarg); break;
		case 's': settle = atof(optarg); break;
		case 'T': limit = atof(optarg); break;
		case 'F': failfile = optarg; break;
		case 'r': result = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc || (idle > 0 && want_children < 0) || (trace && want_children >= 0))
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: waits return EINTR */
	sigaction(SIGALRM, &sa, NULL);

	t0 = now(CLOCK_MONOTONIC);
	pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 2;
	}
	if (pid == 0) {
		if (trace)
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "measure: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	alarm((unsigned)(limit + 0.999));
	if (trace) {
		/* the stop after exec: ask for a stop at its exit too */
		if (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st)) {
			ptrace(PTRACE_SETOPTIONS, pid, NULL,
			    (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
			ptrace(PTRACE_CONT, pid, NULL, NULL);
		}
	}
	if (want_children >= 0) {
		/* bounded by the time limit: polls every 50 ms (a poll reads all of /proc) */
		while (!expired && children(pid) < want_children && !ended(pid))
			pause_ms(50);
		if (idle > 0 && !expired) {
			/* the last task has just started: let the process settle */
			pause_ms((long)(settle * 1000));
			take(pid, &i0);
			pause_ms((long)(idle * 1000));
			take(pid, &i1);
			idle_done = !expired;
			kill(pid, SIGTERM);
		}
	}
	for (;;) {
		pid_t w;

		if (expired && !timed_out) {
			timed_out = 1;
			kill(pid, SIGKILL);
		}
		if (!trace) {
			/* the exited process, not reaped yet: its own figures */
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0) {
				if (errno == EINTR)
					continue;
				perror("measure: waitid");
				return 2;
			}
			t1 = now(CLOCK_MONOTONIC);
			rt1 = now(CLOCK_REALTIME);
			take(pid, &end);
			have_end = 1;
		}
		w = waitpid(pid, &st, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			perror("measure: waitpid");
			return 2;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			t1 = now(CLOCK_MONOTONIC);
			rt1 = now(CLOCK_REALTIME);
			take(pid, &end);
			have_end = 1;
			ptrace(PTRACE_CONT, pid, NULL, NULL);
		} else if (WIFSTOPPED(st) && (st >> 16) != 0) {
			/* another event stop (an exec: "#!" scripts exec twice) */
			ptrace(PTRACE_CONT, pid, NULL, NULL);
		} else if (WIFSTOPPED(st)) {
			/* a signal on its way to the process: deliver it */
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st));
		}
	}
	alarm(0);
	if (!have_end)
		t1 = now(CLOCK_MONOTONIC);

	len = (size_t)snprintf(line, sizeof(line), "status=%d timeout=%d wall=%.6f cpu=%.2f sys=%.2f vcs=%ld ivcs=%ld",
	    status_of(st), timed_out, t1 - t0, end.cpu, end.sys, end.vcs, end.ivcs);
	if (trace)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " rss_kb=%ld", end.hwm_kb);
	if (idle_done)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    " idle_cpu=%.4f idle_cs=%ld idle_rss_kb=%ld idle_hwm_kb=%ld idle_anon_kb=%ld",
		    i0.run >= 0 && i1.run >= 0 ? i1.run - i0.run : i1.cpu - i0.cpu, (i1.vcs + i1.ivcs) - (i0.vcs + i0.ivcs), i1.rss_kb, i1.hwm_kb,
		    i1.anon_kb);
	if (failfile != NULL) {
		FILE *f = fopen(failfile, "r");
		long long ns;
		if (f != NULL && fscanf(f, "%lld", &ns) == 1)
			len += (size_t)snprintf(line + len, sizeof(line) - len, " latency_ms=%.3f",
			    (rt1 - (double)ns / 1e9) * 1000.0);
		if (f != NULL)
			fclose(f);
	}
	snprintf(line + len, sizeof(line) - len, "\n");
	out = result != NULL ? fopen(result, "a") : stderr;
	if (out == NULL) {
		perror(result);
		return 2;
	}
	fputs(line, out);
	if (out != stderr)
		fclose(out);
	return 0;
}
