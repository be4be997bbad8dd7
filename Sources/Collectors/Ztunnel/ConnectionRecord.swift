/// One ztunnel access-log line (Istio ambient's node proxy): one connection, not one
/// request, and no request id. ztunnel declares the format unstable, so every field may
/// be absent; values are kept as written (sanitised only where they are shown).
public struct ConnectionRecord: Sendable, Equatable {
    public var timestamp: String?
    public var level: String?
    public var message: String?
    public var sourceAddress: String?
    public var sourceWorkload: String?
    public var sourceNamespace: String?
    public var sourceIdentity: String?
    /// Where the connection went: for HBONE the peer's port 15008 (the destination
    /// workload's, or its waypoint's).
    public var destinationAddress: String?
    /// The target inside the HBONE tunnel (the `:authority` of its CONNECT).
    public var destinationHBONEAddress: String?
    public var destinationService: String?
    public var destinationWorkload: String?
    public var destinationNamespace: String?
    public var destinationIdentity: String?
    public var direction: AccessLogRecord.Direction = .unknown
    public var bytesSent: Int?
    public var bytesReceived: Int?
    /// Milliseconds, from ztunnel's `"13ms"`.
    public var duration: Int?
    /// Why the connection failed, when it did.
    public var error: String?
    /// Keys this type does not model (`src.cluster`, newer ones), as written.
    public var other: [String: String] = [:]

    public init() {}

    /// What the outbound line (the client's ztunnel) and the inbound line (the server's)
    /// of one connection both carry. Not src.addr as a whole: the inbound side sees the
    /// HBONE connection, which ztunnel opens (and pools) from the client pod's IP but from
    /// a port of its own, so only the IP matches. dst.addr matches: ztunnel's inbound
    /// reports the original destination (port 15008) "for consistency with outbound
    /// logs", and dst.hbone_addr is the tunnel's target on both sides. Connections from one
    /// pod to one target share the key; the pairer takes them in order.
    public var pairingKey: String? {
        guard let destinationAddress else { return nil }
        let sourceIP = sourceAddress.map(Self.host) ?? "-"
        return "ztunnel " + sourceIP + " " + destinationAddress + " " + (destinationHBONEAddress ?? "-")
    }

    /// The host of `host:port` or `[v6]:port`.
    static func host(_ address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        guard let colon = address.lastIndex(of: ":"), address.firstIndex(of: ":") == colon else { return address }
        return String(address[..<colon])
    }

    /// A connection that ended in an error (ztunnel logs those at level error, with `error=`).
    public var failed: Bool { error != nil || level == "error" }
}
