/*
 * check_udpcodec.c -- the UDP tracker codec (BEP 15): the exact bytes of
 * the connect, announce and scrape requests against arrays written out
 * by hand, BEP 15's event numbering, and every kind of reply, down to
 * the ones trackerd must drop (short, wrong transaction id, unexpected
 * action) with their error text.
 */
#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trackerd/trackerd.h"

#define TID	0xa1b2c3d4U
#define TIDB	0xa1, 0xb2, 0xc3, 0xd4	/* TID as it is sent */

static char	 errbuf[256];

static struct tr_announce
announce(void)
{
	struct tr_announce	 a;
	int			 i;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < 20; i++)
		a.info_hash[i] = (uint8_t)i;
	memcpy(a.peer_id, "-BT0001-123456789012", 20);
	a.port = 6881;
	a.downloaded = 0x1122334455667788ULL;
	a.left = 0x100000000ULL;
	a.uploaded = 5;
	a.event = TR_EVENT_STARTED;
	a.numwant = 50;
	a.key = 0xcafebabe;
	return a;
}

static void
parse_ok(const uint8_t *buf, size_t len, int want, int family,
    struct udp_reply *u)
{
	errbuf[0] = '\0';
	ck_assert_msg(udp_parse_reply(buf, len, TID, want, family, u, errbuf,
	    sizeof(errbuf)) == 0, "%s", errbuf);
	ck_assert(u->r.npeers <= TR_MAX_PEERS);
	ck_assert((u->r.npeers == 0) == (u->r.peers == NULL));
}

static const char *
parse_fail(const uint8_t *buf, size_t len, uint32_t tid, int want,
    int family)
{
	struct udp_reply	 u;

	strcpy(errbuf, "(no error set)");
	ck_assert_int_eq(udp_parse_reply(buf, len, tid, want, family, &u,
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_null(u.r.peers);
	ck_assert_uint_eq(u.r.npeers, 0);
	ck_assert_int_eq(u.action, -1);
	ck_assert_ptr_null(strchr(errbuf, '\n'));
	return errbuf;
}

START_TEST(build_connect)
{
	static const uint8_t	 want[16] = {
		0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80,
		0x00, 0x00, 0x00, 0x00,
		0xde, 0xad, 0xbe, 0xef,
	};
	uint8_t			 buf[UDP_MAX_PACKET];

	memset(buf, 0x55, sizeof(buf));
	ck_assert_uint_eq(udp_build_connect(buf, 0xdeadbeef), 16);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(buf[16], 0x55);
}
END_TEST

START_TEST(build_announce)
{
	static const uint8_t	 want[98] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* conn */
		0x00, 0x00, 0x00, 0x01,				/* action */
		TIDB,
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9,			/* info_hash */
		10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
		'-', 'B', 'T', '0', '0', '0', '1', '-', '1', '2',	/* id */
		'3', '4', '5', '6', '7', '8', '9', '0', '1', '2',
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,	/* down */
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,	/* left */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,	/* up */
		0x00, 0x00, 0x00, 0x02,				/* started */
		0x00, 0x00, 0x00, 0x00,				/* IP */
		0xca, 0xfe, 0xba, 0xbe,				/* key */
		0x00, 0x00, 0x00, 0x32,				/* numwant */
		0x1a, 0xe1,					/* port */
	};
	struct tr_announce	 a = announce();
	uint8_t			 buf[UDP_MAX_PACKET];

	memset(buf, 0x55, sizeof(buf));
	ck_assert_uint_eq(udp_build_announce(buf, 0x0102030405060708ULL, TID,
	    &a), 98);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(buf[98], 0x55);
}
END_TEST

/* BEP 15: none 0, completed 1, started 2, stopped 3. */
START_TEST(build_announce_events)
{
	static const struct {
		enum tr_event	 ev;
		uint8_t		 wire;
	} map[] = {
		{ TR_EVENT_NONE, 0 },
		{ TR_EVENT_COMPLETED, 1 },
		{ TR_EVENT_STARTED, 2 },
		{ TR_EVENT_STOPPED, 3 },
	};
	struct tr_announce	 a = announce();
	uint8_t			 buf[UDP_MAX_PACKET];
	size_t			 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		a.event = map[i].ev;
		ck_assert_uint_eq(udp_build_announce(buf, 1, TID, &a), 98);
		ck_assert_mem_eq(buf + 80, "\0\0\0", 3);
		ck_assert_uint_eq(buf[83], map[i].wire);
	}
}
END_TEST

