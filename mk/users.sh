#!/bin/sh
# Create the system accounts btd uses as root, unless they exist:
#   btd            download_user's default: stored runs as it and the
#                  downloaded files belong to it (group btd)
#   btd-trackerd   uid/gid role_uid_base+1, so that `ps` and `ls` show
#   btd-peerd          a name for each role's uid
#   btd-metad      (+2, +4 and +5; stored is download_user)
#   btd-rpcd
# As OpenSMTPD's and Transmission's Debian packages do, with useradd
# --system and no login shell.  Run by make install (without DESTDIR)
# and, as root, by the tests.
#   sh mk/users.sh [role_uid_base]     default 61000, as in btd.conf(5)
set -eu
base=${1:-61000}
PATH=/usr/sbin:/usr/bin:/sbin:/bin
nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/bin/false

if [ "$(id -u)" != 0 ]; then
	echo "users: not root: not creating the btd system users" >&2
	exit 0
fi
command -v useradd >/dev/null || {
	echo "users: useradd not found (Debian package passwd)" >&2
	exit 1
}

if getent passwd btd >/dev/null; then
	echo "users: btd exists ($(id btd))"
else
	useradd --system --user-group --home-dir /nonexistent --no-create-home \
	    --shell "$nologin" --comment "btd downloads" btd
	echo "users: created $(id btd)"
fi

# role n name
role() {
	uid=$((base + $1))
	if getent passwd "$2" >/dev/null; then
		echo "users: $2 exists ($(id "$2"))"
		[ "$(id -u "$2")" = "$uid" ] ||
		    echo "users: warning: $2 is not uid $uid (role_uid_base $base)" >&2
		return 0
	fi
	if getent passwd "$uid" >/dev/null; then
		echo "users: warning: uid $uid is $(getent passwd "$uid" | cut -d: -f1), not $2; leaving it" >&2
		return 0
	fi
	if ! getent group "$2" >/dev/null; then
		if getent group "$uid" >/dev/null; then
			groupadd --system "$2"
		else
			groupadd --system --gid "$uid" "$2"
		fi
	fi
	# Above SYS_UID_MAX on purpose (role_uid_base): not worth a warning.
	useradd --system --uid "$uid" --gid "$2" --home-dir /nonexistent \
	    --no-create-home --shell "$nologin" --comment "btd role $2" \
	    "$2" 2>&1 | grep -v "greater than SYS_UID_MAX" >&2 || true
	getent passwd "$2" >/dev/null || {
		echo "users: useradd $2 failed" >&2
		exit 1
	}
	echo "users: created $(id "$2")"
}
role 1 btd-trackerd
role 2 btd-peerd
role 4 btd-metad
role 5 btd-rpcd
