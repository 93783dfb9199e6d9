/*
 * check_announce.c -- the HTTP tracker codec: announce URLs with every
 * byte value of an info-hash, scrape URLs by the BEP 48 convention, and
 * announce and scrape replies, from well-formed ones to the hostile
 * ones of HOSTILE.md (oversized, HTML, escape codes, absurd intervals,
 * ragged and oversized peer lists), each refusal with its error text.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trackerd/trackerd.h"

#define BASE	"http://tracker.example:6969/announce"
#define PEERID	"-BT0001-123456789012"
/* What follows the info-hash for announce() with event NONE. */
#define TAIL	"&peer_id=-BT0001-123456789012&port=6881&uploaded=1" \
		"&downloaded=2&left=3&compact=1&no_peer_id=1&numwant=50" \
		"&key=0BADF00D"
/* The whole URL for announce(0x41), whose hash is "ABCD...T". */
#define URL41	BASE "?info_hash=ABCDEFGHIJKLMNOPQRST" TAIL

static char	 errbuf[256];

/* An announce with hash bytes first, first + 1, ... (mod 256). */
static struct tr_announce
announce(unsigned first)
{
	struct tr_announce	 a;
	int			 i;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < 20; i++)
		a.info_hash[i] = (uint8_t)(first + i);
	memcpy(a.peer_id, PEERID, 20);
	a.port = 6881;
	a.uploaded = 1;
	a.downloaded = 2;
	a.left = 3;
	a.event = TR_EVENT_NONE;
	a.numwant = 50;
	a.key = 0x0badf00d;
	return a;
}

static void
url_is(const char *base, const struct tr_announce *a, const char *want)
{
	char	*u;

	u = tr_announce_url(base, a);
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u, want);
	free(u);
}

static void
parse_ok(const void *body, size_t len, struct tr_reply *r)
{
	errbuf[0] = '\0';
	ck_assert_msg(tr_announce_parse(body, len, r, errbuf,
	    sizeof(errbuf)) == 0, "%s", errbuf);
	ck_assert(r->npeers <= TR_MAX_PEERS);
	ck_assert((r->npeers == 0) == (r->peers == NULL));
}

static void
parse_str(const char *body, struct tr_reply *r)
{
	parse_ok(body, strlen(body), r);
}

/* The error text of a body that must be refused. */
static const char *
parse_fail(const void *body, size_t len)
{
	struct tr_reply	 r;

	strcpy(errbuf, "(no error set)");
	ck_assert_int_eq(tr_announce_parse(body, len, &r, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_ptr_null(r.peers);
	ck_assert_uint_eq(r.npeers, 0);
	ck_assert_ptr_null(strchr(errbuf, '\n'));
	tr_reply_free(&r);
	return errbuf;
}

static const char *
parse_fail_str(const char *body)
{
	return parse_fail(body, strlen(body));
}

/* A body "d<key><n>:<bytes of gen(i)>e" of n bytes, malloc'd. */
static uint8_t *
compact_body(const char *key, size_t n, size_t *len)
{
	uint8_t	*b, *p;
	size_t	 i;
	int	 w;

	b = malloc(n + 64);
	ck_assert_ptr_nonnull(b);
	w = snprintf((char *)b, 64, "d%zu:%s%zu:", strlen(key), key, n);
	p = b + w;
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i % 6 == 5 ? 1 : i / 6);
	p[n] = 'e';
	*len = (size_t)w + n + 1;
	return b;
}

START_TEST(url_hash_low_high)
{
	struct tr_announce	 a;

	a = announce(0x00);
	url_is(BASE, &a, BASE "?info_hash=%00%01%02%03%04%05%06%07%08%09"
	    "%0A%0B%0C%0D%0E%0F%10%11%12%13" TAIL);
	a = announce(0xec);
	url_is(BASE, &a, BASE "?info_hash=%EC%ED%EE%EF%F0%F1%F2%F3%F4%F5"
	    "%F6%F7%F8%F9%FA%FB%FC%FD%FE%FF" TAIL);
}
END_TEST

/* The ranges where unreserved and reserved characters meet. */
START_TEST(url_hash_unreserved)
{
	struct tr_announce	 a;

	a = announce(0x28);
	url_is(BASE, &a, BASE "?info_hash=%28%29%2A%2B%2C-.%2F0123456789"
	    "%3A%3B" TAIL);
	a = announce(0x5a);
	url_is(BASE, &a, BASE "?info_hash=Z%5B%5C%5D%5E_%60abcdefghijklm"
	    TAIL);
	a = announce(0x6e);
	url_is(BASE, &a, BASE "?info_hash=nopqrstuvwxyz%7B%7C%7D~%7F%80%81"
	    TAIL);
	a = announce(0x3c);
	url_is(BASE, &a, BASE "?info_hash=%3C%3D%3E%3F%40ABCDEFGHIJKLMNO"
	    TAIL);
}
END_TEST

/* All 256 byte values, 20 at a time, against a table written here. */
START_TEST(url_hash_every_byte)
{
	struct tr_announce	 a;
	char			*u, want[64 * 3 + 1], tok[4];
	const char		*p;
	unsigned		 first, b;
	int			 i;

	for (first = 0; first < 256; first += 20) {
		a = announce(first);
		want[0] = '\0';
		for (i = 0; i < 20; i++) {
			b = (first + (unsigned)i) & 0xff;
			if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
			    (b >= '0' && b <= '9') || b == '-' || b == '.' ||
			    b == '_' || b == '~')
				snprintf(tok, sizeof(tok), "%c", (char)b);
			else
				snprintf(tok, sizeof(tok), "%%%02X", b);
			strcat(want, tok);
		}
		u = tr_announce_url(BASE, &a);
		ck_assert_ptr_nonnull(u);
		p = u + strlen(BASE "?info_hash=");
		ck_assert_msg(strncmp(p, want, strlen(want)) == 0,
		    "first %u: %s", first, u);
		ck_assert_str_eq(p + strlen(want), TAIL);
		free(u);
	}
}
END_TEST

