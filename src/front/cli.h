/*
 * cli: ecg-run's command line, read into a struct ecg_cli.  What it
 * takes is documented in ecg-run(1) and in the usage text here; a
 * mistake is said on stderr as "ecg-run: ...", with a hint, and ends the
 * run with 125 before anything else happens.
 */
#ifndef ECG_CLI_H
#define ECG_CLI_H

#include <stddef.h>

#define ECG_EXIT_OWN 125	/* ecg-run's own error */

struct ecg_cli {
	const char *config;	/* -c FILE */
	int check;		/* -n */
	int quiet, verbose;
	const char *color;	/* auto, always, never */
	int timestamps;		/* -T */
	int prefix;		/* 0: --no-prefix */
	int ready_fd;		/* --ready-fd, -1: none */
	long max_parallel;	/* -j; -1: the file's */
	long deadline_ms;	/* --deadline; -1: the file's */
	const char *events_path;	/* --events, or NULL */
	const char *junit_path;	/* --junit, or NULL */
	const char *summary;	/* --summary, or NULL: the default */
	const char *control;	/* --control PATH or none, or NULL: the file's, or the default */
	char **tasks;		/* TASK...: run only these */
	size_t ntasks;
	char **commands;	/* -- CMD...: ad-hoc commands instead of a file */
	size_t ncommands;
	const char *names;	/* --names a,b,c for them */
	const char *cancel_on;	/* --cancel-on for them */
	int procfile;		/* -c names a Procfile, or --procfile FILE */
};

/*
 * Reads argv into cli.  0: go on (run, or check); -1: the run is over
 * already (--help, --version, or a mistake, said), *status is how it ends.
 */
int ecg_cli_parse(struct ecg_cli *cli, int argc, char **argv, int *status);

#endif
