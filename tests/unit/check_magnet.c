/*
 * check_magnet.c -- magnet link parsing: the info-hash in hex and
 * base32, dn sanitising, tracker and web seed filtering, x.pe peers, and
 * every malformed or oversized link ending in a one-line error.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "magnet.h"

#define HEX	"c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
#define B32	"YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK"	/* the same 20 bytes */
#define HEX2	"000102030405060708090a0b0c0d0e0f10111213"
#define LINK	"magnet:?xt=urn:btih:" HEX

static const uint8_t hash1[20] = {
	0xc1, 0x2f, 0xe1, 0xc0, 0x6b, 0xba, 0x25, 0x4a, 0x9d, 0xc9,
	0xf5, 0x19, 0xb3, 0x35, 0xaa, 0x7c, 0x13, 0x67, 0xa8, 0x8a
};

static char	 errbuf[256];

static struct magnet *
parse_ok(const char *s)
{
	struct magnet	*m = NULL;
	int		 rc;

	errbuf[0] = '\0';
	rc = magnet_parse(s, strlen(s), &m, errbuf, sizeof(errbuf));
	ck_assert_msg(rc == 0, "'%s': %s", s, errbuf);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(m->dn);
	return m;
}

/* The error text of a link that must be refused. */
static const char *
parse_fail_len(const char *s, size_t len)
{
	static struct magnet	 untouched;
	struct magnet		*m = &untouched;

	strcpy(errbuf, "(no error set)");
	ck_assert_int_eq(magnet_parse(s, len, &m, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_ptr_null(m);
	ck_assert_ptr_null(strchr(errbuf, '\n'));
	return errbuf;
}

static const char *
parse_fail(const char *s)
{
	return parse_fail_len(s, strlen(s));
}

/* A link of HEX followed by n times the parameter p. */
static char *
repeat_link(const char *p, size_t n)
{
	size_t	 plen = strlen(p), i;
	char	*s, *o;

	s = malloc(sizeof(LINK) + n * (plen + 1));
	ck_assert_ptr_nonnull(s);
	o = stpcpy(s, LINK);
	for (i = 0; i < n; i++) {
		*o++ = '&';
		o = stpcpy(o, p);
	}
	return s;
}

START_TEST(hash_hex)
{
	struct magnet	*m;
	char		 up[sizeof(LINK)];
	size_t		 i;

	m = parse_ok(LINK);
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	ck_assert_str_eq(m->dn, "");
	ck_assert_uint_eq(m->ntr, 0);
	ck_assert_uint_eq(m->npe, 0);
	ck_assert_uint_eq(m->nws, 0);
	magnet_free(m);

	/* Upper-case hex, upper-case scheme and urn. */
	snprintf(up, sizeof(up), "MAGNET:?xt=URN:BTIH:%s", HEX);
	for (i = 20; up[i] != '\0'; i++)
		if (up[i] >= 'a' && up[i] <= 'f')
			up[i] -= 'a' - 'A';
	m = parse_ok(up);
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	magnet_free(m);

	m = parse_ok("magnet:?xt=urn:btih:" HEX2);
	for (i = 0; i < 20; i++)
		ck_assert_uint_eq(m->info_hash[i], i);
	magnet_free(m);
}
END_TEST

START_TEST(hash_base32)
{
	struct magnet	*m;
	char		 low[64];
	size_t		 i;

	m = parse_ok("magnet:?xt=urn:btih:" B32);
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	magnet_free(m);

	snprintf(low, sizeof(low), "magnet:?xt=urn:btih:%s", B32);
	for (i = 20; low[i] != '\0'; i++)
		if (low[i] >= 'A' && low[i] <= 'Z')
			low[i] += 'a' - 'A';
	m = parse_ok(low);
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	magnet_free(m);

	/* 00 01 02 ... 13 */
	m = parse_ok("magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT");
	for (i = 0; i < 20; i++)
		ck_assert_uint_eq(m->info_hash[i], i);
	magnet_free(m);
}
END_TEST

START_TEST(xt_forms)
{
	struct magnet	*m;

	/* The same hash twice, in both encodings, and indexed. */
	m = parse_ok(LINK "&xt=urn:btih:" B32 "&xt.1=urn:btih:" HEX);
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	magnet_free(m);
	m = parse_ok("magnet:?xt.1=urn:btih:" HEX);
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	magnet_free(m);
	/* A btmh beside it (BEP 52 hybrid) is kept; other urns ignored. */
	m = parse_ok("magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64"
	    "228a7fa4fa9f6105232b28ad099f3a302e&xt=urn:btih:" HEX
	    "&xt=urn:sha1:YNCKHTQCWBTRNJIV4WNAE52SJUQCZO5C&xt=whatever");
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	ck_assert_int_eq(m->has_v2, 1);
	ck_assert_mem_eq(m->info_hash_v2, "\xca\xf1\xe1\xc3\x0e\x81\xcb\x36"
	    "\x1b\x9e\xe1\x67\xc4\xaa\x64\x22\x8a\x7f\xa4\xfa\x9f\x61\x05\x23"
	    "\x2b\x28\xad\x09\x9f\x3a\x30\x2e", 32);
	magnet_free(m);
	/* The same btmh twice, in upper case: one hash. */
	m = parse_ok(LINK "&xt=urn:btmh:1220" "CAF1E1C30E81CB361B9EE167C4AA64"
	    "228A7FA4FA9F6105232B28AD099F3A302E&xt.2=urn:btmh:1220caf1e1c30e8"
	    "1cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e");
	ck_assert_int_eq(m->has_v2, 1);
	ck_assert_int_eq(m->info_hash_v2[0], 0xca);
	magnet_free(m);
	m = parse_ok(LINK);
	ck_assert_int_eq(m->has_v2, 0);
	magnet_free(m);
	/* Unknown parameters and empty ones are skipped. */
	m = parse_ok("magnet:?&&foo=bar&" "xt=urn:btih:" HEX "&&kt=a+b&=&");
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	magnet_free(m);
	magnet_free(NULL);
}
END_TEST

START_TEST(dn_decoding)
{
	struct magnet	*m;

	m = parse_ok(LINK "&dn=Hello+World%20%C3%A9t%C3%A9+%2B+1");
	ck_assert_str_eq(m->dn, "Hello World \xc3\xa9t\xc3\xa9 + 1");
	magnet_free(m);
	/* Raw UTF-8 in the link is kept; a 4-byte sequence too. */
	m = parse_ok(LINK "&dn=caf\xc3\xa9-\xf0\x9f\x98\x80");
	ck_assert_str_eq(m->dn, "caf\xc3\xa9-\xf0\x9f\x98\x80");
	magnet_free(m);
	/* The first non-empty dn wins, indexed or not. */
	m = parse_ok(LINK "&dn=&dn.1=first&dn=second");
	ck_assert_str_eq(m->dn, "first");
	magnet_free(m);
	/* '+' is a space only in dn. */
	m = parse_ok(LINK "&tr=http://t.example/a+b");
	ck_assert_uint_eq(m->ntr, 1);
	ck_assert_str_eq(m->tr[0], "http://t.example/a+b");
	magnet_free(m);
}
END_TEST

#define FFFD	"\xef\xbf\xbd"

START_TEST(dn_sanitised)
{
	struct magnet	*m;
	char		*s;
	size_t		 i;

	/* Invalid bytes: each becomes one U+FFFD. */
	m = parse_ok(LINK "&dn=a%FFb%C0%AFc%E2%82d%ED%A0%80e");
	ck_assert_str_eq(m->dn, "a" FFFD "b" FFFD FFFD "c" FFFD FFFD "d"
	    FFFD FFFD FFFD "e");
	magnet_free(m);
	/* Controls: C0, DEL, C1, an escape sequence; bidi override. */
	m = parse_ok(LINK "&dn=x%0Ay%09%7F%C2%85%1B[31mz%E2%80%AEgpj.exe");
	ck_assert_str_eq(m->dn, "x" FFFD "y" FFFD FFFD FFFD FFFD "[31mz"
	    FFFD "gpj.exe");
	magnet_free(m);

	/* At most 1024 bytes, cut at a character boundary. */
	s = malloc(sizeof(LINK) + 4 + 2000 + 6);
	ck_assert_ptr_nonnull(s);
	strcpy(s, LINK "&dn=");
	for (i = 0; i < 2000; i++)
		strcat(s, "a");
	m = parse_ok(s);
	ck_assert_uint_eq(strlen(m->dn), 1024);
	magnet_free(m);
	s[strlen(LINK) + 4 + 1023] = '\0';
	strcat(s, "%C3%A9");
	m = parse_ok(s);
	ck_assert_uint_eq(strlen(m->dn), 1023);
	magnet_free(m);
	s[strlen(LINK) + 4 + 1022] = '\0';
	strcat(s, "%C3%A9");
	m = parse_ok(s);
	ck_assert_uint_eq(strlen(m->dn), 1024);
	ck_assert_str_eq(m->dn + 1022, "\xc3\xa9");
	magnet_free(m);
	free(s);
}
END_TEST

START_TEST(trackers)
{
	struct magnet	*m;
	char		*s, *u;

	m = parse_ok(LINK
	    "&tr=http%3A%2F%2Ft1.example%3A6969%2Fannounce"
	    "&tr=udp://t2.example:1337/announce"
	    "&tr=http://t1.example:6969/announce"	/* again */
	    "&tr=ftp://t3.example/"
	    "&tr=javascript:alert(1)"
	    "&tr=file:///etc/passwd"
	    "&tr=HTTPS://t4.example/announce"
	    "&tr=http://"				/* no host */
	    "&tr=http://t5.example/%0D%0AHost:x"	/* CRLF */
	    "&tr=http://t6.example/a%20b"		/* space */
	    "&tr=http://t7.example/%C3%A9"		/* not ASCII */
	    "&tr=");
	ck_assert_uint_eq(m->ntr, 3);
	ck_assert_str_eq(m->tr[0], "http://t1.example:6969/announce");
	ck_assert_str_eq(m->tr[1], "udp://t2.example:1337/announce");
	ck_assert_str_eq(m->tr[2], "HTTPS://t4.example/announce");
	magnet_free(m);

	/* Indexed forms are trackers; "tr." and "tr.x" are not. */
	m = parse_ok(LINK "&tr.1=http://a.example/&tr.2=udp://b.example:1"
	    "&tr.=http://c.example/&tr.x=http://d.example/&tr.10=http://a."
	    "example/");
	ck_assert_uint_eq(m->ntr, 2);
	ck_assert_str_eq(m->tr[0], "http://a.example/");
	ck_assert_str_eq(m->tr[1], "udp://b.example:1");
	magnet_free(m);

	/* 2048 bytes of URL are kept, 2049 are not. */
	s = malloc(sizeof(LINK) + 2 * (4 + 2049) + 1);
	u = malloc(2050);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(u);
	memset(u, 'a', 2049);
	memcpy(u, "http://", 7);
	u[2049] = '\0';
	snprintf(s, sizeof(LINK) + 2 * (4 + 2049) + 1, "%s&tr=%s&tr=%.2048s",
	    LINK, u, u);
	m = parse_ok(s);
	ck_assert_uint_eq(m->ntr, 1);
	ck_assert_uint_eq(strlen(m->tr[0]), 2048);
	magnet_free(m);
	free(u);
	free(s);
}
END_TEST

START_TEST(web_seeds)
{
	struct magnet	*m;

	m = parse_ok(LINK "&ws=http%3A%2F%2Fw.example%2Ff&ws=https://w.example"
	    "/g&ws=udp://w.example/&ws=ftp://w.example/&ws=http://w.example/f"
	    "&ws.1=https://w.example/h");
	ck_assert_uint_eq(m->nws, 3);
	ck_assert_str_eq(m->ws[0], "http://w.example/f");
	ck_assert_str_eq(m->ws[1], "https://w.example/g");
	ck_assert_str_eq(m->ws[2], "https://w.example/h");
	ck_assert_uint_eq(m->ntr, 0);
	magnet_free(m);
}
END_TEST

START_TEST(peers)
{
	struct magnet	*m;

	m = parse_ok(LINK "&x.pe=192.0.2.1:6881"
	    "&x.pe=%5B2001:DB8:0:0::1%5D:51413"
	    "&x.pe=[::ffff:192.0.2.9]:1"
	    "&x.pe=192.0.2.1:6881"			/* again */
	    "&x.pe=[2001:db8::1]:51413"			/* again, canonical */
	    "&x.pe.1=198.51.100.7:65535");
	ck_assert_uint_eq(m->npe, 4);
	ck_assert_str_eq(m->pe[0].addr, "192.0.2.1");
	ck_assert_uint_eq(m->pe[0].port, 6881);
	ck_assert_str_eq(m->pe[1].addr, "2001:db8::1");
	ck_assert_uint_eq(m->pe[1].port, 51413);
	ck_assert_str_eq(m->pe[2].addr, "::ffff:192.0.2.9");
	ck_assert_uint_eq(m->pe[2].port, 1);
	ck_assert_str_eq(m->pe[3].addr, "198.51.100.7");
	ck_assert_uint_eq(m->pe[3].port, 65535);
	magnet_free(m);
}
END_TEST

START_TEST(param_bound_ok)
{
	struct magnet	*m;
	char		*s;

	/* xt and 199 more: exactly the bound. */
	s = repeat_link("tr=udp://t.example:1", 199);
	m = parse_ok(s);
	ck_assert_uint_eq(m->ntr, 1);
	magnet_free(m);
	free(s);
}
END_TEST

START_TEST(err_not_magnet)
{
	const char	*e = "not a magnet link (no \"magnet:?\")";
	struct magnet	*m = NULL;

	ck_assert_str_eq(parse_fail(""), e);
	ck_assert_str_eq(parse_fail("magnet:"), e);
	ck_assert_str_eq(parse_fail("magnet:xt=urn:btih:" HEX), e);
	ck_assert_str_eq(parse_fail("http://example.com/?xt=urn:btih:" HEX),
	    e);
	ck_assert_str_eq(parse_fail(" magnet:?xt=urn:btih:" HEX), e);
	ck_assert_str_eq(parse_fail_len(NULL, 0), e);
	/* A raw NUL inside the given length. */
	ck_assert_str_eq(parse_fail_len(LINK "\0&dn=x", sizeof(LINK) + 5),
	    "NUL byte in magnet link");
	/* No error buffer: still -1, nothing written. */
	ck_assert_int_eq(magnet_parse("x", 1, &m, NULL, 0), -1);
	ck_assert_ptr_null(m);
}
END_TEST

START_TEST(err_missing_xt)
{
	ck_assert_str_eq(parse_fail("magnet:?"), "no xt=urn:btih");
	ck_assert_str_eq(parse_fail("magnet:?dn=x&tr=http://t.example/"),
	    "no xt=urn:btih");
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b"
	    "9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e"),
	    "xt: urn:btmh without urn:btih: v2-only magnet links are not "
	    "supported yet");
	/* Malformed btmh: another multihash, short, bad hex, two. */
	ck_assert_str_eq(parse_fail(LINK "&xt=urn:btmh:1114caf1e1c30e81cb361b"
	    "9ee167c4aa64228a7fa4"), "xt: urn:btmh must be a SHA-256 "
	    "multihash (1220 and 64 hex digits)");
	ck_assert_str_eq(parse_fail(LINK "&xt=urn:btmh:1220caf1"),
	    "xt: urn:btmh info-hash must be 64 hex characters, got 4");
	ck_assert_str_eq(parse_fail(LINK "&xt=urn:btmh:1220zaf1e1c30e81cb361b"
	    "9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e"),
	    "xt: bad hex character 'z' in urn:btmh");
	ck_assert_str_eq(parse_fail(LINK "&xt=urn:btmh:1220caf1e1c30e81cb361b"
	    "9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e&xt=urn:btmh:1220"
	    "0af1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e"),
	    "xt: two different v2 info-hashes");
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:sha1:" HEX),
	    "no xt=urn:btih");
	ck_assert_str_eq(parse_fail("magnet:?xt.=urn:btih:" HEX),
	    "no xt=urn:btih");
}
END_TEST

