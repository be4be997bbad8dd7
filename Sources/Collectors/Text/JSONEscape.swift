/// Hidden scalars (`ControlBytes.isHidden`) in JSON output become `\uXXXX`: a JSON reader
/// gets the same text back, and a terminal that shows the JSON shows six plain characters
/// instead of a direction override or a C1 control.
public enum JSONEscape {
    /// The hidden scalar of two or more bytes that starts at `index`, and its length.
    static func hiddenScalar(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int)? {
        let lead = bytes[index]
        if lead == 0x7F { return (0x7F, 1) }
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: (length, value) = (2, UInt32(lead & 0x1F))
        case 0xE0...0xEF: (length, value) = (3, UInt32(lead & 0x0F))
        case 0xF0...0xF4: (length, value) = (4, UInt32(lead & 0x07))
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let next = bytes[index + offset]
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value), ControlBytes.isHidden(scalar) else { return nil }
        return (value, length)
    }

    /// `\uXXXX`, or a surrogate pair beyond the BMP, as JSON spells a scalar.
    static func appendUnicodeEscape(_ value: UInt32, to out: inout [UInt8]) {
        func unit(_ unit: UInt32) {
            out.append(contentsOf: "\\u".utf8)
            for shift in stride(from: 12, through: 0, by: -4) {
                let digit = UInt8((unit >> UInt32(shift)) & 0xF)
                out.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
            }
        }
        if value > 0xFFFF {
            let offset = value - 0x10000
            unit(0xD800 + (offset >> 10))
            unit(0xDC00 + (offset & 0x3FF))
        } else {
            unit(value)
        }
    }

    /// JSON text (from `JSONEncoder`, which writes such scalars raw) with hidden scalars
    /// escaped; they can only stand inside strings, where an escape means the same.
    public static func escapingHidden(_ json: [UInt8]) -> [UInt8] {
        json.withUnsafeBufferPointer { bytes in
            guard ControlBytes.mayNeedEscape(bytes) else { return json }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 16)
            var index = 0
            while index < bytes.count {
                if bytes[index] >= 0x7F, let hidden = hiddenScalar(in: bytes, at: index) {
                    appendUnicodeEscape(hidden.value, to: &out)
                    index += hidden.length
                } else {
                    out.append(bytes[index])
                    index += 1
                }
            }
            return out
        }
    }
}
