"""Real servers for the Python tests (web UI, cluster scripts): etcd and storage-service from the
local mesh's one definition (deploy/local/mesh.py), without its proxies and Prometheus, on
loopback ports the kernel picks, with data in pytest's tmp dirs, each waited for by a readiness
check and stopped by the test that started it.

A missing binary skips locally and fails under CI=true; a server that does not come up fails the
test with the mesh's message (which process, and the end of its log).
"""

from __future__ import annotations

import os
import sys
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "deploy" / "local"))
from mesh import Mesh, MeshError, MissingTool, Proc  # noqa: E402  (the local stack's one definition)

SERVICE_BIN = os.environ.get("STORAGE_SERVICE_BIN", str(REPO_ROOT / ".build" / "debug" / "storage-service"))

# Generous: a cold debug build of the service and a first etcd boot on a busy CI runner are slow.
STARTUP_TIMEOUT = 30.0


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


def started(mesh: Mesh) -> Mesh:
    """`mesh` started: a missing program skips (fails under CI), any other failure fails the test
    with the mesh's message; on either, nothing of it is left running."""
    try:
        return mesh.start()
    except MissingTool as error:
        unavailable(str(error))
    except MeshError as error:
        pytest.fail(str(error), pytrace=False)


# --- checks ------------------------------------------------------------------------------------


def http_status(url: str, timeout: float = 1.0) -> Optional[int]:
    """The status of GET url, or None when nothing answered (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def wait_until(ready: Callable[[], bool], process: Proc, what: str, timeout: float = STARTUP_TIMEOUT) -> None:
    """Poll `ready` until it holds. Fails early if the process died, and with its log on timeout,
    because a bare "timed out" says nothing about why a server did not come up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running():
            code = process.process.returncode if process.process else None
            pytest.fail(f"{process.name} exited with status {code} before {what}:\n{process.log_tail()}", pytrace=False)
        if ready():
            return
        time.sleep(0.05)  # poll interval, not synchronisation
    pytest.fail(f"{process.name}: no {what} within {timeout:.0f}s:\n{process.log_tail()}", pytrace=False)


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    """One etcd (v2 and v3) and one storage-service using it: the local mesh without proxies."""

    mesh: Mesh

    @property
    def etcd(self) -> Proc:
        return self.mesh.procs["etcd-0"]

    @property
    def service(self) -> Proc:
        return self.mesh.procs["storage-service"]

    @property
    def etcd_url(self) -> str:
        return self.mesh.etcd_url

    @property
    def base_url(self) -> str:
        return self.mesh.service_url

    def stop(self) -> None:
        self.mesh.stop()

    def logs(self) -> dict[str, str]:
        return {name: proc.log_tail() for name, proc in self.mesh.procs.items()}


def start_stack(directory: Path, service_args: tuple[str, ...] = ()) -> Stack:
    """etcd and storage-service, their data and logs under `directory`."""
    service_bin = Path(SERVICE_BIN)
    if service_bin.name != "storage-service":  # the mesh runs BIN_DIR/storage-service
        pytest.fail(f"STORAGE_SERVICE_BIN must name a binary called storage-service, not {service_bin}", pytrace=False)
    mesh = Mesh(bin_dir=str(service_bin.parent), directory=str(directory / "mesh"), proxies=False, prometheus=False,
                istio_metrics=False, service_args=service_args)  # fmt: skip
    return Stack(started(mesh))
