#!/usr/bin/env python3
"""Offline checks of the Kubernetes manifests (`make test`):

- every overlay builds with `kubectl kustomize`;
- every Kubernetes object validates strictly against the Kubernetes schemas
  (PyPI kubernetes-validate, no cluster needed);
- every Istio object has a current apiVersion, a known kind and the fields Istio needs;
- no deprecated API appears anywhere.

    deploy/k8s/check.py [OVERLAY_DIR ...]      (default: every overlay under deploy/k8s)
Exit 0 when everything passes, 1 with one line per problem otherwise.
"""
import json
import pathlib
import subprocess
import sys

import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.30.0"
DEPRECATED = ("extensions/v1beta1", "networking.istio.io/v1alpha3", "config.istio.io/")
ISTIO_KINDS = {
    "networking.istio.io/v1": {"Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "Sidecar"},
    "telemetry.istio.io/v1": {"Telemetry"},
    "security.istio.io/v1": {"PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication"},
}


def istio_problems(obj):
    """The fields Istio rejects an object without, for the kinds deploy/ uses."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    problems = []
    if kind == "Gateway":
        if not spec.get("selector"):
            problems.append("spec.selector is missing")
        for server in spec.get("servers") or [None]:
            port = (server or {}).get("port") or {}
            if not all(key in port for key in ("number", "name", "protocol")):
                problems.append("each server needs port.number, port.name and port.protocol")
            if not (server or {}).get("hosts"):
                problems.append("each server needs hosts")
    elif kind == "VirtualService":
        if not spec.get("hosts"):
            problems.append("spec.hosts is missing")
        routes = [route for rule in spec.get("http") or [] for route in rule.get("route") or []]
        if not routes or not all((route.get("destination") or {}).get("host") for route in routes):
            problems.append("every http route needs destination.host")
    elif kind == "Telemetry":
        logging = spec.get("accessLogging") or []
        if not logging or not all(provider.get("name") for entry in logging for provider in entry.get("providers") or [{}]):
            problems.append("spec.accessLogging needs providers with a name")
    elif kind == "PeerAuthentication":
        if (spec.get("mtls") or {}).get("mode") not in ("STRICT", "PERMISSIVE", "DISABLE"):
            problems.append("spec.mtls.mode must be STRICT, PERMISSIVE or DISABLE")
    return problems


def old_kubectl():
    """Why kubectl cannot build these overlays, or None: Debian's kubernetes-client is 1.20, whose
    kustomize (v2) reads neither `resources: [../base]` nor inline `patches:`."""
    shown = subprocess.run(["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True)
    try:
        client = json.loads(shown.stdout)["clientVersion"]
        major, minor = int(client["major"]), int(client["minor"].rstrip("+"))
    except (ValueError, KeyError, TypeError):
        return None
    if (major, minor) < (1, 21):
        return f"kubectl {client.get('gitVersion', f'{major}.{minor}')} is too old: the overlays need kubectl 1.21 or later (kustomize v4+)"
    return None


def check(overlay):
    built = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True)
    if built.returncode != 0:
        hint = old_kubectl()
        return [f"{overlay}: kubectl kustomize failed: {built.stderr.strip()}" + (f" ({hint})" if hint else "")]
    problems = []
    for obj in yaml.safe_load_all(built.stdout):
        if not obj:
            continue
        api, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        name = f"{overlay}: {kind}/{(obj.get('metadata') or {}).get('name', '?')}"
        if any(api.startswith(old) for old in DEPRECATED):
            problems.append(f"{name}: deprecated apiVersion {api}")
            continue
        if ".istio.io/" in api:
            if kind not in ISTIO_KINDS.get(api, set()):
                problems.append(f"{name}: {api} {kind} is not a current Istio API")
            problems += [f"{name}: {problem}" for problem in istio_problems(obj)]
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{name}: {error.message} at {'.'.join(str(part) for part in error.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{name}: no Kubernetes schema for {api} {kind}")
    return problems


def main(arguments):
    root = pathlib.Path(__file__).resolve().parent
    overlays = [pathlib.Path(a) for a in arguments] or sorted(p.parent for p in root.glob("*/kustomization.yaml"))
    problems = []
    for overlay in overlays:
        problems += check(overlay)
    for manifest in root.rglob("*.yaml"):
        text = manifest.read_text()
        problems += [f"{manifest}: deprecated apiVersion {old}" for old in DEPRECATED if f"apiVersion: {old}" in text]
    for problem in problems:
        print(problem)
    if not problems:
        print(f"manifests: {len(overlays)} overlays build and validate")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
