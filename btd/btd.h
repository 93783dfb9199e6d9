/*
 * btd.h -- the supervisor's private header.
 */
#ifndef BTD_BTD_H
#define BTD_BTD_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

struct chan;
struct event;
struct event_base;

#define ROLE_COUNT	5	/* trackerd, peerd, stored, metad, rpcd:
				   index 1-5 */
#define ROLE_BIT(r)	(1U << (r))	/* a role in a mask */

/* btd_state.c -- state.db, the one SQLite database (btd alone opens it) */
struct state;

/* A numbered migration: SQL run in one transaction to reach version. */
struct state_migration {
	int		 version;	/* 1, 2, ... in order */
	const char	*sql;
};

/*
 * Open (create) the database at path in WAL mode and bring its schema up
 * to the newest migration.  Refuses a database whose user_version is
 * newer than this btd knows.  NULL with a one-line reason in err.
 */
struct state	*state_open(const char *path, char *err, size_t errlen);
/* The same with a migration list of the caller's (unit tests). */
struct state	*state_open_with(const char *path,
		    const struct state_migration *, int n, char *err,
		    size_t errlen);
void		 state_close(struct state *);
int		 state_version(struct state *);
/* 1 and *value (malloc'd, the caller frees) if found, 0 if not, -1. */
int		 state_setting_get(struct state *, const char *key,
		    char **value);
int		 state_setting_set(struct state *, const char *key,
		    const char *value);
int		 state_setting_del(struct state *, const char *key);
/* btd's own markers (the meta table): as the settings. */
int		 state_meta_get(struct state *, const char *key, char **value);
int		 state_meta_set(struct state *, const char *key,
		    const char *value);
/* The meta row of a torrent's own limits: this and the hex info-hash. */
#define STATE_LIMITS_KEY	"limits "
/* The meta row of a torrent's file priorities and sequential mode. */
#define STATE_WANTS_KEY		"wants "
/* Call cb for every stored setting, in key order. */
int		 state_setting_foreach(struct state *,
		    void (*cb)(const char *key, const char *value, void *),
		    void *arg);
/*
 * Mark the state as in use (an unclean-shutdown marker); *was_unclean
 * says whether the previous run ended without state_mark_clean().
 */
int		 state_mark_running(struct state *, int *was_unclean);
int		 state_mark_clean(struct state *);
/* Number of torrents recorded (the torrents table exists from v1). */
int		 state_torrent_count(struct state *);

/* A torrents row (pointers valid during the call or the insert). */
struct state_torrent {
	const uint8_t	*info_hash;	/* 20 bytes */
	const char	*name;
	const uint8_t	*info;		/* NULL until the metadata is known */
	size_t		 info_len;
	const uint8_t	*meta;		/* packed TorrentDesc or MagnetDesc */
	size_t		 meta_len;
	const char	*save_path;
	const char	*state;
	const char	*error;		/* "" if none */
	int64_t		 added;
	int		 paused;
	size_t		 nfiles;	/* insert: files rows to create */
	size_t		 ntrackers;	/* insert: trackers rows */
	const char *const *tracker_urls;
	const uint32_t	*tracker_tiers;
	/* read by state_torrent_foreach() only: untrusted, check them */
	const uint8_t	*pieces;	/* NULL if none recorded */
	size_t		 pieces_len;
	int64_t		 downloaded;	/* may be negative in a bad row */
	int64_t		 uploaded;
	int64_t		 wasted;
	int64_t		 completed;
	const uint8_t	*created;	/* files stored made; NULL if none */
	size_t		 created_len;
	const char	*move_to;	/* a move under way; NULL if none */
	int64_t		 seq;		/* its number: the order of adding */
};

int		 state_torrent_insert(struct state *,
		    const struct state_torrent *);
/* The seq of a torrent's row (ctl.proto NumbersReply), or -1. */
int64_t		 state_torrent_seq(struct state *, const uint8_t[20]);
int		 state_torrent_delete(struct state *, const uint8_t[20]);
/*
 * A magnet's metadata is known: the row's name, info, meta (a packed
 * TorrentDesc now) and state change, and its files rows are created, in
 * one transaction.  Uses info_hash, name, info, meta, state, nfiles.
 */
