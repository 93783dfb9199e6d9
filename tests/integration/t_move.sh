#!/bin/sh
# btctl move: a torrent downloaded from a python3-libtorrent seeder is
# moved between two directories on one filesystem (renamed), then to a
# tmpfs and back (copied, verified, the old files deleted), with a
# kill -9 of stored in the middle of one copy and of btd in the middle
# of the other.  Each time the data is complete and exact at the new
# place, nothing is left at the old one, btd seeds it again, and
# state.db's save path is the new one after a restart (btd under
# AddressSanitizer).  Hostile: a directory not allowed, a symlink at
# the destination, a destination file that exists already.  Runs in a
# mount namespace of its own.
if [ "$(id -u)" != 0 ]; then
	echo "skipped: not root"
	exit 0
fi
if [ -z "${BTD_MNTNS:-}" ]; then
	BTD_MNTNS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

# btd itself runs under AddressSanitizer (the roles as built).
ABTD=$B/asan/bin/btd
if [ ! -x "$ABTD" ]; then
	notok "the AddressSanitizer btd is built ($ABTD: make $ABTD)"
	exit 0
fi
BTD=$ABTD
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

FAST=$T/fast
mkdir -p "$FAST"
mount -t tmpfs -o size=160m,mode=0755 btdmove "$FAST" || {
	echo "not ok - mount a tmpfs"
	exit 1
}
trap 'umount -l "$FAST" 2>/dev/null; cleanup' EXIT INT TERM
chown btd:btd "$FAST"

# 64 MiB in 256 KiB pieces, from a python3-libtorrent seeder.
swarm_init 67108864 18
NP=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').num_pieces())")
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7421 --seconds 800 \
    >"$T/lt_seed.out" 2>&1 &
LTS=$!
PIDS="$PIDS $LTS"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
for r in trackerd peerd stored metad; do
	printf '%s_exec %s\n' "$r" "$B/libexec/btd/$r" >>"$T/allow.conf"
done
btd_start a -p 7431 -c "$T/allow.conf"
ctl add "$TOR" -d "$T/one" >/dev/null
check "downloaded from libtorrent" ctl wait "$ID" --timeout 120
check "the data is exact in one" same_data "$T/one"

# sfield EXPR: of the torrent's summary s (list --json) and its move m.
sfield() {
	ctl --json list | $PY -c "import json,sys
j=json.load(sys.stdin)
s=[t for t in j['torrents'] if t['id'].startswith('$ID')][0]
m=s.get('move') or {}
print($1)"
}
# db_paths: "save_path|move_to" of the torrent's row, read from state.db
# itself (btd stopped).
db_paths() {
	$PY -c "import sqlite3
r=sqlite3.connect('$STATE/state.db').execute('SELECT save_path, coalesce(move_to, \"\") FROM torrents').fetchall()
print('|'.join(r[0]) if len(r) == 1 else r)"
}
# last_check: the hashed count of the torrent's last check in the log.
last_check() { grep "$IH: checked: " "$LOG" | tail -1 | sed 's/.* pieces verified (\([0-9]*\) hashed).*/\1/'; }
# moved_ok TO OLD WHAT: the data is exact in TO, nothing is left at OLD,
# btd seeds it from TO.
moved_ok() {
	_to=$1 _old=$2 _what=$3
	check "$_what: the data is exact at the new place" same_data "$_to"
	check "$_what: nothing left at the old place" [ ! -e "$_old/pay" ]
	check "$_what: no temporary copy left" sh -c "! find '$_to' -name '.btd-move.*' | grep -q ."
	check "$_what: seeding again" wait_for 30 seeding "$SOCK" "$ID"
	check "$_what: the save path is the new one" [ "$(sfield "s['save_path']")" = "$_to" ]
	check "$_what: the old files are gone" [ ! -e "$_old/pay/big.bin" ]
}

# 1. The same filesystem: every file renamed, nothing copied.
out=$(ctl move "$ID" "$T/two" --wait 2>&1); rc=$?
check "same filesystem: move --wait exits 0 ($out)" [ $rc = 0 ]
check "same filesystem: renamed, not copied" sh -c "echo '$out' | grep -q 'moved to $T/two: 5 files renamed, 0 copied, 0 pieces hashed'"
moved_ok "$T/two" "$T/one" "same filesystem"
check "same filesystem: the torrent's directory left the old place" [ ! -d "$T/one/pay" ]

