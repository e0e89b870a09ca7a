/*
 * ecg-run: run the commands of an INI file as one errgroup.
 *
 * main() wires the pieces: the command line (cli.h), the group as the
 * file says it (config.h), what the user sees and how ecg-run ends
 * (front.h), and the supervisor that runs the group (supervisor.h).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "front/cli.h"
#include "base/clock.h"
#include "config/config.h"
#include "control/commands.h"
#include "control/server.h"
#include "control/sockpath.h"
#include "config/procfile.h"
#include "front/adhoc.h"
#include "front/ctl.h"
#include "front/front.h"
#include "sys/sentinel.h"
#include "run/supervisor.h"

/* Loads the file and picks the tasks: 0, or -1 once said. */
static int
load(struct ecg_group_spec *spec, const struct ecg_cli *cli)
{
	struct ecg_buf err = ECG_BUF_INIT;
	int rc = 0;

	struct ecg_buf ini = ECG_BUF_INIT;

	if (cli->procfile && ecg_procfile_ini(cli->config, cli->cancel_on, &ini, &err) < 0) {
		ecg_buf_free(&ini);
		memset(spec, 0, sizeof(*spec));
		ecg_front_say("", &err);
		ecg_buf_free(&err);
		return -1;
	}
	if (cli->commands != NULL && ecg_adhoc_ini(cli->commands, cli->ncommands, cli->names,
	    cli->cancel_on, &ini, &err) < 0) {
		ecg_buf_free(&ini);
		memset(spec, 0, sizeof(*spec));
		fprintf(stderr, "ecg-run: %s\nTry 'ecg-run --help' for more information.\n",
		    ecg_buf_str(&err));
		ecg_buf_free(&err);
		return -1;
	}
	if ((cli->commands != NULL ? ecg_config_load_text(spec, "<command line>", "run", ini.p,
	    ini.len, &err) : cli->procfile ? ecg_config_load_text(spec, cli->config, "procfile",
	    ini.p, ini.len, &err) : ecg_config_load(spec, cli->config, &err)) < 0) {
		ecg_front_say("", &err);
		rc = -1;
	} else if (ecg_config_select(spec, cli->tasks, cli->ntasks, &err) < 0) {
		ecg_front_say("ecg-run: ", &err);
		rc = -1;
	}
	ecg_buf_free(&err);
	ecg_buf_free(&ini);
	/* The command line wins over the file. */
	if (cli->max_parallel >= 0)
		spec->max_parallel = cli->max_parallel;
	if (cli->deadline_ms >= 0)
		spec->deadline_ms = cli->deadline_ms;
	return rc;
}

/* -n: the group as resolved, and what will fail at run time unless it changes (still 0). */
static int
check(const struct ecg_group_spec *spec)
{
	struct ecg_buf err = ECG_BUF_INIT;

	ecg_config_print(spec, stdout);
	ecg_config_warnings(spec, &err);
	if (err.len > 0)
		fputs(ecg_buf_str(&err), stderr);
	ecg_buf_free(&err);
	return fflush(stdout) == 0 ? 0 : ECG_EXIT_OWN;
}

/* How the output looks: prefixes, their width and colour (each stream for itself). */
static void
output_opts(struct ecg_supervisor_opts *opts, const struct ecg_cli *cli,
    const struct ecg_group_spec *spec)
{
	const char *no_color = getenv("NO_COLOR");
	size_t i;

	opts->out.prefix = cli->prefix;
	opts->out.timestamps = cli->timestamps;
	/* 2>err.log on a terminal gets no escape codes. */
	for (i = 0; i < 2; i++) {
		if (strcmp(cli->color, "always") == 0)
			opts->out.color[i] = 1;
		else if (strcmp(cli->color, "auto") == 0)
			opts->out.color[i] = isatty((int)i + 1) && (no_color == NULL || *no_color == '\0');
	}
	for (i = 0; i < spec->ntasks; i++)
		if (strlen(spec->tasks[i].name) > opts->out.name_width)
			opts->out.name_width = strlen(spec->tasks[i].name);
	opts->out.tasks = spec->ntasks;
}

/*
 * The run's control socket: --control, else the file's control =, else
 * the default place; none: no socket.  0 (path empty: none), or -1 once
 * said (a live ecg-run at the path, a directory that is not safe).
 */
