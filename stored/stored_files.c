/*
 * stored_files.c -- files under the download roots: deleting a torrent's
 * data.
 *
 * Takes DeleteData from btd and answers DeleteResult.  The root is an
 * administrator's directory and is opened as it is; everything below it
 * is resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so a
 * symlink planted in the download dir, or a ".." that slipped through,
 * is refused with ELOOP or EXDEV, never followed.  Landlock would stop
 * a write outside the roots anyway; this also keeps one torrent's
 * deletion from reaching another's files through a link.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stored.pb-c.h"

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "stored.h"

#define DELETE_MAX_PATHS	100000	/* files in one DeleteData */

int
stored_open_beneath(int dirfd, const char *path, int flags, int mode)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.mode = (uint64_t)mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Split "a/b/c" into the parent "a/b" (or ".") and the base "c". */
static const char *
split(const char *path, char *parent, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(parent, len, ".");
		return path;
	}
	snprintf(parent, len, "%.*s", (int)(slash - path), path);
	return slash + 1;
}

/* Remove the now-empty directories on the way from path up to dir. */
static void
prune(int dirfd, const char *path)
{
	char	buf[4096], *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/')) != NULL) {
		int pfd;
		const char *base;
		char parent[4096];

		*slash = '\0';
		base = split(buf, parent, sizeof(parent));
		if ((pfd = stored_open_beneath(dirfd, parent,
		    O_PATH | O_DIRECTORY, 0)) == -1)
			return;
		if (unlinkat(pfd, base, AT_REMOVEDIR) == -1) {
			close(pfd);
			return;		/* not empty, or gone: stop here */
		}
		close(pfd);
	}
}

static void
delete_data(struct chan *c, const Btd__DeleteData *dd)
{
	Btd__DeleteResult	 r = BTD__DELETE_RESULT__INIT;
	char			 err[512] = "", parent[4096], esc[128];
	const char		*base, *rel;
	int			 rootfd = -1, dirfd = -1, pfd;
	size_t			 i;

	r.id = dd->id;
	if (dd->root[0] != '/' || dd->n_paths > DELETE_MAX_PATHS) {
		snprintf(err, sizeof(err), "bad request");
		goto done;
	}
	if ((rootfd = open(dd->root, O_PATH | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, sizeof(err), "%s: %s", dd->root,
		    strerror(errno));
		goto done;
	}
	rel = dd->dir[0] ? dd->dir : ".";
	if ((dirfd = stored_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY,
	    0)) == -1) {
		if (errno == ENOENT)
			goto done;	/* nothing was ever written */
		snprintf(err, sizeof(err), "%s: %s",
		    log_escape(esc, sizeof(esc), rel, strlen(rel)),
		    strerror(errno));
		goto done;
	}
	for (i = 0; i < dd->n_paths; i++) {
		base = split(dd->paths[i], parent, sizeof(parent));
		pfd = stored_open_beneath(dirfd, parent, O_PATH | O_DIRECTORY,
		    0);
		if (pfd == -1 || unlinkat(pfd, base, 0) == -1) {
			int e = errno;

			if (pfd != -1)
				close(pfd);
			if (e == ENOENT)
				continue;
			if (err[0] == '\0')
				snprintf(err, sizeof(err), "%s: %s",
				    log_escape(esc, sizeof(esc), dd->paths[i],
				    strlen(dd->paths[i])), strerror(e));
			continue;
		}
		close(pfd);
		r.removed++;
		prune(dirfd, dd->paths[i]);
	}
	if (dd->remove_dir && dd->dir[0] != '\0') {
		base = split(dd->dir, parent, sizeof(parent));
		if ((pfd = stored_open_beneath(rootfd, parent,
		    O_PATH | O_DIRECTORY, 0)) != -1) {
			(void)unlinkat(pfd, base, AT_REMOVEDIR);
			close(pfd);
		}
	}
done:
	if (dirfd != -1)
		close(dirfd);
	if (rootfd != -1)
		close(rootfd);
	r.ok = err[0] == '\0';
	r.error = err;
	log_info("delete %llu: %u files removed%s%s",
	    (unsigned long long)dd->id, r.removed, r.ok ? "" : "; ", err);
	if (MSG_SEND(c, Btd__StoredMsg, STORED_MSG, DELETE_RESULT, delete_result,
	    &r, -1) == -1)
		log_warn("%s: delete result", __func__);
}

int
stored_dispatch_btd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__StoredMsg *m = (const Btd__StoredMsg *)(const void *)env;

	switch (m->body_case) {
	case BTD__STORED_MSG__BODY_DELETE_DATA:
		delete_data(c, m->delete_data);
		return 0;
	case BTD__STORED_MSG__BODY_TORRENT_ADD:
	case BTD__STORED_MSG__BODY_TORRENT_HASHES:
	case BTD__STORED_MSG__BODY_TORRENT_REMOVE:
		return 0;	/* not stored here yet */
	default:
		return -1;
	}
}
