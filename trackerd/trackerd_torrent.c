/*
 * trackerd_torrent.c -- the torrents trackerd announces, their trackers
 * (BEP 12 tiers) and their candidate peers; the trackerd channel.
 *
 * Takes from btd: TorrentStart, TorrentStop, TorrentCompleted,
 * TorrentCounters, QueryTrackers, FetchTorrent, StopAll.  Sends btd: TrackersReply,
 * FetchResult, StopAllDone, KnownPeers.
 *
 * Announcing (BEP 12): the trackers of a torrent are kept in tier order,
 * each tier shuffled once.  One announce is in flight per torrent, to
 * the first tracker whose retry time has come; one that answers moves to
 * the front of its tier and is asked again after the interval it gave
 * (clamped); one that fails is retried after a doubling delay, and the
 * next tracker is tried at once.  The first announce to each tracker
 * says event=started, a stop says stopped to every tracker that heard
 * started, and completed is said once to each.
 *
 * Candidates (trackerd_cand.c keeps and ranks them): what trackers,
 * a magnet's x.pe, PEX (PexPeers), incoming connections (IncomingPeer)
 * and the known-peer cache (TorrentStart.known) named, with peerd's
 * ConnectResult as each one's history and PeerBanned as a mark.  Sent
 * to peerd (Candidates, one message per source) after every announce
 * that brought peers, at the start, and in answer to WantPeers, in
 * cand_rank()'s order.  An offer is advice, made again on the next
 * WantPeers: when the channel to peerd is full or down it is not made,
 * and nothing else waits on it.
 *
 * Known peers: the good ones (cand_known()) go to btd in KnownPeers,
 * for state.db, at most once every KNOWN_EVERY seconds for a torrent
 * whose list changed, and when the torrent stops.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "peer_trackerd.pb-c.h"
#include "trackerd.pb-c.h"

#include "chan.h"
#include "log.h"
#include "netpolicy.h"
#include "util.h"
#include "msg.h"
#include "role.h"
#include "trackerd.h"
#include "utf8.h"

/* Tunables. */
#define TORRENT_MAX		200000	/* torrents announced */
#define TRACKER_MAX		200	/* trackers per torrent */
#define ANNOUNCE_TIMEOUT	30	/* seconds for one announce */
#define STOP_TIMEOUT		5	/* seconds for event=stopped replies */
#define STOPALL_TIMEOUT		3	/* seconds btd waits at shutdown */
#define RETRY_FIRST		60	/* seconds after a first failure */
#define RETRY_MAX		3600	/* seconds, at most */
#define SCRAPE_EVERY		1800	/* seconds between scrapes */
#define FETCH_MAX		(10U << 20)	/* bytes of a fetched .torrent */
#define REPORT_PEERS_MAX	500	/* candidates in one report */
#define OFFER_MAX		200	/* peers in one Candidates */
#define KNOWN_EVERY		60	/* seconds between KnownPeers of one
					   torrent */

enum tstatus {
	TS_IDLE,
	TS_ANNOUNCING,
	TS_WORKING,
	TS_ERROR,
	TS_STOPPED,
};

struct ttorrent;

struct ttracker {
	struct ttorrent	*t;
	char		*url;
	uint32_t	 tier;
	int		 udp;
	enum tstatus	 status;
	time_t		 last_announce;
	time_t		 retry_at;	/* not before: backoff after failures */
	time_t		 next_announce;	/* planned, for display */
	time_t		 last_scrape;
	/*
	 * What it said, kept on the heap (NULL: nothing yet): a tracker of
	 * each of 100,000 torrents must not cost a kilobyte of buffers.
	 */
	char		*last_result;	/* at most TR_MAX_TEXT + 32 bytes */
	char		*last_error;	/* ... */
	int		 result_error;	/* the last result is last_error:
					   kept once (100,000 torrents whose
					   tracker is down) */
	char		*warning;	/* at most TR_MAX_TEXT */
	int64_t		 seeders, leechers, completed;
	uint32_t	 failures;
	char		*trackerid;	/* at most 127 bytes; NULL none */
	int		 started;	/* heard event=started from us */
	int		 completed_sent;
	int		 stopping;	/* the request in flight says stopped */
	enum tr_event	 ev_sent;	/* the event of the request in flight */
	struct tr_req	*http;		/* announce in flight */
	struct udp_req	*udpr;
	struct tr_req	*shttp;		/* scrape in flight */
	struct udp_req	*sudp;
};


struct ttorrent {
	TAILQ_ENTRY(ttorrent)	 entry;
	LIST_ENTRY(ttorrent)	 hlink;		/* in its hash chain */
	uint8_t			 ih[20];
	char			 hex[41];
	int			 private;
	uint64_t		 left, uploaded, downloaded;
	struct ttracker		*trk;		/* in announce order */
	size_t			 ntrk;
	struct cand_list	 cl;
	int			 known_dirty;	/* a success since the last
						   KnownPeers */
	struct event		*timer;
	int			 completed;	/* say completed */
	int			 stopping;	/* saying stopped, then gone */
	struct event		*stop_timer;
};

struct fetch {
	uint64_t	 id;
	struct tr_req	*req;
};

static TAILQ_HEAD(, ttorrent)	 torrents = TAILQ_HEAD_INITIALIZER(torrents);
static int			 ntorrents;
/* The torrents by info-hash, so that a lookup is not a walk of all. */
#define TORRENT_BUCKETS		16384
static LIST_HEAD(, ttorrent)	 chains[TORRENT_BUCKETS];
static struct event_base	*base;
static uint8_t			 peer_id[20];
static uint16_t			 peer_port;
static struct netpolicy		 npol;		/* from Config */
static uint32_t			 key;
static int			 stopping_all;
static struct event		*stopall_timer;
static struct event		*known_timer;

