#!/usr/bin/python3
"""Ask a peer for a torrent's metadata (BEP 9): meta_client.py IH HOST PORT

Connects, hands over info-hash IH (40 hex digits), reads the peer's
extended handshake (it must name ut_metadata and a metadata_size),
requests every piece and one past the end, and checks: the pieces come
back in order of asking with that total_size, their SHA-1 is IH, and
the piece past the end is rejected.  Prints "ok - ..." / "not ok - ..."
per check; exits 1 if any failed.
"""
import hashlib
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_meta import benc, bdec, msg, recv_exact  # noqa: E402

UT_ID = 5
ih, host, port = bytes.fromhex(sys.argv[1]), sys.argv[2], int(sys.argv[3])
failed = 0


def check(name, cond):
    global failed
    print("%s - %s" % ("ok" if cond else "not ok", name))
    if not cond:
        failed = 1


def read_msg(s):
    while True:
        n = struct.unpack(">I", recv_exact(s, 4))[0]
        if n:
            return recv_exact(s, n)


s = socket.create_connection((host, port), timeout=10)
rsv = bytearray(8)
rsv[5] |= 0x10
s.sendall(b"\x13BitTorrent protocol" + bytes(rsv) + ih + b"-MC0001-" +
          os.urandom(12))
hs = recv_exact(s, 68)
check("serve: the handshake names the info-hash", hs[28:48] == ih)
s.sendall(msg(20, b"\x00" + benc({"m": {"ut_metadata": UT_ID}})))
their = size = 0
while not their:
    m = read_msg(s)
    if m[0] == 20 and m[1] == 0:
        d, _ = bdec(m, 2)
        their = d.get(b"m", {}).get(b"ut_metadata", 0)
        size = d.get(b"metadata_size", 0)
check("serve: the extended handshake names ut_metadata", their > 0)
check("serve: and a metadata_size", size > 0)
npieces = (size + 16383) // 16384
for piece in list(range(npieces)) + [npieces + 3]:
    s.sendall(msg(20, bytes([their]) + benc({"msg_type": 0, "piece": piece})))
got, rejected = b"", False
while True:
    m = read_msg(s)
    if m[0] != 20 or m[1] != UT_ID:
        continue
    d, end = bdec(m, 2)
    if d.get(b"msg_type") == 1:
        check("serve: piece %d with the total size" % d.get(b"piece"),
              d.get(b"total_size") == size and
              d.get(b"piece") == len(got) // 16384)
        got += m[end:]
    elif d.get(b"msg_type") == 2:
        rejected = d.get(b"piece") == npieces + 3
        break
check("serve: the metadata's SHA-1 is the info-hash",
      hashlib.sha1(got).digest() == ih and len(got) == size)
check("serve: a piece past the end is rejected", rejected)
s.close()
sys.exit(failed)
