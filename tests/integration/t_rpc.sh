#!/bin/sh
# The Transmission RPC (rpcd) driven by the real transmission-remote
# (Debian's transmission-cli 3.00), each output compared with what
# `btctl --json` says; a download started from transmission-remote
# completes from a python3-libtorrent seeder.  Then hostile HTTP: no
# session id, wrong auth, wrong Host, a 100 MB body, 10,000 nested
# arrays, invalid UTF-8 (each refused, rpcd stays up, btctl works), and
# kill -9 of rpcd (restarted, clients work again).  Without rpc_enabled
# nothing listens and status says rpcd is off; a rpc_bind that btd cannot
# bind (in use, not on this host) fails rpcd with the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

RP=19091
URL=http://127.0.0.1:$RP/transmission/rpc

# Off by default: no rpcd, nothing on the port.
btd_start off -p 7420
check "rpc off: status shows rpcd off" [ "$(role_field rpcd state)" = off ]
check "rpc off: nothing listens on 9091" sh -c "! ss -ltn | grep -q ':9091 '"
check "rpc off: no password file" [ ! -e "$STATE/rpc-password" ]
out=$(ctl restart rpcd 2>&1)
check "rpc off: restart rpcd is refused, saying why" sh -c "echo '$out' | grep -q 'rpcd is off (rpc_enabled is no'"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

swarm_init 3000000 16
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7401 --seconds 600 \
    >"$T/lt_seed.out" 2>&1 &
PIDS="$PIDS $!"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"

