#!/usr/bin/env bash
# A fresh minikube with room for Istio's demo profile (Istio asks for 8 GB and 4 CPUs).
#   MINIKUBE_MEMORY=8192 MINIKUBE_CPUS=4 deploy/scripts/minikube.sh
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
need minikube "https://minikube.sigs.k8s.io/docs/start/"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
minikube start --memory "${MINIKUBE_MEMORY:-8192}" --cpus "${MINIKUBE_CPUS:-4}"
kubectl wait --for=condition=Ready nodes --all --timeout=300s
