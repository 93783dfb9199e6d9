/*
 * btd_state.c -- state.db, the one SQLite database; btd alone opens it.
 *
 * It owns the connection and the schema.  The schema is a list of
 * numbered migrations; PRAGMA user_version is the number of the last one
 * applied.  Each migration runs in its own BEGIN IMMEDIATE transaction
 * together with the user_version update, so a database is always at
 * exactly one known version: a migration that fails rolls back and the
 * version stays where it was.  A database newer than this btd is refused
 * rather than opened, since an older btd cannot know what the newer
 * schema means.
 *
 * Invariants: the file is created mode 0600 (it records what the user
 * downloads); the connection is in WAL mode with foreign keys on; values
 * are bound to prepared statements, never spliced into SQL (the one
 * number formatted in, user_version, is the migration table's own); each
 * statement is finalized before the function that prepared it returns,
 * so state_close() never finds one still open.  The connection is used
 * from btd's one thread only (SQLITE_OPEN_NOMUTEX).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "btd.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

#define STATE_BUSY_MS	5000	/* wait this long for a lock before failing */

struct state {
	sqlite3		*db;
	char		*path;		/* as given, for messages */
	/* Prepared once: run for every torrent at start and each second. */
	sqlite3_stmt	*fst_load, *fst_save;
	sqlite3_stmt	*seed_save;	/* every 10 s for each running one */
	sqlite3_stmt	*prog_save;	/* every dirty torrent, each flush */
};

/*
 * The two key-value tables, settings and meta, read and written by the
 * same code: each names its fixed SQL here, so no statement is ever
 * built from a table name.
 */
struct state_kv {
	const char	*what;		/* in messages: "get <what> <key>" */
	const char	*get_sql;	/* ?1 key; one row: value */
	const char	*set_sql;	/* ?1 key, ?2 value, ?3 now if there */
};

static const struct state_kv state_settings = {
	"setting",
	"SELECT value FROM settings WHERE key = ?1",
	"INSERT OR REPLACE INTO settings(key, value, updated) "
	    "VALUES (?1, ?2, ?3)"
};

static const struct state_kv state_meta = {
	"meta",
	"SELECT value FROM meta WHERE key = ?1",
	"INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)"
};

/*
 * The schema.  Migration 1 holds every table the supervisor and the
 * roles' state need; later changes are new entries, never edits of an
 * applied one.  Times are seconds since the epoch (time(NULL)); info
 * hashes are the 20 raw bytes.
 */