int		 state_torrent_set_meta(struct state *,
		    const struct state_torrent *);
int		 state_torrent_foreach(struct state *,
		    void (*)(const struct state_torrent *, void *), void *);
/* A row of the known-peer cache (untrusted when read: check it). */
struct state_peer {
	const char	*addr;		/* numeric, as trackerd sent it */
	int64_t		 port;
	const char	*source;	/* "tracker,pex", ... */
	int64_t		 last_seen;	/* the last successful connection */
};
/* Replace the cache of a torrent with p[0..n). */
int		 state_peers_save(struct state *, const uint8_t[20],
		    const struct state_peer *, size_t);
/* Each row of a torrent's cache, the latest first. */
int		 state_peers_foreach(struct state *, const uint8_t[20],
		    void (*)(const struct state_peer *, void *), void *);
/* Record a move's destination (NULL: none) before it starts. */
int		 state_move_set(struct state *, const uint8_t[20],
		    const char *move_to);
/* The data is in place: save_path takes it, the record goes. */
int		 state_move_done(struct state *, const uint8_t[20],
		    const char *save_path);
int		 state_root_add(struct state *, const char *);
int		 state_root_del(struct state *, const char *);
int		 state_root_foreach(struct state *,
		    void (*)(const char *, void *), void *);

/* A torrent's labels, seeding time and limits (migration 6). */
struct state_seed {
	const char	*labels;	/* joined by commas; "" none */
	int64_t		 secs_down;	/* untrusted when read: check */
	int64_t		 secs_seed;
	int64_t		 activity;	/* seconds since the epoch; 0 never */
	double		 ratio;		/* its own ratio limit */
	int64_t		 ratio_mode;	/* SEED_MODE_* */
	int64_t		 idle;		/* its own idle limit, minutes */
	int64_t		 idle_mode;
	int64_t		 done;		/* stopped at a limit */
};
/* Every torrent's row (info_hash NULL), or one's. */
int		 state_seed_foreach(struct state *, const uint8_t *info_hash,
		    void (*)(const uint8_t *, const struct state_seed *,
		    void *), void *);
int		 state_seed_save(struct state *, const uint8_t[20],
		    const struct state_seed *);

/*
 * A torrent's progress as state.db records it (migration 3): the
 * verified-piece bitfield, the lifetime counters, the completion time.
 */
struct state_progress {
	const uint8_t	*pieces;	/* bitfield, BEP 3 order; NULL: none */
	size_t		 pieces_len;
	uint64_t	 downloaded;	/* payload bytes, every run */
	uint64_t	 uploaded;
	uint64_t	 wasted;
	int64_t		 completed;	/* seconds since the epoch; 0 not yet */
	const char	*state;		/* enum tstate's name */
	const char	*error;		/* "" if none */
	int		 paused;
	const uint8_t	*created;	/* bitfield over the files that
					   stored created; NULL: none */
	size_t		 created_len;
};

/*
 * What state.db records of a file (the files table's size and mtime):
 * its size and mtime after the flush that made its verified pieces
 * durable, or after a check.
 */
struct state_fstat {
	uint64_t	 size;
	int64_t		 mtime;		/* ns since the epoch */
	uint8_t		 rec;		/* a record; 0: none (NULL) */
	uint8_t		 dirty;		/* changed since written */
};

/*
 * Write the dirty records among f[0..n) of a torrent (inside the batch
 * of its progress), clearing their marks; files rows that are missing
 * are inserted.
 */
int		 state_fstats_save(struct state *, const uint8_t[20],
		    struct state_fstat *, size_t n);
/* Read a torrent's records into f[0..n) (zeroed first). */
int		 state_fstats_load(struct state *, const uint8_t[20],
		    struct state_fstat *, size_t n);
/* Every file record (the start): cb(info-hash, file index, record). */
int		 state_fstats_foreach(struct state *, void (*)(const uint8_t *,
		    uint64_t, const struct state_fstat *, void *), void *);
