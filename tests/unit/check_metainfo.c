/*
 * check_metainfo.c -- .torrent validation: single- and multi-file
 * torrents built here with the encoder, trackers, text fields, the
 * info-hash of the bytes as received, the path sanitiser, and every
 * metainfo row of HOSTILE.md.  The fixtures in tests/data were written
 * by an independent encoder with real piece hashes; their info-hashes
 * below were computed by that tool, not by this code.
 *
 * Inputs are handed to the parser in heap buffers of exactly their
 * length so that AddressSanitizer sees any read past the end.
 */
#include <openssl/sha.h>

#include <check.h>
#include <inttypes.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bencode.h"
#include "metainfo.h"

#define DATA_DIR	"tests/data"	/* relative to the repository */
#define ANNOUNCE	"http://tracker.test/announce"

/* A string literal and its length, NUL bytes inside included. */
#define LIT(s)	(s), sizeof(s) - 1

static char	errbuf[512];

struct tfile {
	const char	*path;		/* components separated by '|' */
	size_t		 pathlen;	/* 0: strlen(path) */
	int64_t		 length;
	const char	*attr;		/* NULL: none */
	const char	*path_utf8;	/* NULL: none */
};

struct tinfo {
	const char		*name;		/* NULL: none */
	const char		*name_utf8;	/* NULL: none */
	int64_t			 piece_length;
	const struct tfile	*files;
	size_t			 nfiles;
	int			 single;	/* "length" of files[0] */
	int			 pieces_delta;	/* hashes more or fewer */
	int			 has_private;
	int64_t			 private;
};

/* Encode a '|'-separated path as a list of strings; NULL: empty list. */
static void
enc_path(struct be_buf *b, const char *path, size_t len)
{
	const char	*p = path, *end, *bar;

	be_enc_list(b);
	if (path != NULL) {
		end = path + (len ? len : strlen(path));
		for (;;) {
			if ((bar = memchr(p, '|', (size_t)(end - p))) == NULL)
				bar = end;
			be_enc_str(b, p, (size_t)(bar - p));
			if (bar == end)
				break;
			p = bar + 1;
		}
	}
	be_enc_end(b);
}

/* Hashes for total bytes in pieces of pl, delta hashes more. */
static void
enc_pieces(struct be_buf *b, uint64_t total, int64_t pl, int delta)
{
	uint64_t	 count = 1, i;
	uint8_t		*p;

	if (pl > 0 && total / (uint64_t)pl < (1 << 20))
		count = total / (uint64_t)pl + (total % (uint64_t)pl != 0);
	count += (uint64_t)(int64_t)delta;
	p = malloc(count * 20 + 1);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < count * 20; i++)
		p[i] = (uint8_t)(i * 31 + 7);
	be_enc_str(b, p, count * 20);
	free(p);
}

/* An info dictionary, keys in order. */
static void
enc_info(struct be_buf *b, const struct tinfo *ti)
{
	const struct tfile	*f;
	uint64_t		 total = 0;
	size_t			 i;

	be_enc_dict(b);
	if (!ti->single) {
		be_enc_cstr(b, "files");
		be_enc_list(b);
		for (i = 0; i < ti->nfiles; i++) {
			f = &ti->files[i];
			be_enc_dict(b);
			if (f->attr != NULL) {
				be_enc_cstr(b, "attr");
				be_enc_cstr(b, f->attr);
			}
			be_enc_cstr(b, "length");
			be_enc_int(b, f->length);
			be_enc_cstr(b, "path");
			enc_path(b, f->path, f->pathlen);
			if (f->path_utf8 != NULL) {
				be_enc_cstr(b, "path.utf-8");
				enc_path(b, f->path_utf8, 0);
			}
			be_enc_end(b);
			total += (uint64_t)f->length;
		}
		be_enc_end(b);
	} else {
		be_enc_cstr(b, "length");
		be_enc_int(b, ti->files[0].length);
		total = (uint64_t)ti->files[0].length;
	}
	if (ti->name != NULL) {
		be_enc_cstr(b, "name");
		be_enc_cstr(b, ti->name);
	}
	if (ti->name_utf8 != NULL) {
		be_enc_cstr(b, "name.utf-8");
		be_enc_cstr(b, ti->name_utf8);
	}
	be_enc_cstr(b, "piece length");
	be_enc_int(b, ti->piece_length);
	be_enc_cstr(b, "pieces");
	enc_pieces(b, total, ti->piece_length, ti->pieces_delta);
	if (ti->has_private) {
		be_enc_cstr(b, "private");
		be_enc_int(b, ti->private);
	}
	be_enc_end(b);
}

/* The buffer's bytes in a heap block of exactly their length. */
static uint8_t *
finish(struct be_buf *b, size_t *len)
{
	uint8_t	*p;

	ck_assert_int_eq(b->failed, 0);
	p = malloc(b->len);
	ck_assert_ptr_nonnull(p);
	memcpy(p, b->p, b->len);
	*len = b->len;
	be_buf_free(b);
	return p;
}

/* A torrent: announce (if any) and an info dictionary given encoded. */
static uint8_t *
torrent_raw(const char *announce, const uint8_t *info, size_t infolen,
    size_t *len)
{
	struct be_buf	b;

	be_buf_init(&b);
	be_enc_dict(&b);
	if (announce != NULL) {
		be_enc_cstr(&b, "announce");
		be_enc_cstr(&b, announce);
	}
	be_enc_cstr(&b, "info");
	be_enc_raw(&b, info, infolen);
	be_enc_end(&b);
	return finish(&b, len);
}

static uint8_t *
info_bytes(const struct tinfo *ti, size_t *len)
{
	struct be_buf	b;

	be_buf_init(&b);
	enc_info(&b, ti);
	return finish(&b, len);
}

static uint8_t *
torrent(const struct tinfo *ti, size_t *len)
{
	uint8_t	*info, *t;
	size_t	 infolen;

	info = info_bytes(ti, &infolen);
	t = torrent_raw(ANNOUNCE, info, infolen, len);
	free(info);
	return t;
}

static struct metainfo *
parse_ok(const uint8_t *buf, size_t len)
{
	struct metainfo	*mi = NULL;

	ck_assert_msg(metainfo_parse(buf, len, &mi, errbuf,
	    sizeof(errbuf)) == 0, "refused: %s", errbuf);
	ck_assert_ptr_nonnull(mi);
	return mi;
}

static void
parse_bad(const uint8_t *buf, size_t len, const char *msg)
{
	struct metainfo	*mi = (struct metainfo *)&mi;

	errbuf[0] = '\0';
	ck_assert_msg(metainfo_parse(buf, len, &mi, errbuf,
	    sizeof(errbuf)) == -1, "accepted, wanted '%s'", msg);
	ck_assert_ptr_null(mi);
	ck_assert_msg(strstr(errbuf, msg) != NULL, "error '%s', wanted '%s'",
	    errbuf, msg);
}

static struct metainfo *
info_ok(const struct tinfo *ti)
{
	struct metainfo	*mi;
	uint8_t		*t;
	size_t		 len;

	t = torrent(ti, &len);
	mi = parse_ok(t, len);
	free(t);
	return mi;
}

static void
info_bad(const struct tinfo *ti, const char *msg)
{
	uint8_t	*t;
	size_t	 len;

	t = torrent(ti, &len);
	parse_bad(t, len, msg);
	free(t);
}

/* A multi-file torrent of the given files, pieces of 16 KiB. */
static struct metainfo *
files_ok(const struct tfile *f, size_t n)
{
	struct tinfo	ti = { .name = "t", .piece_length = 16384,
	    .files = f, .nfiles = n };

	return info_ok(&ti);
}

static void
files_bad(const struct tfile *f, size_t n, const char *msg)
{
	struct tinfo	ti = { .name = "t", .piece_length = 16384,
	    .files = f, .nfiles = n };

	info_bad(&ti, msg);
}

/* The sanitised path of a one-file torrent with path p (len bytes). */
static void
path_is(const char *p, size_t len, const char *want)
{
	struct tfile	 f = { p, len, 1, NULL, NULL };
	struct metainfo	*mi;

	mi = files_ok(&f, 1);
	ck_assert_str_eq(mi->files[0].path, want);
	metainfo_free(mi);
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	*fp;
	uint8_t	*p;
	long	 sz;

	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s: cannot open (run from the "
	    "repository root)", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	sz = ftell(fp);
	ck_assert_int_gt(sz, 0);
	rewind(fp);
	p = malloc((size_t)sz);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)sz, fp), (size_t)sz);
	fclose(fp);
	*len = (size_t)sz;
	return p;
}

