/*
 * rpcd_metrics.c -- GET /metrics: btd's figures in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * Reached after rpcd_http.c's Host and basic-auth checks, like the RPC,
 * but without the session id handshake, which a scraper does not do.
 * One scrape is three ctl requests, one after the other: status (the
 * roles' state and restarts, stored's cache counters), stats (bytes,
 * rates, peers) and list (torrents by state).  The text is built when
 * the last answer is in; a scraper that left meanwhile gets nothing and
 * the answers are dropped.
 *
 * Names: btd_ and the quantity, _bytes_total / _total for counters.
 * Torrent states are btctl's, with '_' for blanks ("fetching_metadata").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ctl.pb-c.h"

#include "log.h"
#include "rpcd.h"

struct scrape {
	struct evhttp_request	*req;		/* NULL: the client left */
	struct evhttp_connection *conn;
	Btd__CtlReply		*status, *stats;
	int			 step;		/* answers in so far */
};

static void	scrape_next(void *, const Btd__CtlReply *);

static void
scrape_closed(struct evhttp_connection *conn, void *arg)
{
	struct scrape	*s = arg;

	(void)conn;
	s->req = NULL;
	s->conn = NULL;
}

static void
scrape_free(struct scrape *s)
{
	if (s->conn != NULL)
		evhttp_connection_set_closecb(s->conn, NULL, NULL);
	if (s->status != NULL)
		btd__ctl_reply__free_unpacked(s->status, NULL);
	if (s->stats != NULL)
		btd__ctl_reply__free_unpacked(s->stats, NULL);
	free(s);
}

static void
scrape_fail(struct scrape *s, int code, const char *text)
{
	struct evbuffer	*b;

	if (s->req != NULL && (b = evbuffer_new()) != NULL) {
		evbuffer_add_printf(b, "%d: %s\n", code, text);
		evhttp_add_header(evhttp_request_get_output_headers(s->req),
		    "Content-Type", "text/plain; charset=UTF-8");
		evhttp_send_reply(s->req, code, "Error", b);
		evbuffer_free(b);
	}
	scrape_free(s);
}

