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

#include "config/command.h"
#include "config/deps.h"
#include "config/ere.h"
#include "config/inilex.h"
#include "sys/netprobe.h"
#include "sys/spawn.h"
#include "base/strmap.h"
#include "config/value.h"

enum key {
	K_COMMAND, K_CWD, K_ENV, K_STOP_SIGNAL, K_STOP_TIMEOUT, K_CANCEL_ON,
	K_READY, K_READY_TIMEOUT, K_AFTER, K_SIDECAR,
	K_RESTART, K_MAX_RESTARTS, K_RESTART_DELAY, K_RESTART_DELAY_MAX, K_TIMEOUT, K_FORWARD,
	K_LOG, K_LOG_MAX_SIZE, K_LOG_KEEP,
	K_NAME, K_SHELL, K_BUFFER, K_MAX_PARALLEL, K_DEADLINE, K_COUNT
};

enum { ANYWHERE, GROUP_ONLY, TASK_ONLY };

static const struct {
	const char *name;
	int where;
	int repeatable;
} keys[K_COUNT] = {
	[K_COMMAND] = { "command", ANYWHERE, 0 },
	[K_CWD] = { "cwd", ANYWHERE, 0 },
	[K_ENV] = { "env", ANYWHERE, 1 },
	[K_STOP_SIGNAL] = { "stop_signal", ANYWHERE, 0 },
	[K_STOP_TIMEOUT] = { "stop_timeout", ANYWHERE, 0 },
	[K_CANCEL_ON] = { "cancel_on", ANYWHERE, 0 },
	[K_READY] = { "ready", ANYWHERE, 0 },
	[K_READY_TIMEOUT] = { "ready_timeout", ANYWHERE, 0 },
	[K_AFTER] = { "after", TASK_ONLY, 0 },
	[K_SIDECAR] = { "sidecar", TASK_ONLY, 0 },
	[K_RESTART] = { "restart", ANYWHERE, 0 },
	[K_MAX_RESTARTS] = { "max_restarts", ANYWHERE, 0 },
	[K_RESTART_DELAY] = { "restart_delay", ANYWHERE, 0 },
	[K_RESTART_DELAY_MAX] = { "restart_delay_max", ANYWHERE, 0 },
	[K_TIMEOUT] = { "timeout", ANYWHERE, 0 },
	[K_FORWARD] = { "forward", ANYWHERE, 0 },
	[K_LOG] = { "log", ANYWHERE, 0 },
	[K_LOG_MAX_SIZE] = { "log_max_size", ANYWHERE, 0 },
	[K_LOG_KEEP] = { "log_keep", ANYWHERE, 0 },
	[K_NAME] = { "name", GROUP_ONLY, 0 },
	[K_SHELL] = { "shell", GROUP_ONLY, 0 },
	[K_BUFFER] = { "buffer", GROUP_ONLY, 0 },
	[K_MAX_PARALLEL] = { "max_parallel", GROUP_ONLY, 0 },
	[K_DEADLINE] = { "deadline", GROUP_ONLY, 0 },
};

_Static_assert(K_COUNT <= ECG_CONFIG_KEYS, "ECG_CONFIG_KEYS must have room for every key");
_Static_assert(K_COUNT <= sizeof(unsigned) * CHAR_BIT, "a key's bit must fit in 'set'");

#define GROUP_SECTION "group"
#define DEFAULT_SHELL "/bin/sh"
#define DEFAULT_BUFFER ((size_t)64 * 1024)
#define BUFFER_MIN ((size_t)1024)
#define BUFFER_MAX ((size_t)64 * 1024 * 1024)
#define LOG_MAX_SIZE_MIN ((size_t)1024)
#define LOG_MAX_SIZE_MAX ((size_t)1024 * 1024 * 1024 * 1024)
#define DEFAULT_LOG_KEEP 3
#define LOG_KEEP_MAX 1000
#define DEFAULT_STOP_TIMEOUT_MS 10000
#define DEFAULT_MAX_RESTARTS 3
#define DEFAULT_RESTART_DELAY_MS 1000
#define DEFAULT_RESTART_DELAY_MAX_MS 30000

/* Whether a key was given in a section. */
static int
has(const struct ecg_task_spec *t, enum key k)
{
	return (t->set & (1u << k)) != 0;
}

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
};

static void
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

static char *
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

/* A byte a task or group name may hold. */
static int
name_byte(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

static int
valid_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!name_byte((unsigned char)*s))
			return 0;
	return n >= 1 && n <= ECG_CONFIG_NAME_MAX;
}

