import Collectors
import Foundation
import TestSupport
import Testing

/// The telemetry ledger on the local mesh's real Envoys, etcd and Prometheus: `meshtop load`
/// through the gateway, then `snapshot --json --logs … --since` over exactly that run. A
/// clean run balances to the request in both metrics profiles; with the storage sidecar's
/// access log turned off (Envoy's runtime filter, as a Telemetry resource would) its lines
/// are missing on both of its hops and the ledger says so, and `health` warns.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct MeshLedgerTests {
    static let storage = "proxy-etcd-storage.default.svc.cluster.local"
    static let etcd = "etcd-service.default.svc.cluster.local"

    @Test func aCleanRunBalancesAndASidecarWithoutItsLogIsNamed() async throws {
        let mesh = try await LocalMesh()
        defer { mesh.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meshtop-ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let loadLog = directory.appendingPathComponent("load.log").path
        let logs = [loadLog] + mesh.description.accessLogs.values.sorted()

        // Clean: every proxy logs every request.
        let (clean, cleanStart) = try await run(mesh, requests: 60, loadLog: loadLog, logs: logs, lines: 5) {
            $0["balanced"] as? Bool == true
        }
        #expect(clean["balanced"] as? Bool == true, "\(clean)")
        let rows = try Self.rows(clean)
        let load = try #require(rows.first { ($0["hop"] as? String)?.hasPrefix("load → ") == true })
        #expect(load["sent"] as? Int == 60 && load["server_lines"] as? Int == 60)
        for hop in [Self.storage, Self.etcd] {
            let row = try #require(rows.first { $0["hop"] as? String == hop }, "no \(hop) in \(rows)")
            #expect(row["client_lines"] as? Int == 60 && row["server_lines"] as? Int == 60 && row["paired"] as? Int == 60, "\(row)")
            let metrics = try #require(row["metrics"] as? [String: Int])
            // The storage-service's own Istio metrics: inbound as destination, its etcd calls as source.
            #expect(metrics == [hop == Self.storage ? "destination" : "source": 60], "\(hop): \(metrics)")
        }
        // The same run through Envoy's own cluster stats.
        // Its counters are scraped apart from Istio's: they may trail by a scrape, as the istio
        // profile's did above.
        var envoy: [String: Any] = [:]
        try await Tool.waitUntil("Envoy's cluster stats to count the run", within: 30, log: { "\(envoy)" }) {
            envoy = try await snapshot(mesh, logs: logs, since: cleanStart, profile: "envoy")
            return envoy["balanced"] as? Bool == true
        }
        #expect(try Self.rows(envoy).first { $0["hop"] as? String == Self.etcd }?["metrics"] as? [String: Int] == ["envoy": 60])

        // The storage sidecar's access log off: its inbound and its outbound lines are gone.
        _ = try await mesh.fault("logs", "0", "proxy-etcd-storage")
        let (off, offStart) = try await run(mesh, requests: 40, loadLog: loadLog, logs: logs, lines: 3) { ledger in
            (try? Self.rows(ledger).first { $0["hop"] as? String == Self.etcd }?["metrics"] as? [String: Int]) == ["source": 40]
        }
        let offRows = try Self.rows(off)
        let storage = try #require(offRows.first { $0["hop"] as? String == Self.storage })
        #expect(storage["client_lines"] as? Int == 40 && storage["server_lines"] as? Int == 0, "\(offRows)")
        let storageGap = try #require((storage["gaps"] as? [[String: Any]])?.first)
        #expect(storageGap["kind"] as? String == "server_lines_missing" && storageGap["count"] as? Int == 40)
        #expect((storageGap["cause"] as? String)?.contains("access log is off or filtered") == true)
        let etcd = try #require(offRows.first { $0["hop"] as? String == Self.etcd })
        #expect(etcd["client_lines"] as? Int == 0)
        #expect((etcd["gaps"] as? [[String: Any]])?.first?["kind"] as? String == "client_lines_missing")
        // The etcd sidecar's 40 lines are still counted, apart, under the file they came from.
        let apart = try #require(offRows.first { ($0["hop"] as? String)?.hasPrefix("? ") == true })
        #expect(apart["server_lines"] as? Int == 40 && (apart["hop"] as? String)?.contains("etcd-0.log") == true, "\(apart)")

        let health = try await BinaryRun.run(
            "meshtop", ["health", "--prometheus", mesh.prometheus, "--json", "--since", Self.window(offStart)]
                + logs.flatMap { ["--logs", $0] })
        let checks = try #require(try health.json()["checks"] as? [[String: Any]])
        let check = try #require(checks.first { $0["name"] as? String == "telemetry ledger" })
        #expect(check["status"] as? String == "warn", "\(check)")
    }

    /// `meshtop load` of `requests` through the gateway, then the ledger of exactly that run
    /// once every proxy's lines are in (`lines` per request id across the logs) and `settled`
    /// holds: the metrics trail the logs by a scrape. The ledger, with its window under "window".
    private func run(
        _ mesh: LocalMesh, requests: Int, loadLog: String, logs: [String], lines: Int,
        settled: @escaping ([String: Any]) -> Bool
    ) async throws -> (ledger: [String: Any], start: Date) {
        // The counters at the window's start then hold everything before it (the mesh's own
        // start-up calls, the run before).
        try await waitForScrape(mesh)
        let start = Date()
        let loaded = try await BinaryRun.run(
            "meshtop", ["load", mesh.gateway + "/storage/ledger", "-n", "\(requests)", "--rps", "40", "--access-log", loadLog])
        try #require(loaded.status == 0, "\(loaded.stdout)\(loaded.stderr)")
        let ids = Set(
            MeshLogs.text(loadLog).split(separator: "\n").suffix(requests).compactMap { line in
                line.split(separator: "\"").first { $0.count == 36 && $0.filter { $0 == "-" }.count == 4 }.map(String.init)
            })
        try #require(ids.count == requests)
        try await Tool.waitUntil("the run's lines", within: 20) {
            logs.map { MeshLogs.lines(in: $0, naming: ids) }.reduce(0, +) == lines * requests
        }
        var ledger: [String: Any] = [:]
        try await Tool.waitUntil("the metrics to count the run", within: 30, log: { "\(ledger)" }) {
            ledger = try await snapshot(mesh, logs: logs, since: start)
            return settled(ledger)
        }
        return (ledger, start)
    }

    /// Waits for a scrape of every target after this moment.
    private func waitForScrape(_ mesh: LocalMesh) async throws {
        let now = Date().timeIntervalSince1970
        let client = PrometheusClient(url: mesh.prometheus)
        try await Tool.waitUntil("a scrape of every target", within: 20) {
            let answer = try? await client.query("min(timestamp(up))")
            return (answer?.result.series.first?.value ?? 0) > now
        }
    }

    /// The ledger from `start` on.
    private func snapshot(_ mesh: LocalMesh, logs: [String], since start: Date, profile: String = "istio") async throws -> [String: Any] {
        let run = try await BinaryRun.run(
            "meshtop", ["snapshot", "--json", "--prometheus", mesh.prometheus, "--profile", profile, "--since", Self.window(start)]
                + logs.flatMap { ["--logs", $0] })
        try #require(run.status == 0 || run.status == 1, "\(run.stderr)")
        return try #require(try run.json()["ledger"] as? [String: Any])
    }

    /// The window's start as `--since` takes a time: exact, where a duration would count from
    /// the moment the command started.
    static func window(_ start: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: start)
    }

    static func rows(_ ledger: [String: Any]) throws -> [[String: Any]] {
        try #require(ledger["rows"] as? [[String: Any]])
    }
}
