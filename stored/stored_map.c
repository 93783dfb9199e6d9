/*
 * stored_map.c -- the piece-to-file map: which bytes of which files hold
 * a byte range of a piece.
 *
 * Pure: no I/O, no allocation, no protobuf.  A torrent's data is the
 * concatenation of its files in torrent order (BEP 3); file i holds the
 * stream bytes [offset, offset + length).  A range of a piece may cross
 * any number of files; an empty file holds no byte and never appears in
 * an extent; a pad file (BEP 47) appears with pad set, so that the caller
 * reads zeros for it and never writes it.
 *
 * Invariant (smap_validate): offsets start at 0 and are contiguous, the
 * lengths sum to total, piece_count is ceil(total / piece_length).  Then
 * every byte of every piece maps to exactly one (file, file offset).
 *
 * Finding the first file of a range is a binary search over the offsets,
 * so a block costs O(log files) plus one step per file it touches.
 */
#include <stdio.h>
#include <string.h>

#include "stored.h"

int
smap_validate(const struct smap *m, char *err, size_t errlen)
{
	uint64_t	 pos = 0, pieces;
	uint32_t	 i;

	if (m->piece_length == 0 || m->piece_length > SMAP_PIECE_MAX) {
		snprintf(err, errlen, "piece length %llu",
		    (unsigned long long)m->piece_length);
		return -1;
	}
	if (m->total == 0 || m->total > SMAP_TOTAL_MAX) {
		snprintf(err, errlen, "total size %llu",
		    (unsigned long long)m->total);
		return -1;
	}
	if (m->nfiles == 0 || m->nfiles > SMAP_FILES_MAX) {
		snprintf(err, errlen, "%u files", m->nfiles);
		return -1;
	}
	for (i = 0; i < m->nfiles; i++) {
		if (m->files[i].offset != pos) {
			snprintf(err, errlen,
			    "file %u at offset %llu, not %llu", i,
			    (unsigned long long)m->files[i].offset,
			    (unsigned long long)pos);
			return -1;
		}
		if (m->files[i].length > SMAP_TOTAL_MAX - pos) {
			snprintf(err, errlen, "file %u too long", i);
			return -1;
		}
		pos += m->files[i].length;
	}
	if (pos != m->total) {
		snprintf(err, errlen, "files sum to %llu, total is %llu",
		    (unsigned long long)pos, (unsigned long long)m->total);
		return -1;
	}
	pieces = (m->total - 1) / m->piece_length + 1;
	if (pieces != m->piece_count) {
		snprintf(err, errlen, "%u pieces, the sizes make %llu",
		    m->piece_count, (unsigned long long)pieces);
		return -1;
	}
	return 0;
}

uint32_t
smap_piece_size(const struct smap *m, uint32_t piece)
{
	uint64_t start = (uint64_t)piece * m->piece_length;

	if (piece >= m->piece_count)
		return 0;
	if (m->total - start < m->piece_length)
		return (uint32_t)(m->total - start);
	return (uint32_t)m->piece_length;
}

/* The file holding stream byte pos (< total): never an empty one. */
static uint32_t
file_at(const struct smap *m, uint64_t pos)
{
	uint32_t lo = 0, hi = m->nfiles - 1, mid;

	/* The last file whose offset is <= pos. */
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (m->files[mid].offset <= pos)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int
smap_range(const struct smap *m, uint32_t piece, uint32_t off, uint32_t len,
    struct smap_iter *it)
{
	uint32_t size = smap_piece_size(m, piece);

	memset(it, 0, sizeof(*it));
	if (size == 0 || len == 0 || off > size || len > size - off)
		return -1;
	it->m = m;
	it->base = (uint64_t)piece * m->piece_length;
	it->pos = it->base + off;
	it->end = it->pos + len;
	it->file = file_at(m, it->pos);
	return 0;
}

int
smap_next(struct smap_iter *it, struct smap_extent *e)
{
	const struct smap_file	*f;
	uint64_t		 fend, n;

	if (it->m == NULL || it->pos >= it->end)
		return 0;
	/* Skip empty files (they share their successor's offset). */
	for (;;) {
		f = &it->m->files[it->file];
		if (f->offset + f->length > it->pos)
			break;
		it->file++;
	}
	fend = f->offset + f->length;
	n = (fend < it->end ? fend : it->end) - it->pos;
	e->file = it->file;
	e->file_offset = it->pos - f->offset;
	e->length = (uint32_t)n;
	e->piece_offset = (uint32_t)(it->pos - it->base);
	e->pad = f->pad;
	it->pos += n;
	return 1;
}

void
smap_piece_files(const struct smap *m, uint32_t piece, uint32_t *first,
    uint32_t *last)
{
	uint64_t	 start = (uint64_t)piece * m->piece_length;
	uint32_t	 size = smap_piece_size(m, piece);

	*first = file_at(m, start);
	*last = file_at(m, start + size - 1);
}
