/*
 * role.h -- what every role process shares: the channel to btd on fd 3,
 * the Hello handshake, Config, and its channels to other roles, which
 * arrive and are replaced as ChannelAttach messages.
 *
 * A role declares its channels in a table and calls role_init(), then
 * role_run().  Lifecycle bodies (field numbers 1-15 of every envelope)
 * are handled here; everything else goes to the role's handler for that
 * channel, which returns -1 for a body it does not expect: the channel
 * is then closed (for the btd channel: the role exits, and btd restarts
 * it).
 */
#ifndef BTD_ROLE_H
#define BTD_ROLE_H

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "chan.h"

#define ROLE_FD_BTD	3	/* the channel to btd, at exec */
#define ROLE_MAX_PEERS	3	/* peerd has stored, trackerd, metad */
#define ROLE_STOP_FLUSH_MS 1000	/* last words to btd at its stop order
				   (btd kills after 2 s) */

struct event_base;

/* Handler of one channel: env is the decoded envelope (body >= 16). */
typedef int (*role_handler)(struct chan *, const ProtobufCMessage *env);

struct role_peer {
	int					 peer;	/* BTD__ROLE__* */
	const ProtobufCMessageDescriptor	*env;	/* its envelope */
	role_handler				 handler; /* may be NULL */
	size_t					 maxframe;
};

struct role_def {
	const char				*name;	/* "stored" */
	int					 role;	/* BTD__ROLE__STORED */
	const char				*impl;	/* Hello.impl_name */
	const ProtobufCMessageDescriptor	*btd_env; /* envelope to btd */
	role_handler				 btd_handler; /* may be NULL */
	size_t					 btd_maxframe; /* 0: FRAME_MAX_ROLE */
	struct role_peer			 peers[ROLE_MAX_PEERS];
	int					 npeers;
	/* A Config arrived (after Hello, and on changes); may be NULL. */
	void					(*config)(const char *key,
						    const char *value);
	/*
	 * The channel to peer completed its first round trip (may be
	 * NULL).  Its arenas, if btd sent any, are mapped by now.
	 */
	void					(*peer_up)(int peer,
						    struct chan *);
	/*
	 * The channel to peer closed or is being replaced (may be NULL).
	 * Called before its arenas are unmapped: once it returns, no
	 * pointer into them may be used.
	 */
	void					(*peer_down)(int peer);
	/*
	 * btd closed its side of the channel (the stop order): the last
	 * words before exit, sent on btd's channel, which role.c then
	 * flushes for at most ROLE_STOP_FLUSH_MS (may be NULL).
	 */
	void					(*stop)(struct chan *btd);
	/*
	 * Tests only: skip the filter that refuses exec, and say so in
	 * Hello (btd then refuses the role).  Every real role leaves it 0.
	 */
	int					 keep_exec;
};

/*
 * First refuse every further exec (sandbox_noexec()), then parse argv
 * (PATH ROLE [-v...]), check ROLE, set up logging and ignore the signals
 * btd owns.  Exits on a usage error.
 */
void			 role_init(const struct role_def *, int argc,
			    char **argv);

/* The event base, created by role_init(). */
struct event_base	*role_base(void);

/* Send Hello to btd and dispatch until the btd channel closes; exits. */
void			 role_run(void) __attribute__((noreturn));

/* The current channel to a peer role, or NULL when not attached. */
struct chan		*role_peer_chan(int peer);

/*
 * The arena `which` (BTD__ARENA__ARENA_DOWN or _UP) of the current link to
 * peer, or NULL when there is none.
 */
const struct arena	*role_peer_arena(int peer, int which);

/* The channel to btd. */
struct chan		*role_btd_chan(void);

#endif
