#!/bin/sh
# Magnets against hostile metadata (HOSTILE.md, ut_metadata), and metad
# killed while fetching.  A test peer (tests/support/hostile_meta.py)
# lies in one way per run -- bytes whose SHA-1 is not the info-hash,
# oversized pieces, short pieces, pieces out of range, metadata_size
# -1, 0, 2^31, 9 MiB --
# beside an honest one that also seeds: btd still gets the metadata and
# the data, no role restarts, and the liar is named in the log.
# Metadata whose SHA-1 matches but that fails the checks of a .torrent
# puts the torrent in state error with the reason.  metad, then peerd,
# killed with a fetch under way: restarted, and the fetch completes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

HM="$PY tests/support/hostile_meta.py"
# A payload whose info dictionary spans 2 metadata pieces (400 files),
# so that both peers of a run are asked for one.
mkdir -p "$SEED/pay"
i=0
while [ $i -lt 400 ]; do
	printf 'file %d\n' $i >"$SEED/pay/some-file-with-a-long-name-$i.txt"
	i=$((i + 1))
done
payload "$SEED/pay/big.bin" 200000
mktorrent -l 15 -a "http://127.0.0.1:$OT/announce" -o "$TOR" \
    "$SEED/pay" >/dev/null
IH=$($PY -c "import libtorrent as lt; print(lt.torrent_info('$TOR').info_hashes().v1)")
ID=$(echo "$IH" | cut -c1-8)
MSIZE=$($PY -c "import libtorrent as lt, warnings
warnings.simplefilter('ignore')
print(len(lt.torrent_info('$TOR').metadata()))")
check "the metadata spans 2 pieces" [ "$MSIZE" -gt 16384 ] && \
    [ "$MSIZE" -le 32768 ]

# restarts ROLE: how often btd restarted it.
restarts() { role_field "$1" restarts; }

# run MODE PORT GREP: a liar in MODE on PORT and an honest seeder that
# offers the metadata a second later (so the liar is asked first); btd
# must complete, and GREP must be in its log.
run() {
	_m=$1 _p=$2 _g=$3
	$HM "$TOR" "$SEED" "$_p" "$_m" --seconds 120 >"$T/h-$_m.out" 2>&1 &
	_lp=$!
	PIDS="$PIDS $_lp"
	$HM "$TOR" "$SEED" $((_p + 1)) honest --seed --late 1 \
	    --seconds 120 >"$T/hon-$_m.out" 2>&1 &
	_hp=$!
	PIDS="$PIDS $_hp"
	wait_for 10 grep -q listening "$T/h-$_m.out"
	wait_for 10 grep -q listening "$T/hon-$_m.out"
	btd_start "b-$_m" -p $((_p + 10))
	ctl add "magnet:?xt=urn:btih:$IH&x.pe=127.0.0.1:$_p&x.pe=127.0.0.1:$((_p + 1))" \
	    >/dev/null
	check "$_m: the honest peer still delivers" ctl wait "$ID" --timeout 60
	check "$_m: same bytes" same_data "$T/b-$_m/dl"
	if [ -n "$_g" ]; then
		check "$_m: the lie is in the log" grep -q "$_g" "$LOG"
	fi
	case $_m in
	size-*)
		check "$_m: the liar was never asked" \
		    sh -c "! grep -q '^request' '$T/h-$_m.out'" ;;
	*)
		check "$_m: the liar was asked and answered" \
		    grep -q '^sent' "$T/h-$_m.out" ;;
	esac
	check "$_m: no role restarted" [ "$(restarts metad)$(restarts peerd)" = 00 ]
	ctl shutdown >/dev/null
	wait_for 15 dead "$BTD_PID"
	stop_pids "$_lp" "$_hp"
}

run wronghash 7501 "does not match the info-hash"
run oversize 7511 "over 16384\|oversized"
run short 7521 "short (.*not the last"
# A piece never asked for is dropped unseen; the ask times out.
run range 7601 ""
# -1 reads as no size at all: such a peer has no metadata to offer.
run size-neg 7531 ""
run size-zero 7541 "metadata_size 0: not positive"
run size-2g 7551 "metadata_size 2147483648: over the bound"
run size-big 7561 "metadata_size 9437184: over the bound"

