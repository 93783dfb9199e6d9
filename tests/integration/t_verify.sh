#!/bin/sh
# btctl verify: every piece hashed again, in parallel; a byte flipped on
# disk is found (exactly that piece) and downloaded again from a peer;
# the check's progress is reported; a paused torrent is verified when
# resumed; a magnet without metadata has nothing to verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

# 8 MiB in 256 KiB pieces: big.bin holds pieces 0-31.
swarm_init 8388608 18
NP=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').num_pieces())")

# a seeds the data in place; b downloads it.
mkdir -p "$T/inplace"
cp -r "$SEED/pay" "$T/inplace/"
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
btd_start a -p 7311 -c "$T/allow.conf"
SA=$SOCK LA=$LOG
ctl add "$TOR" -d "$T/inplace" >/dev/null
check "seeder: seeding the data in place" wait_for 20 seeding "$SA" "$ID"
nthr=$(grep -c '^processor' /proc/cpuinfo)
[ "$nthr" -gt 8 ] && nthr=8
check "stored hashes in one thread a CPU ($nthr)" grep -Eq " stored: stored\[[0-9]+\]: hashing in $nthr threads?\$" "$LA"

btd_start b -p 7312
SB=$SOCK LB=$LOG
ctl add "$TOR" >/dev/null
check "leecher: complete" ctl wait "$ID" --timeout 60
check "leecher: same bytes" same_data "$T/b/dl"
down0=$(tfield "$SB" "$ID" downloaded)

# Verify with nothing wrong: every piece hashed, all good.
out=$(ctl verify "$ID" --wait 2>&1); rc=$?
check "verify --wait of good data: exit 0 ($(echo "$out" | tail -1))" [ $rc = 0 ]
check "verify --wait: all $NP pieces good" sh -c "echo '$out' | grep -q ': verified: $NP of $NP pieces good ($NP hashed)\$'"
check "the log says every piece was hashed" grep -q "checked: $NP of $NP pieces verified ($NP hashed)" "$LB"
check "nothing downloaded again" [ "$(tfield "$SB" "$ID" downloaded)" = "$down0" ]

# One byte flipped in piece 5 (while btd runs: only a verify can see it).
off=$((5 * 262144 + 1000))
$PY - "$T/b/dl/pay/big.bin" "$off" <<'PYEOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)
    f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 0xff]))
PYEOF
check "the flipped file differs" sh -c "! cmp -s '$SEED/pay/big.bin' '$T/b/dl/pay/big.bin'"
out=$(ctl verify "$ID" --wait 2>&1); rc=$?
check "verify --wait of a flipped byte: exit 0 ($(echo "$out" | tail -1))" [ $rc = 0 ]
good=$((NP - 1))
check "verify --wait: exactly one piece bad" sh -c "echo '$out' | grep -q ': verified: $good of $NP pieces good ($NP hashed)\$'"
check "verify --wait: progress shown while checking" sh -c "echo '$out' | grep -q '% checked  '"
check "the log: $good of $NP verified, all hashed" grep -q "checked: $good of $NP pieces verified ($NP hashed)" "$LB"
check "the bad piece is downloaded again: complete" ctl wait "$ID" --timeout 60
check "same bytes again" same_data "$T/b/dl"
d1=$(tfield "$SB" "$ID" downloaded)
check "exactly one piece was downloaded again ($((d1 - down0)) bytes)" [ $((d1 - down0)) = 262144 ]

# --json, without --wait: the summary, state checking or queued.
js=$(ctl --json verify "$ID")
st=$(pyget "$js" "j['state']")
check "verify --json: the summary (state $st)" sh -c "[ '$st' = checking ] || [ '$st' = queued ] || [ '$st' = seeding ]"
ck=$(pyget "$js" "j['checked'], j['checks'], j['check_good'], j['check_hashed']")
check "verify --json: has checked, checks, check_good, check_hashed ($ck)" [ -n "$ck" ]
check "after it: seeding again" wait_for 20 seeding "$SB" "$ID"

# A show with wait_ms is held until the checks count or the state is not
# what the client gave, or wait_ms is over (verify --wait asks so).
cat >"$T/held.py" <<'PYEOF'
import socket, struct, sys, time
path, ih, checks, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def varint(n):
    b = b""
    while True:
        if n < 0x80: return b + bytes([n])
        b += bytes([n & 0x7f | 0x80]); n >>= 7
def fbytes(f, v): return varint(f << 3 | 2) + varint(len(v)) + v
def fint(f, v): return varint(f << 3) + varint(v)
def frame(body): return struct.pack(">I", len(body)) + body
def show(wait, checks, state):
    return frame(fbytes(8, fbytes(1, ih.encode()) + fint(2, wait) +
                        fint(3, checks) + fbytes(4, state.encode())))
