#define _GNU_SOURCE
#include "front/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/procfile.h"
#include "config/value.h"

#ifndef ECG_VERSION
#define ECG_VERSION "1.0.0"
#endif

static const char usage_text[] =
    "Usage: ecg-run [OPTION]... -c FILE [TASK]...\n"
    "  or:  ecg-run [OPTION]... -- COMMAND...\n"
    "Run the commands of an INI file as one group: when one fails, stop them all.\n"
    "\n"
    "  -c, --config FILE   the INI file; \"-\" reads it from standard input\n"
    "  -n, --check         load and validate, print the resolved group, run nothing\n"
    "  -q, --quiet         lifecycle messages off (errors and the cause still shown)\n"
    "  -v, --verbose       also pids, signals sent and escalations\n"
    "      --color=WHEN    colour the prefixes: auto (default), always, never\n"
    "  -T, --timestamps    put the local time (hh:mm:ss.mmm) before every line\n"
    "      --no-prefix     task output without the \"NAME | \" prefix\n"
    "      --ready-fd N    write a newline to descriptor N once the group is ready\n"
    "      --events PATH   append every event to PATH as JSON Lines\n"
    "      --junit PATH    write a JUnit XML report of the run to PATH at the end\n"
    "      --summary=WHEN  a table of the tasks at the end: auto (default: when\n"
    "                      something failed, timed out, restarted or was cancelled),\n"
    "                      always, never (-q: never, unless always is given)\n"
    "  -j, --max-parallel N  run at most N tasks at once (0: no limit)\n"
    "      --control PATH  the control socket (ecg-run ctl) at PATH; none: no socket\n"
    "      --procfile FILE  read FILE as a Procfile (-c Procfile does too)\n"
    "      --names a,b,c   names for the commands after -- (default: 1, 2, ...)\n"
    "      --cancel-on WHEN  for them: failure (default), exit (the first to end\n"
    "                      stops the rest) or never\n"
    "      --deadline DURATION  stop the group after DURATION, status 124\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "  TASK...             run only these tasks\n"
    "\n"
    "Exit status: the first failing task's status (128+S if killed by signal S),\n"
    "0 if none failed, 127 if a task could not start (126: its program cannot be\n"
    "executed), 124 if a task was not ready, unhealthy or timed out, or the\n"
    "deadline passed,\n"
    "125 for ecg-run's own errors,\n"
    "130/143/131/129 after SIGINT/SIGTERM/SIGQUIT/SIGHUP (even while stopping\n"
    "for another cause), 141 if output was closed.\n"
    "A running group is acted on with 'ecg-run ctl' (see ecg-run ctl --help).\n"
    "See ecg-run(1) and ecg-run.ini(5).\n";

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ecg-run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fputs("Try 'ecg-run --help' for more information.\n", stderr);
	return ECG_EXIT_OWN;
}

/*
 * An option getopt_long refused, named as the user typed it: a long one
 * (unknown, or given an argument it does not take: getopt then reports it
 * by its internal short code) or a short one.
 */
static int
bad_option(const char *arg, int opt)
{
	const char *eq;

	if (arg != NULL && strncmp(arg, "--", 2) == 0) {
		eq = strchr(arg, '=');
		if (eq != NULL && opt != 0)
			return usage_error("option '%.*s' takes no argument", (int)(eq - arg), arg);
		return usage_error("unknown option '%s'", arg);
	}
	return usage_error("unknown option '-%c'", opt != 0 ? opt : '?');
}


