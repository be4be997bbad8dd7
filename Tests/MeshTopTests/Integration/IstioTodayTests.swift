import Collectors
import Foundation
import TestSupport
import Testing

/// Today's Istio series in a real VictoriaMetrics (its import API, two minutes of samples a
/// second apart), read back by `meshtop snapshot` and `health`: gRPC calls that fail with
/// HTTP 200, a waypoint-only edge of ambient mode beside an edge both a sidecar and a waypoint
/// report (and its source too), an edge only its source reports, a TCP-only edge in the clear,
/// and an edge from a second cluster. The series are
/// written here in Istio's label scheme; no istio-proxy or ztunnel runs on this machine.
@Suite(.serialized, .enabled(if: VictoriaMetricsServer.shouldRun, "victoria-metrics (Debian package victoria-metrics) is not installed"))
struct IstioTodayTests {
    private static let environment = ["LANG": "C", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]

    private struct Series {
        var metric: String
        var labels: [(String, String)]
        var perSecond: Double
    }

    private static func edge(
        reporter: String, _ source: String, _ destination: String, sourceCluster: String = "east", policy: String = "mutual_tls"
    ) -> [(String, String)] {
        [
            ("reporter", reporter), ("source_workload", source), ("source_workload_namespace", "shop"), ("source_cluster", sourceCluster),
            ("destination_workload", destination), ("destination_workload_namespace", "shop"), ("destination_cluster", "east"),
            ("destination_service", "\(destination).shop.svc.cluster.local"), ("connection_security_policy", policy),
        ]
    }

    private static func requests(_ edge: [(String, String)], protocol proto: String, code: String, grpc: String, rps: Double) -> [Series] {
        let labels = edge + [("request_protocol", proto), ("response_code", code), ("grpc_response_status", grpc), ("response_flags", "-")]
        var series = [Series(metric: "istio_requests_total", labels: labels, perSecond: rps)]
        for (le, share) in [("5", 0.5), ("25", 0.9), ("+Inf", 1.0)] {
            series.append(Series(metric: "istio_request_duration_milliseconds_bucket", labels: labels + [("le", le)], perSecond: rps * share))
        }
        return series
    }

    private static let mesh: [Series] = {
        let grpc = edge(reporter: "destination", "web", "cart")
        var all = requests(grpc, protocol: "grpc", code: "200", grpc: "0", rps: 8)
        all += requests(grpc, protocol: "grpc", code: "200", grpc: "14", rps: 2)
        all.append(Series(metric: "istio_request_messages_total", labels: grpc, perSecond: 30))
        all.append(Series(metric: "istio_response_messages_total", labels: grpc, perSecond: 90))
        // The same calls as a waypoint in front of cart sees them: auto must not count them twice.
        all += requests(edge(reporter: "waypoint", "web", "cart"), protocol: "grpc", code: "200", grpc: "0", rps: 10)
        // And as web's own sidecar sees them: auto takes the destination's, not a third count.
        all += requests(edge(reporter: "source", "web", "cart", policy: "unknown"), protocol: "grpc", code: "200", grpc: "0", rps: 10)
        // A call to a workload without a sidecar: only its source reports it.
        all += requests(edge(reporter: "source", "cart", "ledger", policy: "unknown"), protocol: "http", code: "200", grpc: "", rps: 3)
        // Ambient: only the waypoint reports requests to reviews.
        all += requests(edge(reporter: "waypoint", "web", "reviews"), protocol: "http", code: "200", grpc: "", rps: 5)
        // A database over plain TCP, without mTLS.
        let tcp = edge(reporter: "destination", "cart", "db", policy: "none")
        all.append(Series(metric: "istio_tcp_connections_opened_total", labels: tcp, perSecond: 2))
        all.append(Series(metric: "istio_tcp_connections_closed_total", labels: tcp, perSecond: 2))
        all.append(Series(metric: "istio_tcp_sent_bytes_total", labels: tcp, perSecond: 1_000))
        all.append(Series(metric: "istio_tcp_received_bytes_total", labels: tcp, perSecond: 4_000))
        // The same workload name in another cluster calls cart.
        all += requests(edge(reporter: "destination", "web", "cart", sourceCluster: "west"), protocol: "http", code: "200", grpc: "", rps: 1)
        return all
    }()

