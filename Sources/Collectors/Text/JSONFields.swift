/// A key of a JSON object named at run time.
public struct JSONKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ string: String) { stringValue = string }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

extension Encoder {
    /// Encodes an object with every key present and nil values as null: synthesised
    /// `Encodable` leaves nil keys out, and meshtop's JSON shapes name every field.
    public func encodeFields(_ fields: KeyValuePairs<String, (any Encodable)?>) throws {
        var container = container(keyedBy: JSONKey.self)
        for (key, value) in fields {
            if let value { try container.encode(value, forKey: JSONKey(key)) } else { try container.encodeNil(forKey: JSONKey(key)) }
        }
    }
}