static void	announce_next(struct ttorrent *);
static void	torrent_free(struct ttorrent *);
static void	known_tick(evutil_socket_t, short, void *);

void
torrents_init(struct event_base *b)
{
	struct timeval tv = { KNOWN_EVERY, 0 };

	base = b;
	key = arc4random();
	if ((known_timer = event_new(b, -1, EV_PERSIST, known_tick,
	    NULL)) == NULL || evtimer_add(known_timer, &tv) == -1)
		fatalx("known peers: no timer");
	/* Until btd says otherwise: "-BT0100-" and random bytes. */
	memcpy(peer_id, "-BT0100-", 8);
	arc4random_buf(peer_id + 8, 12);
}

void
torrents_config(const char *k, const char *v)
{
	long n;

	if (strcmp(k, "peer_id") == 0 && util_unhex(v, peer_id, 20) == -1)
		log_warnx("config: bad peer_id");
	if (netpolicy_config(&npol, k, v) == -1)
		log_warnx("config: bad %s", k);
	if (strcmp(k, "peer_port") == 0) {
		n = strtol(v, NULL, 10);
		if (n > 0 && n < 65536)
			peer_port = (uint16_t)n;
	}
}

const struct netpolicy *
torrents_netpolicy(void)
{
	return &npol;
}

/* A tracker's text, "" when there is none. */
static const char *
text(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * Set *dst to the formatted text, at most max - 1 bytes of it; "" frees
 * it.  Out of memory, the old text goes: it is only shown.
 */
static void __attribute__((format(printf, 3, 4)))
text_set(char **dst, size_t max, const char *fmt, ...)
{
	char	buf[TR_MAX_TEXT + 64];
	va_list	ap;

	free(*dst);
	*dst = NULL;
	if (max > sizeof(buf))
		max = sizeof(buf);
	va_start(ap, fmt);
	vsnprintf(buf, max, fmt, ap);
	va_end(ap);
	/* Its own size from the start: no chunk split by a shrink. */
	if (buf[0] != '\0')
		*dst = strdup(buf);
}

static size_t
chain_of(const uint8_t *ih)
{
	uint32_t v;

	memcpy(&v, ih, sizeof(v));	/* a SHA-1: uniform already */
	return v % TORRENT_BUCKETS;
}

static struct ttorrent *
find(const uint8_t *ih, size_t len)
{
	struct ttorrent *t;

	if (len != 20)
		return NULL;
	LIST_FOREACH(t, &chains[chain_of(ih)], hlink)
		if (memcmp(t->ih, ih, 20) == 0)
			return t;
	return NULL;
}

static void
torrent_link(struct ttorrent *t)
{
	TAILQ_INSERT_TAIL(&torrents, t, entry);
	LIST_INSERT_HEAD(&chains[chain_of(t->ih)], t, hlink);
	ntorrents++;
}

static void
torrent_unlink(struct ttorrent *t)
{
	TAILQ_REMOVE(&torrents, t, entry);
	LIST_REMOVE(t, hlink);
	ntorrents--;
}

/* Candidates. */

static int
peer_is_self(const struct tr_peer *p)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	static const uint8_t lo6[16] = { [15] = 1 };

	if (p->port != peer_port)
		return 0;
	return (p->family == AF_INET && memcmp(p->addr, lo4, 4) == 0) ||
	    (p->family == AF_INET6 && memcmp(p->addr, lo6, 16) == 0);
}

/* Add a candidate of t, unless it is this btd itself. */
static struct cand *
tcand_add(struct ttorrent *t, const struct tr_peer *p, unsigned source)
{
	if (peer_is_self(p))
		return NULL;
	return cand_add(&t->cl, p, source, time(NULL));
}

