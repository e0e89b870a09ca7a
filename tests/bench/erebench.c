/*
 * erebench: the time ready = line takes for one line, ecg-run's matcher
 * against glibc's regcomp/regexec (what ecg-run used before), on the same
 * expressions and lines, measured in the same run.
 *
 *   erebench [SECONDS [CAP]]
 *
 * Each case runs for about SECONDS (default 0.3) on each side; glibc runs
 * in a child that is killed after CAP seconds (default 20), since some
 * expressions take it minutes.  Prints a Markdown table; the ratio is
 * glibc's time over ecg-run's (above 1: ecg-run is faster).
 */
#define _GNU_SOURCE
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/ere.h"

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Seconds per line for ecg-run's matcher; -1 if the expression is refused. */
static double
ecg_time(const char *re_text, const char *line, double seconds, int *matched)
{
	struct ecg_ere *re;
	char why[256];
	double start, t;
	long n = 0;

	if (ecg_ere_compile(re_text, &re, why, sizeof(why)) < 0)
		return -1;
	start = now();
	do {
		*matched = ecg_ere_match(re, line, strlen(line));
		n++;
	} while ((t = now() - start) < seconds);
	ecg_ere_free(re);
	return t / (double)n;
}

/* Seconds per line for glibc, in a child; -1 if it does not compile, -2 past the cap. */
static double
glibc_time(const char *re_text, const char *line, double seconds, unsigned cap)
{
	int fd[2], status;
	double t = -2;
	pid_t pid;

	if (pipe(fd) < 0 || (pid = fork()) < 0) {
		perror("erebench");
		exit(1);
	}
	if (pid == 0) {
		regex_t re;
		double start, per;
		long n = 0;

		close(fd[0]);
		alarm(cap);
		if (regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB) != 0)
			per = -1;
		else {
			start = now();
			do {
				(void)regexec(&re, line, 0, NULL, 0);
				n++;
			} while ((per = now() - start) < seconds);
			per /= (double)n;
		}
		if (write(fd[1], &per, sizeof(per)) != sizeof(per))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &t, sizeof(t)) != sizeof(t))
		t = -2;
	close(fd[0]);
	waitpid(pid, &status, 0);
	return t;
}

static void
show(double t, unsigned cap, char *buf, size_t len)
{
	if (t == -1)
		snprintf(buf, len, "refused");
	else if (t == -2)
		snprintf(buf, len, "> %u s", cap);
	else if (t < 1e-3)
		snprintf(buf, len, "%.2f µs", t * 1e6);
	else
		snprintf(buf, len, "%.2f ms", t * 1e3);
}

int
main(int argc, char **argv)
{
	static const char *const expressions[] = {
		"^listening on", "listening on [0-9]+", "Ready to accept connections",
		"(a|aa)*b", "(.*a){20}b", "(a{1,15}){1,15}b", "(a?){490}b", "(a*)\\1b",
	};
	double seconds = argc > 1 ? atof(argv[1]) : 0.3;
	unsigned cap = argc > 2 ? (unsigned)atoi(argv[2]) : 20;
	char log_line[128], *long_line = malloc(4097), *long_log = malloc(4096 + 50);
	const char *lines[3], *names[3] = { "80-byte log line", "4096 bytes of log text",
		"4096 bytes: a...ac" };

	if (long_line == NULL || long_log == NULL)
		return 1;
	snprintf(log_line, sizeof(log_line), "%s",
	    "2026-12-01T17:00:00.000Z INFO http: server listening on 0.0.0.0:8080 pid=4242");
	memset(long_line, 'a', 4095);
	long_line[4095] = 'c';
	long_line[4096] = '\0';
	for (size_t at = 0; at < 4096; at += 50)	/* 50 bytes, no NUL */
		memcpy(long_log + at, "INFO request GET /health 200 latency=1ms, locale; ", 50);
	long_log[4096] = '\0';
	lines[0] = log_line;
	lines[1] = long_log;
	lines[2] = long_line;

	printf("| expression | line | ecg-run | glibc | glibc / ecg-run |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(expressions) / sizeof(expressions[0]); i++)
		for (int l = i >= 3 ? 2 : 0; l < 3; l++) {	/* the pathological ones: a...ac */
			int matched = 0;
			double e = ecg_time(expressions[i], lines[l], seconds, &matched);
			double g = glibc_time(expressions[i], lines[l], seconds, cap);
			char es[32], gs[32], ratio[32] = "–";

			show(e, cap, es, sizeof(es));
			show(g, cap, gs, sizeof(gs));
			if (e > 0 && g > 0)
				snprintf(ratio, sizeof(ratio), "%.2f×", g / e);
			else if (e > 0 && g == -2)
				snprintf(ratio, sizeof(ratio), "> %.0f×", cap / e);
			printf("| `%s` | %s | %s%s | %s | %s |\n", expressions[i], names[l], es,
			    matched ? " (match)" : "", gs, ratio);
			fflush(stdout);
		}
	free(long_line);
	free(long_log);
	return 0;
}
