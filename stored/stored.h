/*
 * stored.h -- stored's private header.
 *
 * stored_map.c and stored_resume.c (the quick-resume decision) are plain
 * C (no protobuf, no I/O) so that unit tests drive them alone; the rest
 * shares the torrent registry (stored_torrent.c), the open-file cache
 * (stored_cache.c), the durability flusher (stored_flush.c), the hash
 * thread (stored_hash.c) and the block path (stored_block.c).  None of
 * them
 * calls role.c: stored.c hands them the event base and the channels, so
 * that a test can drive them over socketpairs.
 */
#ifndef BTD_STORED_H
#define BTD_STORED_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct arena;
struct chan;
struct event_base;

/*
 * Tunables.  Every bound of stored, in one place.
 */
#define STORED_TORRENTS_MAX	200000	/* torrents stored at once */
#define STORED_PIECES_MAX	(1U << 20)	/* pieces of one torrent: a
						   10 MiB .torrent holds
						   half that many hashes */
#define STORED_ALL_PIECES_MAX	(16U << 20)	/* pieces of all torrents:
						   320 MiB of hashes */
#define STORED_HASHES_MSG_MAX	16384	/* pieces in one TorrentHashes */
#define STORED_PATH_MAX		4096	/* bytes of root, dir, dir/path */
#define STORED_BATCH_MAX	4096	/* entries in one message, in and
					   out (peer_stored.proto) */
#define STORED_OPEN_FILES	128	/* descriptors in the open-file cache */
#define STORED_ROOTS_MAX	64	/* download roots kept open (btd's
					   bound on download directories) */
#define STORED_PARTIALS_MAX	8192	/* pieces being received at once, all
					   torrents; past it the least recently
					   written is failed and forgotten */
#define STORED_RANGES_MAX	4096	/* disjoint written ranges of one
					   partial piece (a 64 MiB piece in
					   16 KiB blocks, every other one) */
#define STORED_HASH_BUFS	1024	/* block copies hashed or waiting for
					   the hash thread: 16 MiB */
#define STORED_HASH_WORKERS	8	/* hash threads at most, one a CPU */
#define STORED_CHECK_RUNS	32	/* runs of pieces a check has out at
					   once (a few a worker) */
#define STORED_CHECK_RUN_BYTES	(4U << 20)	/* bytes of pieces in one run
						   (one piece if larger) */
#define STORED_CHECK_RUN_PIECES	256	/* pieces in one run */
#define STORED_CHECK_READ	(256U << 10)	/* a worker's read buffer:
						   one pread, then hashed
						   while it is in cache */
#define STORED_CHECK_MAP_MIN	(32U << 10)	/* extents this long or longer
						   are hashed mapped: shorter
						   ones cost less to read */
#define STORED_CHECK_TURN	16384	/* pieces looked at per turn */
#define STORED_CHECK_FILES	256	/* files looked at per turn */
#define STORED_PROGRESS_MS	500	/* between two CheckProgress */
#define STORED_DURABLE_MS	1000	/* verified pieces flushed and
					   reported at least this often */
#define STORED_DURABLE_BATCH	4096	/* ... or as soon as this many wait */
#define STORED_DURABLE_MAX	(1U << 20)	/* verified pieces waiting for a
						   flush; past it stored stops
						   taking blocks */
#define STORED_EVICTED_MAX	1024	/* dirty descriptors evicted from the
					   cache and waiting for the flusher;
					   past it eviction syncs at once */

#define STORED_STATS_MAX	16384	/* FileStats in one message (proto) */
#define STORED_CACHE_DEFAULT	(32U << 20)	/* cache_size unless btd says */
#define STORED_STATS_MS		2000	/* between two StoredStats */

#define SHA1_LEN		20

/* stored_map.c: the piece-to-file map. */
#define SMAP_PIECE_MAX		(256U << 20)	/* as metainfo.h */
#define SMAP_TOTAL_MAX		((uint64_t)1 << 62)
#define SMAP_FILES_MAX		100000		/* as metainfo.h */

struct smap_file {
	uint64_t	 offset;	/* of its first byte in the stream */
	uint64_t	 length;
	int		 pad;		/* BEP 47: zeros, never on disk */
};

struct smap {
	const struct smap_file	*files;		/* in torrent order */
	uint32_t		 nfiles;
	uint64_t		 piece_length;
	uint32_t		 piece_count;
	uint64_t		 total;
};

/* Part of a piece range that lies in one file. */
struct smap_extent {
	uint32_t	 file;
	uint64_t	 file_offset;
	uint32_t	 length;
	uint32_t	 piece_offset;	/* where it starts within the piece */
	int		 pad;
};

