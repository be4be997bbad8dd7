/// Pairs and chains of held lines written as `RequestPair.writeJSON` and
/// `RequestChain.writeJSON` write them, straight from the lines' bytes.
extension LinePairer<HeldLine>.Hop {
    /// Whether both lines are of a text format (else print their records).
    public var isText: Bool {
        if case .text = client.body, case .text = server.body { return true }
        return false
    }

    /// The most bytes `writeJSON` writes; `origins` are the lines' sources as JSON strings.
    public func jsonBound(origins: (client: [UInt8], server: [UInt8])) -> Int {
        64 + Self.bound(client, origins.client) + Self.bound(server, origins.server) + 6 * Self.count(client)
    }

    /// `{"client":…,"overhead_ms":…,"request_id":…,"server":…}`; only for `isText` hops.
    /// Returns the request id as it wrote it.
    @discardableResult
    public func writeJSON(origins: (client: [UInt8], server: [UInt8]), into out: inout ByteCursor) -> [UInt8] {
        out.append(Self.clientKey)
        var requestID: FieldText?
        var id: [UInt8] = []
        client.withFields(
            text: { parser, line -> Void in
                parser.writeJSON(line, origin: origins.client, into: &out)
                requestID = line.text(.requestID)
                switch requestID {
                case .plain(let bytes): JSONValue.writeString(printable: bytes, into: &id)
                case .decoded(let text): JSONValue.writeString(text, into: &id)
                case nil: JSONValue.writeString("", into: &id)
                }
            }, record: { _ in preconditionFailure("Hop.writeJSON: a record line") })
        out.append(Self.overheadKey)
        if let a = client.pairingDuration, let b = server.pairingDuration {
            JSONValue.writeInteger(a - b, into: &out)
        } else {
            out.append(Self.null)
        }
        out.append(Self.requestIDKey)
        out.append(id)
        out.append(Self.serverKey)
        server.withFields(
            text: { parser, line -> Void in parser.writeJSON(line, origin: origins.server, into: &out) },
            record: { _ in preconditionFailure("Hop.writeJSON: a record line") })
        out.append(UInt8(ascii: "}"))
        return id
    }

    /// `{"hops":[…],"request_id":…}` of hops that are all `isText`, as `RequestChain.writeJSON`.
    public static func writeChainJSON(
        _ hops: [Self], origins: (Self) -> (client: [UInt8], server: [UInt8]), into out: inout ByteCursor
    ) {
        out.append(hopsKey)
        var id: [UInt8]?
        for (index, hop) in hops.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let written = hop.writeJSON(origins: origins(hop), into: &out)
            if id == nil { id = written }
        }
        out.append(chainIDKey)
        out.append(id ?? emptyString)
        out.append(UInt8(ascii: "}"))
    }

    private static func count(_ line: HeldLine) -> Int {
        if case .text(let held) = line.body { return held.bytes.count }
        return 0
    }

    private static func bound(_ line: HeldLine, _ origin: [UInt8]) -> Int {
        guard case .text(let held) = line.body else { return 0 }
        return held.bytes.parser.jsonBound(lineBytes: held.bytes.count, origin: origin.count)
    }

    private static let hopsKey = Array(#"{"hops":["#.utf8)
    private static let chainIDKey = Array(#"],"request_id":"#.utf8)
    private static let emptyString = Array("\"\"".utf8)
    private static let clientKey = Array(#"{"client":"#.utf8)
    private static let overheadKey = Array(#","overhead_ms":"#.utf8)
    private static let requestIDKey = Array(#","request_id":"#.utf8)
    private static let serverKey = Array(#","server":"#.utf8)
    private static let null = Array("null".utf8)
}
