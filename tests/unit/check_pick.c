/*
 * check_pick.c -- the piece picker (peerd/peerd_pick.c): random first,
 * then rarest first with random ties, partially requested pieces first, block sizes at the
 * torrent's end, the end game and its cancels, requests that time out,
 * are rejected or whose peer leaves going back to the pool, hash
 * failures naming the peers that sent the piece, blocks forgotten when
 * stored goes away, file priorities (order, skipped pieces never
 * asked for), sequential mode, peers that sent bad data avoided, and
 * whole downloads that must complete -- from one seeder that drops,
 * rejects and reorders answers, and from several peers that come and
 * go.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "peerd/peerd.h"

#define B	PEERD_BLOCK

static struct pick_cancel	 cancels[16];
static size_t			 ncancel;

static uint8_t *
bits_of(uint32_t npieces, const uint32_t *have, size_t n)
{
	uint8_t	*b = calloc(npieces / 8 + 1, 1);
	size_t	 i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++)
		b[have[i] / 8] |= (uint8_t)(0x80 >> (have[i] % 8));
	return b;
}

static int
got(struct pick_peer *pp, const struct pick_req *r)
{
	return pick_received(pp, r->piece, r->begin, r->length, cancels,
	    16, &ncancel);
}

START_TEST(sizes)
{
	struct pick_torrent *t;

	/* 3 pieces of 40000 bytes, the last 10000 bytes. */
	t = pick_new(3, 40000, 90000);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(pick_piece_len(t, 0), 40000);
	ck_assert_uint_eq(pick_piece_len(t, 2), 10000);
	ck_assert_uint_eq(pick_block_len(t, 0, 0), B);
	ck_assert_uint_eq(pick_block_len(t, 0, 2 * B), 40000 - 2 * B);
	ck_assert_uint_eq(pick_block_len(t, 2, 0), 10000);
	ck_assert_uint_eq(pick_block_len(t, 2, B), 0);
	pick_free(t);
}
END_TEST

START_TEST(rarest_first)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b, c;
	struct pick_req		 r;
	const uint32_t		 hb[] = { 0, 1, 2, 3, 4 }, hc[] = { 0, 1, 2 };
	uint8_t			*bb, *bc;

	uint32_t		 i;

	/* 10-13 verified already: past random first. */
	t = pick_new(14, B, 14 * B);
	for (i = 10; i < 14; i++)
		pick_set_have(t, i);
	ck_assert_int_eq(pick_peer_init(t, &a, NULL, 1), 0);
	ck_assert_int_eq(pick_peer_init(t, &b, NULL, 2), 0);
	ck_assert_int_eq(pick_peer_init(t, &c, NULL, 3), 0);
	pick_peer_have_all(&a);
	bb = bits_of(14, hb, 5);
	bc = bits_of(14, hc, 3);
	pick_peer_bitfield(&b, bb);
	pick_peer_bitfield(&c, bc);
	/* The seed: only it has 5-9, the rarest. */
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_msg(r.piece >= 5 && r.piece <= 9, "piece %u", r.piece);
	/* b: 3 and 4 are rarer (b alone) than 0-2 (b and c). */
	ck_assert_int_eq(pick_next(&b, 0, &r), 1);
	ck_assert_msg(r.piece == 3 || r.piece == 4, "piece %u", r.piece);
	ck_assert_int_eq(pick_next(&b, 0, &r), 1);
	ck_assert_msg(r.piece == 3 || r.piece == 4, "piece %u", r.piece);
	/* c only has 0-2. */
	ck_assert_int_eq(pick_next(&c, 0, &r), 1);
	ck_assert_uint_le(r.piece, 2);
	pick_peer_free(&b);
	pick_peer_free(&c);
	pick_peer_free(&a);
	pick_free(t);
	free(bb);
	free(bc);
}
END_TEST

/*
 * Random first: until 4 pieces are verified a new piece is any the peer
 * has, not the rarest; then rarest first.  10-19 are the rarest (the
 * seed alone has them), 0-9 are common.
 */
