#define _GNU_SOURCE
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strmap.h"
#include "config/command.h"
#include "config/deps.h"
#include "config/inilex.h"
#include "config/loader.h"
#include "config/value.h"
#include "sys/spawn.h"

#define DEFAULT_SHELL "/bin/sh"
#define DEFAULT_BUFFER ((size_t)64 * 1024)
#define DEFAULT_STOP_TIMEOUT_MS 10000

void
failf(struct loader *L, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (L->failed)
		return;
	L->failed = 1;
	ecg_buf_reset(L->err);
	ecg_buf_printf(L->err, "%s:%u: ", L->g->file, line);
	va_start(ap, fmt);
	ecg_buf_vprintf(L->err, fmt, ap);
	va_end(ap);
	ecg_inilex_stop(&L->lx);
}

char *
xstrdup(struct loader *L, const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		failf(L, L->lx.line, "out of memory");
	return p;
}

static struct ecg_task_spec *
current(struct loader *L)
{
	return L->section == -1 ? &L->g->defaults : &L->g->tasks[L->section];
}

static void
free_recs(struct loader *L)
{
	size_t i;

	for (i = 0; i < L->nrecs; i++)
		free(L->recs[i].value);
	L->nrecs = 0;
}

/* A task section's keys, given to t in their order, as replica (0: none). */
static void
apply_recs(struct loader *L, size_t index, int replica)
{
	size_t i;

	L->replica = replica;
	snprintf(L->replica_text, sizeof(L->replica_text), "%d", replica);
	L->env_list = NULL;
	for (i = 0; i < L->nrecs && !L->failed; i++)
		if (L->recs[i].key != K_REPLICAS)
			ecg_keys_finish(L, (enum key_id)L->recs[i].key, L->recs[i].line,
			    L->recs[i].value, &L->g->tasks[index]);
	L->env_list = NULL;
	L->replica = 0;
}

/*
 * A task section is over: its keys are given to it, and its name is
 * known from now on.  With replicas = N, it is N tasks NAME.1 to NAME.N,
 * each given the keys with its own ${ECG_REPLICA} and ECG_REPLICA=i.
 */
static int copy_key_lines(struct ecg_task_spec *to, const struct ecg_task_spec *from);

static void
end_task(struct loader *L)
{
	struct ecg_group_spec *g = L->g;
	size_t first = (size_t)L->section, i;
	struct ecg_task_spec *t = &g->tasks[first];
	char *base, *name, var[48];
	long n = 0, r;

	for (i = 0; i < L->nrecs && !L->failed; i++)
		if (L->recs[i].key == K_REPLICAS) {
			ecg_keys_finish(L, K_REPLICAS, L->recs[i].line, L->recs[i].value, t);
			n = t->replicas;
		}
	if (L->failed)
		return;
	if (n == 0) {
		apply_recs(L, first, 0);
		if (!L->failed && ecg_strmap_put(&L->names, first) < 0)
			failf(L, t->line, "out of memory");
		return;
	}
	base = t->name;
	if (strlen(base) + 1 + 4 > ECG_CONFIG_NAME_MAX) {
		failf(L, ecg_config_key_line(t, K_REPLICAS), "task [%s]: its replicas' names (%s.%ld) would "
		    "be longer than %d characters", base, base, n, ECG_CONFIG_NAME_MAX);
		return;
	}
	/* The task's name is base's now; each copy gets NAME.i (the first one's replaces it). */
	if ((g->tasks[first].name = strdup(base)) == NULL) {
		g->tasks[first].name = base;
		failf(L, t->line, "out of memory");
		return;
	}
	for (r = 1; r <= n && !L->failed; r++) {
		size_t at = first;
		if (r > 1) {
			/* Another task, with the first one's keys as given. */
			if (g->ntasks == L->tasks_cap) {
				size_t cap = 2 * L->tasks_cap;
				struct ecg_task_spec *p = realloc(g->tasks, cap * sizeof(*p));
				if (p == NULL) {
					failf(L, g->tasks[first].line, "out of memory");
					break;
				}
				g->tasks = p;
				L->tasks_cap = cap;
			}
			at = g->ntasks++;
			memset(&g->tasks[at], 0, sizeof(g->tasks[at]));
			g->tasks[at].line = g->tasks[first].line;
			g->tasks[at].set = g->tasks[first].set;
			if (copy_key_lines(&g->tasks[at], &g->tasks[first]) < 0) {
				failf(L, g->tasks[first].line, "out of memory");
				break;
			}
			g->tasks[at].replicas = n;
		}
		t = &g->tasks[at];
		if (asprintf(&name, "%s.%ld", base, r) < 0) {
			failf(L, t->line, "out of memory");
			break;
		}
		if ((t->replica_of = strdup(base)) == NULL) {
			free(name);
			failf(L, t->line, "out of memory");
			break;
		}
		free(t->name);
		t->name = name;
		if (ecg_strmap_get(&L->names, name, strlen(name)) >= 0) {
			failf(L, t->line, "task [%s] repeated (a replica of [%s])", name, base);
			break;
		}
		t->replica = (int)r;
		snprintf(var, sizeof(var), "ECG_REPLICA=%ld", r);
		apply_recs(L, at, (int)r);
		/* Its number in its environment: an env line of its own, first (others may use it). */
		if (!L->failed && ecg_keys_push_env(L, &g->tasks[at], var) < 0)
			failf(L, t->line, "out of memory");
		if (!L->failed && ecg_strmap_put(&L->names, at) < 0)
			failf(L, t->line, "out of memory");
	}
	free(base);
}

