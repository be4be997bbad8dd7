"""deploy/k8s/check.py passes the real overlays and catches what it is there to catch."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "deploy" / "k8s" / "check.py"


def run(*overlays):
    return subprocess.run([sys.executable, str(CHECK), *map(str, overlays)], capture_output=True, text=True)


def overlay(tmp_path, name, manifest):
    directory = tmp_path / name
    directory.mkdir()
    (directory / "kustomization.yaml").write_text("resources:\n  - object.yaml\n")
    (directory / "object.yaml").write_text(manifest)
    return directory


def test_every_overlay_builds_and_validates():
    result = run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 overlays build and validate" in result.stdout


def test_overlays_render_what_the_original_exposed():
    nodeport = subprocess.run(["kubectl", "kustomize", str(ROOT / "deploy/k8s/nodeport")], capture_output=True, text=True, check=True).stdout
    assert "nodePort: 32380" in nodeport and "nodePort: 32012" in nodeport
    istio = subprocess.run(["kubectl", "kustomize", str(ROOT / "deploy/k8s/istio")], capture_output=True, text=True, check=True).stdout
    for kind in ("kind: Gateway", "kind: VirtualService", "kind: Telemetry", "kind: PeerAuthentication", "mode: STRICT"):
        assert kind in istio
    base = subprocess.run(["kubectl", "kustomize", str(ROOT / "deploy/k8s/base")], capture_output=True, text=True, check=True).stdout
    assert "istio-injection: enabled" in base and "replicas: 3" in base and "name: etcd-service" in base


def test_a_wrong_field_type_is_caught(tmp_path):
    broken = overlay(tmp_path, "typo", """apiVersion: v1
kind: Service
metadata:
  name: x
spec:
  ports:
    - port: "eighty"
""")
    result = run(broken)
    assert result.returncode == 1
    assert "Service/x" in result.stdout


def test_an_unknown_field_is_caught(tmp_path):
    broken = overlay(tmp_path, "unknown", """apiVersion: v1
kind: ConfigMap
metadata:
  name: y
data: {}
replicas: 2
""")
    result = run(broken)
    assert result.returncode == 1 and "ConfigMap/y" in result.stdout


def test_an_istio_object_without_hosts_is_caught(tmp_path):
    broken = overlay(tmp_path, "istio", """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: z
spec:
  http:
    - route:
        - destination: {}
""")
    result = run(broken)
    assert result.returncode == 1
    assert "spec.hosts is missing" in result.stdout and "destination.host" in result.stdout


def test_a_deprecated_api_is_caught(tmp_path):
    broken = overlay(tmp_path, "old", """apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: g
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
""")
    result = run(broken)
    assert result.returncode == 1 and "deprecated apiVersion networking.istio.io/v1alpha3" in result.stdout
