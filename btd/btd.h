/*
 * btd.h -- the supervisor's private header.
 */
#ifndef BTD_BTD_H
#define BTD_BTD_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

struct chan;
struct event;
struct event_base;

#define ROLE_COUNT	4	/* trackerd, peerd, stored, metad: index 1-4 */

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
};

int		 state_torrent_insert(struct state *,
		    const struct state_torrent *);
int		 state_torrent_delete(struct state *, const uint8_t[20]);
int		 state_torrent_foreach(struct state *,
		    void (*)(const struct state_torrent *, void *), void *);
int		 state_root_add(struct state *, const char *);
int		 state_root_del(struct state *, const char *);
int		 state_root_foreach(struct state *,
		    void (*)(const char *, void *), void *);

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

/* btd_owner.c -- who owns the downloaded data */
/* stored's uid and gid: download_user/group as root, else btd's own. */
int		 owner_resolve(const struct conf *, uid_t *, gid_t *,
		    char *err, size_t errlen);
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
};

struct proc_link {
	uint64_t	generation;	/* times btd wired this pair; 0 never */
	int		up;		/* the role reported a round trip */
};

struct proc {
	int			 role;		/* BTD__ROLE__*, 1-4 */
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
};

void		 proc_init(struct event_base *, struct conf *, struct state *);
void		 proc_start_all(void);
void		 proc_restart(int role);	/* btctl restart ROLE */
void		 proc_stop_all(void);		/* orderly shutdown */
int		 proc_all_stopped(void);
void		 proc_sigchld(void);
void		 proc_config_changed(const char *key);
const struct proc *proc_get(int role);		/* 1-4 */
struct chan	*proc_chan(int role);		/* NULL unless running */
const char	*proc_state_name(enum proc_state);

/* btd_torrent.c -- the torrents, and requests to roles about them */
struct Btd__AddRequest;
struct Btd__ShowRequest;
struct Btd__RemoveRequest;
struct ProtobufCMessage;
void		 torrent_init(struct event_base *, struct conf *,
		    struct state *);
int		 torrent_roots(const char **, int);
void		 torrent_keep_roots(void);
int		 torrent_root_allowed(const char *, char *, size_t);
void		 torrent_ctl_add(int, const struct Btd__AddRequest *);
void		 torrent_ctl_list(int);
void		 torrent_ctl_show(int, const struct Btd__ShowRequest *);
void		 torrent_ctl_remove(int, const struct Btd__RemoveRequest *);
int		 torrent_role_msg(int, const struct ProtobufCMessage *);
void		 torrent_role_exited(int);
void		 torrent_role_started(int);
struct Btd__TrackersRequest;
void		 torrent_ctl_trackers(int, const struct Btd__TrackersRequest *);
void		 torrent_stop_all(void (*)(void));

/* btd_ctl.c -- the ctl socket */
int		 ctl_init(struct event_base *, struct conf *, struct state *,
		    const char *path, char *err, size_t errlen);
void		 ctl_close(void);
struct Btd__CtlReply;
/* Answer ctl client `client` (by id); -1 if it has gone. */
int		 ctl_send_reply(int client, const struct Btd__CtlReply *);
void		 ctl_send_error(int client, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* btd.c */
struct ctl_status;
void		 btd_shutdown(const char *why);
void		 btd_roles_settled(void);	/* btd_proc.c: all started */
const char	*btd_state_dir(void);
uint64_t	 btd_uptime(void);

#endif
