#!/bin/sh
# The uids of the roles, as root: each is role_uid_base plus the role's
# number, named btd-trackerd, btd-peerd, btd-metad by make install; an id
# that belongs to another account or group is refused (the role fails
# closed, and status says why), and a download directory that btd
# creates for a torrent belongs to download_user, as stored runs as it.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "skipped: not root"
	exit 0
fi
nb=$(id -un 65534 2>/dev/null)
if [ -z "$nb" ]; then
	echo "skipped: no account with uid 65534"
	exit 0
fi

# role_uid_base 65533: trackerd (base + 1) would be uid 65534, nobody.
printf 'role_uid_base 65533\n' >"$T/clash.conf"
btd_start clash -c "$T/clash.conf"
tr_failed() { [ "$(role_field trackerd state)" = failed ]; }
check "uid of another account: trackerd is failed" wait_for 10 tr_failed
check "uid of another account: trackerd has no pid" [ "$(role_pid trackerd)" = 0 ]
check "uid of another account: status names the account" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q 'uid 65534 (role_uid_base + 1) is the account $nb, not btd-trackerd'"
check "uid of another account: the log says it" grep -q "is the account $nb, not btd-trackerd" "$LOG"
stored_running() { [ "$(role_field stored state)" = running ]; }
check "uid of another account: stored (download_user) still runs" wait_for 10 stored_running
ctl restart trackerd >/dev/null
sleep 0.5
check "uid of another account: still failed after btctl restart" tr_failed
check "uid of another account: btd alive" alive "$BTD_PID"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"

# The group alone: a group of the administrator's at gid 64001, and no
# account at uid 64001; base 64000 puts trackerd there.
if getent passwd 64001 >/dev/null; then
	echo "skipped the group check: uid 64001 is in use"
else
	getent group btdtestgrp >/dev/null || groupadd -g 64001 btdtestgrp
	printf 'role_uid_base 64000\n' >"$T/gclash.conf"
	btd_start gclash -c "$T/gclash.conf"
	check "gid of another group: trackerd is failed" wait_for 10 tr_failed
	check "gid of another group: status names the group" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q 'gid 64001 (role_uid_base + 1) is the group btdtestgrp, not btd-trackerd'"
	ctl shutdown >/dev/null
	wait_for 10 dead "$BTD_PID"
	groupdel btdtestgrp
fi

# The default base: every role's id has its own name, nothing refused.
printf 'download_dirs_allowed %s\n' "$T" >"$T/ok.conf"
btd_start ok -c "$T/ok.conf"
check "default role_uid_base: four roles running" wait_for 10 all_running
check "default role_uid_base: no refusal logged" sh -c "! grep -q 'is the account' '$LOG'"

# A save path that does not exist yet: btd creates it for stored's user.
mkdir -p "$T/src"
payload "$T/src/one.bin" 40000
"$BTCTL" create "$T/src/one.bin" -t http://127.0.0.1:9/announce -o "$T/one.torrent" >/dev/null
ctl add "$T/one.torrent" -d "$T/newroot/sub" >/dev/null
check "a new download dir was created" wait_for 10 test -d "$T/newroot/sub"
check "it belongs to download_user (btd:btd)" [ "$(stat -c %U:%G "$T/newroot/sub")" = btd:btd ]
check "stored runs again after the new root" wait_for 15 stored_running
le=$(role_field stored last_exit)
check "the restart is named for the new root (got: $le)" sh -c "echo '$le' | grep -q '^ordered restart (a new download root): '"
ctl shutdown >/dev/null
wait_for 10 dead "$BTD_PID"
check "btd stopped" dead "$BTD_PID"
