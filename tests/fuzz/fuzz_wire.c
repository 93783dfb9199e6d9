/*
 * fuzz_wire.c -- libFuzzer target for the peer wire codec
 * (peerd/peerd_wire.c): arbitrary bytes from a peer after a valid
 * handshake, as a connection hands them to the parser.
 *
 * Input: two bytes of piece count (big-endian, 0 read as 1), one byte
 * of chunk size (0: the whole input at once), then the peer's bytes.
 * The handshake built for the run must parse back; then the bytes go
 * through the parser twice, whole and in chunks, and both runs must
 * say the same (a digest of every event).  Invariants checked: the
 * parser never consumes more than it was given, a PIECE is 1 to 16 KiB
 * and its data chunks add up to it, a BITFIELD is exactly the
 * torrent's size with no spare bit, a HAVE is in range, an error text
 * is one printable line; extended handshakes and client names from
 * the bytes never crash and come out printable.
 */
#include "fuzz.h"
#include "peerd/peerd.h"

struct digest {
	uint64_t	h;
	int		err;
};

static void
mix(struct digest *d, uint64_t v)
{
	d->h = (d->h ^ v) * 0x100000001b3ULL;
}

static void
check_text(const char *s, size_t cap)
{
	size_t i;

	for (i = 0; i < cap && s[i] != '\0'; i++)
		CHECK(s[i] >= 0x20 && s[i] <= 0x7e);
	CHECK(i < cap);
}

static void
on_msg(const struct wire_msg *m, uint32_t npieces)
{
	struct wire_exths	 x;
	char			 err[96];

	switch (m->type) {
	case WIRE_HAVE:
		CHECK(m->index < npieces);
		break;
	case WIRE_BITFIELD:
		CHECK(m->len == (npieces + 7) / 8);
		CHECK(wire_bitfield_check(m->data, m->len, npieces, err,
		    sizeof(err)) == 0);
		break;
	case WIRE_EXTENDED:
		CHECK(m->len <= WIRE_MAX_EXTENDED);
		if (m->ext_id == 0 && wire_exths_parse(m->data, m->len, &x,
		    err, sizeof(err)) == 0) {
			check_text(x.v, sizeof(x.v));
			CHECK(x.yourip_len == 0 || x.yourip_len == 4 ||
			    x.yourip_len == 16);
		} else if (m->ext_id == 0)
			CHECK(fuzz_err_ok(err, sizeof(err)));
		break;
	default:
		break;
	}
}

static struct digest
parse(const uint8_t *buf, size_t len, size_t chunk, uint32_t npieces)
{
	struct wire_parser	 p;
	struct wire_msg		 m;
	enum wire_result	 r;
	struct digest		 d = { 0xcbf29ce484222325ULL, 0 };
	size_t			 pos = 0, end, used;
	uint32_t		 plen = 0, pgot = 0;

	wire_parser_init(&p, npieces);
	while (pos < len && !d.err) {
		end = chunk == 0 || len - pos < chunk ? len : pos + chunk;
		while (pos < end) {
			r = wire_parse(&p, buf + pos, end - pos, &used, &m);
			CHECK(used <= end - pos);
			pos += used;
			if (r == WIRE_NEED) {
				CHECK(pos == end);
				break;
			}
			if (r == WIRE_ERROR) {
				CHECK(fuzz_err_ok(p.err, sizeof(p.err)));
				mix(&d, 0xee);
				d.err = 1;
				break;
			}
			if (r == WIRE_PIECE_BEGIN) {
				CHECK(m.length > 0 && m.length <= PEERD_BLOCK);
				CHECK(pgot == plen);
				plen = m.length;
				pgot = 0;
				mix(&d, 7);
				mix(&d, m.index);
				mix(&d, m.begin);
				mix(&d, m.length);
				continue;
			}
			if (r == WIRE_PIECE_DATA) {
				CHECK(m.begin == pgot);
				CHECK(m.len > 0 && pgot + m.len <= plen);
				pgot += (uint32_t)m.len;
				/* Chunking changes the pieces, not the sum. */
				continue;
			}
			CHECK(r == WIRE_MSG);
			on_msg(&m, npieces);
			mix(&d, (uint64_t)m.type);
			mix(&d, m.index);
			mix(&d, m.begin);
			mix(&d, m.length);
			mix(&d, m.len);
		}
	}
	mix(&d, pgot);
	wire_parser_free(&p);
	return d;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t			 hs[WIRE_HANDSHAKE], ih[20], id[20];
	struct wire_handshake	 h;
	struct digest		 a, b;
	char			 err[96], name[64];
	uint32_t		 npieces;
	size_t			 chunk;

	if (size < 3)
		return 0;
	npieces = (uint32_t)data[0] << 8 | data[1];
	if (npieces == 0)
		npieces = 1;
	chunk = data[2];
	data += 3;
	size -= 3;
	/* The valid handshake that comes before. */
	memset(ih, 0x5a, sizeof(ih));
	memcpy(id, "-BT0100-fuzzfuzzfuzz", 20);
	wire_handshake_build(hs, ih, id);
	CHECK(wire_handshake_parse(hs, &h, err, sizeof(err)) == 0);
	CHECK(memcmp(h.info_hash, ih, 20) == 0);
	a = parse(data, size, 0, npieces);
	b = parse(data, size, chunk, npieces);
	CHECK(a.err == b.err);
	CHECK(a.h == b.h);
	/* A peer id from the bytes. */
	if (size >= 20) {
		wire_client_name(data, name, sizeof(name));
		check_text(name, sizeof(name));
	}
	return 0;
}
