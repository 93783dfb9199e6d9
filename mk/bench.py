#!/usr/bin/python3
"""make bench: btd beside the reference clients on one local swarm.

A 512 MiB payload (BENCH_MB) is seeded by python3-libtorrent on
127.0.0.1 (added in seed mode and seeding before any clock starts) and
downloaded, runs alternated, by btd, by libtorrent's own client and by
aria2; then btd seeds and libtorrent leeches.  Each figure is the median
of BENCH_RUNS runs (at least 3).  For each client: wall seconds from the
add to the last piece verified, CPU seconds of all its processes over
that time, and peak anonymous RSS (RssAnon summed over its processes,
sampled every 50 ms: mapped file data is not counted).  The last lines
give btd's ratios to libtorrent.

The swarm scenario: a BENCH_SWARM_MB payload (64 MiB) seeded by
libtorrent limited to BENCH_SWARM_RATE bytes a second (8 MB/s), and four
leechers added together through opentracker -- four btd, then four
libtorrent -- timed from the add until the last of the four has every
piece (all stay in the swarm until then), with the seeder's upload in
copies of the payload (4.0 would mean no trading at all).
BENCH_ONLY=swarm runs that scenario alone; BENCH_ONLY=single the rest.

The recheck (part of single): btd's `btctl verify --wait` on the 512
MiB it seeds, then libtorrent, aria2 (aria2c -V, no tracker, seed time
0) and Transmission (transmission-daemon with a config dir of its own,
RPC and peer port on 127.0.0.1, the torrent added with its data in
place, which it verifies at once) check the same bytes from the page
cache, BENCH_RUNS times alternated (btd's check BENCH_VERIFIES times a
round, default 3): wall seconds, CPU seconds, btd's share of OpenSSL's
SHA-1 speed x cores (measured just before each of its checks) and btd's
speed-up over each.  Each check, and the SHA-1 speed, waits until
the cores have been 90% idle for 0.3 s (at most 15 s; the idle share is
printed): other processes on these cores, such as what the transfers
left running, would slow every client down.  So is OpenSSL's SHA-1
on every core at once, a thread each on its own 256 MiB: cores sharing
memory and caches do not each hash as fast as one alone, and that is
what a perfect parallel check could reach here.  BENCH_ONLY=recheck
runs only that, btd adding the payload with its data in place instead
of downloading it first.

The scale scenario (BENCH_ONLY=scale, not part of the default run): for
each n of BENCH_SCALE (10000,100000), n small complete torrents.  btd:
a state.db of n seeding torrents (the first added with btctl, the rest
its row copied, see scale_btd_state()), then the time from btd's start
until a full `btctl list --json` answers with every torrent, until
every role has them all, the peak anonymous RSS of all its processes
until 5 s after that, one list and one list --json, and the shutdown.  libtorrent (python3-libtorrent, from
resume data in seed mode: every piece there) and Transmission 3.00
(transmission-daemon, its torrents checked in a first run, the second
run measured): the time from the start until every torrent is listed,
and anonymous RSS; Transmission only up to BENCH_SCALE_TR_MAX (10000),
libtorrent up to BENCH_SCALE_LT_MAX (100000).  Transmission checks
about ten torrents a second here, so its first run lasts at most
BENCH_SCALE_TR_CHECK seconds (120) and the report says how many it had
checked: the others wait for a check in the measured run, which does
not delay its list.

Run as root: everything happens inside a network namespace of its own
with only loopback (mk/bench.sh sets that up).
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.environ.get("B", os.path.join(TOP, "build"))
BTD = os.path.join(B, "bin", "btd")
BTCTL = os.path.join(B, "bin", "btctl")
PY = "/usr/bin/python3"
LT_PEER = os.path.join(TOP, "tests", "interop", "lt_peer.py")
MB = int(os.environ.get("BENCH_MB", "512"))
RUNS = max(3, int(os.environ.get("BENCH_RUNS", "3")))
# btd's checks a recheck round, each beside the SHA-1 speed measured just
# before it: a check is short, and the speed of these cores drifts.
VERIFIES = max(1, int(os.environ.get("BENCH_VERIFIES", "3")))
SWARM_MB = int(os.environ.get("BENCH_SWARM_MB", "64"))
SWARM_RATE = int(os.environ.get("BENCH_SWARM_RATE", "8000000"))
ONLY = os.environ.get("BENCH_ONLY", "")
SCALE = [int(x) for x in
         os.environ.get("BENCH_SCALE", "10000,100000").split(",")]
SCALE_LT_MAX = int(os.environ.get("BENCH_SCALE_LT_MAX", "100000"))
SCALE_TR_MAX = int(os.environ.get("BENCH_SCALE_TR_MAX", "10000"))
SCALE_TR_CHECK = int(os.environ.get("BENCH_SCALE_TR_CHECK", "120"))
TICK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(*a, flush=True)


def payload(path, size):
    """Deterministic bytes: an AES-128-CTR keystream."""
    with open(path, "wb") as f:
        p = subprocess.Popen(
            ["openssl", "enc", "-aes-128-ctr", "-nosalt",
             "-K", "000102030405060708090a0b0c0d0e0f",
             "-iv", "00000000000000000000000000000000"],
            stdin=open("/dev/zero", "rb"),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        left = size
        while left > 0:
            chunk = p.stdout.read(min(left, 1 << 20))
            f.write(chunk)
            left -= len(chunk)
        p.kill()
        p.wait()


def wait_port(port, limit=20):
    end = time.time() + limit
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def proc_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def proc_anon(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == pid:
            out.append(int(d))
    return out


def stop(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def spawn(argv, out, **kw):
    return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, **kw)


class Swarm:
    def __init__(self, work, mb=MB, name="seed", plog=20):
        self.work = work
        self.seed = os.path.join(work, name)
        os.makedirs(self.seed)
        self.data = os.path.join(self.seed, "bench.bin")
        log("bench: making a %d MiB payload" % mb)
        payload(self.data, mb << 20)
        self.torrent = os.path.join(work, name + ".torrent")
        subprocess.check_call(
            ["mktorrent", "-l", str(plog), "-a",
             "http://127.0.0.1:6969/announce",
             "-o", self.torrent, self.data], stdout=subprocess.DEVNULL)
        import libtorrent as lt
        self.ih = str(lt.torrent_info(self.torrent).info_hashes().v1)
        with open(self.data, "rb") as f:
            self.sha = hashlib.sha1(f.read()).hexdigest()

    def start_seeder(self, port=7501, extra=()):
        out = open(os.path.join(self.work, "lt_seed%d.out" % port), "w")
        self.seeder = spawn([PY, LT_PEER, "seed", self.torrent, self.seed,
                             str(port), "--seconds", "3600"] + list(extra),
                            out)
        end = time.time() + 60
        while time.time() < end:
            with open(out.name) as f:
                if "checked" in f.read():
                    break
            time.sleep(0.1)
        # Warm the seeder: its first upload is slower (page faults).
        self.port = port

    def check(self, path):
        with open(path, "rb") as f:
            return hashlib.sha1(f.read()).hexdigest() == self.sha


class Btd:
    """One btd instance, its state and download dirs under work/name."""

    def __init__(self, work, name, port):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "state", "btd.sock")
        self.dl = os.path.join(self.dir, "dl")
        self.out = open(os.path.join(self.dir, "log"), "w")
        self.p = spawn([BTD, "-f", "-S", os.path.join(self.dir, "state"),
                        "-D", self.dl, "-p", str(port)], self.out)
        end = time.time() + 10
        while time.time() < end:
            if self.ctl("status").returncode == 0:
                break
            time.sleep(0.05)

    def ctl(self, *args):
        return subprocess.run([BTCTL, "-s", self.sock] + list(args),
                              capture_output=True, text=True)

    def roles_up(self, limit=20):
        """Wait until its four roles run: an add needs metad and stored."""
        import json
        end = time.time() + limit
        while time.time() < end:
            try:
                j = json.loads(self.ctl("status", "--json").stdout)
                if sum(1 for r in j["roles"]
                       if r["state"] == "running") == 4:
                    return
            except ValueError:
                pass
            time.sleep(0.05)

    def pids(self):
        return [self.p.pid] + children(self.p.pid)

    def cpu(self):
        return sum(proc_cpu(p) for p in self.pids())

    def anon(self):
        return sum(proc_anon(p) for p in self.pids())

    def progress(self):
        import json
        r = self.ctl("list", "--json")
        try:
            t = json.loads(r.stdout)["torrents"]
        except ValueError:
            return None
        return t[0] if t else None

    def stop(self):
        self.ctl("shutdown")
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            pass
        stop(self.p)


def run_btd_leech(sw, work, i):
    b = Btd(work, "btd%d" % i, 7510 + i)
    b.roles_up()
    cpu0, peak = b.cpu(), b.anon()
    t0 = time.time()
    r = b.ctl("add", sw.torrent)
    if r.returncode != 0:
        b.stop()
        raise SystemExit("bench: btctl add: " + r.stderr.strip())
    done = None
    while time.time() - t0 < 300:
        t = b.progress()
        peak = max(peak, b.anon())
        if t and t.get("state") == "seeding":
            done = time.time() - t0
            break
        time.sleep(0.05)
    cpu = b.cpu() - cpu0
    ok = done is not None and sw.check(os.path.join(b.dl, "bench.bin"))
    b.stop()
    shutil.rmtree(b.dir, ignore_errors=True)
    if not ok:
        raise SystemExit("bench: btd did not download the payload")
    return done, cpu, peak


def run_lt_leech(sw, work, i):
    d = os.path.join(work, "lt%d" % i)
    os.makedirs(d)
    out = os.path.join(d, "out")
    p = spawn([PY, LT_PEER, "leech", sw.torrent, d, str(7530 + i),
               "--exit", "--seconds", "300", "--peer",
               "127.0.0.1:%d" % sw.port], open(out, "w"))
    p.wait(320)
    line = [l for l in open(out) if l.startswith("done")]
    ok = line and sw.check(os.path.join(d, "bench.bin"))
    shutil.rmtree(d, ignore_errors=True)
    if not ok:
        raise SystemExit("bench: libtorrent did not download the payload")
    f = line[0].split()
    return (float(f[1]), float(f[2].split("=")[1]),
            int(f[3].split("=")[1]))


def run_aria_leech(sw, work, i):
    d = os.path.join(work, "aria%d" % i)
    os.makedirs(d)
    t0 = time.time()
    p = spawn(["aria2c", "--enable-dht=false", "--enable-dht6=false",
               "--bt-enable-lpd=false", "--enable-peer-exchange=false",
               "--seed-time=0", "--file-allocation=falloc",
               "--interface=127.0.0.1", "--listen-port=%d" % (7550 + i),
               "--summary-interval=0", "--console-log-level=warn",
               "-d", d, sw.torrent], open(os.path.join(work, "aria.out"),
                                          "w"))
    peak, ru = 0, None
    while time.time() - t0 < 300:
        pid, status, r = os.wait4(p.pid, os.WNOHANG)
        if pid != 0:
            ru, p.returncode = r, status
            break
        peak = max(peak, proc_anon(p.pid))
        time.sleep(0.05)
    wall = time.time() - t0
    stop(p)
    cpu = (ru.ru_utime + ru.ru_stime) if ru else float("nan")
    ok = sw.check(os.path.join(d, "bench.bin"))
    shutil.rmtree(d, ignore_errors=True)
    if not ok:
        raise SystemExit("bench: aria2 did not download the payload")
    return wall, cpu, peak


def run_btd_seed(sw, work, i, seeder_btd):
    """libtorrent leeches from a btd that seeds the payload."""
    d = os.path.join(work, "lts%d" % i)
    os.makedirs(d)
    out = os.path.join(d, "out")
    cpu0, peak = seeder_btd.cpu(), seeder_btd.anon()
    t0 = time.time()
    p = spawn([PY, LT_PEER, "leech", sw.torrent, d, str(7570 + i),
               "--exit", "--seconds", "300", "--peer",
               "127.0.0.1:7590"], open(out, "w"))
    while p.poll() is None and time.time() - t0 < 320:
        peak = max(peak, seeder_btd.anon())
        time.sleep(0.05)
    line = [l for l in open(out) if l.startswith("done")]
    cpu = seeder_btd.cpu() - cpu0
    ok = line and sw.check(os.path.join(d, "bench.bin"))
    shutil.rmtree(d, ignore_errors=True)
    if not ok:
        raise SystemExit("bench: libtorrent did not download from btd")
    return float(line[0].split()[1]), cpu, peak


def sha1_speed(path):
    """MiB/s of OpenSSL's SHA-1 (through hashlib) on one core."""
    with open(path, "rb") as f:
        buf = f.read(256 << 20)
    t0 = time.process_time()
    hashlib.sha1(buf).digest()
    return (len(buf) >> 20) / max(time.process_time() - t0, 1e-6)


