#!/usr/bin/env bash
# meshtop against a thousand edges: a real VictoriaMetrics on loopback holding Istio's series for
# 10, 100, 1,000 and 5,000 made-up edges (between edges/2 workloads in five namespaces; as with
# sidecars at both ends, each edge reported by its destination and its source, one in twenty by
# its source alone, a workload without a sidecar), each size
# in a fresh instance. Every size gets an hour of history at a 15 s step, or less where that would
# pass SAMPLES samples (5,000 edges: 12 min; the rates read the last minute only), imported as JSON
# lines (the text format would repeat each series' labels at every sample, gigabytes at 5,000 edges),
# then a live feed (a thread pushing one sample of every series every FEED seconds through
# /api/v1/import/prometheus) so that the rates are current while it is measured:
#   poll    one poll of Prometheus as meshtop times it (`meshtop snapshot --json --polls 3`,
#           the third poll's latency_ms: connections open, the backend's kind known)
#   raw     the same five queries, from meshtop itself (the PollQueries test prints them),
#           fetched at once by five curls; the slowest curl's own time_total
#   dest    a poll of the destination's reports alone (`--reporter destination`): what auto
#           costs on top of it is its fallback, the source's reports of the edges left out
#   RSS     the dashboard's resident memory after SECONDS_TOP s in a 200x50 tmux pane, polling
#           every second (bench/panes.py)
#   render  one 240x70 frame with that many edges (RenderBenchmark, no terminal)
#   backfill  the dashboard's start-up back-fill (120 s at a 1 s step, the PromQL printed by the
#           PollQueries test) fetched by curl: its answers' megabytes and the slowest's seconds
#   trend   the longest sparkline of a Traffic row after SECONDS_TOP s: more points than the
#           live polls could draw in that time only if the back-fill filled it
# meshtop runs with --max-answer-size 64MiB: the buckets answer of 5,000 edges is 32 MB, past the
# default bound of 16 MiB.
#   bash bench/scale.sh          (env SIZES="10 100 1000 5000" RUNS=5 HISTORY=3600 STEP=15 SAMPLES=5000000 FEED=5
#                                 SECONDS_TOP=15; BIN and RENDER_BUILD: builds to use, none made)
# Needs: swift, victoria-metrics, curl, tmux, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
source "bench/common.sh"
need swift victoria-metrics curl tmux python3
# The render benchmark and the query list are tests, built apart (as in bench/tui.sh) so that
# the shipped binary stays built without -enable-testing.
if [[ -n "${BIN:-}" && -n "${RENDER_BUILD:-}" ]]; then
    bin=$BIN
else
    release_build
    RENDER_BUILD=.build/render-bench
    swift build -c release --build-tests -Xswiftc -enable-testing --build-path "$RENDER_BUILD" --quiet
fi
SIZES=${SIZES:-"10 100 1000 5000"} RUNS=${RUNS:-5} HISTORY=${HISTORY:-3600} STEP=${STEP:-15} SAMPLES=${SAMPLES:-5000000} FEED=${FEED:-5} \
    SECONDS_TOP=${SECONDS_TOP:-15} BIN=$bin RENDER_BUILD=$RENDER_BUILD PYTHONPATH=deploy/local:bench python3 - <<'PY'
import json, math, os, random, shutil, statistics, subprocess, sys, tempfile, threading, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
from mesh import free_ports
from panes import kill_tmux, rss_kib, start_dashboard, tmux

bin_dir, render_build = os.environ["BIN"], os.environ["RENDER_BUILD"]
runs, history, step, feed = int(os.environ["RUNS"]), int(os.environ["HISTORY"]), int(os.environ["STEP"]), float(os.environ["FEED"])
most = int(os.environ["SAMPLES"])
NAMESPACES = ["shop", "payments", "search", "accounts", "platform"]
# Istio's default buckets of istio_request_duration_milliseconds.
# The buckets answer is 6.4 MB at 1,000 edges and 32 MB at 5,000: past the default 16 MiB bound.
ANSWER = "64MiB"
BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000]

def swift_test(filter, env):
    run = subprocess.run(["swift", "test", "-c", "release", "--skip-build", "--build-path", render_build, "--filter", filter],
                         check=True, capture_output=True, text=True, env={**os.environ, **env})
    return run.stdout.splitlines()