struct smap_iter {
	const struct smap	*m;
	uint64_t		 base;	/* stream offset of the piece */
	uint64_t		 pos, end;	/* stream offsets left */
	uint32_t		 file;
};

/* 0, or -1 with a reason: offsets contiguous, sizes consistent. */
int		 smap_validate(const struct smap *, char *err, size_t errlen);
/* Bytes in piece (the last may be short); 0 if out of range. */
uint32_t	 smap_piece_size(const struct smap *, uint32_t piece);
/*
 * Start walking bytes [off, off + len) of piece; -1 if len is 0 or the
 * range is not within the piece.
 */
int		 smap_range(const struct smap *, uint32_t piece, uint32_t off,
		    uint32_t len, struct smap_iter *);
/* The next extent, in order: 1, or 0 when the range is done. */
int		 smap_next(struct smap_iter *, struct smap_extent *);
/* The first and last file holding bytes of piece (may include empty). */
void		 smap_piece_files(const struct smap *, uint32_t piece,
		    uint32_t *first, uint32_t *last);

/* stored_resume.c: the quick-resume decision (no I/O). */
struct sres_file {
	int64_t		 size;		/* on disk now; -1 missing */
	int64_t		 mtime;		/* on disk now, ns since the epoch */
	int		 rec;		/* btd has a record of it */
	uint64_t	 rec_size;	/* ... of this size */
	int64_t		 rec_mtime;	/* ... and this mtime */
};

enum sres_verdict {
	SRES_MISSING,		/* bytes not on disk, not recorded */
	SRES_TRUST,		/* recorded, files as recorded: no hash */
	SRES_HASH,		/* on disk: hash it */
	SRES_LOST,		/* recorded, bytes not on disk any more */
};

struct sres_count {
	uint32_t	 missing, trust, hash, lost;
};

/* 1 if file f is as recorded (proto/stored.proto, StoredTorrentAdd). */
int		 sres_file_ok(const struct sres_file *, int64_t written_until);
/*
 * The verdict on one piece; have may be NULL (nothing recorded).  For a
 * lost piece, the missing files it touches are set in missing (a
 * bitfield over the files, BEP 3 order) unless it is NULL.
 */
enum sres_verdict sres_piece(const struct smap *, const struct sres_file *,
		    const uint8_t *have, int recheck, int64_t written_until,
		    uint32_t piece, uint8_t *missing);
/*
 * Every piece's verdict into verdict[piece_count]; missing (cleared
 * first) gets the missing files that lost pieces touch.
 */
void		 sres_decide(const struct smap *, const struct sres_file *,
		    const uint8_t *have, int recheck, int64_t written_until,
		    uint8_t *verdict, uint8_t *missing, struct sres_count *);
/* stored_bcache.c: the block cache (plain C, no I/O of its own). */
#define BCACHE_BLOCK		16384	/* ARENA_SLOT_SIZE: a block */
#define BCACHE_IOV_MAX		256	/* blocks in one writev or readv
					   call: 4 MiB */

struct iovec;
struct bcache;

/*
 * The cache's I/O: bytes [off, off + the iovecs' lengths) of a piece.
 * 0, or -1 with a one-line reason in err.
 */
struct bcache_ops {
	int	(*writev)(void *arg, uint32_t torrent, uint32_t piece,
		    uint32_t off, const struct iovec *, int n, char *err,
		    size_t errlen);
	int	(*readv)(void *arg, uint32_t torrent, uint32_t piece,
		    uint32_t off, const struct iovec *, int n, char *err,
		    size_t errlen);
};

struct bcache_stats {
	uint64_t	 read_hits;	/* reads served from memory */
	uint64_t	 read_misses;	/* reads that went to disk */
	uint64_t	 put;		/* bytes of blocks put in */
	uint64_t	 coalesced;	/* bytes written out from the cache */
	uint64_t	 writes;	/* writev calls issued */
	uint64_t	 reads;		/* readv calls issued */
	uint64_t	 evicted;	/* pieces evicted */
	uint64_t	 used;		/* bytes of blocks held */
	uint64_t	 bound;
};

struct bcache	*bcache_new(uint64_t bound, const struct bcache_ops *,
		    void *arg);
void		 bcache_free(struct bcache *);
/*
 * The bound changes; pieces are written out and evicted down to it.
 * Calls that return -1 set *failed to the torrent whose I/O failed (the
 * reason in bcache_error()): the caller fails it, dropping its pieces.
 */
