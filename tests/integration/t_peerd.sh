#!/bin/sh
# peerd on its own, with tests/support/peerd_harness playing btd and
# stored (and trackerd): downloads between two peerds, from and to
# python3-libtorrent, through a restart and a stall of the block path,
# with a corrupt seeder beside a good one, against a hostile peer, and
# confined by the peerd sandbox.  Content is compared byte for byte.
. "$(dirname "$0")/lib.sh"

H=$B/tests/peerd_harness
P=$B/libexec/btd/peerd
SUP=$TOP/tests/support
cd "$T" || exit 1

# 24 MiB and a ragged tail: the last piece and its last block are short.
payload data.bin $((24 * 1048576 + 12345))
mkdir seed
mv data.bin seed/
if ! $PY "$TOP/tests/interop/lt_make.py" seed/data.bin t.torrent \
    >/dev/null 2>&1; then
	notok "make the torrent (python3-libtorrent)"
	exit 0
fi
# The same bytes with one byte of every 64 KiB flipped.
$PY -c "
import sys
b = bytearray(open('seed/data.bin', 'rb').read())
for i in range(1000, len(b), 65536): b[i] ^= 0xff
open('seed/bad.bin', 'wb').write(b)"

# seeder NAME PORT FILE [ARGS]: a seeding peerd (harness -s) in the
# background, for at most 60 s.
seeder() {
	_n=$1 _p=$2 _f=$3
	shift 3
	timeout -k 2 60 "$H" -e "$P" -t t.torrent -f "$_f" -p "$_p" -s \
	    -T 50 "$@" >"$_n.log" 2>&1 &
	PIDS="$PIDS $!"
	LASTPID=$!
}

# leech NAME PORT ARGS...: a leeching peerd into NAME.bin; its output
# in NAME.log.  Fails unless it reports done.
leech() {
	_n=$1 _p=$2
	shift 2
	rm -f "$_n.bin"
	timeout -k 2 60 "$H" -e "$P" -t t.torrent -f "$_n.bin" -p "$_p" \
	    -T 40 "$@" >"$_n.log" 2>&1
}

stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

seeder s1 7101 seed/data.bin -v
S1=$LASTPID
sleep 0.3
check "peerd leeches from peerd" leech l1 7102 -P 127.0.0.1:7101
check "peerd from peerd: same bytes" cmp -s seed/data.bin l1.bin
check "peerd from peerd: nothing wasted" grep -q "wasted 0, failed pieces 0" l1.log

check "candidates from trackerd" leech l2 7103 -C -P 127.0.0.1:7101
check "trackerd channel: WantPeers" grep -q "^want_peers " l2.log
check "trackerd channel: ConnectResult ok" \
    grep -q "^connect_result 127.0.0.1 7101 ok 1 ok" l2.log
check "candidates: same bytes" cmp -s seed/data.bin l2.bin

check "stored link restarted mid-download" leech l3 7104 -R 60 \
    -P 127.0.0.1:7101
check "restart: same bytes" cmp -s seed/data.bin l3.bin
check "restart: it happened" grep -q "^restart of the stored link" l3.log
check "restart: no verified piece again" \
    grep -q "verified pieces again 0$" l3.log

check "stored stalled for 3 s" leech l4 7105 -Z 40 -q -P 127.0.0.1:7101
check "stall: same bytes" cmp -s seed/data.bin l4.bin
# Queried during the stall: the seeder, its client and flags.
check "QueryPeers: the seeder, flags and client" \
    grep -q "^peer 127.0.0.1 7101 btd 0.1.0 flags .*S.* source magnet" l4.log
# RssAnon (kB) during and after the stall: under 64 MiB.
rss=$(sed -n 's/.*RssAnon:[^0-9]*\([0-9]*\) kB.*/\1/p' l4.log | sort -n |
    tail -n 1)
check "stall: peerd memory bounded (${rss:-?} kB)" \
    test "${rss:-999999}" -lt 65536

check "confined by the peerd sandbox" leech l5 7106 -S -P 127.0.0.1:7101
check "sandbox: same bytes" cmp -s seed/data.bin l5.bin

seeder bad 7107 seed/bad.bin
BAD=$LASTPID
sleep 0.3
check "corrupt seeder beside a good one" leech l6 7108 -v \
    -P 127.0.0.1:7107 -P 127.0.0.1:7101
check "corrupt seeder: same bytes" cmp -s seed/data.bin l6.bin
check "corrupt seeder: banned" \
    grep -q "peer 127.0.0.1 port 7107: banned after" l6.log
check "good seeder: not banned" \
    sh -c "! grep -q 'port 7101: banned' l6.log"
stop "$BAD"

check "hostile peer: each row closes only its connection" \
    timeout 60 $PY "$SUP/hostile_peer.py" t.torrent 127.0.0.1 7101
check "peerd seeder survived" alive "$S1"
stop "$S1"

# python3-libtorrent on either side.
mkdir lt
timeout -k 2 60 $PY "$TOP/tests/interop/lt_peer.py" seed t.torrent seed 7109 --seconds 50 \
    >lts.log 2>&1 &
LTS=$!
PIDS="$PIDS $LTS"
sleep 1.5
check "peerd leeches from libtorrent" leech l7 7110 -P 127.0.0.1:7109
check "from libtorrent: same bytes" cmp -s seed/data.bin l7.bin
stop "$LTS"

seeder s2 7111 seed/data.bin
S2=$LASTPID
sleep 0.3
check "libtorrent leeches from peerd" \
    timeout 60 $PY "$SUP/lt_leech.py" t.torrent lt 7112 127.0.0.1:7111 40
check "libtorrent from peerd: same bytes" cmp -s seed/data.bin lt/data.bin
stop "$S2"
exit 0