/* A PeerAddr from a role or btd: numeric, port 1-65535; -1 if not. */
static int
peer_from_addr(const Btd__PeerAddr *a, struct tr_peer *p)
{
	memset(p, 0, sizeof(*p));
	if (a == NULL || a->port == 0 || a->port > 65535)
		return -1;
	if (inet_pton(AF_INET, a->addr, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, a->addr, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -1;
	p->port = (uint16_t)a->port;
	return 0;
}

/*
 * Offer peerd candidates of t (at most OFFER_MAX) named as coming from
 * `source`.  An offer is advice, made again on the next WantPeers: it is
 * skipped, not queued, when the channel to peerd is down or full.
 */
static void
offer_one(struct ttorrent *t, struct cand *const *cs, size_t n,
    const char *source)
{
	Btd__Candidates	 m = BTD__CANDIDATES__INIT;
	Btd__PeerAddr	 pa[OFFER_MAX], *pp[OFFER_MAX];
	char		 addrs[OFFER_MAX][INET6_ADDRSTRLEN];
	struct chan	*c;
	size_t		 i;

	if (n == 0 || t->stopping)
		return;
	if ((c = role_peer_chan(BTD__ROLE__PEERD)) == NULL || chan_full(c)) {
		log_debug("%s: %zu candidates not offered: peerd is %s",
		    t->hex, n, c == NULL ? "not attached" : "busy");
		return;
	}
	if (n > OFFER_MAX)
		n = OFFER_MAX;
	for (i = 0; i < n; i++) {
		btd__peer_addr__init(&pa[i]);
		inet_ntop(cs[i]->p.family, cs[i]->p.addr, addrs[i],
		    sizeof(addrs[i]));
		pa[i].addr = addrs[i];
		pa[i].port = cs[i]->p.port;
		pp[i] = &pa[i];
	}
	m.info_hash.data = t->ih;
	m.info_hash.len = 20;
	m.peers = pp;
	m.n_peers = n;
	m.source = (char *)(uintptr_t)source;
	if (MSG_SEND(c, Btd__PeerTrackerdMsg, PEER_TRACKERD_MSG, CANDIDATES,
	    candidates, &m, -1) == -1)
		log_warn("%s: candidates to peerd", t->hex);
	else
		log_debug("%s: %zu %s candidates to peerd", t->hex, n,
		    source);
}

/*
 * Offer the best candidates of t, at most max: one Candidates per
 * source, each in cand_rank()'s order.
 */
static void
offer(struct ttorrent *t, size_t max)
{
	struct cand	*all[OFFER_MAX], *one[OFFER_MAX];
	size_t		 i, n, k;
	unsigned	 bit;

	if (max > OFFER_MAX)
		max = OFFER_MAX;
	n = cand_rank(&t->cl, time(NULL), all, max);
	for (bit = CSRC_TRACKER; bit <= CSRC_CACHE; bit <<= 1) {
		for (i = k = 0; i < n; i++)
			if (all[i]->origin == bit)
				one[k++] = all[i];
		offer_one(t, one, k, cand_source_name(bit));
	}
}

/* Known peers, for btd's cache. */

/* KnownPeers for t: its good peers, the whole list. */
static void
known_send(struct ttorrent *t)
{
	Btd__KnownPeers	 m = BTD__KNOWN_PEERS__INIT;
	Btd__KnownPeer	 kp[CAND_KNOWN_MAX], *pp[CAND_KNOWN_MAX];
	char		 addrs[CAND_KNOWN_MAX][INET6_ADDRSTRLEN];
	char		 srcs[CAND_KNOWN_MAX][64];
	struct cand	*cs[CAND_KNOWN_MAX];
	struct chan	*c = role_btd_chan();
	size_t		 i, n;

	if (!t->known_dirty || c == NULL)
		return;
	n = cand_known(&t->cl, cs, CAND_KNOWN_MAX);
	for (i = 0; i < n; i++) {
		btd__known_peer__init(&kp[i]);
		inet_ntop(cs[i]->p.family, cs[i]->p.addr, addrs[i],
		    sizeof(addrs[i]));
		/* The cache is where it is going, not where it came from. */
		cand_sources_str(cs[i]->sources & ~CSRC_CACHE, srcs[i],
		    sizeof(srcs[i]));
		if (srcs[i][0] == '\0')
			snprintf(srcs[i], sizeof(srcs[i]), "cache");
		kp[i].addr = addrs[i];
		kp[i].port = cs[i]->p.port;
		kp[i].source = srcs[i];
		kp[i].last_ok = cs[i]->last_ok;
		pp[i] = &kp[i];
	}
	m.info_hash.data = t->ih;
	m.info_hash.len = 20;
	m.peers = pp;
	m.n_peers = n;
	if (MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, KNOWN_PEERS,
	    known_peers, &m, -1) == -1) {
		log_warn("%s: known peers to btd", t->hex);
		return;
	}
	t->known_dirty = 0;
	log_debug("%s: %zu known peers to btd", t->hex, n);
}

static void
known_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ttorrent *t;

	(void)fd;
	(void)ev;
	(void)arg;
	TAILQ_FOREACH(t, &torrents, entry)
		if (!t->stopping)
			known_send(t);
}

/* Announcing. */

static void
arm(struct ttorrent *t, time_t at)
{
	struct timeval	tv;
	time_t		now = time(NULL);

	tv.tv_sec = at > now ? at - now : 0;
	tv.tv_usec = 0;
	evtimer_add(t->timer, &tv);
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	announce_next(arg);
}

static int
in_flight(const struct ttorrent *t)
{
	size_t i;

	for (i = 0; i < t->ntrk; i++)
		if (t->trk[i].http != NULL || t->trk[i].udpr != NULL)
			return 1;
	return 0;
}

static void	announce_done(void *, int, struct tr_reply *, const char *);
static void	scrape_done(void *, int, struct tr_reply *, const char *);

static void
fill_announce(struct ttracker *tr, struct tr_announce *a, enum tr_event ev)
{
	struct ttorrent *t = tr->t;

	memset(a, 0, sizeof(*a));
	memcpy(a->info_hash, t->ih, 20);
	memcpy(a->peer_id, peer_id, 20);
	a->port = peer_port;
	a->uploaded = t->uploaded;
	a->downloaded = t->downloaded;
	a->left = t->left;
	a->event = ev;
	a->numwant = ev == TR_EVENT_STOPPED ? 0 : TR_NUMWANT;
	a->key = key;
	a->trackerid = tr->trackerid;
}

static int
send_announce(struct ttracker *tr, enum tr_event ev, int timeout)
{
	struct tr_announce a;

	fill_announce(tr, &a, ev);
	tr->stopping = ev == TR_EVENT_STOPPED;
	tr->ev_sent = ev;
	if (tr->udp)
		tr->udpr = udp_announce(tr->url, &a, timeout, announce_done, tr);
	else
		tr->http = http_announce(tr->url, &a, timeout, announce_done,
		    tr);
	if (tr->http == NULL && tr->udpr == NULL) {
		text_set(&tr->last_error, TR_MAX_TEXT + 32, "%s",
		    "cannot announce to this URL");
		tr->status = TS_ERROR;
		return -1;
	}
	tr->status = TS_ANNOUNCING;
	tr->last_announce = time(NULL);
	return 0;
}

