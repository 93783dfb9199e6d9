/*
 * peerd_rate.c -- rate and connection limits: token buckets for the
 * global download and upload limits (Config download_rate_limit,
 * upload_rate_limit, in KiB/s) and each torrent's (PeerdTorrentLimits,
 * bytes a second), and the connection limits (Config peer_limit_global,
 * peer_limit_per_torrent; PeerdTorrentLimits.peer_limit).
 *
 * A byte read from or written to a peer socket takes a token from the
 * global bucket of its direction and from its torrent's, so a limit
 * counts what the wire carries: the handshake, message headers, control
 * messages and, estimated (rate_cost()), the TCP/IP headers -- not the
 * payload alone.  A connection reads while both buckets hold a token;
 * a read may take more than there is (the bucket goes below 0 by at most
 * one read), which the next refills pay back, so over time the rate
 * holds.  A write is cut to the tokens there are.  A connection a limit
 * holds has its read or write event off and its rate_wait flag set; the
 * refill every RATE_TICK_MS turns the event on again.
 *
 * The rate_bucket_* functions are pure (the time is passed in) for the
 * unit tests.  With no limit anywhere rate_on is 0 and the read and
 * write paths pay one test of it and nothing else; the timer is off.
 *
 * Rejected alternatives: waking every waiting connection at each refill
 * -- the event loop serves ready sockets in a fixed order, so the first
 * would take the tokens every time and the others starve (a handshake
 * then times out); and a bucket of its own for each connection, whose
 * tokens go unused while it has nothing to read or send.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "peerd.h"

/* ---- token buckets, pure ---- */

static uint64_t
bucket_burst(uint64_t rate)
{
	uint64_t b = rate * RATE_BURST_MS / 1000;

	return b > RATE_BURST_MIN ? b : RATE_BURST_MIN;
}

void
rate_bucket_set(struct rate_bucket *b, uint64_t rate, uint64_t now)
{
	if (rate > RATE_MAX)
		rate = RATE_MAX;
	if (b->rate == 0 && rate != 0) {
		/* From unlimited: a fresh bucket, full. */
		b->burst = bucket_burst(rate);
		b->tokens = (int64_t)b->burst;
		b->frac = 0;
	} else if (rate != 0) {
		/* What is there stays, within the new burst. */
		rate_bucket_refill(b, now);
		b->burst = bucket_burst(rate);
		if (b->tokens > (int64_t)b->burst)
			b->tokens = (int64_t)b->burst;
	}
	b->rate = rate;
	b->last_ms = now;
}

void
rate_bucket_refill(struct rate_bucket *b, uint64_t now)
{
	uint64_t add, dt;

	if (b->rate == 0 || now <= b->last_ms) {
		if (now > b->last_ms)
			b->last_ms = now;
		return;
	}
	dt = now - b->last_ms;
	if (dt > 60000)
		dt = 60000;	/* full long before: no overflow */
	b->frac += b->rate * dt;
	add = b->frac / 1000;
	b->frac %= 1000;
	b->last_ms = now;
	if (b->tokens + (int64_t)add > (int64_t)b->burst) {
		b->tokens = (int64_t)b->burst;
		b->frac = 0;
	} else
		b->tokens += (int64_t)add;
}

int64_t
rate_bucket_avail(const struct rate_bucket *b)
{
	return b->rate == 0 ? INT64_MAX : b->tokens;
}

void
rate_bucket_take(struct rate_bucket *b, uint64_t n)
{
	if (b->rate == 0)
		return;
	if (n > (uint64_t)INT64_MAX / 2)
		n = (uint64_t)INT64_MAX / 2;
	/* The debt is bounded by one read or write; keep it so. */
	if (b->tokens < INT64_MIN / 2 + (int64_t)n)
		b->tokens = INT64_MIN / 2;
	else
		b->tokens -= (int64_t)n;
}

uint64_t
rate_cost(uint64_t n)
{
	return n + (n + RATE_MSS - 1) / RATE_MSS * RATE_IP_OVERHEAD;
}

/* ---- the running role ---- */

int			 rate_on;
static struct rate_bucket gdown, gup;	/* the global limits */
static uint32_t		 max_conns = PEERD_MAX_CONNS;
static uint32_t		 max_torrent_conns = PEERD_MAX_TORRENT_CONNS;
static struct event	*refill_ev;

