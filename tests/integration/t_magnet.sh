#!/bin/sh
# Magnet links end to end (BEP 9 over BEP 10), on 127.0.0.1: btd fetches
# the metadata from a python3-libtorrent seeder found through the
# magnet's tracker, then from one named only by x.pe; the metadata is
# in state.db the moment it is verified (a restart does not fetch it
# again).  Then, with the libtorrent seeder gone, btd seeders serve the
# metadata: btd from btd, python3-libtorrent and aria2 from btd, each
# starting from a magnet link, and a script that asks for every piece
# and one past the end.  Content compared byte for byte.  btd
# runs under AddressSanitizer: it takes the metadata from metad.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

ABTD=$B/asan/bin/btd
if [ ! -x "$ABTD" ]; then
	notok "the AddressSanitizer btd is built ($ABTD: make $ABTD)"
	exit 0
fi
BTD=$ABTD
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
: >"$T/asan.conf"
for r in trackerd peerd stored metad; do
	printf '%s_exec %s\n' "$r" "$B/libexec/btd/$r" >>"$T/asan.conf"
done

swarm_init 3000000 16
TR="http://127.0.0.1:$OT/announce"

# magnet_list SOCK ID: the torrent's STATE column of `btctl list`.
list_state() {
	"$BTCTL" -s "$1" list | awk -v id="$2" 'index($1, id) == 1 {
	    sub(/^[^ ]+ +/, ""); print; exit }'
}

# A magnet nobody has: listed as fetching, with the peers that offer it.
btd_start a -c "$T/asan.conf" -p 7411
SA=$SOCK
NOBODY=0123456789abcdef0123456789abcdef01234567
ctl add "magnet:?xt=urn:btih:$NOBODY&dn=nobody" >/dev/null
check "magnet: listed as fetching metadata, with its peer count" \
    sh -c "'$BTCTL' -s '$SA' list | grep '^01234567' | grep -q 'fetching metadata (0 peers)'"
check "magnet: show says the metadata is not known" \
    sh -c "'$BTCTL' -s '$SA' show 01234567 | grep -q 'not yet known (magnet); 0 peers offer it'"
check "magnet: list --json has metadata_peers" \
    [ "$(tfield "$SA" 01234567 metadata_peers)" = 0 ]
ctl remove 01234567 >/dev/null

# 1. A libtorrent seeder announced to the magnet's tracker: btd finds
# it there (the magnet names no peer).
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7401 --seconds 400 \
    >"$T/lt_seed.out" 2>&1 &
LS=$!
PIDS="$PIDS $LS"
check "libtorrent seeder announced" wait_for 20 grep -q announced \
    "$T/lt_seed.out"
ctl add "magnet:?xt=urn:btih:$IH&dn=pay&tr=$TR" >/dev/null
check "magnet (tracker): complete" ctl wait "$ID" --timeout 90
check "magnet (tracker): same bytes" same_data "$T/a/dl"
check "magnet (tracker): the metadata was verified once" \
    [ "$(grep -c "$IH: metadata verified" "$LOG")" = 1 ]
check "magnet (tracker): named as in the metadata" \
    [ "$(tfield "$SA" "$ID" name)" = pay ]

# A restart finds the metadata in state.db: nothing is fetched again.
ctl shutdown >/dev/null
check "btd a stopped" wait_for 15 dead "$BTD_PID"
btd_start a -c "$T/asan.conf" -p 7411
check "restart: the metadata is known at once" \
    [ "$(tfield "$SA" "$ID" has_metadata)" = True ]
check "restart: seeding again" wait_for 30 seeding "$SA" "$ID"
check "restart: the metadata was not fetched again" \
    [ "$(grep -c "$IH: metadata verified" "$LOG")" = 1 ]
check "restart: state.db holds the info dictionary" \
    [ "$(sqlite3 "$STATE/state.db" "SELECT length(info) > 0 FROM torrents")" = 1 ]

# 2. x.pe only: no tracker; btd dials the peer the magnet names.
btd_start b -c "$T/asan.conf" -p 7412
SB=$SOCK
ctl add "magnet:?xt=urn:btih:$IH&x.pe=127.0.0.1:7401" >/dev/null
check "magnet (x.pe): complete" ctl wait "$ID" --timeout 90
check "magnet (x.pe): same bytes" same_data "$T/b/dl"

# With the libtorrent seeder gone, only btd peers have the metadata.
kill "$LS"
check "libtorrent seeder stopped" wait_for 10 dead "$LS"

# 3. btd from btd: c knows only b (x.pe), which serves it the metadata.
# (b fetched the metadata itself from a magnet; a read it from state.db.)
btd_start c -c "$T/asan.conf" -p 7413
SC=$SOCK
ctl add "magnet:?xt=urn:btih:$IH&x.pe=127.0.0.1:7412" >/dev/null
check "btd from btd (magnet): complete" ctl wait "$ID" --timeout 90
check "btd from btd (magnet): same bytes" same_data "$T/c/dl"
check "btd from btd (magnet): the metadata came from b" \
    grep -q "$IH: metadata verified" "$LOG"

# What b serves, asked by hand: every piece, and a reject past the end.
$PY tests/support/meta_client.py "$IH" 127.0.0.1 7412 ||
    notok "serve: meta_client.py failed"

# btd from btd through the tracker, where only btd a announces now.
btd_start d -c "$T/asan.conf" -p 7414
ctl add "magnet:?xt=urn:btih:$IH&tr=$TR" >/dev/null
check "btd from btd (magnet, tracker): complete" ctl wait "$ID" --timeout 90
check "btd from btd (magnet, tracker): same bytes" same_data "$T/d/dl"
ctl shutdown >/dev/null
wait_for 15 dead "$BTD_PID"

# 4. python3-libtorrent from btd, starting from a magnet naming b.
mkdir -p "$T/ll"
$PY tests/interop/lt_peer.py leech "magnet:?xt=urn:btih:$IH" "$T/ll" 7402 \
    --peer 127.0.0.1:7412 --exit --seconds 120 >"$T/lt_leech.out" 2>&1 &
LL=$!
PIDS="$PIDS $LL"
check "libtorrent from btd (magnet): got the metadata" \
    wait_for 60 grep -q '^metadata' "$T/lt_leech.out"
check "libtorrent from btd (magnet): done" \
    wait_for 90 grep -q '^done' "$T/lt_leech.out"
check "libtorrent from btd (magnet): same bytes" same_data "$T/ll"

# 5. aria2 from btd, starting from a magnet with the tracker, where only
# btd a announces now.
mkdir -p "$T/al"
timeout -k 2 120 aria2c --enable-dht=false --enable-dht6=false \
    --bt-enable-lpd=false --enable-peer-exchange=false \
    --file-allocation=none --interface=127.0.0.1 --listen-port=7403 \
    --summary-interval=0 --console-log-level=warn --seed-time=0 \
    --bt-save-metadata=false --bt-tracker-connect-timeout=5 \
    -d "$T/al" "magnet:?xt=urn:btih:$IH&tr=$TR" >"$T/aria_leech.out" 2>&1 &
AL=$!
PIDS="$PIDS $AL"
check "aria2 from btd (magnet): aria2 finished" wait_for 100 dead "$AL"
check "aria2 from btd (magnet): same bytes" same_data "$T/al"
