/// The JSON shape of a record (ARCHITECTURE.md): every key present, absent values as null,
/// durations as numbers, plus `direction`, `source` and any extra keys the line carried.
extension AccessLogRecord: Encodable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for field in AccessLogField.allCases {
            let key = Key(field.rawValue)
            if field.isNumeric {
                let value: Int? =
                    switch field {
                    case .responseCode: responseCode
                    case .bytesReceived: bytesReceived
                    case .bytesSent: bytesSent
                    case .duration: duration
                    default: upstreamServiceTime
                    }
                try container.encode(value, forKey: key)
            } else {
                try container.encode(text(for: field), forKey: key)
            }
        }
        try container.encode(direction.rawValue, forKey: Key("direction"))
        try container.encode(source, forKey: Key("source"))
        for (key, value) in extra where AccessLogField(rawValue: key) == nil && key != "direction" && key != "source" {
            try container.encode(value, forKey: Key(key))
        }
    }
}
