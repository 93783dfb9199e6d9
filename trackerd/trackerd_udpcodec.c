/*
 * trackerd_udpcodec.c -- the UDP tracker protocol (BEP 15): packets
 * built and datagrams checked and decoded, with no I/O.
 *
 * Every field is big-endian and read or written a byte at a time, so
 * nothing depends on the host's byte order or on alignment.  The three
 * requests have fixed sizes (16, 98 and 36 bytes), well under
 * UDP_MAX_PACKET; the caller's buffer must hold UDP_MAX_PACKET.
 *
 * A datagram is checked in this order: at least the 8-byte header, the
 * transaction id, then the action.  An error action (3) with the right
 * transaction id is a successful parse whose r.failure holds the
 * escaped message, whatever action was wanted; any other action than
 * want is refused.  trackerd_udp.c drops what is refused and keeps
 * waiting, so a stray or spoofed datagram cannot end an exchange.
 *
 * Invariants of a parsed announce match those of trackerd_announce.c:
 * interval clamped, at most TR_MAX_PEERS peers, none with port 0, a
 * ragged tail of the peer list dropped.  BEP 15 declares interval,
 * leechers and seeders as int32: they are read signed, so 2^31 is a
 * negative interval (clamped to the minimum) and a negative count is
 * unknown (-1).
 */
#include <sys/socket.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "trackerd.h"
#include "util.h"

#define UDP_HDR			8	/* action and transaction id */
#define UDP_CONNECT_LEN		16	/* request and reply */
#define UDP_ANNOUNCE_LEN	98	/* request */
#define UDP_ANNOUNCE_HDR	20	/* reply, before the peers */
#define UDP_SCRAPE_LEN		36	/* request for one info-hash */
#define UDP_SCRAPE_ENTRY	20	/* reply: header and one entry */

/* BEP 15 numbers the events differently from enum tr_event. */
#define UDP_EVENT_NONE		0
#define UDP_EVENT_COMPLETED	1
#define UDP_EVENT_STARTED	2
#define UDP_EVENT_STOPPED	3


static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint8_t *
put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)(v >> 32));
	return put32(p, (uint32_t)v);
}

