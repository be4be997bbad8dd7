#if canImport(Glibc)
import Glibc
#endif

/// A line parser compiled from an Envoy format string. It works on bytes: a match yields
/// the byte ranges of the fields (`AccessLogLine`), and Strings are built only for the
/// fields a caller keeps.
///
/// Each field ends where the literal that follows it in the format occurs next. When a
/// later step then fails, the field is extended to the following occurrence: Envoy does
/// not escape `"` inside header values (envoy#4191), so a user agent may contain the very
/// quote that would otherwise end it. A work budget bounds that backtracking.
///
/// Inside quotes, `\"` and `\\` are escapes (as `AccessLogWriter` writes them): an escaped
/// quote never ends a field, and the Strings built for quoted fields have them read back.
public struct AccessLogParser: Sendable {
    enum Kind: UInt8, Sendable, Equatable {
        case text
        /// Digits or "-"; anything else means the line is in another format.
        case number
        /// The protocol field glued to the path (Istio 1.0.x), split at "HTTP/".
        case gluedProtocol
    }

    /// What the matcher needs to know of a field; plain values so the hot loop copies
    /// nothing that is reference counted.
    struct Slot: Sendable {
        /// `AccessLogField.ordinal`, or -1 for an operator meshtop does not model.
        var field: Int8
        var kind: Kind
        /// Enclosed in quotes or brackets, so it may contain spaces.
        var enclosed: Bool
        /// May hold a raw `"` (client-supplied text, see `AccessLogField.mayContainQuote`).
        var quotesAllowed: Bool
        /// Between a pair of `"` in the format, where `\"` and `\\` are escapes.
        var quoted: Bool
    }

    /// A literal (`slot` < 0: bytes `literalStart..<literalStart+literalCount` of
    /// `literals`) or a field, with how the field finds its end decided once, here.
    struct Step: Sendable {
        enum End: UInt8, Sendable {
            /// Digits (or a lone "-") up to the next literal.
            case digits
            /// The first `stop` byte, which the field may not hold (nor `other`), starts the next literal.
            case firstStop
            /// Try each occurrence of the next literal, backtracking.
            case search
            /// The field runs to the end of the line.
            case lineEnd
            /// The protocol glued to the path (Istio 1.0.x).
            case glued
        }

        var slot: Int32
        var literalStart: Int32
        var literalCount: Int32
        var end: End = .search
        var stop: UInt8 = 0
        var other: UInt8 = 0
        var isLiteral: Bool { slot < 0 }
    }

    /// The compiled tables, shared: copying a parser (the decoder does, per line) costs
    /// one reference count, not one per table.
    final class Program: Sendable {
        let format: EnvoyFormat
        let steps: [Step]
        let literals: [UInt8]
        let slots: [Slot]
        /// The JSON key of each slot whose operator meshtop does not model.
        let extraKeys: [String?]
        /// For each `AccessLogField.ordinal`, the slot that holds it, or -1.
        let slotOfField: [Int32]
        /// Whether the format starts with `[%START_TIME%] `, which some lines lack.
        let startsWithBracketedTime: Bool
        /// The format cut at each field boundary, longest first, for lines that end early
        /// (`AccessLogParser+Tolerant.swift`); empty in the cut programs themselves.
        let shorter: [Shorter]
        /// How a record's JSON object is written from a line (`AccessLogParser+JSON.swift`).
        let jsonPlan: JSONPlan

        init(
            format: EnvoyFormat, steps: [Step], literals: [UInt8], slots: [Slot], extraKeys: [String?],
            slotOfField: [Int32], startsWithBracketedTime: Bool, shorter: [Shorter] = []
        ) {
            self.format = format
            self.steps = steps
            self.literals = literals
            self.slots = slots
            self.extraKeys = extraKeys
            self.slotOfField = slotOfField
            self.startsWithBracketedTime = startsWithBracketedTime
            self.shorter = shorter
            jsonPlan = JSONPlan(slots: slots, extraKeys: extraKeys, slotOfField: slotOfField)
        }
    }

    let program: Program
    public var format: EnvoyFormat { program.format }

    public init(format: EnvoyFormat) {
        let full = Self.compile(format.tokens, format: format)
        program = Self.compile(format.tokens, format: format, shorter: Self.shorterPrograms(of: format, full: full))
    }

