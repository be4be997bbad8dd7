#!/usr/bin/env bash
# What --record costs: the dashboard's CPU (meshtop's own, its load generator included) while it
# drives 200 requests/s through the local mesh's gateway and tails every proxy's log, without and
# with --record, in turns (A B B A …), and the recording's size a minute.
#   bash bench/record.sh            (env RATE=200 SECONDS_MEASURED=30 ROUNDS=4)
# Needs: swift, etcd, prometheus, envoy, tmux, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source "bench/common.sh"
need swift etcd prometheus envoy tmux python3
release_build
RATE=${RATE:-200} SECONDS_MEASURED=${SECONDS_MEASURED:-30} ROUNDS=${ROUNDS:-4} BIN=$bin PYTHONPATH=deploy/local:bench python3 - <<'PY'
import os, subprocess, tempfile, time
from mesh import Mesh
from panes import SOCKET, cpu_ticks, demo_dashboard, kill_tmux, start_dashboard, tmux

hz = os.sysconf("SC_CLK_TCK")
rate, seconds, rounds = int(os.environ["RATE"]), int(os.environ["SECONDS_MEASURED"]), int(os.environ["ROUNDS"])

with Mesh(os.environ["BIN"]) as mesh, tempfile.TemporaryDirectory() as work:
    base = demo_dashboard(os.environ["BIN"], mesh.describe(), rate) + " -c 8"
    shares = {"plain": [], "record": []}
    per_minute = []
    for round in range(rounds):
        # A B, then B A: a drift of the machine over the run weighs on both alike.
        for mode in (("plain", "record") if round % 2 == 0 else ("record", "plain")):
            file = os.path.join(work, f"run-{round}.mtr")
            try:
                pid = start_dashboard(base + (f" --record {file}" if mode == "record" else ""), "sent")
                time.sleep(5)  # past the start-up: back-fill, first polls, connections open
                size0 = os.path.getsize(file) if mode == "record" else 0
                before, t0 = cpu_ticks(pid), time.monotonic()
                time.sleep(seconds)
                after, t1 = cpu_ticks(pid), time.monotonic()
                shares[mode].append((after - before) / hz / (t1 - t0) * 100)
                if mode == "record":
                    per_minute.append((os.path.getsize(file) - size0) / (t1 - t0) * 60)
                tmux("send-keys", "-t", "main", "q")
            finally:
                kill_tmux()
                # The server exits after kill-server returns: the next run needs the name free.
                while subprocess.run(["tmux", "-L", SOCKET, "has-session", "-t", "main"], capture_output=True).returncode == 0:
                    time.sleep(0.1)
    plain, record = sum(shares["plain"]) / rounds, sum(shares["record"]) / rounds
    print(f"{rate} requests/s through the gateway, every proxy's log tailed, {rounds} x {seconds} s each way")
    print(f"{'meshtop CPU without --record':40} {plain:6.1f} % of one core  ({', '.join(f'{s:.1f}' for s in shares['plain'])})")
    print(f"{'meshtop CPU with --record':40} {record:6.1f} % of one core  ({', '.join(f'{s:.1f}' for s in shares['record'])})")
    print(f"{'with / without':40} {record / plain:6.2f}x   (target <= 1.10)")
    print(f"{'recording size':40} {sum(per_minute) / len(per_minute) / 1024:6.0f} KiB a minute")
PY
