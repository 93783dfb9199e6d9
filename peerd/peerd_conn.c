/*
 * peerd_conn.c -- connections to peers: raw non-blocking TCP sockets on
 * libevent with read and write events of their own (no bufferevents, so
 * that a PIECE payload goes from the socket straight into an arena slot
 * and an upload leaves with one writev() of header and slot).
 *
 * Owns: the listen sockets (IPv4 and IPv6 on peer_port), every
 * connection from dial or accept to close, the handshake (10 s), keep-
 * alives and the idle timeout, the connection limits, the dial queues,
 * bans, the address policy on every dial (lib/netpolicy.c: no
 * privileged port unless peer_ports_privileged allows, never link-local,
 * unspecified, multicast or broadcast), the messages of each peer, and
 * the request pipeline of each peer, whose depth follows the peer's
 * rate.  Receiving payloads into slots and serving requests are
 * peerd_block.c's; choking is peerd_choke.c's; the rate limits that
 * hold reads and writes back, and the connection limits, peerd_rate.c's.
 *
 * Reading: outside a payload, bytes go into a small buffer (p->rbuf)
 * and through the parser.  Inside one whose block has a slot,
 * block_recv() reads straight into the slot.  Only the payload bytes
 * that came in the same read as the header before them are copied.
 *
 * Invariants: a bad message closes that connection, never the process;
 * every queue of a connection is bounded; conn_close() releases all a
 * connection holds at once but frees the struct only at the end of the
 * loop's turn, so callers may test p->dead after any call.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "netpolicy.h"
#include "util.h"
#include "peerd.h"

#define PEER_RBUF		(PEERD_BLOCK + 4096)	/* read buffer */
#define PEER_READ_ROUNDS	16	/* reads per wake-up, to stay fair */
#define PEER_IOV		64	/* iovecs per writev() */
#define ACCEPT_ROUNDS		32	/* accepts per wake-up */
#define ACCEPT_PAUSE_MS		1000	/* after EMFILE: stop accepting */
#define MAX_LOCAL		8	/* our own addresses remembered */
#define REFUSED_LOG_MAX		16	/* refusals logged per window */
#define REFUSED_LOG_MS		60000	/* ... of this length */

static struct event_base	*cbase;
static uint8_t			 our_id[20];
static int			 have_id;
static uint16_t			 our_port;
static int			 lfd[2] = { -1, -1 };
static struct event		*lev[2];
static struct event		*accept_timer;
static struct event		*fill_ev;	/* conn_fill_all(), later */
static struct event		*reap_ev;	/* frees closed peers */
static TAILQ_HEAD(, peer)	 reaped = TAILQ_HEAD_INITIALIZER(reaped);
struct peer_list		 conn_peers = TAILQ_HEAD_INITIALIZER(conn_peers);
static TAILQ_HEAD(, peer)	 hungry = TAILQ_HEAD_INITIALIZER(hungry);
static uint32_t			 nconns, ndialing, nhandshaking;
static uint32_t			 next_peer_id = 1;
static size_t			 body_budget = PEERD_BODY_BUDGET;
static struct sockaddr_storage	 local[MAX_LOCAL];
static int			 nlocal;
static struct {
	struct sockaddr_storage	ss;
} bans[PEERD_MAX_BANS];
static uint32_t			 nbans, banpos;
static uint32_t			 banned_ids[PEERD_MAX_BANS];	/* picker
							   ids of banned peers */
static uint32_t			 nbanned_ids, bidpos;
static struct netpolicy		 npol;		/* from Config */
static uint64_t			 nrefused;	/* refused dials */
static uint64_t			 refused_win;	/* log window start */
static uint32_t			 refused_logged;	/* in it */

static void	peer_read_cb(evutil_socket_t, short, void *);
static void	reap(evutil_socket_t, short, void *);
static void	peer_write_cb(evutil_socket_t, short, void *);
static int	peer_fill(struct peer *);
static void	peer_write(struct peer *);
static int	seed_known(struct torrent *, const struct sockaddr_storage *);

const uint8_t *
conn_peer_id(void)
{
	return our_id;
}

uint32_t
conn_count(void)
{
	return nconns;
}

/* ---- addresses ---- */

static int
addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
    int port)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
		    *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		    (!port || x->sin_port == y->sin_port);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
		    *y = (const void *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		    (!port || x->sin6_port == y->sin6_port);
	}
	return 0;
}

static uint16_t
addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->
		    sin_port);
	return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->
	    sin6_port);
}

static void
addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)(const void *)ss)->
		    sin6_addr;
	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/* Is ss one of our own listening addresses? */
static int
addr_is_self(const struct sockaddr_storage *ss)
{
	int i;

	if (our_port == 0 || addr_port(ss) != our_port)
		return 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		if ((ntohl(s->sin_addr.s_addr) >> 24) == 127 ||
		    s->sin_addr.s_addr == 0)
			return 1;
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;

		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr) ||
		    IN6_IS_ADDR_UNSPECIFIED(&s->sin6_addr))
			return 1;
	}
	for (i = 0; i < nlocal; i++)
		if (addr_eq(&local[i], ss, 0))
			return 1;
	return 0;
}

static void
note_local(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 i;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	for (i = 0; i < nlocal; i++)
		if (addr_eq(&local[i], &ss, 0))
			return;
	local[nlocal < MAX_LOCAL ? nlocal++ : MAX_LOCAL - 1] = ss;
}

static int
is_banned(const struct sockaddr_storage *ss)
{
	uint32_t i;

	for (i = 0; i < nbans; i++)
		if (addr_eq(&bans[i].ss, ss, 1))
			return 1;
	return 0;
}

/*
 * Ban the address and listening port of p.  Not the address alone: on
 * a shared address (NAT, or every test peer on 127.0.0.1) that would
 * ban the honest peers too; a banned peer that comes back from another
 * port costs at most PEERD_BAN_FAILS pieces more.
 */
static void
ban(const struct peer *p)
{
	struct sockaddr_storage ss = p->ss;

	if (p->incoming && p->listen_port != 0) {
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)(void *)&ss)->sin_port =
			    htons(p->listen_port);
		else
			((struct sockaddr_in6 *)(void *)&ss)->sin6_port =
			    htons(p->listen_port);
	}
	if (is_banned(&ss))
		return;
	if (p->t != NULL)
		peerd_peer_banned(p->t, (const struct sockaddr *)&ss);
	bans[banpos].ss = ss;
	banpos = (banpos + 1) % PEERD_MAX_BANS;
	if (nbans < PEERD_MAX_BANS)
		nbans++;
}

