/*
 * check_wire.c -- the peer wire codec (peerd/peerd_wire.c): the BEP 3
 * handshake with the reserved bits of BEP 6 and 10, every message built
 * and parsed back, a stream of all of them split at every byte boundary
 * and fed a byte at a time, PIECE payloads read "directly" as a
 * connection does, the extended handshake, client names, and the
 * peer-wire rows of HOSTILE.md: oversized length prefixes refused
 * before anything is allocated, bad HAVE and BITFIELD, wrong fixed
 * lengths, oversized extended and unknown messages.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerd/peerd.h"

#define NPIECES	21	/* 3 bytes of bitfield, 3 spare bits */

/* What the parser said, flattened so that two runs can be compared. */
struct ev {
	int		 res;		/* enum wire_result */
	int		 type;
	uint32_t	 index, begin, length;
	uint16_t	 port;
	uint8_t		 ext_id;
	uint8_t		 data[PEERD_BLOCK];	/* BITFIELD, EXTENDED, PIECE */
	size_t		 len;
};

#define MAXEV	64
static struct ev	evs[MAXEV], evs2[MAXEV];

/*
 * Feed buf to a fresh parser in the chunks given by cuts (positions,
 * ascending, ending with len); PIECE payload chunks are reassembled
 * into one event per PIECE.  Returns the number of events; an error
 * ends the run (its event has res WIRE_ERROR).
 */
static int
run(const uint8_t *buf, size_t len, const size_t *cuts, size_t ncuts,
    struct ev *out)
{
	struct wire_parser	 p;
	struct wire_msg		 m;
	enum wire_result	 r;
	size_t			 pos = 0, end, used, c;
	int			 n = 0;

	ck_assert_uint_eq(cuts[ncuts - 1], len);
	wire_parser_init(&p, NPIECES);
	for (c = 0; c < ncuts; c++) {
		end = cuts[c];
		while (pos < end) {
			r = wire_parse(&p, buf + pos, end - pos, &used, &m);
			ck_assert_uint_le(used, end - pos);
			pos += used;
			if (r == WIRE_NEED) {
				ck_assert_uint_eq(pos, end);
				break;
			}
			if (r == WIRE_PIECE_DATA) {
				ck_assert_int_gt(n, 0);
				ck_assert_int_eq(out[n - 1].type, WIRE_PIECE);
				ck_assert_uint_eq(m.begin, out[n - 1].len);
				memcpy(out[n - 1].data + m.begin, m.data, m.len);
				out[n - 1].len += m.len;
				continue;
			}
			ck_assert_int_lt(n, MAXEV);
			memset(&out[n], 0, sizeof(out[n]));
			out[n].res = r;
			out[n].type = m.type;
			out[n].index = m.index;
			out[n].begin = m.begin;
			out[n].length = m.length;
			out[n].port = m.port;
			out[n].ext_id = m.ext_id;
			if (r == WIRE_MSG && m.data != NULL) {
				memcpy(out[n].data, m.data, m.len);
				out[n].len = m.len;
			}
			n++;
			if (r == WIRE_ERROR) {
				wire_parser_free(&p);
				return n;
			}
		}
	}
	wire_parser_free(&p);
	return n;
}

static int
run_whole(const uint8_t *buf, size_t len, struct ev *out)
{
	return run(buf, len, &len, 1, out);
}

static void
ev_eq(const struct ev *a, const struct ev *b, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(a[i].res, b[i].res);
		ck_assert_int_eq(a[i].type, b[i].type);
		ck_assert_uint_eq(a[i].index, b[i].index);
		ck_assert_uint_eq(a[i].begin, b[i].begin);
		ck_assert_uint_eq(a[i].length, b[i].length);
		ck_assert_uint_eq(a[i].port, b[i].port);
		ck_assert_uint_eq(a[i].ext_id, b[i].ext_id);
		ck_assert_uint_eq(a[i].len, b[i].len);
		ck_assert_mem_eq(a[i].data, b[i].data, a[i].len);
	}
}

