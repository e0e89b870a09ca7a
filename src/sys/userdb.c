#define _GNU_SOURCE
#include "sys/userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"

extern char **environ;

/* The output of `getent DB KEY` (its first line), or -1. */
static int
getent(const char *db, const char *key, struct ecg_buf *out)
{
	char *argv[] = { (char *)"getent", (char *)db, (char *)key, NULL }, buf[4096];
	posix_spawn_file_actions_t fa;
	int fds[2], status = 0, rc;
	pid_t pid;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "getent", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return -1;
	}
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			ecg_buf_put(out, buf, (size_t)n);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out->len == 0)
		return -1;
	out->p[strcspn(out->p, "\n")] = '\0';
	out->len = strlen(out->p);
	return 0;
}

/*
 * The line of file whose field (0: name, 2: number) is key, split at ':'
 * into fields (up to max): how many, or 0 if none.  Lines are copied into
 * line.
 */
static size_t
find(const char *file, const char *key, int by_number, struct ecg_buf *line, char **fields,
    size_t max)
{
	FILE *f = fopen(file, "re");
	char *l = NULL, *p;
	size_t cap = 0, n;

	if (f == NULL)
		return 0;
	while (getline(&l, &cap, f) > 0) {
		l[strcspn(l, "\n")] = '\0';
		for (n = 0, p = l; n < max; n++) {
			fields[n] = p;
			if ((p = strchr(p, ':')) == NULL) {
				n++;
				break;
			}
			*p++ = '\0';
		}
		if (n > 2 && strcmp(fields[by_number ? 2 : 0], key) == 0) {
			size_t i;
			ecg_buf_reset(line);
			for (i = 0; i < n; i++) {
				ecg_buf_puts(line, fields[i]);
				ecg_buf_putc(line, '\0');
			}
			fclose(f);
			free(l);
			/* The fields again, in line's own copy. */
			for (i = 0, p = line->p; i < n; i++, p += strlen(p) + 1)
				fields[i] = p;
			return n;
		}
	}
	fclose(f);
	free(l);
	return 0;
}

/* A line of getent's, split like find's. */
static size_t
split(struct ecg_buf *line, char **fields, size_t max)
{
	char *p = line->p;
	size_t n;

	for (n = 0; n < max; n++) {
		fields[n] = p;
		if ((p = strchr(p, ':')) == NULL)
			return n + 1;
		*p++ = '\0';
	}
	return n;
}

static int
number(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out < (unsigned long)(uid_t)-1;
}

/* An entry of db by name or number: its file first, then getent; how many fields (or 0). */
static size_t
entry(const char *db, const char *file, const char *key, int by_number, struct ecg_buf *line,
    char **f, size_t max)
{
	size_t n = find(file, key, by_number, line, f, max);

	if (n >= max - 1)
		return n;
	ecg_buf_reset(line);
	return getent(db, key, line) == 0 ? split(line, f, max) : 0;
}

int
ecg_userdb_user(const char *name_or_uid, struct ecg_user *u)
{
	struct ecg_buf line = ECG_BUF_INIT;
	char *f[7];
	unsigned long id;
	int by_number = number(name_or_uid, &id);
	size_t n = entry("passwd", "/etc/passwd", name_or_uid, by_number, &line, f, 7);

	memset(u, 0, sizeof(*u));
	if (n < 7) {
		ecg_buf_free(&line);
		if (!by_number)
			return -ENOENT;
		/* A uid no database knows: it may still be used, with no name and / as home. */
		u->uid = (uid_t)id;
		u->gid = (gid_t)-1;
		strcpy(u->home, "/");
		strcpy(u->shell, "/bin/sh");
		return 0;
	}
	snprintf(u->name, sizeof(u->name), "%s", f[0]);
	u->uid = (uid_t)strtoul(f[2], NULL, 10);
	u->gid = (gid_t)strtoul(f[3], NULL, 10);
	snprintf(u->home, sizeof(u->home), "%s", f[5][0] != '\0' ? f[5] : "/");
	snprintf(u->shell, sizeof(u->shell), "%s", f[6][0] != '\0' ? f[6] : "/bin/sh");
	ecg_buf_free(&line);
	return 0;
}

int
ecg_userdb_group(const char *name_or_gid, gid_t *gid)
{
	struct ecg_buf line = ECG_BUF_INIT;
	char *f[4];
	unsigned long id;
	int by_number = number(name_or_gid, &id);
	size_t n = entry("group", "/etc/group", name_or_gid, by_number, &line, f, 4);

	if (n >= 3)
		*gid = (gid_t)strtoul(f[2], NULL, 10);
	else if (by_number)
		*gid = (gid_t)id;	/* a gid no database knows: it may still be used */
	ecg_buf_free(&line);
	return n >= 3 || by_number ? 0 : -ENOENT;
}

static int
push(gid_t **g, size_t *n, gid_t id)
{
	gid_t *p;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*g)[i] == id)
			return 0;
	if ((p = realloc(*g, (*n + 1) * sizeof(*p))) == NULL)
		return -ENOMEM;
	*g = p;
	p[(*n)++] = id;
	return 0;
}

int
ecg_userdb_groups(const char *name, gid_t gid, gid_t **groups, size_t *n)
{
	struct ecg_buf out = ECG_BUF_INIT;
	FILE *f;
	char *l = NULL, *p, *members, *m;
	size_t cap = 0;
	int rc = 0;

	*groups = NULL;
	*n = 0;
	if (gid != (gid_t)-1 && push(groups, n, gid) < 0)
		return -ENOMEM;
	if (name[0] == '\0')
		return 0;
	/* The name service's answer, which knows more than the files; else the files. */
	if (getent("initgroups", name, &out) == 0) {
		for (p = strtok(out.p, " \t"); p != NULL && rc == 0; p = strtok(NULL, " \t"))
			if (p != out.p && *p >= '0' && *p <= '9')
				rc = push(groups, n, (gid_t)strtoul(p, NULL, 10));
		ecg_buf_free(&out);
		return rc;
	}
	ecg_buf_free(&out);
	if ((f = fopen("/etc/group", "re")) == NULL)
		return 0;
	while (rc == 0 && getline(&l, &cap, f) > 0) {
		char *fld[4];
		size_t k;
		l[strcspn(l, "\n")] = '\0';
		for (k = 0, p = l; k < 4 && p != NULL; k++) {
			fld[k] = p;
			if ((p = strchr(p, ':')) != NULL)
				*p++ = '\0';
		}
		if (k < 4)
			continue;
		for (members = fld[3]; (m = strsep(&members, ",")) != NULL;)
			if (strcmp(m, name) == 0)
				rc = push(groups, n, (gid_t)strtoul(fld[2], NULL, 10));
	}
	fclose(f);
	free(l);
	return rc;
}
