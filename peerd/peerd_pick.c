/*
 * peerd_pick.c -- the piece picker: which 16 KiB block to request of
 * which peer.  Plain C with no I/O and no clock of its own (the caller
 * passes the time), so unit tests drive it without a process.
 *
 * Policy, simple but never stalling:
 *   1. the piece the peer was last given, while it has unrequested
 *      blocks (a peer fills one piece rather than scattering);
 *   2. any partially requested piece the peer has ("partial first":
 *      fewer pieces in progress, sooner verified and shared);
 *   3. the rarest piece it has that nobody started, random among
 *      equals -- or, in sequential mode, the lowest-numbered one; until
 *      PICK_RANDOM_FIRST pieces are verified (of a torrent of more than
 *      PICK_RANDOM_MIN), any piece it has, at random ("random first": a
 *      complete piece to trade with sooner than a rare one, which may
 *      come from one slow peer);
 *   4. the end game: once every missing block is requested, a block
 *      requested of another peer (at most PICK_ENDGAME_DUP in flight
 *      each), whose duplicates are cancelled when one copy arrives.
 * A request that is rejected, timed out or whose peer leaves goes back
 * to the pool, so a single seeder that is slow or forgetful still
 * finishes the download.
 *
 * Priorities (PICK_SKIP to PICK_HIGH, one a piece, set by btd from its
 * files' priorities) come before all of that: a piece of a higher
 * priority is started before any of a lower one, and a partial piece is
 * taken first only when it is not of a lower priority than the best
 * unstarted piece the peer has.  PICK_SKIP pieces are never requested;
 * the torrent is complete when every other piece is verified.
 *
 * A piece that failed its hash check remembers who sent it (bad[], the
 * last PICK_MAX_BAD failures); none of those is asked for it again while
 * another connected peer has it.
 *
 * Data structures: unstarted wanted pieces sit in order[], sorted by
 * availability in buckets (bstart[a] is the first index of a piece seen
 * by a or more peers); a change of availability by one swaps the piece
 * with a bucket's edge, so HAVE costs O(1), starting a piece or putting
 * one back O(PICK_MAX_AVAIL).  Seeds are counted apart (they change no
 * order).  Started pieces have a struct pick_active; those with
 * unrequested blocks are also on the partial list.  Each peer's
 * requests sit in a ring in the order sent, so timeouts look only at
 * the oldest and an answer in order is found at the head.
 *
 * Memory: the buckets are made when a piece in order[] is first seen by
 * a peer (buckets()) and go when order[] empties, so a seeding torrent
 * (100,000 of them) never has them; nor a failure ring until a piece
 * fails.
 *
 * Invariants: every ring entry names a block in state B_REQ of an
 * active piece, and that block's nreq counts the ring entries naming
 * it; a piece is in order[] iff its state is PS_WANT; active pieces
 * with nfree > 0 are on the partial list; nprio[l] counts the pieces
 * in order[] of priority l, nleft the pieces not PS_HAVE nor skipped.
 *
 * Rejected alternative: one availability order per priority.  Starting
 * a piece is rare beside requesting a block, so one scan of order[] for
 * the best priority costs less code and no extra memory.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "peerd.h"

#define PICK_MAX_AVAIL		255	/* peers counted per piece; more
					   peers of one torrent are refused */
#define PICK_ENDGAME_DUP	2	/* copies of one request in flight */
#define PICK_RANDOM_FIRST	4	/* pieces verified before rarest first */
#define PICK_RANDOM_MIN		16	/* ... in a torrent of more pieces */
#define PICK_MAX_BAD		64	/* (piece, peer) hash failures kept */

static uint32_t	pick_total;	/* requests in flight, every torrent */

enum { PS_WANT, PS_ACTIVE, PS_FULL, PS_HAVE };
enum { B_FREE, B_REQ, B_GOT };

struct pick_active {
	uint32_t		 piece;
	uint32_t		 nblocks;
	uint32_t		 nfree;		/* blocks neither requested
						   nor received */
	uint32_t		 ngot;		/* received */
	uint32_t		 hint;		/* no free block below it */
	uint8_t			*st;		/* B_* per block */
	uint8_t			*nreq;		/* requests in flight */
	uint32_t		 contrib[PICK_MAX_CONTRIB];
	uint32_t		 ncontrib;
	int			 partial;	/* on t->partial */
	TAILQ_ENTRY(pick_active) entry;		/* t->active */
	TAILQ_ENTRY(pick_active) pentry;	/* t->partial */
};

