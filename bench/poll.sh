#!/usr/bin/env bash
# One full poll of every source against the slowest single request of that poll, in one run,
# on the local mesh (deploy/local/mesh.py) without its proxies: real etcd, storage-service with
# Istio metrics under load, and Prometheus scraping both every second. No Envoys, so the numbers
# stay comparable with the earlier runs: what is timed is meshtop's poll of Prometheus, etcd and
# the service, which the proxies would only slow down by sharing the two cores.
#   bash bench/poll.sh            (env RUNS=15, RATE=20 requests/s of background load;
#                                  BIN: a directory with both binaries to use, none built)
# The full poll is the third poll of `meshtop snapshot --json --polls 3` (the slowest of its
# sources' latency_ms). The poll's requests are read from a `meshtop record` of the same
# sources; each is timed alone, from Python, on a new connection, and all of them at once
# from one `curl --parallel`.
# Needs: swift, etcd, prometheus, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source "bench/common.sh"
need swift etcd prometheus python3
if [[ -n "${BIN:-}" ]]; then bin=$BIN; else release_build; fi
RUNS=${RUNS:-15} RATE=${RATE:-20} BIN=$bin PYTHONPATH=deploy/local python3 - <<'PY'
import gzip, json, os, re, statistics, struct, subprocess, sys, threading, time, urllib.parse, urllib.request
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

    # The poll's own requests, as `meshtop record` keeps them: the exchanges that come back on
    # every poll (not the scrape targets, asked on every 10th, nor the first poll's look-ups).
    # The file is gzip members of frames: kind (1 byte), time (8), field count (2), then each
    # field's length (4) and bytes, little-endian; an exchange's fields start method, URL, body.
    recording = "/tmp/meshtop-bench-poll.mtr"
    subprocess.run([f"{bin}/meshtop", "record", recording, "-d", "5s", "--interval", "1s", "--prometheus", prometheus,
                    "--etcd", etcd, "--service", service], capture_output=True, env=env, check=True)
    data, at, seen = gzip.open(recording).read(), 0, {}
    os.remove(recording)
    while at < len(data):
        kind, count = data[at], struct.unpack_from("<H", data, at + 9)[0]
        at += 11; fields = []
        for _ in range(count):
            size = struct.unpack_from("<I", data, at)[0]; fields.append(data[at + 4:at + 4 + size]); at += 4 + size
        if kind == 3:
            key = (fields[0].decode(), fields[1].decode(), fields[2])
            seen[key] = seen.get(key, 0) + 1
    requests = [key for key, times in seen.items() if times >= 3 and "/targets" not in key[1]]
    assert len(requests) >= 8, requests

    # Each of them alone, from Python, on a new connection.
    def name_of(method, url, body):
        path = urllib.parse.urlsplit(url).path
        if body and path.endswith("/query"):
            query = urllib.parse.parse_qs(body.decode()).get("query", [""])[0]
            metric = re.search(r"istio_[a-z_]+", query)
            if "rate_span" in query: return "query span (a young edge's rate)"
            if "rate(" not in query: return "query ledger counts"
            return "query " + (metric.group(0) if metric else query[:30])
        return f"{method} {path}"
    singles = {}
    for method, url, body in requests:
        samples = []
        for _ in range(runs):
            t = time.monotonic()
            with urllib.request.urlopen(urllib.request.Request(url, data=body or None, method=method), timeout=5) as r: r.read()
            samples.append(time.monotonic() - t)
        name = name_of(method, url, body)
        while name in singles: name += "'"
        singles[name] = statistics.median(samples)

    # The same requests all at once from one curl process (one multi handle, as meshtop's poll
    # runs them): the machine's own cost of answering a poll's requests together. Its
    # connections are new; the poll's are open.
    def curl_parallel():
        cmd = ["curl", "--silent", "--show-error", "--parallel", "--parallel-immediate", "--parallel-max", "50"]
        for i, (method, url, body) in enumerate(requests):
            if i: cmd.append("--next")
            cmd += ["--output", "/dev/null", "--write-out", "%{time_total}\\n", "-X", method]
            if body: cmd += ["--data-binary", body.decode()]
            cmd.append(url)
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return max(float(t) for t in out.split())
    together = statistics.median(curl_parallel() for _ in range(runs))
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
    print(f"{'the same requests at once, curl --parallel':40} {together*1000:8.2f}")
    print(f"full poll / slowest single request ({slowest_name}) = {poll_inner/slowest:.2f}x   (target <= 1.2x)")
    floor = sum(singles.values()) / os.cpu_count()
    print(f"{'the singles added up, over ' + str(os.cpu_count()) + ' cores':40} {floor*1000:8.2f}")
    print(f"full poll / the same requests at once from curl = {poll_inner/together:.2f}x")
    print(f"full poll / the singles added up over the cores = {poll_inner/floor:.2f}x")
except MeshError as error:
    sys.exit(f"bench: {error}")
finally:
    mesh.stop()

PY
