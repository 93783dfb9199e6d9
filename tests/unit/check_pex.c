/*
 * check_pex.c -- the ut_pex codec (lib/pex.c): messages built and parsed
 * back, IPv4 and IPv6 with their flags, port 0 entries left out, and the
 * PEX rows of HOSTILE.md that are the codec's: over 50 added peers (the
 * whole message refused as too many), flags of another length than
 * their list, lists that are ragged or not strings, bytes that are not
 * a dictionary.  How often a peer may send, and private torrents, are
 * peerd's (tests/integration/t_pex.sh).
 */
#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "pex.h"

static uint8_t	msg[PEX_MAX_MSG + 4096];

static struct pex_peer
peer4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port,
    uint8_t flags)
{
	struct pex_peer p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.addr[0] = a;
	p.addr[1] = b;
	p.addr[2] = c;
	p.addr[3] = d;
	p.port = port;
	p.flags = flags;
	return p;
}

static struct pex_peer
peer6(uint8_t last, uint16_t port, uint8_t flags)
{
	struct pex_peer p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	p.addr[0] = 0x20;
	p.addr[1] = 0x01;
	p.addr[15] = last;
	p.port = port;
	p.flags = flags;
	return p;
}

/* A payload: "d", then key and string pairs given as (key, bytes, len). */
static size_t
mkdict(const char *k1, const void *v1, size_t l1, const char *k2,
    const void *v2, size_t l2)
{
	size_t n = 0;

	n += (size_t)snprintf((char *)msg + n, sizeof(msg) - n, "d");
	if (k1 != NULL) {
		n += (size_t)snprintf((char *)msg + n, sizeof(msg) - n,
		    "%zu:%s%zu:", strlen(k1), k1, l1);
		memcpy(msg + n, v1, l1);
		n += l1;
	}
	if (k2 != NULL) {
		n += (size_t)snprintf((char *)msg + n, sizeof(msg) - n,
		    "%zu:%s%zu:", strlen(k2), k2, l2);
		memcpy(msg + n, v2, l2);
		n += l2;
	}
	msg[n++] = 'e';
	return n;
}

START_TEST(build_parse_v4)
{
	struct pex_peer	 a[2], d[1];
	struct pex_msg	 m;
	char		 err[128];
	size_t		 n;
	static const uint8_t want[] = "d5:added12:\x7f\x00\x00\x01\x1a\xe1"
	    "\x0a\x00\x00\x02\x00\x50" "7:added.f2:\x10\x02"
	    "7:dropped6:\x7f\x00\x00\x03\x1a\xe2" "e";

	a[0] = peer4(127, 0, 0, 1, 6881, PEX_F_REACHABLE);
	a[1] = peer4(10, 0, 0, 2, 80, PEX_F_SEED);
	d[0] = peer4(127, 0, 0, 3, 6882, 0);
	n = pex_build(msg, sizeof(msg), a, 2, d, 1);
	ck_assert_uint_eq(n, sizeof(want) - 1);
	ck_assert_int_eq(memcmp(msg, want, n), 0);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_OK);
	ck_assert_uint_eq(m.nadded, 2);
	ck_assert_uint_eq(m.ndropped, 1);
	ck_assert_uint_eq(m.nport0, 0);
	ck_assert_int_eq(m.added[0].family, AF_INET);
	ck_assert_int_eq(memcmp(m.added[0].addr, a[0].addr, 4), 0);
	ck_assert_uint_eq(m.added[0].port, 6881);
	ck_assert_uint_eq(m.added[0].flags, PEX_F_REACHABLE);
	ck_assert_uint_eq(m.added[1].port, 80);
	ck_assert_uint_eq(m.added[1].flags, PEX_F_SEED);
}
END_TEST

