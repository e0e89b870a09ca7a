/*
 * Out of memory while the supervisor is being set up: every allocation it
 * makes fails in turn, and each time init must answer -ENOMEM and destroy
 * must take down the half-built supervisor cleanly (no crash, no leak
 * under the sanitizers).  Linked with --wrap for the allocation functions
 * (see the Makefile), so only our own modules' calls are counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "run/supervisor.h"
#include "tap.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static long fail_at = -1;	/* the allocation that fails (0 = the first), -1 none */
static long calls;

static int
failing(void)
{
	return fail_at >= 0 && calls++ == fail_at;
}

void *
__wrap_malloc(size_t n)
{
	return failing() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return failing() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return failing() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return failing() ? NULL : __real_strdup(s);
}

static int notes;

static void
on_event(void *arg, const struct ecg_event *ev)
{
	(void)arg;
	(void)ev;
	notes++;
}

int
main(void)
{
	static const char ini[] =
	    "[a]\ncommand = sleep 1000\nready = line ^(up|ready) [[:digit:]]+\\b\n"
	    "[b]\ncommand = echo one; echo two\n"
	    "[c]\ncommand = /bin/true --flag\ncwd = /\n";
	struct ecg_supervisor_opts opts;
	struct ecg_group_spec spec;
	struct ecg_supervisor sv;
	struct ev_loop *loop;
	char path[] = "/tmp/ecg-alloc-XXXXXX";
	struct ecg_buf errb = ECG_BUF_INIT;
	long n;
	int fd, rc = -ENOMEM, bad = 0;

	fd = mkstemp(path);
	if (fd < 0 || write(fd, ini, sizeof(ini) - 1) != (ssize_t)(sizeof(ini) - 1))
		return 2;
	close(fd);
	/* the loader first: each failure is "out of memory", and free is safe */
	for (n = 0; n < 1000 && rc != 0; n++) {
		calls = 0;
		fail_at = n;
		ecg_buf_reset(&errb);
		rc = ecg_config_load(&spec, path, &errb);
		fail_at = -1;
		if (rc != 0 && strstr(ecg_buf_str(&errb), "out of memory") == NULL &&
		    strstr(ecg_buf_str(&errb), strerror(ENOMEM)) == NULL) {
			printf("# allocation %ld failing gave: %s\n", n, ecg_buf_str(&errb));
			bad++;
		}
		ecg_config_free(&spec);
	}
	ok(bad == 0, "the loader says it is out of memory for every failed allocation (%d did not)",
	    bad);
	ok(ecg_config_load(&spec, path, &errb) == 0, "the group loads");
	unlink(path);
	rc = -ENOMEM;
	bad = 0;
	memset(&opts, 0, sizeof(opts));
	opts.event = on_event;
	opts.out.tasks = spec.ntasks;
	loop = ev_default_loop(0);
	for (n = 0; n < 1000 && rc == -ENOMEM; n++) {
		calls = 0;
		fail_at = n;
		ecg_buf_reset(&errb);
		rc = ecg_supervisor_init(&sv, loop, &spec, &opts, &errb);
		fail_at = -1;
		if (rc != 0 && rc != -ENOMEM)
			bad++;
		ecg_supervisor_destroy(&sv);
	}
	ok(bad == 0, "every failed allocation gives -ENOMEM");
	ok(rc == 0 && n > 3, "init succeeds once no allocation fails (after %ld that did)", n - 1);
	/* Reaching this line is the test that destroy never crashed. */
	ecg_buf_free(&errb);
	ecg_config_free(&spec);
	ev_loop_destroy(loop);
	return tap_done();
}