/* ---- configuration and listening ---- */

static void	accept_cb(evutil_socket_t, short, void *);

static void
listen_stop(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (lev[i] != NULL)
			event_free(lev[i]);
		lev[i] = NULL;
		if (lfd[i] != -1)
			close(lfd[i]);
		lfd[i] = -1;
	}
}

static int
listen_one(int family, uint16_t port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)(void *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)(void *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		len = sizeof(*s);
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 128) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void
listen_start(uint16_t port)
{
	int i, fam[2] = { AF_INET, AF_INET6 };

	listen_stop();
	for (i = 0; i < 2; i++) {
		if ((lfd[i] = listen_one(fam[i], port)) == -1) {
			log_warn("listen on %s port %u",
			    fam[i] == AF_INET ? "IPv4" : "IPv6", port);
			continue;
		}
		lev[i] = event_new(cbase, lfd[i], EV_READ | EV_PERSIST,
		    accept_cb, NULL);
		if (lev[i] == NULL || event_add(lev[i], NULL) == -1)
			fatalx("listen_start: event");
	}
	log_info("listening on port %u", port);
}

void
conn_config(const char *key, const char *value)
{
	char		*end;
	unsigned long	 n;

	if (strcmp(key, "peer_id") == 0) {
		if (util_unhex(value, our_id, 20) == -1)
			log_warnx("config: bad peer_id");
		else
			have_id = 1;
	} else if (netpolicy_config(&npol, key, value) == -1) {
		log_warnx("config: bad %s", key);
	} else if (strcmp(key, "peer_port") == 0) {
		n = strtoul(value, &end, 10);
		if (*value == '\0' || *end != '\0' || n == 0 || n > 65535) {
			log_warnx("config: bad peer_port");
			return;
		}
		if (n != our_port) {
			our_port = (uint16_t)n;
			listen_start(our_port);
		}
	} else
		rate_config(key, value);
}

static void
accept_resume(evutil_socket_t fd, short ev, void *arg)
{
	int i;

	(void)fd;
	(void)ev;
	(void)arg;
	for (i = 0; i < 2; i++)
		if (lev[i] != NULL)
			event_add(lev[i], NULL);
}

static void
fill_later(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	conn_fill_all();
	conn_dial();
}

void
conn_init(struct event_base *base)
{
	cbase = base;
	memcpy(our_id, "-BT0100-", 8);
	arc4random_buf(our_id + 8, 12);
	accept_timer = evtimer_new(base, accept_resume, NULL);
	fill_ev = event_new(base, -1, 0, fill_later, NULL);
	reap_ev = event_new(base, -1, 0, reap, NULL);
	if (accept_timer == NULL || fill_ev == NULL || reap_ev == NULL)
		fatalx("conn_init: timer");
}

/* ---- connections ---- */

static struct peer *
peer_new(int fd, const struct sockaddr_storage *ss, socklen_t sslen,
    int incoming)
{
	struct peer	*p;
	int		 one = 1;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->rbuf = malloc(PEER_RBUF)) == NULL) {
		free(p);
		return NULL;
	}
	p->fd = fd;
	p->ss = *ss;
	p->sslen = sslen;
	p->incoming = incoming;
	p->port = addr_port(ss);
	addr_str(ss, p->addr, sizeof(p->addr));
	p->rslot = -1;
	p->am_choking = p->peer_choking = 1;
	p->depth = PEERD_QDEPTH_START;
	p->start_ms = p->last_recv_ms = p->last_send_ms = peerd_now_ms();
	p->state = incoming ? ST_HANDSHAKE : ST_CONNECTING;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p->rev = event_new(cbase, fd, EV_READ | EV_PERSIST, peer_read_cb, p);
	p->wev = event_new(cbase, fd, EV_WRITE | EV_PERSIST, peer_write_cb,
	    p);
	if (p->rev == NULL || p->wev == NULL) {
		if (p->rev)
			event_free(p->rev);
		if (p->wev)
			event_free(p->wev);
		free(p->rbuf);
		free(p);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&conn_peers, p, all);
	nconns++;
	if (incoming)
		nhandshaking++;
	else
		ndialing++;
	return p;
}

void
conn_read_on(struct peer *p)
{
	if (!p->reading && !p->dead) {
		event_add(p->rev, NULL);
		p->reading = 1;
	}
}

void
conn_read_off(struct peer *p)
{
	if (p->reading) {
		event_del(p->rev);
		p->reading = 0;
	}
}

/* Queue bytes for the peer; -1 when its queue is over the bound. */
int
conn_send(struct peer *p, const void *buf, size_t len)
{
	if (p->dead)
		return -1;
	if (p->ooff > 0 && p->ooff == p->olen)
		p->ooff = p->olen = 0;
	if (p->olen + len > p->ocap) {
		size_t	 need = p->olen - p->ooff + len, cap;
		uint8_t	*nb;

		if (p->ooff > 0) {
			memmove(p->obuf, p->obuf + p->ooff, p->olen - p->ooff);
			p->olen -= p->ooff;
			p->ooff = 0;
		}
		if (need > PEERD_OBUF_MAX) {
			conn_close(p, "output queue full");
			return -1;
		}
		if (p->olen + len > p->ocap) {
			cap = p->ocap ? p->ocap : 1024;
			while (cap < need)
				cap *= 2;
			if ((nb = realloc(p->obuf, cap)) == NULL) {
				conn_close(p, "out of memory");
				return -1;
			}
			p->obuf = nb;
			p->ocap = cap;
		}
	}
	memcpy(p->obuf + p->olen, buf, len);
	p->olen += len;
	event_add(p->wev, NULL);
	return 0;
}

int
conn_send_simple(struct peer *p, int id)
{
	uint8_t b[WIRE_MSG_MAX];

	return conn_send(p, b, wire_build_simple(b, id));
}

static int
send_index(struct peer *p, int id, uint32_t index)
{
	uint8_t b[WIRE_MSG_MAX];

	return conn_send(p, b, wire_build_index(b, id, index));
}

int
conn_send_block(struct peer *p, int id, uint32_t piece, uint32_t begin,
    uint32_t length)
{
	uint8_t b[WIRE_MSG_MAX];

	return conn_send(p, b, wire_build_block(b, id, piece, begin, length));
}

static void
hungry_add(struct peer *p)
{
	if (!p->hungry) {
		TAILQ_INSERT_TAIL(&hungry, p, hentry);
		p->hungry = 1;
	}
}

