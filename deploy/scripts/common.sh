#!/usr/bin/env bash
# Shared by the cluster scripts: tool checks and the namespace the app runs in.
# shellcheck disable=SC2034 # sourced: the variables are used by the scripts that source it
NAMESPACE=${NAMESPACE:-default}
K8S_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../k8s" && pwd)"

need() { # need TOOL WHY
    command -v "$1" >/dev/null 2>&1 || { echo "$(basename "$0"): $1 is not installed ($2)" >&2; exit 2; }
}