static uint8_t	 stream[2 * PEERD_BLOCK + 4096];
static uint8_t	 payload[PEERD_BLOCK];
static size_t	 slen;

/* One of every message, in the order the expectations below follow. */
static void
build_stream(void)
{
	uint8_t	 bits[3] = { 0xff, 0x0f, 0xa0 };	/* spare bits clear */
	uint8_t	 ext[8] = "d1:ai1ee";
	size_t	 i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	slen = 0;
	slen += wire_build_keepalive(stream + slen);
	slen += wire_build_simple(stream + slen, WIRE_CHOKE);
	slen += wire_build_simple(stream + slen, WIRE_UNCHOKE);
	slen += wire_build_simple(stream + slen, WIRE_INTERESTED);
	slen += wire_build_simple(stream + slen, WIRE_NOT_INTERESTED);
	slen += wire_build_index(stream + slen, WIRE_HAVE, 20);
	slen += wire_build_bitfield(stream + slen, bits, sizeof(bits));
	slen += wire_build_block(stream + slen, WIRE_REQUEST, 5, 16384,
	    16384);
	slen += wire_build_piece_hdr(stream + slen, 6, 32768, PEERD_BLOCK);
	memcpy(stream + slen, payload, PEERD_BLOCK);
	slen += PEERD_BLOCK;
	slen += wire_build_block(stream + slen, WIRE_CANCEL, 7, 0, 100);
	slen += wire_build_port(stream + slen, 6881);
	slen += wire_build_index(stream + slen, WIRE_SUGGEST, 3);
	slen += wire_build_simple(stream + slen, WIRE_HAVE_ALL);
	slen += wire_build_simple(stream + slen, WIRE_HAVE_NONE);
	slen += wire_build_block(stream + slen, WIRE_REJECT, 8, 16384, 1);
	slen += wire_build_index(stream + slen, WIRE_ALLOWED_FAST, 9);
	slen += wire_build_extended(stream + slen, 3, ext, sizeof(ext));
	/* A short PIECE: the last block of a torrent. */
	slen += wire_build_piece_hdr(stream + slen, 20, 0, 3);
	memcpy(stream + slen, "xyz", 3);
	slen += 3;
	/* An id we do not know (BEP 3: skipped), then a keep-alive. */
	stream[slen++] = 0;
	stream[slen++] = 0;
	stream[slen++] = 0;
	stream[slen++] = 4;
	stream[slen++] = 99;
	stream[slen++] = 1;
	stream[slen++] = 2;
	stream[slen++] = 3;
	slen += wire_build_keepalive(stream + slen);
}

START_TEST(handshake_roundtrip)
{
	uint8_t			 hs[WIRE_HANDSHAKE], ih[20], id[20];
	struct wire_handshake	 h;
	char			 err[96];

	memset(ih, 0xab, 20);
	memcpy(id, "-BT0100-abcdefghijkl", 20);
	wire_handshake_build(hs, ih, id);
	ck_assert_uint_eq(hs[0], 19);
	ck_assert_mem_eq(hs + 1, "BitTorrent protocol", 19);
	/* BEP 10 and BEP 6 bits, nothing else. */
	ck_assert_uint_eq(hs[20 + 5], 0x10);
	ck_assert_uint_eq(hs[20 + 7], 0x04);
	ck_assert_uint_eq(hs[20] | hs[21] | hs[22] | hs[23] | hs[24] | hs[26],
	    0);
	ck_assert_int_eq(wire_handshake_parse(hs, &h, err, sizeof(err)), 0);
	ck_assert_mem_eq(h.info_hash, ih, 20);
	ck_assert_mem_eq(h.peer_id, id, 20);
	ck_assert_uint_eq(h.reserved[WIRE_RSV_EXT_BYTE] & WIRE_RSV_EXT_BIT,
	    WIRE_RSV_EXT_BIT);
	ck_assert_uint_eq(h.reserved[WIRE_RSV_FAST_BYTE] & WIRE_RSV_FAST_BIT,
	    WIRE_RSV_FAST_BIT);
}
END_TEST

