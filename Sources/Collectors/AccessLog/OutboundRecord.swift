/// The client-side line of a request, as the caller's sidecar would write it (direction
/// outbound, cluster `outbound|PORT||HOST`, the request's x-request-id), for the clients
/// that have no sidecar of their own: `meshtop load --access-log` and storage-service's
/// calls to etcd. meshtop pairs such a line with the server's inbound one like any other.
///
/// What stays the same for every request to one target is filled in once; `record` adds
/// one exchange's outcome.
public struct OutboundRecord: Sendable {
    /// `meshtop load`'s user agent, by which the ledger knows the load's own lines.
    public static let loadUserAgent = "meshtop-load"

    private var template = AccessLogRecord()

    /// - Parameters:
    ///   - authority: host:port as sent (`:authority`, and the upstream host).
    ///   - host, port: the cluster's name, `outbound|port||host`.
    ///   - requestBytes: the body sent, when every request sends the same.
    ///   - origin: where the line comes from, for the dashboard's own records.
    public init(
        method: String, path: String, authority: String, host: String, port: Int, userAgent: String,
        requestBytes: Int = 0, origin: String? = nil
    ) {
        template.method = method
        template.path = path
        template.protocol = "HTTP/1.1"
        template.authority = authority
        template.upstreamHost = authority
        template.upstreamCluster = "outbound|\(port)||\(host)"
        template.userAgent = userAgent
        template.bytesReceived = requestBytes
        template.routeName = "default"
        template.direction = .outbound
        template.origin = origin
    }

    /// One exchange: the answer's status, or the failure that left it without one.
    /// - Parameters:
    ///   - responseBytes: the answer's body bytes (Envoy's bytes sent, to the caller).
    ///   - requestBytes: the body sent, where it differs between requests.
    ///   - upstreamMilliseconds: the time the request was out (x-envoy-upstream-service-time),
    ///     where the caller's own time is part of the duration (the load's queue); else the duration.
    public func record(
        startTime: String, status: Int, failure: TransferFailure?, responseBytes: Int, durationMilliseconds: Int,
        requestID: String?, requestBytes: Int? = nil, upstreamMilliseconds: Int? = nil
    ) -> AccessLogRecord {
        var record = template
        record.startTime = startTime
        record.requestID = requestID
        record.duration = durationMilliseconds
        record.bytesSent = responseBytes
        if let requestBytes { record.bytesReceived = requestBytes }
        if let failure {
            // Envoy writes 0 when no answer came, and its flag and details say why.
            record.responseCode = 0
            record.responseFlags = failure.responseFlag
            record.responseCodeDetails = failure.responseCodeDetails
        } else {
            record.responseCode = status
            record.responseCodeDetails = "via_upstream"
            record.upstreamServiceTime = upstreamMilliseconds ?? durationMilliseconds
        }
        return record
    }
}
