import TestSupport
import Foundation
import Testing

/// `meshtop logs` as a user runs it: the built binary on files written by the test.
@Suite struct LogsCommandTests {
    static let clientLine =
        #"[2018-02-14T16:28:24.640Z] "PUT /v2/keys/istioTest HTTP/1.1" 201 - 40 119 6 5 "-" "-" "45dd6431-49cf-9bcf-b611-1d319c56eb2e" "etcd-service:2379" "172.17.0.9:2379""#
    static let serverLine =
        #"[2018-02-14T16:28:24.640Z] "PUT /v2/keys/istioTest HTTP/1.1" 201 - 40 119 4 1 "-" "-" "45dd6431-49cf-9bcf-b611-1d319c56eb2e" "etcd-service:2379" "127.0.0.1:2379""#

    private func meshtop(_ arguments: [String], stdin: String? = nil) async throws -> BinaryRun {
        try await BinaryRun.run("meshtop", arguments, stdin: stdin)
    }

    private func file(_ lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-\(UUID().uuidString).log").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func pairsTheOriginalAppsLines() async throws {
        let path = try file([Self.clientLine, Self.serverLine])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try await meshtop(["logs", "--no-follow", "--pairs", path])
        #expect(text.status == 0)
        #expect(text.stdout.contains("client 6ms  server 4ms  +2ms  etcd-service:2379"))
        let json = try await meshtop(["logs", "--no-follow", "--pairs", "--json", path])
        let pair = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(pair["overhead_ms"] as? Int == 2)
        #expect((pair["client"] as? [String: Any])?["duration"] as? Int == 6)
        #expect((pair["server"] as? [String: Any])?["direction"] as? String == "inbound")
        #expect((pair["client"] as? [String: Any])?["user_agent"] is NSNull)
    }

