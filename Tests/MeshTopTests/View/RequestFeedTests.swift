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
        #expect(feed.rows.map(\.hop) == [1, 2])
        #expect(feed.rows.allSatisfy { $0.kind == .pair })
        let line = RequestsPanel.line(feed.rows[1], width: 100).map(\.text).joined()
        #expect(line.hasPrefix("  ↳ hop 2"))
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
