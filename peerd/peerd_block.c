/*
 * peerd_block.c -- the block path, peerd's side (proto/peer_stored.proto):
 * the slots of the two arenas and the channel to stored.
 *
 * Down arena: a stack of free slots.  A connection takes one when a
 * PIECE it asked for begins, reads the payload straight into it, and
 * hands it over with block_down_put(); the BlockRefs of one event-loop
 * turn go to stored in one BlockWrite (at most PEERD_BATCH_MAX), and
 * stored gives the slots back with SlotsFree.  Up arena: a connection
 * asks for a block with block_read(); the BlockReads of a turn go out
 * together, and ReadDone makes the slot the connection's until the
 * block is written to the peer.
 *
 * Also the connections' side of it: block_recv() reads a payload
 * straight into its slot; a connection whose next payload finds no
 * free slot stops reading (it is "stalled") until SlotsFree; a peer's
 * requests wait in a bounded queue (PEERD_REQQ) for up slots, served
 * round robin among peers.
 *
 * Takes from stored: TorrentHave, SlotsFree, PieceVerdicts, ReadDone,
 * TorrentGone.  Sends: BlockWrite, BlockRead.
 *
 * Invariants: every slot is in exactly one state (free, in a
 * connection's hands, queued for or held by stored); stored naming a
 * slot it does not hold breaks the protocol; when the link goes, every
 * slot comes back, and every block handed over without a verdict is
 * wanted again (pick_forget_received()).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "peer_stored.pb-c.h"
#include "arena.h"
#include "chan.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "peerd.h"

enum slot_state {
	SLOT_FREE,
	SLOT_CONN,	/* a connection fills it (down) or sends it (up) */
	SLOT_QUEUED,	/* in the batch for stored */
	SLOT_STORED,	/* stored holds it */
};

/* A pending upload read: who asked for which block. */
struct upread {
	struct peer	*peer;		/* NULL once it left */
	uint32_t	 torrent;
	uint32_t	 piece;
	uint32_t	 begin;
	uint32_t	 length;
};

static struct event_base	*bbase;
static struct chan		*stored;	/* NULL: link down */
static const struct arena	*down, *up;

static uint8_t			*down_state;	/* enum slot_state */
static uint32_t			*down_free;	/* stack of free slots */
static uint32_t			 ndown_free;
static uint8_t			*up_state;
static uint32_t			*up_free;
static uint32_t			 nup_free;
static struct upread		*upreads;	/* per up slot */

static Btd__BlockRef		*wbatch;	/* BlockWrite being built */
static size_t			 nwbatch;
static Btd__BlockRef		*rbatch;	/* BlockRead being built */
static size_t			 nrbatch;
static struct event		*flush_ev;

static void	block_flush(evutil_socket_t, short, void *);
static void	arenas_gone(void);
static void	resume_reading(void);
static void	upload_failed(struct peer *, uint32_t, uint32_t, uint32_t);
static void	upload_ready(struct peer *, uint32_t, uint32_t, uint32_t,
		    uint32_t);

void
block_init(struct event_base *base)
{
	bbase = base;
	flush_ev = event_new(base, -1, 0, block_flush, NULL);
	wbatch = calloc(PEERD_BATCH_MAX, sizeof(*wbatch));
	rbatch = calloc(PEERD_BATCH_MAX, sizeof(*rbatch));
	if (flush_ev == NULL || wbatch == NULL || rbatch == NULL)
		fatalx("block_init: out of memory");
}

int
block_link_up(void)
{
	return stored != NULL && down != NULL && up != NULL;
}

/* Send the batches at the end of this turn of the event loop. */
static void
schedule_flush(void)
{
	if (!event_pending(flush_ev, EV_TIMEOUT, NULL))
		event_active(flush_ev, EV_TIMEOUT, 0);
}

int
block_down_take(void)
{
	uint32_t s;

	if (!block_link_up() || ndown_free == 0)
		return -1;
	s = down_free[--ndown_free];
	down_state[s] = SLOT_CONN;
	return (int)s;
}

uint8_t *
block_down_ptr(int slot)
{
	return arena_slot(down, (uint32_t)slot);
}

void
block_down_release(int slot)
{
	if (slot < 0 || down == NULL || down_state[slot] != SLOT_CONN)
		return;
	down_state[slot] = SLOT_FREE;
	down_free[ndown_free++] = (uint32_t)slot;
}

