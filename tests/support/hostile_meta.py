#!/usr/bin/python3
"""A test peer for ut_metadata (BEP 9):

    hostile_meta.py TORRENT DIR PORT MODE [options]

Listens on 127.0.0.1:PORT.  Every connection that names TORRENT's
info-hash gets a handshake, an extended handshake naming ut_metadata
and a metadata_size, and answers to its ut_metadata requests as MODE
says (the rows of shared HOSTILE.md):

  honest      the right pieces
  wronghash   pieces of the right length whose bytes are wrong
  oversize    every piece one byte too long
  short       every piece but the last one byte too short
  range       data for a piece past the end, of a total_size that lies
  size-neg    metadata_size -1
  size-zero   metadata_size 0
  size-2g     metadata_size 2^31
  size-big    metadata_size 9 MiB, above any sane cap
  (the size-* modes send garbage if asked anyway)

Options:
  --delay S     wait S seconds before each metadata answer
  --late S      wait S seconds before the extended handshake
  --info FILE   serve FILE's bytes as the metadata and take their SHA-1
                as the info-hash (TORRENT and DIR are then unused: -)
  --seed        also seed the torrent's pieces from DIR (a bitfield of
                every piece, unchoke on interest, serve requests)
  --seconds N   run at most N seconds (default 300)

Prints a line per event, flushed: "listening", "connection",
"request PIECE", "sent PIECE LEN", "block PIECE BEGIN".
"""
import hashlib
import os
import socket
import struct
import sys
import threading
import time

UT_ID = 2          # our extended id of ut_metadata
BLOCK = 16384


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, str):
        return benc(v.encode())
    if isinstance(v, dict):
        out = b"d"
        for k in sorted(v):
            out += benc(k) + benc(v[k])
        return out + b"e"
    raise TypeError(v)


def bdec(b, i=0):
    """Decode the value at b[i:]: (value, end)."""
    c = b[i:i + 1]
    if c == b"i":
        e = b.index(b"e", i)
        return int(b[i + 1:e]), e + 1
    if c == b"d":
        d, i = {}, i + 1
        while b[i:i + 1] != b"e":
            k, i = bdec(b, i)
            d[k], i = bdec(b, i)
        return d, i + 1
    if c == b"l":
        lst, i = [], i + 1
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            lst.append(v)
        return lst, i + 1
    colon = b.index(b":", i)
    n = int(b[i:colon])
    return b[colon + 1:colon + 1 + n], colon + 1 + n


def msg(i, body=b""):
    return struct.pack(">IB", 1 + len(body), i) + body


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def out(line):
    print(line, flush=True)


def main():
    torrent, data_dir, port, mode = sys.argv[1], sys.argv[2], \
        int(sys.argv[3]), sys.argv[4]
    args = sys.argv[5:]
    delay, late, info_file, seed, limit = 0.0, 0.0, None, False, 300.0
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--delay":
            delay = float(args[i + 1]); i += 1
        elif a == "--late":
            late = float(args[i + 1]); i += 1
        elif a == "--info":
            info_file = args[i + 1]; i += 1
        elif a == "--seed":
            seed = True
        elif a == "--seconds":
            limit = float(args[i + 1]); i += 1
        else:
            sys.exit("hostile_meta.py: unknown option %s" % a)
        i += 1
    files, plen, total = [], 0, 0
    if info_file:
        with open(info_file, "rb") as f:
            meta = f.read()
    else:
        import warnings
        import libtorrent as lt
        warnings.simplefilter("ignore", DeprecationWarning)
        ti = lt.torrent_info(torrent)
        meta = ti.metadata()
        fs = ti.files()
        for k in range(fs.num_files()):
            files.append((os.path.join(data_dir, fs.file_path(k)),
                          fs.file_offset(k), fs.file_size(k)))
        plen, total = ti.piece_length(), ti.total_size()
        npieces = ti.num_pieces()
    ih = hashlib.sha1(meta).digest()
    size = {"size-neg": -1, "size-zero": 0, "size-2g": 1 << 31,
            "size-big": 9 << 20}.get(mode, len(meta))

    def read_block(index, begin, length):
        off, got = index * plen + begin, b""
        for path, foff, fsize in files:
            if length == 0:
                break
            if off >= foff + fsize or fsize == 0:
                continue
            with open(path, "rb") as f:
                f.seek(off - foff)
                n = min(length, foff + fsize - off)
                got += f.read(n)
            off += n
            length -= n
        return got

    def answer(piece):
        """The data message's dictionary and bytes for piece."""
        start = piece * BLOCK
        if mode.startswith("size-") or start >= len(meta):
            body = os.urandom(BLOCK)
            total_size = size if size > 0 else len(meta)
        else:
            body = meta[start:start + BLOCK]
            total_size = len(meta)
            last = start + BLOCK >= len(meta)
            if mode == "wronghash":
                body = bytes(b ^ 0x5a for b in body)
            elif mode == "oversize":
                body += b"x"
            elif mode == "short" and not last:
                body = body[:-1]
            elif mode == "range":
                piece, total_size = piece + 100, 4 << 20
        return benc({"msg_type": 1, "piece": piece,
                     "total_size": total_size}) + body

    def serve(s):
        s.settimeout(limit)
        hs = recv_exact(s, 68)
        if hs[28:48] != ih:
            s.close()
            return
        rsv = bytearray(8)
        rsv[5] |= 0x10
        s.sendall(b"\x13BitTorrent protocol" + bytes(rsv) + ih +
                  b"-HM0001-" + os.urandom(12))
        if late:
            time.sleep(late)
        s.sendall(msg(20, b"\x00" + benc({"m": {"ut_metadata": UT_ID},
                                          "metadata_size": size,
                                          "v": "hostile_meta"})))
        if seed and files:
            bits = bytearray((npieces + 7) // 8)
            for k in range(npieces):
                bits[k // 8] |= 0x80 >> (k % 8)
            s.sendall(msg(5, bytes(bits)))
        their_ut = 0
        while True:
            n = struct.unpack(">I", recv_exact(s, 4))[0]
            if n == 0:
                continue
            m = recv_exact(s, n)
            if m[0] == 2 and seed:
                s.sendall(msg(1))
            elif m[0] == 6 and seed and files:
                index, begin, length = struct.unpack(">III", m[1:13])
                out("block %d %d" % (index, begin))
                s.sendall(msg(7, struct.pack(">II", index, begin) +
                              read_block(index, begin, length)))
            elif m[0] == 20 and m[1] == 0:
                d, _ = bdec(m, 2)
                their_ut = d.get(b"m", {}).get(b"ut_metadata", 0)
            elif m[0] == 20 and m[1] == UT_ID:
                d, _ = bdec(m, 2)
                if d.get(b"msg_type") != 0 or not their_ut:
                    continue
                piece = d.get(b"piece", 0)
                out("request %d" % piece)
                if delay:
                    time.sleep(delay)
                a = answer(piece)
                s.sendall(msg(20, bytes([their_ut]) + a))
                out("sent %d %d" % (piece, len(a)))

    def conn(s):
        try:
            serve(s)
        except (OSError, ValueError, ConnectionError):
            pass
        finally:
            s.close()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    ls.settimeout(0.5)
    out("listening")
    end = time.time() + limit
    while time.time() < end:
        try:
            s, _ = ls.accept()
        except socket.timeout:
            continue
        out("connection")
        threading.Thread(target=conn, args=(s,), daemon=True).start()


if __name__ == "__main__":
    main()
