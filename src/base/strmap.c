#include "base/strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a: short keys, no adversary worth a keyed hash (the file is the user's own). */
static uint32_t
hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

void
ecg_strmap_init(struct ecg_strmap *m, ecg_strmap_key_fn key, void *arg)
{
	m->slots = NULL;
	m->cap = 0;
	m->n = 0;
	m->key = key;
	m->arg = arg;
}

void
ecg_strmap_free(struct ecg_strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->n = 0;
}

long
ecg_strmap_get(const struct ecg_strmap *m, const char *s, size_t len)
{
	uint32_t h = hash(s, len);
	size_t i, klen;
	const char *k;

	if (m->slots == NULL)
		return -1;
	for (i = h & (m->cap - 1); m->slots[i].item != 0; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].hash != h)
			continue;
		k = m->key(m->arg, m->slots[i].item - 1, &klen);
		if (klen == len && memcmp(k, s, len) == 0)
			return (long)m->slots[i].item - 1;
	}
	return -1;
}

/* Puts a slot where its hash probes to (the table has room). */
static void
place(struct ecg_strmap_slot *slots, size_t cap, struct ecg_strmap_slot s)
{
	size_t i;

	for (i = s.hash & (cap - 1); slots[i].item != 0; i = (i + 1) & (cap - 1))
		;
	slots[i] = s;
}

int
ecg_strmap_put(struct ecg_strmap *m, size_t idx)
{
	struct ecg_strmap_slot *slots, s;
	size_t cap, i, len;
	const char *k;

	if (idx >= UINT32_MAX)
		return -ENOMEM;
	/* At most half full: probes stay short. */
	if (2 * (m->n + 1) > m->cap) {
		cap = m->cap != 0 ? 2 * m->cap : 16;
		slots = calloc(cap, sizeof(*slots));
		if (slots == NULL)
			return -ENOMEM;
		for (i = 0; i < m->cap; i++)
			if (m->slots[i].item != 0)
				place(slots, cap, m->slots[i]);
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	k = m->key(m->arg, idx, &len);
	s.hash = hash(k, len);
	s.item = (uint32_t)idx + 1;
	place(m->slots, m->cap, s);
	m->n++;
	return 0;
}