/* The options, as given; the whole of them is checked before anything runs. */
static int
parse(struct ecg_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "color", required_argument, NULL, 'C' },
		{ "colour", required_argument, NULL, 'C' },
		{ "timestamps", no_argument, NULL, 'T' },
		{ "no-prefix", no_argument, NULL, 'P' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "max-parallel", required_argument, NULL, 'j' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "events", required_argument, NULL, 'E' },
		{ "summary", required_argument, NULL, 'S' },
		{ "junit", required_argument, NULL, 'J' },
		{ "control", required_argument, NULL, 'K' },
		{ "names", required_argument, NULL, 'N' },
		{ "procfile", required_argument, NULL, 'F' },
		{ "cancel-on", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:nqvThVj:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (cli->procfile)
				return usage_error("--procfile and -c name one file each: give one");
			if (cli->config != NULL)
				return usage_error("-c given twice ('%s' and '%s'): one file per run",
				    cli->config, optarg);
			cli->config = optarg;
			break;
		case 'n':
			cli->check = 1;
			break;
		case 'q':
			cli->quiet = 1;
			break;
		case 'v':
			cli->verbose = 1;
			break;
		case 'C':
			cli->color = optarg != NULL ? optarg : "";
			if (strcmp(cli->color, "auto") != 0 && strcmp(cli->color, "always") != 0 &&
			    strcmp(cli->color, "never") != 0)
				return usage_error("--color takes auto, always or never, not '%s'",
				    optarg);
			break;
		case 'T':
			cli->timestamps = 1;
			break;
		case 'P':
			cli->prefix = 0;
			break;
		case 'j':
			if (ecg_value_count(optarg != NULL ? optarg : "", ECG_CONFIG_COUNT_MAX,
			    &cli->max_parallel, &why) < 0)
				return usage_error("--max-parallel '%s': %s", optarg, why);
			break;
		case 'D':
			if (ecg_value_duration(optarg != NULL ? optarg : "", &cli->deadline_ms, &why) < 0)
				return usage_error("--deadline '%s': %s", optarg, why);
			break;
		case 'J':
			if (optarg == NULL || optarg[0] == '\0' || strcmp(optarg, "-") == 0)
				return usage_error("--junit needs a file: standard output carries the "
				    "tasks' output");
			cli->junit_path = optarg;
			break;
		case 'S':
			cli->summary = optarg != NULL ? optarg : "";
			if (strcmp(cli->summary, "auto") != 0 && strcmp(cli->summary, "always") != 0 &&
			    strcmp(cli->summary, "never") != 0)
				return usage_error("--summary takes auto, always or never, not '%s'",
				    cli->summary);
			break;
		case 'E':
			if (optarg == NULL || strcmp(optarg, "-") == 0 || optarg[0] == '\0')
				return usage_error("--events needs a file: standard output carries the "
				    "tasks' output (use /dev/fd/N for a descriptor)");
			cli->events_path = optarg;
			break;
		case 'R': {
			const char *arg = optarg != NULL ? optarg : "";
			char *end;
			long fd;
			errno = 0;
			fd = strtol(arg, &end, 10);
			if (errno != 0 || *end != '\0' || end == arg || fd < 3 || fd > INT_MAX)
				return usage_error("--ready-fd takes a descriptor number of 3 or more, "
				    "not '%s'", arg);
			if (fcntl((int)fd, F_GETFD) < 0)
				return usage_error("--ready-fd %ld: descriptor %ld is not open", fd, fd);
			/* Ours alone: a task holding it would keep the reader waiting. */
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
			cli->ready_fd = (int)fd;
			break;
		}
		case 'K':
			if (optarg == NULL || optarg[0] == '\0')
				return usage_error("--control takes a path, or none");
			cli->control = optarg;
			break;
		case 'N':
			cli->names = optarg != NULL ? optarg : "";
			break;
		case 'F':
			if (cli->config != NULL)
				return usage_error("--procfile and -c name one file each: give one");
			cli->config = optarg;
			cli->procfile = 1;
			break;
		case 'O':
			cli->cancel_on = optarg != NULL ? optarg : "";
			if (strcmp(cli->cancel_on, "failure") != 0 && strcmp(cli->cancel_on, "exit") != 0 &&
			    strcmp(cli->cancel_on, "never") != 0)
				return usage_error("--cancel-on takes failure, exit or never, not '%s'",
				    cli->cancel_on);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return fflush(stdout) == 0 ? 0 : ECG_EXIT_OWN;
		case 'V':
			printf("ecg-run %s\n", ECG_VERSION);
			return fflush(stdout) == 0 ? 0 : ECG_EXIT_OWN;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return bad_option(argv[optind - 1], optopt);
		}
	}
	/* Without a file, what follows -- are commands to run (concurrently, multirun). */
	if (cli->config == NULL && optind > 1 && strcmp(argv[optind - 1], "--") == 0) {
		cli->commands = argv + optind;
		cli->ncommands = (size_t)(argc - optind);
		if (cli->ncommands == 0)
			return usage_error("no command after --");
	} else if (cli->config == NULL) {
		return usage_error("no configuration file: use -c FILE (or -- CMD... for commands)");
	}
	if (cli->quiet && cli->verbose)
		return usage_error("-q and -v cannot be used together");
	if (cli->config != NULL && ecg_procfile_named(cli->config))
		cli->procfile = 1;
	if (cli->config != NULL && (cli->names != NULL || (cli->cancel_on != NULL &&
	    !cli->procfile)))
		return usage_error("--names and --cancel-on are for commands given after -- (and "
		    "--cancel-on for a Procfile), not for an INI file: the file says it");
	if (cli->commands == NULL) {
		cli->tasks = argv + optind;
		cli->ntasks = (size_t)(argc - optind);
	}
	return -1;
}

int
ecg_cli_parse(struct ecg_cli *cli, int argc, char **argv, int *status)
{
	memset(cli, 0, sizeof(*cli));
	cli->color = "auto";
	cli->prefix = 1;
	cli->ready_fd = -1;
	cli->max_parallel = -1;
	cli->deadline_ms = -1;
	*status = parse(cli, argc, argv);
	return *status < 0 ? 0 : -1;
}
