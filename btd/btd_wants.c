/*
 * btd_wants.c -- what each torrent wants of its pieces: a priority per
 * file (skip, low, normal, high) and sequential mode.
 *
 * Takes `btctl files ID --priority N=PRIO,...` and `btctl set-torrent ID
 * sequential on|off` (both as SetTorrentRequest, through btd_limits.c),
 * and sends peerd a PeerdTorrentPick when a running torrent's wants
 * change (btd_xfer.c puts one in every PeerdTorrentAdd).  A piece has
 * the highest priority of the files it touches; a pad file (BEP 47)
 * counts as the file before it, so padding after a skipped file is not
 * fetched for its sake.
 *
 * A torrent is complete for what was asked when every piece that is not
 * skipped is verified: its state is then "seeding" (it serves what it
 * has) and btctl shows it as "finished" while pieces are missing.  Its
 * `left` (trackers, btctl) counts the wanted pieces only.
 *
 * They live in state.db's meta table as the limits do: key
 * STATE_WANTS_KEY and the hex info-hash, value "S P" -- S is 0 or 1
 * (sequential), P one digit a file (0 skip to 3 high), empty while every
 * file is normal.  A row that does not parse, or whose digits do not
 * match the files, reads as nothing wanted differently, and is logged.
 *
 * Rejected alternative: a column of the torrents table (a migration);
 * like the limits, most torrents never set any, and the meta row goes
 * with the torrent (state_torrent_delete()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.pb-c.h"
#include "peerd.pb-c.h"

#include "btd.h"
#include "chan.h"
#include "log.h"
#include "msg.h"
#include "util.h"

#define WANTS_RUNS_MAX	40000	/* runs in a PeerdTorrentPick (peerd's
				   PEERD_PICK_RUNS_MAX) */

static struct state	*wst;

/* Memory for a few bytes a file or piece: none left is fatal, as
 * everywhere in btd. */
static void *
wcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL)
		fatal("%s", __func__);
	return p;
}

static void *
wmalloc(size_t n)
{
	return wcalloc(1, n);
}

static const char *const prio_names[] = {
	[WANT_SKIP] = "skip",
	[WANT_LOW] = "low",
	[WANT_NORMAL] = "normal",
	[WANT_HIGH] = "high",
};

void
wants_init(struct state *s)
{
	wst = s;
}

const char *
wants_prio_name(uint32_t p)
{
	return p <= WANT_HIGH ? prio_names[p] : "?";
}

static size_t
nfiles(const struct torrent *t)
{
	return t->desc != NULL ? t->desc->n_files : 0;
}

/* A meta row's value "S P..." into t's wants. */
static void
wants_parse(struct torrent *t, const char *v)
{
	size_t	i, n, len;
	int	bad = 0;

	len = strlen(v);
	n = len > 2 ? len - 2 : 0;
	if (len < 2 || (v[0] != '0' && v[0] != '1') || v[1] != ' ')
		bad = 1;
	for (i = 0; !bad && i < n; i++)
		if (v[2 + i] < '0' || v[2 + i] > '0' + WANT_HIGH)
			bad = 1;
	if (bad) {
		log_warnx("state.db: %s: wants that do not parse; none",
		    t->hex);
		return;
	}
	t->sequential = v[0] == '1';
	/* Priorities are kept for a torrent whose files are known. */
	if (n > 0 && n != nfiles(t))
		log_warnx("state.db: %s: %zu file priorities for %zu files; "
		    "none", t->hex, n, nfiles(t));
	else if (n > 0) {
		t->fprio = wmalloc(n);
		for (i = 0; i < n; i++)
			t->fprio[i] = (uint8_t)(v[2 + i] - '0');
	}
}

static void
wants_load(struct torrent *t)
{
	char	key[sizeof(STATE_WANTS_KEY) + 40], *v = NULL;

	if (t->want_loaded)
		return;
	t->want_loaded = 1;
	t->sequential = 0;
	free(t->fprio);
	t->fprio = NULL;
	if (wst == NULL)
		return;
	snprintf(key, sizeof(key), "%s%s", STATE_WANTS_KEY, t->hex);
	if (state_meta_get(wst, key, &v) != 1)
		return;
	wants_parse(t, v);
	free(v);
}

