/*
 * fuzz_metainfo.c -- libFuzzer target for .torrent validation.
 *
 * The input goes to metainfo_parse() as a whole .torrent and to
 * metainfo_parse_info() as a bare info dictionary.  Whatever either
 * accepts must satisfy the promises of metainfo.h: at least one file,
 * offsets that follow from the lengths, lengths that sum to the total,
 * piece_count == ceil(total / piece_length) (0 without v1 pieces), the
 * info-hash equal to the SHA-1 of the info bytes as received and the v2
 * one to their SHA-256, a power-of-two piece length for BEP 52, BEP 47
 * attributes that are known letters (a symlink has no data), a change
 * note and a displayable original path exactly for the files whose path
 * was changed, bounded warnings, and every path relative, within
 * MI_MAX_PATH, made of components that are not empty, "." or "..",
 * are valid UTF-8 with no control or bidirectional formatting character,
 * no backslash, no trailing dot or space, and no two files (pad files
 * aside) that collide or where one is a directory of another.  A
 * .torrent that parses must give the same result when its info bytes
 * are parsed alone.  Errors must be one line of printable text.
 */
#include <openssl/sha.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "metainfo.h"

/* Reads of strings nothing else looks at, kept from the optimiser. */
static volatile size_t	 sink;

/* Byte order with '/' first, so a directory's files follow its name. */
static int
pathcmp(const void *va, const void *vb)
{
	const unsigned char	*a = *(const unsigned char *const *)va;
	const unsigned char	*b = *(const unsigned char *const *)vb;
	unsigned		 ca, cb;

	for (;; a++, b++) {
		ca = *a == '/' ? 1 : *a == '\0' ? 0 : *a + 1U;
		cb = *b == '/' ? 1 : *b == '\0' ? 0 : *b + 1U;
		if (ca != cb || ca == 0)
			return (int)ca - (int)cb;
	}
}

/* One sanitised component of len bytes at c (not NUL-terminated). */
static void
check_component(const char *c, size_t len)
{
	char	 tmp[MI_MAX_COMPONENT + 1];

	CHECK(len >= 1 && len <= MI_MAX_COMPONENT);
	CHECK(!(len == 1 && c[0] == '.'));
	CHECK(!(len == 2 && c[0] == '.' && c[1] == '.'));
	CHECK(c[len - 1] != '.' && c[len - 1] != ' ');
	CHECK(memchr(c, '\\', len) == NULL);
	memcpy(tmp, c, len);
	tmp[len] = '\0';
	CHECK(utf8_valid(tmp));
	CHECK(!fuzz_has_unsafe(tmp));
}

static void
check_path(const char *path)
{
	const char	*p, *slash;
	size_t		 len = strlen(path), ncomp = 0;

	CHECK(len >= 1 && len <= MI_MAX_PATH);
	CHECK(path[0] != '/');
	for (p = path;; p = slash + 1) {
		slash = strchr(p, '/');
		check_component(p, slash != NULL ? (size_t)(slash - p) :
		    strlen(p));
		ncomp++;
		if (slash == NULL)
			break;
	}
	CHECK(ncomp <= MI_MAX_DEPTH);
}

