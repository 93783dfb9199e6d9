#!/bin/sh
# Quick resume: a multi-file torrent downloaded from a python3-libtorrent
# seeder, btd stopped cleanly; then, while it is down, one file is
# truncated, one has a byte overwritten in its middle, one is deleted
# and one is touched without a change.  At the next start exactly the
# recorded pieces of the three changed files are hashed (no full
# recheck), the pieces of the deleted file and the cut-off part are
# lost, and the torrent is in error naming the missing file.  btctl
# resume then downloads only those pieces (and the one with the byte),
# and the data is the source's again.  A clean restart after that
# hashes nothing; after a kill -9 of btd, only the files changed since
# are hashed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

PLEN=65536
mkdir -p "$SEED/pay" "$T/ot"
chmod 755 "$T/ot"
# name size key: a 1,000,000 + b 800,000 + c 600,000 + d 700,000 +
# e 2,000,000 = 5,100,000 bytes, 78 pieces.
payload "$SEED/pay/a.bin" 1000000 000102030405060708090a0b0c0d0e0f
payload "$SEED/pay/b.bin" 800000 101112131415161718191a1b1c1d1e1f
payload "$SEED/pay/c.bin" 600000 202122232425262728292a2b2c2d2e2f
payload "$SEED/pay/d.bin" 700000 303132333435363738393a3b3c3d3e3f
payload "$SEED/pay/e.bin" 2000000 404142434445464748494a4b4c4d4e4f
mktorrent -l 16 -a "http://127.0.0.1:$OT/announce" -o "$TOR" \
    "$SEED/pay" >/dev/null
IH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').info_hashes().v1)")
ID=$(echo "$IH" | cut -c1-8)
printf '%s\n' "$IH" >"$T/ot/whitelist"
tracker_start
NP=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').num_pieces())")
check "the torrent has 78 pieces ($NP)" [ "$NP" = 78 ]

$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7611 --seconds 600 \
    >"$T/lt_seed.out" 2>&1 &
PIDS="$PIDS $!"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"

btd_start b -p 7612
ctl add "$TOR" >/dev/null
check "downloaded" ctl wait "$ID" --timeout 60
check "same bytes" same_data "$T/b/dl"
D=$T/b/dl/pay
ctl shutdown >/dev/null
check "btd stopped" wait_for 10 dead "$BTD_PID"
check "the stop was clean: stored reported its last flush" \
    grep -q "stopping: .* flushes, the last reported" "$T/b/log"

# Which pieces each change must hit, from the file layout alone: the
# recorded pieces of a (the part left), b and d are hashed; those of c
# and of a past the cut are lost; the rest is trusted.
CUT=500000
FLIP=400000
expect=$($PY - "$TOR" "$CUT" "$FLIP" <<'PYEOF'
import sys
import libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
cut, flip = int(sys.argv[2]), int(sys.argv[3])
fs = ti.files()
files = {}
for i in range(fs.num_files()):
    files[fs.file_path(i).split('/')[-1]] = (fs.file_offset(i), fs.file_size(i))
size = {n: l for n, (o, l) in files.items()}
size['a.bin'] = cut
del size['c.bin']
pl, total = ti.piece_length(), ti.total_size()
hashed, lost, trusted = [], [], []
for p in range(ti.num_pieces()):
    s, e = p * pl, min((p + 1) * pl, total)
    touched = [n for n, (o, l) in files.items() if o < e and o + l > s]
    on_disk = all(n in size and size[n] >= min(e, files[n][0] + files[n][1]) - files[n][0] for n in touched)
    if not on_disk:
        lost.append(p)
    elif any(n in ('a.bin', 'b.bin', 'd.bin') for n in touched):
        hashed.append(p)
    else:
        trusted.append(p)
bad = (files['b.bin'][0] + flip) // pl
print(len(hashed), len(lost), len(trusted), bad,
      sum(min((p + 1) * pl, total) - p * pl for p in lost + [bad]))
PYEOF
)
set -- $expect
XH=$1 XL=$2 XT=$3 BAD=$4 XBYTES=$5
check "the layout: $XH to hash, $XL lost, $XT trusted, piece $BAD flipped" \
    [ "$XH" -gt 0 -a "$XL" -gt 0 -a "$XT" -gt 0 ]

truncate -s "$CUT" "$D/a.bin"
$PY - "$D/b.bin" "$FLIP" <<'PYEOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)
    f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 0xff]))
PYEOF
rm "$D/c.bin"
sleep 0.05
touch "$D/d.bin"
check "d.bin unchanged but touched" cmp -s "$SEED/pay/d.bin" "$D/d.bin"

c0=$(grep -c "$IH: checked: " "$T/b/log")
btd_start b -p 7612
down0=$(tfield "$SOCK" "$ID" downloaded)
checked() { [ "$(grep -c "$IH: checked: " "$LOG")" -gt "$1" ]; }
check "checked at start" wait_for 20 checked "$c0"
line=$(grep "$IH: checked: " "$LOG" | tail -1)
echo "# $line"
good=$((NP - XL - 1))
check "exactly $XH pieces hashed, $XT trusted, $XL lost, $good good" sh -c \
    "echo '$line' | grep -q ': checked: $good of $NP pieces verified ($XH hashed), $XT trusted as recorded, $XL lost\$'"
