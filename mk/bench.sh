#!/bin/sh
# make bench: mk/bench.py inside a network namespace with only loopback.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "bench: run as root (it makes a network namespace)" >&2
	exit 1
fi
exec unshare --net -- sh -c 'ip link set lo up && exec /usr/bin/python3 mk/bench.py'
