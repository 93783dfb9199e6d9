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
 * The thread fstat()s each file after its fdatasync: that size and
 * mtime ride with the next PiecesDurable of its torrent (alone if it has
 * no pieces to report), and are what btd records for quick resume.  At
 * btd's stop order (stored_flush_stop()) the job under way is waited
 * for and a last one is done on the event loop, reported before exit.
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
#include <sys/stat.h>

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
	int		 stat_ok;	/* size and mtime, after the sync */
	uint64_t	 size;
	int64_t		 mtime;		/* ns since the epoch */
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
	pthread_cond_t	 dcv;		/* done was set */
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

/* fdatasync, then the size and mtime that the next start compares. */
static void
sync_item(struct fitem *it)
{
	struct stat st;

	it->err = fdatasync(it->fd) == -1 ? errno : 0;
	it->stat_ok = it->err == 0 && fstat(it->fd, &st) == 0;
	if (it->stat_ok) {
		it->size = (uint64_t)st.st_size;
		it->mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
	}
	close(it->fd);
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
		for (i = 0; i < fl.jitems.n; i++)
			sync_item(&it[i]);
		pthread_mutex_lock(&fl.mu);
		fl.done = 1;
		pthread_cond_signal(&fl.dcv);
		pthread_mutex_unlock(&fl.mu);
		while (write(fl.efd, &one, sizeof(one)) == -1 && errno == EINTR)
			;
	}
	return NULL;
}

static int
take_item(int fd, uint32_t torrent, uint32_t file)
{
	struct fitem it = { fd, torrent, file, 0, 0, 0, 0 };

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

/* A job to the thread; with inline_job, done here before returning. */
static void
start_job_how(int inline_job)
{
	struct fitem	*ev, *it;
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
	if (inline_job) {
		it = fl.jitems.v;
		for (i = 0; i < fl.jitems.n; i++)
			sync_item(&it[i]);
		return;
	}
	pthread_mutex_lock(&fl.mu);
	fl.go = 1;
	pthread_cond_signal(&fl.cv);
	pthread_mutex_unlock(&fl.mu);
}

static void
start_job(void)
{
	start_job_how(0);
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

/*
 * Up to STORED_STATS_MAX of t's owed file stats into fs/fsp; their
 * marks are cleared (they are sent now).  Returns how many.
 */
static size_t
take_stats(struct torrent *t, Btd__FileStat *fs, Btd__FileStat **fsp)
{
	uint32_t	 i;
	size_t		 n = 0;

	for (i = 0; i < t->map.nfiles && t->sy_nowed > 0 &&
	    n < STORED_STATS_MAX; i++) {
		struct tfile *f = &t->files[i];

		if (!f->sy_owed)
			continue;
		btd__file_stat__init(&fs[n]);
		fs[n].file = i;
		fs[n].size = f->sy_size;
		fs[n].mtime = f->sy_mtime;
		fsp[n] = &fs[n];
		n++;
		f->sy_owed = 0;
		t->sy_nowed--;
	}
	return n;
}

/*
 * Send what is ready, a message per torrent and STORED_BATCH_MAX
 * pieces, with the torrent's owed file stats; then the stats of
 * torrents without pieces to report.
 */
static void
report(void)
{
	static uint32_t		 pieces[STORED_BATCH_MAX];
	static Btd__FileStat	 fs[STORED_STATS_MAX];
	static Btd__FileStat	*fsp[STORED_STATS_MAX];
	Btd__PiecesDurable	 pd = BTD__PIECES_DURABLE__INIT;
	struct chan		*btd = stored_btd_chan();
	struct dpiece		*r = fl.ready.v;
	struct torrent		*t;
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
		pd.n_stats = 0;
		if ((t = torrent_find(pd.torrent)) != NULL)
			pd.n_stats = take_stats(t, fs, fsp);
		pd.stats = fsp;
		if (MSG_SEND(btd, Btd__StoredMsg, STORED_MSG, DURABLE, durable,
		    &pd, -1) == -1) {
			log_warn("%s: pieces durable", __func__);
			i -= n;
			break;
		}
		log_debug("torrent %u: %zu pieces durable, %zu file stats",
		    pd.torrent, n, pd.n_stats);
		done = i;
	}
	if (done > 0) {
		memmove(r, r + done, (fl.ready.n - done) * sizeof(*r));
		fl.ready.n -= done;
	}
	for (t = torrent_first(); t != NULL && !chan_full(btd);
	    t = torrent_next(t)) {
		while (t->sy_nowed > 0 && t->state == T_READY &&
		    !chan_full(btd)) {
			pd.torrent = t->num;
			pd.n_pieces = 0;
			pd.pieces = NULL;
			pd.n_stats = take_stats(t, fs, fsp);
			pd.stats = fsp;
			if (MSG_SEND(btd, Btd__StoredMsg, STORED_MSG, DURABLE,
			    durable, &pd, -1) == -1) {
				log_warn("%s: file stats", __func__);
				return;
			}
			log_debug("torrent %u: %zu file stats", t->num,
			    pd.n_stats);
		}
	}
}

static void	job_finish(void);

static void
job_done(evutil_socket_t fd, short ev, void *arg)
{
	uint64_t	 v;
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
	job_finish();
	if (fl.pending.n >= STORED_DURABLE_BATCH)
		start_job();
	stored_link_kick();
}

/* The job is over: failures, stats, and its pieces reported. */
static void
job_finish(void)
{
	struct fitem	*it;
	struct dpiece	*p;
	struct torrent	*t;
	size_t		 i, first;

	fl.busy = 0;
	fl.count++;
	it = fl.jitems.v;
	for (i = 0; i < fl.jitems.n; i++)
		if (it[i].err != 0)
			fail_item(&it[i]);
		else if (it[i].stat_ok &&
		    (t = torrent_find(it[i].torrent)) != NULL &&
		    t->state == T_READY)
			torrent_file_synced(t, it[i].file, it[i].size,
			    it[i].mtime);
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
	pthread_cond_init(&fl.dcv, NULL);
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
	struct fitem it = { fd, torrent, file, 0, 0, 0, 0 };

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

static int
stats_owed(void)
{
	struct torrent *t;

	for (t = torrent_first(); t != NULL; t = torrent_next(t))
		if (t->sy_nowed > 0 && t->state == T_READY)
			return 1;
	return 0;
}

/*
 * btd's stop order: the job under way is waited for, then everything
 * written since is flushed here and reported, pieces and file stats,
 * so that after a clean stop state.db holds the final records.  The
 * caller (role.c) flushes the channel and exits.
 */
void
stored_flush_stop(struct chan *btd)
{
	int tries;

	if (fl.busy) {
		pthread_mutex_lock(&fl.mu);
		while (!fl.done)
			pthread_cond_wait(&fl.dcv, &fl.mu);
		fl.done = 0;
		pthread_mutex_unlock(&fl.mu);
		job_finish();
	}
	start_job_how(1);
	if (fl.busy)
		job_finish();
	/* What does not fit in the queue goes as it drains. */
	for (tries = 0; tries < 20; tries++) {
		report();
		if (fl.ready.n == 0 && !stats_owed())
			break;
		(void)chan_flush(btd, 50);
	}
	log_info("stopping: %llu flushes, the last reported",
	    (unsigned long long)fl.count);
}