printf 'rpc_enabled yes\nrpc_bind 127.0.0.1:%s\n' "$RP" >"$T/rpc.conf"
btd_start a -p 7411 -c "$T/rpc.conf"
rpcd_up() { [ "$(role_field rpcd state)" = running ] && ss -ltn | grep -q ":$RP "; }
check "rpcd running and listening" wait_for 10 rpcd_up
check "password file written" [ -f "$STATE/rpc-password" ]
check "password file mode 0600" [ "$(stat -c %a "$STATE/rpc-password")" = 600 ]
check "log says where the password is" grep -q "written to $STATE/rpc-password" "$LOG"
PW=$(sed -n 's/^password //p' "$STATE/rpc-password")
check "a password of 24 characters" [ ${#PW} = 24 ]
check "state.db keeps the hash, not the password" sh -c "sqlite3 '$STATE/state.db' \"select value from meta where key='rpc_password'\" | grep -q '^pbkdf2-sha256\\\$100000\\\$' && ! sqlite3 '$STATE/state.db' .dump | grep -q '$PW'"
check "btctl get shows the hash only" sh -c "ctl() { '$BTCTL' -s '$SOCK' \"\$@\"; }; ctl get rpc_password | grep -q pbkdf2-sha256 && ! ctl get rpc_password | grep -q '$PW'"
RPCD_PID=$(role_pid rpcd)

TR() { timeout 30 transmission-remote 127.0.0.1:$RP -n "btd:$PW" "$@"; }
jctl() { "$BTCTL" -s "$SOCK" --json "$@"; }

# -si
TR -si >"$T/si.out" 2>&1
check "-si: daemon version" grep -q "Daemon version: 4.0.0 (btd " "$T/si.out"
check "-si: rpc version 17" grep -q "RPC version: 17" "$T/si.out"
check "-si: download dir as btctl get" grep -q "Download directory: $T/a/dl\$" "$T/si.out"
check "-si: listen port as btctl get" grep -q "Listenport: $(jctl get peer_port | $PY -c 'import json,sys; print(json.load(sys.stdin)["settings"][0]["value"])')\$" "$T/si.out"

# -a FILE: the download from the libtorrent seeder.
TR -a "$TOR" >"$T/add.out" 2>&1
check "-a FILE: success" grep -q 'responded: "success"' "$T/add.out"
check "-a FILE: btctl lists it" [ "$(tfield "$SOCK" "$ID" name)" = pay ]
check "-a FILE: the download completes" sh -c "'$BTCTL' -s '$SOCK' wait '$ID' --timeout 90 >/dev/null"
check "-a FILE: same bytes as the seeder's" same_data "$T/a/dl"
seeded() { [ "$(tfield "$SOCK" "$ID" seconds_seeding)" -ge 2 ]; }
check "seconds seeding count after the download" wait_for 10 seeded
check "-i: the seeding time, from secondsSeeding" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'btd:$PW' -t 1 -i | grep -q 'Seeding Time: '"

# -l against btctl list --json.
TR -l >"$T/l.out" 2>&1
line1=$(grep -E '^ +1 ' "$T/l.out")
check "-l: torrent 1 is there" [ -n "$line1" ]
check "-l: its name is btctl's" [ "$(echo "$line1" | awk '{print $NF}')" = "$(tfield "$SOCK" "$ID" name)" ]
done_both() {
	[ "$(echo "$line1" | awk '{print $2}')" = 100% ] &&
	    [ "$($PY -c "print(float('$(tfield "$SOCK" "$ID" progress)') == 1.0)")" = True ]
}
check "-l: 100% done as btctl's progress 1" done_both
# transmission-remote 3.00 calls status 6 (seeding) "Idle" while no
# peer downloads from it.
check "-l: seeding (Idle) as btctl says seeding" sh -c "echo '$line1' | grep -Eq ' (Idle|Seeding) ' && [ '$(tfield "$SOCK" "$ID" state)' = seeding ]"

# -t 1 -i
TR -t 1 -i >"$T/i.out" 2>&1
check "-i: hash is btctl's id" grep -q "Hash: $(tfield "$SOCK" "$ID" id)\$" "$T/i.out"
check "-i: location is btctl's save_path" grep -q "Location: $(tfield "$SOCK" "$ID" save_path)\$" "$T/i.out"
check "-i: name" grep -q "Name: pay\$" "$T/i.out"
check "-i: percent done 100%" grep -q "Percent Done: 100%" "$T/i.out"
check "-i: piece count as btctl show" grep -q "Piece Count: $(jctl show "$ID" | $PY -c 'import json,sys; print(json.load(sys.stdin)["piece_count"])')\$" "$T/i.out"

# -t 1 -f
TR -t 1 -f >"$T/f.out" 2>&1
nf=$(jctl files "$ID" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["files"]))')
check "-f: file count as btctl files" grep -q "^pay ($nf files):" "$T/f.out"
first=$(jctl files "$ID" | $PY -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["path"])')
check "-f: first file named as btctl files" grep -Eq "^ +0: .* pay/$first\$" "$T/f.out"

# -G / -g: file 0 unwanted, wanted again.
prio0() { jctl files "$ID" | $PY -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["priority"])'; }
TR -t 1 -G 0 >/dev/null 2>&1
check "-G 0: btctl files says skip" [ "$(prio0)" = skip ]
TR -t 1 -f >"$T/f2.out" 2>&1
check "-G 0: -f says No" grep -Eq "^ +0: .* No " "$T/f2.out"
TR -t 1 -g 0 >/dev/null 2>&1
check "-g 0: btctl files says normal" [ "$(prio0)" = normal ]
ctl files "$ID" --priority 0=high >/dev/null
TR -t 1 -g 0 >/dev/null 2>&1
check "-g 0 of a wanted file: its priority (high) is kept" [ "$(prio0)" = high ]
TR -t 1 -f >"$T/f3.out" 2>&1
check "-f: shows High as btctl files" grep -Eq "^ +0: .* High +Yes " "$T/f3.out"
ctl files "$ID" --priority 0=normal >/dev/null

# -v: verify, as btctl verify (a check runs: checks counted).
checks0=$(tfield "$SOCK" "$ID" checks)
TR -t 1 -v >"$T/v.out" 2>&1
check "-v: success" grep -q 'responded: "success"' "$T/v.out"
checked_again() { [ "$(tfield "$SOCK" "$ID" checks)" -gt "$checks0" ] && [ "$(tfield "$SOCK" "$ID" state)" = seeding ]; }
check "-v: btctl counts one more check, and it seeds again" wait_for 20 checked_again

# -S / -s
TR -t 1 -S >/dev/null 2>&1
check "-S: btctl says paused" [ "$(tfield "$SOCK" "$ID" state)" = paused ]
TR -t 1 -i >"$T/i2.out" 2>&1
check "-S: -i says Stopped" grep -q "State: Stopped" "$T/i2.out"
TR -t 1 -s >/dev/null 2>&1
check "-s: btctl says it is no longer paused" wait_for 10 sh -c "[ \"\$('$BTCTL' -s '$SOCK' list --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"torrents\"][0][\"state\"])')\" != paused ]"

# -d / -u: session limits in KiB/s, btctl's download_rate_limit.
lim() { jctl get "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)["settings"][0]["value"])'; }
TR -d 300 -u 200 >/dev/null 2>&1
check "-d 300: download_rate_limit 300" [ "$(lim download_rate_limit)" = 300 ]
check "-u 200: upload_rate_limit 200" [ "$(lim upload_rate_limit)" = 200 ]
TR -si >"$T/si2.out" 2>&1
check "-si: shows the download limit" grep -q "Download speed limit: 300" "$T/si2.out"
TR -D -U >/dev/null 2>&1
check "-D: download_rate_limit 0" [ "$(lim download_rate_limit)" = 0 ]
check "-U: upload_rate_limit 0" [ "$(lim upload_rate_limit)" = 0 ]

# -st against btctl stats --json.
TR -st >"$T/st.out" 2>&1
check "-st: current and total sections" sh -c "grep -q 'CURRENT SESSION' '$T/st.out' && grep -q TOTAL '$T/st.out'"
check "-st: this run downloaded the payload (btctl stats)" [ "$(jctl stats | $PY -c 'import json,sys; print(json.load(sys.stdin)["downloaded"] >= 3000000)')" = True ]

# -a MAGNET: another torrent, no peers; fetching metadata.
MIH=0123456789abcdef0123456789abcdef01234567
TR -a "magnet:?xt=urn:btih:$MIH&dn=elsewhere" >"$T/addm.out" 2>&1
check "-a MAGNET: success" grep -q 'responded: "success"' "$T/addm.out"
check "-a MAGNET: btctl lists it fetching metadata" [ "$(tfield "$SOCK" 01234567 state)" = "fetching metadata" ]
TR -l >"$T/l2.out" 2>&1
check "-a MAGNET: -l lists it as 2" grep -Eq '^ +2 .* elsewhere$' "$T/l2.out"
TR -a "magnet:?xt=urn:btih:$MIH" >"$T/addm2.out" 2>&1
check "-a MAGNET again: a duplicate, not an error" grep -q 'responded: "success"' "$T/addm2.out"
check "a hash string names a torrent too" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'btd:$PW' -t $MIH -i | grep -q 'Name: elsewhere'"

# --remove-and-delete of torrent 1: gone, files deleted.
TR -t 1 --remove-and-delete >/dev/null 2>&1
gone() { [ -z "$(tfield "$SOCK" "$ID" id)" ]; }
check "--remove-and-delete: btctl no longer lists it" wait_for 10 gone
check "--remove-and-delete: its files are deleted" wait_for 10 sh -c "[ ! -e '$T/a/dl/pay/big.bin' ]"
check "--remove-and-delete: the other torrent keeps number 2" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'btd:$PW' -l | grep -Eq '^ +2 .* elsewhere\$'"

# The handshake and the refusals, with curl.
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
check "no session id: 409" [ "$(code -u "btd:$PW" -d '{"method":"session-get"}' "$URL")" = 409 ]
SID=$(curl -s -D - -o /dev/null -u "btd:$PW" -d '{}' "$URL" | tr -d '\r' | sed -n 's/^X-Transmission-Session-Id: //p')
check "409 carries a session id" [ ${#SID} = 48 ]
H="X-Transmission-Session-Id: $SID"
check "with the id: 200" [ "$(code -u "btd:$PW" -H "$H" -d '{"method":"session-get","tag":7}' "$URL")" = 200 ]
check "the tag is echoed" grep -q '"tag":7' "$T/body"
check "session-get names the session id" grep -q "\"session-id\":\"$SID\"" "$T/body"
check "wrong session id: 409" [ "$(code -u "btd:$PW" -H 'X-Transmission-Session-Id: 00' -d '{"method":"session-get"}' "$URL")" = 409 ]
check "wrong password: 401" [ "$(code -u "btd:nope" -H "$H" -d '{"method":"session-get"}' "$URL")" = 401 ]
check "wrong user: 401" [ "$(code -u "admin:$PW" -H "$H" -d '{"method":"session-get"}' "$URL")" = 401 ]
check "no auth: 401 with a Basic challenge" sh -c "curl -s -D - -o /dev/null -H '$H' -d '{}' '$URL' | grep -qi '^WWW-Authenticate: Basic'"
check "wrong Host: 421" [ "$(code -u "btd:$PW" -H "$H" -H 'Host: evil.example:9091' -d '{"method":"session-get"}' "$URL")" = 421 ]
check "Host localhost: 200" [ "$(code -u "btd:$PW" -H "$H" -H 'Host: localhost:9091' -d '{"method":"session-get"}' "$URL")" = 200 ]
check "another path: 404" [ "$(code -u "btd:$PW" -H "$H" -d '{}' "http://127.0.0.1:$RP/transmission/nothing")" = 404 ]
check "unknown method: the spec's error result" sh -c "[ \"\$(curl -s -u 'btd:$PW' -H '$H' -d '{\"method\":\"torrent-frobnicate\",\"arguments\":{\"ids\":[2]}}' '$URL' | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"result\"])')\" = 'method name not recognized' ]"
check "queue-move-top: succeeds, btd has no queue" sh -c "[ \"\$(curl -s -u 'btd:$PW' -H '$H' -d '{\"method\":\"queue-move-top\",\"arguments\":{\"ids\":[2]}}' '$URL' | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"result\"])')\" = success ]"
check "unknown torrent-get field: named in the result" sh -c "curl -s -u 'btd:$PW' -H '$H' -d '{\"method\":\"torrent-get\",\"arguments\":{\"fields\":[\"id\",\"bogus\"]}}' '$URL' | grep -q 'unknown field: bogus'"
check "snake_case method: answered in snake_case" sh -c "curl -s -u 'btd:$PW' -H '$H' -d '{\"method\":\"torrent_get\",\"arguments\":{\"fields\":[\"id\",\"hash_string\",\"percent_done\"]}}' '$URL' | grep -q '\"hash_string\":\"$MIH\"'"
table() {
	curl -s -u "btd:$PW" -H "$H" -d '{"method":"torrent-get","arguments":{"format":"table","fields":["id","name","startDate"]}}' "$URL" |
	    $PY -c 'import json,sys; t=json.load(sys.stdin)["arguments"]["torrents"]; print(t[0] == ["id","name","startDate"] and t[1] == [2, "elsewhere", None])'
}
check "format table: names, then rows (null where btd keeps nothing)" [ "$(table)" = True ]
head -c 100000000 /dev/zero >"$T/big"
c=$(code -u "btd:$PW" -H "$H" --data-binary @"$T/big" "$URL")
check "a 100 MB body: 413 (got $c)" [ "$c" = 413 ]
$PY -c "print('{\"method\":\"session-get\",\"arguments\":{\"x\":' + '['*10000 + ']'*10000 + '}}')" >"$T/deep"
check "10,000 nested arrays: 400" [ "$(code -u "btd:$PW" -H "$H" --data-binary @"$T/deep" "$URL")" = 400 ]
check "10,000 nested arrays: says nested too deep" grep -q "nested too deep" "$T/body"
printf '{"method":"session-get","tag":"\377\376"}' >"$T/badutf"
check "invalid UTF-8: 400" [ "$(code -u "btd:$PW" -H "$H" --data-binary @"$T/badutf" "$URL")" = 400 ]
check "not JSON: 400" [ "$(code -u "btd:$PW" -H "$H" -d '{"method":' "$URL")" = 400 ]
$PY -c "print('X-Big: ' + 'a' * 65536)" >"$T/bighdr"
c=$(code -u "btd:$PW" -H "$H" -H @"$T/bighdr" -d '{"method":"session-get"}' "$URL")
check "a 64 KiB header: refused (got $c)" [ "$c" != 200 ]
# A download dir outside download_dirs_allowed: btd's refusal, passed on.
TR -a "$TOR" -w /etc >"$T/adde.out" 2>&1
check "-a -w /etc: refused with btd's reason" grep -q "^Error: /etc: a system directory (/etc) is never a download directory" "$T/adde.out"
check "-a -w /etc: nothing added" [ -z "$(tfield "$SOCK" "$ID" id)" ]

# The cap on clients: 32 idle connections, and a 33rd is not served
# until they go; then it is, at once.
$PY - "$RP" >"$T/idle.out" 2>&1 <<'PY' &
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1])))
         for _ in range(32)]