static void
hex(const uint8_t *h, char *out)
{
	int	i;

	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

START_TEST(single_file)
{
	struct tfile	 f = { .length = 100000 };
	struct tinfo	 ti = { .name = "file.bin", .piece_length = 16384,
	    .files = &f, .nfiles = 1, .single = 1 };
	struct metainfo	*mi;
	uint8_t		*info, *t, md[20];
	size_t		 infolen, len;

	info = info_bytes(&ti, &infolen);
	t = torrent_raw(ANNOUNCE, info, infolen, &len);
	mi = parse_ok(t, len);
	ck_assert_str_eq(mi->name, "file.bin");
	ck_assert_int_eq(mi->multi, 0);
	ck_assert_uint_eq(mi->nfiles, 1);
	ck_assert_str_eq(mi->files[0].path, "file.bin");
	ck_assert_uint_eq(mi->files[0].length, 100000);
	ck_assert_uint_eq(mi->files[0].offset, 0);
	ck_assert_int_eq(mi->files[0].pad, 0);
	ck_assert_uint_eq(mi->total_size, 100000);
	ck_assert_uint_eq(mi->piece_length, 16384);
	ck_assert_uint_eq(mi->piece_count, 7);
	ck_assert_uint_eq(mi->ntrackers, 1);
	ck_assert_str_eq(mi->trackers[0].url, ANNOUNCE);
	ck_assert_int_eq(mi->trackers[0].tier, 0);
	ck_assert_int_eq(mi->private, 0);
	ck_assert_str_eq(mi->comment, "");
	ck_assert_str_eq(mi->created_by, "");
	ck_assert_int_eq(mi->creation_date, 0);
	ck_assert_uint_eq(mi->nurl_list, 0);
	ck_assert_int_eq(mi->unsorted_keys, 0);
	ck_assert_uint_eq(mi->info_len, infolen);
	ck_assert_mem_eq(mi->info, info, infolen);
	SHA1(info, infolen, md);
	ck_assert_mem_eq(mi->info_hash, md, 20);
	/* The pieces are the bytes given: the 7th hash of the pattern. */
	ck_assert_uint_eq(mi->pieces[6 * 20], (uint8_t)(6 * 20 * 31 + 7));
	metainfo_free(mi);
	free(t);
	free(info);
}
END_TEST

START_TEST(multi_file)
{
	static const struct tfile files[] = {
		{ .path = "a|b.txt", .length = 10 },
		{ .path = "c", .length = 0 },
		{ .path = "d|e|f", .length = 20000 },
		{ .path = "g", .length = 12768 },
	};
	struct metainfo	*mi;

	mi = files_ok(files, 4);
	ck_assert_str_eq(mi->name, "t");
	ck_assert_int_eq(mi->multi, 1);
	ck_assert_uint_eq(mi->nfiles, 4);
	ck_assert_str_eq(mi->files[0].path, "a/b.txt");
	ck_assert_str_eq(mi->files[1].path, "c");
	ck_assert_str_eq(mi->files[2].path, "d/e/f");
	ck_assert_str_eq(mi->files[3].path, "g");
	ck_assert_uint_eq(mi->files[0].offset, 0);
	ck_assert_uint_eq(mi->files[1].offset, 10);
	ck_assert_uint_eq(mi->files[2].offset, 10);
	ck_assert_uint_eq(mi->files[3].offset, 20010);
	ck_assert_uint_eq(mi->files[3].length, 12768);
	ck_assert_uint_eq(mi->total_size, 32778);
	ck_assert_uint_eq(mi->piece_count, 3);	/* 16384 * 2 + 10 */
	metainfo_free(mi);
}
END_TEST

START_TEST(trackers)
{
	static const char *const tiers[][6] = {
		{ "http://a/1", "udp://b:80", "ftp://x/", "http://a/1",
		    "http://e/\x01", NULL },
		{ "HTTPS://c/2", "file:///etc/passwd", "http://bad\xff/",
		    NULL },
		{ "gopher://x", "http:///nohost", "udp://", NULL },
		{ "http://d/3", "udp://b:80", "hTTp://d/3", NULL },
	};
	struct tfile	 f = { .length = 5 };
	struct tinfo	 ti = { .name = "x", .piece_length = 16384,
	    .files = &f, .nfiles = 1, .single = 1 };
	struct metainfo	*mi;
	struct be_buf	 b;
	uint8_t		*info, *t;
	size_t		 infolen, len, i, j;

	info = info_bytes(&ti, &infolen);
	be_buf_init(&b);
	be_enc_dict(&b);
	be_enc_cstr(&b, "announce");
	be_enc_cstr(&b, "http://main/a");
	be_enc_cstr(&b, "announce-list");
	be_enc_list(&b);
	for (i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
		be_enc_list(&b);
		for (j = 0; tiers[i][j] != NULL; j++)
			be_enc_cstr(&b, tiers[i][j]);
		be_enc_end(&b);
	}
	be_enc_int(&b, 7);		/* not a tier: ignored */
	be_enc_end(&b);
	be_enc_cstr(&b, "info");
	be_enc_raw(&b, info, infolen);
	be_enc_end(&b);
	t = finish(&b, &len);

	mi = parse_ok(t, len);
	ck_assert_uint_eq(mi->ntrackers, 5);
	ck_assert_str_eq(mi->trackers[0].url, "http://a/1");
	ck_assert_int_eq(mi->trackers[0].tier, 0);
	ck_assert_str_eq(mi->trackers[1].url, "udp://b:80");
	ck_assert_int_eq(mi->trackers[1].tier, 0);
	ck_assert_str_eq(mi->trackers[2].url, "HTTPS://c/2");
	ck_assert_int_eq(mi->trackers[2].tier, 1);
	/* The third tier was all dropped: the fourth becomes tier 2. */
	ck_assert_str_eq(mi->trackers[3].url, "http://d/3");
	ck_assert_int_eq(mi->trackers[3].tier, 2);
	/* Exact duplicates only. */
	ck_assert_str_eq(mi->trackers[4].url, "hTTp://d/3");
	ck_assert_int_eq(mi->trackers[4].tier, 2);
	metainfo_free(mi);
	free(t);
	free(info);
}
END_TEST

/* A torrent with announce and announce-list given raw (NULL: absent). */
static struct metainfo *
with_announce(const char *announce, const char *raw_list)
{
	struct tfile	 f = { .length = 5 };
	struct tinfo	 ti = { .name = "x", .piece_length = 16384,
	    .files = &f, .nfiles = 1, .single = 1 };
	struct metainfo	*mi;
	struct be_buf	 b;
	uint8_t		*info, *t;
	size_t		 infolen, len;

	info = info_bytes(&ti, &infolen);
	be_buf_init(&b);
	be_enc_dict(&b);
	if (announce != NULL) {
		be_enc_cstr(&b, "announce");
		be_enc_cstr(&b, announce);
	}
	if (raw_list != NULL) {
		be_enc_cstr(&b, "announce-list");
		be_enc_raw(&b, raw_list, strlen(raw_list));
	}
	be_enc_cstr(&b, "info");
	be_enc_raw(&b, info, infolen);
	be_enc_end(&b);
	t = finish(&b, &len);
	mi = parse_ok(t, len);
	free(t);
	free(info);
	return mi;
}

START_TEST(trackers_fallback)
{
	static const char *const lists[] = {
		"4:spam",			/* not a list */
		"le",				/* empty */
		"l11:http://a/1/e",		/* tier not a list */
		"ll8:ftp://a/ee",		/* nothing usable */
		"lli5eee",			/* URL not a string */
	};
	struct metainfo	*mi;
	size_t		 i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		mi = with_announce("udp://main:1", lists[i]);
		ck_assert_msg(mi->ntrackers == 1, "list %zu", i);
		ck_assert_str_eq(mi->trackers[0].url, "udp://main:1");
		ck_assert_int_eq(mi->trackers[0].tier, 0);
		metainfo_free(mi);
	}
	/* The list wins over announce when it has anything. */
	mi = with_announce("udp://main:1", "ll10:http://a/1ee");
	ck_assert_uint_eq(mi->ntrackers, 1);
	ck_assert_str_eq(mi->trackers[0].url, "http://a/1");
	metainfo_free(mi);
	/* Nothing at all, or nothing usable: no trackers, not an error. */
	mi = with_announce(NULL, NULL);
	ck_assert_uint_eq(mi->ntrackers, 0);
	metainfo_free(mi);
	mi = with_announce("wss://x/", "ll8:ftp://a/ee");
	ck_assert_uint_eq(mi->ntrackers, 0);
	metainfo_free(mi);
}
END_TEST

START_TEST(trackers_bounded)
{
	struct be_buf	 b;
	struct metainfo	*mi;
	char		 url[MI_MAX_TRACKERS * 2][32], *big;
	size_t		 i;

	be_buf_init(&b);
	be_enc_list(&b);
	for (i = 0; i < MI_MAX_TRACKERS * 2; i++) {
		if (i % 10 == 0) {
			if (i > 0)
				be_enc_end(&b);
			be_enc_list(&b);
		}
		snprintf(url[i], sizeof(url[i]), "http://t%zu/", i);
		be_enc_cstr(&b, url[i]);
	}
	be_enc_end(&b);
	be_enc_end(&b);
	be_enc_raw(&b, "", 1);		/* NUL-terminate */
	ck_assert_int_eq(b.failed, 0);
	mi = with_announce(NULL, (const char *)b.p);
	be_buf_free(&b);
	ck_assert_uint_eq(mi->ntrackers, MI_MAX_TRACKERS);
	ck_assert_str_eq(mi->trackers[0].url, "http://t0/");
	ck_assert_str_eq(mi->trackers[MI_MAX_TRACKERS - 1].url,
	    url[MI_MAX_TRACKERS - 1]);
	ck_assert_int_eq(mi->trackers[MI_MAX_TRACKERS - 1].tier,
	    (MI_MAX_TRACKERS - 1) / 10);
	metainfo_free(mi);

	/* URL length: 2048 bytes kept, 2049 dropped. */
	big = malloc(2049 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 2049);
	memcpy(big, "http://", 7);
	big[2048] = '\0';
	mi = with_announce(big, NULL);
	ck_assert_uint_eq(mi->ntrackers, 1);
	ck_assert_uint_eq(strlen(mi->trackers[0].url), 2048);
	metainfo_free(mi);
	big[2048] = 'a';
	big[2049] = '\0';
	mi = with_announce(big, NULL);
	ck_assert_uint_eq(mi->ntrackers, 0);
	metainfo_free(mi);
	free(big);
}
END_TEST

START_TEST(private_flag)
{
	struct tfile	 f = { .length = 5 };
	struct tinfo	 ti = { .name = "x", .piece_length = 16384,
	    .files = &f, .nfiles = 1, .single = 1, .has_private = 1 };
	struct metainfo	*mi;

	ti.private = 1;
	mi = info_ok(&ti);
	ck_assert_int_eq(mi->private, 1);
	metainfo_free(mi);
	ti.private = 2;
	mi = info_ok(&ti);
	ck_assert_int_eq(mi->private, 0);
	metainfo_free(mi);
	ti.private = 0;
	mi = info_ok(&ti);
	ck_assert_int_eq(mi->private, 0);
	metainfo_free(mi);
}
END_TEST

START_TEST(pad_files)
{
	static const struct tfile files[] = {
		{ .path = "a", .length = 10000 },
		{ .path = ".pad|6384", .length = 6384, .attr = "p" },
		{ .path = "b", .length = 16384 },
		{ .path = ".pad|6384", .length = 6384, .attr = "xp" },
		{ .path = "a", .length = 1, .attr = "hp" },
		{ .path = "c", .length = 1, .attr = "x" },
	};
	struct metainfo	*mi;

	/* Pad files may share a path with anything: never written. */
	mi = files_ok(files, 6);
	ck_assert_uint_eq(mi->nfiles, 6);
	ck_assert_int_eq(mi->files[0].pad, 0);
	ck_assert_int_eq(mi->files[1].pad, 1);
	ck_assert_int_eq(mi->files[2].pad, 0);
	ck_assert_int_eq(mi->files[3].pad, 1);
	ck_assert_int_eq(mi->files[4].pad, 1);
	ck_assert_int_eq(mi->files[5].pad, 0);
	ck_assert_str_eq(mi->files[1].path, ".pad/6384");
	ck_assert_uint_eq(mi->files[2].offset, 16384);
	ck_assert_uint_eq(mi->files[5].offset, 16384 * 2 + 6384 + 1);
	ck_assert_uint_eq(mi->total_size, 16384 * 2 + 6384 + 2);
	ck_assert_uint_eq(mi->piece_count, 3);
	metainfo_free(mi);
}
END_TEST

START_TEST(utf8_preferred)
{
	static const struct tfile files[] = {
		{ .path = "legacy|x", .length = 1,
		    .path_utf8 = "caf\xc3\xa9|x" },
		{ .path = "y", .length = 1 },
	};
	struct tinfo	 ti = { .name = "latin1\xe9",
	    .name_utf8 = "na\xc3\xafve",
	    .piece_length = 16384, .files = files, .nfiles = 2 };
	struct metainfo	*mi;

	mi = info_ok(&ti);
	ck_assert_str_eq(mi->name, "na\xc3\xafve");
	ck_assert_str_eq(mi->files[0].path, "caf\xc3\xa9/x");
	ck_assert_str_eq(mi->files[1].path, "y");
	metainfo_free(mi);

	/* Without name.utf-8 the name is sanitised like any component. */
	ti.name_utf8 = NULL;
	mi = info_ok(&ti);
	ck_assert_str_eq(mi->name, "latin1_");
	metainfo_free(mi);
}
END_TEST

/* A torrent whose top level is given raw, around a small info dict. */
static struct metainfo *
with_top(const char *before, const char *after)
{
	struct tfile	 f = { .length = 5 };
	struct tinfo	 ti = { .name = "x", .piece_length = 16384,
	    .files = &f, .nfiles = 1, .single = 1 };
	struct metainfo	*mi;
	struct be_buf	 b;
	uint8_t		*info, *t;
	size_t		 infolen, len;

	info = info_bytes(&ti, &infolen);
	be_buf_init(&b);
	be_enc_dict(&b);
	be_enc_raw(&b, before, strlen(before));
	be_enc_cstr(&b, "info");
	be_enc_raw(&b, info, infolen);
	be_enc_raw(&b, after, strlen(after));
	be_enc_end(&b);
	t = finish(&b, &len);
	mi = parse_ok(t, len);
	free(t);
	free(info);
	return mi;
}

START_TEST(text_fields)
{
	struct metainfo	*mi;
	struct be_buf	 b;
	char		*s;
	size_t		 i;

	/* Invalid UTF-8 per byte, controls too, become U+FFFD. */
	mi = with_top("7:comment13:ok\xff\xc0\xaf" "end\n\x1b\xc2\x9b" "x"
	    "10:created by9:mk\xc3\xa9tor 1" "13:creation datei1700000000e",
	    "");
	ck_assert_str_eq(mi->comment, "ok\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "end\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
	ck_assert_str_eq(mi->created_by, "mk\xc3\xa9tor 1");
	ck_assert_int_eq(mi->creation_date, 1700000000);
	metainfo_free(mi);

	/* .utf-8 wins; a negative date is none; wrong types are "". */
	mi = with_top("7:comment3:old13:comment.utf-83:new10:created byi5e"
	    "13:creation datei-1e", "");
	ck_assert_str_eq(mi->comment, "new");
	ck_assert_str_eq(mi->created_by, "");
	ck_assert_int_eq(mi->creation_date, 0);
	metainfo_free(mi);

	/* 5,000 bytes of two-byte characters: cut at 4,096, whole. */
	be_buf_init(&b);
	be_enc_cstr(&b, "comment");
	s = malloc(5001);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < 5000; i += 2)
		memcpy(s + i, "\xc3\xa9", 2);
	s[5000] = '\0';
	be_enc_cstr(&b, s);
	be_enc_raw(&b, "", 1);
	mi = with_top((const char *)b.p, "");
	ck_assert_uint_eq(strlen(mi->comment), 4096);
	ck_assert_mem_eq(mi->comment, s, 4096);
	metainfo_free(mi);
	be_buf_free(&b);
	/* A U+FFFD that does not fit whole is left out. */
	memset(s, 'a', 4094);
	s[4094] = '\xff';
	s[4095] = '\0';
	be_buf_init(&b);
	be_enc_cstr(&b, "comment");
	be_enc_cstr(&b, s);
	be_enc_raw(&b, "", 1);
	mi = with_top((const char *)b.p, "");
	ck_assert_uint_eq(strlen(mi->comment), 4094);
	metainfo_free(mi);
	be_buf_free(&b);
	free(s);
}
END_TEST

