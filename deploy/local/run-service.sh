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
# shellcheck source=deploy/local/mesh.sh
source deploy/local/mesh.sh
# shellcheck disable=SC2317 # reached through the traps below
cleanup() {
    trap - EXIT INT TERM
    mesh_down
    rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mesh_up "$data/mesh" --no-proxies --no-prometheus --bin "$(dirname "$service_bin")" \
    --etcd-port "$etcd_port" --service-port "$port" \
    --service-arg=--etcd-api="$api" --service-arg=--access-log="$data/access.log"

cat <<MSG

storage-service  http://127.0.0.1:$port      (web UI: http://127.0.0.1:$port/web)
etcd             http://127.0.0.1:$etcd_port     (API $api for the service; v2 and v3 both on)
access log       $data/access.log

  curl -X PUT http://127.0.0.1:$port/storage -d '{"key":"istioTest","value":"Testing Istio"}'
  curl http://127.0.0.1:$port/storage/istioTest

Ctrl-C stops both.
MSG
wait "$mesh_pid"
