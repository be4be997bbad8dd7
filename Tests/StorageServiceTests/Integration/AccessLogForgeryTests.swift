import AsyncHTTPClient
import Collectors
import Hummingbird
import Foundation
import Testing
import TestSupport

@testable import StorageService

/// A client-chosen x-request-id cannot forge the access log: an id with quotes,
/// backslashes, spaces or control bytes, or one too long, is replaced by a fresh UUID at
/// the door, and the service's lines, read back by meshtop's parser, carry that id.
@Suite(.serialized, .enabled(if: EtcdServer.shouldRun, "etcd is not installed"))
struct AccessLogForgeryTests {
    @Test(arguments: [#"id" "evil"#, #"id\" \"evil"#, "id evil", "id\tevil", String(repeating: "a", count: 129)])
    func aForgedRequestIDIsReplacedAndNeverReadBackAsAnother(_ forged: String) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("forgery-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let echoed: String
        do {
            echoed = try await buildApplication(ServiceHarness.config(etcd: etcd, api: .v3, accessLog: path)).test(.live) {
                client in
                let reply = try await ServiceHarness.call(
                    http, port: try #require(client.port), .PUT, "/storage", body: ServiceHarness.putBody("forged", "x"),
                    headers: [("x-request-id", forged)])
                #expect(reply.status == 201)
                return try #require(reply.headers["x-request-id"].first)
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()

        #expect(echoed != forged)
        #expect(UUID(uuidString: echoed) != nil, "\(echoed)")
        let parser = AccessLogParser(format: IstioFormats.istio)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let records = lines.compactMap { parser.parse(String($0)) }
        #expect(records.count == lines.count, "a line did not parse: \(lines)")
        let mine = records.filter { $0.path == "/storage" || $0.path == "/v3/kv/put" }
        #expect(mine.count == 2, "\(lines)")
        for record in mine {
            #expect(record.requestID == echoed, "\(record)")
            #expect(record.requestID != "evil")
            #expect(record.authority != "evil")
        }
    }

    @Test func aPlainRequestIDIsKept() {
        var fields = HTTPFields()
        for id in ["834ed8c3-e8e7-43b4-96bb-d0652543a8be", "my-id-1", "00f067aa0ba902b7", String(repeating: "a", count: 128)] {
            fields[MeshHeaders.requestIDName] = id
            #expect(MeshHeaders(from: fields).requestID == id)
        }
        for id in [#"a"b"#, #"a\b"#, "a b", "a\u{1B}b", "ä", String(repeating: "a", count: 129)] {
            fields[MeshHeaders.requestIDName] = id
            #expect(MeshHeaders(from: fields).requestID != id, "\(id)")
        }
    }
}
