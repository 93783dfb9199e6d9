/*
 * peerd_harness.c -- runs one real peerd and plays btd and stored for
 * it, so that peerd can be tested against real BitTorrent clients
 * before the rest of btd exists around it.
 *
 *   peerd_harness -e PEERD -t TORRENT -f FILE -p PORT [-s] [-S]
 *       [-P ADDR:PORT]... [-o KEY=VALUE]... [-T SECONDS] [-v]
 *
 * As btd it answers peerd's Hello, sends Config (peer_id, peer_port),
 * the two arenas of the block path (arena_memfd), the stored channel
 * and a TorrentAdd of the (single-file) torrent with the -P peers.  As
 * stored it answers the block path: it copies each BlockWrite slot into
 * a piece buffer, frees the slots, hashes complete pieces (SHA-1),
 * sends the verdicts and writes good pieces to FILE; it serves
 * BlockReads from FILE.
 *
 * Leeching (default): exits 0 once every piece is verified and written,
 * printing the time taken, and peerd's CPU time; 1 on timeout.
 * Seeding (-s): FILE is complete; runs until -T seconds pass or -u
 * bytes were uploaded, and prints what was uploaded.  -S confines peerd
 * with the peerd sandbox as btd would.  -x N: corrupt every block of
 * the first N pieces as received (to see them fail and come again).
 * -R N: once N pieces are verified, close the stored link and attach a
 * new generation with new arenas, as btd does when stored restarts
 * (what was not verified is forgotten; what was must not come again).
 * -Z N: once N pieces are verified, stop reading the stored link for
 * three seconds, as a stalled stored would, and print peerd's memory.
 * -C: play trackerd too, and give the -P peers as Candidates on that
 * channel instead of in the TorrentAdd; print WantPeers and
 * ConnectResult as they come.  -q: once a second, and when half the
 * pieces are in, QueryPeers, and print the PeersReply.  -o KEY=VALUE:
 * one more setting in the Config (peer_ports_privileged=allow).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/sha.h>

#include "common.pb-c.h"
#include "peer_stored.pb-c.h"
#include "peer_trackerd.pb-c.h"
#include "peerd.pb-c.h"
#include "arena.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "metainfo.h"
#include "msg.h"
#include "role.h"
#include "sandbox.h"
#include "util.h"

#define MAX_PEERS	16
#define MAX_OPTS	4	/* -o settings */

struct piecebuf {
	uint8_t		*buf;
	uint32_t	 got;		/* bytes received */
	uint8_t		*blocks;	/* one byte per block: received */
};

static struct event_base	*base;
static struct chan		*btd_c, *stored_c;
static struct metainfo		*mi;
static struct arena		 down, up;
static int			 down_fd, up_fd, file_fd;
static struct piecebuf		*pieces;
static uint8_t			*have;
static uint32_t			 nhave;
static int			 seeding, confine, verbose, corrupt;
static uint16_t			 port;
static char			*peers[MAX_PEERS];
static int			 npeers;
static char			*opt_key[MAX_OPTS], *opt_val[MAX_OPTS];
static int			 nopts;
static uint64_t			 start_ms, uploaded, upload_goal;
static uint64_t			 downloaded, wasted, failed_pieces;
static int			 result = 1;
static int			 play_trackerd, query;
static struct chan		*trackerd_c;
static Btd__PeerAddr		 cand_pa[MAX_PEERS], *cand_pap[MAX_PEERS];
static struct event		*query_ev;
static pid_t			 peerd_pid;
static uint32_t			 restart_after, stall_after;
static int			 restarted, stalled;
static uint64_t			 generation = 1;
static uint64_t			 again;		/* verified pieces received again */
static struct event		*restart_ev, *stall_ev;

static void	stored_read(struct chan *, const uint8_t *, size_t,
		    const char *, void *);
static void	attach_stored(void);
static void	attach_trackerd(void);
static void	query_cb(evutil_socket_t, short, void *);

