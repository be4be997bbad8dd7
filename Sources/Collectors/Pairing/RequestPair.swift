/// The client-side and the server-side line of one request hop, matched by x-request-id.
public struct RequestPair: Sendable, Equatable {
    public var requestID: String
    public var client: AccessLogRecord
    public var server: AccessLogRecord

    /// What the network and the two proxies added: client duration minus server duration.
    public var overheadMilliseconds: Int? {
        guard let client = client.duration, let server = server.duration else { return nil }
        return client - server
    }

    public init(requestID: String, client: AccessLogRecord, server: AccessLogRecord) {
        self.requestID = requestID
        self.client = client
        self.server = server
    }
}

/// Every hop of one request id when it crossed more than one pair of proxies
/// (ingress → service → etcd), ordered by start time.
public struct RequestChain: Sendable, Equatable, Encodable {
    public var requestID: String
    public var hops: [RequestPair]

    private enum CodingKeys: String, CodingKey {
        case requestID = "request_id", hops
    }
}

/// What the pairer reports as lines arrive and as its window moves on.
public enum PairingEvent: Sendable, Equatable {
    case pair(RequestPair)
    case chain(RequestChain)
}

/// Lines that left the window without a partner, by the side they came from.
public struct UnpairedCounts: Sendable, Equatable {
    public var clientOnly = 0
    public var serverOnly = 0
    public init() {}
}

/// `{request_id, client, server, overhead_ms}` (ARCHITECTURE.md).
extension RequestPair: Encodable {
    private enum CodingKeys: String, CodingKey {
        case requestID = "request_id", client, server, overheadMilliseconds = "overhead_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(client, forKey: .client)
        try container.encode(server, forKey: .server)
        try container.encode(overheadMilliseconds, forKey: .overheadMilliseconds)
    }
}
