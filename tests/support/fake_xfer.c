/*
 * fake_xfer.c -- a stand-in stored or peerd for the integration tests of
 * btd's side of the transfer (tests/integration/t_transfer.sh).
 *
 * btd executes it as `PATH ROLE [-v ...]` in place of stored or peerd.
 * It speaks only the torrent part of the contract (proto/stored.proto,
 * proto/peerd.proto), moves no byte of any torrent, and logs what it
 * was sent ("fake: ..."), so that a test can follow btd's state machine
 * and counters end to end without a real download.
 *
 * As stored: once a torrent's hashes are all in, it answers
 * TorrentChecked with the `have` btd sent; then, chosen by the name it
 * was copied to:
 *   fake_xfer_grow*     a PiecesDurable for one more piece every
 *                       GROW_MS until every piece is verified;
 *   fake_xfer_error*    a TorrentError;
 *   fake_xfer_badbits*  (instead of the check) a TorrentChecked whose
 *                       bitfield is a byte too long: btd must kill it;
 *   anything else       nothing more.
 * As peerd: every second a PeerdStats with fixed deltas for each
 * torrent it runs (STATS_DOWN, STATS_UP), a PeersReply with one peer to
 * every QueryPeers, a WantPeers to trackerd for every torrent added, a
 * ConnectResult (refused) for the first of every Candidates, and, once,
 * a WantPeers for one more right after it.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "peer_metad.pb-c.h"
#include "peer_stored.pb-c.h"
#include "peer_trackerd.pb-c.h"
#include "peerd.pb-c.h"
#include "stored.pb-c.h"

#include "frame.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "util.h"

#define FAKE_MAX	64		/* torrents held */
#define GROW_MS		100		/* between PiecesDurable */
#define STATS_DOWN	16384		/* bytes a second, down */
#define STATS_UP	8192		/* bytes a second, up */

struct ftorrent {
	uint32_t	 num;		/* 0: free */
	uint8_t		 ih[20];
	uint32_t	 pieces;
	uint32_t	 hashed;	/* hashes received */
	uint8_t		*have;
	size_t		 havelen;
	int		 checked;
};

static struct role_def	 def;
static struct ftorrent	 ts[FAKE_MAX];
static const char	*mode = "";
static struct event	*timer;

static struct ftorrent *
ft_find(uint32_t num)
{
	int i;

	for (i = 0; i < FAKE_MAX; i++)
		if (num != 0 && ts[i].num == num)
			return &ts[i];
	return NULL;
}

static struct ftorrent *
ft_new(uint32_t num, const ProtobufCBinaryData *ih, uint32_t pieces)
{
	struct ftorrent *t;

	if ((t = ft_find(num)) == NULL && (t = ft_find(0)) == NULL) {
		int i;

		for (i = 0; i < FAKE_MAX && ts[i].num != 0; i++)
			;
		if (i == FAKE_MAX)
			fatalx("fake: too many torrents");
		t = &ts[i];
	}
	free(t->have);
	memset(t, 0, sizeof(*t));
	t->num = num;
	if (ih->len == 20)
		memcpy(t->ih, ih->data, 20);
	t->pieces = pieces;
	return t;
}

static void
ft_free(uint32_t num)
{
	struct ftorrent *t;

	if ((t = ft_find(num)) != NULL) {
		free(t->have);
		memset(t, 0, sizeof(*t));
	}
}

/* stored */

static void
send_checked(struct ftorrent *t, int bad)
{
	Btd__TorrentChecked	 c = BTD__TORRENT_CHECKED__INIT;
	uint8_t			*buf;

	if ((buf = calloc(1, t->havelen + 2)) == NULL)
		fatal("fake");
	memcpy(buf, t->have, t->havelen);
	c.torrent = t->num;
	c.have.data = buf;
	c.have.len = t->havelen + (bad ? 1 : 0);
	if (MSG_SEND(role_btd_chan(), Btd__StoredMsg, STORED_MSG, CHECKED,
	    checked, &c, -1) == -1)
		fatal("fake: checked");
	free(buf);
	t->checked = 1;
	log_info("fake: checked torrent %u", t->num);
}

static void
send_error(struct ftorrent *t)
{
	Btd__TorrentError e = BTD__TORRENT_ERROR__INIT;

	e.torrent = t->num;
	e.error = (char *)(uintptr_t)"write fake.bin: No space left on device";
	if (MSG_SEND(role_btd_chan(), Btd__StoredMsg, STORED_MSG,
	    TORRENT_ERROR, torrent_error, &e, -1) == -1)
		fatal("fake: error");
	log_info("fake: error for torrent %u", t->num);
	ft_free(t->num);
}