START_TEST(build_parse_v6_mixed)
{
	struct pex_peer	 a[3], d[2];
	struct pex_msg	 m;
	char		 err[128];
	size_t		 n;

	a[0] = peer6(1, 51413, PEX_F_UTP);
	a[1] = peer4(192, 0, 2, 7, 6881, 0);
	a[2] = peer6(2, 1, PEX_F_SEED | PEX_F_REACHABLE);
	d[0] = peer6(9, 9999, 0);
	d[1] = peer4(192, 0, 2, 8, 7000, 0);
	n = pex_build(msg, sizeof(msg), a, 3, d, 2);
	ck_assert_uint_gt(n, 0);
	ck_assert_ptr_nonnull(memmem(msg, n, "6:added6", 8));
	ck_assert_ptr_nonnull(memmem(msg, n, "8:added6.f2:\x04\x12", 14));
	ck_assert_ptr_nonnull(memmem(msg, n, "8:dropped618:", 13));
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_OK);
	ck_assert_uint_eq(m.nadded, 3);
	ck_assert_uint_eq(m.ndropped, 2);
	/* IPv4 first, then IPv6, each in the order given. */
	ck_assert_int_eq(m.added[0].family, AF_INET);
	ck_assert_uint_eq(m.added[0].port, 6881);
	ck_assert_int_eq(m.added[1].family, AF_INET6);
	ck_assert_int_eq(memcmp(m.added[1].addr, a[0].addr, 16), 0);
	ck_assert_uint_eq(m.added[1].port, 51413);
	ck_assert_uint_eq(m.added[1].flags, PEX_F_UTP);
	ck_assert_uint_eq(m.added[2].port, 1);
	ck_assert_uint_eq(m.added[2].flags, PEX_F_SEED | PEX_F_REACHABLE);
}
END_TEST

START_TEST(parse_empty_and_unknown)
{
	struct pex_msg	 m;
	char		 err[128];
	static const char *ok[] = {
		"de",
		"d5:added0:e",
		"d1:xi5e5:added6:\x7f\x00\x00\x01\x00\x01" "1:zli1eee",
	};
	static const size_t oklen[] = { 2, 11, 31 };
	size_t i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(pex_parse((const uint8_t *)ok[i], oklen[i],
		    &m, err, sizeof(err)), PEX_OK);
		ck_assert_uint_eq(m.nadded, i == 2 ? 1 : 0);
	}
	/* No flags: each added peer has none. */
	ck_assert_uint_eq(m.added[0].flags, 0);
	ck_assert_uint_eq(m.added[0].port, 1);
	/* An empty message builds to an empty dictionary. */
	ck_assert_uint_eq(pex_build(msg, sizeof(msg), NULL, 0, NULL, 0), 2);
	ck_assert_int_eq(memcmp(msg, "de", 2), 0);
}
END_TEST

START_TEST(port0_left_out)
{
	struct pex_msg	 m;
	char		 err[128];
	uint8_t		 l[18];
	size_t		 n;

	memcpy(l, "\x7f\x00\x00\x01\x00\x00" "\x7f\x00\x00\x02\x1a\xe1"
	    "\x7f\x00\x00\x03\x00\x00", 18);
	n = mkdict("added", l, 18, "added.f", "\x01\x02\x03", 3);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_OK);
	ck_assert_uint_eq(m.nadded, 1);
	ck_assert_uint_eq(m.nport0, 2);
	ck_assert_uint_eq(m.added[0].addr[3], 2);
	ck_assert_uint_eq(m.added[0].port, 6881);
	ck_assert_uint_eq(m.added[0].flags, 2);	/* its own flag byte */
}
END_TEST

START_TEST(err_too_many)
{
	struct pex_msg	 m;
	struct pex_peer	 a[PEX_MAX_ADDED + 1];
	uint8_t		 l4[40 * 6], l6[11 * 18];
	char		 err[128];
	size_t		 i, n;

	memset(l4, 1, sizeof(l4));
	memset(l6, 2, sizeof(l6));
	/* 40 IPv4 and 10 IPv6: 50, taken. */
	n = mkdict("added", l4, sizeof(l4), "added6", l6, 10 * 18);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_OK);
	ck_assert_uint_eq(m.nadded, 50);
	/* 40 and 11: 51, none taken. */
	n = mkdict("added", l4, sizeof(l4), "added6", l6, sizeof(l6));
	err[0] = '\0';
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)),
	    PEX_TOO_MANY);
	ck_assert_uint_eq(m.nadded, 0);
	ck_assert_str_eq(err, "ut_pex: 51 added peers, over 50");
	/* We build no more than 50 either. */
	for (i = 0; i < PEX_MAX_ADDED + 1; i++)
		a[i] = peer4(10, 0, 0, (uint8_t)i, 6881, 0);
	ck_assert_uint_eq(pex_build(msg, sizeof(msg), a, PEX_MAX_ADDED + 1,
	    NULL, 0), 0);
	ck_assert_uint_gt(pex_build(msg, sizeof(msg), a, PEX_MAX_ADDED,
	    a, PEX_MAX_DROPPED), 0);
	ck_assert_uint_eq(pex_build(msg, sizeof(msg), NULL, 0, a,
	    PEX_MAX_DROPPED + 1), 0);
}
END_TEST

