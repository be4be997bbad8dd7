#!/usr/bin/env bash
# The original's three load runs, with meshtop load in place of loadtest, through the
# ingress gateway. Watch them in another terminal with `meshtop` (or `kubectl meshtop`).
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need meshtop "build it with swift build -c release and put .build/release on PATH"
node_ip=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
ingress_port=$(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='{.spec.ports[?(@.name=="http2")].nodePort}')
url="http://$node_ip:$ingress_port/storage/istioTest"
meshtop load -n 400 -c 10 --rps 20 "$url"
meshtop load -n 2000 -c 50 --rps 100 "$url"
meshtop load -d 30s -c 64 "$url"
