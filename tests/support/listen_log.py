#!/usr/bin/python3
"""Listeners that only record who came, for the address policy tests.

    listen_log.py --log FILE [--tcp ADDR:PORT ...] [--udp ADDR:PORT ...]
                  [--http-redirect ADDR:PORT ...] [--max-seconds N]

Binds every TCP and UDP address given (IPv4, or [IPv6]:PORT), prints
"ready" on stdout (flushed) once all are bound, then logs one line per
TCP connection accepted and per UDP datagram:

    tcp 127.0.0.1:22 from 127.0.0.1:40312 first=GET /admin?x=1 HTTP/1.1
    udp 169.254.169.254:6969 from 127.0.0.1:51000 bytes=16

"first" is the first line the client sent within a second (printable
ASCII, at most 200 bytes; empty if it sent nothing).  The connection is
then closed.

--http-redirect: an HTTP/1.1 server that keeps its connections open: a
request for /announce gets "302 Location: /admin?x=1" (Content-Length
0, keep-alive), so a client that follows it sends the next request on
the same connection; any other path gets 404, also keep-alive.  Logs
each connection and each request line:

    http 127.0.0.1:18192 from 127.0.0.1:40312 conn=1 req=GET /announce?...

Runs until SIGTERM or --max-seconds (default 300).
Python 3 standard library only.
"""

import argparse
import selectors
import signal
import socket
import sys
import time


def parse(spec):
    host, sep, port = spec.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError("bad address %r" % spec)
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, host[1:], int(port)
    return socket.AF_INET, host, int(port)


def printable(b):
    return "".join(chr(c) if 32 <= c < 127 else "?" for c in b[:200])


def serve_redirect(c, spec, peer, nconn, log):
    """Requests on one kept-alive connection, until it closes or idles 2 s."""
    c.settimeout(2)
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = c.recv(4096)
                if not chunk or len(buf) > 16384:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            line = head.split(b"\r\n")[0]
            log.write("http %s from %s:%d conn=%d req=%s\n"
                      % (spec, peer[0], peer[1], nconn, printable(line)))
            parts = line.split(b" ")
            if len(parts) == 3 and parts[1].split(b"?")[0] == b"/announce":
                c.sendall(b"HTTP/1.1 302 Found\r\nLocation: /admin?x=1\r\n"
                          b"Content-Length: 0\r\n\r\n")
            else:
                c.sendall(b"HTTP/1.1 404 Not Found\r\n"
                          b"Content-Length: 0\r\n\r\n")
    except OSError:
        return
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--tcp", action="append", default=[])
    ap.add_argument("--udp", action="append", default=[])
    ap.add_argument("--http-redirect", action="append", default=[])
    ap.add_argument("--max-seconds", type=float, default=300)
    a = ap.parse_args()
    log = open(a.log, "a", buffering=1, encoding="ascii")
    sel = selectors.DefaultSelector()
    try:
        for kind, specs in (("tcp", a.tcp), ("udp", a.udp),
                            ("http", a.http_redirect)):
            for spec in specs:
                fam, host, port = parse(spec)
                s = socket.socket(fam, socket.SOCK_DGRAM if kind == "udp"
                                  else socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((host, port))
                if kind != "udp":
                    s.listen(16)
                sel.register(s, selectors.EVENT_READ, (kind, spec))
    except (OSError, ValueError) as e:
        print("listen_log: %s" % e, file=sys.stderr)
        return 2
    stop = []
    signal.signal(signal.SIGTERM, lambda n, f: stop.append(n))
    print("ready", flush=True)
    deadline = time.monotonic() + a.max_seconds
    nconn = 0
    while not stop and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            kind, spec = key.data
            if kind == "udp":
                data, peer = key.fileobj.recvfrom(65536)
                log.write("udp %s from %s:%d bytes=%d\n"
                          % (spec, peer[0], peer[1], len(data)))
                continue
            try:
                c, peer = key.fileobj.accept()
            except OSError:
                continue
            if kind == "http":
                nconn += 1
                serve_redirect(c, spec, peer, nconn, log)
                continue
            first = b""
            c.settimeout(1)
            try:
                while b"\n" not in first and len(first) < 200:
                    chunk = c.recv(200)
                    if not chunk:
                        break
                    first += chunk
            except OSError:
                pass
            c.close()
            log.write("tcp %s from %s:%d first=%s\n"
                      % (spec, peer[0], peer[1],
                         printable(first.split(b"\r\n")[0].split(b"\n")[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