START_TEST(random_first)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b;
	struct pick_req		 r;
	const uint32_t		 hb[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	uint8_t			*bb = bits_of(20, hb, 10);
	int			 i, common = 0;
	uint32_t		 k;

	for (i = 0; i < 40; i++) {
		t = pick_new(20, B, 20 * B);
		ck_assert_int_eq(pick_peer_init(t, &a, NULL, 1), 0);
		ck_assert_int_eq(pick_peer_init(t, &b, NULL, 2), 0);
		pick_peer_have_all(&a);
		pick_peer_bitfield(&b, bb);
		ck_assert_int_eq(pick_next(&a, 0, &r), 1);
		common += r.piece < 10;
		pick_peer_free(&a);
		pick_peer_free(&b);
		pick_free(t);
	}
	/* Half of them on average; rarest first would give none. */
	ck_assert_int_ge(common, 5);
	for (i = 0; i < 20; i++) {
		t = pick_new(20, B, 20 * B);
		for (k = 0; k < 4; k++)
			pick_set_have(t, k);
		ck_assert_int_eq(pick_peer_init(t, &a, NULL, 1), 0);
		ck_assert_int_eq(pick_peer_init(t, &b, NULL, 2), 0);
		pick_peer_have_all(&a);
		pick_peer_bitfield(&b, bb);
		ck_assert_int_eq(pick_next(&a, 0, &r), 1);
		ck_assert_msg(r.piece >= 10, "piece %u after 4 verified",
		    r.piece);
		pick_peer_free(&a);
		pick_peer_free(&b);
		pick_free(t);
	}
	free(bb);
}
END_TEST

/* Ties are broken at random: the first pick is not always one piece. */
START_TEST(random_ties)
{
	struct pick_torrent	*t;
	struct pick_peer	 a;
	struct pick_req		 r;
	int			 i, seen[64];
	int			 distinct = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 60; i++) {
		t = pick_new(64, B, 64 * B);
		ck_assert_int_eq(pick_peer_init(t, &a, NULL, 1), 0);
		pick_peer_have_all(&a);
		ck_assert_int_eq(pick_next(&a, 0, &r), 1);
		if (!seen[r.piece]++)
			distinct++;
		pick_peer_free(&a);
		pick_free(t);
	}
	ck_assert_int_ge(distinct, 10);
}
END_TEST

/* HAVE messages change the order: the piece two peers have goes later. */
START_TEST(have_order)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b;
	struct pick_req		 r;
	uint32_t		 i;

	t = pick_new(4, B, 4 * B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_init(t, &b, NULL, 2);
	for (i = 0; i < 4; i++)
		pick_peer_have(&a, i);
	ck_assert_int_eq(a.seed, 1);	/* every piece: counted as a seed */
	pick_peer_have(&b, 0);
	pick_peer_have(&b, 1);
	pick_peer_have(&b, 2);
	/* 3 is only the seed's: rarest. */
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 3);
	/* b leaves: 0-2 equal again; a HAVE out of range is ignored. */
	pick_peer_have(&b, 99);
	pick_peer_free(&b);
	pick_peer_free(&a);
	pick_free(t);
}
END_TEST

START_TEST(partial_first)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b;
	struct pick_req		 r1, r2;

	/* 8 pieces of 4 blocks. */
	t = pick_new(8, 4 * B, 32 * B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_init(t, &b, NULL, 2);
	pick_peer_have_all(&a);
	pick_peer_have_all(&b);
	ck_assert_int_eq(pick_next(&a, 0, &r1), 1);
	ck_assert_uint_eq(r1.begin, 0);
	/* b continues a's piece rather than starting another. */
	ck_assert_int_eq(pick_next(&b, 0, &r2), 1);
	ck_assert_uint_eq(r2.piece, r1.piece);
	ck_assert_uint_eq(r2.begin, B);
	/* a keeps to its piece: block 2, then 3. */
	ck_assert_int_eq(pick_next(&a, 0, &r2), 1);
	ck_assert_uint_eq(r2.piece, r1.piece);
	ck_assert_uint_eq(r2.begin, 2 * B);
	ck_assert_int_eq(pick_next(&b, 0, &r2), 1);
	ck_assert_uint_eq(r2.piece, r1.piece);
	ck_assert_uint_eq(r2.begin, 3 * B);
	/* Only now a new piece. */
	ck_assert_int_eq(pick_next(&a, 0, &r2), 1);
	ck_assert_uint_ne(r2.piece, r1.piece);
	ck_assert_uint_eq(pick_outstanding(), 5);
	pick_peer_free(&a);
	pick_peer_free(&b);
	ck_assert_uint_eq(pick_outstanding(), 0);
	pick_free(t);
}
END_TEST