/* One more durable piece of every checked torrent. */
static void
grow(void)
{
	Btd__PiecesDurable	 d = BTD__PIECES_DURABLE__INIT;
	uint32_t		 p;
	int			 i;

	for (i = 0; i < FAKE_MAX; i++) {
		struct ftorrent *t = &ts[i];

		if (t->num == 0 || !t->checked)
			continue;
		for (p = 0; p < t->pieces; p++)
			if (!(t->have[p / 8] & (0x80 >> (p % 8))))
				break;
		if (p == t->pieces)
			continue;
		t->have[p / 8] |= (uint8_t)(0x80 >> (p % 8));
		d.torrent = t->num;
		d.pieces = &p;
		d.n_pieces = 1;
		if (MSG_SEND(role_btd_chan(), Btd__StoredMsg, STORED_MSG,
		    DURABLE, durable, &d, -1) == -1)
			fatal("fake: durable");
	}
}

static int
stored_btd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__StoredMsg	*m = MSG_AS(Btd__StoredMsg, stored_msg, env);
	struct ftorrent		*t;

	(void)c;
	switch (m->body_case) {
	case BTD__STORED_MSG__BODY_TORRENT_ADD: {
		const Btd__StoredTorrentAdd *a = m->torrent_add;

		t = ft_new(a->torrent, &a->info_hash, a->piece_count);
		t->havelen = (a->piece_count + 7) / 8;
		if ((t->have = calloc(1, t->havelen + 1)) == NULL)
			fatal("fake");
		if (a->have.len == t->havelen)
			memcpy(t->have, a->have.data, t->havelen);
		log_info("fake: stored add torrent %u: %u pieces in %s/%s%s",
		    a->torrent, a->piece_count, a->root, a->dir,
		    a->recheck ? " (recheck)" : "");
		return 0;
	}
	case BTD__STORED_MSG__BODY_TORRENT_HASHES: {
		const Btd__TorrentHashes *h = m->torrent_hashes;

		if ((t = ft_find(h->torrent)) == NULL || h->first !=
		    t->hashed || h->hashes.len % 20 != 0 ||
		    h->hashes.len / 20 > t->pieces - t->hashed)
			fatalx("fake: bad hashes for torrent %u", h->torrent);
		t->hashed += (uint32_t)(h->hashes.len / 20);
		if (t->hashed < t->pieces)
			return 0;
		log_info("fake: hashes of torrent %u", t->num);
		if (strncmp(mode, "badbits", 7) == 0)
			send_checked(t, 1);
		else {
			send_checked(t, 0);
			if (strncmp(mode, "error", 5) == 0)
				send_error(t);
		}
		return 0;
	}
	case BTD__STORED_MSG__BODY_TORRENT_REMOVE:
		log_info("fake: stored remove torrent %u",
		    m->torrent_remove->torrent);
		ft_free(m->torrent_remove->torrent);
		return 0;
	default:
		return 0;
	}
}

/* peerd */

static void
send_stats(void)
{
	Btd__PeerdStats	 st = BTD__PEERD_STATS__INIT;
	Btd__TorrentStats s[FAKE_MAX], *sp[FAKE_MAX];
	size_t		 n = 0;
	int		 i;

	for (i = 0; i < FAKE_MAX; i++) {
		if (ts[i].num == 0)
			continue;
		btd__torrent_stats__init(&s[n]);
		s[n].torrent = ts[i].num;
		s[n].downloaded = STATS_DOWN;
		s[n].uploaded = STATS_UP;
		s[n].rate_down = STATS_DOWN;
		s[n].rate_up = STATS_UP;
		s[n].peers = 2;
		s[n].seeds = 1;
		sp[n] = &s[n];
		n++;
	}
	if (n == 0)
		return;
	st.torrents = sp;
	st.n_torrents = n;
	if (MSG_SEND(role_btd_chan(), Btd__PeerdMsg, PEERD_MSG, STATS, stats,
	    &st, -1) == -1)
		fatal("fake: stats");
}

static void
want_peers(const struct ftorrent *t)
{
	Btd__WantPeers	 w = BTD__WANT_PEERS__INIT;
	struct chan	*c;

	if ((c = role_peer_chan(BTD__ROLE__TRACKERD)) == NULL)
		return;
	w.info_hash.data = (uint8_t *)(uintptr_t)t->ih;
	w.info_hash.len = 20;
	w.count = 50;
	(void)MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG, WANT_PEERS,
	    want_peers, &w, -1);
}

