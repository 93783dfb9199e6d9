#!/usr/bin/python3
"""Make a .torrent with libtorrent: lt_make.py PATH OUT [v1|hybrid].
Trackers on 127.0.0.1 only; deterministic creation date."""
import os
import sys

import libtorrent as lt

path, out = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "v1"
fs = lt.file_storage()
lt.add_files(fs, path)
flags = lt.create_torrent.v1_only if mode == "v1" else 0
ct = lt.create_torrent(fs, 0, flags=flags)
ct.add_tracker("http://127.0.0.1:6969/announce", 0)
ct.add_tracker("udp://127.0.0.1:6969", 1)
ct.set_creator("libtorrent test")
lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
with open(out, "wb") as f:
    f.write(lt.bencode(ct.generate()))
