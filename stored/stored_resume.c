/*
 * stored_resume.c -- quick resume: which pieces a check trusts, hashes,
 * or finds lost, from what btd recorded of each file and what is on
 * disk now.  Plain C, no I/O and no protobuf: stored_torrent.c fills in
 * the files from fstat() and btd's StoredTorrentAdd.stats, unit tests
 * (tests/unit/check_resume.c) from a fake file-system view.
 *
 * The rule is proto/stored.proto's (StoredTorrentAdd):
 *
 *   - a piece with bytes in a file that is missing or too short is not
 *     on disk: lost if btd recorded it verified (and a missing file it
 *     touches is reported), else simply missing;
 *   - a recorded piece whose files are all as recorded is trusted;
 *   - every other piece on disk is hashed.
 *
 * "As recorded": a record exists and size and mtime (nanoseconds) match
 * it exactly; or, when written_until is set (stored may have written
 * the file after its last record: an unclean stop), the file did not
 * shrink and its mtime lies after the record and no later than
 * written_until.
 *
 * Rejected alternative: trusting a recorded piece whenever its bytes
 * exist (the rule before records): a file overwritten or replaced with
 * one of the same size went unnoticed until btctl verify.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stored.h"

int
sres_file_ok(const struct sres_file *f, int64_t written_until)
{
	if (!f->rec || f->size < 0)
		return 0;
	if ((uint64_t)f->size == f->rec_size && f->mtime == f->rec_mtime)
		return 1;
	return written_until != 0 && (uint64_t)f->size >= f->rec_size &&
	    f->mtime > f->rec_mtime && f->mtime <= written_until;
}

enum sres_verdict
sres_piece(const struct smap *m, const struct sres_file *files,
    const uint8_t *have, int recheck, int64_t written_until, uint32_t piece,
    uint8_t *missing)
{
	struct smap_iter	 it;
	struct smap_extent	 e;
	int			 on_disk = 1, as_recorded = 1, had;

	if (piece >= m->piece_count ||
	    smap_range(m, piece, 0, smap_piece_size(m, piece), &it) == -1)
		return SRES_MISSING;
	had = have != NULL && BIT_ISSET(have, piece);
	while (smap_next(&it, &e)) {
		const struct sres_file *f = &files[e.file];

		if (e.pad)
			continue;
		if (f->size < (int64_t)(e.file_offset + e.length)) {
			on_disk = 0;
			if (had && f->size < 0 && missing != NULL)
				BIT_SET(missing, e.file);
		} else if (!sres_file_ok(f, written_until))
			as_recorded = 0;
	}
	if (!on_disk)
		return had ? SRES_LOST : SRES_MISSING;
	if (recheck || !had || !as_recorded)
		return SRES_HASH;
	return SRES_TRUST;
}

void
sres_decide(const struct smap *m, const struct sres_file *files,
    const uint8_t *have, int recheck, int64_t written_until,
    uint8_t *verdict, uint8_t *missing, struct sres_count *c)
{
	uint32_t p;

	memset(c, 0, sizeof(*c));
	if (missing != NULL)
		memset(missing, 0, ((size_t)m->nfiles + 7) / 8);
	for (p = 0; p < m->piece_count; p++) {
		verdict[p] = (uint8_t)sres_piece(m, files, have, recheck,
		    written_until, p, missing);
		switch (verdict[p]) {
		case SRES_MISSING:
			c->missing++;
			break;
		case SRES_TRUST:
			c->trust++;
			break;
		case SRES_HASH:
			c->hash++;
			break;
		case SRES_LOST:
			c->lost++;
			break;
		}
	}
}
