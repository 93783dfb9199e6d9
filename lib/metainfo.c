/*
 * metainfo.c -- .torrent files and info dictionaries into a checked
 * struct metainfo (metainfo.h), and the one path-component sanitiser.
 *
 * The input is decoded once with the strict decoder (default limits)
 * and walked in place; everything kept is copied out, so the result
 * does not refer to the input.  The info-hash is the SHA-1 of the info
 * dictionary's bytes exactly as received (its raw span in the decoded
 * document), never of a re-encoding, so a dict with keys out of order
 * still hashes as its peers hash it.
 *
 * Invariants of a struct metainfo handed out: piece_length is within
 * 1 .. MI_MAX_PIECE_LENGTH (a power of two of at least 16 KiB with
 * has_v2); every file length is below 2^62 and their sum, total_size,
 * is within 1 .. MI_MAX_TOTAL; files[i].offset is the sum of the
 * lengths before i; with has_v1, pieces holds 20 * piece_count bytes
 * with piece_count = ceil(total_size / piece_length), without it both
 * are empty; every path is made of sanitised components joined by '/',
 * relative, never "." or "..", at most MI_MAX_DEPTH deep and
 * MI_MAX_PATH long; no two non-pad files share a path and none is a
 * directory of another; every string is valid UTF-8 without control
 * characters.
 *
 * Collisions are found by sorting the paths with '/' ordered before
 * every other byte: a file "a" is then followed directly by its
 * duplicates, then by any path under "a/", so "is P a directory" is one
 * binary search for "P/".  Names taken are kept in an open-addressing
 * hash set of every path as given plus every name handed out; each
 * path remembers the last number tried for it, so a thousand files
 * named "x" cost a thousand probes, not half a million.  Comparing
 * every pair was rejected: quadratic in MI_MAX_FILES.
 *
 * BEP 52 (v2 and hybrid): the file tree is walked with an explicit
 * stack of at most MI_MAX_DEPTH frames, never by recursion; piece
 * layers are sorted by their key once and looked up by binary search;
 * a layer's merkle root is computed in a scratch copy, halving it in
 * place, with the missing right-hand nodes of each level the root of a
 * subtree of zero leaves (BEP 52: leaves past the end of a file are
 * zero).
 *
 * Optional fields never fail a parse: a mistyped announce-list, comment
 * or url-list is ignored, and announce URLs that are not http, https or
 * udp are dropped, because a .torrent is still usable without them.
 */
#include <openssl/sha.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bencode.h"
#include "log.h"
#include "metainfo.h"
#include "utf8.h"

#define MAX_URL		2048	/* bytes of a tracker or web seed URL */
#define MAX_TEXT	4096	/* bytes of comment and created by */
#define MAX_WEBSEEDS	100	/* url-list entries kept */
#define SCAN_URLS	10000	/* announce-list URLs looked at, at most */
#define MAX_EXT		16	/* bytes after the '.' of a kept extension */
#define ERR_QUOTE	40	/* input bytes quoted in an error message */
#define QUOTE_BUF	(ERR_QUOTE * 4 + 1)	/* ... once escaped */

#define V2_BLOCK	16384	/* BEP 52 merkle leaf: bytes of a block */

struct parse {
	const struct be_doc	*doc;
	struct metainfo		*mi;
	struct mi_file		*v2;	/* the file tree's files, in order */
	size_t			 nv2;
	size_t			 v2cap;
	uint64_t		 v2total;	/* their total size */
	char			*err;
	size_t			 errlen;
};

