/*
 * peerd_meta.c -- ut_metadata (BEP 9) on the peer wire, relayed to and
 * from metad (peer_metad.proto).
 *
 * peerd parses and builds the messages (lib/utmeta.c); metad decides
 * what to ask, assembles, verifies and serves.  Takes from peers their
 * extended handshake's ut_metadata id and metadata_size, and their
 * requests, data and rejects; sends metad MetaOffer (a peer of a
 * torrent without metadata offers it), MetaGone, MetaData, MetaReject
 * and MetaWant.  Takes from metad MetaAsk (request a piece of a peer),
 * MetaSend (a piece or a reject for a peer's request) and MetaDrop
 * (close a peer that sent bad metadata).
 *
 * Invariants: data reaches metad only for a piece metad asked of that
 * very peer (p->meta_ask, the last PEERD_META_ASKS, oldest first: metad
 * gives up on an ask after its timeout and asks anew); at most
 * PEERD_META_WANTS requests of one peer wait at metad, past that they
 * are rejected here; t->meta_peers counts exactly the peers of t with
 * meta_offered set.  A peer's keys (p->mkey) are never reused in one
 * run, so a late answer of metad about a peer that left finds nobody.
 */
#include <stdio.h>
#include <string.h>

#include "common.pb-c.h"
#include "peer_metad.pb-c.h"

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "utmeta.h"
#include "peerd.h"

static uint32_t	next_key;

static struct chan *
metad_chan(void)
{
	return role_peer_chan(BTD__ROLE__METAD);
}

static struct peer *
peer_by_key(uint32_t torrent, uint32_t key)
{
	struct torrent	*t;
	struct peer	*p;

	if (key == 0 || (t = torrent_find(torrent)) == NULL)
		return NULL;
	TAILQ_FOREACH(p, &t->peers, entry)
		if (p->mkey == key && !p->dead)
			return p;
	return NULL;
}

/* One ut_metadata message to p; -1 when p was closed. */
static int
send_utm(struct peer *p, int type, uint32_t piece, uint32_t total,
    const uint8_t *data, size_t len)
{
	uint8_t	 msg[6 + UTM_MAX_MSG];
	size_t	 n;

	if (p->ut_meta == 0)
		return 0;	/* it takes none */
	if ((n = utm_build(msg + 6, type, piece, total, data, len)) == 0)
		return 0;
	n = wire_build_extended(msg, p->ut_meta, msg + 6, n);
	return conn_send(p, msg, n);
}

static void
send_offer(struct peer *p)
{
	Btd__MetaOffer	 o = BTD__META_OFFER__INIT;
	struct chan	*c = metad_chan();

	if (c == NULL)
		return;
	o.torrent = p->t->id;
	o.peer = p->mkey;
	o.metadata_size = p->meta_size;
	if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_OFFER,
	    meta_offer, &o, -1) == -1)
		log_warn("%s: to metad", __func__);
}

void
meta_exths(struct peer *p, const struct wire_exths *x)
{
	struct torrent	*t = p->t;
	char		 err[96];

	if (p->mkey == 0)
		p->mkey = ++next_key;
	p->ut_meta = x->ut_metadata;
	p->meta_size = x->metadata_size;
	if (!t->nometa || p->meta_offered)
		return;
	if (p->ut_meta == 0 || p->meta_size == -1)
		return;		/* no metadata to offer */
	if (utm_size_check(p->meta_size, err, sizeof(err)) == -1) {
		log_info("peer %s port %u: %s; not asked for metadata",
		    p->addr, p->port, err);
		return;
	}
	p->meta_offered = 1;
	t->meta_peers++;
	t->stats_dirty = 1;
	send_offer(p);
}

void
meta_peer_gone(struct peer *p)
{
	Btd__MetaGone	 g = BTD__META_GONE__INIT;
	struct chan	*c = metad_chan();

	if (!p->meta_offered)
		return;
	p->meta_offered = 0;
	p->t->meta_peers--;
	p->t->stats_dirty = 1;
	if (c == NULL)
		return;
	g.torrent = p->t->id;
	g.peer = p->mkey;
	if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_GONE,
	    meta_gone, &g, -1) == -1)
		log_warn("%s: to metad", __func__);
}

/* Was piece asked of p by metad?  Then it is not any more. */
static int
ask_take(struct peer *p, uint32_t piece)
{
	uint32_t i;

	for (i = 0; i < p->nmeta_ask; i++)
		if (p->meta_ask[i] == piece) {
			memmove(p->meta_ask + i, p->meta_ask + i + 1,
			    (p->nmeta_ask - i - 1) * sizeof(p->meta_ask[0]));
			p->nmeta_ask--;
			return 1;
		}
	return 0;
}

static int
on_request(struct peer *p, uint32_t piece)
{
	Btd__MetaWant	 w = BTD__META_WANT__INIT;
	struct chan	*c = metad_chan();

	if (p->t->nometa || p->t->metadata_size == 0 || c == NULL ||
	    chan_full(c) || p->nmeta_want >= PEERD_META_WANTS)
		return send_utm(p, UTM_REJECT, piece, 0, NULL, 0);
	w.torrent = p->t->id;
	w.peer = p->mkey;
	w.piece = piece;
	if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_WANT,
	    meta_want, &w, -1) == -1) {
		log_warn("%s: to metad", __func__);
		return send_utm(p, UTM_REJECT, piece, 0, NULL, 0);
	}
	p->nmeta_want++;
	return 0;
}

