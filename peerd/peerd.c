/*
 * peerd.c -- the peer wire: connections, choking, piece picking.
 *
 * main() in the order every role follows: log init and the channel to
 * btd (role_init), confinement (already applied by btd before exec, so
 * that a replacement executable is confined the same way: TCP bind on
 * peer_port only, connect anywhere, no file), the event loop, dispatch
 * until btd closes the channel.  The listen sockets open when Config
 * names peer_port.
 *
 * Channels:
 *   btd (fd 3, PeerdMsg): takes TorrentAdd, TorrentRemove, QueryPeers,
 *     TorrentLimits; sends PeerdStats once a second and PeersReply.
 *   stored (PeerStoredMsg): the block path, peerd_block.c.
 *   trackerd (PeerTrackerdMsg): takes Candidates; sends WantPeers,
 *     ConnectResult, IncomingPeer and PeerBanned.
 *   metad (PeerMetadMsg): ut_metadata, peerd_meta.c.
 *
 * Invariants: a torrent downloads and uploads nothing before stored's
 * TorrentHave for it on the current link (t->ready); a TorrentHave that
 * arrives before btd's TorrentAdd of that torrent waits (bounded) for it.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "peer_metad.pb-c.h"
#include "peer_stored.pb-c.h"
#include "peer_trackerd.pb-c.h"
#include "peerd.pb-c.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "util.h"
#include "peerd.h"

#define PENDING_HAVE_MAX	64	/* TorrentHave waiting for TorrentAdd */

struct torrent_list	torrents = TAILQ_HEAD_INITIALIZER(torrents);
static uint32_t		ntorrents;
static struct event	*tick_ev;

/* A TorrentHave for a torrent btd has not sent yet. */
static struct pending_have {
	uint32_t	 torrent;
	uint8_t		*bits;
	size_t		 len;
} pending[PENDING_HAVE_MAX];
static int		npending;

uint64_t
peerd_now_ms(void)
{
	return util_now_ms();
}

/* The torrents by btd's number and by info-hash: hash chains. */
#define TORRENT_BUCKETS	16384
LIST_HEAD(tchain, torrent);
static struct tchain	by_id[TORRENT_BUCKETS];
static struct tchain	by_hash[TORRENT_BUCKETS];

static struct tchain *
hash_chain(const uint8_t hash[20])
{
	uint32_t v;

	memcpy(&v, hash, sizeof(v));	/* a SHA-1: uniform already */
	return &by_hash[v % TORRENT_BUCKETS];
}

struct torrent *
torrent_find(uint32_t id)
{
	struct torrent *t;

	LIST_FOREACH(t, &by_id[id % TORRENT_BUCKETS], by_id)
		if (t->id == id)
			return t;
	return NULL;
}

struct torrent *
torrent_by_hash(const uint8_t hash[20])
{
	struct torrent *t;

	LIST_FOREACH(t, hash_chain(hash), by_hash)
		if (memcmp(t->info_hash, hash, 20) == 0)
			return t;
	return NULL;
}

static void
torrent_free(struct torrent *t)
{
	conn_torrent_close(t);
	if (t->rdown.rate != 0 || t->rup.rate != 0)
		rate_torrent_set(t, 0, 0, 0);	/* rate_on may go off */
	TAILQ_REMOVE(&torrents, t, entry);
	LIST_REMOVE(t, by_id);
	LIST_REMOVE(t, by_hash);
	ntorrents--;
	pick_free(t->pick);
	free(t->bitfield);
	free(t->cands);
	free(t->seeds);
	free(t);
}

static int
cand_from(const Btd__PeerAddr *a, uint8_t source, struct cand *c)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)(void *)&c->ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)(void *)&c->ss;

	memset(c, 0, sizeof(*c));
	c->source = source;
	if (a->port == 0 || a->port > 65535 || a->addr == NULL)
		return -1;
	if (inet_pton(AF_INET, a->addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)a->port);
		c->sslen = sizeof(*s4);
		return 0;
	}
	memset(c, 0, sizeof(*c));
	c->source = source;
	if (inet_pton(AF_INET6, a->addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)a->port);
		c->sslen = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void
