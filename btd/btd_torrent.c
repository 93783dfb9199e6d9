/*
 * btd_torrent.c -- btd's torrents: adding, listing, showing, removing.
 *
 * btd never parses a .torrent or a magnet link: it hands the bytes to
 * metad (ParseTorrent, ParseMagnet) and checks the structure of the
 * description that comes back (a role is not trusted either) before it
 * records it in state.db and in the list here.  Deleting a torrent's
 * files is stored's job (DeleteData): btd touches no download.
 *
 * remove --delete-data deletes only what belongs to the torrent: the
 * files stored created for it and those a verified piece touches
 * (xfer_file_owned()); the others -- already there when it was added,
 * data never verified, an administrator's own -- are left and named in
 * the reply.  The list goes to stored in parts of at most
 * DELETE_PART_PATHS paths and DELETE_PART_BYTES bytes, far below the
 * channel's frame bound, one deletion after the other and while the
 * channel has room (delete_pump()); stored answers once, after the last
 * part.  Rejected: letting stored derive the list, since stored keeps
 * no state across its restarts and could not know which files it made.
 *
 * Requests to roles are asynchronous: each waits in the pending list
 * with the ctl client that asked, a deadline, and an id echoed in the
 * answer.  A role that dies fails its pending requests; a late answer
 * to a request that already failed is dropped.  A torrent that crashed
 * metad is not sent again.
 *
 * Download roots: stored may write only under download_dir and the
 * directories named with `btctl add -d` (kept in state.db).  A save path
 * outside all of them widens the set and restarts stored, since Landlock
 * rules cannot be widened in a running process.  A new root must lie
 * under download_dirs_allowed and be no system tree, symlink or file
 * (torrent_root_allowed()); roots no torrent uses are dropped.  Roots and
 * save paths are compared in one canonical form (path_canon()).
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "ctl.pb-c.h"
#include "metad.pb-c.h"
#include "peerd.pb-c.h"
#include "stored.pb-c.h"
#include "torrent.pb-c.h"
#include "trackerd.pb-c.h"

#include "btd.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "magnet.h"
#include "metainfo.h"
#include "msg.h"
#include "utf8.h"
#include "util.h"

/* Tunables. */
#define PARSE_TIMEOUT	30	/* seconds for metad to answer */
#define FETCH_TIMEOUT	125	/* seconds for trackerd to fetch a .torrent */
#define QUERY_TIMEOUT	10	/* seconds for trackerd's report */
#define STOPALL_WAIT	4	/* seconds for event=stopped at shutdown */
#define MAGNET_LEFT	16384	/* "left" announced before the metadata */
#define DELETE_TIMEOUT	120	/* seconds for stored to delete files */
#define DELETE_PART_PATHS 1024	/* paths in one DeleteData part */
#define DELETE_PART_BYTES (256U << 10) /* bytes of paths in one part */
#define LEFT_SHOWN	10	/* files left that the reply names */
#define SHORT_ID_MIN	8	/* hex digits of a short id */
#define ID_PREFIX_MIN	4	/* hex digits a user must give */
#define MAX_ROOTS	SANDBOX_MAX_DIRS

enum pending_kind {
	PENDING_PARSE,
	PENDING_DELETE,
	PENDING_FETCH,		/* then a PARSE of what was fetched */
	PENDING_QUERY,
	PENDING_PEERS,		/* QueryPeers to peerd */
};

struct pending {
	TAILQ_ENTRY(pending)	 entry;
	uint64_t		 id;
	enum pending_kind	 kind;
	int			 client;	/* ctl client to answer */
	struct event		*timer;
	char			*save_path;	/* parse: where it goes */
	int			 paused;	/* parse: add paused */
	char			 what[128];	/* delete: "ID (NAME)" */
	/* delete: what stored is sent (delete_pump()), all malloc'd */
	char			*root;
	char			*dir;
	int			 remove_dir;
	char			**paths;	/* the torrent's own files */
	size_t			 npaths;
	size_t			 next;		/* first path not yet sent */
	uint32_t		 left;		/* files that were not its */
	char			*left_paths[LEFT_SHOWN];
	size_t			 nleft_paths;
};

struct torrent_list		 torrents = TAILQ_HEAD_INITIALIZER(torrents);
static TAILQ_HEAD(, pending)	 pendings = TAILQ_HEAD_INITIALIZER(pendings);
static struct event_base	*base;
static struct conf		*cf;
static struct state		*st;
static uint64_t			 next_id;
static char			*roots[MAX_ROOTS];	/* extra download roots */
static int			 nroots;

static void	path_canon(char *);
static int	save_path_valid(const char *, char *, size_t);

static void
hexify(const uint8_t ih[20], char hex[41])
{
	static const char	digits[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < 20; i++) {
		hex[2 * i] = digits[ih[i] >> 4];
		hex[2 * i + 1] = digits[ih[i] & 0xf];
	}
	hex[40] = '\0';
}

static void
torrent_free(struct torrent *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->save_path);
	free(t->error);
	wants_free(t);
	seed_free(t);
	xfer_forget(t);
	if (t->desc != NULL)
		desc_free(t->desc);	/* desc_unpack()'s block */
	if (t->mag != NULL)
		btd__magnet_desc__free_unpacked(t->mag, NULL);
	free(t);
}

/*
 * The torrents sorted by info-hash, beside the list in the order added:
 * a lookup by hash or by id prefix and the shortest unique id are a
 * binary search and a look at the neighbours, never a walk of every
 * torrent (listing 100,000 torrents would otherwise take their square).
 * Lower-case hex sorts as the bytes do, so one order serves both.
 */
static struct torrent	**sorted;
static size_t		 nsorted, sortedcap;
static int		 list_short;	/* short_all() gave t->short_n */

