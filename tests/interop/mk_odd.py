#!/usr/bin/python3
"""mk_odd.py TORRENT SEEDDIR TRACKER: a multi-file torrent whose paths
btd must sanitise (a "..", a ".", two files with one path), with real
piece hashes, and its data laid out in SEEDDIR where python3-libtorrent
expects it, so that libtorrent can seed it.  Prints, one a line, each
file's index and length; file i holds bytes derived from i alone."""
import hashlib
import os
import sys

import libtorrent as lt

from gen_corpus import benc

PL = 16384
FILES = [
    (["..", "up.bin"], 40000),
    (["x", ".", "dot.bin"], 20001),
    (["dup.txt"], 5000),
    (["dup.txt"], 7000),
    (["plain.bin"], 30000),
]



def content(i, n):
    out, c = b"", 0
    while len(out) < n:
        out += hashlib.sha256(b"%d-%d" % (i, c)).digest()
        c += 1
    return out[:n]


def main():
    torrent, seed, tracker = sys.argv[1], sys.argv[2], sys.argv[3]
    data = b"".join(content(i, n) for i, (_, n) in enumerate(FILES))
    pieces = b"".join(hashlib.sha1(data[o:o + PL]).digest()
                      for o in range(0, len(data), PL))
    info = {"name": "odd", "piece length": PL, "pieces": pieces,
            "files": [{"path": p, "length": n} for p, n in FILES]}
    with open(torrent, "wb") as f:
        f.write(benc({"announce": tracker, "info": info}))
    fs = lt.torrent_info(torrent).files()
    for i in range(fs.num_files()):
        path = os.path.join(seed, fs.file_path(i))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content(i, fs.file_size(i)))
    for i, (_, n) in enumerate(FILES):
        print(i, n)


main()
