/*
 * keys: every key of the file, one entry each in ecg_keys: where it may
 * appear, how its value is read, what a task that does not give it gets
 * (from [group], or the default), and how --check prints it.  A new key is
 * one line of the table, plus its functions if its value is of no kind
 * the table knows.
 */
#define _GNU_SOURCE
#include "config/loader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config/dotenv.h"
#include "config/ere.h"
#include "config/value.h"
#include "sys/netprobe.h"
#include "sys/userdb.h"

#define BUFFER_MIN ((size_t)1024)
#define BUFFER_MAX ((size_t)64 * 1024 * 1024)
#define LOG_MAX_SIZE_MIN ((size_t)1024)
#define LOG_MAX_SIZE_MAX ((size_t)1024 * 1024 * 1024 * 1024)
#define LOG_KEEP_MAX 1000

_Static_assert(K_COUNT <= ECG_CONFIG_KEYS, "ECG_CONFIG_KEYS must have room for every key");
_Static_assert(K_COUNT <= 64, "a key's bit must fit in 'set'");

/* A byte a task or group name may hold. */
int
ecg_keys_name_byte(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

int
ecg_keys_valid_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!ecg_keys_name_byte((unsigned char)*s))
			return 0;
	return n >= 1 && n <= ECG_CONFIG_NAME_MAX;
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

