/*
 * btd_conf.c -- btd's settings: built-in defaults, btd.conf, command-line
 * flags and values changed at run time with btctl set.
 *
 * It owns the table of known keys (conf_keys[]) and, per key, the current
 * value and where it came from.  A key set in btd.conf or by a
 * command-line flag is pinned: conf_set_runtime() refuses it, so what the
 * operator wrote is what runs; a flag outranks btd.conf whichever comes
 * first.  Otherwise a runtime value (btctl set, replayed from state.db at
 * start) replaces the built-in default.  The *_exec paths and the uid
 * base decide what runs and as whom, so they are not runtime settings:
 * only the operator's file or command line may choose them.
 *
 * Invariants: every value held passed its key's validator (conf_new()
 * checks the defaults too), so conf_get() never returns NULL for a known
 * key and conf_get_int() never sees a malformed number; a conf_load()
 * that fails leaves the values as they were.
 *
 * btd.conf: one setting a line, "key value".  The value is the rest of
 * the line with surrounding whitespace trimmed, or a double-quoted
 * string in which \" and \\ are the only escapes.  A line whose first
 * non-blank byte is '#' is a comment, and so is the rest of a line from
 * a '#' that follows a blank outside quotes ("peer_port 6881  # the
 * default"); a '#' inside a word stays in it (/srv/a#b), and a value
 * with " #" in it is quoted.  A line longer than CONF_LINE_MAX
 * is an error rather than silently cut; lines are read into a fixed
 * buffer rather than with getline(3), so a file named by mistake (a
 * device, a huge binary) cannot make btd allocate without bound.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btd.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

#define CONF_LINE_MAX	4096	/* longest btd.conf line, without '\n' */
#define CONF_PATH_MAX	4096	/* a path value is shorter than this */
#define CONF_ECHO_MAX	80	/* bytes of a bad value quoted in an error */

#define CONF_ABI_MAX	99	/* highest number landlock_abi_max takes */
#define CONF_DIRS_MAX	16	/* entries of download_dirs_allowed */
#define CONF_CACHE_MAX	(64LL << 30)	/* largest cache_size: 64 GiB */

enum conf_type {
	CONF_T_PATH,		/* absolute path */
	CONF_T_EXEC,		/* absolute path, or "" for the built-in */
	CONF_T_OPTDIR,		/* absolute path, or "" for none */
	CONF_T_INT,		/* decimal integer in [min, max] */
	CONF_T_LEVEL,		/* info, debug or trace */
	CONF_T_NAME,		/* a user or group name, or "" */
	CONF_T_ABI,		/* "kernel", or an integer 0..CONF_ABI_MAX */
	CONF_T_NOLL,		/* run or refuse */
	CONF_T_ALLOW,		/* refuse or allow */
	CONF_T_YESNO,		/* no or yes */
	CONF_T_DIRS,		/* ':'-separated absolute paths, or "" */
	CONF_T_SIZE,		/* bytes in [min, max], k/M/G suffix */
	CONF_T_PREALLOC,	/* sparse or full */
	CONF_T_BIND,		/* IPv4:PORT or [IPv6]:PORT, numeric */
	CONF_T_HOSTS,		/* ','-separated host names or addresses */
	CONF_T_USER,		/* printable ASCII without ':', 1-64 bytes */
	CONF_T_PWHASH,		/* "" or pbkdf2-sha256$ITER$SALT$HASH */
	CONF_T_RATIO,		/* a decimal 0..10000, two places at most */
};

struct conf_def {
	const char	*name;
	const char	*desc;		/* one line, for btctl get */
	enum conf_type	 type;
	long long	 min, max;	/* CONF_T_INT only */
	const char	*def;		/* NULL: computed by conf_new() */
	int		 runtime;	/* may btctl set change it */
};

