#!/bin/sh
# make demo: start a btd on a scratch state dir, show `btctl status`, and
# stop it.  Everything it starts is stopped by PID at exit.
set -u
cd "$(dirname "$0")/.."
d=$(mktemp -d /tmp/btd-demo.XXXXXX)
chmod 755 "$d"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	sleep 0.5
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT INT TERM

echo "\$ btd -f -S $d/state -D $d/downloads &"
timeout 120 build/bin/btd -f -S "$d/state" -D "$d/downloads" 2>"$d/log" &
pid=$!
i=0
while [ $i -lt 50 ] && ! build/bin/btctl -s "$d/state/btd.sock" status \
    >/dev/null 2>&1; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
echo "\$ btctl -s $d/state/btd.sock status"
build/bin/btctl -s "$d/state/btd.sock" status
rc=$?
echo "\$ btctl -s $d/state/btd.sock shutdown"
build/bin/btctl -s "$d/state/btd.sock" shutdown
wait "$pid"
pid=""
echo "--- btd's log"
cat "$d/log"
exit $rc
