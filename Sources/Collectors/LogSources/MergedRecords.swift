/// Records from several sources in log-time order, so the pairer's window sees both sides
/// of a request close together even when they come from two long files.
public final class MergedRecords {
    private final class Source {
        let reader: LineReader
        var decoder: AccessLogDecoder
        var next: AccessLogRecord?
        var time: Int64 = .min
        let grep: (@Sendable (String) -> Bool)?
        var skipped = 0

        init(reader: LineReader, decoder: AccessLogDecoder, grep: (@Sendable (String) -> Bool)?) {
            self.reader = reader
            self.decoder = decoder
            self.grep = grep
        }

        func advance() throws(LogSourceError) {
            next = nil
            while let line = try reader.nextLine() {
                if let grep, !grep(String(decoding: line, as: UTF8.self)) {
                    skipped += 1
                    continue
                }
                let record = line.withUnsafeBufferPointer { decoder.decode(bytes: $0) }
                guard var record else { continue }
                record.source = reader.name
                // Lines without a time keep their source's order.
                time = record.startTime.flatMap(EnvoyTimestamp.milliseconds) ?? time
                next = record
                return
            }
        }
    }

    private var sources: [Source] = []

    public init(readers: [LineReader], format: AccessLogDecoder.Choice, grep: (@Sendable (String) -> Bool)? = nil)
        throws(LogSourceError)
    {
        for reader in readers {
            let source = Source(reader: reader, decoder: AccessLogDecoder(format), grep: grep)
            try source.advance()
            sources.append(source)
        }
    }

    /// The record with the earliest start time among the sources' next records.
    public func next() throws(LogSourceError) -> AccessLogRecord? {
        var best: Source?
        for source in sources where source.next != nil {
            if best == nil || source.time < best!.time { best = source }
        }
        guard let best, let record = best.next else { return nil }
        try best.advance()
        return record
    }

    public var malformed: Int { sources.reduce(0) { $0 + $1.decoder.malformed } }
    public var malformedSamples: [String] { sources.flatMap(\.decoder.malformedSamples) }
}
