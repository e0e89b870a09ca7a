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
 * \d \w \s (\D \W \S) and the word boundaries \b \B \< \>, as GNU and Perl
 * users expect; a back-reference is refused, and so is an escape of a
 * letter or digit that means nothing here.
 */
#ifndef ECG_ERE_H
#define ECG_ERE_H

#include <stddef.h>

/* Instructions at most, repetitions spelled out ("x{3}" is three x). */
#define ECG_ERE_MAX_SIZE 5000
/* Groups and repetitions inside one another, at most. */
#define ECG_ERE_MAX_DEPTH 100

struct ecg_ere;

/*
 * Compiles pattern; 0 and *out, or -EINVAL with a reason in why (a short
 * phrase, no file or line), or -ENOMEM.
 */
int ecg_ere_compile(const char *pattern, struct ecg_ere **out, char *why, size_t whylen);

/* 1 if some part of the len bytes at s matches, else 0. */
int ecg_ere_match(const struct ecg_ere *re, const char *s, size_t len);

/* How many instructions re compiled to. */
size_t ecg_ere_size(const struct ecg_ere *re);

void ecg_ere_free(struct ecg_ere *re);

#endif
