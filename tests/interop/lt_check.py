#!/usr/bin/python3
"""lt_check.py -- what libtorrent (python3-libtorrent) reads in a .torrent,
and whether it accepts the data on disk as that torrent's content.

    lt_check.py TORRENT SAVE_PATH [TIMEOUT_SECONDS]

Prints one JSON object: info_hash (hex), name, piece_length, num_pieces,
files [[path, size], ...] (paths relative to the torrent's name, '/'
separated; a single-file torrent lists its name), pads (BEP 47 pad files,
left out of files), private, trackers [[url, tier], ...], comment,
creator, creation_date, and verified.

verified is true when libtorrent, with no resume data, hashed the data
under SAVE_PATH and found every piece good: the torrent is then seeding
with progress 1.0.  The session talks to no one: DHT, LSD, UPnP and
NAT-PMP are off and it listens on 127.0.0.1 only.  Exit status 0 when
the torrent loads (whatever verified says), 1 when it does not.

The JSON is written and flushed before the session is torn down, and the
process then leaves without running libtorrent's destructors: a crash in
that teardown says nothing about the torrent and must not hide the answer.
"""
import json
import os
import sys
import time

import libtorrent as lt


def describe(ti):
    fs = ti.files()
    name = ti.name()
    files = []
    pads = 0
    for i in range(fs.num_files()):
        if fs.file_flags(i) & lt.file_storage.flag_pad_file:
            pads += 1
            continue
        path = fs.file_path(i).replace("\\", "/")
        if path.startswith(name + "/"):
            path = path[len(name) + 1:]
        files.append([path, fs.file_size(i)])
    return {
        "info_hash": str(ti.info_hashes().v1),
        "name": name,
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "files": files,
        "pads": pads,
        "private": bool(ti.priv()),
        "trackers": [[t.url, t.tier] for t in ti.trackers()],
        "comment": ti.comment(),
        "creator": ti.creator(),
        "creation_date": ti.creation_date(),
    }


def verify(ti, save_path, timeout):
    ses = lt.session({
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "listen_interfaces": "127.0.0.1:0",
        "alert_mask": lt.alert.category_t.status_notification
        | lt.alert.category_t.error_notification,
    })
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = save_path
    # No resume data: libtorrent hashes whatever it finds on disk.
    h = ses.add_torrent(atp)
    deadline = time.monotonic() + timeout
    checked = False
    while not checked and time.monotonic() < deadline:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.torrent_checked_alert):
                checked = True
    st = h.status()
    ok = (checked and st.progress == 1.0 and
          st.num_pieces == ti.num_pieces() and
          st.state in (lt.torrent_status.seeding,
                       lt.torrent_status.finished))
    return ok


def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: lt_check.py TORRENT SAVE_PATH [TIMEOUT]\n")
        return 2
    timeout = float(sys.argv[3]) if len(sys.argv) == 4 else 30.0
    try:
        ti = lt.torrent_info(sys.argv[1])
    except RuntimeError as e:
        sys.stderr.write("lt_check: %s: %s\n" % (sys.argv[1], e))
        return 1
    out = describe(ti)
    out["verified"] = verify(ti, sys.argv[2], timeout)
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)
