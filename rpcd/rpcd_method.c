/*
 * rpcd_method.c -- the Transmission RPC methods, as ctl requests.
 *
 * A request is {"method": M, "arguments": {...}, "tag": T}; the answer
 * {"result": "success" or what went wrong, "arguments": {...}, "tag":
 * T}.  Method and argument names are compared in snake_case form, so
 * that the legacy names (rpc-version 17 and before: "torrent-get",
 * "hashString", "speed-limit-down") and rpc-version 18's
 * ("torrent_get", "hash_string", "speed_limit_down") are one; a
 * request whose method is in snake_case is answered in it.
 *
 * Each method is a short run of ctl requests (rpcd.c's Calls), one at a
 * time: the ids of torrents come from NumbersRequest (a torrent's number
 * is its seq in state.db), their state from ListRequest, files and
 * limits from ShowRequest, trackers from TrackersRequest; actions are
 * pause, resume, verify, remove, set-torrent, set and add, whose errors
 * btd words and the result carries.  rpcd decides nothing btd would
 * not let btctl do: paths, limits and ids are btd's to check.
 *
 * Methods: session-get, session-set (speed limits, download-dir,
 * peer-port, peer limits, seed limits), session-stats, torrent-get,
 * torrent-add, torrent-start, torrent-start-now, torrent-stop,
 * torrent-verify, torrent-remove, torrent-set (labels and seed limits
 * too), torrent-set-location (MoveRequest, relocate when move is
 * false), torrent-reannounce, free-space (FreeSpaceRequest), and
 * queue-move-top/up/down/bottom, which succeed and change nothing: btd
 * has no queue, every torrent starts at once.  port-test, session-close,
 * blocklist-update and torrent-rename-path are answered with the reason
 * btd does not do them; any other method gets "method name not
 * recognized", as the spec's server answers; unknown arguments are
 * named in the result.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include <json-c/json.h>

#include "ctl.pb-c.h"

#include "log.h"
#include "rpcd.h"

/* Tunables. */
#define M_IDS_MAX	10000		/* entries of an "ids" list */
#define M_OPS_MAX	20000		/* ctl requests one method may make */
#define M_META_MAX	(10 << 20)	/* a decoded metainfo, bytes */
#define M_RECENT_SECS	60		/* "recently-active": added since,
					   and "removed": gone since */
#define M_GONE_MAX	4096		/* removed torrents remembered */
#define RPC_VERSION	17
#define RPC_VERSION_MIN	14
#define RPC_SEMVER	"5.3.0"		/* what rpc-version 17 is */
#define RPC_DAEMON	"4.0.0 (btd " BTD_VERSION ")"

enum op_kind { OP_PAUSE, OP_RESUME, OP_VERIFY, OP_REMOVE, OP_SETT, OP_SET,
	OP_LABEL, OP_MOVE, OP_ANNOUNCE };

#define M_LABELS_MAX	32		/* labels a torrent (ctl.proto) */

struct op {
	enum op_kind	 kind;
	char		 id[41];
	char		*key;
	char		*value;
	int		 flag;		/* remove: delete the data */
	char		*labels[M_LABELS_MAX];	/* label: the new labels */
	size_t		 nlabels;
};

struct mjob {
	struct job		*j;
	char			 method[32];	/* snake_case */
	struct json_object	*args;		/* snake keys; borrowed */
	Btd__CtlReply		*nums, *list, *other;
	size_t			*sel;		/* indices into list */
	size_t			 nsel;
	Btd__CtlReply		**detail, **trk;
	Btd__CtlReply		**peers;	/* get_peers() */
	int			 need_peers;
	size_t			 cur;
	int			 need_detail, need_trk;
	struct op		*ops;
	size_t			 nops, nop;
	char			 err[512];
	void			(*next)(struct mjob *);
	void			(*selected)(struct mjob *);	/* after
								   the ids */
	void			(*detailed)(struct mjob *);	/* after
								   get_step() */
	Btd__AddRequest		 add;
	uint8_t			*meta;
	char			*add_magnet, *add_url, *add_path;
};

static void
mjob_free(void *arg)
{
	struct mjob	*m = arg;
	size_t		 i;

	if (m == NULL)
		return;
	if (m->nums != NULL)
		btd__ctl_reply__free_unpacked(m->nums, NULL);
	if (m->list != NULL)
		btd__ctl_reply__free_unpacked(m->list, NULL);
	if (m->other != NULL)
		btd__ctl_reply__free_unpacked(m->other, NULL);
	for (i = 0; i < m->nsel; i++) {
		if (m->detail != NULL && m->detail[i] != NULL)
			btd__ctl_reply__free_unpacked(m->detail[i], NULL);
		if (m->trk != NULL && m->trk[i] != NULL)
			btd__ctl_reply__free_unpacked(m->trk[i], NULL);
		if (m->peers != NULL && m->peers[i] != NULL)
			btd__ctl_reply__free_unpacked(m->peers[i], NULL);
	}
	free(m->peers);
	for (i = 0; i < m->nops; i++) {
		free(m->ops[i].key);
		free(m->ops[i].value);
		while (m->ops[i].nlabels > 0)
			free(m->ops[i].labels[--m->ops[i].nlabels]);
	}
	free(m->ops);
	free(m->detail);
	free(m->trk);
	free(m->sel);
	free(m->meta);
	free(m->add_magnet);
	free(m->add_url);
	free(m->add_path);
	free(m);
}

/* Keys in snake_case, all the way down. */
static struct json_object *
snake_tree(struct json_object *o)
{
	struct json_object	*n, *v;
	char			 k[128];
	size_t			 i, len;

	if (json_object_is_type(o, json_type_array)) {
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			json_object_array_put_idx(o, i, snake_tree(
			    json_object_get(json_object_array_get_idx(o, i))));
		return o;
	}
	if (!json_object_is_type(o, json_type_object))
		return o;
	n = json_object_new_object();
	json_object_object_foreach(o, key, val) {
		snake_name(key, k, sizeof(k));
		v = snake_tree(json_object_get(val));
		json_object_object_add(n, k, v);
	}
	json_object_put(o);
	return n;
}

static void
answer(struct job *j, const char *result, struct json_object *args)
{
	struct json_object	*r = json_object_new_object();

	if (args == NULL)
		args = json_object_new_object();
	if (j->snake)
		args = snake_tree(args);
	json_object_object_add(r, "arguments", args);
	json_object_object_add(r, "result", json_object_new_string(result));
	if (j->tag != NULL)
		json_object_object_add(r, "tag", json_object_get(j->tag));
	http_reply(j, r);
}

struct json_object *
method_error(struct json_object *tag, const char *text)
{
	struct json_object	*r = json_object_new_object();

	json_object_object_add(r, "arguments", json_object_new_object());
	json_object_object_add(r, "result", json_object_new_string(text));
	if (tag != NULL)
		json_object_object_add(r, "tag", json_object_get(tag));
	return r;
}

static void
fail(struct mjob *m, const char *text)
{
	answer(m->j, text, NULL);
}

/* The argument of snake name key, or NULL. */
static struct json_object *
arg(struct mjob *m, const char *key)
{
	struct json_object	*v;

	if (m->args == NULL || !json_object_object_get_ex(m->args, key, &v))
		return NULL;
	return v;
}

/* Every argument is one of names (snake, NULL-ended); else *bad. */
static int
args_known(struct mjob *m, const char *const *names, const char **bad)
{
	const char *const	*n;

	if (m->args == NULL)
		return 0;
	json_object_object_foreach(m->args, key, val) {
		(void)val;
		for (n = names; *n != NULL; n++)
			if (strcmp(*n, key) == 0)
				break;
		if (*n == NULL) {
			*bad = key;
			return -1;
		}
	}
	return 0;
}


