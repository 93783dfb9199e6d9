/*
 * stored_torrent.c -- the torrents btd gave stored: the registry, the
 * check, and the btd channel's dispatch.
 *
 * Takes from btd: StoredTorrentAdd, TorrentFiles, TorrentHashes,
 * TorrentRemove (and
 * DeleteData, stored_files.c).  Sends btd: TorrentChecked, TorrentError,
 * FilesCreated (PiecesDurable: stored_flush.c); sends peerd TorrentHave
 * and TorrentGone through stored_block.c.
 *
 * Ownership: a file is reported in FilesCreated only when the open with
 * O_CREAT | O_EXCL that made it succeeded (stored_cache.c for files
 * with data, check_done() for empty ones); a file found in place is
 * never reported, so remove --delete-data leaves it unless its data
 * verified.
 *
 * btd is not trusted either: a StoredTorrentAdd whose geometry, paths or
 * sizes do not hold together is refused with a TorrentError naming what
 * is wrong, and the torrent is not stored; numbers, lengths and ranges
 * in every message are checked before use.  Torrents are keyed by btd's
 * uint32 number in a hash table.
 *
 * Files in parts: a StoredTorrentAdd whose file_count is more than it
 * carries waits in `stage` (copies of its scalars and of every file)
 * until its TorrentFiles have brought the rest; btd sends them right
 * after it, so one torrent is staged at a time.  Only then is the
 * torrent built and checked like any other.
 *
 * Checking (StoredTorrentAdd's comment): first every file is looked at
 * (STORED_CHECK_FILES per event-loop turn) and, from their sizes and
 * mtimes against btd's records, stored_resume.c decides once which
 * pieces are trusted, hashed or lost; then the pieces in order, in runs
 * that the hash workers (stored_hash.c) read and hash themselves (see
 * struct ckrun), so that the channels stay responsive while a large
 * torrent is checked and every core hashes.  One torrent is checked
 * at a time, in the order they came.  Once checked, zero-length files
 * are created and the torrent is ready: TorrentChecked to btd (with
 * every file's stats, the files missing under recorded pieces, and how
 * many pieces were trusted or lost), TorrentHave to peerd.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "stored.pb-c.h"

#include "arena.h"
#include "chan.h"
#include "log.h"
#include "msg.h"
#include "stored.h"
#include "util.h"

#define TORRENT_BUCKETS	16384	/* hash chains of the registry */
#define CHECK_RUNS_WORKER 8	/* runs out a hash worker */
#define FILES_CREATED_MAX 16384	/* indexes in one FilesCreated (proto) */
#define FILES_CREATED_BATCH 1024 /* empty files one check reports at once */

LIST_HEAD(tlist, torrent);
static struct tlist		 buckets[TORRENT_BUCKETS];
static unsigned			 ntorrents;
static uint64_t			 npieces;	/* of all torrents */
static TAILQ_HEAD(, torrent)	 checkq = TAILQ_HEAD_INITIALIZER(checkq);
static struct event_base	*sbase;
static struct chan		*btd_chan;
static struct event		*check_ev;
static EVP_MD			*sha1;
static long			 pagesz;
/*
 * The check hands the hash workers runs: up to STORED_CHECK_RUN_PIECES
 * pieces, STORED_CHECK_RUN_BYTES bytes of them, that the worker hashes,
 * one digest a piece (check_work()): long extents straight from a
 * read-only mapping of their file (a window up to where the run ends in
 * it, faulted in as it is hashed: populating the window first with
 * MAP_POPULATE held the hashing back, 0.18 s against 0.16 s for 512 MiB
 * on two cores here), short ones pread into its own buffer of
 * STORED_CHECK_READ bytes first; the event loop only picks the
 * pieces and, once a run is back, compares the digests with the
 * torrent's hashes.  Up to ck.nruns runs are out at once, so that every
 * worker has the next one queued when it finishes one.  A run reads
 * through a ckview, copies of what it needs of the torrent (the map,
 * the paths, a descriptor of the root), so that the torrent may go away
 * while runs are out: a run whose torrent is gone, or checked again
 * since (ck_serial), is dropped when it comes back.  The view is freed
 * by the last of the check and its runs (refs, event loop only).
 */
struct ckview {
	unsigned	 refs;		/* the check and its runs out */
	int		 rootfd;	/* a dup of the root's */
	struct smap	 map;		/* over files */
	struct smap_file *files;
	char		**paths;	/* relative to the root */
};

struct ckrun {
	struct ckview	*v;		/* NULL: free */
	uint32_t	 num;		/* torrent */
	uint64_t	 serial;	/* its check */
	int		 back;		/* done, verdicts not yet taken */
	uint64_t	 end;		/* stream offset where its last piece
					   ends */
	uint32_t	 n;
	uint32_t	 piece[STORED_CHECK_RUN_PIECES];
	uint8_t		 md[STORED_CHECK_RUN_PIECES][SHA1_LEN];
	uint8_t		 bad[STORED_CHECK_RUN_PIECES];	/* not read */
	char		 err[512];	/* the first read that failed */
};

static struct {
	struct ckrun	 r[STORED_CHECK_RUNS];
	unsigned	 nruns;		/* used: a few per worker */
	unsigned	 out;		/* runs not back */
	uint64_t	 serial;	/* the last check's */
	int		 waiting;	/* check_run() waits for runs */
	uint64_t	 progress_ms;	/* last CheckProgress */
} ck;

static void	check_schedule(void);
static void	ckview_release(struct ckview *);
static int	path_ok(const char *, int);

static struct tlist *
bucket(uint32_t num)
{
	return &buckets[(num * 2654435761U) >> 18];	/* 14 bits */
}

struct event_base *
stored_base(void)
{
	return sbase;
}

struct chan *
stored_btd_chan(void)
{
	return btd_chan;
}

struct torrent *
torrent_find(uint32_t num)
{
	struct torrent *t;

	LIST_FOREACH(t, bucket(num), hash)
		if (t->num == num)
			return t;
	return NULL;
}

struct torrent *
torrent_first(void)
{
	unsigned i;

	for (i = 0; i < TORRENT_BUCKETS; i++)
		if (!LIST_EMPTY(&buckets[i]))
			return LIST_FIRST(&buckets[i]);
	return NULL;
}

