#!/usr/bin/python3
"""Hostile fake BitTorrent tracker (HTTP and UDP) for integration tests.

Python 3 standard library only.  Listens on 127.0.0.1 only.

    fake_tracker.py [--http PORT] [--udp PORT] [--udp-mode MODE=PORT ...]
                    [--udp-base PORT] [--log FILE] [--max-seconds N]
                    [--slow-seconds N] [--cid-seconds N]
                    [--announce-mode MODE]

Prints "ready" on stdout (flushed) once every socket is bound, then runs
until SIGTERM/SIGINT or --max-seconds (default 600).  Ports given as 0
are bound to an ephemeral port; the bound ports are logged.

HTTP: the mode is the first path segment.  A test gives btd
    http://127.0.0.1:PORT/<mode>/announce   (scrape: .../<mode>/scrape)
With --announce-mode MODE, http://127.0.0.1:PORT/announce (and /scrape)
is served in MODE: the only path btd's address policy allows a loopback
tracker by default.
Modes:
  ok           compact reply: interval 1800, complete 3, incomplete 5,
               peers 127.0.0.2:6881 127.0.0.3:6882, peers6 [::1]:6883;
               scrape: files{info_hash: complete 3, downloaded 7,
               incomplete 5} for each 20-byte info_hash in the query
  dictpeers    non-compact peer list: 127.0.0.2:6881 (with peer id),
               127.0.0.3:6882, a hostname entry (peer.invalid:6883) and a
               port-0 entry (127.0.0.4:0)
  huge         10 MiB body (Content-Length) - a valid dict whose "padding"
               string is huge; its "peers" (after the padding) are the ok
               peers, so a client that accepts it shows those peers
  gzipbomb     Content-Encoding: gzip; ~100 KB that inflates to ~100 MiB:
               a valid dict with a 100 MiB zero "padding" string and then
               the ok peers
  badchunk     Transfer-Encoding: chunked; one good chunk holding a full
               valid ok reply, then the chunk-size line "zz"
  closemid     Content-Length: 1000, 10 bytes of body, then close
  never        reads the request and never answers; the socket stays open
               until the client closes it or the program ends
  redirloop    302 to the same URL, forever
  redirfile    302 to file:///etc/passwd
  redirgopher  302 to gopher://127.0.0.1/
  redirftp     302 to ftp://127.0.0.1/x
  html         200 text/html "<html><body>Not a tracker</body></html>"
  interval0 / intervalneg / intervalhuge
               valid reply, interval 0 / -5 / 2147483648, one compact
               peer 127.0.0.2:6881
  ragged       compact peers of 6*3+4 bytes (127.0.0.2:6881,
               127.0.0.3:6882, 127.0.0.4:6883 + 4 junk bytes) and peers6
               of 18+5 bytes ([::1]:6883 + 5 junk bytes)
  millionpeers compact peers of 1,000,000 entries (6,000,000 bytes,
               10.0.0.0 upwards, port 6881), Content-Length given
  escapes      failure reason with ESC[31m red ESC[0m, a BEL, a newline
               and U+202E (RIGHT-TO-LEFT OVERRIDE)
  failure      failure reason "torrent not registered"
  slow         the ok reply after --slow-seconds (default 40)
  ssrfpeers    compact reply whose peers are 127.0.0.1:80,
               169.254.169.254:6881 and 127.0.0.1:7555 (the one a client
               may dial); peers6 [::ffff:169.254.169.254]:6881, [fe80::1]:6881
  redirlocal   302 to http://127.0.0.1:PORT/admin?x=1 on this server
  anything else: 404
In the transport modes (huge, gzipbomb, badchunk, closemid, never,
redir*, html, slow, escapes, failure) a scrape gets the same treatment;
in the content modes (dictpeers, interval*, ragged, millionpeers) a
scrape gets the ok scrape reply.  Every response carries
"Connection: close".

UDP (BEP 15): one socket per mode.  --udp PORT binds mode ok;
--udp-mode MODE=PORT (repeatable) binds MODE; --udp-base PORT binds every
mode of UDP_MODES at PORT + its index in that list.
  ok           connect (random 64-bit connection id, valid for
               --cid-seconds, default 60, per client IP as opentracker),
               announce (interval 1800, leechers 5, seeders 3, peers
               127.0.0.2:6881 127.0.0.3:6882), scrape (seeders 3,
               completed 7, leechers 5 per hash); an unknown or expired
               connection id gets action 3 "bad connection id"
  The hostile modes below change every reply, error replies included.
  wrongtid     every reply carries transaction id + 1
  short        every reply is cut to its first 7 bytes
  error        every request gets action 3 "go away \\x1b[31m"
  otheraddr    every reply is sent from a second socket (127.0.0.1 on an
               ephemeral port); a correct client ignores it
  wrongtid-announce / short-announce / error-announce / otheraddr-announce
               connect is answered properly, only announce and scrape
               replies get the hostile treatment
  stale        connect answered normally; per client IP, the 1st, 3rd,
               5th... connection id handed out is stale: its first use
               gets action 3 "bad connection id" and it is forgotten, so
               the client must reconnect; the next connection works
  silent       never replies; every packet is logged with its arrival time
               (the +SECONDS field) to check the 15*2^n s retransmit spacing
  ragged       announce reply with peers of 6*2+3 bytes

Log: one line per HTTP request and per UDP packet:
  TIME +MONO PROTO CLIENT key=value...
TIME is UTC wall clock with ms, MONO seconds since start (monotonic).
PROTO is "http" (request arrived, behaviour chosen), "udp" (packet
arrived, reply chosen) or "sys" (start, bound ports, exit).  Modes whose
outcome comes later (huge, gzipbomb, millionpeers, badchunk, closemid,
never, slow) also write one "http-end" line with the same req=N,
saying how many body bytes were sent and whether the client closed
first, so counting "http" lines counts requests.
"""