/* The reply to the last Call: kept in m->other when it is ok. */
static void
on_reply(void *arg, const Btd__CtlReply *rep)
{
	struct mjob	*m = arg;

	if (rep == NULL) {
		fail(m, "btd is not answering");
		return;
	}
	if (m->j->req == NULL) {
		/* Its client left: stop here. */
		http_reply(m->j, NULL);
		return;
	}
	if (!rep->ok && m->err[0] == '\0')
		snprintf(m->err, sizeof(m->err), "%s", rep->error);
	if (m->other != NULL)
		btd__ctl_reply__free_unpacked(m->other, NULL);
	m->other = rep->ok ? rpc_reply_copy(rep) : NULL;
	m->next(m);
}

static void
call(struct mjob *m, const Btd__CtlRequest *req, void (*next)(struct mjob *))
{
	m->next = next;
	if (rpc_call(req, on_reply, m) == -1)
		fail(m, "out of memory");
}

/* Take the last reply (NULL if it failed). */
static Btd__CtlReply *
took(struct mjob *m)
{
	Btd__CtlReply	*r = m->other;

	m->other = NULL;
	return r;
}

/* Selection: numbers, then the list, then the ids asked for. */

static uint32_t
number_of(struct mjob *m, const char *hex)
{
	size_t	 i;

	for (i = 0; m->nums != NULL && i < m->nums->numbers->n_torrents; i++)
		if (strcmp(m->nums->numbers->torrents[i]->id, hex) == 0)
			return m->nums->numbers->torrents[i]->number;
	return 0;
}

static int
select_one(struct mjob *m, struct json_object *v, int active)
{
	const Btd__ListReply	*l = m->list->list;
	size_t			 i, k;
	char			 hex[41];
	const char		*s;

	for (i = 0; i < l->n_torrents; i++) {
		const Btd__TorrentSummary *t = l->torrents[i];

		if (v == NULL && active) {
			/* As Transmission's: one just added is active. */
			if (t->rate_down == 0 && t->rate_up == 0 &&
			    strcmp(t->state, "checking") != 0 &&
			    t->added < (int64_t)time(NULL) - M_RECENT_SECS)
				continue;
		} else if (v != NULL && json_object_is_type(v, json_type_int)) {
			if (json_object_get_int64(v) <= 0 ||
			    json_object_get_int64(v) != number_of(m, t->id))
				continue;
		} else if (v != NULL && json_object_is_type(v,
		    json_type_string)) {
			s = json_object_get_string(v);
			if (strlen(s) != 40)
				return -1;
			for (k = 0; k < 40; k++)
				hex[k] = (char)tolower((unsigned char)s[k]);
			hex[40] = '\0';
			if (strcmp(hex, t->id) != 0)
				continue;
		} else if (v != NULL)
			return -1;
		for (k = 0; k < m->nsel; k++)
			if (m->sel[k] == i)
				break;
		if (k == m->nsel)
			m->sel[m->nsel++] = i;
	}
	return 0;
}

static int
select_ids(struct mjob *m)
{
	struct json_object	*ids = arg(m, "ids");
	size_t			 n = m->list->list->n_torrents, i, len;

	if ((m->sel = calloc(n + 1, sizeof(*m->sel))) == NULL)
		return -1;
	if (ids == NULL)
		return select_one(m, NULL, 0);
	if (json_object_is_type(ids, json_type_string) &&
	    strcmp(json_object_get_string(ids), "recently-active") == 0)
		return select_one(m, NULL, 1);
	if (!json_object_is_type(ids, json_type_array))
		return select_one(m, ids, 0);
	len = json_object_array_length(ids);
	if (len > M_IDS_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if (select_one(m, json_object_array_get_idx(ids, i), 0) == -1)
			return -1;
	return 0;
}

/*
 * "removed" (torrent-get with "recently-active"): the numbers of the
 * torrents that were in one Numbers reply and are not in a later one,
 * for M_RECENT_SECS, as Transmission reports torrents removed lately;
 * the web interface drops a torrent from its list only so.  Kept from
 * rpcd's start: a torrent removed while rpcd was down is not named.
 */
static uint32_t	*seen;		/* numbers of the last reply, sorted */
static size_t	 nseen;
static struct gone {
	uint32_t	 number;
	int64_t		 at;		/* seconds since the epoch */
} gone[M_GONE_MAX];
static size_t	 ngone;

static int
num_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
gone_note(const Btd__NumbersReply *r)
{
	uint32_t	*now;
	size_t		 i, k, n = r->n_torrents;
	int64_t		 t = (int64_t)time(NULL);

	if ((now = calloc(n + 1, sizeof(*now))) == NULL)
		return;	/* "removed" then misses this turn's */
	for (i = 0; i < n; i++)
		now[i] = r->torrents[i]->number;
	qsort(now, n, sizeof(*now), num_cmp);
	for (i = 0, k = 0; i < nseen; i++) {
		while (k < n && now[k] < seen[i])
			k++;
		if (k < n && now[k] == seen[i])
			continue;
		if (ngone == M_GONE_MAX) {	/* the oldest goes */
			memmove(gone, gone + 1, (ngone - 1) * sizeof(*gone));
			ngone--;
		}
		gone[ngone].number = seen[i];
		gone[ngone++].at = t;
	}
	free(seen);
	seen = now;
	nseen = n;
}

static struct json_object *
gone_list(void)
{
	struct json_object	*a = json_object_new_array();
	int64_t			 t = (int64_t)time(NULL);
	size_t			 i;

	for (i = 0; i < ngone && a != NULL; i++)
		if (gone[i].at >= t - M_RECENT_SECS)
			json_object_array_add(a,
			    json_object_new_int64(gone[i].number));
	return a;
}

static void	selected(struct mjob *);

static void
got_list(struct mjob *m)
{
	if ((m->list = took(m)) == NULL || m->list->list == NULL) {
		fail(m, m->err[0] ? m->err : "btd sent no list");
		return;
	}
	if (select_ids(m) == -1) {
		fail(m, "invalid ids: numbers, 40-digit hash strings or "
		    "\"recently-active\"");
		return;
	}
	selected(m);
}

static void
got_numbers(struct mjob *m)
{
	Btd__CtlRequest	 req = BTD__CTL_REQUEST__INIT;
	Btd__ListRequest lr = BTD__LIST_REQUEST__INIT;

	if ((m->nums = took(m)) == NULL || m->nums->numbers == NULL) {
		fail(m, m->err[0] ? m->err : "btd sent no numbers");
		return;
	}
	gone_note(m->nums->numbers);
	req.body_case = BTD__CTL_REQUEST__BODY_LIST;
	req.list = &lr;
	call(m, &req, got_list);
}

static void
start_select(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__NumbersRequest	 nr = BTD__NUMBERS_REQUEST__INIT;

	req.body_case = BTD__CTL_REQUEST__BODY_NUMBERS;
	req.numbers = &nr;
	call(m, &req, got_numbers);
}

/* Operations: one ctl request each, in order; the first error wins. */

static int
op_add(struct mjob *m, enum op_kind kind, const char *id, const char *key,
    const char *value, int flag)
{
	struct op	*o, *n;

	if (m->nops >= M_OPS_MAX)
		return -1;
	if ((n = reallocarray(m->ops, m->nops + 1, sizeof(*n))) == NULL)
		return -1;
	m->ops = n;
	o = &m->ops[m->nops];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	snprintf(o->id, sizeof(o->id), "%s", id != NULL ? id : "");
	o->flag = flag;
	if ((key != NULL && (o->key = strdup(key)) == NULL) ||
	    (value != NULL && (o->value = strdup(value)) == NULL)) {
		free(o->key);
		return -1;
	}
	m->nops++;
	return 0;
}

/* An array of at most M_LABELS_MAX strings. */
static int
labels_shape_ok(struct json_object *a)
{
	size_t	 i, n;

	if (!json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) > M_LABELS_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i),
		    json_type_string))
			return 0;
	return 1;
}

