/*
 * btd_seed.c -- what a torrent carries besides its data: its labels,
 * the time it has spent downloading and seeding, when payload last
 * moved, and when its seeding stops (seed ratio and idle limits).
 *
 * Takes LabelRequest (`btctl label`) and SetTorrentRequest's seed-*
 * keys (through btd_limits.c); fills TorrentSummary's labels,
 * seconds_downloading, seconds_seeding, activity, seed and finished.
 *
 * All of it lives in the torrents row (migration 6).  The rows are read
 * once, for every torrent in one pass, when any is first needed; a
 * torrent added later reads its own row.  A one-second timer counts the
 * seconds of every torrent downloading or seeding (not paused, not in
 * error, not moving) and notes activity when its lifetime byte counters
 * changed.  What changed is written every SEED_FLUSH_SECONDS in one
 * transaction of at most about SEED_FLUSH_ROWS rows (with more torrents
 * counting, each is written in its turn: every 10 s up to 2,000 of them,
 * every 50 s at 10,000), and at shutdown; a crash of btd loses at most
 * that much counted time.  Labels and limits are written at once.
 *
 * Seed limits, as Transmission has them: a torrent's ratio mode and
 * idle mode are global (the session's seed_ratio_limit when
 * seed_ratio_limited is yes, seed_idle_limit when seed_idle_limited),
 * own (its seed-ratio-limit, seed-idle-limit) or unlimited.  A seeding
 * torrent whose ratio reaches the limit in force, or that has moved no
 * payload for the idle limit since it last started, is paused and
 * marked finished (seed_done, kept).  A finished torrent that is
 * resumed is no longer finished; if its ratio is still at the limit, its
 * ratio mode becomes unlimited, or it would stop again at once
 * (Transmission does the same on a manual start).
 *
 * Rejected alternative: a table of its own per torrent.  The values are
 * one per torrent and go with it; columns of the torrents row need no
 * join and go when the row does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "ctl.pb-c.h"

#include "btd.h"
#include "log.h"
#include "utf8.h"

/* Tunables. */
#define SEED_TICK_SECONDS	1	/* counting time */
#define SEED_FLUSH_SECONDS	10	/* counted time waits this long */
#define SEED_FLUSH_ROWS		2000	/* ... and about this many rows at
					   most are written each time */
#define SEED_RATIO_MAX		10000.0	/* a torrent's own ratio limit */
#define SEED_IDLE_MAX		525600	/* minutes: a year */
#define SEED_LABELS_TEXT	(SEED_LABELS_MAX * (SEED_LABEL_LEN + 1))

struct seed {
	char		**labels;	/* nlabels of them, or NULL */
	size_t		 nlabels;
	uint64_t	 secs_down;	/* every run */
	uint64_t	 secs_seed;
	int64_t		 activity;	/* wall clock; 0 never */
	double		 ratio;		/* its own limit */
	uint32_t	 ratio_mode;	/* SEED_MODE_* */
	uint32_t	 idle;		/* its own limit, minutes */
	uint32_t	 idle_mode;
	int		 done;		/* stopped at a limit */
	int		 dirty;		/* state.db is behind */
	int		 running;	/* at the last tick */
	int64_t		 since;		/* started running (wall clock) */
	uint64_t	 bytes;		/* downloaded + uploaded, last tick */
	int		 bytes_known;	/* bytes is set */
	Btd__SeedLimits	 sl;		/* for summaries */
};

static struct state	*sst;
static struct conf	*scf;
static struct event	*tick;
static int		 all_loaded;
static int		 ticks;

static void
labels_clear(struct seed *s)
{
	size_t	 i;

	for (i = 0; i < s->nlabels; i++)
		free(s->labels[i]);
	free(s->labels);
	s->labels = NULL;
	s->nlabels = 0;
}

/*
 * One label: 1 to SEED_LABEL_LEN bytes of UTF-8, no control character,
 * no comma (the separator in state.db and in Transmission's clients).
 * NULL if fine, else what is wrong.
 */
