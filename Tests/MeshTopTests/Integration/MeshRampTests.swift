import Foundation
import TestSupport
import Testing

/// `meshtop load --ramp --slo` through the local mesh's real gateway: a clean ramp holds its
/// SLO (exit 0); with the gateway's fault filter holding each request 200 ms and two
/// connections (at most 10 req/s), the ramp breaks p99 at the first step past that
/// capacity, says so, and exits 1. The steps are far from the capacity on either side (2 and
/// 40 req/s) and the SLO far from the delay (1 s), so a busy machine, whose proxies and
/// service can add a few hundred milliseconds, moves no step across it.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct MeshRampTests {
    static let delay = 200
    @Test func theKneeIsWhereTheGatewaysCapacityEnds() async throws {
        let mesh = try await LocalMesh(prometheus: false)
        defer { mesh.stop() }
        #expect(await MeshLogs.put(mesh.gateway, key: "ramp") == 201)
        let url = mesh.gateway + "/storage/ramp"

        let clean = try await BinaryRun.run("meshtop", ["load", url, "-c", "4", "--ramp", "10:30:10:1s", "--slo", "p99<1s,errors<1%", "--json"])
        #expect(clean.status == 0, "\(clean.stdout) \(clean.stderr)")
        let held = try clean.json()
        #expect(held["held_to_target"] as? Bool == true)
        #expect((held["steps"] as? [[String: Any]])?.map { $0["target_rps"] as? Double } == [10, 20, 30])
        #expect(held["knee_step"] is NSNull)

        _ = try await mesh.fault("delay", "100", "\(Self.delay)")
        // Steps of 2 and 40 req/s on two connections held 200 ms each: 2 fits five times over,
        // 40 queues for the whole step (request i waits about 75 i ms: 2 s by the 30th).
        // With the proxies' logs, each step's requests hop by hop.
        let logs = mesh.description.accessLogs.values.sorted().flatMap { ["--logs", $0] }
        let run = try await BinaryRun.run("meshtop", ["load", url, "-c", "2", "--ramp", "2:40:38:3s", "--slo", "p99<1s", "--json"] + logs)
        #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
        let broke = try run.json()
        #expect(broke["held_to_target"] as? Bool == false)
        #expect(broke["knee_step"] as? Int == 2, "\(run.stdout)")
        #expect(broke["knee_rps"] as? Double == 40)
        let steps = try #require(broke["steps"] as? [[String: Any]])
        try #require(steps.count == 2, "the ramp stops at the knee: \(run.stdout)")
        // Below the knee the delay is the latency; at it, the queue.
        let p50 = try #require((steps[0]["latency_ms"] as? [String: Any])?["p50"] as? Double)
        #expect(p50 >= Double(Self.delay) && p50 < 1_000, "\(steps[0])")
        #expect((steps[1]["broken"] as? [String])?.first?.hasPrefix("p99 ") == true, "\(steps[1])")
        // Every request of a step is in its logs: the load's hop to the gateway, holding the
        // gateway's hop with the delay, holding an etcd call; what grew at the knee is the
        // load's wait for one of its two connections (its own time on its hop), not any proxy.
        let loadHop = "load → " + (try #require(URL(string: url)?.host).appending(":\(try #require(URL(string: url)?.port))"))
        var queueP99: [Int] = []
        for step in steps {
            #expect(step["logged_requests"] as? Int == step["requests"] as? Int, "\(step)")
            // The step's ledger: the load's count, the gateway's lines and both sidecars' agree.
            let ledger = try #require(step["ledger"] as? [String: Any])
            #expect(ledger["balanced"] as? Bool == true, "\(ledger)")
            let hops = try #require(step["hops"] as? [[String: Any]])
            let load = try #require(hops.first { $0["hop"] as? String == loadHop && $0["depth"] as? Int == 0 }, "\(hops)")
            #expect(load["requests"] as? Int == step["requests"] as? Int, "\(load)")
            #expect(load["server_proxy_ms"] is NSNull, "the gateway's own time is its own hop's: \(load)")
            queueP99.append(try #require((load["client_proxy_ms"] as? [String: Any])?["p99"] as? Int))
            let gateway = try #require(hops.first { $0["hop"] as? String == MeshHopsTests.gatewayHop && $0["depth"] as? Int == 1 })
            let etcd = try #require(hops.first { $0["hop"] as? String == MeshHopsTests.etcdHop && $0["depth"] as? Int == 2 })
            let gatewayOwn = try #require((gateway["own_ms"] as? [String: Any])?["p50"] as? Int)
            let etcdOwn = try #require((etcd["own_ms"] as? [String: Any])?["p99"] as? Int)
            #expect(gatewayOwn >= Self.delay && gatewayOwn < Self.delay + 500, "\(gateway)")
            #expect(etcdOwn < Self.delay, "\(etcd)")
        }
        // 2 req/s on two connections never waits; 40 waits seconds.
        #expect(queueP99.count == 2 && queueP99[0] < Self.delay && queueP99[1] > 1_000, "\(queueP99)")
        #expect(broke["broke_hop"] as? String == loadHop, "\(run.stdout)")

        let text = try await BinaryRun.run("meshtop", ["load", url, "-c", "2", "--ramp", "40:40:10:3s", "--slo", "p99<1s"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("Knee: 40.0 req/s (step 1): p99 "), "\(text.stdout)")
        #expect(text.stdout.contains("no step held"))

        let usage = try await BinaryRun.run("meshtop", ["load", url, "--ramp", "10:70:20:2s", "--rps", "5"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--ramp sets the rate"))
    }
}
