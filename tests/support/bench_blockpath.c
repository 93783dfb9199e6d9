/*
 * bench_blockpath.c -- stored's block path at full speed, in one
 * process: a fake peerd fills down slots (one memcpy, as recv() would)
 * and hands them over in batches; stored's own code copies, writes,
 * hashes, returns the slots and sends verdicts; durable reports come
 * after the flusher's fdatasync.  Prints MiB/s and CPU s/GiB, of the
 * whole process and of the event loop's thread (the fake peerd's share
 * included) apart from the hash and flush threads.
 *
 *   bench_blockpath DIR [MiB [check]]
 *
 * With "check", the data a previous run left in DIR is checked instead
 * (recheck set): the time to TorrentChecked, and how many pieces passed.
 *
 * Every piece holds the same random bytes, so that one hash serves all
 * and the generator costs nothing while the clock runs.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "peer_stored.pb-c.h"
#include "stored.pb-c.h"

#include "arena.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "stored/stored.h"

#define PL		(1U << 20)		/* piece length */
#define BLK		ARENA_SLOT_SIZE
#define BATCH		256			/* blocks per BlockWrite */

static struct event_base	*base;
static struct chan		*st_btd, *st_peer, *fk_btd, *fk_peer;
static struct arena		 down_st, up_st, down_pd, up_pd;
static uint8_t			*piece;
static uint32_t			 npieces, next_piece, next_off;
static uint32_t			 freeslots[ARENA_DOWN_SLOTS], nfree;
static uint32_t			 verified, bad, durable;
static int			 checked;
static uint32_t			 checked_have;

static void
st_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	const ProtobufCMessageDescriptor *d = arg;
	ProtobufCMessage *env;
	int rc;

	(void)why;
	if (buf == NULL)
		errx(1, "channel closed: %s", why);
	if ((env = msg_unpack(d, buf, len)) == NULL)
		errx(1, "does not decode");
	rc = d == &btd__stored_msg__descriptor ? stored_dispatch_btd(c, env) :
	    stored_dispatch_peerd(c, env);
	if (rc == -1)
		errx(1, "violation");
	msg_free(env);
}

/* The fake peerd: hand over as many blocks as there are free slots. */
static void
feed(void)
{
	static Btd__BlockRef	 r[BATCH], *rp[BATCH];
	Btd__BlockWrite		 bw = BTD__BLOCK_WRITE__INIT;
	int			 n;

	while (nfree > 0 && next_piece < npieces) {
		for (n = 0; n < BATCH && nfree > 0 && next_piece < npieces;
		    n++) {
			btd__block_ref__init(&r[n]);
			r[n].slot = freeslots[--nfree];
			r[n].torrent = 1;
			r[n].piece = next_piece;
			r[n].offset = next_off;
			r[n].length = BLK;
			memcpy(arena_slot(&down_pd, r[n].slot),
			    piece + next_off, BLK);
			rp[n] = &r[n];
			if ((next_off += BLK) == PL) {
				next_off = 0;
				next_piece++;
			}
		}
		bw.n_blocks = (size_t)n;
		bw.blocks = rp;
		if (MSG_SEND(fk_peer, Btd__PeerStoredMsg, PEER_STORED_MSG,
		    BLOCK_WRITE, block_write, &bw, -1) == -1)
			err(1, "send");
	}
}

static void
fk_peer_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	const Btd__PeerStoredMsg	*m;
	ProtobufCMessage		*env;
	size_t				 i;

	(void)c;
	(void)arg;
	if (buf == NULL)
		errx(1, "peer channel: %s", why);
	env = msg_unpack(&btd__peer_stored_msg__descriptor, buf, len);
	m = (const Btd__PeerStoredMsg *)(const void *)env;
	switch (m->body_case) {
	case BTD__PEER_STORED_MSG__BODY_SLOTS_FREE:
		for (i = 0; i < m->slots_free->n_slots; i++)
			freeslots[nfree++] = m->slots_free->slots[i];
		feed();
		break;
	case BTD__PEER_STORED_MSG__BODY_VERDICTS:
		for (i = 0; i < m->verdicts->n_verdicts; i++) {
			if (m->verdicts->verdicts[i]->ok)
				verified++;
			else
				bad++;
		}
		break;
	default:
		break;
	}
	msg_free(env);
}

static void
fk_btd_cb(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	const Btd__StoredMsg	*m;
	ProtobufCMessage	*env;

	(void)c;
	(void)arg;
	if (buf == NULL)
		errx(1, "btd channel: %s", why);
	env = msg_unpack(&btd__stored_msg__descriptor, buf, len);
	m = (const Btd__StoredMsg *)(const void *)env;
	if (m->body_case == BTD__STORED_MSG__BODY_CHECKED) {
		size_t i;

		for (i = 0; i < m->checked->have.len; i++)
			checked_have += (uint32_t)__builtin_popcount(
			    m->checked->have.data[i]);
		checked = 1;
	}
	else if (m->body_case == BTD__STORED_MSG__BODY_DURABLE)
		durable += (uint32_t)m->durable->n_pieces;
	else if (m->body_case == BTD__STORED_MSG__BODY_TORRENT_ERROR)
		errx(1, "torrent error: %s", m->torrent_error->error);
	msg_free(env);
}

