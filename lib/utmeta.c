/*
 * utmeta.c -- the ut_metadata codec and assembler (BEP 9); see
 * utmeta.h.
 *
 * The dictionary is decoded with lib/bencode.c, stopping after the
 * first value (BE_ALLOW_TRAILING): what follows it is a data message's
 * piece.  Every number from a peer is range-checked in 64 bits before
 * it becomes an index or a size; nothing is allocated from a peer's
 * number except by utm_asm_init(), after utm_size_check().
 *
 * Rejected alternative: a hand-written scanner for the three keys would
 * be shorter, but a second bencode parser is a second place for the
 * bencode rows of HOSTILE.md to go wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "bencode.h"
#include "utmeta.h"

#define UTM_DEPTH	4	/* nesting in a message's dictionary */
#define UTM_NODES	64	/* values in it */

int
utm_size_check(int64_t size, char *err, size_t errlen)
{
	if (size <= 0) {
		snprintf(err, errlen, "metadata_size %lld: not positive",
		    (long long)size);
		return -1;
	}
	if (size > (int64_t)UTM_MAX_SIZE) {
		snprintf(err, errlen, "metadata_size %lld: over the bound of "
		    "%u bytes", (long long)size, UTM_MAX_SIZE);
		return -1;
	}
	return 0;
}

uint32_t
utm_npieces(uint32_t size)
{
	return size / UTM_PIECE + (size % UTM_PIECE != 0);
}

uint32_t
utm_piece_len(uint32_t size, uint32_t piece)
{
	uint64_t off = (uint64_t)piece * UTM_PIECE;

	if (off >= size)
		return 0;
	return size - off < UTM_PIECE ? (uint32_t)(size - off) : UTM_PIECE;
}

static const struct be_node *
int_key(const struct be_doc *d, const char *key)
{
	const struct be_node *v = be_dict_get(d, &d->nodes[0], key);

	return v != NULL && v->type == BE_INT ? v : NULL;
}

int
utm_parse(const uint8_t *buf, size_t len, struct utm_msg *m, char *err,
    size_t errlen)
{
	struct be_limits	 lim = { UTM_DEPTH, UTM_NODES };
	struct be_doc		 d;
	const struct be_node	*ty, *pc, *ts;
	char			 e[96];
	int			 rc = -1;

	memset(m, 0, sizeof(*m));
	memset(&d, 0, sizeof(d));
	if (be_decode(buf, len, &lim, BE_ALLOW_TRAILING, &d, e,
	    sizeof(e)) == -1) {
		snprintf(err, errlen, "ut_metadata: %s", e);
		return -1;
	}
	if (d.nodes[0].type != BE_DICT) {
		snprintf(err, errlen, "ut_metadata: not a dictionary");
		goto done;
	}
	if ((ty = int_key(&d, "msg_type")) == NULL) {
		snprintf(err, errlen, "ut_metadata: no integer msg_type");
		goto done;
	}
	if (ty->i < UTM_REQUEST || ty->i > UTM_REJECT) {
		m->type = UTM_UNKNOWN;
		rc = 0;
		goto done;
	}
	m->type = (int)ty->i;
	if ((pc = int_key(&d, "piece")) == NULL) {
		snprintf(err, errlen, "ut_metadata: no integer piece");
		goto done;
	}
	if (pc->i < 0 || pc->i >= (int64_t)UTM_MAX_PIECES) {
		snprintf(err, errlen, "ut_metadata: piece %lld out of range",
		    (long long)pc->i);
		goto done;
	}
	m->piece = (uint32_t)pc->i;
	if (m->type != UTM_DATA) {
		rc = 0;		/* bytes after a request or reject: ignored */
		goto done;
	}
	if ((ts = int_key(&d, "total_size")) == NULL) {
		snprintf(err, errlen, "ut_metadata: data without an integer "
		    "total_size");
		goto done;
	}
	if (utm_size_check(ts->i, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "ut_metadata: data: %s", e);
		goto done;
	}
	m->total_size = (uint32_t)ts->i;
	if ((uint64_t)m->piece * UTM_PIECE >= m->total_size) {
		snprintf(err, errlen, "ut_metadata: piece %u past total_size "
		    "%u", m->piece, m->total_size);
		goto done;
	}
	m->data = buf + d.used;
	m->len = len - d.used;
	if (m->len > UTM_PIECE) {
		snprintf(err, errlen, "ut_metadata: piece %u of %zu bytes, "
		    "over %u", m->piece, m->len, UTM_PIECE);
		goto done;
	}
	rc = 0;
done:
	be_free(&d);
	return rc;
}

