/// Makes bytes from the outside safe to show on a terminal, in a page or on one log line.
///
/// Three kinds of scalar are shown as visible escapes instead of themselves:
/// - C0 and C1 controls (ESC, CR, LF, BEL, CSI …) and DEL, as `\xNN`, so a crafted key or
///   header can neither drive the terminal nor forge a line;
/// - bidi controls (U+202E and its kin), as `\u202e`, so `invoice\u202efdp.exe` cannot pass
///   for `invoiceexe.pdf`;
/// - zero-width and other invisible format characters (U+200B, U+FEFF, tag characters …)
///   and the line and paragraph separators, likewise, so two keys that look alike differ
///   visibly.
/// Invalid UTF-8 is shown as `\xNN`, byte by byte. Printable text, CJK and emoji pass through.
public enum ControlBytes {
    public static func sanitize(_ text: String) -> String {
        var text = text
        // Box drawing, arrows and CJK share lead bytes with the hidden scalars: look closer
        // before building a new string.
        if !text.withUTF8(mayNeedEscape) || !text.unicodeScalars.contains(where: isHidden) { return text }
        var out = String()
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isHidden(scalar) {
                appendEscape(scalar.value, to: &out)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Sanitised, then cut to `limit` bytes of UTF-8 (never inside a scalar) with the size
    /// said, so a 50 MB warning or error text from a peer stays one readable line.
    public static func sanitize(_ text: String, limit: Int) -> String {
        guard text.utf8.count > limit else { return sanitize(text) }
        let cut = String(decoding: text.utf8.prefix(limit), as: UTF8.self)
        // A scalar cut in two decodes to U+FFFD: drop it.
        let whole = cut.unicodeScalars.last == "\u{FFFD}" ? String(cut.unicodeScalars.dropLast()) : cut
        return sanitize(whole) + "… (\(text.utf8.count) bytes)"
    }

    /// Decodes raw bytes, escaping hidden scalars and every byte that is not valid UTF-8.
    public static func sanitize(bytes: some Collection<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            return sanitize(text)
        }
        // Scalar by scalar; each byte of an invalid sequence (Unicode's maximal subpart) escaped.
        // Validating piece by piece with `String(validating:)` cost a generic lookup per byte.
        let raw = Array(bytes)
        var out = String()
        out.reserveCapacity(raw.count * 2)
        var index = 0
        while index < raw.count {
            var parser = Unicode.UTF8.ForwardParser()
            var rest = raw[index...].makeIterator()
            switch parser.parseScalar(from: &rest) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                if isHidden(scalar) { appendEscape(scalar.value, to: &out) } else { out.unicodeScalars.append(scalar) }
                index += encoded.count
            case .error(let length):
                for byte in raw[index..<(index + length)] { appendEscape(UInt32(byte), to: &out) }
                index += length
            case .emptyInput:
                index = raw.count
            }
        }
        return out
    }

    /// C0, DEL and C1: the scalars that drive a terminal.
    @inline(__always)
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (v >= 0x7F && v <= 0x9F)
    }

    /// Every scalar that is shown escaped: controls, bidi controls, invisible characters.
    public static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F...0x9F: true
        // Bidi: ALM, LRM, RLM, the embeddings and overrides, the isolates.
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        // Zero width: space, non-joiner, joiner, word joiner, invisible operators, the BOM,
        // the Mongolian vowel separator; line and paragraph separators; tag characters.
        case 0x200B...0x200D, 0x2060...0x2064, 0xFEFF, 0x180E, 0x2028, 0x2029, 0xE0000...0xE007F: true
        default: false
        }
    }

    /// Whether UTF-8 bytes may hold a hidden scalar: a byte below 0x20, DEL, or the first
    /// byte of a sequence that can encode one. Most text has none and is passed through.
    @inline(__always)
    public static func mayNeedEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        suspect.withUnsafeBufferPointer { table in
            for byte in bytes where table[Int(byte)] { return true }
            return false
        }
    }

    /// Lead bytes of C1 (C2), U+061C (D8), U+180E (E1), U+2000–U+2FFF (E2), U+FEFF (EF) and
    /// the tag characters (F3), plus C0 and DEL.
    static let suspect: [Bool] = (0...255).map { byte in
        byte < 0x20 || byte == 0x7F || [0xC2, 0xD8, 0xE1, 0xE2, 0xEF, 0xF3].contains(byte)
    }

    private static let hexDigits: [Character] = Array("0123456789abcdef")

    /// `\xNN` up to 0xFF, `\uNNNN` in the BMP, `\u{NNNNN}` beyond: the forms a reader knows.
    private static func appendEscape(_ value: UInt32, to out: inout String) {
        if value <= 0xFF {
            out += "\\x"
            out.append(hexDigits[Int(value >> 4)])
            out.append(hexDigits[Int(value & 0xF)])
        } else if value <= 0xFFFF {
            out += "\\u"
            for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)]) }
        } else {
            out += "\\u{" + String(value, radix: 16) + "}"
        }
    }
}