    /// The tables for a list of tokens: the whole format, or the format cut short.
    static func compile(_ tokens: [EnvoyFormat.Token], format: EnvoyFormat, shorter: [Shorter] = []) -> Program {
        var steps: [Step] = []
        var literals: [UInt8] = []
        var slots: [Slot] = []
        var extraKeys: [String?] = []
        var slotOfField = [Int32](repeating: -1, count: AccessLogField.allCases.count)
        var previousLiteral: [UInt8] = []
        let quotedTokens = Self.quotedTokens(tokens)
        for (tokenIndex, token) in tokens.enumerated() {
            switch token {
            case .literal(let text):
                let bytes = Array(text.utf8)
                steps.append(Step(slot: -1, literalStart: Int32(literals.count), literalCount: Int32(bytes.count)))
                literals += bytes
                previousLiteral = bytes
            case .command(let op):
                let field = AccessLogField(operator: op)
                var kind: Kind = field?.isNumeric == true ? .number : .text
                if let last = steps.last, !last.isLiteral, field == .protocol { kind = .gluedProtocol }
                // A method is an HTTP token, never spaced, even as the first of a quoted request line.
                let enclosed = (previousLiteral.last == UInt8(ascii: "\"") || previousLiteral.last == UInt8(ascii: "["))
                    && field != .method
                if let field, slotOfField[field.ordinal] < 0 { slotOfField[field.ordinal] = Int32(slots.count) }
                slots.append(
                    Slot(
                        field: Int8(field?.ordinal ?? -1), kind: kind, enclosed: enclosed,
                        quotesAllowed: field?.mayContainQuote ?? true, quoted: quotedTokens[tokenIndex]))
                extraKeys.append(field == nil ? Self.extraKey(for: op) : nil)
                steps.append(Step(slot: Int32(slots.count - 1), literalStart: 0, literalCount: 0))
                previousLiteral = []
            }
        }
        Self.planEnds(&steps, literals: literals, slots: slots)
        let opensWithBracket = steps.count >= 3 && steps[0].isLiteral && steps[0].literalCount == 1
            && literals[Int(steps[0].literalStart)] == UInt8(ascii: "[")
        return Program(
            format: format, steps: steps, literals: literals, slots: slots, extraKeys: extraKeys, slotOfField: slotOfField,
            startsWithBracketedTime: opensWithBracket
                && slots[Int(steps[1].slot)].field == Int8(AccessLogField.startTime.ordinal),
            shorter: shorter)
    }

    /// Decides for each field how it finds its end. When the literal after a field starts
    /// with a byte the field may not hold, the field can only end at the first occurrence
    /// of that byte: no search, no backtracking. A field step then also carries the
    /// literal that follows it, so the matcher takes both in one go.
    private static func planEnds(_ steps: inout [Step], literals: [UInt8], slots: [Slot]) {
        let space = UInt8(ascii: " ")
        let quote = UInt8(ascii: "\"")
        for index in steps.indices where !steps[index].isLiteral {
            let slot = slots[Int(steps[index].slot)]
            guard index + 1 < steps.count else {
                steps[index].end = .lineEnd
                continue
            }
            let next = steps[index + 1]
            guard next.isLiteral else {
                steps[index].end = .glued
                continue
            }
            steps[index].literalStart = next.literalStart
            steps[index].literalCount = next.literalCount
            guard next.literalCount > 0 else { continue }
            let first = literals[Int(next.literalStart)]
            let isDigit = first &- UInt8(ascii: "0") <= 9
            if slot.kind == .number, !isDigit, first != UInt8(ascii: "-") {
                steps[index].end = .digits
            } else if slot.kind == .text, (!slot.enclosed && first == space) || (!slot.quotesAllowed && first == quote) {
                steps[index].end = .firstStop
                steps[index].stop = first
                // The other byte the field may not hold, or the same one again.
                steps[index].other =
                    first == space ? (slot.quotesAllowed ? space : quote) : (slot.enclosed ? quote : space)
            }
        }
    }

    /// For each token of the format, whether an odd number of `"` precede it in the
    /// literals, that is whether it is written inside quotes.
    static func quotedTokens(_ format: EnvoyFormat) -> [Bool] { quotedTokens(format.tokens) }

    static func quotedTokens(_ tokens: [EnvoyFormat.Token]) -> [Bool] {
        var inside = false
        return tokens.map { token in
            guard case .literal(let text) = token else { return inside }
            for byte in text.utf8 where byte == UInt8(ascii: "\"") { inside.toggle() }
            return inside
        }
    }

