#define _GNU_SOURCE
#include "output/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/safeopen.h"
#include "sys/spawn.h"

/*
 * A run of whole lines this long, with nothing in the batch, is written at
 * once from the reader's buffer; a shorter one waits in the batch for
 * others (a write for each small read would cost more than the copy).
 */
#define DIRECT_MIN ((size_t)16 * 1024)

void
ecg_logfile_init(struct ecg_logfile *lf, const char *path, uint64_t max_size, long keep,
    size_t line_max)
{
	memset(lf, 0, sizeof(*lf));
	lf->path = path;
	lf->fd = -1;
	lf->max_size = max_size;
	lf->keep = keep;
	lf->line_max = line_max > 0 ? line_max : 1;
}

void
ecg_logfile_destroy(struct ecg_logfile *lf)
{
	int i;

	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	for (i = 0; i < 2; i++) {
		free(lf->part[i].bytes);
		lf->part[i].bytes = NULL;
	}
	free(lf->batch);
	lf->batch = NULL;
}

/* The first failure of its kind is kept, to be told once. */
static void
failed(struct ecg_logfile *lf, const char *op, int err)
{
	struct ecg_logfile_failure *f = &lf->fail[strcmp(op, "rotate") == 0];

	if (f->err != 0)
		return;
	f->err = err;
	f->op = op;
}

int
ecg_logfile_failure(struct ecg_logfile *lf, const char **op)
{
	int i;

	for (i = 0; i < 2; i++)
		if (lf->fail[i].err != 0 && !lf->fail[i].told) {
			lf->fail[i].told = 1;
			*op = lf->fail[i].op;
			return lf->fail[i].err;
		}
	return 0;
}

int
ecg_logfile_untold(const struct ecg_logfile *lf)
{
	return (lf->fail[0].err != 0 && !lf->fail[0].told) ||
	    (lf->fail[1].err != 0 && !lf->fail[1].told);
}

/* PATH.k, in buf of at least strlen(path) + 24 bytes. */
static void
old_name(const struct ecg_logfile *lf, long k, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%ld", lf->path, k);
}

/* How many old files there are, PATH.1 on, with no gap: those rotation moves. */
static void
count_olds(struct ecg_logfile *lf)
{
	size_t len = strlen(lf->path) + 24;
	char *name = malloc(len);
	struct stat st;

	lf->counted = 1;
	lf->olds = 0;
	/* Without memory, every name is tried when it turns over. */
	if (name == NULL) {
		lf->olds = lf->keep;
		return;
	}
	while (lf->olds < lf->keep) {
		old_name(lf, lf->olds + 1, name, len);
		if (lstat(name, &st) < 0)
			break;
		lf->olds++;
	}
	free(name);
}

int
ecg_logfile_open(struct ecg_logfile *lf)
{
	struct stat st;
	int fd;

	if (lf->fd >= 0)
		return 0;
	/* Never through a link another user planted (safeopen.h), at a rotation too. */
	fd = ecg_safeopen_append(lf->path, O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	lf->fd = ecg_spawn_park_fd(fd);
	lf->regular = S_ISREG(st.st_mode);
	lf->size = lf->regular ? (uint64_t)st.st_size : 0;
	if (lf->regular && lf->max_size > 0 && !lf->counted)
		count_olds(lf);
	/* A file left inside a line (by a run that was cut short) is not joined to ours. */
	if (lf->regular && st.st_size > 0) {
		char last = '\n', self[64];
		int rd;
		/* The file just opened, not whatever its path names by now. */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", lf->fd);
		rd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (rd >= 0) {
			if (pread(rd, &last, 1, st.st_size - 1) == 1 && last != '\n')
				lf->torn = 1;
			close(rd);
		}
	}
	return 0;
}

static size_t
count_lines(const char *b, size_t n)
{
	size_t lines = 0;
	const char *nl;

	while (n > 0 && (nl = memchr(b, '\n', n)) != NULL) {
		lines++;
		n -= (size_t)(nl - b) + 1;
		b = nl + 1;
	}
	return lines;
}

/* The batch's lines count as lost. */
static void
lose_batch(struct ecg_logfile *lf, size_t from)
{
	lf->lost += count_lines(lf->batch + from, lf->len - from);
	lf->len = 0;
}

/* Writes n bytes of b as far as the file takes them: how many went (failed says why not). */
static size_t
write_span(struct ecg_logfile *lf, const char *b, size_t n)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		r = write(lf->fd, b + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			failed(lf, "write", r < 0 ? errno : EIO);
			break;
		}
		lf->size += (uint64_t)r;
		off += (size_t)r;
	}
	return off;
}

