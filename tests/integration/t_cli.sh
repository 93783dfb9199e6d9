#!/bin/sh
# The command line as a newcomer meets it: `btctl help` in aligned
# columns; for every command `btctl help CMD`, `btctl CMD -h`, its line
# in btctl(8)'s SYNOPSIS and its entry under COMMANDS say the same, and
# every binary's usage() is its page's SYNOPSIS (compared mechanically:
# the mdoc is rendered to text here); --version and --help; an unknown
# option or command names the nearest; relative -S and -D; btctl without
# -s finds the one btd of this user; a file that is not a torrent; what
# remove says; UTF-8 names as they are on a UTF-8 terminal.
. "$(dirname "$0")/lib.sh"

# mdoc.py PAGE synopsis | items: the SYNOPSIS lines (one per .Nm), or
# the .It entries, rendered as plain text, lower case.
cat >"$T/mdoc.py" <<'PY'
import sys

MACROS = {"Nm", "Cm", "Ar", "Fl", "Op", "Ns", "No", "Li", "Pa", "Xo", "Xc"}

def render(toks):
    out = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "Op":
            out.append("[" + render(toks[i + 1:]) + "]")
            break
        if t == "Fl":
            # Every argument up to the next macro is a flag; delimiters
            # stay as they are.
            j = i + 1
            while j < len(toks) and toks[j] not in MACROS:
                a = toks[j].replace("\\-", "-")
                out.append(a if a in ("|", "...") else "-" + a)
                j += 1
            if j == i + 1:
                out.append("-")
            i = j
            continue
        elif t == "Ns":
            out.append("\0")
        elif t in MACROS:
            pass
        else:
            out.append(t.replace("\\-", "-"))
        i += 1
    s = " ".join(out)
    return s.replace(" \0 ", "").replace("\0 ", "").replace(" \0", "")

def lines(path):
    return [l.rstrip("\n") for l in open(path, encoding="utf-8")]

def synopsis(path):
    res, cur, on = [], None, False
    for l in lines(path):
        if l.startswith(".Sh "):
            on = l == ".Sh SYNOPSIS"
            continue
        if not on or not l.startswith("."):
            continue
        toks = l[1:].split()
        if toks[0] == "Nm":
            if cur is not None:
                res.append(cur)
            cur = []
        if cur is not None:
            cur.append(render(toks))
    if cur is not None:
        res.append(cur)
    return [" ".join(r) for r in res]

def items(path):
    res, cur = [], None
    for l in lines(path):
        if l == ".It Xo":
            cur = []
            continue
        if cur is not None:
            if l == ".Xc":
                res.append(" ".join(cur))
                cur = None
            elif l.startswith("."):
                cur.append(render(l[1:].split()))
            continue
        if l.startswith(".It Cm "):
            res.append(render(l[4:].split()))
    return res

fn = {"synopsis": synopsis, "items": items}[sys.argv[2]]
for r in fn(sys.argv[1]):
    print(" ".join(r.lower().split()))
PY
mdoc() { $PY "$T/mdoc.py" "$@"; }
low() { tr 'A-Z' 'a-z'; }

