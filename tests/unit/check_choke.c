/*
 * check_choke.c -- the choker (peerd/peerd_choke.c), driven with a fake
 * clock and fake peers: the slot count from the upload limit; regular
 * slots to the peers that send to us fastest, re-chosen every 10 s; one
 * optimistic slot held 30 s and then rotated, new peers three times as
 * likely to get it; snubbing after 60 s of nothing while the peer
 * unchokes us; seeding by turns so that every interested peer is
 * served; peers that are not interested never unchoked.
 *
 * Each fake peer sends to us, once a second, `sends` bytes while it
 * unchokes us, and takes `takes` bytes while we unchoke it.  The rest
 * of peerd (connections, the block path) is replaced by the stubs
 * below: choke_run() needs none of it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "peerd/peerd.h"

/* ---- stubs of the rest of peerd ---- */

uint64_t peerd_now_ms(void) { return 0; }
int conn_send_simple(struct peer *p, int id) { (void)p; (void)id; return 0; }
int conn_send_block(struct peer *p, int id, uint32_t a, uint32_t b,
    uint32_t c) { (void)p; (void)id; (void)a; (void)b; (void)c; return 0; }
void block_uploads_stop(struct peer *p) { (void)p; }
void block_up_drop_unsent(struct peer *p) { (void)p; }
uint64_t rate_torrent_up(const struct torrent *t) { (void)t; return 0; }
int pick_complete(const struct pick_torrent *t) { (void)t; return 0; }

/* ---- fake peers ---- */

#define NF	12
#define SEC	1000ULL

struct fake {
	struct choke_peer	cp;
	uint64_t		sends;		/* B/s to us, when it can */
	uint64_t		takes;		/* B/s from us, unchoked */
	uint32_t		rounds_unchoked;
	uint64_t		first_unchoke;	/* 1 + the time, 0 never */
};

static struct fake		 f[NF];
static struct choke_peer	*ptr[NF];
static struct choker		 ck;

static void
setup(void)
{
	size_t i;

	memset(f, 0, sizeof(f));
	for (i = 0; i < NF; i++) {
		f[i].cp.choked = 1;
		f[i].cp.choking_us = 0;
		f[i].cp.want = 1;
		f[i].cp.interested = 1;
		ptr[i] = &f[i].cp;
	}
	choke_init(&ck, 12345);
}

/* One second at now: the traffic, then the choker; decisions applied. */
static int
step(size_t n, int seeding, uint64_t now)
{
	size_t	i;
	int	r;

	for (i = 0; i < n; i++) {
		if (!f[i].cp.choking_us && f[i].cp.want)
			f[i].cp.down_total += f[i].sends;
		if (!f[i].cp.choked)
			f[i].cp.up_total += f[i].takes;
	}
	r = choke_run(&ck, ptr, n, seeding, now);
	if (!r)
		return 0;
	for (i = 0; i < n; i++) {
		f[i].cp.choked = !f[i].cp.unchoke;
		if (f[i].cp.unchoke && !f[i].cp.optimistic)
			f[i].rounds_unchoked++;
		if (f[i].cp.unchoke && f[i].first_unchoke == 0)
			f[i].first_unchoke = 1 + now;
	}
	return 1;
}

/* Seconds from..to (exclusive); returns the rounds that ran. */
static int
run(size_t n, int seeding, uint64_t from, uint64_t to)
{
	uint64_t	s;
	int		rounds = 0;

	for (s = from; s < to; s++)
		rounds += step(n, seeding, s * SEC);
	return rounds;
}

static size_t
count_unchoked(size_t n, int *nopt)
{
	size_t i, u = 0;

	*nopt = 0;
	for (i = 0; i < n; i++) {
		if (!f[i].cp.choked)
			u++;
		if (f[i].cp.optimistic)
			(*nopt)++;
	}
	return u;
}

static int
optimistic_of(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].cp.optimistic)
			return (int)i;
	return -1;
}

/* ---- core ---- */

