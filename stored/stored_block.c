/*
 * stored_block.c -- the block path with peerd (proto/peer_stored.proto).
 *
 * Takes from peerd: BlockWrite (down slots), BlockRead (up slots).
 * Sends peerd: SlotsFree, PieceVerdicts, ReadDone, TorrentHave,
 * TorrentGone.  Outgoing bodies are batched and sent once per event-loop
 * turn (an event made active by whoever queues), at most
 * STORED_BATCH_MAX entries a message; when the channel is full
 * (chan_full()) stored stops reading from peerd until the drain
 * callback has sent the rest: back-pressure, never a drop.
 *
 * A block: its descriptor is checked (slot in range and peerd's to hand
 * over, length within the slot and the piece), the slot is copied at
 * once into a private buffer (stored_hash_buf()) and queued for
 * SlotsFree, and only that copy is kept and hashed, so that what is
 * verified is what is written whatever peerd does to the slot later.
 *
 * Writing: a whole aligned block goes into the block cache
 * (stored_bcache.c), and the piece is written out in runs (pwritev
 * through the open-file cache, torrent_rw()) once every byte of it is
 * in, again before its verdict if bytes were replaced since, or earlier
 * when the cache evicts it.  Any other block, or every block when
 * cache_size is 0, is written at once (pwrite), after what the cache
 * holds of its piece.  A verified piece is written before it is handed
 * to the flusher, which reports it durable.  Uploads (BlockRead) read
 * through the cache, which keeps the pieces read.
 *
 * Hashing: each piece being received has a partial with a SHA-1 context
 * and the sorted list of the byte ranges written.  A block that starts
 * where the queued prefix ends goes, copy and all, to the hash thread
 * (stored_hash.c), which updates the context in order while the event
 * loop takes the next blocks; one that arrives ahead of that is only
 * stored, and queued later, copied from the block cache, when the gap
 * before it fills (read back with pread only if the cache had to write
 * it out meanwhile); one that overwrites bytes already queued restarts
 * the piece's hash from its first byte once the jobs out for it are
 * done.  When the hashed prefix is the whole
 * piece and no job is out its SHA-1 is compared: PieceVerdicts at once,
 * ok (the piece is verified, and reported durable after a flush,
 * stored_flush.c) or not (its written state is forgotten and peerd
 * fetches it again).  A partial forgotten while jobs are out for it
 * lingers, on no list, until they are done.
 *
 * Invariants: a down or up slot is "held" from the message that handed
 * it over until the SlotsFree or ReadDone that returns it is queued on
 * the channel; naming a held slot is a violation.  No state refers to a
 * slot after the handler returns, so nothing is lost when the link (and
 * its arenas) go: partial pieces live on disk and in their contexts.
 *
 * Rejected alternative: a pwrite per block and hashing early blocks by
 * reading them back.  It costs a system call a block and a second copy
 * of every early block; the block cache keeps them within cache_size
 * and writes them back in runs, so memory stays bounded all the same.
 */
#include <sys/uio.h>

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "peer_stored.pb-c.h"
#include "stored.pb-c.h"

#include "arena.h"
#include "chan.h"
#include "log.h"
#include "msg.h"
#include "stored.h"

#define PARTIAL_BUCKETS	8192	/* hash chains of the partial pieces */
#define PARTIAL_FREE_MAX 256	/* partials kept for reuse */
#define RANGES_FIRST	16	/* ranges a new partial has room for */
#define RW_IOV_MAX	(BCACHE_IOV_MAX + 2)	/* iovecs of one extent */
#define STATS_N		9	/* numbers in a StoredStats */

static_assert(BCACHE_BLOCK == ARENA_SLOT_SIZE, "a cache block is a slot");
static_assert(BCACHE_IOV_MAX + 2 <= IOV_MAX, "one call an extent");

struct range {
	uint32_t	 start, end;	/* bytes [start, end) of the piece */
};

struct partial {
	LIST_ENTRY(partial)	 hash;
	LIST_ENTRY(partial)	 tlink;		/* in t->partials */
	TAILQ_ENTRY(partial)	 lru;		/* most recently written first;
						   or the free list */
	TAILQ_ENTRY(partial)	 rdy;		/* in lk.readyq */
	struct torrent		*t;		/* NULL once forgotten */
	uint32_t		 piece;
	unsigned		 lane;		/* of md's hash jobs, for life */
	uint32_t		 size;		/* bytes in the piece */
	uint32_t		 hashed;	/* [0, hashed) went into md */
	uint32_t		 queued;	/* [0, queued) hashed or out */
	uint32_t		 inflight;	/* hash jobs not reaped */
	int			 restart;	/* hash again from byte 0 once
						   inflight is 0 */
	int			 onready;	/* in lk.readyq */
	int			 dead;		/* forgotten, jobs out */
	uint32_t		 nranges, cap;
	struct range		*r;		/* written, sorted, disjoint */
	EVP_MD_CTX		*md;		/* the worker's if inflight */
};

LIST_HEAD(plist, partial);
TAILQ_HEAD(pqueue, partial);

