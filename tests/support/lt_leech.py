#!/usr/bin/python3
"""A libtorrent leecher on loopback: lt_leech.py TORRENT SAVE_PATH PORT
PEER [SECONDS].  Dials PEER (host:port) until connected, downloads into
SAVE_PATH and prints "done SECONDS CPU" once seeding; exits 1 on
timeout.  DHT, LSD, UPnP, NAT-PMP and uTP are off."""
import resource
import sys
import time

import libtorrent as lt

torrent, save, port, peer = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    sys.argv[4]
limit = float(sys.argv[5]) if len(sys.argv) > 5 else 60
host, pport = peer.rsplit(":", 1)
ses = lt.session({
    "listen_interfaces": "127.0.0.1:%d" % port,
    "enable_dht": False, "enable_lsd": False,
    "enable_upnp": False, "enable_natpmp": False,
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "allow_multiple_connections_per_ip": True,
})
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(torrent)
atp.save_path = save
t0 = time.time()
h = ses.add_torrent(atp)
last = 0
while not h.status().is_seeding:
    if time.time() - t0 > limit:
        print("timeout at %.1f%%" % (100 * h.status().progress))
        sys.exit(1)
    if h.status().num_peers == 0 and time.time() - last > 0.5:
        h.connect_peer((host, int(pport)))
        last = time.time()
    time.sleep(0.02)
ru = resource.getrusage(resource.RUSAGE_SELF)
print("done %.3f %.3f" % (time.time() - t0, ru.ru_utime + ru.ru_stime))