add_candidates(struct torrent *t, Btd__PeerAddr **addrs, size_t n,
    uint8_t source)
{
	struct cand	*c;
	size_t		 i, k = 0;

	if (n > PEERD_MAX_CANDIDATES)
		n = PEERD_MAX_CANDIDATES;
	if (n == 0 || (c = calloc(n, sizeof(*c))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if (cand_from(addrs[i], source, &c[k]) == 0)
			k++;
	conn_torrent_candidates(t, c, k);
	free(c);
}

/* Apply a TorrentHave, now or when its TorrentAdd comes. */
static void
pending_drop(int i)
{
	free(pending[i].bits);
	pending[i] = pending[--npending];
}

int
peerd_pending_have(uint32_t torrent, const uint8_t *bits, size_t len)
{
	int i;

	for (i = 0; i < npending; i++)
		if (pending[i].torrent == torrent) {
			pending_drop(i);
			break;
		}
	if (npending == PENDING_HAVE_MAX)
		pending_drop(0);
	if ((pending[npending].bits = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(pending[npending].bits, bits, len);
	pending[npending].len = len;
	pending[npending].torrent = torrent;
	npending++;
	return 0;
}

void
peerd_pending_clear(void)
{
	while (npending > 0)
		pending_drop(npending - 1);
}

/* ---- btd -> peerd ---- */

static void
on_torrent_limits(struct torrent *t, const Btd__PeerdTorrentLimits *l)
{
	log_debug("torrent %u: limits %llu B/s down, %llu up, %u peers",
	    t->id, (unsigned long long)l->download_limit,
	    (unsigned long long)l->upload_limit, l->peer_limit);
	rate_torrent_set(t, l->download_limit, l->upload_limit,
	    l->peer_limit);
}

/*
 * Piece priorities and sequential mode.  -1 (the message is refused) for
 * a run out of range; a torrent whose pieces are unknown ignores it.
 */
static int
on_torrent_pick(struct torrent *t, const Btd__PeerdTorrentPick *m)
{
	uint8_t		*prio;
	size_t		 i;
	uint32_t	 j, nskip = 0;

	if (t->nometa || t->pick == NULL)
		return 0;
	if (m->n_runs > PEERD_PICK_RUNS_MAX) {
		log_warnx("btd: TorrentPick %u: %zu runs, more than %u",
		    t->id, m->n_runs, PEERD_PICK_RUNS_MAX);
		return -1;
	}
	if ((prio = malloc(t->npieces)) == NULL)
		fatal("%s", __func__);
	memset(prio, PICK_NORMAL, t->npieces);
	for (i = 0; i < m->n_runs; i++) {
		const Btd__PieceRun *r = m->runs[i];

		if (r->count == 0 || r->first >= t->npieces ||
		    r->count > t->npieces - r->first ||
		    r->priority > PICK_HIGH) {
			log_warnx("btd: TorrentPick %u: run %zu (%u+%u, "
			    "priority %u) outside %u pieces", t->id, i,
			    r->first, r->count, r->priority, t->npieces);
			free(prio);
			return -1;
		}
		memset(prio + r->first, (int)r->priority, r->count);
	}
	for (j = 0; j < t->npieces; j++)
		nskip += prio[j] == PICK_SKIP;
	pick_set_priorities(t->pick, prio);
	pick_set_sequential(t->pick, m->sequential);
	free(prio);
	log_debug("torrent %u: %zu priority runs, %u pieces skipped%s", t->id,
	    m->n_runs, nskip, m->sequential ? ", sequential" : "");
	/* Interest and requests follow the new wants. */
	if (t->ready)
		conn_torrent_ready(t);
	return 0;
}

/* A TorrentHave that came before the torrent's pieces. */
static void
apply_pending(struct torrent *t)
{
	int i;

	for (i = 0; i < npending; i++)
		if (pending[i].torrent == t->id) {
			block_apply_have(t, pending[i].bits, pending[i].len);
			pending_drop(i);
			break;
		}
}

/* Where to dial p again: its own address, or its listen port. */
static int
redial_addr(const struct peer *p, struct cand *c)
{
	memset(c, 0, sizeof(*c));
	c->ss = p->ss;
	c->sslen = p->sslen;
	c->source = p->source;
	if (!p->incoming)
		return 0;
	if (p->listen_port == 0)
		return -1;
	if (c->ss.ss_family == AF_INET)
		((struct sockaddr_in *)(void *)&c->ss)->sin_port =
		    htons(p->listen_port);
	else
		((struct sockaddr_in6 *)(void *)&c->ss)->sin6_port =
		    htons(p->listen_port);
	return 0;
}

/*
 * The metadata of a magnet is known: the torrent gets its pieces.  Its
 * peers were met without them (their bitfields ignored), so each is
 * closed and dialed again once stored's TorrentHave makes it ready.
 */
static int
torrent_upgrade(struct torrent *t, const Btd__PeerdTorrentAdd *ta)
{
	struct peer	*p, *next;
	struct cand	 c[PEERD_MAX_TORRENT_CONNS];
	size_t		 n = 0;

	t->pick = pick_new(ta->piece_count, ta->piece_length,
	    ta->total_size);
	if (t->pick == NULL) {
		log_warnx("btd: TorrentAdd %u: %u pieces of %llu bytes do not"
		    " make %llu bytes", ta->torrent, ta->piece_count,
		    (unsigned long long)ta->piece_length,
		    (unsigned long long)ta->total_size);
		return -1;
	}
	free(t->bitfield);
	if ((t->bitfield = calloc((ta->piece_count + 7) / 8, 1)) == NULL)
		fatal("%s", __func__);
	for (p = TAILQ_FIRST(&conn_peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, all);
		if (p->t != t)
			continue;
		if (n < PEERD_MAX_TORRENT_CONNS && redial_addr(p, &c[n]) == 0)
			n++;
		conn_close(p, "metadata known: connecting again");
	}
	t->nometa = 0;
	t->meta_peers = 0;
	t->stats_dirty = 1;
	t->npieces = ta->piece_count;
	t->piece_length = ta->piece_length;
	t->total_size = ta->total_size;
	t->private = ta->private_;
	t->metadata_size = ta->metadata_size;
	t->want_ms = 0;
	t->ready = 0;
	if (ta->pick != NULL && on_torrent_pick(t, ta->pick) == -1)
		return -1;
	conn_torrent_candidates(t, c, n);
	log_debug("torrent %u: metadata known, %u pieces, %zu peers to dial "
	    "again", t->id, t->npieces, n);
	apply_pending(t);
	return 0;
}

static int
on_torrent_add(const Btd__PeerdTorrentAdd *ta)
{
	struct torrent	*t;

	if (ta->info_hash.len != 20) {
		log_warnx("btd: TorrentAdd %u without a valid info-hash",
		    ta->torrent);
		return -1;
	}
	if ((t = torrent_find(ta->torrent)) != NULL && t->nometa &&
	    ta->piece_count > 0 &&
	    memcmp(t->info_hash, ta->info_hash.data, 20) == 0)
		return torrent_upgrade(t, ta);
	if (t != NULL)
		torrent_free(t);
	if ((t = torrent_by_hash(ta->info_hash.data)) != NULL)
		torrent_free(t);
	if (ntorrents >= PEERD_MAX_TORRENTS) {
		log_warnx("btd: more than %u torrents", PEERD_MAX_TORRENTS);
		return 0;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("%s", __func__);
	t->id = ta->torrent;
	memcpy(t->info_hash, ta->info_hash.data, 20);
	t->piece_length = ta->piece_length;
	t->total_size = ta->total_size;
	t->npieces = ta->piece_count;
	t->private = ta->private_;
	t->metadata_size = ta->metadata_size;
	t->nometa = ta->piece_count == 0;
	TAILQ_INIT(&t->peers);
	if (!t->nometa)
		t->pick = pick_new(t->npieces, t->piece_length,
		    t->total_size);
	if (!t->nometa && t->pick == NULL) {
		log_warnx("btd: TorrentAdd %u: %u pieces of %llu bytes do not"
		    " make %llu bytes", ta->torrent, t->npieces,
		    (unsigned long long)t->piece_length,
		    (unsigned long long)t->total_size);
		free(t);
		return -1;
	}
	t->bitfield = calloc((t->npieces + 7) / 8 + 1, 1);
	if (t->bitfield == NULL)
		fatal("%s", __func__);
	TAILQ_INSERT_TAIL(&torrents, t, entry);
	LIST_INSERT_HEAD(&by_id[t->id % TORRENT_BUCKETS], t, by_id);
	LIST_INSERT_HEAD(hash_chain(t->info_hash), t, by_hash);
	ntorrents++;
	log_debug("torrent %u: added, %u pieces%s", t->id, t->npieces,
	    t->nometa ? " (fetching metadata)" : "");
	if (ta->limits != NULL)
		on_torrent_limits(t, ta->limits);
	if (ta->pick != NULL && on_torrent_pick(t, ta->pick) == -1)
		return -1;
	add_candidates(t, ta->peers, ta->n_peers, SRC_MAGNET);
	if (!t->nometa)
		apply_pending(t);
	return 0;
}

static int
on_query_peers(struct chan *c, const Btd__QueryPeers *q)
{
	Btd__PeersReply		 r = BTD__PEERS_REPLY__INIT;
	Btd__PeerInfo		*infos = NULL, **ptrs = NULL;
	struct conn_info	*ci = NULL;
	struct torrent		*t;
	static const char *const srcs[] = { "tracker", "incoming", "magnet",
	    "pex", "cache" };
	size_t			 n = 0, i;
	int			 rc;

	r.id = q->id;
	if ((t = torrent_find(q->torrent)) != NULL) {
		ci = calloc(PEERD_MAX_PEERS_REPLY, sizeof(*ci));
		infos = calloc(PEERD_MAX_PEERS_REPLY, sizeof(*infos));
		ptrs = calloc(PEERD_MAX_PEERS_REPLY, sizeof(*ptrs));
		if (ci == NULL || infos == NULL || ptrs == NULL)
			fatal("%s", __func__);
		n = conn_peer_infos(t, ci, PEERD_MAX_PEERS_REPLY);
		for (i = 0; i < n; i++) {
			btd__peer_info__init(&infos[i]);
			infos[i].addr = ci[i].addr;
			infos[i].port = ci[i].port;
			infos[i].client = ci[i].client;
			infos[i].flags = ci[i].flags;
			infos[i].rate_down = ci[i].rate_down;
			infos[i].rate_up = ci[i].rate_up;
			infos[i].progress = ci[i].progress;
			infos[i].downloaded = ci[i].downloaded;
			infos[i].uploaded = ci[i].uploaded;
			infos[i].source = (char *)(uintptr_t)
			    srcs[ci[i].source < 5 ? ci[i].source : 0];
			ptrs[i] = &infos[i];
		}
	}
	r.n_peers = n;
	r.peers = ptrs;
	rc = MSG_SEND(c, Btd__PeerdMsg, PEERD_MSG, PEERS_REPLY, peers_reply,
	    &r, -1);
	free(ci);
	free(infos);
	free(ptrs);
	if (rc == -1)
		log_warn("%s: to btd", __func__);
	return 0;
}

static int
peerd_dispatch_btd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerdMsg	*m = MSG_AS(Btd__PeerdMsg, peerd_msg, env);
	struct torrent		*t;

	switch (m->body_case) {
	case BTD__PEERD_MSG__BODY_TORRENT_ADD:
		return on_torrent_add(m->torrent_add);
	case BTD__PEERD_MSG__BODY_TORRENT_REMOVE:
		if ((t = torrent_find(m->torrent_remove->torrent)) != NULL) {
			log_debug("torrent %u: removed", t->id);
			torrent_free(t);
		}
		return 0;
	case BTD__PEERD_MSG__BODY_QUERY_PEERS:
		return on_query_peers(c, m->query_peers);
	case BTD__PEERD_MSG__BODY_TORRENT_LIMITS:
		if ((t = torrent_find(m->torrent_limits->torrent)) != NULL)
			on_torrent_limits(t, m->torrent_limits);
		return 0;
	case BTD__PEERD_MSG__BODY_TORRENT_PICK:
		if ((t = torrent_find(m->torrent_pick->torrent)) != NULL)
			return on_torrent_pick(t, m->torrent_pick);
		return 0;
	default:
		return -1;
	}
}

/* ---- trackerd ---- */

static int
peerd_dispatch_trackerd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerTrackerdMsg *m =
	    MSG_AS(Btd__PeerTrackerdMsg, peer_trackerd_msg, env);
	struct torrent		*t;
	uint8_t			 src = SRC_TRACKER;

	(void)c;
	switch (m->body_case) {
	case BTD__PEER_TRACKERD_MSG__BODY_CANDIDATES:
		if (m->candidates->info_hash.len != 20 ||
		    (t = torrent_by_hash(m->candidates->info_hash.data)) ==
		    NULL)
			return 0;
		/* How trackerd learned them ("tracker" or unknown: tracker). */
		if (m->candidates->source == NULL)
			;
		else if (strcmp(m->candidates->source, "pex") == 0)
			src = SRC_PEX;
		else if (strcmp(m->candidates->source, "magnet") == 0)
			src = SRC_MAGNET;
		else if (strcmp(m->candidates->source, "cache") == 0)
			src = SRC_CACHE;
		else if (strcmp(m->candidates->source, "incoming") == 0)
			src = SRC_INCOMING;
		add_candidates(t, m->candidates->peers,
		    m->candidates->n_peers, src);
		return 0;
	default:
		return -1;
	}
}

void
peerd_want_peers(struct torrent *t, uint32_t count)
{
	Btd__WantPeers	 w = BTD__WANT_PEERS__INIT;
	struct chan	*c = role_peer_chan(BTD__ROLE__TRACKERD);
	uint64_t	 now = peerd_now_ms();

	if (c == NULL || (t->want_ms != 0 &&
	    now - t->want_ms < PEERD_WANT_S * 1000ULL))
		return;
	t->want_ms = now;
	w.info_hash.data = t->info_hash;
	w.info_hash.len = 20;
	w.count = count;
	if (MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG, WANT_PEERS,
	    want_peers, &w, -1) == -1)
		log_warn("%s: to trackerd", __func__);
}

/* A PeerAddr for sa; addr holds INET6_ADDRSTRLEN bytes. */
static void
peer_addr(const struct sockaddr *sa, Btd__PeerAddr *pa, char *addr)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		inet_ntop(AF_INET, &s->sin_addr, addr, INET6_ADDRSTRLEN);
		pa->port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const void *)sa;

		inet_ntop(AF_INET6, &s->sin6_addr, addr, INET6_ADDRSTRLEN);
		pa->port = ntohs(s->sin6_port);
	}
	pa->addr = addr;
}