static const struct conf_def conf_keys[] = {
	{ "download_dir", "where new torrents are saved",
	    CONF_T_PATH, 0, 0, NULL, 1 },
	{ "peer_port", "TCP port peerd listens on",
	    CONF_T_INT, 1, 65535, "6881", 1 },
	{ "peer_ports_privileged", "dial peers on ports below 1024: refuse "
	    "or allow", CONF_T_ALLOW, 0, 0, "refuse", 1 },
	{ "tracker_loopback_any_path", "HTTP trackers on loopback on a path "
	    "other than /announce: no or yes", CONF_T_YESNO, 0, 0, "no", 1 },
	{ "download_rate_limit", "KiB/s all torrents may download, "
	    "protocol overhead counted (0: unlimited)",
	    CONF_T_INT, 0, LIMIT_RATE_MAX, "0", 1 },
	{ "upload_rate_limit", "KiB/s all torrents may upload, "
	    "protocol overhead counted (0: unlimited)",
	    CONF_T_INT, 0, LIMIT_RATE_MAX, "0", 1 },
	{ "peer_limit_global", "peer connections in all",
	    CONF_T_INT, 1, LIMIT_PEERS_MAX, "400", 1 },
	{ "peer_limit_per_torrent", "peer connections of one torrent "
	    "(btctl set-torrent ID peer-limit N for one)",
	    CONF_T_INT, 1, LIMIT_PEERS_MAX, "60", 1 },
	{ "log_level", "how much btd and the roles log",
	    CONF_T_LEVEL, 0, 0, "info", 1 },
	{ "restart_backoff_max",
	    "longest wait before restarting a role that keeps failing",
	    CONF_T_INT, 1, 3600, "30", 1 },
	{ "trackerd_exec", "executable run as trackerd (a replacement "
	    "implementation)", CONF_T_EXEC, 0, 0, "", 0 },
	{ "peerd_exec", "executable run as peerd (a replacement "
	    "implementation)", CONF_T_EXEC, 0, 0, "", 0 },
	{ "stored_exec", "executable run as stored (a replacement "
	    "implementation)", CONF_T_EXEC, 0, 0, "", 0 },
	{ "metad_exec", "executable run as metad (a replacement "
	    "implementation)", CONF_T_EXEC, 0, 0, "", 0 },
	{ "rpcd_exec", "executable run as rpcd (a replacement "
	    "implementation)", CONF_T_EXEC, 0, 0, "", 0 },
	{ "rpc_enabled", "serve the Transmission RPC (rpcd): no or yes",
	    CONF_T_YESNO, 0, 0, "no", 0 },
	{ "rpc_bind", "address and port rpcd listens on (ADDR:PORT, "
	    "[ADDR6]:PORT)", CONF_T_BIND, 0, 0, "127.0.0.1:9091", 0 },
	{ "rpc_host_whitelist", "Host headers rpcd accepts (','-separated; "
	    "rpc_bind's address is always one)", CONF_T_HOSTS, 0, 0,
	    "localhost,127.0.0.1,::1", 0 },
	{ "rpc_username", "user name of the RPC's basic auth",
	    CONF_T_USER, 0, 0, "btd", 0 },
	{ "rpc_password", "the RPC password as pbkdf2-sha256$ITER$SALT$HASH "
	    "(empty: btd makes one at start)", CONF_T_PWHASH, 0, 0, "", 0 },
	{ "rpc_web_dir", "the web interface's files rpcd serves at "
	    "/transmission/web/ (empty: none)", CONF_T_OPTDIR, 0, 0,
	    "/usr/share/transmission/web", 0 },
	{ "rpc_timeout", "seconds an RPC client has to send a whole request, "
	    "and the longest silence rpcd allows", CONF_T_INT, 1, 3600, "30",
	    0 },
	{ "role_uid_base", "as root, roles run as uid/gid base+1 .. base+5",
	    CONF_T_INT, 1000, 4294967000LL, "61000", 0 },
	{ "download_user", "as root, the account stored runs as, which owns "
	    "the downloaded files", CONF_T_NAME, 0, 0, "btd", 0 },
	{ "download_group", "as root, stored's group (empty: "
	    "download_user's own)", CONF_T_NAME, 0, 0, "", 0 },
	{ "landlock_abi_max", "highest Landlock ABI the roles use (kernel: "
	    "the kernel's own; 0: no Landlock)", CONF_T_ABI, 0, 0, "kernel",
	    0 },
	{ "without_landlock", "with no Landlock in force: run (seccomp and "
	    "uids only) or refuse to start the roles", CONF_T_NOLL, 0, 0,
	    "run", 0 },
	{ "download_dirs_allowed", "directories under which download dirs "
	    "may be named (':'-separated; empty: download_dir's tree)",
	    CONF_T_DIRS, 0, 0, "", 0 },
	{ "cache_size", "bytes of blocks stored keeps in memory to coalesce "
	    "writes and serve uploads (k, M, G suffixes; 0: no cache)",
	    CONF_T_SIZE, 0, CONF_CACHE_MAX, "33554432", 1 },
	{ "preallocation", "new files: sparse, or full (their whole size "
	    "allocated at once)", CONF_T_PREALLOC, 0, 0, "sparse", 1 },
	{ "seed_ratio_limited", "stop seeding a torrent at seed_ratio_limit "
	    "(torrents of seed-ratio-mode global): no or yes", CONF_T_YESNO,
	    0, 0, "no", 1 },
	{ "seed_ratio_limit", "the ratio of uploaded to downloaded bytes at "
	    "which seeding stops, with seed_ratio_limited", CONF_T_RATIO, 0,
	    0, "2.00", 1 },
	{ "seed_idle_limited", "stop seeding a torrent idle for "
	    "seed_idle_limit (torrents of seed-idle-mode global): no or yes",
	    CONF_T_YESNO, 0, 0, "no", 1 },
	{ "seed_idle_limit", "minutes without payload moving after which "
	    "seeding stops, with seed_idle_limited", CONF_T_INT, 1, 525600,
	    "30", 1 },
};