void
conn_hungry_del(struct peer *p)
{
	if (p->hungry) {
		TAILQ_REMOVE(&hungry, p, hentry);
		p->hungry = 0;
	}
}




void
conn_close(struct peer *p, const char *why)
{
	struct torrent	*t = p->t;
	uint32_t	 i;

	if (p->dead)
		return;
	p->dead = 1;
	log_debug("peer %s port %u: closed: %s", p->addr, p->port, why);
	peerd_incoming_peer(p);		/* before it goes, if not yet */
	if (p->state == ST_CONNECTING)
		ndialing--;
	else if (p->state == ST_HANDSHAKE) {
		if (p->incoming)
			nhandshaking--;
		else
			ndialing--;
	}
	if (!p->incoming && p->state != ST_ACTIVE && t != NULL)
		peerd_connect_result(t, (struct sockaddr *)&p->ss, 0, why);
	if (p->state == ST_ACTIVE && t != NULL) {
		TAILQ_REMOVE(&t->peers, p, entry);
		t->npeers--;
		if (p->pp_init && p->pp.seed)
			t->nseeds--;
		t->stats_dirty = 1;
	}
	if (t != NULL)
		meta_peer_gone(p);
	pex_peer_gone(p);
	if (p->pp_init)
		pick_peer_free(&p->pp);
	p->pp_init = 0;
	conn_hungry_del(p);
	block_unstall(p);
	block_uploads_stop(p);
	if (p->rslot >= 0)
		block_down_release(p->rslot);
	p->rslot = -1;
	for (i = 0; i < p->nup; i++)
		block_up_free(p->upq[(p->uhead + i) % PEERD_UPQ_MAX].slot);
	p->nup = 0;
	block_peer_gone(p);
	event_free(p->rev);
	event_free(p->wev);
	close(p->fd);
	TAILQ_REMOVE(&conn_peers, p, all);
	nconns--;
	wire_parser_free(&p->wp);
	free(p->rbuf);
	free(p->obuf);
	p->rbuf = p->obuf = NULL;
	p->rlen = p->roff = p->olen = p->ooff = p->ocap = 0;
	p->nin = 0;
	/*
	 * The struct itself lives until the end of this turn of the loop:
	 * callers up the stack may still look at p->dead.
	 */
	TAILQ_INSERT_TAIL(&reaped, p, all);
	event_active(reap_ev, EV_TIMEOUT, 0);
	/* Others may use the requests it gave back. */
	if (t != NULL && t->ready)
		event_active(fill_ev, EV_TIMEOUT, 0);
}

static void
reap(evutil_socket_t fd, short ev, void *arg)
{
	struct peer *p;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((p = TAILQ_FIRST(&reaped)) != NULL) {
		TAILQ_REMOVE(&reaped, p, all);
		free(p);
	}
}

/* ---- choking ---- */





/* ---- dialing ---- */

/*
 * Does the address policy refuse to dial c?  Counted always, logged at
 * debug level at most REFUSED_LOG_MAX times a window, so that a tracker
 * or magnet listing thousands of such peers cannot flood the log.
 */
static int
policy_refuses(const struct cand *c)
{
	const char	*why;
	char		 a[46];
	uint64_t	 now;

	why = netpolicy_peer(&npol, (const struct sockaddr *)&c->ss,
	    c->sslen);
	if (why == NULL)
		return 0;
	nrefused++;
	now = peerd_now_ms();
	if (now - refused_win >= REFUSED_LOG_MS) {
		if (refused_logged > REFUSED_LOG_MAX)
			log_debug("address policy: %u more dials refused",
			    refused_logged - REFUSED_LOG_MAX);
		refused_win = now;
		refused_logged = 0;
	}
	if (refused_logged++ < REFUSED_LOG_MAX) {
		addr_str(&c->ss, a, sizeof(a));
		log_debug("peer %s port %u: not dialed: refused by the address "
		    "policy: %s (%llu refused so far)", a, addr_port(&c->ss),
		    why, (unsigned long long)nrefused);
	}
	return 1;
}

static int
already_connected(struct torrent *t, const struct sockaddr_storage *ss)
{
	struct peer *p;

	TAILQ_FOREACH(p, &conn_peers, all) {
		if (p->t != t)
			continue;
		if (addr_eq(&p->ss, ss, 1))
			return 1;
		if (p->listen_port != 0 && addr_eq(&p->ss, ss, 0) &&
		    p->listen_port == addr_port(ss))
			return 1;
	}
	return 0;
}

static uint32_t
torrent_conns(struct torrent *t)
{
	struct peer	*p;
	uint32_t	 n = 0;

	TAILQ_FOREACH(p, &conn_peers, all)
		if (p->t == t)
			n++;
	return n;
}

/*
 * The torrents whose dial queue is not empty, so that dialing walks
 * them and not every torrent: a torrent is on it from its first
 * candidate until its queue is empty.
 */
static TAILQ_HEAD(, torrent) dialq = TAILQ_HEAD_INITIALIZER(dialq);

static void
dialq_update(struct torrent *t)
{
	if (t->ncands > 0 && !t->indialq) {
		TAILQ_INSERT_TAIL(&dialq, t, dialq);
		t->indialq = 1;
	} else if (t->ncands == 0 && t->indialq) {
		TAILQ_REMOVE(&dialq, t, dialq);
		t->indialq = 0;
	}
}

/* Room for one more candidate, the ring grown if it may; 0 when full. */
static int
cand_room(struct torrent *t)
{
	struct cand	*n;
	uint32_t	 cap, i;

	if (t->ncands < t->ccap)
		return 1;
	if (t->ccap == PEERD_MAX_CANDIDATES)
		return 0;
	cap = t->ccap == 0 ? 16 : t->ccap * 2;
	if (cap > PEERD_MAX_CANDIDATES)
		cap = PEERD_MAX_CANDIDATES;
	if ((n = calloc(cap, sizeof(*n))) == NULL)
		return 0;
	for (i = 0; i < t->ncands; i++)
		n[i] = t->cands[(t->chead + i) % t->ccap];
	free(t->cands);
	t->cands = n;
	t->ccap = cap;
	t->chead = 0;
	return 1;
}

