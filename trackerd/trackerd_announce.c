/*
 * trackerd_announce.c -- the HTTP tracker codec: announce and scrape
 * URLs out (BEP 3, 7, 23, 48), bencoded replies in.
 *
 * Plain C with no I/O: trackerd_http.c fetches the body, caps it at
 * TR_MAX_BODY and hands it here.  URLs are built in a fixed buffer of
 * TR_MAX_URL bytes and copied out once complete, so a long base or
 * tracker id can make a request fail but never grow without bound.
 *
 * Invariants of a struct tr_reply filled here: failure, warning and
 * trackerid are NUL-terminated printable ASCII (tracker text goes
 * through log_escape(), a tracker id that is not printable is dropped);
 * interval lies in [TR_MIN_INTERVAL, TR_MAX_INTERVAL] and min_interval
 * is 0 or in that range; at most TR_MAX_PEERS peers, each AF_INET or
 * AF_INET6 with a port other than 0; peers is NULL when npeers is 0.
 * The reply is left freeable by tr_reply_free() on every return.
 *
 * Leniency, where trackers in use need it: bytes after the top-level
 * dict are accepted if they are all white space (a trailing newline is
 * common); keys of the wrong type are ignored as if absent; a ragged
 * tail of a compact peer string is dropped, the whole entries kept; bad
 * entries of a dict-form peer list are skipped one by one.  A dict that
 * holds none of the keys we read is an empty reply, not an error: the
 * tracker did answer, and refusing it would only make trackerd announce
 * again sooner.  Rejected: failing a whole reply for one bad peer entry,
 * which would let one stray value cost us every other peer.
 *
 * Announce URLs keep to printable ASCII: a base with a space, a control
 * byte, a byte >= 0x7f or a fragment ('#') is refused, since the request
 * line could not carry it and the parameters appended after a fragment
 * would never reach the tracker.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bencode.h"
#include "log.h"
#include "trackerd.h"
#include "util.h"

/* Tunables. */
#define TR_MAX_URL	4096	/* bytes of a built URL, NUL included */
#define TR_BE_DEPTH	32	/* nesting of a reply: 3 is all we read */
/* Values in a reply: room for about 18,000 dict-form peers. */
#define TR_BE_NODES	(1U << 17)
#define TR_QUOTE	32	/* bytes of an escaped excerpt in an err */
#define TR_IPSTR	64	/* longest "ip" string tried as a literal */

#define COMPACT4	6	/* address and port of a compact peer */
#define COMPACT6	18	/* the same for peers6 */

static const char *const event_names[] = {
	[TR_EVENT_STARTED] = "started",
	[TR_EVENT_COMPLETED] = "completed",
	[TR_EVENT_STOPPED] = "stopped",
};

/* A URL under construction: len bytes of buf used, over once too long. */
struct urlbuf {
	char	 buf[TR_MAX_URL];
	size_t	 len;
	int	 over;
};

static void	url_printf(struct urlbuf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

int32_t
tr_clamp_interval(int64_t v)
{
	if (v < TR_MIN_INTERVAL)
		return TR_MIN_INTERVAL;
	if (v > TR_MAX_INTERVAL)
		return TR_MAX_INTERVAL;
	return (int32_t)v;
}

void
tr_reply_free(struct tr_reply *r)
{
	if (r == NULL)
		return;
	free(r->peers);
	memset(r, 0, sizeof(*r));
}

static void
reply_init(struct tr_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->interval = TR_DEFAULT_INTERVAL;
	r->min_interval = 0;
	r->seeders = -1;
	r->leechers = -1;
	r->completed = -1;
}

/* URLs */

static void
url_putc(struct urlbuf *u, char c)
{
	if (u->over || u->len + 1 >= sizeof(u->buf)) {
		u->over = 1;
		return;
	}
	u->buf[u->len++] = c;
	u->buf[u->len] = '\0';
}

static void
url_puts(struct urlbuf *u, const char *s)
{
	while (*s != '\0')
		url_putc(u, *s++);
}

static void
url_printf(struct urlbuf *u, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 room = sizeof(u->buf) - u->len;
	int	 w;

	if (u->over)
		return;
	va_start(ap, fmt);
	w = vsnprintf(u->buf + u->len, room, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= room) {
		u->over = 1;
		u->buf[u->len] = '\0';
		return;
	}
	u->len += (size_t)w;
}

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* Percent-encode n bytes: unreserved ones (RFC 3986) as they are. */
static void
url_encode(struct urlbuf *u, const void *p, size_t n)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (unreserved(s[i]))
			url_putc(u, (char)s[i]);
		else {
			url_putc(u, '%');
			url_putc(u, hex[s[i] >> 4]);
			url_putc(u, hex[s[i] & 0xf]);
		}
	}
}

