/*
 * trackerd.h -- trackerd's private header.
 *
 * The codecs (trackerd_announce.c for HTTP, trackerd_udpcodec.c for
 * BEP 15) are plain C without I/O, driven by unit tests and fuzzers;
 * the rest of trackerd moves bytes and keeps state.
 */
#ifndef BTD_TRACKERD_H
#define BTD_TRACKERD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Bounds on what a tracker may make us hold or do. */
#define TR_MAX_BODY		(1U << 20)	/* decoded HTTP body */
#define TR_MAX_PEERS		2000		/* peers taken from one reply */
#define TR_MIN_INTERVAL		60		/* seconds: interval clamp, low */
#define TR_MAX_INTERVAL		(3 * 3600)	/* seconds: interval clamp, high */
#define TR_DEFAULT_INTERVAL	1800		/* when a reply gives none */
#define TR_MAX_TEXT		256		/* failure/warning kept, bytes */
#define TR_MAX_REDIRECTS	5
#define TR_NUMWANT		50
#define TR_POLICY_REFUSED	"refused by the address policy: "	/* the
				   start of the error of a refused request */

enum tr_event {
	TR_EVENT_NONE,
	TR_EVENT_STARTED,
	TR_EVENT_COMPLETED,
	TR_EVENT_STOPPED,
};

/* A peer address from a tracker, PEX or a magnet link. */
struct tr_peer {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network order; 4 bytes for IPv4 */
	uint16_t	port;		/* host order, never 0 */
};

struct tr_announce {
	uint8_t		 info_hash[20];
	uint8_t		 peer_id[20];
	uint16_t	 port;
	uint64_t	 uploaded;
	uint64_t	 downloaded;
	uint64_t	 left;
	enum tr_event	 event;
	uint32_t	 numwant;
	uint32_t	 key;		/* random per session (BEP 7 / 15) */
	const char	*trackerid;	/* from an earlier reply, or NULL */
};

struct tr_reply {
	char		 failure[TR_MAX_TEXT];	/* "" or escaped text */
	char		 warning[TR_MAX_TEXT];	/* "" or escaped text */
	int32_t		 interval;	/* clamped to [TR_MIN, TR_MAX] */
	int32_t		 min_interval;	/* clamped; 0 if absent */
	int64_t		 seeders;	/* complete; -1 unknown */
	int64_t		 leechers;	/* incomplete; -1 unknown */
	int64_t		 completed;	/* downloaded (scrape); -1 unknown */
	char		 trackerid[128];	/* "" if none */
	struct tr_peer	*peers;		/* malloc'd, at most TR_MAX_PEERS */
	size_t		 npeers;
};

/* trackerd_announce.c: HTTP announce and scrape (BEP 3, 7, 23, 48) */

/*
 * The announce URL for a request: base with the query appended ('&' if
 * base has a '?' already); info_hash and peer_id percent-encoded byte by
 * byte; compact=1, no_peer_id=1.  malloc'd, NULL on a base that is not
 * http or https.
 */
char	*tr_announce_url(const char *base, const struct tr_announce *);
/* The scrape URL (BEP 48), or NULL if the announce URL has none. */
char	*tr_scrape_url(const char *base, const uint8_t info_hash[20]);
/*
 * Parse an announce reply body.  0 with *r filled (a failure reason is
 * a successful parse with r->failure set), -1 with err for a body that
 * is not a valid reply.  Free with tr_reply_free().
 */
int	 tr_announce_parse(const uint8_t *body, size_t len,
	    struct tr_reply *r, char *err, size_t errlen);
/* Parse a scrape reply for info_hash: seeders, leechers, completed. */
int	 tr_scrape_parse(const uint8_t *body, size_t len,
	    const uint8_t info_hash[20], struct tr_reply *r, char *err,
	    size_t errlen);
void	 tr_reply_free(struct tr_reply *);
/* Clamp an interval from a tracker to [TR_MIN_INTERVAL, TR_MAX_INTERVAL]. */
int32_t	 tr_clamp_interval(int64_t);

