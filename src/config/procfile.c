#define _GNU_SOURCE
#include "config/procfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

int
ecg_procfile_named(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	return strcmp(base, "Procfile") == 0 || strncmp(base, "Procfile.", 9) == 0;
}

static int
name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-' || c == '.';
}

int
ecg_procfile_ini(const char *path, const char *cancel_on, struct ecg_buf *ini,
    struct ecg_buf *err)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *real, *dir, *p, *cmd;
	size_t cap = 0, name_len;
	unsigned n = 0, tasks = 0;

	if (f == NULL) {
		ecg_buf_printf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* The tasks run in its directory, with its .env (if any) as their env_file. */
	real = realpath(path, NULL);
	dir = real != NULL ? real : strdup(".");
	if (dir != NULL && (p = strrchr(dir, '/')) != NULL)
		*(p == dir ? p + 1 : p) = '\0';
	if (dir == NULL) {
		fclose(f);
		ecg_buf_puts(err, "out of memory");
		return -1;
	}
	ecg_buf_printf(ini, "[group]\ncwd = %s\nenv_file = -%s/.env\n", dir, dir);
	if (cancel_on != NULL)
		ecg_buf_printf(ini, "cancel_on = %s\n", cancel_on);
	while (getline(&line, &cap, f) > 0) {
		n++;
		line[strcspn(line, "\r\n")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		for (name_len = 0; name_byte(p[name_len]); name_len++)
			;
		if (name_len == 0 || p[name_len] != ':') {
			ecg_buf_printf(err, "%s:%u: a line is 'name: command' (a name of A-Z a-z 0-9 "
			    "_ - .)", path, n);
			break;
		}
		if (name_len > ECG_CONFIG_NAME_MAX || strncmp(p, "group", name_len) == 0) {
			ecg_buf_printf(err, "%s:%u: '%.*s' cannot be a task's name", path, n,
			    (int)name_len, p);
			break;
		}
		for (cmd = p + name_len + 1; *cmd == ' ' || *cmd == '\t'; cmd++)
			;
		if (*cmd == '\0') {
			ecg_buf_printf(err, "%s:%u: %.*s has no command", path, n, (int)name_len, p);
			break;
		}
		/* The shell runs it as written: the value needs no quoting. */
		ecg_buf_printf(ini, "[%.*s]\ncommand = %s\n", (int)name_len, p, cmd);
		tasks++;
	}
	free(line);
	fclose(f);
	free(dir);
	if (err->len == 0 && tasks == 0)
		ecg_buf_printf(err, "%s:%u: no process defined (lines are 'name: command')", path,
		    n ? n : 1);
	return err->len > 0 ? -1 : 0;
}
