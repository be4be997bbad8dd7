"""The cluster scripts, run against stand-ins: no Kubernetes API server, Istio or Docker can run
on the build machine, so fake `kubectl`, `istioctl` and `docker` on PATH record every call and
answer like a cluster where Istio is absent (or present). The tests check what the scripts ask
of the cluster, in order, and that they refuse to run without their tools. verify.sh's HTTP
checks run against a real etcd and storage-service (see below)."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "deploy" / "scripts"

FAKE = """#!/usr/bin/env bash
echo "{name} $*" >> "$FAKE_LOG"
case "{name} $*" in
  "kubectl get namespace istio-system") [[ -n $ISTIO_PRESENT ]] ;;
  "kubectl -n istio-system get deployment prometheus") [[ -n $ISTIO_PRESENT ]] ;;
  "istioctl version --remote=false --short") echo 1.24.2 ;;
  *) exit 0 ;;
esac
"""


def fake_path(tmp_path, tools=("kubectl", "istioctl", "docker")):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in tools:
        tool = bin_dir / name
        tool.write_text(FAKE.replace("{name}", name))
        tool.chmod(0o755)
    # Only the fakes and the shell's basics: a real kubectl or minikube must not answer.
    for basic in ("bash", "dirname", "basename", "cut", "cat", "grep", "seq", "sleep", "env"):
        for directory in ("/usr/bin", "/bin"):
            if os.path.exists(f"{directory}/{basic}") and not (bin_dir / basic).exists():
                (bin_dir / basic).symlink_to(f"{directory}/{basic}")
    return bin_dir


def run(script, tmp_path, bin_dir, *args, istio_present=False):
    log = tmp_path / "calls.log"
    log.write_text("")
    env = {"PATH": str(bin_dir), "FAKE_LOG": str(log), "HOME": str(tmp_path)}
    if istio_present:
        env["ISTIO_PRESENT"] = "1"
    result = subprocess.run(["bash", str(SCRIPTS / script), *args], capture_output=True, text=True, env=env)
    return result, log.read_text().splitlines()


def test_deploy_installs_istio_when_absent_then_applies_and_waits(tmp_path):
    result, calls = run("deploy.sh", tmp_path, fake_path(tmp_path))
    assert result.returncode == 0, result.stderr
    expected = [
        "istioctl install --set profile=demo -y",
        "kubectl apply -f https://raw.githubusercontent.com/istio/istio/release-1.24/samples/addons/prometheus.yaml",
        "kubectl -n istio-system rollout status deployment/istiod --timeout=300s",
        "kubectl -n istio-system rollout status deployment/prometheus --timeout=300s",
        f"docker build -t proxy-etcd-storage:latest -f {ROOT}/deploy/docker/storage-service.Dockerfile {ROOT}",
        f"kubectl apply -k {ROOT}/deploy/k8s/istio",
        "kubectl -n default rollout status statefulset/etcd --timeout=300s",
        "kubectl -n default rollout status deployment/proxy-etcd-storage --timeout=300s",
        "kubectl -n default wait --for=condition=Ready pod -l app=proxy-etcd-storage --timeout=120s",
    ]
    positions = [calls.index(call) for call in expected]
    assert positions == sorted(positions), calls
    assert not any(call.startswith("sleep") for call in calls)


def test_deploy_leaves_an_installed_istio_alone(tmp_path):
    result, calls = run("deploy.sh", tmp_path, fake_path(tmp_path), "nodeport", istio_present=True)
    assert result.returncode == 0, result.stderr
    assert not any(call.startswith("istioctl install") for call in calls)
    assert not any(call.startswith("kubectl apply -f") for call in calls)
    assert f"kubectl apply -k {ROOT}/deploy/k8s/nodeport" in calls


def test_deploy_refuses_an_unknown_overlay_and_missing_tools(tmp_path):
    result, _ = run("deploy.sh", tmp_path, fake_path(tmp_path), "nowhere")
    assert result.returncode == 2 and "no overlay nowhere" in result.stderr
    other = tmp_path / "other"
    other.mkdir()
    result, calls = run("deploy.sh", other, fake_path(other, tools=("kubectl",)))
    assert result.returncode == 2 and "istioctl is not installed" in result.stderr
    assert calls == []


def test_teardown_removes_the_app_its_volumes_and_optionally_istio(tmp_path):
    result, calls = run("teardown.sh", tmp_path, fake_path(tmp_path))
    assert result.returncode == 0, result.stderr
    assert calls == [
        f"kubectl delete -k {ROOT}/deploy/k8s/istio --ignore-not-found --wait",
        "kubectl -n default delete pvc -l app=etcd --ignore-not-found",
    ]
    again = tmp_path / "again"
    again.mkdir()
    result, calls = run("teardown.sh", again, fake_path(again), "--istio")
    assert result.returncode == 0, result.stderr
    assert "istioctl uninstall --purge -y" in calls and "kubectl delete namespace istio-system --ignore-not-found" in calls


# --- verify.sh, loadtest.sh, minikube.sh ------------------------------------------------------
# verify.sh talks HTTP for real: a real etcd (v2 on) listens where the port-forward would end,
# and a real storage-service stands for both the NodePort and the ingress gateway. kubectl
# only answers the lookups; meshtop is a recording stand-in, since `meshtop logs k8s:…` needs
# pods (the Swift tests cover it with a replaying kubectl).

sys.path.insert(0, str(ROOT / "Tests" / "support"))
from servers import start_stack  # noqa: E402

CLUSTER_KUBECTL = """#!/usr/bin/env bash
echo "kubectl $*" >> "$FAKE_LOG"
case "$*" in
  *" port-forward "*) echo $$ > "$FORWARD_PID"; exec sleep 60 ;;
  "get nodes "*) echo 127.0.0.1 ;;
  *"get svc proxy-etcd-storage -o jsonpath={.spec.type}") echo "$SERVICE_TYPE" ;;
  *"get svc proxy-etcd-storage -o jsonpath={.spec.ports[0].nodePort}") echo "$SERVICE_PORT" ;;
  *"get svc istio-ingressgateway "*) echo "$SERVICE_PORT" ;;
  *) exit 0 ;;
