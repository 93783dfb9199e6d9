#!/bin/sh
# A swarm on 127.0.0.1 through opentracker: one seeder whose upload is
# limited (a btd at upload_rate_limit 1000), four btd leechers started
# together.  All complete with the seeder's bytes, and the seeder
# uploads clearly less than four copies: the leechers trade pieces with
# each other.  (python3-libtorrent with an upload limit, the seeder here
# before, twice stopped serving in the quick-start chroot right after a
# leecher connected; libtorrent seeds to btd in t_swarm, t_ratelimit
# and others.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfer.sh"

# About 4.4 MB in 64 KiB pieces (some 68).
swarm_init 4000000 16
check "opentracker listens" sh -c "ss -ltn | grep -q ':$OT '"
payload_bytes=$(du -b -c "$SEED/pay" | tail -1 | cut -f1)
# 1000 KiB/s: the seeder alone would need some 18 s to give each
# leecher its copy; loopback between the leechers is far faster.
btd_seeder s 7401 1000

socks=""
for n in 1 2 3 4; do
	btd_start "l$n" -p "741$n"
	socks="$socks $SOCK"
done
# Added at the same moment.
adds=""
for s in $socks; do
	"$BTCTL" -s "$s" add "$TOR" >/dev/null &
	adds="$adds $!"
done
# shellcheck disable=SC2086
wait $adds
start=$(date +%s)
n=0
for s in $socks; do
	n=$((n + 1))
	check "leecher $n: complete" "$BTCTL" -s "$s" wait "$ID" --timeout 90
	check "leecher $n: same bytes" same_data "$T/l$n/dl"
done
took=$(( $(date +%s) - start ))
# Every leecher got pieces from the others: the uploads of the btd
# leechers add up to a good share of the payload.
traded=0
for s in $socks; do
	traded=$((traded + $(tfield "$s" "$ID" uploaded)))
done
check "the leechers uploaded to each other ($traded bytes)" \
    [ "$traded" -ge "$payload_bytes" ]
# The seeder's counter is what peerd reported last (every second).
sleep 2
up=$(tfield "$SS" "$ID" uploaded)
# Without trading the seeder would upload 4 x the payload (each leecher
# its own copy).  With it, each piece needs to leave the seeder about
# once; pieces requested of it by several leechers at the start, end
# game duplicates and the seeder's own pipeline add to that, so 3 x
# leaves room for those while still failing a swarm that does not
# trade (which sits at 4 x).
check "the seeder uploaded less than 3 x the payload ($up of $payload_bytes, ${took}s)" \
    [ "${up:-999999999}" -lt $((3 * payload_bytes)) ]
for s in $socks $SS; do
	"$BTCTL" -s "$s" shutdown >/dev/null
done
