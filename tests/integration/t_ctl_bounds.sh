#!/bin/sh
# ctl reply queues are bounded: clients that pipeline requests without
# reading the replies are not read either, so btd's memory stays flat;
# each still gets every reply, in order, once it reads; and the others
# are served meanwhile.
. "$(dirname "$0")/lib.sh"

btd_start c -p 17501
check "four roles running" wait_for 10 all_running
rss() { awk '/^VmRSS:/ {print $2}' /proc/$BTD_PID/status; }
before=$(rss)

cat >"$T/flood.py" <<'PY'
import socket, struct, sys, threading, time
path, nclients, nreq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
req = struct.pack(">I", 2) + b"\x0a\x00"	# CtlRequest{status: {}}
socks, sent = [], [0] * nclients
def flood(i):
    s = socks[i]
    s.settimeout(0.5)
    chunk = req * 1000
    while sent[i] < nreq:
        try:
            s.sendall(chunk)
            sent[i] += 1000
        except (socket.timeout, BlockingIOError):
            break		# btd stopped reading us: what was asked for
for i in range(nclients):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(path)
    socks.append(s)
ts = [threading.Thread(target=flood, args=(i,)) for i in range(nclients)]
for t in ts: t.start()
for t in ts: t.join()
print("sent", sum(sent), flush=True)
sys.stdin.readline()		# the test measures btd now
# Read back: one reply per request that btd read, and every reply whole.
total = 0
for s in socks:
    s.settimeout(3)
    buf, n = b"", 0
    try:
        while True:
            d = s.recv(1 << 20)
            if not d: break
            buf += d
            while len(buf) >= 4:
                ln = struct.unpack(">I", buf[:4])[0]
                if len(buf) < 4 + ln: break
                if buf[4:6] != b"\x08\x01": print("bad reply", flush=True); sys.exit(1)
                buf = buf[4 + ln:]
                n += 1
    except socket.timeout:
        pass
    total += n
print("replies", total, flush=True)
PY

mkfifo "$T/go"
$PY "$T/flood.py" "$SOCK" 4 150000 <"$T/go" >"$T/flood.out" 2>&1 &
FL=$!
PIDS="$PIDS $FL"
exec 9>"$T/go"
check "the flood was sent" wait_for 60 grep -q '^sent' "$T/flood.out"
sleep 1
during=$(rss)
check "btd's memory stays bounded (RSS $before kB before, $during kB during)" [ $((during - before)) -lt 65536 ]
check "another client is served during the flood" ctl status
check "btd logged no dropped output queue" sh -c "! grep -q 'output queue full' '$LOG'"
echo go >&9
exec 9>&-
check "the flooders read their replies" wait_for 60 grep -q '^replies' "$T/flood.out"
sent=$(awk '/^sent/ {print $2}' "$T/flood.out")
got=$(awk '/^replies/ {print $2}' "$T/flood.out")
check "replies were whole and ok" sh -c "! grep -q 'bad reply' '$T/flood.out'"
check "every request read got a whole reply ($got of $sent)" [ "${got:-0}" = "$sent" ]
check "btd still running" alive "$BTD_PID"
check "status after the flood" ctl status