START_TEST(web_seeds)
{
	struct metainfo	*mi;

	mi = with_top("", "8:url-list11:http://s/a/");
	ck_assert_uint_eq(mi->nurl_list, 1);
	ck_assert_str_eq(mi->url_list[0], "http://s/a/");
	metainfo_free(mi);
	mi = with_top("", "8:url-listl11:http://s/a/10:udp://s/b/"
	    "13:https://s/c/x11:http://s/a/i3e0:e");
	ck_assert_uint_eq(mi->nurl_list, 2);
	ck_assert_str_eq(mi->url_list[0], "http://s/a/");
	ck_assert_str_eq(mi->url_list[1], "https://s/c/x");
	metainfo_free(mi);
	mi = with_top("", "8:url-listi1e");
	ck_assert_uint_eq(mi->nurl_list, 0);
	metainfo_free(mi);
}
END_TEST

START_TEST(hash_as_received)
{
	/* Info keys out of order, and a nested file dict out of order. */
	static const char	info[] = "d4:name1:x12:piece lengthi16384e"
	    "6:lengthi5e6:pieces20:01234567890123456789e";
	static const char	sorted[] = "d6:lengthi5e4:name1:x"
	    "12:piece lengthi16384e6:pieces20:01234567890123456789e";
	static const char	nested[] = "d5:filesld4:pathl1:ae"
	    "6:lengthi5eee4:name1:x12:piece lengthi16384e"
	    "6:pieces20:01234567890123456789e";
	struct metainfo		*mi, *mj;
	uint8_t			*t, md[20];
	size_t			 len;

	t = torrent_raw(ANNOUNCE, (const uint8_t *)info, sizeof(info) - 1,
	    &len);
	mi = parse_ok(t, len);
	free(t);
	SHA1((const uint8_t *)info, sizeof(info) - 1, md);
	ck_assert_mem_eq(mi->info_hash, md, 20);
	ck_assert_int_eq(mi->unsorted_keys, 1);
	ck_assert_uint_eq(mi->info_len, sizeof(info) - 1);
	ck_assert_mem_eq(mi->info, info, sizeof(info) - 1);
	ck_assert_str_eq(mi->name, "x");

	/* The same content sorted is another info-hash. */
	t = torrent_raw(ANNOUNCE, (const uint8_t *)sorted,
	    sizeof(sorted) - 1, &len);
	mj = parse_ok(t, len);
	free(t);
	ck_assert_int_eq(mj->unsorted_keys, 0);
	ck_assert_mem_ne(mi->info_hash, mj->info_hash, 20);
	SHA1((const uint8_t *)sorted, sizeof(sorted) - 1, md);
	ck_assert_mem_eq(mj->info_hash, md, 20);
	metainfo_free(mi);
	metainfo_free(mj);

	t = torrent_raw(ANNOUNCE, (const uint8_t *)nested,
	    sizeof(nested) - 1, &len);
	mi = parse_ok(t, len);
	free(t);
	ck_assert_int_eq(mi->unsorted_keys, 1);
	ck_assert_str_eq(mi->files[0].path, "a");
	metainfo_free(mi);

	/* Unsorted outside info only: the info dict is not flagged. */
	mi = with_top("", "8:announce6:http:/");
	ck_assert_int_eq(mi->unsorted_keys, 0);
	metainfo_free(mi);
}
END_TEST

START_TEST(parse_info_alone)
{
	static const struct tfile files[] = {
		{ .path = "a", .length = 70000 },
		{ .path = "b|c", .length = 1 },
	};
	struct tinfo	 ti = { .name = "dir", .piece_length = 32768,
	    .files = files, .nfiles = 2 };
	struct metainfo	*mi, *whole;
	uint8_t		*info, *t, *longer, md[20];
	size_t		 infolen, len;

	info = info_bytes(&ti, &infolen);
	ck_assert_int_eq(metainfo_parse_info(info, infolen, &mi, errbuf,
	    sizeof(errbuf)), 0);
	SHA1(info, infolen, md);
	ck_assert_mem_eq(mi->info_hash, md, 20);
	ck_assert_uint_eq(mi->ntrackers, 0);
	ck_assert_str_eq(mi->comment, "");
	ck_assert_str_eq(mi->created_by, "");
	ck_assert_str_eq(mi->name, "dir");
	ck_assert_uint_eq(mi->nfiles, 2);
	ck_assert_str_eq(mi->files[1].path, "b/c");
	ck_assert_uint_eq(mi->files[1].offset, 70000);
	ck_assert_uint_eq(mi->piece_count, 3);

	/* The same as from the whole torrent. */
	t = torrent_raw(ANNOUNCE, info, infolen, &len);
	whole = parse_ok(t, len);
	ck_assert_mem_eq(whole->info_hash, mi->info_hash, 20);
	ck_assert_uint_eq(whole->total_size, mi->total_size);
	metainfo_free(whole);
	metainfo_free(mi);
	free(t);

	/* Bytes after the dict, a non-dict, and the same info checks. */
	longer = malloc(infolen + 1);
	ck_assert_ptr_nonnull(longer);
	memcpy(longer, info, infolen);
	longer[infolen] = 'x';
	mi = (struct metainfo *)&mi;
	ck_assert_int_eq(metainfo_parse_info(longer, infolen + 1, &mi, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_ptr_null(mi);
	ck_assert_ptr_nonnull(strstr(errbuf, "trailing bytes"));
	free(longer);
	ck_assert_int_eq(metainfo_parse_info((const uint8_t *)"le", 2, &mi,
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "info is not a dictionary");
	free(info);
	ti.pieces_delta = 1;
	info = info_bytes(&ti, &infolen);
	ck_assert_int_eq(metainfo_parse_info(info, infolen, &mi, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "info: pieces is 80 bytes; 3 pieces need 60");
	free(info);
}
END_TEST

START_TEST(sanitize_component)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*want;
	} t[] = {
		{ LIT("plain.txt"), "plain.txt" },
		{ LIT("/etc/passwd"), "_etc_passwd" },
		{ LIT("..\\..\\x"), ".._.._x" },
		{ LIT("a\0b"), "a_b" },
		{ LIT("a\x01\x1b[31mb\x7f"), "a__[31mb_" },
		{ LIT("\xc2\x9b" "1m"), "_1m" },		/* C1 CSI */
		{ LIT("abc\xe2\x80\xae" "txt.exe"), "abc_txt.exe" },
		{ LIT("\xe2\x80\x8e\xe2\x80\x8f\xe2\x81\xa6\xe2\x81\xa9"
		    "\xd8\x9c\xe2\x80\xaa"), "_" },	/* nothing kept */
		{ LIT("\xe2\x80\x8d"), "\xe2\x80\x8d" },	/* ZWJ stays */
		{ LIT("a\xe2\x80\xa8" "b\xe2\x80\xa9"), "a_b_" },	/* LS, PS */
		{ LIT("\xff\xfe" "ab"), "__ab" },
		{ LIT("\xc0\xaf"), "_" },			/* overlong */
		{ LIT("\xe0\x80\xaf"), "_" },
		{ LIT("\xed\xa0\x80"), "_" },			/* surrogate */
		{ LIT("\xf4\x90\x80\x80"), "_" },		/* > 10FFFF */
		{ LIT("a\xe2\x82"), "a__" },			/* truncated */
		{ LIT("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80" },
		{ LIT("caf\xc3\xa9"), "caf\xc3\xa9" },
		{ LIT("name. . "), "name" },
		{ LIT("..."), "_" },
		{ LIT("  "), "_" },
		{ LIT(". "), "_" },
		{ LIT(".hidden"), ".hidden" },
		{ LIT(" lead"), " lead" },
		{ LIT("x.."), "x" },
		{ LIT(""), "_" },			/* placeholders */
		{ LIT("."), "_" },
		{ LIT(".."), "_" },
		{ LIT("//"), "_" },
		{ LIT("\\"), "_" },
		{ LIT("\x01\x02"), "_" },
		{ LIT("a\x01"), "a_" },
	};
	char	out[MI_MAX_COMPONENT + 1], err[128], in[400];
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = mi_sanitize_component((const uint8_t *)t[i].in, t[i].len,
		    out, sizeof(out), err, sizeof(err));
		ck_assert_msg(rc == (int)strlen(t[i].want) &&
		    strcmp(out, t[i].want) == 0, "case %zu: %d '%s'", i, rc,
		    out);
		/* The same every time. */
		ck_assert_int_eq(mi_sanitize_component((const uint8_t *)t[i].in,
		    t[i].len, out, sizeof(out), err, sizeof(err)), rc);
		ck_assert_str_eq(out, t[i].want);
	}

	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)"a", 1, out,
	    MI_MAX_COMPONENT, err, sizeof(err)), -1);

	/* 300 bytes, no extension: the first 255. */
	memset(in, 'x', 300);
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 300, out,
	    sizeof(out), err, sizeof(err)), 255);
	ck_assert_uint_eq(strspn(out, "x"), 255);
	/* With an extension: kept. */
	memcpy(in + 296, ".txt", 4);
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 300, out,
	    sizeof(out), err, sizeof(err)), 255);
	ck_assert_uint_eq(strspn(out, "x"), 251);
	ck_assert_str_eq(out + 251, ".txt");
	/* An extension of 16 bytes is kept, of 17 is not. */
	memset(in, 'x', 300);
	in[300 - 17] = '.';
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 300, out,
	    sizeof(out), err, sizeof(err)), 255);
	ck_assert_int_eq(out[255 - 17], '.');
	memset(in, 'x', 300);
	in[300 - 18] = '.';
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 300, out,
	    sizeof(out), err, sizeof(err)), 255);
	ck_assert_uint_eq(strspn(out, "x"), 255);
	/* Two-byte characters: cut at a boundary, 254 bytes. */
	for (i = 0; i < 300; i += 2)
		memcpy(in + i, "\xc3\xa9", 2);
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 300, out,
	    sizeof(out), err, sizeof(err)), 254);
	ck_assert_mem_eq(out, in, 254);
	memcpy(in + 300, ".mkv", 4);
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 304, out,
	    sizeof(out), err, sizeof(err)), 254);
	ck_assert_mem_eq(out, in, 250);
	ck_assert_str_eq(out + 250, ".mkv");
	/* Cut before trailing spaces: trimmed after the cut too. */
	memset(in, 'y', 254);
	memset(in + 254, ' ', 50);
	in[304] = 'z';
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 305, out,
	    sizeof(out), err, sizeof(err)), 254);
	/* A long run of replaced characters is a placeholder. */
	for (i = 0; i < 399; i += 3)
		memcpy(in + i, "\xe2\x80\xae", 3);
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 399, out,
	    sizeof(out), err, sizeof(err)), 1);
	/* With one kept character it is not: 'k', two stray bytes, 132. */
	in[0] = 'k';
	ck_assert_int_eq(mi_sanitize_component((const uint8_t *)in, 399, out,
	    sizeof(out), err, sizeof(err)), 135);
}
END_TEST