START_TEST(endgame_cancel)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b;
	struct pick_req		 r[4], d[4];
	uint32_t		 contrib[PICK_MAX_CONTRIB];

	/* One piece of two blocks. */
	t = pick_new(1, 2 * B, 2 * B);
	pick_peer_init(t, &a, &a, 1);
	pick_peer_init(t, &b, &b, 2);
	pick_peer_have_all(&a);
	pick_peer_have_all(&b);
	ck_assert_int_eq(pick_next(&a, 0, &r[0]), 1);
	ck_assert_int_eq(pick_next(&a, 0, &r[1]), 1);
	ck_assert_int_eq(pick_next(&a, 0, &r[2]), 0);	/* a has them all */
	ck_assert_int_eq(pick_endgame(t), 1);
	/* b gets the same two blocks. */
	ck_assert_int_eq(pick_next(&b, 0, &d[0]), 1);
	ck_assert_int_eq(pick_next(&b, 0, &d[1]), 1);
	ck_assert_int_eq(pick_next(&b, 0, &d[2]), 0);
	ck_assert_uint_eq(d[0].begin + d[1].begin, B);
	/* a's block 0 arrives: b's copy is to be cancelled. */
	ck_assert_int_eq(got(&a, &r[0]), 1);
	ck_assert_uint_eq(ncancel, 1);
	ck_assert_ptr_eq(cancels[0].peer, &b);
	ck_assert_uint_eq(cancels[0].req.begin, r[0].begin);
	/* b's cancelled copy arriving anyway is discarded. */
	ck_assert_int_eq(pick_received(&b, 0, r[0].begin, r[0].length,
	    cancels, 16, &ncancel), 0);
	/* b wins block 1: a's copy is cancelled. */
	ck_assert_int_eq(pick_received(&b, 0, B, B, cancels, 16, &ncancel), 1);
	ck_assert_uint_eq(ncancel, 1);
	ck_assert_ptr_eq(cancels[0].peer, &a);
	ck_assert_uint_eq(pick_outstanding(), 0);
	/* Both sent blocks of it; a bad hash names both. */
	ck_assert_uint_eq(pick_verdict(t, 0, 0, contrib), 2);
	ck_assert_uint_eq(contrib[0] + contrib[1], 3);
	ck_assert_int_eq(pick_complete(t), 0);
	/* It is wanted again. */
	ck_assert_int_eq(pick_next(&a, 0, &r[0]), 1);
	ck_assert_uint_eq(r[0].piece, 0);
	pick_peer_free(&a);
	pick_peer_free(&b);
	pick_free(t);
}
END_TEST

START_TEST(timeouts_back)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b;
	struct pick_req		 r, r2;

	t = pick_new(1, B, B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_init(t, &b, NULL, 2);
	pick_peer_have_all(&a);
	pick_peer_have_all(&b);
	ck_assert_int_eq(pick_next(&a, 1000, &r), 1);
	/* In flight to a: b may have it only as an end-game copy. */
	ck_assert_uint_eq(pick_timeouts(&a, 30999, 30000), 0);
	ck_assert_uint_eq(pick_timeouts(&a, 31000, 30000), 1);
	ck_assert_uint_eq(a.nreq, 0);
	/* Back in the pool, not an end-game copy: b gets it. */
	ck_assert_int_eq(pick_endgame(t), 0);
	ck_assert_int_eq(pick_next(&b, 31000, &r2), 1);
	ck_assert_uint_eq(r2.piece, r.piece);
	ck_assert_uint_eq(r2.begin, r.begin);
	/* a's late answer is not taken. */
	ck_assert_int_eq(got(&a, &r), 0);
	ck_assert_int_eq(got(&b, &r2), 1);
	pick_peer_free(&a);
	pick_peer_free(&b);
	pick_free(t);
}
END_TEST

