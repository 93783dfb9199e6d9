/*
 * check_conf.c -- btd's settings (btd/btd_conf.c): the defaults, the
 * btd.conf syntax (comments, blanks, quotes, escapes), the exact text of
 * every error with its file and line, the precedence of flags over the
 * file, which runtime changes are refused and why, and the validation
 * of integers and paths at their edges.
 *
 * Files are written into a directory that the tcase's unchecked fixture
 * creates and removes in the parent process.
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

#include "btd/btd.h"

#define NKEYS	34	/* known keys in btd_conf.c */

static char	 base[] = "/tmp/check_conf.XXXXXX";
static int	 have_base;
static int	 nfile;

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

/* Write len bytes of text to a new file; its path goes to path. */
static void
write_conf(char *path, size_t pathlen, const char *text, size_t len)
{
	int	 fd;

	snprintf(path, pathlen, "%s/btd%d.conf", base, nfile++);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Load text as btd.conf into a fresh conf; the error must be want. */
static void
load_fails(const char *text, int line, const char *msg)
{
	struct conf	*cf;
	char		 path[256], err[512] = "", want[512];

	write_conf(path, sizeof(path), text, strlen(text));
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_int_eq(conf_load(cf, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	ck_assert_str_eq(err, want);
	/* A failed load changes nothing, not even the lines before. */
	ck_assert_str_eq(conf_get(cf, "peer_port"), "6881");
	ck_assert_int_eq(conf_source(cf, "peer_port"), CONF_DEFAULT);
	ck_assert_str_eq(conf_get(cf, "log_level"), "info");
	conf_free(cf);
}

/* cache_size: bytes, k/M/G suffixes, kept as bytes; preallocation. */
START_TEST(test_sizes)
{
	static const struct {
		const char	*in, *out;
	} ok[] = {
		{ "0", "0" }, { "16384", "16384" }, { "1k", "1024" },
		{ "64M", "67108864" }, { "2g", "2147483648" },
		{ "007K", "7168" }, { "64G", "68719476736" },
	};
	static const char *const bad[] = { "", "-1", "1.5M", "12x", "1MB",
	    "M", "65G", "68719476737", "99999999999999999999", " 1M",
	    "1 M" };
	struct conf	*cf;
	char		 err[256];
	size_t		 i;

	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(conf_set_runtime(cf, "cache_size", ok[i].in,
		    err, sizeof(err)), 0);
		ck_assert_str_eq(conf_get(cf, "cache_size"), ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(conf_set_runtime(cf, "cache_size", bad[i],
		    err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "cache_size: not a size"));
	}
	ck_assert_str_eq(conf_get(cf, "cache_size"), "68719476736");
	ck_assert_int_eq(conf_set_runtime(cf, "preallocation", "full", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(conf_get(cf, "preallocation"), "full");
	ck_assert_int_eq(conf_set_runtime(cf, "preallocation", "yes", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "preallocation: not one of sparse|full: 'yes'");
	conf_free(cf);
}
END_TEST

/* seed_ratio_limit: a decimal with two places at most, 0 to 10000. */
START_TEST(test_ratio)
{
	static const struct {
		const char	*in, *out;
	} ok[] = {
		{ "0", "0.00" }, { "2", "2.00" }, { "1.5", "1.50" },
		{ "0.25", "0.25" }, { "10000", "10000.00" }, { "007", "7.00" },
	};
	static const char *const bad[] = { "", "-1", "1.", ".5", "1.234",
	    "10000.01", "10001", "1e3", "nan", "inf", " 1", "1,5", "0x10" };
	struct conf	*cf;
	char		 err[256];
	size_t		 i;

	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_str_eq(conf_get(cf, "seed_ratio_limit"), "2.00");
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(conf_set_runtime(cf, "seed_ratio_limit",
		    ok[i].in, err, sizeof(err)), 0);
		ck_assert_str_eq(conf_get(cf, "seed_ratio_limit"), ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(conf_set_runtime(cf, "seed_ratio_limit",
		    bad[i], err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "seed_ratio_limit: not a "
		    "ratio from 0 to 10000"));
	}
	conf_free(cf);
}
END_TEST

START_TEST(test_defaults)
{
	struct conf	*cf;
	int		 i;

	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_str_eq(conf_get(cf, "download_dir"),
	    "/var/lib/btd/downloads");
	ck_assert_str_eq(conf_get(cf, "peer_port"), "6881");
	ck_assert_int_eq(conf_get_int(cf, "peer_port"), 6881);
	ck_assert_str_eq(conf_get(cf, "log_level"), "info");
	ck_assert_int_eq(conf_get_int(cf, "restart_backoff_max"), 30);
	ck_assert_str_eq(conf_get(cf, "trackerd_exec"), "");
	ck_assert_str_eq(conf_get(cf, "peerd_exec"), "");
	ck_assert_str_eq(conf_get(cf, "stored_exec"), "");
	ck_assert_str_eq(conf_get(cf, "metad_exec"), "");
	ck_assert_int_eq(conf_get_int(cf, "role_uid_base"), 61000);
	ck_assert_int_eq(conf_get_int(cf, "download_rate_limit"), 0);
	ck_assert_int_eq(conf_get_int(cf, "upload_rate_limit"), 0);
	ck_assert_int_eq(conf_get_int(cf, "peer_limit_global"), 400);
	ck_assert_int_eq(conf_get_int(cf, "peer_limit_per_torrent"), 60);
	ck_assert_str_eq(conf_get(cf, "rpc_enabled"), "no");
	ck_assert_int_eq(conf_rpc_enabled(cf), 0);
	ck_assert_str_eq(conf_get(cf, "rpc_bind"), "127.0.0.1:9091");
	ck_assert_int_eq(conf_rpc_port(cf), 9091);
	ck_assert_str_eq(conf_get(cf, "rpc_password"), "");
	ck_assert_str_eq(conf_get(cf, "rpc_username"), "btd");
	ck_assert_str_eq(conf_get(cf, "rpc_web_dir"),
	    "/usr/share/transmission/web");

	for (i = 0; conf_key(i) != NULL; i++) {
		ck_assert(conf_is_known(conf_key(i)));
		ck_assert_ptr_nonnull(conf_get(cf, conf_key(i)));
		ck_assert_ptr_nonnull(conf_describe(conf_key(i)));
		ck_assert_int_eq(conf_source(cf, conf_key(i)), CONF_DEFAULT);
	}
	ck_assert_int_eq(i, NKEYS);
	ck_assert_str_eq(conf_key(0), "download_dir");
	ck_assert_str_eq(conf_key(NKEYS - 1), "seed_idle_limit");
	ck_assert_int_eq(conf_get_int(cf, "cache_size"), 32 << 20);
	ck_assert_str_eq(conf_get(cf, "preallocation"), "sparse");
	ck_assert_str_eq(conf_get(cf, "landlock_abi_max"), "kernel");
	ck_assert_int_eq(conf_landlock_abi_max(cf), -1);
	ck_assert_str_eq(conf_get(cf, "without_landlock"), "run");
	ck_assert_str_eq(conf_get(cf, "peer_ports_privileged"), "refuse");
	ck_assert_str_eq(conf_get(cf, "tracker_loopback_any_path"), "no");
	ck_assert_str_eq(conf_get(cf, "download_dirs_allowed"), "");
	ck_assert_ptr_null(conf_key(-1));
	ck_assert_ptr_null(conf_key(NKEYS));

	ck_assert_str_eq(conf_describe("peer_port"),
	    "TCP port peerd listens on");
	ck_assert_str_eq(conf_describe("stored_exec"),
	    "executable run as stored (a replacement implementation)");
	ck_assert_ptr_null(conf_describe("nope"));
	ck_assert_ptr_null(conf_get(cf, "nope"));
	ck_assert(!conf_is_known("nope"));
	ck_assert(!conf_is_known(""));
	ck_assert_int_eq(conf_get_int(cf, "nope"), -1);
	ck_assert_int_eq(conf_get_int(cf, "log_level"), -1);

	ck_assert_str_eq(conf_source_name(CONF_DEFAULT), "default");
	ck_assert_str_eq(conf_source_name(CONF_FILE), "conf");
	ck_assert_str_eq(conf_source_name(CONF_FLAG), "flag");
	ck_assert_str_eq(conf_source_name(CONF_SET), "set");
	conf_free(cf);
	conf_free(NULL);
}
END_TEST

START_TEST(test_load)
{
	static const char text[] =
	    "# btd.conf\n"
	    "\n"
	    "   \t  \n"
	    "   # an indented comment\n"
	    "peer_port\t  7000   # a comment after the value\n"
	    "download_dir \"/srv/my \\\"dl\\\" \\\\ dir # not a comment\"\t# one\n"
	    "  log_level debug\r\n"
	    "stored_exec /opt/x y/stored#1\n"
	    "metad_exec \"\"\n"
	    "restart_backoff_max 12 # seconds\n"
	    "download_user debian-transmission # its files\n"
	    "role_uid_base 70000";		/* no final newline */
	struct conf	*cf;
	char		 path[256], err[512] = "";

	write_conf(path, sizeof(path), text, sizeof(text) - 1);
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_msg(conf_load(cf, path, 1, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_str_eq(conf_get(cf, "peer_port"), "7000");
	ck_assert_int_eq(conf_get_int(cf, "peer_port"), 7000);
	ck_assert_str_eq(conf_get(cf, "download_dir"),
	    "/srv/my \"dl\" \\ dir # not a comment");
	ck_assert_str_eq(conf_get(cf, "log_level"), "debug");
	ck_assert_str_eq(conf_get(cf, "stored_exec"), "/opt/x y/stored#1");
	ck_assert_str_eq(conf_get(cf, "metad_exec"), "");
	ck_assert_int_eq(conf_get_int(cf, "role_uid_base"), 70000);

	ck_assert_int_eq(conf_source(cf, "peer_port"), CONF_FILE);
	ck_assert_int_eq(conf_source(cf, "download_dir"), CONF_FILE);
	ck_assert_int_eq(conf_source(cf, "metad_exec"), CONF_FILE);
	ck_assert_int_eq(conf_source(cf, "trackerd_exec"), CONF_DEFAULT);
	ck_assert_str_eq(conf_get(cf, "restart_backoff_max"), "12");
	ck_assert_str_eq(conf_get(cf, "download_user"), "debian-transmission");
	ck_assert_str_eq(conf_get(cf, "download_group"), "");
	conf_free(cf);
}
END_TEST

START_TEST(test_flag_over_file)
{
	struct conf	*cf;
	char		 path[256], err[512] = "";
	static const char text[] = "peer_port 7000\nlog_level debug\n";

	write_conf(path, sizeof(path), text, sizeof(text) - 1);

	/* File first, then the flag. */
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_int_eq(conf_load(cf, path, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_set_flag(cf, "peer_port", "7001", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(conf_get(cf, "peer_port"), "7001");
	ck_assert_int_eq(conf_source(cf, "peer_port"), CONF_FLAG);
	ck_assert_str_eq(conf_get(cf, "log_level"), "debug");
	ck_assert_int_eq(conf_source(cf, "log_level"), CONF_FILE);
	conf_free(cf);

	/* The flag first: the file does not undo it. */
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_int_eq(conf_set_flag(cf, "peer_port", "7001", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_load(cf, path, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(conf_get(cf, "peer_port"), "7001");
	ck_assert_int_eq(conf_source(cf, "peer_port"), CONF_FLAG);
	ck_assert_int_eq(conf_source(cf, "log_level"), CONF_FILE);

	/* A bad or unknown flag is refused and changes nothing. */
	ck_assert_int_eq(conf_set_flag(cf, "peer_port", "x", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "peer_port: not a number in 1..65535: 'x'");
	ck_assert_str_eq(conf_get(cf, "peer_port"), "7001");
	ck_assert_int_eq(conf_set_flag(cf, "foo", "1", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown setting 'foo'");

	/* A flag may set what btctl may not. */
	ck_assert_int_eq(conf_set_flag(cf, "stored_exec", "/opt/stored", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(conf_get(cf, "stored_exec"), "/opt/stored");
	conf_free(cf);
}
END_TEST

START_TEST(test_runtime)
{
	struct conf	*cf;
	char		 path[256], err[512] = "";
	static const char text[] = "peer_port 7000\n";

	write_conf(path, sizeof(path), text, sizeof(text) - 1);
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_int_eq(conf_load(cf, path, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_set_flag(cf, "log_level", "trace", err,
	    sizeof(err)), 0);

	ck_assert_int_eq(conf_set_runtime(cf, "peer_port", "7002", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "peer_port is fixed by btd.conf");
	ck_assert_int_eq(conf_set_runtime(cf, "log_level", "info", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "log_level is fixed by a command-line flag");
	ck_assert_int_eq(conf_set_runtime(cf, "stored_exec", "/opt/s", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "stored_exec cannot be changed at run time (set it in btd.conf)");
	ck_assert_int_eq(conf_set_runtime(cf, "role_uid_base", "70000", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "role_uid_base cannot be changed at run time "
	    "(set it in btd.conf)");
	ck_assert_int_eq(conf_set_runtime(cf, "foo", "1", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown setting 'foo'");
	ck_assert_int_eq(conf_set_runtime(cf, "restart_backoff_max", "0", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "restart_backoff_max: not a number in 1..3600: '0'");
	ck_assert_int_eq(conf_set_runtime(cf, "download_dir", "dl", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "download_dir: not an absolute path: 'dl'");

	/* Nothing refused changed anything. */
	ck_assert_str_eq(conf_get(cf, "peer_port"), "7000");
	ck_assert_str_eq(conf_get(cf, "log_level"), "trace");
	ck_assert_str_eq(conf_get(cf, "stored_exec"), "");
	ck_assert_str_eq(conf_get(cf, "restart_backoff_max"), "30");
	ck_assert_int_eq(conf_source(cf, "restart_backoff_max"),
	    CONF_DEFAULT);

	ck_assert_int_eq(conf_set_runtime(cf, "restart_backoff_max", "3600",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(conf_get_int(cf, "restart_backoff_max"), 3600);
	ck_assert_int_eq(conf_source(cf, "restart_backoff_max"), CONF_SET);
	ck_assert_int_eq(conf_set_runtime(cf, "download_dir", "/srv/dl", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(conf_get(cf, "download_dir"), "/srv/dl");
	ck_assert_int_eq(conf_source(cf, "download_dir"), CONF_SET);
	/* The limits: KiB/s (0 unlimited), connections (1 at least). */
	ck_assert_int_eq(conf_set_runtime(cf, "download_rate_limit", "256",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(conf_get_int(cf, "download_rate_limit"), 256);
	ck_assert_int_eq(conf_set_runtime(cf, "upload_rate_limit", "4194305",
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "upload_rate_limit: not a number in 0..4194304: '4194305'");
	ck_assert_int_eq(conf_set_runtime(cf, "peer_limit_global", "0",
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "peer_limit_global: not a number in 1..400: '0'");
	ck_assert_int_eq(conf_set_runtime(cf, "peer_limit_per_torrent", "20",
	    err, sizeof(err)), 0);
	/* A runtime value may be changed again. */
	ck_assert_int_eq(conf_set_runtime(cf, "download_dir", "/srv/dl2", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(conf_get(cf, "download_dir"), "/srv/dl2");
	conf_free(cf);
}
END_TEST

START_TEST(test_missing_file)
{
	struct conf	*cf;
	char		 path[256], err[512] = "", want[512];

	snprintf(path, sizeof(path), "%s/absent.conf", base);
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_int_eq(conf_load(cf, path, 0, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(conf_load(cf, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(conf_source(cf, "peer_port"), CONF_DEFAULT);
	conf_free(cf);
}
END_TEST

START_TEST(test_file_errors)
{
	load_fails("peer_port 7000\n\n# c\nfoo bar\n", 4,
	    "unknown setting 'foo'");
	load_fails("log_level debug\n\n\npeer_port x\n", 4,
	    "peer_port: not a number in 1..65535: 'x'");
	load_fails("peer_port 7000\ndownload_dir /a\n\n\ndownload_dir /b\n", 5,
	    "download_dir set twice");
	load_fails("peer_port 7000\npeer_port\n", 2,
	    "missing value for 'peer_port'");
	load_fails("peer_port 7000\npeer_port   \t \n", 2,
	    "missing value for 'peer_port'");
	/* Unknown wins over a missing value. */
	load_fails("peer_port 7000\nfoo\n", 2, "unknown setting 'foo'");
	load_fails("peer_port 7000\nf\x7fo \"unterminated\n", 2,
	    "unknown setting 'f\\x7fo'");
	load_fails("peer_port 7000\nlog_level warn\n", 2,
	    "log_level: not one of info|debug|trace: 'warn'");
	load_fails("peer_port 7000\ndownload_dir \"/a b\n", 2,
	    "download_dir: unterminated quoted value");
	load_fails("peer_port 7000\ndownload_dir \"/a\\n\"\n", 2,
	    "download_dir: bad escape in quoted value (only \\\" and \\\\)");
	load_fails("peer_port 7000\ndownload_dir \"/a\" b\n", 2,
	    "download_dir: text after the closing quote");
	load_fails("peer_port 7000\ndownload_dir \"\"\n", 2,
	    "download_dir: not an absolute path: ''");
	/* '#' after a blank starts a comment, never part of a value. */
	load_fails("peer_port 7000\nrestart_backoff_max 5# seconds\n", 2,
	    "restart_backoff_max: not a number in 1..3600: '5# seconds'");
	load_fails("peer_port 7000\ndownload_dir # none\n", 2,
	    "missing value for 'download_dir'");
	load_fails("peer_port 7000\ndownload_dir \"/a\" b # c\n", 2,
	    "download_dir: text after the closing quote");
	load_fails("peer_port 7000\ndownload_user \"a b\"\n", 2,
	    "download_user: not a user or group name: 'a b'");
	load_fails("peer_port 7000\ndownload_user \"\"\n", 2,
	    "download_user: not a user or group name: ''");
	load_fails("peer_port 7000\ndownload_group -x\n", 2,
	    "download_group: not a user or group name: '-x'");
	/* A control byte in a bad value comes back escaped. */
	load_fails("log_level debug\npeer_port\t1\x01\n", 2,
	    "peer_port: not a number in 1..65535: '1\\x01'");
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "peer_port 7000\npeer_port 70\0" "00\n";
	struct conf	*cf;
	char		 path[256], err[512] = "", want[512];

	write_conf(path, sizeof(path), text, sizeof(text) - 1);
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_int_eq(conf_load(cf, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	ck_assert_str_eq(err, want);
	conf_free(cf);
}
END_TEST

START_TEST(test_long_line)
{
	struct conf	*cf;
	char		*text, path[256], err[512] = "", want[512];

	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_ptr_nonnull(text = malloc(3 * 4096 + 64));

	/* 4096 bytes before the newline: the longest line allowed. */
	memset(text, ' ', 4096);
	text[0] = '#';
	strcpy(text + 4096, "\npeer_port 7000\n");
	write_conf(path, sizeof(path), text, strlen(text));
	ck_assert_msg(conf_load(cf, path, 1, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_str_eq(conf_get(cf, "peer_port"), "7000");
	conf_free(cf);

	/* 4097 bytes, on line 2. */
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	strcpy(text, "\n");
	memset(text + 1, '#', 4097);
	strcpy(text + 1 + 4097, "\npeer_port 7000\n");
	write_conf(path, sizeof(path), text, strlen(text));
	ck_assert_int_eq(conf_load(cf, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than 4096 bytes",
	    path);
	ck_assert_str_eq(err, want);

	/* Much longer, without any newline. */
	memset(text, 'a', 3 * 4096);
	write_conf(path, sizeof(path), text, 3 * 4096);
	ck_assert_int_eq(conf_load(cf, path, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: line longer than 4096 bytes",
	    path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(conf_source(cf, "peer_port"), CONF_DEFAULT);
	free(text);
	conf_free(cf);
}
END_TEST

START_TEST(test_unreadable)
{
	struct conf	*cf;
	char		 path[256], err[512] = "", want[512];

	/* A directory opens but cannot be read, for root too. */
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_int_eq(conf_load(cf, base, 1, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: Is a directory", base);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(conf_load(cf, base, 0, err, sizeof(err)), -1);

	/* No read permission; root bypasses that. */
	if (geteuid() != 0) {
		write_conf(path, sizeof(path), "peer_port 7000\n", 15);
		ck_assert_int_eq(chmod(path, 0), 0);
		ck_assert_int_eq(conf_load(cf, path, 0, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s: Permission denied", path);
		ck_assert_str_eq(err, want);
	}
	ck_assert_int_eq(conf_source(cf, "peer_port"), CONF_DEFAULT);
	conf_free(cf);
}
END_TEST

/* Each value for key: 1 accepted, 0 refused with the usual message. */
struct int_case {
	const char	*key;
	const char	*value;
	int		 ok;
};

static const struct int_case int_cases[] = {
	{ "peer_port", "1", 1 },
	{ "peer_port", "65535", 1 },
	{ "peer_port", "00080", 1 },
	{ "peer_port", "0", 0 },
	{ "peer_port", "65536", 0 },
	{ "peer_port", "12x", 0 },
	{ "peer_port", "-1", 0 },
	{ "peer_port", "+1", 0 },
	{ "peer_port", "99999999999999999999", 0 },
	{ "peer_port", "9223372036854775808", 0 },
	{ "peer_port", "", 0 },
	{ "peer_port", " 1", 0 },
	{ "peer_port", "1 ", 0 },
	{ "peer_port", "0x10", 0 },
	{ "peer_port", "1e3", 0 },
	{ "restart_backoff_max", "1", 1 },
	{ "restart_backoff_max", "3600", 1 },
	{ "restart_backoff_max", "3601", 0 },
	{ "role_uid_base", "1000", 1 },
	{ "role_uid_base", "4294967000", 1 },
	{ "role_uid_base", "999", 0 },
	{ "role_uid_base", "4294967001", 0 },
	{ "role_uid_base", "-61000", 0 },
};

START_TEST(test_int_edges)
{
	const struct int_case	*c = &int_cases[_i];
	struct conf		*cf;
	char			 err[512] = "", want[512];
	const char		*range;

	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	if (c->ok) {
		ck_assert_msg(conf_set_flag(cf, c->key, c->value, err,
		    sizeof(err)) == 0, "%s %s: %s", c->key, c->value, err);
		ck_assert_int_eq(conf_get_int(cf, c->key),
		    strtoll(c->value, NULL, 10));
		/* Stored in canonical form: no leading zeros. */
		snprintf(want, sizeof(want), "%lld",
		    strtoll(c->value, NULL, 10));
		ck_assert_str_eq(conf_get(cf, c->key), want);
	} else {
		ck_assert_msg(conf_set_flag(cf, c->key, c->value, err,
		    sizeof(err)) == -1, "%s '%s' accepted", c->key, c->value);
		if (strcmp(c->key, "peer_port") == 0)
			range = "1..65535";
		else if (strcmp(c->key, "restart_backoff_max") == 0)
			range = "1..3600";
		else
			range = "1000..4294967000";
		snprintf(want, sizeof(want), "%s: not a number in %s: '%s'",
		    c->key, range, c->value);
		ck_assert_str_eq(err, want);
		ck_assert_int_eq(conf_source(cf, c->key), CONF_DEFAULT);
		/* The runtime path validates the same way. */
		if (strcmp(c->key, "role_uid_base") != 0) {
			ck_assert_int_eq(conf_set_runtime(cf, c->key, c->value,
			    err, sizeof(err)), -1);
			ck_assert_str_eq(err, want);
		}
	}
	conf_free(cf);
}
END_TEST

START_TEST(test_paths)
{
	struct conf	*cf;
	char		 err[512] = "", *p;

	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_ptr_nonnull(p = malloc(4097));

	/* 4095 bytes fit, 4096 do not. */
	memset(p, 'a', 4096);
	p[0] = '/';
	p[4095] = '\0';
	ck_assert_int_eq(conf_set_runtime(cf, "download_dir", p, err,
	    sizeof(err)), 0);
	p[4095] = 'a';
	p[4096] = '\0';
	ck_assert_int_eq(conf_set_runtime(cf, "download_dir", p, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "download_dir: path longer than 4095 bytes");
	ck_assert_int_eq(conf_set_flag(cf, "peerd_exec", p, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "peerd_exec: path longer than 4095 bytes");
	free(p);

	ck_assert_int_eq(conf_set_flag(cf, "download_dir", "", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "download_dir: not an absolute path: ''");
	ck_assert_int_eq(conf_set_flag(cf, "peerd_exec", "peerd", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "peerd_exec: not an absolute path: 'peerd'");
	/* Empty means the built-in executable. */
	ck_assert_int_eq(conf_set_flag(cf, "peerd_exec", "", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_source(cf, "peerd_exec"), CONF_FLAG);
	ck_assert_int_eq(conf_set_flag(cf, "log_level", "INFO", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "log_level: not one of info|debug|trace: 'INFO'");

	/* A state dir too long for its downloads directory. */
	ck_assert_ptr_nonnull(p = malloc(4096));
	memset(p, 'a', 4095);
	p[0] = '/';
	p[4095] = '\0';
	ck_assert_ptr_null(conf_new(p));
	free(p);
	/* Defaults are checked like any value. */
	ck_assert_ptr_null(conf_new("relative/state"));
	conf_free(cf);
}
END_TEST

/* Every value is stored in its canonical form, or refused. */
START_TEST(test_canonical)
{
	static const struct {
		const char	*key, *value, *want;	/* want NULL: refused */
	} cases[] = {
		{ "download_dir", "/x/dl/", "/x/dl" },
		{ "download_dir", "//x///dl//", "/x/dl" },
		{ "download_dir", "/", "/" },
		{ "download_dir", "/x/./dl", NULL },
		{ "download_dir", "/x/../etc", NULL },
		{ "download_dir", "/x/dl\nbtd[1]: forged", NULL },
		{ "download_dir", "/x/\x1b[31m", NULL },
		{ "download_dir", "/x/\xff", NULL },
		{ "peer_port", "00080", "80" },
		{ "landlock_abi_max", "kernel", "kernel" },
		{ "landlock_abi_max", "02", "2" },
		{ "landlock_abi_max", "0", "0" },
		{ "landlock_abi_max", "100", NULL },
		{ "landlock_abi_max", "-1", NULL },
		{ "landlock_abi_max", "Kernel", NULL },
		{ "without_landlock", "refuse", "refuse" },
		{ "rpc_bind", "127.0.0.1:9091", "127.0.0.1:9091" },
		{ "rpc_bind", "[::1]:9091", "[::1]:9091" },
		{ "rpc_bind", "0.0.0.0:1", "0.0.0.0:1" },
		{ "rpc_bind", "127.0.0.1:0", NULL },
		{ "rpc_bind", "127.0.0.1:65536", NULL },
		{ "rpc_bind", "localhost:9091", NULL },
		{ "rpc_bind", "::1:9091", NULL },
		{ "rpc_bind", "[::1]9091", NULL },
		{ "rpc_bind", "127.0.0.1", NULL },
		{ "rpc_bind", ":9091", NULL },
		{ "rpc_host_whitelist", "localhost,seedbox.example",
		    "localhost,seedbox.example" },
		{ "rpc_host_whitelist", "a b", NULL },
		{ "rpc_host_whitelist", "", NULL },
		{ "rpc_username", "admin", "admin" },
		{ "rpc_username", "ad:min", NULL },
		{ "rpc_username", "ad min", NULL },
		{ "rpc_username", "", NULL },
		{ "rpc_password", "", "" },
		{ "rpc_web_dir", "", "" },
		{ "rpc_web_dir", "/srv//web/", "/srv/web" },
		{ "rpc_web_dir", "web", NULL },
		{ "rpc_web_dir", "/srv/../etc", NULL },
		{ "rpc_password", "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
		    "00000000000000000000000000000000000000000000000000000000"
		    "00000000", "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e"
		    "0f$000000000000000000000000000000000000000000000000000000"
		    "0000000000" },
		{ "rpc_password", "secret", NULL },
		{ "rpc_password", "pbkdf2-sha256$999$000102030405060708090a0b0c0d"
		    "0e0f$0000000000000000000000000000000000000000000000000000"
		    "000000000000", NULL },
		{ "rpc_password", "pbkdf2-sha256$1000$0001$00000000000000000000"
		    "000000000000000000000000000000000000000000000000", NULL },
		{ "rpc_password", "pbkdf2-sha256$1000$000102030405060708090a0b0c"
		    "0d0e0f$00", NULL },
		{ "rpc_enabled", "yes", "yes" },
		{ "rpc_enabled", "on", NULL },
		{ "without_landlock", "no", NULL },
		{ "peer_ports_privileged", "allow", "allow" },
		{ "peer_ports_privileged", "refuse", "refuse" },
		{ "peer_ports_privileged", "yes", NULL },
		{ "peer_ports_privileged", "Allow", NULL },
		{ "tracker_loopback_any_path", "yes", "yes" },
		{ "tracker_loopback_any_path", "no", "no" },
		{ "tracker_loopback_any_path", "allow", NULL },
		{ "tracker_loopback_any_path", "", NULL },
		{ "download_dirs_allowed", "/srv/a/::/mnt//b", "/srv/a:/mnt/b" },
		{ "download_dirs_allowed", "/srv:rel", NULL },
		{ "download_dirs_allowed", "/", NULL },
		{ "download_dirs_allowed", "", "" },
		{ "metad_exec", "/usr//lib/x/", "/usr/lib/x" },
	};
	struct conf	*cf;
	char		 err[512];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
		err[0] = '\0';
		rc = conf_set_flag(cf, cases[i].key, cases[i].value, err,
		    sizeof(err));
		if (cases[i].want == NULL) {
			ck_assert_msg(rc == -1, "%s '%s' accepted",
			    cases[i].key, cases[i].value);
			/* The error quotes the value escaped. */
			ck_assert_ptr_null(strchr(err, '\n'));
			ck_assert_ptr_null(strchr(err, '\x1b'));
		} else {
			ck_assert_msg(rc == 0, "%s: %s", cases[i].key, err);
			ck_assert_str_eq(conf_get(cf, cases[i].key),
			    cases[i].want);
		}
		conf_free(cf);
	}
	ck_assert_ptr_nonnull(cf = conf_new("/var/lib/btd"));
	ck_assert_int_eq(conf_set_flag(cf, "landlock_abi_max", "3", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_landlock_abi_max(cf), 3);
	/* Confinement is the operator's: not a runtime setting. */
	ck_assert_int_eq(conf_set_runtime(cf, "without_landlock", "run", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(conf_set_runtime(cf, "download_dirs_allowed", "/srv",
	    err, sizeof(err)), -1);
	/* The address policy is: btctl set reaches the roles. */
	ck_assert_int_eq(conf_set_runtime(cf, "peer_ports_privileged", "allow",
	    err, sizeof(err)), 0);
	ck_assert_str_eq(conf_get(cf, "peer_ports_privileged"), "allow");
	ck_assert_int_eq(conf_set_runtime(cf, "tracker_loopback_any_path",
	    "maybe", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "tracker_loopback_any_path: not one of no|yes: "
	    "'maybe'");
	/* The operator's download_dir stays what btctl set cannot change. */
	ck_assert_int_eq(conf_set_runtime(cf, "download_dir", "/srv/x/", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(conf_get(cf, "download_dir"), "/srv/x");
	ck_assert_str_eq(conf_operator_download_dir(cf),
	    "/var/lib/btd/downloads");
	conf_free(cf);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_ratio);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_flag_over_file);
	tcase_add_test(tc, test_runtime);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_unreadable);
	tcase_add_loop_test(tc, test_int_edges, 0,
	    (int)(sizeof(int_cases) / sizeof(int_cases[0])));
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_canonical);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(conf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
