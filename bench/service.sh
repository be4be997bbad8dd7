#!/usr/bin/env bash
# What storage-service adds on top of etcd for one read: wrk against the service's
# GET /storage/bench, then against etcd's own POST /v3/kv/range for the same etcd key "/bench";
# and what its sidecar adds: the same GET through the service's Envoy sidecar (the mesh's
# `storage_inbound`) against the same GET straight to the service, in one mesh.
# Same wrk settings and duration for every run, one run each, on loopback.
#
#   bash bench/service.sh [--json]      (env DURATION=10s by default)
#
# Builds the release binary and runs on the local mesh (deploy/local/mesh.py), twice:
#   without proxies   the service calls etcd directly: service vs etcd, comparable with the
#                     earlier runs of this script;
#   with proxies      the service's etcd calls go through its sidecar and etcd's, as in the
#                     cluster: the service direct vs through its inbound sidecar, both with the
#                     same path to etcd behind, so the difference is the inbound hop alone.
# Each mesh is stopped and its data deleted on exit. Needs: swift, etcd, envoy, wrk, curl, python3.
set -euo pipefail

usage() { echo "usage: bash bench/service.sh [--json]   (env: DURATION, default 10s)"; }

JSON=0
for arg in "$@"; do
    case "$arg" in
        --json) JSON=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

DURATION=${DURATION:-10s}
THREADS=2
CONNECTIONS=32
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in swift etcd envoy wrk curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"

# --- cleanup: everything started here is stopped and deleted, on success, error or Ctrl-C ---

TMP=$(mktemp -d "${TMPDIR:-/tmp}/storage-bench.XXXXXX")

cleanup() {
    local status=$?
    mesh_down
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
# Without these a signal would kill bash without running the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ---

# wrk prints latencies as 812.00us, 1.23ms, 1.02s or 1.50m; all become milliseconds.
to_ms() {
    awk -v t="$1" 'BEGIN {
        n = t + 0
        if (t ~ /us$/) n /= 1000; else if (t ~ /ms$/) n *= 1; else if (t ~ /m$/) n *= 60000; else if (t ~ /s$/) n *= 1000
        printf "%.3f", n }'
}

# One wrk run; prints "rps p50_ms". Aborts if any answer was not 2xx: a benchmark of errors
# (a missing key, etcd refusing) would look fast and mean nothing.
run_wrk() { # name connections url [lua script]
    local name=$1 connections=$2 url=$3 script=${4:-}
    local threads=$((connections < THREADS ? connections : THREADS))
    local out="$TMP/wrk-$name.txt"
    log "wrk $name: $url, $connections connections, for $DURATION"
    # In the background and waited for, so that Ctrl-C interrupts the wait: in the foreground,
    # wrk would print partial results and exit 0, and they would be parsed as a finished run.
    # (This is a $(...) subshell; the script's own traps do not apply here.)
    wrk -t"$threads" -c"$connections" -d"$DURATION" --latency ${script:+-s "$script"} "$url" >"$out" &
    WRK_PID=$!
    trap 'kill "$WRK_PID" 2>/dev/null; exit 130' INT TERM
    wait "$WRK_PID"
    trap - INT TERM
    if grep -q 'Non-2xx' "$out"; then
        cat "$out" >&2
        die "$name answered with non-2xx statuses"
    fi
    local rps p50 count
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    p50=$(awk '$1 == "50%" { print $2 }' "$out")
    count=$(awk '/requests in/ { print $1 }' "$out")
    [[ -n "$rps" && -n "$p50" && -n "$count" ]] || { cat "$out" >&2; die "could not parse the wrk output of $name"; }
    echo "$rps $(to_ms "$p50") $count"
}

# CPU time a process has used so far, in clock ticks (user + system), from /proc.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICKS_PER_SECOND=$(getconf CLK_TCK)

# --- build ---

log "building release (swift build -c release)"
(cd "$ROOT" && swift build -c release --quiet) >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; die "build failed"; }
BIN_DIR=$(cd "$ROOT" && swift build -c release --show-bin-path)
[[ -x "$BIN_DIR/storage-service" ]] || die "no binary at $BIN_DIR/storage-service"

# --- data: one key, read back through every path so every run measures a real hit ---

VALUE=$(printf 'v%.0s' $(seq 100)) # 100 bytes
ETCD_KEY=$(printf '%s' /bench | base64)
cat >"$TMP/range.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"key":"$ETCD_KEY"}'
EOF

store_key() { # service-url: stores the key through the service and reads it back
    curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
        --data "{\"key\":\"bench\",\"value\":\"$VALUE\"}" "$1/storage" || die "could not store the key"
    curl -fsS "$1/storage/bench" | grep -q "\"value\":\"$VALUE\"" || die "the service does not return the key"
}

# --- the mesh without proxies: service vs etcd ---

