/// The PromQL of the `envoy` profile: Envoy's own per-cluster counters and histogram, which
/// every Envoy has (upstream Envoy, Envoy Gateway, Contour, istio-proxy with cluster stats on),
/// where `istio_requests_total` needs istio-proxy's stats filter.
///
/// Templates as in `IstioQueries`: `{window}` and `{edge}` are filled in, and a config file
/// (`envoy_queries:`) may replace any of them by name.
public struct EnvoyQueries: Sendable, Equatable {
    /// The scraped workload (`workload` if the scrape adds it, else Prometheus's `job`) and
    /// the cluster, under both names it goes by: `envoy_cluster_name` with Envoy's default
    /// stats tags, `cluster_name` with Istio's (its bootstrap sets `use_all_default_tags: false`).
    public static let edgeLabels = "job, workload, namespace, envoy_cluster_name, cluster_name"

    /// The counter whose series say that Envoy's cluster stats are in Prometheus.
    public static let seriesMetric = "envoy_cluster_upstream_rq_total"

    /// Envoy's failure counters and the Istio response flag each one stands for: Envoy counts
    /// what its access log would flag, so the flags column reads the same in both profiles.
    public static let flagCounters: [(counter: String, flag: String)] = [
        ("upstream_cx_connect_fail", "UF"),
        ("upstream_rq_timeout", "UT"),
        ("upstream_rq_retry", "URX"),
        ("upstream_rq_pending_overflow", "UO"),
        ("upstream_cx_none_healthy", "UH"),
    ]

    /// Four queries a poll. `span`: as the istio profile's, from the per-code counters, which
    /// Envoy makes at a code's first answer. `codes`: the per-code counter `envoy_cluster_upstream_rq`; with
    /// Istio's stats tags the per-class counts share that name (`response_code_class="2xx"`),
    /// so only series without a class are summed, or every request would count twice.
    /// `flags`: one query for the five counters, each series labelled with its counter.
    public static let defaultTemplates: [String: String] = [
        "codes":
            #"sum by ({edge}, envoy_response_code, response_code) (rate(envoy_cluster_upstream_rq{response_code_class=""}[{window}]))"#,
        "buckets": #"sum by (le, {edge}) (rate(envoy_cluster_upstream_rq_time_bucket[{window}]))"#,
        "flags": flagCounters.map { counter, _ in
            #"label_replace(sum by ({edge}) (rate(envoy_cluster_\#(counter)[{window}])), "counter", "\#(counter)", "", "")"#
        }.joined(separator: " or "),
        RateSpan.query: RateSpan.template(#"envoy_cluster_upstream_rq{response_code_class=""}"#),
    ]

    public static var names: [String] { defaultTemplates.keys.sorted() }

    public let window: String
    public let overrides: [String: String]
    private let filled: [String: String]

    public init(window: String = "1m", overrides: [String: String] = [:]) {
        self.window = window
        self.overrides = overrides
        filled = QueryTemplates.fill(Self.defaultTemplates, overrides: overrides, edge: Self.edgeLabels, window: window)
    }

    public func promql(_ name: String) -> String { filled[name] ?? "" }
}
