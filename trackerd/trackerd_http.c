/*
 * trackerd_http.c -- HTTP and HTTPS through libcurl's multi interface,
 * driven by trackerd's libevent loop: no blocking call, no thread per
 * request (curl's resolver may use one, created after confinement).
 *
 * Every request is bounded: http and https only, also for redirects,
 * at most TR_MAX_REDIRECTS of them; a body capped after decoding
 * (gzip and deflate are accepted, so a bomb stops at the cap); a total
 * time limit.  Only status 200 is a reply.  Callbacks run from the event
 * loop, never from inside the call that started the request.
 *
 * The address policy (lib/netpolicy.c) is applied to the address curl
 * connects to, after its own resolution, so that neither a host name
 * that resolves differently the second time (DNS rebinding) nor a
 * redirect leads around it: CURLOPT_OPENSOCKETFUNCTION refuses before a
 * connection is made, CURLOPT_PREREQFUNCTION (libcurl 7.80) once more
 * before every request, redirects and reused connections included,
 * with the URL of that very request.  Rejected: checking the host of
 * the URL before the request, which says nothing about what curl
 * resolves later or where a Location leads.
 *
 * At most HTTP_RUNNING_MAX transfers are under way at once; the others
 * wait in order, without a curl handle, so that 100,000 torrents
 * announcing at start cost a queue, not 100,000 handles (and curl's
 * own lists of them).  A transfer's time limit runs from its start.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "log.h"
#include "netpolicy.h"
#include "trackerd.h"

#define HTTP_CONNECT_TIMEOUT	10	/* seconds */
#define HTTP_SCRAPE_TIMEOUT	30	/* seconds */
#define HTTP_FETCH_TIMEOUT	120	/* seconds for a .torrent */
#define HTTP_USER_AGENT		"btd/" BTD_VERSION
#define HTTP_RUNNING_MAX	32	/* transfers at once; more wait */

enum http_kind {
	HTTP_ANNOUNCE,
	HTTP_SCRAPE,
	HTTP_FETCH,
};

struct tr_req {
	TAILQ_ENTRY(tr_req)	 waitq;
	int		 waiting;	/* queued, not started */
	char		*url;		/* until started */
	long		 timeout;
	CURL		*easy;		/* once started */
	enum http_kind	 kind;
	uint8_t		*body;
	size_t		 len;
	size_t		 max;		/* the cap on the decoded body */
	int		 over;		/* the cap was hit */
	uint8_t		 info_hash[20];	/* scrape */
	tr_done_cb	 done;
	tr_fetch_cb	 fetched;
	void		*arg;
	char		*errbuf;	/* CURL_ERROR_SIZE, once started:
					   one waiting costs no buffer */
	const char	*refused;	/* the address policy's reason */
	int		 checked;	/* addresses checked so far */
	int		 fetch_local;	/* a fetch from a loopback URL */
};

struct sock_ev {
	struct event	*ev;
	curl_socket_t	 fd;
};

static struct event_base	*base;
static CURLM			*multi;
static struct event		*timer;
static struct event		*start_ev;	/* start those waiting */
static TAILQ_HEAD(, tr_req)	 waitq = TAILQ_HEAD_INITIALIZER(waitq);
static int			 nrunning;

static void	check_done(void);
static void	start_cb(evutil_socket_t, short, void *);

static void
sock_cb(evutil_socket_t fd, short what, void *arg)
{
	int running, flags = 0;

	(void)arg;
	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(multi, fd, flags, &running);
	check_done();
}