# Metadata whose SHA-1 is the info-hash but which fails the checks of a
# .torrent (piece length 0): the torrent goes to error with the reason.
printf 'd6:lengthi100e4:name3:bad12:piece lengthi0e6:pieces20:aaaaaaaaaaaaaaaaaaaae' \
    >"$T/bad.info"
BIH=$($PY -c "import hashlib; print(hashlib.sha1(open('$T/bad.info','rb').read()).hexdigest())")
$HM - - 7571 honest --info "$T/bad.info" --seconds 60 >"$T/h-bad.out" 2>&1 &
BP=$!
PIDS="$PIDS $BP"
wait_for 10 grep -q listening "$T/h-bad.out"
btd_start bad -p 7581
ctl add "magnet:?xt=urn:btih:$BIH&x.pe=127.0.0.1:7571" >/dev/null
BID=$(echo "$BIH" | cut -c1-8)
check "bad info: the torrent goes to error" \
    wait_for 30 sh -c "[ \"\$('$BTCTL' -s '$SOCK' list --json | $PY -c \"import json,sys; print([t['state'] for t in json.load(sys.stdin)['torrents']][0])\")\" = error ]"
check "bad info: the reason is shown" \
    sh -c "'$BTCTL' -s '$SOCK' show $BID | grep -q 'metadata: .*piece length'"
check "bad info: no role restarted" [ "$(restarts metad)$(restarts peerd)" = 00 ]
ctl shutdown >/dev/null
wait_for 15 dead "$BTD_PID"
stop_pids "$BP"

# metad killed while fetching: the only peer answers after 4 s, metad
# is killed once the peer's offer is in.
$HM "$TOR" "$SEED" 7591 honest --seed --delay 4 --seconds 120 \
    >"$T/h-kill.out" 2>&1 &
KP=$!
PIDS="$PIDS $KP"
wait_for 10 grep -q listening "$T/h-kill.out"
btd_start kill -p 7592
ctl add "magnet:?xt=urn:btih:$IH&x.pe=127.0.0.1:7591" >/dev/null
check "kill: the peer offers the metadata" \
    wait_for 20 sh -c "'$BTCTL' -s '$SOCK' list | grep -q 'fetching metadata (1 peer)'"
check "kill: the peer was asked" wait_for 10 grep -q '^request' "$T/h-kill.out"
MP=$(role_pid metad)
kill -KILL "$MP"
check "kill: still fetching metadata" \
    sh -c "'$BTCTL' -s '$SOCK' list | grep -q 'fetching metadata'"
check "kill: metad restarted" wait_for 20 sh -c \
    "[ \"\$('$BTCTL' -s '$SOCK' status --json | $PY -c \"import json,sys; print([r['restarts'] for r in json.load(sys.stdin)['roles'] if r['name']=='metad' and r['state']=='running'][0])\")\" = 1 ]"
check "kill: the fetch completes" ctl wait "$ID" --timeout 60
check "kill: same bytes" same_data "$T/kill/dl"
# verified_after_restart: the metadata verified after metad's second
# start in the log.
verified_after_restart() {
	awk -v ih="$IH: metadata verified" '/metad: started, pid/ { n++ }
	    index($0, ih) && n >= 2 { found = 1 } END { exit !found }' "$LOG"
}
check "kill: the metadata was verified after the restart" \
    verified_after_restart
ctl shutdown >/dev/null
wait_for 15 dead "$BTD_PID"

# peerd killed while fetching: the new peerd dials the magnet's peer
# again, metad forgets the old peers and asks through the new peerd.
btd_start killp -p 7593
ctl add "magnet:?xt=urn:btih:$IH&x.pe=127.0.0.1:7591" >/dev/null
n0=$(grep -c '^request' "$T/h-kill.out")
check "kill peerd: the peer was asked" wait_for 20 sh -c \
    "[ \$(grep -c '^request' '$T/h-kill.out') -gt $n0 ]"
kill -KILL "$(role_pid peerd)"
check "kill peerd: peerd restarted" wait_for 20 sh -c \
    "[ \"\$('$BTCTL' -s '$SOCK' status --json | $PY -c \"import json,sys; print([r['restarts'] for r in json.load(sys.stdin)['roles'] if r['name']=='peerd' and r['state']=='running'][0])\")\" = 1 ]"
check "kill peerd: the fetch completes" ctl wait "$ID" --timeout 60
check "kill peerd: same bytes" same_data "$T/killp/dl"
check "kill peerd: metad was not restarted" [ "$(restarts metad)" = 0 ]
