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
 * 1 .. MI_MAX_PIECE_LENGTH; every file length is below 2^62 and their
 * sum, total_size, is within 1 .. MI_MAX_TOTAL; files[i].offset is the
 * sum of the lengths before i; pieces holds 20 * piece_count bytes with
 * piece_count = ceil(total_size / piece_length); every path is made of
 * sanitised components joined by '/', relative, never "." or "..", at
 * most MI_MAX_DEPTH deep and MI_MAX_PATH long; no two non-pad files
 * share a path and none is a directory of another; every string is
 * valid UTF-8 without control characters.
 *
 * Collisions are found by sorting the paths with '/' ordered before
 * every other byte: a file "a" is then followed directly by its
 * duplicates, then by any path under "a/", so one pass over neighbours
 * finds both kinds.  Comparing every pair was rejected: quadratic in
 * MI_MAX_FILES.
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

struct parse {
	const struct be_doc	*doc;
	struct metainfo		*mi;
	char			*err;
	size_t			 errlen;
};

static int	perr(struct parse *, const char *, ...)
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
    size_t *used)
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
		else
			memcpy(out + o, in + i, n);
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
	size_t	o, used, elen, dot, stop;

	if (errlen > 0)
		err[0] = '\0';
	if (outlen < MI_MAX_COMPONENT + 1) {
		if (errlen > 0)
			snprintf(err, errlen,
			    "path component buffer too small");
		return -1;
	}
	out[0] = '\0';
	if (len == 0 || (len == 1 && in[0] == '.'))
		return 0;
	if (len == 2 && in[0] == '.' && in[1] == '.') {
		if (errlen > 0)
			snprintf(err, errlen, "path component '..'");
		return -1;
	}

	while (len > 0 && trailing_trim(in[len - 1]))
		len--;
	o = sanitize_run(in, len, out, MI_MAX_COMPONENT, &used);
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
			    sizeof(ext), &used);
			o = sanitize_run(in, dot - 1, out,
			    MI_MAX_COMPONENT - elen, &used);
			memcpy(out + o, ext, elen);
			o += elen;
		}
		while (o > 0 && trailing_trim(out[o - 1]))
			o--;
	}
	if (o == 0)
		out[o++] = '_';		/* "...", "  ": not dropped */
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

/* File idx's path (path.utf-8 first), sanitised and joined, into *out. */
static int
parse_path(struct parse *ps, const struct be_node *f, size_t idx,
    char **out)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*p, *c;
	char			 path[MI_MAX_PATH + 1];
	char			 comp[MI_MAX_COMPONENT + 1], why[64];
	size_t			 o = 0;
	int			 rc;

	p = get_utf8(doc, f, "path", BE_LIST);
	if (p == NULL)
		return perr(ps, "file %zu: path is missing", idx);
	if (p->type != BE_LIST)
		return perr(ps, "file %zu: path is not a list", idx);
	if (p->nchild == 0)
		return perr(ps, "file %zu: path is empty", idx);
	if (p->nchild > MI_MAX_DEPTH)
		return perr(ps, "file %zu: path is %" PRIu32 " components "
		    "deep; the limit is %d", idx, p->nchild, MI_MAX_DEPTH);
	for (c = be_first(doc, p); c != NULL; c = be_next(doc, p, c)) {
		if (c->type != BE_STR)
			return perr(ps, "file %zu: path component is not a "
			    "string", idx);
		rc = mi_sanitize_component(c->s, c->slen, comp, sizeof(comp),
		    why, sizeof(why));
		if (rc == -1)
			return perr(ps, "file %zu: %s", idx, why);
		if (rc == 0)
			continue;
		if ((size_t)rc + (o > 0) > MI_MAX_PATH - o)
			return perr(ps, "file %zu: path is longer than %d "
			    "bytes", idx, MI_MAX_PATH);
		if (o > 0)
			path[o++] = '/';
		memcpy(path + o, comp, (size_t)rc);
		o += (size_t)rc;
	}
	if (o == 0)
		return perr(ps, "file %zu: path has no usable component", idx);
	path[o] = '\0';
	if ((*out = strdup(path)) == NULL)
		return perr(ps, "out of memory");
	return 0;
}

