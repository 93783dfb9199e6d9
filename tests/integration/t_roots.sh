#!/bin/sh
# Download roots: only where btd.conf allows, never a system tree, a
# symlink or a regular file; dropped when no torrent uses them; compared
# in one canonical form (btd under AddressSanitizer: a root given with a
# trailing slash once made remove read past the save path); and rows of
# state.db treated as untrusted input.
. "$(dirname "$0")/lib.sh"

ABTD=$B/asan/bin/btd
if [ ! -x "$ABTD" ]; then
	notok "the AddressSanitizer btd is built ($ABTD: make $ABTD)"
	exit 0
fi
BTD=$ABTD
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
D=$TOP/tests/data
mkdir -p "$T/allowed" "$T/outside" "$T/r"
printf 'download_dirs_allowed %s/r/dl:%s/allowed\n' "$T" "$T" >"$T/r.conf"
for r in trackerd peerd stored metad; do
	printf '%s_exec %s\n' "$r" "$B/libexec/btd/$r" >>"$T/r.conf"
done

# lib.sh's btd_start names -D itself; this one gives it with a slash.
start() {
	mkdir -p "$T/r"
	STATE=$T/r/state
	SOCK=$STATE/btd.sock
	LOG=$T/r/log
	timeout -k 2 300 "$BTD" -f -S "$STATE" -D "$T/r/dl/" -c "$T/r.conf" \
	    -p 17301 >>"$LOG" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 10 "$BTCTL" -s "$SOCK" status >/dev/null
	BTD_PID=$(jget "j['pid']")
	PIDS="$PIDS $BTD_PID"
	wait_for 10 all_running
}
stop() { ctl shutdown >/dev/null; wait_for 10 dead "$BTD_PID"; }
stored_up() { [ "$(role_field stored state)" = running ]; }
asan_clean() { ! grep -q 'AddressSanitizer' "$LOG"; }
roots_db() { sqlite3 "$STATE/state.db" "SELECT path FROM download_roots ORDER BY path"; }
# refuse DIR WHY: add -d DIR fails (exit 1) and the error says WHY.
refuse() {
	out=$(ctl add -d "$1" "$D/single.torrent" 2>&1); rc=$?
	if [ $rc = 1 ] && echo "$out" | grep -q "$2"; then
		ok "add -d $1: refused ($2)"
	else
		notok "add -d $1: refused ($2) (exit $rc: $out)"
	fi
}

start
check "download_dir stored in canonical form (no trailing slash)" sh -c "'$BTCTL' -s '$SOCK' get download_dir | grep -q '= $T/r/dl '"

# System trees, and what holds them, are never download roots.
for d in / /etc /etc/btd /proc /proc/sys /dev/shm /sys /usr/lib /boot /run/user /var/lib/btd; do
	refuse "$d" "is never a download directory"
done
refuse /var "is never a download directory"
refuse /tmp "is not one; name one below it"
refuse /home "is not one; name one below it"
refuse "$STATE" "holds btd's state directory"
refuse "$T/r" "holds btd's state directory"
refuse "$T/outside/x" "outside the directories allowed"
echo data >"$T/r/dl/afile"
refuse "$T/r/dl/afile" "not a directory"
ln -s "$T/outside" "$T/allowed/link"
refuse "$T/allowed/link" "not a directory (a symlink)"
refuse "$T/allowed/link/below" "a symlink in the path"
ln -s /etc "$T/r/dl/etc"
refuse "$T/r/dl/etc" "not a directory (a symlink)"
check "nothing was recorded as a root" [ -z "$(roots_db)" ]
check "btd still running after the refusals" alive "$BTD_PID"

# A root under an allowed directory; dropped once no torrent uses it.
id=$(ctl add -d "$T/allowed/one" "$D/single.torrent" | awk '{print $2}')
check "add -d under download_dirs_allowed" [ -n "$id" ]
check "the root is recorded" [ "$(roots_db)" = "$T/allowed/one" ]
wait_for 10 stored_up
check "remove" ctl remove "$id"
check "the unused root is dropped from state.db" [ -z "$(roots_db)" ]
check "the drop is logged" grep -q "download root $T/allowed/one: no torrent uses it; dropped" "$LOG"
wait_for 10 stored_up
check "stored restarted without it: no Landlock rule names it" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q '\"landlock\": \"abi [0-9]*.*rw: 1 dir;'"

