/// One access-log line as a value: the server side or the client side of one request.
///
/// Absent values ("-" on the wire) are nil. Durations are whole milliseconds, as Envoy
/// writes them.
public struct AccessLogRecord: Sendable, Equatable {
    public enum Direction: String, Sendable {
        case inbound, outbound, unknown
    }

    public var startTime: String?
    public var method: String?
    public var path: String?
    public var `protocol`: String?
    public var responseCode: Int?
    public var responseFlags: String?
    public var responseCodeDetails: String?
    public var connectionTerminationDetails: String?
    public var upstreamTransportFailureReason: String?
    public var bytesReceived: Int?
    public var bytesSent: Int?
    public var duration: Int?
    public var upstreamServiceTime: Int?
    public var xForwardedFor: String?
    public var userAgent: String?
    public var requestID: String?
    public var authority: String?
    public var upstreamHost: String?
    public var upstreamCluster: String?
    public var upstreamLocalAddress: String?
    public var downstreamLocalAddress: String?
    public var downstreamRemoteAddress: String?
    public var requestedServerName: String?
    public var routeName: String?
    public var direction: Direction = .unknown
    public var source: String?

    public init() {}

    /// The value as it is written in a TEXT line; nil is written as "-".
    public func text(for field: AccessLogField) -> String? {
        switch field {
        case .startTime: startTime
        case .method: method
        case .path: path
        case .protocol: self.protocol
        case .responseCode: responseCode.map(String.init)
        case .responseFlags: responseFlags
        case .responseCodeDetails: responseCodeDetails
        case .connectionTerminationDetails: connectionTerminationDetails
        case .upstreamTransportFailureReason: upstreamTransportFailureReason
        case .bytesReceived: bytesReceived.map(String.init)
        case .bytesSent: bytesSent.map(String.init)
        case .duration: duration.map(String.init)
        case .upstreamServiceTime: upstreamServiceTime.map(String.init)
        case .xForwardedFor: xForwardedFor
        case .userAgent: userAgent
        case .requestID: requestID
        case .authority: authority
        case .upstreamHost: upstreamHost
        case .upstreamCluster: upstreamCluster
        case .upstreamLocalAddress: upstreamLocalAddress
        case .downstreamLocalAddress: downstreamLocalAddress
        case .downstreamRemoteAddress: downstreamRemoteAddress
        case .requestedServerName: requestedServerName
        case .routeName: routeName
        }
    }
}