# The queries as meshtop fills them in, so the raw fetch asks exactly what a poll asks.
PRINTED = swift_test("PollQueries", {"MESHTOP_PRINT_QUERIES": "1"})
QUERIES = dict(line.split(" ", 2)[1:] for line in PRINTED if line.startswith("query "))
BACKFILL = dict(line.split(" ", 2)[1:] for line in PRINTED if line.startswith("backfill "))
assert len(QUERIES) == 5 and len(BACKFILL) == 2, PRINTED
# The dashboard back-fills 120 s at its interval's step (1 s here): 121 points a series.
BACKFILL_SPAN = 120
SPARK = set("▁▂▃▄▅▆▇█")

class Series:
    """One counter: its labels in the text format, its rate a second, its value now."""
    def __init__(self, name, labels, rate):
        self.name, self.labels, self.rate, self.value = name, labels, rate, 0.0
        self.text = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"

    def advance(self, seconds, noise):
        # Requests come in bursts: each step adds its rate's share, give or take a fifth.
        self.value += round(self.rate * seconds * noise)
        return self.value

def mesh_series(edges):
    """Istio's series of `edges` edges between edges/2 workloads; a tenth TCP-only, a tenth gRPC;
    each reported by both ends, one in twenty by its source alone."""
    workloads = max(3, edges // 2)
    rng = random.Random(edges)
    out = []
    for i in range(edges):
        src, dst = i % workloads, (i % workloads + 1 + i // workloads) % workloads
        sns, dns = NAMESPACES[src % len(NAMESPACES)], NAMESPACES[dst % len(NAMESPACES)]
        reporters = ["source"] if i % 20 == 9 else ["destination", "source"]
        rate, median = rng.uniform(0.2, 40), rng.uniform(1, 80)
        for reporter in reporters:
            out += edge_series(i, reporter, src, sns, dst, dns, rate, median)
    return out

def edge_series(i, reporter, src, sns, dst, dns, rate, median):
    """One reporter's series of edge i; a source reporter does not know the connection's security."""
    out = []
    edge = {
        "reporter": reporter, "source_workload": f"app-{src}", "source_workload_namespace": sns,
        "source_principal": f"spiffe://cluster.local/ns/{sns}/sa/app-{src}", "source_app": f"app-{src}", "source_version": "v1",
        "source_cluster": "Kubernetes", "destination_workload": f"app-{dst}", "destination_workload_namespace": dns,
        "destination_principal": f"spiffe://cluster.local/ns/{dns}/sa/app-{dst}", "destination_app": f"app-{dst}",
        "destination_version": "v1", "destination_service": f"app-{dst}.{dns}.svc.cluster.local",
        "destination_service_name": f"app-{dst}", "destination_service_namespace": dns, "destination_cluster": "Kubernetes",
        "connection_security_policy": "mutual_tls" if reporter == "destination" else "unknown",
    }
    if i % 10 == 5:  # a database-like TCP edge: no requests, bytes and connections
        tcp = {**edge, "request_protocol": "tcp", "response_flags": "-"}
        out += [Series("istio_tcp_sent_bytes_total", tcp, rate * 900), Series("istio_tcp_received_bytes_total", tcp, rate * 300),
                Series("istio_tcp_connections_opened_total", tcp, rate / 10), Series("istio_tcp_connections_closed_total", tcp, rate / 10)]
        return out
    grpc = i % 10 == 7
    http = {**edge, "request_protocol": "grpc" if grpc else "http", "grpc_response_status": "0" if grpc else ""}
    ok = {**http, "response_code": "200", "response_flags": "-"}
    out.append(Series("istio_requests_total", ok, rate))
    if i % 10 == 3:
        out.append(Series("istio_requests_total", {**http, "response_code": "503", "response_flags": "UH"}, rate / 50))
    if grpc:
        out.append(Series("istio_requests_total", {**ok, "grpc_response_status": "14"}, rate / 100))
        out += [Series("istio_request_messages_total", http, rate * 3), Series("istio_response_messages_total", http, rate * 3)]
    # Latencies log-normal around the edge's median: each bucket counts its share of the requests.
    for le in BUCKETS + [math.inf]:
        share = 1.0 if le == math.inf else 0.5 * (1 + math.erf(math.log(le / median) / (0.8 * math.sqrt(2))))
        labels = {**ok, "le": "+Inf" if le == math.inf else f"{le:g}"}
        out.append(Series("istio_request_duration_milliseconds_bucket", labels, rate * share))
    return out

def post(url, body, content_type="text/plain"):
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type}), timeout=120) as r:
        r.read()