void
peerd_connect_result(struct torrent *t, const struct sockaddr *sa, int ok,
    const char *result)
{
	Btd__ConnectResult	 r = BTD__CONNECT_RESULT__INIT;
	Btd__PeerAddr		 pa = BTD__PEER_ADDR__INIT;
	struct chan		*c = role_peer_chan(BTD__ROLE__TRACKERD);
	char			 addr[INET6_ADDRSTRLEN];

	if (c == NULL || chan_full(c))
		return;		/* history only: nothing depends on it */
	peer_addr(sa, &pa, addr);
	r.info_hash.data = t->info_hash;
	r.info_hash.len = 20;
	r.peer = &pa;
	r.ok = ok;
	r.result = (char *)(uintptr_t)result;
	if (MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG,
	    CONNECT_RESULT, connect_result, &r, -1) == -1)
		log_warn("%s: to trackerd", __func__);
}

void
peerd_peer_banned(struct torrent *t, const struct sockaddr *sa)
{
	Btd__PeerBanned	 b = BTD__PEER_BANNED__INIT;
	Btd__PeerAddr	 pa = BTD__PEER_ADDR__INIT;
	struct chan	*c = role_peer_chan(BTD__ROLE__TRACKERD);
	char		 addr[INET6_ADDRSTRLEN];

	if (c == NULL)
		return;		/* peerd refuses it anyway */
	peer_addr(sa, &pa, addr);
	b.info_hash.data = t->info_hash;
	b.info_hash.len = 20;
	b.peer = &pa;
	if (MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG, PEER_BANNED,
	    peer_banned, &b, -1) == -1)
		log_warn("%s: to trackerd", __func__);
}

