#!/bin/sh
# btd's side of the transfer.  With the real roles: pause and resume
# (recorded across a restart, announced stopped), the ctl commands'
# errors (peers, wait --timeout on a torrent nobody seeds), list and
# stats in JSON.  With a stand-in stored and peerd (tests/support/
# fake_xfer.c, which move no byte): the state machine end to end
# (checking -> downloading -> seeding, completed time, event=completed),
# where files go, the counters of PeerdStats, the bitfield surviving a
# restart, TorrentError and retry, a bad bitfield killing stored, and
# trackerd's candidates to peerd with their connection history.
. "$(dirname "$0")/lib.sh"

HP=7391
timeout -k 2 300 $PY tests/support/fake_tracker.py --http $HP \
    --log "$T/tracker.log" --max-seconds 280 >"$T/tracker.out" 2>&1 &
PIDS="$PIDS $!"
check "fake tracker ready" wait_for 10 grep -q ready "$T/tracker.out"
TR=http://127.0.0.1:$HP/ok/announce
# A path other than /announce on loopback: allowed by the setting.
ANY='tracker_loopback_any_path yes\n'
printf "$ANY" >"$T/real.conf"
D=$T/data
mkdir -p "$D/multi/sub"
payload "$D/one.bin" 1048576
payload "$D/multi/a.bin" 300000 101112131415161718191a1b1c1d1e1f
payload "$D/multi/sub/b.bin" 70000 202122232425262728292a2b2c2d2e2f
mktorrent -a "$TR" -l 15 -o "$T/one.torrent" "$D/one.bin" >/dev/null
mktorrent -a "$TR" -l 15 -o "$T/multi.torrent" "$D/multi" >/dev/null
ih_one=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/one.torrent').info_hashes().v1)")
ih_multi=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/multi.torrent').info_hashes().v1)")
ONE=$(echo "$ih_one" | cut -c1-8)
MULTI=$(echo "$ih_multi" | cut -c1-8)

# sget ID EXPR: EXPR on `btctl show ID --json`.
sget() { pyget "$(ctl show "$1" --json)" "$2"; }
state_is() { [ "$(sget "$1" "j['state']")" = "$2" ]; }
state_not() { [ "$(sget "$1" "j['state']")" != "$2" ] && [ -n "$(sget "$1" "j['state']")" ]; }