START_TEST(err_hash_length)
{
	static const size_t	 lens[] = { 0, 1, 20, 31, 33, 39, 41, 64 };
	char			 s[256], want[128];
	size_t			 i, j;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		j = (size_t)snprintf(s, sizeof(s), "magnet:?xt=urn:btih:");
		memset(s + j, 'a', lens[i]);
		s[j + lens[i]] = '\0';
		snprintf(want, sizeof(want), "xt: info-hash must be 40 hex or "
		    "32 base32 characters, got %zu", lens[i]);
		ck_assert_str_eq(parse_fail(s), want);
	}
}
END_TEST

START_TEST(err_hash_chars)
{
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:btih:"
	    "c12fe1c06bba254a9dc9f519b335aa7c1367a88g"),
	    "xt: bad hex character 'g' in info-hash");
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:btih:"
	    "c12fe1c06bba254a9dc9 519b335aa7c1367a88a"),
	    "xt: bad hex character ' ' in info-hash");
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:btih:"
	    "c12fe1c06bba254a9dc9%1B519b335aa7c1367a88a"),
	    "xt: bad hex character '\\x1b' in info-hash");
	/* base32 has no 0, 1, 8 or 9, and no padding. */
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:btih:"
	    "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1"),
	    "xt: bad base32 character '1' in info-hash");
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:btih:"
	    "0EX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK"),
	    "xt: bad base32 character '0' in info-hash");
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:btih:"
	    "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPK%3D%3D"),
	    "xt: bad base32 character '=' in info-hash");
}
END_TEST