void
ecg_keys_begin(struct loader *L)
{
	ecg_strmap_init(&L->env, env_key, L);
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

void
ecg_keys_free_ready(struct ecg_ready_spec *r)
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
static int parse_check(struct loader *L, unsigned line, const char *key, const char *v,
    struct ecg_ready_spec *r);

static int
parse_ready(struct loader *L, unsigned line, const char *v, struct ecg_ready_spec *r)
{
	return parse_check(L, line, "ready", v, r);
}

/*
 * health = CHECK: tcp, http and command as for ready, or watchdog D (the
 * task sends WATCHDOG=1 to its NOTIFY_SOCKET at least every D).
 */
static int
parse_health(struct loader *L, unsigned line, const char *v, struct ecg_ready_spec *r)
{
	const char *arg, *bad = NULL;

	ecg_keys_free_ready(r);
	if ((arg = ready_word(v, "watchdog")) != NULL) {
		if (ecg_value_duration(arg, &r->watchdog_ms, &bad) < 0 || r->watchdog_ms <= 0) {
			failf(L, line, "health '%s': watchdog takes a duration above 0 (30s)", v);
			return -1;
		}
		r->kind = ECG_READY_NOTIFY;
		r->check = xstrdup(L, v);
		r->arg = r->check != NULL ? r->check + (arg - v) : NULL;
		return r->check != NULL ? 0 : -1;
	}
	if (ready_word(v, "tcp") == NULL && ready_word(v, "http") == NULL &&
	    ready_word(v, "command") == NULL) {
		failf(L, line, "health '%s': use tcp HOST:PORT, http URL, command CMD or watchdog "
		    "DURATION", v);
		return -1;
	}
	return parse_check(L, line, "health", v, r);
}

static int
parse_check(struct loader *L, unsigned line, const char *key, const char *v,
    struct ecg_ready_spec *r)
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

	ecg_keys_free_ready(r);
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
		failf(L, line, "%s '%s': use started, exited, line ERE, tcp HOST:PORT, http URL, "
		    "command CMD, fd N or notify", key, v);
		return -1;
	}
	r->arg = r->check + (arg - v);
	if (*arg == '\0') {
		failf(L, line, "%s '%s': says what to check after '%.*s'", key, v,
		    (int)strcspn(v, " \t"), v);
		return -1;
	}
	switch (r->kind) {
	case ECG_READY_LINE:
		rc = ecg_ere_compile(r->arg, &r->re, msg, sizeof(msg));
		if (rc < 0) {
			failf(L, line, "%s '%s': %s%s", key, v,
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
			failf(L, line, "%s '%s': %s", key, v, why);
			return -1;
		}
		break;
	case ECG_READY_FD:
		errno = 0;
		n = strtol(r->arg, &end, 10);
		if (errno != 0 || *end != '\0' || end == r->arg || n < 3 || n > ECG_CONFIG_FD_MAX) {
			failf(L, line, "%s '%s': fd takes a descriptor number from 3 to %d", key, v,
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

/*
 * success_status = STATUS|SIGNAL...: exit statuses (0 to 255) and signals
 * (by name: TERM, SIGTERM) that count as a success, split at commas and
 * blanks.
 */
static void
parse_success(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t)
{
	const char *p = v, *q, *why = NULL;
	char word[32], *end;
	size_t n;
	long code;
	int sig;

	memset(t->success_exit, 0, sizeof(t->success_exit));
	t->success_signal = 0;
	while (*p != '\0') {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ',' && *q != ' ' && *q != '\t'; q++)
			;
		n = (size_t)(q - p) < sizeof(word) ? (size_t)(q - p) : sizeof(word) - 1;
		memcpy(word, p, n);
		word[n] = '\0';
		p = q;
		if (isdigit((unsigned char)word[0])) {
			errno = 0;
			code = strtol(word, &end, 10);
			if (errno != 0 || *end != '\0' || code < 0 || code > 255) {
				failf(L, line, "success_status '%s': '%s' is no exit status (0 to 255)", v,
				    word);
				return;
			}
			t->success_exit[code / 64] |= (uint64_t)1 << (code % 64);
			continue;
		}
		if (ecg_value_signal(word, &sig, &why) < 0 || sig > 64) {
			failf(L, line, "success_status '%s': '%s' is no signal (TERM, SIGHUP)", v, word);
			return;
		}
		t->success_signal |= (uint64_t)1 << (sig - 1);
	}
}

int
ecg_config_success(const struct ecg_task_spec *t, int killed, int n)
{
	if (killed)
		return n >= 1 && n <= 64 && (t->success_signal & ((uint64_t)1 << (n - 1))) != 0;
	return n == 0 || (n > 0 && n <= 255 && (t->success_exit[n / 64] & ((uint64_t)1 << (n % 64))));
}

void
ecg_config_success_text(const struct ecg_task_spec *t, char *buf, size_t len)
{
	size_t used = 0;
	char name[16];
	int n;

	buf[0] = '\0';
	for (n = 0; n <= 255 && used < len; n++)
		if (ecg_config_success(t, 0, n))
			used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? " " : "", n);
	for (n = 1; n <= 64 && used < len; n++)
		if (ecg_config_success(t, 1, n))
			used += (size_t)snprintf(buf + used, len - used, "%sSIG%s", used ? " " : "",
			    ecg_value_signame(n, name, sizeof(name)));
}

static const struct {
	const char *name;
	int resource;
	int bytes;		/* its value is a size */
} limits[ECG_LIMITS] = {
	[ECG_LIMIT_NOFILE] = { "limit_nofile", RLIMIT_NOFILE, 0 },
	[ECG_LIMIT_CORE] = { "limit_core", RLIMIT_CORE, 1 },
	[ECG_LIMIT_NPROC] = { "limit_nproc", RLIMIT_NPROC, 0 },
	[ECG_LIMIT_MEMLOCK] = { "limit_memlock", RLIMIT_MEMLOCK, 1 },
	[ECG_LIMIT_STACK] = { "limit_stack", RLIMIT_STACK, 1 },
	[ECG_LIMIT_AS] = { "limit_as", RLIMIT_AS, 1 },
};

const char *
ecg_config_limit_name(enum ecg_limit l)
{
	return (unsigned)l < ECG_LIMITS ? limits[l].name : "?";
}

int
ecg_config_limit_resource(enum ecg_limit l)
{
	return (unsigned)l < ECG_LIMITS ? limits[l].resource : -1;
}

/* One side of a limit: infinity, a number, or (bytes) a size.  0 or -1. */
static int
limit_value(const char *s, int bytes, unsigned long long *out)
{
	const char *why = NULL;
	char *end;
	size_t size;

	if (strcmp(s, "infinity") == 0) {
		*out = ECG_LIMIT_INFINITY;
		return 0;
	}
	if (bytes) {
		if (ecg_value_size(s, 0, (size_t)-1 / 2, &size, &why) < 0)
			return -1;
		*out = size;
		return 0;
	}
	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' && *out != ECG_LIMIT_INFINITY ? 0 : -1;
}

/* limit_X = SOFT[:HARD]: one value sets both. */
static void
parse_limit(struct loader *L, unsigned line, const char *v, enum ecg_limit l,
    struct ecg_limit_spec *out)
{
	char soft[64], *colon;
	const char *hard;

	if (strlen(v) >= sizeof(soft)) {
		failf(L, line, "%s '%s': too long", limits[l].name, v);
		return;
	}
	memcpy(soft, v, strlen(v) + 1);
	colon = strchr(soft, ':');
	hard = soft;
	if (colon != NULL) {
		*colon = '\0';
		hard = colon + 1;
	}
	if (limit_value(soft, limits[l].bytes, &out->soft) < 0 ||
	    limit_value(hard, limits[l].bytes, &out->hard) < 0) {
		failf(L, line, "%s '%s': use SOFT[:HARD], each %s or infinity", limits[l].name, v,
		    limits[l].bytes ? "a size (64M, 8MiB, 4096)" : "a number");
		return;
	}
	if (out->soft > out->hard) {
		failf(L, line, "%s '%s': the soft limit is above the hard one", limits[l].name, v);
		return;
	}
	out->set = 1;
}

static void
limit_text(unsigned long long n, int bytes, char *buf, size_t len)
{
	if (n == ECG_LIMIT_INFINITY)
		snprintf(buf, len, "infinity");
	else if (bytes && n > 0)
		ecg_value_format_size((size_t)n, buf, len);
	else
		snprintf(buf, len, "%llu", n);
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
char *
ecg_keys_expand_log(const char *pattern, const char *name, const char *replica,
    const char **why)
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
			} else if (*p == 'i' && replica != NULL) {
				put = replica;
				len = strlen(replica);
			} else if (*p == 'i') {
				*why = "%i is a replica's number: the task has no replicas";
				free(out);
				return NULL;
			} else if (*p != '%') {
				*why = *p == '\0' ? "a lone '%' at the end (write %% for a '%')" :
				    "only %n (the task's name), %i (a replica's number) and %% may "
				    "follow a '%'";
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
	if ((probe = ecg_keys_expand_log(v, "\001", "1", &why)) == NULL) {
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

/* Where key k keeps its value: in the task (or [group]'s defaults), or in the group. */
static void *
slot(const struct key *k, const struct ecg_group_spec *g, const struct ecg_task_spec *t)
{
	return (char *)(k->where == GROUP_ONLY ? (const void *)g : (const void *)t) + k->offset;
}

/* A value of one of the table's kinds: stored, or why not said as "KEY 'V': why". */
static void
parse_kind(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	void *p = slot(k, L->g, t);
	const char *why = NULL;
	int n;

	switch ((enum key_kind)k->kind) {
	case KIND_DURATION:
		if (ecg_value_duration(v, p, &why) < 0)
			failf(L, line, "%s '%s': %s", k->name, v, why);
		break;
	case KIND_COUNT:
		if (ecg_value_count(v, ECG_CONFIG_COUNT_MAX, p, &why) < 0)
			failf(L, line, "%s '%s': %s", k->name, v, why);
		break;
	case KIND_WORD:
		n = *(int *)p;
		if (pick_word(v, k->words, &n) < 0)
			failf(L, line, "%s '%s': %s", k->name, v, k->hint);
		*(int *)p = n;
		break;
	case KIND_SIGNAL:
		if (ecg_value_signal(v, p, &why) < 0)
			failf(L, line, "%s '%s': %s", k->name, v, why);
		break;
	case KIND_STRING:
		free(*(char **)p);
		*(char **)p = xstrdup(L, v);
		break;
	case KIND_OWN:
		break;
	}
}

/* The keys' own functions, in the table's order. */

/* Not printed: --check prints each replica as a task of its own. */
static void
pr_replicas(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	(void)out;
	(void)g;
	(void)t;
	(void)k;
}

static void
p_replicas(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	parse_kind(L, line, v, t, k);
	if (!L->failed && (t->replicas < 1 || t->replicas > ECG_CONFIG_REPLICAS_MAX))
		failf(L, line, "replicas '%s': from 1 to %d", v, ECG_CONFIG_REPLICAS_MAX);
}

static void
p_cwd(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t, const struct key *k)
{
	(void)line;
	(void)k;
	t->cwd = xstrdup(L, v);
	t->cwd_path = resolve_path(L, v);
}

static void
i_cwd(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d, const struct key *k)
{
	(void)k;
	if (d->cwd != NULL) {
		t->cwd = xstrdup(L, d->cwd);
		t->cwd_path = xstrdup(L, d->cwd_path);
	}
}

static void
pr_cwd(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	char cwd[PATH_MAX];

	(void)g;
	if (t->cwd_path == NULL && getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), ".");
	ecg_keys_print_value(out, k->name, t->cwd_path != NULL ? t->cwd_path : cwd);
}

static void
p_env(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t, const struct key *k)
{
	(void)k;
	/* The value may be a secret: a message names the variable only. */
	if (!valid_env(v) && strchr(v, '=') == NULL)
		failf(L, line, "env needs NAME=VALUE with NAME of A-Z a-z 0-9 _ (this line "
		    "has no '=')");
	else if (!valid_env(v))
		failf(L, line, "env needs NAME=VALUE with NAME of A-Z a-z 0-9 _ (not starting "
		    "with a digit), not '%.*s'", (int)strcspn(v, "="), v);
	else if (strncmp(v, "ECG_RUN_TASK=", 13) == 0 || strncmp(v, "ECG_RUN_GROUP=", 14) == 0 ||
	    strncmp(v, "ECG_RUN_ID=", 11) == 0 || strncmp(v, "ECG_CONTROL=", 12) == 0)
		failf(L, line, "env cannot set %.*s: ecg-run sets it", (int)strcspn(v, "="), v);
	else if (env_push(L, &t->env, &t->nenv, v) < 0)
		failf(L, line, "out of memory");
}

int
ecg_keys_push_env(struct loader *L, struct ecg_task_spec *t, const char *var)
{
	int rc;

	L->env_list = NULL;
	rc = env_push(L, &t->env, &t->nenv, var);
	L->env_list = NULL;
	return rc;
}

/* A list's variables pushed onto env, and the list freed. */
static void
push_all(struct loader *L, struct ecg_task_spec *t, char **list, size_t n, int owned)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!L->failed && env_push(L, &t->env, &t->nenv, list[i]) < 0)
			failf(L, t->line, "out of memory");
		if (owned)
			free(list[i]);
	}
	if (owned)
		free(list);
}

