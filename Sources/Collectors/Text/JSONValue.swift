/// A JSON scalar as meshtop writes it; strings escaped as `JSONEncoder` escapes them.
public enum JSONValue: Sendable {
    case null
    case number(Int)
    case string(String)

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .number(let value): Self.writeInteger(value, into: &out)
        case .string(let value): Self.writeString(value, into: &out)
        }
    }

    /// The decimal digits of `value`, without making a String of them.
    public static func writeInteger(_ value: Int, into out: inout some ByteSink) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var rest = value.magnitude
        // 20 digits hold any UInt64; they are made from the last one backwards.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = digits.count
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            out.append(UnsafeBufferPointer(rebasing: digits[index...]))
        }
    }

    /// A JSON string literal, quotes included.
    public static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        writeString(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func writeString(_ value: String, into out: inout [UInt8]) {
        var value = value
        value.withUTF8 { writeString(utf8: $0, into: &out) }
    }

    /// A JSON string literal of printable ASCII (`FieldText.plain`): only `"` and `\` need
    /// an escape, and most values have neither.
    public static func writeString(printable bytes: UnsafeBufferPointer<UInt8>, into out: inout some ByteSink) {
        out.append(UInt8(ascii: "\""))
        if let base = bytes.baseAddress {
            var runStart = 0
            while true {
                let index = ByteScan.firstOfEither(UInt8(ascii: "\""), UInt8(ascii: "\\"), in: base, from: runStart, end: bytes.count)
                guard index < bytes.count else { break }
                out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                out.append(UInt8(ascii: "\\"))
                out.append(bytes[index])
                runStart = index + 1
            }
            out.append(UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A JSON string literal of valid UTF-8.
    private static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // The table is read once, not behind a lazy global on every byte.
        ControlBytes.suspect.withUnsafeBufferPointer { suspect in
            // Runs that need no escape are copied whole.
            var runStart = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || suspect[Int(byte)] else {
                    index += 1
                    continue
                }
                if byte >= 0x7F {
                    // DEL, C1, bidi and zero-width scalars: `\uXXXX`, the same text to a JSON reader.
                    guard let hidden = JSONEscape.hiddenScalar(in: bytes, at: index) else {
                        index += 1
                        continue
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    JSONEscape.appendUnicodeEscape(hidden.value, to: &out)
                    index += hidden.length
                    runStart = index
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                index += 1
                runStart = index
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    let digits = UInt8(ascii: "0")
                    out.append(contentsOf: [UInt8(ascii: "u"), digits, digits, byte >> 4 == 0 ? digits : digits + 1])
                    let low = byte & 0xF
                    out.append(low < 10 ? digits + low : UInt8(ascii: "a") + low - 10)
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
