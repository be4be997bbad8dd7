"""The cluster scripts, run against stand-ins: no Kubernetes API server, Istio or Docker can run
on the build machine, so fake `kubectl`, `istioctl` and `docker` on PATH record every call and
answer like a cluster where Istio is absent (or present). The tests check what the scripts ask
of the cluster, in order, and that they refuse to run without their tools."""
import os
import pathlib
import subprocess

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
