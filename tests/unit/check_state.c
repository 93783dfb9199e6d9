/*
 * check_state.c -- state.db (btd/btd_state.c): creation with the newest
 * schema, file mode and WAL mode, the settings table, the unclean-
 * shutdown marker, migrations applied once and in steps, a failing
 * migration rolled back, and the refusal of a newer or unopenable
 * database with a message that names it; migration 3 and the
 * transfer's progress (bitfield, counters, completion) written in
 * batches, and rows that lie read back as nothing verified; the
 * known-peer cache saved, replaced, read back and gone with its torrent.
 *
 * Every test works in a directory of its own under a base directory
 * that the tcase's unchecked fixture creates and removes in the parent
 * process, so a failing test leaves nothing behind.  What btd_state.c
 * wrote is read back through a second, independent SQLite connection.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "btd/btd.h"

#define NEWEST	6	/* built-in migrations in btd_state.c */
/* Undo migration 6, to open a database as an older btd left it. */
#define UNDO_6	"ALTER TABLE torrents DROP COLUMN labels; " \
	"ALTER TABLE torrents DROP COLUMN secs_down; " \
	"ALTER TABLE torrents DROP COLUMN secs_seed; " \
	"ALTER TABLE torrents DROP COLUMN activity; " \
	"ALTER TABLE torrents DROP COLUMN seed_ratio; " \
	"ALTER TABLE torrents DROP COLUMN seed_ratio_mode; " \
	"ALTER TABLE torrents DROP COLUMN seed_idle; " \
	"ALTER TABLE torrents DROP COLUMN seed_idle_mode; " \
	"ALTER TABLE torrents DROP COLUMN seed_done; "

static char	 base[] = "/tmp/check_state.XXXXXX";
static int	 have_base;

