/*
 * userdb: users and groups by name or number, for user = and group =.
 *
 * ecg-run is linked statically, where glibc's getpwnam cannot load the
 * name service modules: the files are read first (/etc/passwd,
 * /etc/group), and a name they do not know is asked of `getent` (LDAP,
 * sssd, systemd's dynamic users), run as a child, once per name.
 */
#ifndef ECG_USERDB_H
#define ECG_USERDB_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct ecg_user {
	uid_t uid;
	gid_t gid;			/* its primary group */
	char name[256];
	char home[PATH_MAX];
	char shell[PATH_MAX];
};

/* A user by name, or by number (a uid with no entry gives name "", home "/"): 0 or -ENOENT. */
int ecg_userdb_user(const char *name_or_uid, struct ecg_user *u);
/* A group by name or number: 0 or -ENOENT. */
int ecg_userdb_group(const char *name_or_gid, gid_t *gid);
/*
 * The groups of user name, gid among them (initgroups): a new array in
 * *groups, its length in *n.  0 or -ENOMEM.
 */
int ecg_userdb_groups(const char *name, gid_t gid, gid_t **groups, size_t *n);

#endif
