#!/bin/sh
# Torrents: .torrent files made by mktorrent, transmission-create and
# libtorrent, and magnet links, are added through metad; btctl shows
# what libtorrent sees in them; they survive a restart; remove forgets
# them and --delete-data deletes exactly their files.  Hostile input is
# refused with one line while metad and btd stay up.
. "$(dirname "$0")/lib.sh"

TR=http://127.0.0.1:6969/announce
D=$T/data
mkdir -p "$D/multi/nested/a/b" "$D/multi/c"
payload "$D/single.bin" 1048583
payload "$D/multi/top.bin" 2097152 101112131415161718191a1b1c1d1e1f
payload "$D/multi/nested/a/b/deep.bin" 307200 202122232425262728292a2b2c2d2e2f
printf x >"$D/multi/c/tiny.txt"
: >"$D/multi/c/empty.dat"

mktorrent -a "$TR" -o "$T/mk_single.torrent" "$D/single.bin" >/dev/null
mktorrent -a "$TR" -a udp://127.0.0.1:6969 -l 16 -o "$T/mk_multi.torrent" "$D/multi" >/dev/null
transmission-create -t "$TR" -o "$T/tr_multi.torrent" "$D/multi" >/dev/null 2>&1
transmission-create -t "$TR" -o "$T/tr_single.torrent" "$D/single.bin" >/dev/null 2>&1
$PY tests/interop/lt_make.py "$D/multi" "$T/lt_multi.torrent" v1
$PY tests/interop/lt_make.py "$D/multi" "$T/lt_hybrid.torrent" hybrid
$PY tests/interop/lt_make.py "$D/single.bin" "$T/lt_single.torrent" v1

btd_start a -v
n=0
for t in mk_single mk_multi tr_multi tr_single lt_multi lt_hybrid lt_single; do
	f=$T/$t.torrent
	if [ ! -s "$f" ]; then notok "$t: the reference tool made a torrent"; continue; fi
	out=$(ctl add "$f" 2>&1); rc=$?
	# A torrent with the same content from another tool has the same
	# info-hash only by chance; duplicates are tested below.
	if [ $rc != 0 ]; then
		case $out in *"already there"*) ok "$t: same info-hash as an earlier one"; continue;; esac
		notok "$t: added (got: $out)"; continue
	fi
	ok "$t: added"
	n=$((n + 1))
	id=$(echo "$out" | awk '{print $2}')
	show=$(ctl show "$id" --json)
	lt=$($PY tests/interop/lt_info.py "$f")
	cmp=$($PY - "$show" "$lt" <<'PY'
import json, sys
b, l = json.loads(sys.argv[1]), json.loads(sys.argv[2])
bad = []
if b["info_hash"] != l["info_hash"]: bad.append("info_hash %s != %s" % (b["info_hash"], l["info_hash"]))
if b["name"] != l["name"]: bad.append("name")
if b["total_size"] != l["total_size"]: bad.append("total_size")
if b["piece_length"] != l["piece_length"]: bad.append("piece_length")
if b["piece_count"] != l["piece_count"]: bad.append("piece_count")
if b["private"] != l["private"]: bad.append("private")
bf = [((b["name"] + "/" + f["path"]) if b["multi_file"] else f["path"], f["length"], f["pad"]) for f in b["files"]]
lf = [(f["path"], f["length"], f["pad"]) for f in l["files"]]
if bf != lf: bad.append("files %s != %s" % (bf, lf))
bt = [(t["url"], t["tier"]) for t in b["trackers"]]
lt_ = [(t["url"], t["tier"]) for t in l["trackers"]]
if bt != lt_: bad.append("trackers %s != %s" % (bt, lt_))
print("; ".join(bad) if bad else "same")
PY
)
	if [ "$cmp" = same ]; then ok "$t: btctl show agrees with libtorrent"
	else notok "$t: btctl show agrees with libtorrent: $cmp"; fi