START_TEST(err_two_hashes)
{
	ck_assert_str_eq(parse_fail(LINK "&xt=urn:btih:" HEX2),
	    "xt: two different info-hashes");
	ck_assert_str_eq(parse_fail("magnet:?xt.1=urn:btih:" B32
	    "&xt.2=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT"),
	    "xt: two different info-hashes");
}
END_TEST

START_TEST(err_percent)
{
	ck_assert_str_eq(parse_fail(LINK "&tr=%"),
	    "bad percent-encoding in tr");
	ck_assert_str_eq(parse_fail(LINK "&tr=http://t.example/%4"),
	    "bad percent-encoding in tr");
	ck_assert_str_eq(parse_fail(LINK "&tr=http://t.example/%zz/a"),
	    "bad percent-encoding in tr");
	ck_assert_str_eq(parse_fail(LINK "&tr.3=%4g"),
	    "bad percent-encoding in tr.3");
	ck_assert_str_eq(parse_fail(LINK "&dn=100%"),
	    "bad percent-encoding in dn");
	ck_assert_str_eq(parse_fail("magnet:?xt=urn%3gbtih:" HEX),
	    "bad percent-encoding in xt");
	ck_assert_str_eq(parse_fail(LINK "&x.pe=1.2.3.4:%"),
	    "bad percent-encoding in x.pe");
	ck_assert_str_eq(parse_fail(LINK "&ws=%x1"),
	    "bad percent-encoding in ws");
}
END_TEST

