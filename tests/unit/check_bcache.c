/*
 * check_bcache.c -- stored's block cache over a fake disk: blocks of a
 * piece that arrive out of order are written with one writev a run,
 * the bound is never passed and what is evicted is written first, a
 * piece read once serves the next reads from memory, and a failing
 * write names its torrent and loses nothing else.
 */
#include <sys/uio.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stored/stored.h"

#define BLK		BCACHE_BLOCK
#define PIECE		(16 * BLK)	/* 256 KiB pieces */
#define NPIECES		64
#define NTORRENTS	2

/* The fake disk: every byte of every piece, and what was done to it. */
static struct {
	uint8_t		 data[NTORRENTS][NPIECES][PIECE];
	uint8_t		 written[NTORRENTS][NPIECES][PIECE / BLK];
	unsigned	 writes, reads;
	uint32_t	 fail_torrent;	/* writes of it fail; 0: none */
} disk;

static int
fake_writev(void *arg, uint32_t torrent, uint32_t piece, uint32_t off,
    const struct iovec *iov, int n, char *err, size_t errlen)
{
	int i;

	ck_assert_ptr_eq(arg, &disk);
	ck_assert_uint_lt(torrent, NTORRENTS);
	ck_assert_uint_lt(piece, NPIECES);
	if (disk.fail_torrent != 0 && torrent == disk.fail_torrent) {
		snprintf(err, errlen, "write f%u: No space left on device",
		    torrent);
		return -1;
	}
	disk.writes++;
	for (i = 0; i < n; i++) {
		ck_assert_uint_le(off + iov[i].iov_len, PIECE);
		memcpy(disk.data[torrent][piece] + off, iov[i].iov_base,
		    iov[i].iov_len);
		disk.written[torrent][piece][off / BLK]++;
		off += (uint32_t)iov[i].iov_len;
	}
	return 0;
}

static int
fake_readv(void *arg, uint32_t torrent, uint32_t piece, uint32_t off,
    const struct iovec *iov, int n, char *err, size_t errlen)
{
	int i;

	(void)err;
	(void)errlen;
	ck_assert_ptr_eq(arg, &disk);
	disk.reads++;
	for (i = 0; i < n; i++) {
		ck_assert_uint_le(off + iov[i].iov_len, PIECE);
		memcpy(iov[i].iov_base, disk.data[torrent][piece] + off,
		    iov[i].iov_len);
		off += (uint32_t)iov[i].iov_len;
	}
	return 0;
}

static const struct bcache_ops ops = { fake_writev, fake_readv };

/* The bytes block b of piece p of torrent t should hold. */
static void
pattern(uint8_t *buf, uint32_t t, uint32_t p, uint32_t b)
{
	uint32_t i;

	for (i = 0; i < BLK; i++)
		buf[i] = (uint8_t)(t * 131 + p * 31 + b * 7 + i);
}

static struct bcache *
setup(uint64_t bound)
{
	struct bcache *bc;

	memset(&disk, 0, sizeof(disk));
	bc = bcache_new(bound, &ops, &disk);
	ck_assert_ptr_nonnull(bc);
	return bc;
}

static void
put(struct bcache *bc, uint32_t t, uint32_t p, uint32_t b)
{
	uint8_t		 buf[BLK];
	uint32_t	 failed = 99;

	pattern(buf, t, p, b);
	ck_assert_int_eq(bcache_put(bc, t, p, PIECE, b * BLK, BLK, buf,
	    &failed), 0);
}

static void
check_disk(uint32_t t, uint32_t p)
{
	uint8_t		 buf[BLK];
	uint32_t	 b;

	for (b = 0; b < PIECE / BLK; b++) {
		pattern(buf, t, p, b);
		ck_assert_mem_eq(disk.data[t][p] + b * BLK, buf, BLK);
	}
}

