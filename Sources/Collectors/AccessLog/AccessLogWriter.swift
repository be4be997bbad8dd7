/// Renders records as TEXT lines in a given Envoy format.
public struct AccessLogWriter: Sendable {
    public let format: EnvoyFormat
    private let fields: [AccessLogField?]
    private let extraKeys: [String?]
    /// Whether each token sits between a pair of `"` in the format.
    private let quoted: [Bool]

    public init(format: EnvoyFormat = IstioFormats.istio) {
        self.format = format
        self.fields = format.tokens.map { token in
            if case .command(let op) = token { AccessLogField(operator: op) } else { nil }
        }
        self.extraKeys = format.tokens.map { token in
            if case .command(let op) = token, AccessLogField(operator: op) == nil { AccessLogParser.extraKey(for: op) } else { nil }
        }
        self.quoted = AccessLogParser.quotedTokens(format)
    }

    /// One line, without the trailing newline. Values are sanitised so that a header
    /// carrying CR/LF or ESC can never start a forged line or drive a terminal, and inside
    /// quotes `"` and `\` are escaped so that a value can never end its field early and
    /// fill the next one (a request id claiming to be another request's).
    public func line(for record: AccessLogRecord) -> String {
        var out = String()
        out.reserveCapacity(320)
        for (index, token) in format.tokens.enumerated() {
            switch token {
            case .literal(let text):
                out += text
            case .command(let op):
                let value = fields[index].flatMap { record.text(for: $0) } ?? extraKeys[index].flatMap { record.extra[$0] }
                guard let value, !value.isEmpty else {
                    out += "-"
                    continue
                }
                var safe = value
                if let max = op.maxLength, safe.utf8.count > max {
                    // Truncated before escaping, so an escape is never cut in half.
                    safe = String(decoding: safe.utf8.prefix(max), as: UTF8.self)
                }
                if quoted[index] { safe = Self.escapeQuotes(safe) }
                out += ControlBytes.sanitize(safe)
            }
        }
        return out
    }

    /// `"` → `\"` and `\` → `\\`; the parser reads them back.
    static func escapeQuotes(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
