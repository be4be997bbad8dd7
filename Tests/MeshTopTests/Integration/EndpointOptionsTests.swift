import Collectors
import Foundation
import TestSupport
import Testing

/// Sources from flags, environment and the config file; bad ones are a one-line exit 2.
@Suite struct EndpointOptionsTests {
    private func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["MESHTOP_PROMETHEUS", "MESHTOP_ETCD", "MESHTOP_SERVICE", "XDG_CONFIG_HOME", "KUBECONFIG"] { environment[name] = nil }
        environment["PATH"] = "/usr/bin:/bin"
        environment["HOME"] = FileManager.default.temporaryDirectory.path + "/meshtop-no-home"
        return environment.merging(extra) { $1 }
    }

    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [
        ("prometheus: [1, 2", "not valid YAML"), ("queries:\n  latency: up", "unknown query 'latency'"), ("interval: fast", "interval 'fast'"),
        ("profile: linkerd", "profile 'linkerd' is none of istio, envoy, auto"), ("envoy_queries:\n  latency: up", "unknown envoy query 'latency'"),
    ])
    func aBadConfigFileIsOneLineAndExit2(_ text: String, _ expected: String) async throws {
        let run = try await BinaryRun.run("meshtop", ["snapshot", "--config", try write(text)], environment: environment())
        #expect(run.status == 2)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.contains(expected), "\(run.stderr)")
    }

    @Test(arguments: [["snapshot", "--etcd", "localhost:2379"], ["health", "--interval", "soon"], ["snapshot", "--reporter", "proxy"],
                      ["snapshot", "--window", "5 minutes"], ["snapshot", "--profile", "linkerd"], ["snapshot", "--config", "/nonexistent/meshtop.yaml"],
                      ["snapshot", "--prometheus-header", "X-Scope-OrgID"], ["snapshot", "--prometheus-header", ": tenant"],
                      ["health", "--prometheus-header", "X-Scope\nOrgID: t"], ["top", "--prometheus-header", "X-Scope-OrgID: t\r\nX: y"],
                      ["health", "--prometheus-header", "X-Scope-OrgID: t\u{1B}[2J"], ["snapshot", "--prometheus-kind", "cortex"],
                      ["snapshot", "--prometheus", "http://127.0.0.1:9/prometheus#x"], ["snapshot", "--since", "yesterday"],
                      ["health", "--since", "2999-01-01T00:00:00Z"], ["snapshot", "--since", "0s"], ["health", "--ledger-threshold", "5"],
                      ["snapshot", "--logs", "/nonexistent/proxy.log"]])
    func badFlagsAreOneLineAndExit2(_ arguments: [String]) async throws {
        let run = try await BinaryRun.run("meshtop", arguments, environment: environment())
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
        // A header's value may be a tenant or a credential: only its name is said.
        #expect(!run.stderr.contains("tenant") && !run.stderr.contains("X: y") && !run.stderr.contains("[2J"), "\(run.stderr)")
    }

    @Test func aBadHeaderInTheConfigFileIsOneLineAndExit2() async throws {
        let run = try await BinaryRun.run(
            "meshtop", ["health", "--config", try write("prometheus_headers: [\"X-Scope-OrgID tenant-a\"]\n")], environment: environment())
        #expect(run.status == 2)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.contains("prometheus_headers") && !run.stderr.contains("tenant-a"), "\(run.stderr)")
    }

    @Test func theConfigFileNamesTheSourcesAndTheEnvironmentWins() async throws {
        // Nothing listens on these ports: the snapshot still prints, with each source's error.
        let path = try write("service: http://127.0.0.1:9\netcd: [http://127.0.0.1:9]\nthresholds: {success_rate: 0.5}\n")
        let run = try await BinaryRun.run(
            "meshtop", ["snapshot", "--json", "--config", path], environment: environment(["MESHTOP_SERVICE": "http://127.0.0.1:19"]))
        #expect(run.status == 0, "\(run.stderr)")
        let sources = try #require(try run.json()["sources"] as? [String: [String: Any]])
        #expect(sources["etcd"]?["configured"] as? Bool == true)
        #expect(sources["etcd"]?["ok"] as? Bool == false)
        #expect(sources["service"]?["ok"] as? Bool == false)
        #expect((sources["service"]?["error"] as? String)?.contains("connect") == true)
        #expect(sources["prometheus"]?["configured"] as? Bool == false)
        let health = try await BinaryRun.run("meshtop", ["health", "--config", path], environment: environment(["LANG": "C"]))
        #expect(health.status == 1)
        #expect(health.stdout.contains("[FAIL] storage service: couldn't connect to server"), "\(health.stdout)")
    }

    @Test(.enabled(if: EtcdServer.shouldRun)) func etcdWithMutualTLS() async throws {
        let etcd = try await EtcdServer(mutualTLS: true)
        defer { etcd.stop() }
        let certificates = try #require(etcd.certificates)
        let run = try await BinaryRun.run(
            "meshtop",
            ["snapshot", "--json", "--etcd", etcd.clientURL, "--etcd-cacert", certificates.ca, "--etcd-cert", certificates.clientCert,
             "--etcd-key", certificates.clientKey], environment: environment())
        let members = try #require((try run.json()["etcd"] as? [String: Any])?["members"] as? [[String: Any]])
        #expect(members.count == 1)
        #expect(members.first?["healthy"] as? Bool == true, "\(run.stdout)")
        let without = try await BinaryRun.run("meshtop", ["snapshot", "--json", "--etcd", etcd.clientURL], environment: environment())
        let refused = try #require((try without.json()["etcd"] as? [String: Any])?["members"] as? [[String: Any]])
        #expect(refused.first?["healthy"] as? Bool == false)
    }
}
