/*
 * check_piecemap.c -- stored's piece-to-file map: ranges that span many
 * files, the short last piece, tiny and empty files, pad files, and
 * every byte of a torrent mapped exactly once to the right file and
 * offset; the geometry checks that refuse what btd must not send.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stored/stored.h"

static char errbuf[256];

/* Build a map over lengths[] (pads[] may be NULL). */
static struct smap
mkmap(struct smap_file *f, const uint64_t *lengths, const int *pads,
    uint32_t n, uint64_t piece_length)
{
	struct smap	 m;
	uint64_t	 pos = 0;
	uint32_t	 i;

	for (i = 0; i < n; i++) {
		f[i].offset = pos;
		f[i].length = lengths[i];
		f[i].pad = pads != NULL ? pads[i] : 0;
		pos += lengths[i];
	}
	m.files = f;
	m.nfiles = n;
	m.piece_length = piece_length;
	m.total = pos;
	m.piece_count = pos == 0 ? 0 : (uint32_t)((pos - 1) / piece_length + 1);
	return m;
}

/* Collect the extents of a range into e[]; returns their number. */
static int
extents(const struct smap *m, uint32_t piece, uint32_t off, uint32_t len,
    struct smap_extent *e, int max)
{
	struct smap_iter	 it;
	int			 n = 0;

	ck_assert_int_eq(smap_range(m, piece, off, len, &it), 0);
	while (n < max && smap_next(&it, &e[n]))
		n++;
	ck_assert_int_lt(n, max);
	return n;
}

START_TEST(single_file)
{
	struct smap_file	 f[1];
	uint64_t		 len[] = { 100 };
	struct smap		 m = mkmap(f, len, NULL, 1, 32);
	struct smap_extent	 e[4];

	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(m.piece_count, 4);
	ck_assert_uint_eq(smap_piece_size(&m, 0), 32);
	ck_assert_uint_eq(smap_piece_size(&m, 3), 4);	/* 100 - 96 */
	ck_assert_uint_eq(smap_piece_size(&m, 4), 0);
	ck_assert_int_eq(extents(&m, 2, 5, 10, e, 4), 1);
	ck_assert_uint_eq(e[0].file, 0);
	ck_assert_uint_eq(e[0].file_offset, 69);
	ck_assert_uint_eq(e[0].length, 10);
	ck_assert_uint_eq(e[0].piece_offset, 5);
	ck_assert_int_eq(e[0].pad, 0);
	/* The whole short last piece. */
	ck_assert_int_eq(extents(&m, 3, 0, 4, e, 4), 1);
	ck_assert_uint_eq(e[0].file_offset, 96);
	ck_assert_uint_eq(e[0].length, 4);
}
END_TEST

START_TEST(span_many_files)
{
	/* Piece 0 (16 bytes) holds 3 + 0 + 1 + 0 + 0 + 5 + 7 bytes. */
	struct smap_file	 f[8];
	uint64_t		 len[] = { 3, 0, 1, 0, 0, 5, 20, 0 };
	struct smap		 m = mkmap(f, len, NULL, 8, 16);
	struct smap_extent	 e[8];
	uint32_t		 first, last;

	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(m.piece_count, 2);
	ck_assert_int_eq(extents(&m, 0, 0, 16, e, 8), 4);
	ck_assert_uint_eq(e[0].file, 0);
	ck_assert_uint_eq(e[0].length, 3);
	ck_assert_uint_eq(e[1].file, 2);
	ck_assert_uint_eq(e[1].length, 1);
	ck_assert_uint_eq(e[1].piece_offset, 3);
	ck_assert_uint_eq(e[2].file, 5);
	ck_assert_uint_eq(e[2].file_offset, 0);
	ck_assert_uint_eq(e[2].length, 5);
	ck_assert_uint_eq(e[3].file, 6);
	ck_assert_uint_eq(e[3].file_offset, 0);
	ck_assert_uint_eq(e[3].length, 7);
	ck_assert_uint_eq(e[3].piece_offset, 9);
	/* A range starting inside the tiny file 2, after empty files. */
	ck_assert_int_eq(extents(&m, 0, 3, 3, e, 8), 2);
	ck_assert_uint_eq(e[0].file, 2);
	ck_assert_uint_eq(e[0].file_offset, 0);
	ck_assert_uint_eq(e[0].length, 1);
	ck_assert_uint_eq(e[1].file, 5);
	ck_assert_uint_eq(e[1].length, 2);
	/* The last piece ends in file 6; the empty file 7 never shows. */
	ck_assert_uint_eq(smap_piece_size(&m, 1), 13);
	ck_assert_int_eq(extents(&m, 1, 0, 13, e, 8), 1);
	ck_assert_uint_eq(e[0].file, 6);
	ck_assert_uint_eq(e[0].file_offset, 7);
	ck_assert_uint_eq(e[0].length, 13);
	smap_piece_files(&m, 0, &first, &last);
	ck_assert_uint_eq(first, 0);
	ck_assert_uint_eq(last, 6);
	smap_piece_files(&m, 1, &first, &last);
	ck_assert_uint_eq(first, 6);
	ck_assert_uint_eq(last, 6);
}
END_TEST