static struct {
	/* the current link, or chan NULL */
	struct chan		*chan;
	const struct arena	*down, *up;
	uint8_t			*down_held, *up_held;	/* bitfields */
	uint32_t		*frees;			/* down slots to free */
	size_t			 nfree;
	Btd__PieceVerdict	*verdicts;
	Btd__PieceVerdict	**vptrs;
	size_t			 nverd, vcap;
	Btd__ReadResult		*results;
	Btd__ReadResult		**rptrs;
	size_t			 nres;
	unsigned		 nhave;		/* torrents owed TorrentHave */
	TAILQ_HEAD(, torrent)	 haveq;		/* ... those, in order */
	int			 blocked;	/* waiting for the drain */
	int			 paused;	/* not reading from peerd */
	/* always */
	struct event		*flush_ev;
	EVP_MD			*sha1;
	struct plist		 buckets[PARTIAL_BUCKETS];
	struct pqueue		 lru, freeq;
	struct pqueue		 readyq;	/* jobs reaped: to advance */
	uint32_t		 npartials, nfreeq;
	unsigned		 lanes;		/* given to partials so far */
	struct stored_block_stats stats;
	struct bcache		*bc;		/* the block cache */
	struct event		*stats_ev;	/* StoredStats to btd */
	uint64_t		 sent[STATS_N];	/* ... as last sent */
	int			 stats_sent;	/* one was sent */
} lk;

static void	schedule(void);
static void	hash_done(void *, uint32_t);

void
stored_block_stats(struct stored_block_stats *s)
{
	*s = lk.stats;
}

static struct plist *
pbucket(uint32_t torrent, uint32_t piece)
{
	uint32_t h = (torrent * 2654435761U) ^ (piece * 2246822519U);

	return &lk.buckets[(h >> 19) % PARTIAL_BUCKETS];
}

/* Queue a verdict for peerd (dropped when there is no link). */
static void
verdict(uint32_t torrent, uint32_t piece, int ok)
{
	Btd__PieceVerdict *v;

	if (ok)
		lk.stats.verified++;
	else
		lk.stats.failed++;
	if (lk.chan == NULL)
		return;
	if (lk.nverd == lk.vcap) {
		/* Cannot happen: at most two verdicts a held slot. */
		log_warnx("%s: verdict for torrent %u piece %u lost", __func__,
		    torrent, piece);
		return;
	}
	v = &lk.verdicts[lk.nverd++];
	btd__piece_verdict__init(v);
	v->torrent = torrent;
	v->piece = piece;
	v->ok = ok;
	schedule();
}

/* p has no list and no job any more: keep it for reuse, or free it. */
static void
partial_release(struct partial *p)
{
	p->dead = 0;
	if (lk.nfreeq < PARTIAL_FREE_MAX) {
		TAILQ_INSERT_HEAD(&lk.freeq, p, lru);
		lk.nfreeq++;
		return;
	}
	EVP_MD_CTX_free(p->md);
	free(p->r);
	free(p);
}

/*
 * Forget p.  With hash jobs outstanding it lingers, on no list, until
 * the worker is done with its context (hash_done()).
 */
static void
partial_free(struct partial *p)
{
	LIST_REMOVE(p, hash);
	LIST_REMOVE(p, tlink);
	TAILQ_REMOVE(&lk.lru, p, lru);
	lk.npartials--;
	if (p->onready) {
		TAILQ_REMOVE(&lk.readyq, p, rdy);
		p->onready = 0;
	}
	p->t = NULL;
	if (p->inflight > 0) {
		p->dead = 1;
		return;
	}
	partial_release(p);
}

static struct partial *
partial_find(struct torrent *t, uint32_t piece)
{
	struct partial *p;

	LIST_FOREACH(p, pbucket(t->num, piece), hash)
		if (p->t == t && p->piece == piece)
			return p;
	return NULL;
}

static struct partial *
partial_get(struct torrent *t, uint32_t piece)
{
	struct partial *p;

	if ((p = partial_find(t, piece)) != NULL) {
		if (p != TAILQ_FIRST(&lk.lru)) {
			TAILQ_REMOVE(&lk.lru, p, lru);
			TAILQ_INSERT_HEAD(&lk.lru, p, lru);
		}
		return p;
	}
	if (lk.npartials >= STORED_PARTIALS_MAX) {
		/* Abandoned by peerd, most likely: it fetches it again. */
		p = TAILQ_LAST(&lk.lru, pqueue);
		log_debug("torrent %u piece %u: forgotten, too many partial "
		    "pieces", p->t->num, p->piece);
		verdict(p->t->num, p->piece, 0);
		partial_free(p);
	}
	if ((p = TAILQ_FIRST(&lk.freeq)) != NULL) {
		TAILQ_REMOVE(&lk.freeq, p, lru);
		lk.nfreeq--;
	} else {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return NULL;
		if ((p->md = EVP_MD_CTX_new()) == NULL ||
		    (p->r = calloc(RANGES_FIRST, sizeof(*p->r))) == NULL) {
			EVP_MD_CTX_free(p->md);
			free(p);
			return NULL;
		}
		p->cap = RANGES_FIRST;
		p->lane = lk.lanes++;	/* partials spread over the workers */
	}
	if (EVP_DigestInit_ex(p->md, lk.sha1, NULL) != 1)
		fatalx("%s: SHA-1 init", __func__);
	p->t = t;
	p->piece = piece;
	p->size = smap_piece_size(&t->map, piece);
	p->hashed = p->queued = p->inflight = 0;
	p->restart = p->onready = p->dead = 0;
	p->nranges = 0;
	LIST_INSERT_HEAD(pbucket(t->num, piece), p, hash);
	LIST_INSERT_HEAD(&t->partials, p, tlink);
	TAILQ_INSERT_HEAD(&lk.lru, p, lru);
	lk.npartials++;
	return p;
}

