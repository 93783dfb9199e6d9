#!/usr/bin/python3
"""A libtorrent peer on loopback: lt_seed.py TORRENT SAVE_PATH PORT [SECONDS].
Announces to the torrent's trackers, prints "announced" once a tracker
answered, and runs until killed or SECONDS pass.  DHT, LSD, UPnP and
NAT-PMP are off."""
import sys
import time

import libtorrent as lt

torrent, save, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
limit = float(sys.argv[4]) if len(sys.argv) > 4 else 120
ses = lt.session({
    "listen_interfaces": "127.0.0.1:%d" % port,
    "enable_dht": False, "enable_lsd": False,
    "enable_upnp": False, "enable_natpmp": False,
    "allow_multiple_connections_per_ip": True,
    "alert_mask": lt.alert.category_t.all_categories,
})
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(torrent)
atp.save_path = save
atp.flags |= lt.torrent_flags.seed_mode
ses.add_torrent(atp)
end = time.time() + limit
said = False
while time.time() < end:
    ses.wait_for_alert(500)
    for a in ses.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert) and not said:
            print("announced", flush=True)
            said = True
        elif isinstance(a, lt.tracker_error_alert):
            print("tracker error: %s" % a.message(), flush=True)
