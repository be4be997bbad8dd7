import Collectors
import Testing

/// Edges from answers shaped as Prometheus gives them for `IstioQueries`: gRPC statuses,
/// reporters, TCP, mTLS and clusters.
@Suite struct IstioEdgesTests {
    private let edge: [String: String] = [
        "source_workload": "client", "source_workload_namespace": "shop", "destination_workload": "cart",
        "destination_workload_namespace": "shop", "destination_service": "cart.shop.svc.cluster.local",
    ]

    private func with(_ extra: [String: String], base: [String: String]? = nil) -> [String: String] {
        (base ?? edge).merging(extra) { $1 }
    }

    private func vector(_ items: [([String: String], Double)]) -> PrometheusAnswer {
        PrometheusAnswer(
            result: .vector(items.map { PrometheusSeries(labels: $0.0, points: [PrometheusPoint(time: 1, value: $0.1)]) }), warnings: [])
    }

    private func grpc(_ status: String, code: String = "200", reporter: String = "destination") -> [String: String] {
        with([
            "reporter": reporter, "request_protocol": "grpc", "response_code": code, "grpc_response_status": status,
            "response_flags": "-", "connection_security_policy": "mutual_tls",
        ])
    }

    @Test func failedGRPCCallsAnsweringHTTP200AreFailures() throws {
        let answers = ["traffic": vector([(grpc("0"), 8), (grpc("14"), 1.5), (grpc("4"), 0.5)])]
        let standard = try #require(IstioEdges.edges(from: answers).first)
        #expect(standard.rps == 10)
        #expect(standard.codes == ["200": 10])
        #expect(standard.grpcStatuses == ["0": 8, "14": 1.5, "4": 0.5])
        #expect(standard.failed == 2)
        #expect(standard.successRate == 0.8)
        // Only UNAVAILABLE counts: the deadline is the caller's choice, as a Kiali tolerance would say.
        let unavailable = try #require(GRPCFailures(list: "UNAVAILABLE"))
        let tolerant = try #require(IstioEdges.edges(from: answers, grpcFailures: unavailable).first)
        #expect(tolerant.failed == 1.5)
        #expect(tolerant.successRate == 0.85)
        let nothing = try #require(GRPCFailures(list: "none"))
        let none = try #require(IstioEdges.edges(from: answers, grpcFailures: nothing).first)
        #expect(none.successRate == 1)
    }

    @Test func aProxysHTTP503OnAGRPCEdgeStillFails() throws {
        // Envoy answers 503 itself when no upstream is there: no gRPC status reached it.
        let answers = ["traffic": vector([(grpc("0"), 9), (grpc("", code: "503"), 1)])]
        let edge = try #require(IstioEdges.edges(from: answers).first)
        #expect(edge.failed == 1)
        #expect(edge.successRate == 0.9)
        #expect(edge.grpcStatuses == ["0": 9])
    }

    @Test func httpEdgesIgnoreTheEmptyGRPCStatus() throws {
        let http = with([
            "reporter": "destination", "request_protocol": "http", "response_code": "200", "grpc_response_status": "",
            "response_flags": "-",
        ])
        let edge = try #require(IstioEdges.edges(from: ["traffic": vector([(http, 4), (with(["response_code": "500"], base: http), 1)])]).first)
        #expect(edge.grpcStatuses.isEmpty)
        #expect(edge.successRate == 0.8)
        #expect(edge.mutualTLS == nil)
    }

