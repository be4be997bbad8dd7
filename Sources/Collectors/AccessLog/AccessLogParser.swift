/// A line parser compiled from an Envoy format string. It works on bytes and builds
/// Strings only for the fields it keeps.
///
/// Each field ends where the literal that follows it in the format occurs next. When a
/// later step then fails, the field is extended to the following occurrence: Envoy does
/// not escape `"` inside header values (envoy#4191), so a user agent may contain the very
/// quote that would otherwise end it. A work budget bounds that backtracking.
public struct AccessLogParser: Sendable {
    enum Kind: Sendable, Equatable {
        case text
        /// Digits or "-"; anything else means the line is in another format.
        case number
        /// The protocol field glued to the path (Istio 1.0.x), split at "HTTP/".
        case gluedProtocol
    }

    struct Slot: Sendable {
        var field: AccessLogField?
        var extraKey: String?
        var kind: Kind
        /// Enclosed in quotes or brackets, so it may contain spaces.
        var enclosed: Bool
        /// May hold a raw `"` (client-supplied text, see `AccessLogField.mayContainQuote`).
        var quotesAllowed: Bool
    }

    enum Step: Sendable {
        case literal([UInt8])
        case field(Int)
    }

    public let format: EnvoyFormat
    let steps: [Step]
    let slots: [Slot]
    /// Whether the format starts with `[%START_TIME%] `, which some lines lack.
    let startsWithBracketedTime: Bool

    public init(format: EnvoyFormat) {
        self.format = format
        var steps: [Step] = []
        var slots: [Slot] = []
        var previousLiteral: [UInt8] = []
        for token in format.tokens {
            switch token {
            case .literal(let text):
                let bytes = Array(text.utf8)
                steps.append(.literal(bytes))
                previousLiteral = bytes
            case .command(let op):
                let field = AccessLogField(operator: op)
                var kind: Kind = field?.isNumeric == true ? .number : .text
                if case .field = steps.last, field == .protocol { kind = .gluedProtocol }
                let enclosed = previousLiteral.last == UInt8(ascii: "\"") || previousLiteral.last == UInt8(ascii: "[")
                slots.append(
                    Slot(
                        field: field, extraKey: field == nil ? Self.extraKey(for: op) : nil, kind: kind,
                        enclosed: enclosed, quotesAllowed: field?.mayContainQuote ?? true))
                steps.append(.field(slots.count - 1))
                previousLiteral = []
            }
        }
        self.steps = steps
        self.slots = slots
        if steps.count >= 3, case .literal(let open) = steps[0], open == Array("[".utf8), case .field(let slot) = steps[1],
            slots[slot].field == .startTime
        {
            startsWithBracketedTime = true
        } else {
            startsWithBracketedTime = false
        }
    }

    /// The JSON key Istio used for an operator meshtop does not model.
    static func extraKey(for op: EnvoyOperator) -> String {
        if op.name == "DYNAMIC_METADATA", op.argument == "istio.mixer:status" { return "istio_policy_status" }
        let base = op.name.lowercased()
        guard let argument = op.argument, !argument.isEmpty else { return base }
        return base + "(" + argument.lowercased() + ")"
    }

    /// The record in this line, or nil when the line is not in this format.
    public func parse(_ line: String) -> AccessLogRecord? {
        var line = line
        return line.withUTF8 { parse(bytes: $0) }
    }

    public func parse(bytes line: UnsafeBufferPointer<UInt8>) -> AccessLogRecord? {
        var end = line.count
        while end > 0, line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        var start = LinePrefix.skip(in: line, end: end, bracketedTime: startsWithBracketedTime)
        var matcher = Matcher(parser: self, line: line, end: end)
        if startsWithBracketedTime, start < end, line[start] != UInt8(ascii: "[") {
            // A line without its [START_TIME]: match the rest of the literal after "]", then go on.
            guard case .literal(let closing) = steps[2], let bracket = closing.firstIndex(of: UInt8(ascii: "]")) else {
                return nil
            }
            let rest = closing[(bracket + 1)...].drop { $0 == UInt8(ascii: " ") }
            while start < end, line[start] == UInt8(ascii: " ") { start += 1 }
            guard start + rest.count <= end, line[start..<(start + rest.count)].elementsEqual(rest) else { return nil }
            guard matcher.match(step: 3, at: start + rest.count) else { return nil }
        } else {
            guard matcher.match(step: 0, at: start) else { return nil }
        }
        return makeRecord(line: line, captures: matcher.captures)
    }