/* Give back the memory SQLite caches (after the start's reads). */
void		 state_shrink(struct state *);
/* Every meta row whose key starts with prefix. */
int		 state_meta_foreach_prefix(struct state *, const char *prefix,
		    void (*)(const char *, const char *, void *), void *);
/* Write one torrent's progress (inside a batch, or alone). */
int		 state_progress_save(struct state *, const uint8_t[20],
		    const struct state_progress *);
/* A transaction around many writes: one per flush, never per block. */
int		 state_begin(struct state *);
int		 state_commit(struct state *);
void		 state_rollback(struct state *);
/* Session totals over every run, in the meta table; 0 if unknown. */
uint64_t	 state_total_get(struct state *, const char *key);
int		 state_total_set(struct state *, const char *key, uint64_t);

/*
 * btd_progress.c -- the pure part of the transfer: a torrent's state
 * machine, its verified-piece bitfield, and the figures derived from
 * them (left, ETA, ratio).  No I/O, no protobuf: unit tests drive it.
 */
enum tstate {
	TST_FETCHING,		/* "fetching metadata": a magnet */
	TST_QUEUED,		/* waiting to be sent to stored */
	TST_CHECKING,		/* sent to stored, no TorrentChecked yet */
	TST_DOWNLOADING,
	TST_SEEDING,		/* every piece verified and durable */
	TST_ERROR,		/* stored gave up on it; see the reason */
};

enum tevent {
	TEV_METADATA,		/* the info dictionary became known */
	TEV_SENT,		/* StoredTorrentAdd sent */
	TEV_CHECKED,		/* TorrentChecked */
	TEV_DURABLE,		/* PiecesDurable */
	TEV_ERROR,		/* TorrentError */
	TEV_RESUME,		/* btctl resume: out of pause or error */
	TEV_WANTS,		/* file priorities changed */
};

/* The state after ev; complete: every wanted piece is verified now. */
enum tstate	 tstate_next(enum tstate, enum tevent, int complete);
const char	*tstate_name(enum tstate);
/* A name from state.db; -1 if it is not one. */
int		 tstate_parse(const char *);

/* Bitfields: BEP 3 order, the high bit of byte 0 is piece 0. */
size_t		 bf_len(uint32_t pieces);
/* 1 if bf is exactly bf_len(pieces) bytes with the spare bits clear. */
int		 bf_valid(const uint8_t *bf, size_t len, uint32_t pieces);
uint32_t	 bf_count(const uint8_t *bf, uint32_t pieces);
int		 bf_get(const uint8_t *bf, uint32_t pieces, uint32_t i);
/* Set piece i: 1 if it was clear, 0 if set already, -1 if out of range. */
int		 bf_set(uint8_t *bf, uint32_t pieces, uint32_t i);

/* Bytes of the verified pieces (the last piece may be short). */
uint64_t	 progress_have_bytes(const uint8_t *bf, uint32_t pieces,
		    uint64_t piece_length, uint64_t total_size);
/* Seconds to completion at rate_down, 0 when nothing is left, -1 unknown. */
int64_t		 progress_eta(uint64_t left, uint64_t rate_down);
/* uploaded / downloaded, or / size when nothing was downloaded; -1 none. */
double		 progress_ratio(uint64_t uploaded, uint64_t downloaded,
		    uint64_t size);
/*
 * A bitfield from state.db into out (bf_len(pieces) bytes): copied if it
 * is valid, else out is left empty (the database may under-claim, never
 * over-claim).  The number of pieces set, or -1 for a bad field.
 */
int64_t		 progress_load_bitfield(const uint8_t *blob, size_t len,
		    uint32_t pieces, uint8_t *out);
/* A counter from state.db: a negative one reads as 0. */
uint64_t	 progress_row_counter(int64_t);
/* a + b, saturating: counters from a role must not wrap. */
uint64_t	 sat_add(uint64_t a, uint64_t b);

/* btd_conf.c -- btd.conf, command-line flags and runtime settings */
enum conf_source {
	CONF_DEFAULT,		/* built in */
	CONF_FILE,		/* btd.conf */
	CONF_FLAG,		/* command line */
	CONF_SET,		/* btctl set, kept in state.db */
};

struct conf;