static void
usage(void)
{
	fprintf(stderr, "usage: peerd_harness -e peerd -t torrent -f file "
	    "-p port [-CqsS] [-u bytes] [-x n] [-R n] [-Z n] "
	    "[-P addr:port]... [-o key=value]... [-T seconds] [-v]\n");
	exit(2);
}

static uint32_t
piece_len(uint32_t i)
{
	if (i + 1 == mi->piece_count)
		return (uint32_t)(mi->total_size - (uint64_t)i *
		    mi->piece_length);
	return (uint32_t)mi->piece_length;
}

static void
finish(int code)
{
	result = code;
	event_base_loopbreak(base);
}

/* VmRSS and VmHWM of peerd, from /proc. */
static const char *
peerd_mem(void)
{
	static char	 out[128];
	char		 path[64], line[128];
	FILE		*f;
	size_t		 n = 0;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)peerd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return "?";
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0 ||
		    strncmp(line, "VmHWM:", 6) == 0 ||
		    strncmp(line, "RssAnon:", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s ",
			    line);
			if (n >= sizeof(out))
				break;
		}
	fclose(f);
	return out;
}

static void
stall_end(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	printf("stall over: peerd %s\n", peerd_mem());
	chan_pause(stored_c, 0);
}

/* As btd does when stored restarts: a new generation of the link. */
static void
restart_cb(evutil_socket_t fd, short ev, void *arg)
{
	uint32_t i;

	(void)fd;
	(void)ev;
	(void)arg;
	printf("restart of the stored link after %u pieces\n", nhave);
	chan_free(stored_c);
	stored_c = NULL;
	arena_unmap(&down);
	arena_unmap(&up);
	close(down_fd);
	close(up_fd);
	/* stored forgets the blocks of pieces it had not verified. */
	for (i = 0; i < mi->piece_count; i++) {
		free(pieces[i].buf);
		free(pieces[i].blocks);
		memset(&pieces[i], 0, sizeof(pieces[i]));
	}
	generation++;
	attach_stored();
}

/* ---- as stored ---- */

static void
send_have(void)
{
	Btd__TorrentHave h = BTD__TORRENT_HAVE__INIT;

	h.torrent = 1;
	h.bitfield.data = have;
	h.bitfield.len = (mi->piece_count + 7) / 8;
	if (MSG_SEND(stored_c, Btd__PeerStoredMsg, PEER_STORED_MSG, HAVE,
	    have, &h, -1) == -1)
		err(1, "TorrentHave");
}

