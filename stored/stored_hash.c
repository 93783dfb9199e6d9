/*
 * stored_hash.c -- SHA-1 off the event loop: worker threads, one per CPU
 * stored may run on (at most STORED_HASH_WORKERS), hash the private
 * copies of blocks while the event loop copies and writes the next ones.
 *
 * SHA-1 is most of stored's CPU (half of it with SHA-NI); on the event
 * loop it would cap the block path at what one core hashes.  The worker
 * gets jobs (a digest context, a buffer, a length, a done callback and
 * its owner) through a ring.  Each job names a lane, and a lane always
 * maps to the same worker, so the jobs of one digest context (its owner
 * keeps one lane for it: a partial piece in stored_block.c, a slot of
 * the check in stored_torrent.c) are hashed in the order they were
 * submitted and never by two threads at once; different contexts hash
 * in parallel.  A worker dequeues a job only after hashing it, so an
 * owner that sees its jobs done owns its context again.  Completed jobs
 * come back through an eventfd: the event loop calls each job's done
 * callback (accounting only), then stored_block_settle() and
 * stored_check_settle(), where verdicts are made and checks go on.
 *
 * A check hands out runs instead (stored_hash_run()): a function the
 * worker calls with a read buffer and a digest context of its own, which
 * reads a run of whole pieces and hashes them (stored_torrent.c), so
 * that neither the bytes nor the event loop stand between the page cache
 * and SHA-1.  Runs wait in one queue that every worker takes from once
 * its own lane is empty: whichever worker is free takes the next run, so
 * a core that something else slows down gets fewer of them.
 *
 * Buffers: STORED_HASH_BUFS of ARENA_SLOT_SIZE bytes, allocated once,
 * shared by every worker, and STORED_CHECK_READ bytes a worker for its
 * runs.  A job holds its buffer until it completes; stored_hash_buf()
 * never fails: with every buffer out it waits for the workers and reaps
 * (done callbacks only, never settle), so memory stays bounded and
 * nothing is dropped.
 *
 * Rejected alternatives: hashing on the event loop, with a pool of
 * processes or threads only for checks.  Writing and hashing in parallel
 * is what lets stored keep up with peerd on two cores.  For checks, the
 * event loop reading blocks and handing them to the workers: at 16 KiB
 * a job, reading, queueing and waking cost a third of a core, and the
 * event loop competed with the hashing threads for the same cores
 * (55% of SHA-1 speed x cores).
 *
 * Mapped bytes (stored_hash_mapped()): a run hashes large extents
 * straight from a read-only mapping of the file, since copying them out
 * of the page cache with pread costs a fifth as much CPU as hashing them
 * (0.12 of 0.64 CPU s for 512 MiB here).  A file that shrinks under the
 * mapping, or an I/O error, raises SIGBUS in the thread touching it: the
 * handler sees that the address is the one that thread is hashing and
 * jumps back out of the digest update, which then fails; any other
 * SIGBUS kills stored as before.  The digest context is left half
 * updated and is initialised again before its next use.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "arena.h"
#include "log.h"
#include "stored.h"

struct hjob {
	void		*md;		/* EVP_MD_CTX */
	uint8_t		*buf;		/* a buffer of bufs[], NULL for a run */
	uint32_t	 len;
	stored_hash_fn	 run;		/* or this, in the worker */
	void		(*done)(void *, uint32_t);
	void		*owner;
};

/* One worker and its ring of queued jobs, under hs.mu. */
struct hworker {
	pthread_t	 thr;
	pthread_cond_t	 work;		/* jobs or runs queued */
	int		 idle;		/* waits on work, not yet woken */
	struct hjob	 q[STORED_HASH_BUFS];
	unsigned	 qhead, qn;
	uint8_t		*rbuf;		/* STORED_CHECK_READ bytes, for runs */
	EVP_MD_CTX	*rmd;		/* for runs */
};

static struct {
	struct hworker	 w[STORED_HASH_WORKERS];
	unsigned	 nw;
	pthread_mutex_t	 mu;
	pthread_cond_t	 done_cv;	/* jobs completed */
	/* under mu */
	struct hjob	 runq[STORED_CHECK_RUNS];	/* runs not taken */
	unsigned	 rhead, rn;
	struct hjob	 done[STORED_HASH_BUFS + STORED_CHECK_RUNS];
					/* done, not reaped */
	unsigned	 dn, queued;
	int		 woken;		/* the eventfd written since a reap */
	/* event loop only */
	uint8_t		*bufs[STORED_HASH_BUFS];	/* free buffers */
	unsigned	 nfree;
	uint64_t	 out;		/* jobs submitted, not reaped */
	int		 efd;
	struct event	*ev;
} hs = { .efd = -1 };

