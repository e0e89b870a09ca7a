/*
 * ere: POSIX extended regular expressions for ready = line, compiled to a
 * small NFA and matched in time bounded by the line's length times the
 * expression's size, whatever the expression.
 *
 * glibc's regcomp and regexec are not bounded that way: a back-reference,
 * or repetitions of repetitions, can take minutes or all the memory there
 * is, and the match runs on the event loop, where nothing else (a signal,
 * a deadline, a cancellation) can happen until it returns.  So ecg-run
 * matches its own: the syntax is POSIX ERE in the C locale (bytes), plus
 * \d \w \s (\D \W \S), the word boundaries \b \B \< \>, and \` \' (the
 * line's start and end), as GNU and Perl users expect; a back-reference is
 * refused, and so is an escape of a letter or digit that means nothing here.
 */
#ifndef ECG_ERE_H
#define ECG_ERE_H

#include <stddef.h>

/*
 * Instructions at most, counts spelled out ("x{3}" is three x).  A line
 * costs at most its length times this many steps (about 4 ns each here):
 * a 4 KiB line at most about 16 ms, so that matching never holds the loop
 * (another task's lines, a signal, a timer) for long (see taskio.h).
 */
#define ECG_ERE_MAX_SIZE 1000
/* Groups inside one another, and repetitions of repetitions, at most. */
#define ECG_ERE_MAX_DEPTH 100

struct ecg_ere;

/*
 * Compiles pattern; 0 and *out, or an error with a reason in why (a short
 * phrase, no file or line): -EINVAL for bad syntax, -E2BIG past the
 * limits above (ECG_ERE_MAX_SIZE), -ENOMEM.
 */
int ecg_ere_compile(const char *pattern, struct ecg_ere **out, char *why, size_t whylen);

/* 1 if some part of the len bytes at s matches, else 0 (s may be NULL if len is 0). */
int ecg_ere_match(const struct ecg_ere *re, const char *s, size_t len);

/* How many instructions re compiled to, the final match left out. */
size_t ecg_ere_size(const struct ecg_ere *re);

void ecg_ere_free(struct ecg_ere *re);

#endif
