import Collectors
import CoreMetrics
import Hummingbird
import Prometheus
import Synchronization

/// Metrics and access-log lines for inbound requests and etcd calls. One instance per
/// application, with its own registry, so tests can run several side by side.
final class Telemetry: EtcdCallObserver, Sendable {
    /// Envoy's default histogram buckets for istio_request_duration_milliseconds.
    static let envoyBuckets: [Double] = [
        0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
    ]

    /// Routes that istio-proxy's stats filter never sees called from outside the mesh:
    /// Prometheus scrapes the agent's merged metrics port and kubelet's probes are rewritten
    /// to the agent, both around Envoy. Without a caller's peer metadata they are not counted
    /// in the stand-in's Istio metrics, or the ledger would find requests no proxy logged.
    static let aroundTheProxy: Set<String> = ["/metrics", "/healthz", "/readyz"]

    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let accessLog: AccessLogSink?
    private let writer = AccessLogWriter(format: IstioFormats.istio)
    private let istioMetrics: Bool
    private let identity: ServiceIdentity
    private let handles = Mutex<[HandleKey: Handles]>([:])

    private struct HandleKey: Hashable {
        var family: String
        var labels: [String]
    }

    private struct Handles: Sendable {
        var counter: CoreMetrics.Counter
        var timer: CoreMetrics.Timer?
        var recorder: CoreMetrics.Recorder?
    }

    init(accessLog: AccessLogSink?, istioMetrics: Bool, identity: ServiceIdentity) {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["istio_request_duration_milliseconds"] = Self.envoyBuckets
        self.factory = factory
        self.accessLog = accessLog
        self.istioMetrics = istioMetrics
        self.identity = identity
    }