    /// The original app's hop: client 6 ms (its upstream 5), server 4 ms (its upstream 1).
    @Test func hopsSplitsTheHopsTime() async throws {
        let path = try file([Self.clientLine, Self.serverLine, "junk"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let json = try await meshtop(["logs", "--no-follow", "--hops", "--json", path])
        #expect(json.status == 0, "\(json.stderr)")
        let hop = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(hop["hop"] as? String == "etcd-service:2379")
        #expect(hop["depth"] as? Int == 0 && hop["requests"] as? Int == 1)
        func p50(_ part: String) -> Int? { (hop[part] as? [String: Any])?["p50"] as? Int }
        #expect(p50("own_ms") == 6)
        #expect(p50("client_proxy_ms") == 1 && p50("network_ms") == 1 && p50("server_proxy_ms") == 3 && p50("upstream_ms") == 1)
        #expect(hop["share_of_p99"] as? Double == 1)
        let text = try await meshtop(["logs", "--no-follow", "--hops", path])
        #expect(text.stdout.contains("requests    1  end to end p50 6 ms"), "\(text.stdout)")
        #expect(text.stdout.contains("etcd-service:2379"))
        let both = try await meshtop(["logs", "--no-follow", "--hops", "--summary", path])
        #expect(both.status == 2)
        #expect(both.stderr.contains("give one"))
    }

    @Test func summaryCountsMalformedLinesAndNothingReachesTheTerminalRaw() async throws {
        let path = try file([Self.clientLine, "junk \u{1B}[2J\u{07} \u{9B}31m", Self.serverLine, "\u{1B}]0;title\u{07}"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await meshtop(["logs", "--no-follow", "--summary", path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("malformed   2"))
        #expect(run.stdout.contains(#"junk \x1b[2J\x07 \x9b31m"#))
        #expect(!run.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) })
        let json = try await meshtop(["logs", "--no-follow", "--summary", "--json", "--pairs", path])
        #expect(json.stdout.split(separator: "\n").count == 1, "--summary prints only the aggregate")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["records"] as? Int == 2)
        #expect(report["pairs"] as? Int == 1)
        #expect(report["malformed"] as? Int == 2)
        #expect((report["overhead_ms"] as? [String: Any])?["p50"] as? Int == 2)
    }

    /// A line with a field appended and one without its last field are read, paired and counted.
    @Test func summaryCountsLinesWithExtraOrMissingFields() async throws {
        // The client's upstream host goes; the server's (loopback: the inbound side) stays.
        let withoutHost = String(Self.clientLine.dropLast(#" "172.17.0.9:2379""#.count))
        let path = try file([withoutHost, Self.serverLine + " shipper=fluent-bit", "junk"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await meshtop(["logs", "--no-follow", "--summary", path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("records     2"), "\(run.stdout)")
        #expect(run.stdout.contains("pairs       1"))
        #expect(run.stdout.contains("malformed   1"))
        #expect(run.stdout.contains("uneven      1 with extra fields  1 with missing fields"), "\(run.stdout)")
        let json = try await meshtop(["logs", "--no-follow", "--summary", "--json", path])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["with_extra_fields"] as? Int == 1)
        #expect(report["with_missing_fields"] as? Int == 1)
        #expect(report["records"] as? Int == 2)
    }

    /// ztunnel's connection lines (a fixture written from its documented format): printed,
    /// paired across the two nodes, as JSON, and a hostile workload name made visible.
    @Test func ztunnelConnections() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ztunnel/connections.log").path
        let text = try await meshtop(["logs", "--no-follow", path])
        #expect(text.status == 0)
        #expect(text.stdout.contains(
            "out  tcp  default/sleep-7656cf8794-abcde → httpbin.default.svc.cluster.local  ok  sent 220B recv 87B  13ms"), "\(text.stdout)")
        #expect(text.stdout.contains("error  sent 0B recv 0B  2ms  connection timed out, maybe a NetworkPolicy is blocking HBONE port 15008"))
        #expect(text.stdout.contains(#"default/evil\x1b[2J\x07pod → "#))
        #expect(!text.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) })
        let pairs = try await meshtop(["logs", "--no-follow", "--pairs", path])
        #expect(pairs.stdout.contains("tcp  default/sleep-7656cf8794-abcde → httpbin.default.svc.cluster.local  ok  client 13ms  server 11ms"), "\(pairs.stdout)")
        let json = try await meshtop(["logs", "--no-follow", "--json", path])
        let objects = try json.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.count == 4)
        #expect(objects.first?["kind"] as? String == "connection")
        #expect(objects.first?["dst.hbone_addr"] as? String == "10.244.0.12:8080")
        #expect(objects.first?["duration"] as? Int == 13)
        #expect(objects[2]["error"] as? String != nil && objects[2]["level"] as? String == "error")
        let summary = try await meshtop(["logs", "--no-follow", "--summary", "--json", path])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any])
        #expect(report["records"] as? Int == 4 && report["pairs"] as? Int == 1 && report["malformed"] as? Int == 0)
    }

    @Test func readsStdinAndFilters() async throws {
        let run = try await meshtop(["logs", "--no-follow", "--grep", "127\\.0\\.0\\.1", "-"], stdin: Self.clientLine + "\n" + Self.serverLine + "\n")
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("  in   PUT") == true)
    }

    @Test(arguments: [
        (["logs", "--no-follow", "/no/such/file"], "meshtop: cannot read /no/such/file: no such file or directory"),
        (["logs", "--no-follow", "--format", "nginx", "x"], "meshtop: --format:"),
        (["logs", "--no-follow", "--grep", "(", "x"], "meshtop: --grep"),
        (["logs", "--no-follow", "--grep", #"(a)\1"#, "x"], "meshtop: --grep"),
        (["logs", "--bogus"], "meshtop: "),
    ])
    func badUsageIsOneLineAndExitTwo(_ arguments: [String], _ prefix: String) async throws {
        let run = try await meshtop(arguments, stdin: "")
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix(prefix), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    /// Issue 7: `(a+)+$` backtracked for over 30 s on a 31-byte path; the matcher is linear.
    @Test(.timeLimit(.minutes(1)), arguments: [31, 10_000])
    func grepDoesNotBacktrack(pathLength: Int) async throws {
        let path = "/" + String(repeating: "a", count: pathLength - 2) + "!"
        let evil = Self.clientLine.replacingOccurrences(of: "/v2/keys/istioTest", with: path)
        let plain = Self.serverLine.replacingOccurrences(of: "/v2/keys/istioTest", with: "/aaaa")
        let file = try file([evil, plain])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try await meshtop(["logs", "--no-follow", "--grep", "(a+)+ HTTP", file])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("/aaaa") == true)
    }

    @Test func anEmptyGrepMatchesEveryLine() async throws {
        let file = try file([Self.clientLine, Self.serverLine])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try await meshtop(["logs", "--no-follow", "--grep", "", file])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").count == 2)
    }

    /// Issue 6: a 100 KB user agent makes a line past the reader's 64 KiB limit: skipped and
    /// counted as malformed, the lines around it read.
    @Test func anOverLongLineIsMalformedNotFatal() async throws {
        let long = Self.clientLine.replacingOccurrences(of: #""-" "-""#, with: #""-" ""# + String(repeating: "A", count: 100_000) + #"""#)
        let file = try file([Self.clientLine, long, Self.serverLine])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try await meshtop(["logs", "--no-follow", "--summary", "--json", file])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(summary["records"] as? Int == 2)
        #expect(summary["malformed"] as? Int == 1)
    }

    /// Issue 6: 3,000 unpaired lines with 60 KB user agents (under the line limit) once
    /// held every line; the pairing window's byte bound keeps the process's peak RSS
    /// (VmHWM, read while it is still running) well under the 180 MB of text fed to it.
    @Test(.timeLimit(.minutes(3))) func pairingMemoryIsBoundedInBytes() async throws {
        let agent = String(repeating: "A", count: 60_000)
        var lines: [String] = []
        for n in 0..<3_000 {
            lines.append(
                Self.clientLine.replacingOccurrences(of: "45dd6431-49cf-9bcf-b611-1d319c56eb2e", with: "lone-\(n)")
                    .replacingOccurrences(of: #""-" "-""#, with: #""-" ""# + agent + #"""#))
        }
        lines.append(Self.clientLine)
        lines.append(Self.serverLine)  // the pair that says everything before it was read
        let path = try file(lines)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let meshtop = try FollowingMeshtop(["logs", "--follow", "--from-start", "--pairs", path], killAfter: .seconds(120))
        defer { meshtop.kill() }
        let pid = meshtop.pid
        let text = await meshtop.read()
        #expect(text.contains("client 6ms  server 4ms"))
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let peak = try #require(
            status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") })
        // 64 MiB of window, the 1 MiB read buffer, and the runtime.
        #expect(peak < 120 * 1024, "peak RSS \(peak) kB")
    }

    /// Issue 8: a FIFO nobody writes to used to block open(2), and with it every source.
    /// Now the file's line prints while the FIFO waits, and the FIFO's once a writer comes.
    @Test(.timeLimit(.minutes(1))) func aFIFOWithoutAWriterDoesNotStallTheOtherSources() async throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-\(UUID().uuidString).fifo").path
        try #require(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let other = try file([Self.clientLine])
        defer { try? FileManager.default.removeItem(atPath: other) }
        let meshtop = try FollowingMeshtop(["logs", "--follow", "--from-start", fifo, other], killAfter: .seconds(30))
        defer { meshtop.kill() }
        let first = await meshtop.read()
        #expect(first.contains("PUT  /v2/keys/istioTest  201"))
        #expect(first.contains(URL(fileURLWithPath: other).lastPathComponent))
        // A writer comes, writes one line and leaves: its line is read, and meshtop goes on.
        let writer = open(fifo, O_WRONLY)
        try #require(writer >= 0)
        let line = Self.serverLine + "\n"
        #expect(line.withCString { write(writer, $0, strlen($0)) } == line.utf8.count)
        close(writer)
        let second = await meshtop.read()
        #expect(second.contains(URL(fileURLWithPath: fifo).lastPathComponent))
        #expect(meshtop.process.isRunning)
        #expect(meshtop.terminate() == 0)
        let errors = String(decoding: meshtop.err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(errors.contains("waiting for a writer"))
    }

    /// --follow on a file that another writer appends to while meshtop runs.
    @Test func followsAFileBeingWritten() async throws {
        let path = try file([])
        defer { try? FileManager.default.removeItem(atPath: path) }
        // --from-start: lines written before meshtop opened the file count too, so no race.
        let meshtop = try FollowingMeshtop(["logs", "--follow", "--from-start", "--pairs", path], killAfter: .seconds(20))
        defer { meshtop.kill() }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((Self.clientLine + "\n").utf8))
        try handle.write(contentsOf: Data(Self.serverLine.utf8))  // its newline comes later
        try handle.write(contentsOf: Data("\n".utf8))
        try handle.close()
        // The pipe read returns as soon as meshtop writes.
        let text = await meshtop.read()
        #expect(text.contains("client 6ms  server 4ms  +2ms"))
        // Still following: SIGTERM ends it cleanly.
        #expect(meshtop.process.isRunning)
        #expect(meshtop.terminate() == 0 && meshtop.process.terminationReason == .exit)
    }
}