START_TEST(slots_from_limit)
{
	ck_assert_uint_eq(choke_slots(0), CHOKE_SLOTS_UNLIMITED);
	ck_assert_uint_eq(CHOKE_SLOTS_UNLIMITED, 4);
	/* sqrt(0.6 x KiB/s), within 2..8 */
	ck_assert_uint_eq(choke_slots(1024), 2);
	ck_assert_uint_eq(choke_slots(10 * 1024), 2);
	ck_assert_uint_eq(choke_slots(20 * 1024), 3);
	ck_assert_uint_eq(choke_slots(42 * 1024), 5);
	ck_assert_uint_eq(choke_slots(60 * 1024), 6);
	ck_assert_uint_eq(choke_slots(256 * 1024), 8);
	ck_assert_uint_eq(choke_slots(1ULL << 40), 8);
}
END_TEST

START_TEST(regular_by_rate)
{
	size_t	i, n = 8;
	int	nopt;

	setup();
	/* Peer i sends (i + 1) x 10 KiB/s. */
	for (i = 0; i < n; i++)
		f[i].sends = (i + 1) * 10240;
	/* The first call is a round; the rates are known after 10 s. */
	ck_assert_int_eq(step(n, 0, 0), 1);
	ck_assert_int_eq(run(n, 0, 1, 10), 0);
	ck_assert_int_eq(step(n, 0, 10 * SEC), 1);
	/* The four fastest (4..7) hold regular slots. */
	for (i = 4; i < n; i++) {
		ck_assert_int_eq(f[i].cp.choked, 0);
		ck_assert_int_eq(f[i].cp.optimistic, 0);
	}
	ck_assert_uint_eq(count_unchoked(n, &nopt), 5);
	ck_assert_int_eq(nopt, 1);
	ck_assert_int_lt(optimistic_of(n), 4);
	ck_assert_uint_gt(f[7].cp.rate_down, f[6].cp.rate_down);

	/* Peer 0 becomes the fastest: it has a regular slot next round. */
	f[0].sends = 200 * 1024;
	ck_assert_int_eq(run(n, 0, 11, 21), 1);
	ck_assert_int_eq(f[0].cp.choked, 0);
	ck_assert_int_eq(f[0].cp.optimistic, 0);
	/* And the slowest of the old four lost its own. */
	ck_assert(f[4].cp.choked || f[4].cp.optimistic);
	ck_assert_uint_eq(count_unchoked(n, &nopt), 5);
}
END_TEST

START_TEST(rounds_every_10s)
{
	size_t	n = 5;

	setup();
	ck_assert_int_eq(run(n, 0, 0, 60), 6);
	ck_assert_uint_eq(ck.regular_ms, 50 * SEC);
}
END_TEST

START_TEST(optimistic_rotates)
{
	size_t	n = 10, i;
	int	cur, prev = -1, changes = 0, seen[NF] = { 0 }, distinct = 0;
	uint64_t s;

	setup();
	/* 0..3 are fast and keep the regular slots; 4..9 send nothing. */
	for (i = 0; i < 4; i++)
		f[i].sends = 100 * 1024;
	/* Past the time when peers count as new. */
	ck_assert_int_gt(run(n, 0, 0, 70), 0);
	prev = optimistic_of(n);
	ck_assert_int_ge(prev, 4);
	for (s = 70; s < 70 + 300; s++) {
		if (!step(n, 0, s * SEC))
			continue;
		cur = optimistic_of(n);
		ck_assert_int_ge(cur, 4);
		/* One optimistic peer at a time, besides the four. */
		for (i = 0; i < 4; i++)
			ck_assert_int_eq(f[i].cp.choked, 0);
		if (cur != prev) {
			/* It changes only when its 30 s are up. */
			ck_assert_uint_eq(ck.optimistic_ms, s * SEC);
			changes++;
		} else
			ck_assert_uint_lt(s * SEC - ck.optimistic_ms,
			    CHOKE_OPTIMISTIC_MS);
		if (!seen[cur]++)
			distinct++;
		prev = cur;
	}
	/* 300 s: a rotation every 30 s, never to the same peer. */
	ck_assert_int_eq(changes, 10);
	ck_assert_int_ge(distinct, 4);
}
END_TEST

