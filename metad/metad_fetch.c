/*
 * metad_fetch.c -- fetching a magnet's metadata (BEP 9) from the peers
 * peerd reports, and metad's side of the peerd channel.
 *
 * Takes from btd (through metad_parse.c) MetaFetch and MetaForget; from
 * peerd MetaOffer, MetaGone, MetaData, MetaReject (and MetaWant, which
 * goes to metad_serve.c).  Sends peerd MetaAsk and MetaDrop, and btd
 * one MetaResult per fetch.
 *
 * A fetch is one torrent, named by btd's number.  Offers may come
 * before btd's MetaFetch (both channels come up after a restart in any
 * order): they are kept, and asking starts once the info-hash is
 * known.  The metadata size is the first offered that passes
 * utm_size_check(); pieces are asked of several peers at once, at most
 * FETCH_PEER_OUT of one peer, the least busy first; an ask unanswered
 * after FETCH_TIMEOUT_MS goes to another peer.  A piece of the wrong
 * length, range or total size gets its sender dropped at once (MetaDrop:
 * peerd closes it).  Assembled bytes whose SHA-1 is not the info-hash
 * are thrown away: every peer that sent a piece of them takes a strike,
 * and the next try asks every piece of one peer alone, so that a
 * failure then names its sender, which is dropped; a peer of
 * FETCH_STRIKES_MAX strikes is dropped too.  Verified bytes go through
 * metad_info_parse() -- the checks of a .torrent -- and to btd.
 *
 * Invariants: a piece is asked of at most one peer at a time
 * (asked[piece] names it), and peer->out counts exactly the pieces
 * asked of it; memory for assembling is allocated only for a size in
 * bounds, and FETCH_MEM_MAX bounds the sum over every fetch.
 *
 * Rejected alternative: asking every piece of every peer and keeping
 * the first answer finishes sooner on a tiny swarm, but multiplies the
 * traffic and makes a bad piece's sender impossible to name.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common.pb-c.h"

#include "chan.h"
#include "log.h"
#include "metainfo.h"
#include "msg.h"
#include "role.h"
#include "util.h"
#include "utmeta.h"
#include "metad.h"

struct fpeer {
	uint32_t	key;		/* peerd's, never 0 */
	int64_t		size;		/* its metadata_size */
	uint32_t	out;		/* pieces asked of it, unanswered */
	uint32_t	strikes;	/* failed tries it sent pieces of */
	uint32_t	rejects;
	uint32_t	timeouts;
	int		dropped;	/* never asked again */
};

struct fetch {
	TAILQ_ENTRY(fetch)	 entry;
	uint32_t		 torrent;	/* btd's number */
	int			 known;		/* MetaFetch came: ih */
	uint8_t			 ih[20];
	struct fpeer		 peers[FETCH_MAX_PEERS];
	size_t			 npeers;
	struct utm_asm		 a;		/* a.size 0: no size yet */
	uint32_t		*asked;		/* per piece: peer key, 0 */
	uint64_t		*asked_ms;	/* per piece: when */
	uint32_t		*from;		/* per piece: who sent it */
	int			 solo;		/* one peer a try (a failure) */
	uint32_t		 solo_key;	/* the peer of this try */
	uint32_t		 tries;		/* failed verifications */
};

static TAILQ_HEAD(, fetch)	 fetches = TAILQ_HEAD_INITIALIZER(fetches);
static size_t			 nfetches;
static size_t			 asm_bytes;	/* sum of a.size */
static struct event		*tick_ev;

static void	schedule(struct fetch *);

static struct fetch *
fetch_find(uint32_t torrent)
{
	struct fetch *f;

	TAILQ_FOREACH(f, &fetches, entry)
		if (f->torrent == torrent)
			return f;
	return NULL;
}

