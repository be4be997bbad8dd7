import Collectors
import Foundation
import TestSupport
import Testing

/// `meshtop record` on the local mesh (real Envoy, etcd, Prometheus): the file keeps every
/// poll's answers and every proxy line as it came, a reader follows it while it is written,
/// and `logs --from` pairs the recorded lines as it pairs the logs themselves.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct MeshRecordTests {
    static let requests = 20

    @Test func aRecordingKeepsThePollsAndTheLinesAndReadsBack() async throws {
        let mesh = try await LocalMesh()
        defer { mesh.stop() }
        #expect(await MeshLogs.put(mesh.gateway, key: "rec") == 201)
        let etcd = try #require(mesh.description.etcd.first)
        let logs = mesh.accessLogs
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("record-\(UUID().uuidString).mtr").path
        defer { try? FileManager.default.removeItem(atPath: file) }

        let record = Process()
        record.executableURL = BuiltBinary.url("meshtop")
        record.arguments = ["record", file, "--prometheus", mesh.prometheus, "--etcd", etcd, "--interval", "1s"] + logs.flatMap { ["--logs", $0] }
        let stderr = Pipe()
        record.standardError = stderr
        record.standardOutput = FileHandle.nullDevice
        try record.run()
        defer { if record.isRunning { kill(record.processIdentifier, SIGKILL) } }

        // The writer flushes every second: a reader sees the polls while the file is written.
        var exchanges: [RecordedExchange] = []
        var lines: [(source: String, text: String)] = []
        try await Tool.waitUntil("the recording's header", within: 20) { (try? RecordingReader(path: file)) != nil }
        let reader = try RecordingReader(path: file)
        #expect(reader.watched["prometheus"] == mesh.prometheus && reader.watched["etcd"] == etcd)
        func drain() {
            while let frame = reader.next() {
                if let exchange = RecordedExchange(frame) { exchanges.append(exchange) }
                if frame.kind == RecordingFrame.Kind.logLine.rawValue { lines.append((frame.text(0), frame.text(1))) }
            }
        }
        try await Tool.waitUntil("a Prometheus query and an etcd status in the recording", within: 20) {
            drain()
            return exchanges.contains { $0.url.hasPrefix(mesh.prometheus) && $0.url.contains("/api/v1/query") && $0.status == 200 }
                && exchanges.contains { $0.url.hasPrefix(etcd) && $0.status == 200 }
        }
        var ids: Set<String> = []
        for _ in 0..<Self.requests {
            let id = UUID().uuidString.lowercased()
            ids.insert(id)
            #expect(await MeshLogs.send(mesh.gateway + "/storage/rec", id: id) == 200)
        }
        // Each id once at the gateway, twice at the storage sidecar, once at etcd's: all in the
        // recording, from their files.
        try await Tool.waitUntil("the requests' lines in the recording", within: 30) {
            drain()
            return lines.filter { line in ids.contains { line.text.contains($0) } }.count == 4 * Self.requests
        }
        #expect(lines.allSatisfy { logs.contains($0.source) }, "every line names its file")
        // And Prometheus's answers count them: the edge the requests made is in a recorded answer.
        let answered = exchanges.count
        try await Tool.waitUntil("an answer with the gateway's edge in the recording", within: 30) {
            drain()
            return exchanges.dropFirst(answered).contains { exchange in
                exchange.url.hasSuffix("/api/v1/query") && String(decoding: exchange.body, as: UTF8.self).contains("proxy-etcd-storage")
                    && String(decoding: exchange.requestBody, as: UTF8.self).contains("rate")
            }
        }

        kill(record.processIdentifier, SIGTERM)
        await OffPool.run { record.waitForExit(within: 30) }
        #expect(record.terminationStatus == 0)
        let said = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.hasPrefix("meshtop: recorded ") && said.contains(" a minute) to \(file)"), "\(said)")

        // Every request's two hops pair from the recording as from the logs.
        let pairs = try await BinaryRun.run("meshtop", ["logs", "--from", file, "--pairs", "--json"])
        #expect(pairs.status == 0, "\(pairs.stderr)")
        let chains = try pairs.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return ids.contains(object?["request_id"] as? String ?? "") && object?["hops"] != nil ? object : nil
        }
        #expect(chains.count == Self.requests, "\(pairs.stdout.prefix(2_000))")
        #expect(chains.allSatisfy { ($0["hops"] as? [Any])?.count == 2 })

        // The run's polls, answered from the recording through the same poller: at its end
        // the edge the requests made, the etcd member, Prometheus up; before its first answer,
        // Prometheus not yet.
        let replayed = try await BinaryRun.run("meshtop", ["snapshot", "--from", file, "--polls", "2", "--json"])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        let snapshot = try replayed.json()
        let edges = try #require(snapshot["edges"] as? [[String: Any]])
        #expect(edges.contains { ($0["destination_service"] as? String)?.hasPrefix("proxy-etcd-storage") == true }, "\(edges)")
        let sources = try #require(snapshot["sources"] as? [String: [String: Any]])
        #expect(sources["prometheus"]?["ok"] as? Bool == true && sources["etcd"]?["ok"] as? Bool == true, "\(sources)")
        let members = try #require((snapshot["etcd"] as? [String: Any])?["members"] as? [[String: Any]])
        #expect(members.count == 1)
        let time = try #require(snapshot["time"] as? String)
        #expect(time.hasPrefix(String(ISO8601DateFormatter().string(from: Date()).prefix(10))), "the recorded time: \(time)")
        let early = try await BinaryRun.run("meshtop", ["snapshot", "--from", file, "--at", "+0s", "--json"])
        let before = try early.json()
        #expect((before["sources"] as? [String: [String: Any]])?["prometheus"]?["ok"] as? Bool == false, "\(early.stdout)")

        // A copy cut in the middle reads up to the cut and says so.
        let whole = try Data(contentsOf: URL(fileURLWithPath: file))
        let cut = file + ".cut"
        defer { try? FileManager.default.removeItem(atPath: cut) }
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        let partial = try await BinaryRun.run("meshtop", ["logs", "--from", cut, "--summary", "--json"])
        #expect(partial.status == 0, "\(partial.stderr)")
        #expect(partial.stderr.contains("ends inside a frame"), "\(partial.stderr)")
        let summary = try partial.json()
        let records = try #require(summary["records"] as? Int)
        #expect(records > 0 && records < lines.count)
    }

    @Test func badRecordingsAndUsageAreOneLine() async throws {
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("not-\(UUID().uuidString).log").path
        try Data("not a recording\n".utf8).write(to: URL(fileURLWithPath: text))
        defer { try? FileManager.default.removeItem(atPath: text) }
        for arguments in [
            ["logs", "--from", text], ["logs", "--from", "/nonexistent/r.mtr"], ["logs", "--from", text, "a.log"],
            ["record", "/tmp/x.mtr", "-d", "soon"], ["record", "/tmp/x.mtr", "--record-max", "lots"],
            ["record", "/nonexistent/dir/x.mtr", "-d", "1s"], ["top", "--record-max", "1MiB"],
            ["snapshot", "--from", text], ["snapshot", "--at", "+1m"], ["snapshot", "--from", text, "--logs", text],
        ] {
            let run = try await BinaryRun.run("meshtop", arguments)
            #expect(run.status == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
        }
        let notOne = try await BinaryRun.run("meshtop", ["logs", "--from", text])
        #expect(notOne.stderr.contains("not a meshtop recording"))
    }
}
