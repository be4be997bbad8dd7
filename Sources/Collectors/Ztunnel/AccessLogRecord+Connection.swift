/// A ztunnel connection travels as an access-log record, so that decoding, pairing, the
/// summary and the request feed take it the way they take Envoy's lines; the fields both
/// share are filled in, the connection itself rides along in `connection`.
extension AccessLogRecord {
    public init(connection: ConnectionRecord) {
        self.init()
        startTime = connection.timestamp
        direction = connection.direction
        bytesSent = connection.bytesSent
        bytesReceived = connection.bytesReceived
        duration = connection.duration
        downstreamRemoteAddress = connection.sourceAddress
        downstreamLocalAddress = connection.destinationAddress
        upstreamHost = connection.destinationHBONEAddress
        self.connection = connection
    }

    /// What pairs the line: the x-request-id, or for a ztunnel connection its addresses.
    public var pairingKeyText: String? { requestID ?? connection?.pairingKey }
}