struct torrent *
torrent_next(struct torrent *t)
{
	unsigned i;

	if (LIST_NEXT(t, hash) != NULL)
		return LIST_NEXT(t, hash);
	for (i = (unsigned)(bucket(t->num) - buckets) + 1; i < TORRENT_BUCKETS;
	    i++)
		if (!LIST_EMPTY(&buckets[i]))
			return LIST_FIRST(&buckets[i]);
	return NULL;
}

void
torrent_free(struct torrent *t)
{
	uint32_t i;

	if (t == NULL)
		return;
	stored_block_forget(t);
	stored_cache_drop(t);
	if (t->state == T_CHECKING)
		TAILQ_REMOVE(&checkq, t, checkq);
	if (t->state == T_MOVING)
		stored_move_forget(t);
	ckview_release(t->ck_view);	/* its runs out hold theirs */
	LIST_REMOVE(t, hash);
	ntorrents--;
	npieces -= t->map.piece_count;
	for (i = 0; i < t->map.nfiles; i++)
		free(t->files[i].path);
	free(t->files);
	free(t->mfiles);
	free(t->root);
	free(t->name);
	free(t->dir);
	free(t->hashes);
	free(t->hash_got);
	free(t->have);
	free(t->have_in);
	free(t->res);
	free(t->verdict);
	free(t->missing);
	free(t);
}

void
torrent_file_synced(struct torrent *t, uint32_t file, uint64_t size,
    int64_t mtime)
{
	struct tfile *f;

	if (file >= t->map.nfiles)
		return;
	f = &t->files[file];
	if (!f->sy_owed)
		t->sy_nowed++;
	f->sy_owed = 1;
	f->sy_size = size;
	f->sy_mtime = mtime;
}

static void
send_error(uint32_t num, const char *error)
{
	Btd__TorrentError te = BTD__TORRENT_ERROR__INIT;

	te.torrent = num;
	te.error = (char *)(uintptr_t)error;
	if (btd_chan != NULL && MSG_SEND(btd_chan, Btd__StoredMsg, STORED_MSG,
	    TORRENT_ERROR, torrent_error, &te, -1) == -1)
		log_warn("%s: torrent error", __func__);
}

void
torrent_fail(struct torrent *t, const char *fmt, ...)
{
	char	 reason[512], esc[600];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* One line, whatever the file names hold. */
	log_escape(esc, sizeof(esc), reason, strlen(reason));
	log_warnx("torrent %u (%s): %s", t->num, t->name, esc);
	send_error(t->num, esc);
	stored_link_gone(t->num, esc);
	torrent_free(t);
}