esac
"""

RECORDER = """#!/usr/bin/env bash
echo "{name} $*" >> "$FAKE_LOG"
"""


def cluster_path(tmp_path, tools=("kubectl", "meshtop", "minikube")):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in tools:
        tool = bin_dir / name
        tool.write_text(CLUSTER_KUBECTL if name == "kubectl" else RECORDER.replace("{name}", name))
        tool.chmod(0o755)
    for basic in ("bash", "dirname", "basename", "cat", "grep", "seq", "sleep", "curl"):
        found = shutil.which(basic)
        if found and not (bin_dir / basic).exists():
            (bin_dir / basic).symlink_to(found)
    return bin_dir


def run_cluster(script, tmp_path, bin_dir, **env):
    log = tmp_path / "calls.log"
    log.write_text("")
    environment = {"PATH": str(bin_dir), "FAKE_LOG": str(log), "HOME": str(tmp_path), **env}
    result = subprocess.run(["bash", str(SCRIPTS / script)], capture_output=True, text=True, env=environment, timeout=120)
    return result, log.read_text().splitlines()


def alive(pid):
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def cluster_stand_in(tmp_path):
    """etcd with the v2 API and the service in front of it (the local mesh without proxies);
    verify.sh is told to forward to etcd's port (ETCD_LOCAL_PORT)."""
    stack = start_stack(tmp_path)
    yield urllib.parse.urlsplit(stack.etcd_url).port, stack.etcd_url, urllib.parse.urlsplit(stack.base_url).port
    stack.stop()


@pytest.mark.parametrize("service_type", ["NodePort", "ClusterIP"])
def test_verify_shows_etcd_headers_reaches_the_service_and_hands_over_to_meshtop(tmp_path, cluster_stand_in, service_type):
    etcd_port, etcd_url, service_port = cluster_stand_in
    forward_pid = tmp_path / "forward.pid"
    result, calls = run_cluster(
        "verify.sh", tmp_path, cluster_path(tmp_path), ETCD_LOCAL_PORT=str(etcd_port),
        SERVICE_TYPE=service_type, SERVICE_PORT=str(service_port), FORWARD_PID=str(forward_pid))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout

    # The etcd step: a real PUT, and the headers the original showed.
    assert re.search(r"^X-Etcd-Index: \d+\r?$", out, re.M | re.I), out
    assert re.search(r"^X-Raft-Index: \d+\r?$", out, re.M | re.I), out
    assert re.search(r"^X-Raft-Term: \d+\r?$", out, re.M | re.I), out
    with urllib.request.urlopen(f"{etcd_url}/v2/keys/istioTest") as response:
        assert json.load(response)["node"]["value"] == "fromVerify"
    assert f"kubectl -n default port-forward svc/etcd-service {etcd_port}:2379" in calls
    assert not alive(int(forward_pid.read_text())), "the port-forward outlived verify.sh"

    # The service: by NodePort only when the Service is one, always through the gateway.
    by_node_port = f"== the service by NodePort (127.0.0.1:{service_port})"
    assert (by_node_port in out) == (service_type == "NodePort"), out
    assert f"== the service through the ingress gateway (127.0.0.1:{service_port})" in out
    assert "byIngress" in out.split("ingress gateway")[1], out

    assert calls[-1] == "meshtop logs k8s:default/app=proxy-etcd-storage k8s:default/app=etcd --no-follow --pairs"


def test_verify_refuses_to_run_without_meshtop(tmp_path):
    result, calls = run_cluster("verify.sh", tmp_path, cluster_path(tmp_path, tools=("kubectl",)))
    assert result.returncode == 2 and "meshtop is not installed" in result.stderr
    assert calls == []


def test_loadtest_runs_the_original_three_loads_through_the_gateway(tmp_path):
    result, calls = run_cluster("loadtest.sh", tmp_path, cluster_path(tmp_path), SERVICE_PORT="31380")
    assert result.returncode == 0, result.stderr
    url = "http://127.0.0.1:31380/storage/istioTest"
    assert [call for call in calls if call.startswith("meshtop")] == [
        f"meshtop load -n 400 -c 10 --rps 20 {url}",
        f"meshtop load -n 2000 -c 50 --rps 100 {url}",
        f"meshtop load -d 30s -c 64 {url}",
    ]


def test_minikube_starts_with_room_for_istio_and_waits_for_the_node(tmp_path):
    result, calls = run_cluster("minikube.sh", tmp_path, cluster_path(tmp_path))
    assert result.returncode == 0, result.stderr
    assert calls == ["minikube start --memory 8192 --cpus 4", "kubectl wait --for=condition=Ready nodes --all --timeout=300s"]
    again = tmp_path / "again"
    again.mkdir()
    result, calls = run_cluster("minikube.sh", again, cluster_path(again), MINIKUBE_MEMORY="12288", MINIKUBE_CPUS="6")
    assert result.returncode == 0, result.stderr
    assert calls[0] == "minikube start --memory 12288 --cpus 6"