struct conf	*conf_new(const char *state_dir);	/* defaults */
void		 conf_free(struct conf *);
/*
 * Read btd.conf: lines "key value", '#' comments, blank lines; a value
 * may be double-quoted.  Unknown keys, duplicates, bad values are
 * errors naming file and line.  must_exist: a missing file is an error
 * (the file was named with -c).
 */
int		 conf_load(struct conf *, const char *path, int must_exist,
		    char *err, size_t errlen);
/* A command-line flag: pins the key like btd.conf does. */
int		 conf_set_flag(struct conf *, const char *key,
		    const char *value, char *err, size_t errlen);
/*
 * A runtime change (btctl set, or replayed from state.db): refused for
 * unknown keys, keys that are not runtime settings (the *_exec paths,
 * uid base), keys pinned by btd.conf or a flag, and invalid values.
 */
int		 conf_set_runtime(struct conf *, const char *key,
		    const char *value, char *err, size_t errlen);
/* The value (never NULL for a known key) and its source. */
const char	*conf_get(const struct conf *, const char *key);
/* Changes whenever a value of a conf changes: for caching what is
   derived from one. */
uint64_t	 conf_generation(void);
long long	 conf_get_int(const struct conf *, const char *key);
enum conf_source conf_source(const struct conf *, const char *key);
const char	*conf_source_name(enum conf_source);
/* Known keys, for listing: i from 0 until NULL. */
const char	*conf_key(int i);
const char	*conf_describe(const char *key);
int		 conf_is_known(const char *key);
/* landlock_abi_max as a number, -1 for no cap */
int		 conf_landlock_abi_max(const struct conf *);
const char	*conf_operator_download_dir(const struct conf *);
int		 conf_valid_bind(const char *, char *addr, uint16_t *port);
int		 conf_valid_pwhash(const char *);
/* "N" or "N.N" or "N.NN", 0 to 10000: 0 and *out, else -1. */
int		 conf_parse_ratio(const char *, double *out);
int		 conf_rpc_enabled(const struct conf *);
uint16_t	 conf_rpc_port(const struct conf *);
int		 conf_set_internal(struct conf *, const char *key,
		    const char *value);

/* btd_owner.c -- who owns the downloaded data */
/* stored's uid and gid: download_user/group as root, else btd's own. */
int		 owner_resolve(const struct conf *, uid_t *, gid_t *,
		    char *err, size_t errlen);
int		 owner_role_ids(const struct conf *, int, const char *,
	    uid_t *, gid_t *, char *, size_t);
/*
 * Before remove --delete-data: -1 with the reason if stored, as
 * uid/gid, could not delete one of paths (below root/dir, and dir
 * itself with remove_dir); 0 otherwise.
 */
int		 owner_check_delete(const char *root, const char *dir,
		    char *const *paths, size_t n, int remove_dir, uid_t uid,
		    gid_t gid, char *err, size_t errlen);

/* btd_proc.c -- spawning, confining, wiring and restarting the roles */
enum proc_state {
	PROC_STARTING,		/* spawned, no Hello yet */
	PROC_RUNNING,		/* Hello accepted */
	PROC_BACKOFF,		/* dead, waiting to be restarted */
	PROC_FAILED,		/* cannot be started; see last_exit */
	PROC_STOPPED,		/* shut down */
	PROC_STOPPING,		/* ordered restart: told to stop */
	PROC_OFF,		/* not wanted: rpcd without rpc_enabled */
};

struct proc_link {
	uint64_t	generation;	/* times btd wired this pair; 0 never */
	int		up;		/* the role reported a round trip */
};

struct proc {
	int			 role;		/* BTD__ROLE__*, 1-5 */
	const char		*name;
	char			 exec[4096];	/* what was executed */
	pid_t			 pid;		/* 0 when not running */
	enum proc_state		 state;
	struct chan		*chan;		/* to the role; NULL if none */
	uint64_t		 started_ms;	/* monotonic, current run */
	uint32_t		 restarts;
	char			 last_exit[256];
	int			 backoff;	/* index into the delays */
	uint64_t		 next_start_ms;	/* in backoff */
	int			 restart_now;	/* btctl restart: no backoff */
	int			 violated;	/* killed for a protocol violation */
	struct event		*timer;		/* restart or hello timeout */
	struct sandbox_report	 sandbox;
	char			 impl_name[64];
	char			 impl_version[64];
	struct proc_link	 links[ROLE_COUNT + 1];	/* by peer role */
	char			*roots;		/* stored: its download roots at
						   spawn, '\n'-separated, in the
						   order of their descriptors */
};

