/*
 * rpcd.h -- rpcd's private header.
 */
#ifndef BTD_RPCD_H
#define BTD_RPCD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_object;
struct Btd__CtlRequest;
struct Btd__CtlReply;

/* rpcd.c -- the channel to btd: Calls out, Answers in */
/*
 * The answer to one Call: rep is valid during the call only; NULL when
 * btd's channel is gone or the Call could not be sent.
 */
typedef void	(*rpc_cb)(void *arg, const struct Btd__CtlReply *rep);
/* Send req to btd; cb(arg, ...) exactly once, never from within. */
int		 rpc_call(const struct Btd__CtlRequest *, rpc_cb, void *arg);
/* Forget every Call made for arg (may be NULL): answers are dropped. */
void		 rpc_forget(void *arg);
/* A copy of a reply that outlives its callback; NULL without memory. */
struct Btd__CtlReply *rpc_reply_copy(const struct Btd__CtlReply *);

/* rpcd_http.c -- HTTP: listening, limits, Host, auth, session id */
void		 http_init(struct event_base *);
void		 http_config(const char *key, const char *value);
struct job;
/*
 * Finish a job: send the JSON reply (the job takes resp) or, with resp
 * NULL, HTTP status code and text.  The job is freed.
 */
void		 http_reply(struct job *, struct json_object *resp);
void		 http_fail(struct job *, int code, const char *text);
/* This run's X-Transmission-Session-Id. */
const char	*http_session_id(void);
struct evhttp_request;
/* Answer req with status code and a line of text. */
void		 http_text(struct evhttp_request *, int code,
		    const char *reason, const char *text);

/* rpcd_web.c -- the web interface's files at /transmission/web/ */
/*
 * Take the web dir btd opened at SANDBOX_WEB_FD, if any (1), before
 * anything else may take that descriptor; no logging yet.
 */
int		 web_init(void);
/* 1 when path (undecoded) is the web interface's. */
int		 web_path(const char *path);
/* Answer a request for path; Host and auth are checked already. */
void		 web_serve(struct evhttp_request *, const char *path);

/* rpcd_metrics.c -- GET /metrics, Prometheus text */
struct evhttp_request;
/* Answer a scrape (Host and auth checked); later, once btd has. */
void		 metrics_run(struct evhttp_request *);

/* rpcd_auth.c -- basic auth against the PBKDF2 hash */
/* 1 when header (the Authorization value) names user and password. */
int		 auth_check(const char *header, const char *user,
		    const char *hash);

/* rpcd_method.c -- the Transmission methods */
/*
 * Run one request (a JSON object, owned by the job from here on); the
 * method answers with http_reply() once, synchronously or later.
 */
void		 method_run(struct job *, struct json_object *req);
/* A reply with result text and no arguments, echoing tag. */
struct json_object *method_error(struct json_object *tag, const char *);
/* rpcd_torrent.c -- torrent-get's fields, and names */
/* A method, argument or field name in rpc-version 18's snake_case. */
void		 snake_name(const char *in, char *out, size_t outlen);
struct Btd__TorrentSummary;
struct Btd__TorrentDetail;
struct Btd__TrackersReport;
/*
 * 0 when fields is an array of field names of the spec, else -1 and
 * *bad the first that is not (NULL: fields is not such an array).
 */
int		 torrent_fields_valid(struct json_object *fields,
		    const char **bad);
/* Whether the fields need ShowRequest, TrackersRequest answers. */
int		 torrent_fields_need(struct json_object *fields,
		    int *detail, int *trackers);
/* The object of one torrent with the fields asked for. */
struct json_object *torrent_object(struct json_object *fields,
		    uint32_t number, const struct Btd__TorrentSummary *,
		    const struct Btd__TorrentDetail *,
		    const struct Btd__TrackersReport *);

struct Btd__PeersReport;
/* Whether the fields need each torrent's PeersReport. */
int		 torrent_fields_peers(struct json_object *fields);
/* Add the web interface's fields torrent_object() omits (pr may be NULL). */
void		 torrent_web_fields(struct json_object *o,
		    struct json_object *fields,
		    const struct Btd__TorrentSummary *,
		    const struct Btd__PeersReport *pr);

/* Job state the methods share with rpcd_http.c. */
struct job {
	struct evhttp_request	*req;		/* NULL: the client left */
	struct evhttp_connection *conn;
	struct json_object	*root;		/* the request */
	struct json_object	*tag;		/* borrowed from root */
	int			 snake;		/* reply in snake_case */
	void			*mstate;	/* the method's own; freed by */
	void			(*mfree)(void *);	/* mfree */
	uint64_t		 started_ms;
};

#endif
