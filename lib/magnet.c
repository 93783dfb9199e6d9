/*
 * magnet.c -- the magnet link parser of magnet.h.
 *
 * One pass over the link: after the "magnet:?" prefix ("magnet:" in any
 * case) it is cut at each '&' into parameters; empty ones are skipped,
 * every other one counts against MAGNET_MAX_PARAMS, known or not.  Keys
 * are compared exactly and may carry a BEP 9 index ("xt.1", "tr.2");
 * values of known keys are percent-decoded strictly (a '%' must be
 * followed by two hex digits) into one scratch buffer of the link's
 * size, and a decoded NUL is an error.  Unknown keys are not decoded.
 *
 * Invariants of a returned struct magnet: dn is never NULL, is valid
 * UTF-8 of at most MAGNET_MAX_DN bytes with no control or bidirectional
 * formatting characters; every tr and ws entry is a distinct URL of
 * printable ASCII (no space) of at most MAGNET_MAX_URL bytes with an
 * accepted scheme; every pe entry is a distinct numeric address in
 * inet_ntop form with a port of 1-65535.  Each list holds at most
 * MAGNET_MAX_PARAMS entries, since each entry came from one parameter.
 *
 * Invalid UTF-8 in dn is replaced one byte at a time, as json.c does:
 * each byte that does not start a well-formed sequence (utf8_decode())
 * becomes one U+FFFD.  Folding a truncated sequence into a single
 * U+FFFD (the "maximal subpart" rule) was rejected as more code for no
 * gain.
 *
 * Tracker and web seed URLs are restricted to printable ASCII rather
 * than any UTF-8 without controls: a raw space or a non-ASCII host would
 * have to be re-encoded before it could go into an HTTP request line or
 * a UDP announce, and no tracker in use needs that.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "magnet.h"
#include "utf8.h"

/* Tunables. */
#define MAGNET_MAX_URL		2048	/* bytes of a kept tr or ws URL */
#define MAGNET_MAX_DN		1024	/* bytes of the sanitised dn */
#define MAGNET_QUOTE		40	/* bytes of outside text in an err */

#define MAGNET_PREFIX		"magnet:?"
#define MAGNET_PREFIX_LEN	(sizeof(MAGNET_PREFIX) - 1)
#define BTIH_PREFIX		"urn:btih:"
#define BTIH_PREFIX_LEN		(sizeof(BTIH_PREFIX) - 1)
#define BTIH_HEX_LEN		40
#define BTIH_B32_LEN		32
#define BTMH_PREFIX		"urn:btmh:1220"	/* SHA-256, 32 bytes */
#define BTMH_PREFIX_LEN		(sizeof(BTMH_PREFIX) - 1)
#define BTMH_HEX_LEN		64

struct mparse {
	struct magnet	*m;
	int		 have_hash;	/* m->info_hash holds a btih */
	size_t		 trcap;		/* slots allocated in m->tr */
	size_t		 wscap;
	size_t		 pecap;
	char		*buf;		/* decoded value, NUL-terminated */
	size_t		 buflen;	/* bytes of the decoded value */
	char		*err;
	size_t		 errlen;
};