int		 bcache_set_bound(struct bcache *, uint64_t, uint32_t *failed);
uint64_t	 bcache_bound(const struct bcache *);
/* 1 if the block [off, off + len) of a piece of psize bytes is cached. */
int		 bcache_cacheable(const struct bcache *, uint32_t psize,
		    uint32_t off, uint32_t len);
/* Copy a cacheable block in, dirty until written out. */
int		 bcache_put(struct bcache *, uint32_t torrent, uint32_t piece,
		    uint32_t psize, uint32_t off, uint32_t len,
		    const uint8_t *data, uint32_t *failed);
/* 1 and buf filled if every byte of the range is cached, else 0. */
int		 bcache_copy(struct bcache *, uint32_t torrent, uint32_t piece,
		    uint32_t off, uint32_t len, uint8_t *buf);
/* Write out the dirty blocks of a piece (kept, clean); 0 or -1. */
int		 bcache_write_piece(struct bcache *, uint32_t torrent,
		    uint32_t piece);
int		 bcache_write_torrent(struct bcache *, uint32_t torrent);
/* Forget, without writing. */
void		 bcache_drop_piece(struct bcache *, uint32_t torrent,
		    uint32_t piece);
void		 bcache_drop_torrent(struct bcache *, uint32_t torrent);
/* Read for an upload, through the cache; 0 or -1. */
int		 bcache_read(struct bcache *, uint32_t torrent, uint32_t piece,
		    uint32_t psize, uint32_t off, uint32_t len, uint8_t *buf,
		    uint32_t *failed);
const char	*bcache_error(const struct bcache *);
void		 bcache_stats(const struct bcache *, struct bcache_stats *);

/* stored_torrent.c: the torrents btd gave us. */
enum torrent_state {
	T_HASHES,		/* waiting for all TorrentHashes */
	T_CHECKING,		/* comparing the files with the hashes */
	T_READY,		/* checked: blocks go in and out */
	T_MOVING,		/* its data moves (stored_move.c): no blocks */
};

struct tfile {
	char		*path;		/* dir/path, relative to the root */
	int		 slot;		/* in the open-file cache, or -1 */
	int		 symlink;	/* BEP 47 "l" entry: never created */
	int		 ck_sync;	/* a piece verified by the check
					   touches it: synced before
					   TorrentChecked */
	int		 sy_owed;	/* sy_size, sy_mtime to report */
	uint64_t	 sy_size;	/* after its last fdatasync */
	int64_t		 sy_mtime;	/* ... ns since the epoch */
};

struct partial;
struct move;
struct ckview;

struct torrent {
	LIST_ENTRY(torrent)	 hash;
	TAILQ_ENTRY(torrent)	 checkq;
	uint32_t		 num;		/* btd's number */
	uint8_t			 ih[SHA1_LEN];	/* info-hash (names, logs) */
	enum torrent_state	 state;
	char			*root;		/* absolute download root */
	char			*name;		/* for logs: dir or file */
	char			*dir;		/* StoredTorrentAdd.dir */
	size_t			 dirlen;	/* bytes of "dir/" before each
						   file's own path (0 for "") */
	struct move		*move;		/* T_MOVING: its move */
	struct smap		 map;
	struct smap_file	*mfiles;	/* map.files */
	struct tfile		*files;
	uint8_t			*hashes;	/* SHA1_LEN * piece_count */
	uint8_t			*hash_got;	/* bitfield: hashes received */
	uint32_t		 nhash_got;
	uint8_t			*have;		/* bitfield: verified */
	uint8_t			*have_in;	/* bitfield from btd, or NULL */
	int			 recheck;
	int			 need_have;	/* TorrentHave owed to peerd: */
	TAILQ_ENTRY(torrent)	 haveq;		/* ... queued (stored_block.c) */
	LIST_HEAD(, partial)	 partials;	/* pieces being received */
	int			 flush_err;	/* a sync failed: errno */
	uint32_t		 flush_file;	/* ... of this file */
	/* check progress */
	uint32_t		 ck_file;	/* next file to look at */
	uint32_t		 ck_sync;	/* next file to sync */
	uint32_t		 ck_piece;	/* next piece the check looks at */
	uint32_t		 ck_hashed;	/* pieces hashed */
	uint64_t		 ck_serial;	/* its runs' (0: none yet) */
	struct ckview		*ck_view;	/* what the runs read */
	uint64_t		 ck_ms[3];	/* when it began checking, its
						   pieces, its sync (logs) */
	uint32_t		 ck_trusted;	/* kept as recorded */
	uint32_t		 ck_lost;	/* recorded, not on disk */
	struct sres_file	*res;		/* the check's view of files */
	uint8_t			*verdict;	/* enum sres_verdict a piece,
						   while checking */
	uint8_t			*missing;	/* bitfield: files missing under
						   recorded pieces */
	int64_t			 written_until;	/* StoredTorrentAdd's */
	uint32_t		 sy_nowed;	/* files with sy_owed set */
};