START_TEST(url_existing_query)
{
	struct tr_announce	 a = announce(0x41);

	url_is("http://t.example/announce.php?passkey=abc", &a,
	    "http://t.example/announce.php?passkey=abc&info_hash="
	    "ABCDEFGHIJKLMNOPQRST" TAIL);
	url_is("http://t.example/a?", &a,
	    "http://t.example/a?info_hash=ABCDEFGHIJKLMNOPQRST" TAIL);
	url_is("http://t.example/a?k=v&", &a,
	    "http://t.example/a?k=v&info_hash=ABCDEFGHIJKLMNOPQRST" TAIL);
	url_is("http://t.example:80?k", &a,
	    "http://t.example:80?k&info_hash=ABCDEFGHIJKLMNOPQRST" TAIL);
}
END_TEST

START_TEST(url_events)
{
	struct tr_announce	 a = announce(0x41);
	const char		*h = URL41;
	char			 want[512];

	url_is(BASE, &a, h);
	a.event = TR_EVENT_STARTED;
	snprintf(want, sizeof(want), "%s&event=started", h);
	url_is(BASE, &a, want);
	a.event = TR_EVENT_COMPLETED;
	snprintf(want, sizeof(want), "%s&event=completed", h);
	url_is(BASE, &a, want);
	a.event = TR_EVENT_STOPPED;
	snprintf(want, sizeof(want), "%s&event=stopped", h);
	url_is(BASE, &a, want);
}
END_TEST

START_TEST(url_numbers)
{
	struct tr_announce	 a = announce(0x41);

	a.port = 65535;
	a.uploaded = UINT64_MAX;
	a.downloaded = 0;
	a.left = 1ULL << 40;
	a.numwant = 0;
	a.key = 0xa;
	url_is(BASE, &a, BASE "?info_hash=ABCDEFGHIJKLMNOPQRST"
	    "&peer_id=-BT0001-123456789012&port=65535"
	    "&uploaded=18446744073709551615&downloaded=0&left=1099511627776"
	    "&compact=1&no_peer_id=1&numwant=0&key=0000000A");
}
END_TEST

START_TEST(url_trackerid)
{
	struct tr_announce	 a = announce(0x41);
	const char		*h = URL41;
	char			 want[512];

	a.event = TR_EVENT_STARTED;
	a.trackerid = "a b&c=d%~";
	snprintf(want, sizeof(want),
	    "%s&event=started&trackerid=a%%20b%%26c%%3Dd%%25~", h);
	url_is(BASE, &a, want);
	a.event = TR_EVENT_NONE;
	a.trackerid = "";
	url_is(BASE, &a, h);
	a.trackerid = NULL;
	url_is(BASE, &a, h);
}
END_TEST

START_TEST(url_https)
{
	struct tr_announce	 a = announce(0x41);

	url_is("https://t.example/announce", &a,
	    "https://t.example/announce?info_hash=ABCDEFGHIJKLMNOPQRST" TAIL);
	url_is("HTTPS://T.example:443/announce", &a,
	    "HTTPS://T.example:443/announce?info_hash=ABCDEFGHIJKLMNOPQRST"
	    TAIL);
	url_is("Http://10.0.0.1/", &a,
	    "Http://10.0.0.1/?info_hash=ABCDEFGHIJKLMNOPQRST" TAIL);
}
END_TEST

static void
scrape_is(const char *base, const char *want)
{
	static const uint8_t	 h[20] = {
		0x00, 0x41, 0xff, '~', '/', 5, 6, 7, 8, 9,
		10, 11, 12, 13, 14, 15, 16, 17, 18, 0x7a
	};
	char			*u, full[512];

	u = tr_scrape_url(base, h);
	if (want == NULL) {
		ck_assert_msg(u == NULL, "%s -> %s", base, u);
		return;
	}
	ck_assert_msg(u != NULL, "%s -> NULL", base);
	snprintf(full, sizeof(full), "%s%s", want,
	    "info_hash=%00A%FF~%2F%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12z");
	ck_assert_str_eq(u, full);
	free(u);
}

