/*
 * resolve: the tasks of a loaded file put together: each task's after
 * names become indices, its log file's path is made and checked against
 * the others', tasks after one another in a cycle are refused; and the
 * selection of tasks named on the command line.
 */
#define _GNU_SOURCE
#include "config/loader.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/deps.h"
#include "config/value.h"

/* Keys of the loader's indexes: a task's name, its log file. */
static const char *
name_key(void *arg, size_t idx, size_t *len)
{
	const struct loader *L = arg;

	*len = strlen(L->g->tasks[idx].name);
	return L->g->tasks[idx].name;
}

static const char *
log_key(void *arg, size_t idx, size_t *len)
{
	const struct loader *L = arg;

	*len = strlen(L->g->tasks[idx].log_path);
	return L->g->tasks[idx].log_path;
}

static long
task_index(const struct loader *L, const char *name)
{
	return ecg_strmap_get(&L->names, name, strlen(name));
}

/* Each task's after names become indices, once; a task after itself is an error. */
void
ecg_resolve_after(struct loader *L, struct ecg_task_spec *t)
{
	struct ecg_group_spec *g = L->g;
	unsigned line = ecg_config_key_line(t, K_AFTER);
	size_t j, k;
	long idx;

	if (t->nafter_names == 0)
		return;
	t->after = calloc(t->nafter_names, sizeof(*t->after));
	if (t->after == NULL) {
		failf(L, line, "out of memory");
		return;
	}
	for (j = 0; j < t->nafter_names && !L->failed; j++) {
		const char *name = t->after_names[j];
		size_t nrep = 0;
		idx = task_index(L, name);
		/* The name of replicas: after every one of them. */
		for (k = 0; idx < 0 && k < g->ntasks; k++)
			if (g->tasks[k].replica_of != NULL && strcmp(g->tasks[k].replica_of, name) == 0) {
				size_t *grown = realloc(t->after, (t->nafter_names + nrep + 1 +
				    (size_t)g->tasks[k].replicas) * sizeof(*t->after));
				if (grown == NULL) {
					failf(L, line, "out of memory");
					return;
				}
				t->after = grown;
				if (&g->tasks[k] == t) {
					failf(L, line, "task [%s] cannot start after itself", t->name);
					return;
				}
				t->after[t->nafter++] = k;
				nrep++;
			}
		if (nrep > 0)
			continue;
		if (idx < 0) {
			struct ecg_suggest sg;
			ecg_suggest_init(&sg, name);
			for (k = 0; k < g->ntasks; k++)
				if (&g->tasks[k] != t)
					ecg_suggest_offer(&sg, g->tasks[k].name);
			if (sg.best != NULL)
				failf(L, line, "task [%s] is after '%s', which is no task of the group "
				    "(did you mean '%s'?)", t->name, name, sg.best);
			else
				failf(L, line, "task [%s] is after '%s', which is no task of the group",
				    t->name, name);
			return;
		}
		if (&g->tasks[idx] == t) {
			failf(L, line, "task [%s] cannot start after itself", t->name);
			return;
		}
		for (k = 0; k < t->nafter && t->after[k] != (size_t)idx; k++)
			;
		if (k == t->nafter)
			t->after[t->nafter++] = (size_t)idx;
	}
}

/*
 * path, relative to dir unless absolute, with its directory made canonical
 * if it exists (so that "x.log" and "./x.log" are one file), its last part
 * as it is.  NULL when out of memory.
 */
static char *
canonical_dir(const char *dir, const char *path)
{
	char *full, *slash, *real, *out;

	if (path[0] == '/')
		full = strdup(path);
	else if (asprintf(&full, "%s/%s", dir, path) < 0)
		full = NULL;
	if (full == NULL)
		return NULL;
	slash = strrchr(full, '/');
	*slash = '\0';
	real = realpath(full[0] != '\0' ? full : "/", NULL);
	*slash = '/';
	if (real == NULL)
		return full;
	if (asprintf(&out, "%s/%s", strcmp(real, "/") == 0 ? "" : real, slash + 1) < 0)
		out = NULL;
	free(real);
	free(full);
	return out;
}

/* Whether a's log file is one of the old files b's rotation makes (b's PATH.1 to PATH.keep). */
static int
rotated_into(const struct ecg_task_spec *a, const struct ecg_task_spec *b)
{
	size_t n = strlen(b->log_path);
	const char *k = a->log_path + n + 1;
	char *end;
	long v;

	if (b->log_max_size == 0 || b->log_keep == 0 || strncmp(a->log_path, b->log_path, n) != 0 ||
	    a->log_path[n] != '.' || !isdigit((unsigned char)*k))
		return 0;
	errno = 0;
	v = strtol(k, &end, 10);
	return *end == '\0' && errno == 0 && *k != '0' && v >= 1 && v <= b->log_keep;
}