#define CONF_NKEYS	((int)(sizeof(conf_keys) / sizeof(conf_keys[0])))

struct conf {
	char			*value[CONF_NKEYS];	/* never NULL */
	enum conf_source	 source[CONF_NKEYS];
	char			*default_dl;	/* the built-in download_dir */
};

/* Bumped at every change of a value, in any conf (conf_generation()). */
static uint64_t	 conf_gen = 1;

static int	 conf_index(const char *);
static int	 conf_valid_int(const char *, long long, long long);
static int	 conf_valid(const struct conf_def *, const char *, char *,
		    size_t);
static int	 conf_canon(const struct conf_def *, const char *, char *,
		    char *, size_t);
static int	 conf_replace(struct conf *, int, const char *,
		    enum conf_source);
static int	 conf_read_line(FILE *, char *, size_t, size_t *);
static int	 conf_parse_line(char *, char **, char **, char *, size_t);

static int
conf_index(const char *key)
{
	int	 i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, key) == 0)
			return i;
	return -1;
}

/*
 * A plain decimal integer in [min, max]: no sign, no blanks, no trailing
 * bytes, nothing that overflows.
 */
static int
conf_valid_int(const char *value, long long min, long long max)
{
	const char	*p;
	char		*end;
	long long	 n;

	for (p = value; isdigit((unsigned char)*p); p++)
		;
	if (p == value || *p != '\0')
		return -1;
	errno = 0;
	n = strtoll(value, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	return 0;
}

/*
 * A size: decimal digits and an optional suffix k, M or G (any case,
 * powers of 1024), in [min, max].  Bytes in *out, or -1.
 */
static int
conf_parse_size(const char *value, long long min, long long max,
    long long *out)
{
	const char	*p;
	char		 num[24];
	long long	 n, mul = 1;
	size_t		 len;

	for (p = value; isdigit((unsigned char)*p); p++)
		;
	len = (size_t)(p - value);
	if (len == 0 || len >= sizeof(num))
		return -1;
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1LL << 10;
		p++;
		break;
	case 'm': case 'M':
		mul = 1LL << 20;
		p++;
		break;
	case 'g': case 'G':
		mul = 1LL << 30;
		p++;
		break;
	default:
		return -1;
	}
	if (*p != '\0')
		return -1;
	memcpy(num, value, len);
	num[len] = '\0';
	if (conf_valid_int(num, 0, max) == -1)
		return -1;
	n = strtoll(num, NULL, 10);
	if (n > max / mul || n * mul < min)
		return -1;
	*out = n * mul;
	return 0;
}

/*
 * An absolute path in canonical form into out (CONF_PATH_MAX bytes):
 * repeated '/' collapsed, no trailing '/' (but "/" itself).  Refused:
 * "." or ".." components, control bytes, invalid UTF-8.  0, or -1 with
 * the reason in why.
 */
static int
conf_canon_path(const char *value, char *out, const char **why)
{
	const char	*p, *c;
	size_t		 o = 0, n;

	if (*value != '/') {
		*why = "not an absolute path";
		return -1;
	}
	if (strlen(value) >= CONF_PATH_MAX) {
		*why = "path too long";
		return -1;
	}
	if (!utf8_valid(value)) {
		*why = "not UTF-8";
		return -1;
	}
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*why = "control character in path";
			return -1;
		}
	for (p = value; *p != '\0'; p = c) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		c = p + strcspn(p, "/");
		n = (size_t)(c - p);
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			*why = "'.' or '..' in path";
			return -1;
		}
		out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

/*
 * A numeric listen address: "A.B.C.D:PORT" or "[IPv6]:PORT", the port in
 * 1..65535.  0 with the address (without brackets, INET6_ADDRSTRLEN
 * bytes) and the port in the optional out-parameters, or -1.
 */