import argparse
import datetime
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import zlib

UDP_MODES = [
    "ok", "wrongtid", "short", "error", "stale", "otheraddr", "silent",
    "ragged", "wrongtid-announce", "short-announce", "error-announce",
    "otheraddr-announce",
]

HTTP_MODES = {
    "ok", "dictpeers", "huge", "gzipbomb", "badchunk", "closemid", "never",
    "redirloop", "redirfile", "redirgopher", "redirftp", "html",
    "interval0", "intervalneg", "intervalhuge", "ragged", "millionpeers",
    "escapes", "failure", "slow", "ssrfpeers", "redirlocal",
}
# Modes whose scrape gets the ok scrape reply.
CONTENT_MODES = {
    "ok", "dictpeers", "interval0", "intervalneg", "intervalhuge", "ragged",
    "millionpeers", "ssrfpeers",
}

UDP_PROTOCOL_ID = 0x41727101980
MAX_REQUEST_HEAD = 16 * 1024
MAX_CONNECTIONS = 1000
HUGE_SIZE = 10 * 1024 * 1024
BOMB_ZEROS = 100 * 1024 * 1024
MILLION = 1000000
ANNOUNCE_MODE = None    # --announce-mode: what /announce is served in

START_MONO = time.monotonic()
STOP = threading.Event()


# ---------------------------------------------------------------- logging

