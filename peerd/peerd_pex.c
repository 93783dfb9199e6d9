/*
 * peerd_pex.c -- peer exchange, ut_pex (BEP 11), on the peer wire.
 *
 * lib/pex.c parses and builds the messages; this file decides whom we
 * name to whom, when, and what to make of what a peer names.  Takes
 * from peers their extended handshake's ut_pex id and their ut_pex
 * messages; sends peers ut_pex messages, and trackerd PexPeers (the
 * peers another named), which come back as Candidates of source "pex"
 * through the address policy of every candidate (conn_torrent_
 * candidates, and the dial).
 *
 * Sending: once a minute at most to each peer that gave a ut_pex id (we
 * look once a minute, and send when something changed),
 * the peers of its torrent we are connected to (an outgoing peer at the
 * address we dialed, flagged reachable; an incoming one at its address
 * and the p of its extended handshake, or not at all without it) that
 * we did not name to it yet, and as dropped those we named and are no
 * longer connected to; at most PEX_MAX_ADDED of each a message, the
 * rest in the next.  What we named to a peer is remembered (at most
 * PEX_SENT_MAX), so that each message says only what changed.
 *
 * Receiving, and what is done with each hostile message (HOSTILE.md):
 * - not a well-formed ut_pex dictionary (ragged lists, flags of another
 *   length than their list): the peer is closed, as for any malformed
 *   wire message: no honest client sends it;
 * - a message less than PEERD_PEX_RECV_S after the last one taken from
 *   that peer: ignored whole.  Closing would cost the data of a peer
 *   whose timer merely runs early, and ignoring costs one bounded
 *   parse;
 * - more than PEX_MAX_ADDED added peers: ignored whole (no part of a
 *   list that broke the bound is taken), the peer kept;
 * - entries of port 0: left out, the rest taken;
 * - a torrent that is private (BEP 27): no ut_pex id is given, so a
 *   ut_pex message cannot be addressed to us; one sent to our id anyway
 *   is ignored, and none is sent.
 *
 * Invariants: p->pex is NULL or owned by p, freed by pex_peer_gone();
 * nothing about a private torrent is sent or handed on.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "common.pb-c.h"
#include "peer_trackerd.pb-c.h"

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "pex.h"
#include "role.h"
#include "peerd.h"

#define PEX_SENT_MAX	200	/* peers named to one peer, remembered */

struct pex_state {
	uint8_t		 id;		/* its ut_pex id, 0 none */
	uint64_t	 sent_ms;	/* we last looked what to tell it, 0
					   never */
	uint64_t	 recv_ms;	/* its last message taken, 0 none */
	uint32_t	 ignored;	/* its messages ignored */
	struct pex_peer	 sent[PEX_SENT_MAX];	/* named to it, not dropped */
	uint32_t	 nsent;
};

static struct pex_state *
state(struct peer *p)
{
	if (p->pex == NULL && (p->pex = calloc(1, sizeof(*p->pex))) == NULL)
		log_warn("%s", __func__);
	return p->pex;		/* freed by pex_peer_gone() */
}

void
pex_exths(struct peer *p, const struct wire_exths *x)
{
	struct pex_state *s;

	if (p->t->private)
		return;
	if (x->ut_pex == 0 && p->pex == NULL)
		return;
	if ((s = state(p)) != NULL)
		s->id = x->ut_pex;	/* BEP 10: 0 turns it off */
}

void
pex_peer_gone(struct peer *p)
{
	free(p->pex);
	p->pex = NULL;
}

/* Where q listens, as we would name it; -1 if we do not know. */
static int
pex_addr(const struct peer *q, struct pex_peer *pp)
{
	memset(pp, 0, sizeof(*pp));
	if (q->incoming && q->listen_port == 0)
		return -1;
	if (q->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&q->ss;

		pp->family = AF_INET;
		memcpy(pp->addr, &s->sin_addr, 4);
		pp->port = ntohs(s->sin_port);
	} else if (q->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)&q->ss;

		pp->family = AF_INET6;
		memcpy(pp->addr, &s->sin6_addr, 16);
		pp->port = ntohs(s->sin6_port);
	} else
		return -1;
	if (q->incoming)
		pp->port = q->listen_port;
	else
		pp->flags |= PEX_F_REACHABLE;
	if (q->pp_init && q->pp.seed)
		pp->flags |= PEX_F_SEED;
	return pp->port != 0 ? 0 : -1;
}

static int
same(const struct pex_peer *a, const struct pex_peer *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

static int
in(const struct pex_peer *ps, size_t n, const struct pex_peer *x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same(&ps[i], x))
			return 1;
	return 0;
}