static void
on_block_write(const Btd__BlockWrite *bw)
{
	Btd__SlotsFree		 sf = BTD__SLOTS_FREE__INIT;
	Btd__PieceVerdicts	 pv = BTD__PIECE_VERDICTS__INIT;
	Btd__PieceVerdict	*v, **vp;
	uint32_t		*slots;
	size_t			 i, nv = 0;
	uint8_t			 md[20];

	slots = calloc(bw->n_blocks, sizeof(*slots));
	v = calloc(bw->n_blocks, sizeof(*v));
	vp = calloc(bw->n_blocks, sizeof(*vp));
	if (slots == NULL || v == NULL || vp == NULL)
		err(1, "calloc");
	for (i = 0; i < bw->n_blocks; i++) {
		const Btd__BlockRef	*r = bw->blocks[i];
		struct piecebuf		*pb;
		uint32_t		 pl, b;

		if (r->slot >= down.slots || r->torrent != 1 ||
		    r->piece >= mi->piece_count || r->length == 0 ||
		    r->length > ARENA_SLOT_SIZE ||
		    r->offset + r->length > piece_len(r->piece) ||
		    r->offset % ARENA_SLOT_SIZE != 0)
			errx(1, "bad BlockRef slot %u piece %u off %u len %u",
			    r->slot, r->piece, r->offset, r->length);
		slots[i] = r->slot;
		pl = piece_len(r->piece);
		if (have[r->piece / 8] & (0x80 >> (r->piece % 8))) {
			wasted += r->length;
			if (restarted)
				again += r->length;
			continue;
		}
		pb = &pieces[r->piece];
		if (pb->buf == NULL) {
			pb->buf = malloc(pl);
			pb->blocks = calloc(pl / ARENA_SLOT_SIZE + 1, 1);
			if (pb->buf == NULL || pb->blocks == NULL)
				err(1, "malloc");
		}
		b = r->offset / ARENA_SLOT_SIZE;
		memcpy(pb->buf + r->offset, arena_slot(&down, r->slot),
		    r->length);
		if (corrupt > 0 && r->piece < (uint32_t)corrupt)
			pb->buf[r->offset] ^= 0xff;
		if (pb->blocks[b]) {
			wasted += r->length;
			continue;
		}
		pb->blocks[b] = 1;
		pb->got += r->length;
		downloaded += r->length;
		if (pb->got < pl)
			continue;
		SHA1(pb->buf, pl, md);
		btd__piece_verdict__init(&v[nv]);
		v[nv].torrent = 1;
		v[nv].piece = r->piece;
		v[nv].ok = memcmp(md, mi->pieces + 20 * r->piece, 20) == 0;
		if (v[nv].ok) {
			if (pwrite(file_fd, pb->buf, pl, (off_t)r->piece *
			    (off_t)mi->piece_length) != (ssize_t)pl)
				err(1, "pwrite");
			have[r->piece / 8] |= (uint8_t)(0x80 >>
			    (r->piece % 8));
			nhave++;
		} else {
			failed_pieces++;
			if (corrupt > 0 && r->piece < (uint32_t)corrupt)
				corrupt = (int)r->piece;	/* once each */
		}
		vp[nv] = &v[nv];
		nv++;
		free(pb->buf);
		free(pb->blocks);
		pb->buf = NULL;
		pb->blocks = NULL;
		pb->got = 0;
	}
	sf.n_slots = bw->n_blocks;
	sf.slots = slots;
	if (MSG_SEND(stored_c, Btd__PeerStoredMsg, PEER_STORED_MSG,
	    SLOTS_FREE, slots_free, &sf, -1) == -1)
		err(1, "SlotsFree");
	if (nv > 0) {
		pv.n_verdicts = nv;
		pv.verdicts = vp;
		if (MSG_SEND(stored_c, Btd__PeerStoredMsg, PEER_STORED_MSG,
		    VERDICTS, verdicts, &pv, -1) == -1)
			err(1, "PieceVerdicts");
	}
	free(slots);
	free(v);
	free(vp);
	if (query == 1 && nhave >= mi->piece_count / 2) {
		/* Half way, while the seeders are still connected. */
		query = 2;
		query_cb(-1, 0, NULL);
	}
	if (restart_after && !restarted && nhave >= restart_after) {
		restarted = 1;
		event_active(restart_ev, EV_TIMEOUT, 0);
	}
	if (stall_after && !stalled && nhave >= stall_after) {
		struct timeval tv = { 3, 0 };

		stalled = 1;
		chan_pause(stored_c, 1);
		printf("stall: peerd %s\n", peerd_mem());
		evtimer_add(stall_ev, &tv);
	}
	if (!seeding && nhave == mi->piece_count) {
		uint64_t ms = util_now_ms() - start_ms;

		printf("done %llu bytes in %.3f s (%.1f MiB/s), wasted %llu,"
		    " failed pieces %llu, verified pieces again %llu\n",
		    (unsigned long long)mi->total_size, ms / 1000.0,
		    ms ? mi->total_size / 1048576.0 / (ms / 1000.0) : 0,
		    (unsigned long long)wasted,
		    (unsigned long long)failed_pieces,
		    (unsigned long long)again);
		finish(0);
	}
}

