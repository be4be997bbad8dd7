/// ztunnel access-log lines for the tests. No ztunnel runs here: these are written from
/// ztunnel's documented format (its README's example and the fields and order of its
/// `access_log!` in src/proxy/metrics.rs, the plain and `LOG_FORMAT=json` encoders in
/// src/telemetry.rs), not recorded from a cluster.
enum ZtunnelFixtures {
    /// The client's node: sleep → httpbin, through HBONE to the pod's port 15008.
    static let outbound =
        "2024-08-12T10:12:41.115432Z\tinfo\taccess\tconnection complete\t"
        + #"src.addr=10.244.0.9:45678 src.workload="sleep-7656cf8794-abcde" src.namespace="default" "#
        + #"src.identity="spiffe://cluster.local/ns/default/sa/sleep" dst.addr=10.244.0.12:15008 "#
        + #"dst.hbone_addr=10.244.0.12:8080 dst.service="httpbin.default.svc.cluster.local" "#
        + #"dst.workload="httpbin-86b8ffc5ff-xyz" dst.namespace="default" "#
        + #"dst.identity="spiffe://cluster.local/ns/default/sa/httpbin" direction="outbound" bytes_sent=220 bytes_recv=87 duration="13ms""#

    /// The server's node, same connection: the HBONE connection's own source port.
    static let inbound =
        "2024-08-12T10:12:41.114876Z\tinfo\taccess\tconnection complete\t"
        + #"src.addr=10.244.0.9:39012 src.workload="sleep-7656cf8794-abcde" src.namespace="default" "#
        + #"src.identity="spiffe://cluster.local/ns/default/sa/sleep" dst.addr=10.244.0.12:15008 "#
        + #"dst.hbone_addr=10.244.0.12:8080 dst.service="httpbin.default.svc.cluster.local" "#
        + #"dst.workload="httpbin-86b8ffc5ff-xyz" dst.namespace="default" "#
        + #"dst.identity="spiffe://cluster.local/ns/default/sa/httpbin" direction="inbound" bytes_sent=87 bytes_recv=220 duration="11ms""#

    /// Values unquoted, as some releases write plain strings.
    static let unquoted =
        "2024-08-12T10:12:41.115432Z\tinfo\taccess\tconnection complete\t"
        + #"src.addr=10.244.0.9:45678 src.workload=sleep-7656cf8794-abcde src.namespace=default "#
        + #"src.identity="spiffe://cluster.local/ns/default/sa/sleep" dst.addr=10.244.0.12:15008 "#
        + #"dst.hbone_addr=10.244.0.12:8080 dst.service=httpbin.default.svc.cluster.local dst.workload=httpbin-86b8ffc5ff-xyz "#
        + #"dst.namespace=default dst.identity="spiffe://cluster.local/ns/default/sa/httpbin" direction="inbound" "#
        + #"bytes_sent=220 bytes_recv=87 duration="13ms""#

    /// `LOG_FORMAT=json`, a connection that failed (level error, an `error` key).
    static let failedJSON =
        #"{"level":"error","time":"2024-08-12T10:12:42.001234Z","scope":"access","message":"connection complete","#
        + #""src.addr":"10.244.0.9:45680","src.workload":"sleep-7656cf8794-abcde","src.namespace":"default","#
        + #""dst.addr":"10.244.0.13:15008","dst.hbone_addr":"10.244.0.13:9080","dst.service":"reviews.default.svc.cluster.local","#
        + #""dst.workload":"reviews-v1-5fd6d4f8f8-knbht","dst.namespace":"default","direction":"outbound","#
        + #""bytes_sent":0,"bytes_recv":0,"duration":"2ms","#
        + #""error":"connection timed out, maybe a NetworkPolicy is blocking HBONE port 15008: deadline has elapsed"}"#

    /// JSON with a `timestamp` key, keys ztunnel may add later, and no identities.
    static let newerJSON =
        #"{"timestamp":"2024-08-12T10:12:43.5Z","level":"info","scope":"access","message":"connection complete","#
        + #""src.addr":"10.244.0.20:5000","dst.addr":"10.96.0.10:53","dst.cluster":"Kubernetes","#
        + #""src.cluster":"Kubernetes","flow.id":"abc","direction":"outbound","bytes_sent":"12","duration":"1s"}"#

    /// A hostile workload name: an ESC sequence that would clear the screen, in JSON.
    static let hostileJSON =
        #"{"level":"info","time":"2024-08-12T10:12:44Z","scope":"access","message":"connection complete","#
        + #""src.addr":"10.244.0.9:1","src.workload":"evil\u001b[2J\u0007pod","dst.addr":"10.244.0.12:15008","direction":"outbound"}"#

    /// A waypoint's Envoy line (Istio's current TEXT format) for the same hop: HBONE
    /// pseudo-addresses in the upstream host and the local addresses.
    static let waypoint =
        #"[2024-08-12T10:12:41.120Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 543 4 3 "-" "curl/8.5.0" "#
        + #""6f1ad3b2-6d1c-4b0e-9d2a-1f0f6c7e9a01" "httpbin.default.svc.cluster.local:8000" "#
        + #""envoy://connect_originate/10.244.0.12:8080" inbound-vip|8000|http|httpbin.default.svc.cluster.local "#
        + #"envoy://internal_client_address/ 10.96.12.34:8000 10.244.0.9:45678 - default"#
}