def sha1_speed_all(path, cores):
    """MiB/s of OpenSSL's SHA-1 on every core at once: a thread a core,
    each hashing 256 MiB of its own (hashlib lets go of the GIL).  Cores
    that share memory and caches do not all hash as fast as one alone:
    this is what a perfect parallel check could reach here."""
    import threading
    with open(path, "rb") as f:
        buf = f.read(256 << 20)
    bufs = [buf] + [bytes(bytearray(buf)) for _ in range(cores - 1)]
    th = [threading.Thread(target=lambda b=b: hashlib.sha1(b).digest())
          for b in bufs]
    t0 = time.time()
    for t in th:
        t.start()
    for t in th:
        t.join()
    return cores * (len(buf) >> 20) / max(time.time() - t0, 1e-6)


def aria_check(sw, d, i):
    """aria2c -V on the data in place (no tracker, no peers, seed time 0):
    wall from its start until its log says the verification finished
    (it then idles a tick of one second before it exits), CPU of its
    whole run."""
    import datetime
    alog = os.path.join(sw.work, "aria_check%d.log" % i)
    t0 = time.time()
    p = spawn(["aria2c", "--check-integrity=true", "--seed-time=0",
               "--seed-ratio=0.0", "--enable-dht=false",
               "--enable-dht6=false", "--bt-enable-lpd=false",
               "--enable-peer-exchange=false", "--bt-exclude-tracker=*",
               "--file-allocation=none", "--interface=127.0.0.1",
               "--listen-port=%d" % (7580 + i), "--summary-interval=0",
               "--console-log-level=warn", "--auto-save-interval=0",
               "--log=" + alog, "--log-level=notice", "-d", d, sw.torrent],
              open(os.path.join(sw.work, "aria_check%d.out" % i), "w"))
    ru = None
    while time.time() - t0 < 120:
        pid, status, r = os.wait4(p.pid, os.WNOHANG)
        if pid != 0:
            ru, p.returncode = r, status
            break
        time.sleep(0.01)
    stop(p)
    done = None
    try:
        for line in open(alog):
            if "Verification finished successfully" in line:
                # "2026-12-01 21:26:10.562929 [NOTICE] ...", local time
                done = datetime.datetime.strptime(
                    " ".join(line.split()[:2]),
                    "%Y-%m-%d %H:%M:%S.%f").timestamp() - t0
    except (OSError, ValueError):
        pass
    if ru is None or p.returncode != 0 or done is None:
        raise SystemExit("bench: aria2 did not check the payload")
    return done, ru.ru_utime + ru.ru_stime


