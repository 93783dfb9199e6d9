/*
 * check_rate.c -- the rate limits (peerd/peerd_rate.c) with a fake
 * clock: token bucket arithmetic (a fresh bucket's burst, refills to the
 * byte however small the steps, the burst as a cap, debt after a read
 * larger than what was there, a rate held over time by a reader that
 * takes whole reads), the protocol overhead a byte costs, limits
 * changed while running, 0 as unlimited; and peerd's side of it: the
 * Config keys, connection limits, a connection held back by an empty
 * bucket and a write cut to the tokens there are.
 *
 * The rest of peerd is replaced by the stubs below.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "peerd/peerd.h"

/* ---- stubs of the rest of peerd ---- */

struct torrent_list	 torrents = TAILQ_HEAD_INITIALIZER(torrents);
struct peer_list	 conn_peers = TAILQ_HEAD_INITIALIZER(conn_peers);
static uint64_t		 fake_now = 1000;
static int		 n_read_off;

uint64_t peerd_now_ms(void) { return fake_now; }
void conn_read_on(struct peer *p) { p->reading = 1; }
void conn_read_off(struct peer *p) { p->reading = 0; n_read_off++; }

#define KIB	1024ULL

/* ---- token buckets ---- */

START_TEST(burst)
{
	struct rate_bucket b;

	memset(&b, 0, sizeof(b));
	/* Unlimited: anything passes, nothing is counted. */
	ck_assert_int_eq(rate_bucket_avail(&b), INT64_MAX);
	rate_bucket_take(&b, 1 << 30);
	ck_assert_int_eq(rate_bucket_avail(&b), INT64_MAX);
	/* A fresh bucket is full: RATE_BURST_MS of its rate ... */
	rate_bucket_set(&b, 1024 * KIB, 0);
	ck_assert_int_eq(rate_bucket_avail(&b), 256 * KIB);
	/* ... or RATE_BURST_MIN at a low rate. */
	memset(&b, 0, sizeof(b));
	rate_bucket_set(&b, 10 * KIB, 0);
	ck_assert_int_eq(rate_bucket_avail(&b), RATE_BURST_MIN);
	/* Never more than the burst, however long it waits. */
	rate_bucket_refill(&b, 3600 * 1000);
	ck_assert_int_eq(rate_bucket_avail(&b), RATE_BURST_MIN);
}
END_TEST

START_TEST(refill)
{
	struct rate_bucket	b;
	uint64_t		ms;

	memset(&b, 0, sizeof(b));
	rate_bucket_set(&b, 1000, 0);		/* 1000 B/s */
	rate_bucket_take(&b, RATE_BURST_MIN);
	ck_assert_int_eq(rate_bucket_avail(&b), 0);
	/* A byte a millisecond: 1 ms steps lose nothing ... */
	for (ms = 1; ms <= 1000; ms++)
		rate_bucket_refill(&b, ms);
	ck_assert_int_eq(rate_bucket_avail(&b), 1000);
	/* ... nor do steps smaller than a byte (333 B/s, 1 ms steps). */
	memset(&b, 0, sizeof(b));
	rate_bucket_set(&b, 333, 0);
	rate_bucket_take(&b, RATE_BURST_MIN);
	for (ms = 1; ms <= 3000; ms++)
		rate_bucket_refill(&b, ms);
	ck_assert_int_eq(rate_bucket_avail(&b), 999);
	/* RATE_TICK_MS at 256 KiB/s: a tenth of it. */
	memset(&b, 0, sizeof(b));
	rate_bucket_set(&b, 256 * KIB, 0);
	rate_bucket_take(&b, (uint64_t)rate_bucket_avail(&b));
	rate_bucket_refill(&b, RATE_TICK_MS);
	ck_assert_int_eq(rate_bucket_avail(&b), 256 * KIB / 10);
	/* Time that does not move adds nothing; back in time neither. */
	rate_bucket_refill(&b, RATE_TICK_MS);
	rate_bucket_refill(&b, 10);
	ck_assert_int_eq(rate_bucket_avail(&b), 256 * KIB / 10);
}
END_TEST

START_TEST(debt)
{
	struct rate_bucket b;

	memset(&b, 0, sizeof(b));
	rate_bucket_set(&b, 10 * KIB, 0);
	/* A read larger than what is there: the bucket owes it. */
	rate_bucket_take(&b, RATE_BURST_MIN + 5 * KIB);
	ck_assert_int_eq(rate_bucket_avail(&b), -(int64_t)(5 * KIB));
	/* Half a second pays it back, and nothing more. */
	rate_bucket_refill(&b, 500);
	ck_assert_int_eq(rate_bucket_avail(&b), 0);
	rate_bucket_refill(&b, 600);
	ck_assert_int_eq(rate_bucket_avail(&b), 1024);
}
END_TEST