# More roots over time than stored can hold at once: unused ones go.
i=0
fails=0
while [ $i -lt 70 ]; do
	id=$(ctl add -d "$T/allowed/many/$i" "$D/single.torrent" 2>/dev/null | awk '{print $2}')
	if [ -z "$id" ]; then fails=$((fails + 1)); else ctl remove "$id" >/dev/null; fi
	i=$((i + 1))
done
check "70 roots one after another: none refused ($fails)" [ $fails = 0 ]
check "no root left behind" [ -z "$(roots_db)" ]

# Remove with delete-data where the root was given with a trailing slash.
wait_for 10 stored_up
id=$(ctl add -d "$T/r/dl" "$D/single.torrent" | awk '{print $2}')
check "add with the save path equal to the download dir" [ -n "$id" ]
wait_for 10 stored_up
check "remove --delete-data (root given as $T/r/dl/)" ctl remove "$id" --delete-data
check "no AddressSanitizer report" asan_clean
check "btd alive after remove" alive "$BTD_PID"

# A root recorded with a trailing slash by an older btd.
id=$(ctl add -d "$T/allowed/two" "$D/single.torrent" | awk '{print $2}')
stop
sqlite3 "$STATE/state.db" "UPDATE download_roots SET path = path || '/' WHERE path = '$T/allowed/two'"
check "state.db holds a root with a trailing slash" [ "$(roots_db)" = "$T/allowed/two/" ]
start
wait_for 10 stored_up
check "remove --delete-data with that root" ctl remove "$id" --delete-data
check "no AddressSanitizer report after a slashed root from state.db" asan_clean
check "btd alive" alive "$BTD_PID"

# Corrupt rows: NULL root, NULL name, NULL save path.  Skipped, never
# a crash.
id=$(ctl add -d "$T/allowed/three" "$D/single.torrent" | awk '{print $2}')
id2=$(ctl add -d "$T/allowed/four" "$D/multi.torrent" | awk '{print $2}')
echo five >"$T/five.txt"
"$BTCTL" create "$T/five.txt" -t http://127.0.0.1:1/announce -o "$T/five.torrent" >/dev/null
id3=$(ctl add -d "$T/allowed/five" "$T/five.torrent" | awk '{print $2}')
check "three torrents to corrupt" [ -n "$id" ] && [ -n "$id2" ] && [ -n "$id3" ]
stop
sqlite3 "$STATE/state.db" <<SQL
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql, 'NOT NULL', '') WHERE name = 'torrents';
SQL
sqlite3 "$STATE/state.db" <<SQL
INSERT INTO download_roots (path, added) VALUES (NULL, 0);
INSERT INTO download_roots (path, added) VALUES ('/etc', 0);
UPDATE torrents SET name = NULL WHERE save_path = '$T/allowed/three';
UPDATE torrents SET save_path = NULL WHERE save_path = '$T/allowed/four';
UPDATE torrents SET name = 'five' || char(10) || 'btd[1]: forged' WHERE save_path = '$T/allowed/five';
SQL
check "state.db holds a NULL root" [ "$(sqlite3 "$STATE/state.db" 'SELECT count(*) FROM download_roots WHERE path IS NULL')" = 1 ]
check "state.db holds a NULL name" [ "$(sqlite3 "$STATE/state.db" 'SELECT count(*) FROM torrents WHERE name IS NULL')" = 1 ]
start
check "btd starts over corrupt rows" alive "$BTD_PID"
check "four roles running" wait_for 10 all_running
check "the NULL root is reported and skipped" grep -q "state.db: download root '' (NULL): skipped" "$LOG"
check "a root in /etc from state.db is dropped" grep -q "state.db: download root dropped: /etc: a system directory" "$LOG"
check "the rows with NULLs are reported and skipped" [ "$(grep -c 'has an empty column' "$LOG")" = 2 ]
check "the row with a newline in its name is reported and skipped" grep -q "torrent row 3 has text that is not printable UTF-8" "$LOG"
check "no forged line from a torrent name" sh -c "! grep -q '^btd\[1\]: forged' '$LOG'"
check "list works" ctl list
check "no AddressSanitizer report over corrupt rows" asan_clean
stop
