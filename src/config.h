/*
 * config: the group specification, loaded from an INI file.
 *
 * The loader validates everything it can before anything runs: unknown or
 * misplaced keys, repeated keys and sections, bad values, names.  The
 * first problem is reported as "FILE:LINE: message" in the caller's buffer.
 * Settings given in [group] are defaults for every task; they are applied
 * after the whole file is read, so [group] may come anywhere.
 */
#ifndef ECG_CONFIG_H
#define ECG_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define ECG_CONFIG_NAME_MAX 64
#define ECG_CONFIG_VALUE_MAX 131071	/* execve's limit for one string */
#define ECG_CONFIG_FILE_MAX 16777216	/* 16 MiB */
#define ECG_CONFIG_KEYS 16		/* room for this many keys (config.c checks) */

enum ecg_cancel_on {
	ECG_CANCEL_ON_FAILURE,	/* a failure cancels the group */
	ECG_CANCEL_ON_EXIT,	/* any end cancels the group */
	ECG_CANCEL_ON_NEVER,	/* its end never cancels the group */
};

/* One task's settings, or the [group] defaults. */
struct ecg_task_spec {
	char *name;
	unsigned line;		/* line of its section header */
	unsigned set;		/* keys given in its own section (bit per key) */
	unsigned key_line[ECG_CONFIG_KEYS];	/* line of each key given */
	char *command;
	char *cwd;		/* as written */
	char *cwd_path;		/* resolved against the file's directory */
	char **env;		/* "NAME=VALUE", in order; a later NAME wins */
	size_t nenv;
	int stop_signal;
	long stop_timeout_ms;
	enum ecg_cancel_on cancel_on;
	size_t *after;		/* indices of the tasks it starts after */
	size_t nafter;
	int sidecar;		/* serves the others: stopped when they have ended */
};

struct ecg_group_spec {
	char *file;		/* as named in messages ("<stdin>" for -) */
	char *dir;		/* where relative cwds start */
	char *name;
	char *shell;
	size_t buffer;		/* channel capacity per stream per task */
	int stop_signal;	/* the group's default, for processes of no known task */
	long stop_timeout_ms;
	struct ecg_task_spec defaults;	/* the [group] section */
	struct ecg_task_spec *tasks;
	size_t ntasks;
};

/* Loads path ("-" for stdin).  0, or -1 with the message in err. */
int ecg_config_load(struct ecg_group_spec *g, const char *path, char *err, size_t errlen);
void ecg_config_free(struct ecg_group_spec *g);

/* Keeps only the named tasks, in the file's order.  -1 with err if unknown. */
int ecg_config_select(struct ecg_group_spec *g, char *const *names, size_t n,
    char *err, size_t errlen);

/* Writes the resolved group as INI that loads back to the same group. */
void ecg_config_print(const struct ecg_group_spec *g, FILE *out);

const char *ecg_config_cancel_on_name(enum ecg_cancel_on c);

#endif