static void
end_section(struct loader *L)
{
	if (L->section != -2 && L->section_keys == 0)
		failf(L, L->section_line, "empty section [%s] (a task needs a command)",
		    current(L)->name);
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
	if (!valid_name(name)) {
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
	L->section = (int)g->ntasks++;
	if (ecg_strmap_put(&L->names, (size_t)L->section) < 0)
		failf(L, L->lx.line, "out of memory");
}

static int
find_key(const char *name)
{
	int k;

	for (k = 0; k < K_COUNT; k++)
		if (strcmp(keys[k].name, name) == 0)
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
		ecg_suggest_offer(&sg, keys[k].name);
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
		    keys[L->key].name, ECG_CONFIG_VALUE_MAX);
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
resolve_path(struct loader *L, const char *p)
{
	char *out, *real;

	if (p[0] == '/')
		out = strdup(p);
	else if (asprintf(&out, "%s/%s", L->g->dir, p) < 0)
		out = NULL;
	if (out == NULL) {
		failf(L, L->lx.line, "out of memory");
		return NULL;
	}
	/* A directory that exists now is shown without "." and ".." in it. */
	real = realpath(out, NULL);
	if (real == NULL)
		return out;
	free(out);
	return real;
}

static int
valid_env(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return *p == '=';
}

/* An env list's key: the name before '='. */
static const char *
env_key(void *arg, size_t idx, size_t *len)
{
	struct loader *L = arg;
	const char *v = (*L->env_list)[idx];

	*len = strcspn(v, "=");
	return v;
}

/* The env list that env_push adds to from now on (its names indexed afresh). */
static int
env_begin(struct loader *L, char ***env, size_t n)
{
	size_t i;

	ecg_strmap_free(&L->env);
	ecg_strmap_init(&L->env, env_key, L);
	L->env_list = env;
	for (i = 0; i < n; i++)
		if (ecg_strmap_put(&L->env, i) < 0)
			return -ENOMEM;
	return 0;
}

/*
 * Adds NAME=VALUE to the list env_begin named; a name already there gets
 * the new value in its place.  The names are indexed, so that a list of
 * 100,000 lines is built in linear time.
 */
static int
env_push(struct loader *L, char ***env, size_t *n, const char *var)
{
	size_t namelen = strcspn(var, "=");
	char *copy, **p;
	long at;

	if (L->env_list != env && env_begin(L, env, *n) < 0)
		return -ENOMEM;
	if ((copy = strdup(var)) == NULL)
		return -ENOMEM;
	at = ecg_strmap_get(&L->env, var, namelen);
	if (at >= 0 && *env != NULL) {
		free((*env)[at]);
		(*env)[at] = copy;
		return 0;
	}
	/* Room doubles: the list is full when n is zero or a power of two. */
	if (*env == NULL || (*n & (*n - 1)) == 0) {
		p = realloc(*env, (*n != 0 ? 2 * *n : 1) * sizeof(*p));
		if (p == NULL) {
			free(copy);
			return -ENOMEM;
		}
		*env = p;
	}
	(*env)[*n] = copy;
	if (ecg_strmap_put(&L->env, (*n)++) < 0)
		return -ENOMEM;
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

/*
 * Signals that cannot end a task: the job-control stops (ecg-run sends
 * SIGCONT after the stop signal, which would undo them) and SIGCONT.
 */
static const char *
not_a_stop_signal(int sig)
{
	switch (sig) {
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return "it pauses a process instead of ending it (and SIGCONT follows it)";
	case SIGCONT:
		return "it does not end a process";
	default:
		return NULL;
	}
}

static void
free_ready(struct ecg_ready_spec *r)
{
	ecg_ere_free(r->re);
	free(r->check);
	free(r->net);
	memset(r, 0, sizeof(*r));
}

/* The check's word, and where its argument starts (NULL if none). */
static const char *
ready_word(const char *v, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(v, word, n) != 0)
		return NULL;
	if (v[n] == '\0')
		return v + n;
	if (v[n] != ' ' && v[n] != '\t')
		return NULL;
	for (v += n; *v == ' ' || *v == '\t'; v++)
		;
	return v;
}

/*
 * ready = CHECK: parsed (and an ERE compiled, an address checked) at load,
 * so that a bad check is an error of the file, not of the run.
 */
static int
parse_ready(struct loader *L, unsigned line, const char *v, struct ecg_ready_spec *r)
{
	static const char *const plain[] = { "started", "exited", "notify" };
	static const enum ecg_ready_kind plain_kind[] = {
		ECG_READY_STARTED, ECG_READY_EXITED, ECG_READY_NOTIFY,
	};
	const char *arg, *why = NULL;
	char msg[256], *end;
	long n;
	size_t i;
	int rc;

	free_ready(r);
	r->check = xstrdup(L, v);
	if (r->check == NULL)
		return -1;
	for (i = 0; i < 3; i++)
		if (strcmp(v, plain[i]) == 0) {
			r->kind = plain_kind[i];
			r->arg = r->check + strlen(v);
			return 0;
		}
	if ((arg = ready_word(v, "line")) != NULL)
		r->kind = ECG_READY_LINE;
	else if ((arg = ready_word(v, "tcp")) != NULL)
		r->kind = ECG_READY_TCP;
	else if ((arg = ready_word(v, "http")) != NULL)
		r->kind = ECG_READY_HTTP;
	else if ((arg = ready_word(v, "command")) != NULL)
		r->kind = ECG_READY_COMMAND;
	else if ((arg = ready_word(v, "fd")) != NULL)
		r->kind = ECG_READY_FD;
	else {
		failf(L, line, "ready '%s': use started, exited, line ERE, tcp HOST:PORT, http URL, "
		    "command CMD, fd N or notify", v);
		return -1;
	}
	r->arg = r->check + (arg - v);
	if (*arg == '\0') {
		failf(L, line, "ready '%s': says what to check after '%.*s'", v,
		    (int)strcspn(v, " \t"), v);
		return -1;
	}
	switch (r->kind) {
	case ECG_READY_LINE:
		rc = ecg_ere_compile(r->arg, &r->re, msg, sizeof(msg));
		if (rc < 0) {
			failf(L, line, "ready '%s': %s%s", v,
			    rc == -EINVAL ? "bad regular expression: " : "", msg);
			return -1;
		}
		break;
	case ECG_READY_TCP:
	case ECG_READY_HTTP:
		r->net = calloc(1, sizeof(*r->net));
		if (r->net == NULL) {
			failf(L, line, "out of memory");
			return -1;
		}
		if (ecg_netprobe_parse(r->kind == ECG_READY_TCP ? ECG_NETPROBE_TCP :
		    ECG_NETPROBE_HTTP, r->arg, r->net, &why) < 0) {
			failf(L, line, "ready '%s': %s", v, why);
			return -1;
		}
		break;
	case ECG_READY_FD:
		errno = 0;
		n = strtol(r->arg, &end, 10);
		if (errno != 0 || *end != '\0' || end == r->arg || n < 3 || n > ECG_CONFIG_FD_MAX) {
			failf(L, line, "ready '%s': fd takes a descriptor number from 3 to %d", v,
			    ECG_CONFIG_FD_MAX);
			return -1;
		}
		r->fd = (int)n;
		break;
	default:
		break;
	}
	return 0;
}

static const struct {
	const char *name;
	int sig;
	unsigned bit;
} forwardable[] = {
	{ "HUP", SIGHUP, ECG_FORWARD_HUP },
	{ "USR1", SIGUSR1, ECG_FORWARD_USR1 },
	{ "USR2", SIGUSR2, ECG_FORWARD_USR2 },
	{ "WINCH", SIGWINCH, ECG_FORWARD_WINCH },
};
#define NFORWARDABLE (sizeof(forwardable) / sizeof(forwardable[0]))

unsigned
ecg_config_forward_bit(int sig)
{
	size_t i;

	for (i = 0; i < NFORWARDABLE; i++)
		if (forwardable[i].sig == sig)
			return forwardable[i].bit;
	return 0;
}

void
ecg_config_forward_text(unsigned forward, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < NFORWARDABLE && off < len; i++)
		if (forward & forwardable[i].bit)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off > 0 ? " " : "",
			    forwardable[i].name);
	if (off == 0)
		snprintf(buf, len, "none");
}