/* The files list of a multi-file torrent. */
static int
parse_files(struct parse *ps, const struct be_node *list)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*f, *a;
	struct metainfo		*mi = ps->mi;
	struct mi_file		*mf;
	char			 what[32];
	uint64_t		 len;

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
		if (parse_length(ps, be_dict_get(doc, f, "length"), what,
		    &len) == -1)
			return -1;
		if (len > MI_MAX_TOTAL - mi->total_size)
			return perr(ps, "info: total size exceeds 2^62 bytes "
			    "at file %zu", mi->nfiles);
		if (parse_path(ps, f, mi->nfiles, &mf->path) == -1)
			return -1;
		mf->length = len;
		mf->offset = mi->total_size;
		a = be_dict_get(doc, f, "attr");
		if (a != NULL && a->type == BE_STR &&
		    memchr(a->s, 'p', a->slen) != NULL)
			mf->pad = 1;
		mi->total_size += len;
		mi->nfiles++;
	}
	return 0;
}

/*
 * Path order for collisions: the end of a path first, then '/', then
 * every other byte.  Equal paths by index, so that errors name the
 * same files every time.
 */
static int
path_order(const void *va, const void *vb)
{
	const struct mi_file	*a = *(const struct mi_file *const *)va;
	const struct mi_file	*b = *(const struct mi_file *const *)vb;
	const unsigned char	*s = (const unsigned char *)a->path;
	const unsigned char	*t = (const unsigned char *)b->path;
	int			 ws, wt;

	while (*s != '\0' && *s == *t) {
		s++;
		t++;
	}
	if (*s == *t)
		return (a > b) - (a < b);
	ws = *s == '\0' ? 0 : *s == '/' ? 1 : *s + 1;
	wt = *t == '\0' ? 0 : *t == '/' ? 1 : *t + 1;
	return ws - wt;
}

