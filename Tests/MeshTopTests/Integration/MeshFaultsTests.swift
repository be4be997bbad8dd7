import Foundation
import TestSupport
import Testing

/// Envoy's response flags from real faults in the local mesh (`mesh.py fault`, fault.sh's
/// switches), each read back by `meshtop logs --json` from the proxy that wrote it: NR (no
/// route at the gateway), FI and DI (the gateway's fault filter), UT (etcd frozen behind a
/// 1 s route timeout), UO (the storage sidecar's circuit breaker), and with etcd killed UF
/// (etcd's sidecar cannot connect), URX (the storage sidecar's retries run out) and UH (outlier
/// detection ejected the only host). One mesh, the faults in turn, each cleared before the next.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct MeshFaultsTests {
    static let etcdCluster = "outbound|2379||etcd-service.default.svc.cluster.local"

    // The limit counts the wait for the one mesh slot (`LocalMesh`), behind every other mesh
    // suite of the run: its own waits are bounded on their own.
    @Test(.timeLimit(.minutes(12))) func everyResponseFlagFromARealFault() async throws {
        let mesh = try await LocalMesh(prometheus: false)
        defer { mesh.stop() }
        let gatewayLog = try #require(mesh.description.accessLogs["istio-ingressgateway"])
        let storageLog = try #require(mesh.description.accessLogs["proxy-etcd-storage"])
        let etcdLog = try #require(mesh.description.accessLogs["etcd-0"])
        let key = mesh.gateway + "/storage/k"
        #expect(await MeshLogs.put(mesh.gateway, key: "k") == 201)

        // NR: a path the gateway has no route for; Envoy answers 404 itself.
        let nr = UUID().uuidString.lowercased()
        #expect(await MeshLogs.send(mesh.gateway + "/no/route", id: nr) == 404)
        try await expectFlag("NR", id: nr, code: 404, in: gatewayLog)

        // FI: the gateway aborts every request with 503.
        try await mesh.fault("abort", "100")
        let fi = UUID().uuidString.lowercased()
        #expect(await MeshLogs.send(key, id: fi) == 503)
        try await mesh.fault("clear")
        try await expectFlag("FI", id: fi, code: 503, in: gatewayLog)

        // DI: the gateway delays every request by 50 ms, then passes it on.
        try await mesh.fault("delay", "100", "50")
        let di = UUID().uuidString.lowercased()
        #expect(await MeshLogs.send(key, id: di) == 200)
        try await mesh.fault("clear")
        let delayed = try await expectFlag("DI", id: di, code: 200, in: gatewayLog)
        #expect((delayed["duration"] as? Int ?? 0) >= 50)

        // UT: etcd frozen (SIGSTOP); the storage sidecar's 1 s route timeout answers 504.
        try await mesh.fault("etcd", "pause")
        let ut = UUID().uuidString.lowercased()
        let frozen = await MeshLogs.send(key, id: ut)
        try await mesh.fault("etcd", "resume")
        #expect(frozen >= 500, "the service answered \(frozen) with etcd frozen")
        let timedOut = try await expectFlag("UT", id: ut, code: 504, in: storageLog)
        #expect(timedOut["upstream_cluster"] as? String == Self.etcdCluster)
        try await waitUntilServed(key, mesh: mesh)

        // UO: one connection and one pending request to etcd; a burst overflows the rest.
        try await mesh.fault("overflow")
        var overflowed: [[String: Any]] = []
        let storageTail = { String(MeshLogs.text(storageLog).suffix(3_000)) }
        try await Tool.waitUntil("a UO line at the storage sidecar", within: 60, log: storageTail) {
            let run = try await BinaryRun.run("meshtop", ["load", key, "-c", "30", "-n", "150", "--json"])
            guard run.status == 0 else { throw TestFailure("meshtop load: \(run.stderr)") }
            overflowed = try await MeshLogs.read([storageLog]).filter { MeshLogs.flags($0).contains("UO") }
            return !overflowed.isEmpty
        }
        try await mesh.fault("clear")
        #expect(overflowed.allSatisfy { $0["response_code"] as? Int == 503 && $0["upstream_cluster"] as? String == Self.etcdCluster })
        #expect(overflowed.allSatisfy { $0["direction"] as? String == "outbound" })
        try await waitUntilServed(key, mesh: mesh)

        // etcd killed: its sidecar cannot connect (UF); the storage sidecar retries and gives up
        // (URX); after five 5xx in a row outlier detection ejects etcd's only host (UH).
        try await mesh.fault("etcd", "stop")
        var sent: [String] = []
        var records: [[String: Any]] = []
        try await Tool.waitUntil("UH at the storage sidecar", within: 40, log: storageTail) {
            let id = UUID().uuidString.lowercased()
            sent.append(id)
            let status = await MeshLogs.send(key, id: id)
            #expect(status >= 500, "etcd down, the service answered \(status)")
            let wanted = Set(sent)
            records = try await MeshLogs.read([storageLog, etcdLog]).filter { wanted.contains($0["request_id"] as? String ?? "") }
            return records.contains { MeshLogs.flags($0).contains("UH") }
        }
        let unreachable = records.filter { MeshLogs.flags($0).contains("UF") }
        #expect(!unreachable.isEmpty, "no UF line at etcd's sidecar")
        #expect(unreachable.allSatisfy {
            ($0["source"] as? String)?.hasSuffix("/etcd-0.log") == true && $0["direction"] as? String == "inbound"
                && $0["response_code"] as? Int == 503
        })
        let retried = records.filter { MeshLogs.flags($0).contains("URX") }
        #expect(!retried.isEmpty, "no URX line at the storage sidecar")
        let ejected = records.filter { MeshLogs.flags($0).contains("UH") }
        for record in retried + ejected {
            #expect((record["source"] as? String)?.hasSuffix("/proxy-etcd-storage.log") == true)
            #expect(record["upstream_cluster"] as? String == Self.etcdCluster)
            #expect(record["response_code"] as? Int == 503)
        }

        // etcd back: once outlier detection lets the host in again, requests are served.
        try await mesh.fault("etcd", "start")
        try await waitUntilServed(key, mesh: mesh, within: 40)
        #expect(mesh.isRunning, "\(mesh.supervisorErrors)")
    }

    /// The record meshtop read for `id` from `log`, checked for `flag` and `code`.
    @discardableResult
    private func expectFlag(
        _ flag: String, id: String, code: Int, in log: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Any] {
        try await Tool.waitUntil("\(flag): the line of \(id) in \(log)", within: 10, log: { MeshLogs.text(log) }) {
            MeshLogs.lines(in: log, naming: [id]) > 0
        }
        let records = try await MeshLogs.read([log]).filter { $0["request_id"] as? String == id }
        let record = try #require(
            records.first { MeshLogs.flags($0).contains(flag) }, "\(flag): \(records)", sourceLocation: sourceLocation)
        #expect(record["response_code"] as? Int == code, "\(flag): \(record)", sourceLocation: sourceLocation)
        return record
    }

    /// Until a GET through the gateway is answered 200 again.
    private func waitUntilServed(_ url: String, mesh: LocalMesh, within seconds: TimeInterval = 20) async throws {
        try await Tool.waitUntil("\(url) served again", within: seconds, log: { mesh.supervisorErrors }) {
            await MeshLogs.send(url) == 200
        }
    }
}
