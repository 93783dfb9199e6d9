/*
 * btd_limits.c -- each torrent's own limits: download and upload rate
 * (KiB/s, 0 unlimited) and connections (0: peer_limit_per_torrent).
 *
 * Takes SetTorrentRequest from btctl (`btctl set-torrent ID KEY VALUE`),
 * answers TorrentLimits (the keys sequential and file-priority go to
 * btd_wants.c); sends peerd a PeerdTorrentLimits when a running
 * torrent's limits change (and btd_xfer.c puts them in every
 * PeerdTorrentAdd, so a restarted peerd has them again).
 *
 * They live in state.db's meta table, one row a torrent that has any:
 * key STATE_LIMITS_KEY and the hex info-hash, value "down up peers" --
 * no schema change for three numbers that most torrents never set.
 * A row is read when the torrent's limits are first needed, and goes
 * with the torrent (state_torrent_delete()).  A row that does not parse
 * or is out of range reads as no limits, and is logged.
 *
 * Rejected alternative: fields in the packed description (torrents.meta),
 * which belongs to metad's validated output and is rewritten when a
 * magnet's metadata arrives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.pb-c.h"
#include "peerd.pb-c.h"

#include "btd.h"
#include "chan.h"
#include "log.h"
#include "msg.h"
#include "util.h"

static struct state	*lst;

void
limits_init(struct state *s)
{
	lst = s;
}

/* A meta row's value "down up peers" into t's limits. */
static void
limits_parse(struct torrent *t, const char *v)
{
	unsigned long	d, u, p;
	int		end = 0;

	if (sscanf(v, "%lu %lu %lu%n", &d, &u, &p, &end) != 3 ||
	    v[end] != '\0' || d > LIMIT_RATE_MAX || u > LIMIT_RATE_MAX ||
	    p > LIMIT_PEERS_MAX)
		log_warnx("state.db: %s: limits that do not parse; none",
		    t->hex);
	else {
		t->lim_down = (uint32_t)d;
		t->lim_up = (uint32_t)u;
		t->lim_peers = (uint32_t)p;
	}
}

static void
limits_load(struct torrent *t)
{
	char	key[sizeof(STATE_LIMITS_KEY) + 40], *v = NULL;

	if (t->lim_loaded)
		return;
	t->lim_loaded = 1;
	t->lim_down = t->lim_up = t->lim_peers = 0;
	if (lst == NULL)
		return;
	snprintf(key, sizeof(key), "%s%s", STATE_LIMITS_KEY, t->hex);
	if (state_meta_get(lst, key, &v) != 1)
		return;
	limits_parse(t, v);
	free(v);
}

static void
limits_row(const char *key, const char *v, void *arg)
{
	struct torrent	*t;
	uint8_t		 ih[20];

	(void)arg;
	key += sizeof(STATE_LIMITS_KEY) - 1;
	if (strlen(key) != 40 || util_unhex(key, ih, 20) == -1 ||
	    (t = torrent_by_hash(ih)) == NULL)
		return;		/* a row of no torrent: nothing to apply */
	limits_parse(t, v);
}

/*
 * The start: every torrent's limits are none but for the rows there
 * are, read in one query rather than one a torrent.
 */
void
limits_load_all(void)
{
	struct torrent *t;

	TAILQ_FOREACH(t, &torrents, entry) {
		t->lim_loaded = 1;
		t->lim_down = t->lim_up = t->lim_peers = 0;
	}
	if (lst != NULL)
		(void)state_meta_foreach_prefix(lst, STATE_LIMITS_KEY,
		    limits_row, NULL);
}

void
limits_peerd(struct torrent *t, Btd__PeerdTorrentLimits *l)
{
	limits_load(t);
	l->torrent = t->num;
	l->download_limit = (uint64_t)t->lim_down * 1024;
	l->upload_limit = (uint64_t)t->lim_up * 1024;
	l->peer_limit = t->lim_peers;
}

void
limits_ctl(struct torrent *t, Btd__TorrentLimits *l)
{
	limits_load(t);
	l->download_limit = t->lim_down;
	l->upload_limit = t->lim_up;
	l->peer_limit = t->lim_peers;
	l->sequential = wants_sequential(t);
}

