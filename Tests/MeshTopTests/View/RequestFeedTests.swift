import Collectors
import Foundation
import Testing

@testable import MeshTop

/// The Requests panel's rows, kept from the pairer's events alone: a line waits alone until
/// its partner comes, then both are one row; a request's rows are one block in chain order.
@Suite struct RequestFeedTests {
    /// The log reader's side: a pairer whose events go to the feed one line at a time.
    struct Reader {
        var pairer = RequestPairer(maxOpenIDs: LogTail.maxOpenIDs, reportsWaiting: true)
        var feed = RequestFeed()

        mutating func add(_ record: AccessLogRecord, line: String) {
            var batch = RequestBatch()
            pairer.add(record, text: line, into: &batch.events)
            batch.counts = pairer.counts
            feed.apply(batch)
        }

        mutating func flush() {
            var batch = RequestBatch(events: pairer.flush())
            batch.counts = pairer.counts
            feed.apply(batch)
        }

        var rows: [RequestRow] { feed.rows }
    }

    func record(_ id: String, inbound: Bool, authority: String = "svc:80", time: String = "24.000", code: Int = 200) -> AccessLogRecord {
        ScreenFixture.record("GET", "/x", code: code, duration: inbound ? 2 : 5, id: id, inbound: inbound, authority: authority, time: time)
    }

    @Test func aLoneLineBecomesAPairWhenItsPartnerArrives() {
        var reader = Reader()
        reader.add(record("a", inbound: true), line: "server a")
        reader.add(record("b", inbound: false), line: "client b")
        // Newest first.
        #expect(reader.rows.map(\.kind) == [.clientOnly, .serverOnly])
        reader.add(record("a", inbound: false), line: "client a")
        #expect(reader.rows.map(\.kind) == [.pair, .clientOnly])
        let pair = reader.rows[0]
        #expect(pair.requestID == "a" && pair.clientLine?.text == "client a" && pair.serverLine?.text == "server a")
        #expect(pair.overheadMilliseconds == 3)
        #expect(reader.feed.paired == 1 && reader.feed.lines == 3 && reader.feed.rowCount == 2)
    }

    /// ztunnel's two lines of one connection (written from its documented format) make one
    /// row named by its two ends; a failed connection is an error row.
    @Test func aZtunnelConnectionIsOneRowNamedByItsEnds() throws {
        var reader = Reader()
        func connection(_ direction: AccessLogRecord.Direction, port: Int, duration: Int, error: String? = nil) -> AccessLogRecord {
            var c = ConnectionRecord()
            c.timestamp = "2024-08-12T10:12:41.115Z"
            c.sourceAddress = "10.244.0.9:\(port)"
            c.sourceWorkload = "sleep-7656cf8794-abcde"
            c.sourceNamespace = "default"
            c.destinationAddress = "10.244.0.12:15008"
            c.destinationHBONEAddress = "10.244.0.12:8080"
            c.destinationService = "httpbin.default.svc.cluster.local"
            c.direction = direction
            c.duration = duration
            c.error = error
            return AccessLogRecord(connection: c)
        }
        reader.add(connection(.outbound, port: 45678, duration: 13), line: "out")
        reader.add(connection(.inbound, port: 39012, duration: 11), line: "in")
        #expect(reader.rows.map(\.kind) == [.pair])
        let row = try #require(reader.rows.first)
        #expect(row.overheadMilliseconds == 2 && !row.isError)
        let text = RequestsPanel.line(row, width: 120).map(\.text).joined()
        #expect(text.contains("TCP default/sleep-7656cf8794-abcde → httpbi"), "\(text)")
        #expect(text.contains("client 13 ms") && text.contains("server 11 ms"), "\(text)")
        reader.add(connection(.outbound, port: 45680, duration: 2, error: "connection refused"), line: "failed")
        // Same pod, same target: the same addresses, so it waits in that connection's block.
        #expect(reader.rows.count == 2)
        #expect(reader.rows.contains { $0.kind == .clientOnly && $0.isError })
    }

    @Test func laterHopsOfOneRequestAreNumbered() {
        var reader = Reader()
        reader.add(record("c", inbound: false, authority: "ingress"), line: "1")
        reader.add(record("c", inbound: true, authority: "ingress"), line: "2")
        reader.add(record("c", inbound: false, authority: "etcd:2379"), line: "3")
        reader.add(record("c", inbound: true, authority: "etcd:2379"), line: "4")
        // The chain reads down from its first hop.
        #expect(reader.rows.map(\.hop) == [1, 2])
        #expect(reader.rows.allSatisfy { $0.kind == .pair })
        let line = RequestsPanel.line(reader.rows[1], width: 100).map(\.text).joined()
        #expect(line.hasPrefix("  ↳ hop 2"))
    }

