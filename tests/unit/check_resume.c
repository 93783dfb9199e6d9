/*
 * check_resume.c -- the quick-resume decision of stored (stored_resume.c)
 * on a fake view of the file system: files as recorded are trusted
 * without hashing; a file truncated, rewritten, touched or without a
 * record has its recorded pieces hashed (only those); a missing file
 * loses the recorded pieces that touch it and is reported; pieces not
 * recorded are hashed where their bytes exist; after an unclean stop
 * a file written by stored in the seconds before it keeps its pieces,
 * one changed later, shrunk or older does not.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stored/stored.h"

/*
 * Four files in 32-byte pieces, 260 bytes, 9 pieces:
 *
 *   A   0- 99   pieces 0 1 2 3
 *   B 100-149   pieces 3 4
 *   C 150-219   pieces 4 5 6
 *   D 220-259   pieces 6 7 8 (8 is 4 bytes long)
 */
#define NF	4
#define NP	9
#define SEC	1000000000LL

static struct smap_file	 mf[NF + 1];
static struct smap	 m;
static struct sres_file	 f[NF + 1];
static uint8_t		 have[2], verdict[NP], missing[1];
static struct sres_count c;

static void
setup(void)
{
	static const uint64_t len[NF] = { 100, 50, 70, 40 };
	uint64_t pos = 0;
	int i;

	memset(mf, 0, sizeof(mf));
	for (i = 0; i < NF; i++) {
		mf[i].offset = pos;
		mf[i].length = len[i];
		pos += len[i];
	}
	m.files = mf;
	m.nfiles = NF;
	m.piece_length = 32;
	m.total = pos;
	m.piece_count = NP;
	/* Every file on disk, whole, exactly as recorded. */
	for (i = 0; i < NF; i++) {
		f[i].size = (int64_t)len[i];
		f[i].mtime = 1700000000 * SEC + i;
		f[i].rec = 1;
		f[i].rec_size = len[i];
		f[i].rec_mtime = f[i].mtime;
	}
	/* Every piece recorded verified. */
	have[0] = 0xff;
	have[1] = 0x80;
	memset(verdict, 0xee, sizeof(verdict));
}

/* verdict[] as a string: T trust, H hash, L lost, M missing. */
static const char *
vstr(void)
{
	static char	 s[NP + 1];
	static const char letters[] = "MTHL";
	int		 i;

	for (i = 0; i < NP; i++)
		s[i] = verdict[i] < 4 ? letters[verdict[i]] : '?';
	s[NP] = '\0';
	return s;
}

static void
decide(int recheck, int64_t written_until)
{
	sres_decide(&m, f, have, recheck, written_until, verdict, missing,
	    &c);
}

START_TEST(as_recorded_trusted)
{
	decide(0, 0);
	ck_assert_str_eq(vstr(), "TTTTTTTTT");
	ck_assert_uint_eq(c.trust, NP);
	ck_assert_uint_eq(c.hash, 0);
	ck_assert_uint_eq(c.lost, 0);
	ck_assert_uint_eq(missing[0], 0);
}
END_TEST

/* The integration test's four changes, one file at a time. */
START_TEST(truncated)
{
	f[0].size = 70;		/* A: pieces 0, 1 whole; 2, 3 cut */
	decide(0, 0);
	ck_assert_str_eq(vstr(), "HHLLTTTTT");
	ck_assert_uint_eq(c.hash, 2);
	ck_assert_uint_eq(c.lost, 2);
	/* Short, not missing: not reported. */
	ck_assert_uint_eq(missing[0], 0);
}
END_TEST

START_TEST(rewritten_same_size)
{
	f[1].mtime += 5 * SEC;	/* B: a byte overwritten */
	decide(0, 0);
	ck_assert_str_eq(vstr(), "TTTHHTTTT");
	ck_assert_uint_eq(c.hash, 2);
	ck_assert_uint_eq(c.trust, NP - 2);
}
END_TEST

START_TEST(deleted)
{
	f[2].size = -1;		/* C */
	f[2].mtime = 0;
	decide(0, 0);
	ck_assert_str_eq(vstr(), "TTTTLLLTT");
	ck_assert_uint_eq(c.lost, 3);
	ck_assert_uint_eq(missing[0], 0x80 >> 2);	/* file 2 */
}
END_TEST

START_TEST(touched)
{
	f[3].mtime += 1;	/* D: same bytes, new mtime */
	decide(0, 0);
	ck_assert_str_eq(vstr(), "TTTTTTHHH");
	ck_assert_uint_eq(c.hash, 3);
}
END_TEST

START_TEST(all_four)
{
	f[0].size = 70;
	f[1].mtime += 5 * SEC;
	f[2].size = -1;
	f[3].mtime += 1;
	decide(0, 0);
	ck_assert_str_eq(vstr(), "HHLLLLLHH");
	ck_assert_uint_eq(c.hash, 4);
	ck_assert_uint_eq(c.lost, 5);
	ck_assert_uint_eq(c.trust, 0);
	ck_assert_uint_eq(missing[0], 0x80 >> 2);
}
END_TEST

