/*
 * btd_desc.c -- the checks btd makes of a torrent's description, from
 * metad (ParseResult) and from state.db alike: structure, not bytes.
 *
 * metad parsed and validated the .torrent or magnet link, but a role is
 * not trusted, nor is a row read back: sizes must add up, the piece
 * count must match the size, paths must be relative with sane
 * components, URLs and text must be UTF-8, and the info bytes must hash
 * to the info-hash.  Nothing here parses outside bytes.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "torrent.pb-c.h"

#include "btd.h"
#include "log.h"
#include "magnet.h"
#include "metainfo.h"
#include "utf8.h"

/* A path from a role: relative, '/'-separated, sane components. */
static int
rel_path_valid(const char *path)
{
	const char	*c = path, *slash;
	size_t		 n, total = strlen(path);

	if (total == 0 || total > MI_MAX_PATH || path[0] == '/' ||
	    !utf8_valid(path))
		return 0;
	for (; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
			return 0;
	for (c = path; ; c = slash + 1) {
		slash = strchr(c, '/');
		n = slash ? (size_t)(slash - c) : strlen(c);
		if (n == 0 || n > MI_MAX_COMPONENT ||
		    (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (slash == NULL)
			return 1;
	}
}

static int
url_valid(const char *u)
{
	return utf8_valid(u) && strlen(u) <= 2048 &&
	    (strncasecmp(u, "http://", 7) == 0 ||
	    strncasecmp(u, "https://", 8) == 0 ||
	    strncasecmp(u, "udp://", 6) == 0);
}

/* A numeric IPv4 or IPv6 address and a port. */
static int
peer_addr_valid(const Btd__PeerAddr *a)
{
	unsigned char buf[16];

	return a->port != 0 && a->port <= 65535 &&
	    (inet_pton(AF_INET, a->addr, buf) == 1 ||
	    inet_pton(AF_INET6, a->addr, buf) == 1);
}

/* The checks btd makes of metad's description: structure, not bytes. */
const char *
torrent_desc_invalid(const Btd__TorrentDesc *d)
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen = 0;
	uint64_t	 off = 0, pieces;
	size_t		 i;

	if (d->info_hash.len != 20 || d->info.len == 0 ||
	    d->info.len > MI_MAX_TORRENT ||
	    EVP_Digest(d->info.data, d->info.len, md, &mdlen, EVP_sha1(),
	    NULL) != 1 || mdlen != 20 || memcmp(md, d->info_hash.data, 20) != 0)
		return "info-hash does not match the info bytes";
	if (d->info_hash_v2.len != 0 && (d->info_hash_v2.len != 32 ||
	    EVP_Digest(d->info.data, d->info.len, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != 32 ||
	    memcmp(md, d->info_hash_v2.data, 32) != 0))
		return "v2 info-hash does not match the info bytes";
	if (d->n_warnings > MI_MAX_WARNINGS)
		return "too many warnings";
	for (i = 0; i < d->n_warnings; i++)
		if (!utf8_valid(d->warnings[i]) ||
		    strlen(d->warnings[i]) > 512)
			return "bad warning";
	if (!rel_path_valid(d->name) || strchr(d->name, '/') != NULL)
		return "bad name";
	if (d->piece_length == 0 || d->piece_length > MI_MAX_PIECE_LENGTH ||
	    d->total_size == 0 || d->total_size > MI_MAX_TOTAL)
		return "bad sizes";
	pieces = (d->total_size + d->piece_length - 1) / d->piece_length;
	if (pieces != d->piece_count)
		return "piece count does not match the size";
	if (d->n_files == 0 || d->n_files > MI_MAX_FILES ||
	    (!d->multi && (d->n_files != 1 ||
	    strcmp(d->files[0]->path, d->name) != 0)))
		return "bad file list";
	for (i = 0; i < d->n_files; i++) {
		const Btd__FileDesc *f = d->files[i];

		if (f->offset != off || !rel_path_valid(f->path) ||
		    f->length > MI_MAX_TOTAL - off)
			return "bad file entry";
		if (strlen(f->attr) > 4 || strspn(f->attr, "lpxh") !=
		    strlen(f->attr) || (strchr(f->attr, 'p') != NULL) !=
		    f->pad || (strchr(f->attr, 'l') != NULL && f->length != 0))
			return "bad file attributes";
		/* "" only when unchanged, or for a placeholder path. */
		if (!utf8_valid(f->original) ||
		    strlen(f->original) > MI_MAX_ORIGINAL ||
		    (f->original[0] != '\0' && !f->sanitised &&
		    !f->renamed) ||
		    (f->original[0] == '\0' && f->renamed && !f->sanitised))
			return "bad original path";
		off += f->length;
	}
	if (off != d->total_size)
		return "file sizes do not add up";
	if (d->n_trackers > MI_MAX_TRACKERS)
		return "too many trackers";
	for (i = 0; i < d->n_trackers; i++)
		if (!url_valid(d->trackers[i]->url))
			return "bad tracker URL";
	if (!utf8_valid(d->comment) || !utf8_valid(d->created_by))
		return "bad text";
	for (i = 0; i < d->n_url_list; i++)
		if (!utf8_valid(d->url_list[i]))
			return "bad url-list";
	if (d->n_peers > MAGNET_MAX_PARAMS)
		return "too many peers";
	for (i = 0; i < d->n_peers; i++)
		if (!peer_addr_valid(d->peers[i]))
			return "bad peer address";
	return NULL;
}

const char *
magnet_desc_invalid(const Btd__MagnetDesc *m)
{
	size_t		 i;

	if (m->info_hash.len != 20)
		return "bad info-hash";
	if (m->info_hash_v2.len != 0 && m->info_hash_v2.len != 32)
		return "bad v2 info-hash";
	if (!utf8_valid(m->display_name) ||
	    strlen(m->display_name) > 1024)
		return "bad display name";
	if (m->n_trackers > MAGNET_MAX_PARAMS || m->n_peers >
	    MAGNET_MAX_PARAMS || m->n_web_seeds > MAGNET_MAX_PARAMS)
		return "too many parameters";
	for (i = 0; i < m->n_trackers; i++)
		if (!url_valid(m->trackers[i]->url))
			return "bad tracker URL";
	for (i = 0; i < m->n_peers; i++)
		if (!peer_addr_valid(m->peers[i]))
			return "bad peer address";
	for (i = 0; i < m->n_web_seeds; i++)
		if (!utf8_valid(m->web_seeds[i]))
			return "bad web seed";
	return NULL;
}

/*
 * A TorrentDesc kept for as long as its torrent, in one block: unpacked
 * once to measure what protobuf-c asks for, string by string and array
 * by array, then again into a block of that size.  Held by 100,000
 * torrents, the dozen allocations of each would cost their headers and
 * rounding, about 150 bytes a torrent.  The message is the first thing
 * protobuf-c allocates, so the block starts with it and desc_free()
 * frees that.  Rejected: unpacking on demand from the packed bytes, as
 * every role message names a torrent whose description is then needed.
 */
struct desc_arena {
	uint8_t	*p;
	size_t	 used;
	size_t	 cap;		/* 0: measuring, with malloc() */
};

/* Every allocation rounded so that the next is aligned for any field. */
#define DESC_ALIGN	(sizeof(void *) > sizeof(uint64_t) ? \
			    sizeof(void *) : sizeof(uint64_t))

static void *
arena_alloc(void *ad, size_t n)
{
	struct desc_arena	*a = ad;
	void			*r;

	n = (n + DESC_ALIGN - 1) & ~(DESC_ALIGN - 1);
	if (a->cap == 0) {
		a->used += n;
		return malloc(n);
	}
	if (n > a->cap - a->used)
		return NULL;
	r = a->p + a->used;
	a->used += n;
	return r;
}

static void
arena_free(void *ad, void *ptr)
{
	struct desc_arena *a = ad;

	if (a->cap == 0)
		free(ptr);
}

struct Btd__TorrentDesc *
desc_unpack(size_t len, const uint8_t *data)
{
	struct desc_arena	 a = { NULL, 0, 0 };
	ProtobufCAllocator	 al = { arena_alloc, arena_free, &a };
	Btd__TorrentDesc	*d;

	if ((d = btd__torrent_desc__unpack(&al, len, data)) == NULL)
		return NULL;
	btd__torrent_desc__free_unpacked(d, &al);
	if (a.used == 0 || (a.p = malloc(a.used)) == NULL)
		return NULL;
	a.cap = a.used;
	a.used = 0;
	if ((d = btd__torrent_desc__unpack(&al, len, data)) == NULL) {
		free(a.p);
		return NULL;
	}
	if ((void *)d != (void *)a.p)
		fatalx("%s: protobuf-c did not allocate the message first",
		    __func__);
	return d;
}

void
desc_free(struct Btd__TorrentDesc *d)
{
	free(d);	/* the block of desc_unpack() */
}