/* A hash failure: who sent a bad copy of which piece. */
struct pick_bad {
	uint32_t		 piece;
	uint32_t		 peer;
};

struct pick_torrent {
	uint32_t		 npieces;
	uint64_t		 plen;
	uint64_t		 total;
	uint32_t		 nhave;
	uint8_t			*state;		/* PS_* per piece */
	uint8_t			*avail;		/* peers with it, seeds apart */
	uint32_t		 nseeds;
	uint32_t		*order;		/* PS_WANT pieces, by avail */
	uint32_t		*pos;		/* index in order[] */
	uint32_t		 norder;
	uint32_t		*bstart;	/* PICK_MAX_AVAIL + 2 of them
						   while norder > 0, else
						   NULL */
	struct pick_active	**act;		/* per piece, or NULL */
	TAILQ_HEAD(, pick_active) active;
	TAILQ_HEAD(, pick_active) partial;
	uint32_t		 npeers;
	LIST_HEAD(, pick_peer)	 peers;
	uint8_t			*prio;		/* PICK_* per piece */
	uint32_t		 nprio[PICK_HIGH + 1];	/* in order[] */
	uint32_t		 nleft;		/* wanted, not verified */
	int			 sequential;	/* index order, not rarest */
	struct pick_bad		*bad;		/* ring of PICK_MAX_BAD, from
						   the first failure on */
	uint32_t		 nbad;		/* ever recorded */
};

/* ---- the availability order ---- */

static void
order_swap(struct pick_torrent *t, uint32_t i, uint32_t j)
{
	uint32_t a = t->order[i], b = t->order[j];

	t->order[i] = b;
	t->order[j] = a;
	t->pos[b] = i;
	t->pos[a] = j;
}

/*
 * The buckets, made when first needed: while bstart is NULL every piece
 * in order[] is seen by no peer (bstart[0] 0, every other norder).
 */
static void
buckets(struct pick_torrent *t)
{
	uint32_t l;

	if (t->bstart != NULL)
		return;
	if ((t->bstart = calloc(PICK_MAX_AVAIL + 2,
	    sizeof(*t->bstart))) == NULL)
		abort();	/* as peerd's fatal(): no memory left */
	for (l = 1; l <= PICK_MAX_AVAIL + 1; l++)
		t->bstart[l] = t->norder;
}

/* p (in order) is seen by one more peer. */
static void
order_inc(struct pick_torrent *t, uint32_t p)
{
	uint32_t a = t->avail[p];

	buckets(t);
	order_swap(t, t->pos[p], t->bstart[a + 1] - 1);
	t->bstart[a + 1]--;
}

static void
order_dec(struct pick_torrent *t, uint32_t p)
{
	uint32_t a = t->avail[p];

	buckets(t);
	order_swap(t, t->pos[p], t->bstart[a]);
	t->bstart[a]++;
}

static void
order_remove(struct pick_torrent *t, uint32_t p)
{
	uint32_t l;

	if (t->bstart == NULL)	/* one bucket: p goes last */
		order_swap(t, t->pos[p], t->norder - 1);
	else
		for (l = t->avail[p] + 1u; l <= PICK_MAX_AVAIL + 1; l++) {
			order_swap(t, t->pos[p], t->bstart[l] - 1);
			t->bstart[l]--;
		}
	t->norder--;
	t->nprio[t->prio[p]]--;
	assert(t->pos[p] == t->norder);
	/* Every bucket is empty: a complete torrent keeps none. */
	if (t->norder == 0) {
		free(t->bstart);
		t->bstart = NULL;
	}
}

static void
order_insert(struct pick_torrent *t, uint32_t p)
{
	uint32_t l;

	if (t->bstart == NULL && t->avail[p] > 0)
		buckets(t);
	t->order[t->norder] = p;
	t->pos[p] = t->norder;
	t->norder++;
	t->nprio[t->prio[p]]++;
	if (t->bstart == NULL)	/* one bucket: p goes last */
		return;
	t->bstart[PICK_MAX_AVAIL + 1]++;
	for (l = PICK_MAX_AVAIL; l > t->avail[p]; l--) {
		order_swap(t, t->pos[p], t->bstart[l]);
		t->bstart[l]++;
	}
}

/* ---- torrents ---- */

