/*
 * stored.c -- the bytes on disk: block writes and reads, verification, recheck.
 *
 * main() in the order every role follows: log init and the channel to
 * btd (role_init), confinement (already applied by btd before exec, so
 * that a replacement executable is confined the same way), the event
 * loop, dispatch until btd closes the channel.
 *
 * Channels: btd (fd 3, btd__stored_msg), and the peer channels listed in
 * role_def, attached by btd.  Besides the lifecycle of
 * proto/common.proto, btd sends DeleteData (stored_files.c); the block
 * path with peerd comes with the peer wire.
 */
#include <stdlib.h>

#include "common.pb-c.h"
#include "peer_stored.pb-c.h"
#include "stored.pb-c.h"
#include "frame.h"
#include "log.h"
#include "role.h"
#include "stored.h"

static const struct role_def stored_def = {
	.name = "stored",
	.role = BTD__ROLE__STORED,
	.impl = "btd-stored",
	.btd_env = &btd__stored_msg__descriptor,
	.btd_handler = stored_dispatch_btd,
	.peers = {
		{ BTD__ROLE__PEERD, &btd__peer_stored_msg__descriptor, NULL,
		    FRAME_MAX_BLOCK },
	},
	.npeers = 1,
};

int
main(int argc, char *argv[])
{
	role_init(&stored_def, argc, argv);
	log_debug("started");
	role_run();
}