# --- With the real roles ---------------------------------------------
btd_start real -c "$T/real.conf" -v
ctl add "$T/one.torrent" >/dev/null
check "added: not paused" state_not "$ONE" paused
check "pause" ctl pause "$ONE" >/dev/null
check "paused: the state says so" state_is "$ONE" paused
check "pausing a paused torrent is not an error" ctl pause "$ONE" >/dev/null
out=$(ctl trackers "$ONE" 2>&1); rc=$?
check "paused: not announced" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'is paused: it is not announced'"
out=$(ctl peers "$ONE" 2>&1); rc=$?
check "paused: no peers, says why" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'is paused'"
out=$(ctl wait "$ONE" 2>&1); rc=$?
check "wait on a paused torrent exits 1 and says why" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'is paused'"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
btd_start real -c "$T/real.conf" -v
check "paused survives a restart of btd" state_is "$ONE" paused
check "resume" ctl resume "$ONE" >/dev/null
check "resumed: not paused" state_not "$ONE" paused
check "resuming a running torrent is not an error" ctl resume "$ONE" >/dev/null
check "resumed: announced again" wait_for 10 sh -c "'$BTCTL' -s '$SOCK' trackers $ONE --json | grep -q '\"status\": \"working\"'"
out=$(ctl peers 0000abcd 2>&1); rc=$?
check "peers of an unknown torrent: exit 1, says so" sh -c "[ $rc = 1 ] && echo '$out' | grep -q '^btctl: no such torrent: 0000abcd'"
out=$(ctl peers zz 2>&1); rc=$?
check "peers of a bad id: exit 1" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'not a torrent id'"
out=$(ctl pause 0000abcd 2>&1); rc=$?
check "pause of an unknown torrent: exit 1" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'no such torrent'"
start=$(date +%s)
out=$(ctl wait "$ONE" --timeout 2 2>&1); rc=$?
took=$(( $(date +%s) - start ))
check "wait --timeout on a torrent nobody seeds: exit 1" [ $rc = 1 ]
check "wait --timeout: the message says so" sh -c "echo '$out' | grep -q 'is not complete after 2 s'"
check "wait --timeout: it waited about that long" [ $took -ge 2 ] && [ $took -le 6 ]
check "wait --timeout: plain progress lines in a pipe" sh -c "echo '$out' | grep -q '0.0%'"
out=$(ctl wait "$ONE" --timeout nope 2>&1); rc=$?
check "wait --timeout takes a number" sh -c "[ $rc = 2 ] && echo '$out' | grep -q 'takes seconds'"
l=$(ctl list --json)
check "list --json has every summary field" [ "$(pyget "$l" "sorted(j['torrents'][0].keys()) == sorted(['id','short_id','name','state','total_size','progress','added','save_path','has_metadata','error','downloaded','uploaded','wasted','rate_down','rate_up','peers','seeds','eta','ratio','completed','left','pieces_have','checked','checks','check_good','check_hashed','check_trusted','metadata_peers','labels','seconds_downloading','seconds_seeding','activity','finished','seed'])")" = True ]
check "list: left is the whole torrent" [ "$(pyget "$l" "j['torrents'][0]['left']")" = 1048576 ]
check "plain list has the new columns" sh -c "'$BTCTL' -s '$SOCK' list | head -1 | grep -q 'DOWN  *UP  *PEERS  *ETA  *RATIO'"
s=$(ctl stats --json)
check "stats --json" [ "$(pyget "$s" "(j['torrents'], j['downloaded'], 'uptime' in j)")" = "(1, 0, True)" ]
check "plain stats" sh -c "'$BTCTL' -s '$SOCK' stats | grep -q '^torrents: *1 '"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# --- With a stand-in stored and peerd --------------------------------
cp "$B/tests/fake_xfer" "$T/fake_xfer_grow"
cp "$B/tests/fake_xfer" "$T/fake_xfer"
printf "${ANY}stored_exec %s\npeerd_exec %s\ndownload_dirs_allowed %s\n" "$T/fake_xfer_grow" "$T/fake_xfer" "$T" >"$T/grow.conf"
btd_start fake -c "$T/grow.conf" -v
S=$T/save
out=$(ctl add "$T/one.torrent" -d "$S"); rc=$?
check "fake: added" [ $rc = 0 ]
check "fake: stored got it in the new root" wait_for 10 grep -q "fake: stored add torrent [0-9]*: 32 pieces in $S/\$" "$LOG"
check "fake: peerd got it" grep -q "fake: peerd add torrent" "$LOG"
out=$(ctl wait "$ONE" --timeout 30 2>&1); rc=$?
check "wait: exit 0 once complete" [ $rc = 0 ]
check "wait: progress lines, then 100%" sh -c "echo '$out' | grep -q '100.0%' && [ \$(echo '$out' | wc -l) -ge 2 ]"
check "wait: the state went through downloading" sh -c "echo '$out' | grep -q downloading"
check "complete: seeding" state_is "$ONE" seeding
check "complete: every piece" [ "$(sget "$ONE" "(j['pieces_have'], j['left'], float(j['progress']))")" = "(32, 0, 1.0)" ]
check "complete: the time is recorded" [ "$(sget "$ONE" "j['completed'] > 1700000000")" = True ]
check "complete: the log says each transition" sh -c "grep -q 'queued -> checking' '$LOG' && grep -q 'checking -> downloading' '$LOG' && grep -q 'downloading -> seeding' '$LOG'"
check "complete: trackerd said event=completed" wait_for 10 grep -q "event=completed" "$T/tracker.log"
# TorrentCounters: the completed announce carries peerd's counts, which
# TorrentStart (at the add) had as 0.
ann=$(grep "event=completed" "$T/tracker.log" | head -1)
# The line holds a percent-encoded peer id that may contain any quote:
# it is given to grep as data, never as shell text.
ann_has() { printf '%s\n' "$ann" | grep -Eq "$1"; }
ann_ok() { ann_has 'left=0' && ann_has 'uploaded=[1-9]' && ann_has 'downloaded=[1-9]'; }
check "counters: the announce says left=0 and what was transferred" ann_ok
counted() { [ "$(sget "$ONE" "j['downloaded'] >= 16384 and j['uploaded'] >= 8192 and j['downloaded'] % 16384 == 0 and j['downloaded'] == 2 * j['uploaded']")" = True ]; }
check "counters: PeerdStats add up" wait_for 5 counted
check "counters: ratio is uploaded / downloaded" [ "$(sget "$ONE" "abs(j['ratio'] - j['uploaded'] / j['downloaded']) < 1e-9")" = True ]
check "counters: rates and peers" [ "$(sget "$ONE" "(j['rate_down'], j['rate_up'], j['peers_connected'], j['seeds'])")" = "(16384, 8192, 2, 1)" ]
check "counters: list shows the rate" sh -c "'$BTCTL' -s '$SOCK' list | grep -q '16.0 KiB/s'"
check "counters: session stats" [ "$(pyget "$(ctl stats --json)" "j['downloaded'] >= 16384 and j['total_downloaded'] >= j['downloaded'] and j['peers'] == 2 and j['active'] == 1")" = True ]
p=$(ctl peers "$ONE" --json)
check "peers: peerd's answer" [ "$(pyget "$p" "(j['peers'][0]['addr'], j['peers'][0]['port'], j['peers'][0]['client'])")" = "('127.0.0.2', 6881, 'fake/1.0')" ]
check "peers: plain" sh -c "'$BTCTL' -s '$SOCK' peers $ONE | grep -q '127.0.0.2'"

