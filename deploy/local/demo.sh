#!/usr/bin/env bash
# The whole system on this machine, with no cluster: etcd (v2 and v3), storage-service with
# Istio metrics and an access log, Prometheus scraping both every second, and the meshtop
# dashboard driving load at the service and pairing its requests with the service's lines.
# Everything runs on free loopback ports with its data in a temporary directory, and every
# process started here is stopped on the way out (q, Ctrl-C, SIGTERM or an error).
#   demo.sh                       the dashboard (q quits)
#   demo.sh --headless SECONDS    no dashboard: SECONDS of load, then `meshtop snapshot`, the
#                                 pair counts and `meshtop health`, exiting with health's status
#   RATE=20 (requests/s of load)
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
pids=()
# shellcheck disable=SC2317 # reached through the traps below
cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Five distinct free ports, chosen by the kernel.
read -r etcd_port peer_port service_port prometheus_port _ < <(python3 - <<'PY'
import socket
sockets = [socket.socket() for _ in range(5)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
)

# wait_for URL PID NAME LOG: polls until the URL answers, failing early if the process died.
wait_for() {
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { cat "$4" >&2; echo "demo: $3 did not start" >&2; exit 1; }
        sleep 0.1 # readiness polling
    done
    cat "$4" >&2
    echo "demo: $3 did not answer $1 within 30 s" >&2
    exit 1
}

etcd_url="http://127.0.0.1:$etcd_port"
etcd --name demo --data-dir "$data/etcd" --enable-v2 \
    --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "demo=http://127.0.0.1:$peer_port" >"$data/etcd.log" 2>&1 &
pids+=($!)
wait_for "$etcd_url/health" "${pids[-1]}" etcd "$data/etcd.log"

service_url="http://127.0.0.1:$service_port"
"$bin/storage-service" --host 127.0.0.1 --port "$service_port" --etcd "$etcd_url" \
    --istio-metrics --access-log "$data/access.log" --log-level error >"$data/service.log" 2>&1 &
pids+=($!)
wait_for "$service_url/readyz" "${pids[-1]}" storage-service "$data/service.log"

cat >"$data/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: storage-service
    static_configs: [{targets: ['127.0.0.1:$service_port']}]
  - job_name: etcd
    static_configs: [{targets: ['127.0.0.1:$etcd_port']}]
YAML
prometheus_url="http://127.0.0.1:$prometheus_port"
prometheus --config.file "$data/prometheus.yml" --storage.tsdb.path "$data/tsdb" \
    --web.listen-address "127.0.0.1:$prometheus_port" >"$data/prometheus.log" 2>&1 &
pids+=($!)
wait_for "$prometheus_url/-/ready" "${pids[-1]}" prometheus "$data/prometheus.log"

# The key the load reads.
curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"key":"demo","value":"hello from make demo"}' \
    "$service_url/storage"

sources=(--prometheus "$prometheus_url" --etcd "$etcd_url" --service "$service_url")
target="$service_url/storage/demo"

if [[ -z $headless ]]; then
    "$bin/meshtop" "${sources[@]}" --logs "$data/access.log" --load "$target" --rps "$rate"
    exit 0
fi

echo "demo: $headless s of load at $rate requests/s on $target"
"$bin/meshtop" load --rps "$rate" -c 4 -d "${headless}s" --access-log "$data/client.log" "$target"
echo
echo "demo: meshtop snapshot"
"$bin/meshtop" snapshot --polls 2 "${sources[@]}"
echo
echo "demo: requests paired by x-request-id"
"$bin/meshtop" logs "$data/client.log" "$data/access.log" --no-follow --summary
echo
echo "demo: meshtop health"
status=0
"$bin/meshtop" health "${sources[@]}" || status=$?
exit "$status"
