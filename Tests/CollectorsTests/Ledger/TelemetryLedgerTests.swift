import Collectors
import Foundation
import Testing

/// The telemetry ledger from lines and counts made by hand, shaped as the local mesh's
/// proxies write them: load → gateway → storage sidecar → app → its sidecar → etcd sidecar.
@Suite struct TelemetryLedgerTests {
    static let storage = "proxy-etcd-storage.default.svc.cluster.local"
    static let etcd = "etcd-service.default.svc.cluster.local"
    static let gatewayAuthority = "127.0.0.1:8080"
    static let etcdAuthority = "127.0.0.1:2379"

    static func line(
        _ id: String, cluster: String, authority: String, inbound: Bool = false, origin: String, load: Bool = false,
        code: Int = 200, flags: String = "-"
    ) -> AccessLogRecord {
        var record = AccessLogRecord()
        record.startTime = EnvoyTimestamp.format(seconds: 1_780_000_000, milliseconds: 0)
        record.duration = 5
        record.requestID = id
        record.upstreamCluster = cluster
        record.authority = authority
        record.direction = inbound ? .inbound : .outbound
        record.origin = origin
        record.responseCode = code
        record.responseFlags = flags
        if load {
            record.userAgent = OutboundRecord.loadUserAgent
        } else {
            record.downstreamRemoteAddress = "127.0.0.1:40000"
        }
        return record
    }

    /// One request's lines; `skip` leaves out a proxy's.
    static func request(_ id: String, skip: Set<String> = []) -> [AccessLogRecord] {
        [
            line(id, cluster: "outbound|8080||127.0.0.1", authority: gatewayAuthority, origin: "load.log", load: true),
            line(id, cluster: "outbound|9080||\(storage)", authority: gatewayAuthority, origin: "gateway.log"),
            line(id, cluster: "inbound|9080||", authority: gatewayAuthority, inbound: true, origin: "storage.log"),
            line(id, cluster: "outbound|2379||\(etcd)", authority: etcdAuthority, origin: "storage.log"),
            line(id, cluster: "inbound|2379||", authority: etcdAuthority, inbound: true, origin: "etcd.log"),
        ].filter { !skip.contains($0.origin ?? "") }
    }

    /// Every line added and paired by a real pairer, as `snapshot --logs` does.
    static func lines(_ records: [AccessLogRecord]) -> LedgerLines {
        var lines = LedgerLines()
        var pairer = RequestPairer()
        for record in records {
            lines.add(record)
            for case .paired(let pair) in pairer.add(record) { lines.addPaired(pair) }
        }
        return lines
    }

    static func counts(_ values: [(String, RequestCounts.Counter, Int)]) -> RequestCounts {
        var counts = RequestCounts(since: Date(timeIntervalSince1970: 1_780_000_000))
        for (hop, counter, value) in values { counts.counts[.init(hop: hop, counter: counter)] = value }
        return counts
    }

    @Test func aCleanRunBalancesToTheRequest() throws {
        let lines = Self.lines((0..<10).flatMap { Self.request("r\($0)") })
        let ledger = TelemetryLedger(
            lines: lines, counts: Self.counts([(Self.storage, .envoy, 10), (Self.storage, .destination, 10), (Self.etcd, .envoy, 10)]))
        #expect(ledger.balanced, "\(ledger.rows)")
        #expect(ledger.rows.map(\.hop) == [LedgerLines.loadHop(Self.gatewayAuthority), Self.etcd, Self.storage])
        let load = try #require(ledger.rows.first)
        // The load's own lines are among the inputs: its hop pairs with the gateway's lines.
        #expect(load.sent == 10 && load.serverLines == 10 && load.paired == 10)
        let storage = try #require(ledger.rows.first { $0.hop == Self.storage })
        #expect(storage.clientLines == 10 && storage.serverLines == 10 && storage.paired == 10)
        #expect(storage.metrics == [.envoy: 10, .destination: 10])
    }

