#!/bin/sh
# A peer that takes requests and never answers cannot hold back the
# download: beside a good seeder (btd, its upload limited to 1000 KiB/s),
# btd's requests to the mute peer are cancelled (end game) or time out
# and go to the seeder, and the download completes with the right bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

swarm_init 4000000 16
$PY tests/support/bad_peer.py "$TOR" 7602 "http://127.0.0.1:$OT/announce" \
    --mute >"$T/mute.out" 2>&1 &
MUTE=$!
PIDS="$PIDS $MUTE"
check "the mute peer listens" wait_for 10 grep -q listening "$T/mute.out"
btd_seeder s 7601 1000
btd_start m -p 7611 -v
ctl add "$TOR" >/dev/null
mute_peer() { ctl peers "$ID" 2>/dev/null | grep -q ' 7602 '; }
check "btd connects to the mute peer too" wait_for 20 mute_peer
check "the download completes" ctl wait "$ID" --timeout 90
check "same bytes" same_data "$T/m/dl"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
SOCK=$SS ctl shutdown >/dev/null
wait_for 10 dead "$SP"
kill "$MUTE" 2>/dev/null
# The seeder connects to it too, asking nothing: the leecher's is the
# connection with requests.
line=$(grep '^conn .* requested [1-9]' "$T/mute.out" | head -1)
check "the mute peer was asked, and answered nothing ($line)" sh -c "echo '$line' | grep -Eq '^conn [0-9]+ served 0 requested [1-9]'"
# The seeder's copies of its blocks came first (end game): btd cancelled
# those requests, or they timed out and went back to the pool.
cancelled=$(echo "$line" | sed 's/.*cancelled //')
timeouts=$(grep -c "peer 127.0.0.1: requests timed out" "$LOG")
check "its requests were cancelled ($cancelled) or timed out ($timeouts)" [ $((cancelled + timeouts)) -gt 0 ]
