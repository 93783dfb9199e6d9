#!/bin/sh
# Peer exchange (ut_pex, BEP 11) on 127.0.0.1.
#
# 1. A python3-libtorrent seeder and btd A know each other through the
#    tracker, which then stops.  btd B and C start from magnets whose
#    tracker is down and whose x.pe names A only: A names the seeder
#    and each other to them, they connect to those through PEX and
#    complete; `btctl peers` shows source pex.
# 2. libtorrent exchanges PEX with btd: a libtorrent leecher told only
#    of A connects to a btd peer A named to it (its peer list says pex),
#    and btd E, told only of that leecher, gets candidates from its
#    ut_pex (libtorrent sends it once a minute).
# 3. A private torrent (BEP 27): no ut_pex in btd's extended handshake,
#    a ut_pex message from a test peer is ignored, and the peer it names
#    is never dialed nor made a candidate.
# 4. The PEX rows of HOSTILE.md from a test peer (tests/support/
#    pex_peer.py): a second message within the minute, over 50 added,
#    flags of the wrong length, port 0; peerd stays up and no bogus
#    candidate reaches trackerd (`btctl trackers --json`).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

SUP=$TOP/tests/support
DOWN="http://127.0.0.1:6970/announce"	# nothing listens there

swarm_init 4000000 16

# trk SOCK ID EXPR: EXPR over `btctl trackers ID --json` (j).
trk() {
	"$BTCTL" -s "$1" trackers "$2" --json | $PY -c "import json,sys
j=json.load(sys.stdin)
print($3)"
}
# cand_src SOCK ID PORT: the source of the candidate on PORT, "" none.
cand_src() {
	trk "$1" "$2" "([p['source'] for p in j['peers'] if p['port']==$3]+[''])[0]"
}
# has_cand SOCK ID PORT
has_cand() { [ "$(trk "$1" "$2" "any(p['port']==$3 for p in j['peers'])")" = True ]; }
no_cand() { ! has_cand "$@"; }
# pex_cands SOCK ID: some candidate has source pex.
pex_cands() { [ "$(trk "$1" "$2" "any('pex' in p['source'] for p in j['peers'])")" = True ]; }
# peer_pex SOCK ID [PORT]: a connected peer (on PORT) of source pex.
peer_pex() {
	"$BTCTL" -s "$1" peers "$2" --json | $PY -c "import json,sys
j=json.load(sys.stdin)
sys.exit(not any(p['source']=='pex' and ('${3:-}'=='' or
    p['port']==int('${3:-0}')) for p in j['peers']))"
}

# Leechers that stay leechers long enough to be seen connected, and A
# one while the others join, so that it names the seeder to them.
printf 'download_rate_limit 200\n' >"$T/slow.conf"

# npeers SOCK ID: connected peers of the torrent.
npeers() { tfield "$1" "$2" peers; }
ready_with_peers() {
	[ "$(tfield "$1" "$2" has_metadata)" = True ] &&
	    [ "$(npeers "$1" "$2")" -ge "$3" ] 2>/dev/null
}

# 1. The seeder and A through the tracker.
spawn 300 $PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7501 \
    --seconds 290 >"$T/lt_seed.out" 2>&1
check "libtorrent seeder announced" wait_for 20 grep -q announced \
    "$T/lt_seed.out"
btd_start a -p 7511 -c "$T/slow.conf"
SA=$SOCK
ctl add "$TOR" >/dev/null
check "a: connected to the seeder found through the tracker" \
    wait_for 20 ready_with_peers "$SA" "$ID" 1
check "a: the seeder is a tracker candidate" \
    [ "$(cand_src "$SA" "$ID" 7501)" = tracker ]
$PY "$SUP/pex_peer.py" "$TOR" 127.0.0.1 7511 >"$T/exths.out" 2>&1
check "a: ut_pex in its extended handshake" \
    grep -qx 'm: ut_metadata ut_pex' "$T/exths.out"
kill "$OTPID"
check "tracker stopped" wait_for 10 sh -c "! ss -ltn | grep -q ':$OT '"

# B, then C once B has the metadata and is connected to A.
MAG="magnet:?xt=urn:btih:$IH&dn=pay&tr=$DOWN&x.pe=127.0.0.1:7511"
btd_start b -p 7512 -c "$T/slow.conf"
SB=$SOCK
ctl add "$MAG" >/dev/null
check "b: has the metadata, connected" wait_for 20 ready_with_peers \
    "$SB" "$ID" 1

# 2. A libtorrent leecher told only of A, slow enough to stay one; then
# btd E told only of it.
mkdir -p "$T/ll"
spawn 200 $PY tests/interop/lt_peer.py leech "$TOR" "$T/ll" 7502 \
    --peer 127.0.0.1:7511 --down-rate 30000 --peers "$T/lt_peers" \
    --seconds 190 >"$T/lt_leech.out" 2>&1
# E's one candidate must listen before E dials it: a refused dial waits
# out its backoff, longer than libtorrent's PEX interval.
check "libtorrent leecher listening" \
    wait_for 20 sh -c "ss -ltn | grep -q ':7502 '"
btd_start e -p 7514 -c "$T/slow.conf" -v
SE=$SOCK
ctl add "magnet:?xt=urn:btih:$IH&dn=pay&tr=$DOWN&x.pe=127.0.0.1:7502" \
    >/dev/null

btd_start c -p 7513 -c "$T/slow.conf"
SC=$SOCK
ctl add "$MAG" >/dev/null

