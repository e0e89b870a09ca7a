/*
 * logfile: whole lines from two streams, cut as the terminal cuts them,
 * stamped, rotated by size, and a file that cannot take them (/dev/full)
 * loses lines that are counted, with the failure told once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/logfile.h"
#include "tap.h"

static char dir[256];

/* The whole file at dir/name, or "<none>" if there is none. */
static const char *
slurp(const char *name)
{
	static char buf[4096];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return "<none>";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *
path_of(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void
put(struct ecg_logfile *lf, int stream, const char *s, const char *stamp)
{
	ecg_logfile_write(lf, stream, s, strlen(s), stamp);
}

int
main(void)
{
	struct ecg_logfile lf;
	const char *tmp = getenv("TMPDIR");
	const char *op;
	char *p;
	int i, rc;

	snprintf(dir, sizeof(dir), "%s/test_logfile.XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	/* Two streams: a line is never broken by the other stream's. */
	p = strdup(path_of("mix.log"));
	ecg_logfile_init(&lf, p, 0, 3, 64);
	ok(ecg_logfile_open(&lf) == 0, "a new file is created");
	put(&lf, 1, "out one\nout tw", NULL);
	put(&lf, 2, "err one\n", NULL);
	put(&lf, 1, "o\n", NULL);
	ecg_logfile_flush(&lf);
	ok(ecg_logfile_failure(&lf, &op) == 0, "flushed");
	ok(strcmp(slurp("mix.log"), "out one\nerr one\nout two\n") == 0,
	    "whole lines, in the order they were completed: %s", slurp("mix.log"));
	put(&lf, 2, "no newline", NULL);
	ecg_logfile_break(&lf, NULL);
	ecg_logfile_close(&lf);
	ok(ecg_logfile_failure(&lf, &op) == 0, "closed");
	ok(strcmp(slurp("mix.log"), "out one\nerr one\nout two\nno newline\n") == 0,
	    "a break ends a line without its newline");
	{
		struct stat st;
		mode_t mask = umask(0);
		umask(mask);
		ok(stat(p, &st) == 0 && (st.st_mode & 0777) == (0644 & ~mask),
		    "mode 0644 less the umask");
	}
	ecg_logfile_destroy(&lf);
	free(p);

	/* Stamps, and appending to what is there. */
	p = strdup(path_of("mix.log"));
	ecg_logfile_init(&lf, p, 0, 3, 64);
	ok(ecg_logfile_open(&lf) == 0, "reopened");
	put(&lf, 1, "late\n", "12:00:00.000 ");
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("mix.log"), "out one\nerr one\nout two\nno newline\n12:00:00.000 late\n")
	    == 0, "appended, with the stamp in front");
	ecg_logfile_destroy(&lf);
	free(p);

	/* A file that ends inside a line is not joined to the next one. */
	{
		FILE *f = fopen(path_of("torn.log"), "w");
		fputs("half", f);
		fclose(f);
	}
	p = strdup(path_of("torn.log"));
	ecg_logfile_init(&lf, p, 0, 3, 64);
	ecg_logfile_open(&lf);
	put(&lf, 1, "next\n", NULL);
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("torn.log"), "half\nnext\n") == 0, "a torn last line gets its newline");
	ecg_logfile_destroy(&lf);
	free(p);

	/* Cut at the longest line, as the terminal cuts it. */
	p = strdup(path_of("cut.log"));
	ecg_logfile_init(&lf, p, 0, 3, 8);
	ecg_logfile_open(&lf);
	put(&lf, 1, "0123456789\n", NULL);
	put(&lf, 1, "abcdefgh", NULL);
	put(&lf, 1, "\nend\n", NULL);
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("cut.log"), "01234567\n89\nabcdefgh\nend\n") == 0,
	    "long lines are cut, and a newline right after a cut is the cut's: %s",
	    slurp("cut.log"));
	ecg_logfile_destroy(&lf);
	free(p);

	/* Rotation: 10-byte lines, files of at most 20 bytes, 2 old ones kept. */
	p = strdup(path_of("rot.log"));
	ecg_logfile_init(&lf, p, 20, 2, 64);
	ecg_logfile_open(&lf);
	for (i = 1; i <= 7; i++) {
		char line[32];
		snprintf(line, sizeof(line), "line %04d\n", i);
		put(&lf, 1, line, NULL);
		ecg_logfile_flush(&lf);
	}
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("rot.log"), "line 0007\n") == 0, "the new file has the last line");
	ok(strcmp(slurp("rot.log.1"), "line 0005\nline 0006\n") == 0, ".1: the two before");
	ok(strcmp(slurp("rot.log.2"), "line 0003\nline 0004\n") == 0, ".2: older");
	ok(strcmp(slurp("rot.log.3"), "<none>") == 0, "no .3: the oldest is gone");
	ok(ecg_logfile_lost(&lf) == 0, "nothing lost");
	ecg_logfile_destroy(&lf);
	free(p);

	/* log_keep = 0: no old file. */
	p = strdup(path_of("zero.log"));
	ecg_logfile_init(&lf, p, 20, 0, 64);
	ecg_logfile_open(&lf);
	for (i = 1; i <= 5; i++) {
		put(&lf, 2, "abcdefghi\n", NULL);
		ecg_logfile_flush(&lf);
	}
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("zero.log"), "abcdefghi\n") == 0, "keep 0: only the current file");
	ok(strcmp(slurp("zero.log.1"), "<none>") == 0, "keep 0: no .1");
	ecg_logfile_destroy(&lf);
	free(p);

	/* A line longer than the limit is a file of its own. */
	p = strdup(path_of("big.log"));
	ecg_logfile_init(&lf, p, 20, 1, 64);
	ecg_logfile_open(&lf);
	put(&lf, 1, "short\n", NULL);
	put(&lf, 1, "a line of more than twenty bytes\n", NULL);
	put(&lf, 1, "after\n", NULL);
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("big.log.1"), "a line of more than twenty bytes\n") == 0,
	    "an overlong line goes whole into a new file");
	ok(strcmp(slurp("big.log"), "after\n") == 0, "and the next one starts another");
	ecg_logfile_destroy(&lf);
	free(p);

	/* A torn file's added newline counts: no file passes the size. */
	{
		FILE *f = fopen(path_of("tornmax.log"), "w");
		fputs("abc", f);
		fclose(f);
	}
	p = strdup(path_of("tornmax.log"));
	ecg_logfile_init(&lf, p, 10, 1, 64);
	ecg_logfile_open(&lf);
	put(&lf, 1, "123456\n", NULL);
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("tornmax.log"), "123456\n") == 0 && strcmp(slurp("tornmax.log.1"), "abc") == 0,
	    "abc, its newline and a 7-byte line would pass 10 bytes: a new file");
	ecg_logfile_destroy(&lf);
	free(p);

	/* Cut short from outside (copytruncate): the size is looked at again. */
	p = strdup(path_of("trunc.log"));
	ecg_logfile_init(&lf, p, 25, 1, 64);
	ecg_logfile_open(&lf);
	put(&lf, 1, "123456789\n123456789\n", NULL);
	ecg_logfile_flush(&lf);
	ok(truncate(p, 0) == 0, "truncated from outside");
	put(&lf, 1, "abcdefghi\n", NULL);
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("trunc.log"), "abcdefghi\n") == 0 && strcmp(slurp("trunc.log.1"), "<none>") == 0,
	    "no rotation of a file that was emptied");
	ecg_logfile_destroy(&lf);
	free(p);

	/* Only the old files there are moved, up to the first gap. */
	{
		FILE *f = fopen(path_of("gap.log.1"), "w");
		fputs("one\n", f);
		fclose(f);
		f = fopen(path_of("gap.log.3"), "w");
		fputs("three\n", f);
		fclose(f);
	}
	p = strdup(path_of("gap.log"));
	ecg_logfile_init(&lf, p, 1024, 3, 64);
	ecg_logfile_open(&lf);
	ok(lf.olds == 1, "one old file before the gap: %ld", lf.olds);
	for (i = 0; i < 103; i++)
		put(&lf, 1, "123456789\n", NULL);
	ecg_logfile_close(&lf);
	ok(strcmp(slurp("gap.log.2"), "one\n") == 0 && strcmp(slurp("gap.log.3"), "three\n") == 0,
	    ".1 moved to .2; .3 beyond the gap left as it was");
	ok(strlen(slurp("gap.log.1")) == 1020 && strcmp(slurp("gap.log"), "123456789\n") == 0,
	    "102 lines filled .1; the 103rd began the new file");
	ok(lf.olds == 2, "two old files now: %ld", lf.olds);
	ecg_logfile_destroy(&lf);
	free(p);

	/* A file that takes nothing: lines counted lost, the failure told once. */
	ecg_logfile_init(&lf, "/dev/full", 20, 3, 64);
	ok(ecg_logfile_open(&lf) == 0, "/dev/full opens");
	put(&lf, 1, "one\ntwo\n", NULL);
	ecg_logfile_flush(&lf);
	ok(ecg_logfile_untold(&lf), "a failure waits to be told");
	rc = ecg_logfile_failure(&lf, &op);
	ok(rc == ENOSPC && strcmp(op, "write") == 0, "the first failure is told: %d", rc);
	put(&lf, 1, "three\n", NULL);
	ecg_logfile_flush(&lf);
	ok(ecg_logfile_failure(&lf, &op) == 0 && !ecg_logfile_untold(&lf), "and only once");
	ok(ecg_logfile_lost(&lf) == 3, "its lines are counted: %llu",
	    (unsigned long long)ecg_logfile_lost(&lf));
	ok(!lf.regular, "a device is never rotated");
	ecg_logfile_close(&lf);
	ecg_logfile_destroy(&lf);

	/*
	 * A large run of whole lines with nothing waiting goes out from the
	 * caller's buffer (no copy); a small one waits in the batch, and a
	 * large one after it keeps the order.  Every byte is there, once.
	 */
	{
		size_t big = 40000, n = 0, k;
		char *lines = malloc(big + 64), *want = malloc(3 * big + 256), *got;
		FILE *f;

		for (k = 0; n + 32 < big; k++)
			n += (size_t)sprintf(lines + n, "line %06zu of the run\n", k);
		ecg_logfile_init(&lf, path_of("direct.log"), 0, 3, 65536);
		ok(ecg_logfile_open(&lf) == 0, "direct.log opens");
		ecg_logfile_write(&lf, 1, lines, n, NULL);
		ok(ecg_logfile_waiting(&lf) == 0, "a large run is written at once, not batched");
		put(&lf, 2, "small\n", NULL);
		ok(ecg_logfile_waiting(&lf) == 6, "a small one waits in the batch");
		ecg_logfile_write(&lf, 1, lines, n, NULL);
		put(&lf, 1, "part", NULL);
		ecg_logfile_write(&lf, 1, lines, n, NULL);
		ecg_logfile_close(&lf);
		ecg_logfile_destroy(&lf);
		memcpy(want, lines, n);
		memcpy(want + n, "small\n", 6);
		memcpy(want + n + 6, lines, n);
		memcpy(want + 2 * n + 6, "part", 4);
		memcpy(want + 2 * n + 10, lines, n);
		got = malloc(3 * big + 256);
		f = fopen(path_of("direct.log"), "r");
		k = f != NULL ? fread(got, 1, 3 * big + 256, f) : 0;
		if (f != NULL)
			fclose(f);
		ok(k == 3 * n + 10 && memcmp(got, want, k) == 0,
		    "every line in order, the batch's before the run after it: %zu of %zu bytes",
		    k, 3 * n + 10);
		free(got);

		/* A file left inside a line gets its newline before a large run too. */
		f = fopen(path_of("torndirect.log"), "w");
		if (f != NULL) {
			fputs("half", f);
			fclose(f);
		}
		ecg_logfile_init(&lf, path_of("torndirect.log"), 0, 3, 65536);
		ok(ecg_logfile_open(&lf) == 0, "torndirect.log opens");
		ecg_logfile_write(&lf, 1, lines, n, NULL);
		ecg_logfile_close(&lf);
		ecg_logfile_destroy(&lf);
		got = malloc(big + 256);
		f = fopen(path_of("torndirect.log"), "r");
		k = f != NULL ? fread(got, 1, big + 256, f) : 0;
		if (f != NULL)
			fclose(f);
		ok(k == n + 5 && memcmp(got, "half\n", 5) == 0 && memcmp(got + 5, lines, n) == 0,
		    "a torn file's newline comes first: %zu of %zu bytes", k, n + 5);
		free(got);

		ecg_logfile_init(&lf, "/dev/full", 0, 3, 65536);
		ok(ecg_logfile_open(&lf) == 0, "/dev/full opens again");
		ecg_logfile_write(&lf, 1, lines, n, NULL);
		ok(ecg_logfile_lost(&lf) == (unsigned long long)(n / 23),
		    "a large run that cannot be written is counted lost, line by line: %llu",
		    (unsigned long long)ecg_logfile_lost(&lf));
		ok(ecg_logfile_failure(&lf, &op) == ENOSPC, "and the failure is told");
		ecg_logfile_close(&lf);
		ecg_logfile_destroy(&lf);
		free(lines);
		free(want);
	}

	/* A directory that is not there. */
	p = strdup(path_of("missing/x.log"));
	ecg_logfile_init(&lf, p, 0, 3, 64);
	ok(ecg_logfile_open(&lf) == -ENOENT, "a missing directory: ENOENT");
	ecg_logfile_destroy(&lf);
	free(p);

	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return tap_done();
}
