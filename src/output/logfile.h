/*
 * logfile: a task's log file (log = PATH).
 *
 * The task's lines are appended whole, its stdout and stderr interleaved
 * in the order they were read: each stream's line is put together apart
 * from the other's, and goes into the file once its newline comes (or
 * once it is as long as the terminal lets a line be: it is cut there, as
 * on the terminal, and a newline added).  A line may start with a stamp.
 * Lines wait in a batch, written with one write(2) by ecg_logfile_flush.
 *
 * Past max_size bytes the file is rotated: PATH becomes PATH.1, older
 * ones move up to PATH.KEEP, the one beyond is overwritten, and a new
 * PATH is begun.  A line that would take the file past max_size begins
 * the new one, so no file is larger (but for one line longer than that).
 * Only a regular file is rotated.
 *
 * Writing never waits for the file: it is opened O_NONBLOCK (a FIFO with
 * no room loses lines), and lines that a write fails to take (a full
 * disk, EIO) are counted as lost.  The caller hears of the first failure
 * of each kind once; writing goes on, and lines get through again once the
 * file takes them.  This module touches only its file (and its old ones).
 */
#ifndef ECG_LOGFILE_H
#define ECG_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

struct ecg_logfile_part {
	char *bytes;		/* a stream's line so far, or NULL */
	size_t len, cap;
	int cut;		/* the last line was cut: a newline next is its own */
};

/* A failure of one kind, kept to be told once. */
struct ecg_logfile_failure {
	int err;		/* its errno, 0 before any */
	const char *op;		/* what failed: "write", "open", "rotate" */
	int told;		/* ecg_logfile_failure has returned it */
};

struct ecg_logfile {
	const char *path;	/* borrowed */
	int fd;			/* -1 while not open */
	int regular;		/* a regular file: it may be rotated */
	uint64_t size;		/* bytes in the current file */
	uint64_t max_size;	/* 0: no limit */
	long keep;		/* old files kept */
	long olds;		/* PATH.1 to PATH.olds are there, as far as we know */
	int counted;		/* olds was counted (at the first open) */
	int retry;		/* a failed reopen may be tried again in this write */
	size_t line_max;	/* a longer line is cut */
	struct ecg_logfile_part part[2];	/* stdout's and stderr's */
	char *batch;		/* whole lines waiting for write(2) */
	size_t len, cap;
	int torn;		/* the file ends inside a line: a newline goes first */
	uint64_t lost;		/* lines lost */
	struct ecg_logfile_failure fail[2];	/* the first in writing (or reopening), in rotating */
};

void ecg_logfile_init(struct ecg_logfile *lf, const char *path, uint64_t max_size, long keep,
    size_t line_max);
/* Frees the memory and closes the file (call ecg_logfile_close first to keep its lines). */
void ecg_logfile_destroy(struct ecg_logfile *lf);

/* Opens (or creates, 0644 less the umask) for appending, unless open.  0 or -errno. */
int ecg_logfile_open(struct ecg_logfile *lf);

/*
 * Bytes that stream (1 or 2) gave: its lines that are complete now go in
 * the batch, each after stamp (unless NULL).
 */
void ecg_logfile_write(struct ecg_logfile *lf, int stream, const char *b, size_t n,
    const char *stamp);
/* Lines not ended yet are ended now with a newline (a run is over). */
void ecg_logfile_break(struct ecg_logfile *lf, const char *stamp);
/* Writes the batch; lines it fails to write are counted as lost. */
void ecg_logfile_flush(struct ecg_logfile *lf);
/* Writes the batch and closes the file. */
void ecg_logfile_close(struct ecg_logfile *lf);
/*
 * The first failure of a kind (writing, rotating) not told yet: its errno,
 * with *op saying what failed; 0 when there is none.  Each is told once;
 * later failures of that kind only count their lines.
 */
int ecg_logfile_failure(struct ecg_logfile *lf, const char **op);
/* Whether there is a failure ecg_logfile_failure has not told yet. */
int ecg_logfile_untold(const struct ecg_logfile *lf);

/* Bytes of whole lines waiting for ecg_logfile_flush. */
size_t ecg_logfile_waiting(const struct ecg_logfile *lf);
/* Lines that could not be written. */
uint64_t ecg_logfile_lost(const struct ecg_logfile *lf);

#endif
