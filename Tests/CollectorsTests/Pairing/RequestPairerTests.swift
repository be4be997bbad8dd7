import Collectors
import Testing

@Suite struct RequestPairerTests {
    private func line(
        _ id: String?, _ direction: AccessLogRecord.Direction, at time: String = "2026-11-27T12:00:00.000Z",
        duration: Int = 5, authority: String = "etcd-service:2379", source: String = "a.log"
    ) -> AccessLogRecord {
        var r = AccessLogRecord()
        r.requestID = id
        r.direction = direction
        r.startTime = time
        r.duration = duration
        r.authority = authority
        r.origin = source
        return r
    }

    private func pairs(_ events: [PairingEvent]) -> [RequestPair] {
        events.compactMap { if case .paired(let p) = $0 { p } else { nil } }
    }

    @Test func theOriginalAppsTwoLinesMakeOnePair() throws {
        let parser = try AccessLogParser(format: #require(IstioFormats.format(named: "envoy")))
        var pairer = RequestPairer()
        let client = try #require(parser.parse(
            #"[2018-02-14T16:28:24.640Z] "PUT /v2/keys/istioTest HTTP/1.1" 201 - 40 119 6 5 "-" "-" "45dd6431-49cf-9bcf-b611-1d319c56eb2e" "etcd-service:2379" "172.17.0.9:2379""#))
        let server = try #require(parser.parse(
            #"[2018-02-14T16:28:24.640Z] "PUT /v2/keys/istioTest HTTP/1.1" 201 - 40 119 4 1 "-" "-" "45dd6431-49cf-9bcf-b611-1d319c56eb2e" "etcd-service:2379" "127.0.0.1:2379""#))
        #expect(pairer.add(client).isEmpty)
        let found = pairs(pairer.add(server))
        #expect(found.count == 1)
        #expect(found.first?.client.duration == 6)
        #expect(found.first?.server.duration == 4)
        #expect(found.first?.overheadMilliseconds == 2)
        #expect(pairer.pairCount == 1)
    }

    @Test func eitherSideMayComeFirst() {
        var pairer = RequestPairer()
        #expect(pairer.add(line("r1", .inbound, duration: 3)).isEmpty)
        let found = pairs(pairer.add(line("r1", .outbound, duration: 7)))
        #expect(found.map(\.overheadMilliseconds) == [4])
        #expect(found.first?.client.direction == .outbound)
    }

    @Test func interleavedSourcesPairByID() {
        var pairer = RequestPairer()
        var found: [RequestPair] = []
        let ids = (0..<50).map { "id-\($0)" }
        for id in ids { found += pairs(pairer.add(line(id, .outbound, source: "client.log"))) }
        for id in ids.reversed() { found += pairs(pairer.add(line(id, .inbound, source: "server.log"))) }
        #expect(found.count == 50)
        #expect(Set(found.map(\.requestID)) == Set(ids))
        #expect(found.allSatisfy { $0.client.origin == "client.log" && $0.server.origin == "server.log" })
        #expect(pairer.flush().isEmpty)
        #expect(pairer.unpaired == UnpairedCounts())
    }

    @Test func aChainOfHopsIsReportedInOrder() {
        var pairer = RequestPairer()
        var events: [PairingEvent] = []
        // ingress → storage, then storage → etcd, one request id.
        events += pairer.add(line("c1", .outbound, at: "2026-11-27T12:00:00.000Z", duration: 9, authority: "storage:9080"))
        events += pairer.add(line("c1", .outbound, at: "2026-11-27T12:00:00.002Z", duration: 4, authority: "etcd:2379"))
        events += pairer.add(line("c1", .inbound, at: "2026-11-27T12:00:00.003Z", duration: 3, authority: "etcd:2379"))
        events += pairer.add(line("c1", .inbound, at: "2026-11-27T12:00:00.001Z", duration: 7, authority: "storage:9080"))
        #expect(pairs(events).map(\.client.authority) == ["etcd:2379", "storage:9080"])
        let closing = pairer.flush()
        guard case .chain(let chain) = closing.first else {
            Issue.record("no chain: \(closing)")
            return
        }
        #expect(chain.requestID == "c1")
        #expect(chain.hops.map(\.client.authority) == ["storage:9080", "etcd:2379"])
    }

    @Test func theWindowLetsGoOfOldLinesAndCountsThem() {
        var pairer = RequestPairer(window: .seconds(60))
        _ = pairer.add(line("old-client", .outbound, at: "2026-11-27T12:00:00.000Z"))
        _ = pairer.add(line("old-server", .inbound, at: "2026-11-27T12:00:10.000Z"))
        #expect(pairer.openIDs == 2)
        _ = pairer.add(line("new", .outbound, at: "2026-11-27T12:01:05.000Z"))
        #expect(pairer.openIDs == 2)
        #expect(pairer.unpaired.clientOnly == 1)
        // A late partner of an evicted line no longer pairs.
        let late = pairer.add(line("old-client", .inbound, at: "2026-11-27T12:01:06.000Z"))
        #expect(pairs(late).isEmpty)
        _ = pairer.add(line("x", .outbound, at: "2026-11-27T12:02:00.000Z"))
        #expect(pairer.unpaired.serverOnly == 1)
    }

    @Test func capacityBoundsOpenIDs() {
        var pairer = RequestPairer(maxOpenIDs: 100)
        for n in 0..<1_000 { _ = pairer.add(line("id-\(n)", .outbound)) }
        #expect(pairer.openIDs == 100)
        #expect(pairer.unpaired.clientOnly == 900)
        let found = pairs(pairer.add(line("id-999", .inbound)))
        #expect(found.count == 1)
    }

    /// Issue 6: 3,000 unpaired lines with 100 KB user agents once took 333 MB; the window
    /// is bounded in bytes too, the oldest ids leaving first, counted like any eviction.
    @Test func bytesBoundTheWindowWhateverTheLinesCarry() {
        let bound = 64 << 20
        var pairer = RequestPairer(maxBytes: bound)
        let agent = String(repeating: "A", count: 100_000)
        var highest = 0
        for n in 0..<3_000 {
            var record = line("big-\(n)", .outbound)
            record.userAgent = agent + "\(n)"
            _ = pairer.add(record)
            highest = max(highest, pairer.heldBytes)
        }
        #expect(highest <= bound)
        #expect(pairer.heldBytes > bound - 200_000)
        // About 650 of them fit; the rest left as client-only, oldest first.
        #expect(pairer.openIDs < 700 && pairer.openIDs > 600)
        #expect(pairer.unpaired.clientOnly == 3_000 - pairer.openIDs)
        #expect(pairs(pairer.add(line("big-0", .inbound))).isEmpty)
        #expect(pairs(pairer.add(line("big-2999", .inbound))).count == 1)
        _ = pairer.flush()
        #expect(pairer.heldBytes == 0)
    }

    @Test func ordinaryLinesStayFarBelowTheByteBound() {
        var pairer = RequestPairer()
        for n in 0..<10_000 { _ = pairer.add(line("id-\(n)", .outbound)) }
        #expect(pairer.openIDs == 10_000)
        #expect(pairer.heldBytes < pairer.maxBytes / 4)
    }

    @Test func linesWithoutAnIDAreCounted() {
        var pairer = RequestPairer()
        _ = pairer.add(line(nil, .outbound))
        #expect(pairer.withoutID == 1)
        #expect(pairer.openIDs == 0)
    }

    @Test func startTimesBecomeMilliseconds() {
        #expect(EnvoyTimestamp.milliseconds("2020-11-25T21:26:18.409Z") == 1_606_339_578_409)
        #expect(EnvoyTimestamp.milliseconds("1970-01-01T00:00:00Z") == 0)
        #expect(EnvoyTimestamp.milliseconds("1970-01-01T01:00:00.5+01:00") == 500)
        #expect(EnvoyTimestamp.milliseconds("2024-02-29T00:00:00.123456789Z") == 1_709_164_800_123)
        #expect(EnvoyTimestamp.milliseconds("yesterday") == nil)
        #expect(EnvoyTimestamp.milliseconds("2020-13-01T00:00:00Z") == nil)
    }
}
