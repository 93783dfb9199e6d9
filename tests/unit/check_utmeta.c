/*
 * check_utmeta.c -- the ut_metadata codec and assembler (lib/utmeta.c):
 * every message built and parsed back, piece arithmetic, an info
 * dictionary assembled from pieces in any order and verified against
 * its SHA-1, and the ut_metadata rows of HOSTILE.md: metadata_size -1,
 * 0, 2^31 and above the cap refused before allocating; pieces out of
 * range, oversized, short but not last, of another total size; bytes
 * whose SHA-1 is not the info-hash thrown away for a new try.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "utmeta.h"

static uint8_t	msg[UTM_MAX_MSG];

/* A payload from text (a dictionary) and trailing bytes. */
static size_t
mk(const char *dict, const uint8_t *tail, size_t tlen)
{
	size_t n = strlen(dict);

	memcpy(msg, dict, n);
	if (tlen > 0)
		memcpy(msg + n, tail, tlen);
	return n + tlen;
}

START_TEST(build_parse_request_reject)
{
	struct utm_msg	 m;
	char		 err[128];
	size_t		 n;

	n = utm_build(msg, UTM_REQUEST, 7, 0, NULL, 0);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(memcmp(msg, "d8:msg_typei0e5:piecei7ee", n), 0);
	ck_assert_int_eq(utm_parse(msg, n, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.type, UTM_REQUEST);
	ck_assert_uint_eq(m.piece, 7);
	n = utm_build(msg, UTM_REJECT, 3, 0, NULL, 0);
	ck_assert_int_eq(memcmp(msg, "d8:msg_typei2e5:piecei3ee", n), 0);
	ck_assert_int_eq(utm_parse(msg, n, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.type, UTM_REJECT);
	ck_assert_uint_eq(m.piece, 3);
}
END_TEST

START_TEST(build_parse_data)
{
	struct utm_msg	 m;
	uint8_t		 piece[UTM_PIECE];
	char		 err[128];
	size_t		 n;

	memset(piece, 0xa5, sizeof(piece));
	n = utm_build(msg, UTM_DATA, 1, 40000, piece, sizeof(piece));
	ck_assert_uint_gt(n, sizeof(piece));
	ck_assert_int_eq(memcmp(msg, "d8:msg_typei1e5:piecei1e10:total_size"
	    "i40000ee", n - sizeof(piece)), 0);
	ck_assert_int_eq(utm_parse(msg, n, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.type, UTM_DATA);
	ck_assert_uint_eq(m.piece, 1);
	ck_assert_uint_eq(m.total_size, 40000);
	ck_assert_uint_eq(m.len, sizeof(piece));
	ck_assert_int_eq(memcmp(m.data, piece, sizeof(piece)), 0);
	/* The last, short piece: the codec takes it, the assembler judges. */
	n = utm_build(msg, UTM_DATA, 2, 40000, piece, 40000 - 2 * UTM_PIECE);
	ck_assert_int_eq(utm_parse(msg, n, &m, err, sizeof(err)), 0);
	ck_assert_uint_eq(m.len, 40000 - 2 * UTM_PIECE);
	/* Keys in another order, extra keys: still the same message. */
	n = mk("d5:piecei0e10:total_sizei5e8:msg_typei1e1:xi9ee",
	    (const uint8_t *)"hello", 5);
	ck_assert_int_eq(utm_parse(msg, n, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.type, UTM_DATA);
	ck_assert_uint_eq(m.len, 5);
	ck_assert_int_eq(memcmp(m.data, "hello", 5), 0);
}
END_TEST

START_TEST(unknown_type_ignored)
{
	struct utm_msg	 m;
	char		 err[128];
	size_t		 n;

	n = mk("d8:msg_typei9e5:piecei0ee", NULL, 0);
	ck_assert_int_eq(utm_parse(msg, n, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(m.type, UTM_UNKNOWN);
}
END_TEST

START_TEST(piece_arith)
{
	ck_assert_uint_eq(utm_npieces(1), 1);
	ck_assert_uint_eq(utm_npieces(UTM_PIECE), 1);
	ck_assert_uint_eq(utm_npieces(UTM_PIECE + 1), 2);
	ck_assert_uint_eq(utm_npieces(UTM_MAX_SIZE), UTM_MAX_PIECES);
	ck_assert_uint_eq(utm_piece_len(UTM_PIECE + 1, 0), UTM_PIECE);
	ck_assert_uint_eq(utm_piece_len(UTM_PIECE + 1, 1), 1);
	ck_assert_uint_eq(utm_piece_len(UTM_PIECE + 1, 2), 0);
	ck_assert_uint_eq(utm_piece_len(100, 0xffffffffU), 0);
}
END_TEST

/* Random-looking metadata of n bytes, and its SHA-1. */
static uint8_t *
meta(size_t n, uint8_t ih[20])
{
	uint8_t	*b = malloc(n);
	size_t	 i;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 131 + (i >> 8));
	SHA1(b, n, ih);
	return b;
}

START_TEST(assemble_verify)
{
	struct utm_asm	 a;
	uint8_t		 ih[20], *b;
	uint32_t	 size = 3 * UTM_PIECE + 100, i;
	char		 err[128];

	b = meta(size, ih);
	ck_assert_int_eq(utm_asm_init(&a, ih, size, err, sizeof(err)), 0);
	ck_assert_uint_eq(a.npieces, 4);
	/* Out of order, with a duplicate. */
	for (i = 4; i-- > 0;) {
		ck_assert_int_eq(utm_asm_complete(&a), 0);
		ck_assert_int_eq(utm_asm_put(&a, i, size, b + i * UTM_PIECE,
		    utm_piece_len(size, i), err, sizeof(err)), 1);
		ck_assert_int_eq(utm_asm_has(&a, i), 1);
	}
	ck_assert_int_eq(utm_asm_put(&a, 0, size, b, UTM_PIECE, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(utm_asm_complete(&a), 1);
	ck_assert_int_eq(utm_asm_verify(&a), 1);
	ck_assert_int_eq(memcmp(a.buf, b, size), 0);
	utm_asm_free(&a);
	utm_asm_free(&a);	/* zeroed: a second free is harmless */
	utm_asm_free(NULL);
	free(b);
}
END_TEST

START_TEST(assemble_wrong_hash)
{
	struct utm_asm	 a;
	uint8_t		 ih[20], *b;
	uint32_t	 size = 2 * UTM_PIECE, i;
	char		 err[128];

	b = meta(size, ih);
	ck_assert_int_eq(utm_asm_init(&a, ih, size, err, sizeof(err)), 0);
	b[5] ^= 1;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(utm_asm_put(&a, i, size, b + i * UTM_PIECE,
		    UTM_PIECE, err, sizeof(err)), 1);
	ck_assert_int_eq(utm_asm_verify(&a), 0);
	/* Thrown away: every piece is wanted again. */
	ck_assert_int_eq(utm_asm_complete(&a), 0);
	ck_assert_int_eq(utm_asm_has(&a, 0), 0);
	ck_assert_uint_eq(a.ngot, 0);
	b[5] ^= 1;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(utm_asm_put(&a, i, size, b + i * UTM_PIECE,
		    UTM_PIECE, err, sizeof(err)), 1);
	ck_assert_int_eq(utm_asm_verify(&a), 1);
	utm_asm_free(&a);
	free(b);
}
END_TEST

START_TEST(err_sizes)
{
	static const int64_t bad[] = { -1, 0, 1LL << 31, UTM_MAX_SIZE + 1LL,
	    INT64_MAX, INT64_MIN };
	struct utm_asm	 a;
	uint8_t		 ih[20] = { 0 };
	char		 err[128];
	size_t		 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(utm_asm_init(&a, ih, bad[i], err,
		    sizeof(err)), -1);
		ck_assert_ptr_null(a.buf);
		ck_assert_ptr_nonnull(strstr(err, "metadata_size"));
		ck_assert_int_eq(utm_size_check(bad[i], err, sizeof(err)), -1);
	}
	ck_assert_int_eq(utm_size_check(UTM_MAX_SIZE, err, sizeof(err)), 0);
	ck_assert_int_eq(utm_size_check(1, err, sizeof(err)), 0);
	/* The same bounds for a data message's total_size. */
	n = mk("d8:msg_typei1e5:piecei0e10:total_sizei-1ee", NULL, 0);
	ck_assert_int_eq(utm_parse(msg, n, &(struct utm_msg){ 0 }, err,
	    sizeof(err)), -1);
	n = mk("d8:msg_typei1e5:piecei0e10:total_sizei0ee", NULL, 0);
	ck_assert_int_eq(utm_parse(msg, n, &(struct utm_msg){ 0 }, err,
	    sizeof(err)), -1);
	n = mk("d8:msg_typei1e5:piecei0e10:total_sizei2147483648ee", NULL, 0);
	ck_assert_int_eq(utm_parse(msg, n, &(struct utm_msg){ 0 }, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "over the bound"));
}
END_TEST

START_TEST(err_messages)
{
	static const char *const bad[] = {
		"",				/* nothing */
		"le",				/* not a dictionary */
		"d5:piecei0ee",			/* no msg_type */
		"d8:msg_type1:05:piecei0ee",	/* msg_type not an integer */
		"d8:msg_typei0ee",		/* no piece */
		"d8:msg_typei0e5:piecei-1ee",	/* negative piece */
		"d8:msg_typei0e5:piecei512ee",	/* past UTM_MAX_PIECES */
		"d8:msg_typei0e5:piecei99999999999999999999ee",
		"d8:msg_typei1e5:piecei0ee",	/* data, no total_size */
		"d8:msg_typei1e5:piecei1e10:total_sizei16384ee", /* past it */
		"d8:msg_typei0e5:piecei0e",	/* unterminated */
		"d8:msg_typei0e8:msg_typei0e5:piecei0ee",	/* duplicate */
	};
	struct utm_msg	 m;
	uint8_t		 big[UTM_PIECE + 1];
	char		 err[128];
	size_t		 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		n = mk(bad[i], NULL, 0);
		ck_assert_msg(utm_parse(msg, n, &m, err, sizeof(err)) == -1,
		    "accepted %s", bad[i]);
		ck_assert_msg(strncmp(err, "ut_metadata: ", 13) == 0,
		    "error text '%s'", err);
	}
	/* Oversized data. */
	memset(big, 1, sizeof(big));
	n = mk("d8:msg_typei1e5:piecei0e10:total_sizei99999ee", big,
	    sizeof(big));
	ck_assert_int_eq(utm_parse(msg, n, &m, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "over 16384"));
	/* Builders refuse what they would not parse. */
	ck_assert_uint_eq(utm_build(msg, UTM_DATA, 0, 0, big, 1), 0);
	ck_assert_uint_eq(utm_build(msg, UTM_DATA, 0, 10, big, sizeof(big)),
	    0);
	ck_assert_uint_eq(utm_build(msg, UTM_REQUEST, UTM_MAX_PIECES, 0,
	    NULL, 0), 0);
	ck_assert_uint_eq(utm_build(msg, 7, 0, 0, NULL, 0), 0);
}
END_TEST

START_TEST(err_pieces)
{
	struct utm_asm	 a;
	uint8_t		 ih[20], *b;
	uint32_t	 size = 2 * UTM_PIECE + 10;
	char		 err[128];

	b = meta(size, ih);
	ck_assert_int_eq(utm_asm_put(&(struct utm_asm){ 0 }, 0, size, b, 10,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(utm_asm_init(&a, ih, size, err, sizeof(err)), 0);
	/* Out of range. */
	ck_assert_int_eq(utm_asm_put(&a, 3, size, b, 10, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
	/* Another total size. */
	ck_assert_int_eq(utm_asm_put(&a, 0, size + 1, b, UTM_PIECE, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "total_size"));
	/* Short but not last. */
	ck_assert_int_eq(utm_asm_put(&a, 0, size, b, UTM_PIECE - 1, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "short"));
	ck_assert_ptr_nonnull(strstr(err, "not the last"));
	/* The last piece: exactly its length. */
	ck_assert_int_eq(utm_asm_put(&a, 2, size, b, 11, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "oversized"));
	ck_assert_int_eq(utm_asm_put(&a, 2, size, b, 9, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(utm_asm_put(&a, 2, size, b + 2 * UTM_PIECE, 10, err,
	    sizeof(err)), 1);
	ck_assert_uint_eq(a.ngot, 1);
	ck_assert_int_eq(utm_asm_verify(&a), 0);	/* not complete */
	ck_assert_uint_eq(a.ngot, 1);
	utm_asm_free(&a);
	free(b);
}
END_TEST

static Suite *
utmeta_suite(void)
{
	Suite	*s = suite_create("utmeta");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, build_parse_request_reject);
	tcase_add_test(core, build_parse_data);
	tcase_add_test(core, unknown_type_ignored);
	tcase_add_test(core, piece_arith);
	tcase_add_test(core, assemble_verify);
	tcase_add_test(core, assemble_wrong_hash);
	tcase_add_test(errors, err_sizes);
	tcase_add_test(errors, err_messages);
	tcase_add_test(errors, err_pieces);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(utmeta_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