    @Test func aSidecarWithItsLogOffLosesBothItsLinesAndSaysWhy() throws {
        let lines = Self.lines((0..<10).flatMap { Self.request("r\($0)", skip: ["storage.log"]) })
        let ledger = TelemetryLedger(lines: lines, counts: Self.counts([(Self.storage, .envoy, 10), (Self.etcd, .envoy, 10)]))
        #expect(!ledger.balanced)
        let storage = try #require(ledger.rows.first { $0.hop == Self.storage })
        #expect(storage.clientLines == 10 && storage.serverLines == 0)
        #expect(storage.gaps.map(\.kind) == [.serverLinesMissing])
        #expect(storage.gaps.first?.cause.contains("access log is off or filtered") == true)
        let etcd = try #require(ledger.rows.first { $0.hop == Self.etcd })
        #expect(etcd.clientLines == 0 && etcd.gaps.map(\.kind) == [.clientLinesMissing] && etcd.gaps.first?.count == 10)
        // The etcd sidecar's lines are kept, under their authority and file: nothing is lost.
        let apart = try #require(ledger.rows.first { $0.hop.hasPrefix("? ") })
        #expect(apart.hop.contains(Self.etcdAuthority) && apart.hop.contains("etcd.log"))
        #expect(apart.serverLines == 10 && apart.gaps.map(\.kind) == [.unattributed])
    }

    @Test func serverLinesBeforeTheirClientLinesJoinTheHopOnceItIsNamed() throws {
        var lines = LedgerLines()
        let server = Self.line("a", cluster: "inbound|2379||", authority: Self.etcdAuthority, inbound: true, origin: "etcd.log")
        lines.add(server)
        #expect(lines.rows.keys.contains { $0.hasPrefix("? ") })
        lines.add(Self.line("a", cluster: "outbound|2379||\(Self.etcd)", authority: Self.etcdAuthority, origin: "storage.log"))
        #expect(Array(lines.rows.keys) == [Self.etcd])
        #expect(lines.rows[Self.etcd]?.client == 1 && lines.rows[Self.etcd]?.server == 1)
    }

    @Test func sampledLinesUnpairedIdsAndLaggingMetricsEachGetTheirGap() throws {
        // Half the server lines sampled away, and the metrics one scrape behind.
        var records: [AccessLogRecord] = []
        for n in 0..<10 {
            records += Self.request("r\(n)", skip: n % 2 == 0 ? ["etcd.log"] : []).filter { $0.origin != "load.log" }
        }
        let ledger = TelemetryLedger(lines: Self.lines(records), counts: Self.counts([(Self.etcd, .envoy, 8)]))
        let etcd = try #require(ledger.rows.first { $0.hop == Self.etcd })
        #expect(etcd.clientLines == 10 && etcd.serverLines == 5 && etcd.paired == 5)
        #expect(Set(etcd.gaps.map(\.kind)) == [.fewerServerLines, .metricsFewer])
        let fewer = try #require(etcd.gaps.first { $0.kind == .fewerServerLines })
        #expect(fewer.count == 5 && fewer.of == 10 && fewer.share == 0.5)
        #expect(etcd.gaps.first { $0.kind == .metricsFewer }?.count == 2)
        #expect(ledger.worstGap?.kind == .fewerServerLines)
    }

    @Test func denialsAreNamedWhenTheMetricsCountFewer() throws {
        var records = Self.request("ok").filter { $0.origin == "gateway.log" || $0.origin == "storage.log" }
        records.append(
            Self.line("no", cluster: "outbound|9080||\(Self.storage)", authority: Self.gatewayAuthority, origin: "gateway.log",
                code: 403, flags: "RBAC"))
        let ledger = TelemetryLedger(lines: Self.lines(records), counts: Self.counts([(Self.storage, .envoy, 1)]))
        let storage = try #require(ledger.rows.first { $0.hop == Self.storage })
        let gap = try #require(storage.gaps.first { $0.kind == .metricsFewer })
        #expect(gap.cause.contains("1 of the lines are denials"))
    }

    @Test func theDashboardsLoadCountsItselfAndTheGatewaysLinesAreItsOtherSide() throws {
        var lines = LedgerLines(loadAuthority: Self.gatewayAuthority)
        for record in Self.request("r1").filter({ $0.origin != "load.log" }) { lines.add(record) }
        let ledger = TelemetryLedger(lines: lines, counts: nil, sent: 3, loadAuthority: Self.gatewayAuthority)
        let load = try #require(ledger.rows.first)
        #expect(load.hop == LedgerLines.loadHop(Self.gatewayAuthority))
        #expect(load.sent == 3 && load.clientLines == nil && load.serverLines == 1)
        #expect(load.gaps.map(\.kind) == [.notSeenByProxy] && load.gaps.first?.count == 2)
    }

    @Test func rowsAreBoundedAndWhatDoesNotFitIsCounted() {
        var lines = LedgerLines()
        for n in 0..<(LedgerLines.maxRows + 5) {
            lines.add(Self.line("r\(n)", cluster: "outbound|80||s\(n).svc", authority: "s\(n)", origin: "a.log"))
        }
        #expect(lines.rows.count == LedgerLines.maxRows)
        #expect(lines.overflow == 5)
    }
}
