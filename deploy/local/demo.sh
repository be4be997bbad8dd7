#!/usr/bin/env bash
# The whole system on this machine, with no cluster, as a small real mesh (deploy/local/mesh.py):
# etcd behind its sidecar, storage-service behind its sidecar, an ingress gateway, every proxy a
# real Envoy writing Istio's access-log format, Prometheus scraping every proxy, etcd and the
# service each second, and the meshtop dashboard driving load through the gateway.
# Every process is stopped on the way out (q, Ctrl-C, SIGTERM or an error).
#   demo.sh                       the dashboard (q quits); deploy/local/fault.sh from a second
#                                 terminal causes faults
#   demo.sh --headless SECONDS    no dashboard: SECONDS of load, then `meshtop snapshot`, the
#                                 pair counts and `meshtop health`, exiting with health's status
#   RATE=20 (requests/s of load)  MEMBERS=1 (etcd members, up to 5)  LOG_FORMAT=text|json
set -euo pipefail
cd "$(dirname "$0")/../.."

headless=""
if [[ ${1:-} == --headless ]]; then
    headless=${2:-20}
    [[ $headless =~ ^[0-9]+$ ]] || { echo "demo.sh: --headless takes a number of seconds" >&2; exit 2; }
elif [[ $# -gt 0 ]]; then
    echo "usage: demo.sh [--headless SECONDS]" >&2
    exit 2
fi
rate=${RATE:-20}
members=${MEMBERS:-1}
log_format=${LOG_FORMAT:-text}
[[ $rate =~ ^[0-9]+$ && $rate -gt 0 ]] || { echo "demo.sh: RATE must be a number of requests per second" >&2; exit 2; }
[[ $members =~ ^[1-5]$ ]] || { echo "demo.sh: MEMBERS must be 1 to 5" >&2; exit 2; }
[[ $log_format == text || $log_format == json ]] || { echo "demo.sh: LOG_FORMAT must be text or json" >&2; exit 2; }

# BUILD=debug uses the debug build (what `make test` already has) instead of a release build.
configuration=${BUILD:-release}
deploy/local/ensure-deps.sh
build_log=$(mktemp)
if ! swift build -c "$configuration" -q >"$build_log" 2>&1; then
    cat "$build_log" >&2
    rm -f "$build_log"
    exit 1
fi
rm -f "$build_log"
bin=$(swift build -c "$configuration" --show-bin-path)

data=$(mktemp -d -t meshtop-demo-XXXXXX)
# shellcheck source=deploy/local/mesh.sh
source deploy/local/mesh.sh
# Where fault.sh finds the running mesh.
pointer=${TMPDIR:-/tmp}/meshtop-demo-mesh
# shellcheck disable=SC2317 # reached through the traps below
cleanup() {
    trap - EXIT INT TERM
    mesh_down
    [[ $(cat "$pointer" 2>/dev/null) == "$data/mesh/mesh.json" ]] && rm -f "$pointer"
    rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mesh_up "$data/mesh" --bin "$bin" --members "$members" --log-format "$log_format"
echo "$mesh_json" >"$pointer"
gateway=$(mesh_get gateway)
service=$(mesh_get service)
prometheus=$(mesh_get prometheus)
etcd=$(mesh_get etcd)
mapfile -t logs < <(mesh_get access_logs)
log_flags=()
for log in "${logs[@]}"; do log_flags+=(--logs "$log"); done

# The key the load reads, written through the gateway like any client's.
curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"key":"demo","value":"hello from make demo"}' \
    "$gateway/storage"

sources=(--prometheus "$prometheus" --etcd "$etcd" --service "$service")
target="$gateway/storage/demo"

if [[ -z $headless ]]; then
    "$bin/meshtop" "${sources[@]}" "${log_flags[@]}" --load "$target" --rps "$rate"
    exit 0
fi

echo "demo: $headless s of load at $rate requests/s through the gateway on $target"
"$bin/meshtop" load --rps "$rate" -c 4 -d "${headless}s" "$target"
echo
echo "demo: meshtop snapshot (storage-service's stand-in Istio metrics)"
"$bin/meshtop" snapshot --polls 2 "${sources[@]}"
echo
echo "demo: the edges from the proxies' own stats (--profile envoy)"
"$bin/meshtop" snapshot --profile envoy --prometheus "$prometheus" | sed -n '/^EDGES/,/^$/p'
echo
echo "demo: requests paired by x-request-id in the proxies' access logs"
"$bin/meshtop" logs "${logs[@]}" --no-follow --summary
echo
echo "demo: meshtop health"
status=0
"$bin/meshtop" health "${sources[@]}" || status=$?
exit "$status"
