#!/bin/sh
# Transmission's web interface, served by rpcd from Debian's files
# (rpc_web_dir, /usr/share/transmission/web), in a real headless
# Chromium driven over the DevTools protocol
# (tests/interop/webui_drive.py): the page loads with basic auth and
# lists the torrent added by btctl with btctl's progress and its one
# peer (a python3-libtorrent leecher, also seen in torrent-get's
# peers); a magnet added through the page's own add dialog is in
# `btctl list`, and so is a .torrent file uploaded through it
# (metainfo); the page's remove takes a torrent out of both; a
# screenshot is kept.  With curl: redirects, types,
# HEAD, ETag, the same Host and auth rules as the RPC.  Then hostile
# paths against a web dir of the test's own: "..", %2e%2e, symlinks out
# of it, a directory, a FIFO, a huge file, a huge name; each refused,
# rpcd stays up.  rpc_web_dir empty or missing: 404, the RPC unchanged.
. "$(dirname "$0")/lib.sh"

RP=19191
DT=19222
BASE=http://127.0.0.1:$RP
WEB=/usr/share/transmission/web
SHOT_DIR=${SHOT_DIR:-$B/tests/t_webui}

# code ARGS...: the HTTP status of a curl request (body in $T/body,
# headers in $T/hdr).
code() {
	curl -s --max-time 10 -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@"
}
hdr() { tr -d '\r' <"$T/hdr" | sed -n "s/^$1: //Ip" | head -n 1; }

if [ ! -f "$WEB/index.html" ]; then
	notok "Debian's web interface is installed ($WEB, transmission-daemon)"
	exit 1
fi

# A torrent of 4 MiB in 256 KiB pieces, its first half already in
# btd's download dir: after the check btd has half of it, and no peer
# to get the rest from.
mkdir -p "$T/src" "$T/a/dl"
payload "$T/src/half.bin" 4194304
mktorrent -l 18 -a "http://127.0.0.1:9/announce" -o "$T/half.torrent" \
    "$T/src/half.bin" >/dev/null
head -c 2097152 "$T/src/half.bin" >"$T/a/dl/half.bin"
# One to add from the page as a file.
payload "$T/src/upped.bin" 300000 303132333435363738393a3b3c3d3e3f
mktorrent -l 16 -a "http://127.0.0.1:9/announce" -o "$T/upped.torrent" \
    "$T/src/upped.bin" >/dev/null
UPIH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/upped.torrent').info_hashes().v1)")

printf 'rpc_enabled yes\nrpc_bind 127.0.0.1:%s\n' "$RP" >"$T/a.conf"
btd_start a -p 7511 -c "$T/a.conf"
rpcd_up() { [ "$(role_field rpcd state)" = running ] && ss -ltn | grep -q ":$RP "; }
check "rpcd running and listening" wait_for 10 rpcd_up
PW=$(sed -n 's/^password //p' "$STATE/rpc-password")
U="btd:$PW"
check "btctl adds the torrent" sh -c "'$BTCTL' -s '$SOCK' add '$T/half.torrent' >/dev/null"
checked() {
	[ "$(tfield_a state)" = downloading ] &&
	    [ "$($PY -c "print(float('$(tfield_a progress)') > 0.4)")" = True ]
}
tfield_a() {
	"$BTCTL" -s "$SOCK" list --json | $PY -c "import json,sys
t=[t for t in json.load(sys.stdin)['torrents'] if t['name']=='half.bin']
print(t[0]['$1'] if t else '')"
}
tfield_a_n() {
	"$BTCTL" -s "$SOCK" list --json | $PY -c "import json,sys
t=[t for t in json.load(sys.stdin)['torrents'] if t['name']=='$1']
print(t[0]['$2'] if t else '')"
}
check "btd checked the half it has" wait_for 30 checked
PROG=$(tfield_a progress)
RPCD_PID=$(role_pid rpcd)

