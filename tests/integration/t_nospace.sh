#!/bin/sh
# A disk that fills mid-download: the torrent goes to state error naming
# the file and the reason, nothing is claimed verified that was not
# written, and once space is back `btctl resume` completes the download,
# byte for byte, without downloading again what was verified.  Runs in a
# mount namespace of its own, on a small tmpfs it mounts.
if [ "$(id -u)" != 0 ]; then
	echo "skipped: not root"
	exit 0
fi
if [ -z "${BTD_MNTNS:-}" ]; then
	BTD_MNTNS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

SMALL=$T/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=3m,mode=0755 btdtest "$SMALL" || {
	echo "not ok - mount a tmpfs"
	exit 1
}
trap 'umount -l "$SMALL" 2>/dev/null; cleanup' EXIT INT TERM
chown btd:btd "$SMALL"

# 6 MB in 64 KiB pieces, from a python3-libtorrent seeder.
swarm_init 6000000 16
NP=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').num_pieces())")
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7401 --seconds 600 \
    >"$T/lt_seed.out" 2>&1 &
PIDS="$PIDS $!"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
btd_start a -p 7411 -c "$T/allow.conf"
ctl add "$TOR" -d "$SMALL" >/dev/null
is_error() { [ "$(tfield "$SOCK" "$ID" state)" = error ]; }
check "ENOSPC: the torrent goes to error" wait_for 60 is_error
err=$(tfield "$SOCK" "$ID" error)
# Random-first picking writes to any file first: whichever one the full
# disk refused, the reason names it and the error.
check "ENOSPC: the reason names the file and the error ($err)" sh -c "echo '$err' |
    grep -Eq 'pay/(big.bin|sub/middle.bin|sub/tiny.txt|zlast.bin).*No space left on device'"
# 3 MiB hold at most 48 pieces of 64 KiB: no more may be claimed.
have=$(tfield "$SOCK" "$ID" pieces_have)
check "ENOSPC: no piece claimed that did not fit ($have)" [ "$have" -le 48 ]
check "stored still runs" [ "$(role_field stored state)" = running ]

# Space again: resume completes.
mount -o remount,size=16m "$SMALL"
ctl resume "$ID" >/dev/null
rechecked() { grep -q "$IH: checked: [1-9][0-9]* of $NP pieces verified" "$LOG"; }
check "ENOSPC: after resume, the pieces on disk are kept" wait_for 20 rechecked
check "ENOSPC: after resume, complete" ctl wait "$ID" --timeout 60
check "ENOSPC: same bytes" same_data "$SMALL"
check "ENOSPC: seeding" seeding "$SOCK" "$ID"
check "btd alive" alive "$BTD_PID"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
umount "$SMALL"