static void
pair(struct chan **st, const ProtobufCMessageDescriptor *d, struct chan **fk,
    chan_cb fkcb)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	*st = chan_new(base, sv[0], "st", FRAME_MAX_BLOCK, st_cb,
	    (void *)(uintptr_t)d);
	*fk = chan_new(base, sv[1], "fk", FRAME_MAX_BLOCK, fkcb, NULL);
}

static void
mkarena(uint32_t slots, struct arena *st, struct arena *pd)
{
	char	 e[128];
	int	 fd = arena_memfd("bench", BLK, slots);

	if (fd == -1 || arena_map(fd, BLK, slots, 1, st, e, sizeof(e)) ||
	    arena_map(fd, BLK, slots, 1, pd, e, sizeof(e)))
		errx(1, "arena");
	close(fd);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int
main(int argc, char *argv[])
{
	Btd__StoredTorrentAdd	 ta = BTD__STORED_TORRENT_ADD__INIT;
	Btd__TorrentHashes	 th = BTD__TORRENT_HASHES__INIT;
	Btd__FileDesc		 f = BTD__FILE_DESC__INIT, *fp = &f;
	uint8_t			 ih[SHA1_LEN] = { 0 }, h[SHA1_LEN], *hashes;
	double			 t0, c0, m0, t1, c1, m1, mib;
	uint32_t		 i, done;

	if (argc < 2)
		errx(2, "usage: bench_blockpath DIR [MiB]");
	mib = argc > 2 ? atof(argv[2]) : 512;
	npieces = (uint32_t)mib;
	log_init("bench", 0);
	if ((piece = malloc(PL)) == NULL || (hashes = malloc((size_t)npieces *
	    SHA1_LEN)) == NULL)
		err(1, "malloc");
	srandom(1);
	for (i = 0; i < PL; i++)
		piece[i] = (uint8_t)random();
	EVP_Digest(piece, PL, h, NULL, EVP_sha1(), NULL);
	for (i = 0; i < npieces; i++)
		memcpy(hashes + (size_t)i * SHA1_LEN, h, SHA1_LEN);
	base = event_base_new();
	pair(&st_btd, &btd__stored_msg__descriptor, &fk_btd, fk_btd_cb);
	stored_init(base, st_btd);
	mkarena(ARENA_DOWN_SLOTS, &down_st, &down_pd);
	mkarena(ARENA_UP_SLOTS, &up_st, &up_pd);
	pair(&st_peer, &btd__peer_stored_msg__descriptor, &fk_peer,
	    fk_peer_cb);
	stored_link_up(st_peer, &down_st, &up_st);

	f.path = (char *)(uintptr_t)"bench.bin";
	f.length = (uint64_t)npieces * PL;
	ta.torrent = 1;
	ta.info_hash.data = ih;
	ta.info_hash.len = SHA1_LEN;
	ta.root = argv[1];
	ta.dir = (char *)(uintptr_t)"";
	ta.n_files = 1;
	ta.files = &fp;
	ta.piece_length = PL;
	ta.piece_count = npieces;
	ta.total_size = f.length;
	ta.recheck = argc > 3 && strcmp(argv[3], "check") == 0;
	t0 = now();
	c0 = cpu(RUSAGE_SELF);
	m0 = cpu(RUSAGE_THREAD);
	MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG, TORRENT_ADD, torrent_add,
	    &ta, -1);
	for (done = 0; done < npieces; done += STORED_HASHES_MSG_MAX) {
		th.torrent = 1;
		th.first = done;
		th.hashes.data = hashes + (size_t)done * SHA1_LEN;
		th.hashes.len = (size_t)(npieces - done <
		    STORED_HASHES_MSG_MAX ? npieces - done :
		    STORED_HASHES_MSG_MAX) * SHA1_LEN;
		MSG_SEND(fk_btd, Btd__StoredMsg, STORED_MSG, TORRENT_HASHES,
		    torrent_hashes, &th, -1);
	}
	while (!checked)
		event_base_loop(base, EVLOOP_ONCE);
	if (ta.recheck) {
		t1 = now();
		c1 = cpu(RUSAGE_SELF);
		m1 = cpu(RUSAGE_THREAD);
		printf("check of %u MiB: %.3f s, %.0f MiB/s, %.2f CPU s/GiB "
		    "(event loop %.2f), %u of %u pieces\n", npieces, t1 - t0,
		    npieces / (t1 - t0), (c1 - c0) / (npieces / 1024.0),
		    (m1 - m0) / (npieces / 1024.0), checked_have, npieces);
		return checked_have != npieces;
	}
	for (i = 0; i < ARENA_DOWN_SLOTS; i++)
		freeslots[nfree++] = i;
	t0 = now();
	c0 = cpu(RUSAGE_SELF);
	m0 = cpu(RUSAGE_THREAD);
	feed();
	while (verified + bad < npieces)
		event_base_loop(base, EVLOOP_ONCE);
	t1 = now();
	c1 = cpu(RUSAGE_SELF);
	m1 = cpu(RUSAGE_THREAD);
	printf("%u MiB: %.3f s, %.0f MiB/s, %.2f CPU s/GiB (event loop "
	    "%.2f), %u bad\n", npieces, t1 - t0, npieces / (t1 - t0),
	    (c1 - c0) / (npieces / 1024.0), (m1 - m0) / (npieces / 1024.0),
	    bad);
	while (durable < verified)
		event_base_loop(base, EVLOOP_ONCE);
	printf("durable after %.3f s\n", now() - t0);
	return bad != 0;
}