static int	perr(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	pwarn(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Set the error line; always -1. */
static int
perr(struct parse *ps, const char *fmt, ...)
{
	va_list	ap;

	if (ps->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Keep a warning line (bounded: past MI_MAX_WARNINGS they are dropped);
 * 0, or -1 out of memory.
 */
static int
pwarn(struct parse *ps, const char *fmt, ...)
{
	struct metainfo	*mi = ps->mi;
	va_list		 ap;
	char		*w;
	int		 rc;

	if (mi->nwarnings == MI_MAX_WARNINGS)
		return 0;
	va_start(ap, fmt);
	rc = vasprintf(&w, fmt, ap);
	va_end(ap);
	if (rc == -1)
		return perr(ps, "out of memory");
	mi->warnings[mi->nwarnings++] = w;
	return 0;
}

/* The escaped start of a sanitised string, for an error message. */
static const char *
quote(char *dst, size_t dstsz, const char *s)
{
	size_t	len = strlen(s);

	return log_escape(dst, dstsz, s, len > ERR_QUOTE ? ERR_QUOTE : len);
}

/* C0, DEL and C1 controls. */
static int
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}


/*
 * Sanitise in[0, len) into out, character by character, stopping
 * before a character that would take the output past cap bytes.  Each
 * replaced character becomes one '_', each byte of invalid UTF-8 one
 * '_', so the output is never longer than the input.  *used gets the
 * input bytes consumed; the return value is the bytes written.
 */
static size_t
sanitize_run(const uint8_t *in, size_t len, char *out, size_t cap,
    size_t *used, size_t *kept)
{
	uint32_t	cp;
	size_t		i = 0, o = 0, n, w;
	int		bad;

	while (i < len) {
		if ((n = utf8_decode(in + i, len - i, &cp)) == 0) {
			n = 1;
			bad = 1;
		} else
			bad = utf8_unsafe(cp) || cp == '/' || cp == '\\';
		w = bad ? 1 : n;
		if (w > cap - o)
			break;
		if (bad)
			out[o] = '_';
		else {
			memcpy(out + o, in + i, n);
			(*kept)++;
		}
		o += w;
		i += n;
	}
	*used = i;
	return o;
}

static int
trailing_trim(int c)
{
	return c == '.' || c == ' ';
}

int
mi_sanitize_component(const uint8_t *in, size_t len, char *out,
    size_t outlen, char *err, size_t errlen)
{
	char	ext[MAX_EXT + 1];	/* '.' and the extension */
	size_t	o, used, elen, dot, stop, kept = 0, ekept = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (outlen < MI_MAX_COMPONENT + 1) {
		if (errlen > 0)
			snprintf(err, errlen,
			    "path component buffer too small");
		return -1;
	}
	out[0] = '\0';
	while (len > 0 && trailing_trim(in[len - 1]))
		len--;		/* ".", ".." and "..." end up empty */
	o = sanitize_run(in, len, out, MI_MAX_COMPONENT, &used, &kept);
	if (used < len) {
		/*
		 * Too long.  Keep an extension of up to MAX_EXT bytes: the
		 * last '.' must be within the last MAX_EXT + 1 bytes and
		 * not the first byte (".profile" has no extension).
		 */
		stop = len > MAX_EXT + 1 ? len - MAX_EXT - 1 : 0;
		for (dot = len; dot > stop && in[dot - 1] != '.'; dot--)
			;
		if (dot > stop && dot > 1) {	/* in[dot - 1] is '.' */
			elen = sanitize_run(in + dot - 1, len - dot + 1, ext,
			    sizeof(ext), &used, &ekept);
			kept = 0;
			o = sanitize_run(in, dot - 1, out,
			    MI_MAX_COMPONENT - elen, &used, &kept);
			kept += ekept;
			memcpy(out + o, ext, elen);
			o += elen;
		}
		while (o > 0 && trailing_trim(out[o - 1]))
			o--;
	}
	if (o == 0 || kept == 0) {
		o = 0;
		out[o++] = '_';	/* "", "..", "  ", "//": a placeholder */
	}
	out[o] = '\0';
	return (int)o;
}

/*
 * A copy of a text field (comment, created by): invalid UTF-8 (per
 * byte) and control characters become U+FFFD, cut at MAX_TEXT bytes at
 * a character boundary; "" if n is not a string.  NULL if out of memory.
 */
static char *
sanitize_text(const struct be_node *n)
{
	char		buf[MAX_TEXT + 1];
	uint32_t	cp;
	size_t		i, o = 0, len, w;
	int		bad;

	if (n == NULL || n->type != BE_STR)
		return strdup("");
	for (i = 0; i < n->slen; i += len) {
		if ((len = utf8_decode(n->s + i, n->slen - i, &cp)) == 0) {
			len = 1;
			bad = 1;
		} else
			bad = is_control(cp);
		w = bad ? sizeof(UTF8_REPLACEMENT) - 1 : len;
		if (w > MAX_TEXT - o)
			break;
		memcpy(buf + o,
		    bad ? (const uint8_t *)UTF8_REPLACEMENT : n->s + i, w);
		o += w;
	}
	buf[o] = '\0';
	return strdup(buf);
}

/* The value of key, or of key.utf-8 if that is present and of type t. */
static const struct be_node *
get_utf8(const struct be_doc *doc, const struct be_node *d, const char *key,
    enum be_type t)
{
	const struct be_node	*n;
	char			 k[64];

	snprintf(k, sizeof(k), "%s.utf-8", key);
	if ((n = be_dict_get(doc, d, k)) != NULL && n->type == t)
		return n;
	return be_dict_get(doc, d, key);
}

/* 1 if n is a string s of scheme (lower case, with "://"), any case. */
static int
has_scheme(const struct be_node *n, const char *scheme)
{
	size_t	len = strlen(scheme);

	return n->slen > len &&
	    strncasecmp((const char *)n->s, scheme, len) == 0 &&
	    n->s[len] != '/';
}

/*
 * 1 if n is a URL worth keeping: http or https (or udp if udp), a host
 * part, at most MAX_URL bytes of UTF-8 with no control characters.
 */
static int
url_ok(const struct be_node *n, int udp)
{
	uint32_t	cp;
	size_t		i, len;

	if (n == NULL || n->type != BE_STR || n->slen > MAX_URL)
		return 0;
	if (!has_scheme(n, "http://") && !has_scheme(n, "https://") &&
	    !(udp && has_scheme(n, "udp://")))
		return 0;
	for (i = 0; i < n->slen; i += len)
		if ((len = utf8_decode(n->s + i, n->slen - i, &cp)) == 0 ||
		    is_control(cp))
			return 0;
	return 1;
}

/* 1 if the string node n holds exactly url. */
static int
same_url(const struct be_node *n, const char *url)
{
	return strlen(url) == n->slen && memcmp(url, n->s, n->slen) == 0;
}

/* Keep n as a tracker of tier if it is usable and new. */
static int
add_tracker(struct parse *ps, const struct be_node *n, int tier)
{
	struct metainfo	*mi = ps->mi;
	size_t		 i;

	if (mi->ntrackers == MI_MAX_TRACKERS || !url_ok(n, 1))
		return 0;
	for (i = 0; i < mi->ntrackers; i++)
		if (same_url(n, mi->trackers[i].url))
			return 0;
	if (mi->trackers == NULL && (mi->trackers = calloc(MI_MAX_TRACKERS,
	    sizeof(*mi->trackers))) == NULL)
		return perr(ps, "out of memory");
	/* url_ok: no NUL inside, so the copy has the node's length. */
	if ((mi->trackers[mi->ntrackers].url = strndup((const char *)n->s,
	    n->slen)) == NULL)
		return perr(ps, "out of memory");
	mi->trackers[mi->ntrackers++].tier = tier;
	return 0;
}

/*
 * announce-list (BEP 12) when it gives any usable URL, else announce.
 * Tiers are numbered from 0 in the order given, skipping tiers left
 * empty by filtering.
 */
static int
parse_trackers(struct parse *ps, const struct be_node *top)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*al, *t, *u;
	struct metainfo		*mi = ps->mi;
	size_t			 scanned = 0, before;
	int			 tier = 0;

	al = be_dict_get(doc, top, "announce-list");
	if (al != NULL && al->type == BE_LIST) {
		for (t = be_first(doc, al); t != NULL && scanned < SCAN_URLS &&
		    mi->ntrackers < MI_MAX_TRACKERS; t = be_next(doc, al, t)) {
			if (t->type != BE_LIST)
				continue;
			before = mi->ntrackers;
			for (u = be_first(doc, t); u != NULL &&
			    scanned++ < SCAN_URLS; u = be_next(doc, t, u))
				if (add_tracker(ps, u, tier) == -1)
					return -1;
			if (mi->ntrackers > before)
				tier++;
		}
	}
	if (mi->ntrackers == 0 &&
	    add_tracker(ps, be_dict_get(doc, top, "announce"), 0) == -1)
		return -1;
	return 0;
}

/* Keep n as a web seed if it is an http(s) URL not yet kept. */
static int
add_webseed(struct parse *ps, const struct be_node *n)
{
	struct metainfo	*mi = ps->mi;
	size_t		 i;

	if (mi->nurl_list == MAX_WEBSEEDS || !url_ok(n, 0))
		return 0;
	for (i = 0; i < mi->nurl_list; i++)
		if (same_url(n, mi->url_list[i]))
			return 0;
	if (mi->url_list == NULL && (mi->url_list = calloc(MAX_WEBSEEDS,
	    sizeof(*mi->url_list))) == NULL)
		return perr(ps, "out of memory");
	if ((mi->url_list[mi->nurl_list] = strndup((const char *)n->s,
	    n->slen)) == NULL)
		return perr(ps, "out of memory");
	mi->nurl_list++;
	return 0;
}

/* The fields outside info: trackers, text, creation date, web seeds. */
static int
parse_extras(struct parse *ps, const struct be_node *top)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*n, *u;
	struct metainfo		*mi = ps->mi;
	size_t			 scanned = 0;

	if (parse_trackers(ps, top) == -1)
		return -1;
	if ((mi->comment = sanitize_text(get_utf8(doc, top, "comment",
	    BE_STR))) == NULL ||
	    (mi->created_by = sanitize_text(get_utf8(doc, top, "created by",
	    BE_STR))) == NULL)
		return perr(ps, "out of memory");
	n = be_dict_get(doc, top, "creation date");
	if (n != NULL && n->type == BE_INT && n->i >= 0)
		mi->creation_date = n->i;
	n = be_dict_get(doc, top, "url-list");
	if (n != NULL && n->type == BE_STR)
		return add_webseed(ps, n);
	if (n != NULL && n->type == BE_LIST)
		for (u = be_first(doc, n); u != NULL && scanned++ < SCAN_URLS;
		    u = be_next(doc, n, u))
			if (add_webseed(ps, u) == -1)
				return -1;
	return 0;
}

/* A file length (what: "info" or "file 3") into *len. */
static int
parse_length(struct parse *ps, const struct be_node *n, const char *what,
    uint64_t *len)
{
	if (n == NULL)
		return perr(ps, "%s: length is missing", what);
	if (n->type != BE_INT)
		return perr(ps, "%s: length is not an integer", what);
	if (n->i < 0)
		return perr(ps, "%s: length %" PRId64 " is negative", what,
		    n->i);
	if ((uint64_t)n->i >= MI_MAX_TOTAL)
		return perr(ps, "%s: length %" PRId64 " is 2^62 or more",
		    what, n->i);
	*len = (uint64_t)n->i;
	return 0;
}

/*
 * Append len bytes of outside text to buf (cap bytes, NUL kept) for
 * display: invalid UTF-8 (per byte) and control characters become
 * U+FFFD; stops at a character that does not fit.
 */
static void
display_append(char *buf, size_t cap, size_t *o, const uint8_t *s,
    size_t len)
{
	uint32_t	cp;
	size_t		i, n, w;
	int		bad;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0) {
			n = 1;
			bad = 1;
		} else
			bad = utf8_unsafe(cp);
		w = bad ? sizeof(UTF8_REPLACEMENT) - 1 : n;
		if (w >= cap - *o)
			break;
		memcpy(buf + *o,
		    bad ? (const uint8_t *)UTF8_REPLACEMENT : s + i, w);
		*o += w;
	}
	buf[*o] = '\0';
}

