/* The string index: lookups among many keys, growth, keys of any bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"
#include "tap.h"

static char names[100000][16];

static const char *
key_of(void *arg, size_t idx, size_t *len)
{
	(void)arg;
	*len = strcspn(names[idx], "=");
	return names[idx];
}

int
main(void)
{
	struct ecg_strmap m;
	size_t i, bad = 0;

	ecg_strmap_init(&m, key_of, NULL);
	ok(ecg_strmap_get(&m, "x", 1) == -1, "an empty map finds nothing");
	for (i = 0; i < 100000; i++) {
		snprintf(names[i], sizeof(names[i]), "V%zu=x", i);
		if (ecg_strmap_put(&m, i) < 0)
			bad++;
	}
	ok(bad == 0 && m.n == 100000, "100,000 keys put");
	for (i = 0; i < 100000; i++) {
		char k[16];
		int n = snprintf(k, sizeof(k), "V%zu", i);
		if (ecg_strmap_get(&m, k, (size_t)n) != (long)i)
			bad++;
	}
	ok(bad == 0, "each is found at its index (%zu not)", bad);
	ok(ecg_strmap_get(&m, "V100000", 7) == -1 && ecg_strmap_get(&m, "V1", 1) == -1 &&
	    ecg_strmap_get(&m, "V12", 3) == 12 && ecg_strmap_get(&m, "V12=x", 5) == -1,
	    "only the whole key matches");
	ok(m.cap >= 2 * m.n && (m.cap & (m.cap - 1)) == 0, "at most half full, a power of two");
	ecg_strmap_free(&m);
	ok(m.slots == NULL && ecg_strmap_get(&m, "V1", 2) == -1, "freed, it is empty again");
	return tap_done();
}
