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