START_TEST(coalesce_out_of_order)
{
	static const uint32_t order[] = { 5, 0, 15, 3, 9, 1, 2, 14, 4, 6, 8,
	    7, 13, 10, 12, 11 };
	struct bcache_stats	 st;
	struct bcache		*bc = setup(64 * BLK);
	uint8_t			 buf[BLK], want[BLK];
	size_t			 i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		put(bc, 1, 3, order[i]);
	ck_assert_uint_eq(disk.writes, 0);	/* all in memory so far */
	/* Hashed from memory: every byte is there before any write. */
	ck_assert_int_eq(bcache_copy(bc, 1, 3, 7 * BLK + 100, BLK, buf), 1);
	pattern(want, 1, 3, 7);
	ck_assert_mem_eq(buf, want + 100, BLK - 100);
	pattern(want, 1, 3, 8);
	ck_assert_mem_eq(buf + BLK - 100, want, 100);
	ck_assert_int_eq(bcache_write_piece(bc, 1, 3), 0);
	/* Sixteen blocks, one writev. */
	ck_assert_uint_eq(disk.writes, 1);
	check_disk(1, 3);
	for (i = 0; i < PIECE / BLK; i++)
		ck_assert_uint_eq(disk.written[1][3][i], 1);
	/* Written once: a second call has nothing to write. */
	ck_assert_int_eq(bcache_write_piece(bc, 1, 3), 0);
	ck_assert_uint_eq(disk.writes, 1);
	bcache_stats(bc, &st);
	ck_assert_uint_eq(st.writes, 1);
	ck_assert_uint_eq(st.coalesced, PIECE);
	ck_assert_uint_eq(st.used, PIECE);
	bcache_free(bc);
}
END_TEST

START_TEST(coalesce_runs)
{
	struct bcache	*bc = setup(64 * BLK);
	uint32_t	 b;

	/* Blocks 0-3 and 8-11: two runs, two writes. */
	for (b = 0; b < 4; b++) {
		put(bc, 0, 1, b + 8);
		put(bc, 0, 1, b);
	}
	ck_assert_int_eq(bcache_write_piece(bc, 0, 1), 0);
	ck_assert_uint_eq(disk.writes, 2);
	/* A block written again is dirty again, alone. */
	put(bc, 0, 1, 2);
	ck_assert_int_eq(bcache_write_piece(bc, 0, 1), 0);
	ck_assert_uint_eq(disk.writes, 3);
	ck_assert_uint_eq(disk.written[0][1][2], 2);
	ck_assert_uint_eq(disk.written[0][1][5], 0);
	/* Not cached: the missing blocks. */
	ck_assert_int_eq(bcache_copy(bc, 0, 1, 3 * BLK, 2 * BLK,
	    (uint8_t[2 * BLK]){ 0 }), 0);
	bcache_free(bc);
}
END_TEST

START_TEST(evict_under_bound)
{
	struct bcache_stats	 st;
	struct bcache		*bc = setup(40 * BLK);	/* 2.5 pieces */
	uint32_t		 p, b;

	for (p = 0; p < 8; p++) {
		for (b = 0; b < PIECE / BLK; b++) {
			put(bc, 1, p, b);
			bcache_stats(bc, &st);
			ck_assert_uint_le(st.used, 40 * BLK);
		}
	}
	/* Everything evicted was written first, never dropped. */
	for (p = 0; p < 6; p++)
		check_disk(1, p);
	bcache_stats(bc, &st);
	ck_assert_uint_ge(st.evicted, 6);
	/* The newest piece is still in memory, unwritten. */
	ck_assert_uint_eq(disk.written[1][7][0], 0);
	ck_assert_int_eq(bcache_write_torrent(bc, 1), 0);
	for (p = 0; p < 8; p++)
		check_disk(1, p);
	/* A smaller bound writes out and frees down to it. */
	ck_assert_int_eq(bcache_set_bound(bc, 16 * BLK, &p), 0);
	bcache_stats(bc, &st);
	ck_assert_uint_le(st.used, 16 * BLK);
	ck_assert_int_eq(bcache_set_bound(bc, 0, &p), 0);
	bcache_stats(bc, &st);
	ck_assert_uint_eq(st.used, 0);
	ck_assert_int_eq(bcache_cacheable(bc, PIECE, 0, BLK), 0);
	bcache_free(bc);
}
END_TEST