/* Index of the first torrent whose hex id is >= key's first n digits. */
static size_t
sorted_lower(const char *key, size_t n)
{
	size_t lo = 0, hi = nsorted, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strncmp(sorted[mid]->hex, key, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Put t in the list (last) and the index; -1 when out of memory. */
static int
torrent_link(struct torrent *t)
{
	size_t i;

	if (nsorted == sortedcap) {
		size_t		 cap = sortedcap ? sortedcap * 2 : 256;
		struct torrent	**n;

		if ((n = reallocarray(sorted, cap, sizeof(*n))) == NULL)
			return -1;
		sorted = n;
		sortedcap = cap;
	}
	i = sorted_lower(t->hex, 40);
	memmove(sorted + i + 1, sorted + i, (nsorted - i) * sizeof(*sorted));
	sorted[i] = t;
	nsorted++;
	TAILQ_INSERT_TAIL(&torrents, t, entry);
	return 0;
}

static void
torrent_unlink(struct torrent *t)
{
	size_t i = sorted_lower(t->hex, 40);

	torrent_changed(t);	/* its held shows answer "no such torrent" */
	xfer_unlink(t);
	if (i < nsorted && sorted[i] == t) {
		memmove(sorted + i, sorted + i + 1,
		    (nsorted - i - 1) * sizeof(*sorted));
		nsorted--;
	}
	TAILQ_REMOVE(&torrents, t, entry);
}

struct torrent *
torrent_by_hash(const uint8_t ih[20])
{
	size_t	lo = 0, hi = nsorted, mid;

	/* The bytes sort as their lower-case hex does. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(sorted[mid]->ih, ih, 20) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nsorted && memcmp(sorted[lo]->ih, ih, 20) == 0 ?
	    sorted[lo] : NULL;
}

/* Build the in-memory torrent from a state.db row. */
static struct torrent *
torrent_from_row(const struct state_torrent *row)
{
	struct torrent	*t;
	int		 state;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	memcpy(t->ih, row->info_hash, 20);
	hexify(t->ih, t->hex);
	t->name = strdup(row->name);
	if ((t->save_path = strdup(row->save_path)) != NULL)
		path_canon(t->save_path);	/* as roots are compared */
	t->error = strdup(row->error != NULL ? row->error : "");
	t->added = row->added;
	t->paused = row->paused;
	/* The row is not trusted: a number out of range is none (0). */
	t->seq = row->seq > 0 && row->seq <= INT32_MAX ? (uint32_t)row->seq : 0;
	if (row->info != NULL)
		t->desc = desc_unpack(row->meta_len, row->meta);
	else
		t->mag = btd__magnet_desc__unpack(NULL, row->meta_len,
		    row->meta);
	if (t->name == NULL || t->save_path == NULL ||
	    t->error == NULL || (t->desc == NULL && t->mag == NULL)) {
		torrent_free(t);
		return NULL;
	}
	/*
	 * The row is not trusted: its description must pass the checks an
	 * add makes, against the info bytes beside it.
	 */
	if (t->desc != NULL) {
		const char	*bad;

		t->desc->info.data = (uint8_t *)(uintptr_t)row->info;
		t->desc->info.len = row->info_len;
		bad = torrent_desc_invalid(t->desc);
		t->desc->info.data = NULL;	/* the row's, not ours */
		t->desc->info.len = 0;
		if (bad != NULL || memcmp(t->desc->info_hash.data, t->ih,
		    20) != 0) {
			log_warnx("state.db: %s: %s", t->hex, bad != NULL ?
			    bad : "info-hash differs from its row");
			torrent_free(t);
			return NULL;
		}
	}
	/* The row is not trusted: a state it cannot be in is queued. */
	if ((state = tstate_parse(row->state)) == -1) {
		log_warnx("state.db: %s: unknown state '%s'; queued", t->hex,
		    row->state != NULL ? row->state : "");
		state = TST_QUEUED;
	}
	t->state = (enum tstate)state;
	if (t->desc == NULL)
		t->state = TST_FETCHING;
	else if (t->state == TST_FETCHING)
		t->state = TST_QUEUED;
	if (t->state != TST_ERROR && t->error[0] != '\0')
		t->error[0] = '\0';
	xfer_load(t, row);
	/* A move that was under way: stored takes it up (resume). */
	if (row->move_to != NULL && t->desc != NULL) {
		char	 mv[4096], err[512];

		if (strlen(row->move_to) >= sizeof(mv) ||
		    !save_path_valid(row->move_to, err, sizeof(err))) {
			log_warnx("state.db: %s: a move to an unusable path; "
			    "the data is looked for where it was", t->hex);
			return t;
		}
		snprintf(mv, sizeof(mv), "%s", row->move_to);
		path_canon(mv);
		if ((t->move_to = strdup(mv)) == NULL) {
			torrent_free(t);
			return NULL;
		}
		t->move_resume = 1;
		log_info("%s: a move to %s was under way; it is taken up "
		    "again", t->hex, t->move_to);
	}
	return t;
}

static int
sorted_cmp(const void *a, const void *b)
{
	const struct torrent *x = *(struct torrent *const *)a;
	const struct torrent *y = *(struct torrent *const *)b;

	return memcmp(x->ih, y->ih, 20);
}

/*
 * A row at start: appended to the list and the index, which is sorted
 * once every row is in (load_sort()); inserting each in its place would
 * move half the index a row, the square of 100,000 in all.
 */
static void
load_row(const struct state_torrent *row, void *arg)
{
	struct torrent	 *t, **n;
	size_t		 *count = arg;

	if ((t = torrent_from_row(row)) == NULL) {
		char hex[41];

		hexify(row->info_hash, hex);
		log_warnx("state.db: torrent %s cannot be read; skipped", hex);
		return;
	}
	if (nsorted == sortedcap) {
		size_t cap = sortedcap ? sortedcap * 2 : 256;

		if ((n = reallocarray(sorted, cap, sizeof(*n))) == NULL) {
			log_warnx("torrent %s: out of memory; skipped", t->hex);
			torrent_free(t);
			return;
		}
		sorted = n;
		sortedcap = cap;
	}
	sorted[nsorted++] = t;
	TAILQ_INSERT_TAIL(&torrents, t, entry);
	(*count)++;
}

/* The index in order; a second row of one info-hash is dropped. */
static void
load_sort(void)
{
	size_t i, j;

	if (nsorted > 1)
		qsort(sorted, nsorted, sizeof(*sorted), sorted_cmp);
	for (i = j = 0; i < nsorted; i++) {
		if (j > 0 && memcmp(sorted[j - 1]->ih, sorted[i]->ih,
		    20) == 0) {
			log_warnx("state.db: torrent %s twice; the second row "
			    "skipped", sorted[i]->hex);
			TAILQ_REMOVE(&torrents, sorted[i], entry);
			torrent_free(sorted[i]);
			continue;
		}
		sorted[j++] = sorted[i];
	}
	nsorted = j;
}

/* A file record (quick resume) at start, for the torrent it names. */
static void
load_fstat(const uint8_t *ih, uint64_t idx, const struct state_fstat *f,
    void *arg)
{
	struct torrent *t;

	(void)arg;
	/* Untrusted: a row of no torrent, or out of range, is none. */
	if ((t = torrent_by_hash(ih)) == NULL || t->fstats == NULL ||
	    t->desc == NULL || idx >= t->desc->n_files)
		return;
	t->fstats[idx] = *f;
}

/*
 * Trees that are never download roots, nor inside one: a root equal to
 * or below one of them, or above one of them ("/", "/var"), is refused.
 */
static const char *const system_trees[] = {
	"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64",
	"/libx32", "/proc", "/run", "/sbin", "/sys", "/usr", "/var/cache",
	"/var/lib", "/var/log", "/var/mail", "/var/run", "/var/spool",
};
/* Directories that may hold a root but are never one themselves. */
static const char *const never_roots[] = {
	"/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp", "/var",
	"/var/tmp",
};

static int	path_under(const char *, const char *);

/*
 * A path in the one form roots are compared in: repeated '/' collapsed,
 * no trailing '/' (but "/" itself), in place.
 */
static void
path_canon(char *p)
{
	char	*r, *w;

	for (r = w = p; *r != '\0'; r++)
		if (*r != '/' || w == p || w[-1] != '/')
			*w++ = *r;
	while (w > p + 1 && w[-1] == '/')
		w--;
	*w = '\0';
}

/* The part of path that exists has no symlink: 0, or -1 and why. */
static int
path_no_symlink(const char *path, char *err, size_t errlen)
{
	char		 pre[4096], real[4096], *sl;
	struct stat	 sb;

	if (strlen(path) >= sizeof(pre)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	snprintf(pre, sizeof(pre), "%s", path);
	while (lstat(pre, &sb) == -1) {
		if (errno != ENOENT || (sl = strrchr(pre, '/')) == NULL) {
			snprintf(err, errlen, "%s: %s", pre, strerror(errno));
			return -1;
		}
		if (sl == pre) {
			pre[1] = '\0';
			break;
		}
		*sl = '\0';
	}
	if (realpath(pre, real) == NULL) {
		snprintf(err, errlen, "%s: %s", pre, strerror(errno));
		return -1;
	}
	if (strcmp(real, pre) != 0) {
		snprintf(err, errlen, "%s: a symlink in the path (%s is %s); "
		    "name the directory itself", path, pre, real);
		return -1;
	}
	return 0;
}

/*
 * May path be a download root?  0, or -1 with a reason for a person:
 * it must lie under a directory download_dirs_allowed names (by default
 * the operator's download_dir), be no system tree, not contain btd's
 * state directory, and have no symlink in its existing part.
 */
int
torrent_root_allowed(const char *path, char *err, size_t errlen)
{
	char		 allowed[4096], sdir[4096], *d, *save;
	const char	*list;
	size_t		 i;
	int		 ok = 0;

	if (path[0] != '/' || strlen(path) >= sizeof(sdir)) {
		snprintf(err, errlen, "%s: not an absolute path", path);
		return -1;
	}
	for (i = 0; i < sizeof(system_trees) / sizeof(system_trees[0]); i++)
		if (path_under(path, system_trees[i]) ||
		    path_under(system_trees[i], path)) {
			snprintf(err, errlen, "%s: a system directory (%s) is "
			    "never a download directory", path,
			    system_trees[i]);
			return -1;
		}
	for (i = 0; i < sizeof(never_roots) / sizeof(never_roots[0]); i++)
		if (strcmp(path, never_roots[i]) == 0) {
			snprintf(err, errlen, "%s may hold download "
			    "directories but is not one; name one below it",
			    path);
			return -1;
		}
	snprintf(sdir, sizeof(sdir), "%s", btd_state_dir());
	path_canon(sdir);
	if (path_under(sdir, path)) {
		snprintf(err, errlen, "%s holds btd's state directory; it "
		    "cannot be a download directory", path);
		return -1;
	}
	list = conf_get(cf, "download_dirs_allowed");
	if (list[0] == '\0')
		list = conf_operator_download_dir(cf);
	snprintf(allowed, sizeof(allowed), "%s", list);
	for (d = strtok_r(allowed, ":", &save); d != NULL && !ok;
	    d = strtok_r(NULL, ":", &save))
		ok = path_under(path, d);
	if (!ok) {
		snprintf(err, errlen, "%s is outside the directories allowed "
		    "for downloads (%s; see download_dirs_allowed in "
		    "btd.conf(5))", path, list);
		return -1;
	}
	return path_no_symlink(path, err, errlen);
}

/* A root read from state.db: a row like any other, not trusted. */
static void
load_root(const char *path, void *arg)
{
	char	 canon[4096], err[512], esc[256];

	(void)arg;
	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof(canon)) {
		log_escape(esc, sizeof(esc), path != NULL ? path : "",
		    path != NULL ? strlen(path) : 0);
		log_warnx("state.db: download root '%s'%s: skipped", esc,
		    path == NULL ? " (NULL)" : "");
		return;
	}
	snprintf(canon, sizeof(canon), "%s", path);
	path_canon(canon);
	if (torrent_root_allowed(canon, err, sizeof(err)) == -1) {
		log_escape(esc, sizeof(esc), err, strlen(err));
		log_warnx("state.db: download root dropped: %s", esc);
		(void)state_root_del(st, path);
		return;
	}
	if (nroots < MAX_ROOTS - 1 && (roots[nroots] = strdup(canon)) != NULL)
		nroots++;
}

/* Is a root needed: the download dir, or some torrent's save path? */
static int
root_used(const char *root)
{
	struct torrent	*t;

	if (strcmp(root, conf_get(cf, "download_dir")) == 0)
		return 1;
	TAILQ_FOREACH(t, &torrents, entry)
		if (path_under(t->save_path, root) || (t->move_to != NULL &&
		    path_under(t->move_to, root)))
			return 1;
	return 0;
}

/*
 * Drop the roots no torrent uses, from memory and state.db.  1 when one
 * went: stored still holds it until its next start.
 */
static int
roots_prune(void)
{
	int	 i, j, dropped = 0;

	for (i = j = 0; i < nroots; i++) {
		if (root_used(roots[i])) {
			roots[j++] = roots[i];
			continue;
		}
		log_info("download root %s: no torrent uses it; dropped",
		    roots[i]);
		(void)state_root_del(st, roots[i]);
		free(roots[i]);
		dropped = 1;
	}
	nroots = j;
	return dropped;
}

void
torrent_init(struct event_base *b, struct conf *c, struct state *s)
{
	struct timespec	 t0, t1;
	size_t		 n = 0;

	base = b;
	cf = c;
	st = s;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	xfer_init(base, st);
	/* One query a table, never one a torrent. */
	if (state_root_foreach(st, load_root, NULL) == -1 ||
	    state_torrent_foreach(st, load_row, &n) == -1)
		fatalx("state.db: cannot read the torrents");
	load_sort();
	n = nsorted;
	(void)state_fstats_foreach(st, load_fstat, NULL);
	limits_load_all();
	wants_load_all();
	state_shrink(st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (n > 0)
		log_info("%zu torrent%s in state.db, read in %lld ms", n,
		    n == 1 ? "" : "s", (long long)((t1.tv_sec - t0.tv_sec) *
		    1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	torrent_keep_roots();
	(void)roots_prune();
}

/* Is path equal to root or inside it? */
static int
path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		return path[0] == '/';	/* everything is under "/" */
	return strncmp(path, root, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

int
torrent_roots(const char **dirs, int max)
{
	int i, n = 0;

	if (max > 0)
		dirs[n++] = conf_get(cf, "download_dir");
	for (i = 0; i < nroots && n < max; i++)
		dirs[n++] = roots[i];
	return n;
}

/* The download root path lies in, or NULL. */
static const char *
root_of(const char *path)
{
	const char	*dirs[MAX_ROOTS], *best = NULL;
	int		 i, n;

	n = torrent_roots(dirs, MAX_ROOTS);
	for (i = 0; i < n; i++)
		if (path_under(path, dirs[i]) &&
		    (best == NULL || strlen(dirs[i]) > strlen(best)))
			best = dirs[i];
	return best;
}

/*
 * Where a torrent's data lives, as stored names it: the download root
 * its save path lies in, and dir relative to that root.  A multi-file
 * torrent is the directory save_path/name, a single-file one the file
 * save_path/name (its one path is its name), so dir is the save path's
 * part below the root, plus the name for a multi-file torrent.
 */
int
torrent_data_dir(const struct torrent *t, const char **rootp, char *dir,
    size_t dirlen)
{
	const char	*root, *rel;
	size_t		 n;
	int		 w;

	if (t->desc == NULL || (root = root_of(t->save_path)) == NULL)
		return -1;
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	rel = t->save_path + n;
	while (*rel == '/')
		rel++;
	if (t->desc->multi)
		w = snprintf(dir, dirlen, "%s%s%s", rel, rel[0] ? "/" : "",
		    t->desc->name);
	else
		w = snprintf(dir, dirlen, "%s", rel);
	if (w < 0 || (size_t)w >= dirlen)
		return -1;
	*rootp = root;
	return 0;
}

/*
 * A save path from ctl: absolute, normalised (no empty, "." or ".."
 * component), printable UTF-8, not too long.
 */
static int
save_path_valid(const char *p, char *err, size_t errlen)
{
	const char *c;

	if (p[0] != '/') {
		snprintf(err, errlen, "save path must be absolute");
		return 0;
	}
	if (strlen(p) >= 4000 || !utf8_valid(p)) {
		snprintf(err, errlen, "save path is not usable");
		return 0;
	}
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(err, errlen, "save path has control characters");
			return 0;
		}
	if (strstr(p, "//") != NULL || strstr(p, "/./") != NULL ||
	    strstr(p, "/../") != NULL ||
	    (strlen(p) >= 2 && strcmp(p + strlen(p) - 2, "/.") == 0) ||
	    (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0)) {
		snprintf(err, errlen, "save path must be normalised: %s", p);
		return 0;
	}
	return 1;
}

/*
 * Make sure stored may write at path (put in canonical form in place): a
 * save path is a directory, or not there yet, never a symlink; a new
 * root must be allowed (torrent_root_allowed()), is recorded, created
 * (owned by stored's uid as root), and stored restarts under it.
 */
static int
save_path_prepare(char *path, char *err, size_t errlen)
{
	struct stat	 sb;
	char		*dup;
	int		 fd;

	path_canon(path);
	if (lstat(path, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: not a directory%s", path,
			    S_ISLNK(sb.st_mode) ? " (a symlink)" : "");
			return -1;
		}
		if ((fd = open(path, O_PATH | O_NOFOLLOW | O_DIRECTORY |
		    O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		close(fd);
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (root_of(path) != NULL)
		return path_no_symlink(path, err, errlen);
	if (torrent_root_allowed(path, err, errlen) == -1)
		return -1;
	(void)roots_prune();
	if (nroots >= MAX_ROOTS - 1) {
		snprintf(err, errlen, "too many download directories in use "
		    "(%d)", MAX_ROOTS);
		return -1;
	}
	if (stat(path, &sb) == -1) {
		if (errno != ENOENT || util_mkdirs(path, 0755) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (geteuid() == 0) {
			uid_t u;
			gid_t g;

			/* stored runs as download_user: it must write here. */
			if (owner_resolve(cf, &u, &g, err, errlen) == -1)
				return -1;
			if (chown(path, u, g) == -1) {
				snprintf(err, errlen, "%s: chown: %s", path,
				    strerror(errno));
				return -1;
			}
		}
	}
	if ((dup = strdup(path)) == NULL || state_root_add(st, path) == -1) {
		free(dup);
		snprintf(err, errlen, "%s: cannot be recorded", path);
		return -1;
	}
	roots[nroots++] = dup;
	log_info("new download root %s: restarting stored", path);
	proc_restart_for(BTD__ROLE__STORED, "a new download root");
	return 0;
}

/*
 * Every torrent's save path must stay under a download root, or stored
 * could no longer touch its files (after download_dir changed, say):
 * record the save path itself as a root where none covers it.
 */
void
torrent_keep_roots(void)
{
	struct torrent	*t;
	char		*dup, err[512], esc[1024];

	TAILQ_FOREACH(t, &torrents, entry) {
		if (t->move_to != NULL && root_of(t->move_to) == NULL &&
		    nroots < MAX_ROOTS - 1 && torrent_root_allowed(t->move_to,
		    err, sizeof(err)) == 0 && (dup = strdup(t->move_to)) !=
		    NULL) {
			if (state_root_add(st, t->move_to) == -1)
				free(dup);
			else
				roots[nroots++] = dup;
		}
		if (root_of(t->save_path) != NULL || nroots >= MAX_ROOTS - 1)
			continue;
		if (torrent_root_allowed(t->save_path, err,
		    sizeof(err)) == -1) {
			log_escape(esc, sizeof(esc), err, strlen(err));
			log_warnx("%s: its save path is no download root: %s",
			    t->hex, esc);
			continue;
		}
		if ((dup = strdup(t->save_path)) == NULL ||
		    state_root_add(st, t->save_path) == -1) {
			free(dup);
			continue;
		}
		roots[nroots++] = dup;
		log_info("download root %s kept for %s", dup, t->hex);
	}
}

/* Digits t's id shares with u's. */
static int
common_digits(const struct torrent *t, const struct torrent *u)
{
	int k;

	for (k = 0; k < 40 && u->hex[k] == t->hex[k]; k++)
		;
	return k;
}

/*
 * Every torrent's short id at once, for a list: one walk of the index
 * in hash order, each torrent beside its neighbours.
 */
static void
short_all(void)
{
	size_t	i;
	int	n, k;

	for (i = 0; i < nsorted; i++) {
		n = SHORT_ID_MIN;
		if (i > 0 && (k = common_digits(sorted[i], sorted[i - 1])) + 1 >
		    n)
			n = k + 1;
		if (i + 1 < nsorted && (k = common_digits(sorted[i],
		    sorted[i + 1])) + 1 > n)
			n = k + 1;
		sorted[i]->short_n = (uint8_t)(n > 40 ? 40 : n);
	}
}

/* Shortest prefix of t's id, at least SHORT_ID_MIN, unique among all. */
static int
short_len(const struct torrent *t)
{
	size_t	 i = sorted_lower(t->hex, 40), j;
	int	 n = SHORT_ID_MIN, k;

	/* Only the neighbours in hash order share the longest prefixes. */
	for (j = i > 0 ? i - 1 : 0; j <= i + 1 && j < nsorted; j++) {
		if (sorted[j] == t)
			continue;
		for (k = 0; k < 40 && sorted[j]->hex[k] == t->hex[k]; k++)
			;
		if (k + 1 > n)
			n = k + 1 > 40 ? 40 : k + 1;
	}
	return n;
}

/*
 * Find a torrent by id: the hex info-hash or a unique prefix of at
 * least ID_PREFIX_MIN digits, any case.
 */
struct torrent *
torrent_find(const char *id, char *err, size_t errlen)
{
	struct torrent	*found = NULL;
	char		 low[41], esc[64];
	size_t		 i, n = strlen(id);
	int		 count = 0;

	log_escape(esc, sizeof(esc), id, n > 40 ? 40 : n);
	if (n < ID_PREFIX_MIN || n > 40) {
		snprintf(err, errlen, "not a torrent id: '%s' (give at least "
		    "%d hex digits of the info-hash)", esc, ID_PREFIX_MIN);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			snprintf(err, errlen, "not a torrent id: '%s'", esc);
			return NULL;
		}
		low[i] = c;
	}
	low[n] = '\0';
	for (i = sorted_lower(low, n); i < nsorted && count < 2 &&
	    strncmp(sorted[i]->hex, low, n) == 0; i++) {
		found = sorted[i];
		count++;
	}
	if (count > 1)	/* how many, for the message */
		for (; i < nsorted && strncmp(sorted[i]->hex, low, n) == 0;
		    i++)
			count++;
	if (count == 0)
		snprintf(err, errlen, "no such torrent: %s", esc);
	else if (count > 1)
		snprintf(err, errlen, "ambiguous id %s: %d torrents match",
		    esc, count);
	return count == 1 ? found : NULL;
}

/* The state a summary gives. */
static const char *
summary_state(const struct torrent *t)
{
	if (t->move_to != NULL && t->state != TST_ERROR)
		return "moving";
	if (t->paused)
		return "paused";
	/* Complete for the wanted files, others skipped: "finished". */
	if (t->state == TST_SEEDING && t->desc != NULL &&
	    t->have_count < t->desc->piece_count)
		return "finished";
	return tstate_name(t->state);
}

/*
 * Fill a summary; the strings point into t and short_id.  mv, if not
 * NULL, is where the move's status goes (the caller's).
 */
static void
summary_move(const struct torrent *t, Btd__TorrentSummary *s,
    char *short_id, Btd__MoveStatus *mv)
{
	int n = list_short ? t->short_n : short_len(t);

	memcpy(short_id, t->hex, (size_t)n);
	short_id[n] = '\0';
	s->id = (char *)(uintptr_t)t->hex;
	s->short_id = short_id;
	s->name = t->name;
	s->state = (char *)(uintptr_t)summary_state(t);
	if (mv != NULL && (t->move_to != NULL || t->move_result != NULL)) {
		mv->to = t->move_to != NULL ? t->move_to : (char *)"";
		mv->done = t->move_done;
		mv->total = t->move_total;
		mv->result = t->move_result != NULL ? t->move_result :
		    (char *)"";
		mv->failed = t->move_failed;
		mv->moves = t->moves;
		s->move = mv;
	}
	s->total_size = t->desc != NULL ? t->desc->total_size : 0;
	s->added = t->added;
	s->save_path = t->save_path;
	s->has_metadata = t->desc != NULL;
	s->error = t->error;
	s->downloaded = t->downloaded;
	s->uploaded = t->uploaded;
	s->wasted = t->wasted;
	s->rate_down = t->rate_down;
	s->rate_up = t->rate_up;
	s->peers = t->peers;
	s->seeds = t->seeds;
	s->metadata_peers = t->desc == NULL ? t->meta_peers : 0;
	s->completed = t->completed;
	s->pieces_have = t->have_count;
	s->checks = t->ck_runs;
	s->check_good = t->ck_good;
	s->check_hashed = t->ck_hashed;
	s->check_trusted = t->ck_trusted;
	seed_summary((struct torrent *)(uintptr_t)t, s);
	if (t->desc != NULL) {
		s->left = xfer_left(t);
		s->progress = t->desc->piece_count > 0 ?
		    (double)t->have_count / t->desc->piece_count : 0.0;
		s->checked = t->state == TST_CHECKING &&
		    t->desc->piece_count > 0 ?
		    (double)t->ck_pieces / t->desc->piece_count : 0.0;
		s->eta = !t->paused && (t->state == TST_DOWNLOADING ||
		    t->state == TST_SEEDING) ? progress_eta(s->left,
		    t->rate_down) : -1;
		s->ratio = progress_ratio(t->uploaded, t->downloaded,
		    t->desc->total_size);
	} else {
		s->left = 0;
		s->progress = 0.0;
		s->eta = -1;
		s->ratio = progress_ratio(t->uploaded, t->downloaded, 0);
	}
}

/* A summary without the move's status. */
static void
summary(const struct torrent *t, Btd__TorrentSummary *s, char *short_id)
{
	summary_move(t, s, short_id, NULL);
}

/* Pending requests. */

static void	pending_timeout(evutil_socket_t, short, void *);

static struct pending *
pending_new(enum pending_kind kind, int client, int seconds)
{
	struct pending	*p;
	struct timeval	 tv = { seconds, 0 };

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->id = ++next_id;
	p->kind = kind;
	p->client = client;
	if ((p->timer = evtimer_new(base, pending_timeout, p)) == NULL ||
	    evtimer_add(p->timer, &tv) == -1) {
		if (p->timer != NULL)
			event_free(p->timer);
		free(p);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&pendings, p, entry);
	return p;
}

static void
pending_free(struct pending *p)
{
	size_t i;

	TAILQ_REMOVE(&pendings, p, entry);
	event_free(p->timer);
	free(p->save_path);
	free(p->root);
	free(p->dir);
	for (i = 0; i < p->npaths; i++)
		free(p->paths[i]);
	free(p->paths);
	for (i = 0; i < p->nleft_paths; i++)
		free(p->left_paths[i]);
	free(p);
}

static struct pending *
pending_find(enum pending_kind kind, uint64_t id)
{
	struct pending *p;

	TAILQ_FOREACH(p, &pendings, entry)
		if (p->kind == kind && p->id == id)
			return p;
	return NULL;
}

static void
pending_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct pending *p = arg;

	(void)fd;
	(void)ev;
	if (p->kind == PENDING_PARSE)
		ctl_send_error(p->client, "metad did not answer within %d s",
		    PARSE_TIMEOUT);
	else if (p->kind == PENDING_FETCH)
		ctl_send_error(p->client, "trackerd did not fetch the torrent "
		    "within %d s", FETCH_TIMEOUT);
	else if (p->kind == PENDING_QUERY)
		ctl_send_error(p->client, "trackerd did not answer within %d s",
		    QUERY_TIMEOUT);
	else if (p->kind == PENDING_PEERS)
		ctl_send_error(p->client, "peerd did not answer within %d s",
		    QUERY_TIMEOUT);
	else
		ctl_send_error(p->client, "removed %s, but stored did not "
		    "confirm the deletion of its data within %d s", p->what,
		    DELETE_TIMEOUT);
	pending_free(p);
}

void
torrent_role_exited(int role, const char *crash)
{
	struct pending *p, *tmp;

	for (p = TAILQ_FIRST(&pendings); p != NULL; p = tmp) {
		tmp = TAILQ_NEXT(p, entry);
		if (p->kind == PENDING_PARSE && role == BTD__ROLE__METAD)
			ctl_send_error(p->client, "metad exited while parsing "
			    "this; it has been restarted");
		else if ((p->kind == PENDING_FETCH ||
		    p->kind == PENDING_QUERY) && role == BTD__ROLE__TRACKERD)
			ctl_send_error(p->client, "trackerd exited while working "
			    "on this; it has been restarted");
		else if (p->kind == PENDING_PEERS && role == BTD__ROLE__PEERD)
			ctl_send_error(p->client, "peerd exited while working "
			    "on this; it has been restarted");
		else if (p->kind == PENDING_DELETE &&
		    role == BTD__ROLE__STORED)
			ctl_send_error(p->client, "removed %s, but stored "
			    "exited while deleting its data; files may remain",
			    p->what);
		else
			continue;
		pending_free(p);
	}
	xfer_role_exited(role, crash);
}

/* Trackers: what trackerd announces. */

void
tracker_start(struct torrent *t)
{
	Btd__TorrentStart	 ts = BTD__TORRENT_START__INIT;
	struct chan		*c;

	t->owed &= ~ROLE_BIT(BTD__ROLE__TRACKERD);
	if (t->paused || t->state == TST_ERROR ||
	    (c = proc_chan(BTD__ROLE__TRACKERD)) == NULL)
		return;
	ts.info_hash.data = (uint8_t *)(uintptr_t)t->ih;
	ts.info_hash.len = 20;
	if (t->desc != NULL) {
		ts.trackers = t->desc->trackers;
		ts.n_trackers = t->desc->n_trackers;
		ts.private_ = t->desc->private_;
		ts.peers = t->desc->peers;
		ts.n_peers = t->desc->n_peers;
		ts.left = xfer_left(t);
		ts.uploaded = t->uploaded;
		ts.downloaded = t->downloaded;
		/* TorrentCounters from here on only when they change. */
		t->sent_left = ts.left;
		t->sent_up = t->uploaded;
		t->sent_down = t->downloaded;
		t->counters_sent = 1;
	} else {
		ts.trackers = t->mag->trackers;
		ts.n_trackers = t->mag->n_trackers;
		ts.peers = t->mag->peers;
		ts.n_peers = t->mag->n_peers;
		ts.left = MAGNET_LEFT;
	}
	known_fill(t, &ts);
	if (MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, TORRENT_START, torrent_start,
	    &ts, -1) == -1)
		log_warn("trackerd: start %s", t->hex);
}

void
tracker_stop(const struct torrent *t)
{
	Btd__TorrentStop	 ts = BTD__TORRENT_STOP__INIT;
	struct chan		*c;

	if ((c = proc_chan(BTD__ROLE__TRACKERD)) == NULL)
		return;
	ts.info_hash.data = (uint8_t *)(uintptr_t)t->ih;
	ts.info_hash.len = 20;
	if (MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, TORRENT_STOP, torrent_stop,
	    &ts, -1) == -1)
		log_warn("trackerd: stop %s", t->hex);
}

/* A role (re)started: give it what it needs. */
void
torrent_role_started(int role)
{
	xfer_role_started(role);	/* trackerd too: its feed */
}

static void	delete_pump(void);

/* A role's channel has room again (btd_proc.c's drain callback). */
void
torrent_role_drained(int role)
{
	if (role == BTD__ROLE__STORED)
		delete_pump();
	xfer_drained(role);
}

static void	(*stopall_cb)(void);
static struct event	*stopall_timer;

static void
stopall_finish(void)
{
	void (*cb)(void) = stopall_cb;

	stopall_cb = NULL;
	if (stopall_timer != NULL) {
		event_free(stopall_timer);
		stopall_timer = NULL;
	}
	if (cb != NULL)
		cb();
}

static void
stopall_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	log_info("trackerd did not finish event=stopped in %d s",
	    STOPALL_WAIT);
	stopall_finish();
}

/*
 * Shutdown: trackerd says event=stopped to every tracker; done() runs
 * when it is finished, or after STOPALL_WAIT seconds.
 */
void
torrent_stop_all(void (*done)(void))
{
	Btd__StopAll	 sa = BTD__STOP_ALL__INIT;
	struct chan	*c;
	struct timeval	 tv = { STOPALL_WAIT, 0 };

	stopall_cb = done;
	if ((c = proc_chan(BTD__ROLE__TRACKERD)) == NULL ||
	    MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, STOP_ALL, stop_all,
	    &sa, -1) == -1 ||
	    (stopall_timer = evtimer_new(base, stopall_timeout, NULL)) ==
	    NULL || evtimer_add(stopall_timer, &tv) == -1) {
		stopall_finish();
		return;
	}
}

/* ctl: add from a URL, fetched by trackerd (btd opens no socket). */
static void
fetch_start(int client, const char *url, const char *path, int paused)
{
	Btd__FetchTorrent	 ft = BTD__FETCH_TORRENT__INIT;
	struct pending		*p;
	struct chan		*c;

	if (strlen(url) > 4096 || (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)) {
		ctl_send_error(client, "add: only http and https URLs can be "
		    "fetched");
		return;
	}
	if ((c = proc_chan(BTD__ROLE__TRACKERD)) == NULL) {
		ctl_send_error(client, "trackerd is not running (see btctl "
		    "status)");
		return;
	}
	if ((p = pending_new(PENDING_FETCH, client, FETCH_TIMEOUT)) == NULL ||
	    (p->save_path = strdup(path)) == NULL) {
		if (p != NULL)
			pending_free(p);
		ctl_send_error(client, "out of memory");
		return;
	}
	p->paused = paused;
	ft.id = p->id;
	ft.url = (char *)(uintptr_t)url;
	if (MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, FETCH_TORRENT, fetch_torrent,
	    &ft, -1) == -1) {
		ctl_send_error(client, "cannot reach trackerd: %s",
		    strerror(errno));
		pending_free(p);
	}
}

static int
fetch_result(const Btd__FetchResult *r)
{
	Btd__ParseTorrent	 pt = BTD__PARSE_TORRENT__INIT;
	struct pending		*p, *q;
	struct chan		*c;

	if ((p = pending_find(PENDING_FETCH, r->id)) == NULL)
		return 0;
	if (!utf8_valid(r->error))
		return -1;
	if (!r->ok) {
		ctl_send_error(p->client, "cannot fetch the torrent: %s",
		    r->error);
		pending_free(p);
		return 0;
	}
	if (r->data.len == 0 || r->data.len > MI_MAX_TORRENT) {
		ctl_send_error(p->client, "the fetched torrent is %zu bytes",
		    r->data.len);
		pending_free(p);
		return 0;
	}
	if ((c = proc_chan(BTD__ROLE__METAD)) == NULL) {
		ctl_send_error(p->client, "metad is not running (see btctl "
		    "status)");
		pending_free(p);
		return 0;
	}
	/* Now it is an ordinary add of a .torrent's bytes. */
	if ((q = pending_new(PENDING_PARSE, p->client, PARSE_TIMEOUT)) ==
	    NULL) {
		ctl_send_error(p->client, "out of memory");
		pending_free(p);
		return 0;
	}
	q->save_path = p->save_path;
	p->save_path = NULL;
	q->paused = p->paused;
	pending_free(p);
	pt.id = q->id;
	pt.data = r->data;
	if (MSG_SEND(c, Btd__MetadMsg, METAD_MSG, PARSE_TORRENT, parse_torrent,
	    &pt, -1) == -1) {
		ctl_send_error(q->client, "cannot reach metad: %s",
		    strerror(errno));
		pending_free(q);
	}
	return 0;
}

/* ctl: trackers */

void
torrent_ctl_trackers(int client, const Btd__TrackersRequest *req)
{
	Btd__QueryTrackers	 q = BTD__QUERY_TRACKERS__INIT;
	struct torrent		*t;
	struct pending		*p;
	struct chan		*c;
	char			 err[256];

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	if (t->paused || t->state == TST_ERROR) {
		ctl_send_error(client, "%s is %s: it is not announced",
		    t->hex, t->paused ? "paused" : "in error");
		return;
	}
	if ((c = proc_chan(BTD__ROLE__TRACKERD)) == NULL) {
		ctl_send_error(client, "trackerd is not running (see btctl "
		    "status)");
		return;
	}
	if ((p = pending_new(PENDING_QUERY, client, QUERY_TIMEOUT)) == NULL) {
		ctl_send_error(client, "out of memory");
		return;
	}
	q.id = p->id;
	q.info_hash.data = t->ih;
	q.info_hash.len = 20;
	if (MSG_SEND(c, Btd__TrackerdMsg, TRACKERD_MSG, QUERY_TRACKERS, query_trackers,
	    &q, -1) == -1) {
		ctl_send_error(client, "cannot reach trackerd: %s",
		    strerror(errno));
		pending_free(p);
	}
}

static int
trackers_reply(const Btd__TrackersReply *r)
{
	Btd__CtlReply	 rep = BTD__CTL_REPLY__INIT;
	struct pending	*p;
	size_t		 i;

	if ((p = pending_find(PENDING_QUERY, r->id)) == NULL)
		return 0;
	if (!utf8_valid(r->error))
		return -1;
	if (!r->ok || r->report == NULL) {
		ctl_send_error(p->client, "trackerd: %s", r->error);
		pending_free(p);
		return 0;
	}
	/* Text in the report came from trackers: it must be clean UTF-8. */
	for (i = 0; i < r->report->n_trackers; i++) {
		const Btd__TrackerStatus *ts = r->report->trackers[i];

		if (!utf8_valid(ts->url) ||
		    !utf8_valid(ts->status) ||
		    !utf8_valid(ts->last_result) ||
		    !utf8_valid(ts->last_error) ||
		    !utf8_valid(ts->warning))
			return -1;
	}
	for (i = 0; i < r->report->n_peers; i++)
		if (!utf8_valid(r->report->peers[i]->addr) ||
		    !utf8_valid(r->report->peers[i]->source) ||
		    !utf8_valid(r->report->peers[i]->last_result))
			return -1;
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_TRACKERS;
	rep.trackers = r->report;
	(void)ctl_send_reply(p->client, &rep);
	pending_free(p);
	return 0;
}

/* ctl: peers, answered by peerd */

#define PEERS_MAX	1000	/* PeerInfo in one PeersReply */

void
torrent_ctl_peers(int client, const Btd__PeersRequest *req)
{
	Btd__QueryPeers	 q = BTD__QUERY_PEERS__INIT;
	struct torrent	*t;
	struct pending	*p;
	struct chan	*c;
	char		 err[256];

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	if (t->num == 0) {
		ctl_send_error(client, "%s is %s: it has no peers", t->hex,
		    t->paused ? "paused" : tstate_name(t->state));
		return;
	}
	if ((c = proc_chan(BTD__ROLE__PEERD)) == NULL) {
		ctl_send_error(client, "peerd is not running (see btctl "
		    "status)");
		return;
	}
	if ((p = pending_new(PENDING_PEERS, client, QUERY_TIMEOUT)) == NULL) {
		ctl_send_error(client, "out of memory");
		return;
	}
	q.id = p->id;
	q.torrent = t->num;
	if (MSG_SEND(c, Btd__PeerdMsg, PEERD_MSG, QUERY_PEERS, query_peers,
	    &q, -1) == -1) {
		ctl_send_error(client, "cannot reach peerd: %s",
		    strerror(errno));
		pending_free(p);
	}
}

static int
peers_reply(const Btd__PeersReply *r)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__PeersReport	 pr = BTD__PEERS_REPORT__INIT;
	struct pending		*p;
	size_t			 i;

	if (r->n_peers > PEERS_MAX)
		return -1;
	for (i = 0; i < r->n_peers; i++) {
		const Btd__PeerInfo *pi = r->peers[i];

		if (!utf8_valid(pi->addr) || !utf8_valid(pi->client) ||
		    !utf8_valid(pi->flags) || !utf8_valid(pi->source) ||
		    pi->port > 65535 || !(pi->progress >= 0.0 &&
		    pi->progress <= 1.0))
			return -1;
	}
	if ((p = pending_find(PENDING_PEERS, r->id)) == NULL)
		return 0;
	pr.peers = r->peers;
	pr.n_peers = r->n_peers;
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_PEERS;
	rep.peers = &pr;
	(void)ctl_send_reply(p->client, &rep);
	pending_free(p);
	return 0;
}

/* ctl: add */

void
torrent_ctl_add(int client, const Btd__AddRequest *req)
{
	Btd__ParseTorrent	 pt = BTD__PARSE_TORRENT__INIT;
	Btd__ParseMagnet	 pm = BTD__PARSE_MAGNET__INIT;
	struct pending		*p;
	struct chan		*c;
	const char		*path;
	char			 err[256];
	int			 has_t = req->torrent.len > 0;
	int			 has_m = req->magnet[0] != '\0';
	int			 has_u = req->url[0] != '\0';

	if (has_t + has_m + has_u != 1) {
		ctl_send_error(client, "add: give one .torrent, magnet link "
		    "or URL");
		return;
	}
	if (has_t && req->torrent.len > MI_MAX_TORRENT) {
		ctl_send_error(client, "torrent is %zu bytes; the limit is "
		    "%u MiB", req->torrent.len, MI_MAX_TORRENT >> 20);
		return;
	}
	if (has_m && strlen(req->magnet) > MAGNET_MAX_LEN) {
		ctl_send_error(client, "magnet link is longer than %d bytes",
		    MAGNET_MAX_LEN);
		return;
	}
	path = req->save_path[0] ? req->save_path : conf_get(cf,
	    "download_dir");
	if (!save_path_valid(path, err, sizeof(err))) {
		ctl_send_error(client, "%s", err);
		return;
	}
	if (has_u) {
		fetch_start(client, req->url, path, req->paused);
		return;
	}
	if ((c = proc_chan(BTD__ROLE__METAD)) == NULL) {
		ctl_send_error(client, "metad is not running (see btctl "
		    "status)");
		return;
	}
	if ((p = pending_new(PENDING_PARSE, client, PARSE_TIMEOUT)) == NULL ||
	    (p->save_path = strdup(path)) == NULL) {
		if (p != NULL)
			pending_free(p);
		ctl_send_error(client, "out of memory");
		return;
	}
	p->paused = req->paused;
	if (has_t) {
		pt.id = p->id;
		pt.data = req->torrent;
		if (MSG_SEND(c, Btd__MetadMsg, METAD_MSG, PARSE_TORRENT, parse_torrent,
	    &pt, -1) == -1)
			goto fail;
	} else {
		pm.id = p->id;
		pm.uri = req->magnet;
		if (MSG_SEND(c, Btd__MetadMsg, METAD_MSG, PARSE_MAGNET, parse_magnet,
	    &pm, -1) == -1)
			goto fail;
	}
	return;
fail:
	ctl_send_error(client, "cannot reach metad: %s", strerror(errno));
	pending_free(p);
}

void
torrent_reply_summary(int client, const struct torrent *t)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__TorrentSummary	 s = BTD__TORRENT_SUMMARY__INIT;
	Btd__MoveStatus		 mv = BTD__MOVE_STATUS__INIT;
	char			 sid[41];

	summary_move(t, &s, sid, &mv);
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_ADDED;
	rep.added = &s;
	(void)ctl_send_reply(client, &rep);
}

/* metad's answer: record the torrent and tell the client. */
static int
parse_result(const Btd__ParseResult *r)
{
	struct state_torrent	 row;
	struct pending		*p;
	struct torrent		*t, *dup;
	const uint8_t		*ih;
	const char		*bad = NULL, *name;
	const char		**urls = NULL;
	uint32_t		*tiers = NULL;
	uint8_t			*meta = NULL;
	size_t			 metalen, i, ntr;
	char			 err[512], sid[41], hex[41];

	if ((p = pending_find(PENDING_PARSE, r->id)) == NULL) {
		log_debug("metad answered request %llu, which is gone",
		    (unsigned long long)r->id);
		return 0;
	}
	if (!r->ok) {
		if (!utf8_valid(r->error))
			return -1;
		ctl_send_error(p->client, "%s", r->error);
		pending_free(p);
		return 0;
	}
	if ((r->torrent == NULL) == (r->magnet == NULL))
		return -1;
	bad = r->torrent ? torrent_desc_invalid(r->torrent) :
	    magnet_desc_invalid(r->magnet);
	if (bad != NULL) {
		log_warnx("metad sent an invalid description: %s", bad);
		ctl_send_error(p->client, "metad sent an invalid description "
		    "(%s); it is restarted", bad);
		pending_free(p);
		return -1;
	}
	ih = r->torrent ? r->torrent->info_hash.data :
	    r->magnet->info_hash.data;
	if ((dup = torrent_by_hash(ih)) != NULL) {
		summary(dup, &(Btd__TorrentSummary)BTD__TORRENT_SUMMARY__INIT,
		    sid);
		ctl_send_error(p->client, "already there: %s (%s)", sid,
		    dup->name);
		pending_free(p);
		return 0;
	}
	if (save_path_prepare(p->save_path, err, sizeof(err)) == -1) {
		ctl_send_error(p->client, "%s", err);
		pending_free(p);
		return 0;
	}

	/* The description without the info bytes, which have a column. */
	if (r->torrent != NULL) {
		Btd__TorrentDesc copy = *r->torrent;

		copy.info.data = NULL;
		copy.info.len = 0;
		metalen = btd__torrent_desc__get_packed_size(&copy);
		if ((meta = malloc(metalen + 1)) != NULL)
			btd__torrent_desc__pack(&copy, meta);
		ntr = r->torrent->n_trackers;
		name = r->torrent->name;
	} else {
		metalen = btd__magnet_desc__get_packed_size(r->magnet);
		if ((meta = malloc(metalen + 1)) != NULL)
			btd__magnet_desc__pack(r->magnet, meta);
		ntr = r->magnet->n_trackers;
		hexify(ih, hex);
		name = r->magnet->display_name[0] ?
		    r->magnet->display_name : hex;
	}
	urls = calloc(ntr + 1, sizeof(*urls));
	tiers = calloc(ntr + 1, sizeof(*tiers));
	if (meta == NULL || urls == NULL || tiers == NULL)
		goto oom;
	for (i = 0; i < ntr; i++) {
		const Btd__TrackerDesc *td = r->torrent ?
		    r->torrent->trackers[i] : r->magnet->trackers[i];

		urls[i] = td->url;
		tiers[i] = td->tier;
	}
	memset(&row, 0, sizeof(row));
	row.info_hash = ih;
	row.name = name;
	row.info = r->torrent ? r->torrent->info.data : NULL;
	row.info_len = r->torrent ? r->torrent->info.len : 0;
	row.meta = meta;
	row.meta_len = metalen;
	row.save_path = p->save_path;
	row.state = r->torrent ? "queued" : "fetching metadata";
	row.error = "";
	row.added = (int64_t)time(NULL);
	row.paused = p->paused;
	row.nfiles = r->torrent ? r->torrent->n_files : 0;
	row.ntrackers = ntr;
	row.tracker_urls = urls;
	row.tracker_tiers = tiers;
	if (state_torrent_insert(st, &row) == -1) {
		ctl_send_error(p->client, "state.db: cannot record the "
		    "torrent");
		goto done;
	}
	row.seq = state_torrent_seq(st, ih);
	if ((t = torrent_from_row(&row)) == NULL)
		goto oom;
	if (torrent_link(t) == -1) {
		torrent_free(t);
		goto oom;
	}
	log_info("added %s (%s) to %s%s", t->hex, t->name, t->save_path,
	    t->paused ? ", paused" : "");
	tracker_start(t);
	xfer_start(t);
	torrent_reply_summary(p->client, t);
	goto done;
oom:
	ctl_send_error(p->client, "out of memory");
done:
	free(meta);
	free(urls);
	free(tiers);
	pending_free(p);
	return 0;
}

/* ctl: list, show, numbers */

void
torrent_ctl_numbers(int client)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__NumbersReply	 nr = BTD__NUMBERS_REPLY__INIT;
	Btd__TorrentNumber	*n = NULL, **np = NULL;
	struct torrent		*t;
	size_t			 count = 0, i = 0;

	TAILQ_FOREACH(t, &torrents, entry)
		count++;
	n = calloc(count + 1, sizeof(*n));
	np = calloc(count + 1, sizeof(*np));
	if (n == NULL || np == NULL) {
		ctl_send_error(client, "out of memory");
		goto done;
	}
	TAILQ_FOREACH(t, &torrents, entry) {
		btd__torrent_number__init(&n[i]);
		n[i].id = t->hex;
		n[i].number = t->seq;
		np[i] = &n[i];
		i++;
	}
	nr.torrents = np;
	nr.n_torrents = count;
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_NUMBERS;
	rep.numbers = &nr;
	(void)ctl_send_reply(client, &rep);
done:
	free(n);
	free(np);
}