void
block_down_put(int slot, uint32_t torrent, uint32_t piece, uint32_t begin,
    uint32_t length)
{
	Btd__BlockRef *r;

	if (nwbatch == PEERD_BATCH_MAX)
		block_flush(-1, 0, NULL);
	r = &wbatch[nwbatch++];
	btd__block_ref__init(r);
	r->slot = (uint32_t)slot;
	r->torrent = torrent;
	r->piece = piece;
	r->offset = begin;
	r->length = length;
	down_state[slot] = SLOT_QUEUED;
	schedule_flush();
}

int
block_room(void)
{
	int64_t room;

	if (!block_link_up())
		return 0;
	room = (int64_t)ndown_free - pick_outstanding() - PEERD_SLOTS_LOW;
	return room > 0 ? (int)room : 0;
}

int
block_down_low(void)
{
	return ndown_free <= PEERD_SLOTS_LOW;
}

int
block_read(struct peer *p, uint32_t torrent, uint32_t piece, uint32_t begin,
    uint32_t length)
{
	Btd__BlockRef	*r;
	uint32_t	 s;

	if (!block_link_up() || nup_free == 0 || nrbatch == PEERD_BATCH_MAX)
		return -1;
	s = up_free[--nup_free];
	up_state[s] = SLOT_QUEUED;
	upreads[s].peer = p;
	upreads[s].torrent = torrent;
	upreads[s].piece = piece;
	upreads[s].begin = begin;
	upreads[s].length = length;
	r = &rbatch[nrbatch++];
	btd__block_ref__init(r);
	r->slot = s;
	r->torrent = torrent;
	r->piece = piece;
	r->offset = begin;
	r->length = length;
	schedule_flush();
	return 0;
}

uint8_t *
block_up_ptr(uint32_t slot)
{
	return arena_slot(up, slot);
}

void
block_up_free(uint32_t slot)
{
	if (up == NULL || slot >= up->slots || up_state[slot] != SLOT_CONN)
		return;
	up_state[slot] = SLOT_FREE;
	up_free[nup_free++] = slot;
}

void
block_peer_gone(struct peer *p)
{
	uint32_t i;

	if (up == NULL)
		return;
	for (i = 0; i < up->slots; i++)
		if (upreads[i].peer == p)
			upreads[i].peer = NULL;
}

/* Up slots came back: peers waiting for one may read again. */
int
block_up_room(void)
{
	return block_link_up() ? (int)nup_free : 0;
}

static void
send_batch(int write)
{
	Btd__BlockWrite	 bw = BTD__BLOCK_WRITE__INIT;
	Btd__BlockRead	 br = BTD__BLOCK_READ__INIT;
	Btd__BlockRef	*ptrs[PEERD_BATCH_MAX];
	Btd__BlockRef	*batch = write ? wbatch : rbatch;
	size_t		 i, n = write ? nwbatch : nrbatch;
	int		 r;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		ptrs[i] = &batch[i];
	if (write) {
		bw.n_blocks = n;
		bw.blocks = ptrs;
		r = MSG_SEND(stored, Btd__PeerStoredMsg, PEER_STORED_MSG,
		    BLOCK_WRITE, block_write, &bw, -1);
	} else {
		br.n_blocks = n;
		br.blocks = ptrs;
		r = MSG_SEND(stored, Btd__PeerStoredMsg, PEER_STORED_MSG,
		    BLOCK_READ, block_read, &br, -1);
	}
	if (r == -1) {
		/* The channel reports itself gone; peer_down reclaims. */
		log_warn("%s: to stored", __func__);
		return;
	}
	for (i = 0; i < n; i++) {
		if (write)
			down_state[batch[i].slot] = SLOT_STORED;
		else
			up_state[batch[i].slot] = SLOT_STORED;
	}
	if (write)
		nwbatch = 0;
	else
		nrbatch = 0;
}

static void
block_flush(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (stored == NULL)
		return;
	/*
	 * A full channel is back-pressure: the batch waits for the drain
	 * callback.  It cannot grow without bound: it holds slots, and
	 * there are only so many.
	 */
	if (chan_full(stored))
		return;
	send_batch(1);
	send_batch(0);
}

static void
stored_drain(struct chan *c, void *arg)
{
	(void)c;
	(void)arg;
	block_flush(-1, 0, NULL);
}

