/*
 * peerd_choke.c -- the choker, kept simple for now (a later change makes
 * it tit-for-tat): up to PEERD_UNCHOKE_SLOTS interested peers of a
 * torrent are unchoked, an interested peer gets a free slot at once, and
 * every PEERD_CHOKE_S the peer unchoked longest makes way for the
 * interested one that waited longest.
 *
 * Rejected alternative: unchoking the fastest uploaders to us at once
 * (tit-for-tat) needs rate history this simple rotation does without;
 * rotation is enough never to starve an interested peer.
 */
#include <string.h>

#include "log.h"
#include "peerd.h"

static uint32_t
unchoked_count(struct torrent *t)
{
	struct peer	*p;
	uint32_t	 n = 0;

	TAILQ_FOREACH(p, &t->peers, entry)
		if (!p->am_choking)
			n++;
	return n;
}

void
choke_set(struct peer *p, int choke)
{
	uint32_t i;

	if (p->am_choking == choke)
		return;
	p->am_choking = choke;
	p->choke_ms = peerd_now_ms();
	if (conn_send_simple(p, choke ? WIRE_CHOKE : WIRE_UNCHOKE) == -1)
		return;
	if (!choke)
		return;
	/* Its queued requests are dropped (BEP 6: rejected). */
	for (i = 0; i < p->nin; i++) {
		struct inreq *r = &p->inq[(p->ihead + i) % PEERD_REQQ];

		if (p->fast && conn_send_block(p, WIRE_REJECT, r->piece, r->begin,
		    r->length) == -1)
			return;
	}
	p->nin = 0;
	block_uploads_stop(p);
	block_up_drop_unsent(p);
}

void
choke_interested(struct peer *p)
{
	if (p->am_choking && p->peer_interested && p->t->ready &&
	    unchoked_count(p->t) < PEERD_UNCHOKE_SLOTS)
		choke_set(p, 0);
}

void
choke_rotate(struct torrent *t)
{
	struct peer	*p, *next, *oldest = NULL, *waiting = NULL;

	for (p = TAILQ_FIRST(&t->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (!p->am_choking && !p->peer_interested) {
			choke_set(p, 1);
			continue;
		}
		if (p->dead)
			continue;
		if (!p->am_choking &&
		    (oldest == NULL || p->choke_ms < oldest->choke_ms))
			oldest = p;
		if (p->am_choking && p->peer_interested &&
		    (waiting == NULL || p->choke_ms < waiting->choke_ms))
			waiting = p;
	}
	if (waiting == NULL)
		return;
	if (oldest != NULL && unchoked_count(t) >= PEERD_UNCHOKE_SLOTS)
		choke_set(oldest, 1);
	if (!waiting->dead)
		choke_interested(waiting);
}