START_TEST(reject_and_leave)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b;
	struct pick_req		 r, r2;

	t = pick_new(2, B, 2 * B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_init(t, &b, NULL, 2);
	pick_peer_have_all(&a);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	pick_rejected(&a, r.piece, r.begin, r.length);
	ck_assert_uint_eq(a.nreq, 0);
	ck_assert_int_eq(pick_next(&a, 0, &r2), 1);
	ck_assert_uint_eq(r2.piece, r.piece);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_ne(r.piece, r2.piece);
	/* a leaves; b, which has everything now, gets both. */
	pick_peer_free(&a);
	pick_peer_have_all(&b);
	ck_assert_int_eq(pick_next(&b, 0, &r), 1);
	ck_assert_int_eq(pick_next(&b, 0, &r2), 1);
	ck_assert_uint_ne(r.piece, r2.piece);
	/* Choked without the fast extension: everything back. */
	pick_drop_requests(&b);
	ck_assert_uint_eq(pick_outstanding(), 0);
	pick_peer_free(&b);
	pick_free(t);
}
END_TEST

START_TEST(forget_received)
{
	struct pick_torrent	*t;
	struct pick_peer	 a;
	struct pick_req		 r;

	t = pick_new(1, 2 * B, 2 * B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_have_all(&a);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_int_eq(got(&a, &r), 1);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_int_eq(got(&a, &r), 1);
	ck_assert_int_eq(pick_next(&a, 0, &r), 0);	/* all received */
	/* stored died before its verdict: both blocks are wanted again. */
	pick_forget_received(t);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.begin, 0);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.begin, B);
	/* TorrentHave says it is verified after all: requests dropped. */
	pick_set_have(t, 0);
	ck_assert_uint_eq(a.nreq, 0);
	ck_assert_int_eq(pick_complete(t), 1);
	ck_assert_int_eq(got(&a, &r), 0);
	pick_peer_free(&a);
	pick_free(t);
}
END_TEST

/*
 * One seeder that answers in random order, drops some requests (they
 * time out), rejects some, and sends one piece corrupt: the download
 * completes in a bounded number of rounds.
 */
START_TEST(one_seeder_never_stalls)
{
	struct pick_torrent	*t;
	struct pick_peer	 s;
	struct pick_req		 q[64], r;
	uint32_t		 contrib[PICK_MAX_CONTRIB];
	uint32_t		 npieces = 37, *gotb, i, bad = 5;
	uint64_t		 now = 0;
	int			 rounds, n, k, corrupt_done = 0;

	srandom(7);
	t = pick_new(npieces, 3 * B, (uint64_t)(npieces - 1) * 3 * B + 100);
	ck_assert_ptr_nonnull(t);
	gotb = calloc(npieces, sizeof(*gotb));
	pick_peer_init(t, &s, NULL, 1);
	pick_peer_have_all(&s);
	for (rounds = 0; rounds < 10000 && !pick_complete(t); rounds++) {
		now += 1000;
		for (n = 0; n < 16 && pick_next(&s, now, &q[n]); n++)
			;
		/* Answer in random order. */
		for (k = n - 1; k > 0; k--) {
			int j = (int)(random() % (k + 1));

			r = q[k];
			q[k] = q[j];
			q[j] = r;
		}
		for (k = 0; k < n; k++) {
			long dice = random() % 10;

			if (dice == 0)
				continue;	/* dropped: times out */
			if (dice == 1) {
				pick_rejected(&s, q[k].piece, q[k].begin,
				    q[k].length);
				continue;
			}
			if (!got(&s, &q[k]))
				continue;
			gotb[q[k].piece] += q[k].length;
			if (gotb[q[k].piece] < pick_piece_len(t, q[k].piece))
				continue;
			gotb[q[k].piece] = 0;
			if (q[k].piece == bad && !corrupt_done) {
				corrupt_done = 1;
				ck_assert_uint_eq(pick_verdict(t, bad, 0,
				    contrib), 1);
				ck_assert_uint_eq(contrib[0], 1);
				continue;
			}
			pick_verdict(t, q[k].piece, 1, contrib);
		}
		pick_timeouts(&s, now, 30000);
	}
	ck_assert_int_eq(pick_complete(t), 1);
	ck_assert_int_eq(corrupt_done, 1);
	ck_assert_int_lt(rounds, 10000);
	for (i = 0; i < npieces; i++)
		ck_assert_int_eq(pick_has(t, i), 1);
	pick_peer_free(&s);
	ck_assert_uint_eq(pick_outstanding(), 0);
	pick_free(t);
	free(gotb);
}
END_TEST

