#!/bin/sh
# CI: README's quick start on a fresh minimal Debian 12.
#
# Builds a debootstrap --variant=minbase bookworm chroot from the Debian
# mirror apt already uses here, copies the tracked files of this tree in
# (git ls-files: no build output), and there, with nothing installed but
# minbase:
#   1. as a normal user, `sh mk/bootstrap.sh` prints the one apt-get
#      command (make included) and exits 1, installing nothing;
#   2. as root, the README's two commands as written:
#      `sh mk/bootstrap.sh` (installs make and the build packages,
#      builds) and `make check` (installs the test packages, builds,
#      runs unit, integration and fuzz tests);
#   3. with protoc-c removed, plain `make` as a normal user names the
#      missing package.
# It passes only if all of that does.  Nothing is cached between runs:
# the chroot, its packages and apt lists are made afresh and deleted.
# The mounts live in a private mount namespace, so none outlives it.
#
#   sh .ci/quickstart-chroot.sh          as root; KEEP=1 keeps the chroot
set -u
cd "$(dirname "$0")/.."
TOP=$(pwd)
SUITE=bookworm

say() { echo "quickstart: $*"; }
fail() { echo "quickstart: FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, mounts)"

# The mirror apt uses for bookworm: deb822 .sources first, then the
# one-line format.
mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$SUITE" '
		    /^[ \t]*$/ { if (deb && ok && uri != "") { print uri; exit }
			deb = ok = 0; uri = ""; next }
		    /^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
		    /^URIs:/ { uri = $2 }
		    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
		    END { if (deb && ok && uri != "") print uri }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v suite="$SUITE" '$1 == "deb" {
		    i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++
		    if ($i ~ /^\[/ || $i ~ /\]$/) i++
		    if ($(i + 1) == suite) print $i }' "$f"
	done
}
MIRROR=$(mirror | head -n 1)
[ -n "$MIRROR" ] || fail "no $SUITE mirror in /etc/apt/sources.list*"
[ -z "${QS_INNER:-}" ] && say "mirror $MIRROR"

if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends debootstrap >/dev/null ||
	    fail "apt-get install debootstrap"
fi

# Everything below runs in a private mount namespace: the chroot's
# /proc and /dev go away with it whatever happens.
if [ -z "${QS_INNER:-}" ]; then
	R=$(mktemp -d /var/tmp/btd-quickstart.XXXXXX) || fail mktemp
	chmod 755 "$R"
	start=$(date +%s)
	QS_INNER=1 R=$R unshare --mount --propagation private -- \
	    sh "$0"
	rc=$?
	if [ -n "${KEEP:-}" ]; then
		say "kept $R"
	else
		rm -rf "$R"
	fi
	say "took $(( $(date +%s) - start )) s"
	[ $rc = 0 ] && say "passed" || say "failed"
	exit $rc
fi

say "debootstrap --variant=minbase $SUITE $R"
debootstrap --variant=minbase "$SUITE" "$R" "$MIRROR" >"$R.debootstrap.log" 2>&1
rc=$?
[ $rc = 0 ] || { tail -n 30 "$R.debootstrap.log"; rm -f "$R.debootstrap.log"; fail "debootstrap (exit $rc)"; }
rm -f "$R.debootstrap.log"
cp /etc/resolv.conf "$R/etc/resolv.conf"

say "copying the tracked files to /src/btd"
mkdir -p "$R/src/btd"
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$TOP" ls-files -z | tar -C "$TOP" --null -T - -cf - |
	    tar -C "$R/src/btd" -xf - || fail "copying the tree"
else
	tar -C "$TOP" --exclude=./build -cf - . |
	    tar -C "$R/src/btd" -xf - || fail "copying the tree"
fi
chmod -R u+rwX,go+rX "$R/src"

# The chroot's / a mount point of its own, as on a real machine, so that
# the tests' unshare --mount-proc can make it private.
mount --bind "$R" "$R" || fail "mount --bind $R"
mount -t proc proc "$R/proc" || fail "mount /proc"
mount --rbind /dev "$R/dev" || fail "mount /dev"
cleanup() {
	umount -R "$R/dev" 2>/dev/null
	umount "$R/proc" 2>/dev/null
	umount "$R" 2>/dev/null
}
trap cleanup EXIT

