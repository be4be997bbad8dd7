import Foundation
import TestSupport
import Testing

/// `--profile auto` against the local mesh: with storage-service's stand-in Istio metrics it
/// reads istio, without them the proxies' own stats (envoy), and either way the gateway's
/// edge to proxy-etcd-storage is there.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct MeshProfileTests {
    @Test(arguments: [true, false])
    func autoPicksTheProfileTheMeshHas(istioMetrics: Bool) async throws {
        let mesh = try await LocalMesh(istioMetrics: istioMetrics)
        defer { mesh.stop() }
        let expected = istioMetrics ? "istio" : "envoy"
        let destination = istioMetrics ? "default/proxy-etcd-storage" : "proxy-etcd-storage.default.svc.cluster.local"
        var json: [String: Any] = [:]
        // Rates need two scrapes of an increase: requests go on until the edge is there.
        try await Tool.waitUntil("the gateway's edge under profile \(expected)", within: 60, log: { mesh.supervisorErrors }) {
            for _ in 0..<5 { _ = await MeshLogs.send(mesh.gateway + "/storage/missing") }
            let run = try? await BinaryRun.run("meshtop", ["snapshot", "--json", "--prometheus", mesh.prometheus, "--window", "15s"])
            guard let run, run.status == 0,
                let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            else { return false }
            json = object
            let edges = object["edges"] as? [[String: Any]] ?? []
            return edges.contains {
                $0["source"] as? String == "istio-system/istio-ingressgateway" && $0["destination"] as? String == destination
                    && ($0["rps"] as? Double ?? 0) > 0
            }
        }
        let profile = try #require(json["profile"] as? [String: Any], "\(json)")
        #expect(profile["name"] as? String == expected)
        #expect(profile["choice"] as? String == "auto")
        #expect(profile["no_series"] == nil || profile["no_series"] is NSNull)
    }
}
