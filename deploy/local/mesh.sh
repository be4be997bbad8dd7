#!/usr/bin/env bash
# The local mesh from a shell script (demo.sh, run-service.sh, the benchmarks): `mesh.py up` in
# the background, waited for until it printed its description (or exited saying which process
# failed). mesh_down is for the script's EXIT trap. Sourced, not run.

MESH_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mesh.py
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
            echo "the local mesh did not start" >&2
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