void		 proc_init(struct event_base *, struct conf *, struct state *);
void		 proc_start_all(void);
void		 proc_restart(int role);	/* btctl restart ROLE */
void		 proc_restart_for(int, const char *);
void		 proc_stop_all(void);		/* orderly shutdown */
int		 proc_all_stopped(void);
void		 proc_sigchld(void);
void		 proc_config_changed(const char *key);
const struct proc *proc_get(int role);		/* 1-5 */
struct chan	*proc_chan(int role);		/* NULL unless running */
const char	*proc_state_name(enum proc_state);

/* btd_torrent.c -- the torrents, and requests to roles about them */
struct Btd__TorrentDesc;
struct Btd__MagnetDesc;

struct torrent {
	TAILQ_ENTRY(torrent)	 entry;		/* in the order added */
	uint8_t			 ih[20];
	char			 hex[41];
	char			*name;
	char			*save_path;	/* the data is save_path/name */
	enum tstate		 state;
	char			*error;		/* "" if none */
	int64_t			 added;
	int			 paused;
	struct Btd__TorrentDesc	*desc;		/* the metadata is known */
	struct Btd__MagnetDesc	*mag;		/* else: what the magnet said */

	/* The transfer (btd_xfer.c). */
	uint8_t			*info;		/* the info dict's bytes */
	size_t			 info_len;
	const uint8_t		*hashes;	/* into info: 20 a piece */
	uint8_t			*have;		/* verified pieces; NULL if
						   no metadata */
	uint32_t		 have_count;
	uint8_t			*created;	/* files stored created
						   (FilesCreated): a bitfield
						   over desc->files; NULL:
						   none */
	uint32_t		 seq;		/* state.db's seq: its number in
						   NumbersReply (RPC ids) */
	uint32_t		 num;		/* btd's number in peerd and
						   stored; 0: not running */
	uint8_t			 short_n;	/* its short id's digits, for
						   a list (btd_torrent.c) */
	uint8_t			 owed;		/* ROLE_BIT()s of roles that
						   started and are still to
						   hear of it (btd_xfer.c's
						   feed) */
	uint64_t		 downloaded;	/* lifetime, payload bytes */
	uint64_t		 uploaded;
	uint64_t		 wasted;
	int64_t			 completed;	/* 0: not yet */
	uint64_t		 rate_down;	/* from peerd, now */
	uint64_t		 rate_up;
	uint32_t		 peers;
	uint32_t		 seeds;
	uint32_t		 meta_peers;	/* without metadata: peers
						   that offer it (peerd) */
	uint64_t		 stats_ms;	/* when peerd last reported */
	int			 dirty;		/* state.db is behind */
	uint64_t		 sent_left;	/* last TorrentCounters */
	uint64_t		 sent_up;
	uint64_t		 sent_down;
	int			 counters_sent;	/* sent_* are valid */
	int			 recheck;	/* hash everything on the next
						   check (unclean shutdown) */
	uint32_t		 ck_pieces;	/* checked so far (stored's
						   CheckProgress) */
	uint32_t		 ck_runs;	/* checks ended, this run */
	uint32_t		 ck_crashes;	/* stored crashed checking it,
						   in a row */
	uint32_t		 ck_good;	/* the last one: pieces good */
	uint32_t		 ck_hashed;	/* ... and hashed */
	uint32_t		 ck_trusted;	/* ... and kept as recorded */
	int			 st_send;	/* to stored: ST_SEND_* */
	/* A move (btctl move; btd_xfer.c): the data goes to move_to. */
	char			*move_to;	/* the new save path; NULL: not
						   moving (state.db has it too) */
	int			 move_sent;	/* MoveData went to this stored */
	int			 move_resume;	/* the next one says resume */
	uint64_t		 move_done;	/* stored's MoveProgress */
	uint64_t		 move_total;
	char			*move_result;	/* the last move's outcome, or
						   NULL */
	int			 move_failed;
	uint32_t		 moves;		/* moves ended, this run */
	uint32_t		 st_next;	/* next file or piece (hash) to
						   send */
	struct state_fstat	*fstats;	/* a record a file (quick
						   resume), or NULL: none */
	int			 fstats_dirty;	/* some fstats[].dirty */
	int64_t			 written_until;	/* ns: stored may have written
						   its files after their
						   records until then; 0 no */