static void
slots_reset(void)
{
	uint32_t i;

	free(down_state);
	free(down_free);
	free(up_state);
	free(up_free);
	free(upreads);
	down_state = up_state = NULL;
	down_free = up_free = NULL;
	upreads = NULL;
	ndown_free = nup_free = 0;
	nwbatch = nrbatch = 0;
	if (down == NULL || up == NULL)
		return;
	down_state = calloc(down->slots, 1);
	down_free = calloc(down->slots, sizeof(*down_free));
	up_state = calloc(up->slots, 1);
	up_free = calloc(up->slots, sizeof(*up_free));
	upreads = calloc(up->slots, sizeof(*upreads));
	if (down_state == NULL || down_free == NULL || up_state == NULL ||
	    up_free == NULL || upreads == NULL)
		fatalx("slots_reset: out of memory");
	for (i = 0; i < down->slots; i++)
		down_free[ndown_free++] = down->slots - 1 - i;
	for (i = 0; i < up->slots; i++)
		up_free[nup_free++] = up->slots - 1 - i;
}

void
block_stored_up(struct chan *c)
{
	down = role_peer_arena(BTD__ROLE__STORED, BTD__ARENA__ARENA_DOWN);
	up = role_peer_arena(BTD__ROLE__STORED, BTD__ARENA__ARENA_UP);
	if (down == NULL || up == NULL || down->slot_size != PEERD_BLOCK ||
	    up->slot_size != PEERD_BLOCK) {
		log_warnx("stored link without both arenas of %u-byte slots:"
		    " no block path", PEERD_BLOCK);
		down = up = NULL;
		return;
	}
	stored = c;
	chan_set_drain(c, stored_drain);
	slots_reset();
	log_info("block path up: %u down slots, %u up slots", down->slots,
	    up->slots);
}

void
block_stored_down(void)
{
	struct torrent *t;

	/* Connections stop using slots before the arenas are unmapped. */
	stored = NULL;
	arenas_gone();
	TAILQ_FOREACH(t, &torrents, entry) {
		t->ready = 0;
		if (t->pick != NULL)
			pick_forget_received(t->pick);
	}
	down = up = NULL;
	slots_reset();
	event_del(flush_ev);
}

/* ---- connections' side: receiving into slots, serving uploads ---- */

#define MAX_CANCELS	64	/* end-game cancels per block */

static TAILQ_HEAD(, peer)	 uploaders = TAILQ_HEAD_INITIALIZER(uploaders);
static TAILQ_HEAD(, peer)	 stalled = TAILQ_HEAD_INITIALIZER(stalled);










void
block_unstall(struct peer *p)
{
	if (p->stalled) {
		TAILQ_REMOVE(&stalled, p, sentry);
		p->stalled = 0;
	}
}

void
block_uploads_stop(struct peer *p)
{
	if (p->uploading) {
		TAILQ_REMOVE(&uploaders, p, uentry);
		p->uploading = 0;
	}
}

void
block_up_drop_unsent(struct peer *p)
{
	uint32_t i, k, keep = 0;

	/* Keep a block already partly written: the stream needs it. */
	for (i = 0; i < p->nup; i++) {
		k = (p->uhead + i) % PEERD_UPQ_MAX;
		if (i == 0 && p->upq[k].off > 0) {
			keep = 1;
			continue;
		}
		block_up_free(p->upq[k].slot);
	}
	p->nup = keep;
}

static void
resume_reading(void)
{
	struct peer *p;

	while (!block_down_low() && (p = TAILQ_FIRST(&stalled)) != NULL) {
		block_unstall(p);
		conn_read_on(p);
		conn_process(p);
	}
}

static void
uploader_add(struct peer *p)
{
	if (!p->uploading) {
		TAILQ_INSERT_TAIL(&uploaders, p, uentry);
		p->uploading = 1;
	}
}

/* p's send queue has room again: its queued requests may be read. */
void
block_uploads_kick(struct peer *p)
{
	if (p->nin > 0 && !p->dead) {
		uploader_add(p);
		block_pump_uploads();
	}
}

void
block_pump_uploads(void)
{
	struct peer	*p;
	struct inreq	*r;

	while (block_up_room() > 0 && (p = TAILQ_FIRST(&uploaders)) != NULL) {
		TAILQ_REMOVE(&uploaders, p, uentry);
		p->uploading = 0;
		if (p->nin == 0 || p->nup + p->nreads >= PEERD_UPQ_MAX ||
		    (rate_on && p->nup + p->nreads >= rate_upq(p)))
			continue;
		r = &p->inq[p->ihead];
		if (block_read(p, p->t->id, r->piece, r->begin,
		    r->length) == -1) {
			uploader_add(p);
			return;
		}
		p->ihead = (p->ihead + 1) % PEERD_REQQ;
		p->nin--;
		p->nreads++;
		if (p->nin > 0)
			uploader_add(p);	/* round robin */
	}
}