/*
 * IncomingPeer for a peer that connected to us, completed the handshake
 * and gave its listen port (BEP 10 "p", which comes after the
 * handshake): then it can be dialed another time.  Once a connection,
 * from the tick or when it closes, whichever comes first; a full
 * channel leaves it to the next tick.
 */
void
peerd_incoming_peer(struct peer *p)
{
	Btd__IncomingPeer	 in = BTD__INCOMING_PEER__INIT;
	Btd__PeerAddr		 pa = BTD__PEER_ADDR__INIT;
	struct chan		*c = role_peer_chan(BTD__ROLE__TRACKERD);
	char			 addr[INET6_ADDRSTRLEN];

	if (!p->incoming || p->told || p->t == NULL ||
	    p->state != ST_ACTIVE || p->listen_port == 0 || c == NULL ||
	    chan_full(c))
		return;
	peer_addr((const struct sockaddr *)&p->ss, &pa, addr);
	pa.port = p->listen_port;
	in.info_hash.data = p->t->info_hash;
	in.info_hash.len = 20;
	in.peer = &pa;
	if (MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG,
	    INCOMING_PEER, incoming_peer, &in, -1) == -1) {
		log_warn("%s: to trackerd", __func__);
		return;
	}
	p->told = 1;
}

static void
tell_incoming(void)
{
	struct peer *p;

	TAILQ_FOREACH(p, &conn_peers, all)
		if (!p->dead)
			peerd_incoming_peer(p);
}