static void
wants_row(const char *key, const char *v, void *arg)
{
	struct torrent	*t;
	uint8_t		 ih[20];

	(void)arg;
	key += sizeof(STATE_WANTS_KEY) - 1;
	if (strlen(key) != 40 || util_unhex(key, ih, 20) == -1 ||
	    (t = torrent_by_hash(ih)) == NULL || t->fprio != NULL)
		return;		/* a row of no torrent: nothing to apply */
	wants_parse(t, v);
}

/*
 * The start: every torrent wants all its pieces but for the rows there
 * are, read in one query rather than one a torrent.
 */
void
wants_load_all(void)
{
	struct torrent *t;

	TAILQ_FOREACH(t, &torrents, entry) {
		t->want_loaded = 1;
		t->sequential = 0;
		free(t->fprio);
		t->fprio = NULL;
	}
	if (wst != NULL)
		(void)state_meta_foreach_prefix(wst, STATE_WANTS_KEY,
		    wants_row, NULL);
}

void
wants_free(struct torrent *t)
{
	free(t->fprio);
	t->fprio = NULL;
	t->want_loaded = 0;
}

/* The metadata of a magnet arrived: the files' priorities are read
 * again (there were none). */
void
wants_reload(struct torrent *t)
{
	wants_free(t);
	wants_load(t);
}

int
wants_sequential(struct torrent *t)
{
	wants_load(t);
	return t->sequential;
}

/* 1 if some file is not normal. */
static int
wants_any(struct torrent *t)
{
	size_t i;

	wants_load(t);
	if (t->fprio == NULL)
		return 0;
	for (i = 0; i < nfiles(t); i++)
		if (t->fprio[i] != WANT_NORMAL)
			return 1;
	return 0;
}

/*
 * One WANT_* a piece into out (piece_count bytes): the highest of the
 * files it touches, a pad file counting as the file before it.
 */
static void
piece_prios(struct torrent *t, uint8_t *out)
{
	const Btd__TorrentDesc	*d = t->desc;
	const Btd__FileDesc	*f;
	uint64_t		 first, last;
	uint32_t		 p;
	uint8_t			 e = WANT_NORMAL;
	size_t			 i;

	wants_load(t);
	if (t->fprio == NULL) {
		memset(out, WANT_NORMAL, d->piece_count);
		return;
	}
	memset(out, WANT_SKIP, d->piece_count);
	for (i = 0; i < d->n_files; i++) {
		f = d->files[i];
		if (!f->pad)
			e = t->fprio[i];
		if (f->length == 0 || f->offset >= d->total_size)
			continue;
		first = f->offset / d->piece_length;
		last = (f->offset + f->length - 1) / d->piece_length;
		if (last >= d->piece_count)
			last = d->piece_count - 1;
		for (p = (uint32_t)first; p <= last; p++)
			if (out[p] < e)
				out[p] = e;
	}
}

int
wants_complete(struct torrent *t)
{
	uint8_t		*pp;
	uint32_t	 i, n;
	int		 done = 1;

	if (t->desc == NULL || t->have == NULL)
		return 0;
	n = t->desc->piece_count;
	if (t->have_count == n)
		return 1;
	if (!wants_any(t))
		return 0;
	pp = wmalloc(n);
	piece_prios(t, pp);
	for (i = 0; i < n && done; i++)
		if (pp[i] != WANT_SKIP && !bf_get(t->have, n, i))
			done = 0;
	free(pp);
	return done;
}

uint64_t
wants_left(struct torrent *t)
{
	const Btd__TorrentDesc	*d = t->desc;
	uint8_t			*pp;
	uint64_t		 left = 0, plen;
	uint32_t		 i, n;

	if (d == NULL)
		return 0;
	if (!wants_any(t))
		return d->total_size - progress_have_bytes(t->have,
		    d->piece_count, d->piece_length, d->total_size);
	n = d->piece_count;
	pp = wmalloc(n);
	piece_prios(t, pp);
	for (i = 0; i < n; i++) {
		if (pp[i] == WANT_SKIP || bf_get(t->have, n, i))
			continue;
		plen = i + 1 == n ? d->total_size - (uint64_t)i *
		    d->piece_length : d->piece_length;
		left += plen;
	}
	free(pp);
	return left;
}

