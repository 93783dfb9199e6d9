/*
 * rpcd_http.c -- HTTP for the Transmission RPC, on libevent's evhttp.
 *
 * One listening socket on rpc_bind, bound by btd and taken at
 * SANDBOX_LISTEN_FD (http_take()), served from the first Config on;
 * the sandbox lets rpcd bind nothing, listen on nothing new, and
 * connect nowhere.  Every request goes through, in this order:
 *
 *   path        POST /transmission/rpc (404; 405 for other methods),
 *               GET /metrics (rpcd_metrics.c: after the auth, with no
 *               session id), and the web interface's paths (rpcd_web.c:
 *               "/", /transmission/web/...), which after Host and auth
 *               go to web_serve()
 *   Host        its host part must be one of rpc_host_whitelist or
 *               rpc_bind's address, or the request is refused with 421:
 *               a web page of another origin that has a name resolve to
 *               127.0.0.1 (DNS rebinding, CVE-2018-5702) names its own
 *               host
 *   auth        basic auth against rpc_username and rpc_password's hash
 *               (rpcd_auth.c), else 401 with WWW-Authenticate
 *   session id  X-Transmission-Session-Id must be this run's, else 409
 *               with the id in that header (the spec's CSRF handshake)
 *   body        at most RPCD_BODY_MAX bytes (evhttp answers 413 beyond),
 *               JSON parsed by json-c, nested at most RPCD_JSON_DEPTH,
 *               strict, valid UTF-8, one object and nothing after it;
 *               else 400 naming what was wrong
 *
 * then becomes a job (rpcd_method.c) that answers once.  A client that
 * leaves before its answer leaves the job to stop at its next Answer,
 * with nobody to answer.
 *
 * Bounds: headers RPCD_HEADERS_MAX bytes, rpc_timeout seconds (default
 * RPCD_TIMEOUT) of silence, and as long for a whole request to arrive
 * (the deadlines below), RPCD_MAX_CLIENTS
 * connections: with that many open, accepting pauses (looked at again
 * every RPCD_RECHECK_MS) and the kernel's backlog holds the rest.
 * Connections are counted from the descriptor table (every inet socket
 * with a peer is a client), since evhttp 2.1 says when one opens but
 * not when it closes.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include <json-c/json.h>

#include "log.h"
#include "rpcd.h"
#include "sandbox.h"
#include "util.h"

/* Tunables. */
#define RPCD_BODY_MAX		(1 << 20)	/* request body, bytes */
#define RPCD_HEADERS_MAX	16384		/* request headers, bytes */
#define RPCD_JSON_DEPTH		16		/* nesting of a request */
#define RPCD_TIMEOUT		30		/* seconds: read, write, and a
						   whole request (rpc_timeout) */
#define RPCD_MAX_CLIENTS	32		/* connections at once */
#define RPCD_RECHECK_MS		250		/* paused: look again */
#define RPCD_FD_SCAN		256		/* rpcd's nofile limit */
#define RPCD_PATH		"/transmission/rpc"
#define RPCD_METRICS		"/metrics"	/* rpcd_metrics.c */
#define RPCD_SID_HEADER		"X-Transmission-Session-Id"

static struct event_base	*base;
static struct evhttp		*http;
static struct evhttp_bound_socket *bound;
static struct event		*recheck;
static int			 lfd = -1;
static int			 paused;
static char			 session_id[49];	/* 48 hex digits */
static char			 bind_addr[64];	/* without brackets */
static char			*hosts;		/* rpc_host_whitelist */
static char			*user;
static char			*pwhash;
static int			 timeout_s = RPCD_TIMEOUT;

/*
 * Deadlines.  evhttp's timeout is for silence: a client that sends a
 * byte now and then (slowloris) is never cut by it, and 32 of them
 * would lock everyone out.  So every connection has timeout_s to
 * deliver a whole request, counted from when it is first seen or its
 * last answer went out; one still short of it is shut down (its socket,
 * not evhttp's state: evhttp then reads the end and frees it as for any
 * close).  Connections are told apart by the socket's inode, since a
 * descriptor number is reused; a sweep each second looks at them all.
 * Rejected: a bufferevent of our own per connection (evhttp_set_bevcb),
 * which evhttp frees without telling.
 */
