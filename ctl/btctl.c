/*
 * btctl.c -- the administrator's tool: one request to btd over the ctl
 * socket (proto/ctl.proto), one reply, rendered for a person or, with
 * --json, for a script.
 *
 * Each command is a row of cmds[]: its name, how many arguments it
 * takes, the function that builds the CtlRequest and prints the reply,
 * its synopsis and one line of help (both printed by `btctl help`, `-h`
 * and usage errors, and compared with btctl(8) by tests/integration/
 * t_cli.sh), and the options it takes of its own.  Adding a command is
 * adding a row and a function.  Global options (-s, --json, -h,
 * --version) may stand before or after the command; "--" ends them, so
 * that a value may start with '-'.  An option neither global nor the
 * command's own is an error that names the nearest one.
 *
 * Without -s, btctl talks to the btd of the default state dir, or else
 * to the one btd of this user whose pointer (a symlink to its socket,
 * util_pointer_path()) answers; rejected: scanning /proc for btd
 * processes (other users' command lines, and it cannot tell which
 * socket a btd serves).
 *
 * Everything btd sends is text from another process, and the names in
 * it (paths, role implementations, error messages) may come from
 * outside; in plain output it is escaped with esc() before it reaches
 * the terminal: on a UTF-8 terminal valid UTF-8 is shown as it is and
 * only control and bidirectional characters (utf8_unsafe()) and invalid
 * bytes are escaped as \xNN; on any other, every byte outside printable
 * ASCII is.  JSON output escapes by construction.
 *
 * Exit status: 0 done, 1 an error (btd unreachable, a refused request,
 * a broken reply), 2 a usage error found before btd is asked.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "ctl.pb-c.h"
#include "frame.h"
#include "ctl.h"
#include "json.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

#define CTL_TIMEOUT_MS	30000	/* longest wait for btd's reply */
#define CTL_SLOW_MS	150000	/* for add and remove, which wait on roles */
#define CTL_MAXARGS	3	/* most arguments any command takes */
#define CTL_MAXPOINTERS	16	/* btd pointers looked at without -s */
#define HELP_SYN_MAX	38	/* widest synopsis column in btctl help */
#define CTL_LABELS_MAX	32	/* labels a torrent (ctl.proto LabelRequest) */

struct ctl {
	const char	*sock;		/* -s, or the default socket */
	char		 sockbuf[PATH_MAX];
	int		 fd;		/* -1 until connected */
	int		 json;		/* --json */
	int		 timeout_ms;	/* for btd's reply */
	const char	*errprefix;	/* before btd's error text, or NULL */
};

struct cmd {
	const char	*name;
	int		 minargs;
	int		 maxargs;
	int		(*run)(struct ctl *, int, char **);
	const char	*args;		/* for usage, e.g. "KEY VALUE" */
	const char	*argnames[CTL_MAXARGS];	/* for "missing KEY" */
	const char	*help;		/* one line */
	/*
	 * The command's own options, blank-separated; a trailing '=' marks
	 * one that takes a value ("-d= --paused").  NULL: none.
	 */
	const char	*opts;
};

static int	cmd_status(struct ctl *, int, char **);
static int	cmd_get(struct ctl *, int, char **);
static int	cmd_set(struct ctl *, int, char **);
static int	cmd_restart(struct ctl *, int, char **);
static int	cmd_shutdown(struct ctl *, int, char **);
static int	cmd_help(struct ctl *, int, char **);
static int	cmd_add(struct ctl *, int, char **);
static int	cmd_list(struct ctl *, int, char **);
static int	cmd_show(struct ctl *, int, char **);
static int	cmd_files(struct ctl *, int, char **);
static int	cmd_remove(struct ctl *, int, char **);
static int	cmd_trackers(struct ctl *, int, char **);
static int	cmd_pause(struct ctl *, int, char **);
static int	cmd_resume(struct ctl *, int, char **);
static int	cmd_verify(struct ctl *, int, char **);
static int	cmd_move(struct ctl *, int, char **);
static int	cmd_peers(struct ctl *, int, char **);
static int	cmd_set_torrent(struct ctl *, int, char **);
static int	cmd_wait(struct ctl *, int, char **);
static int	cmd_stats(struct ctl *, int, char **);
static int	cmd_version(struct ctl *, int, char **);
static int	cmd_label(struct ctl *, int, char **);
static Btd__CtlReply *show_request(struct ctl *, const char *);
static Btd__CtlReply *show_wait(struct ctl *, const char *, uint32_t, uint32_t,
		    const char *);
static const struct cmd *cmd_lookup(const char *);

static const struct cmd cmds[] = {
	{ "add", 1, 4 + 2 * CTL_LABELS_MAX, cmd_add,
	    "FILE|MAGNET|URL [-d DIR] [--paused] [--label LABEL ...]",
	    { "FILE|MAGNET|URL" },
	    "add a .torrent file, a magnet link or a .torrent's http(s) URL",
	    "-d= --paused --label=" },
	{ "list", 0, 0, cmd_list, "", { NULL },
	    "every torrent: id, state, size, progress, rates, peers, ETA, "
	    "ratio, name", NULL },
	{ "show", 1, 1, cmd_show, "ID", { "ID" },
	    "one torrent in detail", NULL },
	{ "files", 1, 3, cmd_files, "ID [--priority N=PRIO[,N=PRIO...]]",
	    { "ID" },
	    "a torrent's files and their priorities (skip, low, normal, "
	    "high); N a file, A-B or all", "--priority=" },
	{ "remove", 1, 2, cmd_remove, "ID [--delete-data]", { "ID" },
	    "forget a torrent; with --delete-data delete its files too",
	    "--delete-data" },
	{ "trackers", 1, 1, cmd_trackers, "ID", { "ID" },
	    "a torrent's trackers, their results, and its candidate peers",
	    NULL },
	{ "peers", 1, 1, cmd_peers, "ID", { "ID" },
	    "a torrent's connected peers", NULL },
	{ "set-torrent", 3, 3, cmd_set_torrent, "ID KEY VALUE",
	    { "ID", "KEY", "VALUE" },
	    "a torrent's own download-limit, upload-limit (KiB/s), "
	    "peer-limit, sequential (on, off), seed-ratio-limit, "
	    "seed-idle-limit (minutes), seed-ratio-mode, seed-idle-mode "
	    "(global, own, unlimited)", NULL },
	{ "label", 1, 1 + CTL_LABELS_MAX + 1, cmd_label,
	    "ID [LABEL ...] [--clear]", { "ID" },
	    "set a torrent's labels (they replace its own), or clear them; "
	    "with none given, show them", "--clear" },
	{ "pause", 1, 1, cmd_pause, "ID", { "ID" },
	    "stop a torrent: no peers, no announces, files left as they are",
	    NULL },
	{ "resume", 1, 1, cmd_resume, "ID", { "ID" },
	    "start a paused torrent, or retry one in error; it is checked "
	    "first", NULL },
	{ "verify", 1, 2, cmd_verify, "ID [--wait]", { "ID" },
	    "hash every piece again; pieces found bad are downloaded again",
	    "--wait" },
	{ "move", 2, 3, cmd_move, "ID DIR [--wait]", { "ID", "DIR" },
	    "move a torrent's data to another download directory",
	    "--wait" },
	{ "wait", 1, 3, cmd_wait, "ID [--timeout SECONDS]", { "ID" },
	    "wait until a torrent is complete, showing its progress",
	    "--timeout=" },
	{ "stats", 0, 0, cmd_stats, "", { NULL },
	    "session totals: bytes, rates, torrents, peers", NULL },
	{ "create", 0, 0, NULL, CTL_CREATE_SYNOPSIS, { NULL },
	    "make a .torrent of a file or directory (no daemon needed)",
	    NULL },
	{ "status", 0, 0, cmd_status, "", { NULL },
	    "btd and each role: pid, state, uptime, restarts, confinement",
	    NULL },
	{ "get", 0, 1, cmd_get, "[KEY]", { "KEY" },
	    "settings, or one, with where each value comes from", NULL },
	{ "set", 2, 2, cmd_set, "KEY VALUE", { "KEY", "VALUE" },
	    "change a runtime setting; btd keeps it across restarts", NULL },
	{ "restart", 1, 1, cmd_restart, "ROLE", { "ROLE" },
	    "restart trackerd, peerd, stored, metad or rpcd now", NULL },
	{ "shutdown", 0, 0, cmd_shutdown, "", { NULL },
	    "stop every role, then btd", NULL },
	{ "version", 0, 0, cmd_version, "", { NULL },
	    "btctl's version (btd's is in status)", NULL },
	{ "help", 0, 1, cmd_help, "[COMMAND]", { "COMMAND" },
	    "this help, or one command's usage", NULL },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static const char	*usage_opts = "[-s socket] [--json]";
/* The options every command takes (for "did you mean"). */
static const char *const global_opts[] = {
	"-s", "--json", "-h", "--help", "--version"
};
#define NGLOBAL	(sizeof(global_opts) / sizeof(global_opts[0]))
static int		 utf8_term;	/* the terminal shows UTF-8 */
static char		 outbuf[64 * 1024];	/* stdout's, when no tty: glibc
					   sizes its own by st_blksize */

static void	vwarnline(const char *, va_list)
		    __attribute__((format(printf, 1, 0)));
static void	errorx(int, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));
static void	usage_error(const struct cmd *, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));

/* One line on stderr, after whatever stdout holds. */
static void
vwarnline(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("btctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void
errorx(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vwarnline(fmt, ap);
	va_end(ap);
	exit(status);
}

/* create needs no daemon and takes none of the global options. */
static void
print_usage(FILE *fp, const struct cmd *c)
{
	if (c == NULL)
		fprintf(fp, "usage: btctl %s command [argument ...]\n"
		    "       btctl create %s\n"
		    "       btctl --version\n", usage_opts,
		    CTL_CREATE_SYNOPSIS);
	else
		fprintf(fp, "usage: btctl %s%s%s%s%s\n", c->run != NULL ?
		    usage_opts : "", c->run != NULL ? " " : "", c->name,
		    c->args[0] != '\0' ? " " : "", c->args);
}

/* A mistake on the command line: say what, show the usage, exit 2. */
static void
usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vwarnline(fmt, ap);
	va_end(ap);
	print_usage(stderr, c);
	exit(2);
}

static void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		errorx(1, "out of memory");
	return p;
}

/*
 * btd's replies are unpacked into an arena: a list of 10,000 torrents is
 * some 100,000 small allocations, most of its cost with malloc.  Freeing
 * a reply frees nothing; the arena goes when no reply is left.
 */
#define RARENA_CHUNK	(1024 * 1024)
#define RARENA_GROWTH	5	/* unpacked bytes a packed byte, at most
				   about (a list's summaries: 4.1) */

struct rchunk {
	struct rchunk	*next;
	size_t		 used, cap;
	size_t		 mapped;	/* bytes mapped by rarena_reserve(), or 0
					   for a chunk from malloc */
	unsigned char	 mem[];
};

static struct rchunk	*rarena;
static int		 replies_live;

static void *
rarena_alloc(void *arg, size_t n)
{
	struct rchunk	*c = rarena;
	size_t		 cap;
	void		*p;

	(void)arg;
	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > RARENA_CHUNK ? n : RARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->next = rarena;
		c->used = 0;
		c->cap = cap;
		c->mapped = 0;
		rarena = c;
	}
	p = c->mem + c->used;
	c->used += n;
	return p;
}

/*
 * Before a large reply is unpacked: one chunk of about what it will
 * take (util_bigmem()).  A list of 10,000 torrents unpacks into some
 * 6 MB, and taking it a page fault at a time was a quarter of btctl's
 * time.  A failure leaves the 1 MiB chunks.
 */
static void
rarena_reserve(size_t n)
{
	struct rchunk	*c;
	size_t		 len = sizeof(*c) + n;

	if ((c = util_bigmem(&len)) == NULL)
		return;
	c->next = rarena;
	c->used = 0;
	c->cap = len - sizeof(*c);
	c->mapped = len;
	rarena = c;
}

static void
rarena_free(void *arg, void *p)
{
	(void)arg;
	(void)p;
}

static ProtobufCAllocator reply_alloc = { rarena_alloc, rarena_free, NULL };

static void
reply_free(Btd__CtlReply *rep)
{
	struct rchunk	*c;

	if (rep == NULL)
		return;
	if (--replies_live > 0)
		return;
	while ((c = rarena) != NULL) {
		rarena = c->next;
		if (c->mapped > 0)
			util_bigmem_free(c, c->mapped);
		else
			free(c);
	}
}

/* A formatted number for people: "1023.9 PiB/s", "12345d23h". */
#define FMT_MAX	48

static char *
xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r == -1)
		errorx(1, "out of memory");
	return s;
}

/*
 * Outside text made printable, in memory from malloc; NULL is "".  On a
 * UTF-8 terminal a well-formed character is shown as it is unless it is
 * a control or bidirectional one; every other byte is \xNN, and so are
 * '\\' and '"' (as log_escape() does), so what is shown is unambiguous.
 */
static size_t
esc_into(char *d, const char *s, size_t len)
{
	size_t		 i = 0, o = 0, k;
	uint32_t	 cp;
	int		 n;

	if (!utf8_term)
		return strlen(log_escape(d, 4 * len + 1, s, len));
	while (i < len) {
		n = utf8_decode((const uint8_t *)s + i, len - i, &cp);
		if (n > 1 && !utf8_unsafe(cp)) {
			memcpy(d + o, s + i, (size_t)n);
			o += (size_t)n;
			i += (size_t)n;
			continue;
		}
		if (n == 1 && cp >= 0x20 && cp < 0x7f && cp != '\\' &&
		    cp != '"') {
			d[o++] = s[i++];
			continue;
		}
		for (k = n > 0 ? (size_t)n : 1; k > 0; k--, i++, o += 4)
			snprintf(d + o, 5, "\\x%02x", (unsigned char)s[i]);
	}
	d[o] = '\0';
	return o;
}

