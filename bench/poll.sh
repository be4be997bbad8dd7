#!/usr/bin/env bash
# One full poll of every source against the slowest single request of that poll, in one run,
# on the local mesh (deploy/local/mesh.py) without its proxies: real etcd, storage-service with
# Istio metrics under load, and Prometheus scraping both every second. No Envoys, so the numbers
# stay comparable with the earlier runs: what is timed is meshtop's poll of Prometheus, etcd and
# the service, which the proxies would only slow down by sharing the two cores.
#   bash bench/poll.sh            (env RUNS=15, RATE=20 requests/s of background load)
# The full poll is the third poll of `meshtop snapshot --json --polls 3` (the slowest of its
# sources' latency_ms); each single request is timed alone, from Python, on a new connection.
# Needs: swift, etcd, prometheus, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source "bench/common.sh"
need swift etcd prometheus python3
release_build
RUNS=${RUNS:-15} RATE=${RATE:-20} BIN=$bin PYTHONPATH=deploy/local python3 - <<'PY'
import json, os, statistics, subprocess, sys, threading, time, urllib.parse, urllib.request
from mesh import Mesh, MeshError

mesh = Mesh(bin_dir=os.environ["BIN"], proxies=False)
try:
    mesh.start()
    bin = mesh.bin_dir; runs = int(os.environ["RUNS"])
    etcd, service, prometheus = mesh.etcd_url, mesh.service_url, mesh.prometheus_url
    stop = threading.Event()
    rate = float(os.environ["RATE"])
    def load():
        # Paced like `make demo`'s load (20 requests/s): an unpaced loop would keep both cores
        # busy and time the machine's queue instead of the poll.
        n, begin = 0, time.monotonic()
        while not stop.is_set():
            n += 1
            if stop.wait(max(0.0, begin + n / rate - time.monotonic())): break
            try:
                urllib.request.urlopen(urllib.request.Request(service + "/storage", data=json.dumps({"key": f"k{n%20}", "value": "v"}).encode(),
                                       method="PUT", headers={"Content-Type": "application/json"}), timeout=2).read()
            except Exception:
                pass
    threading.Thread(target=load, daemon=True).start()
    time.sleep(15)  # let Prometheus gather 15 scrapes of traffic: the rates need a window of samples

    # The third poll of a process: connections open and the etcd members known, as in the dashboard.
    cmd = [f"{bin}/meshtop", "snapshot", "--json", "--polls", "3", "--interval", "100ms", "--prometheus", prometheus, "--etcd", etcd, "--service", service]
    env = dict(os.environ, PATH="/usr/bin:/bin")  # no kubectl: the Kubernetes checks are not part of this
    env.pop("KUBECONFIG", None)
    walls, inner, per_source = [], [], {}
    for _ in range(runs):
        t = time.monotonic(); out = subprocess.run(cmd, capture_output=True, env=env, check=True).stdout; walls.append(time.monotonic() - t)
        snap = json.loads(out)
        assert snap["sources"]["prometheus"]["ok"] and snap["sources"]["etcd"]["ok"], snap["sources"]
        assert snap["edges"], "no edges: the load did not reach Prometheus"
        inner.append(max(s["latency_ms"] or 0 for s in snap["sources"].values() if s["configured"]) / 1000)
        for name, s in snap["sources"].items():
            if s["configured"]: per_source.setdefault(name, []).append(s["latency_ms"] / 1000)
    startup = []
    for _ in range(runs):
        t = time.monotonic(); subprocess.run([f"{bin}/meshtop", "--version"], capture_output=True, check=True); startup.append(time.monotonic() - t)

    # Every request of one poll, alone, on a new connection.
    edge = "source_workload, source_workload_namespace, destination_workload, destination_workload_namespace, destination_service"
    promql = [
        f'sum by ({edge}, response_code, response_flags) (rate(istio_requests_total{{reporter="destination"}}[1m]))',
        f'sum by (le, {edge}) (rate(istio_request_duration_milliseconds_bucket{{reporter="destination"}}[1m]))',
        f'sum by ({edge}) (rate(istio_tcp_sent_bytes_total{{reporter="destination"}}[1m]))',
    ]
    singles = {}
    def timed(name, url, body=None, method="GET"):
        samples = []
        for _ in range(runs):
            t = time.monotonic()
            with urllib.request.urlopen(urllib.request.Request(url, data=body, method=method), timeout=5) as r: r.read()
            samples.append(time.monotonic() - t)
        singles[name] = statistics.median(samples)
    timed("prometheus ready", prometheus + "/-/ready")
    timed("prometheus targets", prometheus + "/api/v1/targets?state=active")
    for i, q in enumerate(promql):
        timed(f"prometheus query {i+1}", prometheus + "/api/v1/query", urllib.parse.urlencode({"query": q}).encode(), "POST")
    timed("etcd member list", etcd + "/v3/cluster/member/list", b"{}", "POST")
    timed("etcd status", etcd + "/v3/maintenance/status", b"{}", "POST")
    timed("etcd health", etcd + "/health")
    timed("etcd v2 keys", etcd + "/v2/keys/")
    timed("service GET /", service + "/")
    stop.set()

    slowest_name = max(singles, key=singles.get)
    slowest = singles[slowest_name]
    poll_inner = statistics.median(inner)
    poll_wall = statistics.median(walls)
    start_wall = statistics.median(startup)
    print(f"{'request (median of ' + str(runs) + ')':40} {'ms':>8}")
    for name, value in sorted(singles.items(), key=lambda kv: -kv[1]):
        print(f"{name:40} {value*1000:8.2f}")
    for name, values in sorted(per_source.items()):
        print(f"{'poll of ' + name + ' (all its requests)':40} {statistics.median(values)*1000:8.2f}")
    print(f"{'full poll, in process (slowest source)':40} {poll_inner*1000:8.2f}")
    print(f"{'meshtop snapshot --polls 3, whole process':40} {poll_wall*1000:8.2f}")
    print(f"{'meshtop --version (process start)':40} {start_wall*1000:8.2f}")
    print(f"full poll / slowest single request ({slowest_name}) = {poll_inner/slowest:.2f}x   (target <= 1.2x)")
except MeshError as error:
    sys.exit(f"bench: {error}")
finally:
    mesh.stop()

PY