struct pick_torrent *
pick_new(uint32_t npieces, uint64_t piece_length, uint64_t total_size)
{
	struct pick_torrent	*t;
	uint32_t		 i, j;

	if (npieces == 0 || piece_length == 0 ||
	    piece_length > (64ULL << 20) ||
	    total_size > (uint64_t)npieces * piece_length ||
	    total_size <= (uint64_t)(npieces - 1) * piece_length)
		return NULL;
	/*
	 * The torrent and its arrays in one block, the widest first: one
	 * allocation a torrent, not seven (100,000 torrents).
	 */
	if ((t = calloc(1, sizeof(*t) + (size_t)npieces * (sizeof(*t->act) +
	    sizeof(*t->order) + sizeof(*t->pos) + 3))) == NULL)
		return NULL;
	t->npieces = npieces;
	t->plen = piece_length;
	t->total = total_size;
	t->act = (struct pick_active **)(void *)(t + 1);
	t->order = (uint32_t *)(void *)(t->act + npieces);
	t->pos = t->order + npieces;
	t->state = (uint8_t *)(t->pos + npieces);
	t->avail = t->state + npieces;
	t->prio = t->avail + npieces;
	TAILQ_INIT(&t->active);
	TAILQ_INIT(&t->partial);
	LIST_INIT(&t->peers);
	/* Every piece at availability 0, in random order. */
	for (i = 0; i < npieces; i++)
		t->order[i] = i;
	for (i = npieces - 1; i > 0; i--) {
		j = arc4random_uniform(i + 1);
		uint32_t x = t->order[i];
		t->order[i] = t->order[j];
		t->order[j] = x;
	}
	for (i = 0; i < npieces; i++)
		t->pos[t->order[i]] = i;
	t->norder = npieces;
	memset(t->prio, PICK_NORMAL, npieces);
	t->nprio[PICK_NORMAL] = npieces;
	t->nleft = npieces;
	return t;	/* no buckets yet: buckets() */
}

static void
active_free(struct pick_active *a)
{
	if (a == NULL)
		return;
	free(a->st);
	free(a->nreq);
	free(a);
}

void
pick_free(struct pick_torrent *t)
{
	struct pick_active *a;

	if (t == NULL)
		return;
	assert(LIST_EMPTY(&t->peers));
	while ((a = TAILQ_FIRST(&t->active)) != NULL) {
		TAILQ_REMOVE(&t->active, a, entry);
		active_free(a);
	}
	free(t->bstart);
	free(t->bad);
	free(t);
}

uint32_t
pick_npieces(const struct pick_torrent *t)
{
	return t->npieces;
}

uint32_t
pick_piece_len(const struct pick_torrent *t, uint32_t piece)
{
	if (piece + 1 == t->npieces)
		return (uint32_t)(t->total - (uint64_t)piece * t->plen);
	return (uint32_t)t->plen;
}

uint32_t
pick_block_len(const struct pick_torrent *t, uint32_t piece, uint32_t begin)
{
	uint32_t pl = pick_piece_len(t, piece);

	if (begin >= pl)
		return 0;
	return pl - begin < PEERD_BLOCK ? pl - begin : PEERD_BLOCK;
}

int
pick_has(const struct pick_torrent *t, uint32_t piece)
{
	return piece < t->npieces && t->state[piece] == PS_HAVE;
}

uint32_t
pick_nhave(const struct pick_torrent *t)
{
	return t->nhave;
}

int
pick_complete(const struct pick_torrent *t)
{
	return t->nleft == 0;
}

/* Unstarted pieces that are wanted. */
static uint32_t
order_wanted(const struct pick_torrent *t)
{
	return t->norder - t->nprio[PICK_SKIP];
}

int
pick_endgame(const struct pick_torrent *t)
{
	const struct pick_active *a;

	if (t->nleft == 0 || order_wanted(t) > 0)
		return 0;
	TAILQ_FOREACH(a, &t->partial, pentry)
		if (t->prio[a->piece] != PICK_SKIP)
			return 0;
	return 1;
}

void
pick_set_priorities(struct pick_torrent *t, const uint8_t *prio)
{
	uint32_t i;

	memset(t->nprio, 0, sizeof(t->nprio));
	t->nleft = 0;
	for (i = 0; i < t->npieces; i++) {
		t->prio[i] = prio == NULL ? PICK_NORMAL :
		    prio[i] > PICK_HIGH ? PICK_HIGH : prio[i];
		if (t->state[i] == PS_WANT)
			t->nprio[t->prio[i]]++;
		if (t->state[i] != PS_HAVE && t->prio[i] != PICK_SKIP)
			t->nleft++;
	}
}