# A python3-libtorrent leecher, rate-limited, downloads from btd's half:
# torrent-get's peer fields, which the page shows, come from it.
rpc() {
	_sid=$(curl -s --max-time 10 -D - -o /dev/null -u "$U" -d '{}' \
	    "$BASE/transmission/rpc" | tr -d '\r' |
	    sed -n 's/^X-Transmission-Session-Id: //p')
	curl -s --max-time 10 -u "$U" -H "X-Transmission-Session-Id: $_sid" \
	    -d "$1" "$BASE/transmission/rpc"
}
mkdir -p "$T/lt"
spawn 200 $PY "$TOP/tests/interop/lt_peer.py" leech "$T/half.torrent" \
    "$T/lt" 7531 --peer 127.0.0.1:7511 --down-rate 16384 --seconds 180 \
    >"$T/lt.out" 2>&1
uploading() {
	rpc '{"method":"torrent-get","arguments":{"fields":["peers","peersGettingFromUs","peersSendingToUs","peersConnected"]}}' >"$T/peers.json"
	$PY -c "import json,sys
t=json.load(open('$T/peers.json'))['arguments']['torrents'][0]
p=t['peers']
sys.exit(0 if len(p) == 1 and p[0]['address'] == '127.0.0.1' and
    p[0]['isUploadingTo'] and p[0]['rateToPeer'] > 0 and
    t['peersGettingFromUs'] == 1 and t['peersSendingToUs'] == 0 and
    t['peersConnected'] == 1 else 1)"
}
check "torrent-get: the leecher in peers, getting from us" wait_for 30 uploading
echo "# peers: $(cut -c1-400 "$T/peers.json")"
check "status: rpcd's landlock names the web dir" sh -c "'$BTCTL' -s '$SOCK' status | grep -q 'rpcd landlock: .*ro: system libs, web dir'"