    /// A quoted field's bytes as text, with `\"` and `\\` read back; any other backslash is
    /// kept as it is (`\x1b` stays visible).
    static func unescaped(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard let base = bytes.baseAddress, memchr(base, Int32(UInt8(ascii: "\\")), bytes.count) != nil else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count,
                bytes[index + 1] == UInt8(ascii: "\"") || bytes[index + 1] == UInt8(ascii: "\\")
            {
                out.append(bytes[index + 1])
                index += 2
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
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
        withMatch(line) { record(from: $0) }
    }

    /// Every field of a matched line as a record, including the ones kept in `extra`.
    func record(from line: AccessLogLine) -> AccessLogRecord {
        var record = AccessLogRecord()
        for (index, slot) in program.slots.enumerated() {
            guard let bytes = line.value(slot: index) else { continue }
            if slot.field >= 0 {
                // A field named twice is read from its first place, as `AccessLogLine.value` reads it.
                guard program.slotOfField[Int(slot.field)] == Int32(index) else { continue }
                let field = AccessLogField.allCases[Int(slot.field)]
                if slot.kind == .number {
                    record.set(field, number: Self.integer(bytes))
                } else {
                    record.set(field, text: slot.quoted ? Self.unescaped(bytes) : String(decoding: bytes, as: UTF8.self))
                }
            } else if let key = program.extraKeys[index], record.extra[key] == nil {
                record.extra[key] = slot.quoted ? Self.unescaped(bytes) : String(decoding: bytes, as: UTF8.self)
            }
        }
        record.direction = line.direction
        record.extraFields = line.extraFields
        record.missingFields = line.missingFields
        return record
    }

    /// Calls `body` with the fields of the line when it is in this format; the view is
    /// valid only inside `body`. Nothing is allocated for a line that matches.
    public func withMatch<Result>(_ line: UnsafeBufferPointer<UInt8>, _ body: (AccessLogLine) -> Result) -> Result? {
        guard let base = line.baseAddress else { return nil }
        let end = Self.contentEnd(line)
        let program = program
        let slotCount = program.slots.count
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * slotCount + 1) { captures in
            for index in 0..<(2 * slotCount) { captures[index] = -1 }
            guard Self.run(program, line, end: end, captures: captures.baseAddress!, tail: false).matched else { return nil }
            return program.slotOfField.withUnsafeBufferPointer { slotOfField in program.slots.withUnsafeBufferPointer { slots in
                body(
                    AccessLogLine(
                        bytes: UnsafeBufferPointer(start: base, count: end), captures: captures.baseAddress!,
                        slotOfField: slotOfField, slots: slots))
            } }
        }
    }

    /// Where the line ends without its newline.
    static func contentEnd(_ line: UnsafeBufferPointer<UInt8>) -> Int {
        var end = line.count
        while end > 0, line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return end
    }

    /// One walk of a program over a line: whether it matched, the tokens after its last
    /// step (only with `tail`), and the furthest step it got to.
    struct Walk {
        var matched: Bool
        var extraTokens: Int
        var reached: Int
    }

    static func run(
        _ program: Program, _ line: UnsafeBufferPointer<UInt8>, end: Int, captures: UnsafeMutablePointer<Int>, tail: Bool
    ) -> Walk {
        program.steps.withUnsafeBufferPointer { steps in
            program.literals.withUnsafeBufferPointer { literals in
                program.slots.withUnsafeBufferPointer { slots in
                    var matcher = Matcher(
                        line: line.baseAddress!, end: end, steps: steps, literals: literals, slots: slots, captures: captures,
                        tail: tail)
                    let matched = matcher.matchLine(startsWithBracketedTime: program.startsWithBracketedTime, bytes: line)
                    return Walk(matched: matched, extraTokens: matcher.extraTokens, reached: matcher.reached)
                }
            }
        }
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

/// The backtracking walk over the steps of one line. Captures are pairs of offsets,
/// -1 for a field not (yet) found.
struct Matcher {
    let line: UnsafePointer<UInt8>
    let end: Int
    let steps: UnsafeBufferPointer<AccessLogParser.Step>
    let literals: UnsafeBufferPointer<UInt8>
    let slots: UnsafeBufferPointer<AccessLogParser.Slot>
    let captures: UnsafeMutablePointer<Int>
    /// Whether the line may go on after the last step with space-separated tokens (fields
    /// this format does not have), and an unquoted last field ends at a space.
    let tail: Bool
    /// Bounds the work on a hostile line: each candidate position tried costs one unit.
    var budget = 512
    /// The tokens after the last step, when `tail` let the line match.
    var extraTokens = 0
    /// The furthest step a failed attempt got to: no cut of the format beyond it can match.
    var reached = 0

    static var space: UInt8 { UInt8(ascii: " ") }
    static var quote: UInt8 { UInt8(ascii: "\"") }

    mutating func matchLine(startsWithBracketedTime: Bool, bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = LinePrefix.skip(in: bytes, end: end, bracketedTime: startsWithBracketedTime)
        guard startsWithBracketedTime, start < end, line[start] != UInt8(ascii: "[") else {
            return match(step: 0, at: start)
        }
        // A line without its [START_TIME]: match the rest of the literal after "]", then go on.
        guard steps[2].isLiteral else { return false }
        let closing = literal(steps[2])
        guard let bracket = closing.firstIndex(of: UInt8(ascii: "]")) else { return false }
        var restStart = bracket + 1
        while restStart < closing.count, closing[restStart] == Self.space { restStart += 1 }
        let rest = UnsafeBufferPointer(rebasing: closing[restStart...])
        while start < end, line[start] == Self.space { start += 1 }
        guard has(rest, at: start) else { return false }
        return match(step: 3, at: start + rest.count)
    }

    private func literal(_ step: AccessLogParser.Step) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: literals.baseAddress! + Int(step.literalStart), count: Int(step.literalCount))
    }

