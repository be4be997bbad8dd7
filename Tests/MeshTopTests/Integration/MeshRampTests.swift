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

        // Far from any capacity, with an SLO far above what a busy machine adds (other suites run
        // beside this one on two cores and have pushed a clean step's p99 past 1 s).
        let clean = try await BinaryRun.run("meshtop", ["load", url, "-c", "4", "--ramp", "10:30:10:1s", "--slo", "p99<5s,errors<1%", "--json"])
        #expect(clean.status == 0, "\(clean.stdout) \(clean.stderr)")
        let held = try clean.json()
        #expect(held["held_to_target"] as? Bool == true)
        #expect((held["steps"] as? [[String: Any]])?.map { $0["target_rps"] as? Double } == [10, 20, 30])
        #expect(held["knee_step"] is NSNull, "\(clean.stdout)")

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

    /// `--logs k8s:…`: the proxies' lines come through `kubectl logs -f`, as from a cluster.
    /// No Kubernetes API server runs here: a fake kubectl lists three recorded pods and follows
    /// each pod's log, which is the local mesh's real proxy's log.
    @Test func aRampFollowsThePodsLogs() async throws {
        let mesh = try await LocalMesh(prometheus: false)
        defer { mesh.stop() }
        #expect(await MeshLogs.put(mesh.gateway, key: "ramp") == 201)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("ramp-kube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("logs"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let pods = mesh.description.accessLogs.sorted { $0.key < $1.key }
        for (pod, log) in pods {
            try FileManager.default.createSymbolicLink(
                atPath: work.appendingPathComponent("logs/\(pod).log").path, withDestinationPath: log)
        }
        let items = pods.map { pod, _ in
            #"{"metadata":{"name":"\#(pod)","namespace":"default","labels":{"app":"mesh"}},"#
                + #""spec":{"containers":[{"name":"istio-proxy"}]},"status":{"phase":"Running","podIP":"10.1.0.9"}}"#
        }
        try Data(#"{"kind":"List","items":[\#(items.joined(separator: ","))]}"#.utf8).write(to: work.appendingPathComponent("pods-1.json"))
        var environment = ProcessInfo.processInfo.environment
        let fake = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fake-kubectl")
        environment["PATH"] = fake.path + ":" + (environment["PATH"] ?? "/usr/bin")
        environment["FAKE_KUBE_DIR"] = work.path

        let run = try await BinaryRun.run(
            "meshtop", ["load", mesh.gateway + "/storage/ramp", "--ramp", "10:20:10:2s", "--logs", "k8s:default/app=mesh", "--json"],
            environment: environment)
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        let steps = try #require(try run.json()["steps"] as? [[String: Any]])
        try #require(steps.count == 2)
        for step in steps {
            #expect(step["logged_requests"] as? Int == step["requests"] as? Int, "\(step)")
            let ledger = try #require(step["ledger"] as? [String: Any])
            #expect(ledger["balanced"] as? Bool == true, "\(ledger)")
            let hops = try #require(step["hops"] as? [[String: Any]])
            #expect(hops.map { $0["depth"] as? Int } == [0, 1, 2], "the load's, the gateway's and etcd's hop: \(hops)")
        }
        // Each pod's log was followed, by pod name.
        let calls = try String(contentsOf: work.appendingPathComponent("calls.log"), encoding: .utf8)
        for (pod, _) in pods { #expect(calls.contains("logs") && calls.contains(pod), "\(calls)") }
    }
}
