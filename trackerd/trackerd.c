/*
 * trackerd.c -- discovery: trackers (HTTP, HTTPS, UDP), PEX from peerd;
 * the candidate peers of every torrent.
 *
 * main() in the order every role follows: log init and the channel to
 * btd (role_init), confinement (already applied by btd before exec:
 * outbound sockets, name resolution and CA certificates only), then
 * libcurl and the resolver -- whose threads start only now, confined --
 * the event loop, and dispatch until btd closes the channel.
 *
 * Channels: btd (fd 3, TrackerdMsg; trackerd_torrent.c) and peerd
 * (PeerTrackerdMsg: Candidates out; WantPeers, ConnectResult, PexPeers,
 * IncomingPeer and PeerBanned in; trackerd_torrent.c), attached by btd.
 */
#include <stdlib.h>

#include "common.pb-c.h"
#include "peer_trackerd.pb-c.h"
#include "trackerd.pb-c.h"
#include "frame.h"
#include "log.h"
#include "role.h"
#include "trackerd.h"

static void
config(const char *key, const char *value)
{
	torrents_config(key, value);
}

static const struct role_def trackerd_def = {
	.name = "trackerd",
	.role = BTD__ROLE__TRACKERD,
	.impl = "btd-trackerd",
	.btd_env = &btd__trackerd_msg__descriptor,
	.btd_handler = trackerd_dispatch_btd,
	.btd_maxframe = FRAME_MAX_TRACKERD,
	.peers = {
		{ BTD__ROLE__PEERD, &btd__peer_trackerd_msg__descriptor,
		    trackerd_dispatch_peerd, FRAME_MAX_ROLE },
	},
	.npeers = 1,
	.config = config,
};

int
main(int argc, char *argv[])
{
	role_init(&trackerd_def, argc, argv);
	if (http_init(role_base()) == -1)
		fatalx("libcurl cannot be set up");
	if (udp_init(role_base()) == -1)
		fatalx("the resolver cannot be set up");
	torrents_init(role_base());
	log_debug("started");
	role_run();
}