static int
open_control(struct ecg_control *ctl, const struct ecg_cli *cli,
    const struct ecg_group_spec *spec, struct ecg_buf *path)
{
	const char *want = cli->control != NULL ? cli->control : spec->control;
	struct ecg_buf err = ECG_BUF_INIT;
	pid_t live;
	int rc = 0;

	if (want != NULL && strcmp(want, "none") == 0)
		return 0;
	if (want != NULL)
		ecg_buf_puts(path, want);
	else if (ecg_sockpath_default(getenv("XDG_RUNTIME_DIR"), spec->name, getpid(), path,
	    &err) < 0)
		rc = -1;
	if (rc == 0 && ecg_control_listen(ctl, ecg_buf_str(path), &live, &err) < 0)
		rc = -1;
	if (rc < 0) {
		ecg_front_say("ecg-run: control socket: ", &err);
		ecg_buf_reset(path);
	}
	ecg_buf_free(&err);
	return rc;
}

/* Runs the group under front: the status, and *sig the signal to end by (0: none). */
static int
run(struct ecg_front *front, const struct ecg_cli *cli, const struct ecg_group_spec *spec,
    struct ev_loop *loop, int *sig)
{
	struct ecg_supervisor_opts opts;
	struct ecg_supervisor sv;
	struct ecg_control ctl;
	struct ecg_commands cmds;
	struct ecg_buf err = ECG_BUF_INIT, control = ECG_BUF_INIT;
	int status = ECG_EXIT_OWN;

	memset(&opts, 0, sizeof(opts));
	output_opts(&opts, cli, spec);
	opts.event = ecg_front_event;
	opts.event_arg = front;
	ecg_control_init(&ctl, loop, ecg_commands_request, &cmds);
	if (ecg_front_open(front, loop, spec, &opts.stderr_tail) < 0 ||
	    open_control(&ctl, cli, spec, &control) < 0)
		goto out;
	opts.control = control.len > 0 ? ecg_buf_str(&control) : NULL;
	if (ecg_supervisor_init(&sv, loop, spec, &opts, &err) < 0) {
		ecg_front_say("ecg-run: ", &err);
		ecg_supervisor_destroy(&sv);
		goto out;
	}
	ecg_commands_init(&cmds, &sv, spec, &ctl);
	if (ecg_supervisor_subscribe(&sv, ecg_commands_event, &cmds) < 0 ||
	    ecg_front_begin(front, &sv, spec, cli->summary) < 0) {
		ecg_commands_destroy(&cmds);
		ecg_supervisor_destroy(&sv);
		goto out;
	}
	status = ecg_supervisor_run(&sv);
	*sig = ecg_supervisor_end_signal(&sv);
	/* The socket goes with the run: what clients were sent still reaches them. */
	ecg_control_close(&ctl);
	ecg_front_end(front, status, *sig);
	ecg_commands_destroy(&cmds);
	ecg_supervisor_destroy(&sv);
out:
	ecg_control_destroy(&ctl);
	ecg_buf_free(&err);
	ecg_buf_free(&control);
	return status;
}

int
main(int argc, char **argv)
{
	struct ecg_cli cli;
	struct ecg_group_spec spec;
	struct ecg_front front;
	struct sigaction sa;
	struct ev_loop *loop;
	int status, sig = 0;

	/* ecg-run executed again as its own sentinel (sentinel.h). */
	if ((argc == 2 || argc == 3) && strcmp(argv[0], ECG_SENTINEL_ARGV0) == 0)
		ecg_sentinel_main(argv[1], argc == 3 ? argv[2] : "");
	ecg_sentinel_can_exec();
	/* ecg-run ctl: a client of a running group's control socket. */
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return ecg_ctl_main(argc - 1, argv + 1);
	ecg_clock_start();
	if (ecg_cli_parse(&cli, argc, argv, &status) < 0)
		return status;
	if (ecg_front_std_fds() < 0)
		return ECG_EXIT_OWN;
	if (load(&spec, &cli) < 0) {
		ecg_config_free(&spec);
		return ECG_EXIT_OWN;
	}
	if (cli.check) {
		status = check(&spec);
		ecg_config_free(&spec);
		return status;
	}
	/*
	 * EPIPE and EFBIG are handled where they happen; the signals would
	 * kill us first, leaving the tasks behind.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_SIGNALFD);
	if (loop == NULL) {
		ecg_front_errx("cannot set up the event loop");
		ecg_config_free(&spec);
		return ECG_EXIT_OWN;
	}
	ecg_front_init(&front, &cli);
	status = run(&front, &cli, &spec, loop, &sig);
	ecg_front_destroy(&front);
	ecg_config_free(&spec);
	ev_loop_destroy(loop);
	if (sig != 0)
		ecg_front_die_by_signal(sig);
	return status;
}