/*
 * A label op for torrent id from a JSON array of strings; -1 and
 * m->err if it is not one (btd checks each label).
 */
static int
op_labels(struct mjob *m, const char *id, struct json_object *a)
{
	struct op	*o;
	size_t		 i, n;

	if (!labels_shape_ok(a)) {
		snprintf(m->err, sizeof(m->err), "labels: an array of at most "
		    "%d strings", M_LABELS_MAX);
		return -1;
	}
	n = json_object_array_length(a);
	if (op_add(m, OP_LABEL, id, NULL, NULL, 0) == -1) {
		snprintf(m->err, sizeof(m->err), "out of memory");
		return -1;
	}
	o = &m->ops[m->nops - 1];
	for (i = 0; i < n; i++) {
		if ((o->labels[i] = strdup(json_object_get_string(
		    json_object_array_get_idx(a, i)))) == NULL) {
			snprintf(m->err, sizeof(m->err), "out of memory");
			return -1;
		}
		o->nlabels++;
	}
	return 0;
}

static void
ops_done(struct mjob *m)
{
	answer(m->j, m->err[0] ? m->err : "success", NULL);
}

static void
op_step(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__PauseRequest	 pr = BTD__PAUSE_REQUEST__INIT;
	Btd__ResumeRequest	 rr = BTD__RESUME_REQUEST__INIT;
	Btd__VerifyRequest	 vr = BTD__VERIFY_REQUEST__INIT;
	Btd__RemoveRequest	 rm = BTD__REMOVE_REQUEST__INIT;
	Btd__SetTorrentRequest	 st = BTD__SET_TORRENT_REQUEST__INIT;
	Btd__SetRequest		 sr = BTD__SET_REQUEST__INIT;
	Btd__LabelRequest	 lr = BTD__LABEL_REQUEST__INIT;
	Btd__MoveRequest	 mr = BTD__MOVE_REQUEST__INIT;
	Btd__ReannounceRequest	 ar = BTD__REANNOUNCE_REQUEST__INIT;
	struct op		*o;

	if (m->nop == m->nops) {
		ops_done(m);
		return;
	}
	o = &m->ops[m->nop++];
	switch (o->kind) {
	case OP_PAUSE:
		pr.id = o->id;
		req.body_case = BTD__CTL_REQUEST__BODY_PAUSE;
		req.pause = &pr;
		break;
	case OP_RESUME:
		rr.id = o->id;
		req.body_case = BTD__CTL_REQUEST__BODY_RESUME;
		req.resume = &rr;
		break;
	case OP_VERIFY:
		vr.id = o->id;
		req.body_case = BTD__CTL_REQUEST__BODY_VERIFY;
		req.verify = &vr;
		break;
	case OP_REMOVE:
		rm.id = o->id;
		rm.delete_data = o->flag;
		req.body_case = BTD__CTL_REQUEST__BODY_REMOVE;
		req.remove = &rm;
		break;
	case OP_SETT:
		st.id = o->id;
		st.key = o->key;
		st.value = o->value;
		req.body_case = BTD__CTL_REQUEST__BODY_SET_TORRENT;
		req.set_torrent = &st;
		break;
	case OP_SET:
		sr.key = o->key;
		sr.value = o->value;
		req.body_case = BTD__CTL_REQUEST__BODY_SET;
		req.set = &sr;
		break;
	case OP_LABEL:
		lr.id = o->id;
		lr.labels = o->labels;
		lr.n_labels = o->nlabels;
		req.body_case = BTD__CTL_REQUEST__BODY_LABEL;
		req.label = &lr;
		break;
	case OP_MOVE:
		mr.id = o->id;
		mr.dir = o->key;
		mr.relocate = o->flag;
		req.body_case = BTD__CTL_REQUEST__BODY_MOVE;
		req.move = &mr;
		break;
	case OP_ANNOUNCE:
		ar.id = o->id;
		req.body_case = BTD__CTL_REQUEST__BODY_REANNOUNCE;
		req.reannounce = &ar;
		break;
	}
	call(m, &req, op_step);
}

/* torrent-get */

static void
get_done(struct mjob *m)
{
	struct json_object	*args = json_object_new_object(), *a;
	struct json_object	*f = arg(m, "fields"), *fmt = arg(m, "format");
	size_t			 i, k;
	int			 table = fmt != NULL &&
				    strcmp(json_object_get_string(fmt),
				    "table") == 0;

	a = json_object_new_array();
	/* "table" (rpc-version 16 on): the names, then a row each. */
	if (table)
		json_object_array_add(a, json_object_get(f));
	for (i = 0; i < m->nsel; i++) {
		const Btd__TorrentSummary *s =
		    m->list->list->torrents[m->sel[i]];
		struct json_object *o, *row, *v;

		o = torrent_object(f, number_of(m, s->id), s,
		    m->detail != NULL && m->detail[i] != NULL ?
		    m->detail[i]->show : NULL,
		    m->trk != NULL && m->trk[i] != NULL ?
		    m->trk[i]->trackers : NULL);
		torrent_web_fields(o, f, s, m->peers != NULL &&
		    m->peers[i] != NULL ? m->peers[i]->peers : NULL);
		if (!table) {
			json_object_array_add(a, o);
			continue;
		}
		/* A field btd does not keep is null in its column. */
		row = json_object_new_array();
		for (k = 0; k < json_object_array_length(f); k++)
			json_object_array_add(row, json_object_object_get_ex(o,
			    json_object_get_string(json_object_array_get_idx(f,
			    k)), &v) ? json_object_get(v) : NULL);
		json_object_put(o);
		json_object_array_add(a, row);
	}
	json_object_object_add(args, "torrents", a);
	if (json_object_is_type(arg(m, "ids"), json_type_string))
		json_object_object_add(args, "removed", gone_list());
	answer(m->j, "success", args);
}

static void
get_step(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__ShowRequest	 sr = BTD__SHOW_REQUEST__INIT;
	Btd__TrackersRequest	 tr = BTD__TRACKERS_REQUEST__INIT;
	size_t			 i;
	int			 trk;

	/* The reply to the previous step: cur counts them, show first. */
	if (m->cur > 0) {
		i = (m->cur - 1) / 2;
		if ((m->cur - 1) % 2 == 0)
			m->detail[i] = took(m);
		else
			m->trk[i] = took(m);
		m->err[0] = '\0';	/* a torrent removed meanwhile */
	}
	for (;;) {
		if (m->cur >= 2 * m->nsel) {
			m->detailed(m);
			return;
		}
		i = m->cur / 2;
		trk = m->cur % 2;
		m->cur++;
		if (!trk && m->need_detail)
			break;
		if (trk && m->need_trk)
			break;
	}
	if (!trk) {
		sr.id = m->list->list->torrents[m->sel[i]]->id;
		req.body_case = BTD__CTL_REQUEST__BODY_SHOW;
		req.show = &sr;
	} else {
		tr.id = m->list->list->torrents[m->sel[i]]->id;
		req.body_case = BTD__CTL_REQUEST__BODY_TRACKERS;
		req.trackers = &tr;
	}
	call(m, &req, get_step);
}

