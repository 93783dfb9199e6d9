/*
 * peerd.h -- peerd's private header.
 *
 * The wire codec (peerd_wire.c) and the picker (peerd_pick.c) are plain
 * C without I/O or libevent, driven by unit tests and the fuzzer; the
 * connections (peerd_conn.c), the block path (peerd_block.c) and the
 * dispatch of the role's channels (peerd.c) move bytes and keep state.
 */
#ifndef BTD_PEERD_H
#define BTD_PEERD_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

/*
 * Tunables.  Every bound peerd keeps is here.
 */
#define PEERD_BLOCK		16384	/* bytes we request; the largest we
					   serve (BEP 3 convention) */
#define PEERD_MAX_CONNS		400	/* connections in all, any state: the
					   most peer_limit_global may say */
#define PEERD_MAX_TORRENT_CONNS	60	/* connections of one torrent, when
					   peer_limit_per_torrent is unset */
#define PEERD_MAX_DIALING	32	/* outbound connects in progress */
#define PEERD_MAX_HANDSHAKING	64	/* incoming, before their handshake */
#define PEERD_MAX_CANDIDATES	1000	/* dial queue of one torrent */
#define PEERD_MAX_TORRENTS	200000	/* torrents peerd runs at once */
#define PEERD_PICK_RUNS_MAX	40000	/* priority runs in a TorrentPick:
					   about 20 bytes each, well inside
					   a 1 MiB frame */
#define PEERD_HANDSHAKE_S	10	/* connect + handshake timeout */
#define PEERD_KEEPALIVE_S	120	/* send a keep-alive after this quiet */
#define PEERD_IDLE_S		300	/* nothing heard for this long: close */
#define PEERD_REQUEST_S		30	/* an unanswered request goes back */
#define PEERD_QDEPTH_START	16	/* requests in flight to a new peer */
#define PEERD_QDEPTH_MAX	500	/* ... at most, however fast it is */
#define PEERD_QDEPTH_SECONDS	1	/* depth: rate x this / block size */
/*
 * A leecher keeps at most our reqq requests in flight to us: with 250,
 * libtorrent took 5.1 s for 512 MiB from btd on loopback, with 2,000 (its
 * own default) 2.9-3.3 s, as from itself.  The queue is 24 KiB a peer.
 */
#define PEERD_REQQ		2000	/* its requests we queue (BEP 10 reqq) */
#define PEERD_REQQ_HARD		1000	/* past this many refused in a row
					   (queue full, choked, bad): a
					   flooder, closed */
#define PEERD_CHOKE_S		10	/* log the peers' rates so often */
#define PEERD_BAN_FAILS		2	/* failed pieces that ban a peer */
#define PEERD_MAX_BANS		1024	/* banned addresses remembered */
#define PEERD_WANT_PEERS	50	/* asked of trackerd at a time */
#define PEERD_WANT_S		60	/* ask trackerd again at most so often */
#define PEERD_OBUF_MAX		(256U << 10)	/* control bytes queued to a
						   peer: a 2 Mi-piece
						   bitfield and slack */