static void
upload_failed(struct peer *p, uint32_t piece, uint32_t begin,
    uint32_t length)
{
	p->nreads--;
	if (p->fast)
		(void)conn_send_block(p, WIRE_REJECT, piece, begin, length);
}

static void
upload_ready(struct peer *p, uint32_t slot, uint32_t piece,
    uint32_t begin, uint32_t length)
{
	struct upsend *u;

	p->nreads--;
	if (p->am_choking || p->nup == PEERD_UPQ_MAX) {
		block_up_free(slot);
		return;
	}
	u = &p->upq[(p->uhead + p->nup) % PEERD_UPQ_MAX];
	u->slot = slot;
	u->len = length;
	u->off = 0;
	wire_build_piece_hdr(u->hdr, piece, begin, length);
	p->nup++;
	event_add(p->wev, NULL);
}

int
block_request(struct peer *p, const struct wire_msg *m)
{
	struct torrent	*t = p->t;
	struct inreq	*r;
	uint32_t	 pl;

	pl = m->index < t->npieces ? pick_piece_len(t->pick, m->index) : 0;
	if (m->index >= t->npieces || m->length == 0 ||
	    m->length > PEERD_BLOCK || m->begin >= pl ||
	    m->length > pl - m->begin || !pick_has(t->pick, m->index) ||
	    p->am_choking || p->nin == PEERD_REQQ || !t->ready) {
		if (++p->flood > PEERD_REQQ_HARD) {
			conn_close(p, "request flood");
			return -1;
		}
		if (p->fast)
			return conn_send_block(p, WIRE_REJECT, m->index, m->begin,
			    m->length);
		return 0;
	}
	p->flood = 0;
	r = &p->inq[(p->ihead + p->nin) % PEERD_REQQ];
	r->piece = m->index;
	r->begin = m->begin;
	r->length = m->length;
	p->nin++;
	uploader_add(p);
	block_pump_uploads();
	return 0;
}

void
block_cancel(struct peer *p, const struct wire_msg *m)
{
	uint32_t i, k, n = 0;

	for (i = 0; i < p->nin; i++) {
		k = (p->ihead + i) % PEERD_REQQ;
		if (p->inq[k].piece == m->index &&
		    p->inq[k].begin == m->begin &&
		    p->inq[k].length == m->length)
			continue;
		p->inq[(p->ihead + n) % PEERD_REQQ] = p->inq[k];
		n++;
	}
	p->nin = n;
}

/* A whole block is in p->rslot (or was discarded). */
void
block_piece_done(struct peer *p)
{
	struct torrent		*t = p->t;
	struct pick_cancel	 c[MAX_CANCELS];
	size_t			 nc = 0, i;
	int			 ok = 0;

	if (!p->rdiscard && p->rslot >= 0)
		ok = pick_received(&p->pp, p->rpiece, p->rbegin, p->rblen, c,
		    MAX_CANCELS, &nc);
	if (ok) {
		p->last_block_ms = peerd_now_ms();
		block_down_put(p->rslot, t->id, p->rpiece, p->rbegin,
		    p->rblen);
		t->d_down += p->rblen;
	} else {
		if (p->rslot >= 0)
			block_down_release(p->rslot);
		t->d_wasted += p->rblen;
	}
	t->stats_dirty = 1;
	p->rslot = -1;
	p->rdiscard = 0;
	p->down_total += p->rblen;
	p->sec_down += p->rblen;
	t->sec_down += p->rblen;
	/* Slow start: a full pipeline that delivers grows by one. */
	if (ok && p->pp.nreq + 1 >= p->depth && p->depth < PEERD_QDEPTH_MAX &&
	    (p->reqq == 0 || p->depth < p->reqq))
		p->depth++;
	for (i = 0; i < nc; i++) {
		struct peer *o = c[i].peer->owner;

		(void)conn_send_block(o, WIRE_CANCEL, c[i].req.piece,
		    c[i].req.begin, c[i].req.length);
	}
}

/*
 * One readv(): the rest of the payload into its slot, and at most the
 * next message's first 13 bytes into p->rbuf.  In a stream of PIECEs
 * that is exactly the next header, so the next payload goes to its slot
 * too and no payload byte is ever copied.
 */
