#!/bin/sh
# Labels and seed limits: `btctl label` and `add --label` set a
# torrent's labels, list and show give them, bad labels are refused
# with the reason, and they are kept across a restart (state.db
# migration 6).  A seeding torrent with a seed ratio limit it has
# reached is stopped and marked finished; resumed, it seeds on with its
# ratio mode unlimited.  Its seconds seeding count up and are kept.
. "$(dirname "$0")/lib.sh"

D=$T/a/dl
mkdir -p "$D/pay"
payload "$D/pay/one.bin" 300000
payload "$D/pay/two.bin" 70000 101112131415161718191a1b1c1d1e1f
[ "$(id -u)" = 0 ] && chown -R btd:btd "$T/a"
mktorrent -l 15 -a http://127.0.0.1:1/announce -o "$T/pay.torrent" \
    "$D/pay" >/dev/null
mktorrent -a http://127.0.0.1:1/announce -o "$T/other.torrent" \
    "$D/pay/two.bin" >/dev/null

btd_start a

# lfield ID EXPR: EXPR of the torrent's summary t (list --json).
lfield() {
	ctl --json list | $PY -c "import json,sys
j=json.load(sys.stdin)
t=[t for t in j['torrents'] if t['id'].startswith('$1')][0]
print($2)"
}
# is STATE: the torrent is in that state.
is() { [ "$(lfield "$ID" "t['state']")" = "$1" ]; }
# at_least EXPR N: EXPR of the summary is N or more.
at_least() { [ "$(lfield "$ID" "$1")" -ge "$2" ]; }
# equals EXPR VALUE
equals() { [ "$(lfield "$ID" "$1")" = "$2" ]; }

out=$(ctl add "$T/pay.torrent" --label tv --label "films HD" --label tv)
check "add --label: added" [ $? = 0 ]
ID=$(echo "$out" | awk '{print $2}')
check "add --label: labels in list --json, duplicates once" \
    [ "$(lfield "$ID" "t['labels']")" = "['tv', 'films HD']" ]
check "list shows a LABELS column" sh -c "'$BTCTL' -s '$SOCK' list | head -n 1 | grep -q 'LABELS\$'"
check "list shows the labels" sh -c "'$BTCTL' -s '$SOCK' list | grep -q 'tv,films HD\$'"
check "show prints the labels" sh -c "'$BTCTL' -s '$SOCK' show $ID | grep -q '^labels: *tv,films HD\$'"
check "label ID: prints them one a line" [ "$(ctl label "$ID" | tr '\n' '|')" = "tv|films HD|" ]

check "label ID a b c: set" ctl label "$ID" a "b c" ünï
check "label: they replace the old ones" \
    [ "$(lfield "$ID" "t['labels']")" = "['a', 'b c', 'ünï']" ]
check "label --json" [ "$(ctl --json label "$ID" | $PY -c "import json,sys; print(json.load(sys.stdin)['labels'])")" = "['a', 'b c', 'ünï']" ]

# Refused, with the reason, and the labels stay as they were.
bad() {
	_want=$1
	shift
	_out=$(ctl label "$ID" "$@" 2>&1)
	_rc=$?
	check "label refused ($_want): exit non-zero" [ $_rc != 0 ]
	check "label refused ($_want): says so" sh -c "printf '%s' \"\$1\" | grep -q \"\$2\"" x "$_out" "$_want"
}
bad "a comma in a label" "x,y"
bad "a control character in a label" "$(printf 'x\ty')"
bad "an empty label" ""
bad "a label longer than 64 bytes" "$(printf '%065d' 0)"
many=$(seq 1 33 | tr '\n' ' ')
# shellcheck disable=SC2086
bad "more than 32 labels" $many
check "after the refusals the labels are as they were" \
    [ "$(lfield "$ID" "t['labels']")" = "['a', 'b c', 'ünï']" ]
check "32 labels are fine" ctl label "$ID" $(seq 1 32)
check "label --clear" ctl label "$ID" --clear
check "cleared: none" [ "$(lfield "$ID" "t['labels']")" = "[]" ]
check "list has no LABELS column without labels" sh -c "! '$BTCTL' -s '$SOCK' list | head -n 1 | grep -q LABELS"
check "label of an unknown torrent: refused" sh -c "! '$BTCTL' -s '$SOCK' label ffffffff x 2>/dev/null"
check "label --clear with labels: usage error" sh -c "! '$BTCTL' -s '$SOCK' label $ID --clear x 2>/dev/null"
check "label: set again" ctl label "$ID" keep me
check "btd stays up through it all" alive "$BTD_PID"

