#!/bin/sh
# btctl create makes v1 torrents that libtorrent reads as meant: the
# info-hash btctl prints, the files in order with their sizes, the piece
# length, the private flag, one tier per tracker, the comment.  libtorrent
# then hashes the data on disk against the torrent with no resume data
# and must find every piece good, across file boundaries; a copy with one
# byte changed must fail that check.  Bad input gives one line on stderr
# and a non-zero exit; SOURCE_DATE_EPOCH makes the output reproducible.
. "$(dirname "$0")/lib.sh"

LT=$TOP/tests/interop/lt_check.py
# Debian's python3-libtorrent is built for the system interpreter.
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 || PY=python3
if ! timeout 30 $PY -c 'import libtorrent' 2>/dev/null; then
	notok "python3-libtorrent can be imported"
	exit 0
fi

TR1=http://127.0.0.1:6969/announce
TR2=udp://127.0.0.1:6969

# keystream N IV: N bytes of AES-128-CTR keystream, a stream per IV digit.
keystream() {
	openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
	    -iv "0000000000000000000000000000000$2" -nosalt </dev/zero \
	    2>/dev/null | head -c "$1"
}

# create NAME ARGS...: btctl create; stdout in $T/NAME.out, stderr in
# $T/NAME.err; checks the exit status and the summary line; sets IH.
create() {
	c_name=$1
	shift
	timeout 120 "$BTCTL" create "$@" >"$T/$c_name.out" 2>"$T/$c_name.err"
	rc=$?
	check "$c_name: btctl create exits 0 (got $rc: $(cat "$T/$c_name.err"))" \
	    [ $rc = 0 ]
	IH=$(sed -n 's/^created .*, info-hash \([0-9a-f]\{40\}\)$/\1/p' \
	    "$T/$c_name.out")
	check "$c_name: one summary line with the info-hash" \
	    [ -n "$IH" -a "$(wc -l <"$T/$c_name.out")" = 1 ]
}

# lt NAME TORRENT SAVE: libtorrent's view of TORRENT into $T/NAME.json.
# libtorrent itself crashing (a signal, not an answer about the torrent)
# is logged and tried once more.
lt() {
	timeout 60 $PY "$LT" "$2" "$3" 30 >"$T/$1.json" 2>"$T/$1.lterr"
	l_rc=$?
	if [ $l_rc -gt 128 -a $l_rc != 137 ]; then
		echo "# $1: lt_check.py died with status $l_rc; once more"
		timeout 60 $PY "$LT" "$2" "$3" 30 >"$T/$1.json" 2>"$T/$1.lterr"
		l_rc=$?
	fi
	check "$1: libtorrent loads the torrent (status $l_rc: $(cat "$T/$1.lterr"))" \
	    [ $l_rc = 0 ]
}

# jv NAME EXPR: EXPR over j, the JSON of lt NAME.
jv() {
	$PY -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" \
	    "$T/$1.json"
}

# jcheck NAME WHAT EXPR: ok if EXPR over j is True.
jcheck() {
	_v=$(jv "$1" "$3" 2>&1)
	if [ "$_v" = True ]; then ok "$1: $2"
	else notok "$1: $2 (got: $(jv "$1" 'j' 2>&1))"; fi
}

# ondisk DIR: the regular files under DIR (no symlinks), sorted on their
# path components' bytes, as JSON [[path, size], ...].
ondisk() {
	$PY - "$1" <<'EOF'
import json, os, sys
top = sys.argv[1]
out = []
for d, dirs, files in os.walk(top):
    for f in files:
        p = os.path.join(d, f)
        if os.path.isfile(p) and not os.path.islink(p):
            out.append([os.path.relpath(p, top), os.path.getsize(p)])
out.sort(key=lambda e: [c.encode() for c in e[0].split("/")])
print(json.dumps(out))
EOF
}

# --- payloads -----------------------------------------------------------
D=$T/data
mkdir -p "$D/tree/a/b" "$D/tree/c"
keystream $((3 * 1048576 + 123)) 1 >"$D/single.bin"
keystream 1 2 >"$D/tree/tiny"
: >"$D/tree/empty"
keystream 102400 3 >"$D/tree/a/hundred.bin"
keystream 2097152 4 >"$D/tree/a/b/two.bin"
keystream 777 5 >"$D/tree/c/.hidden"
keystream 40000 6 >"$D/tree/a-z"
ln -s tiny "$D/tree/link"
check "payload sizes" [ "$(wc -c <"$D/single.bin")" = 3145851 -a \
    "$(wc -c <"$D/tree/a/b/two.bin")" = 2097152 ]

# --- a single file, default piece length, two tiers, a comment ----------
create single "$D/single.bin" -t $TR1 -t $TR2 --comment "single, made by t_create" \
    -o "$T/single.torrent"
