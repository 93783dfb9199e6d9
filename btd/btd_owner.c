/*
 * btd_owner.c -- who owns the downloaded data.
 *
 * As root, stored runs as the account btd.conf names (download_user,
 * download_group; by default the system user "btd" that make install
 * creates), so downloaded files belong to a named account that the
 * administrator chose, not to a bare uid.  owner_resolve() turns the
 * names into ids; btd refuses to start if they do not exist, and
 * refuses root, which would undo stored's confinement.  Not root,
 * stored runs as btd's own user.
 *
 * owner_check_delete() answers, before btd forgets a torrent for
 * `remove --delete-data`, whether stored will be able to delete its
 * files: unlinking needs write and search permission on the parent
 * directory (and, in a sticky one, owning the file or the directory),
 * so a file the administrator placed in a directory stored cannot write
 * is refused up front with the reason, and nothing is removed.  It only
 * looks: the paths are resolved below the root with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, and a path that does not resolve (missing, or
 * through a symlink) is left for stored to report as it deletes.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btd.h"
#include "log.h"
#include "util.h"

int
owner_resolve(const struct conf *cf, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	const char	*user = conf_get(cf, "download_user");
	const char	*group = conf_get(cf, "download_group");
	struct passwd	*pw;
	struct group	*gr;

	if (geteuid() != 0) {
		*uid = getuid();
		*gid = getgid();
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		util_seterr(err, errlen, "download_user %s: no such user "
		    "(make install creates it; or: useradd --system "
		    "--user-group --home-dir /nonexistent --shell "
		    "/usr/sbin/nologin %s), or name another in btd.conf",
		    user, user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		util_seterr(err, errlen, "download_user %s: is root; stored "
		    "must run as an account of its own", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group[0] != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			util_seterr(err, errlen, "download_group %s: no such "
			    "group", group);
			return -1;
		}
		if (gr->gr_gid == 0) {
			util_seterr(err, errlen, "download_group %s: is root's "
			    "group", group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/*
 * As root, trackerd, peerd and metad run as role_uid_base plus the
 * role's number, ids that make install names btd-trackerd, btd-peerd
 * and btd-metad.  An id with no name is used as it is (a warning, once
 * a run); one that belongs to another account or group is refused, so
 * that a role never runs as, or shares files with, a real user.
 */
int
owner_role_ids(const struct conf *cf, int role, const char *rname,
    uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	static unsigned	 warned;
	long long	 id = conf_get_int(cf, "role_uid_base") + role;
	char		 want[64];
	struct passwd	*pw;
	struct group	*gr;

	snprintf(want, sizeof(want), "btd-%s", rname);
	*uid = (uid_t)id;
	*gid = (gid_t)id;
	pw = getpwuid(*uid);
	if (pw != NULL && strcmp(pw->pw_name, want) != 0) {
		util_seterr(err, errlen, "uid %lld (role_uid_base + %d) is "
		    "the account %s, not %s: choose another role_uid_base "
		    "in btd.conf", id, role, pw->pw_name, want);
		return -1;
	}
	gr = getgrgid(*gid);
	if (gr != NULL && strcmp(gr->gr_name, want) != 0) {
		util_seterr(err, errlen, "gid %lld (role_uid_base + %d) is "
		    "the group %s, not %s: choose another role_uid_base "
		    "in btd.conf", id, role, gr->gr_name, want);
		return -1;
	}
	if (pw == NULL && role >= 0 && role < 32 &&
	    !(warned & (1U << role))) {
		warned |= 1U << role;
		log_warnx("%s runs as uid %lld, which has no name: sh "
		    "mk/users.sh (make install) creates %s", rname, id, want);
	}
	return 0;
}

/* "uid 1000 (alice)" */
static void
uid_name(uid_t u, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(u);

	if (pw != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)u);
}

/* May uid/gid (no supplementary groups) write and search sb's dir? */
static int
may_write_dir(const struct stat *sb, uid_t uid, gid_t gid)
{
	if (sb->st_uid == uid)
		return (sb->st_mode & (S_IWUSR | S_IXUSR)) ==
		    (S_IWUSR | S_IXUSR);
	if (sb->st_gid == gid)
		return (sb->st_mode & (S_IWGRP | S_IXGRP)) ==
		    (S_IWGRP | S_IXGRP);
	return (sb->st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* A directory below rootfd, by a relative path ("" is the root). */
static int
open_beneath(int rootfd, const char *rel)
{
	struct open_how	how;

	if (rel[0] == '\0')
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
}

/*
 * Can stored, as uid/gid, unlink rel (a file, or with isdir an empty
 * directory) below rootfd?  0 if yes or if rel does not resolve (stored
 * reports that itself), -1 with the reason in err.
 */
static int
check_one(int rootfd, const char *root, const char *rel, int isdir,
    uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct stat	 dsb, fsb;
	char		 parent[4200], who[64], owner[64];
	const char	*base, *slash;
	int		 dfd, r = 0;

	if ((slash = strrchr(rel, '/')) != NULL) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - rel),
		    rel);
		base = slash + 1;
	} else {
		parent[0] = '\0';
		base = rel;
	}
	if ((dfd = open_beneath(rootfd, parent)) == -1)
		return 0;
	if (fstatat(dfd, base, &fsb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    (isdir && !S_ISDIR(fsb.st_mode))) {
		close(dfd);
		return 0;	/* nothing there to delete */
	}
	if (fstat(dfd, &dsb) == -1) {
		close(dfd);
		return 0;
	}
	uid_name(uid, who, sizeof(who));
	if (!may_write_dir(&dsb, uid, gid)) {
		uid_name(dsb.st_uid, owner, sizeof(owner));
		util_seterr(err, errlen, "%s/%s%s%s: stored (%s) may not "
		    "write its directory, which belongs to %s with mode %04o",
		    root, parent, parent[0] ? "/" : "", base, who, owner,
		    (unsigned)(dsb.st_mode & 07777));
		r = -1;
	} else if ((dsb.st_mode & S_ISVTX) && fsb.st_uid != uid &&
	    dsb.st_uid != uid) {
		uid_name(fsb.st_uid, owner, sizeof(owner));
		util_seterr(err, errlen, "%s/%s%s%s: belongs to %s in a sticky "
		    "directory; stored (%s) may not delete it", root, parent,
		    parent[0] ? "/" : "", base, owner, who);
		r = -1;
	}
	close(dfd);
	return r;
}

int
owner_check_delete(const char *root, const char *dir, char *const *paths,
    size_t n, int remove_dir, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	char	 rel[4200], *p;
	size_t	 i;
	int	 rootfd, r = 0;

	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;	/* stored says why */
	for (i = 0; i < n && r == 0; i++) {
		snprintf(rel, sizeof(rel), "%s%s%s", dir, dir[0] ? "/" : "",
		    paths[i]);
		r = check_one(rootfd, root, rel, 0, uid, gid, err, errlen);
		/* Every directory from it up to dir, emptied, is removed. */
		while (r == 0 && remove_dir && strlen(rel) > strlen(dir) &&
		    (p = strrchr(rel, '/')) != NULL) {
			*p = '\0';
			r = check_one(rootfd, root, rel, 1, uid, gid, err,
			    errlen);
		}
	}
	close(rootfd);
	return r;
}
