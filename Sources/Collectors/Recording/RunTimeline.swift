/// One run's polls over time, per edge, as `meshtop report` charts them: rate, failed rate
/// and P50/P90/P99 at each moment.
///
/// Bounded however long the run: its span is cut into at most `maxPoints` equal buckets and
/// each bucket holds the means of the polls that fell in it (a run shorter than `maxPoints`
/// polls keeps each poll as its own point). At most `maxEdges` edges are followed, the first
/// seen; the rest are counted in `droppedEdges`. A poll that lacks an edge it had before
/// counts as no traffic on it (an edge that went quiet drops to zero), while a percentile
/// that a poll lacks is left out of its bucket's mean (a gap, not a zero).
public struct RunTimeline: Sendable {
    public struct Point: Sendable, Equatable {
        /// The bucket's middle, in milliseconds since 1970.
        public var time: Int64
        public var rps: Double
        public var failed: Double
        public var p50: Double?
        public var p90: Double?
        public var p99: Double?
    }

    public struct Series: Sendable, Equatable {
        public var key: EdgeKey
        /// The edge's buckets, from the first it had traffic in to the last poll.
        public var points: [Point]
        /// Its requests over the run (rate × interval, summed over polls).
        public var requests: Double
    }

    private struct Sums: Sendable {
        var rps = 0.0
        var failed = 0.0
        var p50 = Mean()
        var p90 = Mean()
        var p99 = Mean()
    }

    private struct Mean: Sendable {
        var sum = 0.0
        var count = 0
        mutating func add(_ value: Double?) {
            guard let value, value.isFinite else { return }
            sum += value
            count += 1
        }
        var value: Double? { count > 0 ? sum / Double(count) : nil }
    }

    public static let defaultMaxPoints = 240
    public static let maxEdges = 200
    public let started: Int64
    public let ended: Int64
    public let maxPoints: Int
    /// Milliseconds a bucket spans.
    public let bucketWidth: Int64
    public private(set) var droppedEdges = 0
    /// The seconds between polls, for the requests a poll stands for.
    private let interval: Double
    /// Polls that fell in each bucket.
    private var polls: [Int]
    private var sums: [EdgeKey: [Int: Sums]] = [:]
    private var first: [EdgeKey: Int] = [:]
    private var requests: [EdgeKey: Double] = [:]

    public init(started: Int64, ended: Int64, interval: Double, maxPoints: Int = RunTimeline.defaultMaxPoints) {
        self.started = started
        self.ended = max(started, ended)
        self.interval = interval
        self.maxPoints = max(1, maxPoints)
        let span = self.ended - started + 1
        bucketWidth = max(1, (span + Int64(self.maxPoints) - 1) / Int64(self.maxPoints))
        polls = Array(repeating: 0, count: self.maxPoints)
    }

    private func bucket(_ time: Int64) -> Int {
        Int(min(Int64(maxPoints - 1), max(0, (time - started) / bucketWidth)))
    }

    /// One poll's edges, polled at `time`.
    public mutating func add(time: Int64, _ edges: [EdgeStats]) {
        let index = bucket(time)
        polls[index] += 1
        for edge in edges where edge.rps > 0 {
            if first[edge.key] == nil {
                guard first.count < Self.maxEdges else {
                    droppedEdges += 1
                    continue
                }
                first[edge.key] = index
            }
            requests[edge.key, default: 0] += edge.rps * interval
            var entry = sums[edge.key, default: [:]][index] ?? Sums()
            entry.rps += edge.rps
            entry.failed += edge.failed
            entry.p50.add(edge.p50)
            entry.p90.add(edge.p90)
            entry.p99.add(edge.p99)
            sums[edge.key, default: [:]][index] = entry
        }
    }

    /// The followed edges, the busiest first.
    public var series: [Series] {
        first.map { key, start in
            var points: [Point] = []
            for index in start..<maxPoints where polls[index] > 0 {
                let entry = sums[key]?[index] ?? Sums()
                let count = Double(polls[index])
                points.append(
                    Point(
                        time: started + Int64(index) * bucketWidth + bucketWidth / 2, rps: entry.rps / count,
                        failed: entry.failed / count, p50: entry.p50.value, p90: entry.p90.value, p99: entry.p99.value))
            }
            return Series(key: key, points: points, requests: requests[key] ?? 0)
        }.sorted { $0.requests != $1.requests ? $0.requests > $1.requests : $0.key < $1.key }
    }
}