/* After the selection: what the method does with it. */
static void
selected(struct mjob *m)
{
	m->selected(m);
}

/*
 * torrent-get, after get_step(): the PeersReport of each torrent with
 * peers, when the fields need it (the web interface's peers,
 * peersSendingToUs, peersGettingFromUs), one Call at a time; then
 * get_done().
 */
static void
get_peers(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__PeersRequest	 pr = BTD__PEERS_REQUEST__INIT;
	const Btd__TorrentSummary *s;

	if (m->peers == NULL) {
		if (!m->need_peers) {
			get_done(m);
			return;
		}
		if ((m->peers = calloc(m->nsel + 1, sizeof(*m->peers))) ==
		    NULL) {
			fail(m, "out of memory");
			return;
		}
		m->cur = 0;
	} else {
		/* The reply to the last Call (NULL: none, or it failed). */
		m->peers[m->cur++] = took(m);
		m->err[0] = '\0';	/* a torrent removed meanwhile */
	}
	for (; m->cur < m->nsel; m->cur++) {
		s = m->list->list->torrents[m->sel[m->cur]];
		if (s->peers > 0)
			break;
	}
	if (m->cur >= m->nsel) {
		get_done(m);
		return;
	}
	pr.id = s->id;
	req.body_case = BTD__CTL_REQUEST__BODY_PEERS;
	req.peers = &pr;
	call(m, &req, get_peers);
}

static void
torrent_get_selected(struct mjob *m)
{
	m->detail = calloc(m->nsel + 1, sizeof(*m->detail));
	m->trk = calloc(m->nsel + 1, sizeof(*m->trk));
	if (m->detail == NULL || m->trk == NULL) {
		fail(m, "out of memory");
		return;
	}
	m->cur = 0;
	m->detailed = get_peers;
	get_step(m);
}

/* torrent-start, -stop, -verify, -remove */

static void
action_selected(struct mjob *m)
{
	const char	*id;
	size_t		 i;
	int		 r = 0;
	struct json_object *del = arg(m, "delete_local_data");

	for (i = 0; i < m->nsel && r == 0; i++) {
		id = m->list->list->torrents[m->sel[i]]->id;
		if (strcmp(m->method, "torrent_stop") == 0)
			r = op_add(m, OP_PAUSE, id, NULL, NULL, 0);
		else if (strcmp(m->method, "torrent_verify") == 0)
			r = op_add(m, OP_VERIFY, id, NULL, NULL, 0);
		else if (strcmp(m->method, "torrent_remove") == 0)
			r = op_add(m, OP_REMOVE, id, NULL, NULL,
			    del != NULL && json_object_get_boolean(del));
		else
			r = op_add(m, OP_RESUME, id, NULL, NULL, 0);
	}
	if (r == -1) {
		fail(m, "too many torrents");
		return;
	}
	op_step(m);
}

/*
 * torrent-set-location: btd's move (move true), or, with move false, the
 * torrent pointed at location and checked there (MoveRequest.relocate).
 */
static void
location_selected(struct mjob *m)
{
	struct json_object	*loc = arg(m, "location"), *mv = arg(m, "move");
	size_t			 i;
	int			 r = 0;

	if (loc == NULL || !json_object_is_type(loc, json_type_string)) {
		fail(m, "torrent-set-location needs location, a path");
		return;
	}
	for (i = 0; i < m->nsel && r == 0; i++)
		r = op_add(m, OP_MOVE, m->list->list->torrents[m->sel[i]]->id,
		    json_object_get_string(loc), NULL, mv == NULL ||
		    !json_object_get_boolean(mv));
	if (r == -1) {
		fail(m, "too many torrents");
		return;
	}
	op_step(m);
}

/* torrent-reannounce: trackerd announces each at once. */
static void
announce_selected(struct mjob *m)
{
	size_t	 i;
	int	 r = 0;

	for (i = 0; i < m->nsel && r == 0; i++)
		r = op_add(m, OP_ANNOUNCE,
		    m->list->list->torrents[m->sel[i]]->id, NULL, NULL, 0);
	if (r == -1) {
		fail(m, "too many torrents");
		return;
	}
	op_step(m);
}

/*
 * queue-move-top, -up, -down, -bottom: btd has no queue (every torrent
 * starts at once), so there is nothing to move; the ids are checked and
 * the answer is success.
 */
static void
queue_selected(struct mjob *m)
{
	answer(m->j, "success", NULL);
}

/* free-space: btd's statvfs of a path where download dirs may be. */
static void
free_space_done(struct mjob *m)
{
	Btd__CtlReply		*r = took(m);
	struct json_object	*a;

	if (r == NULL || r->free_space == NULL) {
		if (r != NULL)
			btd__ctl_reply__free_unpacked(r, NULL);
		fail(m, m->err[0] ? m->err : "btd sent no answer");
		return;
	}
	a = json_object_new_object();
	json_object_object_add(a, "path",
	    json_object_new_string(r->free_space->path));
	json_object_object_add(a, "size-bytes",
	    json_object_new_int64((int64_t)r->free_space->free));
	json_object_object_add(a, "total_size",
	    json_object_new_int64((int64_t)r->free_space->total));
	btd__ctl_reply__free_unpacked(r, NULL);
	answer(m->j, "success", a);
}

static void
run_free_space(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__FreeSpaceRequest	 fr = BTD__FREE_SPACE_REQUEST__INIT;
	struct json_object	*p = arg(m, "path");

	if (p == NULL || !json_object_is_type(p, json_type_string)) {
		fail(m, "free-space needs path, a string");
		return;
	}
	fr.path = (char *)(uintptr_t)json_object_get_string(p);
	req.body_case = BTD__CTL_REQUEST__BODY_FREE_SPACE;
	req.free_space = &fr;
	call(m, &req, free_space_done);
}

/* Methods btd answers with a reason rather than doing them. */
static void
run_refused(struct mjob *m)
{
	static const char *const why[][2] = {
		{ "port_test", "port-test is not supported: btd cannot test "
		    "its peer port from outside (rpcd makes no connection)" },
		{ "session_close", "session-close is refused: stop btd with "
		    "btctl shutdown on its host" },
		{ "blocklist_update", "blocklist-update is not supported: btd "
		    "has no blocklist" },
		{ "torrent_rename_path", "torrent-rename-path is not "
		    "supported: btd keeps the names the metainfo gives" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (strcmp(m->method, why[i][0]) == 0) {
			fail(m, why[i][1]);
			return;
		}
	fail(m, "method name not recognized");
}

/* torrent-set: one file-priority value and the limits, per torrent. */

/*
 * Append "N=prio" for each index of array a to buf.  With d (files
 * wanted), a file that is wanted already keeps its priority: only
 * those skipped become normal.
 */
static int
file_list(struct json_object *a, const char *prio, char *buf, size_t len,
    const Btd__TorrentDetail *d)
{
	size_t	 i, n, o = strlen(buf);
	int64_t	 v;

	if (a == NULL)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -1;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_int) ||
		    (v = json_object_get_int64(e)) < 0 || v > UINT32_MAX)
			return -1;
		if (d != NULL && (uint64_t)v < d->n_file_priority &&
		    d->file_priority[v] != 0)
			continue;
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
		    "%s%lld=%s", o > 0 ? "," : "", (long long)v, prio);
		if (o >= len)
			return -1;
	}
	return 0;
}