START_TEST(every_message)
{
	int n;

	build_stream();
	n = run_whole(stream, slen, evs);
	ck_assert_int_eq(n, 20);
	ck_assert_int_eq(evs[0].type, WIRE_KEEPALIVE);
	ck_assert_int_eq(evs[1].type, WIRE_CHOKE);
	ck_assert_int_eq(evs[2].type, WIRE_UNCHOKE);
	ck_assert_int_eq(evs[3].type, WIRE_INTERESTED);
	ck_assert_int_eq(evs[4].type, WIRE_NOT_INTERESTED);
	ck_assert_int_eq(evs[5].type, WIRE_HAVE);
	ck_assert_uint_eq(evs[5].index, 20);
	ck_assert_int_eq(evs[6].type, WIRE_BITFIELD);
	ck_assert_uint_eq(evs[6].len, 3);
	ck_assert_mem_eq(evs[6].data, "\xff\x0f\xa0", 3);
	ck_assert_int_eq(evs[7].type, WIRE_REQUEST);
	ck_assert_uint_eq(evs[7].index, 5);
	ck_assert_uint_eq(evs[7].begin, 16384);
	ck_assert_uint_eq(evs[7].length, 16384);
	ck_assert_int_eq(evs[8].res, WIRE_PIECE_BEGIN);
	ck_assert_uint_eq(evs[8].index, 6);
	ck_assert_uint_eq(evs[8].begin, 32768);
	ck_assert_uint_eq(evs[8].length, PEERD_BLOCK);
	ck_assert_uint_eq(evs[8].len, PEERD_BLOCK);
	ck_assert_mem_eq(evs[8].data, payload, PEERD_BLOCK);
	ck_assert_int_eq(evs[9].type, WIRE_CANCEL);
	ck_assert_uint_eq(evs[9].index, 7);
	ck_assert_uint_eq(evs[9].length, 100);
	ck_assert_int_eq(evs[10].type, WIRE_PORT);
	ck_assert_uint_eq(evs[10].port, 6881);
	ck_assert_int_eq(evs[11].type, WIRE_SUGGEST);
	ck_assert_uint_eq(evs[11].index, 3);
	ck_assert_int_eq(evs[12].type, WIRE_HAVE_ALL);
	ck_assert_int_eq(evs[13].type, WIRE_HAVE_NONE);
	ck_assert_int_eq(evs[14].type, WIRE_REJECT);
	ck_assert_uint_eq(evs[14].index, 8);
	ck_assert_uint_eq(evs[14].begin, 16384);
	ck_assert_uint_eq(evs[14].length, 1);
	ck_assert_int_eq(evs[15].type, WIRE_ALLOWED_FAST);
	ck_assert_uint_eq(evs[15].index, 9);
	ck_assert_int_eq(evs[16].type, WIRE_EXTENDED);
	ck_assert_uint_eq(evs[16].ext_id, 3);
	ck_assert_uint_eq(evs[16].len, 8);
	ck_assert_mem_eq(evs[16].data, "d1:ai1ee", 8);
	ck_assert_int_eq(evs[17].res, WIRE_PIECE_BEGIN);
	ck_assert_uint_eq(evs[17].index, 20);
	ck_assert_uint_eq(evs[17].length, 3);
	ck_assert_mem_eq(evs[17].data, "xyz", 3);
	ck_assert_int_eq(evs[18].type, WIRE_UNKNOWN);
	ck_assert_uint_eq(evs[18].ext_id, 99);
	ck_assert_int_eq(evs[19].type, WIRE_KEEPALIVE);
}
END_TEST

