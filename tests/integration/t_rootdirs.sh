#!/bin/sh
# As root: a download dir below a 0700 directory that stored's uid
# cannot enter.  btd opens every download root before stored drops its
# uid and hands it the descriptors; stored resolves every path from
# them.  A download lands there, owned by download_user, and remove
# --delete-data deletes it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

if [ "$(id -u)" != 0 ]; then
	ok "skipped: needs root"
	exit 0
fi
swarm_init 2000000 16
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7601 --seconds 300 \
    >"$T/lt_seed.out" 2>&1 &
PIDS="$PIDS $!"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"

P=$T/private
mkdir -m 0700 "$P"
check "the private dir is closed to btd's uid" sh -c "! setpriv --reuid=btd --regid=btd --clear-groups ls '$P' >/dev/null 2>&1"
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
mkdir -p "$T/r"
STATE=$T/r/state SOCK=$T/r/state/btd.sock LOG=$T/r/log
timeout -k 2 300 "$BTD" -f -S "$STATE" -D "$P/dl" -c "$T/allow.conf" \
    -p 7611 >>"$LOG" 2>&1 &
PIDS="$PIDS $!"
check "btd starts with its download dir below a 0700 dir" \
    wait_for 10 "$BTCTL" -s "$SOCK" status
check "stored runs" wait_for 10 sh -c "[ \"\$('$BTCTL' -s '$SOCK' status --json | $PY -c 'import json,sys; print([r[\"state\"] for r in json.load(sys.stdin)[\"roles\"] if r[\"name\"]==\"stored\"][0])')\" = running ]"
ctl add "$TOR" >/dev/null
check "the download completes" ctl wait "$ID" --timeout 60
check "the bytes are right" same_data "$P/dl"
check "the files belong to download_user" [ "$(stat -c %U "$P/dl/pay/big.bin")" = btd ]
check "stored holds the root as a descriptor" sh -c "ls -l /proc/\$(SOCK='$SOCK'; '$BTCTL' -s '$SOCK' status --json | $PY -c 'import json,sys; print([r[\"pid\"] for r in json.load(sys.stdin)[\"roles\"] if r[\"name\"]==\"stored\"][0])')/fd/ | grep -q -- '-> $P/dl\$'"
out=$(ctl remove "$ID" --delete-data 2>&1)
check "remove --delete-data: exit 0 ($out)" [ $? = 0 ]
check "remove --delete-data: the files are gone" [ ! -e "$P/dl/pay/big.bin" ]
check "remove --delete-data: the torrent's directory is gone" [ ! -e "$P/dl/pay" ]
