/// Lines that are in a format except at their end. Fleets do not write exactly the format
/// of a release: patch releases added or dropped trailing fields, operators append their
/// own to the default. Such a line is read for the fields it shares with the format, and
/// says how many it lacks (`missingFields`) or has beyond it (`extraFields`).
///
/// A line that ends early is matched by the format cut at a field boundary (a space
/// outside quotes in a literal): every cut is compiled once, as a program of its own
/// whose slots are the first slots of the whole format, so the captures read the same.
extension AccessLogParser {
    /// The format cut short, and the step of the whole format where it was cut.
    struct Shorter: Sendable {
        let program: Program
        let step: Int
    }

    /// The cuts worth trying, longest first. A cut keeps at least the request id (what
    /// pairs a line) or, in a format without one, half of the fields: a line with less is
    /// more likely something else than a short access-log line.
    static func shorterPrograms(of format: EnvoyFormat, full: Program) -> [Shorter] {
        let tokens = format.tokens
        let idSlot = Int(full.slotOfField[AccessLogField.requestID.ordinal])
        var cuts: [Shorter] = []
        var inside = false
        var fieldsBefore = 0
        for (index, token) in tokens.enumerated() {
            guard case .literal(let text) = token else {
                fieldsBefore += 1
                continue
            }
            var cut: Int?
            for (offset, byte) in text.utf8.enumerated() {
                if byte == UInt8(ascii: "\"") {
                    inside.toggle()
                } else if byte == UInt8(ascii: " "), !inside, cut == nil {
                    cut = offset
                }
            }
            guard let cut, fieldsBefore < full.slots.count else { continue }
            let keepsEnough = idSlot >= 0 ? fieldsBefore > idSlot : 2 * fieldsBefore >= full.slots.count
            guard keepsEnough else { continue }
            var kept = Array(tokens[..<index])
            if cut > 0 { kept.append(.literal(String(decoding: text.utf8.prefix(cut), as: UTF8.self))) }
            cuts.append(Shorter(program: compile(kept, format: format), step: index))
        }
        return cuts.reversed()
    }

    /// Calls `body` with the fields of a line this format reads only by tolerating its end:
    /// it stops at a field boundary, or goes on with space-separated fields the format lacks,
    /// or both. The line's `missingFields` and `extraFields` say which. For lines `withMatch`
    /// rejected: a line it reads is read here too, but slower.
    public func withTolerantMatch<Result>(_ line: UnsafeBufferPointer<UInt8>, _ body: (AccessLogLine) -> Result) -> Result? {
        guard let base = line.baseAddress else { return nil }
        let end = Self.contentEnd(line)
        let program = program
        let slotCount = program.slots.count
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * slotCount + 1) { captures in
            for index in 0..<(2 * slotCount) { captures[index] = -1 }
            var walk = Self.run(program, line, end: end, captures: captures.baseAddress!, tail: true)
            var missing = 0
            if !walk.matched {
                // A cut can only match where the whole format got at least as far: the steps
                // before the cut are the same.
                let reached = walk.reached
                for cut in program.shorter where cut.step - 1 <= reached {
                    for index in 0..<(2 * slotCount) { captures[index] = -1 }
                    walk = Self.run(cut.program, line, end: end, captures: captures.baseAddress!, tail: true)
                    if walk.matched {
                        missing = slotCount - cut.program.slots.count
                        break
                    }
                }
            }
            guard walk.matched else { return nil }
            return program.slotOfField.withUnsafeBufferPointer { slotOfField in program.slots.withUnsafeBufferPointer { slots in
                body(
                    AccessLogLine(
                        bytes: UnsafeBufferPointer(start: base, count: end), captures: captures.baseAddress!,
                        slotOfField: slotOfField, slots: slots, extraFields: walk.extraTokens, missingFields: missing))
            } }
        }
    }

    /// The record of a line read by `withTolerantMatch`, or nil.
    public func parseTolerant(bytes line: UnsafeBufferPointer<UInt8>) -> AccessLogRecord? {
        withTolerantMatch(line) { record(from: $0) }
    }

    public func parseTolerant(_ line: String) -> AccessLogRecord? {
        var line = line
        return line.withUTF8 { parseTolerant(bytes: $0) }
    }
}