/* The stream cut in two at every byte boundary parses the same. */
START_TEST(split_everywhere)
{
	size_t	 cuts[2], k;
	int	 n, n2;

	build_stream();
	n = run_whole(stream, slen, evs);
	for (k = 0; k <= slen; k++) {
		cuts[0] = k;
		cuts[1] = slen;
		n2 = run(stream, slen, cuts, 2, evs2);
		ck_assert_int_eq(n2, n);
		ev_eq(evs, evs2, n);
	}
}
END_TEST

/* One byte at a time, and in chunks of every size up to 40. */
START_TEST(byte_by_byte)
{
	static size_t	 cuts[sizeof(stream) + 1];
	size_t		 i, c, step;
	int		 n, n2;

	build_stream();
	n = run_whole(stream, slen, evs);
	for (step = 1; step <= 40; step++) {
		for (i = step, c = 0; i < slen; i += step)
			cuts[c++] = i;
		cuts[c++] = slen;
		n2 = run(stream, slen, cuts, c, evs2);
		ck_assert_int_eq(n2, n);
		ev_eq(evs, evs2, n);
	}
}
END_TEST

/* A connection reads the payload itself and says so. */
START_TEST(payload_direct)
{
	struct wire_parser	 p;
	struct wire_msg		 m;
	uint8_t			 buf[64];
	size_t			 n, used;

	wire_parser_init(&p, NPIECES);
	n = wire_build_piece_hdr(buf, 1, 0, 1000);
	ck_assert_int_eq(wire_parse(&p, buf, n, &used, &m), WIRE_PIECE_BEGIN);
	ck_assert_uint_eq(used, WIRE_PIECE_HDR);
	ck_assert_uint_eq(wire_payload_left(&p), 1000);
	wire_payload_done(&p, 600);
	ck_assert_uint_eq(wire_payload_left(&p), 400);
	wire_payload_done(&p, 400);
	ck_assert_uint_eq(wire_payload_left(&p), 0);
	n = wire_build_index(buf, WIRE_HAVE, 4);
	ck_assert_int_eq(wire_parse(&p, buf, n, &used, &m), WIRE_MSG);
	ck_assert_int_eq(m.type, WIRE_HAVE);
	ck_assert_uint_eq(m.index, 4);
	/* Mixed: part of a payload in the buffer, the rest direct. */
	n = wire_build_piece_hdr(buf, 2, 16384, 100);
	memset(buf + n, 'q', 10);
	ck_assert_int_eq(wire_parse(&p, buf, n + 10, &used, &m),
	    WIRE_PIECE_BEGIN);
	ck_assert_int_eq(wire_parse(&p, buf + used, n + 10 - used, &used, &m),
	    WIRE_PIECE_DATA);
	ck_assert_uint_eq(m.len, 10);
	ck_assert_uint_eq(m.begin, 0);
	ck_assert_uint_eq(wire_payload_left(&p), 90);
	wire_payload_done(&p, 90);
	ck_assert_uint_eq(wire_payload_left(&p), 0);
	wire_parser_free(&p);
}
END_TEST