START_TEST(hostile_paths)
{
	char	in[320], want[320], deep[2 * MI_MAX_DEPTH];
	size_t	i;

	/* Each component stays one: nothing merges by being dropped. */
	path_is(LIT("a|.|b"), "a/_/b");
	path_is(LIT("|etc|passwd"), "_/etc/passwd");
	path_is(LIT("/etc/passwd"), "_etc_passwd");
	path_is(LIT("a||b|"), "a/_/b/_");
	path_is(LIT("..|..|etc|passwd"), "_/_/etc/passwd");
	path_is(LIT("a|..|b"), "a/_/b");
	path_is(LIT("a\0b"), "a_b");
	path_is(LIT("..\\x|y\\z"), ".._x/y_z");
	path_is(LIT("a\x01|\x1b[2J"), "a_/_[2J");
	path_is(LIT("evil\xe2\x80\xaegpj.exe"), "evil_gpj.exe");
	path_is(LIT("\xff|\xc0\xaf"), "_/_");
	path_is(LIT("dir. |file. . "), "dir/file");
	path_is(LIT("...|x"), "_/x");

	/* 300-byte components, with and without an extension. */
	memset(in, 'e', 296);
	memcpy(in + 296, ".txt", 4);
	memset(want, 'e', 251);
	memcpy(want + 251, ".txt", 5);
	path_is(in, 300, want);
	memset(in, 'p', 300);
	memset(want, 'p', 255);
	want[255] = '\0';
	path_is(in, 300, want);

	/* MI_MAX_DEPTH components deep is fine. */
	for (i = 0; i < MI_MAX_DEPTH; i++)
		memcpy(deep + 2 * i, "d|", 2);
	deep[2 * MI_MAX_DEPTH - 1] = '\0';
	for (i = 0; i < MI_MAX_DEPTH; i++)
		memcpy(want + 2 * i, "d/", 2);
	want[2 * MI_MAX_DEPTH - 1] = '\0';
	path_is(deep, 0, want);
}
END_TEST

START_TEST(single_file_names)
{
	struct tfile	 f = { .length = 5 };
	struct tinfo	 ti = { .name = "../x", .piece_length = 16384,
	    .files = &f, .nfiles = 1, .single = 1 };
	struct metainfo	*mi;

	mi = info_ok(&ti);
	ck_assert_str_eq(mi->name, ".._x");
	ck_assert_str_eq(mi->files[0].path, ".._x");
	metainfo_free(mi);
	ti.name = "a/b";
	mi = info_ok(&ti);
	ck_assert_str_eq(mi->name, "a_b");
	ck_assert_str_eq(mi->files[0].path, "a_b");
	metainfo_free(mi);
	ti.name = "/etc/passwd";
	mi = info_ok(&ti);
	ck_assert_str_eq(mi->files[0].path, "_etc_passwd");
	metainfo_free(mi);
	ti.name = "\xe2\x80\xaeroot. ";
	mi = info_ok(&ti);
	ck_assert_str_eq(mi->files[0].path, "_root");
	metainfo_free(mi);
}
END_TEST

/* Every .torrent under tests/data parses; two are known exactly. */
START_TEST(real_torrents)
{
	struct metainfo	*mi;
	struct dirent	*de;
	DIR		*d;
	uint8_t		*buf, *data, md[20];
	char		 path[512], h[41];
	size_t		 len, n = 0, i, k;
	uint64_t	 j, off;

	ck_assert_msg((d = opendir(DATA_DIR)) != NULL,
	    "%s: run from the repository root", DATA_DIR);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 8 || strcmp(de->d_name + len - 8, ".torrent") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", DATA_DIR, de->d_name);
		buf = read_file(path, &len);
		ck_assert_msg(metainfo_parse(buf, len, &mi, errbuf,
		    sizeof(errbuf)) == 0, "%s: %s", path, errbuf);
		metainfo_free(mi);
		free(buf);
		n++;
	}
	closedir(d);
	ck_assert_uint_ge(n, 2);

	buf = read_file(DATA_DIR "/single.torrent", &len);
	mi = parse_ok(buf, len);
	free(buf);
	hex(mi->info_hash, h);
	ck_assert_str_eq(h, "602304bde30178392d44f9eda8121dfc210b5423");
	ck_assert_str_eq(mi->name, "hello.txt");
	ck_assert_uint_eq(mi->total_size, 40000);
	ck_assert_uint_eq(mi->piece_count, 3);
	ck_assert_str_eq(mi->trackers[0].url,
	    "http://tracker.example/announce");
	ck_assert_str_eq(mi->comment, "fixture");
	ck_assert_str_eq(mi->created_by, "mkfix 1.0");
	ck_assert_int_eq(mi->creation_date, 1700000000);
	metainfo_free(mi);

	buf = read_file(DATA_DIR "/multi.torrent", &len);
	mi = parse_ok(buf, len);
	free(buf);
	hex(mi->info_hash, h);
	ck_assert_str_eq(h, "138d1eaf142325abb93ebcd373cba0523a599e1e");
	ck_assert_str_eq(mi->name, "album");
	ck_assert_int_eq(mi->private, 1);
	ck_assert_uint_eq(mi->nfiles, 3);
	ck_assert_str_eq(mi->files[0].path, "disc 1/01.flac");
	ck_assert_str_eq(mi->files[1].path, ".pad/2768");
	ck_assert_int_eq(mi->files[1].pad, 1);
	ck_assert_str_eq(mi->files[2].path, "cover.jpg");
	ck_assert_uint_eq(mi->files[2].offset, 32768);
	ck_assert_uint_eq(mi->ntrackers, 2);
	ck_assert_str_eq(mi->trackers[0].url,
	    "udp://tracker.example:6969/announce");
	ck_assert_int_eq(mi->trackers[1].tier, 1);
	ck_assert_uint_eq(mi->nurl_list, 1);
	ck_assert_str_eq(mi->url_list[0], "https://seed.example/files/");
	/*
	 * The fixture's data: byte j of the stream is (7j + 3) mod 256 in
	 * a file, 0 in a pad file.  Every piece hash must match it.
	 */
	data = malloc(mi->total_size);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < mi->nfiles; i++)
		for (j = 0; j < mi->files[i].length; j++) {
			off = mi->files[i].offset + j;
			data[off] = mi->files[i].pad ? 0 :
			    (uint8_t)(off * 7 + 3);
		}
	for (k = 0; k < mi->piece_count; k++) {
		off = k * mi->piece_length;
		SHA1(data + off, mi->total_size - off < mi->piece_length ?
		    mi->total_size - off : mi->piece_length, md);
		ck_assert_mem_eq(mi->pieces + 20 * k, md, 20);
	}
	free(data);
	metainfo_free(mi);
}
END_TEST

/* n files of one byte named f0, f1 ...; a torrent of them. */
static uint8_t *
many_files(size_t n, size_t *len)
{
	struct tfile	*f;
	struct tinfo	 ti = { .name = "many", .piece_length = 1 << 20 };
	char		*names;
	uint8_t		*t;
	size_t		 i;

	f = calloc(n, sizeof(*f));
	names = malloc(n * 48);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(names);
	for (i = 0; i < n; i++) {
		snprintf(names + 48 * i, 48, "d%zu|f%zu", i % 7, i);
		f[i].path = names + 48 * i;
		f[i].length = 1;
	}
	ti.files = f;
	ti.nfiles = n;
	t = torrent(&ti, len);
	free(names);
	free(f);
	return t;
}

START_TEST(max_files)
{
	struct metainfo	*mi;
	uint8_t		*t;
	size_t		 len;

	t = many_files(MI_MAX_FILES, &len);
	mi = parse_ok(t, len);
	free(t);
	ck_assert_uint_eq(mi->nfiles, MI_MAX_FILES);
	ck_assert_str_eq(mi->files[MI_MAX_FILES - 1].path, "d4/f99999");
	ck_assert_uint_eq(mi->files[MI_MAX_FILES - 1].offset,
	    MI_MAX_FILES - 1);
	ck_assert_uint_eq(mi->piece_count, 1);
	metainfo_free(mi);
}
END_TEST

START_TEST(piece_length_bad)
{
	struct tfile	f = { .length = 5 };
	struct tinfo	ti = { .name = "x", .files = &f, .nfiles = 1,
	    .single = 1 };

	ti.piece_length = 0;
	info_bad(&ti, "info: piece length 0");
	ti.piece_length = -16384;
	info_bad(&ti, "info: piece length -16384 is negative");
	ti.piece_length = INT64_MIN;
	info_bad(&ti, "is negative");
	ti.piece_length = (int64_t)1 << 40;
	info_bad(&ti, "info: piece length 1099511627776 exceeds 256 MiB");
	ti.piece_length = (int64_t)1 << 31;
	info_bad(&ti, "info: piece length 2147483648 exceeds 256 MiB");
	ti.piece_length = ((int64_t)256 << 20) + 1;
	info_bad(&ti, "exceeds 256 MiB");
	/* The extremes that are allowed. */
	ti.piece_length = 256 << 20;
	metainfo_free(info_ok(&ti));
	ti.piece_length = 1;
	metainfo_free(info_ok(&ti));

	parse_bad((const uint8_t *)LIT("d4:infod6:lengthi1e4:name1:x"
	    "6:pieces20:01234567890123456789ee"),
	    "info: piece length is missing");
	parse_bad((const uint8_t *)LIT("d4:infod6:lengthi1e4:name1:x"
	    "12:piece length1:16:pieces20:01234567890123456789ee"),
	    "info: piece length is not an integer");
}
END_TEST

START_TEST(file_length_bad)
{
	struct tfile	files[] = {
		{ .path = "a", .length = 1 },
		{ .path = "b", .length = -1 },
	};
	struct tinfo	ti = { .name = "x", .piece_length = 16384,
	    .files = files, .nfiles = 2 };

	info_bad(&ti, "file 1: length -1 is negative");
	files[1].length = (int64_t)1 << 62;
	info_bad(&ti, "file 1: length 4611686018427387904 is 2^62 or more");
	files[1].length = INT64_MAX;
	info_bad(&ti, "2^62 or more");
	/* Single-file. */
	ti.single = 1;
	files[0].length = -1;
	info_bad(&ti, "info: length -1 is negative");
	files[0].length = (int64_t)1 << 62;
	info_bad(&ti, "info: length 4611686018427387904 is 2^62 or more");
	/* Below 2^62, but more pieces than a 32-bit count. */
	files[0].length = ((int64_t)1 << 62) - 1;
	ti.piece_length = 256 << 20;
	info_bad(&ti, "info: 17179869184 pieces; the limit is 4294967295");
	/* Zero bytes in all. */
	files[0].length = 0;
	info_bad(&ti, "torrent has no data");
	ti.single = 0;
	files[1].length = 0;
	info_bad(&ti, "torrent has no data");
	parse_bad((const uint8_t *)LIT("d4:infod6:lengthi-0e4:name1:x"
	    "12:piece lengthi1e6:pieces0:ee"), "bencode: integer -0");
	parse_bad((const uint8_t *)LIT("d4:infod5:filesld4:pathl1:aeee"
	    "4:name1:x12:piece lengthi1e6:pieces0:ee"),
	    "file 0: length is missing");
	parse_bad((const uint8_t *)LIT("d4:infod6:length1:14:name1:x"
	    "12:piece lengthi1e6:pieces0:ee"),
	    "info: length is not an integer");
}
END_TEST

START_TEST(sum_overflow)
{
	struct tfile	files[] = {
		{ .path = "a", .length = ((int64_t)1 << 62) - 1 },
		{ .path = "b", .length = ((int64_t)1 << 62) - 1 },
		{ .path = "c", .length = ((int64_t)1 << 62) - 1 },
		{ .path = "d", .length = ((int64_t)1 << 62) - 1 },
		{ .path = "e", .length = ((int64_t)1 << 62) - 1 },
	};
	struct tinfo	ti = { .name = "x", .piece_length = 16384,
	    .files = files, .nfiles = 5 };

	/* Summed, four would wrap a uint64_t: caught at the second. */
	info_bad(&ti, "info: total size exceeds 2^62 bytes at file 1");
	/* Exactly 2^62 in all is the limit; one more byte is not. */
	files[0].length = files[1].length = (int64_t)1 << 61;
	ti.nfiles = 2;
	info_bad(&ti, "pieces; the limit is");
	files[2].length = 1;
	ti.nfiles = 3;
	info_bad(&ti, "info: total size exceeds 2^62 bytes at file 2");
}
END_TEST