static void
end_section(struct loader *L)
{
	/* An empty [group] takes the defaults; an empty task has nothing to run. */
	if (L->section >= 0 && L->section_keys == 0)
		failf(L, L->section_line, "empty section [%s] (a task needs a command)",
		    current(L)->name);
	if (L->section >= 0 && !L->failed)
		end_task(L);
	free_recs(L);
}

static void
begin_section(struct loader *L, const char *name)
{
	struct ecg_group_spec *g = L->g;
	struct ecg_task_spec *t;
	size_t i;
	long at;

	/* The next env line starts another list (tasks may have moved, too). */
	L->env_list = NULL;
	end_section(L);
	if (L->failed)
		return;
	L->section_line = L->lx.line;
	L->section_keys = 0;
	if (strcmp(name, GROUP_SECTION) == 0) {
		if (g->defaults.line != 0) {
			failf(L, L->lx.line, "section [group] repeated (first on line %u)",
			    g->defaults.line);
			return;
		}
		g->defaults.line = L->lx.line;
		L->section = -1;
		return;
	}
	if (!ecg_keys_valid_name(name)) {
		failf(L, L->lx.line, "bad task name '%s' (1 to %d characters of A-Z a-z 0-9 _ . -)",
		    name, ECG_CONFIG_NAME_MAX);
		return;
	}
	if ((at = ecg_strmap_get(&L->names, name, strlen(name))) >= 0) {
		failf(L, L->lx.line, "task [%s] repeated (first on line %u)", name,
		    g->tasks[at].line);
		return;
	}
	if (g->ntasks == L->tasks_cap) {
		i = L->tasks_cap != 0 ? 2 * L->tasks_cap : 16;
		t = realloc(g->tasks, i * sizeof(*t));
		if (t == NULL) {
			failf(L, L->lx.line, "out of memory");
			return;
		}
		g->tasks = t;
		L->tasks_cap = i;
	}
	t = &g->tasks[g->ntasks];
	memset(t, 0, sizeof(*t));
	t->line = L->lx.line;
	t->name = xstrdup(L, name);
	if (t->name == NULL)
		return;
	/* Its name is known to the others once its section is over (see end_task). */
	L->section = (int)g->ntasks++;
}

static int
find_key(const char *name)
{
	int k;

	for (k = 0; k < K_COUNT; k++)
		if (strcmp(ecg_keys[k].name, name) == 0)
			return k;
	return -1;
}