static char *
esc(const char *s)
{
	size_t	 len = s != NULL ? strlen(s) : 0;
	char	*d;

	d = xmalloc(4 * len + 1);	/* each byte at worst \xNN */
	(void)esc_into(d, s != NULL ? s : "", len);
	return d;
}

/* Terminal columns of s, which esc() made printable. */
static size_t
text_width(const char *s)
{
	size_t		 len, i = 0, w = 0;
	uint32_t	 cp;
	int		 n, cw;

	for (len = 0; s[len] != '\0'; len++)
		if ((unsigned char)s[len] >= 0x80)
			break;
	if (s[len] == '\0')
		return len;	/* ASCII: a column a byte */
	len += strlen(s + len);
	while (i < len) {
		n = utf8_decode((const uint8_t *)s + i, len - i, &cp);
		if (n <= 0)
			n = 1;
		cw = n > 1 ? wcwidth((wchar_t)cp) : 1;
		w += cw >= 0 ? (size_t)cw : 1;
		i += (size_t)n;
	}
	return w;
}

/* 45s, 3m12s, 2h05m, 3d04h */
static void
duration_fmt(char b[FMT_MAX], uint64_t s)
{
	unsigned long long	v = s;

	if (v < 60)
		snprintf(b, FMT_MAX, "%llus", v);
	else if (v < 3600)
		snprintf(b, FMT_MAX, "%llum%02llus", v / 60, v % 60);
	else if (v < 86400)
		snprintf(b, FMT_MAX, "%lluh%02llum", v / 3600, v % 3600 / 60);
	else
		snprintf(b, FMT_MAX, "%llud%02lluh", v / 86400,
		    v % 86400 / 3600);
}

static char *
duration(uint64_t s)
{
	char	b[FMT_MAX];

	duration_fmt(b, s);
	return xasprintf("%s", b);
}

/*
 * Print rows of cells in columns two spaces apart; the last column is
 * not padded.
 */
static void
table_write(char *const *cell, size_t nrows, size_t ncols)
{
	static const char spaces[64] = "                                "
	    "                                ";
	size_t	width[16] = { 0 }, r, c, n, pad, *w;

	if (ncols > sizeof(width) / sizeof(width[0]))
		errorx(1, "table too wide");
	w = xmalloc(nrows * ncols * sizeof(*w));
	for (r = 0; r < nrows; r++)
		for (c = 0; c < ncols; c++)
			if ((w[r * ncols + c] = text_width(cell[r * ncols +
			    c])) > width[c])
				width[c] = w[r * ncols + c];
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			fputs_unlocked(cell[r * ncols + c], stdout);
			if (c + 1 == ncols) {
				putc_unlocked('\n', stdout);
				break;
			}
			for (pad = width[c] - w[r * ncols + c] + 2; pad > 0;
			    pad -= n) {
				n = pad < sizeof(spaces) ? pad : sizeof(spaces);
				fwrite_unlocked(spaces, 1, n, stdout);
			}
		}
	}
	free(w);
}

/* table_write(), then free the cells. */
static void
table_print(char **cell, size_t nrows, size_t ncols)
{
	size_t	i;

	table_write(cell, nrows, ncols);
	for (i = 0; i < nrows * ncols; i++)
		free(cell[i]);
}

/*
 * The cells of a long table in one buffer: a list of 10,000 torrents is
 * 100,000 cells, and a malloc and a free each were much of its time.
 * Cells are kept as offsets while the buffer grows; cells_done() makes
 * them pointers for table_write().
 */
struct cells {
	char	*buf;
	size_t	 len, cap;
	size_t	*off;
	size_t	 n, ncap;
};

/* Room for n more bytes and a NUL at the end of the buffer. */
static char *
cells_room(struct cells *cs, size_t n)
{
	size_t	cap;

	if (cs->cap - cs->len < n + 1) {
		for (cap = cs->cap ? cs->cap : 4096; cap - cs->len < n + 1;)
			cap *= 2;
		if ((cs->buf = realloc(cs->buf, cap)) == NULL)
			errorx(1, "out of memory");
		cs->cap = cap;
	}
	return cs->buf + cs->len;
}

/* The cell of the n bytes just written at cells_room(). */
static void
cells_end(struct cells *cs, size_t n)
{
	if (cs->n == cs->ncap) {
		cs->ncap = cs->ncap ? 2 * cs->ncap : 256;
		if ((cs->off = reallocarray(cs->off, cs->ncap,
		    sizeof(*cs->off))) == NULL)
			errorx(1, "out of memory");
	}
	cs->off[cs->n++] = cs->len;
	cs->buf[cs->len + n] = '\0';
	cs->len += n + 1;
}

static void
cells_put(struct cells *cs, const char *s)
{
	size_t	n = strlen(s);

	memcpy(cells_room(cs, n), s, n);
	cells_end(cs, n);
}

/* Outside text, made printable as esc() does. */
static void
cells_esc(struct cells *cs, const char *s)
{
	size_t	len = s != NULL ? strlen(s) : 0;
	char	*d;

	d = cells_room(cs, 4 * len);
	cells_end(cs, esc_into(d, s != NULL ? s : "", len));
}

/* The cells as pointers (from malloc); the buffer stays cs's. */
static char **
cells_done(struct cells *cs)
{
	char	**p;
	size_t	  i;

	p = xmalloc((cs->n + 1) * sizeof(*p));
	for (i = 0; i < cs->n; i++)
		p[i] = cs->buf + cs->off[i];
	return p;
}

static void
cells_free(struct cells *cs)
{
	free(cs->buf);
	free(cs->off);
	memset(cs, 0, sizeof(*cs));
}

static void
json_done(struct json *j)
{
	if (json_finish(j) == -1)
		errorx(1, "cannot write output: %s", strerror(errno));
}

/* A connected socket to path, or -1 with errno set. */
static int
sock_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, save;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		save = errno;
		close(fd);
		errno = save;
		return -1;
	}
	return fd;
}

/*
 * Without -s and no btd on the default socket: the btds of this user
 * that left a pointer in the runtime dir and answer.  Exactly one: use
 * it; several: name them and stop.  0 if one was found, -1 if none.
 */
static int
ctl_find_pointer(struct ctl *ctl)
{
	char		 dir[PATH_MAX], link[PATH_MAX + 300];
	char		 found[CTL_MAXPOINTERS][PATH_MAX], *e, *list = NULL;
	struct dirent	*de;
	struct stat	 sb;
	ssize_t		 n;
	size_t		 nfound = 0, i, len;
	DIR		*d;
	int		 fd, fds[CTL_MAXPOINTERS];

	if (util_runtime_dir(dir, sizeof(dir)) == -1 ||
	    (d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && nfound < CTL_MAXPOINTERS) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".sock") != 0)
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		/* Only this user's pointers. */
		if (lstat(link, &sb) == -1 || !S_ISLNK(sb.st_mode) ||
		    sb.st_uid != geteuid())
			continue;
		n = readlink(link, found[nfound], sizeof(found[0]) - 1);
		if (n <= 0)
			continue;
		found[nfound][n] = '\0';
		if ((fd = sock_connect(found[nfound])) == -1)
			continue;	/* a btd that did not stop cleanly */
		fds[nfound++] = fd;
	}
	closedir(d);
	if (nfound == 0)
		return -1;
	if (nfound == 1) {
		snprintf(ctl->sockbuf, sizeof(ctl->sockbuf), "%s", found[0]);
		ctl->sock = ctl->sockbuf;
		ctl->fd = fds[0];
		return 0;
	}
	for (i = 0; i < nfound; i++) {
		char *prev = list;

		close(fds[i]);
		e = esc(found[i]);
		list = xasprintf("%s%s%s", prev != NULL ? prev : "",
		    prev != NULL ? ", " : "", e);
		free(prev);
		free(e);
	}
	errorx(1, "%zu btd are running for this user (%s): name one with -s",
	    nfound, list != NULL ? list : "?");
}

/*
 * Connect to btd's ctl socket; -s names it, else btd's default for
 * this user, else the one btd of this user started with another -S.
 */
static void
ctl_connect(struct ctl *ctl)
{
	const char		*hint = "";
	char			*path;
	int			 fd, dflt = 0, err;

	if (ctl->sock == NULL) {
		if (util_default_socket(ctl->sockbuf,
		    sizeof(ctl->sockbuf)) == -1)
			errorx(1, "cannot find btd's socket: %s (name it "
			    "with -s)", errno == ENOENT ? "neither "
			    "XDG_STATE_HOME nor HOME is set" : strerror(errno));
		ctl->sock = ctl->sockbuf;
		dflt = 1;
	}
	if ((fd = sock_connect(ctl->sock)) != -1) {
		ctl->fd = fd;
		return;
	}
	if (dflt && (errno == ENOENT || errno == ECONNREFUSED)) {
		char saved[PATH_MAX];
		int  save = errno;

		snprintf(saved, sizeof(saved), "%s", ctl->sock);
		if (ctl_find_pointer(ctl) == 0)
			return;
		snprintf(ctl->sockbuf, sizeof(ctl->sockbuf), "%s", saved);
		ctl->sock = ctl->sockbuf;
		errno = save;
	}
	err = errno;
	path = esc(ctl->sock);
	if (err == ENAMETOOLONG)
		errorx(1, "socket path too long: %s", path);
	if (err == ENOENT || err == ECONNREFUSED)
		hint = dflt ? " (is btd running? A btd started with -S DIR "
		    "is reached with -s DIR/btd.sock)" : " (is btd running?)";
	else if (err == EACCES || err == EPERM)
		hint = " (btd serves its own user and root only)";
	errorx(1, "cannot reach btd at %s: %s%s", path, strerror(err), hint);
}

/*
 * Send one request and return btd's reply, which must be ok and carry
 * the body want (any body when want is NOT_SET).  Every failure ends
 * btctl with a message.  The reply is freed by the caller with
 * reply_free().
 */
static Btd__CtlReply *
transact(struct ctl *ctl, const Btd__CtlRequest *req,
    Btd__CtlReply__BodyCase want)
{
	Btd__CtlReply	*rep;
	uint8_t		*buf;
	size_t		 len;
	char		*e;
	int		 r;

	if (ctl->fd == -1)
		ctl_connect(ctl);
	len = btd__ctl_request__get_packed_size(req);
	buf = xmalloc(len);
	btd__ctl_request__pack(req, buf);
	if (frame_write(ctl->fd, buf, len, -1) == -1)
		errorx(1, "cannot send to btd: %s", strerror(errno));
	free(buf);

	r = frame_read(ctl->fd, FRAME_MAX_CTLREP, ctl->timeout_ms, &buf, &len);
	if (r == 0)
		errorx(1, "btd closed the connection without replying");
	if (r == -1) {
		if (errno == ETIMEDOUT)
			errorx(1, "no reply from btd within %d seconds",
			    ctl->timeout_ms / 1000);
		if (errno == EMSGSIZE)
			errorx(1, "btd's reply is larger than %u bytes",
			    FRAME_MAX_CTLREP);
		if (errno == EPROTO)
			errorx(1, "btd closed the connection in the middle "
			    "of its reply");
		errorx(1, "cannot read btd's reply: %s", strerror(errno));
	}
	if (len >= RARENA_CHUNK && len <= SIZE_MAX / RARENA_GROWTH)
		rarena_reserve(len * RARENA_GROWTH);
	rep = btd__ctl_reply__unpack(&reply_alloc, len, buf);
	free(buf);
	if (rep == NULL)
		errorx(1, "btd's reply does not decode");
	replies_live++;
	if (!rep->ok) {
		e = esc(rep->error != NULL && rep->error[0] != '\0' ?
		    rep->error : "btd refused the request");
		reply_free(rep);
		errorx(1, "%s%s", ctl->errprefix != NULL ? ctl->errprefix : "",
		    e);
	}
	if (want != BTD__CTL_REPLY__BODY__NOT_SET && (rep->body_case != want ||
	    (want == BTD__CTL_REPLY__BODY_STATUS && rep->status == NULL) ||
	    (want == BTD__CTL_REPLY__BODY_SETTINGS && rep->settings == NULL))) {
		reply_free(rep);
		errorx(1, "unexpected reply from btd");
	}
	return rep;
}

/* status */

/* "nnp landlock:7 seccomp:stored uid:61003 netns", or "none". */
static char *
confinement_str(const Btd__Confinement *c)
{
	struct passwd	*pw;
	struct group	*gr;
	char		*s, *pol;
	size_t		 len;
	FILE		*fp;

	if (c == NULL)
		return xasprintf("-");
	if ((fp = open_memstream(&s, &len)) == NULL)
		errorx(1, "out of memory");
	if (c->no_new_privs)
		fputs(" nnp", fp);
	if (c->landlock_abi > 0)
		fprintf(fp, " landlock:%u", c->landlock_abi);
	if (c->seccomp) {
		pol = esc(c->seccomp_policy);
		fprintf(fp, " seccomp%s%s", pol[0] != '\0' ? ":" : "", pol);
		free(pol);
	}
	if (c->exec_refused)
		fputs(" noexec", fp);
	/* The names are this machine's, where btctl runs beside btd. */
	pw = getpwuid((uid_t)c->uid);
	pol = esc(pw != NULL ? pw->pw_name : NULL);
	fprintf(fp, " uid:%u%s%s%s", c->uid, pol[0] ? "(" : "", pol,
	    pol[0] ? ")" : "");
	free(pol);
	if (c->gid != c->uid && (pw == NULL || pw->pw_gid != c->gid)) {
		gr = getgrgid((gid_t)c->gid);
		pol = esc(gr != NULL ? gr->gr_name : NULL);
		fprintf(fp, " gid:%u%s%s%s", c->gid, pol[0] ? "(" : "", pol,
		    pol[0] ? ")" : "");
		free(pol);
	}
	if (c->netns)
		fputs(" netns", fp);
	if (fclose(fp) == EOF)
		errorx(1, "out of memory");
	/* Every form starts with a space; drop it. */
	memmove(s, s + 1, len);
	return s;
}