static void
set_build(struct mjob *m)
{
	static const char *const lim[][3] = {
		{ "download_limit", "download_limited", "download-limit" },
		{ "upload_limit", "upload_limited", "upload-limit" },
	};
	/* Modes are Transmission's numbers: 0 global, 1 own, 2 unlimited. */
	static const char *const seed[][2] = {
		{ "seed_ratio_mode", "seed-ratio-mode" },
		{ "seed_idle_limit", "seed-idle-limit" },
		{ "seed_idle_mode", "seed-idle-mode" },
	};
	char			*fp;
	char			 num[32];
	const char		*id;
	struct json_object	*v, *on;
	size_t			 i, k, fplen = 1 << 20;
	int			 r = 0;

	if ((fp = calloc(1, fplen)) == NULL) {
		fail(m, "out of memory");
		return;
	}
	for (i = 0; i < m->nsel && r == 0; i++) {
		id = m->list->list->torrents[m->sel[i]]->id;
		/* Later items win: wanted, then priorities, then unwanted. */
		fp[0] = '\0';
		if (file_list(arg(m, "files_wanted"), "normal", fp, fplen,
		    m->detail != NULL && m->detail[i] != NULL ?
		    m->detail[i]->show : NULL) == -1 ||
		    file_list(arg(m, "priority_low"), "low", fp, fplen,
		    NULL) == -1 ||
		    file_list(arg(m, "priority_normal"), "normal", fp, fplen,
		    NULL) == -1 ||
		    file_list(arg(m, "priority_high"), "high", fp, fplen,
		    NULL) == -1 ||
		    file_list(arg(m, "files_unwanted"), "skip", fp, fplen,
		    NULL) == -1) {
			free(fp);
			fail(m, "invalid file list: arrays of file indices");
			return;
		}
		if (fp[0] != '\0')
			r = op_add(m, OP_SETT, id, "file-priority", fp, 0);
		for (k = 0; k < 2 && r == 0; k++) {
			v = arg(m, lim[k][0]);
			on = arg(m, lim[k][1]);
			if (on != NULL && !json_object_get_boolean(on))
				r = op_add(m, OP_SETT, id, lim[k][2], "0", 0);
			else if (v != NULL) {
				snprintf(num, sizeof(num), "%lld",
				    (long long)json_object_get_int64(v));
				r = op_add(m, OP_SETT, id, lim[k][2], num, 0);
			}
		}
		if (r == 0 && (v = arg(m, "peer_limit")) != NULL) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_object_get_int64(v));
			r = op_add(m, OP_SETT, id, "peer-limit", num, 0);
		}
		if (r == 0 && (v = arg(m, "sequential_download")) != NULL)
			r = op_add(m, OP_SETT, id, "sequential",
			    json_object_get_boolean(v) ? "on" : "off", 0);
		if (r == 0 && (v = arg(m, "seed_ratio_limit")) != NULL) {
			snprintf(num, sizeof(num), "%.2f",
			    json_object_get_double(v));
			r = op_add(m, OP_SETT, id, "seed-ratio-limit", num, 0);
		}
		for (k = 0; k < 3 && r == 0; k++)
			if ((v = arg(m, seed[k][0])) != NULL) {
				snprintf(num, sizeof(num), "%lld",
				    (long long)json_object_get_int64(v));
				r = op_add(m, OP_SETT, id, seed[k][1], num, 0);
			}
		if (r == 0 && (v = arg(m, "labels")) != NULL &&
		    op_labels(m, id, v) == -1) {
			free(fp);
			fail(m, m->err);
			return;
		}
	}
	free(fp);
	if (r == -1) {
		fail(m, "too many torrents");
		return;
	}
	op_step(m);
}

/* files-wanted needs each file's priority first (show). */
static void
set_selected(struct mjob *m)
{
	if (arg(m, "files_wanted") == NULL) {
		set_build(m);
		return;
	}
	m->detail = calloc(m->nsel + 1, sizeof(*m->detail));
	m->trk = calloc(m->nsel + 1, sizeof(*m->trk));
	if (m->detail == NULL || m->trk == NULL) {
		fail(m, "out of memory");
		return;
	}
	m->need_detail = 1;
	m->cur = 0;
	m->detailed = set_build;
	get_step(m);
}

/* session-get, session-stats */

static const char *
setting(const Btd__CtlReply *r, const char *key)
{
	size_t	 i;

	for (i = 0; r != NULL && r->settings != NULL &&
	    i < r->settings->n_settings; i++)
		if (strcmp(r->settings->settings[i]->key, key) == 0)
			return r->settings->settings[i]->value;
	return "";
}

static void
session_get_done(struct mjob *m)
{
	Btd__CtlReply		*st = took(m);
	struct json_object	*a = json_object_new_object(), *u, *su;
	const Btd__CtlReply	*g = m->list;	/* the settings */
	long long		 down, up;
	static const char *const units[] = { "KiB/s", "MiB/s", "GiB/s",
	    "TiB/s" };
	static const char *const sizes[] = { "KiB", "MiB", "GiB", "TiB" };
	size_t			 i;

	down = atoll(setting(g, "download_rate_limit"));
	up = atoll(setting(g, "upload_rate_limit"));
#define ADD(k, v)	json_object_object_add(a, (k), (v))
	ADD("version", json_object_new_string(RPC_DAEMON));
	ADD("rpc-version", json_object_new_int(RPC_VERSION));
	ADD("rpc-version-minimum", json_object_new_int(RPC_VERSION_MIN));
	ADD("rpc-version-semver", json_object_new_string(RPC_SEMVER));
	ADD("session-id", json_object_new_string(http_session_id()));
	ADD("config-dir", json_object_new_string(st != NULL &&
	    st->status != NULL ? st->status->state_dir : ""));
	ADD("download-dir", json_object_new_string(setting(g,
	    "download_dir")));
	ADD("peer-port", json_object_new_int(atoi(setting(g, "peer_port"))));
	ADD("peer-port-random-on-start", json_object_new_boolean(0));
	ADD("peer-limit-global", json_object_new_int(atoi(setting(g,
	    "peer_limit_global"))));
	ADD("peer-limit-per-torrent", json_object_new_int(atoi(setting(g,
	    "peer_limit_per_torrent"))));
	ADD("speed-limit-down", json_object_new_int64(down));
	ADD("speed-limit-down-enabled", json_object_new_boolean(down != 0));
	ADD("speed-limit-up", json_object_new_int64(up));
	ADD("speed-limit-up-enabled", json_object_new_boolean(up != 0));
	ADD("alt-speed-down", json_object_new_int(0));
	ADD("alt-speed-up", json_object_new_int(0));
	ADD("alt-speed-enabled", json_object_new_boolean(0));
	ADD("alt-speed-time-enabled", json_object_new_boolean(0));
	ADD("alt-speed-time-begin", json_object_new_int(540));
	ADD("alt-speed-time-end", json_object_new_int(1020));
	ADD("alt-speed-time-day", json_object_new_int(127));
	ADD("seedRatioLimit", json_object_new_double(atof(setting(g,
	    "seed_ratio_limit"))));
	ADD("seedRatioLimited", json_object_new_boolean(strcmp(setting(g,
	    "seed_ratio_limited"), "yes") == 0));
	ADD("idle-seeding-limit", json_object_new_int(atoi(setting(g,
	    "seed_idle_limit"))));
	ADD("idle-seeding-limit-enabled", json_object_new_boolean(strcmp(
	    setting(g, "seed_idle_limited"), "yes") == 0));
	ADD("dht-enabled", json_object_new_boolean(0));
	ADD("lpd-enabled", json_object_new_boolean(0));
	ADD("pex-enabled", json_object_new_boolean(1));
	ADD("utp-enabled", json_object_new_boolean(0));
	ADD("port-forwarding-enabled", json_object_new_boolean(0));
	ADD("encryption", json_object_new_string("tolerated"));
	ADD("start-added-torrents", json_object_new_boolean(1));
	ADD("rename-partial-files", json_object_new_boolean(0));
	ADD("incomplete-dir-enabled", json_object_new_boolean(0));
	ADD("incomplete-dir", json_object_new_string(""));
	ADD("download-queue-enabled", json_object_new_boolean(0));
	ADD("download-queue-size", json_object_new_int(0));
	ADD("seed-queue-enabled", json_object_new_boolean(0));
	ADD("seed-queue-size", json_object_new_int(0));
	ADD("queue-stalled-enabled", json_object_new_boolean(0));
	ADD("queue-stalled-minutes", json_object_new_int(0));
	ADD("blocklist-enabled", json_object_new_boolean(0));
	ADD("blocklist-size", json_object_new_int(0));
	ADD("blocklist-url", json_object_new_string(""));
	ADD("cache-size-mb", json_object_new_int(0));
	ADD("script-torrent-done-enabled", json_object_new_boolean(0));
	ADD("script-torrent-done-filename", json_object_new_string(""));
	ADD("trash-original-torrent-files", json_object_new_boolean(0));
	u = json_object_new_object();
	su = json_object_new_array();
	for (i = 0; i < 4; i++)
		json_object_array_add(su, json_object_new_string(units[i]));
	json_object_object_add(u, "speed-units", su);
	json_object_object_add(u, "speed-bytes", json_object_new_int(1024));
	su = json_object_new_array();
	for (i = 0; i < 4; i++)
		json_object_array_add(su, json_object_new_string(sizes[i]));
	json_object_object_add(u, "size-units", su);
	json_object_object_add(u, "size-bytes", json_object_new_int(1024));
	su = json_object_new_array();
	for (i = 0; i < 4; i++)
		json_object_array_add(su, json_object_new_string(sizes[i]));
	json_object_object_add(u, "memory-units", su);
	json_object_object_add(u, "memory-bytes", json_object_new_int(1024));
	ADD("units", u);
#undef ADD
	if (st != NULL)
		btd__ctl_reply__free_unpacked(st, NULL);
	answer(m->j, "success", a);
}