void
wants_peerd(struct torrent *t, Btd__PeerdTorrentPick *m)
{
	Btd__PieceRun	*runs;
	uint8_t		*pp;
	uint32_t	 i, j, n;
	size_t		 nr = 0;

	m->torrent = t->num;
	m->sequential = wants_sequential(t);
	m->runs = NULL;
	m->n_runs = 0;
	if (t->desc == NULL || !wants_any(t))
		return;
	n = t->desc->piece_count;
	pp = wmalloc(n);
	piece_prios(t, pp);
	/* Runs of pieces that are not normal; the rest are by default. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && pp[j] == pp[i]; j++)
			;
		if (pp[i] != WANT_NORMAL)
			nr++;
	}
	if (nr > WANTS_RUNS_MAX) {
		/* Leaving runs out only fetches more than asked, never
		 * less: the torrent still completes. */
		log_warnx("%s: %zu priority runs; the first %u are sent",
		    t->hex, nr, WANTS_RUNS_MAX);
		nr = WANTS_RUNS_MAX;
	}
	runs = wcalloc(nr ? nr : 1, sizeof(*runs));
	m->runs = wcalloc(nr ? nr : 1, sizeof(*m->runs));
	for (i = 0; i < n && m->n_runs < nr; i = j) {
		for (j = i + 1; j < n && pp[j] == pp[i]; j++)
			;
		if (pp[i] == WANT_NORMAL)
			continue;
		btd__piece_run__init(&runs[m->n_runs]);
		runs[m->n_runs].first = i;
		runs[m->n_runs].count = j - i;
		runs[m->n_runs].priority = pp[i];
		m->runs[m->n_runs] = &runs[m->n_runs];
		m->n_runs++;
	}
	if (m->n_runs == 0) {
		free(runs);
		free(m->runs);
		m->runs = NULL;
	}
	free(pp);
}

void
wants_peerd_free(Btd__PeerdTorrentPick *m)
{
	if (m->n_runs > 0)
		free(m->runs[0]);	/* the array of runs itself */
	free(m->runs);
	m->runs = NULL;
	m->n_runs = 0;
}

static void
wants_send(struct torrent *t)
{
	Btd__PeerdTorrentPick	 m = BTD__PEERD_TORRENT_PICK__INIT;
	struct chan		*c;

	/* A torrent peerd is still to hear of gets them in its add. */
	if (t->num == 0 || t->desc == NULL ||
	    (t->owed & ROLE_BIT(BTD__ROLE__PEERD)) ||
	    (c = proc_chan(BTD__ROLE__PEERD)) == NULL)
		return;
	wants_peerd(t, &m);
	if (MSG_SEND(c, Btd__PeerdMsg, PEERD_MSG, TORRENT_PICK, torrent_pick,
	    &m, -1) == -1)
		log_warn("peerd: wants of %s", t->hex);
	wants_peerd_free(&m);
}

static int
wants_save(struct torrent *t, const uint8_t *fprio, int seq)
{
	char	 key[sizeof(STATE_WANTS_KEY) + 40], *v;
	size_t	 i, n = fprio != NULL ? nfiles(t) : 0;
	int	 r;

	v = wmalloc(n + 3);
	v[0] = seq ? '1' : '0';
	v[1] = ' ';
	for (i = 0; i < n; i++)
		v[2 + i] = (char)('0' + fprio[i]);
	v[2 + n] = '\0';
	snprintf(key, sizeof(key), "%s%s", STATE_WANTS_KEY, t->hex);
	r = wst == NULL ? -1 : state_meta_set(wst, key, v);
	free(v);
	return r;
}