static void
base_setup(void)
{
	if (mkdtemp(base) == NULL)
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	have_base = 1;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static void
base_teardown(void)
{
	if (have_base)
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	have_base = 0;
	memcpy(base + sizeof(base) - 7, "XXXXXX", 6);
}

/* A fresh directory for one test; path gets DIR/name. */
static void
test_path(char *path, size_t len, const char *name)
{
	char	 dir[256];

	snprintf(dir, sizeof(dir), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, len, "%s/%s", dir, name);
}

/* An integer query on a separate connection; -1 on error. */
static long long
db_int(const char *path, const char *sql)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*stmt = NULL;
	long long	 v = -1;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

/* SQL on a separate connection; the sqlite3_exec() result. */
static int
db_exec(const char *path, const char *sql)
{
	sqlite3	*db = NULL;
	int	 rc;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int
table_exists(const char *path, const char *name)
{
	char	 sql[256];

	/* The names are the test's own constants. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = '%s'", name);
	return db_int(path, sql) == 1;
}

/* Two test migrations: each leaves a row, so a re-run would show. */
static const struct state_migration two_steps[] = {
	{ 1, "CREATE TABLE one(x); INSERT INTO one VALUES (1);" },
	{ 2, "CREATE TABLE two(x); INSERT INTO two VALUES (2);" },
};

static const struct state_migration bad_second[] = {
	{ 1, "CREATE TABLE one(x); INSERT INTO one VALUES (1);" },
	{ 2, "CREATE TABLE two(x); INSERT INTO two VALUES (2); BOGUS;" },
};

START_TEST(test_fresh)
{
	char		 path[512], err[512] = "";
	struct state	*st;

	test_path(path, sizeof(path), "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	ck_assert_int_eq(state_version(st), NEWEST);
	ck_assert_int_eq(state_torrent_count(st), 0);
	state_close(st);
	ck_assert_int_eq(db_int(path, "PRAGMA user_version"), NEWEST);
	state_close(NULL);
}
END_TEST

START_TEST(test_tables)
{
	static const char *tables[] = { "meta", "settings", "torrents",
	    "files", "trackers", "peers", "download_roots" };
	char		 path[512], err[512] = "";
	struct state	*st;
	size_t		 i;

	test_path(path, sizeof(path), "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		ck_assert_msg(table_exists(path, tables[i]), "no table %s",
		    tables[i]);

	/* The info hash is 20 bytes, nothing else. */
	ck_assert_int_ne(db_exec(path, "INSERT INTO torrents(info_hash, "
	    "seq, name, info, meta, save_path, state, added) VALUES "
	    "(x'0102', 1, 'n', x'00', x'00', '/d', 'queued', 0)"), SQLITE_OK);
	ck_assert_int_eq(db_exec(path, "INSERT INTO torrents(info_hash, "
	    "seq, name, info, meta, save_path, state, added) VALUES "
	    "(zeroblob(20), 1, 'n', x'64', x'00', '/d', 'queued', 0)"),
	    SQLITE_OK);
	ck_assert_int_eq(state_torrent_count(st), 1);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM torrents WHERE "
	    "state = 'queued' AND paused = 0 AND uploaded = 0"), 1);

	/* Deleting a torrent takes its files, trackers and peers along. */
	ck_assert_int_eq(db_exec(path, "PRAGMA foreign_keys = ON;"
	    "INSERT INTO files(info_hash, idx) VALUES (zeroblob(20), 0);"
	    "INSERT INTO trackers(info_hash, url, tier) VALUES "
	    "(zeroblob(20), 'http://t/a', 0);"
	    "INSERT INTO peers(info_hash, addr, port) VALUES "
	    "(zeroblob(20), '10.0.0.1', 6881);"
	    "DELETE FROM torrents;"), SQLITE_OK);
	ck_assert_int_eq(db_int(path, "SELECT (SELECT count(*) FROM files) + "
	    "(SELECT count(*) FROM trackers) + (SELECT count(*) FROM peers)"),
	    0);
	ck_assert_int_eq(state_torrent_count(st), 0);
	state_close(st);
}
END_TEST

struct seen {
	char	 buf[256];
	int	 n;
};

static void
collect(const char *key, const char *value, void *arg)
{
	struct seen	*s = arg;
	size_t		 len = strlen(s->buf);

	snprintf(s->buf + len, sizeof(s->buf) - len, "%s=%s;", key, value);
	s->n++;
}

START_TEST(test_settings)
{
	char		 path[512], err[512] = "", *v;
	struct state	*st;
	struct seen	 s;

	test_path(path, sizeof(path), "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);

	v = (char *)1;
	ck_assert_int_eq(state_setting_get(st, "peer_port", &v), 0);
	ck_assert_ptr_null(v);

	ck_assert_int_eq(state_setting_set(st, "peer_port", "7000"), 0);
	ck_assert_int_eq(state_setting_get(st, "peer_port", &v), 1);
	ck_assert_str_eq(v, "7000");
	free(v);

	/* Overwrite: one row, the new value. */
	ck_assert_int_eq(state_setting_set(st, "peer_port", "7001"), 0);
	ck_assert_int_eq(state_setting_get(st, "peer_port", &v), 1);
	ck_assert_str_eq(v, "7001");
	free(v);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM settings"), 1);
	ck_assert_int_gt(db_int(path, "SELECT updated FROM settings"),
	    1500000000);

	/* Values are bound, not spliced into SQL. */
	ck_assert_int_eq(state_setting_set(st, "download_dir",
	    "/srv/it's \"here\"; DROP TABLE settings"), 0);
	ck_assert_int_eq(state_setting_get(st, "download_dir", &v), 1);
	ck_assert_str_eq(v, "/srv/it's \"here\"; DROP TABLE settings");
	free(v);
	ck_assert_int_eq(state_setting_set(st, "log_level", ""), 0);

	/* foreach goes in key order, whatever the insertion order. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(state_setting_foreach(st, collect, &s), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.buf, "download_dir=/srv/it's \"here\"; DROP TABLE "
	    "settings;log_level=;peer_port=7001;");

	ck_assert_int_eq(state_setting_del(st, "log_level"), 0);
	ck_assert_int_eq(state_setting_del(st, "no_such_key"), 0);
	ck_assert_int_eq(state_setting_get(st, "log_level", &v), 0);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(state_setting_foreach(st, collect, &s), 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.buf, "download_dir=/srv/it's \"here\"; DROP TABLE "
	    "settings;peer_port=7001;");
	state_close(st);
}
END_TEST

START_TEST(test_reopen)
{
	char		 path[512], err[512] = "", *v;
	struct state	*st;

	test_path(path, sizeof(path), "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	ck_assert_int_eq(state_setting_set(st, "peer_port", "7000"), 0);
	state_close(st);

	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "reopen: %s", err);
	ck_assert_int_eq(state_version(st), NEWEST);
	ck_assert_int_eq(state_setting_get(st, "peer_port", &v), 1);
	ck_assert_str_eq(v, "7000");
	free(v);
	state_close(st);
}
END_TEST

START_TEST(test_migrate_once)
{
	char		 path[512], err[512] = "";
	struct state	*st;

	test_path(path, sizeof(path), "state.db");
	st = state_open_with(path, two_steps, 2, err, sizeof(err));
	ck_assert_msg(st != NULL, "open: %s", err);
	ck_assert_int_eq(state_version(st), 2);
	state_close(st);

	st = state_open_with(path, two_steps, 2, err, sizeof(err));
	ck_assert_msg(st != NULL, "reopen: %s", err);
	ck_assert_int_eq(state_version(st), 2);
	state_close(st);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM one"), 1);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM two"), 1);
}
END_TEST

START_TEST(test_migrate_step)
{
	char		 path[512], err[512] = "";
	struct state	*st;

	test_path(path, sizeof(path), "state.db");
	st = state_open_with(path, two_steps, 1, err, sizeof(err));
	ck_assert_msg(st != NULL, "open: %s", err);
	ck_assert_int_eq(state_version(st), 1);
	state_close(st);
	ck_assert(!table_exists(path, "two"));

	/* Only step 2 runs: step 1's row is still alone. */
	st = state_open_with(path, two_steps, 2, err, sizeof(err));
	ck_assert_msg(st != NULL, "upgrade: %s", err);
	ck_assert_int_eq(state_version(st), 2);
	state_close(st);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM one"), 1);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM two"), 1);
	ck_assert_int_eq(db_int(path, "PRAGMA user_version"), 2);
}
END_TEST

START_TEST(test_unclean)
{
	char		 path[512], err[512] = "";
	struct state	*st;
	int		 unclean;

	test_path(path, sizeof(path), "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);

	unclean = -1;
	ck_assert_int_eq(state_mark_running(st, &unclean), 0);
	ck_assert_int_eq(unclean, 0);

	/* A second start with no clean stop in between (a crash). */
	state_close(st);
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "reopen: %s", err);
	unclean = -1;
	ck_assert_int_eq(state_mark_running(st, &unclean), 0);
	ck_assert_int_eq(unclean, 1);

	ck_assert_int_eq(state_mark_clean(st), 0);
	state_close(st);
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "reopen: %s", err);
	unclean = -1;
	ck_assert_int_eq(state_mark_running(st, &unclean), 0);
	ck_assert_int_eq(unclean, 0);
	state_close(st);
	ck_assert_int_eq(db_int(path,
	    "SELECT value = '1' FROM meta WHERE key = 'running'"), 1);
}
END_TEST