class Transmission:
    """transmission-daemon on 127.0.0.1, config under work, driven by its
    RPC; nothing but loopback, no DHT, LPD, PEX, uTP or port mapping."""

    RPC, PEER = 7598, 7597

    def __init__(self, work):
        import json
        self.dir = os.path.join(work, "transmission")
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "settings.json"), "w") as f:
            json.dump({
                "dht-enabled": False, "lpd-enabled": False,
                "pex-enabled": False, "utp-enabled": False,
                "port-forwarding-enabled": False,
                "peer-port": self.PEER, "peer-port-random-on-start": False,
                "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
                "rpc-enabled": True, "rpc-bind-address": "127.0.0.1",
                "rpc-port": self.RPC, "rpc-authentication-required": False,
                "rpc-whitelist-enabled": False,
                "rpc-host-whitelist-enabled": False,
                "start-added-torrents": False, "watch-dir-enabled": False,
                "incomplete-dir-enabled": False, "message-level": 1,
                "download-dir": self.dir}, f)
        self.sid = ""
        self.p = spawn(["timeout", "-s", "KILL", "3600",
                        "transmission-daemon", "-f", "-g", self.dir],
                       open(os.path.join(self.dir, "out"), "w"))
        if not wait_port(self.RPC):
            stop(self.p)
            raise SystemExit("bench: transmission-daemon did not start")

    def rpc(self, method, **args):
        import json
        import urllib.error
        import urllib.request
        body = json.dumps({"method": method, "arguments": args}).encode()
        for _ in range(3):
            req = urllib.request.Request(
                "http://127.0.0.1:%d/transmission/rpc" % self.RPC, body,
                {"X-Transmission-Session-Id": self.sid})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return json.loads(r.read())
            except urllib.error.HTTPError as e:
                if e.code != 409:
                    raise
                self.sid = e.headers.get("X-Transmission-Session-Id", "")
        raise SystemExit("bench: transmission RPC refused " + method)

    def cpu(self):
        return sum(proc_cpu(p) for p in [self.p.pid] + children(self.p.pid))

    def check(self, sw, d):
        """Add the torrent (paused) with its data in d: a new torrent is
        verified at once.  Wall and CPU until every byte is verified."""
        cpu0, t0 = self.cpu(), time.time()
        r = self.rpc("torrent-add", filename=sw.torrent, paused=True,
                     **{"download-dir": d})
        t = r.get("arguments", {}).get("torrent-added")
        if t is None:
            raise SystemExit("bench: transmission: torrent-add: %s" % r)
        done = None
        while time.time() - t0 < 120:
            g = self.rpc("torrent-get", ids=[t["id"]],
                         fields=["status", "haveValid", "sizeWhenDone"])
            g = g["arguments"]["torrents"][0]
            if (g["status"] not in (1, 2) and g["sizeWhenDone"] > 0 and
                    g["haveValid"] == g["sizeWhenDone"]):
                done = time.time() - t0
                break
            time.sleep(0.01)
        cpu = self.cpu() - cpu0
        self.rpc("torrent-remove", ids=[t["id"]],
                 **{"delete-local-data": False})
        if done is None:
            raise SystemExit("bench: transmission did not verify the data")
        return done, cpu

    def stop(self):
        stop(self.p)


