#!/bin/sh
# remove --delete-data deletes only what belongs to the torrent: the
# files stored created for it, and those whose data verified.  An
# administrator's own files that happen to have a torrent's paths are
# left, and the reply says which and why.  A torrent of 6,000 files with
# long names (its file list, and the list of files to delete, are each
# larger than a role channel's 1 MiB frame bound) goes to stored in
# bounded parts: stored stays up and every file goes.  Everything runs
# twice: with the btd of the tree, then with the AddressSanitizer one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

ABTD=$B/asan/bin/btd
NBTD=$BTD
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
LEFT_WHY="that btd did not create and whose data never verified"

swarm_init 2000000 16
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
# The roles of the tree, for the AddressSanitizer btd too.
for r in trackerd peerd stored metad; do
	printf '%s_exec %s\n' "$r" "$B/libexec/btd/$r" >>"$T/allow.conf"
done

# The administrator's torrent: photos/{a.jpg,sub/b.jpg,c.jpg,empty.dat},
# with a tracker nobody answers on.
mkdir -p "$T/src/photos/sub"
payload "$T/src/photos/a.jpg" 70000
payload "$T/src/photos/sub/b.jpg" 30000 0f0e0d0c0b0a09080706050403020100
payload "$T/src/photos/c.jpg" 5000 1f1e1d1c1b1a19181716151413121110
: >"$T/src/photos/empty.dat"
"$BTCTL" create "$T/src/photos" -t http://127.0.0.1:9/announce \
    -o "$T/photos.torrent" >/dev/null
check "the photos torrent is made" test -s "$T/photos.torrent"

# A torrent of 6,000 files with 200-byte names, a few bytes each.
$PY - "$T/src/many" <<'EOF'
import os, sys
top = sys.argv[1]
for i in range(6000):
    d = os.path.join(top, "d%02d" % (i % 60))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f" * 200 + "%05d.bin" % i), "wb") as f:
        f.write(b"%d\n" % i)
EOF
mktorrent -l 15 -a http://127.0.0.1:9/announce -o "$T/many.torrent" \
    "$T/src/many" >/dev/null
check "the 6,000-file torrent is made" test -s "$T/many.torrent"
# Its paths alone pass the 1 MiB bound of a frame to stored.
check "the 6,000 paths make more than 1 MiB" [ "$(cd "$T/src/many" && find . -type f | wc -c)" -gt 1048576 ]

state_of() { pyget "$(ctl show "$1" --json)" "j['state']"; }
state_is() { [ "$(state_of "$1")" = "$2" ]; }
checked() { case $(state_of "$1") in downloading|seeding) return 0;; esac; return 1; }
ntorrents() { pyget "$(ctl list --json)" "len(j['torrents'])"; }
nfiles() { find "$1" -type f 2>/dev/null | wc -l; }

# admin_tree DIR: the administrator's own photos/a.jpg and sub/b.jpg
# (other bytes than the torrent's), and a file of theirs beside them.
admin_tree() {
	rm -rf "$1"
	mkdir -p "$1/photos/sub"
	payload "$1/photos/a.jpg" 70000 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
	payload "$1/photos/sub/b.jpg" 30000 b0b1b2b3b4b5b6b7b8b9babbbcbdbebf
	echo mine >"$1/photos/mine.txt"
	rm -rf "$1.orig"
	cp -r "$1/photos" "$1.orig"
	# As root stored runs under its own uid: give it the tree, so that
	# nothing but ownership keeps it from deleting these files.
	[ "$(id -u)" = 0 ] && chown -R btd:btd "$1"
	return 0
}
admin_intact() {
	cmp -s "$1/photos/a.jpg" "$1.orig/a.jpg" &&
	    cmp -s "$1/photos/sub/b.jpg" "$1.orig/sub/b.jpg" &&
	    [ "$(cat "$1/photos/mine.txt")" = mine ]
}