static char	*size_str(uint64_t);

/* stored's block cache, one line: how full, hit rate, coalesced writes. */
static void
cache_plain(const Btd__StoredStats *c)
{
	char		*used, *bound, *wr;
	uint64_t	 reads = c->read_hits + c->read_misses;

	if (c->cache_size == 0) {
		printf("stored cache: off\n");
		return;
	}
	used = size_str(c->cache_used);
	bound = size_str(c->cache_size);
	wr = size_str(c->coalesced);
	printf("stored cache: %s of %s, upload reads %llu hits %llu misses "
	    "(%.1f%%), %s written in %llu writes\n", used, bound,
	    (unsigned long long)c->read_hits,
	    (unsigned long long)c->read_misses,
	    reads > 0 ? 100.0 * (double)c->read_hits / (double)reads : 0.0,
	    wr, (unsigned long long)c->writes);
	free(used);
	free(bound);
	free(wr);
}

static void
status_plain(const Btd__StatusReply *st)
{
	static const char *const head[] = { "ROLE", "PID", "STATE", "UPTIME",
	    "RESTARTS", "CONFINEMENT", "LAST-EXIT" };
	const size_t	 ncols = sizeof(head) / sizeof(head[0]);
	char		**cell, *ver, *dir, *up, *s, *peer;
	size_t		 i, k, c;

	ver = esc(st->version);
	dir = esc(st->state_dir);
	up = duration(st->uptime);
	printf("btd %s, pid %d, up %s, state %s, protocol %u.%u\n",
	    ver[0] != '\0' ? ver : "?", st->pid, up, dir, st->proto_major,
	    st->proto_minor);
	free(ver);
	free(dir);
	free(up);
	if (st->cache != NULL)
		cache_plain(st->cache);
	if (st->n_roles == 0)
		return;

	cell = xmalloc((st->n_roles + 1) * ncols * sizeof(*cell));
	for (c = 0; c < ncols; c++)
		cell[c] = xasprintf("%s", head[c]);
	for (i = 0; i < st->n_roles; i++) {
		const Btd__RoleStatus	*r = st->roles[i];
		char			**row = cell + (i + 1) * ncols;

		row[0] = esc(r->name);
		row[1] = r->pid > 0 ? xasprintf("%d", r->pid) :
		    xasprintf("-");
		s = esc(r->state);
		if (r->next_start > 0 && strcmp(r->state, "backoff") == 0) {
			up = duration(r->next_start);
			row[2] = xasprintf("%s %s", s, up);
			free(up);
			free(s);
		} else
			row[2] = s;
		row[3] = r->pid > 0 ? duration(r->uptime) : xasprintf("-");
		row[4] = xasprintf("%u", r->restarts);
		row[5] = confinement_str(r->confinement);
		row[6] = r->last_exit != NULL && r->last_exit[0] != '\0' ?
		    esc(r->last_exit) : xasprintf("-");
	}
	table_print(cell, st->n_roles + 1, ncols);
	free(cell);

	for (i = 0; i < st->n_roles; i++) {
		const Btd__RoleStatus *r = st->roles[i];

		s = esc(r->name);
		printf("  %s links:", s);
		free(s);
		if (r->n_links == 0)
			printf(" none");
		for (k = 0; k < r->n_links; k++) {
			const Btd__LinkStatus *l = r->links[k];

			peer = esc(l->peer);
			printf("%s %s %s (gen %llu)", k > 0 ? "," : "", peer,
			    l->up ? "up" : "down",
			    (unsigned long long)l->generation);
			free(peer);
		}
		printf("\n");
		if (r->confinement != NULL) {
			s = esc(r->name);
			peer = esc(r->confinement->landlock);
			printf("  %s landlock: %s\n", s, peer);
			free(peer);
			peer = esc(r->confinement->seccomp_rules);
			printf("  %s seccomp: %s\n", s, peer);
			free(peer);
			free(s);
		}
	}
}

static void
confinement_json(struct json *j, const Btd__Confinement *c)
{
	if (c == NULL) {
		json_str(j, "confinement", NULL);
		return;
	}
	json_obj_open(j, "confinement");
	json_bool(j, "no_new_privs", c->no_new_privs);
	json_uint(j, "landlock_abi", c->landlock_abi);
	json_str(j, "landlock", c->landlock);
	json_bool(j, "seccomp", c->seccomp);
	json_str(j, "seccomp_policy", c->seccomp_policy);
	json_uint(j, "uid", c->uid);
	json_uint(j, "gid", c->gid);
	json_bool(j, "netns", c->netns);
	json_str(j, "rlimits", c->rlimits);
	json_str(j, "seccomp_rules", c->seccomp_rules);
	json_bool(j, "exec_refused", c->exec_refused);
	json_uint(j, "landlock_kernel_abi", c->landlock_kernel_abi);
	json_obj_close(j);
}

static void
status_json(const Btd__StatusReply *st)
{
	struct json	j;
	char		proto[32];
	size_t		i, k;

	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_int(&j, "pid", st->pid);
	json_str(&j, "version", st->version);
	json_uint(&j, "uptime", st->uptime);
	json_str(&j, "state_dir", st->state_dir);
	snprintf(proto, sizeof(proto), "%u.%u", st->proto_major,
	    st->proto_minor);
	json_str(&j, "protocol", proto);
	if (st->cache != NULL) {
		const Btd__StoredStats *c = st->cache;

		json_obj_open(&j, "cache");
		json_uint(&j, "read_hits", c->read_hits);
		json_uint(&j, "read_misses", c->read_misses);
		json_uint(&j, "coalesced", c->coalesced);
		json_uint(&j, "writes", c->writes);
		json_uint(&j, "used", c->cache_used);
		json_uint(&j, "size", c->cache_size);
		json_uint(&j, "written", c->written);
		json_uint(&j, "readback", c->readback);
		json_uint(&j, "read", c->read);
		json_obj_close(&j);
	}
	json_arr_open(&j, "roles");
	for (i = 0; i < st->n_roles; i++) {
		const Btd__RoleStatus *r = st->roles[i];

		json_obj_open(&j, NULL);
		json_str(&j, "name", r->name);
		json_str(&j, "exec", r->exec);
		json_int(&j, "pid", r->pid);
		json_str(&j, "state", r->state);
		json_uint(&j, "uptime", r->uptime);
		json_uint(&j, "restarts", r->restarts);
		json_str(&j, "last_exit", r->last_exit);
		json_str(&j, "impl_name", r->impl_name);
		json_str(&j, "impl_version", r->impl_version);
		json_uint(&j, "next_start", r->next_start);
		confinement_json(&j, r->confinement);
		json_arr_open(&j, "links");
		for (k = 0; k < r->n_links; k++) {
			json_obj_open(&j, NULL);
			json_str(&j, "peer", r->links[k]->peer);
			json_bool(&j, "up", r->links[k]->up);
			json_uint(&j, "generation", r->links[k]->generation);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	json_done(&j);
}

static int
cmd_status(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__StatusRequest	 sr = BTD__STATUS_REQUEST__INIT;
	Btd__CtlReply		*rep;

	(void)argc;
	(void)argv;
	req.body_case = BTD__CTL_REQUEST__BODY_STATUS;
	req.status = &sr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_STATUS);
	if (ctl->json)
		status_json(rep->status);
	else
		status_plain(rep->status);
	reply_free(rep);
	return 0;
}

/* get, set */

/* "key = value  (source)", keys and values in aligned columns. */
static void
settings_plain(const Btd__SettingsReply *sr)
{
	char	**cell;
	size_t	  i, n, kw = 0, vw = 0;

	cell = xmalloc((sr->n_settings * 3 + 1) * sizeof(*cell));
	for (i = 0; i < sr->n_settings; i++) {
		cell[i * 3] = esc(sr->settings[i]->key);
		cell[i * 3 + 1] = esc(sr->settings[i]->value);
		cell[i * 3 + 2] = esc(sr->settings[i]->source);
		if ((n = strlen(cell[i * 3])) > kw)
			kw = n;
		if ((n = strlen(cell[i * 3 + 1])) > vw)
			vw = n;
	}
	for (i = 0; i < sr->n_settings; i++) {
		printf("%-*s = %-*s  (%s)\n", (int)kw, cell[i * 3], (int)vw,
		    cell[i * 3 + 1], cell[i * 3 + 2]);
		free(cell[i * 3]);
		free(cell[i * 3 + 1]);
		free(cell[i * 3 + 2]);
	}
	free(cell);
}

static void
settings_json(const Btd__SettingsReply *sr)
{
	struct json	j;
	size_t		i;

	json_init(&j, stdout);
	json_obj_open(&j, NULL);
	json_arr_open(&j, "settings");
	for (i = 0; i < sr->n_settings; i++) {
		json_obj_open(&j, NULL);
		json_str(&j, "key", sr->settings[i]->key);
		json_str(&j, "value", sr->settings[i]->value);
		json_str(&j, "source", sr->settings[i]->source);
		json_str(&j, "description", sr->settings[i]->description);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	json_done(&j);
}

static int
settings_print(struct ctl *ctl, Btd__CtlReply *rep)
{
	if (ctl->json)
		settings_json(rep->settings);
	else
		settings_plain(rep->settings);
	reply_free(rep);
	return 0;
}

static int
cmd_get(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest	req = BTD__CTL_REQUEST__INIT;
	Btd__GetRequest	gr;

	/* The generated *_INIT of a message with strings casts away const. */
	btd__get_request__init(&gr);
	if (argc > 0)
		gr.key = argv[0];
	req.body_case = BTD__CTL_REQUEST__BODY_GET;
	req.get = &gr;
	return settings_print(ctl,
	    transact(ctl, &req, BTD__CTL_REPLY__BODY_SETTINGS));
}

static int
cmd_set(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest	req = BTD__CTL_REQUEST__INIT;
	Btd__SetRequest	sr;

	btd__set_request__init(&sr);
	(void)argc;
	sr.key = argv[0];
	sr.value = argv[1];
	req.body_case = BTD__CTL_REQUEST__BODY_SET;
	req.set = &sr;
	return settings_print(ctl,
	    transact(ctl, &req, BTD__CTL_REPLY__BODY_SETTINGS));
}

/* set-torrent: a torrent's own limits */

static void
limits_plain(const Btd__TorrentLimits *l, const char *indent)
{
	if (l->download_limit)
		printf("%sdownload-limit  %llu KiB/s\n", indent,
		    (unsigned long long)l->download_limit);
	else
		printf("%sdownload-limit  unlimited\n", indent);
	if (l->upload_limit)
		printf("%supload-limit    %llu KiB/s\n", indent,
		    (unsigned long long)l->upload_limit);
	else
		printf("%supload-limit    unlimited\n", indent);
	if (l->peer_limit)
		printf("%speer-limit      %u\n", indent, l->peer_limit);
	else
		printf("%speer-limit      peer_limit_per_torrent\n", indent);
	printf("%ssequential      %s\n", indent, l->sequential ? "on" : "off");
}

static void
limits_json(struct json *j, const Btd__TorrentLimits *l)
{
	json_uint(j, "download_limit", l->download_limit);
	json_uint(j, "upload_limit", l->upload_limit);
	json_uint(j, "peer_limit", l->peer_limit);
	json_bool(j, "sequential", l->sequential);
}

static int
cmd_set_torrent(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__SetTorrentRequest	 sr = BTD__SET_TORRENT_REQUEST__INIT;
	Btd__CtlReply		*rep;
	struct json		 j;

	(void)argc;
	sr.id = argv[0];
	sr.key = argv[1];
	sr.value = argv[2];
	req.body_case = BTD__CTL_REQUEST__BODY_SET_TORRENT;
	req.set_torrent = &sr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_LIMITS);
	if (rep->limits == NULL)
		errorx(1, "unexpected reply from btd");
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		limits_json(&j, rep->limits);
		json_obj_close(&j);
		json_done(&j);
	} else
		limits_plain(rep->limits, "");
	reply_free(rep);
	return 0;
}

/* restart, shutdown */

/* The reply carries nothing but ok. */
static int
done_print(struct ctl *ctl, Btd__CtlReply *rep, const char *what)
{
	struct json	j;

	reply_free(rep);
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_bool(&j, "ok", 1);
		json_obj_close(&j);
		json_done(&j);
	} else
		printf("%s\n", what);
	return 0;
}

static int
cmd_restart(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__RestartRequest	 rr;
	char			*msg, *e;
	int			 r;

	btd__restart_request__init(&rr);
	(void)argc;
	if (util_role_by_name(argv[0]) == 0) {
		e = esc(argv[0]);
		usage_error(cmd_lookup("restart"), "restart: unknown role '%s' "
		    "(trackerd, peerd, stored, metad, rpcd)", e);
	}
	rr.role = argv[0];
	req.body_case = BTD__CTL_REQUEST__BODY_RESTART;
	req.restart = &rr;
	msg = xasprintf("restarting %s", argv[0]);
	r = done_print(ctl, transact(ctl, &req, BTD__CTL_REPLY__BODY__NOT_SET),
	    msg);
	free(msg);
	return r;
}

