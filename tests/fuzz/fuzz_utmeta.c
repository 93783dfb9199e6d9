/*
 * fuzz_utmeta.c -- libFuzzer target for the ut_metadata codec and
 * assembler (lib/utmeta.c): arbitrary bytes as a peer's ut_metadata
 * payload.
 *
 * Input: four bytes of metadata size (big-endian) for the assembler,
 * then the payload.  Invariants checked: a parsed message has a known
 * type, a piece below UTM_MAX_PIECES; data lies inside the input, is
 * at most UTM_PIECE bytes, with a total_size in 1..UTM_MAX_SIZE and a
 * piece inside it; a message built back from what was parsed parses to
 * the same fields; the assembler refuses any size out of bounds before
 * it allocates and takes a piece only of exactly its length; an error
 * text is one printable line.
 */
#include "fuzz.h"
#include "utmeta.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 out[UTM_MAX_MSG];
	struct utm_msg	 m, m2;
	struct utm_asm	 a;
	uint8_t		 ih[20];
	char		 err[128];
	uint32_t	 msize;
	size_t		 n;
	int		 rc;

	if (size < 4)
		return 0;
	msize = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	    (uint32_t)data[2] << 8 | data[3];
	data += 4;
	size -= 4;
	err[0] = '\0';
	if (utm_parse(data, size, &m, err, sizeof(err)) == -1) {
		CHECK(fuzz_err_ok(err, sizeof(err)));
		return 0;
	}
	CHECK(m.type >= UTM_REQUEST && m.type <= UTM_UNKNOWN);
	if (m.type == UTM_UNKNOWN)
		return 0;
	CHECK(m.piece < UTM_MAX_PIECES);
	if (m.type != UTM_DATA) {
		n = utm_build(out, m.type, m.piece, 0, NULL, 0);
		CHECK(n > 0);
		CHECK(utm_parse(out, n, &m2, err, sizeof(err)) == 0);
		CHECK(m2.type == m.type && m2.piece == m.piece);
		return 0;
	}
	CHECK(m.total_size >= 1 && m.total_size <= UTM_MAX_SIZE);
	CHECK((uint64_t)m.piece * UTM_PIECE < m.total_size);
	CHECK(m.len <= UTM_PIECE);
	CHECK(m.data >= data && m.data + m.len == data + size);
	n = utm_build(out, UTM_DATA, m.piece, m.total_size, m.data, m.len);
	CHECK(n > 0);
	CHECK(utm_parse(out, n, &m2, err, sizeof(err)) == 0);
	CHECK(m2.type == UTM_DATA && m2.piece == m.piece &&
	    m2.total_size == m.total_size && m2.len == m.len &&
	    memcmp(m2.data, m.data, m.len) == 0);
	/* The assembler, with the size of the input's first bytes. */
	memset(ih, 0, sizeof(ih));
	if (msize > UTM_MAX_SIZE * 2U)
		msize %= UTM_MAX_SIZE * 2U;
	if (utm_asm_init(&a, ih, msize, err, sizeof(err)) == -1) {
		CHECK(msize == 0 || msize > UTM_MAX_SIZE);
		CHECK(a.buf == NULL);
		CHECK(fuzz_err_ok(err, sizeof(err)));
		return 0;
	}
	rc = utm_asm_put(&a, m.piece, m.total_size, m.data, m.len, err,
	    sizeof(err));
	if (rc == 1)
		CHECK(m.total_size == msize &&
		    m.len == utm_piece_len(msize, m.piece));
	else
		CHECK(rc == -1 && fuzz_err_ok(err, sizeof(err)));
	(void)utm_asm_verify(&a);
	utm_asm_free(&a);
	return 0;
}
