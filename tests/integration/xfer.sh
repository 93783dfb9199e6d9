# xfer.sh -- a local swarm for transfer tests; source after lib.sh.
#
# swarm_init [BYTES] [PIECE_LOG2]: opentracker on 127.0.0.1:$OT, a
# multi-file payload in $SEED/pay (a piece spans files; a tiny file and
# an empty one), $TOR made by mktorrent, its info-hash in $IH and the
# first 8 hex digits in $ID.
OT=${OT:-6969}
SEED=$T/seed
TOR=$T/pay.torrent

swarm_init() {
	_bytes=${1:-5000000}
	_plog=${2:-16}
	mkdir -p "$SEED/pay/sub" "$T/ot"
	chmod 755 "$T/ot"
	payload "$SEED/pay/big.bin" "$_bytes"
	payload "$SEED/pay/sub/middle.bin" 100001 101112131415161718191a1b1c1d1e1f
	printf 'tiny\n' >"$SEED/pay/sub/tiny.txt"
	: >"$SEED/pay/empty"
	payload "$SEED/pay/zlast.bin" 333333 202122232425262728292a2b2c2d2e2f
	mktorrent -l "$_plog" -a "http://127.0.0.1:$OT/announce" -o "$TOR" \
	    "$SEED/pay" >/dev/null
	IH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').info_hashes().v1)")
	ID=$(echo "$IH" | cut -c1-8)
	printf '%s\n' "$IH" >"$T/ot/whitelist"
	tracker_start
}

# tracker_start: opentracker on $OT, its pid in OTPID.
tracker_start() {
	_wl=$T/ot/whitelist
	[ "$(id -u)" = 0 ] && _wl=/whitelist
	timeout -k 2 900 opentracker -i 127.0.0.1 -p "$OT" -P "$OT" \
	    -d "$T/ot" -w "$_wl" -A 127.0.0.1 >>"$T/ot.log" 2>&1 &
	OTPID=$!
	PIDS="$PIDS $OTPID"
	wait_for 10 sh -c "ss -ltn | grep -q ':$OT '"
}

# tracker_restart: a fresh opentracker that knows no peer yet.
tracker_restart() {
	kill "$OTPID"
	wait_for 10 sh -c "! ss -ltn | grep -q ':$OT '"
	tracker_start
}

# tfield SOCK ID FIELD: a field of the torrent's summary (list --json).
tfield() {
	"$BTCTL" -s "$1" list --json | $PY -c "import json,sys
j=json.load(sys.stdin)
t=[t for t in j['torrents'] if t['id'].startswith('$2')]
print(t[0]['$3'] if t else '')"
}

# seeding SOCK ID: the torrent is complete and seeding.
seeding() { [ "$(tfield "$1" "$2" state)" = seeding ]; }

# same_data DIR: DIR/pay holds exactly the payload (empty file included).
same_data() { diff -r "$SEED/pay" "$1/pay" >/dev/null 2>&1; }

# same_data_but_empty DIR: the same, but an empty file may be missing
# (Transmission does not create zero-length files).
same_data_but_empty() {
	[ -z "$(diff -r "$SEED/pay" "$1/pay" 2>&1 |
	    grep -v "^Only in $SEED/pay: empty\$")" ]
}

# btd_seeder NAME PORT KIBS: a btd seeding the payload from a copy in
# place ($T/inplace), its upload limited to KIBS KiB/s (0: none); SS is
# its socket and SP its pid (SOCK, LOG and BTD_PID are its too, until
# the next btd_start).
btd_seeder() {
	if [ ! -d "$T/inplace/pay" ]; then
		mkdir -p "$T/inplace"
		cp -r "$SEED/pay" "$T/inplace/"
	fi
	printf 'download_dirs_allowed %s\n' "$T" >"$T/allow.conf"
	btd_start "$1" -p "$2" -c "$T/allow.conf"
	SS=$SOCK SP=$BTD_PID
	[ "$3" = 0 ] || ctl set upload_rate_limit "$3" >/dev/null
	ctl add "$TOR" -d "$T/inplace" >/dev/null
	check "the seeder seeds" wait_for 20 seeding "$SS" "$ID"
}

# port_free PORT
port_free() { ! ss -ltn | grep -q ":$1 "; }
