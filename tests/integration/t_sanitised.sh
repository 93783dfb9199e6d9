#!/bin/sh
# A torrent whose paths btd sanitises (a "..", a ".", two files with one
# path), seeded by python3-libtorrent: the data lands under the save dir
# at the paths btctl files shows, byte for byte, and nowhere else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

mkdir -p "$SEED" "$T/ot"
chmod 755 "$T/ot"
$PY tests/interop/mk_odd.py "$T/odd.torrent" "$SEED" \
    "http://127.0.0.1:$OT/announce" >/dev/null
IH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/odd.torrent').info_hashes().v1)")
ID=$(echo "$IH" | cut -c1-8)
printf '%s\n' "$IH" >"$T/ot/whitelist"
tracker_start
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"
$PY tests/interop/lt_peer.py seed "$T/odd.torrent" "$SEED" 7701 \
    --seconds 300 >"$T/lt_seed.out" 2>&1 &
PIDS="$PIDS $!"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"
btd_start s -p 7711
ctl add "$T/odd.torrent" >/dev/null
check "the download completes" ctl wait "$ID" --timeout 60
paths=$(ctl files "$ID" --json | $PY -c "import json,sys; print(' '.join(f['path'] for f in json.load(sys.stdin)['files']))")
check "btctl files shows the sanitised paths ($paths)" \
    [ "$paths" = "_/up.bin x/_/dot.bin dup.txt dup.1.txt plain.bin" ]
D=$T/s/dl/odd
check "the '..' file is at _/up.bin" cmp -s "$SEED/odd/up.bin" "$D/_/up.bin"
check "the '.' file is at x/_/dot.bin" cmp -s "$SEED/odd/x/dot.bin" "$D/x/_/dot.bin"
check "the first dup.txt keeps its name" cmp -s "$SEED/odd/dup.txt" "$D/dup.txt"
check "the second is dup.1.txt" cmp -s "$SEED/odd/dup.1.txt" "$D/dup.1.txt"
check "plain.bin" cmp -s "$SEED/odd/plain.bin" "$D/plain.bin"
check "nothing was written outside the torrent's directory" \
    [ "$(cd "$T/s/dl" && find . -type f | sort | tr '\n' ' ')" = "./odd/_/up.bin ./odd/dup.1.txt ./odd/dup.txt ./odd/plain.bin ./odd/x/_/dot.bin " ]