# (The seeder may dial B first, having heard of it from A: B's
# connection to it is then incoming; the candidate says pex all the
# same.  C's connection to B is surely its own: B hears of C from A only
# a minute later.)
check "b: the seeder is a pex candidate (from a)" \
    wait_for 30 sh -c "[ \"\$('$BTCTL' -s '$SB' trackers '$ID' --json | $PY -c \"import json,sys; print([p['source'] for p in json.load(sys.stdin)['peers'] if p['port']==7501])\")\" = \"['pex']\" ]"
check "c: connected to b through PEX (its listen port, from a)" \
    wait_for 30 peer_pex "$SC" "$ID" 7512
check "c: the seeder is a pex candidate" \
    [ "$(cand_src "$SC" "$ID" 7501)" = pex ]
check "libtorrent: connected to a btd peer it learned through PEX" \
    wait_for 30 grep -Eq '^127\.0\.0\.1:751[234] .*pex' "$T/lt_peers"

# 3. A private torrent on A: nothing of PEX.
mkdir -p "$T/priv"
payload "$T/priv/p.bin" 300000 303132333435363738393a3b3c3d3e3f
mktorrent -p -l 15 -a "$DOWN" -o "$T/priv.torrent" "$T/priv/p.bin" \
    >/dev/null
PIH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/priv.torrent').info_hashes().v1)")
PID8=$(echo "$PIH" | cut -c1-8)
"$BTCTL" -s "$SA" add "$T/priv.torrent" >/dev/null
spawn 60 $PY "$SUP/listen_log.py" --log "$T/ll.log" --tcp 127.0.0.1:7605 \
    --max-seconds 50 >"$T/ll.out" 2>&1
check "listener ready" wait_for 10 grep -q ready "$T/ll.out"
$PY "$SUP/pex_peer.py" "$T/priv.torrent" 127.0.0.1 7511 \
    added=127.0.0.1:7605 >"$T/priv.out" 2>&1
check "private: no ut_pex in the extended handshake" \
    grep -qx 'm: ut_metadata' "$T/priv.out"
check "private: a ut_pex message is ignored (the peer stays)" \
    grep -qx open "$T/priv.out"
sleep 2
check "private: trackerd has the torrent (for the check below)" \
    [ "$(trk "$SA" "$PID8" "len(j['trackers'])")" = 1 ]
check "private: the named peer is no candidate" \
    no_cand "$SA" "$PID8" 7605
check "private: the named peer is never dialed" \
    sh -c "! grep -q 'tcp 127.0.0.1:7605' '$T/ll.log' 2>/dev/null"

# 4. Hostile PEX, each on a connection of its own, to A.
PEERD=$(SOCK=$SA; role_pid peerd)
hostile() {
	_name=$1
	_want=$2
	shift 2
	$PY "$SUP/pex_peer.py" "$TOR" 127.0.0.1 7511 "$@" >"$T/h.out" 2>&1
	check "hostile PEX, $_name: connection $_want" \
	    grep -qx "$_want" "$T/h.out"
}
hostile "a first message" open added=127.0.0.1:7601,127.0.0.1:7602
hostile "a second one within the minute" open added=127.0.0.1:7603 \
    sleep=1 added=127.0.0.1:7604
hostile "51 added" open many=127.0.0.1:7700:51
hostile "50 added" open many=127.0.0.1:7800:50
hostile "flags of the wrong length" closed badflags=127.0.0.1:7608
hostile "a ragged list" closed ragged=127.0.0.1:7609
hostile "port 0" open added=127.0.0.1:0,127.0.0.1:7607
sleep 2
check "hostile PEX: peerd stayed up" \
    [ "$(SOCK=$SA; role_pid peerd)" = "$PEERD" ]
check "hostile PEX: a first message's peers are pex candidates" \
    [ "$(cand_src "$SA" "$ID" 7601),$(cand_src "$SA" "$ID" 7602)" = pex,pex ]
check "hostile PEX: the first of two within the minute is taken" \
    [ "$(cand_src "$SA" "$ID" 7603)" = pex ]
check "hostile PEX: the second is not" no_cand "$SA" "$ID" 7604
check "hostile PEX: none of 51 added" \
    [ "$(trk "$SA" "$ID" "sum(7700<=p['port']<7751 for p in j['peers'])")" = 0 ]
check "hostile PEX: all of 50 added" \
    [ "$(trk "$SA" "$ID" "sum(7800<=p['port']<7850 for p in j['peers'])")" = 50 ]
check "hostile PEX: nothing of a message with bad flags" \
    no_cand "$SA" "$ID" 7608
check "hostile PEX: nothing of a message with a ragged list" \
    no_cand "$SA" "$ID" 7609
check "hostile PEX: port 0 left out, the rest taken" \
    [ "$(cand_src "$SA" "$ID" 7607),$(trk "$SA" "$ID" "any(p['port']==0 for p in j['peers'])")" = pex,False ]

check "a: complete" "$BTCTL" -s "$SA" wait "$ID" --timeout 60
check "b: complete" "$BTCTL" -s "$SB" wait "$ID" --timeout 60
check "b: same bytes" same_data "$T/b/dl"
check "c: complete" "$BTCTL" -s "$SC" wait "$ID" --timeout 60
check "c: same bytes" same_data "$T/c/dl"

# 2, continued: libtorrent's ut_pex reached E (once a minute).
check "e: a ut_pex message from libtorrent, with peers" \
    wait_for 125 grep -Eq 'peer 127\.0\.0\.1 port 7502: ut_pex: [1-9][0-9]* added' \
    "$T/e/log"
check "e: pex candidates" wait_for 10 pex_cands "$SE" "$ID"
check "e: complete" "$BTCTL" -s "$SE" wait "$ID" --timeout 60
check "e: same bytes" same_data "$T/e/dl"