class Victoria:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="meshtop-scale-")
        self.port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir, "victoria-metrics.log"), "w")
        # As Tests/TestSupport/VictoriaMetricsServer.swift: no hidden last 30 s, no answer cache.
        self.process = subprocess.Popen(["victoria-metrics", "-httpListenAddr", f"127.0.0.1:{self.port}",
                                         "-storageDataPath", os.path.join(self.dir, "data"), "-retentionPeriod", "1d",
                                         "-search.latencyOffset", "1s", "-search.disableCache", "-search.maxUniqueTimeseries", "1000000"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200: break
            except OSError:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                sys.exit("bench: victoria-metrics did not start:\n" + open(self.log.name).read()[-2000:])
            time.sleep(0.1)  # readiness polling

    def load(self, series, now):
        """The past `history` seconds at `step`, as JSON lines (a series' labels once, not at every sample);
        shorter when that would pass `most` samples: the rates look at the last minute only."""
        span = min(history, step * (most // len(series)))
        stamps = list(range(now - span, now + 1, step))
        rng = random.Random(1)
        lines = []
        for s in series:
            values = [s.advance(step, rng.uniform(0.8, 1.2)) for _ in stamps]
            lines.append(json.dumps({"metric": {"__name__": s.name, **s.labels}, "values": values, "timestamps": [t * 1000 for t in stamps]}))
            if len(lines) == 2000:
                post(self.url + "/api/v1/import", "\n".join(lines).encode()); lines = []
        if lines: post(self.url + "/api/v1/import", "\n".join(lines).encode())
        self.flush()
        return span

    def flush(self):
        post(self.url + "/internal/force_flush", b"")

    def stop(self):
        self.process.terminate()
        try: self.process.wait(10)
        except subprocess.TimeoutExpired: self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

def live_feed(vm, series, stop):
    """A sample of every series every `feed` seconds, now-stamped, in the text format."""
    rng, last = random.Random(2), time.time()
    while not stop.wait(feed):
        now = time.time()
        ms = int(now * 1000)
        body = "".join(f"{s.text} {s.advance(now - last, rng.uniform(0.8, 1.2)):.0f} {ms}\n" for s in series)
        last = now
        try: post(vm.url + "/api/v1/import/prometheus", body.encode())
        except OSError as error: print(f"bench: feed: {error}", file=sys.stderr)

def raw_fetch(url):
    """The five queries at once, each by its own curl; the slowest one's time_total (no process start)."""
    def one(promql):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "--data-urlencode", f"query={promql}",
                              url + "/api/v1/query"], check=True, capture_output=True, text=True).stdout.split()
        assert out[0] == "200", out
        return float(out[1])
    with ThreadPoolExecutor(len(QUERIES)) as pool:
        return max(pool.map(one, QUERIES.values()))

def backfill_fetch(url):
    """The back-fill's range queries as the dashboard asks them: their answers' bytes summed, the slowest's time_total."""
    end = int(time.time()); sizes, times = [], []
    for promql in BACKFILL.values():
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}",
                              "--data-urlencode", f"query={promql}", "--data-urlencode", f"start={end - BACKFILL_SPAN}",
                              "--data-urlencode", f"end={end}", "--data-urlencode", "step=1s", url + "/api/v1/query_range"],
                             check=True, capture_output=True, text=True).stdout.split()
        assert out[0] == "200", out
        sizes.append(int(out[1])); times.append(float(out[2]))
    return sum(sizes) / 1e6, max(times)

def poll(url, edges, reporter="auto"):
    cmd = [f"{bin_dir}/meshtop", "snapshot", "--json", "--polls", "3", "--interval", "100ms", "--prometheus", url,
           "--profile", "istio", "--prometheus-kind", "victoriametrics", "--max-answer-size", ANSWER, "--reporter", reporter]
    env = dict(os.environ, PATH="/usr/bin:/bin")  # no kubectl: the Kubernetes checks are not part of this
    env.pop("KUBECONFIG", None)
    snap = json.loads(subprocess.run(cmd, capture_output=True, env=env, check=True).stdout)
    source = snap["sources"]["prometheus"]
    if not source["ok"]:  # said, not fatal: the other sizes' rows still count
        print(f"bench: {edges} edges: poll failed: {source['error']}", file=sys.stderr, flush=True)
        return None
    # The destination alone leaves out the source-only twentieth.
    assert abs(len(snap["edges"]) - edges) <= edges // 10 + 1, f"{len(snap['edges'])} edges of {edges}"
    if reporter == "auto":
        by_source = sum(1 for e in snap["edges"] if e.get("reporter") == "source")
        assert by_source == sum(1 for i in range(edges) if i % 20 == 9), f"{by_source} edges by source"
    return source["latency_ms"] / 1000

