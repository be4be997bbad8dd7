import Collectors
import Foundation
import HummingbirdTesting
import TestSupport
import Testing

/// The same Istio series through real VictoriaMetrics (scraping them itself, or written to by
/// Prometheus's remote write, or behind vmauth with a path prefix and a bearer token) as
/// through Prometheus: meshtop shows the same edges at the same rates.
@Suite(
    .serialized,
    .enabled(
        if: PrometheusServer.shouldRun && VictoriaMetricsServer.shouldRun && VMAuthServer.shouldRun,
        "prometheus or victoria-metrics (Debian package victoria-metrics) is not installed"))
struct PromQLBackendsTests {
    private static let environment = ["LANG": "C", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]

    /// The exposition's two edges and their rates.
    private static let expected = [
        "default/istio-ingressgateway → default/storage": 10.0, "default/storage → default/etcd": 4.0,
    ]

    private struct Seen {
        var rates: [String: Double] = [:]
        var report: [String: Any] = [:]
        var run: BinaryRun

        func check(_ name: String) -> (status: String, message: String)? {
            (report["health"] as? [[String: Any]])?.first { $0["name"] as? String == name }
                .map { ($0["status"] as? String ?? "", $0["message"] as? String ?? "") }
        }

        /// Every edge expected, none else, each within 10 % of its rate.
        var matches: Bool {
            rates.keys.sorted() == PromQLBackendsTests.expected.keys.sorted()
                && PromQLBackendsTests.expected.allSatisfy { key, rate in abs((rates[key] ?? 0) - rate) <= rate * 0.1 }
        }
    }

    private func snapshot(_ url: String, window: String, _ extra: [String] = []) async throws -> Seen {
        let run = try await BinaryRun.run(
            "meshtop", ["snapshot", "--json", "--prometheus", url, "--window", window] + extra, environment: Self.environment)
        var seen = Seen(run: run)
        guard run.status == 0, let report = try? run.json() else { return seen }
        seen.report = report
        for edge in report["edges"] as? [[String: Any]] ?? [] {
            let key = "\(edge["source"] as? String ?? "?") → \(edge["destination"] as? String ?? "?")"
            seen.rates[key] = edge["rps"] as? Double
        }
        return seen
    }

