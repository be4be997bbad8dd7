#!/usr/bin/env bash
# Istio (demo profile + the Prometheus addon) when it is absent, then the app and its etcd
# with the Istio overlay; waits for every rollout, never with a sleep loop.
#   deploy/scripts/deploy.sh [OVERLAY]     OVERLAY: istio (default) or nodeport
#   ISTIO_PROMETHEUS_URL overrides where the Prometheus addon manifest is fetched from.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need istioctl "https://istio.io/latest/docs/setup/getting-started/#download"
need docker "to build the storage-service image"
overlay=${1:-istio}
[[ -d $K8S_DIR/$overlay ]] || { echo "deploy.sh: no overlay $overlay under $K8S_DIR" >&2; exit 2; }
kubectl version >/dev/null || { echo "deploy.sh: kubectl cannot reach a cluster" >&2; exit 1; }

if ! kubectl get namespace istio-system >/dev/null 2>&1; then
    istioctl install --set profile=demo -y
fi
if ! kubectl -n istio-system get deployment prometheus >/dev/null 2>&1; then
    version=$(istioctl version --remote=false --short 2>/dev/null | cut -d. -f1,2)
    kubectl apply -f "${ISTIO_PROMETHEUS_URL:-https://raw.githubusercontent.com/istio/istio/release-${version}/samples/addons/prometheus.yaml}"
fi
kubectl -n istio-system rollout status deployment/istiod --timeout=300s
kubectl -n istio-system rollout status deployment/prometheus --timeout=300s

# The image the Deployment names; on minikube it is built inside the cluster's runtime.
repo=$(cd "$(dirname "$0")/../.." && pwd)
if command -v minikube >/dev/null 2>&1 && minikube status >/dev/null 2>&1; then
    minikube image build -t proxy-etcd-storage:latest -f deploy/docker/storage-service.Dockerfile "$repo"
else
    docker build -t proxy-etcd-storage:latest -f "$repo/deploy/docker/storage-service.Dockerfile" "$repo"
fi

kubectl apply -k "$K8S_DIR/$overlay"
kubectl -n "$NAMESPACE" rollout status statefulset/etcd --timeout=300s
kubectl -n "$NAMESPACE" rollout status deployment/proxy-etcd-storage --timeout=300s
kubectl -n "$NAMESPACE" wait --for=condition=Ready pod -l app=proxy-etcd-storage --timeout=120s
echo "deployed: try deploy/scripts/verify.sh, then meshtop"
