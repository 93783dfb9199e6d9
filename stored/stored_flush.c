/*
 * stored_flush.c -- durability: verified pieces reach btd (PiecesDurable)
 * only after fdatasync() of every file written before they were verified.
 *
 * Verified pieces wait in `pending`.  Every STORED_DURABLE_MS, or as soon
 * as STORED_DURABLE_BATCH wait, one flush job starts: it takes the pending
 * pieces, a dup of every cached descriptor written since the last job
 * (stored_cache_take_dirty()) and the dirty descriptors the cache evicted
 * meanwhile, and a thread fdatasync()s and closes them.  When it is done
 * (an eventfd wakes the event loop), a file whose sync failed fails its
 * torrent (TorrentError, torrent_fail()), and the job's pieces of the
 * torrents still standing go to btd, at most STORED_BATCH_MAX a message.
 *
 * Invariant: one job at a time, so that every write made before a piece
 * was verified is covered by that piece's job or by one that completed
 * before it started: all writes happen on the event loop, before the
 * verdict, and either leave their descriptor dirty or were taken by an
 * earlier job.
 *
 * Rejected alternative: fdatasync() on the event loop.  At 1 GB/s a
 * second's writes take a disk long enough to sync that the block path
 * would stall meanwhile, and peerd with it.  The thread touches nothing
 * but its job; seccomp and Landlock bind it as the rest of the process.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "stored.pb-c.h"

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "stored.h"

struct fitem {
	int		 fd;		/* owned by the job: synced, closed */
	uint32_t	 torrent;
	uint32_t	 file;
	int		 err;		/* errno of fdatasync, or 0 */
};

struct dpiece {
	uint32_t	 torrent;
	uint32_t	 piece;
};

/* A growable array of T, bounded by its users. */
struct darr {
	void		*v;
	size_t		 n, cap;
};

static struct {
	pthread_t	 thr;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 go;		/* a job for the thread (under mu) */
	int		 done;		/* the thread finished it (under mu) */
	int		 efd;		/* the thread -> event loop */
	struct event	*eev, *tick;
	int		 busy;		/* a job is out; main thread only */
	uint64_t	 count;		/* jobs completed */
	/* Main thread only, or the thread's while busy. */
	struct darr	 pending;	/* dpiece: verified, not in a job */
	struct darr	 evicted;	/* fitem: evicted dirty descriptors */
	struct darr	 jitems;	/* fitem: the job's descriptors */
	struct darr	 jpieces;	/* dpiece: the job's pieces */
	struct darr	 ready;		/* dpiece: durable, not yet sent */
} fl = { .efd = -1 };

static int
darr_push(struct darr *a, const void *el, size_t sz, size_t max)
{
	void	*nv;
	size_t	 ncap;

	if (a->n == a->cap) {
		if (a->cap >= max)
			return -1;
		ncap = a->cap ? a->cap * 2 : 256;
		if (ncap > max)
			ncap = max;
		if ((nv = reallocarray(a->v, ncap, sz)) == NULL)
			return -1;
		a->v = nv;
		a->cap = ncap;
	}
	memcpy((uint8_t *)a->v + a->n * sz, el, sz);
	a->n++;
	return 0;
}

static void
darr_swap(struct darr *a, struct darr *b)
{
	struct darr tmp = *a;

	*a = *b;
	*b = tmp;
}

static void *
flusher(void *arg)
{
	struct fitem	*it;
	uint64_t	 one = 1;
	size_t		 i;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&fl.mu);
		while (!fl.go)
			pthread_cond_wait(&fl.cv, &fl.mu);
		fl.go = 0;
		pthread_mutex_unlock(&fl.mu);
		it = fl.jitems.v;
		for (i = 0; i < fl.jitems.n; i++) {
			it[i].err = fdatasync(it[i].fd) == -1 ? errno : 0;
			close(it[i].fd);
		}
		pthread_mutex_lock(&fl.mu);
		fl.done = 1;
		pthread_mutex_unlock(&fl.mu);
		while (write(fl.efd, &one, sizeof(one)) == -1 && errno == EINTR)
			;
	}
	return NULL;
}