START_TEST(err_flags_mismatch)
{
	struct pex_msg	 m;
	uint8_t		 l[12], l6[18];
	char		 err[128];
	size_t		 n;

	memset(l, 7, sizeof(l));
	memset(l6, 7, sizeof(l6));
	n = mkdict("added", l, 12, "added.f", "\x01", 1);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_BAD);
	ck_assert_str_eq(err, "ut_pex: added.f of 1 bytes for 2 peers");
	n = mkdict("added", l, 12, "added.f", "\x01\x02\x03", 3);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_BAD);
	/* Flags without their list. */
	n = mkdict("added.f", "\x01", 1, NULL, NULL, 0);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_BAD);
	n = mkdict("added6", l6, 18, "added6.f", "", 0);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_BAD);
	ck_assert_str_eq(err, "ut_pex: added6.f of 0 bytes for 1 peers");
	ck_assert_uint_eq(m.nadded, 0);
}
END_TEST

START_TEST(err_shapes)
{
	struct pex_msg	 m;
	struct pex_peer	 a[1];
	uint8_t		 l[19];
	char		 err[128];
	size_t		 n;
	static const char *bad[] = {
		"",
		"le",
		"i5e",
		"d5:addedi5ee",
		"d7:dropped5:abcdee",
		"d5:added6:\x7f\x00\x00\x01\x1a\xe1",	/* unterminated */
		"d5:added0:5:added0:e",			/* duplicate key */
		"de" "x",				/* trailing byte */
	};
	size_t i;

	memset(l, 3, sizeof(l));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(pex_parse((const uint8_t *)bad[i],
		    strlen(bad[i]), &m, err, sizeof(err)), PEX_BAD);
		ck_assert_uint_gt(strlen(err), 7);
		ck_assert_int_eq(strncmp(err, "ut_pex: ", 8), 0);
	}
	n = mkdict("added", l, 7, NULL, NULL, 0);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_BAD);
	ck_assert_str_eq(err, "ut_pex: added of 7 bytes, not a multiple "
	    "of 6");
	n = mkdict("added6", l, 19, NULL, NULL, 0);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_BAD);
	n = mkdict("dropped6", l, 6, NULL, NULL, 0);
	ck_assert_int_eq(pex_parse(msg, n, &m, err, sizeof(err)), PEX_BAD);
	/* Nothing built with a port 0 or an unknown family. */
	a[0] = peer4(127, 0, 0, 1, 0, 0);
	ck_assert_uint_eq(pex_build(msg, sizeof(msg), a, 1, NULL, 0), 0);
	ck_assert_uint_eq(pex_build(msg, sizeof(msg), NULL, 0, a, 1), 0);
	a[0] = peer4(127, 0, 0, 1, 1, 0);
	a[0].family = 0;
	ck_assert_uint_eq(pex_build(msg, sizeof(msg), a, 1, NULL, 0), 0);
	/* Nor into too small a buffer. */
	a[0].family = AF_INET;
	ck_assert_uint_eq(pex_build(msg, 10, a, 1, NULL, 0), 0);
}
END_TEST

static Suite *
pex_suite(void)
{
	Suite	*s = suite_create("pex");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, build_parse_v4);
	tcase_add_test(core, build_parse_v6_mixed);
	tcase_add_test(core, parse_empty_and_unknown);
	tcase_add_test(core, port0_left_out);
	tcase_add_test(errors, err_too_many);
	tcase_add_test(errors, err_flags_mismatch);
	tcase_add_test(errors, err_shapes);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(pex_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
