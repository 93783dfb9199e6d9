/*
 * trackerd_udp.c -- UDP trackers (BEP 15): connect, announce, scrape.
 *
 * Each request resolves the tracker with evdns (asynchronous), opens a
 * UDP socket connect()ed to it -- so the kernel drops datagrams from any
 * other address -- and runs connect then announce (or scrape).  A
 * connection id is kept per tracker address and reused while it is
 * younger than UDP_CONN_LIFETIME: trackers tie it to the client's IP
 * (opentracker hashes the IP and the time), not to the source port,
 * which is new for every request here.  Transaction ids are random; a reply
 * with another id, too short, or with an unexpected action is ignored,
 * and the request goes on waiting.  Retransmission follows BEP 15:
 * 15 * 2^n seconds, until the caller's time limit.  An error reply to an
 * announce or scrape may mean the connection id went stale: the id is
 * dropped and the request starts over once with a fresh connect.  The
 * resolved address passes the address policy (lib/netpolicy.c: never
 * link-local, unspecified, multicast or broadcast) before anything is
 * sent to it.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "log.h"
#include "netpolicy.h"
#include "trackerd.h"

#define UDP_CONN_LIFETIME	60	/* seconds a connection id is used */
#define UDP_RETRANSMIT_BASE	15	/* seconds: 15 * 2^n */
#define UDP_SCRAPE_TIMEOUT	60	/* seconds */
#define UDP_MAX_CONNS		256	/* remembered connection ids */

enum udp_state {
	UDP_RESOLVING,
	UDP_CONNECTING,
	UDP_REQUESTING,		/* announce or scrape sent */
};

struct udp_conn {
	TAILQ_ENTRY(udp_conn)	 entry;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	uint64_t		 id;
	time_t			 when;
};

struct udp_req {
	int				 scrape;
	enum udp_state			 state;
	char				 host[256];
	char				 port[8];
	struct tr_announce		 ann;
	char				 trackerid[128];
	uint8_t				 info_hash[20];
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	int				 family;
	int				 fd;
	struct event			*rev;
	struct event			*tev;	/* retransmit */
	struct event			*deadline;
	struct event			*start;
	struct evdns_getaddrinfo_request *dns;
	uint32_t			 tid;
	uint64_t			 conn_id;
	int				 tries;	/* n in 15 * 2^n */
	int				 reconnected;
	int				 timeout_s;
	tr_done_cb			 done;
	void				*arg;
};

static struct event_base	*base;
static struct evdns_base	*dns;
static TAILQ_HEAD(, udp_conn)	 conns = TAILQ_HEAD_INITIALIZER(conns);
static int			 nconns;

int
udp_init(struct event_base *b)
{
	base = b;
	dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (dns == NULL)
		dns = evdns_base_new(base, 0);	/* no resolv.conf: numeric only */
	return dns == NULL ? -1 : 0;
}

static struct udp_conn *
conn_find(const struct udp_req *r)
{
	struct udp_conn	*c;
	time_t		 now = time(NULL);

	TAILQ_FOREACH(c, &conns, entry)
		if (c->sslen == r->sslen && memcmp(&c->ss, &r->ss,
		    r->sslen) == 0)
			return now - c->when < UDP_CONN_LIFETIME ? c : NULL;
	return NULL;
}

static void
conn_forget(const struct udp_req *r)
{
	struct udp_conn *c;

	TAILQ_FOREACH(c, &conns, entry)
		if (c->sslen == r->sslen && memcmp(&c->ss, &r->ss,
		    r->sslen) == 0) {
			TAILQ_REMOVE(&conns, c, entry);
			nconns--;
			free(c);
			return;
		}
}