int
conf_valid_bind(const char *value, char *addr, uint16_t *port)
{
	char		 a[INET6_ADDRSTRLEN], buf[sizeof(struct in6_addr)];
	const char	*colon, *start = value, *end;
	size_t		 n;
	int		 af = AF_INET;

	if (*value == '[') {
		start = value + 1;
		if ((end = strchr(start, ']')) == NULL || end[1] != ':')
			return -1;
		colon = end + 1;
		af = AF_INET6;
	} else {
		if ((colon = strrchr(value, ':')) == NULL)
			return -1;
		end = colon;
	}
	n = (size_t)(end - start);
	if (n == 0 || n >= sizeof(a))
		return -1;
	memcpy(a, start, n);
	a[n] = '\0';
	if (inet_pton(af, a, buf) != 1)
		return -1;
	if (conf_valid_int(colon + 1, 1, 65535) == -1)
		return -1;
	if (addr != NULL)
		memcpy(addr, a, n + 1);
	if (port != NULL)
		*port = (uint16_t)strtol(colon + 1, NULL, 10);
	return 0;
}

static int
conf_hex_run(const char *p, size_t min, size_t max, const char **end)
{
	size_t	 n = strspn(p, "0123456789abcdef");

	*end = p + n;
	return n >= min && n <= max ? 0 : -1;
}

/* "pbkdf2-sha256$ITER$SALT$HASH", lower-case hex; 0 or -1. */
int
conf_valid_pwhash(const char *value)
{
	const char	*p, *e;

	if (strncmp(value, "pbkdf2-sha256$", 14) != 0)
		return -1;
	p = value + 14;
	if ((e = strchr(p, '$')) == NULL || e - p > 8)
		return -1;
	{
		char	 it[9];

		memcpy(it, p, (size_t)(e - p));
		it[e - p] = '\0';
		if (conf_valid_int(it, 1000, 10000000) == -1)
			return -1;
	}
	if (conf_hex_run(e + 1, 16, 64, &p) == -1 || *p != '$')
		return -1;
	if (conf_hex_run(p + 1, 64, 64, &e) == -1 || *e != '\0')
		return -1;
	return 0;
}

/* rpc_enabled is yes. */
int
conf_rpc_enabled(const struct conf *cf)
{
	return strcmp(conf_get(cf, "rpc_enabled"), "yes") == 0;
}

/* The port of rpc_bind. */
uint16_t
conf_rpc_port(const struct conf *cf)
{
	uint16_t	 port = 0;

	(void)conf_valid_bind(conf_get(cf, "rpc_bind"), NULL, &port);
	return port;
}

/*
 * Set a key that btd itself chose (the generated rpc_password) unless
 * the operator's file or flag set it; source "set".  0 or -1.
 */
int
conf_set_internal(struct conf *cf, const char *key, const char *value)
{
	int	 i;

	if ((i = conf_index(key)) == -1 || cf->source[i] == CONF_FILE ||
	    cf->source[i] == CONF_FLAG ||
	    conf_valid(&conf_keys[i], value, NULL, 0) == -1) {
		errno = EINVAL;
		return -1;
	}
	return conf_replace(cf, i, value, CONF_SET);
}

/*
 * Check value against the key's type and write its canonical form to
 * canon (CONF_PATH_MAX bytes; may be NULL): numbers without leading
 * zeros, paths as conf_canon_path() makes them.  0, or -1 with
 * "key: reason: 'value'" in err.
 */
static int
conf_valid(const struct conf_def *k, const char *value, char *err,
    size_t errlen)
{
	return conf_canon(k, value, NULL, err, errlen);
}

int
conf_parse_ratio(const char *value, double *out)
{
	const char	*p = value;
	long		 whole = 0, frac = 0;
	int		 nd = 0, nf = 0;

	for (; *p >= '0' && *p <= '9' && nd < 6; p++, nd++)
		whole = whole * 10 + (*p - '0');
	if (nd == 0)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && nf < 2; p++, nf++)
			frac = frac * 10 + (*p - '0');
		if (nf == 0)
			return -1;
		if (nf == 1)
			frac *= 10;
	}
	if (*p != '\0' || whole > 10000 || (whole == 10000 && frac > 0))
		return -1;
	*out = (double)whole + (double)frac / 100.0;
	return 0;
}