void
conn_torrent_candidates(struct torrent *t, const struct cand *c, size_t n)
{
	size_t	 i;
	uint32_t j;

	for (i = 0; i < n; i++) {
		if (addr_is_self(&c[i].ss) || is_banned(&c[i].ss) ||
		    policy_refuses(&c[i]))
			continue;
		for (j = 0; j < t->ncands; j++)
			if (addr_eq(&t->cands[(t->chead + j) % t->ccap].ss,
			    &c[i].ss, 1))
				break;
		if (j < t->ncands)
			continue;
		if (!cand_room(t)) {
			if (t->ncands == 0)
				continue;	/* out of memory */
			/* Full: the oldest makes room. */
			t->chead = (t->chead + 1) % t->ccap;
			t->ncands--;
		}
		t->cands[(t->chead + t->ncands) % t->ccap] = c[i];
		t->ncands++;
	}
	dialq_update(t);
	conn_dial();
}

static void
conn_torrent_forget(struct torrent *t)
{
	t->ncands = 0;
	dialq_update(t);
}

/* Dial c; -1 when out of descriptors (c is worth trying later). */
static int
dial_one(struct torrent *t, const struct cand *c)
{
	struct peer	*p;
	int		 fd;
	char		 why[64];

	/* Every dial, whatever the source and whenever it was queued. */
	if (policy_refuses(c))
		return 0;
	fd = socket(c->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			return -1;
		snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		peerd_connect_result(t, (const struct sockaddr *)&c->ss, 0,
		    why);
		return 0;
	}
	if (connect(fd, (const struct sockaddr *)&c->ss, c->sslen) == -1 &&
	    errno != EINPROGRESS) {
		snprintf(why, sizeof(why), "%s", errno == ECONNREFUSED ?
		    "refused" : strerror(errno));
		close(fd);
		peerd_connect_result(t, (const struct sockaddr *)&c->ss, 0,
		    why);
		return 0;
	}
	if ((p = peer_new(fd, &c->ss, c->sslen, 0)) == NULL) {
		close(fd);
		return -1;
	}
	p->t = t;
	p->source = c->source;
	event_add(p->wev, NULL);	/* writable: connected */
	log_debug("peer %s port %u: dialing", p->addr, p->port);
	return 0;
}

void
conn_dial(void)
{
	struct torrent	*t, *next;
	struct cand	 c;
	int		 progress = 1;

	while (progress) {
		progress = 0;
		for (t = TAILQ_FIRST(&dialq); t != NULL; t = next) {
			next = TAILQ_NEXT(t, dialq);
			if (ndialing >= PEERD_MAX_DIALING ||
			    nconns >= rate_max_conns())
				return;
			if ((!t->ready && !t->nometa) || t->gone ||
			    t->ncands == 0 ||
			    torrent_conns(t) >= rate_max_torrent_conns(t))
				continue;
			c = t->cands[t->chead];
			t->chead = (t->chead + 1) % t->ccap;
			t->ncands--;
			dialq_update(t);
			progress = 1;
			if (already_connected(t, &c.ss) ||
			    addr_is_self(&c.ss) || is_banned(&c.ss) ||
			    (!t->nometa && pick_complete(t->pick) &&
			    seed_known(t, &c.ss)))
				continue;
			if (dial_one(t, &c) == -1) {
				/* Out of descriptors: back to the queue. */
				t->chead = (t->chead + t->ccap - 1) % t->ccap;
				t->cands[t->chead] = c;
				t->ncands++;
				dialq_update(t);
				return;
			}
		}
	}
}

/* ---- accepting ---- */

static void
accept_cb(evutil_socket_t lsock, short ev, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct peer		*p;
	struct timeval		 tv = { ACCEPT_PAUSE_MS / 1000,
				    (ACCEPT_PAUSE_MS % 1000) * 1000 };
	int			 fd, i, round;

	(void)ev;
	(void)arg;
	for (round = 0; round < ACCEPT_ROUNDS; round++) {
		len = sizeof(ss);
		fd = accept4(lsock, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/*
				 * Out of descriptors: the pending connection
				 * would wake us at once, forever.  Stop
				 * accepting for a while instead.
				 */
				log_warn("accept");
				for (i = 0; i < 2; i++)
					if (lev[i] != NULL)
						event_del(lev[i]);
				evtimer_add(accept_timer, &tv);
			}
			return;
		}
		if (nconns >= rate_max_conns() ||
		    nhandshaking >= PEERD_MAX_HANDSHAKING || is_banned(&ss)) {
			close(fd);
			continue;
		}
		if ((p = peer_new(fd, &ss, len, 1)) == NULL) {
			close(fd);
			continue;
		}
		p->source = SRC_INCOMING;
		conn_read_on(p);
		log_debug("peer %s port %u: incoming", p->addr, p->port);
	}
}

/* ---- the handshake ---- */

static int
send_handshake(struct peer *p)
{
	uint8_t hs[WIRE_HANDSHAKE];

	wire_handshake_build(hs, p->t->info_hash, our_id);
	return conn_send(p, hs, sizeof(hs));
}

/* After both handshakes: our pieces, the extended handshake. */
static int
peer_start(struct peer *p)
{
	struct torrent	*t = p->t;
	uint8_t		 buf[256], msg[6 + 256];
	uint8_t		 yourip[16];
	size_t		 n, iplen = 0;
	uint32_t	 nhave = t->nometa ? 0 : pick_nhave(t->pick);

	if (p->fast && !t->nometa && nhave == t->npieces) {
		if (conn_send_simple(p, WIRE_HAVE_ALL) == -1)
			return -1;
	} else if (p->fast && nhave == 0) {
		if (conn_send_simple(p, WIRE_HAVE_NONE) == -1)
			return -1;
	} else if (nhave > 0) {
		size_t	 nb = (t->npieces + 7) / 8;
		uint8_t	*b = malloc(5 + nb);

		if (b == NULL)
			return -1;
		n = wire_build_bitfield(b, t->bitfield, nb);
		if (conn_send(p, b, n) == -1) {
			free(b);
			return -1;
		}
		free(b);
	}
	if (p->ext) {
		if (p->ss.ss_family == AF_INET) {
			memcpy(yourip, &((struct sockaddr_in *)(void *)&p->ss)
			    ->sin_addr, 4);
			iplen = 4;
		} else {
			memcpy(yourip, &((struct sockaddr_in6 *)(void *)
			    &p->ss)->sin6_addr, 16);
			iplen = 16;
		}
		n = wire_exths_build(buf, sizeof(buf), our_port, PEERD_REQQ,
		    yourip, iplen, PEERD_UT_METADATA, t->private ? 0 :
		    PEERD_UT_PEX, t->metadata_size > 0 ?
		    (int64_t)t->metadata_size : -1);
		if (n == 0)
			return -1;
		n = wire_build_extended(msg, 0, buf, n);
		if (conn_send(p, msg, n) == -1)
			return -1;
	}
	return 0;
}