/* forward = SIGNALS: from HUP, USR1, USR2, WINCH (SIG prefix and case free), or none. */
static void
parse_forward(struct loader *L, unsigned line, const char *v, unsigned *out)
{
	const char *p = v, *q;
	unsigned bits = 0;
	char word[16];
	size_t i, n;

	if (strcmp(v, "none") == 0) {
		*out = 0;
		return;
	}
	while (*p != '\0') {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ',' && *q != ' ' && *q != '\t'; q++)
			;
		n = (size_t)(q - p);
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		memcpy(word, p, n);
		word[n] = '\0';
		for (i = 0; i < NFORWARDABLE; i++)
			if (strcasecmp(word, forwardable[i].name) == 0 ||
			    (strncasecmp(word, "SIG", 3) == 0 &&
			    strcasecmp(word + 3, forwardable[i].name) == 0))
				break;
		if (i == NFORWARDABLE) {
			failf(L, line, "forward '%s': '%s' cannot be forwarded (use HUP, USR1, USR2, "
			    "WINCH, or none)", v, word);
			return;
		}
		bits |= forwardable[i].bit;
		p = q;
	}
	*out = bits;
}

/* after = NAME[, NAME]...: names split at commas and blanks, checked once all tasks are read. */
static void
parse_after(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t)
{
	const char *p = v, *q;
	char **names;

	while (*p != '\0' && !L->failed) {
		while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ',' && *q != ' ' && *q != '\t' && *q != '\n'; q++)
			;
		names = realloc(t->after_names, (t->nafter_names + 1) * sizeof(*names));
		if (names == NULL) {
			failf(L, line, "out of memory");
			return;
		}
		t->after_names = names;
		names[t->nafter_names] = strndup(p, (size_t)(q - p));
		if (names[t->nafter_names] == NULL) {
			failf(L, line, "out of memory");
			return;
		}
		t->nafter_names++;
		p = q;
	}
	if (!L->failed && t->nafter_names == 0)
		failf(L, line, "after '%s': name the tasks this one starts after", v);
}

/*
 * A log file pattern with its task's name put in: %n is the name, %% a
 * '%'.  NULL with *why for any other '%' (or out of memory, *why NULL).
 */
static char *
expand_log(const char *pattern, const char *name, const char **why)
{
	size_t n = 0, cap = strlen(pattern) + 1;
	const char *p;
	char *out, *grown;

	*why = NULL;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	for (p = pattern; *p != '\0'; p++) {
		const char *put = p;
		size_t len = 1;
		if (*p == '%') {
			p++;
			if (*p == 'n') {
				put = name;
				len = strlen(name);
			} else if (*p != '%') {
				*why = *p == '\0' ? "a lone '%' at the end (write %% for a '%')" :
				    "only %n (the task's name) and %% may follow a '%'";
				free(out);
				return NULL;
			}
		}
		if (n + len + 1 > cap) {
			cap = (n + len + 1) * 2;
			if ((grown = realloc(out, cap)) == NULL) {
				free(out);
				return NULL;
			}
			out = grown;
		}
		memcpy(out + n, put, len);
		n += len;
	}
	out[n] = '\0';
	return out;
}

