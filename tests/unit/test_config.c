#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "tap.h"

static char dir[] = "/tmp/ecg-config-XXXXXX";
static char path[256];
static struct ecg_buf errb = ECG_BUF_INIT;
#define err ecg_buf_str(&errb)

static int
load_text(struct ecg_group_spec *g, const char *text, size_t len)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/group.ini", dir);
	f = fopen(path, "wb");
	fwrite(text, 1, len, f);
	fclose(f);
	ecg_buf_reset(&errb);
	return ecg_config_load(g, path, &errb);
}

static int
load(struct ecg_group_spec *g, const char *text)
{
	return load_text(g, text, strlen(text));
}

/* Loading fails with a message that starts "FILE:line:" and contains needle. */
static int
fails_at(const char *text, unsigned line, const char *needle)
{
	struct ecg_group_spec g;
	char want[300];
	int rc = load(&g, text);

	ecg_config_free(&g);
	snprintf(want, sizeof(want), "%s:%u: ", path, line);
	if (rc == 0 || strncmp(err, want, strlen(want)) != 0 || strstr(err, needle) == NULL) {
		printf("# got: %s\n", rc == 0 ? "(loaded)" : err);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct ecg_group_spec g;
	char *big, *text;
	size_t i;

	if (mkdtemp(dir) == NULL)
		return 2;

	ok(load(&g, "[a]\ncommand = echo one ; echo two # not a comment\n") == 0 &&
	    strcmp(g.tasks[0].command, "echo one ; echo two # not a comment") == 0,
	    "; and # inside a value are kept");
	ok(g.tasks[0].stop_signal == SIGTERM && g.tasks[0].stop_timeout_ms == 10000 &&
	    g.tasks[0].cancel_on == ECG_CANCEL_ON_FAILURE && g.buffer == 65536 &&
	    strcmp(g.shell, "/bin/sh") == 0 && strcmp(g.name, "group") == 0,
	    "defaults: TERM, 10s, failure, 64KiB, /bin/sh, name from the file");
	ecg_config_free(&g);

	ok(load(&g, "[m]\ncommand =\n    set -e\n; an INI comment\n    echo a\n    echo b\nstop_timeout = 1.5s\n") == 0 &&
	    strcmp(g.tasks[0].command, "set -e\necho a\necho b") == 0 &&
	    g.tasks[0].stop_timeout_ms == 1500, "continuation lines join with newlines");
	ecg_config_free(&g);
	ok(load(&g, "[m]\ncommand =\n\n    case $x in\n      a) echo a\n      ;;\n\n      # shell comment\n    esac\n\n[n]\ncommand = y\n") == 0 &&
	    strcmp(g.tasks[0].command, "case $x in\n  a) echo a\n  ;;\n\n  # shell comment\nesac") == 0,
	    "indented ; and # lines and inner blank lines are part of the value; relative indentation kept");
	ecg_config_free(&g);
	ok(load(&g, "[m]\ncommand = first\n\t  second\n\t    third\n") == 0 &&
	    strcmp(g.tasks[0].command, "first\nsecond\n  third") == 0,
	    "the shared indentation goes, the rest stays");
	ecg_config_free(&g);

	ok(load(&g, "[b]\ncommand = x\n[a]\ncommand = y\n[group]\nstop_signal = INT\ncancel_on = never\n"
	    "env = A=1\nenv = B=2\n") == 0 && g.ntasks == 2 && strcmp(g.tasks[0].name, "b") == 0 &&
	    g.tasks[1].stop_signal == SIGINT && g.tasks[1].cancel_on == ECG_CANCEL_ON_NEVER,
	    "[group] after the tasks still gives defaults; file order kept");
	ecg_config_free(&g);

	ok(load(&g, "[group]\nenv = A=1\nenv = B=2\n[t]\ncommand = x\nenv = B=3\nenv = C=4\n") == 0 &&
	    g.tasks[0].nenv == 3 && strcmp(g.tasks[0].env[0], "A=1") == 0 &&
	    strcmp(g.tasks[0].env[1], "B=3") == 0 && strcmp(g.tasks[0].env[2], "C=4") == 0,
	    "task env extends the group's; the task wins for the same name");
	ecg_config_free(&g);

	ok(load(&g, "[t]\ncommand = x\ncwd = sub/dir\n") == 0 &&
	    strstr(g.tasks[0].cwd_path, "/sub/dir") != NULL && g.tasks[0].cwd_path[0] == '/' &&
	    strcmp(g.tasks[0].cwd, "sub/dir") == 0, "a relative cwd starts at the file's directory");
	ecg_config_free(&g);

	/* Long values: one 64 KiB line, and 300 bytes past inih's 200. */
	big = malloc(70000);
	text = malloc(70100);
	for (i = 0; i < 65536; i++)
		big[i] = (char)('a' + i % 26);
	big[65536] = '\0';
	snprintf(text, 70100, "[t]\ncommand = %s\n", big);
	ok(load(&g, text) == 0 && strlen(g.tasks[0].command) == 65536 &&
	    strcmp(g.tasks[0].command, big) == 0, "a 64 KiB line is kept whole");
	ecg_config_free(&g);
	big[300] = '\0';
	snprintf(text, 70100, "[t]\ncommand = %s\n", big);
	ok(load(&g, text) == 0 && strcmp(g.tasks[0].command, big) == 0, "a 300-byte line is kept whole");
	ecg_config_free(&g);
	free(text);
	text = malloc(300000);
	{
		static const char line[] = "echo 0123456789012345678901234567890123456789";
		size_t l = strlen(line), k, fit = 0, total = 0;
		char *p = text;
		/* The last continuation line that still fits, then one more. */
		for (k = 1; total + l + (k > 1) <= ECG_CONFIG_VALUE_MAX; k++) {
			total += l + (k > 1);
			fit = k;
		}
		p += sprintf(p, "[t]\ncommand =\n");
		for (k = 0; k < fit; k++)
			p += sprintf(p, "    %s\n", line);
		ok(load(&g, text) == 0 && strlen(g.tasks[0].command) == total && total > 65536,
		    "a value of continuation lines may pass 64 KiB (%zu bytes)", total);
		ecg_config_free(&g);
		sprintf(p, "    %s\n", line);
		ok(fails_at(text, 2, "too long"),
		    "one byte past execve's limit is an error at its key, not cut");
	}
	free(text);
	free(big);

	/* A name of 64 characters is fine; 65 is not. */
	ok(load(&g, "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\ncommand = x\n") == 0 &&
	    strlen(g.tasks[0].name) == 64, "a 64-character task name is kept whole");
	ecg_config_free(&g);
	ok(fails_at("[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\ncommand = x\n", 1,
	    "bad task name"), "a 65-character name is refused");

	ok(load_text(&g, "\xEF\xBB\xBF[t]\r\ncommand = echo hi\r\n", 27) == 0 &&
	    strcmp(g.tasks[0].command, "echo hi") == 0, "BOM and CRLF are accepted");
	ecg_config_free(&g);

	ok(fails_at("[a]\ncomand = x\n", 2, "unknown key 'comand' in [a] (did you mean 'command'?)"),
	    "unknown key, with a suggestion");
	ok(fails_at("[a]\nzzzzzz = x\n", 2, "unknown key 'zzzzzz'"), "unknown key, no suggestion");
	ok(fails_at("[a]\ncommand = x\n\n[a]\ncommand = y\n", 4, "repeated (first on line 1)"),
	    "repeated section");
	ok(fails_at("[a]\n\n[b]\ncommand = y\n", 1, "empty section [a]"), "empty section");
	ok(fails_at("[a]\ncommand = x\n[b]\n", 3, "empty section [b]"), "empty last section");
	ok(fails_at("[a]\ncwd = /\n", 1, "has no command"), "task without a command");
	ok(fails_at("command = x\n[a]\ncommand = y\n", 1, "before any [section]"), "key before any section");
	ok(fails_at("[a]\ncommand = x\ncommand = y\n", 3, "given twice in [a] (first on line 2)"),
	    "a key that is not repeatable, twice");
	ok(fails_at("[a]\ncommand = x\nbuffer = 1M\n", 3, "is a [group] key"), "group key in a task");
	ok(fails_at("[a]\ncommand = x\nstop_timeout = soon\n", 3, "stop_timeout 'soon'"), "bad duration");
	ok(fails_at("[a]\ncommand = x\nstop_signal = 0\n", 3, "stop_signal '0'"), "signal 0");
	ok(fails_at("[a]\ncommand = x\ncancel_on = sometimes\n", 3, "use failure, exit or never"),
	    "bad cancel_on");
	ok(fails_at("[group]\nbuffer = 10\n[a]\ncommand = x\n", 2, "out of range"), "buffer too small");
	ok(fails_at("[a]\ncommand = x\nenv = 1A=2\n", 3, "NAME=VALUE"), "bad env");
	ok(fails_at("; nothing\n# here\n", 2, "no task"), "a file with no task");
	ok(fails_at("", 1, "no task"), "an empty file");
	ok(fails_at("[a]\ncommand = x\n[b\n", 3, "without closing ']'"), "section without ]");
	ok(fails_at("[a]\ncommand = x\njust words\n", 3, "expected KEY = VALUE"), "key without =");
	ok(fails_at("[a]\n= x\n", 2, "'=' without a key"), "= without key");
	ok(fails_at("[a]\ncommand = x\n[my task]\ncommand = y\n", 3, "bad task name"), "space in a name");
	ok(fails_at("[a]\ncommand = x\n[group]\nname = a\n[group]\n", 5, "[group] repeated"),
	    "[group] twice");
	ok(fails_at("[a]\ncommand =\n", 2, "empty value for 'command'"), "empty command");
	ok(fails_at("[group]\nshell = /nonexistent/sh\n[a]\ncommand = x\n", 2, "not an executable"),
	    "a shell that does not exist");
	{
		static const char nul[] = "[a]\ncommand = x\0y\n";
		struct ecg_group_spec g2;
		int rc = load_text(&g2, nul, sizeof(nul) - 1);
		ecg_config_free(&g2);
		ok(rc < 0 && strstr(err, ":2: NUL byte") != NULL, "a NUL byte is an error with its line");
	}

	/* --check output loads back to the same group. */
	{
		char *first = NULL, *second = NULL;
		size_t n1 = 0, n2 = 0;
		FILE *f;
		ok(load(&g, "[group]\nname = shop\nbuffer = 1M\nenv = X=1\n[w]\ncommand =\n  a\n    ;; b ; c\n\n  # d\n"
		    "stop_signal = 2\nstop_timeout = 250ms\ncancel_on = exit\n[v]\ncommand = v\n") == 0,
		    "a group to print");
		f = open_memstream(&first, &n1);
		ecg_config_print(&g, f);
		fclose(f);
		ecg_config_free(&g);
		ok(load(&g, first) == 0, "the printed group loads");
		f = open_memstream(&second, &n2);
		ecg_config_print(&g, f);
		fclose(f);
		ecg_config_free(&g);
		/* The first line names the file, which differs; the rest must not. */
		ok(strcmp(strchr(first, '\n'), strchr(second, '\n')) == 0, "and prints the same again");
		ok(strstr(first, "stop_signal = INT") && strstr(first, "stop_timeout = 250ms") &&
		    strstr(first, "buffer = 1MiB") && strstr(first, "cancel_on = exit") &&
		    strstr(first, "env = X=1"), "every effective setting is printed");
		free(first);
		free(second);
	}

	/* Selecting tasks. */
	ok(load(&g, "[a]\ncommand = x\n[b]\ncommand = y\n[c]\ncommand = z\n") == 0, "three tasks");
	{
		char *names[] = { "c", "a" }, *bad[] = { "bb" }, *upper[] = { "A" };
		ok(ecg_config_select(&g, upper, 1, &errb) < 0 &&
		    strstr(err, "unknown task 'A'") && strstr(err, "did you mean 'a'"),
		    "task names are matched exactly (A is not a)");
		ok(ecg_config_select(&g, bad, 1, &errb) < 0 &&
		    strstr(err, "unknown task 'bb'") && strstr(err, "did you mean 'b'"),
		    "an unknown task name is refused with a suggestion");
		ok(ecg_config_select(&g, names, 2, &errb) == 0 && g.ntasks == 2 &&
		    strcmp(g.tasks[0].name, "a") == 0 && strcmp(g.tasks[1].name, "c") == 0,
		    "selection keeps the file's order");
	}
	ecg_config_free(&g);

	unlink(path);
	rmdir(dir);
	return tap_done();
}