START_TEST(pad_files)
{
	/* BEP 47: a, pad to 8, b, pad to 16, c. */
	struct smap_file	 f[5];
	uint64_t		 len[] = { 5, 3, 6, 2, 4 };
	int			 pad[] = { 0, 1, 0, 1, 0 };
	struct smap		 m = mkmap(f, len, pad, 5, 8);
	struct smap_extent	 e[8];

	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(extents(&m, 0, 0, 8, e, 8), 2);
	ck_assert_int_eq(e[0].pad, 0);
	ck_assert_int_eq(e[1].pad, 1);
	ck_assert_uint_eq(e[1].file, 1);
	ck_assert_uint_eq(e[1].length, 3);
	ck_assert_int_eq(extents(&m, 1, 0, 8, e, 8), 2);
	ck_assert_uint_eq(e[0].file, 2);
	ck_assert_uint_eq(e[0].length, 6);
	ck_assert_int_eq(e[1].pad, 1);
	ck_assert_uint_eq(e[1].length, 2);
	ck_assert_uint_eq(smap_piece_size(&m, 2), 4);
	ck_assert_int_eq(extents(&m, 2, 1, 3, e, 8), 1);
	ck_assert_uint_eq(e[0].file, 4);
	ck_assert_uint_eq(e[0].file_offset, 1);
	ck_assert_int_eq(e[0].pad, 0);
}
END_TEST

/*
 * Every byte of every piece, through ranges of every start and a few
 * lengths, lands in exactly one (file, offset), and it is the byte's own.
 */
START_TEST(every_byte_once)
{
	struct smap_file	 f[12];
	uint64_t		 len[] = {
		1, 0, 7, 0, 0, 13, 1, 1, 0, 40, 2, 0
	};
	int			 pad[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0 };
	struct smap		 m;
	struct smap_iter	 it;
	struct smap_extent	 e;
	uint64_t		 pl;
	uint8_t			*seen;
	uint32_t		 p, off, l, k, lens[] = { 1, 2, 5, 64 };

	for (pl = 1; pl <= 17; pl++) {
		m = mkmap(f, len, pad, 12, pl);
		ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), 0);
		seen = calloc(1, m.total);
		/* Whole pieces: each byte once. */
		for (p = 0; p < m.piece_count; p++) {
			ck_assert_int_eq(smap_range(&m, p, 0,
			    smap_piece_size(&m, p), &it), 0);
			off = 0;
			while (smap_next(&it, &e)) {
				const struct smap_file *fi = &f[e.file];
				uint64_t b;

				ck_assert_uint_gt(fi->length, 0);
				ck_assert_uint_eq(e.piece_offset, off);
				ck_assert_uint_le(e.file_offset + e.length,
				    fi->length);
				ck_assert_int_eq(e.pad, fi->pad);
				for (b = 0; b < e.length; b++)
					seen[fi->offset + e.file_offset + b]++;
				ck_assert_uint_eq(fi->offset + e.file_offset,
				    p * pl + off);
				off += e.length;
			}
			ck_assert_uint_eq(off, smap_piece_size(&m, p));
		}
		for (k = 0; k < m.total; k++)
			ck_assert_uint_eq(seen[k], 1);
		free(seen);
		/* Sub-ranges of every start and a few lengths. */
		for (p = 0; p < m.piece_count; p++)
			for (off = 0; off < smap_piece_size(&m, p); off++)
				for (k = 0; k < 4; k++) {
					uint32_t sum = 0;

					l = lens[k];
					if (l > smap_piece_size(&m, p) - off) {
						ck_assert_int_eq(smap_range(&m,
						    p, off, l, &it), -1);
						continue;
					}
					ck_assert_int_eq(smap_range(&m, p, off,
					    l, &it), 0);
					while (smap_next(&it, &e)) {
						ck_assert_uint_eq(
						    f[e.file].offset +
						    e.file_offset,
						    p * pl + off + sum);
						sum += e.length;
					}
					ck_assert_uint_eq(sum, l);
				}
	}
}
END_TEST

