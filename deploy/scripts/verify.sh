#!/usr/bin/env bash
# The original's checks, by hand and then by meshtop:
#   1. a PUT straight to etcd's v2 API, showing X-Etcd-Index and the X-Raft-* headers;
#   2. the service by NodePort (nodeport overlay) and through the Istio ingress gateway;
#   3. both sidecars' access-log lines of those requests, paired by x-request-id.
#   ETCD_LOCAL_PORT (default 23790) is the local end of the port-forward to etcd.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need curl "for the HTTP checks"
need meshtop "build it with swift build -c release and put .build/release on PATH"

echo "== etcd v2 PUT, headers"
etcd_port=${ETCD_LOCAL_PORT:-23790}
kubectl -n "$NAMESPACE" port-forward svc/etcd-service "$etcd_port:2379" >/dev/null 2>&1 &
forward=$!
trap 'kill "$forward" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$etcd_port/health" 2>/dev/null && break; sleep 0.1; done # readiness polling
curl -sS -D - -o /dev/null -X PUT "http://127.0.0.1:$etcd_port/v2/keys/istioTest" -d value=fromVerify | grep -iE '^(x-etcd|x-raft)'
# The forward is done with; the last step replaces this shell, so no trap would stop it then.
kill "$forward" 2>/dev/null || true

node_ip=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
if kubectl -n "$NAMESPACE" get svc proxy-etcd-storage -o jsonpath='{.spec.type}' | grep -q NodePort; then
    node_port=$(kubectl -n "$NAMESPACE" get svc proxy-etcd-storage -o jsonpath='{.spec.ports[0].nodePort}')
    echo "== the service by NodePort ($node_ip:$node_port)"
    curl -fsS -X PUT -H 'Content-Type: application/json' -d '{"key":"istioTest","value":"byNodePort"}' "http://$node_ip:$node_port/storage"
    echo
fi
ingress_port=$(kubectl -n istio-system get svc istio-ingressgateway -o jsonpath='{.spec.ports[?(@.name=="http2")].nodePort}')
echo "== the service through the ingress gateway ($node_ip:$ingress_port)"
curl -fsS -X PUT -H 'Content-Type: application/json' -d '{"key":"istioTest","value":"byIngress"}' "http://$node_ip:$ingress_port/storage"
echo
curl -fsS "http://$node_ip:$ingress_port/storage/istioTest"
echo

echo "== the sidecars' lines, paired by x-request-id"
exec meshtop logs "k8s:$NAMESPACE/app=proxy-etcd-storage" "k8s:$NAMESPACE/app=etcd" --no-follow --pairs
