#!/usr/bin/env bash
# Shared by the benchmarks: tools, the release build, and the local mesh (deploy/local/mesh.py).

need() { # need TOOL...: stop with one line when a tool is missing
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
    done
}

release_build() { # builds both products in release mode; sets bin to where they are
    swift build -c release --product meshtop --quiet
    swift build -c release --product storage-service --quiet
    # shellcheck disable=SC2034 # read by the scripts that source this file
    bin=$(swift build -c release --show-bin-path)
}

# The local mesh: mesh_up, mesh_get, mesh_pid_of, mesh_down.
# shellcheck source=deploy/local/mesh.sh
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/mesh.sh"
