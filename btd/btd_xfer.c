/*
 * btd_xfer.c -- torrents running in stored and peerd: their numbers,
 * their state machine (btd_progress.c), their verified pieces and
 * counters, and the batched writes of all that to state.db.
 *
 * Sends stored: StoredTorrentAdd, TorrentFiles, TorrentHashes,
 * TorrentRemove.  Sends peerd: PeerdTorrentAdd (with the torrent's own
 * limits, btd_limits.c), PeerdTorrentRemove.  Sends trackerd:
 * TorrentCounters, TorrentCompleted.  Sends metad: MetaFetch, MetaHold,
 * MetaForget.  Takes from stored TorrentChecked, CheckProgress,
 * PiecesDurable, TorrentError and FilesCreated; from peerd PeerdStats;
 * from metad MetaResult.
 *
 * Ownership: the files stored created (FilesCreated) are a bitfield over
 * the torrent's files, written with the progress; with the verified
 * pieces it says what remove --delete-data may delete
 * (xfer_file_owned()).
 *
 * Magnets: a magnet that is not paused runs too, with a number, in
 * peerd (without pieces) and metad (MetaFetch); stored knows nothing of
 * it.  metad's MetaResult is checked as an added .torrent is, recorded
 * in state.db at once (so no restart fetches it again), and the torrent
 * then goes on under the same number exactly as an added .torrent:
 * queued, stored checks it, peerd gets its pieces.
 *
 * Numbers: a torrent that can run (metadata known, not paused, not in
 * error) gets a new number each time it is started -- added, resumed, or
 * loaded at btd's start -- and keeps it while it runs; a restarted
 * stored or peerd gets every running torrent again under the same
 * number, so the two agree on the block path.  Numbers are never reused
 * in one btd run: a number btd never gave is a protocol violation by the
 * role that names it; one that no longer runs (paused a moment ago) is
 * a late message and is ignored.
 *
 * Back-pressure: the hashes of every torrent can be many MiB, more than
 * a channel queues, so torrents owed to stored are sent one frame at a
 * time while chan_full() says no, and the rest waits for the drain
 * callback (xfer_drained()).  Nothing is ever dropped.  The file list
 * goes the same way: StoredTorrentAdd carries the files that fit in
 * FILES_PART_BYTES, TorrentFiles the rest, so that a torrent of any
 * number of files stays below the channel's frame bound.
 *
 * The feed: a role that starts (btd's start, or a restart) is owed
 * every torrent it runs -- peerd a PeerdTorrentAdd, metad a MetaFetch or
 * MetaHold, trackerd a TorrentStart, stored a StoredTorrentAdd and its
 * parts -- and gets them FEED_BATCH at a time, one batch a turn of the
 * event loop, so that btctl is answered from btd's own memory while
 * 100,000 torrents are handed out.  t->owed marks the roles still to
 * hear of t: a torrent started, stopped or changed meanwhile is sent at
 * once (and no longer owed), and what changes on a torrent still owed
 * goes in its add.  Rejected: one batch message of many torrents; the
 * same messages in chunks keep the replaceable-role contract as it is.
 *
 * After an unclean shutdown (btd.c's marker) the recorded bitfield is
 * trusted still: state.db holds only pieces stored flushed (below); the
 * check hashes the pieces written after the last flush.
 *
 * Quick resume: each file's size and mtime, as stored found it after a
 * flush (PiecesDurable) or a check (TorrentChecked), is recorded in the
 * files table with the pieces, and goes back to stored in the next
 * StoredTorrentAdd; stored trusts a recorded piece only while its files
 * are as recorded.  written_until tells stored until when it may have
 * written a torrent's files after their records (proto/stored.proto):
 * the last transaction of an unclean run (meta flushed_at), the moment
 * stored died or the torrent stopped, plus WRITTEN_SLACK_NS; a check
 * clears it.  A clean stop needs none: stored reports its last flush
 * before it exits (btd_proc.c half-closes its channel).
 *
 * Durability: a piece is recorded verified only from TorrentChecked
 * (which replaces the bitfield: a check may find pieces gone) and
 * PiecesDurable (which only sets bits); stored sends both only for
 * pieces it has flushed.  Changes are written once a second in one
 * transaction (FLUSH_MS), and at shutdown: never a transaction per
 * block.  A crash of btd may lose the last second; the database then
 * under-claims, which the next check repairs.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "ctl.pb-c.h"
#include "peerd.pb-c.h"
#include "stored.pb-c.h"
#include "torrent.pb-c.h"
#include "trackerd.pb-c.h"
#include "metad.pb-c.h"

#include "bencode.h"
#include "btd.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "utf8.h"
#include "util.h"
#include "utmeta.h"

/* Tunables. */
#define TICK_MS		1000	/* flush to state.db, counters to trackerd */
#define STATS_STALE_MS	5000	/* rates not refreshed this long read 0 */
#define HASHES_PER_MSG	16384	/* pieces in one TorrentHashes */
#define STATS_MAX	100000	/* entries in one PeerdStats */
#define ERROR_MAX	512	/* bytes of a TorrentError reason kept */
#define ADD_SLACK	4096	/* room in a frame beyond the packed message */
#define CRASHES_MAX	3	/* stored crashes checking one torrent */
#define FILES_PART_BYTES (512U << 10) /* packed files in one frame to stored */
#define FILES_CREATED_MAX 16384	/* indexes in one FilesCreated (proto) */
#define FEED_BATCH	256	/* torrents told to a starting role in one
				   turn of the loop: the ctl socket is served
				   between two batches */
#define FEED_FULL_MS	5	/* wait this long when its channel is full */
#define FEED_BUDGET_MS	2	/* at most this long feeding in one turn */
#define FEED_YIELD_MAX	500	/* turns of 1 ms left to btctl's replies */
#define FSTATS_MAX	16384	/* FileStats in one message (stored.proto) */
#define FSTATS_PART_BYTES (320U << 10) /* packed FileStats in one
					 StoredTorrentAdd: beside 512 KiB
					 of files and 128 KiB of have */
/*
 * How long after the moment btd knows of (a stop, a crash, the last
 * transaction before an unclean stop) stored may still have written a
 * torrent's files without their records reaching state.db: a flush
 * (STORED_DURABLE_MS), a report, btd's tick (TICK_MS), with room.
 */
#define WRITTEN_SLACK_NS (10LL * 1000000000)

static struct event_base	*base;
static struct state		*st;
static struct event		*tick;
static uint32_t			 last_num;	/* numbers given: 1..last_num */
static uint64_t			 run_down, run_up;	/* this run */
static uint64_t			 total_down, total_up;	/* every run */
static int			 totals_dirty;

/* Running torrents by number (num_assign(), by_num()). */
struct numidx {
	uint32_t	 num;
	struct torrent	*t;
};
static struct numidx		*ix;		/* sorted by num */
static size_t			 nix, ixcap;

/*
 * Numbers stopped lately, by info-hash: a FilesCreated stored sent just
 * before its TorrentRemove arrived still records whose file it made.
 */
#define GONE_KEPT	64
static struct {
	uint32_t	 num;
	uint8_t		 ih[20];
} gone[GONE_KEPT];
static size_t			 gone_next;

/* The feed: the next torrent to look at, for each role being fed. */
static struct torrent		*feed_at[ROLE_COUNT + 1];
static struct event		*feed_ev;
static int			 feed_stored;	/* pump_stored() goes on */
/* No torrent before it is owed anything by stored; NULL: look at all. */
static struct torrent		*pump_at;

static void	tick_cb(evutil_socket_t, short, void *);
static void	feed_cb(evutil_socket_t, short, void *);
static void	pump_stored(void);
static void	feed_arm(int);
static int	peerd_behind(const struct torrent *);
static void	move_end(struct torrent *, int, const char *, const char *);

void
xfer_init(struct event_base *b, struct state *s)
{
	struct timeval tv = { TICK_MS / 1000, (TICK_MS % 1000) * 1000 };

	base = b;
	st = s;
	total_down = state_total_get(st, "total_downloaded");
	total_up = state_total_get(st, "total_uploaded");
	if ((tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL)) == NULL ||
	    evtimer_add(tick, &tv) == -1 ||
	    (feed_ev = evtimer_new(base, feed_cb, NULL)) == NULL)
		fatalx("%s: cannot arm the timer", __func__);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* stored may have written t's files after their records, until ns. */
static void
written_until(struct torrent *t, int64_t ns)
{
	if (t->fstats != NULL && ns > t->written_until)
		t->written_until = ns;
}

void
xfer_shutdown(void)
{
	xfer_flush();
	if (tick != NULL) {
		event_free(tick);
		tick = NULL;
	}
	if (feed_ev != NULL) {
		event_free(feed_ev);
		feed_ev = NULL;
	}
	free(ix);
	ix = NULL;
	nix = ixcap = 0;
}

