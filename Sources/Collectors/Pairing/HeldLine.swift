/// A line the pairer holds for `meshtop logs --pairs`: the line's own bytes and the few
/// values pairing reads, instead of a record. A record of twenty-odd Strings costs about
/// 2 KB and twenty allocations; a held line one allocation of its bytes. Its fields are
/// read again from the bytes when its pair is printed (`withFields`).
public struct HeldLine: PairableLine, Sendable {
    public enum Body: Sendable {
        /// A line of a text format, read again by the parser that read it.
        case text(HeldText)
        /// A JSON (or ztunnel) line, whose record is all there is.
        indirect case record(AccessLogRecord, source: String)
    }

    public let body: Body
    // Absent values as sentinels and flags, so a held line is 56 bytes and a copy of it
    // (the pairer moves lines between its tables) one reference count.
    private let key: RequestKey
    /// The :authority's bits, for `isSameHop`.
    private let authority: RequestKey
    private let timeOrMin: Int64
    private let durationOrNegative: Int32
    private let flags: Flags

    private struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let hasKey = Flags(rawValue: 1)
        static let hasAuthority = Flags(rawValue: 2)
        static let serverSide = Flags(rawValue: 4)
        static let caller = Flags(rawValue: 8)
        static let forwarded = Flags(rawValue: 16)
    }

    public var pairingKey: RequestKey? { flags.contains(.hasKey) ? key : nil }
    public var pairingTime: Int64? { timeOrMin == .min ? nil : timeOrMin }
    public var pairingDuration: Int? { durationOrNegative < 0 ? nil : Int(durationOrNegative) }
    public var isServerSide: Bool { flags.contains(.serverSide) }
    public var isCaller: Bool { flags.contains(.caller) }
    public var isForwarded: Bool { flags.contains(.forwarded) }

    /// The input the line was read from.
    public var source: String {
        switch body {
        case .text(let held): held.bytes.source
        case .record(_, let source): source
        }
    }

    private init(
        body: Body, key: RequestKey?, authority: RequestKey?, time: Int64?, duration: Int?, serverSide: Bool, caller: Bool,
        forwarded: Bool
    ) {
        self.body = body
        self.key = key ?? RequestKey(high: 0, low: 0)
        self.authority = authority ?? RequestKey(high: 0, low: 0)
        timeOrMin = time ?? .min
        durationOrNegative = duration.map { Int32(clamping: $0) } ?? -1
        var flags: Flags = []
        if key != nil { flags.insert(.hasKey) }
        if authority != nil { flags.insert(.hasAuthority) }
        if serverSide { flags.insert(.serverSide) }
        if caller { flags.insert(.caller) }
        if forwarded { flags.insert(.forwarded) }
        self.flags = flags
    }

    /// A matched line of a text format; `times` converts START_TIME as the summary does.
    public init(_ line: AccessLogLine, parser: AccessLogParser, source: String, times: inout EnvoyTimestampReader) {
        let time: Int64? = switch line.text(.startTime) {
        case .plain(let bytes): times.milliseconds(bytes: bytes)
        case .decoded(let text): EnvoyTimestamp.milliseconds(text)
        case nil: nil
        }
        let direction = line.direction
        // As `AccessLogRecord.isCaller` and `isForwarded` read the record.
        let caller = direction != .inbound && line.value(.downstreamRemoteAddress) == nil
            && line.text(.userAgent).map(Self.key) == Self.loadAgent
        self.init(
            body: .text(HeldText(bytes: HeldBytes.make(line.bytes, parser: parser, source: source))), key: line.text(.requestID).map(Self.key),
            authority: line.text(.authority).map(Self.key), time: time, duration: line.number(.duration),
            serverSide: direction == .inbound, caller: caller, forwarded: line.value(.xForwardedFor) != nil)
    }

    public init(record: AccessLogRecord, source: String) {
        var record = record
        record.origin = source
        self.init(
            body: .record(record, source: source), key: record.pairingKeyText.map(RequestKey.init),
            authority: record.authority.map(RequestKey.init), time: record.pairingTime, duration: record.duration,
            serverSide: record.isServerSide, caller: record.isCaller, forwarded: record.isForwarded)
    }

    private static let loadAgent = RequestKey(OutboundRecord.loadUserAgent)

    private static func key(_ text: FieldText) -> RequestKey {
        switch text {
        case .plain(let bytes): RequestKey(bytes: bytes)
        case .decoded(let text): RequestKey(text)
        }
    }

    public func isSameHop(as other: HeldLine) -> Bool {
        guard flags.contains(.hasAuthority), other.flags.contains(.hasAuthority) else { return true }
        return authority == other.authority
    }

    public var pairingBytes: Int {
        switch body {
        case .text(let held): MemoryLayout<HeldLine>.stride + 64 + held.bytes.count
        case .record(let record, _): MemoryLayout<HeldLine>.stride + 32 + record.pairingBytes
        }
    }

    /// The line's fields read again from its bytes, or its record: the view is valid only
    /// inside `text`.
    public func withFields<Result>(
        text: (AccessLogParser, AccessLogLine) -> Result, record: (AccessLogRecord) -> Result
    ) -> Result {
        switch body {
        case .record(let held, _): return record(held)
        case .text(let held):
            let parser = held.bytes.parser
            return held.bytes.withBytes { line in
                // The line matched once, exactly or tolerating its end, and reads the same again.
                if let result = parser.withMatch(line, { text(parser, $0) }) { return result }
                if let result = parser.withTolerantMatch(line, { text(parser, $0) }) { return result }
                preconditionFailure("HeldLine: a held line no longer matches its format")
            }
        }
    }

    /// The record the line makes (for text output, and --hops).
    public var record: AccessLogRecord {
        withFields(
            text: { parser, line in
                var record = parser.record(from: line)
                record.origin = self.source
                return record
            }, record: { $0 })
    }
}

/// `HeldBytes` across threads: no one writes to them after `make`, so they may be shared
/// (`PairableLine` asks for `Sendable`).
public struct HeldText: @unchecked Sendable {
    public let bytes: HeldBytes
}

/// A held line's bytes with the parser that read them and their source, in one
/// allocation (the bytes follow the header).
public final class HeldBytes: ManagedBuffer<HeldBytes.Header, UInt8> {
    public struct Header: Sendable {
        let parser: AccessLogParser
        let source: String
        let count: Int
    }

    // Immutable once made: `make` writes the bytes before anyone else sees the buffer.
    static func make(_ bytes: UnsafeBufferPointer<UInt8>, parser: AccessLogParser, source: String) -> HeldBytes {
        let buffer = create(minimumCapacity: bytes.count) { _ in Header(parser: parser, source: source, count: bytes.count) }
        buffer.withUnsafeMutablePointerToElements { elements in
            if let base = bytes.baseAddress { elements.initialize(from: base, count: bytes.count) }
        }
        // `create` is declared to return the base class; the object is of this one.
        return unsafeDowncast(buffer, to: HeldBytes.self)
    }

    // Through the header's pointer: reading `header` would copy it, a reference count for
    // its parser and one for its source each time.
    var count: Int { withUnsafeMutablePointerToHeader { $0.pointee.count } }
    var parser: AccessLogParser { withUnsafeMutablePointerToHeader { $0.pointee.parser } }
    var source: String { withUnsafeMutablePointerToHeader { $0.pointee.source } }

    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withUnsafeMutablePointers { header, elements in body(UnsafeBufferPointer(start: elements, count: header.pointee.count)) }
    }
}