int
pick_priority(const struct pick_torrent *t, uint32_t piece)
{
	return piece < t->npieces ? t->prio[piece] : PICK_SKIP;
}

void
pick_set_sequential(struct pick_torrent *t, int on)
{
	t->sequential = on != 0;
}

static void
partial_set(struct pick_torrent *t, struct pick_active *a)
{
	if (a->nfree > 0 && !a->partial) {
		TAILQ_INSERT_TAIL(&t->partial, a, pentry);
		a->partial = 1;
	} else if (a->nfree == 0 && a->partial) {
		TAILQ_REMOVE(&t->partial, a, pentry);
		a->partial = 0;
	}
}

/* Remove every ring entry of every peer that names piece. */
static void
purge_piece(struct pick_torrent *t, uint32_t piece)
{
	struct pick_peer	*pp;
	uint32_t		 i, n, k;

	LIST_FOREACH(pp, &t->peers, entry) {
		n = 0;
		for (i = 0; i < pp->nreq; i++) {
			k = (pp->rhead + i) % PEERD_QDEPTH_MAX;
			if (pp->reqs[k].piece == piece)
				continue;
			pp->reqs[(pp->rhead + n) % PEERD_QDEPTH_MAX] =
			    pp->reqs[k];
			n++;
		}
		pick_total -= pp->nreq - n;
		pp->nreq = n;
	}
}

/* Drop the active state of piece (which is ACTIVE or FULL). */
static void
active_drop(struct pick_torrent *t, uint32_t piece)
{
	struct pick_active *a = t->act[piece];

	if (a == NULL)
		return;
	/* Only blocks still requested are named in rings: usually none. */
	if (a->nblocks - a->nfree - a->ngot > 0)
		purge_piece(t, piece);
	if (a->partial)
		TAILQ_REMOVE(&t->partial, a, pentry);
	TAILQ_REMOVE(&t->active, a, entry);
	t->act[piece] = NULL;
	active_free(a);
}

void
pick_set_have(struct pick_torrent *t, uint32_t piece)
{
	if (piece >= t->npieces || t->state[piece] == PS_HAVE)
		return;
	if (t->state[piece] == PS_WANT)
		order_remove(t, piece);
	else
		active_drop(t, piece);
	t->state[piece] = PS_HAVE;
	t->nhave++;
	if (t->prio[piece] != PICK_SKIP)
		t->nleft--;
}

static struct pick_active *
active_new(struct pick_torrent *t, uint32_t piece)
{
	struct pick_active	*a;
	uint32_t		 pl = pick_piece_len(t, piece);

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->piece = piece;
	a->nblocks = (pl + PEERD_BLOCK - 1) / PEERD_BLOCK;
	a->nfree = a->nblocks;
	a->st = calloc(a->nblocks, 1);
	a->nreq = calloc(a->nblocks, 1);
	if (a->st == NULL || a->nreq == NULL) {
		active_free(a);
		return NULL;
	}
	order_remove(t, piece);
	t->state[piece] = PS_ACTIVE;
	t->act[piece] = a;
	TAILQ_INSERT_TAIL(&t->active, a, entry);
	partial_set(t, a);
	return a;
}

/* ---- peers ---- */

int
pick_peer_init(struct pick_torrent *t, struct pick_peer *pp, void *owner,
    uint32_t id)
{
	memset(pp, 0, sizeof(*pp));
	if (t->npeers >= PICK_MAX_AVAIL)
		return -1;
	pp->have = calloc(t->npieces / 8 + 1, 1);
	pp->reqs = calloc(PEERD_QDEPTH_MAX, sizeof(*pp->reqs));
	if (pp->have == NULL || pp->reqs == NULL) {
		free(pp->have);
		free(pp->reqs);
		return -1;
	}
	pp->t = t;
	pp->owner = owner;
	pp->id = id;
	LIST_INSERT_HEAD(&t->peers, pp, entry);
	t->npeers++;
	return 0;
}

static int
peer_has(const struct pick_peer *pp, uint32_t piece)
{
	return pp->seed || (pp->have[piece / 8] & (0x80 >> (piece % 8)));
}

