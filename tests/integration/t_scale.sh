#!/bin/sh
# Many torrents: SCALE_N (10,000) generated one-piece torrents, a third
# with their data in place, a third without, a third added paused, are
# added and checked; btd restarts, and every one is listed again in the
# state it had, with no role restarted.  How fast belongs to make bench
# (BENCH_ONLY=scale); here only what is right.
. "$(dirname "$0")/lib.sh"

N=${SCALE_N:-10000}
btd_start a -p 7811
mkdir -p "$T/tor/data" "$T/tor/nodata" "$T/tor/paused"
# Each torrent: one file of 1 KiB, distinct bytes; "data" ones have the
# file in the download dir already.
$PY - "$N" "$T/tor" "$T/a/dl" <<'EOF'
import hashlib, os, sys
def benc(x):
    if isinstance(x, int): return b"i%de" % x
    if isinstance(x, bytes): return b"%d:%s" % (len(x), x)
    if isinstance(x, str): return benc(x.encode())
    return b"d" + b"".join(benc(k) + benc(x[k]) for k in sorted(x)) + b"e"
n, tor, dl = int(sys.argv[1]), sys.argv[2], sys.argv[3]
os.makedirs(dl, exist_ok=True)
for i in range(n):
    kind = ("data", "nodata", "paused")[i % 3]
    name = "f%06d.bin" % i
    body = hashlib.sha256(b"%d" % i).digest() * 32
    if kind == "data":
        with open(os.path.join(dl, name), "wb") as f:
            f.write(body)
    info = {"name": name, "length": len(body), "piece length": 16384,
            "pieces": hashlib.sha1(body).digest()}
    with open(os.path.join(tor, kind, "t%06d.torrent" % i), "wb") as f:
        f.write(benc({"announce": "http://127.0.0.1:9/announce",
                      "info": info}))
EOF
ND=$(ls "$T/tor/data" | wc -l)
NN=$(ls "$T/tor/nodata" | wc -l)
NP=$(ls "$T/tor/paused" | wc -l)
# Four adds at a time; each prints "added ID NAME" or fails.
add_all() {
	ls "$T/tor/$1" | sed "s|^|$T/tor/$1/|" | xargs -P 4 -I{} \
	    "$BTCTL" -s "$SOCK" add {} ${2:-} >>"$T/add.out" 2>>"$T/add.err"
}
add_all data
add_all nodata
add_all paused --paused
check "every add answered (none failed: $(head -c 200 "$T/add.err"))" \
    sh -c "[ \"\$(grep -c '^added ' '$T/add.out')\" = $N ] && [ ! -s '$T/add.err' ]"

# states: "seeding downloading paused" counts of `btctl list --json`.
states() {
	ctl list --json | $PY -c "import json,sys
t = json.load(sys.stdin)['torrents']
print(sum(x['state'] == 'seeding' for x in t),
    sum(x['state'] == 'downloading' for x in t),
    sum(x['state'] == 'paused' for x in t), len(t))"
}
want="$ND $NN $NP $N"
settled() { [ "$(states)" = "$want" ]; }
check "all checked: $want (seeding downloading paused all)" \
    wait_for 240 settled
ctl list --json | $PY -c "import json,sys
for x in json.load(sys.stdin)['torrents']: print(x['id'], x['state'])" |
    sort >"$T/before"
check "no role restarted before the restart" \
    [ "$(jget "sum(r['restarts'] for r in j['roles'])")" = 0 ]

ctl shutdown >/dev/null
check "btd stopped" wait_for 30 dead "$BTD_PID"
btd_start a -p 7811
listed() { [ "$(ctl list --json | $PY -c "import json,sys; print(len(json.load(sys.stdin)['torrents']))")" = "$N" ]; }
check "after the restart: all $N listed" wait_for 60 listed
check "after the restart: the same states" wait_for 240 settled
ctl list --json | $PY -c "import json,sys
for x in json.load(sys.stdin)['torrents']: print(x['id'], x['state'])" |
    sort >"$T/after"
check "after the restart: each torrent as it was" cmp -s "$T/before" "$T/after"
check "after the restart: no role restarted" \
    [ "$(jget "sum(r['restarts'] for r in j['roles'])")" = 0 ]
check "after the restart: every role running" all_running
ctl shutdown >/dev/null
wait_for 30 dead "$BTD_PID"