# run TAG PORT: every case with the btd in $BTD.
run() {
	tag=$1
	port=$2

	# 1. A paused torrent over the administrator's files: nothing is
	# deleted, and the reply names what was left and why.
	btd_start "$tag-adm" -p "$port" -c "$T/allow.conf"
	A=$T/$tag-adm/data
	admin_tree "$A"
	id=$(ctl add "$T/photos.torrent" -d "$A" --paused | awk '{print $2}')
	check "$tag: paused over the administrator's files" state_is "$id" paused
	out=$(ctl remove "$id" --delete-data 2>&1); rc=$?
	check "$tag: paused: removed (exit $rc)" [ $rc = 0 ]
	check "$tag: paused: the reply says what was left and why (got: $out)" \
	    [ "$out" = "removed $id  photos; deleted 0 files; left 4 $LEFT_WHY: a.jpg, c.jpg, empty.dat, sub/b.jpg" ]
	check "$tag: paused: the administrator's files are intact" admin_intact "$A"
	check "$tag: paused: the torrent is forgotten" [ "$(ntorrents)" = 0 ]

	# 2. The same, checked: a.jpg and sub/b.jpg do not verify, c.jpg
	# is missing; stored created empty.dat, which alone is deleted.
	id=$(ctl add "$T/photos.torrent" -d "$A" | awk '{print $2}')
	check "$tag: checked over the administrator's files" wait_for 20 checked "$id"
	check "$tag: checked: stored created the empty file" test -f "$A/photos/empty.dat"
	check "$tag: checked: no piece verified" [ "$(tfield "$SOCK" "$id" pieces_have)" = 0 ]
	out=$(ctl --json remove "$id" --delete-data 2>&1); rc=$?
	check "$tag: checked: removed (exit $rc)" [ $rc = 0 ]
	check "$tag: checked: json: 1 deleted, 3 left and named ($out)" \
	    [ "$(pyget "$out" "(j['deleted_files'], j['left_files'], j['left'])")" = "(1, 3, ['a.jpg', 'c.jpg', 'sub/b.jpg'])" ]
	check "$tag: checked: the file stored created is gone" [ ! -e "$A/photos/empty.dat" ]
	check "$tag: checked: the administrator's files are intact" admin_intact "$A"
	check "$tag: checked: the torrent is forgotten" [ "$(ntorrents)" = 0 ]
	ctl shutdown >/dev/null
	check "$tag: btd stops" wait_for 10 dead "$BTD_PID"
	check "$tag: no AddressSanitizer report" sh -c "! grep -q AddressSanitizer '$LOG'"

	# 3. Downloaded from a btd seeder: every file verified and goes.
	btd_start "$tag-seed" -p $((port + 1)) -c "$T/allow.conf"
	SS=$SOCK SL=$LOG SP=$BTD_PID
	rm -rf "$T/$tag-seed/data"
	mkdir -p "$T/$tag-seed/data"
	cp -r "$SEED/pay" "$T/$tag-seed/data/"
	[ "$(id -u)" = 0 ] && chown -R btd:btd "$T/$tag-seed/data"
	ctl add "$TOR" -d "$T/$tag-seed/data" >/dev/null
	check "$tag: the seeder seeds" wait_for 20 seeding "$SS" "$ID"
	btd_start "$tag-leech" -p $((port + 2)) -c "$T/allow.conf"
	L=$T/$tag-leech/dl
	ctl add "$TOR" >/dev/null
	check "$tag: downloaded: complete" sh -c "\"$BTCTL\" -s \"$SOCK\" wait $ID --timeout 60 >/dev/null"
	check "$tag: downloaded: same bytes" same_data "$L"
	out=$(ctl remove "$ID" --delete-data 2>&1); rc=$?
	check "$tag: downloaded: removed, every file deleted (exit $rc: $out)" \
	    [ "$rc $out" = "0 removed $ID  pay; deleted 5 files" ]
	check "$tag: downloaded: its directory is gone" [ ! -e "$L/pay" ]
	check "$tag: downloaded: the torrent is forgotten" [ "$(ntorrents)" = 0 ]

	# 4. Partly downloaded, from a peer whose every byte is wrong: no
	# piece verifies, yet the files stored created are the torrent's.
	SOCK=$SS ctl pause "$ID" >/dev/null
	$PY tests/support/bad_peer.py "$TOR" $((port + 3)) \
	    "http://127.0.0.1:$OT/announce" >"$T/$tag-bad.out" 2>&1 &
	BADPID=$!
	PIDS="$PIDS $BADPID"
	check "$tag: the corrupt peer listens" wait_for 10 grep -q listening "$T/$tag-bad.out"
	ctl add "$TOR" >/dev/null
	wasted() { [ "$(tfield "$SOCK" "$ID" wasted)" -gt 0 ]; }
	check "$tag: partial: bytes came and failed the hash" wait_for 60 wasted
	ctl pause "$ID" >/dev/null
	# A pause returns before stored has written its last blocks: a file
	# may still be made after it. Count once the tree has stayed the
	# same for a second (at most 10 s), and let its FilesCreated reach
	# btd.
	n=$(nfiles "$L/pay"); i=0
	while [ $i -lt 10 ]; do
		sleep 1
		m=$(nfiles "$L/pay")
		[ "$m" = "$n" ] && break
		n=$m; i=$((i + 1))
	done
	check "$tag: partial: stored created files ($n)" [ "$n" -ge 2 ]
	check "$tag: partial: no piece verified" [ "$(tfield "$SOCK" "$ID" pieces_have)" = 0 ]
	out=$(ctl --json remove "$ID" --delete-data 2>&1); rc=$?
	check "$tag: partial: removed (exit $rc)" [ $rc = 0 ]
	check "$tag: partial: the $n files stored created are deleted ($out)" \
	    [ "$(pyget "$out" "(j['deleted_files'], j['left_files'])")" = "($n, $((5 - n)))" ]
	check "$tag: partial: nothing is left on disk" [ "$(nfiles "$L")" = 0 ]
	check "$tag: partial: its directory is gone" [ ! -e "$L/pay" ]
	stop_pids "$BADPID"
	ctl shutdown >/dev/null
	check "$tag: the leecher stops" wait_for 10 dead "$BTD_PID"
	check "$tag: leecher: no AddressSanitizer report" sh -c "! grep -q AddressSanitizer '$LOG'"
	SOCK=$SS ctl shutdown >/dev/null
	check "$tag: the seeder stops" wait_for 10 dead "$SP"
	check "$tag: seeder: no AddressSanitizer report" sh -c "! grep -q AddressSanitizer '$SL'"

	# 5. 6,000 files with long names, in place and verified: the file
	# list reaches stored in parts, and so does the deletion.
	btd_start "$tag-many" -p $((port + 4)) -c "$T/allow.conf"
	M=$T/$tag-many/data
	rm -rf "$M"
	mkdir -p "$M"
	cp -r "$T/src/many" "$M/"
	mkdir -p "$M/small"
	cp -r "$SEED/pay" "$M/small/"
	[ "$(id -u)" = 0 ] && chown -R btd:btd "$M"
	id=$(ctl add "$T/many.torrent" -d "$M" | awk '{print $2}')
	check "$tag: 6,000 files: seeding" wait_for 60 seeding "$SOCK" "$id"
	check "$tag: 6,000 files: no error" [ -z "$(tfield "$SOCK" "$id" error)" ]
	ctl add "$TOR" -d "$M/small" >/dev/null
	check "$tag: a second torrent beside it seeds" wait_for 20 seeding "$SOCK" "$ID"
	wait_for 10 all_running
	spid=$(role_pid stored)
	sres=$(role_field stored restarts)
	# Both at once: each is answered with its own counts.
	ctl remove "$ID" --delete-data >"$T/$tag-small.out" 2>&1 &
	SMALL=$!
	out=$(ctl remove "$id" --delete-data 2>&1); rc=$?
	wait "$SMALL"; src=$?
	check "$tag: 6,000 files: removed (exit $rc: $out)" \
	    [ "$rc $out" = "0 removed $id  many; deleted 6000 files" ]
	# Its empty file was found in place: no data of it can verify, so it
	# is not the torrent's.
	check "$tag: the other, removed at the same time (exit $src: $(cat "$T/$tag-small.out"))" \
	    [ "$src $(cat "$T/$tag-small.out")" = "0 removed $ID  pay; deleted 4 files; left 1 $LEFT_WHY: empty" ]
	check "$tag: the other's files are gone but the empty one found in place" \
	    [ "$(cd "$M/small" && find . | sort | tr '\n' ' ')" = ". ./pay ./pay/empty " ]
	check "$tag: 6,000 files: every file is gone" [ ! -e "$M/many" ]
	check "$tag: 6,000 files: the torrent is forgotten" [ "$(ntorrents)" = 0 ]
	check "$tag: 6,000 files: stored stayed up (pid $spid)" \
	    [ "$(role_pid stored) $(role_field stored restarts)" = "$spid $sres" ]
	check "$tag: 6,000 files: stored answered once, for all of them" \
	    [ "$(grep -c 'delete [0-9]*: 6000 files removed$' "$LOG")" = 1 ]
	ctl shutdown >/dev/null
	check "$tag: btd stops" wait_for 10 dead "$BTD_PID"
	check "$tag: 6,000 files: no AddressSanitizer report" sh -c "! grep -q AddressSanitizer '$LOG'"
}

BTD=$NBTD
run plain 7601
if [ -x "$ABTD" ]; then
	BTD=$ABTD
	run asan 7611
else
	notok "the AddressSanitizer btd is built ($ABTD: make $ABTD)"
fi