/*
 * What joins a parameter to url: '?' if it has no query yet, '&' if it
 * has one, nothing if it ends in either already.
 */
static const char *
query_sep(const char *url)
{
	size_t	 len = strlen(url);

	if (len > 0 && (url[len - 1] == '?' || url[len - 1] == '&'))
		return "";
	return strchr(url, '?') != NULL ? "&" : "?";
}

/* A malloc'd copy of a complete URL, NULL if it overflowed. */
static char *
url_finish(const struct urlbuf *u)
{
	if (u->over)
		return NULL;
	return strdup(u->buf);
}

/*
 * The length of the http:// or https:// prefix of base, or 0 if base
 * is not an http or https URL with a host that we can send.
 */
static size_t
base_ok(const char *base)
{
	const unsigned char	*p;
	size_t			 skip;

	if (base == NULL)
		return 0;
	if (strncasecmp(base, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(base, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	if (base[skip] == '\0' || base[skip] == '/' || base[skip] == '?')
		return 0;
	for (p = (const unsigned char *)base; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '#')
			return 0;
	return skip;
}

char *
tr_announce_url(const char *base, const struct tr_announce *a)
{
	struct urlbuf	 u;

	if (base_ok(base) == 0 || strlen(base) >= sizeof(u.buf))
		return NULL;
	u.len = 0;
	u.over = 0;
	u.buf[0] = '\0';
	url_puts(&u, base);
	url_puts(&u, query_sep(base));
	url_puts(&u, "info_hash=");
	url_encode(&u, a->info_hash, sizeof(a->info_hash));
	url_puts(&u, "&peer_id=");
	url_encode(&u, a->peer_id, sizeof(a->peer_id));
	url_printf(&u, "&port=%u&uploaded=%llu&downloaded=%llu&left=%llu",
	    (unsigned)a->port, (unsigned long long)a->uploaded,
	    (unsigned long long)a->downloaded, (unsigned long long)a->left);
	url_printf(&u, "&compact=1&no_peer_id=1&numwant=%u&key=%08X",
	    (unsigned)a->numwant, (unsigned)a->key);
	if (a->event == TR_EVENT_STARTED || a->event == TR_EVENT_COMPLETED ||
	    a->event == TR_EVENT_STOPPED)
		url_printf(&u, "&event=%s", event_names[a->event]);
	if (a->trackerid != NULL && a->trackerid[0] != '\0') {
		url_puts(&u, "&trackerid=");
		url_encode(&u, a->trackerid, strlen(a->trackerid));
	}
	return url_finish(&u);
}

char *
tr_scrape_url(const char *base, const uint8_t info_hash[20])
{
	struct urlbuf	 u;
	const char	*path, *query, *last, *p;
	size_t		 skip;

	if ((skip = base_ok(base)) == 0 || strlen(base) >= sizeof(u.buf))
		return NULL;
	/* The path runs from the first '/' after the host to the query. */
	query = base + strcspn(base, "?");
	path = base + skip + strcspn(base + skip, "/?");
	if (path >= query || *path != '/')
		return NULL;
	for (last = p = path; p < query; p++)
		if (*p == '/')
			last = p;
	if ((size_t)(query - last - 1) < 8 || strncmp(last + 1, "announce",
	    8) != 0)
		return NULL;

	u.len = 0;
	u.over = 0;
	u.buf[0] = '\0';
	url_printf(&u, "%.*s", (int)(last + 1 - base), base);
	url_puts(&u, "scrape");
	url_puts(&u, last + 1 + 8);
	url_puts(&u, query_sep(base));
	url_puts(&u, "info_hash=");
	url_encode(&u, info_hash, 20);
	return url_finish(&u);
}

/* Replies */

/* 1 if the bytes are all HTTP white space (trailing a reply). */
static int
all_space(const uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
		    p[i] != '\n')
			return 0;
	return 1;
}

/*
 * Decode a reply body whose top level must be a dict; what says which
 * kind of reply, for the error text.  0 with *doc to be be_free()d.
 */
static int
decode_reply(const uint8_t *body, size_t len, const char *what,
    struct be_doc *doc, char *err, size_t errlen)
{
	const struct be_limits	 lim = { TR_BE_DEPTH, TR_BE_NODES };
	char			 berr[128], q[TR_QUOTE + 1];
	size_t			 i;

	memset(doc, 0, sizeof(*doc));
	if (len > TR_MAX_BODY) {
		util_seterr(err, errlen, "%s reply of %zu bytes is over the "
		    "limit of %u", what, len, (unsigned)TR_MAX_BODY);
		return -1;
	}
	if (len == 0 || all_space(body, len)) {
		util_seterr(err, errlen, "%s reply is empty", what);
		return -1;
	}
	if (be_decode(body, len, &lim, BE_ALLOW_TRAILING, doc, berr,
	    sizeof(berr)) == -1) {
		if (body[0] == 'd')
			util_seterr(err, errlen, "%s reply is malformed: %s",
			    what, berr);
		else
			util_seterr(err, errlen, "%s reply is not bencoded "
			    "(starts with '%s')", what,
			    log_escape(q, sizeof(q), body, len));
		return -1;
	}
	for (i = doc->used; i < len; i++)
		if (!all_space(body + i, 1)) {
			util_seterr(err, errlen,
			    "%s reply has junk after it at byte %zu", what, i);
			be_free(doc);
			return -1;
		}
	if (doc->nodes[0].type != BE_DICT) {
		util_seterr(err, errlen, "%s reply is not a dictionary", what);
		be_free(doc);
		return -1;
	}
	return 0;
}

/* The integer at key of dict d if it is >= 0, else -1. */
static int64_t
get_count(const struct be_doc *doc, const struct be_node *d, const char *key)
{
	const struct be_node	*v;

	if ((v = be_dict_get(doc, d, key)) == NULL || v->type != BE_INT ||
	    v->i < 0)
		return -1;
	return v->i;
}

/*
 * "failure reason" and "warning message".  1 if the reply is a
 * failure, 0 if not, -1 if the failure reason is not a string.
 */
static int
get_texts(const struct be_doc *doc, struct tr_reply *r, const char *what,
    char *err, size_t errlen)
{
	const struct be_node	*d = &doc->nodes[0], *v;

	if ((v = be_dict_get(doc, d, "warning message")) != NULL &&
	    v->type == BE_STR)
		log_escape(r->warning, sizeof(r->warning), v->s, v->slen);
	if ((v = be_dict_get(doc, d, "failure reason")) == NULL)
		return 0;
	if (v->type != BE_STR) {
		util_seterr(err, errlen,
		    "%s reply has a failure reason that is not a string", what);
		return -1;
	}
	if (v->slen == 0)
		snprintf(r->failure, sizeof(r->failure), "(no reason given)");
	else
		log_escape(r->failure, sizeof(r->failure), v->s, v->slen);
	return 1;
}

static void
add_peer(struct tr_reply *r, int family, const uint8_t *addr, uint16_t port)
{
	struct tr_peer	*p;

	if (port == 0 || r->npeers >= TR_MAX_PEERS)
		return;
	p = &r->peers[r->npeers++];
	memset(p, 0, sizeof(*p));
	p->family = family;
	memcpy(p->addr, addr, family == AF_INET ? 4 : 16);
	p->port = port;
}

/* Whole entries of a compact peer string; a ragged tail is dropped. */
static void
add_compact(struct tr_reply *r, int family, const uint8_t *s, size_t len)
{
	size_t	 step = family == AF_INET ? COMPACT4 : COMPACT6;
	size_t	 alen = step - 2, i;

	for (i = 0; i + step <= len && r->npeers < TR_MAX_PEERS; i += step)
		add_peer(r, family, s + i,
		    (uint16_t)(s[i + alen] << 8 | s[i + alen + 1]));
}

/* One entry of a dict-form list: "ip" a numeric literal, "port". */
static void
add_dict_peer(const struct be_doc *doc, const struct be_node *d,
    struct tr_reply *r)
{
	const struct be_node	*ip, *port;
	char			 s[TR_IPSTR + 1];
	uint8_t			 a[16];

	if (d->type != BE_DICT ||
	    (ip = be_dict_get(doc, d, "ip")) == NULL || ip->type != BE_STR ||
	    (port = be_dict_get(doc, d, "port")) == NULL ||
	    port->type != BE_INT || port->i < 1 || port->i > 65535 ||
	    ip->slen == 0 || ip->slen > TR_IPSTR ||
	    memchr(ip->s, '\0', ip->slen) != NULL)
		return;
	memcpy(s, ip->s, ip->slen);
	s[ip->slen] = '\0';
	if (inet_pton(AF_INET, s, a) == 1)
		add_peer(r, AF_INET, a, (uint16_t)port->i);
	else if (inet_pton(AF_INET6, s, a) == 1)
		add_peer(r, AF_INET6, a, (uint16_t)port->i);
}

/* "peers" (compact or a list of dicts) and "peers6" (compact). */
static int
get_peers(const struct be_doc *doc, struct tr_reply *r, char *err,
    size_t errlen)
{
	const struct be_node	*d = &doc->nodes[0], *p4, *p6, *e;
	size_t			 want = 0;

	p4 = be_dict_get(doc, d, "peers");
	p6 = be_dict_get(doc, d, "peers6");
	if (p4 != NULL && p4->type == BE_STR)
		want += p4->slen / COMPACT4;
	else if (p4 != NULL && p4->type == BE_LIST)
		want += p4->nchild;
	if (p6 != NULL && p6->type == BE_STR)
		want += p6->slen / COMPACT6;
	if (want > TR_MAX_PEERS)
		want = TR_MAX_PEERS;
	if (want == 0)
		return 0;
	if ((r->peers = calloc(want, sizeof(*r->peers))) == NULL) {
		util_seterr(err, errlen, "announce reply: out of memory");
		return -1;
	}
	if (p4 != NULL && p4->type == BE_STR)
		add_compact(r, AF_INET, p4->s, p4->slen);
	else if (p4 != NULL && p4->type == BE_LIST)
		for (e = be_first(doc, p4); e != NULL &&
		    r->npeers < TR_MAX_PEERS; e = be_next(doc, p4, e))
			add_dict_peer(doc, e, r);
	if (p6 != NULL && p6->type == BE_STR)
		add_compact(r, AF_INET6, p6->s, p6->slen);
	if (r->npeers == 0) {
		free(r->peers);
		r->peers = NULL;
	}
	return 0;
}

/* "tracker id": kept if it is printable ASCII that fits, else dropped. */
static void
get_trackerid(const struct be_doc *doc, struct tr_reply *r)
{
	const struct be_node	*v;
	size_t			 i;

	v = be_dict_get(doc, &doc->nodes[0], "tracker id");
	if (v == NULL || v->type != BE_STR || v->slen >= sizeof(r->trackerid))
		return;
	for (i = 0; i < v->slen; i++)
		if (v->s[i] < 0x20 || v->s[i] > 0x7e)
			return;
	memcpy(r->trackerid, v->s, v->slen);
	r->trackerid[v->slen] = '\0';
}

int
tr_announce_parse(const uint8_t *body, size_t len, struct tr_reply *r,
    char *err, size_t errlen)
{
	struct be_doc		 doc;
	const struct be_node	*d, *v;
	int			 failed;

	reply_init(r);
	if (decode_reply(body, len, "tracker", &doc, err, errlen) == -1)
		return -1;
	d = &doc.nodes[0];
	if ((failed = get_texts(&doc, r, "tracker", err, errlen)) == -1)
		goto fail;
	/* A failed announce may still say when to try again. */
	if ((v = be_dict_get(&doc, d, "interval")) != NULL &&
	    v->type == BE_INT)
		r->interval = tr_clamp_interval(v->i);
	if ((v = be_dict_get(&doc, d, "min interval")) != NULL &&
	    v->type == BE_INT)
		r->min_interval = tr_clamp_interval(v->i);
	if (failed) {
		be_free(&doc);
		return 0;
	}
	r->seeders = get_count(&doc, d, "complete");
	r->leechers = get_count(&doc, d, "incomplete");
	get_trackerid(&doc, r);
	if (get_peers(&doc, r, err, errlen) == -1)
		goto fail;
	be_free(&doc);
	return 0;

fail:
	be_free(&doc);
	tr_reply_free(r);
	reply_init(r);
	return -1;
}

int
tr_scrape_parse(const uint8_t *body, size_t len, const uint8_t info_hash[20],
    struct tr_reply *r, char *err, size_t errlen)
{
	struct be_doc		 doc;
	const struct be_node	*files, *k, *v = NULL;
	int			 failed;

	reply_init(r);
	if (decode_reply(body, len, "scrape", &doc, err, errlen) == -1)
		return -1;
	if ((failed = get_texts(&doc, r, "scrape", err, errlen)) == -1)
		goto fail;
	if (failed) {
		be_free(&doc);
		return 0;
	}
	files = be_dict_get(&doc, &doc.nodes[0], "files");
	if (files == NULL || files->type != BE_DICT) {
		util_seterr(err, errlen,
		    "scrape reply has no files dictionary");
		goto fail;
	}
	/* Keys are binary: be_dict_get() takes a C string. */
	for (k = be_first(&doc, files); k != NULL;
	    k = be_next(&doc, files, v)) {
		v = be_next(&doc, files, k);
		if (k->slen == 20 && memcmp(k->s, info_hash, 20) == 0)
			break;
	}
	if (k == NULL) {
		util_seterr(err, errlen, "scrape reply does not mention this "
		    "torrent");
		goto fail;
	}
	if (v->type != BE_DICT) {
		util_seterr(err, errlen, "scrape reply: the entry of this "
		    "torrent is not a dictionary");
		goto fail;
	}
	r->seeders = get_count(&doc, v, "complete");
	r->leechers = get_count(&doc, v, "incomplete");
	r->completed = get_count(&doc, v, "downloaded");
	be_free(&doc);
	return 0;

fail:
	be_free(&doc);
	reply_init(r);
	return -1;
}
