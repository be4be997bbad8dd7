/// Why an HTTP exchange got no answer, in one vocabulary for every client of the project:
/// the load generator's report and client log (libcurl), storage-service's calls to etcd
/// (AsyncHTTPClient) and the collectors' errors. Each kind carries the response flag and
/// details Envoy would write for the same failure, so a client-side line reads like the
/// sidecar's line of the same request.
public enum TransferFailure: String, Sendable, Hashable, CaseIterable {
    /// Nothing listened (connection refused, host unreachable).
    case connectRefused = "connect"
    /// The connection was not made within the connect timeout.
    case connectTimeout = "connect_timeout"
    /// The host name did not resolve.
    case dns
    /// The TLS handshake failed (certificate, protocol version, ...).
    case tls
    /// Connected, but the whole exchange did not finish within its timeout.
    case timeout
    /// The peer closed or reset the connection before the answer was complete.
    case reset
    /// The answer was larger than the client accepts; the client stopped reading.
    case tooLarge = "too_large"
    /// The peer's bytes were not HTTP, or the URL's scheme is not http or https.
    case protocolError = "protocol"
    case other

    /// The word in the load report's errors and storage-service's metric labels.
    public var label: String { rawValue }

    /// Envoy's `%RESPONSE_FLAGS%` for the same failure: UF (upstream connection failure,
    /// Envoy's flag for refused and timed-out connects and failed TLS handshakes alike), DF
    /// (DNS resolution failed), UT (upstream request timeout), UC (upstream connection
    /// termination), LR (reset locally: the client gave up on an oversized answer), UPE
    /// (upstream protocol error).
    public var responseFlag: String {
        switch self {
        case .connectRefused, .connectTimeout, .tls: "UF"
        case .dns: "DF"
        case .timeout: "UT"
        case .reset, .other: "UC"
        case .tooLarge: "LR"
        case .protocolError: "UPE"
        }
    }

    /// Envoy's `%RESPONSE_CODE_DETAILS%` for the same failure.
    public var responseCodeDetails: String {
        switch self {
        case .connectRefused, .tls: "upstream_reset_before_response_started{connection_failure}"
        case .connectTimeout: "upstream_reset_before_response_started{connection_timeout}"
        case .dns: "dns_resolution_failure"
        case .timeout: "upstream_response_timeout"
        case .reset, .other: "upstream_reset_before_response_started{connection_termination}"
        case .tooLarge: "response_payload_too_large"
        case .protocolError: "upstream_reset_before_response_started{protocol_error}"
        }
    }
}
