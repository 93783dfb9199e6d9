/*
 * check_fetch.c -- metad's metadata fetch and serving (metad_fetch.c,
 * metad_serve.c) without a process: the channels, the clock and the
 * timer are link-time stand-ins (-Wl,--wrap, see the Makefile), so each
 * test drives the real code with messages and reads what it sent.
 *
 * Core: pieces asked of several peers, at most two of one; verified
 * metadata goes to btd as a description; a slow peer's ask goes to
 * another after the timeout; serving answers in range and rejects past
 * the end.  Errors: sizes out of bounds never asked; a piece of the
 * wrong length gets its sender dropped; bytes whose SHA-1 is not the
 * info-hash are fetched again from one peer alone, and the liar is
 * dropped; metadata that matches but fails the .torrent checks is an
 * error for btd.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/sha.h>

#include "common.pb-c.h"
#include "metad.pb-c.h"
#include "peer_metad.pb-c.h"

#include "chan.h"
#include "utmeta.h"
#include "metad/metad.h"

/* ---- stand-ins ---- */

static int			 fake_btd, fake_peerd;	/* their addresses */
static uint64_t			 clock_ms = 1000000;
static event_callback_fn	 tick_cb;

#define MAXSENT	256
static ProtobufCMessage		*sent[MAXSENT];	/* unpacked copies */
static struct chan		*sent_to[MAXSENT];
static int			 nsent;

int	__wrap_msg_send(struct chan *, const ProtobufCMessage *, int);
struct chan *__wrap_role_peer_chan(int);
struct chan *__wrap_role_btd_chan(void);
int	__wrap_chan_full(struct chan *);
uint64_t __wrap_util_now_ms(void);
struct event *__wrap_event_new(struct event_base *, evutil_socket_t, short,
	    event_callback_fn, void *);
int	__wrap_event_add(struct event *, const struct timeval *);

int
__wrap_msg_send(struct chan *c, const ProtobufCMessage *env, int fd)
{
	uint8_t	*buf;
	size_t	 n = protobuf_c_message_get_packed_size(env);

	(void)fd;
	ck_assert_int_lt(nsent, MAXSENT);
	buf = malloc(n + 1);
	ck_assert_ptr_nonnull(buf);
	protobuf_c_message_pack(env, buf);
	sent[nsent] = protobuf_c_message_unpack(env->descriptor, NULL, n, buf);
	ck_assert_ptr_nonnull(sent[nsent]);
	sent_to[nsent++] = c;
	free(buf);
	return 0;
}

struct chan *
__wrap_role_peer_chan(int peer)
{
	(void)peer;
	return (struct chan *)(void *)&fake_peerd;
}

struct chan *
__wrap_role_btd_chan(void)
{
	return (struct chan *)(void *)&fake_btd;
}

int
__wrap_chan_full(struct chan *c)
{
	(void)c;
	return 0;
}

uint64_t
__wrap_util_now_ms(void)
{
	return clock_ms;
}

struct event *
__wrap_event_new(struct event_base *b, evutil_socket_t fd, short ev,
    event_callback_fn cb, void *arg)
{
	(void)b;
	(void)fd;
	(void)ev;
	(void)arg;
	tick_cb = cb;
	return (struct event *)(void *)&tick_cb;
}

int
__wrap_event_add(struct event *e, const struct timeval *tv)
{
	(void)e;
	(void)tv;
	return 0;
}

static void
sent_clear(void)
{
	int i;

	for (i = 0; i < nsent; i++)
		protobuf_c_message_free_unpacked(sent[i], NULL);
	nsent = 0;
}

/* The i-th message of nsent to peerd, as an envelope. */
static const Btd__PeerMetadMsg *
to_peerd(int i)
{
	ck_assert_ptr_eq(sent_to[i], (struct chan *)(void *)&fake_peerd);
	return (const Btd__PeerMetadMsg *)(const void *)sent[i];
}

