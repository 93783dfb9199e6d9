#!/bin/sh
# Run one integration script for tests/run.sh:
#   sh tests/run_one.sh tests/integration/t_x.sh RESULTS
# Writes RESULTS/t_x.out (what it printed, with "not ok - t_x exited
# with status N" added when it failed without saying so) and
# RESULTS/t_x.res ("PASSED FAILED SECONDS"), then prints its summary
# line, and its whole output if a check failed, under a lock so that
# scripts run side by side never mix their lines.
#
# As root each script runs as the first process after pid 1 of a PID
# namespace of its own, with a network namespace holding only loopback
# and a mount namespace of its own.  When the script ends, whatever it
# started and left running is still in the namespace: pid 1 lists it (a
# failure of that test), and the kernel kills it all when pid 1 exits.
set -u
t=$1
res=$2
name=$(basename "$t" .sh)
out=$res/$name.out
ns_run='ip link set lo up || exit 1
sh "$0"
rc=$?
i=0
while ! left=$(sh tests/leftovers.sh ns); do
	i=$((i + 1))
	if [ $i -ge 30 ]; then
		echo "$left" | sed "s/^/not ok - left running: /"
		exit 1
	fi
	sleep 0.1
done
exit $rc'

t0=$(date +%s)
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	timeout -k 5 600 unshare --net --pid --mount-proc \
	    --kill-child -- sh -c "$ns_run" "$t" >"$out" 2>&1 </dev/null
else
	timeout -k 5 600 sh "$t" >"$out" 2>&1 </dev/null
fi
rc=$?
secs=$(($(date +%s) - t0))
p=$(grep -c '^ok - ' "$out")
f=$(grep -c '^not ok - ' "$out")
if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
	f=1
	echo "not ok - $name exited with status $rc" >>"$out"
fi
echo "$p $f $secs" >"$res/$name.res"
(
	flock 9
	if [ "$f" -ne 0 ]; then
		cat "$out"
		echo "integration: $name: $p passed, $f failed ($secs s)"
	else
		echo "integration: $name: $p passed ($secs s)"
	fi
) 9>"$res/.lock"