/* pp sent bad data for piece before. */
static int
peer_was_bad(const struct pick_peer *pp, uint32_t piece)
{
	const struct pick_torrent	*t = pp->t;
	uint32_t			 i, n;

	if (t->bad == NULL)
		return 0;
	n = t->nbad < PICK_MAX_BAD ? t->nbad : PICK_MAX_BAD;
	for (i = 0; i < n; i++)
		if (t->bad[i].piece == piece && t->bad[i].peer == pp->id)
			return 1;
	return 0;
}

/*
 * pp may be asked for piece: it has it, the piece is wanted, and pp
 * did not send bad data for it -- unless no other connected peer with
 * a clean record for that piece has it (a lone source is still asked).
 */
static int
peer_may(const struct pick_peer *pp, uint32_t piece)
{
	const struct pick_torrent	*t = pp->t;
	const struct pick_peer		*o;

	if (!peer_has(pp, piece) || t->prio[piece] == PICK_SKIP)
		return 0;
	if (t->nbad == 0 || !peer_was_bad(pp, piece))
		return 1;
	LIST_FOREACH(o, &t->peers, entry)
		if (o != pp && peer_has(o, piece) && !peer_was_bad(o, piece))
			return 0;
	return 1;
}

static void
avail_inc(struct pick_torrent *t, uint32_t piece)
{
	if (t->state[piece] == PS_WANT)
		order_inc(t, piece);
	t->avail[piece]++;
}

static void
avail_dec(struct pick_torrent *t, uint32_t piece)
{
	if (t->state[piece] == PS_WANT)
		order_dec(t, piece);
	t->avail[piece]--;
}

/* It has everything: count it apart as a seed. */
static void
peer_to_seed(struct pick_peer *pp)
{
	struct pick_torrent	*t = pp->t;
	uint32_t		 i;

	if (pp->seed)
		return;
	for (i = 0; i < t->npieces; i++)
		if (peer_has(pp, i))
			avail_dec(t, i);
	pp->seed = 1;
	pp->nhave = t->npieces;
	t->nseeds++;
}

void
pick_peer_have(struct pick_peer *pp, uint32_t piece)
{
	if (pp->seed || piece >= pp->t->npieces || peer_has(pp, piece))
		return;
	pp->have[piece / 8] |= (uint8_t)(0x80 >> (piece % 8));
	pp->nhave++;
	avail_inc(pp->t, piece);
	if (pp->nhave == pp->t->npieces)
		peer_to_seed(pp);
}

void
pick_peer_bitfield(struct pick_peer *pp, const uint8_t *bits)
{
	uint32_t i;

	for (i = 0; i < pp->t->npieces; i++)
		if (bits[i / 8] & (0x80 >> (i % 8)))
			pick_peer_have(pp, i);
}

int
pick_peer_within(const struct pick_peer *pp, const uint8_t *bits)
{
	uint32_t i;

	for (i = 0; i < pp->t->npieces; i++)
		if (peer_has(pp, i) && !(bits[i / 8] & (0x80 >> (i % 8))))
			return 0;
	return 1;
}

void
pick_peer_have_all(struct pick_peer *pp)
{
	peer_to_seed(pp);
}

int
pick_interesting(const struct pick_peer *pp)
{
	const struct pick_torrent	*t = pp->t;
	uint32_t			 i;

	if (t->nleft == 0)
		return 0;
	if (pp->seed)
		return 1;
	for (i = 0; i < t->npieces; i++)
		if (t->state[i] != PS_HAVE && t->prio[i] != PICK_SKIP &&
		    peer_has(pp, i))
			return 1;
	return 0;
}

/* A request of pp for block b of a goes back to the pool. */
static void
unrequest(struct pick_torrent *t, struct pick_active *a, uint32_t b)
{
	assert(a->st[b] == B_REQ && a->nreq[b] > 0);
	if (--a->nreq[b] == 0) {
		a->st[b] = B_FREE;
		a->nfree++;
		if (b < a->hint)
			a->hint = b;
		partial_set(t, a);
	}
}

void
pick_drop_requests(struct pick_peer *pp)
{
	struct pick_torrent	*t = pp->t;
	struct pick_req		*r;

	while (pp->nreq > 0) {
		r = &pp->reqs[pp->rhead];
		unrequest(t, t->act[r->piece], r->begin / PEERD_BLOCK);
		pp->rhead = (pp->rhead + 1) % PEERD_QDEPTH_MAX;
		pp->nreq--;
		pick_total--;
	}
	pp->rhead = 0;
}