/* Count the asks sent to peerd (piece -> *pieces, peer -> *peers). */
static int
asks(uint32_t *peers, uint32_t *pieces, int max)
{
	int	 i, n = 0;

	for (i = 0; i < nsent; i++) {
		const Btd__PeerMetadMsg *m;

		if (sent_to[i] != (struct chan *)(void *)&fake_peerd)
			continue;
		m = to_peerd(i);
		if (m->body_case != BTD__PEER_METAD_MSG__BODY_META_ASK)
			continue;
		if (n < max) {
			peers[n] = m->meta_ask->peer;
			pieces[n] = m->meta_ask->piece;
		}
		n++;
	}
	return n;
}

static int
drops(uint32_t peer)
{
	int i, n = 0;

	for (i = 0; i < nsent; i++)
		if (sent_to[i] == (struct chan *)(void *)&fake_peerd &&
		    to_peerd(i)->body_case ==
		    BTD__PEER_METAD_MSG__BODY_META_DROP &&
		    to_peerd(i)->meta_drop->peer == peer)
			n++;
	return n;
}

/* The MetaResult sent to btd, or NULL. */
static const Btd__MetaResult *
result(void)
{
	int i;

	for (i = 0; i < nsent; i++)
		if (sent_to[i] == (struct chan *)(void *)&fake_btd) {
			const Btd__MetadMsg *m =
			    (const Btd__MetadMsg *)(const void *)sent[i];

			if (m->body_case == BTD__METAD_MSG__BODY_META_RESULT)
				return m->meta_result;
		}
	return NULL;
}

/* ---- driving ---- */

static uint8_t	*meta;		/* a valid info dictionary, 2 pieces */
static size_t	 metalen;
static uint8_t	 ih[20];
static uint32_t	 tnum = 1;	/* a new torrent number per test */

static void
make_meta(int bad)
{
	char	 head[128];
	size_t	 n, np = 1100;	/* 22000 bytes of hashes: 2 pieces */

	n = (size_t)snprintf(head, sizeof(head), "d6:lengthi%zue4:name4:data"
	    "12:piece lengthi%de6:pieces%zu:", np * 16384, bad ? 0 : 16384,
	    np * 20);
	metalen = n + np * 20 + 1;
	free(meta);
	meta = malloc(metalen);
	ck_assert_ptr_nonnull(meta);
	memcpy(meta, head, n);
	memset(meta + n, 0x33, np * 20);
	meta[metalen - 1] = 'e';
	SHA1(meta, metalen, ih);
}

static void
env_peerd(Btd__PeerMetadMsg *env)
{
	ck_assert_int_eq(metad_dispatch_peerd((struct chan *)(void *)
	    &fake_peerd, &env->base), 0);
}

static void
offer(uint32_t peer, int64_t size)
{
	Btd__PeerMetadMsg	env = BTD__PEER_METAD_MSG__INIT;
	Btd__MetaOffer		o = BTD__META_OFFER__INIT;

	o.torrent = tnum;
	o.peer = peer;
	o.metadata_size = size;
	env.body_case = BTD__PEER_METAD_MSG__BODY_META_OFFER;
	env.meta_offer = &o;
	env_peerd(&env);
}

/* Piece data from peer: from buf (len bytes) with total size total. */
static void
data(uint32_t peer, uint32_t piece, const uint8_t *buf, size_t len,
    uint32_t total)
{
	Btd__PeerMetadMsg	env = BTD__PEER_METAD_MSG__INIT;
	Btd__MetaData		d = BTD__META_DATA__INIT;

	d.torrent = tnum;
	d.peer = peer;
	d.piece = piece;
	d.total_size = total;
	d.data.data = (uint8_t *)(uintptr_t)buf;
	d.data.len = len;
	env.body_case = BTD__PEER_METAD_MSG__BODY_META_DATA;
	env.meta_data = &d;
	env_peerd(&env);
}

