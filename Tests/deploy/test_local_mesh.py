"""The local mesh (deploy/local/mesh.py) with real processes: real etcd, real Envoys as the gateway
and the sidecars, the debug storage-service. One mesh is shared by the tests that only read;
the ones that stop, fault or misconfigure a mesh start their own. The long-lived meshes are
class-scoped, so each stops once its tests are done. Every wait is a readiness poll with a
bound, never a sleep.

Env: STORAGE_SERVICE_BIN (its folder is the mesh's --bin); CI=true turns a missing etcd, Envoy or
binary into a failure instead of a skip.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Callable, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
MESH_PY = ROOT / "deploy" / "local" / "mesh.py"
FAULT_SH = ROOT / "deploy" / "local" / "fault.sh"
sys.path.insert(0, str(ROOT / "Tests" / "support"))
from servers import SERVICE_BIN, started, unavailable  # noqa: E402
from mesh import ETCD_CLUSTER, GATEWAY, ISTIO_JSON_FORMAT, ISTIO_TEXT_FORMAT, STORAGE, STORAGE_CLUSTER, Mesh, MeshError  # noqa: E402

BIN_DIR = str(Path(SERVICE_BIN).parent)
for _tool in ("etcd", "envoy"):
    if shutil.which(_tool) is None:
        unavailable(f"{_tool} is not installed (make test installs it)", module_level=True)
if not Path(SERVICE_BIN).exists():
    unavailable(f"{SERVICE_BIN} does not exist (run `swift build`, or set STORAGE_SERVICE_BIN)", module_level=True)
INBOUND_STORAGE = "inbound|9080||"
INBOUND_ETCD = "inbound|2379||"
# Bounds of the polls below: a debug build and four Envoys on two busy cores are slow to settle.
START_TIMEOUT = 90.0
SETTLE_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

# Loopback only, whatever http_proxy says.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- HTTP and access logs ----------------------------------------------------------------------


def call(url: str, method: str = "GET", body: Optional[dict] = None, headers: Optional[dict] = None,
         timeout: float = 10.0) -> tuple[Optional[int], dict, bytes]:  # fmt: skip
    """(status, headers, body) of one request; status None when nothing answered."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with _LOCAL.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, OSError):
        return None, {}, b""


def _text_pattern() -> tuple[re.Pattern, list[str]]:
    """A regex for one line of the proxies' text format, built from the format itself, and the
    Istio JSON key of each group: `"%X%"` is a quoted field, `[%X%]` a bracketed one, else a word."""
    key_of = {command: key for key, command in ISTIO_JSON_FORMAT.items()}
    parts = re.split(r"(%[^%]+%)", ISTIO_TEXT_FORMAT)
    regex, keys = "", []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            regex += re.escape(part)
            continue
        before, after = parts[i - 1], parts[i + 1]
        if before.endswith('"') and after.startswith('"'):
            regex += r'([^"]*)'
        elif before.endswith("["):
            regex += r"([^\]]*)"
        else:
            regex += r'([^\s"]*)'
        keys.append(key_of[part])
    return re.compile("^" + regex + "$"), keys


TEXT_LINE, TEXT_KEYS = _text_pattern()


def records(path: str) -> list[dict]:
    """Every line of an access log as a record under Istio's JSON keys ("-" → None)."""
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        if line.startswith("{"):
            out.append(json.loads(line))
            continue
        match = TEXT_LINE.match(line)
        assert match, f"a line of {path} is not in Istio's format: {line!r}"
        out.append({key: None if value == "-" else value for key, value in zip(TEXT_KEYS, match.groups())})
    return out


