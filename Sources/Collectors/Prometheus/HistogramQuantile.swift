/// Prometheus's `histogram_quantile`, on this side: the three percentiles of an edge come
/// from one bucket query instead of three, which is a third of the work for Prometheus.
/// Same rules as Prometheus's `bucketQuantile`: buckets sorted by upper bound, the `+Inf`
/// bucket required, counts made monotonic, linear interpolation inside the bucket.
public enum HistogramQuantile {
    public struct Bucket: Sendable, Equatable {
        public var upperBound: Double
        public var count: Double

        public init(upperBound: Double, count: Double) {
            self.upperBound = upperBound
            self.count = count
        }
    }

    /// nil where Prometheus would answer NaN (no observations, no `+Inf` bucket).
    public static func quantile(_ q: Double, _ buckets: [Bucket]) -> Double? {
        guard !q.isNaN else { return nil }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var sorted: [Bucket] = []
        for bucket in buckets.sorted(by: { $0.upperBound < $1.upperBound }) {
            // Buckets with the same bound (from series that differ in other labels) add up.
            if let last = sorted.last, last.upperBound == bucket.upperBound {
                sorted[sorted.count - 1].count += bucket.count
            } else {
                sorted.append(bucket)
            }
        }
        guard let last = sorted.last, last.upperBound == .infinity, sorted.count >= 2 else { return nil }
        for index in sorted.indices.dropFirst() where sorted[index].count < sorted[index - 1].count {
            sorted[index].count = sorted[index - 1].count
        }
        let observations = sorted[sorted.count - 1].count
        guard observations > 0 else { return nil }
        var rank = q * observations
        let b = sorted.dropLast().firstIndex { $0.count >= rank } ?? sorted.count - 1
        if b == sorted.count - 1 { return sorted[sorted.count - 2].upperBound }
        if b == 0, sorted[0].upperBound <= 0 { return sorted[0].upperBound }
        var start = 0.0
        var count = sorted[b].count
        if b > 0 {
            start = sorted[b - 1].upperBound
            count -= sorted[b - 1].count
            rank -= sorted[b - 1].count
        }
        return start + (sorted[b].upperBound - start) * (rank / count)
    }
}
