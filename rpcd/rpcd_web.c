/*
 * rpcd_web.c -- the web interface: Transmission's own web client (the
 * files of rpc_web_dir, Debian's /usr/share/transmission/web), served
 * read-only at /transmission/web/ so that a browser manages btd.  The
 * page then makes its RPC calls to /transmission/rpc with the
 * browser's credentials, and does the session-id handshake itself.
 *
 * rpcd_http.c hands over every request for "/", "/transmission",
 * "/transmission/web" and what lies below it, after the Host check and
 * basic auth, exactly as for the RPC.  Then:
 *
 *   method      GET and HEAD only (405)
 *   redirects   "/" and "/transmission" to /transmission/web/ (302),
 *               "/transmission/web" to "/transmission/web/" (301)
 *   path        percent-decoded once; NUL, control bytes and '\' are
 *               refused (400); so are components that are empty, or
 *               begin with '.' ("..", hidden files) (404), and a path
 *               of more than WEB_PATH_MAX bytes (414)
 *   index       a path ending in '/' means its index.html
 *   open        openat2() beneath the web dir's descriptor with
 *               RESOLVE_BENEATH: neither ".." nor a symlink, absolute or
 *               relative, resolves outside the dir (404); O_NONBLOCK, so
 *               that a FIFO planted there cannot stall rpcd
 *   file        a regular file (a directory is 404) of at most
 *               WEB_FILE_MAX bytes (403), read whole
 *   answer      Content-Type from the name's extension, an ETag of size
 *               and mtime (If-None-Match gives 304), Cache-Control
 *               no-cache, nosniff and no framing
 *
 * The descriptor is opened by btd before the uid change and the
 * sandbox (lib/sandbox.c, SANDBOX_WEB_FD); Landlock's rule for the dir
 * is built from it, read only.  Without it (rpc_web_dir empty, or not a
 * directory when rpcd started) every web path is 404 and the RPC runs
 * as before.
 *
 * Rejected alternative: evbuffer_add_file(), which sends with
 * sendfile() or mmap(); the files are small (the largest of Debian's is
 * 240 KiB), and a read keeps rpcd's seccomp list as it is.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "rpcd.h"
#include "sandbox.h"

/* Tunables. */
#define WEB_PATH_MAX	1024		/* a request's path, decoded, bytes */
#define WEB_FILE_MAX	(8 << 20)	/* largest file served, bytes */
#define WEB_PREFIX	"/transmission/web"
#define WEB_INDEX	"index.html"

static int	 web_fd = -1;		/* the web dir (O_PATH); -1: none */