done
check "hybrid (v1+v2) torrent: pad files seen" sh -c "$PY tests/interop/lt_info.py '$T/lt_hybrid.torrent' | grep -q '\"pad\": true'"
check "list shows every added torrent" [ "$(pyget "$(ctl list --json)" "len(j['torrents'])")" = $n ]
check "files lists the multi-file torrent's files" sh -c "'$BTCTL' -s '$SOCK' files \$('$BTCTL' -s '$SOCK' list --json | $PY -c 'import json,sys; print([t[\"id\"] for t in json.load(sys.stdin)[\"torrents\"] if t[\"name\"]==\"multi\"][0])') | grep -q 'nested/a/b/deep.bin'"

# Duplicates, plain output, ids.
out=$(ctl add "$T/mk_single.torrent" 2>&1); rc=$?
check "duplicate add fails" [ $rc = 1 ]
check "duplicate add says it is already there" sh -c "echo '$out' | grep -q 'already there'"
first=$(pyget "$(ctl list --json)" "j['torrents'][0]['id']")
check "show by a 6-digit prefix" ctl show "$(echo "$first" | cut -c1-6)"
check "show by the full id in upper case" ctl show "$(echo "$first" | tr a-f A-F)"
out=$(ctl show zzzz 2>&1); rc=$?
check "show of a bad id fails with a message" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'not a torrent id'"
out=$(ctl show 0000000000 2>&1); rc=$?
check "show of an unknown id says so" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'no such torrent'"

# Magnets.
mag="magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=Some+Name&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&x.pe=127.0.0.1:6881"
out=$(ctl add "$mag" --json); rc=$?
check "magnet: added" [ $rc = 0 ]
check "magnet: name from dn" [ "$(pyget "$out" "j['name']")" = "Some Name" ]
check "magnet: waiting for metadata" [ "$(pyget "$out" "j['state']")" = "fetching metadata" ]
show=$(ctl show 01234567 --json)
check "magnet: tracker kept" [ "$(pyget "$show" "j['trackers'][0]['url']")" = "$TR" ]
check "magnet: x.pe peer kept" [ "$(pyget "$show" "j['peers'][0]['port']")" = 6881 ]
b32=$(pyget "$(ctl list --json)" "j['torrents'][0]['id']" | $PY -c "import base64,sys; print(base64.b32encode(bytes.fromhex(sys.stdin.read().strip())).decode())")
out=$(ctl add "magnet:?xt=urn:btih:$b32" 2>&1); rc=$?
check "magnet in base32 of a known torrent: already there" sh -c "[ $rc = 1 ] && echo '$out' | grep -q 'already there'"
n=$((n + 1))

# --paused
out=$(ctl add "magnet:?xt=urn:btih:1111111111111111111111111111111111111111" --paused --json)
check "add --paused: the torrent is paused" [ "$(pyget "$out" "j['state']")" = paused ]
ctl remove 11111111 >/dev/null

# Hostile input: one line, exit 1, nothing changed, nobody crashed.
metad_pid=$(role_pid metad)
before=$(ctl list --json)
# timeless LIST: the list without the seconds that count up as it runs.
timeless() { pyget "$1" "[{k: v for k, v in t.items() if k not in ('seconds_downloading', 'seconds_seeding', 'activity')} for t in j['torrents']]"; }
$PY - "$T" <<'PY'
import sys, os
t = sys.argv[1]
def w(name, data):
    open(os.path.join(t, name), "wb").write(data)
w("h_deep.torrent", b"l" * 25000 + b"e" * 25000)
w("h_strlen.torrent", b"d8:announce18446744073709551615:xe")
w("h_int.torrent", b"d4:infod6:lengthi-0e4:name1:x12:piece lengthi16384e6:pieces20:" + b"\0" * 20 + b"ee")
w("h_piece0.torrent", b"d4:infod6:lengthi10e4:name1:x12:piece lengthi0e6:pieces20:" + b"\0" * 20 + b"ee")
w("h_pieces.torrent", b"d4:infod6:lengthi100000e4:name1:x12:piece lengthi16384e6:pieces20:" + b"\0" * 20 + b"ee")
w("h_notdict.torrent", b"i42e")
w("h_empty.torrent", b"")
w("h_big.torrent", b"d4:info" + b"0" * (11 << 20))
PY
# Trailing bytes and "..": accepted and sanitised (t_metainfo.sh).
for h in deep strlen int piece0 pieces notdict empty big; do
	out=$(ctl add "$T/h_$h.torrent" 2>&1); rc=$?
	lines=$(echo "$out" | wc -l)
	if [ $rc = 1 ] && [ "$lines" = 1 ] && echo "$out" | grep -q '^btctl: '; then
		ok "hostile $h: refused in one line ($out)"
	else
		notok "hostile $h: refused in one line (rc $rc: $out)"
	fi