START_TEST(test_mode)
{
	char		 path[512], wal[600], err[512] = "";
	struct state	*st;
	struct stat	 sb;
	mode_t		 old;

	test_path(path, sizeof(path), "state.db");
	/* 0600 must not depend on the umask. */
	old = umask(0);
	st = state_open(path, err, sizeof(err));
	umask(old);
	ck_assert_msg(st != NULL, "state_open: %s", err);
	ck_assert_int_eq(state_setting_set(st, "k", "v"), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	state_close(st);
}
END_TEST

START_TEST(test_wal)
{
	char		 path[512], err[512] = "";
	struct state	*st;
	sqlite3		*db;
	sqlite3_stmt	*stmt;

	test_path(path, sizeof(path), "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	state_close(st);

	/* WAL is persistent: a new connection finds it without asking. */
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
	    &stmt, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_bad_migration)
{
	char		 path[512], err[512] = "";
	struct state	*st;

	test_path(path, sizeof(path), "state.db");
	st = state_open_with(path, bad_second, 2, err, sizeof(err));
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err, "state.db: migration 2: ") == err, "%s", err);
	ck_assert_msg(strstr(err, "BOGUS") != NULL, "%s", err);

	/* Step 1 stays; step 2 left nothing, not even its first table. */
	ck_assert_int_eq(db_int(path, "PRAGMA user_version"), 1);
	ck_assert(table_exists(path, "one"));
	ck_assert(!table_exists(path, "two"));

	/* And the good list still upgrades it afterwards. */
	st = state_open_with(path, two_steps, 2, err, sizeof(err));
	ck_assert_msg(st != NULL, "open: %s", err);
	ck_assert_int_eq(state_version(st), 2);
	state_close(st);
}
END_TEST

START_TEST(test_newer)
{
	char		 path[512], err[512] = "", want[128];
	struct state	*st;

	test_path(path, sizeof(path), "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	state_close(st);
	ck_assert_int_eq(db_exec(path, "PRAGMA user_version = 7"), SQLITE_OK);

	st = state_open_with(path, two_steps, 2, err, sizeof(err));
	ck_assert_ptr_null(st);
	ck_assert_str_eq(err,
	    "state.db: schema version 7 is newer than this btd (2)");

	st = state_open(path, err, sizeof(err));
	ck_assert_ptr_null(st);
	snprintf(want, sizeof(want), "state.db: schema version 7 is newer "
	    "than this btd (%d)", NEWEST);
	ck_assert_str_eq(err, want);

	/* Refused, not changed. */
	ck_assert_int_eq(db_int(path, "PRAGMA user_version"), 7);

	ck_assert_int_eq(db_exec(path, "PRAGMA user_version = -1"), SQLITE_OK);
	st = state_open(path, err, sizeof(err));
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err, "schema version -1 is not valid") != NULL,
	    "%s", err);
}
END_TEST

START_TEST(test_unopenable)
{
	char		 path[600], file[512], err[700] = "";
	struct state	*st;
	int		 fd;

	/* A parent that is a regular file fails for root too. */
	test_path(file, sizeof(file), "plain");
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/state.db", file);
	st = state_open(path, err, sizeof(err));
	ck_assert_ptr_null(st);
	ck_assert_msg(strncmp(err, "state.db: ", 10) == 0, "%s", err);
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);

	/* A directory without write permission; root bypasses that. */
	if (geteuid() != 0) {
		test_path(path, sizeof(path), "state.db");
		*strrchr(path, '/') = '\0';
		ck_assert_int_eq(chmod(path, 0500), 0);
		strcat(path, "/state.db");
		st = state_open(path, err, sizeof(err));
		ck_assert_ptr_null(st);
		ck_assert_msg(strstr(err, path) != NULL, "%s", err);
		*strrchr(path, '/') = '\0';
		chmod(path, 0700);
	}
}
END_TEST

START_TEST(test_not_a_db)
{
	char		 path[512], err[512] = "";
	struct state	*st;
	int		 fd;
	static const char junk[] = "this is not an SQLite database, not at "
	    "all, and it is long enough to have a header of 100 bytes, "
	    "which SQLite reads before anything else.";

	test_path(path, sizeof(path), "state.db");
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	st = state_open(path, err, sizeof(err));
	ck_assert_ptr_null(st);
	ck_assert_msg(strncmp(err, "state.db: ", 10) == 0, "%s", err);
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);
	ck_assert_msg(strstr(err, "not a database") != NULL, "%s", err);
}
END_TEST

static int	 seen_rows;
static char	 seen_name[64], seen_state[64];
static size_t	 seen_meta;
static int	 seen_info_null;