static uint8_t *
putbytes(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* A signed int32 field as a count: negative is unknown. */
static int64_t
get_count(const uint8_t *p)
{
	int32_t	 v = (int32_t)get32(p);

	return v < 0 ? -1 : v;
}

size_t
udp_build_connect(uint8_t *buf, uint32_t tid)
{
	uint8_t	*p = buf;

	p = put64(p, UDP_PROTOCOL_ID);
	p = put32(p, UDP_ACTION_CONNECT);
	p = put32(p, tid);
	assert(p - buf == UDP_CONNECT_LEN);
	return UDP_CONNECT_LEN;
}

size_t
udp_build_announce(uint8_t *buf, uint64_t conn_id, uint32_t tid,
    const struct tr_announce *a)
{
	uint8_t		*p = buf;
	uint32_t	 event, numwant;

	switch (a->event) {
	case TR_EVENT_STARTED:
		event = UDP_EVENT_STARTED;
		break;
	case TR_EVENT_COMPLETED:
		event = UDP_EVENT_COMPLETED;
		break;
	case TR_EVENT_STOPPED:
		event = UDP_EVENT_STOPPED;
		break;
	default:
		event = UDP_EVENT_NONE;
		break;
	}
	/* -1 asks for the tracker's default; so does what int32 can't hold. */
	if (a->numwant == 0 || a->numwant > INT32_MAX)
		numwant = UINT32_MAX;
	else
		numwant = a->numwant;

	p = put64(p, conn_id);
	p = put32(p, UDP_ACTION_ANNOUNCE);
	p = put32(p, tid);
	p = putbytes(p, a->info_hash, sizeof(a->info_hash));
	p = putbytes(p, a->peer_id, sizeof(a->peer_id));
	p = put64(p, a->downloaded);
	p = put64(p, a->left);
	p = put64(p, a->uploaded);
	p = put32(p, event);
	p = put32(p, 0);		/* IP: the sender's address */
	p = put32(p, a->key);
	p = put32(p, numwant);
	p = put16(p, a->port);
	assert(p - buf == UDP_ANNOUNCE_LEN);
	return UDP_ANNOUNCE_LEN;
}

size_t
udp_build_scrape(uint8_t *buf, uint64_t conn_id, uint32_t tid,
    const uint8_t info_hash[20])
{
	uint8_t	*p = buf;

	p = put64(p, conn_id);
	p = put32(p, UDP_ACTION_SCRAPE);
	p = put32(p, tid);
	p = putbytes(p, info_hash, 20);
	assert(p - buf == UDP_SCRAPE_LEN);
	return UDP_SCRAPE_LEN;
}

static void
reply_init(struct udp_reply *u)
{
	memset(u, 0, sizeof(*u));
	u->action = -1;
	u->r.interval = TR_DEFAULT_INTERVAL;
	u->r.min_interval = 0;
	u->r.seeders = -1;
	u->r.leechers = -1;
	u->r.completed = -1;
}

/* The peers after an announce reply's header: whole entries only. */
static int
parse_peers(const uint8_t *p, size_t len, int family, struct tr_reply *r,
    char *err, size_t errlen)
{
	struct tr_peer	*pe;
	size_t		 step = family == AF_INET ? 6 : 18;
	size_t		 alen = step - 2, n, i;
	uint16_t	 port;

	n = len / step;
	if (n == 0)
		return 0;
	if ((r->peers = calloc(n < TR_MAX_PEERS ? n : TR_MAX_PEERS,
	    sizeof(*r->peers))) == NULL) {
		util_seterr(err, errlen, "UDP announce reply: out of memory");
		return -1;
	}
	for (i = 0; i < n && r->npeers < TR_MAX_PEERS; i++, p += step) {
		port = (uint16_t)(p[alen] << 8 | p[alen + 1]);
		if (port == 0)
			continue;
		pe = &r->peers[r->npeers++];
		pe->family = family;
		memcpy(pe->addr, p, alen);
		pe->port = port;
	}
	if (r->npeers == 0) {
		free(r->peers);
		r->peers = NULL;
	}
	return 0;
}

int
udp_parse_reply(const uint8_t *buf, size_t len, uint32_t tid, int want,
    int family, struct udp_reply *u, char *err, size_t errlen)
{
	uint32_t	 action;
	size_t		 mlen;

	reply_init(u);
	if (len < UDP_HDR) {
		util_seterr(err, errlen,
		    "UDP tracker reply too short (%zu bytes)", len);
		return -1;
	}
	action = get32(buf);
	if (get32(buf + 4) != tid) {
		util_seterr(err, errlen, "UDP tracker reply with the wrong "
		    "transaction id");
		return -1;
	}
	if (action == UDP_ACTION_ERROR) {
		/* Some trackers send the message NUL-terminated. */
		for (mlen = len - UDP_HDR; mlen > 0 &&
		    buf[UDP_HDR + mlen - 1] == '\0'; mlen--)
			;
		if (mlen == 0)
			snprintf(u->r.failure, sizeof(u->r.failure),
			    "(no reason given)");
		else
			log_escape(u->r.failure, sizeof(u->r.failure),
			    buf + UDP_HDR, mlen);
		u->action = UDP_ACTION_ERROR;
		return 0;
	}
	if (want < UDP_ACTION_CONNECT || want > UDP_ACTION_SCRAPE ||
	    action != (uint32_t)want) {
		util_seterr(err, errlen, "UDP tracker reply with unexpected "
		    "action %u", action);
		return -1;
	}

	switch (want) {
	case UDP_ACTION_CONNECT:
		if (len < UDP_CONNECT_LEN)
			goto short_reply;
		u->conn_id = get64(buf + UDP_HDR);
		break;
	case UDP_ACTION_ANNOUNCE:
		if (family != AF_INET && family != AF_INET6) {
			util_seterr(err, errlen, "UDP announce reply: unknown "
			    "address family %d", family);
			return -1;
		}
		if (len < UDP_ANNOUNCE_HDR)
			goto short_reply;
		u->r.interval = tr_clamp_interval((int32_t)get32(buf + 8));
		u->r.leechers = get_count(buf + 12);
		u->r.seeders = get_count(buf + 16);
		if (parse_peers(buf + UDP_ANNOUNCE_HDR, len - UDP_ANNOUNCE_HDR,
		    family, &u->r, err, errlen) == -1) {
			reply_init(u);
			return -1;
		}
		break;
	case UDP_ACTION_SCRAPE:
		if (len < UDP_SCRAPE_ENTRY)
			goto short_reply;
		u->r.seeders = get_count(buf + 8);
		u->r.completed = get_count(buf + 12);
		u->r.leechers = get_count(buf + 16);
		break;
	}
	u->action = want;
	return 0;

short_reply:
	util_seterr(err, errlen, "UDP tracker reply to action %d too short "
	    "(%zu bytes)", want, len);
	reply_init(u);
	return -1;
}