/* The peer's 68 bytes are in p->hs. */
static int
handshake_done(struct peer *p)
{
	struct wire_handshake	 hs;
	struct torrent		*t;
	char			 err[96];

	if (wire_handshake_parse(p->hs, &hs, err, sizeof(err)) == -1) {
		conn_close(p, err);
		return -1;
	}
	if (p->incoming) {
		t = torrent_by_hash(hs.info_hash);
		if (t == NULL) {
			conn_close(p, "handshake: unknown info-hash");
			return -1;
		}
		if ((!t->ready && !t->nometa) || t->gone) {
			conn_close(p, "handshake: torrent not ready");
			return -1;
		}
		if (torrent_conns(t) >= rate_max_torrent_conns(t) ||
		    t->npeers >= rate_max_torrent_conns(t)) {
			conn_close(p, "torrent connection limit");
			return -1;
		}
		p->t = t;
	} else if (memcmp(hs.info_hash, p->t->info_hash, 20) != 0) {
		conn_close(p, "handshake: wrong info-hash");
		return -1;
	}
	t = p->t;
	if (memcmp(hs.peer_id, our_id, 20) == 0) {
		note_local(p->fd);
		conn_close(p, "handshake: our own peer id");
		return -1;
	}
	memcpy(p->peer_id, hs.peer_id, 20);
	wire_client_name(hs.peer_id, p->client, sizeof(p->client));
	p->fast = (hs.reserved[WIRE_RSV_FAST_BYTE] & WIRE_RSV_FAST_BIT) != 0;
	p->ext = (hs.reserved[WIRE_RSV_EXT_BYTE] & WIRE_RSV_EXT_BIT) != 0;
	if (!t->nometa) {
		if (pick_peer_init(t->pick, &p->pp, p, next_peer_id++) == -1) {
			conn_close(p, "torrent connection limit");
			return -1;
		}
		p->pp_init = 1;
	}
	wire_parser_init(&p->wp, t->npieces);
	p->wp.budget = &body_budget;
	if (p->incoming) {
		nhandshaking--;
		if (send_handshake(p) == -1)
			return -1;
	} else {
		ndialing--;
		peerd_connect_result(t, (struct sockaddr *)&p->ss, 1, "ok");
	}
	p->state = ST_ACTIVE;
	TAILQ_INSERT_TAIL(&t->peers, p, entry);
	t->npeers++;
	t->stats_dirty = 1;
	note_local(p->fd);
	log_debug("peer %s port %u: %s%s%s", p->addr, p->port, p->client,
	    p->fast ? " fast" : "", p->ext ? " ext" : "");
	return peer_start(p);
}

/* ---- requests to the peer ---- */

static void
update_interest(struct peer *p)
{
	int want = pick_interesting(&p->pp);

	if (want == p->am_interested)
		return;
	p->am_interested = want;
	(void)conn_send_simple(p, want ? WIRE_INTERESTED : WIRE_NOT_INTERESTED);
}

/* Ask the peer for blocks while its pipeline and the slots have room. */
static int
peer_fill(struct peer *p)
{
	struct pick_req	 r;
	uint64_t	 now;
	uint8_t		 buf[WIRE_MSG_MAX * 64];
	size_t		 n = 0;

	if (p->dead || p->state != ST_ACTIVE || !p->t->ready ||
	    p->peer_choking || !p->am_interested)
		return 0;
	now = peerd_now_ms();
	while (p->pp.nreq < p->depth) {
		if (block_room() <= 0) {
			hungry_add(p);
			break;
		}
		if (!pick_next(&p->pp, now, &r))
			break;
		n += wire_build_block(buf + n, WIRE_REQUEST, r.piece, r.begin,
		    r.length);
		if (n + WIRE_MSG_MAX > sizeof(buf)) {
			if (conn_send(p, buf, n) == -1)
				return -1;
			n = 0;
		}
	}
	if (n > 0 && conn_send(p, buf, n) == -1)
		return -1;
	return 0;
}

void
conn_fill_all(void)
{
	struct peer			*p;
	TAILQ_HEAD(, peer)		 todo;

	if (block_room() <= 0)
		return;
	TAILQ_INIT(&todo);
	TAILQ_CONCAT(&todo, &hungry, hentry);
	TAILQ_FOREACH(p, &todo, hentry)
		p->hungry = 0;
	while ((p = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, p, hentry);
		(void)peer_fill(p);
	}
}


/* ---- uploads ---- */







/* ---- messages from the peer ---- */

/* A seed met while we are one: not dialed again. */
static void
seed_note(struct peer *p)
{
	struct torrent		*t = p->t;
	struct sockaddr_storage	 ss = p->ss;

	if (p->incoming) {
		if (p->listen_port == 0)
			return;
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)(void *)&ss)->sin_port =
			    htons(p->listen_port);
		else
			((struct sockaddr_in6 *)(void *)&ss)->sin6_port =
			    htons(p->listen_port);
	}
	if (t->seeds == NULL && (t->seeds = calloc(PEERD_SEEDS_KNOWN,
	    sizeof(*t->seeds))) == NULL)
		return;		/* out of memory: it may be dialed again */
	t->seeds[t->seedpos] = ss;
	t->seedpos = (t->seedpos + 1) % PEERD_SEEDS_KNOWN;
	if (t->nseeds_known < PEERD_SEEDS_KNOWN)
		t->nseeds_known++;
}

static int
seed_known(struct torrent *t, const struct sockaddr_storage *ss)
{
	uint32_t i;

	for (i = 0; i < t->nseeds_known; i++)
		if (addr_eq(&t->seeds[i], ss, 1))
			return 1;
	return 0;
}

static int
check_seeds(struct peer *p)
{
	struct torrent *t = p->t;

	if (p->pp.seed && pick_complete(t->pick)) {
		seed_note(p);
		conn_close(p, "both seeds");
		return -1;
	}
	return 0;
}