void
pick_peer_free(struct pick_peer *pp)
{
	struct pick_torrent	*t = pp->t;
	uint32_t		 i;

	if (t == NULL)
		return;
	pick_drop_requests(pp);
	if (pp->seed)
		t->nseeds--;
	else
		for (i = 0; i < t->npieces; i++)
			if (peer_has(pp, i))
				avail_dec(t, i);
	LIST_REMOVE(pp, entry);
	t->npeers--;
	free(pp->have);
	free(pp->reqs);
	memset(pp, 0, sizeof(*pp));
}

/* ---- requests ---- */

uint32_t
pick_outstanding(void)
{
	return pick_total;
}

static void
ring_push(struct pick_peer *pp, uint32_t piece, uint32_t begin,
    uint32_t length, uint64_t now)
{
	struct pick_req *r;

	assert(pp->nreq < PEERD_QDEPTH_MAX);
	r = &pp->reqs[(pp->rhead + pp->nreq) % PEERD_QDEPTH_MAX];
	r->piece = piece;
	r->begin = begin;
	r->length = length;
	r->sent_ms = now;
	pp->nreq++;
	pick_total++;
}

/* Find and remove (piece, begin) from pp's ring; 1 if it was there. */
static int
ring_take(struct pick_peer *pp, uint32_t piece, uint32_t begin,
    uint32_t length)
{
	uint32_t i, k, j;

	for (i = 0; i < pp->nreq; i++) {
		k = (pp->rhead + i) % PEERD_QDEPTH_MAX;
		if (pp->reqs[k].piece != piece || pp->reqs[k].begin != begin ||
		    pp->reqs[k].length != length)
			continue;
		if (i == 0)
			pp->rhead = (pp->rhead + 1) % PEERD_QDEPTH_MAX;
		else
			for (j = i; j + 1 < pp->nreq; j++)
				pp->reqs[(pp->rhead + j) % PEERD_QDEPTH_MAX] =
				    pp->reqs[(pp->rhead + j + 1) %
				    PEERD_QDEPTH_MAX];
		pp->nreq--;
		pick_total--;
		return 1;
	}
	return 0;
}

static int
ring_has(const struct pick_peer *pp, uint32_t piece, uint32_t begin)
{
	uint32_t i, k;

	for (i = 0; i < pp->nreq; i++) {
		k = (pp->rhead + i) % PEERD_QDEPTH_MAX;
		if (pp->reqs[k].piece == piece && pp->reqs[k].begin == begin)
			return 1;
	}
	return 0;
}

int
pick_wanted(const struct pick_peer *pp, uint32_t piece, uint32_t begin,
    uint32_t length)
{
	uint32_t i, k;

	for (i = 0; i < pp->nreq; i++) {
		k = (pp->rhead + i) % PEERD_QDEPTH_MAX;
		if (pp->reqs[k].piece == piece && pp->reqs[k].begin == begin &&
		    pp->reqs[k].length == length)
			return 1;
	}
	return 0;
}

/* Take the first free block of a for pp. */
static int
take_block(struct pick_peer *pp, struct pick_active *a, uint64_t now,
    struct pick_req *out)
{
	struct pick_torrent	*t = pp->t;
	uint32_t		 b;

	for (b = a->hint; b < a->nblocks && a->st[b] != B_FREE; b++)
		;
	if (b == a->nblocks) {
		a->hint = b;
		return 0;
	}
	a->hint = b + 1;
	a->st[b] = B_REQ;
	a->nreq[b] = 1;
	a->nfree--;
	partial_set(t, a);
	out->piece = a->piece;
	out->begin = b * PEERD_BLOCK;
	out->length = pick_block_len(t, a->piece, out->begin);
	out->sent_ms = now;
	ring_push(pp, out->piece, out->begin, out->length, now);
	pp->last = a->piece + 1;
	return 1;
}