static struct fetch *
fetch_get(uint32_t torrent)
{
	struct fetch *f;

	if ((f = fetch_find(torrent)) != NULL)
		return f;
	if (nfetches >= FETCH_MAX) {
		log_warnx("fetch: more than %d torrents fetching metadata; "
		    "torrent %u waits", FETCH_MAX, torrent);
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_warn("fetch: torrent %u", torrent);
		return NULL;
	}
	f->torrent = torrent;
	TAILQ_INSERT_TAIL(&fetches, f, entry);
	nfetches++;
	return f;
}

/* Forget the size and every piece (a new size, or the fetch ends). */
static void
asm_drop(struct fetch *f)
{
	size_t i;

	asm_bytes -= f->a.size;
	utm_asm_free(&f->a);
	free(f->asked);
	free(f->asked_ms);
	free(f->from);
	f->asked = f->from = NULL;
	f->asked_ms = NULL;
	for (i = 0; i < f->npeers; i++)
		f->peers[i].out = 0;
}

static void
fetch_free(struct fetch *f)
{
	asm_drop(f);
	TAILQ_REMOVE(&fetches, f, entry);
	nfetches--;
	free(f);
}

void
fetch_forget(uint32_t torrent)
{
	struct fetch *f;

	if ((f = fetch_find(torrent)) != NULL) {
		log_debug("fetch: torrent %u forgotten", torrent);
		fetch_free(f);
	}
}

static struct fpeer *
peer_find(struct fetch *f, uint32_t key)
{
	size_t i;

	for (i = 0; i < f->npeers; i++)
		if (f->peers[i].key == key)
			return &f->peers[i];
	return NULL;
}

/* Pieces asked of key are wanted again. */
static void
unask_peer(struct fetch *f, uint32_t key)
{
	uint32_t i;

	if (f->asked == NULL)
		return;
	for (i = 0; i < f->a.npieces; i++)
		if (f->asked[i] == key)
			f->asked[i] = 0;
}

static void
peer_remove(struct fetch *f, uint32_t key)
{
	size_t i;

	for (i = 0; i < f->npeers; i++)
		if (f->peers[i].key == key)
			break;
	if (i == f->npeers)
		return;
	unask_peer(f, key);
	if (f->solo && f->solo_key == key)
		f->solo_key = 0;
	f->peers[i] = f->peers[--f->npeers];
}

/* peerd closes the peer; metad asks it nothing more. */
static void
drop(struct fetch *f, struct fpeer *p, const char *why)
{
	Btd__MetaDrop	 d = BTD__META_DROP__INIT;
	struct chan	*c = role_peer_chan(BTD__ROLE__PEERD);

	log_info("fetch: torrent %u: peer %u dropped: %s", f->torrent, p->key,
	    why);
	p->dropped = 1;
	unask_peer(f, p->key);
	p->out = 0;
	if (f->solo && f->solo_key == p->key)
		f->solo_key = 0;
	d.torrent = f->torrent;
	d.peer = p->key;
	d.why = (char *)(uintptr_t)why;
	if (c != NULL && MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG,
	    META_DROP, meta_drop, &d, -1) == -1)
		log_warn("fetch: drop to peerd");
}

static int
peer_usable(const struct fetch *f, const struct fpeer *p)
{
	return !p->dropped && p->size == (int64_t)f->a.size &&
	    p->rejects < FETCH_REJECTS_MAX && p->timeouts < FETCH_TIMEOUTS_MAX;
}

/* A size to assemble: the first usable peer's.  0, or -1 none yet. */
static int
size_pick(struct fetch *f)
{
	size_t	 i;
	char	 err[128];
	uint32_t n;

	for (i = 0; i < f->npeers; i++) {
		struct fpeer *p = &f->peers[i];

		if (p->dropped || p->rejects >= FETCH_REJECTS_MAX ||
		    p->timeouts >= FETCH_TIMEOUTS_MAX)
			continue;
		if (asm_bytes + (uint64_t)p->size > FETCH_MEM_MAX)
			return -1;	/* waits for another fetch to end */
		if (utm_asm_init(&f->a, f->ih, p->size, err,
		    sizeof(err)) == -1) {
			log_warnx("fetch: torrent %u: %s", f->torrent, err);
			return -1;
		}
		n = f->a.npieces;
		f->asked = calloc(n, sizeof(*f->asked));
		f->asked_ms = calloc(n, sizeof(*f->asked_ms));
		f->from = calloc(n, sizeof(*f->from));
		if (f->asked == NULL || f->asked_ms == NULL ||
		    f->from == NULL) {
			asm_bytes += f->a.size;
			asm_drop(f);
			log_warnx("fetch: torrent %u: out of memory",
			    f->torrent);
			return -1;
		}
		asm_bytes += f->a.size;
		log_debug("fetch: torrent %u: %u bytes in %u pieces",
		    f->torrent, f->a.size, n);
		return 0;
	}
	return -1;
}

