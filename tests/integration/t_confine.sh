#!/bin/sh
# Confinement proved from inside: probe executables swapped in for all
# five roles through btd.conf (rpcd with rpc_enabled yes) try what a
# compromised role would, and log
# what happened.  The swap itself is proved by the probes' Hello.
#
# The suite runs once per Landlock ABI cap (landlock_abi_max 0, 2, 3, 5
# and the kernel's own) and, where the harness is root, in both modes:
# as root (a uid per role) and as an ordinary user (every role shares
# btd's uid, so only seccomp stands between them).  Whatever is between
# processes (signals, prlimit, ptrace, SIGIO, the ctl socket, a second
# exec) must be refused at every cap; file-system and TCP rules are
# asserted only where the ABI has them.
. "$(dirname "$0")/lib.sh"

for v in probe_confine probe_forge probe_mayexec; do
	cp "$B/tests/probe_role" "$T/$v"
	chmod 755 "$T/$v"
done
ESC=$(printf '\033')
# rpcd's web dir, outside the system trees, and a file beside it.
mkdir -p "$T/web"
echo '<html></html>' >"$T/web/index.html"
echo secret >"$T/web-secret"
chmod 755 "$T/web"
chmod 644 "$T/web/index.html" "$T/web-secret"
CAPS=${CONFINE_CAPS:-"0 2 3 5 kernel"}

MODES=root
AS=""
if [ "$(id -u)" != 0 ]; then
	MODES=user
elif command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$BTD"; then
	MODES="root user"
fi

# start MODE NAME CONF: a foreground btd as root or as uid 65534.
start() {
	_n=$2
	mkdir -p "$T/$_n"
	STATE=$T/$_n/state
	SOCK=$STATE/btd.sock
	LOG=$T/$_n/log
	AS=""
	if [ "$1" = user ] && [ "$(id -u)" = 0 ]; then
		chown 65534:65534 "$T/$_n"
		AS="setpriv --reuid=65534 --regid=65534 --clear-groups --"
	fi
	env -i HOME="$T/$_n" PATH=/usr/bin:/bin $AS timeout -k 2 120 \
	    "$BTD" -f -S "$STATE" -D "$T/$_n/dl" -c "$3" -p 17001 \
	    >>"$LOG" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 10 "$BTCTL" -s "$SOCK" status >/dev/null
	BTD_PID=$(jget "j['pid']")
	PIDS="$PIDS $BTD_PID"
}

stop() {
	ctl shutdown >/dev/null
	wait_for 10 dead "$BTD_PID"
}

# line R TEXT: the role's own line, as btd copied it from its pipe.
line() { grep -Eq "^[^ ]* $1: $1\[[0-9]+\]: probe: $2" "$LOG"; }
refused() { line "$1" "$2: refused"; }
allowed() { line "$1" "$2: ALLOWED"; }
done4() { [ "$(grep -Ec ' (trackerd|peerd|stored|metad|rpcd): [a-z]+\[[0-9]+\]: probe: config done' "$LOG")" -ge 5 ]; }
conf() { jget "[r['confinement']['$2'] for r in j['roles'] if r['name']=='$1'][0]"; }