static void
on_block_read(const Btd__BlockRead *br)
{
	Btd__ReadDone	  rd = BTD__READ_DONE__INIT;
	Btd__ReadResult	 *res, **rp;
	size_t		  i;

	res = calloc(br->n_blocks, sizeof(*res));
	rp = calloc(br->n_blocks, sizeof(*rp));
	if (res == NULL || rp == NULL)
		err(1, "calloc");
	for (i = 0; i < br->n_blocks; i++) {
		const Btd__BlockRef *r = br->blocks[i];

		if (r->slot >= up.slots || r->length > ARENA_SLOT_SIZE)
			errx(1, "bad BlockRead");
		btd__read_result__init(&res[i]);
		res[i].slot = r->slot;
		res[i].ok = r->torrent == 1 && r->piece < mi->piece_count &&
		    (have[r->piece / 8] & (0x80 >> (r->piece % 8))) &&
		    r->offset + r->length <= piece_len(r->piece) &&
		    pread(file_fd, arena_slot(&up, r->slot), r->length,
		    (off_t)r->piece * (off_t)mi->piece_length + r->offset) ==
		    (ssize_t)r->length;
		if (res[i].ok)
			uploaded += r->length;
		rp[i] = &res[i];
	}
	rd.n_results = br->n_blocks;
	rd.results = rp;
	if (MSG_SEND(stored_c, Btd__PeerStoredMsg, PEER_STORED_MSG, READ_DONE,
	    read_done, &rd, -1) == -1)
		err(1, "ReadDone");
	free(res);
	free(rp);
	if (upload_goal && uploaded >= upload_goal) {
		printf("uploaded %llu bytes in %.3f s\n",
		    (unsigned long long)uploaded,
		    (util_now_ms() - start_ms) / 1000.0);
		finish(0);
	}
}

static void
stored_read(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	ProtobufCMessage		*env;
	const Btd__PeerStoredMsg	*m;

	(void)arg;
	if (buf == NULL) {
		warnx("stored channel: %s", why);
		finish(1);
		return;
	}
	if ((env = msg_unpack(&btd__peer_stored_msg__descriptor, buf,
	    len)) == NULL)
		errx(1, "stored channel: bad message");
	m = (const Btd__PeerStoredMsg *)(const void *)env;
	switch (m->body_case) {
	case BTD__PEER_STORED_MSG__BODY_PING: {
		Btd__Pong p = BTD__PONG__INIT;

		p.nonce = m->ping->nonce;
		(void)msg_send_common(c, &btd__peer_stored_msg__descriptor,
		    MSG_PONG, &p.base, -1);
		break;
	}
	case BTD__PEER_STORED_MSG__BODY_PONG:
		send_have();
		break;
	case BTD__PEER_STORED_MSG__BODY_BLOCK_WRITE:
		on_block_write(m->block_write);
		break;
	case BTD__PEER_STORED_MSG__BODY_BLOCK_READ:
		on_block_read(m->block_read);
		break;
	default:
		errx(1, "stored channel: unexpected body %d", m->body_case);
	}
	msg_free(env);
}

/* ---- as trackerd ---- */

static void
trackerd_read(struct chan *c, const uint8_t *buf, size_t len,
    const char *why, void *arg)
{
	ProtobufCMessage		*env;
	const Btd__PeerTrackerdMsg	*m;

	(void)arg;
	if (buf == NULL) {
		warnx("trackerd channel: %s", why);
		return;
	}
	if ((env = msg_unpack(&btd__peer_trackerd_msg__descriptor, buf,
	    len)) == NULL)
		errx(1, "trackerd channel: bad message");
	m = (const Btd__PeerTrackerdMsg *)(const void *)env;
	switch (m->body_case) {
	case BTD__PEER_TRACKERD_MSG__BODY_PING: {
		Btd__Pong p = BTD__PONG__INIT;

		p.nonce = m->ping->nonce;
		(void)msg_send_common(c, &btd__peer_trackerd_msg__descriptor,
		    MSG_PONG, &p.base, -1);
		break;
	}
	case BTD__PEER_TRACKERD_MSG__BODY_PONG:
		break;
	case BTD__PEER_TRACKERD_MSG__BODY_WANT_PEERS: {
		Btd__Candidates ca = BTD__CANDIDATES__INIT;

		printf("want_peers %u\n", m->want_peers->count);
		ca.info_hash.data = mi->info_hash;
		ca.info_hash.len = 20;
		ca.peers = cand_pap;
		ca.n_peers = (size_t)npeers;
		ca.source = (char *)(uintptr_t)"tracker";
		if (MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG,
		    CANDIDATES, candidates, &ca, -1) == -1)
			err(1, "Candidates");
		break;
	}
	case BTD__PEER_TRACKERD_MSG__BODY_CONNECT_RESULT:
		printf("connect_result %s %u ok %d %s\n",
		    m->connect_result->peer->addr,
		    m->connect_result->peer->port, m->connect_result->ok,
		    m->connect_result->result);
		break;
	default:
		errx(1, "trackerd channel: unexpected body %d", m->body_case);
	}
	msg_free(env);
}