static time_t
retry_delay(uint32_t failures)
{
	time_t d = RETRY_FIRST;

	while (failures-- > 1 && d < RETRY_MAX)
		d *= 2;
	return d < RETRY_MAX ? d : RETRY_MAX;
}

/* Announce to the first tracker whose time has come, if none is busy. */
static void
announce_next(struct ttorrent *t)
{
	struct ttracker	*tr;
	time_t		 now = time(NULL), soonest = 0;
	enum tr_event	 ev;
	size_t		 i;

	if (t->stopping || stopping_all || in_flight(t))
		return;
	for (i = 0; i < t->ntrk; i++) {
		tr = &t->trk[i];
		if (tr->retry_at > now) {
			if (soonest == 0 || tr->retry_at < soonest)
				soonest = tr->retry_at;
			continue;
		}
		if (!tr->started)
			ev = TR_EVENT_STARTED;
		else if (t->completed && !tr->completed_sent)
			ev = TR_EVENT_COMPLETED;
		else
			ev = TR_EVENT_NONE;
		if (send_announce(tr, ev, ANNOUNCE_TIMEOUT) == 0)
			return;
		tr->failures++;
		tr->retry_at = now + retry_delay(tr->failures);
	}
	if (soonest != 0)
		arm(t, soonest);
}

/* Move tracker i to the front of its tier; returns its new index. */
static size_t
to_front(struct ttorrent *t, size_t i)
{
	struct ttracker	 tmp;
	size_t		 first = i;

	while (first > 0 && t->trk[first - 1].tier == t->trk[i].tier)
		first--;
	if (first == i)
		return i;
	tmp = t->trk[i];
	memmove(&t->trk[first + 1], &t->trk[first],
	    (i - first) * sizeof(tmp));
	t->trk[first] = tmp;
	return first;
}

static void
maybe_scrape(struct ttracker *tr)
{
	time_t now = time(NULL);

	if (tr->shttp != NULL || tr->sudp != NULL ||
	    now - tr->last_scrape < SCRAPE_EVERY)
		return;
	tr->last_scrape = now;
	if (tr->udp)
		tr->sudp = udp_scrape(tr->url, tr->t->ih, scrape_done, tr);
	else
		tr->shttp = http_scrape(tr->url, tr->t->ih, scrape_done, tr);
}

static void	stop_check(struct ttorrent *);

static void
announce_done(void *arg, int ok, struct tr_reply *r, const char *err)
{
	struct ttracker	*tr = arg;
	struct ttorrent	*t = tr->t;
	time_t		 now = time(NULL);
	size_t		 i, idx, nnew;
	int		 interval;

	tr->http = NULL;
	tr->udpr = NULL;
	if (tr->stopping) {
		tr->status = TS_STOPPED;
		stop_check(t);
		return;
	}
	if (!ok || r->failure[0] != '\0') {
		text_set(&tr->last_error, TR_MAX_TEXT + 32, "%s",
		    ok ? r->failure : err);
		free(tr->last_result);
		tr->last_result = NULL;
		tr->result_error = 1;
		tr->status = TS_ERROR;
		tr->failures++;
		tr->retry_at = now + retry_delay(tr->failures);
		tr->next_announce = tr->retry_at;
		log_info("%s: announce to %s failed: %s", t->hex, tr->url,
		    text(tr->last_error));
		announce_next(t);	/* the next tracker, at once */
		return;
	}
	interval = r->interval > 0 ? r->interval : TR_DEFAULT_INTERVAL;
	if (r->min_interval > interval)
		interval = r->min_interval;
	tr->status = TS_WORKING;
	tr->failures = 0;
	tr->started = 1;
	if (tr->ev_sent == TR_EVENT_COMPLETED)
		tr->completed_sent = 1;
	text_set(&tr->warning, TR_MAX_TEXT, "%s", r->warning);
	if (r->trackerid[0])
		text_set(&tr->trackerid, 128, "%s", r->trackerid);
	if (r->seeders >= 0)
		tr->seeders = r->seeders;
	if (r->leechers >= 0)
		tr->leechers = r->leechers;
	tr->result_error = 0;
	text_set(&tr->last_result, TR_MAX_TEXT + 32, "ok: %zu peer%s",
	    r->npeers, r->npeers == 1 ? "" : "s");
	nnew = 0;
	for (i = 0; i < r->npeers; i++)
		if (tcand_add(t, &r->peers[i], CSRC_TRACKER) != NULL)
			nnew++;
	if (nnew > 0)
		offer(t, OFFER_MAX);
	log_debug("%s: %s: %zu peers, next in %d s", t->hex, tr->url,
	    r->npeers, interval);
	idx = to_front(t, (size_t)(tr - t->trk));
	tr = &t->trk[idx];
	tr->retry_at = now + interval;
	/* Completed while this announce was in flight: say so now. */
	if (t->completed && !tr->completed_sent)
		tr->retry_at = now;
	tr->next_announce = tr->retry_at;
	maybe_scrape(tr);
	arm(t, tr->retry_at);
}

static void
scrape_done(void *arg, int ok, struct tr_reply *r, const char *err)
{
	struct ttracker *tr = arg;

	tr->shttp = NULL;
	tr->sudp = NULL;
	if (!ok || r->failure[0]) {
		log_debug("%s: scrape %s: %s", tr->t->hex, tr->url,
		    ok ? r->failure : err);
		return;
	}
	if (r->seeders >= 0)
		tr->seeders = r->seeders;
	if (r->leechers >= 0)
		tr->leechers = r->leechers;
	if (r->completed >= 0)
		tr->completed = r->completed;
}