ssize_t
block_recv(struct peer *p, uint32_t left)
{
	struct iovec	 iov[2];
	ssize_t		 n;
	uint32_t	 got;

	iov[0].iov_base = block_down_ptr(p->rslot) + (p->rblen - left);
	iov[0].iov_len = left;
	iov[1].iov_base = p->rbuf;
	iov[1].iov_len = WIRE_PIECE_HDR;
	if ((n = readv(p->fd, iov, 2)) <= 0)
		return n;
	got = (uint32_t)n < left ? (uint32_t)n : left;
	wire_payload_done(&p->wp, got);
	if (got == left)
		block_piece_done(p);
	p->rlen = (size_t)n - got;
	return n;
}

/* A PIECE header arrived: where does its payload go?  0 go on, 1 stall. */
int
block_piece_begin(struct peer *p, const struct wire_msg *m)
{
	int slot;

	p->rpiece = m->index;
	p->rbegin = m->begin;
	p->rblen = m->length;
	p->rdiscard = 0;
	p->rslot = -1;
	if (!block_link_up() || !p->t->ready ||
	    !pick_wanted(&p->pp, m->index, m->begin, m->length)) {
		p->rdiscard = 1;
		return 0;
	}
	if ((slot = block_down_take()) == -1) {
		/* No room: stop reading; TCP pushes back on the peer. */
		if (!p->stalled) {
			TAILQ_INSERT_TAIL(&stalled, p, sentry);
			p->stalled = 1;
		}
		conn_read_off(p);
		return 1;
	}
	p->rslot = slot;
	return 0;
}

static void
arenas_gone(void)
{
	struct peer	*p, *next;
	uint32_t	 i;
	int		 was_stalled;

	for (p = TAILQ_FIRST(&conn_peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, all);
		if (p->rslot >= 0) {
			/* The rest of this payload is thrown away. */
			p->rslot = -1;
			p->rdiscard = 1;
		}
		if (p->nup > 0 && p->upq[p->uhead].off > 0) {
			conn_close(p, "block path lost mid-block");
			continue;
		}
		p->nup = 0;
		p->nreads = 0;
		block_uploads_stop(p);
		conn_hungry_del(p);
		if (p->pp_init)
			pick_drop_requests(&p->pp);
		/* Its queued requests cannot be served (BEP 6: rejected). */
		for (i = 0; i < p->nin && p->fast; i++) {
			struct inreq *r = &p->inq[(p->ihead + i) % PEERD_REQQ];

			if (conn_send_block(p, WIRE_REJECT, r->piece, r->begin,
			    r->length) == -1)
				break;
		}
		if (p->dead)
			continue;	/* closed: output full */
		p->nin = 0;
		was_stalled = p->stalled;
		if (was_stalled) {
			/* Its payload is discarded; what it buffered goes on. */
			block_unstall(p);
			p->rdiscard = 1;
			conn_read_on(p);
			conn_process(p);
		}
	}
}
/* Add block k of the send queue to the iovecs. */
void
block_up_iov(struct peer *p, uint32_t k, struct iovec *iov, int *kind,
    size_t *niov)
{
	struct upsend	*u = &p->upq[k];
	uint32_t	 skip = u->off;

	if (skip < WIRE_PIECE_HDR) {
		iov[*niov].iov_base = u->hdr + skip;
		iov[*niov].iov_len = WIRE_PIECE_HDR - skip;
		kind[(*niov)++] = 1;
		skip = 0;
	} else
		skip -= WIRE_PIECE_HDR;
	iov[*niov].iov_base = block_up_ptr(u->slot) + skip;
	iov[*niov].iov_len = u->len - skip;
	kind[(*niov)++] = 1;
}

/* ---- stored -> peerd ---- */