static int
socket_fn(CURL *e, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct sock_ev	*se = sockp;
	short		 kind;

	(void)e;
	(void)userp;
	if (what == CURL_POLL_REMOVE) {
		if (se != NULL) {
			event_free(se->ev);
			free(se);
		}
		curl_multi_assign(multi, s, NULL);
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (se == NULL) {
		if ((se = calloc(1, sizeof(*se))) == NULL)
			return -1;
		se->fd = s;
		curl_multi_assign(multi, s, se);
	} else
		event_free(se->ev);
	se->ev = event_new(base, s, kind, sock_cb, NULL);
	if (se->ev == NULL || event_add(se->ev, NULL) == -1)
		return -1;
	return 0;
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	int running;

	(void)fd;
	(void)what;
	(void)arg;
	curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done();
}

static int
timer_fn(CURLM *m, long ms, void *userp)
{
	struct timeval tv;

	(void)m;
	(void)userp;
	if (ms < 0) {
		evtimer_del(timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(timer, &tv);
	return 0;
}

int
http_init(struct event_base *b)
{
	base = b;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (multi = curl_multi_init()) == NULL ||
	    (timer = evtimer_new(base, timer_cb, NULL)) == NULL ||
	    (start_ev = event_new(base, -1, 0, start_cb, NULL)) == NULL)
		return -1;
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	return 0;
}

static size_t
write_fn(char *ptr, size_t size, size_t n, void *arg)
{
	struct tr_req	*r = arg;
	size_t		 len = size * n;
	uint8_t		*p;

	if (len > r->max - r->len) {
		r->over = 1;
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	}
	if ((p = realloc(r->body, r->len + len + 1)) == NULL)
		return 0;
	r->body = p;
	memcpy(r->body + r->len, ptr, len);
	r->len += len;
	return len;
}

/*
 * May this request of r go to sa?  0, or -1 with the reason kept for
 * the error.  A fetch (a .torrent an administrator named) may take any
 * path of a loopback server when its own URL leads there, the first
 * address checked; a tracker, or a fetch redirected to loopback, only
 * /announce and /scrape.
 */
static int
policy_check(struct tr_req *r, const struct sockaddr *sa, socklen_t len)
{
	enum netpolicy_use	 use = NETPOLICY_HTTP;
	const char		*url = NULL;
	char			 a[INET6_ADDRSTRLEN], esc[512];

	if (r->kind == HTTP_FETCH) {
		if (r->checked == 0 && netpolicy_classify_sa(sa, len) ==
		    NETPOLICY_LOOPBACK)
			r->fetch_local = 1;
		if (r->fetch_local)
			use = NETPOLICY_FETCH;
	}
	r->checked++;
	if (curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &url) !=
	    CURLE_OK)
		url = NULL;
	r->refused = netpolicy_tracker(torrents_netpolicy(), sa, len, use,
	    url);
	if (r->refused == NULL)
		return 0;
	if (inet_ntop(sa->sa_family, sa->sa_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)(const void *)sa)->
	    sin_addr : (const void *)&((const struct sockaddr_in6 *)
	    (const void *)sa)->sin6_addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	log_escape(esc, sizeof(esc), url != NULL ? url : "",
	    url != NULL ? strlen(url) : 0);
	log_debug("http: %s for %s: " TR_POLICY_REFUSED "%s", a, esc,
	    r->refused);
	return -1;
}

/* Before curl connects: a socket only for an address the policy allows. */
static curl_socket_t
open_fn(void *arg, curlsocktype purpose, struct curl_sockaddr *ca)
{
	struct tr_req *r = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    policy_check(r, &ca->addr, ca->addrlen) == -1)
		return CURL_SOCKET_BAD;
	return socket(ca->family, ca->socktype | SOCK_CLOEXEC, ca->protocol);
}

/* Before each request, on a new or a reused connection. */
static int
prereq_fn(void *arg, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
	struct tr_req		*r = arg;
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;

	(void)local_ip;
	(void)local_port;
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	s4.sin_family = AF_INET;
	s6.sin6_family = AF_INET6;
	s4.sin_port = s6.sin6_port = htons((uint16_t)primary_port);
	if (inet_pton(AF_INET, primary_ip, &s4.sin_addr) == 1)
		return policy_check(r, (struct sockaddr *)&s4, sizeof(s4)) ==
		    0 ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
	if (inet_pton(AF_INET6, primary_ip, &s6.sin6_addr) == 1)
		return policy_check(r, (struct sockaddr *)&s6, sizeof(s6)) ==
		    0 ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
	r->refused = "connected to an address that is not IP";
	return CURL_PREREQFUNC_ABORT;
}

static void
req_free(struct tr_req *r)
{
	if (r == NULL)
		return;
	if (r->waiting)
		TAILQ_REMOVE(&waitq, r, waitq);
	if (r->easy != NULL) {
		curl_multi_remove_handle(multi, r->easy);
		curl_easy_cleanup(r->easy);
		nrunning--;
		if (!TAILQ_EMPTY(&waitq))
			event_active(start_ev, 0, 0);
	}
	free(r->url);
	free(r->body);
	free(r->errbuf);
	free(r);
}

/* Give r a curl handle and start it; -1 when out of memory. */
static int
req_start(struct tr_req *r)
{
	if (r->errbuf == NULL &&
	    (r->errbuf = calloc(1, CURL_ERROR_SIZE)) == NULL)
		return -1;
	if ((r->easy = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(r->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, write_fn);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(r->easy, CURLOPT_MAXREDIRS, (long)TR_MAX_REDIRECTS);
	curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT,
	    (long)HTTP_CONNECT_TIMEOUT);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT, r->timeout);
	curl_easy_setopt(r->easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)r->max);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, HTTP_USER_AGENT);
	curl_easy_setopt(r->easy, CURLOPT_OPENSOCKETFUNCTION, open_fn);
	curl_easy_setopt(r->easy, CURLOPT_OPENSOCKETDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_PREREQFUNCTION, prereq_fn);
	curl_easy_setopt(r->easy, CURLOPT_PREREQDATA, r);
	if (curl_multi_add_handle(multi, r->easy) != CURLM_OK) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		return -1;
	}
	nrunning++;
	free(r->url);
	r->url = NULL;
	return 0;
}