START_TEST(rate_over_time)
{
	struct rate_bucket	b;
	uint64_t		ms, got = 0, rate = 256 * KIB, read;

	/*
	 * A reader that takes a whole block and its header (what one read
	 * of a PIECE brings) whenever there is a token, refilled every
	 * RATE_TICK_MS for 20 s: it gets the rate, within a burst and a
	 * read.
	 */
	memset(&b, 0, sizeof(b));
	rate_bucket_set(&b, rate, 0);
	read = rate_cost(PEERD_BLOCK + WIRE_PIECE_HDR);
	for (ms = 0; ms <= 20000; ms += RATE_TICK_MS) {
		rate_bucket_refill(&b, ms);
		while (rate_bucket_avail(&b) > 0) {
			rate_bucket_take(&b, read);
			got += read;
		}
	}
	ck_assert_uint_ge(got, rate * 20);
	ck_assert_uint_le(got, rate * 20 + b.burst + read);
}
END_TEST

START_TEST(overhead)
{
	ck_assert_uint_eq(rate_cost(0), 0);
	/* Every started segment carries IPv4 and TCP headers. */
	ck_assert_uint_eq(rate_cost(1), 1 + RATE_IP_OVERHEAD);
	ck_assert_uint_eq(rate_cost(RATE_MSS), RATE_MSS + RATE_IP_OVERHEAD);
	ck_assert_uint_eq(rate_cost(RATE_MSS + 1),
	    RATE_MSS + 1 + 2 * RATE_IP_OVERHEAD);
	/* A block and its PIECE header: 16397 bytes, 12 segments. */
	ck_assert_uint_eq(rate_cost(PEERD_BLOCK + WIRE_PIECE_HDR),
	    16397 + 12 * RATE_IP_OVERHEAD);
}
END_TEST

START_TEST(changed_while_running)
{
	struct rate_bucket b;

	memset(&b, 0, sizeof(b));
	rate_bucket_set(&b, 1024 * KIB, 0);
	ck_assert_int_eq(rate_bucket_avail(&b), 256 * KIB);
	/* Lower: what is there is cut to the new burst. */
	rate_bucket_set(&b, 100 * KIB, 100);
	ck_assert_int_eq(rate_bucket_avail(&b), RATE_BURST_MIN);
	ck_assert_uint_eq(b.rate, 100 * KIB);
	/* It refills at the new rate. */
	rate_bucket_take(&b, RATE_BURST_MIN);
	rate_bucket_refill(&b, 200);
	ck_assert_int_eq(rate_bucket_avail(&b), 10 * KIB);
	/* Higher: what is there stays, the burst grows. */
	rate_bucket_set(&b, 2048 * KIB, 200);
	ck_assert_int_eq(rate_bucket_avail(&b), 10 * KIB);
	rate_bucket_refill(&b, 300);
	ck_assert_int_eq(rate_bucket_avail(&b), 10 * KIB + 2048 * KIB / 10);
	/* 0: unlimited at once ... */
	rate_bucket_set(&b, 0, 300);
	ck_assert_int_eq(rate_bucket_avail(&b), INT64_MAX);
	/* ... and limited again: a fresh, full bucket. */
	rate_bucket_set(&b, 100 * KIB, 400);
	ck_assert_int_eq(rate_bucket_avail(&b), RATE_BURST_MIN);
	/* A rate past the bound is held to it. */
	rate_bucket_set(&b, UINT64_MAX, 500);
	ck_assert_uint_eq(b.rate, RATE_MAX);
}
END_TEST

/* ---- peerd's side ---- */

static struct event_base	*base;
static struct torrent		 tor;
static struct peer		 pa, pb;

static void
glue_setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	rate_init(base);
	memset(&tor, 0, sizeof(tor));
	memset(&pa, 0, sizeof(pa));
	TAILQ_INIT(&tor.peers);
	TAILQ_INSERT_TAIL(&torrents, &tor, entry);
	memset(&pb, 0, sizeof(pb));
	pa.t = pb.t = &tor;
	pa.state = pb.state = ST_ACTIVE;
	pa.reading = pb.reading = 1;
	pa.wev = event_new(base, -1, 0, NULL, NULL);
	pb.wev = event_new(base, -1, 0, NULL, NULL);
	ck_assert_ptr_nonnull(pa.wev);
	ck_assert_ptr_nonnull(pb.wev);
	TAILQ_INSERT_TAIL(&conn_peers, &pa, all);
	TAILQ_INSERT_TAIL(&conn_peers, &pb, all);
	n_read_off = 0;
}

