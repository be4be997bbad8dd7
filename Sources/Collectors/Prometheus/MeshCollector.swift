import DequeModule
import Foundation

/// Asks Prometheus a profile's queries, all at once, and turns the answers into edges.
public struct MeshCollector: Sendable {
    public let client: PrometheusClient
    public var profile: MetricsProfile

    public init(client: PrometheusClient, profile: MetricsProfile) {
        self.client = client
        self.profile = profile
    }

    public init(client: PrometheusClient, queries: IstioQueries = IstioQueries()) {
        self.init(client: client, profile: .istio(queries))
    }

    /// Whether Prometheus has any series of the profile's metric now.
    public func hasSeries(_ name: MetricsProfile.Name) async throws(PrometheusError) -> Bool {
        let answer = try await client.query("count(\(name.seriesMetric))")
        return answer.result.series.contains { ($0.value ?? 0) > 0 }
    }

    /// One round of every query; the first error fails the round (a partial table would
    /// mislead), warnings are passed on. `empty`: no query had a single series.
    public func poll() async throws(PrometheusError) -> (edges: [EdgeStats], warnings: [String], empty: Bool) {
        let profile = self.profile
        let names = profile.names
        let results = await withTaskGroup(of: (String, Result<PrometheusAnswer, PrometheusError>).self) { group in
            for name in names {
                let promql = profile.promql(name)
                group.addTask {
                    do throws(PrometheusError) {
                        return (name, .success(try await client.query(promql)))
                    } catch {
                        return (name, .failure(error))
                    }
                }
            }
            var results: [String: Result<PrometheusAnswer, PrometheusError>] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
        var answers: [String: PrometheusAnswer] = [:]
        for name in names {
            switch results[name] {
            case .success(let answer): answers[name] = answer
            case .failure(let error): throw PrometheusError(error.kind, "\(name): \(error.message)")
            case nil: throw PrometheusError(.decode, "\(name): no answer")
            }
        }
        // `span` looks back over the whole window, after the traffic's series have gone.
        let empty = answers.filter { $0.key != RateSpan.query }.values.allSatisfy { $0.result.series.isEmpty }
        return (profile.edges(from: answers), Array(Set(answers.values.flatMap(\.warnings))).sorted(), empty)
    }

    /// The back-fill's range queries. One series an edge, not one per code, flag and status:
    /// at a thousand edges the traffic query's range answer alone would be tens of megabytes.
    /// The istio profile's P99 is Prometheus's own (its rules are HistogramQuantile's), one
    /// series an edge instead of one per bucket; Envoy's buckets are asked as a poll asks them.
    public static func backfillQueries(_ profile: MetricsProfile) -> (rate: String, p99: String?) {
        let rate = "sum by (\(profile.edgeLabels)) (\(profile.promql(profile.rateQuery)))"
        return (rate, profile.name == .istio ? "histogram_quantile(0.99, \(profile.promql("buckets")))" : nil)
    }

    /// The request rate and P99 of each edge over the last `span`, for the sparklines
    /// the dashboard shows from its first frame.
    public func backfill(span: Duration, step: Duration, now: Date = Date()) async throws(PrometheusError) -> MeshHistory {
        let start = now.addingTimeInterval(-Double(span.components.seconds))
        let queries = Self.backfillQueries(profile)
        // Both reporters of one edge (auto) would count its requests twice.
        let traffic = IstioEdges.oneReporterPerEdge(try await client.queryRange(queries.rate, start: start, end: now, step: step))
        var history = MeshHistory()
        if let p99Query = queries.p99 {
            let p99 = IstioEdges.oneReporterPerEdge(try await client.queryRange(p99Query, start: start, end: now, step: step))
            for series in p99.result.series {
                guard let key = profile.key(series.labels) else { continue }
                for point in series.points where point.value.isFinite { history.append(key, time: point.time, p99: point.value) }
            }
        }
        let buckets =
            profile.name == .istio
            ? PrometheusAnswer(result: .matrix([]), warnings: [])
            : try await client.queryRange(profile.promql("buckets"), start: start, end: now, step: step)
        // Per edge and step: the traffic series (an Envoy's clusters of one host) add up, the buckets make a P99.
        var rates: [EdgeKey: [Double: Double]] = [:]
        for series in traffic.result.series {
            guard let key = profile.key(series.labels) else { continue }
            for point in series.points where point.value.isFinite {
                rates[key, default: [:]][point.time, default: 0] += point.value
            }
        }
        var steps: [EdgeKey: [Double: [HistogramQuantile.Bucket]]] = [:]
        for series in buckets.result.series {
            guard let bound = series.labels["le"].flatMap(Double.init), let key = profile.key(series.labels) else { continue }
            for point in series.points where !point.value.isNaN {
                steps[key, default: [:]][point.time, default: []]
                    .append(.init(upperBound: bound, count: point.value))
            }
        }
        if let window = profile.windowSeconds {
            rates = RateSpan.backfilled(rates, from: start.timeIntervalSince1970, step: step.inSeconds, window: window)
        }
        for (key, byTime) in rates {
            for (time, rps) in byTime { history.append(key, time: time, rps: rps) }
        }
        for (key, byTime) in steps {
            for (time, edgeBuckets) in byTime {
                if let p99 = HistogramQuantile.quantile(0.99, edgeBuckets) { history.append(key, time: time, p99: p99) }
            }
        }
        return history
    }
}

/// A bounded series per edge: what the sparklines draw.
public struct MeshHistory: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var time: Double
        public var rps: Double?
        public var p99: Double?
    }

    public static let capacity = 120
    public private(set) var series: [EdgeKey: Deque<Point>] = [:]

    public init() {}

    public mutating func append(_ key: EdgeKey, time: Double, rps: Double? = nil, p99: Double? = nil) {
        // In place: a copy out of the dictionary and back would copy the whole series at
        // every point, and a back-fill of a thousand edges adds a hundred thousand points.
        Self.add(to: &series[key, default: []], time: time, rps: rps, p99: p99)
    }

    private static func add(to points: inout Deque<Point>, time: Double, rps: Double?, p99: Double?) {
        // Polls come in time order: most points follow the newest one.
        if let last = points.last, last.time < time {
            points.append(Point(time: time, rps: rps, p99: p99))
        } else if let index = points.lastIndex(where: { $0.time == time }) {
            if let rps { points[index].rps = rps }
            if let p99 { points[index].p99 = p99 }
            return
        } else {
            points.append(Point(time: time, rps: rps, p99: p99))
            points = Deque(points.sorted { $0.time < $1.time })
        }
        if points.count > capacity { points.removeFirst(points.count - capacity) }
    }

    /// Adds one poll's edges at `time`.
    public mutating func record(_ edges: [EdgeStats], at time: Double) {
        for edge in edges { append(edge.key, time: time, rps: edge.rps, p99: edge.p99) }
    }
}