/* What changed for p since our last message, sent; -1 when p closed. */
static int
send_to(struct peer *p, uint64_t now)
{
	static struct pex_peer	 cur[PEX_SENT_MAX];
	struct pex_peer		 add[PEX_MAX_ADDED], drop[PEX_MAX_DROPPED];
	struct pex_peer		 self;
	struct pex_state	*s = p->pex;
	struct peer		*q;
	uint8_t			 buf[6 + PEX_MAX_MSG];
	size_t			 ncur = 0, nadd = 0, ndrop = 0, n;
	uint32_t		 i;
	int			 have_self;

	have_self = pex_addr(p, &self) == 0;
	TAILQ_FOREACH(q, &p->t->peers, entry) {
		if (q == p || q->dead || ncur == PEX_SENT_MAX ||
		    pex_addr(q, &cur[ncur]) == -1 ||
		    (have_self && same(&cur[ncur], &self)) ||
		    in(cur, ncur, &cur[ncur]))
			continue;
		ncur++;
	}
	for (i = 0; i < s->nsent && ndrop < PEX_MAX_DROPPED; ) {
		if (in(cur, ncur, &s->sent[i])) {
			i++;
			continue;
		}
		drop[ndrop++] = s->sent[i];
		s->sent[i] = s->sent[--s->nsent];
	}
	for (i = 0; i < ncur && nadd < PEX_MAX_ADDED &&
	    s->nsent < PEX_SENT_MAX; i++)
		if (!in(s->sent, s->nsent, &cur[i])) {
			add[nadd++] = cur[i];
			s->sent[s->nsent++] = cur[i];
		}
	s->sent_ms = now;	/* even when there is nothing to say */
	if (nadd == 0 && ndrop == 0)
		return 0;
	n = pex_build(buf + 6, sizeof(buf) - 6, add, nadd, drop, ndrop);
	if (n == 0) {
		log_warnx("%s: peer %s port %u: no message built", __func__,
		    p->addr, p->port);
		return 0;
	}
	log_debug("peer %s port %u: ut_pex: %zu added, %zu dropped", p->addr,
	    p->port, nadd, ndrop);
	n = wire_build_extended(buf, s->id, buf + 6, n);
	return conn_send(p, buf, n);
}

void
pex_tick(uint64_t now_ms)
{
	struct torrent	*t;
	struct peer	*p, *next;

	TAILQ_FOREACH(t, &torrents, entry) {
		if (t->private || t->gone)
			continue;
		for (p = TAILQ_FIRST(&t->peers); p != NULL; p = next) {
			next = TAILQ_NEXT(p, entry);	/* p may close */
			if (p->dead || p->pex == NULL || p->pex->id == 0 ||
			    (p->pex->sent_ms != 0 && now_ms - p->pex->sent_ms <
			    PEERD_PEX_S * 1000ULL))
				continue;
			(void)send_to(p, now_ms);
		}
	}
}

/* The peers p named, to trackerd; dropped when it is down or busy. */
static void
to_trackerd(struct peer *p, const struct pex_msg *m)
{
	Btd__PexPeers	 pp = BTD__PEX_PEERS__INIT;
	Btd__PeerAddr	 pa[PEX_MAX_ADDED], *ptrs[PEX_MAX_ADDED];
	char		 addrs[PEX_MAX_ADDED][INET6_ADDRSTRLEN];
	struct chan	*c = role_peer_chan(BTD__ROLE__TRACKERD);
	uint32_t	 i;

	if (c == NULL || chan_full(c)) {
		log_debug("peer %s port %u: ut_pex: %u peers not handed on: "
		    "trackerd is %s", p->addr, p->port, m->nadded, c == NULL ?
		    "not attached" : "busy");
		return;		/* advice: the peer names them again */
	}
	for (i = 0; i < m->nadded; i++) {
		btd__peer_addr__init(&pa[i]);
		inet_ntop(m->added[i].family, m->added[i].addr, addrs[i],
		    sizeof(addrs[i]));
		pa[i].addr = addrs[i];
		pa[i].port = m->added[i].port;
		ptrs[i] = &pa[i];
	}
	pp.info_hash.data = p->t->info_hash;
	pp.info_hash.len = 20;
	pp.added = ptrs;
	pp.n_added = m->nadded;
	if (MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG, PEX_PEERS,
	    pex_peers, &pp, -1) == -1)
		log_warn("%s: to trackerd", __func__);
}

int
pex_message(struct peer *p, const uint8_t *buf, size_t len)
{
	static struct pex_msg	 m;
	struct pex_state	*s;
	uint64_t		 now = peerd_now_ms();
	char			 err[128];
	int			 rc;

	if (p->t->private) {
		log_debug("peer %s port %u: ut_pex on a private torrent: "
		    "ignored", p->addr, p->port);
		return 0;
	}
	if ((s = state(p)) == NULL)
		return 0;
	if (s->recv_ms != 0 && now - s->recv_ms < PEERD_PEX_RECV_S * 1000ULL) {
		/* Said once a connection: a flood would flood the log. */
		if (s->ignored++ == 0)
			log_info("peer %s port %u: ut_pex %llu ms after the "
			    "last: ignored", p->addr, p->port,
			    (unsigned long long)(now - s->recv_ms));
		return 0;
	}
	rc = pex_parse(buf, len, &m, err, sizeof(err));
	if (rc == PEX_BAD) {
		conn_close(p, err);
		return -1;
	}
	s->recv_ms = now;
	if (rc == PEX_TOO_MANY) {
		if (s->ignored++ == 0)
			log_info("peer %s port %u: %s: ignored", p->addr,
			    p->port, err);
		return 0;
	}
	log_debug("peer %s port %u: ut_pex: %u added (%u of port 0 left "
	    "out), %u dropped", p->addr, p->port, m.nadded, m.nport0,
	    m.ndropped);
	if (m.nadded > 0)
		to_trackerd(p, &m);
	return 0;
}