def reply(s):
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        d = s.recv(65536)
        if not d: sys.exit("btd closed the connection")
        buf += d
    return buf[4:4 + struct.unpack(">I", buf[:4])[0]], buf[4 + struct.unpack(">I", buf[:4])[0]:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(path)
t0 = time.time()
if mode == "held":
    s.sendall(show(1500, checks, "seeding"))
    r, _ = reply(s)
    print("%.2f %s" % (time.time() - t0, "ok" if r[:2] == b"\x08\x01" and b"seeding" in r else "bad"))
elif mode == "stale":
    s.sendall(show(8000, checks + 1, "seeding"))
    r, _ = reply(s)
    print("%.2f %s" % (time.time() - t0, "ok" if r[:2] == b"\x08\x01" else "bad"))
elif mode == "order":
    # A held show, then a status in the same write: the status is
    # answered after the show.
    s.sendall(show(1500, checks, "seeding") + frame(b"\x0a\x00"))
    r1, rest = reply(s)
    print("%.2f %s" % (time.time() - t0, "show-first" if ih.encode() in r1 else "status-first"))
elif mode == "wake":
    s.sendall(show(10000, checks, "seeding"))
    print("sent", flush=True)
    r, _ = reply(s)
    print("%.2f %s" % (time.time() - t0, "paused" if b"paused" in r else "other"))
elif mode == "gone":
    s.sendall(show(3000, checks, "seeding"))
    s.close()
    print("closed")
PYEOF
cks=$(tfield "$SB" "$ID" checks)
out=$($PY "$T/held.py" "$SOCK" "$ID" "$cks" held)
check "a show waiting on an unchanged torrent is held for its wait_ms ($out)" sh -c "echo '$out' | awk '{exit !(\$1 >= 1.4 && \$2 == \"ok\")}'"
out=$($PY "$T/held.py" "$SOCK" "$ID" "$cks" stale)
check "a show whose checks count is stale is answered at once ($out)" sh -c "echo '$out' | awk '{exit !(\$1 < 5 && \$2 == \"ok\")}'"
out=$($PY "$T/held.py" "$SOCK" "$ID" "$cks" order)
check "a request after a held show is answered after it ($out)" sh -c "echo '$out' | grep -q show-first"
out=$($PY "$T/held.py" "$SOCK" "$ID" "$cks" gone)
check "a client gone with a show held: btd stays up" sh -c "[ '$out' = closed ] && sleep 3.5 && '$BTCTL' -s '$SOCK' status >/dev/null"
$PY "$T/held.py" "$SOCK" "$ID" "$cks" wake >"$T/wake.out" &
WK=$!
PIDS="$PIDS $WK"
check "a show held until the state changes" wait_for 10 grep -q '^sent' "$T/wake.out"
sleep 1		# it is held: btd reads it in far less
ctl pause "$ID" >/dev/null
wait $WK
out=$(tail -1 "$T/wake.out")
check "a pause answers the held show at once, paused ($out)" sh -c "echo '$out' | awk '{exit !(\$1 >= 0.9 && \$1 < 8 && \$2 == \"paused\")}'"

# Paused: verified in full when resumed.
ctl pause "$ID" >/dev/null
out=$(ctl verify "$ID" 2>&1)
check "verify of a paused torrent: says when ($out)" sh -c "echo '$out' | grep -q 'is paused: it will be verified in full when resumed'"
out=$(ctl verify "$ID" --wait 2>&1); rc=$?
check "verify --wait of a paused torrent: exit 1 ($out)" [ $rc = 1 ]
n0=$(grep -c "pieces verified ($NP hashed)" "$LB")
ctl resume "$ID" >/dev/null
check "resumed: seeding" wait_for 20 seeding "$SB" "$ID"
check "resumed: checked in full" [ "$(grep -c "pieces verified ($NP hashed)" "$LB")" -gt "$n0" ]

# Nothing to verify.
out=$(ctl verify 0123456789 2>&1); rc=$?
check "verify of an unknown id: exit 1 ($out)" [ $rc = 1 ]
ctl add "magnet:?xt=urn:btih:$(printf '%040d' 7)&dn=nometa" >/dev/null
out=$(ctl verify 00000000 2>&1); rc=$?
check "verify of a magnet without metadata: refused ($out)" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'has no metadata yet: nothing to verify'"
check "btd a alive" alive "$(BTD_PID= SOCK=$SA jget "j['pid']")"
ctl shutdown >/dev/null
SOCK=$SA ctl shutdown >/dev/null
