/*
 * btd_ctl.c -- the ctl socket: btctl and scripts talk to btd here.
 *
 * A listening AF_UNIX socket at <state-dir>/btd.sock, mode 0600.  Each
 * client is checked with SO_PEERCRED (btd's own uid or root), then sends
 * CtlRequest frames and gets one CtlReply per request (proto/ctl.proto).
 *
 * Everything a client sends is hostile: a frame over FRAME_MAX_CTLREQ,
 * bytes that do not decode, strings that are not UTF-8, or silence for
 * CTL_IDLE_SECONDS drop that client and nobody else.  At most
 * CTL_MAX_CLIENTS are served; a new client beyond that evicts the one
 * idle the longest, so idle connections cannot lock administrators out.
 * accept() failing with EMFILE pauses accepting for a second instead of
 * spinning.  Replies are bounded per client and in total (CTL_OUT_TOTAL):
 * a client that does not read its replies is not read either.
 *
 * rpcd's Calls (rpcd.proto) are served by the same dispatch: each is a
 * client of its own, without a socket, that lives until its one reply
 * (sent back as an Answer on rpcd's channel) or CTL_RPC_SECONDS.  At
 * most CTL_RPC_MAX are outstanding; rpcd's strings are checked as a
 * socket client's, and one that is not UTF-8 is a protocol violation.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl.pb-c.h"
#include "rpcd.pb-c.h"

#include "btd.h"
#include "chan.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "utf8.h"
#include "util.h"

/* Tunables. */
#define CTL_MAX_CLIENTS		64	/* connections served at once */
#define CTL_IDLE_SECONDS	30	/* a client silent this long is dropped */
#define CTL_WAIT_SECONDS	140	/* while a role works on its request */
#define CTL_BACKLOG		16
#define CTL_LOG_VALUE_MAX	256	/* a value quoted in the log */
#define CTL_RPC_MAX		64	/* rpcd's Calls outstanding */
#define CTL_RPC_SECONDS		150	/* a Call unanswered this long fails */
/*
 * Output: a client whose unsent replies reach CHAN_OUT_HIGH is not read
 * until they drain (chan_full() and the drain callback), so one client
 * holds at most that plus one reply; and while all clients together
 * hold CTL_OUT_TOTAL bytes, no client's requests are read: those that
 * asked wait, looked at every CTL_OUT_RECHECK_MS, until the total is
 * below half.
 */
#define CTL_OUT_TOTAL		(16U << 20)
#define CTL_OUT_RECHECK_MS	100

struct ctl_client {
	TAILQ_ENTRY(ctl_client)	 entry;		/* oldest activity first */
	struct chan		*chan;		/* NULL: one of rpcd's Calls */
	uint64_t		 call;		/* rpcd: the Call's id */
	int			 in_dispatch;	/* rpcd: dispatch() runs */
	int			 answered;	/* rpcd: its reply is sent */
	struct event		*idle;
	uid_t			 uid;
	int			 id;
	int			 closing;	/* drop after the reply is written */
	int			 paused;	/* not read: its queue is full */
	int			 waiting;	/* not read: the total is */
	int			 held;		/* not read: a show is held */
};

static TAILQ_HEAD(, ctl_client)	 clients = TAILQ_HEAD_INITIALIZER(clients);
static TAILQ_HEAD(, ctl_client)	 calls = TAILQ_HEAD_INITIALIZER(calls);
static int			 nclients;
static int			 ncalls;
static int			 next_id;
static int			 lfd = -1;
static struct event		*accept_ev, *accept_pause, *out_recheck;
static struct event_base	*base;
static char			 sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void	client_read(struct chan *, const uint8_t *, size_t,
		    const char *, void *);
static void	call_free(struct ctl_client *);

/*
 * Send a reply to a client: on its socket, or for one of rpcd's Calls
 * as the Answer (the Call ends with it; freed here, or by ctl_rpc_msg()
 * once dispatch() has returned).
 */
