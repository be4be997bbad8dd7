#!/usr/bin/env bash
# Removes what deploy.sh applied; `--istio` also uninstalls Istio.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
overlay=${OVERLAY:-istio}
kubectl delete -k "$K8S_DIR/$overlay" --ignore-not-found --wait
# The etcd data volumes outlive the StatefulSet unless removed.
kubectl -n "$NAMESPACE" delete pvc -l app=etcd --ignore-not-found
if [[ ${1:-} == --istio ]]; then
    need istioctl "https://istio.io/latest/docs/setup/getting-started/#download"
    istioctl uninstall --purge -y
    kubectl delete namespace istio-system --ignore-not-found
fi