/*
 * After an unclean shutdown every torrent is checked as at any start:
 * a piece state.db records was flushed before it was recorded, so it is
 * trusted (when its files are long enough); every other piece whose
 * bytes are on disk (written after the last flush) is hashed.  Nothing
 * is hashed in full: that is btctl verify's.
 */
void
xfer_recheck_all(void)
{
	struct torrent	*t;
	char		*v = NULL, *end;
	long long	 last = 0;
	int		 n = 0;

	/* The last transaction of the previous run (xfer_flush()). */
	if (state_meta_get(st, "flushed_at", &v) == 1) {
		errno = 0;
		last = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || last < 0 ||
		    last > INT64_MAX - WRITTEN_SLACK_NS)
			last = 0;
	}
	free(v);
	TAILQ_FOREACH(t, &torrents, entry)
		if (t->desc != NULL) {
			n++;
			if (last > 0)
				written_until(t, last + WRITTEN_SLACK_NS);
		}
	if (n > 0)
		log_info("the previous run did not stop cleanly: %d torrent%s "
		    "checked; recorded pieces were flushed and are trusted "
		    "where their files are as recorded or were written in "
		    "the seconds before the stop, the others hashed where "
		    "their bytes are on disk", n, n == 1 ? "" : "s");
}

/*
 * Running torrents by number, for the roles' messages (a PeerdStats
 * names every running torrent once a second): numbers only grow, so
 * appending keeps the index sorted and a lookup is a binary search.
 */
static void
num_assign(struct torrent *t)
{
	struct numidx *n;

	if (t->num != 0)
		return;
	if (last_num == UINT32_MAX)
		fatalx("%s: torrent numbers exhausted", __func__);
	if (nix == ixcap) {
		ixcap = ixcap ? ixcap * 2 : 64;
		if ((n = reallocarray(ix, ixcap, sizeof(*ix))) == NULL)
			fatal("%s", __func__);
		ix = n;
	}
	t->num = ++last_num;
	ix[nix].num = t->num;
	ix[nix].t = t;
	nix++;
}

