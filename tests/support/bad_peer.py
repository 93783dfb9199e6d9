#!/usr/bin/python3
"""A hostile seeder for transfer tests:
bad_peer.py TORRENT PORT [TRACKER|-] [--mute].

Listens on 127.0.0.1:PORT, announces itself to TRACKER (an http URL
ending in /announce) every few seconds, and to every peer that
connects: completes the BEP 3 handshake, claims every piece, unchokes,
and answers every REQUEST with a block of the right length whose bytes
are wrong.  Writes one line per connection to stdout:
"conn N served BLOCKS" when the connection closes, so a test can see
that it was dropped (banned) after a few failed pieces.  With --mute it
answers no REQUEST at all (it takes them and stays connected), and the
line says "conn N served 0 requested R cancelled C".
"""
import hashlib
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse
import urllib.request


def bdecode_span(b, i=0):
    """Decode one bencoded value at b[i:]; return (value, end, spans).
    spans maps top-level dict keys to their value's (start, end)."""
    c = b[i:i + 1]
    if c == b"i":
        e = b.index(b"e", i)
        return int(b[i + 1:e]), e + 1
    if c == b"l":
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = bdecode_span(b, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while b[i:i + 1] != b"e":
            k, i = bdecode_span(b, i)
            s = i
            v, i = bdecode_span(b, i)
            out[k] = v
            out[(b"__span__", k)] = (s, i)
        return out, i + 1
    colon = b.index(b":", i)
    n = int(b[i:colon])
    return b[colon + 1:colon + 1 + n], colon + 1 + n


def main():
    mute = "--mute" in sys.argv
    args = [a for a in sys.argv if a != "--mute"]
    torrent, port = args[1], int(args[2])
    tracker = args[3] if len(args) > 3 and args[3] != "-" else None
    raw = open(torrent, "rb").read()
    meta, _ = bdecode_span(raw)
    s, e = meta[(b"__span__", b"info")]
    info_hash = hashlib.sha1(raw[s:e]).digest()
    info = meta[b"info"]
    plen = info[b"piece length"]
    npieces = len(info[b"pieces"]) // 20
    peer_id = b"-XX0001-" + os.urandom(6).hex().encode()[:12]

    def announce_loop():
        while tracker:
            q = urllib.parse.urlencode({
                "info_hash": info_hash, "peer_id": peer_id, "port": port,
                "uploaded": 0, "downloaded": 0, "left": 0,
                "compact": 1, "event": "started"})
            try:
                urllib.request.urlopen(tracker + "?" + q, timeout=5).read()
            except OSError as ex:
                print("announce failed: %s" % ex, flush=True)
            time.sleep(5)

    threading.Thread(target=announce_loop, daemon=True).start()

    def recvn(c, n):
        buf = b""
        while len(buf) < n:
            d = c.recv(n - len(buf))
            if not d:
                raise EOFError
            buf += d
        return buf

    count = [0]

    def serve(c, n):
        served = requested = cancelled = 0
        try:
            hs = recvn(c, 68)
            if hs[28:48] != info_hash:
                return
            c.sendall(b"\x13BitTorrent protocol" + b"\0" * 8 + info_hash +
                      peer_id)
            bf = bytearray((npieces + 7) // 8)
            for p in range(npieces):
                bf[p // 8] |= 0x80 >> (p % 8)
            c.sendall(struct.pack(">IB", 1 + len(bf), 5) + bytes(bf))
            c.sendall(struct.pack(">IB", 1, 1))        # unchoke
            while True:
                (ln,) = struct.unpack(">I", recvn(c, 4))
                if ln == 0:
                    continue
                msg = recvn(c, ln)
                if msg[0] == 6 and ln == 13 and mute:
                    requested += 1
                elif msg[0] == 8 and ln == 13:
                    cancelled += 1
                elif msg[0] == 6 and ln == 13:
                    idx, off, blen = struct.unpack(">III", msg[1:])
                    junk = os.urandom(blen)
                    c.sendall(struct.pack(">IBII", 9 + blen, 7, idx, off) +
                              junk)
                    served += 1
        except (EOFError, OSError):
            pass
        finally:
            if mute:
                print("conn %d served %d requested %d cancelled %d" %
                      (n, served, requested, cancelled), flush=True)
            else:
                print("conn %d served %d" % (n, served), flush=True)
            c.close()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    print("listening", flush=True)
    while True:
        c, _ = ls.accept()
        count[0] += 1
        threading.Thread(target=serve, args=(c, count[0]), daemon=True).start()
    _ = plen


main()