/* numwant 0 asks for the tracker's default: -1. */
START_TEST(build_announce_numwant)
{
	struct tr_announce	 a = announce();
	uint8_t			 buf[UDP_MAX_PACKET];

	a.numwant = 0;
	udp_build_announce(buf, 1, TID, &a);
	ck_assert_mem_eq(buf + 92, "\xff\xff\xff\xff", 4);
	a.numwant = 0x80000000U;
	udp_build_announce(buf, 1, TID, &a);
	ck_assert_mem_eq(buf + 92, "\xff\xff\xff\xff", 4);
	a.numwant = 0x7fffffff;
	udp_build_announce(buf, 1, TID, &a);
	ck_assert_mem_eq(buf + 92, "\x7f\xff\xff\xff", 4);
	a.numwant = 1;
	a.port = 1;
	udp_build_announce(buf, 1, TID, &a);
	ck_assert_mem_eq(buf + 92, "\x00\x00\x00\x01\x00\x01", 6);
}
END_TEST

START_TEST(build_scrape)
{
	static const uint8_t	 want[36] = {
		0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
		0x00, 0x00, 0x00, 0x02,
		TIDB,
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
		10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
	};
	struct tr_announce	 a = announce();
	uint8_t			 buf[UDP_MAX_PACKET];

	memset(buf, 0x55, sizeof(buf));
	ck_assert_uint_eq(udp_build_scrape(buf, 0xffeeddccbbaa9988ULL, TID,
	    a.info_hash), 36);
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(buf[36], 0x55);
}
END_TEST

START_TEST(reply_connect)
{
	static const uint8_t	 rep[24] = {
		0, 0, 0, 0, TIDB,
		0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8,
		0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,	/* extra */
	};
	struct udp_reply	 u;

	parse_ok(rep, 16, UDP_ACTION_CONNECT, AF_INET, &u);
	ck_assert_int_eq(u.action, UDP_ACTION_CONNECT);
	ck_assert_uint_eq(u.conn_id, 0x8192a3b4c5d6e7f8ULL);
	ck_assert_str_eq(u.r.failure, "");
	tr_reply_free(&u.r);
	parse_ok(rep, sizeof(rep), UDP_ACTION_CONNECT, AF_INET6, &u);
	ck_assert_uint_eq(u.conn_id, 0x8192a3b4c5d6e7f8ULL);
	tr_reply_free(&u.r);
}
END_TEST

START_TEST(reply_announce_v4)
{
	static const uint8_t	 rep[] = {
		0, 0, 0, 1, TIDB,
		0x00, 0x00, 0x07, 0x08,		/* interval 1800 */
		0x00, 0x00, 0x00, 0x05,		/* leechers */
		0x00, 0x00, 0x00, 0x0a,		/* seeders */
		10, 0, 0, 1, 0x1a, 0xe1,
		10, 0, 0, 2, 0x00, 0x00,	/* port 0: dropped */
		192, 168, 1, 1, 0xff, 0xff,
		1, 2, 3,			/* ragged tail */
	};
	struct udp_reply	 u;

	parse_ok(rep, sizeof(rep), UDP_ACTION_ANNOUNCE, AF_INET, &u);
	ck_assert_int_eq(u.action, UDP_ACTION_ANNOUNCE);
	ck_assert_int_eq(u.r.interval, 1800);
	ck_assert_int_eq(u.r.min_interval, 0);
	ck_assert_int_eq(u.r.leechers, 5);
	ck_assert_int_eq(u.r.seeders, 10);
	ck_assert_int_eq(u.r.completed, -1);
	ck_assert_uint_eq(u.r.npeers, 2);
	ck_assert_int_eq(u.r.peers[0].family, AF_INET);
	ck_assert_mem_eq(u.r.peers[0].addr, "\x0a\x00\x00\x01", 4);
	ck_assert_uint_eq(u.r.peers[0].port, 6881);
	ck_assert_int_eq(u.r.peers[1].family, AF_INET);
	ck_assert_mem_eq(u.r.peers[1].addr, "\xc0\xa8\x01\x01", 4);
	ck_assert_uint_eq(u.r.peers[1].port, 65535);
	tr_reply_free(&u.r);

	/* The header alone: no peers. */
	parse_ok(rep, 20, UDP_ACTION_ANNOUNCE, AF_INET, &u);
	ck_assert_uint_eq(u.r.npeers, 0);
	ck_assert_ptr_null(u.r.peers);
	ck_assert_int_eq(u.r.seeders, 10);
	tr_reply_free(&u.r);
}
END_TEST

