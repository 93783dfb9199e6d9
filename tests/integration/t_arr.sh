#!/bin/sh
# The requests of Sonarr's and Radarr's Transmission proxies, replayed as
# they send them (tests/data/arr_requests.json, by tests/interop/
# arr_replay.py over python3's http.client): the 409 session-id handshake
# and retry with basic auth; session-get and its version, >= 2.40 by
# their regex; torrent-add of metainfo, of a .torrent's URL and of a
# magnet with download-dir,
# paused and labels; torrent-get by hash list with their fields;
# torrent-set of seed limits and labels; a stop at the seed ratio
# (isFinished); torrent-set-location with move false, then a start that
# checks it there; queue-move-top; torrent-remove
# with delete-local-data; and the methods btd answers with a reason.
# Each answer is checked for what they parse, and against btctl.  Then
# /metrics: Prometheus text behind the same Host check and auth.
. "$(dirname "$0")/lib.sh"

RP=19191
URL=http://127.0.0.1:$RP/transmission/rpc
D=$T/a/dl
mkdir -p "$D/pay" "$T/new/pay"
payload "$D/pay/one.bin" 300000
payload "$D/pay/two.bin" 70000 101112131415161718191a1b1c1d1e1f
cp "$D/pay/one.bin" "$D/pay/two.bin" "$T/new/pay/"
mktorrent -l 15 -a http://127.0.0.1:1/announce -o "$T/pay.torrent" \
    "$D/pay" >/dev/null
[ "$(id -u)" = 0 ] && chown -R btd:btd "$T/a" "$T/new"
HASH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/pay.torrent').info_hashes().v1)")
MHASH=0123456789abcdef0123456789abcdef01234567
META=$(base64 -w 0 "$T/pay.torrent")
# Sonarr's add by URL: trackerd fetches the .torrent from a local server.
mkdir -p "$T/www"
payload "$T/url.bin" 50000 202122232425262728292a2b2c2d2e2f
mktorrent -a http://127.0.0.1:1/announce -o "$T/www/url.torrent" \
    "$T/url.bin" >/dev/null
UHASH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/www/url.torrent').info_hashes().v1)")
(cd "$T/www" && exec timeout -k 2 120 $PY -m http.server --bind 127.0.0.1 18380) >"$T/www.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 sh -c "ss -ltn | grep -q ':18380 '"

printf 'rpc_enabled yes\nrpc_bind 127.0.0.1:%s\ndownload_dirs_allowed %s\n' \
    "$RP" "$T" >"$T/rpc.conf"
btd_start a -p 7511 -c "$T/rpc.conf"
rpcd_up() { [ "$(role_field rpcd state)" = running ] && ss -ltn | grep -q ":$RP "; }
check "rpcd running and listening" wait_for 10 rpcd_up
PW=$(sed -n 's/^password //p' "$STATE/rpc-password")
RPCD_PID=$(role_pid rpcd)

replay() {
	_p=$1
	shift
	$PY tests/interop/arr_replay.py "$URL" btd "$PW" \
	    tests/data/arr_requests.json "$_p" "$@" HASH="$HASH" MHASH="$MHASH" \
	    META="$META" DIR="$D" NEWDIR="$T/new" UHASH="$UHASH" \
	    TURL="http://127.0.0.1:18380/url.torrent" \
	    MAGNET="magnet:?xt=urn:btih:$MHASH&dn=arr" ||
	    notok "the $_p replay found no fault"
}
replay first

# What the replay did, as btctl sees it.
lfield() {
	ctl --json list | $PY -c "import json,sys
j=json.load(sys.stdin)
t=[t for t in j['torrents'] if t['id'] == '$1']
print($2 if t else 'none')"
}
check "btctl: the labels Radarr set" [ "$(lfield "$HASH" "t[0]['labels']")" = "['radarr', 'imported']" ]
check "btctl: the .torrent fetched by URL has Sonarr's label" [ "$(lfield "$UHASH" "t[0]['labels']")" = "['tv-sonarr']" ]
check "btctl: the magnet has Sonarr's label, paused" [ "$(lfield "$MHASH" "(t[0]['labels'], t[0]['state'])")" = "(['tv-sonarr'], 'paused')" ]
check "btctl: stopped at its seed ratio, then resumed: seeding, ratio unlimited" [ "$(lfield "$HASH" "(t[0]['state'], t[0]['finished'], t[0]['seed']['ratio_mode'])")" = "('seeding', False, 'unlimited')" ]
check "the log says it stopped at its ratio" grep -q "$HASH: seeding stopped: ratio 0.00 reached its limit 0.00" "$LOG"
check "btctl: the new place after set-location (move false)" [ "$(lfield "$HASH" "t[0]['save_path']")" = "$T/new" ]
check "the old files are left where they were" [ -f "$D/pay/one.bin" ]
check "the log says it was announced again" grep -q "$HASH: announced again on request" "$LOG"
check "session-close left btd and rpcd running" sh -c "kill -0 $BTD_PID && kill -0 $RPCD_PID"