/*
 * The group's variables first, so that the task's own win; at each level
 * what env_files give, then the env lines, which win over them.
 */
static void
i_env(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d, const struct key *k)
{
	char **own = t->env, **files = t->fenv;
	size_t nown = t->nenv, nfiles = t->nfenv;

	(void)k;
	t->env = NULL;
	t->nenv = 0;
	t->fenv = NULL;
	t->nfenv = 0;
	L->env_list = NULL;	/* a new list at the same place: index it afresh */
	push_all(L, t, d->fenv, d->nfenv, 0);
	push_all(L, t, d->env, d->nenv, 0);
	push_all(L, t, files, nfiles, 1);
	push_all(L, t, own, nown, 1);
	L->env_list = NULL;
}

static const char *group_var_of(struct loader *L, const char *name, size_t len);

/* A variable of the group's (its env lines, then its env_files), else ecg-run's. */
static const char *
group_var(void *arg, const char *name, size_t len)
{
	struct loader *L = arg;

	/* A replica's number, in the values of its task (replicas = N). */
	if (L->replica > 0 && len == 11 && strncmp(name, "ECG_REPLICA", 11) == 0)
		return L->replica_text;
	return group_var_of(L, name, len);
}

static const char *
group_var_of(struct loader *L, const char *name, size_t len)
{
	const struct ecg_task_spec *d = &L->g->defaults;
	char *const *lists[2] = { d->env, d->fenv };
	const size_t ns[2] = { d->nenv, d->nfenv };
	size_t i, j;
	char key[256];

	for (j = 0; j < 2; j++)
		for (i = ns[j]; i-- > 0;)
			if (strncmp(lists[j][i], name, len) == 0 && lists[j][i][len] == '=')
				return lists[j][i] + len + 1;
	if (len >= sizeof(key))
		return NULL;
	memcpy(key, name, len);
	key[len] = '\0';
	return getenv(key);
}

/* v with its variables expanded into out: 0, or -1 once said (KEY 'V': why). */
static int
expand(struct loader *L, unsigned line, const char *key, const char *v, struct ecg_buf *out)
{
	const char *unset;
	size_t len;

	if (ecg_value_expand(v, group_var, L, out, &unset, &len) == 0 && !ecg_buf_failed(out))
		return 0;
	if (ecg_buf_failed(out))
		failf(L, line, "out of memory");
	else if (unset != NULL)
		failf(L, line, "%s '%s': %.*s is not set (${%.*s:-default} gives one; $$ is a $)",
		    key, v, (int)len, unset, (int)len, unset);
	else
		failf(L, line, "%s '%s': a ${ without its } or its name (${NAME}, ${NAME:-default})",
		    key, v);
	return -1;
}

/* What an env_file is read into, and where. */
struct env_file_read {
	struct loader *L;
	struct ecg_task_spec *t;
	const char *path;		/* as written */
	unsigned line;			/* of the env_file key */
	struct ecg_buf var;
};

static int
env_file_var(void *arg, const char *name, size_t len, const char *value, int expanding,
    unsigned fline)
{
	struct env_file_read *r = arg;
	struct loader *L = r->L;

	ecg_buf_reset(&r->var);
	ecg_buf_printf(&r->var, "%.*s=", (int)len, name);
	if (!expanding)
		ecg_buf_puts(&r->var, value);
	else if (ecg_value_expand(value, group_var, L, &r->var, &(const char *){ NULL },
	    &(size_t){ 0 }) < 0) {
		failf(L, r->line, "env_file '%s': line %u: %.*s: a variable in its value is not set "
		    "(${NAME:-default} gives one; $$ is a $)", r->path, fline, (int)len, name);
		return -1;
	}
	if ((len == 12 && strncmp(name, "ECG_RUN_TASK", len) == 0) ||
	    (len == 13 && strncmp(name, "ECG_RUN_GROUP", len) == 0) ||
	    (len == 10 && strncmp(name, "ECG_RUN_ID", len) == 0) ||
	    (len == 11 && strncmp(name, "ECG_CONTROL", len) == 0)) {
		failf(L, r->line, "env_file '%s': line %u: cannot set %.*s: ecg-run sets it", r->path,
		    fline, (int)len, name);
		return -1;
	}
	if (ecg_buf_failed(&r->var) ||
	    env_push(L, &r->t->fenv, &r->t->nfenv, ecg_buf_str(&r->var)) < 0) {
		failf(L, r->line, "out of memory");
		return -1;
	}
	return 0;
}

/* The group's env_files, then the task's own: read again, they give what env shows. */
static void
pr_env_file(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	size_t i;

	for (i = 0; i < g->defaults.nenv_files && t != &g->defaults; i++)
		ecg_keys_print_value(out, k->name, g->defaults.env_files[i]);
	for (i = 0; i < t->nenv_files; i++)
		ecg_keys_print_value(out, k->name, t->env_files[i]);
}