check "no full recheck ($XH of $NP hashed)" [ "$XH" -lt $((NP / 2)) ]
check "list --json: check_hashed $XH, check_trusted $XT" [ \
    "$(tfield "$SOCK" "$ID" check_hashed) $(tfield "$SOCK" "$ID" check_trusted)" = "$XH $XT" ]
inerror() { [ "$(tfield "$SOCK" "$ID" state)" = error ]; }
check "the torrent is in error" wait_for 10 inerror
err=$(tfield "$SOCK" "$ID" error)
check "the reason names the missing file ($err)" sh -c \
    "echo '$err' | grep -q '^no data found: pay/c.bin is missing ($XL verified pieces); move the data back, or resume to download them again\$'"
check "btctl list shows it" sh -c "ctl() { '$BTCTL' -s '$SOCK' \"\$@\"; }; ctl list | grep -q 'no data found: pay/c.bin is missing'"
check "stored named it in its log" grep -q "pay/c.bin is missing" "$LOG"
check "nothing downloaded while in error" [ "$(tfield "$SOCK" "$ID" downloaded)" = "$down0" ]
# Nor written: peerd never had the torrent's pieces before the error.
check "while in error: c.bin not made again, a.bin still cut" \
    [ ! -e "$D/c.bin" -a "$(wc -c <"$D/a.bin")" = "$CUT" ]

c1=$(grep -c "$IH: checked: " "$LOG")
check "btctl resume" ctl resume "$ID"
check "checked again on resume" wait_for 20 checked "$c1"
line=$(grep "$IH: checked: " "$LOG" | tail -1)
echo "# $line"
check "on resume only the bad piece's bytes are hashed again (1 hashed)" sh -c \
    "echo '$line' | grep -q ': checked: $good of $NP pieces verified (1 hashed), $((good)) trusted as recorded, 0 lost\$'"
check "resumed: complete" ctl wait "$ID" --timeout 60
check "resumed: exactly the source's bytes" same_data "$T/b/dl"
# peerd's counters come once a second: wait for them to hold it all.
down_ge() { [ "$(tfield "$SOCK" "$ID" downloaded)" -ge "$1" ]; }
wait_for 5 down_ge $((down0 + XBYTES))
sleep 1.2
d1=$(tfield "$SOCK" "$ID" downloaded)
check "only the lost and the bad pieces downloaded again ($((d1 - down0)) of $XBYTES bytes)" \
    [ $((d1 - down0)) = "$XBYTES" ]

# A clean restart now: every file as recorded, nothing hashed.
ctl shutdown >/dev/null
check "btd stopped again" wait_for 10 dead "$BTD_PID"
c2=$(grep -c "$IH: checked: " "$LOG")
btd_start b -p 7612
check "checked after a clean restart" wait_for 20 checked "$c2"
line=$(grep "$IH: checked: " "$LOG" | tail -1)
check "clean restart: nothing hashed, all trusted" sh -c \
    "echo '$line' | grep -q ': checked: $NP of $NP pieces verified (0 hashed), $NP trusted as recorded, 0 lost\$'"
check "seeding" wait_for 10 seeding "$SOCK" "$ID"

# An unclean stop (kill -9 of btd), then e.bin gets an mtime an hour
# ahead (changed after the stop) and d.bin one in 2001 (an older copy):
# both are hashed, although files stored wrote in the seconds before a
# crash would be trusted; a.bin, b.bin and c.bin are as recorded.
rp=$(role_pids)
kill -9 "$BTD_PID"
check "killed: its roles exit too" wait_for 10 all_dead $rp
touch -d "@$(( $(date +%s) + 3600 ))" "$D/e.bin"
touch -d "2001-01-01 00:00:00" "$D/d.bin"
XU=$($PY - "$TOR" <<'PYEOF'
import sys
import libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
fs = ti.files()
span = [(fs.file_offset(i), fs.file_size(i)) for i in range(fs.num_files())
        if fs.file_path(i).split('/')[-1] in ('d.bin', 'e.bin')]
pl, total = ti.piece_length(), ti.total_size()
print(sum(1 for p in range(ti.num_pieces())
          if any(o < min((p + 1) * pl, total) and o + l > p * pl
                 for o, l in span)))
PYEOF
)
c3=$(grep -c "$IH: checked: " "$LOG")
btd_start b -p 7612
check "unclean: the start says so" grep -q "did not stop cleanly" "$LOG"
check "unclean: checked" wait_for 20 checked "$c3"
line=$(grep "$IH: checked: " "$LOG" | tail -1)
echo "# $line"
check "unclean: the $XU pieces of d.bin and e.bin hashed, the rest trusted" sh -c \
    "echo '$line' | grep -q ': checked: $NP of $NP pieces verified ($XU hashed), $((NP - XU)) trusted as recorded, 0 lost\$'"
check "unclean: seeding" wait_for 10 seeding "$SOCK" "$ID"
check "unclean: same bytes" same_data "$T/b/dl"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
