#!/bin/sh
# trackerd against a real tracker: opentracker on 127.0.0.1 over HTTP and
# UDP.  Two btd instances find each other through it, a libtorrent peer
# announcing to it shows up among btd's candidates, and `btctl trackers`
# shows the announce and scrape results.
. "$(dirname "$0")/lib.sh"

OT=6969
D=$T/data
mkdir -p "$D" "$T/ot"
chmod 755 "$T/ot"
payload "$D/file.bin" 500000
payload "$D/other.bin" 300000 101112131415161718191a1b1c1d1e1f
mktorrent -a "http://127.0.0.1:$OT/announce" -o "$T/http.torrent" "$D/file.bin" >/dev/null
mktorrent -a "udp://127.0.0.1:$OT" -o "$T/udp.torrent" "$D/other.bin" >/dev/null
ih_http=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/http.torrent').info_hashes().v1)")
ih_udp=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/udp.torrent').info_hashes().v1)")
printf '%s\n%s\n' "$ih_http" "$ih_udp" >"$T/ot/whitelist"
# As root opentracker chroots to -d: the whitelist path is inside it.
wl=$T/ot/whitelist
[ "$(id -u)" = 0 ] && wl=/whitelist
timeout -k 2 300 opentracker -i 127.0.0.1 -p $OT -P $OT -d "$T/ot" -w "$wl" \
    -A 127.0.0.1 >"$T/ot.log" 2>&1 &
PIDS="$PIDS $!"
check "opentracker listens" wait_for 10 sh -c "ss -ltn | grep -q ':$OT '"

btd_start a -p 7101
SA=$SOCK LA=$LOG
btd_start b -p 7102
SB=$SOCK LB=$LOG
HA=$(echo "$ih_http" | cut -c1-8)
HB=$HA
UA=$(echo "$ih_udp" | cut -c1-8)

# trk SOCK ID EXPR: evaluate EXPR on `btctl trackers ID --json`.
trk() { "$BTCTL" -s "$1" trackers "$2" --json | $PY -c "import json,sys; j=json.load(sys.stdin); print($3)"; }
working() { [ "$(trk "$1" "$2" "j['trackers'][0]['status']")" = working ]; }
has_peer() { [ "$(trk "$1" "$2" "any(p['port']==$3 for p in j['peers'])")" = True ]; }

SOCK=$SA ctl add "$T/http.torrent" >/dev/null
check "http: a announced" wait_for 10 working "$SA" "$HA"
SOCK=$SB ctl add "$T/http.torrent" >/dev/null
check "http: b announced" wait_for 10 working "$SB" "$HB"
check "http: b found a through the tracker" wait_for 10 has_peer "$SB" "$HA" 7101
check "http: the candidate says where it came from" [ "$(trk "$SB" "$HA" "[p['source'] for p in j['peers'] if p['port']==7101][0]")" = tracker ]
check "http: a does not list itself" [ "$(trk "$SA" "$HA" "any(p['port']==7101 for p in j['peers'])")" = False ]
# a announced before b existed; a fresh trackerd announces again.
SOCK=$SA ctl restart trackerd >/dev/null
check "http: after a new announce a found b" wait_for 15 has_peer "$SA" "$HA" 7102
check "http: the result is shown" sh -c "'$BTCTL' -s '$SB' trackers $HA --json | grep -q '\"last_result\": \"ok: '"
check "http: the scrape counted peers" wait_for 10 sh -c "[ \"\$('$BTCTL' -s '$SB' trackers $HA --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"trackers\"][0][\"leechers\"])')\" -ge 1 ]"
check "http: a next announce is planned" [ "$(trk "$SB" "$HA" "j['trackers'][0]['next_announce'] > 0")" = True ]
check "plain trackers output" sh -c "'$BTCTL' -s '$SB' trackers $HA | grep -q 'working'"