/*
 * Writes span bytes of whole lines from where they are, the file not
 * being torn; what fails to go is lost, and a line written in part
 * leaves the file torn.
 */
static void
write_direct(struct ecg_logfile *lf, const char *b, size_t span)
{
	size_t off = write_span(lf, b, span);

	if (off < span) {
		if (off > 0 && b[off - 1] != '\n')
			lf->torn = 1;
		lf->lost += count_lines(b + off, span - off);
	}
}

/* Writes the batch (and a newline ending a torn line first); what fails to go is lost. */
static void
write_batch(struct ecg_logfile *lf)
{
	if (lf->len == 0)
		return;
	if (lf->fd >= 0 && lf->torn && write_span(lf, "\n", 1) == 1)
		lf->torn = 0;
	if (lf->fd < 0 || lf->torn)
		lose_batch(lf, 0);
	else
		write_direct(lf, lf->batch, lf->len);
	lf->len = 0;
}

/* PATH becomes PATH.1 (the older ones move up), and a new PATH is begun. */
static void
rotate(struct ecg_logfile *lf)
{
	size_t len = strlen(lf->path) + 24;
	char *from = malloc(len), *to = malloc(len);
	long k;
	int rc;

	if (from == NULL || to == NULL) {
		failed(lf, "rotate", ENOMEM);
		lf->max_size = 0;
		goto out;
	}
	for (k = lf->olds < lf->keep - 1 ? lf->olds : lf->keep - 1; k >= 1; k--) {
		old_name(lf, k, from, len);
		old_name(lf, k + 1, to, len);
		if (rename(from, to) < 0 && errno != ENOENT) {
			failed(lf, "rotate", errno);
			lf->max_size = 0;
			goto out;
		}
	}
	if (lf->keep > 0) {
		old_name(lf, 1, to, len);
		rc = rename(lf->path, to);
	} else
		rc = unlink(lf->path);
	if (rc < 0) {
		/* It grows on: better than losing its lines. */
		failed(lf, "rotate", errno);
		lf->max_size = 0;
		goto out;
	}
	if (lf->olds < lf->keep)
		lf->olds++;
	close(lf->fd);
	lf->fd = -1;
	lf->torn = 0;
	if ((rc = ecg_logfile_open(lf)) < 0)
		failed(lf, "open", -rc);
out:
	free(from);
	free(to);
}

/* The file's bytes, with those waiting to be written. */
static uint64_t
used(const struct ecg_logfile *lf)
{
	return lf->size + lf->len + (unsigned)lf->torn;
}

/* Room for need bytes in a buffer that grows by doubling from first; 0, or -1. */
static int
grow(char **bytes, size_t *cap, size_t need, size_t first)
{
	size_t c;
	char *p;

	if (need <= *cap)
		return 0;
	c = *cap > 0 ? *cap : first;
	while (c < need)
		c *= 2;
	if ((p = realloc(*bytes, c)) == NULL)
		return -1;
	*bytes = p;
	*cap = c;
	return 0;
}

/* Room for n more bytes in the batch. */
static int
batch_room(struct ecg_logfile *lf, size_t n)
{
	return grow(&lf->batch, &lf->cap, lf->len + n, 4096);
}

/* One whole line: the stream's part so far, then b; the file may turn over first. */
static void
put_line(struct ecg_logfile *lf, struct ecg_logfile_part *part, const char *b, size_t n,
    const char *stamp)
{
	size_t slen = stamp != NULL ? strlen(stamp) : 0, total = slen + part->len + n + 1;

	/* A file that could not be opened again is tried once a write. */
	if (lf->fd < 0 && lf->retry) {
		int rc;
		lf->retry = 0;
		if ((rc = ecg_logfile_open(lf)) < 0)
			failed(lf, "open", -rc);
	}
	if (lf->max_size > 0 && lf->regular && lf->fd >= 0 &&
	    used(lf) > 0 && used(lf) + total > lf->max_size) {
		/* The file may have been cut short from outside (copytruncate). */
		struct stat st;
		if (fstat(lf->fd, &st) == 0)
			lf->size = (uint64_t)st.st_size;
		if (used(lf) > 0 && used(lf) + total > lf->max_size) {
			write_batch(lf);
			rotate(lf);
		}
	}
	if (lf->fd < 0) {
		/* Nowhere to put it. */
		lf->lost++;
	} else if (batch_room(lf, total) < 0) {
		lf->lost++;
		failed(lf, "write", ENOMEM);
	} else {
		char *p = lf->batch + lf->len;
		if (slen > 0)
			memcpy(p, stamp, slen);
		if (part->len > 0)
			memcpy(p + slen, part->bytes, part->len);
		if (n > 0)
			memcpy(p + slen + part->len, b, n);
		lf->batch[lf->len + total - 1] = '\n';
		lf->len += total;
	}
	part->len = 0;
}