/* The peer to ask next: the least busy usable one, or NULL. */
static struct fpeer *
peer_pick(struct fetch *f)
{
	struct fpeer	*best = NULL, *p;
	size_t		 i;

	if (f->solo) {
		if (f->solo_key == 0) {
			/* The usable peer of fewest strikes. */
			for (i = 0; i < f->npeers; i++) {
				p = &f->peers[i];
				if (peer_usable(f, p) && (best == NULL ||
				    p->strikes < best->strikes))
					best = p;
			}
			if (best == NULL)
				return NULL;
			f->solo_key = best->key;
			log_debug("fetch: torrent %u: try %u from peer %u "
			    "alone", f->torrent, f->tries + 1, best->key);
		}
		p = peer_find(f, f->solo_key);
		if (p == NULL || !peer_usable(f, p)) {
			f->solo_key = 0;
			return NULL;
		}
		return p->out < FETCH_PEER_OUT ? p : NULL;
	}
	for (i = 0; i < f->npeers; i++) {
		p = &f->peers[i];
		if (peer_usable(f, p) && p->out < FETCH_PEER_OUT &&
		    (best == NULL || p->out < best->out))
			best = p;
	}
	return best;
}

/* Ask for every piece not in and not asked, while peers have room. */
static void
schedule(struct fetch *f)
{
	Btd__MetaAsk	 a = BTD__META_ASK__INIT;
	struct chan	*c = role_peer_chan(BTD__ROLE__PEERD);
	struct fpeer	*p;
	uint64_t	 now = util_now_ms();
	uint32_t	 i;
	size_t		 k;

	if (!f->known || c == NULL)
		return;
	if (f->a.size != 0) {
		/* No peer offers this size any more: take another. */
		for (k = 0; k < f->npeers; k++)
			if (peer_usable(f, &f->peers[k]))
				break;
		if (k == f->npeers) {
			asm_drop(f);
			f->solo_key = 0;
		}
	}
	if (f->a.size == 0 && size_pick(f) == -1)
		return;
	for (i = 0; i < f->a.npieces; i++) {
		if (utm_asm_has(&f->a, i) || f->asked[i] != 0)
			continue;
		if ((p = peer_pick(f)) == NULL || chan_full(c))
			return;
		a.torrent = f->torrent;
		a.peer = p->key;
		a.piece = i;
		if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_ASK,
		    meta_ask, &a, -1) == -1) {
			log_warn("fetch: ask peerd");
			return;
		}
		f->asked[i] = p->key;
		f->asked_ms[i] = now;
		p->out++;
	}
}

int
fetch_start(const Btd__MetaFetch *m)
{
	struct fetch *f;

	if (m->info_hash.len != 20 || m->torrent == 0)
		return -1;
	if ((f = fetch_get(m->torrent)) == NULL)
		return 0;
	if (f->known && memcmp(f->ih, m->info_hash.data, 20) == 0)
		return 0;
	asm_drop(f);
	memcpy(f->ih, m->info_hash.data, 20);
	f->known = 1;
	log_debug("fetch: torrent %u: started", f->torrent);
	schedule(f);
	return 0;
}