static const char *
suggest_key(const char *name)
{
	struct ecg_suggest sg;
	int k;

	ecg_suggest_init(&sg, name);
	for (k = 0; k < K_COUNT; k++)
		ecg_suggest_offer(&sg, ecg_keys[k].name);
	return sg.best;
}

/* A value as written may carry indentation: room for it beyond the limit. */
#define RAW_VALUE_MAX ((size_t)8 * ECG_CONFIG_VALUE_MAX)

static int
append_value(struct loader *L, const char *s, int newline)
{
	size_t add = strlen(s) + (size_t)newline;

	if (L->vlen + add > RAW_VALUE_MAX) {
		failf(L, L->lx.line, "value of '%s' too long (at most %d bytes)",
		    ecg_keys[L->key].name, ECG_CONFIG_VALUE_MAX);
		return -1;
	}
	if (L->vlen + add + 1 > L->vcap) {
		size_t cap = L->vcap ? L->vcap : 256;
		char *p;
		while (cap < L->vlen + add + 1)
			cap *= 2;
		p = realloc(L->val, cap);
		if (p == NULL) {
			failf(L, L->lx.line, "out of memory");
			return -1;
		}
		L->val = p;
		L->vcap = cap;
	}
	if (L->val == NULL)	/* cannot be: room was made above */
		return -1;
	if (newline)
		L->val[L->vlen++] = '\n';
	memcpy(L->val + L->vlen, s, strlen(s) + 1);
	L->vlen += strlen(s);
	return 0;
}

static char *
line_end(char *p)
{
	char *nl = strchr(p, '\n');

	return nl != NULL ? nl : p + strlen(p);
}

static size_t
indent_of(const char *line, const char *end)
{
	const char *p = line;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return (size_t)(p - line);
}

/*
 * A value with continuation lines: the indentation that all of them share
 * goes (what is indented further keeps its depth, as a here-document or a
 * Python block needs), and blank lines at its start and end go.
 */
static void
dedent(char *v)
{
	char *rest = strchr(v, '\n'), *p, *nl, *out;
	const char *common = NULL;
	size_t ncommon = 0, ind;

	if (rest == NULL)
		return;
	for (p = rest + 1;; p = nl + 1) {
		nl = line_end(p);
		ind = indent_of(p, nl);
		if (p + ind < nl) {
			if (common == NULL) {
				common = p;
				ncommon = ind;
			} else {
				size_t k = 0;
				while (k < ncommon && k < ind && p[k] == common[k])
					k++;
				ncommon = k;
			}
		}
		if (*nl == '\0')
			break;
	}
	out = rest;
	for (p = rest + 1;; p = nl + 1) {
		nl = line_end(p);
		ind = indent_of(p, nl);
		*out++ = '\n';
		if (p + ind < nl) {
			memmove(out, p + ncommon, (size_t)(nl - p) - ncommon);
			out += (size_t)(nl - p) - ncommon;
		}
		if (*nl == '\0')
			break;
	}
	*out = '\0';
	while (out > v && out[-1] == '\n')
		*--out = '\0';
	for (p = v; *p == '\n'; p++)
		;
	memmove(v, p, strlen(p) + 1);
}

