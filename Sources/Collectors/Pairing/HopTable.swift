import Foundation
import Histogram

/// Per-hop time across many requests (`HopTimes`): percentiles of each hop's parts, and
/// the share of the slowest requests' time each hop holds.
///
/// The share of p99: over the requests whose end-to-end time is at or above the p99, a
/// hop's own time summed, divided by their end-to-end time summed. The requests are kept
/// only as sums by their total's bucket (5 % wide), so memory stays bounded however many are
/// added, and "at or above the p99" is to that bucket. Hops are told apart by name and depth;
/// past `maxHops` of them, the rest are counted in `droppedHops` and not shown.
public struct HopTable: Sendable {
    public typealias Percentiles = AccessLogSummary.Percentiles

    /// One hop's figures.
    public struct Row: Sendable, Equatable {
        public var name: String
        public var depth: Int
        public var requests: Int
        /// Requests whose hop failed as its client side saw it.
        public var errors: Int
        public var own: Percentiles?
        public var clientProxy: Percentiles?
        public var network: Percentiles?
        public var serverProxy: Percentiles?
        public var upstream: Percentiles?
        /// The two proxies' own time together (`HopTimes.Hop.proxy`).
        public var proxy: Percentiles?
        /// 0…1; nil before any request with a total.
        public var shareOfP99: Double?
    }

    private struct HopKey: Hashable, Sendable {
        var name: String
        var depth: Int
    }

    private struct Parts: Sendable {
        var requests = 0
        var errors = 0
        var own = HopTable.histogram()
        var clientProxy = HopTable.histogram()
        var network = HopTable.histogram()
        var serverProxy = HopTable.histogram()
        var upstream = HopTable.histogram()
        var proxy = HopTable.histogram()
        /// Own time summed by the bucket of the request's total.
        var ownByBucket: [Int: Int] = [:]
    }

    public static let maxHops = 1_000
    public private(set) var requests = 0
    public private(set) var droppedHops = 0
    private var totals = HopTable.histogram()
    private var totalByBucket: [Int: Int] = [:]
    private var parts: [HopKey: Parts] = [:]
    /// Hops in the order first seen: the rows keep a chain's order.
    private var order: [HopKey] = []

    public init() {}

    public mutating func add(_ times: HopTimes) {
        requests += 1
        let bucket = times.total.map(Self.bucket)
        if let total = times.total {
            Self.record(&totals, total)
            totalByBucket[bucket!, default: 0] += total
        }
        for hop in times.hops {
            let key = HopKey(name: hop.name, depth: hop.depth)
            if parts[key] == nil {
                guard parts.count < Self.maxHops else {
                    droppedHops += 1
                    continue
                }
                parts[key] = Parts()
                order.append(key)
            }
            // One lookup, the entry changed in place.
            Self.add(hop, bucket: bucket, to: &parts[key]!)
        }
    }

    /// End-to-end percentiles, nil before the first request with a total.
    public var endToEnd: Percentiles? { Self.percentiles(totals) }

    /// The hops in the order first seen.
    public var rows: [Row] {
        let p99Bucket = totals.totalCount > 0 ? Self.bucket(Int(totals.valueAtPercentile(99))) : nil
        let slowTotal = p99Bucket.map { floor in totalByBucket.filter { $0.key >= floor }.values.reduce(0, +) }
        return order.map { key in
            let hop = parts[key]!
            var share: Double?
            if let p99Bucket, let slowTotal, slowTotal > 0 {
                share = Double(hop.ownByBucket.filter { $0.key >= p99Bucket }.values.reduce(0, +)) / Double(slowTotal)
            }
            return Row(
                name: key.name, depth: key.depth, requests: hop.requests, errors: hop.errors, own: Self.percentiles(hop.own),
                clientProxy: Self.percentiles(hop.clientProxy), network: Self.percentiles(hop.network),
                serverProxy: Self.percentiles(hop.serverProxy), upstream: Self.percentiles(hop.upstream),
                proxy: Self.percentiles(hop.proxy), shareOfP99: share)
        }
    }

    /// Buckets 5 % wide: 0 ms is bucket 0, then ⌊log(ms) / log 1.05⌋ + 1.
    static func bucket(_ milliseconds: Int) -> Int {
        milliseconds <= 0 ? 0 : Int(log(Double(milliseconds)) / log(1.05)) + 1
    }

    private static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    }

    private static func add(_ hop: HopTimes.Hop, bucket: Int?, to entry: inout Parts) {
        entry.requests += 1
        if hop.failed { entry.errors += 1 }
        if let own = hop.own {
            record(&entry.own, own)
            if let bucket { entry.ownByBucket[bucket, default: 0] += own }
        }
        hop.clientProxy.map { record(&entry.clientProxy, $0) }
        hop.network.map { record(&entry.network, $0) }
        hop.serverProxy.map { record(&entry.serverProxy, $0) }
        hop.upstream.map { record(&entry.upstream, $0) }
        hop.proxy.map { record(&entry.proxy, $0) }
    }

    private static func record(_ histogram: inout Histogram<UInt64>, _ milliseconds: Int) {
        histogram.record(UInt64(min(max(0, milliseconds), 3_600_000)))
    }

    private static func percentiles(_ histogram: Histogram<UInt64>) -> Percentiles? {
        AccessLogSummary.percentiles(histogram)
    }
}
