import Foundation

/// Requests the metrics counted since a mark, per hop and counter: the metrics' column of
/// the telemetry ledger.
///
/// Counted from the counters themselves (their value now minus their value at the mark),
/// not from `increase()`, which extrapolates to the window's edges and gives fractions: a
/// clean run must balance to the request. A hop is the service called, as the client side
/// names it (Istio's `destination_service`, the host of an Envoy `outbound|…|HOST` cluster),
/// the same name the ledger gives log lines.
public struct RequestCounts: Sendable, Equatable {
    /// Which counter counted: Istio's metrics by reporter, or the caller's Envoy cluster stats.
    public enum Counter: String, Sendable, CaseIterable, Comparable {
        case source, destination, waypoint, envoy

        public static func < (a: Self, b: Self) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }

        /// The counters that count what the calling side saw (the ledger's client lines).
        public var isClientSide: Bool { self == .source || self == .envoy }
    }

    public struct Key: Hashable, Sendable {
        public var hop: String
        public var counter: Counter

        public init(hop: String, counter: Counter) {
            self.hop = hop
            self.counter = counter
        }
    }

    /// The counters' totals at one moment, as `totals(from:)` reads an answer.
    public typealias Totals = [Key: Double]

    public var counts: [Key: Int]
    /// When the counting began.
    public var since: Date
    /// Counters that went down since the mark (a restarted proxy): counted from zero.
    public var resets: Int

    public init(counts: [Key: Int] = [:], since: Date, resets: Int = 0) {
        self.counts = counts
        self.since = since
        self.resets = resets
    }

    /// At most this many hops are kept: a thousand-edge mesh's counts stay small, and the
    /// ledger lists hops, not series.
    public static let maxHops = 2_000

    /// The PromQL of a profile's counters, summed per hop: raw totals, no rate, no window.
    public static func query(_ profile: MetricsProfile.Name) -> String {
        switch profile {
        case .istio: "sum by (reporter, destination_service) (istio_requests_total)"
        case .envoy: "sum by (envoy_cluster_name, cluster_name) (\(EnvoyQueries.seriesMetric))"
        }
    }

    /// The totals of an answer to `query(profile)`. Envoy's inbound and control clusters
    /// name no service (`inbound|9080||`): they are not hops of the ledger.
    public static func totals(from answer: PrometheusAnswer, profile: MetricsProfile.Name) -> Totals {
        var totals: Totals = [:]
        var hops = Set<String>()
        for series in answer.result.series {
            guard let value = series.value, value.isFinite else { continue }
            let key: Key
            switch profile {
            case .istio:
                guard let reporter = series.labels["reporter"].flatMap(Counter.init(rawValue:)), reporter != .envoy,
                    let service = series.labels["destination_service"], !service.isEmpty
                else { continue }
                key = Key(hop: service, counter: reporter)
            case .envoy:
                let cluster = [series.labels["envoy_cluster_name"], series.labels["cluster_name"]].compactMap { $0 }
                    .first { !$0.isEmpty } ?? ""
                guard case .upstream(let host) = EnvoyCluster(name: cluster) else { continue }
                key = Key(hop: host, counter: .envoy)
            }
            guard hops.contains(key.hop) || hops.count < maxHops else { continue }
            hops.insert(key.hop)
            totals[key, default: 0] += value
        }
        return totals
    }

    /// What was counted between `mark` and `now`. A series absent at the mark began after
    /// it; one lower now than then was reset, and counts from zero.
    public static func between(_ mark: Totals, _ now: Totals, since: Date) -> RequestCounts {
        var counts = RequestCounts(since: since)
        for (key, value) in now {
            let before = mark[key] ?? 0
            if value < before {
                counts.resets += 1
                counts.counts[key] = Int(value.rounded())
            } else {
                counts.counts[key] = Int((value - before).rounded())
            }
        }
        return counts
    }

    public subscript(hop: String, counter: Counter) -> Int? { counts[Key(hop: hop, counter: counter)] }

    /// The hops that have a count.
    public var hops: Set<String> { Set(counts.keys.map(\.hop)) }

    /// The counters that count anything, in column order.
    public var counters: [Counter] { Set(counts.keys.map(\.counter)).sorted() }
}
