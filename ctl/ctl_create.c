/*
 * ctl_create.c -- `btctl create`: a v1 .torrent (BEP 3, BEP 12 tiers,
 * BEP 27 private flag) from a file or a directory, made by the invoking
 * user without btd.
 *
 * Three steps.  The walk lists the payload: one regular file, or every
 * regular file under a directory, found with openat()/fdopendir() and
 * never through a symbolic link (links and special files are skipped
 * with a warning).  Files are sorted component by component on the
 * bytes of their paths, so the same tree always gives the same torrent.
 * The hashing cuts the piece stream, which runs across file boundaries,
 * into batches of whole pieces; worker threads take batches from an
 * atomic counter, read them with pread() and write each piece's SHA-1
 * at that piece's slot of the shared pieces array.  No two workers
 * write the same bytes and none holds a lock while hashing.  The main
 * thread meanwhile draws a progress bar when stderr is a terminal.
 * Last, the encoder writes the keys in sorted order into a temporary
 * file beside the output, which is then renamed into place; without
 * --force an existing file is never replaced (RENAME_NOREPLACE, or
 * link() where the file system lacks it).
 *
 * A worker checks every file again when it opens it (the inode, size
 * and modification time the walk saw) and a short read is an error: a
 * torrent never describes data that changed under it.
 *
 * The bounds are those btd accepts in a .torrent (metainfo.h), so a
 * torrent made here is one btd can load.  Names from the file system
 * are outside text: they are escaped before they reach the terminal.
 *
 * Rejected: one contiguous range of pieces per thread.  It reads in
 * longer runs, but a thread that meets cold pages or a slow file ends
 * late while the others idle; batches of a few MiB keep reads large and
 * every thread busy until the end.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bencode.h"
#include "ctl.h"
#include "log.h"
#include "metainfo.h"
#include "utf8.h"
#include "util.h"

#ifndef BTD_VERSION
#define BTD_VERSION	"0.1.0"
#endif

/* Tunables. */
#define CR_MIN_PIECE	(16U << 10)	/* smallest piece length */
#define CR_MAX_PIECE	(64U << 20)	/* largest piece length */
#define CR_AUTO_MAX	(16U << 20)	/* the default stops doubling here */
#define CR_AUTO_PIECES	2000		/* the default aims at no more pieces */
#define CR_MAX_THREADS	8		/* hashing threads */
#define CR_BATCH	(4U << 20)	/* a work unit: whole pieces, ~this */
#define CR_READ_BUF	(1U << 20)	/* each worker's read buffer */
#define CR_MAX_URL	2048		/* bytes of a tracker URL */
#define CR_MAX_COMMENT	(64U << 10)	/* bytes of --comment */
#define CR_PROGRESS_MS	100		/* redraw the bar at most this often */
#define CR_BAR_WIDTH	20		/* characters of the bar */
#define CR_ESC_MAX	(4 * PATH_MAX + 1)	/* an escaped path, \xNN each */

#define SHA1_LEN	20

/* Options that have no short form. */
enum {
	OPT_PIECE_SIZE = 256,
	OPT_PRIVATE,
	OPT_COMMENT,
	OPT_THREADS,
};

struct cr_file {
	char		*path;		/* multi: below the root; else PATH */
	uint64_t	 length;
	uint64_t	 offset;	/* its first byte in the piece stream */
	dev_t		 dev;		/* what the walk saw, checked at open */
	ino_t		 ino;
	struct timespec	 mtime;
};

struct create {
	/* Options. */
	const char	*path;		/* PATH as given */
	const char	*out;		/* -o, or outbuf */
	char		*outbuf;	/* "<name>.torrent" */
	const char	*trackers[MI_MAX_TRACKERS];	/* each its own tier */
	size_t		 ntrackers;
	const char	*comment;	/* NULL: none */
	uint64_t	 piece_len;	/* 0 until chosen */
	int		 private;
	int		 force;
	int		 nthreads;	/* 0: the online CPUs */
	int		 help;
	int64_t		 date;		/* creation date */
	char		 scratch[2 * PATH_MAX];	/* main thread's messages */
	char		 escbuf[CR_ESC_MAX];

	/* The payload. */
	char		 root[PATH_MAX];	/* PATH without trailing '/' */
	const char	*name;		/* last component of root */
	int		 multi;		/* PATH is a directory */
	int		 rootfd;	/* multi: PATH's directory; else -1 */
	struct cr_file	*files;
	size_t		 nfiles;
	size_t		 capfiles;
	uint64_t	 total;		/* bytes of all files */
	uint64_t	 npieces;
	uint8_t		*pieces;	/* SHA1_LEN * npieces */

	/* Hashing: shared with the workers. */
	EVP_MD		*sha1;
	uint64_t	 batch;		/* pieces per batch */
	uint64_t	 nbatches;
	_Atomic uint64_t next;		/* the next batch to take */
	_Atomic uint64_t hashed;	/* bytes hashed so far */
	atomic_int	 stop;		/* a worker failed: the others stop */
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;		/* a worker finished */
	int		 running;	/* workers not finished; under mtx */
	char		 err[CR_ESC_MAX + 256];	/* first failure; under mtx */
};

