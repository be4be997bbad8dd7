import Collectors
import Foundation
import TestSupport
import Testing

/// The envoy profile against real components: storage-service behind a real Envoy 1.40
/// (Istio's stats tags, scraped as `istio-ingressgateway`) and a second Envoy with Envoy's
/// default tags (as Envoy Gateway names its clusters), scraped by a real Prometheus.
@Suite(
    .serialized,
    .enabled(if: EnvoyProxy.shouldRun && PrometheusServer.shouldRun, "envoy or prometheus is not installed"))
struct EnvoyProfileMeshTests {
    static let storageCluster = "outbound|9080||storage-service.default.svc.cluster.local"
    static let storageHost = "storage-service.default.svc.cluster.local"
    static let deadCluster = "outbound|9999||dead.default.svc.cluster.local"
    static let routeCluster = "httproute/default/backend/rule/0"

    /// `count` PUT + GET pairs through `url`, and `dead` GETs to the cluster on a closed port;
    /// how many of each Envoy answered (a request that timed out on a busy machine may never
    /// reach Envoy's counters, so the waits below count what was answered, not what was sent).
    private func send(_ url: String, count: Int, dead: Int = 0) async throws -> (storage: Int, dead: Int) {
        try await OffPool.run {
            let easy = try CurlEasy()
            var answered = (storage: 0, dead: 0)
            for n in 0..<count {
                let body = Array(#"{"key":"k\#(n)","value":"v"}"#.utf8)
                if (try? easy.perform(CurlRequest(url: url + "/storage", method: "PUT", body: body, totalTimeoutMilliseconds: 10_000))) != nil { answered.storage += 1 }
                if (try? easy.perform(CurlRequest(url: url + "/storage/k\(n)", totalTimeoutMilliseconds: 10_000))) != nil { answered.storage += 1 }
            }
            for _ in 0..<dead where (try? easy.perform(CurlRequest(url: url + "/dead", totalTimeoutMilliseconds: 10_000))) != nil { answered.dead += 1 }
            return answered
        }
    }

    private func value(_ client: PrometheusClient, _ promql: String, at time: Date? = nil) async throws -> Double? {
        try await client.query(promql, at: time).result.series.first?.value
    }

    private func snapshot(_ prometheus: PrometheusServer, _ arguments: [String]) async throws -> BinaryRun {
        let run = try await BinaryRun.run("meshtop", ["snapshot", "--prometheus", prometheus.url] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        return run
    }

    private func edges(_ json: [String: Any]) -> [[String: Any]] { json["edges"] as? [[String: Any]] ?? [] }

    /// Rates need an increase between two samples: traffic starts once every target was
    /// scraped, so Prometheus holds the counters before it.
    private func waitForScrapes(_ prometheus: PrometheusServer, jobs: Int) async throws {
        let client = PrometheusClient(url: prometheus.url)
        try await Tool.waitUntil("every target scraped", within: 30, log: prometheus.logTail) {
            (try? await value(client, "count(up == 1)")) == Double(jobs)
        }
    }

    @Test func envoyEdgesFlagsAutoAndPercentilesEqualPrometheus() async throws {
        let service = try await ServiceProcess(etcd: "http://127.0.0.1:1", arguments: ["--etcd-api", "memory"])
        defer { service.stop() }
        let closed = FreePort.next()
        let gateway = try await EnvoyProxy(
            routes: [
                .init(prefix: "/dead", cluster: Self.deadCluster, upstreamPort: closed),
                .init(prefix: "/", cluster: Self.storageCluster, upstreamPort: service.port),
            ], statsTags: .istio)
        defer { gateway.stop() }
        let route = try await EnvoyProxy(
            routes: [.init(prefix: "/", cluster: Self.routeCluster, upstreamPort: service.port)], statsTags: .envoy)
        defer { route.stop() }
        let prometheus = try await PrometheusServer(jobs: [
            .init("istio-ingressgateway", targets: [gateway.adminAddress], metricsPath: "/stats/prometheus"),
            .init("envoy-gateway", targets: [route.adminAddress], metricsPath: "/stats/prometheus"),
        ])
        defer { prometheus.stop() }
        try await waitForScrapes(prometheus, jobs: 2)

        // Envoy makes a per-code counter and the histogram at their first request, and
        // Prometheus's rate starts from a series' first sample: a first batch creates them
        // and is scraped, the second is the increase the rates see.
        let client = PrometheusClient(url: prometheus.url)
        var answered = (storage: 0, dead: 0, routed: 0)
        for batch in 1...2 {
            let sent = try await send(gateway.url, count: 20, dead: 3)
            let routedNow = try await send(route.url, count: 5).storage
            answered = (answered.storage + sent.storage, answered.dead + sent.dead, answered.routed + routedNow)
            #expect(sent.storage > 0 && sent.dead > 0 && routedNow > 0, "batch \(batch): \(sent), \(routedNow) routed")
            var seen = ""
            try await Tool.waitUntil("batch \(batch) of Envoy's counters in Prometheus", within: 60, log: { seen + "\n" + prometheus.logTail() }) {
                let storage = try? await value(
                    client, #"sum(envoy_cluster_upstream_rq{cluster_name="\#(Self.storageCluster)",response_code_class=""})"#)
                let failed = try? await value(client, #"sum(envoy_cluster_upstream_rq{cluster_name="\#(Self.deadCluster)",response_code="503"})"#)
                let connects = try? await value(client, #"sum(envoy_cluster_upstream_cx_connect_fail{cluster_name="\#(Self.deadCluster)"})"#)
                // Histograms reach /stats/prometheus at Envoy's stats flush (5 s).
                let timed = try? await value(client, #"sum(envoy_cluster_upstream_rq_time_count{cluster_name="\#(Self.storageCluster)"})"#)
                // Envoy's default tags name the labels envoy_cluster_name and envoy_response_code.
                let routed = try? await value(
                    client, #"sum(envoy_cluster_upstream_rq{envoy_cluster_name="\#(Self.routeCluster)",envoy_response_code=~"20."})"#)
                seen = "storage \(storage ?? -1) failed \(failed ?? -1) connects \(connects ?? -1) timed \(timed ?? -1) routed \(routed ?? -1)"
                // At least, not exactly: this waits only for the batch to be in (the checks
                // below hold meshtop to Prometheus's own figures, whatever the counts), and an
                // exact count would wait forever for a request counted once more.
                let (answeredStorage, answeredDead) = (Double(answered.storage), Double(answered.dead))
                return (storage ?? 0) >= answeredStorage && (failed ?? 0) >= answeredDead && (connects ?? 0) >= answeredDead
                    && (timed ?? 0) >= answeredStorage && (routed ?? 0) >= Double(answered.routed)
            }
        }

        // auto with only Envoy scraped: envoy. The edge is the gateway → the cluster's host.
        let auto = try await snapshot(prometheus, ["--json", "--window", "2m"]).json()
        let profile = try #require(auto["profile"] as? [String: Any])
        #expect(profile["name"] as? String == "envoy")
        #expect(profile["choice"] as? String == "auto")
        #expect(profile["no_series"] is NSNull)
        let found = edges(auto)
        let storage = try #require(found.first { $0["destination"] as? String == Self.storageHost }, "\(found)")
        #expect(storage["source"] as? String == "istio-ingressgateway")
        #expect(storage["destination_service"] as? String == Self.storageHost)
        #expect((storage["rps"] as? Double ?? 0) > 0)
        #expect(storage["success_rate"] as? Double == 1)
        #expect((storage["codes"] as? [String: Any])?.keys.sorted() == ["200", "201"])
        // The closed port: Envoy's connect failures are the UF flag, its 503s the codes.
        let dead = try #require(found.first { $0["destination"] as? String == "dead.default.svc.cluster.local" }, "\(found)")
        #expect(((dead["flags"] as? [String: Any])?["UF"] as? Double ?? 0) > 0, "\(dead)")
        #expect((dead["codes"] as? [String: Any])?.keys.sorted() == ["503"])
        #expect(dead["success_rate"] as? Double == 0)
        let routed = try #require(found.first { $0["destination"] as? String == Self.routeCluster }, "\(found)")
        #expect(routed["source"] as? String == "envoy-gateway")
        // Envoy's admin and stats listener are no edges.
        #expect(found.count == 3, "\(found)")

        // The table says it too; UF is in the flags.
        let text = try await snapshot(prometheus, ["--profile", "envoy", "--window", "2m"]).stdout
        #expect(text.contains("EDGES (3)  profile envoy"), "\(text)")
        #expect(text.contains("istio-ingressgateway  dead.default.svc.cluster.local"), "\(text)")
        // istio asked where there is none: one clear line, in the text and the JSON.
        let istio = try await snapshot(prometheus, ["--profile", "istio"])
        #expect(istio.stdout.contains("EDGES (0)  profile istio\nno Istio series (istio_requests_total) in Prometheus"), "\(istio.stdout)")
        let istioJSON = try await snapshot(prometheus, ["--profile", "istio", "--json"]).json()
        #expect((istioJSON["profile"] as? [String: Any])?["no_series"] as? String == "no Istio series (istio_requests_total) in Prometheus")
        let health = try await BinaryRun.run("meshtop", ["health", "--prometheus", prometheus.url, "--profile", "istio"])
        #expect(health.stdout.contains("no Istio series (istio_requests_total) in Prometheus"), "\(health.stdout)")

        // Percentiles: the same data as Prometheus's own histogram_quantile. The Envoys stop,
        // so their series end and a 2m window over them no longer moves.
        gateway.stop()
        route.stop()
        let buckets = #"sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{job="istio-ingressgateway",cluster_name="\#(Self.storageCluster)"}[2m]))"#
        func reference() async throws -> [Double?] {
            var answers: [Double?] = []
            for q in [0.5, 0.9, 0.99] { answers.append(try await value(client, "histogram_quantile(\(q), \(buckets))")) }
            return answers
        }
        var settled: [Double?] = []
        try await Tool.waitUntil("the window to stop moving", within: 30) {
            let before = try await reference()
            let up = try await value(client, #"sum(up{job=~"istio-ingressgateway|envoy-gateway"})"#)
            try await Task.sleep(for: .seconds(1))
            settled = try await reference()
            return up == 0 && before == settled && settled.allSatisfy { $0 != nil }
        }
        let frozen = try await snapshot(prometheus, ["--json", "--profile", "envoy", "--window", "2m"]).json()
        let edge = try #require(edges(frozen).first { $0["destination"] as? String == Self.storageHost })
        #expect(try await reference() == settled)
        for (key, theirs) in zip(["p50_ms", "p90_ms", "p99_ms"], settled) {
            let mine = try #require(edge[key] as? Double, "\(key) in \(edge)")
            // The JSON carries two decimals.
            #expect(abs(mine - (theirs ?? -1)) <= 0.0051, "\(key): \(mine) vs \(String(describing: theirs))")
        }

        // And unrounded, at one instant, from the profile's own queries.
        let instant = Date()
        let queries = EnvoyQueries(window: "2m")
        var answers: [String: PrometheusAnswer] = [:]
        for name in EnvoyQueries.names { answers[name] = try await client.query(queries.promql(name), at: instant) }
        let local = try #require(EnvoyEdges.edges(from: answers).first { $0.key.destination == Self.storageHost })
        for (q, mine) in [(0.5, local.p50), (0.9, local.p90), (0.99, local.p99)] {
            let theirs = try await value(client, "histogram_quantile(\(q), \(buckets))", at: instant)
            #expect(abs((mine ?? -1) - (theirs ?? -2)) < 1e-9, "q=\(q): \(String(describing: mine)) vs \(String(describing: theirs))")
        }
    }

    /// storage-service with `--istio-metrics` scraped beside the Envoy in front of it: auto
    /// takes istio; when the service's series go, the poller turns to Envoy's.
    @Test func autoPrefersIstioAndFollowsTheSeries() async throws {
        let service = try await ServiceProcess(etcd: "http://127.0.0.1:1", arguments: ["--etcd-api", "memory", "--istio-metrics"])
        defer { service.stop() }
        let gateway = try await EnvoyProxy(
            routes: [.init(prefix: "/", cluster: Self.storageCluster, upstreamPort: service.port)], statsTags: .istio)
        defer { gateway.stop() }
        let prometheus = try await PrometheusServer(jobs: [
            .init("istio-ingressgateway", targets: [gateway.adminAddress], metricsPath: "/stats/prometheus"),
            .init("storage", targets: ["127.0.0.1:\(service.port)"]),
        ])
        defer { prometheus.stop() }
        try await waitForScrapes(prometheus, jobs: 2)
        let client = PrometheusClient(url: prometheus.url)
        // istio_requests_total starts with the first request: a second batch makes it increase.
        let first = try await send(gateway.url, count: 5).storage
        try await Tool.waitUntil("the first requests in both profiles", within: 60, log: prometheus.logTail) {
            let istio = try? await value(client, "sum(istio_requests_total)")
            let envoy = try? await value(client, #"sum(envoy_cluster_upstream_rq{response_code_class=""})"#)
            return (istio ?? 0) >= Double(first) && (envoy ?? 0) >= Double(first)
        }
        let both = try await first + send(gateway.url, count: 5).storage
        try await Tool.waitUntil("both profiles' series", within: 60, log: prometheus.logTail) {
            let istio = try? await value(client, "sum(istio_requests_total)")
            let envoy = try? await value(client, #"sum(envoy_cluster_upstream_rq{response_code_class=""})"#)
            return (istio ?? 0) >= Double(both) && (envoy ?? 0) >= Double(both)
        }
        let auto = try await snapshot(prometheus, ["--json"]).json()
        #expect((auto["profile"] as? [String: Any])?["name"] as? String == "istio")
        #expect(edges(auto).contains { $0["destination"] as? String == "default/storage-service" }, "\(edges(auto))")
        let envoy = try await snapshot(prometheus, ["--json", "--profile", "envoy"]).json()
        #expect(edges(envoy).contains { $0["destination"] as? String == Self.storageHost }, "\(edges(envoy))")

        // The chosen profile's series disappear: auto decides again.
        var config = PollerConfig()
        config.prometheus = client
        config.queries = IstioQueries(window: "5s")
        config.envoyQueries = EnvoyQueries(window: "5s")
        let poller = Poller(config)
        await poller.pollOnce()
        #expect(await poller.snapshot().profile == ProfileStatus(choice: .auto, active: .istio))
        service.stop()
        try await Tool.waitUntil("auto to turn to envoy", within: 40) {
            await poller.pollOnce()
            return await poller.snapshot().profile.active == .envoy
        }
        #expect(await poller.snapshot().profile.label == "envoy (auto)")
        // P to istio: its series are gone, and the snapshot says so.
        await poller.choose(profile: .istio)
        #expect(await poller.snapshot().profile == ProfileStatus(choice: .istio, noSeries: MetricsProfile.Name.istio.noSeries))
        #expect(await poller.snapshot().edges.isEmpty)
    }
}