static void
good(uint32_t peer, uint32_t piece)
{
	data(peer, piece, meta + (size_t)piece * UTM_PIECE,
	    utm_piece_len((uint32_t)metalen, piece), (uint32_t)metalen);
}

static void
start(int bad)
{
	Btd__MetaFetch f = BTD__META_FETCH__INIT;

	tnum++;
	make_meta(bad);
	sent_clear();
	f.torrent = tnum;
	f.info_hash.data = ih;
	f.info_hash.len = 20;
	ck_assert_int_eq(fetch_start(&f), 0);
}

static void
setup(void)
{
	if (tick_cb == NULL)
		fetch_init(NULL);
	ck_assert_ptr_nonnull(tick_cb);
}

static void
teardown(void)
{
	fetch_forget(tnum);
	sent_clear();
}

/* ---- tests ---- */

START_TEST(fetch_two_peers)
{
	const Btd__MetaResult	*r;
	uint32_t		 peers[8], pieces[8];

	start(0);
	offer(7, (int64_t)metalen);
	/* Both pieces of the first peer: at most two of one peer. */
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	ck_assert_uint_eq(peers[0], 7);
	ck_assert_uint_eq(peers[1], 7);
	offer(8, (int64_t)metalen);
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	good(7, pieces[0]);
	/* The freed room goes to nothing: every piece is asked. */
	ck_assert_ptr_null(result());
	good(7, pieces[1]);
	r = result();
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->torrent, tnum);
	ck_assert_int_eq(r->ok, 1);
	ck_assert_ptr_nonnull(r->torrent_desc);
	ck_assert_uint_eq(r->torrent_desc->info.len, metalen);
	ck_assert_int_eq(memcmp(r->torrent_desc->info.data, meta, metalen), 0);
	ck_assert_int_eq(memcmp(r->torrent_desc->info_hash.data, ih, 20), 0);
	ck_assert_str_eq(r->torrent_desc->name, "data");
	ck_assert_uint_eq(r->torrent_desc->piece_count, 1100);
}
END_TEST

START_TEST(fetch_spread)
{
	uint32_t peers[8], pieces[8];

	/* Offers before btd's MetaFetch: asking starts with it. */
	tnum++;
	make_meta(0);
	sent_clear();
	offer(1, (int64_t)metalen);
	offer(2, (int64_t)metalen);
	ck_assert_int_eq(asks(peers, pieces, 8), 0);
	{
		Btd__MetaFetch f = BTD__META_FETCH__INIT;

		f.torrent = tnum;
		f.info_hash.data = ih;
		f.info_hash.len = 20;
		ck_assert_int_eq(fetch_start(&f), 0);
	}
	/* One piece each: the least busy peer first. */
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	ck_assert_uint_ne(peers[0], peers[1]);
	ck_assert_uint_ne(pieces[0], pieces[1]);
}
END_TEST

START_TEST(fetch_timeout)
{
	uint32_t peers[8], pieces[8];

	start(0);
	offer(1, (int64_t)metalen);
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	offer(2, (int64_t)metalen);
	sent_clear();
	clock_ms += FETCH_TIMEOUT_MS - 1;
	tick_cb(-1, EV_TIMEOUT, NULL);
	ck_assert_int_eq(asks(peers, pieces, 8), 0);
	clock_ms += 2;
	tick_cb(-1, EV_TIMEOUT, NULL);
	/* Both asks of the slow peer went elsewhere, or back to it. */
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	ck_assert(peers[0] == 2 || peers[1] == 2);
	good(peers[0], pieces[0]);
	good(peers[1], pieces[1]);
	ck_assert_ptr_nonnull(result());
	ck_assert_int_eq(result()->ok, 1);
}
END_TEST