KABI=""
for mode in $MODES; do
for cap in $CAPS; do
	n=$mode-$cap
	cf=$T/$n.conf
	{
		printf 'trackerd_exec %s\npeerd_exec %s\nstored_exec %s\n' \
		    "$T/probe_confine" "$T/probe_confine" "$T/probe_confine"
		printf 'metad_exec %s\nlandlock_abi_max %s\n' "$T/probe_forge" \
		    "$cap"
		printf 'rpc_enabled yes\nrpc_bind 127.0.0.1:17091\nrpcd_exec %s\n' \
		    "$T/probe_confine"
		printf 'rpc_web_dir %s\n' "$T/web"
	} >"$cf"
	start "$mode" "$n" "$cf"
	wait_for 15 done4
	[ -z "$KABI" ] && KABI=$(conf stored landlock_kernel_abi)
	abi=$cap
	[ "$cap" = kernel ] && abi=$KABI
	[ "$abi" -gt "$KABI" ] && abi=$KABI
	t="$mode, abi $abi"
	check "[$t] five probes finished" done4
	case $abi in
	0) check "[$t] start-up says there is no Landlock" grep -q "landlock: none (kernel ABI $KABI, landlock_abi_max): the roles run with seccomp and uids only" "$LOG" ;;
	[1-5]) check "[$t] start-up says what the ABI lacks" grep -q "landlock: ABI $abi (kernel $KABI, capped by landlock_abi_max); not enforced: .*abi 6" "$LOG" ;;
	*) check "[$t] start-up names the ABI" grep -q "landlock: ABI $abi (kernel $KABI)" "$LOG" ;;
	esac
	for r in trackerd peerd stored metad rpcd; do
		# metad, the forger, may be between two runs: wait for it.
		swapped() { [ "$(role_field $1 impl_name)" = btd-probe ]; }
		check "[$t] $r: swapped in (impl btd-probe)" wait_for 5 swapped $r
		check "[$t] $r: status reports landlock ABI $abi" [ "$(conf $r landlock_abi)" = "$abi" ]
		noexec() { [ "$(conf $1 exec_refused)" = True ]; }
		check "[$t] $r: status says exec is refused" wait_for 5 noexec $r
		[ "$abi" = 0 ] && check "[$t] $r: status says no Landlock rules" sh -c "'$BTCTL' -s '$SOCK' status | grep -q '$r landlock: none: capped to 0 by landlock_abi_max; no file-system or tcp rules'"
		for what in "socket unix" "connect ctl" "execve /bin/sh" \
		    "exec via loader" "signal btd" "tgkill btd" "tkill btd" \
		    "prlimit btd" "ptrace btd" "F_SETOWN btd" \
		    "F_SETOWN_EX btd" "F_SETSIG" "netlink sock_diag" \
		    "truncate stderr"; do
			check "[$t] $r: $what refused" refused $r "$what"
		done
		check "[$t] $r: tried the loader at more than one number" line $r "exec via loader: tried [1-9][0-9]* descriptor"
		check "[$t] $r: runs in /" line $r "cwd: /\$"
		check "[$t] $r: stderr is a pipe" line $r "stderr: pipe"
		check "[$t] $r: stdout is a pipe" line $r "stdout: pipe"
		check "[$t] $r: a forged btd line is shown as the role's, escaped" grep -q " $r: btd\[1\]: FORGED \\\\x1b\[31mred" "$LOG"
		case $r in
		trackerd) check "[$t] $r: netlink route allowed (name resolution)" allowed $r "netlink route" ;;
		*) check "[$t] $r: netlink route refused" refused $r "netlink route" ;;
		esac
		case $r in
		stored|metad|rpcd) check "[$t] $r: socket inet refused" refused $r "socket inet" ;;
		*) check "[$t] $r: socket inet allowed (its job)" allowed $r "socket inet" ;;
		esac
		case $r in
		rpcd)
			# btd bound rpc_bind; rpcd binds nothing, at every ABI.
			eperm() { line $1 "$2: refused \\(Operation not permitted\\)"; }
			check "[$t] $r: has btd's listening socket at fd 5" line $r "listen fd: inet, listening, port 17091\$"
			check "[$t] $r: bind of its own socket refused by seccomp" eperm $r "bind own socket"
			check "[$t] $r: listen on its own socket refused by seccomp" eperm $r "listen own socket"
			check "[$t] $r: bind of its rpc_bind port refused" eperm $r "bind rpc_port"
			check "[$t] $r: bind of peer_port refused" eperm $r "bind peer_port"
			check "[$t] $r: bind of another port refused" eperm $r "bind other port"
			check "[$t] $r: may read its web dir" allowed $r "read web dir"
			check "[$t] $r: may not write its web dir" refused $r "write web dir"
			[ "$abi" -ge 1 ] && check "[$t] $r: a file beside its web dir refused" refused $r "read beside web dir"
			check "[$t] $r: connect refused by seccomp" line $r "connect out: refused \\(Operation not permitted\\)"
			;;
		trackerd|peerd) [ "$abi" -ge 4 ] && check "[$t] $r: bind of rpcd's port refused by Landlock" line $r "bind rpc_port: refused \\(Permission denied\\)" ;;
		*) [ "$abi" -ge 4 ] && check "[$t] $r: bind of rpcd's port refused" refused $r "bind rpc_port" ;;
		esac
		case $r in
		stored) check "[$t] $r: may write its download dir" allowed $r "write download_dir" ;;
		peerd) check "[$t] $r: may bind its peer_port" allowed $r "bind peer_port" ;;
		rpcd)
			[ "$abi" -ge 4 ] && check "[$t] $r: status says no tcp bind or connect" sh -c "'$BTCTL' -s '$SOCK' status | grep -q 'rpcd landlock: .*net: no tcp bind/connect'"
			check "[$t] $r: status says seccomp refuses bind" sh -c "'$BTCTL' -s '$SOCK' status | grep -q 'rpcd seccomp: .*no bind, listen, connect'"
			;;
		esac
		if [ "$abi" -ge 1 ]; then
			check "[$t] $r: open /etc/passwd refused" refused $r "open /etc/passwd"
			check "[$t] $r: write /tmp refused" refused $r "write /tmp"
			[ $r != stored ] && check "[$t] $r: download dir refused" refused $r "write download_dir"
		fi
		if [ "$abi" -ge 4 ]; then
			check "[$t] $r: bind of another port refused" refused $r "bind other port"
			[ $r != peerd ] && check "[$t] $r: bind of peer_port refused" refused $r "bind peer_port"
		fi
	done
	check "[$t] a 5000-byte line is cut" grep -Eq " trackerd: L{1024} \[cut\]\$" "$LOG"
	check "[$t] nothing of a line is kept past the cut" sh -c "! grep -Eq '^[^ ]* trackerd: L+\$' '$LOG'"
	check "[$t] a flood of 20000 lines is rate-limited" grep -Eq " trackerd: \([0-9]+ lines dropped: over 200 a second\)" "$LOG"
	check "[$t] at most the burst of the flood is written" [ "$(grep -c ' trackerd: flood ' "$LOG")" -le 2100 ]
	check "[$t] no raw escape byte in btd's log" sh -c "! grep -q '$ESC' '$LOG'"
	check "[$t] no line passes for btd's but btd's own" sh -c "! grep -Eq '^[^ ]* btd\[1\]' '$LOG'"
	if [ "$abi" -ge 1 ]; then
		check "[$t] nothing was written to /tmp" [ ! -e /tmp/btd-probe-write-$BTD_PID ]
	fi
	# metad's forged LinkState blamed stored, which it has no link with.
	forger_killed() { [ "$(role_field metad restarts)" -ge 1 ]; }
	check "[$t] forged LinkState: the sender is killed" wait_for 10 forger_killed
	check "[$t] forged LinkState: logged as the sender's violation" grep -q "metad: protocol violation: LinkState about a link that does not exist" "$LOG"
	check "[$t] forged LinkState: the blamed role was not touched" [ "$(role_field stored restarts)" = 0 ]
	check "[$t] btd alive after every attempt" alive "$BTD_PID"
	stop
	# Without Landlock a probe may write there; the roles are gone now.
	sleep 0.3
	rm -f /tmp/btd-probe-write-$BTD_PID

	# A role that keeps exec open (no second filter) says so and is
	# refused.
	printf 'metad_exec %s\nlandlock_abi_max %s\n' "$T/probe_mayexec" \
	    "$cap" >"$T/$n-mayexec.conf"
	start "$mode" "$n-mayexec" "$T/$n-mayexec.conf"
	refused_exec() { grep -q "metad: protocol violation: Hello does not state exec_refused" "$LOG"; }
	check "[$t] a role that may exec again is refused at Hello" wait_for 10 refused_exec
	check "[$t] it never runs" [ "$(role_field metad state)" != running ]
	check "[$t] the others run" [ "$(role_field stored state)" = running ]
	stop
