/// Who called whom: Istio's workload labels of both ends, their clusters and the destination
/// service (the envoy profile fills them from the scraped workload and the cluster, `EnvoyCluster`).
public struct EdgeKey: Hashable, Sendable, Comparable {
    public var sourceWorkload: String
    public var sourceNamespace: String
    public var destinationWorkload: String
    public var destinationNamespace: String
    public var destinationService: String
    /// `source_cluster` and `destination_cluster`, empty where the series have none.
    public var sourceCluster: String
    public var destinationCluster: String

    public init(
        sourceWorkload: String, sourceNamespace: String, destinationWorkload: String, destinationNamespace: String,
        destinationService: String, sourceCluster: String = "", destinationCluster: String = ""
    ) {
        self.sourceWorkload = sourceWorkload
        self.sourceNamespace = sourceNamespace
        self.destinationWorkload = destinationWorkload
        self.destinationNamespace = destinationNamespace
        self.destinationService = destinationService
        self.sourceCluster = sourceCluster
        self.destinationCluster = destinationCluster
    }

    public init(labels: [String: String]) {
        self.init(
            sourceWorkload: labels["source_workload"] ?? "unknown",
            sourceNamespace: labels["source_workload_namespace"] ?? "unknown",
            destinationWorkload: labels["destination_workload"] ?? "unknown",
            destinationNamespace: labels["destination_workload_namespace"] ?? "unknown",
            destinationService: labels["destination_service"] ?? "unknown",
            sourceCluster: labels["source_cluster"] ?? "", destinationCluster: labels["destination_cluster"] ?? "")
    }

    /// `namespace/workload`, as kubectl and linkerd viz name workloads.
    public var source: String { Self.name(sourceNamespace, sourceWorkload) }
    public var destination: String { Self.name(destinationNamespace, destinationWorkload) }

    /// The names with `@cluster` after them, for a mesh of several clusters.
    public var sourceInCluster: String { Self.inCluster(source, sourceCluster) }
    public var destinationInCluster: String { Self.inCluster(destination, destinationCluster) }

    private static func name(_ namespace: String, _ workload: String) -> String {
        if namespace == "unknown" && workload == "unknown" { return "unknown" }
        // The envoy profile knows no namespace unless the scrape adds one.
        return namespace.isEmpty ? workload : "\(namespace)/\(workload)"
    }

    private static func inCluster(_ name: String, _ cluster: String) -> String {
        cluster.isEmpty || cluster == "unknown" ? name : "\(name)@\(cluster)"
    }

    /// Whether the edges span more than one cluster: only then are clusters worth a glance.
    public static func spanClusters(_ keys: some Sequence<EdgeKey>) -> Bool {
        var seen: String?
        for key in keys where differs(key.sourceCluster, &seen) || differs(key.destinationCluster, &seen) { return true }
        return false
    }

    /// The same of the edges' keys, read in place: the Traffic panel asks every frame, and a
    /// copy of each of a thousand edges costs more than the rest of its frame.
    public static func spanClusters(_ edges: [EdgeStats]) -> Bool {
        var seen: String?
        for index in edges.indices
        where differs(edges[index].key.sourceCluster, &seen) || differs(edges[index].key.destinationCluster, &seen) {
            return true
        }
        return false
    }

    /// A cluster other than the one seen so far; an unnamed one is no cluster.
    private static func differs(_ cluster: String, _ seen: inout String?) -> Bool {
        guard !cluster.isEmpty, cluster != "unknown" else { return false }
        if let seen, seen != cluster { return true }
        seen = cluster
        return false
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.source, a.destination, a.destinationService, a.sourceCluster, a.destinationCluster)
            < (b.source, b.destination, b.destinationService, b.sourceCluster, b.destinationCluster)
    }
}

/// The RED figures of one edge over the window; nil where Prometheus had no data.
public struct EdgeStats: Sendable, Equatable {
    public var key: EdgeKey
    /// Requests per second.
    public var rps: Double
    /// Requests per second that failed: a 5xx, or a gRPC status of `GRPCFailures`.
    public var failed: Double
    /// Share of requests that did not fail, nil without traffic.
    public var successRate: Double?
    public var p50: Double?
    public var p90: Double?
    public var p99: Double?
    /// Requests per second by response code.
    public var codes: [String: Double]
    /// Requests per second by response flags (other than "-").
    public var flags: [String: Double]
    /// gRPC calls per second by `grpc_response_status` (a number), gRPC requests only.
    public var grpcStatuses: [String: Double]
    /// gRPC stream messages per second, sent by the client and by the server.
    public var requestMessages: Double?
    public var responseMessages: Double?
    /// TCP bytes per second.
    public var tcpSent: Double?
    public var tcpReceived: Double?
    /// TCP connections opened and closed per second.
    public var tcpOpened: Double?
    public var tcpClosed: Double?
    /// The share of requests (of connections, for an edge without requests) that came
    /// over mutual TLS; nil where the reporter does not know (`unknown`, a source reporter).
    public var mutualTLS: Double?
    /// The reporter whose series these are (`destination`, `waypoint`, `source`).
    public var reporter: String?
    /// The seconds the rates are over when the edge's series are younger than the window
    /// (its first minute under a 1m window); nil when they cover the whole window. A panel
    /// may mark such a rate as over a shorter span.
    public var rateSeconds: Double?

    public init(key: EdgeKey) {
        self.key = key
        rps = 0
        failed = 0
        codes = [:]
        flags = [:]
        grpcStatuses = [:]
    }

    /// TCP traffic only: connections and bytes, no HTTP or gRPC request.
    public var isTCPOnly: Bool { rps == 0 && (tcpOpened != nil || tcpSent != nil || tcpReceived != nil) }

    /// Every per-second figure multiplied (an edge younger than the window, `RateSpan`);
    /// ratios and percentiles stay.
    public func scaled(by multiplier: Double) -> EdgeStats {
        var scaled = self
        func times(_ value: Double?) -> Double? { value.map { $0 * multiplier } }
        scaled.rps *= multiplier
        scaled.failed *= multiplier
        scaled.codes = codes.mapValues { $0 * multiplier }
        scaled.flags = flags.mapValues { $0 * multiplier }
        scaled.grpcStatuses = grpcStatuses.mapValues { $0 * multiplier }
        scaled.requestMessages = times(requestMessages)
        scaled.responseMessages = times(responseMessages)
        scaled.tcpSent = times(tcpSent)
        scaled.tcpReceived = times(tcpReceived)
        scaled.tcpOpened = times(tcpOpened)
        scaled.tcpClosed = times(tcpClosed)
        return scaled
    }
}

extension EdgeStats {
    /// The last step of every profile: each edge's percentiles from its buckets (buckets of
    /// edges without traffic are ignored) and its success rate from its failures, sorted.
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
            edges[key]!.successRate = max(0, total - edges[key]!.failed) / total
        }
        return edges.values.sorted { $0.key < $1.key }
    }
}