/* Send btd the verified metadata, or why it cannot be had. */
static void
finish(struct fetch *f)
{
	Btd__MetaResult		 r = BTD__META_RESULT__INIT;
	struct metad_desc	 d;
	struct metainfo		*mi = NULL;
	struct chan		*c = role_btd_chan();
	char			 err[512];
	int			 built = 0;

	r.torrent = f->torrent;
	if (metad_info_parse(f->a.buf, f->a.size, &mi, err,
	    sizeof(err)) == -1) {
		log_info("fetch: torrent %u: the metadata matches its "
		    "info-hash but is refused: %s", f->torrent, err);
		r.ok = 0;
		r.error = err;
	} else if (metad_desc_build(mi, &d) == -1) {
		r.ok = 0;
		r.error = (char *)(uintptr_t)"metad: out of memory";
	} else {
		built = 1;
		r.ok = 1;
		/* The trackers are the magnet's; btd keeps them. */
		d.t.n_trackers = 0;
		r.torrent_desc = &d.t;
		log_info("fetch: torrent %u: metadata verified: %u bytes, "
		    "%zu file%s", f->torrent, f->a.size, mi->nfiles,
		    mi->nfiles == 1 ? "" : "s");
	}
	if (MSG_SEND(c, Btd__MetadMsg, METAD_MSG, META_RESULT, meta_result,
	    &r, -1) == -1)
		log_warn("fetch: result to btd");
	if (built)
		metad_desc_free(&d);
	metainfo_free(mi);
	fetch_free(f);
}

/* Every piece is in: verify, then finish or try again. */
static void
complete(struct fetch *f)
{
	uint32_t	 i, contrib[FETCH_MAX_PEERS], n = 0, k;
	struct fpeer	*p;

	if (utm_asm_verify(&f->a)) {
		finish(f);
		return;
	}
	f->tries++;
	for (i = 0; i < f->a.npieces; i++) {
		for (k = 0; k < n; k++)
			if (contrib[k] == f->from[i])
				break;
		if (k == n && n < FETCH_MAX_PEERS)
			contrib[n++] = f->from[i];
		f->from[i] = 0;
	}
	log_info("fetch: torrent %u: metadata from %u peer%s does not match "
	    "the info-hash (try %u); fetched again", f->torrent, n,
	    n == 1 ? "" : "s", f->tries);
	for (k = 0; k < n; k++) {
		if ((p = peer_find(f, contrib[k])) == NULL)
			continue;
		p->strikes++;
		if (n == 1)
			drop(f, p, "sent metadata whose SHA-1 is not the "
			    "info-hash");
		else if (p->strikes >= FETCH_STRIKES_MAX)
			drop(f, p, "took part in failed metadata too often");
	}
	/* From now on one peer a try: a failure names its sender. */
	f->solo = 1;
	f->solo_key = 0;
	schedule(f);
}

static int
on_offer(const Btd__MetaOffer *m)
{
	struct fetch	*f;
	struct fpeer	*p;
	char		 err[128];

	if (m->peer == 0)
		return -1;
	if (utm_size_check(m->metadata_size, err, sizeof(err)) == -1) {
		log_info("fetch: torrent %u: peer %u refused: %s", m->torrent,
		    m->peer, err);
		return 0;
	}
	if ((f = fetch_get(m->torrent)) == NULL)
		return 0;
	if ((p = peer_find(f, m->peer)) == NULL) {
		if (f->npeers >= FETCH_MAX_PEERS)
			return 0;
		p = &f->peers[f->npeers++];
		memset(p, 0, sizeof(*p));
		p->key = m->peer;
	} else if (p->size != m->metadata_size) {
		unask_peer(f, p->key);
		p->out = 0;
	}
	p->size = m->metadata_size;
	schedule(f);
	return 0;
}