static void	merr(struct mparse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
merr(struct mparse *mp, const char *fmt, ...)
{
	va_list	 ap;

	if (mp->err == NULL || mp->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(mp->err, mp->errlen, fmt, ap);
	va_end(ap);
}

/* Outside text, shortened and escaped for an error message. */
static const char *
quote(char *dst, size_t dstsz, const char *s, size_t len)
{
	if (len > MAGNET_QUOTE)
		len = MAGNET_QUOTE;
	return log_escape(dst, dstsz, s, len);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 4648 base32 alphabet, either case. */
static int
b32val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/*
 * 1 if key (klen bytes) is name, or name followed by '.' and one or
 * more digits (the indexed form of BEP 9).
 */
static int
key_is(const char *key, size_t klen, const char *name)
{
	size_t	 n = strlen(name), i;

	if (klen < n || memcmp(key, name, n) != 0)
		return 0;
	if (klen == n)
		return 1;
	if (key[n] != '.' || klen == n + 1)
		return 0;
	for (i = n + 1; i < klen; i++)
		if (key[i] < '0' || key[i] > '9')
			return 0;
	return 1;
}

/*
 * Percent-decode v (vlen bytes) into mp->buf; in dn, '+' is a space.
 * -1 on a '%' without two hex digits after it or a decoded NUL.
 */
static int
decode(struct mparse *mp, const char *key, size_t klen, const char *v,
    size_t vlen, int plus)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < vlen; i++) {
		if (v[i] == '%') {
			if (vlen - i < 3 ||
			    (hi = hexval((unsigned char)v[i + 1])) == -1 ||
			    (lo = hexval((unsigned char)v[i + 2])) == -1) {
				merr(mp, "bad percent-encoding in %.*s",
				    (int)klen, key);
				return -1;
			}
			mp->buf[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus && v[i] == '+')
			mp->buf[o++] = ' ';
		else
			mp->buf[o++] = v[i];
	}
	if (memchr(mp->buf, '\0', o) != NULL) {
		merr(mp, "NUL byte in %.*s", (int)klen, key);
		return -1;
	}
	mp->buf[o] = '\0';
	mp->buflen = o;
	return 0;
}

/*
 * xt=urn:btmh: (BEP 52): a multihash, of which only SHA-256 (0x12, 32
 * bytes: "1220" and 64 hex digits) is defined for BitTorrent.
 */
static int
parse_btmh(struct mparse *mp)
{
	const unsigned char	*h;
	uint8_t			 hash[32];
	size_t			 i;
	char			 q[8];
	int			 v;

	if (mp->buflen < BTMH_PREFIX_LEN ||
	    strncasecmp(mp->buf, BTMH_PREFIX, BTMH_PREFIX_LEN) != 0) {
		merr(mp, "xt: urn:btmh must be a SHA-256 multihash (1220 and "
		    "64 hex digits)");
		return -1;
	}
	h = (const unsigned char *)mp->buf + BTMH_PREFIX_LEN;
	if (mp->buflen - BTMH_PREFIX_LEN != BTMH_HEX_LEN) {
		merr(mp, "xt: urn:btmh info-hash must be %d hex characters, "
		    "got %zu", BTMH_HEX_LEN, mp->buflen - BTMH_PREFIX_LEN);
		return -1;
	}
	for (i = 0; i < BTMH_HEX_LEN; i++) {
		if ((v = hexval(h[i])) == -1) {
			merr(mp, "xt: bad hex character '%s' in urn:btmh",
			    quote(q, sizeof(q), (const char *)h + i, 1));
			return -1;
		}
		if (i % 2 == 0)
			hash[i / 2] = (uint8_t)(v << 4);
		else
			hash[i / 2] |= (uint8_t)v;
	}
	if (mp->m->has_v2 &&
	    memcmp(mp->m->info_hash_v2, hash, sizeof(hash)) != 0) {
		merr(mp, "xt: two different v2 info-hashes");
		return -1;
	}
	memcpy(mp->m->info_hash_v2, hash, sizeof(hash));
	mp->m->has_v2 = 1;
	return 0;
}

/*
 * xt: a urn:btih sets or confirms the info-hash, a urn:btmh the v2 one;
 * other urns are ignored.
 */
static int
parse_xt(struct mparse *mp)
{
	const unsigned char	*h;
	uint8_t			 hash[20];
	uint64_t		 acc;
	size_t			 hlen, i, j;
	char			 q[8];
	int			 v, k;

	if (mp->buflen >= BTIH_PREFIX_LEN &&
	    strncasecmp(mp->buf, "urn:btmh:", BTIH_PREFIX_LEN) == 0)
		return parse_btmh(mp);
	if (mp->buflen < BTIH_PREFIX_LEN ||
	    strncasecmp(mp->buf, BTIH_PREFIX, BTIH_PREFIX_LEN) != 0)
		return 0;
	h = (const unsigned char *)mp->buf + BTIH_PREFIX_LEN;
	hlen = mp->buflen - BTIH_PREFIX_LEN;
	if (hlen == BTIH_HEX_LEN) {
		for (i = 0; i < hlen; i++) {
			if ((v = hexval(h[i])) == -1) {
				merr(mp, "xt: bad hex character '%s' in "
				    "info-hash", quote(q, sizeof(q),
				    (const char *)h + i, 1));
				return -1;
			}
			if (i % 2 == 0)
				hash[i / 2] = (uint8_t)(v << 4);
			else
				hash[i / 2] |= (uint8_t)v;
		}
	} else if (hlen == BTIH_B32_LEN) {
		/* Four groups of 8 characters, 40 bits, 5 bytes each. */
		for (i = 0; i < BTIH_B32_LEN; i += 8) {
			acc = 0;
			for (j = 0; j < 8; j++) {
				if ((v = b32val(h[i + j])) == -1) {
					merr(mp, "xt: bad base32 character "
					    "'%s' in info-hash", quote(q,
					    sizeof(q), (const char *)h + i + j,
					    1));
					return -1;
				}
				acc = acc << 5 | (uint64_t)v;
			}
			for (k = 0; k < 5; k++)
				hash[i / 8 * 5 + k] =
				    (uint8_t)(acc >> (8 * (4 - k)));
		}
	} else {
		merr(mp, "xt: info-hash must be %d hex or %d base32 "
		    "characters, got %zu", BTIH_HEX_LEN, BTIH_B32_LEN, hlen);
		return -1;
	}
	if (mp->have_hash &&
	    memcmp(mp->m->info_hash, hash, sizeof(hash)) != 0) {
		merr(mp, "xt: two different info-hashes");
		return -1;
	}
	memcpy(mp->m->info_hash, hash, sizeof(hash));
	mp->have_hash = 1;
	return 0;
}


/* dn: the first one wins, sanitised into valid UTF-8. */
static int
parse_dn(struct mparse *mp)
{
	const unsigned char	*s = (const unsigned char *)mp->buf;
	const char		*src;
	char			 out[MAGNET_MAX_DN + 1], *dn;
	size_t			 i = 0, o = 0, n, srclen;
	uint32_t		 c;

	if (mp->m->dn[0] != '\0')
		return 0;
	while (i < mp->buflen) {
		if ((n = utf8_decode(s + i, mp->buflen - i, &c)) == 0) {
			c = 0xfffd;
			n = 1;
		}
		if (utf8_unsafe(c) || c == 0xfffd) {
			src = UTF8_REPLACEMENT;
			srclen = sizeof(UTF8_REPLACEMENT) - 1;
		} else {
			src = (const char *)s + i;
			srclen = n;
		}
		if (o + srclen > MAGNET_MAX_DN)
			break;
		memcpy(out + o, src, srclen);
		o += srclen;
		i += n;
	}
	out[o] = '\0';
	if ((dn = strdup(out)) == NULL) {
		merr(mp, "out of memory");
		return -1;
	}
	free(mp->m->dn);
	mp->m->dn = dn;
	return 0;
}

/*
 * 1 if the decoded value is a URL to keep: one of the schemes (any
 * case) followed by something, printable ASCII without space, short.
 */
static int
url_ok(const struct mparse *mp, const char *const *schemes)
{
	size_t		 i, n;
	unsigned char	 c;

	if (mp->buflen > MAGNET_MAX_URL)
		return 0;
	for (i = 0; i < mp->buflen; i++) {
		c = (unsigned char)mp->buf[i];
		if (c <= ' ' || c >= 0x7f)
			return 0;
	}
	for (; *schemes != NULL; schemes++) {
		n = strlen(*schemes);
		if (mp->buflen > n && strncasecmp(mp->buf, *schemes, n) == 0)
			return 1;
	}
	return 0;
}

/* Append a copy of the decoded value to *list unless it is there. */
static int
add_url(struct mparse *mp, char ***list, size_t *n, size_t *cap)
{
	char	**nl;
	size_t	 i, ncap;

	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i], mp->buf) == 0)
			return 0;
	if (*n == *cap) {
		ncap = *cap == 0 ? 4 : *cap * 2;
		if ((nl = reallocarray(*list, ncap, sizeof(*nl))) == NULL)
			goto fail;
		*list = nl;
		*cap = ncap;
	}
	if (((*list)[*n] = strdup(mp->buf)) == NULL)
		goto fail;
	(*n)++;
	return 0;