def cpu_idle(secs):
    """Share of the machine's CPU time idle over the next secs."""
    def read():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)
    i0, t0 = read()
    time.sleep(secs)
    i1, t1 = read()
    return (i1 - i0) / max(t1 - t0, 1)


def settle(limit=15):
    """Wait, at most limit s, until the cores have been 90% idle for
    0.3 s: what ran just before (the transfers, the other clients'
    checks and what they do after) is not measured with a check, nor
    with the SHA-1 speed it is compared with.  Returns the idle share."""
    end = time.time() + limit
    while True:
        idle = cpu_idle(0.3)
        if idle >= 0.9 or time.time() >= end:
            return idle


def run_recheck(sw, work, seeder, i, tr):
    """btctl verify --wait on btd's seeded copy, then libtorrent's full
    check, aria2's and Transmission's of the same bytes; all from the
    page cache (btd's verify reads it in first), each once the machine
    is quiet."""
    idle = settle()
    sha_all = sha1_speed_all(sw.data, os.cpu_count() or 1)
    pairs = []
    for _ in range(VERIFIES):
        sha = sha1_speed(sw.data)
        cpu0 = seeder.cpu()
        t0 = time.time()
        r = seeder.ctl("verify", sw.ih, "--wait")
        bt = time.time() - t0
        btc = seeder.cpu() - cpu0
        if (r.returncode != 0 or
                "%d of %d pieces good" % (MB, MB) not in r.stdout):
            raise SystemExit("bench: btctl verify: " +
                             (r.stdout + r.stderr).strip())
        pairs.append((bt, btc, sha))
    bt = statistics.median(x[0] for x in pairs)
    btc = statistics.median(x[1] for x in pairs)
    sha = statistics.median(x[2] for x in pairs)
    d = os.path.join(work, "ltcheck%d" % i)
    os.makedirs(d)
    out = os.path.join(d, "out")
    settle()
    p = spawn([PY, LT_PEER, "check", sw.torrent, seeder.dl, str(7560 + i),
               "--seconds", "120"], open(out, "w"))
    p.wait(130)
    line = [l for l in open(out) if l.startswith("checked")]
    if not line:
        raise SystemExit("bench: libtorrent did not check the payload")
    f = line[0].split()
    shutil.rmtree(d, ignore_errors=True)
    settle()
    at, atc = aria_check(sw, seeder.dl, i)
    settle()
    tt, ttc = tr.check(sw, seeder.dl)
    log("bench: recheck %d: btd %s s, libtorrent %.2f s, aria2 %.2f s, "
        "Transmission %.2f s; SHA-1 %s MiB/s; %.0f%% idle before" %
        (i + 1, " ".join("%.3f" % x[0] for x in pairs), float(f[1]), at, tt,
         " ".join("%.0f" % x[2] for x in pairs), 100 * idle))
    return (bt, btc, float(f[1]), float(f[2].split("=")[1]), at, atc, tt,
            ttc, sha, sha_all, pairs)


def report_recheck(rechecks):
    cores = os.cpu_count() or 1
    sha = statistics.median(r[8] for r in rechecks)
    bt, btc = med(rechecks, 0), med(rechecks, 1)
    log("")
    log("recheck of %d MiB from the page cache, median of %d runs:"
        % (MB, len(rechecks)))
    log("  SHA-1 (OpenSSL, one core): %.0f MiB/s; %d cores; load average "
        "%.1f" % (sha, cores, os.getloadavg()[0]))
    # Each check beside the SHA-1 speed measured just before it: the
    # speed of these cores drifts with what else runs on them.
    ratio = statistics.median(MB / x[0] / (x[2] * cores)
                              for r in rechecks for x in r[10])
    log("  btd verify:  %.2f s, %.0f MiB/s, CPU %.2f s: %.0f%% of SHA-1 "
        "x cores (median of the %d checks' ratios)" %
        (bt, MB / bt, btc, 100 * ratio, sum(len(r[10]) for r in rechecks)))
    log("  btd CPU %.2f s where SHA-1 alone takes %.2f s: %.0f%% (what the "
        "cores left to btd bounds the rest)" % (btc, MB / sha,
                                               100 * MB / sha / btc))
    sha_all = statistics.median(r[9] for r in rechecks)
    log("  SHA-1 on all %d cores at once (OpenSSL, a thread each): %.0f "
        "MiB/s, %.2fx one core; btd verify is %.0f%% of that" %
        (cores, sha_all, sha_all / sha, 100 * statistics.median(
            MB / r[0] / r[9] for r in rechecks)))
    for k, name, how in ((2, "libtorrent", "from the add"),
                         (4, "aria2", "aria2c -V, from its start"),
                         (6, "Transmission", "from the add")):
        w, c = med(rechecks, k), med(rechecks, k + 1)
        log("  %-12s %.2f s, %.0f MiB/s, CPU %.2f s (%s); btd %.2fx as "
            "fast" % (name + ":", w, MB / w, c, how, w / bt))


def seeder_uploaded(sw, stats):
    """Stop the swarm's seeder gently (it writes its stats on SIGTERM)."""
    os.kill(sw.seeder.pid, signal.SIGTERM)
    try:
        sw.seeder.wait(10)
    except subprocess.TimeoutExpired:
        stop(sw.seeder)
    try:
        with open(stats) as f:
            return int(f.read().split()[0].split("=")[1])
    except (OSError, ValueError, IndexError):
        return 0