/* A path whose last part cannot be a file's name: "", "." or "..". */
static int
not_a_file(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	return base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0;
}

/* log = PATH | none: checked now, put together for each task once all are read. */
static void
parse_log(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t)
{
	const char *why;
	char *probe;

	free(t->log);
	t->log = NULL;
	if (strcmp(v, "none") == 0)
		return;
	if (strchr(v, '\n') != NULL) {
		failf(L, line, "log: a file name on one line");
		return;
	}
	/* A byte no name holds shows where %n stands. */
	if ((probe = expand_log(v, "\001", &why)) == NULL) {
		if (why != NULL)
			failf(L, line, "log '%s': %s", v, why);
		else
			failf(L, line, "out of memory");
		return;
	}
	if (t == &L->g->defaults && strchr(probe, '\001') == NULL)
		failf(L, line, "log '%s' in [group] must contain %%n, the task's name: each task "
		    "writes a file of its own", v);
	else if (not_a_file(probe))
		failf(L, line, "log '%s' names a directory: give the file's name", v);
	else
		t->log = xstrdup(L, v);
	free(probe);
}

/* One of a key's words and what it stands for. */
struct word {
	const char *text;	/* NULL ends a list */
	int value;
};

/* The value of the word v in words into *out (unchanged if none): 0, or -1. */
static int
pick_word(const char *v, const struct word *words, int *out)
{
	for (; words->text != NULL; words++)
		if (strcmp(v, words->text) == 0) {
			*out = words->value;
			return 0;
		}
	return -1;
}

/* A duration or count value of key: stored, or the reason given as "KEY 'V': why". */
static void
set_duration(struct loader *L, unsigned line, int key, const char *v, long *out)
{
	const char *why = NULL;

	if (ecg_value_duration(v, out, &why) < 0)
		failf(L, line, "%s '%s': %s", keys[key].name, v, why);
}

static void
set_count(struct loader *L, unsigned line, int key, const char *v, long *out)
{
	const char *why = NULL;

	if (ecg_value_count(v, ECG_CONFIG_COUNT_MAX, out, &why) < 0)
		failf(L, line, "%s '%s': %s", keys[key].name, v, why);
}