fail:
	merr(mp, "out of memory");
	return -1;
}

/* x.pe: "a.b.c.d:port" or "[v6]:port", numeric only. */
static int
parse_pe(struct mparse *mp)
{
	struct magnet		*m = mp->m;
	struct magnet_peer	 peer, *np;
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	}			 a;
	char			 host[INET6_ADDRSTRLEN];
	char			 q[4 * MAGNET_QUOTE + 1];
	const char		*p, *colon, *end = mp->buf + mp->buflen;
	size_t			 hlen, i, ncap;
	unsigned long		 port = 0;
	int			 af;

	if (mp->buf[0] == '[') {
		if ((p = memchr(mp->buf, ']', mp->buflen)) == NULL ||
		    p + 1 == end || p[1] != ':')
			goto bad;
		af = AF_INET6;
		hlen = (size_t)(p - mp->buf - 1);
		colon = p + 1;
		p = mp->buf + 1;
	} else {
		if ((colon = memrchr(mp->buf, ':', mp->buflen)) == NULL)
			goto bad;
		af = AF_INET;
		hlen = (size_t)(colon - mp->buf);
		p = mp->buf;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	if (inet_pton(af, host, &a) != 1)
		goto bad;
	/* Port: 1 to 5 decimal digits, 1-65535. */
	p = colon + 1;
	if (p == end || end - p > 5)
		goto bad;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port < 1 || port > 65535)
		goto bad;

	memset(&peer, 0, sizeof(peer));
	if (inet_ntop(af, &a, peer.addr, sizeof(peer.addr)) == NULL)
		goto bad;
	peer.port = (uint16_t)port;
	for (i = 0; i < m->npe; i++)
		if (m->pe[i].port == peer.port &&
		    strcmp(m->pe[i].addr, peer.addr) == 0)
			return 0;
	if (m->npe == mp->pecap) {
		ncap = mp->pecap == 0 ? 4 : mp->pecap * 2;
		if ((np = reallocarray(m->pe, ncap, sizeof(*np))) == NULL) {
			merr(mp, "out of memory");
			return -1;
		}
		m->pe = np;
		mp->pecap = ncap;
	}
	m->pe[m->npe++] = peer;
	return 0;