# Multi-file, in a directory below a root: root and dir say where.
mkdir -p "$S/sub"
ctl add "$T/multi.torrent" -d "$S/sub" >/dev/null
check "where files go: root and dir/name" wait_for 10 grep -q "fake: stored add torrent [0-9]*: [0-9]* pieces in $S/sub/multi\$" "$LOG"
check "multi: complete" sh -c "'$BTCTL' -s '$SOCK' wait $MULTI --timeout 30 >/dev/null"

# Candidates: trackerd offers the tracker's peers; peerd's result shows.
c=$(ctl trackers "$ONE" --json)
check "candidates: trackerd offered them to peerd" wait_for 10 grep -q "fake: [0-9]* candidates from tracker" "$LOG"
tried() { [ "$(pyget "$(ctl trackers "$ONE" --json)" "sum(p['attempts'] for p in j['peers']) >= 1 and any(p['last_result'] == 'refused' and p['failures'] >= 1 and p['last_attempt'] > 0 for p in j['peers'])")" = True ]; }
check "candidates: ConnectResult fills their history" wait_for 10 tried
# The first offer came from the announce; the fake tried its first and
# asked for one more: the answer is one candidate, not the one tried.
first=$(grep "fake: [0-9]* candidates from tracker" "$LOG" | head -1 | sed 's/.*, first //')
check "WantPeers: answered with one candidate" wait_for 10 grep -q "fake: 1 candidates from tracker" "$LOG"
check "WantPeers: not the one tried a moment ago" sh -c "! grep 'fake: 1 candidates from tracker' '$LOG' | grep -q 'first $first\$'"

