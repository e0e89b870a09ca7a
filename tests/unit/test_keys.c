/*
 * keys: the one table of the file's keys.  Each entry is whole (a name,
 * a way to read it, a way to print it; words for a word); every key has
 * an example here, so a key added to the table without one fails; a file
 * that gives every key loads, --check prints every key of it, and what it
 * prints loads back and prints the same.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/loader.h"
#include "tap.h"

/* An example value of each key (the test's own list: a new key needs one). */
static const struct {
	const char *name;
	const char *value;
} examples[] = {
	{ "command", "echo hi" }, { "replicas", "2" }, { "cwd", "/" }, { "env", "A=1" }, { "env_file", "-/nonexistent/ecg-keys.env" }, { "stop_signal", "INT" }, { "stop_command", "nginx -s quit" },
	{ "stop_timeout", "3s" }, { "cancel_on", "exit" }, { "after", "first" },
	{ "ready", "tcp 127.0.0.1:9" }, { "ready_timeout", "7s" }, { "sidecar", "no" }, { "tty", "yes" },
	{ "health", "http http://127.0.0.1:9/health" }, { "health_interval", "2s" },
	{ "health_timeout", "1s" }, { "health_retries", "5" },
	{ "restart", "on-failure" }, { "max_restarts", "7" }, { "restart_delay", "200ms" },
	{ "restart_delay_max", "5s" }, { "restart_reset", "30s" },
	{ "success_status", "0 3 SIGTERM" },
	{ "user", "root" }, { "group", "root" },
	{ "umask", "0027" }, { "limit_nofile", "1024:4096" }, { "limit_core", "infinity" },
	{ "limit_nproc", "500" }, { "limit_memlock", "64KiB" }, { "limit_stack", "8MiB" },
	{ "limit_as", "4GiB:infinity" }, { "timeout", "10s" }, { "forward", "HUP USR1" },
	{ "log", "/tmp/ecg-keys-%n.log" }, { "log_max_size", "1MiB" }, { "log_keep", "5" },
	{ "name", "every-key" }, { "shell", "/bin/sh" }, { "buffer", "128KiB" },
	{ "max_parallel", "3" }, { "deadline", "60s" }, { "control", "/tmp/ecg-keys.sock" },
};
#define NEXAMPLES (sizeof(examples) / sizeof(examples[0]))

static const char *
example(const char *name)
{
	size_t i;

	for (i = 0; i < NEXAMPLES; i++)
		if (strcmp(examples[i].name, name) == 0)
			return examples[i].value;
	return NULL;
}

static char *
printed(const struct ecg_group_spec *g)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	ecg_config_print(g, f);
	fclose(f);
	return text;
}

static int
load_text(struct ecg_group_spec *g, const char *text, struct ecg_buf *err)
{
	char path[] = "/tmp/ecg-keys-XXXXXX";
	int fd = mkstemp(path), rc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	ecg_buf_reset(err);
	rc = ecg_config_load(g, path, err);
	unlink(path);
	return rc;
}

int
main(void)
{
	struct ecg_buf file = ECG_BUF_INIT, err = ECG_BUF_INIT, line = ECG_BUF_INIT;
	struct ecg_group_spec g;
	char *first, *second;
	int i, j, whole = 1, unique = 1, missing = 0, shown = 1;

	for (i = 0; i < K_COUNT; i++) {
		const struct key *k = &ecg_keys[i];
		if (k->name == NULL || (k->kind == KIND_OWN && (k->parse == NULL ||
		    k->print == NULL)) || (k->kind == KIND_WORD && (k->words == NULL ||
		    k->hint == NULL)) || (k->where != ANYWHERE && k->inherit != NULL)) {
			printf("# key %d (%s) is not whole\n", i, k->name ? k->name : "?");
			whole = 0;
		}
		for (j = 0; j < i; j++)
			if (k->name != NULL && ecg_keys[j].name != NULL &&
			    strcmp(k->name, ecg_keys[j].name) == 0)
				unique = 0;
		if (k->name != NULL && example(k->name) == NULL) {
			printf("# key %s has no example in this test\n", k->name);
			missing++;
		}
	}
	ok(whole, "every key can be read and printed (and only task keys inherit)");
	ok(unique, "no two keys share a name");
	ok(missing == 0 && NEXAMPLES == K_COUNT, "every key has an example here (%d missing)",
	    missing);

	/* A file that gives every key: [group] its keys and the defaults, [first] and [every] the rest. */
	ecg_buf_puts(&file, "[group]\n");
	for (i = 0; i < K_COUNT; i++)
		if (ecg_keys[i].where != TASK_ONLY && strcmp(ecg_keys[i].name, "command") != 0)
			ecg_buf_printf(&file, "%s = %s\n", ecg_keys[i].name, example(ecg_keys[i].name));
	ecg_buf_puts(&file, "[first]\ncommand = true\n[every]\n");
	for (i = 0; i < K_COUNT; i++)
		if (ecg_keys[i].where != GROUP_ONLY)
			ecg_buf_printf(&file, "%s = %s\n", ecg_keys[i].name, example(ecg_keys[i].name));
	ok(load_text(&g, ecg_buf_str(&file), &err) == 0, "a file with every key loads (%s)",
	    ecg_buf_str(&err));
	first = printed(&g);
	for (i = 0; i < K_COUNT; i++) {
		ecg_buf_reset(&line);
		ecg_buf_printf(&line, "\n%s = ", ecg_keys[i].name);
		/* sidecar = no is the default, printed only as yes; replicas are printed as tasks */
		if (strcmp(ecg_keys[i].name, "sidecar") != 0 &&
		    strcmp(ecg_keys[i].name, "replicas") != 0 && strstr(first, ecg_buf_str(&line)) == NULL) {
			printf("# --check does not print %s\n", ecg_keys[i].name);
			shown = 0;
		}
	}
	ok(shown, "--check prints every key it was given");
	ok(strstr(first, "\nstop_timeout = 3s\n") && strstr(first, "\nlog_keep = 5\n") &&
	    strstr(first, "\nforward = HUP USR1\n") && strstr(first, "\nafter = first\n") &&
	    strstr(first, "\nbuffer = 128KiB\n"), "with the values given");
	ecg_config_free(&g);
	ok(load_text(&g, first, &err) == 0, "what it prints loads (%s)", ecg_buf_str(&err));
	second = printed(&g);
	ok(strcmp(strchr(first, '\n'), strchr(second, '\n')) == 0, "and prints the same again");
	ecg_config_free(&g);
	free(first);
	free(second);
	ecg_buf_free(&file);
	ecg_buf_free(&err);
	ecg_buf_free(&line);
	return tap_done();
}