START_TEST(reply_announce_v6)
{
	static const uint8_t	 rep[] = {
		0, 0, 0, 1, TIDB,
		0x00, 0x00, 0x03, 0x84,		/* interval 900 */
		0xff, 0xff, 0xff, 0xff,		/* leechers -1 */
		0x00, 0x00, 0x00, 0x00,		/* seeders */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0xc8, 0xd5,
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0x00, 0x00,			/* port 0: dropped */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x00,				/* ragged: 17 bytes */
	};
	struct udp_reply	 u;

	parse_ok(rep, sizeof(rep), UDP_ACTION_ANNOUNCE, AF_INET6, &u);
	ck_assert_int_eq(u.r.interval, 900);
	ck_assert_int_eq(u.r.leechers, -1);
	ck_assert_int_eq(u.r.seeders, 0);
	ck_assert_uint_eq(u.r.npeers, 1);
	ck_assert_int_eq(u.r.peers[0].family, AF_INET6);
	ck_assert_mem_eq(u.r.peers[0].addr,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	ck_assert_uint_eq(u.r.peers[0].port, 51413);
	tr_reply_free(&u.r);

	/*
	 * The same 53 bytes read as IPv4: 8 entries of 6 and 5 ragged
	 * bytes; only the third entry, 0.0.0.1:51413, has a port.
	 */
	parse_ok(rep, sizeof(rep), UDP_ACTION_ANNOUNCE, AF_INET, &u);
	ck_assert_uint_eq(u.r.npeers, 1);
	ck_assert_int_eq(u.r.peers[0].family, AF_INET);
	ck_assert_mem_eq(u.r.peers[0].addr, "\0\0\0\x01", 4);
	ck_assert_uint_eq(u.r.peers[0].port, 51413);
	tr_reply_free(&u.r);
}
END_TEST

/* Interval clamped; read as int32, so 2^31 is negative. */
START_TEST(reply_announce_interval)
{
	static const struct {
		uint8_t		 wire[4];
		int32_t		 interval;
	} cases[] = {
		{ { 0x00, 0x00, 0x00, 0x00 }, TR_MIN_INTERVAL },
		{ { 0x00, 0x00, 0x00, 0x3b }, TR_MIN_INTERVAL },
		{ { 0x00, 0x00, 0x00, 0x3d }, 61 },
		{ { 0x80, 0x00, 0x00, 0x00 }, TR_MIN_INTERVAL },
		{ { 0xff, 0xff, 0xff, 0xff }, TR_MIN_INTERVAL },
		{ { 0x7f, 0xff, 0xff, 0xff }, TR_MAX_INTERVAL },
		{ { 0x00, 0x00, 0x2a, 0x31 }, TR_MAX_INTERVAL },
		{ { 0x00, 0x00, 0x2a, 0x30 }, 10800 },
	};
	uint8_t			 rep[20] = { 0, 0, 0, 1, TIDB };
	struct udp_reply	 u;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(rep + 8, cases[i].wire, 4);
		parse_ok(rep, sizeof(rep), UDP_ACTION_ANNOUNCE, AF_INET, &u);
		ck_assert_msg(u.r.interval == cases[i].interval,
		    "case %zu: %d", i, u.r.interval);
		tr_reply_free(&u.r);
	}
}
END_TEST

/* 2,500 entries, the first 100 with port 0: TR_MAX_PEERS kept. */
START_TEST(reply_announce_cap)
{
	uint8_t			*rep, *p;
	struct udp_reply	 u;
	size_t			 i, len = 20 + 2500 * 6;

	rep = calloc(1, len);
	ck_assert_ptr_nonnull(rep);
	memcpy(rep, "\0\0\0\1\xa1\xb2\xc3\xd4", 8);
	for (i = 0, p = rep + 20; i < 2500; i++, p += 6) {
		p[0] = 10;
		p[2] = (uint8_t)(i >> 8);
		p[3] = (uint8_t)i;
		p[5] = i < 100 ? 0 : 1;
	}
	parse_ok(rep, len, UDP_ACTION_ANNOUNCE, AF_INET, &u);
	ck_assert_uint_eq(u.r.npeers, TR_MAX_PEERS);
	ck_assert_mem_eq(u.r.peers[0].addr, "\x0a\x00\x00\x64", 4);
	ck_assert_mem_eq(u.r.peers[TR_MAX_PEERS - 1].addr, "\x0a\x00\x08\x33",
	    4);		/* entry 2099 */
	for (i = 0; i < u.r.npeers; i++)
		ck_assert_uint_eq(u.r.peers[i].port, 1);
	tr_reply_free(&u.r);
	free(rep);
}
END_TEST