    func metricsResponse() -> Response {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 << 10)
        registry.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }

    // MARK: inbound

    struct Inbound {
        var startTime: String
        var durationSeconds: Double
        var method: String
        var path: String
        var route: String
        var status: Int
        var bytesReceived: Int
        var bytesSent: Int
        var requestID: String
        var userAgent: String?
        var forwardedFor: String?
        var authority: String?
        var localAddress: String?
        var localPort: Int?
        var remoteAddress: String?
        /// The calling workload, when its proxy said (Istio's peer metadata).
        var peer: PeerIdentity? = nil
    }

    func inboundFinished(_ request: Inbound) {
        let status = String(request.status)
        let http = handles(
            "storage_http_requests_total", [request.route, request.method, status],
            labelNames: ["route", "method", "status"], timer: "storage_http_request_duration_seconds")
        http.counter.increment()
        http.timer?.recordNanoseconds(Int64(request.durationSeconds * 1e9))

        let milliseconds = Int(request.durationSeconds * 1_000)
        if istioMetrics, request.peer != nil || !Self.aroundTheProxy.contains(request.route) {
            let labels = istioLabels(
                reporter: "destination", source: request.peer.map { ($0.workload, $0.namespace) }, destination: identity.workload,
                destinationNamespace: identity.namespace, service: identity.serviceHost, serviceName: identity.workload,
                code: status, flags: "-")
            recordIstio(labels, milliseconds: request.durationSeconds * 1_000)
        }
        guard let accessLog else { return }
        var record = AccessLogRecord()
        record.startTime = request.startTime
        record.method = request.method
        record.path = request.path
        record.protocol = "HTTP/1.1"
        record.responseCode = request.status
        record.responseCodeDetails = "via_upstream"
        record.bytesReceived = request.bytesReceived
        record.bytesSent = request.bytesSent
        record.duration = milliseconds
        record.upstreamServiceTime = milliseconds
        record.xForwardedFor = request.forwardedFor
        record.userAgent = request.userAgent
        record.requestID = request.requestID
        record.authority = request.authority
        record.upstreamHost = request.localAddress
        record.upstreamCluster = "inbound|\(request.localPort.map(String.init) ?? "")||"
        record.downstreamLocalAddress = request.localAddress
        record.downstreamRemoteAddress = request.remoteAddress
        record.routeName = "default"
        record.direction = .inbound
        accessLog.write(writer.line(for: record))
    }

    // MARK: etcd calls

    func etcdCallFinished(_ call: EtcdCall) {
        let (status, failure): (Int, TransferFailure?) =
            switch call.outcome {
            case .answered(let status): (status, nil)
            case .failed(let failure): (0, failure)
            }
        let outcome = failure?.label ?? String(status)
        let etcd = handles(
            "storage_etcd_requests_total", [call.operation, outcome], labelNames: ["operation", "outcome"],
            timer: "storage_etcd_request_duration_seconds")
        etcd.counter.increment()
        etcd.timer?.recordNanoseconds(Int64(call.durationSeconds * 1e9))
        if failure != nil || status >= 500 {
            handles("storage_etcd_errors_total", [call.operation, outcome], labelNames: ["operation", "kind"]).counter
                .increment()
        }
        if istioMetrics {
            let labels = istioLabels(
                reporter: "source", source: (identity.workload, identity.namespace), destination: nil, destinationNamespace: nil,
                service: identity.etcdService ?? call.endpoint.host,
                serviceName: identity.etcdService.map { String($0.prefix { $0 != "." }) } ?? call.endpoint.host, code: String(status),
                flags: failure?.responseFlag ?? "-")
            recordIstio(labels, milliseconds: call.durationSeconds * 1_000)
        }
        guard let accessLog else { return }
        let outbound = OutboundRecord(
            method: call.method, path: call.path, authority: call.endpoint.hostPort, host: call.endpoint.host,
            port: call.endpoint.port, userAgent: "storage-service")
        let record = outbound.record(
            startTime: call.startTime, status: status, failure: failure, responseBytes: call.bytesReceived,
            durationMilliseconds: Int(call.durationSeconds * 1_000), requestID: call.requestID, requestBytes: call.bytesSent)
        accessLog.write(writer.line(for: record))
    }

    // MARK: helpers

    private static let istioLabelNames = [
        "reporter", "source_workload", "source_workload_namespace", "source_principal", "source_app",
        "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
        "destination_service", "destination_service_name", "destination_service_namespace", "request_protocol",
        "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
    ]

    private func istioLabels(
        reporter: String, source: (workload: String, namespace: String)?, destination: String?, destinationNamespace: String?,
        service: String, serviceName: String, code: String, flags: String
    ) -> [String] {
        let workload = source?.workload ?? "unknown"
        return [
            reporter, workload, source?.namespace ?? "unknown", "unknown", workload,
            destination ?? "unknown", destinationNamespace ?? "unknown", "unknown", destination ?? "unknown",
            service, serviceName, destinationNamespace ?? "unknown", "http", code, "", flags, "none",
        ]
    }

    private func recordIstio(_ labels: [String], milliseconds: Double) {
        let istio = handles(
            "istio_requests_total", labels, labelNames: Self.istioLabelNames,
            recorder: "istio_request_duration_milliseconds")
        istio.counter.increment()
        istio.recorder?.record(milliseconds)
    }

    /// Metric objects are looked up once per label set; creating them per request would
    /// take the registry's lock and rebuild label keys on every call.
    private func handles(
        _ family: String, _ labels: [String], labelNames: [String], timer: String? = nil, recorder: String? = nil
    ) -> Handles {
        let key = HandleKey(family: family, labels: labels)
        if let cached = self.handles.withLock({ $0[key] }) { return cached }
        let dimensions = Array(zip(labelNames, labels))
        let made = Handles(
            counter: CoreMetrics.Counter(label: family, dimensions: dimensions, factory: factory),
            timer: timer.map { CoreMetrics.Timer(label: $0, dimensions: dimensions, factory: factory) },
            recorder: recorder.map { CoreMetrics.Recorder(label: $0, dimensions: dimensions, aggregate: true, factory: factory) })
        return self.handles.withLock { cache in
            if let raced = cache[key] { return raced }
            cache[key] = made
            return made
        }
    }
}
