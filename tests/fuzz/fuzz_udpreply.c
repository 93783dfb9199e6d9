/*
 * fuzz_udpreply.c -- libFuzzer target for UDP tracker replies (BEP 15).
 *
 * The first two bytes choose how the rest, the datagram, is read:
 * byte 0 the action wanted (0-2, or 3-7 which no caller passes), byte 1
 * the address family (bit 0: IPv6; all bits set: a family that is
 * neither) and whether the transaction id expected is the one in the
 * datagram (bit 7 clear) or one that differs from it.
 *
 * A datagram parsed must keep the promises of trackerd.h: the action is
 * the one wanted or an error with a non-empty printable failure; a
 * connect's id is bytes 8-15; an announce has at most TR_MAX_PEERS
 * peers, none with port 0, all of the requested family, no more than
 * the datagram has room for, an interval within the clamp; a scrape
 * the three counts in BEP 15's order.  A datagram refused leaves no
 * peers, action -1 and one line of printable text in err; one with the
 * wrong transaction id is always refused.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "trackerd/trackerd.h"

#define SELECT_LEN	2	/* input bytes before the datagram */

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
count(const uint8_t *p)
{
	int32_t	 v = (int32_t)get32(p);

	return v < 0 ? -1 : v;
}

static void
check_text(const char *s, size_t size)
{
	size_t	 i;

	CHECK(memchr(s, '\0', size) != NULL);
	for (i = 0; s[i] != '\0'; i++)
		CHECK(s[i] >= 0x20 && s[i] <= 0x7e);
}

static void
check_parsed(const struct udp_reply *u, const uint8_t *d, size_t len,
    int want, int family)
{
	const struct tr_reply	*r = &u->r;
	uint64_t		 id;
	size_t			 i, step = family == AF_INET6 ? 18 : 6;

	check_text(r->failure, sizeof(r->failure));
	check_text(r->warning, sizeof(r->warning));
	CHECK(r->warning[0] == '\0' && r->trackerid[0] == '\0');
	CHECK(r->interval >= TR_MIN_INTERVAL &&
	    r->interval <= TR_MAX_INTERVAL);
	CHECK(r->min_interval == 0);
	CHECK(r->npeers <= TR_MAX_PEERS);
	CHECK((r->npeers == 0) == (r->peers == NULL));
	CHECK(len >= 8);
	if (u->action == UDP_ACTION_ERROR) {
		CHECK(get32(d) == UDP_ACTION_ERROR);
		CHECK(r->failure[0] != '\0' && r->npeers == 0);
		return;
	}
	CHECK(u->action == want && get32(d) == (uint32_t)want);
	CHECK(r->failure[0] == '\0');
	switch (want) {
	case UDP_ACTION_CONNECT:
		CHECK(len >= 16);
		id = (uint64_t)get32(d + 8) << 32 | get32(d + 12);
		CHECK(u->conn_id == id);
		CHECK(r->npeers == 0);
		break;
	case UDP_ACTION_ANNOUNCE:
		CHECK(len >= 20);
		CHECK(r->leechers == count(d + 12));
		CHECK(r->seeders == count(d + 16));
		CHECK(r->npeers <= (len - 20) / step);
		for (i = 0; i < r->npeers; i++) {
			CHECK(r->peers[i].port != 0);
			CHECK(r->peers[i].family == family);
		}
		break;
	case UDP_ACTION_SCRAPE:
		CHECK(len >= 20);
		CHECK(r->seeders == count(d + 8));
		CHECK(r->completed == count(d + 12));
		CHECK(r->leechers == count(d + 16));
		CHECK(r->npeers == 0);
		break;
	default:
		CHECK(!"action");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udp_reply	 u;
	const uint8_t		*d;
	uint8_t			 buf[UDP_MAX_PACKET];
	uint32_t		 tid = 0x12345678;
	size_t			 len;
	char			 err[256];
	int			 want, family, rc;

	if (size < SELECT_LEN)
		return 0;
	want = data[0] % 8;
	if (data[1] == 0xff)
		family = AF_UNIX;
	else
		family = data[1] & 1 ? AF_INET6 : AF_INET;
	d = data + SELECT_LEN;
	len = size - SELECT_LEN;
	if (len >= 8)
		tid = get32(d + 4) ^ (data[1] & 0x80 ? 0x80 : 0);

	rc = udp_parse_reply(d, len, tid, want, family, &u, err, sizeof(err));
	if (rc == 0)
		check_parsed(&u, d, len, want, family);
	else {
		CHECK(rc == -1 && fuzz_err_ok(err, sizeof(err)));
		CHECK(u.action == -1 && u.r.peers == NULL && u.r.npeers == 0);
	}
	if (len >= 8 && (data[1] & 0x80))
		CHECK(rc == -1);
	tr_reply_free(&u.r);

	/* The requests: fixed sizes, the transaction id where BEP 15 says. */
	CHECK(udp_build_connect(buf, tid) == 16);
	CHECK(get32(buf + 12) == tid);
	if (len >= 20) {
		CHECK(udp_build_scrape(buf, 1, tid, d) == 36);
		CHECK(memcmp(buf + 16, d, 20) == 0);
	}
	return 0;
}
