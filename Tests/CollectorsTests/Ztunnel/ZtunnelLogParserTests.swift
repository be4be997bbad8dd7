import Collectors
import Foundation
import Testing

@Suite struct ZtunnelLogParserTests {
    let parser = ZtunnelLogParser()

    @Test func plainLineFields() throws {
        let c = try #require(parser.parse(ZtunnelFixtures.outbound))
        #expect(c.timestamp == "2024-08-12T10:12:41.115432Z")
        #expect(c.level == "info" && c.message == "connection complete")
        #expect(c.sourceAddress == "10.244.0.9:45678")
        #expect(c.sourceWorkload == "sleep-7656cf8794-abcde" && c.sourceNamespace == "default")
        #expect(c.sourceIdentity == "spiffe://cluster.local/ns/default/sa/sleep")
        #expect(c.destinationAddress == "10.244.0.12:15008" && c.destinationHBONEAddress == "10.244.0.12:8080")
        #expect(c.destinationService == "httpbin.default.svc.cluster.local")
        #expect(c.destinationWorkload == "httpbin-86b8ffc5ff-xyz" && c.destinationNamespace == "default")
        #expect(c.destinationIdentity == "spiffe://cluster.local/ns/default/sa/httpbin")
        #expect(c.direction == .outbound)
        #expect(c.bytesSent == 220 && c.bytesReceived == 87 && c.duration == 13)
        #expect(c.error == nil && !c.failed)
        #expect(c.other.isEmpty)
    }

    @Test func unquotedValuesAndKubectlPrefixes() throws {
        let expected = try #require(parser.parse(ZtunnelFixtures.unquoted))
        #expect(expected.sourceWorkload == "sleep-7656cf8794-abcde" && expected.destinationService == "httpbin.default.svc.cluster.local")
        #expect(expected.direction == .inbound)
        let prefixed = try #require(parser.parse("[pod/ztunnel-x7k2p/ztunnel] 2024-08-12T10:12:41.200000000Z " + ZtunnelFixtures.unquoted))
        #expect(prefixed == expected)
    }

    @Test func jsonLineOfAFailedConnection() throws {
        let c = try #require(parser.parse(ZtunnelFixtures.failedJSON))
        #expect(c.timestamp == "2024-08-12T10:12:42.001234Z" && c.level == "error")
        #expect(c.error == "connection timed out, maybe a NetworkPolicy is blocking HBONE port 15008: deadline has elapsed")
        #expect(c.failed)
        #expect(c.bytesSent == 0 && c.bytesReceived == 0 && c.duration == 2)
        #expect(c.destinationWorkload == "reviews-v1-5fd6d4f8f8-knbht" && c.destinationHBONEAddress == "10.244.0.13:9080")
        #expect(c.sourceIdentity == nil)
    }

    @Test func unknownAndMissingKeysAreTolerated() throws {
        let c = try #require(parser.parse(ZtunnelFixtures.newerJSON))
        #expect(c.timestamp == "2024-08-12T10:12:43.5Z")
        #expect(c.other == ["dst.cluster": "Kubernetes", "src.cluster": "Kubernetes", "flow.id": "abc"])
        #expect(c.bytesSent == 12 && c.bytesReceived == nil && c.duration == 1000)
        #expect(c.destinationHBONEAddress == nil && c.sourceWorkload == nil)
        let text = try #require(parser.parse("2024-08-12T10:12:41Z\tinfo\taccess\tconnection complete\tdst.addr=10.0.0.1:80 new.key=\"a b\" direction=\"outbound\""))
        #expect(text.other == ["new.key": "a b"] && text.sourceAddress == nil && text.destinationAddress == "10.0.0.1:80")
    }

    @Test(arguments: [
        AccessLogWriter().line(for: AccessLogParserTests.inbound()),
        #"{"start_time":"2026-11-27T12:34:57.510Z","response_code":"200","request_id":"x"}"#,
        "2024-08-12T10:12:41.115432Z\tinfo\txds::client\tconnected to istiod\taddr=10.0.0.1:15012",
        #"{"level":"info","time":"2024-08-12T10:12:41Z","scope":"xds","message":"connected","src.addr":"1.2.3.4:5"}"#,
        "2024-08-12T10:12:41.115432Z\tinfo\taccess\tconnection complete",
        "garbage",
    ])
    func otherLinesAreNotConnections(_ line: String) {
        #expect(parser.parse(line) == nil)
    }

    @Test func quotedValuesReadBackTheirEscapes() throws {
        let line = "2024-08-12T10:12:41Z\terror\taccess\tconnection complete\tsrc.addr=1.2.3.4:5 dst.addr=5.6.7.8:15008 "
            + #"error="io error: \"reset\" by peer \\ ok" src.workload="a\u{1b}[2Jb""#
        let c = try #require(parser.parse(line))
        #expect(c.error == #"io error: "reset" by peer \ ok"#)
        // Rust's debug escape of ESC stays visible text: no raw control byte comes of it.
        #expect(c.sourceWorkload == #"a\u{1b}[2Jb"#)
        #expect(c.failed)
    }