# Restart: the bitfield and counters come back from state.db.
down=$(sget "$ONE" "j['downloaded']")
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
db=$T/fake/state/state.db
check "state.db: the bitfield is recorded" [ "$($PY -c "import sqlite3; c=sqlite3.connect('$db'); print(c.execute(\"select hex(pieces) from torrents where hex(info_hash)=upper('$ih_one')\").fetchone()[0])")" = FFFFFFFF ]
check "state.db: migration 4 or later" [ "$($PY -c "import sqlite3; c=sqlite3.connect('$db'); print(c.execute('pragma user_version').fetchone()[0])")" -ge 4 ]
btd_start fake -c "$T/grow.conf" -v
check "after a restart: all pieces still verified" [ "$(sget "$ONE" "j['pieces_have']")" = 32 ]
check "after a restart: counters kept" [ "$(sget "$ONE" "j['downloaded'] >= $down")" = True ]
check "after a restart: seeding again" wait_for 10 state_is "$ONE" seeding
check "after a restart: trackerd announces left=0" wait_for 10 sh -c "grep 'event=started' '$T/tracker.log' | grep -q 'left=0'"
check "after a restart: stored was sent the bitfield" wait_for 10 sh -c "[ \$(grep -c 'fake: checked torrent' '$LOG') -ge 3 ]"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# btd killed: the next start trusts what state.db recorded (flushed).
btd_start fake -c "$T/grow.conf" -v
check "before an unclean stop: no recheck asked" sh -c "! grep -q '(recheck)' '$LOG'"
kill -9 "$BTD_PID"
wait_for 10 dead "$BTD_PID"
sleep 0.5
btd_start fake -c "$T/grow.conf" -v
check "after btd was killed: the start says so" grep -q "did not stop cleanly: 2 torrents checked; recorded pieces were flushed and are trusted" "$LOG"
check "after btd was killed: stored is sent the torrent" wait_for 10 grep -q "fake: stored add torrent [0-9]*: 32 pieces in $S/" "$LOG"
check "after btd was killed: no full recheck" sh -c "! grep -q '(recheck)' '$LOG'"
check "after btd was killed: seeding again" wait_for 10 state_is "$ONE" seeding
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# A bitfield recorded wrong is treated as empty, not trusted.
$PY -c "import sqlite3; c=sqlite3.connect('$db'); c.execute(\"update torrents set pieces=x'ffff' where hex(info_hash)=upper('$ih_one')\"); c.commit()"
btd_start fake -c "$T/grow.conf" -v
check "a bitfield of the wrong length: logged" grep -q "bitfield of 2 bytes for 32 pieces; treated as empty" "$LOG"
check "a bitfield of the wrong length: nothing claimed" [ "$(sget "$ONE" "j['pieces_have'] < 32")" = True ]
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
# Info bytes that do not hash to the info-hash: the row is not used.
$PY -c "import sqlite3; c=sqlite3.connect('$db'); c.execute(\"update torrents set info=x'6465' where hex(info_hash)=upper('$ih_multi')\"); c.commit()"
btd_start fake -c "$T/grow.conf" -v
check "tampered info bytes: logged" grep -q "state.db: $ih_multi: info-hash does not match the info bytes" "$LOG"
check "tampered info bytes: not loaded" [ "$(pyget "$(ctl list --json)" "[t['name'] for t in j['torrents']]")" = "['one.bin']" ]
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# TorrentError: state error with the reason; resume retries.
cp "$B/tests/fake_xfer" "$T/fake_xfer_error"
printf "${ANY}stored_exec %s\npeerd_exec %s\n" "$T/fake_xfer_error" "$T/fake_xfer" >"$T/error.conf"
btd_start err -c "$T/error.conf" -v
ctl add "$T/one.torrent" >/dev/null
check "error: the torrent is in error" wait_for 10 state_is "$ONE" error
check "error: with stored's reason" [ "$(sget "$ONE" "j['error']")" = "write fake.bin: No space left on device" ]
out=$(ctl wait "$ONE" 2>&1); rc=$?
check "wait on a torrent in error: exit 1 with the reason" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'is in error: write fake.bin: No space left'"
check "error: peerd stopped it" wait_for 5 grep -q "fake: peerd remove torrent" "$LOG"
check "resume retries" ctl resume "$ONE" >/dev/null
check "resume retries: stored is sent it again" wait_for 10 sh -c "[ \$(grep -c 'fake: error for torrent' '$LOG') -ge 2 ]"
check "resume retries: in error again" wait_for 10 state_is "$ONE" error
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# A bitfield of the wrong length from stored is a protocol violation.
cp "$B/tests/fake_xfer" "$T/fake_xfer_badbits"
printf "${ANY}stored_exec %s\npeerd_exec %s\n" "$T/fake_xfer_badbits" "$T/fake_xfer" >"$T/bad.conf"
btd_start bad -c "$T/bad.conf" -v
ctl add "$T/one.torrent" >/dev/null
check "bad bitfield: stored is killed for it" wait_for 10 grep -q "stored: protocol violation: unexpected message checked" "$LOG"
check "bad bitfield: nothing claimed" [ "$(sget "$ONE" "j['pieces_have']")" = 0 ]
check "bad bitfield: btd is up" alive "$BTD_PID"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# peerd cannot start: peers says so instead of waiting.
printf "${ANY}peerd_exec %s\n" "$T/no-such-peerd" >"$T/nopeerd.conf"
btd_start nopeerd -c "$T/nopeerd.conf"
ctl add "$T/one.torrent" >/dev/null
out=$(ctl peers "$ONE" 2>&1); rc=$?
check "peers without peerd: exit 1, says so" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'peerd is not running (see btctl status)'"
