/*
 * stored_move.c -- moving a torrent's data to another download root
 * (btctl move).
 *
 * Takes MoveData from btd (through stored_torrent.c, which makes the
 * torrent T_MOVING: no blocks, no check) and answers MoveResult once the
 * move is over, with MoveProgress meanwhile; the torrent is then
 * forgotten, as after TorrentRemove, and btd adds it again at the new
 * place.  One move runs at a time, in the order they came; each works
 * in steps of MOVE_BYTES per event-loop turn, so that the channels stay
 * responsive while gigabytes are copied.
 *
 * A move, file by file (only the files set in MoveData.owned):
 *
 *   plan    every destination looked at before anything changes: one
 *           that exists is refused, naming it (unless resume: then it
 *           is an earlier attempt's and is checked below); a symlink
 *           anywhere on the way is refused (RESOLVE_NO_SYMLINKS).
 *   copy    renameat2(RENAME_NOREPLACE) where both places share a
 *           filesystem; across filesystems (EXDEV) a copy to a
 *           temporary name beside the destination, then fdatasync.
 *   verify  when anything was copied, or on resume: every piece btd
 *           holds as verified is hashed at the new place.
 *   place   the copies take their names (RENAME_NOREPLACE), and the
 *           directories that hold them are flushed.
 *   delete  only now are the old files removed, with the directories
 *           left empty.
 *
 * Invariants: until the delete step every byte is still at the old
 * place (a renamed file is renamed back on failure), so a failure there
 * rolls back and loses nothing; once the first old file is deleted the
 * move only goes forward.  Killed at any point, stored is given the
 * move again with resume set (btd keeps it in state.db), and the plan
 * reads where each file stands: old place only (moved again), both (an
 * earlier copy: hashed, then the old one goes), new place only (moved).
 * Every path is opened beneath its root with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS (stored_open_beneath()), at both ends.
 *
 * Rejected: copy_file_range() for the copy -- it is a plain read and
 * write across filesystems anyway, and pread/pwrite lets each step stop
 * at its budget.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "stored.pb-c.h"

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "stored.h"
#include "util.h"

#define MOVE_BYTES	(4U << 20)	/* copied or hashed per turn */
#define MOVE_BUF	(1U << 20)	/* one read */
#define MOVE_FILES	256		/* files planned, placed or deleted
					   per turn */
#define MOVE_FILE_COST	(16U << 10)	/* budget a file renamed or passed
					   costs: 256 a turn */
#define MOVE_TMP	".btd-move."	/* + 8 hex digits + "." + index */

enum mf_state {
	MF_SKIP,	/* not the torrent's, or nowhere: stays */
	MF_PENDING,	/* at the old place only */
	MF_COPYING,	/* being copied to its temporary name */
	MF_RENAMED,	/* renamed to the new place, this attempt */
	MF_COPIED,	/* copied to its temporary name and flushed */
	MF_PLACED,	/* the copy took its name, this attempt */
	MF_FOUND,	/* at the new place already (resume) */
};

struct mfile {
	char		*dst;		/* relative to the new root */
	char		*tmp;		/* ... its temporary copy */
	enum mf_state	 state;
	int		 src_there;	/* the old file is still there */
};

enum mphase { MV_WAIT, MV_PLAN, MV_COPY, MV_VERIFY, MV_PLACE, MV_DELETE };

struct move {
	TAILQ_ENTRY(move)	 entry;
	struct torrent		*t;
	char			*root;		/* the new root */
	char			*dir;		/* relative to it */
	uint8_t			*owned;		/* bitfield over the files */
	int			 resume;
	int			 remove_dir;
	struct mfile		*f;		/* t->map.nfiles */
	enum mphase		 phase;
	uint32_t		 cur;		/* file (or piece) of the step */
	uint64_t		 off;		/* copy: bytes done of cur */
	int			 sfd, dfd;	/* copy: old file, copy */
	int			 verify;	/* hash at the new place */
	EVP_MD_CTX		*md;		/* verify: piece cur */
	uint32_t		 poff;		/* ... bytes hashed of it */
	int			 rfd;		/* verify: open file, or -1 */
	uint32_t		 rfile;		/* ... its index */
	uint64_t		 done, total;	/* MoveProgress */
	uint64_t		 progress_ms;
	uint32_t		 renamed, copied, hashed;
	uint32_t		 left;		/* old files not removed */
	char			 err[1024];
};