/* A large torrent: offsets past 4 GiB, a binary search over many files. */
START_TEST(large)
{
	static struct smap_file	 f[1000];
	static uint64_t		 len[1000];
	struct smap		 m;
	struct smap_extent	 e[4];
	uint32_t		 i, p;

	for (i = 0; i < 1000; i++)
		len[i] = (i % 3 == 0) ? 0 : (uint64_t)10 << 20;	/* 10 MiB */
	m = mkmap(f, len, NULL, 1000, 4 << 20);
	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_gt(m.total, (uint64_t)1 << 32);
	/* Piece 1500 starts at 6000 MiB: file 600 of the non-empty ones. */
	p = 1500;
	ck_assert_int_eq(extents(&m, p, 0, 16384, e, 4), 1);
	ck_assert_uint_eq(f[e[0].file].offset + e[0].file_offset,
	    (uint64_t)p * (4 << 20));
	ck_assert_uint_gt(f[e[0].file].length, 0);
	/* A block crossing files 2 MiB before a file's end. */
	ck_assert_int_eq(extents(&m, 2, (2 << 20) - 100, 200, e, 4), 2);
	ck_assert_uint_eq(e[0].length, 100);
	ck_assert_uint_eq(e[1].file_offset, 0);
	ck_assert_uint_eq(e[1].file, e[0].file + 1 +
	    (f[e[0].file + 1].length == 0));
}
END_TEST

START_TEST(err_geometry)
{
	struct smap_file	 f[3];
	uint64_t		 len[] = { 10, 20, 30 };
	struct smap		 m = mkmap(f, len, NULL, 3, 16);
	struct smap_iter	 it;

	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), 0);
	m.piece_count = 5;
	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "5 pieces, the sizes make 4");
	m.piece_count = 4;
	f[1].offset = 11;
	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "file 1 at offset 11, not 10");
	f[1].offset = 10;
	m.total = 61;
	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "files sum to 60, total is 61");
	m.total = 60;
	m.piece_length = 0;
	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "piece length 0");
	m.piece_length = (uint64_t)SMAP_PIECE_MAX * 2;
	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), -1);
	m.piece_length = 16;
	f[2].length = UINT64_MAX - 5;
	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "file 2 too long");
	f[2].length = 30;
	m.nfiles = 0;
	ck_assert_int_eq(smap_validate(&m, errbuf, sizeof(errbuf)), -1);
	m.nfiles = 3;
	/* Ranges outside a piece. */
	ck_assert_int_eq(smap_range(&m, 4, 0, 1, &it), -1);
	ck_assert_int_eq(smap_range(&m, 3, 0, 13, &it), -1);	/* 12 left */
	ck_assert_int_eq(smap_range(&m, 3, 12, 1, &it), -1);
	ck_assert_int_eq(smap_range(&m, 0, 0, 0, &it), -1);
	ck_assert_int_eq(smap_range(&m, 0, UINT32_MAX, 2, &it), -1);
	ck_assert_int_eq(smap_range(&m, 0, 1, UINT32_MAX, &it), -1);
	ck_assert_int_eq(smap_range(&m, 3, 0, 12, &it), 0);
}
END_TEST

static Suite *
piecemap_suite(void)
{
	Suite	*s = suite_create("piecemap");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, single_file);
	tcase_add_test(core, span_many_files);
	tcase_add_test(core, pad_files);
	tcase_add_test(core, every_byte_once);
	tcase_add_test(core, large);
	tcase_add_test(errors, err_geometry);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(piecemap_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
