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
	wait_for 10 grep -q "probe: config done" "$LOG"
	check "$r probe: ran and finished" grep -q "probe: done" "$LOG"
	check "$r probe: got its Config and tried its settings" grep -q "probe: config done" "$LOG"
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
	check "$r probe: bind of another port refused" grep -q "$r.*probe: bind other port: refused" "$LOG"
	case $r in
	stored)
		check "$r probe: may write its download dir" grep -q "$r.*probe: write download_dir: ALLOWED" "$LOG" ;;
	*)
		check "$r probe: download dir refused" grep -q "$r.*probe: write download_dir: refused" "$LOG" ;;
	esac
	case $r in
	peerd)
		check "$r probe: may bind its peer_port" grep -q "$r.*probe: bind peer_port: ALLOWED" "$LOG" ;;
	*)
		check "$r probe: bind of peer_port refused" grep -q "$r.*probe: bind peer_port: refused" "$LOG" ;;
	esac
	ctl shutdown >/dev/null
	wait_for 10 dead "$BTD_PID"
done

# Confinement that cannot be applied: the role is not started (fail
# closed) and status says why.  A download dir that is a regular file
# cannot carry Landlock's directory rules.
touch "$T/notadir"
btd_start failclosed -D "$T/notadir" -p 17002
stored_failed() { [ "$(role_field stored state)" = failed ]; }
check "fail closed: stored is failed, not running" wait_for 10 stored_failed
check "fail closed: stored has no pid" [ "$(role_pid stored)" = 0 ]
check "fail closed: status names the layer" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q '\"last_exit\": \"landlock: '"
check "fail closed: the plain status shows it too" sh -c "'$BTCTL' -s '$SOCK' status | grep stored | grep -q 'landlock'"
check "fail closed: the other roles run" [ "$(role_field metad state)" = running ]
ctl restart stored >/dev/null
sleep 0.5
check "fail closed: still failed after btctl restart" stored_failed
check "fail closed: no restart loop" [ "$(grep -c 'stored: not started' "$LOG")" -le 2 ]
