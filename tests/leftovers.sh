#!/bin/sh
# List the processes that tests started and left running.
#
#   sh tests/leftovers.sh ns        inside a test's own PID namespace,
#                                   after the test script ended: every
#                                   process but pid 1 (this shell's
#                                   parent, the namespace's init)
#   sh tests/leftovers.sh TOKEN     anywhere: every process whose
#                                   environment holds BTD_TEST_TOKEN=TOKEN
#                                   (tests/run.sh exports it), and their
#                                   children (the roles, which btd starts
#                                   with an empty environment)
#
# Prints one line "PID CMDLINE" per process and exits 1 if there is
# any, 0 if none.  Run it without BTD_TEST_TOKEN in its own environment
# (env -u), so that it does not find itself.  With "ns", the caller
# waits and asks again: a role may take a moment to follow its btd.
set -u
what=${1:?usage: sh tests/leftovers.sh ns|TOKEN}
self=$$

# The pids, taken by the shell's glob before anything else is started.
pids=""
for d in /proc/[0-9]*; do
	pids="$pids ${d#/proc/}"
done

# stat_field PID N: field N of /proc/PID/stat (after the comm field).
marked=""
found=""
for p in $pids; do
	[ "$p" = "$self" ] && continue
	[ -r "/proc/$p/stat" ] || continue
	read -r stat <"/proc/$p/stat" 2>/dev/null || continue
	rest=${stat##*) }
	state=${rest%% *}
	rest=${rest#* }
	ppid=${rest%% *}
	[ "$state" = Z ] && continue	# exited, its parent reaps it
	[ "$ppid" = "$self" ] && continue	# our own children
	if [ "$what" = ns ]; then
		[ "$p" = 1 ] && continue
		[ "$p" = "$PPID" ] && continue
		found="$found $p"
	elif tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" |
	    grep -qx "BTD_TEST_TOKEN=$what"; then
		marked="$marked $p"
		found="$found $p"
	else
		eval "ppid_$p=$ppid"
	fi
done
if [ "$what" != ns ]; then
	for p in $pids; do
		eval "pp=\${ppid_$p:-}"
		[ -n "$pp" ] || continue
		case " $marked " in
		*" $pp "*) found="$found $p" ;;
		esac
	done
fi
[ -z "$found" ] && exit 0
for p in $found; do
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")
	[ -n "$cmd" ] || [ -e "/proc/$p" ] || continue
	echo "$p ${cmd:-?}"
done
exit 1
