/*
 * stored.c -- the bytes on disk: block writes and reads, verification,
 * recheck.
 *
 * main() in the order every role follows: log init and the channel to
 * btd (role_init), confinement (already applied by btd before exec, so
 * that a replacement executable is confined the same way), the event
 * loop, dispatch until btd closes the channel.
 *
 * Channels: btd (fd 3, btd__stored_msg: stored_torrent.c's dispatch) and
 * peerd (btd__peer_stored_msg: the block path, stored_block.c), attached
 * by btd with the link's two arenas.  This file only wires role.c to
 * them; the subsystems take the channels and arenas as arguments so that
 * tests drive them without a role runtime.
 */
#include <stdlib.h>
#include <string.h>

#include "common.pb-c.h"
#include "peer_stored.pb-c.h"
#include "stored.pb-c.h"
#include "frame.h"
#include "log.h"
#include "role.h"
#include "stored.h"

static void
peer_up(int peer, struct chan *c)
{
	if (peer != BTD__ROLE__PEERD || stored_link_is(c))
		return;
	stored_link_up(c, role_peer_arena(peer, BTD__ARENA__ARENA_DOWN),
	    role_peer_arena(peer, BTD__ARENA__ARENA_UP));
}

/*
 * peerd may hand over blocks before our own Ping is answered (its round
 * trip may end first): the link is up from its first message.
 */
static int
dispatch_peerd(struct chan *c, const ProtobufCMessage *env)
{
	peer_up(BTD__ROLE__PEERD, c);
	return stored_dispatch_peerd(c, env);
}

static void
peer_down(int peer)
{
	if (peer == BTD__ROLE__PEERD)
		stored_link_down();
}

/*
 * Config: which inherited descriptor is which download root; the block
 * cache's bound and the preallocation mode.
 */
static void
config(const char *key, const char *value)
{
	if (strcmp(key, "download_roots") == 0)
		stored_roots_inherited(value);
	else
		stored_block_config(key, value);
}

/* The stop order: the last flush, reported before exit. */
static void
stop(struct chan *btd)
{
	stored_flush_stop(btd);
}

static const struct role_def stored_def = {
	.name = "stored",
	.role = BTD__ROLE__STORED,
	.impl = "btd-stored",
	.btd_env = &btd__stored_msg__descriptor,
	.btd_handler = stored_dispatch_btd,
	.peers = {
		{ BTD__ROLE__PEERD, &btd__peer_stored_msg__descriptor,
		    dispatch_peerd, FRAME_MAX_BLOCK },
	},
	.npeers = 1,
	.peer_up = peer_up,
	.peer_down = peer_down,
	.config = config,
	.stop = stop,
};

int
main(int argc, char *argv[])
{
	role_init(&stored_def, argc, argv);
	stored_init(role_base(), role_btd_chan());
	log_debug("started");
	role_run();
}
