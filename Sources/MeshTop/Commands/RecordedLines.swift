import Collectors

/// A recording's log lines read as `logs --hops` and the ledger read them: each source with
/// its own decoder, one pairer; each request's chain into a `HopTable`, each line and pair
/// into `LedgerLines`.
struct RecordedLines {
    private let format: AccessLogDecoder.Choice
    private var decoders: [String: AccessLogDecoder] = [:]
    private var pairer = RequestPairer(window: .seconds(10), chainsOfOne: true)
    private var table = HopTable()
    private(set) var ledger: LedgerLines
    private(set) var slowest = SlowestRequests()
    /// Lines logged before this (milliseconds since 1970) are left out of the ledger.
    private let since: Int64?

    init(format: AccessLogDecoder.Choice, loadAuthority: String? = nil, since: Int64? = nil) {
        self.format = format
        self.since = since
        ledger = LedgerLines(loadAuthority: loadAuthority)
    }

    mutating func add(_ frames: [RecordingFrame]) {
        for frame in frames where frame.kind == RecordingFrame.Kind.logLine.rawValue && frame.fields.count >= 2 {
            let source = frame.text(0)
            var decoder = decoders.removeValue(forKey: source) ?? AccessLogDecoder(format)
            let record = frame.fields[1].withUnsafeBufferPointer { decoder.decode(bytes: $0) }
            decoders[source] = decoder
            guard var record else { continue }
            record.origin = source
            if let since, (record.pairingTime ?? since) < since { continue }
            ledger.add(record)
            take(pairer.add(record))
        }
    }

    /// The end of the lines: the pairer lets go of what it still holds.
    mutating func finish() -> (hops: HopTable, ledger: LedgerLines) {
        take(pairer.flush())
        return (table, ledger)
    }

    private mutating func take(_ events: [PairingEvent]) {
        ledger.addPaired(from: events)
        for case .chain(let chain) in events {
            table.add(HopTimes(chain.hops))
            slowest.add(chain)
        }
    }
}