/* An env_file's whole text, at most this long. */
#define ENV_FILE_MAX ((size_t)16 * 1024 * 1024)

static void
p_env_file(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	struct env_file_read r = { L, t, v, line, ECG_BUF_INIT };
	int optional = v[0] == '-';
	char *path = resolve_path(L, v + optional), buf[65536];
	struct ecg_buf text = ECG_BUF_INIT;
	const char *why = NULL;
	unsigned fline = 0;
	ssize_t n = 0;
	int fd;

	(void)k;
	if (path == NULL)
		return;
	/* Kept for --check: the group's and the task's own, read again when it loads back. */
	{
		char **p = realloc(t->env_files, (t->nenv_files + 1) * sizeof(*p));
		if (p == NULL || asprintf(&p[t->nenv_files], "%s%s", optional ? "-" : "", path) < 0) {
			if (p != NULL)
				t->env_files = p;
			failf(L, line, "out of memory");
			free(path);
			return;
		}
		t->env_files = p;
		t->nenv_files++;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (!(optional && errno == ENOENT))
			failf(L, line, "env_file '%s': %s%s", v, strerror(errno),
			    errno == ENOENT ? " (-PATH for one that may be missing)" : "");
		free(path);
		return;
	}
	while (text.len <= ENV_FILE_MAX && (n = read(fd, buf, sizeof(buf))) > 0)
		ecg_buf_put(&text, buf, (size_t)n);
	close(fd);
	if (n < 0 || text.len > ENV_FILE_MAX || ecg_buf_failed(&text))
		failf(L, line, "env_file '%s': %s", v, n < 0 ? strerror(errno) :
		    "longer than 16 MiB, or out of memory");
	else if (ecg_dotenv_parse(text.p != NULL ? text.p : "", text.len, env_file_var, &r, &fline,
	    &why) < 0 && why != NULL)
		failf(L, line, "env_file '%s': line %u: %s", v, fline, why);
	L->env_list = NULL;
	ecg_buf_free(&r.var);
	ecg_buf_free(&text);
	free(path);
}

static void
pr_env(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	size_t j;

	(void)g;
	for (j = 0; j < t->nenv; j++)
		ecg_keys_print_value(out, k->name, t->env[j]);
}

static void
p_stop_signal(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	const char *why = NULL;

	(void)k;
	if (ecg_value_signal(v, &t->stop_signal, &why) < 0 ||
	    (why = not_a_stop_signal(t->stop_signal)) != NULL)
		failf(L, line, "stop_signal '%s': %s", v, why);
}

/* A sidecar's end never stops the group: it has no cancel_on to show. */
static void
pr_cancel_on(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	(void)g;
	if (!t->sidecar)
		ecg_keys_print_value(out, k->name, ecg_config_cancel_on_name(t->cancel_on));
}

static void
p_after(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	(void)k;
	parse_after(L, line, v, t);
}

static void
pr_after(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	size_t j;

	if (t->nafter == 0)
		return;
	fprintf(out, "%s = ", k->name);
	for (j = 0; j < t->nafter; j++)
		fprintf(out, "%s%s", j > 0 ? ", " : "", g->tasks[t->after[j]].name);
	fputc('\n', out);
}

static void
p_ready(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	(void)k;
	parse_ready(L, line, v, &t->ready);
}

/* Parsed again for each task: each gets its own compiled check. */
static void
i_ready(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d,
    const struct key *k)
{
	(void)k;
	if (has(d, K_READY))
		parse_ready(L, ecg_config_key_line(d, K_READY), d->ready.check, &t->ready);
}

static void
pr_ready(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	(void)g;
	ecg_keys_print_value(out, k->name, ecg_config_ready_text(t));
}

static void
p_health(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	(void)k;
	parse_health(L, line, v, &t->health);
}

static void
i_health(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d,
    const struct key *k)
{
	(void)k;
	if (has(d, K_HEALTH))
		parse_health(L, ecg_config_key_line(d, K_HEALTH), d->health.check, &t->health);
}

static void
pr_health(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	(void)g;
	if (t->health.check != NULL)
		ecg_keys_print_value(out, k->name, t->health.check);
}

static void print_kind(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k);

static void
p_health_duration(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	parse_kind(L, line, v, t, k);
	if (!L->failed && *(long *)slot(k, L->g, t) <= 0)
		failf(L, line, "%s '%s': a duration above 0", k->name, v);
}

/* The health_ keys say something only with a health check. */
static void
pr_health_kind(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	if (t->health.check != NULL)
		print_kind(out, g, t, k);
}

static void
p_health_retries(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	parse_kind(L, line, v, t, k);
	if (!L->failed && t->health_retries < 1)
		failf(L, line, "health_retries '%s': at least 1", v);
}

/* Without one given: a one-shot task takes as long as it takes. */
static void
i_ready_timeout(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d,
    const struct key *k)
{
	(void)L;
	(void)k;
	if (has(d, K_READY_TIMEOUT))
		t->ready_timeout_ms = d->ready_timeout_ms;
	else
		t->ready_timeout_ms = t->ready.kind == ECG_READY_STARTED ||
		    t->ready.kind == ECG_READY_EXITED ? 0 : ECG_CONFIG_READY_TIMEOUT_MS;
}

static void
pr_sidecar(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	(void)g;
	if (t->sidecar)
		ecg_keys_print_value(out, k->name, "yes");
}

static void
p_success(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	(void)k;
	parse_success(L, line, v, t);
}

static void
i_success(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d,
    const struct key *k)
{
	(void)L;
	(void)k;
	memcpy(t->success_exit, d->success_exit, sizeof(t->success_exit));
	t->success_signal = d->success_signal;
}

static void
pr_success(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	/* 256 statuses and 64 signals, each at most "SIGRTMIN+15 ". */
	char buf[256 * 4 + 64 * 14];

	(void)g;
	ecg_config_success_text(t, buf, sizeof(buf));
	ecg_keys_print_value(out, k->name, buf);
}

static void
p_umask(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	char *end;
	long m;

	errno = 0;
	m = strtol(v, &end, 8);
	if (errno != 0 || *end != '\0' || end == v || m < 0 || m > 0777 || v[0] == '-' ||
	    v[0] == '+')
		failf(L, line, "%s '%s': an octal mask from 0 to 0777 (0027)", k->name, v);
	else
		t->umask = (int)m;
}