#define PEERD_UPQ_MAX		250	/* blocks read for a peer,
						   waiting to be sent (4 MiB
						   of the up arena's 8) */
#define PEERD_MAX_PEERS_REPLY	1000	/* PeerInfo in one PeersReply */
#define PEERD_SEEDS_KNOWN	64	/* seeds a complete torrent remembers
					   not to dial again */
#define PEERD_SNUB_S		60	/* no block for this long while we
					   wait for some: snubbed */
#define PEERD_BATCH_MAX		4096	/* blocks in one BlockWrite/Read */
#define PEERD_SLOTS_LOW		8	/* free down slots kept back: below,
					   piece payloads are not read */
#define PEERD_BODY_BUDGET	(32U << 20)	/* split messages being
						   assembled, all peers */
#define PEERD_UT_METADATA	3	/* our extended id of ut_metadata */
#define PEERD_UT_PEX		1	/* our extended id of ut_pex */
#define PEERD_PEX_S		60	/* ut_pex to a peer at most so often
					   (BEP 11) */
#define PEERD_PEX_RECV_S	50	/* a peer's ut_pex taken at most so
					   often: BEP 11's minute, less the
					   slack of an honest peer's timer */
#define PEERD_META_ASKS		4	/* metad's asks of one peer relayed
					   at once */
#define PEERD_META_WANTS	4	/* a peer's metadata requests at
					   metad at once; more: rejected */

/* ------------------------------------------------------------------ */
/* peerd_wire.c: the peer wire codec (BEP 3, 6, 10), no I/O */

#define WIRE_HANDSHAKE		68	/* pstrlen, pstr, reserved, hash, id */
#define WIRE_PIECE_HDR		13	/* length, id, index, begin */
#define WIRE_MSG_MAX		17	/* the longest fixed-size message */
#define WIRE_MAX_EXTENDED	(1U << 20)	/* an extended message */
#define WIRE_MAX_UNKNOWN	(1U << 17)	/* skipped unknown message */
#define WIRE_CLIENT_VERSION	"btd 0.1.0"	/* BEP 10 v */

enum wire_id {
	WIRE_CHOKE = 0,
	WIRE_UNCHOKE = 1,
	WIRE_INTERESTED = 2,
	WIRE_NOT_INTERESTED = 3,
	WIRE_HAVE = 4,
	WIRE_BITFIELD = 5,
	WIRE_REQUEST = 6,
	WIRE_PIECE = 7,
	WIRE_CANCEL = 8,
	WIRE_PORT = 9,		/* BEP 5: parsed, ignored */
	WIRE_SUGGEST = 13,	/* BEP 6 */
	WIRE_HAVE_ALL = 14,
	WIRE_HAVE_NONE = 15,
	WIRE_REJECT = 16,
	WIRE_ALLOWED_FAST = 17,
	WIRE_EXTENDED = 20,	/* BEP 10 */
	WIRE_KEEPALIVE = 256,	/* a zero-length message */
	WIRE_UNKNOWN = 257,	/* an id we do not know, skipped */
};

/* Reserved bits of the handshake. */
#define WIRE_RSV_EXT_BYTE	5	/* BEP 10: reserved[5] & 0x10 */
#define WIRE_RSV_EXT_BIT	0x10
#define WIRE_RSV_FAST_BYTE	7	/* BEP 6: reserved[7] & 0x04 */
#define WIRE_RSV_FAST_BIT	0x04

struct wire_handshake {
	uint8_t		reserved[8];
	uint8_t		info_hash[20];
	uint8_t		peer_id[20];
};

/* One message, as the parser hands it over. */
struct wire_msg {
	int		 type;		/* enum wire_id */
	uint32_t	 index;		/* HAVE, REQUEST, PIECE, CANCEL,
					   SUGGEST, REJECT, ALLOWED_FAST */
	uint32_t	 begin;		/* REQUEST, PIECE, CANCEL, REJECT;
					   PIECE data: offset in the block */
	uint32_t	 length;	/* REQUEST, CANCEL, REJECT; PIECE:
					   payload bytes of the block */
	uint16_t	 port;		/* PORT */
	uint8_t		 ext_id;	/* EXTENDED */
	const uint8_t	*data;		/* BITFIELD, EXTENDED payload, PIECE
					   data chunk */
	size_t		 len;		/* bytes at data */
};

enum wire_result {
	WIRE_NEED,		/* every byte taken; feed more */
	WIRE_MSG,		/* a whole message (not PIECE) in msg */
	WIRE_PIECE_BEGIN,	/* a PIECE header: index, begin, length;
				   its payload follows */
	WIRE_PIECE_DATA,	/* payload bytes: data, len, begin = their
				   offset within the block */
	WIRE_ERROR,		/* protocol error: err says what */
};

enum wire_state {
	WS_LEN,			/* reading the length prefix and id */
	WS_BODY,		/* reading a message body */
	WS_PAYLOAD,		/* inside a PIECE payload */
	WS_SKIP,		/* skipping an unknown message */
	WS_DEAD,		/* after an error */
};

/*
 * The incremental parser.  It takes bytes in any split.  A message
 * whose bytes lie whole in the caller's buffer is handed over in place;
 * a split one is assembled in body[] (at most the bound of its type,
 * checked on the length prefix before anything is allocated).  PIECE
 * payloads are never assembled: they come out as PIECE_DATA chunks, or
 * the caller reads them itself and says so with wire_payload_done().
 */
struct wire_parser {
	uint32_t	 npieces;	/* of the torrent: BITFIELD size, HAVE */
	uint32_t	 max_block;	/* largest PIECE payload accepted */
	enum wire_state	 state;
	uint8_t		 hdr[WIRE_PIECE_HDR];	/* length, id and the fixed
						   fields being assembled */
	size_t		 hlen;
	uint32_t	 mlen;		/* length of the current message */
	uint8_t		 id;
	uint8_t		*body;		/* malloc'd, for split bodies */
	size_t		 bcap;
	size_t		 blen;
	uint32_t	 left;		/* PAYLOAD, SKIP: bytes still to come */
	uint32_t	 pbegin;	/* PAYLOAD: offset of the next byte */
	size_t		*budget;	/* bytes body[] may still take, shared
					   by every parser; NULL: no bound */
	char		 err[96];
};

void	wire_parser_init(struct wire_parser *, uint32_t npieces);
void	wire_parser_free(struct wire_parser *);
/*
 * Take bytes from buf (len); *used says how many were consumed.  Call
 * again with the rest until WIRE_NEED.  Pointers in msg are valid until
 * the next call.
 */
enum wire_result wire_parse(struct wire_parser *, const uint8_t *buf,
	    size_t len, size_t *used, struct wire_msg *msg);
/* In a PIECE payload: bytes still to come (0 when not in one). */
uint32_t wire_payload_left(const struct wire_parser *);
/* The caller read n payload bytes itself (n <= wire_payload_left()). */
void	wire_payload_done(struct wire_parser *, uint32_t n);

/* 68 bytes: BEP 3 handshake with the reserved bits of BEP 6 and 10. */
void	wire_handshake_build(uint8_t out[WIRE_HANDSHAKE],
	    const uint8_t info_hash[20], const uint8_t peer_id[20]);
/* 0 and hs filled, or -1 with err (wrong protocol string). */
int	wire_handshake_parse(const uint8_t in[WIRE_HANDSHAKE],
	    struct wire_handshake *hs, char *err, size_t errlen);

/*
 * Builders: each writes one whole message at out and returns its
 * length.  out must hold WIRE_MSG_MAX bytes (more for BITFIELD and
 * EXTENDED: see each).
 */
size_t	wire_build_simple(uint8_t *out, int id);	/* CHOKE ... NOT_I.,
							   HAVE_ALL/NONE */
size_t	wire_build_keepalive(uint8_t *out);
size_t	wire_build_index(uint8_t *out, int id, uint32_t index);
							/* HAVE, SUGGEST,
							   ALLOWED_FAST */
size_t	wire_build_block(uint8_t *out, int id, uint32_t index,
	    uint32_t begin, uint32_t length);	/* REQUEST, CANCEL, REJECT */
/* The 13 bytes before a block of length bytes. */
size_t	wire_build_piece_hdr(uint8_t *out, uint32_t index, uint32_t begin,
	    uint32_t length);
size_t	wire_build_port(uint8_t *out, uint16_t port);
/* BITFIELD: out holds 5 + nbytes. */
size_t	wire_build_bitfield(uint8_t *out, const uint8_t *bits,
	    size_t nbytes);
/* EXTENDED: out holds 6 + len. */
size_t	wire_build_extended(uint8_t *out, uint8_t ext_id,
	    const uint8_t *payload, size_t len);

/* The BEP 10 extended handshake (ext id 0). */
struct wire_exths {
	uint16_t	port;		/* p; 0 absent */
	uint32_t	reqq;		/* 0 absent */
	char		v[64];		/* client, escaped; "" absent */
	uint8_t		yourip[16];
	size_t		yourip_len;	/* 0, 4 or 16 */
	int64_t		metadata_size;	/* -1 absent */
	uint8_t		ut_metadata;	/* m: ids it gave, 0 none */
	uint8_t		ut_pex;
};

/*
 * Our extended handshake: m (ut_metadata, ut_pex when not 0), metadata_size
 * (when > 0), p, reqq, v, yourip (the peer's address as we see it: 4 or
 * 16 bytes, 0 to leave out).  Returns the payload length written into
 * out (cap bytes), 0 if it does not fit.
 */
size_t	wire_exths_build(uint8_t *out, size_t cap, uint16_t port,
	    uint32_t reqq, const uint8_t *yourip, size_t yourip_len,
	    uint8_t ut_metadata, uint8_t ut_pex, int64_t metadata_size);
/* 0 and x filled, or -1 with err: not a bencoded dictionary. */
int	wire_exths_parse(const uint8_t *payload, size_t len,
	    struct wire_exths *x, char *err, size_t errlen);

/*
 * A BITFIELD payload for npieces pieces: the right length and no spare
 * bit set.  0 or -1 with err.
 */
int	wire_bitfield_check(const uint8_t *bits, size_t len, uint32_t npieces,
	    char *err, size_t errlen);

/* A client name from a peer id (Azureus or Shadow style), escaped. */
void	wire_client_name(const uint8_t peer_id[20], char *out, size_t len);

/* ------------------------------------------------------------------ */
/* peerd_pick.c: which block to request of whom, no I/O */

#define PICK_MAX_CONTRIB	8	/* peers remembered per piece, for bans */

/* A piece's priority: the highest of its files' (btctl files --priority). */
enum { PICK_SKIP, PICK_LOW, PICK_NORMAL, PICK_HIGH };

struct pick_torrent;
struct pick_active;

/* A request in flight to one peer. */
struct pick_req {
	uint32_t	piece;
	uint32_t	begin;
	uint32_t	length;
	uint64_t	sent_ms;
};

/* The picker's view of one connected peer; embedded in struct peer. */
struct pick_peer {
	struct pick_torrent	*t;
	void			*owner;		/* the connection */
	uint32_t		 id;		/* unique, for contributors */
	uint8_t			*have;		/* its bitfield */
	uint32_t		 nhave;
	int			 seed;		/* has every piece */
	struct pick_req		*reqs;		/* ring, PEERD_QDEPTH_MAX */
	uint32_t		 rhead;
	uint32_t		 nreq;
	uint32_t		 last;		/* 1 + the piece it was last
						   given, 0 none */
	LIST_ENTRY(pick_peer)	 entry;		/* in t->peers */
};

/* A duplicate request to cancel (end game): which peer, which block. */
struct pick_cancel {
	struct pick_peer	*peer;
	struct pick_req		 req;
};

struct pick_torrent *pick_new(uint32_t npieces, uint64_t piece_length,
	    uint64_t total_size);
void	pick_free(struct pick_torrent *);
/* Mark piece verified (TorrentHave, a good verdict). */
void	pick_set_have(struct pick_torrent *, uint32_t piece);
int	pick_has(const struct pick_torrent *, uint32_t piece);
uint32_t pick_nhave(const struct pick_torrent *);
/* 1 when every piece not skipped is verified. */
int	pick_complete(const struct pick_torrent *);
/* One PICK_* a piece (npieces of them), NULL: all PICK_NORMAL. */
void	pick_set_priorities(struct pick_torrent *, const uint8_t *prio);
int	pick_priority(const struct pick_torrent *, uint32_t piece);
/* on: unstarted pieces are started in index order, not rarest first. */
void	pick_set_sequential(struct pick_torrent *, int on);
uint32_t pick_block_len(const struct pick_torrent *, uint32_t piece,
	    uint32_t begin);
uint32_t pick_piece_len(const struct pick_torrent *, uint32_t piece);
uint32_t pick_npieces(const struct pick_torrent *);
/* 1 while some piece is wanted that no request or verdict covers. */
int	pick_endgame(const struct pick_torrent *);

/* Peers: join (no pieces), leave (its requests go back to the pool). */
int	pick_peer_init(struct pick_torrent *, struct pick_peer *,
	    void *owner, uint32_t id);
void	pick_peer_free(struct pick_peer *);
void	pick_peer_have(struct pick_peer *, uint32_t piece);
void	pick_peer_bitfield(struct pick_peer *, const uint8_t *bits);
void	pick_peer_have_all(struct pick_peer *);
/* 1 if bits holds every piece the peer is known to have. */
int	pick_peer_within(const struct pick_peer *, const uint8_t *bits);
/* 1 if the peer has a piece we want. */
int	pick_interesting(const struct pick_peer *);

/*
 * The next request for peer pp at time now_ms: partially requested
 * pieces first, then the rarest piece it has (random among equals),
 * then, in the end game, blocks already requested of another peer.
 * 1 and *out filled (already counted in flight), 0 nothing to ask.
 */
int	pick_next(struct pick_peer *, uint64_t now_ms, struct pick_req *out);

/*
 * A block arrived from pp.  1: it was requested and is wanted: hand it
 * to stored; in the end game the duplicates requested of other peers
 * are in cancels (at most ncancel_max; *ncancel set).  0: not
 * requested or no longer wanted: discard it.
 */
int	pick_received(struct pick_peer *, uint32_t piece, uint32_t begin,
	    uint32_t length, struct pick_cancel *cancels, size_t ncancel_max,
	    size_t *ncancel);
/* 1 if pp has a request in flight for exactly this block. */
int	pick_wanted(const struct pick_peer *, uint32_t piece, uint32_t begin,
	    uint32_t length);
/* The peer rejected a request, or we cancelled it: back to the pool. */
void	pick_rejected(struct pick_peer *, uint32_t piece, uint32_t begin,
	    uint32_t length);
/* Every request of pp goes back to the pool (it choked us). */
void	pick_drop_requests(struct pick_peer *);
/* Requests of pp older than timeout_ms go back; returns how many. */
uint32_t pick_timeouts(struct pick_peer *, uint64_t now_ms,
	    uint64_t timeout_ms);

/*
 * stored's verdict on a piece.  ok: verified.  !ok: the piece is wanted
 * again.  Either way the ids of the peers that sent blocks of it are
 * put in contrib (PICK_MAX_CONTRIB) and their number returned.
 */
size_t	pick_verdict(struct pick_torrent *, uint32_t piece, int ok,
	    uint32_t *contrib);
/* Requests in flight to every peer of every torrent. */
uint32_t pick_outstanding(void);
/* stored went away: blocks received but not verified are wanted again. */
void	pick_forget_received(struct pick_torrent *);

/* ------------------------------------------------------------------ */
/* peerd_choke.c: whom we upload to; choke_run() is pure, clock injected */

#define CHOKE_REGULAR_MS	10000	/* regular slots re-chosen */
#define CHOKE_OPTIMISTIC_MS	30000	/* the optimistic slot rotates */
#define CHOKE_SNUB_MS		(PEERD_SNUB_S * 1000ULL)	/* unchoking
					   us, nothing sent: snubbed */
#define CHOKE_NEW_MS		60000	/* connected this recently: new */
#define CHOKE_NEW_WEIGHT	3	/* ... and this much likelier to get
					   the optimistic slot */
#define CHOKE_SLOTS_UNLIMITED	4	/* regular slots, no upload limit */
#define CHOKE_SLOTS_MIN		2	/* ... with one, at least */
#define CHOKE_SLOTS_MAX		8	/* ... and at most */
#define CHOKE_SEED_TURN_MS	60000	/* seeding: a turn lasts at most */
#define CHOKE_SEED_QUOTA	(4ULL << 20)	/* ... or ends after these
						   bytes sent */

/* The choker's view of one peer; embedded in struct peer. */
struct choke_peer {
	/* set by the caller before every choke_run() */
	int		 interested;	/* it wants our pieces */
	int		 choked;	/* we choke it now */
	int		 choking_us;	/* it chokes us */
	int		 want;		/* we want its pieces */
	uint64_t	 down_total;	/* payload bytes from it so far */
	uint64_t	 up_total;	/* ... to it */
	/* the choker's own */
	int		 seen;		/* choke_run() met it before */
	int		 was_choked;	/* choked, at the last call */
	uint64_t	 joined_ms;	/* first met */
	uint64_t	 mark_ms;	/* totals noted (a regular round) */
	uint64_t	 down_mark, up_mark;
	uint64_t	 last_down;	/* down_total at the last call */
	uint64_t	 rate_down;	/* B/s from it, rolling */
	uint64_t	 rate_up;	/* B/s to it, rolling */
	uint64_t	 got_ms;	/* it last sent, or could not send */
	uint64_t	 turn_ms;	/* we unchoked it */
	uint64_t	 turn_up;	/* up_total then */
	uint64_t	 wait_ms;	/* choked (waiting) since */
	int		 snubbed;
	int		 optimistic;	/* holds the optimistic slot */
	int		 unchoke;	/* out: the decision of the round */
};

struct choker {
	int		 started;	/* a regular round ran */
	uint64_t	 regular_ms;	/* the last regular round */
	uint64_t	 optimistic_ms;	/* the last optimistic rotation */
	uint32_t	 slots;		/* regular slots (choke_slots()) */
	uint64_t	 rng;		/* xorshift state, never 0 */
};

void	choke_init(struct choker *, uint64_t seed);
/*
 * Regular slots for an upload limit of limit bytes a second (0: none):
 * CHOKE_SLOTS_UNLIMITED without one, else the rule of thumb of the
 * original client, sqrt(0.6 x KiB/s), within CHOKE_SLOTS_MIN..MAX.
 */
uint32_t choke_slots(uint64_t limit);
/*
 * Once a second with every connected peer of one torrent.  Notes what
 * each peer did; every CHOKE_REGULAR_MS decides who is unchoked (each
 * peer's unchoke) and returns 1, else 0 and nothing is decided.
 * Downloading: the interested peers that send to us fastest, snubbed
 * ones left out; seeding: round robin by turns, fastest first within
 * a turn.  Plus one optimistic slot, rotated every CHOKE_OPTIMISTIC_MS
 * among the other interested peers, new ones weighted.
 */
int	choke_run(struct choker *, struct choke_peer **, size_t n,
	    int seeding, uint64_t now_ms);

/* ------------------------------------------------------------------ */
/* peerd_rate.c: token buckets; the rate_bucket_* are pure */

#define RATE_TICK_MS		100	/* buckets refilled so often */
#define RATE_BURST_MS		250	/* a bucket holds this much time */
#define RATE_BURST_MIN		(2 * PEERD_BLOCK)	/* ... or this, if
						   more: a block and its
						   header pass at once */
#define RATE_MSS		1448	/* TCP payload of a segment, for */
#define RATE_IP_OVERHEAD	52	/* ... IPv4 + TCP with timestamps */
#define RATE_UPQ_LIMITED	4	/* blocks read ahead for a peer
					   whose upload is limited */
#define RATE_MAX		(1ULL << 40)	/* bytes a second, any limit */

#define RATE_WAIT_DOWN		0x1	/* reading stopped by a limit */
#define RATE_WAIT_UP		0x2	/* writing stopped by a limit */

struct rate_bucket {
	uint64_t	rate;		/* bytes a second; 0 unlimited */
	uint64_t	burst;		/* most tokens it holds */
	int64_t		tokens;		/* below 0 after a read that took
					   more than there was */
	uint64_t	last_ms;	/* last refill */
	uint64_t	frac;		/* rate x ms not yet a byte, / 1000 */
};

/* A new rate (0: unlimited); a fresh bucket starts full. */
void	rate_bucket_set(struct rate_bucket *, uint64_t rate, uint64_t now_ms);
void	rate_bucket_refill(struct rate_bucket *, uint64_t now_ms);
/* Tokens there are; INT64_MAX when unlimited. */
int64_t	rate_bucket_avail(const struct rate_bucket *);
void	rate_bucket_take(struct rate_bucket *, uint64_t bytes);
/* What n bytes of the peer wire cost: with TCP/IP headers, estimated. */
uint64_t rate_cost(uint64_t n);

/* ------------------------------------------------------------------ */
/* peerd_block.c, peerd_conn.c, peerd.c: the running role */

struct chan;
struct event_base;
struct peer;
struct pex_state;
struct torrent;
struct ProtobufCMessage;

/* One candidate address to dial. */
struct cand {
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	uint8_t			source;		/* enum cand_source */
};

enum cand_source {
	SRC_TRACKER,
	SRC_INCOMING,
	SRC_MAGNET,
	SRC_PEX,
	SRC_CACHE,		/* trackerd's known peers of earlier runs */
};

struct torrent {
	TAILQ_ENTRY(torrent)	 entry;
	LIST_ENTRY(torrent)	 by_id;		/* torrent_find() */
	LIST_ENTRY(torrent)	 by_hash;	/* torrent_by_hash() */
	TAILQ_ENTRY(torrent)	 dialq;		/* candidates queued */
	int			 indialq;
	uint32_t		 id;		/* btd's number */
	uint8_t			 info_hash[20];
	uint64_t		 piece_length;
	uint64_t		 total_size;
	uint32_t		 npieces;
	int			 private;
	int			 ready;		/* TorrentHave on this link */
	int			 nometa;	/* a magnet without metadata:
						   no pieces, no pick; only
						   ut_metadata (peerd_meta.c) */
	uint32_t		 metadata_size;	/* info dict bytes, 0 unknown */
	uint32_t		 meta_peers;	/* peers offering metadata */
	int			 gone;		/* TorrentGone: stop */
	struct pick_torrent	*pick;
	uint8_t			*bitfield;	/* verified, BEP 3 order */
	TAILQ_HEAD(, peer)	 peers;		/* handshake done */
	uint32_t		 npeers;
	uint32_t		 nseeds;
	/*
	 * The dial queue, a ring of ccap (grown up to
	 * PEERD_MAX_CANDIDATES), and the ring of seeds met while complete
	 * (PEERD_SEEDS_KNOWN): both allocated when first needed, as most
	 * of 100,000 seeding torrents never need them.
	 */
	struct cand		*cands;
	uint32_t		 ccap;
	uint32_t		 chead;
	uint32_t		 ncands;
	struct sockaddr_storage	*seeds;
	uint32_t		 nseeds_known, seedpos;
	uint64_t		 want_ms;	/* WantPeers last sent */
	/* PeerdStats: deltas since the last one, and rate windows */
	uint64_t		 d_down, d_up, d_wasted;
	uint64_t		 rate_down, rate_up;
	uint64_t		 sec_down, sec_up;
	int			 stats_dirty;
	struct choker		 choker;	/* peerd_choke.c */
	struct rate_bucket	 rdown, rup;	/* its limits, peerd_rate.c */
	uint32_t		 max_peers;	/* its connection limit; 0: the
						   global per-torrent one */
	int64_t			 wake_budget;	/* peerd_rate.c's, in a refill */
};

/* peerd_conn.c */
enum peer_state {
	ST_CONNECTING,
	ST_HANDSHAKE,
	ST_ACTIVE,
};

/* A block read for the peer, in an up slot, being sent. */
struct upsend {
	uint32_t	slot;
	uint32_t	len;		/* payload bytes */
	uint32_t	off;		/* bytes of header + payload sent */
	uint8_t		hdr[WIRE_PIECE_HDR];
};

/* A request of the peer, waiting for an up slot. */
struct inreq {
	uint32_t	piece;
	uint32_t	begin;
	uint32_t	length;
};

/* A connection to a peer, from dial or accept to close. */
struct peer {
	TAILQ_ENTRY(peer)	 all;		/* every connection */
	TAILQ_ENTRY(peer)	 entry;		/* t->peers, when ACTIVE */
	TAILQ_ENTRY(peer)	 hentry;	/* hungry: waits for room */
	TAILQ_ENTRY(peer)	 uentry;	/* has requests to read */
	TAILQ_ENTRY(peer)	 sentry;	/* stalled: waits for a slot */
	int			 hungry, uploading, stalled;
	int			 fd;
	struct event		*rev, *wev;	/* its own, no bufferevent */
	int			 reading;	/* rev is added */
	enum peer_state		 state;
	int			 incoming;
	uint8_t			 source;	/* enum cand_source */
	struct torrent		*t;		/* outbound: from the dial */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 addr[46];	/* INET6_ADDRSTRLEN */
	uint16_t		 port;
	uint16_t		 listen_port;	/* BEP 10 p */
	uint8_t			 peer_id[20];
	char			 client[64];
	int			 fast, ext;
	uint8_t			 hs[WIRE_HANDSHAKE];
	size_t			 hslen;
	int			 am_choking, am_interested;
	int			 peer_choking, peer_interested;
	int			 first_done;	/* a message after the handshake */
	int			 got_have;	/* 1 + the type of the bitfield,
						   have_all or have_none seen */
	uint64_t		 choke_ms;	/* when we last (un)choked it */
	struct wire_parser	 wp;
	uint8_t			*rbuf;		/* PEER_RBUF bytes */
	size_t			 rlen, roff;
	int			 rslot;		/* down slot being filled */
	uint32_t		 rpiece, rbegin, rblen;
	int			 rdiscard;	/* payload not wanted */
	uint8_t			*obuf;		/* control messages out */
	size_t			 olen, ooff, ocap;
	struct upsend		 upq[PEERD_UPQ_MAX];
	uint32_t		 uhead, nup;
	struct inreq		 inq[PEERD_REQQ];
	uint32_t		 ihead, nin;
	uint32_t		 nreads;	/* its blocks at stored */
	uint32_t		 flood;		/* requests refused in a row */
	struct pick_peer	 pp;
	int			 pp_init;
	uint32_t		 depth;		/* requests in flight, target */
	uint32_t		 reqq;		/* its BEP 10 reqq, 0 unknown */
	uint64_t		 down_total, up_total;
	uint64_t		 sec_down, sec_up;
	uint64_t		 rate_down, rate_up;
	uint64_t		 last_recv_ms, last_send_ms, start_ms;
	uint64_t		 last_block_ms;	/* a block we asked for came */
	uint32_t		 fails;		/* failed pieces it sent to */
	struct choke_peer	 cp;		/* the choker's view of it */
	int			 rate_wait;	/* RATE_WAIT_*: a limit holds it */
	uint64_t		 rate_seq[2];	/* down, up: when it began to
						   wait (served in that order);
						   0 served since */
	/* ut_metadata (peerd_meta.c) */
	uint32_t		 mkey;		/* its key towards metad, 0 none */
	uint8_t			 ut_meta;	/* its ut_metadata id, 0 none */
	int64_t			 meta_size;	/* its metadata_size, -1 none */
	int			 meta_offered;	/* counted in t->meta_peers, and
						   offered to metad */
	uint32_t		 meta_ask[PEERD_META_ASKS];	/* pieces metad
						   asked of it, unanswered */
	uint32_t		 nmeta_ask;
	uint32_t		 nmeta_want;	/* its requests at metad */
	int			 told;		/* incoming: trackerd knows it
						   (IncomingPeer) */
	struct pex_state	*pex;		/* ut_pex (peerd_pex.c), or
						   NULL */
	int			 dead;
};

TAILQ_HEAD(peer_list, peer);
extern struct peer_list conn_peers;	/* every connection */

void	conn_init(struct event_base *);
/* Close p: all it holds is let go; p->dead stays readable this turn. */
void	conn_close(struct peer *, const char *why);
/* Queue bytes for p; -1 (and p closed) when its queue is over bound. */
int	conn_send(struct peer *, const void *buf, size_t len);
int	conn_send_simple(struct peer *, int id);
int	conn_send_block(struct peer *, int id, uint32_t piece,
	    uint32_t begin, uint32_t length);
void	conn_read_on(struct peer *);
void	conn_read_off(struct peer *);
void	conn_hungry_del(struct peer *);
/* Parse what p has buffered (after a stall). */
void	conn_process(struct peer *);
void	conn_config(const char *key, const char *value);
const uint8_t *conn_peer_id(void);
/* Dial the next candidates of every torrent, within the limits. */
void	conn_dial(void);
void	conn_torrent_candidates(struct torrent *, const struct cand *,
	    size_t n);
/* Close every connection of t (removed, gone). */
void	conn_torrent_close(struct torrent *);
/* t became ready: send our bitfield, interest, requests to each peer. */
void	conn_torrent_ready(struct torrent *);
/* Piece verified: HAVE to every peer of t, drop seeds if we are one. */
void	conn_piece_have(struct torrent *, uint32_t piece);
/* Contributors of a failed piece: count a failure, ban at the bound. */
void	conn_piece_failed(struct torrent *, const uint32_t *ids, size_t n);
/* Contributors of a good piece: one failure forgiven. */
void	conn_piece_good(struct torrent *, const uint32_t *ids, size_t n);
/* Send requests to every peer that has room (slots came back). */
void	conn_fill_all(void);
/* What QueryPeers shows of one connection. */
struct conn_info {
	char		addr[46];	/* INET6_ADDRSTRLEN */
	uint16_t	port;
	char		client[64];	/* escaped */
	char		flags[12];	/* peerd.proto PeerInfo.flags */
	uint64_t	rate_down, rate_up;
	double		progress;
	uint64_t	downloaded, uploaded;
	uint8_t		source;		/* enum cand_source */
};
size_t	conn_peer_infos(struct torrent *, struct conn_info *, size_t max);
/* Per-second bookkeeping: rates, depths, timeouts, choking. */
void	conn_tick(uint64_t now_ms);
uint32_t conn_count(void);

/* peerd_choke.c */
/* We choke (1) or unchoke (0) p; its queued requests go on choke. */
void	choke_set(struct peer *, int choke);
/* p became interested: unchoke it if a slot is free. */
void	choke_interested(struct peer *);
/* Once a second: choke_run() over t's peers, and what it decided. */
void	choke_torrent(struct torrent *, uint64_t now_ms);

/* peerd_rate.c */
extern int rate_on;		/* a limit is in force somewhere */
void	rate_init(struct event_base *);
/* download_rate_limit, upload_rate_limit (KiB/s), peer_limit_global,
   peer_limit_per_torrent from Config. */
void	rate_config(const char *key, const char *value);
/* t's limits, bytes a second (0 none) and connections (0 global). */
void	rate_torrent_set(struct torrent *, uint64_t down, uint64_t up,
	    uint32_t max_peers);
/* The upload limit that applies to t, bytes a second; 0 none. */
uint64_t rate_torrent_up(const struct torrent *);
/* Connections in all, and of t, peerd may have. */
uint32_t rate_max_conns(void);
uint32_t rate_max_torrent_conns(const struct torrent *);
/* With rate_on: may p read now?  0: its reading is off until a refill. */
int	rate_recv_ok(struct peer *);
void	rate_received(struct peer *, size_t n);
/* With rate_on: cut iov (niov) to what p may send now; the new total, 0
   when nothing (its write event is off until a refill). */
size_t	rate_send_trim(struct peer *, struct iovec *iov, size_t *niov,
	    size_t total);
void	rate_sent(struct peer *, size_t n);
/* Every RATE_TICK_MS (a timer) while rate_on: refill, wake who waits. */
void	rate_tick(uint64_t now_ms);
/* Blocks read ahead for p's uploads at most. */
uint32_t rate_upq(const struct peer *);

/* peerd_block.c */
/* A PIECE header arrived: 0 go on (payload to a slot or discarded), 1 p
   is stalled for want of a slot. */
int	block_piece_begin(struct peer *, const struct wire_msg *);
/* The payload of p's current PIECE is all in. */
void	block_piece_done(struct peer *);
/* Read from p straight into its slot (left bytes still to come) and
   the next header into p->rbuf; as read(2). */
ssize_t	block_recv(struct peer *, uint32_t left);
void	block_unstall(struct peer *);
/* A REQUEST or CANCEL from p. */
int	block_request(struct peer *, const struct wire_msg *);
void	block_cancel(struct peer *, const struct wire_msg *);
/* Up slots are free: read the blocks peers asked for. */
void	block_pump_uploads(void);
void	block_uploads_stop(struct peer *);
void	block_uploads_kick(struct peer *);
/* Forget p's blocks read but not started on the wire. */
void	block_up_drop_unsent(struct peer *);
/* The iovecs of block k of p's send queue. */
void	block_up_iov(struct peer *, uint32_t k, struct iovec *iov,
	    int *kind, size_t *niov);
void	block_init(struct event_base *);
/* Down slots: take one for a received block; -1 when none is free. */
int	block_down_take(void);
/* A received block in slot: queue it for stored (BlockWrite). */
void	block_down_put(int slot, uint32_t torrent, uint32_t piece,
	    uint32_t begin, uint32_t length);
/* A slot taken but not filled (the peer left mid-block). */
void	block_down_release(int slot);
uint8_t	*block_down_ptr(int slot);
/* Free down slots minus requests in flight: room for more requests. */
int	block_room(void);
int	block_down_low(void);
/* The stored link is up with arenas. */
int	block_link_up(void);
/* Ask stored to read a block for peer p (an upload); -1: no up slot. */
int	block_read(struct peer *, uint32_t torrent, uint32_t piece,
	    uint32_t begin, uint32_t length);
uint8_t	*block_up_ptr(uint32_t slot);
int	block_up_room(void);
/* An up slot was sent (or its peer left): it is free again. */
void	block_up_free(uint32_t slot);
/* Peer p leaves: forget it in pending reads. */
void	block_peer_gone(struct peer *);
/* stored's verified pieces of t: it may download and upload now. */
int	block_apply_have(struct torrent *, const uint8_t *bits, size_t len);
void	block_stored_up(struct chan *);
void	block_stored_down(void);
int	peerd_dispatch_stored(struct chan *, const struct ProtobufCMessage *);

/* peerd_meta.c */
/* The peer's extended handshake came (again). */
void	meta_exths(struct peer *, const struct wire_exths *);
/* A ut_metadata message of p (our id); -1 when p was closed. */
int	meta_message(struct peer *, const uint8_t *buf, size_t len);
/* p is closing. */
void	meta_peer_gone(struct peer *);
int	peerd_dispatch_metad(struct chan *, const struct ProtobufCMessage *);
void	meta_metad_up(void);
void	meta_metad_down(void);

/* peerd_pex.c */
/* The peer's extended handshake came (again): its ut_pex id. */
void	pex_exths(struct peer *, const struct wire_exths *);
/* A ut_pex message of p (our id); -1 when p was closed. */
int	pex_message(struct peer *, const uint8_t *buf, size_t len);
/* p is closing. */
void	pex_peer_gone(struct peer *);
/* Once a second: ut_pex to the peers whose minute has passed. */
void	pex_tick(uint64_t now_ms);

/* peerd.c */
struct torrent *torrent_find(uint32_t id);
struct torrent *torrent_by_hash(const uint8_t hash[20]);
TAILQ_HEAD(torrent_list, torrent);
extern struct torrent_list torrents;
/* Ask trackerd for candidates of t (rate-limited). */
void	peerd_want_peers(struct torrent *, uint32_t count);
void	peerd_connect_result(struct torrent *, const struct sockaddr *,
	    int ok, const char *result);
/* Tell trackerd of p if it is an incoming peer with a listen port. */
void	peerd_incoming_peer(struct peer *);
/* peerd banned this address and port: trackerd must not offer it. */
void	peerd_peer_banned(struct torrent *, const struct sockaddr *);
uint64_t peerd_now_ms(void);
/* A TorrentHave for a torrent btd has not added yet: keep it. */
int	peerd_pending_have(uint32_t torrent, const uint8_t *bits, size_t len);
void	peerd_pending_clear(void);

#endif