static int
cmd_shutdown(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		req = BTD__CTL_REQUEST__INIT;
	Btd__ShutdownRequest	sr = BTD__SHUTDOWN_REQUEST__INIT;

	(void)argc;
	(void)argv;
	req.body_case = BTD__CTL_REQUEST__BODY_SHUTDOWN;
	req.shutdown = &sr;
	return done_print(ctl,
	    transact(ctl, &req, BTD__CTL_REPLY__BODY__NOT_SET),
	    "btd is shutting down");
}

/* torrents */

#define TORRENT_MAX	(10U << 20)	/* bytes of a .torrent (metad's bound) */

/* 1.5 MiB */
static void
size_fmt(char b[FMT_MAX], uint64_t n)
{
	const char	*unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double		 v = (double)n;
	int		 u = 0;

	if (n < 1024) {
		snprintf(b, FMT_MAX, "%llu B", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(b, FMT_MAX, "%.1f %s", v, unit[u]);
}

static char *
size_str(uint64_t n)
{
	char	b[FMT_MAX];

	size_fmt(b, n);
	return xasprintf("%s", b);
}

/*
 * An absolute, normalised directory path from what the user typed:
 * relative to the current directory, with ".", ".." and repeated
 * slashes resolved by name (the directory need not exist yet).
 */
static char *
abs_dir(const char *in)
{
	char	 cwd[PATH_MAX], *joined, *out, *tok, *save, *p;
	size_t	 n;

	if (in[0] == '/')
		joined = xasprintf("%s", in);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			errorx(1, "add: cannot find the current directory: %s",
			    strerror(errno));
		joined = xasprintf("%s/%s", cwd, in);
	}
	out = xmalloc(strlen(joined) + 2);
	out[0] = '\0';
	for (tok = strtok_r(joined, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if ((p = strrchr(out, '/')) != NULL)
				*p = '\0';
			continue;
		}
		n = strlen(out);
		out[n] = '/';
		strcpy(out + n + 1, tok);
	}
	if (out[0] == '\0')
		strcpy(out, "/");
	free(joined);
	return out;
}

/* Read a .torrent file whole, refusing one over the bound. */
static uint8_t *
read_torrent(const char *path, size_t *len)
{
	struct stat	 sb;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	char		*e = esc(path);
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		errorx(1, "add: %s: %s", e, strerror(errno));
	if (fstat(fd, &sb) == -1)
		errorx(1, "add: %s: %s", e, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		errorx(1, "add: %s: not a regular file", e);
	if ((uint64_t)sb.st_size > TORRENT_MAX)
		errorx(1, "add: %s: torrent is %lld bytes; the limit is %u MiB",
		    e, (long long)sb.st_size, TORRENT_MAX >> 20);
	buf = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			errorx(1, "add: %s: %s", e, n == 0 ? "file shrank "
			    "while reading" : strerror(errno));
		got += (size_t)n;
	}
	close(fd);
	free(e);
	*len = got;
	return buf;
}

/*
 * The state for people: a magnet fetching its metadata says how many
 * peers offer it.
 */
static char *
state_str(const Btd__TorrentSummary *s)
{
	char *e = esc(s->state), *r;

	if (strcmp(s->state, "moving") == 0 && s->move != NULL &&
	    s->move->total > 0) {
		r = xasprintf("%s %.0f%%", e, 100.0 * (double)s->move->done /
		    (double)s->move->total);
		free(e);
		return r;
	}
	if (s->has_metadata || strcmp(s->state, "fetching metadata") != 0)
		return e;
	r = xasprintf("%s (%u peer%s)", e, s->metadata_peers,
	    s->metadata_peers == 1 ? "" : "s");
	free(e);
	return r;
}

/* A move's status: "move": {to, done, total, result, failed, moves}. */
static void
move_json(struct json *j, const Btd__MoveStatus *m)
{
	json_obj_open(j, "move");
	json_str(j, "to", m->to);
	json_uint(j, "done", m->done);
	json_uint(j, "total", m->total);
	json_str(j, "result", m->result);
	json_bool(j, "failed", m->failed);
	json_uint(j, "moves", m->moves);
	json_obj_close(j);
}

static const char *
seed_mode(uint32_t m)
{
	return m == 0 ? "global" : m == 1 ? "own" : "unlimited";
}

/* Labels joined by commas, escaped; "" none. */
static char *
labels_str(const Btd__TorrentSummary *s)
{
	char	*r = xasprintf("%s", ""), *e, *n;
	size_t	 i;

	for (i = 0; i < s->n_labels; i++) {
		e = esc(s->labels[i]);
		n = xasprintf("%s%s%s", r, i > 0 ? "," : "", e);
		free(e);
		free(r);
		r = n;
	}
	return r;
}

static void
summary_json(struct json *j, const char *key, const Btd__TorrentSummary *s)
{
	size_t	 i;

	json_obj_open(j, key);
	json_str(j, "id", s->id);
	json_str(j, "short_id", s->short_id);
	json_str(j, "name", s->name);
	json_str(j, "state", s->state);
	json_uint(j, "total_size", s->total_size);
	json_double(j, "progress", s->progress);
	json_int(j, "added", s->added);
	json_str(j, "save_path", s->save_path);
	json_bool(j, "has_metadata", s->has_metadata);
	json_str(j, "error", s->error);
	json_uint(j, "downloaded", s->downloaded);
	json_uint(j, "uploaded", s->uploaded);
	json_uint(j, "wasted", s->wasted);
	json_uint(j, "rate_down", s->rate_down);
	json_uint(j, "rate_up", s->rate_up);
	json_uint(j, "peers", s->peers);
	json_uint(j, "seeds", s->seeds);
	json_int(j, "eta", s->eta);
	json_double(j, "ratio", s->ratio);
	json_int(j, "completed", s->completed);
	json_uint(j, "left", s->left);
	json_uint(j, "pieces_have", s->pieces_have);
	json_double(j, "checked", s->checked);
	json_uint(j, "checks", s->checks);
	json_uint(j, "check_good", s->check_good);
	json_uint(j, "check_hashed", s->check_hashed);
	json_uint(j, "check_trusted", s->check_trusted);
	json_uint(j, "metadata_peers", s->metadata_peers);
	if (s->move != NULL)
		move_json(j, s->move);
	json_arr_open(j, "labels");
	for (i = 0; i < s->n_labels; i++)
		json_str(j, NULL, s->labels[i]);
	json_arr_close(j);
	json_uint(j, "seconds_downloading", s->seconds_downloading);
	json_uint(j, "seconds_seeding", s->seconds_seeding);
	json_int(j, "activity", s->activity);
	json_bool(j, "finished", s->finished);
	if (s->seed != NULL) {
		json_obj_open(j, "seed");
		json_double(j, "ratio_limit", s->seed->ratio_limit);
		json_str(j, "ratio_mode", seed_mode(s->seed->ratio_mode));
		json_uint(j, "idle_limit", s->seed->idle_limit);
		json_str(j, "idle_mode", seed_mode(s->seed->idle_mode));
		json_double(j, "ratio_effective", s->seed->ratio_effective);
		json_uint(j, "idle_effective", s->seed->idle_effective);
		json_obj_close(j);
	}
	json_obj_close(j);
}

/* "1.5 MiB/s", or "-" when idle. */
static void
rate_fmt(char b[FMT_MAX], uint64_t r)
{
	if (r == 0) {
		memcpy(b, "-", 2);
		return;
	}
	size_fmt(b, r);
	memcpy(b + strlen(b), "/s", 3);	/* FMT_MAX has room */
}

static char *
rate_str(uint64_t r)
{
	char	b[FMT_MAX];

	rate_fmt(b, r);
	return xasprintf("%s", b);
}

/* The ETA for a person: "-" when unknown, and when nothing is left. */
static void
eta_fmt(char b[FMT_MAX], int64_t eta)
{
	if (eta <= 0)
		memcpy(b, "-", 2);
	else
		duration_fmt(b, (uint64_t)eta);
}

static char *
eta_str(int64_t eta)
{
	char	b[FMT_MAX];

	eta_fmt(b, eta);
	return xasprintf("%s", b);
}

static void
ratio_fmt(char b[FMT_MAX], double r)
{
	if (r < 0)
		memcpy(b, "-", 2);
	else
		snprintf(b, FMT_MAX, "%.2f", r);
}

static char *
ratio_str(double r)
{
	char	b[FMT_MAX];

	ratio_fmt(b, r);
	return xasprintf("%s", b);
}

static int
cmd_add(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest	 req = BTD__CTL_REQUEST__INIT;
	Btd__AddRequest	 ar;
	Btd__CtlReply	*rep;
	struct json	 j;
	const char	*what = NULL;
	char		*dir = NULL, *e, *n;
	uint8_t		*buf = NULL;
	size_t		 len = 0;
	char		*labels[CTL_LABELS_MAX];
	size_t		 nlabels = 0;
	int		 i;

	btd__add_request__init(&ar);
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0) {
			if (++i == argc)
				usage_error(cmd_lookup("add"), "add: -d needs "
				    "a directory");
			free(dir);
			dir = abs_dir(argv[i]);
		} else if (strncmp(argv[i], "-d", 2) == 0) {
			free(dir);
			dir = abs_dir(argv[i] + 2);
		} else if (strcmp(argv[i], "--paused") == 0)
			ar.paused = 1;
		else if (strcmp(argv[i], "--label") == 0) {
			if (++i == argc)
				usage_error(cmd_lookup("add"), "add: --label "
				    "needs a label");
			if (nlabels == CTL_LABELS_MAX)
				usage_error(cmd_lookup("add"), "add: more "
				    "than %d labels", CTL_LABELS_MAX);
			labels[nlabels++] = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			e = esc(argv[i]);
			usage_error(cmd_lookup("add"), "add: unknown option "
			    "'%s'", e);
		} else if (what != NULL)
			usage_error(cmd_lookup("add"), "add: one torrent at a "
			    "time");
		else
			what = argv[i];
	}
	if (what == NULL)
		usage_error(cmd_lookup("add"), "add: missing FILE|MAGNET");
	e = esc(what);
	ctl->errprefix = xasprintf("add: %s: ", e);
	free(e);
	if (strncasecmp(what, "magnet:", 7) == 0)
		ar.magnet = (char *)(uintptr_t)what;
	else if (strncasecmp(what, "http://", 7) == 0 ||
	    strncasecmp(what, "https://", 8) == 0)
		ar.url = (char *)(uintptr_t)what;
	else {
		buf = read_torrent(what, &len);
		ar.torrent.data = buf;
		ar.torrent.len = len;
	}
	if (dir != NULL)
		ar.save_path = dir;
	req.body_case = BTD__CTL_REQUEST__BODY_ADD;
	req.add = &ar;
	ctl->timeout_ms = CTL_SLOW_MS;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_ADDED);
	if (nlabels > 0) {
		/* The labels go with a LabelRequest of their own. */
		Btd__LabelRequest	 lr = BTD__LABEL_REQUEST__INIT;
		char			*id = xasprintf("%s", rep->added->id);

		reply_free(rep);
		lr.id = id;
		lr.labels = labels;
		lr.n_labels = nlabels;
		req.body_case = BTD__CTL_REQUEST__BODY_LABEL;
		req.label = &lr;
		ctl->errprefix = xasprintf("add: added %.8s, but its labels "
		    "were refused: ", id);
		rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_ADDED);
		free(id);
	}
	if (ctl->json) {
		json_init(&j, stdout);
		summary_json(&j, NULL, rep->added);
		json_done(&j);
	} else {
		e = esc(rep->added->short_id);
		n = esc(rep->added->name);
		printf("added %s  %s\n", e, n);
		free(e);
		free(n);
	}
	reply_free(rep);
	free(buf);
	free(dir);
	return 0;
}

/* label ID [LABEL ...] | label ID --clear; with no label, show them. */
static int
cmd_label(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__LabelRequest	 lr = BTD__LABEL_REQUEST__INIT;
	Btd__CtlReply		*rep;
	const Btd__TorrentSummary *s;
	struct json		 j;
	char			*labels[CTL_LABELS_MAX], *e;
	size_t			 n = 0, i;
	int			 k, clear = 0;

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--clear") == 0)
			clear = 1;
		else if (n == CTL_LABELS_MAX)
			usage_error(cmd_lookup("label"), "label: more than %d "
			    "labels", CTL_LABELS_MAX);
		else
			labels[n++] = argv[k];
	}
	if (clear && n > 0)
		usage_error(cmd_lookup("label"), "label: --clear takes no "
		    "labels");
	if (!clear && n == 0) {
		rep = show_request(ctl, argv[0]);
		s = rep->show->summary;
	} else {
		lr.id = argv[0];
		lr.labels = labels;
		lr.n_labels = n;
		req.body_case = BTD__CTL_REQUEST__BODY_LABEL;
		req.label = &lr;
		e = esc(argv[0]);
		ctl->errprefix = xasprintf("label: %s: ", e);
		free(e);
		rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_ADDED);
		s = rep->added;
	}
	if (s == NULL)
		errorx(1, "unexpected reply from btd");
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "id", s->id);
		json_arr_open(&j, "labels");
		for (i = 0; i < s->n_labels; i++)
			json_str(&j, NULL, s->labels[i]);
		json_arr_close(&j);
		json_obj_close(&j);
		json_done(&j);
	} else {
		for (i = 0; i < s->n_labels; i++) {
			e = esc(s->labels[i]);
			printf("%s\n", e);
			free(e);
		}
	}
	reply_free(rep);
	return 0;
}

#define LIST_COLS	10	/* columns of `btctl list` */