static void
session_get_settings(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__StatusRequest	 sr = BTD__STATUS_REQUEST__INIT;

	if ((m->list = took(m)) == NULL) {
		fail(m, m->err[0] ? m->err : "btd sent no settings");
		return;
	}
	req.body_case = BTD__CTL_REQUEST__BODY_STATUS;
	req.status = &sr;
	call(m, &req, session_get_done);
}

static struct json_object *
stats_object(uint64_t up, uint64_t down, uint64_t secs, uint32_t files,
    uint32_t sessions)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "uploadedBytes", json_object_new_int64(
	    (int64_t)up));
	json_object_object_add(o, "downloadedBytes", json_object_new_int64(
	    (int64_t)down));
	json_object_object_add(o, "filesAdded", json_object_new_int64(files));
	json_object_object_add(o, "sessionCount",
	    json_object_new_int64(sessions));
	json_object_object_add(o, "secondsActive",
	    json_object_new_int64((int64_t)secs));
	return o;
}

static void
stats_done(struct mjob *m)
{
	Btd__CtlReply		*l = took(m);
	const Btd__SessionStats	*s = m->list->stats;
	struct json_object	*a = json_object_new_object();
	uint32_t		 paused = 0;
	size_t			 i;

	for (i = 0; l != NULL && l->list != NULL && i < l->list->n_torrents;
	    i++)
		if (strcmp(l->list->torrents[i]->state, "paused") == 0)
			paused++;
	json_object_object_add(a, "activeTorrentCount",
	    json_object_new_int64(s->active));
	json_object_object_add(a, "pausedTorrentCount",
	    json_object_new_int64(paused));
	json_object_object_add(a, "torrentCount",
	    json_object_new_int64(s->torrents));
	json_object_object_add(a, "downloadSpeed",
	    json_object_new_int64((int64_t)s->rate_down));
	json_object_object_add(a, "uploadSpeed",
	    json_object_new_int64((int64_t)s->rate_up));
	json_object_object_add(a, "current-stats", stats_object(s->uploaded,
	    s->downloaded, s->uptime, s->torrents, 1));
	/* btd keeps lifetime bytes; not lifetime seconds or sessions. */
	json_object_object_add(a, "cumulative-stats", stats_object(
	    s->total_uploaded, s->total_downloaded, s->uptime, s->torrents,
	    1));
	if (l != NULL)
		btd__ctl_reply__free_unpacked(l, NULL);
	answer(m->j, "success", a);
}

static void
stats_got(struct mjob *m)
{
	Btd__CtlRequest	 req = BTD__CTL_REQUEST__INIT;
	Btd__ListRequest lr = BTD__LIST_REQUEST__INIT;

	if ((m->list = took(m)) == NULL || m->list->stats == NULL) {
		fail(m, m->err[0] ? m->err : "btd sent no stats");
		return;
	}
	req.body_case = BTD__CTL_REQUEST__BODY_LIST;
	req.list = &lr;
	call(m, &req, stats_done);
}

/* session-set */

static void
session_set(struct mjob *m)
{
	static const char *const lim[][3] = {
		{ "speed_limit_down", "speed_limit_down_enabled",
		    "download_rate_limit" },
		{ "speed_limit_up", "speed_limit_up_enabled",
		    "upload_rate_limit" },
	};
	static const char *const plain[][2] = {
		{ "download_dir", "download_dir" },
		{ "peer_port", "peer_port" },
		{ "peer_limit_global", "peer_limit_global" },
		{ "peer_limit_per_torrent", "peer_limit_per_torrent" },
	};
	static const char *const known[] = {
		"speed_limit_down", "speed_limit_down_enabled",
		"speed_limit_up", "speed_limit_up_enabled", "download_dir",
		"peer_port", "peer_limit_global", "peer_limit_per_torrent",
		"seed_ratio_limit", "seed_ratio_limited", "idle_seeding_limit",
		"idle_seeding_limit_enabled", NULL
	};
	static const char *const flags[][2] = {
		{ "seed_ratio_limited", "seed_ratio_limited" },
		{ "idle_seeding_limit_enabled", "seed_idle_limited" },
	};
	struct json_object	*v, *on;
	const char		*bad = NULL;
	char			 num[32], msg[160];
	size_t			 k;
	int			 r = 0;

	if (args_known(m, known, &bad) == -1) {
		snprintf(msg, sizeof(msg), "argument not supported by btd: %s",
		    bad);
		fail(m, msg);
		return;
	}
	for (k = 0; k < 2 && r == 0; k++) {
		v = arg(m, lim[k][0]);
		on = arg(m, lim[k][1]);
		if (on != NULL && !json_object_get_boolean(on))
			r = op_add(m, OP_SET, NULL, lim[k][2], "0", 0);
		else if (v != NULL) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_object_get_int64(v));
			r = op_add(m, OP_SET, NULL, lim[k][2], num, 0);
		}
	}
	for (k = 0; k < 2 && r == 0; k++)
		if ((v = arg(m, flags[k][0])) != NULL)
			r = op_add(m, OP_SET, NULL, flags[k][1],
			    json_object_get_boolean(v) ? "yes" : "no", 0);
	if (r == 0 && (v = arg(m, "seed_ratio_limit")) != NULL) {
		snprintf(num, sizeof(num), "%.2f", json_object_get_double(v));
		r = op_add(m, OP_SET, NULL, "seed_ratio_limit", num, 0);
	}
	if (r == 0 && (v = arg(m, "idle_seeding_limit")) != NULL) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_object_get_int64(v));
		r = op_add(m, OP_SET, NULL, "seed_idle_limit", num, 0);
	}
	for (k = 0; k < 4 && r == 0; k++) {
		if ((v = arg(m, plain[k][0])) == NULL)
			continue;
		if (json_object_is_type(v, json_type_string))
			r = op_add(m, OP_SET, NULL, plain[k][1],
			    json_object_get_string(v), 0);
		else {
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_object_get_int64(v));
			r = op_add(m, OP_SET, NULL, plain[k][1], num, 0);
		}
	}
	if (r == -1) {
		fail(m, "out of memory");
		return;
	}
	op_step(m);
}