/* Every one of t's own settings, to btctl. */
static void
limits_reply(int client, struct torrent *t)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__TorrentLimits	 tl = BTD__TORRENT_LIMITS__INIT;

	limits_ctl(t, &tl);
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_LIMITS;
	rep.limits = &tl;
	(void)ctl_send_reply(client, &rep);
}

/* A plain decimal number in [0, max]; -1 otherwise. */
static int
parse_limit(const char *s, unsigned long max, uint32_t *out)
{
	const char	*p;
	char		*end;
	unsigned long	 n;

	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	if (p == s || *p != '\0' || p - s > 10)
		return -1;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

void
torrent_ctl_set_torrent(int client, const Btd__SetTorrentRequest *req)
{
	Btd__PeerdTorrentLimits	 pl = BTD__PEERD_TORRENT_LIMITS__INIT;
	struct torrent		*t;
	struct chan		*c;
	char			 err[256], key[sizeof(STATE_LIMITS_KEY) + 40];
	char			 val[48], esc[64];
	uint32_t		 n, *field;
	unsigned long		 max = LIMIT_RATE_MAX;

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		ctl_send_error(client, "%s", err);
		return;
	}
	limits_load(t);
	/* When its seeding stops: btd_seed.c. */
	if (strncmp(req->key, "seed-", 5) == 0) {
		if (seed_set(t, req->key, req->value, err, sizeof(err)) == -1)
			ctl_send_error(client, "%s", err);
		else
			limits_reply(client, t);
		return;
	}
	/* What it wants of its pieces: btd_wants.c. */
	if (strcmp(req->key, "sequential") == 0 ||
	    strcmp(req->key, "file-priority") == 0) {
		if (wants_set(t, req->key, req->value, err, sizeof(err)) == -1)
			ctl_send_error(client, "%s", err);
		else
			limits_reply(client, t);
		return;
	}
	if (strcmp(req->key, "download-limit") == 0)
		field = &t->lim_down;
	else if (strcmp(req->key, "upload-limit") == 0)
		field = &t->lim_up;
	else if (strcmp(req->key, "peer-limit") == 0) {
		field = &t->lim_peers;
		max = LIMIT_PEERS_MAX;
	} else {
		ctl_send_error(client, "unknown torrent setting '%s' "
		    "(download-limit, upload-limit, peer-limit, sequential, "
		    "file-priority, seed-ratio-limit, seed-ratio-mode, "
		    "seed-idle-limit, seed-idle-mode)",
		    log_escape(esc, sizeof(esc), req->key,
		    strlen(req->key)));
		return;
	}
	if (parse_limit(req->value, max, &n) == -1) {
		ctl_send_error(client, "%s: '%s' is not a number from 0 to "
		    "%lu", req->key, log_escape(esc, sizeof(esc), req->value,
		    strlen(req->value)), max);
		return;
	}
	snprintf(key, sizeof(key), "%s%s", STATE_LIMITS_KEY, t->hex);
	snprintf(val, sizeof(val), "%u %u %u",
	    field == &t->lim_down ? n : t->lim_down,
	    field == &t->lim_up ? n : t->lim_up,
	    field == &t->lim_peers ? n : t->lim_peers);
	if (lst == NULL || state_meta_set(lst, key, val) == -1) {
		ctl_send_error(client, "%s: could not be saved in state.db",
		    req->key);
		return;
	}
	*field = n;
	log_info("%s: %s set to %u", t->hex, req->key, n);
	/* A torrent peerd is still to hear of gets them in its add. */
	if (t->num != 0 && !(t->owed & ROLE_BIT(BTD__ROLE__PEERD)) &&
	    (c = proc_chan(BTD__ROLE__PEERD)) != NULL) {
		limits_peerd(t, &pl);
		if (MSG_SEND(c, Btd__PeerdMsg, PEERD_MSG, TORRENT_LIMITS,
		    torrent_limits, &pl, -1) == -1)
			log_warn("peerd: limits of %s", t->hex);
	}
	limits_reply(client, t);
}
