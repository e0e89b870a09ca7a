/*
 * libFuzzer target for the ERE matcher of ready = line.
 *
 * An input is an expression, a newline, and a line.  Whatever the bytes,
 * compiling must end with a program within the size limit or a reason,
 * and matching must end (the fuzzer's timeout catches a match that does
 * not) with the same answer each time the compiled expression is reused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/ere.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl != NULL ? (size_t)(nl - data) : size;
	const char *line = nl != NULL ? (const char *)nl + 1 : "";
	size_t len = nl != NULL ? size - plen - 1 : 0;
	char *pattern = malloc(plen + 1), why[256];
	struct ecg_ere *re;
	int first;

	if (pattern == NULL)
		return 0;
	memcpy(pattern, data, plen);
	pattern[plen] = '\0';
	if (len > 4096)
		len = 4096;
	if (ecg_ere_compile(pattern, &re, why, sizeof(why)) < 0) {
		if (why[0] == '\0')
			abort();
	} else {
		if (ecg_ere_size(re) > ECG_ERE_MAX_SIZE)
			abort();
		first = ecg_ere_match(re, line, len);
		if (ecg_ere_match(re, line, len) != first || ecg_ere_match(re, "", 0) < 0)
			abort();
		ecg_ere_free(re);
	}
	free(pattern);
	return 0;
}
