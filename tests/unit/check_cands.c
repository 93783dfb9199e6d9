/*
 * check_cands.c -- trackerd's candidate peers (trackerd/trackerd_cand.c)
 * on a fake clock: deduplication, the bounds (CAND_MAX, the PEX share),
 * the ranking (recently good, never tried, the rest), the backoff of a
 * failing peer and its reset, bans, the known-peer list for the cache,
 * BEP 27's rule for private torrents, PEX intake (HOSTILE.md: over 50
 * peers, port 0, private), and the source names.
 */
#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trackerd/trackerd.h"

#define T0	1700000000	/* the fake clock starts here */

/* 10.x.y.z, port: a distinct address for each n. */
static struct tr_peer
peer4(uint32_t n, uint16_t port)
{
	struct tr_peer p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.addr[0] = 10;
	p.addr[1] = (uint8_t)(n >> 16);
	p.addr[2] = (uint8_t)(n >> 8);
	p.addr[3] = (uint8_t)n;
	p.port = port;
	return p;
}

static struct tr_peer
peer6(uint8_t last, uint16_t port)
{
	struct tr_peer p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	p.addr[0] = 0x20;
	p.addr[1] = 0x01;
	p.addr[15] = last;
	p.port = port;
	return p;
}

START_TEST(dedup)
{
	struct cand_list	 l;
	struct tr_peer		 a = peer4(1, 6881), b = peer4(1, 6882);
	struct tr_peer		 c = peer6(1, 6881);
	struct cand		*x, *y;

	cand_list_init(&l, 0);
	x = cand_add(&l, &a, CSRC_TRACKER, T0);
	ck_assert_ptr_nonnull(x);
	y = cand_add(&l, &a, CSRC_PEX, T0 + 5);
	ck_assert_ptr_eq(x, y);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(x->sources, CSRC_TRACKER | CSRC_PEX);
	ck_assert_uint_eq(x->origin, CSRC_TRACKER);
	ck_assert_int_eq(x->first_seen, T0);
	ck_assert_int_eq(x->last_seen, T0 + 5);
	/* Another port, another family: other candidates. */
	ck_assert_ptr_nonnull(cand_add(&l, &b, CSRC_TRACKER, T0));
	ck_assert_ptr_nonnull(cand_add(&l, &c, CSRC_TRACKER, T0));
	ck_assert_uint_eq(l.n, 3);
	ck_assert_ptr_eq(cand_find(&l, &b), &l.c[1]);
	cand_list_free(&l);
	cand_list_free(&l);	/* twice: harmless */
}
END_TEST

START_TEST(refused)
{
	struct cand_list	 l;
	struct tr_peer		 p0 = peer4(1, 0), p = peer4(2, 1);

	cand_list_init(&l, 0);
	ck_assert_ptr_null(cand_add(&l, &p0, CSRC_PEX, T0));
	ck_assert_ptr_null(cand_add(&l, &p0, CSRC_TRACKER, T0));
	ck_assert_ptr_null(cand_add(&l, &p, 0, T0));
	p.family = AF_UNIX;
	ck_assert_ptr_null(cand_add(&l, &p, CSRC_TRACKER, T0));
	ck_assert_uint_eq(l.n, 0);
	cand_list_free(&l);
}
END_TEST

START_TEST(bound_total)
{
	struct cand_list	 l;
	struct tr_peer		 p, good = peer4(0, 7000);
	struct cand		*g;
	uint32_t		 i;

	cand_list_init(&l, 0);
	g = cand_add(&l, &good, CSRC_TRACKER, T0);
	cand_result(g, 1, T0);
	for (i = 1; i < CAND_MAX + 500; i++) {
		p = peer4(i, 6881);
		ck_assert_ptr_nonnull(cand_add(&l, &p, CSRC_TRACKER,
		    T0 + i));
		ck_assert_uint_le(l.n, CAND_MAX);
	}
	ck_assert_uint_eq(l.n, CAND_MAX);
	/* The good one outlived newer never-good ones ... */
	ck_assert_ptr_nonnull(cand_find(&l, &good));
	/* ... the oldest never-good went, the newest stayed. */
	p = peer4(1, 6881);
	ck_assert_ptr_null(cand_find(&l, &p));
	p = peer4(CAND_MAX + 499, 6881);
	ck_assert_ptr_nonnull(cand_find(&l, &p));
	cand_list_free(&l);
}
END_TEST