static int
on_message(struct peer *p, const struct wire_msg *m)
{
	struct torrent		*t = p->t;
	struct wire_exths	 x;
	char			 err[96];
	int			 first = !p->first_done, was_seed;

	/*
	 * The bitfield (or have_all/none) comes before anything but the
	 * extended handshake, a PORT and keep-alives: libtorrent sends its
	 * extended handshake first.
	 */
	if (m->type != WIRE_KEEPALIVE && m->type != WIRE_EXTENDED &&
	    m->type != WIRE_PORT && m->type != WIRE_UNKNOWN)
		p->first_done = 1;
	/*
	 * Without metadata there are no pieces: only the extension
	 * protocol means anything, and the peer's pieces are learnt again
	 * once the metadata is known (peerd reconnects).
	 */
	if (t->nometa && m->type != WIRE_EXTENDED)
		return 0;
	switch (m->type) {
	case WIRE_KEEPALIVE:
	case WIRE_UNKNOWN:
	case WIRE_PORT:
	case WIRE_SUGGEST:
	case WIRE_ALLOWED_FAST:
		return 0;
	case WIRE_CHOKE:
		p->peer_choking = 1;
		if (!p->fast)
			pick_drop_requests(&p->pp);
		conn_hungry_del(p);
		return 0;
	case WIRE_UNCHOKE:
		p->peer_choking = 0;
		return peer_fill(p);
	case WIRE_INTERESTED:
		p->peer_interested = 1;
		choke_interested(p);
		return p->dead ? -1 : 0;
	case WIRE_NOT_INTERESTED:
		p->peer_interested = 0;
		if (!p->am_choking)
			choke_set(p, 1);
		return p->dead ? -1 : 0;
	case WIRE_HAVE:
		if (p->pp.seed)
			return 0;
		pick_peer_have(&p->pp, m->index);
		if (p->pp.seed)
			t->nseeds++;
		if (!p->am_interested && !pick_has(t->pick, m->index)) {
			p->am_interested = 1;
			if (conn_send_simple(p, WIRE_INTERESTED) == -1)
				return -1;
		}
		if (check_seeds(p) == -1)
			return -1;
		return peer_fill(p);
	case WIRE_BITFIELD:
	case WIRE_HAVE_ALL:
	case WIRE_HAVE_NONE:
		/*
		 * First, before anything but the extended handshake.  Again
		 * only to add pieces: aria2 sends have_none at once, then a
		 * bitfield, then the same bitfield again.  A peer that would
		 * lose pieces so is closed.
		 */
		if (p->got_have) {
			if (m->type == WIRE_HAVE_NONE ? p->pp.nhave > 0 :
			    m->type == WIRE_BITFIELD &&
			    !pick_peer_within(&p->pp, m->data)) {
				conn_close(p, "bitfield again, without pieces"
				    " it had");
				return -1;
			}
		} else if (!first) {
			conn_close(p, "bitfield late");
			return -1;
		}
		if (m->type != WIRE_BITFIELD && !p->fast) {
			conn_close(p, "have_all/none without the fast"
			    " extension");
			return -1;
		}
		p->got_have = m->type + 1;
		was_seed = p->pp.seed;
		if (m->type == WIRE_BITFIELD)
			pick_peer_bitfield(&p->pp, m->data);
		else if (m->type == WIRE_HAVE_ALL)
			pick_peer_have_all(&p->pp);
		if (p->pp.seed && !was_seed)
			t->nseeds++;
		if (check_seeds(p) == -1)
			return -1;
		update_interest(p);
		return p->dead ? -1 : 0;
	case WIRE_REQUEST:
		return block_request(p, m);
	case WIRE_CANCEL:
		block_cancel(p, m);
		return 0;
	case WIRE_REJECT:
		if (!p->fast) {
			conn_close(p, "reject without the fast extension");
			return -1;
		}
		/*
		 * It cannot take that many: shrink the pipeline to what it
		 * holds, and ask again only as blocks arrive, or a reject
		 * and a request would chase each other.
		 */
		pick_rejected(&p->pp, m->index, m->begin, m->length);
		if (p->depth > p->pp.nreq)
			p->depth = p->pp.nreq > PEERD_QDEPTH_START ?
			    p->pp.nreq : PEERD_QDEPTH_START;
		return 0;
	case WIRE_EXTENDED:
		if (p->ext && m->ext_id == PEERD_UT_METADATA)
			return meta_message(p, m->data, m->len);
		if (p->ext && m->ext_id == PEERD_UT_PEX)
			return pex_message(p, m->data, m->len);
		if (!p->ext || m->ext_id != 0)
			return 0;	/* unknown: ignored */
		if (wire_exths_parse(m->data, m->len, &x, err,
		    sizeof(err)) == -1) {
			conn_close(p, err);
			return -1;
		}
		p->listen_port = x.port;
		if (p->incoming && x.port != 0) {
			struct sockaddr_storage ss = p->ss;

			if (ss.ss_family == AF_INET)
				((struct sockaddr_in *)(void *)&ss)->sin_port =
				    htons(x.port);
			else
				((struct sockaddr_in6 *)(void *)&ss)->
				    sin6_port = htons(x.port);
			if (is_banned(&ss)) {
				conn_close(p, "banned");
				return -1;
			}
		}
		p->reqq = x.reqq;
		if (p->reqq != 0 && p->depth > p->reqq)
			p->depth = p->reqq;
		if (x.v[0] != '\0')
			snprintf(p->client, sizeof(p->client), "%s", x.v);
		meta_exths(p, &x);
		if (!p->dead)
			pex_exths(p, &x);
		return p->dead ? -1 : 0;
	default:
		return 0;
	}
}



/*
 * Run the parser over the buffered bytes.  Stops early when a payload
 * has no slot to go to (the connection is then stalled).
 */
void
conn_process(struct peer *p)
{
	struct wire_msg		 m;
	enum wire_result	 r;
	size_t			 used;

	if (p->dead)
		return;
	/* A stalled PIECE header is waiting for a slot. */
	if (p->stalled || (wire_payload_left(&p->wp) > 0 && p->rslot < 0 &&
	    !p->rdiscard)) {
		struct wire_msg hm;

		memset(&hm, 0, sizeof(hm));
		hm.index = p->rpiece;
		hm.begin = p->rbegin;
		hm.length = p->rblen;
		block_unstall(p);
		if (block_piece_begin(p, &hm) == 1)
			return;
		conn_read_on(p);
	}
	while (p->roff < p->rlen) {
		r = wire_parse(&p->wp, p->rbuf + p->roff, p->rlen - p->roff,
		    &used, &m);
		p->roff += used;
		switch (r) {
		case WIRE_NEED:
			break;
		case WIRE_ERROR:
			conn_close(p, p->wp.err);
			return;
		case WIRE_MSG:
			if (on_message(p, &m) == -1 || p->dead)
				return;
			continue;
		case WIRE_PIECE_BEGIN:
			if (p->t->nometa) {
				conn_close(p, "a piece before the metadata");
				return;
			}
			if (block_piece_begin(p, &m) == 1)
				return;
			continue;
		case WIRE_PIECE_DATA:
			if (p->rslot >= 0)
				memcpy(block_down_ptr(p->rslot) + m.begin,
				    m.data, m.len);
			if (wire_payload_left(&p->wp) == 0)
				block_piece_done(p);
			continue;
		}
		break;
	}
	p->roff = p->rlen = 0;
}

