/*
 * value: the typed settings of a configuration file, from text and back.
 * Each parser returns 0, or -EINVAL with a short reason for the user.
 */
#ifndef ECG_VALUE_H
#define ECG_VALUE_H

#include <stddef.h>

#include "base/buf.h"

/* Durations: "250ms", "10s", "1.5s", "2m", "1h"; a bare number is seconds. */
#define ECG_DURATION_MAX_MS (7L * 24 * 3600 * 1000)
int ecg_value_duration(const char *s, long *ms, const char **why);
/*
 * Formats a duration so that ecg_value_duration reads it back: in hours
 * or minutes from 2 of them on when they are whole, else s or ms.
 */
void ecg_value_format_duration(long ms, char *buf, size_t len);

/* A whole number from 0 to max. */
int ecg_value_count(const char *s, long max, long *n, const char **why);

/* Sizes from min to max: "4096", "64K", "64KiB", "1M", "1MiB", "1G" (powers of 1024). */
int ecg_value_size(const char *s, size_t min, size_t max, size_t *bytes, const char **why);
void ecg_value_format_size(size_t bytes, char *buf, size_t len);

/* Signals: "TERM", "SIGTERM", "term" or a number; any real signal but 0. */
int ecg_value_signal(const char *s, int *sig, const char **why);
/* "TERM" for SIGTERM, or the number for a signal without a name. */
const char *ecg_value_signame(int sig, char *buf, size_t len);

/*
 * The length of the UTF-8 sequence at s (n bytes left), or 0 if the bytes
 * there are not one: for renderings that must be valid UTF-8.
 */
size_t ecg_value_utf8_len(const unsigned char *s, size_t n);

/*
 * Variables in a value: ${NAME}, ${NAME:-default} (the default when NAME
 * is unset or empty, taken as it is), $NAME, and $$ for a $; a $ before
 * anything else is itself.  lookup gives a name's value (NULL: unset).
 * Appends the result to out: 0, or -1 with *unset and *unset_len the
 * first name that is unset without a default (or, for a ${ without its },
 * *unset NULL).
 */
typedef const char *ecg_value_lookup_fn(void *arg, const char *name, size_t len);
int ecg_value_expand(const char *s, ecg_value_lookup_fn *lookup, void *arg, struct ecg_buf *out,
    const char **unset, size_t *unset_len);

/* Levenshtein distance, ignoring case, for did-you-mean suggestions. */
size_t ecg_value_distance(const char *a, const char *b);

/* Did-you-mean: offer the candidates; the closest, within 2 edits, is best. */
struct ecg_suggest {
	const char *word;	/* what the user wrote */
	const char *best;	/* the closest candidate so far, or NULL */
	size_t dist;		/* its distance */
};
void ecg_suggest_init(struct ecg_suggest *s, const char *word);
void ecg_suggest_offer(struct ecg_suggest *s, const char *candidate);

#endif