START_TEST(bound_pex)
{
	struct cand_list	 l;
	struct tr_peer		 p;
	size_t			 i, npex = 0, ntrk = 0;

	cand_list_init(&l, 0);
	for (i = 0; i < 100; i++) {
		p = peer4((uint32_t)(100000 + i), 6881);
		ck_assert_ptr_nonnull(cand_add(&l, &p, CSRC_TRACKER, T0));
	}
	/* A flood of PEX keeps to its share and pushes out no tracker peer. */
	for (i = 0; i < 3 * CAND_MAX; i++) {
		p = peer4((uint32_t)i, 6881);
		ck_assert_ptr_nonnull(cand_add(&l, &p, CSRC_PEX,
		    T0 + (time_t)i));
	}
	for (i = 0; i < l.n; i++) {
		if (l.c[i].sources == CSRC_PEX)
			npex++;
		if (l.c[i].sources & CSRC_TRACKER)
			ntrk++;
	}
	ck_assert_uint_eq(npex, CAND_PEX_MAX);
	ck_assert_uint_eq(ntrk, 100);
	ck_assert_uint_eq(l.n, 100 + CAND_PEX_MAX);
	/* The latest PEX peers are the ones kept. */
	p = peer4(3 * CAND_MAX - 1, 6881);
	ck_assert_ptr_nonnull(cand_find(&l, &p));
	p = peer4(0, 6881);
	ck_assert_ptr_null(cand_find(&l, &p));
	cand_list_free(&l);
}
END_TEST

START_TEST(backoff_values)
{
	ck_assert_int_eq(cand_backoff(0), 0);
	ck_assert_int_eq(cand_backoff(1), 60);
	ck_assert_int_eq(cand_backoff(2), 120);
	ck_assert_int_eq(cand_backoff(3), 240);
	ck_assert_int_eq(cand_backoff(6), 1920);
	ck_assert_int_eq(cand_backoff(7), 3600);
	ck_assert_int_eq(cand_backoff(100), 3600);
	ck_assert_int_eq(cand_backoff(UINT32_MAX), 3600);
}
END_TEST

/*
 * A peer that refuses every connection, asked for every 10 s on the
 * fake clock: it is handed out after 60, 120, 240 ... s, then once an
 * hour; a success resets it.
 */
START_TEST(backoff_schedule)
{
	struct cand_list	 l;
	struct tr_peer		 p = peer4(1, 6881);
	struct cand		*c, *out[4];
	time_t			 now, last = 0, gaps[8];
	size_t			 ngaps = 0;

	cand_list_init(&l, 0);
	c = cand_add(&l, &p, CSRC_TRACKER, T0);
	for (now = T0; now < T0 + 4 * 3600 && ngaps < 8; now += 10) {
		if (cand_rank(&l, now, out, 4) == 0)
			continue;
		ck_assert_ptr_eq(out[0], c);
		cand_result(c, 0, now + 1);	/* refused a second later */
		if (last != 0)
			gaps[ngaps++] = now - last;
		last = now;
	}
	/*
	 * After k failures the wait is the backoff from the failure (a
	 * second after the offer) on the 10 s grid of the asks: 70, 130,
	 * 250, 490, 970, 1930, then an hour.
	 */
	ck_assert_uint_eq(ngaps, 8);
	ck_assert_int_eq(gaps[0], 70);
	ck_assert_int_eq(gaps[1], 130);
	ck_assert_int_eq(gaps[2], 250);
	ck_assert_int_eq(gaps[3], 490);
	ck_assert_int_eq(gaps[4], 970);
	ck_assert_int_eq(gaps[5], 1930);
	ck_assert_int_eq(gaps[6], 3610);
	ck_assert_int_eq(gaps[7], 3610);
	ck_assert_int_eq(c->fails_row, c->attempts);
	ck_assert_int_eq(c->failures, c->attempts);
	/* Reset on success. */
	cand_result(c, 1, now);
	ck_assert_int_eq(c->fails_row, 0);
	ck_assert_int_eq(c->last_ok, now);
	ck_assert_int_eq(cand_next_try(c), 0);
	cand_result(c, 0, now + 200);
	ck_assert_int_eq(cand_next_try(c), now + 200 + 60);
	cand_list_free(&l);
}
END_TEST