    private func makeRecord(line: UnsafeBufferPointer<UInt8>, captures: [Range<Int>?]) -> AccessLogRecord {
        var record = AccessLogRecord()
        for (index, slot) in slots.enumerated() {
            guard let range = captures[index], !range.isEmpty else { continue }
            let bytes = UnsafeBufferPointer(rebasing: line[range])
            if bytes.count == 1, bytes[0] == UInt8(ascii: "-") { continue }
            if let field = slot.field {
                if slot.kind == .number {
                    record.set(field, number: Self.integer(bytes))
                } else {
                    record.set(field, text: String(decoding: bytes, as: UTF8.self))
                }
            } else if let key = slot.extraKey {
                record.extra[key] = String(decoding: bytes, as: UTF8.self)
            }
        }
        record.direction = AccessLogRecord.Direction(cluster: record.upstreamCluster, upstreamHost: record.upstreamHost)
        return record
    }

    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return bytes.isEmpty ? nil : value
    }
}

/// The backtracking walk over the steps of one line.
private struct Matcher {
    let parser: AccessLogParser
    let line: UnsafeBufferPointer<UInt8>
    let end: Int
    var captures: [Range<Int>?]
    /// Bounds the work on a hostile line: each candidate position tried costs one unit.
    var budget = 512

    init(parser: AccessLogParser, line: UnsafeBufferPointer<UInt8>, end: Int) {
        self.parser = parser
        self.line = line
        self.end = end
        self.captures = Array(repeating: nil, count: parser.slots.count)
    }

    mutating func match(step: Int, at position: Int) -> Bool {
        budget -= 1
        guard budget > 0 else { return false }
        let steps = parser.steps
        guard step < steps.count else {
            var tail = position
            while tail < end, line[tail] == UInt8(ascii: " ") { tail += 1 }
            return tail == end
        }
        switch steps[step] {
        case .literal(let literal):
            guard hasLiteral(literal, at: position) else { return false }
            return match(step: step + 1, at: position + literal.count)
        case .field(let slot):
            guard step + 1 < steps.count else {
                // The last field runs to the end of the line.
                guard accepts(slot, position..<end) else { return false }
                captures[slot] = position..<end
                return true
            }
            switch steps[step + 1] {
            case .literal(let literal):
                var from = position
                while let found = find(literal, from: from) {
                    if !accepts(slot, position..<found) {
                        // Growing cannot remove a space or a quote it already holds.
                        if !parser.slots[slot].enclosed || !parser.slots[slot].quotesAllowed { return false }
                    } else {
                        captures[slot] = position..<found
                        if match(step: step + 1, at: found) { return true }
                    }
                    budget -= 1
                    guard budget > 0 else { return false }
                    from = found + 1
                }
                return false
            case .field(let next):
                // Two fields with nothing between them: the path and protocol of Istio 1.0.x.
                guard step + 2 < steps.count, case .literal(let literal) = steps[step + 2] else { return false }
                var from = position
                while let found = find(literal, from: from) {
                    let split = protocolStart(in: position..<found)
                    captures[slot] = position..<split
                    captures[next] = split..<found
                    if match(step: step + 2, at: found) { return true }
                    budget -= 1
                    guard budget > 0 else { return false }
                    from = found + 1
                }
                return false
            }
        }
    }

    private func accepts(_ slot: Int, _ range: Range<Int>) -> Bool {
        let info = parser.slots[slot]
        if info.kind == .number {
            if range.count == 1, line[range.lowerBound] == UInt8(ascii: "-") { return true }
            guard !range.isEmpty, range.count <= 18 else { return false }
            for index in range where line[index] < UInt8(ascii: "0") || line[index] > UInt8(ascii: "9") { return false }
            return true
        }
        if !info.enclosed {
            for index in range where line[index] == UInt8(ascii: " ") { return false }
        }
        if !info.quotesAllowed {
            for index in range where line[index] == UInt8(ascii: "\"") { return false }
        }
        return true
    }

    private func hasLiteral(_ literal: [UInt8], at position: Int) -> Bool {
        guard position + literal.count <= end else { return false }
        for (offset, byte) in literal.enumerated() where line[position + offset] != byte { return false }
        return true
    }

    private func find(_ literal: [UInt8], from: Int) -> Int? {
        guard let first = literal.first else { return from }
        var index = from
        while index + literal.count <= end {
            if line[index] == first, hasLiteral(literal, at: index) { return index }
            index += 1
        }
        return nil
    }

    /// Where "HTTP/…" (or a lone "-") starts at the end of a glued path+protocol span.
    private func protocolStart(in range: Range<Int>) -> Int {
        let marker = Array("HTTP/".utf8)
        var index = range.upperBound - marker.count
        while index >= range.lowerBound {
            if hasLiteral(marker, at: index) { return index }
            index -= 1
        }
        if !range.isEmpty, line[range.upperBound - 1] == UInt8(ascii: "-") { return range.upperBound - 1 }
        return range.upperBound
    }
}