check "single: summary line" grep -Eq "^created $T/single.torrent: single.bin, 1 file, 3.0 MiB, 193 pieces of 16 KiB, info-hash [0-9a-f]{40}\$" "$T/single.out"
check "single: nothing on stderr" [ ! -s "$T/single.err" ]
lt single "$T/single.torrent" "$D"
jcheck single "info-hash is the one btctl printed" "j['info_hash'] == '$IH'"
jcheck single "name" "j['name'] == 'single.bin'"
jcheck single "one file of 3 MiB + 123" "j['files'] == [['single.bin', 3145851]] and j['pads'] == 0"
jcheck single "default piece length 16 KiB (193 pieces)" "j['piece_length'] == 16384 and j['num_pieces'] == 193"
jcheck single "not private" "j['private'] is False"
jcheck single "two trackers, a tier each" "j['trackers'] == [['$TR1', 0], ['$TR2', 1]]"
jcheck single "comment" "j['comment'] == 'single, made by t_create'"
jcheck single "created by btd" "j['creator'].startswith('btd ')"
jcheck single "libtorrent verifies the data" "j['verified'] is True"

# --- a tree: nested dirs, empty and 1-byte files, 32 KiB pieces, private -
create tree "$D/tree" -t $TR1 -t $TR2 --private --piece-size 32K \
    --comment "tree ✓" -o "$T/tree.torrent"
check "tree: summary line" grep -Eq "^created $T/tree.torrent: tree, 6 files, .*, [0-9]+ pieces of 32 KiB, info-hash" "$T/tree.out"
check "tree: warns about the symlink, once" [ "$(grep -c "^btctl: create: skipping symlink $D/tree/link\$" "$T/tree.err")" = 1 ]
lt tree "$T/tree.torrent" "$D"
expect=$(ondisk "$D/tree")
jcheck tree "info-hash is the one btctl printed" "j['info_hash'] == '$IH'"
jcheck tree "files and sizes as on disk, in path order, hidden included" "j['files'] == $expect and len(j['files']) == 6 and ['c/.hidden', 777] in j['files'] and ['empty', 0] in j['files']"
jcheck tree "'a/...' sorts before 'a-z' (component order)" "[f[0] for f in j['files']][:3] == ['a/b/two.bin', 'a/hundred.bin', 'a-z']"
jcheck tree "piece length 32 KiB" "j['piece_length'] == 32768 and j['num_pieces'] == -(-sum(s for _, s in $expect) // 32768)"
jcheck tree "private" "j['private'] is True"
jcheck tree "two trackers, a tier each" "j['trackers'] == [['$TR1', 0], ['$TR2', 1]]"
jcheck tree "comment (UTF-8)" "j['comment'] == 'tree \u2713'"
jcheck tree "libtorrent verifies the data across file boundaries" "j['verified'] is True"

# The same torrent against a copy with one byte changed must fail.
mkdir -p "$T/bad"
cp -R "$D/tree" "$T/bad/tree"
printf 'X' | dd of="$T/bad/tree/a/hundred.bin" bs=1 seek=50000 conv=notrunc \
    2>/dev/null
lt bad "$T/tree.torrent" "$T/bad"
jcheck bad "libtorrent rejects data with one byte changed" "j['verified'] is False"