static TAILQ_HEAD(, move)	 moves = TAILQ_HEAD_INITIALIZER(moves);
static struct event		*move_ev;
static EVP_MD			*sha1;
static uint8_t			*buf;		/* MOVE_BUF bytes */

static void	move_schedule(void);
static int	unlink_beneath(int, const char *);


static void
move_free(struct move *m)
{
	uint32_t i;

	if (m == NULL)
		return;
	if (m->f != NULL)
		for (i = 0; i < m->t->map.nfiles; i++) {
			free(m->f[i].dst);
			free(m->f[i].tmp);
		}
	if (m->sfd != -1)
		close(m->sfd);
	if (m->dfd != -1)
		close(m->dfd);
	if (m->rfd != -1)
		close(m->rfd);
	EVP_MD_CTX_free(m->md);
	free(m->f);
	free(m->root);
	free(m->dir);
	free(m->owned);
	free(m);
}

static void
send_result(uint32_t num, int ok, const char *error, int rolled_back,
    const struct move *m)
{
	Btd__MoveResult	 r = BTD__MOVE_RESULT__INIT;
	struct chan	*c = stored_btd_chan();

	r.torrent = num;
	r.ok = ok;
	r.error = (char *)(uintptr_t)error;
	r.rolled_back = rolled_back;
	if (m != NULL) {
		r.renamed = m->renamed;
		r.copied = m->copied;
		r.hashed = m->hashed;
	}
	if (c != NULL && MSG_SEND(c, Btd__StoredMsg, STORED_MSG, MOVE_RESULT,
	    move_result, &r, -1) == -1)
		log_warn("%s: move result", __func__);
}

void
stored_move_refuse(uint32_t num, const char *error)
{
	log_warnx("move of torrent %u refused: %s", num, error);
	send_result(num, 0, error, 1, NULL);
}

static void
send_progress(struct move *m, int force)
{
	Btd__MoveProgress	 p = BTD__MOVE_PROGRESS__INIT;
	struct chan		*c = stored_btd_chan();
	uint64_t		 now = util_now_ms();

	if (!force && now - m->progress_ms < STORED_PROGRESS_MS)
		return;
	m->progress_ms = now;
	p.torrent = m->t->num;
	p.done = m->done < m->total ? m->done : m->total;
	p.total = m->total;
	if (c != NULL && MSG_SEND(c, Btd__StoredMsg, STORED_MSG,
	    MOVE_PROGRESS, move_progress, &p, -1) == -1)
		log_warn("%s: move progress", __func__);
}

/* "dir/rel" ("rel" when dir is ""), from malloc. */
static char *
join(const char *dir, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s%s%s", dir, dir[0] ? "/" : "", rel) == -1)
		return NULL;
	return p;
}

/* The parent directory of path beneath rootfd (O_PATH); -1 with errno. */
static int
parent_fd(int rootfd, const char *path, const char **base)
{
	char parent[STORED_PATH_MAX];

	*base = stored_split(path, parent, sizeof(parent));
	return stored_open_beneath(rootfd, parent, O_PATH | O_DIRECTORY, 0);
}

/*
 * Is there a regular file at path beneath rootfd?  1, 0 (nothing), or
 * -1 with errno (ELOOP: a symlink on the way; EISDIR: not a file).
 */