/* Stopping. */

static void
tracker_cancel(struct ttracker *tr)
{
	if (tr->http != NULL)
		http_cancel(tr->http);
	if (tr->udpr != NULL)
		udp_cancel(tr->udpr);
	if (tr->shttp != NULL)
		http_cancel(tr->shttp);
	if (tr->sudp != NULL)
		udp_cancel(tr->sudp);
	tr->http = tr->shttp = NULL;
	tr->udpr = tr->sudp = NULL;
}

static void	stopall_check(void);

static void
stop_check(struct ttorrent *t)
{
	if (in_flight(t))
		return;
	log_debug("%s: stopped", t->hex);
	torrent_unlink(t);
	torrent_free(t);
	if (stopping_all)
		stopall_check();
}

static void
stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct ttorrent	*t = arg;
	size_t		 i;

	(void)fd;
	(void)ev;
	for (i = 0; i < t->ntrk; i++)
		tracker_cancel(&t->trk[i]);
	stop_check(t);
}

/* Say event=stopped to every tracker that heard started, then forget. */
static void
torrent_stop(struct ttorrent *t)
{
	struct timeval	tv = { STOP_TIMEOUT, 0 };
	size_t		i;

	if (t->stopping)
		return;
	known_send(t);
	t->stopping = 1;
	evtimer_del(t->timer);
	for (i = 0; i < t->ntrk; i++) {
		tracker_cancel(&t->trk[i]);
		if (t->trk[i].started)
			(void)send_announce(&t->trk[i], TR_EVENT_STOPPED,
			    STOP_TIMEOUT);
	}
	if ((t->stop_timer = evtimer_new(base, stop_timeout, t)) != NULL)
		evtimer_add(t->stop_timer, &tv);
	stop_check(t);
}

static void
torrent_free(struct ttorrent *t)
{
	size_t i;

	for (i = 0; i < t->ntrk; i++) {
		tracker_cancel(&t->trk[i]);
		free(t->trk[i].url);
		free(t->trk[i].last_result);
		free(t->trk[i].last_error);
		free(t->trk[i].warning);
		free(t->trk[i].trackerid);
	}
	free(t->trk);
	cand_list_free(&t->cl);
	if (t->timer != NULL)
		event_free(t->timer);
	if (t->stop_timer != NULL)
		event_free(t->stop_timer);
	free(t);
}

/* Messages from btd. */

static int
url_kind(const char *u)
{
	if (strncasecmp(u, "http://", 7) == 0 ||
	    strncasecmp(u, "https://", 8) == 0)
		return 0;
	if (strncasecmp(u, "udp://", 6) == 0)
		return 1;
	return -1;
}

/*
 * The peers a TorrentStart brings: a magnet's x.pe and the known-peer
 * cache.  btd checked them, but a role trusts no one: each is checked
 * again, and what a private torrent may not use is left out.
 */
static void
start_peers(struct ttorrent *t, const Btd__TorrentStart *s)
{
	struct tr_peer	 p;
	struct cand	*c;
	Btd__PeerAddr	 a;
	time_t		 now = time(NULL);
	unsigned	 src;
	size_t		 i, nbad = 0, nprivate = 0;

	for (i = 0; i < s->n_peers && i < CAND_MAX; i++) {
		if (peer_from_addr(s->peers[i], &p) == -1)
			nbad++;
		else if (t->private)
			nprivate++;
		else
			(void)tcand_add(t, &p, CSRC_MAGNET);
	}
	for (i = 0; i < s->n_known && i < CAND_KNOWN_MAX; i++) {
		const Btd__KnownPeer *k = s->known[i];

		btd__peer_addr__init(&a);
		a.addr = k->addr;
		a.port = k->port;
		if (peer_from_addr(&a, &p) == -1 ||
		    cand_sources_parse(k->source, &src) == -1 ||
		    k->last_ok <= 0 || k->last_ok > now + 86400) {
			nbad++;
			continue;
		}
		if (!cand_allowed(&t->cl, src)) {
			nprivate++;
			continue;
		}
		if ((c = tcand_add(t, &p, src | CSRC_CACHE)) != NULL &&
		    c->last_ok < k->last_ok)
			c->last_ok = k->last_ok;
	}
	if (nbad > 0)
		log_warnx("%s: %zu peers from btd are not valid: ignored",
		    t->hex, nbad);
	if (nprivate > 0)
		log_info("%s: private: %zu peers not from its trackers "
		    "ignored", t->hex, nprivate);
}

