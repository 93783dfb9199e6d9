#!/bin/sh
# make install: the binaries, the roles in libexec and the man pages land
# under DESTDIR/PREFIX, and the installed btd finds its installed roles.
. "$(dirname "$0")/lib.sh"

D=$T/root
make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1
check "make install succeeds" [ $? = 0 ]
check "btd in sbin" [ -x "$D/usr/sbin/btd" ]
check "btctl in bin" [ -x "$D/usr/bin/btctl" ]
for r in trackerd peerd stored metad; do
	check "$r in libexec/btd" [ -x "$D/usr/libexec/btd/$r" ]
done
for m in man8/btd.8 man8/btctl.8 man5/btd.conf.5; do
	check "man page $m" [ -f "$D/usr/share/man/$m" ]
done
BTCTL=$D/usr/bin/btctl
BTD=$D/usr/sbin/btd
btd_start inst
check "the installed btd runs its four roles" wait_for 10 all_running
check "from the installed libexec" [ "$(role_field stored exec)" = "$D/usr/libexec/btd/stored" ]
ctl shutdown >/dev/null
check "installed btd stops" wait_for 10 dead "$BTD_PID"