check "same filesystem: checked at the new place, nothing hashed" [ "$(last_check)" = 0 ]

# A restart: state.db holds the new save path.
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
check "state.db: save path two, no move recorded ($(db_paths))" [ "$(db_paths)" = "$T/two|" ]
btd_start a -p 7431 -c "$T/allow.conf"
check "after a restart: the save path from state.db is two" [ "$(sfield "s['save_path']")" = "$T/two" ]
check "after a restart: seeding from two" wait_for 30 seeding "$SOCK" "$ID"
check "after a restart: nothing hashed" [ "$(last_check)" = 0 ]

# wait_copy DIR: up to 30 s, a temporary copy of big.bin (the first
# file, 64 MiB) with bytes in it appears in DIR/pay; polled every 10 ms,
# so that the kill below lands in the middle of the copy.
wait_copy() {
	_wc_i=0
	while [ $_wc_i -lt 3000 ]; do
		for _wc_f in "$1"/pay/.btd-move.*; do
			[ -s "$_wc_f" ] && return 0
		done
		sleep 0.01
		_wc_i=$((_wc_i + 1))
	done
	return 1
}

# 2. To the tmpfs, with a kill -9 of stored in the middle of the copy.
ctl move "$ID" "$FAST/three" >"$T/move2.out" 2>&1
check "to the tmpfs: started ($(cat "$T/move2.out"))" grep -q "moving $ID to $FAST/three" "$T/move2.out"
spid=$(role_field stored pid)
check "to the tmpfs: a copy is under way" wait_copy "$FAST/three"
kill -9 "$spid"
check "to the tmpfs: list shows it moving" sh -c "'$BTCTL' -s '$SOCK' list | grep '^$ID' | grep -q ' moving'"
restarted() { [ "$(role_field stored pid)" != "$spid" ] && [ "$(role_field stored state)" = running ]; }
check "to the tmpfs: stored restarted" wait_for 20 restarted
moved() { [ "$(sfield "m.get('moves', 0)")" -ge 1 ] 2>/dev/null && [ "$(sfield "m.get('to', '')")" = "" ]; }
check "to the tmpfs: the move is taken up again and ends" wait_for 60 moved
res=$(sfield "m.get('result', '')")
check "to the tmpfs: copied and every piece hashed ($res)" sh -c "echo '$res' | grep -q 'moved to $FAST/three: 0 files renamed, 5 copied, $NP pieces hashed'"
check "to the tmpfs: the log says it was resumed" grep -q "$IH: moving to $FAST/three (resumed)" "$LOG"
check "to the tmpfs: stored was killed in the middle of the copy, which is made again" grep -q "stored: .*an earlier attempt's copy of file [0-9]* is made again" "$LOG"
moved_ok "$FAST/three" "$T/two" "to the tmpfs"

# 3. Back to the disk, with a kill -9 of btd in the middle of the copy.
again0=$(grep -c "stored: .*an earlier attempt's copy of file [0-9]* is made again" "$LOG")
ctl move "$ID" "$T/four" >/dev/null
check "back to the disk: a copy is under way" wait_copy "$T/four"
roles=$(role_pids)
kill -9 "$BTD_PID"
check "back to the disk: btd killed, its roles exit" wait_for 10 all_dead $roles
check "state.db: the move is recorded, the save path still three ($(db_paths))" [ "$(db_paths)" = "$FAST/three|$T/four" ]
check "back to the disk: the old data is still there" [ -e "$FAST/three/pay/big.bin" ]
btd_start a -p 7431 -c "$T/allow.conf"
check "back to the disk: btd takes the move up again at start" grep -q "$IH: a move to $T/four was under way" "$LOG"
in_four() { [ "$(sfield "s['save_path']")" = "$T/four" ]; }
check "back to the disk: the move ends" wait_for 60 in_four
again=$(grep -c "stored: .*an earlier attempt's copy of file [0-9]* is made again" "$LOG")
check "back to the disk: btd was killed in the middle of the copy, which is made again ($again - $again0)" [ "$again" -gt "$again0" ]
moved_ok "$T/four" "$FAST/three" "back to the disk"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
check "state.db: save path four, no move recorded ($(db_paths))" [ "$(db_paths)" = "$T/four|" ]
btd_start a -p 7431 -c "$T/allow.conf"
check "back to the disk: after a restart the save path is four" [ "$(sfield "s['save_path']")" = "$T/four" ]
check "back to the disk: seeding after the restart" wait_for 30 seeding "$SOCK" "$ID"

