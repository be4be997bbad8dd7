/// Who called whom: Istio's workload labels of both ends and the destination service (the
/// envoy profile fills them from the scraped workload and the cluster, `EnvoyCluster`).
public struct EdgeKey: Hashable, Sendable, Comparable {
    public var sourceWorkload: String
    public var sourceNamespace: String
    public var destinationWorkload: String
    public var destinationNamespace: String
    public var destinationService: String

    public init(
        sourceWorkload: String, sourceNamespace: String, destinationWorkload: String, destinationNamespace: String,
        destinationService: String
    ) {
        self.sourceWorkload = sourceWorkload
        self.sourceNamespace = sourceNamespace
        self.destinationWorkload = destinationWorkload
        self.destinationNamespace = destinationNamespace
        self.destinationService = destinationService
    }

    public init(labels: [String: String]) {
        self.init(
            sourceWorkload: labels["source_workload"] ?? "unknown",
            sourceNamespace: labels["source_workload_namespace"] ?? "unknown",
            destinationWorkload: labels["destination_workload"] ?? "unknown",
            destinationNamespace: labels["destination_workload_namespace"] ?? "unknown",
            destinationService: labels["destination_service"] ?? "unknown")
    }

    /// `namespace/workload`, as kubectl and linkerd viz name workloads.
    public var source: String { Self.name(sourceNamespace, sourceWorkload) }
    public var destination: String { Self.name(destinationNamespace, destinationWorkload) }

    private static func name(_ namespace: String, _ workload: String) -> String {
        if namespace == "unknown" && workload == "unknown" { return "unknown" }
        // The envoy profile knows no namespace unless the scrape adds one.
        return namespace.isEmpty ? workload : "\(namespace)/\(workload)"
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.source, a.destination, a.destinationService) < (b.source, b.destination, b.destinationService)
    }
}

/// The RED figures of one edge over the window; nil where Prometheus had no data.
public struct EdgeStats: Sendable, Equatable {
    public var key: EdgeKey
    /// Requests per second.
    public var rps: Double
    /// Share of requests that were not 5xx, nil without traffic.
    public var successRate: Double?
    public var p50: Double?
    public var p90: Double?
    public var p99: Double?
    /// Requests per second by response code.
    public var codes: [String: Double]
    /// Requests per second by response flags (other than "-").
    public var flags: [String: Double]
    /// TCP bytes per second.
    public var tcpSent: Double?
    public var tcpReceived: Double?
    /// The seconds the rates are over when the edge's series are younger than the window
    /// (its first minute under a 1m window); nil when they cover the whole window. A panel
    /// may mark such a rate as over a shorter span.
    public var rateSeconds: Double?

    public init(key: EdgeKey) {
        self.key = key
        rps = 0
        codes = [:]
        flags = [:]
    }
}

extension EdgeStats {
    /// The last step of every profile: each edge's percentiles from its buckets (buckets of
    /// edges without traffic are ignored) and its success rate from its codes, sorted.
    static func finished(_ edges: [EdgeKey: EdgeStats], buckets: [EdgeKey: [HistogramQuantile.Bucket]]) -> [EdgeStats] {
        var edges = edges
        for (key, edgeBuckets) in buckets where edges[key] != nil {
            edges[key]!.p50 = HistogramQuantile.quantile(0.5, edgeBuckets)
            edges[key]!.p90 = HistogramQuantile.quantile(0.9, edgeBuckets)
            edges[key]!.p99 = HistogramQuantile.quantile(0.99, edgeBuckets)
        }
        for key in edges.keys {
            let total = edges[key]!.codes.values.reduce(0, +)
            guard total > 0 else { continue }
            let failed = edges[key]!.codes.filter { $0.key.hasPrefix("5") }.values.reduce(0, +)
            edges[key]!.successRate = (total - failed) / total
        }
        return edges.values.sorted { $0.key < $1.key }
    }
}
