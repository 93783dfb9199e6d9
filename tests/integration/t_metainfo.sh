#!/bin/sh
# Metainfo that the best clients load: a generated corpus of odd v1
# torrents (paths with "..", duplicates, a file that is a directory,
# controls, BEP 47 attributes, trailing bytes) is added through metad and
# btctl shows the exact sanitised paths and what was changed, agreeing
# with libtorrent on the info-hash, the file count and the sizes.
# Hybrids made by libtorrent load with both info-hashes; hybrids whose
# halves disagree, v2-only and malformed v2 torrents are refused with
# the reason.  (The data landing at the sanitised paths waits for the
# transfer; `btctl files` is what shows them until then.)
. "$(dirname "$0")/lib.sh"

C=$T/corpus
check "the corpus is generated" $PY tests/interop/gen_corpus.py "$C"
btd_start a -v
metad_pid=$(role_pid metad)
$PY tests/interop/check_corpus.py "$BTCTL" "$SOCK" "$C/cases.json"

# Magnets: a btmh beside the btih is kept and shown; alone it is refused.
h1=2222222222222222222222222222222222222222
h2=caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e
out=$(ctl add "magnet:?xt=urn:btih:$h1&xt=urn:btmh:1220$h2" --json); rc=$?
check "magnet with btih and btmh: added" [ $rc = 0 ]
show=$(ctl show 22222222 --json)
check "magnet: the v2 info-hash is kept" [ "$(pyget "$show" "j['info_hash_v2']")" = "$h2" ]
check "magnet: btctl show gives it" sh -c "'$BTCTL' -s '$SOCK' show 22222222 | grep -q 'info-hash v2: $h2'"
out=$(ctl add "magnet:?xt=urn:btmh:1220$h2" 2>&1); rc=$?
check "magnet with btmh alone: refused as not supported yet" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'v2-only magnet links are not supported yet'"
out=$(ctl add "magnet:?xt=urn:btih:$h1&xt=urn:btmh:1114$h2" 2>&1); rc=$?
check "magnet with another multihash: refused" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'SHA-256 multihash'"

check "metad never crashed" [ "$(role_pid metad)" = "$metad_pid" ]
check "btd is up" alive "$BTD_PID"
check "metad logged the trailing-bytes warning" grep -q "bytes after the top-level dictionary ignored" "$LOG"

# Everything survives a restart of btd: notes and v2 hashes come from state.db.
before=$(ctl list --json)
hy=$(pyget "$before" "[t['id'] for t in j['torrents'] if t['name']=='tree'][0]")
v2h=$(pyget "$(ctl show "$hy" --json)" "j['info_hash_v2']")
notes=$(ctl files "$(pyget "$before" "[t['id'] for t in j['torrents'] if t['name']=='t'][0]")")
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
btd_start a
# Without the seconds that count up as btd runs (kept, not frozen).
timeless() { pyget "$1" "[{k: v for k, v in t.items() if k not in ('seconds_downloading', 'seconds_seeding', 'activity')} for t in j['torrents']]"; }
check "after a restart the list is the same" [ "$(timeless "$(ctl list --json)")" = "$(timeless "$before")" ]
check "after a restart the seconds downloading are kept" $PY -c "
import json,sys
a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2])
sys.exit(not all(y['seconds_downloading'] >= x['seconds_downloading'] for x, y in zip(a['torrents'], b['torrents'])))" "$before" "$(ctl list --json)"
check "after a restart the hybrid keeps its v2 info-hash" [ "$(pyget "$(ctl show "$hy" --json)" "j['info_hash_v2']")" = "$v2h" ]
check "after a restart the file notes are the same" [ "$(ctl files "$(pyget "$before" "[t['id'] for t in j['torrents'] if t['name']=='t'][0]")")" = "$notes" ]