    @Test func theSameEdgesThroughVictoriaMetricsAsThroughPrometheus() async throws {
        let exposition = IstioExposition()
        try await exposition.application().test(.live) { client in
            let target = "127.0.0.1:\(try #require(client.port))"
            let job = PrometheusServer.Job("istio-proxy", targets: [target])
            let written = try await VictoriaMetricsServer()
            defer { written.stop() }
            let scraping = try await VictoriaMetricsServer(scraping: [job])
            defer { scraping.stop() }
            let prometheus = try await PrometheusServer(jobs: [job], remoteWrite: written.writeURL)
            defer { prometheus.stop() }
            let backends = [("prometheus", prometheus.url), ("victoriametrics scraping", scraping.url), ("victoriametrics written to", written.url)]
            // A window's worth of samples in each, then the rates settle on the counters' slopes.
            for (name, url) in backends {
                var last: Seen?
                try await Tool.waitUntil("the edges through \(name)", within: 60, log: { "\(last?.rates ?? [:]) \(last?.run.stderr ?? "")" }) {
                    last = try await snapshot(url, window: "10s")
                    return last?.matches == true
                }
            }
            // A look at each in turn: the same edges, the same rates. On a busy machine a scrape
            // can come late in one backend and not another, so the looks are taken again until
            // they agree (or the wait fails, with what each said).
            var seen: [Seen] = []
            func agree() -> Bool {
                seen.allSatisfy { one in
                    one.matches && Set(one.rates.keys) == Set(seen[0].rates.keys)
                        && seen[0].rates.allSatisfy { key, rate in abs((one.rates[key] ?? 0) - rate) <= rate * 0.1 }
                }
            }
            try await Tool.waitUntil("the same edges and rates through every backend", within: 30, log: { "\(seen.map(\.rates))" }) {
                seen = []
                for (_, url) in backends { seen.append(try await snapshot(url, window: "10s")) }
                return agree()
            }
            for (index, one) in seen.enumerated() {
                #expect(one.matches, "\(backends[index].0): \(one.rates)")
                #expect(Set(one.rates.keys) == Set(seen[0].rates.keys))
                for (key, rate) in seen[0].rates { #expect(abs((one.rates[key] ?? 0) - rate) <= rate * 0.1, "\(backends[index].0) \(key)") }
                #expect(one.check("mesh success rate") != nil)
            }
            #expect(seen[0].check("prometheus ready")?.message == "ready (prometheus: /-/ready)")
            #expect(seen[1].check("prometheus ready")?.message == "ready (victoriametrics: /health)", "\(seen[1].report)")
            #expect(seen[1].check("scrape targets")?.message == "1/1 targets up")
            // Written to, it scrapes nothing itself: that is no warning.
            #expect(seen[2].check("scrape targets")?.status == "skipped", "\(seen[2].report)")
            let health = try await BinaryRun.run("meshtop", ["health", "--prometheus", written.url, "--window", "10s"], environment: Self.environment)
            // One edge answers 503 a quarter of the time: that fails, and nothing else does or warns.
            #expect(health.stdout.contains("[skip] scrape targets: no active targets"), "\(health.stdout)")
            let failed = health.stdout.split(separator: "\n").filter { $0.hasPrefix("[FAIL]") || $0.hasPrefix("[warn]") }
            #expect(failed.count == 1 && failed[0].hasPrefix("[FAIL] mesh success rate: "), "\(health.stdout)")
        }
    }

    @Test func throughVMAuthUnderAPrefixWithABearerToken() async throws {
        let victoria = try await VictoriaMetricsServer()
        defer { victoria.stop() }
        try await victoria.importSamples(IstioExposition().history(seconds: 120))
        let token = "tenant-a-\(UUID().uuidString)"
        // vmauth routes only the API under /prometheus (VictoriaMetrics' own prefix for it) to
        // VictoriaMetrics, and only for the tenant's token.
        let vmauth = try await VMAuthServer(users: [
            .init(bearerToken: token, paths: ["/prometheus/api/v1/.*"], backend: victoria.url, headers: ["X-Scope-OrgID: tenant-a"])
        ])
        defer { vmauth.stop() }
        let prefixed = vmauth.url + "/prometheus"
        var direct: Seen?
        try await Tool.waitUntil("the imported edges", within: 30, log: { "\(direct?.rates ?? [:]) \(victoria.logTail())" }) {
            direct = try await snapshot(victoria.url, window: "30s")
            return direct?.matches == true
        }
        let header = try await snapshot(prefixed, window: "30s", ["--prometheus-header", "Authorization: Bearer \(token)"])
        let bearer = try await snapshot(prefixed, window: "30s", ["--prometheus-token", token])
        for seen in [header, bearer] {
            #expect(seen.matches, "\(seen.rates) \(seen.run.stdout) \(seen.run.stderr)")
            #expect(Set(seen.rates.keys) == Set((direct?.rates ?? [:]).keys))
            #expect(seen.check("prometheus ready")?.message == "ready (victoriametrics: /health)", "\(seen.report)")
            #expect(seen.check("scrape targets")?.status == "skipped")
        }

        // Without the token vmauth refuses every query: the source fails and says why.
        let refused = try await snapshot(prefixed, window: "30s")
        let source = (refused.report["sources"] as? [String: [String: Any]])?["prometheus"]
        #expect(source?["ok"] as? Bool == false)
        #expect((source?["error"] as? String)?.contains("HTTP 401") == true, "\(refused.run.stdout)")
        let health = try await BinaryRun.run("meshtop", ["health", "--prometheus", prefixed], environment: Self.environment)
        #expect(health.status == 1)
        #expect(health.stdout.contains("[FAIL] mesh traffic: queries failed: HTTP 401: missing `Authorization` request header"), "\(health.stdout)")
        #expect(!health.stdout.contains(token))
        // A token vmauth does not know is refused too, and is never printed back.
        let wrong = try await BinaryRun.run(
            "meshtop", ["health", "--prometheus", prefixed, "--prometheus-header", "Authorization: Bearer not-\(token)"],
            environment: Self.environment)
        #expect(wrong.status == 1)
        // vmauth 1.79 says 400 and quotes the token; meshtop blanks out what it sent.
        #expect(wrong.stdout.contains(#"HTTP 400: cannot find the provided auth token "…" in config"#), "\(wrong.stdout)")
        #expect(!wrong.stdout.contains(token) && !wrong.stderr.contains(token), "\(wrong.stdout)")
    }
}