static void
i_umask(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d,
    const struct key *k)
{
	(void)L;
	(void)k;
	t->umask = has(d, K_UMASK) ? d->umask : -1;
}

static void
pr_umask(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	char buf[16];

	(void)g;
	if (t->umask >= 0) {
		snprintf(buf, sizeof(buf), "%04o", (unsigned)t->umask);
		ecg_keys_print_value(out, k->name, buf);
	}
}

/* t's limits, made when the first is given (most tasks have none): NULL when out of memory. */
static struct ecg_limit_spec *
limits_of(struct loader *L, unsigned line, struct ecg_task_spec *t)
{
	if (t->limit == NULL && (t->limit = calloc(ECG_LIMITS, sizeof(*t->limit))) == NULL)
		failf(L, line, "out of memory");
	return t->limit;
}

static void
p_limit(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	enum ecg_limit l = (enum ecg_limit)(k - &ecg_keys[K_LIMIT_NOFILE]);

	if (limits_of(L, line, t) != NULL)
		parse_limit(L, line, v, l, &t->limit[l]);
}

static void
i_limit(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d,
    const struct key *k)
{
	enum ecg_limit l = (enum ecg_limit)(k - &ecg_keys[K_LIMIT_NOFILE]);

	if (d->limit != NULL && d->limit[l].set && limits_of(L, t->line, t) != NULL)
		t->limit[l] = d->limit[l];
}

static void
pr_limit(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	enum ecg_limit l = (enum ecg_limit)(k - &ecg_keys[K_LIMIT_NOFILE]);
	char soft[48], hard[48], buf[100];

	(void)g;
	if (t->limit == NULL || !t->limit[l].set)
		return;
	limit_text(t->limit[l].soft, limits[l].bytes, soft, sizeof(soft));
	limit_text(t->limit[l].hard, limits[l].bytes, hard, sizeof(hard));
	if (t->limit[l].soft == t->limit[l].hard)
		snprintf(buf, sizeof(buf), "%s", soft);
	else
		snprintf(buf, sizeof(buf), "%s:%s", soft, hard);
	ecg_keys_print_value(out, k->name, buf);
}

static void
p_forward(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	(void)k;
	parse_forward(L, line, v, &t->forward);
}

static void
i_forward(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d,
    const struct key *k)
{
	(void)L;
	(void)k;
	t->forward = has(d, K_FORWARD) ? d->forward : ECG_FORWARD_DEFAULT;
}

static void
pr_forward(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	char buf[64];

	(void)g;
	ecg_config_forward_text(t->forward, buf, sizeof(buf));
	ecg_keys_print_value(out, k->name, buf);
}

static void
p_log(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t, const struct key *k)
{
	(void)k;
	parse_log(L, line, v, t);
}

static void
i_log(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d, const struct key *k)
{
	(void)k;
	if (d->log != NULL)
		t->log = xstrdup(L, d->log);
}

/* log, with every '%' doubled so that it reads back as it is. */
static void
pr_log(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	struct ecg_buf v = ECG_BUF_INIT;
	const char *p;

	(void)g;
	if (t->log_path == NULL)
		return;
	/* A % of the path is written %%, and a $ is written $$ (print_value). */
	for (p = t->log_path; *p != '\0'; p++) {
		if (*p == '%')
			ecg_buf_putc(&v, '%');
		ecg_buf_putc(&v, *p);
	}
	ecg_keys_print_value(out, k->name, ecg_buf_str(&v));
	ecg_buf_free(&v);
}

static void
p_log_max_size(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	const char *why = NULL;

	(void)k;
	if (strcmp(v, "none") == 0)
		t->log_max_size = 0;
	else if (ecg_value_size(v, LOG_MAX_SIZE_MIN, LOG_MAX_SIZE_MAX, &t->log_max_size,
	    &why) < 0)
		failf(L, line, "log_max_size '%s': %s", v, why);
}

static void
i_log_max_size(struct loader *L, struct ecg_task_spec *t, const struct ecg_task_spec *d,
    const struct key *k)
{
	(void)L;
	(void)k;
	t->log_max_size = has(d, K_LOG_MAX_SIZE) ? d->log_max_size : 0;
}

/* Rotation's keys are shown only with a log file that rotates. */
static void
pr_log_max_size(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	char buf[64];

	(void)g;
	if (t->log_path == NULL || t->log_max_size == 0)
		return;
	ecg_value_format_size(t->log_max_size, buf, sizeof(buf));
	ecg_keys_print_value(out, k->name, buf);
}

static void
p_log_keep(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	parse_kind(L, line, v, t, k);
	if (!L->failed && t->log_keep > LOG_KEEP_MAX)
		failf(L, line, "log_keep '%s': at most %d old files", v, LOG_KEEP_MAX);
}

static void
pr_log_keep(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	char buf[32];

	(void)g;
	if (t->log_path == NULL || t->log_max_size == 0)
		return;
	snprintf(buf, sizeof(buf), "%ld", t->log_keep);
	ecg_keys_print_value(out, k->name, buf);
}

static void
p_name(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	(void)t;
	(void)k;
	if (!ecg_keys_valid_name(v))
		failf(L, line, "bad group name '%s' (1 to %d characters of A-Z a-z 0-9 _ . -)",
		    v, ECG_CONFIG_NAME_MAX);
	else {
		free(L->g->name);
		L->g->name = xstrdup(L, v);
	}
}

static void
p_buffer(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	const char *why = NULL;

	(void)t;
	(void)k;
	if (ecg_value_size(v, BUFFER_MIN, BUFFER_MAX, &L->g->buffer, &why) < 0)
		failf(L, line, "buffer '%s': %s", v, why);
}

static void
pr_buffer(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	char buf[64];

	(void)t;
	ecg_value_format_size(g->buffer, buf, sizeof(buf));
	ecg_keys_print_value(out, k->name, buf);
}

/* control = PATH (relative to the file's directory) or none. */
static void
p_control(struct loader *L, unsigned line, const char *v, struct ecg_task_spec *t,
    const struct key *k)
{
	(void)t;
	(void)k;
	if (strchr(v, '\n') != NULL) {
		failf(L, line, "control: a path on one line, or none");
		return;
	}
	free(L->g->control);
	L->g->control = strcmp(v, "none") == 0 ? xstrdup(L, v) : resolve_path(L, v);
}

static const struct word cancel_on_words[] = { { "failure", ECG_CANCEL_ON_FAILURE },
	{ "exit", ECG_CANCEL_ON_EXIT }, { "never", ECG_CANCEL_ON_NEVER }, { NULL, 0 } };
