#!/usr/bin/python3
"""A python3-libtorrent peer on loopback, for transfer tests and make bench.

    lt_peer.py seed  TORRENT DIR PORT [options]
    lt_peer.py leech TORRENT DIR PORT [options]
    lt_peer.py check TORRENT DIR PORT [options]

seed: DIR holds the data; the torrent is added in seed mode (no check).
leech: downloads into DIR and prints "done SECONDS" (from the add) once
every piece is verified, then keeps running (seeding) unless --exit.
check: DIR holds the data; libtorrent hashes all of it, prints
"checked SECONDS cpu=SECONDS" (from the add) and exits.
TORRENT may be a magnet link for a leecher: it then prints "metadata"
once it has the info dictionary from its peers (BEP 9).

Options:
  --seconds N      run at most N seconds (default 300)
  --up-rate B      upload limit in bytes per second (0: none)
  --down-rate B    download limit in bytes per second (0: none)
  --peer A:P       connect to this peer (repeatable): the tracker is not
                   needed then
  --exit           leech: exit once done
  --stats FILE     at exit, write "uploaded=N downloaded=N" (payload bytes)
                   (SIGTERM ends the run early, the stats still written)
  --peers FILE     every second, write every peer it has been connected
                   to so far to FILE, one "ADDR:PORT SOURCES" line each,
                   SOURCES the ways it learned of the peer: tracker,
                   pex, or other (it connected to us, or --peer)

DHT, LSD, UPnP and NAT-PMP are off; the listen address is 127.0.0.1.
Prints "announced" once a tracker answered, and for a seeder "checked"
once it is seeding.
"""
import os
import resource
import signal
import sys
import time

import libtorrent as lt


def main():
    mode, torrent, save, port = sys.argv[1], sys.argv[2], sys.argv[3], \
        int(sys.argv[4])
    args = sys.argv[5:]
    limit, up_rate, peers, exit_done, stats = 300.0, 0, [], False, None
    down_rate = 0
    peers_out = None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--seconds":
            limit = float(args[i + 1]); i += 1
        elif a == "--up-rate":
            up_rate = int(args[i + 1]); i += 1
        elif a == "--down-rate":
            down_rate = int(args[i + 1]); i += 1
        elif a == "--peer":
            host, p = args[i + 1].rsplit(":", 1)
            peers.append((host, int(p))); i += 1
        elif a == "--exit":
            exit_done = True
        elif a == "--stats":
            stats = args[i + 1]; i += 1
        elif a == "--peers":
            peers_out = args[i + 1]; i += 1
        else:
            sys.exit("lt_peer.py: unknown option %s" % a)
        i += 1
    settings = {
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False, "enable_lsd": False,
        "enable_upnp": False, "enable_natpmp": False,
        "enable_incoming_utp": False, "enable_outgoing_utp": False,
        "allow_multiple_connections_per_ip": True,
        "min_reconnect_time": 1,
        "alert_mask": lt.alert.category_t.all_categories,
    }
    if up_rate:
        settings["upload_rate_limit"] = up_rate
    if down_rate:
        settings["download_rate_limit"] = down_rate
    if up_rate or down_rate:
        # Limits apply to loopback peers too.
        settings["ignore_limits_on_local_network"] = False
    ses = lt.session(settings)
    if torrent.startswith("magnet:"):
        atp = lt.parse_magnet_uri(torrent)
    else:
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(torrent)
    atp.save_path = save
    if mode == "seed":
        atp.flags |= lt.torrent_flags.seed_mode
    def anon_kb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
        return 0

    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    start = time.time()
    cpu0 = cpu()
    peak = anon_kb()
    h = ses.add_torrent(atp)
    for host, p in peers:
        h.connect_peer((host, p))
    end = start + limit
    announced = done = False
    peers_at = 0.0
    seen = {}

    def write_peers():
        for pi in h.get_peer_info():
            src = [n for n, f in (("tracker", lt.peer_info.tracker),
                                  ("pex", lt.peer_info.pex),
                                  ("dht", lt.peer_info.dht),
                                  ("lsd", lt.peer_info.lsd))
                   if pi.source & f] or ["other"]
            seen["%s:%d" % (pi.ip[0], pi.ip[1])] = ",".join(src)
        with open(peers_out + ".new", "w") as f:
            f.writelines("%s %s\n" % kv for kv in sorted(seen.items()))
        os.replace(peers_out + ".new", peers_out)

    peer_lines = [1] * 200
    stopping = []
    signal.signal(signal.SIGTERM, lambda sig, frame: stopping.append(sig))
    while time.time() < end and not stopping:
        if peers_out and time.time() - peers_at >= 1:
            peers_at = time.time()
            write_peers()
        ses.wait_for_alert(50)
        for a in ses.pop_alerts():
            if isinstance(a, lt.tracker_reply_alert) and not announced:
                print("announced", flush=True)
                announced = True
            elif isinstance(a, lt.metadata_received_alert):
                print("metadata", flush=True)
            elif isinstance(a, lt.tracker_error_alert):
                print("tracker error: %s" % a.message(), flush=True)
            elif (isinstance(a, (lt.peer_connect_alert,
                                 lt.peer_disconnected_alert,
                                 lt.peer_error_alert)) and peer_lines):
                # What became of each peer, for reading a failed test.
                peer_lines.pop()
                print("peer: %s" % a.message(), flush=True)
        st = h.status()
        peak = max(peak, anon_kb())
        if mode == "leech" and not done and st.is_seeding:
            done = True
            print("done %.3f cpu=%.3f anon_kb=%d" %
                  (time.time() - start, cpu() - cpu0, peak), flush=True)
            if exit_done:
                break
        if mode == "seed" and not done and st.is_seeding:
            done = True
            print("checked", flush=True)
        if mode == "check" and st.is_seeding:
            print("checked %.3f cpu=%.3f" % (time.time() - start,
                                             cpu() - cpu0), flush=True)
            break
    st = h.status()
    if stats:
        with open(stats, "w") as f:
            f.write("uploaded=%d downloaded=%d\n" %
                    (st.total_payload_upload, st.total_payload_download))


main()