/* The task before this one that logs to the len bytes at path, or NULL. */
static const struct ecg_task_spec *
log_owner(const struct loader *L, const char *path, size_t len)
{
	long at = ecg_strmap_get(&L->logs, path, len);

	return at >= 0 ? &L->g->tasks[at] : NULL;
}

/* a logs to one of b's old files. */
static void
rotation_clash(struct loader *L, unsigned line, const struct ecg_task_spec *a,
    const struct ecg_task_spec *b)
{
	failf(L, line, "task [%s] logs to %s, one of the old files of task [%s]'s log "
	    "(log_keep = %ld): give each task a file of its own", a->name, a->log_path, b->name,
	    b->log_keep);
}

/*
 * The task's log file: its pattern with the name put in, relative to the
 * file's directory.  No two tasks may share one.
 */
void
ecg_resolve_log(struct loader *L, size_t i)
{
	struct ecg_group_spec *g = L->g;
	struct ecg_task_spec *t = &g->tasks[i];
	unsigned line = has(t, K_LOG) ? ecg_config_key_line(t, K_LOG) :
	    ecg_config_key_line(&g->defaults, K_LOG);
	struct ecg_buf old = ECG_BUF_INIT;
	const struct ecg_task_spec *o;
	const char *why, *dot;
	struct stat st;
	char *name;
	long n;

	if (t->log == NULL) {
		if (has(t, K_LOG_MAX_SIZE) || has(t, K_LOG_KEEP))
			failf(L, ecg_config_key_line(t, has(t, K_LOG_MAX_SIZE) ? K_LOG_MAX_SIZE : K_LOG_KEEP),
			    "task [%s] has no log file for %s (set log = PATH)", t->name,
			    has(t, K_LOG_MAX_SIZE) ? "log_max_size" : "log_keep");
		return;
	}
	if (has(t, K_LOG_KEEP) && t->log_max_size == 0) {
		failf(L, ecg_config_key_line(t, K_LOG_KEEP), "log_keep in [%s] keeps files that log_max_size "
		    "makes: set it too", t->name);
		return;
	}
	{
		char num[24];
		snprintf(num, sizeof(num), "%d", t->replica);
		name = ecg_keys_expand_log(t->log, t->name, t->replica > 0 ? num : NULL, &why);
	}
	if (name == NULL) {
		if (why != NULL)
			failf(L, line, "log '%s' of [%s]: %s", t->log, t->name, why);
		else
			failf(L, line, "out of memory");
		return;
	}
	t->log_path = canonical_dir(g->dir, name);
	free(name);
	if (t->log_path == NULL) {
		failf(L, line, "out of memory");
		return;
	}
	if (stat(t->log_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		failf(L, line, "task [%s] logs to %s, which is a directory: give the file's name",
		    t->name, t->log_path);
		return;
	}
	/*
	 * Another task with the same file, or one whose file is one of the
	 * other's rotated names (PATH.N): looked up among the tasks before
	 * it, by path, so that many tasks with logs load in linear time.
	 */
	if ((o = log_owner(L, t->log_path, strlen(t->log_path))) != NULL) {
		failf(L, line, "task [%s] logs to %s, as task [%s] does: give each task a "
		    "file of its own", t->name, t->log_path, o->name);
		return;
	}
	dot = strrchr(t->log_path, '.');
	if (dot != NULL && (o = log_owner(L, t->log_path, (size_t)(dot - t->log_path))) != NULL &&
	    rotated_into(t, o)) {
		rotation_clash(L, line, t, o);
		return;
	}
	for (n = 1; t->log_max_size > 0 && n <= t->log_keep; n++) {
		ecg_buf_reset(&old);
		ecg_buf_printf(&old, "%s.%ld", t->log_path, n);
		if ((o = log_owner(L, old.p, old.len)) != NULL) {
			rotation_clash(L, line, o, t);
			break;
		}
	}
	ecg_buf_free(&old);
	if (!L->failed && ecg_strmap_put(&L->logs, i) < 0)
		failf(L, line, "out of memory");
}

/* Arrays of every task's after lists, for deps.  NULL if out of memory. */
size_t **
ecg_resolve_after_lists(const struct ecg_group_spec *g, size_t **nafter)
{
	size_t **after = malloc((g->ntasks ? g->ntasks : 1) * sizeof(*after)), i;

	*nafter = malloc((g->ntasks ? g->ntasks : 1) * sizeof(**nafter));
	if (after == NULL || *nafter == NULL) {
		free(after);
		free(*nafter);
		*nafter = NULL;
		return NULL;
	}
	for (i = 0; i < g->ntasks; i++) {
		after[i] = g->tasks[i].after;
		(*nafter)[i] = g->tasks[i].nafter;
	}
	return after;
}

/* Tasks after one another in a circle would wait for one another forever. */
void
ecg_resolve_cycles(struct loader *L)
{
	struct ecg_group_spec *g = L->g;
	size_t **after, *nafter, *cycle, i;
	struct ecg_buf msg = ECG_BUF_INIT;
	long k;

	after = ecg_resolve_after_lists(g, &nafter);
	cycle = malloc((g->ntasks ? g->ntasks : 1) * sizeof(*cycle));
	if (after == NULL || cycle == NULL) {
		failf(L, 1, "out of memory");
		goto out;
	}
	k = ecg_deps_cycle(g->ntasks, after, nafter, cycle);
	if (k < 0)
		failf(L, 1, "out of memory");
	if (k <= 0)
		goto out;
	ecg_buf_printf(&msg, "%s is after %s", g->tasks[cycle[0]].name,
	    g->tasks[cycle[1 % k]].name);
	for (i = 1; i < (size_t)k; i++)
		ecg_buf_printf(&msg, ", which is after %s", g->tasks[cycle[(i + 1) % (size_t)k]].name);
	failf(L, ecg_config_key_line(&g->tasks[cycle[0]], K_AFTER), "tasks after one another in a cycle: %s",
	    ecg_buf_failed(&msg) ? "(out of memory)" : ecg_buf_str(&msg));
	ecg_buf_free(&msg);
out:
	free(after);
	free(nafter);
	free(cycle);
}

int
ecg_resolve_only_sidecars(const struct ecg_group_spec *g)
{
	size_t i;

	for (i = 0; i < g->ntasks; i++)
		if (!g->tasks[i].sidecar)
			return 0;
	return g->ntasks > 0;
}

void
ecg_resolve_indexes(struct loader *L)
{
	ecg_strmap_init(&L->names, name_key, L);
	ecg_strmap_init(&L->logs, log_key, L);
}

/* Whether name is t's, or the one its replicas share. */
static int
named(const struct ecg_task_spec *t, const char *name)
{
	return strcmp(name, t->name) == 0 ||
	    (t->replica_of != NULL && strcmp(name, t->replica_of) == 0);
}

int
ecg_config_select(struct ecg_group_spec *g, char *const *names, size_t n, struct ecg_buf *err)
{
	size_t i, j, kept = 0, *renum = NULL, **after = NULL, *nafter = NULL;
	char *keep;
	int rc = -1;

	if (n == 0)
		return 0;
	for (j = 0; j < n; j++) {
		struct ecg_suggest sg;
		ecg_suggest_init(&sg, names[j]);
		for (i = 0; i < g->ntasks && !named(&g->tasks[i], names[j]); i++)
			ecg_suggest_offer(&sg, g->tasks[i].name);
		if (i < g->ntasks)
			continue;
		if (sg.best != NULL)
			ecg_buf_printf(err, "unknown task '%s' in %s (did you mean '%s'?)",
			    names[j], g->file, sg.best);
		else
			ecg_buf_printf(err, "unknown task '%s' in %s", names[j], g->file);
		return -1;
	}
	keep = calloc(g->ntasks, 1);
	renum = malloc(g->ntasks * sizeof(*renum));
	after = ecg_resolve_after_lists(g, &nafter);
	if (keep == NULL || renum == NULL || after == NULL) {
		ecg_buf_printf(err, "out of memory");
		goto out;
	}
	for (j = 0; j < n; j++)
		for (i = 0; i < g->ntasks; i++)
			if (named(&g->tasks[i], names[j]))
				keep[i] = 1;
	/* What the named tasks are after runs too, or they would wait forever. */
	if (ecg_deps_closure(g->ntasks, after, nafter, keep) < 0) {
		ecg_buf_printf(err, "out of memory");
		goto out;
	}
	for (i = 0; i < g->ntasks; i++)
		if (keep[i] && !g->tasks[i].sidecar)
			break;
	if (i == g->ntasks) {
		ecg_buf_printf(err, "%s", "the tasks named are sidecars: there is nothing for them "
		    "to serve (name a task that is not one)");
		goto out;
	}
	for (i = 0; i < g->ntasks; i++) {
		if (keep[i]) {
			renum[i] = kept;
			g->tasks[kept++] = g->tasks[i];
		} else
			ecg_config_free_task(&g->tasks[i]);
	}
	g->ntasks = kept;
	for (i = 0; i < g->ntasks; i++)
		for (j = 0; j < g->tasks[i].nafter; j++)
			g->tasks[i].after[j] = renum[g->tasks[i].after[j]];
	rc = 0;
out:
	free(keep);
	free(renum);
	free(after);
	free(nafter);
	return rc;
}