void
stored_block_forget(struct torrent *t)
{
	struct partial *p;

	while ((p = LIST_FIRST(&t->partials)) != NULL)
		partial_free(p);
	bcache_drop_torrent(lk.bc, t->num);
	if (t->need_have) {
		TAILQ_REMOVE(&lk.haveq, t, haveq);
		t->need_have = 0;
		lk.nhave--;
	}
}

/*
 * Add [s, e) to p's written ranges, merging; *overlap set when some of
 * those bytes were written before.  -1 when p has too many ranges.
 */
static int
range_add(struct partial *p, uint32_t s, uint32_t e, int *overlap)
{
	struct range	*r = p->r, *nr;
	uint32_t	 n = p->nranges, lo = 0, hi = n, i, j, ns = s, ne = e;

	*overlap = 0;
	if (n > 0 && r[n - 1].end == s) {	/* the common case: in order */
		r[n - 1].end = e;
		return 0;
	}
	while (lo < hi) {			/* first range ending at >= s */
		uint32_t mid = lo + (hi - lo) / 2;

		if (r[mid].end < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	for (j = i; j < n && r[j].start <= e; j++) {
		if (r[j].start < e && r[j].end > s)
			*overlap = 1;
		if (r[j].start < ns)
			ns = r[j].start;
		if (r[j].end > ne)
			ne = r[j].end;
	}
	if (j > i) {				/* merge r[i .. j - 1] */
		r[i].start = ns;
		r[i].end = ne;
		memmove(&r[i + 1], &r[j], (n - j) * sizeof(*r));
		p->nranges = n - (j - i - 1);
		return 0;
	}
	if (n == p->cap) {
		if (p->cap >= STORED_RANGES_MAX)
			return -1;
		nr = reallocarray(r, (size_t)p->cap * 2, sizeof(*r));
		if (nr == NULL)
			return -1;
		p->r = r = nr;
		p->cap *= 2;
	}
	memmove(&r[i + 1], &r[i], (n - i) * sizeof(*r));
	r[i].start = s;
	r[i].end = e;
	p->nranges = n + 1;
	return 0;
}

/* Write a block's copy to its files; -1 when the torrent failed. */
static int
write_block(struct torrent *t, uint32_t piece, uint32_t off, uint32_t len,
    const uint8_t *buf)
{
	struct smap_iter	 it;
	struct smap_extent	 e;
	const uint8_t		*p;
	ssize_t			 n;
	size_t			 done;
	int			 fd;

	(void)smap_range(&t->map, piece, off, len, &it);	/* checked */
	while (smap_next(&it, &e)) {
		if (e.pad)
			continue;	/* never written: reads as zeros */
		if ((fd = stored_cache_get(t, e.file, 1)) == -1) {
			torrent_fail(t, "open %s: %s", t->files[e.file].path,
			    strerror(errno));
			return -1;
		}
		p = buf + (e.piece_offset - off);
		for (done = 0; done < e.length; done += (size_t)n) {
			n = pwrite(fd, p + done, e.length - done,
			    (off_t)(e.file_offset + done));
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				torrent_fail(t, "write %s: %s",
				    t->files[e.file].path, n == 0 ?
				    "nothing written" : strerror(errno));
				return -1;
			}
		}
		stored_cache_dirty(t, e.file);
	}
	return 0;
}

/*
 * The iovecs holding bytes [skip, skip + len) of iov[0 .. n - 1] into
 * sub (RW_IOV_MAX); their number.
 */
static int
iov_slice(const struct iovec *iov, int n, size_t skip, size_t len,
    struct iovec *sub)
{
	size_t	 take;
	int	 i, k = 0;

	for (i = 0; i < n && len > 0; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		take = iov[i].iov_len - skip;
		if (take > len)
			take = len;
		sub[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
		sub[k].iov_len = take;
		k++;
		len -= take;
		skip = 0;
	}
	return k;
}

/*
 * Bytes [off, off + the iovecs' lengths) of piece to (wr) or from its
 * files: one pwritev() or preadv() an extent, again for what a short
 * call left.  Pad bytes are never written, and read as zeros.  0, or -1
 * with the reason, naming the file, in err.
 */
static int
torrent_rw(struct torrent *t, uint32_t piece, uint32_t off,
    const struct iovec *iov, int n, int wr, char *err, size_t errlen)
{
	struct iovec		 sub[RW_IOV_MAX], *v;
	struct smap_iter	 it;
	struct smap_extent	 e;
	size_t			 total = 0, done, left;
	ssize_t			 r;
	int			 i, k, fd;

	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (n > BCACHE_IOV_MAX || total > UINT32_MAX || smap_range(&t->map,
	    piece, off, (uint32_t)total, &it) == -1) {
		snprintf(err, errlen, "piece %u: bad range", piece);
		return -1;
	}
	while (smap_next(&it, &e)) {
		k = iov_slice(iov, n, e.piece_offset - off, e.length, sub);
		if (e.pad) {
			for (i = 0; !wr && i < k; i++)
				memset(sub[i].iov_base, 0, sub[i].iov_len);
			continue;
		}
		if ((fd = stored_cache_get(t, e.file, wr)) == -1) {
			snprintf(err, errlen, "%s %s: %s", stored_cache_what(),
			    t->files[e.file].path, strerror(errno));
			return -1;
		}
		v = sub;
		for (done = 0; done < e.length; done += (size_t)r) {
			r = wr ? pwritev(fd, v, k, (off_t)(e.file_offset +
			    done)) : preadv(fd, v, k, (off_t)(e.file_offset +
			    done));
			if (r == -1 && errno == EINTR) {
				r = 0;
				continue;
			}
			if (r <= 0) {
				snprintf(err, errlen, "%s %s: %s", wr ?
				    "write" : "read", t->files[e.file].path,
				    r == -1 ? strerror(errno) : wr ?
				    "nothing written" : "file is short");
				return -1;
			}
			/* Past what this call moved. */
			for (left = (size_t)r; k > 0 && left >= v->iov_len;
			    k--, v++)
				left -= v->iov_len;
			if (k > 0) {
				v->iov_base = (uint8_t *)v->iov_base + left;
				v->iov_len -= left;
			}
		}
		if (wr)
			stored_cache_dirty(t, e.file);
	}
	return 0;
}

/* The block cache's I/O. */
static int
bc_writev(void *arg, uint32_t torrent, uint32_t piece, uint32_t off,
    const struct iovec *iov, int n, char *err, size_t errlen)
{
	struct torrent *t = torrent_find(torrent);

	(void)arg;
	if (t == NULL)
		return 0;	/* cannot happen: its pieces left with it */
	return torrent_rw(t, piece, off, iov, n, 1, err, errlen);
}

static int
bc_readv(void *arg, uint32_t torrent, uint32_t piece, uint32_t off,
    const struct iovec *iov, int n, char *err, size_t errlen)
{
	struct torrent *t = torrent_find(torrent);

	(void)arg;
	if (t == NULL) {
		snprintf(err, errlen, "torrent %u: gone", torrent);
		return -1;
	}
	return torrent_rw(t, piece, off, iov, n, 0, err, errlen);
}

static const struct bcache_ops bc_ops = { bc_writev, bc_readv };

/*
 * A cache call failed for torrent num (its write or read): fail it,
 * which drops its pieces from the cache.  1 if num is self.
 */
static int
cache_fail(uint32_t num, uint32_t self)
{
	struct torrent *t = torrent_find(num);

	if (t != NULL)
		torrent_fail(t, "%s", bcache_error(lk.bc));
	else
		bcache_drop_torrent(lk.bc, num);
	return num == self;
}

/* Put a block into the cache; -1 when t failed (t is freed). */
static int
cache_put(struct torrent *t, uint32_t piece, uint32_t psize, uint32_t off,
    uint32_t len, const uint8_t *buf)
{
	uint32_t failed, self = t->num;

	/* Each failure takes a torrent's pieces out: this ends. */
	while (bcache_put(lk.bc, self, piece, psize, off, len, buf,
	    &failed) == -1)
		if (cache_fail(failed, self))
			return -1;
	return 0;
}

/* Write out what the cache holds of piece; -1 when t failed (freed). */
static int
piece_write(struct torrent *t, uint32_t piece)
{
	if (bcache_write_piece(lk.bc, t->num, piece) == -1) {
		torrent_fail(t, "%s", bcache_error(lk.bc));
		return -1;
	}
	return 0;
}

/* Read a block for an upload, through the cache; -1 when t failed. */
static int
cache_read(struct torrent *t, uint32_t piece, uint32_t off, uint32_t len,
    uint8_t *buf)
{
	uint32_t	 failed, self = t->num;
	char		 err[512];

	if (bcache_bound(lk.bc) < BCACHE_BLOCK) {
		if (torrent_pread(t, piece, off, len, buf, err,
		    sizeof(err)) == -1) {
			torrent_fail(t, "%s", err);
			return -1;
		}
		return 0;
	}
	while (bcache_read(lk.bc, self, piece, smap_piece_size(&t->map,
	    piece), off, len, buf, &failed) == -1)
		if (cache_fail(failed, self))
			return -1;
	return 0;
}

void
stored_block_writeout(struct torrent *t)
{
	if (bcache_write_torrent(lk.bc, t->num) == -1)
		log_warnx("torrent %u (%s): %s", t->num, t->name,
		    bcache_error(lk.bc));
}

void
stored_block_config(const char *key, const char *value)
{
	unsigned long long	 v;
	uint32_t		 failed;
	char			*end;

	if (strcmp(key, "preallocation") == 0) {
		stored_cache_prealloc(strcmp(value, "full") == 0);
		return;
	}
	if (strcmp(key, "cache_size") != 0)
		return;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0') {
		log_warnx("config: cache_size: not a number of bytes");
		return;
	}
	if (v == bcache_bound(lk.bc))
		return;
	log_debug("block cache: %llu bytes", v);
	while (bcache_set_bound(lk.bc, v, &failed) == -1)
		(void)cache_fail(failed, 0);
}

/* StoredStats to btd when a number moved, and once at the start. */
static void
stats_cb(evutil_socket_t fd, short ev, void *arg)
{
	Btd__StoredStats	 ss = BTD__STORED_STATS__INIT;
	struct bcache_stats	 bs;
	struct chan		*btd = stored_btd_chan();
	uint64_t		 now[STATS_N];

	(void)fd;
	(void)ev;
	(void)arg;
	bcache_stats(lk.bc, &bs);
	now[0] = ss.read_hits = bs.read_hits;
	now[1] = ss.read_misses = bs.read_misses;
	now[2] = ss.coalesced = bs.coalesced;
	now[3] = ss.writes = bs.writes;
	now[4] = ss.cache_used = bs.used;
	now[5] = ss.cache_size = bs.bound;
	now[6] = ss.written = lk.stats.written;
	now[7] = ss.readback = lk.stats.readback;
	now[8] = ss.read = lk.stats.read;
	if (btd == NULL || (lk.stats_sent &&
	    memcmp(now, lk.sent, sizeof(now)) == 0))
		return;
	if (MSG_SEND(btd, Btd__StoredMsg, STORED_MSG, STATS, stats, &ss,
	    -1) == -1) {
		log_warn("%s: stored stats", __func__);
		return;
	}
	memcpy(lk.sent, now, sizeof(now));
	lk.stats_sent = 1;
}

/* Hand len bytes in buf (a stored_hash_buf()) to the worker for p. */
static void
submit(struct partial *p, uint8_t *buf, uint32_t len)
{
	stored_hash_submit(p->md, p->lane, buf, len, hash_done, p);
	p->inflight++;
	p->queued += len;
}

/*
 * Queue what was written after the queued prefix for hashing, reading
 * it back.  -1 when the torrent failed (a read error on our own bytes).
 */
static int
catch_up(struct partial *p)
{
	struct torrent	*t = p->t;
	uint8_t		*buf;
	char		 err[512];
	uint32_t	 end, n;

	if (p->restart || p->nranges == 0 || p->r[0].start != 0)
		return 0;
	end = p->r[0].end;
	while (p->queued < end) {
		n = end - p->queued;
		if (n > ARENA_SLOT_SIZE)
			n = ARENA_SLOT_SIZE;
		buf = stored_hash_buf();
		if (bcache_copy(lk.bc, t->num, p->piece, p->queued, n, buf)) {
			submit(p, buf, n);	/* from memory */
			lk.stats.frommem += n;
			continue;
		}
		/* Some of it is on disk only: all of it there first. */
		if (piece_write(t, p->piece) == -1) {
			stored_hash_put(buf);
			return -1;
		}
		if (torrent_pread(t, p->piece, p->queued, n, buf, err,
		    sizeof(err)) == -1) {
			stored_hash_put(buf);
			torrent_fail(t, "%s", err);
			return -1;
		}
		submit(p, buf, n);
		lk.stats.readback += n;
	}
	return 0;
}

static void
finish(struct partial *p)
{
	struct torrent	*t = p->t;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	int		 ok;

	if (EVP_DigestFinal_ex(p->md, md, NULL) != 1)
		fatalx("%s: SHA-1 final", __func__);
	ok = memcmp(md, t->hashes + (size_t)p->piece * SHA1_LEN,
	    SHA1_LEN) == 0;
	if (ok) {
		/* Written before the flush that makes it durable. */
		if (piece_write(t, p->piece) == -1)
			return;		/* t and p are gone */
		BIT_SET(t->have, p->piece);
		stored_flush_piece(t->num, p->piece);
	} else {
		log_debug("torrent %u piece %u: hash mismatch", t->num,
		    p->piece);
		bcache_drop_piece(lk.bc, t->num, p->piece);
	}
	verdict(t->num, p->piece, ok);
	partial_free(p);
}

/*
 * Move p on, with none of its jobs out or after queueing some: restart
 * its hash if bytes it hashed were replaced, queue what can be hashed,
 * and give the verdict once every byte is hashed.
 */
static void
advance(struct partial *p)
{
	if (p->restart) {
		if (p->inflight > 0)
			return;		/* ready again once they are reaped */
		if (EVP_DigestInit_ex(p->md, lk.sha1, NULL) != 1)
			fatalx("%s: SHA-1 init", __func__);
		p->hashed = p->queued = 0;
		p->restart = 0;
		lk.stats.restarts++;
	}
	if (catch_up(p) == -1)
		return;			/* t and p are gone */
	if (p->inflight == 0 && p->hashed == p->size)
		finish(p);
}

/* A hash job of p is done (from stored_hash.c): accounting only. */
static void
hash_done(void *owner, uint32_t len)
{
	struct partial *p = owner;

	p->inflight--;
	if (p->dead) {
		if (p->inflight == 0)
			partial_release(p);
		return;
	}
	p->hashed += len;
	if (p->inflight == 0 && !p->onready) {
		TAILQ_INSERT_TAIL(&lk.readyq, p, rdy);
		p->onready = 1;
	}
}

/* Advance every partial whose jobs were reaped; flush at turn's end. */
void
stored_block_settle(void)
{
	struct partial *p;

	while ((p = TAILQ_FIRST(&lk.readyq)) != NULL) {
		TAILQ_REMOVE(&lk.readyq, p, rdy);
		p->onready = 0;
		advance(p);
	}
	schedule();
}

/*
 * A block, copied into buf (a stored_hash_buf(), ours from here): write
 * it, queue it for hashing when it extends the queued prefix, maybe a
 * verdict.
 */
static void
block_store(struct torrent *t, uint32_t piece, uint32_t off, uint32_t len,
    uint8_t *buf)
{
	struct partial	*p;
	int		 overlap;

	if ((p = partial_get(t, piece)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		stored_hash_put(buf);
		verdict(t->num, piece, 0);
		return;
	}
	if (bcache_cacheable(lk.bc, p->size, off, len)) {
		if (cache_put(t, piece, p->size, off, len, buf) == -1) {
			stored_hash_put(buf);
			return;		/* t and p are gone */
		}
	} else {
		/* Past the cache, after what it holds of the piece. */
		if (piece_write(t, piece) == -1) {
			stored_hash_put(buf);
			return;
		}
		bcache_drop_piece(lk.bc, t->num, piece);
		if (write_block(t, piece, off, len, buf) == -1) {
			stored_hash_put(buf);
			return;
		}
	}
	lk.stats.written += len;
	if (range_add(p, off, off + len, &overlap) == -1) {
		log_warnx("torrent %u piece %u: too many ranges", t->num,
		    piece);
		stored_hash_put(buf);
		verdict(t->num, piece, 0);
		partial_free(p);
		return;
	}
	if (p->restart || off < p->queued) {
		/* Bytes already hashed were replaced: again from disk. */
		p->restart = 1;
		stored_hash_put(buf);
	} else if (off == p->queued)
		submit(p, buf, len);	/* the worker's until hash_done() */
	else
		stored_hash_put(buf);	/* ahead: from the cache later */
	/* Every byte is in: written out in runs now. */
	if (p->nranges == 1 && p->r[0].start == 0 && p->r[0].end == p->size &&
	    piece_write(t, piece) == -1)
		return;			/* t and p are gone */
	advance(p);
}

/* Check a descriptor against its arena and torrent; 0 or -1. */
static int
ref_check(const Btd__BlockRef *b, const struct arena *a, const uint8_t *held,
    struct torrent *t, const char *what)
{
	uint32_t size;

	if (a == NULL || b->slot >= a->slots) {
		log_warnx("peerd: %s slot %u out of range", what, b->slot);
		return -1;
	}
	if (BIT_ISSET(held, b->slot)) {
		log_warnx("peerd: %s slot %u is not peerd's", what, b->slot);
		return -1;
	}
	if (b->length == 0 || b->length > a->slot_size ||
	    b->length > ARENA_SLOT_SIZE) {
		log_warnx("peerd: %s of %u bytes", what, b->length);
		return -1;
	}
	if (t == NULL)
		return 0;	/* removed a moment ago: not a violation */
	size = smap_piece_size(&t->map, b->piece);
	if (size == 0 || b->offset > size || b->length > size - b->offset) {
		log_warnx("peerd: %s of torrent %u piece %u [%u, +%u) out of "
		    "range", what, t->num, b->piece, b->offset, b->length);
		return -1;
	}
	return 0;
}

static int
block_write(const Btd__BlockWrite *bw)
{
	struct torrent	*t;
	uint8_t		*buf;
	size_t		 i;

	if (bw->n_blocks > STORED_BATCH_MAX) {
		log_warnx("peerd: %zu blocks in one message", bw->n_blocks);
		return -1;
	}
	for (i = 0; i < bw->n_blocks; i++) {
		const Btd__BlockRef *b = bw->blocks[i];

		t = torrent_find(b->torrent);
		if (ref_check(b, lk.down, lk.down_held, t, "write") == -1)
			return -1;	/* the blocks before are done */
		BIT_SET(lk.down_held, b->slot);
		lk.frees[lk.nfree++] = b->slot;
		if (t == NULL || t->state != T_READY ||
		    BIT_ISSET(t->have, b->piece)) {
			lk.stats.dropped++;
			continue;
		}
		buf = stored_hash_buf();
		memcpy(buf, arena_slot(lk.down, b->slot), b->length);
		block_store(t, b->piece, b->offset, b->length, buf);
	}
	stored_block_settle();
	return 0;
}

static int
block_read(const Btd__BlockRead *br)
{
	struct torrent	*t;
	Btd__ReadResult	*r;
	size_t		 i;

	if (br->n_blocks > STORED_BATCH_MAX) {
		log_warnx("peerd: %zu reads in one message", br->n_blocks);
		return -1;
	}
	for (i = 0; i < br->n_blocks; i++) {
		const Btd__BlockRef *b = br->blocks[i];

		t = torrent_find(b->torrent);
		if (ref_check(b, lk.up, lk.up_held, t, "read") == -1)
			return -1;
		BIT_SET(lk.up_held, b->slot);
		r = &lk.results[lk.nres++];
		btd__read_result__init(r);
		r->slot = b->slot;
		if (t == NULL || t->state != T_READY ||
		    !BIT_ISSET(t->have, b->piece))
			continue;	/* not ok */
		/*
		 * Failing, verified bytes are gone (a file truncated or
		 * removed behind stored's back): the torrent needs a
		 * recheck, not peers asking for it again.
		 */
		if (cache_read(t, b->piece, b->offset, b->length,
		    arena_slot(lk.up, b->slot)) == -1)
			continue;
		r->ok = 1;
		lk.stats.read += b->length;
	}
	schedule();
	return 0;
}

int
stored_dispatch_peerd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerStoredMsg *m = MSG_AS(Btd__PeerStoredMsg,
	    peer_stored_msg, env);

	if (c != lk.chan)
		return -1;
	switch (m->body_case) {
	case BTD__PEER_STORED_MSG__BODY_BLOCK_WRITE:
		return block_write(m->block_write);
	case BTD__PEER_STORED_MSG__BODY_BLOCK_READ:
		return block_read(m->block_read);
	default:
		return -1;	/* a body only stored sends */
	}
}

static void
update_pause(void)
{
	int want;

	if (lk.chan == NULL)
		return;
	want = lk.blocked || stored_flush_backlog();
	if (want != lk.paused) {
		lk.paused = want;
		chan_pause(lk.chan, want);
	}
}

/* Send one TorrentHave; -1 if the channel refused it. */
static int
send_have(struct torrent *t)
{
	Btd__TorrentHave th = BTD__TORRENT_HAVE__INIT;

	th.torrent = t->num;
	th.bitfield.data = t->have;
	th.bitfield.len = (t->map.piece_count + 7) / 8;
	if (MSG_SEND(lk.chan, Btd__PeerStoredMsg, PEER_STORED_MSG, HAVE, have,
	    &th, -1) == -1) {
		log_warn("%s: torrent have", __func__);
		return -1;
	}
	return 0;
}

/* Send every batch, as far as the channel takes them. */
static void
link_flush(void)
{
	Btd__PieceVerdicts	 pv = BTD__PIECE_VERDICTS__INIT;
	Btd__SlotsFree		 sf = BTD__SLOTS_FREE__INIT;
	Btd__ReadDone		 rd = BTD__READ_DONE__INIT;
	struct torrent		*t;
	size_t			 i, n, pos;

	if (lk.chan == NULL)
		return;
	lk.blocked = 1;
	/* Verdicts first: a freed slot may bring the next block. */
	for (pos = 0; pos < lk.nverd; pos += n) {
		if (chan_full(lk.chan))
			goto keep_verdicts;
		n = lk.nverd - pos < STORED_BATCH_MAX ? lk.nverd - pos :
		    STORED_BATCH_MAX;
		for (i = 0; i < n; i++)
			lk.vptrs[i] = &lk.verdicts[pos + i];
		pv.n_verdicts = n;
		pv.verdicts = lk.vptrs;
		if (MSG_SEND(lk.chan, Btd__PeerStoredMsg, PEER_STORED_MSG,
		    VERDICTS, verdicts, &pv, -1) == -1)
			goto keep_verdicts;
	}
	lk.nverd = 0;
	for (pos = 0; pos < lk.nfree; pos += n) {
		if (chan_full(lk.chan))
			goto keep_frees;
		n = lk.nfree - pos < STORED_BATCH_MAX ? lk.nfree - pos :
		    STORED_BATCH_MAX;
		sf.n_slots = n;
		sf.slots = lk.frees + pos;
		if (MSG_SEND(lk.chan, Btd__PeerStoredMsg, PEER_STORED_MSG,
		    SLOTS_FREE, slots_free, &sf, -1) == -1)
			goto keep_frees;
		for (i = 0; i < n; i++)
			BIT_CLR(lk.down_held, lk.frees[pos + i]);
	}
	lk.nfree = 0;
	for (pos = 0; pos < lk.nres; pos += n) {
		if (chan_full(lk.chan))
			goto keep_results;
		n = lk.nres - pos < STORED_BATCH_MAX ? lk.nres - pos :
		    STORED_BATCH_MAX;
		for (i = 0; i < n; i++)
			lk.rptrs[i] = &lk.results[pos + i];
		rd.n_results = n;
		rd.results = lk.rptrs;
		if (MSG_SEND(lk.chan, Btd__PeerStoredMsg, PEER_STORED_MSG,
		    READ_DONE, read_done, &rd, -1) == -1)
			goto keep_results;
		for (i = 0; i < n; i++)
			BIT_CLR(lk.up_held, lk.results[pos + i].slot);
	}
	lk.nres = 0;
	while ((t = TAILQ_FIRST(&lk.haveq)) != NULL) {
		if (chan_full(lk.chan) || send_have(t) == -1)
			goto out;
		TAILQ_REMOVE(&lk.haveq, t, haveq);
		t->need_have = 0;
		lk.nhave--;
	}
	lk.blocked = 0;
	goto out;
keep_verdicts:
	memmove(lk.verdicts, lk.verdicts + pos,
	    (lk.nverd - pos) * sizeof(*lk.verdicts));
	lk.nverd -= pos;
	goto out;
keep_frees:
	memmove(lk.frees, lk.frees + pos, (lk.nfree - pos) * sizeof(*lk.frees));
	lk.nfree -= pos;
	goto out;
keep_results:
	memmove(lk.results, lk.results + pos,
	    (lk.nres - pos) * sizeof(*lk.results));
	lk.nres -= pos;
out:
	update_pause();
}

static void
flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	link_flush();
}