static const struct word sidecar_words[] = { { "yes", 1 }, { "true", 1 }, { "no", 0 },
	{ "false", 0 }, { NULL, 0 } };
static const struct word restart_words[] = { { "no", ECG_RESTART_NO },
	{ "on-failure", ECG_RESTART_ON_FAILURE }, { "always", ECG_RESTART_ALWAYS }, { NULL, 0 } };

#define T(field) offsetof(struct ecg_task_spec, field)
#define G(field) offsetof(struct ecg_group_spec, field)
#define DEFAULT_STOP_TIMEOUT_MS 10000
#define DEFAULT_MAX_RESTARTS 3
#define DEFAULT_RESTART_DELAY_MS 1000
#define DEFAULT_RESTART_DELAY_MAX_MS 30000
#define DEFAULT_LOG_KEEP 3
#define DEFAULT_RESTART_RESET_MS 10000
#define DEFAULT_HEALTH_INTERVAL_MS 10000
#define DEFAULT_HEALTH_TIMEOUT_MS 5000
#define DEFAULT_HEALTH_RETRIES 3

const struct key ecg_keys[K_COUNT] = {
	/* name, where, repeatable, kind, offset, default, words, hint, parse, inherit, print */
	[K_COMMAND] = { "command", ANYWHERE, 0, KIND_STRING, T(command), 0, NULL, NULL,
		NULL, NULL, NULL },
	[K_REPLICAS] = { "replicas", TASK_ONLY, 0, KIND_COUNT, T(replicas), 0, NULL, NULL,
		p_replicas, NULL, pr_replicas },
	[K_CWD] = { "cwd", ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL, p_cwd, i_cwd, pr_cwd },
	[K_ENV_FILE] = { "env_file", ANYWHERE, 1, KIND_OWN, 0, 0, NULL, NULL, p_env_file, NULL,
		pr_env_file },
	[K_ENV] = { "env", ANYWHERE, 1, KIND_OWN, 0, 0, NULL, NULL, p_env, i_env, pr_env },
	[K_STOP_SIGNAL] = { "stop_signal", ANYWHERE, 0, KIND_SIGNAL, T(stop_signal), SIGTERM,
		NULL, NULL, p_stop_signal, NULL, NULL },
	[K_STOP_COMMAND] = { "stop_command", ANYWHERE, 0, KIND_STRING, T(stop_command), 0, NULL,
		NULL, NULL, NULL, NULL },
	[K_STOP_TIMEOUT] = { "stop_timeout", ANYWHERE, 0, KIND_DURATION, T(stop_timeout_ms),
		DEFAULT_STOP_TIMEOUT_MS, NULL, NULL, NULL, NULL, NULL },
	[K_CANCEL_ON] = { "cancel_on", ANYWHERE, 0, KIND_WORD, T(cancel_on),
		ECG_CANCEL_ON_FAILURE, cancel_on_words, "use failure, exit or never", NULL, NULL,
		pr_cancel_on },
	[K_AFTER] = { "after", TASK_ONLY, 0, KIND_OWN, 0, 0, NULL, NULL, p_after, NULL,
		pr_after },
	[K_TTY] = { "tty", ANYWHERE, 0, KIND_WORD, T(tty), 0, sidecar_words, "use yes or no",
		NULL, NULL, NULL },
	[K_READY] = { "ready", ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL, p_ready, i_ready,
		pr_ready },
	[K_READY_TIMEOUT] = { "ready_timeout", ANYWHERE, 0, KIND_DURATION, T(ready_timeout_ms),
		0, NULL, NULL, NULL, i_ready_timeout, NULL },
	[K_HEALTH] = { "health", ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL, p_health, i_health,
		pr_health },
	[K_HEALTH_INTERVAL] = { "health_interval", ANYWHERE, 0, KIND_DURATION,
		T(health_interval_ms), DEFAULT_HEALTH_INTERVAL_MS, NULL, NULL, p_health_duration, NULL,
		pr_health_kind },
	[K_HEALTH_TIMEOUT] = { "health_timeout", ANYWHERE, 0, KIND_DURATION,
		T(health_timeout_ms), DEFAULT_HEALTH_TIMEOUT_MS, NULL, NULL, p_health_duration, NULL,
		pr_health_kind },
	[K_HEALTH_RETRIES] = { "health_retries", ANYWHERE, 0, KIND_COUNT, T(health_retries),
		DEFAULT_HEALTH_RETRIES, NULL, NULL, p_health_retries, NULL, pr_health_kind },
	[K_SIDECAR] = { "sidecar", TASK_ONLY, 0, KIND_WORD, T(sidecar), 0, sidecar_words,
		"use yes or no", NULL, NULL, pr_sidecar },
	[K_RESTART] = { "restart", ANYWHERE, 0, KIND_WORD, T(restart), ECG_RESTART_NO,
		restart_words, "use no, on-failure or always", NULL, NULL, NULL },
	[K_MAX_RESTARTS] = { "max_restarts", ANYWHERE, 0, KIND_COUNT, T(max_restarts),
		DEFAULT_MAX_RESTARTS, NULL, NULL, NULL, NULL, NULL },
	[K_RESTART_DELAY] = { "restart_delay", ANYWHERE, 0, KIND_DURATION, T(restart_delay_ms),
		DEFAULT_RESTART_DELAY_MS, NULL, NULL, NULL, NULL, NULL },
	[K_RESTART_DELAY_MAX] = { "restart_delay_max", ANYWHERE, 0, KIND_DURATION,
		T(restart_delay_max_ms), DEFAULT_RESTART_DELAY_MAX_MS, NULL, NULL, NULL, NULL, NULL },
	[K_RESTART_RESET] = { "restart_reset", ANYWHERE, 0, KIND_DURATION, T(restart_reset_ms),
		DEFAULT_RESTART_RESET_MS, NULL, NULL, NULL, NULL, NULL },
	[K_SUCCESS_STATUS] = { "success_status", ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL,
		p_success, i_success, pr_success },
	[K_TIMEOUT] = { "timeout", ANYWHERE, 0, KIND_DURATION, T(timeout_ms), 0, NULL, NULL,
		NULL, NULL, NULL },
	[K_FORWARD] = { "forward", ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL, p_forward, i_forward,
		pr_forward },
	[K_USER] = { "user", ANYWHERE, 0, KIND_STRING, T(user), 0, NULL, NULL, NULL, NULL, NULL },
	[K_GROUP] = { "group", ANYWHERE, 0, KIND_STRING, T(group), 0, NULL, NULL, NULL, NULL,
		NULL },
	[K_UMASK] = { "umask", ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL, p_umask, i_umask,
		pr_umask },
#define LIMIT_KEY(id, name) [id] = { name, ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL, p_limit, \
		i_limit, pr_limit }
	LIMIT_KEY(K_LIMIT_NOFILE, "limit_nofile"),
	LIMIT_KEY(K_LIMIT_CORE, "limit_core"),
	LIMIT_KEY(K_LIMIT_NPROC, "limit_nproc"),
	LIMIT_KEY(K_LIMIT_MEMLOCK, "limit_memlock"),
	LIMIT_KEY(K_LIMIT_STACK, "limit_stack"),
	LIMIT_KEY(K_LIMIT_AS, "limit_as"),