print("open", flush=True)
time.sleep(4)
for s in socks:
    s.close()
print("closed", flush=True)
PY
IDLE=$!
PIDS="$PIDS $IDLE"
check "32 idle clients connected" wait_for 10 grep -q open "$T/idle.out"
sleep 0.5
check "with 32 clients a 33rd is not served" [ "$(code --max-time 2 -u "btd:$PW" -H "$H" -d '{"method":"session-get"}' "$URL")" = 000 ]
check "btctl works meanwhile" sh -c "'$BTCTL' -s '$SOCK' list | grep -q elsewhere"
check "the idle clients went" wait_for 10 grep -q closed "$T/idle.out"
check "then a client is served again" wait_for 5 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -u 'btd:$PW' -H '$H' -d '{\"method\":\"session-get\"}' '$URL')\" = 200 ]"
check "rpcd logged the pause" grep -q "rpcd: .*http: 3[0-9] clients: not accepting more" "$LOG"
check "after all that, rpcd is the same process" [ "$(role_pid rpcd)" = "$RPCD_PID" ]
check "after all that, transmission-remote works" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'btd:$PW' -l | grep -q elsewhere"
check "after all that, btctl works" sh -c "'$BTCTL' -s '$SOCK' list | grep -q elsewhere"

# kill -9 rpcd: restarted, clients work again (a new session id).
kill -9 "$RPCD_PID"
restarted() { p=$(role_pid rpcd); [ "$p" != 0 ] && [ "$p" != "$RPCD_PID" ] && rpcd_up; }
check "kill -9 rpcd: restarted" wait_for 15 restarted
check "kill -9 rpcd: restarts counted" [ "$(role_field rpcd restarts)" -ge 1 ]
check "kill -9 rpcd: transmission-remote works again" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'btd:$PW' -l | grep -q elsewhere"
check "kill -9 rpcd: the same password (its hash was kept)" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'btd:$PW' -si | grep -q 'RPC version: 17'"
ctl shutdown >/dev/null
check "btd stops with rpcd" wait_for 10 dead "$BTD_PID"