# --- btctl help: aligned columns, every command.
"$BTCTL" help >"$T/help" 2>&1
check "btctl help: exit 0" [ $? = 0 ]
sed -n '/^commands:/,/^$/p' "$T/help" | sed '1d;$d' >"$T/help.cmds"
cols=$($PY - "$T/help.cmds" <<'PY'
import re, sys
cols = set()
for l in open(sys.argv[1]):
    l = l.rstrip("\n")
    m = re.match(r"^  (\S.*?\S)  +(\S)", l)
    if m:
        cols.add(m.start(2))
    elif re.match(r"^ {4,}\S", l):
        cols.add(len(l) - len(l.lstrip()))
print(" ".join(str(c) for c in sorted(cols)))
PY
)
check "btctl help: the help texts start in one column (got: $cols)" [ "$(echo "$cols" | wc -w)" = 1 ]
names=$(sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' "$T/help.cmds")
check "btctl help lists the commands" [ "$(echo $names | wc -w)" -ge 12 ]

# --- each command: help CMD, CMD -h, SYNOPSIS, COMMANDS agree.
mdoc "$TOP/docs/btctl.8" synopsis >"$T/syn"
mdoc "$TOP/docs/btctl.8" items >"$T/items"
for c in $names; do
	a=$("$BTCTL" help "$c" 2>&1 | head -n 1 | sed 's/^usage: //')
	b=$("$BTCTL" "$c" -h 2>&1 | head -n 1 | sed 's/^usage: //')
	check "$c: 'btctl help $c' and '$c -h' agree ($a | $b)" [ "$a" = "$b" ]
	al=$(echo "$a" | low)
	check "$c: btctl(8) SYNOPSIS has '$a'" grep -qxF "$al" "$T/syn"
	# The COMMANDS entry: the usage without "btctl" and global options.
	cmdpart=$(echo "$al" | sed 's/^btctl //; s/^\[-s socket\] \[--json\] //')
	check "$c: btctl(8) COMMANDS has '$cmdpart'" grep -qxF "$cmdpart" "$T/items"
done
# And nothing in the SYNOPSIS that btctl does not have.
while read -r l; do
	c=$(echo "$l" | sed 's/^btctl //; s/^\[-s socket\] \[--json\] //' | cut -d' ' -f1)
	case "$c" in --version) continue ;; esac
	check "SYNOPSIS '$c' is a command of btctl help" sh -c "echo '$names' | grep -qx '$c'"
done <"$T/syn"

# --- every binary's usage() is its SYNOPSIS.
# usage_text PROG: its usage lines, "usage: " and the path taken away.
usage_text() {
	"$@" 2>&1 | sed -n '/^usage: /,/^[^ ]/p' | grep -E '^(usage: |       )' |
	    sed 's/^usage: //; s/^       //' |
	    awk '{ n = split($1, p, "/"); $1 = p[n]; print }' | low
}
usage_text "$BTD" -x >"$T/u.btd"
mdoc "$TOP/docs/btd.8" synopsis >"$T/s.btd"
check "btd: usage() is btd(8)'s SYNOPSIS ($(tr '\n' '|' <"$T/u.btd"))" cmp -s "$T/u.btd" "$T/s.btd"
"$BTCTL" 2>&1 | sed -n '/^usage: /,$p' | sed 's/^usage: //; s/^       //' | low >"$T/u.btctl"
# Its first line stands for the per-command lines checked above.
for n in 2 3; do
	l=$(sed -n "${n}p" "$T/u.btctl")
	check "btctl: usage line '$l' is in btctl(8)'s SYNOPSIS" grep -qxF "$l" "$T/syn"
done
for r in trackerd peerd stored metad; do
	check "$r(8) exists" [ -f "$TOP/docs/$r.8" ]
	[ -f "$TOP/docs/$r.8" ] || continue
	usage_text "$B/libexec/btd/$r" -x >"$T/u.$r"
	mdoc "$TOP/docs/$r.8" synopsis >"$T/s.$r"
	check "$r: usage() is $r(8)'s SYNOPSIS ($(cat "$T/u.$r"))" cmp -s "$T/u.$r" "$T/s.$r"
done

# --- versions and help.
v=$(sed -n 's/^VERSION[[:space:]]*:= *//p' "$TOP/Makefile")
out=$("$BTD" --version); rc=$?
check "btd --version: 'btd $v', exit 0 (got: $out, $rc)" [ "$out" = "btd $v" ] && [ $rc = 0 ]
out=$("$BTCTL" --version); rc=$?
check "btctl --version: 'btctl $v' (got: $out, $rc)" [ "$out" = "btctl $v" ] && [ $rc = 0 ]
out=$("$BTCTL" version); rc=$?
check "btctl version: the same (got: $out)" [ "$out" = "btctl $v" ] && [ $rc = 0 ]
out=$("$BTD" --help 2>/dev/null); rc=$?
check "btd --help: the usage on stdout, exit 0" sh -c "[ $rc = 0 ] && echo \"\$1\" | head -n 1 | grep -q '^usage: btd '" sh "$out"
out=$("$BTCTL" --help 2>/dev/null); rc=$?
check "btctl --help: the usage on stdout, exit 0" sh -c "[ $rc = 0 ] && echo \"\$1\" | head -n 1 | grep -q '^usage: btctl '" sh "$out"