static void	refill(evutil_socket_t, short, void *);

void
rate_init(struct event_base *base)
{
	refill_ev = event_new(base, -1, EV_PERSIST, refill, NULL);
	if (refill_ev == NULL)
		fatalx("rate_init: timer");
}

/* Torrents with a limit of their own, kept by rate_torrent_set(). */
static uint32_t nlimited;

/* Is a limit in force anywhere?  The timer runs while one is. */
static void
rate_update(void)
{
	struct timeval	 tv = { 0, RATE_TICK_MS * 1000 };
	int		 on = gdown.rate != 0 || gup.rate != 0 ||
			    nlimited > 0;

	if (on && !rate_on && refill_ev != NULL)
		event_add(refill_ev, &tv);
	if (!on && rate_on) {
		if (refill_ev != NULL)
			event_del(refill_ev);
		/* Nothing holds anyone any more. */
		rate_on = 0;
		rate_tick(peerd_now_ms());
	}
	rate_on = on;
}

static int
parse_num(const char *value, uint64_t max, uint64_t *out)
{
	char			*end;
	unsigned long long	 n;

	if (*value < '0' || *value > '9')
		return -1;
	errno = 0;
	n = strtoull(value, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*out = n;
	return 0;
}

void
rate_config(const char *key, const char *value)
{
	uint64_t	 n, now = peerd_now_ms();

	if (strcmp(key, "download_rate_limit") == 0 ||
	    strcmp(key, "upload_rate_limit") == 0) {
		if (parse_num(value, RATE_MAX / 1024, &n) == -1) {
			log_warnx("config: bad %s", key);
			return;
		}
		rate_bucket_set(key[0] == 'd' ? &gdown : &gup, n * 1024, now);
		rate_update();
	} else if (strcmp(key, "peer_limit_global") == 0 ||
	    strcmp(key, "peer_limit_per_torrent") == 0) {
		if (parse_num(value, PEERD_MAX_CONNS, &n) == -1 || n == 0) {
			log_warnx("config: bad %s", key);
			return;
		}
		if (key[11] == 'g')
			max_conns = (uint32_t)n;
		else
			max_torrent_conns = (uint32_t)n;
	}
}

void
rate_torrent_set(struct torrent *t, uint64_t down, uint64_t up,
    uint32_t max_peers)
{
	uint64_t	 now = peerd_now_ms();
	int		 was = t->rdown.rate != 0 || t->rup.rate != 0;

	rate_bucket_set(&t->rdown, down, now);
	rate_bucket_set(&t->rup, up, now);
	if (was && t->rdown.rate == 0 && t->rup.rate == 0)
		nlimited--;
	else if (!was && (t->rdown.rate != 0 || t->rup.rate != 0))
		nlimited++;
	t->max_peers = max_peers > PEERD_MAX_CONNS ? PEERD_MAX_CONNS :
	    max_peers;
	rate_update();
}

uint64_t
rate_torrent_up(const struct torrent *t)
{
	if (t->rup.rate != 0 && (gup.rate == 0 || t->rup.rate < gup.rate))
		return t->rup.rate;
	return gup.rate;
}

uint32_t
rate_max_conns(void)
{
	return max_conns;
}

uint32_t
rate_max_torrent_conns(const struct torrent *t)
{
	uint32_t n = max_torrent_conns;

	if (t != NULL && t->max_peers != 0)
		n = t->max_peers;
	return n < max_conns ? n : max_conns;
}

/* The buckets of one direction (0 down, 1 up) that p's bytes go to. */
static struct rate_bucket *
torrent_bucket(const struct peer *p, int dir)
{
	if (p->t == NULL)
		return NULL;
	return dir == 0 ? &p->t->rdown : &p->t->rup;
}

static int64_t
avail(const struct peer *p, int dir)
{
	const struct rate_bucket	*tb = torrent_bucket(p, dir);
	int64_t				 a;

	a = rate_bucket_avail(dir == 0 ? &gdown : &gup);
	if (tb != NULL && rate_bucket_avail(tb) < a)
		a = rate_bucket_avail(tb);
	return a;
}

/* p waits for tokens; it keeps its place if it was not served since. */
static void
hold(struct peer *p, int dir)
{
	static uint64_t seq;

	p->rate_wait |= dir == 0 ? RATE_WAIT_DOWN : RATE_WAIT_UP;
	if (p->rate_seq[dir] == 0)
		p->rate_seq[dir] = ++seq;
}

int
rate_recv_ok(struct peer *p)
{
	/* The handshake is never held: it has PEERD_HANDSHAKE_S. */
	if (p->state != ST_ACTIVE || avail(p, 0) > 0)
		return 1;
	hold(p, 0);
	conn_read_off(p);
	return 0;
}

static void
charge(struct peer *p, int dir, size_t n)
{
	struct rate_bucket	*tb = torrent_bucket(p, dir);
	uint64_t		 c = rate_cost(n);

	rate_bucket_take(dir == 0 ? &gdown : &gup, c);
	if (tb != NULL)
		rate_bucket_take(tb, c);
	p->rate_seq[dir] = 0;
}

void
rate_received(struct peer *p, size_t n)
{
	charge(p, 0, n);
}

size_t
rate_send_trim(struct peer *p, struct iovec *iov, size_t *niov, size_t total)
{
	int64_t	 a;
	size_t	 i, left;

	if (p->state != ST_ACTIVE)
		return total;
	if ((a = avail(p, 1)) <= 0) {
		hold(p, 1);
		event_del(p->wev);
		return 0;
	}
	if ((uint64_t)a >= total)
		return total;
	left = (size_t)a;
	for (i = 0; i < *niov; i++) {
		if (iov[i].iov_len >= left) {
			iov[i].iov_len = left;
			*niov = i + 1;
			break;
		}
		left -= iov[i].iov_len;
	}
	return (size_t)a;
}

void
rate_sent(struct peer *p, size_t n)
{
	charge(p, 1, n);
}

uint32_t
rate_upq(const struct peer *p)
{
	if (gup.rate != 0 || (p->t != NULL && p->t->rup.rate != 0))
		return RATE_UPQ_LIMITED;
	return PEERD_UPQ_MAX;
}

/*
 * The peers waiting in one direction, in the order they began to wait,
 * while the tokens last: each is counted for one block's read or write
 * (what one takes at most, near enough), so a peer that was just served
 * waits behind those that were not, and no connection starves.  With
 * no limit left, all of them.
 */
static void
wake(int dir)
{
	struct torrent	*t;
	struct peer	*p, *first;
	int64_t		 budget = rate_bucket_avail(dir == 0 ? &gdown : &gup);
	int64_t		 cost = (int64_t)rate_cost(PEERD_BLOCK + WIRE_PIECE_HDR);
	int		 flag = dir == 0 ? RATE_WAIT_DOWN : RATE_WAIT_UP;

	TAILQ_FOREACH(t, &torrents, entry)
		t->wake_budget = rate_bucket_avail(dir == 0 ? &t->rdown :
		    &t->rup);
	while (budget > 0) {
		first = NULL;
		TAILQ_FOREACH(p, &conn_peers, all) {
			if (!(p->rate_wait & flag) || p->dead ||
			    (rate_on && p->t != NULL && p->t->wake_budget <= 0))
				continue;
			if (first == NULL || p->rate_seq[dir] <
			    first->rate_seq[dir])
				first = p;
		}
		if (first == NULL)
			break;
		first->rate_wait &= ~flag;
		if (dir == 1)
			event_add(first->wev, NULL);
		else if (!first->stalled)
			conn_read_on(first);	/* a stalled one: on a slot */
		if (!rate_on)
			continue;
		if (budget != INT64_MAX)
			budget -= cost;
		if (first->t != NULL && first->t->wake_budget != INT64_MAX)
			first->t->wake_budget -= cost;
	}
}

void
rate_tick(uint64_t now)
{
	struct torrent	*t;

	rate_bucket_refill(&gdown, now);
	rate_bucket_refill(&gup, now);
	TAILQ_FOREACH(t, &torrents, entry) {
		rate_bucket_refill(&t->rdown, now);
		rate_bucket_refill(&t->rup, now);
	}
	wake(0);
	wake(1);
}

/* Every RATE_TICK_MS while a limit is in force. */
static void
refill(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	rate_tick(peerd_now_ms());
}