static const struct state_migration state_migrations[] = {
	{ 1,
	/* btd's own markers */
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY,"	/* e.g. 'running' */
	" value TEXT NOT NULL"		/* 'running': '1' while up */
	");"
	/* values set with btctl set, replayed at start */
	"CREATE TABLE settings ("
	" key TEXT PRIMARY KEY,"	/* a conf key (btd_conf.c) */
	" value TEXT NOT NULL,"		/* as validated by conf */
	" updated INTEGER NOT NULL"	/* when it was last set */
	");"
	"CREATE TABLE torrents ("
	/* the 20-byte SHA-1 of the info dictionary */
	" info_hash BLOB PRIMARY KEY CHECK(length(info_hash) = 20),"
	" name TEXT NOT NULL,"		/* the info's name */
	" info BLOB NOT NULL,"		/* info dict bytes as received */
	" save_path TEXT NOT NULL,"	/* where its files go */
	/* checking, downloading, seeding, error, ... (btd owns the machine) */
	" state TEXT NOT NULL DEFAULT 'checking',"
	" error TEXT,"			/* why it stopped; NULL if fine */
	" added INTEGER NOT NULL,"	/* when btctl added it */
	" completed INTEGER,"		/* when the last piece verified */
	/* payload bytes sent and received, over all runs */
	" uploaded INTEGER NOT NULL DEFAULT 0,"
	" downloaded INTEGER NOT NULL DEFAULT 0,"
	" pieces BLOB,"			/* verified-piece bitfield */
	" paused INTEGER NOT NULL DEFAULT 0"	/* 1: the user paused it */
	");"
	"CREATE TABLE files ("
	" info_hash BLOB NOT NULL REFERENCES torrents ON DELETE CASCADE,"
	" idx INTEGER NOT NULL,"	/* index in the info's files */
	" priority INTEGER NOT NULL DEFAULT 1,"	/* 0: skip */
	" size INTEGER,"		/* on disk when last checked */
	" mtime INTEGER,"		/* on disk when last checked */
	" PRIMARY KEY(info_hash, idx)"
	");"
	"CREATE TABLE trackers ("
	" info_hash BLOB NOT NULL REFERENCES torrents ON DELETE CASCADE,"
	" url TEXT NOT NULL,"		/* announce URL */
	" tier INTEGER NOT NULL,"	/* BEP 12 tier, 0 first */
	" last_announce INTEGER,"	/* when we last announced */
	" last_result TEXT,"		/* 'ok' or the failure reason */
	" seeders INTEGER,"		/* as the tracker last said */
	" leechers INTEGER,"		/* as the tracker last said */
	" completed INTEGER,"		/* downloads it has counted */
	" PRIMARY KEY(info_hash, url)"
	");"
	/* a cache of known peers, so a restart need not wait for trackers */
	"CREATE TABLE peers ("
	" info_hash BLOB NOT NULL REFERENCES torrents ON DELETE CASCADE,"
	" addr TEXT NOT NULL,"		/* numeric IPv4 or IPv6 */
	" port INTEGER NOT NULL,"
	" source TEXT,"			/* how we learned of it */
	" last_seen INTEGER,"		/* last connected or announced */
	" PRIMARY KEY(info_hash, addr, port)"
	");"
	/* directories stored may write under (its Landlock rules) */
	"CREATE TABLE download_roots ("
	" path TEXT PRIMARY KEY,"	/* absolute */
	" added INTEGER NOT NULL"	/* when it was added */
	");" },
	{ 2,
	/*
	 * Magnets: a torrent may be known before its info dictionary, so
	 * info becomes nullable, and the validated description btd needs
	 * to list and show a torrent is kept with it (meta).  No btd of
	 * schema 1 could add a torrent, so the torrent tables are empty
	 * and are made anew rather than copied.
	 */
	"DROP TABLE files;"
	"DROP TABLE trackers;"
	"DROP TABLE peers;"
	"DROP TABLE torrents;"
	"CREATE TABLE torrents ("
	" info_hash BLOB PRIMARY KEY CHECK(length(info_hash) = 20),"
	" seq INTEGER NOT NULL,"	/* order of adding, for listing */
	" name TEXT NOT NULL,"		/* sanitised; a magnet's dn until known */
	" info BLOB,"			/* info dict bytes; NULL until known */
	/*
	 * the validated description in btd's own encoding: a packed
	 * btd.TorrentDesc without its info field once the info is known,
	 * else a packed btd.MagnetDesc (proto/torrent.proto)
	 */
	" meta BLOB NOT NULL,"
	" save_path TEXT NOT NULL,"	/* where its files go */
	/* queued, fetching metadata, checking, downloading, seeding, error */
	" state TEXT NOT NULL,"
	" error TEXT,"			/* why it stopped; NULL if fine */
	" added INTEGER NOT NULL,"	/* when btctl added it */
	" completed INTEGER,"		/* when the last piece verified */
	" uploaded INTEGER NOT NULL DEFAULT 0,"	/* payload bytes, all runs */
	" downloaded INTEGER NOT NULL DEFAULT 0,"
	" pieces BLOB,"			/* verified-piece bitfield */
	" paused INTEGER NOT NULL DEFAULT 0"	/* 1: the user paused it */
	");"
	"CREATE TABLE files ("
	" info_hash BLOB NOT NULL REFERENCES torrents ON DELETE CASCADE,"
	" idx INTEGER NOT NULL,"	/* index in the info's files */
	" priority INTEGER NOT NULL DEFAULT 1,"	/* 0: skip */
	" size INTEGER,"		/* on disk when last checked */
	" mtime INTEGER,"		/* on disk when last checked */
	" PRIMARY KEY(info_hash, idx)"
	");"
	"CREATE TABLE trackers ("
	" info_hash BLOB NOT NULL REFERENCES torrents ON DELETE CASCADE,"
	" url TEXT NOT NULL,"		/* announce URL */
	" tier INTEGER NOT NULL,"	/* BEP 12 tier, 0 first */
	" last_announce INTEGER,"	/* when we last announced */
	" last_result TEXT,"		/* 'ok' or the failure reason */
	" seeders INTEGER,"		/* as the tracker last said */
	" leechers INTEGER,"
	" completed INTEGER,"		/* downloads it has counted */
	" PRIMARY KEY(info_hash, url)"
	");"
	"CREATE TABLE peers ("
	" info_hash BLOB NOT NULL REFERENCES torrents ON DELETE CASCADE,"
	" addr TEXT NOT NULL,"		/* numeric IPv4 or IPv6 */
	" port INTEGER NOT NULL,"
	" source TEXT,"			/* how we learned of it: magnet, ... */
	" last_seen INTEGER,"		/* last connected or announced */
	" PRIMARY KEY(info_hash, addr, port)"
	");"
	},
	{ 3,
	/*
	 * The transfer: bytes received and thrown away (failed hashes,
	 * duplicates) join the lifetime counters.  pieces, uploaded,
	 * downloaded and completed exist since 2 and are written from now
	 * on, in batches (btd_xfer.c).  Session totals over every run
	 * live in meta ('total_downloaded', 'total_uploaded').
	 */
	"ALTER TABLE torrents ADD COLUMN"
	" wasted INTEGER NOT NULL DEFAULT 0;"
	},
	{ 4,
	/*
	 * Ownership of the files: a bitfield over the info's files (BEP 3
	 * bit order, file 0 first) of those stored created (FilesCreated),
	 * written with the progress.  With the files a verified piece
	 * touches, they are what remove --delete-data deletes; a torrent
	 * recorded before this knows none it created.
	 */
	"ALTER TABLE torrents ADD COLUMN created BLOB;"
	},
	{ 5,
	/*
	 * A move under way (btctl move): the save path the data goes to,
	 * recorded before stored moves anything and cleared, with
	 * save_path set to it, in one statement once the data is in place.
	 * A row that still has one at start is moved again (resumed or
	 * rolled back by stored).  NULL: no move.
	 */
	"ALTER TABLE torrents ADD COLUMN move_to TEXT;"
	},
	{ 6,
	/*
	 * Labels, seeding time and seed limits (btd_seed.c): the labels
	 * joined by commas (a label has none; NULL or '' none); seconds
	 * spent downloading and seeding over every run; when payload last
	 * moved; the torrent's seed ratio and idle limits with their modes
	 * (0 global, 1 its own, 2 unlimited); and seed_done, 1 once btd
	 * stopped it at a limit.
	 */
	"ALTER TABLE torrents ADD COLUMN labels TEXT;"
	"ALTER TABLE torrents ADD COLUMN secs_down INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE torrents ADD COLUMN secs_seed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE torrents ADD COLUMN activity INTEGER;"
	"ALTER TABLE torrents ADD COLUMN seed_ratio REAL;"
	"ALTER TABLE torrents ADD COLUMN seed_ratio_mode INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE torrents ADD COLUMN seed_idle INTEGER;"
	"ALTER TABLE torrents ADD COLUMN seed_idle_mode INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE torrents ADD COLUMN seed_done INTEGER NOT NULL DEFAULT 0;"
	},
};