/* trackerd_udpcodec.c: the UDP tracker protocol (BEP 15) */
#define UDP_PROTOCOL_ID		0x41727101980ULL
#define UDP_ACTION_CONNECT	0
#define UDP_ACTION_ANNOUNCE	1
#define UDP_ACTION_SCRAPE	2
#define UDP_ACTION_ERROR	3
#define UDP_MAX_PACKET		1500	/* we send at most this */
#define UDP_MAX_REPLY		65536	/* read buffer */

size_t	 udp_build_connect(uint8_t *buf, uint32_t tid);
size_t	 udp_build_announce(uint8_t *buf, uint64_t conn_id, uint32_t tid,
	    const struct tr_announce *);
size_t	 udp_build_scrape(uint8_t *buf, uint64_t conn_id, uint32_t tid,
	    const uint8_t info_hash[20]);

struct udp_reply {
	int		 action;	/* what the tracker answered */
	uint64_t	 conn_id;	/* connect */
	struct tr_reply	 r;		/* announce, scrape; error: r.failure */
};

/*
 * Check and decode a datagram: too short, a transaction id other than
 * tid, or an action other than want (or error) is -1 with err.  family
 * says how to read the peers of an announce (AF_INET6 for a tracker
 * reached over IPv6: 18-byte entries).
 */
int	 udp_parse_reply(const uint8_t *buf, size_t len, uint32_t tid,
	    int want, int family, struct udp_reply *, char *err,
	    size_t errlen);


/* trackerd_cand.c: a torrent's candidate peers, no I/O, clock given */
#define CAND_MAX		2000	/* candidates per torrent */
#define CAND_PEX_MAX		500	/* ... of them known from PEX alone */
#define CAND_PEX_ADDED		50	/* peers taken from one PEX message
					   (more: the message is ignored) */
#define CAND_BACKOFF_FIRST	60	/* seconds after a first failure */
#define CAND_BACKOFF_MAX	3600	/* ... doubling up to this */
#define CAND_GOOD_RECENT	3600	/* a success this recent ranks first */
#define CAND_KNOWN_MAX		50	/* good peers kept in state.db */
#define CAND_KNOWN_FAILS	3	/* failures in a row since its last
					   success that drop a peer from
					   them */
#define CAND_RESULT_MAX		64	/* bytes of a ConnectResult kept */
#define CAND_NEVER		((time_t)INT64_MAX)

/* Where a candidate was learned; a bit each. */
#define CSRC_TRACKER		0x01
#define CSRC_MAGNET		0x02	/* x.pe */
#define CSRC_PEX		0x04
#define CSRC_INCOMING		0x08	/* it connected to us */
#define CSRC_CACHE		0x10	/* state.db, from an earlier run */

struct cand {
	struct tr_peer	 p;
	unsigned	 sources;	/* CSRC_* ever named it */
	unsigned	 origin;	/* the one named to peerd */
	time_t		 first_seen;
	time_t		 last_seen;	/* last time a source named it */
	uint32_t	 attempts;	/* connections peerd reported */
	uint32_t	 failures;	/* of those, failed */
	uint32_t	 fails_row;	/* failed since the last success */
	time_t		 last_attempt;	/* 0 never */
	time_t		 last_ok;	/* last success; 0 never */
	int		 banned;	/* peerd banned it: never handed out */
	char		 last_result[CAND_RESULT_MAX];	/* escaped */
};

struct cand_list {
	struct cand	*c;		/* CAND_MAX once the first comes */
	size_t		 n;
	int		 private;	/* BEP 27 */
};

void	 cand_list_init(struct cand_list *, int private);
void	 cand_list_free(struct cand_list *);
/* The torrent became private (metadata): drop what it may not keep. */
void	 cand_list_set_private(struct cand_list *, int private);
/* 1 if a peer known from sources may be a candidate of this torrent. */
int	 cand_allowed(const struct cand_list *, unsigned sources);
/*
 * Add or refresh p as named by sources at now.  NULL: refused (port 0,
 * not allowed for a private torrent, out of memory, all bans).
 */