def swarm_btd(sw, work):
    """Four btd leechers added at once; seconds until all have it."""
    stats = os.path.join(work, "swarm_btd.stats")
    sw.start_seeder(7601, ["--up-rate", str(SWARM_RATE), "--stats", stats])
    bs = [Btd(work, "swarm%d" % i, 7610 + i) for i in range(4)]
    time.sleep(0.5)		# roles up
    t0 = time.time()
    adds = [subprocess.Popen([BTCTL, "-s", b.sock, "add", sw.torrent],
                             stdout=subprocess.DEVNULL) for b in bs]
    for a in adds:
        a.wait()
    done = {}
    while time.time() - t0 < 600 and len(done) < 4:
        for i, b in enumerate(bs):
            t = b.progress()
            if i not in done and t and t.get("state") == "seeding":
                done[i] = time.time() - t0
        time.sleep(0.1)
    ok = len(done) == 4 and all(
        sw.check(os.path.join(b.dl, "bench.bin")) for b in bs)
    for b in bs:
        b.stop()
        shutil.rmtree(b.dir, ignore_errors=True)
    up = seeder_uploaded(sw, stats)
    if not ok:
        raise SystemExit("bench: the btd swarm did not complete")
    return max(done.values()), up


def swarm_lt(sw, work):
    """The same with four libtorrent leechers."""
    stats = os.path.join(work, "swarm_lt.stats")
    sw.start_seeder(7602, ["--up-rate", str(SWARM_RATE), "--stats", stats])
    ds, ps, outs = [], [], []
    t0 = time.time()
    for i in range(4):
        d = os.path.join(work, "swarmlt%d" % i)
        os.makedirs(d)
        ds.append(d)
        outs.append(os.path.join(d, "out"))
        ps.append(spawn([PY, LT_PEER, "leech", sw.torrent, d,
                         str(7620 + i), "--seconds", "600"],
                        open(outs[-1], "w")))
    done = {}
    while time.time() - t0 < 600 and len(done) < 4:
        for i, o in enumerate(outs):
            if i not in done and any(l.startswith("done") for l in open(o)):
                done[i] = time.time() - t0
        time.sleep(0.1)
    for p in ps:
        stop(p)
    ok = len(done) == 4 and all(
        sw.check(os.path.join(d, "bench.bin")) for d in ds)
    for d in ds:
        shutil.rmtree(d, ignore_errors=True)
    up = seeder_uploaded(sw, stats)
    if not ok:
        raise SystemExit("bench: the libtorrent swarm did not complete")
    return max(done.values()), up


def run_swarm(work):
    sw = Swarm(work, SWARM_MB, "swarmseed", 18)
    with open(os.path.join(work, "ot", "whitelist"), "a") as f:
        f.write(sw.ih + "\n")
    return sw


def report_swarm(rows):
    size = SWARM_MB << 20
    log("")
    log("bench: swarm of %d MiB, one libtorrent seeder at %.1f MB/s, four "
        "leechers added together" % (SWARM_MB, SWARM_RATE / 1e6))
    log("%-26s %10s %16s" % ("leechers", "all done s", "seeder uploaded"))
    for k, (w, up) in rows:
        log("%-26s %10.2f %14.2f x" % (k, w, up / size))


def med(rows, k):
    return statistics.median(r[k] for r in rows)


def bencode(x):
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, bytes):
        return b"%d:%s" % (len(x), x)
    if isinstance(x, str):
        return bencode(x.encode())
    if isinstance(x, list):
        return b"l" + b"".join(bencode(i) for i in x) + b"e"
    return b"d" + b"".join(bencode(k) + bencode(x[k])
                           for k in sorted(x)) + b"e"


def scale_start(d, port):
    out = open(os.path.join(d, "log"), "a")
    p = spawn([BTD, "-f", "-S", os.path.join(d, "state"), "-D",
               os.path.join(d, "dl"), "-p", str(port)], out)
    return p


def scale_ctl(d, *args):
    return subprocess.run([BTCTL, "-s", os.path.join(d, "state", "btd.sock")]
                          + list(args), capture_output=True, text=True,
                          timeout=60)


def scale_pids(p):
    return [p.pid] + children(p.pid)


def scale_items(d, n):
    """n one-piece torrents of 1 KiB each, their data in d/dl."""
    dl, tor = os.path.join(d, "dl"), os.path.join(d, "tor")
    os.makedirs(dl)
    os.makedirs(tor)
    items = []
    for i in range(n):
        name = "f%06d.bin" % i
        body = hashlib.sha256(b"%d" % i).digest() * 32
        path = os.path.join(dl, name)
        with open(path, "wb") as f:
            f.write(body)
        info = bencode({"name": name, "length": len(body),
                        "piece length": 16384,
                        "pieces": hashlib.sha1(body).digest()})
        tpath = os.path.join(tor, "t%06d.torrent" % i)
        with open(tpath, "wb") as f:
            f.write(b"d8:announce" + bencode(SCALE_ANNOUNCE) + b"4:info" +
                    info + b"e")
        items.append((name, info, hashlib.sha1(info).digest(), tpath,
                      os.stat(path).st_mtime_ns, len(body)))
    return items


SCALE_ANNOUNCE = "http://127.0.0.1:9/announce"


def pb_varint(n):
    o = bytearray()
    while True:
        c, n = n & 0x7f, n >> 7
        if n:
            o.append(c | 0x80)
        else:
            o.append(c)
            return bytes(o)


def pb_field(f, v):
    """A proto3 field: an int (varint) or bytes (length-delimited)."""
    if isinstance(v, int):
        return pb_varint(f << 3) + pb_varint(v)
    return pb_varint(f << 3 | 2) + pb_varint(len(v)) + v


def scale_meta(name, ih, size):
    """The packed TorrentDesc (proto/torrent.proto) metad makes of one."""
    n = name.encode()
    return (pb_field(1, ih) + pb_field(2, n) + pb_field(3, 16384) +
            pb_field(4, 1) + pb_field(5, size) +
            pb_field(7, pb_field(1, n) + pb_field(2, size)) +
            pb_field(8, pb_field(1, SCALE_ANNOUNCE.encode())))


