#!/usr/bin/env bash
# What storage-service adds on top of etcd for one read: wrk against the service's
# GET /storage/bench, then against etcd's own POST /v3/kv/range for the same etcd key "/bench".
# Same wrk settings and duration for both, one run each, on loopback.
#
#   bash bench/service.sh [--json]      (env DURATION=10s by default)
#
# Builds the release binary, starts a throwaway etcd and the service, and stops both and
# deletes their data on exit. Needs: swift, etcd, wrk, curl, python3 (only to pick free ports).
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
READY_TIMEOUT=30 # seconds

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in swift etcd wrk curl python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

# --- cleanup: everything started here is stopped and deleted, on success, error or Ctrl-C ---

TMP=$(mktemp -d "${TMPDIR:-/tmp}/storage-bench.XXXXXX")
ETCD_PID=""
SERVICE_PID=""

stop_process() { # pid: SIGTERM, up to 5 s to exit, then SIGKILL
    local pid=$1
    [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    stop_process "$SERVICE_PID"
    stop_process "$ETCD_PID"
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
# Without these a signal would kill bash without running the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ---

# Three distinct free loopback ports: all sockets stay bound until all are chosen.
free_ports() {
    python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'
}

# Poll a readiness check until it passes; fail with the server's log if it dies or times out.
wait_ready() { # name pid logfile command...
    local name=$1 pid=$2 logfile=$3
    shift 3
    local deadline=$((SECONDS + READY_TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || { log "$name exited before it was ready:"; tail -n 40 "$logfile" >&2; exit 1; }
        ((SECONDS < deadline)) || { log "$name not ready within ${READY_TIMEOUT}s:"; tail -n 40 "$logfile" >&2; exit 1; }
        sleep 0.1
    done
}

etcd_healthy() { curl -fsS --max-time 1 "$1/health" | grep -q '"health":"true"'; }

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
SERVICE_BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/storage-service"
[[ -x "$SERVICE_BIN" ]] || die "no binary at $SERVICE_BIN"

# --- servers ---

PORTS=$(free_ports)
read -r ETCD_PORT PEER_PORT SERVICE_PORT <<<"$PORTS"
ETCD_URL="http://127.0.0.1:$ETCD_PORT"
PEER_URL="http://127.0.0.1:$PEER_PORT"
SERVICE_URL="http://127.0.0.1:$SERVICE_PORT"

log "starting etcd on $ETCD_URL"
(
    # etcd also reads ETCD_* variables; the caller's must not change this throwaway cluster.
    while read -r name; do unset "$name"; done < <(compgen -e | grep '^ETCD_' || true)
    exec etcd --name default --data-dir "$TMP/etcd-data" \
        --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
        --listen-peer-urls "$PEER_URL" --initial-advertise-peer-urls "$PEER_URL" \
        --initial-cluster "default=$PEER_URL"
) >"$TMP/etcd.log" 2>&1 &
ETCD_PID=$!
wait_ready etcd "$ETCD_PID" "$TMP/etcd.log" etcd_healthy "$ETCD_URL"

log "starting storage-service on $SERVICE_URL"
"$SERVICE_BIN" --host 127.0.0.1 --port "$SERVICE_PORT" --etcd "$ETCD_URL" --etcd-api v3 >"$TMP/service.log" 2>&1 &
SERVICE_PID=$!
wait_ready storage-service "$SERVICE_PID" "$TMP/service.log" curl -fsS --max-time 1 "$SERVICE_URL/readyz"

# --- data: one key, read back through both paths so both runs measure a real hit ---

VALUE=$(printf 'v%.0s' $(seq 100)) # 100 bytes
curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
    --data "{\"key\":\"bench\",\"value\":\"$VALUE\"}" "$SERVICE_URL/storage" || die "could not store the key"
curl -fsS "$SERVICE_URL/storage/bench" | grep -q "\"value\":\"$VALUE\"" || die "the service does not return the key"

ETCD_KEY=$(printf '%s' /bench | base64)
cat >"$TMP/range.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"key":"$ETCD_KEY"}'
EOF
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

if ((JSON)); then
    printf '{"duration":"%s","threads":%d,"connections":%d,"service":{"rps":%s,"p50_ms":%s,"cpu_ms_per_request":%s},"etcd":{"rps":%s,"p50_ms":%s,"cpu_ms_per_request":%s},"ratio_rps":%s,"p50_added_ms":%s,"serial_p50_ms":{"service":%s,"etcd":%s,"added":%s}}\n' \
        "$DURATION" "$THREADS" "$CONNECTIONS" "$SERVICE_RPS" "$SERVICE_P50" "$CPU_SERVICE" "$ETCD_RPS" "$ETCD_P50" \
        "$CPU_ETCD_DIRECT" "$RATIO" "$ADDED" "$SERIAL_SERVICE_P50" "$SERIAL_ETCD_P50" "$SERIAL_ADDED"
else
    printf '%-40s %12s %10s\n' target rps "p50 ms"
    printf '%-40s %12.2f %10.2f\n' "service GET /storage/bench" "$SERVICE_RPS" "$SERVICE_P50"
    printf '%-40s %12.2f %10.2f\n' "etcd POST /v3/kv/range" "$ETCD_RPS" "$ETCD_P50"
    echo "ratio service/etcd rps = $RATIO"
    echo "p50 added = $ADDED ms  (at $CONNECTIONS connections)"
    echo "p50 added = $SERIAL_ADDED ms  (one connection: service $SERIAL_SERVICE_P50 ms, etcd $SERIAL_ETCD_P50 ms)"
    echo "cpu per request: service $CPU_SERVICE ms + etcd behind it $CPU_ETCD_BEHIND ms; etcd direct $CPU_ETCD_DIRECT ms"
fi