def eventually(check: Callable[[], object], what: str, timeout: float = SETTLE_TIMEOUT, every: float = 0.1):
    """Polls `check` until it returns something truthy, and returns that; fails saying `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)  # poll interval, not synchronisation
    pytest.fail(f"no {what} within {timeout:.0f} s (last: {last!r})", pytrace=False)


def lines_with(log: str, request_id: str, count: int = 1) -> list[dict]:
    """The records of `log` for one x-request-id, once there are `count` (Envoy flushes every 100 ms)."""
    return eventually(lambda: (found := [r for r in records(log) if r["request_id"] == request_id]) and len(found) >= count and found,
                      f"{count} line(s) for {request_id} in {log}", timeout=10)  # fmt: skip


def flags(record: dict) -> set[str]:
    return set((record["response_flags"] or "").split(","))


# --- processes ---------------------------------------------------------------------------------


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention `text` (a mesh's directory): what a mesh left."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command and alive(int(entry.name)):
            found.append(f"{entry.name}: {command}")
    return found


def read_line(process: subprocess.Popen, timeout: float) -> bytes:
    """The first line `process` prints, or b"" if it exits (or says nothing) first."""
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = process.stdout.fileno()
    while b"\n" not in buffer and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
    return buffer.split(b"\n", 1)[0]


class Supervised:
    """`mesh.py up` as a child of the test: the description it printed, its stderr, how it ended."""

    def __init__(self, tmp_path: Path, *args: str, env: Optional[dict] = None, stdin=subprocess.DEVNULL, path_prefix: str = ""):
        self.tmp = tmp_path
        self.stderr_path = tmp_path / f"mesh-{time.monotonic_ns()}.err"
        environment = {k: v for k, v in os.environ.items() if k not in ("MESHTOP_KEEP_MESH", "MEMBERS", "LOG_FORMAT")}
        environment.update(TMPDIR=str(tmp_path), **(env or {}))
        if path_prefix:
            environment["PATH"] = f"{path_prefix}:{environment['PATH']}"
        with open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen([sys.executable, str(MESH_PY), "up", "--bin", BIN_DIR, *args], stdin=stdin,
                                            stdout=subprocess.PIPE, stderr=err, env=environment)  # fmt: skip
        line = read_line(self.process, START_TIMEOUT)
        self.description = json.loads(line) if line else None

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def require_started(self) -> dict:
        if self.description is None:
            self.stop()
            if "is not installed" in self.stderr or "does not exist" in self.stderr:
                unavailable(self.stderr.strip())
            pytest.fail(f"mesh.py up did not start (status {self.process.returncode}):\n{self.stderr}", pytrace=False)
        return self.description

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"mesh.py up did not exit within {timeout:.0f} s:\n{self.stderr}", pytrace=False)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        code = self.wait()
        self.process.stdout.close()
        return code

    def pids(self) -> dict[str, int]:
        description = json.loads((Path(self.description["directory"]) / "mesh.json").read_text())
        return {name: proc["pid"] for name, proc in description["processes"].items()}

    def fault(self, *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, MESH=str(Path(self.description["directory"]) / "mesh.json"), TMPDIR=str(self.tmp))
        return subprocess.run(["bash", str(FAULT_SH), *args], capture_output=True, text=True, env=env, timeout=30)


def supervised(tmp_path: Path, *args: str, **kwargs) -> Supervised:
    mesh = Supervised(tmp_path, *args, **kwargs)
    mesh.require_started()
    return mesh


# --- one mesh, started through the Python API, only read (class-scoped: it stops after them) ---


@pytest.fixture(scope="class")
def mesh(tmp_path_factory: pytest.TempPathFactory):
    running = started(Mesh(bin_dir=BIN_DIR, directory=str(tmp_path_factory.mktemp("mesh") / "mesh")))
    yield running
    running.stop()


class TestOneMesh:
    """Read-only tests of one mesh started through the Python API."""

    def test_a_request_through_the_gateway_is_one_chain_of_istio_lines(self, mesh: Mesh):
        assert call(mesh.gateway_url + "/storage", "PUT", {"key": "chain", "value": "v"})[0] == 201
        status, headers, body = call(mesh.gateway_url + "/storage/chain")
        assert status == 200 and json.loads(body)["node"]["value"] == "v"
        request_id = headers["x-request-id"]
        logs = mesh.urls["access_logs"]

        (gateway,) = lines_with(logs[GATEWAY], request_id)
        assert gateway["upstream_cluster"] == STORAGE_CLUSTER
        assert (gateway["method"], gateway["path"], gateway["response_code"]) == ("GET", "/storage/chain", "200")
        assert gateway["route_name"] == "storage"

        storage = {r["upstream_cluster"]: r for r in lines_with(logs[STORAGE], request_id, count=2)}
        assert set(storage) == {INBOUND_STORAGE, ETCD_CLUSTER}, storage
        assert storage[INBOUND_STORAGE]["path"] == "/storage/chain" and storage[INBOUND_STORAGE]["response_code"] == "200"
        assert storage[ETCD_CLUSTER]["path"].startswith("/v3/kv/") and storage[ETCD_CLUSTER]["response_code"] == "200"

        (etcd,) = lines_with(logs["etcd-0"], request_id)
        assert etcd["upstream_cluster"] == INBOUND_ETCD and etcd["response_code"] == "200"
        assert etcd["path"] == storage[ETCD_CLUSTER]["path"]
        # Each hop's upstream is the next hop's listener.
        assert storage[INBOUND_STORAGE]["downstream_local_address"] == gateway["upstream_host"]
        assert etcd["downstream_local_address"] == storage[ETCD_CLUSTER]["upstream_host"]


    def test_a_request_id_the_client_sent_is_kept_on_every_hop(self, mesh: Mesh):
        status, headers, _ = call(mesh.gateway_url + "/storage/chain", headers={"x-request-id": "client-chosen-1"})
        assert status == 200 and headers["x-request-id"] == "client-chosen-1"
        logs = mesh.urls["access_logs"]
        assert len(lines_with(logs[GATEWAY], "client-chosen-1")) == 1
        assert len(lines_with(logs[STORAGE], "client-chosen-1", count=2)) == 2
        assert len(lines_with(logs["etcd-0"], "client-chosen-1")) == 1


    def test_an_unknown_path_is_the_gateways_own_404_nr(self, mesh: Mesh):
        status, _, _ = call(mesh.gateway_url + "/nowhere", headers={"x-request-id": "unknown-path-1"})
        assert status == 404
        (line,) = lines_with(mesh.urls["access_logs"][GATEWAY], "unknown-path-1")
        assert line["path"] == "/nowhere" and line["response_code"] == "404" and "NR" in flags(line)
        assert line["upstream_cluster"] is None and line["route_name"] is None
        assert not [r for r in records(mesh.urls["access_logs"][STORAGE]) if r["request_id"] == "unknown-path-1"]


    def test_the_description_names_every_process_and_prometheus_scrapes_every_job(self, mesh: Mesh):
        description = json.loads((mesh.root / "mesh.json").read_text())
        assert set(description["processes"]) == {"etcd-0", "etcd-0/istio-proxy", f"{STORAGE}/istio-proxy", "storage-service",
                                                 f"{GATEWAY}/istio-proxy", "prometheus"}  # fmt: skip
        assert all(alive(proc["pid"]) for proc in description["processes"].values())
        assert description["storage_inbound"] == mesh.urls["storage_inbound"]
        assert call(mesh.urls["storage_inbound"] + "/")[0] == 200
        _, _, body = call(mesh.prometheus_url + "/api/v1/targets?state=active")
        targets = json.loads(body)["data"]["activeTargets"]
        assert {t["labels"]["job"] for t in targets} == {"storage-service", "etcd-server", "etcd", STORAGE, GATEWAY}
        assert all(t["health"] == "up" for t in targets), targets


    def test_get_prints_one_value_for_scripts(self, mesh: Mesh, tmp_path: Path):
        def get(path: Path, key: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, str(MESH_PY), "get", str(path), key], capture_output=True, text=True, timeout=30)

        description = mesh.root / "mesh.json"
        assert get(description, "gateway").stdout.strip() == mesh.gateway_url
        assert get(description, "storage_inbound").stdout.strip() == mesh.urls["storage_inbound"]
        assert get(description, "etcd").stdout.strip() == ",".join(mesh.urls["etcd"])
        assert get(description, "access_logs").stdout.split() == list(mesh.urls["access_logs"].values())
        pids = dict(line.split() for line in get(description, "pids").stdout.splitlines())
        assert {name: int(pid) for name, pid in pids.items()} == {name: proc.pid for name, proc in mesh.procs.items()}
        # A mesh without proxies has no gateway: said on stderr, not printed as "None".
        bare = json.loads(description.read_text())
        bare.update(gateway=None, storage_inbound=None)
        (tmp_path / "bare.json").write_text(json.dumps(bare))
        absent = get(tmp_path / "bare.json", "gateway")
        assert absent.returncode == 1 and absent.stdout == "" and "no gateway" in absent.stderr


# --- stopping: every way out leaves nothing behind -----------------------------------------------


def assert_nothing_left(mesh: Supervised, pids: dict[str, int]) -> None:
    left = {name: pid for name, pid in pids.items() if alive(pid)}
    assert not left, f"still running: {left}"
    assert not processes_mentioning(mesh.description["directory"])


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "stdin"])
def test_up_stops_everything_and_removes_its_directory(tmp_path: Path, how: str):
    mesh = supervised(tmp_path, "--no-prometheus", *(["--watch-stdin"] if how == "stdin" else []),
                      stdin=subprocess.PIPE if how == "stdin" else subprocess.DEVNULL)  # fmt: skip
    pids = {**mesh.pids(), "supervisor": mesh.description["supervisor"]}
    assert all(alive(pid) for pid in pids.values())
    directory = Path(mesh.description["directory"])
    assert directory.is_relative_to(tmp_path) and directory.exists()
    if how == "stdin":
        mesh.process.stdin.close()
    else:
        mesh.process.send_signal(getattr(signal, how))
    assert mesh.wait() == 0, mesh.stderr
    assert_nothing_left(mesh, pids)
    assert not directory.exists()


def test_a_killed_supervisor_leaves_no_child_behind(tmp_path: Path):
    mesh = supervised(tmp_path, "--no-prometheus")
    pids = mesh.pids()
    mesh.process.kill()
    mesh.wait()
    eventually(lambda: not any(alive(pid) for pid in pids.values()), "end of every child after SIGKILL", timeout=10)
    assert_nothing_left(mesh, pids)


def test_a_signal_while_starting_stops_what_had_started(tmp_path: Path):
    # A storage-service that never gets ready: the mesh is still starting when SIGTERM comes.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "storage-service").write_text("#!/bin/sh\necho 'listening (not really)'\nwhile :; do sleep 1; done\n")
    (fake / "storage-service").chmod(0o755)
    environment = dict(os.environ, TMPDIR=str(tmp_path))
    with open(tmp_path / "err", "wb") as err:
        process = subprocess.Popen([sys.executable, str(MESH_PY), "up", "--bin", str(fake), "--no-proxies", "--no-prometheus"],
                                   stdout=subprocess.PIPE, stderr=err, env=environment)  # fmt: skip
    try:
        eventually(lambda: processes_mentioning(str(fake / "storage-service")), "the fake storage-service running", timeout=30)
        process.terminate()
        assert process.wait(timeout=STOP_TIMEOUT) == 0
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    assert not processes_mentioning(str(tmp_path))
    assert not any(tmp_path.glob("meshtop-mesh-*"))


# --- a process that does not start ---------------------------------------------------------------


def test_a_service_that_exits_at_once_is_named_with_its_log(tmp_path: Path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "storage-service").write_text("#!/bin/sh\necho 'storage-service: cannot listen: fake failure' >&2\nexit 3\n")
    (fake / "storage-service").chmod(0o755)
    result = subprocess.run([sys.executable, str(MESH_PY), "up", "--bin", str(fake), "--no-prometheus"], capture_output=True,
                            text=True, timeout=START_TIMEOUT, env=dict(os.environ, TMPDIR=str(tmp_path)))  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "storage-service exited with status 3 before 200 from /readyz" in result.stderr
    assert "cannot listen: fake failure" in result.stderr
    assert not processes_mentioning(str(tmp_path))
    assert not any(tmp_path.glob("meshtop-mesh-*"))


def test_an_etcd_that_rejects_its_flags_is_named_with_its_log(tmp_path: Path):
    fake = tmp_path / "path"
    fake.mkdir()
    real = shutil.which("etcd")
    (fake / "etcd").write_text(f'#!/bin/sh\nexec {real} --no-such-flag "$@"\n')
    (fake / "etcd").chmod(0o755)
    mesh = Supervised(tmp_path, "--no-prometheus", path_prefix=str(fake))
    assert mesh.description is None
    assert mesh.wait() == 1
    assert "etcd-0 exited with status" in mesh.stderr
    assert "no-such-flag" in mesh.stderr
    assert not processes_mentioning(str(tmp_path))


def test_the_python_api_raises_mesh_error_and_stops_what_started(tmp_path: Path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "storage-service").write_text("#!/bin/sh\necho 'fake: no etcd for me' >&2\nexit 4\n")
    (fake / "storage-service").chmod(0o755)
    failing = Mesh(bin_dir=str(fake), directory=str(tmp_path / "mesh"), proxies=False, prometheus=False)
    with pytest.raises(MeshError, match=r"(?s)storage-service exited with status 4.*fake: no etcd for me"):
        failing.start()
    assert not any(proc.running() for proc in failing.procs.values())
    with pytest.raises(MeshError, match="does not exist"):
        Mesh(bin_dir=str(tmp_path / "nowhere"), directory=str(tmp_path / "other"), proxies=False, prometheus=False).start()


def test_bad_usage_of_up_is_one_line_and_status_2(tmp_path: Path):
    for args, env in ((["--members", "7"], {}), ([], {"MEMBERS": "x"})):
        result = subprocess.run([sys.executable, str(MESH_PY), "up", *args], capture_output=True, text=True, timeout=30,
                                env=dict(os.environ, TMPDIR=str(tmp_path), **env))  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert "members" in result.stderr.splitlines()[-1]
    assert not any(tmp_path.glob("meshtop-mesh-*"))


# --- faults: a mesh of their own, each test leaving it cleared --------------------------------------


@pytest.fixture(scope="class")
def faulty(tmp_path_factory: pytest.TempPathFactory):
    running = supervised(tmp_path_factory.mktemp("faults"), "--no-prometheus")
    gateway = running.description["gateway"]
    assert call(gateway + "/storage", "PUT", {"key": "f", "value": "v"})[0] == 201
    yield running
    running.stop()


def serving(mesh: Supervised) -> None:
    """Polls until the mesh serves again: after a restart, etcd's host may still be ejected."""
    eventually(lambda: call(mesh.description["gateway"] + "/storage/f", timeout=5)[0] == 200, "200 through the gateway")


