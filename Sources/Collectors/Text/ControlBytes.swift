/// Makes bytes from the outside safe to show on a terminal, in a page or on one log line.
///
/// C0 and C1 controls (ESC, CR, LF, BEL, CSI …) and DEL are shown as visible `\xNN`
/// escapes so a crafted key or header can neither drive the terminal nor forge a line.
/// Invalid UTF-8 is shown the same way, byte by byte. Printable text, CJK and emoji
/// pass through unchanged.
public enum ControlBytes {
    public static func sanitize(_ text: String) -> String {
        if !text.unicodeScalars.contains(where: isControl) { return text }
        var out = String()
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                appendEscape(UInt32(scalar.value), to: &out)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Decodes raw bytes, escaping control bytes and every byte that is not valid UTF-8.
    public static func sanitize(bytes: some Collection<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            return sanitize(text)
        }
        let raw = Array(bytes)
        var out = String()
        var index = 0
        while index < raw.count {
            let length = utf8Length(raw[index])
            if length > 0, index + length <= raw.count,
               let piece = String(validating: raw[index..<(index + length)], as: UTF8.self) {
                out += sanitize(piece)
                index += length
            } else {
                appendEscape(UInt32(raw[index]), to: &out)
                index += 1
            }
        }
        return out
    }

    @inline(__always)
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (v >= 0x7F && v <= 0x9F)
    }

    private static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 0
        }
    }

    private static let hexDigits: [Character] = Array("0123456789abcdef")

    private static func appendEscape(_ value: UInt32, to out: inout String) {
        if value <= 0xFF {
            out += "\\x"
            out.append(hexDigits[Int(value >> 4)])
            out.append(hexDigits[Int(value & 0xF)])
        } else {
            out += "\\u{" + String(value, radix: 16) + "}"
        }
    }
}
