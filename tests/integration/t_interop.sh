#!/bin/sh
# btd with aria2 and Transmission on 127.0.0.1 through opentracker:
# btd downloads from an aria2 seeder and from a transmission-daemon
# seeder, and aria2 and transmission-cli download from a btd seeder;
# content compared byte for byte.  Transmission ignores loopback peers
# that a tracker gives it, so btd dials it (INTEROP.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

swarm_init 3000000 16
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"
ARIA="--enable-dht=false --enable-dht6=false --bt-enable-lpd=false
--enable-peer-exchange=false --file-allocation=none --interface=127.0.0.1
--summary-interval=0 --console-log-level=warn --check-certificate=false
--bt-tracker-connect-timeout=5 --follow-torrent=false"

# transmission_conf DIR PORT: a settings.json for a quiet loopback peer
# that stops (and so lets transmission-cli exit) once it has the data.
transmission_conf() {
	mkdir -p "$1"
	cat >"$1/settings.json" <<JSON
{
    "dht-enabled": false, "lpd-enabled": false, "pex-enabled": false,
    "utp-enabled": false, "port-forwarding-enabled": false,
    "peer-port": $2, "peer-port-random-on-start": false,
    "bind-address-ipv4": "127.0.0.1", "rpc-enabled": false,
    "ratio-limit-enabled": true, "ratio-limit": 0,
    "download-dir": "$1/dl", "incomplete-dir-enabled": false,
    "message-level": 1
}
JSON
}

# 1. aria2 seeds, btd leeches.
timeout -k 2 300 aria2c $ARIA --listen-port=7301 -V --seed-ratio=0.0 \
    -d "$SEED" "$TOR" >"$T/aria_seed.out" 2>&1 &
AS=$!
PIDS="$PIDS $AS"
check "aria2 seeder listens" wait_for 20 sh -c "ss -ltn | grep -q ':7301 '"
btd_start a -p 7311
SA=$SOCK
ctl add "$TOR" >/dev/null
check "btd from aria2: complete" ctl wait "$ID" --timeout 90
check "btd from aria2: same bytes" same_data "$T/a/dl"
kill "$AS"

# 2. aria2 leeches from btd, the only seeder left (found through the
# tracker).
mkdir -p "$T/al"
timeout -k 2 120 aria2c $ARIA --listen-port=7302 --seed-time=0 \
    -d "$T/al" "$TOR" >"$T/aria_leech.out" 2>&1 &
AL=$!
PIDS="$PIDS $AL"
check "aria2 from btd: aria2 finished" wait_for 90 dead "$AL"
check "aria2 from btd: same bytes" same_data "$T/al"

# 3. transmission-cli leeches from btd: btd learns its address from the
# tracker and dials it.  btd announced before transmission existed, so a
# pause and a resume make it announce again (event=started) at once.
transmission_conf "$T/trl" 7303
timeout -k 2 150 transmission-cli -g "$T/trl" -w "$T/trl/dl" "$TOR" \
    >"$T/tr_leech.out" 2>&1 &
TL=$!
PIDS="$PIDS $TL"
wait_for 20 sh -c "ss -ltn | grep -q ':7303 '"
# Transmission announces a moment after it listens; btd announces again
# (pause, resume) until transmission appears among its candidates.
tr_known() { SOCK=$SA ctl trackers "$ID" | grep -q '127.0.0.1:7303'; }
i=0
while [ $i -lt 10 ] && ! tr_known; do
	sleep 2
	SOCK=$SA ctl pause "$ID" >/dev/null
	SOCK=$SA ctl resume "$ID" >/dev/null
	wait_for 5 tr_known
	i=$((i + 1))
done
check "btd learnt transmission's address from the tracker" tr_known
check "transmission from btd: transmission finished" wait_for 120 dead "$TL"
kill "$TL" 2>/dev/null
check "transmission from btd: same bytes" same_data_but_empty "$T/trl/dl"

# 4. transmission-daemon seeds, a fresh btd leeches (dialing it).  A
# fresh tracker, so that the peers of the steps above are not among
# what it hands out.
SOCK=$SA ctl shutdown >/dev/null
tracker_restart
transmission_conf "$T/trs" 7304
sed -i -e 's/"ratio-limit-enabled": true/"ratio-limit-enabled": false/' \
    -e 's/"rpc-enabled": false/"rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-whitelist-enabled": false, "rpc-authentication-required": false/' \
    "$T/trs/settings.json"
mkdir -p "$T/trs/dl"
cp -r "$SEED/pay" "$T/trs/dl/"
timeout -k 2 300 transmission-daemon -f -g "$T/trs" -T --no-portmap \
    -p 7390 >"$T/tr_seed.out" 2>&1 &
TS=$!
PIDS="$PIDS $TS"
wait_for 10 sh -c "ss -ltn | grep -q ':7390 '"
transmission-remote 127.0.0.1:7390 -a "$TOR" -w "$T/trs/dl" >/dev/null 2>&1
transmission-remote 127.0.0.1:7390 -t all -v >/dev/null 2>&1
check "transmission seeder has all" wait_for 30 sh -c \
    "transmission-remote 127.0.0.1:7390 -t all -i | grep -q 'Percent Done: 100%'"
tr_announced() { transmission-remote 127.0.0.1:7390 -t all -it | grep -q 'Got a list'; }
wait_for 20 tr_announced
btd_start c -p 7312
ctl add "$TOR" >/dev/null
check "btd from transmission: complete" ctl wait "$ID" --timeout 120
check "btd from transmission: same bytes" same_data "$T/c/dl"
