#!/bin/sh
# kill -9 of a random role (trackerd, peerd, stored, metad) at random
# moments, a dozen times during one download from a rate-limited btd
# seeder: the download completes, the bytes are
# exact, every role runs again, and nothing verified is ever lost: the
# count of verified pieces, sampled all along, never goes down.  Then
# kill -9 of btd itself mid-download: the next start trusts what
# state.db recorded (flushed), hashes only what came after, and
# completes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

SIZE=24000000
PLEN=65536
swarm_init $SIZE 16
TOTAL=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').total_size())")
RATE=1465			# KiB/s: about 16 s of download
# The seeder is a btd: python3-libtorrent with an upload limit stopped
# serving in the quick-start chroot.
btd_seeder seed 7501 $RATE

printf 'restart_backoff_max 1\n' >"$T/c.conf"
btd_start x -p 7511 -c "$T/c.conf"
ctl add "$TOR" >/dev/null
npieces=$(( (TOTAL + PLEN - 1) / PLEN ))

# Sample the verified count every 0.2 s in the background.
(
	while :; do
		"$BTCTL" -s "$SOCK" list --json 2>/dev/null | $PY -c "import json,sys
t=json.load(sys.stdin)['torrents']
print(t[0]['pieces_have'] if t else 0)" 2>/dev/null
		sleep 0.2
	done
) >"$T/have.log" &
SAMPLER=$!
PIDS="$PIDS $SAMPLER"

kills=0
i=0
while [ $i -lt 120 ] && [ "$(tfield "$SOCK" "$ID" pieces_have)" -lt "$npieces" ]; do
	i=$((i + 1))
	r=$($PY -c "import random; print(random.choice(['trackerd', 'peerd', 'stored', 'metad']))")
	pid=$(role_pid "$r")
	if [ "$pid" -gt 0 ] 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
		echo "killed $r ($pid) at $(tfield "$SOCK" "$ID" pieces_have) pieces" >>"$T/kills.log"
	fi
	sleep "$($PY -c "import random; print(round(random.uniform(0.4, 1.4), 2))")"
done
check "killed a role at least 10 times during the download ($kills)" [ "$kills" -ge 10 ]
check "the download completes" ctl wait "$ID" --timeout 120
check "same bytes" same_data "$T/x/dl"
check "every role runs again" wait_for 20 all_running
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
drops=$(awk 'NF == 1 && $1 ~ /^[0-9]+$/ { if ($1 < max) d++; if ($1 > max) max = $1 } END { print d + 0 }' "$T/have.log")
samples=$(grep -c '^[0-9]' "$T/have.log")
check "verified pieces never went down ($samples samples, $drops drops)" [ "$drops" = 0 ]
check "the samples saw the download ($samples)" [ "$samples" -ge 20 ]
down=$(tfield "$SOCK" "$ID" downloaded)
# Each kill of peerd or stored may lose what was in flight, never what
# was verified: downloaded stays well below twice the total.
check "nothing verified downloaded again ($down of $TOTAL bytes, $kills kills)" \
    [ "$down" -le $(( TOTAL + TOTAL / 2 )) ]
check "btd alive" alive "$BTD_PID"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

btd_start y -p 7512 -c "$T/c.conf"
ctl add "$TOR" >/dev/null
third=$(( npieces / 3 ))
have_ge() { [ "$(tfield "$SOCK" "$ID" pieces_have)" -ge "$1" ]; }
check "btd killed: a third downloaded first" wait_for 60 have_ge "$third"
h0=$(tfield "$SOCK" "$ID" pieces_have)
rp=$(role_pids)
kill -9 "$BTD_PID"
check "btd killed: its roles exit too" wait_for 10 all_dead $rp
# The log goes on in the same file: only a check after this counts.
c0=$(grep -c "$IH: checked: " "$LOG")
btd_start y -p 7512 -c "$T/c.conf"
check "btd killed: the start says it was unclean" grep -q "did not stop cleanly" "$LOG"
checked() { [ "$(grep -c "$IH: checked: " "$LOG")" -gt "$c0" ]; }
check "btd killed: checked again" wait_for 20 checked
line=$(grep "$IH: checked: " "$LOG" | tail -1)
n=$(echo "$line" | sed 's/.*checked: \([0-9]*\) of.*/\1/')
hashed=$(echo "$line" | sed 's/.*(\([0-9]*\) hashed).*/\1/')
# state.db is written once a second: up to a second of pieces (about 23
# at this rate) may be missing from it, found again by hashing.
check "btd killed: nothing verified is lost ($n >= $h0)" [ "$n" -ge "$h0" ]
check "btd killed: recorded pieces trusted, not hashed ($hashed hashed of $npieces, $h0 verified before)" \
    [ "$hashed" -le $(( npieces - h0 + 40 )) ]
check "btd killed: the download completes" ctl wait "$ID" --timeout 120
check "btd killed: same bytes" same_data "$T/y/dl"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
