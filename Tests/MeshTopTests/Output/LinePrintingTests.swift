import Collectors
import Testing

@testable import MeshTop

/// `meshtop logs` prints a line of a text format straight from its bytes
/// (`AccessLogParser.writeJSON`, `RecordText.write`). What it prints must be exactly what
/// the record of the same line prints, for every format and every byte a line may hold.
@Suite struct LinePrintingTests {
    static let formats: [(name: String, format: EnvoyFormat)] =
        IstioFormats.named.map { ($0.name, try! EnvoyFormat($0.source)) } + [
            // A field named twice, and operators meshtop does not model (kept as extras).
            (
                "custom",
                try! EnvoyFormat(
                    #"[%START_TIME%] "%REQ(:METHOD)% %REQ(:PATH)%" %RESPONSE_CODE% %REQ(X-REQUEST-ID)% "%REQ(X-B3-TRACEID)%" "%REQ(X-REQUEST-ID)%" %DURATION% "%REQ(:AUTHORITY)%" %UPSTREAM_CLUSTER% %HOSTNAME%"#
                )
            ),
        ]

    static let awkward = [
        "plain", "a \"quoted\" \\ back\\slash", "tab\tnew\nline", "\u{1b}[31mred\u{1b}[0m \u{7f} \u{85}",
        "中文 ünïcödé 🚀", "invoice\u{202e}fdp.exe", "zero\u{200b}width\u{feff}", "-", "x",
    ]

    /// Both ways of printing a line, as text (with and without colours) and as JSON.
    private func printed(_ bytes: [UInt8], parser: AccessLogParser, origin: String) -> [String]? {
        bytes.withUnsafeBufferPointer { line in
            parser.withMatch(line) { fields -> [String] in
                var record = parser.parse(bytes: line)!
                record.origin = origin
                var quoted: [UInt8] = []
                JSONValue.writeString(origin, into: &quoted)
                var expectedJSON: [UInt8] = []
                record.writeJSON(into: &expectedJSON)
                var outputs = [String(decoding: expectedJSON, as: UTF8.self), cursor(parser.jsonBound(fields, origin: quoted)) {
                    parser.writeJSON(fields, origin: quoted, into: &$0)
                }]
                for color in [false, true] {
                    let text = RecordText(color: color)
                    let sanitized = Array(text.field(origin).utf8)
                    outputs.append(text.line(for: record))
                    outputs.append(cursor(RecordText.bound(fields, origin: sanitized)) { text.write(fields, origin: sanitized, into: &$0) })
                }
                return outputs
            }
        }
    }

    private func expectSame(_ outputs: [String]?, _ line: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let outputs else { return }
        let context = Comment(rawValue: String(decoding: line, as: UTF8.self))
        #expect(outputs[0] == outputs[1], context, sourceLocation: sourceLocation)
        #expect(outputs[2] == outputs[3], context, sourceLocation: sourceLocation)
        #expect(outputs[4] == outputs[5], context, sourceLocation: sourceLocation)
    }

    @Test(arguments: formats.map(\.name))
    func awkwardValuesPrintAsTheirRecords(_ name: String) throws {
        let format = try #require(Self.formats.first { $0.name == name }?.format)
        let parser = AccessLogParser(format: format)
        let writer = AccessLogWriter(format: format)
        var matched = 0
        for value in Self.awkward {
            // Unquoted fields end at a space, and a request id holds no quote.
            let unspaced = value.split(separator: " ").joined(separator: "_").filter { $0 != "\"" }
            var record = AccessLogRecord()
            record.startTime = "2026-11-27T12:35:00.001Z"
            record.method = "GET"
            record.path = "/storage/" + unspaced
            record.responseCode = 503
            record.responseFlags = "UF"
            record.duration = 12
            record.userAgent = value
            record.requestID = "id-" + unspaced
            record.authority = value
            record.upstreamCluster = "outbound|80||web"
            record.extra = ["istio_policy_status": value, "hostname": unspaced, "req(x-b3-traceid)": value]
            let line = Array(writer.line(for: record).utf8)
            let outputs = printed(line, parser: parser, origin: value)
            if outputs != nil { matched += 1 }
            expectSame(outputs, line)
        }
        // The writer's own lines are read back, whatever their values.
        #expect(matched == Self.awkward.count)
    }

    static func sample() -> AccessLogRecord {
        var record = AccessLogRecord()
        record.startTime = "2026-11-27T12:35:00.001Z"
        record.method = "PUT"
        record.path = "/storage"
        record.protocol = "HTTP/1.1"
        record.responseCode = 200
        record.responseCodeDetails = "via_upstream"
        record.bytesReceived = 23
        record.bytesSent = 161
        record.duration = 6
        record.upstreamServiceTime = 5
        record.userAgent = "loadgen/1.0"
        record.requestID = "07a0ca6e-0822-48f3-ac03-1199972a8469"
        record.authority = "storage:9080"
        record.upstreamHost = "127.0.0.1:9080"
        record.upstreamCluster = "inbound|9080||"
        record.downstreamRemoteAddress = "10.1.9.9:43257"
        record.routeName = "default"
        return record
    }