size_t
utm_build(uint8_t *out, int type, uint32_t piece, uint32_t total_size,
    const uint8_t *data, size_t len)
{
	struct be_buf	 b;
	size_t		 n = 0;

	if (type < UTM_REQUEST || type > UTM_REJECT ||
	    piece >= UTM_MAX_PIECES || (type == UTM_DATA &&
	    (len > UTM_PIECE || total_size == 0 ||
	    total_size > UTM_MAX_SIZE)))
		return 0;
	be_buf_init(&b);
	be_enc_dict(&b);
	be_enc_cstr(&b, "msg_type");
	be_enc_int(&b, type);
	be_enc_cstr(&b, "piece");
	be_enc_int(&b, piece);
	if (type == UTM_DATA) {
		be_enc_cstr(&b, "total_size");
		be_enc_int(&b, total_size);
	}
	be_enc_end(&b);
	if (!b.failed && b.len <= UTM_MAX_HEAD) {
		memcpy(out, b.p, b.len);
		n = b.len;
		if (type == UTM_DATA && len > 0) {
			memcpy(out + n, data, len);
			n += len;
		}
	}
	be_buf_free(&b);
	return n;
}

int
utm_asm_init(struct utm_asm *a, const uint8_t info_hash[20], int64_t size,
    char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (utm_size_check(size, err, errlen) == -1)
		return -1;
	a->size = (uint32_t)size;
	a->npieces = utm_npieces(a->size);
	a->buf = malloc(a->size);
	a->got = calloc(a->npieces, 1);
	if (a->buf == NULL || a->got == NULL) {
		utm_asm_free(a);
		snprintf(err, errlen, "metadata of %lld bytes: out of memory",
		    (long long)size);
		return -1;
	}
	memcpy(a->info_hash, info_hash, 20);
	return 0;
}

void
utm_asm_free(struct utm_asm *a)
{
	if (a == NULL)
		return;
	free(a->buf);
	free(a->got);
	memset(a, 0, sizeof(*a));
}

int
utm_asm_put(struct utm_asm *a, uint32_t piece, uint32_t total_size,
    const uint8_t *data, size_t len, char *err, size_t errlen)
{
	uint32_t want;

	if (a->size == 0) {
		snprintf(err, errlen, "no metadata size known");
		return -1;
	}
	if (total_size != a->size) {
		snprintf(err, errlen, "total_size %u, not the %u offered",
		    total_size, a->size);
		return -1;
	}
	if (piece >= a->npieces) {
		snprintf(err, errlen, "piece %u out of range (%u pieces)",
		    piece, a->npieces);
		return -1;
	}
	want = utm_piece_len(a->size, piece);
	if (len > want) {
		snprintf(err, errlen, "piece %u of %zu bytes, oversized (%u)",
		    piece, len, want);
		return -1;
	}
	if (len < want) {
		snprintf(err, errlen, "piece %u of %zu bytes, short (%u)%s",
		    piece, len, want, piece + 1 < a->npieces ?
		    " but not the last" : "");
		return -1;
	}
	if (a->got[piece])
		return 0;
	memcpy(a->buf + (size_t)piece * UTM_PIECE, data, len);
	a->got[piece] = 1;
	a->ngot++;
	return 1;
}

int
utm_asm_has(const struct utm_asm *a, uint32_t piece)
{
	return piece < a->npieces && a->got[piece];
}

int
utm_asm_complete(const struct utm_asm *a)
{
	return a->size > 0 && a->ngot == a->npieces;
}

void
utm_asm_reset(struct utm_asm *a)
{
	if (a->got != NULL)
		memset(a->got, 0, a->npieces);
	a->ngot = 0;
}

int
utm_asm_verify(struct utm_asm *a)
{
	uint8_t md[SHA_DIGEST_LENGTH];

	if (!utm_asm_complete(a))
		return 0;
	SHA1(a->buf, a->size, md);
	if (memcmp(md, a->info_hash, 20) == 0)
		return 1;
	utm_asm_reset(a);
	return 0;
}