# UDP (BEP 15).
SOCK=$SA ctl add "$T/udp.torrent" >/dev/null
check "udp: a announced" wait_for 10 working "$SA" "$UA"
SOCK=$SB ctl add "$T/udp.torrent" >/dev/null
check "udp: b announced" wait_for 10 working "$SB" "$UA"
check "udp: b found a" wait_for 10 has_peer "$SB" "$UA" 7101
check "udp: the scrape counted the torrent's peers" wait_for 10 sh -c "[ \"\$('$BTCTL' -s '$SB' trackers $UA --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"trackers\"][0][\"leechers\"])')\" -ge 1 ]"

# A libtorrent peer announcing to the same tracker is a candidate.
$PY tests/interop/lt_peer.py seed "$T/http.torrent" "$D" 7150 --seconds 120 >"$T/lt.out" 2>&1 &
PIDS="$PIDS $!"
check "libtorrent announced" wait_for 20 grep -q announced "$T/lt.out"
SOCK=$SA ctl restart trackerd >/dev/null
check "libtorrent's peer is among a's candidates" wait_for 15 has_peer "$SA" "$HA" 7150

# btctl add URL: trackerd fetches the .torrent (http only here).
mkdir -p "$T/www"
payload "$D/third.bin" 200000 202122232425262728292a2b2c2d2e2f
mktorrent -a "http://127.0.0.1:$OT/announce" -o "$T/www/third.torrent" "$D/third.bin" >/dev/null
head -c 11534336 /dev/zero >"$T/www/big.torrent"
# A valid 3 MiB .torrent (a long comment): bigger than a role frame.
$PY - "$T/www/third.torrent" "$T/www/large.torrent" <<'PY'
import sys, libtorrent as lt
d = lt.bdecode(open(sys.argv[1], "rb").read())
d[b"comment"] = b"x" * (3 << 20)
d[b"info"][b"name"] = b"large.bin"
open(sys.argv[2], "wb").write(lt.bencode(d))
PY
(cd "$T/www" && exec timeout -k 2 120 $PY -m http.server --bind 127.0.0.1 18080) >"$T/www.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 sh -c "ss -ltn | grep -q ':18080 '"
out=$(SOCK=$SB ctl add http://127.0.0.1:18080/third.torrent 2>&1); rc=$?
check "add URL: fetched and added ($out)" [ $rc = 0 ]
ih3=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/www/third.torrent').info_hashes().v1)")
check "add URL: the same torrent" [ "$(SOCK=$SB ctl show "$ih3" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["name"])')" = third.bin ]
out=$(SOCK=$SB ctl add http://127.0.0.1:18080/large.torrent 2>&1); rc=$?
check "add URL: a 3 MiB .torrent is fetched and added ($out)" [ $rc = 0 ]
out=$(SOCK=$SB ctl add http://127.0.0.1:18080/big.torrent 2>&1); rc=$?
check "add URL: an 11 MiB body is refused ($out)" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'larger than'"
out=$(SOCK=$SB ctl add http://127.0.0.1:18080/missing.torrent 2>&1); rc=$?
check "add URL: a 404 is an error ($out)" sh -c "[ $rc = 1 ] && echo '$out' | grep -q '404'"
out=$(SOCK=$SB ctl add http://127.0.0.1:1/x.torrent 2>&1); rc=$?
check "add URL: nobody listening is an error" [ $rc = 1 ]

# event=stopped at shutdown reaches the tracker: b's fresh view of the
# swarm counts one peer fewer once a has stopped.
count() { trk "$SB" "$HA" "j['trackers'][0]['leechers'] + j['trackers'][0]['seeders']"; }
SOCK=$SB ctl restart trackerd >/dev/null
sleep 0.5
wait_for 10 working "$SB" "$HA"
before=$(count)
check "the tracker counts a, b and libtorrent" [ "$before" = 3 ]
SOCK=$SA ctl shutdown >/dev/null
check "a stops" wait_for 10 sh -c "! '$BTCTL' -s '$SA' status >/dev/null 2>&1"
SOCK=$SB ctl restart trackerd >/dev/null
sleep 0.5
wait_for 10 working "$SB" "$HA"
check "the tracker forgot a: event=stopped was sent ($before -> $(count))" [ "$(count)" = 2 ]