/* Several peers with partial bitfields that come and go. */
START_TEST(peers_come_and_go)
{
	struct pick_torrent	*t;
	struct pick_peer	 p[4];
	int			 alive[4] = { 0 }, rounds, i, n;
	struct pick_req		 r;
	uint32_t		 contrib[PICK_MAX_CONTRIB], *gotb, j;
	uint32_t		 npieces = 50;

	srandom(11);
	t = pick_new(npieces, 2 * B, (uint64_t)npieces * 2 * B);
	gotb = calloc(npieces, sizeof(*gotb));
	for (rounds = 0; rounds < 20000 && !pick_complete(t); rounds++) {
		i = (int)(random() % 4);
		if (!alive[i]) {
			pick_peer_init(t, &p[i], NULL, (uint32_t)i + 1);
			/* Peer i has pieces j with j % 4 != i, or all (3). */
			for (j = 0; j < npieces; j++)
				if (i == 3 || j % 4 != (uint32_t)i)
					pick_peer_have(&p[i], j);
			alive[i] = 1;
			continue;
		}
		if (random() % 50 == 0) {
			pick_peer_free(&p[i]);
			alive[i] = 0;
			continue;
		}
		for (n = 0; n < 4 && pick_next(&p[i], (uint64_t)rounds, &r);
		    n++) {
			if (!got(&p[i], &r))
				continue;
			gotb[r.piece] += r.length;
			if (gotb[r.piece] == pick_piece_len(t, r.piece)) {
				gotb[r.piece] = 0;
				pick_verdict(t, r.piece, 1, contrib);
			}
		}
	}
	ck_assert_int_eq(pick_complete(t), 1);
	for (i = 0; i < 4; i++)
		if (alive[i])
			pick_peer_free(&p[i]);
	ck_assert_uint_eq(pick_outstanding(), 0);
	pick_free(t);
	free(gotb);
}
END_TEST

/* Higher priorities are started first; rarest first within one. */
START_TEST(priority_order)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b;
	struct pick_req		 r;
	const uint8_t		 prio[8] = { PICK_LOW, PICK_NORMAL, PICK_HIGH,
	    PICK_NORMAL, PICK_HIGH, PICK_LOW, PICK_NORMAL, PICK_SKIP };
	const uint32_t		 hb[] = { 2 };
	uint8_t			*bb, seen[8] = { 0 };
	int			 i;

	t = pick_new(8, B, 8 * B);
	pick_set_priorities(t, prio);
	ck_assert_int_eq(pick_priority(t, 4), PICK_HIGH);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_init(t, &b, NULL, 2);
	pick_peer_have_all(&a);
	bb = bits_of(8, hb, 1);
	pick_peer_bitfield(&b, bb);
	/* 2 is seen by a and b, 4 by a alone: 4 is the rarer high one. */
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 4);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 2);
	/* Then the normal ones (any order), then the low ones. */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(pick_next(&a, 0, &r), 1);
		ck_assert_int_eq(prio[r.piece], PICK_NORMAL);
		ck_assert_uint_eq(seen[r.piece]++, 0);
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pick_next(&a, 0, &r), 1);
		ck_assert_int_eq(prio[r.piece], PICK_LOW);
		ck_assert_uint_eq(seen[r.piece]++, 0);
	}
	/* 7 is skipped: a has every other one in flight, nothing more. */
	ck_assert_int_eq(pick_next(&a, 0, &r), 0);
	/* The end game gives b a copy of the one piece it has. */
	ck_assert_int_eq(pick_endgame(t), 1);
	ck_assert_int_eq(pick_next(&b, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 2);
	ck_assert_int_eq(pick_next(&b, 0, &r), 0);
	pick_peer_free(&a);
	pick_peer_free(&b);
	pick_free(t);
	free(bb);
}
END_TEST