bad:
	merr(mp, "x.pe: not an IP:port: '%s'",
	    quote(q, sizeof(q), mp->buf, mp->buflen));
	return -1;
}

/* One non-empty parameter, "key=value". */
static int
parse_param(struct mparse *mp, const char *p, size_t plen)
{
	static const char *const	 tr_schemes[] = {
		"http://", "https://", "udp://", NULL
	};
	static const char *const	 ws_schemes[] = {
		"http://", "https://", NULL
	};
	struct magnet	*m = mp->m;
	const char	*eq, *v;
	size_t		 klen, vlen;
	char		 q[4 * MAGNET_QUOTE + 1];

	if ((eq = memchr(p, '=', plen)) == NULL) {
		merr(mp, "parameter '%s' has no '='", quote(q, sizeof(q), p,
		    plen));
		return -1;
	}
	klen = (size_t)(eq - p);
	v = eq + 1;
	vlen = plen - klen - 1;

	if (key_is(p, klen, "xt")) {
		if (decode(mp, p, klen, v, vlen, 0) == -1)
			return -1;
		return parse_xt(mp);
	}
	if (key_is(p, klen, "dn")) {
		if (decode(mp, p, klen, v, vlen, 1) == -1)
			return -1;
		return parse_dn(mp);
	}
	if (key_is(p, klen, "tr")) {
		if (decode(mp, p, klen, v, vlen, 0) == -1)
			return -1;
		if (!url_ok(mp, tr_schemes))
			return 0;
		return add_url(mp, &m->tr, &m->ntr, &mp->trcap);
	}
	if (key_is(p, klen, "ws")) {
		if (decode(mp, p, klen, v, vlen, 0) == -1)
			return -1;
		if (!url_ok(mp, ws_schemes))
			return 0;
		return add_url(mp, &m->ws, &m->nws, &mp->wscap);
	}
	if (key_is(p, klen, "x.pe")) {
		if (decode(mp, p, klen, v, vlen, 0) == -1)
			return -1;
		return parse_pe(mp);
	}
	return 0;	/* unknown: ignored */
}

int
magnet_parse(const char *uri, size_t len, struct magnet **out, char *err,
    size_t errlen)
{
	struct mparse	 mp;
	const char	*p, *end, *amp;
	size_t		 nparams = 0;

	memset(&mp, 0, sizeof(mp));
	mp.err = err;
	mp.errlen = errlen;
	*out = NULL;

	if (len > MAGNET_MAX_LEN) {
		merr(&mp, "magnet link is %zu bytes, more than %d", len,
		    MAGNET_MAX_LEN);
		return -1;
	}
	if (uri == NULL || len < MAGNET_PREFIX_LEN ||
	    strncasecmp(uri, MAGNET_PREFIX, MAGNET_PREFIX_LEN - 1) != 0 ||
	    uri[MAGNET_PREFIX_LEN - 1] != '?') {
		merr(&mp, "not a magnet link (no \"%s\")", MAGNET_PREFIX);
		return -1;
	}
	if (memchr(uri, '\0', len) != NULL) {
		merr(&mp, "NUL byte in magnet link");
		return -1;
	}
	if ((mp.m = calloc(1, sizeof(*mp.m))) == NULL ||
	    (mp.m->dn = strdup("")) == NULL ||
	    (mp.buf = malloc(len + 1)) == NULL) {
		merr(&mp, "out of memory");
		goto fail;
	}

	end = uri + len;
	for (p = uri + MAGNET_PREFIX_LEN; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		if (++nparams > MAGNET_MAX_PARAMS) {
			merr(&mp, "magnet link has more than %d parameters",
			    MAGNET_MAX_PARAMS);
			goto fail;
		}
		if (parse_param(&mp, p, (size_t)(amp - p)) == -1)
			goto fail;
	}
	if (!mp.have_hash && mp.m->has_v2) {
		merr(&mp, "xt: urn:btmh without urn:btih: v2-only magnet "
		    "links are not supported yet");
		goto fail;
	}
	if (!mp.have_hash) {
		merr(&mp, "no xt=urn:btih");
		goto fail;
	}
	free(mp.buf);
	*out = mp.m;	/* freed by magnet_free() */
	return 0;
fail:
	free(mp.buf);
	magnet_free(mp.m);
	return -1;
}

void
magnet_free(struct magnet *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	free(m->dn);
	for (i = 0; i < m->ntr; i++)
		free(m->tr[i]);
	free(m->tr);
	free(m->pe);
	for (i = 0; i < m->nws; i++)
		free(m->ws[i]);
	free(m->ws);
	free(m);
}