struct conn_seen {
	ino_t		 ino;		/* the socket's; 0: a free slot */
	uint64_t	 since_ms;	/* first seen, or its last answer */
	int		 busy;		/* a request is being answered */
	int		 swept;		/* seen in this sweep */
};
static struct conn_seen		 seen[RPCD_FD_SCAN];
static struct event		*sweep_ev;

static struct conn_seen *
seen_find(ino_t ino, int add)
{
	struct conn_seen	*free_slot = NULL;
	size_t			 i;

	for (i = 0; i < RPCD_FD_SCAN; i++) {
		if (seen[i].ino == ino)
			return &seen[i];
		if (seen[i].ino == 0 && free_slot == NULL)
			free_slot = &seen[i];
	}
	if (!add || free_slot == NULL)
		return NULL;
	free_slot->ino = ino;
	free_slot->since_ms = util_now_ms();
	free_slot->busy = 0;
	return free_slot;
}

static ino_t
fd_ino(int fd)
{
	struct stat	 sb;

	return fd >= 0 && fstat(fd, &sb) == 0 ? sb.st_ino : 0;
}

/* A request of conn arrived (busy 1) or was answered (busy 0). */
static void
conn_mark(struct evhttp_connection *conn, int busy)
{
	struct conn_seen	*c;
	struct bufferevent	*bev;
	ino_t			 ino;

	if (conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(conn)) == NULL ||
	    (ino = fd_ino(bufferevent_getfd(bev))) == 0 ||
	    (c = seen_find(ino, 1)) == NULL)
		return;
	c->busy = busy;
	c->since_ms = util_now_ms();
}

/* 1 when fd is a connected inet socket: a client. */
static int
client_fd(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return 0;
	len = sizeof(ss);
	return getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

static void
conn_sweep(evutil_socket_t fd0, short ev, void *arg)
{
	struct timeval		 tv = { 1, 0 };
	struct conn_seen	*c;
	uint64_t		 now = util_now_ms();
	ino_t			 ino;
	size_t			 i;
	int			 fd;

	(void)fd0;
	(void)ev;
	(void)arg;
	for (i = 0; i < RPCD_FD_SCAN; i++)
		seen[i].swept = 0;
	for (fd = 0; fd < RPCD_FD_SCAN; fd++) {
		if (fd == lfd)
			continue;
		if (!client_fd(fd) || (ino = fd_ino(fd)) == 0 ||
		    (c = seen_find(ino, 1)) == NULL)
			continue;
		c->swept = 1;
		/* A slot made just now may be a millisecond past now. */
		if (!c->busy && now > c->since_ms &&
		    now - c->since_ms > (uint64_t)timeout_s * 1000) {
			log_info("http: a client sent no whole request in %d s: "
			    "closed", timeout_s);
			(void)shutdown(fd, SHUT_RDWR);
		}
	}
	/* Gone: their slots are free again. */
	for (i = 0; i < RPCD_FD_SCAN; i++)
		if (!seen[i].swept)
			seen[i].ino = 0;
	evtimer_add(sweep_ev, &tv);
}

/* Connected inet sockets: the clients. */
static int
clients_count(void)
{
	int	 fd, n = 0;

	for (fd = 0; fd < RPCD_FD_SCAN; fd++) {
		if (fd == lfd)
			continue;
		n += client_fd(fd);
	}
	return n;
}

static void
accept_check(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval	 tv = { 0, RPCD_RECHECK_MS * 1000 };
	int		 n = clients_count();

	(void)fd;
	(void)ev;
	(void)arg;
	if (bound == NULL)
		return;
	if (n >= RPCD_MAX_CLIENTS) {
		if (!paused) {
			log_warnx("http: %d clients: not accepting more", n);
			evconnlistener_disable(
			    evhttp_bound_socket_get_listener(bound));
			paused = 1;
		}
		evtimer_add(recheck, &tv);
	} else if (paused) {
		log_info("http: %d clients: accepting again", n);
		evconnlistener_enable(evhttp_bound_socket_get_listener(bound));
		paused = 0;
	}
}

/* evhttp asks for each new connection's bufferevent: count them. */
static struct bufferevent *
new_conn(struct event_base *b, void *arg)
{
	(void)b;
	(void)arg;
	/* The new descriptor is not counted yet: one more than seen. */
	if (clients_count() + 1 >= RPCD_MAX_CLIENTS)
		accept_check(-1, 0, NULL);
	return NULL;	/* evhttp makes its own */
}

static void
job_closed(struct evhttp_connection *conn, void *arg)
{
	struct job	*j = arg;

	(void)conn;
	/* The job goes on to its end (its Calls are answered), unanswered. */
	log_debug("http: client left before its answer");
	j->req = NULL;
	j->conn = NULL;
}

static void
job_free(struct job *j)
{
	conn_mark(j->conn, 0);
	if (j->conn != NULL)
		evhttp_connection_set_closecb(j->conn, NULL, NULL);
	rpc_forget(j->mstate);
	if (j->mfree != NULL)
		j->mfree(j->mstate);
	if (j->root != NULL)
		json_object_put(j->root);
	free(j);
}

static void
add_common_headers(struct evhttp_request *req)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);

	evhttp_add_header(out, "Server", "btd-rpcd");
	evhttp_add_header(out, RPCD_SID_HEADER, session_id);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
}

