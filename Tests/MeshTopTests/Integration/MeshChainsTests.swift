import Foundation
import TestSupport
import Testing

/// Requests through the local mesh's real Envoys, paired by meshtop: each one a chain of two
/// hops, the gateway → the storage sidecar (inbound), and the storage sidecar (outbound) →
/// etcd's sidecar, in Istio's TEXT format and in its JSON encoding.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct MeshChainsTests {
    static let requests = 20

    @Test(arguments: [LocalMesh.LogFormat.text, .json])
    func everyRequestThroughTheGatewayIsAChainOfTwoPairedHops(format: LocalMesh.LogFormat) async throws {
        let mesh = try await LocalMesh(prometheus: false, logFormat: format)
        defer { mesh.stop() }
        let gatewayLog = try #require(mesh.description.accessLogs["istio-ingressgateway"])
        let storageLog = try #require(mesh.description.accessLogs["proxy-etcd-storage"])
        let etcdLog = try #require(mesh.description.accessLogs["etcd-0"])

        // PUT k0, GET k0, PUT k1, GET k1 …: each one call from the service to etcd.
        var ids: [String] = []
        for n in 0..<Self.requests {
            let id = UUID().uuidString.lowercased()
            ids.append(id)
            let key = "k\(n / 2)"
            if n % 2 == 0 {
                #expect(await MeshLogs.put(mesh.gateway, key: key, id: id) == 201)
            } else {
                #expect(await MeshLogs.send(mesh.gateway + "/storage/" + key, id: id) == 200)
            }
        }
        let wanted = Set(ids)
        // Each id once at the gateway and at etcd's sidecar, twice at the storage sidecar
        // (its inbound and its outbound line).
        try await Tool.waitUntil("every proxy's lines", within: 20, log: { MeshLogs.text(storageLog) }) {
            MeshLogs.lines(in: gatewayLog, naming: wanted) == Self.requests
                && MeshLogs.lines(in: storageLog, naming: wanted) == 2 * Self.requests
                && MeshLogs.lines(in: etcdLog, naming: wanted) == Self.requests
        }

        let output = try await MeshLogs.read([gatewayLog, storageLog, etcdLog], pairs: true)
        let mine = output.filter { wanted.contains($0["request_id"] as? String ?? "") }
        let pairs = mine.filter { $0["hops"] == nil }
        let chains = mine.compactMap { object -> (String, [[String: Any]])? in
            guard let hops = object["hops"] as? [[String: Any]] else { return nil }
            return (object["request_id"] as? String ?? "", hops)
        }
        #expect(pairs.count == 2 * Self.requests, "\(pairs.count) pairs")
        #expect(chains.count == Self.requests, "\(chains.count) chains")
        #expect(Set(chains.map(\.0)) == wanted)

        for pair in pairs { try expectOverhead(pair) }
        for (id, hops) in chains {
            #expect(hops.count == 2, "\(id): \(hops.count) hops")
            guard hops.count == 2 else { continue }
            // Ordered by start time: the gateway's hop first.
            try expectHop(hops[0], client: "istio-ingressgateway.log", server: "proxy-etcd-storage.log",
                          cluster: "outbound|9080||proxy-etcd-storage.default.svc.cluster.local")
            try expectHop(hops[1], client: "proxy-etcd-storage.log", server: "etcd-0.log",
                          cluster: "outbound|2379||etcd-service.default.svc.cluster.local")
            for hop in hops {
                #expect(hop["request_id"] as? String == id)
                try expectOverhead(hop)
            }
            // The same id's pairs, printed as they completed, are these hops.
            let printed = pairs.filter { $0["request_id"] as? String == id }
            #expect(printed.count == 2)
            #expect(Set(printed.compactMap { ($0["client"] as? [String: Any])?["source"] as? String })
                == Set(hops.compactMap { ($0["client"] as? [String: Any])?["source"] as? String }))
        }
    }

    /// `overhead_ms == client.duration - server.duration`.
    private func expectOverhead(_ pair: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let client = try #require(pair["client"] as? [String: Any], sourceLocation: sourceLocation)
        let server = try #require(pair["server"] as? [String: Any], sourceLocation: sourceLocation)
        let clientDuration = try #require(client["duration"] as? Int, sourceLocation: sourceLocation)
        let serverDuration = try #require(server["duration"] as? Int, sourceLocation: sourceLocation)
        #expect(pair["overhead_ms"] as? Int == clientDuration - serverDuration, sourceLocation: sourceLocation)
        #expect(clientDuration >= serverDuration, "a client waits at least as long as its server", sourceLocation: sourceLocation)
    }

    /// One hop: which proxy logged each side, and the cluster the client side called.
    private func expectHop(
        _ hop: [String: Any], client clientLog: String, server serverLog: String, cluster: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let client = try #require(hop["client"] as? [String: Any], sourceLocation: sourceLocation)
        let server = try #require(hop["server"] as? [String: Any], sourceLocation: sourceLocation)
        #expect((client["source"] as? String)?.hasSuffix("/" + clientLog) == true, "\(client["source"] ?? "nil")",
                sourceLocation: sourceLocation)
        #expect((server["source"] as? String)?.hasSuffix("/" + serverLog) == true, "\(server["source"] ?? "nil")",
                sourceLocation: sourceLocation)
        #expect(client["direction"] as? String == "outbound", sourceLocation: sourceLocation)
        #expect(server["direction"] as? String == "inbound", sourceLocation: sourceLocation)
        #expect(client["upstream_cluster"] as? String == cluster, sourceLocation: sourceLocation)
        #expect(client["authority"] as? String == server["authority"] as? String, sourceLocation: sourceLocation)
        #expect(client["response_code"] as? Int == server["response_code"] as? Int, sourceLocation: sourceLocation)
    }
}
