/*
 * check_slots.c -- the arena slot accounting of the block path, peerd's
 * side (peerd/peerd_block.c), over a real channel and real sealed
 * arenas: slots taken and handed over in one BlockWrite per turn of the
 * loop, given back by SlotsFree; room for requests; up slots through
 * BlockRead and ReadDone; verdicts and TorrentHave; and stored breaking
 * the protocol (a slot it does not hold, out of range, a bad bitfield).
 * When the link goes every slot comes back.
 *
 * The rest of peerd (connections, dispatch of btd) is replaced by the
 * stubs below, which record what the block path asked of it.
 */
#include <sys/socket.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "peer_stored.pb-c.h"
#include "arena.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "peerd/peerd.h"

#define NDOWN	64
#define NUP	4
#define PLEN	(2 * PEERD_BLOCK)

/* ---- stubs of the rest of peerd ---- */

struct torrent_list	 torrents = TAILQ_HEAD_INITIALIZER(torrents);
struct peer_list	 conn_peers = TAILQ_HEAD_INITIALIZER(conn_peers);
static struct arena	 adown, aup;
static int		 n_ready, n_have, n_failed, n_pending, n_fill;
static uint32_t		 last_have;

const struct arena *
role_peer_arena(int peer, int which)
{
	(void)peer;
	return which == BTD__ARENA__ARENA_DOWN ? &adown : &aup;
}

struct torrent *
torrent_find(uint32_t id)
{
	struct torrent *t;

	TAILQ_FOREACH(t, &torrents, entry)
		if (t->id == id)
			return t;
	return NULL;
}

uint64_t peerd_now_ms(void) { return 1000; }
int peerd_pending_have(uint32_t t, const uint8_t *b, size_t l)
{ (void)t; (void)b; (void)l; n_pending++; return 0; }
void conn_close(struct peer *p, const char *w) { (void)w; p->dead = 1; }
void conn_fill_all(void) { n_fill++; }
void conn_hungry_del(struct peer *p) { (void)p; }
void conn_process(struct peer *p) { (void)p; }
void conn_read_on(struct peer *p) { (void)p; }
void conn_read_off(struct peer *p) { (void)p; }
int conn_send_block(struct peer *p, int id, uint32_t a, uint32_t b,
    uint32_t c) { (void)p; (void)id; (void)a; (void)b; (void)c; return 0; }
void conn_torrent_close(struct torrent *t) { (void)t; }
void conn_torrent_ready(struct torrent *t) { (void)t; n_ready++; }
void conn_piece_have(struct torrent *t, uint32_t piece)
{ (void)t; n_have++; last_have = piece; }
void conn_piece_failed(struct torrent *t, const uint32_t *i, size_t n)
{ (void)t; (void)i; (void)n; n_failed++; }
void conn_piece_good(struct torrent *t, const uint32_t *i, size_t n)
{ (void)t; (void)i; (void)n; }
int rate_on;
uint32_t rate_upq(const struct peer *p) { (void)p; return PEERD_UPQ_MAX; }

/* ---- the fixture ---- */

static struct event_base	*base;
static struct chan		*c;	/* peerd's end */
static int			 sfd;	/* stored's end */
static struct torrent		 tor;
static int			 last_rc;

static void
on_frame(struct chan *ch, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	ProtobufCMessage *env;

	(void)why;
	(void)arg;
	if (buf == NULL)
		return;
	env = msg_unpack(&btd__peer_stored_msg__descriptor, buf, len);
	ck_assert_ptr_nonnull(env);
	last_rc = peerd_dispatch_stored(ch, env);
	msg_free(env);
}

