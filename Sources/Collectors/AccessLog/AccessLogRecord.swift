#if canImport(Glibc)
import Glibc
#endif

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
    /// The input the line was read from: a file path, `namespace/pod`, `meshtop load`.
    public var origin: String?
    /// Fields meshtop does not model, by their JSON key (e.g. `istio_policy_status`), kept so
    /// nothing in a line is lost.
    public var extra: [String: String] = [:]
    /// Fields the line had beyond its format, and fields of the format it lacked at its end
    /// (a patch release's, an operator's or a shipper's difference; not in the JSON shape).
    public var extraFields = 0
    public var missingFields = 0
    /// The ztunnel connection this record was made of (`init(connection:)`), else nil.
    public var connection: ConnectionRecord?

    public init() {}

    public mutating func set(_ field: AccessLogField, text value: String?) {
        switch field {
        case .startTime: startTime = value
        case .method: method = value
        case .path: path = value
        case .protocol: self.protocol = value
        case .responseFlags: responseFlags = value
        case .responseCodeDetails: responseCodeDetails = value
        case .connectionTerminationDetails: connectionTerminationDetails = value
        case .upstreamTransportFailureReason: upstreamTransportFailureReason = value
        case .xForwardedFor: xForwardedFor = value
        case .userAgent: userAgent = value
        case .requestID: requestID = value
        case .authority: authority = value
        case .upstreamHost: upstreamHost = value
        case .upstreamCluster: upstreamCluster = value
        case .upstreamLocalAddress: upstreamLocalAddress = value
        case .downstreamLocalAddress: downstreamLocalAddress = value
        case .downstreamRemoteAddress: downstreamRemoteAddress = value
        case .requestedServerName: requestedServerName = value
        case .routeName: routeName = value
        case .responseCode, .bytesReceived, .bytesSent, .duration, .upstreamServiceTime:
            set(field, number: value.flatMap { Int($0) })
        }
    }

    public mutating func set(_ field: AccessLogField, number value: Int?) {
        switch field {
        case .responseCode: responseCode = value
        case .bytesReceived: bytesReceived = value
        case .bytesSent: bytesSent = value
        case .duration: duration = value
        case .upstreamServiceTime: upstreamServiceTime = value
        default: set(field, text: value.map(String.init))
        }
    }

    /// A numeric field's value (nil for any other field).
    public func number(for field: AccessLogField) -> Int? {
        switch field {
        case .responseCode: responseCode
        case .bytesReceived: bytesReceived
        case .bytesSent: bytesSent
        case .duration: duration
        case .upstreamServiceTime: upstreamServiceTime
        default: nil
        }
    }

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

extension AccessLogRecord.Direction {
    /// Istio names inbound clusters `inbound|PORT||…` and outbound ones `outbound|PORT||HOST`;
    /// formats without a cluster give only the upstream host, which is loopback (the app,
    /// or 127.0.0.6 for Istio's inbound passthrough) on the server side.
    public init(cluster: String?, upstreamHost: String?) {
        // An empty value reads like an absent one.
        var cluster = cluster ?? ""
        var host = upstreamHost ?? ""
        self = cluster.withUTF8 { c in host.withUTF8 { Self(cluster: c, upstreamHost: $0) } }
    }

    public init(cluster: UnsafeBufferPointer<UInt8>?, upstreamHost: UnsafeBufferPointer<UInt8>?) {
        if let cluster {
            if Self.starts(cluster, "inbound|") || Self.starts(cluster, "InboundPassthroughCluster") {
                self = .inbound
                return
            }
            if Self.starts(cluster, "outbound|") || Self.equals(cluster, "PassthroughCluster")
                || Self.equals(cluster, "BlackHoleCluster")
            {
                self = .outbound
                return
            }
        }
        if let host = upstreamHost, !host.isEmpty {
            var address = UnsafeBufferPointer(rebasing: host[...])
            if host[0] == UInt8(ascii: "[") {
                let close = host.firstIndex(of: UInt8(ascii: "]")) ?? host.count
                address = UnsafeBufferPointer(rebasing: host[1..<close])
            } else if let colon = host.firstIndex(of: UInt8(ascii: ":")) {
                address = UnsafeBufferPointer(rebasing: host[..<colon])
            }
            if Self.equals(address, "127.0.0.1") || Self.equals(address, "127.0.0.6") || Self.equals(address, "::1") {
                self = .inbound
                return
            }
        }
        self = .unknown
    }

    private static func starts(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        return memcmp(prefix.utf8Start, bytes.baseAddress!, count) == 0
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && starts(bytes, text)
    }
}
