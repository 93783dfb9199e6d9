#!/bin/sh
# The address policy (lib/netpolicy.c) end to end, with listeners that
# record every connection and datagram (tests/support/listen_log.py):
# peerd dials no privileged port unless peer_ports_privileged allows,
# and never a link-local address, whether a peer comes in TorrentAdd (a
# magnet's x.pe) or from trackerd (a tracker's reply, with the real
# btd); trackerd sends no request to a loopback tracker on a path other
# than /announce unless tracker_loopback_any_path allows, none ever to a
# link-local one (HTTP, UDP, a redirect, a fetched .torrent), and shows
# why in `btctl trackers`; opentracker on 127.0.0.1/announce still
# works.  A redirect on a kept-alive connection, where curl opens no new
# socket, is refused before the request.  Runs as root in a network namespace of its own (tests/run.sh),
# where 169.254.169.254 is put on lo so that a dial to it would arrive.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

H=$B/tests/peerd_harness
P=$B/libexec/btd/peerd
SUP=$TOP/tests/support
LL=$T/listen.log
MD=169.254.169.254

if ! ip addr show dev lo | grep -q "inet $MD/" &&
    ! ip addr add "$MD/32" dev lo; then
	notok "put $MD on lo (root in a namespace of its own)"
	exit 0
fi
timeout -k 2 300 $PY "$SUP/listen_log.py" --log "$LL" \
    --tcp 127.0.0.1:22 --tcp 127.0.0.1:80 --tcp 127.0.0.1:7555 \
    --tcp "$MD:6881" --tcp 127.0.0.1:18181 --tcp "$MD:18182" \
    --udp "$MD:18183" --tcp "$MD:18184" --http-redirect 127.0.0.1:18192 \
    >"$T/listen.out" 2>&1 &
PIDS="$PIDS $!"
check "listeners ready" wait_for 10 grep -q ready "$T/listen.out"

# came PROTO ADDR:PORT: something arrived there since the log was cleared.
came() { grep -q "^$1 $2 from" "$LL"; }
none_came() { ! came "$@"; }
fresh() { : >"$LL"; }

payload "$T/f.bin" 100000

# --- peerd alone: the peers of TorrentAdd (x.pe) and of trackerd -----
mktorrent -n h -a http://127.0.0.1:1/announce -o "$T/h.torrent" \
    "$T/f.bin" >/dev/null
# harness NAME ARGS...: a leeching peerd for 4 s; its log in NAME.log.
harness() {
	_n=$1
	shift
	rm -f "$T/$_n.bin"
	timeout -k 2 30 "$H" -e "$P" -t "$T/h.torrent" -f "$T/$_n.bin" \
	    -p 7301 -T 4 -v "$@" >"$T/$_n.log" 2>&1
}
PEERS="-P 127.0.0.1:22 -P $MD:6881 -P [::ffff:$MD]:6881 -P 127.0.0.1:7555"

fresh
# shellcheck disable=SC2086
harness xpe $PEERS
check "x.pe: the peer on 7555 is dialed (the test can see a dial)" came tcp 127.0.0.1:7555
check "x.pe: no connection to port 22" none_came tcp 127.0.0.1:22
check "x.pe: no connection to $MD" none_came tcp "$MD:6881"
check "x.pe: peerd says why (privileged port)" \
    grep -q "peer 127.0.0.1 port 22: not dialed: refused by the address policy: privileged port" "$T/xpe.log"
check "x.pe: peerd says why (link-local, also IPv4-mapped)" sh -c \
    "grep -q 'peer $MD port 6881: not dialed: refused by the address policy: link-local address' '$T/xpe.log' &&
     grep -q 'peer ::ffff:$MD port 6881: not dialed: .*link-local' '$T/xpe.log'"

fresh
# shellcheck disable=SC2086
harness xpe_allow -o peer_ports_privileged=allow $PEERS
check "x.pe, privileged ports allowed: port 22 is dialed" came tcp 127.0.0.1:22
check "x.pe, privileged ports allowed: the first bytes are a handshake" \
    grep -q "^tcp 127.0.0.1:22 from 127.0.0.1:[0-9]* first=?BitTorrent protocol" "$LL"
