/// Renders records as TEXT lines in a given Envoy format.
public struct AccessLogWriter: Sendable {
    public let format: EnvoyFormat
    private let fields: [AccessLogField?]
    private let extraKeys: [String?]

    public init(format: EnvoyFormat = IstioFormats.istio) {
        self.format = format
        self.fields = format.tokens.map { token in
            if case .command(let op) = token { AccessLogField(operator: op) } else { nil }
        }
        self.extraKeys = format.tokens.map { token in
            if case .command(let op) = token, AccessLogField(operator: op) == nil { AccessLogParser.extraKey(for: op) } else { nil }
        }
    }

    /// One line, without the trailing newline. Values are sanitised so that a header
    /// carrying CR/LF or ESC can never start a forged line or drive a terminal.
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
                let safe = ControlBytes.sanitize(value)
                if let max = op.maxLength, safe.utf8.count > max {
                    out += String(decoding: safe.utf8.prefix(max), as: UTF8.self)
                } else {
                    out += safe
                }
            }
        }
        return out
    }
}