START_TEST(read_hits)
{
	struct bcache_stats	 st;
	struct bcache		*bc = setup(64 * BLK);
	uint8_t			 buf[BLK], want[BLK];
	uint32_t		 b, peer, failed;

	for (b = 0; b < PIECE / BLK; b++) {
		pattern(disk.data[0][9] + b * BLK, 0, 9, b);
		pattern(disk.data[0][10] + b * BLK, 0, 10, b);
	}
	/* Three peers read the whole of piece 9: the disk is read once. */
	for (peer = 0; peer < 3; peer++)
		for (b = 0; b < PIECE / BLK; b++) {
			ck_assert_int_eq(bcache_read(bc, 0, 9, PIECE, b * BLK,
			    BLK, buf, &failed), 0);
			pattern(want, 0, 9, b);
			ck_assert_mem_eq(buf, want, BLK);
		}
	ck_assert_uint_eq(disk.reads, 1);
	bcache_stats(bc, &st);
	ck_assert_uint_eq(st.read_misses, 1);
	ck_assert_uint_eq(st.read_hits, 3 * PIECE / BLK - 1);
	/* A piece just written and kept is a hit without any read. */
	for (b = 0; b < PIECE / BLK; b++)
		put(bc, 0, 11, b);
	ck_assert_int_eq(bcache_write_piece(bc, 0, 11), 0);
	ck_assert_int_eq(bcache_read(bc, 0, 11, PIECE, 4 * BLK, BLK, buf,
	    &failed), 0);
	pattern(want, 0, 11, 4);
	ck_assert_mem_eq(buf, want, BLK);
	ck_assert_uint_eq(disk.reads, 1);
	/* A piece over a quarter of the bound is read past the cache. */
	bcache_free(bc);
	bc = setup(32 * BLK);
	for (b = 0; b < PIECE / BLK; b++)
		pattern(disk.data[0][10] + b * BLK, 0, 10, b);
	ck_assert_int_eq(bcache_read(bc, 0, 10, PIECE, 0, BLK, buf, &failed),
	    0);
	ck_assert_int_eq(bcache_read(bc, 0, 10, PIECE, 0, BLK, buf, &failed),
	    0);
	ck_assert_uint_eq(disk.reads, 2);
	bcache_stats(bc, &st);
	ck_assert_uint_eq(st.used, 0);
	bcache_free(bc);
}
END_TEST

START_TEST(short_last_block)
{
	struct bcache	*bc = setup(64 * BLK);
	uint8_t		 buf[BLK];
	uint32_t	 failed, size = 3 * BLK + 100;

	ck_assert_int_eq(bcache_cacheable(bc, size, 3 * BLK, 100), 1);
	ck_assert_int_eq(bcache_cacheable(bc, size, 3 * BLK, BLK), 0);
	ck_assert_int_eq(bcache_cacheable(bc, size, 100, BLK), 0);
	ck_assert_int_eq(bcache_cacheable(bc, size, BLK, 100), 0);
	memset(buf, 0xab, sizeof(buf));
	ck_assert_int_eq(bcache_put(bc, 0, 0, size, 3 * BLK, 100, buf,
	    &failed), 0);
	ck_assert_int_eq(bcache_write_piece(bc, 0, 0), 0);
	ck_assert_uint_eq(disk.data[0][0][3 * BLK + 99], 0xab);
	ck_assert_uint_eq(disk.data[0][0][3 * BLK + 100], 0);
	bcache_free(bc);
}
END_TEST

START_TEST(err_write_fails)
{
	struct bcache	*bc = setup(16 * BLK);
	uint8_t		 buf[BLK];
	uint32_t	 b, failed = 0;

	for (b = 0; b < PIECE / BLK; b++)
		put(bc, 1, 0, b);
	disk.fail_torrent = 1;
	pattern(buf, 0, 0, 0);
	/* No room without writing torrent 1's piece, which fails. */
	ck_assert_int_eq(bcache_put(bc, 0, 0, PIECE, 0, BLK, buf, &failed),
	    -1);
	ck_assert_uint_eq(failed, 1);
	ck_assert_ptr_nonnull(strstr(bcache_error(bc), "No space"));
	ck_assert_int_eq(bcache_write_piece(bc, 1, 0), -1);
	/* Its torrent fails: the caller drops it, and the put goes in. */
	bcache_drop_torrent(bc, 1);
	ck_assert_int_eq(bcache_put(bc, 0, 0, PIECE, 0, BLK, buf, &failed),
	    0);
	ck_assert_int_eq(bcache_write_piece(bc, 0, 0), 0);
	ck_assert_mem_eq(disk.data[0][0], buf, BLK);
	/* Not a block: refused. */
	ck_assert_int_eq(bcache_put(bc, 0, 0, PIECE, 5, BLK, buf, &failed),
	    -1);
	bcache_free(bc);
	bcache_free(NULL);
}
END_TEST

static Suite *
bcache_suite(void)
{
	Suite	*s = suite_create("bcache");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, coalesce_out_of_order);
	tcase_add_test(core, coalesce_runs);
	tcase_add_test(core, evict_under_bound);
	tcase_add_test(core, read_hits);
	tcase_add_test(core, short_last_block);
	tcase_add_test(errors, err_write_fails);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(bcache_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