static void
glue_teardown(void)
{
	rate_config("download_rate_limit", "0");
	rate_config("upload_rate_limit", "0");
	rate_config("peer_limit_global", "400");
	rate_config("peer_limit_per_torrent", "60");
	rate_torrent_set(&tor, 0, 0, 0);
	TAILQ_REMOVE(&conn_peers, &pa, all);
	TAILQ_REMOVE(&conn_peers, &pb, all);
	TAILQ_REMOVE(&torrents, &tor, entry);
	event_free(pa.wev);
	event_free(pb.wev);
	event_base_free(base);
}

START_TEST(config_keys)
{
	ck_assert_int_eq(rate_on, 0);
	rate_config("download_rate_limit", "256");
	ck_assert_int_eq(rate_on, 1);
	rate_config("download_rate_limit", "0");
	ck_assert_int_eq(rate_on, 0);
	rate_config("upload_rate_limit", "64");
	ck_assert_int_eq(rate_on, 1);
	/* Slots follow the limit that applies: the smaller. */
	ck_assert_uint_eq(rate_torrent_up(&tor), 64 * KIB);
	rate_torrent_set(&tor, 0, 32 * KIB, 0);
	ck_assert_uint_eq(rate_torrent_up(&tor), 32 * KIB);
	rate_torrent_set(&tor, 0, 128 * KIB, 0);
	ck_assert_uint_eq(rate_torrent_up(&tor), 64 * KIB);
	rate_config("upload_rate_limit", "0");
	ck_assert_uint_eq(rate_torrent_up(&tor), 128 * KIB);
	/* A torrent's limit alone keeps the limiter on. */
	ck_assert_int_eq(rate_on, 1);
	rate_torrent_set(&tor, 0, 0, 0);
	ck_assert_int_eq(rate_on, 0);
	/* Other keys are not ours. */
	rate_config("peer_port", "6881");
	ck_assert_int_eq(rate_on, 0);
}
END_TEST

START_TEST(conn_limits)
{
	ck_assert_uint_eq(rate_max_conns(), PEERD_MAX_CONNS);
	ck_assert_uint_eq(rate_max_torrent_conns(&tor), PEERD_MAX_TORRENT_CONNS);
	rate_config("peer_limit_per_torrent", "20");
	ck_assert_uint_eq(rate_max_torrent_conns(&tor), 20);
	rate_torrent_set(&tor, 0, 0, 5);
	ck_assert_uint_eq(rate_max_torrent_conns(&tor), 5);
	ck_assert_uint_eq(rate_max_torrent_conns(NULL), 20);
	/* The global limit bounds a torrent's too. */
	rate_config("peer_limit_global", "3");
	ck_assert_uint_eq(rate_max_conns(), 3);
	ck_assert_uint_eq(rate_max_torrent_conns(&tor), 3);
}
END_TEST

START_TEST(recv_held)
{
	rate_config("download_rate_limit", "10");
	ck_assert_int_eq(rate_recv_ok(&pa), 1);
	/* A read takes the tokens, with the overhead. */
	rate_received(&pa, RATE_BURST_MIN);
	ck_assert_int_eq(rate_recv_ok(&pa), 0);
	ck_assert_int_eq(pa.rate_wait & RATE_WAIT_DOWN, RATE_WAIT_DOWN);
	ck_assert_int_eq(pa.reading, 0);
	ck_assert_int_eq(n_read_off, 1);
	/* The torrent's own bucket holds it as well. */
	rate_config("download_rate_limit", "0");
	pa.rate_wait = 0;
	ck_assert_int_eq(rate_recv_ok(&pa), 1);
	rate_torrent_set(&tor, 10 * KIB, 0, 0);
	rate_received(&pa, RATE_BURST_MIN);
	ck_assert_int_eq(rate_recv_ok(&pa), 0);
}
END_TEST

/* What the refill timer does every RATE_TICK_MS. */
static void
tick(void)
{
	fake_now += RATE_TICK_MS;
	rate_tick(fake_now);
}

START_TEST(served_in_turn)
{
	int	 i, a = 0, b = 0;

	/*
	 * 16 KiB/s: a tick brings 1.6 KiB, a read takes a block.  Both
	 * peers wait; each refill wakes the one that waited longer, and a
	 * peer that was served waits behind the other.
	 */
	rate_config("download_rate_limit", "16");
	rate_received(&pb, RATE_BURST_MIN);
	ck_assert_int_eq(rate_recv_ok(&pb), 0);		/* b first */
	ck_assert_int_eq(rate_recv_ok(&pa), 0);
	for (i = 0; i < 200; i++) {
		tick();
		ck_assert(!(pa.reading && pb.reading));
		if (pa.reading) {
			a++;
			rate_received(&pa, PEERD_BLOCK + WIRE_PIECE_HDR);
			ck_assert_int_eq(rate_recv_ok(&pa), 0);
		}
		if (pb.reading) {
			/* The first woken is the first that waited. */
			ck_assert(b > 0 || a == 0);
			b++;
			rate_received(&pb, PEERD_BLOCK + WIRE_PIECE_HDR);
			ck_assert_int_eq(rate_recv_ok(&pb), 0);
		}
	}
	/* 20 s at 16 KiB/s: about 19 reads, shared. */
	ck_assert_int_ge(a + b, 15);
	ck_assert_int_le(a + b, 21);
	ck_assert_int_le(abs(a - b), 1);
	/* No limit left: every waiting peer reads again at once. */
	rate_config("download_rate_limit", "0");
	ck_assert_int_eq(pa.reading && pb.reading, 1);
	ck_assert_int_eq(pa.rate_wait | pb.rate_wait, 0);
}
END_TEST

