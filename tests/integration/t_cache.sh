#!/bin/sh
# stored's block cache and preallocation with real peers on 127.0.0.1:
# btd downloads from python3-libtorrent with its writes coalesced, then
# seeds to three libtorrent leechers at once, each piece read from disk
# once and the rest of the reads served from memory (btctl status
# --json); a btd with cache_size 0 still downloads exactly; and with
# preallocation full the files are full-size on disk (du) while the
# download has barely started.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

swarm_init 6000000 16
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"
BLOCKS=$(( (6000000 + 100001 + 5 + 333333 + 16383) / 16384 ))
PIECES=$(( (6000000 + 100001 + 5 + 333333 + 65535) / 65536 ))

# cget SOCK EXPR: EXPR on `btctl status --json` of SOCK, c its cache.
cget() {
	"$BTCTL" -s "$1" status --json | $PY -c "import json,sys
j=json.load(sys.stdin); c=j.get('cache') or {}
print($2)"
}
ctrue() { [ "$(cget "$1" "$2")" = True ]; }

# 1. libtorrent seeds, btd (the cache on, by default) downloads.
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7601 --seconds 600 \
    >"$T/lt_seed.out" 2>&1 &
LTS=$!
PIDS="$PIDS $LTS"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"
btd_start a -p 7611 -v
SA=$SOCK
ctl add "$TOR" >/dev/null
check "cache on: complete" ctl wait "$ID" --timeout 90
[ -n "${FAILED:-}" ] && ctl show "$ID" 2>&1 | sed 's/^/#   /'
DIAG_LINES=100
check "cache on: same bytes" same_data "$T/a/dl"
check "cache on: 32 MiB by default" wait_for 10 ctrue "$SA" "c.get('size') == 32 << 20"
check "cache on: every block went through the cache" wait_for 10 \
    ctrue "$SA" "c.get('coalesced', 0) >= 6400000"
# 4 blocks a piece, files that split some: far fewer writes than blocks.
check "cache on: writes coalesced ($BLOCKS blocks)" \
    ctrue "$SA" "0 < c['writes'] <= $BLOCKS // 2"
check "cache on: nothing read back to hash it" ctrue "$SA" "c['readback'] == 0"
out=$(ctl status)
check "status: a line for stored's cache" sh -c "echo '$out' | grep -q '^stored cache: .* of 32.0 MiB, upload reads .* hits .* misses'"
kill "$LTS"

# 2. Three libtorrent leechers at once from btd alone.  stored restarts
# first, so that its cache starts empty: each piece must be read from
# disk once and then served from memory.
ctl restart stored >/dev/null
check "stored restarted" wait_for 20 all_running
check "restarted: seeding again" wait_for 30 seeding "$SA" "$ID"
for n in 1 2 3; do
	mkdir -p "$T/lt$n"
	$PY tests/interop/lt_peer.py leech "$TOR" "$T/lt$n" $((7620 + n)) \
	    --seconds 120 --exit --peer 127.0.0.1:7611 \
	    >"$T/lt_leech$n.out" 2>&1 &
	PIDS="$PIDS $!"
done
for n in 1 2 3; do
	check "leecher $n: done" wait_for 90 grep -q '^done' "$T/lt_leech$n.out"
	check "leecher $n: same bytes" same_data "$T/lt$n"
done
check "seeding: read hits" wait_for 10 ctrue "$SA" "c.get('read_hits', 0) > 0"
check "seeding: each piece read from disk at most once ($PIECES)" \
    ctrue "$SA" "0 < c['read_misses'] <= $PIECES"
check "seeding: more hits than misses" \
    ctrue "$SA" "c['read_hits'] >= 2 * c['read_misses']"
check "seeding: within the bound" ctrue "$SA" "0 < c['used'] <= c['size']"

# 3. cache_size 0: no cache, the download is exact all the same.
printf 'cache_size 0\n' >"$T/nocache.conf"
btd_start b -p 7612 -c "$T/nocache.conf"
SB=$SOCK
ctl add "$TOR" >/dev/null
check "cache off: complete" ctl wait "$ID" --timeout 90
check "cache off: same bytes" same_data "$T/b/dl"
check "cache off: stored says so" wait_for 10 ctrue "$SB" \
    "c.get('size') == 0 and c.get('coalesced') == 0 and c.get('written', 0) >= 6400000"
out=$(ctl status)
check "cache off: status says off" sh -c "echo '$out' | grep -q '^stored cache: off'"
ctl shutdown >/dev/null

# 4. preallocation full (set at run time): the files have their size on
# disk as soon as the download starts, slowed to 200 KiB/s.
btd_start c -p 7613
SC=$SOCK
ctl set preallocation full >/dev/null
ctl set download_rate_limit 200 >/dev/null
out=$(ctl get preallocation)
check "preallocation: the setting reads back" sh -c "echo '$out' | grep -q full"
ctl add "$TOR" >/dev/null
alloc_full() {
	_k=$(du -k "$T/c/dl/pay/big.bin" 2>/dev/null | cut -f1)
	_m=$(du -k "$T/c/dl/pay/zlast.bin" 2>/dev/null | cut -f1)
	[ -n "$_k" ] && [ "$_k" -ge 5859 ] && [ -n "$_m" ] && [ "$_m" -ge 325 ]
}
check "preallocation: files full-size at once" wait_for 10 alloc_full
check "preallocation: while the download is under way" \
    [ "$(tfield "$SC" "$ID" downloaded)" -lt 4000000 ]
ctl set download_rate_limit 0 >/dev/null
check "preallocation: complete" ctl wait "$ID" --timeout 90
check "preallocation: same bytes" same_data "$T/c/dl"
ctl shutdown >/dev/null

SOCK=$SA
ctl shutdown >/dev/null
for f in "$T"/a/log "$T"/b/log "$T"/c/log; do
	check "no AddressSanitizer report in $f" sh -c "! grep -q AddressSanitizer '$f'"
done
