/*
 * metad.c -- metainfo: .torrent and magnet parsing, ut_metadata.
 *
 * main() in the order every role follows: log init and the channel to
 * btd (role_init), confinement (already applied by btd before exec, so
 * that a replacement executable is confined the same way), the event
 * loop, dispatch until btd closes the channel.
 *
 * Channels: btd (fd 3, btd__metad_msg), and the peer channels listed in
 * role_def, attached by btd.  Besides the lifecycle of
 * proto/common.proto, btd sends ParseTorrent and ParseMagnet
 * (metad_parse.c), and MetaFetch, MetaHold, MetaForget; over the
 * peerd channel (PeerMetadMsg) the ut_metadata traffic of BEP 9:
 * fetching in metad_fetch.c, serving in metad_serve.c.
 */
#include <stdlib.h>

#include "common.pb-c.h"
#include "metad.pb-c.h"
#include "peer_metad.pb-c.h"
#include "frame.h"
#include "log.h"
#include "metad.h"
#include "role.h"

static void
peer_down(int peer)
{
	if (peer == BTD__ROLE__PEERD)
		fetch_peerd_down();
}

static const struct role_def metad_def = {
	.name = "metad",
	.role = BTD__ROLE__METAD,
	.impl = "btd-metad",
	.btd_env = &btd__metad_msg__descriptor,
	.btd_handler = metad_dispatch_btd,
	.btd_maxframe = FRAME_MAX_METAD,
	.peers = {
		{ BTD__ROLE__PEERD, &btd__peer_metad_msg__descriptor,
		    metad_dispatch_peerd, FRAME_MAX_ROLE },
	},
	.npeers = 1,
	.peer_down = peer_down,
};

int
main(int argc, char *argv[])
{
	role_init(&metad_def, argc, argv);
	fetch_init(role_base());
	log_debug("started");
	role_run();
}
