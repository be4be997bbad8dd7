#!/usr/bin/env bash
# Faults in the running local mesh (`make demo`), caused by real Envoy means, from a second terminal:
#   fault.sh abort PERCENT [CODE]     the gateway answers CODE (503) itself: flag FI
#   fault.sh delay PERCENT MS         the gateway holds requests MS ms first: flag DI
#   fault.sh logs PERCENT PROXY       PROXY's access log keeps PERCENT of requests (by x-request-id;
#                                     0: off), as an Istio Telemetry filter or sampling would
#   fault.sh overflow                 a circuit breaker of 1 connection and 1 pending request on
#                                     proxy-etcd-storage's etcd cluster: flag UO
#   fault.sh etcd stop|start [MEMBER] kill a member and keep it down / let it start again: UF on
#                                     its sidecar, URX then UH on proxy-etcd-storage's
#   fault.sh etcd pause|resume [MEMBER]  SIGSTOP / SIGCONT: the storage sidecar times out (UT)
#   fault.sh stop|start NAME          any process of the mesh (e.g. istio-ingressgateway)
#   fault.sh clear                    everything back to normal
# MESH=path/to/mesh.json picks a mesh other than the demo's.
set -euo pipefail
cd "$(dirname "$0")/../.."
mesh=${MESH:-$(cat "${TMPDIR:-/tmp}/meshtop-demo-mesh" 2>/dev/null || true)}
if [[ -z $mesh || ! -f $mesh ]]; then
    echo "fault.sh: no local mesh is running (start one with make demo, or set MESH=…/mesh.json)" >&2
    exit 2
fi
exec python3 deploy/local/mesh.py fault "$mesh" "$@"
