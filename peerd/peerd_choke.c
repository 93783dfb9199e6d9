/*
 * peerd_choke.c -- the choker: which interested peers of a torrent we
 * upload to.
 *
 * choke_run() is plain C with the clock passed in, driven once a second
 * by conn_tick() through choke_torrent() and by check_choke with fake
 * peers.  It notes what each peer did every call; every CHOKE_REGULAR_MS
 * it chooses:
 *
 *   - Regular slots (choker.slots, from the upload limit: choke_slots()).
 *     Downloading, tit-for-tat: the interested peers that sent us the
 *     most over the last two rounds (a rolling rate), leaving out the
 *     snubbed ones -- a peer that unchokes us while we want its pieces
 *     and sends nothing for CHOKE_SNUB_MS.  Seeding, round robin: a peer
 *     unchoked keeps its slot for a turn (CHOKE_SEED_TURN_MS, or until it
 *     got CHOKE_SEED_QUOTA bytes); within turns the fastest go first;
 *     free slots go to the peers that waited longest, so every interested
 *     peer is served in turn, fast ones more often.
 *   - One optimistic slot, for a peer the regular slots left out (a
 *     snubbed one too), kept CHOKE_OPTIMISTIC_MS and then rotated: a
 *     random pick, where a peer connected less than CHOKE_NEW_MS ago
 *     weighs CHOKE_NEW_WEIGHT times as much, so a newcomer soon gets a
 *     chance to show what it can send.
 *
 * Between rounds, an interested peer gets a free slot at once
 * (choke_interested()), and one that loses interest is choked at once
 * (peerd_conn.c); the next round sorts them in.
 *
 * Rejected alternative: one choker over every torrent's peers sharing
 * the global slots, as libtorrent does.  Per torrent, as Transmission
 * does, keeps a torrent's slots from being taken by a busier one and
 * needs no cross-torrent rate comparison; the slot count follows the
 * limit that applies to the torrent.
 *
 * choke_set() and choke_torrent() apply the decisions: CHOKE and
 * UNCHOKE, and a choked peer's queued requests dropped (rejected when it
 * speaks BEP 6).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "peerd.h"

/* ---- the pure part ---- */

void
choke_init(struct choker *ck, uint64_t seed)
{
	memset(ck, 0, sizeof(*ck));
	ck->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
	ck->slots = CHOKE_SLOTS_UNLIMITED;
}

static uint64_t
choke_random(struct choker *ck)
{
	uint64_t x = ck->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	ck->rng = x;
	return x;
}

uint32_t
choke_slots(uint64_t limit)
{
	uint64_t x = limit * 6 / 10240;	/* 0.6 x KiB/s */
	uint32_t n = 0;

	if (limit == 0)
		return CHOKE_SLOTS_UNLIMITED;
	while ((uint64_t)(n + 1) * (n + 1) <= x && n < CHOKE_SLOTS_MAX)
		n++;
	if (n < CHOKE_SLOTS_MIN)
		n = CHOKE_SLOTS_MIN;
	if (n > CHOKE_SLOTS_MAX)
		n = CHOKE_SLOTS_MAX;
	return n;
}

/* What the peer did since the last call. */
static void
observe(struct choke_peer *cp, uint64_t now)
{
	if (!cp->seen) {
		cp->seen = 1;
		cp->joined_ms = cp->mark_ms = cp->got_ms = cp->wait_ms = now;
		cp->down_mark = cp->last_down = cp->down_total;
		cp->up_mark = cp->up_total;
		cp->was_choked = 1;
		cp->rate_down = cp->rate_up = 0;
		cp->optimistic = 0;
	}
	/*
	 * The snub clock runs only while it could send: it unchokes us and
	 * we want what it has.
	 */
	if (cp->choking_us || !cp->want || cp->down_total != cp->last_down)
		cp->got_ms = now;
	cp->last_down = cp->down_total;
	cp->snubbed = now - cp->got_ms >= CHOKE_SNUB_MS;
	if (cp->was_choked && !cp->choked) {
		cp->turn_ms = now;
		cp->turn_up = cp->up_total;
	} else if (!cp->was_choked && cp->choked)
		cp->wait_ms = now;
	cp->was_choked = cp->choked;
	cp->unchoke = !cp->choked;
}