static int
client_send(struct ctl_client *cl, const Btd__CtlReply *rep)
{
	Btd__Answer	 a = BTD__ANSWER__INIT;
	struct chan	*c;
	int		 r = -1;

	if (cl->chan != NULL)
		return msg_send(cl->chan, &rep->base, -1);
	if (cl->answered)
		return -1;
	cl->answered = 1;
	a.id = cl->call;
	a.reply = (Btd__CtlReply *)(uintptr_t)rep;
	if ((c = proc_chan(BTD__ROLE__RPCD)) != NULL)
		r = MSG_SEND(c, Btd__RpcdMsg, RPCD_MSG, ANSWER, answer, &a, -1);
	if (!cl->in_dispatch)
		call_free(cl);
	return r;
}

/* Bytes queued to every client. */
static size_t	out_total(void);

/* 1 while a reply is still on its way to a client. */
int
ctl_busy(void)
{
	return out_total() > 0;
}

static size_t
out_total(void)
{
	struct ctl_client	*cl;
	size_t			 n = 0;

	TAILQ_FOREACH(cl, &clients, entry)
		n += chan_outq(cl->chan);
	return n;
}

static void
client_resume(struct ctl_client *cl)
{
	if (!cl->paused && !cl->waiting && !cl->held)
		chan_pause(cl->chan, 0);
}

/* Its own queue fell below half the mark: read its requests again. */
static void
client_drained(struct chan *c, void *arg)
{
	struct ctl_client *cl = arg;

	(void)c;
	cl->paused = 0;
	client_resume(cl);
}

static void
out_check(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval		 tv = { 0, CTL_OUT_RECHECK_MS * 1000 };
	struct ctl_client	*cl;
	int			 waiting = 0;

	(void)fd;
	(void)ev;
	(void)arg;
	if (out_total() >= CTL_OUT_TOTAL / 2) {
		evtimer_add(out_recheck, &tv);
		return;
	}
	TAILQ_FOREACH(cl, &clients, entry)
		if (cl->waiting) {
			cl->waiting = 0;
			waiting++;
			client_resume(cl);
		}
	if (waiting > 0)
		log_debug("ctl: output below %u bytes: %d clients read again",
		    CTL_OUT_TOTAL / 2, waiting);
}

/* After a request: stop reading a client that would queue too much. */
static void
client_bound(struct ctl_client *cl)
{
	struct timeval	 tv = { 0, CTL_OUT_RECHECK_MS * 1000 };

	if (!cl->paused && chan_full(cl->chan))
		cl->paused = 1;
	if (!cl->waiting && out_total() >= CTL_OUT_TOTAL) {
		cl->waiting = 1;
		if (!evtimer_pending(out_recheck, NULL))
			evtimer_add(out_recheck, &tv);
	}
	if (cl->paused || cl->waiting || cl->held)
		chan_pause(cl->chan, 1);
}

static void
client_free(struct ctl_client *cl)
{
	torrent_ctl_gone(cl->id);
	TAILQ_REMOVE(&clients, cl, entry);
	nclients--;
	event_free(cl->idle);
	chan_free(cl->chan);
	free(cl);
}

static void
client_drop(struct ctl_client *cl, const char *why)
{
	log_info("ctl: client %d dropped: %s", cl->id, why);
	client_free(cl);
}

static void
client_idle(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	client_drop(arg, "idle");
}

static void
client_touch_for(struct ctl_client *cl, int seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(cl->idle, &tv);
	TAILQ_REMOVE(&clients, cl, entry);
	TAILQ_INSERT_TAIL(&clients, cl, entry);
}

static void
client_touch(struct ctl_client *cl)
{
	client_touch_for(cl, CTL_IDLE_SECONDS);
}

static void
accept_resume(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	event_add(accept_ev, NULL);
}

