/*
 * stored_bcache.c -- the block cache: blocks of pieces kept in memory,
 * within a bound, for write coalescing and for uploads.
 *
 * Plain C: no protobuf, no torrent, no descriptor.  It knows pieces by
 * (torrent number, piece) and does its I/O through the two functions of
 * its bcache_ops, so that a unit test drives it with a fake disk
 * (tests/unit/check_bcache.c) and stored_block.c with the real files.
 *
 * A cached piece is an entry: an array of its BCACHE_BLOCK-sized blocks
 * (NULL where not cached) and a bitfield of those written to the cache
 * and not yet to disk (dirty).  Writes: bcache_put() copies a block in,
 * dirty; bcache_write_piece() writes a piece's dirty blocks out in runs
 * of consecutive blocks, one writev call a run of up to BCACHE_IOV_MAX
 * blocks, and keeps them, clean.  Reads: bcache_read() serves a block of
 * a cached piece from memory (a hit); otherwise (a miss) it reads every
 * block of the piece that is not cached, in runs, and keeps them, so
 * that a piece wanted by many peers is read from disk once.  A piece
 * larger than a quarter of the bound is read past the cache.
 *
 * Bound: the blocks held, BCACHE_BLOCK bytes each, never pass the bound.
 * To make room the least recently used piece is evicted: its dirty
 * blocks are written out first (never dropped unwritten), then freed.
 * A write that fails stops the eviction: the call returns -1 and names
 * the torrent in *failed; the caller fails that torrent (which drops its
 * pieces, bcache_drop_torrent()) and tries again.
 *
 * Only whole, aligned blocks are cached (bcache_cacheable()): the block
 * size peers use.  stored_block.c writes anything else past the cache,
 * after writing out and dropping that piece's entry, so a piece's bytes
 * are always either in its entry or on disk.
 *
 * Rejected alternative: a cache of whole pieces in one buffer each.
 * Pieces reach 256 MiB; an entry would then pin a large buffer for the
 * few blocks received so far, and a bound of a few pieces could not be
 * kept.
 */
#include <sys/queue.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stored.h"

#define BC_BUCKETS	4096	/* hash chains of the entries */
#define BC_FREE_MAX	256	/* freed blocks kept for reuse */
#define BC_ERR_MAX	512	/* bytes of the last error */

struct bcentry {
	LIST_ENTRY(bcentry)	 hash;
	TAILQ_ENTRY(bcentry)	 lru;		/* most recently used first */
	uint32_t		 torrent;
	uint32_t		 piece;
	uint32_t		 size;		/* bytes in the piece */
	uint32_t		 nblk;		/* blocks in the piece */
	uint32_t		 ncached;	/* of blk[] not NULL */
	uint32_t		 ndirty;	/* bits set in dirty */
	uint8_t			**blk;		/* nblk; NULL: not cached */
	uint8_t			*dirty;		/* bitfield of nblk */
};

LIST_HEAD(bclist, bcentry);

struct bcache {
	struct bclist		 buckets[BC_BUCKETS];
	TAILQ_HEAD(bcentry_q, bcentry) lru;
	const struct bcache_ops	*ops;
	void			*arg;
	uint64_t		 bound;		/* bytes of blocks at most */
	uint64_t		 used;		/* bytes of blocks held */
	uint8_t			*freeb[BC_FREE_MAX];
	unsigned		 nfreeb;
	struct bcache_stats	 st;
	char			 err[BC_ERR_MAX];
};

static struct bclist *
bucket(struct bcache *bc, uint32_t torrent, uint32_t piece)
{
	uint32_t h = (torrent * 2654435761U) ^ (piece * 2246822519U);

	return &bc->buckets[(h >> 20) % BC_BUCKETS];
}

struct bcache *
bcache_new(uint64_t bound, const struct bcache_ops *ops, void *arg)
{
	struct bcache	*bc;
	unsigned	 i;

	if ((bc = calloc(1, sizeof(*bc))) == NULL)
		return NULL;
	for (i = 0; i < BC_BUCKETS; i++)
		LIST_INIT(&bc->buckets[i]);
	TAILQ_INIT(&bc->lru);
	bc->ops = ops;
	bc->arg = arg;
	bc->bound = bound;
	bc->st.bound = bound;
	return bc;
}

