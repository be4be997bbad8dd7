import Collectors
import Testing

/// Lines written from each format's own definition must read back as the records they came from.
@Suite struct AccessLogParserTests {
    static let formatNames = IstioFormats.named.map(\.name)

    private static func fields(of format: EnvoyFormat) -> Set<AccessLogField> {
        Set(format.tokens.compactMap { token in if case .command(let op) = token { AccessLogField(operator: op) } else { nil } })
    }

    /// The record as this format can carry it: fields the format lacks are dropped.
    private static func projected(_ record: AccessLogRecord, onto format: EnvoyFormat) -> AccessLogRecord {
        let kept = fields(of: format)
        var out = AccessLogRecord()
        for field in AccessLogField.allCases where kept.contains(field) {
            out.set(field, text: record.text(for: field))
        }
        // Formats with an operator meshtop does not model (Mixer's status) carry the extras.
        let hasExtras = format.tokens.contains { token in
            if case .command(let op) = token { AccessLogField(operator: op) == nil } else { false }
        }
        if hasExtras { out.extra = record.extra }
        out.direction = AccessLogRecord.Direction(cluster: out.upstreamCluster, upstreamHost: out.upstreamHost)
        return out
    }

    static func inbound() -> AccessLogRecord {
        var r = AccessLogRecord()
        r.startTime = "2026-11-27T12:34:57.510Z"
        r.method = "PUT"
        r.path = "/storage?x=1"
        r.protocol = "HTTP/1.1"
        r.responseCode = 201
        r.responseCodeDetails = "via_upstream"
        r.bytesReceived = 59
        r.bytesSent = 117
        r.duration = 12
        r.upstreamServiceTime = 11
        r.userAgent = "curl/7.88.1"
        r.requestID = "834ed8c3-e8e7-43b4-96bb-d0652543a8be"
        r.authority = "storage:9080"
        r.upstreamHost = "127.0.0.1:9080"
        r.upstreamCluster = "inbound|9080||"
        r.upstreamLocalAddress = "127.0.0.6:41233"
        r.downstreamLocalAddress = "10.1.0.7:9080"
        r.downstreamRemoteAddress = "10.1.0.9:52110"
        r.requestedServerName = "outbound_.9080_._.storage.default.svc.cluster.local"
        r.routeName = "default"
        return r
    }

    static func outboundFailure() -> AccessLogRecord {
        var r = inbound()
        r.method = "GET"
        r.path = "/v2/keys/istioTest"
        r.responseCode = 503
        r.responseFlags = "UF,URX"
        r.responseCodeDetails = "upstream_reset_before_response_started{connection_failure}"
        r.upstreamTransportFailureReason = "delayed connect error: 111"
        r.bytesReceived = 0
        r.bytesSent = 91
        r.upstreamServiceTime = nil
        r.userAgent = #"Mozilla/5.0 "quoted" (X11; Linux) "#
        r.xForwardedFor = "10.1.0.1"
        r.upstreamHost = "10.1.0.12:2379"
        r.upstreamCluster = "outbound|2379||etcd-service.default.svc.cluster.local"
        r.extra = ["istio_policy_status": "UNAVAILABLE:no healthy upstream"]
        return r
    }

    static func tcp() -> AccessLogRecord {
        var r = AccessLogRecord()
        r.startTime = "2026-11-27T12:35:00.001Z"
        r.responseCode = 0
        r.responseFlags = "UF,URX"
        r.bytesReceived = 0
        r.bytesSent = 0
        r.duration = 1
        r.upstreamHost = "10.1.0.12:2379"
        r.upstreamCluster = "outbound|2379||etcd-service.default.svc.cluster.local"
        r.downstreamRemoteAddress = "10.1.0.9:40000"
        return r
    }

    @Test(arguments: formatNames)
    func writtenLinesReadBack(_ name: String) throws {
        let format = try #require(IstioFormats.format(named: name))
        let writer = AccessLogWriter(format: format)
        let parser = AccessLogParser(format: format)
        for record in [Self.inbound(), Self.outboundFailure(), Self.tcp()] {
            let line = writer.line(for: record)
            let parsed = try #require(parser.parse(line), "\(name) did not parse its own line: \(line)")
            #expect(parsed == Self.projected(record, onto: format), "\(name): \(line)")
        }
    }

    @Test func directionComesFromTheCluster() throws {
        let parser = AccessLogParser(format: IstioFormats.istio)
        let writer = AccessLogWriter()
        #expect(parser.parse(writer.line(for: Self.inbound()))?.direction == .inbound)
        #expect(parser.parse(writer.line(for: Self.outboundFailure()))?.direction == .outbound)
        var passthrough = Self.tcp()
        passthrough.upstreamCluster = "PassthroughCluster"
        #expect(parser.parse(writer.line(for: passthrough))?.direction == .outbound)
    }