static const char *
label_invalid(const char *l)
{
	const unsigned char	*p;

	if (l[0] == '\0')
		return "an empty label";
	if (strlen(l) > SEED_LABEL_LEN)
		return "a label longer than 64 bytes";
	if (!utf8_valid(l))
		return "a label that is not UTF-8";
	for (p = (const unsigned char *)l; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return "a control character in a label";
		if (*p == ',')
			return "a comma in a label";
	}
	return NULL;
}

/* Set s's labels from l[0..n): duplicates once; -1 and err if bad. */
static int
labels_set(struct seed *s, char *const *l, size_t n, char *err,
    size_t errlen)
{
	char		*keep[SEED_LABELS_MAX], **l2 = NULL;
	const char	*why;
	size_t		 i, k, nk = 0;

	for (i = 0; i < n; i++) {
		if ((why = label_invalid(l[i])) != NULL) {
			snprintf(err, errlen, "%s (label %zu)", why, i + 1);
			goto fail;
		}
		for (k = 0; k < nk; k++)
			if (strcmp(keep[k], l[i]) == 0)
				break;
		if (k < nk)
			continue;
		if (nk == SEED_LABELS_MAX) {
			snprintf(err, errlen, "more than %d labels",
			    SEED_LABELS_MAX);
			goto fail;
		}
		if ((keep[nk] = strdup(l[i])) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		nk++;
	}
	if (nk > 0 && (l2 = reallocarray(NULL, nk, sizeof(*l2))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	labels_clear(s);
	if (nk > 0)
		memcpy(l2, keep, nk * sizeof(keep[0]));
	s->labels = l2;
	s->nlabels = nk;
	return 0;
fail:
	for (k = 0; k < nk; k++)
		free(keep[k]);
	return -1;
}

/* A row's labels ("a,b"); bad ones are dropped and logged. */
static void
labels_load(struct seed *s, const char *text, const uint8_t *ih)
{
	char	 buf[SEED_LABELS_TEXT + 1], *p, *c;
	char	*l[SEED_LABELS_MAX], err[128];
	size_t	 n = 0;

	if (strlen(text) > SEED_LABELS_TEXT) {
		log_warnx("state.db: %02x%02x...: labels too long; none",
		    ih[0], ih[1]);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (p = buf; *p != '\0' && n < SEED_LABELS_MAX; p = c) {
		c = p + strcspn(p, ",");
		if (*c == ',')
			*c++ = '\0';
		if (*p != '\0')
			l[n++] = p;
	}
	if (labels_set(s, l, n, err, sizeof(err)) == -1)
		log_warnx("state.db: %02x%02x...: %s; no labels", ih[0], ih[1],
		    err);
}

static struct seed *
seed_new(void)
{
	struct seed	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	btd__seed_limits__init(&s->sl);
	return s;
}

/* A state.db row into t (untrusted: out of range reads as the default). */
static void
seed_row(struct torrent *t, const struct state_seed *r)
{
	struct seed	*s;

	if (t->seed != NULL || (s = seed_new()) == NULL)
		return;
	labels_load(s, r->labels, t->ih);
	s->secs_down = progress_row_counter(r->secs_down);
	s->secs_seed = progress_row_counter(r->secs_seed);
	s->activity = r->activity > 0 ? r->activity : 0;
	if (isfinite(r->ratio) && r->ratio >= 0 && r->ratio <= SEED_RATIO_MAX)
		s->ratio = r->ratio;
	if (r->ratio_mode >= SEED_MODE_GLOBAL &&
	    r->ratio_mode <= SEED_MODE_UNLIMITED)
		s->ratio_mode = (uint32_t)r->ratio_mode;
	if (r->idle >= 0 && r->idle <= SEED_IDLE_MAX)
		s->idle = (uint32_t)r->idle;
	if (r->idle_mode >= SEED_MODE_GLOBAL &&
	    r->idle_mode <= SEED_MODE_UNLIMITED)
		s->idle_mode = (uint32_t)r->idle_mode;
	s->done = r->done != 0;
	t->seed = s;
}

static void
load_cb(const uint8_t *ih, const struct state_seed *r, void *arg)
{
	struct torrent	*t;

	if (arg != NULL)
		t = arg;
	else if ((t = torrent_by_hash(ih)) == NULL)
		return;
	seed_row(t, r);
}

/* t's seed record, read when first needed; NULL only without memory. */
static struct seed *
seed_get(struct torrent *t)
{
	if (t->seed != NULL)
		return t->seed;
	if (!all_loaded && sst != NULL) {
		all_loaded = 1;
		(void)state_seed_foreach(sst, NULL, load_cb, NULL);
	}
	if (t->seed == NULL && sst != NULL)
		(void)state_seed_foreach(sst, t->ih, load_cb, t);
	if (t->seed == NULL)
		t->seed = seed_new();
	return t->seed;
}

static int
seed_save(struct torrent *t, struct seed *s)
{
	struct state_seed	 r;
	char			 text[SEED_LABELS_TEXT + 1];
	size_t			 i, o = 0;

	text[0] = '\0';
	for (i = 0; i < s->nlabels; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s",
		    i > 0 ? "," : "", s->labels[i]);
	memset(&r, 0, sizeof(r));
	r.labels = text;
	r.secs_down = (int64_t)s->secs_down;
	r.secs_seed = (int64_t)s->secs_seed;
	r.activity = s->activity;
	r.ratio = s->ratio;
	r.ratio_mode = s->ratio_mode;
	r.idle = s->idle;
	r.idle_mode = s->idle_mode;
	r.done = s->done;
	if (sst == NULL || state_seed_save(sst, t->ih, &r) == -1)
		return -1;
	s->dirty = 0;
	return 0;
}

/*
 * The global limits, parsed again only when a setting changed: a list of
 * 10,000 torrents asks for them 10,000 times.
 */
static struct {
	uint64_t	 gen;		/* conf_generation() they are of */
	double		 ratio;		/* -1 none */
	uint32_t	 idle;		/* minutes; 0 none */
} glim;

static void
glim_get(void)
{
	double	 r;

	if (glim.gen == conf_generation())
		return;
	glim.gen = conf_generation();
	if (strcmp(conf_get(scf, "seed_ratio_limited"), "yes") != 0 ||
	    conf_parse_ratio(conf_get(scf, "seed_ratio_limit"), &r) == -1)
		r = -1;
	glim.ratio = r;
	glim.idle = strcmp(conf_get(scf, "seed_idle_limited"), "yes") != 0 ?
	    0 : (uint32_t)conf_get_int(scf, "seed_idle_limit");
}

/* The ratio limit in force for t; -1 none. */
static double
ratio_limit(const struct seed *s)
{
	if (s->ratio_mode == SEED_MODE_OWN)
		return s->ratio;
	if (s->ratio_mode == SEED_MODE_UNLIMITED)
		return -1;
	glim_get();
	return glim.ratio;
}

/* The idle limit in force, minutes; 0 none. */
static uint32_t
idle_limit(const struct seed *s)
{
	if (s->idle_mode == SEED_MODE_OWN)
		return s->idle;
	if (s->idle_mode == SEED_MODE_UNLIMITED)
		return 0;
	glim_get();
	return glim.idle;
}

static double
ratio_of(const struct torrent *t)
{
	return progress_ratio(t->uploaded, t->downloaded,
	    t->desc != NULL ? t->desc->total_size : 0);
}

/* Seeding is over: pause t, as btctl pause does. */
static void
seed_stop(struct torrent *t, struct seed *s, const char *why)
{
	log_info("%s: seeding stopped: %s", t->hex, why);
	s->done = 1;
	s->dirty = 1;
	t->paused = 1;
	torrent_changed(t);
	xfer_stop(t);
	tracker_stop(t);
	t->dirty = 1;
	xfer_flush();
	(void)seed_save(t, s);
}

static void
seed_flush(int all)
{
	static uint32_t	 turn;
	struct torrent	*t;
	uint32_t	 n = 0, slices;

	TAILQ_FOREACH(t, &torrents, entry)
		if (t->seed != NULL && t->seed->dirty)
			n++;
	if (n == 0 || sst == NULL)
		return;
	/* In slices by state.db's number: each its turn, all at the end. */
	slices = all ? 1 : (n + SEED_FLUSH_ROWS - 1) / SEED_FLUSH_ROWS;
	turn = (turn + 1) % slices;
	if (state_begin(sst) == -1)
		return;
	TAILQ_FOREACH(t, &torrents, entry)
		if (t->seed != NULL && t->seed->dirty &&
		    t->seq % slices == turn && seed_save(t, t->seed) == -1) {
			state_rollback(sst);
			return;
		}
	if (state_commit(sst) == -1)
		log_warnx("state: seeding times not written");
}

static void
seed_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval	 tv = { SEED_TICK_SECONDS, 0 };
	struct torrent	*t, *next;
	struct seed	*s;
	int64_t		 now = (int64_t)time(NULL), from;
	uint64_t	 bytes;
	double		 lim;
	uint32_t	 idle;
	char		 why[128];
	int		 running;

	(void)fd;
	(void)ev;
	(void)arg;
	for (t = TAILQ_FIRST(&torrents); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		running = !t->paused && t->move_to == NULL &&
		    (t->state == TST_DOWNLOADING || t->state == TST_SEEDING);
		if (!running && t->seed == NULL)
			continue;
		if ((s = seed_get(t)) == NULL)
			continue;
		bytes = sat_add(t->downloaded, t->uploaded);
		if (s->bytes_known && bytes != s->bytes) {
			s->activity = now;
			s->dirty = 1;
		}
		s->bytes = bytes;
		s->bytes_known = 1;
		if (!running) {
			s->running = 0;
			continue;
		}
		if (!s->running) {
			s->running = 1;
			s->since = now;
		}
		if (t->state == TST_DOWNLOADING)
			s->secs_down++;
		else
			s->secs_seed++;
		s->dirty = 1;
		if (t->state != TST_SEEDING)
			continue;
		if (s->done) {
			/* Resumed by hand after its limit: it seeds on. */
			s->done = 0;
			lim = ratio_limit(s);
			if (lim >= 0 && ratio_of(t) >= lim)
				s->ratio_mode = SEED_MODE_UNLIMITED;
			if (idle_limit(s) > 0)
				s->since = now;
			(void)seed_save(t, s);
			continue;
		}
		lim = ratio_limit(s);
		if (lim >= 0 && ratio_of(t) >= lim) {
			snprintf(why, sizeof(why), "ratio %.2f reached its "
			    "limit %.2f", ratio_of(t), lim);
			seed_stop(t, s, why);
			continue;
		}
		idle = idle_limit(s);
		from = s->activity > s->since ? s->activity : s->since;
		if (idle > 0 && now - from >= (int64_t)idle * 60) {
			snprintf(why, sizeof(why), "idle for %u minutes",
			    idle);
			seed_stop(t, s, why);
		}
	}
	if (++ticks % SEED_FLUSH_SECONDS == 0)
		seed_flush(0);
	evtimer_add(tick, &tv);
}

void
seed_init(struct event_base *base, struct conf *cf, struct state *st)
{
	struct timeval	 tv = { SEED_TICK_SECONDS, 0 };

	sst = st;
	scf = cf;
	if ((tick = evtimer_new(base, seed_tick, NULL)) == NULL ||
	    evtimer_add(tick, &tv) == -1)
		fatalx("seed: timer");
}

void
seed_shutdown(void)
{
	seed_flush(1);
	if (tick != NULL) {
		event_free(tick);
		tick = NULL;
	}
}

void
seed_free(struct torrent *t)
{
	if (t->seed == NULL)
		return;
	labels_clear(t->seed);
	free(t->seed);
	t->seed = NULL;
}

void
seed_summary(struct torrent *t, Btd__TorrentSummary *sum)
{
	struct seed	*s;

	if ((s = seed_get(t)) == NULL)
		return;
	sum->labels = s->labels;
	sum->n_labels = s->nlabels;
	sum->seconds_downloading = s->secs_down;
	sum->seconds_seeding = s->secs_seed;
	sum->activity = s->activity;
	s->sl.ratio_limit = s->ratio;
	s->sl.ratio_mode = s->ratio_mode;
	s->sl.idle_limit = s->idle;
	s->sl.idle_mode = s->idle_mode;
	s->sl.ratio_effective = ratio_limit(s);
	s->sl.idle_effective = idle_limit(s);
	sum->seed = &s->sl;
	sum->finished = s->done;
}

void
seed_ctl_label(int client, const Btd__LabelRequest *req)
{
	struct torrent	*t;
	struct seed	*s;
	char		 err[256];
	size_t		 i;

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	for (i = 0; i < req->n_labels; i++)
		if (!utf8_valid(req->labels[i])) {
			ctl_send_error(client, "a label that is not UTF-8 "
			    "(label %zu)", i + 1);
			return;
		}
	if ((s = seed_get(t)) == NULL) {
		ctl_send_error(client, "out of memory");
		return;
	}
	if (labels_set(s, req->labels, req->n_labels, err, sizeof(err)) ==
	    -1) {
		ctl_send_error(client, "label: %s", err);
		return;
	}
	if (seed_save(t, s) == -1) {
		ctl_send_error(client, "labels could not be saved in state.db");
		return;
	}
	log_info("%s: %zu label%s", t->hex, s->nlabels,
	    s->nlabels == 1 ? "" : "s");
	torrent_reply_summary(client, t);
}

/* "global", "own", "unlimited" or 0, 1, 2; -1 otherwise. */
static int
parse_mode(const char *v)
{
	if (strcmp(v, "global") == 0 || strcmp(v, "0") == 0)
		return SEED_MODE_GLOBAL;
	if (strcmp(v, "own") == 0 || strcmp(v, "1") == 0)
		return SEED_MODE_OWN;
	if (strcmp(v, "unlimited") == 0 || strcmp(v, "2") == 0)
		return SEED_MODE_UNLIMITED;
	return -1;
}

int
seed_set(struct torrent *t, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct seed	*s;
	double		 r;
	char		 esc[64];
	long		 n;
	char		*end;
	int		 mode;

	if ((s = seed_get(t)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log_escape(esc, sizeof(esc), value, strlen(value));
	if (strcmp(key, "seed-ratio-limit") == 0) {
		if (conf_parse_ratio(value, &r) == -1) {
			snprintf(err, errlen, "%s: '%s' is not a ratio from 0 "
			    "to 10000 (at most two decimals)", key, esc);
			return -1;
		}
		s->ratio = r;
	} else if (strcmp(key, "seed-idle-limit") == 0) {
		n = value[0] >= '0' && value[0] <= '9' && strlen(value) <= 6 ?
		    strtol(value, &end, 10) : -1;
		if (n < 0 || *end != '\0' || n > SEED_IDLE_MAX) {
			snprintf(err, errlen, "%s: '%s' is not a number of "
			    "minutes from 0 to %d", key, esc, SEED_IDLE_MAX);
			return -1;
		}
		s->idle = (uint32_t)n;
	} else if (strcmp(key, "seed-ratio-mode") == 0 ||
	    strcmp(key, "seed-idle-mode") == 0) {
		if ((mode = parse_mode(value)) == -1) {
			snprintf(err, errlen, "%s: '%s' is not global, own or "
			    "unlimited", key, esc);
			return -1;
		}
		if (key[5] == 'r')
			s->ratio_mode = (uint32_t)mode;
		else
			s->idle_mode = (uint32_t)mode;
	} else {
		snprintf(err, errlen, "unknown torrent setting '%s'", key);
		return -1;
	}
	if (seed_save(t, s) == -1) {
		snprintf(err, errlen, "%s: could not be saved in state.db",
		    key);
		return -1;
	}
	log_info("%s: %s set to %s", t->hex, key, esc);
	return 0;
}