static int
on_start(const Btd__TorrentStart *s)
{
	struct ttorrent	*t;
	struct cand_list kept;
	int		 known_dirty = 0;
	size_t		 i, j, first;
	int		 k;

	if (s->info_hash.len != 20 || s->n_trackers > TRACKER_MAX)
		return -1;
	cand_list_init(&kept, s->private_);
	if ((t = find(s->info_hash.data, 20)) != NULL) {
		/*
		 * A new tracker list (the metadata came), or the torrent is
		 * back while its stopped announces are under way: start
		 * over, once, but keep what was learned of its peers.
		 */
		kept = t->cl;
		known_dirty = t->known_dirty;
		cand_list_init(&t->cl, 0);
		torrent_unlink(t);
		torrent_free(t);
		cand_list_set_private(&kept, s->private_);
	}
	if (ntorrents >= TORRENT_MAX) {
		log_warnx("more than %d torrents: not announced", TORRENT_MAX);
		return 0;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->trk = calloc(s->n_trackers > 0 ? s->n_trackers : 1,
	    sizeof(*t->trk))) == NULL ||
	    (t->timer = evtimer_new(base, timer_cb, t)) == NULL) {
		if (t != NULL) {
			free(t->trk);
			free(t);
		}
		cand_list_free(&kept);
		log_warnx("out of memory");
		return 0;
	}
	t->cl = kept;		/* owned by t now */
	t->known_dirty = known_dirty;
	memcpy(t->ih, s->info_hash.data, 20);
	for (i = 0; i < 20; i++)
		snprintf(t->hex + 2 * i, 3, "%02x", t->ih[i]);
	t->private = s->private_;
	t->left = s->left;
	t->uploaded = s->uploaded;
	t->downloaded = s->downloaded;
	for (i = 0; i < s->n_trackers; i++) {
		const Btd__TrackerDesc *d = s->trackers[i];

		if ((k = url_kind(d->url)) == -1 ||
		    (t->trk[t->ntrk].url = strdup(d->url)) == NULL)
			continue;
		t->trk[t->ntrk].t = t;
		t->trk[t->ntrk].tier = d->tier;
		t->trk[t->ntrk].udp = k;
		t->trk[t->ntrk].seeders = t->trk[t->ntrk].leechers =
		    t->trk[t->ntrk].completed = -1;
		t->ntrk++;
	}
	/* BEP 12: shuffle each tier once (tiers arrive in order). */
	for (first = 0; first < t->ntrk; first = j) {
		for (j = first; j < t->ntrk && t->trk[j].tier ==
		    t->trk[first].tier; j++)
			;
		for (i = j - 1; i > first; i--) {
			size_t		r = first + arc4random_uniform(
			    (uint32_t)(i - first + 1));
			struct ttracker	tmp = t->trk[i];

			t->trk[i] = t->trk[r];
			t->trk[r] = tmp;
		}
	}
	start_peers(t, s);
	torrent_link(t);
	offer(t, OFFER_MAX);
	log_debug("%s: %zu trackers, %zu candidates%s", t->hex, t->ntrk,
	    t->cl.n, t->private ? ", private" : "");
	announce_next(t);
	return 0;
}

/*
 * TorrentCounters: the figures of the next announces.  A torrent
 * trackerd does not know (stopped a moment ago) is not an error.
 */
static int
on_counters(const Btd__TorrentCounters *tc)
{
	struct ttorrent *t;

	if (tc->info_hash.len != 20)
		return -1;
	if ((t = find(tc->info_hash.data, 20)) == NULL || t->stopping)
		return 0;
	t->left = t->completed ? 0 : tc->left;
	t->uploaded = tc->uploaded;
	t->downloaded = tc->downloaded;
	return 0;
}

static const char *
status_name(enum tstatus s)
{
	switch (s) {
	case TS_IDLE:
		return "idle";
	case TS_ANNOUNCING:
		return "announcing";
	case TS_WORKING:
		return "working";
	case TS_ERROR:
		return "error";
	case TS_STOPPED:
		return "stopped";
	}
	return "?";
}

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return (x->last_seen < y->last_seen) - (x->last_seen > y->last_seen);
}

static void
send_reply(struct chan *c, Btd__TrackersReply *r)
{
	if (MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, TRACKERS_REPLY, trackers_reply,
	    r, -1) == -1)
		log_warn("trackers reply");
}

