#!/bin/sh
# The transfer with real peers on 127.0.0.1, through opentracker:
# btd leeching from python3-libtorrent, libtorrent leeching from btd, and
# two btd instances; content compared byte for byte on a multi-file
# torrent with a piece spanning files, a tiny file and an empty file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

swarm_init 6000000 16
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"

# 1. libtorrent seeds, btd leeches.
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7201 --seconds 600 \
    >"$T/lt_seed.out" 2>&1 &
LTS=$!
PIDS="$PIDS $LTS"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"
btd_start a -p 7211
SA=$SOCK LA=$LOG
ctl add "$TOR" >/dev/null
check "btd from libtorrent: wait says complete" ctl wait "$ID" --timeout 60
check "btd from libtorrent: seeding" seeding "$SA" "$ID"
check "btd from libtorrent: same bytes" same_data "$T/a/dl"
check "btd from libtorrent: the empty file exists" test -f "$T/a/dl/pay/empty"
check "btd from libtorrent: downloaded counted" [ "$(tfield "$SA" "$ID" downloaded)" -ge 6000000 ]
check "btd from libtorrent: progress 1" [ "$(tfield "$SA" "$ID" progress | cut -c1)" = 1 ]

# 2. btd seeds, libtorrent leeches.  The libtorrent seeder stops first,
# so every byte comes from btd.
kill "$LTS"
mkdir -p "$T/ltl"
$PY tests/interop/lt_peer.py leech "$TOR" "$T/ltl" 7202 --seconds 120 \
    --exit --peer 127.0.0.1:7211 >"$T/lt_leech.out" 2>&1 &
LTL=$!
PIDS="$PIDS $LTL"
check "libtorrent from btd: done" wait_for 60 grep -q '^done' "$T/lt_leech.out"
check "libtorrent from btd: same bytes" same_data "$T/ltl"
uploaded_ge() { [ "$(tfield "$1" "$2" uploaded)" -ge "$3" ]; }
check "btd counted its upload" wait_for 5 uploaded_ge "$SA" "$ID" 6000000

# 3. Two btd instances: b leeches from a alone.
btd_start b -p 7212
SB=$SOCK LB=$LOG PB=$BTD_PID
up0=$(tfield "$SA" "$ID" uploaded)
ctl add "$TOR" >/dev/null
check "btd from btd: complete" ctl wait "$ID" --timeout 60
check "btd from btd: same bytes" same_data "$T/b/dl"
down_b=$(tfield "$SB" "$ID" downloaded)
upload_is() { [ $(( $(tfield "$1" "$2" uploaded) - $3 )) -eq "$4" ]; }
check "btd from btd: the seeder's upload equals the leecher's download" \
    wait_for 5 upload_is "$SA" "$ID" "$up0" "$down_b"

# 4. A torrent added where its data already is: checked, then seeded,
# with nothing downloaded.
mkdir -p "$T/inplace"
cp -r "$SEED/pay" "$T/inplace/"
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
btd_start c -p 7213 -c "$T/allow.conf"
ctl add "$TOR" -d "$T/inplace" >/dev/null
check "data in place: seeding" wait_for 20 seeding "$SOCK" "$ID"
check "data in place: every piece verified" [ "$(tfield "$SOCK" "$ID" progress | cut -c1)" = 1 ]
check "data in place: nothing downloaded" [ "$(tfield "$SOCK" "$ID" downloaded)" -eq 0 ]
ctl shutdown >/dev/null

# 5. After a restart, a complete torrent seeds again with nothing
# downloaded.
SOCK=$SB ctl shutdown >/dev/null
wait_for 10 dead "$PB"
btd_start b -p 7212
check "restart: seeding again" wait_for 20 seeding "$SOCK" "$ID"
check "restart: nothing downloaded again" [ "$(tfield "$SOCK" "$ID" downloaded)" -eq "$down_b" ]
