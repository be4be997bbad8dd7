import Foundation

/// ztunnel's access log, in its plain form (`TIME\tLEVEL\taccess\tMESSAGE\tkey=value …`,
/// Rust-debug-quoted strings) and with `LOG_FORMAT=json` (`"scope":"access"`, keys like
/// `"src.addr"`). Parsed by key, in any order: unknown keys are kept, missing ones are nil.
public struct ZtunnelLogParser: Sendable {
    public init() {}

    public func parse(_ line: String) -> ConnectionRecord? {
        parse(bytes: Array(line.utf8))
    }

    public func parse(bytes: some Collection<UInt8>) -> ConnectionRecord? {
        let bytes = Array(bytes)
        guard let first = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return nil }
        return bytes[first] == UInt8(ascii: "{") ? parseJSON(bytes[first...]) : parseText(bytes[first...])
    }

    // MARK: JSON

    private func parseJSON(_ bytes: ArraySlice<UInt8>) -> ConnectionRecord? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            (object["scope"] as? String ?? object["target"] as? String)?.hasPrefix("access") == true
        else { return nil }
        var record = ConnectionRecord()
        for (key, raw) in object {
            switch raw {
            case let text as String: set(key, text, in: &record)
            case let number as NSNumber: set(key, number.stringValue, in: &record)
            default: continue
            }
        }
        return record.sourceAddress != nil || record.destinationAddress != nil ? record : nil
    }

    // MARK: Text

    /// Splits at spaces and tabs outside quotes: the header words, then `key=value` fields.
    private func parseText(_ bytes: ArraySlice<UInt8>) -> ConnectionRecord? {
        var record = ConnectionRecord()
        var words: [String] = []
        var sawScope = false
        var fields = 0
        for token in Self.tokens(bytes) {
            if let equals = token.firstIndex(of: UInt8(ascii: "=")), equals > token.startIndex,
                token[token.startIndex..<equals].allSatisfy(Self.isKeyByte)
            {
                let key = String(decoding: token[token.startIndex..<equals], as: UTF8.self)
                set(key, Self.unquoted(token[(equals + 1)...]), in: &record)
                fields += 1
            } else if fields == 0 {
                let word = String(decoding: token, as: UTF8.self)
                if !sawScope, word == "access" || word == "access:" || word.hasPrefix("access:") {
                    sawScope = true
                } else if sawScope {
                    words.append(word)
                } else if EnvoyTimestamp.milliseconds(word) != nil {
                    // The last time before the scope: kubectl --timestamps puts its own first.
                    record.timestamp = word
                } else if record.level == nil, Self.levels.contains(word.lowercased()) {
                    record.level = word.lowercased()
                }
            }
        }
        guard sawScope, record.sourceAddress != nil || record.destinationAddress != nil else { return nil }
        if !words.isEmpty { record.message = words.joined(separator: " ") }
        return record
    }

    private static let levels: Set<String> = ["trace", "debug", "info", "warn", "warning", "error"]

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    /// Tokens separated by spaces or tabs; a `"…"` part (with `\"` escapes) may hold them.
    static func tokens(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var tokens: [ArraySlice<UInt8>] = []
        var index = bytes.startIndex
        let end = bytes.endIndex
        func isBlank(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
        }
        while index < end {
            while index < end, isBlank(bytes[index]) { index += 1 }
            guard index < end else { break }
            let start = index
            var quoted = false
            while index < end, quoted || !isBlank(bytes[index]) {
                if bytes[index] == UInt8(ascii: "\\"), quoted, index + 1 < end {
                    index += 2
                    continue
                }
                if bytes[index] == UInt8(ascii: "\"") { quoted.toggle() }
                index += 1
            }
            tokens.append(bytes[start..<min(index, end)])
        }
        return tokens
    }

    /// A value without its quotes, `\"` and `\\` read back; Rust's other escapes
    /// (`\u{1b}`, `\n`) stay as they are written, visible.
    static func unquoted(_ value: ArraySlice<UInt8>) -> String {
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") else {
            return String(decoding: value, as: UTF8.self)
        }
        var out: [UInt8] = []
        var index = value.startIndex + 1
        let end = value.endIndex - 1
        while index < end {
            if value[index] == UInt8(ascii: "\\"), index + 1 < end,
                value[index + 1] == UInt8(ascii: "\"") || value[index + 1] == UInt8(ascii: "\\")
            {
                index += 1
            }
            out.append(value[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Keys

    private func set(_ key: String, _ value: String, in record: inout ConnectionRecord) {
        let value: String? = value.isEmpty || value == "-" ? nil : value
        switch key {
        case "time", "timestamp": record.timestamp = value
        case "level": record.level = value?.lowercased()
        case "message", "msg": record.message = value
        case "scope", "target": break
        case "src.addr": record.sourceAddress = value
        case "src.workload": record.sourceWorkload = value
        case "src.namespace": record.sourceNamespace = value
        case "src.identity": record.sourceIdentity = value
        case "dst.addr": record.destinationAddress = value
        case "dst.hbone_addr": record.destinationHBONEAddress = value
        case "dst.service": record.destinationService = value
        case "dst.workload": record.destinationWorkload = value
        case "dst.namespace": record.destinationNamespace = value
        case "dst.identity": record.destinationIdentity = value
        case "direction": record.direction = value.flatMap(AccessLogRecord.Direction.init(rawValue:)) ?? .unknown
        case "bytes_sent": record.bytesSent = value.flatMap { Int($0) }
        case "bytes_recv", "bytes_received": record.bytesReceived = value.flatMap { Int($0) }
        case "duration": record.duration = value.flatMap(Self.milliseconds)
        case "error": record.error = value
        default: if let value { record.other[key] = value }
        }
    }

    /// `13ms`, `2s`, `1.5s`, `250us`, or a bare number of milliseconds.
    static func milliseconds(_ text: String) -> Int? {
        let units: [(String, Double)] = [("ms", 1), ("us", 0.001), ("µs", 0.001), ("ns", 0.000_001), ("s", 1000)]
        for (unit, scale) in units where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { Int(($0 * scale).rounded()) }
        }
        return Int(text)
    }
}
