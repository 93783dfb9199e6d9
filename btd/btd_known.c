/*
 * btd_known.c -- the cache of known peers: good peers of each torrent,
 * kept in state.db across restarts, so a start need not wait for its
 * trackers.
 *
 * Takes from trackerd: KnownPeers (a torrent's good peers, the whole
 * list, at most KNOWN_MAX; trackerd batches them, at most once a minute
 * and when the torrent stops).  Gives trackerd: the rows again in
 * TorrentStart.known (known_load(), called by tracker_start()).
 *
 * Invariants: a KnownPeers that is not well formed is a role breaking
 * the protocol (-1); a row read back is untrusted input and one that
 * does not check out is skipped with a message naming what was wrong.
 * Rows go with their torrent (the table's ON DELETE CASCADE).  Which
 * peers a private torrent may take from the cache is trackerd's rule
 * (BEP 27: learned from a tracker or an incoming connection); btd keeps
 * the sources with each row so that the rule can be applied.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trackerd.pb-c.h"

#include "btd.h"
#include "log.h"

#define KNOWN_FUTURE	86400	/* seconds a last success may lie ahead
				   (clock steps) before a row is bad */

struct known_set {
	Btd__KnownPeer	 kp[KNOWN_MAX];
	Btd__KnownPeer	*pp[KNOWN_MAX];
	char		 addr[KNOWN_MAX][INET6_ADDRSTRLEN];
	char		 source[KNOWN_MAX][KNOWN_SOURCE_LEN];
	size_t		 n;
};

static struct state	*kst;
static struct known_set	 kset;		/* known_fill()'s, until the next */

void
known_init(struct state *st)
{
	kst = st;
}

/* A source list: names from the set trackerd uses, comma-separated. */
static int
source_ok(const char *s)
{
	static const char *const names[] = { "tracker", "magnet", "pex",
	    "incoming", "cache" };
	const char	*p, *e;
	size_t		 i, len;

	if (s == NULL || *s == '\0' || strlen(s) >= KNOWN_SOURCE_LEN)
		return 0;
	for (p = s;; p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == len &&
			    memcmp(names[i], p, len) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return 0;
		if (*e == '\0')
			return 1;
	}
}

/* NULL if the peer is sound, else what is wrong with it. */
static const char *
peer_invalid(const char *addr, int64_t port, const char *source,
    int64_t last_ok, time_t now)
{
	uint8_t buf[16];

	if (addr == NULL || strlen(addr) >= INET6_ADDRSTRLEN ||
	    (inet_pton(AF_INET, addr, buf) != 1 &&
	    inet_pton(AF_INET6, addr, buf) != 1))
		return "an address that is not numeric IPv4 or IPv6";
	if (port < 1 || port > 65535)
		return "a port outside 1-65535";
	if (!source_ok(source))
		return "an unknown source";
	if (last_ok <= 0 || last_ok > (int64_t)now + KNOWN_FUTURE)
		return "a time of the last success that cannot be";
	return NULL;
}

int
known_peers_msg(const Btd__KnownPeers *m)
{
	struct state_peer	 rows[KNOWN_MAX];
	struct torrent		*t;
	const char		*bad;
	time_t			 now = time(NULL);
	size_t			 i;

	if (m->info_hash.len != 20 || m->n_peers > KNOWN_MAX) {
		log_warnx("trackerd: KnownPeers with %zu peers or a bad "
		    "info-hash", m->n_peers);
		return -1;
	}
	for (i = 0; i < m->n_peers; i++) {
		const Btd__KnownPeer *k = m->peers[i];

		if ((bad = peer_invalid(k->addr, k->port, k->source,
		    k->last_ok, now)) != NULL) {
			log_warnx("trackerd: KnownPeers: peer %zu has %s", i,
			    bad);
			return -1;
		}
		rows[i].addr = k->addr;
		rows[i].port = k->port;
		rows[i].source = k->source;
		rows[i].last_seen = k->last_ok;
	}
	if ((t = torrent_by_hash(m->info_hash.data)) == NULL)
		return 0;	/* removed a moment ago */
	if (state_peers_save(kst, t->ih, rows, m->n_peers) == 0)
		log_debug("%s: %zu known peers kept", t->hex, m->n_peers);
	return 0;
}

struct load {
	struct known_set	*ks;
	const char		*hex;
	time_t			 now;
	int			 row;
};

static void
load_row(const struct state_peer *p, void *arg)
{
	struct load		*l = arg;
	struct known_set	*ks = l->ks;
	Btd__KnownPeer		*k;
	const char		*bad;

	l->row++;
	if (ks->n == KNOWN_MAX)
		return;		/* the latest KNOWN_MAX are enough */
	if ((bad = peer_invalid(p->addr, p->port, p->source, p->last_seen,
	    l->now)) != NULL) {
		log_warnx("state.db: known peer row %d of %s has %s; "
		    "skipped", l->row, l->hex, bad);
		return;
	}
	k = &ks->kp[ks->n];
	btd__known_peer__init(k);
	snprintf(ks->addr[ks->n], sizeof(ks->addr[ks->n]), "%s", p->addr);
	snprintf(ks->source[ks->n], sizeof(ks->source[ks->n]), "%s",
	    p->source);
	k->addr = ks->addr[ks->n];
	k->port = (uint32_t)p->port;
	k->source = ks->source[ks->n];
	k->last_ok = p->last_seen;
	ks->pp[ks->n] = k;
	ks->n++;
}

void
known_fill(const struct torrent *t, Btd__TorrentStart *ts)
{
	struct load l = { &kset, t->hex, time(NULL), 0 };

	kset.n = 0;
	if (kst != NULL)
		(void)state_peers_foreach(kst, t->ih, load_row, &l);
	ts->known = kset.pp;
	ts->n_known = kset.n;
}
