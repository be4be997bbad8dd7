/// Renders records as TEXT lines in a given Envoy format.
public struct AccessLogWriter: Sendable {
    public let format: EnvoyFormat
    private let fields: [AccessLogField?]

    public init(format: EnvoyFormat = IstioFormats.istio) {
        self.format = format
        self.fields = format.tokens.map { token in
            if case .command(let op) = token { AccessLogField(operator: op) } else { nil }
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
                guard let field = fields[index], let value = record.text(for: field), !value.isEmpty else {
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
