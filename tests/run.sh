#!/bin/sh
# Run the test suites and print one closing line "N passed, N failed".
#   sh tests/run.sh              unit, then integration
#   sh tests/run.sh unit         Check binaries only (ASan/UBSan build)
#   sh tests/run.sh integration  real processes only
#   sh tests/run.sh fuzz         each libFuzzer target briefly (FUZZ_SECONDS)
# Integration scripts print "ok - NAME" / "not ok - NAME" per check; each
# runs under a time limit, as root inside a network namespace of its own
# with only loopback up.
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
B=${B:-build}
passed=0
failed=0
failures=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

count_check() {
	# "100%: Checks: 8, Failures: 0, Errors: 0"
	line=$(grep -E '^[0-9]+%: Checks: ' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo 0 1
		return
	fi
	n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	echo $((n - f - e)) $((f + e))
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$B"/tests/check_*; do
		[ -x "$t" ] || continue
		out=$(mktemp)
		CK_DEFAULT_TIMEOUT=30 timeout 300 "$t" >"$out" 2>&1
		rc=$?
		set -- $(count_check "$out")
		p=$1 f=$2
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1	# crashed or a sanitizer report
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failures="$failures $(basename "$t")"
			cat "$out"
		else
			echo "unit: $(basename "$t"): $p passed"
		fi
		rm -f "$out"
	done
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in tests/integration/t_*.sh; do
		[ -f "$t" ] || continue
		out=$(mktemp)
		name=$(basename "$t" .sh)
		if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
			timeout -k 5 600 unshare --net -- sh -c \
			    'ip link set lo up && exec sh "$0"' "$t" >"$out" 2>&1
		else
			timeout -k 5 600 sh "$t" >"$out" 2>&1
		fi
		rc=$?
		p=$(grep -c '^ok - ' "$out")
		f=$(grep -c '^not ok - ' "$out")
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "not ok - $name exited with status $rc" >>"$out"
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			failures="$failures $name"
			cat "$out"
		else
			echo "integration: $name: $p passed"
		fi
		rm -f "$out"
	done
fi

if [ "$what" = all ] || [ "$what" = fuzz ]; then
	out=$(mktemp)
	make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}" >"$out" 2>&1
	p=$(grep -c '^  FUZZ    [a-z]*: Done' "$out")
	f=$(grep -c 'FAILED' "$out")
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1	# nothing ran: the build failed
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures="$failures fuzz"
		cat "$out"
	else
		grep '^  FUZZ    [a-z]*: Done' "$out" | sed 's/^  FUZZ    /fuzz: /'
	fi
	rm -f "$out"
fi

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
