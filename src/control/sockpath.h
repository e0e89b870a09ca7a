/*
 * sockpath: where a run's control socket lives.
 *
 * By default $XDG_RUNTIME_DIR/ecg-run/NAME-PID.sock, or, without
 * XDG_RUNTIME_DIR, /tmp/ecg-run-UID/NAME-PID.sock (NAME: the group's).
 * The directory is made 0700; one that exists must be a directory owned
 * by this user (not a symlink) and writable by nobody else, or it is
 * refused: another user could plant a socket there.  A fixed path
 * (control = PATH, --control PATH) is used as given; its directory must
 * exist.  A Unix socket's path must fit sun_path (107 bytes).
 */
#ifndef ECG_SOCKPATH_H
#define ECG_SOCKPATH_H

#include <sys/types.h>

#include "base/buf.h"

#define ECG_SOCKPATH_MAX 107

/*
 * The default path for group name and pid into out, its directory made
 * or checked: 0, or -1 with why in err.  runtime_dir: $XDG_RUNTIME_DIR
 * (NULL or "": /tmp/ecg-run-UID).
 */
int ecg_sockpath_default(const char *runtime_dir, const char *name, pid_t pid,
    struct ecg_buf *out, struct ecg_buf *err);
/* The directory that holds the default sockets (for ctl -c FILE): into out. */
void ecg_sockpath_dir(const char *runtime_dir, struct ecg_buf *out);
/* Whether dir is ours alone: a directory (no symlink), owned by us, mode without g/o write. */
int ecg_sockpath_dir_safe(const char *dir, struct ecg_buf *err);

#endif
