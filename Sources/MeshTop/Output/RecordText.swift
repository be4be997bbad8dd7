import Collectors

/// One line of text per record or pair. Every value from the log is sanitised, so a line
/// can never carry a control byte or an escape sequence to the terminal; the only escape
/// sequences written are meshtop's own colours, and only to a terminal.
struct RecordText {
    let color: Bool

    func field(_ value: String?) -> String {
        guard let value, !value.isEmpty else { return "-" }
        return ControlBytes.sanitize(value)
    }

    private func time(_ start: String?) -> String {
        field(start.map(Format.logTime))
    }

    func colored(_ text: String, code: Int?) -> String {
        guard color, let code else { return text }
        let sgr = code >= 500 || code == 0 ? "31" : code >= 400 ? "33" : "32"
        return "\u{1B}[\(sgr)m\(text)\u{1B}[0m"
    }

    private func ms(_ value: Int?) -> String { value.map { "\($0)ms" } ?? "-" }

    func line(for r: AccessLogRecord) -> String {
        if let connection = r.connection { return line(for: connection, origin: r.origin) }
        let direction = r.direction == .inbound ? "in " : r.direction == .outbound ? "out" : "?  "
        let code = r.responseCode.map(String.init) ?? "-"
        return [
            time(r.startTime), field(r.origin), direction, field(r.method), field(r.path), colored(code, code: r.responseCode),
            field(r.responseFlags), ms(r.duration), field(r.requestID),
        ].joined(separator: "  ")
    }

    /// A ztunnel connection: who to whom (workloads, else addresses), bytes, time, error.
    func line(for c: ConnectionRecord, origin: String?) -> String {
        let direction = c.direction == .inbound ? "in " : c.direction == .outbound ? "out" : "?  "
        let outcome = c.failed ? colored("error", code: 0) : colored("ok", code: 200)
        var parts = [
            time(c.timestamp), field(origin), direction, "tcp", peers(c), outcome,
            "sent " + (c.bytesSent.map { "\($0)B" } ?? "-") + " recv " + (c.bytesReceived.map { "\($0)B" } ?? "-"), ms(c.duration),
        ]
        if let error = c.error { parts.append(field(error)) }
        return parts.joined(separator: "  ")
    }

    private func peers(_ c: ConnectionRecord) -> String { field(ConnectionText.peers(c)) }

    func line(for p: RequestPair) -> String {
        if let client = p.client.connection, let server = p.server.connection {
            return [
                time(client.timestamp), "tcp", peers(client), colored(client.failed || server.failed ? "error" : "ok", code: client.failed || server.failed ? 0 : 200),
                "client " + ms(client.duration), "server " + ms(server.duration), "sent " + (client.bytesSent.map { "\($0)B" } ?? "-"),
                field(server.destinationWorkload ?? server.destinationAddress),
            ].joined(separator: "  ")
        }
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
