#!/usr/bin/env bash
# Starts a local etcd and storage-service on loopback for trying the API by hand.
# Ctrl-C (or any exit) stops both and removes the data directory.
#   ETCD_PORT (default 2379), PORT (default 9080), ETCD_API (v3 or v2; default v3)
set -euo pipefail
cd "$(dirname "$0")/../.."

etcd_port=${ETCD_PORT:-2379}
port=${PORT:-9080}
api=${ETCD_API:-v3}
bin=${STORAGE_SERVICE_BIN:-.build/debug/storage-service}
data=$(mktemp -d -t meshtop-run-XXXXXX)
pids=()

cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A server already on one of the ports would answer the readiness checks below in place of ours.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$etcd_port" "$((etcd_port + 1))" "$port"; do
    if port_in_use "$p"; then
        echo "run-service: port $p on 127.0.0.1 is in use; choose others with ETCD_PORT=… PORT=…" >&2
        exit 2
    fi
done

peer=$((etcd_port + 1))
etcd --name local --data-dir "$data/etcd" --enable-v2 \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "local=http://127.0.0.1:$peer" >"$data/etcd.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$etcd_port/health" 2>/dev/null | grep -q true && break
    kill -0 "${pids[0]}" 2>/dev/null || { cat "$data/etcd.log" >&2; echo "etcd did not start" >&2; exit 1; }
    sleep 0.1
done

"$bin" --host 127.0.0.1 --port "$port" --etcd "http://127.0.0.1:$etcd_port" --etcd-api "$api" \
    --access-log "$data/access.log" --istio-metrics &
pids+=($!)

for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "${pids[1]}" 2>/dev/null || { echo "storage-service did not start" >&2; exit 1; }
    sleep 0.1
done

cat <<MSG

storage-service  http://127.0.0.1:$port      (web UI: http://127.0.0.1:$port/web)
etcd             http://127.0.0.1:$etcd_port     (API $api for the service; v2 and v3 both on)
access log       $data/access.log

  curl -X PUT http://127.0.0.1:$port/storage -d '{"key":"istioTest","value":"Testing Istio"}'
  curl http://127.0.0.1:$port/storage/istioTest

Ctrl-C stops both.
MSG
wait "${pids[1]}"
