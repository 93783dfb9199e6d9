/*
 * stored_cache.c -- open descriptors: the download roots, and a bounded
 * cache of the torrents' files, least recently used out first.
 *
 * The block path must not open() or fstat() per block: a file is opened
 * (and checked to be a regular file) on its first use, then found in O(1)
 * through its tfile's slot.  STORED_OPEN_FILES descriptors at most; the
 * least recently used is closed to make room, or, when it was written
 * since the last flush, handed to the flusher (stored_flush.c), which
 * syncs and closes it, so that a verified piece is never reported durable
 * while bytes of it sit unsynced behind a closed descriptor.
 *
 * Every path is opened beneath its download root with openat2
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), parents made one component at
 * a time with mkdirat() beneath the root; stored_root_fd() is the one
 * place that opens a root (DeleteData uses it too), so that roots handed
 * over by btd later need a change here only.
 *
 * Preallocation (setting preallocation full): a file stored creates gets
 * its whole length with fallocate(2) at once, so that a full disk is
 * the torrent's error at the start, naming the file, and the file is
 * not fragmented by the order pieces arrive in; sparse (the default)
 * leaves holes until their blocks are written.
 *
 * Rejected alternative: one descriptor per file for the torrent's life.
 * A torrent may have 100,000 files; stored's RLIMIT_NOFILE is 4096.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "stored.h"

#define FILE_MODE	0644	/* new files; the umask applies */
#define DIR_MODE	0755	/* new directories */

struct centry {
	TAILQ_ENTRY(centry)	 lru;
	struct torrent		*t;	/* NULL: free */
	uint32_t		 file;
	int			 fd;
	int			 dirty;	/* written since the last flush */
};

static struct centry		 entries[STORED_OPEN_FILES];
static int			 prealloc;	/* fallocate new files */
static const char		*what = "open";	/* the last failure */
static TAILQ_HEAD(centry_q, centry) lru = TAILQ_HEAD_INITIALIZER(lru);
static int			 cache_ready;

struct root {
	char	*path;
	int	 fd;
	int	 inherited;	/* opened by btd: never closed or replaced */
};
static struct root		 roots[STORED_ROOTS_MAX];
static unsigned			 roots_next;	/* replaced when full */
static int			 roots_inherited; /* btd's table is in */

void
stored_roots_inherited(const char *lines)
{
	const char	*p = lines, *nl;
	struct root	*r;
	size_t		 n;
	int		 i;

	for (i = 0; i < SANDBOX_MAX_DIRS && *p != '\0'; i++, p = nl + 1) {
		nl = strchrnul(p, '\n');
		n = (size_t)(nl - p);
		/* A Config may come again: the table is made once. */
		if (roots_inherited)
			break;
		if (n == 0 || p[0] != '/' || i >= STORED_ROOTS_MAX)
			break;
		r = &roots[i];
		if (r->path != NULL) {
			free(r->path);
			close(r->fd);
		}
		if ((r->path = strndup(p, n)) == NULL)
			fatal("%s", __func__);
		r->fd = SANDBOX_ROOT_FD + i;
		r->inherited = 1;
		log_debug("download root %s at fd %d", r->path, r->fd);
		if (*nl == '\0')
			break;
	}
	roots_inherited = 1;
}

