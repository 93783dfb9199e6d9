#!/bin/sh
# Candidate peers: learned from opentracker, kept in state.db as known
# peers, and used again after a restart with the tracker gone (the data
# deleted, so the torrent must download again from the cached seeder),
# after pause and resume, and by a new peerd.  A peer that refuses
# connections is not dialed again within its backoff, however often
# peerd asks.  A private torrent does not dial cache entries learned
# from PEX or x.pe, but does dial one learned from its tracker.  A peer
# that connects to us becomes a candidate with source "incoming".  Rows
# go when their torrent is removed; a bad row is skipped with a message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

swarm_init 3000000 16
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"

# A private torrent nobody seeds, on the same tracker.
mkdir -p "$T/priv"
payload "$T/priv/p.bin" 200000 303132333435363738393a3b3c3d3e3f
mktorrent -p -l 16 -a "http://127.0.0.1:$OT/announce" -o "$T/priv.torrent" \
    "$T/priv/p.bin" >/dev/null
PIH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$T/priv.torrent').info_hashes().v1)")
PID8=$(echo "$PIH" | cut -c1-8)
printf '%s\n' "$PIH" >>"$T/ot/whitelist"
tracker_restart

# The seeder, slow enough that its connection can be seen.
$PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7301 --seconds 600 \
    --up-rate 300000 >"$T/lt_seed.out" 2>&1 &
LTS=$!
PIDS="$PIDS $LTS"
check "libtorrent seeder announced" wait_for 20 grep -q announced "$T/lt_seed.out"

# cand ID ADDR PORT EXPR: EXPR (c the candidate, or None) is true in
# `btctl trackers ID --json`.
cand() {
	ctl trackers "$1" --json 2>/dev/null | $PY -c "import json,sys
j=json.load(sys.stdin)
c=[c for c in j['peers'] if c['addr']=='$2' and c['port']==$3]
c=c[0] if c else None
sys.exit(0 if ($4) else 1)"
}
# peer_src ID PORT SOURCE: a connected peer on PORT shows SOURCE.
peer_src() {
	ctl peers "$1" --json 2>/dev/null | $PY -c "import json,sys
j=json.load(sys.stdin)
sys.exit(0 if any(p['port']==$2 and p['source']=='$3' for p in j['peers']) else 1)"
}
# rows IH: the known-peer rows of a torrent, "addr:port:source" each.
rows() {
	$PY -c "import sqlite3
db=sqlite3.connect('file:$STATE/state.db?mode=ro', uri=True)
for r in db.execute('SELECT addr, port, source FROM peers WHERE info_hash = ? ORDER BY port', (bytes.fromhex('$1'),)):
    print('%s:%d:%s' % r)"
}
# put_row IH ADDR PORT SOURCE: a cache row written by hand (btd stopped).
put_row() {
	$PY -c "import sqlite3, time
db=sqlite3.connect('$STATE/state.db')
db.execute('INSERT OR REPLACE INTO peers(info_hash, addr, port, source, last_seen) VALUES (?, ?, ?, ?, ?)', (bytes.fromhex('$1'), '$2', $3, '$4', int(time.time()) - 5))
db.commit()"
}

# 1. From the tracker: a candidate with its history, a peer "tracker".
btd_start a -p 7311
SA=$SOCK
ctl add "$TOR" >/dev/null
ctl add "$T/priv.torrent" >/dev/null
check "tracker: the seeder is a candidate from the tracker" wait_for 20 \
    cand "$ID" 127.0.0.1 7301 "c and 'tracker' in c['source'].split(',')"
check "tracker: btctl peers says tracker" wait_for 20 peer_src "$ID" 7301 tracker
check "tracker: complete" ctl wait "$ID" --timeout 60
check "tracker: the attempt is in the history" \
    cand "$ID" 127.0.0.1 7301 "c['attempts'] >= 1 and c['last_result'] == 'ok' and c['last_attempt'] > 0 and c['failures'] == 0"
check "show: the private torrent says private" sh -c \
    "'$BTCTL' -s '$SA' show $PID8 | grep -q '^private: *yes'"
check "show: the public one does not" sh -c \
    "'$BTCTL' -s '$SA' show $ID | grep -q '^private: *no'"

# 2. Shut down: the seeder is kept; the tracker goes, the data too.
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
check "cache: the seeder is kept in state.db" \
    [ "$(rows "$IH" | grep -c '^127.0.0.1:7301:tracker$')" = 1 ]
kill "$OTPID"
wait_for 10 sh -c "! ss -ltn | grep -q ':$OT '"
rm -rf "$T/a/dl/pay"
# A peer that refuses connections, and rows a private torrent must not
# dial (PEX, x.pe) beside one it may (its tracker); each listener
# records who connects.
put_row "$IH" 127.0.0.1 7399 tracker
put_row "$PIH" 127.0.0.1 7396 tracker
put_row "$PIH" 127.0.0.1 7397 pex
put_row "$PIH" 127.0.0.1 7398 magnet
put_row "$IH" not-an-address 7390 tracker
put_row "$IH" 127.0.0.1 0 tracker
spawn 120 $PY -c "import select, socket, sys, time
ls = []
for port in (7396, 7397, 7398):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.listen(8)
    ls.append(s)
