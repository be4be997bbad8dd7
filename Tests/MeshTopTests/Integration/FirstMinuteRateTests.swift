import Collectors
import Foundation
import TestSupport
import Testing

/// The Traffic panel's rate in a load's first minute, on a fresh local mesh under each
/// profile: `meshtop load --rps 20` through the gateway. The first snapshot that has the
/// gateway's edge must read what the load's own client log says was answered between the
/// first and the last scrape of the edge's series (±10 %, plus what the scrapes' own
/// durations can shift), while the series are younger than the 1m window, where
/// Prometheus's `rate(...[1m])` alone reads a fraction of it.
///
/// The measure is the client log, not the asked rate: over a few seconds, what was answered
/// in them is the truth, whatever a busy machine made of the load's schedule; and a sample is
/// stamped at its scrape's start while the counter is read later, which over three seconds
/// weighs as much as the scrapes take.
@Suite(.serialized, .enabled(if: LocalMesh.shouldRun, "envoy, etcd or prometheus is not installed"))
struct FirstMinuteRateTests {
    static let rate = 20.0

    @Test(arguments: [MetricsProfile.Name.istio, .envoy])
    func theFirstSnapshotWithTheEdgeHasTheSentRate(profile: MetricsProfile.Name) async throws {
        let mesh = try await LocalMesh(istioMetrics: profile == .istio)
        defer { mesh.stop() }
        let destination = profile == .istio ? "default/proxy-etcd-storage" : "proxy-etcd-storage.default.svc.cluster.local"
        let client = PrometheusClient(url: mesh.prometheus)
        var config = PollerConfig()
        config.prometheus = client
        config.profile = MetricsProfile.Choice(rawValue: profile.rawValue)!
        let poller = Poller(config)
        func gatewayEdge() async -> EdgeStats? {
            await poller.pollOnce()
            return await poller.snapshot().edges.first {
                $0.key.source == "istio-system/istio-ingressgateway" && $0.key.destination == destination
            }
        }
        // A fresh mesh: the edge is not there before the load.
        #expect(await gatewayEdge() == nil)

        let clientLog = FileManager.default.temporaryDirectory.appendingPathComponent("first-minute-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: clientLog) }
        let load = Task {
            try await BinaryRun.run(
                "meshtop",
                [
                    "load", mesh.gateway + "/storage/missing", "--rps", "\(Int(Self.rate))", "-c", "4", "-d", "20s", "--json",
                    "--access-log", clientLog.path,
                ])
        }
        let profileQueries = profile == .istio ? MetricsProfile.istio(IstioQueries()) : .envoy(EnvoyQueries())
        // The edge's raw samples, read right after the poll: a scrape between the two adds a
        // sample, so the reading is taken again until both saw the same last sample.
        func reading(olderThan seconds: Double) async throws -> (edge: EdgeStats, samples: [PrometheusSeries])? {
            var found: (EdgeStats, [PrometheusSeries])?
            try await Tool.waitUntil("the gateway's edge \(seconds) s old under profile \(profile)", within: 30, log: { mesh.supervisorErrors }) {
                guard let edge = await gatewayEdge(), (edge.rateSeconds ?? 60) >= seconds else { return false }
                let raw = try await client.query(Self.samples(profile))
                let samples = raw.result.series.filter { profileQueries.key($0.labels) == edge.key }
                guard abs(Self.sampledRate(of: samples) - edge.rps) <= 0.01 * edge.rps else { return false }
                found = (edge, samples)
                return true
            }
            return found
        }
        // The first snapshot whose series span three scrapes.
        let (edge, firstSamples) = try #require(try await reading(olderThan: 3))
        let age = try #require(edge.rateSeconds, "the edge's series are younger than the window: \(edge)")
        #expect(age < 60)
        // What the window's rate alone said at that moment: the defect this guards against.
        let plain = try await client.query(profileQueries.promql(profileQueries.rateQuery))
        let unscaled = plain.result.series.filter { profileQueries.key($0.labels) == edge.key }.compactMap(\.value).reduce(0, +)

        // Later in the first minute too: the rate stays right while the window fills.
        let (older, olderSamples) = try #require(try await reading(olderThan: 10))
        #expect((older.rateSeconds ?? 60) < 60)

        let run = try await load.value
        #expect(run.status == 0, "\(run.stderr)")
        let sent = try #require(try run.json()["rps"] as? Double)
        #expect(sent > 0 && sent <= Self.rate * 1.05, "\(sent) req/s sent")
        #expect(unscaled < 0.75 * sent, "rate(...[1m]) read \(unscaled) req/s")

        // Both read what the client saw answered over the same seconds.
        let answered = try Self.completions(clientLog)
        // A sample is stamped when its scrape starts, but the counter is read a little later,
        // up to the scrape's whole duration on a busy machine: the seconds between two samples'
        // readings can differ from their stamps by the two scrapes' durations.
        let scrapes = try await client.query("max(max_over_time(scrape_duration_seconds[1m]))")
        let scrape = scrapes.result.series.first?.value ?? 0
        for (reading, samples) in [(edge, firstSamples), (older, olderSamples)] {
            let (from, to) = try #require(Self.span(of: samples))
            let truth = Double(answered.filter { $0 > from && $0 <= to }.count) / (to - from)
            // Two requests of slack too: one answered within a millisecond of a scrape can fall
            // on either side of it.
            let slack = 0.1 * truth + 2 / (to - from) + truth * 2 * scrape / (to - from)
            #expect(
                abs(reading.rps - truth) <= slack,
                "\(reading.rps) req/s over \(reading.rateSeconds ?? -1) s; the client log has \(truth) between \(from) and \(to) (scrapes up to \(scrape) s), \(sent) sent in all"
            )
        }
    }

    /// The raw samples of every series of the edge's counter in the last minute.
    static func samples(_ profile: MetricsProfile.Name) -> String {
        switch profile {
        case .istio: #"istio_requests_total{reporter="destination"}[1m]"#
        case .envoy: #"envoy_cluster_upstream_rq{response_code_class=""}[1m]"#
        }
    }

    /// Each series' increase over its first to last sample, summed: what `span` asks for.
    static func sampledRate(of samples: [PrometheusSeries]) -> Double {
        samples.reduce(0) { sum, series in
            guard let first = series.points.first, let last = series.points.last, last.time > first.time else { return sum }
            return sum + (last.value - first.value) / (last.time - first.time)
        }
    }

    /// The first and last sample time of the edge (its series are scraped together).
    static func span(of samples: [PrometheusSeries]) -> (Double, Double)? {
        guard let from = samples.compactMap(\.points.first?.time).min(), let to = samples.compactMap(\.points.last?.time).max(),
            to > from
        else { return nil }
        return (from, to)
    }

    /// When each request of the client log was answered, in seconds since 1970.
    static func completions(_ log: URL) throws -> [Double] {
        var decoder = AccessLogDecoder()
        return try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard let record = decoder.decode(String(line)), let start = record.startTime,
                let milliseconds = EnvoyTimestamp.milliseconds(start), let duration = record.duration
            else { return nil }
            return Double(milliseconds + Int64(duration)) / 1_000
        }
    }
}