START_TEST(pieces_bad)
{
	struct tfile	f = { .length = 40000 };
	struct tinfo	ti = { .name = "x", .piece_length = 16384,
	    .files = &f, .nfiles = 1, .single = 1 };

	ti.pieces_delta = -1;
	info_bad(&ti, "info: pieces is 40 bytes; 3 pieces need 60");
	ti.pieces_delta = 1;
	info_bad(&ti, "info: pieces is 80 bytes; 3 pieces need 60");
	/* Exact multiples: no extra piece. */
	f.length = 32768;
	ti.pieces_delta = 1;
	info_bad(&ti, "info: pieces is 60 bytes; 2 pieces need 40");
	ti.pieces_delta = 0;
	metainfo_free(info_ok(&ti));
	parse_bad((const uint8_t *)LIT("d4:infod6:lengthi1e4:name1:x"
	    "12:piece lengthi1eee"), "info: pieces is missing");
	parse_bad((const uint8_t *)LIT("d4:infod6:lengthi1e4:name1:x"
	    "12:piece lengthi1e6:piecesi0eee"), "info: pieces is not a string");
	/* Not a multiple of 20 at all. */
	parse_bad((const uint8_t *)LIT("d4:infod6:lengthi1e4:name1:x"
	    "12:piece lengthi1e6:pieces19:0123456789012345678ee"),
	    "info: pieces is 19 bytes; 1 pieces need 20");
}
END_TEST

START_TEST(path_errors)
{
	struct tfile	files[] = {
		{ .path = "ok", .length = 1 },
		{ .path = "a|b", .length = 1 },
	};
	char		deep[4 * 100], longp[20 * 251];
	size_t		i;

	/* 100 levels deep, and MI_MAX_DEPTH + 1. */
	for (i = 0; i < 100; i++)
		memcpy(deep + 2 * i, "d|", 2);
	deep[199] = '\0';
	files[1].path = deep;
	files_bad(files, 2, "file 1: path is 100 components deep; the limit "
	    "is 64");
	deep[2 * (MI_MAX_DEPTH + 1) - 1] = '\0';
	files_bad(files, 2, "file 1: path is 65 components deep");
	/* Placeholder components count too: the list is what is bounded. */
	for (i = 0; i < 100; i++)
		memcpy(deep + 2 * i, ".|", 2);
	memcpy(deep + 198, "x", 2);
	files_bad(files, 2, "file 1: path is 100 components deep");

	/* 20 components of 250 bytes: over MI_MAX_PATH joined. */
	memset(longp, 'n', sizeof(longp));
	for (i = 1; i < 20; i++)
		longp[251 * i - 1] = '|';
	longp[sizeof(longp) - 1] = '\0';
	files[1].path = longp;
	files_bad(files, 2, "file 1: path is longer than 4096 bytes");
	/* 16 of them (4,015 bytes) fit. */
	longp[251 * 16 - 1] = '\0';
	metainfo_free(files_ok(files, 2));

	parse_bad((const uint8_t *)LIT("d4:infod5:filesli1ee"
	    "4:name1:x12:piece lengthi1e6:pieces20:01234567890123456789ee"),
	    "file 0 is not a dictionary");
	/* A symlink carries no data. */
	files[1].path = "link";
	files[1].attr = "l";
	files_bad(files, 2, "file 1: a symlink of 1 bytes");
}
END_TEST

/* One file's path, flags and original from a raw info dictionary. */
static void
raw_path_is(const char *info, size_t len, size_t idx, const char *want,
    unsigned changed, const char *original)
{
	struct metainfo	*mi;
	uint8_t		*t;
	size_t		 tlen;

	t = torrent_raw(ANNOUNCE, (const uint8_t *)info, len, &tlen);
	mi = parse_ok(t, tlen);
	free(t);
	ck_assert_uint_gt(mi->nfiles, idx);
	ck_assert_str_eq(mi->files[idx].path, want);
	ck_assert_uint_eq(mi->files[idx].changed, changed);
	if (original == NULL)
		ck_assert_ptr_null(mi->files[idx].original);
	else
		ck_assert_str_eq(mi->files[idx].original, original);
	metainfo_free(mi);
}

START_TEST(sanitised_paths)
{
	struct tfile	files[] = {
		{ .path = "ok", .length = 1 },
		{ .path = "a|..|b", .length = 1 },
	};
	struct metainfo	*mi;

	mi = files_ok(files, 2);
	ck_assert_str_eq(mi->files[1].path, "a/_/b");
	ck_assert_uint_eq(mi->files[1].changed, MI_CHANGED_SANITISED);
	ck_assert_str_eq(mi->files[1].original, "a/../b");
	ck_assert_uint_eq(mi->files[0].changed, 0);
	ck_assert_ptr_null(mi->files[0].original);
	metainfo_free(mi);

	/* No usable path list at all: the placeholder. */
	raw_path_is(LIT("d5:filesld6:lengthi1e4:pathli1eeee4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789e"), 0, "_",
	    MI_CHANGED_SANITISED, "\xef\xbf\xbd");
	raw_path_is(LIT("d5:filesld6:lengthi1e4:path1:aee4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789e"), 0, "_",
	    MI_CHANGED_PLACEHOLDER, "");
	raw_path_is(LIT("d5:filesld6:lengthi1eee4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789e"), 0, "_",
	    MI_CHANGED_PLACEHOLDER, "");
	raw_path_is(LIT("d5:filesld6:lengthi1e4:pathleee4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789e"), 0, "_",
	    MI_CHANGED_PLACEHOLDER, "");
	/* Two of them: the second is numbered. */
	raw_path_is(LIT("d5:filesld6:lengthi1eed6:lengthi1e4:pathleee"
	    "4:name1:x12:piece lengthi2e6:pieces20:01234567890123456789e"), 1,
	    "_.1", MI_CHANGED_PLACEHOLDER | MI_CHANGED_RENAMED, "");
	/* A pad file without a path: .pad/LENGTH, never a collision. */
	raw_path_is(LIT("d5:filesld6:lengthi1e4:pathl1:aeed4:attr1:p"
	    "6:lengthi1eed6:lengthi1e4:pathl1:beee4:name1:x"
	    "12:piece lengthi1e6:pieces60:012345678901234567890123456789"
	    "012345678901234567890123456789e"), 1, ".pad/1",
	    MI_CHANGED_PLACEHOLDER, "");
	/* Invalid UTF-8 and controls in what is shown as the original. */
	raw_path_is(LIT("d5:filesld6:lengthi1e4:pathl4:a\xff\x1b" "b2:..eee"
	    "4:name1:x12:piece lengthi1e6:pieces20:01234567890123456789e"), 0,
	    "a__b/_", MI_CHANGED_SANITISED,
	    "a\xef\xbf\xbd\xef\xbf\xbd" "b/..");
	/* Unchanged file: neither flag nor original. */
	raw_path_is(LIT("d5:filesld6:lengthi1e4:pathl1:a1:beee"
	    "4:name1:x12:piece lengthi1e6:pieces20:01234567890123456789e"), 0,
	    "a/b", 0, NULL);
}
END_TEST

START_TEST(attributes)
{
	static const struct tfile files[] = {
		{ .path = "run.sh", .length = 1, .attr = "x" },
		{ .path = ".secret", .length = 1, .attr = "h" },
		{ .path = "both", .length = 1, .attr = "hxz" },
		{ .path = "pad", .length = 1, .attr = "p" },
		{ .path = "plain", .length = 1 },
	};
	struct metainfo	*mi;

	mi = files_ok(files, 5);
	ck_assert_uint_eq(mi->files[0].attr, MI_ATTR_EXEC);
	ck_assert_uint_eq(mi->files[1].attr, MI_ATTR_HIDDEN);
	ck_assert_uint_eq(mi->files[2].attr, MI_ATTR_HIDDEN | MI_ATTR_EXEC);
	ck_assert_uint_eq(mi->files[3].attr, MI_ATTR_PAD);
	ck_assert_int_eq(mi->files[3].pad, 1);
	ck_assert_uint_eq(mi->files[4].attr, 0);
	metainfo_free(mi);

	/* A symlink with no length, or length 0: accepted, no data. */
	raw_path_is(LIT("d5:filesld6:lengthi1e4:pathl1:aeed4:attr1:l"
	    "4:pathl4:linke12:symlink pathl1:aeee4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789e"), 1, "link", 0,
	    NULL);
	raw_path_is(LIT("d5:filesld6:lengthi1e4:pathl1:aeed4:attr1:l"
	    "6:lengthi0e4:pathl4:linkeee4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789e"), 1, "link", 0,
	    NULL);
	mi = parse_ok((const uint8_t *)LIT("d4:infod5:filesld6:lengthi1e"
	    "4:pathl1:aeed4:attr1:l4:pathl4:linkeee4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789ee"));
	ck_assert_uint_eq(mi->files[1].attr, MI_ATTR_SYMLINK);
	ck_assert_uint_eq(mi->files[1].length, 0);
	metainfo_free(mi);
}
END_TEST

START_TEST(name_placeholder)
{
	struct tfile	 f = { .length = 5 };
	struct tinfo	 ti = { .piece_length = 16384, .files = &f,
	    .nfiles = 1, .single = 1 };
	struct metainfo	*mi;

	info_bad(&ti, "info: name is missing");
	ti.name = "..";
	mi = info_ok(&ti);
	ck_assert_str_eq(mi->name, "_");
	ck_assert_str_eq(mi->files[0].path, "_");
	ck_assert_uint_eq(mi->nwarnings, 1);
	ck_assert_str_eq(mi->warnings[0], "info: name '..' sanitised");
	metainfo_free(mi);
	ti.name = "";
	mi = info_ok(&ti);
	ck_assert_str_eq(mi->name, "_");
	metainfo_free(mi);
	/* name.utf-8 wins, sanitised the same way. */
	ti.name = "fine";
	ti.name_utf8 = ".";
	mi = info_ok(&ti);
	ck_assert_str_eq(mi->name, "_");
	metainfo_free(mi);
	ti.name_utf8 = NULL;
	mi = info_ok(&ti);
	ck_assert_str_eq(mi->name, "fine");
	ck_assert_uint_eq(mi->nwarnings, 0);
	metainfo_free(mi);
	parse_bad((const uint8_t *)LIT("d4:infod6:lengthi1e4:namei1e"
	    "12:piece lengthi1e6:pieces20:01234567890123456789ee"),
	    "info: name is not a string");
}
END_TEST

/* The paths of a multi-file torrent of files, joined by ' '. */
static void
paths_are(const struct tfile *files, size_t n, const char *want)
{
	struct metainfo	*mi;
	char		 got[1024];
	size_t		 i, o = 0;

	mi = files_ok(files, n);
	got[0] = '\0';
	for (i = 0; i < mi->nfiles; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
		    i > 0 ? " " : "", mi->files[i].path);
	ck_assert_str_eq(got, want);
	metainfo_free(mi);
}