done
for m in "magnet:?xt=urn:btih:0123" "magnet:?dn=x" "magnet:?xt=urn:btih:zz23456789abcdef0123456789abcdef01234567" "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=notanaddress"; do
	out=$(ctl add "$m" 2>&1); rc=$?
	check "hostile magnet refused ($out)" [ $rc = 1 ]
done
check "hostile input: metad never crashed" [ "$(role_pid metad)" = "$metad_pid" ]
check "hostile input: the list is unchanged" [ "$(timeless "$(ctl list --json)")" = "$(timeless "$before")" ]
check "hostile input: btd is up" alive "$BTD_PID"

# Torrents survive a restart of btd.
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
# Save paths outside the download dir must be allowed (btd.conf(5)).
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
btd_start a -c "$T/allow.conf"
# The state may be "checking" again for a moment (stored checks what it
# is sent after a restart); what was recorded must be the same.
stable() { pyget "$1" "[{k: v for k, v in t.items() if k not in ('state', 'rate_down', 'rate_up', 'peers', 'seeds', 'eta', 'seconds_downloading', 'seconds_seeding', 'activity')} for t in j['torrents']]"; }
check "after a restart the list is the same" [ "$(stable "$(ctl list --json)")" = "$(stable "$before")" ]

# remove, and remove --delete-data through stored.
ctl remove 01234567 >/dev/null
check "remove forgets a torrent" [ "$(pyget "$(ctl list --json)" "len(j['torrents'])")" = $((n - 1)) ]
S=$T/save
mkdir -p "$S"
cp -r "$D/multi" "$S/multi"
cp "$D/single.bin" "$S/single.bin"
echo keep >"$S/unrelated.txt"
echo outside >"$T/outside.txt"
ln -s "$T/outside.txt" "$S/multi/c/link-to-outside"
# As root stored runs under its own uid; the files it deletes are the
# ones it wrote, so they are its own.
suid=$(jget "[r['confinement']['uid'] for r in j['roles'] if r['name']=='stored'][0]")
[ "$(id -u)" = 0 ] && chown -R "$suid:$suid" "$S"
ctl list --json | $PY -c "import json,sys; [print(t['id']) for t in json.load(sys.stdin)['torrents']]" | while read -r id; do
	ctl remove "$id" >/dev/null
done
check "every torrent removed" [ "$(pyget "$(ctl list --json)" "len(j['torrents'])")" = 0 ]
out=$(ctl add "$T/mk_multi.torrent" -d "$S"); mid=$(echo "$out" | awk '{print $2}')
out=$(ctl add -d "$S" "$T/mk_single.torrent"); sid=$(echo "$out" | awk '{print $2}')
check "add -d: save path recorded" [ "$(pyget "$(ctl show "$mid" --json)" "j['save_path']")" = "$S" ]
check "add -d: a new download root restarts stored" wait_for 10 grep -q "new download root $S" "$LOG"
stored_ok() { [ "$(role_field stored state)" = running ]; }
check "stored runs with the new root" wait_for 10 stored_ok
check "remove --delete-data (multi-file)" ctl remove "$mid" --delete-data
check "its files are gone" [ ! -e "$S/multi/top.bin" ] && [ ! -e "$S/multi/nested/a/b/deep.bin" ] && [ ! -e "$S/multi/c/tiny.txt" ]
check "its emptied directories are gone" [ ! -e "$S/multi/nested" ]
check "the symlink planted inside was not followed" [ "$(cat "$T/outside.txt")" = outside ]
check "remove --delete-data (single file)" ctl remove "$sid" --delete-data
check "the single file is gone" [ ! -e "$S/single.bin" ]
check "an unrelated file in the save dir stays" [ -f "$S/unrelated.txt" ]