/* The rolling rates: the mean of the last round's and the one before. */
static void
note_rates(struct choke_peer *cp, uint64_t now)
{
	uint64_t dt = now - cp->mark_ms, rd, ru;

	if (dt == 0)
		return;
	rd = (cp->down_total - cp->down_mark) * 1000 / dt;
	ru = (cp->up_total - cp->up_mark) * 1000 / dt;
	cp->rate_down = (cp->rate_down + rd) / 2;
	cp->rate_up = (cp->rate_up + ru) / 2;
	cp->mark_ms = now;
	cp->down_mark = cp->down_total;
	cp->up_mark = cp->up_total;
}

/* A candidate for a regular slot and its sort keys. */
struct slot_cand {
	struct choke_peer	*cp;
	int			 group;		/* 0 goes first */
	uint64_t		 rate;		/* then the higher */
	uint64_t		 since;		/* then the smaller */
};

static int
cand_cmp(const void *a, const void *b)
{
	const struct slot_cand *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->rate != y->rate)
		return x->rate > y->rate ? -1 : 1;
	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	return 0;
}

/* Seeding: is cp within its turn? */
static int
in_turn(const struct choke_peer *cp, uint64_t now)
{
	return !cp->choked && now - cp->turn_ms < CHOKE_SEED_TURN_MS &&
	    cp->up_total - cp->turn_up < CHOKE_SEED_QUOTA;
}

static void
sort_key(struct slot_cand *c, int seeding, uint64_t now)
{
	struct choke_peer *cp = c->cp;

	if (!seeding) {
		/* The fastest to us; on a tie, keep who has a slot. */
		c->group = 0;
		c->rate = cp->rate_down;
		c->since = cp->choked ? cp->wait_ms : 0;
		return;
	}
	if (in_turn(cp, now)) {
		c->group = 0;
		c->rate = cp->rate_up;
		c->since = cp->turn_ms;
		return;
	}
	/* Waiting: the longest first; a turn just over waits from now. */
	c->group = 1;
	c->rate = 0;
	c->since = cp->choked ? cp->wait_ms : now;
}

/* May cp have the optimistic slot, and how much does it weigh? */
static uint64_t
opt_weight(const struct choke_peer *cp, const struct choke_peer *prev,
    uint64_t now)
{
	if (!cp->interested || cp->unchoke || cp == prev)
		return 0;
	return now - cp->joined_ms < CHOKE_NEW_MS ? CHOKE_NEW_WEIGHT : 1;
}

/*
 * The optimistic slot to one of the peers the regular slots left out,
 * other than the one that had it (unless it is the only one).
 */
static void
pick_optimistic(struct choker *ck, struct choke_peer **peers, size_t n,
    struct choke_peer *prev, uint64_t now)
{
	uint64_t	total = 0, r, w;
	size_t		i;

	for (i = 0; i < n; i++)
		peers[i]->optimistic = 0;
	ck->optimistic_ms = now;
	for (i = 0; i < n; i++)
		total += opt_weight(peers[i], prev, now);
	if (total == 0 && prev != NULL) {
		prev = NULL;
		for (i = 0; i < n; i++)
			total += opt_weight(peers[i], prev, now);
	}
	if (total == 0)
		return;
	r = choke_random(ck) % total;
	for (i = 0; i < n; i++) {
		if ((w = opt_weight(peers[i], prev, now)) == 0)
			continue;
		if (r < w) {
			peers[i]->optimistic = 1;
			peers[i]->unchoke = 1;
			return;
		}
		r -= w;
	}
}

