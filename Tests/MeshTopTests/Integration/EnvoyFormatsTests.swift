import Collectors
import Foundation
import TestSupport
import Testing

/// Every TEXT format meshtop names, and Istio's JSON encoding, read back from lines a real
/// Envoy wrote: one gateway with one access logger per format, so each request is in
/// every file, and Envoy's JSON logger says what each field held.
@Suite(.serialized, .enabled(if: EnvoyProxy.shouldRun, "envoy is not installed"))
struct EnvoyFormatsTests {
    /// Istio's `accessLogEncoding: JSON` keys and the operators behind them (1.23+), as the
    /// local mesh gives them to its proxies: one definition (MeshFormatsTests checks it).
    static func istioJSON() async throws -> [String: String] {
        let printed = try await LocalMesh.printFormat(.json)
        return try #require(try JSONSerialization.jsonObject(with: Data(printed.utf8)) as? [String: String], "\(printed)")
    }

    private func records(_ path: String, format: String) async throws -> [[String: Any]] {
        let run = try await BinaryRun.run("meshtop", ["logs", "--no-follow", "--json", "--format", format, path])
        #expect(run.status == 0, "\(format): \(run.stderr)")
        return try run.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    private func lineCount(_ path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func everyNamedFormatReadsBackWhatARealEnvoyWrote() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name + ".log").path }
        let service = try await ServiceProcess(etcd: "http://127.0.0.1:1", arguments: ["--etcd-api", "memory"])
        defer { service.stop() }
        let logs = IstioFormats.named.map { EnvoyProxy.AccessLog.text(path: path($0.name), format: $0.source) }
            + [.json(path: path("json"), fields: try await Self.istioJSON())]
        let envoy = try await EnvoyProxy(
            upstreamPort: service.port, cluster: "outbound|9080||storage.default.svc.cluster.local", accessLogs: logs)
        defer { envoy.stop() }

        // A write, a read, a miss the service answers, a path no route takes (Envoy's own
        // 404 NR), and a user agent with a quote in it (Envoy writes it unescaped).
        let requests: [CurlRequest] = [
            CurlRequest(url: envoy.url + "/storage", method: "PUT", body: Array(#"{"key":"k1","value":"v1"}"#.utf8)),
            CurlRequest(url: envoy.url + "/storage/k1"),
            CurlRequest(url: envoy.url + "/storage/missing"),
            CurlRequest(url: envoy.url + "/no/route"),
            CurlRequest(url: envoy.url + "/storage/k1", headers: [("User-Agent", #"probe "quoted" 1.0"#), ("X-Forwarded-For", "10.1.2.3")]),
        ]
        var statuses: [Int] = []
        for request in requests { statuses.append(try await OffPool.run { try CurlEasy().perform(request).status }) }
        #expect(statuses == [201, 200, 404, 404, 200])
        try await Tool.waitUntil("every logger's lines", within: 10) {
            logs.allSatisfy { log in
                switch log {
                case .text(let file, _), .json(let file, _): lineCount(file) == requests.count
                }
            }
        }

        let truth = try await records(path("json"), format: "json")
        #expect(truth.count == requests.count)
        #expect(truth.contains { $0["response_flags"] as? String == "NR" && $0["response_code"] as? Int == 404 })
        #expect(truth.contains { $0["user_agent"] as? String == #"probe "quoted" 1.0"# })
        let byID = Dictionary(uniqueKeysWithValues: truth.compactMap { record in (record["request_id"] as? String).map { ($0, record) } })
        #expect(byID.count == requests.count)
        for (name, source) in IstioFormats.named {
            let format = try EnvoyFormat(source)
            let carried = Set(format.tokens.compactMap { token -> String? in
                if case .command(let op) = token { AccessLogField(operator: op)?.rawValue } else { nil }
            })
            let read = try await records(path(name), format: name)
            #expect(read.count == requests.count, "\(name)")
            for record in read {
                let id = try #require(record["request_id"] as? String, "\(name)")
                let expected = try #require(byID[id], "\(name): \(id)")
                // Every field the format carries reads back as Envoy's JSON logger wrote it.
                for key in carried.sorted() {
                    #expect(
                        "\(record[key] ?? "absent")" == "\(expected[key] ?? "absent")",
                        "\(name) \(key): \(record[key] ?? "absent") != \(expected[key] ?? "absent")")
                }
            }
        }
    }
}
