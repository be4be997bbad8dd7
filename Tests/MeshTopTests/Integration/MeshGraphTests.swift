import Collectors
import Foundation
import TestSupport
import Testing

/// The service graph on the local mesh (real Envoys, etcd, Prometheus): the dashboard's load
/// drawn as the gateway's caller, the gateway's edge to the storage service and the storage
/// service's edge to etcd (which only its source reports) with live figures; a fault at the
/// gateway colours the load's edge and says why; `snapshot --graph` prints the same picture once.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun && TmuxSession.shouldRun, "envoy, etcd, prometheus or tmux is not installed"))
struct MeshGraphTests {
    @Test func theGraphFollowsTheMeshAndAFaultColoursItsEdge() async throws {
        let mesh = try await LocalMesh()
        defer { mesh.stop() }
        #expect(await MeshLogs.put(mesh.gateway, key: "graph") == 201)
        let etcd = try #require(mesh.description.etcd.first)
        let tmux = try TmuxSession(width: 200, height: 40)
        defer { tmux.close() }
        let meshtop = BuiltBinary.url("meshtop").path
        try tmux.type(
            "\(meshtop) --prometheus \(mesh.prometheus) --etcd \(etcd) --interval 1s --load \(mesh.gateway)/storage/graph --rps 20 -c 32; echo EXIT=$?")
        try await tmux.waitFor("the dashboard", within: 30) { $0.contains("┌ Load") }
        try tmux.send("g")
        // The load enters by the gateway; the gateway's edge comes with Prometheus's rates.
        // A loaded machine can push an edge's P99 past the 500 ms threshold, which adds it to
        // the label; the edges are what this test is about, so a P99 may be there or not.
        let rate = #"[0-9.]+/s(?: p99 [0-9.]+ m?s)?"#
        let edge = #"istio-system/istio-ingressgatew… ├─"# + rate + #" plain─+▶│ default/proxy-etcd-storage ├"#
        let etcdEdge = #"│ default/proxy-etcd-storage ├─"# + rate + #" plain─+▶│ etcd-service.default.svc.cluste… │"#
        try await tmux.waitFor("load → gateway → storage → etcd, with rates", within: 60) { screen in
            screen.range(of: #"│ load ├─"# + rate + #"─+▶│ istio-system/istio-ingressgatew"#, options: .regularExpression) != nil
                && screen.range(of: edge, options: .regularExpression) != nil
                && screen.range(of: etcdEdge, options: .regularExpression) != nil
        }
        // Half the requests aborted at the gateway: the load's edge says so; the storage edge,
        // which those requests never reach, stays as it was.
        try await mesh.fault("abort", "50", "503")
        try await tmux.waitFor("the load's edge failing", within: 60) { screen in
            screen.range(of: #"│ load ├─[0-9.]+/s [0-9.]+% err─+▶│"#, options: .regularExpression) != nil
        }
        #expect(tmux.screen.range(of: edge, options: .regularExpression) != nil, "\(tmux.screen)")
        try await mesh.fault("clear")
        // Enter on the storage node: the gateway calls it.
        try tmux.send("Right")
        try tmux.send("Right")
        try tmux.send("Enter")
        try await tmux.waitFor("the storage node's callers", within: 30) { screen in
            screen.contains("Node  default/proxy-etcd-storage") && screen.contains("CALLED BY")
                && screen.range(of: #"istio-system/istio-ingressgateway +[0-9.]+ +[0-9.]+ %"#, options: .regularExpression) != nil
        }
        try tmux.send("q")
        try await tmux.waitFor("meshtop's exit status") { $0.contains("EXIT=0") }

        let once = try await BinaryRun.run("meshtop", ["snapshot", "--prometheus", mesh.prometheus, "--polls", "2", "--graph"])
        #expect(once.status == 0, "\(once.stderr)")
        #expect(once.stdout.hasPrefix("GRAPH  3 nodes · 2 edges\n"), "\(once.stdout)")
        #expect(once.stdout.range(of: edge, options: .regularExpression) != nil, "\(once.stdout)")
        #expect(once.stdout.range(of: etcdEdge, options: .regularExpression) != nil, "\(once.stdout)")
        let json = try await BinaryRun.run("meshtop", ["snapshot", "--prometheus", mesh.prometheus, "--graph", "--json"])
        #expect(json.status == 2 && json.stderr.split(separator: "\n").count == 1, "\(json.stderr)")
    }
}
