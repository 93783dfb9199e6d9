/*
 * rpcd.c -- the Transmission RPC: transmission-remote, web clients and
 * the *arr tools drive btd over HTTP.
 *
 * main() in the order every role follows: log init and the channel to
 * btd (role_init), confinement (already applied by btd before exec:
 * no socket, bind, listen or connect, no file but what exec needs and
 * the web dir, read only, whose descriptor btd left at SANDBOX_WEB_FD:
 * rpcd_web.c), the event loop, dispatch until btd closes the channel.
 * The listening socket is btd's, bound to rpc_bind and left at
 * SANDBOX_LISTEN_FD; rpcd serves on it once the first Config arrives
 * (rpcd_http.c).
 *
 * Channel: btd only (fd 3, btd__rpcd_msg, proto/rpcd.proto).  rpcd sends
 * Calls, each a CtlRequest, and takes the Answers; a Call's callback
 * runs exactly once: with the reply, or with NULL when the Call could
 * not be sent.  Calls are bounded by the jobs of rpcd_http.c (one Call
 * outstanding per job, RPCD_MAX_CLIENTS jobs), well below btd's bound.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common.pb-c.h"
#include "ctl.pb-c.h"
#include "rpcd.pb-c.h"

#include "frame.h"
#include "log.h"
#include "msg.h"
#include "role.h"
#include "rpcd.h"

struct call {
	TAILQ_ENTRY(call)	 entry;
	uint64_t		 id;
	rpc_cb			 cb;		/* NULL: forgotten */
	void			*arg;
};

static TAILQ_HEAD(, call)	 calls = TAILQ_HEAD_INITIALIZER(calls);
static uint64_t			 next_call;
static struct event		*fail_ev;	/* Calls that could not go */
static TAILQ_HEAD(, call)	 failed = TAILQ_HEAD_INITIALIZER(failed);

/* Failed sends are answered from the loop, never from rpc_call(). */
static void
fail_pending(evutil_socket_t fd, short ev, void *arg)
{
	struct call	*c;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((c = TAILQ_FIRST(&failed)) != NULL) {
		TAILQ_REMOVE(&failed, c, entry);
		if (c->cb != NULL)
			c->cb(c->arg, NULL);
		free(c);
	}
}

int
rpc_call(const Btd__CtlRequest *req, rpc_cb cb, void *arg)
{
	Btd__Call	 call = BTD__CALL__INIT;
	struct call	*c;
	struct chan	*btd = role_btd_chan();

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->id = ++next_call;
	c->cb = cb;
	c->arg = arg;
	call.id = c->id;
	call.request = (Btd__CtlRequest *)(uintptr_t)req;
	if (btd == NULL || MSG_SEND(btd, Btd__RpcdMsg, RPCD_MSG, CALL, call,
	    &call, -1) == -1) {
		log_warnx("call %llu: cannot be sent to btd",
		    (unsigned long long)c->id);
		TAILQ_INSERT_TAIL(&failed, c, entry);
		event_active(fail_ev, EV_TIMEOUT, 0);
		return 0;
	}
	log_trace("-> btd: call %llu", (unsigned long long)c->id);
	TAILQ_INSERT_TAIL(&calls, c, entry);
	return 0;
}

void
rpc_forget(void *arg)
{
	struct call	*c;

	TAILQ_FOREACH(c, &calls, entry)
		if (c->arg == arg)
			c->cb = NULL;
	TAILQ_FOREACH(c, &failed, entry)
		if (c->arg == arg)
			c->cb = NULL;
}

Btd__CtlReply *
rpc_reply_copy(const Btd__CtlReply *rep)
{
	size_t		 n = btd__ctl_reply__get_packed_size(rep);
	uint8_t		*b = malloc(n + 1);
	Btd__CtlReply	*c;

	if (b == NULL)
		return NULL;
	btd__ctl_reply__pack(rep, b);
	c = btd__ctl_reply__unpack(NULL, n, b);
	free(b);
	return c;
}

static int
on_answer(const Btd__Answer *a)
{
	struct call	*c;

	TAILQ_FOREACH(c, &calls, entry)
		if (c->id == a->id)
			break;
	/* btd answers each Call once; anything else breaks the contract. */
	if (c == NULL || a->reply == NULL)
		return -1;
	TAILQ_REMOVE(&calls, c, entry);
	if (c->cb != NULL)
		c->cb(c->arg, a->reply);
	free(c);
	return 0;
}

static int
rpcd_dispatch_btd(struct chan *ch, const ProtobufCMessage *env)
{
	const Btd__RpcdMsg	*m = MSG_AS(Btd__RpcdMsg, rpcd_msg, env);

	(void)ch;
	switch (m->body_case) {
	case BTD__RPCD_MSG__BODY_ANSWER:
		return on_answer(m->answer);
	default:
		return -1;
	}
}

static const struct role_def rpcd_def = {
	.name = "rpcd",
	.role = BTD__ROLE__RPCD,
	.impl = "btd-rpcd",
	.btd_env = &btd__rpcd_msg__descriptor,
	.btd_handler = rpcd_dispatch_btd,
	.btd_maxframe = FRAME_MAX_CTLREP,
	.npeers = 0,
	.config = http_config,
};

int
main(int argc, char *argv[])
{
	int	 web;

	web = web_init();
	role_init(&rpcd_def, argc, argv);
	if ((fail_ev = event_new(role_base(), -1, 0, fail_pending,
	    NULL)) == NULL)
		fatalx("event_new failed");
	http_init(role_base());
	log_debug("started; web interface %s", web ? "at /transmission/web/" :
	    "off (no rpc_web_dir)");
	role_run();
}