static void
count_row(const struct state_torrent *t, void *arg)
{
	(void)arg;
	seen_rows++;
	snprintf(seen_name, sizeof(seen_name), "%s", t->name);
	snprintf(seen_state, sizeof(seen_state), "%s", t->state);
	seen_meta = t->meta_len;
	seen_info_null = t->info == NULL;
}

static int	 seen_roots;

static void
count_root(const char *path, void *arg)
{
	(void)arg;
	if (strcmp(path, "/srv/a") == 0)
		seen_roots++;
}

START_TEST(test_torrent_rows)
{
	char			 path[512], err[512] = "";
	struct state		*st;
	struct state_torrent	 t;
	uint8_t			 ih[20], meta[3] = { 1, 2, 3 };
	const char		*urls[] = { "http://t/a", "udp://t:1", "http://t/a" };
	const uint32_t		 tiers[] = { 0, 1, 0 };

	test_path(path, sizeof(path), "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	memset(ih, 7, sizeof(ih));
	memset(&t, 0, sizeof(t));
	t.info_hash = ih;
	t.name = "a magnet";
	t.meta = meta;
	t.meta_len = sizeof(meta);
	t.save_path = "/srv/a";
	t.state = "fetching metadata";
	t.added = 1000;
	t.nfiles = 2;
	t.ntrackers = 3;
	t.tracker_urls = urls;
	t.tracker_tiers = tiers;
	ck_assert_int_eq(state_torrent_insert(st, &t), 0);
	/* The same info-hash again is refused, and leaves no half row. */
	ck_assert_int_eq(state_torrent_insert(st, &t), -1);
	ck_assert_int_eq(state_torrent_count(st), 1);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM files"), 2);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM trackers"), 2);
	seen_rows = 0;
	ck_assert_int_eq(state_torrent_foreach(st, count_row, NULL), 0);
	ck_assert_int_eq(seen_rows, 1);
	ck_assert_str_eq(seen_name, "a magnet");
	ck_assert_str_eq(seen_state, "fetching metadata");
	ck_assert_uint_eq(seen_meta, 3);
	ck_assert_int_eq(seen_info_null, 1);
	ck_assert_int_eq(state_torrent_delete(st, ih), 0);
	ck_assert_int_eq(state_torrent_count(st), 0);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM trackers"), 0);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM files"), 0);

	ck_assert_int_eq(state_root_add(st, "/srv/a"), 0);
	ck_assert_int_eq(state_root_add(st, "/srv/a"), 0);
	seen_roots = 0;
	ck_assert_int_eq(state_root_foreach(st, count_root, NULL), 0);
	ck_assert_int_eq(seen_roots, 1);
	state_close(st);
}
END_TEST

/* Progress: what one row read back says. */
struct seen_progress {
	int		 rows;
	uint8_t		 pieces[64];
	size_t		 pieces_len;
	int		 pieces_null;
	int64_t		 downloaded, uploaded, wasted, completed;
	char		 state[64], error[128];
	int		 paused;
	uint8_t		 created[64];
	size_t		 created_len;
	int		 created_null;
};

static void
read_progress(const struct state_torrent *t, void *arg)
{
	struct seen_progress *p = arg;

	p->rows++;
	p->pieces_null = t->pieces == NULL;
	p->pieces_len = t->pieces_len < sizeof(p->pieces) ? t->pieces_len :
	    sizeof(p->pieces);
	if (t->pieces != NULL)
		memcpy(p->pieces, t->pieces, p->pieces_len);
	p->downloaded = t->downloaded;
	p->uploaded = t->uploaded;
	p->wasted = t->wasted;
	p->completed = t->completed;
	p->paused = t->paused;
	p->created_null = t->created == NULL;
	p->created_len = t->created_len < sizeof(p->created) ?
	    t->created_len : sizeof(p->created);
	if (t->created != NULL)
		memcpy(p->created, t->created, p->created_len);
	snprintf(p->state, sizeof(p->state), "%s", t->state);
	snprintf(p->error, sizeof(p->error), "%s", t->error);
}

/* A fresh database with one torrent of info-hash 07..07. */
static struct state *
one_torrent(char *path, size_t len, uint8_t ih[20])
{
	struct state		*st;
	struct state_torrent	 t;
	char			 err[512] = "";
	uint8_t			 meta[1] = { 0 }, info[1] = { 'd' };

	test_path(path, len, "state.db");
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	memset(ih, 7, 20);
	memset(&t, 0, sizeof(t));
	t.info_hash = ih;
	t.name = "x";
	t.info = info;
	t.info_len = sizeof(info);
	t.meta = meta;
	t.meta_len = sizeof(meta);
	t.save_path = "/srv/a";
	t.state = "queued";
	t.added = 1000;
	ck_assert_int_eq(state_torrent_insert(st, &t), 0);
	return st;
}