static uint8_t *
block_alloc(struct bcache *bc)
{
	if (bc->nfreeb > 0)
		return bc->freeb[--bc->nfreeb];
	return malloc(BCACHE_BLOCK);
}

static void
block_free(struct bcache *bc, uint8_t *b)
{
	if (bc->nfreeb < BC_FREE_MAX)
		bc->freeb[bc->nfreeb++] = b;
	else
		free(b);
}

/* Bytes of block i of e (the last one may be short). */
static uint32_t
blk_len(const struct bcentry *e, uint32_t i)
{
	uint32_t off = i * BCACHE_BLOCK;

	return e->size - off < BCACHE_BLOCK ? e->size - off : BCACHE_BLOCK;
}

/* Forget e and its blocks, written out or not. */
static void
entry_free(struct bcache *bc, struct bcentry *e)
{
	uint32_t i;

	for (i = 0; i < e->nblk; i++)
		if (e->blk[i] != NULL)
			block_free(bc, e->blk[i]);
	bc->used -= (uint64_t)e->ncached * BCACHE_BLOCK;
	LIST_REMOVE(e, hash);
	TAILQ_REMOVE(&bc->lru, e, lru);
	free(e->blk);
	free(e->dirty);
	free(e);
}

void
bcache_free(struct bcache *bc)
{
	struct bcentry *e;

	if (bc == NULL)
		return;
	while ((e = TAILQ_FIRST(&bc->lru)) != NULL)
		entry_free(bc, e);
	while (bc->nfreeb > 0)
		free(bc->freeb[--bc->nfreeb]);
	free(bc);
}

static struct bcentry *
entry_find(struct bcache *bc, uint32_t torrent, uint32_t piece)
{
	struct bcentry *e;

	LIST_FOREACH(e, bucket(bc, torrent, piece), hash)
		if (e->torrent == torrent && e->piece == piece)
			return e;
	return NULL;
}

static void
entry_touch(struct bcache *bc, struct bcentry *e)
{
	if (e != TAILQ_FIRST(&bc->lru)) {
		TAILQ_REMOVE(&bc->lru, e, lru);
		TAILQ_INSERT_HEAD(&bc->lru, e, lru);
	}
}