/* The value of the open key is complete: check it and store it. */
static void
finish_key(struct loader *L)
{
	struct ecg_task_spec *t;
	const char *v = L->val ? L->val : "";
	unsigned line = L->key_line;
	int key = L->key;

	if (key < 0 || L->failed)
		return;
	L->key = -1;
	t = current(L);
	if (L->val != NULL) {
		dedent(L->val);
		L->vlen = strlen(L->val);
	}
	if (L->vlen > ECG_CONFIG_VALUE_MAX) {
		failf(L, line, "value of '%s' too long: %zu bytes (at most %d)", ecg_keys[key].name,
		    L->vlen, ECG_CONFIG_VALUE_MAX);
		return;
	}
	if (*v == '\0' && key != K_ENV) {
		failf(L, line, "empty value for '%s'", ecg_keys[key].name);
		return;
	}
	if (L->section < 0) {
		ecg_keys_finish(L, (enum key_id)key, line, v, t);
		return;
	}
	/* A task's keys wait for the end of its section (it may have replicas). */
	if (L->nrecs == L->recs_cap) {
		size_t cap = L->recs_cap ? 2 * L->recs_cap : 16;
		struct loader_rec *p = realloc(L->recs, cap * sizeof(*p));
		if (p == NULL) {
			failf(L, line, "out of memory");
			return;
		}
		L->recs = p;
		L->recs_cap = cap;
	}
	L->recs[L->nrecs].key = key;
	L->recs[L->nrecs].line = line;
	if ((L->recs[L->nrecs].value = strdup(v)) == NULL) {
		failf(L, line, "out of memory");
		return;
	}
	L->nrecs++;
}

static void
begin_key(struct loader *L, const char *name, const char *value)
{
	struct ecg_task_spec *t;
	const char *hint;
	int k;

	if (L->section == -2) {
		failf(L, L->lx.line, "key '%s' before any [section]", name);
		return;
	}
	t = current(L);
	k = find_key(name);
	if (k < 0) {
		hint = suggest_key(name);
		if (hint != NULL)
			failf(L, L->lx.line, "unknown key '%s' in [%s] (did you mean '%s'?)",
			    name, t == &L->g->defaults ? GROUP_SECTION : t->name, hint);
		else
			failf(L, L->lx.line, "unknown key '%s' in [%s]", name,
			    t == &L->g->defaults ? GROUP_SECTION : t->name);
		return;
	}
	if (ecg_keys[k].where == GROUP_ONLY && L->section != -1) {
		failf(L, L->lx.line, "'%s' is a [group] key, not a task key (task [%s])",
		    name, t->name);
		return;
	}
	if (ecg_keys[k].where == TASK_ONLY && L->section == -1) {
		failf(L, L->lx.line, "'%s' is a task key, not a [group] key: each task says it",
		    name);
		return;
	}
	if (!ecg_keys[k].repeatable && has(t, (enum key_id)k)) {
		failf(L, L->lx.line, "'%s' given twice in [%s] (first on line %u)", name,
		    L->section == -1 ? GROUP_SECTION : t->name, ecg_config_key_line(t, k));
		return;
	}
	if (ecg_config_set_key_line(t, k, L->lx.line) < 0) {
		failf(L, L->lx.line, "out of memory");
		return;
	}
	t->set |= (uint64_t)1 << k;
	L->key = k;
	L->key_line = L->lx.line;
	L->vlen = 0;
	if (L->val != NULL)
		L->val[0] = '\0';
	append_value(L, value, 0);
}

/* inih's handler: one call per record; the record itself is in L->lx. */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *L = user;
	struct ecg_inilex_record *rec = &L->lx.rec;

	(void)section;
	(void)name;
	(void)value;
	if (L->failed)
		return 0;
	switch (rec->kind) {
	case ECG_INILEX_SECTION:
		finish_key(L);
		begin_section(L, rec->name);
		break;
	case ECG_INILEX_KEY:
		finish_key(L);
		L->section_keys++;
		if (!L->failed)
			begin_key(L, rec->name, rec->value);
		break;
	case ECG_INILEX_MORE:
		if (L->key >= 0)
			append_value(L, rec->value, 1);
		break;
	}
	return !L->failed;
}

