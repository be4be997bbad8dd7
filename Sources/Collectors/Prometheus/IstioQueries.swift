/// The PromQL meshtop asks Prometheus, from Istio's standard metrics, per edge
/// (source workload → destination workload, destination service), over a window.
///
/// Each query is a template: `{window}`, `{reporter}` and `{edge}` (the edge labels) are
/// filled in, so a config file can replace one without repeating the rest.
public struct IstioQueries: Sendable, Equatable {
    public enum Reporter: String, Sendable, CaseIterable {
        case source, destination
    }

    public static let edgeLabels =
        "source_workload, source_workload_namespace, destination_workload, destination_workload_namespace, destination_service"

    /// Five queries a poll: `traffic` gives rates, codes, flags and the success rate;
    /// `buckets` gives the percentiles (computed here, `HistogramQuantile`); `span` the
    /// rate of an edge younger than the window (`RateSpan`).
    public static let defaultTemplates: [String: String] = [
        "traffic": #"sum by ({edge}, response_code, response_flags) (rate(istio_requests_total{reporter="{reporter}"}[{window}]))"#,
        "buckets": #"sum by (le, {edge}) (rate(istio_request_duration_milliseconds_bucket{reporter="{reporter}"}[{window}]))"#,
        "tcp_sent": #"sum by ({edge}) (rate(istio_tcp_sent_bytes_total{reporter="{reporter}"}[{window}]))"#,
        "tcp_received": #"sum by ({edge}) (rate(istio_tcp_received_bytes_total{reporter="{reporter}"}[{window}]))"#,
        RateSpan.query: RateSpan.template(#"istio_requests_total{reporter="{reporter}"}"#),
    ]

    public static var names: [String] { defaultTemplates.keys.sorted() }

    public let window: String
    public let reporter: Reporter
    /// Templates from the config file, by name; the others keep their default.
    public let overrides: [String: String]
    /// Every query filled in once: the dashboard asks them every second.
    private let filled: [String: String]

    public init(window: String = "1m", reporter: Reporter = .destination, overrides: [String: String] = [:]) {
        self.window = window
        self.reporter = reporter
        self.overrides = overrides
        filled = QueryTemplates.fill(
            Self.defaultTemplates, overrides: overrides, edge: Self.edgeLabels, window: window,
            more: [("{reporter}", reporter.rawValue)])
    }

    /// The PromQL of a named query.
    public func promql(_ name: String) -> String { filled[name] ?? "" }
}