int
stored_root_fd(const char *path)
{
	struct root	*r;
	unsigned	 i, n;
	int		 fd;

	if (path == NULL || path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < STORED_ROOTS_MAX; i++)
		if (roots[i].path != NULL && strcmp(roots[i].path, path) == 0)
			return roots[i].fd;
	/*
	 * Not one btd opened for us (a test harness, or a root added
	 * since): the administrator's directory, opened as it is.
	 */
	if ((fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	for (i = 0; i < STORED_ROOTS_MAX; i++)
		if (roots[i].path == NULL)
			break;
	for (n = 0; i == STORED_ROOTS_MAX && n < STORED_ROOTS_MAX; n++) {
		i = roots_next++ % STORED_ROOTS_MAX;
		if (roots[i].inherited)
			i = STORED_ROOTS_MAX;	/* never replaced */
	}
	if (i == STORED_ROOTS_MAX) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	r = &roots[i];
	if (r->path != NULL) {
		free(r->path);
		close(r->fd);
	}
	if ((r->path = strdup(path)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	r->fd = fd;
	return fd;
}

int
stored_mkparents(int dirfd, const char *path)
{
	char		 comp[256];
	const char	*p = path, *slash;
	int		 fd = dirfd, nfd, e;
	size_t		 n;

	while ((slash = strchr(p, '/')) != NULL) {
		n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof(comp)) {
			e = EINVAL;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		nfd = stored_open_beneath(fd, comp, O_PATH | O_DIRECTORY, 0);
		if (nfd == -1 && errno == ENOENT) {
			/* One component, relative to a checked directory. */
			if (mkdirat(fd, comp, DIR_MODE) == -1 &&
			    errno != EEXIST) {
				e = errno;
				goto fail;
			}
			nfd = stored_open_beneath(fd, comp,
			    O_PATH | O_DIRECTORY, 0);
		}
		if (nfd == -1) {
			e = errno;
			goto fail;
		}
		if (fd != dirfd)
			close(fd);
		fd = nfd;
		p = slash + 1;
	}
	if (fd != dirfd)
		close(fd);
	return 0;
fail:
	if (fd != dirfd)
		close(fd);
	errno = e;
	return -1;
}

static void
cache_init(void)
{
	int i;

	for (i = 0; i < STORED_OPEN_FILES; i++) {
		entries[i].fd = -1;
		TAILQ_INSERT_TAIL(&lru, &entries[i], lru);
	}
	cache_ready = 1;
}

/* Detach e from its file: closed, or to the flusher when dirty. */
static void
cache_release(struct centry *e, int flush)
{
	struct torrent	*t = e->t;
	uint32_t	 file = e->file;
	int		 fd = e->fd, dirty = e->dirty;

	if (t == NULL)
		return;
	t->files[file].slot = -1;
	e->t = NULL;
	e->fd = -1;
	e->dirty = 0;
	if (dirty && flush)
		stored_flush_evicted(fd, t->num, file);	/* closed there */
	else
		close(fd);
}

/*
 * Open file of t; with create, make it (and its parents) when it is not
 * there, and say so in *created: the open with O_EXCL that made it is
 * the proof that it is the torrent's and no one else's.
 */
static int
open_file(struct torrent *t, uint32_t file, int create, int *created)
{
	struct stat	 st;
	const char	*path = t->files[file].path;
	int		 rootfd, fd, e;

	*created = 0;
	if ((rootfd = stored_root_fd(t->root)) == -1)
		return -1;
	fd = stored_open_beneath(rootfd, path, O_RDWR, 0);
	if (fd == -1 && errno == ENOENT && create) {
		fd = stored_open_beneath(rootfd, path,
		    O_RDWR | O_CREAT | O_EXCL, FILE_MODE);
		if (fd == -1 && errno == ENOENT) {
			if (stored_mkparents(rootfd, path) == -1)
				return -1;
			fd = stored_open_beneath(rootfd, path,
			    O_RDWR | O_CREAT | O_EXCL, FILE_MODE);
		}
		if (fd != -1)
			*created = 1;
		else if (errno == EEXIST)	/* made since: not ours */
			fd = stored_open_beneath(rootfd, path, O_RDWR, 0);
	}
	if (fd == -1 && !create && (errno == EACCES || errno == EROFS))
		fd = stored_open_beneath(rootfd, path, O_RDONLY, 0);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	else
		e = 0;
	if (e != 0) {
		close(fd);
		*created = 0;
		errno = e;
		return -1;
	}
	return fd;
}

int
stored_cache_get(struct torrent *t, uint32_t file, int create)
{
	struct centry	*e;
	int		 fd, created, slot = t->files[file].slot;

	if (!cache_ready)
		cache_init();
	if (slot >= 0) {
		e = &entries[slot];
		if (e != TAILQ_FIRST(&lru)) {
			TAILQ_REMOVE(&lru, e, lru);
			TAILQ_INSERT_HEAD(&lru, e, lru);
		}
		return e->fd;
	}
	what = "open";
	if ((fd = open_file(t, file, create, &created)) == -1)
		return -1;
	if (created)
		stored_files_created(t, &file, 1);
	/* Its blocks now, or ENOSPC now rather than in mid-download. */
	if (created && prealloc && t->mfiles[file].length > 0 &&
	    fallocate(fd, 0, 0, (off_t)t->mfiles[file].length) == -1) {
		int err = errno;

		close(fd);
		what = "preallocate";
		errno = err;
		return -1;
	}
	e = TAILQ_LAST(&lru, centry_q);
	cache_release(e, 1);
	e->t = t;
	e->file = file;
	e->fd = fd;
	e->dirty = 0;
	t->files[file].slot = (int)(e - entries);
	TAILQ_REMOVE(&lru, e, lru);
	TAILQ_INSERT_HEAD(&lru, e, lru);
	return fd;
}

const char *
stored_cache_what(void)
{
	return what;
}

void
stored_cache_prealloc(int full)
{
	prealloc = full;
}

int
stored_cache_preallocating(void)
{
	return prealloc;
}

void
stored_cache_dirty(struct torrent *t, uint32_t file)
{
	int slot = t->files[file].slot;

	if (slot >= 0)
		entries[slot].dirty = 1;
}

void
stored_cache_drop(struct torrent *t)
{
	int i;

	if (!cache_ready)
		return;
	for (i = 0; i < STORED_OPEN_FILES; i++)
		if (entries[i].t == t) {
			cache_release(&entries[i], 0);
			/* Free entries go to the tail: reused first. */
			TAILQ_REMOVE(&lru, &entries[i], lru);
			TAILQ_INSERT_TAIL(&lru, &entries[i], lru);
		}
}

int
stored_cache_take_dirty(int (*fn)(int, uint32_t, uint32_t))
{
	struct centry	*e;
	int		 i, fd, rc = 0;

	if (!cache_ready)
		return 0;
	for (i = 0; i < STORED_OPEN_FILES; i++) {
		e = &entries[i];
		if (e->t == NULL || !e->dirty)
			continue;
		if ((fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			log_warn("%s: dup", __func__);
			rc = -1;	/* stays dirty: flushed next time */
			continue;
		}
		if (fn(fd, e->t->num, e->file) == -1) {
			close(fd);
			rc = -1;
			continue;
		}
		e->dirty = 0;
	}
	return rc;
}