log "starting the local mesh without proxies"
mesh_up "$TMP/direct" --bin "$BIN_DIR" --no-proxies --no-prometheus --no-istio-metrics
SERVICE_URL=$(mesh_get service)
ETCD_URL=$(mesh_get etcd)
SERVICE_PID=$(mesh_pid_of storage-service)
ETCD_PID=$(mesh_pid_of etcd-0)
store_key "$SERVICE_URL"
curl -fsS -X POST -H 'Content-Type: application/json' --data "{\"key\":\"$ETCD_KEY\"}" "$ETCD_URL/v3/kv/range" |
    grep -q '"count":"1"' || die "etcd does not hold /bench"

# --- runs ---

# Assigned first, not read from <(...): set -e then stops the script if a run failed.
# The throughput pair also records how much CPU each server spent per request: on a small
# machine wrk, etcd and the service share the cores, so CPU per request decides the ratio.
SERVICE_TICKS0=$(cpu_ticks "$SERVICE_PID")
ETCD_TICKS0=$(cpu_ticks "$ETCD_PID")
SERVICE_RESULT=$(run_wrk service "$CONNECTIONS" "$SERVICE_URL/storage/bench")
SERVICE_TICKS1=$(cpu_ticks "$SERVICE_PID")
ETCD_TICKS1=$(cpu_ticks "$ETCD_PID")
ETCD_RESULT=$(run_wrk etcd "$CONNECTIONS" "$ETCD_URL/v3/kv/range" "$TMP/range.lua")
ETCD_TICKS2=$(cpu_ticks "$ETCD_PID")
# One connection: latency without queueing, i.e. what one proxied read adds.
SERVICE_SERIAL=$(run_wrk service-serial 1 "$SERVICE_URL/storage/bench")
ETCD_SERIAL=$(run_wrk etcd-serial 1 "$ETCD_URL/v3/kv/range" "$TMP/range.lua")
mesh_down

# --- the mesh with proxies: the service direct vs through its sidecar ---

log "starting the local mesh with its proxies"
mesh_up "$TMP/mesh" --bin "$BIN_DIR" --no-prometheus --no-istio-metrics
MESH_SERVICE_URL=$(mesh_get service)
SIDECAR_URL=$(mesh_get storage_inbound)
SIDECAR_PID=$(mesh_pid_of proxy-etcd-storage/istio-proxy)
store_key "$SIDECAR_URL"
SIDECAR_TICKS0=$(cpu_ticks "$SIDECAR_PID")
DIRECT_RESULT=$(run_wrk mesh-direct "$CONNECTIONS" "$MESH_SERVICE_URL/storage/bench")
SIDECAR_TICKS1=$(cpu_ticks "$SIDECAR_PID")
INBOUND_RESULT=$(run_wrk mesh-sidecar "$CONNECTIONS" "$SIDECAR_URL/storage/bench")
SIDECAR_TICKS2=$(cpu_ticks "$SIDECAR_PID")
DIRECT_SERIAL=$(run_wrk mesh-direct-serial 1 "$MESH_SERVICE_URL/storage/bench")
INBOUND_SERIAL=$(run_wrk mesh-sidecar-serial 1 "$SIDECAR_URL/storage/bench")
mesh_down
read -r DIRECT_RPS DIRECT_P50 DIRECT_COUNT <<<"$DIRECT_RESULT"
read -r INBOUND_RPS INBOUND_P50 INBOUND_COUNT <<<"$INBOUND_RESULT"
read -r _ SERIAL_DIRECT_P50 _ <<<"$DIRECT_SERIAL"
read -r _ SERIAL_INBOUND_P50 _ <<<"$INBOUND_SERIAL"

read -r SERVICE_RPS SERVICE_P50 SERVICE_COUNT <<<"$SERVICE_RESULT"
read -r ETCD_RPS ETCD_P50 ETCD_COUNT <<<"$ETCD_RESULT"
read -r _ SERIAL_SERVICE_P50 _ <<<"$SERVICE_SERIAL"
read -r _ SERIAL_ETCD_P50 _ <<<"$ETCD_SERIAL"

per_request_ms() { awk -v t="$1" -v n="$2" -v hz="$TICKS_PER_SECOND" 'BEGIN { printf "%.3f", t * 1000 / hz / n }'; }
CPU_SERVICE=$(per_request_ms $((SERVICE_TICKS1 - SERVICE_TICKS0)) "$SERVICE_COUNT")
CPU_ETCD_BEHIND=$(per_request_ms $((ETCD_TICKS1 - ETCD_TICKS0)) "$SERVICE_COUNT")
CPU_ETCD_DIRECT=$(per_request_ms $((ETCD_TICKS2 - ETCD_TICKS1)) "$ETCD_COUNT")
SERIAL_ADDED=$(awk -v a="$SERIAL_SERVICE_P50" -v b="$SERIAL_ETCD_P50" 'BEGIN { printf "%.2f", a - b }')

