import Collectors
import Testing

@testable import MeshTop

/// The Requests panel's rows: a line waits alone until its partner comes, then both are one row.
@Suite struct RequestFeedTests {
    func record(_ id: String, inbound: Bool, authority: String = "svc:80", time: String = "24.000", code: Int = 200) -> AccessLogRecord {
        ScreenFixture.record("GET", "/x", code: code, duration: inbound ? 2 : 5, id: id, inbound: inbound, authority: authority, time: time)
    }

    @Test func aLoneLineBecomesAPairWhenItsPartnerArrives() {
        var feed = RequestFeed()
        feed.add(record("a", inbound: true), line: "server a")
        feed.add(record("b", inbound: false), line: "client b")
        #expect(feed.rows.map(\.kind) == [.serverOnly, .clientOnly])
        feed.add(record("a", inbound: false), line: "client a")
        #expect(feed.rows.map(\.kind) == [.clientOnly, .pair])
        let pair = feed.rows[1]
        #expect(pair.requestID == "a" && pair.clientLine == "client a" && pair.serverLine == "server a")
        #expect(pair.overheadMilliseconds == 3)
        #expect(feed.paired == 1 && feed.lines == 3)
    }

    @Test func laterHopsOfOneRequestAreNumbered() {
        var feed = RequestFeed()
        feed.add(record("c", inbound: false, authority: "ingress"), line: "1")
        feed.add(record("c", inbound: true, authority: "ingress"), line: "2")
        feed.add(record("c", inbound: false, authority: "etcd:2379"), line: "3")
        feed.add(record("c", inbound: true, authority: "etcd:2379"), line: "4")
        // Newest on top: the chain's first hop is the last row, its later hops below it.
        #expect(feed.rows.map(\.hop) == [2, 1])
        #expect(feed.rows.allSatisfy { $0.kind == .pair })
        let line = RequestsPanel.line(feed.rows[0], width: 100).map(\.text).joined()
        #expect(line.hasPrefix("  ↳ hop 2"))
    }

    /// On the mesh the inner hop's lines (the sidecars' by etcd) are often read before the
    /// gateway's line: the chain still starts at the gateway's hop.
    @Test func aChainReadsFromItsFirstHopWhateverOrderItPaired() {
        var feed = RequestFeed()
        func hop(_ authority: String, inbound: Bool, time: String, duration: Int) -> AccessLogRecord {
            ScreenFixture.record("GET", "/\(authority)", code: 200, duration: duration, id: "r", inbound: inbound, authority: authority, time: time)
        }
        feed.add(hop("gateway", inbound: false, time: "24.000", duration: 9), line: "gateway")
        feed.add(hop("etcd", inbound: false, time: "24.003", duration: 2), line: "storage out")
        feed.add(hop("etcd", inbound: true, time: "24.003", duration: 1), line: "etcd in")
        // The gateway's line still waits, above the inner hop's pair: one block per request.
        #expect(feed.rows.map(\.kind) == [.pair, .clientOnly])
        #expect(feed.rows.map(\.hop) == [2, 1])
        feed.add(hop("gateway", inbound: true, time: "24.000", duration: 8), line: "storage in")
        #expect(feed.rows.map(\.kind) == [.pair, .pair])
        #expect(feed.rows.map(\.hop) == [2, 1])
        #expect(feed.rows.map { $0.client?.authority } == ["etcd", "gateway"])
        #expect(feed.rows.map(\.overheadMilliseconds) == [1, 1])
        #expect(feed.rows.last?.clientLine == "gateway" && feed.rows.last?.serverLine == "storage in")
        // Two hops that start in the same millisecond: the one that lasts longer holds the other.
        var same = RequestFeed()
        same.add(hop("etcd", inbound: false, time: "25.000", duration: 2), line: "")
        same.add(hop("etcd", inbound: true, time: "25.000", duration: 1), line: "")
        same.add(hop("gateway", inbound: false, time: "25.000", duration: 6), line: "")
        same.add(hop("gateway", inbound: true, time: "25.000", duration: 5), line: "")
        #expect(same.rows.map { $0.client?.authority } == ["etcd", "gateway"])
    }

    /// A hop that failed before reaching a server (a UH, a fault) stays in its request's block.
    @Test func aLoneHopJoinsItsRequestsBlock() {
        var feed = RequestFeed()
        feed.add(record("u", inbound: false, authority: "gateway", time: "26.000"), line: "")
        feed.add(record("other", inbound: true), line: "")
        var failed = record("u", inbound: false, authority: "etcd", time: "26.002")
        failed.responseFlags = "UH"
        feed.add(failed, line: "")
        feed.add(record("u", inbound: true, authority: "gateway", time: "26.000"), line: "")
        #expect(feed.rows.map(\.requestID) == ["other", "u", "u"])
        #expect(feed.rows.map(\.kind) == [.serverOnly, .clientOnly, .pair])
        #expect(feed.rows.map(\.hop) == [1, 2, 1])
        #expect(feed.rows[1].isError)
    }

    @Test func errorsAreFiveHundredsNoAnswerOrFlags() {
        var feed = RequestFeed()
        feed.add(record("e1", inbound: true, code: 503), line: "")
        feed.add(record("e2", inbound: true, code: 0), line: "")
        feed.add(record("ok", inbound: true, code: 404), line: "")
        var flagged = record("f", inbound: true)
        flagged.responseFlags = "UH"
        feed.add(flagged, line: "")
        #expect(feed.rows.map(\.isError) == [true, true, false, true])
    }

    @Test func theListIsBounded() {
        var feed = RequestFeed()
        for index in 0..<(RequestFeed.capacity + 50) { feed.add(record("id\(index)", inbound: true), line: "") }
        #expect(feed.rows.count == RequestFeed.capacity)
        #expect(feed.rows.first?.requestID == "id50")
    }
}