static int
on_data(const Btd__MetaData *m)
{
	struct fetch	*f;
	struct fpeer	*p;
	char		 err[128], why[160];
	int		 rc;

	if ((f = fetch_find(m->torrent)) == NULL ||
	    (p = peer_find(f, m->peer)) == NULL || f->asked == NULL ||
	    m->piece >= f->a.npieces || f->asked[m->piece] != m->peer) {
		log_debug("fetch: torrent %u: piece %u from peer %u not "
		    "asked; ignored", m->torrent, m->piece, m->peer);
		return 0;
	}
	f->asked[m->piece] = 0;
	p->out--;
	rc = utm_asm_put(&f->a, m->piece, m->total_size, m->data.data,
	    m->data.len, err, sizeof(err));
	if (rc == -1) {
		snprintf(why, sizeof(why), "bad metadata piece: %s", err);
		drop(f, p, why);
	} else if (rc == 1) {
		f->from[m->piece] = p->key;
		p->timeouts = 0;
	}
	if (utm_asm_complete(&f->a))
		complete(f);
	else
		schedule(f);
	return 0;
}

static int
on_reject(const Btd__MetaReject *m)
{
	struct fetch	*f;
	struct fpeer	*p;

	if ((f = fetch_find(m->torrent)) == NULL ||
	    (p = peer_find(f, m->peer)) == NULL || f->asked == NULL ||
	    m->piece >= f->a.npieces || f->asked[m->piece] != m->peer)
		return 0;
	f->asked[m->piece] = 0;
	p->out--;
	p->rejects++;
	log_debug("fetch: torrent %u: peer %u rejected piece %u",
	    f->torrent, p->key, m->piece);
	schedule(f);
	return 0;
}

static int
on_gone(const Btd__MetaGone *m)
{
	struct fetch *f;

	if ((f = fetch_find(m->torrent)) == NULL)
		return 0;
	peer_remove(f, m->peer);
	if (!f->known && f->npeers == 0) {
		/* Offers for a torrent btd never asked about: forget it. */
		fetch_free(f);
		return 0;
	}
	schedule(f);
	return 0;
}

int
metad_dispatch_peerd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerMetadMsg *m =
	    MSG_AS(Btd__PeerMetadMsg, peer_metad_msg, env);

	switch (m->body_case) {
	case BTD__PEER_METAD_MSG__BODY_META_OFFER:
		return on_offer(m->meta_offer);
	case BTD__PEER_METAD_MSG__BODY_META_GONE:
		return on_gone(m->meta_gone);
	case BTD__PEER_METAD_MSG__BODY_META_DATA:
		return on_data(m->meta_data);
	case BTD__PEER_METAD_MSG__BODY_META_REJECT:
		return on_reject(m->meta_reject);
	case BTD__PEER_METAD_MSG__BODY_META_WANT:
		serve_want(c, m->meta_want);
		return 0;
	default:
		return -1;
	}
}

/* peerd went away: its peers with it; it offers them again. */
void
fetch_peerd_down(void)
{
	struct fetch *f;

	TAILQ_FOREACH(f, &fetches, entry) {
		while (f->npeers > 0)
			peer_remove(f, f->peers[0].key);
		f->solo_key = 0;
	}
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	struct fetch	*f;
	struct fpeer	*p;
	uint64_t	 now = util_now_ms();
	uint32_t	 i;

	(void)fd;
	(void)ev;
	(void)arg;
	TAILQ_FOREACH(f, &fetches, entry) {
		for (i = 0; f->asked != NULL && i < f->a.npieces; i++) {
			if (f->asked[i] == 0 ||
			    now - f->asked_ms[i] < FETCH_TIMEOUT_MS)
				continue;
			if ((p = peer_find(f, f->asked[i])) != NULL) {
				p->out--;
				p->timeouts++;
				log_debug("fetch: torrent %u: peer %u did not "
				    "send piece %u in time", f->torrent,
				    p->key, i);
				if (f->solo && f->solo_key == p->key &&
				    p->timeouts >= FETCH_TIMEOUTS_MAX)
					f->solo_key = 0;
			}
			f->asked[i] = 0;
		}
		schedule(f);
	}
}

void
fetch_init(struct event_base *base)
{
	struct timeval tv = { 1, 0 };

	tick_ev = event_new(base, -1, EV_PERSIST, tick, NULL);
	if (tick_ev == NULL || event_add(tick_ev, &tv) == -1)
		fatalx("fetch: timer");
}