/* BEP 48's examples, and ours. */
START_TEST(scrape_urls)
{
	scrape_is("http://example.com/announce",
	    "http://example.com/scrape?");
	scrape_is("http://example.com/x/announce",
	    "http://example.com/x/scrape?");
	scrape_is("http://example.com/announce.php",
	    "http://example.com/scrape.php?");
	scrape_is("http://example.com/x/announce.php",
	    "http://example.com/x/scrape.php?");
	scrape_is("http://example.com/announce?x2%0644",
	    "http://example.com/scrape?x2%0644&");
	scrape_is("http://example.com/announce?x=2/4",
	    "http://example.com/scrape?x=2/4&");
	scrape_is("http://example.com/announce?passkey=1",
	    "http://example.com/scrape?passkey=1&");
	scrape_is("http://example.com/announce?", "http://example.com/scrape?");
	scrape_is("http://example.com/announce?a=1&",
	    "http://example.com/scrape?a=1&");
	scrape_is("https://example.com:8443/p/announcer",
	    "https://example.com:8443/p/scraper?");
	scrape_is("http://example.com/a", NULL);
	scrape_is("http://example.com/announce/x", NULL);
	scrape_is("http://example.com/x%064announce", NULL);
	scrape_is("http://example.com/ANNOUNCE", NULL);
	scrape_is("http://example.com/announc", NULL);
	scrape_is("http://announce", NULL);
	scrape_is("http://announce?announce", NULL);
	scrape_is("http://example.com/?/announce", NULL);
	scrape_is("udp://example.com/announce", NULL);
	scrape_is("ftp://example.com/announce", NULL);
}
END_TEST

START_TEST(parse_compact)
{
	static const char	 body[] = "d8:completei7e10:incompletei3e"
	    "8:intervali900e12:min intervali120e5:peers12:"
	    "\x7f\x00\x00\x01\x1a\xe1" "\x0a\x01\x02\x03\xff\xff" "e";
	struct tr_reply		 r;

	parse_ok(body, sizeof(body) - 1, &r);
	ck_assert_str_eq(r.failure, "");
	ck_assert_str_eq(r.warning, "");
	ck_assert_str_eq(r.trackerid, "");
	ck_assert_int_eq(r.interval, 900);
	ck_assert_int_eq(r.min_interval, 120);
	ck_assert_int_eq(r.seeders, 7);
	ck_assert_int_eq(r.leechers, 3);
	ck_assert_int_eq(r.completed, -1);
	ck_assert_uint_eq(r.npeers, 2);
	ck_assert_int_eq(r.peers[0].family, AF_INET);
	ck_assert_mem_eq(r.peers[0].addr, "\x7f\x00\x00\x01", 4);
	ck_assert_uint_eq(r.peers[0].port, 6881);
	ck_assert_int_eq(r.peers[1].family, AF_INET);
	ck_assert_mem_eq(r.peers[1].addr, "\x0a\x01\x02\x03", 4);
	ck_assert_uint_eq(r.peers[1].port, 65535);
	tr_reply_free(&r);
	ck_assert_ptr_null(r.peers);
	ck_assert_uint_eq(r.npeers, 0);
	tr_reply_free(&r);
	tr_reply_free(NULL);
}
END_TEST

/* A ragged tail is dropped; so is an entry with port 0. */
START_TEST(parse_ragged)
{
	static const char	 body[] = "d5:peers17:"
	    "\x01\x02\x03\x04\x00\x50" "\x05\x06\x07\x08\x00\x00"
	    "\x09\x0a\x0b\x0c\x00" "e";
	static const char	 six[] = "d6:peers69:"
	    "\x01\x02\x03\x04\x00\x50" "\x01\x02\x03" "e";
	struct tr_reply		 r;

	parse_ok(body, sizeof(body) - 1, &r);
	ck_assert_uint_eq(r.npeers, 1);
	ck_assert_mem_eq(r.peers[0].addr, "\x01\x02\x03\x04", 4);
	ck_assert_uint_eq(r.peers[0].port, 80);
	tr_reply_free(&r);

	/* "peers6" of 9 bytes: no whole entry. */
	parse_ok(six, sizeof(six) - 1, &r);
	ck_assert_uint_eq(r.npeers, 0);
	ck_assert_ptr_null(r.peers);
	tr_reply_free(&r);

	parse_str("d5:peers5:abcdee", &r);
	ck_assert_uint_eq(r.npeers, 0);
	tr_reply_free(&r);
	parse_str("d5:peers0:e", &r);
	ck_assert_uint_eq(r.npeers, 0);
	tr_reply_free(&r);
}
END_TEST

