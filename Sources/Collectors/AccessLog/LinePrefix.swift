/// What other tools put in front of an access-log line, and how far to skip it:
/// `kubectl logs --prefix` (`[pod/NAME/CONTAINER] `), `kubectl logs --timestamps`
/// (an RFC 3339 time and a space), and cloud-logging prefixes before `[YYYY-`.
enum LinePrefix {
    static func skip(in line: UnsafeBufferPointer<UInt8>, end: Int, bracketedTime: Bool) -> Int {
        var position = 0
        if starts(line, end, at: position, with: "[pod/"), let close = index(of: UInt8(ascii: "]"), in: line, from: position, end: end) {
            position = close + 1
            if position < end, line[position] == UInt8(ascii: " ") { position += 1 }
        }
        if isRFC3339Date(line, end, at: position), let space = index(of: UInt8(ascii: " "), in: line, from: position, end: end) {
            position = space + 1
        }
        if bracketedTime, !isBracketedYear(line, end, at: position), position < end, line[position] != UInt8(ascii: "\"") {
            // Skip any other prefix up to the first "[YYYY-".
            var index = position
            while index < end {
                if line[index] == UInt8(ascii: "["), isBracketedYear(line, end, at: index) { return index }
                index += 1
            }
        }
        return position
    }

    private static func starts(_ line: UnsafeBufferPointer<UInt8>, _ end: Int, at position: Int, with text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= end else { return false }
        let pointer = text.utf8Start
        for offset in 0..<count where line[position + offset] != pointer[offset] { return false }
        return true
    }

    private static func index(of byte: UInt8, in line: UnsafeBufferPointer<UInt8>, from: Int, end: Int) -> Int? {
        var index = from
        while index < end {
            if line[index] == byte { return index }
            index += 1
        }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// `YYYY-MM-DDT` at position.
    private static func isRFC3339Date(_ line: UnsafeBufferPointer<UInt8>, _ end: Int, at p: Int) -> Bool {
        guard p + 11 <= end else { return false }
        return isDigit(line[p]) && isDigit(line[p + 1]) && isDigit(line[p + 2]) && isDigit(line[p + 3])
            && line[p + 4] == UInt8(ascii: "-") && isDigit(line[p + 5]) && isDigit(line[p + 6])
            && line[p + 7] == UInt8(ascii: "-") && isDigit(line[p + 8]) && isDigit(line[p + 9])
            && line[p + 10] == UInt8(ascii: "T")
    }

    /// `[YYYY-` at position.
    private static func isBracketedYear(_ line: UnsafeBufferPointer<UInt8>, _ end: Int, at p: Int) -> Bool {
        guard p + 6 <= end else { return false }
        return line[p] == UInt8(ascii: "[") && isDigit(line[p + 1]) && isDigit(line[p + 2]) && isDigit(line[p + 3])
            && isDigit(line[p + 4]) && line[p + 5] == UInt8(ascii: "-")
    }
}
