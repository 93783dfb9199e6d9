#!/usr/bin/python3
"""A hostile BitTorrent peer: hostile_peer.py TORRENT HOST PORT.

Connects to a peer that seeds TORRENT (single file) and plays, each on
its own connection, the peer-wire rows of shared HOSTILE.md: length
prefix 0xFFFFFFFF, a PIECE over a block, HAVE past the last piece,
BITFIELD of the wrong length / spare bits set / sent late, a request
flood, a wrong info-hash, no handshake at all (10 s), REJECT without
the fast extension.  Each must end with the other side closing that
connection.  Then an honest connection that sends an extension message
before its extended handshake, an extension id never offered and an
unknown message id (all to be ignored) must still get a requested
block, which shows the seeder kept running and serving.  Prints "ok - ..." / "not ok - ..." per case; exits 1 if any
failed.
"""
import hashlib
import os
import socket
import struct
import sys
import time

import libtorrent as lt

torrent, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ti = lt.torrent_info(torrent)
ih = bytes.fromhex(str(ti.info_hash()))
npieces = ti.num_pieces()
failed = 0


def msg(i, body=b""):
    return struct.pack(">IB", 1 + len(body), i) + body


def handshake(fast=True, info_hash=ih):
    rsv = bytearray(8)
    rsv[5] |= 0x10
    if fast:
        rsv[7] |= 0x04
    return (b"\x13BitTorrent protocol" + bytes(rsv) + info_hash +
            b"-XX0001-" + os.urandom(12))


def connect(hs=True, fast=True, info_hash=ih):
    s = socket.create_connection((host, port), timeout=5)
    if hs:
        s.sendall(handshake(fast, info_hash))
    return s


def closed_within(s, seconds):
    """True once the other side closed (EOF or reset) within seconds."""
    end = time.time() + seconds
    s.settimeout(0.5)
    while time.time() < end:
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def case(name, payload, fast=True, info_hash=ih, seconds=5, hs=True):
    global failed
    s = connect(hs, fast, info_hash)
    try:
        if payload:
            s.sendall(payload)
    except (ConnectionResetError, BrokenPipeError):
        pass
    if closed_within(s, seconds):
        print("ok - %s: closed" % name)
    else:
        print("not ok - %s: still open" % name)
        failed = 1
    s.close()


nbytes = (npieces + 7) // 8
case("length prefix 0xffffffff", b"\xff\xff\xff\xff\x07")
case("piece over a block", struct.pack(">IBII", 9 + 16385, 7, 0, 0) +
     b"x" * 100)
case("have past the last piece", msg(4, struct.pack(">I", npieces)))
case("bitfield of the wrong length", msg(5, b"\x00" * (nbytes + 1)))
if npieces % 8:
    case("bitfield with spare bits", msg(5, b"\x00" * (nbytes - 1) + b"\xff"))
case("bitfield late", msg(2) + msg(5, b"\x00" * nbytes))
case("request flood", b"".join(msg(6, struct.pack(">III", 0, 0, 0))
                               for _ in range(1500)))
case("wrong info-hash", b"", info_hash=hashlib.sha1(b"other").digest())
case("no handshake in 10 s", b"", hs=False, seconds=15)
case("reject without the fast extension",
     msg(16, struct.pack(">III", 0, 0, 16384)), fast=False)
case("have_all without the fast extension", msg(14), fast=False)

# The honest one, after all that.  It first sends an extension message
# before its extended handshake and one with an id never offered: both
# are ignored, not fatal (HOSTILE.md), so it must still get its block.
s = connect()
s.settimeout(5)
buf = b""
try:
    while len(buf) < 68:
        buf += s.recv(65536)
    s.sendall(msg(20, b"\x07garbage") + msg(20, b"\x00d1:pi7000ee") +
              msg(20, b"\x63" + b"x" * 100) + msg(99, b"unknown id"))
    s.sendall(msg(2))  # interested
    plen = min(ti.piece_length(), ti.total_size())
    want = min(16384, plen)
    got_unchoke = False
    end = time.time() + 10
    data = buf[68:]
    sent_req = False
    while time.time() < end:
        while len(data) >= 4:
            n = struct.unpack(">I", data[:4])[0]
            if len(data) < 4 + n:
                break
            m, data = data[4:4 + n], data[4 + n:]
            if n and m[0] == 1 and not sent_req:
                s.sendall(msg(6, struct.pack(">III", 0, 0, want)))
                sent_req = True
            if n and m[0] == 7:
                got_unchoke = True
                end = 0
        if end == 0:
            break
        data += s.recv(65536)
    if got_unchoke:
        print("ok - an honest peer still gets a block (after unknown"
              " extension and message ids)")
    else:
        print("not ok - an honest peer got no block")
        failed = 1
except (socket.timeout, ConnectionError) as e:
    print("not ok - an honest peer: %s" % e)
    failed = 1
sys.exit(failed)