/* torrent-add */

static void
add_numbered(struct mjob *m)
{
	Btd__CtlReply		*n = took(m);
	struct json_object	*a = json_object_new_object(), *t;
	const Btd__TorrentSummary *s = m->list->added;
	size_t			 i;
	uint32_t		 num = 0;

	for (i = 0; n != NULL && n->numbers != NULL &&
	    i < n->numbers->n_torrents; i++)
		if (strcmp(n->numbers->torrents[i]->id, s->id) == 0)
			num = n->numbers->torrents[i]->number;
	if (n != NULL)
		btd__ctl_reply__free_unpacked(n, NULL);
	t = json_object_new_object();
	json_object_object_add(t, "hashString", json_object_new_string(s->id));
	json_object_object_add(t, "id", json_object_new_int64(num));
	json_object_object_add(t, "name", json_object_new_string(s->name));
	json_object_object_add(a, m->cur ? "torrent-duplicate" :
	    "torrent-added", t);
	answer(m->j, "success", a);
}

/* A duplicate: btd said "already there: SHORTID (NAME)"; find it. */
static void
add_dup_list(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__NumbersRequest	 nr = BTD__NUMBERS_REQUEST__INIT;
	Btd__CtlReply		*l = took(m);
	const char		*sid = m->err + strlen("already there: ");
	size_t			 i, n = strcspn(sid, " ");

	for (i = 0; l != NULL && l->list != NULL && i < l->list->n_torrents;
	    i++)
		if (n >= 8 && strncmp(l->list->torrents[i]->id, sid, n) == 0)
			break;
	if (l == NULL || l->list == NULL || i == l->list->n_torrents) {
		if (l != NULL)
			btd__ctl_reply__free_unpacked(l, NULL);
		fail(m, m->err);
		return;
	}
	/* Make it look like an add's reply. */
	m->list = l;
	l->body_case = BTD__CTL_REPLY__BODY_ADDED;
	l->added = l->list->torrents[i];
	m->cur = 1;
	req.body_case = BTD__CTL_REQUEST__BODY_NUMBERS;
	req.numbers = &nr;
	call(m, &req, add_numbered);
}

/* The labels of a torrent just added: set, or the add half done. */
static void
add_labelled(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__NumbersRequest	 nr = BTD__NUMBERS_REQUEST__INIT;
	Btd__CtlReply		*r = took(m);
	char			 msg[600];

	if (r != NULL)
		btd__ctl_reply__free_unpacked(r, NULL);
	if (m->err[0] != '\0') {
		snprintf(msg, sizeof(msg), "torrent added, but its labels "
		    "were refused: %s", m->err);
		fail(m, msg);
		return;
	}
	req.body_case = BTD__CTL_REQUEST__BODY_NUMBERS;
	req.numbers = &nr;
	call(m, &req, add_numbered);
}

static void
add_done(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__NumbersRequest	 nr = BTD__NUMBERS_REQUEST__INIT;
	Btd__ListRequest	 lr = BTD__LIST_REQUEST__INIT;
	Btd__LabelRequest	 lb = BTD__LABEL_REQUEST__INIT;

	if ((m->list = took(m)) == NULL || m->list->added == NULL) {
		if (strncmp(m->err, "already there: ", 15) == 0) {
			req.body_case = BTD__CTL_REQUEST__BODY_LIST;
			req.list = &lr;
			call(m, &req, add_dup_list);
			return;
		}
		fail(m, m->err[0] ? m->err : "btd sent no summary");
		return;
	}
	/* Labels: a LabelRequest for the new torrent (not a duplicate). */
	if (arg(m, "labels") != NULL) {
		if (op_labels(m, m->list->added->id, arg(m, "labels")) == -1) {
			fail(m, m->err);
			return;
		}
		lb.id = m->ops[0].id;
		lb.labels = m->ops[0].labels;
		lb.n_labels = m->ops[0].nlabels;
		req.body_case = BTD__CTL_REQUEST__BODY_LABEL;
		req.label = &lb;
		call(m, &req, add_labelled);
		return;
	}
	req.body_case = BTD__CTL_REQUEST__BODY_NUMBERS;
	req.numbers = &nr;
	call(m, &req, add_numbered);
}

static void
torrent_add(struct mjob *m)
{
	static const char *const known[] = {
		"filename", "metainfo", "download_dir", "paused", "cookies",
		"bandwidth_priority", "peer_limit", "labels", NULL
	};
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	struct json_object	*fn = arg(m, "filename"), *mi = arg(m,
				    "metainfo"), *dd = arg(m, "download_dir"),
				*pa = arg(m, "paused");
	const char		*bad = NULL, *s;
	char			 msg[160];
	size_t			 n, i, o;
	int			 len;

	if (args_known(m, known, &bad) == -1) {
		snprintf(msg, sizeof(msg), "argument not supported by btd: %s",
		    bad);
		fail(m, msg);
		return;
	}
	btd__add_request__init(&m->add);
	if (arg(m, "labels") != NULL && !labels_shape_ok(arg(m, "labels"))) {
		fail(m, "labels: an array of at most 32 strings");
		return;
	}
	if ((fn == NULL) == (mi == NULL)) {
		fail(m, "torrent-add needs one of filename and metainfo");
		return;
	}
	if (mi != NULL) {
		if (!json_object_is_type(mi, json_type_string)) {
			fail(m, "metainfo: not a base64 string");
			return;
		}
		s = json_object_get_string(mi);
		n = strlen(s);
		if (n / 4 * 3 > M_META_MAX ||
		    (m->meta = malloc(n / 4 * 3 + 4)) == NULL) {
			fail(m, "metainfo: too large");
			return;
		}
		/* Without the line breaks some encoders put in. */
		{
			char *clean = malloc(n + 1);

			if (clean == NULL) {
				fail(m, "out of memory");
				return;
			}
			for (i = 0, o = 0; i < n; i++)
				if (s[i] != '\n' && s[i] != '\r')
					clean[o++] = s[i];
			clean[o] = '\0';
			len = o % 4 == 0 && o > 0 ? EVP_DecodeBlock(m->meta,
			    (unsigned char *)clean, (int)o) : -1;
			if (len > 0 && clean[o - 1] == '=')
				len--;
			if (len > 0 && clean[o - 2] == '=')
				len--;
			free(clean);
		}
		if (len <= 0) {
			fail(m, "metainfo: not valid base64");
			return;
		}
		m->add.torrent.data = m->meta;
		m->add.torrent.len = (size_t)len;
	} else {
		if (!json_object_is_type(fn, json_type_string)) {
			fail(m, "filename: not a string");
			return;
		}
		s = json_object_get_string(fn);
		if (strncasecmp(s, "magnet:", 7) == 0) {
			m->add_magnet = strdup(s);
			m->add.magnet = m->add_magnet;
		} else if (strncasecmp(s, "http://", 7) == 0 ||
		    strncasecmp(s, "https://", 8) == 0) {
			m->add_url = strdup(s);
			m->add.url = m->add_url;
		} else {
			fail(m, "filename: a magnet link or an http(s) URL; "
			    "a file is sent as metainfo (rpcd reads no file)");
			return;
		}
		if (m->add.magnet == NULL && m->add.url == NULL) {
			fail(m, "out of memory");
			return;
		}
	}
	if (dd != NULL) {
		if (!json_object_is_type(dd, json_type_string) ||
		    (m->add_path = strdup(json_object_get_string(dd))) ==
		    NULL) {
			fail(m, "download-dir: not a string");
			return;
		}
		m->add.save_path = m->add_path;
	}
	m->add.paused = pa != NULL && json_object_get_boolean(pa);
	req.body_case = BTD__CTL_REQUEST__BODY_ADD;
	req.add = &m->add;
	call(m, &req, add_done);
}

