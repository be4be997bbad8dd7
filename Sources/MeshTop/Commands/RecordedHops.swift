import Collectors

/// A recording's log lines paired as `logs --hops` pairs them: each source with its own
/// decoder, each request's chain into a `HopTable`.
struct RecordedHops {
    private let format: AccessLogDecoder.Choice
    private var decoders: [String: AccessLogDecoder] = [:]
    private var pairer = RequestPairer(window: .seconds(10), chainsOfOne: true)
    private var table = HopTable()

    init(format: AccessLogDecoder.Choice) { self.format = format }

    mutating func add(_ frames: [RecordingFrame]) {
        for frame in frames where frame.fields.count >= 2 {
            let source = frame.text(0)
            var decoder = decoders.removeValue(forKey: source) ?? AccessLogDecoder(format)
            let record = frame.fields[1].withUnsafeBufferPointer { decoder.decode(bytes: $0) }
            decoders[source] = decoder
            guard var record else { continue }
            record.origin = source
            take(pairer.add(record))
        }
    }

    mutating func finish() -> HopTable {
        take(pairer.flush())
        return table
    }

    private mutating func take(_ events: [PairingEvent]) {
        for case .chain(let chain) in events { table.add(HopTimes(chain.hops)) }
    }
}
