/*
 * trackerd_cand.c -- the candidate peers of one torrent: where each was
 * learned, what peerd made of it, and which to hand peerd next.  Plain C
 * without I/O or a clock of its own: every call that needs the time is
 * given it, so unit tests drive it on a fake clock.
 *
 * Intake: trackers, a magnet's x.pe, PEX, peers that connected to us
 * (with their listen port), and the known-peer cache btd keeps in
 * state.db.  One entry per address and port, at most CAND_MAX, of which
 * at most CAND_PEX_MAX are known from PEX alone, so that PEX cannot
 * push out what trackers said.  A full list drops the least useful
 * entry: never good before good, then the least recently seen; a banned
 * entry is kept, so the ban is not forgotten by a re-announce.
 *
 * BEP 27: a private torrent takes peers from its trackers and from
 * incoming connections only.  A cache entry of a private torrent is
 * taken only if it was learned from one of those (the cache keeps the
 * sources with each peer): nothing from x.pe or PEX ever gets in.
 *
 * Ranking (cand_rank): banned never; a failing entry waits out its
 * backoff (CAND_BACKOFF_FIRST after its first failure in a row,
 * doubling up to CAND_BACKOFF_MAX; a success resets it).  Of the rest,
 * recently good first (the latest success first), then the never tried
 * (the freshest first), then the others (fewest failures in a row, then
 * the longest untried).
 *
 * Rejected: a score mixing all of these into one number.  Classes with
 * a plain order are easier to explain in btctl trackers and to test.
 * Rejected too: holding back an entry handed out a moment ago.  peerd
 * drops what its dial queue holds already, and a hold kept a torrent
 * that peerd had just restarted (resume, a new peerd) from its peers.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trackerd.h"

static size_t
alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int
same(const struct tr_peer *a, const struct tr_peer *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, alen(a->family)) == 0;
}

void
cand_list_init(struct cand_list *l, int private)
{
	memset(l, 0, sizeof(*l));
	l->private = private;
}

void
cand_list_free(struct cand_list *l)
{
	if (l == NULL)
		return;
	free(l->c);
	l->c = NULL;
	l->n = 0;
}

int
cand_allowed(const struct cand_list *l, unsigned sources)
{
	if (!l->private)
		return 1;
	return (sources & (CSRC_TRACKER | CSRC_INCOMING)) != 0;
}

void
cand_list_set_private(struct cand_list *l, int private)
{
	size_t i, k = 0;

	l->private = private;
	if (!private)
		return;
	for (i = 0; i < l->n; i++) {
		/* What a public start learned from elsewhere goes. */
		l->c[i].sources &= CSRC_TRACKER | CSRC_INCOMING | CSRC_CACHE;
		if (!cand_allowed(l, l->c[i].sources))
			continue;
		if (!cand_allowed(l, l->c[i].origin))
			l->c[i].origin = (l->c[i].sources & CSRC_TRACKER) ?
			    CSRC_TRACKER : CSRC_INCOMING;
		l->c[k++] = l->c[i];
	}
	l->n = k;
}

struct cand *
cand_find(struct cand_list *l, const struct tr_peer *p)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (same(&l->c[i].p, p))
			return &l->c[i];
	return NULL;
}

/* 1 if a is a better victim than b: never good first, then oldest seen. */
static int
worse(const struct cand *a, const struct cand *b)
{
	if ((a->last_ok == 0) != (b->last_ok == 0))
		return a->last_ok == 0;
	return a->last_seen < b->last_seen;
}

struct cand *
cand_add(struct cand_list *l, const struct tr_peer *p, unsigned sources,
    time_t now)
{
	struct cand	*c = NULL, *victim = NULL, *pvictim = NULL;
	size_t		 i, npex = 0;
	int		 pexonly = sources == CSRC_PEX;

	if (p->port == 0 || (p->family != AF_INET && p->family != AF_INET6) ||
	    sources == 0 || !cand_allowed(l, sources))
		return NULL;
	for (i = 0; i < l->n; i++) {
		c = &l->c[i];
		if (same(&c->p, p)) {
			c->sources |= sources;
			if (now > c->last_seen)
				c->last_seen = now;
			return c;
		}
		if (c->banned)
			continue;
		if (c->sources == CSRC_PEX) {
			npex++;
			if (pvictim == NULL || worse(c, pvictim))
				pvictim = c;
		}
		if (victim == NULL || worse(c, victim))
			victim = c;
	}
	if (pexonly && npex >= CAND_PEX_MAX)
		c = pvictim;		/* PEX makes room among its own */
	else if (l->n < CAND_MAX) {
		if (l->c == NULL && (l->c = calloc(CAND_MAX,
		    sizeof(*l->c))) == NULL)
			return NULL;
		c = &l->c[l->n++];
	} else
		c = victim;
	if (c == NULL)
		return NULL;		/* every entry is a ban */
	memset(c, 0, sizeof(*c));
	c->p = *p;
	c->sources = sources;
	/* The one source named when it is handed out: the first. */
	c->origin = sources & CSRC_CACHE ? CSRC_CACHE : sources & -sources;
	c->first_seen = c->last_seen = now;
	return c;
}

