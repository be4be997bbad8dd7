import Collectors
import Foundation
import TestSupport
import Testing

/// `meshtop diff` on the local mesh (real Envoy, etcd, Prometheus): a clean run and a run
/// whose gateway delays half the requests by 100 ms from its middle on, each recorded by
/// `meshtop record` while `meshtop load` drives it. The gate fails naming the gateway's hop;
/// turned around (the faulted run as the baseline) it passes.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct MeshDiffTests {
    static let requests = 240
    static let hop = "outbound|9080||proxy-etcd-storage.default.svc.cluster.local"

    @Test func aFaultHalfwayFailsTheGateAndNamesTheHop() async throws {
        let mesh = try await LocalMesh()
        defer { mesh.stop() }
        #expect(await MeshLogs.put(mesh.gateway, key: "diff") == 201)
        let clean = try await Self.record(mesh, faultHalfway: false)
        let faulted = try await Self.record(mesh, faultHalfway: true)
        defer { for file in [clean, faulted] { try? FileManager.default.removeItem(atPath: file) } }

        let limits = ["--max-p99-increase", "10%", "--max-error-increase", "1%"]
        let gate = try await BinaryRun.run("meshtop", ["diff", clean, faulted] + limits)
        #expect(gate.status == 1, "\(gate.stderr)\(gate.stdout)")
        let verdict = gate.stdout.split(separator: "\n").drop { $0 != "past the limits:" }
        #expect(verdict.contains { $0.contains("hop \(Self.hop): p99 +") }, "\(gate.stdout)")
        // A delay is slow, not failed: no error limit crossed.
        #expect(!verdict.contains { $0.contains("errors +") }, "\(gate.stdout)")

        let json = try await BinaryRun.run("meshtop", ["diff", clean, faulted, "--json"] + limits)
        #expect(json.status == 1)
        let object = try json.json()
        #expect(object["crossed"] as? Bool == true)
        let rows = try #require(object["rows"] as? [[String: Any]])
        let hop = try #require(rows.first { $0["kind"] as? String == "hop" && $0["name"] as? String == Self.hop })
        let before = try #require((hop["a"] as? [String: Any])?["p99_ms"] as? Double)
        let after = try #require((hop["b"] as? [String: Any])?["p99_ms"] as? Double)
        // A quarter of the second run's requests waited 100 ms at the gateway.
        #expect(after - before >= 80, "p99 \(before) → \(after) ms")
        let requestsA = try #require((hop["a"] as? [String: Any])?["requests"] as? Double)
        #expect(requestsA >= Double(Self.requests) * 0.9, "\(requestsA) requests of the clean run's hop")
        #expect(rows.contains { $0["kind"] as? String == "edge" && ($0["name"] as? String)?.contains("proxy-etcd-storage") == true })

        // The faulted run as the baseline: faster is no regression.
        let reversed = try await BinaryRun.run("meshtop", ["diff", faulted, clean] + limits)
        #expect(reversed.status == 0, "\(reversed.stdout)")
        #expect(reversed.stdout.contains("no change past the limits"))
    }

    @Test func badUsageIsOneLine() async throws {
        for arguments in [
            ["diff", "/nonexistent/a.mtr", "/nonexistent/b.mtr"], ["diff", "a.mtr"], ["diff", "a", "b", "--max-p99-increase", "ten"],
            ["diff", "a", "b", "--max-error-increase", "0.1"], ["diff", "a", "b", "--p99-floor", "soon"],
        ] {
            let run = try await BinaryRun.run("meshtop", arguments)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
        }
    }

    /// One run of `requests` at 20 req/s recorded; with `faultHalfway`, the gateway delays half
    /// the requests by 100 ms once half of them have reached its log. The recording stops once
    /// it holds every gateway line of the run.
    static func record(_ mesh: LocalMesh, faultHalfway: Bool) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("diff-\(UUID().uuidString).mtr").path
        let etcd = try #require(mesh.description.etcd.first)
        let gatewayLog = try #require(mesh.description.accessLogs["istio-ingressgateway"])
        func gatewayLines() -> Int {
            ((try? String(contentsOfFile: gatewayLog, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        let record = Process()
        record.executableURL = BuiltBinary.url("meshtop")
        record.arguments =
            ["record", file, "--prometheus", mesh.prometheus, "--etcd", etcd, "--interval", "1s"] + mesh.accessLogs.flatMap { ["--logs", $0] }
        record.standardError = FileHandle.nullDevice
        record.standardOutput = FileHandle.nullDevice
        try record.run()
        defer { if record.isRunning { kill(record.processIdentifier, SIGKILL) } }
        try await Tool.waitUntil("the recording's first poll", within: 30) {
            guard let reader = try? RecordingReader(path: file) else { return false }
            while let frame = reader.next() {
                if frame.kind == RecordingFrame.Kind.exchange.rawValue { return true }
            }
            return false
        }
        let before = gatewayLines()
        let load = Task {
            try await BinaryRun.run("meshtop", ["load", mesh.gateway + "/storage/diff", "--rps", "20", "-n", "\(requests)", "-c", "4"])
        }
        if faultHalfway {
            try await Tool.waitUntil("half the run at the gateway", within: 60) { gatewayLines() - before >= requests / 2 }
            try await mesh.fault("delay", "50", "100")
        }
        let run = try await load.value
        try await mesh.fault("clear")
        #expect(run.status == 0, "\(run.stderr)")
        let total = gatewayLines()
        try await Tool.waitUntil("every gateway line in the recording", within: 30) {
            guard let reader = try? RecordingReader(path: file) else { return false }
            var lines = 0
            while let frame = reader.next() {
                if frame.kind == RecordingFrame.Kind.logLine.rawValue, frame.text(0) == gatewayLog { lines += 1 }
            }
            return lines >= total - before
        }
        kill(record.processIdentifier, SIGTERM)
        await OffPool.run { record.waitForExit(within: 30) }
        return file
    }
}
