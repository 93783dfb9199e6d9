/*
 * peerd_wire.c -- the peer wire codec: the BEP 3 handshake and
 * messages, the fast extension (BEP 6) and the extension protocol's
 * handshake (BEP 10).  Pure: no descriptor, no clock, no libevent, so
 * that the unit tests and the fuzzer drive it with any byte sequence.
 *
 * The parser is incremental: bytes arrive in any split and it says
 * "need more", "a message", "a PIECE begins", "PIECE payload bytes" or
 * "protocol error: why".  Invariants: the length prefix is checked
 * against the largest legal message of its id (a PIECE of max_block + 9,
 * a BITFIELD of exactly the torrent's size, an extended message of at
 * most WIRE_MAX_EXTENDED) before a byte is buffered or allocated; a
 * PIECE payload is never buffered here, so a connection can read it
 * straight into shared memory; after an error the parser stays dead.
 *
 * Rejected alternative: handing every message over only once it is
 * whole would be simpler, but would force a copy of each block's
 * payload through a parser buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "log.h"
#include "peerd.h"

#define PSTR		"BitTorrent protocol"
#define PSTRLEN		19
#define WIRE_MAX_BITFIELD_UNKNOWN (1U << 18)	/* piece count not known */
#define WIRE_BODY_KEEP	4096	/* a larger body buffer is freed after use */
#define EXTHS_DEPTH	8	/* nesting in an extended handshake */
#define EXTHS_NODES	4096	/* values in an extended handshake */

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
wire_parser_init(struct wire_parser *p, uint32_t npieces)
{
	memset(p, 0, sizeof(*p));
	p->npieces = npieces;
	p->max_block = PEERD_BLOCK;
	p->state = WS_LEN;
}

/* Let the body buffer go, and its bytes back to the budget. */
static void
body_release(struct wire_parser *p)
{
	if (p->budget != NULL)
		*p->budget += p->bcap;
	free(p->body);
	p->body = NULL;
	p->bcap = 0;
}

void
wire_parser_free(struct wire_parser *p)
{
	body_release(p);
}