static const struct {
	const char	*ext;
	const char	*type;
} types[] = {
	{ "html", "text/html; charset=UTF-8" },
	{ "htm", "text/html; charset=UTF-8" },
	{ "js", "text/javascript; charset=UTF-8" },
	{ "mjs", "text/javascript; charset=UTF-8" },
	{ "css", "text/css; charset=UTF-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "txt", "text/plain; charset=UTF-8" },
	{ "png", "image/png" },
	{ "gif", "image/gif" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "webp", "image/webp" },
	{ "svg", "image/svg+xml" },
	{ "ico", "image/x-icon" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
};

#define NTYPES	(sizeof(types) / sizeof(types[0]))

int
web_init(void)
{
	struct stat	 st;

	/* Only what btd opened there counts: a directory. */
	if (fstat(SANDBOX_WEB_FD, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	if (fcntl(SANDBOX_WEB_FD, F_SETFD, FD_CLOEXEC) == -1)
		return 0;
	web_fd = SANDBOX_WEB_FD;
	return 1;
}

int
web_path(const char *path)
{
	size_t	 n = strlen(WEB_PREFIX);

	return strcmp(path, "/") == 0 || strcmp(path, "/transmission") == 0 ||
	    strcmp(path, "/transmission/") == 0 ||
	    (strncmp(path, WEB_PREFIX, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/'));
}

static const char *
type_of(const char *name)
{
	const char	*dot = strrchr(name, '.');
	size_t		 i;

	if (dot == NULL || strchr(dot, '/') != NULL)
		return "application/octet-stream";
	for (i = 0; i < NTYPES; i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static void
redirect(struct evhttp_request *req, int code, const char *to)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
	    to);
	http_text(req, code, code == 301 ? "Moved Permanently" : "Found", to);
}

/*
 * The file a decoded path names, relative to the web dir, into out;
 * 0, or the HTTP status to answer with why set.
 */
static int
web_rel(const char *path, size_t len, char *out, size_t outlen,
    const char **why)
{
	const char	*p, *c, *rel;
	size_t		 i, n;

	for (i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f ||
		    path[i] == '\\') {
			*why = "control byte, NUL or backslash in the path";
			return 400;
		}
	rel = path + strlen(WEB_PREFIX "/");
	for (p = rel; *p != '\0'; p = c) {
		c = p + strcspn(p, "/");
		n = (size_t)(c - p);
		if (n == 0 || p[0] == '.') {
			*why = "empty, '.' or '..' component";
			return 404;
		}
		if (*c == '/')
			c++;
	}
	if (snprintf(out, outlen, "%s%s", rel, *rel == '\0' ||
	    rel[strlen(rel) - 1] == '/' ? WEB_INDEX : "") >= (int)outlen) {
		*why = "path too long";
		return 414;
	}
	return 0;
}

static int
open_beneath(const char *rel)
{
	struct open_how	 how;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, web_fd, rel, &how, sizeof(how));
}

/* Read the whole of fd (st_size bytes) into b; 0 or -1. */
static int
read_all(int fd, off_t size, struct evbuffer *b)
{
	char	*buf;
	off_t	 off = 0;
	ssize_t	 n = 0;

	if ((buf = malloc(size > 0 ? (size_t)size : 1)) == NULL)
		return -1;
	while (off < size) {
		n = pread(fd, buf + off, (size_t)(size - off), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* shrank meanwhile: what is there */
		off += n;
	}
	if (n == -1 || evbuffer_add(b, buf, (size_t)off) == -1) {
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

void
web_serve(struct evhttp_request *req, const char *path)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	struct evbuffer		*b = NULL;
	struct stat		 st;
	const char		*why = NULL, *inm;
	char			*dec = NULL, rel[WEB_PATH_MAX + 16], etag[64];
	char			 esc[128], num[32];
	size_t			 len;
	int			 fd = -1, code;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(out, "Allow", "GET, HEAD");
		http_text(req, 405, "Method Not Allowed", "GET or HEAD only");
		return;
	}
	if (strcmp(path, WEB_PREFIX) == 0) {
		redirect(req, 301, WEB_PREFIX "/");
		return;
	}
	if (strncmp(path, WEB_PREFIX "/", strlen(WEB_PREFIX "/")) != 0) {
		/* "/", "/transmission", "/transmission/" */
		redirect(req, 302, WEB_PREFIX "/");
		return;
	}
	if (web_fd == -1) {
		http_text(req, 404, "Not Found", "the web interface is off "
		    "(rpc_web_dir)");
		return;
	}
	if (strlen(path) > WEB_PATH_MAX * 3) {
		http_text(req, 414, "URI Too Long", "path too long");
		return;
	}
	if ((dec = evhttp_uridecode(path, 0, &len)) == NULL) {
		http_text(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	if (len > WEB_PATH_MAX) {
		code = 414;
		why = "path too long";
	} else
		code = web_rel(dec, len, rel, sizeof(rel), &why);
	if (code != 0) {
		log_escape(esc, sizeof(esc), dec, len);
		log_info("http: web: refused %s: %s", esc, why);
		free(dec);
		http_text(req, code, code == 400 ? "Bad Request" : code == 414 ?
		    "URI Too Long" : "Not Found", why);
		return;
	}
	free(dec);
	if ((fd = open_beneath(rel)) == -1) {
		log_escape(esc, sizeof(esc), rel, strlen(rel));
		if (errno == EXDEV || errno == ELOOP)
			log_info("http: web: %s leads out of the web dir", esc);
		else
			log_debug("http: web: %s: %s", esc, strerror(errno));
		http_text(req, 404, "Not Found", "not found");
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		http_text(req, 404, "Not Found", "not found");
		return;
	}
	if (st.st_size > WEB_FILE_MAX) {
		close(fd);
		log_info("http: web: %s: over %d bytes", rel, WEB_FILE_MAX);
		http_text(req, 403, "Forbidden", "file too large to serve");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"",
	    (unsigned long long)st.st_size,
	    (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
	    (unsigned long long)st.st_mtim.tv_nsec);
	evhttp_add_header(out, "Server", "btd-rpcd");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "Cache-Control", "no-cache");
	evhttp_add_header(out, "ETag", etag);
	inm = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "If-None-Match");
	if (inm != NULL && strcmp(inm, etag) == 0) {
		close(fd);
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	evhttp_add_header(out, "Content-Type", type_of(rel));
	if ((b = evbuffer_new()) == NULL || (cmd == EVHTTP_REQ_GET &&
	    read_all(fd, st.st_size, b) == -1)) {
		close(fd);
		if (b != NULL)
			evbuffer_free(b);
		log_warnx("http: web: %s: %s", rel, strerror(errno));
		http_text(req, 500, "Internal Server Error", "cannot read");
		return;
	}
	close(fd);
	/* HEAD: the length the body would have (evhttp sends none). */
	snprintf(num, sizeof(num), "%zu", cmd == EVHTTP_REQ_GET ?
	    evbuffer_get_length(b) : (size_t)st.st_size);
	evhttp_add_header(out, "Content-Length", num);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}
