#!/bin/sh
# trackerd against a hostile tracker (tests/support/fake_tracker.py):
# every row of the tracker part of HOSTILE.md, a tracker that never
# answers, one that closes mid-body, one that redirects in a loop, one
# that returns HTML.  Each ends in a tracker error (or a clamped, sane
# result) shown by `btctl trackers`; trackerd never crashes, and a slow
# tracker does not stall the others.
. "$(dirname "$0")/lib.sh"

HP=18690
UB=18700
timeout -k 2 300 $PY tests/support/fake_tracker.py --http $HP --udp-base $UB \
    --log "$T/fake.log" --max-seconds 280 >"$T/fake.out" 2>&1 &
PIDS="$PIDS $!"
check "fake tracker ready" wait_for 10 grep -q ready "$T/fake.out"

payload "$T/f.bin" 40000
# The fake tracker takes its behaviour from the first path segment
# (/<mode>/announce): on loopback the address policy allows such a path
# only by this setting (t_ssrf.sh tests the default).
printf 'tracker_loopback_any_path yes\n' >"$T/any.conf"
btd_start h -p 7201 -c "$T/any.conf"
tpid=$(role_pid trackerd)

# One torrent per behaviour: the name differs, so the info-hash does.
add() {
	mktorrent -n "$1" -a "$2" -o "$T/$1.torrent" "$T/f.bin" >/dev/null
	ctl add "$T/$1.torrent" | awk '{print $2}'
}
for m in never huge gzipbomb badchunk closemid redirloop redirfile \
    redirgopher redirftp html interval0 intervalneg intervalhuge ragged \
    millionpeers escapes failure dictpeers; do
	eval "id_$m=\$(add h_$m http://127.0.0.1:$HP/$m/announce)"
done
i=0
for m in ok wrongtid short error stale otheraddr silent ragged; do
	eval "id_u$m=\$(add u_$m udp://127.0.0.1:$((UB + i)))"
	i=$((i + 1))