static enum wire_result
wire_fail(struct wire_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum wire_result
wire_fail(struct wire_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->state = WS_DEAD;
	return WIRE_ERROR;
}

static uint32_t
bitfield_bytes(uint32_t npieces)
{
	return npieces / 8 + (npieces % 8 != 0);
}

/*
 * The bound on the length of a message with this id, checked before
 * anything of its body is read.  0: the length must be exactly *exact.
 */
static int
wire_length_ok(const struct wire_parser *p, uint8_t id, uint32_t mlen,
    char *why, size_t whylen)
{
	uint32_t	 want = 0, max = 0;

	switch (id) {
	case WIRE_CHOKE:
	case WIRE_UNCHOKE:
	case WIRE_INTERESTED:
	case WIRE_NOT_INTERESTED:
	case WIRE_HAVE_ALL:
	case WIRE_HAVE_NONE:
		want = 1;
		break;
	case WIRE_HAVE:
	case WIRE_SUGGEST:
	case WIRE_ALLOWED_FAST:
		want = 5;
		break;
	case WIRE_REQUEST:
	case WIRE_CANCEL:
	case WIRE_REJECT:
		want = 13;
		break;
	case WIRE_PORT:
		want = 3;
		break;
	case WIRE_BITFIELD:
		if (p->npieces > 0)
			want = 1 + bitfield_bytes(p->npieces);
		else
			max = 1 + WIRE_MAX_BITFIELD_UNKNOWN;
		break;
	case WIRE_PIECE:
		if (mlen <= 9 || mlen > 9 + p->max_block) {
			snprintf(why, whylen, "piece message of %u bytes",
			    mlen);
			return 0;
		}
		return 1;
	case WIRE_EXTENDED:
		if (mlen < 2 || mlen > 1 + WIRE_MAX_EXTENDED) {
			snprintf(why, whylen, "extended message of %u bytes",
			    mlen);
			return 0;
		}
		return 1;
	default:
		max = WIRE_MAX_UNKNOWN;
		break;
	}
	if (want != 0 && mlen != want) {
		snprintf(why, whylen, "message %u of %u bytes, not %u", id,
		    mlen, want);
		return 0;
	}
	if (max != 0 && mlen > max) {
		snprintf(why, whylen, "message %u of %u bytes, over %u", id,
		    mlen, max);
		return 0;
	}
	return 1;
}

int
wire_bitfield_check(const uint8_t *bits, size_t len, uint32_t npieces,
    char *err, size_t errlen)
{
	uint8_t	 spare;

	if (len != bitfield_bytes(npieces)) {
		snprintf(err, errlen, "bitfield of %zu bytes for %u pieces",
		    len, npieces);
		return -1;
	}
	if (npieces % 8 != 0) {
		spare = (uint8_t)(0xff >> (npieces % 8));
		if (bits[len - 1] & spare) {
			snprintf(err, errlen, "bitfield with spare bits set");
			return -1;
		}
	}
	return 0;
}

/* 1 for the ids we parse; others are skipped (BEP 3: ignore them). */
static int
wire_known(uint8_t id)
{
	return id <= WIRE_PORT || (id >= WIRE_SUGGEST &&
	    id <= WIRE_ALLOWED_FAST) || id == WIRE_EXTENDED;
}

/* A whole non-PIECE message body (bl bytes after the id) into msg. */
static enum wire_result
wire_decode(struct wire_parser *p, uint8_t id, const uint8_t *b, size_t bl,
    struct wire_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = id;
	switch (id) {
	case WIRE_HAVE:
		m->index = be32(b);
		if (p->npieces > 0 && m->index >= p->npieces)
			return wire_fail(p, "have %u of %u pieces", m->index,
			    p->npieces);
		break;
	case WIRE_SUGGEST:
	case WIRE_ALLOWED_FAST:
		m->index = be32(b);
		break;
	case WIRE_REQUEST:
	case WIRE_CANCEL:
	case WIRE_REJECT:
		m->index = be32(b);
		m->begin = be32(b + 4);
		m->length = be32(b + 8);
		break;
	case WIRE_PORT:
		m->port = (uint16_t)(b[0] << 8 | b[1]);
		break;
	case WIRE_BITFIELD:
		if (p->npieces > 0 && wire_bitfield_check(b, bl, p->npieces,
		    p->err, sizeof(p->err)) == -1) {
			p->state = WS_DEAD;
			return WIRE_ERROR;
		}
		m->data = b;
		m->len = bl;
		break;
	case WIRE_EXTENDED:
		m->ext_id = b[0];
		m->data = b + 1;
		m->len = bl - 1;
		break;
	default:
		break;
	}
	return WIRE_MSG;
}

enum wire_result
wire_parse(struct wire_parser *p, const uint8_t *buf, size_t len,
    size_t *used, struct wire_msg *m)
{
	size_t		 off = 0, n, bl;
	enum wire_result r;
	char		 why[80];

	for (;;) {
		switch (p->state) {
		case WS_DEAD:
			*used = off;
			return WIRE_ERROR;
		case WS_LEN:
			while (p->hlen < 4 && off < len)
				p->hdr[p->hlen++] = buf[off++];
			if (p->hlen < 4)
				goto need;
			p->mlen = be32(p->hdr);
			if (p->mlen == 0) {
				p->hlen = 0;
				memset(m, 0, sizeof(*m));
				m->type = WIRE_KEEPALIVE;
				*used = off;
				return WIRE_MSG;
			}
			if (p->hlen == 4) {
				if (off == len)
					goto need;
				p->hdr[p->hlen++] = buf[off++];
				p->id = p->hdr[4];
				if (!wire_length_ok(p, p->id, p->mlen, why,
				    sizeof(why))) {
					*used = off;
					return wire_fail(p, "%s", why);
				}
			}
			if (p->id == WIRE_PIECE) {
				while (p->hlen < WIRE_PIECE_HDR && off < len)
					p->hdr[p->hlen++] = buf[off++];
				if (p->hlen < WIRE_PIECE_HDR)
					goto need;
				memset(m, 0, sizeof(*m));
				m->type = WIRE_PIECE;
				m->index = be32(p->hdr + 5);
				m->begin = be32(p->hdr + 9);
				m->length = p->mlen - 9;
				p->left = m->length;
				p->pbegin = 0;
				p->hlen = 0;
				p->state = WS_PAYLOAD;
				*used = off;
				return WIRE_PIECE_BEGIN;
			}
			p->hlen = 0;
			bl = p->mlen - 1;
			if (!wire_known(p->id)) {
				p->left = (uint32_t)bl;
				p->state = WS_SKIP;
				break;
			}
			if (bl == 0 || len - off >= bl) {
				/* Whole in the caller's buffer. */
				r = wire_decode(p, p->id, buf + off, bl, m);
				off += bl;
				*used = off;
				return r;
			}
			if (bl > p->bcap) {
				uint8_t *nb;

				if (p->budget != NULL &&
				    *p->budget < bl - p->bcap) {
					*used = off;
					return wire_fail(p, "message of %u "
					    "bytes: buffers full", p->mlen);
				}
				if ((nb = realloc(p->body, bl)) == NULL) {
					*used = off;
					return wire_fail(p, "out of memory");
				}
				if (p->budget != NULL)
					*p->budget -= bl - p->bcap;
				p->body = nb;
				p->bcap = bl;
			}
			p->blen = 0;
			p->state = WS_BODY;
			break;
		case WS_BODY:
			bl = p->mlen - 1;
			n = bl - p->blen;
			if (n > len - off)
				n = len - off;
			memcpy(p->body + p->blen, buf + off, n);
			p->blen += n;
			off += n;
			if (p->blen < bl)
				goto need;
			p->state = WS_LEN;
			r = wire_decode(p, p->id, p->body, bl, m);
			*used = off;
			return r;
		case WS_PAYLOAD:
			if (off == len)
				goto need;
			n = p->left;
			if (n > len - off)
				n = len - off;
			memset(m, 0, sizeof(*m));
			m->type = WIRE_PIECE;
			m->data = buf + off;
			m->len = n;
			m->begin = p->pbegin;
			p->pbegin += (uint32_t)n;
			p->left -= (uint32_t)n;
			off += n;
			if (p->left == 0)
				p->state = WS_LEN;
			*used = off;
			return WIRE_PIECE_DATA;
		case WS_SKIP:
			n = p->left;
			if (n > len - off)
				n = len - off;
			p->left -= (uint32_t)n;
			off += n;
			if (p->left > 0)
				goto need;
			p->state = WS_LEN;
			memset(m, 0, sizeof(*m));
			m->type = WIRE_UNKNOWN;
			m->ext_id = p->id;
			*used = off;
			return WIRE_MSG;
		}
	}
need:
	if (p->state == WS_LEN && p->hlen == 0 && p->bcap > WIRE_BODY_KEEP)
		body_release(p);
	*used = off;
	return WIRE_NEED;
}

uint32_t
wire_payload_left(const struct wire_parser *p)
{
	return p->state == WS_PAYLOAD ? p->left : 0;
}

void
wire_payload_done(struct wire_parser *p, uint32_t n)
{
	if (p->state != WS_PAYLOAD || n > p->left)
		abort();	/* the caller broke the contract */
	p->left -= n;
	p->pbegin += n;
	if (p->left == 0)
		p->state = WS_LEN;
}

void
wire_handshake_build(uint8_t out[WIRE_HANDSHAKE], const uint8_t info_hash[20],
    const uint8_t peer_id[20])
{
	out[0] = PSTRLEN;
	memcpy(out + 1, PSTR, PSTRLEN);
	memset(out + 20, 0, 8);
	out[20 + WIRE_RSV_EXT_BYTE] |= WIRE_RSV_EXT_BIT;
	out[20 + WIRE_RSV_FAST_BYTE] |= WIRE_RSV_FAST_BIT;
	memcpy(out + 28, info_hash, 20);
	memcpy(out + 48, peer_id, 20);
}

int
wire_handshake_parse(const uint8_t in[WIRE_HANDSHAKE],
    struct wire_handshake *hs, char *err, size_t errlen)
{
	if (in[0] != PSTRLEN || memcmp(in + 1, PSTR, PSTRLEN) != 0) {
		snprintf(err, errlen, "not a BitTorrent handshake");
		return -1;
	}
	memcpy(hs->reserved, in + 20, 8);
	memcpy(hs->info_hash, in + 28, 20);
	memcpy(hs->peer_id, in + 48, 20);
	return 0;
}

size_t
wire_build_simple(uint8_t *out, int id)
{
	put32(out, 1);
	out[4] = (uint8_t)id;
	return 5;
}

size_t
wire_build_keepalive(uint8_t *out)
{
	put32(out, 0);
	return 4;
}

size_t
wire_build_index(uint8_t *out, int id, uint32_t index)
{
	put32(out, 5);
	out[4] = (uint8_t)id;
	put32(out + 5, index);
	return 9;
}

size_t
wire_build_block(uint8_t *out, int id, uint32_t index, uint32_t begin,
    uint32_t length)
{
	put32(out, 13);
	out[4] = (uint8_t)id;
	put32(out + 5, index);
	put32(out + 9, begin);
	put32(out + 13, length);
	return 17;
}

size_t
wire_build_piece_hdr(uint8_t *out, uint32_t index, uint32_t begin,
    uint32_t length)
{
	put32(out, 9 + length);
	out[4] = WIRE_PIECE;
	put32(out + 5, index);
	put32(out + 9, begin);
	return WIRE_PIECE_HDR;
}

size_t
wire_build_port(uint8_t *out, uint16_t port)
{
	put32(out, 3);
	out[4] = WIRE_PORT;
	out[5] = (uint8_t)(port >> 8);
	out[6] = (uint8_t)port;
	return 7;
}

size_t
wire_build_bitfield(uint8_t *out, const uint8_t *bits, size_t nbytes)
{
	put32(out, (uint32_t)(1 + nbytes));
	out[4] = WIRE_BITFIELD;
	memcpy(out + 5, bits, nbytes);
	return 5 + nbytes;
}

size_t
wire_build_extended(uint8_t *out, uint8_t ext_id, const uint8_t *payload,
    size_t len)
{
	put32(out, (uint32_t)(2 + len));
	out[4] = WIRE_EXTENDED;
	out[5] = ext_id;
	memmove(out + 6, payload, len);	/* may be built in place */
	return 6 + len;
}

size_t
wire_exths_build(uint8_t *out, size_t cap, uint16_t port, uint32_t reqq,
    const uint8_t *yourip, size_t yourip_len, uint8_t ut_metadata,
    uint8_t ut_pex, int64_t metadata_size)
{
	struct be_buf	 b;
	size_t		 n = 0;

	be_buf_init(&b);
	be_enc_dict(&b);
	be_enc_cstr(&b, "m");
	be_enc_dict(&b);
	if (ut_metadata != 0) {
		be_enc_cstr(&b, "ut_metadata");
		be_enc_int(&b, ut_metadata);
	}
	if (ut_pex != 0) {
		be_enc_cstr(&b, "ut_pex");
		be_enc_int(&b, ut_pex);
	}
	be_enc_end(&b);
	if (metadata_size > 0) {
		be_enc_cstr(&b, "metadata_size");
		be_enc_int(&b, metadata_size);
	}
	if (port != 0) {
		be_enc_cstr(&b, "p");
		be_enc_int(&b, port);
	}
	be_enc_cstr(&b, "reqq");
	be_enc_int(&b, reqq);
	be_enc_cstr(&b, "v");
	be_enc_cstr(&b, WIRE_CLIENT_VERSION);
	if (yourip_len == 4 || yourip_len == 16) {
		be_enc_cstr(&b, "yourip");
		be_enc_str(&b, yourip, yourip_len);
	}
	be_enc_end(&b);
	if (!b.failed && b.len <= cap) {
		memcpy(out, b.p, b.len);
		n = b.len;
	}
	be_buf_free(&b);
	return n;
}

int
wire_exths_parse(const uint8_t *payload, size_t len, struct wire_exths *x,
    char *err, size_t errlen)
{
	struct be_limits	 lim = { EXTHS_DEPTH, EXTHS_NODES };
	struct be_doc		 d;
	const struct be_node	*top, *v, *m, *k;
	char			 e[128];

	memset(x, 0, sizeof(*x));
	x->metadata_size = -1;
	memset(&d, 0, sizeof(d));
	if (be_decode(payload, len, &lim, 0, &d, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "extended handshake: %s", e);
		return -1;
	}
	top = &d.nodes[0];
	if (top->type != BE_DICT) {
		be_free(&d);
		snprintf(err, errlen, "extended handshake is not a dictionary");
		return -1;
	}
	if ((v = be_dict_get(&d, top, "p")) != NULL && v->type == BE_INT &&
	    v->i > 0 && v->i < 65536)
		x->port = (uint16_t)v->i;
	if ((v = be_dict_get(&d, top, "reqq")) != NULL && v->type == BE_INT &&
	    v->i > 0)
		x->reqq = v->i > 100000 ? 100000 : (uint32_t)v->i;
	if ((v = be_dict_get(&d, top, "v")) != NULL && v->type == BE_STR)
		log_escape(x->v, sizeof(x->v), v->s,
		    v->slen > 48 ? 48 : v->slen);
	if ((v = be_dict_get(&d, top, "yourip")) != NULL &&
	    v->type == BE_STR && (v->slen == 4 || v->slen == 16)) {
		memcpy(x->yourip, v->s, v->slen);
		x->yourip_len = v->slen;
	}
	if ((v = be_dict_get(&d, top, "metadata_size")) != NULL &&
	    v->type == BE_INT && v->i >= 0)
		x->metadata_size = v->i;
	if ((m = be_dict_get(&d, top, "m")) != NULL && m->type == BE_DICT) {
		for (k = be_first(&d, m); k != NULL; k = be_next(&d, m, k)) {
			const struct be_node *val = be_next(&d, m, k);

			if (val == NULL)
				break;
			if (val->type == BE_INT && val->i > 0 &&
			    val->i < 256) {
				if (be_streq(k, "ut_metadata"))
					x->ut_metadata = (uint8_t)val->i;
				else if (be_streq(k, "ut_pex"))
					x->ut_pex = (uint8_t)val->i;
			}
			k = val;
		}
	}
	be_free(&d);
	return 0;
}

/* Azureus-style client codes we name; others are shown as they are. */
static const struct {
	const char	*code;
	const char	*name;
} wire_clients[] = {
	{ "BT", "btd" },
	{ "LT", "libtorrent" },
	{ "lt", "rtorrent" },
	{ "TR", "Transmission" },
	{ "qB", "qBittorrent" },
	{ "DE", "Deluge" },
	{ "UT", "uTorrent" },
	{ "UM", "uTorrent Mac" },
	{ "BI", "BiglyBT" },
	{ "AZ", "Vuze" },
	{ "KT", "KTorrent" },
	{ "FD", "Free Download Manager" },
	{ "WW", "WebTorrent" },
};

static int
wire_isalnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

void
wire_client_name(const uint8_t id[20], char *out, size_t len)
{
	char		 code[3], ver[16];
	size_t		 i;
	const char	*name = NULL;

	if (id[0] == '-' && id[7] == '-' && wire_isalnum(id[1]) &&
	    wire_isalnum(id[2]) && wire_isalnum(id[3]) &&
	    wire_isalnum(id[4]) && wire_isalnum(id[5]) &&
	    wire_isalnum(id[6])) {
		code[0] = (char)id[1];
		code[1] = (char)id[2];
		code[2] = '\0';
		for (i = 0; i < sizeof(wire_clients) / sizeof(wire_clients[0]);
		    i++)
			if (strcmp(wire_clients[i].code, code) == 0)
				name = wire_clients[i].name;
		snprintf(ver, sizeof(ver), "%c.%c.%c.%c", id[3], id[4], id[5],
		    id[6]);
		snprintf(out, len, "%s %s", name != NULL ? name : code, ver);
		return;
	}
	if (memcmp(id, "A2-", 3) == 0) {
		char e[40];

		log_escape(e, sizeof(e), id + 3, 8);
		snprintf(out, len, "aria2 %s", e);
		return;
	}
	log_escape(out, len, id, 8);
}