RATIO=$(awk -v a="$SERVICE_RPS" -v b="$ETCD_RPS" 'BEGIN { printf "%.2f", a / b }')
ADDED=$(awk -v a="$SERVICE_P50" -v b="$ETCD_P50" 'BEGIN { printf "%.2f", a - b }')
SIDECAR_RATIO=$(awk -v a="$INBOUND_RPS" -v b="$DIRECT_RPS" 'BEGIN { printf "%.2f", a / b }')
SIDECAR_ADDED=$(awk -v a="$INBOUND_P50" -v b="$DIRECT_P50" 'BEGIN { printf "%.2f", a - b }')
SIDECAR_SERIAL_ADDED=$(awk -v a="$SERIAL_INBOUND_P50" -v b="$SERIAL_DIRECT_P50" 'BEGIN { printf "%.2f", a - b }')
# The sidecar's Envoy carries the outbound etcd call in both runs; only the second adds the inbound hop.
CPU_SIDECAR_DIRECT=$(per_request_ms $((SIDECAR_TICKS1 - SIDECAR_TICKS0)) "$DIRECT_COUNT")
CPU_SIDECAR_INBOUND=$(per_request_ms $((SIDECAR_TICKS2 - SIDECAR_TICKS1)) "$INBOUND_COUNT")

if ((JSON)); then
    printf '{"duration":"%s","threads":%d,"connections":%d,"service":{"rps":%s,"p50_ms":%s,"cpu_ms_per_request":%s},"etcd":{"rps":%s,"p50_ms":%s,"cpu_ms_per_request":%s},"ratio_rps":%s,"p50_added_ms":%s,"serial_p50_ms":{"service":%s,"etcd":%s,"added":%s},' \
        "$DURATION" "$THREADS" "$CONNECTIONS" "$SERVICE_RPS" "$SERVICE_P50" "$CPU_SERVICE" "$ETCD_RPS" "$ETCD_P50" \
        "$CPU_ETCD_DIRECT" "$RATIO" "$ADDED" "$SERIAL_SERVICE_P50" "$SERIAL_ETCD_P50" "$SERIAL_ADDED"
    printf '"sidecar":{"rps":%s,"p50_ms":%s,"direct_rps":%s,"direct_p50_ms":%s,"ratio_rps":%s,"p50_added_ms":%s,"serial_p50_ms":{"sidecar":%s,"direct":%s,"added":%s},"envoy_cpu_ms_per_request":{"sidecar":%s,"direct":%s}}}\n' \
        "$INBOUND_RPS" "$INBOUND_P50" "$DIRECT_RPS" "$DIRECT_P50" "$SIDECAR_RATIO" "$SIDECAR_ADDED" \
        "$SERIAL_INBOUND_P50" "$SERIAL_DIRECT_P50" "$SIDECAR_SERIAL_ADDED" "$CPU_SIDECAR_INBOUND" "$CPU_SIDECAR_DIRECT"
else
    printf '%-48s %12s %10s\n' target rps "p50 ms"
    printf '%-48s %12.2f %10.2f\n' "service GET /storage/bench" "$SERVICE_RPS" "$SERVICE_P50"
    printf '%-48s %12.2f %10.2f\n' "etcd POST /v3/kv/range" "$ETCD_RPS" "$ETCD_P50"
    printf '%-48s %12.2f %10.2f\n' "service GET /storage/bench through its sidecar" "$INBOUND_RPS" "$INBOUND_P50"
    echo "ratio service/etcd rps = $RATIO"
    echo "p50 added = $ADDED ms  (at $CONNECTIONS connections)"
    echo "p50 added = $SERIAL_ADDED ms  (one connection: service $SERIAL_SERVICE_P50 ms, etcd $SERIAL_ETCD_P50 ms)"
    echo "cpu per request: service $CPU_SERVICE ms + etcd behind it $CPU_ETCD_BEHIND ms; etcd direct $CPU_ETCD_DIRECT ms"
    echo "ratio sidecar/direct rps = $SIDECAR_RATIO  (the same mesh, direct to the service: $DIRECT_RPS req/s, p50 $DIRECT_P50 ms)"
    echo "p50 added by the sidecar = $SIDECAR_ADDED ms  (at $CONNECTIONS connections)"
    echo "p50 added by the sidecar = $SIDECAR_SERIAL_ADDED ms  (one connection: sidecar $SERIAL_INBOUND_P50 ms, direct $SERIAL_DIRECT_P50 ms)"
    echo "cpu per request of the service's Envoy: $CPU_SIDECAR_INBOUND ms through it, $CPU_SIDECAR_DIRECT ms direct (its etcd hop only)"
fi
