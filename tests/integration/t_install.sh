#!/bin/sh
# make install: the binaries, the roles in libexec, the man pages, the
# docs, the systemd unit and the example btd.conf land under
# DESTDIR/PREFIX, and the installed btd finds its installed roles;
# make uninstall takes them all away again.
. "$(dirname "$0")/lib.sh"

D=$T/root
make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1
check "make install succeeds" [ $? = 0 ]
check "btd in sbin" [ -x "$D/usr/sbin/btd" ]
check "btctl in bin" [ -x "$D/usr/bin/btctl" ]
for r in trackerd peerd stored metad; do
	check "$r in libexec/btd" [ -x "$D/usr/libexec/btd/$r" ]
done
for m in man8/btd.8 man8/btctl.8 man5/btd.conf.5 man8/trackerd.8 \
    man8/peerd.8 man8/stored.8 man8/metad.8; do
	check "man page $m" [ -f "$D/usr/share/man/$m" ]
done
for f in README.md ARCHITECTURE.md PROTOCOL.md; do
	check "doc $f" [ -f "$D/usr/share/doc/btd/$f" ]
done
U=$D/usr/lib/systemd/system/btd.service
check "the systemd unit" [ -f "$U" ]
check "the unit runs the installed btd in the foreground" grep -qx "ExecStart=/usr/sbin/btd -f" "$U"
check "the unit is Type=simple" grep -qx "Type=simple" "$U"
check "the unit keeps the capabilities btd's sandbox needs" sh -c "grep '^CapabilityBoundingSet=' '$U' | grep -q 'CAP_SETUID CAP_SETGID CAP_SYS_ADMIN CAP_KILL'"
check "the unit allows the network namespace stored and metad get" grep -qx "RestrictNamespaces=net" "$U"
check "the unit sets no PrivateUsers or SystemCallFilter" sh -c "! grep -q '^PrivateUsers=\|^SystemCallFilter=' '$U'"
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify "$U" 2>&1 | grep -v "Cannot find\|not executable\|No such file\|Command 'man ")
	check "systemd-analyze verify (got: $out)" [ -z "$out" ]
fi
check "DESTDIR: no users created, and it says so" grep -q "no system users created" "$T/install.log"
E=$D/etc/btd/btd.conf.example
check "the example btd.conf" [ -f "$E" ]
# Every example setting, uncommented (but the paths of this machine),
# is a valid btd.conf.
sed -n 's/^#\(peer_port\|log_level\|restart_backoff_max\|download_user\|role_uid_base\) /\1 /p' "$E" >"$T/ex.conf"
check "the example has its settings" [ "$(wc -l <"$T/ex.conf")" = 5 ]
out=$(timeout 10 "$D/usr/sbin/btd" -f -S "$T/ex" -c "$T/ex.conf" -p 0 2>&1)
check "the example's settings pass btd's checks (got: $out)" sh -c "echo \"\$1\" | grep -q '^btd: -p: peer_port'" sh "$out"
BTCTL=$D/usr/bin/btctl
BTD=$D/usr/sbin/btd
btd_start inst
check "the installed btd runs its four roles" wait_for 10 all_running
check "from the installed libexec" [ "$(role_field stored exec)" = "$D/usr/libexec/btd/stored" ]
ctl shutdown >/dev/null
check "installed btd stops" wait_for 10 dead "$BTD_PID"

make -s -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr >"$T/uninstall.log" 2>&1
check "make uninstall succeeds" [ $? = 0 ]
left=$(find "$D" -type f -o -type l)
check "make uninstall removes every file it installed (left: $left)" [ -z "$left" ]
check "make uninstall says what it keeps" grep -q "kept /etc/btd/btd.conf" "$T/uninstall.log"