int
meta_message(struct peer *p, const uint8_t *buf, size_t len)
{
	Btd__MetaData	 d = BTD__META_DATA__INIT;
	Btd__MetaReject	 r = BTD__META_REJECT__INIT;
	struct utm_msg	 m;
	struct chan	*c;
	char		 err[128];

	if (p->mkey == 0)
		p->mkey = ++next_key;
	if (utm_parse(buf, len, &m, err, sizeof(err)) == -1) {
		log_info("peer %s port %u: %s", p->addr, p->port, err);
		conn_close(p, err);
		return -1;
	}
	switch (m.type) {
	case UTM_REQUEST:
		return on_request(p, m.piece);
	case UTM_DATA:
		if (!ask_take(p, m.piece) || (c = metad_chan()) == NULL) {
			log_debug("peer %s port %u: metadata piece %u not "
			    "asked for; discarded", p->addr, p->port,
			    m.piece);
			return 0;
		}
		d.torrent = p->t->id;
		d.peer = p->mkey;
		d.piece = m.piece;
		d.total_size = m.total_size;
		d.data.data = (uint8_t *)(uintptr_t)m.data;
		d.data.len = m.len;
		if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_DATA,
		    meta_data, &d, -1) == -1)
			log_warn("%s: to metad", __func__);
		return 0;
	case UTM_REJECT:
		if (!ask_take(p, m.piece) || (c = metad_chan()) == NULL)
			return 0;
		r.torrent = p->t->id;
		r.peer = p->mkey;
		r.piece = m.piece;
		if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_REJECT,
		    meta_reject, &r, -1) == -1)
			log_warn("%s: to metad", __func__);
		return 0;
	default:
		return 0;	/* another msg_type: ignored (BEP 9) */
	}
}

/* ---- metad -> peerd ---- */

static int
on_ask(struct chan *c, const Btd__MetaAsk *a)
{
	Btd__MetaReject	 r = BTD__META_REJECT__INIT;
	Btd__MetaGone	 g = BTD__META_GONE__INIT;
	struct peer	*p;

	if (a->piece >= UTM_MAX_PIECES)
		return -1;
	if ((p = peer_by_key(a->torrent, a->peer)) == NULL) {
		/* It left; metad may not have heard yet. */
		g.torrent = a->torrent;
		g.peer = a->peer;
		if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_GONE,
		    meta_gone, &g, -1) == -1)
			log_warn("%s: to metad", __func__);
		return 0;
	}
	if (p->nmeta_ask == PEERD_META_ASKS) {
		/* metad gave up on the oldest (its timeout): forget it. */
		memmove(p->meta_ask, p->meta_ask + 1,
		    (PEERD_META_ASKS - 1) * sizeof(p->meta_ask[0]));
		p->nmeta_ask--;
	}
	if (p->ut_meta == 0) {
		r.torrent = a->torrent;
		r.peer = a->peer;
		r.piece = a->piece;
		if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_REJECT,
		    meta_reject, &r, -1) == -1)
			log_warn("%s: to metad", __func__);
		return 0;
	}
	p->meta_ask[p->nmeta_ask++] = a->piece;
	(void)send_utm(p, UTM_REQUEST, a->piece, 0, NULL, 0);
	return 0;
}

static int
on_send(const Btd__MetaSend *s)
{
	struct peer *p;

	if (s->piece >= UTM_MAX_PIECES || (!s->reject &&
	    (s->total_size == 0 || s->total_size > UTM_MAX_SIZE ||
	    s->data.len != utm_piece_len(s->total_size, s->piece))))
		return -1;
	if ((p = peer_by_key(s->torrent, s->peer)) == NULL)
		return 0;
	if (p->nmeta_want > 0)
		p->nmeta_want--;
	if (s->reject)
		(void)send_utm(p, UTM_REJECT, s->piece, 0, NULL, 0);
	else
		(void)send_utm(p, UTM_DATA, s->piece, s->total_size,
		    s->data.data, s->data.len);
	return 0;
}

int
peerd_dispatch_metad(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerMetadMsg *m =
	    MSG_AS(Btd__PeerMetadMsg, peer_metad_msg, env);
	struct peer		*p;

	switch (m->body_case) {
	case BTD__PEER_METAD_MSG__BODY_META_ASK:
		return on_ask(c, m->meta_ask);
	case BTD__PEER_METAD_MSG__BODY_META_SEND:
		return on_send(m->meta_send);
	case BTD__PEER_METAD_MSG__BODY_META_DROP:
		if ((p = peer_by_key(m->meta_drop->torrent,
		    m->meta_drop->peer)) != NULL)
			conn_close(p, "metad: it sent bad metadata");
		return 0;
	default:
		return -1;
	}
}

/* A new metad link: whatever was asked is forgotten; offer again. */
void
meta_metad_up(void)
{
	struct torrent	*t;
	struct peer	*p;

	TAILQ_FOREACH(t, &torrents, entry)
		TAILQ_FOREACH(p, &t->peers, entry) {
			p->nmeta_ask = p->nmeta_want = 0;
			if (p->meta_offered)
				send_offer(p);
		}
}

void
meta_metad_down(void)
{
	struct torrent	*t;
	struct peer	*p;

	TAILQ_FOREACH(t, &torrents, entry)
		TAILQ_FOREACH(p, &t->peers, entry)
			p->nmeta_ask = p->nmeta_want = 0;
}