/*
 * A list's strings, copied in one piece: the packer reads each string
 * three times (sizing the reply, the list and each summary before it
 * writes it), and reading them where they live, a torrent's name here
 * and its save path there, missed the cache every time.  Copied, each
 * is missed once.
 */
struct lstr {
	char	*buf;
	size_t	 len, cap;
};

#define LIST_BIG	(1U << 20)	/* a list's arrays from util_bigmem() */

static size_t
lstr_len(const char *str)
{
	return str != NULL ? strlen(str) + 1 : 0;
}

static char *
lstr_copy(struct lstr *ls, const char *str)
{
	size_t	 n = lstr_len(str);
	char	*p;

	if (str == NULL || ls->cap - ls->len < n)
		return (char *)(uintptr_t)str;	/* as it is: still right */
	p = ls->buf + ls->len;
	memcpy(p, str, n);
	ls->len += n;
	return p;
}

/* The next of a list's arrays in its one allocation (16-byte aligned). */
static void *
lcarve(char **at, size_t n, size_t size)
{
	void	*p = *at;

	*at += (n * size + 15) & ~(size_t)15;
	return p;
}

void
torrent_ctl_list(int client)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__ListReply		 lr = BTD__LIST_REPLY__INIT;
	Btd__TorrentSummary	*s, **sp;
	Btd__MoveStatus		*mv;
	Btd__SeedLimits		*sl;
	struct lstr		 ls = { NULL, 0, 0 };
	struct torrent		*t;
	char			(*sid)[41], (*id)[41], *mem, *at;
	size_t			 n = 0, i, total, map = 0;

	TAILQ_FOREACH(t, &torrents, entry) {
		n++;
		ls.cap += lstr_len(t->name) + lstr_len(t->save_path) +
		    lstr_len(t->error);
	}
	/* One allocation for the list's arrays: megabytes at 10,000. */
	total = (n + 1) * (sizeof(*s) + sizeof(*sp) + sizeof(*sid) +
	    sizeof(*id) + sizeof(*mv) + sizeof(*sl)) + ls.cap + 7 * 16;
	if (total >= LIST_BIG) {
		map = total;
		mem = util_bigmem(&map);
	} else
		mem = NULL;
	if (mem == NULL) {
		map = 0;
		mem = calloc(1, total);
	}
	if (mem == NULL) {
		ctl_send_error(client, "out of memory");
		return;
	}
	at = mem;
	s = lcarve(&at, n + 1, sizeof(*s));
	sp = lcarve(&at, n + 1, sizeof(*sp));
	sid = lcarve(&at, n + 1, sizeof(*sid));
	id = lcarve(&at, n + 1, sizeof(*id));
	mv = lcarve(&at, n + 1, sizeof(*mv));
	sl = lcarve(&at, n + 1, sizeof(*sl));
	ls.buf = at;
	i = 0;
	short_all();
	list_short = 1;
	TAILQ_FOREACH(t, &torrents, entry) {
		btd__torrent_summary__init(&s[i]);
		btd__move_status__init(&mv[i]);
		summary_move(t, &s[i], sid[i], &mv[i]);
		memcpy(id[i], t->hex, sizeof(id[i]));
		s[i].id = id[i];
		s[i].name = lstr_copy(&ls, s[i].name);
		s[i].save_path = lstr_copy(&ls, s[i].save_path);
		s[i].error = lstr_copy(&ls, s[i].error);
		if (s[i].seed != NULL) {
			sl[i] = *s[i].seed;
			s[i].seed = &sl[i];
		}
		sp[i] = &s[i];
		i++;
	}
	list_short = 0;
	lr.torrents = sp;
	lr.n_torrents = n;
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_LIST;
	rep.list = &lr;
	(void)ctl_send_reply(client, &rep);
	if (map > 0)
		util_bigmem_free(mem, map);
	else
		free(mem);
}