START_TEST(parse_dict_peers)
{
	struct tr_reply	 r;

	parse_str("d8:intervali60e5:peersl"
	    "d2:ip9:127.0.0.17:peer id20:-XX0001-0123456789ab4:porti6881ee"
	    "d2:ip11:2001:db8::14:porti51413ee"
	    "d2:ip15:tracker.example4:porti80ee"	/* hostname */
	    "d2:ip7:1.2.3.44:porti0ee"			/* port 0 */
	    "d2:ip7:1.2.3.44:porti65536ee"		/* port too big */
	    "d2:ip7:1.2.3.44:porti-1ee"
	    "d2:ip7:1.2.3.44:port4:6881e"		/* port a string */
	    "d2:ip7:1.2.3.4e"				/* no port */
	    "d4:porti80ee"				/* no ip */
	    "d2:ipi1e4:porti80ee"			/* ip an int */
	    "d2:ip0:4:porti80ee"
	    "i5e"					/* not a dict */
	    "l7:1.2.3.4i80ee"
	    "d2:ip8:10.0.0.94:porti1ee"
	    "ee", &r);
	ck_assert_uint_eq(r.npeers, 3);
	ck_assert_int_eq(r.peers[0].family, AF_INET);
	ck_assert_mem_eq(r.peers[0].addr, "\x7f\x00\x00\x01", 4);
	ck_assert_uint_eq(r.peers[0].port, 6881);
	ck_assert_int_eq(r.peers[1].family, AF_INET6);
	ck_assert_mem_eq(r.peers[1].addr,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	ck_assert_uint_eq(r.peers[1].port, 51413);
	ck_assert_int_eq(r.peers[2].family, AF_INET);
	ck_assert_mem_eq(r.peers[2].addr, "\x0a\x00\x00\x09", 4);
	ck_assert_uint_eq(r.peers[2].port, 1);
	tr_reply_free(&r);
}
END_TEST

START_TEST(parse_dict_peers_nul)
{
	static const char	 body[] =
	    "d5:peersld2:ip9:1.2.3.4\0x4:porti80eed2:ip7:1.2.3.44:porti81eeee";
	struct tr_reply		 r;

	parse_ok(body, sizeof(body) - 1, &r);
	ck_assert_uint_eq(r.npeers, 1);
	ck_assert_uint_eq(r.peers[0].port, 81);
	tr_reply_free(&r);
}
END_TEST

START_TEST(parse_peers6)
{
	static const char	 body[] = "d5:peers6:"
	    "\xc0\xa8\x01\x02\x1a\xe1" "6:peers640:"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02\x1a\xe2"
	    "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\x00\x00" /* port 0 */
	    "\x01\x02\x03\x04" "e";
	struct tr_reply		 r;

	parse_ok(body, sizeof(body) - 1, &r);
	ck_assert_uint_eq(r.npeers, 2);
	ck_assert_int_eq(r.peers[0].family, AF_INET);
	ck_assert_mem_eq(r.peers[0].addr, "\xc0\xa8\x01\x02", 4);
	ck_assert_uint_eq(r.peers[0].port, 6881);
	ck_assert_int_eq(r.peers[1].family, AF_INET6);
	ck_assert_mem_eq(r.peers[1].addr,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	ck_assert_uint_eq(r.peers[1].port, 6882);
	tr_reply_free(&r);
}
END_TEST

/* 150,000 compact peers (900,000 bytes): the first TR_MAX_PEERS kept. */
START_TEST(parse_cap_compact)
{
	struct tr_reply	 r;
	uint8_t		*b;
	size_t		 len;

	b = compact_body("peers", 150000 * 6, &len);
	ck_assert_uint_lt(len, TR_MAX_BODY);
	parse_ok(b, len, &r);
	ck_assert_uint_eq(r.npeers, TR_MAX_PEERS);
	ck_assert_mem_eq(r.peers[0].addr, "\x00\x00\x00\x00", 4);
	ck_assert_mem_eq(r.peers[TR_MAX_PEERS - 1].addr,
	    "\xcf\xcf\xcf\xcf", 4);	/* entry k holds k & 0xff */
	ck_assert_uint_eq(r.peers[TR_MAX_PEERS - 1].port,
	    (1999 & 0xff) << 8 | 1);
	tr_reply_free(&r);
	free(b);
}
END_TEST

/* A body of exactly TR_MAX_BODY bytes is read; one more is refused. */
START_TEST(parse_cap_body)
{
	struct tr_reply	 r;
	uint8_t		*b;
	size_t		 len, n;

	n = TR_MAX_BODY - strlen("d5:peers") - strlen("1048559:") - 1;
	b = compact_body("peers", n, &len);
	ck_assert_uint_eq(len, TR_MAX_BODY);
	parse_ok(b, len, &r);
	ck_assert_uint_eq(r.npeers, TR_MAX_PEERS);
	tr_reply_free(&r);
	free(b);
}
END_TEST

/* 2,500 dict-form peers, then peers6: the cap is on the total. */
START_TEST(parse_cap_dict)
{
	struct tr_reply	 r;
	char		*b, *p, ip[32];
	size_t		 i;

	b = malloc(2500 * 64 + 64);
	ck_assert_ptr_nonnull(b);
	p = stpcpy(b, "d5:peersl");
	for (i = 0; i < 2500; i++) {
		snprintf(ip, sizeof(ip), "10.0.%zu.%zu", i / 256, i % 256);
		p += sprintf(p, "d2:ip%zu:%s4:porti%zuee", strlen(ip), ip,
		    i + 1);
	}
	p = stpcpy(p, "e6:peers618:0123456789abcdef\x01\x01" "e");
	parse_ok(b, (size_t)(p - b), &r);
	ck_assert_uint_eq(r.npeers, TR_MAX_PEERS);
	ck_assert_mem_eq(r.peers[0].addr, "\x0a\x00\x00\x00", 4);
	ck_assert_uint_eq(r.peers[0].port, 1);
	ck_assert_mem_eq(r.peers[1999].addr, "\x0a\x00\x07\xcf", 4);
	ck_assert_uint_eq(r.peers[1999].port, 2000);
	tr_reply_free(&r);
	free(b);
}
END_TEST

/* peers and peers6 together: v4 first, v6 up to the cap. */
START_TEST(parse_cap_mixed)
{
	struct tr_reply	 r;
	uint8_t		*b, *p;
	size_t		 n4 = TR_MAX_PEERS - 10, n6 = 25, i;
	int		 w;

	b = malloc(n4 * 6 + n6 * 18 + 64);
	ck_assert_ptr_nonnull(b);
	w = sprintf((char *)b, "d5:peers%zu:", n4 * 6);
	p = b + w;
	for (i = 0; i < n4 * 6; i++)
		*p++ = 1;
	p += sprintf((char *)p, "6:peers6%zu:", n6 * 18);
	for (i = 0; i < n6 * 18; i++)
		*p++ = 2;
	*p++ = 'e';
	parse_ok(b, (size_t)(p - b), &r);
	ck_assert_uint_eq(r.npeers, TR_MAX_PEERS);
	ck_assert_int_eq(r.peers[n4 - 1].family, AF_INET);
	ck_assert_int_eq(r.peers[n4].family, AF_INET6);
	ck_assert_int_eq(r.peers[TR_MAX_PEERS - 1].family, AF_INET6);
	ck_assert_uint_eq(r.peers[TR_MAX_PEERS - 1].port, 0x0202);
	tr_reply_free(&r);
	free(b);
}
END_TEST

static void
interval_is(const char *body, int32_t interval, int32_t min_interval)
{
	struct tr_reply	 r;

	parse_str(body, &r);
	ck_assert_msg(r.interval == interval, "%s: interval %d", body,
	    r.interval);
	ck_assert_msg(r.min_interval == min_interval, "%s: min %d", body,
	    r.min_interval);
	tr_reply_free(&r);
}

START_TEST(parse_interval)
{
	interval_is("d8:intervali900ee", 900, 0);
	interval_is("d8:intervali0ee", TR_MIN_INTERVAL, 0);
	interval_is("d8:intervali-5ee", TR_MIN_INTERVAL, 0);
	interval_is("d8:intervali-9223372036854775808ee", TR_MIN_INTERVAL, 0);
	interval_is("d8:intervali2147483648ee", TR_MAX_INTERVAL, 0);
	interval_is("d8:intervali4294967356ee", TR_MAX_INTERVAL, 0);
	interval_is("d8:intervali9223372036854775807ee", TR_MAX_INTERVAL, 0);
	interval_is("d8:intervali60ee", 60, 0);
	interval_is("d8:intervali10800ee", 10800, 0);
	interval_is("d8:intervali10801ee", TR_MAX_INTERVAL, 0);
	interval_is("de", TR_DEFAULT_INTERVAL, 0);
	interval_is("d8:interval3:900e", TR_DEFAULT_INTERVAL, 0);
	interval_is("d12:min intervali30ee", TR_DEFAULT_INTERVAL,
	    TR_MIN_INTERVAL);
	interval_is("d8:intervali1800e12:min intervali300ee", 1800, 300);
	interval_is("d12:min intervali2147483648ee", TR_DEFAULT_INTERVAL,
	    TR_MAX_INTERVAL);

	ck_assert_int_eq(tr_clamp_interval(INT64_MIN), TR_MIN_INTERVAL);
	ck_assert_int_eq(tr_clamp_interval(-1), TR_MIN_INTERVAL);
	ck_assert_int_eq(tr_clamp_interval(0), TR_MIN_INTERVAL);
	ck_assert_int_eq(tr_clamp_interval(59), TR_MIN_INTERVAL);
	ck_assert_int_eq(tr_clamp_interval(61), 61);
	ck_assert_int_eq(tr_clamp_interval(1LL << 31), TR_MAX_INTERVAL);
	ck_assert_int_eq(tr_clamp_interval(INT64_MAX), TR_MAX_INTERVAL);
}
END_TEST

START_TEST(parse_counts)
{
	struct tr_reply	 r;

	parse_str("d8:completei0e10:incompletei-4ee", &r);
	ck_assert_int_eq(r.seeders, 0);
	ck_assert_int_eq(r.leechers, -1);
	tr_reply_free(&r);
	parse_str("d8:complete1:510:incompletei9223372036854775807ee", &r);
	ck_assert_int_eq(r.seeders, -1);
	ck_assert_int_eq(r.leechers, INT64_MAX);
	ck_assert_int_eq(r.completed, -1);
	tr_reply_free(&r);
}
END_TEST

START_TEST(parse_failure)
{
	static const char	 body[] = "d14:failure reason15:"
	    "\x1b[31mred\x1b[0m\"\\x8:intervali120e"
	    "5:peers6:\x01\x02\x03\x04\x00\x50" "e";
	struct tr_reply		 r;

	parse_ok(body, sizeof(body) - 1, &r);
	ck_assert_str_eq(r.failure,
	    "\\x1b[31mred\\x1b[0m\\x22\\x5cx");
	ck_assert_int_eq(r.interval, 120);
	ck_assert_uint_eq(r.npeers, 0);	/* a failure has no peers */
	tr_reply_free(&r);

	parse_str("d14:failure reason0:e", &r);
	ck_assert_str_eq(r.failure, "(no reason given)");
	tr_reply_free(&r);

	parse_str("d14:failure reason28:torrent not registered here.e", &r);
	ck_assert_str_eq(r.failure, "torrent not registered here.");
	tr_reply_free(&r);
}
END_TEST

/* A long failure reason is cut at an escape boundary. */
START_TEST(parse_failure_long)
{
	struct tr_reply	 r;
	char		 body[1100], *p;
	size_t		 len;
	int		 i;

	p = body + sprintf(body, "d14:failure reason1000:");
	memset(p, 0x1b, 1000);
	p[1000] = 'e';
	len = (size_t)(p - body) + 1001;
	parse_ok(body, len, &r);
	ck_assert_uint_eq(strlen(r.failure), 63 * 4);
	for (i = 0; i < 63; i++)
		ck_assert(strncmp(r.failure + 4 * i, "\\x1b", 4) == 0);
	tr_reply_free(&r);

	memset(p, 'a', 1000);
	parse_ok(body, len, &r);
	ck_assert_uint_eq(strlen(r.failure), TR_MAX_TEXT - 1);
	tr_reply_free(&r);
}
END_TEST

START_TEST(parse_warning)
{
	static const char	 body[] = "d8:intervali900e5:peers6:"
	    "\x01\x02\x03\x04\x00\x50"
	    "15:warning message11:slow\ndown\x7f\xe2" "e";
	struct tr_reply		 r;

	parse_ok(body, sizeof(body) - 1, &r);
	ck_assert_str_eq(r.failure, "");
	ck_assert_str_eq(r.warning, "slow\\x0adown\\x7f\\xe2");
	ck_assert_uint_eq(r.npeers, 1);
	tr_reply_free(&r);

	parse_str("d15:warning messagei5ee", &r);
	ck_assert_str_eq(r.warning, "");
	tr_reply_free(&r);
}
END_TEST

START_TEST(parse_trackerid)
{
	struct tr_reply	 r;
	char		 body[300];

	parse_str("d10:tracker id10:ab c~12345e", &r);
	ck_assert_str_eq(r.trackerid, "ab c~12345");
	tr_reply_free(&r);
	parse_str("d10:tracker id3:a\tbe", &r);
	ck_assert_str_eq(r.trackerid, "");
	tr_reply_free(&r);
	parse_str("d10:tracker id3:a\xc3\xa9" "e", &r);
	ck_assert_str_eq(r.trackerid, "");
	tr_reply_free(&r);
	parse_str("d10:tracker idi7ee", &r);
	ck_assert_str_eq(r.trackerid, "");
	tr_reply_free(&r);

	/* 127 bytes fit; 128 do not. */
	snprintf(body, sizeof(body), "d10:tracker id127:%0127de", 0);
	parse_str(body, &r);
	ck_assert_uint_eq(strlen(r.trackerid), 127);
	tr_reply_free(&r);
	snprintf(body, sizeof(body), "d10:tracker id128:%0128de", 0);
	parse_str(body, &r);
	ck_assert_str_eq(r.trackerid, "");
	tr_reply_free(&r);
}
END_TEST

/* A trailing newline (or CRLF, or spaces) is accepted. */
START_TEST(parse_trailing_space)
{
	struct tr_reply	 r;

	parse_str("d8:intervali900ee\n", &r);
	ck_assert_int_eq(r.interval, 900);
	tr_reply_free(&r);
	parse_str("d8:intervali900ee\r\n \t\r\n", &r);
	ck_assert_int_eq(r.interval, 900);
	tr_reply_free(&r);
}
END_TEST

/* A dict holding none of the keys is an empty reply. */
START_TEST(parse_empty_dict)
{
	struct tr_reply	 r;

	parse_str("d3:fooi1ee", &r);
	ck_assert_str_eq(r.failure, "");
	ck_assert_int_eq(r.interval, TR_DEFAULT_INTERVAL);
	ck_assert_int_eq(r.seeders, -1);
	ck_assert_uint_eq(r.npeers, 0);
	tr_reply_free(&r);
	parse_str("d5:peersi5ee", &r);
	ck_assert_uint_eq(r.npeers, 0);
	tr_reply_free(&r);
}
END_TEST

static void
scrape_body(uint8_t *h, char *body, size_t size, const char *entry)
{
	char	*p;
	int	 i;

	for (i = 0; i < 20; i++)
		h[i] = (uint8_t)(i * 13);
	h[3] = 0;			/* a NUL inside the key */
	p = body + snprintf(body, size, "d5:filesd20:");
	for (i = 0; i < 20; i++)
		*p++ = (char)(h[i] ^ (i == 19));	/* a near miss */
	p += sprintf(p, "d8:completei1ee20:");
	memcpy(p, h, 20);
	p += 20;
	p += sprintf(p, "%see", entry);
}

/* The scrape body's length: it holds NULs, so strlen() can't tell. */
static size_t
scrape_len(const char *body)
{
	const char	*p = body;

	/* "d5:filesd20:" key "d8:completei1ee20:" key entry "ee" */
	p += strlen("d5:filesd20:") + 20;
	p += strlen("d8:completei1ee20:") + 20;
	return (size_t)(p - body) + strlen(p);
}

START_TEST(scrape_parse_entry)
{
	struct tr_reply	 r;
	uint8_t		 h[20];
	char		 body[256];

	scrape_body(h, body, sizeof(body),
	    "d8:completei5e10:downloadedi50e10:incompletei10ee");
	errbuf[0] = '\0';
	ck_assert_msg(tr_scrape_parse((uint8_t *)body, scrape_len(body), h,
	    &r, errbuf, sizeof(errbuf)) == 0, "%s", errbuf);
	ck_assert_int_eq(r.seeders, 5);
	ck_assert_int_eq(r.leechers, 10);
	ck_assert_int_eq(r.completed, 50);
	ck_assert_str_eq(r.failure, "");
	ck_assert_uint_eq(r.npeers, 0);
	tr_reply_free(&r);

	scrape_body(h, body, sizeof(body), "d8:completei-1e4:name1:xe");
	ck_assert_int_eq(tr_scrape_parse((uint8_t *)body, scrape_len(body),
	    h, &r, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(r.seeders, -1);
	ck_assert_int_eq(r.leechers, -1);
	ck_assert_int_eq(r.completed, -1);
	tr_reply_free(&r);
}
END_TEST

START_TEST(scrape_failure)
{
	static const char	 body[] = "d14:failure reason9:\x1b[2Jgone!e";
	struct tr_reply		 r;
	uint8_t			 h[20] = { 0 };

	ck_assert_int_eq(tr_scrape_parse((const uint8_t *)body,
	    sizeof(body) - 1, h, &r, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(r.failure, "\\x1b[2Jgone!");
	tr_reply_free(&r);
}
END_TEST

START_TEST(err_url_scheme)
{
	struct tr_announce	 a = announce(0);
	static const char	*bad[] = {
		"ftp://t.example/announce",
		"file:///etc/passwd",
		"gopher://t.example/announce",
		"udp://t.example:6969/announce",
		"http:/t.example/announce",
		"http//t.example/announce",
		"httpx://t.example/",
		" http://t.example/announce",
		"http://",
		"https://",
		"http:///announce",
		"http://?x",
		"",
		"http://t.example/ann ounce",
		"http://t.example/announce\r\nHost: x",
		"http://t.example/\x7f",
		"http://t.example/\xc3\xa9",
		"http://t.example/announce#frag",
	};
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(tr_announce_url(bad[i], &a) == NULL, "%s",
		    bad[i]);
	ck_assert_ptr_null(tr_announce_url(NULL, &a));
}
END_TEST

/* A URL is never longer than 4095 bytes: NULL instead. */
START_TEST(err_url_too_long)
{
	struct tr_announce	 a = announce(0);
	char			*base, *u, *id;
	size_t			 fixed, n;

	/* The query for hash 0 and event NONE, without base and '?'. */
	u = tr_announce_url("http://x", &a);
	ck_assert_ptr_nonnull(u);
	fixed = strlen(u) - strlen("http://x");
	free(u);

	base = malloc(8192);
	ck_assert_ptr_nonnull(base);
	for (n = 4095 - fixed - 2; n <= 4095 - fixed + 2; n++) {
		memcpy(base, "http://", 7);
		memset(base + 7, 'a', n - 7);
		base[n] = '\0';
		u = tr_announce_url(base, &a);
		if (n + fixed <= 4095) {
			ck_assert_ptr_nonnull(u);
			ck_assert_uint_eq(strlen(u), n + fixed);
		} else
			ck_assert_ptr_null(u);
		free(u);
	}
	memset(base + 7, 'a', 8000);
	base[8000] = '\0';
	ck_assert_ptr_null(tr_announce_url(base, &a));
	ck_assert_ptr_null(tr_scrape_url(base, a.info_hash));
	free(base);

	/* A tracker id that is all escapes: 3 bytes out for each. */
	id = malloc(1400);
	ck_assert_ptr_nonnull(id);
	memset(id, ' ', 1399);
	id[1399] = '\0';
	a.trackerid = id;
	ck_assert_ptr_null(tr_announce_url("http://x/announce", &a));
	id[1000] = '\0';
	u = tr_announce_url("http://x/announce", &a);
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_lt(strlen(u), 4096);
	free(u);
	free(id);
}
END_TEST

START_TEST(err_html)
{
	ck_assert_str_eq(parse_fail_str("<html><body>404 Not Found</body>"
	    "</html>\n"), "tracker reply is not bencoded (starts with "
	    "'<html><body>404 Not Found</body>')");
	ck_assert_str_eq(parse_fail_str("\x1b[2J\"x\"\n"),
	    "tracker reply is not bencoded (starts with "
	    "'\\x1b[2J\\x22x\\x22\\x0a')");
	ck_assert_str_eq(parse_fail_str("HTTP/1.1 200 OK"),
	    "tracker reply is not bencoded (starts with 'HTTP/1.1 200 OK')");
	ck_assert_str_eq(parse_fail_str("404 Not Found"),
	    "tracker reply is not bencoded (starts with '404 Not Found')");
	ck_assert_str_eq(parse_fail_str("l"),
	    "tracker reply is not bencoded (starts with 'l')");
}
END_TEST

START_TEST(err_empty)
{
	ck_assert_str_eq(parse_fail("", 0), "tracker reply is empty");
	ck_assert_str_eq(parse_fail_str("\r\n"), "tracker reply is empty");
}
END_TEST

START_TEST(err_too_big)
{
	uint8_t	*b;
	size_t	 len;

	b = compact_body("peers", TR_MAX_BODY, &len);
	ck_assert_str_eq(parse_fail(b, len), "tracker reply of 1048593 bytes "
	    "is over the limit of 1048576");
	ck_assert_str_eq(parse_fail(b, TR_MAX_BODY + 1), "tracker reply of "
	    "1048577 bytes is over the limit of 1048576");
	free(b);
}
END_TEST

START_TEST(err_trailing)
{
	ck_assert_str_eq(parse_fail_str("d8:intervali900eeXYZ"),
	    "tracker reply has junk after it at byte 17");
	ck_assert_str_eq(parse_fail_str("d8:intervali900ee\r\n de"),
	    "tracker reply has junk after it at byte 20");
	ck_assert_str_eq(parse_fail("de\0", 3),
	    "tracker reply has junk after it at byte 2");
}
END_TEST

START_TEST(err_malformed)
{
	const char	*e;

	ck_assert_str_eq(parse_fail_str("le"),
	    "tracker reply is not a dictionary");
	ck_assert_str_eq(parse_fail_str("i5e"),
	    "tracker reply is not a dictionary");
	ck_assert_str_eq(parse_fail_str("5:hello"),
	    "tracker reply is not a dictionary");
	e = parse_fail_str("d8:intervali900e");
	ck_assert_msg(strncmp(e, "tracker reply is malformed: ", 28) == 0,
	    "%s", e);
	e = parse_fail_str("d5:peers999:abce");
	ck_assert_msg(strncmp(e, "tracker reply is malformed: ", 28) == 0,
	    "%s", e);
	e = parse_fail_str("d1:ai1e1:ai2ee");	/* duplicate key */
	ck_assert_msg(strncmp(e, "tracker reply is malformed: ", 28) == 0,
	    "%s", e);
	ck_assert_str_eq(parse_fail_str("d14:failure reasoni1ee"),
	    "tracker reply has a failure reason that is not a string");
}
END_TEST

/* Nesting past 32 levels is refused before it costs anything. */
START_TEST(err_deep)
{
	char	 body[200];
	int	 i, n = 0;

	n += sprintf(body, "d1:x");
	for (i = 0; i < 40; i++)
		body[n++] = 'l';
	for (i = 0; i < 40; i++)
		body[n++] = 'e';
	body[n++] = 'e';
	body[n] = '\0';
	ck_assert_msg(strncmp(parse_fail_str(body),
	    "tracker reply is malformed: ", 28) == 0, "%s", errbuf);
}
END_TEST

/* err may be NULL or of size 0: the result is still -1. */
START_TEST(err_no_errbuf)
{
	struct tr_reply	 r;
	char		 tiny[1] = { 'x' };

	ck_assert_int_eq(tr_announce_parse((const uint8_t *)"<", 1, &r,
	    NULL, 0), -1);
	ck_assert_int_eq(tr_announce_parse((const uint8_t *)"<", 1, &r,
	    tiny, 0), -1);
	ck_assert_int_eq(tiny[0], 'x');
	ck_assert_int_eq(tr_announce_parse((const uint8_t *)"<", 1, &r,
	    tiny, sizeof(tiny)), -1);
	ck_assert_int_eq(tiny[0], '\0');
}
END_TEST

START_TEST(err_scrape)
{
	struct tr_reply	 r;
	uint8_t		 h[20], other[20];
	char		 body[256];

	scrape_body(h, body, sizeof(body), "d8:completei5ee");
	memcpy(other, h, 20);
	other[0] ^= 1;
	ck_assert_int_eq(tr_scrape_parse((uint8_t *)body, scrape_len(body),
	    other, &r, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "scrape reply does not mention this "
	    "torrent");
	ck_assert_int_eq(r.seeders, -1);

	scrape_body(h, body, sizeof(body), "i5e");
	ck_assert_int_eq(tr_scrape_parse((uint8_t *)body, scrape_len(body),
	    h, &r, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "scrape reply: the entry of this torrent "
	    "is not a dictionary");

	ck_assert_int_eq(tr_scrape_parse((const uint8_t *)"d5:fileslee", 11,
	    h, &r, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "scrape reply has no files dictionary");
	ck_assert_int_eq(tr_scrape_parse((const uint8_t *)"de", 2,
	    h, &r, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "scrape reply has no files dictionary");
	ck_assert_int_eq(tr_scrape_parse((const uint8_t *)"<html>", 6,
	    h, &r, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "scrape reply is not bencoded (starts with "
	    "'<html>')");
	ck_assert_int_eq(tr_scrape_parse((const uint8_t *)"d5:filesdeeX", 12,
	    h, &r, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "scrape reply has junk after it at byte 11");
	tr_reply_free(&r);
}
END_TEST

static Suite *
announce_suite(void)
{
	Suite	*s = suite_create("announce");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, url_hash_low_high);
	tcase_add_test(core, url_hash_unreserved);
	tcase_add_test(core, url_hash_every_byte);
	tcase_add_test(core, url_existing_query);
	tcase_add_test(core, url_events);
	tcase_add_test(core, url_numbers);
	tcase_add_test(core, url_trackerid);
	tcase_add_test(core, url_https);
	tcase_add_test(core, scrape_urls);
	tcase_add_test(core, parse_compact);
	tcase_add_test(core, parse_ragged);
	tcase_add_test(core, parse_dict_peers);
	tcase_add_test(core, parse_dict_peers_nul);
	tcase_add_test(core, parse_peers6);
	tcase_add_test(core, parse_cap_compact);
	tcase_add_test(core, parse_cap_body);
	tcase_add_test(core, parse_cap_dict);
	tcase_add_test(core, parse_cap_mixed);
	tcase_add_test(core, parse_interval);
	tcase_add_test(core, parse_counts);
	tcase_add_test(core, parse_failure);
	tcase_add_test(core, parse_failure_long);
	tcase_add_test(core, parse_warning);
	tcase_add_test(core, parse_trackerid);
	tcase_add_test(core, parse_trailing_space);
	tcase_add_test(core, parse_empty_dict);
	tcase_add_test(core, scrape_parse_entry);
	tcase_add_test(core, scrape_failure);
	tcase_add_test(errors, err_url_scheme);
	tcase_add_test(errors, err_url_too_long);
	tcase_add_test(errors, err_html);
	tcase_add_test(errors, err_empty);
	tcase_add_test(errors, err_too_big);
	tcase_add_test(errors, err_trailing);
	tcase_add_test(errors, err_malformed);
	tcase_add_test(errors, err_deep);
	tcase_add_test(errors, err_no_errbuf);
	tcase_add_test(errors, err_scrape);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(announce_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