static void
attach_trackerd(void)
{
	Btd__ChannelAttach	 ca = BTD__CHANNEL_ATTACH__INIT;
	Btd__Ping		 p = BTD__PING__INIT;
	int			 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	ca.peer = BTD__ROLE__TRACKERD;
	ca.generation = 1;
	(void)msg_send_common(btd_c, &btd__peerd_msg__descriptor, MSG_ATTACH,
	    &ca.base, sv[1]);
	close(sv[1]);
	trackerd_c = chan_new(base, sv[0], "trackerd", FRAME_MAX_ROLE,
	    trackerd_read, NULL);
	if (trackerd_c == NULL)
		err(1, "chan_new");
	p.nonce = 43;
	(void)msg_send_common(trackerd_c,
	    &btd__peer_trackerd_msg__descriptor, MSG_PING, &p.base, -1);
}

static void
query_cb(evutil_socket_t fd, short ev, void *arg)
{
	Btd__QueryPeers q = BTD__QUERY_PEERS__INIT;

	(void)fd;
	(void)ev;
	(void)arg;
	q.id = 7;
	q.torrent = 1;
	(void)MSG_SEND(btd_c, Btd__PeerdMsg, PEERD_MSG, QUERY_PEERS,
	    query_peers, &q, -1);
}

/* ---- as btd ---- */

static void
attach_stored(void)
{
	const ProtobufCMessageDescriptor *d = &btd__peerd_msg__descriptor;
	Btd__ArenaAttach	 aa = BTD__ARENA_ATTACH__INIT;
	Btd__ChannelAttach	 ca = BTD__CHANNEL_ATTACH__INIT;
	char			 e[256];
	int			 sv[2];

	down_fd = arena_memfd("down", ARENA_SLOT_SIZE, ARENA_DOWN_SLOTS);
	up_fd = arena_memfd("up", ARENA_SLOT_SIZE, ARENA_UP_SLOTS);
	if (down_fd == -1 || up_fd == -1)
		err(1, "arena_memfd");
	if (arena_map(down_fd, ARENA_SLOT_SIZE, ARENA_DOWN_SLOTS, generation,
	    &down, e, sizeof(e)) == -1 || arena_map(up_fd, ARENA_SLOT_SIZE,
	    ARENA_UP_SLOTS, generation, &up, e, sizeof(e)) == -1)
		errx(1, "arena_map: %s", e);
	aa.peer = BTD__ROLE__STORED;
	aa.generation = generation;
	aa.which = BTD__ARENA__ARENA_DOWN;
	aa.slot_size = ARENA_SLOT_SIZE;
	aa.slots = ARENA_DOWN_SLOTS;
	(void)msg_send_common(btd_c, d, MSG_ARENA, &aa.base, down_fd);
	aa.which = BTD__ARENA__ARENA_UP;
	aa.slots = ARENA_UP_SLOTS;
	(void)msg_send_common(btd_c, d, MSG_ARENA, &aa.base, up_fd);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	ca.peer = BTD__ROLE__STORED;
	ca.generation = generation;
	(void)msg_send_common(btd_c, d, MSG_ATTACH, &ca.base, sv[1]);
	close(sv[1]);
	stored_c = chan_new(base, sv[0], "stored", FRAME_MAX_BLOCK,
	    stored_read, NULL);
	if (stored_c == NULL)
		err(1, "chan_new");
	{
		Btd__Ping p = BTD__PING__INIT;

		p.nonce = 42;
		(void)msg_send_common(stored_c,
		    &btd__peer_stored_msg__descriptor, MSG_PING, &p.base, -1);
	}
}

