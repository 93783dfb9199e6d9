#!/bin/sh
# Start-up is all or nothing: a bad btd.conf, an unusable state dir or a
# second btd on the same state dir gives one clear error and exit 1, and
# nothing is left started.  Settings survive a restart of btd.
. "$(dirname "$0")/lib.sh"

# expect_fail NAME PATTERN btd-args...: exit 1, the message, no socket,
# no process left behind.
expect_fail() {
	ef_name=$1 ef_pat=$2
	shift 2
	st=$T/fail-$(echo "$ef_name" | tr -c 'a-z0-9\n' '_')
	out=$(timeout 10 "$BTD" -f -S "$st" "$@" 2>&1)
	rc=$?
	check "$ef_name: exit status 1 (got $rc)" [ $rc = 1 ]
	if echo "$out" | grep -q -- "$ef_pat"; then ok "$ef_name: says '$ef_pat'"
	else notok "$ef_name: says '$ef_pat' (got: $out)"; fi
	check "$ef_name: no ctl socket left" [ ! -e "$st/btd.sock" ]
	check "$ef_name: no role started" sh -c "! echo \"\$1\" | grep -q 'started'" sh "$out"
	check "$ef_name: no btd left running" sh -c "! pgrep -f '^$BTD -f -S $st' >/dev/null"
}

expect_fail "missing btd.conf" "$T/nope.conf: No such file" -c "$T/nope.conf"
printf 'peer_port 6881\nbogus_key 1\n' >"$T/bad1.conf"
expect_fail "unknown key" "bad1.conf:2: unknown setting 'bogus_key'" -c "$T/bad1.conf"
printf '# ok\npeer_port 99999\n' >"$T/bad2.conf"
expect_fail "bad value" "bad2.conf:2: peer_port" -c "$T/bad2.conf"
printf 'peer_port\n' >"$T/bad3.conf"
expect_fail "missing value" "bad3.conf:1: missing value" -c "$T/bad3.conf"
mkdir "$T/dir.conf"
expect_fail "unreadable btd.conf (a directory)" "dir.conf" -c "$T/dir.conf"
if [ "$(id -u)" != 0 ]; then
	printf 'peer_port 6881\n' >"$T/noread.conf"
	chmod 000 "$T/noread.conf"
	expect_fail "unreadable btd.conf" "Permission denied" -c "$T/noread.conf"
fi
touch "$T/afile"
out=$(timeout 10 "$BTD" -f -S "$T/afile/state" 2>&1); rc=$?
check "state dir under a file: exit 1" [ $rc = 1 ]
check "state dir under a file: names it" sh -c "echo '$out' | grep -q 'state dir $T/afile/state'"
mkdir -p "$T/ro"
if [ "$(id -u)" != 0 ]; then
	chmod 500 "$T/ro"
	out=$(timeout 10 "$BTD" -f -S "$T/ro" 2>&1); rc=$?
	check "unwritable state dir: exit 1" [ $rc = 1 ]
fi
expect_fail "bad -p" "-p: " -p 0

# A second btd on the same state dir.
btd_start one
first=$BTD_PID
out=$(timeout 10 "$BTD" -f -S "$STATE" 2>&1); rc=$?
check "second btd: exit 1" [ $rc = 1 ]
if echo "$out" | grep -q "another btd is running on $STATE (pid $first)"; then
	ok "second btd: names the running one"
else
	notok "second btd: names the running one (got: $out)"
fi
check "second btd: the first still serves" ctl status

# Settings: set, refused sets, and persistence across a restart.
check "set log_level debug" ctl set log_level debug
check "get shows it, from btctl set" sh -c "'$BTCTL' -s '$SOCK' get log_level | grep -q 'debug.*set'"
out=$(ctl set nosuch 1 2>&1); rc=$?
check "set of an unknown key fails" [ $rc = 1 ]
check "set of an unknown key says so" sh -c "echo \"$out\" | grep -q \"unknown setting 'nosuch'\""
out=$(ctl set stored_exec /bin/sh 2>&1); rc=$?
check "a program path cannot be set over ctl" [ $rc = 1 ]
out=$(ctl set download_dir "$T/elsewhere" 2>&1); rc=$?
check "download_dir pinned by -D cannot be set" [ $rc = 1 ]
out=$(ctl set peer_port 70000 2>&1); rc=$?
check "an invalid value is refused" [ $rc = 1 ]
old=$(role_pid peerd)
check "set peer_port 16999" ctl set peer_port 16999
new_peerd() { p=$(role_pid peerd); [ "$p" != "$old" ] && [ "$(role_field peerd state)" = running ]; }
check "set peer_port restarts peerd under the new port rule" wait_for 10 new_peerd
st_line() { "$BTCTL" -s "$SOCK" status | grep "^$1 "; }
out=$(st_line peerd)
check "set peer_port: LAST-EXIT says ordered restart (got: $out)" sh -c \
    "echo '$out' | grep -q 'ordered restart (peer_port changed): exited with status 0\$'"
check "set peer_port: no protocol violation logged" sh -c "! grep -q 'peerd: protocol violation' '$LOG'"
for r in trackerd metad; do
	old_r=$(role_pid $r)
	out=$(ctl restart $r)
	check "btctl restart $r: says so" [ "$out" = "restarting $r" ]
	new_r() { p=$(role_pid $r); [ "$p" != "$old_r" ] && [ "$(role_field $r state)" = running ]; }
	check "btctl restart $r: a new pid, running" wait_for 10 new_r
	out=$(st_line $r)
	check "btctl restart $r: LAST-EXIT ordered restart (got: $out)" sh -c \
	    "echo '$out' | grep -q 'ordered restart (btctl restart): exited with status 0\$'"
	check "btctl restart $r: no backoff, restarts 1" [ "$(role_field $r restarts)" = 1 ]
done
check "btctl restart: no protocol violation logged" sh -c "! grep -q 'protocol violation' '$LOG'"
rp=$(role_pids)
ctl shutdown >/dev/null
check "shutdown: btd exits" wait_for 10 dead "$BTD_PID"
check "shutdown: socket removed" [ ! -e "$SOCK" ]
check "shutdown: roles gone" all_dead $rp
btd_start one
check "settings survive a restart of btd" sh -c "'$BTCTL' -s '$SOCK' get log_level | grep -q debug"
check "peer_port survives too" sh -c "'$BTCTL' -s '$SOCK' get --json peer_port | grep -q 16999"
check "state.db is in WAL mode" sh -c "sqlite3 '$STATE/state.db' 'PRAGMA journal_mode' | grep -q wal"
kill -TERM "$BTD_PID"
check "SIGTERM: orderly stop" wait_for 10 dead "$BTD_PID"
check "SIGTERM: logged" grep -q "shutting down: SIGTERM" "$LOG"

# Without -f btd detaches, and the command returns only once it serves.
st=$T/daemon
timeout 10 "$BTD" -S "$st" -D "$T/daemon-dl"; rc=$?
check "daemon mode: exit 0 once started" [ $rc = 0 ]
dpid=$(head -n 1 "$st/btd.lock" 2>/dev/null)
[ -n "$dpid" ] && PIDS="$PIDS $dpid"
SOCK=$st/btd.sock
check "daemon mode: every role runs by the time btd returns" all_running
check "daemon mode: serves status" "$BTCTL" -s "$st/btd.sock" status
check "daemon mode: logs to btd.log" wait_for 5 grep -q "running" "$st/btd.log"
"$BTCTL" -s "$st/btd.sock" shutdown >/dev/null
check "daemon mode: shutdown" wait_for 10 dead "$dpid"