static size_t
num_slot(uint32_t num)
{
	size_t lo = 0, hi = nix;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
num_release(struct torrent *t)
{
	size_t i = num_slot(t->num);

	if (i < nix && ix[i].num == t->num) {
		memmove(&ix[i], &ix[i + 1], (nix - i - 1) * sizeof(*ix));
		nix--;
	}
	gone[gone_next % GONE_KEPT].num = t->num;
	memcpy(gone[gone_next % GONE_KEPT].ih, t->ih, 20);
	gone_next++;
	t->num = 0;
}

/* The torrent that ran under num a moment ago, if it is still there. */
static struct torrent *
by_gone_num(uint32_t num)
{
	struct torrent	*t;
	size_t		 i;

	for (i = 0; i < GONE_KEPT; i++) {
		if (gone[i].num != num)
			continue;
		TAILQ_FOREACH(t, &torrents, entry)
			if (memcmp(t->ih, gone[i].ih, 20) == 0)
				return t->desc != NULL ? t : NULL;
		return NULL;
	}
	return NULL;
}

static struct torrent *
by_num(uint32_t num)
{
	size_t i = num_slot(num);

	return i < nix && ix[i].num == num ? ix[i].t : NULL;
}

/*
 * The torrent a role names by number: -1 for a number btd never gave
 * (a violation), 0 with *tp NULL for one that no longer runs.
 */
static int
role_torrent(uint32_t num, struct torrent **tp)
{
	*tp = NULL;
	if (num == 0 || num > last_num)
		return -1;
	*tp = by_num(num);
	return 0;
}

/* Loading: a state.db row is not trusted any more than a role. */

/* The `pieces` string of the info dictionary: 20 bytes a piece. */
static const uint8_t *
info_hashes(const uint8_t *info, size_t len, uint32_t pieces)
{
	struct be_doc		 doc;
	const struct be_node	*n;
	const uint8_t		*h = NULL;
	char			 err[128];

	memset(&doc, 0, sizeof(doc));
	if (be_decode(info, len, NULL, 0, &doc, err, sizeof(err)) == -1)
		return NULL;
	if (doc.nodes[0].type == BE_DICT &&
	    (n = be_dict_get(&doc, &doc.nodes[0], "pieces")) != NULL &&
	    n->type == BE_STR && n->slen == (size_t)pieces * 20)
		h = n->s;	/* points into info */
	be_free(&doc);
	return h;
}

static uint64_t
row_counter(int64_t v, const char *what, const char *hex)
{
	if (v < 0)
		log_warnx("state.db: %s: %s is negative; counted from 0", hex,
		    what);
	return progress_row_counter(v);
}

void
xfer_load(struct torrent *t, const struct state_torrent *row)
{
	uint32_t	pieces;
	int64_t		n;

	t->downloaded = row_counter(row->downloaded, "downloaded", t->hex);
	t->uploaded = row_counter(row->uploaded, "uploaded", t->hex);
	t->wasted = row_counter(row->wasted, "wasted", t->hex);
	t->completed = row->completed > 0 ? row->completed : 0;
	if (t->desc == NULL)
		return;
	pieces = t->desc->piece_count;
	if ((t->have = calloc(1, bf_len(pieces) + 1)) == NULL)
		fatal("%s", __func__);
	if ((n = progress_load_bitfield(row->pieces, row->pieces_len, pieces,
	    t->have)) == -1)
		log_warnx("state.db: %s: a verified-piece bitfield of %zu "
		    "bytes for %u pieces; treated as empty", t->hex,
		    row->pieces_len, pieces);
	t->have_count = n > 0 ? (uint32_t)n : 0;
	if ((t->fstats = calloc(t->desc->n_files > 0 ? t->desc->n_files : 1,
	    sizeof(*t->fstats))) == NULL)
		fatal("%s", __func__);
	/* The records come after every row: torrent_init(). */
	if (row->created != NULL && row->created_len > 0) {
		if (!bf_valid(row->created, row->created_len,
		    (uint32_t)t->desc->n_files))
			log_warnx("state.db: %s: a created-file bitfield of %zu "
			    "bytes for %zu files; treated as empty", t->hex,
			    row->created_len, t->desc->n_files);
		else {
			if ((t->created = malloc(row->created_len)) == NULL)
				fatal("%s", __func__);
			memcpy(t->created, row->created, row->created_len);
		}
	}
	if (row->info != NULL && row->info_len > 0) {
		if ((t->info = malloc(row->info_len)) == NULL)
			fatal("%s", __func__);
		memcpy(t->info, row->info, row->info_len);
		t->info_len = row->info_len;
		t->hashes = info_hashes(t->info, t->info_len, pieces);
	}
	if (t->hashes == NULL && t->state != TST_ERROR) {
		log_warnx("state.db: %s: the info dictionary has no piece "
		    "hashes for its %u pieces", t->hex, pieces);
		free(t->error);
		t->error = strdup("state.db: the piece hashes cannot be read");
		t->state = TST_ERROR;
	}
}

int
xfer_can_run(const struct torrent *t)
{
	return t->desc != NULL && t->hashes != NULL && !t->paused &&
	    t->state != TST_ERROR && t->move_to == NULL;
}

/* A torrent whose data stored is to move (not paused or not). */
static int
can_move(const struct torrent *t)
{
	return t->move_to != NULL && t->desc != NULL && t->hashes != NULL &&
	    t->state != TST_ERROR;
}

/* A magnet whose metadata is still to be fetched, not paused. */
static int
can_fetch(const struct torrent *t)
{
	return t->desc == NULL && t->mag != NULL && !t->paused &&
	    t->state != TST_ERROR;
}

/* The wanted bytes not verified yet (btd_wants.c; skipped files are
 * not left to download).  t is const but for its wants, read lazily. */
uint64_t
xfer_left(const struct torrent *t)
{
	return wants_left((struct torrent *)(uintptr_t)t);
}

static void
set_state(struct torrent *t, enum tevent ev)
{
	enum tstate	 old = t->state;
	int		 complete = wants_complete(t);

	t->state = tstate_next(t->state, ev, complete);
	if (t->state != old) {
		log_info("%s: %s -> %s", t->hex, tstate_name(old),
		    tstate_name(t->state));
		t->dirty = 1;
	}
	torrent_changed(t);	/* held shows look again */
}

/* Sending. */

static void
peerd_add(struct torrent *t, struct chan *c)
{
	Btd__PeerdTorrentAdd	 a = BTD__PEERD_TORRENT_ADD__INIT;
	Btd__PeerdTorrentLimits	 l = BTD__PEERD_TORRENT_LIMITS__INIT;
	Btd__PeerdTorrentPick	 pk = BTD__PEERD_TORRENT_PICK__INIT;

	t->owed &= ~ROLE_BIT(BTD__ROLE__PEERD);
	a.torrent = t->num;
	a.info_hash.data = t->ih;
	a.info_hash.len = 20;
	if (t->desc != NULL) {
		a.piece_length = t->desc->piece_length;
		a.piece_count = t->desc->piece_count;
		a.total_size = t->desc->total_size;
		a.private_ = t->desc->private_;
		/* Served over ut_metadata (metad) only up to its bound. */
		if (t->info_len <= UTM_MAX_SIZE)
			a.metadata_size = (uint32_t)t->info_len;
		a.peers = t->desc->peers;
		a.n_peers = t->desc->n_peers;
	} else {
		a.peers = t->mag->peers;
		a.n_peers = t->mag->n_peers;
	}
	limits_peerd(t, &l);
	a.limits = &l;
	wants_peerd(t, &pk);
	a.pick = &pk;
	if (MSG_SEND(c, Btd__PeerdMsg, PEERD_MSG, TORRENT_ADD, torrent_add, &a,
	    -1) == -1)
		log_warn("peerd: add %s", t->hex);
	wants_peerd_free(&pk);
}

/* metad: fetch t's metadata, or hold it to serve. */
static void
metad_start(struct torrent *t, struct chan *c)
{
	Btd__MetaFetch	 f = BTD__META_FETCH__INIT;
	Btd__MetaHold	 h = BTD__META_HOLD__INIT;

	t->owed &= ~ROLE_BIT(BTD__ROLE__METAD);
	if (t->desc == NULL) {
		f.torrent = t->num;
		f.info_hash.data = t->ih;
		f.info_hash.len = 20;
		if (MSG_SEND(c, Btd__MetadMsg, METAD_MSG, META_FETCH,
		    meta_fetch, &f, -1) == -1)
			log_warn("metad: fetch %s", t->hex);
		return;
	}
	if (t->info == NULL || t->info_len == 0 ||
	    t->info_len > UTM_MAX_SIZE)
		return;		/* too large to serve over ut_metadata */
	h.torrent = t->num;
	h.info.data = t->info;
	h.info.len = t->info_len;
	if (MSG_SEND(c, Btd__MetadMsg, METAD_MSG, META_HOLD, meta_hold, &h,
	    -1) == -1)
		log_warn("metad: hold %s", t->hex);
}

static void
set_error(struct torrent *t, const char *why)
{
	char	*e, esc[ERROR_MAX * 4];

	if ((e = strdup(why)) == NULL)
		return;
	free(t->error);
	t->error = e;
	log_warnx("%s: error: %s", t->hex, log_escape(esc, sizeof(esc), why,
	    strlen(why)));
	xfer_stop(t);
	tracker_stop(t);
	set_state(t, TEV_ERROR);
	t->dirty = 1;
}

/* How many of t's files from first on fit in one frame to stored. */
static size_t
files_fit(const struct torrent *t, size_t first)
{
	size_t n, bytes = 0;

	for (n = 0; first + n < t->desc->n_files; n++) {
		/* A file's packed size plus its tag and length. */
		bytes += btd__file_desc__get_packed_size(
		    t->desc->files[first + n]) + 8;
		if (n > 0 && bytes > FILES_PART_BYTES)
			break;
	}
	return n;
}

/*
 * The records of t's files into a->stats, in file order, as many as fit
 * in FSTATS_PART_BYTES (the files after them have none: their recorded
 * pieces are hashed).  -1 out of memory.
 */
static int
add_stats(const struct torrent *t, Btd__StoredTorrentAdd *a)
{
	Btd__FileStat	 *fs, **fsp;
	size_t		  i, n = 0, nf = t->desc->n_files, bytes = 0;

	a->stats = NULL;
	a->n_stats = 0;
	if (t->fstats == NULL)
		return 0;
	for (i = 0; i < nf && n < FSTATS_MAX; i++)
		if (t->fstats[i].rec)
			n++;
	if (n == 0)
		return 0;
	if ((fs = calloc(n, sizeof(*fs))) == NULL ||
	    (fsp = calloc(n, sizeof(*fsp))) == NULL) {
		free(fs);
		return -1;
	}
	for (i = 0, n = 0; i < nf && n < FSTATS_MAX; i++) {
		if (!t->fstats[i].rec)
			continue;
		btd__file_stat__init(&fs[n]);
		fs[n].file = (uint32_t)i;
		fs[n].size = t->fstats[i].size;
		fs[n].mtime = t->fstats[i].mtime;
		/* The stat, its tag and its length. */
		bytes += btd__file_stat__get_packed_size(&fs[n]) + 4;
		if (bytes > FSTATS_PART_BYTES)
			break;
		fsp[n] = &fs[n];
		n++;
	}
	if (n == 0) {
		free(fs);
		free(fsp);
		return 0;
	}
	a->stats = fsp;
	a->n_stats = n;
	return 0;
}

static void
add_stats_free(Btd__StoredTorrentAdd *a)
{
	if (a->stats != NULL)
		free(a->stats[0]);	/* the array of them all */
	free(a->stats);
	a->stats = NULL;
	a->n_stats = 0;
}

/* The StoredTorrentAdd of t; 0 sent, -1 it could not be (t in error). */
static int
stored_add(struct torrent *t, struct chan *c)
{
	Btd__StoredTorrentAdd	 a = BTD__STORED_TORRENT_ADD__INIT;
	const char		*root;
	char			 dir[4200];

	if (torrent_data_dir(t, &root, dir, sizeof(dir)) == -1) {
		set_error(t, "the save path is outside every download "
		    "directory");
		return -1;
	}
	a.torrent = t->num;
	a.info_hash.data = t->ih;
	a.info_hash.len = 20;
	a.root = (char *)(uintptr_t)root;
	a.dir = dir;
	a.files = t->desc->files;
	a.n_files = files_fit(t, 0);
	a.file_count = (uint32_t)t->desc->n_files;
	a.piece_length = t->desc->piece_length;
	a.piece_count = t->desc->piece_count;
	a.total_size = t->desc->total_size;
	a.have.data = t->have;
	a.have.len = bf_len(t->desc->piece_count);
	a.recheck = t->recheck;
	a.written_until = t->written_until;
	if (add_stats(t, &a) == -1) {
		set_error(t, "out of memory");
		return -1;
	}
	t->ck_pieces = 0;
	/* Files of 512 KiB, a bitfield of 128 KiB at most: never. */
	if (btd__stored_torrent_add__get_packed_size(&a) + ADD_SLACK >
	    FRAME_MAX_ROLE) {
		add_stats_free(&a);
		set_error(t, "too large a description to hand to stored");
		return -1;
	}
	if (MSG_SEND(c, Btd__StoredMsg, STORED_MSG, TORRENT_ADD, torrent_add,
	    &a, -1) == -1) {
		add_stats_free(&a);
		log_warn("stored: add %s", t->hex);
		return -1;
	}
	add_stats_free(&a);
	log_debug("stored: %s is torrent %u in %s/%s", t->hex, t->num, root,
	    dir);
	t->st_next = (uint32_t)a.n_files;
	/* A moving torrent keeps its state: it is not checked. */
	if (t->move_to == NULL)
		set_state(t, TEV_SENT);
	return 0;
}

/*
 * The MoveData of a moving torrent, after its add and files, before
 * its hashes (stored.proto); -1 if it cannot go (t no longer moves).
 */
static int
stored_move(struct torrent *t, struct chan *c)
{
	Btd__MoveData	 md = BTD__MOVE_DATA__INIT;
	struct torrent	 nt;
	const char	*root;
	char		 dir[4200], why[4400];
	uint8_t		*owned;
	size_t		 i, n = t->desc->n_files;
	int		 rc;

	/* Where the data goes, as stored names it. */
	nt = *t;
	nt.save_path = t->move_to;
	if (torrent_data_dir(&nt, &root, dir, sizeof(dir)) == -1) {
		snprintf(why, sizeof(why), "move to %s: outside every "
		    "download directory", t->move_to);
		if (state_move_set(st, t->ih, NULL) == 0) {
			free(t->move_to);
			t->move_to = NULL;
		}
		set_error(t, why);
		return -1;
	}
	if ((owned = calloc(1, bf_len((uint32_t)n) + 1)) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++)
		if (xfer_file_owned(t, i))
			(void)bf_set(owned, (uint32_t)n, (uint32_t)i);
	md.torrent = t->num;
	md.root = (char *)(uintptr_t)root;
	md.dir = dir;
	md.owned.data = owned;
	md.owned.len = bf_len((uint32_t)n);
	md.resume = t->move_resume;
	md.remove_dir = t->desc->multi;
	rc = MSG_SEND(c, Btd__StoredMsg, STORED_MSG, MOVE_DATA, move_data,
	    &md, -1);
	free(owned);
	if (rc == -1) {
		log_warn("stored: move of %s", t->hex);
		return -1;
	}
	log_info("%s: moving to %s%s", t->hex, t->move_to,
	    t->move_resume ? " (resumed)" : "");
	t->move_sent = 1;
	t->move_resume = 1;	/* whatever stored did of it, from now on */
	t->move_done = t->move_total = 0;
	return 0;
}

/* The next TorrentFiles of t, from file st_next on. */
static int
stored_files(struct torrent *t, struct chan *c)
{
	Btd__TorrentFiles	 f = BTD__TORRENT_FILES__INIT;

	f.torrent = t->num;
	f.first = t->st_next;
	f.files = t->desc->files + t->st_next;
	f.n_files = files_fit(t, t->st_next);
	if (MSG_SEND(c, Btd__StoredMsg, STORED_MSG, TORRENT_FILES,
	    torrent_files, &f, -1) == -1) {
		log_warn("stored: files of %s", t->hex);
		return -1;
	}
	t->st_next += (uint32_t)f.n_files;
	return 0;
}

static int
stored_hashes(struct torrent *t, struct chan *c)
{
	Btd__TorrentHashes	 h = BTD__TORRENT_HASHES__INIT;
	uint32_t		 n = t->desc->piece_count - t->st_next;

	if (n > HASHES_PER_MSG)
		n = HASHES_PER_MSG;
	h.torrent = t->num;
	h.first = t->st_next;
	h.hashes.data = (uint8_t *)(uintptr_t)(t->hashes +
	    (size_t)t->st_next * 20);
	h.hashes.len = (size_t)n * 20;
	if (MSG_SEND(c, Btd__StoredMsg, STORED_MSG, TORRENT_HASHES,
	    torrent_hashes, &h, -1) == -1) {
		log_warn("stored: hashes of %s", t->hex);
		return -1;
	}
	t->st_next += n;
	return 0;
}

/*
 * A torrent that crashes stored: after a crash that no one can be
 * blamed for, stored is given its torrents one at a time (careful): the
 * next one only once the one before is checked.  A crash then has one
 * suspect, the torrent sent and not yet checked; CRASHES_MAX crashes in
 * a row on it put it in error, so that one torrent cannot keep stored
 * in a crash loop (resume gives it another try).  A check that ends
 * clears its count; once every torrent is checked, stored gets them all
 * at once again.
 */
static int		 careful;

/* The torrent stored has and has not checked yet (careful mode). */
static struct torrent *
careful_inflight(void)
{
	struct torrent *t;

	TAILQ_FOREACH(t, &torrents, entry)
		if (t->num != 0 && t->state == TST_CHECKING &&
		    t->st_send == ST_SEND_NONE && t->move_to == NULL)
			return t;
	return NULL;
}

/*
 * Send stored what it is owed, one torrent after the other (a torrent's
 * hashes follow its add before anything else), while its queue has room.
 */
static void
pump_stored(void)
{
	struct torrent	*t;
	struct chan	*c;
	int		 sent = 0, clean = 1;

	if ((c = proc_chan(BTD__ROLE__STORED)) == NULL)
		return;
	if (careful && careful_inflight() != NULL)
		return;		/* on_checked() goes on */
	feed_stored = 0;
	t = pump_at != NULL ? pump_at : TAILQ_FIRST(&torrents);
	for (; t != NULL; t = TAILQ_NEXT(t, entry)) {
		/* Nothing owed up to here: the next call starts after it. */
		if (clean && t->st_send == ST_SEND_NONE) {
			pump_at = TAILQ_NEXT(t, entry);
			continue;
		}
		clean = 0;
		if (careful && t->st_send == ST_SEND_ADD && sent)
			return;
		if (t->st_send != ST_SEND_NONE)
			sent++;
		/*
		 * stored's TorrentHave must not reach peerd before the
		 * torrent does (peerd keeps only a few waiting): stored is
		 * fed behind peerd.
		 */
		if (t->st_send == ST_SEND_ADD && peerd_behind(t))
			sent = FEED_BATCH + 1;
		if (sent > FEED_BATCH) {
			/* The next turn goes on (feed_cb()). */
			feed_stored = 1;
			feed_arm(0);
			return;
		}
		while (t->st_send != ST_SEND_NONE) {
			if (chan_full(c))
				return;	/* xfer_drained() goes on */
			if (t->st_send == ST_SEND_ADD) {
				if (stored_add(t, c) == -1) {
					t->st_send = ST_SEND_NONE;
					break;
				}
				t->st_send = ST_SEND_FILES;
			} else if (t->st_send == ST_SEND_FILES) {
				if (stored_files(t, c) == -1)
					return;	/* stored restarts */
			} else if (stored_hashes(t, c) == -1) {
				/* The chan is gone: stored restarts. */
				return;
			}
			if (t->st_send == ST_SEND_FILES &&
			    t->st_next >= t->desc->n_files) {
				t->st_send = ST_SEND_HASHES;
				t->st_next = 0;
				if (t->move_to != NULL &&
				    stored_move(t, c) == -1)
					return;	/* stored restarts, or t is
						   in error */
			}
			if (t->st_send == ST_SEND_HASHES &&
			    t->st_next >= t->desc->piece_count)
				t->st_send = ST_SEND_NONE;
		}
	}
	if (careful && !sent && careful_inflight() == NULL) {
		careful = 0;
		log_info("stored checked every torrent: they go to it at once "
		    "again");
	}
}

void
xfer_drained(int role)
{
	if (role == BTD__ROLE__STORED)
		pump_stored();
}

void
xfer_start(struct torrent *t)
{
	struct chan *c;

	if (can_fetch(t)) {
		num_assign(t);
		if ((c = proc_chan(BTD__ROLE__PEERD)) != NULL)
			peerd_add(t, c);
		if ((c = proc_chan(BTD__ROLE__METAD)) != NULL)
			metad_start(t, c);
		return;
	}
	if (!xfer_can_run(t))
		return;
	num_assign(t);
	if (proc_chan(BTD__ROLE__STORED) != NULL) {
		t->st_send = ST_SEND_ADD;
	pump_at = NULL;
		pump_stored();
	}
	if ((c = proc_chan(BTD__ROLE__PEERD)) != NULL && t->num != 0)
		peerd_add(t, c);
	if ((c = proc_chan(BTD__ROLE__METAD)) != NULL && t->num != 0)
		metad_start(t, c);
}

void
xfer_move_start(struct torrent *t, const char *to)
{
	char *dup;

	if (to != NULL) {
		if ((dup = strdup(to)) == NULL)
			fatal("%s", __func__);
		free(t->move_to);
		t->move_to = dup;
		t->move_resume = 0;	/* a new move: nothing began */
	}
	xfer_stop(t);
	t->move_sent = 0;
	t->move_done = t->move_total = 0;
	if (!can_move(t))
		return;
	num_assign(t);
	if (proc_chan(BTD__ROLE__STORED) != NULL) {
		t->st_send = ST_SEND_ADD;
	pump_at = NULL;
		pump_stored();
	}
}

void
xfer_stop(struct torrent *t)
{
	Btd__PeerdTorrentRemove	 pr = BTD__PEERD_TORRENT_REMOVE__INIT;
	Btd__TorrentRemove	 sr = BTD__TORRENT_REMOVE__INIT;
	Btd__MetaForget		 mf = BTD__META_FORGET__INIT;
	struct chan		*c;

	if (t->num == 0)
		return;
	pr.torrent = sr.torrent = mf.torrent = t->num;
	if ((c = proc_chan(BTD__ROLE__METAD)) != NULL &&
	    MSG_SEND(c, Btd__MetadMsg, METAD_MSG, META_FORGET, meta_forget,
	    &mf, -1) == -1)
		log_warn("metad: forget %s", t->hex);
	if ((c = proc_chan(BTD__ROLE__PEERD)) != NULL &&
	    MSG_SEND(c, Btd__PeerdMsg, PEERD_MSG, TORRENT_REMOVE,
	    torrent_remove, &pr, -1) == -1)
		log_warn("peerd: remove %s", t->hex);
	/* stored knows it only once its add went out, and no magnet. */
	if (t->desc != NULL && t->st_send != ST_SEND_ADD &&
	    (c = proc_chan(BTD__ROLE__STORED)) != NULL &&
	    MSG_SEND(c, Btd__StoredMsg, STORED_MSG, TORRENT_REMOVE,
	    torrent_remove, &sr, -1) == -1)
		log_warn("stored: remove %s", t->hex);
	log_debug("%s: torrent %u stopped", t->hex, t->num);
	/* Blocks in flight may still be written; their records are lost. */
	if (t->desc != NULL)
		written_until(t, now_ns() + WRITTEN_SLACK_NS);
	num_release(t);
	t->st_send = ST_SEND_NONE;
	t->rate_down = t->rate_up = 0;
	t->peers = t->seeds = t->meta_peers = 0;
}

void
xfer_forget(struct torrent *t)
{
	xfer_stop(t);
	free(t->info);
	free(t->have);
	free(t->created);
	free(t->fstats);
	t->fstats = NULL;
	free(t->move_to);
	free(t->move_result);
	t->move_to = t->move_result = NULL;
	t->info = t->have = t->created = NULL;
	t->hashes = NULL;
}

void
xfer_role_started(int role)
{
	struct torrent	*t;

	switch (role) {
	case BTD__ROLE__STORED:
		TAILQ_FOREACH(t, &torrents, entry)
			if (xfer_can_run(t) || can_move(t)) {
				num_assign(t);
				t->st_send = ST_SEND_ADD;
				pump_at = NULL;
			}
		pump_stored();
		break;
	case BTD__ROLE__PEERD:
	case BTD__ROLE__METAD:
	case BTD__ROLE__TRACKERD:
		TAILQ_FOREACH(t, &torrents, entry) {
			t->owed |= ROLE_BIT(role);
			if (role == BTD__ROLE__TRACKERD)
				t->counters_sent = 0;
		}
		feed_at[role] = TAILQ_FIRST(&torrents);
		feed_arm(0);
		break;
	}
}

/* peerd is starting, or has yet to hear of t. */
static int
peerd_behind(const struct torrent *t)
{
	const struct proc *p = proc_get(BTD__ROLE__PEERD);

	if (p != NULL && p->state == PROC_STARTING)
		return 1;
	return (t->owed & ROLE_BIT(BTD__ROLE__PEERD)) &&
	    proc_chan(BTD__ROLE__PEERD) != NULL;
}

/* Run feed_cb() on a later turn of the loop, after ms. */
static void
feed_arm(int ms)
{
	struct timeval tv = { 0, ms * 1000 };

	if (feed_ev != NULL && !evtimer_pending(feed_ev, NULL))
		(void)evtimer_add(feed_ev, &tv);
}

/* What a role is owed of t, if t runs. */
static void
feed_one(int role, struct torrent *t, struct chan *c)
{
	switch (role) {
	case BTD__ROLE__PEERD:
		if (xfer_can_run(t) || can_fetch(t)) {
			num_assign(t);
			peerd_add(t, c);
		}
		break;
	case BTD__ROLE__METAD:
		if (xfer_can_run(t) || can_fetch(t)) {
			num_assign(t);
			metad_start(t, c);
		}
		break;
	case BTD__ROLE__TRACKERD:
		tracker_start(t);
		break;
	}
}

static void
feed_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct torrent	*t;
	struct chan	*c;
	static int	 yields;
	uint64_t	 start;
	int		 role, n, wait = -1;

	(void)fd;
	(void)ev;
	(void)arg;
	/*
	 * btctl first: a reply on its way is sent before more feeding,
	 * for FEED_YIELD_MAX turns at most (a client that does not read
	 * holds nothing up for long).
	 */
	if (ctl_busy() && yields < FEED_YIELD_MAX) {
		yields++;
		feed_arm(1);
		return;
	}
	yields = 0;
	start = util_now_ms();
	for (role = 1; role <= ROLE_COUNT; role++) {
		if (feed_at[role] == NULL)
			continue;
		if ((c = proc_chan(role)) == NULL) {
			feed_at[role] = NULL;	/* its next start feeds it */
			continue;
		}
		for (n = 0; n < FEED_BATCH && (t = feed_at[role]) != NULL;) {
			if (chan_full(c) || ((n + 1) % 32 == 0 &&
			    util_now_ms() - start >= FEED_BUDGET_MS))
				break;
			feed_at[role] = TAILQ_NEXT(t, entry);
			if (!(t->owed & ROLE_BIT(role)))
				continue;
			t->owed &= ~ROLE_BIT(role);
			feed_one(role, t, c);
			n++;
		}
		if (feed_at[role] != NULL)
			wait = chan_full(c) ? FEED_FULL_MS : 0;
	}
	if (feed_stored) {
		pump_stored();
		if (feed_stored && wait == -1)
			wait = FEED_FULL_MS;
	}
	if (wait != -1)
		feed_arm(wait);
}