static struct bcentry *
entry_get(struct bcache *bc, uint32_t torrent, uint32_t piece, uint32_t size)
{
	struct bcentry *e;

	if ((e = entry_find(bc, torrent, piece)) != NULL) {
		entry_touch(bc, e);
		return e;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->torrent = torrent;
	e->piece = piece;
	e->size = size;
	e->nblk = (size + BCACHE_BLOCK - 1) / BCACHE_BLOCK;
	if ((e->blk = calloc(e->nblk, sizeof(*e->blk))) == NULL ||
	    (e->dirty = calloc((e->nblk + 7) / 8, 1)) == NULL) {
		free(e->blk);
		free(e);
		return NULL;
	}
	LIST_INSERT_HEAD(bucket(bc, torrent, piece), e, hash);
	TAILQ_INSERT_HEAD(&bc->lru, e, lru);
	return e;
}

/* Write e's dirty blocks in runs; 0, or -1 with bc->err set. */
static int
entry_write(struct bcache *bc, struct bcentry *e)
{
	struct iovec	 iov[BCACHE_IOV_MAX];
	uint32_t	 i, j, n;
	uint64_t	 bytes;

	for (i = 0; i < e->nblk && e->ndirty > 0; i = j) {
		if (!BIT_ISSET(e->dirty, i)) {
			j = i + 1;
			continue;
		}
		bytes = 0;
		for (j = i, n = 0; j < e->nblk && n < BCACHE_IOV_MAX &&
		    BIT_ISSET(e->dirty, j); j++, n++) {
			iov[n].iov_base = e->blk[j];
			iov[n].iov_len = blk_len(e, j);
			bytes += iov[n].iov_len;
		}
		if (bc->ops->writev(bc->arg, e->torrent, e->piece,
		    i * BCACHE_BLOCK, iov, (int)n, bc->err,
		    sizeof(bc->err)) == -1)
			return -1;
		for (n = i; n < j; n++)
			BIT_CLR(e->dirty, n);
		e->ndirty -= j - i;
		bc->st.writes++;
		bc->st.coalesced += bytes;
	}
	return 0;
}

/*
 * Evict least recently used pieces until nblocks more fit: 0, or -1 with
 * *failed and bc->err when a piece could not be written out.
 */
static int
make_room(struct bcache *bc, uint32_t nblocks, uint32_t *failed)
{
	struct bcentry	*e;
	uint64_t	 need = (uint64_t)nblocks * BCACHE_BLOCK;

	while (bc->used + need > bc->bound &&
	    (e = TAILQ_LAST(&bc->lru, bcentry_q)) != NULL) {
		if (entry_write(bc, e) == -1) {
			*failed = e->torrent;
			return -1;
		}
		bc->st.evicted++;
		entry_free(bc, e);
	}
	return 0;
}

int
bcache_cacheable(const struct bcache *bc, uint32_t psize, uint32_t off,
    uint32_t len)
{
	if (bc == NULL || bc->bound < BCACHE_BLOCK || off % BCACHE_BLOCK != 0 ||
	    off >= psize)
		return 0;
	return len == (psize - off < BCACHE_BLOCK ? psize - off :
	    BCACHE_BLOCK);
}

int
bcache_put(struct bcache *bc, uint32_t torrent, uint32_t piece,
    uint32_t psize, uint32_t off, uint32_t len, const uint8_t *data,
    uint32_t *failed)
{
	struct bcentry	*e;
	uint32_t	 i = off / BCACHE_BLOCK;

	if (!bcache_cacheable(bc, psize, off, len)) {
		errno = EINVAL;
		snprintf(bc->err, sizeof(bc->err), "block not cacheable");
		*failed = torrent;
		return -1;
	}
	e = entry_find(bc, torrent, piece);
	if (e == NULL || e->blk[i] == NULL) {
		if (make_room(bc, 1, failed) == -1)
			return -1;
		/* e may have been evicted to make room. */
		if ((e = entry_get(bc, torrent, piece, psize)) == NULL)
			goto oom;
		if ((e->blk[i] = block_alloc(bc)) == NULL)
			goto oom;
		e->ncached++;
		bc->used += BCACHE_BLOCK;
	} else
		entry_touch(bc, e);
	memcpy(e->blk[i], data, len);
	if (!BIT_ISSET(e->dirty, i)) {
		BIT_SET(e->dirty, i);
		e->ndirty++;
	}
	bc->st.put += len;
	return 0;
oom:
	snprintf(bc->err, sizeof(bc->err), "block cache: out of memory");
	*failed = torrent;
	return -1;
}

int
bcache_copy(struct bcache *bc, uint32_t torrent, uint32_t piece,
    uint32_t off, uint32_t len, uint8_t *buf)
{
	struct bcentry	*e;
	uint32_t	 pos, i, in, n;

	if (bc == NULL || len == 0 ||
	    (e = entry_find(bc, torrent, piece)) == NULL ||
	    off > e->size || len > e->size - off)
		return 0;
	for (pos = off; pos < off + len; pos += n) {
		i = pos / BCACHE_BLOCK;
		if (e->blk[i] == NULL)
			return 0;
		in = pos % BCACHE_BLOCK;
		n = blk_len(e, i) - in;
		if (n > off + len - pos)
			n = off + len - pos;
	}
	for (pos = off; pos < off + len; pos += n) {
		i = pos / BCACHE_BLOCK;
		in = pos % BCACHE_BLOCK;
		n = blk_len(e, i) - in;
		if (n > off + len - pos)
			n = off + len - pos;
		memcpy(buf + (pos - off), e->blk[i] + in, n);
	}
	return 1;
}

int
bcache_write_piece(struct bcache *bc, uint32_t torrent, uint32_t piece)
{
	struct bcentry *e;

	if (bc == NULL || (e = entry_find(bc, torrent, piece)) == NULL)
		return 0;
	return entry_write(bc, e);
}

int
bcache_write_torrent(struct bcache *bc, uint32_t torrent)
{
	struct bcentry *e;

	if (bc == NULL)
		return 0;
	TAILQ_FOREACH(e, &bc->lru, lru)
		if (e->torrent == torrent && entry_write(bc, e) == -1)
			return -1;
	return 0;
}

void
bcache_drop_piece(struct bcache *bc, uint32_t torrent, uint32_t piece)
{
	struct bcentry *e;

	if (bc != NULL && (e = entry_find(bc, torrent, piece)) != NULL)
		entry_free(bc, e);
}

void
bcache_drop_torrent(struct bcache *bc, uint32_t torrent)
{
	struct bcentry *e, *next;

	if (bc == NULL)
		return;
	for (e = TAILQ_FIRST(&bc->lru); e != NULL; e = next) {
		next = TAILQ_NEXT(e, lru);
		if (e->torrent == torrent)
			entry_free(bc, e);
	}
}

/* Read the blocks of e that are not cached, in runs; 0 or -1. */
static int
entry_fill(struct bcache *bc, struct bcentry *e)
{
	struct iovec	 iov[BCACHE_IOV_MAX];
	uint32_t	 i, j, n, k;

	for (i = 0; i < e->nblk; i = j) {
		if (e->blk[i] != NULL) {
			j = i + 1;
			continue;
		}
		for (j = i, n = 0; j < e->nblk && n < BCACHE_IOV_MAX &&
		    e->blk[j] == NULL; j++, n++) {
			if ((e->blk[j] = block_alloc(bc)) == NULL) {
				snprintf(bc->err, sizeof(bc->err),
				    "block cache: out of memory");
				goto fail;
			}
			e->ncached++;
			bc->used += BCACHE_BLOCK;
			iov[n].iov_base = e->blk[j];
			iov[n].iov_len = blk_len(e, j);
		}
		if (bc->ops->readv(bc->arg, e->torrent, e->piece,
		    i * BCACHE_BLOCK, iov, (int)n, bc->err,
		    sizeof(bc->err)) == -1)
			goto fail;
		bc->st.reads++;
	}
	return 0;
fail:
	/* Blocks i .. j - 1 hold nothing read: not cached. */
	for (k = i; k < j && k < e->nblk; k++)
		if (e->blk[k] != NULL) {
			block_free(bc, e->blk[k]);
			e->blk[k] = NULL;
			e->ncached--;
			bc->used -= BCACHE_BLOCK;
		}
	return -1;
}

int
bcache_read(struct bcache *bc, uint32_t torrent, uint32_t piece,
    uint32_t psize, uint32_t off, uint32_t len, uint8_t *buf,
    uint32_t *failed)
{
	struct bcentry	*e;
	struct iovec	 iov;
	uint32_t	 nblk = (psize + BCACHE_BLOCK - 1) / BCACHE_BLOCK;

	if (bcache_copy(bc, torrent, piece, off, len, buf)) {
		bc->st.read_hits++;
		if ((e = entry_find(bc, torrent, piece)) != NULL)
			entry_touch(bc, e);
		return 0;
	}
	bc->st.read_misses++;
	*failed = torrent;
	if (bc->bound < BCACHE_BLOCK || psize > bc->bound / 4) {
		/* Too large to keep: read past the cache. */
		iov.iov_base = buf;
		iov.iov_len = len;
		bc->st.reads++;
		return bc->ops->readv(bc->arg, torrent, piece, off, &iov, 1,
		    bc->err, sizeof(bc->err));
	}
	e = entry_find(bc, torrent, piece);
	if (make_room(bc, nblk - (e != NULL ? e->ncached : 0), failed) == -1)
		return -1;
	if ((e = entry_get(bc, torrent, piece, psize)) == NULL) {
		snprintf(bc->err, sizeof(bc->err),
		    "block cache: out of memory");
		*failed = torrent;
		return -1;
	}
	*failed = torrent;
	if (entry_fill(bc, e) == -1) {
		if (e->ncached == 0)
			entry_free(bc, e);
		return -1;
	}
	if (!bcache_copy(bc, torrent, piece, off, len, buf)) {
		snprintf(bc->err, sizeof(bc->err), "piece %u: bad range",
		    piece);
		return -1;
	}
	return 0;
}

int
bcache_set_bound(struct bcache *bc, uint64_t bound, uint32_t *failed)
{
	bc->bound = bound;
	bc->st.bound = bound;
	return make_room(bc, 0, failed);
}

uint64_t
bcache_bound(const struct bcache *bc)
{
	return bc != NULL ? bc->bound : 0;
}

const char *
bcache_error(const struct bcache *bc)
{
	return bc->err;
}

void
bcache_stats(const struct bcache *bc, struct bcache_stats *s)
{
	*s = bc->st;
	s->used = bc->used;
}