START_TEST(rank_order)
{
	struct cand_list	 l;
	struct tr_peer		 p;
	struct cand		*old_good, *new_good, *never_old, *never_new;
	struct cand		*failed, *failed2, *stale_good, *out[16];
	time_t			 now = T0 + 20000;
	size_t			 n;

	cand_list_init(&l, 0);
	p = peer4(1, 1);
	failed2 = cand_add(&l, &p, CSRC_TRACKER, T0);
	cand_result(failed2, 0, T0 + 100);
	cand_result(failed2, 0, T0 + 200);
	p = peer4(2, 1);
	failed = cand_add(&l, &p, CSRC_TRACKER, T0);
	cand_result(failed, 0, T0 + 300);
	p = peer4(3, 1);
	never_old = cand_add(&l, &p, CSRC_TRACKER, T0 + 10);
	p = peer4(4, 1);
	old_good = cand_add(&l, &p, CSRC_TRACKER, T0);
	cand_result(old_good, 1, now - 1000);
	p = peer4(5, 1);
	never_new = cand_add(&l, &p, CSRC_PEX, T0 + 20);
	p = peer4(6, 1);
	new_good = cand_add(&l, &p, CSRC_INCOMING, T0);
	cand_result(new_good, 1, now - 10);
	p = peer4(7, 1);
	stale_good = cand_add(&l, &p, CSRC_TRACKER, T0);
	cand_result(stale_good, 1, now - CAND_GOOD_RECENT - 1);
	n = cand_rank(&l, now, out, 16);
	ck_assert_uint_eq(n, 7);
	ck_assert_ptr_eq(out[0], new_good);
	ck_assert_ptr_eq(out[1], old_good);
	ck_assert_ptr_eq(out[2], never_new);
	ck_assert_ptr_eq(out[3], never_old);
	/* The rest: fewest failures in a row, then the longest untried. */
	ck_assert_ptr_eq(out[4], stale_good);
	ck_assert_ptr_eq(out[5], failed);
	ck_assert_ptr_eq(out[6], failed2);
	/* max cuts the tail, not the head. */
	ck_assert_uint_eq(cand_rank(&l, now, out, 2), 2);
	ck_assert_ptr_eq(out[0], new_good);
	ck_assert_uint_eq(cand_rank(&l, now, out, 0), 0);
	cand_list_free(&l);
}
END_TEST

START_TEST(rank_waits)
{
	struct cand_list	 l;
	struct tr_peer		 p = peer4(1, 1), q = peer4(2, 1);
	struct cand		*a, *b, *out[4];

	cand_list_init(&l, 0);
	a = cand_add(&l, &p, CSRC_TRACKER, T0);
	b = cand_add(&l, &q, CSRC_TRACKER, T0);
	/* Handed out again and again while nobody answered: no wait. */
	ck_assert_uint_eq(cand_rank(&l, T0, out, 4), 2);
	ck_assert_uint_eq(cand_rank(&l, T0 + 1, out, 4), 2);
	ck_assert_ptr_eq(out[0], a);	/* the same age: list order */
	/* A failing one waits out its backoff; the other does not. */
	cand_result(b, 0, T0 + 10);
	cand_result(a, 1, T0 + 10);
	ck_assert_int_eq(cand_next_try(b), T0 + 70);
	ck_assert_int_eq(cand_next_try(a), 0);
	ck_assert_uint_eq(cand_rank(&l, T0 + 69, out, 4), 1);
	ck_assert_ptr_eq(out[0], a);
	ck_assert_uint_eq(cand_rank(&l, T0 + 70, out, 4), 2);
	ck_assert_ptr_eq(out[1], b);
	/* A second failure doubles the wait; a success ends it. */
	cand_result(b, 0, T0 + 70);
	ck_assert_int_eq(cand_next_try(b), T0 + 190);
	cand_result(b, 1, T0 + 80);
	ck_assert_int_eq(cand_next_try(b), 0);
	ck_assert_uint_eq(b->attempts, 3);
	ck_assert_uint_eq(b->failures, 2);
	ck_assert_uint_eq(b->fails_row, 0);
	cand_list_free(&l);
}
END_TEST

