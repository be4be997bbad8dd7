import Collectors

/// One line of text per record or pair. Every value from the log is sanitised, so a line
/// can never carry a control byte or an escape sequence to the terminal; the only escape
/// sequences written are meshtop's own colours, and only to a terminal.
struct RecordText {
    let color: Bool

    private func field(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return "-" }
        return ControlBytes.sanitize(value)
    }

    private func time(_ start: String?) -> String {
        field(start.map(Format.logTime))
    }

    private func colored(_ text: String, code: Int?) -> String {
        guard color, let code else { return text }
        let sgr = code >= 500 || code == 0 ? "31" : code >= 400 ? "33" : "32"
        return "\u{1B}[\(sgr)m\(text)\u{1B}[0m"
    }

    private func ms(_ value: Int?) -> String { value.map { "\($0)ms" } ?? "-" }

    func line(for r: AccessLogRecord) -> String {
        let direction = r.direction == .inbound ? "in " : r.direction == .outbound ? "out" : "?  "
        let code = r.responseCode.map(String.init) ?? "-"
        return [
            time(r.startTime), field(r.origin), direction, field(r.method), field(r.path), colored(code, code: r.responseCode),
            field(r.responseFlags), ms(r.duration), field(r.requestID),
        ].joined(separator: "  ")
    }

    func line(for p: RequestPair) -> String {
        let overhead = p.overheadMilliseconds.map { ($0 >= 0 ? "+" : "") + "\($0)ms" } ?? "-"
        let code = p.server.responseCode ?? p.client.responseCode
        return [
            time(p.client.startTime), field(p.client.method), field(p.client.path),
            colored(code.map(String.init) ?? "-", code: code), "client " + ms(p.client.duration),
            "server " + ms(p.server.duration), overhead, field(p.client.authority), field(p.requestID),
        ].joined(separator: "  ")
    }

    func line(for chain: RequestChain) -> String {
        let hops = chain.hops.map { "\(field($0.client.authority)) \(ms($0.client.duration))" }.joined(separator: " → ")
        return "chain  \(field(chain.requestID))  \(hops)"
    }
}
