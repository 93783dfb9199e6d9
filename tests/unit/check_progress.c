/*
 * check_progress.c -- the pure part of the transfer (btd/btd_progress.c):
 * the torrent state machine, verified-piece bitfields (valid, grow-only,
 * loaded from untrusted rows), bytes left with a short last piece, ETA,
 * ratio and saturating counters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "btd/btd.h"

START_TEST(test_machine_download)
{
	enum tstate s = TST_QUEUED;

	s = tstate_next(s, TEV_SENT, 0);
	ck_assert_int_eq(s, TST_CHECKING);
	s = tstate_next(s, TEV_CHECKED, 0);
	ck_assert_int_eq(s, TST_DOWNLOADING);
	/* Pieces arrive; only the last makes it a seed. */
	s = tstate_next(s, TEV_DURABLE, 0);
	ck_assert_int_eq(s, TST_DOWNLOADING);
	s = tstate_next(s, TEV_DURABLE, 1);
	ck_assert_int_eq(s, TST_SEEDING);
	s = tstate_next(s, TEV_DURABLE, 1);
	ck_assert_int_eq(s, TST_SEEDING);
	/* stored restarted: sent again, checked again. */
	s = tstate_next(s, TEV_SENT, 1);
	ck_assert_int_eq(s, TST_CHECKING);
	s = tstate_next(s, TEV_CHECKED, 1);
	ck_assert_int_eq(s, TST_SEEDING);
}
END_TEST

START_TEST(test_machine_checked_complete)
{
	/* Data already in the save dir: checked, then seeding at once. */
	ck_assert_int_eq(tstate_next(TST_CHECKING, TEV_CHECKED, 1),
	    TST_SEEDING);
	/* A check that finds pieces gone makes a seed download again. */
	ck_assert_int_eq(tstate_next(TST_SEEDING, TEV_CHECKED, 0),
	    TST_DOWNLOADING);
}
END_TEST

START_TEST(test_machine_wants)
{
	/* Skipping the missing files completes it; wanting one again
	 * makes it download; other states do not move. */
	ck_assert_int_eq(tstate_next(TST_DOWNLOADING, TEV_WANTS, 1),
	    TST_SEEDING);
	ck_assert_int_eq(tstate_next(TST_SEEDING, TEV_WANTS, 0),
	    TST_DOWNLOADING);
	ck_assert_int_eq(tstate_next(TST_DOWNLOADING, TEV_WANTS, 0),
	    TST_DOWNLOADING);
	ck_assert_int_eq(tstate_next(TST_CHECKING, TEV_WANTS, 1),
	    TST_CHECKING);
	ck_assert_int_eq(tstate_next(TST_QUEUED, TEV_WANTS, 1), TST_QUEUED);
	ck_assert_int_eq(tstate_next(TST_ERROR, TEV_WANTS, 0), TST_ERROR);
}
END_TEST

START_TEST(test_machine_magnet)
{
	enum tstate s = TST_FETCHING;

	/* Nothing moves a magnet but its metadata (or an error). */
	ck_assert_int_eq(tstate_next(s, TEV_SENT, 0), TST_FETCHING);
	ck_assert_int_eq(tstate_next(s, TEV_CHECKED, 1), TST_FETCHING);
	ck_assert_int_eq(tstate_next(s, TEV_RESUME, 0), TST_FETCHING);
	ck_assert_int_eq(tstate_next(s, TEV_METADATA, 0), TST_QUEUED);
	ck_assert_int_eq(tstate_next(TST_SEEDING, TEV_METADATA, 1),
	    TST_SEEDING);
}
END_TEST