START_TEST(bans)
{
	struct cand_list	 l;
	struct tr_peer		 p = peer4(1, 1), q = peer4(2, 1);
	struct cand		*a, *out[4];
	uint32_t		 i;

	cand_list_init(&l, 0);
	a = cand_add(&l, &p, CSRC_TRACKER, T0);
	cand_result(a, 1, T0);
	ck_assert_uint_eq(cand_ban(&l, &p), 1);
	ck_assert_uint_eq(cand_ban(&l, &q), 0);
	ck_assert_int_eq(cand_next_try(a), CAND_NEVER);
	ck_assert_uint_eq(cand_rank(&l, T0 + 100000, out, 4), 0);
	ck_assert_uint_eq(cand_known(&l, out, 4), 0);
	/* A tracker naming it again does not lift the ban. */
	ck_assert_ptr_eq(cand_add(&l, &p, CSRC_TRACKER, T0 + 5), a);
	ck_assert_int_eq(a->banned, 1);
	/* Nor does a full list push the ban out. */
	for (i = 10; i < CAND_MAX + 100; i++) {
		q = peer4(i, 1);
		(void)cand_add(&l, &q, CSRC_TRACKER, T0 + i);
	}
	ck_assert_ptr_nonnull(cand_find(&l, &p));
	ck_assert_int_eq(cand_find(&l, &p)->banned, 1);
	cand_list_free(&l);
}
END_TEST

START_TEST(known_list)
{
	struct cand_list	 l;
	struct tr_peer		 p;
	struct cand		*c, *out[CAND_KNOWN_MAX];
	uint32_t		 i;
	size_t			 n;

	cand_list_init(&l, 0);
	for (i = 0; i < 80; i++) {
		p = peer4(i, 1);
		c = cand_add(&l, &p, CSRC_TRACKER, T0);
		if (i % 4 != 3)
			cand_result(c, 1, T0 + i);
		else
			cand_result(c, 0, T0 + i);
	}
	n = cand_known(&l, out, CAND_KNOWN_MAX);
	ck_assert_uint_eq(n, CAND_KNOWN_MAX);
	for (i = 0; i < n; i++) {
		ck_assert_int_ne(out[i]->last_ok, 0);
		if (i > 0)
			ck_assert_int_ge(out[i - 1]->last_ok, out[i]->last_ok);
	}
	ck_assert_int_eq(out[0]->last_ok, T0 + 78);
	/* A good peer failing CAND_KNOWN_FAILS times in a row goes. */
	c = out[0];
	for (i = 0; i < CAND_KNOWN_FAILS - 1; i++)
		cand_result(c, 0, T0 + 100 + i);
	ck_assert_ptr_eq(cand_known(&l, out, 1) == 1 ? out[0] : NULL, c);
	cand_result(c, 0, T0 + 200);
	ck_assert_uint_eq(cand_known(&l, out, 1), 1);
	ck_assert_ptr_ne(out[0], c);
	ck_assert_int_eq(out[0]->last_ok, T0 + 77);
	ck_assert_uint_eq(cand_known(&l, out, CAND_KNOWN_MAX), CAND_KNOWN_MAX);
	cand_list_free(&l);
}
END_TEST

START_TEST(private_intake)
{
	struct cand_list	 l;
	struct tr_peer		 p = peer4(1, 1), q = peer4(2, 1);
	struct tr_peer		 r = peer4(3, 1), s = peer4(4, 1);
	struct cand		*c;

	cand_list_init(&l, 1);
	ck_assert_ptr_null(cand_add(&l, &p, CSRC_PEX, T0));
	ck_assert_ptr_null(cand_add(&l, &p, CSRC_MAGNET, T0));
	ck_assert_ptr_null(cand_add(&l, &p, CSRC_CACHE, T0));
	ck_assert_ptr_null(cand_add(&l, &p, CSRC_CACHE | CSRC_PEX, T0));
	ck_assert_uint_eq(l.n, 0);
	/* From its trackers, incoming, or the cache of those: taken. */
	ck_assert_ptr_nonnull(cand_add(&l, &p, CSRC_TRACKER, T0));
	ck_assert_ptr_nonnull(cand_add(&l, &q, CSRC_INCOMING, T0));
	c = cand_add(&l, &r, CSRC_CACHE | CSRC_TRACKER, T0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->origin, CSRC_CACHE);
	/* A PEX mention of a known one adds nothing to it. */
	ck_assert_ptr_null(cand_add(&l, &p, CSRC_PEX, T0));
	ck_assert_uint_eq(cand_find(&l, &p)->sources, CSRC_TRACKER);
	ck_assert_uint_eq(l.n, 3);

	/* A public start (magnet) that turns out private. */
	cand_list_free(&l);
	cand_list_init(&l, 0);
	ck_assert_ptr_nonnull(cand_add(&l, &p, CSRC_MAGNET, T0));
	ck_assert_ptr_nonnull(cand_add(&l, &q, CSRC_PEX, T0));
	ck_assert_ptr_nonnull(cand_add(&l, &r, CSRC_MAGNET, T0));
	ck_assert_ptr_nonnull(cand_add(&l, &r, CSRC_TRACKER, T0));
	ck_assert_ptr_nonnull(cand_add(&l, &s, CSRC_CACHE | CSRC_PEX, T0));
	cand_list_set_private(&l, 1);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_ptr_nonnull(cand_find(&l, &r));
	ck_assert_uint_eq(cand_find(&l, &r)->sources, CSRC_TRACKER);
	ck_assert_uint_eq(cand_find(&l, &r)->origin, CSRC_TRACKER);
	ck_assert_int_eq(cand_allowed(&l, CSRC_PEX), 0);
	ck_assert_int_eq(cand_allowed(&l, CSRC_INCOMING), 1);
	cand_list_free(&l);
}
END_TEST