def scale_btd_state(d, items):
    """
    btd's state.db with every item seeding: the first is added with
    btctl and checked by btd itself; the others are its row copied
    with their own info dictionary, hash and file record, which is
    checked first to give the very row btd wrote for the first.
    (Adding 100,000 through btctl takes most of an hour here.)
    """
    import sqlite3
    p = scale_start(d, 7620)
    try:
        end = time.time() + 20
        while scale_ctl(d, "status").returncode != 0:
            if time.time() > end:
                raise SystemExit("bench: scale: btd did not start")
            time.sleep(0.05)
        r = scale_ctl(d, "add", items[0][3])
        if r.returncode != 0:
            raise SystemExit("bench: scale: btctl add: " + r.stderr.strip())
        end = time.time() + 60
        while time.time() < end:
            j = json.loads(scale_ctl(d, "list", "--json").stdout)
            if j["torrents"] and j["torrents"][0]["state"] == "seeding":
                break
            time.sleep(0.2)
        else:
            raise SystemExit("bench: scale: the first torrent is not "
                             "seeding")
        scale_ctl(d, "shutdown")
        p.wait(30)
    finally:
        stop(p)
    db = sqlite3.connect(os.path.join(d, "state", "state.db"))
    cols = [c[1] for c in db.execute("PRAGMA table_info(torrents)")]
    row = dict(zip(cols, db.execute("SELECT * FROM torrents").fetchone()))
    name, info, ih, _, mtime, size = items[0]
    if (row["info_hash"], row["info"], row["meta"]) != \
            (ih, info, scale_meta(name, ih, size)):
        raise SystemExit("bench: scale: btd's row is not what the copies "
                         "would be; mk/bench.py scale_meta() is out of date")
    frow = db.execute("SELECT idx, priority, size FROM files").fetchone()
    if frow != (0, 1, size):
        raise SystemExit("bench: scale: btd's file record differs: %r" %
                         (frow,))
    rows, files, trks = [], [], []
    for i, (name, info, ih, _, mtime, size) in enumerate(items[1:]):
        r = dict(row)
        r.update(info_hash=ih, seq=row["seq"] + 1 + i, name=name, info=info,
                 meta=scale_meta(name, ih, size))
        rows.append(tuple(r[c] for c in cols))
        files.append((ih, 0, 1, size, mtime))
        trks.append((ih, SCALE_ANNOUNCE, 0))
    with db:
        db.executemany("INSERT INTO torrents(%s) VALUES (%s)" %
                       (",".join(cols), ",".join("?" * len(cols))), rows)
        db.executemany("INSERT INTO files(info_hash, idx, priority, size, "
                       "mtime) VALUES (?, ?, ?, ?, ?)", files)
        db.executemany("INSERT INTO trackers(info_hash, url, tier) VALUES "
                       "(?, ?, ?)", trks)
    db.close()


def scale_btd(d, n):
    """The measured start of btd with n torrents in its state.db."""
    t0 = time.time()
    p = scale_start(d, 7620)
    try:
        first = None
        while time.time() - t0 < 120:
            r = scale_ctl(d, "list", "--json")
            t1 = time.time()
            if r.returncode == 0 and \
                    len(json.loads(r.stdout)["torrents"]) == n:
                first = t1 - t0
                break
            time.sleep(0.01)
        if first is None:
            raise SystemExit("bench: scale: no full list in 120 s")
        # Memory once every role has them all: every torrent seeding
        # again means stored checked it, and stored is fed after peerd
        # (the peak while that lasts, and over 5 s more).
        anon, end, settled = 0, time.time() + 300, None
        while time.time() < end:
            anon = max(anon, sum(proc_anon(q) for q in scale_pids(p)))
            if settled is None:
                r = scale_ctl(d, "list", "--json")
                if r.returncode == 0 and sum(
                        1 for t in json.loads(r.stdout)["torrents"]
                        if t["state"] == "seeding") == n:
                    settled = time.time() - t0
                    end = time.time() + 5
            time.sleep(0.1)
        parts = " ".join("%s %.1f" % (proc_name(q), proc_anon(q) / 1024)
                         for q in scale_pids(p))
        lists = {}
        for args in (("list",), ("list", "--json")):
            ts = []
            for _ in range(5):
                t1 = time.time()
                scale_ctl(d, *args)
                ts.append(time.time() - t1)
            lists[" ".join(args)] = statistics.median(ts)
        j = json.loads(scale_ctl(d, "list", "--json").stdout)
        seeding = sum(1 for t in j["torrents"] if t["state"] == "seeding")
        t1 = time.time()
        scale_ctl(d, "shutdown")
        p.wait(30)
        down = time.time() - t1
    finally:
        stop(p)
    return {"first": first, "anon": anon, "parts": parts, "lists": lists,
            "seeding": seeding, "down": down, "settled": settled}