START_TEST(test_machine_error_resume)
{
	enum tstate s;

	s = tstate_next(TST_DOWNLOADING, TEV_ERROR, 0);
	ck_assert_int_eq(s, TST_ERROR);
	/* In error nothing but resume moves it. */
	ck_assert_int_eq(tstate_next(s, TEV_SENT, 0), TST_ERROR);
	ck_assert_int_eq(tstate_next(s, TEV_CHECKED, 1), TST_ERROR);
	ck_assert_int_eq(tstate_next(s, TEV_DURABLE, 1), TST_ERROR);
	s = tstate_next(s, TEV_RESUME, 0);
	ck_assert_int_eq(s, TST_QUEUED);
	ck_assert_int_eq(tstate_next(s, TEV_SENT, 0), TST_CHECKING);
	/* Out of a pause: checked again whatever it was. */
	ck_assert_int_eq(tstate_next(TST_SEEDING, TEV_RESUME, 1), TST_QUEUED);
	/* A late check result for a torrent not sent is ignored. */
	ck_assert_int_eq(tstate_next(TST_QUEUED, TEV_CHECKED, 1), TST_QUEUED);
	/* Durable pieces while checking do not skip the check's verdict. */
	ck_assert_int_eq(tstate_next(TST_CHECKING, TEV_DURABLE, 1),
	    TST_CHECKING);
}
END_TEST

START_TEST(test_names)
{
	int i;

	for (i = TST_FETCHING; i <= TST_ERROR; i++)
		ck_assert_int_eq(tstate_parse(tstate_name((enum tstate)i)), i);
	ck_assert_str_eq(tstate_name(TST_FETCHING), "fetching metadata");
	ck_assert_str_eq(tstate_name(TST_SEEDING), "seeding");
	ck_assert_int_eq(tstate_parse("paused"), -1);	/* a flag, not a state */
	ck_assert_int_eq(tstate_parse(""), -1);
	ck_assert_int_eq(tstate_parse(NULL), -1);
	ck_assert_int_eq(tstate_parse("Seeding"), -1);
}
END_TEST

START_TEST(test_bitfield)
{
	uint8_t bf[3] = { 0 };

	ck_assert_uint_eq(bf_len(0), 0);
	ck_assert_uint_eq(bf_len(1), 1);
	ck_assert_uint_eq(bf_len(8), 1);
	ck_assert_uint_eq(bf_len(17), 3);
	/* Piece 0 is the high bit of byte 0 (BEP 3). */
	ck_assert_int_eq(bf_set(bf, 17, 0), 1);
	ck_assert_uint_eq(bf[0], 0x80);
	ck_assert_int_eq(bf_set(bf, 17, 16), 1);
	ck_assert_uint_eq(bf[2], 0x80);
	/* Grow-only: setting again changes nothing and says so. */
	ck_assert_int_eq(bf_set(bf, 17, 0), 0);
	ck_assert_uint_eq(bf_count(bf, 17), 2);
	/* Out of range is refused and leaves the field as it was. */
	ck_assert_int_eq(bf_set(bf, 17, 17), -1);
	ck_assert_int_eq(bf_set(bf, 17, UINT32_MAX), -1);
	ck_assert_uint_eq(bf[2], 0x80);
	ck_assert_int_eq(bf_get(bf, 17, 16), 1);
	ck_assert_int_eq(bf_get(bf, 17, 15), 0);
	ck_assert_int_eq(bf_get(bf, 17, 17), 0);
	ck_assert_int_eq(bf_valid(bf, 3, 17), 1);
}
END_TEST

START_TEST(test_bitfield_invalid)
{
	uint8_t bf[3] = { 0xff, 0xff, 0x80 };

	ck_assert_int_eq(bf_valid(bf, 3, 17), 1);
	ck_assert_int_eq(bf_valid(bf, 2, 17), 0);	/* short */
	ck_assert_int_eq(bf_valid(bf, 3, 16), 0);	/* long */
	bf[2] = 0xc0;					/* spare bit set */
	ck_assert_int_eq(bf_valid(bf, 3, 17), 0);
	bf[2] = 0x01;
	ck_assert_int_eq(bf_valid(bf, 3, 17), 0);
	ck_assert_int_eq(bf_valid(NULL, 1, 8), 0);
	ck_assert_int_eq(bf_valid(NULL, 0, 0), 1);
	ck_assert_uint_eq(bf_count((const uint8_t *)"\xff\xff\xff", 24), 24);
}
END_TEST