static void
conn_remember(const struct udp_req *r, uint64_t id)
{
	struct udp_conn *c;

	conn_forget(r);
	if (nconns >= UDP_MAX_CONNS) {
		c = TAILQ_FIRST(&conns);
		TAILQ_REMOVE(&conns, c, entry);
		nconns--;
		free(c);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	memcpy(&c->ss, &r->ss, r->sslen);
	c->sslen = r->sslen;
	c->id = id;
	c->when = time(NULL);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
}

static void
req_free(struct udp_req *r)
{
	if (r == NULL)
		return;
	if (r->dns != NULL) {
		struct evdns_getaddrinfo_request *q = r->dns;

		/* Its callback runs with EVUTIL_EAI_CANCEL and returns. */
		r->dns = NULL;
		evdns_getaddrinfo_cancel(q);
	}
	if (r->rev != NULL)
		event_free(r->rev);
	if (r->tev != NULL)
		event_free(r->tev);
	if (r->deadline != NULL)
		event_free(r->deadline);
	if (r->start != NULL)
		event_free(r->start);
	if (r->fd != -1)
		close(r->fd);
	free(r);
}

void
udp_cancel(struct udp_req *r)
{
	req_free(r);
}

static void
fail(struct udp_req *r, const char *err)
{
	r->done(r->arg, 0, NULL, err);
	req_free(r);
}

static void
send_packet(struct udp_req *r)
{
	uint8_t		buf[UDP_MAX_PACKET];
	size_t		n;
	struct timeval	tv;

	r->tid = arc4random();
	if (r->state == UDP_CONNECTING)
		n = udp_build_connect(buf, r->tid);
	else if (r->scrape)
		n = udp_build_scrape(buf, r->conn_id, r->tid, r->info_hash);
	else
		n = udp_build_announce(buf, r->conn_id, r->tid, &r->ann);
	if (send(r->fd, buf, n, 0) == -1)
		log_debug("udp %s:%s: send: %s", r->host, r->port,
		    strerror(errno));
	tv.tv_sec = (time_t)UDP_RETRANSMIT_BASE << (r->tries < 8 ? r->tries : 8);
	tv.tv_usec = 0;
	evtimer_add(r->tev, &tv);
}

static void
retransmit(evutil_socket_t fd, short ev, void *arg)
{
	struct udp_req *r = arg;

	(void)fd;
	(void)ev;
	r->tries++;
	log_debug("udp %s:%s: no reply; sending again (try %d)", r->host,
	    r->port, r->tries + 1);
	send_packet(r);
}

static void
deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct udp_req	*r = arg;
	char		 err[128];

	(void)fd;
	(void)ev;
	snprintf(err, sizeof(err), "no reply within %d s", r->timeout_s);
	fail(r, err);
}

static void
readable(evutil_socket_t fd, short ev, void *arg)
{
	struct udp_req	*r = arg;
	struct udp_reply ur;
	uint8_t		*buf;
	char		 err[256];
	ssize_t		 n;
	int		 want;

	(void)ev;
	if ((buf = malloc(UDP_MAX_REPLY)) == NULL)
		return;
	n = recv(fd, buf, UDP_MAX_REPLY, 0);
	if (n < 0) {
		free(buf);
		return;		/* ICMP errors and the like: wait it out */
	}
	want = r->state == UDP_CONNECTING ? UDP_ACTION_CONNECT :
	    r->scrape ? UDP_ACTION_SCRAPE : UDP_ACTION_ANNOUNCE;
	memset(&ur, 0, sizeof(ur));
	if (udp_parse_reply(buf, (size_t)n, r->tid, want, r->family, &ur, err,
	    sizeof(err)) == -1) {
		free(buf);
		log_debug("udp %s:%s: reply ignored: %s", r->host, r->port,
		    err);
		return;
	}
	free(buf);
	if (ur.action == UDP_ACTION_ERROR) {
		if (r->state == UDP_REQUESTING && !r->reconnected) {
			/* Perhaps a stale connection id: one fresh try. */
			log_debug("udp %s:%s: error with a remembered "
			    "connection id; connecting again", r->host, r->port);
			conn_forget(r);
			r->reconnected = 1;
			r->state = UDP_CONNECTING;
			r->tries = 0;
			tr_reply_free(&ur.r);
			send_packet(r);
			return;
		}
		{
			char msg[TR_MAX_TEXT + 32];

			snprintf(msg, sizeof(msg), "tracker error: %s",
			    ur.r.failure);
			tr_reply_free(&ur.r);
			fail(r, msg);
		}
		return;
	}
	if (r->state == UDP_CONNECTING) {
		r->conn_id = ur.conn_id;
		conn_remember(r, ur.conn_id);
		r->state = UDP_REQUESTING;
		r->tries = 0;
		tr_reply_free(&ur.r);
		send_packet(r);
		return;
	}
	r->done(r->arg, 1, &ur.r, NULL);
	tr_reply_free(&ur.r);
	req_free(r);
}