static void
btd_start(void)
{
	Btd__Hello		 h = BTD__HELLO__INIT;
	Btd__Config		 cf = BTD__CONFIG__INIT;
	Btd__Setting		 s[2 + MAX_OPTS], *sp[2 + MAX_OPTS];
	Btd__PeerdTorrentAdd	 ta = BTD__PEERD_TORRENT_ADD__INIT;
	Btd__PeerAddr		 pa[MAX_PEERS], *pap[MAX_PEERS];
	const ProtobufCMessageDescriptor *d = &btd__peerd_msg__descriptor;
	char			 id[41], portstr[8];
	int			 i;
	uint8_t			 pid[20];

	h.role = BTD__ROLE__NONE;
	h.proto_major = BTD_PROTO_MAJOR;
	h.impl_name = (char *)(uintptr_t)"peerd_harness";
	h.impl_version = (char *)(uintptr_t)"0";
	h.pid = getpid();
	(void)msg_send_common(btd_c, d, MSG_HELLO, &h.base, -1);
	memcpy(pid, "-BT0100-", 8);
	arc4random_buf(pid + 8, 12);
	for (i = 0; i < 20; i++)
		snprintf(id + 2 * i, 3, "%02x", pid[i]);
	snprintf(portstr, sizeof(portstr), "%u", port);
	btd__setting__init(&s[0]);
	btd__setting__init(&s[1]);
	s[0].key = (char *)(uintptr_t)"peer_id";
	s[0].value = id;
	s[1].key = (char *)(uintptr_t)"peer_port";
	s[1].value = portstr;
	sp[0] = &s[0];
	sp[1] = &s[1];
	for (i = 0; i < nopts; i++) {
		btd__setting__init(&s[2 + i]);
		s[2 + i].key = opt_key[i];
		s[2 + i].value = opt_val[i];
		sp[2 + i] = &s[2 + i];
	}
	cf.settings = sp;
	cf.n_settings = 2 + (size_t)nopts;
	cf.verbose = (uint32_t)verbose;
	(void)msg_send_common(btd_c, d, MSG_CONFIG, &cf.base, -1);
	attach_stored();
	ta.torrent = 1;
	ta.info_hash.data = mi->info_hash;
	ta.info_hash.len = 20;
	ta.piece_length = mi->piece_length;
	ta.piece_count = mi->piece_count;
	ta.total_size = mi->total_size;
	for (i = 0; i < npeers; i++) {
		char *c = strrchr(peers[i], ':');

		btd__peer_addr__init(&pa[i]);
		if (c == NULL)
			errx(1, "-P %s: no port", peers[i]);
		*c = '\0';
		pa[i].addr = peers[i][0] == '[' ? peers[i] + 1 : peers[i];
		if (c > peers[i] && c[-1] == ']')
			c[-1] = '\0';
		pa[i].port = (uint32_t)atoi(c + 1);
		pap[i] = &pa[i];
	}
	if (play_trackerd) {
		memcpy(cand_pa, pa, sizeof(pa));
		for (i = 0; i < npeers; i++)
			cand_pap[i] = &cand_pa[i];
		attach_trackerd();
	} else {
		ta.peers = pap;
		ta.n_peers = (size_t)npeers;
	}
	if (MSG_SEND(btd_c, Btd__PeerdMsg, PEERD_MSG, TORRENT_ADD, torrent_add,
	    &ta, -1) == -1)
		err(1, "TorrentAdd");
	start_ms = util_now_ms();
}

