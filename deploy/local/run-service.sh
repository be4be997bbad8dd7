#!/usr/bin/env bash
# A local etcd and storage-service on loopback for trying the API by hand: the local mesh
# (deploy/local/mesh.py) without proxies or Prometheus, on fixed ports.
# Ctrl-C (or any exit) stops both and removes the data directory.
#   ETCD_PORT (default 2379), PORT (default 9080), ETCD_API (v3 or v2; default v3)
set -euo pipefail
cd "$(dirname "$0")/../.."

etcd_port=${ETCD_PORT:-2379}
port=${PORT:-9080}
api=${ETCD_API:-v3}
service_bin=${STORAGE_SERVICE_BIN:-.build/debug/storage-service}
[[ $api == v3 || $api == v2 ]] || { echo "run-service: ETCD_API must be v3 or v2, not '$api'" >&2; exit 2; }

# A server already on one of the ports would make etcd or the service fail; say which port.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$etcd_port" "$port"; do
    if port_in_use "$p"; then
        echo "run-service: port $p on 127.0.0.1 is in use; choose others with ETCD_PORT=… PORT=…" >&2
        exit 2
    fi
done

data=$(mktemp -d -t meshtop-run-XXXXXX)
mesh_pid=""
# shellcheck disable=SC2317 # reached through the traps below
cleanup() {
    trap - EXIT INT TERM
    if [[ -n $mesh_pid ]]; then
        kill "$mesh_pid" 2>/dev/null || true
        wait "$mesh_pid" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 deploy/local/mesh.py up --no-proxies --no-prometheus --bin "$(dirname "$service_bin")" --dir "$data/mesh" \
    --etcd-port "$etcd_port" --service-port "$port" \
    --service-arg=--etcd-api="$api" --service-arg=--access-log="$data/access.log" >"$data/mesh.out" 2>"$data/mesh.err" &
mesh_pid=$!
until [[ -s $data/mesh.out ]]; do
    if ! kill -0 "$mesh_pid" 2>/dev/null; then
        cat "$data/mesh.err" >&2
        exit 1
    fi
    sleep 0.1 # readiness polling
done

cat <<MSG

storage-service  http://127.0.0.1:$port      (web UI: http://127.0.0.1:$port/web)
etcd             http://127.0.0.1:$etcd_port     (API $api for the service; v2 and v3 both on)
access log       $data/access.log

  curl -X PUT http://127.0.0.1:$port/storage -d '{"key":"istioTest","value":"Testing Istio"}'
  curl http://127.0.0.1:$port/storage/istioTest

Ctrl-C stops both.
MSG
wait "$mesh_pid"
