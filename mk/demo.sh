#!/bin/sh
# make demo: one btd instance downloads a payload from another on
# 127.0.0.1, through a local opentracker, with a live progress bar; then
# the bytes are compared.  Everything it starts is stopped by PID at exit.
set -u
cd "$(dirname "$0")/.."
MB=${DEMO_MB:-256}
OT=${DEMO_TRACKER_PORT:-16969}
d=$(mktemp -d /tmp/btd-demo.XXXXXX)
chmod 755 "$d"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$d"
}
trap cleanup EXIT INT TERM
BTCTL=build/bin/btctl
say() { printf '\n$ %s\n' "$*"; }

for port in $OT 16881 16882; do
	if ss -ltn 2>/dev/null | grep -q ":$port "; then
		echo "demo: port $port is in use" >&2
		exit 1
	fi
done

mkdir -p "$d/seeder/data/pay" "$d/ot"
chmod 755 "$d/ot"
say "head -c ${MB}M /dev/urandom > pay/data.bin"
head -c "${MB}M" /dev/urandom >"$d/seeder/data/pay/data.bin"
printf 'hello from btd\n' >"$d/seeder/data/pay/README"
say "btctl create pay -t http://127.0.0.1:$OT/announce -o demo.torrent"
$BTCTL create "$d/seeder/data/pay" -t "http://127.0.0.1:$OT/announce" \
    -o "$d/demo.torrent" | tee "$d/create.out"
ih=$(sed -n 's/.*info-hash \([0-9a-f]*\).*/\1/p' "$d/create.out")
[ -n "$ih" ] || { echo "demo: no info-hash" >&2; exit 1; }
id=$(echo "$ih" | cut -c1-8)

# Debian's opentracker serves whitelisted torrents only.
echo "$ih" >"$d/ot/whitelist"
wl=$d/ot/whitelist
[ "$(id -u)" = 0 ] && wl=/whitelist
say "opentracker -i 127.0.0.1 -p $OT &"
timeout 600 opentracker -i 127.0.0.1 -p "$OT" -P "$OT" -d "$d/ot" -w "$wl" \
    -A 127.0.0.1 >"$d/ot.log" 2>&1 &
pids="$pids $!"

start() {	# start NAME PORT
	timeout 600 build/bin/btd -f -S "$d/$1/state" -D "$d/$1/data" -p "$2" \
	    2>"$d/$1.log" &
	pids="$pids $!"
	i=0
	while [ $i -lt 50 ] && ! $BTCTL -s "$d/$1/state/btd.sock" status \
	    >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
}
say "btd -f -S seeder/state -D seeder/data -p 16881 &   # the data is in seeder/data/pay"
start seeder 16881
say "btctl -s seeder/state/btd.sock add demo.torrent"
$BTCTL -s "$d/seeder/state/btd.sock" add "$d/demo.torrent"
$BTCTL -s "$d/seeder/state/btd.sock" wait "$id" --timeout 60 >/dev/null
$BTCTL -s "$d/seeder/state/btd.sock" list

say "btd -f -S leecher/state -D leecher/data -p 16882 &"
start leecher 16882
say "btctl -s leecher/state/btd.sock add demo.torrent"
$BTCTL -s "$d/leecher/state/btd.sock" add "$d/demo.torrent"
say "btctl -s leecher/state/btd.sock wait $id"
$BTCTL -s "$d/leecher/state/btd.sock" wait "$id" --timeout 120
rc=$?
say "btctl -s leecher/state/btd.sock list"
$BTCTL -s "$d/leecher/state/btd.sock" list
say "cmp seeder/data/pay/data.bin leecher/data/pay/data.bin"
if [ $rc -eq 0 ] &&
    cmp "$d/seeder/data/pay/data.bin" "$d/leecher/data/pay/data.bin" &&
    cmp "$d/seeder/data/pay/README" "$d/leecher/data/pay/README"; then
	echo "the same $MB MiB arrived"
else
	echo "demo: the download did not complete" >&2
	rc=1
fi
for n in leecher seeder; do
	$BTCTL -s "$d/$n/state/btd.sock" shutdown >/dev/null 2>&1
done
sleep 1
exit $rc