START_TEST(serve_pieces)
{
	Btd__MetaHold		 h = BTD__META_HOLD__INIT;
	Btd__MetaWant		 w = BTD__META_WANT__INIT;
	Btd__PeerMetadMsg	 env = BTD__PEER_METAD_MSG__INIT;
	const Btd__MetaSend	*s;

	make_meta(0);
	sent_clear();
	h.torrent = 99;
	h.info.data = meta;
	h.info.len = metalen;
	ck_assert_int_eq(serve_hold(&h), 0);
	env.body_case = BTD__PEER_METAD_MSG__BODY_META_WANT;
	env.meta_want = &w;
	w.torrent = 99;
	w.peer = 4;
	w.piece = 1;
	env_peerd(&env);
	w.piece = 2;
	env_peerd(&env);
	w.torrent = 98;		/* not held */
	w.piece = 0;
	env_peerd(&env);
	ck_assert_int_eq(nsent, 3);
	s = to_peerd(0)->meta_send;
	ck_assert_int_eq(s->reject, 0);
	ck_assert_uint_eq(s->total_size, metalen);
	ck_assert_uint_eq(s->data.len, metalen - UTM_PIECE);
	ck_assert_int_eq(memcmp(s->data.data, meta + UTM_PIECE,
	    s->data.len), 0);
	ck_assert_int_eq(to_peerd(1)->meta_send->reject, 1);
	ck_assert_uint_eq(to_peerd(1)->meta_send->piece, 2);
	ck_assert_int_eq(to_peerd(2)->meta_send->reject, 1);
	serve_forget(99);
	/* btd breaking the bound is refused. */
	h.info.len = UTM_MAX_SIZE + 1;
	ck_assert_int_eq(serve_hold(&h), -1);
	h.info.len = 0;
	ck_assert_int_eq(serve_hold(&h), -1);
}
END_TEST

START_TEST(err_sizes_never_asked)
{
	static const int64_t bad[] = { -1, 0, 1LL << 31, UTM_MAX_SIZE + 1LL };
	uint32_t	peers[8], pieces[8];
	size_t		i;

	start(0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		offer((uint32_t)(10 + i), bad[i]);
	ck_assert_int_eq(asks(peers, pieces, 8), 0);
	offer(20, (int64_t)metalen);
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	ck_assert_uint_eq(peers[0], 20);
}
END_TEST

START_TEST(err_bad_pieces_dropped)
{
	uint8_t		 big[UTM_PIECE + 1];
	uint32_t	 peers[8], pieces[8], last;
	int		 i, n;

	start(0);
	last = utm_piece_len((uint32_t)metalen, 1);
	offer(1, (int64_t)metalen);
	offer(2, (int64_t)metalen);
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	ck_assert_uint_eq(peers[0], 1);
	memset(big, 1, sizeof(big));
	/* Data from a peer nobody asked: ignored, nobody dropped. */
	data(9, 0, big, UTM_PIECE, (uint32_t)metalen);
	ck_assert_int_eq(drops(9), 0);
	/* Short but not last: dropped, its pieces go to the other. */
	sent_clear();
	data(1, 0, big, UTM_PIECE - 1, (uint32_t)metalen);
	ck_assert_int_eq(drops(1), 1);
	n = asks(peers, pieces, 8);
	ck_assert_int_eq(n, 2);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(peers[i], 2);
	/* The last piece, one byte too long. */
	data(2, 1, big, last + 1, (uint32_t)metalen);
	ck_assert_int_eq(drops(2), 1);
	/* Another total size than offered. */
	sent_clear();
	offer(3, (int64_t)metalen);
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	data(3, 0, big, UTM_PIECE, (uint32_t)metalen + 1);
	ck_assert_int_eq(drops(3), 1);
	ck_assert_ptr_null(result());
}
END_TEST

START_TEST(err_wrong_hash)
{
	uint8_t		*junk;
	uint32_t	 peers[8], pieces[8];
	int		 i, n;

	start(0);
	offer(5, (int64_t)metalen);	/* the liar: asked both pieces */
	offer(6, (int64_t)metalen);
	junk = malloc(metalen);
	ck_assert_ptr_nonnull(junk);
	memset(junk, 0x77, metalen);
	n = asks(peers, pieces, 8);
	ck_assert_int_eq(n, 2);
	sent_clear();
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(peers[i], 5);
		data(5, pieces[i], junk + (size_t)pieces[i] * UTM_PIECE,
		    utm_piece_len((uint32_t)metalen, pieces[i]),
		    (uint32_t)metalen);
	}
	/* Its only sender is dropped; the other peer is asked alone. */
	ck_assert_int_eq(drops(5), 1);
	ck_assert_ptr_null(result());
	n = asks(peers, pieces, 8);
	ck_assert_int_eq(n, 2);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(peers[i], 6);
	good(6, 0);
	good(6, 1);
	ck_assert_ptr_nonnull(result());
	ck_assert_int_eq(result()->ok, 1);
	free(junk);
}
END_TEST