/* BEP 15's order: seeders, completed, leechers. */
START_TEST(reply_scrape)
{
	static const uint8_t	 rep[] = {
		0, 0, 0, 2, TIDB,
		0x00, 0x00, 0x00, 0x07,		/* seeders */
		0x00, 0x01, 0x00, 0x00,		/* completed */
		0x00, 0x00, 0x00, 0x03,		/* leechers */
		0x00, 0x00, 0x00, 0x09,		/* a second hash: ignored */
	};
	struct udp_reply	 u;

	parse_ok(rep, sizeof(rep), UDP_ACTION_SCRAPE, AF_INET, &u);
	ck_assert_int_eq(u.action, UDP_ACTION_SCRAPE);
	ck_assert_int_eq(u.r.seeders, 7);
	ck_assert_int_eq(u.r.completed, 65536);
	ck_assert_int_eq(u.r.leechers, 3);
	ck_assert_uint_eq(u.r.npeers, 0);
	tr_reply_free(&u.r);
	parse_ok(rep, 20, UDP_ACTION_SCRAPE, 0, &u);
	ck_assert_int_eq(u.r.leechers, 3);
	tr_reply_free(&u.r);
}
END_TEST

/* An error action is a parse with r.failure, whatever was wanted. */
START_TEST(reply_error)
{
	static const uint8_t	 rep[] = {
		0, 0, 0, 3, TIDB,
		0x1b, '[', '3', '1', 'm', 'b', 'a', 'n', 'n', 'e', 'd', '\n',
		'\0', '\0',
	};
	struct udp_reply	 u;
	int			 want;

	for (want = UDP_ACTION_CONNECT; want <= UDP_ACTION_SCRAPE; want++) {
		parse_ok(rep, sizeof(rep), want, AF_INET, &u);
		ck_assert_int_eq(u.action, UDP_ACTION_ERROR);
		ck_assert_str_eq(u.r.failure, "\\x1b[31mbanned\\x0a");
		ck_assert_uint_eq(u.r.npeers, 0);
		tr_reply_free(&u.r);
	}
	parse_ok(rep, 8, UDP_ACTION_ANNOUNCE, AF_INET, &u);
	ck_assert_int_eq(u.action, UDP_ACTION_ERROR);
	ck_assert_str_eq(u.r.failure, "(no reason given)");
	tr_reply_free(&u.r);
	parse_ok(rep, 10, UDP_ACTION_ANNOUNCE, AF_INET, &u);
	ck_assert_str_eq(u.r.failure, "\\x1b[");
	tr_reply_free(&u.r);
}
END_TEST

/* A long message is cut at an escape boundary. */
START_TEST(reply_error_long)
{
	uint8_t			 rep[8 + 1000];
	struct udp_reply	 u;

	memcpy(rep, "\0\0\0\3\xa1\xb2\xc3\xd4", 8);
	memset(rep + 8, 0xe2, 1000);
	parse_ok(rep, sizeof(rep), UDP_ACTION_CONNECT, AF_INET, &u);
	ck_assert_uint_eq(strlen(u.r.failure), 63 * 4);
	ck_assert_str_eq(u.r.failure + 62 * 4, "\\xe2");
	tr_reply_free(&u.r);
}
END_TEST

START_TEST(err_short)
{
	static const uint8_t	 rep[32] = { 0, 0, 0, 1, TIDB };

	ck_assert_str_eq(parse_fail(rep, 7, TID, UDP_ACTION_ANNOUNCE,
	    AF_INET), "UDP tracker reply too short (7 bytes)");
	ck_assert_str_eq(parse_fail(rep, 0, TID, UDP_ACTION_ANNOUNCE,
	    AF_INET), "UDP tracker reply too short (0 bytes)");
	ck_assert_str_eq(parse_fail(rep, 19, TID, UDP_ACTION_ANNOUNCE,
	    AF_INET), "UDP tracker reply to action 1 too short (19 bytes)");
	ck_assert_str_eq(parse_fail(rep, 8, TID, UDP_ACTION_ANNOUNCE,
	    AF_INET6), "UDP tracker reply to action 1 too short (8 bytes)");
}
END_TEST

START_TEST(err_short_connect_scrape)
{
	uint8_t	 rep[32] = { 0, 0, 0, 0, TIDB };

	ck_assert_str_eq(parse_fail(rep, 15, TID, UDP_ACTION_CONNECT,
	    AF_INET), "UDP tracker reply to action 0 too short (15 bytes)");
	rep[3] = 2;
	ck_assert_str_eq(parse_fail(rep, 19, TID, UDP_ACTION_SCRAPE,
	    AF_INET), "UDP tracker reply to action 2 too short (19 bytes)");
}
END_TEST