#undef LIMIT_KEY
	[K_LOG] = { "log", ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL, p_log, i_log, pr_log },
	[K_LOG_MAX_SIZE] = { "log_max_size", ANYWHERE, 0, KIND_OWN, 0, 0, NULL, NULL,
		p_log_max_size, i_log_max_size, pr_log_max_size },
	[K_LOG_KEEP] = { "log_keep", ANYWHERE, 0, KIND_COUNT, T(log_keep), DEFAULT_LOG_KEEP, NULL,
		NULL, p_log_keep, NULL, pr_log_keep },
	[K_NAME] = { "name", GROUP_ONLY, 0, KIND_STRING, G(name), 0, NULL, NULL, p_name, NULL,
		NULL },
	[K_SHELL] = { "shell", GROUP_ONLY, 0, KIND_STRING, G(shell), 0, NULL, NULL, NULL, NULL,
		NULL },
	[K_BUFFER] = { "buffer", GROUP_ONLY, 0, KIND_OWN, 0, 0, NULL, NULL, p_buffer, NULL,
		pr_buffer },
	[K_MAX_PARALLEL] = { "max_parallel", GROUP_ONLY, 0, KIND_COUNT, G(max_parallel), 0, NULL,
		NULL, NULL, NULL, NULL },
	[K_DEADLINE] = { "deadline", GROUP_ONLY, 0, KIND_DURATION, G(deadline_ms), 0, NULL, NULL,
		NULL, NULL, NULL },
	[K_CONTROL] = { "control", GROUP_ONLY, 0, KIND_STRING, G(control), 0, NULL, NULL,
		p_control, NULL, NULL },
};

/* The keys whose values take ${NAME} (not command and stop_command: those are the shell's). */
static int
expands(enum key_id key)
{
	return key == K_READY || key == K_HEALTH || key == K_CWD || key == K_LOG || key == K_ENV ||
	    key == K_ENV_FILE;
}

/* ... and not a check's probe command either (ready = command CMD): the shell's too. */
static int
expands_value(enum key_id key, const char *v)
{
	return expands(key) && !((key == K_READY || key == K_HEALTH) && ready_word(v, "command"));
}

void
ecg_keys_finish(struct loader *L, enum key_id key, unsigned line, const char *v,
    struct ecg_task_spec *t)
{
	const struct key *k = &ecg_keys[key];
	struct ecg_buf x = ECG_BUF_INIT;

	/* ${NAME} in the values where a value of the environment makes sense. */
	if (expands_value(key, v)) {
		if (expand(L, line, k->name, v, &x) < 0) {
			ecg_buf_free(&x);
			return;
		}
		v = ecg_buf_str(&x);
	}
	if (k->parse != NULL)
		k->parse(L, line, v, t, k);
	else
		parse_kind(L, line, v, t, k);
	ecg_buf_free(&x);
}

static int
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
ecg_keys_free_identity(struct ecg_identity *id)
{
	if (id == NULL)
		return;
	free(id->groups);
	free(id->name);
	free(id->home);
	free(id->shell);
	free(id);
}

static struct ecg_identity *
copy_identity(const struct ecg_identity *from)
{
	struct ecg_identity *id = calloc(1, sizeof(*id));

	if (id == NULL)
		return NULL;
	*id = *from;
	id->groups = malloc((from->ngroups ? from->ngroups : 1) * sizeof(*id->groups));
	id->name = strdup(from->name);
	id->home = strdup(from->home);
	id->shell = strdup(from->shell);
	if (id->groups == NULL || id->name == NULL || id->home == NULL || id->shell == NULL) {
		ecg_keys_free_identity(id);
		return NULL;
	}
	memcpy(id->groups, from->groups, from->ngroups * sizeof(*id->groups));
	return id;
}

/* user = and group =: who the task runs as, from the password and group databases. */
static struct ecg_identity *
lookup_identity(struct loader *L, struct ecg_task_spec *t)
{
	struct ecg_user u;
	struct ecg_identity id = { 0 };
	const struct ecg_task_spec *d = &L->g->defaults;
	unsigned uline = ecg_config_key_line(t, K_USER) ? ecg_config_key_line(t, K_USER) :
	    ecg_config_key_line(d, K_USER);
	unsigned gline = ecg_config_key_line(t, K_GROUP) ? ecg_config_key_line(t, K_GROUP) :
	    ecg_config_key_line(d, K_GROUP);

	if (t->user != NULL) {
		if (ecg_userdb_user(t->user, &u) < 0) {
			failf(L, uline, "user '%s': no such user", t->user);
			return NULL;
		}
	} else {
		/* group = alone: ecg-run's own user, in that group. */
		memset(&u, 0, sizeof(u));
		u.uid = geteuid();
		u.gid = (gid_t)-1;
	}
	id.uid = u.uid;
	id.gid = u.gid;
	if (t->group != NULL && ecg_userdb_group(t->group, &id.gid) < 0) {
		failf(L, gline, "group '%s': no such group", t->group);
		return NULL;
	}
	if (id.gid == (gid_t)-1) {
		if (t->user != NULL)
			failf(L, uline, "user '%s': it has no entry in the password database: give "
			    "group too", t->user);
		else
			id.gid = getegid();
		if (t->user != NULL)
			return NULL;
	}
	if (geteuid() != 0 && (id.uid != geteuid() || id.gid != getegid())) {
		failf(L, id.uid != geteuid() ? uline : gline, "%s '%s': only root may run a task as "
		    "another user or group (ecg-run runs as uid %ld)", id.uid != geteuid() ? "user" :
		    "group", id.uid != geteuid() ? t->user : t->group, (long)geteuid());
		return NULL;
	}
	if (ecg_userdb_groups(t->user != NULL ? u.name : "", id.gid, &id.groups, &id.ngroups) < 0) {
		failf(L, uline, "out of memory");
		return NULL;
	}
	id.name = u.name;
	id.home = u.home;
	id.shell = u.shell;
	{
		struct ecg_identity *copy = copy_identity(&id);
		free(id.groups);
		if (copy == NULL)
			failf(L, uline, "out of memory");
		return copy;
	}
}

