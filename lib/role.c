/*
 * role.c -- the runtime every role shares.
 *
 * Owns the channel to btd (fd 3 at exec) and the channels to other
 * roles.  Takes from btd: Hello (the answer to ours), Ping, Config and
 * ChannelAttach; sends btd: Hello first, Pong, LinkState.  On a peer
 * channel it answers Ping with Pong and, on the Pong to its own Ping,
 * reports the link up to btd.
 *
 * Before anything else, role_init() installs the role's own seccomp
 * filter refusing execve and execveat (sandbox_noexec()); Hello says so.
 *
 * Invariants: at most one chan per peer role; a replaced chan is freed
 * before the new one is used; the process exits when the btd channel
 * closes or breaks the protocol (btd restarts it), never on a peer's
 * misbehaviour (that channel is closed and btd is told).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "sandbox.h"
#include "util.h"


#define NARENAS	3	/* indexed by Btd__Arena: DOWN 1, UP 2 */

struct peer_link {
	const struct role_peer	*def;
	struct chan		*chan;
	uint64_t		 generation;
	uint64_t		 nonce;		/* of our Ping, 0 when answered */
	int			 up;		/* peer_up() was called */
	struct arena		 arenas[NARENAS];	/* of chan's generation */
	struct arena		 next[NARENAS];	/* sent for a coming one */
};

static const struct role_def	*rdef;
static struct event_base	*rbase;
static struct chan		*btd_chan;
static struct peer_link		 links[ROLE_MAX_PEERS];
static int			 hello_done;
static int			 exec_refused;	/* sandbox_noexec() */
/*
 * Every ROLE_TRIM_TICK_S, a heap with more than ROLE_TRIM_FREE free gives
 * its free pages back, once a burst of work is over: no message from btd
 * (its torrents at start come in batches) since the last tick.
 */
#define ROLE_TRIM_FREE		(1024 * 1024)
#define ROLE_TRIM_TICK_S	2
static struct event		*trim_ev;
static int			 btd_heard;	/* since the last tick */
static const struct timeval	 trim_every = { ROLE_TRIM_TICK_S, 0 };

static void	btd_read(struct chan *, const uint8_t *, size_t, const char *,
		    void *);
static void	peer_read(struct chan *, const uint8_t *, size_t,
		    const char *, void *);

static void
trim_tick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!btd_heard)
		util_malloc_trim_if(ROLE_TRIM_FREE);
	btd_heard = 0;
}

static void
usage(const char *name)
{
	dprintf(STDERR_FILENO, "usage: %s %s [-v ...]\n"
	    "This program is a role of btd(8) and is started by it.\n",
	    name, rdef->name);
	exit(2);
}

