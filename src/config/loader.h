/*
 * loader: what the config layer's files share while a file is loaded
 * (config.c reads it, keys.c knows each key, resolve.c puts the tasks
 * together).  Not for use outside src/config.
 */
#ifndef ECG_LOADER_H
#define ECG_LOADER_H

#include <stdio.h>

#include "base/buf.h"
#include "base/strmap.h"
#include "config/config.h"
#include "config/inilex.h"

/* Every key, in the order --check prints them. */
enum key_id {
	K_COMMAND, K_REPLICAS, K_CWD, K_ENV_FILE, K_ENV, K_STOP_SIGNAL, K_STOP_COMMAND,
	K_STOP_TIMEOUT, K_CANCEL_ON, K_AFTER,
	K_READY, K_READY_TIMEOUT, K_HEALTH, K_HEALTH_INTERVAL, K_HEALTH_TIMEOUT, K_HEALTH_RETRIES,
	K_SIDECAR, K_TTY,
	K_RESTART, K_MAX_RESTARTS, K_RESTART_DELAY, K_RESTART_DELAY_MAX, K_RESTART_RESET,
	K_SUCCESS_STATUS, K_TIMEOUT, K_FORWARD, K_USER, K_GROUP, K_UMASK, K_LIMIT_NOFILE,
	K_LIMIT_CORE, K_LIMIT_NPROC, K_LIMIT_MEMLOCK, K_LIMIT_STACK, K_LIMIT_AS,
	K_LOG, K_LOG_MAX_SIZE, K_LOG_KEEP,
	K_NAME, K_SHELL, K_BUFFER, K_MAX_PARALLEL, K_DEADLINE, K_CONTROL, K_COUNT
};

#define GROUP_SECTION "group"

struct loader {
	struct ecg_group_spec *g;
	struct ecg_inilex lx;
	int section;		/* -2 none yet, -1 [group], else a task index */
	int section_keys;	/* records seen in the current section */
	unsigned section_line;
	int key;		/* the key whose value is being read, -1 none */
	unsigned key_line;
	char *val;		/* its value so far */
	size_t vlen, vcap;
	struct ecg_buf *err;
	int failed;
	size_t tasks_cap;	/* g->tasks has room for this many */
	struct ecg_strmap names;	/* task name -> index */
	struct ecg_strmap logs;		/* log path -> index, of the tasks resolved so far */
	struct ecg_strmap env;		/* NAME -> index in the env list being built */
	char ***env_list;		/* that list (NULL: none yet) */
	/* A task section's keys, applied at its end (once per replica with replicas = N). */
	struct loader_rec {
		int key;
		unsigned line;
		char *value;
	} *recs;
	size_t nrecs, recs_cap;
	int replica;			/* the copy being made (1 to N), 0: none */
	char replica_text[24];		/* its number, for ${ECG_REPLICA} */
	/* The last user = and group = resolved, and what they gave (most tasks share one). */
	char *id_user, *id_group;
	struct ecg_identity *id;
};

/* Where a key may appear. */
enum { ANYWHERE, GROUP_ONLY, TASK_ONLY };

/*
 * What a key's value is: the kind says how it is read, inherited from
 * [group] and printed, unless the key has functions of its own.
 */
enum key_kind {
	KIND_DURATION,		/* long, ms: 1.5s, 200ms, 2m, 0 */
	KIND_COUNT,		/* long, 0 to ECG_CONFIG_COUNT_MAX */
	KIND_WORD,		/* int: one of words */
	KIND_SIGNAL,		/* int: TERM, SIGTERM, 15 */
	KIND_STRING,		/* char * */
	KIND_OWN,		/* only the key's own functions */
};

/* One of a key's words and what it stands for. */
struct word {
	const char *text;	/* NULL ends a list */
	int value;
};

struct key;
typedef void key_parse_fn(struct loader *L, unsigned line, const char *v,
    struct ecg_task_spec *t, const struct key *k);
typedef void key_inherit_fn(struct loader *L, struct ecg_task_spec *t,
    const struct ecg_task_spec *d, const struct key *k);
typedef void key_print_fn(FILE *out, const struct ecg_group_spec *g,
    const struct ecg_task_spec *t, const struct key *k);

/*
 * One entry per key.  Its value lives at offset in struct ecg_task_spec
 * (in struct ecg_group_spec for a [group]-only key); def is the value a
 * task gets when neither it nor [group] gives the key.  parse, inherit
 * and print, when set, replace what the kind does.
 */
struct key {
	const char *name;
	unsigned char where;
	unsigned char repeatable;
	unsigned char kind;
	size_t offset;
	long def;
	const struct word *words;	/* KIND_WORD: its words, */
	const char *hint;		/* and what to say of a wrong one */
	key_parse_fn *parse;
	key_inherit_fn *inherit;
	key_print_fn *print;
};

extern const struct key ecg_keys[K_COUNT];

void ecg_keys_free_identity(struct ecg_identity *id);
/* NAME=VALUE in t's env lines (a name there already gets the value): 0 or -ENOMEM. */
int ecg_keys_push_env(struct loader *L, struct ecg_task_spec *t, const char *var);

static inline int
has(const struct ecg_task_spec *t, enum key_id k)
{
	return (t->set & ((uint64_t)1 << k)) != 0;
}

/* The first error of the load, "FILE:LINE: ...", ends it. */
void failf(struct loader *L, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *xstrdup(struct loader *L, const char *s);
/* config.c: frees what a task's spec holds. */
void ecg_config_free_task(struct ecg_task_spec *t);
/* The line key k was given on in t's own section, or 0. */
unsigned ecg_config_key_line(const struct ecg_task_spec *t, enum key_id k);
/* Notes that t's key k is on line (again, for a key given more than once): 0 or -ENOMEM. */
int ecg_config_set_key_line(struct ecg_task_spec *t, enum key_id k, unsigned line);

/* keys.c: the value of key k, complete, read into t (or the group). */
void ecg_keys_finish(struct loader *L, enum key_id k, unsigned line, const char *v,
    struct ecg_task_spec *t);
/* What t does not give itself comes from [group], or is the key's default. */
void ecg_keys_inherit(struct loader *L, struct ecg_task_spec *t);
/* --check: the [group] keys, and a task's. */
void ecg_keys_print_group(FILE *out, const struct ecg_group_spec *g);
void ecg_keys_print_task(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t);
/* A value with newlines comes out as continuation lines. */
void ecg_keys_print_value(FILE *out, const char *key, const char *v);
int ecg_keys_valid_name(const char *s);
int ecg_keys_name_byte(unsigned char c);
void ecg_keys_free_ready(struct ecg_ready_spec *r);
/* Before the first key: the loader's index of env names is set up. */
void ecg_keys_begin(struct loader *L);
/* A log file pattern with name put in (%n, %%): NULL with *why, or out of memory. */
char *ecg_keys_expand_log(const char *pattern, const char *name, const char *replica,
    const char **why);

/* resolve.c: after names into indices, log paths, cycles; arrays for deps. */
void ecg_resolve_after(struct loader *L, struct ecg_task_spec *t);
void ecg_resolve_log(struct loader *L, size_t i);
void ecg_resolve_cycles(struct loader *L);
int ecg_resolve_only_sidecars(const struct ecg_group_spec *g);
size_t **ecg_resolve_after_lists(const struct ecg_group_spec *g, size_t **nafter);
/* The loader's indexes of names and log paths. */
void ecg_resolve_indexes(struct loader *L);

#endif
