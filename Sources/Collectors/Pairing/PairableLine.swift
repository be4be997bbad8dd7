/// What the pairer needs of a line: its request id, its log time, its side and its hop.
/// A full record is one (for printing pairs); a `LineDigest` is another, a few machine
/// words, for the aggregate, where nothing but durations and counts is kept.
public protocol PairableLine: Sendable {
    associatedtype PairingKey: Hashable & Sendable
    /// The x-request-id, or nil when the line has none.
    var pairingKey: PairingKey? { get }
    /// START_TIME in milliseconds since 1970: the log's own clock for the window.
    var pairingTime: Int64? { get }
    /// How long the line's request took, in milliseconds: of two hops that start in the
    /// same millisecond, the longer one holds the other.
    var pairingDuration: Int? { get }
    /// The server side is the inbound line; outbound and unknown lines are client sides
    /// (formats without a cluster name cannot tell a client line apart otherwise).
    var isServerSide: Bool { get }
    /// The load generator's own line (`meshtop load`): no proxy sent the request, so its
    /// other side is the first proxy's line, the gateway's outbound line or, with no gateway,
    /// the called sidecar's inbound one.
    var isCaller: Bool { get }
    /// A server-side line of a request a proxy forwarded (it carries x-forwarded-for): the
    /// gateway's hop, never the other side of the load's own line.
    var isForwarded: Bool { get }
    /// Both proxies of one hop log the same :authority; lines that disagree belong to
    /// different hops of the same request.
    func isSameHop(as other: Self) -> Bool
    /// About what holding the line costs, in bytes, for the window's byte bound: lines
    /// are a few hundred bytes, but a 100 KB user agent must not fill memory 100,000 times.
    var pairingBytes: Int { get }
}

extension PairableLine {
    /// The order of a request's hops, wherever they are shown: the load's own first (it sent
    /// the request, whatever its clock says against the proxies'), then by start time, and of
    /// two that started in the same millisecond, the longer first (it holds the other: the
    /// gateway's hop around the sidecar's).
    public static func startsBefore(_ a: Self, _ b: Self) -> Bool {
        if a.isCaller != b.isCaller { return a.isCaller }
        let (startA, startB) = (a.pairingTime ?? 0, b.pairingTime ?? 0)
        return startA != startB ? startA < startB : (a.pairingDuration ?? 0) > (b.pairingDuration ?? 0)
    }
}

extension AccessLogRecord: PairableLine {
    public var pairingKey: String? { pairingKeyText }
    public var pairingTime: Int64? { startTime.flatMap(EnvoyTimestamp.milliseconds) }
    public var pairingDuration: Int? { duration }
    public var isServerSide: Bool { direction == .inbound }
    public var isCaller: Bool {
        userAgent == OutboundRecord.loadUserAgent && downstreamRemoteAddress == nil && direction != .inbound
    }
    public var isForwarded: Bool { xForwardedFor != nil }

    public func isSameHop(as other: AccessLogRecord) -> Bool {
        guard let a = authority, let b = other.authority else { return true }
        return a == b
    }

    /// The record itself plus the text of its fields: Strings of 16 bytes or more live
    /// on the heap, with a header of about 32 bytes.
    public var pairingBytes: Int {
        var bytes = MemoryLayout<AccessLogRecord>.stride
        func add(_ text: String?) {
            if let count = text?.utf8.count, count > 15 { bytes += count + 32 }
        }
        add(startTime); add(method); add(path); add(`protocol`); add(responseFlags); add(responseCodeDetails)
        add(connectionTerminationDetails); add(upstreamTransportFailureReason); add(xForwardedFor); add(userAgent)
        add(requestID); add(authority); add(upstreamHost); add(upstreamCluster); add(upstreamLocalAddress)
        add(downstreamLocalAddress); add(downstreamRemoteAddress); add(requestedServerName); add(routeName); add(origin)
        for (key, value) in extra {
            bytes += 64
            add(key); add(value)
        }
        return bytes
    }
}