static void
send_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer	*b = evbuffer_new();

	add_common_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=UTF-8");
	if (b != NULL)
		evbuffer_add_printf(b, "%d: %s\n", code, text);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

void
http_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	send_text(req, code, reason, text);
}

void
http_fail(struct job *j, int code, const char *text)
{
	if (j->req != NULL)
		send_text(j->req, code, code == 400 ? "Bad Request" :
		    "Error", text);
	job_free(j);
}

void
http_reply(struct job *j, struct json_object *resp)
{
	struct evbuffer	*b;
	const char	*s;

	if (j->req == NULL || resp == NULL) {
		if (resp != NULL)
			json_object_put(resp);
		job_free(j);
		return;
	}
	s = json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((b = evbuffer_new()) == NULL || s == NULL) {
		if (b != NULL)
			evbuffer_free(b);
		json_object_put(resp);
		send_text(j->req, 500, "Internal Server Error",
		    "out of memory");
		job_free(j);
		return;
	}
	evbuffer_add(b, s, strlen(s));
	add_common_headers(j->req);
	evhttp_add_header(evhttp_request_get_output_headers(j->req),
	    "Content-Type", "application/json; charset=UTF-8");
	evhttp_send_reply(j->req, 200, "OK", b);
	evbuffer_free(b);
	json_object_put(resp);
	job_free(j);
}

/* The host part of a Host header into out; -1 if malformed. */
static int
host_part(const char *h, char *out, size_t outlen)
{
	const char	*e;
	size_t		 n;

	if (h[0] == '[') {
		if ((e = strchr(h, ']')) == NULL ||
		    (e[1] != '\0' && e[1] != ':'))
			return -1;
		h++;
	} else if ((e = strchr(h, ':')) == NULL)
		e = h + strlen(h);
	else if (strchr(e + 1, ':') != NULL)
		return -1;	/* an IPv6 address needs brackets */
	n = (size_t)(e - h);
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, h, n);
	out[n] = '\0';
	/* A trailing dot names the same host ("localhost."). */
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	return 0;
}

static int
host_allowed(const char *header)
{
	char		 h[256];
	const char	*p, *c;
	size_t		 n;

	if (header == NULL || host_part(header, h, sizeof(h)) == -1)
		return 0;
	if (strcasecmp(h, bind_addr) == 0)
		return 1;
	for (p = hosts != NULL ? hosts : ""; *p != '\0'; p = c) {
		c = p + strcspn(p, ",");
		n = (size_t)(c - p);
		if (n == strlen(h) && strncasecmp(p, h, n) == 0)
			return 1;
		if (*c == ',')
			c++;
	}
	return 0;
}