START_TEST(test_migration3)
{
	char			 path[512], err[512] = "";
	struct state		*st;
	struct seen_progress	 p;
	uint8_t			 ih[20];

	/* Fresh: the wasted counter exists and starts at 0. */
	st = one_torrent(path, sizeof(path), ih);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM "
	    "pragma_table_info('torrents') WHERE name = 'wasted'"), 1);
	ck_assert_int_eq(db_int(path, "SELECT wasted FROM torrents"), 0);
	state_close(st);

	/* A schema-2 database with a torrent in it is upgraded in place. */
	ck_assert_int_eq(db_exec(path, "UPDATE torrents SET downloaded = 77;"
	    UNDO_6 "ALTER TABLE torrents DROP COLUMN move_to;"
	    "ALTER TABLE torrents DROP COLUMN created;"
	    "ALTER TABLE torrents DROP COLUMN wasted;"
	    "PRAGMA user_version = 2;"), SQLITE_OK);
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	ck_assert_int_eq(state_version(st), NEWEST);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_torrent_foreach(st, read_progress, &p), 0);
	ck_assert_int_eq(p.rows, 1);
	ck_assert_int_eq(p.downloaded, 77);
	ck_assert_int_eq(p.wasted, 0);
	ck_assert_int_eq(p.pieces_null, 1);
	ck_assert_int_eq(p.completed, 0);
	state_close(st);
}
END_TEST

/*
 * Migration 4: the files stored created, a bitfield written with the
 * progress; a schema-3 database is upgraded with none recorded.
 */
START_TEST(test_migration4)
{
	char			 path[512], err[512] = "";
	struct state		*st;
	struct state_progress	 sp;
	struct seen_progress	 p;
	uint8_t			 ih[20], bf[2] = { 0xa0, 0x40 };

	st = one_torrent(path, sizeof(path), ih);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_torrent_foreach(st, read_progress, &p), 0);
	ck_assert_int_eq(p.created_null, 1);
	memset(&sp, 0, sizeof(sp));
	sp.state = "downloading";
	sp.error = "";
	sp.created = bf;
	sp.created_len = sizeof(bf);
	ck_assert_int_eq(state_progress_save(st, ih, &sp), 0);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_torrent_foreach(st, read_progress, &p), 0);
	ck_assert_int_eq(p.created_null, 0);
	ck_assert_uint_eq(p.created_len, 2);
	ck_assert_mem_eq(p.created, bf, 2);
	state_close(st);

	ck_assert_int_eq(db_exec(path, UNDO_6 "ALTER TABLE torrents DROP COLUMN "
	    "move_to; ALTER TABLE torrents DROP COLUMN created; "
	    "PRAGMA user_version = 3;"), SQLITE_OK);
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	ck_assert_int_eq(state_version(st), NEWEST);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_torrent_foreach(st, read_progress, &p), 0);
	ck_assert_int_eq(p.rows, 1);
	ck_assert_int_eq(p.created_null, 1);
	state_close(st);
}
END_TEST

/* What a row says of its move (migration 5). */
struct seen_move {
	int		 rows;
	char		 save_path[64];
	char		 move_to[64];
	int		 move_null;
};

static void
read_move(const struct state_torrent *t, void *arg)
{
	struct seen_move *m = arg;

	m->rows++;
	snprintf(m->save_path, sizeof(m->save_path), "%s", t->save_path);
	m->move_null = t->move_to == NULL;
	snprintf(m->move_to, sizeof(m->move_to), "%s",
	    t->move_to != NULL ? t->move_to : "");
}

/*
 * Migration 5: a move's destination, recorded before it starts; once
 * done the save path takes it and the record goes, in one statement.
 * A schema-4 database is upgraded with no move under way.
 */
START_TEST(test_migration5)
{
	char			 path[512], err[512] = "";
	struct state		*st;
	struct seen_move	 m;
	uint8_t			 ih[20], other[20];

	st = one_torrent(path, sizeof(path), ih);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(state_torrent_foreach(st, read_move, &m), 0);
	ck_assert_int_eq(m.move_null, 1);
	ck_assert_int_eq(state_move_set(st, ih, "/srv/b"), 0);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(state_torrent_foreach(st, read_move, &m), 0);
	ck_assert_str_eq(m.save_path, "/srv/a");
	ck_assert_str_eq(m.move_to, "/srv/b");
	state_close(st);

	/* Still there after a reopen: the next start takes it up. */
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(state_torrent_foreach(st, read_move, &m), 0);
	ck_assert_str_eq(m.move_to, "/srv/b");
	ck_assert_int_eq(state_move_done(st, ih, "/srv/b"), 0);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(state_torrent_foreach(st, read_move, &m), 0);
	ck_assert_str_eq(m.save_path, "/srv/b");
	ck_assert_int_eq(m.move_null, 1);
	/* Cleared without a move done (rolled back). */
	ck_assert_int_eq(state_move_set(st, ih, "/srv/c"), 0);
	ck_assert_int_eq(state_move_set(st, ih, NULL), 0);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(state_torrent_foreach(st, read_move, &m), 0);
	ck_assert_str_eq(m.save_path, "/srv/b");
	ck_assert_int_eq(m.move_null, 1);
	/* A torrent that is not there: an error, nothing written. */
	memset(other, 9, sizeof(other));
	ck_assert_int_eq(state_move_set(st, other, "/srv/d"), -1);
	ck_assert_int_eq(state_move_done(st, other, "/srv/d"), -1);
	state_close(st);

	ck_assert_int_eq(db_exec(path, UNDO_6 "ALTER TABLE torrents DROP "
	    "COLUMN move_to; PRAGMA user_version = 4;"), SQLITE_OK);
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	ck_assert_int_eq(state_version(st), NEWEST);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(state_torrent_foreach(st, read_move, &m), 0);
	ck_assert_int_eq(m.rows, 1);
	ck_assert_str_eq(m.save_path, "/srv/b");
	ck_assert_int_eq(m.move_null, 1);
	state_close(st);
}
END_TEST

