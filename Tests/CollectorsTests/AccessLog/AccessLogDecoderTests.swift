import Collectors
import Testing

@Suite struct AccessLogDecoderTests {
    static let istioJSON =
        #"{"start_time":"2026-11-27T12:34:57.510Z","method":"GET","path":"/storage/a","protocol":"HTTP/1.1","response_code":"200","response_flags":"-","bytes_received":"0","bytes_sent":"118","duration":"3","upstream_service_time":"2","x_forwarded_for":null,"user_agent":"curl/7.88.1","request_id":"rid-json","authority":"storage:9080","upstream_host":"127.0.0.1:9080","upstream_cluster":"inbound|9080||","istio_policy_status":"-","custom_tag":"kept"}"#

    @Test func jsonLinesBecomeRecords() throws {
        let record = try #require(JSONAccessLogParser().parse(Self.istioJSON))
        #expect(record.method == "GET")
        #expect(record.responseCode == 200)
        #expect(record.responseFlags == nil)
        #expect(record.duration == 3 && record.upstreamServiceTime == 2)
        #expect(record.xForwardedFor == nil)
        #expect(record.requestID == "rid-json")
        #expect(record.direction == .inbound)
        #expect(record.extra == ["custom_tag": "kept"])
    }

    @Test(arguments: [#"{"response_code":"abc","request_id":"x"}"#, #"{"level":"info","msg":"hello"}"#, "{not json", "[1,2]"])
    func jsonThatIsNotAnAccessLogIsRejected(_ line: String) {
        #expect(JSONAccessLogParser().parse(line) == nil)
    }

    @Test func autoDetectsAndKeepsTheFormat() throws {
        var decoder = AccessLogDecoder()
        let line = AccessLogWriter().line(for: AccessLogParserTests.inbound())
        #expect(decoder.formatName == nil)
        let first = decoder.decode(line)
        #expect(first?.requestID == AccessLogParserTests.inbound().requestID)
        #expect(decoder.formatName == "istio")
        let blank = decoder.decode("")
        let junk = decoder.decode("not an access log line")
        #expect(blank == nil && junk == nil)
        #expect(decoder.malformed == 1)
        #expect(decoder.malformedSamples == ["not an access log line"])
        #expect(decoder.parsed == 1)
    }

    @Test func switchesAfterARunOfLinesInAnotherFormat() throws {
        var decoder = AccessLogDecoder()
        let current = AccessLogWriter().line(for: AccessLogParserTests.inbound())
        _ = decoder.decode(current)
        #expect(decoder.formatName == "istio")
        for n in 0..<AccessLogDecoder.switchAfterFailures {
            // Every line is still read while the run builds up.
            let record = decoder.decode(Self.istioJSON)
            #expect(record != nil, "line \(n)")
        }
        #expect(decoder.formatName == "json")
        #expect(decoder.malformed == 0)
    }

    @Test func choiceFromTheCommandLine() throws {
        #expect(try AccessLogDecoder.choice(for: "auto") == .auto)
        #expect(try AccessLogDecoder.choice(for: "json") == .json)
        #expect(try AccessLogDecoder.choice(for: "envoy") == .text(IstioFormats.format(named: "envoy")!))
        #expect(try AccessLogDecoder.choice(for: "%DURATION% %REQ(X-REQUEST-ID)%") == .text(EnvoyFormat("%DURATION% %REQ(X-REQUEST-ID)%")))
        #expect(throws: EnvoyFormatError.self) { try AccessLogDecoder.choice(for: "nginx") }
        #expect(throws: EnvoyFormatError.self) { try AccessLogDecoder.choice(for: "%BROKEN") }
    }

    @Test func customFormat() throws {
        var decoder = AccessLogDecoder(try AccessLogDecoder.choice(for: "%RESPONSE_CODE% %DURATION%ms %REQ(X-REQUEST-ID)%"))
        let decoded = decoder.decode("503 17ms abc-1")
        let record = try #require(decoded)
        #expect(record.responseCode == 503 && record.duration == 17 && record.requestID == "abc-1")
        #expect(decoder.formatName == "custom")
    }
}