# --- the default piece length on a tree, one tracker ----------------------
create tree1 "$D/tree" -t $TR1 -o "$T/tree1.torrent"
lt tree1 "$T/tree1.torrent" "$D"
jcheck tree1 "default piece length 16 KiB" "j['piece_length'] == 16384"
jcheck tree1 "one tracker" "j['trackers'] == [['$TR1', 0]]"
jcheck tree1 "no comment, not private" "j['comment'] == '' and j['private'] is False"
jcheck tree1 "libtorrent verifies the data" "j['verified'] is True"
keys=$(timeout 30 $PY -c 'import libtorrent as lt, sys
d = lt.bdecode(open(sys.argv[1], "rb").read())
print(" ".join(k.decode() for k in d), "|", " ".join(k.decode() for k in d[b"info"]))' "$T/tree1.torrent")
check "tree1: keys, in order; no announce-list for one tracker ($keys)" \
    [ "$keys" = "announce created by creation date info | files name piece length pieces" ]

# --- reproducible: SOURCE_DATE_EPOCH --------------------------------------
(cd "$T" && SOURCE_DATE_EPOCH=1700000000 timeout 60 "$BTCTL" create \
    "$D/tree" -t $TR1 -o r1.torrent >/dev/null 2>&1 &&
    SOURCE_DATE_EPOCH=1700000000 timeout 60 "$BTCTL" create "$D/tree" \
    -t $TR1 -o r2.torrent >/dev/null 2>&1)
check "SOURCE_DATE_EPOCH: two runs give the same bytes" cmp -s "$T/r1.torrent" "$T/r2.torrent"
lt repro "$T/r1.torrent" "$D"
jcheck repro "creation date is SOURCE_DATE_EPOCH" "j['creation_date'] == 1700000000"

# --- default output name, no tracker, --force ---------------------------
mkdir -p "$T/cwd"
(cd "$T/cwd" && timeout 60 "$BTCTL" create "$D/single.bin" >"$T/nt.out" \
    2>"$T/nt.err")
check "no tracker: exit 0" [ $? = 0 ]
check "no tracker: default output NAME.torrent in the current directory" \
    [ -s "$T/cwd/single.bin.torrent" ]
check "no tracker: a warning" grep -q "^btctl: create: no tracker given" "$T/nt.err"
lt notracker "$T/cwd/single.bin.torrent" "$D"
jcheck notracker "no trackers" "j['trackers'] == []"
cp "$T/cwd/single.bin.torrent" "$T/keep.torrent"
(cd "$T/cwd" && timeout 60 "$BTCTL" create "$D/single.bin" -f -t $TR1 \
    >/dev/null 2>&1)
check "--force replaces the output" sh -c "! cmp -s '$T/cwd/single.bin.torrent' '$T/keep.torrent'"
check "no temporary file left beside the output" [ "$(ls -A "$T/cwd")" = single.bin.torrent ]

# --- errors: one line on stderr, the status, nothing written --------------
# expect_err NAME STATUS PATTERN ARGS...
expect_err() {
	ee_name=$1 ee_want=$2 ee_pat=$3
	shift 3
	rm -f "$T/err.torrent"
	err=$(cd "$T" && timeout 60 "$BTCTL" create "$@" 2>&1 >/dev/null)
	rc=$?
	check "$ee_name: exit $ee_want (got $rc)" [ "$rc" = "$ee_want" ]
	check "$ee_name: one line on stderr" [ "$(printf '%s\n' "$err" | wc -l)" = 1 ]
	if printf '%s\n' "$err" | grep -q -- "^btctl: create: .*$ee_pat"; then
		ok "$ee_name: says '$ee_pat'"
	else
		notok "$ee_name: says '$ee_pat' (got: $err)"
	fi
	check "$ee_name: no output written" [ ! -e "$T/err.torrent" ]
}

expect_err "nonexistent path" 1 "$T/nope: No such file or directory" \
    "$T/nope" -t $TR1 -o err.torrent
expect_err "piece size 1000" 2 "--piece-size 1000: not a power of two" \
    "$D/single.bin" -t $TR1 --piece-size 1000 -o err.torrent
expect_err "piece size 3M" 2 "--piece-size 3M: not a power of two" \
    "$D/single.bin" -t $TR1 --piece-size 3M -o err.torrent
expect_err "piece size 8K" 2 "--piece-size 8K: not a power of two from 16 KiB to 64 MiB" \
    "$D/single.bin" -t $TR1 --piece-size 8K -o err.torrent
expect_err "ftp tracker" 2 "ftp://127.0.0.1/announce: not an http, https or udp URL" \
    "$D/single.bin" -t ftp://127.0.0.1/announce -o err.torrent
mkdir -p "$T/emptydir"
expect_err "empty directory" 1 "emptydir: no files to share" \
    "$T/emptydir" -t $TR1 -o err.torrent
expect_err "unnamed path" 1 "name the file or directory itself" \
    . -t $TR1 -o err.torrent
err=$(cd "$T" && SOURCE_DATE_EPOCH=soon timeout 60 "$BTCTL" create \
    "$D/single.bin" -t $TR1 -o err.torrent 2>&1 >/dev/null)
rc=$?
check "bad SOURCE_DATE_EPOCH: exit 1, one line ($err)" [ $rc = 1 -a \
    "$err" = "btctl: create: SOURCE_DATE_EPOCH 'soon' is not a number of seconds" ]
check "bad SOURCE_DATE_EPOCH: no output written" [ ! -e "$T/err.torrent" ]
printf 'old' >"$T/exists.torrent"
err=$(cd "$T" && timeout 60 "$BTCTL" create "$D/single.bin" -t $TR1 \
    -o exists.torrent 2>&1 >/dev/null)
rc=$?
check "output exists: exit 1 (got $rc)" [ $rc = 1 ]
check "output exists: one line, says so ($err)" [ "$err" = "btctl: create: exists.torrent: exists (-f replaces it)" ]
check "output exists: left as it was" [ "$(cat "$T/exists.torrent")" = old ]