void
role_init(const struct role_def *def, int argc, char **argv)
{
	int i, verbose = 0, saved;

	/* First act: no exec ever again (see sandbox_noexec()). */
	if (!def->keep_exec) {
		if (sandbox_noexec() == -1) {
			saved = errno;
			dprintf(STDERR_FILENO, "%s: cannot refuse exec: %s\n",
			    def->name, strerror(saved));
			exit(1);
		}
		exec_refused = 1;
	}
	rdef = def;
	if (argc < 2 || strcmp(argv[1], def->name) != 0)
		usage(argc > 0 ? argv[0] : def->name);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "-vv") == 0)
			verbose += 2;
		else
			usage(argv[0]);
	}
	log_init(def->name, verbose);
	util_malloc_tune();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	msg_env_check(def->btd_env);
	for (i = 0; i < def->npeers; i++) {
		links[i].def = &def->peers[i];
		msg_env_check(def->peers[i].env);
	}
	if ((rbase = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((trim_ev = event_new(rbase, -1, EV_PERSIST, trim_tick,
	    NULL)) == NULL || event_add(trim_ev, &trim_every) == -1)
		fatalx("heap trim timer");
	btd_chan = chan_new(rbase, ROLE_FD_BTD, "btd", def->btd_maxframe ?
	    def->btd_maxframe : FRAME_MAX_ROLE, btd_read, NULL);
	if (btd_chan == NULL)
		fatal("channel to btd on fd %d", ROLE_FD_BTD);
}

struct event_base *
role_base(void)
{
	return rbase;
}

struct chan *
role_btd_chan(void)
{
	return btd_chan;
}

static struct peer_link *
link_of(int peer)
{
	int i;

	for (i = 0; i < rdef->npeers; i++)
		if (links[i].def->peer == peer)
			return &links[i];
	return NULL;
}

struct chan *
role_peer_chan(int peer)
{
	struct peer_link *l = link_of(peer);

	return l != NULL ? l->chan : NULL;
}

static void
send_link(struct peer_link *l, int up, int violation, const char *error)
{
	Btd__LinkState ls = BTD__LINK_STATE__INIT;

	ls.peer = (Btd__Role)l->def->peer;
	ls.generation = l->generation;
	ls.up = up;
	ls.violation = violation;
	ls.error = (char *)(uintptr_t)(error ? error : "");
	if (msg_send_common(btd_chan, rdef->btd_env, MSG_LINK,
	    &ls.base, -1) == -1)
		log_warn("%s: link state to btd", __func__);
}

static uint64_t
new_nonce(void)
{
	static uint64_t n;

	return ((uint64_t)getpid() << 32) | ++n;
}

static void
send_ping(struct chan *c, const ProtobufCMessageDescriptor *env,
    uint64_t nonce)
{
	Btd__Ping p = BTD__PING__INIT;

	p.nonce = nonce;
	if (msg_send_common(c, env, MSG_PING,
	    &p.base, -1) == -1)
		log_warn("%s: ping to %s", __func__, chan_name(c));
}

static void
send_pong(struct chan *c, const ProtobufCMessageDescriptor *env,
    uint64_t nonce)
{
	Btd__Pong p = BTD__PONG__INIT;

	p.nonce = nonce;
	if (msg_send_common(c, env, MSG_PONG,
	    &p.base, -1) == -1)
		log_warn("%s: pong to %s", __func__, chan_name(c));
}

const struct arena *
role_peer_arena(int peer, int which)
{
	struct peer_link *l = link_of(peer);

	if (l == NULL || l->chan == NULL || which <= 0 || which >= NARENAS ||
	    l->arenas[which].base == NULL)
		return NULL;
	return &l->arenas[which];
}

/* The channel goes: tell the role, then unmap its arenas. */
static void
link_drop(struct peer_link *l)
{
	int i;

	if (l->chan != NULL && rdef->peer_down != NULL)
		rdef->peer_down(l->def->peer);
	if (l->chan != NULL) {
		chan_free(l->chan);
		l->chan = NULL;
	}
	l->nonce = 0;
	l->up = 0;
	for (i = 0; i < NARENAS; i++)
		arena_unmap(&l->arenas[i]);
}

static void
link_close(struct peer_link *l, int violation, const char *why)
{
	if (l->chan == NULL)
		return;
	link_drop(l);
	send_link(l, 0, violation, why);
}

/* An ArenaAttach: map it for the coming generation of that link. */
static int
arena_attach(const Btd__ArenaAttach *a)
{
	struct peer_link	*l;
	char			 err[128];
	int			 fd;

	if ((fd = chan_take_fd(btd_chan)) == -1) {
		log_warnx("%s: arena without a descriptor", __func__);
		return -1;
	}
	if ((l = link_of(a->peer)) == NULL || a->which <= 0 ||
	    a->which >= NARENAS || a->slot_size == 0 ||
	    a->slot_size > ARENA_SLOT_SIZE) {
		log_warnx("%s: arena %d for role %d", __func__, a->which,
		    a->peer);
		close(fd);
		return -1;
	}
	arena_unmap(&l->next[a->which]);
	if (arena_map(fd, a->slot_size, a->slots, a->generation,
	    &l->next[a->which], err, sizeof(err)) == -1) {
		log_warnx("%s: %s", __func__, err);
		close(fd);
		return -1;
	}
	close(fd);	/* the mapping stays */
	log_debug("arena %d for %s: %u slots (generation %llu)", a->which,
	    util_role_name(a->peer), a->slots,
	    (unsigned long long)a->generation);
	return 0;
}

/* A ChannelAttach: the fd that came with it is our new channel. */
static int
attach(const Btd__ChannelAttach *a)
{
	struct peer_link	*l;
	const char		*name;
	int			 fd, i;

	fd = chan_take_fd(btd_chan);
	if (fd == -1) {
		log_warnx("%s: attach without a descriptor", __func__);
		return -1;
	}
	if ((l = link_of(a->peer)) == NULL ||
	    (name = util_role_name(a->peer)) == NULL) {
		log_warnx("%s: attach for a role that is not my peer: %d",
		    __func__, a->peer);
		close(fd);
		return -1;
	}
	link_drop(l);
	for (i = 1; i < NARENAS; i++) {
		if (l->next[i].base != NULL &&
		    l->next[i].generation == a->generation) {
			l->arenas[i] = l->next[i];
			memset(&l->next[i], 0, sizeof(l->next[i]));
		} else
			arena_unmap(&l->next[i]);
	}
	l->generation = a->generation;
	l->chan = chan_new(rbase, fd, name, l->def->maxframe, peer_read, l);
	if (l->chan == NULL) {
		log_warn("%s: channel to %s", __func__, name);
		close(fd);
		send_link(l, 0, 0, "cannot set up channel");
		return 0;
	}
	log_debug("attached to %s (generation %llu)", name,
	    (unsigned long long)a->generation);
	l->nonce = new_nonce();
	send_ping(l->chan, l->def->env, l->nonce);
	return 0;
}

static void
config(const Btd__Config *c)
{
	size_t i;

	log_setverbose((int)c->verbose);
	for (i = 0; i < c->n_settings; i++) {
		const Btd__Setting *s = c->settings[i];

		log_debug("config %s", s->key);
		if (rdef->config != NULL)
			rdef->config(s->key, s->value);
	}
}

static int
btd_dispatch(struct chan *c, const ProtobufCMessage *env)
{
	const ProtobufCMessage	*in;
	const char		*name;
	int			 body;

	body = msg_body(env, &in, &name);
	log_trace("<- btd: %s", name);
	if (!hello_done && body != MSG_HELLO)
		return -1;
	switch (body) {
	case MSG_HELLO: {
		const Btd__Hello *h = (const Btd__Hello *)(const void *)in;

		if (hello_done || h->proto_major != BTD_PROTO_MAJOR)
			return -1;
		hello_done = 1;
		return 0;
	}
	case MSG_PING:
		send_pong(c, rdef->btd_env,
		    ((const Btd__Ping *)(const void *)in)->nonce);
		return 0;
	case MSG_PONG:
		return 0;
	case MSG_ATTACH:
		return attach((const Btd__ChannelAttach *)(const void *)in);
	case MSG_CONFIG:
		config((const Btd__Config *)(const void *)in);
		return 0;
	case MSG_ARENA:
		return arena_attach((const Btd__ArenaAttach *)(const void *)in);
	default:
		/*
		 * A role without a handler for its own bodies ignores them,
		 * as proto/common.proto says of bodies a role does not know.
		 */
		if (body >= MSG_ROLE_MIN && rdef->btd_handler == NULL) {
			log_debug("btd: %s ignored", name);
			return 0;
		}
		if (body >= MSG_ROLE_MIN)
			return rdef->btd_handler(c, env);
		return -1;
	}
}

static void
btd_read(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	ProtobufCMessage	*env;
	const char		*name = "?";

	(void)arg;
	if (buf == NULL) {
		/* btd owns our lifetime: it is gone, or done with us. */
		log_info("channel to btd closed (%s), exiting", why);
		if (rdef->stop != NULL && strcmp(why, "eof") == 0) {
			rdef->stop(c);
			if (chan_flush(c, ROLE_STOP_FLUSH_MS) == -1)
				log_warnx("btd did not take our last words");
		}
		exit(0);
	}
	btd_heard = 1;
	if ((env = msg_unpack(rdef->btd_env, buf, len)) == NULL)
		fatalx("btd sent a message that does not decode as %s",
		    rdef->btd_env->short_name);
	if (btd_dispatch(c, env) == -1) {
		(void)msg_body(env, NULL, &name);
		fatalx("btd sent an unexpected message: %s", name);
	}
	msg_free(env);
}

static int
peer_dispatch(struct peer_link *l, const ProtobufCMessage *env)
{
	const ProtobufCMessage	*in;
	const char		*name;
	int			 body;

	body = msg_body(env, &in, &name);
	log_trace("<- %s: %s", chan_name(l->chan), name);
	switch (body) {
	case MSG_PING:
		send_pong(l->chan, l->def->env,
		    ((const Btd__Ping *)(const void *)in)->nonce);
		return 0;
	case MSG_PONG:
		if (l->nonce != 0 &&
		    ((const Btd__Pong *)(const void *)in)->nonce == l->nonce) {
			l->nonce = 0;
			send_link(l, 1, 0, NULL);
			if (!l->up) {
				l->up = 1;
				if (rdef->peer_up != NULL)
					rdef->peer_up(l->def->peer, l->chan);
			}
		}
		return 0;
	default:
		if (body >= MSG_ROLE_MIN && l->def->handler == NULL) {
			log_debug("%s: %s ignored", chan_name(l->chan), name);
			return 0;
		}
		if (body >= MSG_ROLE_MIN)
			return l->def->handler(l->chan, env);
		return -1;
	}
}

static void
peer_read(struct chan *c, const uint8_t *buf, size_t len, const char *why,
    void *arg)
{
	struct peer_link	*l = arg;
	ProtobufCMessage	*env;
	const char		*name = "?";
	char			 reason[128];

	(void)c;
	if (buf == NULL) {
		log_info("channel to %s closed: %s", chan_name(l->chan), why);
		link_close(l, strcmp(why, "eof") != 0, why);
		return;
	}
	if ((env = msg_unpack(l->def->env, buf, len)) == NULL) {
		log_warnx("%s sent a message that does not decode as %s",
		    chan_name(l->chan), l->def->env->short_name);
		link_close(l, 1, "message does not decode");
		return;
	}
	if (peer_dispatch(l, env) == -1) {
		(void)msg_body(env, NULL, &name);
		snprintf(reason, sizeof(reason), "unexpected message %s", name);
		log_warnx("%s sent an %s", chan_name(l->chan), reason);
		msg_free(env);
		link_close(l, 1, reason);
		return;
	}
	msg_free(env);
}

void
role_run(void)
{
	Btd__Hello	h = BTD__HELLO__INIT;

	h.role = (Btd__Role)rdef->role;
	h.proto_major = BTD_PROTO_MAJOR;
	h.proto_minor = BTD_PROTO_MINOR;
	h.impl_name = (char *)(uintptr_t)rdef->impl;
	h.impl_version = (char *)(uintptr_t)BTD_VERSION;
	h.pid = (int32_t)getpid();
	h.exec_refused = exec_refused;
	if (msg_send_common(btd_chan, rdef->btd_env, MSG_HELLO,
	    &h.base, -1) == -1)
		fatal("hello to btd");
	event_base_dispatch(rbase);
	fatalx("event loop returned");
}
