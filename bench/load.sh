#!/usr/bin/env bash
# meshtop load against wrk on the same local server in one run: the maximum rate with 64
# connections for DURATION each (closed model), then how close `--rps 500` comes to 500
# requests per second (open model).
#   bash bench/load.sh            (env DURATION=10s, RATE=500, ROUNDS=3)
# The server is storage-service's GET / (no etcd call behind it), so the generators, not
# the server's storage, are what is compared; it runs in the local mesh (deploy/local/mesh.py)
# without proxies or Prometheus, so nothing else competes for the cores and the runs stay
# comparable with the earlier ones. The maximum rate is measured twice:
#   shared   - server and generator on both cores, competing for them: a generator that
#              spends more CPU per request leaves the server less;
#   separate - server pinned to CPU 1, generator to CPU 0 (taskset), the way a load test
#              runs with the generator on its own machine: can it drive the server as hard?
# CPU per request (user + system time of the generator / requests) is printed for each.
# Needs: swift, etcd, wrk, python3, taskset; 2 or more cores for the separate runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source "bench/common.sh"
need swift etcd wrk python3 taskset
release_build
DURATION=${DURATION:-10s} RATE=${RATE:-500} ROUNDS=${ROUNDS:-3} BIN=$bin PYTHONPATH=deploy/local python3 - <<'PY'
import json, os, re, statistics, subprocess, sys
from mesh import Mesh, MeshError

def timed(args):
    """Runs a generator; returns its stdout and the CPU seconds it used."""
    before = os.times()
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    after = os.times()
    return out, (after.children_user - before.children_user) + (after.children_system - before.children_system)

mesh = Mesh(bin_dir=os.environ["BIN"], proxies=False, prometheus=False, istio_metrics=False)
try:
    mesh.start()
    bin, duration, rate = mesh.bin_dir, os.environ["DURATION"], float(os.environ["RATE"])
    rounds = int(os.environ["ROUNDS"])
    url = mesh.service_url + "/"
    server = mesh.procs["storage-service"].pid

    def compare(label, pin):
        # wrk and meshtop take turns, ROUNDS times: the machine's speed drifts over a minute,
        # and a ratio of two neighbouring runs is steadier than one of two distant ones.
        ratios, rows = [], []
        for _ in range(rounds):
            wrk, wrk_cpu = timed(pin + ["wrk", "-t1", "-c64", f"-d{duration}", url])
            wrk_requests = int(re.search(r"(\d+) requests in", wrk).group(1))
            wrk_rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", wrk).group(1))
            out, cpu = timed(pin + [f"{bin}/meshtop", "load", "-c", "64", "-d", duration, url, "--json"])
            ours = json.loads(out)
            ratios.append(ours["rps"] / wrk_rate)
            rows.append((wrk_rate, wrk_cpu * 1e6 / wrk_requests, ours, cpu * 1e6 / ours["requests"]))
        print(f"{label}:")
        for wrk_rate, wrk_us, ours, our_us in rows:
            print(f"  wrk {wrk_rate:8.0f} req/s {wrk_us:5.1f} us CPU/req | meshtop {ours['rps']:8.0f} req/s {our_us:5.1f} us CPU/req"
                  f"  p50 {ours['latency_ms']['p50']} ms  p99 {ours['latency_ms']['p99']} ms  errors {sum(ours['errors'].values())}"
                  f" | ratio {ours['rps'] / wrk_rate:.2f}")
        print(f"  meshtop / wrk, median of {rounds} = {statistics.median(ratios):.2f}   (target >= 0.9)")

    compare("shared cores", [])
    if os.cpu_count() >= 2:
        subprocess.run(["taskset", "-a", "-p", "-c", "1", str(server)], check=True, capture_output=True)
        compare("separate cores (server on CPU 1, generator on CPU 0)", ["taskset", "-c", "0"])
        subprocess.run(["taskset", "-a", "-p", "-c", f"0-{os.cpu_count() - 1}", str(server)], check=True, capture_output=True)

    paced = json.loads(subprocess.run([f"{bin}/meshtop", "load", "-c", "64", "--rps", str(rate), "-d", duration, url, "--json"],
                                      check=True, capture_output=True, text=True).stdout)
    error = abs(paced["rps"] - rate) / rate * 100
    print(f"{'meshtop load --rps ' + str(int(rate)) + ' -d ' + duration:36} {paced['rps']:8.1f} req/s   p50 {paced['latency_ms']['p50']} ms  p99 {paced['latency_ms']['p99']} ms")
    print(f"achieved-rate error = {error:.2f} %   (target <= 1 %)")
except MeshError as failure:
    sys.exit(f"bench: {failure}")
finally:
    mesh.stop()
PY
