#!/bin/sh
# Rate limits on real btd instances on 127.0.0.1, measured with btd's own
# counters (the rates peerd reports, as `btctl list --json` shows them),
# sampled once a second while a transfer runs -- never the wall-clock
# time of a transfer, which says how fast the machine is:
#   1. a download limited to 256 KiB/s (download_rate_limit) runs at
#      about that rate, from a btd seeder and from python3-libtorrent
#      (tests/interop/lt_peer.py: DHT, LSD, UPnP and NAT-PMP off);
#   2. an upload limited to 256 KiB/s (upload_rate_limit, on the seeder)
#      likewise, seen from both ends;
#   3. a limit changed with btctl set while a download runs takes effect:
#      128 KiB/s, then unlimited globally with the torrent's own limit
#      (btctl set-torrent) at 512 KiB/s -- faster than before, and still
#      held by the torrent's limit;
#   4. set-torrent refuses bad keys and values, and its limits are kept.
# The tolerance is generous: 30 % above (the buckets hold a burst, the
# rates are averages over a few seconds), half below.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

swarm_init 4000000 16
KIB=1024

# The seeder: btd with the data in place.
mkdir -p "$T/inplace"
cp -r "$SEED/pay" "$T/inplace/"
printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
btd_start a -p 7231 -c "$T/allow.conf"
SA=$SOCK
ctl add "$TOR" -d "$T/inplace" >/dev/null
check "seeder: seeding" wait_for 20 seeding "$SA" "$ID"

# sample SOCK FIELD SECONDS OUT [LEECHER]: FIELD of the torrent once a
# second into OUT, for at most SECONDS or until it seeds at LEECHER
# (SOCK if not given).
sample() {
	: >"$4"
	_s=0
	while [ $_s -lt "$3" ]; do
		sleep 1
		tfield "$1" "$ID" "$2" >>"$4"
		seeding "${5:-$1}" "$ID" && break
		_s=$((_s + 1))
	done
}

# within OUT LIMIT: the nonzero samples of OUT (the first left out: the
# transfer starts within it) average between half and 1.3 times LIMIT
# bytes a second, and there are at least 3 of them.
within() {
	$PY - "$1" "$2" <<'EOF'
import sys
v = [int(x) for x in open(sys.argv[1]).read().split() if x.strip()]
v = [x for x in v[1:] if x > 0]
lim = int(sys.argv[2])
mean = sum(v) / len(v) if v else 0
print("samples %d, mean %.0f B/s, max %d, limit %d" % (len(v), mean,
    max(v) if v else 0, lim), file=sys.stderr)
sys.exit(0 if len(v) >= 3 and lim * 0.5 <= mean <= lim * 1.3 else 1)
EOF
}

# setting_is SOCK KEY VALUE: btctl get says so.
setting_is() {
	"$BTCTL" -s "$1" get "$2" | grep -q "^$2 = $3 "
}
not_seeding() { ! seeding "$1" "$ID"; }
# refused SOCK TEXT ARGS...: btctl ARGS fails with TEXT on stderr.
refused() {
	_s=$1 _t=$2
	shift 2
	_o=$("$BTCTL" -s "$_s" "$@" 2>&1) && return 1
	echo "$_o" | grep -qF "$_t"
}
# limits SOCK: the torrent's own limits, as show --json gives them.
limits() {
	"$BTCTL" -s "$1" show "$ID" --json | $PY -c "import json,sys
j=json.load(sys.stdin)
print(j['download_limit'], j['upload_limit'], j['peer_limit'])"
}

# 1. A download limited to 256 KiB/s.
btd_start b -p 7232
SB=$SOCK
ctl set download_rate_limit 256 >/dev/null
check "download_rate_limit set at run time" setting_is "$SB" download_rate_limit 256
ctl add "$TOR" >/dev/null
sample "$SB" rate_down 60 "$T/s1"
check "limited download: complete" wait_for 30 seeding "$SB" "$ID"
check "limited download: same bytes" same_data "$T/b/dl"
check "limited download: about 256 KiB/s ($(within "$T/s1" $((256 * KIB)) 2>&1))" \
    within "$T/s1" $((256 * KIB))
ctl shutdown >/dev/null

# 1b. The same from a python3-libtorrent seeder (the btd seeder paused,
# so that the tracker names libtorrent alone).
SOCK=$SA ctl pause "$ID" >/dev/null
spawn 120 $PY tests/interop/lt_peer.py seed "$TOR" "$SEED" 7241 --seconds 110
LTS=$SPAWNED
check "libtorrent seeder announced" wait_for 20 sh -c \
    "ss -ltn | grep -q ':7241 '"
btd_start e -p 7235
SE=$SOCK
ctl set download_rate_limit 256 >/dev/null
ctl add "$TOR" >/dev/null
sample "$SE" rate_down 60 "$T/s1b"
check "limited download from libtorrent: complete" wait_for 30 seeding "$SE" "$ID"
check "limited download from libtorrent: same bytes" same_data "$T/e/dl"
check "limited download from libtorrent: about 256 KiB/s ($(within "$T/s1b" $((256 * KIB)) 2>&1))" \
    within "$T/s1b" $((256 * KIB))
ctl shutdown >/dev/null
stop_pids "$LTS"
SOCK=$SA ctl resume "$ID" >/dev/null
check "seeder: seeding again" wait_for 20 seeding "$SA" "$ID"