static int
on_query(struct chan *c, const Btd__QueryTrackers *q)
{
	Btd__TrackersReply	 r = BTD__TRACKERS_REPLY__INIT;
	Btd__TrackersReport	 rep = BTD__TRACKERS_REPORT__INIT;
	Btd__TrackerStatus	*ts = NULL, **tsp = NULL;
	Btd__Candidate		*cs = NULL, **csp = NULL;
	struct ttorrent		*t;
	struct cand		*sorted = NULL;
	char			(*addrs)[INET6_ADDRSTRLEN] = NULL;
	char			(*srcs)[64] = NULL;
	size_t			 i, n;

	r.id = q->id;
	if ((t = find(q->info_hash.data, q->info_hash.len)) == NULL ||
	    t->stopping) {
		r.ok = 0;
		r.error = (char *)(uintptr_t)"not announced";
		send_reply(c, &r);
		return 0;
	}
	n = t->cl.n < REPORT_PEERS_MAX ? t->cl.n : REPORT_PEERS_MAX;
	ts = calloc(t->ntrk + 1, sizeof(*ts));
	tsp = calloc(t->ntrk + 1, sizeof(*tsp));
	cs = calloc(n + 1, sizeof(*cs));
	csp = calloc(n + 1, sizeof(*csp));
	sorted = calloc(t->cl.n + 1, sizeof(*sorted));
	addrs = calloc(n + 1, sizeof(*addrs));
	srcs = calloc(n + 1, sizeof(*srcs));
	if (ts == NULL || tsp == NULL || cs == NULL || csp == NULL ||
	    sorted == NULL || addrs == NULL || srcs == NULL) {
		r.error = (char *)(uintptr_t)"out of memory";
		send_reply(c, &r);
		goto done;
	}
	for (i = 0; i < t->ntrk; i++) {
		struct ttracker *tr = &t->trk[i];

		btd__tracker_status__init(&ts[i]);
		ts[i].url = tr->url;
		ts[i].tier = tr->tier;
		ts[i].status = (char *)(uintptr_t)status_name(tr->status);
		ts[i].last_announce = tr->last_announce;
		ts[i].last_result = (char *)(uintptr_t)text(tr->result_error ?
		    tr->last_error : tr->last_result);
		ts[i].next_announce = tr->status == TS_ANNOUNCING ? 0 :
		    tr->next_announce;
		ts[i].seeders = tr->seeders;
		ts[i].leechers = tr->leechers;
		ts[i].completed = tr->completed;
		ts[i].last_error = (char *)(uintptr_t)text(tr->last_error);
		ts[i].failures = tr->failures;
		ts[i].warning = (char *)(uintptr_t)text(tr->warning);
		ts[i].last_scrape = tr->last_scrape;
		tsp[i] = &ts[i];
	}
	if (t->cl.n > 0)
		memcpy(sorted, t->cl.c, t->cl.n * sizeof(*sorted));
	qsort(sorted, t->cl.n, sizeof(*sorted), cmp_cand);
	for (i = 0; i < n; i++) {
		btd__candidate__init(&cs[i]);
		inet_ntop(sorted[i].p.family, sorted[i].p.addr, addrs[i],
		    sizeof(addrs[i]));
		cs[i].addr = addrs[i];
		cs[i].port = sorted[i].p.port;
		cand_sources_str(sorted[i].sources, srcs[i], sizeof(srcs[i]));
		cs[i].source = srcs[i];
		cs[i].first_seen = sorted[i].first_seen;
		cs[i].last_seen = sorted[i].last_seen;
		cs[i].attempts = sorted[i].attempts;
		cs[i].failures = sorted[i].failures;
		cs[i].last_attempt = sorted[i].last_attempt;
		cs[i].last_result = sorted[i].last_result;
		csp[i] = &cs[i];
	}
	rep.trackers = tsp;
	rep.n_trackers = t->ntrk;
	rep.peers = csp;
	rep.n_peers = n;
	rep.peer_count = (uint32_t)t->cl.n;
	r.ok = 1;
	r.report = &rep;
	send_reply(c, &r);
done:
	free(ts);
	free(tsp);
	free(cs);
	free(csp);
	free(sorted);
	free(addrs);
	free(srcs);
	return 0;
}

/* FetchTorrent: one request at a time per id; the answer goes to btd. */
static void
fetched(void *arg, const uint8_t *data, size_t len, const char *err)
{
	struct fetch		*f = arg;
	Btd__FetchResult	 r = BTD__FETCH_RESULT__INIT;

	r.id = f->id;
	r.ok = data != NULL;
	r.error = (char *)(uintptr_t)(err != NULL ? err : "");
	if (data != NULL) {
		r.data.data = (uint8_t *)(uintptr_t)data;
		r.data.len = len;
	}
	if (MSG_SEND(role_btd_chan(), Btd__TrackerdMsg, TRACKERD_MSG, FETCH_RESULT, fetch_result,
	    &r, -1) == -1)
		log_warn("fetch result");
	free(f);
}

static int
on_fetch(const Btd__FetchTorrent *ft)
{
	Btd__FetchResult	 r = BTD__FETCH_RESULT__INIT;
	struct fetch		*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return 0;
	f->id = ft->id;
	if ((f->req = http_fetch(ft->url, FETCH_MAX, fetched, f)) == NULL) {
		free(f);
		r.id = ft->id;
		r.error = (char *)(uintptr_t)"only http and https URLs can "
		    "be fetched";
		(void)MSG_SEND(role_btd_chan(), Btd__TrackerdMsg, TRACKERD_MSG, FETCH_RESULT, fetch_result,
	    &r, -1);
	}
	return 0;
}

static void
stopall_done(void)
{
	Btd__StopAllDone d = BTD__STOP_ALL_DONE__INIT;

	if (stopall_timer != NULL) {
		event_free(stopall_timer);
		stopall_timer = NULL;
	}
	(void)MSG_SEND(role_btd_chan(), Btd__TrackerdMsg, TRACKERD_MSG, STOP_ALL_DONE, stop_all_done,
	    &d, -1);
	chan_flush(role_btd_chan(), 1000);
}

static void
stopall_check(void)
{
	if (TAILQ_EMPTY(&torrents) && stopall_timer != NULL)
		stopall_done();
}

static void
stopall_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	log_info("stop: some trackers did not answer in time");
	stopall_done();
}

static int
on_stop_all(void)
{
	struct ttorrent	*t, *next;
	struct timeval	 tv = { STOPALL_TIMEOUT, 0 };

	stopping_all = 1;
	if ((stopall_timer = evtimer_new(base, stopall_timeout, NULL)) != NULL)
		evtimer_add(stopall_timer, &tv);
	for (t = TAILQ_FIRST(&torrents); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		torrent_stop(t);
	}
	stopall_check();
	return 0;
}

int
trackerd_dispatch_btd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__TrackerdMsg	*m = (const Btd__TrackerdMsg *)(const void *)env;
	struct ttorrent		*t;

	switch (m->body_case) {
	case BTD__TRACKERD_MSG__BODY_TORRENT_START:
		return on_start(m->torrent_start);
	case BTD__TRACKERD_MSG__BODY_TORRENT_STOP:
		if ((t = find(m->torrent_stop->info_hash.data,
		    m->torrent_stop->info_hash.len)) != NULL)
			torrent_stop(t);
		return 0;
	case BTD__TRACKERD_MSG__BODY_TORRENT_COMPLETED:
		if ((t = find(m->torrent_completed->info_hash.data,
		    m->torrent_completed->info_hash.len)) != NULL) {
			t->completed = 1;
			t->left = 0;
			evtimer_del(t->timer);
			for (size_t i = 0; i < t->ntrk; i++)
				if (t->trk[i].status == TS_WORKING)
					t->trk[i].retry_at = 0;
			announce_next(t);
		}
		return 0;
	case BTD__TRACKERD_MSG__BODY_QUERY_TRACKERS:
		return on_query(c, m->query_trackers);
	case BTD__TRACKERD_MSG__BODY_FETCH_TORRENT:
		return on_fetch(m->fetch_torrent);
	case BTD__TRACKERD_MSG__BODY_STOP_ALL:
		return on_stop_all();
	case BTD__TRACKERD_MSG__BODY_TORRENT_COUNTERS:
		return on_counters(m->torrent_counters);
	default:
		return -1;
	}
}