done
done

# No Landlock and `without_landlock refuse`: no role starts, and status
# says why.
printf 'landlock_abi_max 0\nwithout_landlock refuse\n' >"$T/refuse.conf"
start root refuse "$T/refuse.conf"
all_failed() { [ "$(jget "sum(1 for r in j['roles'] if r['state']=='failed')")" = 4 ]; }
check "without_landlock refuse: every role failed" wait_for 10 all_failed
check "without_landlock refuse: start-up says so" grep -q "the roles are not started (without_landlock refuse)" "$LOG"
check "without_landlock refuse: status names the reason" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q 'landlock: capped to 0 by landlock_abi_max, and without_landlock is refuse'"
stop

# Confinement that cannot be applied: the role is not started (fail
# closed) and status says why.  A download dir that is a regular file
# cannot be opened as a directory, for stored or for its Landlock rules.
touch "$T/notadir"
btd_start failclosed -D "$T/notadir" -p 17002
stored_failed() { [ "$(role_field stored state)" = failed ]; }
check "fail closed: stored is failed, not running" wait_for 10 stored_failed
check "fail closed: stored has no pid" [ "$(role_pid stored)" = 0 ]
check "fail closed: status names the layer" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q '\"last_exit\": \"download dir '"
check "fail closed: the plain status shows it too" sh -c "'$BTCTL' -s '$SOCK' status | grep stored | grep -q 'landlock'"
check "fail closed: the other roles run" [ "$(role_field metad state)" = running ]
ctl restart stored >/dev/null
sleep 0.5
check "fail closed: still failed after btctl restart" stored_failed
check "fail closed: no restart loop" [ "$(grep -c 'stored: not started' "$LOG")" -le 2 ]
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# A download dir that is a symlink: Landlock would follow it, so stored
# is not started.
mkdir -p "$T/realdl"
ln -s "$T/realdl" "$T/linkdl"
btd_start symlinkdl -D "$T/linkdl" -p 17003
check "symlinked download dir: stored is failed" wait_for 10 stored_failed
check "symlinked download dir: status says why" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q 'download dir $T/linkdl: not a directory (or a symlink)'"