START_TEST(err_tid)
{
	static const uint8_t	 rep[20] = { 0, 0, 0, 1, TIDB };
	static const uint8_t	 errrep[] = { 0, 0, 0, 3, TIDB, 'x' };

	ck_assert_str_eq(parse_fail(rep, sizeof(rep), TID ^ 1,
	    UDP_ACTION_ANNOUNCE, AF_INET),
	    "UDP tracker reply with the wrong transaction id");
	ck_assert_str_eq(parse_fail(rep, sizeof(rep), 0xd4c3b2a1,
	    UDP_ACTION_ANNOUNCE, AF_INET),
	    "UDP tracker reply with the wrong transaction id");
	/* An error with the wrong id is no error of ours. */
	ck_assert_str_eq(parse_fail(errrep, sizeof(errrep), TID + 1,
	    UDP_ACTION_ANNOUNCE, AF_INET),
	    "UDP tracker reply with the wrong transaction id");
}
END_TEST

START_TEST(err_action)
{
	uint8_t	 rep[24] = { 0, 0, 0, 2, TIDB };

	ck_assert_str_eq(parse_fail(rep, sizeof(rep), TID,
	    UDP_ACTION_ANNOUNCE, AF_INET),
	    "UDP tracker reply with unexpected action 2");
	rep[3] = 0;
	ck_assert_str_eq(parse_fail(rep, sizeof(rep), TID,
	    UDP_ACTION_SCRAPE, AF_INET),
	    "UDP tracker reply with unexpected action 0");
	memcpy(rep, "\xff\xff\xff\xff", 4);
	ck_assert_str_eq(parse_fail(rep, sizeof(rep), TID,
	    UDP_ACTION_CONNECT, AF_INET),
	    "UDP tracker reply with unexpected action 4294967295");
	memcpy(rep, "\0\0\0\4", 4);
	ck_assert_str_eq(parse_fail(rep, sizeof(rep), TID, 4, AF_INET),
	    "UDP tracker reply with unexpected action 4");
	memcpy(rep, "\0\0\1\1", 4);
	ck_assert_str_eq(parse_fail(rep, sizeof(rep), TID,
	    UDP_ACTION_ANNOUNCE, AF_INET),
	    "UDP tracker reply with unexpected action 257");
}
END_TEST

START_TEST(err_family)
{
	static const uint8_t	 rep[26] = { 0, 0, 0, 1, TIDB };

	ck_assert_str_eq(parse_fail(rep, sizeof(rep), TID,
	    UDP_ACTION_ANNOUNCE, AF_UNIX),
	    "UDP announce reply: unknown address family 1");
}
END_TEST

/* err may be NULL or of size 0. */
START_TEST(err_no_errbuf)
{
	static const uint8_t	 rep[4] = { 0 };
	struct udp_reply	 u;
	char			 tiny[1] = { 'x' };

	ck_assert_int_eq(udp_parse_reply(rep, sizeof(rep), TID,
	    UDP_ACTION_CONNECT, AF_INET, &u, NULL, 0), -1);
	ck_assert_int_eq(udp_parse_reply(rep, sizeof(rep), TID,
	    UDP_ACTION_CONNECT, AF_INET, &u, tiny, 0), -1);
	ck_assert_int_eq(tiny[0], 'x');
	ck_assert_int_eq(udp_parse_reply(rep, sizeof(rep), TID,
	    UDP_ACTION_CONNECT, AF_INET, &u, tiny, sizeof(tiny)), -1);
	ck_assert_int_eq(tiny[0], '\0');
}
END_TEST

static Suite *
udpcodec_suite(void)
{
	Suite	*s = suite_create("udpcodec");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, build_connect);
	tcase_add_test(core, build_announce);
	tcase_add_test(core, build_announce_events);
	tcase_add_test(core, build_announce_numwant);
	tcase_add_test(core, build_scrape);
	tcase_add_test(core, reply_connect);
	tcase_add_test(core, reply_announce_v4);
	tcase_add_test(core, reply_announce_v6);
	tcase_add_test(core, reply_announce_interval);
	tcase_add_test(core, reply_announce_cap);
	tcase_add_test(core, reply_scrape);
	tcase_add_test(core, reply_error);
	tcase_add_test(core, reply_error_long);
	tcase_add_test(errors, err_short);
	tcase_add_test(errors, err_short_connect_scrape);
	tcase_add_test(errors, err_tid);
	tcase_add_test(errors, err_action);
	tcase_add_test(errors, err_family);
	tcase_add_test(errors, err_no_errbuf);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(udpcodec_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
