/// What the pairer needs of a line: its request id, its log time, its side and its hop.
/// A full record is one (for printing pairs); a `LineDigest` is another, a few machine
/// words, for the aggregate, where nothing but durations and counts is kept.
public protocol PairableLine: Sendable {
    associatedtype PairingKey: Hashable & Sendable
    /// The x-request-id, or nil when the line has none.
    var pairingKey: PairingKey? { get }
    /// START_TIME in milliseconds since 1970: the log's own clock for the window.
    var pairingTime: Int64? { get }
    /// The server side is the inbound line; outbound and unknown lines are client sides
    /// (formats without a cluster name cannot tell a client line apart otherwise).
    var isServerSide: Bool { get }
    /// Both proxies of one hop log the same :authority; lines that disagree belong to
    /// different hops of the same request.
    func isSameHop(as other: Self) -> Bool
}

extension AccessLogRecord: PairableLine {
    public var pairingKey: String? { requestID }
    public var pairingTime: Int64? { startTime.flatMap(EnvoyTimestamp.milliseconds) }
    public var isServerSide: Bool { direction == .inbound }

    public func isSameHop(as other: AccessLogRecord) -> Bool {
        guard let a = authority, let b = other.authority else { return true }
        return a == b
    }
}