int
choke_run(struct choker *ck, struct choke_peer **peers, size_t n,
    int seeding, uint64_t now)
{
	struct slot_cand		*c;
	struct choke_peer	*opt = NULL;
	size_t			 i, nc = 0;
	uint32_t		 given = 0;

	for (i = 0; i < n; i++)
		observe(peers[i], now);
	if (ck->started && now - ck->regular_ms < CHOKE_REGULAR_MS)
		return 0;
	if (n > 0 && (c = calloc(n, sizeof(*c))) == NULL)
		return 0;	/* nothing decided: as it was, next second */
	ck->started = 1;
	ck->regular_ms = now;
	if (n == 0)
		return 1;
	for (i = 0; i < n; i++) {
		struct choke_peer *cp = peers[i];

		note_rates(cp, now);
		cp->unchoke = 0;
		if (cp->optimistic)
			opt = cp;
		if (!cp->interested || (!seeding && cp->snubbed))
			continue;
		c[nc].cp = cp;
		sort_key(&c[nc], seeding, now);
		nc++;
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	for (i = 0; i < nc && given < ck->slots; i++, given++) {
		struct choke_peer *cp = c[i].cp;

		cp->unchoke = 1;
		/* Seeding with nobody waiting: a new turn. */
		if (seeding && !cp->choked && !in_turn(cp, now)) {
			cp->turn_ms = now;
			cp->turn_up = cp->up_total;
		}
	}
	free(c);
	/*
	 * The optimistic peer keeps its slot until its time is up, unless
	 * it lost interest or won a regular slot on its own.
	 */
	if (opt != NULL && opt->interested && !opt->unchoke &&
	    now - ck->optimistic_ms < CHOKE_OPTIMISTIC_MS)
		opt->unchoke = 1;
	else
		pick_optimistic(ck, peers, n, opt, now);
	return 1;
}

/* ---- applying it ---- */

void
choke_set(struct peer *p, int choke)
{
	uint32_t i;

	if (p->am_choking == choke)
		return;
	p->am_choking = choke;
	p->choke_ms = peerd_now_ms();
	if (conn_send_simple(p, choke ? WIRE_CHOKE : WIRE_UNCHOKE) == -1)
		return;
	if (!choke)
		return;
	/* Its queued requests are dropped (BEP 6: rejected). */
	for (i = 0; i < p->nin; i++) {
		struct inreq *r = &p->inq[(p->ihead + i) % PEERD_REQQ];

		if (p->fast && conn_send_block(p, WIRE_REJECT, r->piece, r->begin,
		    r->length) == -1)
			return;
	}
	p->nin = 0;
	block_uploads_stop(p);
	block_up_drop_unsent(p);
}

static void
choker_ready(struct torrent *t)
{
	if (t->choker.rng == 0)
		choke_init(&t->choker, ((uint64_t)arc4random() << 32) |
		    arc4random());
	t->choker.slots = choke_slots(rate_torrent_up(t));
}

void
choke_interested(struct peer *p)
{
	struct peer	*o;
	uint32_t	 n = 0;

	if (!p->am_choking || !p->peer_interested || !p->t->ready)
		return;
	choker_ready(p->t);
	TAILQ_FOREACH(o, &p->t->peers, entry)
		if (!o->am_choking)
			n++;
	/* The regular slots and the optimistic one. */
	if (n < p->t->choker.slots + 1)
		choke_set(p, 0);
}

void
choke_torrent(struct torrent *t, uint64_t now)
{
	static struct choke_peer	*cps[PEERD_MAX_CONNS];
	struct peer			*p, *next;
	size_t				 n = 0;

	choker_ready(t);
	TAILQ_FOREACH(p, &t->peers, entry) {
		if (p->dead || n == PEERD_MAX_CONNS)
			continue;
		p->cp.interested = p->peer_interested;
		p->cp.choked = p->am_choking;
		p->cp.choking_us = p->peer_choking;
		p->cp.want = p->am_interested;
		p->cp.down_total = p->down_total;
		p->cp.up_total = p->up_total;
		cps[n++] = &p->cp;
	}
	if (choke_run(&t->choker, cps, n, pick_complete(t->pick), now)) {
		for (p = TAILQ_FIRST(&t->peers); p != NULL; p = next) {
			next = TAILQ_NEXT(p, entry);
			if (p->dead || p->cp.unchoke == !p->am_choking)
				continue;
			choke_set(p, !p->cp.unchoke);
		}
	}
}