# A libtorrent leecher downloads it from btd (the seeder is gone).
kill "$LTS"
wait_for 10 dead "$LTS"
spawn 200 $PY tests/interop/lt_peer.py leech "$TOR" "$T/ll" 7441 \
    --peer 127.0.0.1:7431 --exit --seconds 180
LL=$SPAWNED
check "a libtorrent leecher downloads it from btd" wait_for 180 dead "$LL"
check "the leecher has the exact data" same_data "$T/ll"

# Hostile.
out=$(ctl move "$ID" /srv/btd-move-nowhere 2>&1); rc=$?
check "a directory not allowed: refused ($out)" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'outside the directories allowed'"
mkdir -p "$T/five"
ln -s /etc "$T/five/pay"
out=$(ctl move "$ID" "$T/five" --wait 2>&1); rc=$?
check "a symlink at the destination: refused, named ($out)" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'pay/.*symlink'"
check "a symlink at the destination: nothing written through it" [ ! -e /etc/big.bin ]
mkdir -p "$T/six/pay/sub"
echo "the administrator's" >"$T/six/pay/sub/tiny.txt"
chown -R btd:btd "$T/six"
out=$(ctl move "$ID" "$T/six" --wait 2>&1); rc=$?
check "a destination file that exists: refused, named ($out)" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'pay/sub/tiny.txt exists already'"
check "a destination file that exists: left as it was" grep -qx "the administrator's" "$T/six/pay/sub/tiny.txt"
check "a destination file that exists: nothing else moved" sh -c "[ ! -e '$T/six/pay/big.bin' ] && [ ! -e '$T/six/pay/zlast.bin' ]"
check "after the refusals: the data is still exact in four" same_data "$T/four"
check "after the refusals: seeding from four" wait_for 30 seeding "$SOCK" "$ID"
check "after the refusals: the save path is four" [ "$(sfield "s['save_path']")" = "$T/four" ]
check "after the refusals: no temporary copy left" sh -c "! find '$T' -name '.btd-move.*' | grep -q ."

# A paused torrent moves and stays paused; while it moves, pause,
# verify and remove are refused.
ctl pause "$ID" >/dev/null
out=$(ctl move "$ID" "$FAST/seven" --wait 2>&1); rc=$?
check "paused: moved ($out)" sh -c "[ $rc = 0 ] && echo '$out' | grep -q 'moved to $FAST/seven: 0 files renamed, 5 copied'"
check "paused: the data is exact at the new place" same_data "$FAST/seven"
check "paused: nothing left at the old place" [ ! -e "$T/four/pay" ]
check "paused: still paused after the move" [ "$(sfield "s['state']")" = paused ]
ctl resume "$ID" >/dev/null
check "paused: resumed, seeding from the new place" wait_for 30 seeding "$SOCK" "$ID"
ctl move "$ID" "$T/eight" >/dev/null
out=$(ctl pause "$ID" 2>&1); rc=$?
moving_or_done() { [ $rc = 1 ] && echo "$out" | grep -q "is moving to $T/eight"; }
check "while it moves: pause refused ($out)" moving_or_done
out=$(ctl remove "$ID" 2>&1); rc=$?
check "while it moves: remove refused ($out)" moving_or_done
in_eight() { [ "$(sfield "s['save_path']")" = "$T/eight" ] && seeding "$SOCK" "$ID"; }
check "the last move ends, seeding from eight" wait_for 60 in_eight
check "the data is exact in eight" same_data "$T/eight"
check "btd alive" alive "$BTD_PID"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
umount "$FAST"