/* The mapped bytes this thread hashes, while it does (on_bus()). */
static __thread sigjmp_buf	*bus_jump;
static __thread uintptr_t	 bus_lo, bus_hi;

static void
on_bus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	if (bus_jump != NULL && a >= bus_lo && a < bus_hi)
		siglongjmp(*bus_jump, 1);
	/* Not ours: the access faults again and kills, as it would have. */
	signal(sig, SIG_DFL);
}

int
stored_hash_mapped(void *md, const uint8_t *p, size_t len)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1) != 0) {
		bus_jump = NULL;
		return -1;
	}
	bus_lo = (uintptr_t)p;
	bus_hi = (uintptr_t)p + len;
	bus_jump = &jb;
	if (EVP_DigestUpdate(md, p, len) != 1)
		fatalx("%s: SHA-1", __func__);
	bus_jump = NULL;
	return 0;
}

static void *
worker(void *arg)
{
	struct hworker	*w = arg;
	struct hjob	 j;
	uint64_t	 one = 1;
	int		 wake;

	for (;;) {
		pthread_mutex_lock(&hs.mu);
		while (w->qn == 0 && hs.rn == 0) {
			w->idle = 1;
			pthread_cond_wait(&w->work, &hs.mu);
		}
		w->idle = 0;
		/* Its lane first: blocks wait for their verdicts. */
		if (w->qn > 0)
			j = w->q[w->qhead];
		else {
			j = hs.runq[hs.rhead];
			hs.rhead = (hs.rhead + 1) % STORED_CHECK_RUNS;
			hs.rn--;
		}
		pthread_mutex_unlock(&hs.mu);
		if (j.run != NULL)
			j.run(j.owner, w->rbuf, STORED_CHECK_READ, w->rmd);
		else if (EVP_DigestUpdate(j.md, j.buf, j.len) != 1)
			fatalx("%s: SHA-1", __func__);
		pthread_mutex_lock(&hs.mu);
		/* Dequeued only now: the context is ours until here. */
		if (j.run == NULL) {
			w->qhead = (w->qhead + 1) % STORED_HASH_BUFS;
			w->qn--;
		}
		hs.queued--;
		hs.done[hs.dn++] = j;
		/*
		 * One wake-up per batch the loop has not reaped yet.  A run
		 * wakes it only once no more runs are left to take than
		 * there are workers: each wake-up takes a core from a
		 * worker for a while, and a check of 512 MiB has 128 runs.
		 */
		wake = !hs.woken && (j.run == NULL || hs.rn <= hs.nw);
		if (wake)
			hs.woken = 1;
		pthread_cond_signal(&hs.done_cv);
		pthread_mutex_unlock(&hs.mu);
		if (wake)
			while (write(hs.efd, &one, sizeof(one)) == -1 &&
			    errno == EINTR)
				;
	}
	return NULL;
}

/* Take the completed jobs: buffers back, the owner told.  Returns their
 * number. */
static unsigned
reap(int wait)
{
	static struct hjob	 got[STORED_HASH_BUFS + STORED_CHECK_RUNS];
	unsigned		 n, i;

	pthread_mutex_lock(&hs.mu);
	while (wait && hs.dn == 0 && hs.queued > 0)
		pthread_cond_wait(&hs.done_cv, &hs.mu);
	n = hs.dn;
	for (i = 0; i < n; i++)
		got[i] = hs.done[i];
	hs.dn = 0;
	hs.woken = 0;
	pthread_mutex_unlock(&hs.mu);
	for (i = 0; i < n; i++) {
		if (got[i].buf != NULL)
			hs.bufs[hs.nfree++] = got[i].buf;
		hs.out--;
		got[i].done(got[i].owner, got[i].len);
	}
	return n;
}

static void
ready(evutil_socket_t fd, short ev, void *arg)
{
	uint64_t v;

	(void)ev;
	(void)arg;
	(void)read(fd, &v, sizeof(v));
	(void)reap(0);
	stored_block_settle();
	stored_check_settle();
}

