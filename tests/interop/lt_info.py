#!/usr/bin/python3
"""Print what libtorrent makes of a .torrent, as JSON (for comparison
with `btctl show --json`): info-hash (v1), name, sizes, files."""
import json
import sys

import libtorrent as lt

ti = lt.torrent_info(sys.argv[1])
fs = ti.files()
out = {
    "info_hash": str(ti.info_hashes().v1),
    "name": ti.name(),
    "total_size": ti.total_size(),
    "piece_length": ti.piece_length(),
    "piece_count": ti.num_pieces(),
    "private": ti.priv(),
    "files": [
        {"path": fs.file_path(i), "length": fs.file_size(i),
         "pad": bool(fs.file_flags(i) & lt.file_storage.flag_pad_file)}
        for i in range(fs.num_files())
    ],
    "trackers": [{"url": t.url, "tier": t.tier} for t in ti.trackers()],
}
json.dump(out, sys.stdout)