# The retry: a new rpcd has a new session id; the proxies' next request
# gets 409 and is sent again with the new one.
SID=$(curl -s -D - -o /dev/null -u "btd:$PW" "$URL" |
    sed -n 's/^X-Transmission-Session-Id: //p' | tr -d '\r')
check "the session id of this rpcd" [ ${#SID} = 48 ]
kill -9 "$RPCD_PID"
rpcd_new() { p=$(role_pid rpcd); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$RPCD_PID" ] && rpcd_up; }
check "kill -9 rpcd: restarted" wait_for 20 rpcd_new
RPCD_PID=$(role_pid rpcd)
replay retry SID="$SID"
check "btctl: the removed magnet is gone" [ "$(lfield "$MHASH" "t")" = none ]

# /metrics: Prometheus text, behind the Host check and auth, no session id.
MURL=http://127.0.0.1:$RP/metrics
curl -s -u "btd:$PW" "$MURL" >"$T/metrics" 2>&1
check "/metrics: answered" [ -s "$T/metrics" ]
check "/metrics: Prometheus content type" sh -c "curl -s -o /dev/null -w '%{content_type}' -u 'btd:$PW' '$MURL' | grep -q '^text/plain; version=0.0.4'"
check "/metrics: torrents by state" grep -qx 'btd_torrents{state="seeding"} 1' "$T/metrics"
check "/metrics: paused 0" grep -qx 'btd_torrents{state="paused"} 0' "$T/metrics"
check "/metrics: bytes counters" sh -c "grep -q '^btd_downloaded_bytes_total [0-9]' '$T/metrics' && grep -q '^btd_uploaded_bytes_total [0-9]' '$T/metrics'"
check "/metrics: peers" grep -q '^btd_peers [0-9]' "$T/metrics"
check "/metrics: rpcd's restart counted" grep -qx 'btd_role_restarts_total{role="rpcd"} 1' "$T/metrics"
check "/metrics: roles running" grep -qx 'btd_role_running{role="stored"} 1' "$T/metrics"
check "/metrics: cache hits" grep -q '^btd_cache_read_hits_total [0-9]' "$T/metrics"
check "/metrics: every sample has HELP and TYPE" $PY -c "
import re,sys
names=set(); typed=set()
for l in open('$T/metrics'):
    l=l.rstrip('\n')
    if l.startswith('# TYPE '): typed.add(l.split()[2]); continue
    if l.startswith('#') or not l: continue
    m=re.match(r'^([a-z_]+)(\{[a-z]+=\"[^\"]*\"\})? [0-9.e+-]+$', l)
    if not m: sys.exit('bad line: '+l)
    names.add(m.group(1))
sys.exit(0 if names and names <= typed else 'untyped: %s' % (names - typed))"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "/metrics without auth: 401" [ "$(code "$MURL")" = 401 ]
check "/metrics with a wrong password: 401" [ "$(code -u btd:wrong "$MURL")" = 401 ]
check "/metrics for another Host: 421" [ "$(code -u "btd:$PW" -H 'Host: evil.example' "$MURL")" = 421 ]
check "/metrics by POST: 405" [ "$(code -u "btd:$PW" -d x "$MURL")" = 405 ]
check "/metricsx: 404" [ "$(code -u "btd:$PW" "${MURL}x")" = 404 ]
check "rpcd still the same process" [ "$(role_pid rpcd)" = "$RPCD_PID" ]
ctl shutdown >/dev/null
check "shutdown" wait_for 20 dead "$BTD_PID"