START_TEST(pex_intake)
{
	struct cand_list	 l;
	struct tr_peer		 p[CAND_PEX_ADDED + 1];
	size_t			 i;

	for (i = 0; i <= CAND_PEX_ADDED; i++)
		p[i] = peer4((uint32_t)i, 6881);
	p[3].port = 0;
	cand_list_init(&l, 0);
	/* Over the bound: nothing at all. */
	ck_assert_int_eq(cand_pex(&l, p, CAND_PEX_ADDED + 1, T0), -1);
	ck_assert_uint_eq(l.n, 0);
	/* At the bound: all but port 0. */
	ck_assert_int_eq(cand_pex(&l, p, CAND_PEX_ADDED, T0),
	    CAND_PEX_ADDED - 1);
	ck_assert_uint_eq(l.n, CAND_PEX_ADDED - 1);
	ck_assert_ptr_null(cand_find(&l, &p[3]));
	ck_assert_uint_eq(cand_find(&l, &p[0])->origin, CSRC_PEX);
	cand_list_free(&l);
	/* A private torrent: none. */
	cand_list_init(&l, 1);
	ck_assert_int_eq(cand_pex(&l, p, 2, T0), -1);
	ck_assert_uint_eq(l.n, 0);
	cand_list_free(&l);
}
END_TEST

START_TEST(source_names)
{
	char		 buf[64];
	unsigned	 bits;

	cand_sources_str(CSRC_TRACKER | CSRC_PEX | CSRC_CACHE, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "tracker,pex,cache");
	cand_sources_str(CSRC_INCOMING, buf, sizeof(buf));
	ck_assert_str_eq(buf, "incoming");
	cand_sources_str(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	cand_sources_str(0x1f, buf, 10);
	ck_assert_uint_lt(strlen(buf), 10);
	ck_assert_int_eq(cand_sources_parse("tracker,magnet", &bits), 0);
	ck_assert_uint_eq(bits, CSRC_TRACKER | CSRC_MAGNET);
	ck_assert_int_eq(cand_sources_parse("incoming", &bits), 0);
	ck_assert_uint_eq(bits, CSRC_INCOMING);
	ck_assert_int_eq(cand_sources_parse("", &bits), -1);
	ck_assert_int_eq(cand_sources_parse(NULL, &bits), -1);
	ck_assert_int_eq(cand_sources_parse("dht", &bits), -1);
	ck_assert_int_eq(cand_sources_parse("tracker,,pex", &bits), -1);
	ck_assert_int_eq(cand_sources_parse("trackers", &bits), -1);
	ck_assert_int_eq(cand_sources_parse("tracker,", &bits), -1);
	ck_assert_int_eq(cand_sources_parse(",pex", &bits), -1);
	ck_assert_str_eq(cand_source_name(CSRC_CACHE), "cache");
	ck_assert_ptr_null(cand_source_name(0x100));
}
END_TEST

static Suite *
cands_suite(void)
{
	Suite	*s = suite_create("cands");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, dedup);
	tcase_add_test(core, bound_total);
	tcase_add_test(core, bound_pex);
	tcase_add_test(core, backoff_values);
	tcase_add_test(core, backoff_schedule);
	tcase_add_test(core, rank_order);
	tcase_add_test(core, rank_waits);
	tcase_add_test(core, known_list);
	tcase_add_test(core, source_names);
	tcase_add_test(errors, refused);
	tcase_add_test(errors, bans);
	tcase_add_test(errors, private_intake);
	tcase_add_test(errors, pex_intake);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(cands_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