static int
cmd_list(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest	 req = BTD__CTL_REQUEST__INIT;
	Btd__ListRequest lr = BTD__LIST_REQUEST__INIT;
	Btd__CtlReply	*rep;
	struct json	 j;
	struct cells	 cs;
	char		**cell;
	size_t		 i, n, ncols = LIST_COLS;

	(void)argc;
	(void)argv;
	memset(&cs, 0, sizeof(cs));
	req.body_case = BTD__CTL_REQUEST__BODY_LIST;
	req.list = &lr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_LIST);
	n = rep->list != NULL ? rep->list->n_torrents : 0;
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_arr_open(&j, "torrents");
		for (i = 0; i < n; i++)
			summary_json(&j, NULL, rep->list->torrents[i]);
		json_arr_close(&j);
		json_obj_close(&j);
		json_done(&j);
	} else if (n == 0)
		printf("no torrents\n");
	else {
		static const char *const head[LIST_COLS] = { "ID", "STATE",
		    "SIZE", "DONE", "DOWN", "UP", "PEERS", "ETA", "RATIO",
		    "NAME" };

		/* A LABELS column when any torrent has labels. */
		for (i = 0; i < n; i++)
			if (rep->list->torrents[i]->n_labels > 0)
				ncols = LIST_COLS + 1;
		for (i = 0; i < LIST_COLS; i++)
			cells_put(&cs, head[i]);
		if (ncols > LIST_COLS)
			cells_put(&cs, "LABELS");
		for (i = 0; i < n; i++) {
			const Btd__TorrentSummary *s = rep->list->torrents[i];
			char b[FMT_MAX], *x;

			cells_esc(&cs, s->short_id);
			x = state_str(s);
			cells_put(&cs, x);
			free(x);
			if (s->has_metadata)
				size_fmt(b, s->total_size);
			else
				memcpy(b, "?", 2);
			cells_put(&cs, b);
			snprintf(b, sizeof(b), "%.0f%%", s->progress * 100);
			cells_put(&cs, b);
			rate_fmt(b, s->rate_down);
			cells_put(&cs, b);
			rate_fmt(b, s->rate_up);
			cells_put(&cs, b);
			snprintf(b, sizeof(b), "%u", s->peers);
			cells_put(&cs, b);
			eta_fmt(b, s->eta);
			cells_put(&cs, b);
			ratio_fmt(b, s->ratio);
			cells_put(&cs, b);
			cells_esc(&cs, s->name);
			if (ncols > LIST_COLS) {
				x = labels_str(s);
				cells_put(&cs, x);
				free(x);
			}
		}
		cell = cells_done(&cs);
		table_write(cell, n + 1, ncols);
		free(cell);
		cells_free(&cs);
		/* Why a torrent stopped, under the table (one line each). */
		for (i = 0; i < n; i++) {
			const Btd__TorrentSummary *s = rep->list->torrents[i];
			char *id, *why;

			if (strcmp(s->state, "error") != 0 ||
			    s->error[0] == '\0')
				continue;
			id = esc(s->short_id);
			why = esc(s->error);
			printf("%s: %s\n", id, why);
			free(id);
			free(why);
		}
	}
	reply_free(rep);
	return 0;
}

static Btd__CtlReply *
show_request(struct ctl *ctl, const char *id)
{
	return show_wait(ctl, id, 0, 0, "");
}

/*
 * The same, held by btd until the torrent's checks count is not checks,
 * its state not state, or wait_ms is over (ShowRequest).
 */
static Btd__CtlReply *
show_wait(struct ctl *ctl, const char *id, uint32_t wait_ms, uint32_t checks,
    const char *state)
{
	Btd__CtlRequest	 req = BTD__CTL_REQUEST__INIT;
	Btd__ShowRequest sr;
	Btd__CtlReply	*rep;

	btd__show_request__init(&sr);
	sr.id = (char *)(uintptr_t)id;
	sr.wait_ms = wait_ms;
	sr.checks = checks;
	sr.state = (char *)(uintptr_t)state;
	req.body_case = BTD__CTL_REQUEST__BODY_SHOW;
	req.show = &sr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_SHOW);
	if (rep->show == NULL || rep->show->summary == NULL)
		errorx(1, "unexpected reply from btd");
	return rep;
}

/* Lower-case hex of a bytes field, in memory from malloc; "" if empty. */
static char *
hex_str(const ProtobufCBinaryData *b)
{
	char	*s;
	size_t	 i;

	s = xmalloc(2 * b->len + 1);
	for (i = 0; i < b->len; i++)
		snprintf(s + 2 * i, 3, "%02x", b->data[i]);
	s[2 * b->len] = '\0';
	return s;
}

/* File i's priority by name; "normal" if btd sent none. */
static const char *
file_prio(const Btd__TorrentDetail *d, size_t i)
{
	static const char *const names[] = { "skip", "low", "normal",
	    "high" };

	if (i >= d->n_file_priority)
		return "normal";
	return d->file_priority[i] < 4 ? names[d->file_priority[i]] : "?";
}

static void
files_json(struct json *j, const Btd__TorrentDetail *d)
{
	const Btd__FileDesc	*f;
	size_t			 i;

	json_arr_open(j, "files");
	for (i = 0; i < d->n_files; i++) {
		f = d->files[i];
		json_obj_open(j, NULL);
		json_str(j, "path", f->path);
		json_uint(j, "length", f->length);
		json_uint(j, "offset", f->offset);
		json_bool(j, "pad", f->pad);
		json_str(j, "attr", f->attr);
		json_bool(j, "symlink", strchr(f->attr, 'l') != NULL);
		json_bool(j, "sanitised", f->sanitised);
		json_bool(j, "renamed", f->renamed);
		json_str(j, "original", f->original);
		json_str(j, "priority", file_prio(d, i));
		json_obj_close(j);
	}
	json_arr_close(j);
}

/*
 * What metad changed about a file and its attributes, for a person:
 * "sanitised from 'a/../b'", "renamed from 'x'", "symlink, not
 * created", "executable", "hidden"; "" if nothing.  From malloc.
 */
static char *
file_note(const Btd__FileDesc *f)
{
	char	*e, *n, *t;

	n = xasprintf("%s", "");
	if (f->sanitised || f->renamed) {
		e = esc(f->original);
		t = xasprintf("%s%s%s %s%s%s", f->sanitised ? "sanitised" : "",
		    f->sanitised && f->renamed ? ", " : "",
		    f->renamed ? "renamed" : "",
		    f->original[0] ? "from '" : "(no usable path)",
		    e, f->original[0] ? "'" : "");
		free(e);
		free(n);
		n = t;
	}
	if (strchr(f->attr, 'l') != NULL) {
		t = xasprintf("%s%ssymlink, not created", n, n[0] ? "; " : "");
		free(n);
		n = t;
	}
	if (strchr(f->attr, 'x') != NULL) {
		t = xasprintf("%s%sexecutable", n, n[0] ? "; " : "");
		free(n);
		n = t;
	}
	if (strchr(f->attr, 'h') != NULL) {
		t = xasprintf("%s%shidden", n, n[0] ? "; " : "");
		free(n);
		n = t;
	}
	return n;
}

static void
files_plain(const Btd__TorrentDetail *d)
{
	char	**cell, **note;
	size_t	 i, n = d->n_files, nc = 4, any = 0;

	if (n == 0) {
		printf("no files known yet (the metadata has not arrived)\n");
		return;
	}
	/* A NOTE column only when some file has a note. */
	note = xmalloc(n * sizeof(*note));
	for (i = 0; i < n; i++) {
		note[i] = d->files[i]->pad ? xasprintf("%s", "") :
		    file_note(d->files[i]);
		any |= note[i][0] != '\0';
	}
	if (any)
		nc = 5;
	cell = xmalloc((n + 1) * nc * sizeof(*cell));
	cell[0] = xasprintf("#");
	cell[1] = xasprintf("SIZE");
	cell[2] = xasprintf("PRIORITY");
	cell[3] = xasprintf("PATH");
	if (any)
		cell[4] = xasprintf("NOTE");
	for (i = 0; i < n; i++) {
		cell[(i + 1) * nc] = xasprintf("%zu", i);
		cell[(i + 1) * nc + 1] = size_str(d->files[i]->length);
		cell[(i + 1) * nc + 2] = xasprintf("%s", d->files[i]->pad ?
		    "-" : file_prio(d, i));
		cell[(i + 1) * nc + 3] = d->files[i]->pad ?
		    xasprintf("(padding)") : esc(d->files[i]->path);
		if (any)
			/* table_print frees it */
			cell[(i + 1) * nc + 4] = note[i];
		else
			free(note[i]);
	}
	table_print(cell, n + 1, nc);
	free(cell);
	free(note);
}

/* The files whose path metad changed or that have a note, one a line. */
static void
show_changed(const Btd__TorrentDetail *d)
{
	char	*note, *p;
	size_t	 i, n = 0;

	for (i = 0; i < d->n_files; i++) {
		if (d->files[i]->pad)
			continue;
		note = file_note(d->files[i]);
		if (note[0] != '\0') {
			p = esc(d->files[i]->path);
			printf("%s file %zu %s: %s\n", n++ == 0 ?
			    "file notes:  " : "             ", i, p, note);
			free(p);
		}
		free(note);
	}
}

/* The transfer's figures of a summary, for `show`. */
static void
show_counters(const Btd__TorrentSummary *s)
{
	char *a, *b, *c;

	a = size_str(s->left);
	printf("left:         %s\n", a);
	free(a);
	a = size_str(s->downloaded);
	b = size_str(s->uploaded);
	c = size_str(s->wasted);
	printf("downloaded:   %s\n", a);
	printf("uploaded:     %s\n", b);
	printf("wasted:       %s\n", c);
	free(a);
	free(b);
	free(c);
	a = ratio_str(s->ratio);
	printf("ratio:        %s\n", a);
	free(a);
	a = rate_str(s->rate_down);
	b = rate_str(s->rate_up);
	printf("rates:        down %s, up %s\n", a, b);
	free(a);
	free(b);
	printf("peers:        %u (%u seed%s)\n", s->peers, s->seeds,
	    s->seeds == 1 ? "" : "s");
	a = eta_str(s->eta);
	printf("eta:          %s\n", a);
	free(a);
	a = labels_str(s);
	printf("labels:       %s\n", a[0] != '\0' ? a : "-");
	free(a);
	a = duration(s->seconds_downloading);
	b = duration(s->seconds_seeding);
	printf("time:         downloading %s, seeding %s\n", a, b);
	free(a);
	free(b);
	if (s->seed != NULL) {
		a = s->seed->ratio_effective < 0 ? xasprintf("no ratio limit") :
		    xasprintf("ratio %.2f", s->seed->ratio_effective);
		b = s->seed->idle_effective == 0 ? xasprintf("no idle limit") :
		    xasprintf("idle %u min", s->seed->idle_effective);
		printf("seeding ends: %s (%s), %s (%s)%s\n", a,
		    seed_mode(s->seed->ratio_mode), b,
		    seed_mode(s->seed->idle_mode),
		    s->finished ? "; finished" : "");
		free(a);
		free(b);
	}
	if (s->completed > 0) {
		time_t		ct = (time_t)s->completed;
		struct tm	tm;
		char		buf[64];

		if (localtime_r(&ct, &tm) != NULL &&
		    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) > 0)
			printf("completed:    %s\n", buf);
	}
}