# A second start keeps the password: no new file, the old one works.
rm -f "$STATE/rpc-password"
btd_start a -p 7411 -c "$T/rpc.conf"
check "second start: rpcd up" wait_for 10 rpcd_up
check "second start: no new password file" [ ! -e "$STATE/rpc-password" ]
check "second start: the first password still works" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'btd:$PW' -l | grep -q elsewhere"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# A password chosen by the operator: its hash in btd.conf.
HASH=$($PY -c "import hashlib; s=bytes(range(16)); print('pbkdf2-sha256\$1000\$%s\$%s' % (s.hex(), hashlib.pbkdf2_hmac('sha256', b's3cret pass', s, 1000).hex()))")
printf 'rpc_enabled yes\nrpc_bind 127.0.0.1:%s\nrpc_username admin\nrpc_password %s\n' "$RP" "$HASH" >"$T/rpc2.conf"
btd_start b -p 7412 -c "$T/rpc2.conf"
check "chosen password: rpcd up" wait_for 10 rpcd_up
check "chosen password: no password file" [ ! -e "$STATE/rpc-password" ]
check "chosen password: admin logs in" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'admin:s3cret pass' -l | grep -q '^Sum:'"
check "chosen password: the wrong one is refused" sh -c "timeout 30 transmission-remote 127.0.0.1:$RP -n 'admin:s3cret' -l 2>&1 | grep -q 401"
printf 'rpc_enabled yes\nrpc_password secret\n' >"$T/rpc3.conf"
check "a clear rpc_password in btd.conf: btd refuses to start" sh -c "! timeout 10 '$BTD' -f -S '$T/c/state' -c '$T/rpc3.conf' >'$T/c.log' 2>&1"
check "a clear rpc_password: the error says what is wanted" grep -q "rpc_password: not pbkdf2-sha256" "$T/c.log"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# btd binds rpc_bind for rpcd: a port in use, or an address not on this
# host, fails rpcd closed with the reason; btd and btctl go on.  The
# holder reuses the address, as btd does: the connections above may be
# in TIME_WAIT, but a listener is never shared.
$PY -c "import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $RP)); s.listen(1); time.sleep(120)" &
HOLD=$!
PIDS="$PIDS $HOLD"
check "a listener holds the rpc port" wait_for 10 sh -c "ss -ltn | grep -q '127.0.0.1:$RP '"
btd_start busy -p 7414 -c "$T/rpc.conf"
rpcd_failed() { [ "$(role_field rpcd state)" = failed ]; }
check "port in use: rpcd failed" wait_for 10 rpcd_failed
check "port in use: status gives the reason" [ "$(role_field rpcd last_exit)" = "rpc_bind 127.0.0.1:$RP: Address already in use" ]
check "port in use: btd logs it" grep -q "rpcd: not started: rpc_bind 127.0.0.1:$RP: Address already in use" "$LOG"
check "port in use: no rpcd process" [ "$(role_field rpcd pid)" = 0 ]
check "port in use: btctl still answers" sh -c "'$BTCTL' -s '$SOCK' list >/dev/null"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
printf 'rpc_enabled yes\nrpc_bind 192.0.2.1:%s\n' "$RP" >"$T/rpcx.conf"
btd_start away -p 7415 -c "$T/rpcx.conf"
check "address not on this host: rpcd failed" wait_for 10 rpcd_failed
check "address not on this host: status gives the reason" [ "$(role_field rpcd last_exit)" = "rpc_bind 192.0.2.1:$RP: Cannot assign requested address" ]
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# IPv6: rpc_bind [::1]:PORT; Host [::1]:PORT is its own address.
printf 'rpc_enabled yes\nrpc_bind [::1]:%s\n' "$RP" >"$T/rpc6.conf"
btd_start six -p 7413 -c "$T/rpc6.conf"
rpcd6_up() { [ "$(role_field rpcd state)" = running ] && ss -ltn | grep -q "\[::1\]:$RP "; }
check "[::1]: rpcd listens there" wait_for 10 rpcd6_up
PW6=$(sed -n 's/^password //p' "$STATE/rpc-password")
check "[::1]: nothing on 127.0.0.1" [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$RP/transmission/rpc")" = 000 ]
check "[::1]: the handshake answers 409" [ "$(curl -g -s -o /dev/null -w '%{http_code}' -u "btd:$PW6" -d '{}' "http://[::1]:$RP/transmission/rpc")" = 409 ]
check "[::1]: transmission-remote works" sh -c "timeout 30 transmission-remote '[::1]:$RP' -n 'btd:$PW6' -si | grep -q 'RPC version: 17'"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
