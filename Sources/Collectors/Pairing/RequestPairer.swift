/// The pairer over full records, for printing pairs and chains: `LinePairer` with its
/// events as `RequestPair` / `RequestChain` values.
public struct RequestPairer: Sendable {
    private var pairer: LinePairer<AccessLogRecord>

    public var unpaired: UnpairedCounts { pairer.unpaired }
    public var pairCount: Int { pairer.pairCount }
    public var withoutID: Int { pairer.withoutID }
    public var openIDs: Int { pairer.openIDs }

    public var heldBytes: Int { pairer.heldBytes }
    public var maxBytes: Int { pairer.maxBytes }

    public init(
        maxOpenIDs: Int = 100_000, maxBytes: Int = LinePairer<AccessLogRecord>.defaultMaxBytes, window: Duration = .seconds(60)
    ) {
        pairer = LinePairer(maxOpenIDs: maxOpenIDs, maxBytes: maxBytes, window: window)
    }

    /// Adds one line; returns what it completed, and what the window let go of.
    public mutating func add(_ record: AccessLogRecord) -> [PairingEvent] {
        var events: [PairingEvent] = []
        pairer.add(record) { events.append(Self.event($0)) }
        return events
    }

    /// Lets go of everything still open (end of input): chains are reported, lone lines counted.
    public mutating func flush() -> [PairingEvent] {
        var events: [PairingEvent] = []
        pairer.flush { events.append(Self.event($0)) }
        return events
    }

    private static func event(_ event: LinePairer<AccessLogRecord>.Event) -> PairingEvent {
        func pair(_ hop: LinePairer<AccessLogRecord>.Hop) -> RequestPair {
            RequestPair(requestID: hop.client.requestID ?? "", client: hop.client, server: hop.server)
        }
        switch event {
        case .pair(let hop): return .pair(pair(hop))
        case .chain(let hops): return .chain(RequestChain(requestID: hops.first?.client.requestID ?? "", hops: hops.map(pair)))
        }
    }
}