check "x.pe, privileged ports allowed: still no connection to $MD" none_came tcp "$MD:6881"

fresh
harness cands -C -P 127.0.0.1:80 -P "$MD:6881" -P 127.0.0.1:7555
check "trackerd's candidates: 7555 dialed" came tcp 127.0.0.1:7555
check "trackerd's candidates: no connection to port 80" none_came tcp 127.0.0.1:80
check "trackerd's candidates: no connection to $MD" none_came tcp "$MD:6881"
check "trackerd's candidates: no ConnectResult for a refused one" \
    sh -c "! grep -q '^connect_result 127.0.0.1 80 ' '$T/cands.log'"

# --- btd: peers from a tracker reply -----------------------------------
# fake_tracker on /announce (the path a loopback tracker may have):
# peers 127.0.0.1:80, 169.254.169.254:6881 and 127.0.0.1:7555, and in
# peers6 the IPv4-mapped form of the first and fe80::1.
FT=18190
timeout -k 2 300 $PY "$SUP/fake_tracker.py" --http $FT --announce-mode ssrfpeers \
    --log "$T/ft.log" --max-seconds 280 >"$T/ft.out" 2>&1 &
PIDS="$PIDS $!"
check "fake tracker ready" wait_for 10 grep -q ready "$T/ft.out"
FR=18191
timeout -k 2 300 $PY "$SUP/fake_tracker.py" --http $FR --announce-mode redirlocal \
    --log "$T/fr.log" --max-seconds 280 >"$T/fr.out" 2>&1 &
PIDS="$PIDS $!"
check "redirecting fake tracker ready" wait_for 10 grep -q ready "$T/fr.out"

btd_start s -p 7311 -v
# add NAME TRACKER: a torrent of f.bin announced there; prints its id.
add() {
	mktorrent -n "$1" -a "$2" -o "$T/$1.torrent" "$T/f.bin" >/dev/null
	ctl add "$T/$1.torrent" | awk '{print $2}'
}
trk() { ctl trackers "$1" --json | $PY -c "import json,sys; j=json.load(sys.stdin); t=j['trackers'][0]; print($2)"; }
status_is() { [ "$(trk "$1" "t['status']")" = "$2" ]; }
err_is() { [ "$(trk "$1" "t['last_error']")" = "$2" ]; }
POLICY="refused by the address policy"

fresh
id_peers=$(add peers "http://127.0.0.1:$FT/announce")
check "tracker on 127.0.0.1/announce: working" wait_for 15 status_is "$id_peers" working
check "tracker reply: the peer on 7555 is dialed" wait_for 10 came tcp 127.0.0.1:7555
sleep 1
check "tracker reply: no connection to port 80" none_came tcp 127.0.0.1:80
check "tracker reply: no connection to $MD" none_came tcp "$MD:6881"
check "tracker reply: peerd logged the refusals" sh -c \
    "grep -q 'peer 127.0.0.1 port 80: not dialed: $POLICY: privileged port' '$LOG' &&
     grep -q 'peer $MD port 6881: not dialed: $POLICY: link-local address' '$LOG' &&
     grep -q 'peer fe80::1 port 6881: not dialed: $POLICY: link-local address' '$LOG'"

# Allowed at run time: the next offer of trackerd (peerd restarted asks
# for peers at once) reaches port 80, never the link-local address.
ctl set peer_ports_privileged allow >/dev/null
fresh
ctl restart peerd >/dev/null
check "privileged ports allowed: port 80 is dialed" wait_for 15 came tcp 127.0.0.1:80
sleep 1
check "privileged ports allowed: still no connection to $MD" none_came tcp "$MD:6881"
ctl set peer_ports_privileged refuse >/dev/null

