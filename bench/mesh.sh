#!/usr/bin/env bash
# What the local mesh costs at the demo's default rate: CPU (share of one core) and RSS of
# every process — each Envoy, etcd, Prometheus, storage-service and the meshtop dashboard —
# while the dashboard drives 20 requests/s through the gateway and tails every proxy's log.
#   bash bench/mesh.sh            (env RATE=20 SECONDS_MEASURED=60)
# Needs: swift, etcd, prometheus, envoy, tmux, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source "bench/common.sh"
need swift etcd prometheus envoy tmux python3
release_build
RATE=${RATE:-20} SECONDS_MEASURED=${SECONDS_MEASURED:-60} BIN=$bin PYTHONPATH=deploy/local:bench python3 - <<'PY'
import os, time
from mesh import Mesh
from panes import cpu_ticks, demo_dashboard, kill_tmux, rss_kib, start_dashboard, tmux

hz = os.sysconf("SC_CLK_TCK")

def sample(pid):
    return cpu_ticks(pid), rss_kib(pid)

with Mesh(os.environ["BIN"]) as mesh:
    try:
        rate, seconds = int(os.environ["RATE"]), int(os.environ["SECONDS_MEASURED"])
        d = mesh.describe()
        meshtop = start_dashboard(demo_dashboard(os.environ["BIN"], d, rate), "sent")
        time.sleep(10)  # past the start-up: back-fill, first polls, connections open, windows filling
        pids = {name: info["pid"] for name, info in d["processes"].items()}
        pids["meshtop (dashboard + load)"] = meshtop
        before, t0 = {name: sample(pid) for name, pid in pids.items()}, time.monotonic()
        time.sleep(seconds)
        after, t1 = {name: sample(pid) for name, pid in pids.items()}, time.monotonic()
        screen = tmux("capture-pane", "-p", "-t", "main")
        assert " 0 errors" in screen, screen
        print(f"{rate} requests/s through the gateway for {t1 - t0:.0f} s (the dashboard's own load, every proxy's log tailed)")
        print(f"{'process':34} {'CPU % of a core':>16} {'RSS MiB':>8}")
        total_cpu = total_rss = 0.0
        for name in pids:
            cpu = (after[name][0] - before[name][0]) / hz / (t1 - t0) * 100
            rss = after[name][1] / 1024
            total_cpu += cpu; total_rss += rss
            print(f"{name:34} {cpu:16.1f} {rss:8.1f}")
        print(f"{'all':34} {total_cpu:16.1f} {total_rss:8.1f}")
        tmux("send-keys", "-t", "main", "q")
    finally:
        kill_tmux()
PY
