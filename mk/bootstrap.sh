#!/bin/sh
# Install the Debian packages btd needs, or say exactly how.
#   sh mk/bootstrap.sh           the quick start: what `make` needs
#                                (make and a compiler included), then
#                                build with make
#   sh mk/bootstrap.sh build     what `make` needs (make bootstrap)
#   sh mk/bootstrap.sh test      what `make check` needs too
#   sh mk/bootstrap.sh demo      what `make demo` needs: the build's and
#                                a tracker
#   sh mk/bootstrap.sh missing [build|test]
#                                only say what is missing (plain make)
# As root the missing packages are installed with apt-get, showing each
# one as it is fetched and set up; otherwise the one apt-get command to
# run is printed and the script fails, so make stops.  It needs nothing
# but a POSIX sh and dpkg, so it runs on a minimal Debian before make
# exists.
set -eu
cd "$(dirname "$0")/.."

build="make gcc libc6-dev pkg-config libevent-dev libprotobuf-c-dev
protobuf-c-compiler libsqlite3-dev libseccomp-dev libssl-dev
libcurl4-openssl-dev libjson-c-dev"
test="check libsubunit-dev iproute2 util-linux procps python3 sqlite3 mandoc
clang libclang-rt-14-dev openssl mktorrent transmission-cli python3-libtorrent curl
opentracker aria2 transmission-daemon chromium python3-websocket"

mode=${1:-quickstart}
case "$mode" in
quickstart|build) want=$build ;;
test) want="$build $test" ;;
demo) want="$build opentracker iproute2" ;;
missing)
	want=$build
	[ "${2:-build}" = test ] && want="$build $test"
	;;
*)
	echo "usage: sh mk/bootstrap.sh [build | test | demo | missing [build|test]]" >&2
	exit 2
	;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	# Not Debian: nothing to check against; the build says what fails.
	[ "$mode" = missing ] && exit 0
	echo "bootstrap: dpkg-query not found: install these packages" \
	    "by hand:" $want >&2
	[ "$mode" = quickstart ] || exit 1
	exec make
fi

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$mode" = missing ]; then
	[ -z "$missing" ] && exit 0
	echo "missing Debian packages:$missing; as root run: $cmd" \
	    "(or: sh mk/bootstrap.sh)" >&2
	exit 1
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bootstrap: missing Debian packages:$missing" >&2
		if command -v sudo >/dev/null 2>&1; then
			echo "bootstrap: run: sudo $cmd" >&2
		else
			echo "bootstrap: run as root: $cmd" >&2
		fi
		echo "bootstrap: then run this again" >&2
		exit 1
	fi
	set -- $missing
	echo "bootstrap: installing $# Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp)
	rcf=$(mktemp)
	# apt-get's own output goes to a log; its lines that say what it
	# fetches and sets up are shown as they come, and the whole log if
	# it fails.
	for step in update install; do
		if [ $step = update ]; then
			echo "bootstrap: apt-get update"
		else
			echo "bootstrap: $cmd"
		fi
		{
			if [ $step = update ]; then
				apt-get update -q
			else
				apt-get install -y -q --no-install-recommends "$@"
			fi
			echo $? >"$rcf"
		} 2>&1 | tee "$log" | sed -u -n \
		    -e 's/^Get:[0-9]* [^ ]* [^ ]* [^ ]* \([^ ]*\) [^ ]* [^ ]* \[.*/bootstrap:   fetch \1/p' \
		    -e 's/^\(Get\|Hit\|Err\):[0-9]* \(.*\)/bootstrap:   \2/p' \
		    -e 's/^\(E\|W\): \(.*\)/bootstrap:   \1: \2/p' \
		    -e 's/^Setting up \([^ ]*\) .*/bootstrap:   set up \1/p'
		if [ "$(cat "$rcf")" != 0 ]; then
			cat "$log" >&2
			rm -f "$log" "$rcf"
			echo "bootstrap: apt-get $step failed" >&2
			exit 1
		fi
	done
	rm -f "$log" "$rcf"
	echo "bootstrap: installed:$missing"
fi
[ "$mode" = quickstart ] || exit 0
echo "bootstrap: building: make"
exec make