START_TEST(new_peers_weighted)
{
	int	trial, newwins = 0, trials = 600;
	size_t	n = 4, i;

	/*
	 * Peer 0 is fast (a regular slot; one slot only), 1 and 2 are old,
	 * 3 connects at 70 s.  At the rotation after it joins, the old
	 * optimistic peer is left out: 3 weighs 3 against 1 for the other
	 * old one: 3/4 of the time, not 1/2 as unweighted.
	 */
	for (trial = 0; trial < trials; trial++) {
		setup();
		choke_init(&ck, (uint64_t)trial + 1);
		ck.slots = 1;
		f[0].sends = 100 * 1024;
		/* Rounds every 10 s; rotations at 0, 30 and 60 s. */
		ck_assert_int_eq(run(3, 0, 0, 70), 7);
		ck_assert_uint_eq(ck.optimistic_ms, 60 * SEC);
		/* 3 joins at 70; the next rotation is at 90. */
		ck_assert_int_eq(run(n, 0, 70, 90), 2);
		ck_assert_uint_eq(ck.optimistic_ms, 60 * SEC);
		ck_assert_int_eq(step(n, 0, 90 * SEC), 1);
		ck_assert_uint_eq(ck.optimistic_ms, 90 * SEC);
		for (i = 0; i < n; i++)
			if (f[i].cp.optimistic && i == 3)
				newwins++;
	}
	ck_assert_int_gt(newwins, trials * 65 / 100);
	ck_assert_int_lt(newwins, trials * 85 / 100);
}
END_TEST

START_TEST(snubbed_loses_slot)
{
	size_t	n = 6, i;
	int	nopt;

	setup();
	for (i = 0; i < n; i++)
		f[i].sends = i * 10240;
	f[0].sends = 500 * 1024;	/* the fastest, at first */
	ck_assert_int_gt(run(n, 0, 0, 31), 0);
	ck_assert_int_eq(f[0].cp.choked, 0);
	ck_assert_int_eq(f[0].cp.optimistic, 0);
	/* From 31 s on it unchokes us and sends nothing. */
	f[0].sends = 0;
	run(n, 0, 31, 90);
	ck_assert_int_eq(f[0].cp.snubbed, 0);	/* 59 s: not yet */
	run(n, 0, 90, 101);
	ck_assert_int_eq(f[0].cp.snubbed, 1);
	/* At the round of 100 s it holds no regular slot. */
	ck_assert(f[0].cp.choked || f[0].cp.optimistic);
	ck_assert_uint_eq(count_unchoked(n, &nopt), 5);
	for (i = 2; i < n; i++)
		ck_assert(!f[i].cp.choked && !f[i].cp.optimistic);
	/* It sends again: no longer snubbed, and back by its rate. */
	f[0].sends = 900 * 1024;
	run(n, 0, 101, 121);
	ck_assert_int_eq(f[0].cp.snubbed, 0);
	ck_assert_int_eq(f[0].cp.choked, 0);
}
END_TEST

START_TEST(choking_us_is_not_snubbing)
{
	size_t n = 3;

	setup();
	f[0].cp.choking_us = 1;		/* it cannot send: not a snub */
	f[1].cp.want = 0;		/* we want nothing of it */
	f[2].sends = 0;			/* it could, and does not */
	run(n, 0, 0, 61);
	ck_assert_int_eq(f[0].cp.snubbed, 0);
	ck_assert_int_eq(f[1].cp.snubbed, 0);
	ck_assert_int_eq(f[2].cp.snubbed, 1);
	/* It unchokes us: the clock starts from then. */
	f[0].cp.choking_us = 0;
	run(n, 0, 61, 120);
	ck_assert_int_eq(f[0].cp.snubbed, 0);
	run(n, 0, 120, 122);
	ck_assert_int_eq(f[0].cp.snubbed, 1);
}
END_TEST

START_TEST(seeding_serves_everyone)
{
	size_t	 n = NF, i;
	uint64_t longest = 0;

	setup();
	/* Every peer takes 100 KiB/s; 4 fast ones take 1 MiB/s. */
	for (i = 0; i < n; i++)
		f[i].takes = i < 4 ? 1 << 20 : 100 * 1024;
	run(n, 1, 0, 600);
	for (i = 0; i < n; i++) {
		/* Each got regular slots, in turn. */
		ck_assert_uint_gt(f[i].first_unchoke, 0);
		ck_assert_uint_gt(f[i].rounds_unchoked, 0);
		ck_assert_uint_gt(f[i].cp.up_total, 0);
		if (f[i].first_unchoke - 1 > longest)
			longest = f[i].first_unchoke - 1;
	}
	/* 12 peers, 4 + 1 slots, turns of at most 60 s: within 3 turns. */
	ck_assert_uint_le(longest, 3 * CHOKE_SEED_TURN_MS);
}
END_TEST

