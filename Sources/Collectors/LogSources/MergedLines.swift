/// Lines from several sources, decoded and handed out in log-time order, so the pairer's
/// window sees both sides of a request close together even when they come from two long
/// files. What a line becomes (a record, a digest) is up to the `decode` given to `next`;
/// it is not stored, so it may update the caller's local state without run-time checks.
public final class MergedLines<Item> {
    /// Turns one line of a source into an item and its log time (ms), or nil to skip it.
    public typealias Decode = (inout AccessLogDecoder, UnsafeBufferPointer<UInt8>, _ source: String) -> (Item, Int64?)?

    private struct Source {
        let reader: LineReader
        var decoder: AccessLogDecoder
        var next: Item?
        var time: Int64 = .min
        var primed = false
        var finished = false

        init(reader: LineReader, decoder: AccessLogDecoder) {
            self.reader = reader
            self.decoder = decoder
        }

        mutating func advance(grep: ((UnsafeBufferPointer<UInt8>) -> Bool)?, decode: Decode) throws(LogSourceError) {
            next = nil
            primed = true
            while let line = try reader.nextLine() {
                if let grep, !grep(line) { continue }
                guard let (item, time) = decode(&decoder, line, reader.name) else { continue }
                // Lines without a time keep their source's order.
                if let time { self.time = time }
                next = item
                return
            }
            finished = true
        }
    }

    private var sources: [Source] = []
    private let grep: ((UnsafeBufferPointer<UInt8>) -> Bool)?

    public init(readers: [LineReader], format: AccessLogDecoder.Choice, grep: ((UnsafeBufferPointer<UInt8>) -> Bool)? = nil) {
        self.grep = grep
        sources = readers.map { Source(reader: $0, decoder: AccessLogDecoder(format)) }
    }

    /// The item with the earliest log time among the sources' next items.
    public func next(decode: Decode) throws(LogSourceError) -> Item? {
        if sources.count == 1 {
            // One source needs no look-ahead.
            guard !sources[0].finished else { return nil }
            try sources[0].advance(grep: grep, decode: decode)
            return sources[0].next
        }
        for index in sources.indices where !sources[index].primed {
            try sources[index].advance(grep: grep, decode: decode)
        }
        var best = -1
        var bestTime = Int64.max
        for index in sources.indices where sources[index].next != nil {
            if best < 0 || sources[index].time < bestTime {
                best = index
                bestTime = sources[index].time
            }
        }
        guard best >= 0, let item = sources[best].next else { return nil }
        try sources[best].advance(grep: grep, decode: decode)
        return item
    }

    /// Lines that did not parse, and lines too long to read (skipped by the reader).
    public var malformed: Int { sources.reduce(0) { $0 + $1.decoder.malformed + $1.reader.overlongLines } }
    public var malformedSamples: [String] {
        sources.flatMap { source in
            let reader = source.reader
            guard reader.overlongLines > 0 else { return source.decoder.malformedSamples }
            let note = "\(ControlBytes.sanitize(reader.name)): \(reader.overlongLines) line(s) over \(reader.maxLineLength) bytes skipped"
            return source.decoder.malformedSamples + [note]
        }
    }
}