/* Components comps[0, n) as given, joined by '/', for display. */
static char *
display_path(const struct be_node *const *comps, size_t n)
{
	char	buf[MI_MAX_ORIGINAL + 1];
	size_t	i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < MI_MAX_ORIGINAL; i++) {
		if (i > 0)
			display_append(buf, sizeof(buf), &o,
			    (const uint8_t *)"/", 1);
		if (comps[i] != NULL)
			display_append(buf, sizeof(buf), &o, comps[i]->s,
			    comps[i]->slen);
		else
			display_append(buf, sizeof(buf), &o,
			    (const uint8_t *)UTF8_REPLACEMENT,
			    sizeof(UTF8_REPLACEMENT) - 1);
	}
	return strdup(buf);
}

/*
 * mf's path from the components comps[0, n) (a NULL entry: one that is
 * not a string), each sanitised, joined with '/'; what names the file
 * in errors.  No component at all: the placeholder.  Sets mf->changed
 * and, if changed, mf->original.
 */
static int
set_path(struct parse *ps, struct mi_file *mf,
    const struct be_node *const *comps, size_t n, const char *what)
{
	char	path[MI_MAX_PATH + 1];
	char	comp[MI_MAX_COMPONENT + 1], why[64];
	size_t	o = 0, i;
	int	rc;

	for (i = 0; i < n; i++) {
		if (comps[i] == NULL) {
			rc = 1;
			memcpy(comp, "_", 2);
			mf->changed |= MI_CHANGED_SANITISED;
		} else {
			rc = mi_sanitize_component(comps[i]->s, comps[i]->slen,
			    comp, sizeof(comp), why, sizeof(why));
			if (rc == -1)
				return perr(ps, "%s: %s", what, why);
			if ((size_t)rc != comps[i]->slen ||
			    memcmp(comp, comps[i]->s, (size_t)rc) != 0)
				mf->changed |= MI_CHANGED_SANITISED;
		}
		if ((size_t)rc + (o > 0) > MI_MAX_PATH - o)
			return perr(ps, "%s: path is longer than %d bytes",
			    what, MI_MAX_PATH);
		if (o > 0)
			path[o++] = '/';
		memcpy(path + o, comp, (size_t)rc);
		o += (size_t)rc;
	}
	if (o == 0) {
		if (mf->pad)
			o = (size_t)snprintf(path, sizeof(path),
			    ".pad/%" PRIu64, mf->length);
		else
			path[o++] = '_';
		mf->changed |= MI_CHANGED_PLACEHOLDER;
	}
	path[o] = '\0';
	if ((mf->path = strdup(path)) == NULL)
		return perr(ps, "out of memory");
	if (mf->changed != 0 &&
	    (mf->original = display_path(comps, n)) == NULL)
		return perr(ps, "out of memory");
	return 0;
}

/*
 * File idx's path (path.utf-8 first) into mf.  A missing, mistyped or
 * empty path list is the placeholder; only depth is refused.
 */
static int
parse_path(struct parse *ps, const struct be_node *f, size_t idx,
    struct mi_file *mf)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*p, *c;
	const struct be_node	*comps[MI_MAX_DEPTH];
	char			 what[32];
	size_t			 n = 0;

	snprintf(what, sizeof(what), "file %zu", idx);
	p = get_utf8(doc, f, "path", BE_LIST);
	if (p != NULL && p->type == BE_LIST) {
		if (p->nchild > MI_MAX_DEPTH)
			return perr(ps, "file %zu: path is %" PRIu32
			    " components deep; the limit is %d", idx,
			    p->nchild, MI_MAX_DEPTH);
		for (c = be_first(doc, p); c != NULL; c = be_next(doc, p, c))
			comps[n++] = c->type == BE_STR ? c : NULL;
	}
	return set_path(ps, mf, comps, n, what);
}

/* BEP 47 attributes: the letters known, in any order; others ignored. */
static unsigned
parse_attr(const struct be_node *a)
{
	unsigned	attr = 0;

	if (a == NULL || a->type != BE_STR)
		return 0;
	if (memchr(a->s, 'p', a->slen) != NULL)
		attr |= MI_ATTR_PAD;
	if (memchr(a->s, 'l', a->slen) != NULL)
		attr |= MI_ATTR_SYMLINK;
	if (memchr(a->s, 'x', a->slen) != NULL)
		attr |= MI_ATTR_EXEC;
	if (memchr(a->s, 'h', a->slen) != NULL)
		attr |= MI_ATTR_HIDDEN;
	return attr;
}