int
xfer_feeding(void)
{
	int	 role;

	if (feed_stored)
		return 1;
	for (role = 1; role <= ROLE_COUNT; role++)
		if (feed_at[role] != NULL)
			return 1;
	return 0;
}

void
xfer_unlink(struct torrent *t)
{
	int role;

	for (role = 1; role <= ROLE_COUNT; role++)
		if (feed_at[role] == t)
			feed_at[role] = TAILQ_NEXT(t, entry);
	if (pump_at == t)
		pump_at = TAILQ_NEXT(t, entry);
}

static void
blame_check(const char *how)
{
	struct torrent	*t;
	char		 why[256];

	if (!careful || (t = careful_inflight()) == NULL) {
		if (!careful)
			log_info("stored %s: its torrents go to it one at a "
			    "time until each is checked", how);
		careful = 1;
		return;
	}
	t->ck_crashes++;
	log_warnx("%s: stored %s while checking it (%u in a row)", t->hex,
	    how, t->ck_crashes);
	if (t->ck_crashes < CRASHES_MAX)
		return;
	snprintf(why, sizeof(why), "stored crashed %u times in a row while "
	    "checking it (last: %s); btctl resume tries again",
	    t->ck_crashes, how);
	t->ck_crashes = 0;
	set_error(t, why);
}