/* Parse the body: one JSON object, strict, valid UTF-8, bounded. */
static struct json_object *
parse_body(struct evbuffer *b, char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	enum json_tokener_error	 e;
	size_t			 len = evbuffer_get_length(b), off, i;
	const char		*p;

	if (len == 0) {
		snprintf(err, errlen, "empty body: a JSON object is needed");
		return NULL;
	}
	if ((p = (const char *)evbuffer_pullup(b, -1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(RPCD_JSON_DEPTH)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, p, (int)len);
	e = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL || e != json_tokener_success) {
		snprintf(err, errlen, "invalid JSON at byte %zu: %s", off,
		    e == json_tokener_continue ? "unexpected end" :
		    e == json_tokener_error_depth ? "nested too deep" :
		    json_tokener_error_desc(e));
		json_object_put(o);
		return NULL;
	}
	for (i = off; i < len; i++)
		if (!isspace((unsigned char)p[i])) {
			snprintf(err, errlen, "bytes after the JSON value at "
			    "byte %zu", i);
			json_object_put(o);
			return NULL;
		}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the request is not a JSON object");
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Basic auth: 1, or 0 with the 401 sent. */
static int
authorized(struct evhttp_request *req)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);

	if (auth_check(evhttp_find_header(in, "Authorization"), user,
	    pwhash))
		return 1;
	/* Clients send one request without credentials first. */
	if (evhttp_find_header(in, "Authorization") == NULL)
		log_debug("http: a request without credentials");
	else
		log_info("http: refused a request with wrong credentials");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "WWW-Authenticate", "Basic realm=\"btd\"");
	send_text(req, 401, "Unauthorized", "unauthorized user");
	return 0;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path, *sid;
	struct json_object	*o;
	struct job		*j;
	char			 err[256];

	(void)arg;
	/* A whole request is in: its deadline starts again when answered. */
	conn_mark(evhttp_request_get_connection(req), 0);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (!host_allowed(evhttp_find_header(in, "Host"))) {
		log_warnx("http: refused a request for another host");
		send_text(req, 421, "Misdirected Request", "this host name "
		    "is not served here (rpc_host_whitelist)");
		return;
	}
	if (path != NULL && web_path(path)) {
		if (authorized(req))
			web_serve(req, path);
		return;
	}
	/* /metrics: Host and auth as for the RPC, no session id. */
	if (path != NULL && strcmp(path, RPCD_METRICS) == 0 &&
	    auth_check(evhttp_find_header(in, "Authorization"), user,
	    pwhash)) {
		metrics_run(req);
		return;
	}
	if (path == NULL || (strcmp(path, RPCD_PATH) != 0 &&
	    strcmp(path, RPCD_PATH "/") != 0 &&
	    strcmp(path, RPCD_METRICS) != 0)) {
		send_text(req, 404, "Not Found", "not found");
		return;
	}
	if (!authorized(req))
		return;
	sid = evhttp_find_header(in, RPCD_SID_HEADER);
	if (sid == NULL || strcmp(sid, session_id) != 0) {
		send_text(req, 409, "Conflict", "invalid or missing "
		    RPCD_SID_HEADER "; use the one in this reply's header");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		send_text(req, 405, "Method Not Allowed", "POST only");
		return;
	}
	if ((o = parse_body(evhttp_request_get_input_buffer(req), err,
	    sizeof(err))) == NULL) {
		log_info("http: bad request: %s", err);
		send_text(req, 400, "Bad Request", err);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		json_object_put(o);
		send_text(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	j->req = req;
	j->conn = evhttp_request_get_connection(req);
	j->started_ms = util_now_ms();
	conn_mark(j->conn, 1);
	if (j->conn != NULL)
		evhttp_connection_set_closecb(j->conn, job_closed, j);
	method_run(j, o);
}

/*
 * Take the listening socket btd bound to rpc_bind and left at
 * SANDBOX_LISTEN_FD (rpcd may not bind: lib/sandbox.c).  Anything else
 * there is a broken start: fatal.  Its address, as bound, is the one
 * the Host check always accepts.
 */
static void
http_take(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len = sizeof(ss);
	int			 on = 0, type = 0, flags;
	socklen_t		 olen = sizeof(on), tlen = sizeof(type);

	if (getsockopt(SANDBOX_LISTEN_FD, SOL_SOCKET, SO_ACCEPTCONN, &on,
	    &olen) == -1 || getsockopt(SANDBOX_LISTEN_FD, SOL_SOCKET, SO_TYPE,
	    &type, &tlen) == -1 || getsockname(SANDBOX_LISTEN_FD,
	    (struct sockaddr *)&ss, &len) == -1)
		fatal("fd %d: not the listening socket btd binds",
		    SANDBOX_LISTEN_FD);
	if (!on || type != SOCK_STREAM || (ss.ss_family != AF_INET &&
	    ss.ss_family != AF_INET6))
		fatalx("fd %d: not a listening inet stream socket; rpcd "
		    "takes its socket from btd", SANDBOX_LISTEN_FD);
	if (inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
	    (void *)&sin->sin_addr : (void *)&sin6->sin6_addr, bind_addr,
	    sizeof(bind_addr)) == NULL)
		fatal("fd %d: address", SANDBOX_LISTEN_FD);
	if (fcntl(SANDBOX_LISTEN_FD, F_SETFD, FD_CLOEXEC) == -1 ||
	    (flags = fcntl(SANDBOX_LISTEN_FD, F_GETFL)) == -1 ||
	    fcntl(SANDBOX_LISTEN_FD, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("fd %d: fcntl", SANDBOX_LISTEN_FD);
	lfd = SANDBOX_LISTEN_FD;
	log_debug("listening socket from btd: %s port %u", bind_addr,
	    (unsigned)ntohs(ss.ss_family == AF_INET ? sin->sin_port :
	    sin6->sin6_port));
}

/*
 * Serve on the socket once the first Config has set the auth and the
 * Host list: until then its backlog holds the clients.
 */
static void
http_listen(const char *value)
{
	if ((bound = evhttp_accept_socket_with_handle(http, lfd)) == NULL)
		fatalx("rpc_bind %s: evhttp", value);
	log_info("listening on %s", value);
}

static void
set_str(char **p, const char *v)
{
	char	*n;

	if ((n = strdup(v)) == NULL)
		fatal("%s", __func__);
	if (*p != NULL)
		explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = n;
}

const char *
http_session_id(void)
{
	return session_id;
}

void
http_config(const char *key, const char *value)
{
	if (strcmp(key, "rpc_bind") == 0 && bound == NULL)
		http_listen(value);
	else if (strcmp(key, "rpc_host_whitelist") == 0)
		set_str(&hosts, value);
	else if (strcmp(key, "rpc_username") == 0)
		set_str(&user, value);
	else if (strcmp(key, "rpc_password") == 0)
		set_str(&pwhash, value);
	else if (strcmp(key, "rpc_timeout") == 0) {
		/* btd checked it: 1 to 3600. */
		timeout_s = (int)strtol(value, NULL, 10);
		if (timeout_s < 1 || timeout_s > 3600)
			timeout_s = RPCD_TIMEOUT;
		evhttp_set_timeout(http, timeout_s);
	}
}

void
http_init(struct event_base *b)
{
	unsigned char	 r[24];
	int		 i;

	base = b;
	arc4random_buf(r, sizeof(r));
	for (i = 0; i < 24; i++)
		snprintf(session_id + 2 * i, 3, "%02x", r[i]);
	if ((http = evhttp_new(base)) == NULL ||
	    (recheck = evtimer_new(base, accept_check, NULL)) == NULL ||
	    (sweep_ev = evtimer_new(base, conn_sweep, NULL)) == NULL)
		fatalx("evhttp_new failed");
	http_take();
	conn_sweep(-1, 0, NULL);
	evhttp_set_max_body_size(http, RPCD_BODY_MAX);
	evhttp_set_max_headers_size(http, RPCD_HEADERS_MAX);
	evhttp_set_timeout(http, RPCD_TIMEOUT);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(http, "text/plain; charset=UTF-8");
	evhttp_set_bevcb(http, new_conn, NULL);
	evhttp_set_gencb(http, on_request, NULL);
}
