/// Which metrics meshtop reads from Prometheus, and how their answers become edges: one
/// collector path for both, the profile says what differs.
public struct MetricsProfile: Sendable, Equatable {
    public enum Name: String, Sendable, CaseIterable {
        /// istio-proxy's stats filter: `istio_requests_total` and its histogram.
        case istio
        /// Envoy's per-cluster stats: `envoy_cluster_upstream_rq*`.
        case envoy

        /// The series whose presence says the profile has data.
        public var seriesMetric: String {
            switch self {
            case .istio: "istio_requests_total"
            case .envoy: EnvoyQueries.seriesMetric
            }
        }

        public var title: String {
            switch self {
            case .istio: "Istio"
            case .envoy: "Envoy"
            }
        }

        /// The Traffic panel's and the snapshot's line when the series are absent.
        public var noSeries: String { "no \(title) series (\(seriesMetric)) in Prometheus" }
    }

    /// `--profile`: one profile, or `auto`, which takes the one whose series Prometheus has.
    public enum Choice: String, Sendable, CaseIterable {
        case istio, envoy, auto

        public var fixed: Name? { Name(rawValue: rawValue) }

        /// The `P` key's order.
        public var next: Choice {
            switch self {
            case .istio: .envoy
            case .envoy: .auto
            case .auto: .istio
            }
        }

        /// With auto and neither profile's series there.
        public static let noSeries =
            "no Istio or Envoy series (\(Name.istio.seriesMetric), \(Name.envoy.seriesMetric)) in Prometheus"
    }

    public let name: Name
    public let names: [String]
    private let promqls: [String: String]
    /// The query whose series add up to an edge's request rate, for the sparklines' history.
    public let rateQuery: String

    /// The window's seconds and the `age` query's step, for `RateSpan`.
    public let windowSeconds: Double?
    private let resolutionSeconds: Double

    public static func istio(_ queries: IstioQueries, grpcFailures: GRPCFailures = .standard) -> MetricsProfile {
        MetricsProfile(
            name: .istio,
            promqls: Dictionary(uniqueKeysWithValues: IstioQueries.names.map { ($0, queries.promql($0)) }), rateQuery: "traffic",
            edgeLabels: IstioQueries.edgeLabels, window: queries.window, grpcFailures: grpcFailures)
    }

    public static func envoy(_ queries: EnvoyQueries) -> MetricsProfile {
        MetricsProfile(
            name: .envoy,
            promqls: Dictionary(uniqueKeysWithValues: EnvoyQueries.names.map { ($0, queries.promql($0)) }), rateQuery: "codes",
            edgeLabels: EnvoyQueries.edgeLabels, window: queries.window)
    }

    /// Which gRPC statuses are failures (the istio profile: Envoy's stats have no gRPC status).
    public let grpcFailures: GRPCFailures

    /// The labels that make an edge (`{edge}`), for queries that sum everything else away.
    public let edgeLabels: String

    private init(
        name: Name, promqls: [String: String], rateQuery: String, edgeLabels: String, window: String,
        grpcFailures: GRPCFailures = .standard
    ) {
        self.edgeLabels = edgeLabels
        self.name = name
        self.grpcFailures = grpcFailures
        self.promqls = promqls
        names = promqls.keys.sorted()
        self.rateQuery = rateQuery
        windowSeconds = RateSpan.seconds(window)
        resolutionSeconds = RateSpan.seconds(RateSpan.resolution(window: window)) ?? 1
    }

    public func promql(_ query: String) -> String { promqls[query] ?? "" }

    /// The edge a series belongs to; nil for series that are not traffic (Envoy's control clusters).
    public func key(_ labels: [String: String]) -> EdgeKey? {
        switch name {
        case .istio: EdgeKey(labels: labels)
        case .envoy: EnvoyCluster.edge(labels: labels)
        }
    }

    /// The edges of one round's answers, those younger than the window with their rates
    /// over the seconds their series have existed (`RateSpan`).
    public func edges(from answers: [String: PrometheusAnswer]) -> [EdgeStats] {
        let edges =
            switch name {
            case .istio: IstioEdges.edges(from: answers, grpcFailures: grpcFailures)
            case .envoy: EnvoyEdges.edges(from: answers)
            }
        guard let windowSeconds, var span = answers[RateSpan.query] else { return edges }
        // The span of both reporters of one edge would scale its rates twice over.
        if name == .istio { span = IstioEdges.oneReporterPerEdge(span) }
        return RateSpan.scaled(
            edges, ages: RateSpan.perEdge(span, .age, key: key, max), rates: RateSpan.perEdge(span, .young, key: key, +),
            window: windowSeconds, floor: resolutionSeconds)
    }
}