static int
cmd_show(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlReply			*rep = show_request(ctl, argv[0]);
	const Btd__TorrentDetail	*d = rep->show;
	const Btd__TorrentSummary	*s = d->summary;
	struct json			 j;
	char				*e, *sz, *pl;
	size_t				 i;

	(void)argc;
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "id", s->id);
		json_str(&j, "info_hash", s->id);
		json_str(&j, "short_id", s->short_id);
		json_str(&j, "name", s->name);
		json_str(&j, "state", s->state);
		json_double(&j, "progress", s->progress);
		json_uint(&j, "total_size", s->total_size);
		json_uint(&j, "piece_length", d->piece_length);
		json_uint(&j, "piece_count", d->piece_count);
		json_bool(&j, "private", d->private_);
		json_bool(&j, "multi_file", d->multi);
		json_bool(&j, "has_metadata", s->has_metadata);
		json_str(&j, "save_path", s->save_path);
		if (s->move != NULL)
			move_json(&j, s->move);
		json_int(&j, "added", s->added);
		json_str(&j, "comment", d->comment);
		json_str(&j, "created_by", d->created_by);
		json_int(&j, "creation_date", d->creation_date);
		json_str(&j, "error", s->error);
		e = hex_str(&d->info_hash_v2);
		json_str(&j, "info_hash_v2", e);
		e[e[0] ? 40 : 0] = '\0';	/* the 20 bytes used on the wire */
		json_str(&j, "info_hash_v2_wire", e);
		free(e);
		json_arr_open(&j, "warnings");
		for (i = 0; i < d->n_warnings; i++)
			json_str(&j, NULL, d->warnings[i]);
		json_arr_close(&j);
		json_uint(&j, "downloaded", s->downloaded);
		json_uint(&j, "uploaded", s->uploaded);
		json_uint(&j, "wasted", s->wasted);
		json_uint(&j, "rate_down", s->rate_down);
		json_uint(&j, "rate_up", s->rate_up);
		/* "peers" is the magnet's x.pe list here. */
		json_uint(&j, "peers_connected", s->peers);
		json_uint(&j, "seeds", s->seeds);
		json_int(&j, "eta", s->eta);
		json_double(&j, "ratio", s->ratio);
		json_int(&j, "completed", s->completed);
		json_uint(&j, "left", s->left);
		json_uint(&j, "pieces_have", s->pieces_have);
		if (d->limits != NULL)
			limits_json(&j, d->limits);
		json_uint(&j, "metadata_peers", s->metadata_peers);
		files_json(&j, d);
		json_arr_open(&j, "trackers");
		for (i = 0; i < d->n_trackers; i++) {
			json_obj_open(&j, NULL);
			json_str(&j, "url", d->trackers[i]->url);
			json_uint(&j, "tier", d->trackers[i]->tier);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_arr_open(&j, "url_list");
		for (i = 0; i < d->n_url_list; i++)
			json_str(&j, NULL, d->url_list[i]);
		json_arr_close(&j);
		json_arr_open(&j, "peers");
		for (i = 0; i < d->n_peers; i++) {
			json_obj_open(&j, NULL);
			json_str(&j, "addr", d->peers[i]->addr);
			json_uint(&j, "port", d->peers[i]->port);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
		json_done(&j);
		reply_free(rep);
		return 0;
	}
	e = esc(s->name);
	printf("name:         %s\n", e);
	free(e);
	printf("id:           %s\n", s->id);
	if (d->info_hash_v2.len > 0) {
		e = hex_str(&d->info_hash_v2);
		printf("info-hash v2: %s\n", e);
		printf("              (on the wire: %.40s)\n", e);
		free(e);
	}
	e = esc(s->state);
	printf("state:        %s%s", e, s->error[0] ? ": " : "");
	free(e);
	if (s->error[0]) {
		e = esc(s->error);
		printf("%s", e);
		free(e);
	}
	printf("\n");
	e = esc(s->save_path);
	printf("save path:    %s\n", e);
	free(e);
	if (s->move != NULL && s->move->to[0] != '\0') {
		e = esc(s->move->to);
		printf("moving to:    %s", e);
		free(e);
		if (s->move->total > 0)
			printf(" (%.1f%%)", 100.0 * (double)s->move->done /
			    (double)s->move->total);
		printf("\n");
	}
	if (s->move != NULL && s->move->result[0] != '\0') {
		e = esc(s->move->result);
		printf("last move:    %s\n", e);
		free(e);
	}
	if (s->has_metadata) {
		sz = size_str(s->total_size);
		pl = size_str(d->piece_length);
		printf("size:         %s in %zu file%s\n", sz, d->n_files,
		    d->n_files == 1 ? "" : "s");
		printf("pieces:       %u of %s\n", d->piece_count, pl);
		printf("progress:     %.1f%% (%u of %u pieces)\n",
		    s->progress * 100, s->pieces_have, d->piece_count);
		show_counters(s);
		printf("private:      %s\n", d->private_ ? "yes" : "no");
		free(sz);
		free(pl);
		if (d->comment[0]) {
			e = esc(d->comment);
			printf("comment:      %s\n", e);
			free(e);
		}
		if (d->created_by[0]) {
			e = esc(d->created_by);
			printf("created by:   %s\n", e);
			free(e);
		}
		for (i = 0; i < d->n_warnings; i++) {
			e = esc(d->warnings[i]);
			printf("%s %s\n", i == 0 ? "warnings:    " :
			    "             ", e);
			free(e);
		}
		show_changed(d);
	} else
		printf("metadata:     not yet known (magnet); %u peer%s "
		    "offer%s it\n", s->metadata_peers,
		    s->metadata_peers == 1 ? "" : "s",
		    s->metadata_peers == 1 ? "s" : "");
	if (d->limits != NULL && (d->limits->download_limit ||
	    d->limits->upload_limit || d->limits->peer_limit)) {
		printf("limits:\n");
		limits_plain(d->limits, "              ");
	}
	for (i = 0; i < d->n_trackers; i++) {
		e = esc(d->trackers[i]->url);
		printf("%s tier %u  %s\n", i == 0 ? "trackers:    " :
		    "             ", d->trackers[i]->tier, e);
		free(e);
	}
	for (i = 0; i < d->n_peers; i++) {
		e = esc(d->peers[i]->addr);
		printf("%s %s port %u\n", i == 0 ? "peers:       " :
		    "             ", e, d->peers[i]->port);
		free(e);
	}
	reply_free(rep);
	return 0;
}

/*
 * The arguments of a command on one torrent: its ID and at most one
 * option, opt, which takes a value described by what ("--opt VALUE" or
 * "--opt=VALUE") or, when what is NULL, none (then *val is "" if it was
 * given).  Anything else is a usage error.  Returns the ID.
 */
static const char *
id_and_option(const char *cmd, int argc, char **argv, const char *opt,
    const char *what, const char **val)
{
	const char	*id = NULL;
	char		*e;
	size_t		 ol = strlen(opt);
	int		 i;

	*val = NULL;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], opt) == 0) {
			if (what == NULL)
				*val = "";
			else if (++i == argc)
				usage_error(cmd_lookup(cmd), "%s: %s needs %s",
				    cmd, opt, what);
			else
				*val = argv[i];
		} else if (what != NULL && strncmp(argv[i], opt, ol) == 0 &&
		    argv[i][ol] == '=')
			*val = argv[i] + ol + 1;
		else if (argv[i][0] == '-') {
			e = esc(argv[i]);
			usage_error(cmd_lookup(cmd), "%s: unknown option '%s'",
			    cmd, e);
		} else if (id != NULL)
			usage_error(cmd_lookup(cmd), "%s: one torrent at a time",
			    cmd);
		else
			id = argv[i];
	}
	if (id == NULL)
		usage_error(cmd_lookup(cmd), "%s: missing ID", cmd);
	return id;
}

static int
cmd_files(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__SetTorrentRequest	 sr = BTD__SET_TORRENT_REQUEST__INIT;
	Btd__CtlReply		*rep;
	struct json		 j;
	const char		*id, *prio;

	id = id_and_option("files", argc, argv, "--priority",
	    "N=PRIO[,N=PRIO...]", &prio);
	if (prio != NULL) {
		/* Set first (btd checks every item), then show the result. */
		sr.id = (char *)(uintptr_t)id;
		sr.key = "file-priority";
		sr.value = (char *)(uintptr_t)prio;
		req.body_case = BTD__CTL_REQUEST__BODY_SET_TORRENT;
		req.set_torrent = &sr;
		rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_LIMITS);
		reply_free(rep);
	}
	rep = show_request(ctl, id);
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "id", rep->show->summary->id);
		files_json(&j, rep->show);
		json_obj_close(&j);
		json_done(&j);
	} else
		files_plain(rep->show);
	reply_free(rep);
	return 0;
}

static int
cmd_remove(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__RemoveRequest	 rr;
	Btd__CtlReply		*show, *rep;
	const Btd__TorrentSummary *s;
	const Btd__RemoveReply	*rm;
	struct json		 j;
	const char		*id = NULL;
	char			*e, *n;
	size_t			 k;
	int			 i;

	btd__remove_request__init(&rr);
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--delete-data") == 0)
			rr.delete_data = 1;
		else if (argv[i][0] == '-') {
			e = esc(argv[i]);
			usage_error(cmd_lookup("remove"), "remove: unknown "
			    "option '%s'", e);
		} else if (id != NULL)
			usage_error(cmd_lookup("remove"), "remove: one "
			    "torrent at a time");
		else
			id = argv[i];
	}
	if (id == NULL)
		usage_error(cmd_lookup("remove"), "remove: missing ID");
	/* Which torrent that is, to say what was removed. */
	show = show_request(ctl, id);
	s = show->show->summary;
	rr.id = s->id;
	req.body_case = BTD__CTL_REQUEST__BODY_REMOVE;
	req.remove = &rr;
	ctl->timeout_ms = CTL_SLOW_MS;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY__NOT_SET);
	/* What --delete-data did; absent for a magnet without metadata. */
	rm = rep->body_case == BTD__CTL_REPLY__BODY_REMOVED ? rep->removed :
	    NULL;
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_bool(&j, "ok", 1);
		json_str(&j, "id", s->id);
		json_str(&j, "short_id", s->short_id);
		json_str(&j, "name", s->name);
		json_bool(&j, "deleted_data", rr.delete_data);
		if (rm != NULL) {
			json_uint(&j, "deleted_files", rm->deleted);
			json_uint(&j, "left_files", rm->left);
			json_arr_open(&j, "left");
			for (k = 0; k < rm->n_left_paths; k++)
				json_str(&j, NULL, rm->left_paths[k]);
			json_arr_close(&j);
		}
		json_obj_close(&j);
		json_done(&j);
	} else {
		e = esc(s->short_id);
		n = esc(s->name);
		if (rm == NULL)
			printf("removed %s  %s%s\n", e, n, rr.delete_data ?
			    "  (and its data)" : "");
		else {
			printf("removed %s  %s; deleted %u file%s", e, n,
			    rm->deleted, rm->deleted == 1 ? "" : "s");
			if (rm->left > 0)
				printf("; left %u that btd did not create and "
				    "whose data never verified:", rm->left);
			for (k = 0; k < rm->n_left_paths && rm->left > 0;
			    k++) {
				free(e);
				e = esc(rm->left_paths[k]);
				printf("%s %s", k > 0 ? "," : "", e);
			}
			if (rm->left > rm->n_left_paths)
				printf(" and %zu more",
				    (size_t)rm->left - rm->n_left_paths);
			printf("\n");
		}
		free(e);
		free(n);
	}
	reply_free(rep);
	reply_free(show);
	return 0;
}

/* trackers */

/* A time as "12:34:56 ago/in": seconds since the epoch, 0 for never. */
static char *
when(int64_t t)
{
	int64_t	 now = (int64_t)time(NULL);
	char	*d, *s;

	if (t <= 0)
		return xasprintf("-");
	if (t >= now) {
		d = duration((uint64_t)(t - now));
		s = xasprintf("in %s", d);
	} else {
		d = duration((uint64_t)(now - t));
		s = xasprintf("%s ago", d);
	}
	free(d);
	return s;
}

static char *
count_str(int64_t n)
{
	return n < 0 ? xasprintf("?") : xasprintf("%lld", (long long)n);
}

static int
cmd_trackers(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__TrackersRequest	 tr;
	Btd__CtlReply		*rep;
	const Btd__TrackersReport *r;
	struct json		 j;
	char			**cell;
	size_t			 i, n;

	(void)argc;
	btd__trackers_request__init(&tr);
	tr.id = argv[0];
	req.body_case = BTD__CTL_REQUEST__BODY_TRACKERS;
	req.trackers = &tr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_TRACKERS);
	if ((r = rep->trackers) == NULL)
		errorx(1, "unexpected reply from btd");
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_arr_open(&j, "trackers");
		for (i = 0; i < r->n_trackers; i++) {
			const Btd__TrackerStatus *t = r->trackers[i];

			json_obj_open(&j, NULL);
			json_str(&j, "url", t->url);
			json_uint(&j, "tier", t->tier);
			json_str(&j, "status", t->status);
			json_int(&j, "last_announce", t->last_announce);
			json_str(&j, "last_result", t->last_result);
			json_int(&j, "next_announce", t->next_announce);
			json_int(&j, "seeders", t->seeders);
			json_int(&j, "leechers", t->leechers);
			json_int(&j, "completed", t->completed);
			json_str(&j, "last_error", t->last_error);
			json_uint(&j, "failures", t->failures);
			json_str(&j, "warning", t->warning);
			json_int(&j, "last_scrape", t->last_scrape);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_uint(&j, "peer_count", r->peer_count);
		json_arr_open(&j, "peers");
		for (i = 0; i < r->n_peers; i++) {
			const Btd__Candidate *c = r->peers[i];

			json_obj_open(&j, NULL);
			json_str(&j, "addr", c->addr);
			json_uint(&j, "port", c->port);
			json_str(&j, "source", c->source);
			json_int(&j, "first_seen", c->first_seen);
			json_int(&j, "last_seen", c->last_seen);
			json_uint(&j, "attempts", c->attempts);
			json_uint(&j, "failures", c->failures);
			json_int(&j, "last_attempt", c->last_attempt);
			json_str(&j, "last_result", c->last_result);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
		json_done(&j);
		reply_free(rep);
		return 0;
	}
	n = r->n_trackers;
	if (n == 0)
		printf("no trackers\n");
	else {
		cell = xmalloc((n + 1) * 8 * sizeof(*cell));
		cell[0] = xasprintf("TIER");
		cell[1] = xasprintf("STATUS");
		cell[2] = xasprintf("LAST");
		cell[3] = xasprintf("NEXT");
		cell[4] = xasprintf("SEED");
		cell[5] = xasprintf("LEECH");
		cell[6] = xasprintf("DONE");
		cell[7] = xasprintf("URL / RESULT");
		for (i = 0; i < n; i++) {
			const Btd__TrackerStatus *t = r->trackers[i];
			char **row = cell + (i + 1) * 8, *u, *res;

			row[0] = xasprintf("%u", t->tier);
			row[1] = esc(t->status);
			row[2] = when(t->last_announce);
			row[3] = when(t->next_announce);
			row[4] = count_str(t->seeders);
			row[5] = count_str(t->leechers);
			row[6] = count_str(t->completed);
			u = esc(t->url);
			res = esc(t->last_result);
			row[7] = xasprintf("%s%s%s", u, res[0] ? "  " : "", res);
			free(u);
			free(res);
		}
		table_print(cell, n + 1, 8);
		free(cell);
	}
	printf("%u candidate peer%s", r->peer_count, r->peer_count == 1 ?
	    "" : "s");
	for (i = 0; i < r->n_peers && i < 20; i++) {
		char *a = esc(r->peers[i]->addr), *src = esc(r->peers[i]->source);

		printf("%s%s%s%s:%u (%s)", i == 0 ? ": " : ", ",
		    strchr(a, ':') ? "[" : "", a, strchr(a, ':') ? "]" : "",
		    r->peers[i]->port, src);
		free(a);
		free(src);
	}
	printf("%s\n", r->n_peers > 20 ? ", ..." : "");
	reply_free(rep);
	return 0;
}