void
xfer_role_exited(int role, const char *crash)
{
	struct torrent *t;

	if (role == BTD__ROLE__STORED && crash != NULL)
		blame_check(crash);
	TAILQ_FOREACH(t, &torrents, entry) {
		if (role == BTD__ROLE__STORED) {
			t->st_send = ST_SEND_NONE;
			/* It wrote until now; its last records are lost. */
			if (t->num != 0 && t->desc != NULL)
				written_until(t, now_ns());
			t->move_sent = 0;
		}
		if (role == BTD__ROLE__PEERD) {
			t->rate_down = t->rate_up = 0;
			t->peers = t->seeds = t->meta_peers = 0;
		}
	}
}

/* Messages from stored. */

static void
tracker_completed(const struct torrent *t)
{
	Btd__TorrentCompleted	 tc = BTD__TORRENT_COMPLETED__INIT;
	struct chan		*c;

	if ((c = proc_chan(BTD__ROLE__TRACKERD)) == NULL)
		return;
	tc.info_hash.data = (uint8_t *)(uintptr_t)t->ih;
	tc.info_hash.len = 20;
	if (MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, TORRENT_COMPLETED,
	    torrent_completed, &tc, -1) == -1)
		log_warn("trackerd: completed %s", t->hex);
}

/*
 * Records of t's files from stored (TorrentChecked, PiecesDurable):
 * written with the next progress.  -1 if they do not hold together
 * (a protocol violation).
 */
