#!/usr/bin/python3
"""A test peer that speaks ut_pex (BEP 11): pex_peer.py TORRENT HOST PORT STEP...

Connects to HOST:PORT for the torrent TORRENT, completes the BEP 3
handshake with the extension bit, reads the other side's extended
handshake and prints the keys of its "m" dictionary on one line:

    m: ut_metadata ut_pex

then sends its own extended handshake (m with ut_pex 1, p 1) and plays
each STEP in order:

    added=A:P,A:P...   a ut_pex message naming these IPv4 peers
    added6=A:P,...     the same with IPv6 peers (added6)
    many=A:P0:N        N peers A:P0, A:P0+1, ... in added
    badflags=A:P       added with one peer and added.f of two bytes
    ragged=A:P         added with one peer and a stray byte
    sleep=S            wait S seconds

Messages go to the ut_pex id the other side gave, or to 1 when it gave
none (a private torrent: the message must then be ignored).  At the
end it waits 3 s and prints "closed" if the other side closed the
connection by then, else "open".  Python 3 and python3-libtorrent (for
the info-hash) only.
"""
import os
import socket
import struct
import sys
import time

import libtorrent as lt


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, dict):
        return b"d" + b"".join(benc(k) + benc(v[k]) for k in sorted(v)) + \
            b"e"
    raise TypeError(v)


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        e = b.index(b"e", i)
        return int(b[i + 1:e]), e + 1
    if c == b"l":
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while b[i:i + 1] != b"e":
            k, i = bdec(b, i)
            out[k], i = bdec(b, i)
        return out, i + 1
    colon = b.index(b":", i)
    n = int(b[i:colon])
    return b[colon + 1:colon + 1 + n], colon + 1 + n


def compact(spec, family=socket.AF_INET):
    out = b""
    for ap in spec.split(","):
        a, p = ap.rsplit(":", 1)
        out += socket.inet_pton(family, a.strip("[]")) + struct.pack(">H",
                                                                     int(p))
    return out


def ext(eid, payload):
    return struct.pack(">IBB", 2 + len(payload), 20, eid) + payload


def main():
    torrent, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    steps = sys.argv[4:]
    ih = bytes.fromhex(str(lt.torrent_info(torrent).info_hash()))
    s = socket.create_connection((host, port), timeout=10)
    rsv = bytearray(8)
    rsv[5] |= 0x10
    s.sendall(b"\x13BitTorrent protocol" + bytes(rsv) + ih +
              b"-XX0001-" + os.urandom(6).hex().encode())
    buf = b""
    while len(buf) < 68:
        d = s.recv(65536)
        if not d:
            sys.exit("pex_peer.py: closed during the handshake")
        buf += d
    buf = buf[68:]
    theirs = None
    end = time.time() + 10
    while theirs is None and time.time() < end:
        while len(buf) >= 4:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) < 4 + n:
                break
            m, buf = buf[4:4 + n], buf[4 + n:]
            if n >= 2 and m[0] == 20 and m[1] == 0:
                theirs = bdec(m[2:])[0]
        if theirs is None:
            d = s.recv(65536)
            if not d:
                sys.exit("pex_peer.py: closed before an extended handshake")
            buf += d
    if theirs is None:
        sys.exit("pex_peer.py: no extended handshake in 10 s")
    mdict = theirs.get(b"m", {})
    print("m: " + " ".join(sorted(k.decode() for k in mdict)), flush=True)
    pex_id = mdict.get(b"ut_pex", 0) or 1
    s.sendall(ext(0, benc({b"m": {b"ut_pex": 1}, b"p": 1})))
    for st in steps:
        kind, _, arg = st.partition("=")
        if kind == "sleep":
            time.sleep(float(arg))
            continue
        if kind == "added":
            d = {b"added": compact(arg)}
        elif kind == "added6":
            d = {b"added6": compact(arg, socket.AF_INET6)}
        elif kind == "many":
            a, p0, n = arg.rsplit(":", 2)
            d = {b"added": compact(",".join("%s:%d" % (a, int(p0) + k)
                                            for k in range(int(n))))}
        elif kind == "badflags":
            d = {b"added": compact(arg), b"added.f": b"\x10\x10"}
        elif kind == "ragged":
            d = {b"added": compact(arg) + b"\x00"}
        else:
            sys.exit("pex_peer.py: unknown step %s" % st)
        try:
            s.sendall(ext(pex_id, benc(d)))
        except (BrokenPipeError, ConnectionResetError):
            break
    s.settimeout(0.5)
    end = time.time() + 3
    closed = False
    while time.time() < end and not closed:
        try:
            closed = s.recv(65536) == b""
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            closed = True
    print("closed" if closed else "open", flush=True)


main()
