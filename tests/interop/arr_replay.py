#!/usr/bin/env python3
"""Replay the Transmission RPC requests of Sonarr's and Radarr's
download-client proxies against rpcd, as they send them, and check each
answer for what they parse.

    arr_replay.py URL USER PASSWORD REQUESTS.json PHASE [KEY=VALUE ...]

SID=ID starts each client with that session id, as a proxy that kept
one from an earlier rpcd.  REQUESTS.json is a list of steps; the steps of PHASE run in order.  Each
names the client it imitates, the method and arguments (strings
"$KEY" are replaced by the KEY=VALUE given), and what its answer must
hold ("expect").  The session handshake is the proxies': a first request
without a session id answered 409 with the X-Transmission-Session-Id
header, the id kept and sent with every request, and a request answered
409 retried once with the new id.  Basic auth on every request.

Prints "ok - ..." or "not ok - ..." a check, as tests/integration do;
exits 1 if any failed.
"""
import base64
import http.client
import json
import re
import sys
import time
import urllib.parse

FAILED = False


def ok(name, cond, why=""):
    global FAILED
    if cond:
        print("ok - %s" % name)
    else:
        FAILED = True
        print("not ok - %s%s" % (name, (": " + why) if why else ""))
    return cond


class Proxy:
    """The session handling of the *arr TransmissionProxy."""

    def __init__(self, url, user, password):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path
        self.auth = "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode()
        self.sid = None
        self.handshakes = 0
        self.retries = 0

    def _send(self, method, body, headers):
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        h = {"Authorization": self.auth, "Accept": "application/json",
             "Host": "%s:%d" % (self.host, self.port)}
        h.update(headers)
        c.request(method, self.path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        sid = r.getheader("X-Transmission-Session-Id")
        c.close()
        return r.status, sid, data

    def authenticate(self):
        # The login request: no body, no session id; 409 expected.
        status, sid, _ = self._send("GET", None, {})
        self.handshakes += 1
        if status != 409 or not sid:
            raise RuntimeError("handshake: HTTP %d, session id %r" %
                               (status, sid))
        self.sid = sid

    def request(self, method, arguments):
        if self.sid is None:
            self.authenticate()
        data = {"method": method}
        if arguments is not None:
            data["arguments"] = arguments
        body = json.dumps(data).encode()
        hdr = {"Content-Type": "application/json",
               "X-Transmission-Session-Id": self.sid}
        status, sid, raw = self._send("POST", body, hdr)
        if status == 409:
            self.retries += 1
            self.authenticate()
            hdr["X-Transmission-Session-Id"] = self.sid
            status, sid, raw = self._send("POST", body, hdr)
        if status != 200:
            raise RuntimeError("HTTP %d: %r" % (status, raw[:200]))
        return json.loads(raw)


def subst(v, env):
    if isinstance(v, str) and v.startswith("$") and v[1:] in env:
        return env[v[1:]]
    if isinstance(v, list):
        return [subst(x, env) for x in v]
    if isinstance(v, dict):
        return {k: subst(x, env) for k, x in v.items()}
    return v


# The .NET types the proxies deserialise into.
def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


TYPES = {
    "int": is_int, "number": is_num, "string": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "strings": lambda v: isinstance(v, list) and
    all(isinstance(x, str) for x in v),
}


def version_ok(v):
    # Radarr's and Sonarr's regex: the first dotted number not in
    # parentheses, at least 2.40.
    m = re.search(r"(?<!\(|(\d|\.))(\d|\.)+(?!\)|(\d|\.))", v)
    if not m:
        return False
    parts = [int(x) for x in m.group(0).split(".") if x != ""]
    return tuple(parts + [0] * 2)[:2] >= (2, 40)


def check_step(step, resp, env):
    name = "%s %s (%s)" % (step["client"], step["method"], step["name"])
    exp = step.get("expect", {})
    result = resp.get("result")
    if "result" in exp:
        ok(name + ": result " + exp["result"], result == exp["result"],
           "got %r" % result)
    if "result_has" in exp:
        ok(name + ": result says " + exp["result_has"],
           isinstance(result, str) and exp["result_has"] in result,
           "got %r" % result)
    args = resp.get("arguments", {})
    for k, t in exp.get("types", {}).items():
        ok(name + ": %s is %s" % (k, t), k in args and TYPES[t](args[k]),
           "got %r" % args.get(k))
    if exp.get("version"):
        ok(name + ": version >= 2.40 by the proxies' regex",
           version_ok(args.get("version", "")), repr(args.get("version")))
    for k, v in exp.get("equals", {}).items():
        v = subst(v, env)
        ok(name + ": %s = %r" % (k, v), args.get(k) == v,
           "got %r" % args.get(k))
    if "added" in exp:
        key = exp["added"]
        t = args.get(key)
        ok(name + ": " + key, isinstance(t, dict) and is_int(t.get("id"))
           and isinstance(t.get("hashString"), str) and
           isinstance(t.get("name"), str), repr(args))
    if "torrents" in exp:
        te = exp["torrents"]
        ts = args.get("torrents")
        if not ok(name + ": torrents is a list", isinstance(ts, list),
                  repr(args)):
            return
        if "count" in te:
            ok(name + ": %d torrents" % te["count"],
               len(ts) == te["count"], "got %d" % len(ts))
        for t in ts:
            for k, typ in te.get("types", {}).items():
                ok(name + ": %s of %s is %s" % (k, t.get("hashString"), typ),
                   k in t and TYPES[typ](t[k]), "got %r" % t.get(k))
            if is_int(t.get("status")):
                ok(name + ": status 0-6", 0 <= t["status"] <= 6,
                   repr(t["status"]))
        for h, want in te.get("each", {}).items():
            h = subst(h, env)
            m = [t for t in ts if t.get("hashString") == h]
            if not ok(name + ": %s is there" % h, len(m) == 1):
                continue
            for k, v in want.items():
                v = subst(v, env)
                got = m[0].get(k)
                if isinstance(v, dict) and "min" in v:
                    ok(name + ": %s >= %r" % (k, v["min"]),
                       is_num(got) and got >= v["min"], "got %r" % got)
                else:
                    ok(name + ": %s = %r" % (k, v), got == v,
                       "got %r" % got)


def main():
    url, user, pw, path, phase = sys.argv[1:6]
    env = dict(a.split("=", 1) for a in sys.argv[6:])
    steps = [s for s in json.load(open(path)) if s["phase"] == phase]
    ok("phase %s has steps" % phase, len(steps) > 0)
    proxies = {}
    for step in steps:
        if step["client"] not in proxies:
            proxies[step["client"]] = Proxy(url, user, pw)
            # A session id kept from before (SID=): it may be stale.
            proxies[step["client"]].sid = env.get("SID")
        p = proxies[step["client"]]
        for _ in range(step.get("wait", 0) * 2 + 1):
            try:
                resp = p.request(step["method"],
                                 subst(step.get("arguments"), env))
            except Exception as e:  # noqa: BLE001 -- reported as a failure
                resp = {"error": str(e)}
            if "error" in resp or not step.get("wait"):
                break
            # A step that waits: asked again each half second until its
            # expectations hold, for at most "wait" seconds.
            global FAILED
            saved = FAILED
            import io
            import contextlib
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                check_step(step, resp, env)
            held = not FAILED
            FAILED = saved
            if held:
                break
            time.sleep(0.5)
        if not ok("%s %s (%s): answered" % (step["client"], step["method"],
                                            step["name"]),
                  "error" not in resp, resp.get("error", "")):
            continue
        check_step(step, resp, env)
    for name, p in proxies.items():
        if phase == "retry":
            ok("%s: retried after a 409 with a new session id" % name,
               p.retries >= 1, "retries %d" % p.retries)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
