import Foundation
import TestSupport
import Testing

/// `meshtop health` with a fake kubectl on PATH (no Kubernetes API server can run here): it
/// replays recorded `get pods -o json` answers and "forwards" to a real Prometheus the test
/// starts, so the port-forward path reaches a real server.
@Suite(.serialized, .enabled(if: PrometheusServer.shouldRun, "prometheus is not installed"))
struct KubernetesHealthTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    private func environment(_ work: URL) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = Self.fixtures.appendingPathComponent("fake-kubectl").path + ":" + (environment["PATH"] ?? "/usr/bin")
        environment["FAKE_KUBE_DIR"] = work.path
        for name in ["MESHTOP_PROMETHEUS", "MESHTOP_ETCD", "MESHTOP_SERVICE", "XDG_CONFIG_HOME"] { environment[name] = nil }
        environment["HOME"] = work.path
        return environment
    }

    private func work() throws -> URL {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-kube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for name in ["pods-1.json", "istiod.json"] {
            try FileManager.default.copyItem(
                at: Self.fixtures.appendingPathComponent("kube-health/\(name)"), to: work.appendingPathComponent(name))
        }
        return work
    }

    @Test func anUnreachableClusterIsSaidInOneLine() async throws {
        let work = try work()
        defer { try? FileManager.default.removeItem(at: work) }
        // A context, but no cluster behind it: kubectl's own last line is the reason.
        try FileManager.default.removeItem(at: work.appendingPathComponent("pods-1.json"))
        try FileManager.default.removeItem(at: work.appendingPathComponent("istiod.json"))
        let run = try await BinaryRun.run("meshtop", ["health", "--context", "fake"], environment: environment(work))
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("kubernetes: no reachable kube context: The connection to the server localhost:8080 was refused"), "\(run.stdout)")
    }

    @Test func portForwardedPrometheusAndPodChecks() async throws {
        let prometheus = try await PrometheusServer(scraping: [])
        defer { prometheus.stop() }
        let work = try work()
        defer { try? FileManager.default.removeItem(at: work) }
        try "\(prometheus.port)".write(to: work.appendingPathComponent("forward-port"), atomically: true, encoding: .utf8)

        let run = try await BinaryRun.run("meshtop", ["health", "--json", "--context", "fake"], environment: environment(work))
        let report = try run.json()
        let checks = try #require(report["checks"] as? [[String: Any]])
        func check(_ name: String) -> (status: String, message: String)? {
            checks.first { $0["name"] as? String == name }.map { ($0["status"] as? String ?? "", $0["message"] as? String ?? "") }
        }
        #expect(check("prometheus ready")?.status == "ok", "\(run.stdout)\(run.stderr)")
        #expect(check("scrape targets")?.message == "no active targets")
        #expect(check("pods ready")?.status == "ok")
        #expect(check("pods ready")?.message == "2/2 pods Ready in default")
        #expect(check("istio-proxy sidecars")?.status == "fail")
        #expect(check("istio-proxy sidecars")?.message == "no istio-proxy in: etcd-0")
        #expect(check("istiod")?.status == "ok")
        #expect(report["healthy"] as? Bool == false)
        #expect(run.status == 1)
        let calls = try String(contentsOf: work.appendingPathComponent("calls.log"), encoding: .utf8)
        #expect(calls.contains("--context fake -n istio-system port-forward svc/prometheus 0:9090"))
        // The forward was stopped when meshtop exited.
        let pid = try #require(Int32(String(contentsOf: work.appendingPathComponent("forward.pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) != 0)
    }

    @Test(.enabled(if: EtcdServer.shouldRun)) func etcdThroughAPortForward() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let work = try work()
        defer { try? FileManager.default.removeItem(at: work) }
        try "\(etcd.clientPort)".write(to: work.appendingPathComponent("forward-port"), atomically: true, encoding: .utf8)
        let run = try await BinaryRun.run(
            "meshtop", ["snapshot", "--json", "--context", "fake", "--prometheus", "http://127.0.0.1:9", "--etcd", "k8s:storage/etcd-service"],
            environment: environment(work))
        #expect(run.status == 0, "\(run.stderr)")
        let members = try #require((try run.json()["etcd"] as? [String: Any])?["members"] as? [[String: Any]])
        #expect(members.first?["healthy"] as? Bool == true, "\(run.stdout)")
        // Only the forwarded endpoint: the members' own URLs would be inside the cluster.
        #expect(members.map { $0["endpoint"] as? String } == ["http://127.0.0.1:\(etcd.clientPort)"])
        let calls = try String(contentsOf: work.appendingPathComponent("calls.log"), encoding: .utf8)
        #expect(calls.contains("--context fake -n storage port-forward svc/etcd-service 0:2379"))
        let bad = try await BinaryRun.run("meshtop", ["snapshot", "--etcd", "k8s:etcd-service"], environment: environment(work))
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("'k8s:etcd-service' is not k8s:NAMESPACE/SERVICE"))
    }

    @Test func withoutAContextTheChecksAreSkipped() async throws {
        let work = try work()
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.removeItem(at: work.appendingPathComponent("pods-1.json"))
        try FileManager.default.removeItem(at: work.appendingPathComponent("istiod.json"))
        try "".write(to: work.appendingPathComponent("no-context"), atomically: true, encoding: .utf8)
        let run = try await BinaryRun.run("meshtop", ["health"], environment: environment(work))
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("– prometheus: not configured") || run.stdout.contains("[skip] prometheus: not configured"))
        #expect(run.stdout.contains("kubernetes: kubectl has no current context (--context)"), "\(run.stdout)")
        let calls = try String(contentsOf: work.appendingPathComponent("calls.log"), encoding: .utf8)
        #expect(!calls.contains("get pods"))
    }
}