static int
take_stats(struct torrent *t, Btd__FileStat *const *fs, size_t n,
    int ordered)
{
	size_t i;

	if (n > FSTATS_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (fs[i]->file >= t->desc->n_files ||
		    (fs[i]->missing && (fs[i]->size != 0 ||
		    fs[i]->mtime != 0)) ||
		    (ordered && fs[i]->file != i))
			return -1;
	if (t->fstats == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		struct state_fstat *r = &t->fstats[fs[i]->file];

		r->rec = !fs[i]->missing;
		r->size = fs[i]->size;
		r->mtime = fs[i]->mtime;
		r->dirty = 1;
	}
	if (n > 0)
		t->fstats_dirty = t->dirty = 1;
	return 0;
}

/*
 * Files are missing under pieces state.db recorded verified: the torrent
 * says so (Transmission's "No data found") rather than download them
 * again unasked; btctl resume does.
 */
static void
no_data_found(struct torrent *t, const Btd__TorrentChecked *m)
{
	const char	*path = t->desc->files[m->missing[0]]->path;
	char		 why[ERROR_MAX], others[64] = "";

	if (m->n_missing > 1)
		snprintf(others, sizeof(others), " and %zu other file%s",
		    m->n_missing - 1, m->n_missing > 2 ? "s" : "");
	snprintf(why, sizeof(why), "no data found: %s%s%s%s %s missing (%u "
	    "verified piece%s); move the data back, or resume to download "
	    "%s again", t->desc->multi ? t->desc->name : "",
	    t->desc->multi ? "/" : "", path, others,
	    m->n_missing > 1 ? "are" : "is", m->lost, m->lost == 1 ? "" : "s",
	    m->lost == 1 ? "it" : "them");
	set_error(t, why);
}

static int
on_checked(const Btd__TorrentChecked *m)
{
	struct torrent	*t;
	uint32_t	 pieces;
	size_t		 i;
	uint8_t		 dropped = 0;

	if (role_torrent(m->torrent, &t) == -1)
		return -1;
	if (t == NULL || t->move_to != NULL)
		return 0;	/* a moving torrent is not checked */
	pieces = t->desc->piece_count;
	/* stored checks only once it has every hash. */
	if (t->st_send != ST_SEND_NONE || !bf_valid(m->have.data,
	    m->have.len, pieces) || m->hashed > pieces ||
	    m->lost > pieces || m->trusted > pieces ||
	    m->n_missing > FSTATS_MAX ||
	    take_stats(t, m->stats, m->n_stats, 1) == -1)
		return -1;
	for (i = 0; i < m->n_missing; i++)
		if (m->missing[i] >= t->desc->n_files)
			return -1;
	for (i = 0; i < m->have.len; i++)
		dropped |= t->have[i] & ~m->have.data[i];
	memcpy(t->have, m->have.data, m->have.len);
	t->have_count = bf_count(t->have, pieces);
	t->recheck = 0;
	t->ck_crashes = 0;
	t->ck_runs++;
	t->ck_good = t->have_count;
	t->ck_hashed = m->hashed;
	t->ck_trusted = m->trusted;
	/* Every record is fresh from the check: nothing written since. */
	t->written_until = 0;
	log_info("%s: checked: %u of %u pieces verified (%u hashed), %u "
	    "trusted as recorded, %u lost", t->hex, t->have_count, pieces,
	    m->hashed, m->trusted, m->lost);
	set_state(t, TEV_CHECKED);
	if (t->state == TST_SEEDING && t->completed == 0)
		t->completed = (int64_t)time(NULL);
	t->dirty = 1;
	if (m->n_missing > 0)
		no_data_found(t, m);
	/*
	 * Pieces state.db holds as verified were not good: forget them
	 * there now, before stored writes into them, so that no later
	 * start trusts them (written_until trusts a file stored wrote).
	 */
	if (dropped)
		xfer_flush();
	if (careful)
		pump_stored();	/* the next one */
	return 0;
}

static int
on_check_progress(const Btd__CheckProgress *m)
{
	struct torrent	*t;

	if (role_torrent(m->torrent, &t) == -1)
		return -1;
	if (t == NULL || t->move_to != NULL)
		return 0;
	/* stored checks only once it has every hash. */
	if (t->st_send != ST_SEND_NONE || m->pieces > t->desc->piece_count)
		return -1;
	t->ck_pieces = m->pieces;
	return 0;
}

static void	became_complete(struct torrent *);

static int
on_durable(const Btd__PiecesDurable *m)
{
	struct torrent	*t;
	enum tstate	 old;
	size_t		 i;
	uint32_t	 pieces;
	int		 r;

	if (role_torrent(m->torrent, &t) == -1)
		return -1;
	if (t == NULL || t->move_to != NULL)
		return 0;
	pieces = t->desc->piece_count;
	if (t->st_send != ST_SEND_NONE || m->n_pieces > pieces ||
	    take_stats(t, m->stats, m->n_stats, 0) == -1)
		return -1;
	for (i = 0; i < m->n_pieces; i++)
		if (m->pieces[i] >= pieces)
			return -1;
	for (i = 0; i < m->n_pieces; i++)
		if ((r = bf_set(t->have, pieces, m->pieces[i])) == 1) {
			t->have_count++;
			t->dirty = 1;
		}
	old = t->state;
	set_state(t, TEV_DURABLE);
	if (old != TST_SEEDING && t->state == TST_SEEDING)
		became_complete(t);
	return 0;
}

/*
 * Every wanted piece is verified.  Trackers hear "completed" only for
 * the whole torrent: one that skipped files is no seed of it.
 */
static void
became_complete(struct torrent *t)
{
	int all = t->have_count == t->desc->piece_count;

	if (t->completed == 0)
		t->completed = (int64_t)time(NULL);
	log_info("%s: complete%s", t->hex, all ? "" : " (the wanted files)");
	if (all)
		tracker_completed(t);
	t->dirty = 1;
}

void
xfer_wants_changed(struct torrent *t)
{
	enum tstate old = t->state;

	set_state(t, TEV_WANTS);
	if (old != TST_SEEDING && t->state == TST_SEEDING)
		became_complete(t);
	/* What is left changed: trackers hear it with the next counters. */
	t->counters_sent = 0;
}

static int
on_files_created(const Btd__FilesCreated *m)
{
	struct torrent	*t;
	uint32_t	 nfiles;
	size_t		 i;

	if (role_torrent(m->torrent, &t) == -1)
		return -1;
	if (t == NULL && (t = by_gone_num(m->torrent)) == NULL)
		return 0;
	nfiles = (uint32_t)t->desc->n_files;
	if (m->n_files > FILES_CREATED_MAX)
		return -1;
	for (i = 0; i < m->n_files; i++)
		if (m->files[i] >= nfiles)
			return -1;
	if (t->created == NULL &&
	    (t->created = calloc(1, bf_len(nfiles))) == NULL) {
		log_warn("%s", __func__);
		return 0;	/* under-claims: the files are left */
	}
	for (i = 0; i < m->n_files; i++)
		if (bf_set(t->created, nfiles, m->files[i]) == 1)
			t->dirty = 1;
	return 0;
}

int
xfer_file_owned(const struct torrent *t, size_t i)
{
	const Btd__FileDesc	*f = t->desc->files[i];
	uint64_t		 p, last;

	if (t->created != NULL && (t->created[i >> 3] >> (7 - (i & 7))) & 1)
		return 1;
	if (t->have == NULL || f->length == 0)
		return 0;
	last = (f->offset + f->length - 1) / t->desc->piece_length;
	for (p = f->offset / t->desc->piece_length; p <= last &&
	    p < t->desc->piece_count; p++)
		if ((t->have[p >> 3] >> (7 - (p & 7))) & 1)
			return 1;
	return 0;
}

static int
on_error(const Btd__TorrentError *m)
{
	struct torrent	*t;
	char		 why[ERROR_MAX];
	size_t		 n;

	if (role_torrent(m->torrent, &t) == -1 || !utf8_valid(m->error))
		return -1;
	if (t == NULL)
		return 0;
	/*
	 * Kept as the UTF-8 it is (btctl and JSON escape it when shown),
	 * cut on a character boundary.
	 */
	n = strlen(m->error);
	if (n > sizeof(why) - 1) {
		n = sizeof(why) - 1;
		while (n > 0 && ((unsigned char)m->error[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(why, m->error, n);
	why[n] = '\0';
	/*
	 * A moving torrent stored refused (its move never began): the move
	 * is over and the data where it was, unless an earlier attempt may
	 * have begun (the record stays for resume).
	 */
	if (t->move_to != NULL)
		move_end(t, !t->move_resume, "stored refused the torrent",
		    why);
	/* stored forgot it already: nothing more to tell it. */
	t->st_send = ST_SEND_ADD;
	pump_at = NULL;
	set_error(t, why[0] != '\0' ? why : "stored gave no reason");
	return 0;
}

/*
 * A move is over (ok), or failed: rolled back (the data where it was)
 * or not (some moved: the record stays and resume tries again).
 */
static void
move_end(struct torrent *t, int rolled_back, const char *what,
    const char *detail)
{
	char	 buf[ERROR_MAX + 4400];

	snprintf(buf, sizeof(buf), "move to %s failed: %s%s%s%s", t->move_to,
	    what, detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
	free(t->move_result);
	t->move_result = strdup(buf);
	t->move_failed = 1;
	t->moves++;
	t->move_sent = 0;
	log_warnx("%s: %s%s", t->hex, buf, rolled_back ? "; rolled back" :
	    "");
	if (!rolled_back)
		return;
	if (state_move_set(st, t->ih, NULL) == -1)
		log_warnx("%s: state.db still records the move; the next "
		    "start tries it again", t->hex);
	free(t->move_to);
	t->move_to = NULL;
}

static int
on_move_result(const Btd__MoveResult *m)
{
	struct torrent	*t;
	char		 buf[ERROR_MAX + 4400];

	if (role_torrent(m->torrent, &t) == -1)
		return -1;
	if (t == NULL)
		return 0;
	if (t->move_to == NULL || !t->move_sent || !utf8_valid(m->error))
		return -1;
	if (!m->ok) {
		char why[ERROR_MAX];

		snprintf(why, sizeof(why), "%s", m->error[0] ? m->error :
		    "stored gave no reason");
		move_end(t, m->rolled_back, why, "");
		xfer_stop(t);	/* stored forgot it */
		if (!m->rolled_back) {
			snprintf(buf, sizeof(buf), "%s; part of the data "
			    "moved: btctl resume takes the move up again",
			    t->move_result);
			set_error(t, buf);
			return 0;
		}
		xfer_start(t);	/* where it was, as it was */
		return 0;
	}
	if (state_move_done(st, t->ih, t->move_to) == -1) {
		xfer_stop(t);
		set_error(t, "state.db: cannot record the new save path; "
		    "btctl resume takes the move up again");
		return 0;
	}
	snprintf(buf, sizeof(buf), "moved to %s: %u file%s renamed, %u "
	    "copied, %u piece%s hashed", t->move_to, m->renamed,
	    m->renamed == 1 ? "" : "s", m->copied, m->hashed,
	    m->hashed == 1 ? "" : "s");
	log_info("%s: %s", t->hex, buf);
	free(t->move_result);
	t->move_result = strdup(buf);
	t->move_failed = 0;
	t->moves++;
	free(t->save_path);
	t->save_path = t->move_to;	/* the move's, now t's */
	t->move_to = NULL;
	t->move_sent = 0;
	xfer_stop(t);		/* stored forgot it */
	torrent_moved();
	xfer_start(t);		/* at the new place, as it was */
	return 0;
}

static int
on_move_progress(const Btd__MoveProgress *m)
{
	struct torrent	*t;

	if (role_torrent(m->torrent, &t) == -1)
		return -1;
	if (t == NULL)
		return 0;
	if (t->move_to == NULL || !t->move_sent || m->done > m->total)
		return -1;
	t->move_done = m->done;
	t->move_total = m->total;
	return 0;
}

/* stored's counters (StoredStats): numbers only, kept as they come. */
static Btd__StoredStats	 stored_stats = BTD__STORED_STATS__INIT;
static int		 have_stored_stats;

static int
on_stored_stats(const Btd__StoredStats *ss)
{
	stored_stats = *ss;
	stored_stats.base.unknown_fields = NULL;
	stored_stats.base.n_unknown_fields = 0;
	have_stored_stats = 1;
	return 0;
}

const Btd__StoredStats *
xfer_stored_stats(void)
{
	return have_stored_stats ? &stored_stats : NULL;
}

int
xfer_stored_msg(const ProtobufCMessage *env)
{
	const Btd__StoredMsg *m = MSG_AS(Btd__StoredMsg, stored_msg, env);

	switch (m->body_case) {
	case BTD__STORED_MSG__BODY_CHECKED:
		return on_checked(m->checked);
	case BTD__STORED_MSG__BODY_DURABLE:
		return on_durable(m->durable);
	case BTD__STORED_MSG__BODY_TORRENT_ERROR:
		return on_error(m->torrent_error);
	case BTD__STORED_MSG__BODY_CHECK_PROGRESS:
		return on_check_progress(m->check_progress);
	case BTD__STORED_MSG__BODY_FILES_CREATED:
		return on_files_created(m->files_created);
	case BTD__STORED_MSG__BODY_MOVE_RESULT:
		return on_move_result(m->move_result);
	case BTD__STORED_MSG__BODY_MOVE_PROGRESS:
		return on_move_progress(m->move_progress);
	case BTD__STORED_MSG__BODY_STATS:
		return on_stored_stats(m->stats);
	default:
		return -1;
	}
}

/* Messages from metad. */

/*
 * The description to keep: metad's (without its info bytes, which have
 * a column) with the magnet's trackers and peers.  Packed into *out
 * (free()); -1 out of memory.
 */
static int
meta_pack(const struct torrent *t, const Btd__TorrentDesc *d, uint8_t **out,
    size_t *outlen)
{
	Btd__TorrentDesc	copy = *d;

	copy.info.data = NULL;
	copy.info.len = 0;
	copy.trackers = t->mag->trackers;
	copy.n_trackers = t->mag->n_trackers;
	copy.peers = t->mag->peers;
	copy.n_peers = t->mag->n_peers;
	*outlen = btd__torrent_desc__get_packed_size(&copy);
	if ((*out = malloc(*outlen + 1)) == NULL)
		return -1;
	btd__torrent_desc__pack(&copy, *out);
	return 0;
}

static int
on_meta_result(const Btd__MetaResult *r)
{
	struct state_torrent	 row;
	Btd__TorrentDesc	*d = r->torrent_desc, *nd;
	struct torrent		*t;
	const char		*bad;
	uint8_t			*meta = NULL, *info = NULL;
	size_t			 metalen;
	char			 why[ERROR_MAX];

	if (role_torrent(r->torrent, &t) == -1)
		return -1;
	if (t == NULL || t->desc != NULL || t->mag == NULL)
		return 0;	/* stopped, or a late answer */
	if (!r->ok) {
		if (!utf8_valid(r->error))
			return -1;
		snprintf(why, sizeof(why), "metadata: %s", r->error);
		set_error(t, why);
		return 0;
	}
	if (d == NULL) {
		log_warnx("metad: MetaResult %u without a description",
		    r->torrent);
		return -1;
	}
	if ((bad = torrent_desc_invalid(d)) != NULL ||
	    memcmp(d->info_hash.data, t->ih, 20) != 0) {
		log_warnx("metad sent an invalid description of %s: %s",
		    t->hex, bad != NULL ? bad : "another info-hash");
		return -1;
	}
	if (meta_pack(t, d, &meta, &metalen) == -1 ||
	    (info = malloc(d->info.len)) == NULL)
		goto oom;
	memcpy(info, d->info.data, d->info.len);
	memset(&row, 0, sizeof(row));
	row.info_hash = t->ih;
	row.name = d->name;
	row.info = info;
	row.info_len = d->info.len;
	row.meta = meta;
	row.meta_len = metalen;
	row.state = tstate_name(TST_QUEUED);
	row.nfiles = d->n_files;
	if (state_torrent_set_meta(st, &row) == -1) {
		set_error(t, "state.db: cannot record the metadata");
		goto done;
	}
	if ((nd = desc_unpack(metalen, meta)) == NULL)
		goto oom;
	free(t->name);
	if ((t->name = strdup(d->name)) == NULL)
		fatal("%s", __func__);
	btd__magnet_desc__free_unpacked(t->mag, NULL);
	t->mag = NULL;
	t->desc = nd;
	t->info = info;		/* freed by xfer_forget() */
	t->info_len = d->info.len;
	info = NULL;
	t->hashes = info_hashes(t->info, t->info_len, nd->piece_count);
	if ((t->have = calloc(1, bf_len(nd->piece_count) + 1)) == NULL ||
	    (t->fstats = calloc(nd->n_files > 0 ? nd->n_files : 1,
	    sizeof(*t->fstats))) == NULL)
		fatal("%s", __func__);
	t->have_count = 0;
	t->meta_peers = 0;
	wants_reload(t);
	log_info("%s: metadata verified: '%s', %zu file%s, %llu bytes",
	    t->hex, t->name, nd->n_files, nd->n_files == 1 ? "" : "s",
	    (unsigned long long)nd->total_size);
	set_state(t, TEV_METADATA);
	if (t->hashes == NULL) {
		set_error(t, "the info dictionary has no piece hashes");
		goto done;
	}
	tracker_start(t);
	xfer_start(t);
	goto done;
oom:
	set_error(t, "out of memory");
done:
	free(meta);
	free(info);
	return 0;
}

int
xfer_metad_msg(const ProtobufCMessage *env)
{
	const Btd__MetadMsg *m = MSG_AS(Btd__MetadMsg, metad_msg, env);

	if (m->body_case == BTD__METAD_MSG__BODY_META_RESULT)
		return on_meta_result(m->meta_result);
	return -1;
}

/* Messages from peerd. */

static int
on_stats(const Btd__PeerdStats *m)
{
	const Btd__TorrentStats	*s;
	struct torrent		*t;
	uint64_t		 now = util_now_ms();
	size_t			 i;

	if (m->n_torrents > STATS_MAX)
		return -1;
	for (i = 0; i < m->n_torrents; i++) {
		s = m->torrents[i];
		if (role_torrent(s->torrent, &t) == -1 || s->seeds > s->peers ||
		    s->metadata_peers > s->peers)
			return -1;
		if (t == NULL)
			continue;
		t->downloaded = sat_add(t->downloaded, s->downloaded);
		t->uploaded = sat_add(t->uploaded, s->uploaded);
		t->wasted = sat_add(t->wasted, s->wasted);
		run_down = sat_add(run_down, s->downloaded);
		run_up = sat_add(run_up, s->uploaded);
		total_down = sat_add(total_down, s->downloaded);
		total_up = sat_add(total_up, s->uploaded);
		if (s->downloaded || s->uploaded || s->wasted) {
			t->dirty = 1;
			totals_dirty = 1;
		}
		t->rate_down = s->rate_down;
		t->rate_up = s->rate_up;
		t->peers = s->peers;
		t->seeds = s->seeds;
		t->meta_peers = t->desc == NULL ? s->metadata_peers : 0;
		t->stats_ms = now;
	}
	return 0;
}

int
xfer_peerd_msg(const ProtobufCMessage *env)
{
	const Btd__PeerdMsg *m = MSG_AS(Btd__PeerdMsg, peerd_msg, env);

	if (m->body_case == BTD__PEERD_MSG__BODY_STATS)
		return on_stats(m->stats);
	return -1;
}

/* Once a second: state.db, trackerd's figures, stale rates. */

static void
save_one(struct torrent *t)
{
	struct state_progress p;

	memset(&p, 0, sizeof(p));
	if (t->have != NULL) {
		p.pieces = t->have;
		p.pieces_len = bf_len(t->desc->piece_count);
	}
	if (t->created != NULL) {
		p.created = t->created;
		p.created_len = bf_len((uint32_t)t->desc->n_files);
	}
	p.downloaded = t->downloaded;
	p.uploaded = t->uploaded;
	p.wasted = t->wasted;
	p.completed = t->completed;
	p.state = tstate_name(t->state);
	p.error = t->error;
	p.paused = t->paused;
	if (t->fstats_dirty && t->fstats != NULL) {
		if (state_fstats_save(st, t->ih, t->fstats,
		    t->desc->n_files) == -1)
			return;		/* still dirty: the next tick */
		t->fstats_dirty = 0;
	}
	if (state_progress_save(st, t->ih, &p) == 0)
		t->dirty = 0;
}

void
xfer_flush(void)
{
	struct torrent	*t;
	char		 when[32];
	int		 any = totals_dirty;

	TAILQ_FOREACH(t, &torrents, entry)
		any |= t->dirty;
	if (!any || st == NULL)
		return;
	if (state_begin(st) == -1)
		return;		/* still dirty: the next tick tries again */
	TAILQ_FOREACH(t, &torrents, entry)
		if (t->dirty)
			save_one(t);
	if (totals_dirty && state_total_set(st, "total_downloaded",
	    total_down) == 0 && state_total_set(st, "total_uploaded",
	    total_up) == 0)
		totals_dirty = 0;
	/* When records were last written: see xfer_recheck_all(). */
	snprintf(when, sizeof(when), "%lld", (long long)now_ns());
	(void)state_meta_set(st, "flushed_at", when);
	if (state_commit(st) == -1) {
		state_rollback(st);
		TAILQ_FOREACH(t, &torrents, entry)
			t->dirty = 1;
		totals_dirty = 1;
	}
}

static void
send_counters(struct chan *c, struct torrent *t)
{
	Btd__TorrentCounters	 tc = BTD__TORRENT_COUNTERS__INIT;
	uint64_t		 left = xfer_left(t);

	if (t->owed & ROLE_BIT(BTD__ROLE__TRACKERD))
		return;		/* its TorrentStart carries them */
	if (t->counters_sent && left == t->sent_left &&
	    t->uploaded == t->sent_up && t->downloaded == t->sent_down)
		return;
	tc.info_hash.data = t->ih;
	tc.info_hash.len = 20;
	tc.left = left;
	tc.uploaded = t->uploaded;
	tc.downloaded = t->downloaded;
	if (MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, TORRENT_COUNTERS,
	    torrent_counters, &tc, -1) == -1) {
		log_warn("trackerd: counters of %s", t->hex);
		return;
	}
	t->sent_left = left;
	t->sent_up = t->uploaded;
	t->sent_down = t->downloaded;
	t->counters_sent = 1;
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct torrent	*t;
	struct chan	*c = proc_chan(BTD__ROLE__TRACKERD);
	uint64_t	 now = util_now_ms();

	(void)fd;
	(void)ev;
	(void)arg;
	TAILQ_FOREACH(t, &torrents, entry) {
		if (t->stats_ms != 0 && now - t->stats_ms > STATS_STALE_MS) {
			t->rate_down = t->rate_up = 0;
			t->peers = t->seeds = 0;
			t->stats_ms = 0;
		}
		if (c != NULL && t->desc != NULL && !t->paused &&
		    t->state != TST_ERROR)
			send_counters(c, t);
	}
	xfer_flush();
}

/* ctl: pause, resume, stats */

static void
reply_ok(int client)
{
	Btd__CtlReply rep = BTD__CTL_REPLY__INIT;

	rep.ok = 1;
	(void)ctl_send_reply(client, &rep);
}

void
xfer_ctl_pause(int client, const Btd__PauseRequest *req)
{
	struct torrent	*t;
	char		 err[256];

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	if (t->move_to != NULL && t->state != TST_ERROR) {
		ctl_send_error(client, "%s is moving to %s; pause it once the "
		    "move is over", t->hex, t->move_to);
		return;
	}
	if (!t->paused) {
		t->paused = 1;
		torrent_changed(t);
		xfer_stop(t);
		tracker_stop(t);
		t->dirty = 1;
		xfer_flush();
		log_info("%s: paused", t->hex);
	}
	reply_ok(client);
}

void
xfer_ctl_resume(int client, const Btd__ResumeRequest *req)
{
	struct torrent	*t;
	char		 err[256], *e;

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	if (t->move_to != NULL && t->state == TST_ERROR) {
		/* A move that failed half-way: taken up again. */
		if ((e = strdup("")) == NULL) {
			ctl_send_error(client, "out of memory");
			return;
		}
		free(t->error);
		t->error = e;
		set_state(t, TEV_RESUME);
		t->dirty = 1;
		log_info("%s: the move to %s is taken up again", t->hex,
		    t->move_to);
		xfer_move_start(t, NULL);
		xfer_flush();
		reply_ok(client);
		return;
	}
	if (!t->paused && t->state != TST_ERROR) {
		reply_ok(client);
		return;
	}
	if (t->desc != NULL && t->hashes == NULL) {
		ctl_send_error(client, "%s cannot run: %s", t->hex, t->error);
		return;
	}
	if ((e = strdup("")) == NULL) {
		ctl_send_error(client, "out of memory");
		return;
	}
	free(t->error);
	t->error = e;
	t->paused = 0;
	set_state(t, TEV_RESUME);
	if (t->desc == NULL)
		t->state = TST_FETCHING;	/* a magnet fetches again */
	t->dirty = 1;
	log_info("%s: resumed", t->hex);
	tracker_start(t);
	xfer_start(t);
	xfer_flush();
	reply_ok(client);
}

/*
 * ctl: verify.  Every piece is hashed again, whatever state.db says:
 * the torrent goes back through checking, and pieces found bad are
 * downloaded again.  A paused one is checked in full when resumed.
 */
void
xfer_ctl_verify(int client, const Btd__VerifyRequest *req)
{
	struct torrent	*t;
	char		 err[256], *e;
	int		 was_error;

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	if (t->desc == NULL) {
		ctl_send_error(client, "%s has no metadata yet: nothing to "
		    "verify", t->hex);
		return;
	}
	if (t->hashes == NULL) {
		ctl_send_error(client, "%s cannot run: %s", t->hex, t->error);
		return;
	}
	if (t->move_to != NULL) {
		ctl_send_error(client, "%s is moving to %s; verify it once the "
		    "move is over", t->hex, t->move_to);
		return;
	}
	t->recheck = 1;
	if (t->paused) {
		log_info("%s: verify: checked in full when resumed", t->hex);
		torrent_reply_summary(client, t);
		return;
	}
	was_error = t->state == TST_ERROR;
	if (was_error) {
		if ((e = strdup("")) == NULL) {
			ctl_send_error(client, "out of memory");
			return;
		}
		free(t->error);
		t->error = e;
	}
	xfer_stop(t);
	set_state(t, TEV_RESUME);
	t->dirty = 1;
	log_info("%s: verify: every piece is hashed again", t->hex);
	if (was_error)
		tracker_start(t);
	xfer_start(t);
	xfer_flush();
	torrent_reply_summary(client, t);
}

void
xfer_ctl_stats(int client)
{
	Btd__CtlReply	 rep = BTD__CTL_REPLY__INIT;
	Btd__SessionStats s = BTD__SESSION_STATS__INIT;
	struct torrent	*t;

	TAILQ_FOREACH(t, &torrents, entry) {
		s.torrents++;
		if (!t->paused && (t->state == TST_DOWNLOADING ||
		    t->state == TST_SEEDING))
			s.active++;
		s.rate_down = sat_add(s.rate_down, t->rate_down);
		s.rate_up = sat_add(s.rate_up, t->rate_up);
		s.peers += t->peers;
	}
	s.downloaded = run_down;
	s.uploaded = run_up;
	s.total_downloaded = total_down;
	s.total_uploaded = total_up;
	s.uptime = btd_uptime();
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_STATS;
	rep.stats = &s;
	(void)ctl_send_reply(client, &rep);
}