def requested(mesh: Supervised, tag: str, path: str = "/storage/f", timeout: float = 10.0) -> tuple[Optional[int], str]:
    request_id = f"{tag}-{time.monotonic_ns()}"
    status = call(mesh.description["gateway"] + path, headers={"x-request-id": request_id}, timeout=timeout)[0]
    return status, request_id


def log_of(mesh: Supervised, name: str) -> str:
    return mesh.description["access_logs"][name]


class TestFaults:
    """fault.sh on one `mesh.py up`; each test leaves the mesh cleared."""

    def test_fault_abort_then_clear(self, faulty: Supervised):
        serving(faulty)
        try:
            done = faulty.fault("abort", "100", "418")
            assert done.returncode == 0 and "418" in done.stdout, done.stderr
            status, request_id = requested(faulty, "abort")
            assert status == 418
            (line,) = lines_with(log_of(faulty, GATEWAY), request_id)
            assert line["response_code"] == "418" and "FI" in flags(line)
            assert not [r for r in records(log_of(faulty, STORAGE)) if r["request_id"] == request_id]
        finally:
            assert faulty.fault("clear").returncode == 0
        assert requested(faulty, "cleared")[0] == 200
        assert requested(faulty, "cleared", "/nowhere")[0] == 404


    def test_fault_delay_then_clear(self, faulty: Supervised):
        serving(faulty)
        try:
            assert faulty.fault("delay", "100", "300").returncode == 0
            began = time.monotonic()
            status, request_id = requested(faulty, "delay")
            assert status == 200 and time.monotonic() - began >= 0.3
            (line,) = lines_with(log_of(faulty, GATEWAY), request_id)
            assert "DI" in flags(line) and int(line["duration"]) >= 300
        finally:
            assert faulty.fault("clear").returncode == 0
        status, request_id = requested(faulty, "undelayed")
        assert status == 200
        assert "DI" not in flags(lines_with(log_of(faulty, GATEWAY), request_id)[0])


    def test_fault_logs_off_then_sampled_then_clear(self, faulty: Supervised):
        serving(faulty)
        try:
            result = faulty.fault("logs", "0", STORAGE)
            assert result.returncode == 0 and "access log off" in result.stdout
            status, silent = requested(faulty, "unlogged")
            assert status == 200
            lines_with(log_of(faulty, GATEWAY), silent)  # the gateway still logs it
            assert faulty.fault("logs", "50", STORAGE).returncode == 0
            # Envoy samples by the x-request-id's UUID bits: ids that are UUIDs, as Envoy makes them.
            ids = [str(uuid.uuid4()) for _ in range(40)]
            for request_id in ids:
                assert call(faulty.description["gateway"] + "/storage/f", headers={"x-request-id": request_id})[0] == 200
            for request_id in ids:
                lines_with(log_of(faulty, GATEWAY), request_id)
        finally:
            assert faulty.fault("clear").returncode == 0
        # Logged whole again; the sidecar writes its lines in order, so once this one's are in,
        # the earlier requests' lines are in too, if they were written at all.
        status, logged = requested(faulty, "logged-again")
        assert status == 200
        lines_with(log_of(faulty, STORAGE), logged, count=2)
        storage = records(log_of(faulty, STORAGE))
        by_id = {request_id: [r for r in storage if r["request_id"] == request_id] for request_id in [silent, *ids]}
        assert by_id[silent] == [], "neither the inbound nor the outbound line while the log was off"
        # Half the ids, by x-request-id: a kept request has both of the sidecar's lines.
        kept = [request_id for request_id in ids if by_id[request_id]]
        assert 0 < len(kept) < len(ids), f"{len(kept)} of {len(ids)} kept at 50 %"
        assert all(len(by_id[request_id]) == 2 for request_id in kept)
        assert faulty.fault("logs", "101", STORAGE).returncode == 2
        assert faulty.fault("logs", "0", "nobody").returncode == 2

    def test_fault_overflow_with_concurrent_requests(self, faulty: Supervised):
        serving(faulty)
        try:
            assert faulty.fault("overflow").returncode == 0
            tag = f"overflow-{time.monotonic_ns()}"

            def overflowed() -> bool:
                with concurrent.futures.ThreadPoolExecutor(30) as pool:
                    list(pool.map(lambda n: call(faulty.description["gateway"] + "/storage/f", headers={"x-request-id": f"{tag}-{n}"}),
                                  range(30)))  # fmt: skip
                return any("UO" in flags(r) for r in records(log_of(faulty, STORAGE))
                           if (r["request_id"] or "").startswith(tag) and r["upstream_cluster"] == ETCD_CLUSTER)  # fmt: skip

            eventually(overflowed, "UO on proxy-etcd-storage's etcd cluster", timeout=30, every=0)
        finally:
            assert faulty.fault("clear").returncode == 0
        serving(faulty)


    def test_fault_etcd_stop_and_start(self, faulty: Supervised):
        serving(faulty)
        before = faulty.pids()["etcd-0"]
        done = faulty.fault("etcd", "stop")
        assert done.returncode == 0, done.stderr
        try:
            eventually(lambda: not alive(before), "etcd-0 gone", timeout=10)

            def seen(flag_sets: dict[str, set[str]]) -> Callable[[], bool]:
                def check() -> bool:
                    requested(faulty, "etcd-down")
                    for name, wanted in flag_sets.items():
                        got = set().union(*(flags(r) for r in records(log_of(faulty, name)) if (r["request_id"] or "").startswith("etcd-down")))
                        if not got & wanted:
                            return False
                    return True

                return check

            eventually(seen({"etcd-0": {"UF"}, STORAGE: {"URX", "UH"}}), "UF on etcd-0's sidecar and URX/UH on proxy-etcd-storage's")
            # Kept down: the supervisor does not restart it on its own.
            assert faulty.pids()["etcd-0"] == before and not alive(before)
        finally:
            done = faulty.fault("etcd", "start")
            assert done.returncode == 0 and "restarting" in done.stdout, done.stderr
        serving(faulty)
        assert alive(faulty.pids()["etcd-0"]) and faulty.pids()["etcd-0"] != before


    def test_fault_etcd_pause_and_resume(self, faulty: Supervised):
        serving(faulty)
        try:
            assert faulty.fault("etcd", "pause").returncode == 0
            status, request_id = requested(faulty, "paused", timeout=20)
            assert status is not None and status >= 500
            outbound = [r for r in lines_with(log_of(faulty, STORAGE), request_id, count=2) if r["upstream_cluster"] == ETCD_CLUSTER]
            assert outbound and "UT" in flags(outbound[0]), outbound
        finally:
            assert faulty.fault("etcd", "resume").returncode == 0
        serving(faulty)


    def test_fault_bad_usage_is_one_line_and_status_2(self, faulty: Supervised, tmp_path: Path):
        for args in ([], ["abort"], ["abort", "101"], ["abort", "10", "99"], ["delay", "10", "x"], ["etcd", "explode"],
                     ["etcd", "stop", "etcd-9"], ["stop", "nobody"], ["bogus"]):  # fmt: skip
            result = faulty.fault(*args)
            assert result.returncode == 2, (args, result.stderr)
            assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        result = subprocess.run(["bash", str(FAULT_SH), "clear"], capture_output=True, text=True, timeout=30,
                                env={k: v for k, v in dict(os.environ, TMPDIR=str(tmp_path)).items() if k != "MESH"})  # fmt: skip
        assert result.returncode == 2 and "no local mesh is running" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# --- three members, JSON lines ----------------------------------------------------------------------