static int
read_all(struct loader *L, const char *path, char **text, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf, *p;
	int fd, saved;
	ssize_t r;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ecg_buf_printf(L->err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(cap);
	if (buf == NULL) {
		saved = ENOMEM;
		goto fail;
	}
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			p = realloc(buf, cap);
			if (p == NULL) {
				saved = ENOMEM;
				goto fail;
			}
			buf = p;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > ECG_CONFIG_FILE_MAX) {
			ecg_buf_printf(L->err, "%s: too large (at most %d MiB)",
			    L->g->file, ECG_CONFIG_FILE_MAX / (1024 * 1024));
			goto fail_quiet;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
fail:
	ecg_buf_printf(L->err, "%s: cannot read: %s", L->g->file, strerror(saved));
fail_quiet:
	if (fd != STDIN_FILENO)
		close(fd);
	free(buf);
	return -1;
}

/*
 * The file's name without its extension, made a valid group name: each
 * run of other bytes (blanks, non-ASCII letters) becomes one '-', so that
 * "my group.ini" gives "my-group", which --check prints and loads back.
 */
static char *
default_name(const char *path)
{
	const char *base = strrchr(path, '/'), *dot, *p;
	size_t len, n = 0;
	char *name;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	len = dot == NULL || dot == base ? strlen(base) : (size_t)(dot - base);
	name = malloc(ECG_CONFIG_NAME_MAX + 1);
	if (name == NULL)
		return NULL;
	for (p = base; p < base + len && n < ECG_CONFIG_NAME_MAX; p++) {
		if (ecg_keys_name_byte((unsigned char)*p))
			name[n++] = *p;
		else if (n == 0 || name[n - 1] != '-')
			name[n++] = '-';
	}
	if (n == 0)
		name[n++] = '-';
	name[n] = '\0';
	return name;
}

static char *
file_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	if (strcmp(path, "-") == 0 || slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return NULL;
	/* Absolute, so that --check prints paths that hold from anywhere. */
	real = realpath(dir, NULL);
	if (real == NULL)
		return dir;
	free(dir);
	return real;
}

#define ONLY_SIDECARS "every task is a sidecar: there is nothing for them to serve " \
	"(a group needs a task that is not one)"

/*
 * Loads text (len bytes, owned from now on), named file in messages, its
 * relative paths from dir, the group's default name name.
 */
static int
load(struct ecg_group_spec *g, const struct loader *Lp, char *text, size_t len,
    struct ecg_buf *err);

int
ecg_config_load(struct ecg_group_spec *g, const char *path, struct ecg_buf *err)
{
	struct loader L;
	char *text;
	size_t len;

	memset(g, 0, sizeof(*g));
	memset(&L, 0, sizeof(L));
	L.g = g;
	L.err = err;
	g->file = strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	g->dir = file_dir(path);
	g->name = strcmp(path, "-") == 0 ? strdup("stdin") : default_name(path);
	if (g->file == NULL || g->dir == NULL || g->name == NULL) {
		ecg_buf_printf(err, "out of memory");
		return -1;
	}
	if (read_all(&L, path, &text, &len) < 0)
		return -1;
	return load(g, &L, text, len, err);
}

int
ecg_config_load_text(struct ecg_group_spec *g, const char *file, const char *name,
    const char *text, size_t len, struct ecg_buf *err)
{
	struct loader L;
	char *copy = malloc(len + 1);

	memset(g, 0, sizeof(*g));
	memset(&L, 0, sizeof(L));
	L.g = g;
	L.err = err;
	g->file = strdup(file);
	g->dir = file_dir(".");
	g->name = strdup(name);
	if (copy == NULL || g->file == NULL || g->dir == NULL || g->name == NULL) {
		free(copy);
		ecg_buf_printf(err, "out of memory");
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	return load(g, &L, copy, len, err);
}

static int
load(struct ecg_group_spec *g, const struct loader *Lp, char *text, size_t len,
    struct ecg_buf *err)
{
	struct loader L = *Lp;
	char shellpath[PATH_MAX];
	size_t i;

	(void)err;
	ecg_resolve_indexes(&L);
	ecg_keys_begin(&L);
	L.section = -2;
	L.key = -1;
	g->buffer = DEFAULT_BUFFER;
	g->defaults.name = strdup(GROUP_SECTION);
	if (g->defaults.name == NULL) {
		free(text);
		ecg_buf_printf(L.err, "out of memory");
		return -1;
	}
	ecg_inilex_init(&L.lx, text, len);
	ini_parse_stream(ecg_inilex_reader, &L.lx, handler, &L);
	if (L.lx.error != NULL && !L.failed)
		failf(&L, L.lx.error_line, "%s", L.lx.error);
	finish_key(&L);
	end_section(&L);
	if (!L.failed && g->ntasks == 0)
		failf(&L, L.lx.line ? L.lx.line : 1, "no task defined (add a [name] section with a command)");
	for (i = 0; i < g->ntasks && !L.failed; i++) {
		ecg_keys_inherit(&L, &g->tasks[i]);
		if (!L.failed && g->tasks[i].command == NULL)
			failf(&L, g->tasks[i].line, "task [%s] has no command", g->tasks[i].name);
	}
	for (i = 0; i < g->ntasks && !L.failed; i++)
		ecg_resolve_after(&L, &g->tasks[i]);
	for (i = 0; i < g->ntasks && !L.failed; i++)
		ecg_resolve_log(&L, i);
	if (!L.failed)
		ecg_resolve_cycles(&L);
	if (!L.failed && ecg_resolve_only_sidecars(g))
		failf(&L, ecg_config_key_line(&g->tasks[0], K_SIDECAR), ONLY_SIDECARS);
	g->stop_signal = has(&g->defaults, K_STOP_SIGNAL) ? g->defaults.stop_signal : SIGTERM;
	g->stop_timeout_ms = has(&g->defaults, K_STOP_TIMEOUT) ? g->defaults.stop_timeout_ms :
	    DEFAULT_STOP_TIMEOUT_MS;
	if (!L.failed && g->shell == NULL)
		g->shell = xstrdup(&L, DEFAULT_SHELL);
	if (!L.failed && ecg_spawn_which(g->shell, shellpath, sizeof(shellpath)) < 0)
		failf(&L, ecg_config_key_line(&g->defaults, K_SHELL) ? ecg_config_key_line(&g->defaults, K_SHELL) : 1,
		    "shell '%s' is not an executable file", g->shell);
	free(L.val);
	ecg_inilex_destroy(&L.lx);
	ecg_strmap_free(&L.names);
	ecg_strmap_free(&L.logs);
	ecg_strmap_free(&L.env);
	free_recs(&L);
	free(L.recs);
	ecg_keys_free_identity(L.id);
	free(L.id_user);
	free(L.id_group);
	return L.failed ? -1 : 0;
}

unsigned
ecg_config_key_line(const struct ecg_task_spec *t, enum key_id k)
{
	unsigned i;

	for (i = 0; i < t->nkey_lines; i++)
		if (t->key_lines[i].key == (unsigned)k)
			return t->key_lines[i].line;
	return 0;
}

int
ecg_config_set_key_line(struct ecg_task_spec *t, enum key_id k, unsigned line)
{
	struct ecg_key_line *p;
	unsigned i;

	for (i = 0; i < t->nkey_lines; i++)
		if (t->key_lines[i].key == (unsigned)k) {
			t->key_lines[i].line = line;
			return 0;
		}
	/* room for 2, 4, 8, ...: full when the count is 0 or a power of two from 2 up */
	if (t->nkey_lines == 0 || (t->nkey_lines >= 2 && (t->nkey_lines & (t->nkey_lines - 1)) == 0)) {
		p = realloc(t->key_lines, (t->nkey_lines ? 2 * t->nkey_lines : 2) * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		t->key_lines = p;
	}
	t->key_lines[t->nkey_lines].key = (unsigned)k;
	t->key_lines[t->nkey_lines].line = line;
	t->nkey_lines++;
	return 0;
}

/* Gives to a copy of a task the key lines of the original: 0 or -ENOMEM. */
static int
copy_key_lines(struct ecg_task_spec *to, const struct ecg_task_spec *from)
{
	unsigned i;

	for (i = 0; i < from->nkey_lines; i++)
		if (ecg_config_set_key_line(to, (enum key_id)from->key_lines[i].key,
		    from->key_lines[i].line) < 0)
			return -ENOMEM;
	return 0;
}

void
ecg_config_free_task(struct ecg_task_spec *t)
{
	size_t i;

	free(t->name);
	free(t->command);
	free(t->stop_command);
	free(t->cwd);
	free(t->cwd_path);
	free(t->log);
	free(t->log_path);
	for (i = 0; i < t->nenv; i++)
		free(t->env[i]);
	free(t->env);
	for (i = 0; i < t->nfenv; i++)
		free(t->fenv[i]);
	free(t->fenv);
	for (i = 0; i < t->nenv_files; i++)
		free(t->env_files[i]);
	free(t->env_files);
	free(t->replica_of);
	free(t->user);
	free(t->group);
	ecg_keys_free_identity(t->identity);
	ecg_keys_free_ready(&t->ready);
	ecg_keys_free_ready(&t->health);
	free(t->key_lines);
	free(t->limit);
	for (i = 0; i < t->nafter_names; i++)
		free(t->after_names[i]);
	free(t->after_names);
	free(t->after);
}

void
ecg_config_free(struct ecg_group_spec *g)
{
	size_t i;

	for (i = 0; i < g->ntasks; i++)
		ecg_config_free_task(&g->tasks[i]);
	ecg_config_free_task(&g->defaults);
	free(g->tasks);
	free(g->file);
	free(g->dir);
	free(g->name);
	free(g->shell);
	free(g->control);
	memset(g, 0, sizeof(*g));
}

void
ecg_config_spawn_as(const struct ecg_identity *id, struct ecg_spawn *sp)
{
	if (id == NULL)
		return;
	sp->set_ids = 1;
	sp->uid = id->uid;
	sp->gid = id->gid;
	sp->groups = id->groups;
	sp->ngroups = id->ngroups;
}

long
ecg_config_stop_bound_in(size_t n, size_t *const *dependents, const size_t *ndependents,
    const struct ecg_task_spec *tasks, const char *live)
{
	long *w = calloc(n ? n : 1, sizeof(*w)), bound, sidecars;
	size_t i;

	if (w == NULL)
		return -1;
	/*
	 * The tasks that are not sidecars stop first, in reverse order, then
	 * the sidecars: the longest chain of each, one after the other.
	 */
	for (i = 0; i < n; i++)
		w[i] = (live == NULL || live[i]) && !tasks[i].sidecar ? tasks[i].stop_timeout_ms : 0;
	bound = ecg_deps_chain(n, dependents, ndependents, w);
	for (i = 0; i < n; i++)
		w[i] = (live == NULL || live[i]) && tasks[i].sidecar ? tasks[i].stop_timeout_ms : 0;
	sidecars = bound < 0 ? -1 : ecg_deps_chain(n, dependents, ndependents, w);
	free(w);
	return sidecars < 0 ? -1 : bound + sidecars;
}

long
ecg_config_stop_bound(const struct ecg_group_spec *g)
{
	size_t i, **after, *nafter, **dependents = NULL, *ndependents = NULL;
	long bound = -1;

	after = ecg_resolve_after_lists(g, &nafter);
	if (after != NULL && ecg_deps_reverse(g->ntasks, after, nafter, &dependents,
	    &ndependents) == 0)
		bound = ecg_config_stop_bound_in(g->ntasks, dependents, ndependents, g->tasks, NULL);
	free(dependents);
	free(ndependents);
	free(after);
	free(nafter);
	if (bound < 0)
		/* No memory to walk the chains: every stop_timeout in a row is a bound too. */
		for (i = 0, bound = 0; i < g->ntasks; i++)
			bound += g->tasks[i].stop_timeout_ms;
	return bound;
}

void
ecg_config_print(const struct ecg_group_spec *g, FILE *out)
{
	char dur[32];

	size_t i, **after, *nafter, *order;

	after = ecg_resolve_after_lists(g, &nafter);
	order = calloc(g->ntasks ? g->ntasks : 1, sizeof(*order));
	/* Loaded groups have no cycle; without memory, the file's order. */
	if (after == NULL || order == NULL || ecg_deps_order(g->ntasks, after, nafter, order) < 0)
		for (i = 0; order != NULL && i < g->ntasks; i++)
			order[i] = i;
	fprintf(out, "; %s, resolved: %zu task%s, in the order they start\n", g->file,
	    g->ntasks, g->ntasks == 1 ? "" : "s");
	/* What an orchestrator must allow for a stop (terminationGracePeriodSeconds, TimeoutStopSec=). */
	ecg_value_format_duration(ecg_config_stop_bound(g) + ECG_CONFIG_STOP_GRACE_MS, dur,
	    sizeof(dur));
	fprintf(out, "; once told to stop, it exits within %s (the stop bound)\n[group]\n", dur);
	ecg_keys_print_group(out, g);
	for (i = 0; i < g->ntasks; i++) {
		const struct ecg_task_spec *t = &g->tasks[order != NULL ? order[i] : i];
		fprintf(out, "\n[%s]\n", t->name);
		ecg_keys_print_task(out, g, t);
	}
	free(after);
	free(nafter);
	free(order);
}

/* The line of key k for t: its own, or the [group] default's. */
static unsigned
key_line_of(const struct ecg_group_spec *g, const struct ecg_task_spec *t, enum key_id k)
{
	return has(t, k) ? ecg_config_key_line(t, k) : ecg_config_key_line(&g->defaults, k) ? ecg_config_key_line(&g->defaults, k) :
	    t->line;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The value of PATH the task will have: its env line, else ecg-run's own. */
static const char *
task_path(const struct ecg_task_spec *t)
{
	size_t i = t->nenv;

	while (i-- > 0)
		if (strncmp(t->env[i], "PATH=", 5) == 0)
			return t->env[i] + 5;
	return getenv("PATH");
}

void
ecg_config_warnings(const struct ecg_group_spec *g, struct ecg_buf *out)
{
	struct ecg_buf rel = ECG_BUF_INIT;
	char found[PATH_MAX], **words, *dir, *slash;
	size_t i;

	for (i = 0; i < g->ntasks; i++) {
		const struct ecg_task_spec *t = &g->tasks[i];
		if (t->cwd_path != NULL && !is_dir(t->cwd_path))
			ecg_buf_printf(out, "%s:%u: warning: task [%s]: cwd %s is not a directory "
			    "(the task cannot start, 127, unless it is one by then)\n", g->file,
			    key_line_of(g, t, K_CWD), t->name, t->cwd_path);
		if (t->log_path != NULL && (dir = strdup(t->log_path)) != NULL) {
			slash = strrchr(dir, '/');
			if (slash != NULL && slash != dir)
				*slash = '\0';
			if (slash != NULL && !is_dir(dir))
				ecg_buf_printf(out, "%s:%u: warning: task [%s]: the directory of its log "
				    "file, %s, does not exist (the task cannot start, 127, unless it is "
				    "made by then)\n", g->file, key_line_of(g, t, K_LOG), t->name, dir);
			free(dir);
		}
		if (t->command != NULL && ecg_command_plain(t->command) &&
		    ecg_command_split(t->command, &words) > 0) {
			/* A relative path with a slash is the task's directory's. */
			if (strchr(words[0], '/') != NULL && words[0][0] != '/' && t->cwd_path != NULL)
				ecg_buf_printf(&rel, "%s/%s", t->cwd_path, words[0]);
			if (ecg_spawn_which_in(rel.len > 0 ? rel.p : words[0], task_path(t), found,
			    sizeof(found)) < 0)
				ecg_buf_printf(out, "%s:%u: warning: task [%s]: %s %s (it fails with "
				    "127 unless it is there by then)\n", g->file,
				    key_line_of(g, t, K_COMMAND), t->name, words[0],
				    strchr(words[0], '/') != NULL ? "is not an executable file" :
				    "is not found in its PATH");
			ecg_buf_reset(&rel);
			free(words);
		}
	}
	ecg_buf_free(&rel);
}