    /// One sample a second for the last `seconds`, each counter at its rate × elapsed.
    private static func history(seconds: Int) -> String {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var lines: [String] = []
        for step in 0...seconds {
            let at = now - Int64(seconds - step) * 1000
            for series in mesh {
                let labels = series.labels.map { #"\#($0.0)="\#($0.1)""# }.joined(separator: ",")
                lines.append("\(series.metric){\(labels)} \(series.perSecond * Double(step)) \(at)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func snapshot(_ url: String, _ extra: [String] = []) async throws -> (edges: [[String: Any]], report: [String: Any]) {
        let run = try await BinaryRun.run(
            "meshtop", ["snapshot", "--json", "--prometheus", url, "--window", "1m"] + extra, environment: Self.environment)
        guard run.status == 0, let report = try? run.json() else { throw TestFailure("snapshot: \(run.status) \(run.stderr)") }
        return (report["edges"] as? [[String: Any]] ?? [], report)
    }

    private func find(_ edges: [[String: Any]], _ source: String, _ destination: String, cluster: String = "east") -> [String: Any]? {
        edges.first {
            $0["source"] as? String == "shop/\(source)" && $0["destination"] as? String == "shop/\(destination)"
                && ($0["source_cluster"] as? String ?? "") == cluster
        }
    }

    private func near(_ value: Any?, _ expected: Double) -> Bool {
        guard let value = value as? Double else { return false }
        return abs(value - expected) <= max(0.05, expected * 0.1)
    }

    @Test func grpcWaypointTCPMTLSAndClustersAsIstioReportsThem() async throws {
        let victoria = try await VictoriaMetricsServer()
        defer { victoria.stop() }
        try await victoria.importSamples(Self.history(seconds: 120))
        var seen: [[String: Any]] = []
        try await Tool.waitUntil("the imported edges", within: 30, log: { "\(seen) \(victoria.logTail())" }) {
            seen = try await snapshot(victoria.url).edges
            return seen.count == 5
        }

        let grpc = try #require(find(seen, "web", "cart"), "\(seen)")
        #expect(near(grpc["rps"], 10), "the sidecar's and the waypoint's reports are one edge's: \(grpc)")
        #expect(grpc["reporter"] as? String == "destination")
        #expect(near(grpc["success_rate"], 0.8), "\(grpc)")
        #expect(near((grpc["grpc_statuses"] as? [String: Any])?["UNAVAILABLE"], 2), "\(grpc)")
        #expect(near(grpc["request_messages_ps"], 30) && near(grpc["response_messages_ps"], 90), "\(grpc)")
        #expect(grpc["mtls_share"] as? Double == 1)

        let ambient = try #require(find(seen, "web", "reviews"))
        #expect(ambient["reporter"] as? String == "waypoint")
        #expect(near(ambient["rps"], 5))

        let outside = try #require(find(seen, "cart", "ledger"))
        #expect(outside["reporter"] as? String == "source")
        #expect(near(outside["rps"], 3), "\(outside)")
        #expect(outside["mtls_share"] is NSNull, "a source reporter does not know: \(outside)")

        let tcp = try #require(find(seen, "cart", "db"))
        #expect(tcp["rps"] as? Double == 0)
        #expect(near(tcp["tcp_opened_ps"], 2) && near(tcp["tcp_closed_ps"], 2), "\(tcp)")
        #expect(near(tcp["tcp_sent_bps"], 1_000) && near(tcp["tcp_received_bps"], 4_000), "\(tcp)")
        #expect(tcp["mtls_share"] as? Double == 0)

        let west = try #require(find(seen, "web", "cart", cluster: "west"))
        #expect(near(west["rps"], 1))

        // The plaintext edge is a health warning, not a failure.
        let report = try await snapshot(victoria.url).report
        let mtls = (report["health"] as? [[String: Any]])?.first { $0["name"] as? String == "mesh mTLS" }
        #expect(mtls?["status"] as? String == "warn")
        #expect((mtls?["message"] as? String)?.contains("1 of 4 edges carry plaintext: shop/cart → shop/db 0") == true, "\(String(describing: mtls))")

        // Which gRPC statuses fail is the user's choice; a fixed reporter shows only its own.
        let tolerant = try await snapshot(victoria.url, ["--grpc-failure-codes", "DEADLINE_EXCEEDED"]).edges
        #expect(find(tolerant, "web", "cart")?["success_rate"] as? Double == 1)
        let waypoint = try await snapshot(victoria.url, ["--reporter", "waypoint"]).edges
        #expect(Set(waypoint.compactMap { $0["destination"] as? String }) == ["shop/cart", "shop/reviews"])
        let destination = try await snapshot(victoria.url, ["--reporter", "destination"]).edges
        #expect(find(destination, "cart", "ledger") == nil && destination.count == 3, "\(destination)")

        // The sparklines' back-fill: one series an edge, the waypoint's report of it left out.
        let collector = MeshCollector(client: PrometheusClient(url: victoria.url), profile: .istio(IstioQueries(window: "1m")))
        let past = try await collector.backfill(span: .seconds(60), step: .seconds(5))
        let key = EdgeKey(
            sourceWorkload: "web", sourceNamespace: "shop", destinationWorkload: "cart", destinationNamespace: "shop",
            destinationService: "cart.shop.svc.cluster.local", sourceCluster: "east", destinationCluster: "east")
        let points = try #require(past.series[key], "\(past.series.keys)")
        let rates = points.compactMap(\.rps).sorted()
        #expect(!rates.isEmpty && near(rates[rates.count / 2], 10), "\(rates)")
        #expect(points.contains { ($0.p99 ?? 0) > 0 }, "\(points)")
        #expect(past.series.count == 4, "the TCP-only edge has no request rate to draw")

        // The text table names clusters when there are two, and the gRPC status by name.
        let text = try await BinaryRun.run("meshtop", ["snapshot", "--prometheus", victoria.url, "--window", "1m"], environment: Self.environment)
        #expect(text.stdout.contains("shop/web@west") && text.stdout.contains("shop/cart@east"), "\(text.stdout)")
        #expect(text.stdout.contains("UNAVAILABLE:2.0"), "\(text.stdout)")
    }
}