static void
show_answer(int client, struct torrent *t)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__TorrentDetail	 d = BTD__TORRENT_DETAIL__INIT;
	Btd__TorrentSummary	 s = BTD__TORRENT_SUMMARY__INIT;
	Btd__TorrentLimits	 l = BTD__TORRENT_LIMITS__INIT;
	Btd__MoveStatus		 mv = BTD__MOVE_STATUS__INIT;
	char			 sid[41];

	summary_move(t, &s, sid, &mv);
	d.summary = &s;
	limits_ctl(t, &l);
	d.limits = &l;
	d.file_priority = wants_ctl(t, &d.n_file_priority);
	if (t->desc != NULL) {
		d.piece_length = t->desc->piece_length;
		d.piece_count = t->desc->piece_count;
		d.files = t->desc->files;
		d.n_files = t->desc->n_files;
		d.trackers = t->desc->trackers;
		d.n_trackers = t->desc->n_trackers;
		d.private_ = t->desc->private_;
		d.comment = t->desc->comment;
		d.created_by = t->desc->created_by;
		d.creation_date = t->desc->creation_date;
		d.url_list = t->desc->url_list;
		d.n_url_list = t->desc->n_url_list;
		d.multi = t->desc->multi;
		d.info_hash_v2 = t->desc->info_hash_v2;
		d.warnings = t->desc->warnings;
		d.n_warnings = t->desc->n_warnings;
	} else {
		d.info_hash_v2 = t->mag->info_hash_v2;
		d.trackers = t->mag->trackers;
		d.n_trackers = t->mag->n_trackers;
		d.peers = t->mag->peers;
		d.n_peers = t->mag->n_peers;
		d.url_list = t->mag->web_seeds;
		d.n_url_list = t->mag->n_web_seeds;
	}
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_SHOW;
	rep.show = &d;
	(void)ctl_send_reply(client, &rep);
	free(d.file_priority);
}