static void
peer_read(struct peer *p)
{
	ssize_t		 n;
	uint32_t	 left;
	int		 round, direct;

	for (round = 0; round < PEER_READ_ROUNDS && !p->dead && p->reading;
	    round++) {
		if (p->roff < p->rlen) {
			conn_process(p);
			if (p->dead || !p->reading)
				return;
		}
		p->roff = p->rlen = 0;
		if (rate_on && !rate_recv_ok(p))
			break;
		left = wire_payload_left(&p->wp);
		direct = left > 0 && p->rslot >= 0;
		if (direct)
			n = block_recv(p, left);
		else
			n = read(p->fd, p->rbuf, PEER_RBUF);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_close(p, strerror(errno));
			return;
		}
		if (n == 0) {
			conn_close(p, "eof");
			return;
		}
		p->last_recv_ms = peerd_now_ms();
		if (rate_on)
			rate_received(p, (size_t)n);
		if (!direct)
			p->rlen = (size_t)n;
		if (p->state == ST_HANDSHAKE) {
			size_t take = WIRE_HANDSHAKE - p->hslen;

			if (take > p->rlen)
				take = p->rlen;
			memcpy(p->hs + p->hslen, p->rbuf, take);
			p->hslen += take;
			p->roff = take;
			if (p->hslen < WIRE_HANDSHAKE)
				continue;
			if (handshake_done(p) == -1 || p->dead)
				return;
		}
		conn_process(p);
		/* A short read: the socket is drained. */
		if ((size_t)n < (direct ? left + WIRE_PIECE_HDR : PEER_RBUF))
			break;
	}
	if (p->dead || peer_fill(p) == -1)
		return;
	/* The new requests leave now, not a turn of the loop later. */
	if (p->olen > p->ooff)
		peer_write(p);
}

static void
peer_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	peer_read(arg);
}

/* ---- writing ---- */

static void
connected(struct peer *p)
{
	int		 err = 0;
	socklen_t	 len = sizeof(err);
	char		 why[64];

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		snprintf(why, sizeof(why), "%s", err == ECONNREFUSED ?
		    "refused" : strerror(err));
		conn_close(p, why);
		return;
	}
	p->state = ST_HANDSHAKE;
	conn_read_on(p);
	if (send_handshake(p) == -1)
		return;
}


static void
peer_write(struct peer *p)
{
	struct iovec	 iov[PEER_IOV];
	int		 kind[PEER_IOV];	/* 0 control, 1 a block */
	struct upsend	*u;
	size_t		 niov = 0, total = 0, left, take;
	ssize_t		 n;
	uint32_t	 i = 0;

	/* A block partly written goes first, then control, then blocks. */
	if (p->nup > 0 && p->upq[p->uhead].off > 0) {
		block_up_iov(p, p->uhead, iov, kind, &niov);
		i = 1;
	}
	if (p->olen > p->ooff) {
		iov[niov].iov_base = p->obuf + p->ooff;
		iov[niov].iov_len = p->olen - p->ooff;
		kind[niov++] = 0;
	}
	for (; i < p->nup && niov + 2 <= PEER_IOV; i++)
		block_up_iov(p, (p->uhead + i) % PEERD_UPQ_MAX, iov, kind, &niov);
	if (niov == 0) {
		event_del(p->wev);
		return;
	}
	for (i = 0; i < niov; i++)
		total += iov[i].iov_len;
	if (rate_on && (total = rate_send_trim(p, iov, &niov, total)) == 0)
		return;
	n = writev(p->fd, iov, (int)niov);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_close(p, strerror(errno));
		return;
	}
	p->last_send_ms = peerd_now_ms();
	if (rate_on)
		rate_sent(p, (size_t)n);
	/* Account what went, in the order the iovecs were built. */
	left = (size_t)n;
	for (i = 0; i < niov && left > 0; i++) {
		take = iov[i].iov_len < left ? iov[i].iov_len : left;
		left -= take;
		if (kind[i] == 0) {
			p->ooff += take;
			continue;
		}
		u = &p->upq[p->uhead];
		u->off += (uint32_t)take;
		if (u->off == WIRE_PIECE_HDR + u->len) {
			p->up_total += u->len;
			p->sec_up += u->len;
			p->t->d_up += u->len;
			p->t->sec_up += u->len;
			p->t->stats_dirty = 1;
			block_up_free(u->slot);
			p->uhead = (p->uhead + 1) % PEERD_UPQ_MAX;
			p->nup--;
		}
	}
	if (p->ooff == p->olen)
		p->ooff = p->olen = 0;
	if ((size_t)n == total && p->nup == 0 && p->olen == 0)
		event_del(p->wev);
	block_uploads_kick(p);
}

static void
peer_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct peer *p = arg;

	(void)fd;
	(void)ev;
	if (p->state == ST_CONNECTING) {
		connected(p);
		if (p->dead)
			return;
	}
	peer_write(p);
}

/* ---- what the rest of peerd calls ---- */

void
conn_torrent_close(struct torrent *t)
{
	struct peer *p, *next;

	for (p = TAILQ_FIRST(&conn_peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, all);
		if (p->t == t)
			conn_close(p, "torrent stopped");
	}
	conn_torrent_forget(t);
}

void
conn_torrent_ready(struct torrent *t)
{
	struct peer *p;

	TAILQ_FOREACH(p, &t->peers, entry) {
		update_interest(p);
		(void)peer_fill(p);
	}
	if (!pick_complete(t->pick) || t->npeers == 0)
		peerd_want_peers(t, PEERD_WANT_PEERS);
	conn_dial();
}