static void
ctl_accept(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_client	*cl;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	struct timeval		 tv = { 1, 0 };
	int			 c, sndbuf = CTL_SNDBUF;

	(void)ev;
	(void)arg;
	if ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			log_warn("ctl: accept; pausing for a second");
			event_del(accept_ev);
			evtimer_add(accept_pause, &tv);
		}
		return;
	}
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("ctl: SO_PEERCRED");
		close(c);
		return;
	}
	if (cred.uid != geteuid() && cred.uid != 0) {
		log_warnx("ctl: refused a client of uid %u (pid %d)",
		    (unsigned)cred.uid, (int)cred.pid);
		close(c);
		return;
	}
	if (nclients >= CTL_MAX_CLIENTS)
		client_drop(TAILQ_FIRST(&clients), "too many clients");
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		close(c);
		return;
	}
	cl->uid = cred.uid;
	cl->id = ++next_id;
	/*
	 * A list of 10,000 torrents is 2 MiB: in the socket at once, not
	 * a default buffer a turn of the loop.  The kernel caps it at
	 * wmem_max; less is no error.
	 */
	(void)setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	cl->chan = chan_new(base, c, "ctl", FRAME_MAX_CTLREQ, client_read, cl);
	cl->idle = evtimer_new(base, client_idle, cl);
	if (cl->chan == NULL || cl->idle == NULL) {
		if (cl->chan != NULL)
			chan_free(cl->chan);
		else
			close(c);
		if (cl->idle != NULL)
			event_free(cl->idle);
		free(cl);
		return;
	}
	/* One reply may be a long list (FRAME_MAX_CTLREP). */
	chan_set_maxout(cl->chan, FRAME_MAX_CTLREP + CHAN_OUT_SLACK);
	chan_set_drain(cl->chan, client_drained);
	TAILQ_INSERT_TAIL(&clients, cl, entry);
	nclients++;
	client_touch(cl);
	log_debug("ctl: client %d connected (uid %u, pid %d)", cl->id,
	    (unsigned)cred.uid, (int)cred.pid);
}

static void
fill_role(Btd__RoleStatus *rs, Btd__Confinement *cf, Btd__LinkStatus *ls,
    Btd__LinkStatus **lsp, const struct proc *p)
{
	const struct sandbox_report	*sb = &p->sandbox;
	uint64_t			 now = util_now_ms();
	int				 i, n = 0;

	rs->name = (char *)(uintptr_t)p->name;
	rs->exec = (char *)(uintptr_t)p->exec;
	rs->pid = (int32_t)p->pid;
	rs->state = (char *)(uintptr_t)proc_state_name(p->state);
	rs->uptime = p->state == PROC_RUNNING && p->started_ms ?
	    (now - p->started_ms) / 1000 : 0;
	rs->restarts = p->restarts;
	rs->last_exit = (char *)(uintptr_t)p->last_exit;
	rs->impl_name = (char *)(uintptr_t)p->impl_name;
	rs->impl_version = (char *)(uintptr_t)p->impl_version;
	rs->next_start = p->state == PROC_BACKOFF && p->next_start_ms > now ?
	    (p->next_start_ms - now + 999) / 1000 : 0;
	cf->no_new_privs = sb->no_new_privs;
	cf->landlock_abi = (uint32_t)sb->landlock_abi;
	cf->landlock = (char *)(uintptr_t)sb->landlock;
	cf->seccomp = sb->seccomp;
	cf->seccomp_policy = (char *)(uintptr_t)sb->seccomp_policy;
	cf->uid = (uint32_t)sb->uid;
	cf->gid = (uint32_t)sb->gid;
	cf->netns = sb->netns;
	cf->rlimits = (char *)(uintptr_t)sb->rlimits;
	cf->seccomp_rules = (char *)(uintptr_t)sb->seccomp_rules;
	cf->exec_refused = sb->exec_refused;
	cf->landlock_kernel_abi = (uint32_t)sandbox_landlock_abi();
	rs->confinement = cf;
	for (i = 1; i <= ROLE_COUNT; i++) {
		if (p->links[i].generation == 0)
			continue;
		ls[n].peer = (char *)(uintptr_t)util_role_name(i);
		ls[n].up = p->links[i].up;
		ls[n].generation = p->links[i].generation;
		lsp[n] = &ls[n];
		n++;
	}
	rs->links = lsp;
	rs->n_links = (size_t)n;
}

