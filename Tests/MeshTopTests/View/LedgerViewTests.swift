import Collectors
import Foundation
import Testing

@testable import MeshTop

/// The dashboard's `L` view: the ledger of the model (the log lines, the metrics' counts, the
/// load's count) as the user sees it, gaps and hostile names included.
@Suite struct LedgerViewTests {
    static func line(_ cluster: String, authority: String, inbound: Bool = false, origin: String) -> AccessLogRecord {
        var record = AccessLogRecord()
        record.upstreamCluster = cluster
        record.authority = authority
        record.direction = inbound ? .inbound : .outbound
        record.origin = origin
        record.downstreamRemoteAddress = "127.0.0.1:1"
        return record
    }

    static func screen(_ model: ScreenModel, width: Int = 150) -> String {
        var state = UIState()
        #expect(state.handle(.character("L")) == nil)
        #expect(state.detail == .ledger)
        return Screen.render(model, state, width: width, height: 30).grid.lines.joined(separator: "\n")
    }

    @Test func showsEachHopsCountsAndTheCauseOfAGap() throws {
        var lines = LedgerLines(loadAuthority: "gw:80")
        for _ in 0..<4 { lines.add(Self.line("outbound|9080||storage.svc", authority: "gw:80", origin: "gateway.log")) }
        for _ in 0..<3 { lines.add(Self.line("inbound|9080||", authority: "gw:80", inbound: true, origin: "storage.log")) }
        var model = ScreenFixture.model()
        model.ledgerLines = lines
        model.loadAuthority = "gw:80"
        model.load = LoadStatus(target: "http://gw:80/", targetRate: 10, achievedRate: 10, requests: 4, errors: 0, elapsed: 1)
        var counts = RequestCounts(since: ScreenFixture.now)
        counts.counts[.init(hop: "storage.svc", counter: .destination)] = 4
        model.snapshot.requestCounts = counts
        let screen = Self.screen(model)
        #expect(screen.contains("TELEMETRY LEDGER since"), "\(screen)")
        let rows = screen.split(separator: "\n")
        let load = try #require(rows.first { $0.contains("load → gw:80") }, "\(screen)")
        #expect(load.contains(" 4 ") && load.contains(" ok "))
        let storage = try #require(rows.first { $0.contains("storage.svc ") }, "\(screen)")
        #expect(storage.contains("destination 4") && storage.contains("fewer_server_lines 1"), "\(storage)")
        #expect(screen.contains("1 fewer server-side lines than client-side"))
    }

    @Test func withoutLogsTheMetricsStandAloneAndTheViewSaysWhatIsMissing() {
        var model = ScreenFixture.model()
        model.ledgerLines = nil
        let empty = Self.screen(model)
        #expect(empty.contains("nothing counted yet"), "\(empty)")
        #expect(empty.contains("the log columns need --logs"))
        var counts = RequestCounts(since: ScreenFixture.now)
        counts.counts[.init(hop: "a.svc", counter: .source)] = 7
        model.snapshot.requestCounts = counts
        let screen = Self.screen(model)
        #expect(screen.split(separator: "\n").contains { $0.contains("a.svc") && $0.contains("source 7") && $0.contains(" ok") }, "\(screen)")
    }

    @Test func hostileNamesStayText() {
        var lines = LedgerLines()
        lines.add(Self.line("outbound|80||evil\u{1b}[2J\u{202e}.svc", authority: "x", origin: "a.log"))
        var model = ScreenFixture.model()
        model.ledgerLines = lines
        let grid = Screen.render(model, { var s = UIState(); s.detail = .ledger; return s }(), width: 150, height: 30).grid
        let text = grid.lines.joined()
        #expect(!text.contains("\u{1b}") && !text.contains("\u{202e}"))
        #expect(text.contains("evil"))
    }
}