	/* Its own limits (btd_limits.c), read from state.db when first
	   needed. */
	int			 lim_loaded;
	uint32_t		 lim_down;	/* KiB/s, 0 none */
	uint32_t		 lim_up;
	uint32_t		 lim_peers;	/* 0: peer_limit_per_torrent */

	/* What it wants (btd_wants.c), read from state.db when first
	   needed. */
	int			 want_loaded;
	int			 sequential;	/* pieces in index order */
	uint8_t			*fprio;		/* WANT_* a file; NULL: all
						   normal */

	/* Labels, seeding time and seed limits (btd_seed.c): NULL until
	   first needed, then read from state.db. */
	struct seed		*seed;
};
TAILQ_HEAD(torrent_list, torrent);

/* The torrents, in the order added (btd_torrent.c owns them). */
extern struct torrent_list torrents;

struct Btd__AddRequest;
struct Btd__ShowRequest;
struct Btd__RemoveRequest;
struct Btd__VerifyRequest;
struct ProtobufCMessage;
void		 torrent_init(struct event_base *, struct conf *,
		    struct state *);
int		 torrent_roots(const char **, int);
void		 torrent_keep_roots(void);
int		 torrent_root_allowed(const char *, char *, size_t);
void		 torrent_ctl_add(int, const struct Btd__AddRequest *);
void		 torrent_ctl_list(int);
void		 torrent_ctl_numbers(int);
void		 torrent_ctl_show(int, const struct Btd__ShowRequest *);
void		 torrent_ctl_gone(int);
void		 torrent_changed(const struct torrent *);
void		 torrent_ctl_remove(int, const struct Btd__RemoveRequest *);
struct Btd__MoveRequest;
void		 torrent_ctl_move(int, const struct Btd__MoveRequest *);
/* A move ended: the download roots no torrent uses any more go. */
void		 torrent_moved(void);
int		 torrent_role_msg(int, const struct ProtobufCMessage *);
/* A role exited; crash: how, if it was neither ordered nor a stop. */
void		 torrent_role_exited(int, const char *crash);
void		 torrent_role_started(int);
struct Btd__TrackersRequest;
void		 torrent_ctl_trackers(int, const struct Btd__TrackersRequest *);
void		 torrent_stop_all(void (*)(void));

/* The torrent with that id (hex prefix); NULL with err set. */
struct torrent	*torrent_find(const char *id, char *err, size_t errlen);
struct torrent	*torrent_by_hash(const uint8_t ih[20]);
void		 torrent_reply_summary(int, const struct torrent *);
/* Where its data lives: the download root, and dir relative to it. */
int		 torrent_data_dir(const struct torrent *, const char **root,
		    char *dir, size_t dirlen);
void		 tracker_start(struct torrent *);
void		 tracker_stop(const struct torrent *);
void		 torrent_role_drained(int);
struct Btd__PeersRequest;
void		 torrent_ctl_peers(int, const struct Btd__PeersRequest *);

