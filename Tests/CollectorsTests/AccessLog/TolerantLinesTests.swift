import Collectors
import Testing

/// Lines as fleets write them: a known format with a field more at the end, its last field
/// dropped, or both. Each must be read by the format that explains most of it, keep its
/// known fields, and be counted in the summary.
@Suite struct TolerantLinesTests {
    enum Variant: String, CaseIterable {
        case plusOne, minusLast, minusLastPlusOne
    }

    /// The format a tolerant line is best read as, and its extra and missing counts, where
    /// another format explains it better than its own: istio-1.8 lines are written exactly
    /// like current ones, and a 1.3 line without its route name is an exact 1.2 line.
    static func expected(_ name: String, _ variant: Variant) -> (name: String, extra: Int, missing: Int) {
        switch (name, variant) {
        case ("istio-1.8", _): expected("istio", variant)
        case ("istio-1.3", .minusLast): ("istio-1.2", 0, 0)
        case ("istio-1.3", .minusLastPlusOne): ("istio-1.2", 1, 0)
        case (_, .plusOne): (name, 1, 0)
        case (_, .minusLast): (name, 0, 1)
        case (_, .minusLastPlusOne): (name, 1, 1)
        }
    }

    /// The format's source without its last field: cut at its last space outside quotes.
    static func withoutLastField(_ source: String) -> String {
        var inside = false
        var cut = source.utf8.count
        for (offset, byte) in source.utf8.enumerated() {
            if byte == UInt8(ascii: "\"") { inside.toggle() } else if byte == UInt8(ascii: " "), !inside { cut = offset }
        }
        return String(decoding: source.utf8.prefix(cut), as: UTF8.self)
    }

    /// A field appended by an operator or shipper. After a quoted last field it is bare;
    /// after a bare one it is quoted with a space, which the dropped last field of a cut
    /// line could not hold: `… rsn x` would simply be an exact line with the route name `x`.
    static func extraField(after source: String) -> String {
        source.hasSuffix("\"") ? "shipper=fluent-bit" : #""fluent bit""#
    }

    static func line(_ name: String, _ variant: Variant) throws -> String {
        let source = try #require(IstioFormats.named.first { $0.name == name }).source
        let record = AccessLogParserTests.inbound()
        switch variant {
        case .plusOne:
            return AccessLogWriter(format: try EnvoyFormat(source)).line(for: record) + " " + extraField(after: source)
        case .minusLast:
            return AccessLogWriter(format: try EnvoyFormat(withoutLastField(source))).line(for: record)
        case .minusLastPlusOne:
            let cut = withoutLastField(source)
            return AccessLogWriter(format: try EnvoyFormat(cut)).line(for: record) + " " + extraField(after: cut)
        }
    }

    static let cases: [(String, Variant)] = IstioFormats.named.flatMap { format in
        Variant.allCases.map { (format.name, $0) }
    }

    @Test(arguments: cases)
    func autoDetectionReadsTheKnownFields(_ name: String, _ variant: Variant) throws {
        let line = try Self.line(name, variant)
        let want = Self.expected(name, variant)
        var decoder = AccessLogDecoder()
        let decoded = decoder.decode(line)
        let record = try #require(decoded, "\(name) \(variant): \(line)")
        #expect(decoder.formatName == want.name, "\(line)")
        #expect(record.method == "PUT")
        #expect(record.path == "/storage?x=1")
        #expect(record.responseCode == 201)
        #expect(record.requestID == "834ed8c3-e8e7-43b4-96bb-d0652543a8be")
        #expect(record.extraFields == want.extra && record.missingFields == want.missing, "\(line)")
        #expect(decoder.malformed == 0)
    }

    @Test(arguments: cases)
    func theFormatGivenReadsItsOwnVariants(_ name: String, _ variant: Variant) throws {
        let format = try #require(IstioFormats.format(named: name))
        var decoder = AccessLogDecoder(.text(format))
        let decoded = decoder.decode(try Self.line(name, variant))
        let record = try #require(decoded)
        #expect(decoder.formatName == name)
        #expect(record.requestID == "834ed8c3-e8e7-43b4-96bb-d0652543a8be" && record.responseCode == 201)
        #expect(record.extraFields == (variant == .minusLast ? 0 : 1))
        #expect(record.missingFields == (variant == .plusOne ? 0 : 1))
    }

