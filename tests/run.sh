#!/bin/sh
# Run the test suites and print one closing line "N passed, N failed".
#   sh tests/run.sh              unit, then integration
#   sh tests/run.sh unit         Check binaries only (ASan/UBSan build)
#   sh tests/run.sh integration  real processes only
#   sh tests/run.sh fuzz         each libFuzzer target briefly (FUZZ_SECONDS)
#   TESTS="t_user t_docs" sh tests/run.sh integration   only those scripts
#   INTEGRATION_JOBS=1 sh tests/run.sh integration       one script at a time
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
# Every process a test starts inherits this token, so that the check at
# the end finds whatever is left (tests/leftovers.sh).
BTD_TEST_TOKEN=btd-test-$$-$(date +%s)
export BTD_TEST_TOKEN


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

# The integration scripts that take longest, started first.
SLOW="t_pex t_ratelimit t_magnet_hostile t_confine t_chaos t_interop t_cands
t_hostile_trackers t_faults t_deldata t_ssrf"

if [ "$what" = all ] || [ "$what" = integration ]; then
	# As root btd runs stored as the system user btd and the other
	# roles under named uids: create them as make install does.
	if [ "$(id -u)" = 0 ]; then
		sh mk/users.sh 2>&1 | sed 's/^/integration: /'
	fi
	# Scripts run INTEGRATION_JOBS at a time (2 by default), each in
	# namespaces of its own (tests/run_one.sh); the longest start first
	# so that the run ends with short ones.  Results are counted in
	# the order of the scripts' names.
	res=$(mktemp -d)
	list=""
	for t in $(printf 'tests/integration/%s.sh ' $SLOW) tests/integration/t_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		# TESTS="t_user t_docs": run only those scripts.
		case " ${TESTS:-$name} " in *" $name "*) ;; *) continue ;; esac
		case " $list " in *" $t "*) continue ;; esac
		list="$list $t"
	done
	if [ -n "$list" ]; then
		printf '%s\n' $list |
		    xargs -P "${INTEGRATION_JOBS:-2}" -I{} sh tests/run_one.sh {} "$res"
	fi
	for t in tests/integration/t_*.sh; do
		name=$(basename "$t" .sh)
		case " $list " in *" $t "*) ;; *) continue ;; esac
		p=0 f=1
		[ -f "$res/$name.res" ] && read -r p f _ <"$res/$name.res"
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" -ne 0 ] && failures="$failures $name"
	done
	rm -rf "$res"
fi

if [ "$what" = all ] || [ "$what" = fuzz ]; then
	out=$(mktemp)
	# The targets build a job a CPU; they then run one after another.
	make -s -j"${JOBS:-$(nproc 2>/dev/null || echo 2)}" fuzz \
	    FUZZ_SECONDS="${FUZZ_SECONDS:-10}" >"$out" 2>&1
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

# Nothing a test started may outlive it: report it, fail, then stop it.
if left=$(env -u BTD_TEST_TOKEN sh tests/leftovers.sh "$BTD_TEST_TOKEN"); then
	passed=$((passed + 1))
	echo "leftovers: no test process is still running"
else
	failed=$((failed + 1))
	failures="$failures leftovers"
	echo "$left" | sed 's/^/not ok - still running after the tests: /'
	for p in $(echo "$left" | cut -d' ' -f1); do
		kill -KILL "$p" 2>/dev/null
	done
fi

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
