"""Real servers for the Python tests (web UI, cluster scripts): etcd and storage-service on
loopback ports picked at random, with data in pytest's tmp dirs, each waited for by a readiness
check and stopped by the test that started it. A missing binary skips locally and fails under
CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE_BIN = os.environ.get("STORAGE_SERVICE_BIN", str(REPO_ROOT / ".build" / "debug" / "storage-service"))
ETCD_BIN = os.environ.get("ETCD_BIN", "etcd")

# Generous: a cold debug build of the service and a first etcd boot on a busy CI runner are slow.
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
LOG_TAIL_BYTES = 4000


# --- prerequisites -----------------------------------------------------------------------------


def unavailable(reason: str, module_level: bool = False) -> None:
    """A missing prerequisite skips locally, but fails in CI, where a skip would hide a broken image."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and a prerequisite is missing: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)


def executable(path_or_name: str, what: str, hint: str = "") -> str:
    """The absolute path of an executable, or skip/fail saying which one is missing."""
    found = shutil.which(path_or_name)
    if found is None:
        unavailable(f"{what} not found at '{path_or_name}'{hint}")
    return found


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    """A port that was free a moment ago. The kernel picks it, so parallel runs do not collide;
    the small window before the server binds it is caught by the readiness poll (the server exits)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ManagedProcess:
    """A child process whose output goes to a log file, so a failure can show what it said."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: Optional[dict[str, str]] = None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self) -> str:
        if not self._log.closed:
            self._log.flush()
        data = self.log_path.read_bytes()[-LOG_TAIL_BYTES:]
        return data.decode("utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM first so the server can shut down cleanly; SIGKILL if it does not in time."""
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self._log.close()


def http_status(url: str, timeout: float = 1.0) -> Optional[int]:
    """The status of GET url, or None when nothing answered (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def wait_until(ready: Callable[[], bool], process: ManagedProcess, what: str, timeout: float = STARTUP_TIMEOUT) -> None:
    """Poll `ready` until it holds. Fails early if the process died, and with its log on timeout,
    because a bare "timed out" says nothing about why a server did not come up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running():
            pytest.fail(
                f"{process.name} exited with status {process.process.returncode} before {what}:\n{process.log_tail()}",
                pytrace=False,
            )
        if ready():
            return
        time.sleep(0.05)  # poll interval, not synchronisation
    pytest.fail(f"{process.name}: no {what} within {timeout:.0f}s:\n{process.log_tail()}", pytrace=False)


def etcd_healthy(client_url: str) -> bool:
    try:
        with urllib.request.urlopen(client_url + "/health", timeout=1.0) as response:
            return json.load(response).get("health") == "true"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_etcd(directory: Path, v2: bool = False, client_port: Optional[int] = None) -> tuple[ManagedProcess, str]:
    binary = executable(ETCD_BIN, "etcd", " (apt-get install etcd-server, or set ETCD_BIN)")
    client_url = f"http://127.0.0.1:{client_port or free_port()}"
    peer_url = f"http://127.0.0.1:{free_port()}"
    argv = [
        binary,
        "--name", "default",
        "--data-dir", str(directory / "etcd-data"),
        "--listen-client-urls", client_url,
        "--advertise-client-urls", client_url,
        "--listen-peer-urls", peer_url,
        "--initial-advertise-peer-urls", peer_url,
        "--initial-cluster", f"default={peer_url}",
    ] + (["--enable-v2"] if v2 else [])  # fmt: skip
    # etcd also reads ETCD_* variables; a developer's own settings must not leak into the test cluster.
    env = {name: value for name, value in os.environ.items() if not name.startswith("ETCD_")}
    etcd = ManagedProcess("etcd", argv, directory / "etcd.log", env=env)
    wait_until(lambda: etcd_healthy(client_url), etcd, "healthy /health")
    return etcd, client_url


def start_service(directory: Path, etcd_url: str) -> tuple[ManagedProcess, str]:
    binary = executable(SERVICE_BIN, "storage-service", " (run `swift build`, or set STORAGE_SERVICE_BIN)")
    port = free_port()
    argv = [binary, "--host", "127.0.0.1", "--port", str(port), "--etcd", etcd_url, "--etcd-api", "v3"]
    service = ManagedProcess("storage-service", argv, directory / "storage-service.log")
    base_url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_status(base_url + "/readyz") == 200, service, "200 from /readyz")
    return service, base_url


@dataclass
class Stack:
    """One etcd and one storage-service using it."""

    etcd: ManagedProcess
    etcd_url: str
    service: ManagedProcess
    base_url: str

    def stop(self) -> None:
        # The service first, so it does not log a burst of etcd connection errors while exiting.
        self.service.stop()
        self.etcd.stop()

    def logs(self) -> dict[str, str]:
        return {process.name: process.log_tail() for process in (self.service, self.etcd)}


def start_stack(directory: Path) -> Stack:
    etcd, etcd_url = start_etcd(directory)
    try:
        service, base_url = start_service(directory, etcd_url)
    except BaseException:  # pytest.fail/skip are BaseExceptions; etcd must not outlive them
        etcd.stop()
        raise
    return Stack(etcd, etcd_url, service, base_url)