START_TEST(test_load_bitfield)
{
	uint8_t		 out[3], good[3] = { 0xa0, 0x00, 0x80 };
	uint8_t		 spare[3] = { 0xff, 0xff, 0xff };

	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(progress_load_bitfield(good, 3, 17, out), 3);
	ck_assert_mem_eq(out, good, 3);
	/* Wrong length, or spare bits set: empty, never a guess. */
	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(progress_load_bitfield(good, 2, 17, out), -1);
	ck_assert_mem_eq(out, "\0\0\0", 3);
	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(progress_load_bitfield(spare, 3, 17, out), -1);
	ck_assert_mem_eq(out, "\0\0\0", 3);
	/* Nothing recorded: empty and fine. */
	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(progress_load_bitfield(NULL, 0, 17, out), 0);
	ck_assert_mem_eq(out, "\0\0\0", 3);
	ck_assert_uint_eq(progress_row_counter(-1), 0);
	ck_assert_uint_eq(progress_row_counter(INT64_MIN), 0);
	ck_assert_uint_eq(progress_row_counter(12345), 12345);
}
END_TEST

START_TEST(test_have_bytes)
{
	uint8_t bf[2] = { 0 };
	/* 10 pieces of 16 KiB, the last one 100 bytes. */
	uint64_t plen = 16384, total = 9 * 16384 + 100;

	ck_assert_uint_eq(progress_have_bytes(bf, 10, plen, total), 0);
	bf_set(bf, 10, 0);
	ck_assert_uint_eq(progress_have_bytes(bf, 10, plen, total), plen);
	bf_set(bf, 10, 9);
	ck_assert_uint_eq(progress_have_bytes(bf, 10, plen, total),
	    plen + 100);
	memset(bf, 0xff, 1);
	bf[1] = 0xc0;
	ck_assert_uint_eq(progress_have_bytes(bf, 10, plen, total), total);
	ck_assert_uint_eq(progress_have_bytes(NULL, 10, plen, total), 0);
	/* One piece that is the whole torrent. */
	bf[0] = 0x80;
	ck_assert_uint_eq(progress_have_bytes(bf, 1, 32768, 5), 5);
}
END_TEST

START_TEST(test_eta_ratio)
{
	ck_assert_int_eq(progress_eta(0, 0), 0);
	ck_assert_int_eq(progress_eta(1000, 0), -1);
	ck_assert_int_eq(progress_eta(1000, 100), 10);
	ck_assert_int_eq(progress_eta(1001, 100), 11);	/* rounded up */
	ck_assert_int_eq(progress_eta(UINT64_MAX, 1), INT64_MAX);
	ck_assert_double_eq(progress_ratio(50, 100, 1000), 0.5);
	/* Seeding what was there: uploaded / size. */
	ck_assert_double_eq(progress_ratio(2000, 0, 1000), 2.0);
	ck_assert_double_eq(progress_ratio(0, 0, 0), -1.0);
	ck_assert_double_eq(progress_ratio(0, 0, 10), 0.0);
	ck_assert_uint_eq(sat_add(1, 2), 3);
	ck_assert_uint_eq(sat_add(UINT64_MAX - 1, 5), UINT64_MAX);
	ck_assert_uint_eq(sat_add(UINT64_MAX, UINT64_MAX), UINT64_MAX);
}
END_TEST

static Suite *
progress_suite(void)
{
	Suite	*s = suite_create("progress");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_test(tc, test_machine_download);
	tcase_add_test(tc, test_machine_checked_complete);
	tcase_add_test(tc, test_machine_magnet);
	tcase_add_test(tc, test_machine_wants);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_bitfield);
	tcase_add_test(tc, test_have_bytes);
	tcase_add_test(tc, test_eta_ratio);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_machine_error_resume);
	tcase_add_test(tc, test_bitfield_invalid);
	tcase_add_test(tc, test_load_bitfield);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(progress_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