START_TEST(grown_or_no_record)
{
	f[0].size = 120;	/* A grew (someone appended) */
	f[3].rec = 0;		/* D never recorded */
	decide(0, 0);
	ck_assert_str_eq(vstr(), "HHHHTTHHH");
}
END_TEST

START_TEST(not_recorded)
{
	have[0] = 0x0f;		/* pieces 4-8 only */
	have[1] = 0x80;
	f[0].size = 40;		/* A: only piece 0 on disk */
	f[2].size = -1;		/* C missing, under pieces 4, 5, 6 */
	decide(0, 0);
	/* 0 on disk, not recorded: hashed; 1-3 not on disk: missing. */
	ck_assert_str_eq(vstr(), "HMMMLLLTT");
	ck_assert_uint_eq(c.missing, 3);
	ck_assert_uint_eq(missing[0], 0x80 >> 2);
	/* Nothing recorded at all: C is missing, not lost. */
	sres_decide(&m, f, NULL, 0, 0, verdict, missing, &c);
	ck_assert_str_eq(vstr(), "HMMMMMMHH");
	ck_assert_uint_eq(missing[0], 0);
	ck_assert_uint_eq(c.lost, 0);
}
END_TEST

START_TEST(recheck)
{
	f[3].size = 10;
	decide(1, 0);
	ck_assert_str_eq(vstr(), "HHHHHHHLL");
}
END_TEST

START_TEST(pad_ignored)
{
	/* C is a pad file: never on disk, no record, zeros. */
	mf[2].pad = 1;
	f[2].size = -1;
	f[2].rec = 0;
	decide(0, 0);
	ck_assert_str_eq(vstr(), "TTTTTTTTT");
	ck_assert_uint_eq(missing[0], 0);
}
END_TEST

START_TEST(unclean_window)
{
	int64_t until = f[0].rec_mtime + 10 * SEC;

	/* A written by stored after its record (grew, later mtime). */
	f[0].mtime = f[0].rec_mtime + 3 * SEC;
	f[0].size = 100;
	/* B changed after the window: an administrator's hand. */
	f[1].mtime = until + 1;
	/* C shrank, within the window. */
	f[2].size = 69;
	f[2].mtime = f[2].rec_mtime + SEC;
	/* D's mtime went back (replaced by an older copy). */
	f[3].mtime = f[3].rec_mtime - SEC;
	decide(0, until);
	ck_assert_str_eq(vstr(), "TTTHHHLHH");
	/* The same after a clean stop: every difference hashed. */
	f[2].size = 70;
	decide(0, 0);
	ck_assert_str_eq(vstr(), "HHHHHHHHH");
	decide(0, until);
	ck_assert_str_eq(vstr(), "TTTHHTHHH");
}
END_TEST

START_TEST(err_file_ok)
{
	struct sres_file x = { 10, 5, 1, 10, 5 };

	ck_assert_int_eq(sres_file_ok(&x, 0), 1);
	x.size = -1;			/* missing */
	ck_assert_int_eq(sres_file_ok(&x, 0), 0);
	ck_assert_int_eq(sres_file_ok(&x, 100), 0);
	x.size = 10;
	x.rec = 0;			/* no record */
	ck_assert_int_eq(sres_file_ok(&x, 100), 0);
	x.rec = 1;
	x.mtime = 6;
	ck_assert_int_eq(sres_file_ok(&x, 0), 0);
	ck_assert_int_eq(sres_file_ok(&x, 6), 1);
	ck_assert_int_eq(sres_file_ok(&x, 5), 0);
	x.size = 9;			/* shrank */
	ck_assert_int_eq(sres_file_ok(&x, 6), 0);
	x.size = 10;
	x.mtime = 4;			/* went back */
	ck_assert_int_eq(sres_file_ok(&x, 100), 0);
}
END_TEST

START_TEST(err_out_of_range)
{
	/* A piece past the end is missing, never trusted. */
	ck_assert_int_eq(sres_piece(&m, f, have, 0, 0, NP, missing),
	    SRES_MISSING);
	ck_assert_int_eq(sres_piece(&m, f, have, 0, 0, UINT32_MAX, NULL),
	    SRES_MISSING);
}
END_TEST

static Suite *
resume_suite(void)
{
	Suite	*s = suite_create("resume");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, NULL);
	tcase_add_checked_fixture(errors, setup, NULL);
	tcase_add_test(core, as_recorded_trusted);
	tcase_add_test(core, truncated);
	tcase_add_test(core, rewritten_same_size);
	tcase_add_test(core, deleted);
	tcase_add_test(core, touched);
	tcase_add_test(core, all_four);
	tcase_add_test(core, grown_or_no_record);
	tcase_add_test(core, not_recorded);
	tcase_add_test(core, recheck);
	tcase_add_test(core, pad_ignored);
	tcase_add_test(core, unclean_window);
	tcase_add_test(errors, err_file_ok);
	tcase_add_test(errors, err_out_of_range);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(resume_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