/*
 * A file's length and attributes (what names it in errors; sofar is the
 * size of the files before it).  A symlink
 * may have no length; one with data is refused, since its bytes would
 * have nowhere to go.
 */
static int
parse_entry(struct parse *ps, const struct be_node *d, const char *what,
    struct mi_file *mf, uint64_t sofar)
{
	const struct be_node	*len;

	mf->attr = parse_attr(be_dict_get(ps->doc, d, "attr"));
	mf->pad = (mf->attr & MI_ATTR_PAD) != 0;
	len = be_dict_get(ps->doc, d, "length");
	if (len == NULL && (mf->attr & MI_ATTR_SYMLINK))
		mf->length = 0;
	else if (parse_length(ps, len, what, &mf->length) == -1)
		return -1;
	if ((mf->attr & MI_ATTR_SYMLINK) && mf->length != 0)
		return perr(ps, "%s: a symlink of %" PRIu64 " bytes", what,
		    mf->length);
	if (mf->length > MI_MAX_TOTAL - sofar)
		return perr(ps, "info: total size exceeds 2^62 bytes at %s",
		    what);
	return 0;
}

/* The files list of a multi-file torrent. */
static int
parse_files(struct parse *ps, const struct be_node *list)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*f;
	struct metainfo		*mi = ps->mi;
	struct mi_file		*mf;
	char			 what[32];

	if (list->type != BE_LIST)
		return perr(ps, "info: files is not a list");
	if (list->nchild == 0)
		return perr(ps, "info: files is empty");
	if (list->nchild > MI_MAX_FILES)
		return perr(ps, "info: more than %d files", MI_MAX_FILES);
	if ((mi->files = calloc(list->nchild, sizeof(*mi->files))) == NULL)
		return perr(ps, "out of memory");
	for (f = be_first(doc, list); f != NULL; f = be_next(doc, list, f)) {
		mf = &mi->files[mi->nfiles];
		snprintf(what, sizeof(what), "file %zu", mi->nfiles);
		if (f->type != BE_DICT)
			return perr(ps, "%s is not a dictionary", what);
		if (parse_entry(ps, f, what, mf, mi->total_size) == -1 ||
		    parse_path(ps, f, mi->nfiles, mf) == -1)
			return -1;
		mf->offset = mi->total_size;
		mi->total_size += mf->length;
		mi->nfiles++;
	}
	return 0;
}

/*
 * Path order for collisions: the end of a path first, then '/', then
 * every other byte.
 */
static int
pathcmp(const char *s0, const char *t0)
{
	const unsigned char	*s = (const unsigned char *)s0;
	const unsigned char	*t = (const unsigned char *)t0;
	int			 ws, wt;

	while (*s != '\0' && *s == *t) {
		s++;
		t++;
	}
	ws = *s == '\0' ? 0 : *s == '/' ? 1 : *s + 1;
	wt = *t == '\0' ? 0 : *t == '/' ? 1 : *t + 1;
	return ws - wt;
}

static int
path_order(const void *va, const void *vb)
{
	return pathcmp(*(const char *const *)va, *(const char *const *)vb);
}

