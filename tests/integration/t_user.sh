#!/bin/sh
# btd run by an ordinary user: state under $HOME, btctl finds the default
# socket without -s, roles stay under that uid and are still confined,
# and another uid is refused by the ctl socket.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	# Already unprivileged: run as we are.
	AS=""
else
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups --"
	if ! $AS test -x "$BTD"; then
		echo "skipped: $BTD is not reachable by uid 65534"
		exit 0
	fi
fi
H=$T/home
mkdir -p "$H"
[ -n "$AS" ] && chown 65534:65534 "$H"
asuser() { env -i HOME="$H" PATH=/usr/bin:/bin $AS "$@"; }

asuser timeout -k 2 120 "$BTD" -f >"$T/user.log" 2>&1 &
PIDS="$PIDS $!"
status_default() { asuser "$BTCTL" status >/dev/null; }
check "btctl finds the default socket without -s" wait_for 10 status_default
check "the default state dir is under HOME" [ -S "$H/.local/state/btd/btd.sock" ]
check "the default download dir is in the state dir" wait_for 5 test -d "$H/.local/state/btd/downloads"
SOCK=$H/.local/state/btd/btd.sock
BTD_PID=$(jget "j['pid']")
PIDS="$PIDS $BTD_PID"
check "four roles running" wait_for 10 all_running
me=$(asuser id -u)
for r in trackerd peerd stored metad; do
	pid=$(role_pid $r)
	check "$r: runs as the user ($me)" [ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = "$me" ]
	check "$r: Seccomp 2" grep -q '^Seccomp:[[:space:]]*2$' /proc/$pid/status
	check "$r: NoNewPrivs 1" grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/$pid/status
done
check "global options after the command" asuser "$BTCTL" status --json -s "$SOCK"
if [ -n "$AS" ]; then
	other="setpriv --reuid=65533 --regid=65533 --clear-groups --"
	out=$($other "$BTCTL" -s "$SOCK" status 2>&1); rc=$?
	check "another uid cannot reach the 0600 socket (exit $rc)" [ $rc = 1 ]
	# With CAP_DAC_OVERRIDE it gets past the mode: SO_PEERCRED refuses.
	dac="setpriv --reuid=65533 --regid=65533 --clear-groups --inh-caps=+dac_override --ambient-caps=+dac_override --"
	out=$($dac "$BTCTL" -s "$SOCK" status 2>&1); rc=$?
	check "another uid past the file mode is refused by SO_PEERCRED (exit $rc)" [ $rc = 1 ]
	check "the refusal is logged with the uid" grep -q "ctl: refused a client of uid 65533" "$T/user.log"
fi
asuser "$BTCTL" shutdown >/dev/null
check "shutdown" wait_for 10 dead "$BTD_PID"
