/*
 * btd_progress.c -- a torrent's state machine and verified pieces, as
 * plain functions without I/O: btd_xfer.c feeds them what stored and
 * peerd report, and unit tests (tests/unit/check_progress.c) drive them
 * directly.
 *
 * The machine (docs/ARCHITECTURE.md, Torrents):
 *
 *	fetching metadata --metadata--> queued --sent--> checking
 *	checking --checked--> downloading | seeding (all pieces)
 *	downloading --durable, last piece--> seeding
 *	downloading <--wants--> seeding (file priorities changed)
 *
 * "All pieces" are the wanted ones (btd_wants.c): a torrent whose
 * skipped files are all that is missing seeds what it has.
 *	any --error--> error;  error, paused --resume--> queued
 *
 * Pausing is a flag beside the state, not a state: a paused torrent
 * keeps what it was, and resuming sends it to be checked again.
 *
 * Bitfields only grow here: bf_set() sets one bit and never clears one;
 * a TorrentChecked replaces the whole field (btd_xfer.c), since a check
 * is what may find pieces gone.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "btd.h"

static const char *const tstate_names[] = {
	[TST_FETCHING] = "fetching metadata",
	[TST_QUEUED] = "queued",
	[TST_CHECKING] = "checking",
	[TST_DOWNLOADING] = "downloading",
	[TST_SEEDING] = "seeding",
	[TST_ERROR] = "error",
};
#define NSTATES	(sizeof(tstate_names) / sizeof(tstate_names[0]))

const char *
tstate_name(enum tstate s)
{
	if ((size_t)s >= NSTATES)
		return "?";
	return tstate_names[s];
}

int
tstate_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NSTATES; i++)
		if (strcmp(name, tstate_names[i]) == 0)
			return (int)i;
	return -1;
}

enum tstate
tstate_next(enum tstate s, enum tevent ev, int complete)
{
	switch (ev) {
	case TEV_METADATA:
		return s == TST_FETCHING ? TST_QUEUED : s;
	case TEV_SENT:
		/* Sent again after a restart of stored: checked again. */
		if (s == TST_FETCHING || s == TST_ERROR)
			return s;
		return TST_CHECKING;
	case TEV_CHECKED:
		if (s == TST_FETCHING || s == TST_ERROR || s == TST_QUEUED)
			return s;
		return complete ? TST_SEEDING : TST_DOWNLOADING;
	case TEV_DURABLE:
		if (s == TST_DOWNLOADING && complete)
			return TST_SEEDING;
		return s;
	case TEV_ERROR:
		return TST_ERROR;
	case TEV_RESUME:
		return s == TST_FETCHING ? s : TST_QUEUED;
	case TEV_WANTS:
		/* A file skipped, or wanted again. */
		if (s == TST_SEEDING && !complete)
			return TST_DOWNLOADING;
		if (s == TST_DOWNLOADING && complete)
			return TST_SEEDING;
		return s;
	}
	return s;
}

size_t
bf_len(uint32_t pieces)
{
	return ((size_t)pieces + 7) / 8;
}

int
bf_valid(const uint8_t *bf, size_t len, uint32_t pieces)
{
	uint32_t spare;

	if (len != bf_len(pieces) || (len > 0 && bf == NULL))
		return 0;
	spare = (uint32_t)(len * 8) - pieces;
	if (spare == 0)
		return 1;
	return (bf[len - 1] & ((1U << spare) - 1)) == 0;
}

int
bf_get(const uint8_t *bf, uint32_t pieces, uint32_t i)
{
	if (i >= pieces)
		return 0;
	return (bf[i / 8] >> (7 - i % 8)) & 1;
}

int
bf_set(uint8_t *bf, uint32_t pieces, uint32_t i)
{
	uint8_t bit;

	if (i >= pieces)
		return -1;
	bit = (uint8_t)(0x80U >> (i % 8));
	if (bf[i / 8] & bit)
		return 0;
	bf[i / 8] |= bit;
	return 1;
}

uint32_t
bf_count(const uint8_t *bf, uint32_t pieces)
{
	uint32_t	n = 0, i;

	for (i = 0; i < pieces / 8; i++)
		n += (uint32_t)__builtin_popcount(bf[i]);
	for (i = pieces / 8 * 8; i < pieces; i++)
		n += (uint32_t)bf_get(bf, pieces, i);
	return n;
}

uint64_t
progress_have_bytes(const uint8_t *bf, uint32_t pieces, uint64_t piece_length,
    uint64_t total_size)
{
	uint64_t	n, last;

	if (bf == NULL || pieces == 0)
		return 0;
	n = bf_count(bf, pieces);
	last = total_size - (uint64_t)(pieces - 1) * piece_length;
	if (bf_get(bf, pieces, pieces - 1))
		return (n - 1) * piece_length + last;
	return n * piece_length;
}

int64_t
progress_eta(uint64_t left, uint64_t rate_down)
{
	uint64_t s;

	if (left == 0)
		return 0;
	if (rate_down == 0)
		return -1;
	s = (left + rate_down - 1) / rate_down;
	return s > INT64_MAX ? INT64_MAX : (int64_t)s;
}

double
progress_ratio(uint64_t uploaded, uint64_t downloaded, uint64_t size)
{
	if (downloaded > 0)
		return (double)uploaded / (double)downloaded;
	if (size > 0)
		return (double)uploaded / (double)size;
	return -1.0;
}

uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int64_t
progress_load_bitfield(const uint8_t *blob, size_t len, uint32_t pieces,
    uint8_t *out)
{
	memset(out, 0, bf_len(pieces));
	if (blob == NULL || len == 0)
		return 0;
	if (!bf_valid(blob, len, pieces))
		return -1;
	memcpy(out, blob, len);
	return bf_count(out, pieces);
}

uint64_t
progress_row_counter(int64_t v)
{
	return v < 0 ? 0 : (uint64_t)v;
}