static void
do_status(struct ctl_client *cl)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__StatusReply	 sr = BTD__STATUS_REPLY__INIT;
	Btd__RoleStatus		 rs[ROLE_COUNT], *rsp[ROLE_COUNT];
	Btd__Confinement	 cf[ROLE_COUNT];
	Btd__LinkStatus		 ls[ROLE_COUNT][ROLE_COUNT];
	Btd__LinkStatus		*lsp[ROLE_COUNT][ROLE_COUNT];
	int			 i, j;

	sr.pid = (int32_t)getpid();
	sr.version = (char *)(uintptr_t)BTD_VERSION;
	sr.uptime = btd_uptime();
	sr.state_dir = (char *)(uintptr_t)btd_state_dir();
	sr.proto_major = BTD_PROTO_MAJOR;
	sr.proto_minor = BTD_PROTO_MINOR;
	/* Read only: packed, never freed. */
	sr.cache = (Btd__StoredStats *)(uintptr_t)xfer_stored_stats();
	for (i = 0; i < ROLE_COUNT; i++) {
		btd__role_status__init(&rs[i]);
		btd__confinement__init(&cf[i]);
		for (j = 0; j < ROLE_COUNT; j++)
			btd__link_status__init(&ls[i][j]);
		fill_role(&rs[i], &cf[i], ls[i], lsp[i], proc_get(i + 1));
		rsp[i] = &rs[i];
	}
	sr.roles = rsp;
	sr.n_roles = ROLE_COUNT;
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_STATUS;
	rep.status = &sr;
	(void)client_send(cl, &rep);
}

static struct ctl_client *
client_by_id(int id)
{
	struct ctl_client *cl;

	TAILQ_FOREACH(cl, &clients, entry)
		if (cl->id == id)
			return cl;
	TAILQ_FOREACH(cl, &calls, entry)
		if (cl->id == id)
			return cl;
	return NULL;
}

int
ctl_send_reply(int client, const Btd__CtlReply *rep)
{
	struct ctl_client *cl;

	if ((cl = client_by_id(client)) == NULL) {
		log_debug("ctl: client %d left before its answer", client);
		return -1;
	}
	if (cl->chan == NULL)
		return client_send(cl, rep);
	client_touch(cl);
	return msg_send(cl->chan, &rep->base, -1);
}

/*
 * A show of this client is held (btd_torrent.c), or answered: nothing
 * more is read from it meanwhile, so that its replies keep the order of
 * its requests.
 */
void
ctl_hold(int client, int held)
{
	struct ctl_client *cl;

	if ((cl = client_by_id(client)) == NULL || cl->chan == NULL)
		return;
	cl->held = held;
	if (held)
		chan_pause(cl->chan, 1);
	else
		client_resume(cl);
}