    /// The original app's own two lines, client side then server side of one request.
    @Test func originalAppLines() throws {
        let parser = try AccessLogParser(format: #require(IstioFormats.format(named: "envoy")))
        let client = try #require(parser.parse(
            #"[2018-02-14T16:28:24.640Z] "PUT /v2/keys/istioTest HTTP/1.1" 201 - 40 119 6 5 "-" "-" "45dd6431-49cf-9bcf-b611-1d319c56eb2e" "etcd-service:2379" "172.17.0.9:2379""#))
        let server = try #require(parser.parse(
            #"[2018-02-14T16:28:24.640Z] "PUT /v2/keys/istioTest HTTP/1.1" 201 - 40 119 4 1 "-" "-" "45dd6431-49cf-9bcf-b611-1d319c56eb2e" "etcd-service:2379" "127.0.0.1:2379""#))
        #expect(client.method == "PUT")
        #expect(client.path == "/v2/keys/istioTest")
        #expect(client.responseCode == 201)
        #expect(client.responseFlags == nil)
        #expect(client.bytesReceived == 40 && client.bytesSent == 119)
        #expect(client.duration == 6 && client.upstreamServiceTime == 5)
        #expect(client.userAgent == nil && client.xForwardedFor == nil)
        #expect(client.requestID == "45dd6431-49cf-9bcf-b611-1d319c56eb2e")
        #expect(client.authority == "etcd-service:2379")
        #expect(client.direction == .unknown)
        #expect(server.direction == .inbound)
        #expect(server.duration == 4)
    }

    @Test func istio10GluesPathAndProtocol() throws {
        let parser = try AccessLogParser(format: #require(IstioFormats.format(named: "istio-1.0")))
        let record = try #require(parser.parse(
            #"[2019-01-10T10:00:00.000Z] "HEAD /status/200HTTP/1.1" 200 - 0 0 3 2 "-" "curl/7.60.0" "rid-10" "httpbin:8000" "127.0.0.1:80" inbound|8000||httpbin.default.svc.cluster.local - 10.1.0.5:80 10.1.0.6:40000"#))
        #expect(record.method == "HEAD")
        #expect(record.path == "/status/200")
        #expect(record.protocol == "HTTP/1.1")
        #expect(record.direction == .inbound)
        #expect(record.downstreamRemoteAddress == "10.1.0.6:40000")
    }

    @Test func prefixesAndAMissingStartTimeAreTolerated() throws {
        let parser = AccessLogParser(format: IstioFormats.istio)
        let line = AccessLogWriter().line(for: Self.inbound())
        let expected = try #require(parser.parse(line))
        let variants = [
            "2026-11-27T12:34:57.511234567Z " + line,
            "[pod/storage-7d9f/istio-proxy] " + line,
            "[pod/storage-7d9f/istio-proxy] 2026-11-27T12:34:57.511234567Z " + line,
            "stdout F " + line,
            line + "\r\n",
        ]
        for variant in variants {
            #expect(parser.parse(variant) == expected, "\(variant)")
        }
        let withoutTime = String(line.drop { $0 != "\"" })
        var timeless = expected
        timeless.startTime = nil
        #expect(parser.parse(withoutTime) == timeless)
    }

    @Test func strayQuotesDoNotShiftFields() throws {
        let parser = AccessLogParser(format: IstioFormats.istio)
        var record = Self.inbound()
        for agent in [#"say "hi" there"#, #"ends with ""#, #""" "#, #"a" "b"#] {
            record.userAgent = agent
            let parsed = parser.parse(AccessLogWriter().line(for: record))
            #expect(parsed?.userAgent == agent, "\(agent)")
            #expect(parsed?.requestID == record.requestID)
            #expect(parsed?.routeName == "default")
        }
    }

    /// A quote or backslash in any quoted field is escaped by the writer and read back by the
    /// parser: a request id `id" "evil` stays that id, never `evil`, and no later field moves.
    @Test(arguments: formatNames)
    func escapedQuotesAndBackslashesReadBack(_ name: String) throws {
        let format = try #require(IstioFormats.format(named: name))
        let writer = AccessLogWriter(format: format)
        let parser = AccessLogParser(format: format)
        var record = Self.outboundFailure()
        record.requestID = #"id" "evil"#
        record.userAgent = #"agent\" "x\"#
        record.authority = #"host\"#
        record.xForwardedFor = #"" "#
        record.path = #"/a\b"c"#
        let line = writer.line(for: record)
        #expect(!line.contains(#" "evil""#), "\(line)")
        let parsed = try #require(parser.parse(line), "\(name) did not parse: \(line)")
        #expect(parsed == Self.projected(record, onto: format), "\(name): \(line)")
        #expect(parsed.requestID == #"id" "evil"#)
    }

    @Test func unescapedEnvoyLinesStillParse() throws {
        // Envoy writes header values raw; a backslash with no quote after it is just a byte.
        let line =
            #"[2026-11-27T12:34:57.510Z] "GET /x HTTP/1.1" 200 - via_upstream - "-" 0 5 1 1 "-" "agent\x" "rid-1" "host" "127.0.0.1:9080" inbound|9080|| - - - - default"#
        let parsed = try #require(AccessLogParser(format: IstioFormats.istio).parse(line))
        #expect(parsed.userAgent == #"agent\x"#)
        #expect(parsed.requestID == "rid-1")
    }

    @Test(arguments: [
        "", "garbage", "[2026-11-27T12:34:57.510Z] \"GET / HTTP/1.1\" abc - via_upstream",
        "[2026-11-27T12:34:57.510Z] \"GET / HTTP/1.1\" 200 - via_upstream - \"-\" 1 2 x 4",
        String(repeating: "\" ", count: 400),
    ])
    func malformedLinesAreRejected(_ line: String) {
        #expect(AccessLogParser(format: IstioFormats.istio).parse(line) == nil)
    }

    @Test func eachFormatRejectsTheOthersWhereTheyDiffer() throws {
        let current = AccessLogWriter().line(for: Self.inbound())
        let envoy = try AccessLogParser(format: #require(IstioFormats.format(named: "envoy")))
        let istio13 = try AccessLogParser(format: #require(IstioFormats.format(named: "istio-1.3")))
        #expect(envoy.parse(current) == nil)
        #expect(istio13.parse(current) == nil)
    }
}
