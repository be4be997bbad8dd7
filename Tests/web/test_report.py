"""`meshtop report` in headless Chromium, from recordings of real runs on the local mesh (real
etcd, real Envoys, real Prometheus; deploy/local/mesh.py).

Run A: the dashboard runs a ramp (`meshtop --record --load --ramp --slo`) and the gateway starts
delaying half the requests by 1 s in its second step, so the ramp breaks its SLO there (the
knee); a crafted request with a hostile path is logged in the middle of it. Run B: `meshtop
record` beside `meshtop load`, clean. The pages are checked against meshtop's own figures for
the same files (`meshtop diff --json`, `snapshot --from --json`) and against what the dashboard
showed. Every wait is a readiness poll with a bound.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "support"))
sys.path.insert(0, str(ROOT / "deploy" / "local"))
from servers import SERVICE_BIN, started, unavailable  # noqa: E402
from mesh import Mesh  # noqa: E402

BIN_DIR = Path(SERVICE_BIN).parent
MESHTOP = BIN_DIR / "meshtop"
FAULT_SH = ROOT / "deploy" / "local" / "fault.sh"
HOSTILE = "/storage/<script>alert(1)</script>\x1b[31m\u202eexe.pdf"
KEY = "report"
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_for(what: str, ready, timeout: float = 60.0, detail=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        time.sleep(0.1)  # poll interval, not synchronisation
    pytest.fail(f"{what}: not within {timeout:.0f} s\n{detail()}", pytrace=False)


def meshtop(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    run = subprocess.run([str(MESHTOP), *args], capture_output=True, text=True, timeout=timeout)
    if check and run.returncode not in (0, 1):
        pytest.fail(f"meshtop {' '.join(args)} exited {run.returncode}: {run.stderr}", pytrace=False)
    return run


def lines_of(path: str) -> int:
    try:
        return Path(path).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def recorded_lines(recording: Path, source: str) -> int:
    """The recording's lines from `source`, as meshtop reads the file back."""
    run = meshtop("logs", "--from", str(recording), "--json", check=False)
    return sum(1 for line in run.stdout.splitlines() if line and json.loads(line).get("source") == source)


