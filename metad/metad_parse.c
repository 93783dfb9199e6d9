/*
 * metad_parse.c -- metad's side of the metad channel: validate what an
 * administrator added.
 *
 * Takes ParseTorrent (a .torrent's bytes) and ParseMagnet (a link) from
 * btd and answers each with one ParseResult: the normalised description
 * (TorrentDesc, MagnetDesc) or a one-line error.  The metadata btd
 * asks metad to fetch or to serve (MetaFetch, MetaHold, MetaForget) goes
 * to metad_fetch.c and metad_serve.c; a fetched info dictionary comes
 * back here (metad_info_parse(), metad_desc_build()) to pass the very
 * checks of a .torrent.  A v2-only torrent
 * (BEP 52 without v1 pieces) is parsed and checked in full, then
 * refused with an error that says it is not supported yet, since
 * nothing downstream can fetch it; a hybrid goes through with both
 * info-hashes and metainfo's warnings.  The parsing itself is
 * plain C in lib/metainfo.c and lib/magnet.c; this file only converts
 * to and from messages.  Nothing here is fatal: a hostile input is an
 * error answer, and metad carries on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metad.pb-c.h"
#include "torrent.pb-c.h"

#include "chan.h"
#include "log.h"
#include "magnet.h"
#include "metainfo.h"
#include "metad.h"
#include "msg.h"

static void
send_result(struct chan *c, Btd__ParseResult *r)
{
	if (MSG_SEND(c, Btd__MetadMsg, METAD_MSG, PARSE_RESULT, parse_result,
	    r, -1) == -1)
		log_warn("%s: parse result %llu", __func__,
		    (unsigned long long)r->id);
}

static void
send_error(struct chan *c, uint64_t id, const char *err)
{
	Btd__ParseResult r = BTD__PARSE_RESULT__INIT;

	r.id = id;
	r.ok = 0;
	r.error = (char *)(uintptr_t)err;
	send_result(c, &r);
}

/* The BEP 47 letters of attr, in the order of "lpxh", into buf[5]. */
static char *
attr_letters(unsigned attr, char *buf)
{
	char	*p = buf;

	if (attr & MI_ATTR_SYMLINK)
		*p++ = 'l';
	if (attr & MI_ATTR_PAD)
		*p++ = 'p';
	if (attr & MI_ATTR_EXEC)
		*p++ = 'x';
	if (attr & MI_ATTR_HIDDEN)
		*p++ = 'h';
	*p = '\0';
	return buf;
}

/*
 * The checks every metainfo passes beyond metainfo_parse(): v1 pieces
 * to fetch.  0, or -1 with err.
 */
static int
metainfo_usable(const struct metainfo *mi, char *err, size_t errlen)
{
	char	 hex[65], qname[161];
	size_t	 i;

	if (mi->has_v1)
		return 0;
	/*
	 * Parsed and valid, but there are no v1 pieces to fetch: say what
	 * it is, so that the refusal is not taken for a parse failure.
	 */
	for (i = 0; i < sizeof(mi->info_hash_v2); i++)
		snprintf(hex + 2 * i, 3, "%02x", mi->info_hash_v2[i]);
	snprintf(err, errlen, "v2-only torrents are not supported "
	    "yet (BEP 52 without v1 pieces): '%s', %zu file%s, %llu "
	    "bytes, v2 info-hash %s", log_escape(qname, sizeof(qname),
	    mi->name, strlen(mi->name) > 40 ? 40 : strlen(mi->name)),
	    mi->nfiles, mi->nfiles == 1 ? "" : "s",
	    (unsigned long long)mi->total_size, hex);
	return -1;
}

int
metad_info_parse(const uint8_t *info, size_t len, struct metainfo **mip,
    char *err, size_t errlen)
{
	uint8_t	*doc;
	size_t	 n = 0;
	int	 rc;

	/*
	 * A .torrent holding nothing but the info dictionary, so that the
	 * bytes go through exactly the parser and checks of a .torrent.
	 */
	*mip = NULL;
	if ((doc = malloc(len + 8)) == NULL) {
		snprintf(err, errlen, "metad: out of memory");
		return -1;
	}
	memcpy(doc, "d4:info", 7);
	n = 7;
	memcpy(doc + n, info, len);
	n += len;
	doc[n++] = 'e';
	rc = metainfo_parse(doc, n, mip, err, errlen);
	free(doc);
	if (rc == -1)
		return -1;
	if (metainfo_usable(*mip, err, errlen) == -1) {
		metainfo_free(*mip);
		*mip = NULL;
		return -1;
	}
	return 0;
}