START_TEST(disambiguation)
{
	struct tfile	files[5] = {
		{ .path = "a|b", .length = 1 },
		{ .path = "c", .length = 1 },
		{ .path = "a|b", .length = 1 },
	};
	struct metainfo	*mi;

	paths_are(files, 3, "a/b c a/b.1");
	mi = files_ok(files, 3);
	ck_assert_uint_eq(mi->files[2].changed, MI_CHANGED_RENAMED);
	ck_assert_str_eq(mi->files[2].original, "a/b");
	ck_assert_uint_eq(mi->files[0].changed, 0);
	metainfo_free(mi);
	/* The same after sanitising. */
	files[2].path = "a|b. ";
	paths_are(files, 3, "a/b c a/b.1");
	files[0].path = "a/b";
	files[2].path = "a\\b";
	paths_are(files, 3, "a_b c a_b.1");
	/* The extension stays last; numbers count up in file order. */
	files[0].path = "x.txt";
	files[1].path = "x.txt";
	files[2].path = "x.txt";
	files[3].path = "x.txt";
	files[3].length = 1;
	paths_are(files, 4, "x.txt x.1.txt x.2.txt x.3.txt");
	/* A name some file has as given is never handed out. */
	files[1].path = "x.txt";
	files[2].path = "x.1.txt";
	files[3].path = "x.txt";
	paths_are(files, 4, "x.txt x.2.txt x.1.txt x.3.txt");
	/* ".hidden" has no extension; a long one is not an extension. */
	files[0].path = ".hidden";
	files[1].path = ".hidden";
	files[2].path = "f.abcdefghijklmnopq";
	files[3].path = "f.abcdefghijklmnopq";
	paths_are(files, 4, ".hidden .hidden.1 f.abcdefghijklmnopq "
	    "f.abcdefghijklmnopq.1");

	/* A file that is also a directory: the file is renamed. */
	files[0].path = "a";
	files[1].path = "a b";
	files[2].path = "a|b";
	files[3].path = "a-";
	paths_are(files, 4, "a.1 a b a/b a-");
	files[0].path = "a|b|c|d";
	files[2].path = "a|b";
	paths_are(files, 4, "a/b/c/d a b a/b.1 a-");
	/* ... and not to a name that is a directory either. */
	files[0].path = "d";
	files[1].path = "d.1|x";
	files[2].path = "d|y";
	files[3].path = "d.2";
	paths_are(files, 4, "d.3 d.1/x d/y d.2");
	/* A shared prefix that is not a directory is no collision. */
	files[0].path = "ab";
	files[1].path = "a b";
	files[2].path = "a|b";
	files[3].path = "a-";
	paths_are(files, 4, "ab a b a/b a-");
	/* Duplicate pad files are fine, a pad over a file too. */
	files[1].path = "ab";
	files[1].attr = "p";
	paths_are(files, 4, "ab ab a/b a-");
}
END_TEST