START_TEST(exths_roundtrip)
{
	uint8_t			 buf[256];
	struct wire_exths	 x;
	char			 err[96];
	size_t			 n;
	const uint8_t		 ip[4] = { 127, 0, 0, 1 };

	n = wire_exths_build(buf, sizeof(buf), 6881, 250, ip, 4, 0, 0, -1);
	ck_assert_uint_gt(n, 0);
	ck_assert_mem_eq(buf, "d1:mde1:pi6881e4:reqqi250e1:v9:btd 0.1.0"
	    "6:yourip4:\x7f\x00\x00\x01" "e", n);
	ck_assert_int_eq(wire_exths_parse(buf, n, &x, err, sizeof(err)), 0);
	ck_assert_uint_eq(x.port, 6881);
	ck_assert_uint_eq(x.reqq, 250);
	ck_assert_str_eq(x.v, "btd 0.1.0");
	ck_assert_uint_eq(x.yourip_len, 4);
	ck_assert_mem_eq(x.yourip, ip, 4);
	ck_assert_int_eq(x.metadata_size, -1);
	ck_assert_uint_eq(x.ut_pex, 0);
	/* With ut_metadata, ut_pex and the metadata's size (BEP 9, 11). */
	n = wire_exths_build(buf, sizeof(buf), 6881, 250, NULL, 0, 3, 1,
	    10504);
	ck_assert_mem_eq(buf, "d1:md11:ut_metadatai3e6:ut_pexi1ee"
	    "13:metadata_sizei10504e1:pi6881e4:reqqi250e1:v9:btd 0.1.0e", n);
	ck_assert_int_eq(wire_exths_parse(buf, n, &x, err, sizeof(err)), 0);
	ck_assert_uint_eq(x.ut_metadata, 3);
	ck_assert_uint_eq(x.ut_pex, 1);
	ck_assert_int_eq(x.metadata_size, 10504);
	/* A magnet: ut_metadata, no size yet. */
	n = wire_exths_build(buf, sizeof(buf), 0, 250, NULL, 0, 3, 0, -1);
	ck_assert_int_eq(wire_exths_parse(buf, n, &x, err, sizeof(err)), 0);
	ck_assert_uint_eq(x.ut_metadata, 3);
	ck_assert_int_eq(x.metadata_size, -1);
	/* Too small a buffer: nothing. */
	ck_assert_uint_eq(wire_exths_build(buf, 10, 6881, 250, ip, 4, 0, 0, -1),
	    0);
}
END_TEST

START_TEST(exths_libtorrent)
{
	/* What libtorrent 2.0.8 sends, with an escape in its v. */
	static const char d[] = "d12:complete_agoi-1e1:md11:lt_donthavei7e"
	    "10:share_modei8e11:upload_onlyi3e12:ut_holepunchi4e"
	    "11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei10504e"
	    "4:reqqi500e11:upload_onlyi1e1:v17:libtorrent/2.0.8\x1b"
	    "6:yourip4:\x7f\x00\x00\x01" "e";
	struct wire_exths x;
	char		 err[96];

	ck_assert_int_eq(wire_exths_parse((const uint8_t *)d, sizeof(d) - 1,
	    &x, err, sizeof(err)), 0);
	ck_assert_uint_eq(x.ut_metadata, 2);
	ck_assert_uint_eq(x.ut_pex, 1);
	ck_assert_int_eq(x.metadata_size, 10504);
	ck_assert_uint_eq(x.reqq, 500);
	ck_assert_uint_eq(x.yourip_len, 4);
	/* The escape character comes out escaped. */
	ck_assert_str_eq(x.v, "libtorrent/2.0.8\\x1b");
	/* A byte after the dictionary: refused. */
	ck_assert_int_eq(wire_exths_parse((const uint8_t *)d, sizeof(d),
	    &x, err, sizeof(err)), -1);
}
END_TEST

START_TEST(client_names)
{
	char		 out[64];

	wire_client_name((const uint8_t *)"-TR3000-abcdefghijkl", out,
	    sizeof(out));
	ck_assert_str_eq(out, "Transmission 3.0.0.0");
	wire_client_name((const uint8_t *)"-LT2080-abcdefghijkl", out,
	    sizeof(out));
	ck_assert_str_eq(out, "libtorrent 2.0.8.0");
	wire_client_name((const uint8_t *)"-ZZ1234-abcdefghijkl", out,
	    sizeof(out));
	ck_assert_str_eq(out, "ZZ 1.2.3.4");
	wire_client_name((const uint8_t *)"A2-1-36-0-abcdefghij", out,
	    sizeof(out));
	ck_assert_str_eq(out, "aria2 1-36-0-a");
	wire_client_name((const uint8_t *)"\x1b[31m\"\n\xff\x00zzzzzzzzzzzz",
	    out, sizeof(out));
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_null(strchr(out, '\n'));
	ck_assert_str_eq(out, "\\x1b[31m\\x22\\x0a\\xff");
}
END_TEST