/* Keeps the start of a line for its newline; 0, or -1 out of memory. */
static int
keep_part(struct ecg_logfile_part *part, const char *b, size_t n)
{
	if (grow(&part->bytes, &part->cap, part->len + n, 256) < 0)
		return -1;
	memcpy(part->bytes + part->len, b, n);
	part->len += n;
	return 0;
}

/*
 * Whole lines at b, without a stamp, go into the batch in one copy, as far
 * as none is to be cut and the file has room for them (a line that would
 * pass log_max_size is left to put_line, which begins the next file).  A
 * large run of them with nothing waiting before it is written from where
 * it is, with no copy; and where no line of b can be too long and the
 * file has no size limit, the run ends at b's last newline, found with one
 * look from the end instead of one a line.  Returns the bytes taken.
 */
static size_t
bulk_lines(struct ecg_logfile *lf, const char *b, size_t n)
{
	const char *p = b, *end = b + n, *nl;
	uint64_t room = UINT64_MAX, u = used(lf);
	size_t span = 0, line;

	if (lf->fd < 0)
		return 0;
	if (lf->max_size > 0 && lf->regular)
		room = u < lf->max_size ? lf->max_size - u : 0;
	if (room == UINT64_MAX && n <= lf->line_max) {
		nl = memrchr(b, '\n', n);
		span = nl != NULL ? (size_t)(nl - b) + 1 : 0;
	} else {
		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			line = (size_t)(nl - p) + 1;
			if (line - 1 > lf->line_max || span + line > room)
				break;
			span += line;
			p = nl + 1;
		}
	}
	if (span == 0)
		return 0;
	if (lf->len == 0 && !lf->torn && span >= DIRECT_MIN) {
		write_direct(lf, b, span);
		return span;
	}
	if (batch_room(lf, span) < 0)
		return 0;
	memcpy(lf->batch + lf->len, b, span);
	lf->len += span;
	return span;
}

void
ecg_logfile_write(struct ecg_logfile *lf, int stream, const char *b, size_t n,
    const char *stamp)
{
	struct ecg_logfile_part *part = &lf->part[stream == 2];
	const char *nl;
	size_t take, room;

	lf->retry = 1;
	while (n > 0) {
		if (part->cut) {
			/* A line cut by us: if the task's own newline comes next, it is ours. */
			part->cut = 0;
			if (*b == '\n') {
				b++;
				n--;
				continue;
			}
		}
		if (part->len == 0 && stamp == NULL) {
			take = bulk_lines(lf, b, n);
			b += take;
			n -= take;
			if (n == 0)
				break;
		}
		nl = memchr(b, '\n', n);
		take = nl != NULL ? (size_t)(nl - b) : n;
		room = lf->line_max - part->len;
		if (nl != NULL && take <= room) {
			put_line(lf, part, b, take, stamp);
			take++;
		} else if (take >= room) {
			/* As long as a line may be: it is cut here, as on the terminal. */
			take = room;
			put_line(lf, part, b, take, stamp);
			part->cut = 1;
		} else if (keep_part(part, b, take) < 0) {
			/* The line's start is gone: it counts as lost. */
			part->len = 0;
			lf->lost++;
			failed(lf, "write", ENOMEM);
		}
		b += take;
		n -= take;
	}
}

void
ecg_logfile_break(struct ecg_logfile *lf, const char *stamp)
{
	int i;

	lf->retry = 1;
	for (i = 0; i < 2; i++) {
		if (lf->part[i].len > 0)
			put_line(lf, &lf->part[i], "", 0, stamp);
		lf->part[i].cut = 0;
	}
}

void
ecg_logfile_flush(struct ecg_logfile *lf)
{
	write_batch(lf);
}

void
ecg_logfile_close(struct ecg_logfile *lf)
{
	write_batch(lf);
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
}

uint64_t
ecg_logfile_lost(const struct ecg_logfile *lf)
{
	return lf->lost;
}

size_t
ecg_logfile_waiting(const struct ecg_logfile *lf)
{
	return lf->len;
}