static void
drained(struct chan *c, void *arg)
{
	(void)c;
	(void)arg;
	link_flush();
}

/* Flush once this event-loop turn's work is done. */
static void
schedule(void)
{
	if (lk.chan != NULL && lk.flush_ev != NULL)
		event_active(lk.flush_ev, EV_TIMEOUT, 0);
}

int
stored_link_is(const struct chan *c)
{
	return c != NULL && c == lk.chan;
}

void
stored_link_kick(void)
{
	update_pause();
}

void
stored_link_have(struct torrent *t)
{
	if (lk.chan == NULL || t->need_have)
		return;
	t->need_have = 1;
	TAILQ_INSERT_TAIL(&lk.haveq, t, haveq);
	lk.nhave++;
	schedule();
}

void
stored_link_gone(uint32_t torrent, const char *error)
{
	Btd__TorrentGone tg = BTD__TORRENT_GONE__INIT;

	if (lk.chan == NULL)
		return;
	tg.torrent = torrent;
	tg.error = (char *)(uintptr_t)error;
	if (MSG_SEND(lk.chan, Btd__PeerStoredMsg, PEER_STORED_MSG, GONE, gone,
	    &tg, -1) == -1)
		log_warn("%s: torrent gone", __func__);
}

static void
link_free(void)
{
	free(lk.down_held);
	free(lk.up_held);
	free(lk.frees);
	free(lk.verdicts);
	free(lk.vptrs);
	free(lk.results);
	free(lk.rptrs);
	lk.down_held = lk.up_held = NULL;
	lk.frees = NULL;
	lk.verdicts = NULL;
	lk.vptrs = NULL;
	lk.results = NULL;
	lk.rptrs = NULL;
	lk.nfree = lk.nverd = lk.nres = lk.vcap = 0;
}