static void
resolve_identity(struct loader *L, struct ecg_task_spec *t)
{
	if (t->user == NULL && t->group == NULL)
		return;
	/* Tasks that share user and group share one look-up. */
	if (L->id == NULL || !same_text(L->id_user, t->user) || !same_text(L->id_group, t->group)) {
		ecg_keys_free_identity(L->id);
		free(L->id_user);
		free(L->id_group);
		L->id_user = t->user != NULL ? strdup(t->user) : NULL;
		L->id_group = t->group != NULL ? strdup(t->group) : NULL;
		L->id = lookup_identity(L, t);
		if (L->id == NULL)
			return;
	}
	if ((t->identity = copy_identity(L->id)) == NULL)
		failf(L, t->line, "out of memory");
}

void
ecg_keys_inherit(struct loader *L, struct ecg_task_spec *t)
{
	const struct ecg_task_spec *d = &L->g->defaults;
	int i;

	for (i = 0; i < K_COUNT && !L->failed; i++) {
		const struct key *k = &ecg_keys[i];
		void *to = (char *)t + k->offset;
		const void *from = (const char *)d + k->offset;
		/* env merges the group's lines with the task's own, given or not. */
		if (k->where != ANYWHERE || (has(t, (enum key_id)i) && i != K_ENV))
			continue;
		if (k->inherit != NULL) {
			k->inherit(L, t, d, k);
			continue;
		}
		switch ((enum key_kind)k->kind) {
		case KIND_DURATION:
		case KIND_COUNT:
			*(long *)to = has(d, (enum key_id)i) ? *(const long *)from : k->def;
			break;
		case KIND_WORD:
		case KIND_SIGNAL:
			*(int *)to = has(d, (enum key_id)i) ? *(const int *)from : (int)k->def;
			break;
		case KIND_STRING:
			if (*(char *const *)from != NULL)
				*(char **)to = xstrdup(L, *(char *const *)from);
			break;
		case KIND_OWN:
			break;
		}
	}
	resolve_identity(L, t);
	/* Across keys: a sidecar serves the others, its end never counts. */
	if (has(t, K_CANCEL_ON) && t->sidecar)
		failf(L, ecg_config_key_line(t, K_CANCEL_ON), "task [%s] is a sidecar: its end never stops "
		    "the group, so it takes no cancel_on", t->name);
	if (t->sidecar)
		t->cancel_on = ECG_CANCEL_ON_NEVER;
}

/* Key k's value, printed as its kind says. */
static void
print_kind(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	const void *p = slot(k, g, t);
	const struct word *w;
	char buf[64];

	switch ((enum key_kind)k->kind) {
	case KIND_DURATION:
		ecg_value_format_duration(*(const long *)p, buf, sizeof(buf));
		ecg_keys_print_value(out, k->name, buf);
		break;
	case KIND_COUNT:
		snprintf(buf, sizeof(buf), "%ld", *(const long *)p);
		ecg_keys_print_value(out, k->name, buf);
		break;
	case KIND_WORD:
		for (w = k->words; w->text != NULL && w->value != *(const int *)p; w++)
			;
		if (w->text != NULL)
			ecg_keys_print_value(out, k->name, w->text);
		break;
	case KIND_SIGNAL:
		ecg_keys_print_value(out, k->name, ecg_value_signame(*(const int *)p, buf,
		    sizeof(buf)));
		break;
	case KIND_STRING:
		if (*(char *const *)p != NULL)
			ecg_keys_print_value(out, k->name, *(char *const *)p);
		break;
	case KIND_OWN:
		break;
	}
}

/* Key k's value, printed as the kind says, or by its own function. */
/* Printing a key whose values take ${NAME}: a $ is printed $$, so that it loads back. */
static int printing_dollars;

static void
print_key(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t,
    const struct key *k)
{
	printing_dollars = expands((enum key_id)(k - ecg_keys)) &&
	    !((k == &ecg_keys[K_READY] && t->ready.kind == ECG_READY_COMMAND) ||
	    (k == &ecg_keys[K_HEALTH] && t->health.kind == ECG_READY_COMMAND));
	if (k->print != NULL)
		k->print(out, g, t, k);
	else
		print_kind(out, g, t, k);
	printing_dollars = 0;
}

void
ecg_keys_print_group(FILE *out, const struct ecg_group_spec *g)
{
	int i;

	for (i = 0; i < K_COUNT; i++)
		if (ecg_keys[i].where == GROUP_ONLY)
			print_key(out, g, &g->defaults, &ecg_keys[i]);
}

void
ecg_keys_print_task(FILE *out, const struct ecg_group_spec *g, const struct ecg_task_spec *t)
{
	int i;

	for (i = 0; i < K_COUNT; i++)
		if (ecg_keys[i].where != GROUP_ONLY)
			print_key(out, g, t, &ecg_keys[i]);
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
static void print_lines(FILE *out, const char *key, const char *v);

void
ecg_keys_print_value(FILE *out, const char *key, const char *v)
{
	char *doubled = NULL;

	if (printing_dollars && strchr(v, '$') != NULL && (doubled = malloc(2 * strlen(v) + 1))) {
		char *o = doubled;
		for (; *v != '\0'; v++) {
			if (*v == '$')
				*o++ = '$';
			*o++ = *v;
		}
		*o = '\0';
		v = doubled;
	}
	print_lines(out, key, v);
	free(doubled);
}

static void
print_lines(FILE *out, const char *key, const char *v)
{
	struct ecg_buf b = ECG_BUF_INIT;

	ecg_config_value_text(&b, key, v);
	fputs(ecg_buf_str(&b), out);
	ecg_buf_free(&b);
}

void
ecg_config_value_text(struct ecg_buf *b, const char *key, const char *v)
{
	const char *nl;

	if (strchr(v, '\n') == NULL) {
		ecg_buf_printf(b, "%s = %s\n", key, v);
		return;
	}
	ecg_buf_printf(b, "%s =\n", key);
	for (; (nl = strchr(v, '\n')) != NULL; v = nl + 1)
		ecg_buf_printf(b, nl > v ? "    %.*s\n" : "%.*s\n", (int)(nl - v), v);
	ecg_buf_printf(b, "    %s\n", v);
}

