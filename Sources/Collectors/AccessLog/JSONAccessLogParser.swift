import Foundation

/// Istio's JSON access-log encoding (`meshConfig.accessLogEncoding: JSON`): one object per
/// line, values as strings (numbers accepted too), `-` or null for absent. Keys meshtop
/// does not model, such as `istio_policy_status`, are kept in `extra`.
public struct JSONAccessLogParser: Sendable {
    public init() {}

    public func parse(_ line: String) -> AccessLogRecord? {
        parse(bytes: Array(line.utf8))
    }

    public func parse(bytes: some Collection<UInt8>) -> AccessLogRecord? {
        guard let start = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }),
            bytes[start] == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: Data(bytes[start...])) as? [String: Any]
        else { return nil }
        var record = AccessLogRecord()
        for (key, raw) in object {
            let text: String?
            switch raw {
            case let string as String: text = string == "-" || string.isEmpty ? nil : string
            case let number as NSNumber: text = number.stringValue
            default: text = nil
            }
            guard let text else { continue }
            if let field = AccessLogField(rawValue: key) {
                if field.isNumeric {
                    // "-" was dropped above; any other non-number is not an Istio line.
                    guard let value = Int(text) ?? Double(text).map({ Int($0) }) else { return nil }
                    record.set(field, number: value)
                } else {
                    record.set(field, text: text)
                }
            } else {
                record.extra[key] = text
            }
        }
        // A JSON object that shares no key with an access log is some other log.
        guard record.startTime != nil || record.responseCode != nil || record.requestID != nil else { return nil }
        record.direction = AccessLogRecord.Direction(cluster: record.upstreamCluster, upstreamHost: record.upstreamHost)
        return record
    }
}