/* A partial piece of a lower priority waits for the higher ones. */
START_TEST(priority_before_partial)
{
	struct pick_torrent	*t;
	struct pick_peer	 a;
	struct pick_req		 r;
	uint8_t			 prio[2] = { PICK_NORMAL, PICK_NORMAL };

	t = pick_new(2, 2 * B, 4 * B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_have_all(&a);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	/* The other piece becomes high while r.piece is partial. */
	prio[1 - r.piece] = PICK_HIGH;
	pick_set_priorities(t, prio);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_int_eq(pick_priority(t, r.piece), PICK_HIGH);
	pick_peer_free(&a);
	pick_free(t);
}
END_TEST

/* Skipped pieces are never requested; the rest make it complete. */
START_TEST(skip_never_requested)
{
	struct pick_torrent	*t;
	struct pick_peer	 a;
	struct pick_req		 r;
	uint32_t		 contrib[PICK_MAX_CONTRIB], n = 0;
	uint8_t			 prio[16];
	int			 i;

	t = pick_new(16, B, 16 * B);
	for (i = 0; i < 16; i++)
		prio[i] = i % 3 == 0 ? PICK_SKIP : PICK_NORMAL;
	pick_set_priorities(t, prio);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_have_all(&a);
	ck_assert_int_eq(pick_interesting(&a), 1);
	while (pick_next(&a, 0, &r) == 1) {
		ck_assert_int_ne(r.piece % 3, 0);
		ck_assert_int_eq(got(&a, &r), 1);
		pick_verdict(t, r.piece, 1, contrib);
		ck_assert_uint_lt(++n, 100);
	}
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(pick_complete(t), 1);
	ck_assert_uint_eq(pick_nhave(t), 10);
	ck_assert_int_eq(pick_interesting(&a), 0);
	ck_assert_int_eq(pick_endgame(t), 0);
	/* Wanting one again: it is requested, and only it. */
	prio[3] = PICK_LOW;
	pick_set_priorities(t, prio);
	ck_assert_int_eq(pick_complete(t), 0);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 3);
	pick_peer_free(&a);
	pick_free(t);
}
END_TEST