static int
take_item(int fd, uint32_t torrent, uint32_t file)
{
	struct fitem it = { fd, torrent, file, 0 };

	return darr_push(&fl.jitems, &it, sizeof(it),
	    STORED_OPEN_FILES + STORED_EVICTED_MAX);
}

/* A sync failed: its torrent fails with the next report. */
static void
fail_item(const struct fitem *it)
{
	struct torrent *t = torrent_find(it->torrent);

	if (t != NULL && it->file < t->map.nfiles && t->flush_err == 0) {
		t->flush_err = it->err;
		t->flush_file = it->file;
	}
}

/* Fail every torrent a sync failed for; none of its pieces is reported. */
static void
fail_torrents(void)
{
	struct torrent *t, *next;

	for (t = torrent_first(); t != NULL; t = next) {
		next = torrent_next(t);
		if (t->flush_err != 0)
			torrent_fail(t, "flush %s: %s",
			    t->files[t->flush_file].path,
			    strerror(t->flush_err));
	}
}

static void
start_job(void)
{
	struct fitem	*ev;
	size_t		 i;
	int		 all;

	if (fl.busy || (fl.pending.n == 0 && fl.evicted.n == 0))
		return;
	fl.jitems.n = 0;
	fl.jpieces.n = 0;
	ev = fl.evicted.v;
	for (i = 0; i < fl.evicted.n; i++)
		if (take_item(ev[i].fd, ev[i].torrent, ev[i].file) == -1) {
			/* Out of memory: sync it here. */
			if (fdatasync(ev[i].fd) == -1) {
				ev[i].err = errno;
				fail_item(&ev[i]);
			}
			close(ev[i].fd);
		}
	fl.evicted.n = 0;
	all = stored_cache_take_dirty(take_item) == 0;
	/* Pieces ride only on a job that has every dirty descriptor. */
	if (all)
		darr_swap(&fl.pending, &fl.jpieces);
	fl.busy = 1;
	pthread_mutex_lock(&fl.mu);
	fl.go = 1;
	pthread_cond_signal(&fl.cv);
	pthread_mutex_unlock(&fl.mu);
}

static int
dpiece_cmp(const void *a, const void *b)
{
	const struct dpiece *x = a, *y = b;

	if (x->torrent != y->torrent)
		return x->torrent < y->torrent ? -1 : 1;
	if (x->piece != y->piece)
		return x->piece < y->piece ? -1 : 1;
	return 0;
}

/* Send what is ready, a message per torrent and STORED_BATCH_MAX. */
static void
report(void)
{
	static uint32_t		 pieces[STORED_BATCH_MAX];
	Btd__PiecesDurable	 pd = BTD__PIECES_DURABLE__INIT;
	struct chan		*btd = stored_btd_chan();
	struct dpiece		*r = fl.ready.v;
	size_t			 i = 0, n, done = 0;

	if (btd == NULL) {
		fl.ready.n = 0;
		return;
	}
	while (i < fl.ready.n && !chan_full(btd)) {
		n = 0;
		pd.torrent = r[i].torrent;
		while (i < fl.ready.n && n < STORED_BATCH_MAX &&
		    r[i].torrent == pd.torrent)
			pieces[n++] = r[i++].piece;
		pd.n_pieces = n;
		pd.pieces = pieces;
		if (MSG_SEND(btd, Btd__StoredMsg, STORED_MSG, DURABLE, durable,
		    &pd, -1) == -1) {
			log_warn("%s: pieces durable", __func__);
			i -= n;
			break;
		}
		log_debug("torrent %u: %zu pieces durable", pd.torrent, n);
		done = i;
	}
	if (done > 0) {
		memmove(r, r + done, (fl.ready.n - done) * sizeof(*r));
		fl.ready.n -= done;
	}
}