@pytest.fixture(scope="class")
def wide(tmp_path_factory: pytest.TempPathFactory):
    running = supervised(tmp_path_factory.mktemp("wide"), "--no-prometheus", "--log-format", "json", env={"MEMBERS": "3"})
    yield running
    running.stop()


class TestThreeMembersJSON:
    """`MEMBERS=3 mesh.py up --log-format json`."""

    def test_three_members_behind_three_sidecars_all_get_requests(self, wide: Supervised):
        names = [f"etcd-{i}" for i in range(3)]
        pids = wide.pids()
        assert all(alive(pids[name]) and alive(pids[f"{name}/istio-proxy"]) for name in names)
        assert len(wide.description["etcd"]) == 3 and set(names) <= set(wide.description["admin"])
        gateway = wide.description["gateway"]
        assert call(gateway + "/storage", "PUT", {"key": "w", "value": "v"})[0] == 201
        tag = f"wide-{time.monotonic_ns()}"
        for n in range(30):
            assert call(gateway + "/storage/w", headers={"x-request-id": f"{tag}-{n}"})[0] == 200

        def per_member() -> Optional[dict[str, int]]:
            counts = {name: sum(1 for r in records(log_of(wide, name)) if (r["request_id"] or "").startswith(tag)) for name in names}
            return counts if sum(counts.values()) >= 30 else None

        counts = eventually(per_member, "a line for each of 30 reads in the members' logs", timeout=10)
        assert all(count > 0 for count in counts.values()), counts
        for name in names:
            assert {r["upstream_cluster"] for r in records(log_of(wide, name))} == {INBOUND_ETCD}


    def test_json_lines_carry_istios_keys(self, wide: Supervised):
        status, headers, _ = call(wide.description["gateway"] + "/storage/w")
        assert status == 200
        request_id = headers["x-request-id"]
        (line,) = lines_with(log_of(wide, GATEWAY), request_id)
        assert set(line) == set(ISTIO_JSON_FORMAT)
        assert line["upstream_cluster"] == STORAGE_CLUSTER and line["method"] == "GET" and line["path"] == "/storage/w"
        assert line["response_code"] == 200 and isinstance(line["duration"], int)
        raw = [json.loads(text) for text in Path(log_of(wide, STORAGE)).read_text().splitlines()]
        assert {r["upstream_cluster"] for r in raw if r["request_id"] == request_id} == {INBOUND_STORAGE, ETCD_CLUSTER}
        printed = subprocess.run([sys.executable, str(MESH_PY), "print-format", "json"], capture_output=True, text=True, check=True)
        assert set(json.loads(printed.stdout)) == set(line)
