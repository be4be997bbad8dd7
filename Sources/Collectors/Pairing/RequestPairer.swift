import DequeModule

/// Matches the client-side (outbound) and server-side (inbound) lines of a request by
/// x-request-id, in a bounded window: at most `maxOpenIDs` ids, and lines no older than
/// `window` of log time behind the newest line seen. A pair is reported as soon as both
/// sides are in; an id with more than one pair is reported once more as a chain when it
/// leaves the window. Lines that leave unmatched are counted, never kept.
public struct RequestPairer: Sendable {
    public let maxOpenIDs: Int
    public let windowMilliseconds: Int64

    private struct Entry: Sendable {
        var firstSeen: Int64
        var waiting: [AccessLogRecord] = []
        var pairs: [RequestPair] = []
    }

    private var entries: [String: Entry] = [:]
    /// Ids in the order they were first seen; eviction pops from the front.
    private var order: Deque<(id: String, firstSeen: Int64)> = []
    private var clock: Int64 = .min

    public private(set) var unpaired = UnpairedCounts()
    public private(set) var pairCount = 0
    /// Lines with no request id: nothing to pair them with.
    public private(set) var withoutID = 0

    public var openIDs: Int { entries.count }

    public init(maxOpenIDs: Int = 100_000, window: Duration = .seconds(60)) {
        self.maxOpenIDs = max(1, maxOpenIDs)
        let parts = window.components
        self.windowMilliseconds = parts.seconds * 1_000 + parts.attoseconds / 1_000_000_000_000_000
    }

    /// Adds one line; returns what it completed, and what the window let go of.
    public mutating func add(_ record: AccessLogRecord) -> [PairingEvent] {
        let time = record.startTime.flatMap(EnvoyTimestamp.milliseconds) ?? clock
        if time > clock { clock = time }
        var events = evict()
        guard let id = record.requestID else {
            withoutID += 1
            return events
        }
        var entry = entries[id] ?? {
            order.append((id, clock))
            return Entry(firstSeen: clock)
        }()
        if let index = entry.waiting.firstIndex(where: { Self.isPartner($0, of: record) }) {
            let other = entry.waiting.remove(at: index)
            let pair =
                Self.isServer(record)
                ? RequestPair(requestID: id, client: other, server: record)
                : RequestPair(requestID: id, client: record, server: other)
            entry.pairs.append(pair)
            pairCount += 1
            events.append(.pair(pair))
        } else {
            entry.waiting.append(record)
        }
        entries[id] = entry
        events += evictOverCapacity()
        return events
    }

    /// Lets go of everything still open (end of input): chains are reported, lone lines counted.
    public mutating func flush() -> [PairingEvent] {
        var events: [PairingEvent] = []
        while let (id, _) = order.popFirst() {
            events += close(id)
        }
        return events
    }

    private mutating func evict() -> [PairingEvent] {
        var events: [PairingEvent] = []
        while let first = order.first, clock != .min, first.firstSeen < clock - windowMilliseconds {
            order.removeFirst()
            events += close(first.id)
        }
        return events
    }

    private mutating func evictOverCapacity() -> [PairingEvent] {
        var events: [PairingEvent] = []
        while entries.count > maxOpenIDs, let first = order.popFirst() {
            events += close(first.id)
        }
        return events
    }

    private mutating func close(_ id: String) -> [PairingEvent] {
        guard let entry = entries.removeValue(forKey: id) else { return [] }
        for record in entry.waiting {
            if Self.isServer(record) { unpaired.serverOnly += 1 } else { unpaired.clientOnly += 1 }
        }
        guard entry.pairs.count > 1 else { return [] }
        let hops = entry.pairs.sorted {
            ($0.client.startTime ?? "", $0.server.startTime ?? "") < ($1.client.startTime ?? "", $1.server.startTime ?? "")
        }
        return [.chain(RequestChain(requestID: id, hops: hops))]
    }

    /// The server side is the inbound line; outbound and unknown lines are client sides
    /// (formats without a cluster name cannot tell a client line apart otherwise).
    static func isServer(_ record: AccessLogRecord) -> Bool { record.direction == .inbound }

    /// Opposite sides of the same hop: both proxies log the same :authority.
    static func isPartner(_ waiting: AccessLogRecord, of record: AccessLogRecord) -> Bool {
        guard isServer(waiting) != isServer(record) else { return false }
        guard let a = waiting.authority, let b = record.authority else { return true }
        return a == b
    }
}
