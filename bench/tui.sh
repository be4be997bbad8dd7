#!/usr/bin/env bash
# The dashboard's own cost: its CPU over 30 s on the idle local mesh (deploy/local/mesh.py)
# without its proxies (real etcd, storage-service with Istio metrics and an access log,
# Prometheus scraping both every second), with meshtop running in a tmux pane at 200x50 and
# polling every second; then the render time of a 240x70 frame of a rich made-up mesh (60 edges,
# 5 members, 1,000 request pairs). No Envoys, so the cost stays comparable with the earlier runs:
# it is meshtop's own, and idle proxies would only add their scrapes and stats to the machine.
#   bash bench/tui.sh            (env SECONDS_IDLE=30; BIN: a directory with both binaries to
#                                 use, none built; RENDER=0: the idle CPU only)
# Needs: swift, etcd, prometheus, tmux, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source "bench/common.sh"
need swift etcd prometheus tmux python3
if [[ -n "${BIN:-}" ]]; then bin=$BIN; else release_build; fi
# The render benchmark is a test (Tests/MeshTopTests/RenderBenchmark.swift), built apart
# so that the shipped binaries above stay built without -enable-testing.
render_build=.build/render-bench
if [[ "${RENDER:-1}" != 0 ]]; then
    swift build -c release --build-tests -Xswiftc -enable-testing --build-path "$render_build" --quiet
fi
RENDER=${RENDER:-1} SECONDS_IDLE=${SECONDS_IDLE:-30} BIN=$bin RENDER_BUILD=$render_build PYTHONPATH=deploy/local:bench python3 - <<'PY'
import os, subprocess, sys, time
from mesh import Mesh, MeshError
from panes import cpu_ticks, kill_tmux, start_dashboard, tmux

mesh = Mesh(bin_dir=os.environ["BIN"], proxies=False)
log = str(mesh.root / "logs" / "storage-service.log")
mesh.service_args = ("--access-log", log)
try:
    mesh.start()
    try:
        bin = mesh.bin_dir; idle = int(os.environ["SECONDS_IDLE"])
        etcd, service, prometheus = mesh.etcd_url, mesh.service_url, mesh.prometheus_url

        command = (f"exec {bin}/meshtop --prometheus {prometheus} --etcd {etcd} --service {service} --logs {log} --interval 1s")
        pid = start_dashboard(command, "Traffic")
        time.sleep(5)  # past the start-up: back-fill, first polls, connections open
        hz = os.sysconf("SC_CLK_TCK")
        before, t0 = cpu_ticks(pid), time.monotonic()
        time.sleep(idle)
        after, t1 = cpu_ticks(pid), time.monotonic()
        share = (after - before) / hz / (t1 - t0) * 100
        print(f"{'meshtop CPU, idle stack, every 1s, 200x50':48} {share:6.2f} % of one core over {t1 - t0:.0f} s   (target <= 0.5 %)")
        tmux("send-keys", "-t", "main", "q")
        if os.environ["RENDER"] == "0": sys.exit(0)
        run = subprocess.run(["swift", "test", "-c", "release", "--skip-build", "--build-path", os.environ["RENDER_BUILD"],
                              "--filter", "RenderBenchmark"],
                             check=True, capture_output=True, text=True, env={**os.environ, "MESHTOP_RENDER_BENCH": "1"})
        out = next(line for line in run.stdout.splitlines() if line.startswith("render 240x70: "))
        print(f"{'render of one 240x70 frame (no terminal)':48} {out.split(': ', 1)[1]}   (target <= 2 ms)")
        for line in run.stdout.splitlines():
            if line.startswith("graph 240x70 "):
                what, figures = line.split(": ", 1)
                print(f"{what + ' (1,000 edges)':48} {figures}   (frame target <= 2 ms)")
    finally:
        kill_tmux()
except MeshError as error:
    sys.exit(f"bench: {error}")
finally:
    mesh.stop()
PY