# 2. An upload limited to 256 KiB/s, to a leecher without a limit.
SOCK=$SA ctl set upload_rate_limit 256 >/dev/null
btd_start c -p 7233
SC=$SOCK
ctl add "$TOR" >/dev/null
sample "$SC" rate_down 60 "$T/s2" &
SP=$!
PIDS="$PIDS $SP"
sample "$SA" rate_up 60 "$T/s2up" "$SC"
wait "$SP"
check "limited upload: complete" wait_for 30 seeding "$SC" "$ID"
check "limited upload: same bytes" same_data "$T/c/dl"
check "limited upload: the seeder sends about 256 KiB/s ($(within "$T/s2up" $((256 * KIB)) 2>&1))" \
    within "$T/s2up" $((256 * KIB))
check "limited upload: the leecher gets about 256 KiB/s ($(within "$T/s2" $((256 * KIB)) 2>&1))" \
    within "$T/s2" $((256 * KIB))
ctl shutdown >/dev/null

# 3. Limits changed while the download runs: 64 KiB/s globally, then no
# global limit and the torrent's own at 256 KiB/s.
SOCK=$SA ctl set upload_rate_limit 0 >/dev/null
btd_start d -p 7234
SD=$SOCK
ctl set download_rate_limit 64 >/dev/null
ctl add "$TOR" >/dev/null
sample "$SD" rate_down 8 "$T/s3a"
check "runtime change: still downloading after 8 s at 64 KiB/s" not_seeding "$SD"
check "runtime change: about 64 KiB/s first ($(within "$T/s3a" $((64 * KIB)) 2>&1))" \
    within "$T/s3a" $((64 * KIB))
check "runtime change: set-torrent prints the limits" sh -c \
    "'$BTCTL' -s '$SD' set-torrent '$ID' download-limit 256 | grep -q '^download-limit  256 KiB/s\$'"
ctl set download_rate_limit 0 >/dev/null
check "runtime change: download_rate_limit back to 0" setting_is "$SD" download_rate_limit 0
# The rates are averages over a few seconds: let the old one go.
sleep 2
sample "$SD" rate_down 40 "$T/s3b"
check "runtime change: complete" wait_for 30 seeding "$SD" "$ID"
check "runtime change: same bytes" same_data "$T/d/dl"
check "runtime change: then about 256 KiB/s, the torrent's own limit ($(within "$T/s3b" $((256 * KIB)) 2>&1))" \
    within "$T/s3b" $((256 * KIB))

# 4. set-torrent: errors, and what it keeps.
check "set-torrent: an unknown key is refused, and named" refused "$SD" \
    "unknown torrent setting 'speed' (download-limit, upload-limit, peer-limit, sequential, file-priority, seed-ratio-limit, seed-ratio-mode, seed-idle-limit, seed-idle-mode)" \
    set-torrent "$ID" speed 5
check "set-torrent: a value out of range is refused" refused "$SD" \
    "peer-limit: '401' is not a number from 0 to 400" \
    set-torrent "$ID" peer-limit 401
check "set-torrent: a negative value is refused" refused "$SD" \
    "upload-limit: '-5' is not a number" set-torrent "$ID" upload-limit -- -5
check "set-torrent: a value with a unit is refused" refused "$SD" \
    "upload-limit: '5k' is not a number" set-torrent "$ID" upload-limit 5k
check "set-torrent: no such torrent" refused "$SD" "no such torrent" \
    set-torrent 0123456789 upload-limit 5
check "set-torrent: a missing value is a usage error" refused "$SD" \
    "missing VALUE" set-torrent "$ID" upload-limit
ctl set-torrent "$ID" peer-limit 7 >/dev/null
check "set-torrent: show lists the limits" [ "$(limits "$SD")" = "256 0 7" ]
PD=$(jget "j['pid']")
ctl shutdown >/dev/null
wait_for 10 dead "$PD"
btd_start d -p 7234
check "set-torrent: the limits outlive a restart" [ "$(limits "$SD")" = "256 0 7" ]
check "the global limit outlives a restart" setting_is "$SD" download_rate_limit 0
ctl remove "$ID" >/dev/null
check "remove: its limits go with it" [ -z "$(sqlite3 "$T/d/state/state.db" "SELECT key FROM meta WHERE key LIKE 'limits %'")" ]
ctl shutdown >/dev/null

# 5. Connection limits: two seeders, a leecher allowed one connection a
# torrent, then (changed at run time) five.
mkdir -p "$T/inplace2"
cp -r "$SEED/pay" "$T/inplace2/"
btd_start g -p 7236 -c "$T/allow.conf"
SG=$SOCK
ctl add "$TOR" -d "$T/inplace2" >/dev/null
check "second seeder: seeding" wait_for 20 seeding "$SG" "$ID"
btd_start f -p 7237
SF=$SOCK
ctl set peer_limit_per_torrent 1 >/dev/null
ctl set download_rate_limit 32 >/dev/null
ctl add "$TOR" >/dev/null
peers_ge() { [ "$(tfield "$SF" "$ID" peers)" -ge "$1" ]; }
check "peer_limit_per_torrent 1: one peer" wait_for 20 peers_ge 1
sample "$SF" peers 6 "$T/s5"
check "peer_limit_per_torrent 1: never two ($(tr '\n' ' ' <"$T/s5"))" \
    sh -c "! grep -qv '^[01]\$' '$T/s5'"
ctl set peer_limit_per_torrent 5 >/dev/null
check "peer_limit_per_torrent 5 at run time: both seeders" wait_for 20 peers_ge 2
ctl set-torrent "$ID" peer-limit 1 >/dev/null
ctl set download_rate_limit 0 >/dev/null
check "the torrent's own peer-limit: complete" wait_for 60 seeding "$SF" "$ID"
check "the torrent's own peer-limit: same bytes" same_data "$T/f/dl"
