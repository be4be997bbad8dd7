/// The PromQL meshtop asks Prometheus, from Istio's standard metrics, per edge
/// (source workload → destination workload, destination service), over a window.
///
/// Each query is a template: `{window}`, `{reporter}` (a regex of reporters) and `{edge}`
/// (the edge labels) are filled in, so a config file can replace one without repeating the rest.
public struct IstioQueries: Sendable, Equatable {
    /// Which proxy's view of an edge: `reporter` on Istio's metrics.
    public enum Reporter: String, Sendable, CaseIterable {
        /// Per edge the destination's view, or a waypoint's where the destination reports
        /// no requests (ambient mode: ztunnel sees connections, the waypoint sees requests),
        /// or the source's where neither reports it (a call out of the mesh, or to a workload
        /// whose proxy has no Istio telemetry).
        case auto
        case destination, source, waypoint

        /// The `reporter=~` regex.
        public var matcher: String { self == .auto ? "destination|waypoint" : rawValue }

        /// Under auto, the reporter that fills in the edges `matcher`'s reporters leave out.
        /// It is asked apart and joined with `or on (edge)`, so an edge both ends report costs
        /// Prometheus the lookup but adds nothing to the answer.
        public var fallback: String? { self == .auto ? "source" : nil }

        /// The dashboard's `r` order.
        public var next: Reporter {
            let all = Self.allCases
            return all[(all.firstIndex(of: self)! + 1) % all.count]
        }

        /// Under auto, which of two reporters of one edge is taken.
        static func preferred(_ a: String, over b: String) -> Bool {
            let order = ["destination", "waypoint", "source"]
            return (order.firstIndex(of: a) ?? order.count) < (order.firstIndex(of: b) ?? order.count)
        }
    }

    /// The labels that make an edge, with `reporter` so auto can take one reporter per edge,
    /// and the clusters so a multi-cluster mesh's edges stay apart.
    public static let edgeLabels = "reporter, " + edgeIdentity

    /// The labels that name an edge whoever reports it: what auto's fallback is matched on.
    public static let edgeIdentity =
        "source_workload, source_workload_namespace, source_cluster, destination_workload, destination_workload_namespace, destination_cluster, destination_service"

    /// Five queries a poll. `traffic` gives rates, codes, flags, gRPC statuses, mTLS and the
    /// success rate; `buckets` the percentiles (computed here, `HistogramQuantile`); `tcp`
    /// bytes and connections, and `messages` gRPC stream messages, each several counters in
    /// one request (the `meshtop` label says which); `span` the rate of an edge younger than
    /// the window (`RateSpan`).
    public static let defaultTemplates: [String: String] = [
        "traffic":
            #"sum by ({edge}, request_protocol, response_code, response_flags, grpc_response_status, connection_security_policy) (rate(istio_requests_total{reporter=~"{reporter}"}[{window}]))"#,
        "buckets": #"sum by (le, {edge}) (rate(istio_request_duration_milliseconds_bucket{reporter=~"{reporter}"}[{window}]))"#,
        "tcp": tagged([
            ("sent", "istio_tcp_sent_bytes_total"), ("received", "istio_tcp_received_bytes_total"),
            ("opened", "istio_tcp_connections_opened_total"), ("closed", "istio_tcp_connections_closed_total"),
        ]),
        "messages": tagged([("request", "istio_request_messages_total"), ("response", "istio_response_messages_total")]),
        RateSpan.query: RateSpan.template(#"istio_requests_total{reporter=~"{reporter}"}"#),
    ]

    /// Several counters' per-edge rates in one query, each tagged with its part.
    private static func tagged(_ parts: [(tag: String, metric: String)]) -> String {
        parts.map { part in
            #"label_replace(sum by ({edge}, connection_security_policy) (rate(\#(part.metric){reporter=~"{reporter}"}[{window}])), "meshtop", "\#(part.tag)", "", "")"#
        }.joined(separator: " or ")
    }

    public static var names: [String] { defaultTemplates.keys.sorted() }

    public let window: String
    public let reporter: Reporter
    /// Templates from the config file, by name; the others keep their default.
    public let overrides: [String: String]
    /// Every query filled in once: the dashboard asks them every second.
    private let filled: [String: String]

    public init(window: String = "1m", reporter: Reporter = .auto, overrides: [String: String] = [:]) {
        self.window = window
        self.reporter = reporter
        self.overrides = overrides
        let fill = { (reporters: String) in
            QueryTemplates.fill(
                Self.defaultTemplates, overrides: overrides, edge: Self.edgeLabels, window: window, more: [("{reporter}", reporters)])
        }
        let primary = fill(reporter.matcher)
        guard let fallback = reporter.fallback else {
            filled = primary
            return
        }
        let more = fill(fallback)
        // A template without `{reporter}` reads the same either way and stays as it is.
        filled = Dictionary(
            uniqueKeysWithValues: primary.map { name, query in
                guard let other = more[name], other != query else { return (name, query) }
                return (name, "(\(query)) or on (\(Self.edgeIdentity)) (\(other))")
            })
    }

    /// The PromQL of a named query.
    public func promql(_ name: String) -> String { filled[name] ?? "" }
}