struct cr_worker {
	struct create	*c;
	pthread_t	 tid;
	int		 fd;		/* the open file, or -1 */
	size_t		 fidx;		/* its index in c->files */
	uint8_t		*buf;		/* CR_READ_BUF bytes */
	EVP_MD_CTX	*md;
};

static const char usage_line[] = "usage: btctl create " CTL_CREATE_SYNOPSIS;

static const struct option longopts[] = {
	{ "tracker",	required_argument,	NULL, 't' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "force",	no_argument,		NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "piece-size",	required_argument,	NULL, OPT_PIECE_SIZE },
	{ "private",	no_argument,		NULL, OPT_PRIVATE },
	{ "comment",	required_argument,	NULL, OPT_COMMENT },
	{ "threads",	required_argument,	NULL, OPT_THREADS },
	{ NULL,		0,			NULL, 0 },
};

static void	cr_warnx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	cr_fail(struct create *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* One line on stderr, after whatever stdout holds. */
static void
cr_warnx(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("btctl: create: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Outside text made printable in buf (CR_ESC_MAX bytes). */
static const char *
cr_esc(char *buf, const char *s)
{
	return log_escape(buf, CR_ESC_MAX, s, strlen(s));
}

/* File i's path as the user knows it, escaped, in buf (CR_ESC_MAX). */
static const char *
cr_file_esc(const struct create *c, size_t i, char *buf)
{
	char	 full[2 * PATH_MAX];

	if (!c->multi)
		return cr_esc(buf, c->root);
	snprintf(full, sizeof(full), "%s/%s", c->root, c->files[i].path);
	return cr_esc(buf, full);
}

/*
 * ROOT/rel/name escaped (rel "" and name NULL are left out), for the main
 * thread's messages: valid until the next call.
 */
static const char *
cr_relpath(struct create *c, const char *rel, const char *name)
{
	snprintf(c->scratch, sizeof(c->scratch), "%s%s%s%s%s", c->root,
	    rel[0] != '\0' ? "/" : "", rel, name != NULL ? "/" : "",
	    name != NULL ? name : "");
	return cr_esc(c->escbuf, c->scratch);
}

void
ctl_create_usage(FILE *fp)
{
	fprintf(fp, "%s\n", usage_line);
}

/* 512 B, 16 KiB, 1.2 GiB: exact multiples without a fraction. */
static const char *
cr_human(char *buf, size_t sz, uint64_t v)
{
	static const char *const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	uint64_t	 unit = 1024;
	size_t		 u = 0;

	if (v < 1024) {
		snprintf(buf, sz, "%" PRIu64 " B", v);
		return buf;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && v / unit >= 1024) {
		unit <<= 10;
		u++;
	}
	if (v % unit == 0)
		snprintf(buf, sz, "%" PRIu64 " %s", v / unit, units[u]);
	else
		snprintf(buf, sz, "%.1f %s", (double)v / (double)unit,
		    units[u]);
	return buf;
}

/*
 * Options.
 */

/* "32768", "32K", "32KiB", "4M", "4MiB" (any case); -1 if malformed. */
static int
cr_parse_size(const char *s, uint64_t *out)
{
	unsigned long long	 v;
	char			*end;
	int			 shift;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0')
		shift = 0;
	else if (strcasecmp(end, "K") == 0 || strcasecmp(end, "KiB") == 0)
		shift = 10;
	else if (strcasecmp(end, "M") == 0 || strcasecmp(end, "MiB") == 0)
		shift = 20;
	else
		return -1;
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/*
 * An announce URL: printable ASCII, http, https or udp, a host, and for
 * udp a port (BEP 15 has no default one).  NULL if fine, else why not.
 */
static const char *
cr_check_url(const char *u)
{
	static const char *const schemes[] = { "http://", "https://",
	    "udp://" };
	const char	*host = NULL, *p, *colon;
	size_t		 i, len = strlen(u), hostlen;

	if (len > CR_MAX_URL)
		return "too long";
	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return "not printable ASCII (percent-encode it)";
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(u, schemes[i], strlen(schemes[i])) == 0)
			host = u + strlen(schemes[i]);
	if (host == NULL)
		return "not an http, https or udp URL";
	hostlen = strcspn(host, "/?#");
	if (hostlen == 0 || host[0] == ':' || host[0] == '@')
		return "no host";
	if (tolower((unsigned char)u[0]) == 'u') {
		colon = memrchr(host, ':', hostlen);
		if (colon == NULL || colon + 1 == host + hostlen ||
		    memchr(colon, ']', (size_t)(host + hostlen - colon)))
			return "a udp tracker needs a port";
		for (p = colon + 1; p < host + hostlen; p++)
			if (!isdigit((unsigned char)*p))
				return "bad port";
	}
	return NULL;
}

/* SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
static int
cr_date(struct create *c)
{
	const char	*s = getenv("SOURCE_DATE_EPOCH");
	char		*end, e[CR_ESC_MAX];
	long long	 v;

	if (s == NULL || s[0] == '\0') {
		c->date = time(NULL);
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end != '\0' || errno != 0) {
		cr_warnx("SOURCE_DATE_EPOCH '%s' is not a number of seconds",
		    cr_esc(e, s));
		return -1;
	}
	c->date = v;
	return 0;
}

/* 0 to go on, else the exit status (c->help: print the usage, 0). */
static int
cr_options(struct create *c, int argc, char **argv)
{
	char		 e[CR_ESC_MAX];
	const char	*why, *arg;
	uint64_t	 v;
	size_t		 i;
	int		 ch;

	/* Options anywhere; "--" ends them.  optind 0 starts afresh. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "-:t:o:fh", longopts,
	    NULL)) != -1) {
		arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
		switch (ch) {
		case 1:
			if (c->path != NULL) {
				cr_warnx("too many arguments: '%s'",
				    cr_esc(e, optarg));
				goto usage;
			}
			c->path = optarg;
			break;
		case 't':
			if ((why = cr_check_url(optarg)) != NULL) {
				cr_warnx("-t %s: %s", cr_esc(e, optarg), why);
				return 2;
			}
			for (i = 0; i < c->ntrackers; i++)
				if (strcmp(c->trackers[i], optarg) == 0) {
					cr_warnx("-t %s: given twice",
					    cr_esc(e, optarg));
					return 2;
				}
			if (c->ntrackers == MI_MAX_TRACKERS) {
				cr_warnx("more than %d trackers",
				    MI_MAX_TRACKERS);
				return 2;
			}
			c->trackers[c->ntrackers++] = optarg;
			break;
		case 'o':
			if (optarg[0] == '\0' || strlen(optarg) >= PATH_MAX) {
				cr_warnx("-o '%s': not a usable path",
				    cr_esc(e, optarg));
				return 2;
			}
			c->out = optarg;
			break;
		case 'f':
			c->force = 1;
			break;
		case 'h':
			c->help = 1;
			break;
		case OPT_PIECE_SIZE:
			if (cr_parse_size(optarg, &v) == -1 ||
			    v < CR_MIN_PIECE || v > CR_MAX_PIECE ||
			    (v & (v - 1)) != 0) {
				cr_warnx("--piece-size %s: not a power of two "
				    "from 16 KiB to 64 MiB", cr_esc(e, optarg));
				return 2;
			}
			c->piece_len = v;
			break;
		case OPT_PRIVATE:
			c->private = 1;
			break;
		case OPT_COMMENT:
			if (strlen(optarg) > CR_MAX_COMMENT) {
				cr_warnx("--comment: longer than %u bytes",
				    CR_MAX_COMMENT);
				return 2;
			}
			if (!utf8_valid(optarg)) {
				cr_warnx("--comment: not valid UTF-8");
				return 2;
			}
			c->comment = optarg;
			break;
		case OPT_THREADS:
			if (optarg[0] < '1' || optarg[0] > '0' +
			    CR_MAX_THREADS || optarg[1] != '\0') {
				cr_warnx("--threads %s: not a number from 1 "
				    "to %d", cr_esc(e, optarg), CR_MAX_THREADS);
				return 2;
			}
			c->nthreads = optarg[0] - '0';
			break;
		case ':':
			cr_warnx("option '%s' needs a value", cr_esc(e, arg));
			goto usage;
		default:
			if (optopt > 0x20 && optopt < 0x7f)
				cr_warnx("unknown option '-%c'", optopt);
			else
				cr_warnx("unknown option '%s'", cr_esc(e, arg));
			goto usage;
		}
	}
	for (; optind < argc; optind++) {
		if (c->path != NULL) {
			cr_warnx("too many arguments: '%s'",
			    cr_esc(e, argv[optind]));
			goto usage;
		}
		c->path = argv[optind];
	}
	if (c->help)
		return 0;
	if (c->path == NULL) {
		cr_warnx("missing PATH (the file or directory to share)");
		goto usage;
	}
	return 0;
usage:
	ctl_create_usage(stderr);
	return 2;
}

/*
 * The walk.
 */

/*
 * Component by component on the bytes: '/' sorts before any byte, so
 * "a/z" < "a-b" (the directory "a" before the file "a-b").
 */
static int
cr_pathcmp(const void *va, const void *vb)
{
	const unsigned char	*a = (const unsigned char *)
				    ((const struct cr_file *)va)->path;
	const unsigned char	*b = (const unsigned char *)
				    ((const struct cr_file *)vb)->path;
	int			 ca, cb;

	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	ca = *a == '/' ? 1 : *a == '\0' ? 0 : *a + 1;
	cb = *b == '/' ? 1 : *b == '\0' ? 0 : *b + 1;
	return ca - cb;
}

static int
cr_add_file(struct create *c, const char *rel, const struct stat *st)
{
	struct cr_file	*f;
	size_t		 ncap;
	char		 e[CR_ESC_MAX];

	if (c->nfiles == MI_MAX_FILES) {
		cr_warnx("%s: more than %d files", cr_esc(e, c->root),
		    MI_MAX_FILES);
		return -1;
	}
	if ((uint64_t)st->st_size > MI_MAX_TOTAL - c->total) {
		cr_warnx("%s: more than %" PRIu64 " bytes in all",
		    cr_esc(e, c->root), (uint64_t)MI_MAX_TOTAL);
		return -1;
	}
	if (c->nfiles == c->capfiles) {
		ncap = c->capfiles ? 2 * c->capfiles : 64;
		if (ncap > MI_MAX_FILES)
			ncap = MI_MAX_FILES;
		f = reallocarray(c->files, ncap, sizeof(*f));
		if (f == NULL) {
			cr_warnx("out of memory");
			return -1;
		}
		c->files = f;
		c->capfiles = ncap;
	}
	f = &c->files[c->nfiles];
	memset(f, 0, sizeof(*f));
	if ((f->path = strdup(rel)) == NULL) {
		cr_warnx("out of memory");
		return -1;
	}
	f->length = (uint64_t)st->st_size;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->mtime = st->st_mtim;
	c->total += f->length;
	c->nfiles++;
	return 0;
}

/*
 * Every regular file under the directory dfd (whose path below the root
 * is rel[0..rellen), depth directories down); takes dfd.  rel has
 * PATH_MAX bytes and is restored before returning.  Frames stay small:
 * the recursion goes MI_MAX_DEPTH deep at most.
 */
static int
cr_walk(struct create *c, int dfd, char *rel, size_t rellen, int depth)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	size_t		 nlen, len;
	int		 fd, r = -1;

	if ((d = fdopendir(dfd)) == NULL) {
		cr_warnx("%s: %s", cr_relpath(c, rel, NULL), strerror(errno));
		close(dfd);
		return -1;
	}
	for (;;) {
		rel[rellen] = '\0';
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				cr_warnx("%s: %s", cr_relpath(c, rel, NULL),
				    strerror(errno));
				goto done;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		nlen = strlen(de->d_name);
		len = rellen + (rellen ? 1 : 0) + nlen;
		if (len >= PATH_MAX || len > MI_MAX_PATH ||
		    nlen > MI_MAX_COMPONENT) {
			cr_warnx("%s: path too long",
			    cr_relpath(c, rel, de->d_name));
			goto done;
		}
		if (rellen)
			rel[rellen] = '/';
		memcpy(rel + len - nlen, de->d_name, nlen + 1);
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			cr_warnx("%s: %s", cr_relpath(c, rel, NULL),
			    strerror(errno));
			goto done;
		}
		if (S_ISLNK(st.st_mode)) {
			cr_warnx("skipping symlink %s",
			    cr_relpath(c, rel, NULL));
			continue;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			cr_warnx("skipping special file %s",
			    cr_relpath(c, rel, NULL));
			continue;
		}
		if (!utf8_valid(de->d_name)) {
			cr_warnx("%s: name is not valid UTF-8",
			    cr_relpath(c, rel, NULL));
			goto done;
		}
		/* A file here has depth + 1 path components. */
		if (depth + 1 + S_ISDIR(st.st_mode) > MI_MAX_DEPTH) {
			cr_warnx("%s: more than %d directories deep",
			    cr_relpath(c, rel, NULL), MI_MAX_DEPTH - 1);
			goto done;
		}
		if (S_ISREG(st.st_mode)) {
			if (cr_add_file(c, rel, &st) == -1)
				goto done;
			continue;
		}
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1) {
			cr_warnx("%s: %s", cr_relpath(c, rel, NULL),
			    strerror(errno));
			goto done;
		}
		if (cr_walk(c, fd, rel, len, depth + 1) == -1)
			goto done;
	}
	r = 0;
done:
	rel[rellen] = '\0';
	closedir(d);
	return r;
}

/* root, name, and the file list of PATH. */
static int
cr_scan(struct create *c)
{
	struct stat	 st;
	char		 e[CR_ESC_MAX], rel[PATH_MAX];
	const char	*slash;
	size_t		 len, i;
	int		 fd;

	len = strlen(c->path);
	if (len >= sizeof(c->root)) {
		cr_warnx("PATH is too long");
		return -1;
	}
	memcpy(c->root, c->path, len + 1);
	while (len > 1 && c->root[len - 1] == '/')
		c->root[--len] = '\0';
	slash = strrchr(c->root, '/');
	c->name = slash != NULL ? slash + 1 : c->root;
	if (c->name[0] == '\0' || strcmp(c->name, ".") == 0 ||
	    strcmp(c->name, "..") == 0) {
		cr_warnx("%s: name the file or directory itself (the torrent "
		    "takes its name from the last component)",
		    cr_esc(e, c->path));
		return -1;
	}
	if (!utf8_valid(c->name)) {
		cr_warnx("%s: name is not valid UTF-8", cr_esc(e, c->path));
		return -1;
	}
	/* PATH itself may be a link: the user named it. */
	if (stat(c->root, &st) == -1) {
		cr_warnx("%s: %s", cr_esc(e, c->path), strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		if (cr_add_file(c, c->root, &st) == -1)
			return -1;
		if (c->total == 0) {
			cr_warnx("%s: the file is empty", cr_esc(e, c->path));
			return -1;
		}
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		cr_warnx("%s: not a regular file or a directory",
		    cr_esc(e, c->path));
		return -1;
	}
	c->multi = 1;
	fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (c->rootfd = dup(fd)) == -1) {
		cr_warnx("%s: %s", cr_esc(e, c->path), strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rel[0] = '\0';
	if (cr_walk(c, fd, rel, 0, 0) == -1)	/* takes fd */
		return -1;
	if (c->nfiles == 0) {
		cr_warnx("%s: no files to share", cr_esc(e, c->path));
		return -1;
	}
	if (c->total == 0) {
		cr_warnx("%s: every file is empty", cr_esc(e, c->path));
		return -1;
	}
	qsort(c->files, c->nfiles, sizeof(c->files[0]), cr_pathcmp);
	for (i = 1; i < c->nfiles; i++)
		c->files[i].offset = c->files[i - 1].offset +
		    c->files[i - 1].length;
	return 0;
}

/*
 * The default piece length: from 16 KiB, doubled while there would be
 * more than CR_AUTO_PIECES pieces, up to CR_AUTO_MAX (mktorrent and
 * libtorrent pick similar sizes: about 1000-2000 pieces, the .torrent
 * small, a piece cheap to re-fetch).  Past that only a payload whose
 * piece hashes would fill more than half of btd's .torrent size limit
 * (the rest is for the file list) goes on doubling, to 64 MiB.
 */
static int
cr_piece_length(struct create *c)
{
	char		 e[CR_ESC_MAX], h[32];
	uint64_t	 maxpieces = MI_MAX_TORRENT / 2 / SHA1_LEN;
	uint64_t	 pl;

	if (c->piece_len == 0) {
		pl = CR_MIN_PIECE;
		while (pl < CR_AUTO_MAX &&
		    (c->total + pl - 1) / pl > CR_AUTO_PIECES)
			pl <<= 1;
		while (pl < CR_MAX_PIECE && (c->total + pl - 1) / pl >
		    maxpieces)
			pl <<= 1;
		c->piece_len = pl;
	}
	c->npieces = (c->total + c->piece_len - 1) / c->piece_len;
	if (c->npieces > maxpieces) {
		cr_warnx("%s: %" PRIu64 " pieces of %s make a .torrent too "
		    "big for btd: use a larger --piece-size", cr_esc(e,
		    c->path), c->npieces, cr_human(h, sizeof(h),
		    c->piece_len));
		return -1;
	}
	return 0;
}

/*
 * Hashing.
 */

static void
cr_fail(struct create *c, const char *fmt, ...)
{
	va_list	ap;

	pthread_mutex_lock(&c->mtx);
	if (c->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&c->mtx);
	atomic_store(&c->stop, 1);
}

/* Open file i for w, checking it is still what the walk saw. */
static int
cr_open(struct cr_worker *w, size_t i)
{
	struct create		*c = w->c;
	const struct cr_file	*f = &c->files[i];
	struct stat		 st;
	char			 e[CR_ESC_MAX];

	if (w->fd != -1)
		close(w->fd);
	w->fd = openat(c->multi ? c->rootfd : AT_FDCWD, f->path,
	    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    (c->multi ? O_NOFOLLOW : 0));
	if (w->fd == -1) {
		cr_fail(c, "%s: %s", cr_file_esc(c, i, e), strerror(errno));
		return -1;
	}
	w->fidx = i;
	if (fstat(w->fd, &st) == -1) {
		cr_fail(c, "%s: %s", cr_file_esc(c, i, e), strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != f->dev ||
	    st.st_ino != f->ino || (uint64_t)st.st_size != f->length ||
	    st.st_mtim.tv_sec != f->mtime.tv_sec ||
	    st.st_mtim.tv_nsec != f->mtime.tv_nsec) {
		cr_fail(c, "%s: changed while the torrent was being made",
		    cr_file_esc(c, i, e));
		return -1;
	}
	(void)posix_fadvise(w->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* The file holding stream byte off (< total): never an empty one. */
static size_t
cr_find(const struct create *c, uint64_t off)
{
	size_t	lo = 0, hi = c->nfiles, mid;

	/* The last file that starts at or before off. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (c->files[mid].offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* len bytes of the piece stream from off into buf. */
static int
cr_read(struct cr_worker *w, uint64_t off, uint8_t *buf, size_t len)
{
	struct create		*c = w->c;
	const struct cr_file	*f;
	size_t			 i = cr_find(c, off), n;
	ssize_t			 r;
	char			 e[CR_ESC_MAX];

	while (len > 0) {
		f = &c->files[i];
		if (off >= f->offset + f->length) {
			if (++i == c->nfiles) {
				cr_fail(c, "read past the end of the files");
				return -1;
			}
			continue;
		}
		if ((w->fd == -1 || w->fidx != i) && cr_open(w, i) == -1)
			return -1;
		n = len;
		if (n > f->offset + f->length - off)
			n = (size_t)(f->offset + f->length - off);
		r = pread(w->fd, buf, n, (off_t)(off - f->offset));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			cr_fail(c, "%s: %s", cr_file_esc(c, i, e),
			    strerror(errno));
			return -1;
		}
		if (r == 0) {
			cr_fail(c, "%s: shrank while the torrent was being "
			    "made", cr_file_esc(c, i, e));
			return -1;
		}
		buf += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* Take batches until none is left or a worker failed. */
static void *
cr_worker_main(void *arg)
{
	struct cr_worker	*w = arg;
	struct create		*c = w->c;
	uint64_t		 b, p, pend, off, end, pleft, n, k, used;
	unsigned int		 mdlen;

	while (!atomic_load(&c->stop)) {
		b = atomic_fetch_add(&c->next, 1);
		if (b >= c->nbatches)
			break;
		p = b * c->batch;
		pend = c->npieces - p > c->batch ? p + c->batch : c->npieces;
		off = p * c->piece_len;
		end = c->total - off > (pend - p) * c->piece_len ?
		    pend * c->piece_len : c->total;
		pleft = c->total - off > c->piece_len ? c->piece_len :
		    c->total - off;
		if (EVP_DigestInit_ex(w->md, c->sha1, NULL) != 1)
			goto sslfail;
		while (off < end && !atomic_load(&c->stop)) {
			n = end - off > CR_READ_BUF ? CR_READ_BUF : end - off;
			if (cr_read(w, off, w->buf, (size_t)n) == -1)
				goto done;
			for (used = 0; used < n; used += k) {
				k = pleft < n - used ? pleft : n - used;
				if (EVP_DigestUpdate(w->md, w->buf + used,
				    (size_t)k) != 1)
					goto sslfail;
				if ((pleft -= k) > 0)
					continue;
				if (EVP_DigestFinal_ex(w->md, c->pieces +
				    p * SHA1_LEN, &mdlen) != 1 ||
				    mdlen != SHA1_LEN)
					goto sslfail;
				if (++p == pend)
					continue;
				pleft = c->total - p * c->piece_len >
				    c->piece_len ? c->piece_len :
				    c->total - p * c->piece_len;
				if (EVP_DigestInit_ex(w->md, c->sha1,
				    NULL) != 1)
					goto sslfail;
			}
			off += n;
			atomic_fetch_add_explicit(&c->hashed, n,
			    memory_order_relaxed);
		}
	}
	goto done;
sslfail:
	cr_fail(c, "SHA-1 failed in libcrypto");
done:
	if (w->fd != -1) {
		close(w->fd);
		w->fd = -1;
	}
	pthread_mutex_lock(&c->mtx);
	c->running--;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

/* "hashing  42% [########............] 1.2 GiB / 2.9 GiB  310.0 MiB/s" */
static void
cr_progress(const struct create *c, uint64_t start)
{
	char		 bar[CR_BAR_WIDTH + 1], h1[32], h2[32], h3[32];
	uint64_t	 done = atomic_load(&c->hashed);
	uint64_t	 ms = util_now_ms() - start;
	double		 frac = (double)done / (double)c->total;
	int		 i, fill = (int)(frac * CR_BAR_WIDTH);

	for (i = 0; i < CR_BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[CR_BAR_WIDTH] = '\0';
	fprintf(stderr, "\rhashing %3d%% [%s] %s / %s  %s/s\033[K",
	    (int)(frac * 100), bar, cr_human(h1, sizeof(h1), done),
	    cr_human(h2, sizeof(h2), c->total), cr_human(h3, sizeof(h3),
	    ms > 0 ? (uint64_t)((double)done * 1000 / (double)ms) : 0));
	fflush(stderr);
}

/* Every piece's SHA-1 into c->pieces, on up to CR_MAX_THREADS threads. */
static int
cr_hash(struct create *c)
{
	struct cr_worker	 w[CR_MAX_THREADS];
	pthread_condattr_t	 ca;
	struct timespec		 ts;
	uint64_t		 start;
	long			 ncpu;
	int			 i, n, started = 0, drawn = 0, tty, r = -1;

	memset(w, 0, sizeof(w));
	if ((c->pieces = calloc((size_t)c->npieces, SHA1_LEN)) == NULL) {
		cr_warnx("out of memory");
		return -1;
	}
	if ((c->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)) == NULL) {
		cr_warnx("libcrypto has no SHA-1");
		return -1;
	}
	c->batch = CR_BATCH / c->piece_len > 0 ? CR_BATCH / c->piece_len : 1;
	c->nbatches = (c->npieces + c->batch - 1) / c->batch;
	if ((n = c->nthreads) == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		n = ncpu < 1 ? 1 : ncpu > CR_MAX_THREADS ? CR_MAX_THREADS :
		    (int)ncpu;
	}
	if ((uint64_t)n > c->nbatches)
		n = (int)c->nbatches;
	for (i = 0; i < n; i++) {
		w[i].c = c;
		w[i].fd = -1;
		w[i].buf = malloc(CR_READ_BUF);
		w[i].md = EVP_MD_CTX_new();
		if (w[i].buf == NULL || w[i].md == NULL) {
			cr_warnx("out of memory");
			goto fail;
		}
	}

	pthread_mutex_init(&c->mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	tty = isatty(STDERR_FILENO);
	start = util_now_ms();

	/* Held until the wait: no worker can count itself out early. */
	pthread_mutex_lock(&c->mtx);
	for (i = 0; i < n; i++) {
		if (pthread_create(&w[i].tid, NULL, cr_worker_main,
		    &w[i]) != 0)
			break;
		started++;
		c->running++;
	}
	if (started == 0)
		cr_warnx("cannot start a hashing thread");
	while (c->running > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += CR_PROGRESS_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cond, &c->mtx, &ts);
		if (tty && c->running > 0 && !atomic_load(&c->stop)) {
			cr_progress(c, start);
			drawn = 1;
		}
	}
	pthread_mutex_unlock(&c->mtx);
	for (i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	if (drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->mtx);

	if (c->err[0] != '\0')
		cr_warnx("%s", c->err);
	else if (started > 0)
		r = 0;
fail:
	for (i = 0; i < n; i++) {
		free(w[i].buf);
		EVP_MD_CTX_free(w[i].md);
	}
	return r;
}

/*
 * The .torrent.
 */

/* Keys in sorted order at each level; ih gets the info-hash. */
static int
cr_encode(struct create *c, struct be_buf *b, uint8_t *ih)
{
	const char	*s, *p;
	char		 h1[32], h2[32];
	size_t		 i, istart, iend;

	be_enc_dict(b);
	if (c->ntrackers > 0) {
		be_enc_cstr(b, "announce");
		be_enc_cstr(b, c->trackers[0]);
	}
	if (c->ntrackers > 1) {
		be_enc_cstr(b, "announce-list");
		be_enc_list(b);
		for (i = 0; i < c->ntrackers; i++) {
			be_enc_list(b);		/* a tier of one */
			be_enc_cstr(b, c->trackers[i]);
			be_enc_end(b);
		}
		be_enc_end(b);
	}
	if (c->comment != NULL) {
		be_enc_cstr(b, "comment");
		be_enc_cstr(b, c->comment);
	}
	be_enc_cstr(b, "created by");
	be_enc_cstr(b, "btd " BTD_VERSION);
	be_enc_cstr(b, "creation date");
	be_enc_int(b, c->date);
	be_enc_cstr(b, "info");
	istart = b->len;
	be_enc_dict(b);
	if (c->multi) {
		be_enc_cstr(b, "files");
		be_enc_list(b);
		for (i = 0; i < c->nfiles; i++) {
			be_enc_dict(b);
			be_enc_cstr(b, "length");
			be_enc_int(b, (int64_t)c->files[i].length);
			be_enc_cstr(b, "path");
			be_enc_list(b);
			for (s = c->files[i].path; (p = strchr(s, '/')) !=
			    NULL; s = p + 1)
				be_enc_str(b, s, (size_t)(p - s));
			be_enc_cstr(b, s);
			be_enc_end(b);
			be_enc_end(b);
		}
		be_enc_end(b);
	} else {
		be_enc_cstr(b, "length");
		be_enc_int(b, (int64_t)c->total);
	}
	be_enc_cstr(b, "name");
	be_enc_cstr(b, c->name);
	be_enc_cstr(b, "piece length");
	be_enc_int(b, (int64_t)c->piece_len);
	be_enc_cstr(b, "pieces");
	be_enc_str(b, c->pieces, (size_t)c->npieces * SHA1_LEN);
	if (c->private) {
		be_enc_cstr(b, "private");
		be_enc_int(b, 1);
	}
	be_enc_end(b);
	iend = b->len;
	be_enc_end(b);
	if (b->failed) {
		cr_warnx("out of memory");
		return -1;
	}
	if (b->len > MI_MAX_TORRENT) {
		cr_warnx("the .torrent would take %s, more than btd accepts "
		    "(%s): use a larger --piece-size", cr_human(h1,
		    sizeof(h1), b->len), cr_human(h2, sizeof(h2),
		    MI_MAX_TORRENT));
		return -1;
	}
	if (EVP_Digest(b->p + istart, iend - istart, ih, NULL, EVP_sha1(),
	    NULL) != 1) {
		cr_warnx("SHA-1 failed in libcrypto");
		return -1;
	}
	return 0;
}

/*
 * Into a temporary file beside c->out, then renamed over it: with
 * --force, or where nothing has that name yet.
 */
static int
cr_write(struct create *c, const uint8_t *p, size_t len)
{
	const char	*slash = strrchr(c->out, '/');
	char		 tmp[PATH_MAX], e[CR_ESC_MAX];
	size_t		 dlen;
	mode_t		 mask;
	ssize_t		 r;
	int		 fd, n;

	dlen = slash != NULL ? (size_t)(slash - c->out) + 1 : 0;
	n = snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", (int)dlen, c->out,
	    c->out + dlen);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		cr_warnx("%s: path too long", cr_esc(e, c->out));
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		cr_warnx("%s: cannot create a file beside it: %s",
		    cr_esc(e, c->out), strerror(errno));
		return -1;
	}
	/* mkostemp makes 0600; a .torrent is not secret. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1)
		goto fail;
	while (len > 0) {
		if ((r = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += r;
		len -= (size_t)r;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (c->force) {
		if (rename(tmp, c->out) == -1)
			goto fail;
	} else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, c->out,
	    RENAME_NOREPLACE) == -1) {
		if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
			goto fail;
		/* No RENAME_NOREPLACE here: link() refuses to replace. */
		if (link(tmp, c->out) == -1)
			goto fail;
		unlink(tmp);
	}
	return 0;
fail:
	n = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	if (n == EEXIST)
		cr_warnx("%s: exists (-f replaces it)", cr_esc(e, c->out));
	else
		cr_warnx("%s: %s", cr_esc(e, c->out), strerror(n));
	return -1;
}

/* The output's directory takes new files: found out before hashing. */
static int
cr_outdir_ok(struct create *c)
{
	const char	*slash = strrchr(c->out, '/');
	char		 dir[PATH_MAX], e[CR_ESC_MAX];
	size_t		 dlen;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else {
		dlen = slash == c->out ? 1 : (size_t)(slash - c->out);
		snprintf(dir, sizeof(dir), "%.*s", (int)dlen, c->out);
	}
	if (access(dir, W_OK | X_OK) == -1) {
		cr_warnx("%s: cannot write there: %s", cr_esc(e, dir),
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
cr_help(void)
{
	ctl_create_usage(stdout);
	printf("make a .torrent of a file or a directory\n\n"
	    "  -t URL            a tracker; repeat for more, each its own "
	    "tier\n"
	    "  -o FILE           output (default NAME.torrent here)\n"
	    "  -f, --force       replace FILE if it exists\n"
	    "  --piece-size N    bytes, or with K/KiB, M/MiB; a power of "
	    "two,\n"
	    "                    16K-64M (default: about 1000-2000 pieces)\n"
	    "  --private         private torrent (BEP 27)\n"
	    "  --comment TEXT    a comment (UTF-8)\n"
	    "  --threads N       hashing threads, 1-%d (default: the CPUs)\n"
	    "SOURCE_DATE_EPOCH, if set, is the creation date.\n",
	    CR_MAX_THREADS);
}

static void
cr_free(struct create *c)
{
	size_t	i;

	for (i = 0; i < c->nfiles; i++)
		free(c->files[i].path);
	free(c->files);
	free(c->pieces);
	free(c->outbuf);
	EVP_MD_free(c->sha1);
	if (c->rootfd != -1)
		close(c->rootfd);
}

int
ctl_create(int argc, char **argv)
{
	struct create	 c;
	struct be_buf	 b;
	struct stat	 st;
	uint8_t		 ih[SHA1_LEN];
	char		 hex[2 * SHA1_LEN + 1], e1[CR_ESC_MAX], e2[CR_ESC_MAX];
	char		 h1[32], h2[32];
	int		 r, i;

	memset(&c, 0, sizeof(c));
	c.rootfd = -1;
	be_buf_init(&b);
	if ((r = cr_options(&c, argc, argv)) != 0)
		return r;
	if (c.help) {
		cr_help();
		return 0;
	}
	r = 1;
	if (cr_date(&c) == -1 || cr_scan(&c) == -1)
		goto done;
	if (c.out == NULL) {
		if (asprintf(&c.outbuf, "%s.torrent", c.name) == -1) {
			c.outbuf = NULL;
			cr_warnx("out of memory");
			goto done;
		}
		c.out = c.outbuf;
	}
	/* Early, not to hash for nothing; cr_write() checks again. */
	if (!c.force && fstatat(AT_FDCWD, c.out, &st,
	    AT_SYMLINK_NOFOLLOW) == 0) {
		cr_warnx("%s: exists (-f replaces it)", cr_esc(e1, c.out));
		goto done;
	}
	if (cr_outdir_ok(&c) == -1 || cr_piece_length(&c) == -1)
		goto done;
	if (c.ntrackers == 0)
		cr_warnx("no tracker given: the torrent can only be found "
		    "through magnet peers or DHT");
	if (cr_hash(&c) == -1 || cr_encode(&c, &b, ih) == -1 ||
	    cr_write(&c, b.p, b.len) == -1)
		goto done;
	for (i = 0; i < SHA1_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", ih[i]);
	printf("created %s: %s, %zu file%s, %s, %" PRIu64 " piece%s of %s, "
	    "info-hash %s\n", cr_esc(e1, c.out), cr_esc(e2, c.name), c.nfiles,
	    c.nfiles == 1 ? "" : "s", cr_human(h1, sizeof(h1), c.total),
	    c.npieces, c.npieces == 1 ? "" : "s", cr_human(h2, sizeof(h2),
	    c.piece_len), hex);
	r = 0;
done:
	be_buf_free(&b);
	cr_free(&c);
	return r;
}