static void
btd_read(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	ProtobufCMessage	*env;
	const Btd__PeerdMsg	*m;
	size_t			 i;

	(void)arg;
	if (buf == NULL) {
		warnx("btd channel: %s", why);
		finish(1);
		return;
	}
	if ((env = msg_unpack(&btd__peerd_msg__descriptor, buf, len)) == NULL)
		errx(1, "btd channel: bad message");
	m = (const Btd__PeerdMsg *)(const void *)env;
	switch (m->body_case) {
	case BTD__PEERD_MSG__BODY_HELLO:
		btd_start();
		break;
	case BTD__PEERD_MSG__BODY_PING: {
		Btd__Pong p = BTD__PONG__INIT;

		p.nonce = m->ping->nonce;
		(void)msg_send_common(c, &btd__peerd_msg__descriptor,
		    MSG_PONG, &p.base, -1);
		break;
	}
	case BTD__PEERD_MSG__BODY_LINK:
		if (verbose)
			fprintf(stderr, "link to %d: %s\n", m->link->peer,
			    m->link->up ? "up" : "down");
		break;
	case BTD__PEERD_MSG__BODY_PEERS_REPLY:
		for (i = 0; i < m->peers_reply->n_peers; i++) {
			const Btd__PeerInfo *pi = m->peers_reply->peers[i];

			printf("peer %s %u %s flags %s down %llu up %llu "
			    "progress %.3f source %s\n", pi->addr, pi->port,
			    pi->client, pi->flags,
			    (unsigned long long)pi->downloaded,
			    (unsigned long long)pi->uploaded, pi->progress,
			    pi->source);
		}
		break;
	case BTD__PEERD_MSG__BODY_STATS:
		for (i = 0; i < m->stats->n_torrents; i++) {
			const Btd__TorrentStats *t = m->stats->torrents[i];

			if (verbose)
				fprintf(stderr, "stats: down %llu up %llu "
				    "wasted %llu rate %llu/%llu peers %u "
				    "seeds %u\n",
				    (unsigned long long)t->downloaded,
				    (unsigned long long)t->uploaded,
				    (unsigned long long)t->wasted,
				    (unsigned long long)t->rate_down,
				    (unsigned long long)t->rate_up, t->peers,
				    t->seeds);
		}
		break;
	default:
		break;
	}
	msg_free(env);
}

static void
timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (seeding) {
		printf("uploaded %llu bytes\n", (unsigned long long)uploaded);
		finish(0);
		return;
	}
	printf("timeout: %u of %u pieces\n", nhave, mi->piece_count);
	finish(1);
}