/* pause, resume, peers, wait, stats */

#define WAIT_POLL_MS	500	/* wait: how often btd is asked */
/*
 * verify --wait asks btd to hold its answer until the check is over or
 * the state changes (ShowRequest.wait_ms), VERIFY_BAR_MS at most on a
 * terminal (the bar moves), VERIFY_HOLD_MS elsewhere.  An answer that
 * comes back early with nothing changed (btd holds only so many) is
 * asked again after VERIFY_POLL_MS.
 */
#define VERIFY_BAR_MS		100
#define VERIFY_HOLD_MS		1000
#define VERIFY_POLL_MS		5
#define MOVE_POLL_MS	100	/* move --wait */
#define WAIT_LINE_MS	5000	/* wait in a pipe: a line at least this often */
#define WAIT_BAR	30	/* wait on a terminal: width of the bar */
#define WAIT_MAX_S	(366.0 * 86400)	/* the longest --timeout */

/* pause ID, resume ID: the reply carries nothing but ok. */
static int
pause_resume(struct ctl *ctl, const char *id, int resume)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__PauseRequest	 pr = BTD__PAUSE_REQUEST__INIT;
	Btd__ResumeRequest	 rr = BTD__RESUME_REQUEST__INIT;
	char			*msg, *e;
	int			 r;

	if (resume) {
		rr.id = (char *)(uintptr_t)id;
		req.body_case = BTD__CTL_REQUEST__BODY_RESUME;
		req.resume = &rr;
	} else {
		pr.id = (char *)(uintptr_t)id;
		req.body_case = BTD__CTL_REQUEST__BODY_PAUSE;
		req.pause = &pr;
	}
	e = esc(id);
	msg = xasprintf("%s %s", resume ? "resumed" : "paused", e);
	r = done_print(ctl, transact(ctl, &req, BTD__CTL_REPLY__BODY__NOT_SET),
	    msg);
	free(msg);
	free(e);
	return r;
}

static int
cmd_pause(struct ctl *ctl, int argc, char **argv)
{
	(void)argc;
	return pause_resume(ctl, argv[0], 0);
}

static int
cmd_resume(struct ctl *ctl, int argc, char **argv)
{
	(void)argc;
	return pause_resume(ctl, argv[0], 1);
}

/* "name  [####------]  42.0% checked  checking" */
static char *
verify_line(const Btd__TorrentSummary *s, int bar)
{
	char	 b[WAIT_BAR + 1], *name, *line;
	int	 i, full = (int)(s->checked * WAIT_BAR + 0.5);

	for (i = 0; i < WAIT_BAR; i++)
		b[i] = i < full ? '#' : '-';
	b[WAIT_BAR] = '\0';
	name = esc(s->name);
	if (bar)
		line = xasprintf("%s  [%s] %5.1f%% checked  %s", name, b,
		    s->checked * 100, s->state);
	else
		line = xasprintf("%s  %5.1f%% checked  %s", name,
		    s->checked * 100, s->state);
	free(name);
	return line;
}

/*
 * verify ID [--wait]: with --wait, show the check's progress until it is
 * over, then how many pieces are good.
 */
static int
cmd_verify(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__VerifyRequest	 vr = BTD__VERIFY_REQUEST__INIT;
	const Btd__TorrentSummary *s;
	Btd__CtlReply		*rep;
	struct json		 j;
	struct timespec		 ts;
	const char		*id, *opt;
	char			*e, *line, *last = NULL, *seen;
	uint64_t		 now, last_line = 0, asked;
	uint32_t		 checks, hold, held, asks = 0;
	int			 wait, tty, early, shown = 0;

	id = id_and_option("verify", argc, argv, "--wait", NULL, &opt);
	wait = opt != NULL;
	vr.id = (char *)(uintptr_t)id;
	req.body_case = BTD__CTL_REQUEST__BODY_VERIFY;
	req.verify = &vr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_ADDED);
	if ((s = rep->added) == NULL)
		errorx(1, "unexpected reply from btd");
	e = esc(s->short_id);
	if (strcmp(s->state, "paused") == 0) {
		if (wait)
			errorx(1, "%s is paused: it will be verified in full "
			    "when resumed", e);
		if (ctl->json) {
			json_init(&j, stdout);
			summary_json(&j, NULL, s);
			json_done(&j);
		} else
			printf("%s is paused: it will be verified in full when "
			    "resumed\n", e);
		free(e);
		reply_free(rep);
		return 0;
	}
	if (!wait) {
		if (ctl->json) {
			json_init(&j, stdout);
			summary_json(&j, NULL, s);
			json_done(&j);
		} else
			printf("verifying %s\n", e);
		free(e);
		reply_free(rep);
		return 0;
	}
	checks = s->checks;
	seen = xasprintf("%s", s->state);
	reply_free(rep);
	tty = !ctl->json && isatty(STDOUT_FILENO);
	hold = tty ? VERIFY_BAR_MS : VERIFY_HOLD_MS;
	for (;;) {
		const Btd__TorrentDetail *d;

		/* The first at once: where the check stands is shown. */
		asked = util_now_ms();
		held = asks++ > 0 ? hold : 0;
		rep = show_wait(ctl, id, held, checks, seen);
		d = rep->show;
		s = d->summary;
		now = util_now_ms();
		if (strcmp(s->state, "error") == 0) {
			char *why = esc(s->error);

			if (tty && shown)
				printf("\n");
			errorx(1, "%s is in error: %s", e, why);
		}
		if (strcmp(s->state, "paused") == 0) {
			if (tty && shown)
				printf("\n");
			errorx(1, "%s was paused before its check ended", e);
		}
		/* The check ordered above is over (not the download after). */
		if (s->checks != checks) {
			if (ctl->json) {
				json_init(&j, stdout);
				summary_json(&j, NULL, s);
				json_done(&j);
			} else
				printf("%s%s: verified: %u of %u pieces good "
				    "(%u hashed)\n", tty && shown ? "\r\033[K" :
				    "", e, s->check_good, d->piece_count,
				    s->check_hashed);
			reply_free(rep);
			free(last);
			free(seen);
			free(e);
			return 0;
		}
		early = held > 0 && strcmp(seen, s->state) == 0 &&
		    now - asked < held / 2;
		free(seen);
		seen = xasprintf("%s", s->state);
		if (tty) {
			line = verify_line(s, 1);
			printf("\r\033[K%s", line);
			fflush(stdout);
			free(line);
			shown = 1;
		} else if (!ctl->json && (last == NULL ||
		    strcmp(last, s->state) != 0 ||
		    now - last_line >= WAIT_LINE_MS)) {
			line = verify_line(s, 0);
			printf("%s\n", line);
			fflush(stdout);
			free(line);
			free(last);
			last = xasprintf("%s", s->state);
			last_line = now;
		}
		reply_free(rep);
		if (!early)
			continue;
		ts.tv_sec = 0;
		ts.tv_nsec = VERIFY_POLL_MS * 1000000L;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
}

/*
 * move ID DIR [--wait]: btd answers as the move starts; with --wait,
 * its progress until it is over, then how it ended.
 */
static int
cmd_move(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__MoveRequest	 mr = BTD__MOVE_REQUEST__INIT;
	const Btd__TorrentSummary *s;
	Btd__CtlReply		*rep;
	struct json		 j;
	struct timespec		 ts;
	const char		*id = NULL, *dir = NULL;
	char			*e, *d, *to;
	uint32_t		 moves;
	int			 i, wait = 0, tty, shown = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--wait") == 0)
			wait = 1;
		else if (argv[i][0] == '-') {
			e = esc(argv[i]);
			usage_error(cmd_lookup("move"), "move: unknown option "
			    "'%s'", e);
		} else if (id == NULL)
			id = argv[i];
		else if (dir == NULL)
			dir = argv[i];
		else
			usage_error(cmd_lookup("move"), "move: one torrent and "
			    "one directory");
	}
	if (id == NULL || dir == NULL)
		usage_error(cmd_lookup("move"), "move: needs ID and DIR");
	to = abs_dir(dir);
	mr.id = (char *)(uintptr_t)id;
	mr.dir = to;
	req.body_case = BTD__CTL_REQUEST__BODY_MOVE;
	req.move = &mr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_ADDED);
	if ((s = rep->added) == NULL)
		errorx(1, "unexpected reply from btd");
	e = esc(s->short_id);
	d = esc(to);
	moves = s->move != NULL ? s->move->moves : 0;
	if (!wait) {
		if (ctl->json) {
			json_init(&j, stdout);
			summary_json(&j, NULL, s);
			json_done(&j);
		} else
			printf("moving %s to %s\n", e, d);
		reply_free(rep);
		free(e);
		free(d);
		free(to);
		return 0;
	}
	reply_free(rep);
	tty = !ctl->json && isatty(STDOUT_FILENO);
	for (;;) {
		rep = show_request(ctl, id);
		s = rep->show->summary;
		if (s->move != NULL && s->move->moves != moves) {
			char *res = esc(s->move->result);

			if (tty && shown)
				printf("\r\033[K");
			if (s->move->failed)
				errorx(1, "%s: %s", e, res);
			if (ctl->json) {
				json_init(&j, stdout);
				summary_json(&j, NULL, s);
				json_done(&j);
			} else
				printf("%s: %s\n", e, res);
			free(res);
			reply_free(rep);
			free(e);
			free(d);
			free(to);
			return 0;
		}
		if (s->move == NULL || s->move->to[0] == '\0')
			errorx(1, "%s is no longer moving", e);
		if (tty) {
			printf("\r\033[K%s  moving to %s  %5.1f%%", e, d,
			    s->move->total > 0 ? 100.0 *
			    (double)s->move->done / (double)s->move->total :
			    0.0);
			fflush(stdout);
			shown = 1;
		}
		reply_free(rep);
		ts.tv_sec = MOVE_POLL_MS / 1000;
		ts.tv_nsec = (long)(MOVE_POLL_MS % 1000) * 1000000;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
}

static int
cmd_peers(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__PeersRequest	 pr = BTD__PEERS_REQUEST__INIT;
	Btd__CtlReply		*rep;
	struct json		 j;
	char			**cell;
	size_t			 i, n;

	(void)argc;
	pr.id = argv[0];
	req.body_case = BTD__CTL_REQUEST__BODY_PEERS;
	req.peers = &pr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_PEERS);
	if (rep->peers == NULL)
		errorx(1, "unexpected reply from btd");
	n = rep->peers->n_peers;
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_arr_open(&j, "peers");
		for (i = 0; i < n; i++) {
			const Btd__PeerInfo *p = rep->peers->peers[i];

			json_obj_open(&j, NULL);
			json_str(&j, "addr", p->addr);
			json_uint(&j, "port", p->port);
			json_str(&j, "client", p->client);
			json_str(&j, "flags", p->flags);
			json_uint(&j, "rate_down", p->rate_down);
			json_uint(&j, "rate_up", p->rate_up);
			json_double(&j, "progress", p->progress);
			json_uint(&j, "downloaded", p->downloaded);
			json_uint(&j, "uploaded", p->uploaded);
			json_str(&j, "source", p->source);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_obj_close(&j);
		json_done(&j);
	} else if (n == 0)
		printf("no peers connected\n");
	else {
		static const char *const head[] = { "ADDR", "PORT", "FLAGS",
		    "DOWN", "UP", "HAS", "SOURCE", "CLIENT" };
		size_t nc = sizeof(head) / sizeof(head[0]);

		cell = xmalloc((n + 1) * nc * sizeof(*cell));
		for (i = 0; i < nc; i++)
			cell[i] = xasprintf("%s", head[i]);
		for (i = 0; i < n; i++) {
			const Btd__PeerInfo *p = rep->peers->peers[i];
			char **row = cell + (i + 1) * nc;

			row[0] = esc(p->addr);
			row[1] = xasprintf("%u", p->port);
			row[2] = p->flags[0] ? esc(p->flags) : xasprintf("-");
			row[3] = rate_str(p->rate_down);
			row[4] = rate_str(p->rate_up);
			row[5] = xasprintf("%.0f%%", p->progress * 100);
			row[6] = esc(p->source);
			row[7] = esc(p->client);
		}
		table_print(cell, n + 1, nc);
		free(cell);
	}
	reply_free(rep);
	return 0;
}

/* One line of progress: with a bar for a terminal, plain for a pipe. */
static char *
wait_line(const Btd__TorrentSummary *s, int bar)
{
	char	 b[WAIT_BAR + 1], *name, *have, *size, *dn, *up, *eta, *line;
	int	 i, full = (int)(s->progress * WAIT_BAR + 0.5);

	for (i = 0; i < WAIT_BAR; i++)
		b[i] = i < full ? '#' : '-';
	b[WAIT_BAR] = '\0';
	name = esc(s->name);
	have = size_str(s->total_size - s->left);
	size = size_str(s->total_size);
	dn = rate_str(s->rate_down);
	up = rate_str(s->rate_up);
	eta = eta_str(s->eta);
	if (bar)
		line = xasprintf("%s  [%s] %5.1f%%  %s of %s  down %s  up %s  "
		    "peers %u  eta %s  %s", name, b, s->progress * 100, have,
		    size, dn, up, s->peers, eta, s->state);
	else
		line = xasprintf("%s  %5.1f%%  %s of %s  down %s  up %s  "
		    "peers %u  eta %s  %s", name, s->progress * 100, have,
		    size, dn, up, s->peers, eta, s->state);
	free(name);
	free(have);
	free(size);
	free(dn);
	free(up);
	free(eta);
	return line;
}