# --- unknown options and commands name the nearest.
# expect_err NAME STATUS TEXT CMD...: CMD exits STATUS, first line TEXT.
expect_err() {
	ee_name=$1 ee_rc=$2 ee_text=$3
	shift 3
	out=$("$@" 2>&1 >/dev/null | head -n 1)
	"$@" >/dev/null 2>&1
	rc=$?
	check "$ee_name: exit $ee_rc (got $rc)" [ $rc = "$ee_rc" ]
	check "$ee_name: says '$ee_text' (got: $out)" [ "$out" = "$ee_text" ]
}
expect_err "btctl --jsn" 2 "btctl: unknown option --jsn (did you mean --json?)" "$BTCTL" --jsn status
expect_err "btctl status --jsn" 2 "btctl: status: unknown option --jsn (did you mean --json?)" "$BTCTL" status --jsn
expect_err "btctl add --pause" 2 "btctl: add: unknown option --pause (did you mean --paused?)" "$BTCTL" add x --pause
expect_err "btctl statuus" 2 "btctl: unknown command 'statuus' (did you mean status?)" "$BTCTL" statuus
expect_err "btctl list --frobnicate" 2 "btctl: list: unknown option --frobnicate" "$BTCTL" list --frobnicate
expect_err "btd --verison" 2 "btd: unknown option --verison (did you mean --version?)" "$BTD" --verison

# --- relative -S and -D are made absolute the same way.
mkdir -p "$T/cwd"
( cd "$T/cwd" && exec timeout -k 2 300 "$BTD" -f -S rel/state -D ./rel/../dl ) \
    >"$T/rel.log" 2>&1 &
PIDS="$PIDS $!"
SOCK=$T/cwd/rel/state/btd.sock
check "relative -S: btd serves at cwd/rel/state" wait_for 10 test -S "$SOCK"
BTD_PID=$(jget "j['pid']")
check "relative -S: state_dir is absolute" [ "$(jget "j['state_dir']")" = "$T/cwd/rel/state" ]
dd=$(pyget "$(ctl get --json download_dir)" "j['settings'][0]['value']")
check "relative -D: download_dir is absolute and normalised (got $dd)" [ "$dd" = "$T/cwd/dl" ]
check "relative -D: created there" wait_for 5 test -d "$T/cwd/dl"

# --- add of a file that is not a torrent; remove says what it removed.
check "four roles running" wait_for 10 all_running
echo hello >"$T/notes.txt"
out=$(ctl add "$T/notes.txt" 2>&1); rc=$?
check "add of a text file: exit 1" [ $rc = 1 ]
check "add of a text file: not a .torrent file (got: $out)" [ "$out" = "btctl: add: $T/notes.txt: not a .torrent file (bencode: unexpected byte 0x68 at byte 0)" ]
payload "$T/café ☃.bin" 50000
"$BTCTL" create "$T/café ☃.bin" -t http://127.0.0.1:9/announce -o "$T/u.torrent" >/dev/null 2>&1
out=$(ctl add "$T/u.torrent"); rc=$?
id=$(echo "$out" | awk '{print $2}')
check "add of the UTF-8 name: ok ($out)" [ $rc = 0 ]
out=$(LC_ALL=C.UTF-8 ctl list | tail -n 1)
check "list on a UTF-8 terminal: the name as it is (got: $out)" sh -c "echo \"\$1\" | grep -q 'café ☃.bin\$'" sh "$out"
out=$(LC_ALL=C ctl list | tail -n 1)
check "list on an ASCII terminal: escaped (got: $out)" sh -c "echo \"\$1\" | grep -qF 'caf\\xc3\\xa9 \\xe2\\x98\\x83.bin'" sh "$out"
out=$(LC_ALL=C.UTF-8 ctl remove "$id"); rc=$?
check "remove: echoes the id and the name (got: $out)" [ "$out" = "removed $id  café ☃.bin" ]
check "remove: it is gone" [ "$(pyget "$(ctl list --json)" "len(j['torrents'])")" = 0 ]
out=$(ctl remove "$id" 2>&1); rc=$?
check "remove of an unknown id: exit 1 ($out)" [ $rc = 1 ]
# Control and bidirectional characters are escaped even on UTF-8.
bad=$(printf '%s/a\342\200\256b\033c/btd.sock' "$T")
out=$(LC_ALL=C.UTF-8 "$BTCTL" -s "$bad" status 2>&1)
check "a bidi override and ESC are escaped (got: $out)" sh -c "echo \"\$1\" | grep -qF 'a\\xe2\\x80\\xaeb\\x1bc/btd.sock'" sh "$out"
ctl shutdown >/dev/null
check "relative -S btd stops" wait_for 10 dead "$BTD_PID"

