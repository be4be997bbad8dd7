/// The slowest requests of a run, by the first hop's client-side duration (the whole
/// request as its first caller saw it): the few worth reading line by line in a report.
/// Bounded: only `limit` are kept, so a run of any length costs the same.
public struct SlowestRequests: Sendable {
    public struct Request: Sendable, Equatable {
        public var requestID: String
        /// The first hop's client-side line: when, what and how it ended.
        public var first: AccessLogRecord
        public var duration: Int
        public var hops: Int
    }

    public let limit: Int
    /// The slowest first.
    public private(set) var requests: [Request] = []

    public init(limit: Int = 10) { self.limit = max(0, limit) }

    public mutating func add(_ chain: RequestChain) {
        guard let first = chain.hops.first, let duration = first.client.duration else { return }
        guard requests.count < limit || duration > (requests.last?.duration ?? .max) else { return }
        let request = Request(requestID: chain.requestID, first: first.client, duration: duration, hops: chain.hops.count)
        let at = requests.firstIndex { $0.duration < duration } ?? requests.endIndex
        requests.insert(request, at: at)
        if requests.count > limit { requests.removeLast() }
    }
}