/*
 * wait ID [--timeout S]: ask btd every WAIT_POLL_MS until the torrent
 * has every piece (exit 0), is in error or paused, or S seconds passed
 * (exit 1, with a message).
 */
static int
cmd_wait(struct ctl *ctl, int argc, char **argv)
{
	const Btd__TorrentSummary	*s;
	const Btd__TorrentDetail	*d;
	Btd__CtlReply			*rep;
	struct json			 j;
	struct timespec			 ts;
	const char			*id, *val;
	char				*line, *e, *end, *last = NULL, *fail;
	double				 timeout = 0;
	uint64_t			 start, now, last_line = 0, left_ms;
	int				 tty, shown = 0;

	id = id_and_option("wait", argc, argv, "--timeout",
	    "a number of seconds", &val);
	if (val != NULL) {
		errno = 0;
		timeout = strtod(val, &end);
		if (errno != 0 || end == val || *end != '\0' ||
		    !(timeout > 0 && timeout <= WAIT_MAX_S)) {
			e = esc(val);
			usage_error(cmd_lookup("wait"), "wait: --timeout takes "
			    "seconds, more than 0 and at most %.0f, not '%s'",
			    WAIT_MAX_S, e);
		}
	}
	tty = !ctl->json && isatty(STDOUT_FILENO);
	start = util_now_ms();
	for (;;) {
		rep = show_request(ctl, id);
		d = rep->show;
		s = d->summary;
		now = util_now_ms();
		/* Complete, or complete for the files not skipped. */
		if (s->has_metadata && d->piece_count > 0 &&
		    (s->pieces_have == d->piece_count ||
		    strcmp(s->state, "finished") == 0)) {
			if (ctl->json) {
				json_init(&j, stdout);
				summary_json(&j, NULL, s);
				json_done(&j);
			} else {
				line = wait_line(s, tty);
				printf("%s%s\n", tty ? "\r\033[K" : "", line);
				free(line);
			}
			reply_free(rep);
			free(last);
			return 0;
		}
		e = esc(id);
		fail = NULL;
		if (strcmp(s->state, "error") == 0) {
			char *why = esc(s->error);

			fail = xasprintf("%s is in error: %s", e, why);
		} else if (strcmp(s->state, "paused") == 0)
			fail = xasprintf("%s is paused: it will not complete "
			    "until resumed", e);
		else if (timeout > 0 && (double)(now - start) >= timeout * 1000)
			fail = xasprintf("%s is not complete after %g s (%s, "
			    "%.1f%%)", e, timeout, s->state, s->progress * 100);
		if (fail != NULL) {
			if (tty && shown)
				printf("\n");	/* end the bar's line */
			errorx(1, "%s", fail);
		}
		free(e);
		if (tty) {
			line = wait_line(s, 1);
			printf("\r\033[K%s", line);
			fflush(stdout);
			free(line);
			shown = 1;
		} else if (!ctl->json && (last == NULL ||
		    strcmp(last, s->state) != 0 ||
		    now - last_line >= WAIT_LINE_MS)) {
			line = wait_line(s, 0);
			printf("%s\n", line);
			fflush(stdout);
			free(line);
			free(last);
			last = xasprintf("%s", s->state);
			last_line = now;
		}
		reply_free(rep);
		left_ms = WAIT_POLL_MS;
		if (timeout > 0 && start + (uint64_t)(timeout * 1000) - now <
		    left_ms)
			left_ms = start + (uint64_t)(timeout * 1000) - now;
		ts.tv_sec = (time_t)(left_ms / 1000);
		ts.tv_nsec = (long)(left_ms % 1000) * 1000000;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
}

static int
cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__StatsRequest	 sr = BTD__STATS_REQUEST__INIT;
	Btd__CtlReply		*rep;
	const Btd__SessionStats	*st;
	struct json		 j;
	char			*a, *b;

	(void)argc;
	(void)argv;
	req.body_case = BTD__CTL_REQUEST__BODY_STATS;
	req.stats = &sr;
	rep = transact(ctl, &req, BTD__CTL_REPLY__BODY_STATS);
	if ((st = rep->stats) == NULL)
		errorx(1, "unexpected reply from btd");
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_uint(&j, "downloaded", st->downloaded);
		json_uint(&j, "uploaded", st->uploaded);
		json_uint(&j, "rate_down", st->rate_down);
		json_uint(&j, "rate_up", st->rate_up);
		json_uint(&j, "torrents", st->torrents);
		json_uint(&j, "active", st->active);
		json_uint(&j, "peers", st->peers);
		json_uint(&j, "total_downloaded", st->total_downloaded);
		json_uint(&j, "total_uploaded", st->total_uploaded);
		json_uint(&j, "uptime", st->uptime);
		json_obj_close(&j);
		json_done(&j);
		reply_free(rep);
		return 0;
	}
	a = size_str(st->downloaded);
	b = size_str(st->total_downloaded);
	printf("downloaded:  %s this run, %s in all\n", a, b);
	free(a);
	free(b);
	a = size_str(st->uploaded);
	b = size_str(st->total_uploaded);
	printf("uploaded:    %s this run, %s in all\n", a, b);
	free(a);
	free(b);
	a = rate_str(st->rate_down);
	b = rate_str(st->rate_up);
	printf("rates:       down %s, up %s\n", a, b);
	free(a);
	free(b);
	printf("torrents:    %u (%u active)\n", st->torrents, st->active);
	printf("peers:       %u\n", st->peers);
	a = duration(st->uptime);
	printf("uptime:      %s\n", a);
	free(a);
	reply_free(rep);
	return 0;
}

/* help */

static const struct cmd *
cmd_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int
cmd_version(struct ctl *ctl, int argc, char **argv)
{
	struct json	j;

	(void)argc;
	(void)argv;
	if (ctl->json) {
		json_init(&j, stdout);
		json_obj_open(&j, NULL);
		json_str(&j, "version", BTD_VERSION);
		json_obj_close(&j);
		json_done(&j);
	} else
		printf("btctl %s\n", BTD_VERSION);
	return 0;
}

static int
cmd_help(struct ctl *ctl, int argc, char **argv)
{
	const struct cmd	*c;
	char			 sock[PATH_MAX], *e, *syn;
	size_t			 i, w = 0, n;

	(void)ctl;
	if (argc > 0) {
		if ((c = cmd_lookup(argv[0])) == NULL) {
			e = esc(argv[0]);
			usage_error(cmd_lookup("help"), "help: unknown command "
			    "'%s'", e);
		}
		print_usage(stdout, c);
		printf("%s\n", c->help);
		return 0;
	}
	print_usage(stdout, NULL);
	/*
	 * Two columns: the synopsis, the help; a synopsis wider than the
	 * column has its help on the next line, in the column.
	 */
	for (i = 0; i < NCMDS; i++) {
		n = strlen(cmds[i].name) + 1 + strlen(cmds[i].args);
		if (n > w && n <= HELP_SYN_MAX)
			w = n;
	}
	printf("\ncommands:\n");
	for (i = 0; i < NCMDS; i++) {
		syn = xasprintf("%s%s%s", cmds[i].name,
		    cmds[i].args[0] != '\0' ? " " : "", cmds[i].args);
		if (strlen(syn) <= w)
			printf("  %-*s  %s\n", (int)w, syn, cmds[i].help);
		else
			printf("  %s\n  %-*s  %s\n", syn, (int)w, "",
			    cmds[i].help);
		free(syn);
	}
	printf("\noptions, before or after the command:\n");
	if (util_default_socket(sock, sizeof(sock)) == 0) {
		e = esc(sock);
		printf("  %-*s  btd's ctl socket (default %s)\n", (int)w,
		    "-s socket", e);
		free(e);
	} else
		printf("  %-*s  btd's ctl socket\n", (int)w, "-s socket");
	printf("  %-*s  print JSON, for scripts\n", (int)w, "--json");
	printf("  %-*s  this help; with a command, its usage\n", (int)w,
	    "-h, --help");
	printf("  %-*s  btctl's version\n", (int)w, "--version");
	printf("  %-*s  end of options\n", (int)w, "--");
	return 0;
}

/*
 * Is a one of c's own options?  1 and *takes_value, else 0.  "-dDIR"
 * is -d with its value attached.
 */
static int
cmd_has_opt(const struct cmd *c, const char *a, int *takes_value)
{
	const char	*p, *q;
	size_t		 n;

	*takes_value = 0;
	if (c == NULL || c->opts == NULL)
		return 0;
	for (p = c->opts; *p != '\0'; p = q) {
		while (*p == ' ')
			p++;
		for (q = p; *q != '\0' && *q != ' '; q++)
			;
		n = (size_t)(q - p);
		if (n == 0)
			break;
		if (p[n - 1] == '=') {
			n--;
			if (strncmp(a, p, n) == 0 && a[n] == '\0') {
				*takes_value = 1;
				return 1;
			}
			/* -dDIR */
			if (n == 2 && strncmp(a, p, n) == 0)
				return 1;
		} else if (strncmp(a, p, n) == 0 && a[n] == '\0')
			return 1;
	}
	return 0;
}

/* " (did you mean X?)" for an unknown option a, or "". */
static char *
opt_hint(const struct cmd *c, const char *a)
{
	const char	*cand[NGLOBAL + 8], *best, *p, *q;
	char		 own[8][32];
	size_t		 n = 0, i, k = 0;

	for (i = 0; i < NGLOBAL; i++)
		cand[n++] = global_opts[i];
	if (c != NULL && c->opts != NULL)
		for (p = c->opts; *p != '\0' && k < 8; p = q) {
			while (*p == ' ')
				p++;
			for (q = p; *q != '\0' && *q != ' ' && *q != '='; q++)
				;
			if (q == p)
				break;
			snprintf(own[k], sizeof(own[k]), "%.*s", (int)(q - p),
			    p);
			cand[n++] = own[k++];
			while (*q == '=')
				q++;
		}
	if ((best = util_nearest(a, cand, n)) == NULL)
		return xasprintf("%s", "");
	return xasprintf(" (did you mean %s?)", best);
}

/* " (did you mean X?)" for an unknown command, or "". */
static char *
cmd_hint(const char *a)
{
	const char	*cand[NCMDS], *best;
	size_t		 i;

	for (i = 0; i < NCMDS; i++)
		cand[i] = cmds[i].name;
	if ((best = util_nearest(a, cand, NCMDS)) == NULL)
		return xasprintf("%s", "");
	return xasprintf(" (did you mean %s?)", best);
}

int
main(int argc, char *argv[])
{
	struct ctl		 ctl;
	const struct cmd	*c, *pc = NULL;
	char			**pos, **args, *e, *h;
	int			 i, npos = 0, nargs, help = 0, version = 0, r;
	int			 tv;

	memset(&ctl, 0, sizeof(ctl));
	ctl.fd = -1;
	ctl.timeout_ms = CTL_TIMEOUT_MS;
	setlocale(LC_CTYPE, "");
	utf8_term = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	/* Into a pipe or a file (buffered fully already): in 64 KiB writes,
	   not 4 KiB ones (a list of 10,000 torrents in JSON is 10 MB). */
	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	/* Options anywhere; everything else, in order, is the command. */
	pos = xmalloc((size_t)(argc + 1) * sizeof(*pos));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		/* create needs no daemon and parses all of its own options. */
		if (npos == 0 && strcmp(a, "create") == 0) {
			free(pos);
			return ctl_create(argc - i, argv + i);
		}

		if (a[0] != '-' || a[1] == '\0') {
			if (npos == 0)
				pc = cmd_lookup(a);
			pos[npos++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			while (++i < argc)
				pos[npos++] = argv[i];
		} else if (strcmp(a, "--json") == 0)
			ctl.json = 1;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			help = 1;
		else if (strcmp(a, "--version") == 0)
			version = 1;
		else if (strcmp(a, "-s") == 0) {
			if (++i == argc)
				usage_error(NULL, "option -s needs a socket "
				    "path");
			ctl.sock = argv[i];
		} else if (strncmp(a, "-s", 2) == 0)
			ctl.sock = a + 2;
		else if (npos > 0 && cmd_has_opt(pc, a, &tv)) {
			/* The command's own option, parsed by the command. */
			pos[npos++] = argv[i];
			if (tv && i + 1 < argc)
				pos[npos++] = argv[++i];
		} else {
			e = esc(a);
			h = opt_hint(npos > 0 ? pc : NULL, a);
			usage_error(npos > 0 ? pc : NULL, "%s%sunknown option "
			    "%s%s", pc != NULL ? pc->name : "", pc != NULL ?
			    ": " : "", e, h);
		}
	}
	pos[npos] = NULL;

	if (version && !help) {
		c = cmd_lookup("version");
		args = pos;
		nargs = 0;
	} else if (help) {
		/* -h is "help", for the command given with it if any. */
		c = cmd_lookup("help");
		args = pos;
		nargs = npos > 0 && cmd_lookup(pos[0]) != NULL;
	} else {
		if (npos == 0)
			usage_error(NULL, "no command given (btctl help "
			    "lists them)");
		if ((c = cmd_lookup(pos[0])) == NULL) {
			e = esc(pos[0]);
			h = cmd_hint(pos[0]);
			usage_error(NULL, "unknown command '%s'%s", e, h);
		}
		args = pos + 1;
		nargs = npos - 1;
		if (nargs < c->minargs)
			usage_error(c, "%s: missing %s", c->name,
			    c->argnames[nargs]);
		if (nargs > c->maxargs)
			usage_error(c, "%s: too many arguments", c->name);
	}

	r = c->run(&ctl, nargs, args);
	if (ctl.fd != -1)
		close(ctl.fd);
	free(pos);
	if (fflush(stdout) == EOF || ferror(stdout))
		errorx(1, "cannot write output: %s", strerror(errno));
	return r;
}
