#!/bin/sh
# Slow and idle HTTP clients against rpcd, with rpc_timeout 3 so that
# nothing waits 30 s: a client sending its header a byte a second
# (slowloris) is cut at the deadline while others are served at once;
# forty of them, more than the cap of 32, are all cut and a real client
# is served meanwhile; 1,000 idle clients are refused past the cap or
# cut at the deadline, rpcd stays up, btctl works, and a real client is
# served after.
. "$(dirname "$0")/lib.sh"

RP=19291
URL=http://127.0.0.1:$RP/transmission/rpc
printf 'rpc_enabled yes\nrpc_bind 127.0.0.1:%s\nrpc_timeout 3\n' "$RP" \
    >"$T/rpc.conf"
btd_start a -p 7611 -c "$T/rpc.conf"
rpcd_up() { [ "$(role_field rpcd state)" = running ] && ss -ltn | grep -q ":$RP "; }
check "rpcd running and listening" wait_for 10 rpcd_up
PW=$(sed -n 's/^password //p' "$STATE/rpc-password")
RPCD_PID=$(role_pid rpcd)
code() { curl -s -o /dev/null -m "${CURL_MAX:-5}" -w '%{http_code}' -u "btd:$PW" "$URL"; }
served() { [ "$(code)" = 409 ]; }
check "a real client is served" served

# One slowloris: cut at about 3 s; another client is served meanwhile.
timeout 30 $PY tests/interop/slow_clients.py slowloris 127.0.0.1 "$RP" 1 12 \
    >"$T/slow1.out" 2>&1 &
SL=$!
PIDS="$PIDS $SL"
sleep 1
t0=$(date +%s%N)
check "while a slowloris sends: another client is served" served
t1=$(date +%s%N)
check "... within a second" [ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
wait_for 20 dead "$SL"
cut=$(sed -n 's/^cut //p' "$T/slow1.out")
check "the slowloris was cut (got: $(cat "$T/slow1.out"))" [ -n "$cut" ]
check "... at the deadline, between 2 and 8 s (got ${cut:-none})" $PY -c "import sys; sys.exit(not 2.0 <= float('${cut:-0}') <= 8.0)"
check "the log says why" grep -q "http: a client sent no whole request in 3 s: closed" "$LOG"

# Forty of them, past the cap: all cut; a real client waits its turn.
timeout 60 $PY tests/interop/slow_clients.py slowloris 127.0.0.1 "$RP" 40 25 \
    >"$T/slow40.out" 2>&1 &
SL=$!
PIDS="$PIDS $SL"
sleep 1.5
check "forty slowloris: a real client is served meanwhile" env CURL_MAX=15 sh -c "[ \"\$(curl -s -o /dev/null -m 15 -w '%{http_code}' -u 'btd:$PW' '$URL')\" = 409 ]"
wait_for 60 dead "$SL"
check "forty slowloris: all cut (got: $(sort "$T/slow40.out" | uniq -c | tr '\n' ' '))" [ "$(grep -c '^cut ' "$T/slow40.out")" = 40 ]
check "rpcd paused accepting at the cap" grep -q "http: 32 clients: not accepting more" "$LOG"
check "rpcd accepts again" grep -q "http: [0-9]* clients: accepting again" "$LOG"

# 1,000 idle clients.
timeout 60 $PY tests/interop/slow_clients.py idle 127.0.0.1 "$RP" 1000 8 \
    >"$T/idle.out" 2>&1 &
ID=$!
PIDS="$PIDS $ID"
sleep 3
check "1,000 idle clients: rpcd stays up" alive "$RPCD_PID"
check "1,000 idle clients: btctl works" sh -c "'$BTCTL' -s '$SOCK' status >/dev/null"
check "1,000 idle clients: btd lists torrents" sh -c "'$BTCTL' -s '$SOCK' list >/dev/null"
wait_for 60 dead "$ID"
conn=$(sed -n 's/^connected \([0-9]*\) of.*/\1/p' "$T/idle.out")
cut=$(sed -n 's/^cut //p' "$T/idle.out")
check "1,000 idle clients: connected ($(cat "$T/idle.out" | tr '\n' ' '))" [ -n "$conn" ]
check "1,000 idle clients: some cut at the deadline" [ "${cut:-0}" -ge 32 ]
check "after them: a real client is served" wait_for 15 served
check "after them: rpcd is the same process" [ "$(role_pid rpcd)" = "$RPCD_PID" ]
check "after them: transmission-remote works" sh -c "timeout 20 transmission-remote 127.0.0.1:$RP -n 'btd:$PW' -si | grep -q 'RPC version: 17'"
ctl shutdown >/dev/null
check "shutdown" wait_for 20 dead "$BTD_PID"