static void
job_done(evutil_socket_t fd, short ev, void *arg)
{
	struct fitem	*it;
	struct dpiece	*p;
	struct torrent	*t;
	uint64_t	 v;
	size_t		 i, first;
	int		 done;

	(void)ev;
	(void)arg;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return;
	pthread_mutex_lock(&fl.mu);
	done = fl.done;
	fl.done = 0;
	pthread_mutex_unlock(&fl.mu);
	if (!done)
		return;
	fl.busy = 0;
	fl.count++;
	it = fl.jitems.v;
	for (i = 0; i < fl.jitems.n; i++)
		if (it[i].err != 0)
			fail_item(&it[i]);
	fl.jitems.n = 0;
	fail_torrents();
	p = fl.jpieces.v;
	first = fl.ready.n;
	for (i = 0; i < fl.jpieces.n; i++) {
		if ((t = torrent_find(p[i].torrent)) == NULL ||
		    t->state != T_READY || p[i].piece >= t->map.piece_count ||
		    !BIT_ISSET(t->have, p[i].piece))
			continue;	/* failed or removed meanwhile */
		if (darr_push(&fl.ready, &p[i], sizeof(p[i]),
		    STORED_DURABLE_MAX) == -1)
			break;		/* under-claim: allowed */
	}
	fl.jpieces.n = 0;
	if (fl.ready.n > first)
		qsort((struct dpiece *)fl.ready.v + first, fl.ready.n - first,
		    sizeof(struct dpiece), dpiece_cmp);
	report();
	if (fl.pending.n >= STORED_DURABLE_BATCH)
		start_job();
	stored_link_kick();
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	report();
	start_job();
}

void
stored_flush_init(struct event_base *base)
{
	struct timeval	 tv = { STORED_DURABLE_MS / 1000,
			    (STORED_DURABLE_MS % 1000) * 1000 };
	int		 e;

	if ((fl.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("%s: eventfd", __func__);
	pthread_mutex_init(&fl.mu, NULL);
	pthread_cond_init(&fl.cv, NULL);
	if ((e = pthread_create(&fl.thr, NULL, flusher, NULL)) != 0) {
		errno = e;
		fatal("%s: flush thread", __func__);
	}
	fl.eev = event_new(base, fl.efd, EV_READ | EV_PERSIST, job_done, NULL);
	fl.tick = event_new(base, -1, EV_PERSIST, tick, NULL);
	if (fl.eev == NULL || fl.tick == NULL || event_add(fl.eev, NULL) ||
	    event_add(fl.tick, &tv))
		fatalx("%s: events", __func__);
}

void
stored_flush_piece(uint32_t torrent, uint32_t piece)
{
	struct dpiece p = { torrent, piece };

	/* At the bound stored has stopped taking blocks: never dropped. */
	if (darr_push(&fl.pending, &p, sizeof(p), STORED_DURABLE_MAX) == -1)
		log_warnx("%s: torrent %u piece %u not reported durable",
		    __func__, torrent, piece);
	if (fl.pending.n >= STORED_DURABLE_BATCH)
		start_job();
}

void
stored_flush_evicted(int fd, uint32_t torrent, uint32_t file)
{
	struct fitem it = { fd, torrent, file, 0 };

	if (darr_push(&fl.evicted, &it, sizeof(it), STORED_EVICTED_MAX) == 0)
		return;
	/*
	 * Too many waiting: sync this one now.  A failure marks the
	 * torrent, which fails (and reports nothing more) with the next
	 * completed job; failing it here could free a torrent a caller of
	 * stored_cache_get() holds.
	 */
	if (fdatasync(fd) == -1) {
		it.err = errno;
		fail_item(&it);
	}
	close(fd);
}

int
stored_flush_backlog(void)
{
	return fl.pending.n + fl.jpieces.n + STORED_BATCH_MAX >=
	    STORED_DURABLE_MAX;
}

void
stored_flush_now(void)
{
	start_job();
}

uint64_t
stored_flush_count(void)
{
	return fl.count;
}