int
block_apply_have(struct torrent *t, const uint8_t *bits, size_t len)
{
	char		 err[96];
	uint32_t	 i;

	if (wire_bitfield_check(bits, len, t->npieces, err,
	    sizeof(err)) == -1) {
		log_warnx("stored: TorrentHave %u: %s", t->id, err);
		return -1;
	}
	for (i = 0; i < t->npieces; i++)
		if (bits[i / 8] & (0x80 >> (i % 8))) {
			pick_set_have(t->pick, i);
			t->bitfield[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		}
	log_debug("torrent %u: ready, %u of %u pieces", t->id,
	    pick_nhave(t->pick), t->npieces);
	t->ready = 1;
	conn_torrent_ready(t);
	return 0;
}

static int
on_have(const Btd__TorrentHave *h)
{
	struct torrent *t;

	/* A magnet's TorrentHave may overtake btd's add with its pieces. */
	if ((t = torrent_find(h->torrent)) == NULL || t->nometa)
		return peerd_pending_have(h->torrent, h->bitfield.data,
		    h->bitfield.len) == -1 ? -1 : 0;
	if (t->gone)
		return 0;
	return block_apply_have(t, h->bitfield.data, h->bitfield.len);
}

static int
on_slots_free(const Btd__SlotsFree *sf)
{
	size_t		 i;
	uint32_t	 s;

	if (down == NULL)
		return -1;
	for (i = 0; i < sf->n_slots; i++) {
		s = sf->slots[i];
		if (s >= down->slots || down_state[s] != SLOT_STORED) {
			log_warnx("stored: SlotsFree of slot %u it does not"
			    " hold", s);
			return -1;
		}
		down_state[s] = SLOT_FREE;
		down_free[ndown_free++] = s;
	}
	resume_reading();
	conn_fill_all();
	return 0;
}

static int
on_verdicts(const Btd__PieceVerdicts *pv)
{
	struct torrent	*t;
	uint32_t	 contrib[PICK_MAX_CONTRIB];
	size_t		 i, n;
	int		 failed = 0;

	for (i = 0; i < pv->n_verdicts; i++) {
		const Btd__PieceVerdict *v = pv->verdicts[i];

		if ((t = torrent_find(v->torrent)) == NULL || t->gone ||
		    v->piece >= t->npieces)
			continue;
		if (pick_has(t->pick, v->piece))
			continue;
		n = pick_verdict(t->pick, v->piece, v->ok, contrib);
		if (v->ok) {
			log_debug("torrent %u: piece %u verified", t->id,
			    v->piece);
			t->bitfield[v->piece / 8] |=
			    (uint8_t)(0x80 >> (v->piece % 8));
			conn_piece_good(t, contrib, n);
			conn_piece_have(t, v->piece);
		} else {
			log_info("torrent %u: piece %u failed its hash",
			    t->id, v->piece);
			t->d_wasted += pick_piece_len(t->pick, v->piece);
			t->stats_dirty = 1;
			conn_piece_failed(t, contrib, n);
			failed = 1;
		}
	}
	if (failed)
		conn_fill_all();
	return 0;
}

static int
on_read_done(const Btd__ReadDone *rd)
{
	struct upread	*u;
	size_t		 i;
	uint32_t	 s;

	if (up == NULL)
		return -1;
	for (i = 0; i < rd->n_results; i++) {
		s = rd->results[i]->slot;
		if (s >= up->slots || up_state[s] != SLOT_STORED) {
			log_warnx("stored: ReadDone of slot %u it does not"
			    " hold", s);
			return -1;
		}
		up_state[s] = SLOT_CONN;
		u = &upreads[s];
		if (u->peer == NULL || !rd->results[i]->ok) {
			if (u->peer != NULL)
				upload_failed(u->peer, u->piece,
				    u->begin, u->length);
			block_up_free(s);
			continue;
		}
		upload_ready(u->peer, s, u->piece, u->begin, u->length);
	}
	block_pump_uploads();
	return 0;
}

static int
on_gone(const Btd__TorrentGone *g)
{
	struct torrent *t;

	if ((t = torrent_find(g->torrent)) == NULL)
		return 0;
	log_info("torrent %u: stored gave it up%s%s", t->id,
	    g->error[0] ? ": " : "", g->error);
	t->gone = 1;
	t->ready = 0;
	conn_torrent_close(t);
	return 0;
}

int
peerd_dispatch_stored(struct chan *c, const ProtobufCMessage *env)
{
	const Btd__PeerStoredMsg *m =
	    MSG_AS(Btd__PeerStoredMsg, peer_stored_msg, env);

	(void)c;
	switch (m->body_case) {
	case BTD__PEER_STORED_MSG__BODY_HAVE:
		return on_have(m->have);
	case BTD__PEER_STORED_MSG__BODY_SLOTS_FREE:
		return on_slots_free(m->slots_free);
	case BTD__PEER_STORED_MSG__BODY_VERDICTS:
		return on_verdicts(m->verdicts);
	case BTD__PEER_STORED_MSG__BODY_READ_DONE:
		return on_read_done(m->read_done);
	case BTD__PEER_STORED_MSG__BODY_GONE:
		return on_gone(m->gone);
	default:
		return -1;
	}
}