# --- btctl without -s finds the one btd of this user.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups --"
	if ! $AS test -x "$BTD"; then
		echo "skipped: $BTD is not reachable by uid 65534"
		exit 0
	fi
else
	AS=""
fi
H=$T/home
mkdir -p "$H" "$T/run"
[ -n "$AS" ] && chown 65534:65534 "$H" "$T/run"
asuser() { env -i HOME="$H" XDG_RUNTIME_DIR="$T/run" PATH=/usr/bin:/bin $AS "$@"; }
asuser timeout -k 2 120 "$BTD" -f -S "$H/one" -D "$H/dl1" >"$T/one.log" 2>&1 &
PIDS="$PIDS $!"
check "btctl without -s finds the btd of -S $H/one" wait_for 10 sh -c "'$BTCTL' --version >/dev/null && env -i HOME='$H' XDG_RUNTIME_DIR='$T/run' PATH=/usr/bin:/bin $AS '$BTCTL' status >/dev/null"
out=$(asuser "$BTCTL" status --json | $PY -c "import json,sys; print(json.load(sys.stdin)['state_dir'])")
check "it is that btd (got: $out)" [ "$out" = "$H/one" ]
p1=$(asuser "$BTCTL" status --json | $PY -c "import json,sys; print(json.load(sys.stdin)['pid'])")
PIDS="$PIDS $p1"
check "the pointer is a symlink in XDG_RUNTIME_DIR/btd" sh -c "ls -l '$T/run/btd/' | grep -q -- '-> $H/one/btd.sock'"
asuser timeout -k 2 120 "$BTD" -f -S "$H/two" -D "$H/dl2" >"$T/two.log" 2>&1 &
PIDS="$PIDS $!"
check "a second btd starts" wait_for 10 test -S "$H/two/btd.sock"
sleep 0.3
out=$(asuser "$BTCTL" status 2>&1); rc=$?
check "two btd: btctl without -s refuses, exit 1 ($rc)" [ $rc = 1 ]
check "two btd: names both and says -s (got: $out)" sh -c "echo \"\$1\" | grep -q '2 btd are running for this user (.*btd.sock, .*btd.sock): name one with -s'" sh "$out"
asuser "$BTCTL" -s "$H/two/btd.sock" shutdown >/dev/null
check "two btd: the second stops" wait_for 10 sh -c "[ ! -e '$H/two/btd.sock' ]"
check "its pointer is removed at a clean stop" wait_for 10 sh -c "! ls -l '$T/run/btd/' | grep -q -- '-> $H/two/btd.sock'"
check "one btd again: found without -s" sh -c "env -i HOME='$H' XDG_RUNTIME_DIR='$T/run' PATH=/usr/bin:/bin $AS '$BTCTL' status >/dev/null"
asuser "$BTCTL" shutdown >/dev/null
check "the first stops" wait_for 10 dead "$p1"
out=$(asuser "$BTCTL" status 2>&1); rc=$?
check "no btd: says how to point at one (got: $out)" sh -c "[ $rc = 1 ] && echo \"\$1\" | grep -q 'is reached with -s DIR/btd.sock'" sh "$out"