void
conn_piece_have(struct torrent *t, uint32_t piece)
{
	struct peer	*p, *next;
	int		 done = pick_complete(t->pick);

	for (p = TAILQ_FIRST(&t->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (send_index(p, WIRE_HAVE, piece) == -1)
			continue;
		if (done && p->pp.seed) {
			seed_note(p);
			conn_close(p, "both seeds");
			continue;
		}
		if (done && p->am_interested) {
			p->am_interested = 0;
			(void)conn_send_simple(p, WIRE_NOT_INTERESTED);
		}
	}
	if (done)
		log_info("torrent %u: complete", t->id);
}

/* Is id (a connection's picker id) one we banned? */
static int
id_banned(uint32_t id)
{
	uint32_t i;

	for (i = 0; i < nbanned_ids; i++)
		if (banned_ids[i] == id)
			return 1;
	return 0;
}

/*
 * A piece failed its hash: every peer that sent blocks of it is blamed,
 * unless one of them is banned already -- it explains the failure, and
 * the honest peer that finished a piece it had started must not pay.
 * A peer blamed PEERD_BAN_FAILS times (less what its good pieces
 * forgave) is banned.
 */
void
conn_piece_failed(struct torrent *t, const uint32_t *ids, size_t n)
{
	struct peer	*p, *next;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (id_banned(ids[i]))
			return;
	for (p = TAILQ_FIRST(&t->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		for (i = 0; i < n; i++)
			if (p->pp.id == ids[i])
				break;
		if (i == n)
			continue;
		if (++p->fails >= PEERD_BAN_FAILS) {
			log_info("peer %s port %u: banned after %u failed "
			    "pieces", p->addr, p->port, p->fails);
			banned_ids[bidpos] = p->pp.id;
			bidpos = (bidpos + 1) % PEERD_MAX_BANS;
			if (nbanned_ids < PEERD_MAX_BANS)
				nbanned_ids++;
			ban(p);
			conn_close(p, "banned");
		}
	}
}

void
conn_piece_good(struct torrent *t, const uint32_t *ids, size_t n)
{
	struct peer	*p;
	size_t		 i;

	if (n == 0)
		return;
	TAILQ_FOREACH(p, &t->peers, entry) {
		if (p->fails == 0)
			continue;
		for (i = 0; i < n; i++)
			if (p->pp.id == ids[i])
				p->fails--;
	}
}


size_t
conn_peer_infos(struct torrent *t, struct conn_info *infos, size_t max)
{
	struct peer		*p;
	size_t			 n = 0;

	TAILQ_FOREACH(p, &conn_peers, all) {
		if (p->t != t || p->state != ST_ACTIVE || n == max)
			continue;
		struct conn_info *ci = &infos[n++];

		memset(ci, 0, sizeof(*ci));
		snprintf(ci->addr, sizeof(ci->addr), "%s", p->addr);
		ci->port = p->port;
		snprintf(ci->client, sizeof(ci->client), "%s", p->client);
		snprintf(ci->flags, sizeof(ci->flags), "%s%s%s%s%s%s%s%s",
		    p->incoming ? "I" : "", p->am_choking ? "c" : "",
		    p->peer_choking ? "C" : "", p->am_interested ? "i" : "",
		    p->peer_interested ? "n" : "",
		    p->cp.snubbed ? "s" : "",	/* as the choker sees it */
		    p->cp.optimistic && !p->am_choking ? "o" : "",
		    p->pp.seed ? "S" : "");
		ci->rate_down = p->rate_down;
		ci->rate_up = p->rate_up;
		ci->progress = t->npieces ? (double)p->pp.nhave /
		    t->npieces : 0;
		ci->downloaded = p->down_total;
		ci->uploaded = p->up_total;
		ci->source = p->source;
	}
	return n;
}

/* Once a second. */
void
conn_tick(uint64_t now)
{
	struct peer	*p, *next;
	struct torrent	*t;
	static uint64_t	 last_choke;
	uint64_t	 target;
	uint8_t		 ka[4];
	int		 rotate = 0;

	if (now - last_choke >= PEERD_CHOKE_S * 1000ULL) {
		last_choke = now;
		rotate = 1;
	}
	for (p = TAILQ_FIRST(&conn_peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, all);
		if (p->state != ST_ACTIVE) {
			if (now - p->start_ms >= PEERD_HANDSHAKE_S * 1000ULL)
				conn_close(p, p->state == ST_CONNECTING ?
				    "timeout" : "handshake: timeout");
			continue;
		}
		if (now - p->last_recv_ms >= PEERD_IDLE_S * 1000ULL) {
			conn_close(p, "idle");
			continue;
		}
		if (now - p->last_send_ms >= PEERD_KEEPALIVE_S * 1000ULL &&
		    conn_send(p, ka, wire_build_keepalive(ka)) == -1)
			continue;
		/* Rates: a moving average over a few seconds. */
		p->rate_down = (p->rate_down * 2 + p->sec_down) / 3;
		p->rate_up = (p->rate_up * 2 + p->sec_up) / 3;
		/* Depth: what it delivers in PEERD_QDEPTH_SECONDS. */
		target = (p->sec_down > p->rate_down ? p->sec_down :
		    p->rate_down) * PEERD_QDEPTH_SECONDS / PEERD_BLOCK;
		if (target < PEERD_QDEPTH_START)
			target = PEERD_QDEPTH_START;
		if (target > PEERD_QDEPTH_MAX)
			target = PEERD_QDEPTH_MAX;
		if (p->reqq != 0 && target > p->reqq)
			target = p->reqq;
		if (target > p->depth || p->sec_down > 0)
			p->depth = (uint32_t)target;
		p->sec_down = p->sec_up = 0;
		if (p->pp_init && pick_timeouts(&p->pp, now,
		    PEERD_REQUEST_S * 1000ULL) > 0)
			log_debug("peer %s: requests timed out", p->addr);
		if (rotate && p->t->ready) {
			update_interest(p);
			log_debug("peer %s port %u: %llu B/s down, %llu up, "
			    "depth %u, %u in flight, %u queued", p->addr,
			    p->port, (unsigned long long)p->rate_down,
			    (unsigned long long)p->rate_up, p->depth,
			    p->pp.nreq, p->nin);
		}
		if (!p->dead)
			(void)peer_fill(p);
	}
	TAILQ_FOREACH(t, &torrents, entry) {
		t->rate_down = (t->rate_down * 2 + t->sec_down) / 3;
		t->rate_up = (t->rate_up * 2 + t->sec_up) / 3;
		if (t->sec_down || t->sec_up || t->rate_down || t->rate_up)
			t->stats_dirty = 1;
		t->sec_down = t->sec_up = 0;
		if (t->ready)
			choke_torrent(t, now);
		if ((t->ready || t->nometa) && !t->gone && t->ncands == 0 &&
		    torrent_conns(t) < rate_max_torrent_conns(t) / 2 &&
		    (t->nometa || !pick_complete(t->pick)))
			peerd_want_peers(t, PEERD_WANT_PEERS);
	}
	conn_fill_all();
	conn_dial();
}