# Redirects, auth, Host.
check "no credentials: 401 with a Basic challenge" [ "$(code "$BASE/transmission/web/")" = 401 ]
check "  ... WWW-Authenticate: Basic" sh -c "tr -d '\r' <'$T/hdr' | grep -qi '^WWW-Authenticate: Basic'"
check "wrong password: 401" [ "$(code -u btd:wrong "$BASE/transmission/web/")" = 401 ]
check "another Host: 421" [ "$(code -u "$U" -H 'Host: evil.example' "$BASE/transmission/web/")" = 421 ]
check "/: 302 to /transmission/web/" [ "$(code -u "$U" "$BASE/")" = 302 ] && [ "$(hdr Location)" = /transmission/web/ ]
check "/transmission/web: 301 to /transmission/web/" [ "$(code -u "$U" "$BASE/transmission/web")" = 301 ] && [ "$(hdr Location)" = /transmission/web/ ]
check "/transmission/web/: 200" [ "$(code -u "$U" "$BASE/transmission/web/")" = 200 ]
check "  ... index.html, byte for byte" cmp -s "$T/body" "$WEB/index.html"
check "  ... text/html" [ "$(hdr Content-Type)" = "text/html; charset=UTF-8" ]
check "  ... nosniff" [ "$(hdr X-Content-Type-Options)" = nosniff ]
check "  ... no framing" [ "$(hdr X-Frame-Options)" = DENY ]
for f in javascript/transmission.js:text/javascript style/transmission/common.css:text/css \
    images/favicon.png:image/png images/favicon.ico:image/x-icon; do
	p=${f%%:*} ty=${f#*:}
	check "$p: 200, $ty, byte for byte" sh -c "[ '$(code -u "$U" "$BASE/transmission/web/$p")' = 200 ] && cmp -s '$T/body' '$WEB/$p'"
	check "  ... Content-Type $ty" sh -c "hdr() { tr -d '\r' <'$T/hdr' | sed -n \"s/^\$1: //Ip\" | head -n 1; }; hdr Content-Type | grep -q '^$ty'"
done
check "a query string is ignored" [ "$(code -u "$U" "$BASE/transmission/web/index.html?_=1")" = 200 ]
check "HEAD: 200" [ "$(code -u "$U" -I "$BASE/transmission/web/javascript/main.js")" = 200 ]
check "  ... Content-Length is the file's size" [ "$(hdr Content-Length)" = "$(stat -c %s "$WEB/javascript/main.js")" ]
# The raw answer to a HEAD that closes: headers and nothing after them.
raw_head() {
	$PY - "$RP" "$U" <<'PYEOF'
import base64, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
a = base64.b64encode(sys.argv[2].encode()).decode()
s.sendall(("HEAD /transmission/web/javascript/main.js HTTP/1.1\r\n"
           "Host: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
           "Connection: close\r\n\r\n" % a).encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
head, sep, rest = data.partition(b"\r\n\r\n")
sys.exit(0 if head.startswith(b"HTTP/1.1 200") and sep and rest == b"" else 1)
PYEOF
}
check "  ... and no body" raw_head
code -u "$U" "$BASE/transmission/web/index.html" >/dev/null
ETAG=$(hdr ETag)
check "an ETag" [ -n "$ETAG" ]
check "If-None-Match with it: 304" [ "$(code -u "$U" -H "If-None-Match: $ETAG" "$BASE/transmission/web/index.html")" = 304 ]
check "POST to the web: 405" [ "$(code -u "$U" -d x "$BASE/transmission/web/index.html")" = 405 ]
check "a file that is not there: 404" [ "$(code -u "$U" "$BASE/transmission/web/nothing.js")" = 404 ]
check "the RPC still answers (409 handshake)" [ "$(code -u "$U" -d '{}' "$BASE/transmission/rpc")" = 409 ]

# The page in headless Chromium: as root without its own sandbox (the
# test's namespaces are the sandbox), a private profile, no extensions,
# GPU, first run, crash reports or background networking; loopback is
# all the namespace has.
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	notok "chromium is installed (mk/bootstrap.sh test packages)"
	exit 1
fi
if ! $PY -c 'import websocket' 2>/dev/null; then
	notok "python3-websocket is installed (mk/bootstrap.sh test packages)"
	exit 1
fi
NOSBX=""
[ "$(id -u)" = 0 ] && NOSBX=--no-sandbox
mkdir -p "$T/chrome" "$SHOT_DIR"
SHOT=$SHOT_DIR/btd-webui.png
rm -f "$SHOT"
spawn 150 "$CHROME" --headless $NOSBX --user-data-dir="$T/chrome" \
    --remote-debugging-address=127.0.0.1 --remote-debugging-port=$DT \
    --remote-allow-origins="http://127.0.0.1:$DT" \
    --disable-gpu --disable-extensions --disable-component-extensions-with-background-pages \
    --no-first-run --no-default-browser-check --disable-crash-reporter \
    --disable-breakpad --disable-background-networking --disable-sync \
    --disable-default-apps --disable-component-update --disable-dev-shm-usage \
    --metrics-recording-only --password-store=basic --use-mock-keychain \
    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
    about:blank >"$T/chrome.out" 2>&1
CHROME_PID=$SPAWNED
check "chromium's DevTools listen" wait_for 30 sh -c "ss -ltn | grep -q '127.0.0.1:$DT '"
MAG="magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=from-the-page"
timeout -k 2 120 $PY "$TOP/tests/interop/webui_drive.py" --devtools $DT \
    --url "$BASE/" --auth "$U" --expect half.bin --add "$MAG" \
    --add-name from-the-page --upload "$T/upped.torrent" \
    --upload-name upped.bin --shot "$SHOT" --timeout 60 \
    --btctl "$BTCTL -s $SOCK" \
    >"$T/drive.out" 2>"$T/drive.err"
RC=$?
sed 's/^/# /' "$T/drive.out"
check "the driver ran every step" [ "$RC" = 0 ]
step() { grep "\"step\": \"$1\"" "$T/drive.out" | head -n 1; }
ROWS=$(step rows)
check "the page loaded through the redirect" [ "$(pyget "$ROWS" "j['location']")" = "$BASE/transmission/web/" ]
check "  ... it is Transmission's web interface" [ "$(pyget "$ROWS" "j['title']")" = "Transmission Web Interface" ]
check "the page lists the torrent btctl added" [ "$(pyget "$ROWS" "[r['name'] for r in j['rows']]")" = "['half.bin']" ]
SHOWN=$(pyget "$ROWS" "[r['progress'] for r in j['rows']][0]")
echo "# shown: $SHOWN; btctl progress $PROG"
same_pct() {
	$PY -c "
import re, sys
m = re.search(r'\(([0-9.]+)%\)', sys.argv[1])
sys.exit(0 if m and abs(float(m.group(1)) - 100 * float(sys.argv[2])) < 0.6 else 1)" "$SHOWN" "$PROG"
}
check "  ... with btctl's progress, in percent" same_pct
PEERS=$(pyget "$ROWS" "[r['peers'] for r in j['rows']][0]")
check "  ... and its peers: none sending to us, one connected" sh -c "echo '$PEERS' | grep -q '^Downloading from 0 of 1 peer '"

check "  ... and its size (4.1 MB or 4.19 MB)" sh -c "echo '$SHOWN' | grep -Eq 'of 4\\.(1|19) MB'"
BAR=$(pyget "$ROWS" "[r['bar'] for r in j['rows']][0]")
check "  ... its progress bar as wide as the progress" $PY -c "import sys; sys.exit(0 if abs(float('${BAR%\%}') - 100 * $PROG) < 1 else 1)"
ADDED=$(step added)
check "the torrent added from the page is listed there" [ "$(pyget "$ADDED" "sorted(r['name'] for r in j['rows'])")" = "['from-the-page', 'half.bin']" ]
check "  ... and in btctl list then, by the magnet's hash and name" [ "$(pyget "$ADDED" "[n for i, n in j['btctl'] if i == '0123456789abcdef0123456789abcdef01234567']")" = "['from-the-page']" ]
UPPED=$(step uploaded)
check "the .torrent uploaded through the page is listed there" [ "$(pyget "$UPPED" "sorted(r['name'] for r in j['rows'])")" = "['from-the-page', 'half.bin', 'upped.bin']" ]
check "  ... and in btctl list then, by its info-hash" [ "$(pyget "$UPPED" "[n for i, n in j['btctl'] if i == '$UPIH']")" = "['upped.bin']" ]
check "  ... in btd's download dir" [ "$(tfield_a_n upped.bin save_path)" = "$T/a/dl" ]
GONE=$(step removed)
check "the page's remove takes the magnet's torrent off its list" [ "$(pyget "$GONE" "sorted(r['name'] for r in j['rows'])")" = "['half.bin', 'upped.bin']" ]
check "  ... and out of btctl list" [ "$(pyget "$GONE" "sorted(n for i, n in j['btctl'])")" = "['half.bin', 'upped.bin']" ]
removed_named() {
	rpc '{"method":"torrent-get","arguments":{"ids":"recently-active","fields":["id"]}}' >"$T/recent.json"
	rpc '{"method":"torrent-get","arguments":{"fields":["id"]}}' >"$T/all.json"
	$PY -c "import json,sys
r=json.load(open('$T/recent.json'))['arguments']['removed']
a=[t['id'] for t in json.load(open('$T/all.json'))['arguments']['torrents']]
sys.exit(0 if len(r) == 1 and r[0] not in a and len(a) == 2 else 1)"
}
check "torrent-get recently-active: 'removed' names it" removed_named
INSP=$(step inspector)
check "the inspector shows btctl's info-hash" [ "$(pyget "$INSP" "j['info']['hash']")" = "$(tfield_a id)" ]
check "  ... its location" [ "$(pyget "$INSP" "j['info']['location']")" = "$(tfield_a save_path)" ]
check "  ... and its peer, the leecher" [ "$(pyget "$INSP" "sum('127.0.0.1' in r and 'libtorrent' in r for r in j['peers'])")" = 1 ]
ERR=$(step errors)
check "no HTTP error on the way (but the 409 handshake)" [ "$(pyget "$ERR" "j['http']")" = "[]" ]
check "no JavaScript exception" [ "$(pyget "$ERR" "j['exceptions']")" = "[]" ]
check "no 'Connection Failed' dialog" [ "$(pyget "$ERR" "j['dialog']")" = "" ]
check "session-get, session-stats, torrent-get, torrent-add all succeeded" [ "$(pyget "$ERR" "sorted(set(m for m, r in j['rpc'] if r != 'success') & {'session-get', 'session-stats', 'torrent-get', 'torrent-add'})")" = "[]" ]
check "torrent-remove succeeded" [ "$(pyget "$ERR" "[r for m, r in j['rpc'] if m == 'torrent-remove']")" = "['success']" ]
check "  ... torrent-add twice (magnet, then metainfo)" [ "$(pyget "$ERR" "sum(1 for m, r in j['rpc'] if m == 'torrent-add')")" = 2 ]
check "  ... and the page made each of them" [ "$(pyget "$ERR" "sorted(set(m for m, r in j['rpc']) & {'session-get', 'session-stats', 'torrent-get', 'torrent-add'})")" = "['session-get', 'session-stats', 'torrent-add', 'torrent-get']" ]
echo "# other RPC results: $(pyget "$ERR" "sorted(set((m, r) for m, r in j['rpc'] if r != 'success'))")"
check "a PNG screenshot" sh -c "[ \"\$(head -c 8 '$SHOT' | od -An -tx1 | tr -d ' ')\" = 89504e470d0a1a0a ] && [ \$(stat -c %s '$SHOT') -gt 10000 ]"
echo "# screenshot: $SHOT"
stop_pids "$CHROME_PID"
check "chromium stopped with its process group" wait_for 5 dead "$CHROME_PID"
# Every process of it names the private profile: none is left.
chrome_gone() { ! pgrep -f -- "--user-data-dir=$T/chrome" >/dev/null; }
check "  ... every chromium process is gone" wait_for 10 chrome_gone
check "rpcd was not restarted" [ "$(role_pid rpcd)" = "$RPCD_PID" ]
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# Hostile paths, against a copy of the web dir with traps planted.
cp -r "$WEB" "$T/web"
chmod -R a+rX "$T/web"
echo secret >"$T/secret"
chmod 644 "$T/secret"
ln -s /etc/passwd "$T/web/abs-link"
ln -s ../secret "$T/web/rel-link"
ln -s /etc "$T/web/dir-link"
ln -s index.html "$T/web/inside-link.html"
mkfifo "$T/web/fifo"
truncate -s 9M "$T/web/huge.js"
echo hidden >"$T/web/.hidden"
printf 'rpc_enabled yes\nrpc_bind 127.0.0.1:%s\nrpc_web_dir %s\n' "$RP" \
    "$T/web" >"$T/b.conf"
btd_start b -p 7512 -c "$T/b.conf"
check "rpcd running with a web dir of the test's" wait_for 10 rpcd_up
PW=$(sed -n 's/^password //p' "$STATE/rpc-password")
U="btd:$PW"
RPCD_PID=$(role_pid rpcd)
W=$BASE/transmission/web
check "its own index.html" sh -c "[ '$(code -u "$U" "$W/")' = 200 ] && cmp -s '$T/body' '$T/web/index.html'"
check "a symlink that stays inside: served" [ "$(code -u "$U" "$W/inside-link.html")" = 200 ]
check "'..' (as is): 404" [ "$(code -u "$U" --path-as-is "$W/../../../etc/passwd")" = 404 ]
check "'..' after a dir (as is): 404" [ "$(code -u "$U" --path-as-is "$W/javascript/../../secret")" = 404 ]
check "%2e%2e: 404" [ "$(code -u "$U" "$W/%2e%2e/%2e%2e/%2e%2e/etc/passwd")" = 404 ]
check "%2e%2e%2f in one component: 404" [ "$(code -u "$U" "$W/%2e%2e%2fsecret")" = 404 ]
check "%2E%2E upper case: 404" [ "$(code -u "$U" "$W/javascript/%2E%2E/%2E%2E/secret")" = 404 ]
check "a symlink to /etc/passwd: 404" [ "$(code -u "$U" "$W/abs-link")" = 404 ]
check "  ... and nothing of it sent" sh -c "! grep -q root: '$T/body'"
check "a symlink to ../secret: 404" [ "$(code -u "$U" "$W/rel-link")" = 404 ]
check "  ... and nothing of it sent" sh -c "! grep -q secret '$T/body'"
check "a file through a symlink to /etc: 404" [ "$(code -u "$U" "$W/dir-link/passwd")" = 404 ]
check "a directory: 404" [ "$(code -u "$U" "$W/javascript")" = 404 ]
check "a directory without index.html: 404" [ "$(code -u "$U" "$W/javascript/")" = 404 ]
check "a FIFO: 404, at once" [ "$(code -u "$U" "$W/fifo")" = 404 ]
check "a file over the size bound: 403" [ "$(code -u "$U" "$W/huge.js")" = 403 ]
check "a hidden file: 404" [ "$(code -u "$U" "$W/.hidden")" = 404 ]
check "an empty component: 404" [ "$(code -u "$U" "$W//index.html")" = 404 ]
check "%00: 400" [ "$(code -u "$U" "$W/index.html%00.png")" = 400 ]
check "a backslash: 400" [ "$(code -u "$U" "$W/..%5c..%5csecret")" = 400 ]
check "a control byte: 400" [ "$(code -u "$U" "$W/a%0ab")" = 400 ]
LONGC=$($PY -c "print('a' * 300)")
check "a 300-byte file name: 404" [ "$(code -u "$U" "$W/$LONGC")" = 404 ]
LONGP=$($PY -c "print('/'.join(['abcdefgh'] * 150))")
check "a 1,350-byte path: 414" [ "$(code -u "$U" "$W/$LONGP")" = 414 ]
LONGU=$($PY -c "print('%41' * 6000)")
c=$(code -u "$U" "$W/$LONGU")
check "an 18,000-byte request line: refused ($c)" sh -c "[ '$c' = 414 ] || [ '$c' = 400 ] || [ '$c' = 413 ] || [ '$c' = 000 ]"
check "the log says a symlink led out" grep -q "web: abs-link leads out of the web dir" "$LOG"
check "the log names the refused '..'" grep -q "http: web: refused /transmission/web/javascript/../../secret: empty, '.' or '..' component" "$LOG"
check "rpcd still up, not restarted" [ "$(role_pid rpcd)" = "$RPCD_PID" ]
check "  ... and serving" sh -c "[ '$(code -u "$U" "$W/javascript/main.js")' = 200 ] && cmp -s '$T/body' '$T/web/javascript/main.js'"
check "  ... and the RPC" [ "$(code -u "$U" -d '{}' "$BASE/transmission/rpc")" = 409 ]
check "btctl still works" sh -c "'$BTCTL' -s '$SOCK' list >/dev/null"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# rpc_web_dir empty: no web interface; one that is missing: the same,
# and btd says why.  The RPC runs either way.
for n in off missing; do
	d='""'
	[ $n = missing ] && d=$T/nothere
	printf 'rpc_enabled yes\nrpc_bind 127.0.0.1:%s\nrpc_web_dir %s\n' \
	    "$RP" "$d" >"$T/$n.conf"
	btd_start "$n" -p 7513 -c "$T/$n.conf"
	check "rpc_web_dir $d: rpcd runs" wait_for 10 rpcd_up
	PW=$(sed -n 's/^password //p' "$STATE/rpc-password")
	check "rpc_web_dir $d: the web is 404" [ "$(code -u "btd:$PW" "$BASE/transmission/web/")" = 404 ]
	check "rpc_web_dir $d: ... saying it is off" grep -q "the web interface is off" "$T/body"
	check "rpc_web_dir $d: the RPC answers" [ "$(code -u "btd:$PW" -d '{}' "$BASE/transmission/rpc")" = 409 ]
	check "rpc_web_dir $d: status has no web dir rule" sh -c "! '$BTCTL' -s '$SOCK' status | grep -q 'web dir'"
	ctl shutdown >/dev/null
	wait_for 10 dead "$BTD_PID"
done
check "a missing rpc_web_dir is logged" grep -q "rpc_web_dir $T/nothere: No such file or directory; no web interface" "$T/missing/log"