/* The value of the open key is complete: check it and store it. */
static void
finish_key(struct loader *L)
{
	struct ecg_group_spec *g = L->g;
	struct ecg_task_spec *t;
	const char *v = L->val ? L->val : "", *why = NULL;
	unsigned line = L->key_line;
	int key = L->key, n;

	if (key < 0 || L->failed)
		return;
	L->key = -1;
	t = current(L);
	if (L->val != NULL) {
		dedent(L->val);
		L->vlen = strlen(L->val);
	}
	if (L->vlen > ECG_CONFIG_VALUE_MAX) {
		failf(L, line, "value of '%s' too long: %zu bytes (at most %d)", keys[key].name,
		    L->vlen, ECG_CONFIG_VALUE_MAX);
		return;
	}
	if (*v == '\0' && key != K_ENV) {
		failf(L, line, "empty value for '%s'", keys[key].name);
		return;
	}
	switch (key) {
	case K_COMMAND:
		t->command = xstrdup(L, v);
		break;
	case K_CWD:
		t->cwd = xstrdup(L, v);
		t->cwd_path = resolve_path(L, v);
		break;
	case K_ENV:
		/* The value may be a secret: a message names the variable only. */
		if (!valid_env(v) && strchr(v, '=') == NULL)
			failf(L, line, "env needs NAME=VALUE with NAME of A-Z a-z 0-9 _ (this line "
			    "has no '=')");
		else if (!valid_env(v))
			failf(L, line, "env needs NAME=VALUE with NAME of A-Z a-z 0-9 _ (not starting "
			    "with a digit), not '%.*s'", (int)strcspn(v, "="), v);
		else if (strncmp(v, "ECG_RUN_TASK=", 13) == 0 || strncmp(v, "ECG_RUN_GROUP=", 14) == 0 ||
		    strncmp(v, "ECG_RUN_ID=", 11) == 0)
			failf(L, line, "env cannot set %.*s: ecg-run sets it", (int)strcspn(v, "="), v);
		else if (env_push(L, &t->env, &t->nenv, v) < 0)
			failf(L, line, "out of memory");
		break;
	case K_STOP_SIGNAL:
		if (ecg_value_signal(v, &t->stop_signal, &why) < 0 ||
		    (why = not_a_stop_signal(t->stop_signal)) != NULL)
			failf(L, line, "stop_signal '%s': %s", v, why);
		break;
	case K_STOP_TIMEOUT:
		set_duration(L, line, key, v, &t->stop_timeout_ms);
		break;
	case K_CANCEL_ON: {
		static const struct word w[] = { { "failure", ECG_CANCEL_ON_FAILURE },
			{ "exit", ECG_CANCEL_ON_EXIT }, { "never", ECG_CANCEL_ON_NEVER }, { NULL, 0 } };
		n = (int)t->cancel_on;
		if (pick_word(v, w, &n) < 0)
			failf(L, line, "cancel_on '%s': use failure, exit or never", v);
		t->cancel_on = (enum ecg_cancel_on)n;
		break;
	}
	case K_READY:
		parse_ready(L, line, v, &t->ready);
		break;
	case K_READY_TIMEOUT:
		set_duration(L, line, key, v, &t->ready_timeout_ms);
		break;
	case K_AFTER:
		parse_after(L, line, v, t);
		break;
	case K_SIDECAR: {
		static const struct word w[] = { { "yes", 1 }, { "true", 1 }, { "no", 0 },
			{ "false", 0 }, { NULL, 0 } };
		if (pick_word(v, w, &t->sidecar) < 0)
			failf(L, line, "sidecar '%s': use yes or no", v);
		break;
	}
	case K_RESTART: {
		static const struct word w[] = { { "no", ECG_RESTART_NO },
			{ "on-failure", ECG_RESTART_ON_FAILURE }, { "always", ECG_RESTART_ALWAYS },
			{ NULL, 0 } };
		n = (int)t->restart;
		if (pick_word(v, w, &n) < 0)
			failf(L, line, "restart '%s': use no, on-failure or always", v);
		t->restart = (enum ecg_restart)n;
		break;
	}
	case K_MAX_RESTARTS:
		set_count(L, line, key, v, &t->max_restarts);
		break;
	case K_RESTART_DELAY:
		set_duration(L, line, key, v, &t->restart_delay_ms);
		break;
	case K_RESTART_DELAY_MAX:
		set_duration(L, line, key, v, &t->restart_delay_max_ms);
		break;
	case K_TIMEOUT:
		set_duration(L, line, key, v, &t->timeout_ms);
		break;
	case K_FORWARD:
		parse_forward(L, line, v, &t->forward);
		break;
	case K_LOG:
		parse_log(L, line, v, t);
		break;
	case K_LOG_MAX_SIZE:
		if (strcmp(v, "none") == 0)
			t->log_max_size = 0;
		else if (ecg_value_size(v, LOG_MAX_SIZE_MIN, LOG_MAX_SIZE_MAX, &t->log_max_size,
		    &why) < 0)
			failf(L, line, "log_max_size '%s': %s", v, why);
		break;
	case K_LOG_KEEP:
		set_count(L, line, key, v, &t->log_keep);
		if (!L->failed && t->log_keep > LOG_KEEP_MAX)
			failf(L, line, "log_keep '%s': at most %d old files", v, LOG_KEEP_MAX);
		break;
	case K_MAX_PARALLEL:
		set_count(L, line, key, v, &g->max_parallel);
		break;
	case K_DEADLINE:
		set_duration(L, line, key, v, &g->deadline_ms);
		break;
	case K_NAME:
		if (!valid_name(v))
			failf(L, line, "bad group name '%s' (1 to %d characters of A-Z a-z 0-9 _ . -)",
			    v, ECG_CONFIG_NAME_MAX);
		else {
			free(g->name);
			g->name = xstrdup(L, v);
		}
		break;
	case K_SHELL:
		free(g->shell);
		g->shell = xstrdup(L, v);
		break;
	case K_BUFFER:
		if (ecg_value_size(v, BUFFER_MIN, BUFFER_MAX, &g->buffer, &why) < 0)
			failf(L, line, "buffer '%s': %s", v, why);
		break;
	}
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
	if (keys[k].where == GROUP_ONLY && L->section != -1) {
		failf(L, L->lx.line, "'%s' is a [group] key, not a task key (task [%s])",
		    name, t->name);
		return;
	}
	if (keys[k].where == TASK_ONLY && L->section == -1) {
		failf(L, L->lx.line, "'%s' is a task key, not a [group] key: each task says it",
		    name);
		return;
	}
	if (!keys[k].repeatable && has(t, (enum key)k)) {
		failf(L, L->lx.line, "'%s' given twice in [%s] (first on line %u)", name,
		    L->section == -1 ? GROUP_SECTION : t->name, t->key_line[k]);
		return;
	}
	t->set |= 1u << k;
	t->key_line[k] = L->lx.line;
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

static void
apply_defaults(struct loader *L, struct ecg_task_spec *t)
{
	struct ecg_task_spec *d = &L->g->defaults;
	char **own = t->env;
	size_t nown = t->nenv, i;

	if (!has(t, K_COMMAND) && d->command != NULL)
		t->command = xstrdup(L, d->command);
	if (!has(t, K_CWD) && d->cwd != NULL) {
		t->cwd = xstrdup(L, d->cwd);
		t->cwd_path = xstrdup(L, d->cwd_path);
	}
	if (!has(t, K_STOP_SIGNAL))
		t->stop_signal = has(d, K_STOP_SIGNAL) ? d->stop_signal : SIGTERM;
	if (!has(t, K_STOP_TIMEOUT))
		t->stop_timeout_ms = has(d, K_STOP_TIMEOUT) ? d->stop_timeout_ms :
		    DEFAULT_STOP_TIMEOUT_MS;
	if (!has(t, K_CANCEL_ON))
		t->cancel_on = has(d, K_CANCEL_ON) ? d->cancel_on : ECG_CANCEL_ON_FAILURE;
	else if (t->sidecar)
		failf(L, t->key_line[K_CANCEL_ON], "task [%s] is a sidecar: its end never stops "
		    "the group, so it takes no cancel_on", t->name);
	/* A sidecar serves the others: its end never counts. */
	if (t->sidecar)
		t->cancel_on = ECG_CANCEL_ON_NEVER;
	if (!has(t, K_RESTART))
		t->restart = has(d, K_RESTART) ? d->restart : ECG_RESTART_NO;
	if (!has(t, K_MAX_RESTARTS))
		t->max_restarts = has(d, K_MAX_RESTARTS) ? d->max_restarts : DEFAULT_MAX_RESTARTS;
	if (!has(t, K_RESTART_DELAY))
		t->restart_delay_ms = has(d, K_RESTART_DELAY) ? d->restart_delay_ms :
		    DEFAULT_RESTART_DELAY_MS;
	if (!has(t, K_RESTART_DELAY_MAX))
		t->restart_delay_max_ms = has(d, K_RESTART_DELAY_MAX) ? d->restart_delay_max_ms :
		    DEFAULT_RESTART_DELAY_MAX_MS;
	if (!has(t, K_TIMEOUT))
		t->timeout_ms = has(d, K_TIMEOUT) ? d->timeout_ms : 0;
	if (!has(t, K_FORWARD))
		t->forward = has(d, K_FORWARD) ? d->forward : ECG_FORWARD_DEFAULT;
	if (!has(t, K_LOG) && d->log != NULL)
		t->log = xstrdup(L, d->log);
	if (!has(t, K_LOG_MAX_SIZE))
		t->log_max_size = has(d, K_LOG_MAX_SIZE) ? d->log_max_size : 0;
	if (!has(t, K_LOG_KEEP))
		t->log_keep = has(d, K_LOG_KEEP) ? d->log_keep : DEFAULT_LOG_KEEP;
	if (!has(t, K_READY) && has(d, K_READY))
		parse_ready(L, d->key_line[K_READY], d->ready.check, &t->ready);
	if (has(t, K_READY_TIMEOUT))
		;
	else if (has(d, K_READY_TIMEOUT))
		t->ready_timeout_ms = d->ready_timeout_ms;
	else
		/* A one-shot task takes as long as it takes. */
		t->ready_timeout_ms = t->ready.kind == ECG_READY_STARTED ||
		    t->ready.kind == ECG_READY_EXITED ? 0 : ECG_CONFIG_READY_TIMEOUT_MS;
	/* The group's variables first, so that the task's own win. */
	t->env = NULL;
	t->nenv = 0;
	L->env_list = NULL;	/* a new list at the same place: index it afresh */
	for (i = 0; i < d->nenv && !L->failed; i++)
		if (env_push(L, &t->env, &t->nenv, d->env[i]) < 0)
			failf(L, t->line, "out of memory");
	for (i = 0; i < nown; i++) {
		if (!L->failed && env_push(L, &t->env, &t->nenv, own[i]) < 0)
			failf(L, t->line, "out of memory");
		free(own[i]);
	}
	free(own);
	L->env_list = NULL;
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
		if (name_byte((unsigned char)*p))
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
static void
resolve_after(struct loader *L, struct ecg_task_spec *t)
{
	struct ecg_group_spec *g = L->g;
	unsigned line = t->key_line[K_AFTER];
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
		idx = task_index(L, name);
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
static void
resolve_log(struct loader *L, size_t i)
{
	struct ecg_group_spec *g = L->g;
	struct ecg_task_spec *t = &g->tasks[i];
	unsigned line = has(t, K_LOG) ? t->key_line[K_LOG] : g->defaults.key_line[K_LOG];
	struct ecg_buf old = ECG_BUF_INIT;
	const struct ecg_task_spec *o;
	const char *why, *dot;
	struct stat st;
	char *name;
	long n;

	if (t->log == NULL) {
		if (has(t, K_LOG_MAX_SIZE) || has(t, K_LOG_KEEP))
			failf(L, t->key_line[has(t, K_LOG_MAX_SIZE) ? K_LOG_MAX_SIZE : K_LOG_KEEP],
			    "task [%s] has no log file for %s (set log = PATH)", t->name,
			    has(t, K_LOG_MAX_SIZE) ? "log_max_size" : "log_keep");
		return;
	}
	if (has(t, K_LOG_KEEP) && t->log_max_size == 0) {
		failf(L, t->key_line[K_LOG_KEEP], "log_keep in [%s] keeps files that log_max_size "
		    "makes: set it too", t->name);
		return;
	}
	if ((name = expand_log(t->log, t->name, &why)) == NULL) {
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
static size_t **
after_lists(const struct ecg_group_spec *g, size_t **nafter)
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
static void
refuse_cycles(struct loader *L)
{
	struct ecg_group_spec *g = L->g;
	size_t **after, *nafter, *cycle, i;
	struct ecg_buf msg = ECG_BUF_INIT;
	long k;

	after = after_lists(g, &nafter);
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
	failf(L, g->tasks[cycle[0]].key_line[K_AFTER], "tasks after one another in a cycle: %s",
	    ecg_buf_failed(&msg) ? "(out of memory)" : ecg_buf_str(&msg));
	ecg_buf_free(&msg);
out:
	free(after);
	free(nafter);
	free(cycle);
}

static int
only_sidecars(const struct ecg_group_spec *g)
{
	size_t i;

	for (i = 0; i < g->ntasks; i++)
		if (!g->tasks[i].sidecar)
			return 0;
	return g->ntasks > 0;
}

#define ONLY_SIDECARS "every task is a sidecar: there is nothing for them to serve " \
	"(a group needs a task that is not one)"

int
ecg_config_load(struct ecg_group_spec *g, const char *path, struct ecg_buf *err)
{
	struct loader L;
	char shellpath[PATH_MAX], *text;
	size_t len, i;

	memset(g, 0, sizeof(*g));
	memset(&L, 0, sizeof(L));
	L.g = g;
	L.err = err;
	ecg_strmap_init(&L.names, name_key, &L);
	ecg_strmap_init(&L.logs, log_key, &L);
	ecg_strmap_init(&L.env, env_key, &L);
	L.section = -2;
	L.key = -1;
	g->buffer = DEFAULT_BUFFER;
	g->file = strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	g->dir = file_dir(path);
	g->name = strcmp(path, "-") == 0 ? strdup("stdin") : default_name(path);
	g->defaults.name = strdup(GROUP_SECTION);
	if (g->file == NULL || g->dir == NULL || g->name == NULL || g->defaults.name == NULL) {
		ecg_buf_printf(err, "out of memory");
		return -1;
	}
	if (read_all(&L, path, &text, &len) < 0)
		return -1;
	ecg_inilex_init(&L.lx, text, len);
	ini_parse_stream(ecg_inilex_reader, &L.lx, handler, &L);
	if (L.lx.error != NULL && !L.failed)
		failf(&L, L.lx.error_line, "%s", L.lx.error);
	finish_key(&L);
	end_section(&L);
	if (!L.failed && g->ntasks == 0)
		failf(&L, L.lx.line ? L.lx.line : 1, "no task defined (add a [name] section with a command)");
	for (i = 0; i < g->ntasks && !L.failed; i++) {
		apply_defaults(&L, &g->tasks[i]);
		if (!L.failed && g->tasks[i].command == NULL)
			failf(&L, g->tasks[i].line, "task [%s] has no command", g->tasks[i].name);
	}
	for (i = 0; i < g->ntasks && !L.failed; i++)
		resolve_after(&L, &g->tasks[i]);
	for (i = 0; i < g->ntasks && !L.failed; i++)
		resolve_log(&L, i);
	if (!L.failed)
		refuse_cycles(&L);
	if (!L.failed && only_sidecars(g))
		failf(&L, g->tasks[0].key_line[K_SIDECAR], ONLY_SIDECARS);
	g->stop_signal = has(&g->defaults, K_STOP_SIGNAL) ? g->defaults.stop_signal : SIGTERM;
	g->stop_timeout_ms = has(&g->defaults, K_STOP_TIMEOUT) ? g->defaults.stop_timeout_ms :
	    DEFAULT_STOP_TIMEOUT_MS;
	if (!L.failed && g->shell == NULL)
		g->shell = xstrdup(&L, DEFAULT_SHELL);
	if (!L.failed && ecg_spawn_which(g->shell, shellpath, sizeof(shellpath)) < 0)
		failf(&L, g->defaults.key_line[K_SHELL] ? g->defaults.key_line[K_SHELL] : 1,
		    "shell '%s' is not an executable file", g->shell);
	free(L.val);
	ecg_inilex_destroy(&L.lx);
	ecg_strmap_free(&L.names);
	ecg_strmap_free(&L.logs);
	ecg_strmap_free(&L.env);
	return L.failed ? -1 : 0;
}

static void
free_task(struct ecg_task_spec *t)
{
	size_t i;

	free(t->name);
	free(t->command);
	free(t->cwd);
	free(t->cwd_path);
	free(t->log);
	free(t->log_path);
	for (i = 0; i < t->nenv; i++)
		free(t->env[i]);
	free(t->env);
	free_ready(&t->ready);
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
		free_task(&g->tasks[i]);
	free_task(&g->defaults);
	free(g->tasks);
	free(g->file);
	free(g->dir);
	free(g->name);
	free(g->shell);
	memset(g, 0, sizeof(*g));
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
		for (i = 0; i < g->ntasks && strcmp(names[j], g->tasks[i].name) != 0; i++)
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
	after = after_lists(g, &nafter);
	if (keep == NULL || renum == NULL || after == NULL) {
		ecg_buf_printf(err, "out of memory");
		goto out;
	}
	for (j = 0; j < n; j++)
		for (i = 0; i < g->ntasks; i++)
			if (strcmp(names[j], g->tasks[i].name) == 0)
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
			free_task(&g->tasks[i]);
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

const char *
ecg_config_ready_text(const struct ecg_task_spec *t)
{
	return t->ready.check != NULL ? t->ready.check : "started";
}

const char *
ecg_config_restart_name(enum ecg_restart r)
{
	switch (r) {
	case ECG_RESTART_ON_FAILURE:
		return "on-failure";
	case ECG_RESTART_ALWAYS:
		return "always";
	default:
		return "no";
	}
}

const char *
ecg_config_cancel_on_name(enum ecg_cancel_on c)
{
	switch (c) {
	case ECG_CANCEL_ON_EXIT:
		return "exit";
	case ECG_CANCEL_ON_NEVER:
		return "never";
	default:
		return "failure";
	}
}

/* A value with newlines comes out as continuation lines. */
static void
print_value(FILE *out, const char *key, const char *v)
{
	const char *nl;

	if (strchr(v, '\n') == NULL) {
		fprintf(out, "%s = %s\n", key, v);
		return;
	}
	fprintf(out, "%s =\n", key);
	for (; (nl = strchr(v, '\n')) != NULL; v = nl + 1)
		fprintf(out, nl > v ? "    %.*s\n" : "%.*s\n", (int)(nl - v), v);
	fprintf(out, "    %s\n", v);
}

/* log, with every '%' doubled so that it reads back as it is. */
static void
print_log(FILE *out, const struct ecg_task_spec *t)
{
	const char *p;
	char buf[64];

	fputs("log = ", out);
	for (p = t->log_path; *p != '\0'; p++) {
		if (*p == '%')
			fputc('%', out);
		fputc(*p, out);
	}
	fputc('\n', out);
	if (t->log_max_size == 0)
		return;
	ecg_value_format_size(t->log_max_size, buf, sizeof(buf));
	print_value(out, "log_max_size", buf);
	snprintf(buf, sizeof(buf), "%ld", t->log_keep);
	print_value(out, "log_keep", buf);
}

void
ecg_config_print(const struct ecg_group_spec *g, FILE *out)
{
	char buf[64], cwd[PATH_MAX];
	size_t i, j, **after, *nafter, *order;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), ".");
	after = after_lists(g, &nafter);
	order = calloc(g->ntasks ? g->ntasks : 1, sizeof(*order));
	/* Loaded groups have no cycle; without memory, the file's order. */
	if (after == NULL || order == NULL || ecg_deps_order(g->ntasks, after, nafter, order) < 0)
		for (i = 0; order != NULL && i < g->ntasks; i++)
			order[i] = i;
	fprintf(out, "; %s, resolved: %zu task%s, in the order they start\n[group]\n", g->file,
	    g->ntasks, g->ntasks == 1 ? "" : "s");
	print_value(out, "name", g->name);
	print_value(out, "shell", g->shell);
	ecg_value_format_size(g->buffer, buf, sizeof(buf));
	print_value(out, "buffer", buf);
	snprintf(buf, sizeof(buf), "%ld", g->max_parallel);
	print_value(out, "max_parallel", buf);
	ecg_value_format_duration(g->deadline_ms, buf, sizeof(buf));
	print_value(out, "deadline", buf);
	for (i = 0; i < g->ntasks; i++) {
		const struct ecg_task_spec *t = &g->tasks[order != NULL ? order[i] : i];
		fprintf(out, "\n[%s]\n", t->name);
		print_value(out, "command", t->command);
		print_value(out, "cwd", t->cwd_path ? t->cwd_path : cwd);
		for (j = 0; j < t->nenv; j++)
			print_value(out, "env", t->env[j]);
		print_value(out, "stop_signal", ecg_value_signame(t->stop_signal, buf, sizeof(buf)));
		ecg_value_format_duration(t->stop_timeout_ms, buf, sizeof(buf));
		print_value(out, "stop_timeout", buf);
		if (!t->sidecar)
			print_value(out, "cancel_on", ecg_config_cancel_on_name(t->cancel_on));
		if (t->nafter > 0) {
			fprintf(out, "after = ");
			for (j = 0; j < t->nafter; j++)
				fprintf(out, "%s%s", j > 0 ? ", " : "", g->tasks[t->after[j]].name);
			fputc('\n', out);
		}
		print_value(out, "ready", ecg_config_ready_text(t));
		ecg_value_format_duration(t->ready_timeout_ms, buf, sizeof(buf));
		print_value(out, "ready_timeout", buf);
		if (t->sidecar)
			print_value(out, "sidecar", "yes");
		print_value(out, "restart", ecg_config_restart_name(t->restart));
		snprintf(buf, sizeof(buf), "%ld", t->max_restarts);
		print_value(out, "max_restarts", buf);
		ecg_value_format_duration(t->restart_delay_ms, buf, sizeof(buf));
		print_value(out, "restart_delay", buf);
		ecg_value_format_duration(t->restart_delay_max_ms, buf, sizeof(buf));
		print_value(out, "restart_delay_max", buf);
		ecg_value_format_duration(t->timeout_ms, buf, sizeof(buf));
		print_value(out, "timeout", buf);
		ecg_config_forward_text(t->forward, buf, sizeof(buf));
		print_value(out, "forward", buf);
		if (t->log_path != NULL)
			print_log(out, t);
	}
	free(after);
	free(nafter);
	free(order);
}

/* The line of key k for t: its own, or the [group] default's. */
static unsigned
key_line_of(const struct ecg_group_spec *g, const struct ecg_task_spec *t, enum key k)
{
	return has(t, k) ? t->key_line[k] : g->defaults.key_line[k] ? g->defaults.key_line[k] :
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
