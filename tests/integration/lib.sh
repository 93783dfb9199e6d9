# lib.sh -- helpers for integration tests on real btd processes.
#
# Source it from a t_*.sh script.  Every process started here is
# recorded by PID in PIDS and stopped at exit with its whole process
# group: a command started as `timeout ... CMD &` records timeout's pid,
# and timeout leads a process group of its own that holds CMD and its
# children, so stopping the group stops the real process, not only the
# wrapper.  tests/run.sh then fails the test if anything it started is
# still alive.  Every wait is bounded.
# Results are lines "ok - NAME" / "not ok - NAME" (tests/run.sh counts
# them).

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$TOP/build}
BTD=$B/bin/btd
BTCTL=$B/bin/btctl
# Debian's python3 (python3-libtorrent lives there), whatever is on PATH.
PY=/usr/bin/python3
T=$(mktemp -d /tmp/btd-test.XXXXXX)
chmod 755 "$T"
# btd's pointers (for btctl without -s) stay in the test's directory.
XDG_RUNTIME_DIR=$T/run
export XDG_RUNTIME_DIR
PIDS=""

# stop_pids PID...: SIGTERM to each process and its process group, up to
# 2 s to go, then SIGKILL.  A pid that leads no group (a plain `CMD &`)
# is signalled alone; its group is the script's own.
stop_pids() {
	for _p in "$@"; do
		kill -TERM "-$_p" 2>/dev/null
		kill -TERM "$_p" 2>/dev/null
	done
	_sp_i=0
	while [ $_sp_i -lt 20 ]; do
		_sp_left=""
		for _p in "$@"; do
			kill -0 "$_p" 2>/dev/null && _sp_left="$_sp_left $_p"
		done
		[ -z "$_sp_left" ] && break
		sleep 0.1
		_sp_i=$((_sp_i + 1))
	done
	for _p in "$@"; do
		kill -KILL "-$_p" 2>/dev/null
		kill -KILL "$_p" 2>/dev/null
	done
	return 0
}

# spawn SECONDS CMD...: CMD in the background under a time limit, in a
# process group of its own (timeout's), recorded for cleanup; SPAWNED is
# the pid to stop it by.
spawn() {
	_sp_t=$1
	shift
	timeout -k 2 "$_sp_t" "$@" &
	SPAWNED=$!
	PIDS="$PIDS $SPAWNED"
}

# diag: after a failed check, what the btd instances say about their
# torrents and the last lines of every log and .out file under $T, as
# "# " comments: enough to read a failure that a CI run saw once.
diag() {
	for _s in "$T"/*/state/btd.sock; do
		[ -S "$_s" ] || continue
		echo "# --- btctl -s ${_s#$T/} list"
		timeout 5 "$BTCTL" -s "$_s" list 2>&1 | sed 's/^/#   /'
	done
	for _f in "$T"/*/log "$T"/*.out "$T"/*/*.out; do
		[ -f "$_f" ] || continue
		echo "# --- ${_f#$T/}, last lines"
		tail -n "${DIAG_LINES:-40}" "$_f" | cut -c1-300 | sed 's/^/#   /'
	done
}

cleanup() {
	[ -n "${FAILED:-}" ] && diag
	# shellcheck disable=SC2086
	stop_pids $PIDS
	# Roles die with their btd (PDEATHSIG); give them a moment.
	sleep 0.2
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; FAILED=1; }

# check NAME CMD...: ok if CMD succeeds.
check() {
	_check_name=$1
	shift
	if "$@"; then ok "$_check_name"; else notok "$_check_name"; fi
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s; 0 once it succeeds.
wait_for() {
	_wf_limit=$(( $1 * 10 ))
	shift
	_wf_i=0
	while [ $_wf_i -lt "$_wf_limit" ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		_wf_i=$((_wf_i + 1))
	done
	return 1
}

# btd_start NAME [btd args...]: a foreground btd with state in $T/NAME;
# sets STATE, SOCK, LOG and BTD_PID (btd's own pid, from its status).
# Waits until it answers status.
btd_start() {
	_n=$1
	shift
	mkdir -p "$T/$_n"
	STATE=$T/$_n/state
	SOCK=$STATE/btd.sock
	LOG=$T/$_n/log
	timeout -k 2 900 "$BTD" -f -S "$STATE" -D "$T/$_n/dl" "$@" \
	    >>"$LOG" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 10 "$BTCTL" -s "$SOCK" status >/dev/null
	BTD_PID=$(jget "j['pid']")
	PIDS="$PIDS $BTD_PID"
}

# role_pids: the pids of the four roles, for checking they are gone.
role_pids() {
	jget "' '.join(str(r['pid']) for r in j['roles'] if r['pid'] > 0)"
}

# all_dead PID...: none of them is alive.
all_dead() {
	for _p in "$@"; do kill -0 "$_p" 2>/dev/null && return 1; done
	return 0
}

ctl() { "$BTCTL" -s "$SOCK" "$@"; }

# jq-like access to `btctl status --json`: jget 'EXPR' with j the object.
jget() {
	ctl status --json | $PY -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

role_pid() { jget "[r['pid'] for r in j['roles'] if r['name']=='$1'][0]"; }
role_field() { jget "[r['$2'] for r in j['roles'] if r['name']=='$1'][0]"; }

# all_running: four roles in state running with a pid.
all_running() {
	[ "$(jget "sum(1 for r in j['roles'] if r['state']=='running' and r['pid']>0)")" = 4 ]
}

# links_up: every wired pair reports a completed round trip.
links_up() {
	[ "$(jget "all(l['up'] for r in j['roles'] for l in r['links']) and sum(len(r['links']) for r in j['roles'])==6")" = True ]
}

alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }

# payload FILE BYTES [KEY]: deterministic bytes (AES-128-CTR keystream).
payload() {
	openssl enc -aes-128-ctr -K "${3:-000102030405060708090a0b0c0d0e0f}" \
	    -iv 00000000000000000000000000000000 -nosalt </dev/zero 2>/dev/null |
	    head -c "$2" >"$1"
}

# pyget JSON EXPR: evaluate EXPR with j the parsed JSON text.
pyget() {
	printf '%s' "$1" | $PY -c "import json,sys; j=json.load(sys.stdin); print($2)"
}
