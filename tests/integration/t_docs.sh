#!/bin/sh
# The man pages: clean under mandoc's linter, and every option that a
# program's usage() prints is documented in its page.
. "$(dirname "$0")/lib.sh"

for m in "$TOP"/docs/*.[0-9]; do
	out=$(mandoc -T lint -W warning "$m" 2>&1)
	if [ -z "$out" ]; then ok "$(basename "$m"): mandoc lint clean"
	else notok "$(basename "$m"): mandoc lint: $out"; fi
done

# usage_flags PROG: the option letters in PROG's usage line.
usage_flags() {
	"$1" -h 2>&1 | head -n 1 | grep -o '\[-[a-zA-Z]*' | tr -d '[-' | fold -w1 | sort -u
}
for f in $(usage_flags "$BTD"); do
	check "btd.8 documents -$f" grep -q "^\.It Fl $f" "$TOP/docs/btd.8"
done
check "btctl.8 documents -s" grep -q "^\.It Fl s" "$TOP/docs/btctl.8"
check "btctl.8 documents --json" grep -q "json" "$TOP/docs/btctl.8"
for c in status shutdown get set restart list pause resume peers wait stats set-torrent verify; do
	check "btctl.8 documents $c" grep -q "^\.It Cm $c" "$TOP/docs/btctl.8"
done
for k in download_dir peer_port peer_ports_privileged tracker_loopback_any_path log_level restart_backoff_max trackerd_exec peerd_exec stored_exec metad_exec role_uid_base landlock_abi_max without_landlock download_dirs_allowed download_rate_limit upload_rate_limit peer_limit_global peer_limit_per_torrent cache_size preallocation rpcd_exec rpc_enabled rpc_bind rpc_host_whitelist rpc_username rpc_password rpc_timeout seed_ratio_limited seed_ratio_limit seed_idle_limited seed_idle_limit rpc_web_dir; do
	check "btd.conf.5 documents $k" grep -q "$k" "$TOP/docs/btd.conf.5"
done