class Log:
    def __init__(self, path):
        self.lock = threading.Lock()
        if path:
            self.f = open(path, "a", buffering=1, encoding="utf-8",
                          errors="backslashreplace")
        else:
            self.f = sys.stderr

    def __call__(self, proto, client, text):
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + \
            "%03dZ" % (now.microsecond // 1000)
        mono = time.monotonic() - START_MONO
        line = "%s +%.3f %s %s %s\n" % (stamp, mono, proto, client, text)
        with self.lock:
            try:
                self.f.write(line)
                self.f.flush()
            except (OSError, ValueError):
                pass


LOG = None


def printable(b):
    """Bytes shown safely in one log line."""
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    out = []
    for c in b:
        if 0x21 <= c < 0x7f and c not in (0x25, 0x5c):  # not % and \
            out.append(chr(c))
        else:
            out.append("%%%02x" % c)
    return "".join(out)


# ---------------------------------------------------------------- bencode

def benc(v):
    if isinstance(v, bool):
        raise TypeError("bool")
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode("utf-8")
    if isinstance(v, (bytes, bytearray)):
        return b"%d:" % len(v) + bytes(v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = []
        for k, x in v.items():
            if isinstance(k, str):
                k = k.encode("utf-8")
            items.append((k, x))
        items.sort()
        return b"d" + b"".join(benc(k) + benc(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def compact4(ip, port):
    return socket.inet_aton(ip) + struct.pack(">H", port)


def compact6(ip, port):
    return socket.inet_pton(socket.AF_INET6, ip) + struct.pack(">H", port)


OK_PEERS = compact4("127.0.0.2", 6881) + compact4("127.0.0.3", 6882)
OK_PEERS6 = compact6("::1", 6883)


def ok_announce_dict():
    return {"interval": 1800, "complete": 3, "incomplete": 5,
            "peers": OK_PEERS, "peers6": OK_PEERS6}


OK_ANNOUNCE = benc(ok_announce_dict())

ESCAPES_REASON = ("go away \x1b[31mred\x1b[0m bell\x07 newline\n"
                  "second line \u202eexe.txt")


# ------------------------------------------------------- big bodies, lazy

class Lazy:
    def __init__(self, build):
        self.build = build
        self.lock = threading.Lock()
        self.value = None

    def get(self):
        with self.lock:
            if self.value is None:
                self.value = self.build()
            return self.value


def build_bomb():
    # d8:intervali1800e7:padding<N>:<zeros>5:peers12:<ok peers>e, gzip.
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [c.compress(b"d8:intervali1800e7:padding%d:" % BOMB_ZEROS)]
    chunk = bytes(1024 * 1024)
    left = BOMB_ZEROS
    while left > 0:
        n = min(left, len(chunk))
        parts.append(c.compress(chunk[:n] if n < len(chunk) else chunk))
        left -= n
    parts.append(c.compress(b"5:peers" + benc(OK_PEERS) + b"e"))
    parts.append(c.flush())
    return b"".join(parts)


def build_million():
    n = MILLION
    a = bytearray(6 * n)
    a[0::6] = b"\x0a" * n
    a[1::6] = bytes((i >> 16) & 0xff for i in range(n))
    a[2::6] = bytes((i >> 8) & 0xff for i in range(n))
    a[3::6] = bytes(i & 0xff for i in range(n))
    a[4::6] = b"\x1a" * n   # 6881 = 0x1ae1
    a[5::6] = b"\xe1" * n
    return bytes(a)


BOMB = Lazy(build_bomb)
MILLION_PEERS = Lazy(build_million)


# ------------------------------------------------------------------ HTTP

class ClientGone(Exception):
    pass


class Conn:
    def __init__(self, sock, addr, reqno, http_port):
        self.sock = sock
        self.client = "%s:%d" % addr[:2]
        self.reqno = reqno
        self.http_port = http_port
        self.sent = 0

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ClientGone(e.__class__.__name__)
        self.sent += len(data)

    def end(self, text):
        LOG("http-end", self.client, "req=%d %s" % (self.reqno, text))


def read_head(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_REQUEST_HEAD:
            return None, "head too large"
        try:
            d = sock.recv(4096)
        except socket.timeout:
            return None, "read timeout"
        except OSError as e:
            return None, "read error %s" % e.__class__.__name__
        if not d:
            return None, "client closed before a full request"
        buf += d
    return buf.split(b"\r\n\r\n", 1)[0], None


def parse_query(q):
    """Raw query string -> list of (str key, raw bytes value)."""
    out = []
    for part in q.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        out.append((urllib.parse.unquote(k, errors="replace"),
                    urllib.parse.unquote_to_bytes(v)))
    return out


def status_line(code):
    reason = {200: "OK", 302: "Found", 400: "Bad Request",
              404: "Not Found", 431: "Request Header Fields Too Large",
              503: "Service Unavailable"}[code]
    return "HTTP/1.1 %d %s\r\n" % (code, reason)


def response(code, body, ctype="text/plain", extra=()):
    h = status_line(code)
    h += "Content-Type: %s\r\n" % ctype
    for e in extra:
        h += e + "\r\n"
    h += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    return h.encode("latin-1") + body


def headers_only(code, headers):
    h = status_line(code)
    for e in headers:
        h += e + "\r\n"
    h += "\r\n"
    return h.encode("latin-1")


def scrape_body(hashes):
    files = {}
    for h in hashes:
        files[h] = {"complete": 3, "incomplete": 5, "downloaded": 7}
    return benc({"files": files})


def wait_client_close(c, limit):
    """Hold the socket until the client closes it, STOP, or limit seconds.
    Returns the seconds waited and whether the client closed."""
    t0 = time.monotonic()
    try:
        c.sock.settimeout(0.5)
    except OSError:
        return 0.0, True
    while not STOP.is_set():
        if limit is not None and time.monotonic() - t0 >= limit:
            return time.monotonic() - t0, False
        try:
            d = c.sock.recv(4096)
            if not d:
                return time.monotonic() - t0, True
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0, True
    return time.monotonic() - t0, False


def serve_mode(c, mode, action, target, hashes, slow_seconds):
    """Send the reply for MODE.  Returns True if the socket should be
    closed gracefully (FIN after the reply), False if already handled."""
    if mode == "ok" or (action == "scrape" and mode in CONTENT_MODES):
        if action == "scrape":
            c.send(response(200, scrape_body(hashes)))
        else:
            c.send(response(200, OK_ANNOUNCE))
        return True

    if mode == "dictpeers":
        peers = [
            {"ip": "127.0.0.2", "port": 6881, "peer id": b"-XX0001-abcdefghijkl"},
            {"ip": "127.0.0.3", "port": 6882},
            {"ip": "peer.invalid", "port": 6883},
            {"ip": "127.0.0.4", "port": 0},
        ]
        c.send(response(200, benc({"interval": 1800, "complete": 3,
                                   "incomplete": 5, "peers": peers})))
        return True

    if mode == "huge":
        head = b"d8:completei3e10:incompletei5e8:intervali1800e7:padding"
        tail = b"5:peers" + benc(OK_PEERS) + b"e"
        # total = len(head) + len("<n>:") + n + len(tail) == HUGE_SIZE
        n = HUGE_SIZE - len(head) - len(tail)
        while len(head) + len(b"%d:" % n) + n + len(tail) > HUGE_SIZE:
            n -= 1
        prefix = head + b"%d:" % n
        total = len(prefix) + n + len(tail)
        c.send(headers_only(200, ["Content-Type: text/plain",
                                  "Content-Length: %d" % total,
                                  "Connection: close"]))
        body0 = c.sent
        c.send(prefix)
        zeros = b"0" * 65536
        left = n
        while left > 0:
            k = min(left, len(zeros))
            c.send(zeros if k == len(zeros) else zeros[:k])
            left -= k
        c.send(tail)
        c.end("sent=%d of %d outcome=complete" % (c.sent - body0, total))
        return True

    if mode == "gzipbomb":
        body = BOMB.get()
        c.send(headers_only(200, ["Content-Type: text/plain",
                                  "Content-Encoding: gzip",
                                  "Content-Length: %d" % len(body),
                                  "Connection: close"]))
        body0 = c.sent
        c.send(body)
        c.end("sent=%d of %d (inflates to %d) outcome=complete"
              % (c.sent - body0, len(body), BOMB_ZEROS))
        return True

    if mode == "millionpeers":
        peers = MILLION_PEERS.get()
        prefix = b"d8:completei3e10:incompletei5e8:intervali1800e5:peers" + \
            b"%d:" % len(peers)
        total = len(prefix) + len(peers) + 1
        c.send(headers_only(200, ["Content-Type: text/plain",
                                  "Content-Length: %d" % total,
                                  "Connection: close"]))
        body0 = c.sent
        c.send(prefix)
        mv = memoryview(peers)
        for off in range(0, len(peers), 65536):
            c.send(mv[off:off + 65536])
        c.send(b"e")
        c.end("sent=%d of %d outcome=complete" % (c.sent - body0, total))
        return True

    if mode == "badchunk":
        good = OK_ANNOUNCE
        c.send(headers_only(200, ["Content-Type: text/plain",
                                  "Transfer-Encoding: chunked",
                                  "Connection: close"]))
        c.send(b"%x\r\n" % len(good) + good + b"\r\n")
        c.send(b"zz\r\nnot a chunk\r\n0\r\n\r\n")
        c.end("outcome=malformed chunk sent, closing")
        return True

    if mode == "closemid":
        c.send(headers_only(200, ["Content-Type: text/plain",
                                  "Content-Length: 1000",
                                  "Connection: close"]))
        c.send(OK_ANNOUNCE[:10])
        c.end("sent=10 of 1000 outcome=closed mid-body")
        try:
            c.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return False

    if mode == "never":
        waited, closed = wait_client_close(c, None)
        c.end("outcome=%s after %.1f s" %
              ("client closed" if closed else "tracker stopped", waited))
        return False

    if mode == "slow":
        waited, closed = wait_client_close(c, slow_seconds)
        if closed or STOP.is_set():
            c.end("outcome=%s after %.1f s, nothing sent" %
                  ("client closed" if closed else "tracker stopped", waited))
            return False
        if action == "scrape":
            c.send(response(200, scrape_body(hashes)))
        else:
            c.send(response(200, OK_ANNOUNCE))
        c.end("outcome=ok reply sent after %.1f s" % waited)
        return True

    if mode.startswith("redir"):
        if mode == "redirloop":
            loc = "http://127.0.0.1:%d%s" % (c.http_port, target)
        elif mode == "redirlocal":
            loc = "http://127.0.0.1:%d/admin?x=1" % c.http_port
        else:
            loc = {"redirfile": "file:///etc/passwd",
                   "redirgopher": "gopher://127.0.0.1/",
                   "redirftp": "ftp://127.0.0.1/x"}[mode]
        c.send(response(302, b"", extra=["Location: " + loc]))
        return True

    if mode == "ssrfpeers":
        c.send(response(200, benc({
            "interval": 1800, "complete": 1, "incomplete": 2,
            "peers": compact4("127.0.0.1", 80) +
            compact4("169.254.169.254", 6881) + compact4("127.0.0.1", 7555),
            "peers6": compact6("::ffff:169.254.169.254", 6881) +
            compact6("fe80::1", 6881)})))
        return True

    if mode == "html":
        c.send(response(200, b"<html><body>Not a tracker</body></html>",
                        ctype="text/html"))
        return True

    if mode in ("interval0", "intervalneg", "intervalhuge"):
        iv = {"interval0": 0, "intervalneg": -5,
              "intervalhuge": 2147483648}[mode]
        c.send(response(200, benc({"interval": iv, "complete": 3,
                                   "incomplete": 5,
                                   "peers": compact4("127.0.0.2", 6881)})))
        return True

    if mode == "ragged":
        peers = OK_PEERS + compact4("127.0.0.4", 6883) + b"\xde\xad\xbe\xef"
        peers6 = OK_PEERS6 + b"\xde\xad\xbe\xef\x01"
        c.send(response(200, benc({"interval": 1800, "complete": 3,
                                   "incomplete": 5, "peers": peers,
                                   "peers6": peers6})))
        return True

    if mode == "escapes":
        c.send(response(200, benc({"failure reason": ESCAPES_REASON})))
        return True

    if mode == "failure":
        c.send(response(200, benc({"failure reason":
                                   "torrent not registered"})))
        return True

    c.send(response(404, b"not found\n"))
    return True


BEHAVIOUR = {
    "ok": "compact reply", "dictpeers": "dict peer list",
    "huge": "10 MiB body", "gzipbomb": "gzip bomb (100 MiB inflated)",
    "badchunk": "malformed chunk size", "closemid": "close mid-body",
    "never": "no answer socket held", "redirloop": "302 to itself",
    "redirfile": "302 to file:", "redirgopher": "302 to gopher:",
    "redirftp": "302 to ftp:", "html": "html page",
    "interval0": "interval 0", "intervalneg": "interval -5",
    "intervalhuge": "interval 2147483648",
    "ragged": "ragged compact peers", "millionpeers": "1000000 peers",
    "escapes": "failure reason with escapes", "failure": "failure reason",
    "slow": "ok reply after delay",
    "ssrfpeers": "peers on a privileged port and link-local",
    "redirlocal": "302 to /admin",
}


def handle_http(sock, addr, reqno, http_port, slow_seconds, sem):
    c = Conn(sock, addr, reqno, http_port)
    graceful = True
    try:
        sock.settimeout(30)
        head, err = read_head(sock)
        if head is None:
            LOG("http", c.client, "req=%d bad-request (%s)" % (reqno, err))
            if err == "head too large":
                c.send(response(431, b""))
            return
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            LOG("http", c.client, "req=%d bad-request line=%s"
                % (reqno, printable(lines[0][:200])))
            c.send(response(400, b""))
            return
        method = parts[0].decode("latin-1")
        target = parts[1].decode("latin-1")
        path, _, query = target.partition("?")
        segs = path.split("/")
        mode = action = ""
        if len(segs) == 3 and segs[0] == "" and segs[2] in ("announce",
                                                             "scrape"):
            mode, action = segs[1], segs[2]
        elif ANNOUNCE_MODE and len(segs) == 2 and segs[0] == "" and \
                segs[1] in ("announce", "scrape"):
            mode, action = ANNOUNCE_MODE, segs[1]
        if mode not in HTTP_MODES:
            mode = ""
        q = parse_query(query)
        hashes = [v for k, v in q if k == "info_hash" and len(v) == 20]
        detail = []
        for k, v in q:
            if k == "info_hash":
                detail.append("info_hash=" + (v.hex() if len(v) == 20
                                              else "bad:" + printable(v)))
            elif k in ("port", "event", "compact", "numwant", "left",
                       "uploaded", "downloaded", "no_peer_id", "key"):
                detail.append("%s=%s" % (k, printable(v)))
            elif k == "peer_id":
                detail.append("peer_id=" + printable(v))
        behaviour = BEHAVIOUR.get(mode, "404") if mode else "404"
        if mode and action == "scrape" and mode in CONTENT_MODES:
            behaviour = "ok scrape reply"
        LOG("http", c.client,
            "req=%d %s %s mode=%s action=%s behaviour=%s%s"
            % (reqno, method, printable(path), mode or "-", action or "-",
               behaviour.replace(" ", "_"),
               (" " + " ".join(detail)) if detail else ""))
        graceful = serve_mode(c, mode, action, target, hashes, slow_seconds)
    except ClientGone as e:
        c.end("outcome=client closed (%s) after sent=%d (with headers)"
              % (e, c.sent))
        graceful = False
    except Exception as e:  # never let one request kill the server
        LOG("http-end", c.client, "req=%d internal error %r" % (reqno, e))
        graceful = False
    finally:
        try:
            if graceful:
                sock.shutdown(socket.SHUT_WR)
                sock.settimeout(1)
                for _ in range(64):
                    if not sock.recv(65536):
                        break
        except OSError:
            pass
        try:
            sock.close()
        except OSError:
            pass
        sem.release()


def http_loop(lsock, http_port, slow_seconds):
    sem = threading.BoundedSemaphore(MAX_CONNECTIONS)
    reqno = 0
    while not STOP.is_set():
        try:
            s, addr = lsock.accept()
        except socket.timeout:
            continue
        except OSError as e:
            LOG("sys", "-", "http accept error %r" % e)
            time.sleep(0.1)
            continue
        reqno += 1
        if not sem.acquire(blocking=False):
            LOG("http", "%s:%d" % addr[:2],
                "req=%d refused: too many connections" % reqno)
            s.close()
            continue
        try:
            t = threading.Thread(target=handle_http, daemon=True,
                                 args=(s, addr, reqno, http_port,
                                       slow_seconds, sem))
            t.start()
        except RuntimeError as e:
            LOG("sys", "-", "thread start failed %r" % e)
            s.close()
            sem.release()


# ------------------------------------------------------------------- UDP

ACTIONS = {0: "connect", 1: "announce", 2: "scrape", 3: "error"}
EVENTS = {0: "none", 1: "completed", 2: "started", 3: "stopped"}


class UdpTracker:
    def __init__(self, mode, sock, other, cid_seconds):
        self.mode = mode
        self.sock = sock
        self.other = other            # second socket for otheraddr
        self.port = sock.getsockname()[1]
        self.cid_seconds = cid_seconds
        # ip -> {cid: expiry}: tied to the client's IP, not its port, as
        # opentracker does (its ids are a keyed hash of the IP and time)
        self.cids = {}
        self.stale_count = {}         # ip -> connections handed out
        self.stale_ids = set()        # cids whose first use must fail
        base = mode[:-len("-announce")] if mode.endswith("-announce") \
            else mode
        self.hostile = base
        self.connect_hostile = not mode.endswith("-announce")

    def issue(self, addr):
        cid = int.from_bytes(os.urandom(8), "big")
        now = time.monotonic()
        table = self.cids.setdefault(addr[0], {})
        for k in [k for k, exp in table.items() if exp < now]:
            del table[k]
            self.stale_ids.discard(k)
        table[cid] = now + self.cid_seconds
        return cid

    def valid(self, addr, cid):
        exp = self.cids.get(addr[0], {}).get(cid)
        return exp is not None and exp >= time.monotonic()

    def forget(self, addr, cid):
        self.cids.get(addr[0], {}).pop(cid, None)
        self.stale_ids.discard(cid)

    def send(self, reply, addr, tid, phase, notes):
        """Apply the hostile transformation for this mode and send."""
        hostile = self.connect_hostile or phase != "connect"
        sock = self.sock
        how = "reply"
        if hostile and self.hostile == "wrongtid":
            reply = reply[:4] + struct.pack(">I", (tid + 1) & 0xffffffff) + \
                reply[8:]
            how = "reply-with-tid+1"
        elif hostile and self.hostile == "short":
            reply = reply[:7]
            how = "reply-cut-to-7-bytes"
        elif hostile and self.hostile == "otheraddr":
            sock = self.other
            how = "reply-from-127.0.0.1:%d" % self.other.getsockname()[1]
        elif hostile and self.hostile == "error":
            reply = struct.pack(">II", 3, tid) + b"go away \x1b[31m"
            how = "error-reply"
        notes.append("behaviour=%s len=%d" % (how, len(reply)))
        try:
            sock.sendto(reply, addr)
        except OSError as e:
            notes.append("send-failed=%s" % e.__class__.__name__)

    def error(self, addr, tid, msg, notes):
        notes.append("error=%s" % msg.replace(" ", "_"))
        self.send(struct.pack(">II", 3, tid) + msg.encode(), addr, tid,
                  "request", notes)

    def packet(self, data, addr):
        client = "%s:%d" % addr[:2]
        notes = ["port=%d mode=%s len=%d" % (self.port, self.mode, len(data))]
        try:
            self._packet(data, addr, notes)
        except Exception as e:
            notes.append("internal-error=%r" % e)
        LOG("udp", client, " ".join(notes))

    def _packet(self, data, addr, notes):
        if len(data) < 16:
            notes.append("action=? behaviour=ignored-too-short")
            return
        cid, action, tid = struct.unpack(">QII", data[:16])
        notes.append("action=%s tid=0x%08x"
                     % (ACTIONS.get(action, str(action)), tid))
        if action == 0:
            if cid != UDP_PROTOCOL_ID:
                notes.append("behaviour=ignored-bad-protocol-id")
                return
            if self.mode == "silent":
                notes.append("behaviour=no-reply")
                return
            new = self.issue(addr)
            if self.mode == "stale":
                n = self.stale_count.get(addr[0], 0) + 1
                self.stale_count[addr[0]] = n
                if n % 2 == 1:
                    self.stale_ids.add(new)
                notes.append("conn#%d%s" % (n, " (stale)" if n % 2 else ""))
            notes.append("cid=0x%016x" % new)
            self.send(struct.pack(">IIQ", 0, tid, new), addr, tid,
                      "connect", notes)
            return

        notes.append("cid=0x%016x" % cid)
        if action == 1 and len(data) >= 98:
            (ih, pid, down, left, up, event, ip, key, numwant,
             port) = struct.unpack(">20s20sQQQIIIiH", data[16:98])
            notes.append("info_hash=%s peer_id=%s event=%s port=%d "
                         "numwant=%d left=%d key=0x%08x"
                         % (ih.hex(), printable(pid),
                            EVENTS.get(event, str(event)), port, numwant,
                            left, key))
        elif action == 2:
            notes.append("hashes=%d" % ((len(data) - 16) // 20))

        if self.mode == "silent":
            notes.append("behaviour=no-reply")
            return
        if action not in (1, 2):
            self.error(addr, tid, "unknown action", notes)
            return
        if not self.valid(addr, cid):
            self.error(addr, tid, "bad connection id", notes)
            return
        if cid in self.stale_ids:
            self.forget(addr, cid)
            self.error(addr, tid, "bad connection id", notes)
            return
        if action == 1:
            if len(data) < 98:
                self.error(addr, tid, "malformed announce", notes)
                return
            peers = compact4("127.0.0.2", 6881) + compact4("127.0.0.3", 6882)
            if self.mode == "ragged":
                peers += b"\xde\xad\xbe"
            reply = struct.pack(">IIiii", 1, tid, 1800, 5, 3) + peers
            self.send(reply, addr, tid, "announce", notes)
        else:
            n = (len(data) - 16) // 20
            reply = struct.pack(">II", 2, tid) + \
                struct.pack(">iii", 3, 7, 5) * n
            self.send(reply, addr, tid, "scrape", notes)


def udp_loop(tr):
    tr.sock.settimeout(0.5)
    while not STOP.is_set():
        try:
            data, addr = tr.sock.recvfrom(65536)
        except socket.timeout:
            continue
        except OSError as e:
            LOG("sys", "-", "udp %d recv error %r" % (tr.port, e))
            time.sleep(0.1)
            continue
        tr.packet(data, addr)


# ------------------------------------------------------------------ main

def main():
    global LOG, ANNOUNCE_MODE
    ap = argparse.ArgumentParser(
        description="Hostile fake BitTorrent tracker on 127.0.0.1.")
    ap.add_argument("--http", type=int, metavar="PORT")
    ap.add_argument("--udp", type=int, metavar="PORT",
                    help="UDP tracker in mode ok")
    ap.add_argument("--udp-mode", action="append", default=[],
                    metavar="MODE=PORT", help="one of: " + ", ".join(UDP_MODES))
    ap.add_argument("--udp-base", type=int, metavar="PORT",
                    help="every UDP mode at PORT + index (order: %s)"
                    % ", ".join(UDP_MODES))
    ap.add_argument("--log", metavar="FILE")
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--slow-seconds", type=float, default=40)
    ap.add_argument("--cid-seconds", type=float, default=60)
    ap.add_argument("--announce-mode", metavar="MODE",
                    help="serve /announce and /scrape in MODE")
    a = ap.parse_args()
    if a.announce_mode is not None:
        if a.announce_mode not in HTTP_MODES:
            ap.error("bad --announce-mode %r" % a.announce_mode)
        ANNOUNCE_MODE = a.announce_mode

    udp = []
    if a.udp is not None:
        udp.append(("ok", a.udp))
    for spec in a.udp_mode:
        mode, sep, port = spec.rpartition("=")
        if not sep or mode not in UDP_MODES or not port.isdigit():
            ap.error("bad --udp-mode %r (modes: %s)"
                     % (spec, ", ".join(UDP_MODES)))
        udp.append((mode, int(port)))
    if a.udp_base is not None:
        for i, mode in enumerate(UDP_MODES):
            udp.append((mode, a.udp_base + i))
    if a.http is None and not udp:
        ap.error("give --http and/or a UDP port")

    LOG = Log(a.log)
    try:
        lsock = None
        if a.http is not None:
            lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind(("127.0.0.1", a.http))
            lsock.listen(128)
            lsock.settimeout(0.5)
        trackers = []
        for mode, port in udp:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", port))
            other = None
            if mode.startswith("otheraddr"):
                other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                other.bind(("127.0.0.1", 0))
            trackers.append(UdpTracker(mode, s, other, a.cid_seconds))
    except OSError as e:
        print("fake_tracker: bind failed: %s" % e, file=sys.stderr)
        return 2

    def on_signal(signum, frame):
        STOP.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if lsock is not None:
        port = lsock.getsockname()[1]
        LOG("sys", "-", "listening http 127.0.0.1:%d" % port)
        threading.Thread(target=http_loop, daemon=True,
                         args=(lsock, port, a.slow_seconds)).start()
    for tr in trackers:
        LOG("sys", "-", "listening udp 127.0.0.1:%d mode=%s%s"
            % (tr.port, tr.mode, " (replies from 127.0.0.1:%d)"
               % tr.other.getsockname()[1] if tr.other else ""))
        threading.Thread(target=udp_loop, daemon=True, args=(tr,)).start()

    print("ready", flush=True)
    deadline = time.monotonic() + a.max_seconds
    while not STOP.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            LOG("sys", "-", "max-seconds reached, exiting")
            break
        STOP.wait(min(left, 0.5))
    else:
        LOG("sys", "-", "signal received, exiting")
    STOP.set()
    try:
        sys.stdout.flush()
    except OSError:
        pass
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
