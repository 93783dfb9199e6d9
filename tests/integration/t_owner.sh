#!/bin/sh
# Who owns the data, as root: stored runs as download_user (default the
# system user btd that make install creates), a download dir btd creates
# belongs to it, each role's uid has a name, a download_user that does
# not exist is a start-up error; remove --delete-data deletes files of
# other owners in a directory stored may write, and refuses, before
# forgetting the torrent, what it could not delete.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "skipped: not root"
	exit 0
fi
check "the system user btd exists (tests/run.sh, make install)" getent passwd btd
bu=$(id -u btd) bg=$(id -g btd)

# Torrents are saved below $T, outside the download dir (btd.conf(5)).
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
btd_start o -c "$T/allow.conf"
check "four roles running" wait_for 10 all_running
check "stored runs as btd ($bu)" [ "$(role_field stored confinement | $PY -c "import ast,sys; print(ast.literal_eval(sys.stdin.read())['uid'])")" = "$bu" ]
spid=$(role_pid stored)
check "stored's real uid and gid are btd's" [ "$(awk '/^Uid:/ {print $2} /^Gid:/ {print $2}' /proc/$spid/status | tr '\n' ' ')" = "$bu $bg " ]
check "the download dir btd created belongs to btd:btd" [ "$(stat -c %U:%G "$T/o/dl")" = btd:btd ]
check "btctl status names stored's uid" sh -c "'$BTCTL' -s '$SOCK' status | grep '^stored ' | grep -q 'uid:$bu(btd)'"
check "btctl status names peerd's uid" sh -c "'$BTCTL' -s '$SOCK' status | grep '^peerd ' | grep -q 'uid:[0-9]*(btd-peerd)'"
for r in trackerd peerd metad; do
	u=$(role_field $r confinement | $PY -c "import ast,sys; print(ast.literal_eval(sys.stdin.read())['uid'])")
	check "$r's uid $u has the name btd-$r" [ "$(getent passwd "$u" | cut -d: -f1)" = "btd-$r" ]
done

# A torrent whose files the administrator placed, owned by root.
mkdir -p "$T/src/multi/a"
payload "$T/src/multi/a/one.bin" 70000
payload "$T/src/multi/two.bin" 30000 0f0e0d0c0b0a09080706050403020100
"$BTCTL" create "$T/src/multi" -t http://127.0.0.1:9/announce -o "$T/m.torrent" >/dev/null
S=$T/data
mkdir -p "$S"
cp -r "$T/src/multi" "$S/"
id=$(ctl add "$T/m.torrent" -d "$S" | awk '{print $2}')
check "added below a root-owned download dir" [ -n "$id" ]
stored_up() { [ "$(role_field stored state)" = running ]; }
check "stored restarted for the new download dir" wait_for 10 stored_up
out=$(ctl remove "$id" --delete-data 2>&1); rc=$?
check "remove --delete-data of files stored cannot delete: exit 1" [ $rc = 1 ]
check "it says why and that nothing was removed (got: $out)" sh -c "echo \"\$1\" | grep -q 'stored (btd) may not write its directory, which belongs to root with mode 0755; nothing was removed'" sh "$out"
check "the torrent is still there" [ "$(pyget "$(ctl list --json)" "len(j['torrents'])")" = 1 ]
check "its files are still there" cmp -s "$T/src/multi/a/one.bin" "$S/multi/a/one.bin"

# Give stored the directories; the files stay root's, 0644.
chown btd:btd "$S" "$S/multi" "$S/multi/a"
check "the files still belong to root" [ "$(stat -c %U "$S/multi/a/one.bin")" = root ]
out=$(ctl remove "$id" --delete-data 2>&1); rc=$?
check "remove --delete-data of root's files in btd's directories: exit 0 ($out)" [ $rc = 0 ]
check "it echoes the id and name, and what it deleted (got: $out)" [ "$out" = "removed $id  multi; deleted 2 files" ]
check "the files are gone" [ ! -e "$S/multi/a/one.bin" ] && [ ! -e "$S/multi/two.bin" ]
check "the torrent's directory is gone" [ ! -e "$S/multi" ]
check "the torrent is gone" [ "$(pyget "$(ctl list --json)" "len(j['torrents'])")" = 0 ]
ctl shutdown >/dev/null
check "btd stops" wait_for 10 dead "$BTD_PID"

# download_user/download_group name the account.
printf 'download_user nobody   # the owner of the files\ndownload_group nogroup\n' >"$T/nobody.conf"
btd_start n -c "$T/nobody.conf"
check "download_user nobody: four roles running" wait_for 10 all_running
spid=$(role_pid stored)
check "download_user nobody: stored runs as nobody:nogroup" [ "$(awk '/^Uid:/ {print $2} /^Gid:/ {print $2}' /proc/$spid/status | tr '\n' ' ')" = "$(id -u nobody) $(getent group nogroup | cut -d: -f3) " ]
check "download_user nobody: its download dir belongs to nobody:nogroup" [ "$(stat -c %U:%G "$T/n/dl")" = nobody:nogroup ]
ctl shutdown >/dev/null
check "btd stops" wait_for 10 dead "$BTD_PID"

printf 'download_user nosuchuser\n' >"$T/nosuch.conf"
out=$(timeout 10 "$BTD" -f -S "$T/ns" -c "$T/nosuch.conf" 2>&1); rc=$?
check "an unknown download_user: exit 1" [ $rc = 1 ]
check "an unknown download_user: says so (got: $out)" sh -c "echo \"\$1\" | grep -q '^btd: download_user nosuchuser: no such user'" sh "$out"
printf 'download_user root\n' >"$T/root.conf"
out=$(timeout 10 "$BTD" -f -S "$T/nr" -c "$T/root.conf" 2>&1); rc=$?
check "download_user root is refused: exit 1 ($out)" [ $rc = 1 ]
