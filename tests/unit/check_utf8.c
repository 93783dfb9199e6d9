/*
 * check_utf8.c -- the strict UTF-8 decoder of lib/utf8.c: the length
 * and code point of every scalar value's encoding, the edges of each
 * range, and the refusal of every kind of ill-formed input (overlong
 * forms, surrogates, values past U+10FFFF, bad and missing
 * continuation bytes, bytes that never lead).
 *
 * Besides the named cases, utf8_decode() is compared with a reference
 * built the other way round: bytes are well-formed when some scalar
 * value encodes to exactly them.  Loops count mismatches and assert
 * once, since a Check assertion per call would dominate the run time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "utf8.h"

#define UNTOUCHED	0xffffffffU	/* *cp before a call that must fail */

/* The shortest encoding of cp (below 2^21) into b: its length. */
static size_t
encode(uint32_t cp, uint8_t *b)
{
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (uint8_t)(0xf0 | cp >> 18);
	b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	b[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

static int
is_scalar(uint32_t cp)
{
	return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
}

/*
 * The reference: p[0, len) starts a well-formed sequence of n bytes if
 * the value those n bytes would carry is a scalar value whose encoding
 * is exactly them.  At most one n can match: an encoding's first byte
 * gives its length.
 */
static int
reference(const uint8_t *p, size_t len, uint32_t *cp)
{
	uint8_t		b[4];
	uint32_t	c;
	size_t		n, i;

	for (n = 1; n <= 4 && n <= len; n++) {
		c = p[0] & (n == 1 ? 0x7f : 0xffU >> (n + 1));
		for (i = 1; i < n; i++)
			c = c << 6 | (p[i] & 0x3f);
		if (is_scalar(c) && encode(c, b) == n && memcmp(b, p, n) == 0) {
			*cp = c;
			return (int)n;
		}
	}
	return 0;
}

/* core */

START_TEST(ascii)
{
	uint8_t		b[2];
	uint32_t	cp;
	int		c;

	for (c = 0; c < 0x80; c++) {
		b[0] = (uint8_t)c;
		b[1] = 0x80;
		cp = UNTOUCHED;
		ck_assert_int_eq(utf8_decode(b, sizeof(b), &cp), 1);
		ck_assert_uint_eq(cp, (uint32_t)c);
	}
}
END_TEST

/* The edges of each range, decoded from a buffer with more after it. */
static const struct {
	const char	*in;
	int		 len;
	uint32_t	 cp;
} edges[] = {
	{ "\xc2\x80", 2, 0x80 },
	{ "\xdf\xbf", 2, 0x7ff },
	{ "\xe0\xa0\x80", 3, 0x800 },
	{ "\xe2\x82\xac", 3, 0x20ac },		/* euro sign */
	{ "\xed\x9f\xbf", 3, 0xd7ff },		/* last before surrogates */
	{ "\xee\x80\x80", 3, 0xe000 },		/* first after them */
	{ "\xef\xbf\xbd", 3, 0xfffd },
	{ "\xef\xbf\xbf", 3, 0xffff },
	{ "\xf0\x90\x80\x80", 4, 0x10000 },
	{ "\xf0\x9f\x98\x80", 4, 0x1f600 },
	{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },	/* the last code point */
};

START_TEST(range_edges)
{
	uint8_t		b[8];
	uint32_t	cp = UNTOUCHED;
	size_t		n = strlen(edges[_i].in);

	ck_assert_uint_eq(n, (size_t)edges[_i].len);
	memcpy(b, edges[_i].in, n);
	memcpy(b + n, "\xc3\xa9" "A", 3);	/* only the first counts */
	ck_assert_int_eq(utf8_decode(b, n + 3, &cp), edges[_i].len);
	ck_assert_uint_eq(cp, edges[_i].cp);
	cp = UNTOUCHED;
	ck_assert_int_eq(utf8_decode(b, n, &cp), edges[_i].len);
	ck_assert_uint_eq(cp, edges[_i].cp);
	ck_assert_int_eq(utf8_valid(edges[_i].in), 1);
}
END_TEST

/* Every scalar value round-trips, from a buffer of exactly its size. */
START_TEST(every_scalar)
{
	uint8_t		b[4], *heap;
	uint32_t	c, cp, first = UNTOUCHED;
	size_t		n, bad = 0;

	for (c = 0; c <= 0x10ffff; c++) {
		if (!is_scalar(c))
			continue;
		n = encode(c, b);
		cp = UNTOUCHED;
		if (utf8_decode(b, n, &cp) != (int)n || cp != c) {
			if (bad++ == 0)
				first = c;
		}
	}
	if (bad != 0)
		ck_abort_msg("%zu scalar values misdecoded, first U+%04X",
		    bad, (unsigned)first);

	/* On the heap, so that reading past the end is a sanitizer error. */
	n = encode(0x10ffff, b);
	ck_assert_ptr_nonnull(heap = malloc(n));
	memcpy(heap, b, n);
	ck_assert_int_eq(utf8_decode(heap, n, &cp), 4);
	ck_assert_uint_eq(cp, 0x10ffff);
	free(heap);
}
END_TEST

START_TEST(valid_strings)
{
	ck_assert_int_eq(utf8_valid(""), 1);
	ck_assert_int_eq(utf8_valid("plain ASCII ~\x7f\x01"), 1);
	ck_assert_int_eq(utf8_valid("caf\xc3\xa9 \xe2\x80\xae na\xc3\xafve"),
	    1);
	ck_assert_int_eq(utf8_valid("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"), 1);
	/* The NUL ends the string: what follows is not looked at. */
	ck_assert_int_eq(utf8_valid("a\0\xff"), 1);
}
END_TEST

/* errors */

/* Each of these is refused at its first byte, whatever len allows. */
static const struct {
	const char	*in;
	size_t		 len;
} invalid[] = {
	{ "\x80\x80", 2 },		/* lone continuation bytes */
	{ "\xbf\x80", 2 },
	{ "\xc0\x80", 2 },		/* overlong NUL */
	{ "\xc0\xaf", 2 },		/* overlong '/' */
	{ "\xc1\xbf", 2 },		/* overlong U+007F */
	{ "\xe0\x80\x80", 3 },		/* overlong, 3 bytes */
	{ "\xe0\x9f\xbf", 3 },		/* overlong U+07FF */
	{ "\xf0\x80\x80\x80", 4 },	/* overlong, 4 bytes */
	{ "\xf0\x8f\xbf\xbf", 4 },	/* overlong U+FFFF */
	{ "\xed\xa0\x80", 3 },		/* U+D800 */
	{ "\xed\xbf\xbf", 3 },		/* U+DFFF */
	{ "\xf4\x90\x80\x80", 4 },	/* U+110000 */
	{ "\xf5\x80\x80\x80", 4 },	/* lead of U+140000 */
	{ "\xf7\xbf\xbf\xbf", 4 },	/* U+1FFFFF */
	{ "\xf8\x88\x80\x80\x80", 5 },	/* the old 5-byte form */
	{ "\xfc\x84\x80\x80\x80\x80", 6 },
	{ "\xfe\x80", 2 },
	{ "\xff\x80", 2 },
	{ "\xc2\x41", 2 },		/* continuation missing */
	{ "\xc2\xc3\xa9", 3 },
	{ "\xe2\x41\xac", 3 },
	{ "\xe2\x82\x41", 3 },
	{ "\xf0\x9f\x98\x41", 4 },
	{ "\xf0\x9f\xc0\x80", 4 },
	{ "\xc3", 1 },			/* cut by the end of the buffer */
	{ "\xe2\x82", 2 },
	{ "\xf0\x9f\x98", 3 },
};

START_TEST(invalid_sequences)
{
	uint8_t		*heap;
	uint32_t	 cp = UNTOUCHED;
	size_t		 n = invalid[_i].len;

	/* Exactly len bytes on the heap: no read past them goes unseen. */
	ck_assert_ptr_nonnull(heap = malloc(n));
	memcpy(heap, invalid[_i].in, n);
	ck_assert_int_eq(utf8_decode(heap, n, &cp), 0);
	ck_assert_uint_eq(cp, UNTOUCHED);
	free(heap);
	ck_assert_int_eq(utf8_valid(invalid[_i].in), 0);
}
END_TEST

/* A well-formed sequence is refused when len stops short of its end. */
START_TEST(short_len)
{
	uint32_t	cp = UNTOUCHED;
	size_t		n = strlen(edges[_i].in), len;

	for (len = 1; len < n; len++) {
		ck_assert_int_eq(utf8_decode((const uint8_t *)edges[_i].in,
		    len, &cp), 0);
		ck_assert_uint_eq(cp, UNTOUCHED);
	}
}
END_TEST

START_TEST(empty_input)
{
	uint32_t	cp = UNTOUCHED;

	ck_assert_int_eq(utf8_decode((const uint8_t *)"A", 0, &cp), 0);
	ck_assert_uint_eq(cp, UNTOUCHED);
}
END_TEST

START_TEST(invalid_strings)
{
	/* At the end, at the start, cut by the NUL. */
	ck_assert_int_eq(utf8_valid("caf\xc3\xa9\x80"), 0);
	ck_assert_int_eq(utf8_valid("\x80" "caf\xc3\xa9"), 0);
	ck_assert_int_eq(utf8_valid("abc\xc3"), 0);
	ck_assert_int_eq(utf8_valid("\xe2\x82"), 0);
	/* A surrogate pair encoded one half at a time (CESU-8). */
	ck_assert_int_eq(utf8_valid("a\xed\xa0\xbd\xed\xb8\x80"), 0);
	/* The NUL of "modified UTF-8". */
	ck_assert_int_eq(utf8_valid("\xc0\x80"), 0);
}
END_TEST

/*
 * Every first and second byte, with third and fourth bytes at the edges
 * of the continuation range and beyond, at every len up to 4: the
 * decoder agrees with the reference on the length and the value.
 */
START_TEST(agrees_with_reference)
{
	static const uint8_t	tail[] = {
		0x00, 0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff
	};
	const size_t	nt = sizeof(tail);
	uint8_t		b[4];
	uint32_t	cp, rcp;
	size_t		k, len, bad = 0, valid = 0, calls = 0;
	int		got, want;
	char		first[64] = "";

	for (k = 0; k < 256 * 256 * nt * nt; k++) {
		b[0] = (uint8_t)(k & 0xff);
		b[1] = (uint8_t)(k >> 8 & 0xff);
		b[2] = tail[(k >> 16) % nt];
		b[3] = tail[(k >> 16) / nt];
		for (len = 1; len <= 4; len++) {
			cp = rcp = UNTOUCHED;
			got = utf8_decode(b, len, &cp);
			want = reference(b, len, &rcp);
			calls++;
			if (got > 0)
				valid++;
			if (got == want && cp == rcp)
				continue;
			if (bad++ == 0)
				snprintf(first, sizeof(first),
				    "%02x %02x %02x %02x len %zu: %d, want %d",
				    b[0], b[1], b[2], b[3], len, got, want);
		}
	}
	if (bad != 0)
		ck_abort_msg("%zu disagreements, first %s", bad, first);
	/* Not vacuous: both answers were seen, many times each. */
	ck_assert_uint_gt(valid, 100000);
	ck_assert_uint_gt(calls - valid, 100000);
}
END_TEST

START_TEST(unsafe_characters)
{
	const uint32_t bad[] = { 0x00, 0x1b, 0x1f, 0x7f, 0x85, 0x9f, 0x061c,
	    0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202e, 0x2066, 0x2069 };
	const uint32_t good[] = { 0x20, 'a', 0x7e, 0xa0, 0xe9, 0x200d, 0x2027,
	    0x202f, 0x2065, 0x206a, 0xfffd, 0x1f600 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(utf8_unsafe(bad[i]), "U+%04X", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(!utf8_unsafe(good[i]), "U+%04X", good[i]);
}
END_TEST

static Suite *
utf8_suite(void)
{
	Suite	*s = suite_create("utf8");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, unsafe_characters);
	tcase_add_test(core, ascii);
	tcase_add_loop_test(core, range_edges, 0,
	    sizeof(edges) / sizeof(edges[0]));
	tcase_add_test(core, every_scalar);
	tcase_add_test(core, valid_strings);
	tcase_add_loop_test(errors, invalid_sequences, 0,
	    sizeof(invalid) / sizeof(invalid[0]));
	tcase_add_loop_test(errors, short_len, 0,
	    sizeof(edges) / sizeof(edges[0]));
	tcase_add_test(errors, empty_input);
	tcase_add_test(errors, invalid_strings);
	tcase_add_test(errors, agrees_with_reference);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(utf8_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
