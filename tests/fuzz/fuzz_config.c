/*
 * libFuzzer target for the configuration loader.
 *
 * Each input is loaded as an INI file.  When it loads, the group printed
 * by --check must load again and print the same: a value that does not
 * survive that round trip was changed on the way in or out.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"

static char *
printed(const struct ecg_group_spec *g, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	ecg_config_print(g, f);
	fclose(f);
	return text;
}

static int
load_bytes(struct ecg_group_spec *g, const void *data, size_t size, struct ecg_buf *err)
{
	char path[64];
	int fd = memfd_create("fuzz.ini", MFD_CLOEXEC), rc;

	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ecg_buf_reset(err);
	rc = ecg_config_load(g, path, err);
	close(fd);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecg_group_spec g, again;
	static struct ecg_buf errb = ECG_BUF_INIT;
	const char *err;
	char *first, *second;
	size_t n1, n2;

	if (load_bytes(&g, data, size, &errb) < 0) {
		err = ecg_buf_str(&errb);
		/* Every error names the file and a line. */
		if (strncmp(err, "/proc/self/fd/", 14) != 0 || strchr(err, ':') == NULL)
			abort();
		ecg_config_free(&g);
		return 0;
	}
	first = printed(&g, &n1);
	ecg_config_free(&g);
	if (load_bytes(&again, first, n1, &errb) < 0) {
		fprintf(stderr, "printed group does not load: %s\n%s", ecg_buf_str(&errb), first);
		abort();
	}
	second = printed(&again, &n2);
	ecg_config_free(&again);
	/* The first line names the file, which differs. */
	if (strcmp(strchr(first, '\n'), strchr(second, '\n')) != 0) {
		fprintf(stderr, "round trip changed the group:\n%s\n---\n%s", first, second);
		abort();
	}
	free(first);
	free(second);
	return 0;
}
