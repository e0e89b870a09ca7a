/*
 * safeopen: opening a file that ecg-run writes (a task's log file, the
 * events file) without being tricked into writing somewhere else.
 *
 * A file that is not there is created with O_EXCL, which never follows a
 * symbolic link, not even one planted there a moment before.  A file that
 * is there is opened for appending; if it is a symbolic link, it is
 * followed only when the kernel's protected_symlinks rule would allow it,
 * whatever the sysctl says: not when the link is in a sticky,
 * world-writable directory (/tmp) and owned neither by ecg-run's user nor
 * by the directory's owner.  A link that may be followed is the user's
 * own doing: the file it names is made if it is not there.  /dev/stdout,
 * /dev/fd/N and links of one's own keep working.
 */
#ifndef ECG_SAFEOPEN_H
#define ECG_SAFEOPEN_H

#include <sys/types.h>

/* The error of a link that is not followed (outside errno's range). */
#define ECG_SAFEOPEN_PLANTED 4096

/*
 * Opens path for appending with flags (O_WRONLY and O_APPEND are added;
 * O_CREAT and O_EXCL are its own to choose), creating it with mode.  The
 * descriptor, or -errno, or -ECG_SAFEOPEN_PLANTED.
 */
int ecg_safeopen_append(const char *path, int flags, mode_t mode);
/* strerror, and the words for ECG_SAFEOPEN_PLANTED. */
const char *ecg_safeopen_strerror(int err);

#endif