/* btd_wants.c -- file priorities and sequential mode */
enum { WANT_SKIP, WANT_LOW, WANT_NORMAL, WANT_HIGH };	/* = peerd's PICK_* */
struct Btd__PeerdTorrentPick;
void		 wants_init(struct state *);
/* At start: every torrent's wants from state.db in one query. */
void		 wants_load_all(void);
void		 wants_free(struct torrent *);	/* t is about to be freed */
void		 wants_reload(struct torrent *);	/* its files are known */
int		 wants_sequential(struct torrent *);
const char	*wants_prio_name(uint32_t);
/* 1 when every piece of a file not skipped is verified. */
int		 wants_complete(struct torrent *);
/* Bytes of the wanted pieces not verified yet. */
uint64_t	 wants_left(struct torrent *);
/* The message to peerd; wants_peerd_free() releases its runs. */
void		 wants_peerd(struct torrent *, struct Btd__PeerdTorrentPick *);
void		 wants_peerd_free(struct Btd__PeerdTorrentPick *);
/* set-torrent keys "sequential" and "file-priority"; -1 and err. */
int		 wants_set(struct torrent *, const char *key,
		    const char *value, char *err, size_t errlen);
/* One WANT_* a file, from malloc (the caller frees); NULL if none. */
uint32_t	*wants_ctl(struct torrent *, size_t *n);

/* btd_limits.c -- each torrent's own rate and connection limits */
#define LIMIT_RATE_MAX		4194304	/* KiB/s, any rate limit */
#define LIMIT_PEERS_MAX		400	/* connections (PEERD_MAX_CONNS) */
struct Btd__SetTorrentRequest;
struct Btd__PeerdTorrentLimits;
struct Btd__TorrentLimits;
void		 limits_init(struct state *);
/* At start: every torrent's limits from state.db in one query. */
void		 limits_load_all(void);
/* t's limits into the message to peerd (bytes a second) or btctl. */
void		 limits_peerd(struct torrent *, struct Btd__PeerdTorrentLimits *);
void		 limits_ctl(struct torrent *, struct Btd__TorrentLimits *);
void		 torrent_ctl_set_torrent(int,
		    const struct Btd__SetTorrentRequest *);

/* btd_xfer.c -- torrents running in stored and peerd: their numbers,
 * state, pieces and counters, batched into state.db */
enum {
	ST_SEND_NONE,		/* nothing owed to stored */
	ST_SEND_ADD,		/* StoredTorrentAdd not sent yet */
	ST_SEND_FILES,		/* sent; files from st_next on still owed */
	ST_SEND_HASHES,		/* sent; hashes from st_next on still owed */
};
void		 xfer_init(struct event_base *, struct state *);
/* The previous run did not stop cleanly: check every piece again. */
void		 xfer_recheck_all(void);
void		 xfer_shutdown(void);
/* Load a row's progress into t (untrusted: checked). */
void		 xfer_load(struct torrent *, const struct state_torrent *);
int		 xfer_can_run(const struct torrent *);
void		 xfer_start(struct torrent *);	/* added, resumed, loaded */
void		 xfer_stop(struct torrent *);	/* paused, removed */
void		 xfer_forget(struct torrent *);	/* about to be freed */
/* t leaves the list of torrents: the feed steps over it. */
void		 xfer_unlink(struct torrent *);
int		 xfer_feeding(void);	/* roles are still being fed */
/*
 * 1 if file i of t (metadata known) belongs to the torrent: stored
 * created it, or a verified piece touches it.  remove --delete-data
 * deletes only those.
 */
int		 xfer_file_owned(const struct torrent *, size_t i);
void		 xfer_role_started(int);
void		 xfer_role_exited(int, const char *crash);
void		 xfer_drained(int);
uint64_t	 xfer_left(const struct torrent *);
/* Its file priorities changed: maybe complete now, or no longer. */
void		 xfer_wants_changed(struct torrent *);
/* Write what changed to state.db now (one transaction). */
void		 xfer_flush(void);
int		 xfer_stored_msg(const struct ProtobufCMessage *);
struct Btd__StoredStats;
/* stored's last StoredStats, or NULL before the first one. */
const struct Btd__StoredStats *xfer_stored_stats(void);
/* metad's MetaResult: a magnet's metadata, verified. */
int		 xfer_metad_msg(const struct ProtobufCMessage *);
int		 xfer_peerd_msg(const struct ProtobufCMessage *);
struct Btd__PauseRequest;
struct Btd__ResumeRequest;
void		 xfer_ctl_pause(int, const struct Btd__PauseRequest *);
void		 xfer_ctl_resume(int, const struct Btd__ResumeRequest *);
void		 xfer_ctl_verify(int, const struct Btd__VerifyRequest *);
/*
 * Move t's data to save path to (recorded in state.db by the caller):
 * t leaves peerd, and stored gets it again with a MoveData.
 */
