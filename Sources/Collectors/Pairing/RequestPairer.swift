/// The pairer over full lines, for printing pairs and chains and for the dashboard's
/// Requests panel: `LinePairer` with its events as `RequestPair` / `RequestChain` values,
/// and, with `reportsWaiting`, every line that is not (yet) part of a pair as well, so a
/// list of rows can be kept from the events alone.
public struct RequestPairer: Sendable {
    private var pairer: LinePairer<LoggedLine>
    private let reportsWaiting: Bool
    private var nextNumber = 0

    public var unpaired: UnpairedCounts { pairer.unpaired }
    public var pairCount: Int { pairer.pairCount }
    public var withoutID: Int { pairer.withoutID }
    public var openIDs: Int { pairer.openIDs }
    public var counts: PairingCounts {
        var counts = PairingCounts()
        counts.lines = nextNumber
        counts.paired = pairer.pairCount
        counts.unpaired = pairer.unpaired
        counts.withoutID = pairer.withoutID
        return counts
    }

    public var heldBytes: Int { pairer.heldBytes }
    public var maxBytes: Int { pairer.maxBytes }

    public init(
        maxOpenIDs: Int = 100_000, maxBytes: Int = LinePairer<LoggedLine>.defaultMaxBytes, window: Duration = .seconds(60),
        reportsWaiting: Bool = false, chainsOfOne: Bool = false
    ) {
        pairer = LinePairer(maxOpenIDs: maxOpenIDs, maxBytes: maxBytes, window: window, chainsOfOne: chainsOfOne)
        self.reportsWaiting = reportsWaiting
    }

    /// Adds one line (`text` is kept with it for whoever shows raw lines); returns what it
    /// completed, and what the window let go of.
    public mutating func add(_ record: AccessLogRecord, text: String = "") -> [PairingEvent] {
        var events: [PairingEvent] = []
        add(record, text: text, into: &events)
        return events
    }

    /// `add`, appending to the caller's list: a reader adds a batch of lines into one.
    public mutating func add(_ record: AccessLogRecord, text: String = "", into events: inout [PairingEvent]) {
        let line = LoggedLine(record: record, text: text, number: nextNumber)
        nextNumber += 1
        var completed = false
        pairer.add(line) { event in
            if case .pair(let hop) = event, hop.client.number == line.number || hop.server.number == line.number { completed = true }
            events.append(Self.event(event))
        }
        guard reportsWaiting, !completed else { return }
        events.append(line.pairingKey?.isEmpty == false ? .waiting(line) : .alone(line))
    }

    /// Lets go of everything still open (end of input): chains are reported, lone lines counted.
    public mutating func flush() -> [PairingEvent] {
        var events: [PairingEvent] = []
        pairer.flush { events.append(Self.event($0)) }
        return events
    }

    private static func event(_ event: LinePairer<LoggedLine>.Event) -> PairingEvent {
        func pair(_ hop: LinePairer<LoggedLine>.Hop) -> RequestPair {
            RequestPair(requestID: hop.client.record.pairingKeyText ?? "", client: hop.client, server: hop.server)
        }
        switch event {
        case .pair(let hop): return .paired(pair(hop))
        case .chain(let hops): return .chain(RequestChain(requestID: hops.first?.client.record.pairingKeyText ?? "", hops: hops.map(pair)))
        }
    }
}