int
torrent_pread(struct torrent *t, uint32_t piece, uint32_t off, uint32_t len,
    uint8_t *buf, char *err, size_t errlen)
{
	struct smap_iter	 it;
	struct smap_extent	 e;
	ssize_t			 n;
	size_t			 done;
	int			 fd;

	if (smap_range(&t->map, piece, off, len, &it) == -1) {
		snprintf(err, errlen, "piece %u: bad range", piece);
		return -1;
	}
	while (smap_next(&it, &e)) {
		uint8_t *p = buf + (e.piece_offset - off);

		if (e.pad) {
			memset(p, 0, e.length);
			continue;
		}
		if ((fd = stored_cache_get(t, e.file, 0)) == -1) {
			snprintf(err, errlen, "open %s: %s",
			    t->files[e.file].path, strerror(errno));
			return -1;
		}
		for (done = 0; done < e.length; done += (size_t)n) {
			n = pread(fd, p + done, e.length - done,
			    (off_t)(e.file_offset + done));
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				snprintf(err, errlen, "read %s: %s",
				    t->files[e.file].path, n == 0 ?
				    "file is short" : strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

/* Every file byte of piece is on disk (sizes from the check's stat). */
static int
piece_on_disk(struct torrent *t, uint32_t piece)
{
	struct smap_iter	 it;
	struct smap_extent	 e;

	if (smap_range(&t->map, piece, 0, smap_piece_size(&t->map, piece),
	    &it) == -1)
		return 0;
	while (smap_next(&it, &e))
		if (!e.pad && t->res[e.file].size <
		    (int64_t)(e.file_offset + e.length))
			return 0;
	return 1;
}

/* FileStat i of t as the check found it. */
static void
check_stat_of(const struct torrent *t, uint32_t i, Btd__FileStat *fs)
{
	const struct sres_file *r = &t->res[i];

	btd__file_stat__init(fs);
	fs->file = i;
	if (r->size < 0)
		fs->missing = 1;
	else {
		fs->size = (uint64_t)r->size;
		fs->mtime = r->mtime;
	}
}

/*
 * TorrentChecked, with the first STORED_STATS_MAX files' stats; the
 * others go as owed stats in the next PiecesDurable (stored_flush.c).
 */
static void
send_checked(struct torrent *t)
{
	Btd__TorrentChecked	  tc = BTD__TORRENT_CHECKED__INIT;
	Btd__FileStat		 *fs = NULL, **fsp = NULL;
	uint32_t		 *miss = NULL, i, n, nm = 0;

	n = t->map.nfiles < STORED_STATS_MAX ? t->map.nfiles :
	    STORED_STATS_MAX;
	if ((fs = calloc(n, sizeof(*fs))) == NULL ||
	    (fsp = calloc(n, sizeof(*fsp))) == NULL ||
	    (miss = calloc(n, sizeof(*miss))) == NULL) {
		/* Without stats: btd keeps no record (hashed next time). */
		log_warn("%s", __func__);
		n = 0;
	}
	for (i = 0; i < n; i++) {
		check_stat_of(t, i, &fs[i]);
		fsp[i] = &fs[i];
	}
	for (i = n; i < t->map.nfiles; i++) {
		if (t->res[i].size < 0)
			continue;	/* missing: no record is made */
		torrent_file_synced(t, i, (uint64_t)t->res[i].size,
		    t->res[i].mtime);
	}
	for (i = 0; n > 0 && i < t->map.nfiles && nm < n; i++)
		if (BIT_ISSET(t->missing, i))
			miss[nm++] = i;
	tc.torrent = t->num;
	tc.have.data = t->have;
	tc.have.len = (t->map.piece_count + 7) / 8;
	tc.hashed = t->ck_hashed;
	tc.stats = fsp;
	tc.n_stats = n;
	tc.missing = miss;
	tc.n_missing = nm;
	tc.lost = t->ck_lost;
	tc.trusted = t->ck_trusted;
	if (btd_chan != NULL && MSG_SEND(btd_chan, Btd__StoredMsg, STORED_MSG,
	    CHECKED, checked, &tc, -1) == -1)
		log_warn("%s: torrent checked", __func__);
	free(fs);
	free(fsp);
	free(miss);
}

void
stored_files_created(struct torrent *t, const uint32_t *files, size_t n)
{
	Btd__FilesCreated fc = BTD__FILES_CREATED__INIT;

	assert(n <= FILES_CREATED_MAX);
	if (n == 0 || btd_chan == NULL)
		return;
	fc.torrent = t->num;
	fc.files = (uint32_t *)(uintptr_t)files;
	fc.n_files = n;
	if (MSG_SEND(btd_chan, Btd__StoredMsg, STORED_MSG, FILES_CREATED,
	    files_created, &fc, -1) == -1)
		log_warn("%s: files created", __func__);
}

/* The check of t is over: empty files made, btd and peerd told. */
static void
check_done(struct torrent *t)
{
	uint32_t	 i, n = 0, made[FILES_CREATED_BATCH];
	size_t		 nmade = 0;
	int		 rootfd, fd, absent;

	TAILQ_REMOVE(&checkq, t, checkq);
	t->state = T_READY;
	for (i = 0; i < t->map.nfiles; i++) {
		if (t->mfiles[i].length != 0 || t->mfiles[i].pad ||
		    t->files[i].symlink)
			continue;
		if ((rootfd = stored_root_fd(t->root)) == -1) {
			stored_files_created(t, made, nmade);
			torrent_fail(t, "create %s: %s", t->files[i].path,
			    strerror(errno));
			return;
		}
		/* One that is there already (placed by an administrator). */
		fd = stored_open_beneath(rootfd, t->files[i].path,
		    O_PATH | O_NOFOLLOW, 0);
		absent = fd == -1 && errno == ENOENT;
		if (fd != -1) {
			struct stat st;
			int reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);

			close(fd);
			if (reg)
				continue;
			/* Anything else fails below, as it would be written. */
		}
		if (stored_mkparents(rootfd, t->files[i].path) == -1 ||
		    (fd = stored_open_beneath(rootfd, t->files[i].path,
		    O_WRONLY | O_CREAT | O_NONBLOCK | (absent ? O_EXCL : 0),
		    0644)) == -1) {
			stored_files_created(t, made, nmade);
			torrent_fail(t, "create %s: %s", t->files[i].path,
			    strerror(errno));
			return;
		}
		close(fd);
		if (absent) {
			made[nmade++] = i;
			if (nmade == FILES_CREATED_BATCH) {
				stored_files_created(t, made, nmade);
				nmade = 0;
			}
		}
	}
	stored_files_created(t, made, nmade);
	for (i = 0; i < t->map.piece_count; i++)
		n += BIT_ISSET(t->have, i);
	log_info("torrent %u (%s): checked, %u of %u pieces, %u hashed, "
	    "%u trusted, %u lost", t->num, t->name, n, t->map.piece_count,
	    t->ck_hashed, t->ck_trusted, t->ck_lost);
	for (i = 0; i < t->map.nfiles; i++)
		if (BIT_ISSET(t->missing, i))
			log_warnx("torrent %u (%s): %s is missing", t->num,
			    t->name, t->files[i].path);
	free(t->verdict);
	t->verdict = NULL;
	ckview_release(t->ck_view);	/* its runs are all back */
	t->ck_view = NULL;
	/* preallocation full: every file of a download made at once. */
	for (i = 0; stored_cache_preallocating() && n < t->map.piece_count &&
	    i < t->map.nfiles; i++) {
		if (t->mfiles[i].length == 0 || t->mfiles[i].pad ||
		    t->files[i].symlink)
			continue;
		if (stored_cache_get(t, i, 1) == -1) {
			torrent_fail(t, "%s %s: %s", stored_cache_what(),
			    t->files[i].path, strerror(errno));
			return;
		}
	}
	send_checked(t);
	free(t->res);		/* the check's view of the files, done */
	t->res = NULL;
	log_debug("torrent %u: check: %llu ms files, %llu ms pieces, %llu ms "
	    "sync", t->num, (unsigned long long)(t->ck_ms[1] - t->ck_ms[0]),
	    (unsigned long long)(t->ck_ms[2] - t->ck_ms[1]),
	    (unsigned long long)(util_now_ms() - t->ck_ms[2]));
	/*
	 * Files missing under recorded pieces: btd puts the torrent in
	 * error ("no data found") and takes it away.  peerd is not told its
	 * pieces meanwhile, so that nothing is fetched into the files that
	 * are gone before btd's remove comes.
	 */
	for (i = 0; i < t->map.nfiles; i++)
		if (BIT_ISSET(t->missing, i))
			return;
	stored_link_have(t);
}

/* Look at up to STORED_CHECK_FILES files; 1 when all were. */
static int
check_stat(struct torrent *t)
{
	struct stat	 st;
	unsigned	 n;
	int		 rootfd, fd;

	rootfd = stored_root_fd(t->root);
	for (n = 0; n < STORED_CHECK_FILES && t->ck_file < t->map.nfiles;
	    n++, t->ck_file++) {
		struct tfile	 *f = &t->files[t->ck_file];
		struct sres_file *r = &t->res[t->ck_file];

		r->size = -1;
		r->mtime = 0;
		if (t->mfiles[t->ck_file].pad ||
		    t->mfiles[t->ck_file].length == 0 || rootfd == -1)
			continue;
		fd = stored_open_beneath(rootfd, f->path, O_PATH, 0);
		if (fd == -1)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			r->size = st.st_size;
			r->mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			    st.st_mtim.tv_nsec;
		}
		close(fd);
	}
	if (t->ck_file < t->map.nfiles)
		return 0;
	if (t->verdict == NULL) {
		struct sres_count c;

		/* Once, when every file was looked at (stored_resume.c). */
		if ((t->verdict = malloc(t->map.piece_count)) == NULL)
			fatal("%s", __func__);
		sres_decide(&t->map, t->res, t->have_in, t->recheck,
		    t->written_until, t->verdict, t->missing, &c);
		log_debug("torrent %u: %u pieces trusted, %u to hash, %u lost, "
		    "%u missing", t->num, c.trust, c.hash, c.lost, c.missing);
	}
	return 1;
}

/*
 * Sync up to STORED_CHECK_FILES files that pieces verified by hashing
 * touch (a stored killed before its flush may have left their bytes
 * dirty in the page cache), since TorrentChecked claims them flushed.
 * 1 when all were; 0 also when t failed (it is then gone).
 */
static int
check_sync(struct torrent *t)
{
	unsigned	 n;
	int		 rootfd, fd, rc;

	rootfd = stored_root_fd(t->root);
	for (n = 0; n < STORED_CHECK_FILES && t->ck_sync < t->map.nfiles;
	    t->ck_sync++) {
		struct tfile *f = &t->files[t->ck_sync];

		if (!f->ck_sync || t->mfiles[t->ck_sync].pad)
			continue;
		n++;
		if (rootfd == -1 || (fd = stored_open_beneath(rootfd, f->path,
		    O_RDONLY, 0)) == -1) {
			torrent_fail(t, "open %s: %s", f->path,
			    strerror(errno));
			return 0;
		}
		rc = fdatasync(fd);
		close(fd);
		if (rc == -1) {
			torrent_fail(t, "flush %s: %s", f->path,
			    strerror(errno));
			return 0;
		}
	}
	return t->ck_sync == t->map.nfiles;
}

/* A copy of what t's runs read; NULL with errno on failure. */
static struct ckview *
ckview_new(struct torrent *t)
{
	struct ckview	*v;
	uint32_t	 i;
	int		 rootfd;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->rootfd = -1;
	v->map = t->map;
	if ((v->files = calloc(t->map.nfiles, sizeof(*v->files))) == NULL ||
	    (v->paths = calloc(t->map.nfiles, sizeof(*v->paths))) == NULL)
		goto fail;
	memcpy(v->files, t->mfiles, t->map.nfiles * sizeof(*v->files));
	v->map.files = v->files;
	for (i = 0; i < t->map.nfiles; i++)
		if ((v->paths[i] = strdup(t->files[i].path)) == NULL)
			goto fail;
	if ((rootfd = stored_root_fd(t->root)) == -1 ||
	    (v->rootfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		goto fail;
	v->refs = 1;
	return v;
fail:
	if (v->paths != NULL)
		for (i = 0; i < t->map.nfiles; i++)
			free(v->paths[i]);
	free(v->paths);
	free(v->files);
	free(v);
	return NULL;
}

static void
ckview_release(struct ckview *v)
{
	uint32_t i;

	if (v == NULL || --v->refs > 0)
		return;
	for (i = 0; i < v->map.nfiles; i++)
		free(v->paths[i]);
	free(v->paths);
	free(v->files);
	if (v->rootfd != -1)
		close(v->rootfd);
	free(v);
}

/* A run of the check is back (from stored_hash.c: accounting only). */
static void
check_run_done(void *owner, uint32_t len)
{
	struct ckrun *r = owner;

	(void)len;
	r->back = 1;
	ck.out--;
}

/* A window of one file mapped for a run (check_work()). */
struct ckmap {
	uint32_t	 file;
	uint64_t	 off;		/* of base in the file: page aligned */
	size_t		 len;
	uint8_t		*base;		/* NULL: none */
};

static void
ckmap_drop(struct ckmap *m)
{
	if (m->base != NULL)
		munmap(m->base, m->len);
	m->base = NULL;
}

/*
 * Bytes [off, off + len) of file (open at fd) through m, mapped up to
 * end (where the run's bytes in the file end) at once; NULL if the file
 * cannot be mapped: read instead.
 */
static const uint8_t *
ckmap_get(struct ckmap *m, int fd, uint32_t file, uint64_t off, size_t len,
    uint64_t end)
{
	uint64_t a;

	if (m->base != NULL && m->file == file && off >= m->off &&
	    off + len <= m->off + m->len)
		return m->base + (off - m->off);
	ckmap_drop(m);
	a = off & ~(uint64_t)(pagesz - 1);
	if (end < off + len)
		end = off + len;
	m->len = (size_t)(end - a);
	m->base = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd,
	    (off_t)a);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		return NULL;
	}
	m->file = file;
	m->off = a;
	return m->base + (off - a);
}

/* Open file of v for a run: a regular file, or -1 with r->err said. */
static int
check_open(struct ckrun *r, const struct ckview *v, uint32_t file)
{
	struct stat	 st;
	int		 fd;

	fd = stored_open_beneath(v->rootfd, v->paths[file], O_RDONLY, 0);
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = EINVAL;		/* replaced by something else */
	}
	if (fd == -1 && r->err[0] == '\0')
		snprintf(r->err, sizeof(r->err), "open %s: %s",
		    v->paths[file], errno == EINVAL ? "not a regular file" :
		    strerror(errno));
	return fd;
}

/*
 * In a hash worker: hash every piece of run r, extents of
 * STORED_CHECK_MAP_MIN or more straight from a mapping of their file,
 * the others pread into buf (len bytes) first.  Touches nothing but r,
 * its view (read only) and the worker's buf and md.  A piece with a
 * byte that cannot be read is bad.
 */
static void
check_work(void *owner, uint8_t *buf, size_t len, void *mdctx)
{
	struct ckrun		*r = owner;
	const struct ckview	*v = r->v;
	EVP_MD_CTX		*md = mdctx;
	struct ckmap		 m = { 0, 0, 0, NULL };
	struct smap_iter	 it;
	struct smap_extent	 e;
	const uint8_t		*mp;
	uint64_t		 end;
	uint32_t		 k, file = UINT32_MAX;
	size_t			 fill, done, want;
	ssize_t			 n;
	int			 fd = -1, bad;

	r->err[0] = '\0';
	for (k = 0; k < r->n; k++) {
		bad = smap_range(&v->map, r->piece[k], 0,
		    smap_piece_size(&v->map, r->piece[k]), &it) == -1;
		if (EVP_DigestInit_ex(md, sha1, NULL) != 1)
			fatalx("%s: SHA-1 init", __func__);
		fill = 0;
		while (!bad && smap_next(&it, &e)) {
			if (!e.pad && e.file != file) {
				ckmap_drop(&m);
				if (fd != -1)
					close(fd);
				file = e.file;
				fd = check_open(r, v, file);
			}
			if (!e.pad && fd == -1) {
				bad = 1;
				break;
			}
			/*
			 * Where the run's bytes in this file end, at most a
			 * run's worth on (pieces it skips lie between).
			 */
			end = r->end - v->files[e.file].offset;
			if (end > e.file_offset + STORED_CHECK_RUN_BYTES)
				end = e.file_offset + STORED_CHECK_RUN_BYTES;
			if (!e.pad && end > v->files[e.file].length)
				end = v->files[e.file].length;
			if (!e.pad && e.length >= STORED_CHECK_MAP_MIN &&
			    (mp = ckmap_get(&m, fd, file, e.file_offset,
			    e.length, end)) != NULL) {
				if (fill > 0 && EVP_DigestUpdate(md, buf,
				    fill) != 1)
					fatalx("%s: SHA-1", __func__);
				fill = 0;
				if (stored_hash_mapped(md, mp, e.length) ==
				    -1) {
					if (r->err[0] == '\0')
						snprintf(r->err,
						    sizeof(r->err), "read %s: "
						    "an I/O error, or the file "
						    "shrank", v->paths[file]);
					ckmap_drop(&m);
					bad = 1;
				}
				continue;
			}
			for (done = 0; done < e.length; done += (size_t)n) {
				want = e.length - done;
				if (want > len - fill)
					want = len - fill;
				if (e.pad) {
					memset(buf + fill, 0, want);
					n = (ssize_t)want;
				} else if ((n = pread(fd, buf + fill, want,
				    (off_t)(e.file_offset + done))) <= 0) {
					if (n == -1 && errno == EINTR) {
						n = 0;
						continue;
					}
					if (r->err[0] == '\0')
						snprintf(r->err,
						    sizeof(r->err),
						    "read %s: %s",
						    v->paths[file], n == 0 ?
						    "file is short" :
						    strerror(errno));
					bad = 1;
					break;
				}
				fill += (size_t)n;
				if (fill == len) {
					if (EVP_DigestUpdate(md, buf, fill) !=
					    1)
						fatalx("%s: SHA-1", __func__);
					fill = 0;
				}
			}
		}
		if (!bad && fill > 0 && EVP_DigestUpdate(md, buf, fill) != 1)
			fatalx("%s: SHA-1", __func__);
		if (EVP_DigestFinal_ex(md, r->md[k], NULL) != 1)
			fatalx("%s: SHA-1 final", __func__);
		r->bad[k] = (uint8_t)bad;
	}
	ckmap_drop(&m);
	if (fd != -1)
		close(fd);
}

/* Pieces of the check of t in runs still out. */
static uint32_t
check_out_pieces(const struct torrent *t)
{
	uint32_t	 n = 0;
	unsigned	 i;

	for (i = 0; i < ck.nruns; i++)
		if (ck.r[i].v != NULL && ck.r[i].serial == t->ck_serial &&
		    ck.r[i].num == t->num)
			n += ck.r[i].n;
	return n;
}

/* Tell btd how far the check of t is, at most twice a second. */
static void
check_progress(struct torrent *t, int force)
{
	Btd__CheckProgress	 cp = BTD__CHECK_PROGRESS__INIT;
	uint64_t		 now = util_now_ms();

	if (!force && now - ck.progress_ms < STORED_PROGRESS_MS)
		return;
	ck.progress_ms = now;
	cp.torrent = t->num;
	cp.pieces = t->ck_piece - check_out_pieces(t);
	if (btd_chan != NULL && MSG_SEND(btd_chan, Btd__StoredMsg, STORED_MSG,
	    CHECK_PROGRESS, check_progress, &cp, -1) == -1)
		log_warn("%s: check progress", __func__);
}

/* Run r is back: the verdicts on its pieces, if its check still runs. */
static void
check_take(struct ckrun *r)
{
	struct torrent	*t = torrent_find(r->num);
	uint32_t	 k, p, first, last;

	if (t != NULL && t->state == T_CHECKING && t->ck_serial == r->serial) {
		if (r->err[0] != '\0')
			log_warnx("torrent %u: check: %s", t->num, r->err);
		for (k = 0; k < r->n; k++) {
			if (r->bad[k])
				continue;	/* missing after all */
			p = r->piece[k];
			t->ck_hashed++;
			if (memcmp(r->md[k], t->hashes + (size_t)p * SHA1_LEN,
			    SHA1_LEN) != 0)
				continue;
			BIT_SET(t->have, p);
			smap_piece_files(&t->map, p, &first, &last);
			for (; first <= last; first++)
				t->files[first].ck_sync = 1;
		}
	}
	ckview_release(r->v);
	r->v = NULL;
	r->back = 0;
}

/*
 * Fill free run r with the next pieces of t to hash, skipping those with
 * bytes missing and those trusted, and hand it out; 0 if none was left
 * or *budget is spent.
 */
static int
check_fill(struct torrent *t, struct ckrun *r, uint32_t *budget)
{
	uint64_t	 bytes = 0;
	uint32_t	 p, size;

	r->n = 0;
	while (*budget > 0 && t->ck_piece < t->map.piece_count &&
	    r->n < STORED_CHECK_RUN_PIECES) {
		p = t->ck_piece;
		size = smap_piece_size(&t->map, p);
		if (r->n > 0 && bytes + size > STORED_CHECK_RUN_BYTES)
			break;
		t->ck_piece++;
		(*budget)--;
		if (t->verdict[p] == SRES_LOST)
			t->ck_lost++;
		if (t->verdict[p] == SRES_TRUST) {
			BIT_SET(t->have, p);
			t->ck_trusted++;
			continue;
		}
		if (t->verdict[p] != SRES_HASH || !piece_on_disk(t, p))
			continue;
		r->piece[r->n++] = p;
		bytes += size;
	}
	if (r->n == 0)
		return 0;
	p = r->piece[r->n - 1];
	r->end = (uint64_t)p * t->map.piece_length +
	    smap_piece_size(&t->map, p);
	r->v = t->ck_view;
	r->v->refs++;		/* released by check_take() */
	r->num = t->num;
	r->serial = t->ck_serial;
	r->back = 0;
	ck.out++;
	stored_hash_run(check_work, check_run_done, r);
	return 1;
}

/* Runs came back (stored_hash.c): their verdicts, and the check goes on. */
void
stored_check_settle(void)
{
	unsigned i;

	for (i = 0; i < ck.nruns; i++)
		if (ck.r[i].back)
			check_take(&ck.r[i]);
	if (ck.waiting) {
		ck.waiting = 0;
		check_schedule();
	}
}

/*
 * One turn of the check of the first torrent in the queue: the runs
 * that are back taken, free runs filled with the next pieces (at most
 * STORED_CHECK_TURN looked at), and once every piece was, the files
 * synced and the check over.
 */
static void
check_run(evutil_socket_t fd, short ev, void *arg)
{
	struct torrent	*t;
	struct ckrun	*r;
	uint32_t	 budget = STORED_CHECK_TURN;
	unsigned	 i;

	(void)fd;
	(void)ev;
	(void)arg;
	for (i = 0; i < ck.nruns; i++)
		if (ck.r[i].back)
			check_take(&ck.r[i]);
	if ((t = TAILQ_FIRST(&checkq)) == NULL)
		return;
	if (!check_stat(t)) {
		check_schedule();
		return;
	}
	if (t->ck_view == NULL) {
		t->ck_ms[1] = util_now_ms();
		if ((t->ck_view = ckview_new(t)) == NULL) {
			torrent_fail(t, "check: %s", strerror(errno));
			check_schedule();
			return;
		}
		t->ck_serial = ++ck.serial;
	}
	for (i = 0; i < ck.nruns && budget > 0 &&
	    t->ck_piece < t->map.piece_count; i++) {
		r = &ck.r[i];
		if (r->v == NULL && !check_fill(t, r, &budget))
			break;
	}
	if (t->ck_piece < t->map.piece_count && budget == 0) {
		check_progress(t, 0);
		check_schedule();	/* more to look at: next turn */
		return;
	}
	if (check_out_pieces(t) > 0 || (t->ck_piece < t->map.piece_count &&
	    ck.out > 0)) {
		ck.waiting = 1;		/* stored_check_settle() goes on */
		check_progress(t, 0);
		return;
	}
	if (t->ck_piece < t->map.piece_count) {
		check_schedule();
		return;
	}
	if (t->ck_ms[2] == 0)
		t->ck_ms[2] = util_now_ms();
	if (check_sync(t)) {
		check_progress(t, 1);
		check_done(t);
	}
	check_schedule();
}

static void
check_schedule(void)
{
	struct timeval tv = { 0, 0 };

	/* A timer, not event_active(): one turn of I/O between chunks. */
	if (!TAILQ_EMPTY(&checkq) && check_ev != NULL)
		evtimer_add(check_ev, &tv);
}

/* A relative path: no empty, "." or ".." component, no leading '/'. */
static int
path_ok(const char *p, int empty_ok)
{
	const char	*c = p, *s;
	size_t		 n;

	if (*p == '\0')
		return empty_ok;
	if (strlen(p) >= STORED_PATH_MAX)
		return 0;
	for (;;) {
		s = strchr(c, '/');
		n = s != NULL ? (size_t)(s - c) : strlen(c);
		if (n == 0 || n > 255 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (s == NULL)
			return 1;
		c = s + 1;
	}
}

/* Build t from ta, or a reason in err. */
static struct torrent *
torrent_build(const Btd__StoredTorrentAdd *ta, char *err, size_t errlen)
{
	struct torrent	*t;
	const char	*nm;
	char		 esc[128];
	size_t		 bf, dl, pl;
	uint32_t	 i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	t->num = ta->torrent;
	LIST_INIT(&t->partials);
	t->recheck = ta->recheck;
	if (ta->root == NULL || ta->root[0] != '/' ||
	    strlen(ta->root) >= STORED_PATH_MAX) {
		snprintf(err, errlen, "root is not an absolute path");
		goto fail;
	}
	if (ta->dir == NULL || !path_ok(ta->dir, 1)) {
		snprintf(err, errlen, "dir is not a relative path");
		goto fail;
	}
	if (ta->info_hash.len != SHA1_LEN) {
		snprintf(err, errlen, "info hash of %zu bytes",
		    ta->info_hash.len);
		goto fail;
	}
	if (ta->n_files == 0 || ta->n_files > SMAP_FILES_MAX) {
		snprintf(err, errlen, "%zu files", ta->n_files);
		goto fail;
	}
	if (ta->piece_count == 0 || ta->piece_count > STORED_PIECES_MAX) {
		snprintf(err, errlen, "%u pieces", ta->piece_count);
		goto fail;
	}
	memcpy(t->ih, ta->info_hash.data, SHA1_LEN);
	bf = ((size_t)ta->piece_count + 7) / 8;
	if (ta->have.len != 0 && ta->have.len != bf) {
		snprintf(err, errlen, "have of %zu bytes for %u pieces",
		    ta->have.len, ta->piece_count);
		goto fail;
	}
	t->map.nfiles = (uint32_t)ta->n_files;
	t->map.piece_length = ta->piece_length;
	t->map.piece_count = ta->piece_count;
	t->map.total = ta->total_size;
	if ((t->root = strdup(ta->root)) == NULL ||
	    (t->dir = strdup(ta->dir)) == NULL ||
	    (t->mfiles = calloc(ta->n_files, sizeof(*t->mfiles))) == NULL ||
	    (t->files = calloc(ta->n_files, sizeof(*t->files))) == NULL ||
	    (t->hashes = calloc(ta->piece_count, SHA1_LEN)) == NULL ||
	    (t->hash_got = calloc(1, bf)) == NULL ||
	    (t->have = calloc(1, bf)) == NULL ||
	    (t->res = calloc(ta->n_files, sizeof(*t->res))) == NULL ||
	    (t->missing = calloc(1, (ta->n_files + 7) / 8)) == NULL)
		goto nomem;
	t->map.files = t->mfiles;
	dl = strlen(ta->dir);
	t->dirlen = dl > 0 ? dl + 1 : 0;
	for (i = 0; i < ta->n_files; i++) {
		const Btd__FileDesc *fd = ta->files[i];

		t->files[i].slot = -1;
		if (fd->path == NULL || !path_ok(fd->path, 0)) {
			snprintf(err, errlen, "file %u: not a relative path",
			    i);
			goto fail;
		}
		pl = strlen(fd->path);
		if (dl + 1 + pl >= STORED_PATH_MAX) {
			snprintf(err, errlen, "file %u: path too long", i);
			goto fail;
		}
		if ((t->files[i].path = malloc(dl + 1 + pl + 1)) == NULL)
			goto nomem;
		if (dl > 0)
			snprintf(t->files[i].path, dl + pl + 2, "%s/%s",
			    ta->dir, fd->path);
		else
			memcpy(t->files[i].path, fd->path, pl + 1);
		t->mfiles[i].offset = fd->offset;
		t->mfiles[i].length = fd->length;
		t->mfiles[i].pad = fd->pad;
		t->files[i].symlink = fd->attr != NULL &&
		    strchr(fd->attr, 'l') != NULL;
	}
	if (smap_validate(&t->map, err, errlen) == -1)
		goto fail;
	if (ta->n_stats > STORED_STATS_MAX || ta->n_stats > ta->n_files) {
		snprintf(err, errlen, "%zu file stats", ta->n_stats);
		goto fail;
	}
	for (i = 0; i < ta->n_stats; i++) {
		const Btd__FileStat *fs = ta->stats[i];

		if (fs->file >= ta->n_files || (i > 0 &&
		    fs->file <= ta->stats[i - 1]->file)) {
			snprintf(err, errlen, "file stat %u: file %u out of "
			    "order or range", i, fs->file);
			goto fail;
		}
		if (fs->missing)
			continue;
		t->res[fs->file].rec = 1;
		t->res[fs->file].rec_size = fs->size;
		t->res[fs->file].rec_mtime = fs->mtime;
	}
	t->written_until = ta->written_until;
	if (ta->have.len != 0) {
		if ((t->have_in = malloc(bf)) == NULL)
			goto nomem;
		memcpy(t->have_in, ta->have.data, bf);
	}
	/* For logs only, escaped once. */
	nm = dl > 0 ? ta->dir : t->files[0].path;
	if ((t->name = strdup(log_escape(esc, sizeof(esc), nm,
	    strlen(nm)))) == NULL)
		goto nomem;
	return t;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	if (t != NULL) {
		if (t->files != NULL)
			for (i = 0; i < t->map.nfiles; i++)
				free(t->files[i].path);
		free(t->files);
		free(t->mfiles);
		free(t->root);
		free(t->dir);
		free(t->hashes);
		free(t->hash_got);
		free(t->have);
		free(t->have_in);
		free(t->res);
		free(t->missing);
		free(t);
	}
	return NULL;
}

/* A torrent whose files come in parts, until it has them all. */
static struct {
	Btd__StoredTorrentAdd	 *add;		/* copy, without its files */
	Btd__FileDesc		**files;	/* copies, file_count slots */
	size_t			  nfiles;	/* received so far */
	size_t			  want;		/* file_count */
} stage;

static void
stage_free(void)
{
	size_t i;

	for (i = 0; i < stage.nfiles; i++)
		btd__file_desc__free_unpacked(stage.files[i], NULL);
	free(stage.files);
	if (stage.add != NULL)
		btd__stored_torrent_add__free_unpacked(stage.add, NULL);
	memset(&stage, 0, sizeof(stage));
}

/* Copy files into the stage; -1 if out of memory. */
static int
stage_take(Btd__FileDesc *const *files, size_t n)
{
	uint8_t	*buf;
	size_t	 i, len;

	for (i = 0; i < n; i++) {
		len = btd__file_desc__get_packed_size(files[i]);
		if ((buf = malloc(len + 1)) == NULL)
			return -1;
		btd__file_desc__pack(files[i], buf);
		stage.files[stage.nfiles] = btd__file_desc__unpack(NULL, len,
		    buf);
		free(buf);
		if (stage.files[stage.nfiles] == NULL)
			return -1;
		stage.nfiles++;
	}
	return 0;
}

/* Take in a torrent whose files are all there. */
static void
torrent_take(const Btd__StoredTorrentAdd *ta)
{
	struct torrent	*t;
	char		 err[256];

	if (ntorrents >= STORED_TORRENTS_MAX) {
		send_error(ta->torrent, "too many torrents");
		return;
	}
	if (npieces + ta->piece_count > STORED_ALL_PIECES_MAX) {
		send_error(ta->torrent, "too many pieces in all torrents");
		return;
	}
	if ((t = torrent_build(ta, err, sizeof(err))) == NULL) {
		log_warnx("torrent %u refused: %s", ta->torrent, err);
		send_error(ta->torrent, err);
		return;
	}
	t->state = T_HASHES;
	LIST_INSERT_HEAD(bucket(t->num), t, hash);
	ntorrents++;
	npieces += t->map.piece_count;
	log_debug("torrent %u (%s): %u pieces of %llu, %u files", t->num,
	    t->name, t->map.piece_count,
	    (unsigned long long)t->map.piece_length, t->map.nfiles);
}

/* The staged torrent is complete: build it from the copies. */
static void
stage_done(void)
{
	Btd__StoredTorrentAdd a = *stage.add;

	a.files = stage.files;
	a.n_files = stage.nfiles;
	torrent_take(&a);
	stage_free();
}

static int
torrent_add(const Btd__StoredTorrentAdd *ta)
{
	Btd__StoredTorrentAdd	 bare;
	uint8_t			*buf;
	size_t			 len;

	if (torrent_find(ta->torrent) != NULL || (stage.add != NULL &&
	    stage.add->torrent == ta->torrent)) {
		log_warnx("btd sent torrent %u twice", ta->torrent);
		return -1;	/* btd's bookkeeping is broken */
	}
	if (stage.add != NULL) {
		send_error(stage.add->torrent, "the rest of its files never "
		    "came");
		stage_free();
	}
	if (ta->file_count == 0 || ta->file_count == ta->n_files) {
		torrent_take(ta);
		return 0;
	}
	if (ta->file_count < ta->n_files || ta->file_count > SMAP_FILES_MAX) {
		send_error(ta->torrent, "bad file count");
		return 0;
	}
	/* A copy of its scalars and strings, the files apart. */
	bare = *ta;
	bare.files = NULL;
	bare.n_files = 0;
	len = btd__stored_torrent_add__get_packed_size(&bare);
	if ((buf = malloc(len + 1)) == NULL)
		goto nomem;
	btd__stored_torrent_add__pack(&bare, buf);
	stage.add = btd__stored_torrent_add__unpack(NULL, len, buf);
	free(buf);
	stage.want = ta->file_count;
	if (stage.add == NULL || (stage.files = calloc(stage.want,
	    sizeof(*stage.files))) == NULL || stage_take(ta->files,
	    ta->n_files) == -1)
		goto nomem;
	return 0;
nomem:
	stage_free();
	send_error(ta->torrent, "out of memory");
	return 0;
}

static int
torrent_files(const Btd__TorrentFiles *tf)
{
	uint32_t num = tf->torrent;

	if (stage.add == NULL || stage.add->torrent != num)
		return 0;	/* refused, or removed meanwhile */
	if (tf->first != stage.nfiles || tf->n_files == 0 ||
	    tf->n_files > stage.want - stage.nfiles) {
		stage_free();
		send_error(num, "bad files part");
		return 0;
	}
	if (stage_take(tf->files, tf->n_files) == -1) {
		stage_free();
		send_error(num, "out of memory");
		return 0;
	}
	if (stage.nfiles == stage.want)
		stage_done();
	return 0;
}

static int
torrent_hashes(const Btd__TorrentHashes *th)
{
	struct torrent	*t;
	size_t		 n;
	uint32_t	 i;

	if (stage.add != NULL && stage.add->torrent == th->torrent) {
		stage_free();
		send_error(th->torrent, "hashes before all of its files");
		return 0;
	}
	if ((t = torrent_find(th->torrent)) == NULL)
		return 0;	/* refused, or removed meanwhile */
	n = th->hashes.len / SHA1_LEN;
	if ((t->state != T_HASHES && (t->state != T_MOVING ||
	    t->nhash_got == t->map.piece_count)) ||
	    th->hashes.len % SHA1_LEN != 0 ||
	    n == 0 || n > STORED_HASHES_MSG_MAX ||
	    th->first >= t->map.piece_count ||
	    n > t->map.piece_count - th->first) {
		torrent_fail(t, "bad hashes: pieces %u + %zu of %u", th->first,
		    n, t->map.piece_count);
		return 0;
	}
	memcpy(t->hashes + (size_t)th->first * SHA1_LEN, th->hashes.data,
	    n * SHA1_LEN);
	for (i = th->first; i < th->first + n; i++)
		if (!BIT_ISSET(t->hash_got, i)) {
			BIT_SET(t->hash_got, i);
			t->nhash_got++;
		}
	if (t->nhash_got == t->map.piece_count && t->state == T_MOVING)
		stored_move_ready(t);	/* moved instead of checked */
	else if (t->nhash_got == t->map.piece_count) {
		t->state = T_CHECKING;
		t->ck_ms[0] = util_now_ms();
		TAILQ_INSERT_TAIL(&checkq, t, checkq);
		check_schedule();
	}
	return 0;
}

static int
torrent_remove(const Btd__TorrentRemove *tr)
{
	struct torrent *t;

	if (stage.add != NULL && stage.add->torrent == tr->torrent) {
		stage_free();	/* btd expects nothing more of it */
		return 0;
	}
	if ((t = torrent_find(tr->torrent)) == NULL)
		return 0;
	log_info("torrent %u (%s): removed", t->num, t->name);
	/* Its files stay: so do the blocks the cache holds of it. */
	stored_block_writeout(t);
	stored_link_gone(t->num, "");
	torrent_free(t);
	return 0;
}

/*
 * MoveData: the torrent stops taking blocks and is not checked; its
 * data moves once it has every hash (stored_move.c).
 */
static int
torrent_move(const Btd__MoveData *md)
{
	struct torrent *t;

	if (stage.add != NULL && stage.add->torrent == md->torrent) {
		stage_free();
		send_error(md->torrent, "a move before all of its files");
		stored_move_refuse(md->torrent, "its files never came");
		return 0;
	}
	if ((t = torrent_find(md->torrent)) == NULL) {
		stored_move_refuse(md->torrent, "stored does not hold it "
		    "(refused)");
		return 0;
	}
	if (md->dir == NULL || !path_ok(md->dir, 1)) {
		stored_move_refuse(md->torrent, "bad move request: dir is not "
		    "a relative path");
		torrent_free(t);
		return 0;
	}
	if (t->state == T_MOVING) {
		log_warnx("btd sent a second move of torrent %u", t->num);
		return -1;
	}
	if (t->state == T_CHECKING) {
		TAILQ_REMOVE(&checkq, t, checkq);
		ckview_release(t->ck_view);	/* its runs are dropped */
		t->ck_view = NULL;
	}
	if (t->state == T_READY) {
		stored_link_gone(t->num, "");
		stored_block_forget(t);
	}
	t->state = T_HASHES;	/* out of the queue, off the block path */
	stored_cache_drop(t);
	if (stored_move_data(t, md) == -1) {
		torrent_free(t);	/* refused: btd adds it again */
		return 0;
	}
	if (t->nhash_got == t->map.piece_count)
		stored_move_ready(t);
	return 0;
}

int
stored_dispatch_btd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__StoredMsg *m = MSG_AS(Btd__StoredMsg, stored_msg, env);

	switch (m->body_case) {
	case BTD__STORED_MSG__BODY_DELETE_DATA:
		stored_delete_data(c, m->delete_data);
		return 0;
	case BTD__STORED_MSG__BODY_TORRENT_ADD:
		return torrent_add(m->torrent_add);
	case BTD__STORED_MSG__BODY_TORRENT_FILES:
		return torrent_files(m->torrent_files);
	case BTD__STORED_MSG__BODY_TORRENT_HASHES:
		return torrent_hashes(m->torrent_hashes);
	case BTD__STORED_MSG__BODY_TORRENT_REMOVE:
		return torrent_remove(m->torrent_remove);
	case BTD__STORED_MSG__BODY_MOVE_DATA:
		return torrent_move(m->move_data);
	default:
		return -1;
	}
}

void
stored_init(struct event_base *base, struct chan *btd)
{
	unsigned i;

	sbase = base;
	btd_chan = btd;
	for (i = 0; i < TORRENT_BUCKETS; i++)
		LIST_INIT(&buckets[i]);
	if ((sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)) == NULL)
		fatalx("%s: SHA-1", __func__);
	if ((pagesz = sysconf(_SC_PAGESIZE)) <= 0)
		fatal("%s: page size", __func__);
	if ((check_ev = evtimer_new(base, check_run, NULL)) == NULL)
		fatalx("%s: event", __func__);
	stored_flush_init(base);
	stored_block_init();
	stored_move_init(base);
	/* A few a worker: the next is queued when one is done. */
	ck.nruns = CHECK_RUNS_WORKER * stored_hash_workers();
	if (ck.nruns > STORED_CHECK_RUNS)
		ck.nruns = STORED_CHECK_RUNS;
}