class Tmux:
    """A private tmux server running one command in a 200×50 window."""

    def __init__(self, command: str):
        self.socket = f"report-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "-L", self.socket, "new-session", "-d", "-s", "t", "-x", "200", "-y", "50", command], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True).stdout

    def send(self, keys: str) -> None:
        subprocess.run(["tmux", "-L", self.socket, "send-keys", "-t", "t", keys], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def hostile_pair(gateway_log: str, sidecar_log: str) -> str:
    """A client-side and a server-side line of one made-up request, in the mesh's own text
    format: the gateway's newest line and its sidecar partner, with a new id, a hostile path and
    the longest duration of the run."""
    gateway = [line for line in Path(gateway_log).read_text().splitlines() if f"/storage/{KEY}" in line]
    sidecar = Path(sidecar_log).read_text().splitlines()
    for client in reversed(gateway):
        ids = re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", client)
        server = next((line for line in sidecar if ids and ids[0] in line and "inbound|" in line), None)
        if server is None:
            continue
        made_up = str(uuid.uuid4())
        out = []
        for line, duration in ((client, 9_000), (server, 8_990)):
            line = line.replace(ids[0], made_up).replace(f"/storage/{KEY}", HOSTILE)
            # %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
            line = re.sub(r'(" \d+ \d+ )\d+ (?:\d+|-)( ")', rf"\g<1>{duration} {duration - 2}\g<2>", line, count=1)
            assert f" {duration} {duration - 2} " in line, line
            out.append(line)
        return "\n".join(out) + "\n"
    pytest.fail("no gateway line with its sidecar partner to copy", pytrace=False)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory):
    for tool in ("etcd", "envoy", "prometheus", "tmux"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (make test installs it)")
    if not MESHTOP.exists():
        unavailable(f"{MESHTOP} does not exist (run `swift build`)")
    tmp = tmp_path_factory.mktemp("report")
    mesh = started(Mesh(bin_dir=str(BIN_DIR), directory=str(tmp / "mesh")))
    try:
        mesh.write_description()
        described = mesh.describe()
        gateway = described["gateway"]
        logs = described["access_logs"]
        status = _LOCAL.open(urllib.request.Request(f"{gateway}/storage", method="PUT", data=json.dumps({"key": KEY, "value": "v"}).encode(),
                                                    headers={"content-type": "application/json"}), timeout=10).status  # fmt: skip
        assert status == 201
        sources = ["--prometheus", described["prometheus"], "--etcd", described["etcd"][0], "--interval", "1s"]
        hostile_log = tmp / "hostile.log"
        hostile_log.touch()
        log_flags = [flag for path in [*logs.values(), str(hostile_log)] for flag in ("--logs", path)]
        fault_env = dict(os.environ, MESH=str(Path(described["directory"]) / "mesh.json"), TMPDIR=str(tmp))

        def fault(*args: str) -> None:
            done = subprocess.run(["bash", str(FAULT_SH), *args], capture_output=True, text=True, env=fault_env, timeout=60)
            assert done.returncode == 0, done.stderr

        # Run A: the dashboard's ramp, 10 → 40 req/s in 5 s steps; the fault from the second step.
        a = tmp / "a.mtr"
        gateway_log = logs["istio-ingressgateway"]
        before = lines_of(gateway_log)
        command = " ".join([str(MESHTOP), "--record", str(a), *sources, *log_flags, "--load", f"{gateway}/storage/{KEY}",
                            "--ramp", "10:40:10:5s", "--slo", "'p99<400ms'", "-c", "64"])  # fmt: skip
        tmux = Tmux(command + "; echo EXIT=$?; sleep 600")
        try:
            wait_for("the ramp's second step at the gateway", lambda: lines_of(gateway_log) - before >= 55, detail=tmux.screen)
            with open(hostile_log, "a") as out:
                out.write(hostile_pair(gateway_log, logs["proxy-etcd-storage"]))
            fault("delay", "50", "1000")
            wait_for("the ramp's end", lambda: "ramp done" in tmux.screen(), timeout=90, detail=tmux.screen)
            fault("clear")
            screen = tmux.screen()
            total = lines_of(gateway_log) - before
            wait_for("every gateway line in recording A", lambda: recorded_lines(a, gateway_log) >= total, detail=tmux.screen)
            tmux.send("q")
            wait_for("the dashboard's exit", lambda: "EXIT=0" in tmux.screen(), detail=tmux.screen)
        finally:
            tmux.close()
        knee = re.search(r"([0-9.]+) ✗ p99 [^·]* knee", screen)
        assert knee, screen

        # Run B: record + load, clean.
        b = tmp / "b.mtr"
        recorder = subprocess.Popen([str(MESHTOP), "record", str(b), *sources, *log_flags], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for("recording B's first poll", lambda: b.exists() and meshtop("snapshot", "--from", str(b), "--json", check=False).returncode == 0)
            before = lines_of(gateway_log)
            load = meshtop("load", f"{gateway}/storage/{KEY}", "--rps", "20", "-n", "200", "-c", "16")
            assert load.returncode == 0, load.stderr
            total = lines_of(gateway_log) - before
            wait_for("every gateway line in recording B", lambda: recorded_lines(b, gateway_log) >= total)
        finally:
            recorder.terminate()
            recorder.wait(timeout=30)
        yield {"a": a, "b": b, "knee": float(knee.group(1)), "tmp": tmp}
    finally:
        mesh.stop()


def page(browser, path: Path):
    browser.get(path.as_uri())
    wait_for("the page", lambda: browser.execute_script("return document.readyState") == "complete")
    return browser


def chart_paths(browser, chart: str) -> list[dict]:
    return browser.execute_script(
        """return Array.from(document.querySelectorAll(`figure[data-chart="${arguments[0]}"] path.series`)).map(p => ({
            name: p.dataset.series, points: Number(p.dataset.points), moves: (p.getAttribute('d').match(/[ML]/g) || []).length}));""",
        chart)


def test_a_report_draws_the_recorded_run(recordings, browser):
    a = recordings["a"]
    out = recordings["tmp"] / "a.html"
    made = meshtop("report", str(a), "-o", str(out))
    assert made.returncode == 0, made.stderr
    diff = json.loads(meshtop("diff", str(a), str(a), "--json").stdout)
    polls = diff["a"]["polls"]
    edges = [row for row in diff["rows"] if row["kind"] == "edge" and row["a"]]
    hops = [row for row in diff["rows"] if row["kind"] == "hop" and row["a"]]
    assert edges and hops

    page(browser, out)
    assert browser.title.startswith("meshtop report")
    assert browser.execute_script("return document.scripts.length") == 0
    # Nothing was blocked: the page asks for nothing the policy forbids.
    assert not [entry for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
    policy = browser.execute_script("return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    assert policy.startswith("default-src 'none'")

    # One series an edge (the busiest 8), each a path of as many points as it says, no more than
    # the polls the recording holds.
    for chart in ("run-rate", "run-errors"):
        paths = chart_paths(browser, chart)
        assert len(paths) == min(8, len(edges)), (chart, paths)
        assert all(1 <= p["points"] == p["moves"] <= polls for p in paths), (chart, polls, paths)
    busiest = chart_paths(browser, "run-rate")[0]
    assert busiest["points"] >= polls // 2, (busiest, polls)
    latency = chart_paths(browser, "run-latency-1")
    assert [p["name"] for p in latency] == ["P50", "P90", "P99"]

    # The edge table's requests are diff's figures for the same file.
    table = browser.execute_script(
        "return Object.fromEntries(Array.from(document.querySelectorAll('table.edges tbody tr')).map(r => [r.dataset.edge, r.cells[1].textContent]));")
    for row in edges:
        assert table[row["name"]] == f"{round(row['a']['requests']):,}", (row, table)

    # The waterfall: a row a hop of the run, the load's own hop first.
    waterfall = browser.execute_script("return Array.from(document.querySelectorAll('table.waterfall tbody tr')).map(r => r.dataset.hop);")
    assert sorted(waterfall) == sorted(row["name"] for row in hops)
    assert waterfall[0].startswith("load → ")

    # The ledger: its rows are `snapshot --from`'s for the same file.
    ledger = json.loads(meshtop("snapshot", "--from", str(a), "--polls", "2", "--json").stdout)["ledger"]["rows"]
    shown = browser.execute_script(
        "return Object.fromEntries(Array.from(document.querySelectorAll('table.ledger tbody tr')).map(r => [r.dataset.hop, r.cells[4].textContent]));")
    for row in ledger:
        assert shown[row["hop"]] == (str(row["server_lines"]) if row["server_lines"] is not None else "-"), (row, shown)

    # The ramp: the knee the dashboard showed, and the load's own view over time.
    knee = browser.execute_script("return Array.from(document.querySelectorAll('table.ramp tr.knee td')).map(c => c.textContent);")
    assert knee and float(knee[1]) == recordings["knee"], knee
    assert len(chart_paths(browser, "run-load-rate")) == 2
    assert browser.execute_script("return document.querySelectorAll('figure[data-chart=\"run-ramp\"] line.marker').length") == 1

    # The hostile path is the slowest request (1 s of fault aside, it claims the run's longest
    # duration), shown as text: no element made of it, its control bytes visible escapes.
    cells = browser.execute_script("return Array.from(document.querySelectorAll('table.slowest td.name')).map(c => c.textContent);")
    hostile = [cell for cell in cells if "alert(1)" in cell]
    assert hostile == ["/storage/<script>alert(1)</script>\\x1b[31m\\u202eexe.pdf"], cells
    assert browser.execute_script("return document.querySelectorAll('body script, table script').length") == 0
    browser.save_screenshot(str(recordings["tmp"] / "a.png"))


def test_two_reports_compare_first(recordings, browser):
    a, b = recordings["a"], recordings["b"]
    out = recordings["tmp"] / "ab.html"
    made = meshtop("report", str(b), str(a), "-o", str(out), "--max-p99-increase", "10%")
    assert made.returncode == 0, made.stderr
    diff = json.loads(meshtop("diff", str(b), str(a), "--json", "--max-p99-increase", "10%").stdout)
    page(browser, out)
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.diff tbody tr')).map(r => [r.dataset.kind, r.dataset.name, r.cells[6].className]);")
    assert [[kind, name] for kind, name, _ in rows] == [[row["kind"], row["name"]] for row in diff["rows"]][:60]
    crossed = {row["name"] for row in diff["rows"] if any(c["figure"] == "p99" for c in row["crossings"])}
    assert crossed, diff  # the faulted run against the clean one
    assert {name for _, name, mark in rows if mark == "crossed"} == crossed
    order = browser.execute_script("return Array.from(document.querySelectorAll('section')).map(s => s.id);")
    assert order == ["comparison", "run-a", "run-b"]


def test_bad_usage_is_one_line(recordings):
    for args in (["report", "/nonexistent/a.mtr", "-o", "x.html"], ["report", str(recordings["a"])],
                 ["report", str(recordings["a"]), "-o", str(recordings["a"])]):  # fmt: skip
        run = meshtop(*args, check=False)
        assert run.returncode == 2, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1, (args, run.stderr)


def test_snapshot_from_reads_the_ramp(recordings):
    """The ramp's steps and knee as the recording kept them, at its end and part-way."""
    a = recordings["a"]
    load = json.loads(meshtop("snapshot", "--from", str(a), "--json").stdout)["load"]
    ramp = load["ramp"]
    knee = ramp["steps"][ramp["knee_step"] - 1]
    assert knee["target_rps"] == recordings["knee"] and knee["held"] is False, ramp
    assert all(step["held"] for step in ramp["steps"][: ramp["knee_step"] - 1]), ramp
    # Its count is the load's own lines in the recording: one a request it sent.
    assert load["done"] and load["requests"] == recorded_lines(a, "meshtop load"), load
    text = meshtop("snapshot", "--from", str(a)).stdout
    assert f"Knee: step {ramp['knee_step']} at {knee['target_rps']:.1f} req/s" in text, text
    # Two seconds in, the first step is still running: none finished yet.
    early = json.loads(meshtop("snapshot", "--from", str(a), "--at", "+2s", "--json").stdout)["load"]
    assert early is None or (early["ramp"]["current"] == 1 and early["ramp"]["steps"] == [] and not early["done"]), early
