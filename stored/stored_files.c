/*
 * stored_files.c -- files under the download roots: deleting a torrent's
 * data, and opening paths beneath a root.
 *
 * Takes DeleteData from btd (through stored_torrent.c's dispatch) and
 * answers DeleteResult.  A deletion may come in parts (each under the
 * channel's frame bound); the parts of one id follow one another, so
 * one deletion is open at a time: its counts live in `cur` until the
 * last part, which removes the directories left empty and answers.  A
 * part of another id first answers the unfinished one as it stands.
 * The root is an administrator's directory and is
 * opened as it is, by stored_root_fd() (stored_cache.c); everything below it
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

#define DELETE_MAX_PATHS	4096	/* files in one part of a DeleteData */

/* The deletion whose parts are coming in. */
static struct {
	int		 open;
	uint64_t	 id;
	uint32_t	 removed;		/* over every part so far */
	char		 err[512];		/* the first failure, or "" */
	char		 root[4096];		/* of the first part */
	char		 dir[4096];
	int		 remove_dir;
} cur;

int
stored_open_beneath(int dirfd, const char *path, int flags, int mode)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	/*
	 * A FIFO or device planted where a file belongs must not block
	 * or take over stored: never wait in open(), never a controlling
	 * terminal (O_NONBLOCK does nothing to regular files).  openat2()
	 * refuses both flags with O_PATH.
	 */
	if (!(flags & O_PATH))
		flags |= O_NONBLOCK | O_NOCTTY;
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.mode = (uint64_t)mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Split "a/b/c" into the parent "a/b" (or ".") and the base "c". */
const char *
stored_split(const char *path, char *parent, size_t len)
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
void
stored_prune(int dirfd, const char *path)
{
	char	buf[4096], *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/')) != NULL) {
		int pfd;
		const char *base;
		char parent[4096];

		*slash = '\0';
		base = stored_split(buf, parent, sizeof(parent));
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

/* Answer the open deletion: its empty directories go first. */
static void
delete_finish(struct chan *c)
{
	Btd__DeleteResult	 r = BTD__DELETE_RESULT__INIT;
	char			 parent[4096];
	const char		*base;
	int			 rootfd, pfd;

	if (!cur.open)
		return;
	if (cur.remove_dir && cur.dir[0] != '\0' &&
	    (rootfd = stored_root_fd(cur.root)) != -1) {
		base = stored_split(cur.dir, parent, sizeof(parent));
		if ((pfd = stored_open_beneath(rootfd, parent,
		    O_PATH | O_DIRECTORY, 0)) != -1) {
			(void)unlinkat(pfd, base, AT_REMOVEDIR);
			close(pfd);
		}
		/* rootfd is stored_root_fd()'s. */
	}
	r.id = cur.id;
	r.removed = cur.removed;
	r.ok = cur.err[0] == '\0';
	r.error = cur.err;
	log_info("delete %llu: %u files removed%s%s",
	    (unsigned long long)cur.id, r.removed, r.ok ? "" : "; ", cur.err);
	cur.open = 0;
	if (MSG_SEND(c, Btd__StoredMsg, STORED_MSG, DELETE_RESULT,
	    delete_result, &r, -1) == -1)
		log_warn("%s: delete result", __func__);
}

/* Delete one part's paths; the first failure goes to cur.err. */
static void
delete_part(const Btd__DeleteData *dd)
{
	char		 parent[4096], esc[128];
	const char	*base, *rel;
	int		 rootfd, dirfd, pfd;
	size_t		 i;

	if (dd->root[0] != '/' || dd->n_paths > DELETE_MAX_PATHS) {
		if (cur.err[0] == '\0')
			snprintf(cur.err, sizeof(cur.err), "bad request");
		return;
	}
	if ((rootfd = stored_root_fd(dd->root)) == -1) {
		if (cur.err[0] == '\0')
			snprintf(cur.err, sizeof(cur.err), "%s: %s", dd->root,
			    strerror(errno));
		return;
	}
	rel = dd->dir[0] ? dd->dir : ".";
	if ((dirfd = stored_open_beneath(rootfd, rel, O_PATH | O_DIRECTORY,
	    0)) == -1) {
		if (errno != ENOENT && cur.err[0] == '\0')
			snprintf(cur.err, sizeof(cur.err), "%s: %s",
			    log_escape(esc, sizeof(esc), rel, strlen(rel)),
			    strerror(errno));
		return;		/* ENOENT: nothing was ever written */
	}
	for (i = 0; i < dd->n_paths; i++) {
		base = stored_split(dd->paths[i], parent, sizeof(parent));
		pfd = stored_open_beneath(dirfd, parent, O_PATH | O_DIRECTORY,
		    0);
		if (pfd == -1 || unlinkat(pfd, base, 0) == -1) {
			int e = errno;

			if (pfd != -1)
				close(pfd);
			if (e == ENOENT)
				continue;
			if (cur.err[0] == '\0')
				snprintf(cur.err, sizeof(cur.err), "%s: %s",
				    log_escape(esc, sizeof(esc), dd->paths[i],
				    strlen(dd->paths[i])), strerror(e));
			continue;
		}
		close(pfd);
		cur.removed++;
		stored_prune(dirfd, dd->paths[i]);
	}
	close(dirfd);
	/* rootfd is stored_root_fd()'s. */
}

void
stored_delete_data(struct chan *c, const Btd__DeleteData *dd)
{
	if (cur.open && cur.id != dd->id) {
		log_warnx("delete %llu: unfinished, answered as it stands",
		    (unsigned long long)cur.id);
		delete_finish(c);
	}
	if (!cur.open) {
		cur.open = 1;
		cur.id = dd->id;
		cur.removed = 0;
		cur.err[0] = '\0';
		snprintf(cur.root, sizeof(cur.root), "%s", dd->root);
		snprintf(cur.dir, sizeof(cur.dir), "%s", dd->dir);
		cur.remove_dir = dd->remove_dir;
	}
	delete_part(dd);
	if (!dd->more)
		delete_finish(c);
}