def proc_name(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


# libtorrent: resume data made once (seed mode: every piece there), then
# a timed start that adds them all and asks for the torrents.
SCALE_LT = r"""
import os, sys, time
t0 = time.time()
import libtorrent as lt
mode, rdir, dl = sys.argv[1], sys.argv[2], sys.argv[3]
s = lt.session({"enable_dht": False, "enable_lsd": False,
                "enable_upnp": False, "enable_natpmp": False,
                "listen_interfaces": "127.0.0.1:7630"})
if mode == "make":
    tdir = sys.argv[4]
    tors = [os.path.join(tdir, t) for t in sorted(os.listdir(tdir))]
    for i, t in enumerate(tors):
        atp = lt.add_torrent_params()
        atp.ti = lt.torrent_info(t)
        atp.save_path = dl
        atp.flags |= lt.torrent_flags.seed_mode
        with open(os.path.join(rdir, "%06d.resume" % i), "wb") as f:
            f.write(lt.write_resume_data_buf(atp))
    sys.exit(0)
names = sorted(os.listdir(rdir))
for n in names:
    with open(os.path.join(rdir, n), "rb") as f:
        atp = lt.read_resume_data(f.read())
    atp.save_path = dl
    s.async_add_torrent(atp)
# Its alert queue drops what overflows: ask for the torrents instead.
n = 0
while time.time() - t0 < 600:
    s.pop_alerts()
    n = len(s.get_torrents())
    if n == len(names):
        break
    time.sleep(0.02)
print("listed %d %.3f" % (n, time.time() - t0), flush=True)
sys.stdin.read()
"""


def scale_lt(d, items):
    rdir = os.path.join(d, "lt-resume")
    os.makedirs(rdir)
    subprocess.run([PY, "-c", SCALE_LT, "make", rdir, os.path.join(d, "dl"),
                    os.path.join(d, "tor")], check=True, timeout=1200)
    t0 = time.time()
    p = subprocess.Popen([PY, "-c", SCALE_LT, "load", rdir,
                          os.path.join(d, "dl")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        line = p.stdout.readline().split()
        first = time.time() - t0
        if len(line) != 3 or int(line[1]) != len(items):
            raise SystemExit("bench: scale: libtorrent did not list them "
                             "all: %r" % line)
        anon, end = 0, time.time() + 5
        while time.time() < end:
            anon = max(anon, proc_anon(p.pid))
            time.sleep(0.1)
        p.stdin.close()
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            pass	# its teardown of 100,000 is not measured: killed
    finally:
        stop(p)
    return {"first": first, "anon": anon}


def tr_rpc(port, sid, body):
    """One Transmission RPC call: (session id, reply) or raises."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request("http://127.0.0.1:%d/transmission/rpc" %
                                 port, data=json.dumps(body).encode(),
                                 headers={"X-Transmission-Session-Id": sid})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return sid, json.loads(r.read())
    except urllib.error.HTTPError as e:
        if e.code == 409:
            return e.headers["X-Transmission-Session-Id"], None
        raise


def tr_list(port, sid):
    """(session id, torrents listed, of them seeding) or (sid, None, 0)."""
    try:
        sid, r = tr_rpc(port, sid, {"method": "torrent-get", "arguments":
                                    {"fields": ["id", "status",
                                                "percentDone"]}})
        if r is None:
            sid, r = tr_rpc(port, sid, {"method": "torrent-get",
                                        "arguments": {"fields": [
                                            "id", "status",
                                            "percentDone"]}})
    except OSError:
        return sid, None, 0
    if r is None:
        return sid, None, 0
    t = r["arguments"]["torrents"]
    return sid, len(t), sum(1 for x in t if x["status"] == 6)


def scale_tr(d, items):
    """
    transmission-daemon 3.00 with its torrents/ dir filled: a first run
    checks them and writes their resume files, the measured second run
    loads them; the time until torrent-get lists them all.
    """
    cfg = os.path.join(d, "tr")
    os.makedirs(os.path.join(cfg, "torrents"))
    for i, it in enumerate(items):
        shutil.copy(it[3], os.path.join(cfg, "torrents",
                                        "%s.%s.torrent" % (it[0],
                                                           it[2].hex()[:16])))
    port = 9095
    with open(os.path.join(cfg, "settings.json"), "w") as f:
        json.dump({"dht-enabled": False, "lpd-enabled": False,
                   "pex-enabled": False, "utp-enabled": False,
                   "port-forwarding-enabled": False,
                   "bind-address-ipv4": "127.0.0.1",
                   "bind-address-ipv6": "::1", "peer-port": 7631,
                   "rpc-port": port, "rpc-bind-address": "127.0.0.1",
                   "rpc-whitelist": "127.0.0.1",
                   "rpc-authentication-required": False,
                   "download-dir": os.path.join(d, "dl"),
                   "download-queue-enabled": False,
                   "seed-queue-enabled": False,
                   "queue-stalled-enabled": False,
                   "ratio-limit-enabled": False,
                   "message-level": 1}, f)

    def run(limit):
        t0 = time.time()
        p = spawn(["transmission-daemon", "-f", "-g", cfg],
                  subprocess.DEVNULL)
        sid, first, seeding = "", None, 0
        while time.time() - t0 < limit:
            sid, n, seeding = tr_list(port, sid)
            if n == len(items) and first is None:
                first = time.time() - t0
            if first is not None and seeding == len(items):
                break
            time.sleep(0.05)
        return p, first, seeding

    # It checks about ten a second here: what it has checked by then
    # is kept in its resume files, the rest is checked again later.
    p, first, seeding = run(SCALE_TR_CHECK)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(120)
    except subprocess.TimeoutExpired:
        pass
    stop(p)
    if first is None:
        raise SystemExit("bench: scale: Transmission did not list them "
                         "all in its first run")
    p, first, _ = run(300)
    try:
        if first is None:
            raise SystemExit("bench: scale: Transmission did not list "
                             "them all")
        anon, end = 0, time.time() + 5
        while time.time() < end:
            anon = max(anon, proc_anon(p.pid))
            time.sleep(0.1)
    finally:
        stop(p)
    return {"first": first, "anon": anon, "checked": seeding}


def run_scale(work, sizes):
    """btd, libtorrent and Transmission with n small complete torrents."""
    for n in sizes:
        d = os.path.join(work, "scale%d" % n)
        os.makedirs(d)
        log("bench: scale: making %d torrents" % n)
        items = scale_items(d, n)
        scale_btd_state(d, items)
        b = scale_btd(d, n)
        log("")
        log("bench: scale, %d complete torrents" % n)
        log("  btd: first full list --json %.2f s after the start; every "
            "role had them all (all seeding again) %s s after the start; "
            "anon RSS of all its processes %.1f MiB at most until 5 s "
            "after that (%s); list %.3f s, list --json %.3f s (medians of "
            "5); %d seeding; shutdown %.2f s" %
            (b["first"], "%.1f" % b["settled"] if b["settled"] else
             "not within 300", b["anon"] / 1024, b["parts"],
             b["lists"]["list"], b["lists"]["list --json"], b["seeding"],
             b["down"]))
        others = []
        if n <= SCALE_LT_MAX:
            others.append(("libtorrent", scale_lt(d, items)))
        else:
            log("  libtorrent: not run above %d torrents "
                "(BENCH_SCALE_LT_MAX)" % SCALE_LT_MAX)
        if n <= SCALE_TR_MAX:
            others.append(("Transmission", scale_tr(d, items)))
        else:
            log("  Transmission: not run above %d torrents: its first "
                "check and restart take many minutes there "
                "(BENCH_SCALE_TR_MAX)" % SCALE_TR_MAX)
        for k, o in others:
            log("  %s: all listed %.2f s after the start; anon RSS %.1f "
                "MiB%s" % (k, o["first"], o["anon"] / 1024,
                           "" if "checked" not in o else
                           " (%d checked and seeding before the restart)"
                           % o["checked"]))
            log("  btd / %s: start %.2fx, memory %.2fx" %
                (k, b["first"] / o["first"], b["anon"] / o["anon"]))
        shutil.rmtree(d, ignore_errors=True)


def run_recheck_only(work, procs):
    """BENCH_ONLY=recheck: btd adds the payload with its data in place
    (checked as it is added, the cross-seed case), then the rechecks."""
    sw = Swarm(work)
    seeder = Btd(work, "btdseed", 7590)
    procs.append(seeder.p)
    seeder.roles_up()
    os.makedirs(seeder.dl, exist_ok=True)
    dst = os.path.join(seeder.dl, "bench.bin")
    os.link(sw.data, dst)
    st = os.stat(seeder.dl)
    os.chown(dst, st.st_uid, st.st_gid)
    t0 = time.time()
    r = seeder.ctl("add", sw.torrent)
    if r.returncode != 0:
        raise SystemExit("bench: btctl add: " + r.stderr.strip())
    added = None
    while time.time() - t0 < 120:
        t = seeder.progress()
        if t and t.get("state") == "seeding":
            added = time.time() - t0
            break
        time.sleep(0.02)
    if added is None:
        raise SystemExit("bench: btd did not seed the data in place")
    tr = Transmission(work)
    procs.append(tr.p)
    rechecks = [run_recheck(sw, work, seeder, i, tr) for i in range(RUNS)]
    tr.stop()
    seeder.stop()
    log("")
    log("btd add of %d MiB with its data in place: seeding after %.2f s "
        "(checked as it was added; the page cache cold or warm)" %
        (MB, added))
    report_recheck(rechecks)


def main():
    work = tempfile.mkdtemp(prefix="btd-bench.")
    os.chmod(work, 0o755)
    procs = []
    try:
        if ONLY == "scale":
            run_scale(work, SCALE)
            return
        if ONLY == "recheck":
            run_recheck_only(work, procs)
            return
        ot = os.path.join(work, "ot")
        os.makedirs(ot)
        open(os.path.join(ot, "whitelist"), "w").close()
        sws = run_swarm(work) if ONLY in ("", "swarm") else None
        sw = Swarm(work) if ONLY != "swarm" else None
        if sw is not None:
            with open(os.path.join(ot, "whitelist"), "a") as f:
                f.write(sw.ih + "\n")
        otp = spawn(["opentracker", "-i", "127.0.0.1", "-p", "6969", "-P",
                     "6969", "-d", ot, "-w",
                     "/whitelist" if os.getuid() == 0 else
                     os.path.join(ot, "whitelist"), "-A", "127.0.0.1"],
                    subprocess.DEVNULL)
        procs.append(otp)
        wait_port(6969)
        if ONLY == "swarm":
            report_swarm([("btd", swarm_btd(sws, work)),
                          ("libtorrent", swarm_lt(sws, work))])
            return
        sw.start_seeder()
        procs.append(sw.seeder)
        res = {"btd": [], "libtorrent": [], "aria2": []}
        for i in range(RUNS):
            res["btd"].append(run_btd_leech(sw, work, i))
            res["libtorrent"].append(run_lt_leech(sw, work, i))
            res["aria2"].append(run_aria_leech(sw, work, i))
            log("bench: run %d: btd %.2f s, libtorrent %.2f s, aria2 %.2f s"
                % (i + 1, res["btd"][-1][0], res["libtorrent"][-1][0],
                   res["aria2"][-1][0]))
        # btd as the seeder: it gets the data from the seeder first.
        seeder = Btd(work, "btdseed", 7590)
        procs.append(seeder.p)	# stopped whatever fails below
        seeder.roles_up()
        r = seeder.ctl("add", sw.torrent)
        if r.returncode != 0:
            seeder.stop()
            raise SystemExit("bench: btctl add: " + r.stderr.strip())
        end = time.time() + 300
        while time.time() < end:
            t = seeder.progress()
            if t and t.get("state") == "seeding":
                break
            time.sleep(0.1)
        stop(sw.seeder)
        res["btd seeding"] = [run_btd_seed(sw, work, i, seeder)
                              for i in range(RUNS)]
        tr = Transmission(work)
        procs.append(tr.p)
        rechecks = [run_recheck(sw, work, seeder, i, tr) for i in range(RUNS)]
        tr.stop()
        seeder.stop()
        log("")
        log("bench: %d MiB, one seeder on 127.0.0.1, median of %d runs"
            % (MB, RUNS))
        log("%-26s %8s %9s %8s %12s" % ("leecher", "wall s", "MiB/s",
                                         "CPU s", "anon MiB"))
        for k in ("btd", "libtorrent", "aria2"):
            w, c, m = med(res[k], 0), med(res[k], 1), med(res[k], 2)
            log("%-26s %8.2f %9.0f %8.2f %12.1f" % (k + " <- libtorrent", w,
                                                    MB / w, c, m / 1024))
        w, c, m = (med(res["btd seeding"], 0), med(res["btd seeding"], 1),
                   med(res["btd seeding"], 2))
        log("%-26s %8.2f %9.0f %8.2f %12.1f" % ("libtorrent <- btd", w,
                                                MB / w, c, m / 1024))
        lw, lc, lm = (med(res["libtorrent"], 0), med(res["libtorrent"], 1),
                      med(res["libtorrent"], 2))
        bw, bc, bm = med(res["btd"], 0), med(res["btd"], 1), med(res["btd"], 2)
        log("")
        log("btd / libtorrent leeching: rate %.2fx, CPU %.2fx, memory %.2fx"
            % (lw / bw, bc / lc, bm / lm if lm else float("nan")))
        report_recheck(rechecks)
        if sws is not None:
            report_swarm([("btd", swarm_btd(sws, work)),
                          ("libtorrent", swarm_lt(sws, work))])
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(work, ignore_errors=True)


main()