/* End game: a block in flight to someone else, not to pp. */
static int
take_duplicate(struct pick_peer *pp, uint64_t now, struct pick_req *out)
{
	struct pick_torrent	*t = pp->t;
	struct pick_active	*a;
	uint32_t		 b;

	TAILQ_FOREACH(a, &t->active, entry) {
		if (!peer_may(pp, a->piece) || a->ngot == a->nblocks)
			continue;
		for (b = 0; b < a->nblocks; b++) {
			if (a->st[b] != B_REQ ||
			    a->nreq[b] >= PICK_ENDGAME_DUP ||
			    ring_has(pp, a->piece, b * PEERD_BLOCK))
				continue;
			a->nreq[b]++;
			out->piece = a->piece;
			out->begin = b * PEERD_BLOCK;
			out->length = pick_block_len(t, a->piece, out->begin);
			out->sent_ms = now;
			ring_push(pp, out->piece, out->begin, out->length,
			    now);
			return 1;
		}
	}
	return 0;
}

/* The highest priority of an unstarted piece; PICK_SKIP if none. */
static int
top_unstarted(const struct pick_torrent *t)
{
	int top;

	for (top = PICK_HIGH; top > PICK_SKIP && t->nprio[top] == 0; top--)
		;
	return top;
}

/* The best unstarted piece pp has: highest priority, then rarest (or
 * lowest index, sequential); its priority in *prio. */
static int
best_unstarted(const struct pick_peer *pp, uint32_t *piece, int *prio)
{
	const struct pick_torrent	*t = pp->t;
	uint32_t			 i, p;
	int				 top, best = PICK_SKIP;

	if ((top = top_unstarted(t)) == PICK_SKIP)
		return 0;
	if (!t->sequential && t->nhave < PICK_RANDOM_FIRST &&
	    t->npieces > PICK_RANDOM_MIN) {
		uint32_t n = 0;

		/* One at random of those of the best priority it has. */
		for (i = 0; i < t->norder; i++) {
			p = t->order[i];
			if (t->prio[p] < best || t->prio[p] == PICK_SKIP ||
			    !peer_may(pp, p))
				continue;
			if (t->prio[p] > best) {
				best = t->prio[p];
				n = 0;
			}
			if (arc4random_uniform(++n) == 0)
				*piece = p;
		}
		*prio = best;
		return best != PICK_SKIP;
	}
	for (i = 0; i < (t->sequential ? t->npieces : t->norder); i++) {
		p = t->sequential ? i : t->order[i];
		if ((t->sequential && t->state[p] != PS_WANT) ||
		    t->prio[p] <= best || !peer_may(pp, p))
			continue;
		*piece = p;
		best = t->prio[p];
		if (best == top)
			break;
	}
	*prio = best;
	return best != PICK_SKIP;
}

/* A block of the piece pp was last given, or of a partial piece, of
 * priority prio or more. */
static int
take_partial(struct pick_peer *pp, int prio, uint64_t now,
    struct pick_req *out)
{
	struct pick_torrent	*t = pp->t;
	struct pick_active	*a;

	if (prio == PICK_SKIP)
		prio = PICK_LOW;
	/* 1. the piece it was last given */
	if (pp->last != 0 && (a = t->act[pp->last - 1]) != NULL &&
	    a->nfree > 0 && t->prio[a->piece] >= prio &&
	    peer_may(pp, a->piece) && take_block(pp, a, now, out))
		return 1;
	/* 2. partial pieces */
	TAILQ_FOREACH(a, &t->partial, pentry)
		if (t->prio[a->piece] >= prio && peer_may(pp, a->piece) &&
		    take_block(pp, a, now, out))
			return 1;
	return 0;
}

int
pick_next(struct pick_peer *pp, uint64_t now, struct pick_req *out)
{
	struct pick_torrent	*t = pp->t;
	struct pick_active	*a;
	uint32_t		 p = 0;
	int			 top, prio = PICK_SKIP, have;

	if (pp->nreq >= PEERD_QDEPTH_MAX || t->nleft == 0)
		return 0;
	/*
	 * 1 and 2 while the partial piece is of no lower a priority than
	 * any unstarted one -- the usual case, that costs no scan.
	 */
	top = top_unstarted(t);
	if (take_partial(pp, top, now, out))
		return 1;
	/* 3. the best unstarted piece it has, after a partial piece of no
	 * lower a priority than that one */
	have = best_unstarted(pp, &p, &prio);
	if (prio < top && take_partial(pp, prio, now, out))
		return 1;
	if (have) {
		if ((a = active_new(t, p)) == NULL)
			return 0;
		return take_block(pp, a, now, out);
	}
	/* 4. the end game */
	if (pick_endgame(t))
		return take_duplicate(pp, now, out);
	return 0;
}