# A symlinked directory inside a torrent's tree: refused, not followed.
mkdir -p "$T/elsewhere/a/b"
echo precious >"$T/elsewhere/a/b/deep.bin"
cp -r "$D/multi" "$S/multi"
rm -rf "$S/multi/nested"
ln -s "$T/elsewhere" "$S/multi/nested"
[ "$(id -u)" = 0 ] && chown -R "$suid:$suid" "$S"
stored_ok2() { [ "$(role_field stored state)" = running ]; }
wait_for 10 stored_ok2
out=$(ctl add "$T/mk_multi.torrent" -d "$S"); mid=$(echo "$out" | awk '{print $2}')
# A new download root restarts stored: wait until it is back.
sleep 0.5
wait_for 10 stored_ok2
# Checked: the files whose data verified are the torrent's; the one
# behind the symlink was never read, so it is not.
checked() { [ "$(pyget "$(ctl show "$mid" --json)" "j['state'] in ('downloading', 'seeding')")" = True ]; }
check "a torrent over a symlinked dir is checked" wait_for 20 checked
out=$(ctl remove "$mid" --delete-data 2>&1); rc=$?
check "delete through a symlinked dir: removed ($out)" [ $rc = 0 ]
check "delete through a symlinked dir: the file behind it is named as left" sh -c "echo '$out' | grep -q 'left [0-9]* that btd did not create and whose data never verified:.* nested/a/b/deep.bin'"
check "delete through a symlinked dir: the target survives" [ "$(cat "$T/elsewhere/a/b/deep.bin")" = precious ]
check "the other files of that torrent were deleted" [ ! -e "$S/multi/top.bin" ]

# metad killed while parsing: the add fails cleanly, metad restarts.
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
cp "$B/tests/probe_role" "$T/probe_stall"
printf 'metad_exec %s\n' "$T/probe_stall" >"$T/stall.conf"
btd_start stall -c "$T/stall.conf" -v
( ctl add "$T/mk_single.torrent" >"$T/stall.out" 2>&1; echo $? >"$T/stall.rc" ) &
PIDS="$PIDS $!"
check "the stalled metad got the request" wait_for 10 grep -q "probe: ignored parse_torrent" "$LOG"
mp=$(role_pid metad)
kill -9 "$mp"
check "metad killed while parsing: add returns" wait_for 10 test -s "$T/stall.rc"
check "metad killed while parsing: add exit 1" [ "$(cat "$T/stall.rc" 2>/dev/null)" = 1 ]
check "metad killed while parsing: says so" grep -q "metad exited while parsing" "$T/stall.out"
new_metad() { p=$(role_pid metad); [ "$p" != "$mp" ] && [ "$(role_field metad state)" = running ]; }
check "metad killed while parsing: restarted" wait_for 10 new_metad
check "metad killed while parsing: nothing added" [ "$(pyget "$(ctl list --json)" "len(j['torrents'])")" = 0 ]

# download_dir changes: torrents saved in the old one keep a root, so
# stored can still delete their data.
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
mkdir -p "$T/dd"
timeout -k 2 300 "$BTD" -f -S "$T/dd/state" -c "$T/allow.conf" >>"$T/dd/log" 2>&1 &
PIDS="$PIDS $!"
SOCK=$T/dd/state/btd.sock
LOG=$T/dd/log
wait_for 10 ctl status >/dev/null
BTD_PID=$(jget "j['pid']")
PIDS="$PIDS $BTD_PID"
old=$T/dd/state/downloads
sid=$(ctl add "$T/mk_single.torrent" | awk '{print $2}')
stored_up() { [ "$(role_field stored state)" = running ]; }
wait_for 10 stored_up
cp "$D/single.bin" "$old/single.bin"
suid=$(jget "[r['confinement']['uid'] for r in j['roles'] if r['name']=='stored'][0]")
[ "$(id -u)" = 0 ] && chown "$suid:$suid" "$old/single.bin"
check "set download_dir elsewhere" ctl set download_dir "$T/dd/new"
check "stored restarted for the new download_dir" wait_for 10 grep -q "download root $old kept" "$LOG"
wait_for 10 stored_up
check "remove --delete-data of a torrent in the old download_dir" ctl remove "$sid" --delete-data
check "its file is gone" [ ! -e "$old/single.bin" ]