    @Test func autoTakesTheDestinationAndAWaypointOnlyWhereTheDestinationIsSilent() throws {
        // Sidecar mesh: the same edge from the destination's sidecar and a waypoint in front of it.
        let both = with(["response_code": "200", "response_flags": "-"])
        let ambient = with(["destination_workload": "reviews", "response_code": "200", "response_flags": "-", "reporter": "waypoint"])
        let answers = [
            "traffic": vector([
                (with(["reporter": "destination"], base: both), 6), (with(["reporter": "waypoint"], base: both), 6), (ambient, 3),
            ]),
            "buckets": vector([
                (with(["reporter": "destination", "le": "10"]), 6), (with(["reporter": "destination", "le": "+Inf"]), 6),
                (with(["reporter": "waypoint", "le": "100"]), 6), (with(["reporter": "waypoint", "le": "+Inf"]), 6),
            ]),
        ]
        let edges = IstioEdges.edges(from: answers)
        #expect(edges.count == 2)
        let cart = try #require(edges.first { $0.key.destinationWorkload == "cart" })
        #expect(cart.rps == 6)
        #expect(cart.reporter == "destination")
        #expect(abs((cart.p99 ?? 0) - 9.9) < 1e-9)
        let reviews = try #require(edges.first { $0.key.destinationWorkload == "reviews" })
        #expect(reviews.rps == 3)
        #expect(reviews.reporter == "waypoint")
    }

    @Test func aYoungEdgeOfTwoReportersIsScaledOnce() throws {
        // 9 s into a load of 10 req/s: rate(…[1m]) says 1.5, both reporters' spans say 10.
        let answers = [
            "traffic": vector([
                (with(["reporter": "destination", "response_code": "200", "response_flags": "-"]), 1.5),
                (with(["reporter": "waypoint", "response_code": "200", "response_flags": "-"]), 1.5),
            ]),
            "span": vector([
                (with(["reporter": "destination", "rate_span": "age"]), 9), (with(["reporter": "waypoint", "rate_span": "age"]), 9),
                (with(["reporter": "destination", "rate_span": "young"]), 10), (with(["reporter": "waypoint", "rate_span": "young"]), 10),
            ]),
        ]
        let edge = try #require(MetricsProfile.istio(IstioQueries(window: "1m")).edges(from: answers).first)
        #expect(abs(edge.rps - 10) < 1e-9)
        #expect(edge.rateSeconds == 9)
    }

    @Test func tcpOnlyEdgesHaveConnectionsBytesAndTheirMTLS() throws {
        let tcp = with(["reporter": "destination", "destination_workload": "postgres"])
        let answers = [
            "traffic": vector([]),
            "tcp": vector([
                (with(["meshtop": "sent", "connection_security_policy": "mutual_tls"], base: tcp), 2_000),
                (with(["meshtop": "received", "connection_security_policy": "mutual_tls"], base: tcp), 500),
                (with(["meshtop": "opened", "connection_security_policy": "mutual_tls"], base: tcp), 3),
                (with(["meshtop": "opened", "connection_security_policy": "none"], base: tcp), 1),
                (with(["meshtop": "closed", "connection_security_policy": "mutual_tls"], base: tcp), 2),
            ]),
        ]
        let edge = try #require(IstioEdges.edges(from: answers).first)
        #expect(edge.isTCPOnly)
        #expect(edge.tcpSent == 2_000)
        #expect(edge.tcpReceived == 500)
        #expect(edge.tcpOpened == 4)
        #expect(edge.tcpClosed == 2)
        #expect(edge.mutualTLS == 0.75)
        #expect(edge.successRate == nil)
    }

    @Test func theMTLSShareIsOfRequestsWithAKnownPolicy() throws {
        let base = with(["reporter": "destination", "response_code": "200", "response_flags": "-"])
        let answers = [
            "traffic": vector([
                (with(["connection_security_policy": "mutual_tls"], base: base), 3),
                (with(["connection_security_policy": "none"], base: base), 1),
                (with(["connection_security_policy": "unknown", "destination_workload": "other"], base: base), 5),
            ])
        ]
        let edges = IstioEdges.edges(from: answers)
        #expect(edges.first { $0.key.destinationWorkload == "cart" }?.mutualTLS == 0.75)
        #expect(edges.first { $0.key.destinationWorkload == "other" }?.mutualTLS == nil)
        let check = try #require(HealthEvaluator.prometheus(.init(notReady: nil, edges: edges), thresholds: HealthThresholds()).first { $0.name == "mesh mTLS" })
        #expect(check.status == .warn)
        #expect(check.message.contains("1 of 1 edges carry plaintext: shop/client → shop/cart 75"))
    }