START_TEST(test_progress_roundtrip)
{
	char			 path[512];
	struct state		*st;
	struct state_progress	 sp;
	struct seen_progress	 p;
	uint8_t			 ih[20], bf[3] = { 0xf0, 0x01, 0x80 };

	st = one_torrent(path, sizeof(path), ih);
	memset(&sp, 0, sizeof(sp));
	sp.pieces = bf;
	sp.pieces_len = sizeof(bf);
	sp.downloaded = 1234567890123ULL;
	sp.uploaded = 42;
	sp.wasted = 16384;
	sp.completed = 1700000000;
	sp.state = "seeding";
	sp.error = "";
	ck_assert_int_eq(state_progress_save(st, ih, &sp), 0);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_torrent_foreach(st, read_progress, &p), 0);
	ck_assert_int_eq(p.rows, 1);
	ck_assert_uint_eq(p.pieces_len, 3);
	ck_assert_mem_eq(p.pieces, bf, 3);
	ck_assert_int_eq(p.downloaded, 1234567890123LL);
	ck_assert_int_eq(p.uploaded, 42);
	ck_assert_int_eq(p.wasted, 16384);
	ck_assert_int_eq(p.completed, 1700000000);
	ck_assert_str_eq(p.state, "seeding");
	ck_assert_str_eq(p.error, "");
	ck_assert_int_eq(p.paused, 0);
	/* An error and a pause; a counter past INT64_MAX is clamped. */
	sp.state = "error";
	sp.error = "stored: write single.bin: No space left on device";
	sp.paused = 1;
	sp.uploaded = UINT64_MAX;
	sp.completed = 0;
	ck_assert_int_eq(state_progress_save(st, ih, &sp), 0);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_torrent_foreach(st, read_progress, &p), 0);
	ck_assert_str_eq(p.state, "error");
	ck_assert_str_eq(p.error, sp.error);
	ck_assert_int_eq(p.paused, 1);
	ck_assert_int_eq(p.uploaded, INT64_MAX);
	ck_assert_int_eq(p.completed, 0);
	ck_assert_int_eq(db_int(path, "SELECT completed IS NULL FROM "
	    "torrents"), 1);
	state_close(st);
}
END_TEST

/*
 * Quick resume: file records written in a batch (rows made when
 * missing), read back; NULL for no record; rows of another type or
 * out of range read as none.
 */
START_TEST(test_fstats)
{
	char			 path[512];
	struct state		*st;
	struct state_fstat	 f[3], g[3];
	uint8_t			 ih[20];

	st = one_torrent(path, sizeof(path), ih);	/* no files rows */
	memset(f, 0, sizeof(f));
	f[0].rec = f[0].dirty = 1;
	f[0].size = 5000000000ULL;
	f[0].mtime = 1796148354818322729LL;
	f[2].dirty = 1;				/* no record: NULL */
	ck_assert_int_eq(state_begin(st), 0);
	ck_assert_int_eq(state_fstats_save(st, ih, f, 3), 0);
	ck_assert_int_eq(state_commit(st), 0);
	ck_assert_int_eq(f[0].dirty + f[2].dirty, 0);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM files"), 2);
	ck_assert_int_eq(db_int(path, "SELECT size IS NULL AND mtime IS NULL "
	    "FROM files WHERE idx = 2"), 1);
	ck_assert_int_eq(state_fstats_load(st, ih, g, 3), 0);
	ck_assert_int_eq(g[0].rec, 1);
	ck_assert_uint_eq(g[0].size, 5000000000ULL);
	ck_assert_int_eq(g[0].mtime, 1796148354818322729LL);
	ck_assert_int_eq(g[1].rec + g[2].rec, 0);
	/* An update of the row; the priority column is left alone. */
	ck_assert_int_eq(db_exec(path, "UPDATE files SET priority = 0 WHERE "
	    "idx = 0"), SQLITE_OK);
	f[0].dirty = 1;
	f[0].size = 7;
	ck_assert_int_eq(state_fstats_save(st, ih, f, 3), 0);
	ck_assert_int_eq(db_int(path, "SELECT size FROM files WHERE idx = 0"),
	    7);
	ck_assert_int_eq(db_int(path, "SELECT priority FROM files WHERE "
	    "idx = 0"), 0);
	/* Untrusted rows: text, negative, out of range. */
	ck_assert_int_eq(db_exec(path, "UPDATE files SET size = 'x' WHERE "
	    "idx = 0; INSERT INTO files (info_hash, idx, size, mtime) "
	    "SELECT info_hash, 1, -4, 3 FROM torrents; INSERT INTO files "
	    "(info_hash, idx, size, mtime) SELECT info_hash, 9, 4, 3 FROM "
	    "torrents"), SQLITE_OK);
	ck_assert_int_eq(state_fstats_load(st, ih, g, 3), 0);
	ck_assert_int_eq(g[0].rec + g[1].rec + g[2].rec, 0);
	state_close(st);
}
END_TEST

