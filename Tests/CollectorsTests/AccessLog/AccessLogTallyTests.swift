import Collectors
import Testing

/// The tally counts parsed lines without records; it must agree with the record path
/// (decoder → record → summary, record pairer) on every figure it reports.
@Suite struct AccessLogTallyTests {
    /// Lines of one format: pairs, lone sides, lines without an id, TCP lines, junk.
    static func lines(format name: String, count: Int) throws -> [String] {
        let writer = try AccessLogWriter(format: #require(IstioFormats.format(named: name)))
        var lines: [String] = []
        var seed: UInt64 = 42
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        for n in 0..<count {
            var client = AccessLogParserTests.outboundFailure()
            client.startTime = EnvoyTimestamp.format(seconds: 1_790_000_000 + n / 7, milliseconds: (n * 37) % 1000)
            client.requestID = next(10) == 0 ? nil : "id-\(n)"
            client.authority = ["storage:9080", "etcd-service:2379", "web:80"][next(3)]
            client.responseCode = [200, 201, 404, 503][next(4)]
            client.responseFlags = client.responseCode == 503 ? "UF,URX" : nil
            client.duration = 2 + next(40)
            client.userAgent = "loadgen/1.0"
            client.extra = [:]
            var server = AccessLogParserTests.inbound()
            server.startTime = client.startTime
            server.requestID = client.requestID
            server.authority = client.authority
            server.responseCode = client.responseCode
            server.duration = max(0, (client.duration ?? 0) - next(4))
            switch next(10) {
            case 0: lines.append(writer.line(for: client))  // client only
            case 1: lines.append(writer.line(for: server))  // server only
            case 2: lines.append("junk line \(n)")
            case 3: lines += [writer.line(for: server), writer.line(for: client)]  // server side first
            default: lines += [writer.line(for: client), writer.line(for: server)]
            }
        }
        return lines
    }

    @Test(arguments: ["istio", "istio-1.3", "envoy"])
    func agreesWithTheRecordPath(format: String) throws {
        let lines = try Self.lines(format: format, count: 3_000)
        var tallyDecoder = AccessLogDecoder()
        var tally = AccessLogTally()
        var recordDecoder = AccessLogDecoder()
        var summary = AccessLogSummary()
        var pairer = RequestPairer()
        for line in lines {
            var bytes = line
            bytes.withUTF8 { tally.add($0, decoder: &tallyDecoder) }
            if let record = recordDecoder.decode(line) {
                summary.add(record)
                for event in pairer.add(record) { summary.add(event) }
            }
        }
        tally.finish()
        for event in pairer.flush() { summary.add(event) }

        #expect(tally.summary.records > 2_000)
        #expect(tally.summary.records == summary.records)
        #expect(tallyDecoder.malformed == recordDecoder.malformed && tallyDecoder.malformed > 200)
        #expect(tally.summary.byAuthority == summary.byAuthority)
        #expect(tally.summary.byCode == summary.byCode)
        #expect(tally.summary.byFlags == summary.byFlags)
        #expect(tally.summary.byDirection == summary.byDirection)
        #expect(tally.summary.duration == summary.duration)
        #expect(tally.summary.pairs == summary.pairs && summary.pairs > 1_000)
        #expect(tally.summary.overhead == summary.overhead)
        #expect(tally.unpaired == pairer.unpaired)
        #expect(tally.unpaired.clientOnly > 0 && tally.unpaired.serverOnly > 0)
    }

    @Test func aChainIsCounted() throws {
        let writer = AccessLogWriter(format: try #require(IstioFormats.format(named: "istio")))
        var tally = AccessLogTally()
        var decoder = AccessLogDecoder()
        for (authority, direction) in [("storage:9080", "o"), ("storage:9080", "i"), ("etcd:2379", "o"), ("etcd:2379", "i")] {
            var record = direction == "i" ? AccessLogParserTests.inbound() : AccessLogParserTests.outboundFailure()
            record.requestID = "one-request"
            record.authority = authority
            var line = writer.line(for: record)
            line.withUTF8 { tally.add($0, decoder: &decoder) }
        }
        #expect(tally.summary.pairs == 2)
        #expect(tally.summary.chains == 0)
        tally.finish()
        #expect(tally.summary.chains == 1)
        #expect(tally.openIDs == 0)
    }
}
