/// The JSON shape of a connection (`meshtop logs --json`): ztunnel's own keys, every one
/// present (absent values null), `duration` in milliseconds as a number, `kind`
/// "connection" to tell it from an Envoy record, and `source` (the input it came from).
extension ConnectionRecord {
    public func jsonMembers(origin: String?) -> [(String, JSONValue)] {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func number(_ value: Int?) -> JSONValue { value.map(JSONValue.number) ?? .null }
        var members: [(String, JSONValue)] = [
            ("kind", .string("connection")), ("timestamp", text(timestamp)), ("level", text(level)),
            ("message", text(message)), ("src.addr", text(sourceAddress)), ("src.workload", text(sourceWorkload)),
            ("src.namespace", text(sourceNamespace)), ("src.identity", text(sourceIdentity)),
            ("dst.addr", text(destinationAddress)), ("dst.hbone_addr", text(destinationHBONEAddress)),
            ("dst.service", text(destinationService)), ("dst.workload", text(destinationWorkload)),
            ("dst.namespace", text(destinationNamespace)), ("dst.identity", text(destinationIdentity)),
            ("direction", .string(direction.rawValue)), ("bytes_sent", number(bytesSent)),
            ("bytes_recv", number(bytesReceived)), ("duration", number(duration)), ("error", text(error)),
            ("source", text(origin)),
        ]
        let fixed = Set(members.map(\.0))
        for (key, value) in other where !fixed.contains(key) { members.append((key, .string(value))) }
        return members.sorted { $0.0 < $1.0 }
    }

    public func writeJSON(origin: String?, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, member) in jsonMembers(origin: origin).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(member.0, into: &out)
            out.append(UInt8(ascii: ":"))
            member.1.write(into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