/* ---- once a second ---- */

static void
send_stats(void)
{
	Btd__PeerdStats		 s = BTD__PEERD_STATS__INIT;
	Btd__TorrentStats	*ts, **ptrs;
	struct torrent		*t;
	size_t			 n = 0;
	struct chan		*c = role_btd_chan();

	if (ntorrents == 0 || chan_full(c))
		return;		/* the deltas wait for the next second */
	ts = calloc(ntorrents, sizeof(*ts));
	ptrs = calloc(ntorrents, sizeof(*ptrs));
	if (ts == NULL || ptrs == NULL)
		fatal("%s", __func__);
	TAILQ_FOREACH(t, &torrents, entry) {
		if (!t->stats_dirty)
			continue;
		btd__torrent_stats__init(&ts[n]);
		ts[n].torrent = t->id;
		ts[n].downloaded = t->d_down;
		ts[n].uploaded = t->d_up;
		ts[n].wasted = t->d_wasted;
		ts[n].rate_down = t->rate_down;
		ts[n].rate_up = t->rate_up;
		ts[n].peers = t->npeers;
		ts[n].seeds = t->nseeds;
		ts[n].metadata_peers = t->meta_peers;
		ptrs[n] = &ts[n];
		n++;
	}
	if (n > 0) {
		s.n_torrents = n;
		s.torrents = ptrs;
		if (MSG_SEND(c, Btd__PeerdMsg, PEERD_MSG, STATS, stats, &s,
		    -1) == 0) {
			TAILQ_FOREACH(t, &torrents, entry) {
				if (!t->stats_dirty)
					continue;
				t->d_down = t->d_up = t->d_wasted = 0;
				t->stats_dirty = 0;
			}
		} else
			log_warn("%s: to btd", __func__);
	}
	free(ts);
	free(ptrs);
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	conn_tick(peerd_now_ms());
	tell_incoming();
	pex_tick(peerd_now_ms());
	send_stats();
}

