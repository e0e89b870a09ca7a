/*
 * strmap: an index of strings kept elsewhere, for lookups in constant time.
 *
 * The map holds no strings: it maps a key's hash to the index of the item
 * that has it, and asks the caller's key function for an item's key to
 * compare.  It serves the config loader, so that a file of 100,000
 * sections or env lines loads in time linear in its size (a name is
 * looked up among all the names before it).
 */
#ifndef ECG_STRMAP_H
#define ECG_STRMAP_H

#include <stddef.h>
#include <stdint.h>

/* The key of item idx, and its length. */
typedef const char *(*ecg_strmap_key_fn)(void *arg, size_t idx, size_t *len);

struct ecg_strmap_slot {
	uint32_t hash;
	uint32_t item;			/* index + 1; 0: empty */
};

struct ecg_strmap {
	struct ecg_strmap_slot *slots;	/* NULL until the first put */
	size_t cap;			/* a power of two */
	size_t n;
	ecg_strmap_key_fn key;
	void *arg;
};

void ecg_strmap_init(struct ecg_strmap *m, ecg_strmap_key_fn key, void *arg);
void ecg_strmap_free(struct ecg_strmap *m);
/* The index of the item whose key is the len bytes at s, or -1. */
long ecg_strmap_get(const struct ecg_strmap *m, const char *s, size_t len);
/* Adds item idx under its key (not there yet).  0, or -ENOMEM. */
int ecg_strmap_put(struct ecg_strmap *m, size_t idx);

#endif