/* 1 if some path of sorted[0, n) lies under dir (dir + "/" ...). */
static int
is_directory(const char *const *sorted, size_t n, const char *dir)
{
	char	key[MI_MAX_PATH + 2];
	size_t	lo = 0, hi = n, mid, len = strlen(dir);

	if (len > MI_MAX_PATH)
		return 0;
	memcpy(key, dir, len);
	key[len] = '/';
	key[len + 1] = '\0';
	while (lo < hi) {	/* the first path not before key */
		mid = lo + (hi - lo) / 2;
		if (pathcmp(sorted[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strncmp(sorted[lo], key, len + 1) == 0;
}

/* The hash set of names taken, for mi_disambiguate(). */
struct name_slot {
	const char	*name;		/* NULL: empty slot */
	uint32_t	 next;		/* last number tried for it */
	int		 claimed;	/* a file has it now */
};

struct name_set {
	struct name_slot	*slot;
	size_t			 mask;	/* slots - 1; slots a power of 2 */
};

static uint64_t
name_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of name, or the empty slot where it would go. */
static struct name_slot *
name_find(struct name_set *ns, const char *name)
{
	size_t	i = (size_t)name_hash(name) & ns->mask;

	while (ns->slot[i].name != NULL && strcmp(ns->slot[i].name, name) != 0)
		i = (i + 1) & ns->mask;
	return &ns->slot[i];
}

/*
 * Candidate number k for path into *out: "stem.k.ext" in the last
 * component, the stem shortened at a character boundary (then the
 * extension dropped) so that the component stays within
 * MI_MAX_COMPONENT and the path within MI_MAX_PATH.  0; -1 out of
 * memory; -2 if not even ".k" fits after the directories.
 */
static int
numbered(const char *path, uint32_t k, char **out)
{
	const char	*last, *dot;
	char		 num[16];
	size_t		 dirlen, stemlen, extlen, numlen, room;

	last = strrchr(path, '/');
	last = last != NULL ? last + 1 : path;
	dirlen = (size_t)(last - path);
	dot = strrchr(last, '.');
	if (dot == NULL || dot == last || strlen(dot) > MAX_EXT + 1)
		dot = last + strlen(last);
	stemlen = (size_t)(dot - last);
	extlen = strlen(dot);
	numlen = (size_t)snprintf(num, sizeof(num), ".%" PRIu32, k);
	room = MI_MAX_COMPONENT;
	if (MI_MAX_PATH - dirlen < room)
		room = MI_MAX_PATH - dirlen;
	if (numlen + extlen > room)
		extlen = 0;	/* the number matters more */
	if (numlen > room)
		return -2;
	if (stemlen + numlen + extlen > room) {
		stemlen = room - numlen - extlen;
		while (stemlen > 0 && ((unsigned char)last[stemlen] & 0xc0) ==
		    0x80)
			stemlen--;	/* not inside a character */
	}
	if (asprintf(out, "%.*s%.*s%s%.*s", (int)dirlen, path, (int)stemlen,
	    last, num, (int)extlen, dot) == -1)
		return -1;
	return 0;
}

int
mi_disambiguate(struct mi_file *files, size_t n, char *err, size_t errlen)
{
	struct name_set		  ns = { NULL, 0 };
	struct name_slot	 *s, *base;
	const char		**sorted = NULL;
	char			**given = NULL, *cand;
	size_t			  i, np = 0, slots = 16;
	uint32_t		  k;
	int			  rc = -1;

	if (errlen > 0)
		err[0] = '\0';
	while (slots < 4 * n)
		slots *= 2;	/* at most 2n names given and new */
	ns.mask = slots - 1;
	if ((ns.slot = calloc(slots, sizeof(*ns.slot))) == NULL ||
	    (sorted = calloc(n + 1, sizeof(*sorted))) == NULL ||
	    (given = calloc(n + 1, sizeof(*given))) == NULL)
		goto oom;
	/* The paths as given stay alive (and taken) until the end. */
	for (i = 0; i < n; i++) {
		if (files[i].pad)
			continue;
		given[i] = files[i].path;
		sorted[np++] = files[i].path;
		s = name_find(&ns, files[i].path);
		s->name = files[i].path;
	}
	qsort(sorted, np, sizeof(*sorted), path_order);
	for (i = 0; i < n; i++) {
		if (files[i].pad)
			continue;
		base = name_find(&ns, given[i]);
		if (!base->claimed && !is_directory(sorted, np, given[i])) {
			base->claimed = 1;
			continue;
		}
		for (k = base->next + 1; ; k++) {
			if (k > 4 * MI_MAX_FILES)	/* never: 2n names */
				goto oom;
			if ((rc = numbered(given[i], k, &cand)) == -2) {
				if (errlen > 0)
					snprintf(err, errlen, "file %zu: path "
					    "too long to be renamed", i);
				rc = -1;
				goto done;
			}
			if (rc == -1)
				goto oom;
			s = name_find(&ns, cand);
			if (s->name == NULL && !is_directory(sorted, np, cand))
				break;
			free(cand);
		}
		if (files[i].original == NULL &&
		    (files[i].original = strdup(given[i])) == NULL) {
			free(cand);
			goto oom;
		}
		base->next = k;
		s->name = cand;
		s->claimed = 1;
		files[i].path = cand;	/* given[i] freed below */
		files[i].changed |= MI_CHANGED_RENAMED;
	}
	rc = 0;
	goto done;
oom:
	rc = -1;
	if (errlen > 0)
		snprintf(err, errlen, "out of memory");
done:
	/* Each path given is in files[] still, or was replaced. */
	for (i = 0; given != NULL && i < n; i++)
		if (given[i] != NULL && given[i] != files[i].path)
			free(given[i]);
	free(ns.slot);
	free(sorted);
	free(given);
	return rc;
}

/* Raw byte order of two dict keys, a shorter prefix first. */
static int
keycmp(const struct be_node *a, const struct be_node *b)
{
	int	c;

	c = memcmp(a->s, b->s, a->slen < b->slen ? a->slen : b->slen);
	if (c != 0)
		return c;
	return (a->slen > b->slen) - (a->slen < b->slen);
}

/* 1 if some dict in the subtree of n has keys out of order. */
static int
subtree_unsorted(const struct be_doc *doc, const struct be_node *n)
{
	const struct be_node	*d, *k, *prev, *v;

	if (!doc->unsorted)
		return 0;
	for (d = n; d < doc->nodes + n->next; d++) {
		if (d->type != BE_DICT)
			continue;
		prev = NULL;
		for (k = be_first(doc, d); k != NULL &&
		    (v = be_next(doc, d, k)) != NULL; k = be_next(doc, d, v)) {
			if (prev != NULL && keycmp(prev, k) > 0)
				return 1;
			prev = k;
		}
	}
	return 0;
}

/* BEP 52 */

/* Components comps[0, n) of a file tree path, escaped for an error. */
static const char *
tree_quote(char *dst, size_t dstsz, const struct be_node *const *comps,
    size_t n)
{
	char	buf[ERR_QUOTE + 1];
	size_t	i, o = 0, take;

	for (i = 0; i < n && o < ERR_QUOTE; i++) {
		if (i > 0)
			buf[o++] = '/';
		take = comps[i]->slen < ERR_QUOTE - o ? comps[i]->slen :
		    ERR_QUOTE - o;
		memcpy(buf + o, comps[i]->s, take);
		o += take;
	}
	return log_escape(dst, dstsz, buf, o);
}

/* 1 if the 32 bytes at p are all zero. */
static int
all_zero(const uint8_t *p)
{
	size_t	i;

	for (i = 0; i < 32; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* A file of the file tree: leaf is the value of its "" key. */
static int
tree_file(struct parse *ps, const struct be_node *const *comps, size_t n,
    const struct be_node *leaf)
{
	const struct be_node	*r;
	struct mi_file		*mf, *nv;
	char			 what[QUOTE_BUF + 32], q[QUOTE_BUF];
	size_t			 cap;

	snprintf(what, sizeof(what), "file tree: '%s'",
	    tree_quote(q, sizeof(q), comps, n));
	if (leaf->type != BE_DICT)
		return perr(ps, "%s is not a dictionary", what);
	if (ps->nv2 == MI_MAX_FILES)
		return perr(ps, "info: more than %d files", MI_MAX_FILES);
	if (ps->nv2 == ps->v2cap) {
		cap = ps->v2cap ? 2 * ps->v2cap : 16;
		if (cap > MI_MAX_FILES)
			cap = MI_MAX_FILES;
		if ((nv = reallocarray(ps->v2, cap, sizeof(*nv))) == NULL)
			return perr(ps, "out of memory");
		memset(nv + ps->v2cap, 0, (cap - ps->v2cap) * sizeof(*nv));
		ps->v2 = nv;
		ps->v2cap = cap;
	}
	mf = &ps->v2[ps->nv2];
	if (parse_entry(ps, leaf, what, mf, ps->v2total) == -1)
		return -1;
	if (mf->pad)
		return perr(ps, "%s: a pad file in a file tree", what);
	r = be_dict_get(ps->doc, leaf, "pieces root");
	if (mf->length > 0) {
		if (r == NULL)
			return perr(ps, "%s: pieces root is missing", what);
		if (r->type != BE_STR || r->slen != 32)
			return perr(ps, "%s: pieces root is not 32 bytes",
			    what);
		if (all_zero(r->s))
			return perr(ps, "%s: pieces root is all zeros", what);
		memcpy(mf->root, r->s, 32);
		mf->has_root = 1;
	}
	ps->nv2++;	/* set_path's allocations are freed with the rest */
	if (set_path(ps, mf, comps, n, what) == -1)
		return -1;
	mf->offset = ps->v2total;
	ps->v2total += mf->length;
	return 0;
}

/*
 * The file tree, depth first in key order (the order BEP 52 gives the
 * files), into ps->v2.  A node with a "" key is a file and has no other
 * key; any other node is a directory.
 */
static int
parse_file_tree(struct parse *ps, const struct be_node *tree)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*dir[MI_MAX_DEPTH];	/* the stack */
	const struct be_node	*comps[MI_MAX_DEPTH];	/* keys */
	const struct be_node	*k, *v, *leaf;
	char			 q[QUOTE_BUF];
	size_t			 depth = 0;

	if (tree->type != BE_DICT)
		return perr(ps, "info: file tree is not a dictionary");
	dir[0] = tree;
	comps[0] = NULL;
	for (;;) {
		k = comps[depth] == NULL ? be_first(doc, dir[depth]) :
		    be_next(doc, dir[depth], be_next(doc, dir[depth],
		    comps[depth]));
		if (k == NULL) {
			if (depth == 0)
				break;
			depth--;
			continue;
		}
		comps[depth] = k;
		v = be_next(doc, dir[depth], k);
		if (k->slen == 0)
			return perr(ps, "file tree: a file with no name%s%s",
			    depth > 0 ? " in " : "", depth > 0 ?
			    tree_quote(q, sizeof(q), comps, depth) : "");
		if (v->type != BE_DICT)
			return perr(ps, "file tree: '%s' is not a dictionary",
			    tree_quote(q, sizeof(q), comps, depth + 1));
		if ((leaf = be_dict_get(doc, v, "")) != NULL) {
			if (v->nchild != 2)
				return perr(ps, "file tree: '%s' is both a "
				    "file and a directory", tree_quote(q,
				    sizeof(q), comps, depth + 1));
			if (tree_file(ps, comps, depth + 1, leaf) == -1)
				return -1;
			continue;
		}
		if (depth + 1 == MI_MAX_DEPTH)
			return perr(ps, "file tree: a path is more than %d "
			    "components deep", MI_MAX_DEPTH);
		depth++;
		dir[depth] = v;
		comps[depth] = NULL;
	}
	if (ps->nv2 == 0)
		return perr(ps, "info: file tree has no file");
	return 0;
}

/*
 * A hybrid's halves agree: the v1 files, pad files aside, are the file
 * tree's files in the same order with the same paths and lengths; a pad
 * file follows each file whose end is not on a piece boundary (the last
 * one may or may not have one) and is nowhere else.
 */
static int
check_hybrid(struct parse *ps)
{
	struct metainfo		*mi = ps->mi;
	const struct mi_file	*f, *prev = NULL, *t;
	char			 qa[QUOTE_BUF], qb[QUOTE_BUF];
	uint64_t		 tail;
	size_t			 i, j = 0;
	int			 padded = 1;

	for (i = 0; i < mi->nfiles; i++) {
		f = &mi->files[i];
		if (f->pad) {
			tail = prev != NULL ? prev->length % mi->piece_length :
			    0;
			if (padded || tail == 0 ||
			    f->length != mi->piece_length - tail)
				return perr(ps, "hybrid: pad file %zu (%" PRIu64
				    " bytes) is not where BEP 52 puts one", i,
				    f->length);
			padded = 1;
			continue;
		}
		if (!padded)
			return perr(ps, "hybrid: no pad file before file %zu "
			    "'%s'", i, quote(qa, sizeof(qa), f->path));
		if (j == ps->nv2)
			return perr(ps, "hybrid: v1 has more files than the "
			    "file tree (%zu)", ps->nv2);
		t = &ps->v2[j++];
		if (strcmp(f->path, t->path) != 0)
			return perr(ps, "hybrid: file %zu is '%s' in v1 and "
			    "'%s' in the file tree", i, quote(qa, sizeof(qa),
			    f->path), quote(qb, sizeof(qb), t->path));
		if (f->length != t->length)
			return perr(ps, "hybrid: file %zu '%s' is %" PRIu64
			    " bytes in v1 and %" PRIu64 " in the file tree", i,
			    quote(qa, sizeof(qa), f->path), f->length,
			    t->length);
		memcpy(mi->files[i].root, t->root, 32);
		mi->files[i].has_root = t->has_root;
		prev = f;
		padded = f->length % mi->piece_length == 0;
	}
	if (j < ps->nv2)
		return perr(ps, "hybrid: the file tree has %zu files, v1 %zu",
		    ps->nv2, j);
	return 0;
}

struct layer {
	const struct be_node	*key;	/* 32 bytes: a pieces root */
	const struct be_node	*val;	/* its piece hashes */
};

static int
layer_order(const void *va, const void *vb)
{
	const struct layer	*a = va, *b = vb;

	return memcmp(a->key->s, b->key->s, 32);
}

/*
 * 1 if the piece hashes hashes[0, n) (n >= 1) make the merkle root
 * root, for pieces of pl bytes.  work holds 32 * n bytes.
 */
static int
layer_root_ok(const uint8_t *hashes, size_t n, uint64_t pl,
    const uint8_t *root, uint8_t *work)
{
	uint8_t		pad[32], pair[64];
	uint64_t	b;
	size_t		i;

	memset(pad, 0, sizeof(pad));		/* a zero leaf, ... */
	for (b = V2_BLOCK; b < pl; b *= 2) {	/* ... up to a piece */
		memcpy(pair, pad, 32);
		memcpy(pair + 32, pad, 32);
		SHA256(pair, sizeof(pair), pad);
	}
	memcpy(work, hashes, 32 * n);
	while (n > 1) {
		for (i = 0; i < (n + 1) / 2; i++) {
			memcpy(pair, work + 64 * i, 32);
			memcpy(pair + 32, 2 * i + 1 < n ? work + 64 * i + 32 :
			    pad, 32);
			SHA256(pair, sizeof(pair), work + 32 * i);
		}
		n = (n + 1) / 2;
		memcpy(pair, pad, 32);
		memcpy(pair + 32, pad, 32);
		SHA256(pair, sizeof(pair), pad);
	}
	return memcmp(work, root, 32) == 0;
}

/*
 * piece layers (outside info): every entry a 32-byte root and a string
 * of 32-byte hashes; every file longer than a piece has one, of one
 * hash per piece, whose merkle root is the file's pieces root.
 */
static int
check_piece_layers(struct parse *ps, const struct be_node *top)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*pl, *k;
	struct metainfo		*mi = ps->mi;
	const struct mi_file	*f;
	struct layer		*v = NULL, key, *hit;
	struct be_node		 kn;
	uint8_t			*work = NULL;
	char			 q[QUOTE_BUF];
	uint64_t		 need;
	size_t			 i, n = 0;
	int			 rc = -1;

	pl = be_dict_get(doc, top, "piece layers");
	if (pl != NULL && pl->type != BE_DICT)
		return perr(ps, "piece layers is not a dictionary");
	if (pl != NULL && pl->nchild / 2 > MI_MAX_FILES)
		return perr(ps, "piece layers: more than %d layers",
		    MI_MAX_FILES);
	if (pl != NULL && (v = calloc(pl->nchild / 2 + 1, sizeof(*v))) == NULL)
		return perr(ps, "out of memory");
	for (k = pl != NULL ? be_first(doc, pl) : NULL; k != NULL;
	    k = be_next(doc, pl, v[n++].val)) {
		v[n].key = k;
		v[n].val = be_next(doc, pl, k);
		if (k->slen != 32) {
			perr(ps, "piece layers: a key of %zu bytes, not 32",
			    k->slen);
			goto done;
		}
		if (v[n].val->type != BE_STR || v[n].val->slen % 32 != 0 ||
		    v[n].val->slen == 0) {
			perr(ps, "piece layers: layer %zu is %s%zu bytes, "
			    "not a multiple of 32", n,
			    v[n].val->type != BE_STR ? "not a string of " : "",
			    v[n].val->type == BE_STR ? v[n].val->slen : 0);
			goto done;
		}
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), layer_order);
	memset(&kn, 0, sizeof(kn));
	key.key = &kn;
	for (i = 0; i < mi->nfiles; i++) {
		f = &mi->files[i];
		if (!f->has_root || f->length <= mi->piece_length)
			continue;
		need = f->length / mi->piece_length +
		    (f->length % mi->piece_length != 0);
		kn.s = f->root;
		kn.slen = 32;
		hit = n > 0 ? bsearch(&key, v, n, sizeof(*v), layer_order) :
		    NULL;
		if (hit == NULL) {
			perr(ps, "piece layers: no layer for file %zu '%s'", i,
			    quote(q, sizeof(q), f->path));
			goto done;
		}
		if (hit->val->slen / 32 != need) {
			perr(ps, "piece layers: the layer of file %zu '%s' has "
			    "%zu hashes; its %" PRIu64 " pieces need as many",
			    i, quote(q, sizeof(q), f->path),
			    hit->val->slen / 32, need);
			goto done;
		}
		free(work);
		if ((work = malloc(hit->val->slen)) == NULL) {
			perr(ps, "out of memory");
			goto done;
		}
		if (!layer_root_ok(hit->val->s, (size_t)need,
		    mi->piece_length, f->root, work)) {
			perr(ps, "piece layers: the layer of file %zu '%s' "
			    "does not hash to its pieces root", i,
			    quote(q, sizeof(q), f->path));
			goto done;
		}
	}
	rc = 0;
done:
	free(work);
	free(v);
	return rc;
}

/* piece length: within bounds; for BEP 52 a power of two >= 16 KiB. */
static int
parse_piece_length(struct parse *ps, const struct be_node *n, int v2)
{
	if (n == NULL)
		return perr(ps, "info: piece length is missing");
	if (n->type != BE_INT)
		return perr(ps, "info: piece length is not an integer");
	if (n->i == 0)
		return perr(ps, "info: piece length 0");
	if (n->i < 0)
		return perr(ps, "info: piece length %" PRId64 " is negative",
		    n->i);
	if (n->i > (int64_t)MI_MAX_PIECE_LENGTH)
		return perr(ps, "info: piece length %" PRId64 " exceeds "
		    "256 MiB", n->i);
	if (v2 && (n->i & (n->i - 1)) != 0)
		return perr(ps, "info: piece length %" PRId64 " is not a "
		    "power of two (BEP 52)", n->i);
	if (v2 && n->i < MI_V2_MIN_PIECE)
		return perr(ps, "info: piece length %" PRId64 " is below "
		    "16 KiB (BEP 52)", n->i);
	ps->mi->piece_length = (uint64_t)n->i;
	return 0;
}

/* The v1 half: length or files, and pieces. */
static int
parse_v1(struct parse *ps, const struct be_node *info)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*n, *len, *files;
	struct metainfo		*mi = ps->mi;
	uint64_t		 count;

	len = be_dict_get(doc, info, "length");
	files = be_dict_get(doc, info, "files");
	if (len != NULL && files != NULL)
		return perr(ps, "info: both length and files");
	if (len == NULL && files == NULL)
		return perr(ps, "info: neither length nor files");
	if (files != NULL) {
		mi->multi = 1;
		if (parse_files(ps, files) == -1)
			return -1;
	} else {
		if ((mi->files = calloc(1, sizeof(*mi->files))) == NULL)
			return perr(ps, "out of memory");
		if (parse_length(ps, len, "info", &mi->files[0].length) == -1)
			return -1;
		if ((mi->files[0].path = strdup(mi->name)) == NULL)
			return perr(ps, "out of memory");
		mi->nfiles = 1;
		mi->total_size = mi->files[0].length;
	}
	if (mi->total_size == 0)
		return perr(ps, "torrent has no data");

	count = mi->total_size / mi->piece_length +
	    (mi->total_size % mi->piece_length != 0);
	if (count > UINT32_MAX)
		return perr(ps, "info: %" PRIu64 " pieces; the limit is %"
		    PRIu32, count, UINT32_MAX);
	n = be_dict_get(doc, info, "pieces");
	if (n == NULL)
		return perr(ps, "info: pieces is missing");
	if (n->type != BE_STR)
		return perr(ps, "info: pieces is not a string");
	if (n->slen != count * 20)
		return perr(ps, "info: pieces is %zu bytes; %" PRIu64
		    " pieces need %" PRIu64, n->slen, count, count * 20);
	mi->piece_count = (uint32_t)count;
	if ((mi->pieces = malloc(n->slen)) == NULL)
		return perr(ps, "out of memory");
	memcpy(mi->pieces, n->s, n->slen);
	return 0;
}

/*
 * A v2-only torrent's files are the file tree's; a single file named
 * as the torrent is a single-file torrent, as in v1.
 */
static int
adopt_v2(struct parse *ps, const struct be_node *name)
{
	struct metainfo	*mi = ps->mi;

	mi->files = ps->v2;	/* ownership moves to mi */
	mi->nfiles = ps->nv2;
	mi->total_size = ps->v2total;
	ps->v2 = NULL;
	ps->nv2 = ps->v2cap = 0;
	if (mi->total_size == 0)
		return perr(ps, "torrent has no data");
	mi->multi = !(mi->nfiles == 1 && mi->files[0].original == NULL &&
	    name->slen == strlen(mi->files[0].path) &&
	    memcmp(name->s, mi->files[0].path, name->slen) == 0 &&
	    strcmp(mi->files[0].path, mi->name) == 0);
	return 0;
}

/* Everything in the info dictionary. */
static int
parse_info(struct parse *ps, const struct be_node *info)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*n, *name, *tree;
	struct metainfo		*mi = ps->mi;
	char			 comp[MI_MAX_COMPONENT + 1], why[64];
	char			 qa[QUOTE_BUF];
	int			 rc;

	SHA1(info->raw, info->rawlen, mi->info_hash);
	SHA256(info->raw, info->rawlen, mi->info_hash_v2);
	if ((mi->info = malloc(info->rawlen)) == NULL)
		return perr(ps, "out of memory");
	memcpy(mi->info, info->raw, info->rawlen);
	mi->info_len = info->rawlen;
	if ((mi->unsorted_keys = subtree_unsorted(doc, info)) &&
	    pwarn(ps, "info: keys out of order (the info-hash is of the "
	    "bytes as received)") == -1)
		return -1;

	name = get_utf8(doc, info, "name", BE_STR);
	if (name == NULL)
		return perr(ps, "info: name is missing");
	if (name->type != BE_STR)
		return perr(ps, "info: name is not a string");
	if ((rc = mi_sanitize_component(name->s, name->slen, comp,
	    sizeof(comp), why, sizeof(why))) == -1)
		return perr(ps, "info: name: %s", why);
	if ((mi->name = strdup(comp)) == NULL)
		return perr(ps, "out of memory");
	if (((size_t)rc != name->slen || memcmp(comp, name->s, name->slen)) &&
	    pwarn(ps, "info: name '%s' sanitised", log_escape(qa, sizeof(qa),
	    name->s, name->slen > ERR_QUOTE ? ERR_QUOTE : name->slen)) == -1)
		return -1;

	n = be_dict_get(doc, info, "meta version");
	if (n != NULL && (n->type != BE_INT || (n->i != 1 && n->i != 2)))
		return perr(ps, "info: meta version %s is not supported",
		    n->type == BE_INT ? (n->i > 2 ? "above 2" : "below 1") :
		    "(not an integer)");
	tree = be_dict_get(doc, info, "file tree");
	mi->has_v2 = n != NULL && n->i == 2;
	if (mi->has_v2 && tree == NULL)
		return perr(ps, "info: meta version 2 without a file tree");
	mi->has_v1 = !mi->has_v2 || be_dict_get(doc, info, "pieces") != NULL ||
	    be_dict_get(doc, info, "length") != NULL ||
	    be_dict_get(doc, info, "files") != NULL;
	if (parse_piece_length(ps, be_dict_get(doc, info, "piece length"),
	    mi->has_v2) == -1)
		return -1;
	if (mi->has_v1 && parse_v1(ps, info) == -1)
		return -1;
	if (mi->has_v2 && parse_file_tree(ps, tree) == -1)
		return -1;
	if (mi->has_v1 && mi->has_v2 && check_hybrid(ps) == -1)
		return -1;
	if (!mi->has_v1 && adopt_v2(ps, name) == -1)
		return -1;

	n = be_dict_get(doc, info, "private");
	mi->private = n != NULL && n->type == BE_INT && n->i == 1;

	if (mi->multi && mi_disambiguate(mi->files, mi->nfiles, why,
	    sizeof(why)) == -1)
		return perr(ps, "%s", why);
	return 0;
}

/*
 * What both entry points do first: set up the parse state, refuse an
 * input over the bound before decoding it, and decode it (with
 * BE_ALLOW_TRAILING if trailing).
 */
static int
parse_begin(struct parse *ps, struct be_doc *doc, const uint8_t *buf,
    size_t len, const char *what, int trailing, char *err, size_t errlen)
{
	char why[160];

	memset(doc, 0, sizeof(*doc));
	memset(ps, 0, sizeof(*ps));
	ps->doc = doc;
	ps->err = err;
	ps->errlen = errlen;
	if (len > MI_MAX_TORRENT)
		return perr(ps, "%s is %zu bytes; the limit is 10 MiB", what,
		    len);
	if (be_decode(buf, len, NULL, trailing ? BE_ALLOW_TRAILING : 0, doc,
	    why, sizeof(why)) == -1) {
		/* Most often the wrong file given to btctl add. */
		if (strcmp(what, "torrent") == 0)
			return perr(ps, "not a .torrent file (bencode: %s)",
			    why);
		return perr(ps, "bencode: %s", why);
	}
	if ((ps->mi = calloc(1, sizeof(*ps->mi))) == NULL)
		return perr(ps, "out of memory");
	return 0;
}

/* Release what parse_begin() and the parse took but did not hand out. */
static void
parse_end(struct parse *ps, struct be_doc *doc)
{
	size_t	i;

	for (i = 0; i < ps->nv2; i++) {
		free(ps->v2[i].path);
		free(ps->v2[i].original);
	}
	free(ps->v2);
	be_free(doc);
}

int
metainfo_parse(const uint8_t *buf, size_t len, struct metainfo **out,
    char *err, size_t errlen)
{
	struct parse		 ps;
	struct be_doc		 doc;
	const struct be_node	*top, *info;

	*out = NULL;
	if (parse_begin(&ps, &doc, buf, len, "torrent", 1, err, errlen) == -1)
		goto fail;
	top = &doc.nodes[0];
	if (top->type != BE_DICT) {
		perr(&ps, "torrent is not a dictionary");
		goto fail;
	}
	if ((info = be_dict_get(&doc, top, "info")) == NULL) {
		perr(&ps, "torrent has no info dictionary");
		goto fail;
	}
	if (info->type != BE_DICT) {
		perr(&ps, "info is not a dictionary");
		goto fail;
	}
	if (doc.used < len && pwarn(&ps, "%zu bytes after the top-level "
	    "dictionary ignored", len - doc.used) == -1)
		goto fail;
	if (parse_info(&ps, info) == -1 ||
	    (ps.mi->has_v2 && check_piece_layers(&ps, top) == -1) ||
	    parse_extras(&ps, top) == -1)
		goto fail;
	parse_end(&ps, &doc);
	*out = ps.mi;	/* freed by the caller with metainfo_free() */
	return 0;
fail:
	metainfo_free(ps.mi);
	parse_end(&ps, &doc);
	return -1;
}

int
metainfo_parse_info(const uint8_t *info, size_t len, struct metainfo **out,
    char *err, size_t errlen)
{
	struct parse	ps;
	struct be_doc	doc;

	*out = NULL;
	if (parse_begin(&ps, &doc, info, len, "info", 0, err, errlen) == -1)
		goto fail;
	if (doc.nodes[0].type != BE_DICT) {
		perr(&ps, "info is not a dictionary");
		goto fail;
	}
	if (parse_info(&ps, &doc.nodes[0]) == -1)
		goto fail;
	if ((ps.mi->comment = strdup("")) == NULL ||
	    (ps.mi->created_by = strdup("")) == NULL) {
		perr(&ps, "out of memory");
		goto fail;
	}
	parse_end(&ps, &doc);
	*out = ps.mi;	/* freed by the caller with metainfo_free() */
	return 0;
fail:
	metainfo_free(ps.mi);
	parse_end(&ps, &doc);
	return -1;
}

void
metainfo_free(struct metainfo *mi)
{
	size_t	i;

	if (mi == NULL)
		return;
	free(mi->name);
	free(mi->pieces);
	for (i = 0; mi->files != NULL && i < mi->nfiles; i++) {
		free(mi->files[i].path);
		free(mi->files[i].original);
	}
	free(mi->files);
	for (i = 0; i < mi->ntrackers; i++)
		free(mi->trackers[i].url);
	free(mi->trackers);
	free(mi->comment);
	free(mi->created_by);
	for (i = 0; i < mi->nurl_list; i++)
		free(mi->url_list[i]);
	free(mi->url_list);
	free(mi->info);
	for (i = 0; i < mi->nwarnings; i++)
		free(mi->warnings[i]);
	free(mi);
}