/* Rows of the known-peer cache as state_peers_foreach() gives them. */
struct seen_peers {
	int	 rows;
	char	 line[4][128];	/* "addr port source last_seen" */
};

static void
read_peer(const struct state_peer *p, void *arg)
{
	struct seen_peers *sp = arg;

	if (sp->rows < 4)
		snprintf(sp->line[sp->rows], sizeof(sp->line[0]),
		    "%s %lld %s %lld", p->addr, (long long)p->port,
		    p->source, (long long)p->last_seen);
	sp->rows++;
}

START_TEST(test_known_peers)
{
	char			 path[512];
	struct state		*st;
	struct seen_peers	 sp;
	uint8_t			 ih[20], other[20];
	const struct state_peer	 two[] = {
		{ "127.0.0.1", 7301, "tracker", 1700000100 },
		{ "::1", 6881, "incoming,cache", 1700000200 },
	}, one[] = {
		{ "10.0.0.1", 51413, "pex", 1700000300 },
	};

	st = one_torrent(path, sizeof(path), ih);
	ck_assert_int_eq(state_peers_save(st, ih, two, 2), 0);
	memset(&sp, 0, sizeof(sp));
	ck_assert_int_eq(state_peers_foreach(st, ih, read_peer, &sp), 0);
	ck_assert_int_eq(sp.rows, 2);
	/* The latest success first. */
	ck_assert_str_eq(sp.line[0], "::1 6881 incoming,cache 1700000200");
	ck_assert_str_eq(sp.line[1], "127.0.0.1 7301 tracker 1700000100");
	/* A save replaces the torrent's rows. */
	ck_assert_int_eq(state_peers_save(st, ih, one, 1), 0);
	memset(&sp, 0, sizeof(sp));
	ck_assert_int_eq(state_peers_foreach(st, ih, read_peer, &sp), 0);
	ck_assert_int_eq(sp.rows, 1);
	ck_assert_str_eq(sp.line[0], "10.0.0.1 51413 pex 1700000300");
	/* A torrent state.db does not hold gets no rows. */
	memset(other, 9, 20);
	ck_assert_int_eq(state_peers_save(st, other, two, 2), 0);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM peers"), 1);
	/* What another writer left is handed over as text, never NULL. */
	ck_assert_int_eq(db_exec(path, "INSERT INTO peers(info_hash, addr, "
	    "port, source, last_seen) VALUES "
	    "(x'0707070707070707070707070707070707070707', 'junk', -5, "
	    "NULL, NULL)"), SQLITE_OK);
	memset(&sp, 0, sizeof(sp));
	ck_assert_int_eq(state_peers_foreach(st, ih, read_peer, &sp), 0);
	ck_assert_int_eq(sp.rows, 2);
	ck_assert_str_eq(sp.line[1], "junk -5  0");
	/* Removing the torrent removes its rows. */
	ck_assert_int_eq(state_torrent_delete(st, ih), 0);
	ck_assert_int_eq(db_int(path, "SELECT count(*) FROM peers"), 0);
	state_close(st);
}
END_TEST

START_TEST(test_progress_batched)
{
	char			 path[512];
	struct state		*st;
	struct state_progress	 sp;
	uint8_t			 ih[20], bf[1] = { 0x80 };

	st = one_torrent(path, sizeof(path), ih);
	memset(&sp, 0, sizeof(sp));
	sp.pieces = bf;
	sp.pieces_len = 1;
	sp.state = "downloading";
	sp.error = "";
	/* Inside a batch nothing is visible to another reader ... */
	ck_assert_int_eq(state_begin(st), 0);
	sp.downloaded = 100;
	ck_assert_int_eq(state_progress_save(st, ih, &sp), 0);
	sp.downloaded = 200;
	ck_assert_int_eq(state_progress_save(st, ih, &sp), 0);
	ck_assert_int_eq(db_int(path, "SELECT downloaded FROM torrents"), 0);
	ck_assert_int_eq(db_int(path, "SELECT pieces IS NULL FROM torrents"),
	    1);
	/* ... until it commits, all at once. */
	ck_assert_int_eq(state_commit(st), 0);
	ck_assert_int_eq(db_int(path, "SELECT downloaded FROM torrents"), 200);
	ck_assert_int_eq(db_int(path, "SELECT hex(pieces) = '80' FROM "
	    "torrents"), 1);
	/* A batch rolled back leaves what was committed. */
	ck_assert_int_eq(state_begin(st), 0);
	sp.downloaded = 300;
	ck_assert_int_eq(state_progress_save(st, ih, &sp), 0);
	state_rollback(st);
	ck_assert_int_eq(db_int(path, "SELECT downloaded FROM torrents"), 200);
	state_rollback(st);	/* none open: harmless */
	/* Session totals in meta. */
	ck_assert_uint_eq(state_total_get(st, "total_downloaded"), 0);
	ck_assert_int_eq(state_total_set(st, "total_downloaded",
	    18446744073709551615ULL), 0);
	ck_assert_uint_eq(state_total_get(st, "total_downloaded"),
	    18446744073709551615ULL);
	state_close(st);
}
END_TEST

struct seen_seed {
	int		 n;
	char		 labels[256];
	int64_t		 secs_down, secs_seed, activity, ratio_mode, done;
	double		 ratio;
};