/* Sequential: index order, still finishing a partial piece first. */
START_TEST(sequential_order)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b;
	struct pick_req		 r;
	const uint32_t		 hb[] = { 5, 6 };
	uint32_t		 contrib[PICK_MAX_CONTRIB], want = 0;
	uint8_t			*bb, prio[12];
	int			 i;

	/* 12 pieces of 2 blocks; b alone has 5 and 6 (rarest). */
	t = pick_new(12, 2 * B, 24 * B);
	pick_set_sequential(t, 1);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_init(t, &b, NULL, 2);
	pick_peer_have_all(&a);
	bb = bits_of(12, hb, 2);
	pick_peer_bitfield(&b, bb);
	ck_assert_int_eq(pick_next(&b, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 5);
	ck_assert_int_eq(got(&b, &r), 1);
	/* a finishes 5 (partial first), then goes 0, 1, 2, ... */
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 5);
	ck_assert_int_eq(got(&a, &r), 1);
	pick_verdict(t, 5, 1, contrib);
	for (i = 0; i < 11; i++, want++) {
		if (want == 5)
			want++;
		ck_assert_int_eq(pick_next(&a, 0, &r), 1);
		ck_assert_uint_eq(r.piece, want);
		ck_assert_int_eq(got(&a, &r), 1);
		ck_assert_int_eq(pick_next(&a, 0, &r), 1);
		ck_assert_uint_eq(r.piece, want);
		ck_assert_int_eq(got(&a, &r), 1);
		pick_verdict(t, r.piece, 1, contrib);
	}
	ck_assert_int_eq(pick_complete(t), 1);
	pick_peer_free(&a);
	pick_peer_free(&b);
	pick_free(t);
	/* Priorities still come first: a high piece at the end. */
	t = pick_new(12, 2 * B, 24 * B);
	pick_set_sequential(t, 1);
	memset(prio, PICK_NORMAL, sizeof(prio));
	prio[9] = PICK_HIGH;
	prio[0] = PICK_SKIP;
	pick_set_priorities(t, prio);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_have_all(&a);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 9);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 9);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, 1);
	pick_peer_free(&a);
	pick_free(t);
	free(bb);
}
END_TEST

/* A peer that sent bad data for a piece is not asked for it again
 * while another has it; alone, it is. */