print('listening', flush=True)
while True:
    r, _, _ = select.select(ls, [], [], 1)
    for s in r:
        c, _ = s.accept()
        print('accepted %d' % s.getsockname()[1], flush=True)
        c.close()
" >"$T/listen.out" 2>&1
check "listeners up" wait_for 10 grep -q listening "$T/listen.out"

# 3. Restart with no tracker: its data gone, the torrent says so (no
# data found); resumed, the cache brings the seeder back.
btd_start a -p 7311
no_data() { ctl list --json | $PY -c "import json,sys
t = [t for t in json.load(sys.stdin)['torrents'] if t['id'] == '$IH'][0]
sys.exit(0 if t['state'] == 'error' and 'no data found' in t['error'] else 1)"; }
check "restart: the data is gone: no data found" wait_for 20 no_data
ctl resume "$ID" >/dev/null
check "restart: the cached seeder is a candidate from the cache" \
    wait_for 20 cand "$ID" 127.0.0.1 7301 "c and 'cache' in c['source'].split(',')"
check "restart: btctl peers says cache" wait_for 20 peer_src "$ID" 7301 cache
check "restart: downloaded again without the tracker" ctl wait "$ID" --timeout 60
check "restart: same bytes" same_data "$T/a/dl"
tracker_failed() {
	ctl trackers "$1" --json | $PY -c "import json,sys
sys.exit(0 if json.load(sys.stdin)['trackers'][0]['status'] == 'error' else 1)"
}
check "restart: the tracker is down" wait_for 20 tracker_failed "$ID"
check "restart: bad rows skipped with a message" \
    [ "$(grep -c 'known peer row .* skipped' "$LOG")" -ge 2 ]
check "restart: a bad row is no candidate" \
    cand "$ID" 127.0.0.1 0 "c is None"

# 4. The refusing peer: tried, failed, then left alone for its backoff
# while three new peerds ask for candidates within about ten seconds.
check "refusing: tried once and refused" wait_for 20 \
    cand "$ID" 127.0.0.1 7399 "c and c['attempts'] >= 1 and c['failures'] == c['attempts'] and c['last_result'] == 'refused'"
a0=$(ctl trackers "$ID" --json | $PY -c "import json,sys
print([c['attempts'] for c in json.load(sys.stdin)['peers'] if c['port']==7399][0])")
for i in 1 2 3; do
	ctl restart peerd >/dev/null
	wait_for 10 all_running
	sleep 3
done
check "refusing: a new peerd dials the cached seeder again" \
    cand "$ID" 127.0.0.1 7301 "c['attempts'] >= 2 and c['last_result'] == 'ok'"
check "refusing: no more attempts within the backoff" \
    cand "$ID" 127.0.0.1 7399 "c['attempts'] == $a0 and c['attempts'] <= 2"

# 5. The private torrent: its tracker's cache row dialed, the others not.
check "private: the row from its tracker is dialed" \
    wait_for 20 grep -q 'accepted 7396' "$T/listen.out"
check "private: the row from its tracker is a candidate" \
    cand "$PID8" 127.0.0.1 7396 "c and c['attempts'] >= 1"
check "private: the PEX row is no candidate" \
    cand "$PID8" 127.0.0.1 7397 "c is None"
check "private: the x.pe row is no candidate" \
    cand "$PID8" 127.0.0.1 7398 "c is None"
check "private: the PEX and x.pe rows are not dialed" \
    sh -c "! grep -q 'accepted 739[78]' '$T/listen.out'"

# 6. Pause and resume: the known peers come back from state.db.
t0=$(date +%s)
ctl pause "$ID" >/dev/null
ctl resume "$ID" >/dev/null
check "resume: the seeder is dialed again from the cache" wait_for 20 \
    cand "$ID" 127.0.0.1 7301 "c and c['last_attempt'] >= $t0 and c['last_result'] == 'ok' and 'cache' in c['source'].split(',')"

# 7. A peer that connects to us becomes a candidate, "incoming", with
# the listen port it gave.
check "resume: seeding again" wait_for 30 seeding "$SOCK" "$ID"
mkdir -p "$T/ltl"
$PY tests/interop/lt_peer.py leech "$TOR" "$T/ltl" 7302 --seconds 120 \
    --peer 127.0.0.1:7311 >"$T/lt_leech.out" 2>&1 &
LTL=$!
PIDS="$PIDS $LTL"
check "incoming: the leecher is a candidate from incoming" wait_for 30 \
    cand "$ID" 127.0.0.1 7302 "c and 'incoming' in c['source'].split(',')"
check "incoming: the leecher got the data" wait_for 90 grep -q '^done' "$T/lt_leech.out"

# 8. Removing a torrent removes its rows.
check "remove: rows before" [ "$(rows "$IH" | wc -l)" -ge 1 ]
ctl remove "$ID" >/dev/null
check "remove: no rows after" wait_for 10 [ -z "$(rows "$IH")" ]
check "remove: the other torrent's rows stay" [ "$(rows "$PIH" | wc -l)" -ge 1 ]
ctl shutdown >/dev/null