int
metad_desc_build(const struct metainfo *mi, struct metad_desc *b)
{
	Btd__TorrentDesc	*t = &b->t;
	size_t			 i;

	memset(b, 0, sizeof(*b));
	btd__torrent_desc__init(t);
	b->attr = calloc(mi->nfiles, sizeof(*b->attr));
	b->fd = calloc(mi->nfiles, sizeof(*b->fd));
	b->fdp = calloc(mi->nfiles, sizeof(*b->fdp));
	b->td = calloc(mi->ntrackers + 1, sizeof(*b->td));
	b->tdp = calloc(mi->ntrackers + 1, sizeof(*b->tdp));
	if (b->attr == NULL || b->fd == NULL || b->fdp == NULL ||
	    b->td == NULL || b->tdp == NULL) {
		metad_desc_free(b);
		return -1;
	}
	t->info_hash.data = (uint8_t *)(uintptr_t)mi->info_hash;
	t->info_hash.len = sizeof(mi->info_hash);
	t->name = mi->name;
	t->piece_length = mi->piece_length;
	t->piece_count = mi->piece_count;
	t->total_size = mi->total_size;
	t->multi = mi->multi;
	for (i = 0; i < mi->nfiles; i++) {
		btd__file_desc__init(&b->fd[i]);
		b->fd[i].path = mi->files[i].path;
		b->fd[i].length = mi->files[i].length;
		b->fd[i].offset = mi->files[i].offset;
		b->fd[i].pad = mi->files[i].pad;
		b->fd[i].attr = attr_letters(mi->files[i].attr, b->attr[i]);
		b->fd[i].sanitised = (mi->files[i].changed &
		    (MI_CHANGED_SANITISED | MI_CHANGED_PLACEHOLDER)) != 0;
		b->fd[i].renamed = (mi->files[i].changed &
		    MI_CHANGED_RENAMED) != 0;
		b->fd[i].original = mi->files[i].original != NULL ?
		    mi->files[i].original : (char *)(uintptr_t)"";
		b->fdp[i] = &b->fd[i];
	}
	t->files = b->fdp;
	t->n_files = mi->nfiles;
	for (i = 0; i < mi->ntrackers; i++) {
		btd__tracker_desc__init(&b->td[i]);
		b->td[i].url = mi->trackers[i].url;
		b->td[i].tier = (uint32_t)mi->trackers[i].tier;
		b->tdp[i] = &b->td[i];
	}
	t->trackers = b->tdp;
	t->n_trackers = mi->ntrackers;
	t->private_ = mi->private;
	t->comment = mi->comment;
	t->created_by = mi->created_by;
	t->creation_date = mi->creation_date;
	t->url_list = mi->url_list;
	t->n_url_list = mi->nurl_list;
	t->info.data = mi->info;
	t->info.len = mi->info_len;
	if (mi->has_v2) {
		t->info_hash_v2.data = (uint8_t *)(uintptr_t)mi->info_hash_v2;
		t->info_hash_v2.len = sizeof(mi->info_hash_v2);
	}
	t->warnings = (char **)(uintptr_t)mi->warnings;
	t->n_warnings = mi->nwarnings;
	return 0;
}

void
metad_desc_free(struct metad_desc *b)
{
	free(b->attr);
	free(b->fd);
	free(b->fdp);
	free(b->td);
	free(b->tdp);
	memset(b, 0, sizeof(*b));
}

