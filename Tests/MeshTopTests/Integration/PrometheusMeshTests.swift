import Collectors
import Foundation
import TestSupport
import Testing

/// Real Prometheus 2.42 scraping a storage-service that exports Istio's metrics, under load:
/// the local mesh without its proxies (the service calls etcd itself, so etcd stopping is the
/// service's own 503), Prometheus scraping the service and etcd.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "prometheus or etcd is not installed"))
struct PrometheusMeshTests {
    /// GETs and PUTs against the service until cancelled.
    private func load(_ url: String) -> Task<Void, Never> {
        Task.detached {
            var n = 0
            while !Task.isCancelled {
                n += 1
                let key = "k\(n % 20)"
                let body = Array(#"{"key":"\#(key)","value":"v"}"#.utf8)
                _ = try? await OffPool.run {
                    let easy = try CurlEasy()
                    _ = try easy.perform(CurlRequest(url: url + "/storage", method: "PUT", body: body))
                    return try easy.perform(CurlRequest(url: url + "/storage/" + key))
                }
            }
        }
    }

    @Test func edgesUnderLoadFailuresAndFreshness() async throws {
        let mesh = try await LocalMesh(proxies: false)
        defer { mesh.stop() }
        let prometheusLog = try #require(mesh.description.processes["prometheus"]?.log)
        let logTail = { String(MeshLogs.text(prometheusLog).suffix(2_000)) }
        // The service and etcd, one target each.
        let targetsUp = "2/2 targets up"
        let traffic = load(mesh.description.service)
        defer { traffic.cancel() }

        var config = PollerConfig()
        config.prometheus = PrometheusClient(url: mesh.prometheus)
        config.queries = IstioQueries(window: "5s")
        config.interval = .milliseconds(500)
        let poller = Poller(config)
        var edge: EdgeStats?
        try await Tool.waitUntil("an edge with traffic", within: 40, log: logTail) {
            await poller.pollOnce()
            let snapshot = await poller.snapshot()
            edge = snapshot.edges.first { $0.key.destinationWorkload == "proxy-etcd-storage" && $0.rps > 0 }
            // On a busy machine one 1 s scrape can miss its timeout: wait for the target to be up too.
            // The GETs' 200s are a series of their own, a scrape younger than the PUTs' 201s.
            return edge?.p99 != nil && (edge?.codes["200"] ?? 0) > 0 && snapshot.health.first { $0.name == "scrape targets" }?.message == targetsUp
        }
        let busy = try #require(edge)
        #expect(busy.key.destination == "default/proxy-etcd-storage")
        #expect(busy.key.destinationService == "proxy-etcd-storage.default.svc.cluster.local")
        #expect(busy.successRate == 1)
        #expect((busy.p50 ?? -1) >= 0 && (busy.p99 ?? -1) >= (busy.p50 ?? 0))
        #expect(busy.codes["200"] ?? 0 > 0)
        let snapshot = await poller.snapshot()
        #expect(snapshot.backends[.prometheus]?.ok == true)
        #expect(snapshot.health.first { $0.name == "scrape targets" }?.message == targetsUp)
        #expect(snapshot.health.first { $0.name == "mesh success rate" }?.status == .ok)

        // The percentiles computed here equal Prometheus's own histogram_quantile at one instant,
        // a few seconds back: a scrape started before "now" may still be appended between the
        // queries, and would change the later answers.
        // The edge is young: until its window holds two scrapes at that instant, ask again.
        let client = PrometheusClient(url: mesh.prometheus)
        var instant = Date()
        var found: EdgeStats?
        try await Tool.waitUntil("the edge with percentiles 3 s back", within: 30, log: logTail) {
            instant = Date().addingTimeInterval(-3)
            let buckets = try await client.query(config.queries.promql("buckets"), at: instant)
            let edges = IstioEdges.edges(from: [
                "traffic": try await client.query(config.queries.promql("traffic"), at: instant), "buckets": buckets,
            ])
            found = edges.first { $0.key == busy.key && $0.p99 != nil }
            return found != nil
        }
        let local = try #require(found)
        for (q, mine) in [(0.5, local.p50), (0.9, local.p90), (0.99, local.p99)] {
            let promql = "histogram_quantile(\(q), \(config.queries.promql("buckets")))"
            let theirs = try await client.query(promql, at: instant).result.series.first { EdgeKey(labels: $0.labels) == busy.key }?.value
            #expect(abs((mine ?? -1) - (theirs ?? -2)) < 1e-9, "q=\(q): \(String(describing: mine)) vs \(String(describing: theirs))")
        }

        // The sparklines' history, back-filled from query_range: one point per second.
        let polled = await poller.snapshot().history.series[busy.key]?.count ?? 0
        await poller.backfill(span: .seconds(20))
        let past = try #require(await poller.snapshot().history.series[busy.key])
        #expect(past.count > polled)
        #expect(past.contains { ($0.rps ?? 0) > 0 })
        #expect(zip(past, past.dropFirst()).allSatisfy { $0.time < $1.time })

        // etcd stops under load: the service answers 503 and the success rate drops.
        try await mesh.fault("etcd", "stop")
        var failing: EdgeStats?
        try await Tool.waitUntil("the success rate to drop", within: 40) {
            await poller.pollOnce()
            failing = await poller.snapshot().edges.first { $0.key.destinationWorkload == "proxy-etcd-storage" }
            return (failing?.successRate ?? 1) < 1
        }
        #expect(failing?.codes["503"] ?? 0 > 0)
        #expect(await poller.snapshot().health.first { $0.name == "mesh success rate" }?.status == .fail)

        // Prometheus stops: the source says why and how old its data is; it comes back fresh.
        try await mesh.fault("stop", "prometheus")
        let ready = CurlRequest(url: mesh.prometheus + "/-/ready", totalTimeoutMilliseconds: 500)
        try await Tool.waitUntil("prometheus gone", within: 10) {
            (try? await OffPool.run { try CurlEasy().perform(ready) }) == nil
        }
        await poller.pollOnce()
        let down = try #require(await poller.snapshot().backends[.prometheus])
        #expect(down.ok == false)
        #expect(down.error?.contains("connect") == true, "\(down.error ?? "")")
        #expect(down.lastSuccess != nil && (down.age(at: Date()) ?? -1) >= 0)
        let running = Task { await poller.run() }
        defer { running.cancel() }
        try await mesh.fault("start", "prometheus")
        try await Tool.waitUntil("prometheus ready again", within: 30, log: logTail) {
            (try? await OffPool.run { try CurlEasy().perform(ready) })?.status == 200
        }
        let restarted = Date()
        // The next attempt comes after the current back-off; then within two intervals.
        let wait = await poller.delay(for: .prometheus) + config.interval * 2
        try await Tool.waitUntil("prometheus fresh again", within: Double(wait.components.seconds) + 1.5) {
            let state = await poller.snapshot().backends[.prometheus]
            return state?.ok == true && (state?.lastSuccess ?? .distantPast) > restarted
        }
    }
}
