#define _GNU_SOURCE
#include "base/safeopen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Whether the symbolic link at path may be followed: the rule of the
 * kernel's fs.protected_symlinks, applied by ecg-run itself.
 */
static int
may_follow(const char *path)
{
	struct stat link, dir;
	char *copy, *slash;
	int ok;

	if (lstat(path, &link) < 0 || !S_ISLNK(link.st_mode))
		return 1;	/* gone or changed: the open that follows will say */
	if (link.st_uid == geteuid())
		return 1;
	copy = strdup(path);
	if (copy == NULL)
		return 0;
	slash = strrchr(copy, '/');
	if (slash == NULL)
		ok = stat(".", &dir) == 0;
	else if (slash == copy)
		ok = stat("/", &dir) == 0;
	else {
		*slash = '\0';
		ok = stat(copy, &dir) == 0;
	}
	free(copy);
	if (!ok)
		return 0;
	return !((dir.st_mode & S_ISVTX) && (dir.st_mode & S_IWOTH)) || dir.st_uid == link.st_uid;
}

int
ecg_safeopen_append(const char *path, int flags, mode_t mode)
{
	int fd, tries;

	flags |= O_WRONLY | O_APPEND;
	for (tries = 0; tries < 8; tries++) {
		/* There already: a file (or, after the check, a link that may be followed). */
		fd = open(path, flags | O_NOFOLLOW);
		if (fd >= 0)
			return fd;
		if (errno == ELOOP) {
			if (!may_follow(path))
				return -ECG_SAFEOPEN_PLANTED;
			/* A link that may be followed is the user's: its file is made if need be. */
			fd = open(path, flags | O_CREAT, mode);
			return fd >= 0 ? fd : -errno;
		}
		if (errno != ENOENT)
			return -errno;
		/* Not there: made here, never through a link planted meanwhile. */
		fd = open(path, flags | O_CREAT | O_EXCL, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
		/* Something was put there in between: look again. */
	}
	return -EEXIST;
}

const char *
ecg_safeopen_strerror(int err)
{
	if (err == ECG_SAFEOPEN_PLANTED)
		return "a symbolic link of another user in a sticky, world-writable directory "
		    "(not followed)";
	return strerror(err);
}
