/// The aggregate of a stream of lines with its pairing: each line is counted as it is
/// parsed (no record is built) and its `LineDigest` goes to the pairer, whose pairs and
/// chains come back into the summary. What `meshtop logs --summary` and the dashboard's
/// request panel keep.
public struct AccessLogTally: Sendable {
    public private(set) var summary = AccessLogSummary()
    private var pairer: LinePairer<LineDigest>

    public init(maxOpenIDs: Int = 100_000, window: Duration = .seconds(60)) {
        pairer = LinePairer(maxOpenIDs: maxOpenIDs, window: window)
    }

    public var unpaired: UnpairedCounts { pairer.unpaired }
    public var openIDs: Int { pairer.openIDs }

    /// Counts a line in the summary; the digest is for `pair`, in log-time order.
    public mutating func count(_ line: UnsafeBufferPointer<UInt8>, decoder: inout AccessLogDecoder) -> LineDigest? {
        decoder.decode(bytes: line, into: &summary)
    }

    public mutating func pair(_ digest: LineDigest) {
        pairer.add(digest) { summary.add($0) }
    }

    /// A line straight through, for a single source read as it comes.
    public mutating func add(_ line: UnsafeBufferPointer<UInt8>, decoder: inout AccessLogDecoder) {
        if let digest = count(line, decoder: &decoder) { pair(digest) }
    }

    /// End of input: what is still open leaves the window.
    public mutating func finish() {
        pairer.flush { summary.add($0) }
    }
}

extension AccessLogDecoder {
    /// Counts the line in `summary` without building a record (for a text format) and
    /// returns its digest for the pairer.
    public mutating func decode(bytes line: UnsafeBufferPointer<UInt8>, into summary: inout AccessLogSummary) -> LineDigest? {
        read(line, text: { _, fields in summary.add(fields) }, json: { summary.add($0) })
    }
}