static int
parse_prio(const char *s, size_t len, uint8_t *out)
{
	uint8_t i;

	for (i = 0; i <= WANT_HIGH; i++)
		if (strlen(prio_names[i]) == len &&
		    strncmp(s, prio_names[i], len) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

/* A file index: plain decimal, below n. */
static int
parse_index(const char *s, size_t len, size_t n, size_t *out)
{
	size_t	v = 0, i;

	if (len == 0 || len > 9)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	if (v >= n)
		return -1;
	*out = v;
	return 0;
}

/*
 * "N=PRIO[,N=PRIO...]", N a file index, a range A-B or "all", PRIO one of
 * skip, low, normal, high; later items win.  Into fprio (n files).
 */
static int
parse_file_prios(const char *v, size_t n, uint8_t *fprio, char *err,
    size_t errlen)
{
	const char	*item = v, *end, *eq, *dash;
	char		 esc[64];
	size_t		 a = 0, b = 0, k;
	uint8_t		 p;
	int		 r;

	if (*v == '\0') {
		snprintf(err, errlen, "no file priorities given "
		    "(N=PRIO[,N=PRIO...])");
		return -1;
	}
	for (;;) {
		end = strchr(item, ',');
		if (end == NULL)
			end = item + strlen(item);
		eq = memchr(item, '=', (size_t)(end - item));
		if (eq == NULL || parse_prio(eq + 1, (size_t)(end - eq - 1),
		    &p) == -1) {
			snprintf(err, errlen, "'%s': not N=PRIO (PRIO skip, "
			    "low, normal or high)", log_escape(esc,
			    sizeof(esc), item, (size_t)(end - item)));
			return -1;
		}
		dash = memchr(item, '-', (size_t)(eq - item));
		if (dash == NULL)
			dash = eq;
		r = 0;
		if (eq - item == 3 && strncmp(item, "all", 3) == 0) {
			a = 0;
			b = n - 1;
		} else if ((r = parse_index(item, (size_t)(dash - item), n,
		    &a)) == 0) {
			b = a;
			if (dash != eq)
				r = parse_index(dash + 1,
				    (size_t)(eq - dash - 1), n, &b);
		}
		if (r == -1 || b < a) {
			snprintf(err, errlen, "'%s': no such file (0 to %zu, "
			    "a range A-B, or all)", log_escape(esc,
			    sizeof(esc), item, (size_t)(eq - item)), n - 1);
			return -1;
		}
		for (k = a; k <= b; k++)
			fprio[k] = p;
		if (*end == '\0')
			return 0;
		item = end + 1;
	}
}

int
wants_set(struct torrent *t, const char *key, const char *value, char *err,
    size_t errlen)
{
	uint8_t		*fp = NULL;
	char		 esc[64];
	size_t		 n = nfiles(t);
	int		 seq;

	wants_load(t);
	seq = t->sequential;
	if (strcmp(key, "sequential") == 0) {
		if (strcmp(value, "on") == 0)
			seq = 1;
		else if (strcmp(value, "off") == 0)
			seq = 0;
		else {
			snprintf(err, errlen, "sequential: '%s' is not on or "
			    "off", log_escape(esc, sizeof(esc), value,
			    strlen(value)));
			return -1;
		}
		if (t->fprio != NULL) {
			fp = wmalloc(n);
			memcpy(fp, t->fprio, n);
		}
	} else {
		if (t->desc == NULL || n == 0) {
			snprintf(err, errlen, "%s: no files known yet (the "
			    "metadata has not arrived)", t->hex);
			return -1;
		}
		fp = wmalloc(n);
		if (t->fprio != NULL)
			memcpy(fp, t->fprio, n);
		else
			memset(fp, WANT_NORMAL, n);
		if (parse_file_prios(value, n, fp, err, errlen) == -1) {
			free(fp);
			return -1;
		}
	}
	if (wants_save(t, fp, seq) == -1) {
		snprintf(err, errlen, "%s: could not be saved in state.db",
		    key);
		free(fp);
		return -1;
	}
	free(t->fprio);
	t->fprio = fp;		/* t owns it now: freed by wants_free() */
	t->sequential = seq;
	log_info("%s: %s set to %s", t->hex, key, value);
	wants_send(t);
	xfer_wants_changed(t);
	return 0;
}

uint32_t *
wants_ctl(struct torrent *t, size_t *n)
{
	uint32_t	*v;
	size_t		 i;

	wants_load(t);
	*n = nfiles(t);
	if (*n == 0)
		return NULL;
	v = wcalloc(*n, sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = t->fprio != NULL ? t->fprio[i] : WANT_NORMAL;
	return v;		/* the caller frees it */
}
