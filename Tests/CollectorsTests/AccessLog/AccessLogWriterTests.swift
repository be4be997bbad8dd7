import Collectors
import Testing

@Suite struct AccessLogWriterTests {
    private func inbound() -> AccessLogRecord {
        var record = AccessLogRecord()
        record.startTime = "2020-11-25T21:26:18.409Z"
        record.method = "PUT"
        record.path = "/storage"
        record.protocol = "HTTP/1.1"
        record.responseCode = 201
        record.responseCodeDetails = "via_upstream"
        record.bytesReceived = 59
        record.bytesSent = 117
        record.duration = 12
        record.upstreamServiceTime = 11
        record.userAgent = "curl/7.88.1"
        record.requestID = "6f1c2b0e-9a41-4d0b-8d7e-1b2f3c4d5e6f"
        record.authority = "localhost:9080"
        record.upstreamHost = "127.0.0.1:9080"
        record.upstreamCluster = "inbound|9080||"
        record.downstreamLocalAddress = "127.0.0.1:9080"
        record.downstreamRemoteAddress = "127.0.0.1:42318"
        record.routeName = "default"
        return record
    }

    @Test func writesIstiosCurrentTextFormat() {
        let line = AccessLogWriter().line(for: inbound())
        #expect(
            line
                == #"[2020-11-25T21:26:18.409Z] "PUT /storage HTTP/1.1" 201 - via_upstream - "-" 59 117 12 11 "-" "curl/7.88.1" "6f1c2b0e-9a41-4d0b-8d7e-1b2f3c4d5e6f" "localhost:9080" "127.0.0.1:9080" inbound|9080|| - 127.0.0.1:9080 127.0.0.1:42318 - default"#
        )
    }

    @Test func outsideBytesCannotForgeALine() {
        var record = inbound()
        record.userAgent = "evil\n[2020-01-01T00:00:00.000Z] \"GET /forged\u{1B}[2J"
        let line = AccessLogWriter().line(for: record)
        #expect(!line.contains("\n"))
        #expect(!line.contains("\u{1B}"))
        #expect(line.contains(#""evil\x0a[2020-01-01T00:00:00.000Z] \"GET /forged\x1b[2J""#))
    }

    @Test func quotesAndBackslashesAreEscapedInQuotedFieldsOnly() throws {
        var record = inbound()
        record.requestID = #"id" "evil"#
        record.userAgent = #"a\b"#
        record.routeName = #"r"\"#
        let line = AccessLogWriter().line(for: record)
        #expect(line.contains(#" "a\\b" "id\" \"evil" "localhost:9080" "#), "\(line)")
        // Unquoted fields are written as they are: there a quote ends nothing.
        #expect(line.hasSuffix(#" r"\"#), "\(line)")
    }

    @Test func maxLengthTruncates() throws {
        let writer = AccessLogWriter(format: try EnvoyFormat("%REQ(USER-AGENT):4% %RESPONSE_CODE%"))
        #expect(writer.line(for: inbound()) == "curl 201")
    }

    @Test func timestampsLookLikeEnvoys() {
        #expect(EnvoyTimestamp.format(seconds: 1_606_339_578, milliseconds: 409) == "2020-11-25T21:26:18.409Z")
        #expect(EnvoyTimestamp.format(seconds: 0, milliseconds: 7) == "1970-01-01T00:00:00.007Z")
        #expect(EnvoyTimestamp.now().count == 24)
    }
}