/* ---- the role ---- */

static void
peer_up(int peer, struct chan *c)
{
	struct torrent *t;

	if (peer == BTD__ROLE__STORED)
		block_stored_up(c);
	else if (peer == BTD__ROLE__METAD)
		meta_metad_up();
	else if (peer == BTD__ROLE__TRACKERD)
		TAILQ_FOREACH(t, &torrents, entry) {
			t->want_ms = 0;
			if (t->ready || t->nometa)
				peerd_want_peers(t, PEERD_WANT_PEERS);
		}
}

static void
peer_down(int peer)
{
	if (peer == BTD__ROLE__STORED) {
		block_stored_down();
		peerd_pending_clear();
	} else if (peer == BTD__ROLE__METAD)
		meta_metad_down();
}

static const struct role_def peerd_def = {
	.name = "peerd",
	.role = BTD__ROLE__PEERD,
	.impl = "btd-peerd",
	.btd_env = &btd__peerd_msg__descriptor,
	.btd_handler = peerd_dispatch_btd,
	.peers = {
		{ BTD__ROLE__STORED, &btd__peer_stored_msg__descriptor,
		    peerd_dispatch_stored, FRAME_MAX_BLOCK },
		{ BTD__ROLE__TRACKERD, &btd__peer_trackerd_msg__descriptor,
		    peerd_dispatch_trackerd, FRAME_MAX_ROLE },
		{ BTD__ROLE__METAD, &btd__peer_metad_msg__descriptor,
		    peerd_dispatch_metad, FRAME_MAX_ROLE },
	},
	.npeers = 3,
	.config = conn_config,
	.peer_up = peer_up,
	.peer_down = peer_down,
};

int
main(int argc, char *argv[])
{
	struct timeval tv = { 1, 0 };

	role_init(&peerd_def, argc, argv);
	conn_init(role_base());
	block_init(role_base());
	rate_init(role_base());
	tick_ev = event_new(role_base(), -1, EV_PERSIST, tick, NULL);
	if (tick_ev == NULL || event_add(tick_ev, &tv) == -1)
		fatalx("tick timer");
	log_debug("started");
	role_run();
}