#define BIT_ISSET(bf, i)	(((bf)[(i) >> 3] >> (7 - ((i) & 7))) & 1)
#define BIT_SET(bf, i)		((bf)[(i) >> 3] |= (uint8_t)(0x80 >> ((i) & 7)))
#define BIT_CLR(bf, i)	\
	((bf)[(i) >> 3] &= (uint8_t)~(0x80 >> ((i) & 7)))

void		 stored_init(struct event_base *, struct chan *btd);
struct event_base *stored_base(void);
struct chan	*stored_btd_chan(void);
int		 stored_dispatch_btd(struct chan *, const ProtobufCMessage *);
struct torrent	*torrent_find(uint32_t num);
/* Every torrent, for TorrentHave on a new link. */
struct torrent	*torrent_first(void);
struct torrent	*torrent_next(struct torrent *);
/*
 * A write, flush or create failed: TorrentError to btd, TorrentGone to
 * peerd, and the torrent is forgotten (t is freed).
 */
void		 torrent_fail(struct torrent *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Read bytes [off, off + len) of piece into buf (pad bytes as zeros). */
int		 torrent_pread(struct torrent *, uint32_t piece, uint32_t off,
		    uint32_t len, uint8_t *buf, char *err, size_t errlen);
/* A file's size and mtime after a flush: reported with the next batch. */
void		 torrent_file_synced(struct torrent *, uint32_t file,
		    uint64_t size, int64_t mtime);
/* Hash jobs of the check were reaped: go on with it. */
void		 stored_check_settle(void);
void		 torrent_free(struct torrent *);
/* FilesCreated to btd: stored made these files of t (O_EXCL). */
void		 stored_files_created(struct torrent *, const uint32_t *,
		    size_t);

/* stored_cache.c: open files, least recently used first out. */
/*
 * The descriptor of file i of t, opened (O_RDWR; created, with its
 * parent directories, when create is set) if it is not: borrowed, valid
 * until the next stored_cache_get().  -1 with errno on failure.
 */
int		 stored_cache_get(struct torrent *, uint32_t file, int create);
/* What the last stored_cache_get() failure was: "open", "preallocate". */
const char	*stored_cache_what(void);
/* Files made from now on get their full size at once (fallocate). */
void		 stored_cache_prealloc(int full);
int		 stored_cache_preallocating(void);
/* Mark the cached descriptor of file i of t as written since a flush. */
void		 stored_cache_dirty(struct torrent *, uint32_t file);
/* Close every cached descriptor of t, without flushing. */
void		 stored_cache_drop(struct torrent *);
/*
 * Hand every dirty descriptor to fn (a dup the callee owns), clearing
 * the dirty marks.  Returns -1 if fn does.
 */
int		 stored_cache_take_dirty(int (*fn)(int fd, uint32_t torrent,
		    uint32_t file));
/* The descriptor of a download root (cached, borrowed), or -1. */
/*
 * The download roots btd opened for stored at exec: lines of paths,
 * the i-th at descriptor SANDBOX_ROOT_FD + i (lib/sandbox.h).
 */
void		 stored_roots_inherited(const char *lines);
int		 stored_root_fd(const char *root);
/* mkdir -p the parents of path beneath dirfd. */
int		 stored_mkparents(int dirfd, const char *path);

/* stored_flush.c: durability. */
void		 stored_flush_init(struct event_base *);
/* Piece verified and written: report it durable once flushed. */
void		 stored_flush_piece(uint32_t torrent, uint32_t piece);
/* A dirty descriptor leaves the cache: flushed and closed later. */
void		 stored_flush_evicted(int fd, uint32_t torrent, uint32_t file);
/* 1 while so many pieces wait that stored should stop taking blocks. */
int		 stored_flush_backlog(void);
/* Start a flush now if none is running (tests; a large backlog). */
void		 stored_flush_now(void);
/* btd's stop order: flush and report everything, synchronously. */
void		 stored_flush_stop(struct chan *btd);
/* Flushes completed (tests). */
uint64_t	 stored_flush_count(void);

/* stored_hash.c: SHA-1 in worker threads. */
void		 stored_hash_init(struct event_base *);
/* A buffer of ARENA_SLOT_SIZE bytes; waits for the worker if none. */
uint8_t		*stored_hash_buf(void);
void		 stored_hash_put(uint8_t *);
/*
 * Hash len bytes of buf into md (an EVP_MD_CTX); buf is the worker's
 * until done(owner, len) runs on the event loop.  Every job of one md
 * must name the same lane, which keeps them in order.
 */
void		 stored_hash_submit(void *md, unsigned lane, uint8_t *buf,
		    uint32_t len, void (*done)(void *owner, uint32_t len),
		    void *owner);
/*
 * run(owner, buf, len, md) in a worker, with a buffer of len bytes and a
 * digest context (EVP_MD_CTX) of the worker's own; done(owner, 0) on the
 * event loop after it.  At most STORED_CHECK_RUNS out at once.
 */
typedef void	(*stored_hash_fn)(void *owner, uint8_t *buf, size_t len,
		    void *md);
void		 stored_hash_run(stored_hash_fn run,
		    void (*done)(void *owner, uint32_t len), void *owner);
/*
 * In a worker: hash len bytes of a file mapped at p into md; -1 if they
 * could not be read (SIGBUS: the file shrank, an I/O error), md then
 * to be initialised again.
 */
int		 stored_hash_mapped(void *md, const uint8_t *p, size_t len);
/* Worker threads: lanes worth using at once. */
unsigned	 stored_hash_workers(void);
uint64_t	 stored_hash_outstanding(void);

/* stored_block.c: the block path with peerd. */
struct stored_block_stats {
	uint64_t	 written;	/* bytes of blocks written */
	uint64_t	 read;		/* bytes read into up slots */
	uint64_t	 readback;	/* bytes read back to hash them */
	uint64_t	 frommem;	/* bytes hashed from the block cache */
	uint64_t	 dropped;	/* blocks dropped (verified, unknown) */
	uint64_t	 restarts;	/* piece hashes restarted */
	uint64_t	 verified;	/* pieces that matched their hash */
	uint64_t	 failed;	/* pieces that did not, or forgotten */
};

void		 stored_block_init(void);
/* Hash jobs of partial pieces were reaped: verdicts, restarts. */
void		 stored_block_settle(void);
void		 stored_block_stats(struct stored_block_stats *);
void		 stored_link_up(struct chan *, const struct arena *down,
		    const struct arena *up);
void		 stored_link_down(void);
/* 1 if c is the current link. */
int		 stored_link_is(const struct chan *);
int		 stored_dispatch_peerd(struct chan *, const ProtobufCMessage *);
/* Tell peerd about t (TorrentHave), when the link is up. */
void		 stored_link_have(struct torrent *);
/* Tell peerd t is gone (TorrentGone), when the link is up. */
void		 stored_link_gone(uint32_t torrent, const char *error);
/* Forget t's partial pieces (t is going away). */
void		 stored_block_forget(struct torrent *);
/* Write out what the block cache holds of t (paused or removed). */
void		 stored_block_writeout(struct torrent *);
/* A Config setting: cache_size, preallocation. */
void		 stored_block_config(const char *key, const char *value);
/* Re-evaluate whether to read from peerd (backlog changed). */
void		 stored_link_kick(void);

/* stored_move.c: moving a torrent's data to another root. */
struct Btd__MoveData;
void		 stored_move_init(struct event_base *);
/*
 * MoveData for t, which takes no blocks any more: T_MOVING from now on,
 * its move running once it has its hashes; or -1, refused with a
 * MoveResult (the caller forgets t).
 */
int		 stored_move_data(struct torrent *, const struct Btd__MoveData *);
/* A MoveResult that refuses a move of torrent num. */
void		 stored_move_refuse(uint32_t num, const char *error);
/* t, moving, has every hash: its move may run. */
void		 stored_move_ready(struct torrent *);
/* t goes away while moving: its move is rolled back, unanswered. */
void		 stored_move_forget(struct torrent *);

/* stored_files.c */
/* Remove the empty directories from path's parent up to dirfd. */
void		 stored_prune(int dirfd, const char *path);
/* "a/b/c": the parent "a/b" (or ".") in parent, and the base "c". */
const char	*stored_split(const char *path, char *parent, size_t len);
struct Btd__DeleteData;
void		 stored_delete_data(struct chan *,
		    const struct Btd__DeleteData *);
/* Open path beneath dirfd, never through a symlink or "..". */
int		 stored_open_beneath(int dirfd, const char *path, int flags,
		    int mode);

#endif