/* No two non-pad files with one path; no file that is also a directory. */
static int
check_collisions(struct parse *ps)
{
	struct metainfo		 *mi = ps->mi;
	const struct mi_file	**v, *x, *y;
	char			  qx[QUOTE_BUF], qy[QUOTE_BUF];
	size_t			  i, n = 0, xl;
	int			  rc = 0;

	if ((v = calloc(mi->nfiles, sizeof(*v))) == NULL)
		return perr(ps, "out of memory");
	for (i = 0; i < mi->nfiles; i++)
		if (!mi->files[i].pad)
			v[n++] = &mi->files[i];
	qsort(v, n, sizeof(*v), path_order);
	for (i = 1; i < n && rc == 0; i++) {
		x = v[i - 1];
		y = v[i];
		xl = strlen(x->path);
		if (strcmp(x->path, y->path) == 0)
			rc = perr(ps, "file %td '%s' and file %td '%s' have "
			    "the same path", x - mi->files,
			    quote(qx, sizeof(qx), x->path), y - mi->files,
			    quote(qy, sizeof(qy), y->path));
		else if (strncmp(x->path, y->path, xl) == 0 &&
		    y->path[xl] == '/')
			rc = perr(ps, "file %td '%s' is also a directory of "
			    "file %td '%s'", x - mi->files,
			    quote(qx, sizeof(qx), x->path), y - mi->files,
			    quote(qy, sizeof(qy), y->path));
	}
	free(v);
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

/* Everything in the info dictionary. */
static int
parse_info(struct parse *ps, const struct be_node *info)
{
	const struct be_doc	*doc = ps->doc;
	const struct be_node	*n, *len, *files;
	struct metainfo		*mi = ps->mi;
	char			 comp[MI_MAX_COMPONENT + 1], why[64];
	uint64_t		 count;

	SHA1(info->raw, info->rawlen, mi->info_hash);
	if ((mi->info = malloc(info->rawlen)) == NULL)
		return perr(ps, "out of memory");
	memcpy(mi->info, info->raw, info->rawlen);
	mi->info_len = info->rawlen;
	mi->unsorted_keys = subtree_unsorted(doc, info);

	n = get_utf8(doc, info, "name", BE_STR);
	if (n == NULL)
		return perr(ps, "info: name is missing");
	if (n->type != BE_STR)
		return perr(ps, "info: name is not a string");
	if (mi_sanitize_component(n->s, n->slen, comp, sizeof(comp), why,
	    sizeof(why)) <= 0)
		return perr(ps, "info: name is not usable");
	if ((mi->name = strdup(comp)) == NULL)
		return perr(ps, "out of memory");

	n = be_dict_get(doc, info, "piece length");
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
	mi->piece_length = (uint64_t)n->i;

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

	n = be_dict_get(doc, info, "private");
	mi->private = n != NULL && n->type == BE_INT && n->i == 1;

	if (mi->multi && check_collisions(ps) == -1)
		return -1;
	return 0;
}

/*
 * What both entry points do first: set up the parse state, refuse an
 * input over the bound before decoding it, and decode it.
 */
static int
parse_begin(struct parse *ps, struct be_doc *doc, const uint8_t *buf,
    size_t len, const char *what, char *err, size_t errlen)
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
	if (be_decode(buf, len, NULL, 0, doc, why, sizeof(why)) == -1) {
		/* Most often the wrong file given to btctl add. */
		if (strcmp(what, "torrent") == 0)
			return perr(ps, "not a .torrent file (bencode: %s)",
			    why);
		return perr(ps, "bencode: %s", why);
	}
	return 0;
}

int
metainfo_parse(const uint8_t *buf, size_t len, struct metainfo **out,
    char *err, size_t errlen)
{
	struct parse		 ps;
	struct be_doc		 doc;
	const struct be_node	*top, *info;

	*out = NULL;
	if (parse_begin(&ps, &doc, buf, len, "torrent", err, errlen) == -1)
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
	if ((ps.mi = calloc(1, sizeof(*ps.mi))) == NULL) {
		perr(&ps, "out of memory");
		goto fail;
	}
	if (parse_info(&ps, info) == -1 || parse_extras(&ps, top) == -1)
		goto fail;
	be_free(&doc);
	*out = ps.mi;	/* freed by the caller with metainfo_free() */
	return 0;
fail:
	metainfo_free(ps.mi);
	be_free(&doc);
	return -1;
}

int
metainfo_parse_info(const uint8_t *info, size_t len, struct metainfo **out,
    char *err, size_t errlen)
{
	struct parse	ps;
	struct be_doc	doc;

	*out = NULL;
	if (parse_begin(&ps, &doc, info, len, "info", err, errlen) == -1)
		goto fail;
	if (doc.nodes[0].type != BE_DICT) {
		perr(&ps, "info is not a dictionary");
		goto fail;
	}
	if ((ps.mi = calloc(1, sizeof(*ps.mi))) == NULL) {
		perr(&ps, "out of memory");
		goto fail;
	}
	if (parse_info(&ps, &doc.nodes[0]) == -1)
		goto fail;
	if ((ps.mi->comment = strdup("")) == NULL ||
	    (ps.mi->created_by = strdup("")) == NULL) {
		perr(&ps, "out of memory");
		goto fail;
	}
	be_free(&doc);
	*out = ps.mi;	/* freed by the caller with metainfo_free() */
	return 0;
fail:
	metainfo_free(ps.mi);
	be_free(&doc);
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
	for (i = 0; mi->files != NULL && i < mi->nfiles; i++)
		free(mi->files[i].path);
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
	free(mi);
}