# Seed limits: modes and values, refused when out of range.
check "the torrent seeds from its data" wait_for 20 is seeding
check "seconds seeding count up" wait_for 10 at_least "t['seconds_seeding']" 2
check "no seconds downloading" [ "$(lfield "$ID" "t['seconds_downloading']")" = 0 ]
check "seed limits: global by default, none in force" \
    [ "$(lfield "$ID" "(t['seed']['ratio_mode'], float(t['seed']['ratio_effective']), t['finished'])")" = "('global', -1.0, False)" ]
check "set-torrent seed-ratio-limit 1.5" sh -c "'$BTCTL' -s '$SOCK' set-torrent $ID seed-ratio-limit 1.5 >/dev/null"
check "set-torrent seed-ratio-limit 1.234: refused" sh -c "! '$BTCTL' -s '$SOCK' set-torrent $ID seed-ratio-limit 1.234 2>/dev/null"
check "set-torrent seed-idle-limit 525601: refused" sh -c "! '$BTCTL' -s '$SOCK' set-torrent $ID seed-idle-limit 525601 2>/dev/null"
check "set-torrent seed-ratio-mode sometimes: refused" sh -c "'$BTCTL' -s '$SOCK' set-torrent $ID seed-ratio-mode sometimes 2>&1 | grep -q 'not global, own or unlimited'"
check "set-torrent seed-idle-limit 90, mode own" sh -c "'$BTCTL' -s '$SOCK' set-torrent $ID seed-idle-limit 90 >/dev/null && '$BTCTL' -s '$SOCK' set-torrent $ID seed-idle-mode own >/dev/null"
check "still seeding: the mode is global" [ "$(lfield "$ID" "t['state']")" = seeding ]
check "the session's limit applies once seed_ratio_limited is yes" sh -c "'$BTCTL' -s '$SOCK' set seed_ratio_limited yes >/dev/null && '$BTCTL' -s '$SOCK' set seed_ratio_limit 3 >/dev/null"
check "... and is in force" [ "$(lfield "$ID" "float(t['seed']['ratio_effective'])")" = 3.0 ]
# A seeder from its own data has ratio 0: a limit of 0 is reached.
check "set-torrent seed-ratio-limit 0, mode own" sh -c "'$BTCTL' -s '$SOCK' set-torrent $ID seed-ratio-limit 0 >/dev/null && '$BTCTL' -s '$SOCK' set-torrent $ID seed-ratio-mode own >/dev/null"
check "at its ratio limit: stopped" wait_for 10 is paused
check "at its ratio limit: finished" [ "$(lfield "$ID" "t['finished']")" = True ]
check "show says finished" sh -c "'$BTCTL' -s '$SOCK' show $ID | grep -q '^seeding ends: ratio 0.00 (own), idle 90 min (own); finished\$'"
check "the log says why" grep -q "seeding stopped: ratio 0.00 reached its limit 0.00" "$LOG"
secs=$(lfield "$ID" "t['seconds_seeding']")
check "resumed by hand" ctl resume "$ID"
check "resumed: seeding again" wait_for 20 is seeding
check "resumed: not finished, ratio mode unlimited" wait_for 5 equals "(t['finished'], t['seed']['ratio_mode'])" "(False, 'unlimited')"
sleep 2
check "resumed: it keeps seeding" [ "$(lfield "$ID" "t['state']")" = seeding ]
check "seconds seeding went on" [ "$(lfield "$ID" "t['seconds_seeding']")" -gt "$secs" ]

# Kept across a restart: labels, limits, seconds.
out=$(ctl add "$T/other.torrent" --label "a,b" 2>&1); rc=$?
check "add --label with a bad label: exit 1" [ $rc = 1 ]
check "add --label with a bad label: the torrent is added, the labels refused" sh -c "printf '%s' \"\$1\" | grep -q 'but its labels were refused: label: a comma in a label'" x "$out"
secs=$(lfield "$ID" "t['seconds_seeding']")
ctl shutdown >/dev/null
check "btd stopped" wait_for 20 dead "$BTD_PID"
btd_start a
check "after a restart: labels kept" [ "$(lfield "$ID" "t['labels']")" = "['keep', 'me']" ]
check "after a restart: limits kept" \
    [ "$(lfield "$ID" "(t['seed']['ratio_mode'], t['seed']['idle_limit'], t['seed']['idle_mode'])")" = "('unlimited', 90, 'own')" ]
check "after a restart: seconds seeding kept" [ "$(lfield "$ID" "t['seconds_seeding']")" -ge "$secs" ]
check "after a restart: the session limit kept" [ "$(ctl get seed_ratio_limit | awk '{print $3}')" = 3.00 ]
n=$($PY -c "import sqlite3; c=sqlite3.connect('$STATE/state.db'); print(c.execute('pragma user_version').fetchone()[0])")
check "state.db is at migration 6" [ "$n" -ge 6 ]
ctl shutdown >/dev/null
check "shutdown" wait_for 20 dead "$BTD_PID"