int
pick_received(struct pick_peer *pp, uint32_t piece, uint32_t begin,
    uint32_t length, struct pick_cancel *cancels, size_t ncancel_max,
    size_t *ncancel)
{
	struct pick_torrent	*t = pp->t;
	struct pick_active	*a;
	struct pick_peer	*o;
	uint32_t		 b, i;

	*ncancel = 0;
	if (piece >= t->npieces || !ring_take(pp, piece, begin, length))
		return 0;
	a = t->act[piece];
	b = begin / PEERD_BLOCK;
	assert(a != NULL && a->st[b] == B_REQ);
	a->st[b] = B_GOT;
	a->nreq[b]--;
	a->ngot++;
	for (i = 0; i < a->ncontrib && a->contrib[i] != pp->id; i++)
		;
	if (i == a->ncontrib && a->ncontrib < PICK_MAX_CONTRIB)
		a->contrib[a->ncontrib++] = pp->id;
	/* End game: the copies asked of others are cancelled. */
	if (a->nreq[b] > 0) {
		LIST_FOREACH(o, &t->peers, entry) {
			if (o == pp || !ring_take(o, piece, begin, length))
				continue;
			a->nreq[b]--;
			if (*ncancel < ncancel_max) {
				cancels[*ncancel].peer = o;
				cancels[*ncancel].req.piece = piece;
				cancels[*ncancel].req.begin = begin;
				cancels[*ncancel].req.length = length;
				(*ncancel)++;
			}
		}
		assert(a->nreq[b] == 0);
	}
	if (a->ngot == a->nblocks)
		t->state[piece] = PS_FULL;
	return 1;
}

void
pick_rejected(struct pick_peer *pp, uint32_t piece, uint32_t begin,
    uint32_t length)
{
	struct pick_torrent *t = pp->t;

	if (piece >= t->npieces || !ring_take(pp, piece, begin, length))
		return;
	unrequest(t, t->act[piece], begin / PEERD_BLOCK);
}

uint32_t
pick_timeouts(struct pick_peer *pp, uint64_t now, uint64_t timeout)
{
	struct pick_torrent	*t = pp->t;
	struct pick_req		*r;
	uint32_t		 n = 0;

	while (pp->nreq > 0) {
		r = &pp->reqs[pp->rhead];
		if (r->sent_ms + timeout > now)
			break;
		unrequest(t, t->act[r->piece], r->begin / PEERD_BLOCK);
		pp->rhead = (pp->rhead + 1) % PEERD_QDEPTH_MAX;
		pp->nreq--;
		pick_total--;
		n++;
	}
	return n;
}

size_t
pick_verdict(struct pick_torrent *t, uint32_t piece, int ok,
    uint32_t *contrib)
{
	struct pick_active	*a;
	size_t			 n = 0, i;

	if (piece >= t->npieces || t->state[piece] == PS_HAVE)
		return 0;
	if ((a = t->act[piece]) != NULL) {
		n = a->ncontrib;
		memcpy(contrib, a->contrib, n * sizeof(*contrib));
	}
	/* The ring on the first failure; none kept without memory. */
	if (!ok && a != NULL && t->bad == NULL)
		t->bad = calloc(PICK_MAX_BAD, sizeof(*t->bad));
	if (!ok && a != NULL && t->bad != NULL)
		for (i = 0; i < n; i++) {
			t->bad[t->nbad % PICK_MAX_BAD].piece = piece;
			t->bad[t->nbad % PICK_MAX_BAD].peer = contrib[i];
			t->nbad++;
		}
	if (ok) {
		pick_set_have(t, piece);
		return n;
	}
	if (a == NULL)
		return 0;	/* not ours: nothing to undo */
	active_drop(t, piece);
	t->state[piece] = PS_WANT;
	order_insert(t, piece);
	return n;
}

void
pick_forget_received(struct pick_torrent *t)
{
	struct pick_active	*a;
	uint32_t		 b;

	TAILQ_FOREACH(a, &t->active, entry) {
		for (b = 0; b < a->nblocks; b++)
			if (a->st[b] == B_GOT) {
				a->st[b] = B_FREE;
				a->nfree++;
			}
		a->ngot = 0;
		a->hint = 0;
		t->state[a->piece] = PS_ACTIVE;
		partial_set(t, a);
	}
}