    /// On the mesh the inner hop's lines (the sidecars' by etcd) are often read before the
    /// gateway's line: the chain still starts at the gateway's hop.
    @Test func aChainReadsFromItsFirstHopWhateverOrderItPaired() {
        var reader = Reader()
        func hop(_ authority: String, inbound: Bool, time: String, duration: Int) -> AccessLogRecord {
            ScreenFixture.record("GET", "/\(authority)", code: 200, duration: duration, id: "r", inbound: inbound, authority: authority, time: time)
        }
        reader.add(hop("gateway", inbound: false, time: "24.000", duration: 9), line: "gateway")
        reader.add(hop("etcd", inbound: false, time: "24.003", duration: 2), line: "storage out")
        reader.add(hop("etcd", inbound: true, time: "24.003", duration: 1), line: "etcd in")
        // The gateway's line still waits, above the inner hop's pair: one block per request.
        #expect(reader.rows.map(\.kind) == [.clientOnly, .pair])
        #expect(reader.rows.map(\.hop) == [1, 2])
        reader.add(hop("gateway", inbound: true, time: "24.000", duration: 8), line: "storage in")
        #expect(reader.rows.map(\.kind) == [.pair, .pair])
        #expect(reader.rows.map { $0.client?.authority } == ["gateway", "etcd"])
        #expect(reader.rows.map(\.overheadMilliseconds) == [1, 1])
        #expect(reader.rows.first?.clientLine?.text == "gateway" && reader.rows.first?.serverLine?.text == "storage in")
        // Two hops that start in the same millisecond: the one that lasts longer holds the other.
        var same = Reader()
        same.add(hop("etcd", inbound: false, time: "25.000", duration: 2), line: "")
        same.add(hop("etcd", inbound: true, time: "25.000", duration: 1), line: "")
        same.add(hop("gateway", inbound: false, time: "25.000", duration: 6), line: "")
        same.add(hop("gateway", inbound: true, time: "25.000", duration: 5), line: "")
        #expect(same.rows.map { $0.client?.authority } == ["gateway", "etcd"])
        // The pairer's chain, when the id leaves its window, is in the same order and closes the block.
        #expect(same.feed.block(requestID: "r")?.complete == false)
        let chains = same.pairer.flush().compactMap { if case .chain(let chain) = $0 { chain } else { nil } }
        #expect(chains.first?.hops.map(\.client.authority) == ["gateway", "etcd"])
    }

    @Test func aChainEventClosesItsBlock() {
        var reader = Reader()
        for (authority, inbound) in [("gateway", false), ("gateway", true), ("etcd", false), ("etcd", true)] {
            reader.add(record("k", inbound: inbound, authority: authority), line: "")
        }
        let serial = reader.feed.block(requestID: "k")?.serial
        reader.flush()
        #expect(serial.flatMap { reader.feed.block(serial: $0) }?.complete == true)
        // A later line with the same id starts a request of its own.
        reader.add(record("k", inbound: true), line: "")
        #expect(reader.feed.blocks.count == 2)
    }

    /// A hop that failed before reaching a server (a UH, a fault) stays in its request's block.
    @Test func aLoneHopJoinsItsRequestsBlock() {
        var reader = Reader()
        reader.add(record("u", inbound: false, authority: "gateway", time: "26.000"), line: "")
        reader.add(record("other", inbound: true), line: "")
        var failed = record("u", inbound: false, authority: "etcd", time: "26.002")
        failed.responseFlags = "UH"
        reader.add(failed, line: "")
        reader.add(record("u", inbound: true, authority: "gateway", time: "26.000"), line: "")
        #expect(reader.rows.map(\.requestID) == ["u", "u", "other"])
        #expect(reader.rows.map(\.kind) == [.pair, .clientOnly, .serverOnly])
        #expect(reader.rows.map(\.hop) == [1, 2, 1])
        #expect(reader.rows[1].isError)
    }