static int	 state_pragma_int(sqlite3 *, const char *, int *);
static int	 state_migrate(struct state *, const struct state_migration *,
		    int, char *, size_t);
static int	 state_kv_get(struct state *, const struct state_kv *,
		    const char *, char **);
static int	 state_kv_set(struct state *, const struct state_kv *,
		    const char *, const char *);
static int	 state_exec(struct state *, const char *);

struct state *
state_open(const char *path, char *err, size_t errlen)
{
	return state_open_with(path, state_migrations,
	    (int)(sizeof(state_migrations) / sizeof(state_migrations[0])),
	    err, errlen);
}

struct state *
state_open_with(const char *path, const struct state_migration *migs, int n,
    char *err, size_t errlen)
{
	struct state	*st = NULL;
	sqlite3_stmt	*stmt = NULL;
	const char	*mode;
	int		 fd, i;

	assert(n >= 0);
	for (i = 0; i < n; i++)
		assert(migs[i].version == i + 1 && migs[i].sql != NULL);

	/*
	 * Create the file ourselves so that it is 0600 whatever the umask;
	 * SQLite gives the -wal and -shm files the main file's mode.  The
	 * alternative, setting the umask around sqlite3_open_v2(), would
	 * change it for the whole process.
	 */
	if ((fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600)) == -1) {
		util_seterr(err, errlen, "state.db: %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	close(fd);

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		util_seterr(err, errlen, "state.db: %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		util_seterr(err, errlen, "state.db: %s: %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STATE_BUSY_MS);

	/* journal_mode answers with the mode now in effect. */
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &stmt,
	    NULL) != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW) {
		util_seterr(err, errlen, "state.db: %s: %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (mode == NULL || strcasecmp(mode, "wal") != 0) {
		util_seterr(err, errlen, "state.db: %s: cannot use WAL mode "
		    "(journal mode is %s)", path,
		    mode != NULL ? mode : "unknown");
		goto fail;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;

	/*
	 * A page cache of 512 KiB, not SQLite's 2 MiB: btd reads each table
	 * once at start and writes a few rows at a time after; the pages
	 * it reads again are in the kernel's cache.
	 */
	if (sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA cache_size = -512;", NULL, NULL, NULL) != SQLITE_OK) {
		util_seterr(err, errlen, "state.db: %s: %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (state_migrate(st, migs, n, err, errlen) == -1)
		goto fail;
	return st;

 fail:
	sqlite3_finalize(stmt);
	state_close(st);
	return NULL;
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->fst_load);
	sqlite3_finalize(st->fst_save);
	sqlite3_finalize(st->seed_save);
	sqlite3_finalize(st->prog_save);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warnx("state: close %s: %s", st->path,
		    sqlite3_errmsg(st->db));
	free(st->path);
	free(st);
}

/* Read an integer PRAGMA such as user_version. */
static int
state_pragma_int(sqlite3 *db, const char *sql, int *value)
{
	sqlite3_stmt	*stmt = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW)
		goto fail;
	*value = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;

 fail:
	sqlite3_finalize(stmt);
	return -1;
}

/*
 * Bring the schema from its user_version to migs[n - 1].version, one
 * transaction per step.
 */
static int
state_migrate(struct state *st, const struct state_migration *migs, int n,
    char *err, size_t errlen)
{
	char	 sql[64];
	int	 cur, i;

	if (state_pragma_int(st->db, "PRAGMA user_version", &cur) == -1) {
		util_seterr(err, errlen, "state.db: %s: %s", st->path,
		    sqlite3_errmsg(st->db));
		return -1;
	}
	if (cur > n) {
		util_seterr(err, errlen, "state.db: schema version %d is "
		    "newer than this btd (%d)", cur, n);
		return -1;
	}
	if (cur < 0) {
		util_seterr(err, errlen, "state.db: %s: schema version %d is "
		    "not valid", st->path, cur);
		return -1;
	}
	for (i = cur; i < n; i++) {
		/*
		 * PRAGMA takes no bound parameters; the number is ours, not
		 * outside input.
		 */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    migs[i].version);
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, migs[i].sql, NULL, NULL,
		    NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL,
		    NULL) != SQLITE_OK)
			goto fail;
		log_debug("state: %s: schema version %d", st->path,
		    migs[i].version);
	}
	return 0;

 fail:
	/* The message first: ROLLBACK would replace it. */
	util_seterr(err, errlen, "state.db: migration %d: %s",
	    migs[i].version, sqlite3_errmsg(st->db));
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_version(struct state *st)
{
	int	 v;

	if (state_pragma_int(st->db, "PRAGMA user_version", &v) == -1) {
		log_warnx("state: user_version: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return v;
}

/* Run fixed SQL (no parameters, no result rows). */
static int
state_exec(struct state *st, const char *sql)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("state: %s: %s", sql, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* 1 and *value (the caller frees) if key is in the table, 0 if not, -1. */
static int
state_kv_get(struct state *st, const struct state_kv *kv, const char *key,
    char **value)
{
	sqlite3_stmt	*stmt = NULL;
	const char	*v;
	int		 rc;

	*value = NULL;
	if (sqlite3_prepare_v2(st->db, kv->get_sql, -1, &stmt,
	    NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, key, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(stmt)) == SQLITE_DONE) {
		sqlite3_finalize(stmt);
		return 0;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	if ((v = (const char *)sqlite3_column_text(stmt, 0)) == NULL)
		v = "";
	/* The caller frees *value. */
	if ((*value = strdup(v)) == NULL) {
		log_warn("state: %s %s", kv->what, key);
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 1;

 fail:
	log_warnx("state: get %s %s: %s", kv->what, key,
	    sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

/* Insert or replace key; the time goes in as ?3 where set_sql has one. */
static int
state_kv_set(struct state *st, const struct state_kv *kv, const char *key,
    const char *value)
{
	sqlite3_stmt	*stmt = NULL;

	if (sqlite3_prepare_v2(st->db, kv->set_sql, -1, &stmt,
	    NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, key, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 2, value, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(stmt) >= 3 &&
	    sqlite3_bind_int64(stmt, 3,
	    (sqlite3_int64)time(NULL)) != SQLITE_OK) ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return 0;

 fail:
	log_warnx("state: set %s %s: %s", kv->what, key,
	    sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

int
state_setting_get(struct state *st, const char *key, char **value)
{
	return state_kv_get(st, &state_settings, key, value);
}

int
state_setting_set(struct state *st, const char *key, const char *value)
{
	return state_kv_set(st, &state_settings, key, value);
}

int
state_setting_del(struct state *st, const char *key)
{
	sqlite3_stmt	*stmt = NULL;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM settings WHERE key = ?1",
	    -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, key, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return 0;

 fail:
	log_warnx("state: delete setting %s: %s", key, sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

int
state_meta_get(struct state *st, const char *key, char **value)
{
	return state_kv_get(st, &state_meta, key, value);
}

int
state_meta_set(struct state *st, const char *key, const char *value)
{
	return state_kv_set(st, &state_meta, key, value);
}

int
state_setting_foreach(struct state *st,
    void (*cb)(const char *, const char *, void *), void *arg)
{
	sqlite3_stmt	*stmt = NULL;
	const char	*k, *v;
	int		 rc;

	if (sqlite3_prepare_v2(st->db,
	    "SELECT key, value FROM settings ORDER BY key", -1, &stmt,
	    NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(stmt, 0);
		v = (const char *)sqlite3_column_text(stmt, 1);
		/* NOT NULL columns; the strings last until the next step. */
		cb(k != NULL ? k : "", v != NULL ? v : "", arg);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return 0;

 fail:
	log_warnx("state: list settings: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

/*
 * The marker is read and set in one transaction, so two btd started at
 * once on the same state cannot both see a clean previous run.
 */
int
state_mark_running(struct state *st, int *was_unclean)
{
	char	*v = NULL;
	int	 rc;

	if (state_exec(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	if ((rc = state_kv_get(st, &state_meta, "running", &v)) == -1)
		goto fail;
	*was_unclean = rc == 1 && strcmp(v, "1") == 0;
	free(v);
	if (state_kv_set(st, &state_meta, "running", "1") == -1 ||
	    state_exec(st, "COMMIT") == -1)
		goto fail;
	return 0;

 fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_mark_clean(struct state *st)
{
	return state_kv_set(st, &state_meta, "running", "0");
}

int
state_torrent_count(struct state *st)
{
	sqlite3_stmt	*stmt = NULL;
	int		 n;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM torrents", -1,
	    &stmt, NULL) != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW)
		goto fail;
	n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return n;

 fail:
	log_warnx("state: count torrents: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

/*
 * Torrents.  A row is written whole when a torrent is added, in one
 * transaction with its files and trackers rows; btd keeps the working
 * copy in memory (btd_torrent.c) and reads the table back at start.
 */
int
state_torrent_insert(struct state *st, const struct state_torrent *t)
{
	sqlite3_stmt	*stmt = NULL;
	size_t		 i;

	if (state_exec(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sqlite3_prepare_v2(st->db,
	    "INSERT INTO torrents (info_hash, seq, name, info, meta, "
	    "save_path, state, added, paused) VALUES (?1, "
	    "(SELECT coalesce(max(seq), 0) + 1 FROM torrents), "
	    "?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &stmt, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_bind_blob(stmt, 1, t->info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 2, t->name, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    (t->info != NULL ? sqlite3_bind_blob64(stmt, 3, t->info,
	    t->info_len, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(stmt, 3)) != SQLITE_OK ||
	    sqlite3_bind_blob64(stmt, 4, t->meta, t->meta_len,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 5, t->save_path, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 6, t->state, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 7, t->added) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 8, t->paused) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	stmt = NULL;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO files (info_hash, idx) "
	    "VALUES (?1, ?2)", -1, &stmt, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < t->nfiles; i++) {
		if (sqlite3_bind_blob(stmt, 1, t->info_hash, 20,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i) != SQLITE_OK ||
		    sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	stmt = NULL;

	if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO trackers "
	    "(info_hash, url, tier) VALUES (?1, ?2, ?3)", -1, &stmt,
	    NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < t->ntrackers; i++) {
		if (sqlite3_bind_blob(stmt, 1, t->info_hash, 20,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_text(stmt, 2, t->tracker_urls[i], -1,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_int(stmt, 3, (int)t->tracker_tiers[i]) !=
		    SQLITE_OK || sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (state_exec(st, "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	log_warnx("state: add torrent %s: %s", t->name,
	    sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	(void)state_exec(st, "ROLLBACK");
	return -1;
}

int
state_torrent_set_meta(struct state *st, const struct state_torrent *t)
{
	sqlite3_stmt	*stmt = NULL;
	size_t		 i;

	if (state_exec(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sqlite3_prepare_v2(st->db, "UPDATE torrents SET name = ?2, "
	    "info = ?3, meta = ?4, state = ?5 WHERE info_hash = ?1", -1,
	    &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(stmt, 1, t->info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 2, t->name, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_blob64(stmt, 3, t->info, t->info_len,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_blob64(stmt, 4, t->meta, t->meta_len,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 5, t->state, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE ||
	    sqlite3_changes(st->db) != 1)
		goto fail;
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO files "
	    "(info_hash, idx) VALUES (?1, ?2)", -1, &stmt, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < t->nfiles; i++) {
		if (sqlite3_bind_blob(stmt, 1, t->info_hash, 20,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i) != SQLITE_OK ||
		    sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (state_exec(st, "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	log_warnx("state: metadata of torrent %s: %s", t->name,
	    sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	(void)state_exec(st, "ROLLBACK");
	return -1;
}

int
state_torrent_delete(struct state *st, const uint8_t info_hash[20])
{
	sqlite3_stmt	*stmt = NULL;
	static const char *const rows[] = { STATE_LIMITS_KEY,
	    STATE_WANTS_KEY };
	char		 key[sizeof(STATE_LIMITS_KEY) + 40];
	size_t		 n;
	int		 i, k;

	if (sqlite3_prepare_v2(st->db,
	    "DELETE FROM torrents WHERE info_hash = ?1", -1, &stmt,
	    NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(stmt, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		log_warnx("state: remove torrent: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	/* Its own limits (btd_limits.c) and wants (btd_wants.c) go with
	   it. */
	for (k = 0; k < 2; k++) {
		n = strlen(rows[k]);
		memcpy(key, rows[k], n);
		for (i = 0; i < 20; i++)
			snprintf(key + n + 2 * i, 3, "%02x", info_hash[i]);
		stmt = NULL;
		if (sqlite3_prepare_v2(st->db,
		    "DELETE FROM meta WHERE key = ?1", -1, &stmt,
		    NULL) != SQLITE_OK ||
		    sqlite3_bind_text(stmt, 1, key, -1,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_step(stmt) != SQLITE_DONE)
			log_warnx("state: remove torrent %s: %s", rows[k],
			    sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
	}
	return 0;
}

/* Text from a row: UTF-8 without control characters (it reaches logs). */
static int
row_text_ok(const char *s)
{
	const char	*p;

	if (s == NULL || !utf8_valid(s))
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int64_t
state_torrent_seq(struct state *st, const uint8_t ih[20])
{
	sqlite3_stmt	*stmt = NULL;
	int64_t		 seq = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT seq FROM torrents WHERE "
	    "info_hash = ?1", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(stmt, 1, ih, 20, SQLITE_TRANSIENT) != SQLITE_OK)
		goto done;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		seq = sqlite3_column_int64(stmt, 0);
done:
	sqlite3_finalize(stmt);
	return seq;
}

int
state_torrent_foreach(struct state *st,
    void (*cb)(const struct state_torrent *, void *), void *arg)
{
	sqlite3_stmt		*stmt = NULL;
	struct state_torrent	 t;
	int			 rc, row = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT info_hash, name, info, meta, "
	    "save_path, state, coalesce(error, ''), added, paused, pieces, "
	    "downloaded, uploaded, wasted, coalesce(completed, 0), created, "
	    "move_to, seq FROM torrents ORDER BY seq", -1, &stmt,
	    NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		row++;
		memset(&t, 0, sizeof(t));
		if (sqlite3_column_bytes(stmt, 0) != 20 ||
		    sqlite3_column_blob(stmt, 0) == NULL) {
			log_warnx("state.db: torrent row %d has no 20-byte "
			    "info hash; skipped", row);
			continue;
		}
		t.info_hash = sqlite3_column_blob(stmt, 0);
		t.name = (const char *)sqlite3_column_text(stmt, 1);
		t.info = sqlite3_column_blob(stmt, 2);
		t.info_len = (size_t)sqlite3_column_bytes(stmt, 2);
		t.meta = sqlite3_column_blob(stmt, 3);
		t.meta_len = (size_t)sqlite3_column_bytes(stmt, 3);
		t.save_path = (const char *)sqlite3_column_text(stmt, 4);
		t.state = (const char *)sqlite3_column_text(stmt, 5);
		t.error = (const char *)sqlite3_column_text(stmt, 6);
		t.added = sqlite3_column_int64(stmt, 7);
		t.paused = sqlite3_column_int(stmt, 8);
		/* Every row is untrusted: no NULL where a value must be. */
		if (t.name == NULL || t.save_path == NULL || t.state == NULL ||
		    t.meta == NULL || t.meta_len == 0 ||
		    (t.info != NULL && t.info_len == 0)) {
			log_warnx("state.db: torrent row %d has an empty "
			    "column (name, save_path, state or meta); "
			    "skipped", row);
			continue;
		}
		if (!row_text_ok(t.name) || !row_text_ok(t.save_path) ||
		    !row_text_ok(t.state) || !row_text_ok(t.error) ||
		    t.save_path[0] != '/') {
			log_warnx("state.db: torrent row %d has text that is "
			    "not printable UTF-8, or a relative save path; "
			    "skipped", row);
			continue;
		}
		/* A blob or NULL; a column of another type reads as bytes. */
		t.pieces = sqlite3_column_blob(stmt, 9);
		t.pieces_len = (size_t)sqlite3_column_bytes(stmt, 9);
		t.downloaded = sqlite3_column_int64(stmt, 10);
		t.uploaded = sqlite3_column_int64(stmt, 11);
		t.wasted = sqlite3_column_int64(stmt, 12);
		t.completed = sqlite3_column_int64(stmt, 13);
		t.created = sqlite3_column_blob(stmt, 14);
		t.created_len = (size_t)sqlite3_column_bytes(stmt, 14);
		t.move_to = (const char *)sqlite3_column_text(stmt, 15);
		t.seq = sqlite3_column_int64(stmt, 16);
		cb(&t, arg);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return 0;
fail:
	log_warnx("state: torrents: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

/*
 * The known-peer cache: the peers table of migration 1 (made anew in 2),
 * whose rows go with their torrent (ON DELETE CASCADE).  last_seen is
 * the last successful connection.  A save replaces every row of the
 * torrent in one transaction.
 */
int
state_peers_save(struct state *st, const uint8_t info_hash[20],
    const struct state_peer *p, size_t n)
{
	sqlite3_stmt	*del = NULL, *ins = NULL;
	size_t		 i;

	if (state_exec(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sqlite3_prepare_v2(st->db, "DELETE FROM peers WHERE info_hash "
	    "= ?1", -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(del, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(del) != SQLITE_DONE ||
	    sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO peers(info_hash,"
	    " addr, port, source, last_seen) SELECT ?1, ?2, ?3, ?4, ?5 "
	    "WHERE EXISTS (SELECT 1 FROM torrents WHERE info_hash = ?1)",
	    -1, &ins, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_reset(ins);
		if (sqlite3_bind_blob(ins, 1, info_hash, 20,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_text(ins, 2, p[i].addr, -1,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_int(ins, 3, (int)p[i].port) != SQLITE_OK ||
		    sqlite3_bind_text(ins, 4, p[i].source, -1,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_int64(ins, 5, p[i].last_seen) != SQLITE_OK ||
		    sqlite3_step(ins) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	return state_exec(st, "COMMIT");
fail:
	log_warnx("state: known peers: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	(void)state_exec(st, "ROLLBACK");
	return -1;
}

int
state_peers_foreach(struct state *st, const uint8_t info_hash[20],
    void (*cb)(const struct state_peer *, void *), void *arg)
{
	sqlite3_stmt		*stmt = NULL;
	struct state_peer	 p;
	int			 rc;

	if (sqlite3_prepare_v2(st->db, "SELECT addr, port, source, "
	    "last_seen FROM peers WHERE info_hash = ?1 ORDER BY last_seen "
	    "DESC", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(stmt, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		/* Untrusted: the caller checks; here only no NULL text. */
		p.addr = (const char *)sqlite3_column_text(stmt, 0);
		p.port = sqlite3_column_int64(stmt, 1);
		p.source = (const char *)sqlite3_column_text(stmt, 2);
		p.last_seen = sqlite3_column_int64(stmt, 3);
		if (p.addr == NULL)
			p.addr = "";
		if (p.source == NULL)
			p.source = "";
		cb(&p, arg);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return 0;
fail:
	log_warnx("state: known peers: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

int
state_root_add(struct state *st, const char *path)
{
	sqlite3_stmt	*stmt = NULL;

	if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO download_roots "
	    "(path, added) VALUES (?1, ?2)", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, path, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)time(NULL)) !=
	    SQLITE_OK || sqlite3_step(stmt) != SQLITE_DONE) {
		log_warnx("state: download root %s: %s", path,
		    sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

int
state_root_del(struct state *st, const char *path)
{
	sqlite3_stmt	*stmt = NULL;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM download_roots WHERE "
	    "path = ?1", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, path, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		log_warnx("state: download root %s: %s", path,
		    sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

/* cb gets NULL for a row whose path is NULL (state.db is not trusted). */
int
state_root_foreach(struct state *st, void (*cb)(const char *, void *),
    void *arg)
{
	sqlite3_stmt	*stmt = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(st->db, "SELECT path FROM download_roots "
	    "ORDER BY added, path", -1, &stmt, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(stmt, 0), arg);
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return 0;
fail:
	log_warnx("state: download roots: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

/*
 * Moves.  The destination is recorded before stored moves anything;
 * the save path takes it, and the record goes, in one statement once
 * stored says the data is in place.
 */
int
state_move_set(struct state *st, const uint8_t info_hash[20],
    const char *move_to)
{
	sqlite3_stmt	*stmt = NULL;

	if (sqlite3_prepare_v2(st->db, "UPDATE torrents SET move_to = ?2 "
	    "WHERE info_hash = ?1", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(stmt, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    (move_to != NULL ? sqlite3_bind_text(stmt, 2, move_to, -1,
	    SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, 2)) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE || sqlite3_changes(st->db) != 1) {
		log_warnx("state: move: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

int
state_move_done(struct state *st, const uint8_t info_hash[20],
    const char *save_path)
{
	sqlite3_stmt	*stmt = NULL;

	if (sqlite3_prepare_v2(st->db, "UPDATE torrents SET save_path = ?2, "
	    "move_to = NULL WHERE info_hash = ?1", -1, &stmt,
	    NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(stmt, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 2, save_path, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE || sqlite3_changes(st->db) != 1) {
		log_warnx("state: move done: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return 0;
}

/*
 * Progress.  btd_xfer.c writes every torrent that changed once a second
 * inside one state_begin()/state_commit(), and at shutdown: never a
 * transaction per block.  Counters are clamped to INT64_MAX, SQLite's
 * largest integer.
 */
static sqlite3_int64
clamp64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

int
state_progress_save(struct state *st, const uint8_t info_hash[20],
    const struct state_progress *p)
{
	sqlite3_stmt	*stmt;

	if (st->prog_save == NULL && sqlite3_prepare_v2(st->db,
	    "UPDATE torrents SET pieces = ?2, "
	    "downloaded = ?3, uploaded = ?4, wasted = ?5, completed = ?6, "
	    "state = ?7, error = ?8, paused = ?9, created = ?10 "
	    "WHERE info_hash = ?1", -1,
	    &st->prog_save, NULL) != SQLITE_OK) {
		log_warnx("state: save progress: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	stmt = st->prog_save;
	if (sqlite3_bind_blob(stmt, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    (p->pieces != NULL ? sqlite3_bind_blob64(stmt, 2, p->pieces,
	    p->pieces_len, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(stmt, 2)) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 3, clamp64(p->downloaded)) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 4, clamp64(p->uploaded)) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 5, clamp64(p->wasted)) != SQLITE_OK ||
	    (p->completed > 0 ? sqlite3_bind_int64(stmt, 6, p->completed) :
	    sqlite3_bind_null(stmt, 6)) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 7, p->state, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    (p->error != NULL && p->error[0] != '\0' ?
	    sqlite3_bind_text(stmt, 8, p->error, -1, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(stmt, 8)) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 9, p->paused ? 1 : 0) != SQLITE_OK ||
	    (p->created != NULL ? sqlite3_bind_blob64(stmt, 10, p->created,
	    p->created_len, SQLITE_TRANSIENT) :
	    sqlite3_bind_null(stmt, 10)) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		log_warnx("state: save progress: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

/*
 * Quick resume (stored.proto): each file's size and mtime as stored
 * found it after a flush or a check.  Rows are made at add, but a row
 * that went missing is made again here (an upsert), so that a record
 * is never silently dropped.
 */
int
state_fstats_save(struct state *st, const uint8_t info_hash[20],
    struct state_fstat *f, size_t n)
{
	sqlite3_stmt	*stmt;
	size_t		 i;

	if (st->fst_save == NULL && sqlite3_prepare_v2(st->db,
	    "INSERT INTO files (info_hash, idx, "
	    "size, mtime) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (info_hash, "
	    "idx) DO UPDATE SET size = excluded.size, mtime = excluded.mtime",
	    -1, &st->fst_save, NULL) != SQLITE_OK)
		goto fail;
	stmt = st->fst_save;
	for (i = 0; i < n; i++) {
		if (!f[i].dirty)
			continue;
		sqlite3_reset(stmt);
		if (sqlite3_bind_blob(stmt, 1, info_hash, 20,
		    SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i) !=
		    SQLITE_OK || (f[i].rec ? sqlite3_bind_int64(stmt, 3,
		    clamp64(f[i].size)) : sqlite3_bind_null(stmt, 3)) !=
		    SQLITE_OK ||
		    (f[i].rec ? sqlite3_bind_int64(stmt, 4, f[i].mtime) :
		    sqlite3_bind_null(stmt, 4)) != SQLITE_OK ||
		    sqlite3_step(stmt) != SQLITE_DONE)
			goto fail;
		f[i].dirty = 0;
	}
	sqlite3_reset(stmt);
	return 0;
fail:
	log_warnx("state: file records: %s", sqlite3_errmsg(st->db));
	if (st->fst_save != NULL)
		sqlite3_reset(st->fst_save);
	return -1;
}

int
state_fstats_load(struct state *st, const uint8_t info_hash[20],
    struct state_fstat *f, size_t n)
{
	sqlite3_stmt	*stmt;
	sqlite3_int64	 idx;
	int		 rc;

	memset(f, 0, n * sizeof(*f));
	if (st->fst_load == NULL && sqlite3_prepare_v2(st->db,
	    "SELECT idx, size, mtime FROM files "
	    "WHERE info_hash = ?1 AND size IS NOT NULL AND mtime IS NOT NULL",
	    -1, &st->fst_load, NULL) != SQLITE_OK)
		goto fail;
	stmt = st->fst_load;
	if (sqlite3_bind_blob(stmt, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		/* Untrusted: a row out of range or of another type is none. */
		idx = sqlite3_column_int64(stmt, 0);
		if (idx < 0 || (uint64_t)idx >= n ||
		    sqlite3_column_type(stmt, 1) != SQLITE_INTEGER ||
		    sqlite3_column_type(stmt, 2) != SQLITE_INTEGER ||
		    sqlite3_column_int64(stmt, 1) < 0)
			continue;
		f[idx].rec = 1;
		f[idx].size = (uint64_t)sqlite3_column_int64(stmt, 1);
		f[idx].mtime = sqlite3_column_int64(stmt, 2);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_reset(stmt);
	return 0;
fail:
	log_warnx("state: file records: %s", sqlite3_errmsg(st->db));
	if (st->fst_load != NULL)
		sqlite3_reset(st->fst_load);
	memset(f, 0, n * sizeof(*f));
	return -1;
}

int
state_begin(struct state *st)
{
	return state_exec(st, "BEGIN IMMEDIATE");
}

int
state_commit(struct state *st)
{
	return state_exec(st, "COMMIT");
}

void
state_rollback(struct state *st)
{
	if (!sqlite3_get_autocommit(st->db))
		(void)state_exec(st, "ROLLBACK");
}

uint64_t
state_total_get(struct state *st, const char *key)
{
	char			*v = NULL, *end;
	unsigned long long	 n;

	if (state_kv_get(st, &state_meta, key, &v) != 1)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-') {
		log_warnx("state.db: meta %s is not a number; counted from 0",
		    key);
		n = 0;
	}
	free(v);
	return n;
}

int
state_total_set(struct state *st, const char *key, uint64_t n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n);
	return state_kv_set(st, &state_meta, key, buf);
}

/*
 * Labels, seeding time and seed limits (migration 6; btd_seed.c).  Read
 * in one pass for every torrent, or for one; written one row at a time.
 */
#define SEED_COLS	"info_hash, coalesce(labels, ''), secs_down, " \
	"secs_seed, coalesce(activity, 0), coalesce(seed_ratio, 0), " \
	"seed_ratio_mode, coalesce(seed_idle, 0), seed_idle_mode, seed_done"

static int
seed_rows(struct state *st, sqlite3_stmt *stmt,
    void (*cb)(const uint8_t *, const struct state_seed *, void *),
    void *arg)
{
	struct state_seed	 r;
	int			 rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(stmt, 0) != 20 ||
		    sqlite3_column_blob(stmt, 0) == NULL)
			continue;
		memset(&r, 0, sizeof(r));
		r.labels = (const char *)sqlite3_column_text(stmt, 1);
		r.secs_down = sqlite3_column_int64(stmt, 2);
		r.secs_seed = sqlite3_column_int64(stmt, 3);
		r.activity = sqlite3_column_int64(stmt, 4);
		r.ratio = sqlite3_column_double(stmt, 5);
		r.ratio_mode = sqlite3_column_int64(stmt, 6);
		r.idle = sqlite3_column_int64(stmt, 7);
		r.idle_mode = sqlite3_column_int64(stmt, 8);
		r.done = sqlite3_column_int64(stmt, 9);
		if (r.labels == NULL)
			r.labels = "";
		cb(sqlite3_column_blob(stmt, 0), &r, arg);
	}
	if (rc != SQLITE_DONE) {
		log_warnx("state: seed rows: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

int
state_seed_foreach(struct state *st, const uint8_t *info_hash,
    void (*cb)(const uint8_t *, const struct state_seed *, void *),
    void *arg)
{
	sqlite3_stmt	*stmt = NULL;
	int		 r;

	if (sqlite3_prepare_v2(st->db, info_hash != NULL ?
	    "SELECT " SEED_COLS " FROM torrents WHERE info_hash = ?1" :
	    "SELECT " SEED_COLS " FROM torrents", -1, &stmt,
	    NULL) != SQLITE_OK || (info_hash != NULL &&
	    sqlite3_bind_blob(stmt, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK)) {
		log_warnx("state: seed rows: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(stmt);
		return -1;
	}
	r = seed_rows(st, stmt, cb, arg);
	sqlite3_finalize(stmt);
	return r;
}

int
state_seed_save(struct state *st, const uint8_t info_hash[20],
    const struct state_seed *r)
{
	sqlite3_stmt	*stmt;

	if (st->seed_save == NULL && sqlite3_prepare_v2(st->db,
	    "UPDATE torrents SET labels = ?2, "
	    "secs_down = ?3, secs_seed = ?4, activity = ?5, seed_ratio = ?6, "
	    "seed_ratio_mode = ?7, seed_idle = ?8, seed_idle_mode = ?9, "
	    "seed_done = ?10 WHERE info_hash = ?1", -1, &st->seed_save,
	    NULL) != SQLITE_OK) {
		log_warnx("state: seed row: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	stmt = st->seed_save;
	if (sqlite3_bind_blob(stmt, 1, info_hash, 20,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 2, r->labels, -1,
	    SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 3, r->secs_down) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 4, r->secs_seed) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 5, r->activity) != SQLITE_OK ||
	    sqlite3_bind_double(stmt, 6, r->ratio) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 7, r->ratio_mode) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 8, r->idle) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 9, r->idle_mode) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 10, r->done) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		log_warnx("state: seed row: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return 0;
}

/*
 * Every file record at once, for the start: one query over the files
 * table instead of one a torrent (100,000 of them).  Rows out of range
 * or of another type are skipped here or by the caller, as in
 * state_fstats_load().
 */
int
state_fstats_foreach(struct state *st, void (*cb)(const uint8_t *ih,
    uint64_t idx, const struct state_fstat *, void *), void *arg)
{
	sqlite3_stmt		*stmt = NULL;
	struct state_fstat	 f;
	sqlite3_int64		 idx;
	int			 rc;

	if (sqlite3_prepare_v2(st->db, "SELECT info_hash, idx, size, mtime "
	    "FROM files WHERE size IS NOT NULL AND mtime IS NOT NULL", -1,
	    &stmt, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		idx = sqlite3_column_int64(stmt, 1);
		if (sqlite3_column_bytes(stmt, 0) != 20 ||
		    sqlite3_column_blob(stmt, 0) == NULL || idx < 0 ||
		    sqlite3_column_type(stmt, 2) != SQLITE_INTEGER ||
		    sqlite3_column_type(stmt, 3) != SQLITE_INTEGER ||
		    sqlite3_column_int64(stmt, 2) < 0)
			continue;
		memset(&f, 0, sizeof(f));
		f.rec = 1;
		f.size = (uint64_t)sqlite3_column_int64(stmt, 2);
		f.mtime = sqlite3_column_int64(stmt, 3);
		cb(sqlite3_column_blob(stmt, 0), (uint64_t)idx, &f, arg);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return 0;
fail:
	log_warnx("state: file records: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

/* Every meta row whose key starts with prefix (no '%' or '_' in it). */
int
state_meta_foreach_prefix(struct state *st, const char *prefix,
    void (*cb)(const char *key, const char *value, void *), void *arg)
{
	sqlite3_stmt	*stmt = NULL;
	const char	*k, *v;
	size_t		 n = strlen(prefix);
	int		 rc;

	/* A range of keys: the primary key's index, no LIKE. */
	if (sqlite3_prepare_v2(st->db, "SELECT key, value FROM meta WHERE "
	    "key >= ?1 AND substr(key, 1, ?2) = ?1", -1, &stmt,
	    NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, prefix, -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 2, (int)n) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(stmt, 0);
		v = (const char *)sqlite3_column_text(stmt, 1);
		if (k != NULL && v != NULL && strncmp(k, prefix, n) == 0)
			cb(k, v, arg);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(stmt);
	return 0;
fail:
	log_warnx("state: meta %s*: %s", prefix, sqlite3_errmsg(st->db));
	sqlite3_finalize(stmt);
	return -1;
}

/* Give back SQLite's page cache, filled by the reads at start. */
void
state_shrink(struct state *st)
{
	(void)sqlite3_db_release_memory(st->db);
}