void
stored_link_down(void)
{
	struct torrent *t;

	if (lk.chan == NULL)
		return;
	/* Queued answers die with the link; peerd takes every slot back. */
	link_free();
	while ((t = TAILQ_FIRST(&lk.haveq)) != NULL) {
		TAILQ_REMOVE(&lk.haveq, t, haveq);
		t->need_have = 0;
	}
	lk.nhave = 0;
	lk.chan = NULL;
	lk.down = lk.up = NULL;
	lk.blocked = lk.paused = 0;
}

void
stored_link_up(struct chan *c, const struct arena *down,
    const struct arena *up)
{
	struct torrent	*t;
	size_t		 nd = down ? down->slots : 0, nu = up ? up->slots : 0;

	stored_link_down();
	/* Two a held slot (its own, an evicted one), and one a hash job. */
	lk.vcap = 2 * nd + STORED_HASH_BUFS + 2;
	if ((lk.down_held = calloc(1, (nd + 7) / 8 + 1)) == NULL ||
	    (lk.up_held = calloc(1, (nu + 7) / 8 + 1)) == NULL ||
	    (lk.frees = calloc(nd + 1, sizeof(*lk.frees))) == NULL ||
	    (lk.verdicts = calloc(lk.vcap, sizeof(*lk.verdicts))) == NULL ||
	    (lk.vptrs = calloc(STORED_BATCH_MAX, sizeof(*lk.vptrs))) == NULL ||
	    (lk.results = calloc(nu + 1, sizeof(*lk.results))) == NULL ||
	    (lk.rptrs = calloc(STORED_BATCH_MAX, sizeof(*lk.rptrs))) == NULL)
		fatal("%s", __func__);
	lk.chan = c;
	lk.down = down;
	lk.up = up;
	chan_set_drain(c, drained);
	log_debug("link to peerd up: %zu down, %zu up slots", nd, nu);
	for (t = torrent_first(); t != NULL; t = torrent_next(t))
		if (t->state == T_READY)
			stored_link_have(t);
	schedule();
}

void
stored_block_init(void)
{
	struct timeval	 tv = { STORED_STATS_MS / 1000,
			    (STORED_STATS_MS % 1000) * 1000 };
	unsigned	 i;

	for (i = 0; i < PARTIAL_BUCKETS; i++)
		LIST_INIT(&lk.buckets[i]);
	TAILQ_INIT(&lk.lru);
	TAILQ_INIT(&lk.freeq);
	TAILQ_INIT(&lk.readyq);
	TAILQ_INIT(&lk.haveq);
	if ((lk.sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)) == NULL)
		fatalx("%s: SHA-1", __func__);
	stored_hash_init(stored_base());
	lk.flush_ev = event_new(stored_base(), -1, 0, flush_cb, NULL);
	lk.stats_ev = event_new(stored_base(), -1, EV_PERSIST, stats_cb, NULL);
	if (lk.flush_ev == NULL || lk.stats_ev == NULL ||
	    event_add(lk.stats_ev, &tv) == -1)
		fatalx("%s: event", __func__);
	if ((lk.bc = bcache_new(STORED_CACHE_DEFAULT, &bc_ops, NULL)) == NULL)
		fatal("%s: block cache", __func__);
}
