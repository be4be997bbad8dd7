#if canImport(Glibc)
import Glibc
#endif

/// A regular expression over the bytes of a log line (`meshtop logs --grep`, the
/// dashboard's `re:` filter) whose matching time is linear in the line's length.
///
/// Syntax: POSIX extended (ERE) as glibc reads it, byte by byte (C locale), plus the GNU
/// escapes `\w \W \s \S \b \B \< \>` and `\d \D` (rewritten to `[0-9]`, `[^0-9]`).
/// Back-references (`\1`…`\9`) are refused: they are what makes a POSIX matcher
/// backtrack. Backtracking engines (NSRegularExpression, Swift Regex) spend exponential
/// time on patterns like `(a+)+$`; glibc's matcher runs a DFA, but tries every start
/// position in turn, which is quadratic on a long line. Searching for
/// `^[^\n]*(PATTERN)` instead makes it one forward pass from the first byte;
/// `[^\n]` rather than `.` because `.` does not match a NUL byte.
public final class LinePattern: @unchecked Sendable {
    // @unchecked: the compiled pattern is never changed after init, and glibc's regexec
    // takes the pattern's own lock, so one pattern may be used from several threads.
    public let source: String
    private let compiled: UnsafeMutablePointer<regex_t>

    public init(_ pattern: String) throws(LinePatternError) {
        let rewritten = try Self.rewrite(pattern)
        let regex = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        // Compiled in the C locale, whatever the process's: byte semantics, so a line that
        // is not valid UTF-8 still matches, and no multibyte decoding on the hot path.
        let cLocale = newlocale(1 << LC_CTYPE | 1 << LC_COLLATE, "C", nil)
        let previous = cLocale.map { uselocale($0) }
        let status = regcomp(regex, "^[^\n]*(" + rewritten + ")", REG_EXTENDED | REG_NOSUB)
        if let previous { uselocale(previous) }
        if let cLocale { freelocale(cLocale) }
        guard status == 0 else {
            // A failed regcomp has freed what it allocated: only the message is left to take.
            var message = [CChar](repeating: 0, count: 256)
            regerror(status, regex, &message, message.count)
            regex.deallocate()
            throw LinePatternError(
                pattern: pattern, reason: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        source = pattern
        compiled = regex
    }

    deinit {
        regfree(compiled)
        compiled.deallocate()
    }

    /// True when the pattern occurs anywhere in `line` (a NUL byte is an ordinary byte).
    public func matches(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var range = regmatch_t(rm_so: 0, rm_eo: regoff_t(line.count))
        // REG_STARTEND: the bounds come from `range`, so the line needs no terminating NUL.
        guard let base = line.baseAddress else {
            return "".withCString { regexec(compiled, $0, 1, &range, REG_STARTEND) == 0 }
        }
        return base.withMemoryRebound(to: CChar.self, capacity: line.count) {
            regexec(compiled, $0, 1, &range, REG_STARTEND) == 0
        }
    }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches($0) }
    }

    /// Checks what glibc would accept but should not be (back-references, a `)` that
    /// closes a group of the wrapper) and spells `\d`/`\D` in ERE.
    static func rewrite(_ pattern: String) throws(LinePatternError) -> String {
        let bytes = Array(pattern.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var depth = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { throw LinePatternError(pattern: pattern, reason: "trailing backslash") }
                let next = bytes[index + 1]
                switch next {
                case UInt8(ascii: "1")...UInt8(ascii: "9"):
                    let name = "\\" + String(Character(UnicodeScalar(next)))
                    throw LinePatternError(pattern: pattern, reason: "back-references (\(name)) are not supported")
                case UInt8(ascii: "d"): out += Array("[0-9]".utf8)
                case UInt8(ascii: "D"): out += Array("[^0-9]".utf8)
                default: out += [byte, next]
                }
                index += 2
                continue
            case UInt8(ascii: "["):
                // A bracket expression is copied whole: `\` and `)` are ordinary inside it.
                let end = Self.bracketEnd(bytes, from: index)
                guard end < bytes.count else { throw LinePatternError(pattern: pattern, reason: "unmatched [") }
                out += bytes[index...end]
                index = end + 1
                continue
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                guard depth > 0 else { throw LinePatternError(pattern: pattern, reason: "unmatched )") }
                depth -= 1
            default: break
            }
            out.append(byte)
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The index of the `]` that closes the bracket expression opening at `start`, or
    /// `bytes.count` when there is none. A `]` first (after an optional `^`) is a member,
    /// and `[:alpha:]`, `[.x.]`, `[=x=]` hold a `]` of their own.
    private static func bracketEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start + 1
        if index < bytes.count, bytes[index] == UInt8(ascii: "^") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1 }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "]") { return index }
            if byte == UInt8(ascii: "["), index + 1 < bytes.count,
                let close = [UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "=")].first(where: { $0 == bytes[index + 1] })
            {
                var inner = index + 2
                while inner + 1 < bytes.count, !(bytes[inner] == close && bytes[inner + 1] == UInt8(ascii: "]")) { inner += 1 }
                index = inner + 2
                continue
            }
            index += 1
        }
        return bytes.count
    }
}

public struct LinePatternError: Error, CustomStringConvertible, Sendable {
    public let pattern: String
    public let reason: String
    public var description: String { "'\(pattern)' is not a valid regular expression: \(reason.lowercased())" }
}