    /// The tally (no records) and the record path count the same lines.
    @Test(arguments: IstioFormats.named.map(\.name))
    func theSummaryCountsThem(_ name: String) throws {
        var tally = AccessLogTally()
        var tallyDecoder = AccessLogDecoder()
        var recordDecoder = AccessLogDecoder()
        var summary = AccessLogSummary()
        let exact = AccessLogWriter(format: try #require(IstioFormats.format(named: name))).line(for: AccessLogParserTests.inbound())
        for line in try [exact] + Variant.allCases.map({ try Self.line(name, $0) }) {
            var bytes = line
            bytes.withUTF8 { tally.add($0, decoder: &tallyDecoder) }
            let record = recordDecoder.decode(line)
            summary.add(try #require(record, "\(line)"))
        }
        let extra = Variant.allCases.filter { Self.expected(name, $0).extra > 0 }.count
        let missing = Variant.allCases.filter { Self.expected(name, $0).missing > 0 }.count
        #expect(tally.summary.records == 4 && tallyDecoder.malformed == 0)
        #expect(tally.summary.withExtraFields == extra && tally.summary.withMissingFields == missing)
        #expect(summary.withExtraFields == extra && summary.withMissingFields == missing)
        #expect(extra == 2)
    }

    @Test func anExactLineHasNothingExtraOrMissing() throws {
        var decoder = AccessLogDecoder()
        let decoded = decoder.decode(AccessLogWriter().line(for: AccessLogParserTests.outboundFailure()))
        let record = try #require(decoded)
        #expect(decoder.formatName == "istio")
        #expect(record.extraFields == 0 && record.missingFields == 0)
        #expect(record.routeName == "default")
    }

    /// Several fields appended, one of them quoted with spaces and an escaped quote.
    @Test func aCurrentLineWithFieldsAppendedIsNotAnOlderFormat() throws {
        let line = AccessLogWriter().line(for: AccessLogParserTests.outboundFailure()) + #" cluster=east "a \" b" 42"#
        var decoder = AccessLogDecoder()
        let decoded = decoder.decode(line)
        let record = try #require(decoded)
        #expect(decoder.formatName == "istio")
        #expect(record.extraFields == 3 && record.missingFields == 0)
        #expect(record.routeName == "default")
        #expect(record.userAgent == #"Mozilla/5.0 "quoted" (X11; Linux) "#)
    }

    /// Once a format is current, its tolerant reading still loses to another format's exact one.
    @Test func anExactReadingBeatsTheCurrentFormatsTolerantOne() throws {
        var decoder = AccessLogDecoder()
        let record = AccessLogParserTests.inbound()
        _ = decoder.decode(try AccessLogWriter(format: #require(IstioFormats.format(named: "istio-1.3"))).line(for: record))
        #expect(decoder.formatName == "istio-1.3")
        let line12 = try AccessLogWriter(format: #require(IstioFormats.format(named: "istio-1.2"))).line(for: record)
        #expect(try AccessLogParser(format: #require(IstioFormats.format(named: "istio-1.3"))).parseTolerant(line12)?.missingFields == 1)
        let decoded = decoder.decode(line12)
        let read = try #require(decoded)
        #expect(read.missingFields == 0 && read.extraFields == 0)
        #expect(decoder.formatName == "istio-1.3", "one line is not yet a run")
    }

    @Test(arguments: [
        // Stops before the request id: shorter than what any format must keep.
        #"[2026-11-27T12:34:57.510Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 5 1 1 "-" "curl/8""#,
        #"[2026-11-27T12:34:57.510Z] "GET / HTTP/1.1" 200"#,
        // Cut inside a quoted field, not at a boundary.
        #"[2026-11-27T12:34:57.510Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 5 1 1 "-" "curl/8" "rid-1" "host"#,
        // An extra field whose quote never closes.
        AccessLogWriter().line(for: AccessLogParserTests.inbound()) + #" "unclosed"#,
        "garbage", "not an access log line at all, but long enough to have spaces in it",
        String(repeating: "\" ", count: 400),
    ])
    func shortOrGarbageLinesStayMalformed(_ line: String) {
        var decoder = AccessLogDecoder()
        #expect(decoder.decode(line) == nil)
        #expect(decoder.malformed == 1)
        var summary = AccessLogSummary()
        var tally = decoder
        var bytes = line
        #expect(bytes.withUTF8 { tally.decode(bytes: $0, into: &summary) } == nil)
        #expect(summary.records == 0 && tally.malformed == 2)
    }
}
