import Collectors
import Foundation
import HummingbirdTesting
import TestSupport
import Testing

/// meshtop's one-shot commands against a peer that lies: what reaches the terminal, what
/// is followed, what is held. Each output path is fed escape bytes.
@Suite(.serialized) struct HostileOutputTests {
    /// Sets the terminal's title, clears the screen, reverses the text, and a C1 CSI.
    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2Jm1\u{202E}fdp.exe\u{9B}31m\u{200B}"

    /// Nothing but newlines of all the hidden scalars may reach the terminal.
    private func expectClean(_ run: BinaryRun, sourceLocation: SourceLocation = #_sourceLocation) {
        let raw = (run.stdout + run.stderr).unicodeScalars.filter { ControlBytes.isHidden($0) && $0 != "\n" }
        #expect(raw.isEmpty, "raw bytes: \(raw.map { String($0.value, radix: 16) })", sourceLocation: sourceLocation)
    }

    @Test func healthSnapshotAndTheirJSONShowAHostileMemberNameVisibly() async throws {
        let peer = HostilePeer()
        peer.memberName = Self.hostile
        peer.promLabels["source_workload"] = Self.hostile
        peer.promWarnings = [Self.hostile + String(repeating: "w", count: 50_000)]
        try await peer.application().test(.live) { client in
            peer.port = try #require(client.port)
            let url = "http://127.0.0.1:\(peer.port)"
            let sources = ["--etcd", url, "--prometheus", url]
            for arguments in [["health"], ["snapshot"]] {
                let run = try await BinaryRun.run("meshtop", arguments + sources)
                expectClean(run)
                #expect(run.stdout.contains(#"\x1b]0;pwned\x07\x1b[2Jm1\u202efdp.exe\x9b31m\u200b"#), "\(arguments): \(run.stdout)")
            }
            let snapshot = try await BinaryRun.run("meshtop", ["snapshot", "--json"] + sources)
            expectClean(snapshot)
            let report = try snapshot.json()
            // JSON escapes the same bytes and loses nothing: a reader gets the name back.
            let members = try #require((report["etcd"] as? [String: Any])?["members"] as? [[String: Any]])
            #expect(members.first?["name"] as? String == Self.hostile)
            let warnings = try #require(report["warnings"] as? [String])
            #expect(warnings.count == 1 && warnings[0].utf8.count < 1_200 && warnings[0].hasSuffix("bytes)"))
            let health = try await BinaryRun.run("meshtop", ["health", "--json"] + sources)
            expectClean(health)
            #expect(try health.json()["checks"] != nil)
        }
    }

    @Test func logsLoadAndUsageErrorsNeverWriteRawBytes() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-hostile-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let line = #"[2018-02-14T16:28:24.640Z] "GET /storage/invoice\#u{202E}fdp.exe HTTP/1.1" 200 - 0 2 6 5 "-" "ua\#u{1B}[2J" "id-1" "svc:9080" "127.0.0.1:9080""#
        try (line + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let logs = try await BinaryRun.run("meshtop", ["logs", "--no-follow", path])
        expectClean(logs)
        #expect(logs.stdout.contains(#"/storage/invoice\u202efdp.exe"#))
        let json = try await BinaryRun.run("meshtop", ["logs", "--no-follow", "--json", path])
        expectClean(json)
        let record = try json.json()
        #expect(record["path"] as? String == "/storage/invoice\u{202E}fdp.exe")

        for arguments in [
            ["logs", "--no-follow", "/nonexistent/" + Self.hostile],
            ["load", "http://" + Self.hostile],
            ["--" + Self.hostile],
            ["snapshot", "--prometheus", "http://127.0.0.1:1/" + Self.hostile, "--max-answer-size", Self.hostile],
        ] {
            let run = try await BinaryRun.run("meshtop", arguments)
            #expect(run.status == 2, "\(arguments.first!): \(run.stderr)")
            expectClean(run)
            #expect(run.stderr.contains(#"\x1b"#), "\(arguments.first!): \(run.stderr)")
        }
    }

    @Test func memberURLsAreFollowedOnlyOverHTTPAndTheListIsCapped() async throws {
        let trap = try ListeningTrap()
        defer { trap.close() }
        let peer = HostilePeer()
        try await peer.application().test(.live) { client in
            peer.port = try #require(client.port)
            peer.extraMembers =
                [["gopher://127.0.0.1:\(trap.port)/_SET%20pwned"], ["dict://127.0.0.1:\(trap.port)/info"], ["file:///etc/hostname"]]
                + (0..<247).map { ["http://127.0.0.1:\(peer.port)/m\($0)"] }
            let url = "http://127.0.0.1:\(peer.port)"
            let run = try await BinaryRun.run("meshtop", ["snapshot", "--json", "--etcd", url])
            #expect(run.status == 0, "\(run.stderr)")
            let etcd = try #require(try run.json()["etcd"] as? [String: Any])
            let members = try #require(etcd["members"] as? [[String: Any]])
            #expect(members.count == EtcdProbe.defaultMaxMembers)
            #expect(etcd["members_skipped"] as? Int == 3 + 247 - (EtcdProbe.defaultMaxMembers - 1))
            let reason = try #require(etcd["members_skipped_reason"] as? String)
            #expect(reason == "232 members not probed (limit 16); 3 without an http(s) URL skipped")
            #expect(!members.contains { ($0["endpoint"] as? String)?.hasPrefix("http") == false })
            let asked = Set(peer.requests.compactMap { $0.split(separator: "/").first.flatMap { $0.hasPrefix("m") ? String($0) : nil } })
            #expect(asked.count == EtcdProbe.defaultMaxMembers - 1)

            let text = try await BinaryRun.run("meshtop", ["snapshot", "--etcd", url])
            #expect(text.stdout.contains("232 members not probed (limit 16)"))
        }
        #expect(trap.connections() == 0)
        // The client itself refuses other schemes, whatever hands it a URL.
        for url in ["file:///etc/hostname", "gopher://127.0.0.1:\(trap.port)/_x", "dict://127.0.0.1:\(trap.port)/info"] {
            await #expect(throws: CurlError.self) { try await CurlHTTPClient(baseURL: url).send("GET", "") }
        }
        #expect(trap.connections() == 0)
    }