static int
file_there(int rootfd, const char *path)
{
	struct stat	 st;
	int		 fd;

	if ((fd = stored_open_beneath(rootfd, path, O_PATH, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return 1;
}

/* The reason path could not be used, for a person. */
static void
why_path(struct move *m, const char *where, const char *path, int e)
{
	char esc[512];

	log_escape(esc, sizeof(esc), path, strlen(path));
	if (e == ELOOP || e == EXDEV)
		snprintf(m->err, sizeof(m->err), "%s %s: a symlink (or one on "
		    "the way); refused", where, esc);
	else if (e == EEXIST)
		snprintf(m->err, sizeof(m->err), "%s %s exists already; "
		    "refused", where, esc);
	else
		snprintf(m->err, sizeof(m->err), "%s %s: %s", where, esc,
		    strerror(e));
}

int
stored_move_data(struct torrent *t, const Btd__MoveData *md)
{
	struct move	*m;
	size_t		 bf = (t->map.nfiles + 7) / 8;

	if (md->root == NULL || md->root[0] != '/' ||
	    strlen(md->root) >= STORED_PATH_MAX || md->dir == NULL ||
	    strlen(md->dir) >= STORED_PATH_MAX / 2 || md->owned.len != bf) {
		stored_move_refuse(t->num, "bad move request");
		return -1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto nomem;
	m->sfd = m->dfd = m->rfd = -1;
	m->t = t;
	if ((m->root = strdup(md->root)) == NULL ||
	    (m->dir = strdup(md->dir)) == NULL ||
	    (m->owned = malloc(bf)) == NULL ||
	    (m->f = calloc(t->map.nfiles, sizeof(*m->f))) == NULL ||
	    (m->md = EVP_MD_CTX_new()) == NULL)
		goto nomem;
	memcpy(m->owned, md->owned.data, bf);
	m->resume = md->resume;
	m->remove_dir = md->remove_dir;
	m->phase = MV_WAIT;
	t->state = T_MOVING;
	t->move = m;
	TAILQ_INSERT_TAIL(&moves, m, entry);
	log_info("torrent %u (%s): to move to %s/%s%s", t->num, t->name,
	    m->root, m->dir, m->resume ? " (resumed)" : "");
	return 0;
nomem:
	move_free(m);
	stored_move_refuse(t->num, "out of memory");
	return -1;
}

void
stored_move_ready(struct torrent *t)
{
	struct move *m = t->move;

	if (m == NULL || m->phase != MV_WAIT)
		return;
	m->phase = MV_PLAN;
	m->cur = 0;
	move_schedule();
}

/* Plan file i: where it stands at both places.  -1 stops the move. */
static int
plan_file(struct move *m, uint32_t i, int oldfd, int newfd)
{
	struct torrent	*t = m->t;
	struct mfile	*f = &m->f[i];
	const char	*src = t->files[i].path, *rel = src + t->dirlen;
	char		 parent[STORED_PATH_MAX], name[64];
	int		 s, d;

	f->state = MF_SKIP;
	if (t->mfiles[i].pad || t->files[i].symlink ||
	    !BIT_ISSET(m->owned, i))
		return 0;
	if ((f->dst = join(m->dir, rel)) == NULL)
		goto nomem;
	(void)stored_split(f->dst, parent, sizeof(parent));
	snprintf(name, sizeof(name), "%s%02x%02x%02x%02x.%u", MOVE_TMP,
	    t->ih[0], t->ih[1], t->ih[2], t->ih[3], i);
	if (strcmp(parent, ".") == 0)
		f->tmp = strdup(name);
	else if (asprintf(&f->tmp, "%s/%s", parent, name) == -1)
		f->tmp = NULL;
	if (f->tmp == NULL)
		goto nomem;
	if ((s = file_there(oldfd, src)) == -1) {
		why_path(m, "file", src, errno);
		return -1;
	}
	if ((d = file_there(newfd, f->dst)) == -1) {
		why_path(m, "destination", f->dst, errno);
		return -1;
	}
	switch (file_there(newfd, f->tmp)) {
	case -1:
		why_path(m, "destination", f->tmp, errno);
		return -1;
	case 1:
		if (!m->resume) {
			why_path(m, "destination", f->tmp, EEXIST);
			return -1;
		}
		/* An earlier attempt's copy, perhaps short: made again. */
		if (unlink_beneath(newfd, f->tmp) == -1) {
			why_path(m, "destination", f->tmp, errno);
			return -1;
		}
		log_info("torrent %u (%s): an earlier attempt's copy of file "
		    "%u is made again", t->num, t->name, i);
		break;
	}
	if (d == 1) {
		if (!m->resume) {
			why_path(m, "destination", f->dst, EEXIST);
			return -1;
		}
		f->state = MF_FOUND;
		f->src_there = s;
		m->verify = 1;
	} else if (s == 1) {
		f->state = MF_PENDING;
		f->src_there = 1;
	}
	return 0;
nomem:
	snprintf(m->err, sizeof(m->err), "out of memory");
	return -1;
}

/* Rename old to new (both beneath their roots, parents made); errno. */
static int
rename_beneath(int fromroot, const char *from, int toroot, const char *to)
{
	const char	*fb, *tb;
	int		 fp, tp, rc, e;

	if (stored_mkparents(toroot, to) == -1)
		return -1;
	if ((fp = parent_fd(fromroot, from, &fb)) == -1)
		return -1;
	if ((tp = parent_fd(toroot, to, &tb)) == -1) {
		e = errno;
		close(fp);
		errno = e;
		return -1;
	}
	rc = renameat2(fp, fb, tp, tb, RENAME_NOREPLACE);
	e = errno;
	close(fp);
	close(tp);
	errno = e;
	return rc;
}

/* Unlink path beneath rootfd; a missing file is no error. */
static int
unlink_beneath(int rootfd, const char *path)
{
	const char	*base;
	int		 pfd, rc, e;

	if ((pfd = parent_fd(rootfd, path, &base)) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = unlinkat(pfd, base, 0);
	e = errno;
	close(pfd);
	if (rc == -1 && e == ENOENT)
		return 0;
	errno = e;
	return rc;
}

/* Flush the directory that holds path beneath rootfd. */
static int
sync_parent(int rootfd, const char *path)
{
	char	 parent[STORED_PATH_MAX];
	int	 fd, rc, e;

	(void)stored_split(path, parent, sizeof(parent));
	if ((fd = stored_open_beneath(rootfd, parent, O_RDONLY | O_DIRECTORY,
	    0)) == -1)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/*
 * Remove the directories left empty between path (beneath rootfd, in
 * dir) and dir: never dir itself, nor anything above it.
 */
static void
prune_below(int rootfd, const char *dir, const char *path)
{
	size_t	 n = strlen(dir);
	int	 dfd;

	if (rootfd == -1 || (dfd = stored_open_beneath(rootfd, n ? dir : ".",
	    O_PATH | O_DIRECTORY, 0)) == -1)
		return;
	stored_prune(dfd, path + (n ? n + 1 : 0));
	close(dfd);
}

/* One step of the copy; 1 when every file is at the new place. */
static int
copy_step(struct move *m, int oldfd, int newfd, uint64_t *budget)
{
	struct torrent	*t = m->t;
	struct mfile	*f;
	ssize_t		 n, w;
	size_t		 done;

	for (; m->cur < t->map.nfiles && *budget > 0; m->cur++) {
		f = &m->f[m->cur];
		if (f->state != MF_COPYING)
			*budget = *budget > MOVE_FILE_COST ? *budget -
			    MOVE_FILE_COST : 0;
		if (f->state == MF_PENDING) {
			if (rename_beneath(oldfd, t->files[m->cur].path, newfd,
			    f->dst) == 0) {
				f->state = MF_RENAMED;
				f->src_there = 0;
				m->renamed++;
				continue;
			}
			if (errno != EXDEV) {
				why_path(m, "destination", f->dst, errno);
				return -1;
			}
			/* Another filesystem: a copy beside the destination. */
			if ((m->sfd = stored_open_beneath(oldfd,
			    t->files[m->cur].path, O_RDONLY, 0)) == -1) {
				why_path(m, "file", t->files[m->cur].path, errno);
				return -1;
			}
			if ((m->dfd = stored_open_beneath(newfd, f->tmp,
			    O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1) {
				why_path(m, "destination", f->tmp, errno);
				return -1;
			}
			f->state = MF_COPYING;
			m->off = 0;
			m->verify = 1;
			{
				struct stat st;

				if (fstat(m->sfd, &st) == 0)
					m->total += (uint64_t)st.st_size;
			}
		}
		if (f->state != MF_COPYING)
			continue;
		while (*budget > 0) {
			n = pread(m->sfd, buf, MOVE_BUF, (off_t)m->off);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				why_path(m, "read", t->files[m->cur].path,
				    errno);
				return -1;
			}
			if (n == 0)
				break;
			for (done = 0; done < (size_t)n; done += (size_t)w) {
				w = pwrite(m->dfd, buf + done, (size_t)n - done,
				    (off_t)(m->off + done));
				if (w == -1 && errno == EINTR) {
					w = 0;
					continue;
				}
				if (w <= 0) {
					why_path(m, "write", f->tmp, w == 0 ?
					    EIO : errno);
					return -1;
				}
			}
			m->off += (uint64_t)n;
			m->done += (uint64_t)n;
			*budget = *budget > (uint64_t)n ? *budget - (uint64_t)n :
			    0;
		}
		if (*budget == 0)
			return 0;	/* this file goes on next turn */
		if (fdatasync(m->dfd) == -1) {
			why_path(m, "flush", f->tmp, errno);
			return -1;
		}
		close(m->sfd);
		close(m->dfd);
		m->sfd = m->dfd = -1;
		f->state = MF_COPIED;
		m->copied++;
	}
	return m->cur == t->map.nfiles;
}

/* Where file i's bytes are at the new place, or NULL if nowhere. */
static const char *
new_path(struct move *m, uint32_t i)
{
	switch (m->f[i].state) {
	case MF_RENAMED:
	case MF_PLACED:
	case MF_FOUND:
		return m->f[i].dst;
	case MF_COPIED:
		return m->f[i].tmp;
	default:
		return NULL;
	}
}

/* Hash bytes [off, off + len) of piece p at the new place into m->md. */
static int
hash_range(struct move *m, int newfd, uint32_t p, uint32_t off, uint32_t len)
{
	struct torrent		*t = m->t;
	struct smap_iter	 it;
	struct smap_extent	 e;
	const char		*path;
	ssize_t			 n;
	uint32_t		 got;

	if (smap_range(&t->map, p, off, len, &it) == -1) {
		snprintf(m->err, sizeof(m->err), "piece %u: bad range", p);
		return -1;
	}
	while (smap_next(&it, &e)) {
		if (e.pad) {
			memset(buf, 0, e.length);
			EVP_DigestUpdate(m->md, buf, e.length);
			continue;
		}
		if (m->rfd == -1 || m->rfile != e.file) {
			if (m->rfd != -1)
				close(m->rfd);
			m->rfd = -1;
			if ((path = new_path(m, e.file)) == NULL) {
				snprintf(m->err, sizeof(m->err), "piece %u is "
				    "verified but file %u is nowhere", p,
				    e.file);
				return -1;
			}
			if ((m->rfd = stored_open_beneath(newfd, path, O_RDONLY,
			    0)) == -1) {
				why_path(m, "destination", path, errno);
				return -1;
			}
			m->rfile = e.file;
		}
		for (got = 0; got < e.length; got += (uint32_t)n) {
			n = pread(m->rfd, buf + got, e.length - got,
			    (off_t)(e.file_offset + got));
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				snprintf(m->err, sizeof(m->err), "piece %u: "
				    "read at the new place: %s", p, n == 0 ?
				    "file is short" : strerror(errno));
				return -1;
			}
		}
		EVP_DigestUpdate(m->md, buf, e.length);
	}
	return 0;
}

/* One step of the verification; 1 when every verified piece matched. */
static int
verify_step(struct move *m, int newfd, uint64_t *budget)
{
	struct torrent	*t = m->t;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	uint32_t	 size, n;

	while (m->cur < t->map.piece_count && *budget > 0) {
		if (t->have_in == NULL || !BIT_ISSET(t->have_in, m->cur)) {
			m->cur++;
			continue;
		}
		size = smap_piece_size(&t->map, m->cur);
		if (m->poff == 0 && EVP_DigestInit_ex(m->md, sha1, NULL) != 1)
			fatalx("%s: SHA-1 init", __func__);
		n = size - m->poff;
		if (n > MOVE_BUF)
			n = MOVE_BUF;
		if (hash_range(m, newfd, m->cur, m->poff, n) == -1)
			return -1;
		m->poff += n;
		m->done += n;
		*budget = *budget > n ? *budget - n : 0;
		if (m->poff < size)
			continue;
		if (EVP_DigestFinal_ex(m->md, md, NULL) != 1)
			fatalx("%s: SHA-1 final", __func__);
		m->hashed++;
		if (memcmp(md, t->hashes + (size_t)m->cur * SHA1_LEN,
		    SHA1_LEN) != 0) {
			snprintf(m->err, sizeof(m->err), "piece %u does not "
			    "match its hash at the new place", m->cur);
			return -1;
		}
		m->poff = 0;
		m->cur++;
	}
	return m->cur == t->map.piece_count;
}

/* The bytes the verification hashes, for the progress. */
static uint64_t
verify_bytes(struct move *m)
{
	struct torrent	*t = m->t;
	uint64_t	 n = 0;
	uint32_t	 p;

	if (t->have_in == NULL)
		return 0;
	for (p = 0; p < t->map.piece_count; p++)
		if (BIT_ISSET(t->have_in, p))
			n += smap_piece_size(&t->map, p);
	return n;
}

/*
 * The move failed before any old file was deleted: renamed files go
 * back, copies go.  1 if everything is where it was.
 */
static int
rollback(struct move *m, int oldfd, int newfd)
{
	struct torrent	*t = m->t;
	struct mfile	*f;
	uint32_t	 i;
	int		 back = 1;

	if (m->sfd != -1)
		close(m->sfd);
	if (m->dfd != -1)
		close(m->dfd);
	m->sfd = m->dfd = -1;
	for (i = 0; i < t->map.nfiles; i++) {
		f = &m->f[i];
		switch (f->state) {
		case MF_COPYING:
		case MF_COPIED:
			if (newfd != -1 && unlink_beneath(newfd, f->tmp) == -1)
				log_warn("move: remove %s", f->tmp);
			break;
		case MF_PLACED:
			/* Ours, and the old file is still there. */
			if (newfd != -1 && unlink_beneath(newfd, f->dst) == -1)
				log_warn("move: remove %s", f->dst);
			break;
		case MF_RENAMED:
		case MF_FOUND:
			if (f->src_there)
				break;
			if (oldfd == -1 || newfd == -1 ||
			    rename_beneath(newfd, f->dst, oldfd,
			    t->files[i].path) == -1) {
				log_warn("move: %s back", f->dst);
				back = 0;
			}
			break;
		default:
			break;
		}
		if (f->state != MF_SKIP && f->state != MF_PENDING &&
		    f->state != MF_FOUND)
			prune_below(newfd, m->dir, f->dst);
	}
	if (back && newfd != -1 && m->remove_dir && m->dir[0] != '\0') {
		char		 parent[STORED_PATH_MAX];
		const char	*base;
		int		 pfd;

		base = stored_split(m->dir, parent, sizeof(parent));
		if ((pfd = stored_open_beneath(newfd, parent,
		    O_PATH | O_DIRECTORY, 0)) != -1) {
			(void)unlinkat(pfd, base, AT_REMOVEDIR);
			close(pfd);
		}
	}
	return back;
}

/*
 * Up to MOVE_FILES old files go, with the directories left empty; 1
 * when all have.  A file that cannot be removed is left (and logged):
 * its data is at the new place.
 */
static int
delete_step(struct move *m, int oldfd)
{
	struct torrent	*t = m->t;
	struct mfile	*f;
	char		 parent[STORED_PATH_MAX];
	const char	*base;
	uint32_t	 n;
	int		 pfd;

	for (n = 0; n < MOVE_FILES && m->cur < t->map.nfiles;
	    n++, m->cur++) {
		f = &m->f[m->cur];
		if (f->state == MF_SKIP || f->state == MF_PENDING)
			continue;
		if (f->src_there && unlink_beneath(oldfd,
		    t->files[m->cur].path) == -1) {
			log_warn("move: remove old %s", t->files[m->cur].path);
			m->left++;
			continue;
		}
		prune_below(oldfd, t->dir, t->files[m->cur].path);
	}
	if (m->cur < t->map.nfiles)
		return 0;
	if (m->remove_dir && t->dir[0] != '\0') {
		base = stored_split(t->dir, parent, sizeof(parent));
		if ((pfd = stored_open_beneath(oldfd, parent,
		    O_PATH | O_DIRECTORY, 0)) != -1) {
			(void)unlinkat(pfd, base, AT_REMOVEDIR);
			close(pfd);
		}
	}
	if (m->left > 0)
		log_warnx("torrent %u (%s): moved; %u old file%s could not "
		    "be removed", t->num, t->name, m->left, m->left == 1 ? "" :
		    "s");
	return 1;
}

/* The move of the torrent is over: answered, and t is forgotten. */
static void
move_finish(struct move *m, int ok, int rolled_back)
{
	struct torrent	*t = m->t;
	char		 esc[1200];

	TAILQ_REMOVE(&moves, m, entry);
	t->move = NULL;
	t->state = T_HASHES;	/* torrent_free() has nothing to undo */
	if (ok)
		log_info("torrent %u (%s): moved to %s/%s: %u renamed, %u "
		    "copied, %u pieces hashed", t->num, t->name, m->root,
		    m->dir, m->renamed, m->copied, m->hashed);
	else
		log_warnx("torrent %u (%s): move to %s failed: %s%s", t->num,
		    t->name, m->root, log_escape(esc, sizeof(esc), m->err,
		    strlen(m->err)), rolled_back ? "; rolled back" :
		    "; part of it moved");
	send_progress(m, 1);
	send_result(t->num, ok, ok ? "" : m->err, rolled_back, m);
	move_free(m);
	torrent_free(t);
}

/* One turn of the first move that can run. */
static void
move_run(evutil_socket_t fd, short ev, void *arg)
{
	struct move	*m;
	struct torrent	*t;
	uint64_t	 budget = MOVE_BYTES;
	uint32_t	 n;
	int		 oldfd, newfd, r;

	(void)fd;
	(void)ev;
	(void)arg;
	TAILQ_FOREACH(m, &moves, entry)
		if (m->phase != MV_WAIT)
			break;
	if (m == NULL)
		return;
	t = m->t;
	oldfd = stored_root_fd(t->root);
	newfd = stored_root_fd(m->root);
	if (oldfd == -1 || newfd == -1) {
		why_path(m, "root", oldfd == -1 ? t->root : m->root, errno);
		move_finish(m, 0, 1);
		move_schedule();
		return;
	}
	switch (m->phase) {
	case MV_PLAN:
		for (n = 0; n < MOVE_FILES && m->cur < t->map.nfiles;
		    n++, m->cur++)
			if (plan_file(m, m->cur, oldfd, newfd) == -1) {
				/* Nothing changed yet but stale copies. */
				move_finish(m, 0, 1);
				move_schedule();
				return;
			}
		if (m->cur == t->map.nfiles) {
			m->phase = MV_COPY;
			m->cur = 0;
		}
		break;
	case MV_COPY:
		if ((r = copy_step(m, oldfd, newfd, &budget)) == -1)
			goto fail;
		if (r == 1) {
			m->phase = m->verify ? MV_VERIFY : MV_PLACE;
			m->cur = 0;
			if (m->verify)
				m->total += verify_bytes(m);
		}
		break;
	case MV_VERIFY:
		if ((r = verify_step(m, newfd, &budget)) == -1)
			goto fail;
		if (r == 1) {
			if (m->rfd != -1)
				close(m->rfd);
			m->rfd = -1;
			m->phase = MV_PLACE;
			m->cur = 0;
		}
		break;
	case MV_PLACE:
		for (n = 0; n < MOVE_FILES && m->cur < t->map.nfiles;
		    n++, m->cur++) {
			struct mfile *f = &m->f[m->cur];

			if (f->state == MF_COPIED) {
				if (rename_beneath(newfd, f->tmp, newfd,
				    f->dst) == -1) {
					why_path(m, "destination", f->dst,
					    errno);
					goto fail;
				}
				f->state = MF_PLACED;
			}
			if ((f->state == MF_PLACED || f->state == MF_RENAMED) &&
			    sync_parent(newfd, f->dst) == -1) {
				why_path(m, "flush", f->dst, errno);
				goto fail;
			}
		}
		if (m->cur == t->map.nfiles) {
			/* From here on the move only goes forward. */
			m->phase = MV_DELETE;
			m->cur = 0;
		}
		break;
	case MV_DELETE:
		if (delete_step(m, oldfd) == 1) {
			move_finish(m, 1, 0);
			move_schedule();
			return;
		}
		break;
	case MV_WAIT:
		break;
	}
	send_progress(m, 0);
	move_schedule();
	return;
fail:
	move_finish(m, 0, rollback(m, oldfd, newfd));
	move_schedule();
}

static void
move_schedule(void)
{
	struct timeval	 tv = { 0, 0 };
	struct move	*m;

	TAILQ_FOREACH(m, &moves, entry)
		if (m->phase != MV_WAIT) {
			/* A timer: one turn of I/O between the steps. */
			evtimer_add(move_ev, &tv);
			return;
		}
}

void
stored_move_forget(struct torrent *t)
{
	struct move	*m = t->move;

	if (m == NULL)
		return;
	if (m->phase > MV_PLAN && m->phase < MV_DELETE)
		(void)rollback(m, stored_root_fd(t->root),
		    stored_root_fd(m->root));
	TAILQ_REMOVE(&moves, m, entry);
	t->move = NULL;
	move_free(m);
}

void
stored_move_init(struct event_base *base)
{
	if ((sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)) == NULL)
		fatalx("%s: SHA-1", __func__);
	if ((buf = malloc(MOVE_BUF)) == NULL)
		fatal("%s", __func__);
	if ((move_ev = evtimer_new(base, move_run, NULL)) == NULL)
		fatalx("%s: event", __func__);
}
