import Collectors
import Foundation
import TestSupport
import Testing

/// `meshtop load` against a real storage-service on a real etcd, run as a user runs it.
@Suite(.serialized, .enabled(if: EtcdServer.shouldRun, "etcd is not installed"))
struct LoadCommandTests {
    private func json(_ run: BinaryRun) throws -> [String: Any] {
        #expect(run.status == 0, "\(run.stderr)")
        return try run.json()
    }

    @Test func openModelKeepsTheScheduleAndItsLinesPairWithTheServers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverLog = directory.appendingPathComponent("server.log").path
        let clientLog = directory.appendingPathComponent("client.log").path
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let service = try await ServiceProcess(etcd: etcd.clientURL, arguments: ["--access-log", serverLog])
        defer { service.stop() }

        // -X PUT with a body from a file: the key exists before it is read.
        let bodyFile = directory.appendingPathComponent("body.json")
        try Data(#"{"key":"loadtest","value":"v"}"#.utf8).write(to: bodyFile)
        let put = try json(try await BinaryRun.run("meshtop", ["load", "-n", "3", "-c", "1", "-X", "PUT", "--body", "@" + bodyFile.path, service.url + "/storage", "--json"]))
        #expect((put["status_codes"] as? [String: Int]) == ["201": 3])

        let run = try json(
            try await BinaryRun.run(
                "meshtop", ["load", "-n", "200", "-c", "4", "--rps", "100", service.url + "/storage/loadtest", "--json", "--access-log", clientLog]))
        #expect(run["requests"] as? Int == 200)
        #expect((run["status_codes"] as? [String: Int]) == ["200": 200])
        #expect((run["errors"] as? [String: Int]) == [:])
        // Request 199 is due 1.99 s after the first: the schedule, not the server, sets the pace.
        #expect((run["duration_s"] as? Double ?? 0) >= 1.98)
        let latency = try #require(run["latency_ms"] as? [String: Double])
        let (p50, p99, max) = (latency["p50"] ?? -1, latency["p99"] ?? -1, latency["max"] ?? -1)
        #expect(p50 > 0 && p50 <= p99 && p99 <= max)

        // One client line per request, each pairing with the service's own line.
        let clientLines = try String(contentsOfFile: clientLog, encoding: .utf8).split(separator: "\n")
        #expect(clientLines.count == 200)
        let pairs = try await BinaryRun.run("meshtop", ["logs", clientLog, serverLog, "--no-follow", "--pairs", "--json"])
        #expect(pairs.status == 0, "\(pairs.stderr)")
        let paired = pairs.stdout.split(separator: "\n").filter { $0.contains(#""request_id""#) && $0.contains("/storage/loadtest") }
        #expect(paired.count == 200)
    }

    @Test func closedModelRunsForItsDuration() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let service = try await ServiceProcess(etcd: etcd.clientURL)
        defer { service.stop() }
        let run = try json(try await BinaryRun.run("meshtop", ["load", "-d", "1s", "-c", "4", service.url + "/", "--json"]))
        #expect((run["duration_s"] as? Double ?? 0) >= 1.0)
        let requests = run["requests"] as? Int ?? 0
        #expect(requests > 0)
        #expect((run["status_codes"] as? [String: Int])?["200"] == requests)
        let text = try await BinaryRun.run("meshtop", ["load", "-n", "10", "-c", "2", service.url + "/"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("Requests:      10") && text.stdout.contains("Status codes:  200: 10") && text.stdout.contains("p99.9"))
    }

    @Test func refusedConnectionsAreCountedAsErrors() async throws {
        let port = FreePort.next()
        let result = try await BinaryRun.run("meshtop", ["load", "-n", "5", "-c", "2", "http://127.0.0.1:\(port)/", "--json"])
        // The report is printed, and the run fails: not one request was answered.
        #expect(result.status == 1)
        #expect(result.stderr == "meshtop: every request failed\n")
        let run = try result.json()
        #expect(run["requests"] as? Int == 5)
        #expect((run["errors"] as? [String: Int]) == ["connect": 5])
        #expect((run["status_codes"] as? [String: Int]) == [:])
    }

    @Test(arguments: [
        ["load"], ["load", "ftp://x/"], ["load", "-n", "5", "-d", "1s", "http://127.0.0.1:1/"], ["load", "--rps", "0", "http://127.0.0.1:1/"],
        ["load", "-H", "no-colon", "http://127.0.0.1:1/"], ["load", "-c", "0", "http://127.0.0.1:1/"], ["load", "-d", "soon", "http://127.0.0.1:1/"],
        ["load", "--logs", "a.log", "http://127.0.0.1:1/"], ["load", "--ramp", "1:2:1:1s", "--logs", "/nonexistent/a.log", "http://127.0.0.1:1/"],
        ["load", "--ramp", "1:2:1:1s", "--logs", "-", "--format", "%BROKEN(", "http://127.0.0.1:1/"],
    ])
    func badUsageExitsTwo(arguments: [String]) async throws {
        let run = try await BinaryRun.run("meshtop", arguments)
        #expect(run.status == 2)
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }
}
