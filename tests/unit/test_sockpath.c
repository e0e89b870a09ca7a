/*
 * sockpath: the control socket's default place; its directory is made
 * 0700, and one that another user could write to, or a symlink, is
 * refused; a path too long for a socket address is refused.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/sockpath.h"
#include "tap.h"

int
main(void)
{
	char base[] = "/tmp/ecg-sockpath-XXXXXX", link_to[512], dir[512], longname[200];
	struct ecg_buf out = ECG_BUF_INIT, err = ECG_BUF_INIT;
	struct stat st;

	if (mkdtemp(base) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/ecg-run", base);
	ok(ecg_sockpath_default(base, "shop", 4242, &out, &err) == 0 &&
	    strcmp(ecg_buf_str(&out), strcat(strcpy(link_to, dir), "/shop-4242.sock")) == 0,
	    "XDG_RUNTIME_DIR/ecg-run/NAME-PID.sock (%s)", ecg_buf_str(&err));
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	    "its directory is made 0700");
	ecg_buf_reset(&out);
	ok(ecg_sockpath_default(base, "shop", 4243, &out, &err) == 0, "and taken as it is, after");
	chmod(dir, 0777);
	ecg_buf_reset(&out);
	ok(ecg_sockpath_default(base, "shop", 1, &out, &err) < 0 &&
	    strstr(ecg_buf_str(&err), "may be written by other users") != NULL,
	    "a directory others may write to is refused");
	rmdir(dir);
	snprintf(link_to, sizeof(link_to), "%s/elsewhere", base);
	mkdir(link_to, 0700);
	if (symlink(link_to, dir) < 0)
		return 1;
	ecg_buf_reset(&err);
	ok(ecg_sockpath_default(base, "shop", 1, &out, &err) < 0 &&
	    strstr(ecg_buf_str(&err), "symlink") != NULL, "a symlink in its place is refused");
	unlink(dir);
	if (geteuid() == 0) {
		mkdir(dir, 0700);
		if (chown(dir, 65534, 65534) < 0)
			return 1;
		ecg_buf_reset(&err);
		ok(ecg_sockpath_default(base, "shop", 1, &out, &err) < 0 &&
		    strstr(ecg_buf_str(&err), "belongs to another user") != NULL,
		    "a directory of another user is refused");
		rmdir(dir);
	} else {
		ok(1, "# skip: a directory of another user needs root to make");
	}
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ecg_buf_reset(&out);
	ecg_buf_reset(&err);
	ok(ecg_sockpath_default(base, longname, 1, &out, &err) < 0 &&
	    strstr(ecg_buf_str(&err), "set control = PATH") != NULL,
	    "a path too long for a socket address is refused");
	ecg_buf_reset(&out);
	ecg_sockpath_dir(NULL, &out);
	snprintf(link_to, sizeof(link_to), "/tmp/ecg-run-%lu", (unsigned long)geteuid());
	ok(strcmp(ecg_buf_str(&out), link_to) == 0, "without XDG_RUNTIME_DIR: /tmp/ecg-run-UID");
	rmdir(dir);
	snprintf(link_to, sizeof(link_to), "%s/elsewhere", base);
	rmdir(link_to);
	rmdir(base);
	ecg_buf_free(&out);
	ecg_buf_free(&err);
	return tap_done();
}
