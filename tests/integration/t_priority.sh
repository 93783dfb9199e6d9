#!/bin/sh
# File priorities and sequential mode against a python3-libtorrent
# seeder on 127.0.0.1, through opentracker:
#  1. one file skipped, one high: the skipped file's bytes are not
#     downloaded, the torrent is "finished" (complete for the wanted
#     files) with nothing left, the others are byte-exact; wanting the
#     skipped file again makes it download and seed the whole torrent;
#  2. sequential mode: from a rate-limited seeder, pieces are verified
#     in index order (peerd's debug log), where rarest-first with a
#     single seeder is a random order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

# 5 MB in big.bin, 64 KiB pieces (about 90).
swarm_init 5000000 16
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"
spawn 300 $PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7301 \
    --seconds 280
LTS=$SPAWNED
check "libtorrent seeder up" wait_for 20 sh -c "ss -ltn | grep -q ':7301 '"

# file_index SOCK ID NAME: the index of the file whose path ends in NAME.
file_index() {
	"$BTCTL" -s "$1" files "$2" --json | $PY -c "import json,sys
j=json.load(sys.stdin)
print([i for i, f in enumerate(j['files']) if f['path'].endswith('$3')][0])"
}
file_prio() {
	"$BTCTL" -s "$1" files "$2" --json | $PY -c "import json,sys
j=json.load(sys.stdin)
print(j['files'][$3]['priority'])"
}

# 1. Priorities.
btd_start a -p 7311 -v
SA=$SOCK LA=$LOG
ctl add "$TOR" --paused >/dev/null
BIG=$(file_index "$SA" "$ID" big.bin)
LAST=$(file_index "$SA" "$ID" zlast.bin)
check "files: every file normal at first" \
    [ "$(file_prio "$SA" "$ID" "$BIG")" = normal ]
ctl files "$ID" --priority "$BIG=skip,$LAST=high" >"$T/files.out"
check "files --priority: the table shows them" \
    sh -c "grep -q ' skip .*big.bin' '$T/files.out' &&
    grep -q ' high .*zlast.bin' '$T/files.out'"
check "files --priority: skip recorded" \
    [ "$(file_prio "$SA" "$ID" "$BIG")" = skip ]
check "files --priority: high recorded" \
    [ "$(file_prio "$SA" "$ID" "$LAST")" = high ]
# Bad input: a clear error, nothing changed.
check "files --priority: unknown priority refused" \
    sh -c "! '$BTCTL' -s '$SA' files '$ID' --priority 0=urgent 2>'$T/e1' &&
    grep -q \"'0=urgent': not N=PRIO\" '$T/e1'"
check "files --priority: no such file refused" \
    sh -c "! '$BTCTL' -s '$SA' files '$ID' --priority 99=low 2>'$T/e2' &&
    grep -q \"'99': no such file\" '$T/e2'"
check "files --priority: a refused change changes nothing" \
    [ "$(file_prio "$SA" "$ID" "$BIG")" = skip ]
ctl resume "$ID" >/dev/null
check "skip: wait says complete" ctl wait "$ID" --timeout 60
check "skip: state finished" [ "$(tfield "$SA" "$ID" state)" = finished ]
check "skip: list shows finished" sh -c "'$BTCTL' -s '$SA' list | grep -q finished"
check "skip: nothing left" [ "$(tfield "$SA" "$ID" left)" -eq 0 ]
total=$(tfield "$SA" "$ID" total_size)
down=$(tfield "$SA" "$ID" downloaded)
# big.bin is 5000000 bytes; at most the two pieces it shares with its
# neighbours (2 x 64 KiB) of it may come.
check "skip: the skipped file's bytes were not downloaded ($down of $total)" \
    [ "$down" -le $((total - 5000000 + 2 * 65536 + 65536)) ]
for f in sub/middle.bin sub/tiny.txt zlast.bin; do
	check "skip: $f byte-exact" cmp -s "$SEED/pay/$f" "$T/a/dl/pay/$f"
done
blocks=$(du -k "$T/a/dl/pay/big.bin" 2>/dev/null | cut -f1)
check "skip: big.bin absent or sparse (${blocks:-absent} KiB)" \
    [ "${blocks:-0}" -le 256 ]
# Restart: the priorities are in state.db.
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
btd_start a -p 7311 -v
check "restart: skip kept" [ "$(file_prio "$SA" "$ID" "$BIG")" = skip ]
state_is() { [ "$(tfield "$1" "$2" state)" = "$3" ]; }
check "restart: finished again" wait_for 20 state_is "$SA" "$ID" finished
# Wanted again: downloads the rest and seeds.
ctl files "$ID" --priority all=normal >/dev/null
check "unskip: downloading then complete" ctl wait "$ID" --timeout 60
check "unskip: seeding" wait_for 10 seeding "$SA" "$ID"
check "unskip: same bytes" same_data "$T/a/dl"
check "wants row in state.db" [ -n "$(sqlite3 "$T/a/state/state.db" "SELECT key FROM meta WHERE key LIKE 'wants %'")" ]
ctl remove "$ID" >/dev/null
check "remove: its wants go with it" [ -z "$(sqlite3 "$T/a/state/state.db" "SELECT key FROM meta WHERE key LIKE 'wants %'")" ]
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# 2. Sequential: a seeder limited to 390 KiB/s, so requests trickle (a
# btd: python3-libtorrent with an upload limit stopped serving in the
# quick-start chroot).
stop_pids "$LTS"
btd_seeder seed2 7302 390
btd_start b -p 7312 -v
SB=$SOCK LB=$LOG
ctl add "$TOR" --paused >/dev/null
check "set-torrent sequential on" sh -c \
    "'$BTCTL' -s '$SB' set-torrent '$ID' sequential on | grep -q 'sequential *on'"
check "set-torrent sequential: bad value refused" \
    sh -c "! '$BTCTL' -s '$SB' set-torrent '$ID' sequential maybe 2>'$T/e3' &&
    grep -q \"'maybe' is not on or off\" '$T/e3'"
ctl resume "$ID" >/dev/null
check "sequential: complete" ctl wait "$ID" --timeout 90
check "sequential: same bytes" same_data "$T/b/dl"
# The n-th piece verified is within a few pieces of n: a few are in
# flight at once (partial first keeps them close).  Random order over
# about 90 pieces would be far off.
sed -n 's/.*torrent [0-9]*: piece \([0-9]*\) verified.*/\1/p' "$LB" \
    >"$T/order"
npieces=$(wc -l <"$T/order")
check "sequential: every piece logged ($npieces)" [ "$npieces" -ge 80 ]
maxoff=$(awk '{ d = $1 - (NR - 1); if (d < 0) d = -d; if (d > m) m = d }
    END { print m + 0 }' "$T/order")
check "sequential: pieces in index order (farthest off by $maxoff)" \
    [ "$maxoff" -le 8 ]
ctl shutdown >/dev/null