static void
turn(void)
{
	int i;

	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* What peerd sent stored: the next frame, decoded. */
static Btd__PeerStoredMsg *
from_peerd(void)
{
	uint8_t	*buf;
	size_t	 len;

	turn();
	ck_assert_int_eq(frame_read(sfd, FRAME_MAX_BLOCK, 1000, &buf, &len),
	    1);
	Btd__PeerStoredMsg *m = (Btd__PeerStoredMsg *)(void *)msg_unpack(
	    &btd__peer_stored_msg__descriptor, buf, len);
	free(buf);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Send env as stored and let peerd dispatch it; its handler's result. */
static int
to_peerd(Btd__PeerStoredMsg *env)
{
	uint8_t	buf[4096];
	size_t	len = protobuf_c_message_pack(&env->base, buf);

	last_rc = 99;
	ck_assert_int_eq(frame_write(sfd, buf, len, -1), 0);
	turn();
	return last_rc;
}

static int
slots_free(const uint32_t *slots, size_t n)
{
	Btd__PeerStoredMsg	 env = BTD__PEER_STORED_MSG__INIT;
	Btd__SlotsFree		 sf = BTD__SLOTS_FREE__INIT;

	sf.slots = (uint32_t *)(uintptr_t)slots;
	sf.n_slots = n;
	env.body_case = BTD__PEER_STORED_MSG__BODY_SLOTS_FREE;
	env.slots_free = &sf;
	return to_peerd(&env);
}

static int
have(const uint8_t *bits, size_t len, uint32_t torrent)
{
	Btd__PeerStoredMsg	 env = BTD__PEER_STORED_MSG__INIT;
	Btd__TorrentHave	 h = BTD__TORRENT_HAVE__INIT;

	h.torrent = torrent;
	h.bitfield.data = (uint8_t *)(uintptr_t)bits;
	h.bitfield.len = len;
	env.body_case = BTD__PEER_STORED_MSG__BODY_HAVE;
	env.have = &h;
	return to_peerd(&env);
}

static void
setup(void)
{
	char	 err[128];
	int	 sv[2], fd;

	log_init("check_slots", 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	base = event_base_new();
	c = chan_new(base, sv[0], "stored", FRAME_MAX_BLOCK, on_frame, NULL);
	sfd = sv[1];
	fd = arena_memfd("down", PEERD_BLOCK, NDOWN);
	ck_assert_int_eq(arena_map(fd, PEERD_BLOCK, NDOWN, 1, &adown, err,
	    sizeof(err)), 0);
	close(fd);
	fd = arena_memfd("up", PEERD_BLOCK, NUP);
	ck_assert_int_eq(arena_map(fd, PEERD_BLOCK, NUP, 1, &aup, err,
	    sizeof(err)), 0);
	close(fd);
	memset(&tor, 0, sizeof(tor));
	tor.id = 5;
	tor.npieces = 4;
	tor.piece_length = PLEN;
	tor.total_size = 4 * PLEN;
	tor.pick = pick_new(4, PLEN, 4 * PLEN);
	tor.bitfield = calloc(1, 1);
	TAILQ_INIT(&tor.peers);
	TAILQ_INSERT_TAIL(&torrents, &tor, entry);
	n_ready = n_have = n_failed = n_pending = n_fill = 0;
	block_init(base);
	block_stored_up(c);
	ck_assert_int_eq(block_link_up(), 1);
}

static void
teardown(void)
{
	block_stored_down();
	TAILQ_REMOVE(&torrents, &tor, entry);
	pick_free(tor.pick);
	free(tor.bitfield);
	chan_free(c);
	close(sfd);
	arena_unmap(&adown);
	arena_unmap(&aup);
	event_base_free(base);
}

START_TEST(down_round_trip)
{
	Btd__PeerStoredMsg	*m;
	int			 s[NDOWN], i;
	uint32_t		 back[3];

	ck_assert_int_eq(block_room(), NDOWN - PEERD_SLOTS_LOW);
	for (i = 0; i < NDOWN; i++) {
		s[i] = block_down_take();
		ck_assert_int_ge(s[i], 0);
		ck_assert_int_lt(s[i], NDOWN);
	}
	ck_assert_int_eq(block_down_take(), -1);	/* none left */
	ck_assert_int_eq(block_room(), 0);
	ck_assert_int_eq(block_down_low(), 1);
	for (i = 3; i < NDOWN; i++)
		block_down_release(s[i]);
	/* Three blocks in one turn: one BlockWrite of three. */
	memset(block_down_ptr(s[0]), 'a', PEERD_BLOCK);
	block_down_put(s[0], 5, 1, 0, PEERD_BLOCK);
	block_down_put(s[1], 5, 1, PEERD_BLOCK, PEERD_BLOCK);
	block_down_put(s[2], 5, 3, 0, 100);
	m = from_peerd();
	ck_assert_int_eq(m->body_case, BTD__PEER_STORED_MSG__BODY_BLOCK_WRITE);
	ck_assert_uint_eq(m->block_write->n_blocks, 3);
	ck_assert_uint_eq(m->block_write->blocks[0]->slot, (uint32_t)s[0]);
	ck_assert_uint_eq(m->block_write->blocks[0]->torrent, 5);
	ck_assert_uint_eq(m->block_write->blocks[1]->offset, PEERD_BLOCK);
	ck_assert_uint_eq(m->block_write->blocks[2]->piece, 3);
	ck_assert_uint_eq(m->block_write->blocks[2]->length, 100);
	/* The bytes are in the shared memory stored maps. */
	ck_assert_uint_eq(arena_slot(&adown, (uint32_t)s[0])[100], 'a');
	msg_free(&m->base);
	ck_assert_int_eq(block_room(), NDOWN - 3 - PEERD_SLOTS_LOW);
	/* stored gives them back. */
	back[0] = (uint32_t)s[0];
	back[1] = (uint32_t)s[1];
	back[2] = (uint32_t)s[2];
	ck_assert_int_eq(slots_free(back, 3), 0);
	ck_assert_int_eq(block_room(), NDOWN - PEERD_SLOTS_LOW);
	ck_assert_int_ge(n_fill, 1);	/* requests may go out again */
}
END_TEST

START_TEST(requests_take_room)
{
	struct pick_peer	 pp;
	struct pick_req		 r;
	int			 i;

	/* Requests in flight count against the free slots. */
	ck_assert_int_eq(pick_peer_init(tor.pick, &pp, NULL, 1), 0);
	pick_peer_have_all(&pp);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(pick_next(&pp, 0, &r), 1);
	ck_assert_int_eq(block_room(), NDOWN - 5 - PEERD_SLOTS_LOW);
	pick_peer_free(&pp);
	ck_assert_int_eq(block_room(), NDOWN - PEERD_SLOTS_LOW);
}
END_TEST

START_TEST(up_round_trip)
{
	Btd__PeerStoredMsg	 env = BTD__PEER_STORED_MSG__INIT;
	Btd__ReadDone		 rd = BTD__READ_DONE__INIT;
	Btd__ReadResult		 res = BTD__READ_RESULT__INIT, *rp = &res;
	Btd__PeerStoredMsg	*m;
	struct peer		*p;
	int			 i;

	p = calloc(1, sizeof(*p));
	p->t = &tor;
	p->wev = event_new(base, -1, 0, NULL, NULL);
	for (i = 0; i < NUP; i++)
		ck_assert_int_eq(block_read(p, 5, 0, 0, PEERD_BLOCK), 0);
	ck_assert_int_eq(block_read(p, 5, 0, 0, PEERD_BLOCK), -1);
	ck_assert_int_eq(block_up_room(), 0);
	m = from_peerd();
	ck_assert_int_eq(m->body_case, BTD__PEER_STORED_MSG__BODY_BLOCK_READ);
	ck_assert_uint_eq(m->block_read->n_blocks, NUP);
	res.slot = m->block_read->blocks[0]->slot;
	msg_free(&m->base);
	/* One comes back filled: it waits in the peer's send queue. */
	p->nreads = NUP;
	res.ok = 1;
	rd.results = &rp;
	rd.n_results = 1;
	env.body_case = BTD__PEER_STORED_MSG__BODY_READ_DONE;
	env.read_done = &rd;
	ck_assert_int_eq(to_peerd(&env), 0);
	ck_assert_uint_eq(p->nup, 1);
	ck_assert_uint_eq(p->upq[0].slot, res.slot);
	ck_assert_uint_eq(p->nreads, NUP - 1);
	/* Twice the same slot: stored does not hold it any more. */
	ck_assert_int_eq(to_peerd(&env), -1);
	/* Sent: the slot is free again. */
	block_up_free(res.slot);
	ck_assert_int_eq(block_up_room(), 1);
	block_peer_gone(p);
	event_free(p->wev);
	free(p);
}
END_TEST

START_TEST(verdicts_and_have)
{
	Btd__PeerStoredMsg	 env = BTD__PEER_STORED_MSG__INIT;
	Btd__PieceVerdicts	 pv = BTD__PIECE_VERDICTS__INIT;
	Btd__PieceVerdict	 v[2], *vp[2];
	const uint8_t		 bits = 0x80;	/* piece 0 */

	ck_assert_int_eq(have(&bits, 1, 5), 0);
	ck_assert_int_eq(tor.ready, 1);
	ck_assert_int_eq(n_ready, 1);
	ck_assert_int_eq(pick_has(tor.pick, 0), 1);
	ck_assert_int_eq(pick_has(tor.pick, 1), 0);
	/* Before its TorrentAdd: kept for later, not an error. */
	ck_assert_int_eq(have(&bits, 1, 77), 0);
	ck_assert_int_eq(n_pending, 1);
	btd__piece_verdict__init(&v[0]);
	btd__piece_verdict__init(&v[1]);
	v[0].torrent = 5;
	v[0].piece = 2;
	v[0].ok = 1;
	v[1].torrent = 5;
	v[1].piece = 3;
	v[1].ok = 0;
	vp[0] = &v[0];
	vp[1] = &v[1];
	pv.verdicts = vp;
	pv.n_verdicts = 2;
	env.body_case = BTD__PEER_STORED_MSG__BODY_VERDICTS;
	env.verdicts = &pv;
	ck_assert_int_eq(to_peerd(&env), 0);
	ck_assert_int_eq(n_have, 1);
	ck_assert_uint_eq(last_have, 2);
	ck_assert_uint_eq(tor.bitfield[0], 0xa0);	/* pieces 0 and 2 */
	ck_assert_int_eq(n_failed, 1);
	ck_assert_uint_eq(tor.d_wasted, PLEN);
}
END_TEST

START_TEST(link_down_takes_all_back)
{
	int	 i, s;

	for (i = 0; i < 10; i++)
		block_down_put(block_down_take(), 5, 1, 0, PEERD_BLOCK);
	turn();
	block_stored_down();
	ck_assert_int_eq(block_link_up(), 0);
	ck_assert_int_eq(block_down_take(), -1);
	ck_assert_int_eq(block_room(), 0);
	/* A new generation: every slot is peerd's again. */
	block_stored_up(c);
	for (i = 0; i < NDOWN; i++) {
		s = block_down_take();
		ck_assert_int_ge(s, 0);
	}
	ck_assert_int_eq(block_down_take(), -1);
}
END_TEST

/* ---- errors: stored breaking the protocol ---- */

START_TEST(err_free_not_held)
{
	uint32_t	 s;
	int		 t;

	/* A slot peerd still has. */
	s = (uint32_t)block_down_take();
	ck_assert_int_eq(slots_free(&s, 1), -1);
	block_down_release((int)s);
	/* A slot nobody took. */
	ck_assert_int_eq(slots_free(&s, 1), -1);
	/* Out of range. */
	s = NDOWN;
	ck_assert_int_eq(slots_free(&s, 1), -1);
	/* Freed twice. */
	t = block_down_take();
	block_down_put(t, 5, 0, 0, PEERD_BLOCK);
	msg_free(&from_peerd()->base);
	s = (uint32_t)t;
	ck_assert_int_eq(slots_free(&s, 1), 0);
	ck_assert_int_eq(slots_free(&s, 1), -1);
}
END_TEST

START_TEST(err_bad_have)
{
	uint8_t bits[2] = { 0x08, 0 };

	/* 4 pieces: the low nibble is spare. */
	ck_assert_int_eq(have(bits, 1, 5), -1);
	ck_assert_int_eq(have(bits, 2, 5), -1);
	ck_assert_int_eq(tor.ready, 0);
}
END_TEST

START_TEST(err_read_done_unknown)
{
	Btd__PeerStoredMsg	 env = BTD__PEER_STORED_MSG__INIT;
	Btd__ReadDone		 rd = BTD__READ_DONE__INIT;
	Btd__ReadResult		 res = BTD__READ_RESULT__INIT, *rp = &res;

	res.slot = 1;
	res.ok = 1;
	rd.results = &rp;
	rd.n_results = 1;
	env.body_case = BTD__PEER_STORED_MSG__BODY_READ_DONE;
	env.read_done = &rd;
	ck_assert_int_eq(to_peerd(&env), -1);
	res.slot = 1000;
	ck_assert_int_eq(to_peerd(&env), -1);
}
END_TEST

static Suite *
slots_suite(void)
{
	Suite	*s = suite_create("slots");
	TCase	*core = tcase_create("core");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, down_round_trip);
	tcase_add_test(core, requests_take_room);
	tcase_add_test(core, up_round_trip);
	tcase_add_test(core, verdicts_and_have);
	tcase_add_test(core, link_down_takes_all_back);
	tcase_add_test(errors, err_free_not_held);
	tcase_add_test(errors, err_bad_have);
	tcase_add_test(errors, err_read_done_unknown);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(slots_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