    @Test func theDecoderDetectsZtunnelLines() throws {
        var decoder = AccessLogDecoder()
        let decoded = decoder.decode(ZtunnelFixtures.outbound)
        let record = try #require(decoded)
        #expect(decoder.formatName == "ztunnel")
        #expect(record.connection?.destinationWorkload == "httpbin-86b8ffc5ff-xyz")
        #expect(record.direction == .outbound && record.duration == 13 && record.bytesSent == 220)
        #expect(record.pairingTime == EnvoyTimestamp.milliseconds("2024-08-12T10:12:41.115Z"))
        let json = decoder.decode(ZtunnelFixtures.failedJSON)
        #expect(json?.connection?.failed == true && json?.isError == true)
        #expect(decoder.malformed == 0)
        #expect(try AccessLogDecoder.choice(for: "ztunnel") == .ztunnel)
    }

    /// The outbound and inbound line of one connection pair by their addresses; another
    /// connection (another target) does not join them.
    @Test func bothSidesOfAConnectionPair() throws {
        var decoder = AccessLogDecoder()
        var pairer = RequestPairer()
        var events: [PairingEvent] = []
        for line in [ZtunnelFixtures.failedJSON, ZtunnelFixtures.inbound, ZtunnelFixtures.outbound] {
            let decoded = decoder.decode(line)
            events += pairer.add(try #require(decoded))
        }
        events += pairer.flush()
        let pairs = events.compactMap { event -> RequestPair? in if case .paired(let pair) = event { pair } else { nil } }
        #expect(pairs.count == 1)
        let pair = try #require(pairs.first)
        #expect(pair.client.connection?.sourceAddress == "10.244.0.9:45678")
        #expect(pair.server.connection?.sourceAddress == "10.244.0.9:39012")
        #expect(pair.overheadMilliseconds == 2)
        #expect(pairer.unpaired.clientOnly == 1 && pairer.unpaired.serverOnly == 0)
    }

    @Test func theSummaryPairsThemToo() throws {
        var tally = AccessLogTally()
        var decoder = AccessLogDecoder()
        for line in [ZtunnelFixtures.outbound, ZtunnelFixtures.inbound, ZtunnelFixtures.failedJSON] {
            var bytes = line
            bytes.withUTF8 { tally.add($0, decoder: &decoder) }
        }
        tally.finish()
        #expect(tally.summary.records == 3 && tally.summary.pairs == 1)
        #expect(tally.summary.byDirection == ["outbound": 2, "inbound": 1])
        #expect(decoder.malformed == 0)
    }

    @Test func jsonOutputEscapesHostileBytes() throws {
        var decoder = AccessLogDecoder()
        let decoded = decoder.decode(ZtunnelFixtures.hostileJSON)
        var record = try #require(decoded)
        #expect(record.connection?.sourceWorkload == "evil\u{1B}[2J\u{07}pod")
        record.origin = "istio-system/ztunnel-x7k2p"
        var out: [UInt8] = []
        record.writeJSON(into: &out)
        #expect(!out.contains(0x1B) && !out.contains(0x07))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        #expect(object["kind"] as? String == "connection")
        #expect(object["src.workload"] as? String == "evil\u{1B}[2J\u{07}pod")
        #expect(object["source"] as? String == "istio-system/ztunnel-x7k2p")
        #expect(object["dst.service"] is NSNull)
        let encoded = try JSONEncoder().encode(record)
        let viaEncoder = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(NSDictionary(dictionary: viaEncoder).isEqual(to: object))
    }

    /// A waypoint is an Envoy: its lines are Envoy records, pseudo-addresses and all.
    @Test func waypointLinesAreEnvoyRecords() throws {
        var decoder = AccessLogDecoder()
        let decoded = decoder.decode(ZtunnelFixtures.waypoint)
        let record = try #require(decoded)
        #expect(decoder.formatName == "istio")
        #expect(record.connection == nil)
        #expect(record.method == "GET" && record.path == "/headers" && record.responseCode == 200)
        #expect(record.requestID == "6f1ad3b2-6d1c-4b0e-9d2a-1f0f6c7e9a01")
        #expect(record.upstreamHost == "envoy://connect_originate/10.244.0.12:8080")
        #expect(record.upstreamCluster == "inbound-vip|8000|http|httpbin.default.svc.cluster.local")
        #expect(record.upstreamLocalAddress == "envoy://internal_client_address/")
        #expect(record.downstreamRemoteAddress == "10.244.0.9:45678")
        #expect(record.routeName == "default")
        #expect(record.extraFields == 0 && record.missingFields == 0)
    }
}