START_TEST(bitfield_check)
{
	char	 err[96];
	uint8_t	 b[3] = { 0xff, 0xff, 0xf8 };

	ck_assert_int_eq(wire_bitfield_check(b, 3, 21, err, sizeof(err)), 0);
	b[2] = 0xfc;
	ck_assert_int_eq(wire_bitfield_check(b, 3, 21, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bitfield with spare bits set");
	ck_assert_int_eq(wire_bitfield_check(b, 2, 21, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bitfield of 2 bytes for 21 pieces");
	ck_assert_int_eq(wire_bitfield_check(b, 1, 8, err, sizeof(err)), 0);
}
END_TEST

/* ---- errors: HOSTILE.md, peer wire ---- */

/* Feed bytes, expect an error whose text contains want. */
static void
expect_error(const uint8_t *buf, size_t len, const char *want)
{
	struct wire_parser	 p;
	struct wire_msg		 m;
	enum wire_result	 r = WIRE_NEED;
	size_t			 used, off = 0;

	wire_parser_init(&p, NPIECES);
	while (off < len) {
		r = wire_parse(&p, buf + off, len - off, &used, &m);
		off += used;
		if (r == WIRE_ERROR || r == WIRE_NEED)
			break;
	}
	ck_assert_int_eq(r, WIRE_ERROR);
	ck_assert_msg(strstr(p.err, want) != NULL, "error \"%s\", not \"%s\"",
	    p.err, want);
	/* Nothing was allocated for the refused message. */
	ck_assert_ptr_null(p.body);
	/* Dead ever after. */
	ck_assert_int_eq(wire_parse(&p, (const uint8_t *)"\0\0\0\0", 4,
	    &used, &m), WIRE_ERROR);
	wire_parser_free(&p);
}

START_TEST(err_length_huge)
{
	expect_error((const uint8_t *)"\xff\xff\xff\xff\x07", 5,
	    "piece message of 4294967295 bytes");
	expect_error((const uint8_t *)"\xff\xff\xff\xff\x05", 5,
	    "message 5 of 4294967295 bytes, not 4");
	expect_error((const uint8_t *)"\xff\xff\xff\xff\x14", 5,
	    "extended message of 4294967295 bytes");
	expect_error((const uint8_t *)"\xff\xff\xff\xff\x63", 5,
	    "message 99 of 4294967295 bytes, over");
}
END_TEST

START_TEST(err_piece_size)
{
	uint8_t	 b[WIRE_PIECE_HDR];

	/* One byte over a block. */
	wire_build_piece_hdr(b, 0, 0, PEERD_BLOCK + 1);
	expect_error(b, sizeof(b), "piece message of 16394 bytes");
	/* No payload at all. */
	wire_build_piece_hdr(b, 0, 0, 0);
	expect_error(b, sizeof(b), "piece message of 9 bytes");
}
END_TEST

START_TEST(err_have_range)
{
	uint8_t b[WIRE_MSG_MAX];

	wire_build_index(b, WIRE_HAVE, NPIECES);
	expect_error(b, 9, "have 21 of 21 pieces");
	wire_build_index(b, WIRE_HAVE, 0xffffffffU);
	expect_error(b, 9, "have 4294967295 of 21 pieces");
}
END_TEST

START_TEST(err_bitfield)
{
	uint8_t b[16];

	/* Wrong length: 4 bytes for 21 pieces. */
	memset(b, 0, sizeof(b));
	wire_build_bitfield(b, (const uint8_t *)"\xff\xff\xff\x00", 4);
	expect_error(b, 9, "message 5 of 5 bytes, not 4");
	/* Spare bits set. */
	wire_build_bitfield(b, (const uint8_t *)"\xff\xff\xff", 3);
	expect_error(b, 8, "spare bits");
	/* Split: the body is assembled, then refused. */
	{
		struct wire_parser	 p;
		struct wire_msg		 m;
		size_t			 used;

		wire_parser_init(&p, NPIECES);
		ck_assert_int_eq(wire_parse(&p, b, 6, &used, &m), WIRE_NEED);
		ck_assert_int_eq(wire_parse(&p, b + 6, 2, &used, &m),
		    WIRE_ERROR);
		ck_assert_str_eq(p.err, "bitfield with spare bits set");
		wire_parser_free(&p);
	}
}
END_TEST

START_TEST(err_fixed_lengths)
{
	/* HAVE of 6 bytes, REQUEST of 12, CHOKE of 2, PORT of 4. */
	expect_error((const uint8_t *)"\0\0\0\x06\x04", 5,
	    "message 4 of 6 bytes, not 5");
	expect_error((const uint8_t *)"\0\0\0\x0c\x06", 5,
	    "message 6 of 12 bytes, not 13");
	expect_error((const uint8_t *)"\0\0\0\x02\x00", 5,
	    "message 0 of 2 bytes, not 1");
	expect_error((const uint8_t *)"\0\0\0\x04\x09", 5,
	    "message 9 of 4 bytes, not 3");
	expect_error((const uint8_t *)"\0\0\0\x10\x10", 5,
	    "message 16 of 16 bytes, not 13");
}
END_TEST

START_TEST(err_extended)
{
	uint8_t b[5];

	/* 1 MiB + 2 (id, ext id, 1 MiB + 1 of payload) */
	b[0] = 0x00;
	b[1] = 0x10;
	b[2] = 0x00;
	b[3] = 0x02;
	b[4] = WIRE_EXTENDED;
	expect_error(b, 5, "extended message of 1048578 bytes");
	/* No extension id. */
	expect_error((const uint8_t *)"\0\0\0\x01\x14", 5,
	    "extended message of 1 bytes");
}
END_TEST

START_TEST(ok_extended_max)
{
	struct wire_parser	 p;
	struct wire_msg		 m;
	uint8_t			*b;
	size_t			 len = 6 + WIRE_MAX_EXTENDED - 1, used, off;

	/* The largest legal one, split, is assembled and delivered. */
	b = calloc(1, len);
	ck_assert_ptr_nonnull(b);
	wire_build_extended(b, 1, b + 6, WIRE_MAX_EXTENDED - 1);
	wire_parser_init(&p, NPIECES);
	ck_assert_int_eq(wire_parse(&p, b, 1000, &used, &m), WIRE_NEED);
	off = used;
	ck_assert_int_eq(wire_parse(&p, b + off, len - off, &used, &m),
	    WIRE_MSG);
	ck_assert_int_eq(m.type, WIRE_EXTENDED);
	ck_assert_uint_eq(m.len, WIRE_MAX_EXTENDED - 1);
	/* The large buffer is let go once the parser waits again. */
	ck_assert_int_eq(wire_parse(&p, b, 0, &used, &m), WIRE_NEED);
	ck_assert_ptr_null(p.body);
	wire_parser_free(&p);
	free(b);
}
END_TEST

/* Split messages share a budget: past it, an error, and it comes back. */
START_TEST(err_budget)
{
	struct wire_parser	 p, q;
	struct wire_msg		 m;
	uint8_t			 b[6 + 100];
	size_t			 budget = 150, used;

	memset(b, 'x', sizeof(b));
	wire_build_extended(b, 1, b + 6, 100);
	wire_parser_init(&p, NPIECES);
	wire_parser_init(&q, NPIECES);
	p.budget = q.budget = &budget;
	/* p assembles 101 bytes: the budget has 49 left. */
	ck_assert_int_eq(wire_parse(&p, b, 10, &used, &m), WIRE_NEED);
	ck_assert_uint_eq(budget, 49);
	/* q cannot. */
	ck_assert_int_eq(wire_parse(&q, b, 10, &used, &m), WIRE_ERROR);
	ck_assert_str_eq(q.err, "message of 102 bytes: buffers full");
	/* Whole in the buffer: nothing assembled, no budget needed. */
	wire_parser_free(&q);
	wire_parser_init(&q, NPIECES);
	q.budget = &budget;
	ck_assert_int_eq(wire_parse(&q, b, sizeof(b), &used, &m), WIRE_MSG);
	ck_assert_uint_eq(budget, 49);
	ck_assert_int_eq(wire_parse(&p, b + 10, sizeof(b) - 10, &used, &m),
	    WIRE_MSG);
	ck_assert_uint_eq(m.len, 100);
	wire_parser_free(&p);
	wire_parser_free(&q);
	ck_assert_uint_eq(budget, 150);
}
END_TEST

START_TEST(err_unknown_big)
{
	uint8_t b[5] = { 0x00, 0x02, 0x00, 0x01, 200 };

	expect_error(b, 5, "message 200 of 131073 bytes, over 131072");
}
END_TEST

START_TEST(err_handshake)
{
	uint8_t			 hs[WIRE_HANDSHAKE];
	struct wire_handshake	 h;
	char			 err[96];

	memset(hs, 0, sizeof(hs));
	memcpy(hs, "\x13" "BitTorrent protocoX", 20);
	ck_assert_int_eq(wire_handshake_parse(hs, &h, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "not a BitTorrent handshake");
	memcpy(hs, "GET / HTTP/1.1\r\n\r\n", 18);
	ck_assert_int_eq(wire_handshake_parse(hs, &h, err, sizeof(err)), -1);
}
END_TEST

START_TEST(err_exths)
{
	struct wire_exths	 x;
	char			 err[96], deep[200];
	int			 i;

	ck_assert_int_eq(wire_exths_parse((const uint8_t *)"li1ee", 5, &x,
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "extended handshake is not a dictionary");
	ck_assert_int_eq(wire_exths_parse((const uint8_t *)"d1:m", 4, &x,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "extended handshake: "));
	for (i = 0; i < 100; i++)
		deep[i] = 'l';
	for (; i < 200; i++)
		deep[i] = 'e';
	ck_assert_int_eq(wire_exths_parse((const uint8_t *)deep, 200, &x,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "nesting too deep"));
	/* Odd values are ignored, not trusted. */
	ck_assert_int_eq(wire_exths_parse((const uint8_t *)
	    "d1:pi99999e4:reqqi-5e1:vi3e6:yourip3:abce", 41, &x, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(x.port, 0);
	ck_assert_uint_eq(x.reqq, 0);
	ck_assert_str_eq(x.v, "");
	ck_assert_uint_eq(x.yourip_len, 0);
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite	*s = suite_create("wire");
	TCase	*core = tcase_create("core");
	TCase	*errors = tcase_create("errors");

	tcase_set_timeout(core, 60);
	tcase_add_test(core, handshake_roundtrip);
	tcase_add_test(core, every_message);
	tcase_add_test(core, split_everywhere);
	tcase_add_test(core, byte_by_byte);
	tcase_add_test(core, payload_direct);
	tcase_add_test(core, exths_roundtrip);
	tcase_add_test(core, exths_libtorrent);
	tcase_add_test(core, client_names);
	tcase_add_test(core, bitfield_check);
	tcase_add_test(core, ok_extended_max);
	tcase_add_test(errors, err_length_huge);
	tcase_add_test(errors, err_piece_size);
	tcase_add_test(errors, err_have_range);
	tcase_add_test(errors, err_bitfield);
	tcase_add_test(errors, err_fixed_lengths);
	tcase_add_test(errors, err_extended);
	tcase_add_test(errors, err_unknown_big);
	tcase_add_test(errors, err_budget);
	tcase_add_test(errors, err_handshake);
	tcase_add_test(errors, err_exths);
	suite_add_tcase(s, core);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(wire_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