START_TEST(handshake_not_held)
{
	rate_config("download_rate_limit", "10");
	rate_received(&pa, RATE_BURST_MIN);
	pa.state = ST_HANDSHAKE;
	ck_assert_int_eq(rate_recv_ok(&pa), 1);
	pa.state = ST_ACTIVE;
	ck_assert_int_eq(rate_recv_ok(&pa), 0);
}
END_TEST

START_TEST(send_trimmed)
{
	uint8_t		buf[3][20000];
	struct iovec	iov[3];
	size_t		niov = 3, total;

	iov[0].iov_base = buf[0];
	iov[0].iov_len = 13;
	iov[1].iov_base = buf[1];
	iov[1].iov_len = 16384;
	iov[2].iov_base = buf[2];
	iov[2].iov_len = 20000;
	/* 10 KiB/s: RATE_BURST_MIN may go; the iovecs are cut to it. */
	rate_config("upload_rate_limit", "10");
	total = rate_send_trim(&pa, iov, &niov, 13 + 16384 + 20000);
	ck_assert_uint_eq(total, RATE_BURST_MIN);
	ck_assert_uint_eq(niov, 3);
	ck_assert_uint_eq(iov[0].iov_len + iov[1].iov_len + iov[2].iov_len,
	    RATE_BURST_MIN);
	rate_sent(&pa, total);
	/* Nothing left: nothing goes, and the peer waits. */
	niov = 3;
	ck_assert_uint_eq(rate_send_trim(&pa, iov, &niov, 100), 0);
	ck_assert_int_eq(pa.rate_wait & RATE_WAIT_UP, RATE_WAIT_UP);
	/* Unlimited again: everything goes. */
	rate_config("upload_rate_limit", "0");
	niov = 1;
	iov[0].iov_len = 13;
	ck_assert_uint_eq(rate_send_trim(&pa, iov, &niov, 13), 13);
	/* Blocks read ahead: few for a limited peer. */
	ck_assert_uint_eq(rate_upq(&pa), PEERD_UPQ_MAX);
	rate_torrent_set(&tor, 0, 10 * KIB, 0);
	ck_assert_uint_eq(rate_upq(&pa), RATE_UPQ_LIMITED);
}
END_TEST

START_TEST(err_bad_config)
{
	/* Bad values are refused and change nothing. */
	rate_config("download_rate_limit", "");
	rate_config("download_rate_limit", "-1");
	rate_config("download_rate_limit", "12abc");
	rate_config("download_rate_limit", "99999999999999999999999");
	rate_config("upload_rate_limit", " 5");
	ck_assert_int_eq(rate_on, 0);
	rate_config("peer_limit_global", "0");
	rate_config("peer_limit_global", "401");
	rate_config("peer_limit_per_torrent", "x");
	ck_assert_uint_eq(rate_max_conns(), PEERD_MAX_CONNS);
	ck_assert_uint_eq(rate_max_torrent_conns(&tor), PEERD_MAX_TORRENT_CONNS);
	/* A torrent's connection limit past the bound is held to it. */
	rate_torrent_set(&tor, 0, 0, 100000);
	ck_assert_uint_eq(tor.max_peers, PEERD_MAX_CONNS);
}
END_TEST

static Suite *
rate_suite(void)
{
	Suite	*s = suite_create("rate");
	TCase	*core = tcase_create("core");
	TCase	*glue = tcase_create("peerd");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, burst);
	tcase_add_test(core, refill);
	tcase_add_test(core, debt);
	tcase_add_test(core, rate_over_time);
	tcase_add_test(core, overhead);
	tcase_add_test(core, changed_while_running);
	tcase_add_checked_fixture(glue, glue_setup, glue_teardown);
	tcase_add_test(glue, config_keys);
	tcase_add_test(glue, conn_limits);
	tcase_add_test(glue, recv_held);
	tcase_add_test(glue, send_trimmed);
	tcase_add_test(glue, served_in_turn);
	tcase_add_test(glue, handshake_not_held);
	tcase_add_checked_fixture(errors, glue_setup, glue_teardown);
	tcase_add_test(errors, err_bad_config);
	suite_add_tcase(s, core);
	suite_add_tcase(s, glue);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(rate_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