    private func capture(_ slot: Int32, _ from: Int, _ to: Int) {
        captures[2 * Int(slot)] = from
        captures[2 * Int(slot) + 1] = to
    }

    /// Walks the steps from `step`; loops while a field can end in only one place and
    /// recurses only where it may have to come back and extend a field.
    mutating func match(step first: Int, at start: Int) -> Bool {
        // Locals, so that stores through `captures` do not make the compiler reload them.
        let line = self.line
        let end = self.end
        let steps = self.steps
        let captures = self.captures
        var budget = self.budget
        defer { self.budget = budget }
        var step = first
        var position = start
        while true {
            budget -= 1
            guard budget > 0 else { return failed(step) }
            guard step < steps.count else {
                let matchedEnd = position
                while position < end, line[position] == UInt8(ascii: " ") { position += 1 }
                if position == end { return true }
                return tail ? tokens(from: matchedEnd) : failed(step)
            }
            let current = steps[step]
            if current.isLiteral {
                let bytes = literal(current)
                guard has(bytes, at: position) else { return failed(step) }
                step += 1
                position += bytes.count
                continue
            }
            let slot = Int(current.slot)
            switch current.end {
            case .firstStop:
                var stop = indexOfEither(current.stop, current.other, from: position)
                // An escaped quote is part of the field; only quoted fields have escapes.
                while stop < end, line[stop] == UInt8(ascii: "\""), slots[slot].quoted, isEscaped(stop, after: position) {
                    stop = indexOfEither(current.stop, current.other, from: stop + 1)
                }
                // The literal's first byte is the one found; check the rest.
                guard stop < end, line[stop] == current.stop, has(literal(current), at: stop, from: 1) else {
                    return failed(step)
                }
                captures[2 * slot] = position
                captures[2 * slot + 1] = stop
                step += 2
                position = stop + Int(current.literalCount)
            case .digits:
                var stop = position
                while stop < end, line[stop] &- UInt8(ascii: "0") <= 9 { stop += 1 }
                if stop == position, stop < end, line[stop] == UInt8(ascii: "-") { stop += 1 }
                guard stop > position, stop - position <= 18, has(literal(current), at: stop) else { return failed(step) }
                captures[2 * slot] = position
                captures[2 * slot + 1] = stop
                step += 2
                position = stop + Int(current.literalCount)
            case .lineEnd:
                if accepts(slots[slot], position, end) {
                    capture(current.slot, position, end)
                    return true
                }
                // Cut short or followed by more fields: the value ends at the first space.
                guard tail, !slots[slot].enclosed else { return failed(step) }
                let stop = indexOfEither(Self.space, Self.space, from: position)
                guard accepts(slots[slot], position, stop) else { return failed(step) }
                capture(current.slot, position, stop)
                return tokens(from: stop) || failed(step)
            case .glued:
                self.budget = budget
                defer { budget = self.budget }
                return matchGlued(step: step, at: position)
            case .search:
                self.budget = budget
                defer { budget = self.budget }
                return search(step: step, at: position)
            }
        }
    }

    /// Each occurrence of the literal after the field, in turn, until the rest matches.
    private mutating func search(step: Int, at position: Int) -> Bool {
        let current = steps[step]
        let slot = slots[Int(current.slot)]
        let bytes = literal(current)
        guard !bytes.isEmpty else { return failed(step) }
        var from = position
        // An escaped quote inside a quoted field is the field's own, not the literal after it.
        let skipsEscaped = slot.quoted && bytes[0] == Self.quote
        while let found = find(bytes, from: from) {
            if skipsEscaped, isEscaped(found, after: position) {
                from = found + 1
                continue
            }
            if !accepts(slot, position, found) {
                // Growing cannot remove a space or a quote it already holds.
                if !slot.enclosed || !slot.quotesAllowed { return failed(step) }
            } else {
                capture(current.slot, position, found)
                if match(step: step + 2, at: found + bytes.count) { return true }
            }
            budget -= 1
            guard budget > 0 else { return failed(step) }
            from = found + 1
        }
        return failed(step)
    }