# --- btd: tracker URLs -------------------------------------------------
fresh
id_admin=$(add admin "http://127.0.0.1:18181/admin?x=1")
id_lh=$(add lh "http://localhost:18181/other")
id_md=$(add md "http://$MD:18182/announce")
id_umd=$(add umd "udp://$MD:18183")
id_redir=$(add redir "http://127.0.0.1:$FR/announce")
id_keep=$(add keep "http://127.0.0.1:18192/announce")
check "loopback /admin: refused with the reason" wait_for 15 err_is "$id_admin" "$POLICY: loopback tracker path must be /announce"
check "localhost (resolved to loopback) /other: refused" wait_for 15 err_is "$id_lh" "$POLICY: loopback tracker path must be /announce"
check "http to $MD: refused, link-local" wait_for 15 err_is "$id_md" "$POLICY: link-local address"
check "udp to $MD: refused, link-local" wait_for 15 err_is "$id_umd" "$POLICY: link-local address"
check "redirect from /announce to /admin: refused" wait_for 15 err_is "$id_redir" "$POLICY: loopback tracker path must be /announce"
check "redirect: /announce was asked" grep -q "GET /announce mode=redirlocal" "$T/fr.log"
check "redirect: /admin never was" sh -c "! grep -q 'GET /admin' '$T/fr.log'"
plain_has() { ctl trackers "$1" | grep -q -- "$2"; }
check "kept-alive redirect to /admin: refused" wait_for 15 err_is "$id_keep" "$POLICY: loopback tracker path must be /announce"
check "kept-alive redirect: /announce was asked" grep -q "^http 127.0.0.1:18192 from .* req=GET /announce?" "$LL"
check "kept-alive redirect: /admin never was" sh -c "! grep -q 'req=GET /admin' '$LL'"
check "btctl trackers shows the reason" plain_has "$id_admin" "$POLICY: loopback tracker path must be /announce"
out=$(ctl add "http://$MD:18184/x.torrent" 2>&1); rc=$?
has() { printf '%s\n' "$1" | grep -q -- "$2"; }
check "fetch from $MD: refused ($out)" sh -c "[ $rc != 0 ]"
check "fetch from $MD: the reason is given" has "$out" "$POLICY: link-local address"
sleep 1
check "no connection reached 127.0.0.1:18181" none_came tcp 127.0.0.1:18181
check "no connection reached $MD (http)" none_came tcp "$MD:18182"
check "no datagram reached $MD (udp)" none_came udp "$MD:18183"
check "no connection reached $MD (fetch)" none_came tcp "$MD:18184"

# With tracker_loopback_any_path yes any loopback path is asked (so the
# checks above can fail), link-local still never.
ctl set tracker_loopback_any_path yes >/dev/null
fresh
id_admin2=$(add admin2 "http://127.0.0.1:18181/admin?x=2")
id_md2=$(add md2 "http://$MD:18182/announce")
check "any path allowed: /admin is asked" wait_for 15 sh -c "grep -q '^tcp 127.0.0.1:18181 from .* first=GET /admin?x=2&info_hash=' '$LL'"
id_keep2=$(add keep2 "http://127.0.0.1:18192/announce")
# same_conn: /admin came on the connection that asked /announce, so the
# refusal above was the per-request check, not the one at connect.
same_conn() {
	_c=$(sed -n 's/^http 127.0.0.1:18192 from .* conn=\([0-9]*\) req=GET \/announce?.*/\1/p' "$LL" | head -n 1)
	[ -n "$_c" ] && grep -q "^http 127.0.0.1:18192 from .* conn=$_c req=GET /admin?x=1 " "$LL"
}
check "any path allowed: the redirect to /admin is followed on the same connection" wait_for 15 same_conn
check "any path allowed: $MD still refused" wait_for 15 err_is "$id_md2" "$POLICY: link-local address"
check "any path allowed: no connection to $MD" none_came tcp "$MD:18182"
ctl set tracker_loopback_any_path no >/dev/null
check "bad setting refused" sh -c "! '$BTCTL' -s '$SOCK' set peer_ports_privileged yes 2>/dev/null"
check "trackerd stayed up" [ "$(role_field trackerd restarts)" = 0 ]
ctl shutdown >/dev/null
wait_for 10 all_dead "$BTD_PID"

# --- opentracker on 127.0.0.1/announce still works ---------------------
swarm_init 600000 15
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7321 --seconds 120 \
    >"$T/lt_seed.out" 2>&1 &
PIDS="$PIDS $!"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"
btd_start lo -p 7322
ctl add "$TOR" >/dev/null
check "opentracker: working" wait_for 15 status_is "$ID" working
check "opentracker: complete through its peer list" ctl wait "$ID" --timeout 60
check "opentracker: same bytes" same_data "$T/lo/dl"
