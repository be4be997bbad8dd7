import Foundation
import TestSupport
import Testing

@testable import StorageService

@Suite struct CommandTests {
    @Test func flagsWinOverEnvironment() throws {
        let command = try StorageServiceCommand.parse(["--port", "7001", "--etcd", "http://a:1", "--etcd-api", "v2"])
        let config = try command.makeConfig(environment: ["PORT": "7000", "ETCD_ENDPOINTS": "http://b:2"])
        #expect(config.port == 7001)
        #expect(config.etcdEndpoints == ["http://a:1"])
        #expect(config.etcdAPI == .v2)
    }

    @Test func environmentFallbacks() throws {
        let command = try StorageServiceCommand.parse(["--etcd-timeout", "500ms", "--access-log", "-"])
        let config = try command.makeConfig(
            environment: ["PORT": "7000", "ETCD_ENDPOINTS": "http://b:2, http://c:3,", "POD_NAMESPACE": "mesh"])
        #expect(config.port == 7000)
        #expect(config.etcdEndpoints == ["http://b:2", "http://c:3"])
        #expect(config.etcdTimeout == .milliseconds(500))
        #expect(config.accessLog == .stdout)
        #expect(config.identity.namespace == "mesh")
        #expect(config.etcdAPI == .v3)
    }

    @Test(arguments: [
        (["--etcd-api", "v4"], [String: String]()), (["--etcd-timeout", "soon"], [:]), ([], ["PORT": "eighty"]),
        (["--port", "70000"], [:]), (["--log-level", "loud"], [:]), (["--workload", "Storage\u{1b}[2J"], [:]),
    ])
    func badValuesAreRejected(_ arguments: [String], _ environment: [String: String]) throws {
        let command = try StorageServiceCommand.parse(arguments)
        #expect(throws: (any Error).self) { try command.makeConfig(environment: environment) }
    }

    @Test func theWorkloadNameIsAFlag() throws {
        #expect(try StorageServiceCommand.parse([]).makeConfig(environment: [:]).identity.workload == "storage-service")
        let named = try StorageServiceCommand.parse(["--workload", "proxy-etcd-storage"]).makeConfig(environment: [:])
        #expect(named.identity.workload == "proxy-etcd-storage")
        #expect(named.identity.serviceHost == "proxy-etcd-storage.default.svc.cluster.local")
    }

    @Test func connectionLimitsHaveFlags() throws {
        let defaults = try StorageServiceCommand.parse([]).makeConfig(environment: [:])
        #expect(defaults.idleTimeout == .seconds(60))
        #expect(defaults.readTimeout == .seconds(10))
        #expect(defaults.maxConnections == 1000)
        let set = try StorageServiceCommand.parse(["--idle-timeout", "5s", "--read-timeout", "250ms", "--max-connections", "7"])
            .makeConfig(environment: [:])
        #expect(set.idleTimeout == .seconds(5))
        #expect(set.readTimeout == .milliseconds(250))
        #expect(set.maxConnections == 7)
        for bad in [["--idle-timeout", "soon"], ["--read-timeout", "0s"], ["--max-connections", "0"]] {
            #expect(throws: (any Error).self, "\(bad)") { try StorageServiceCommand.parse(bad).makeConfig(environment: [:]) }
        }
    }

    @Test func theConnectionCapLeavesDescriptorsForEverythingElse() {
        #expect(connectionCap(1000, descriptorLimit: 1_048_576) == 1000)
        #expect(connectionCap(1000, descriptorLimit: 100) == 36)
        #expect(connectionCap(1000, descriptorLimit: 10) == 1)
        #expect(connectionCap(1000, descriptorLimit: nil) == 1000)
    }

    /// A TLS file that is missing or not PEM is reported at start, naming the flag, not
    /// as "TLS handshake failed" on the first request.
    @Test func missingTLSFilesExitTwoAtStart() async throws {
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("not-pem-\(UUID().uuidString)").path
        try "not a certificate".write(toFile: notPEM, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: notPEM) }
        let cases: [([String], String)] = [
            (["--etcd-cacert", "/nonexistent"], "--etcd-cacert /nonexistent: no such file"),
            (["--etcd-cert", "/nonexistent", "--etcd-key", notPEM], "--etcd-cert /nonexistent: no such file"),
            (["--etcd-cert", notPEM, "--etcd-key", "/nonexistent"], "--etcd-cert \(notPEM): "),
            (["--etcd-cacert", notPEM], "--etcd-cacert \(notPEM): "),
        ]
        for (arguments, expected) in cases {
            let run = try await BinaryRun.run("storage-service", arguments + ["--port", "0", "--host", "127.0.0.1"])
            let text = run.stderr
            #expect(run.status == 2, "\(arguments): \(text)")
            #expect(text.hasPrefix("storage-service: \(expected)"), "\(text)")
            #expect(text.split(separator: "\n").count == 1, "\(text)")
        }
    }

    /// The built binary, as a user runs it: bad usage is one line on stderr and exit 2.
    @Test func badUsageExitsTwoWithOneLine() async throws {
        for arguments in [["--etcd-api", "v4"], ["--no-such-flag"], ["--etcd", "ftp://x"], ["--etcd", "ftp://\u{1B}]0;pwned\u{07}"]] {
            let run = try await BinaryRun.run("storage-service", arguments + ["--port", "0"])
            let text = run.stderr
            #expect(run.status == 2, "\(arguments)")
            #expect(text.hasPrefix("storage-service: "))
            // What was typed is quoted, never written raw to the terminal.
            #expect(!text.contains("\u{1B}") && !text.contains("\u{07}"), "\(text)")
            #expect(text.split(separator: "\n").count == 1, "\(text)")
        }
    }
}