static void
check_files(const struct metainfo *mi)
{
	const char	**paths;
	uint64_t	 off = 0;
	size_t		 i, np = 0, len;

	CHECK(mi->nfiles >= 1 && mi->nfiles <= MI_MAX_FILES);
	CHECK(mi->files != NULL);
	CHECK(mi->multi || mi->nfiles == 1);
	if (!mi->multi)
		CHECK(strcmp(mi->files[0].path, mi->name) == 0);
	paths = calloc(mi->nfiles, sizeof(*paths));
	CHECK(paths != NULL);
	for (i = 0; i < mi->nfiles; i++) {
		CHECK(mi->files[i].path != NULL);
		check_path(mi->files[i].path);
		CHECK(mi->files[i].offset == off);
		CHECK(mi->files[i].length <= MI_MAX_TOTAL - off);
		off += mi->files[i].length;
		CHECK(mi->files[i].pad == 0 || mi->files[i].pad == 1);
		CHECK((mi->files[i].attr & ~(unsigned)(MI_ATTR_PAD |
		    MI_ATTR_SYMLINK | MI_ATTR_EXEC | MI_ATTR_HIDDEN)) == 0);
		CHECK(mi->files[i].pad == ((mi->files[i].attr &
		    MI_ATTR_PAD) != 0));
		if (mi->files[i].attr & MI_ATTR_SYMLINK)
			CHECK(mi->files[i].length == 0);
		CHECK((mi->files[i].changed & ~(unsigned)(MI_CHANGED_SANITISED |
		    MI_CHANGED_RENAMED | MI_CHANGED_PLACEHOLDER)) == 0);
		CHECK((mi->files[i].original != NULL) ==
		    (mi->files[i].changed != 0));
		if (mi->files[i].original != NULL) {
			CHECK(strlen(mi->files[i].original) <= MI_MAX_ORIGINAL);
			CHECK(utf8_valid(mi->files[i].original));
			CHECK(!fuzz_has_unsafe(mi->files[i].original));
		}
		if (!mi->files[i].pad)
			paths[np++] = mi->files[i].path;
	}
	CHECK(off == mi->total_size);

	/* No duplicate, no file that is also another's directory. */
	qsort(paths, np, sizeof(*paths), pathcmp);
	for (i = 1; i < np; i++) {
		len = strlen(paths[i - 1]);
		CHECK(strcmp(paths[i - 1], paths[i]) != 0);
		CHECK(!(strncmp(paths[i - 1], paths[i], len) == 0 &&
		    paths[i][len] == '/'));
	}
	free(paths);
}

static int
url_scheme_ok(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 ||
	    strncasecmp(u, "https://", 8) == 0 ||
	    strncasecmp(u, "udp://", 6) == 0;
}

static void
check_mi(const struct metainfo *mi, int whole)
{
	uint8_t		 md[SHA256_DIGEST_LENGTH];
	uint64_t	 want;
	size_t		 i;

	CHECK(mi->name != NULL);
	CHECK(strchr(mi->name, '/') == NULL);
	check_component(mi->name, strlen(mi->name));

	CHECK(mi->piece_length >= 1 &&
	    mi->piece_length <= MI_MAX_PIECE_LENGTH);
	CHECK(mi->total_size <= MI_MAX_TOTAL);
	CHECK(mi->has_v1 == 0 || mi->has_v1 == 1);
	CHECK(mi->has_v2 == 0 || mi->has_v2 == 1);
	CHECK(mi->has_v1 || mi->has_v2);
	want = mi->total_size / mi->piece_length +
	    (mi->total_size % mi->piece_length != 0);
	if (!mi->has_v1) {
		want = 0;
		CHECK(mi->pieces == NULL);
	}
	CHECK(mi->piece_count == want);
	if (mi->has_v2) {
		CHECK(mi->piece_length >= MI_V2_MIN_PIECE);
		CHECK((mi->piece_length & (mi->piece_length - 1)) == 0);
	}
	CHECK(mi->nwarnings <= MI_MAX_WARNINGS);
	for (i = 0; i < mi->nwarnings; i++)
		CHECK(fuzz_err_ok(mi->warnings[i], strlen(mi->warnings[i]) +
		    1));
	if (mi->piece_count > 0) {
		CHECK(mi->pieces != NULL);
		for (i = 0; i < 20 * (size_t)mi->piece_count; i++)
			sink += mi->pieces[i];	/* the whole array is there */
	}
	check_files(mi);

	CHECK(mi->info != NULL && mi->info_len >= 2);
	CHECK(mi->info[0] == 'd' && mi->info[mi->info_len - 1] == 'e');
	SHA1(mi->info, mi->info_len, md);
	CHECK(memcmp(md, mi->info_hash, SHA_DIGEST_LENGTH) == 0);
	SHA256(mi->info, mi->info_len, md);
	CHECK(memcmp(md, mi->info_hash_v2, SHA256_DIGEST_LENGTH) == 0);
	CHECK(mi->unsorted_keys == 0 || mi->unsorted_keys == 1);
	CHECK(mi->private == 0 || mi->private == 1);

	CHECK(mi->ntrackers <= MI_MAX_TRACKERS);
	CHECK(mi->ntrackers == 0 || mi->trackers != NULL);
	for (i = 0; i < mi->ntrackers; i++) {
		CHECK(mi->trackers[i].url != NULL);
		CHECK(url_scheme_ok(mi->trackers[i].url));
		CHECK(mi->trackers[i].tier >= 0);
		if (i > 0)
			CHECK(mi->trackers[i].tier >= mi->trackers[i - 1].tier);
	}
	CHECK(mi->comment != NULL && utf8_valid(mi->comment));
	if (mi->created_by != NULL)
		sink = strlen(mi->created_by);
	CHECK(mi->nurl_list == 0 || mi->url_list != NULL);
	for (i = 0; i < mi->nurl_list; i++) {
		CHECK(mi->url_list[i] != NULL);
		sink = strlen(mi->url_list[i]);
	}
	if (!whole) {
		CHECK(mi->ntrackers == 0);
		CHECK(mi->comment[0] == '\0');
	}
}

