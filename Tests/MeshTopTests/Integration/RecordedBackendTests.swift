import Collectors
import Foundation
import HummingbirdTesting
import TestSupport
import Testing

/// meshtop against Mimir and Thanos as their documentation says they answer: neither runs on
/// this machine, so `RecordedBackend` stands in with answers written from their docs.
@Suite(.serialized) struct RecordedBackendTests {
    private func check(_ report: [String: Any], _ name: String) -> (status: String, message: String)? {
        (report["health"] as? [[String: Any]] ?? report["checks"] as? [[String: Any]])?.first { $0["name"] as? String == name }
            .map { ($0["status"] as? String ?? "", $0["message"] as? String ?? "") }
    }

    @Test func mimirUnderItsPrefixWithATenantAndReadinessAtTheRoot() async throws {
        let mimir = RecordedBackend(.mimir)
        try await mimir.application().test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/prometheus"
            let run = try await BinaryRun.run(
                "meshtop", ["snapshot", "--json", "--prometheus", url, "--prometheus-header", "X-Scope-OrgID: \(mimir.tenant)"])
            #expect(run.status == 0, "\(run.stderr)")
            let report = try run.json()
            let edges = try #require(report["edges"] as? [[String: Any]])
            #expect(edges.count == 1 && edges.first?["rps"] as? Double == 5, "\(run.stdout)")
            #expect(check(report, "prometheus ready")?.message == "ready (mimir: /ready)", "\(run.stdout)")
            #expect(check(report, "scrape targets")?.status == "skipped")
            let asked = mimir.requests
            // Every API call under the prefix with the tenant; readiness at the root; no targets.
            #expect(asked.contains { $0.path == "/ready" })
            #expect(asked.filter { $0.path.contains("/api/v1/query") }.allSatisfy { $0.path.hasPrefix("/prometheus/api/v1/") && $0.tenant == mimir.tenant })
            #expect(!asked.contains { $0.path.contains("targets") || $0.path == "/-/ready" })

            let health = try await BinaryRun.run(
                "meshtop", ["health", "--prometheus", url + "/", "--prometheus-header", "X-Scope-OrgID: \(mimir.tenant)"],
                environment: ["LANG": "C", "PATH": "/usr/bin:/bin"])
            #expect(health.status == 0, "\(health.stdout)\(health.stderr)")
            #expect(health.stdout.contains("[ok] prometheus ready: ready (mimir: /ready)"), "\(health.stdout)")
            #expect(health.stdout.contains("[skip] scrape targets: mimir has no scrape targets API"), "\(health.stdout)")

            // Given as generic it is asked for targets: its 404 is no failure, and no warning.
            let generic = try await BinaryRun.run(
                "meshtop", ["health", "--json", "--prometheus", url, "--prometheus-header", "X-Scope-OrgID: \(mimir.tenant)", "--prometheus-kind", "generic"])
            #expect(generic.status == 0, "\(generic.stdout)")
            let targets = check(try generic.json(), "scrape targets")
            #expect(targets?.status == "skipped" && targets?.message == "generic has no scrape targets API", "\(generic.stdout)")
            #expect(mimir.requests.contains { $0.path == "/prometheus/api/v1/targets" })

            // Without the tenant Mimir refuses, and meshtop says what it answered.
            let refused = try await BinaryRun.run("meshtop", ["health", "--prometheus", url], environment: ["LANG": "C", "PATH": "/usr/bin:/bin"])
            #expect(refused.status == 1)
            #expect(refused.stdout.contains("[FAIL] mesh traffic: queries failed: HTTP 401: no org id"), "\(refused.stdout)")
        }
    }

    @Test func thanosPartialAnswersAreSaidInSnapshotAndHealth() async throws {
        let thanos = RecordedBackend(.thanos)
        // As Thanos Query words it when a store API does not answer and partial_response is on.
        let warning = #"fetch series for {__name__="istio_requests_total"} store Addr: 10.0.3.7:10901 LabelSets: {cluster="eu-1"}: rpc error: code = Unavailable desc = connection refused"#
        thanos.warnings = [warning]
        try await thanos.application().test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            let json = try await BinaryRun.run("meshtop", ["snapshot", "--json", "--prometheus", url])
            let report = try json.json()
            #expect(report["warnings"] as? [String] == [warning], "\(json.stdout)")
            #expect(check(report, "prometheus ready")?.message == "ready (thanos: /-/ready)", "\(json.stdout)")
            #expect(check(report, "prometheus warnings")?.status == "warn")
            #expect(check(report, "scrape targets")?.message == "1/1 targets up")
            let text = try await BinaryRun.run("meshtop", ["snapshot", "--prometheus", url])
            #expect(text.stdout.contains("prometheus warning: " + warning), "\(text.stdout)")
            let health = try await BinaryRun.run("meshtop", ["health", "--prometheus", url], environment: ["LANG": "C", "PATH": "/usr/bin:/bin"])
            // A partial answer warns; it does not fail the check run.
            #expect(health.status == 0, "\(health.stdout)")
            #expect(health.stdout.contains("[warn] prometheus warnings: partial answer: fetch series"), "\(health.stdout)")
            // Given as generic, readiness is a query of 1: nothing else is asked first.
            let before = thanos.requests.count
            let generic = try await BinaryRun.run("meshtop", ["snapshot", "--json", "--prometheus", url, "--prometheus-kind", "generic"])
            #expect(check(try generic.json(), "prometheus ready")?.message == "ready (generic: query 1)")
            #expect(!thanos.requests.dropFirst(before).contains { $0.path == "/-/ready" || $0.path.contains("buildinfo") })
        }
    }
}
