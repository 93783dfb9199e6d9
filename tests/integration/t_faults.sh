#!/bin/sh
# Faults during a download from a rate-limited seeder (a btd: the
# python3-libtorrent seeder with an upload limit stopped serving in the
# quick-start chroot):
# a peer that sends corrupt blocks, kill -9 of peerd and of stored, and
# a stalled stored (SIGSTOP).  Each time the download completes with the
# right bytes, and nothing verified is downloaded again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

SIZE=24000000			# with the small files: about 24.5 MB
PLEN=65536
swarm_init $SIZE 16
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"
TOTAL=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').total_size())")
RATE=3900			# KiB/s from the seeder: about 6 s a run
btd_seeder seed 7401 $RATE

# role_of SOCK NAME: its pid.
role_of() { SOCK=$1 role_pid "$2"; }
have_ge() { [ "$(tfield "$1" "$2" pieces_have)" -ge "$3" ]; }
npieces=$(( (TOTAL + PLEN - 1) / PLEN ))
third=$(( npieces / 3 ))

# kill_run NAME ROLE: a fresh btd downloads; ROLE is killed -9 once a
# third of the pieces are verified.
kill_run() {
	btd_start "$1" -p "$2"
	ctl add "$TOR" >/dev/null
	if ! wait_for 60 have_ge "$SOCK" "$ID" "$third"; then
		notok "$3: reached a third"
		return
	fi
	have0=$(tfield "$SOCK" "$ID" pieces_have)
	pid=$(role_pid "$3")
	kill -9 "$pid"
	check "$3 killed: in the middle ($have0 of $npieces pieces)" \
	    [ "$have0" -lt "$npieces" ]
	check "$3 killed: restarted" wait_for 10 sh -c "[ \"\$(SOCK=$SOCK; '$BTCTL' -s $SOCK status --json | $PY -c 'import json,sys; print([r[\"pid\"] for r in json.load(sys.stdin)[\"roles\"] if r[\"name\"]==\"$3\"][0])')\" != $pid ]"
	check "$3 killed: the download completes" ctl wait "$ID" --timeout 90
	check "$3 killed: same bytes" same_data "$T/$1/dl"
	down=$(tfield "$SOCK" "$ID" downloaded)
	# Pieces verified before the kill are never fetched again: what was
	# downloaded stays below the total plus what was in flight, far
	# less than the $have0 pieces verified before the kill.
	check "$3 killed: nothing verified downloaded again ($down of $TOTAL bytes, $have0 pieces before)" \
	    [ "$down" -le $(( TOTAL + 4 * 1048576 )) ]
	check "$3 killed: those pieces would have shown" \
	    [ $(( have0 * PLEN )) -gt $(( 4 * 1048576 )) ]
	SOCK=$SOCK ctl shutdown >/dev/null
}

kill_run k1 7411 peerd
kill_run k2 7412 stored

# A stalled stored: peerd stops reading, its memory stays bounded, and
# the download completes once stored runs again.
btd_start s1 -p 7413
ctl add "$TOR" >/dev/null
wait_for 60 have_ge "$SOCK" "$ID" 20
check "stalled stored: in the middle" [ "$(tfield "$SOCK" "$ID" pieces_have)" -lt "$npieces" ]
spid=$(role_pid stored)
ppid_=$(role_pid peerd)
rss0=$(awk '/VmRSS/ {print $2}' /proc/$ppid_/status)
kill -STOP "$spid"
sleep 4
rss1=$(awk '/VmRSS/ {print $2}' /proc/$ppid_/status)
kill -CONT "$spid"
check "stalled stored: peerd grew by less than 16 MiB (${rss0} -> ${rss1} kB)" \
    [ $(( rss1 - rss0 )) -lt 16384 ]
check "stalled stored: stored was not restarted" [ "$(role_pid stored)" = "$spid" ]
check "stalled stored: the download completes" ctl wait "$ID" --timeout 90
check "stalled stored: same bytes" same_data "$T/s1/dl"
ctl shutdown >/dev/null

# A peer that answers every request with wrong bytes: the pieces it
# touched fail the hash and come again from the good seeder, and it is
# banned.
$PY tests/support/bad_peer.py "$TOR" 7402 "http://127.0.0.1:$OT/announce" \
    >"$T/bad.out" 2>&1 &
PIDS="$PIDS $!"
check "bad peer listens" wait_for 10 grep -q listening "$T/bad.out"
sleep 1
btd_start c1 -p 7414
ctl add "$TOR" >/dev/null
check "corrupt peer: the download completes" ctl wait "$ID" --timeout 120
check "corrupt peer: same bytes" same_data "$T/c1/dl"
check "corrupt peer: its bytes were counted as wasted" [ "$(tfield "$SOCK" "$ID" wasted)" -gt 0 ]
check "corrupt peer: it was connected and dropped" grep -q '^conn 1 served' "$T/bad.out"
served=$(awk '/^conn/ {s += $4} END {print s + 0}' "$T/bad.out")
conns=$(grep -c '^conn' "$T/bad.out")
check "corrupt peer: banned, not dialled again and again ($conns connections)" [ "$conns" -le 2 ]
check "corrupt peer: wasted no more than what it sent" \
    [ "$(tfield "$SOCK" "$ID" wasted)" -le $(( (served + 64) * 16384 )) ]
