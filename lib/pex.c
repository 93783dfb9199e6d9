/*
 * pex.c -- the ut_pex codec (BEP 11); see pex.h.
 *
 * The dictionary is decoded with lib/bencode.c, strictly (no bytes may
 * follow it).  Every length from a peer is checked against its entry
 * size before an entry is read, and the added count against
 * PEX_MAX_ADDED before any is copied; the flags, when present, must be
 * exactly one byte per entry of their list.
 *
 * Rejected alternative: truncating a list of more than PEX_MAX_ADDED to
 * its first entries.  The peer chose those entries and broke the bound;
 * taking part of such a message rewards it, so none is taken.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "bencode.h"
#include "pex.h"

#define PEX_DEPTH	4	/* nesting in a message's dictionary */
#define PEX_NODES	64	/* values in it */

/* A string value of key, NULL if absent; *bad when it is not a string. */
static const struct be_node *
str_key(const struct be_doc *d, const char *key, int *bad)
{
	const struct be_node *v = be_dict_get(d, &d->nodes[0], key);

	if (v != NULL && v->type != BE_STR) {
		*bad = 1;
		return NULL;
	}
	return v;
}

/* Entries of list v (NULL: none) of size esz; -1 if ragged. */
static int
entries(const struct be_node *v, size_t esz, const char *key, size_t *n,
    char *err, size_t errlen)
{
	*n = 0;
	if (v == NULL)
		return 0;
	if (v->slen % esz != 0) {
		snprintf(err, errlen, "ut_pex: %s of %zu bytes, not a "
		    "multiple of %zu", key, v->slen, esz);
		return -1;
	}
	*n = v->slen / esz;
	return 0;
}

static int
flags_ok(const struct be_node *f, size_t n, const char *key, char *err,
    size_t errlen)
{
	if (f == NULL || f->slen == n)
		return 0;
	snprintf(err, errlen, "ut_pex: %s of %zu bytes for %zu peers", key,
	    f->slen, n);
	return -1;
}

static void
take(struct pex_msg *m, const struct be_node *v, const struct be_node *f,
    size_t n, int family)
{
	size_t		 alen = family == AF_INET ? 4 : 16, i;
	const uint8_t	*e;
	struct pex_peer	*pp;

	for (i = 0; i < n; i++) {
		e = v->s + i * (alen + 2);
		if (e[alen] == 0 && e[alen + 1] == 0) {
			m->nport0++;
			continue;
		}
		pp = &m->added[m->nadded++];
		memset(pp, 0, sizeof(*pp));
		pp->family = family;
		memcpy(pp->addr, e, alen);
		pp->port = (uint16_t)(e[alen] << 8 | e[alen + 1]);
		pp->flags = f != NULL ? f->s[i] : 0;
	}
}

int
pex_parse(const uint8_t *buf, size_t len, struct pex_msg *m, char *err,
    size_t errlen)
{
	struct be_limits	 lim = { PEX_DEPTH, PEX_NODES };
	struct be_doc		 d;
	const struct be_node	*a4, *f4, *d4, *a6, *f6, *d6;
	size_t			 na4, na6, nd4, nd6;
	char			 e[96];
	int			 bad = 0, rc = PEX_BAD;

	memset(m, 0, sizeof(*m));
	memset(&d, 0, sizeof(d));
	if (be_decode(buf, len, &lim, 0, &d, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "ut_pex: %s", e);
		return PEX_BAD;
	}
	if (d.nodes[0].type != BE_DICT) {
		snprintf(err, errlen, "ut_pex: not a dictionary");
		goto done;
	}
	a4 = str_key(&d, "added", &bad);
	f4 = str_key(&d, "added.f", &bad);
	d4 = str_key(&d, "dropped", &bad);
	a6 = str_key(&d, "added6", &bad);
	f6 = str_key(&d, "added6.f", &bad);
	d6 = str_key(&d, "dropped6", &bad);
	if (bad) {
		snprintf(err, errlen, "ut_pex: a peer list that is not a "
		    "string");
		goto done;
	}
	if (entries(a4, 6, "added", &na4, err, errlen) == -1 ||
	    entries(a6, 18, "added6", &na6, err, errlen) == -1 ||
	    entries(d4, 6, "dropped", &nd4, err, errlen) == -1 ||
	    entries(d6, 18, "dropped6", &nd6, err, errlen) == -1 ||
	    flags_ok(f4, na4, "added.f", err, errlen) == -1 ||
	    flags_ok(f6, na6, "added6.f", err, errlen) == -1)
		goto done;
	m->ndropped = (uint32_t)(nd4 + nd6);
	if (na4 + na6 > PEX_MAX_ADDED) {
		snprintf(err, errlen, "ut_pex: %zu added peers, over %u",
		    na4 + na6, PEX_MAX_ADDED);
		rc = PEX_TOO_MANY;
		goto done;
	}
	take(m, a4, f4, na4, AF_INET);
	take(m, a6, f6, na6, AF_INET6);
	rc = PEX_OK;
done:
	be_free(&d);
	return rc;
}

/* The compact list (and flags) of the peers of one family. */
static void
enc_list(struct be_buf *b, const char *key, const char *fkey,
    const struct pex_peer *ps, size_t n, int family)
{
	uint8_t	 list[PEX_MAX_ADDED * 18], flags[PEX_MAX_ADDED];
	size_t	 alen = family == AF_INET ? 4 : 16, i, k = 0, len = 0;

	for (i = 0; i < n; i++) {
		if (ps[i].family != family)
			continue;
		memcpy(list + len, ps[i].addr, alen);
		list[len + alen] = (uint8_t)(ps[i].port >> 8);
		list[len + alen + 1] = (uint8_t)ps[i].port;
		len += alen + 2;
		flags[k++] = ps[i].flags;
	}
	if (k == 0)
		return;
	be_enc_cstr(b, key);
	be_enc_str(b, list, len);
	if (fkey != NULL) {
		be_enc_cstr(b, fkey);
		be_enc_str(b, flags, k);
	}
}

static int
peers_ok(const struct pex_peer *ps, size_t n, size_t max)
{
	size_t i;

	if (n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (ps[i].port == 0 || (ps[i].family != AF_INET &&
		    ps[i].family != AF_INET6))
			return 0;
	return 1;
}

size_t
pex_build(uint8_t *out, size_t cap, const struct pex_peer *added,
    size_t nadded, const struct pex_peer *dropped, size_t ndropped)
{
	struct be_buf	 b;
	size_t		 n = 0;

	if (!peers_ok(added, nadded, PEX_MAX_ADDED) ||
	    !peers_ok(dropped, ndropped, PEX_MAX_DROPPED))
		return 0;
	be_buf_init(&b);
	be_enc_dict(&b);	/* keys in byte order */
	enc_list(&b, "added", "added.f", added, nadded, AF_INET);
	enc_list(&b, "added6", "added6.f", added, nadded, AF_INET6);
	enc_list(&b, "dropped", NULL, dropped, ndropped, AF_INET);
	enc_list(&b, "dropped6", NULL, dropped, ndropped, AF_INET6);
	be_enc_end(&b);
	if (!b.failed && b.len <= cap) {
		memcpy(out, b.p, b.len);
		n = b.len;
	}
	be_buf_free(&b);
	return n;
}