/* Messages from peerd. */

static int
on_want(const Btd__WantPeers *w)
{
	struct ttorrent *t;

	if (w->info_hash.len != 20)
		return -1;
	if ((t = find(w->info_hash.data, 20)) == NULL || t->stopping)
		return 0;
	offer(t, w->count);
	return 0;
}

static int
on_connect_result(const Btd__ConnectResult *r)
{
	struct ttorrent	*t;
	struct cand	*c;
	struct tr_peer	 p;

	if (r->info_hash.len != 20 || peer_from_addr(r->peer, &p) == -1 ||
	    !utf8_valid(r->result))
		return -1;
	if ((t = find(r->info_hash.data, 20)) == NULL ||
	    (c = cand_find(&t->cl, &p)) == NULL)
		return 0;	/* stopped, or not a candidate of ours */
	cand_result(c, r->ok, time(NULL));
	/* A success, or a good peer that has failed too often since. */
	if (r->ok || (c->last_ok != 0 && c->fails_row == CAND_KNOWN_FAILS))
		t->known_dirty = 1;
	log_escape(c->last_result, sizeof(c->last_result), r->result,
	    strlen(r->result));
	return 0;
}

/*
 * PexPeers (HOSTILE.md, PEX): more than CAND_PEX_ADDED peers is not a
 * PEX message a client sends: all of it is ignored.  Port 0 and
 * malformed entries are skipped; a private torrent takes none.
 */
static int
on_pex(const Btd__PexPeers *x)
{
	struct ttorrent	*t;
	struct tr_peer	 p[CAND_PEX_ADDED];
	size_t		 i, n = 0;
	int		 taken;

	if (x->info_hash.len != 20)
		return -1;
	if ((t = find(x->info_hash.data, 20)) == NULL || t->stopping)
		return 0;
	for (i = 0; i < x->n_added && n < CAND_PEX_ADDED; i++)
		if (peer_from_addr(x->added[i], &p[n]) == 0 &&
		    !peer_is_self(&p[n]))
			n++;
	/* Over the bound: cand_pex() refuses the count before reading p. */
	if ((taken = cand_pex(&t->cl, p, x->n_added > CAND_PEX_ADDED ?
	    x->n_added : n, time(NULL))) == -1)
		log_info("%s: PEX with %zu peers%s: ignored", t->hex,
		    x->n_added, t->private ? " for a private torrent" : "");
	else {
		log_debug("%s: PEX: %d of %zu peers taken", t->hex, taken,
		    x->n_added);
		/* New peers: offered at once, as after an announce. */
		if (taken > 0)
			offer(t, OFFER_MAX);
	}
	return 0;
}

/* IncomingPeer: it connected to us; its listen port came with it. */
static int
on_incoming(const Btd__IncomingPeer *in)
{
	struct ttorrent	*t;
	struct tr_peer	 p;

	if (in->info_hash.len != 20 || peer_from_addr(in->peer, &p) == -1)
		return -1;
	if ((t = find(in->info_hash.data, 20)) == NULL || t->stopping)
		return 0;
	if (tcand_add(t, &p, CSRC_INCOMING) == NULL)
		log_debug("%s: incoming peer %s port %u not kept", t->hex,
		    in->peer->addr, p.port);
	return 0;
}

/* PeerBanned: peerd bans the address and port for every torrent. */
static int
on_banned(const Btd__PeerBanned *b)
{
	struct ttorrent	*t;
	struct tr_peer	 p;
	size_t		 n = 0;

	if (peer_from_addr(b->peer, &p) == -1)
		return -1;
	TAILQ_FOREACH(t, &torrents, entry)
		if (cand_ban(&t->cl, &p) > 0) {
			n++;
			t->known_dirty = 1;	/* out of the cache */
		}
	log_info("peer %s port %u banned by peerd: %zu candidates marked",
	    b->peer->addr, p.port, n);
	return 0;
}

int
trackerd_dispatch_peerd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerTrackerdMsg *m = MSG_AS(Btd__PeerTrackerdMsg,
	    peer_trackerd_msg, env);

	(void)c;
	switch (m->body_case) {
	case BTD__PEER_TRACKERD_MSG__BODY_WANT_PEERS:
		return on_want(m->want_peers);
	case BTD__PEER_TRACKERD_MSG__BODY_CONNECT_RESULT:
		return on_connect_result(m->connect_result);
	case BTD__PEER_TRACKERD_MSG__BODY_PEX_PEERS:
		return on_pex(m->pex_peers);
	case BTD__PEER_TRACKERD_MSG__BODY_INCOMING_PEER:
		return on_incoming(m->incoming_peer);
	case BTD__PEER_TRACKERD_MSG__BODY_PEER_BANNED:
		return on_banned(m->peer_banned);
	default:
		return -1;
	}
}