START_TEST(seeding_turn_ends)
{
	size_t	n = 6, i;
	int	nopt;

	setup();
	ck.slots = 2;
	for (i = 0; i < n; i++)
		f[i].takes = 10240;	/* slow: the quota is not reached */
	f[0].takes = 8ULL << 20;	/* 0 reaches its quota in a round */
	step(n, 1, 0);
	/* The first round: by arrival, 0 and 1 (and an optimistic one). */
	ck_assert_int_eq(f[0].cp.choked, 0);
	run(n, 1, 1, 11);
	/* 0 got its quota: its turn is over, another takes the slot. */
	ck_assert(f[0].cp.choked || f[0].cp.optimistic);
	ck_assert_uint_le(count_unchoked(n, &nopt), 3);
	/* A slow peer keeps its slot for a turn, then makes room. */
	run(n, 1, 11, 11 + CHOKE_SEED_TURN_MS / SEC + 10);
	ck_assert(f[1].cp.choked || f[1].cp.optimistic);
}
END_TEST

START_TEST(not_interested_stays_choked)
{
	size_t	n = 6, i;
	int	nopt;

	setup();
	for (i = 0; i < n; i++) {
		f[i].cp.interested = i < 2;
		f[i].sends = 100 * 1024;
	}
	run(n, 0, 0, 25);
	for (i = 2; i < n; i++)
		ck_assert_int_eq(f[i].cp.choked, 1);
	ck_assert_uint_eq(count_unchoked(n, &nopt), 2);
	/* One loses interest: choked at the next round. */
	f[0].cp.interested = 0;
	run(n, 1, 25, 35);
	ck_assert_int_eq(f[0].cp.choked, 1);
	ck_assert_int_eq(f[1].cp.choked, 0);
}
END_TEST

/* ---- errors ---- */

START_TEST(err_no_peers)
{
	choke_init(&ck, 0);
	ck_assert_uint_ne(ck.rng, 0);
	ck_assert_int_eq(choke_run(&ck, NULL, 0, 0, 0), 1);
	ck_assert_int_eq(choke_run(&ck, NULL, 0, 1, 5 * SEC), 0);
	ck_assert_int_eq(choke_run(&ck, NULL, 0, 1, 10 * SEC), 1);
}
END_TEST

START_TEST(err_clock_backwards)
{
	size_t	n = 3;
	int	nopt;

	setup();
	run(n, 0, 100, 120);
	/* A clock that goes back makes a round, never a crash or a hang. */
	ck_assert_int_eq(step(n, 0, 5 * SEC), 1);
	ck_assert_uint_le(count_unchoked(n, &nopt), 3);
}
END_TEST

START_TEST(err_peer_leaves_optimistic)
{
	size_t	n = 8, i;
	int	o;

	setup();
	for (i = 0; i < 4; i++)
		f[i].sends = 100 * 1024;
	run(n, 0, 0, 11);
	o = optimistic_of(n);
	ck_assert_int_ge(o, 4);
	/* It loses interest: the next round gives the slot to another. */
	f[o].cp.interested = 0;
	run(n, 0, 11, 21);
	ck_assert_int_ne(optimistic_of(n), o);
	ck_assert_int_ge(optimistic_of(n), 4);
	ck_assert_int_eq(f[o].cp.choked, 1);
}
END_TEST

static Suite *
choke_suite(void)
{
	Suite	*s = suite_create("choke");
	TCase	*core = tcase_create("core");
	TCase	*errors = tcase_create("errors");

	tcase_set_timeout(core, 30);
	tcase_add_test(core, slots_from_limit);
	tcase_add_test(core, regular_by_rate);
	tcase_add_test(core, rounds_every_10s);
	tcase_add_test(core, optimistic_rotates);
	tcase_add_test(core, new_peers_weighted);
	tcase_add_test(core, snubbed_loses_slot);
	tcase_add_test(core, choking_us_is_not_snubbing);
	tcase_add_test(core, seeding_serves_everyone);
	tcase_add_test(core, seeding_turn_ends);
	tcase_add_test(core, not_interested_stays_choked);
	tcase_add_test(errors, err_no_peers);
	tcase_add_test(errors, err_clock_backwards);
	tcase_add_test(errors, err_peer_leaves_optimistic);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(choke_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