struct cand *cand_add(struct cand_list *, const struct tr_peer *,
	    unsigned sources, time_t now);
struct cand *cand_find(struct cand_list *, const struct tr_peer *);
/*
 * The peers of one PEX message: -1 (nothing taken) for a private
 * torrent or more than CAND_PEX_ADDED peers, else how many were taken
 * (port 0 and the like are skipped).
 */
int	 cand_pex(struct cand_list *, const struct tr_peer *, size_t n,
	    time_t now);
/* peerd's answer on a connection attempt. */
void	 cand_result(struct cand *, int ok, time_t now);
/* The wait after fails_row failures in a row: 0, 60, 120 ... 3600. */
time_t	 cand_backoff(uint32_t fails_row);
/* When c may be handed out again; CAND_NEVER if banned. */
time_t	 cand_next_try(const struct cand *);
/* The candidates to hand out at now, best first, at most max. */
size_t	 cand_rank(struct cand_list *, time_t now, struct cand **out,
	    size_t max);
/* Mark p banned; 1 if it was a candidate. */
size_t	 cand_ban(struct cand_list *, const struct tr_peer *);
/*
 * The good peers for the cache, the latest success first: connected
 * once, not banned, fewer than CAND_KNOWN_FAILS failures since.
 */
size_t	 cand_known(struct cand_list *, struct cand **out, size_t max);
/* "tracker", "magnet", "pex", "incoming", "cache"; NULL for another. */
const char *cand_source_name(unsigned bit);
/* "tracker,pex" for a set of bits, in the order above. */
void	 cand_sources_str(unsigned sources, char *out, size_t len);
/* The reverse: -1 on an empty list or an unknown name. */
int	 cand_sources_parse(const char *, unsigned *sources);

/*
 * The transports: one request, one callback, always from the event loop
 * (never from inside the call that started it).  After the callback the
 * request is gone: the caller forgets its pointer and does not cancel it.
 */
struct tr_req;

/*
 * ok 1: reply parsed into r (the callee frees it after the call; a
 * failure reason is ok with r->failure set).  ok 0: err says why.
 */
typedef void (*tr_done_cb)(void *arg, int ok, struct tr_reply *r,
    const char *err);
/* A fetched body (FetchTorrent): data NULL and err set on failure. */
typedef void (*tr_fetch_cb)(void *arg, const uint8_t *data, size_t len,
    const char *err);

struct event_base;

/* trackerd_http.c: libcurl's multi interface on trackerd's event loop */
int		 http_init(struct event_base *);
struct tr_req	*http_announce(const char *url, const struct tr_announce *,
		    int timeout_s, tr_done_cb, void *arg);
struct tr_req	*http_scrape(const char *url, const uint8_t info_hash[20],
		    tr_done_cb, void *arg);
struct tr_req	*http_fetch(const char *url, size_t max, tr_fetch_cb,
		    void *arg);
void		 http_cancel(struct tr_req *);

/* trackerd_udp.c: UDP trackers (BEP 15) */
struct udp_req;
int		 udp_init(struct event_base *);
struct udp_req	*udp_announce(const char *url, const struct tr_announce *,
		    int timeout_s, tr_done_cb, void *arg);
struct udp_req	*udp_scrape(const char *url, const uint8_t info_hash[20],
		    tr_done_cb, void *arg);
void		 udp_cancel(struct udp_req *);

/* trackerd_torrent.c: torrents, their trackers and candidate peers */
void		 torrents_init(struct event_base *);
void		 torrents_config(const char *key, const char *value);
/* The address policy as Config set it, for the transports. */
struct netpolicy;
const struct netpolicy *torrents_netpolicy(void);
struct chan;
struct ProtobufCMessage;
int		 trackerd_dispatch_btd(struct chan *,
		    const struct ProtobufCMessage *);
int		 trackerd_dispatch_peerd(struct chan *,
		    const struct ProtobufCMessage *);

#endif
