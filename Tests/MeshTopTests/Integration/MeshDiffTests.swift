import Collectors
import Foundation
import TestSupport
import Testing

/// A run kept and looked at again, on the local mesh (real Envoy, etcd, Prometheus): a clean
/// run and a run whose gateway delays half the requests by 2 s from a third of the way in, each
/// recorded by `meshtop record` while `meshtop load` drives it. `meshtop replay` shows the
/// fault from the moment it came and not before; `meshtop diff` fails the gate naming the
/// gateway's hop, and turned around (the faulted run as the baseline) passes.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun && TmuxSession.shouldRun, "envoy, etcd, prometheus or tmux is not installed"))
struct MeshDiffTests {
    static let requests = 360
    static let hop = "outbound|9080||proxy-etcd-storage.default.svc.cluster.local"

    @Test func aFaultHalfwayFailsTheGateAndNamesTheHop() async throws {
        let mesh = try await LocalMesh()
        defer { mesh.stop() }
        #expect(await MeshLogs.put(mesh.gateway, key: "diff") == 201)
        let (clean, _) = try await Self.record(mesh, faultHalfway: false)
        let (faulted, faultAt) = try await Self.record(mesh, faultHalfway: true)
        defer { for file in [clean, faulted] { try? FileManager.default.removeItem(atPath: file) } }
        try await Self.replaySeesTheFault(faulted, at: try #require(faultAt))

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
        // Half the second run's requests after the fault waited 2 s at the gateway.
        #expect(after - before >= 1_000, "p99 \(before) → \(after) ms")
        let requestsA = try #require((hop["a"] as? [String: Any])?["requests"] as? Double)
        #expect(requestsA >= Double(Self.requests) * 0.9, "\(requestsA) requests of the clean run's hop")
        #expect(rows.contains { $0["kind"] as? String == "edge" && ($0["name"] as? String)?.contains("proxy-etcd-storage") == true })

        // Its report: the comparison first, the hop's P99 marked crossed, each run's charts after it.
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("diff-\(UUID().uuidString).html").path
        defer { try? FileManager.default.removeItem(atPath: page) }
        let report = try await BinaryRun.run("meshtop", ["report", clean, faulted, "-o", page] + limits)
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let rowPattern = "<tr data-kind=\"hop\" data-name=\"\(NSRegularExpression.escapedPattern(for: Self.hop))\">.*?</tr>"
        let row = try #require(html.range(of: rowPattern, options: .regularExpression), "\(html)")
        #expect(html[row].contains("<td class=\"crossed\">"), "\(html[row])")
        #expect(html.contains("id=\"comparison\""))
        #expect(html.range(of: #"data-chart="run-b-rate" data-series="[1-8]""#, options: .regularExpression) != nil)

        // The ledger of the recording: its lines against the metrics counted from its first poll.
        let ledger = try await BinaryRun.run("meshtop", ["snapshot", "--from", faulted, "--polls", "2", "--json"])
        #expect(ledger.status == 0, "\(ledger.stderr)")
        let ledgerRows = try #require((try ledger.json()["ledger"] as? [String: Any])?["rows"] as? [[String: Any]])
        let storage = try #require(ledgerRows.first { ($0["hop"] as? String)?.hasPrefix("proxy-etcd-storage") == true }, "\(ledgerRows)")
        let serverLines = try #require(storage["server_lines"] as? Int)
        let counted = try #require((storage["metrics"] as? [String: Int])?["destination"])
        #expect(serverLines >= Self.requests * 9 / 10 && storage["paired"] as? Int == serverLines, "\(storage)")
        // The metrics miss at most the requests after the last scrape and the first poll's second.
        #expect(counted <= serverLines && counted >= serverLines - 60, "\(storage)")

        // The faulted run as the baseline: faster is no regression. The floor is the fault's
        // scale: a few-ms hop's P99 can double from one run to the next on a busy machine
        // (CI's other suites beside it), and that noise is not what this looks at.
        let reversed = try await BinaryRun.run("meshtop", ["diff", faulted, clean, "--p99-floor", "500ms"] + limits)
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

    /// The replay, paused, three seconds before the fault: no request carries the fault
    /// filter's DI flag. `g` to three seconds after it: the newest requests do.
    static func replaySeesTheFault(_ file: String, at fault: Date) async throws {
        let tmux = try TmuxSession(width: 200, height: 50)
        defer { tmux.close() }
        let formatter = ISO8601DateFormatter()
        let before = formatter.string(from: fault.addingTimeInterval(-3))
        // A delayed request's line is written when its 2 s are over and recorded once the
        // tail has read it: 3 s after the fault left a busy machine under a second for that.
        let after = formatter.string(from: fault.addingTimeInterval(5))
        try tmux.type("\(BuiltBinary.url("meshtop").path) replay \(file) --paused --at \(before); echo EXIT=$?")
        let delayed = #"GET /storage/diff .* DI 127\.0\.0\.1"#
        try await tmux.waitFor("the replay paused before the fault, its requests listed", within: 30) { screen in
            // Seconds into the load: Prometheus answers, its young edge may not have two samples yet.
            screen.contains("REPLAY PAUSED") && screen.contains("prom ✓") && screen.contains("GET /storage/diff")
        }
        #expect(tmux.screen.range(of: delayed, options: .regularExpression) == nil, "\(tmux.screen)")
        try tmux.send("g")
        try tmux.type(after)
        try await tmux.waitFor("the fault's delayed requests after the jump", within: 30) { screen in
            screen.range(of: delayed, options: .regularExpression) != nil
        }
        // Played from there, the clock moves on from the jump.
        try tmux.send("p")
        try await tmux.waitFor("the replay playing") { $0.contains("REPLAY 1×") }
        try tmux.send("q")
        try await tmux.waitFor("meshtop's exit status") { $0.contains("EXIT=0") }
    }

    /// The start of the first line with the fault filter's DI flag (the text format: the
    /// start in brackets, the flags after the status).
    static func firstDelayed(in log: String) -> Date? {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.contains("\" 200 DI ") }), line.hasPrefix("["),
            let close = line.firstIndex(of: "]")
        else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: String(line[line.index(after: line.startIndex)..<close]))
    }

    /// One run of `requests` at 20 req/s recorded; with `faultHalfway`, the gateway delays half
    /// the requests by 2 s once a third of them have reached its log (and the moment
    /// its first delayed line started is returned). The recording stops once it holds every gateway line of the run.
    static func record(_ mesh: LocalMesh, faultHalfway: Bool) async throws -> (file: String, faultAt: Date?) {
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
        // Two whole polls recorded (a busy machine can take seconds over the first): a replay
        // a few seconds into the load then has Prometheus's and etcd's answers.
        try await Tool.waitUntil("two polls in the recording", within: 60) {
            guard let reader = try? RecordingReader(path: file) else { return false }
            var queries: [Int64] = []
            var etcdAnswered = false
            while let frame = reader.next() {
                guard let exchange = RecordedExchange(frame), exchange.status == 200 else { continue }
                if exchange.url.hasPrefix(mesh.prometheus), exchange.url.hasSuffix("/api/v1/query") { queries.append(frame.time) }
                if exchange.url.hasPrefix(etcd) { etcdAnswered = true }
            }
            return etcdAnswered && (queries.max() ?? 0) - (queries.min() ?? 0) >= 1_000
        }
        let before = gatewayLines()
        let load = Task {
            // Enough connections that the delayed requests (20 at a time) do not hold the others up.
            try await BinaryRun.run("meshtop", ["load", mesh.gateway + "/storage/diff", "--rps", "20", "-n", "\(requests)", "-c", "64"])
        }
        var faultAt: Date?
        if faultHalfway {
            try await Tool.waitUntil("a third of the run at the gateway", within: 60) { gatewayLines() - before >= requests / 3 }
            // 2 s: far past what a busy machine adds to a clean run's P99 (0.3 s seen in CI
            // with other suites beside it), so the gate's verdict is the fault's, not the machine's.
            try await mesh.fault("delay", "50", "2000")
            // Envoy takes the new route some time after the call returns, longer on a busy
            // machine: the fault's moment is the first delayed line's start.
            try await Tool.waitUntil("the gateway's first delayed line", within: 30) {
                faultAt = Self.firstDelayed(in: gatewayLog)
                return faultAt != nil
            }
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
        return (file, faultAt)
    }
}
