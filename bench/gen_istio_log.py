#!/usr/bin/env python3
"""Writes istio-format access-log lines for the benchmarks: `gen_istio_log.py N [SEED]`.

N lines in Istio's current TEXT format, in time order. 80 % of the requests have both a
client-side (outbound) and a server-side (inbound) line with the same x-request-id; the rest
have one side only. Methods, paths, codes, flags and durations vary the way a mesh under load
does. Deterministic for a given seed, so two runs read the same bytes.
"""
import random
import sys
import uuid

def main() -> None:
    total = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 42)
    out = sys.stdout
    write = out.write
    methods = ["GET"] * 7 + ["PUT"] * 2 + ["DELETE"]
    keys = ["istioTest", "demo", "user-%d", "cart-%d", "session-%d"]
    services = [("storage:9080", "storage.default.svc.cluster.local", 9080), ("etcd-service:2379", "etcd-service.default.svc.cluster.local", 2379)]
    base = 1_790_000_000_000  # ms
    written = 0
    t = 0
    while written < total:
        t += rng.randint(0, 3)
        ms = base + t
        sec, milli = divmod(ms, 1000)
        stamp = "%s.%03dZ" % (__import__("time").strftime("%Y-%m-%dT%H:%M:%S", __import__("time").gmtime(sec)), milli)
        method = rng.choice(methods)
        key = rng.choice(keys)
        if "%d" in key:
            key = key % rng.randint(1, 5000)
        path = "/storage/" + key if method != "PUT" else "/storage"
        authority, fqdn, port = rng.choice(services)
        roll = rng.random()
        if roll < 0.97:
            code, flags, details = ("201" if method == "PUT" else "200"), "-", "via_upstream"
        elif roll < 0.99:
            code, flags, details = "404", "-", "via_upstream"
        else:
            code, flags, details = "503", "UF,URX", "upstream_reset_before_response_started{connection_failure}"
        server_ms = rng.randint(0, 40)
        client_ms = server_ms + rng.randint(0, 3)
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        received = rng.randint(0, 200)
        sent = rng.randint(50, 400)
        pod = "10.1.%d.%d" % (rng.randint(0, 3), rng.randint(2, 250))
        client = ('[%s] "%s %s HTTP/1.1" %s %s %s - "-" %d %d %d %d "-" "loadgen/1.0" "%s" "%s" "%s:%d" outbound|%d||%s %s:%d %s:%d %s:%d - default\n'
                  % (stamp, method, path, code, flags, details, received, sent, client_ms, server_ms, rid, authority,
                     pod, port, port, fqdn, "10.1.9.9", 40000 + rng.randint(0, 9999), pod, port, "10.1.9.9", 30000 + rng.randint(0, 9999)))
        server = ('[%s] "%s %s HTTP/1.1" %s %s %s - "-" %d %d %d %d "-" "loadgen/1.0" "%s" "%s" "127.0.0.1:%d" inbound|%d|| 127.0.0.6:%d %s:%d 10.1.9.9:%d %s default\n'
                  % (stamp, method, path, code, flags, details, received, sent, server_ms, server_ms, rid, authority,
                     port, port, 30000 + rng.randint(0, 9999), pod, port, 40000 + rng.randint(0, 9999),
                     "outbound_.%d_._.%s" % (port, fqdn)))
        side = rng.random()
        if side < 0.8 and written + 2 <= total:
            write(client)
            write(server)
            written += 2
        elif side < 0.9:
            write(client)
            written += 1
        else:
            write(server)
            written += 1

if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