/* The methods. */

static const struct method {
	const char	*name;		/* snake_case */
	void		(*run)(struct mjob *);
	void		(*selected)(struct mjob *);	/* after ids */
	const char *const *args;	/* known arguments, snake */
} methods[];

static const char *const a_action[] = { "ids", NULL };
static const char *const a_remove[] = { "ids", "delete_local_data", NULL };
static const char *const a_get[] = { "ids", "fields", "format", NULL };
static const char *const a_location[] = { "ids", "location", "move", NULL };
static const char *const a_free[] = { "path", NULL };
static const char *const a_set[] = { "ids", "files_wanted",
	"files_unwanted", "priority_high", "priority_low", "priority_normal",
	"download_limit", "download_limited", "upload_limit",
	"upload_limited", "peer_limit", "sequential_download", "labels",
	"seed_ratio_limit", "seed_ratio_mode", "seed_idle_limit",
	"seed_idle_mode", NULL };

static void
run_select(struct mjob *m)
{
	start_select(m);
}

static void
run_get(struct mjob *m)
{
	const char	*bad = NULL;
	char		 msg[160];

	if (torrent_fields_valid(arg(m, "fields"), &bad) == -1) {
		snprintf(msg, sizeof(msg), bad == NULL ? "torrent-get needs "
		    "fields, an array of names" : "unknown field: %s", bad);
		fail(m, msg);
		return;
	}
	if (arg(m, "format") != NULL && (!json_object_is_type(arg(m,
	    "format"), json_type_string) || (strcmp(json_object_get_string(
	    arg(m, "format")), "objects") != 0 && strcmp(
	    json_object_get_string(arg(m, "format")), "table") != 0))) {
		fail(m, "format: \"objects\" or \"table\"");
		return;
	}
	torrent_fields_need(arg(m, "fields"), &m->need_detail, &m->need_trk);
	m->need_peers = torrent_fields_peers(arg(m, "fields"));
	start_select(m);
}

static void
run_session_get(struct mjob *m)
{
	Btd__CtlRequest	 req = BTD__CTL_REQUEST__INIT;
	Btd__GetRequest	 gr = BTD__GET_REQUEST__INIT;

	gr.key = (char *)(uintptr_t)"";
	req.body_case = BTD__CTL_REQUEST__BODY_GET;
	req.get = &gr;
	call(m, &req, session_get_settings);
}

static void
run_stats(struct mjob *m)
{
	Btd__CtlRequest		 req = BTD__CTL_REQUEST__INIT;
	Btd__StatsRequest	 sr = BTD__STATS_REQUEST__INIT;

	req.body_case = BTD__CTL_REQUEST__BODY_STATS;
	req.stats = &sr;
	call(m, &req, stats_got);
}

static const struct method methods[] = {
	{ "session_get", run_session_get, NULL, NULL },
	{ "session_set", session_set, NULL, NULL },
	{ "session_stats", run_stats, NULL, NULL },
	{ "torrent_get", run_get, torrent_get_selected, a_get },
	{ "torrent_add", torrent_add, NULL, NULL },
	{ "torrent_start", run_select, action_selected, a_action },
	{ "torrent_start_now", run_select, action_selected, a_action },
	{ "torrent_stop", run_select, action_selected, a_action },
	{ "torrent_verify", run_select, action_selected, a_action },
	{ "torrent_remove", run_select, action_selected, a_remove },
	{ "torrent_set", run_select, set_selected, a_set },
	{ "torrent_set_location", run_select, location_selected, a_location },
	{ "torrent_reannounce", run_select, announce_selected, a_action },
	{ "queue_move_top", run_select, queue_selected, a_action },
	{ "queue_move_up", run_select, queue_selected, a_action },
	{ "queue_move_down", run_select, queue_selected, a_action },
	{ "queue_move_bottom", run_select, queue_selected, a_action },
	{ "free_space", run_free_space, NULL, a_free },
	{ "port_test", run_refused, NULL, NULL },
	{ "session_close", run_refused, NULL, NULL },
	{ "blocklist_update", run_refused, NULL, NULL },
	{ "torrent_rename_path", run_refused, NULL, NULL },
};

#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))

/* The arguments with snake_case keys (a new object, owned by root). */
static struct json_object *
snake_args(struct json_object *a)
{
	struct json_object	*n = json_object_new_object();
	char			 k[128];

	json_object_object_foreach(a, key, val) {
		snake_name(key, k, sizeof(k));
		json_object_object_add(n, k, json_object_get(val));
	}
	return n;
}

void
method_run(struct job *j, struct json_object *root)
{
	struct json_object	*mo, *ao = NULL, *tag = NULL;
	struct mjob		*m;
	const char		*name, *bad = NULL;
	char			 msg[160];
	size_t			 i;

	j->root = root;
	if (json_object_object_get_ex(root, "tag", &tag))
		j->tag = tag;
	if (!json_object_object_get_ex(root, "method", &mo) ||
	    !json_object_is_type(mo, json_type_string)) {
		http_reply(j, method_error(j->tag, "no method name"));
		return;
	}
	name = json_object_get_string(mo);
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		http_fail(j, 500, "out of memory");
		return;
	}
	m->j = j;
	j->mstate = m;
	j->mfree = mjob_free;
	j->snake = strchr(name, '_') != NULL;
	snake_name(name, m->method, sizeof(m->method));
	if (json_object_object_get_ex(root, "arguments", &ao)) {
		if (!json_object_is_type(ao, json_type_object)) {
			fail(m, "arguments: not an object");
			return;
		}
		m->args = snake_args(ao);
		/* Owned by root from here on: freed with it. */
		json_object_object_add(root, " btd-args", m->args);
	}
	for (i = 0; i < NMETHODS; i++)
		if (strcmp(methods[i].name, m->method) == 0)
			break;
	if (i == NMETHODS) {
		fail(m, "method name not recognized");
		return;
	}
	if (methods[i].args != NULL &&
	    args_known(m, methods[i].args, &bad) == -1) {
		snprintf(msg, sizeof(msg), "argument not supported by btd: %s",
		    bad);
		fail(m, msg);
		return;
	}
	log_debug("http: %s", m->method);
	m->selected = methods[i].selected;
	methods[i].run(m);
}