    /// Two fields with nothing between them: the path and protocol of Istio 1.0.x.
    private mutating func matchGlued(step: Int, at position: Int) -> Bool {
        guard step + 2 < steps.count, steps[step + 2].isLiteral else { return failed(step) }
        let bytes = literal(steps[step + 2])
        var from = position
        while let found = find(bytes, from: from) {
            let split = protocolStart(position, found)
            // A path with a space was not written by Istio 1.0 but by a format that puts a
            // space before the protocol.
            if accepts(slots[Int(steps[step].slot)], position, split) {
                capture(steps[step].slot, position, split)
                capture(steps[step + 1].slot, split, found)
                if match(step: step + 2, at: found) { return true }
            }
            budget -= 1
            guard budget > 0 else { return failed(step) }
            from = found + 1
        }
        return failed(step)
    }

    /// Notes how far a failed attempt got; always false.
    private mutating func failed(_ step: Int) -> Bool {
        if step > reached { reached = step }
        return false
    }

    /// Whether the rest of the line, from just after the last step, is fields this format
    /// does not have: tokens each after a space, a `"…"` part of one holding spaces.
    private mutating func tokens(from start: Int) -> Bool {
        var position = start
        var count = 0
        while true {
            let separator = position
            while position < end, line[position] == Self.space { position += 1 }
            if position == end {
                extraTokens = count
                return true
            }
            guard position > separator else { return false }
            while position < end, line[position] != Self.space {
                if line[position] == Self.quote {
                    let open = position
                    position += 1
                    while position < end, line[position] != Self.quote || isEscaped(position, after: open + 1) { position += 1 }
                    guard position < end else { return false }
                }
                position += 1
            }
            count += 1
        }
    }

    private func accepts(_ slot: AccessLogParser.Slot, _ from: Int, _ to: Int) -> Bool {
        if slot.kind == .number {
            if to - from == 1, line[from] == UInt8(ascii: "-") { return true }
            guard to > from, to - from <= 18 else { return false }
            for index in from..<to where line[index] < UInt8(ascii: "0") || line[index] > UInt8(ascii: "9") { return false }
            return true
        }
        if !slot.enclosed {
            for index in from..<to where line[index] == Self.space { return false }
        }
        if !slot.quotesAllowed {
            for index in from..<to where line[index] == Self.quote {
                if !slot.quoted || !isEscaped(index, after: from) { return false }
            }
        }
        return true
    }

    /// Whether the byte at `index` follows an odd run of backslashes that starts at or after `start`.
    @inline(__always)
    private func isEscaped(_ index: Int, after start: Int) -> Bool {
        var count = 0
        var scan = index - 1
        while scan >= start, line[scan] == UInt8(ascii: "\\") {
            count += 1
            scan -= 1
        }
        return count & 1 == 1
    }

    /// The first position at or after `from` holding `a` or `b`, or `end`.
    @inline(__always)
    private func indexOfEither(_ a: UInt8, _ b: UInt8, from: Int) -> Int {
        ByteScan.firstOfEither(a, b, in: line, from: from, end: end)
    }

    private func has(_ literal: UnsafeBufferPointer<UInt8>, at position: Int, from skip: Int = 0) -> Bool {
        guard position + literal.count <= end else { return false }
        // Literals are a few bytes: a loop beats a call to memcmp.
        var offset = skip
        while offset < literal.count {
            if line[position + offset] != literal[offset] { return false }
            offset += 1
        }
        return true
    }

    private func find(_ literal: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let first = literal.first else { return from }
        var index = from
        while index + literal.count <= end {
            guard let hit = memchr(line + index, Int32(first), end - index) else { return nil }
            index = line.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if has(literal, at: index) { return index }
            index += 1
        }
        return nil
    }

    /// Where "HTTP/…" (or a lone "-") starts at the end of a glued path+protocol span.
    private func protocolStart(_ from: Int, _ to: Int) -> Int {
        var index = to - 5
        while index >= from {
            if line[index] == UInt8(ascii: "H"), memcmp(line + index, "HTTP/", 5) == 0 { return index }
            index -= 1
        }
        if to > from, line[to - 1] == UInt8(ascii: "-") { return to - 1 }
        return to
    }
}
