#!/bin/sh
# Settings that reach logs and paths: every value is validated to its
# type and stored in canonical form, logged escaped; a new download_dir
# obeys the rules of download roots.  And in daemon mode no role holds
# btd.log: each logs through its pipe.
. "$(dirname "$0")/lib.sh"

D=$TOP/tests/data
S=$T/s
mkdir -p "$S/allowed"
printf 'download_dirs_allowed %s/allowed:%s/state\n' "$S" "$S" >"$T/s.conf"
# btd.conf values are stored canonical too.
printf 'restart_backoff_max 007\n' >>"$T/s.conf"

# Without -f: daemon mode, logging to btd.log.
timeout 10 "$BTD" -S "$S/state" -c "$T/s.conf" -v; rc=$?
check "daemon mode: started" [ $rc = 0 ]
SOCK=$S/state/btd.sock
LOG=$S/state/btd.log
BTD_PID=$(head -n 1 "$S/state/btd.lock" 2>/dev/null)
[ -n "$BTD_PID" ] && PIDS="$PIDS $BTD_PID"
check "four roles running" wait_for 10 all_running

# No role holds a descriptor to btd.log; each has a pipe on 1 and 2.
for r in trackerd peerd stored metad; do
	pid=$(role_pid $r)
	check "$r: no descriptor to btd.log" sh -c "! ls -l /proc/$pid/fd | grep -q btd.log"
	check "$r: stdout and stderr are pipes" sh -c "[ \"\$(readlink /proc/$pid/fd/1)\" = \"\$(readlink /proc/$pid/fd/2)\" ] && readlink /proc/$pid/fd/2 | grep -q '^pipe:'"
	check "$r: working directory is /" [ "$(readlink /proc/$pid/cwd)" = / ]
done
check "btd's working directory is /" [ "$(readlink /proc/$BTD_PID/cwd)" = / ]
check "role lines reach btd.log with the role's name" grep -Eq '^[^ ]+ stored: stored\[[0-9]+\]: ' "$LOG"

check "btd.conf's restart_backoff_max 007 is stored as 7" sh -c "'$BTCTL' -s '$SOCK' get restart_backoff_max | grep -q '= 7 '"

# A newline in download_dir: refused, and nothing forged in the log.
out=$(ctl set download_dir "$(printf '%s/allowed/dl\nbtd[1]: forged' "$S")" 2>&1); rc=$?
check "download_dir with a newline: refused" [ $rc = 1 ]
check "download_dir with a newline: the error says why" sh -c "printf '%s' \"\$1\" | grep -q 'control character in path'" x "$out"
check "download_dir with a newline: the error shows it escaped" sh -c "printf '%s' \"\$1\" | grep -q 'x0abtd'" x "$out"
check "no forged line in btd.log" sh -c "! grep -q '^btd\[1\]: forged' '$LOG'"
out=$(ctl set download_dir "$(printf '%s/allowed/\033[31mred' "$S")" 2>&1); rc=$?
check "download_dir with an escape: refused" [ $rc = 1 ]
check "adding still works after the refused settings" sh -c "'$BTCTL' -s '$SOCK' add '$D/single.torrent' >/dev/null"

# Canonical forms.
check "set peer_port 017402" ctl set peer_port 017402
check "peer_port is stored as 17402" sh -c "'$BTCTL' -s '$SOCK' get peer_port | grep -q '= 17402 '"
check "state.db holds the canonical form" [ "$(sqlite3 "$S/state/state.db" "SELECT value FROM settings WHERE key = 'peer_port'")" = 17402 ]
check "set download_dir with slashes to spare" ctl set download_dir "$S/allowed//dl/"
check "download_dir is stored canonical" sh -c "'$BTCTL' -s '$SOCK' get download_dir | grep -q '= $S/allowed/dl '"
check "set download_dir with ..: refused" sh -c "! '$BTCTL' -s '$SOCK' set download_dir '$S/allowed/../../etc' 2>/dev/null"
check "set log_level with a newline: refused" sh -c "! '$BTCTL' -s '$SOCK' set log_level \"\$(printf 'debug\\nx')\" 2>/dev/null"

# A new download_dir is a download root: the same rules.
out=$(ctl set download_dir /etc 2>&1); rc=$?
check "set download_dir /etc: refused" [ $rc = 1 ]
check "set download_dir /etc: a system directory" sh -c "echo '$out' | grep -q 'a system directory (/etc) is never a download directory'"
out=$(ctl set download_dir "$T/elsewhere" 2>&1); rc=$?
check "set download_dir outside download_dirs_allowed: refused" [ $rc = 1 ]
check "set download_dir outside: says so" sh -c "echo '$out' | grep -q 'outside the directories allowed'"
check "download_dir unchanged by the refusals" sh -c "'$BTCTL' -s '$SOCK' get download_dir | grep -q '= $S/allowed/dl '"

# Logged values are escaped: a quote in a path.
check "set download_dir with a quote" ctl set download_dir "$S/allowed/q\"x"
check "the quote is logged escaped" wait_for 5 grep -q "ctl: download_dir set to '$S/allowed/q\\\\x22x'" "$LOG"

# A value planted in state.db is validated at start like any other.
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
sqlite3 "$S/state/state.db" "UPDATE settings SET value = '$(printf '/x\nbtd[1]: planted')' WHERE key = 'download_dir'"
LOG=$S/fg.log
timeout -k 2 60 "$BTD" -f -S "$S/state" -c "$T/s.conf" >"$LOG" 2>&1 &
PIDS="$PIDS $!"
check "btd starts over a planted setting" wait_for 10 ctl status
BTD_PID=$(jget "j['pid']")
check "the planted value is refused at start, escaped" grep -q "state.db setting ignored: download_dir: control character in path: '/x.x0abtd\[1\]: planted'" "$LOG"
check "no planted line in btd.log" sh -c "! grep -q '^btd\[1\]: planted' '$LOG'"
ctl shutdown >/dev/null
check "shutdown" wait_for 10 dead "$BTD_PID"