START_TEST(bad_peer_avoided)
{
	struct pick_torrent	*t;
	struct pick_peer	 a, b, c;
	struct pick_req		 r;
	uint32_t		 contrib[PICK_MAX_CONTRIB];
	const uint32_t		 hb[] = { 0 };
	uint8_t			*bb;

	/* Two pieces of one block. */
	t = pick_new(2, B, 2 * B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_have_all(&a);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_int_eq(got(&a, &r), 1);
	/* a sent bad data for r.piece, and it is the only source. */
	ck_assert_uint_eq(pick_verdict(t, r.piece, 0, contrib), 1);
	ck_assert_uint_eq(contrib[0], 1);
	bb = bits_of(2, (uint32_t[]){ r.piece }, 1);
	pick_peer_init(t, &b, NULL, 2);
	pick_peer_bitfield(&b, bb);
	/* Now b has it: a gets the other piece, never the bad one. */
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_ne(r.piece, bb[0] & 0x80 ? 0 : 1);
	ck_assert_int_eq(pick_next(&a, 0, &r), 0);
	ck_assert_int_eq(pick_next(&b, 0, &r), 1);
	ck_assert_uint_eq(r.piece, bb[0] & 0x80 ? 0 : 1);
	/* b leaves: a is the only one left, and is asked again. */
	pick_peer_free(&b);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_uint_eq(r.piece, bb[0] & 0x80 ? 0 : 1);
	pick_peer_free(&a);
	pick_free(t);
	free(bb);
	/* Two sources both bad for piece 0, a third clean one has it. */
	t = pick_new(1, B, B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_init(t, &b, NULL, 2);
	pick_peer_have_all(&a);
	pick_peer_have_all(&b);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_int_eq(got(&a, &r), 1);
	pick_verdict(t, 0, 0, contrib);
	ck_assert_int_eq(pick_next(&b, 0, &r), 1);
	ck_assert_int_eq(got(&b, &r), 1);
	pick_verdict(t, 0, 0, contrib);
	bb = bits_of(1, hb, 1);
	pick_peer_init(t, &c, NULL, 3);
	pick_peer_bitfield(&c, bb);
	ck_assert_int_eq(pick_next(&a, 0, &r), 0);
	ck_assert_int_eq(pick_next(&b, 0, &r), 0);
	ck_assert_int_eq(pick_next(&c, 0, &r), 1);
	/* Not even in the end game. */
	ck_assert_int_eq(pick_endgame(t), 1);
	ck_assert_int_eq(pick_next(&a, 0, &r), 0);
	pick_peer_free(&a);
	pick_peer_free(&b);
	pick_peer_free(&c);
	pick_free(t);
	free(bb);
}
END_TEST

/* ---- errors ---- */

START_TEST(err_new)
{
	ck_assert_ptr_null(pick_new(0, B, 0));
	ck_assert_ptr_null(pick_new(1, 0, 1));
	/* Sizes that do not make the piece count. */
	ck_assert_ptr_null(pick_new(2, B, B));
	ck_assert_ptr_null(pick_new(2, B, 2 * B + 1));
	ck_assert_ptr_null(pick_new(1, 1ULL << 40, 1));
}
END_TEST

START_TEST(err_unrequested)
{
	struct pick_torrent	*t;
	struct pick_peer	 a;
	struct pick_req		 r;

	t = pick_new(2, B, 2 * B);
	pick_peer_init(t, &a, NULL, 1);
	pick_peer_have_all(&a);
	/* Never asked for, out of range, wrong length: discarded. */
	ck_assert_int_eq(pick_received(&a, 0, 0, B, cancels, 16, &ncancel), 0);
	ck_assert_int_eq(pick_received(&a, 9, 0, B, cancels, 16, &ncancel), 0);
	ck_assert_int_eq(pick_next(&a, 0, &r), 1);
	ck_assert_int_eq(pick_received(&a, r.piece, r.begin, r.length - 1,
	    cancels, 16, &ncancel), 0);
	ck_assert_int_eq(pick_wanted(&a, r.piece, r.begin, r.length), 1);
	ck_assert_int_eq(got(&a, &r), 1);
	/* Twice: the second is a duplicate. */
	ck_assert_int_eq(got(&a, &r), 0);
	ck_assert_int_eq(pick_wanted(&a, r.piece, r.begin, r.length), 0);
	/* A reject of something never asked for changes nothing. */
	pick_rejected(&a, 1 - r.piece, 0, B);
	ck_assert_uint_eq(a.nreq, 0);
	/* A verdict for a piece never started changes nothing. */
	ck_assert_uint_eq(pick_verdict(t, 1 - r.piece, 0,
	    (uint32_t[8]){ 0 }), 0);
	ck_assert_uint_eq(pick_verdict(t, 7, 1, (uint32_t[8]){ 0 }), 0);
	pick_peer_free(&a);
	pick_free(t);
}
END_TEST

START_TEST(err_too_many_peers)
{
	struct pick_torrent	*t;
	struct pick_peer	*pp;
	int			 i, ok = 0;

	pp = calloc(300, sizeof(*pp));
	t = pick_new(1, B, B);
	for (i = 0; i < 300; i++)
		if (pick_peer_init(t, &pp[i], NULL, (uint32_t)i) == 0)
			ok++;
	/* Bounded: availability counts cannot overflow. */
	ck_assert_int_lt(ok, 300);
	ck_assert_int_ge(ok, PEERD_MAX_TORRENT_CONNS);
	for (i = 0; i < ok; i++)
		pick_peer_free(&pp[i]);
	pick_free(t);
	free(pp);
}
END_TEST

static Suite *
pick_suite(void)
{
	Suite	*s = suite_create("pick");
	TCase	*core = tcase_create("core");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, sizes);
	tcase_add_test(core, rarest_first);
	tcase_add_test(core, random_ties);
	tcase_add_test(core, random_first);
	tcase_add_test(core, have_order);
	tcase_add_test(core, partial_first);
	tcase_add_test(core, endgame_cancel);
	tcase_add_test(core, timeouts_back);
	tcase_add_test(core, reject_and_leave);
	tcase_add_test(core, forget_received);
	tcase_add_test(core, one_seeder_never_stalls);
	tcase_add_test(core, peers_come_and_go);
	tcase_add_test(core, priority_order);
	tcase_add_test(core, priority_before_partial);
	tcase_add_test(core, skip_never_requested);
	tcase_add_test(core, sequential_order);
	tcase_add_test(core, bad_peer_avoided);
	tcase_add_test(errors, err_new);
	tcase_add_test(errors, err_unrequested);
	tcase_add_test(errors, err_too_many_peers);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(pick_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
