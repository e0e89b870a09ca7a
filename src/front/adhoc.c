#define _GNU_SOURCE
#include "front/adhoc.h"

#include <string.h>

#include "config/config.h"

static int
valid_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > ECG_CONFIG_NAME_MAX || strncmp(s, "group", len) == 0)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int
ecg_adhoc_ini(char *const *cmds, size_t n, const char *names, const char *cancel_on,
    struct ecg_buf *ini, struct ecg_buf *err)
{
	const char *p = names;
	size_t i, len;

	if (n == 0) {
		ecg_buf_puts(err, "no command after --");
		return -1;
	}
	if (cancel_on != NULL)
		ecg_buf_printf(ini, "[group]\ncancel_on = %s\n", cancel_on);
	for (i = 0; i < n; i++) {
		if (cmds[i][0] == '\0') {
			ecg_buf_printf(err, "command %zu is empty", i + 1);
			return -1;
		}
		if (p != NULL && *p != '\0') {
			len = strcspn(p, ",");
			if (!valid_name(p, len)) {
				ecg_buf_printf(err, "--names: '%.*s' is no task name (1 to %d of A-Z a-z "
				    "0-9 _ . -)", (int)len, p, ECG_CONFIG_NAME_MAX);
				return -1;
			}
			ecg_buf_printf(ini, "[%.*s]\n", (int)len, p);
			p += len + (p[len] == ',');
		} else {
			ecg_buf_printf(ini, "[%zu]\n", i + 1);
		}
		ecg_config_value_text(ini, "command", cmds[i]);
	}
	if (p != NULL && *p != '\0') {
		ecg_buf_printf(err, "--names names more tasks than there are commands (%zu)", n);
		return -1;
	}
	return 0;
}
