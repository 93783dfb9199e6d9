#!/bin/sh
# The spine: btd starts four confined roles, wires them, restarts a role
# that dies, kills one that breaks the protocol, survives hostile ctl
# clients, and takes its roles down when it dies itself.
. "$(dirname "$0")/lib.sh"

btd_start a
check "btd answers status" [ -S "$SOCK" ]
check "four roles running" wait_for 10 all_running
check "every role channel carries a ping round trip" wait_for 10 links_up
check "ctl socket is mode 0600" [ "$(stat -c %a "$SOCK")" = 600 ]

for r in trackerd peerd stored metad; do
	pid=$(role_pid $r)
	check "$r: NoNewPrivs 1" grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/$pid/status
	check "$r: Seccomp 2 (filter)" grep -q '^Seccomp:[[:space:]]*2$' /proc/$pid/status
	check "$r: landlock reported" [ "$(role_field $r confinement | python3 -c 'import sys,ast; print(ast.literal_eval(sys.stdin.read())["landlock_abi"] > 0)')" = True ]
	if [ "$(id -u)" = 0 ]; then
		uid=$(awk '/^Uid:/ {print $2}' /proc/$pid/status)
		check "$r: runs as its own uid ($uid)" [ "$uid" != 0 ]
	fi
done

# kill -9 of each role in turn: a new pid, restarts=1, wired again.
for r in trackerd peerd stored metad; do
	old=$(role_pid $r)
	kill -9 "$old"
	new_pid() { p=$(role_pid $r); [ "$p" != "$old" ] && [ "$p" -gt 0 ] && [ "$(role_field $r state)" = running ]; }
	check "$r: restarted with a new pid after kill -9" wait_for 10 new_pid
	check "$r: restarts=1" [ "$(role_field $r restarts)" = 1 ]
	check "$r: last exit names the signal" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q 'killed by signal 9'"
	check "$r: rewired channels carry messages again" wait_for 10 links_up
done
check "peerd <-> stored rewired twice (generation 3)" [ "$(jget "[l['generation'] for r in j['roles'] if r['name']=='peerd' for l in r['links'] if l['peer']=='stored'][0]")" = 3 ]

# A role that keeps dying waits longer each time (1 s, then 2 s).
kill -9 "$(role_pid trackerd)"
in_backoff() { [ "$(role_field trackerd state)" = backoff ] && [ "$(role_field trackerd next_start)" -ge 1 ]; }
check "crash loop: second death within a minute waits (backoff)" wait_for 5 in_backoff
check "crash loop: the wait is 1 s" grep -q "trackerd: restarting in 1000 ms" "$LOG"
trackerd_up() { [ "$(role_field trackerd state)" = running ]; }
wait_for 10 trackerd_up
kill -9 "$(role_pid trackerd)"
check "crash loop: then 2 s" wait_for 5 grep -q "trackerd: restarting in 2000 ms" "$LOG"
check "crash loop: back up after the wait" wait_for 10 trackerd_up
check "crash loop: restarts counted (3)" [ "$(role_field trackerd restarts)" = 3 ]
check "crash loop: wired again" wait_for 10 links_up

# btctl restart ROLE
old=$(role_pid metad)
check "btctl restart metad" ctl restart metad
new_metad() { p=$(role_pid metad); [ "$p" != "$old" ] && [ "$(role_field metad state)" = running ]; }
check "metad restarted on request" wait_for 10 new_metad
check "restart of an unknown role fails" sh -c "! '$BTCTL' -s '$SOCK' restart nosuch 2>/dev/null"

# Hostile ctl clients: garbage, oversized frames, idle crowds.
cat >"$T/ctlfuzz.py" <<'PY'
import socket, struct, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(5)
    return s
def closed(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
res = []
s = conn(); s.sendall(struct.pack(">I", 7) + b"\xff\xfe\xfd\xfc\xfb\xfa\xf9")
res.append(("garbage frame dropped", closed(s)))
s = conn(); s.sendall(struct.pack(">I", 0xFFFFFFF0))
res.append(("oversized frame dropped", closed(s)))
s = conn(); s.sendall(struct.pack(">I", 3) + b"\x22\x01\xff")
res.append(("invalid UTF-8 dropped", closed(s)))
s = conn(); s.sendall(struct.pack(">I", 0))
res.append(("empty request dropped", closed(s)))
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
idle = [conn() for _ in range(1000)]
time.sleep(0.5)
for name, good in res:
    print(("ok - " if good else "not ok - ") + "ctl: " + name)
sys.stdout.flush()
time.sleep(3)
PY
python3 "$T/ctlfuzz.py" "$SOCK" &
FUZZ=$!
PIDS="$PIDS $FUZZ"
sleep 1.5
check "ctl: served beside 1000 idle clients" sh -c "'$BTCTL' -s '$SOCK' status >/dev/null"
wait $FUZZ
check "ctl: btd still up after hostile clients" alive "$BTD_PID"
check "ctl: drops are logged" grep -q "ctl: client .* dropped" "$LOG"

# A role that sends a garbage frame is killed and restarted.
cp "$B/tests/probe_role" "$T/probe_garbage"
printf 'metad_exec %s\n' "$T/probe_garbage" >"$T/garbage.conf"
SAVE_SOCK=$SOCK SAVE_LOG=$LOG SAVE_PID=$BTD_PID
btd_start g -c "$T/garbage.conf" -p 16882
violated() { [ "$(role_field metad restarts)" -ge 1 ] && grep -q "metad: protocol violation" "$LOG"; }
check "garbage role: killed and restarted" wait_for 10 violated
check "garbage role: last exit says protocol violation" sh -c "'$BTCTL' -s '$SOCK' status --json | grep -q 'protocol violation'"
check "garbage role: the swapped executable runs (impl btd-probe)" [ "$(role_field metad impl_name)" = btd-probe ]
check "garbage role: the other roles are unaffected" [ "$(role_field stored restarts)" = 0 ]
ctl shutdown >/dev/null
check "btctl shutdown stops btd" wait_for 10 dead "$BTD_PID"
SOCK=$SAVE_SOCK LOG=$SAVE_LOG BTD_PID=$SAVE_PID

# kill -9 of btd: every role exits within 2 s.
rpids=$(role_pids)
check "four role pids known" [ "$(echo $rpids | wc -w)" = 4 ]
kill -9 "$BTD_PID"
sleep 2
check "kill -9 of btd: no role left after 2 s" all_dead $rpids