/* Requests waiting for a free place, in order. */
static void
start_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tr_req *r;

	(void)fd;
	(void)ev;
	(void)arg;
	while (nrunning < HTTP_RUNNING_MAX &&
	    (r = TAILQ_FIRST(&waitq)) != NULL) {
		TAILQ_REMOVE(&waitq, r, waitq);
		r->waiting = 0;
		if (req_start(r) == 0)
			continue;
		/* Out of memory: it fails, as a transfer would. */
		if (r->kind == HTTP_FETCH)
			r->fetched(r->arg, NULL, 0, "out of memory");
		else
			r->done(r->arg, 0, NULL, "out of memory");
		req_free(r);
	}
}

static struct tr_req *
req_new(enum http_kind kind, const char *url, size_t max, long timeout)
{
	struct tr_req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->url = strdup(url)) == NULL) {
		free(r);
		return NULL;
	}
	r->kind = kind;
	r->max = max;
	r->timeout = timeout;
	if (nrunning < HTTP_RUNNING_MAX && TAILQ_EMPTY(&waitq)) {
		if (req_start(r) == -1) {
			req_free(r);
			return NULL;
		}
		return r;
	}
	TAILQ_INSERT_TAIL(&waitq, r, waitq);
	r->waiting = 1;
	return r;
}

struct tr_req *
http_announce(const char *url, const struct tr_announce *a, int timeout_s,
    tr_done_cb done, void *arg)
{
	struct tr_req	*r;
	char		*full;

	if ((full = tr_announce_url(url, a)) == NULL)
		return NULL;
	log_debug("announce %s", full);
	r = req_new(HTTP_ANNOUNCE, full, TR_MAX_BODY, timeout_s);
	free(full);
	if (r != NULL) {
		r->done = done;
		r->arg = arg;
	}
	return r;
}

struct tr_req *
http_scrape(const char *url, const uint8_t info_hash[20], tr_done_cb done,
    void *arg)
{
	struct tr_req	*r;
	char		*full;

	if ((full = tr_scrape_url(url, info_hash)) == NULL)
		return NULL;
	r = req_new(HTTP_SCRAPE, full, TR_MAX_BODY, HTTP_SCRAPE_TIMEOUT);
	free(full);
	if (r != NULL) {
		memcpy(r->info_hash, info_hash, 20);
		r->done = done;
		r->arg = arg;
	}
	return r;
}

struct tr_req *
http_fetch(const char *url, size_t max, tr_fetch_cb fetched, void *arg)
{
	struct tr_req *r;

	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return NULL;
	if ((r = req_new(HTTP_FETCH, url, max, HTTP_FETCH_TIMEOUT)) != NULL) {
		r->fetched = fetched;
		r->arg = arg;
	}
	return r;
}

void
http_cancel(struct tr_req *r)
{
	req_free(r);
}

/* Why a transfer failed, for a person. */
static void
describe(struct tr_req *r, CURLcode rc, long status, char *err, size_t len)
{
	if (r->refused != NULL)
		snprintf(err, len, TR_POLICY_REFUSED "%s", r->refused);
	else if (r->over)
		snprintf(err, len, "reply larger than %zu bytes", r->max);
	else if (rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(err, len, "reply larger than %zu bytes", r->max);
	else if (rc == CURLE_TOO_MANY_REDIRECTS)
		snprintf(err, len, "more than %d redirects", TR_MAX_REDIRECTS);
	else if (rc == CURLE_UNSUPPORTED_PROTOCOL)
		snprintf(err, len, "redirected to a scheme other than http "
		    "or https");
	else if (rc != CURLE_OK)
		snprintf(err, len, "%s", r->errbuf != NULL &&
		    r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
	else
		snprintf(err, len, "HTTP status %ld", status);
}

static void
finish(struct tr_req *r, CURLcode rc)
{
	struct tr_reply	 reply;
	char		 err[512], esc[512];
	long		 status = 0;
	int		 ok;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	ok = rc == CURLE_OK && status == 200 && !r->over && r->refused == NULL;
	if (!ok) {
		describe(r, rc, status, err, sizeof(err));
		log_escape(esc, sizeof(esc), err, strlen(err));
		if (r->kind == HTTP_FETCH)
			r->fetched(r->arg, NULL, 0, esc);
		else
			r->done(r->arg, 0, NULL, esc);
		return;
	}
	if (r->kind == HTTP_FETCH) {
		r->fetched(r->arg, r->body != NULL ? r->body :
		    (const uint8_t *)"", r->len, NULL);
		return;
	}
	memset(&reply, 0, sizeof(reply));
	if ((r->kind == HTTP_ANNOUNCE ?
	    tr_announce_parse(r->body, r->len, &reply, err, sizeof(err)) :
	    tr_scrape_parse(r->body, r->len, r->info_hash, &reply, err,
	    sizeof(err))) == -1) {
		r->done(r->arg, 0, NULL, err);
		return;
	}
	r->done(r->arg, 1, &reply, NULL);
	tr_reply_free(&reply);
}

static void
check_done(void)
{
	CURLMsg		*m;
	struct tr_req	*r;
	int		 left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r == NULL)
			continue;
		/* The callback may start new requests; r is ours to free. */
		finish(r, m->data.result);
		req_free(r);
	}
}