# in_root CMD: run sh -c CMD in the chroot, in /src/btd, as root, with
# a clean environment (nothing of this machine's but PATH).
ENV="env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8"
in_root() { $ENV chroot "$R" sh -c "cd /src/btd && $1"; }
in_user() { $ENV HOME=/tmp chroot --userspec=65534:65534 "$R" sh -c "cd /src/btd && $1"; }

for c in make gcc protoc-c; do
	in_root "command -v $c >/dev/null" && fail "minbase already has $c"
done

# 1. A normal user is told the one command and nothing is installed.
out=$(in_user "sh mk/bootstrap.sh" 2>&1); rc=$?
echo "$out" | sed 's/^/  | /'
[ $rc = 1 ] || fail "bootstrap as a user: exit $rc, not 1"
echo "$out" | grep -q "^bootstrap: run as root: apt-get install -y --no-install-recommends make gcc " ||
    fail "bootstrap as a user: no apt-get command naming make"
[ "$(echo "$out" | grep -c 'apt-get install')" = 1 ] ||
    fail "bootstrap as a user: not exactly one apt-get command"
in_root "command -v make >/dev/null" && fail "bootstrap as a user installed make"

# 2. The README's quick start, as written, as root.
cmds=$(sed -n '/^## Quick start/,/^## /p' "$TOP/README.md" |
    sed -n 's/^    \([^ #][^#]*[^ #]\) *#.*/\1/p; s/^    \([^ #][^#]*[^ #]\) *$/\1/p')
[ "$(echo "$cmds" | wc -l)" = 2 ] || fail "README's quick start is not two commands: $cmds"
echo "$cmds" >"$R/tmp/quickstart.cmds"
i=0
while read -r c; do
	i=$((i + 1))
	say "README command $i, as root: $c"
	t0=$(date +%s)
	# Its output in a log; bootstrap's progress and the closing lines
	# of make check shown as they come, with what a failed script
	# says of itself (its "# " lines: logs, lists).
	{ in_root "$c" </dev/null; echo $? >"$R/tmp/rc"; } 2>&1 |
	    tee "$R/tmp/cmd$i.log" |
	    grep --line-buffered -E '^(bootstrap:|unit:|integration:|fuzz:|leftovers:|not ok|# |failed:|[0-9]+ passed)'
	rc=$(cat "$R/tmp/rc")
	say "command $i: exit $rc after $(( $(date +%s) - t0 )) s"
	if [ "$rc" != 0 ]; then
		tail -n 40 "$R/tmp/cmd$i.log"
		fail "README command $i: $c (exit $rc)"
	fi
done <"$R/tmp/quickstart.cmds"
in_root "test -x build/bin/btd && test -x build/bin/btctl" ||
    fail "the quick start did not build btd and btctl"
grep -q '^[0-9]* passed, 0 failed$' "$R/tmp/cmd$i.log" ||
    fail "the quick start's last command has no 'N passed, 0 failed'"

# 3. Plain make without protoc-c names the package.
in_root "apt-get remove -y -q protobuf-c-compiler >/dev/null 2>&1" ||
    fail "apt-get remove protobuf-c-compiler"
in_root "cp -r /src/btd /tmp/fresh && rm -rf /tmp/fresh/build && chmod -R a+rwX /tmp/fresh"
out=$($ENV HOME=/tmp chroot --userspec=65534:65534 "$R" sh -c "cd /tmp/fresh && make" 2>&1); rc=$?
echo "$out" | sed 's/^/  | /'
[ $rc != 0 ] || fail "make without protoc-c succeeded"
echo "$out" | grep -q "missing Debian packages: protobuf-c-compiler" ||
    fail "make without protoc-c does not name protobuf-c-compiler"
echo "$out" | grep -q "Permission denied" && fail "make says Permission denied"
say "all quick-start checks passed"
exit 0
