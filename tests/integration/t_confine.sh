#!/bin/sh
# Confinement proved from inside: a probe executable swapped in for a
# role through btd.conf tries what a compromised role would, and logs
# what happened.  The swap itself is proved by the probe's Hello.
. "$(dirname "$0")/lib.sh"

cp "$B/tests/probe_role" "$T/probe_confine"
chmod 755 "$T/probe_confine"

for r in stored metad trackerd peerd; do
	printf '%s_exec %s\n' "$r" "$T/probe_confine" >"$T/$r.conf"
	btd_start "$r" -c "$T/$r.conf" -p 17001
	wait_for 10 grep -q "probe: done" "$LOG"
	check "$r probe: ran and finished" grep -q "probe: done" "$LOG"
	check "$r probe: swapped in (impl btd-probe)" wait_for 5 sh -c "[ \"\$('$BTCTL' -s '$SOCK' status --json | python3 -c \"import json,sys; print([r['impl_name'] for r in json.load(sys.stdin)['roles'] if r['name']=='$r'][0])\")\" = btd-probe ]"
	for what in "open /etc/passwd" "socket unix" "connect ctl" "execve /bin/sh" "write /tmp" "signal btd"; do
		check "$r probe: $what refused" grep -q "$r.*probe: $what: refused" "$LOG"
	done
	case $r in
	stored|metad)
		check "$r probe: socket inet refused" grep -q "$r.*probe: socket inet: refused" "$LOG" ;;
	*)
		check "$r probe: socket inet allowed (its job)" grep -q "$r.*probe: socket inet: ALLOWED" "$LOG" ;;
	esac
	check "$r probe: nothing was written to /tmp" [ ! -e /tmp/btd-probe-write ]
	ctl shutdown >/dev/null
	wait_for 10 dead "$BTD_PID"
done