void		 xfer_move_start(struct torrent *, const char *to);
void		 xfer_ctl_stats(int);

/* btd_seed.c -- labels, time downloading and seeding, seed limits */
#define SEED_MODE_GLOBAL	0	/* the session's limit */
#define SEED_MODE_OWN		1	/* the torrent's own */
#define SEED_MODE_UNLIMITED	2
#define SEED_LABELS_MAX		32	/* labels a torrent */
#define SEED_LABEL_LEN		64	/* bytes a label */
struct Btd__TorrentSummary;
struct Btd__LabelRequest;
void		 seed_init(struct event_base *, struct conf *, struct state *);
void		 seed_free(struct torrent *);	/* t is about to be freed */
void		 seed_shutdown(void);		/* write what is pending */
/* Its labels, times and limits into a summary (pointers into t). */
void		 seed_summary(struct torrent *, struct Btd__TorrentSummary *);
void		 seed_ctl_label(int, const struct Btd__LabelRequest *);
/* set-torrent's seed-* keys; -1 and err. */
int		 seed_set(struct torrent *, const char *key,
		    const char *value, char *err, size_t errlen);

/* btd_known.c -- the cache of known peers (state.db) */
#define KNOWN_MAX		50	/* peers kept a torrent */
#define KNOWN_SOURCE_LEN	64	/* bytes of a row's source list */
struct Btd__KnownPeers;
struct Btd__TorrentStart;
void		 known_init(struct state *);
/* KnownPeers from trackerd: -1 if it is not well formed. */
int		 known_peers_msg(const struct Btd__KnownPeers *);
/* ts->known from state.db: valid until the next call. */
void		 known_fill(const struct torrent *, struct Btd__TorrentStart *);

/* btd_desc.c -- checks of descriptions from metad and state.db */
/* NULL if d is sound, else what is wrong with it. */
const char	*torrent_desc_invalid(const struct Btd__TorrentDesc *d);
const char	*magnet_desc_invalid(const struct Btd__MagnetDesc *m);
/* A TorrentDesc in one block, freed with desc_free() only; NULL if it
 * does not decode or no memory. */
struct Btd__TorrentDesc *desc_unpack(size_t len, const uint8_t *data);
void		 desc_free(struct Btd__TorrentDesc *);

/* btd_ctl.c -- the ctl socket */
int		 ctl_init(struct event_base *, struct conf *, struct state *,
		    const char *path, char *err, size_t errlen);
void		 ctl_close(void);
/* 1 while a reply is still on its way to a client (btd_xfer.c's feed
 * waits). */
int		 ctl_busy(void);
#define CTL_SNDBUF	(4 << 20)	/* a ctl client's socket buffer */
struct Btd__CtlReply;
/* Answer ctl client `client` (by id); -1 if it has gone. */
int		 ctl_send_reply(int client, const struct Btd__CtlReply *);
void		 ctl_hold(int client, int);
void		 ctl_send_error(int client, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * A role-specific body from rpcd (a Call: a ctl request of its own);
 * -1 for one it may not send.
 */
int		 ctl_rpc_msg(const struct ProtobufCMessage *env);
/* rpcd exited: the answers it was owed are dropped. */
void		 ctl_rpc_exited(void);

/* btd_rpc.c -- rpcd's credentials */
/*
 * With rpc_enabled and no rpc_password: make a random password, keep
 * its hash in state.db (and conf), and write the password once to
 * <state-dir>/rpc-password (mode 0600).  A hash kept from an earlier
 * start is used again.  0, or -1 with the reason in err.
 */
int		 rpc_password_init(struct conf *, struct state *,
		    const char *state_dir, char *err, size_t errlen);

/* btd.c */
struct ctl_status;
void		 btd_shutdown(const char *why);
void		 btd_roles_settled(void);	/* btd_proc.c: all started */
const char	*btd_state_dir(void);
uint64_t	 btd_uptime(void);

#endif
