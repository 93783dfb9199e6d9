#!/usr/bin/env python3
"""Hostile HTTP clients for rpcd's tests.

    slow_clients.py slowloris HOST PORT N SECONDS
        N connections that each send a request header a byte a second;
        prints, for each, "cut AFTER" (seconds until the server closed
        it) or "open" if it still was after SECONDS.
    slow_clients.py idle HOST PORT N SECONDS
        N connections that send nothing, held SECONDS, then closed;
        prints "connected C of N" and "cut K" (closed by the server).
"""
import resource
import select
import socket
import sys
import time

HEADER = (b"POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          b"X-Slow: " + b"a" * 4096)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(n + 64, soft), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect_all(host, port, n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    return socks


def closed(s):
    """True if the peer closed or reset s (without blocking)."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        return s.recv(4096) == b""
    except (ConnectionError, OSError):
        return True


def slowloris(host, port, n, seconds):
    raise_nofile(n)
    socks = connect_all(host, port, n)
    t0 = time.monotonic()
    cut = [None] * n
    i = 0
    while time.monotonic() - t0 < seconds and None in cut:
        for k, s in enumerate(socks):
            if cut[k] is not None:
                continue
            if closed(s):
                cut[k] = time.monotonic() - t0
                continue
            try:
                s.send(HEADER[i:i + 1])
            except BlockingIOError:
                pass
            except OSError:
                cut[k] = time.monotonic() - t0
        i = min(i + 1, len(HEADER) - 1)
        time.sleep(1)
    for c in cut:
        print("open" if c is None else "cut %.1f" % c, flush=True)


def idle(host, port, n, seconds):
    raise_nofile(n)
    socks = connect_all(host, port, n)
    time.sleep(1)
    up = 0
    for s in socks:
        try:
            s.getpeername()
            up += 1
        except OSError:
            pass
    print("connected %d of %d" % (up, n), flush=True)
    time.sleep(max(0, seconds - 1))
    print("cut %d" % sum(1 for s in socks if closed(s)), flush=True)
    for s in socks:
        s.close()


def main():
    what, host, port, n, seconds = sys.argv[1:6]
    f = slowloris if what == "slowloris" else idle
    f(host, int(port), int(n), float(seconds))


if __name__ == "__main__":
    main()
