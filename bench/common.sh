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

# The local mesh from a shell script: `mesh.py up` in the background, waited for until it printed
# its description (or exited saying which process failed). mesh_down is for the script's EXIT trap.
MESH_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../deploy/local" && pwd)/mesh.py
mesh_pid=""
mesh_json=""
mesh_up() { # mesh_up DIR [mesh.py up flags...]: sets mesh_pid and mesh_json
    local dir=$1
    shift
    python3 "$MESH_PY" up --dir "$dir" "$@" >"$dir.out" 2>"$dir.err" &
    mesh_pid=$!
    until [[ -s $dir.out ]]; do
        if ! kill -0 "$mesh_pid" 2>/dev/null; then
            cat "$dir.err" >&2
            echo "bench: the local mesh did not start" >&2
            exit 1
        fi
        sleep 0.1 # readiness polling: mesh.py waits for every process, then prints
    done
    mesh_json=$dir/mesh.json
}
mesh_get() { python3 "$MESH_PY" get "$mesh_json" "$1"; } # mesh_get KEY: one value (mesh.py get)
mesh_pid_of() { mesh_get pids | awk -v name="$1" '$1 == name { print $2 }'; } # mesh_pid_of NAME
mesh_down() { # stops the mesh (SIGTERM: it stops every process it started) and waits for it
    [[ -n $mesh_pid ]] || return 0
    kill -TERM "$mesh_pid" 2>/dev/null || true
    wait "$mesh_pid" 2>/dev/null || true
    mesh_pid=""
}