START_TEST(err_wrong_hash_mixed)
{
	Btd__MetaFetch	 f = BTD__META_FETCH__INIT;
	uint32_t	 peers[8], pieces[8];
	uint8_t		*junk;
	int		 i, n;

	/* Offers first, then the fetch: one piece of each peer. */
	tnum++;
	make_meta(0);
	sent_clear();
	offer(1, (int64_t)metalen);
	offer(2, (int64_t)metalen);
	f.torrent = tnum;
	f.info_hash.data = ih;
	f.info_hash.len = 20;
	ck_assert_int_eq(fetch_start(&f), 0);
	ck_assert_int_eq(asks(peers, pieces, 8), 2);
	ck_assert_uint_eq(peers[0], 1);
	ck_assert_uint_eq(pieces[0], 0);
	ck_assert_uint_eq(peers[1], 2);
	junk = malloc(metalen);
	ck_assert_ptr_nonnull(junk);
	memset(junk, 0x11, metalen);
	/* Peer 1 lies, peer 2 does not: two senders, strikes only. */
	sent_clear();
	data(1, 0, junk, UTM_PIECE, (uint32_t)metalen);
	good(2, 1);
	ck_assert_ptr_null(result());
	ck_assert_int_eq(drops(1) + drops(2), 0);
	/* Then one peer a try: peer 1 first (equal strikes), alone. */
	n = asks(peers, pieces, 8);
	ck_assert_int_eq(n, 2);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(peers[i], 1);
	sent_clear();
	data(1, 0, junk, UTM_PIECE, (uint32_t)metalen);
	data(1, 1, junk, utm_piece_len((uint32_t)metalen, 1),
	    (uint32_t)metalen);
	ck_assert_int_eq(drops(1), 1);
	ck_assert_int_eq(drops(2), 0);
	n = asks(peers, pieces, 8);
	ck_assert_int_eq(n, 2);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(peers[i], 2);
	good(2, 0);
	good(2, 1);
	ck_assert_ptr_nonnull(result());
	ck_assert_int_eq(result()->ok, 1);
	free(junk);
}
END_TEST

START_TEST(err_valid_hash_bad_info)
{
	const Btd__MetaResult	*r;

	start(1);	/* piece length 0, and its own SHA-1 as the hash */
	offer(1, (int64_t)metalen);
	good(1, 0);
	good(1, 1);
	r = result();
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->ok, 0);
	ck_assert_ptr_nonnull(strstr(r->error, "piece length"));
	ck_assert_ptr_null(r->torrent_desc);
}
END_TEST

static Suite *
fetch_suite(void)
{
	Suite	*s = suite_create("fetch");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, fetch_two_peers);
	tcase_add_test(core, fetch_spread);
	tcase_add_test(core, fetch_timeout);
	tcase_add_test(core, serve_pieces);
	tcase_add_test(errors, err_sizes_never_asked);
	tcase_add_test(errors, err_bad_pieces_dropped);
	tcase_add_test(errors, err_wrong_hash);
	tcase_add_test(errors, err_wrong_hash_mixed);
	tcase_add_test(errors, err_valid_hash_bad_info);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(fetch_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(meta);
	return failed ? 1 : 0;
}