    @Test func nonFiniteNumbersBecomeNullAndADashAndAnUnwritableOutputFails() async throws {
        let peer = HostilePeer()
        peer.bucketValue = "+Inf"
        try await peer.application().test(.live) { client in
            peer.port = try #require(client.port)
            let sources = ["--prometheus", "http://127.0.0.1:\(peer.port)"]
            let json = try await BinaryRun.run("meshtop", ["snapshot", "--json"] + sources)
            #expect(json.status == 0, "\(json.stderr)")
            let edges = try #require(try json.json()["edges"] as? [[String: Any]])
            #expect(edges.count == 1)
            #expect(edges.first?["rps"] as? Double == 1)
            let text = try await BinaryRun.run("meshtop", ["snapshot"] + sources)
            #expect(text.status == 0)
            let edgeLine = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("default/load") })
            #expect(edgeLine.contains("–") && !edgeLine.lowercased().contains("inf") && !edgeLine.lowercased().contains("nan"))

            let full = try await BinaryRun.run("meshtop", ["snapshot", "--json"] + sources, stdoutPath: "/dev/full")
            #expect(full.status == 1)
            #expect(full.stderr.contains("cannot write the output"))
        }
    }

    @Test func everyAnswerIsCappedInBytes() async throws {
        let peer = HostilePeer()
        peer.promPadding = 3 << 19
        try await peer.application().test(.live) { client in
            peer.port = try #require(client.port)
            let sources = ["--prometheus", "http://127.0.0.1:\(peer.port)"]
            let capped = try await BinaryRun.run("meshtop", ["snapshot", "--json", "--max-answer-size", "1MiB"] + sources)
            let prometheus = try #require((try capped.json()["sources"] as? [String: Any])?["prometheus"] as? [String: Any])
            #expect(prometheus["ok"] as? Bool == false)
            #expect((prometheus["error"] as? String)?.contains("answer larger than 1 MiB (the limit is --max-answer-size)") == true)
            let fits = try await BinaryRun.run("meshtop", ["snapshot", "--json"] + sources)
            #expect((try fits.json()["sources"] as? [String: Any]).flatMap { $0["prometheus"] as? [String: Any] }?["ok"] as? Bool == true)
        }
    }

    @Test func badLoadAndSourceInputIsOneLineAndExit2() async throws {
        let cases: [([String], String)] = [
            (["load", "http://"], "has no host"),
            (["load", "http:///path"], "has no host"),
            (["load", "ftp://127.0.0.1/"], "is not an http:// or https:// URL"),
            (["load", "--rps", "-1", "http://127.0.0.1:1/"], "--rps must be a number from 0.01 to 1000000"),
            (["load", "--rps", "1e-9", "http://127.0.0.1:1/"], "--rps must be a number from 0.01 to 1000000"),
            (["load", "-H", "X-A: b\r\nGET /evil HTTP/1.1", "http://127.0.0.1:1/"], "line break"),
            (["load", "-H", "Bad Name: b", "http://127.0.0.1:1/"], "is not 'Name: value'"),
            (["load", "-X", "GET /evil HTTP/1.1\r\nX:", "http://127.0.0.1:1/"], "-X must be a method name"),
            (["snapshot", "--etcd", "http://127.0.0.1:1", "--etcd-cacert", "/nonexistent/ca.pem"], "--etcd-cacert /nonexistent/ca.pem: no such readable file"),
            (["snapshot", "--max-answer-size", "lots"], "--max-answer-size 'lots' is not a size"),
        ]
        for (arguments, message) in cases {
            let run = try await BinaryRun.run("meshtop", arguments)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
        }
    }
}

/// A listening socket nobody serves: any connection meshtop makes to it waits in the
/// backlog, where a non-blocking accept finds it.
final class ListeningTrap: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw TestFailure("cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Connections that arrived since the last call.
    func connections() -> Int {
        var count = 0
        while case let client = accept(fd, nil, nil), client >= 0 {
            count += 1
            Glibc.close(client)
        }
        return count
    }

    func close() { Glibc.close(fd) }
}