/*
 * A show with wait_ms is held (struct held) until what the client saw is
 * no longer so: the torrent's checks count or its state has changed, or
 * wait_ms is over.  torrent_changed() (on every state event) looks at
 * the held shows of that torrent on the next turn of the loop, once the
 * event's handler has set everything else.  Nothing more is read from
 * the client meanwhile (ctl_hold()), so its replies stay in the order of
 * its requests.  At most HELD_MAX are held; beyond, a show is answered
 * at once, which a client must expect anyway (btctl asks again a moment
 * later).
 */
#define HELD_WAIT_MAX_MS	10000
#define HELD_MAX		256

struct held {
	TAILQ_ENTRY(held)	 entry;
	int			 client;
	char			 hex[41];
	uint32_t		 checks;
	char			 state[32];
	uint64_t		 deadline;	/* util_now_ms() */
	struct event		*ev;
};
static TAILQ_HEAD(, held)	 helds = TAILQ_HEAD_INITIALIZER(helds);
static unsigned			 nhelds;

static void
held_free(struct held *h)
{
	TAILQ_REMOVE(&helds, h, entry);
	nhelds--;
	event_free(h->ev);
	free(h);
}

/* Whether what the client saw of t is still so. */
static int
show_same(const struct torrent *t, uint32_t checks, const char *state)
{
	return t->ck_runs == checks && strcmp(summary_state(t), state) == 0;
}

