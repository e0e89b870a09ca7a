#define _GNU_SOURCE
#include "control/sockpath.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
ecg_sockpath_dir(const char *runtime_dir, struct ecg_buf *out)
{
	if (runtime_dir != NULL && runtime_dir[0] == '/')
		ecg_buf_printf(out, "%s/ecg-run", runtime_dir);
	else
		ecg_buf_printf(out, "/tmp/ecg-run-%lu", (unsigned long)geteuid());
}

int
ecg_sockpath_dir_safe(const char *dir, struct ecg_buf *err)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		ecg_buf_printf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		ecg_buf_printf(err, "%s is not a directory%s", dir,
		    S_ISLNK(st.st_mode) ? " (a symlink)" : "");
		return -1;
	}
	if (st.st_uid != geteuid()) {
		ecg_buf_printf(err, "%s belongs to another user (uid %lu): refused", dir,
		    (unsigned long)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		ecg_buf_printf(err, "%s may be written by other users (mode %03o): refused", dir,
		    (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

int
ecg_sockpath_default(const char *runtime_dir, const char *name, pid_t pid,
    struct ecg_buf *out, struct ecg_buf *err)
{
	struct ecg_buf dir = ECG_BUF_INIT;
	int rc = -1;

	ecg_sockpath_dir(runtime_dir, &dir);
	if (ecg_buf_failed(&dir)) {
		ecg_buf_printf(err, "out of memory");
		goto out;
	}
	if (mkdir(ecg_buf_str(&dir), 0700) < 0 && errno != EEXIST) {
		ecg_buf_printf(err, "cannot make %s: %s", ecg_buf_str(&dir), strerror(errno));
		goto out;
	}
	if (ecg_sockpath_dir_safe(ecg_buf_str(&dir), err) < 0)
		goto out;
	ecg_buf_printf(out, "%s/%s-%ld.sock", ecg_buf_str(&dir), name, (long)pid);
	if (ecg_buf_failed(out)) {
		ecg_buf_printf(err, "out of memory");
		goto out;
	}
	if (out->len > ECG_SOCKPATH_MAX) {
		ecg_buf_printf(err, "the control socket's path %s is longer than a socket's "
		    "address holds (%d bytes): set control = PATH", ecg_buf_str(out),
		    ECG_SOCKPATH_MAX);
		goto out;
	}
	rc = 0;
out:
	ecg_buf_free(&dir);
	return rc;
}
