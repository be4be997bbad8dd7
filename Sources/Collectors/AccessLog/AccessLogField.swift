/// The fields of an access-log record; the raw value is the key in Istio's JSON encoding.
public enum AccessLogField: String, Sendable, CaseIterable {
    case startTime = "start_time"
    case method
    case path
    case `protocol`
    case responseCode = "response_code"
    case responseFlags = "response_flags"
    case responseCodeDetails = "response_code_details"
    case connectionTerminationDetails = "connection_termination_details"
    case upstreamTransportFailureReason = "upstream_transport_failure_reason"
    case bytesReceived = "bytes_received"
    case bytesSent = "bytes_sent"
    case duration
    case upstreamServiceTime = "upstream_service_time"
    case xForwardedFor = "x_forwarded_for"
    case userAgent = "user_agent"
    case requestID = "request_id"
    case authority
    case upstreamHost = "upstream_host"
    case upstreamCluster = "upstream_cluster"
    case upstreamLocalAddress = "upstream_local_address"
    case downstreamLocalAddress = "downstream_local_address"
    case downstreamRemoteAddress = "downstream_remote_address"
    case requestedServerName = "requested_server_name"
    case routeName = "route_name"

    /// The position of the field in `allCases`: parsers index their tables by it, on the hot path.
    public var ordinal: Int {
        switch self {
        case .startTime: 0
        case .method: 1
        case .path: 2
        case .`protocol`: 3
        case .responseCode: 4
        case .responseFlags: 5
        case .responseCodeDetails: 6
        case .connectionTerminationDetails: 7
        case .upstreamTransportFailureReason: 8
        case .bytesReceived: 9
        case .bytesSent: 10
        case .duration: 11
        case .upstreamServiceTime: 12
        case .xForwardedFor: 13
        case .userAgent: 14
        case .requestID: 15
        case .authority: 16
        case .upstreamHost: 17
        case .upstreamCluster: 18
        case .upstreamLocalAddress: 19
        case .downstreamLocalAddress: 20
        case .downstreamRemoteAddress: 21
        case .requestedServerName: 22
        case .routeName: 23
        }
    }

    public enum Unit: Sendable { case milliseconds, bytes }

    /// What a numeric field counts, as Envoy writes it.
    public var unit: Unit? {
        switch self {
        case .duration, .upstreamServiceTime: .milliseconds
        case .bytesReceived, .bytesSent: .bytes
        default: nil
        }
    }

    /// Written as a number; `-` or digits on the wire.
    public var isNumeric: Bool {
        switch self {
        case .responseCode, .bytesReceived, .bytesSent, .duration, .upstreamServiceTime: true
        default: false
        }
    }

    /// Free text from clients: the only values in which Envoy lets a raw `"` through.
    /// Any other field holding a quote means the line was split in the wrong place.
    public var mayContainQuote: Bool {
        switch self {
        case .path, .userAgent, .xForwardedFor, .upstreamTransportFailureReason, .connectionTerminationDetails: true
        default: false
        }
    }

    /// The field an Envoy operator fills, or nil for operators meshtop does not model.
    public init?(operator op: EnvoyOperator) {
        switch op.name {
        case "START_TIME": self = .startTime
        case "PROTOCOL": self = .protocol
        case "RESPONSE_CODE": self = .responseCode
        case "RESPONSE_FLAGS": self = .responseFlags
        case "RESPONSE_CODE_DETAILS": self = .responseCodeDetails
        case "CONNECTION_TERMINATION_DETAILS": self = .connectionTerminationDetails
        case "UPSTREAM_TRANSPORT_FAILURE_REASON": self = .upstreamTransportFailureReason
        case "BYTES_RECEIVED": self = .bytesReceived
        case "BYTES_SENT": self = .bytesSent
        case "DURATION": self = .duration
        case "UPSTREAM_HOST": self = .upstreamHost
        case "UPSTREAM_CLUSTER", "UPSTREAM_CLUSTER_RAW": self = .upstreamCluster
        case "UPSTREAM_LOCAL_ADDRESS": self = .upstreamLocalAddress
        case "DOWNSTREAM_LOCAL_ADDRESS": self = .downstreamLocalAddress
        case "DOWNSTREAM_REMOTE_ADDRESS": self = .downstreamRemoteAddress
        case "REQUESTED_SERVER_NAME": self = .requestedServerName
        case "ROUTE_NAME": self = .routeName
        case "REQ":
            switch op.headerNames.first {
            case ":method": self = .method
            case "x-envoy-original-path", ":path": self = .path
            case "x-forwarded-for": self = .xForwardedFor
            case "user-agent": self = .userAgent
            case "x-request-id": self = .requestID
            case ":authority", "host": self = .authority
            default: return nil
            }
        case "RESP":
            guard op.headerNames.first == "x-envoy-upstream-service-time" else { return nil }
            self = .upstreamServiceTime
        default:
            return nil
        }
    }
}