/* The same torrent, as far as the info dictionary decides. */
static void
check_same(const struct metainfo *a, const struct metainfo *b)
{
	size_t	 i;

	CHECK(memcmp(a->info_hash, b->info_hash, sizeof(a->info_hash)) == 0);
	CHECK(strcmp(a->name, b->name) == 0);
	CHECK(a->piece_length == b->piece_length);
	CHECK(a->piece_count == b->piece_count);
	CHECK(a->total_size == b->total_size);
	CHECK(a->multi == b->multi);
	CHECK(a->private == b->private);
	CHECK(a->has_v1 == b->has_v1 && a->has_v2 == b->has_v2);
	CHECK(memcmp(a->info_hash_v2, b->info_hash_v2, 32) == 0);
	CHECK(a->nfiles == b->nfiles);
	for (i = 0; i < a->nfiles; i++) {
		CHECK(strcmp(a->files[i].path, b->files[i].path) == 0);
		CHECK(a->files[i].length == b->files[i].length);
		CHECK(a->files[i].pad == b->files[i].pad);
		CHECK(a->files[i].attr == b->files[i].attr);
		CHECK(a->files[i].changed == b->files[i].changed);
		CHECK(a->files[i].has_root == b->files[i].has_root);
	}
	if (a->piece_count > 0)
		CHECK(memcmp(a->pieces, b->pieces,
		    20 * (size_t)a->piece_count) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metainfo	*mi = NULL, *info = NULL;
	char		 err[512];
	int		 rc;

	rc = metainfo_parse(data, size, &mi, err, sizeof(err));
	if (rc == 0) {
		CHECK(mi != NULL);
		check_mi(mi, 1);
		/* The info bytes are a span of the input, as received. */
		CHECK(mi->info_len < size &&
		    memmem(data, size, mi->info, mi->info_len) != NULL);
		rc = metainfo_parse_info(mi->info, mi->info_len, &info, err,
		    sizeof(err));
		CHECK(rc == 0 && info != NULL);
		check_mi(info, 0);
		check_same(mi, info);
		metainfo_free(info);
		info = NULL;
	} else
		CHECK(rc == -1 && mi == NULL && fuzz_err_ok(err, sizeof(err)));
	metainfo_free(mi);

	rc = metainfo_parse_info(data, size, &info, err, sizeof(err));
	if (rc == 0) {
		CHECK(info != NULL);
		check_mi(info, 0);
		CHECK(info->info_len == size &&
		    memcmp(info->info, data, size) == 0);
	} else
		CHECK(rc == -1 && info == NULL &&
		    fuzz_err_ok(err, sizeof(err)));
	metainfo_free(info);
	metainfo_free(NULL);
	return 0;
}