void
ctl_send_error(int client, const char *fmt, ...)
{
	Btd__CtlReply	 rep = BTD__CTL_REPLY__INIT;
	char		 err[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
	rep.ok = 0;
	rep.error = err;
	(void)ctl_send_reply(client, &rep);
}

static void
reply_error(struct ctl_client *cl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply_error(struct ctl_client *cl, const char *fmt, ...)
{
	Btd__CtlReply	 rep = BTD__CTL_REPLY__INIT;
	char		 err[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
	rep.ok = 0;
	rep.error = err;
	(void)client_send(cl, &rep);
}

static void
reply_ok(struct ctl_client *cl)
{
	Btd__CtlReply rep = BTD__CTL_REPLY__INIT;

	rep.ok = 1;
	(void)client_send(cl, &rep);
}

/* Settings: every key (key NULL) or one. */
static void
reply_settings(struct ctl_client *cl, struct conf *cf, const char *key)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__SettingsReply	 sr = BTD__SETTINGS_REPLY__INIT;
	Btd__SettingInfo	 si[48], *sip[48];
	const char		*k;
	int			 i, n = 0;

	for (i = 0; (k = conf_key(i)) != NULL && n < 48; i++) {
		if (key != NULL && strcmp(key, k) != 0)
			continue;
		btd__setting_info__init(&si[n]);
		si[n].key = (char *)(uintptr_t)k;
		si[n].value = (char *)(uintptr_t)conf_get(cf, k);
		si[n].source = (char *)(uintptr_t)conf_source_name(
		    conf_source(cf, k));
		si[n].description = (char *)(uintptr_t)conf_describe(k);
		sip[n] = &si[n];
		n++;
	}
	sr.settings = sip;
	sr.n_settings = (size_t)n;
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_SETTINGS;
	rep.settings = &sr;
	(void)client_send(cl, &rep);
}

static struct conf	*ctl_conf;
static struct state	*ctl_state;

/*
 * free_space: statvfs of a directory where download roots may be named
 * (torrent_root_allowed() on its real path, so that no symlink or ".."
 * leads to another filesystem's figures), as btd's uid sees it.
 */
static void
do_free_space(struct ctl_client *cl, const Btd__FreeSpaceRequest *req)
{
	Btd__CtlReply		 rep = BTD__CTL_REPLY__INIT;
	Btd__FreeSpaceReply	 fs = BTD__FREE_SPACE_REPLY__INIT;
	struct statvfs		 sv;
	char			 real[PATH_MAX], err[512], esc[CTL_LOG_VALUE_MAX];

	log_escape(esc, sizeof(esc), req->path, strlen(req->path));
	if (req->path[0] != '/') {
		reply_error(cl, "free-space: '%s' is not an absolute path",
		    esc);
		return;
	}
	if (realpath(req->path, real) == NULL) {
		reply_error(cl, "free-space: %s: %s", esc, strerror(errno));
		return;
	}
	if (torrent_root_allowed(real, err, sizeof(err)) == -1) {
		reply_error(cl, "free-space: %s", err);
		return;
	}
	if (statvfs(real, &sv) == -1) {
		reply_error(cl, "free-space: %s: %s", esc, strerror(errno));
		return;
	}
	fs.path = req->path;
	fs.free = (uint64_t)sv.f_bavail * sv.f_frsize;
	fs.total = (uint64_t)sv.f_blocks * sv.f_frsize;
	rep.ok = 1;
	rep.body_case = BTD__CTL_REPLY__BODY_FREE_SPACE;
	rep.free_space = &fs;
	(void)client_send(cl, &rep);
}

/* reannounce: trackerd starts over for a running torrent. */
static void
do_reannounce(struct ctl_client *cl, const Btd__ReannounceRequest *req)
{
	struct torrent	*t;
	char		 err[256];

	if ((t = torrent_find(req->id, err, sizeof(err))) == NULL) {
		reply_error(cl, "%s", err);
		return;
	}
	if (t->paused || t->state == TST_ERROR) {
		reply_error(cl, "%s is %s: it is not announced", t->hex,
		    t->paused ? "paused" : "in error");
		return;
	}
	if ((t->desc != NULL ? t->desc->n_trackers : t->mag->n_trackers) ==
	    0) {
		reply_error(cl, "%s has no trackers", t->hex);
		return;
	}
	if (proc_chan(BTD__ROLE__TRACKERD) == NULL) {
		reply_error(cl, "trackerd is not running (see btctl status)");
		return;
	}
	log_info("%s: announced again on request", t->hex);
	tracker_start(t);
	torrent_reply_summary(cl->id, t);
}

static void
dispatch(struct ctl_client *cl, const Btd__CtlRequest *req)
{
	char	err[256], esc[CTL_LOG_VALUE_MAX];
	int	role;

	switch (req->body_case) {
	case BTD__CTL_REQUEST__BODY_STATUS:
		do_status(cl);
		break;
	case BTD__CTL_REQUEST__BODY_SHUTDOWN:
		reply_ok(cl);
		if (cl->chan != NULL)
			chan_flush(cl->chan, 1000);
		else if (proc_chan(BTD__ROLE__RPCD) != NULL)
			chan_flush(proc_chan(BTD__ROLE__RPCD), 1000);
		btd_shutdown("btctl shutdown");
		break;
	case BTD__CTL_REQUEST__BODY_GET: {
		const char *key = req->get->key;

		if (key[0] != '\0' && !conf_is_known(key)) {
			reply_error(cl, "unknown setting '%s'", key);
			break;
		}
		reply_settings(cl, ctl_conf, key[0] ? key : NULL);
		break;
	}
	case BTD__CTL_REQUEST__BODY_SET: {
		const char *key = req->set->key, *val = req->set->value;
		struct conf *trial;

		/* A new download_dir is a download root: the same rules. */
		if (strcmp(key, "download_dir") == 0 &&
		    conf_source(ctl_conf, key) != CONF_FILE &&
		    conf_source(ctl_conf, key) != CONF_FLAG &&
		    (trial = conf_new("/")) != NULL) {
			int bad = conf_set_runtime(trial, key, val, err,
			    sizeof(err)) == -1 || torrent_root_allowed(
			    conf_get(trial, key), err, sizeof(err)) == -1;

			conf_free(trial);
			if (bad) {
				reply_error(cl, "%s", err);
				break;
			}
		}
		if (conf_set_runtime(ctl_conf, key, val, err,
		    sizeof(err)) == -1) {
			reply_error(cl, "%s", err);
			break;
		}
		/* The canonical form, as conf holds it. */
		if (state_setting_set(ctl_state, key,
		    conf_get(ctl_conf, key)) == -1) {
			reply_error(cl, "%s: could not be saved in state.db",
			    key);
			break;
		}
		log_info("ctl: %s set to '%s'", key, log_escape(esc,
		    sizeof(esc), conf_get(ctl_conf, key),
		    strlen(conf_get(ctl_conf, key))));
		reply_settings(cl, ctl_conf, key);
		proc_config_changed(key);
		break;
	}
	case BTD__CTL_REQUEST__BODY_RESTART:
		if ((role = util_role_by_name(req->restart->role)) == 0) {
			reply_error(cl, "no such role: '%s' (trackerd, peerd, "
			    "stored, metad, rpcd)", req->restart->role);
			break;
		}
		if (proc_get(role)->state == PROC_OFF) {
			reply_error(cl, "%s is off (rpc_enabled is no in "
			    "btd.conf)", proc_get(role)->name);
			break;
		}
		proc_restart(role);
		reply_ok(cl);
		break;
	case BTD__CTL_REQUEST__BODY_ADD:
		torrent_ctl_add(cl->id, req->add);
		break;
	case BTD__CTL_REQUEST__BODY_LIST:
		torrent_ctl_list(cl->id);
		break;
	case BTD__CTL_REQUEST__BODY_SHOW:
		torrent_ctl_show(cl->id, req->show);
		break;
	case BTD__CTL_REQUEST__BODY_REMOVE:
		torrent_ctl_remove(cl->id, req->remove);
		break;
	case BTD__CTL_REQUEST__BODY_TRACKERS:
		torrent_ctl_trackers(cl->id, req->trackers);
		break;
	case BTD__CTL_REQUEST__BODY_PAUSE:
		xfer_ctl_pause(cl->id, req->pause);
		break;
	case BTD__CTL_REQUEST__BODY_RESUME:
		xfer_ctl_resume(cl->id, req->resume);
		break;
	case BTD__CTL_REQUEST__BODY_VERIFY:
		xfer_ctl_verify(cl->id, req->verify);
		break;
	case BTD__CTL_REQUEST__BODY_PEERS:
		torrent_ctl_peers(cl->id, req->peers);
		break;
	case BTD__CTL_REQUEST__BODY_STATS:
		xfer_ctl_stats(cl->id);
		break;
	case BTD__CTL_REQUEST__BODY_SET_TORRENT:
		torrent_ctl_set_torrent(cl->id, req->set_torrent);
		break;
	case BTD__CTL_REQUEST__BODY_MOVE:
		torrent_ctl_move(cl->id, req->move);
		break;
	case BTD__CTL_REQUEST__BODY_NUMBERS:
		torrent_ctl_numbers(cl->id);
		break;
	case BTD__CTL_REQUEST__BODY_LABEL:
		seed_ctl_label(cl->id, req->label);
		break;
	case BTD__CTL_REQUEST__BODY_FREE_SPACE:
		do_free_space(cl, req->free_space);
		break;
	case BTD__CTL_REQUEST__BODY_REANNOUNCE:
		do_reannounce(cl, req->reannounce);
		break;
	default:
		reply_error(cl, "unknown request");
		break;
	}
}

static int
request_strings_valid(const Btd__CtlRequest *req)
{
	switch (req->body_case) {
	case BTD__CTL_REQUEST__BODY_GET:
		return utf8_valid(req->get->key);
	case BTD__CTL_REQUEST__BODY_SET:
		return utf8_valid(req->set->key) &&
		    utf8_valid(req->set->value);
	case BTD__CTL_REQUEST__BODY_RESTART:
		return utf8_valid(req->restart->role);
	case BTD__CTL_REQUEST__BODY_ADD:
		return utf8_valid(req->add->magnet) &&
		    utf8_valid(req->add->save_path) &&
		    utf8_valid(req->add->url);
	case BTD__CTL_REQUEST__BODY_TRACKERS:
		return utf8_valid(req->trackers->id);
	case BTD__CTL_REQUEST__BODY_SHOW:
		return utf8_valid(req->show->id);
	case BTD__CTL_REQUEST__BODY_REMOVE:
		return utf8_valid(req->remove->id);
	case BTD__CTL_REQUEST__BODY_PAUSE:
		return utf8_valid(req->pause->id);
	case BTD__CTL_REQUEST__BODY_RESUME:
		return utf8_valid(req->resume->id);
	case BTD__CTL_REQUEST__BODY_VERIFY:
		return utf8_valid(req->verify->id);
	case BTD__CTL_REQUEST__BODY_PEERS:
		return utf8_valid(req->peers->id);
	case BTD__CTL_REQUEST__BODY_MOVE:
		return utf8_valid(req->move->id) && utf8_valid(req->move->dir);
	case BTD__CTL_REQUEST__BODY_LABEL:
		/* Its labels are checked by btd_seed.c, with a reason. */
		return utf8_valid(req->label->id);
	case BTD__CTL_REQUEST__BODY_FREE_SPACE:
		return utf8_valid(req->free_space->path);
	case BTD__CTL_REQUEST__BODY_REANNOUNCE:
		return utf8_valid(req->reannounce->id);
	case BTD__CTL_REQUEST__BODY_SET_TORRENT:
		return utf8_valid(req->set_torrent->id) &&
		    utf8_valid(req->set_torrent->key) &&
		    utf8_valid(req->set_torrent->value);
	default:
		return 1;
	}
}

static void
client_read(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	struct ctl_client	*cl = arg;
	Btd__CtlRequest		*req;

	(void)c;
	if (buf == NULL) {
		if (strcmp(why, "eof") == 0) {
			log_debug("ctl: client %d closed", cl->id);
			client_free(cl);
		} else
			client_drop(cl, why);
		return;
	}
	req = btd__ctl_request__unpack(NULL, len, buf);
	if (req == NULL ||
	    req->body_case == BTD__CTL_REQUEST__BODY__NOT_SET) {
		if (req != NULL)
			btd__ctl_request__free_unpacked(req, NULL);
		client_drop(cl, "a request that does not decode");
		return;
	}
	if (!request_strings_valid(req)) {
		btd__ctl_request__free_unpacked(req, NULL);
		client_drop(cl, "a request with invalid UTF-8");
		return;
	}
	/*
	 * add and remove wait on a role (bounded by btd_torrent.c's own
	 * deadlines, which are shorter): the client is not idle meanwhile.
	 * The answer re-arms the ordinary idle timer.
	 */
	if (req->body_case == BTD__CTL_REQUEST__BODY_ADD ||
	    req->body_case == BTD__CTL_REQUEST__BODY_REMOVE)
		client_touch_for(cl, CTL_WAIT_SECONDS);
	else
		client_touch(cl);
	dispatch(cl, req);
	btd__ctl_request__free_unpacked(req, NULL);
	if (client_by_id(cl->id) == cl)
		client_bound(cl);
}

static void
call_free(struct ctl_client *cl)
{
	torrent_ctl_gone(cl->id);
	TAILQ_REMOVE(&calls, cl, entry);
	ncalls--;
	event_free(cl->idle);
	free(cl);
}

static void
call_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_client	*cl = arg;

	(void)fd;
	(void)ev;
	log_warnx("ctl: rpcd's call %llu unanswered after %d s",
	    (unsigned long long)cl->call, CTL_RPC_SECONDS);
	reply_error(cl, "timed out");
}

/* An Answer that is not a reply to any request: ok false, err. */
static void
call_refuse(uint64_t id, const char *err)
{
	Btd__CtlReply	 rep = BTD__CTL_REPLY__INIT;
	Btd__Answer	 a = BTD__ANSWER__INIT;
	struct chan	*c;

	rep.error = (char *)(uintptr_t)err;
	a.id = id;
	a.reply = &rep;
	if ((c = proc_chan(BTD__ROLE__RPCD)) != NULL)
		(void)MSG_SEND(c, Btd__RpcdMsg, RPCD_MSG, ANSWER, answer, &a,
		    -1);
}

int
ctl_rpc_msg(const ProtobufCMessage *env)
{
	const Btd__RpcdMsg	*m = MSG_AS(Btd__RpcdMsg, rpcd_msg, env);
	const Btd__CtlRequest	*req;
	struct ctl_client	*cl;
	struct timeval		 tv = { CTL_RPC_SECONDS, 0 };

	if (m->body_case != BTD__RPCD_MSG__BODY_CALL)
		return -1;
	req = m->call->request;
	if (req == NULL || req->body_case == BTD__CTL_REQUEST__BODY__NOT_SET ||
	    !request_strings_valid(req))
		return -1;
	if (ncalls >= CTL_RPC_MAX) {
		call_refuse(m->call->id, "too many requests");
		return 0;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL ||
	    (cl->idle = evtimer_new(base, call_timeout, cl)) == NULL) {
		free(cl);
		call_refuse(m->call->id, "out of memory");
		return 0;
	}
	cl->call = m->call->id;
	cl->id = ++next_id;
	cl->uid = geteuid();
	TAILQ_INSERT_TAIL(&calls, cl, entry);
	ncalls++;
	evtimer_add(cl->idle, &tv);
	log_debug("ctl: rpcd's call %llu as client %d",
	    (unsigned long long)cl->call, cl->id);
	cl->in_dispatch = 1;
	dispatch(cl, req);
	cl->in_dispatch = 0;
	if (cl->answered)
		call_free(cl);
	return 0;
}

void
ctl_rpc_exited(void)
{
	struct ctl_client *cl;

	while ((cl = TAILQ_FIRST(&calls)) != NULL) {
		log_debug("ctl: rpcd's call %llu dropped: rpcd exited",
		    (unsigned long long)cl->call);
		call_free(cl);
	}
}

int
ctl_init(struct event_base *b, struct conf *cf, struct state *st,
    const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	mode_t			 old;

	base = b;
	ctl_conf = cf;
	ctl_state = st;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "ctl socket path too long: %s", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd == -1) {
		snprintf(err, errlen, "ctl socket: %s", strerror(errno));
		return -1;
	}
	/* The state dir lock is held: a socket left here is stale. */
	(void)unlink(path);
	old = umask(0177);
	if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "ctl socket %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	umask(old);
	if (chmod(path, 0600) == -1 || listen(lfd, CTL_BACKLOG) == -1) {
		snprintf(err, errlen, "ctl socket %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	accept_ev = event_new(base, lfd, EV_READ | EV_PERSIST, ctl_accept,
	    NULL);
	accept_pause = evtimer_new(base, accept_resume, NULL);
	out_recheck = evtimer_new(base, out_check, NULL);
	if (accept_ev == NULL || accept_pause == NULL || out_recheck == NULL ||
	    event_add(accept_ev, NULL) == -1) {
		snprintf(err, errlen, "ctl socket: event setup failed");
		goto fail;
	}
	return 0;
fail:
	close(lfd);
	lfd = -1;
	return -1;
}

void
ctl_close(void)
{
	struct ctl_client *cl;

	while ((cl = TAILQ_FIRST(&clients)) != NULL)
		client_free(cl);
	ctl_rpc_exited();
	if (lfd != -1) {
		event_free(accept_ev);
		event_free(accept_pause);
		event_free(out_recheck);
		close(lfd);
		(void)unlink(sock_path);
		lfd = -1;
	}
}