static void
resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct udp_req	*r = arg;
	struct udp_conn	*c;
	char		 err[300];
	const char	*why;
	struct timeval	 tv = { r->timeout_s, 0 };

	if (result == EVUTIL_EAI_CANCEL)
		return;		/* req_free() is under way */
	r->dns = NULL;
	if (result != 0 || res == NULL) {
		snprintf(err, sizeof(err), "cannot resolve %s: %s", r->host,
		    evutil_gai_strerror(result));
		if (res != NULL)
			evutil_freeaddrinfo(res);
		fail(r, err);
		return;
	}
	memcpy(&r->ss, res->ai_addr, res->ai_addrlen);
	r->sslen = (socklen_t)res->ai_addrlen;
	r->family = res->ai_family;
	evutil_freeaddrinfo(res);
	/* The address resolved is the one sent to: no second lookup. */
	if ((why = netpolicy_tracker(torrents_netpolicy(),
	    (struct sockaddr *)&r->ss, r->sslen, NETPOLICY_UDP, NULL)) !=
	    NULL) {
		snprintf(err, sizeof(err), TR_POLICY_REFUSED "%s", why);
		fail(r, err);
		return;
	}
	r->fd = socket(r->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (r->fd == -1 || connect(r->fd, (struct sockaddr *)&r->ss,
	    r->sslen) == -1) {
		snprintf(err, sizeof(err), "udp socket: %s", strerror(errno));
		fail(r, err);
		return;
	}
	r->rev = event_new(base, r->fd, EV_READ | EV_PERSIST, readable, r);
	r->tev = evtimer_new(base, retransmit, r);
	r->deadline = evtimer_new(base, deadline_cb, r);
	if (r->rev == NULL || r->tev == NULL || r->deadline == NULL ||
	    event_add(r->rev, NULL) == -1 ||
	    evtimer_add(r->deadline, &tv) == -1) {
		fail(r, "out of memory");
		return;
	}
	if ((c = conn_find(r)) != NULL) {
		r->conn_id = c->id;
		r->state = UDP_REQUESTING;
	} else
		r->state = UDP_CONNECTING;
	send_packet(r);
}

static void
start(evutil_socket_t fd, short ev, void *arg)
{
	struct udp_req			*r = arg;
	struct evutil_addrinfo		 hints;
	struct evdns_getaddrinfo_request *q;

	(void)fd;
	(void)ev;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	/* The callback may run before this returns (a numeric host). */
	q = evdns_getaddrinfo(dns, r->host, r->port, &hints, resolved, r);
	if (q != NULL)
		r->dns = q;
}

/* udp://host:port[/anything]; host may be [v6]. */
static int
parse_url(const char *url, char *host, size_t hlen, char *port, size_t plen)
{
	const char	*h, *e, *p;
	long		 n;
	char		*end;

	if (strncasecmp(url, "udp://", 6) != 0)
		return -1;
	h = url + 6;
	if (*h == '[') {
		if ((e = strchr(h, ']')) == NULL || e[1] != ':')
			return -1;
		h++;
		p = e + 2;
	} else {
		if ((e = strchr(h, ':')) == NULL)
			return -1;
		p = e + 1;
	}
	if (e == h || (size_t)(e - h) >= hlen)
		return -1;
	memcpy(host, h, (size_t)(e - h));
	host[e - h] = '\0';
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno != 0 || end == p || n < 1 || n > 65535 ||
	    (*end != '\0' && *end != '/'))
		return -1;
	snprintf(port, plen, "%ld", n);
	return 0;
}

static struct udp_req *
req_new(const char *url, int timeout_s, tr_done_cb done, void *arg)
{
	struct udp_req	*r;
	struct timeval	 now = { 0, 0 };

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->fd = -1;
	if (parse_url(url, r->host, sizeof(r->host), r->port,
	    sizeof(r->port)) == -1) {
		free(r);
		return NULL;
	}
	r->timeout_s = timeout_s;
	r->done = done;
	r->arg = arg;
	if ((r->start = evtimer_new(base, start, r)) == NULL ||
	    evtimer_add(r->start, &now) == -1) {
		req_free(r);
		return NULL;
	}
	return r;
}

struct udp_req *
udp_announce(const char *url, const struct tr_announce *a, int timeout_s,
    tr_done_cb done, void *arg)
{
	struct udp_req *r;

	if ((r = req_new(url, timeout_s, done, arg)) == NULL)
		return NULL;
	r->ann = *a;
	if (a->trackerid != NULL) {
		snprintf(r->trackerid, sizeof(r->trackerid), "%s",
		    a->trackerid);
		r->ann.trackerid = r->trackerid;
	}
	return r;
}

struct udp_req *
udp_scrape(const char *url, const uint8_t info_hash[20], tr_done_cb done,
    void *arg)
{
	struct udp_req *r;

	if ((r = req_new(url, UDP_SCRAPE_TIMEOUT, done, arg)) == NULL)
		return NULL;
	r->scrape = 1;
	memcpy(r->info_hash, info_hash, 20);
	return r;
}
