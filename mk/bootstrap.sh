#!/bin/sh
# Install the Debian packages btd needs, or say exactly how.
#   sh mk/bootstrap.sh build   what `make` needs
#   sh mk/bootstrap.sh test    what `make check` needs too
# As root the missing packages are installed with apt-get; otherwise the
# command to run is printed and the script fails, so make stops.
set -eu

build="gcc make pkg-config libevent-dev libprotobuf-c-dev protobuf-c-compiler
libsqlite3-dev libseccomp-dev libssl-dev libcurl4-openssl-dev"
test="check libsubunit-dev iproute2 util-linux procps python3 sqlite3 mandoc
clang libclang-rt-14-dev openssl mktorrent transmission-cli python3-libtorrent
opentracker"

want=$build
[ "${1:-build}" = test ] && want="$build $test"

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "bootstrap: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
	exit 0
fi
echo "bootstrap: missing Debian packages:$missing" >&2
echo "bootstrap: run: sudo apt-get install -y$missing" >&2
exit 1
