#!/usr/bin/env bash
# meshtop load against wrk on the same local server in one run: the maximum rate with 64
# connections for DURATION each (closed model), then how close `--rps 500` comes to 500
# requests per second (open model).
#   bash bench/load.sh            (env DURATION=10s, RATE=500)
# The server is storage-service's GET / (no etcd call behind it), so the generators, not
# the server's storage, are what is compared. Needs: swift, etcd, wrk, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in swift etcd wrk python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done
swift build -c release --product meshtop --quiet
swift build -c release --product storage-service --quiet
bin=$(swift build -c release --show-bin-path)
DURATION=${DURATION:-10s} RATE=${RATE:-500} BIN=$bin PYTHONPATH=bench python3 - <<'PY'
import json, os, re, subprocess
from localstack import LocalStack

with LocalStack(os.environ["BIN"]) as stack:
    bin, duration, rate = stack.bin, os.environ["DURATION"], float(os.environ["RATE"])
    url = stack.service(stack.etcd()) + "/"

    wrk = subprocess.run(["wrk", "-t1", "-c64", f"-d{duration}", url], check=True, capture_output=True, text=True).stdout
    wrk_rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", wrk).group(1))
    ours = json.loads(subprocess.run([f"{bin}/meshtop", "load", "-c", "64", "-d", duration, url, "--json"],
                                     check=True, capture_output=True, text=True).stdout)
    paced = json.loads(subprocess.run([f"{bin}/meshtop", "load", "-c", "64", "--rps", str(rate), "-d", duration, url, "--json"],
                                      check=True, capture_output=True, text=True).stdout)
    error = abs(paced["rps"] - rate) / rate * 100
    print(f"{'wrk -t1 -c64 -d' + duration:40} {wrk_rate:10.0f} req/s")
    print(f"{'meshtop load -c 64 -d ' + duration:40} {ours['rps']:10.0f} req/s   p50 {ours['latency_ms']['p50']} ms  p99 {ours['latency_ms']['p99']} ms  errors {sum(ours['errors'].values())}")
    print(f"meshtop / wrk = {ours['rps'] / wrk_rate:.2f}   (target >= 0.9)")
    print(f"{'meshtop load --rps ' + str(int(rate)) + ' -d ' + duration:40} {paced['rps']:10.1f} req/s   p50 {paced['latency_ms']['p50']} ms  p99 {paced['latency_ms']['p99']} ms")
    print(f"achieved-rate error = {error:.2f} %   (target <= 1 %)")
PY