    @Test func errorsAreFiveHundredsNoAnswerFlagsOrAFailedGRPCStatus() {
        var reader = Reader()
        reader.add(record("e1", inbound: true, code: 503), line: "")
        reader.add(record("e2", inbound: true, code: 0), line: "")
        reader.add(record("ok", inbound: true, code: 404), line: "")
        var flagged = record("f", inbound: true)
        flagged.responseFlags = "UH"
        reader.add(flagged, line: "")
        var grpc = record("g", inbound: true)
        grpc.extra["grpc_status"] = "UNAVAILABLE"
        reader.add(grpc, line: "")
        #expect(reader.rows.map(\.isError) == [true, true, false, true, true])
        #expect(!RequestOutcome.isError(status: 200, flags: "-", grpcStatus: "OK"))
        // A fault filter's delay (DI) answered is slow, not failed; with another flag it fails.
        #expect(!RequestOutcome.isError(status: 200, flags: "DI") && RequestOutcome.isError(status: 200, flags: "DI,UT"))
        #expect(RequestOutcome.isError(status: 503, flags: "DI") && RequestOutcome.isError(status: 200, flags: "UT,DI"))
        #expect(RequestOutcome.isError(statusLabel: "5xx") && !RequestOutcome.isError(statusLabel: "404"))
    }

    @Test func aLineWithoutAnIDIsARowOfItsOwn() {
        var reader = Reader()
        var bare = record("", inbound: true)
        bare.requestID = nil
        reader.add(bare, line: "no id")
        reader.add(bare, line: "no id again")
        #expect(reader.rows.count == 2 && reader.rows.allSatisfy { $0.kind == .serverOnly })
        #expect(reader.feed.counts.withoutID == 2)
    }

    @Test func theListIsBounded() {
        var reader = Reader()
        for index in 0..<(RequestFeed.capacity + 50) { reader.add(record("id\(index)", inbound: true), line: "") }
        #expect(reader.rows.count == RequestFeed.capacity && reader.feed.rowCount == RequestFeed.capacity)
        #expect(reader.rows.last?.requestID == "id50")
        #expect(reader.rows.first?.requestID == "id\(RequestFeed.capacity + 49)")
    }

    /// `H` opens the per-hop table of the listed requests; Esc goes back.
    @Test func hopsViewTablesTheListedRequests() {
        var reader = Reader()
        for id in ["r1", "r2", "r3"] {
            for (authority, inbound, time) in [("gateway", false, "24.000"), ("gateway", true, "24.000"), ("etcd", false, "24.001"), ("etcd", true, "24.001")] {
                reader.add(record(id, inbound: inbound, authority: authority, time: time), line: "")
            }
        }
        var model = ScreenFixture.model()
        model.requests = reader.feed
        var state = UIState()
        #expect(state.handle(.character("H")) == nil)
        #expect(state.detail == .hops)
        let screen = Screen.render(model, state, width: 140, height: 30).grid.lines.joined(separator: "\n")
        #expect(screen.contains("Hops  3 requests in the list"), "\(screen)")
        #expect(screen.contains("HOP "))
        // Each request's two hops, 5 ms each on the client side: the table's rows by authority.
        for hop in ["gateway", "etcd"] {
            #expect(screen.split(separator: "\n").contains { $0.contains(hop) && $0.contains("       3 ") }, "\(hop) row: \(screen)")
        }
        _ = state.handle(.escape)
        #expect(state.detail == nil)
    }

    /// Enter copies the request: it stays open, whole, while newer requests push it out.
    @Test func anOpenRequestOutlivesTheList() throws {
        var reader = Reader()
        for (authority, inbound, time) in [("gateway", false, "24.000"), ("gateway", true, "24.000"), ("etcd", false, "24.002"), ("etcd", true, "24.002")] {
            reader.add(record("held", inbound: inbound, authority: authority, time: time), line: "\(authority) \(inbound ? "in" : "out")")
        }
        var model = ScreenFixture.model()
        model.requests = reader.feed
        var state = UIState()
        state.focus = .requests
        let frame = Screen.render(model, state, width: 120, height: 40)
        guard case .request(let serial)? = frame.items[.requests]?.first, let block = reader.feed.block(serial: serial) else {
            Issue.record("no request rows")
            return
        }
        state.detail = .request(block)
        for index in 0..<(RequestFeed.capacity + 10) { reader.add(record("new\(index)", inbound: true), line: "") }
        model.requests = reader.feed
        #expect(reader.feed.block(requestID: "held") == nil)
        let detail = Screen.render(model, state, width: 120, height: 70).grid.lines.joined(separator: "\n")
        #expect(!detail.contains("left the list"))
        #expect(detail.contains("x-request-id                held"))
        // The whole chain: both hops, each with its two raw lines, durations with their unit.
        #expect(detail.contains("hop 1") && detail.contains("hop 2"))
        for raw in ["gateway out", "gateway in", "etcd out", "etcd in"] { #expect(detail.contains(raw), "no raw line \(raw)") }
        #expect(detail.contains("duration                    5 ms"))
        // Both hops on the waterfall: the etcd hop starts 2 ms in and ends at 7.
        #expect(detail.contains("7 ms end to end, 2 paired hops"), "\(detail)")
    }
}