START_TEST(err_nul)
{
	ck_assert_str_eq(parse_fail(LINK "&dn=a%00b"), "NUL byte in dn");
	ck_assert_str_eq(parse_fail(LINK "&tr=http://t.example/%00"),
	    "NUL byte in tr");
	ck_assert_str_eq(parse_fail("magnet:?xt=urn:btih:" HEX "%00"),
	    "NUL byte in xt");
}
END_TEST

START_TEST(err_no_equals)
{
	ck_assert_str_eq(parse_fail(LINK "&foo"), "parameter 'foo' has no '='");
	ck_assert_str_eq(parse_fail("magnet:?xt&" "xt=urn:btih:" HEX),
	    "parameter 'xt' has no '='");
	/* Quoted escaped and shortened. */
	ck_assert_str_eq(parse_fail(LINK "&\x1b[2J\"x"),
	    "parameter '\\x1b[2J\\x22x' has no '='");
	ck_assert_str_eq(parse_fail(LINK
	    "&0123456789012345678901234567890123456789ABCDEF"),
	    "parameter '0123456789012345678901234567890123456789' has no '='");
}
END_TEST

START_TEST(err_peers)
{
	static const char *const	 bad[] = {
		"192.0.2.1", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536",
		"192.0.2.1:100000", "192.0.2.1:065535", "192.0.2.1:+80",
		"192.0.2.1:80x", "192.0.2.1:-1", "192.0.2:80", "192.0.2.256:80",
		"peer.example:6881", ":6881", "", "[::1]", "[::1]:", "[::1]80",
		"::1:80", "[::1:80", "[192.0.2.1]:80", "[fe80::1%25eth0]:80",
		"1.2.3.4 :80", " 1.2.3.4:80",
	};
	char	 s[256], want[256];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(s, sizeof(s), LINK "&x.pe=%s", bad[i]);
		snprintf(want, sizeof(want), "x.pe: not an IP:port: '%s'",
		    strcmp(bad[i], "[fe80::1%25eth0]:80") == 0 ?
		    "[fe80::1%eth0]:80" : bad[i]);
		ck_assert_str_eq(parse_fail(s), want);
	}
	/* Outside text in the message is escaped and shortened. */
	ck_assert_str_eq(parse_fail(LINK "&x.pe=%1B]0;pwn%07"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	    "x.pe: not an IP:port: '\\x1b]0;pwn\\x07"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'");
}
END_TEST

START_TEST(err_too_many_params)
{
	char	*s;

	s = repeat_link("foo=bar", 200);
	ck_assert_str_eq(parse_fail(s),
	    "magnet link has more than 200 parameters");
	free(s);
	/* Thousands of trackers: refused, within the length bound. */
	s = repeat_link("tr=udp://t.example:1", 3000);
	ck_assert_uint_le(strlen(s), MAGNET_MAX_LEN);
	ck_assert_str_eq(parse_fail(s),
	    "magnet link has more than 200 parameters");
	free(s);
	s = repeat_link("tr=", 5000);
	ck_assert_uint_le(strlen(s), MAGNET_MAX_LEN);
	ck_assert_str_eq(parse_fail(s),
	    "magnet link has more than 200 parameters");
	free(s);
	/* Empty parameters do not count. */
	s = repeat_link("", 5000);
	magnet_free(parse_ok(s));
	free(s);
}
END_TEST

START_TEST(err_too_long)
{
	struct magnet	*m;
	char		*s;
	size_t		 n = strlen(LINK "&x=");

	s = malloc(70001);
	ck_assert_ptr_nonnull(s);
	memset(s, 'a', 70000);
	memcpy(s, LINK "&x=", n);
	s[70000] = '\0';
	ck_assert_str_eq(parse_fail(s),
	    "magnet link is 70000 bytes, more than 65536");
	ck_assert_str_eq(parse_fail_len(s, MAGNET_MAX_LEN + 1),
	    "magnet link is 65537 bytes, more than 65536");
	/* The bound itself is accepted. */
	s[MAGNET_MAX_LEN] = '\0';
	m = parse_ok(s);
	ck_assert_mem_eq(m->info_hash, hash1, 20);
	magnet_free(m);
	free(s);
}
END_TEST

static Suite *
magnet_suite(void)
{
	Suite	*s = suite_create("magnet");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, hash_hex);
	tcase_add_test(core, hash_base32);
	tcase_add_test(core, xt_forms);
	tcase_add_test(core, dn_decoding);
	tcase_add_test(core, dn_sanitised);
	tcase_add_test(core, trackers);
	tcase_add_test(core, web_seeds);
	tcase_add_test(core, peers);
	tcase_add_test(core, param_bound_ok);
	tcase_add_test(errors, err_not_magnet);
	tcase_add_test(errors, err_missing_xt);
	tcase_add_test(errors, err_hash_length);
	tcase_add_test(errors, err_hash_chars);
	tcase_add_test(errors, err_two_hashes);
	tcase_add_test(errors, err_percent);
	tcase_add_test(errors, err_nul);
	tcase_add_test(errors, err_no_equals);
	tcase_add_test(errors, err_peers);
	tcase_add_test(errors, err_too_many_params);
	tcase_add_test(errors, err_too_long);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(magnet_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