static void
metric(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* A metric of one unlabelled value. */
static void
metric_u64(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metric(b, name, type, help);
	evbuffer_add_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

/* A label value: '\', '"' and newlines escaped, as the format says. */
static void
label_value(struct evbuffer *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

static void
scrape_write(struct scrape *s, const Btd__ListReply *l)
{
	static const char *const states[] = { "fetching metadata", "queued",
	    "checking", "downloading", "seeding", "finished", "paused",
	    "error", "moving" };
	const Btd__StatusReply	*st = s->status->status;
	const Btd__SessionStats	*ss = s->stats->stats;
	const Btd__StoredStats	*c = st->cache;
	struct evbuffer		*b;
	char			 name[32], *p;
	size_t			 i, k, n;

	if ((b = evbuffer_new()) == NULL) {
		scrape_fail(s, 500, "out of memory");
		return;
	}
	metric(b, "btd_up", "gauge", "btd answers (always 1 in a scrape)");
	evbuffer_add_printf(b, "btd_up 1\n");
	metric(b, "btd_uptime_seconds", "gauge", "seconds since btd started");
	evbuffer_add_printf(b, "btd_uptime_seconds %llu\n",
	    (unsigned long long)st->uptime);
	metric(b, "btd_torrents", "gauge", "torrents by state");
	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
		for (i = 0, n = 0; i < l->n_torrents; i++)
			if (strcmp(l->torrents[i]->state, states[k]) == 0)
				n++;
		snprintf(name, sizeof(name), "%s", states[k]);
		for (p = name; *p != '\0'; p++)
			if (*p == ' ')
				*p = '_';
		evbuffer_add_printf(b, "btd_torrents{state=\"%s\"} %zu\n",
		    name, n);
	}
	metric_u64(b, "btd_downloaded_bytes_total", "counter",
	    "payload bytes downloaded, over every run", ss->total_downloaded);
	metric_u64(b, "btd_uploaded_bytes_total", "counter",
	    "payload bytes uploaded, over every run", ss->total_uploaded);
	metric_u64(b, "btd_session_downloaded_bytes_total", "counter",
	    "payload bytes downloaded since btd started", ss->downloaded);
	metric_u64(b, "btd_session_uploaded_bytes_total", "counter",
	    "payload bytes uploaded since btd started", ss->uploaded);
	metric_u64(b, "btd_download_rate_bytes", "gauge",
	    "bytes per second downloaded now", ss->rate_down);
	metric_u64(b, "btd_upload_rate_bytes", "gauge",
	    "bytes per second uploaded now", ss->rate_up);
	metric(b, "btd_peers", "gauge", "connected peers");
	evbuffer_add_printf(b, "btd_peers %u\n", ss->peers);
	metric(b, "btd_role_restarts_total", "counter",
	    "restarts of each role since btd started");
	for (i = 0; i < st->n_roles; i++) {
		evbuffer_add_printf(b, "btd_role_restarts_total{role=\"");
		label_value(b, st->roles[i]->name);
		evbuffer_add_printf(b, "\"} %u\n", st->roles[i]->restarts);
	}
	metric(b, "btd_role_running", "gauge",
	    "1 when the role is running, else 0");
	for (i = 0; i < st->n_roles; i++) {
		evbuffer_add_printf(b, "btd_role_running{role=\"");
		label_value(b, st->roles[i]->name);
		evbuffer_add_printf(b, "\"} %d\n",
		    strcmp(st->roles[i]->state, "running") == 0);
	}
	if (c != NULL) {
		metric(b, "btd_cache_read_hits_total", "counter",
		    "upload reads stored served from its block cache");
		evbuffer_add_printf(b, "btd_cache_read_hits_total %llu\n",
		    (unsigned long long)c->read_hits);
		metric(b, "btd_cache_read_misses_total", "counter",
		    "upload reads that went to disk");
		evbuffer_add_printf(b, "btd_cache_read_misses_total %llu\n",
		    (unsigned long long)c->read_misses);
		metric(b, "btd_cache_used_bytes", "gauge",
		    "bytes the block cache holds");
		evbuffer_add_printf(b, "btd_cache_used_bytes %llu\n",
		    (unsigned long long)c->cache_used);
		metric(b, "btd_cache_size_bytes", "gauge",
		    "the block cache's bound");
		evbuffer_add_printf(b, "btd_cache_size_bytes %llu\n",
		    (unsigned long long)c->cache_size);
	}
	if (s->req != NULL) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(s->req);

		evhttp_add_header(h, "Content-Type",
		    "text/plain; version=0.0.4; charset=utf-8");
		evhttp_add_header(h, "Cache-Control", "no-store");
		evhttp_send_reply(s->req, 200, "OK", b);
	}
	evbuffer_free(b);
	scrape_free(s);
}

static void
scrape_next(void *arg, const Btd__CtlReply *rep)
{
	struct scrape		*s = arg;
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__StatsRequest	 sr = BTD__STATS_REQUEST__INIT;
	Btd__ListRequest	 lr = BTD__LIST_REQUEST__INIT;

	if (rep == NULL || !rep->ok) {
		scrape_fail(s, 503, rep == NULL ? "btd is not answering" :
		    rep->error);
		return;
	}
	if (s->req == NULL) {
		scrape_free(s);
		return;
	}
	switch (s->step++) {
	case 0:
		if (rep->status == NULL ||
		    (s->status = rpc_reply_copy(rep)) == NULL) {
			scrape_fail(s, 500, "no status from btd");
			return;
		}
		req.body_case = BTD__CTL_REQUEST__BODY_STATS;
		req.stats = &sr;
		break;
	case 1:
		if (rep->stats == NULL ||
		    (s->stats = rpc_reply_copy(rep)) == NULL) {
			scrape_fail(s, 500, "no stats from btd");
			return;
		}
		req.body_case = BTD__CTL_REQUEST__BODY_LIST;
		req.list = &lr;
		break;
	default:
		if (rep->list == NULL) {
			scrape_fail(s, 500, "no list from btd");
			return;
		}
		scrape_write(s, rep->list);
		return;
	}
	if (rpc_call(&req, scrape_next, s) == -1)
		scrape_fail(s, 500, "out of memory");
}

void
metrics_run(struct evhttp_request *req)
{
	Btd__CtlRequest		 cr = BTD__CTL_REQUEST__INIT;
	Btd__StatusRequest	 sr = BTD__STATUS_REQUEST__INIT;
	struct scrape		*s;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "GET only");
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	s->req = req;
	if ((s->conn = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_set_closecb(s->conn, scrape_closed, s);
	cr.body_case = BTD__CTL_REQUEST__BODY_STATUS;
	cr.status = &sr;
	log_debug("http: /metrics");
	if (rpc_call(&cr, scrape_next, s) == -1)
		scrape_fail(s, 500, "out of memory");
}