static void
parse_torrent(struct chan *c, const Btd__ParseTorrent *req)
{
	Btd__ParseResult	 r = BTD__PARSE_RESULT__INIT;
	struct metad_desc	 b;
	struct metainfo		*mi = NULL;
	char			 err[512];
	size_t			 i;

	if (metainfo_parse(req->data.data, req->data.len, &mi, err,
	    sizeof(err)) == -1 || metainfo_usable(mi, err, sizeof(err)) == -1) {
		log_info("parse %llu: refused: %s",
		    (unsigned long long)req->id, err);
		send_error(c, req->id, err);
		metainfo_free(mi);
		return;
	}
	for (i = 0; i < mi->nwarnings; i++)
		log_info("parse %llu: %s", (unsigned long long)req->id,
		    mi->warnings[i]);
	if (metad_desc_build(mi, &b) == -1) {
		send_error(c, req->id, "metad: out of memory");
		metainfo_free(mi);
		return;
	}
	r.id = req->id;
	r.ok = 1;
	r.torrent = &b.t;
	log_debug("parse %llu: %s, %zu files, %llu bytes",
	    (unsigned long long)req->id, mi->name, mi->nfiles,
	    (unsigned long long)mi->total_size);
	send_result(c, &r);
	metad_desc_free(&b);
	metainfo_free(mi);
}

static void
parse_magnet(struct chan *c, const Btd__ParseMagnet *req)
{
	Btd__ParseResult	 r = BTD__PARSE_RESULT__INIT;
	Btd__MagnetDesc		 m = BTD__MAGNET_DESC__INIT;
	Btd__TrackerDesc	*td = NULL, **tdp = NULL;
	Btd__PeerAddr		*pa = NULL, **pap = NULL;
	struct magnet		*mg = NULL;
	char			 err[256];
	size_t			 i;

	if (magnet_parse(req->uri, strlen(req->uri), &mg, err,
	    sizeof(err)) == -1) {
		log_info("parse %llu: refused: %s",
		    (unsigned long long)req->id, err);
		send_error(c, req->id, err);
		return;
	}
	td = calloc(mg->ntr + 1, sizeof(*td));
	tdp = calloc(mg->ntr + 1, sizeof(*tdp));
	pa = calloc(mg->npe + 1, sizeof(*pa));
	pap = calloc(mg->npe + 1, sizeof(*pap));
	if (td == NULL || tdp == NULL || pa == NULL || pap == NULL) {
		send_error(c, req->id, "metad: out of memory");
		goto done;
	}
	m.info_hash.data = mg->info_hash;
	m.info_hash.len = sizeof(mg->info_hash);
	m.display_name = mg->dn;
	if (mg->has_v2) {
		m.info_hash_v2.data = mg->info_hash_v2;
		m.info_hash_v2.len = sizeof(mg->info_hash_v2);
	}
	for (i = 0; i < mg->ntr; i++) {
		btd__tracker_desc__init(&td[i]);
		td[i].url = mg->tr[i];
		td[i].tier = (uint32_t)i;
		tdp[i] = &td[i];
	}
	m.trackers = tdp;
	m.n_trackers = mg->ntr;
	for (i = 0; i < mg->npe; i++) {
		btd__peer_addr__init(&pa[i]);
		pa[i].addr = mg->pe[i].addr;
		pa[i].port = mg->pe[i].port;
		pap[i] = &pa[i];
	}
	m.peers = pap;
	m.n_peers = mg->npe;
	m.web_seeds = mg->ws;
	m.n_web_seeds = mg->nws;
	r.id = req->id;
	r.ok = 1;
	r.magnet = &m;
	send_result(c, &r);
done:
	free(td);
	free(tdp);
	free(pa);
	free(pap);
	magnet_free(mg);
}

int
metad_dispatch_btd(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__MetadMsg *m = (const Btd__MetadMsg *)(const void *)env;

	switch (m->body_case) {
	case BTD__METAD_MSG__BODY_PARSE_TORRENT:
		parse_torrent(c, m->parse_torrent);
		return 0;
	case BTD__METAD_MSG__BODY_PARSE_MAGNET:
		parse_magnet(c, m->parse_magnet);
		return 0;
	case BTD__METAD_MSG__BODY_META_FETCH:
		return fetch_start(m->meta_fetch);
	case BTD__METAD_MSG__BODY_META_HOLD:
		return serve_hold(m->meta_hold);
	case BTD__METAD_MSG__BODY_META_FORGET:
		fetch_forget(m->meta_forget->torrent);
		serve_forget(m->meta_forget->torrent);
		return 0;
	default:
		return -1;
	}
}