int
cand_pex(struct cand_list *l, const struct tr_peer *p, size_t n, time_t now)
{
	size_t i;
	int taken = 0;

	if (l->private || n > CAND_PEX_ADDED)
		return -1;
	for (i = 0; i < n; i++)
		if (cand_add(l, &p[i], CSRC_PEX, now) != NULL)
			taken++;
	return taken;
}

time_t
cand_backoff(uint32_t fails_row)
{
	time_t d = CAND_BACKOFF_FIRST;

	if (fails_row == 0)
		return 0;
	while (--fails_row > 0 && d < CAND_BACKOFF_MAX)
		d *= 2;
	return d < CAND_BACKOFF_MAX ? d : CAND_BACKOFF_MAX;
}

void
cand_result(struct cand *c, int ok, time_t now)
{
	c->attempts++;
	c->last_attempt = now;
	if (ok) {
		c->fails_row = 0;
		c->last_ok = now;
	} else {
		c->failures++;
		c->fails_row++;
	}
}

time_t
cand_next_try(const struct cand *c)
{
	time_t at = 0;

	if (c->banned)
		return CAND_NEVER;
	if (c->fails_row > 0)
		at = c->last_attempt + cand_backoff(c->fails_row);
	return at;
}

struct rank {
	struct cand	*c;
	int		 class;
	int64_t		 k1, k2;	/* smaller first */
};

static int
cmp_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->class != y->class)
		return x->class - y->class;
	if (x->k1 != y->k1)
		return (x->k1 > y->k1) - (x->k1 < y->k1);
	return (x->k2 > y->k2) - (x->k2 < y->k2);
}

size_t
cand_rank(struct cand_list *l, time_t now, struct cand **out, size_t max)
{
	struct rank	*r;
	struct cand	*c;
	size_t		 i, n = 0;

	if (l->n == 0 || max == 0 || (r = calloc(l->n, sizeof(*r))) == NULL)
		return 0;
	for (i = 0; i < l->n; i++) {
		c = &l->c[i];
		if (cand_next_try(c) > now)
			continue;
		r[n].c = c;
		if (c->last_ok != 0 && c->fails_row == 0 &&
		    now - c->last_ok < CAND_GOOD_RECENT) {
			r[n].class = 0;
			r[n].k1 = -(int64_t)c->last_ok;
		} else if (c->attempts == 0) {
			r[n].class = 1;
			r[n].k1 = -(int64_t)c->last_seen;
		} else {
			r[n].class = 2;
			r[n].k1 = c->fails_row;
			r[n].k2 = c->last_attempt;
		}
		n++;
	}
	qsort(r, n, sizeof(*r), cmp_rank);
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		out[i] = r[i].c;
	free(r);
	return n;
}

size_t
cand_ban(struct cand_list *l, const struct tr_peer *p)
{
	struct cand *c;

	if ((c = cand_find(l, p)) == NULL)
		return 0;
	c->banned = 1;
	return 1;
}

static int
cmp_known(const void *a, const void *b)
{
	const struct cand *x = *(const struct cand *const *)a;
	const struct cand *y = *(const struct cand *const *)b;

	return (x->last_ok < y->last_ok) - (x->last_ok > y->last_ok);
}

size_t
cand_known(struct cand_list *l, struct cand **out, size_t max)
{
	struct cand	**all;
	size_t		 i, n = 0;

	if (l->n == 0 || max == 0 || (all = calloc(l->n,
	    sizeof(*all))) == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->c[i].last_ok != 0 && !l->c[i].banned &&
		    l->c[i].fails_row < CAND_KNOWN_FAILS &&
		    cand_allowed(l, l->c[i].sources))
			all[n++] = &l->c[i];
	qsort(all, n, sizeof(*all), cmp_known);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

static const struct {
	unsigned	 bit;
	const char	*name;
} srcnames[] = {
	{ CSRC_TRACKER, "tracker" },
	{ CSRC_MAGNET, "magnet" },
	{ CSRC_PEX, "pex" },
	{ CSRC_INCOMING, "incoming" },
	{ CSRC_CACHE, "cache" },
};

const char *
cand_source_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < sizeof(srcnames) / sizeof(srcnames[0]); i++)
		if (srcnames[i].bit == bit)
			return srcnames[i].name;
	return NULL;
}

void
cand_sources_str(unsigned sources, char *out, size_t len)
{
	size_t i, o = 0;
	int n;

	if (len == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < sizeof(srcnames) / sizeof(srcnames[0]); i++) {
		if (!(sources & srcnames[i].bit))
			continue;
		n = snprintf(out + o, len - o, "%s%s", o ? "," : "",
		    srcnames[i].name);
		if (n < 0 || (size_t)n >= len - o)
			return;
		o += (size_t)n;
	}
}

int
cand_sources_parse(const char *s, unsigned *sources)
{
	const char	*p, *e;
	size_t		 i, len;
	unsigned	 bits = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s;; p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		for (i = 0; i < sizeof(srcnames) / sizeof(srcnames[0]); i++)
			if (strlen(srcnames[i].name) == len &&
			    memcmp(srcnames[i].name, p, len) == 0)
				break;
		if (i == sizeof(srcnames) / sizeof(srcnames[0]))
			return -1;
		bits |= srcnames[i].bit;
		if (*e == '\0')
			break;
	}
	*sources = bits;
	return 0;
}