static void
read_seed(const uint8_t *ih, const struct state_seed *r, void *arg)
{
	struct seen_seed *p = arg;

	(void)ih;
	p->n++;
	snprintf(p->labels, sizeof(p->labels), "%s", r->labels);
	p->secs_down = r->secs_down;
	p->secs_seed = r->secs_seed;
	p->activity = r->activity;
	p->ratio = r->ratio;
	p->ratio_mode = r->ratio_mode;
	p->done = r->done;
}

/* Migration 6: labels, times and limits, defaults and a round trip. */
START_TEST(test_seed_rows)
{
	char			 path[512], err[512] = "";
	struct state		*st;
	struct state_seed	 r;
	struct seen_seed	 p;
	uint8_t			 ih[20], other[20];

	st = one_torrent(path, sizeof(path), ih);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_seed_foreach(st, NULL, read_seed, &p), 0);
	ck_assert_int_eq(p.n, 1);
	ck_assert_str_eq(p.labels, "");
	ck_assert_int_eq(p.secs_down, 0);
	ck_assert_int_eq(p.ratio_mode, 0);
	memset(&r, 0, sizeof(r));
	r.labels = "tv,sonarr";
	r.secs_down = 61;
	r.secs_seed = 3600;
	r.activity = 1700000000;
	r.ratio = 1.5;
	r.ratio_mode = 1;
	r.done = 1;
	ck_assert_int_eq(state_seed_save(st, ih, &r), 0);
	state_close(st);
	st = state_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "state_open: %s", err);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_seed_foreach(st, ih, read_seed, &p), 0);
	ck_assert_int_eq(p.n, 1);
	ck_assert_str_eq(p.labels, "tv,sonarr");
	ck_assert_int_eq(p.secs_down, 61);
	ck_assert_int_eq(p.secs_seed, 3600);
	ck_assert_int_eq(p.activity, 1700000000);
	ck_assert(p.ratio == 1.5);
	ck_assert_int_eq(p.ratio_mode, 1);
	ck_assert_int_eq(p.done, 1);
	memset(other, 0xee, sizeof(other));
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_seed_foreach(st, other, read_seed, &p), 0);
	ck_assert_int_eq(p.n, 0);
	state_close(st);
}
END_TEST

START_TEST(test_progress_untrusted)
{
	char			 path[512];
	struct state		*st;
	struct seen_progress	 p;
	uint8_t			 ih[20], out[3];

	st = one_torrent(path, sizeof(path), ih);
	/* Rows written by something else: a bitfield too short for 17
	 * pieces, one with spare bits set, negative counters, text. */
	ck_assert_int_eq(db_exec(path, "UPDATE torrents SET pieces = x'ffff',"
	    " downloaded = -5, uploaded = -1, wasted = 3, completed = -9"),
	    SQLITE_OK);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_torrent_foreach(st, read_progress, &p), 0);
	ck_assert_int_eq(p.rows, 1);
	ck_assert_uint_eq(p.pieces_len, 2);
	ck_assert_int_eq(progress_load_bitfield(p.pieces, p.pieces_len, 17,
	    out), -1);
	ck_assert_mem_eq(out, "\0\0\0", 3);
	ck_assert_uint_eq(progress_row_counter(p.downloaded), 0);
	ck_assert_uint_eq(progress_row_counter(p.uploaded), 0);
	ck_assert_uint_eq(progress_row_counter(p.wasted), 3);
	ck_assert_int_eq(db_exec(path, "UPDATE torrents SET pieces = "
	    "x'ffffff'"), SQLITE_OK);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(state_torrent_foreach(st, read_progress, &p), 0);
	ck_assert_int_eq(progress_load_bitfield(p.pieces, p.pieces_len, 17,
	    out), -1);
	ck_assert_int_eq(progress_load_bitfield(p.pieces, p.pieces_len, 24,
	    out), 24);
	/* A total that is not a number counts from 0. */
	ck_assert_int_eq(db_exec(path, "INSERT INTO meta VALUES "
	    "('total_uploaded', '-12')"), SQLITE_OK);
	ck_assert_uint_eq(state_total_get(st, "total_uploaded"), 0);
	ck_assert_int_eq(db_exec(path, "UPDATE meta SET value = '12x' WHERE "
	    "key = 'total_uploaded'"), SQLITE_OK);
	ck_assert_uint_eq(state_total_get(st, "total_uploaded"), 0);
	state_close(st);
}
END_TEST

static Suite *
state_suite(void)
{
	Suite	*s = suite_create("state");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, test_fresh);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_torrent_rows);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_migrate_once);
	tcase_add_test(tc, test_migrate_step);
	tcase_add_test(tc, test_unclean);
	tcase_add_test(tc, test_mode);
	tcase_add_test(tc, test_wal);
	tcase_add_test(tc, test_migration3);
	tcase_add_test(tc, test_migration4);
	tcase_add_test(tc, test_migration5);
	tcase_add_test(tc, test_progress_roundtrip);
	tcase_add_test(tc, test_fstats);
	tcase_add_test(tc, test_progress_batched);
	tcase_add_test(tc, test_known_peers);
	tcase_add_test(tc, test_seed_rows);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, test_bad_migration);
	tcase_add_test(tc, test_newer);
	tcase_add_test(tc, test_unopenable);
	tcase_add_test(tc, test_not_a_db);
	tcase_add_test(tc, test_progress_untrusted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(state_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
