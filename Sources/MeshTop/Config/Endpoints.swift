import Collectors

/// What `top`, `snapshot` and `health` connect to, and how, once flags, environment and
/// config file are resolved (`EndpointOptions.resolve`): plain data, nothing started yet.
/// A port-forward is named here as the service to reach; `open()` starts it.
struct Endpoints: Sendable, Equatable {
    /// A cluster service reached through `kubectl port-forward` on a port kubectl picks.
    struct Forward: Sendable, Equatable {
        var namespace: String
        var service: String
        var port: Int
    }

    enum Prometheus: Sendable, Equatable {
        case url(String)
        /// No URL given: forwarded to when kubectl has a context, else none.
        case forwardWithContext(Forward)
    }

    enum Etcd: Sendable, Equatable {
        case url(String)
        case forward(Forward)
    }

    /// Istio's addon installs Prometheus as istio-system/prometheus.
    static let istioPrometheus = Forward(namespace: "istio-system", service: "prometheus", port: 9090)

    var prometheus: Prometheus = .forwardWithContext(istioPrometheus)
    var prometheusToken: String?
    /// Sent with every Prometheus request.
    var prometheusHeaders: [HeaderField] = []
    /// nil: detected at the first poll.
    var prometheusKind: PrometheusKind?
    var etcd: [Etcd] = []
    var etcdTLS: CurlTLS?
    var service: String?
    /// kubectl's `--context`; nil for its current one.
    var context: String?
    /// The app's namespace, for the Kubernetes checks.
    var namespace = "default"
    var interval: Duration = .seconds(1)
    var queries = IstioQueries()
    var envoyQueries = EnvoyQueries()
    var profile: MetricsProfile.Choice = .auto
    var grpcFailures = GRPCFailures.standard
    /// A request's link into a tracing UI (`TracingLink`), nil when none is configured.
    var tracingURL: TracingLink?
    var thresholds = HealthThresholds()
    /// The largest HTTP answer read from any of them.
    var maxAnswerBytes = CurlRequest.defaultMaxResponseBytes
}
