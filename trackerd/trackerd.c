/*
 * trackerd.c -- discovery: trackers and PEX, the candidate peers of every torrent.
 *
 * main() in the order every role follows: log init and the channel to
 * btd (role_init), confinement (already applied by btd before exec, so
 * that a replacement executable is confined the same way), the event
 * loop, dispatch until btd closes the channel.
 *
 * Channels: btd (fd 3, btd__trackerd_msg), and the peer channels listed in
 * role_def, attached by btd.  So far the role speaks the lifecycle of
 * proto/common.proto only: Hello, Config, ChannelAttach, Ping/Pong and
 * LinkState; its own bodies (16 and up) come with the BitTorrent work.
 */
#include <stdlib.h>

#include "common.pb-c.h"
#include "peer_trackerd.pb-c.h"
#include "trackerd.pb-c.h"
#include "frame.h"
#include "log.h"
#include "role.h"

static const struct role_def trackerd_def = {
	.name = "trackerd",
	.role = BTD__ROLE__TRACKERD,
	.impl = "btd-trackerd",
	.btd_env = &btd__trackerd_msg__descriptor,
	.btd_handler = NULL,
	.peers = {
		{ BTD__ROLE__PEERD, &btd__peer_trackerd_msg__descriptor, NULL,
		    FRAME_MAX_ROLE },
	},
	.npeers = 1,
};

int
main(int argc, char *argv[])
{
	role_init(&trackerd_def, argc, argv);
	log_debug("started");
	role_run();
}