    @Test func streamsHaveMessagesPerSecond() throws {
        let answers = [
            "traffic": vector([(grpc("0"), 1)]),
            "messages": vector([
                (with(["reporter": "destination", "meshtop": "request"]), 40), (with(["reporter": "destination", "meshtop": "response"]), 120),
            ]),
        ]
        let edge = try #require(IstioEdges.edges(from: answers).first)
        #expect(edge.requestMessages == 40)
        #expect(edge.responseMessages == 120)
    }

    @Test func clustersKeepEdgesApart() {
        let base = with(["reporter": "destination", "response_code": "200", "response_flags": "-", "destination_cluster": "east"])
        let answers = [
            "traffic": vector([(with(["source_cluster": "east"], base: base), 1), (with(["source_cluster": "west"], base: base), 2)])
        ]
        let edges = IstioEdges.edges(from: answers)
        #expect(edges.map(\.rps).sorted() == [1, 2])
        #expect(EdgeKey.spanClusters(edges.map(\.key)))
        #expect(Set(edges.map(\.key.sourceInCluster)) == ["shop/client@east", "shop/client@west"])
        #expect(edges.first?.key.destinationInCluster == "shop/cart@east")
        #expect(!EdgeKey.spanClusters(edges.filter { $0.key.sourceCluster == "east" }.map(\.key)))
    }

    @Test func grpcStatusNamesAndLists() {
        #expect(GRPCStatus.name("14") == "UNAVAILABLE")
        #expect(GRPCStatus.name("0") == "OK")
        #expect(GRPCStatus.name("99") == "99")
        #expect(GRPCFailures(list: "unavailable, 4,INTERNAL")?.codes == [14, 4, 13])
        #expect(GRPCFailures(list: "NOPE") == nil)
        #expect(GRPCFailures(list: "17") == nil)
        #expect(GRPCFailures(list: "") == nil)
        #expect(GRPCFailures.standard.codes.count == 16)
        #expect(!GRPCFailures.standard.isFailure("0"))
        #expect(!GRPCFailures.standard.isFailure(""))
    }

    @Test func reportersFillTheMatcherAndCycle() {
        // Auto: the destination's or waypoint's series, and the source's of edges neither reports.
        let auto = IstioQueries(reporter: .auto).promql("traffic")
        #expect(auto.hasPrefix("(sum by (reporter, source_workload") && auto.contains(#"reporter=~"destination|waypoint""#), "\(auto)")
        #expect(auto.contains(#") or on (source_workload, source_workload_namespace, source_cluster, destination_workload, "#), "\(auto)")
        #expect(auto.hasSuffix(#"(rate(istio_requests_total{reporter=~"source"}[1m])))"#), "\(auto)")
        #expect(!IstioQueries(reporter: .destination).promql("traffic").contains(" or on "))
        // A template that does not name the reporter is asked once.
        #expect(IstioQueries(overrides: ["buckets": "max(x[{window}])"]).promql("buckets") == "max(x[1m])")
        #expect(IstioQueries(reporter: .waypoint).promql("buckets").contains(#"reporter=~"waypoint""#))
        let tcp = IstioQueries().promql("tcp")
        for metric in ["istio_tcp_sent_bytes_total", "istio_tcp_received_bytes_total", "istio_tcp_connections_opened_total", "istio_tcp_connections_closed_total"] {
            #expect(tcp.contains(metric))
        }
        var seen: [IstioQueries.Reporter] = []
        var reporter = IstioQueries.Reporter.auto
        for _ in 0..<4 {
            seen.append(reporter)
            reporter = reporter.next
        }
        #expect(seen == [.auto, .destination, .source, .waypoint])
        #expect(reporter == .auto)
    }
}