START_TEST(disambiguate_determinism)
{
	struct mi_file	 f[6];
	static const char *in[6] = { "dup", "dup", "dir", "dir/x", "dup.1",
	    "dup" };
	static const char *want[6] = { "dup", "dup.2", "dir.1", "dir/x",
	    "dup.1", "dup.3" };
	char		 err[64], longname[MI_MAX_PATH + 1];
	size_t		 i;
	int		 round;

	/* The same input gives the same names, every time. */
	for (round = 0; round < 3; round++) {
		memset(f, 0, sizeof(f));
		for (i = 0; i < 6; i++)
			ck_assert_ptr_nonnull(f[i].path = strdup(in[i]));
		ck_assert_int_eq(mi_disambiguate(f, 6, err, sizeof(err)), 0);
		for (i = 0; i < 6; i++) {
			ck_assert_str_eq(f[i].path, want[i]);
			ck_assert_uint_eq((f[i].changed & MI_CHANGED_RENAMED) !=
			    0, strcmp(in[i], want[i]) != 0);
			free(f[i].path);
			free(f[i].original);
		}
	}
	/* Nothing to do: nothing changes. */
	ck_assert_int_eq(mi_disambiguate(f, 0, err, sizeof(err)), 0);

	/* Long names: the stem gives way, the number and extension stay. */
	memset(f, 0, sizeof(f));
	memset(longname, 'n', 251);
	memcpy(longname + 251, ".txt", 5);
	ck_assert_ptr_nonnull(f[0].path = strdup(longname));
	ck_assert_ptr_nonnull(f[1].path = strdup(longname));
	ck_assert_int_eq(mi_disambiguate(f, 2, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(f[1].path), MI_MAX_COMPONENT);
	ck_assert_str_eq(f[1].path + 249, ".1.txt");
	ck_assert_uint_eq(strspn(f[1].path, "n"), 249);
	for (i = 0; i < 2; i++) {
		free(f[i].path);
		free(f[i].original);
	}
	/* A path at MI_MAX_PATH with a one-byte name: no room, an error. */
	memset(f, 0, sizeof(f));
	for (i = 0; i < 16; i++) {
		memset(longname + 255 * i, 'd', 254);
		longname[255 * i + 254] = '/';
	}
	memset(longname + 4080, 'd', 14);
	longname[4094] = '/';
	longname[4095] = 'x';
	longname[MI_MAX_PATH] = '\0';
	ck_assert_ptr_nonnull(f[0].path = strdup(longname));
	ck_assert_ptr_nonnull(f[1].path = strdup(longname));
	ck_assert_int_eq(mi_disambiguate(f, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "file 1: path too long to be renamed");
	ck_assert_str_eq(f[1].path, longname);	/* left as it was */
	for (i = 0; i < 2; i++) {
		free(f[i].path);
		free(f[i].original);
	}
}
END_TEST

/* A thousand files of one name: numbered in order, quickly. */
START_TEST(disambiguate_many)
{
	enum { N = 20000 };
	struct mi_file	*f;
	struct timespec	 t0, t1;
	char		 err[64], want[32];
	size_t		 i;

	f = calloc(N, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < N; i++)
		ck_assert_ptr_nonnull(f[i].path = strdup("same.bin"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(mi_disambiguate(f, N, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_str_eq(f[0].path, "same.bin");
	for (i = 1; i < N; i++) {
		snprintf(want, sizeof(want), "same.%zu.bin", i);
		ck_assert_str_eq(f[i].path, want);
	}
	ck_assert_msg((t1.tv_sec - t0.tv_sec) < 5, "took too long");
	for (i = 0; i < N; i++) {
		free(f[i].path);
		free(f[i].original);
	}
	free(f);
}
END_TEST

/* BEP 52: torrents built here, merkle roots computed independently. */

#define V2PL	16384

/* The merkle root of n piece hashes, padded with zero subtrees. */
static void
merkle(const uint8_t *h, size_t n, uint8_t out[32])
{
	uint8_t	 pad[32] = { 0 }, buf[64], *lvl;
	size_t	 width = 1, i;

	/* One zero leaf hashed up to a piece (16 KiB pieces: itself). */
	while (width < n)
		width *= 2;
	lvl = calloc(width, 32);
	ck_assert_ptr_nonnull(lvl);
	memcpy(lvl, h, 32 * n);
	for (i = n; i < width; i++)
		memcpy(lvl + 32 * i, pad, 32);
	for (; width > 1; width /= 2)
		for (i = 0; i < width / 2; i++) {
			memcpy(buf, lvl + 64 * i, 64);
			SHA256(buf, 64, lvl + 32 * i);
		}
	memcpy(out, lvl, 32);
	free(lvl);
}

struct v2f {
	const char	*dir;		/* NULL: at the top */
	const char	*name;
	int64_t		 length;
	uint8_t		 root[32];
	uint8_t		*layer;		/* NULL: length <= one piece */
	size_t		 layerlen;
};

/* Fill f's root (and layer) for its length, from seed. */
static void
v2f_make(struct v2f *f, int seed)
{
	size_t	n, i;

	n = (size_t)((f->length + V2PL - 1) / V2PL);
	if (n <= 1) {
		memset(f->root, seed, 32);
		f->layer = NULL;
		return;
	}
	f->layerlen = 32 * n;
	f->layer = malloc(f->layerlen);
	ck_assert_ptr_nonnull(f->layer);
	for (i = 0; i < f->layerlen; i++)
		f->layer[i] = (uint8_t)(seed + i * 7);
	merkle(f->layer, n, f->root);
}

static void
enc_leaf(struct be_buf *b, const struct v2f *f)
{
	be_enc_dict(b);
	be_enc_str(b, "", 0);
	be_enc_dict(b);
	be_enc_cstr(b, "length");
	be_enc_int(b, f->length);
	if (f->length > 0) {
		be_enc_cstr(b, "pieces root");
		be_enc_str(b, f->root, 32);
	}
	be_enc_end(b);
	be_enc_end(b);
}

/*
 * A v2 (v1 0) or hybrid (v1 1) torrent of files f[0, n), in file tree
 * order (files of one dir next to each other), pad files in v1 after
 * every file but the last that does not end on a piece boundary.
 * skip_pad: leave out the pad after file skip_pad - 1 (0: none).
 */
static uint8_t *
v2_torrent(struct v2f *f, size_t n, int v1, int64_t pl, size_t skip_pad,
    size_t *len)
{
	struct be_buf	 b;
	const char	*dir;
	uint64_t	 total = 0;
	size_t		 i;
	char		 padname[32];

	be_buf_init(&b);
	be_enc_dict(&b);
	be_enc_cstr(&b, "info");
	be_enc_dict(&b);
	be_enc_cstr(&b, "file tree");
	be_enc_dict(&b);
	for (i = 0; i < n; i++) {
		dir = f[i].dir;
		if (dir != NULL && (i == 0 || f[i - 1].dir == NULL ||
		    strcmp(f[i - 1].dir, dir) != 0)) {
			be_enc_cstr(&b, dir);
			be_enc_dict(&b);
		}
		be_enc_cstr(&b, f[i].name);
		enc_leaf(&b, &f[i]);
		if (dir != NULL && (i + 1 == n || f[i + 1].dir == NULL ||
		    strcmp(f[i + 1].dir, dir) != 0))
			be_enc_end(&b);
	}
	be_enc_end(&b);
	if (v1) {
		be_enc_cstr(&b, "files");
		be_enc_list(&b);
		for (i = 0; i < n; i++) {
			be_enc_dict(&b);
			be_enc_cstr(&b, "length");
			be_enc_int(&b, f[i].length);
			be_enc_cstr(&b, "path");
			be_enc_list(&b);
			if (f[i].dir != NULL)
				be_enc_cstr(&b, f[i].dir);
			be_enc_cstr(&b, f[i].name);
			be_enc_end(&b);
			be_enc_end(&b);
			total += (uint64_t)f[i].length;
			if (i + 1 < n && f[i].length % pl != 0 &&
			    skip_pad != i + 1) {
				be_enc_dict(&b);
				be_enc_cstr(&b, "attr");
				be_enc_cstr(&b, "p");
				be_enc_cstr(&b, "length");
				be_enc_int(&b, pl - f[i].length % pl);
				be_enc_cstr(&b, "path");
				be_enc_list(&b);
				be_enc_cstr(&b, ".pad");
				snprintf(padname, sizeof(padname), "%" PRId64,
				    pl - f[i].length % pl);
				be_enc_cstr(&b, padname);
				be_enc_end(&b);
				be_enc_end(&b);
				total += (uint64_t)(pl - f[i].length % pl);
			}
		}
		be_enc_end(&b);
	}
	be_enc_cstr(&b, "meta version");
	be_enc_int(&b, 2);
	be_enc_cstr(&b, "name");
	be_enc_cstr(&b, "v2t");
	be_enc_cstr(&b, "piece length");
	be_enc_int(&b, pl);
	if (v1) {
		be_enc_cstr(&b, "pieces");
		enc_pieces(&b, total, pl, 0);
	}
	be_enc_end(&b);
	be_enc_cstr(&b, "piece layers");
	be_enc_dict(&b);
	for (i = 0; i < n; i++)
		if (f[i].layer != NULL) {
			be_enc_str(&b, f[i].root, 32);
			be_enc_str(&b, f[i].layer, f[i].layerlen);
		}
	be_enc_end(&b);
	be_enc_end(&b);
	return finish(&b, len);
}

static void
v2f_free(struct v2f *f, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(f[i].layer);
}

/* Three files: one with a layer, one in a directory, one small. */
static void
v2_files(struct v2f *f)
{
	memset(f, 0, 3 * sizeof(*f));
	f[0].name = "a.bin";
	f[0].length = 40000;	/* 3 pieces: a layer of 3, padded to 4 */
	f[1].dir = "sub";
	f[1].name = "b.txt";
	f[1].length = 5000;
	f[2].name = "z.bin";
	f[2].length = 16384 * 4 + 1;	/* 5 pieces */
	v2f_make(&f[0], 1);
	v2f_make(&f[1], 2);
	v2f_make(&f[2], 3);
}

START_TEST(v2_only)
{
	struct v2f	 f[3];
	struct metainfo	*mi, *info;
	uint8_t		*t, md[32];
	size_t		 len;

	v2_files(f);
	t = v2_torrent(f, 3, 0, V2PL, 0, &len);
	mi = parse_ok(t, len);
	ck_assert_int_eq(mi->has_v1, 0);
	ck_assert_int_eq(mi->has_v2, 1);
	ck_assert_int_eq(mi->multi, 1);
	ck_assert_ptr_null(mi->pieces);
	ck_assert_uint_eq(mi->piece_count, 0);
	ck_assert_uint_eq(mi->nfiles, 3);
	ck_assert_str_eq(mi->files[0].path, "a.bin");
	ck_assert_str_eq(mi->files[1].path, "sub/b.txt");
	ck_assert_str_eq(mi->files[2].path, "z.bin");
	ck_assert_uint_eq(mi->files[2].offset, 45000);
	ck_assert_uint_eq(mi->total_size, 45000 + 16384 * 4 + 1);
	ck_assert_mem_eq(mi->files[2].root, f[2].root, 32);
	SHA256(mi->info, mi->info_len, md);
	ck_assert_mem_eq(mi->info_hash_v2, md, 32);
	/* The info dictionary alone: the same, without layers to check. */
	ck_assert_int_eq(metainfo_parse_info(mi->info, mi->info_len, &info,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(info->nfiles, 3);
	ck_assert_int_eq(info->has_v1, 0);
	metainfo_free(info);
	metainfo_free(mi);
	free(t);

	/* One file named as the torrent: a single-file torrent. */
	f[0].name = "v2t";
	t = v2_torrent(f, 1, 0, V2PL, 0, &len);
	mi = parse_ok(t, len);
	ck_assert_int_eq(mi->multi, 0);
	ck_assert_str_eq(mi->files[0].path, "v2t");
	metainfo_free(mi);
	free(t);
	v2f_free(f, 3);
}
END_TEST

START_TEST(hybrid_agrees)
{
	struct v2f	 f[3];
	struct metainfo	*mi;
	uint8_t		*t, md[32];
	size_t		 len;

	v2_files(f);
	t = v2_torrent(f, 3, 1, V2PL, 0, &len);
	mi = parse_ok(t, len);
	ck_assert_int_eq(mi->has_v1, 1);
	ck_assert_int_eq(mi->has_v2, 1);
	ck_assert_uint_eq(mi->nfiles, 5);	/* two pad files */
	ck_assert_str_eq(mi->files[1].path, ".pad/9152");
	ck_assert_int_eq(mi->files[1].pad, 1);
	ck_assert_str_eq(mi->files[2].path, "sub/b.txt");
	ck_assert_int_eq(mi->files[2].has_root, 1);
	ck_assert_mem_eq(mi->files[2].root, f[1].root, 32);
	ck_assert_uint_eq(mi->piece_count, 3 + 1 + 5);
	SHA1(mi->info, mi->info_len, md);
	ck_assert_mem_eq(mi->info_hash, md, 20);
	SHA256(mi->info, mi->info_len, md);
	ck_assert_mem_eq(mi->info_hash_v2, md, 32);
	metainfo_free(mi);
	free(t);
	v2f_free(f, 3);
}
END_TEST

/*
 * A hybrid of the three v2_files() whose v1 files list is spec: entries
 * "path=length" ('|' between components) or "=length" for a pad file.
 */
static uint8_t *
hybrid_with(struct v2f *f, const char *const *spec, size_t *len)
{
	struct be_buf	 b;
	struct tfile	 tf;
	uint64_t	 total = 0;
	const char	*eq;
	char		 path[64];
	size_t		 i;

	be_buf_init(&b);
	be_enc_dict(&b);
	be_enc_cstr(&b, "info");
	be_enc_dict(&b);
	be_enc_cstr(&b, "file tree");
	be_enc_dict(&b);
	be_enc_cstr(&b, "a.bin");
	enc_leaf(&b, &f[0]);
	be_enc_cstr(&b, "sub");
	be_enc_dict(&b);
	be_enc_cstr(&b, "b.txt");
	enc_leaf(&b, &f[1]);
	be_enc_end(&b);
	be_enc_cstr(&b, "z.bin");
	enc_leaf(&b, &f[2]);
	be_enc_end(&b);
	be_enc_cstr(&b, "files");
	be_enc_list(&b);
	for (i = 0; spec[i] != NULL; i++) {
		eq = strchr(spec[i], '=');
		memset(&tf, 0, sizeof(tf));
		tf.length = strtoll(eq + 1, NULL, 10);
		be_enc_dict(&b);
		if (eq == spec[i]) {
			be_enc_cstr(&b, "attr");
			be_enc_cstr(&b, "p");
			snprintf(path, sizeof(path), ".pad|%" PRId64, tf.length);
		} else
			snprintf(path, sizeof(path), "%.*s", (int)(eq - spec[i]),
			    spec[i]);
		be_enc_cstr(&b, "length");
		be_enc_int(&b, tf.length);
		be_enc_cstr(&b, "path");
		enc_path(&b, path, 0);
		be_enc_end(&b);
		total += (uint64_t)tf.length;
	}
	be_enc_end(&b);
	be_enc_cstr(&b, "meta version");
	be_enc_int(&b, 2);
	be_enc_cstr(&b, "name");
	be_enc_cstr(&b, "v2t");
	be_enc_cstr(&b, "piece length");
	be_enc_int(&b, V2PL);
	be_enc_cstr(&b, "pieces");
	enc_pieces(&b, total, V2PL, 0);
	be_enc_end(&b);
	be_enc_cstr(&b, "piece layers");
	be_enc_dict(&b);
	be_enc_str(&b, f[0].root, 32);	/* a.bin's sorts first: root 1... */
	be_enc_str(&b, f[0].layer, f[0].layerlen);
	be_enc_str(&b, f[2].root, 32);
	be_enc_str(&b, f[2].layer, f[2].layerlen);
	be_enc_end(&b);
	be_enc_end(&b);
	return finish(&b, len);
}

static void
hybrid_bad(struct v2f *f, const char *const *spec, const char *msg)
{
	uint8_t	*t;
	size_t	 len;

	t = hybrid_with(f, spec, &len);
	parse_bad(t, len, msg);
	free(t);
}

START_TEST(hybrid_disagrees)
{
	struct v2f		 f[3];
	struct metainfo		*mi;
	uint8_t			*t;
	size_t			 len;
	static const char *const good[] = { "a.bin=40000", "=9152",
	    "sub|b.txt=5000", "=11384", "z.bin=65537", NULL };
	static const char *const trailing_pad[] = { "a.bin=40000", "=9152",
	    "sub|b.txt=5000", "=11384", "z.bin=65537", "=16383", NULL };
	static const char *const no_pad[] = { "a.bin=40000",
	    "sub|b.txt=5000", "=11384", "z.bin=65537", NULL };
	static const char *const pad_size[] = { "a.bin=40000", "=9151",
	    "sub|b.txt=5001", "=11384", "z.bin=65537", NULL };
	static const char *const two_pads[] = { "a.bin=40000", "=9152",
	    "=16384", "sub|b.txt=5000", "=11384", "z.bin=65537", NULL };
	static const char *const length[] = { "a.bin=40000", "=9152",
	    "sub|b.txt=5001", "=11383", "z.bin=65537", NULL };
	static const char *const path[] = { "a.bin=40000", "=9152",
	    "sub|c.txt=5000", "=11384", "z.bin=65537", NULL };
	static const char *const order[] = { "sub|b.txt=5000", "=11384",
	    "a.bin=40000", "=9152", "z.bin=65537", NULL };
	static const char *const extra[] = { "a.bin=40000", "=9152",
	    "sub|b.txt=5000", "=11384", "z.bin=65537", "=16383", "x=1",
	    NULL };
	static const char *const fewer[] = { "a.bin=40000", "=9152",
	    "sub|b.txt=5000", NULL };
	static const char *const lead_pad[] = { "=16", "a.bin=40000", "=9152",
	    "sub|b.txt=5000", "=11384", "z.bin=65537", NULL };

	v2_files(f);
	t = hybrid_with(f, good, &len);
	mi = parse_ok(t, len);
	ck_assert_uint_eq(mi->nfiles, 5);
	metainfo_free(mi);
	free(t);
	t = hybrid_with(f, trailing_pad, &len);
	mi = parse_ok(t, len);	/* a pad after the last file: allowed */
	ck_assert_uint_eq(mi->nfiles, 6);
	metainfo_free(mi);
	free(t);
	hybrid_bad(f, no_pad, "hybrid: no pad file before file 1 "
	    "'sub/b.txt'");
	hybrid_bad(f, pad_size, "hybrid: pad file 1 (9151 bytes) is not "
	    "where BEP 52 puts one");
	hybrid_bad(f, two_pads, "hybrid: pad file 2 (16384 bytes) is not "
	    "where BEP 52 puts one");
	hybrid_bad(f, lead_pad, "hybrid: pad file 0 (16 bytes) is not where");
	hybrid_bad(f, length, "hybrid: file 2 'sub/b.txt' is 5001 bytes in "
	    "v1 and 5000 in the file tree");
	hybrid_bad(f, path, "hybrid: file 2 is 'sub/c.txt' in v1 and "
	    "'sub/b.txt' in the file tree");
	hybrid_bad(f, order, "hybrid: file 0 is 'sub/b.txt' in v1 and "
	    "'a.bin' in the file tree");
	hybrid_bad(f, extra, "hybrid: v1 has more files than the file tree "
	    "(3)");
	hybrid_bad(f, fewer, "hybrid: the file tree has 3 files, v1 2");
	v2f_free(f, 3);
}
END_TEST

/*
 * A v2 torrent of one file "a" of 1 byte with pieces root root, and a
 * piece layers dictionary with one empty layer under lkey if not NULL.
 */
static uint8_t *
v2_one(const uint8_t *root, size_t rootlen, const uint8_t *lkey,
    size_t lkeylen, size_t *len)
{
	struct be_buf	b;

	be_buf_init(&b);
	be_enc_dict(&b);
	be_enc_cstr(&b, "info");
	be_enc_dict(&b);
	be_enc_cstr(&b, "file tree");
	be_enc_dict(&b);
	be_enc_cstr(&b, "a");
	be_enc_dict(&b);
	be_enc_str(&b, "", 0);
	be_enc_dict(&b);
	be_enc_cstr(&b, "length");
	be_enc_int(&b, 1);
	be_enc_cstr(&b, "pieces root");
	be_enc_str(&b, root, rootlen);
	be_enc_end(&b);
	be_enc_end(&b);
	be_enc_end(&b);
	be_enc_cstr(&b, "meta version");
	be_enc_int(&b, 2);
	be_enc_cstr(&b, "name");
	be_enc_cstr(&b, "x");
	be_enc_cstr(&b, "piece length");
	be_enc_int(&b, V2PL);
	be_enc_end(&b);
	be_enc_cstr(&b, "piece layers");
	be_enc_dict(&b);
	if (lkey != NULL) {
		be_enc_str(&b, lkey, lkeylen);
		be_enc_str(&b, "", 0);
	}
	be_enc_end(&b);
	be_enc_end(&b);
	return finish(&b, len);
}

START_TEST(piece_layers_bad)
{
	struct v2f	 f[3];
	uint8_t		*t, *p, key[32];
	size_t		 len;

	v2_files(f);
	/* No layer for z.bin. */
	p = f[2].layer;
	f[2].layer = NULL;
	t = v2_torrent(f, 3, 0, V2PL, 0, &len);
	parse_bad(t, len, "piece layers: no layer for file 2 'z.bin'");
	free(t);
	f[2].layer = p;
	/* A layer one hash short. */
	f[2].layerlen -= 32;
	t = v2_torrent(f, 3, 0, V2PL, 0, &len);
	parse_bad(t, len, "piece layers: the layer of file 2 'z.bin' has 4 "
	    "hashes; its 5 pieces need as many");
	free(t);
	f[2].layerlen += 32;
	/* A file longer than its layer says. */
	f[2].length = V2PL * 5 + 1;
	t = v2_torrent(f, 3, 0, V2PL, 0, &len);
	parse_bad(t, len, "piece layers: the layer of file 2 'z.bin' has 5 "
	    "hashes; its 6 pieces need as many");
	free(t);
	f[2].length = V2PL * 4 + 1;
	/* One hash byte changed: the root does not match. */
	f[2].layer[40] ^= 1;
	t = v2_torrent(f, 3, 0, V2PL, 0, &len);
	parse_bad(t, len, "piece layers: the layer of file 2 'z.bin' does not "
	    "hash to its pieces root");
	free(t);
	f[2].layer[40] ^= 1;
	/* A layer of 95 bytes, and a key of 31. */
	f[2].layerlen -= 1;
	t = v2_torrent(f, 3, 0, V2PL, 0, &len);
	parse_bad(t, len, "piece layers: layer 1 is 159 bytes, not a multiple "
	    "of 32");
	free(t);
	f[2].layerlen += 1;
	t = v2_torrent(f, 3, 0, V2PL, 0, &len);
	p = memmem(t, len, "32:", 3);	/* the first pieces root */
	ck_assert_ptr_nonnull(p);
	p = memmem(p + 3, len - (size_t)(p + 3 - t), "piece layersd32:", 16);
	ck_assert_ptr_nonnull(p);
	p[13] = '1';	/* "31:" then a stray byte before the value */
	parse_bad(t, len, "bencode:");
	free(t);
	v2f_free(f, 3);
	memset(key, 1, sizeof(key));
	t = v2_one(key, 32, key, 31, &len);
	parse_bad(t, len, "piece layers: a key of 31 bytes, not 32");
	free(t);
	t = v2_one(key, 32, NULL, 0, &len);
	p = memmem(t, len, "12:piece layersd", 16);
	ck_assert_ptr_nonnull(p);
	p[15] = 'l';	/* a list, not a dictionary */
	parse_bad(t, len, "piece layers is not a dictionary");
	free(t);
	memset(key, 0, sizeof(key));
	t = v2_one(key, 32, NULL, 0, &len);
	parse_bad(t, len, "file tree: 'a': pieces root is all zeros");
	free(t);

}
END_TEST

/* A v2-only info dictionary of one file tree, given raw. */
static void
tree_bad(const char *tree, const char *msg)
{
	char	 buf[4096];
	int	 n;

	n = snprintf(buf, sizeof(buf), "d4:infod9:file tree%s12:meta versioni2e"
	    "4:name1:x12:piece lengthi16384eee", tree);
	ck_assert_int_lt(n, (int)sizeof(buf));
	parse_bad((const uint8_t *)buf, (size_t)n, msg);
}

#define ROOT1	"11:pieces root32:\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1\1" \
		"\1\1\1\1\1\1\1\1\1\1\1\1"

START_TEST(file_tree_bad)
{
	char	deep[1024];
	size_t	i, o = 0;

	tree_bad("de", "info: file tree has no file");
	tree_bad("le", "info: file tree is not a dictionary");
	tree_bad("d0:d6:lengthi1e" ROOT1 "ee", "file tree: a file with no name");
	tree_bad("d1:ad0:d6:lengthi1e" ROOT1 "e1:bd0:d6:lengthi1e" ROOT1 "eee"
	    "e", "file tree: 'a' is both a file and a directory");
	tree_bad("d1:ai1ee", "file tree: 'a' is not a dictionary");
	tree_bad("d1:ad0:i1eee", "file tree: 'a' is not a dictionary");
	tree_bad("d1:ad0:d6:lengthi1eeee", "file tree: 'a': pieces root is "
	    "missing");
	tree_bad("d1:ad0:d6:lengthi1e11:pieces root3:abceee",
	    "file tree: 'a': pieces root is not 32 bytes");
	tree_bad("d1:ad0:d6:lengthi-1e" ROOT1 "eee",
	    "file tree: 'a': length -1 is negative");
	tree_bad("d1:ad0:d4:attr1:p6:lengthi1e" ROOT1 "eee",
	    "file tree: 'a': a pad file in a file tree");
	tree_bad("d1:ad0:d6:lengthi0eeee", "torrent has no data");
	/* 65 directories deep: past MI_MAX_DEPTH, within the decoder. */
	for (i = 0; i < 65; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "d1:a");
	o += (size_t)snprintf(deep + o, sizeof(deep) - o,
	    "d0:d6:lengthi1e" ROOT1 "ee");
	for (i = 0; i < 65; i++)
		deep[o++] = 'e';
	deep[o] = '\0';
	tree_bad(deep, "file tree: a path is more than 64 components deep");

	/* Piece length and meta version. */
	parse_bad((const uint8_t *)LIT("d4:infod9:file treed1:ad0:d6:lengthi1e"
	    ROOT1 "eee12:meta versioni2e4:name1:x12:piece lengthi49152eee"),
	    "info: piece length 49152 is not a power of two (BEP 52)");
	parse_bad((const uint8_t *)LIT("d4:infod9:file treed1:ad0:d6:lengthi1e"
	    ROOT1 "eee12:meta versioni2e4:name1:x12:piece lengthi8192eee"),
	    "info: piece length 8192 is below 16 KiB (BEP 52)");
	parse_bad((const uint8_t *)LIT("d4:infod12:meta versioni2e4:name1:x"
	    "12:piece lengthi16384eee"),
	    "info: meta version 2 without a file tree");
	parse_bad((const uint8_t *)LIT("d4:infod12:meta versioni3e4:name1:x"
	    "12:piece lengthi16384eee"), "info: meta version above 2 is not "
	    "supported");
	parse_bad((const uint8_t *)LIT("d4:infod12:meta version1:24:name1:x"
	    "12:piece lengthi16384eee"), "info: meta version (not an integer)");
}
END_TEST

START_TEST(file_tree_sanitised)
{
	struct metainfo	*mi;

	/* Keys are sanitised the same way as v1 path components. */
	mi = parse_ok((const uint8_t *)LIT("d4:infod9:file treed"
	    "2:..d1:xd0:d6:lengthi1e" ROOT1 "eee"
	    "3:a/bd0:d6:lengthi1e" ROOT1 "ee"
	    "3:a_bd0:d6:lengthi1e" ROOT1 "ee"
	    "e12:meta versioni2e4:name1:x12:piece lengthi16384eee"));
	ck_assert_uint_eq(mi->nfiles, 3);
	ck_assert_str_eq(mi->files[0].path, "_/x");
	ck_assert_str_eq(mi->files[0].original, "../x");
	ck_assert_str_eq(mi->files[1].path, "a_b");
	ck_assert_str_eq(mi->files[2].path, "a_b.1");
	ck_assert_uint_eq(mi->files[2].changed, MI_CHANGED_RENAMED);
	metainfo_free(mi);
}
END_TEST

START_TEST(too_many_files)
{
	struct timespec	 t0, t1;
	uint8_t		*t;
	size_t		 len;
	double		 sec;

	t = many_files(MI_MAX_FILES + 1, &len);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	parse_bad(t, len, "info: more than 100000 files");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(t);
	sec = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(sec < 5.0, "took %.1f s", sec);
}
END_TEST

START_TEST(too_big)
{
	struct metainfo	*mi;
	uint8_t		*t;
	size_t		 len = 11 << 20;

	t = malloc(len);
	ck_assert_ptr_nonnull(t);
	memset(t, 'l', len);
	parse_bad(t, len, "torrent is 11534336 bytes; the limit is 10 MiB");
	mi = (struct metainfo *)&mi;
	ck_assert_int_eq(metainfo_parse_info(t, len, &mi, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_ptr_null(mi);
	ck_assert_str_eq(errbuf, "info is 11534336 bytes; the limit is 10 MiB");
	free(t);
	/* At the limit the size is fine; the nesting is not. */
	t = malloc(MI_MAX_TORRENT);
	ck_assert_ptr_nonnull(t);
	memset(t, 'l', MI_MAX_TORRENT);
	parse_bad(t, MI_MAX_TORRENT, "bencode: nesting too deep");
	free(t);
}
END_TEST

START_TEST(structure)
{
	parse_bad((const uint8_t *)LIT("le"), "torrent is not a dictionary");
	parse_bad((const uint8_t *)LIT("d8:announce3:urle"),
	    "torrent has no info dictionary");
	parse_bad((const uint8_t *)LIT("d4:infole"), "bencode:");
	parse_bad((const uint8_t *)LIT("d4:infolee"),
	    "info is not a dictionary");
	parse_bad((const uint8_t *)LIT("d4:info0:e"),
	    "info is not a dictionary");
	parse_bad((const uint8_t *)LIT("d4:infodee"), "info: name is missing");
	parse_bad((const uint8_t *)LIT("d4:infod5:filesle6:lengthi1e4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789ee"),
	    "info: both length and files");
	parse_bad((const uint8_t *)LIT("d4:infod4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789ee"),
	    "info: neither length nor files");
	parse_bad((const uint8_t *)LIT("d4:infod5:filesle4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789ee"),
	    "info: files is empty");
	parse_bad((const uint8_t *)LIT("d4:infod5:files1:a4:name1:x"
	    "12:piece lengthi1e6:pieces20:01234567890123456789ee"),
	    "info: files is not a list");
	parse_bad((const uint8_t *)LIT("d4:infod4:name1:xe4:infod4:name1:yee"),
	    "bencode: duplicate dict key 'info'");
	parse_bad((const uint8_t *)LIT(""), "bencode: empty input");
	parse_bad((const uint8_t *)LIT("d4:infodee "),
	    "info: name is missing");	/* trailing bytes alone are fine */
	metainfo_free(NULL);
}
END_TEST

START_TEST(truncated)
{
	static const struct tfile files[] = {
		{ .path = "a|b", .length = 20000 },
		{ .path = "c", .length = 1 },
	};
	struct tinfo	 ti = { .name = "t", .piece_length = 16384,
	    .files = files, .nfiles = 2 };
	struct metainfo	*mi;
	uint8_t		*t, *cut;
	size_t		 len, k;

	t = torrent(&ti, &len);
	metainfo_free(parse_ok(t, len));
	for (k = 0; k < len; k++) {
		cut = malloc(k ? k : 1);
		ck_assert_ptr_nonnull(cut);
		memcpy(cut, t, k);
		ck_assert_msg(metainfo_parse(cut, k, &mi, errbuf,
		    sizeof(errbuf)) == -1, "accepted %zu bytes", k);
		ck_assert_ptr_null(mi);
		free(cut);
	}
	free(t);
}
END_TEST

static Suite *
metainfo_suite(void)
{
	Suite	*s = suite_create("metainfo");
	TCase	*core = tcase_create("core"), *errors = tcase_create("errors");

	tcase_add_test(core, single_file);
	tcase_add_test(core, multi_file);
	tcase_add_test(core, trackers);
	tcase_add_test(core, trackers_fallback);
	tcase_add_test(core, trackers_bounded);
	tcase_add_test(core, private_flag);
	tcase_add_test(core, pad_files);
	tcase_add_test(core, utf8_preferred);
	tcase_add_test(core, text_fields);
	tcase_add_test(core, web_seeds);
	tcase_add_test(core, hash_as_received);
	tcase_add_test(core, parse_info_alone);
	tcase_add_test(core, sanitize_component);
	tcase_add_test(core, hostile_paths);
	tcase_add_test(core, single_file_names);
	tcase_add_test(core, real_torrents);
	tcase_add_test(core, max_files);
	tcase_add_test(errors, piece_length_bad);
	tcase_add_test(errors, file_length_bad);
	tcase_add_test(errors, sum_overflow);
	tcase_add_test(errors, pieces_bad);
	tcase_add_test(errors, path_errors);
	tcase_add_test(core, sanitised_paths);
	tcase_add_test(core, attributes);
	tcase_add_test(core, name_placeholder);
	tcase_add_test(core, disambiguation);
	tcase_add_test(core, disambiguate_determinism);
	tcase_add_test(core, disambiguate_many);
	tcase_add_test(core, v2_only);
	tcase_add_test(core, hybrid_agrees);
	tcase_add_test(core, file_tree_sanitised);
	tcase_add_test(errors, hybrid_disagrees);
	tcase_add_test(errors, piece_layers_bad);
	tcase_add_test(errors, file_tree_bad);
	tcase_add_test(errors, too_many_files);
	tcase_add_test(errors, too_big);
	tcase_add_test(errors, structure);
	tcase_add_test(errors, truncated);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(metainfo_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