static int
peerd_btd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerdMsg	*m = MSG_AS(Btd__PeerdMsg, peerd_msg, env);
	struct ftorrent		*t;

	(void)c;
	switch (m->body_case) {
	case BTD__PEERD_MSG__BODY_TORRENT_ADD:
		t = ft_new(m->torrent_add->torrent, &m->torrent_add->info_hash,
		    m->torrent_add->piece_count);
		log_info("fake: peerd add torrent %u", t->num);
		want_peers(t);
		return 0;
	case BTD__PEERD_MSG__BODY_TORRENT_REMOVE:
		log_info("fake: peerd remove torrent %u",
		    m->torrent_remove->torrent);
		ft_free(m->torrent_remove->torrent);
		return 0;
	case BTD__PEERD_MSG__BODY_QUERY_PEERS: {
		Btd__PeersReply	 r = BTD__PEERS_REPLY__INIT;
		Btd__PeerInfo	 pi = BTD__PEER_INFO__INIT, *pp = &pi;

		r.id = m->query_peers->id;
		if (ft_find(m->query_peers->torrent) != NULL) {
			pi.addr = (char *)(uintptr_t)"127.0.0.2";
			pi.port = 6881;
			pi.client = (char *)(uintptr_t)"fake/1.0";
			pi.flags = (char *)(uintptr_t)"S";
			pi.rate_down = STATS_DOWN;
			pi.progress = 1.0;
			pi.source = (char *)(uintptr_t)"tracker";
			r.peers = &pp;
			r.n_peers = 1;
		}
		if (MSG_SEND(role_btd_chan(), Btd__PeerdMsg, PEERD_MSG,
		    PEERS_REPLY, peers_reply, &r, -1) == -1)
			fatal("fake: peers reply");
		return 0;
	}
	default:
		return 0;
	}
}

static int
peerd_trackerd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerTrackerdMsg *m = MSG_AS(Btd__PeerTrackerdMsg,
	    peer_trackerd_msg, env);
	Btd__ConnectResult	 r = BTD__CONNECT_RESULT__INIT;

	Btd__WantPeers		 w = BTD__WANT_PEERS__INIT;
	static int		 asked;

	if (m->body_case != BTD__PEER_TRACKERD_MSG__BODY_CANDIDATES)
		return -1;
	if (m->candidates->n_peers == 0) {
		log_info("fake: 0 candidates from %s", m->candidates->source);
		return 0;
	}
	log_info("fake: %zu candidates from %s, first %s port %u",
	    m->candidates->n_peers, m->candidates->source,
	    m->candidates->peers[0]->addr, m->candidates->peers[0]->port);
	r.info_hash = m->candidates->info_hash;
	r.peer = m->candidates->peers[0];
	r.ok = 0;
	r.result = (char *)(uintptr_t)"refused";
	(void)MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG,
	    CONNECT_RESULT, connect_result, &r, -1);
	/* Once: room for one more, which must not be the one just tried. */
	if (!asked && m->candidates->n_peers > 1) {
		asked = 1;
		w.info_hash = m->candidates->info_hash;
		w.count = 1;
		(void)MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG,
		    WANT_PEERS, want_peers, &w, -1);
	}
	return 0;
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	static unsigned	n;

	(void)fd;
	(void)ev;
	(void)arg;
	if (def.role == BTD__ROLE__STORED) {
		if (strncmp(mode, "grow", 4) == 0)
			grow();
	} else if (++n % (1000 / GROW_MS) == 0)
		send_stats();
}

int
main(int argc, char **argv)
{
	struct timeval	 tv = { 0, GROW_MS * 1000 };
	const char	*base;

	memset(&def, 0, sizeof(def));
	def.impl = "btd-fake-xfer";
	if (argc >= 2 && util_role_by_name(argv[1]) == BTD__ROLE__STORED) {
		def.role = BTD__ROLE__STORED;
		def.btd_env = &btd__stored_msg__descriptor;
		def.btd_handler = stored_btd;
		def.peers[0] = (struct role_peer){ BTD__ROLE__PEERD,
		    &btd__peer_stored_msg__descriptor, NULL, FRAME_MAX_BLOCK };
		def.npeers = 1;
	} else if (argc >= 2 && util_role_by_name(argv[1]) ==
	    BTD__ROLE__PEERD) {
		def.role = BTD__ROLE__PEERD;
		def.btd_env = &btd__peerd_msg__descriptor;
		def.btd_handler = peerd_btd;
		def.peers[0] = (struct role_peer){ BTD__ROLE__STORED,
		    &btd__peer_stored_msg__descriptor, NULL, FRAME_MAX_BLOCK };
		def.peers[1] = (struct role_peer){ BTD__ROLE__TRACKERD,
		    &btd__peer_trackerd_msg__descriptor, peerd_trackerd,
		    FRAME_MAX_ROLE };
		def.peers[2] = (struct role_peer){ BTD__ROLE__METAD,
		    &btd__peer_metad_msg__descriptor, NULL, FRAME_MAX_ROLE };
		def.npeers = 3;
	} else {
		dprintf(2, "usage: %s stored|peerd [-v ...]\n",
		    argc > 0 ? argv[0] : "fake_xfer");
		return 2;
	}
	def.name = util_role_name(def.role);
	base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	if (strncmp(base, "fake_xfer_", 10) == 0)
		mode = base + 10;
	role_init(&def, argc, argv);
	if ((timer = event_new(role_base(), -1, EV_PERSIST, tick, NULL)) ==
	    NULL || evtimer_add(timer, &tv) == -1)
		fatalx("fake: timer");
	role_run();
}
