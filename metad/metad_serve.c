/*
 * metad_serve.c -- serving metadata (BEP 9) to peers that ask for it.
 *
 * Takes from btd (through metad_parse.c) MetaHold and MetaForget: the
 * info dictionary of every running torrent that has one; from peerd
 * MetaWant: a peer asks for piece N.  Answers each MetaWant with one
 * MetaSend: the piece, or a reject when metad holds no metadata for the
 * torrent or the piece is past its end.
 *
 * Bounds: a dictionary of at most UTM_MAX_SIZE bytes (a larger one is
 * btd breaking the protocol), SERVE_MEM_MAX bytes held in all (past it,
 * a torrent is not held, and its requests are rejected); peerd bounds
 * how many requests of one peer it relays at once.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "common.pb-c.h"

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "utmeta.h"
#include "metad.h"

struct held {
	LIST_ENTRY(held)	 entry;		/* in its hash chain */
	uint32_t		 torrent;	/* btd's number */
	uint8_t			*info;
	uint32_t		 len;
};

/* By btd's number, in hash chains: one per running torrent. */
#define HELD_BUCKETS	16384
static LIST_HEAD(, held)	 helds[HELD_BUCKETS];
static uint64_t			 held_bytes;

static struct held *
held_find(uint32_t torrent)
{
	struct held *h;

	LIST_FOREACH(h, &helds[torrent % HELD_BUCKETS], entry)
		if (h->torrent == torrent)
			return h;
	return NULL;
}

void
serve_forget(uint32_t torrent)
{
	struct held *h;

	if ((h = held_find(torrent)) == NULL)
		return;
	LIST_REMOVE(h, entry);
	held_bytes -= h->len;
	free(h->info);
	free(h);
}

int
serve_hold(const Btd__MetaHold *m)
{
	struct held *h;

	if (m->torrent == 0 || m->info.len == 0 ||
	    m->info.len > UTM_MAX_SIZE) {
		log_warnx("serve: torrent %u: an info dictionary of %zu bytes",
		    m->torrent, m->info.len);
		return -1;
	}
	serve_forget(m->torrent);
	if (held_bytes + m->info.len > SERVE_MEM_MAX) {
		log_warnx("serve: torrent %u: more than %u bytes of metadata "
		    "held; not served", m->torrent, SERVE_MEM_MAX);
		return 0;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->info = malloc(m->info.len)) == NULL) {
		free(h);
		log_warn("serve: torrent %u", m->torrent);
		return 0;
	}
	memcpy(h->info, m->info.data, m->info.len);
	h->len = (uint32_t)m->info.len;
	h->torrent = m->torrent;
	LIST_INSERT_HEAD(&helds[h->torrent % HELD_BUCKETS], h, entry);
	held_bytes += h->len;
	log_debug("serve: torrent %u: %u bytes of metadata", h->torrent,
	    h->len);
	return 0;
}

void
serve_want(struct chan *c, const Btd__MetaWant *m)
{
	Btd__MetaSend	 s = BTD__META_SEND__INIT;
	struct held	*h;
	uint32_t	 n = 0;

	s.torrent = m->torrent;
	s.peer = m->peer;
	s.piece = m->piece;
	if ((h = held_find(m->torrent)) != NULL)
		n = utm_piece_len(h->len, m->piece);
	if (n == 0)
		s.reject = 1;
	else {
		s.total_size = h->len;
		s.data.data = h->info + (size_t)m->piece * UTM_PIECE;
		s.data.len = n;
	}
	log_debug("serve: torrent %u: piece %u to peer %u%s", m->torrent,
	    m->piece, m->peer, s.reject ? ": rejected" : "");
	if (MSG_SEND(c, Btd__PeerMetadMsg, PEER_METAD_MSG, META_SEND,
	    meta_send, &s, -1) == -1)
		log_warn("serve: to peerd");
}