static void
held_arm(struct held *h, uint64_t now)
{
	uint64_t	ms = h->deadline > now ? h->deadline - now : 0;
	struct timeval	tv = { (time_t)(ms / 1000),
			    (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(h->ev, &tv);
}

static void
held_fire(evutil_socket_t fd, short ev, void *arg)
{
	struct held	*h = arg;
	struct torrent	*t;
	uint64_t	 now = util_now_ms();
	char		 err[256];

	(void)fd;
	(void)ev;
	if ((t = torrent_find(h->hex, err, sizeof(err))) == NULL)
		ctl_send_error(h->client, "%s", err);
	else if (show_same(t, h->checks, h->state) && now < h->deadline) {
		held_arm(h, now);
		return;
	} else
		show_answer(h->client, t);
	ctl_hold(h->client, 0);
	held_free(h);
}

/* Hold a show; -1 when it is to be answered now. */
static int
held_new(int client, const struct torrent *t, const Btd__ShowRequest *req)
{
	struct held	*h;
	uint64_t	 now = util_now_ms();

	if (nhelds >= HELD_MAX || strlen(req->state) >= sizeof(h->state))
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	if ((h->ev = evtimer_new(base, held_fire, h)) == NULL) {
		free(h);
		return -1;
	}
	h->client = client;
	memcpy(h->hex, t->hex, sizeof(h->hex));
	h->checks = req->checks;
	memcpy(h->state, req->state, strlen(req->state) + 1);
	h->deadline = now + (req->wait_ms < HELD_WAIT_MAX_MS ? req->wait_ms :
	    HELD_WAIT_MAX_MS);
	TAILQ_INSERT_TAIL(&helds, h, entry);
	nhelds++;
	held_arm(h, now);
	ctl_hold(client, 1);
	return 0;
}

void
torrent_changed(const struct torrent *t)
{
	struct held *h;

	TAILQ_FOREACH(h, &helds, entry)
		if (strcmp(h->hex, t->hex) == 0)
			event_active(h->ev, EV_TIMEOUT, 0);
}

/* A ctl client is gone: its held shows go with it. */
void
torrent_ctl_gone(int client)
{
	struct held *h, *tmp;

	for (h = TAILQ_FIRST(&helds); h != NULL; h = tmp) {
		tmp = TAILQ_NEXT(h, entry);
		if (h->client == client)
			held_free(h);
	}
}

void
torrent_ctl_show(int client, const Btd__ShowRequest *req)
{
	struct torrent	*t;
	char		 err[256];

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	if (req->wait_ms == 0 || !show_same(t, req->checks, req->state) ||
	    held_new(client, t, req) == -1)
		show_answer(client, t);
}

/* ctl: remove */

/* Send p's next part; -1 if the channel is gone. */
static int
delete_part(struct pending *p, struct chan *c)
{
	Btd__DeleteData	 dd = BTD__DELETE_DATA__INIT;
	size_t		 n, bytes = 0;

	for (n = 0; p->next + n < p->npaths && n < DELETE_PART_PATHS; n++) {
		/* A path is at most MI_MAX_PATH: the first always fits. */
		bytes += strlen(p->paths[p->next + n]) + 4;
		if (n > 0 && bytes > DELETE_PART_BYTES)
			break;
	}
	dd.id = p->id;
	dd.root = p->root;
	dd.dir = p->dir;
	dd.paths = p->paths + p->next;
	dd.n_paths = n;
	dd.remove_dir = p->remove_dir;
	dd.more = p->next + n < p->npaths;
	assert(btd__delete_data__get_packed_size(&dd) < FRAME_MAX_ROLE);
	if (MSG_SEND(c, Btd__StoredMsg, STORED_MSG, DELETE_DATA, delete_data,
	    &dd, -1) == -1)
		return -1;
	p->next += n;
	return 0;
}

/* 1 if a deletion before p still has parts to send. */
static int
delete_busy(const struct pending *p)
{
	const struct pending *q;

	TAILQ_FOREACH(q, &pendings, entry) {
		if (q == p)
			return 0;
		if (q->kind == PENDING_DELETE && q->next < q->npaths)
			return 1;
	}
	return 0;
}

/*
 * Send stored the parts owed, one deletion at a time (stored takes the
 * parts of one id in a row), while its channel has room; the drain
 * callback goes on.
 */
static void
delete_pump(void)
{
	struct pending	*p;
	struct chan	*c;

	if ((c = proc_chan(BTD__ROLE__STORED)) == NULL)
		return;
	TAILQ_FOREACH(p, &pendings, entry) {
		if (p->kind != PENDING_DELETE)
			continue;
		while (p->next < p->npaths) {
			if (chan_full(c))
				return;
			if (delete_part(p, c) == -1) {
				log_warn("stored: delete %llu",
				    (unsigned long long)p->id);
				return;	/* stored restarts: p fails then */
			}
		}
	}
}

/* The answer to remove --delete-data: what was deleted, what was left. */
static void
remove_reply(int client, uint32_t deleted, const struct pending *p)
{
	Btd__CtlReply	 rep = BTD__CTL_REPLY__INIT;
	Btd__RemoveReply rr = BTD__REMOVE_REPLY__INIT;

	rr.deleted = deleted;
	rr.left = p->left;
	rr.left_paths = (char **)(uintptr_t)p->left_paths;
	rr.n_left_paths = p->nleft_paths;
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_REMOVED;
	rep.removed = &rr;
	(void)ctl_send_reply(client, &rep);
}

/*
 * Sort t's files into p: the torrent's own (to delete) and the others
 * (left, the first LEFT_SHOWN named).  Pad files and symlinks are never
 * created.  -1 if out of memory.
 */
static int
delete_sort(struct pending *p, const struct torrent *t)
{
	const Btd__FileDesc	*f;
	const char		*path;
	char			*dup;
	size_t			 i;

	if ((p->paths = calloc(t->desc->n_files, sizeof(*p->paths))) == NULL)
		return -1;
	for (i = 0; i < t->desc->n_files; i++) {
		f = t->desc->files[i];
		if (f->pad || strchr(f->attr, 'l') != NULL)
			continue;
		path = t->desc->multi ? f->path : t->name;
		if (!xfer_file_owned(t, i)) {
			p->left++;
			if (p->nleft_paths == LEFT_SHOWN)
				continue;
			if ((dup = strdup(path)) == NULL)
				return -1;
			p->left_paths[p->nleft_paths++] = dup;
			continue;
		}
		if ((p->paths[p->npaths] = strdup(path)) == NULL)
			return -1;
		p->npaths++;
	}
	return 0;
}

void
torrent_ctl_remove(int client, const Btd__RemoveRequest *req)
{
	struct torrent	*t;
	struct pending	*p = NULL;
	struct chan	*c = NULL;
	const char	*root;
	char		 err[1024], sid[41], dir[4200];
	uid_t		 du;
	gid_t		 dg;
	int		 deleting = 0;

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	summary(t, &(Btd__TorrentSummary)BTD__TORRENT_SUMMARY__INIT, sid);
	if (t->move_to != NULL) {
		ctl_send_error(client, "%s is moving to %s; remove it once the "
		    "move is over", sid, t->move_to);
		return;
	}
	if (req->delete_data && t->desc != NULL) {
		if (torrent_data_dir(t, &root, dir, sizeof(dir)) == -1) {
			ctl_send_error(client, "%s is outside every download "
			    "directory; nothing was removed", t->save_path);
			return;
		}
		/* Its timer runs from now; it is answered once at the end. */
		if ((p = pending_new(PENDING_DELETE, client,
		    DELETE_TIMEOUT)) == NULL || delete_sort(p, t) == -1 ||
		    (p->root = strdup(root)) == NULL ||
		    (p->dir = strdup(dir)) == NULL) {
			ctl_send_error(client, "out of memory");
			goto fail;
		}
		snprintf(p->what, sizeof(p->what), "%s (%s)", sid, t->name);
		p->remove_dir = t->desc->multi;
		deleting = p->npaths > 0;
	}
	if (deleting) {
		if ((c = proc_chan(BTD__ROLE__STORED)) == NULL) {
			ctl_send_error(client, "stored is not running, so the "
			    "data cannot be deleted; nothing was removed");
			goto fail;
		}
		/* Refuse now what stored could not delete, before forgetting. */
		if (owner_resolve(cf, &du, &dg, err, sizeof(err)) == 0 &&
		    owner_check_delete(root, dir, p->paths, p->npaths,
		    t->desc->multi, du, dg, err, sizeof(err)) == -1) {
			ctl_send_error(client, "cannot delete the data of %s: "
			    "%s; nothing was removed", sid, err);
			goto fail;
		}
		/* stored lets go of the torrent before it deletes its files. */
		xfer_stop(t);
		/*
		 * The first part goes now, unless an earlier deletion still
		 * has parts to send: then delete_pump() sends this one after
		 * it, since stored takes the parts of one deletion in a row.
		 */
		if (!delete_busy(p) && delete_part(p, c) == -1) {
			ctl_send_error(client, "cannot reach stored: %s; "
			    "nothing was removed", strerror(errno));
			xfer_start(t);
			goto fail;
		}
	}
	if (state_torrent_delete(st, t->ih) == -1) {
		/*
		 * The first part is on its way and its files go; the
		 * torrent stays (its next check finds them missing).
		 */
		ctl_send_error(client, "state.db: cannot remove %s", sid);
		xfer_start(t);	/* it stays: running again if it was */
		goto fail;
	}
	log_info("removed %s (%s)%s", t->hex, t->name,
	    deleting ? "; deleting its data" : "");
	if (p != NULL && p->left > 0)
		log_info("%s: left %u files that it did not create and whose "
		    "data never verified", t->hex, p->left);
	torrent_unlink(t);
	xfer_stop(t);
	if (!t->paused)
		tracker_stop(t);
	if (!deleting) {
		Btd__CtlReply rep = BTD__CTL_REPLY__INIT;

		rep.ok = 1;
		if (p != NULL) {
			remove_reply(client, 0, p);
			pending_free(p);
		} else
			(void)ctl_send_reply(client, &rep);
	}
	torrent_free(t);
	/*
	 * Its root goes if nothing else uses it; stored is restarted to
	 * lose it, unless it is deleting the data (then at its next start).
	 */
	if (roots_prune() && !deleting)
		proc_restart(BTD__ROLE__STORED);
	if (deleting)
		delete_pump();
	return;
fail:
	if (p != NULL)
		pending_free(p);
}

static int
delete_result(const Btd__DeleteResult *r)
{
	struct pending	*p;

	if ((p = pending_find(PENDING_DELETE, r->id)) == NULL)
		return 0;
	if (!utf8_valid(r->error))
		return -1;
	/* An answer before the last part went is stored's mistake. */
	if (p->next < p->npaths)
		return -1;
	if (r->ok) {
		log_info("deleted the data of %s: %u files", p->what,
		    r->removed);
		remove_reply(p->client, r->removed, p);
	} else
		ctl_send_error(p->client, "removed %s, but its data could not "
		    "all be deleted: %s", p->what, r->error);
	pending_free(p);
	return 0;
}

/* A role-specific body from a role (btd_proc.c); -1: not allowed. */
int
torrent_role_msg(int role, const ProtobufCMessage *env)
{
	if (role == BTD__ROLE__METAD) {
		const Btd__MetadMsg *m = (const Btd__MetadMsg *)(const void *)env;

		if (m->body_case == BTD__METAD_MSG__BODY_PARSE_RESULT)
			return parse_result(m->parse_result);
		if (m->body_case == BTD__METAD_MSG__BODY_META_RESULT)
			return xfer_metad_msg(env);
	}
	if (role == BTD__ROLE__TRACKERD) {
		const Btd__TrackerdMsg *m =
		    (const Btd__TrackerdMsg *)(const void *)env;

		switch (m->body_case) {
		case BTD__TRACKERD_MSG__BODY_TRACKERS_REPLY:
			return trackers_reply(m->trackers_reply);
		case BTD__TRACKERD_MSG__BODY_FETCH_RESULT:
			return fetch_result(m->fetch_result);
		case BTD__TRACKERD_MSG__BODY_KNOWN_PEERS:
			return known_peers_msg(m->known_peers);
		case BTD__TRACKERD_MSG__BODY_STOP_ALL_DONE:
			if (stopall_cb != NULL)
				stopall_finish();
			return 0;
		default:
			return -1;
		}
	}
	if (role == BTD__ROLE__STORED) {
		const Btd__StoredMsg *m = (const Btd__StoredMsg *)(const void *)env;

		if (m->body_case == BTD__STORED_MSG__BODY_DELETE_RESULT)
			return delete_result(m->delete_result);
		return xfer_stored_msg(env);
	}
	if (role == BTD__ROLE__PEERD) {
		const Btd__PeerdMsg *m = MSG_AS(Btd__PeerdMsg, peerd_msg, env);

		if (m->body_case == BTD__PEERD_MSG__BODY_PEERS_REPLY)
			return peers_reply(m->peers_reply);
		return xfer_peerd_msg(env);
	}
	return -1;
}

/*
 * ctl: move.  The new place is allowed as an add's save path is (a new
 * root restarts stored under it); the move is recorded in state.db
 * before anything moves, and btd_xfer.c has stored move the data.
 */
/*
 * Move nothing: t's data is at path already.  The save path changes in
 * state.db and here, and a full check there follows (the answer).
 */
static void
relocate(int client, struct torrent *t, const char *path, const char *sid)
{
	Btd__VerifyRequest	 vr = BTD__VERIFY_REQUEST__INIT;
	char			*p;

	if ((p = strdup(path)) == NULL) {
		ctl_send_error(client, "out of memory");
		return;
	}
	if (state_move_done(st, t->ih, path) == -1) {
		free(p);
		ctl_send_error(client, "state.db: cannot record the new place "
		    "of %s", sid);
		return;
	}
	log_info("%s: now at %s (was %s): checked there", t->hex, path,
	    t->save_path);
	/* stored forgets it at the old place before the new one is used. */
	xfer_stop(t);
	free(t->save_path);
	t->save_path = p;
	vr.id = t->hex;
	xfer_ctl_verify(client, &vr);
}

void
torrent_ctl_move(int client, const Btd__MoveRequest *req)
{
	struct torrent	*t;
	char		 err[1024], path[4096], sid[41];

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	summary(t, &(Btd__TorrentSummary)BTD__TORRENT_SUMMARY__INIT, sid);
	if (t->desc == NULL) {
		ctl_send_error(client, "%s has no metadata yet: nothing to "
		    "move", sid);
		return;
	}
	if (t->move_to != NULL) {
		ctl_send_error(client, "%s is moving to %s already%s", sid,
		    t->move_to, t->state == TST_ERROR ? " (btctl resume takes "
		    "it up again)" : "");
		return;
	}
	if (t->state == TST_ERROR || t->hashes == NULL) {
		ctl_send_error(client, "%s is in error (%s); btctl resume it "
		    "first", sid, t->error);
		return;
	}
	if (!save_path_valid(req->dir, err, sizeof(err))) {
		ctl_send_error(client, "%s", err);
		return;
	}
	snprintf(path, sizeof(path), "%s", req->dir);
	path_canon(path);
	if (strcmp(path, t->save_path) == 0) {
		ctl_send_error(client, "%s is in %s already", sid, path);
		return;
	}
	if (save_path_prepare(path, err, sizeof(err)) == -1) {
		ctl_send_error(client, "%s", err);
		return;
	}
	if (req->relocate) {
		relocate(client, t, path, sid);
		return;
	}
	if (state_move_set(st, t->ih, path) == -1) {
		ctl_send_error(client, "state.db: cannot record the move of %s",
		    sid);
		return;
	}
	log_info("%s: move from %s to %s", t->hex, t->save_path, path);
	xfer_move_start(t, path);
	torrent_reply_summary(client, t);
}

void
torrent_moved(void)
{
	if (roots_prune())
		proc_restart(BTD__ROLE__STORED);
}