    /// Lines damaged at random (any byte, invalid UTF-8, escapes, cut short): whenever the
    /// format still matches one, both ways print the same.
    @Test(arguments: formats.map(\.name))
    func damagedLinesPrintAsTheirRecords(_ name: String) throws {
        let format = try #require(Self.formats.first { $0.name == name }?.format)
        let parser = AccessLogParser(format: format)
        var record = Self.sample()
        record.extra = ["istio_policy_status": "ok", "hostname": "pod-1", "req(x-b3-traceid)": "abc"]
        let original = Array(AccessLogWriter(format: format).line(for: record).utf8)
        var generator = SplitMix(seed: UInt64(name.utf8.count) &* 7919)
        let bytes: [UInt8] = [0x00, 0x1B, 0x22, 0x5C, 0x7F, 0x80, 0xC2, 0x85, 0xE2, 0x80, 0xAE, 0xFF, 0x20, 0x2D, 0x41]
        var matched = 0
        for _ in 0..<3_000 {
            var line = original
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let at = Int(generator.next() % UInt64(line.count))
                switch generator.next() % 3 {
                case 0: line[at] = bytes[Int(generator.next() % UInt64(bytes.count))]
                case 1: line.insert(bytes[Int(generator.next() % UInt64(bytes.count))], at: at)
                default: line.remove(at: at)
                }
            }
            let outputs = printed(line, parser: parser, origin: "/var/log/\u{1b}]0;x")
            if outputs != nil { matched += 1 }
            expectSame(outputs, line)
        }
        // Most single damages leave the line in its format: the comparison ran.
        #expect(matched > 500)
    }
}

/// A small seeded generator, so a failing damage is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `--pairs --json` writes a pair or a chain of held lines from their bytes: the same bytes
/// as the `RequestPair` / `RequestChain` of their records.
@Suite struct HeldPairPrintingTests {
    private func quoted(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        JSONValue.writeString(text, into: &out)
        return out
    }

    @Test func pairsAndChainsWriteAsTheirRecords() throws {
        let parser = AccessLogParser(format: IstioFormats.istio)
        let writer = AccessLogWriter()
        var times = EnvoyTimestampReader()
        var pairer = LinePairer<HeldLine>(chainsOfOne: true)
        var events: [LinePairer<HeldLine>.Event] = []
        // A gateway hop and a sidecar hop of one request (a chain), with an id holding an
        // escaped quote, and a second request with one hop.
        for (id, authority, cluster, host, duration) in [
            (#"id-"1""#, "web", "outbound|80||web", "10.0.0.2:80", 30), (#"id-"1""#, "web", "inbound|80||", "127.0.0.1:80", 20),
            (#"id-"1""#, "db", "outbound|5432||db", "10.0.0.3:5432", 9), (#"id-"1""#, "db", "inbound|5432||", "127.0.0.1:5432", 4),
            ("id-2", "web\u{1b}[2J", "outbound|80||web", "10.0.0.2:80", 7), ("id-2", "web\u{1b}[2J", "inbound|80||", "127.0.0.1:80", 5),
        ] {
            var record = LinePrintingTests.sample()
            record.requestID = id
            record.authority = authority
            record.upstreamCluster = cluster
            record.upstreamHost = host
            record.duration = duration
            let line = Array(writer.line(for: record).utf8)
            let held = try #require(line.withUnsafeBufferPointer { bytes in
                parser.withMatch(bytes) { HeldLine($0, parser: parser, source: "pod-\(id.count)", times: &times) }
            })
            pairer.add(held) { events.append($0) }
        }
        pairer.flush { events.append($0) }
        func pair(_ hop: LinePairer<HeldLine>.Hop) -> RequestPair {
            RequestPair(requestID: hop.client.record.pairingKeyText ?? "", client: hop.client.record, server: hop.server.record)
        }
        var kinds: [String] = []
        for event in events {
            var expected: [UInt8] = []
            switch event {
            case .pair(let hop):
                kinds.append("pair")
                #expect(hop.isText)
                pair(hop).writeJSON(into: &expected)
                let origins = (quoted(hop.client.source), quoted(hop.server.source))
                let written = cursor(hop.jsonBound(origins: origins)) { hop.writeJSON(origins: origins, into: &$0) }
                #expect(written == String(decoding: expected, as: UTF8.self))
            case .chain(let hops):
                kinds.append("chain\(hops.count)")
                let pairs = hops.map(pair)
                RequestChain(requestID: pairs.first?.requestID ?? "", hops: pairs).writeJSON(into: &expected)
                let origins = { (hop: LinePairer<HeldLine>.Hop) in (self.quoted(hop.client.source), self.quoted(hop.server.source)) }
                let bound = hops.reduce(64) { $0 + $1.jsonBound(origins: origins($1)) }
                let written = cursor(bound) { LinePairer<HeldLine>.Hop.writeChainJSON(hops, origins: origins, into: &$0) }
                #expect(written == String(decoding: expected, as: UTF8.self))
            }
        }
        #expect(kinds == ["pair", "pair", "pair", "chain2", "chain1"])
    }
}

/// What a writer puts in `bound` reserved bytes (ByteCursor traps past them).
private func cursor(_ bound: Int, _ body: (inout ByteCursor) -> Void) -> String {
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: bound)
    defer { buffer.deallocate() }
    var cursor = ByteCursor(start: buffer, capacity: bound)
    body(&cursor)
    return String(decoding: UnsafeBufferPointer(start: buffer, count: buffer.distance(to: cursor.position)), as: UTF8.self)
}
