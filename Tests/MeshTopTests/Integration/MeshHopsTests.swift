import Foundation
import TestSupport
import Testing

/// `meshtop logs --hops` on the local mesh's real Envoys: the per-hop table of a clean run,
/// then of a run with the gateway's fault filter holding every request 60 ms. The delay must
/// land on the gateway's own time and nowhere else.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct MeshHopsTests {
    static let requests = 30
    static let delay = 60
    static let gatewayHop = "outbound|9080||proxy-etcd-storage.default.svc.cluster.local"
    static let etcdHop = "outbound|2379||etcd-service.default.svc.cluster.local"
    static let parts = ["own_ms", "client_proxy_ms", "network_ms", "server_proxy_ms", "upstream_ms"]

    @Test func aDelayAtTheGatewayIsTheGatewaysOwnTime() async throws {
        let mesh = try await LocalMesh(prometheus: false)
        defer { mesh.stop() }
        let logs = mesh.description.accessLogs.values.sorted()
        let put = UUID().uuidString.lowercased()
        #expect(await MeshLogs.put(mesh.gateway, key: "hops", id: put) == 201)
        // The PUT's lines are in before the first run's bytes are counted from.
        try await Tool.waitUntil("the PUT's lines", within: 20) {
            logs.map { MeshLogs.lines(in: $0, naming: [put]) }.reduce(0, +) == 4
        }

        let clean = try await hops(mesh, logs: logs, label: "clean")
        _ = try await mesh.fault("delay", "100", "\(Self.delay)")
        let delayed = try await hops(mesh, logs: logs, label: "delayed")

        let cleanGateway = try #require(clean[Self.gatewayHop])
        let gateway = try #require(delayed[Self.gatewayHop])
        let etcd = try #require(delayed[Self.etcdHop])
        #expect(gateway["depth"] as? Int == 0 && etcd["depth"] as? Int == 1)
        // The gateway's own time: its duration less its upstream's, where Envoy's fault filter holds a request.
        let held = try p50(gateway, "client_proxy_ms")
        #expect(held >= Self.delay && held <= Self.delay + 30, "gateway's own time \(held) ms with a \(Self.delay) ms delay")
        #expect(try p50(cleanGateway, "client_proxy_ms") < 15)
        // Nowhere else: every other part of every hop stays near the clean run's.
        for (name, hop) in delayed {
            let before = try #require(clean[name], "hop \(name) only in the delayed run")
            for part in Self.parts where !(name == Self.gatewayHop && (part == "client_proxy_ms" || part == "own_ms")) {
                let was = try p99(before, part)
                let now = try p50(hop, part)
                #expect(now <= was + 25, "\(name) \(part): p50 \(now) ms delayed, p99 \(was) ms clean")
            }
        }
        // The slowest requests' time is mostly the gateway's.
        let share = try #require(gateway["share_of_p99"] as? Double)
        #expect(share > 0.6, "gateway's share of p99 \(share)")

        let text = try await BinaryRun.run("meshtop", ["logs"] + logs + ["--no-follow", "--hops"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("OWN p50/p90/p99"))
        #expect(text.stdout.contains("  " + Self.etcdHop), "the etcd hop indented under the gateway's:\n\(text.stdout)")
    }

    /// Sends the requests, waits for their lines, and reads the table of only those lines
    /// (the logs' new bytes, copied apart): one JSON object per hop, by hop name.
    private func hops(_ mesh: LocalMesh, logs: [String], label: String) async throws -> [String: [String: Any]] {
        let offsets = logs.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 0 }
        var ids: Set<String> = []
        for _ in 0..<Self.requests {
            let id = UUID().uuidString.lowercased()
            ids.insert(id)
            #expect(await MeshLogs.send(mesh.gateway + "/storage/hops", id: id) == 200)
        }
        // Each id once at the gateway, twice at the storage sidecar, once at an etcd sidecar.
        try await Tool.waitUntil("the \(label) requests' lines", within: 20) {
            logs.map { MeshLogs.lines(in: $0, naming: ids) }.reduce(0, +) == 4 * Self.requests
        }
        let copies = try zip(logs, offsets).map { log, offset in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: log)).dropFirst(offset)
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("hops-\(label)-\(UUID().uuidString).log")
            try bytes.write(to: copy)
            return copy.path
        }
        defer { for copy in copies { try? FileManager.default.removeItem(atPath: copy) } }
        let run = try await BinaryRun.run("meshtop", ["logs"] + copies + ["--no-follow", "--hops", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        var byName: [String: [String: Any]] = [:]
        for line in run.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            byName[try #require(object["hop"] as? String)] = object
        }
        #expect(byName[Self.gatewayHop]?["requests"] as? Int == Self.requests, "\(label): \(run.stdout)")
        #expect(byName[Self.etcdHop]?["requests"] as? Int == Self.requests, "\(label): \(run.stdout)")
        return byName
    }

    private func p50(_ hop: [String: Any], _ part: String) throws -> Int { try percentile(hop, part, "p50") }
    private func p99(_ hop: [String: Any], _ part: String) throws -> Int { try percentile(hop, part, "p99") }

    private func percentile(_ hop: [String: Any], _ part: String, _ which: String) throws -> Int {
        try #require((hop[part] as? [String: Any])?[which] as? Int, "\(part).\(which) of \(hop)")
    }
}
