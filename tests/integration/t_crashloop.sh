#!/bin/sh
# A torrent that crashes stored at every check: after the first crash
# stored gets its torrents one at a time, so the next crashes name the
# torrent in flight; three in a row put it in error with the reason,
# the others run on, and stored stops crash-looping.  The stored here
# is a probe (tests/support/probe_role.c, probe_crashcheck) that aborts
# on a torrent whose directory is named crashme and "checks" the rest.
. "$(dirname "$0")/lib.sh"

cp "$B/tests/probe_role" "$T/probe_crashcheck"
chmod 755 "$T/probe_crashcheck"
printf 'stored_exec %s\nrestart_backoff_max 2\n' "$T/probe_crashcheck" >"$T/c.conf"

mkdir -p "$T/src"
payload "$T/src/good.bin" 300000
payload "$T/src/bad.bin" 300000 0f0e0d0c0b0a09080706050403020100
"$BTCTL" create "$T/src/good.bin" -t http://127.0.0.1:9/announce -o "$T/good.torrent" >/dev/null
"$BTCTL" create "$T/src/bad.bin" -t http://127.0.0.1:9/announce -o "$T/bad.torrent" >/dev/null

btd_start c -c "$T/c.conf"
stored_running() { [ "$(role_field stored state)" = running ]; }
check "the probe runs as stored" wait_for 10 stored_running
good=$(ctl add "$T/good.torrent" | awk '{print $2}')
state_of() { ctl list --json | $PY -c "import json,sys; print([t['state'] for t in json.load(sys.stdin)['torrents'] if t['id'].startswith('$1')][0])"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
check "the good torrent is checked: downloading" wait_for 10 is_state "$good" downloading
r0=$(role_field stored restarts)

bad=$(ctl add "$T/bad.torrent" -d "$T/c/dl/crashme" | awk '{print $2}')
check "the crashing torrent: in error after the crashes" wait_for 60 is_state "$bad" error
err=$(ctl list --json | $PY -c "import json,sys; print([t['error'] for t in json.load(sys.stdin)['torrents'] if t['id'].startswith('$bad')][0])")
check "the reason names stored's crashes ($err)" sh -c "echo '$err' | grep -q '^stored crashed 3 times in a row while checking it (last: killed by signal 6 (ABRT)'"
check "the first crash made stored careful" grep -q "stored killed by signal 6 (ABRT): its torrents go to it one at a time until each is checked" "$LOG"
check "each later crash named the torrent" [ "$(grep -c "stored killed by signal 6 (ABRT) while checking it" "$LOG")" = 3 ]
check "stored runs again" wait_for 15 stored_running
check "four crashes in all" [ $(( $(role_field stored restarts) - r0 )) = 4 ]
check "the good torrent was never blamed: downloading" is_state "$good" downloading
check "back to every torrent at once" wait_for 10 grep -q "stored checked every torrent: they go to it at once again" "$LOG"
r1=$(role_field stored restarts)
sleep 3
check "no more crashes" [ "$(role_field stored restarts)" = "$r1" ]

# resume tries again: three more crashes, error again.
n0=$(grep -c "while checking it" "$LOG")
ctl resume "$bad" >/dev/null
check "resumed: in error again after three more" wait_for 60 sh -c "[ \$(grep -c 'while checking it (3 in a row)' '$LOG') -ge 2 ]"
check "resumed: error again" wait_for 10 is_state "$bad" error
check "btd alive" alive "$BTD_PID"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
