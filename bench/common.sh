#!/usr/bin/env bash
# Shared by the benchmarks that start the local stack (load.sh, poll.sh, tui.sh).

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
