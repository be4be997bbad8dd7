/// The client-side and the server-side line of one request hop, matched by x-request-id.
public struct RequestPair: Sendable, Equatable {
    public var requestID: String
    public var clientLine: LoggedLine
    public var serverLine: LoggedLine

    public var client: AccessLogRecord {
        get { clientLine.record }
        set { clientLine.record = newValue }
    }

    public var server: AccessLogRecord {
        get { serverLine.record }
        set { serverLine.record = newValue }
    }

    /// What the network and the two proxies added: client duration minus server duration.
    public var overheadMilliseconds: Int? {
        guard let client = client.duration, let server = server.duration else { return nil }
        return client - server
    }

    public init(requestID: String, client: LoggedLine, server: LoggedLine) {
        self.requestID = requestID
        self.clientLine = client
        self.serverLine = server
    }

    public init(requestID: String, client: AccessLogRecord, server: AccessLogRecord) {
        self.init(requestID: requestID, client: LoggedLine(record: client), server: LoggedLine(record: server))
    }
}

/// Every hop of one request id when it crossed more than one pair of proxies
/// (ingress → service → etcd), in chain order (`PairableLine.startsBefore`).
public struct RequestChain: Sendable, Equatable, Encodable {
    public var requestID: String
    public var hops: [RequestPair]

    public init(requestID: String, hops: [RequestPair]) {
        self.requestID = requestID
        self.hops = hops
    }

    private enum CodingKeys: String, CodingKey {
        case requestID = "request_id", hops
    }
}

/// What the pairer reports as lines arrive and as its window moves on.
public enum PairingEvent: Sendable, Equatable {
    /// A line with a request id whose other side has not come (yet); reported only by a
    /// pairer made with `reportsWaiting`.
    case waiting(LoggedLine)
    /// A line without a request id: nothing to pair it with (`reportsWaiting` only).
    case alone(LoggedLine)
    /// Both sides of a hop: the line just added and the waiting line it completed.
    case paired(RequestPair)
    /// Every hop of an id with more than one, when the id leaves the window: its chain is final.
    case chain(RequestChain)
}

/// Lines that left the window without a partner, by the side they came from.
public struct UnpairedCounts: Sendable, Equatable {
    public var clientOnly = 0
    public var serverOnly = 0
    public init() {}
}

/// What a pairer has seen so far, for panels and summaries that show counts, not lines.
public struct PairingCounts: Sendable, Equatable {
    public var lines = 0
    public var paired = 0
    public var unpaired = UnpairedCounts()
    public var withoutID = 0
    public init() {}
}

/// `{request_id, client, server, overhead_ms}`, every key present.
extension RequestPair: Encodable {
    public func encode(to encoder: any Encoder) throws {
        try encoder.encodeFields(["request_id": requestID, "client": client, "server": server, "overhead_ms": overheadMilliseconds])
    }
}
