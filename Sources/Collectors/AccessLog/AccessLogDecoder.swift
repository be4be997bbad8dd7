/// Turns the lines of one source into records, in a fixed format or detecting it.
///
/// A line no format reads exactly may still be read with fields missing or extra at its
/// end (`AccessLogParser.withTolerantMatch`), by the format that explains most of it.
///
/// With `.auto` the first format that parses a line is kept; after a run of lines it
/// cannot parse, the format that parsed them takes over (a pod restarted with another
/// Istio version). No line is lost to detection: every line is tried against every
/// format until one reads it. A line no format reads is counted, and the last few are
/// kept for the user to see.
public struct AccessLogDecoder: Sendable {
    public enum Choice: Sendable, Equatable {
        case auto
        case json
        case ztunnel
        case text(EnvoyFormat)
    }

    enum Candidate: Sendable {
        case json(JSONAccessLogParser)
        case ztunnel(ZtunnelLogParser)
        case text(name: String, parser: AccessLogParser)

        var name: String {
            switch self {
            case .json: "json"
            case .ztunnel: "ztunnel"
            case .text(let name, _): name
            }
        }

        func read<Result>(
            _ line: UnsafeBufferPointer<UInt8>, text: (AccessLogParser, AccessLogLine) -> Result,
            json: (AccessLogRecord) -> Result
        ) -> Result? {
            switch self {
            case .json(let parser): parser.parse(bytes: line).map(json)
            case .ztunnel(let parser): parser.parse(bytes: line).map { json(AccessLogRecord(connection: $0)) }
            case .text(_, let parser): parser.withMatch(line) { text(parser, $0) }
            }
        }

        /// The line read by tolerating missing or extra fields at its end (text formats only).
        func readTolerant<Result>(_ line: UnsafeBufferPointer<UInt8>, text: (AccessLogParser, AccessLogLine) -> Result) -> Result? {
            guard case .text(_, let parser) = self else { return nil }
            return parser.withTolerantMatch(line) { text(parser, $0) }
        }

        /// How well the format explains a line it reads tolerantly: more of its fields
        /// found first, then fewer missing and extra.
        func fit(_ line: UnsafeBufferPointer<UInt8>) -> (matched: Int, uneven: Int)? {
            guard case .text(_, let parser) = self else { return nil }
            let fields = parser.program.slots.count
            return parser.withTolerantMatch(line) { (fields - $0.missingFields, $0.missingFields + $0.extraFields) }
        }
    }

    public static let switchAfterFailures = 4
    public static let keptSamples = 5

    private let candidates: [Candidate]
    private var current: Int?
    private var failuresInARun = 0
    private var pending: Int?

    public private(set) var parsed = 0
    public private(set) var malformed = 0
    public private(set) var malformedSamples: [String] = []

    /// The name of the format in use ("istio", "json", "custom", …), nil before the first record.
    public var formatName: String? { current.map { candidates[$0].name } }

    public init(_ choice: Choice = .auto) {
        switch choice {
        case .auto:
            var all: [Candidate] = [.json(JSONAccessLogParser()), .ztunnel(ZtunnelLogParser())]
            for (name, source) in IstioFormats.named {
                if let format = try? EnvoyFormat(source) { all.append(.text(name: name, parser: AccessLogParser(format: format))) }
            }
            candidates = all
        case .json:
            candidates = [.json(JSONAccessLogParser())]
        case .ztunnel:
            candidates = [.ztunnel(ZtunnelLogParser())]
        case .text(let format):
            let name = IstioFormats.named.first { $0.source == format.source }?.name ?? "custom"
            candidates = [.text(name: name, parser: AccessLogParser(format: format))]
        }
        if candidates.count == 1 { current = 0 }
    }

    /// Parses a format argument: `auto`, `json`, a built-in name, or an Envoy format string.
    public static func choice(for argument: String) throws(EnvoyFormatError) -> Choice {
        switch argument {
        case "auto": return .auto
        case "json": return .json
        case "ztunnel": return .ztunnel
        default:
            if let format = IstioFormats.format(named: argument) { return .text(format) }
            guard argument.contains("%") else {
                throw EnvoyFormatError(offset: 0, reason: "'\(argument)' is neither a format name nor a format string")
            }
            return .text(try EnvoyFormat(argument))
        }
    }

    public mutating func decode(_ line: String) -> AccessLogRecord? {
        var line = line
        return line.withUTF8 { decode(bytes: $0) }
    }

    public mutating func decode(bytes line: UnsafeBufferPointer<UInt8>) -> AccessLogRecord? {
        read(line, text: { parser, fields in parser.record(from: fields) }, json: { $0 })
    }

    /// Detection and counting around one parse: `text` gets the fields of a line in a text
    /// format, `json` the record of a JSON line (or of a ztunnel one).
    public mutating func read<Result>(
        _ line: UnsafeBufferPointer<UInt8>, text: (AccessLogParser, AccessLogLine) -> Result,
        json: (AccessLogRecord) -> Result
    ) -> Result? {
        // Blank lines (a trailing newline, a log shipper's keep-alive) are not malformed.
        if !line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }) {
            return nil
        }
        if let current, let result = candidates[current].read(line, text: text, json: json) {
            failuresInARun = 0
            parsed += 1
            return result
        }
        for (index, candidate) in candidates.enumerated() where index != current {
            guard let result = candidate.read(line, text: text, json: json) else { continue }
            choose(index)
            parsed += 1
            return result
        }
        // No format reads the line as it is, so the one that explains most of it. Only
        // here: a tolerant reading never beats another format's exact one.
        if let best = bestTolerant(line), let result = candidates[best].readTolerant(line, text: text) {
            choose(best)
            parsed += 1
            return result
        }
        malformed += 1
        if malformedSamples.count == Self.keptSamples { malformedSamples.removeFirst() }
        malformedSamples.append(ControlBytes.sanitize(bytes: line.prefix(300)))
        return nil
    }

    /// A candidate other than the current one read a line: the first becomes current, and
    /// a run of them takes over.
    private mutating func choose(_ index: Int) {
        guard index != current else {
            failuresInARun = 0
            return
        }
        if current == nil {
            current = index
        } else {
            failuresInARun = pending == index ? failuresInARun + 1 : 1
            pending = index
            if failuresInARun >= Self.switchAfterFailures {
                current = index
                failuresInARun = 0
            }
        }
    }

    /// The candidate whose tolerant reading explains the line best; on a tie the current
    /// one, then the earlier (newer) format.
    private func bestTolerant(_ line: UnsafeBufferPointer<UInt8>) -> Int? {
        var best: (index: Int, matched: Int, uneven: Int)?
        for (index, candidate) in candidates.enumerated() {
            guard let fit = candidate.fit(line) else { continue }
            if let chosen = best {
                let better = fit.matched != chosen.matched ? fit.matched > chosen.matched : fit.uneven < chosen.uneven
                let tied = fit.matched == chosen.matched && fit.uneven == chosen.uneven
                guard better || (tied && index == current) else { continue }
            }
            best = (index, fit.matched, fit.uneven)
        }
        return best?.index
    }
}