done
# Added after the ones that never answer: must not wait behind them.
id_ok=$(add h_ok http://127.0.0.1:$HP/ok/announce)
# BEP 12: fall through to the next tier; within a tier, the tracker
# that answers moves to the front.
mktorrent -n tiers -a "http://127.0.0.1:$HP/failure/announce" -a "http://127.0.0.1:$HP/ok/announce" -o "$T/tiers.torrent" "$T/f.bin" >/dev/null
id_tiers=$(ctl add "$T/tiers.torrent" | awk '{print $2}')
mktorrent -n onetier -a "http://127.0.0.1:$HP/html/announce,http://127.0.0.1:$HP/ok/announce" -o "$T/onetier.torrent" "$T/f.bin" >/dev/null
id_onetier=$(ctl add "$T/onetier.torrent" | awk '{print $2}')
# HTTPS: a tracker with a self-signed certificate.  The TLS handshake
# runs inside the confined trackerd (OpenSSL, the CA store) and the
# certificate is refused, as it must be.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
cat >"$T/tls.py" <<'PY'
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"d8:intervali1800e5:peers6:\x7f\x00\x00\x02\x1a\xe1e"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
timeout -k 2 200 $PY "$T/tls.py" 18443 "$T/cert.pem" "$T/key.pem" >"$T/tls.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 sh -c "ss -ltn | grep -q ':18443 '"
id_tls=$(add tls https://127.0.0.1:18443/announce)
# Names resolved inside the sandbox: curl's resolver and evdns.
id_lh=$(add lh_http http://localhost:$HP/ok/announce)
id_lu=$(add lh_udp udp://localhost:$UB)

trk() { ctl trackers "$1" --json | $PY -c "import json,sys; j=json.load(sys.stdin); t=j['trackers'][0]; print($2)"; }
status_is() { [ "$(trk "$1" "t['status']")" = "$2" ]; }
err_has() { trk "$1" "t['last_error']" | grep -q -- "$2"; }

check "ok: working although others hang" wait_for 10 status_is "$id_ok" working
check "ok: compact peers and peers6 taken" [ "$(ctl trackers "$id_ok" --json | $PY -c "import json,sys; print(json.load(sys.stdin)['peer_count'])")" = 3 ]
check "dictpeers: working" wait_for 10 status_is "$id_dictpeers" working
check "dictpeers: hostname and port 0 dropped" [ "$(ctl trackers "$id_dictpeers" --json | $PY -c "import json,sys; print(sorted((p['addr'],p['port']) for p in json.load(sys.stdin)['peers']))")" = "[('127.0.0.2', 6881), ('127.0.0.3', 6882)]" ]
check "huge body: error" wait_for 10 err_has "$id_huge" "larger than"
check "gzip bomb: capped after decoding" wait_for 10 err_has "$id_gzipbomb" "larger than"
check "millionpeers: capped" wait_for 10 err_has "$id_millionpeers" "larger than"
check "broken chunking: error" wait_for 10 status_is "$id_badchunk" error
check "closes mid-body: error" wait_for 10 status_is "$id_closemid" error
check "redirect loop: bounded" wait_for 10 err_has "$id_redirloop" "redirects"
for r in redirfile redirgopher redirftp; do
	eval "id=\$id_$r"
	check "$r: refused scheme" wait_for 10 err_has "$id" "scheme"
done
check "html: not bencoded" wait_for 10 err_has "$id_html" "not bencoded"
check "failure reason shown" wait_for 10 err_has "$id_failure" "torrent not registered"
check "escape codes in failure reason: error" wait_for 10 status_is "$id_escapes" error
check "escape codes: escaped in the plain output" sh -c "! '$BTCTL' -s '$SOCK' trackers $id_escapes | grep -q \"\$(printf '\\033')\""
check "escape codes: shown as \\\\x1b" sh -c "'$BTCTL' -s '$SOCK' trackers $id_escapes | grep -q 'x1b'"
for m in interval0 intervalneg; do
	eval "id=\$id_$m"
	check "$m: working" wait_for 10 status_is "$id" working
	check "$m: interval clamped up to 60 s" [ "$(trk "$id" "t['next_announce'] - t['last_announce']")" -ge 60 ]
done
check "intervalhuge: working" wait_for 10 status_is "$id_intervalhuge" working
check "intervalhuge: clamped down to 3 h" [ "$(trk "$id_intervalhuge" "t['next_announce'] - t['last_announce'] <= 3 * 3600 + 5")" = True ]
check "ragged compact peers: whole entries kept" wait_for 10 status_is "$id_ragged" working
check "ragged: 3 whole peers and 1 whole peers6 entry, tails dropped" [ "$(ctl trackers "$id_ragged" --json | $PY -c "import json,sys; print(json.load(sys.stdin)['peer_count'])")" = 4 ]

check "udp ok: working" wait_for 10 status_is "$id_uok" working
tiers() { ctl trackers "$1" --json | $PY -c "import json,sys; print(' '.join('%s:%d:%s' % (t['url'].split('/')[3], t['tier'], t['status']) for t in json.load(sys.stdin)['trackers']))"; }
check "tiers: the second tier is used after the first fails" wait_for 10 sh -c "'$BTCTL' -s '$SOCK' trackers $id_tiers --json | grep -q '\"status\": \"working\"'"
check "tiers: tier 0 failed, tier 1 works ($(tiers "$id_tiers"))" [ "$(tiers "$id_tiers")" = "failure:0:error ok:1:working" ]
ot() { [ "$(tiers "$id_onetier")" = "ok:0:working html:0:error" ] || [ "$(tiers "$id_onetier")" = "ok:0:working html:0:idle" ]; }
check "one tier: the answering tracker is in front ($(tiers "$id_onetier"))" wait_for 10 ot
check "https: the TLS handshake ran and the self-signed certificate was refused ($(trk "$id_tls" "t['last_error']"))" wait_for 10 err_has "$id_tls" "certificate"
check "http to localhost: resolved under confinement" wait_for 10 status_is "$id_lh" working
check "udp to localhost: resolved under confinement" wait_for 10 status_is "$id_lu" working
check "udp ok: peers" [ "$(ctl trackers "$id_uok" --json | $PY -c "import json,sys; print(json.load(sys.stdin)['peer_count'])")" = 2 ]
# BEP 15: a connection id is reused while it is fresh: a second
# torrent on the same tracker announces without a new connect.
id_uok2=$(add u_ok2 udp://127.0.0.1:$UB)
check "udp ok: a second torrent works" wait_for 10 status_is "$id_uok2" working
conns=$(grep "port=$UB mode=ok" "$T/fake.log" | grep -c 'action=connect')
anns=$(grep "port=$UB mode=ok" "$T/fake.log" | grep -c 'action=announce')
check "udp: connection id reused ($conns connect for $anns announces)" sh -c "[ $conns = 1 ] && [ $anns -ge 2 ]"
check "udp error action: error shown, escaped" wait_for 10 err_has "$id_uerror" 'go away \\x1b'
check "udp stale connection id: reconnects and works" wait_for 10 status_is "$id_ustale" working
check "udp ragged: whole entries kept" wait_for 10 status_is "$id_uragged" working
check "udp ragged: 2 peers" [ "$(ctl trackers "$id_uragged" --json | $PY -c "import json,sys; print(json.load(sys.stdin)['peer_count'])")" = 2 ]

# Those that never answer usefully end in a timeout error.
check "never answers: error after the time limit" wait_for 40 err_has "$id_never" "imed out"
for m in wrongtid short otheraddr silent; do
	eval "id=\$id_u$m"
	check "udp $m: ignored, then a timeout error" wait_for 40 err_has "$id" "no reply"
done
# BEP 15: the second try of a silent tracker comes 15 s after the first.
gap=$(grep 'mode=silent len=' "$T/fake.log" | head -n 2 | awk '{print $2}' | tr -d + | tr '\n' ' ' | awk '{printf "%d", $2 - $1}')
check "udp silent: retransmitted after 15 s (gap $gap s)" sh -c "[ ${gap:-0} -ge 14 ] && [ ${gap:-0} -le 17 ]"
check "trackerd never crashed" [ "$(role_pid trackerd)" = "$tpid" ]
check "btd is up" alive "$BTD_PID"
