/// One run's figures as `meshtop diff` compares them: per edge, what its polls said over the
/// run; per hop, the `HopTable` of the run's log lines.
///
/// A poll's figures are over Prometheus's window (a minute), so a run's are their means over
/// the polls that had the edge: the rate a plain mean, the error share the failed rate summed
/// over the rate summed, and P50/P99 means weighted by each poll's rate (a quiet poll's
/// percentile weighs less than a busy one's).
public struct RunFigures: Sendable {
    public struct Edge: Sendable, Equatable {
        public var key: EdgeKey
        /// Polls that had the edge, and how many requests they stand for (rate × interval).
        public var polls: Int
        public var requests: Double
        public var rps: Double
        /// 0…1, nil without traffic.
        public var errorShare: Double?
        public var p50: Double?
        public var p99: Double?
    }

    private struct Sums: Sendable {
        var polls = 0
        var rps = 0.0
        var failed = 0.0
        var p50 = 0.0
        var p50Weight = 0.0
        var p99 = 0.0
        var p99Weight = 0.0
    }

    /// Edges past this many are counted in `droppedEdges`, not kept.
    public static let maxEdges = 20_000
    public private(set) var polls = 0
    public private(set) var droppedEdges = 0
    /// The run's first and last moment, in milliseconds since 1970.
    public var started: Int64
    public var ended: Int64
    /// The seconds between polls, for the requests an edge's polls stand for.
    public let interval: Double
    public var hops = HopTable()
    private var sums: [EdgeKey: Sums] = [:]

    public init(started: Int64, interval: Double) {
        self.started = started
        ended = started
        self.interval = interval
    }

    /// The run's length in seconds.
    public var seconds: Double { Double(max(0, ended - started)) / 1_000 }

    /// One poll's edges.
    public mutating func add(_ edges: [EdgeStats]) {
        polls += 1
        for edge in edges where edge.rps > 0 {
            if sums[edge.key] == nil {
                guard sums.count < Self.maxEdges else {
                    droppedEdges += 1
                    continue
                }
                sums[edge.key] = Sums()
            }
            Self.add(edge, to: &sums[edge.key]!)
        }
    }

    private static func add(_ edge: EdgeStats, to sums: inout Sums) {
        sums.polls += 1
        sums.rps += edge.rps
        sums.failed += edge.failed
        if let p50 = edge.p50, p50.isFinite {
            sums.p50 += p50 * edge.rps
            sums.p50Weight += edge.rps
        }
        if let p99 = edge.p99, p99.isFinite {
            sums.p99 += p99 * edge.rps
            sums.p99Weight += edge.rps
        }
    }

    /// The edges, sorted by key.
    public var edges: [Edge] {
        sums.map { key, sums in
            Edge(
                key: key, polls: sums.polls, requests: sums.rps * interval, rps: sums.rps / Double(max(1, sums.polls)),
                errorShare: sums.rps > 0 ? min(1, sums.failed / sums.rps) : nil,
                p50: sums.p50Weight > 0 ? sums.p50 / sums.p50Weight : nil,
                p99: sums.p99Weight > 0 ? sums.p99 / sums.p99Weight : nil)
        }.sorted { $0.key < $1.key }
    }
}
