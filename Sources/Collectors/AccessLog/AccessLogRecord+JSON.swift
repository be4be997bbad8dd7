/// The JSON shape of a record (`meshtop logs --json`): every key present, absent values as null,
/// durations as numbers, plus `direction`, `source` (the record's origin) and any extra keys the line carried.
extension AccessLogRecord: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSONKey.self)
        if let connection {
            for (key, value) in connection.jsonMembers(origin: origin) {
                switch value {
                case .null: try container.encodeNil(forKey: JSONKey(key))
                case .number(let number): try container.encode(number, forKey: JSONKey(key))
                case .string(let text): try container.encode(text, forKey: JSONKey(key))
                }
            }
            return
        }
        for field in AccessLogField.allCases {
            let key = JSONKey(field.rawValue)
            if field.isNumeric {
                try container.encode(number(for: field), forKey: key)
            } else {
                try container.encode(text(for: field), forKey: key)
            }
        }
        try container.encode(direction.rawValue, forKey: JSONKey("direction"))
        try container.encode(origin, forKey: JSONKey("source"))
        for (key, value) in extra where AccessLogField(rawValue: key) == nil && key != "direction" && key != "source" {
            try container.encode(value, forKey: JSONKey(key))
        }
    }
}

extension AccessLogRecord {
    /// The same object `JSONEncoder` (sorted keys, slashes unescaped) makes of the record,
    /// written directly: `meshtop logs --json` prints one per line, and the encoder's
    /// generic machinery cost 50 µs a record.
    public func writeJSON(into out: inout [UInt8]) {
        if let connection { return connection.writeJSON(origin: origin, into: &out) }
        let extras = extra.filter { AccessLogField(rawValue: $0.key) == nil && $0.key != "direction" && $0.key != "source" }
        out.append(UInt8(ascii: "{"))
        var first = true
        var pendingExtras = extras.sorted { $0.key < $1.key }[...]
        func member(_ key: String, _ value: JSONValue) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            value.write(into: &out)
        }
        for (key, field) in Self.jsonKeys {
            // Extra keys go where sorting puts them among the fixed ones.
            while let next = pendingExtras.first, next.key < key {
                member(next.key, .string(next.value))
                pendingExtras.removeFirst()
            }
            switch field {
            case .some(let field) where field.isNumeric:
                member(key, number(for: field).map(JSONValue.number) ?? .null)
            case .some(let field):
                member(key, text(for: field).map(JSONValue.string) ?? .null)
            case .none where key == "direction":
                member(key, .string(direction.rawValue))
            case .none:
                member(key, origin.map(JSONValue.string) ?? .null)
            }
        }
        for (key, value) in pendingExtras { member(key, .string(value)) }
        out.append(UInt8(ascii: "}"))
    }

    /// Every fixed key in sorted order, with its field (nil for `direction` and `source`).
    private static let jsonKeys: [(String, AccessLogField?)] =
        (AccessLogField.allCases.map { ($0.rawValue, Optional($0)) } + [("direction", nil), ("source", nil)])
        .sorted { $0.0 < $1.0 }
}

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

extension RequestPair {
    /// `{client, overhead_ms, request_id, server}`, as `writeJSON` of a record.
    public func writeJSON(into out: inout [UInt8]) {
        out.append(contentsOf: #"{"client":"#.utf8)
        client.writeJSON(into: &out)
        out.append(contentsOf: #","overhead_ms":"#.utf8)
        (overheadMilliseconds.map(JSONValue.number) ?? .null).write(into: &out)
        out.append(contentsOf: #","request_id":"#.utf8)
        JSONValue.writeString(requestID, into: &out)
        out.append(contentsOf: #","server":"#.utf8)
        server.writeJSON(into: &out)
        out.append(UInt8(ascii: "}"))
    }
}

extension RequestChain {
    public func writeJSON(into out: inout [UInt8]) {
        out.append(contentsOf: #"{"hops":["#.utf8)
        for (index, hop) in hops.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            hop.writeJSON(into: &out)
        }
        out.append(contentsOf: #"],"request_id":"#.utf8)
        JSONValue.writeString(requestID, into: &out)
        out.append(UInt8(ascii: "}"))
    }
}