/* The CPUs stored may run on, from its affinity mask. */
static unsigned
ncpus(void)
{
	cpu_set_t	set;
	int		n;

	if (sched_getaffinity(0, sizeof(set), &set) == -1 ||
	    (n = CPU_COUNT(&set)) < 1)
		return 1;
	return (unsigned)n;
}

void
stored_hash_init(struct event_base *base)
{
	struct sigaction sa;
	uint8_t		*pool;
	unsigned	 i;
	int		 e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_bus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) == -1)
		fatal("%s: sigaction", __func__);
	/*
	 * One allocation, mapped by malloc and touched only where a buffer
	 * is used: 1,024 of them one by one would touch a page each for
	 * malloc's headers, 4 MiB resident before the first block.
	 */
	if ((pool = malloc((size_t)STORED_HASH_BUFS * ARENA_SLOT_SIZE)) ==
	    NULL)
		fatal("%s", __func__);
	for (i = 0; i < STORED_HASH_BUFS; i++)
		hs.bufs[i] = pool + (size_t)i * ARENA_SLOT_SIZE;
	hs.nfree = STORED_HASH_BUFS;
	if ((hs.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("%s: eventfd", __func__);
	pthread_mutex_init(&hs.mu, NULL);
	pthread_cond_init(&hs.done_cv, NULL);
	hs.nw = ncpus();
	if (hs.nw > STORED_HASH_WORKERS)
		hs.nw = STORED_HASH_WORKERS;
	for (i = 0; i < hs.nw; i++) {
		pthread_cond_init(&hs.w[i].work, NULL);
		if ((hs.w[i].rbuf = malloc(STORED_CHECK_READ)) == NULL ||
		    (hs.w[i].rmd = EVP_MD_CTX_new()) == NULL)
			fatal("%s", __func__);
		if ((e = pthread_create(&hs.w[i].thr, NULL, worker,
		    &hs.w[i])) != 0) {
			errno = e;
			fatal("%s: hash thread", __func__);
		}
	}
	log_info("hashing in %u thread%s", hs.nw, hs.nw == 1 ? "" : "s");
	hs.ev = event_new(base, hs.efd, EV_READ | EV_PERSIST, ready, NULL);
	if (hs.ev == NULL || event_add(hs.ev, NULL) == -1)
		fatalx("%s: event", __func__);
}

unsigned
stored_hash_workers(void)
{
	return hs.nw;
}

uint8_t *
stored_hash_buf(void)
{
	while (hs.nfree == 0)
		if (reap(1) == 0 && hs.out == 0)
			fatalx("%s: every buffer is out, no job", __func__);
	return hs.bufs[--hs.nfree];
}

void
stored_hash_put(uint8_t *buf)
{
	hs.bufs[hs.nfree++] = buf;
}

void
stored_hash_submit(void *md, unsigned lane, uint8_t *buf, uint32_t len,
    void (*done)(void *, uint32_t), void *owner)
{
	struct hjob	 j = { md, buf, len, NULL, done, owner };
	struct hworker	*w = &hs.w[lane % hs.nw];

	pthread_mutex_lock(&hs.mu);
	/* Room: every queued job holds one of the STORED_HASH_BUFS. */
	w->q[(w->qhead + w->qn) % STORED_HASH_BUFS] = j;
	if (w->qn++ == 0)
		pthread_cond_signal(&w->work);
	hs.queued++;
	pthread_mutex_unlock(&hs.mu);
	hs.out++;
}

void
stored_hash_run(stored_hash_fn run, void (*done)(void *, uint32_t),
    void *owner)
{
	struct hjob	 j = { NULL, NULL, 0, run, done, owner };
	unsigned	 i;

	pthread_mutex_lock(&hs.mu);
	/* Room: the check has at most STORED_CHECK_RUNS out. */
	if (hs.rn == STORED_CHECK_RUNS)
		fatalx("%s: more than %u runs", __func__, STORED_CHECK_RUNS);
	hs.runq[(hs.rhead + hs.rn++) % STORED_CHECK_RUNS] = j;
	hs.queued++;
	/* One sleeper woken a run; busy workers look before they sleep. */
	for (i = 0; i < hs.nw; i++)
		if (hs.w[i].idle) {
			hs.w[i].idle = 0;
			pthread_cond_signal(&hs.w[i].work);
			break;
		}
	pthread_mutex_unlock(&hs.mu);
	hs.out++;
}

uint64_t
stored_hash_outstanding(void)
{
	return hs.out;
}