int
main(int argc, char *argv[])
{
	const char		*exec = NULL, *torrent = NULL, *file = NULL;
	struct sandbox_policy	 pol;
	struct rusage		 ru;
	struct timeval		 tv = { 120, 0 };
	struct event		*tev;
	char			 e[256], *pargv[4];
	char			*envp[] = { NULL };
	uint8_t			*tb;
	ssize_t			 n;
	int			 ch, sv[2], fd, keep[1] = { ROLE_FD_BTD };
	int			 status;

	while ((ch = getopt(argc, argv, "Ce:t:f:o:p:qsSu:x:P:R:T:vZ:")) !=
	    -1) {
		switch (ch) {
		case 'e': exec = optarg; break;
		case 't': torrent = optarg; break;
		case 'f': file = optarg; break;
		case 'p': port = (uint16_t)atoi(optarg); break;
		case 's': seeding = 1; break;
		case 'S': confine = 1; break;
		case 'u': upload_goal = strtoull(optarg, NULL, 10); break;
		case 'x': corrupt = atoi(optarg); break;
		case 'P':
			if (npeers == MAX_PEERS)
				usage();
			peers[npeers++] = optarg;
			break;
		case 'o':
			/* KEY=VALUE, split in place: the key ends at '='. */
			if (nopts == MAX_OPTS || strchr(optarg, '=') == NULL)
				usage();
			opt_key[nopts] = optarg;
			opt_val[nopts] = strchr(optarg, '=') + 1;
			opt_val[nopts++][-1] = '\0';
			break;
		case 'C': play_trackerd = 1; break;
		case 'q': query = 1; break;
		case 'R': restart_after = (uint32_t)atoi(optarg); break;
		case 'Z': stall_after = (uint32_t)atoi(optarg); break;
		case 'T': tv.tv_sec = atoi(optarg); break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (exec == NULL || torrent == NULL || file == NULL || port == 0)
		usage();
	log_init("harness", verbose);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if ((fd = open(torrent, O_RDONLY)) == -1)
		err(1, "%s", torrent);
	if ((tb = malloc(MI_MAX_TORRENT)) == NULL)
		err(1, "malloc");
	if ((n = read(fd, tb, MI_MAX_TORRENT)) <= 0)
		err(1, "read %s", torrent);
	close(fd);
	if (metainfo_parse(tb, (size_t)n, &mi, e, sizeof(e)) == -1)
		errx(1, "%s: %s", torrent, e);
	free(tb);
	if (mi->multi)
		errx(1, "%s: only single-file torrents", torrent);
	file_fd = open(file, seeding ? O_RDONLY : O_RDWR | O_CREAT | O_TRUNC,
	    0644);
	if (file_fd == -1)
		err(1, "%s", file);
	pieces = calloc(mi->piece_count, sizeof(*pieces));
	have = calloc((mi->piece_count + 7) / 8, 1);
	if (pieces == NULL || have == NULL)
		err(1, "calloc");
	if (seeding) {
		uint32_t i;

		for (i = 0; i < mi->piece_count; i++)
			have[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		nhave = mi->piece_count;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	pargv[0] = (char *)(uintptr_t)exec;
	pargv[1] = (char *)(uintptr_t)"peerd";
	pargv[2] = verbose > 1 ? (char *)(uintptr_t)"-vv" :
	    verbose ? (char *)(uintptr_t)"-v" : NULL;
	pargv[3] = NULL;
	switch ((peerd_pid = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		if (dup2(sv[1], ROLE_FD_BTD) == -1)
			_exit(127);
		if (confine) {
			memset(&pol, 0, sizeof(pol));
			pol.kind = SANDBOX_PEERD;
			pol.exec = exec;
			pol.bind_port = port;
			pol.uid = getuid();
			pol.gid = getgid();
			pol.keep_fds = keep;
			pol.nkeep = 1;
			(void)sandbox_exec(&pol, pargv, envp, e, sizeof(e));
			dprintf(2, "sandbox: %s\n", e);
			_exit(127);
		}
		execve(exec, pargv, envp);
		_exit(127);
	default:
		break;
	}
	close(sv[1]);
	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	btd_c = chan_new(base, sv[0], "btd", FRAME_MAX_ROLE, btd_read, NULL);
	if (btd_c == NULL)
		err(1, "chan_new");
	restart_ev = event_new(base, -1, 0, restart_cb, NULL);
	stall_ev = evtimer_new(base, stall_end, NULL);
	tev = evtimer_new(base, timeout_cb, NULL);
	if (query) {
		struct timeval qtv = { 1, 0 };

		query_ev = event_new(base, -1, EV_PERSIST, query_cb, NULL);
		evtimer_add(query_ev, &qtv);
	}
	evtimer_add(tev, &tv);
	event_base_dispatch(base);
	/* Closing its btd channel is how peerd is told to exit. */
	chan_free(btd_c);
	if (trackerd_c != NULL)
		chan_free(trackerd_c);
	if (stored_c != NULL)
		chan_free(stored_c);
	if (wait4(peerd_pid, &status, 0, &ru) == peerd_pid)
		printf("peerd: %s %d, cpu %.3f s (user %.3f, sys %.3f)\n",
		    WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status),
		    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("harness: cpu %.3f s\n", ru.ru_utime.tv_sec +
		    ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec +
		    ru.ru_stime.tv_usec) / 1e6);
	return result;
}