def dashboard(url, edges):
    """Max RSS of the dashboard over SECONDS_TOP s, the Traffic panel's title, and the longest
    sparkline drawn: longer than SECONDS_TOP points only when the back-fill arrived."""
    command = f"exec {bin_dir}/meshtop --prometheus {url} --profile istio --prometheus-kind victoriametrics --interval 1s --max-answer-size {ANSWER}"
    pid = start_dashboard(command, "Traffic")
    try:
        peak, end = 0, time.time() + int(os.environ["SECONDS_TOP"])
        while time.time() < end:
            peak = max(peak, rss_kib(pid)); time.sleep(0.5)
        screen = tmux("capture-pane", "-p", "-t", "main").splitlines()
        title = next((line for line in screen if "Traffic" in line), "")
        trend = max((sum(c in SPARK for c in line) for line in screen if "→" in line), default=0)
        tmux("send-keys", "-t", "main", "q")
        return peak / 1024, title, trend
    finally:
        kill_tmux()

def render(edges):
    frames = str(max(50, 200_000 // max(edges, 1)))
    out = swift_test("RenderBenchmark", {"MESHTOP_RENDER_BENCH": "1", "MESHTOP_RENDER_BENCH_EDGES": str(edges), "MESHTOP_RENDER_BENCH_FRAMES": frames})
    line = next(line for line in out if line.startswith("render 240x70: "))
    return float(line.split("median ")[1].split(" ms")[0])

rows = []
for edges in map(int, os.environ["SIZES"].split()):
    series = mesh_series(edges)
    vm = Victoria()
    stop = threading.Event()
    try:
        t = time.monotonic(); span = vm.load(series, int(time.time())); loaded = time.monotonic() - t
        feeder = threading.Thread(target=live_feed, args=(vm, series, stop), daemon=True); feeder.start()
        time.sleep(feed + 1)  # one live sample in, so the last minute's rates are current
        polls, raws, dests = [], [], []
        for _ in range(runs):
            polls.append(poll(vm.url, edges)); raws.append(raw_fetch(vm.url)); dests.append(poll(vm.url, edges, "destination"))
        backfill_mb, backfill_s = backfill_fetch(vm.url)
        rss, title, trend = dashboard(vm.url, edges)
        stop.set(); feeder.join()
    finally:
        stop.set(); vm.stop()
    polls, dests = [p for p in polls if p is not None], [p for p in dests if p is not None]
    row = dict(edges=edges, series=len(series), poll=statistics.median(polls) * 1000 if polls else math.nan, raw=statistics.median(raws) * 1000,
               dest=statistics.median(dests) * 1000 if dests else math.nan,
               rss=rss, render=render(edges), backfill=backfill_mb, backfill_s=backfill_s, trend=trend)
    rows.append(row)
    print(f"{edges} edges: {len(series)} series, {span // 60} min of history loaded in {loaded:.0f} s; {len(polls)}/{runs} polls answered; "
          f"pane title: {title.strip('┌┐─│ ')}", file=sys.stderr, flush=True)
    # Each row as soon as it is measured: the largest size takes minutes.
    if len(rows) == 1:
        print(f"{'edges':>6} {'series':>7} {'poll ms':>8} {'raw ms':>8} {'ratio':>6} {'dest ms':>8} {'RSS MB':>7} {'render ms':>9} {'backfill MB':>11} {'backfill s':>10} {'trend':>5}", flush=True)
    print(f"{row['edges']:6} {row['series']:7} {row['poll']:8.1f} {row['raw']:8.1f} {row['poll'] / row['raw']:6.2f} {row['dest']:8.1f} {row['rss']:7.1f} {row['render']:9.3f}"
          f" {row['backfill']:11.2f} {row['backfill_s']:10.2f} {row['trend']:5}", flush=True)

for a, b in zip(rows, rows[1:]):
    k = b["edges"] / a["edges"]
    print(f"{a['edges']} → {b['edges']} edges (×{k:g}): poll ×{b['poll'] / a['poll']:.1f}, raw ×{b['raw'] / a['raw']:.1f}, "
          f"RSS ×{b['rss'] / a['rss']:.1f}, render ×{b['render'] / a['render']:.1f}")
for r in rows:
    if r["edges"] == 1000:
        ok = lambda good: "ok" if good else "MISSED"
        print(f"targets at 1,000 edges: poll {r['poll'] / r['raw']:.2f}x raw (<= 1.5x) {ok(r['poll'] <= 1.5 * r['raw'])}, "
              f"render {r['render']:.2f} ms (<= 2 ms) {ok(r['render'] <= 2)}, RSS {r['rss']:.0f} MB (<= 100 MB) {ok(r['rss'] <= 100)}")
PY