static int
conf_canon(const struct conf_def *k, const char *value, char *canon,
    char *err, size_t errlen)
{
	char		 echo[CONF_ECHO_MAX], out[CONF_PATH_MAX];
	char		 one[CONF_PATH_MAX];
	const char	*why = NULL, *p, *c;
	size_t		 len = strlen(value), o, n;
	int		 ndirs;

	log_escape(echo, sizeof(echo), value, len);
	out[0] = '\0';
	switch (k->type) {
	case CONF_T_EXEC:
	case CONF_T_OPTDIR:
		if (*value == '\0')
			break;
		/* FALLTHROUGH */
	case CONF_T_PATH:
		if (*value != '/') {
			util_seterr(err, errlen,
			    "%s: not an absolute path: '%s'", k->name, echo);
			return -1;
		}
		if (len >= CONF_PATH_MAX) {
			util_seterr(err, errlen,
			    "%s: path longer than %d bytes", k->name,
			    CONF_PATH_MAX - 1);
			return -1;
		}
		if (conf_canon_path(value, out, &why) == -1) {
			util_seterr(err, errlen, "%s: %s: '%s'", k->name, why,
			    echo);
			return -1;
		}
		break;
	case CONF_T_INT:
		if (conf_valid_int(value, k->min, k->max) == -1) {
			util_seterr(err, errlen,
			    "%s: not a number in %lld..%lld: '%s'", k->name,
			    k->min, k->max, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%lld", strtoll(value, NULL, 10));
		break;
	case CONF_T_NAME: {
		const char *q;

		/* useradd's rule, as in Debian's adduser.conf NAME_REGEX. */
		for (q = value; *q != '\0'; q++)
			if (!(isalnum((unsigned char)*q) || *q == '_' ||
			    *q == '-' || *q == '.') || (q == value && *q == '-'))
				break;
		if (*q != '\0' || len >= 33 ||
		    (len == 0 && strcmp(k->name, "download_group") != 0)) {
			util_seterr(err, errlen,
			    "%s: not a user or group name: '%s'", k->name, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%s", value);
		break;
	}
	case CONF_T_LEVEL:
		if (strcmp(value, "info") != 0 && strcmp(value, "debug") != 0 &&
		    strcmp(value, "trace") != 0) {
			util_seterr(err, errlen,
			    "%s: not one of info|debug|trace: '%s'", k->name,
			    echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%s", value);
		break;
	case CONF_T_ABI:
		if (strcmp(value, "kernel") == 0) {
			snprintf(out, sizeof(out), "kernel");
			break;
		}
		if (conf_valid_int(value, 0, CONF_ABI_MAX) == -1) {
			util_seterr(err, errlen,
			    "%s: not kernel or a number in 0..%d: '%s'",
			    k->name, CONF_ABI_MAX, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%lld", strtoll(value, NULL, 10));
		break;
	case CONF_T_SIZE: {
		long long v;

		if (conf_parse_size(value, k->min, k->max, &v) == -1) {
			util_seterr(err, errlen,
			    "%s: not a size in %lld..%lld bytes (k, M, G "
			    "suffixes): '%s'", k->name, k->min, k->max, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%lld", v);
		break;
	}
	case CONF_T_RATIO: {
		double	 r;

		if (conf_parse_ratio(value, &r) == -1) {
			util_seterr(err, errlen, "%s: not a ratio from 0 to "
			    "10000, at most two decimals: '%s'", k->name, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%.2f", r);
		break;
	}
	case CONF_T_PREALLOC:
		if (strcmp(value, "sparse") != 0 &&
		    strcmp(value, "full") != 0) {
			util_seterr(err, errlen,
			    "%s: not one of sparse|full: '%s'", k->name, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%s", value);
		break;
	case CONF_T_NOLL:
	case CONF_T_ALLOW:
	case CONF_T_YESNO: {
		const char *a, *b;

		a = k->type == CONF_T_NOLL ? "run" :
		    k->type == CONF_T_ALLOW ? "refuse" : "no";
		b = k->type == CONF_T_NOLL ? "refuse" :
		    k->type == CONF_T_ALLOW ? "allow" : "yes";
		if (strcmp(value, a) != 0 && strcmp(value, b) != 0) {
			util_seterr(err, errlen,
			    "%s: not one of %s|%s: '%s'", k->name, a, b, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%s", value);
		break;
	}
	case CONF_T_DIRS:
		if (len >= CONF_PATH_MAX) {
			util_seterr(err, errlen, "%s: longer than %d bytes",
			    k->name, CONF_PATH_MAX - 1);
			return -1;
		}
		for (p = value, o = 0, ndirs = 0; *p != '\0'; p = c) {
			c = p + strcspn(p, ":");
			n = (size_t)(c - p);
			if (*c == ':')
				c++;
			if (n == 0)
				continue;
			memcpy(one, p, n);
			one[n] = '\0';
			if (conf_canon_path(one, one, &why) == -1 ||
			    strcmp(one, "/") == 0) {
				util_seterr(err, errlen, "%s: %s: '%s'",
				    k->name, why != NULL ? why :
				    "'/' is not a download tree", echo);
				return -1;
			}
			if (++ndirs > CONF_DIRS_MAX) {
				util_seterr(err, errlen,
				    "%s: more than %d directories", k->name,
				    CONF_DIRS_MAX);
				return -1;
			}
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
			    o > 0 ? ":" : "", one);
		}
		break;
	case CONF_T_BIND:
		if (conf_valid_bind(value, NULL, NULL) == -1) {
			util_seterr(err, errlen, "%s: not a numeric ADDR:PORT or "
			    "[ADDR6]:PORT with a port in 1..65535: '%s'",
			    k->name, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%s", value);
		break;
	case CONF_T_HOSTS:
		if (len >= 1024 || len == 0 ||
		    strspn(value, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:,_") != len) {
			util_seterr(err, errlen, "%s: not a ','-separated list of "
			    "host names and addresses: '%s'", k->name, echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%s", value);
		break;
	case CONF_T_USER: {
		const char *q;

		for (q = value; *q != '\0'; q++)
			if (*q <= 0x20 || *q >= 0x7f || *q == ':')
				break;
		if (*q != '\0' || len == 0 || len > 64) {
			util_seterr(err, errlen, "%s: not 1 to 64 printable "
			    "characters without ':' or blanks: '%s'", k->name,
			    echo);
			return -1;
		}
		snprintf(out, sizeof(out), "%s", value);
		break;
	}
	case CONF_T_PWHASH:
		if (len > 0 && conf_valid_pwhash(value) == -1) {
			util_seterr(err, errlen, "%s: not pbkdf2-sha256$ITER$SALT"
			    "$HASH (ITER 1000..10000000, SALT 16-64 hex digits, "
			    "HASH 64 hex digits)", k->name);
			return -1;
		}
		snprintf(out, sizeof(out), "%s", value);
		break;
	default:
		util_seterr(err, errlen, "%s: no validator", k->name);
		return -1;
	}
	if (canon != NULL)
		memcpy(canon, out, strlen(out) + 1);
	return 0;
}

/* Store a copy of value (already valid) for key i, in canonical form. */
static int
conf_replace(struct conf *cf, int i, const char *value,
    enum conf_source src)
{
	char	*v, canon[CONF_PATH_MAX];

	if (conf_canon(&conf_keys[i], value, canon, NULL, 0) == -1) {
		errno = EINVAL;
		return -1;
	}
	if ((v = strdup(canon)) == NULL)
		return -1;
	free(cf->value[i]);
	cf->value[i] = v;
	cf->source[i] = src;
	conf_gen++;
	return 0;
}

struct conf *
conf_new(const char *state_dir)
{
	struct conf	*cf;
	char		 dl[CONF_PATH_MAX];
	int		 i, n;

	assert(state_dir != NULL);
	if ((cf = calloc(1, sizeof(*cf))) == NULL)
		return NULL;
	n = snprintf(dl, sizeof(dl), "%s/downloads", state_dir);
	if (n < 0 || (size_t)n >= sizeof(dl)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	for (i = 0; i < CONF_NKEYS; i++) {
		/* A relative state_dir would give a relative download_dir. */
		if (conf_replace(cf, i, conf_keys[i].def != NULL ?
		    conf_keys[i].def : dl, CONF_DEFAULT) == -1)
			goto fail;
	}
	if ((cf->default_dl = strdup(conf_get(cf, "download_dir"))) == NULL)
		goto fail;
	return cf;

 fail:
	conf_free(cf);
	return NULL;
}

void
conf_free(struct conf *cf)
{
	int	 i;

	if (cf == NULL)
		return;
	for (i = 0; i < CONF_NKEYS; i++)
		free(cf->value[i]);
	free(cf->default_dl);
	free(cf);
}

/*
 * Read one line without its '\n' into buf (size bytes, NUL-terminated).
 * 1 with its length in *len, 0 at the end of the file, -1 on a read
 * error (errno set), -2 if the line does not fit.
 */
static int
conf_read_line(FILE *fp, char *buf, size_t size, size_t *len)
{
	size_t	 n = 0;
	int	 c;

	errno = 0;
	while ((c = getc(fp)) != EOF && c != '\n') {
		if (n + 1 >= size)
			return -2;
		buf[n++] = (char)c;
	}
	if (c == EOF && ferror(fp)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	if (c == EOF && n == 0)
		return 0;
	buf[n] = '\0';
	*len = n;
	return 1;
}

/*
 * Split one btd.conf line in place.  1 with *key and *value (pointing
 * into line) for a setting, 0 for a blank or comment line, -1 with *key
 * set and the reason in err.  *value is NULL when the line has a key
 * alone.
 */
static int
conf_parse_line(char *line, char **key, char **value, char *err,
    size_t errlen)
{
	char	*p, *q, *e;
	int	 inq;

	*key = *value = NULL;
	for (p = line; isspace((unsigned char)*p); p++)
		;
	if (*p == '\0' || *p == '#')
		return 0;
	*key = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return 1;
	*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	/* A comment after the value: '#' after a blank, outside quotes. */
	if (*p == '#')
		*p = '\0';
	for (q = p, inq = 0; *q != '\0'; q++) {
		if (inq && *q == '\\' && q[1] != '\0')
			q++;
		else if (*q == '"')
			inq = !inq;
		else if (!inq && *q == '#' && isspace((unsigned char)q[-1])) {
			*q = '\0';
			break;
		}
	}
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (*p == '\0')
		return 1;
	if (*p != '"') {
		*value = p;
		return 1;
	}

	/* A quoted value, unescaped in place: q writes behind p. */
	for (q = ++p, *value = q; *p != '"'; p++) {
		if (*p == '\0') {
			util_seterr(err, errlen, "unterminated quoted value");
			return -1;
		}
		if (*p == '\\') {
			if (p[1] != '"' && p[1] != '\\') {
				util_seterr(err, errlen, "bad escape in quoted "
				    "value (only \\\" and \\\\)");
				return -1;
			}
			p++;
		}
		*q++ = *p;
	}
	if (p[1] != '\0') {
		util_seterr(err, errlen, "text after the closing quote");
		return -1;
	}
	*q = '\0';
	return 1;
}

int
conf_load(struct conf *cf, const char *path, int must_exist, char *err,
    size_t errlen)
{
	FILE		*fp;
	char		 line[CONF_LINE_MAX + 1], *key, *value;
	char		*nv[CONF_NKEYS] = { NULL };
	char		 why[256], echo[CONF_ECHO_MAX];
	char		 canon[CONF_PATH_MAX];
	size_t		 len;
	int		 i, r, lineno = 0, rc = -1;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		util_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((r = conf_read_line(fp, line, sizeof(line), &len)) != 0) {
		lineno++;
		if (r == -1) {
			util_seterr(err, errlen, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r == -2) {
			util_seterr(err, errlen, "%s:%d: line longer than %d "
			    "bytes", path, lineno, CONF_LINE_MAX);
			goto fail;
		}
		if (strlen(line) != len) {
			util_seterr(err, errlen, "%s:%d: NUL byte in line",
			    path, lineno);
			goto fail;
		}
		if ((r = conf_parse_line(line, &key, &value, why,
		    sizeof(why))) == 0)
			continue;
		if ((i = conf_index(key)) == -1) {
			log_escape(echo, sizeof(echo), key, strlen(key));
			util_seterr(err, errlen, "%s:%d: unknown setting '%s'",
			    path, lineno, echo);
			goto fail;
		}
		if (r == -1) {
			util_seterr(err, errlen, "%s:%d: %s: %s", path, lineno,
			    conf_keys[i].name, why);
			goto fail;
		}
		if (value == NULL) {
			util_seterr(err, errlen,
			    "%s:%d: missing value for '%s'", path, lineno,
			    conf_keys[i].name);
			goto fail;
		}
		if (nv[i] != NULL) {
			util_seterr(err, errlen, "%s:%d: %s set twice", path,
			    lineno, conf_keys[i].name);
			goto fail;
		}
		if (conf_valid(&conf_keys[i], value, why, sizeof(why)) == -1) {
			util_seterr(err, errlen, "%s:%d: %s", path, lineno,
			    why);
			goto fail;
		}
		(void)conf_canon(&conf_keys[i], value, canon, NULL, 0);
		if ((nv[i] = strdup(canon)) == NULL) {
			util_seterr(err, errlen, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
	}

	/* All good: apply.  A flag outranks the file whatever the order. */
	for (i = 0; i < CONF_NKEYS; i++) {
		if (nv[i] == NULL || cf->source[i] == CONF_FLAG)
			continue;
		free(cf->value[i]);
		cf->value[i] = nv[i];	/* owned by cf now */
		cf->source[i] = CONF_FILE;
		conf_gen++;
		nv[i] = NULL;
		log_debug("conf: %s: %s from the file", path,
		    conf_keys[i].name);
	}
	rc = 0;

 fail:
	for (i = 0; i < CONF_NKEYS; i++)
		free(nv[i]);
	fclose(fp);
	return rc;
}

int
conf_set_flag(struct conf *cf, const char *key, const char *value,
    char *err, size_t errlen)
{
	char	 echo[CONF_ECHO_MAX];
	int	 i;

	if ((i = conf_index(key)) == -1) {
		log_escape(echo, sizeof(echo), key, strlen(key));
		util_seterr(err, errlen, "unknown setting '%s'", echo);
		return -1;
	}
	if (conf_valid(&conf_keys[i], value, err, errlen) == -1)
		return -1;
	if (conf_replace(cf, i, value, CONF_FLAG) == -1) {
		util_seterr(err, errlen, "%s: %s", key, strerror(errno));
		return -1;
	}
	return 0;
}

int
conf_set_runtime(struct conf *cf, const char *key, const char *value,
    char *err, size_t errlen)
{
	char	 echo[CONF_ECHO_MAX];
	int	 i;

	if ((i = conf_index(key)) == -1) {
		log_escape(echo, sizeof(echo), key, strlen(key));
		util_seterr(err, errlen, "unknown setting '%s'", echo);
		return -1;
	}
	if (!conf_keys[i].runtime) {
		util_seterr(err, errlen, "%s cannot be changed at run time "
		    "(set it in btd.conf)", key);
		return -1;
	}
	switch (cf->source[i]) {
	case CONF_FILE:
		util_seterr(err, errlen, "%s is fixed by btd.conf", key);
		return -1;
	case CONF_FLAG:
		util_seterr(err, errlen, "%s is fixed by a command-line flag",
		    key);
		return -1;
	default:
		break;
	}
	if (conf_valid(&conf_keys[i], value, err, errlen) == -1)
		return -1;
	if (conf_replace(cf, i, value, CONF_SET) == -1) {
		util_seterr(err, errlen, "%s: %s", key, strerror(errno));
		return -1;
	}
	return 0;
}

uint64_t
conf_generation(void)
{
	return conf_gen;
}

const char *
conf_get(const struct conf *cf, const char *key)
{
	int	 i;

	if ((i = conf_index(key)) == -1)
		return NULL;
	return cf->value[i];
}

/* -1 with errno EINVAL for an unknown key or one that is not a number. */
long long
conf_get_int(const struct conf *cf, const char *key)
{
	int	 i;

	if ((i = conf_index(key)) == -1 || (conf_keys[i].type != CONF_T_INT &&
	    conf_keys[i].type != CONF_T_SIZE)) {
		errno = EINVAL;
		return -1;
	}
	/* Validated when set: plain digits within the key's range. */
	return strtoll(cf->value[i], NULL, 10);
}

/* CONF_DEFAULT for an unknown key. */
enum conf_source
conf_source(const struct conf *cf, const char *key)
{
	int	 i;

	if ((i = conf_index(key)) == -1)
		return CONF_DEFAULT;
	return cf->source[i];
}

const char *
conf_source_name(enum conf_source src)
{
	switch (src) {
	case CONF_DEFAULT:
		return "default";
	case CONF_FILE:
		return "conf";
	case CONF_FLAG:
		return "flag";
	case CONF_SET:
		return "set";
	}
	return "unknown";
}

const char *
conf_key(int i)
{
	if (i < 0 || i >= CONF_NKEYS)
		return NULL;
	return conf_keys[i].name;
}

const char *
conf_describe(const char *key)
{
	int	 i;

	if ((i = conf_index(key)) == -1)
		return NULL;
	return conf_keys[i].desc;
}

int
conf_is_known(const char *key)
{
	return conf_index(key) != -1;
}

/* landlock_abi_max as a number; -1 for "kernel" (no cap). */
int
conf_landlock_abi_max(const struct conf *cf)
{
	const char	*v = conf_get(cf, "landlock_abi_max");

	if (v == NULL || strcmp(v, "kernel") == 0)
		return -1;
	return (int)strtol(v, NULL, 10);
}

/*
 * The download_dir of the operator: btd.conf's or the flag's, else the
 * built-in one; never a value changed with btctl set.  The default of
 * download_dirs_allowed.
 */
const char *
conf_operator_download_dir(const struct conf *cf)
{
	int	 i = conf_index("download_dir");

	return cf->source[i] == CONF_SET ? cf->default_dl : cf->value[i];
}
