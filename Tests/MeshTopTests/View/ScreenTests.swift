import Collectors
import Foundation
import Testing

@testable import MeshTop

/// The whole screen from a fixed moment, compared with golden files in Fixtures/golden.
/// Re-record on purpose only: MESHTOP_RECORD_GOLDEN=1 swift test --filter ScreenTests.
@Suite struct ScreenTests {
    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/golden")

    func expectGolden(_ grid: Grid, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try Self.expectGolden(lines: grid.lines, name, sourceLocation: sourceLocation)
    }

    /// Lines against Fixtures/golden/`name`; MESHTOP_RECORD_GOLDEN=1 writes them there instead.
    static func expectGolden(lines: [String], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = goldenDirectory.appendingPathComponent(name)
        let text = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["MESHTOP_RECORD_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "\(name) differs from its golden file:\n\(text)", sourceLocation: sourceLocation)
    }

    func expectFits(_ grid: Grid, sourceLocation: SourceLocation = #_sourceLocation) {
        for line in grid.lines {
            #expect(DisplayWidth.of(line) == grid.width, "a line is not \(grid.width) columns: \(line)", sourceLocation: sourceLocation)
        }
    }

    @Test func fullScreenAt80x24() throws {
        let frame = Screen.render(ScreenFixture.model(), UIState(), width: 80, height: 24)
        expectFits(frame.grid)
        try expectGolden(frame.grid, "screen-80x24.txt")
        #expect(frame.rowCounts[.traffic] == 2)
        #expect(frame.rowCounts[.requests] == 3)
    }

    @Test func fullScreenAt200x50() throws {
        let frame = Screen.render(ScreenFixture.model(), UIState(), width: 200, height: 50)
        expectFits(frame.grid)
        try expectGolden(frame.grid, "screen-200x50.txt")
    }

    @Test func aTinyTerminalGetsOneLine() {
        let frame = Screen.render(ScreenFixture.model(), UIState(), width: 10, height: 5)
        #expect(frame.grid.lines == ["terminal t", "          ", "          ", "          ", "          "])
        let narrow = Screen.render(ScreenFixture.model(), UIState(), width: 59, height: 30)
        #expect(narrow.grid.lines[0].hasPrefix("terminal too small: 59×30, meshtop needs 60×15"))
    }

    @Test func helpOverlayListsEveryKey() throws {
        var state = UIState()
        state.help = true
        let frame = Screen.render(ScreenFixture.model(), state, width: 90, height: 24)
        expectFits(frame.grid)
        let text = frame.grid.lines.joined(separator: "\n")
        for (key, meaning) in HelpOverlay.keys {
            #expect(text.contains(key) && text.contains(meaning), "help lacks \(key)")
        }
        try expectGolden(frame.grid, "help-90x24.txt")
    }

    @Test func detailOfARequestShowsBothLinesAndEveryField() throws {
        var state = UIState()
        state.focus = .requests
        let first = Screen.render(ScreenFixture.model(), state, width: 100, height: 40)
        // The newest row is the lone 503, then the GET pair.
        state.selection[.requests] = 1
        guard case .request(let serial)? = first.items[.requests]?[1], let block = ScreenFixture.model().requests?.block(serial: serial)
        else {
            Issue.record("no request items")
            return
        }
        state.detail = .request(block)
        let frame = Screen.render(ScreenFixture.model(), state, width: 100, height: 40)
        expectFits(frame.grid)
        let text = frame.grid.lines.joined(separator: "\n")
        #expect(text.contains("GET /v2/keys/istioTest"))
        #expect(text.contains("client side (client.log)") && text.contains("server side (server.log)"))
        #expect(text.contains("raw r2 outbound") && text.contains("raw r2 inbound"))
        #expect(text.contains("response_code") && text.contains("x-request-id                r2"))
        // The longest names stay apart from their values.
        #expect(text.contains("downstream_local_address    127.0.0.1:9080"))
    }

    @Test func aRequestsDetailLinksToItsTrace() throws {
        var state = UIState()
        state.focus = .requests
        var model = ScreenModel(snapshot: ScreenFixture.snapshot(), now: ScreenFixture.now)
        var client = ScreenFixture.record("GET", "/cart", code: 200, duration: 4, id: "r9", inbound: false, authority: "cart:80", time: "30.000")
        client.extra["req(traceparent)"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let server = ScreenFixture.record("GET", "/cart", code: 200, duration: 3, id: "r9", inbound: true, authority: "cart:80", time: "30.000")
        model.requests = RequestFeed(pairing: [(client, "c"), (server, "s")])
        let block = try #require(model.requests?.block(requestID: "r9"))
        state.detail = .request(block)
        func text(_ template: String) -> String {
            model.tracing = TracingLink(template: template)
            return Screen.render(model, state, width: 120, height: 40).grid.lines.joined(separator: "\n")
        }
        #expect(text("http://jaeger:16686/trace/{trace_id}").contains("trace                       http://jaeger:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736"))
        #expect(text("http://tempo/r/{request_id}").contains("http://tempo/r/r9"))
        client.extra = [:]
        model.requests = RequestFeed(pairing: [(client, "c"), (server, "s")])
        state.detail = .request(try #require(model.requests?.block(requestID: "r9")))
        #expect(text("http://jaeger:16686/trace/{trace_id}").contains("no trace id: the log format carries no traceparent"))
    }

    @Test func staleSourcesSayWhatFailedAndHowLongAgo() {
        var model = ScreenFixture.model()
        model.snapshot.backends[.prometheus]?.ok = false
        model.snapshot.backends[.prometheus]?.error = "connection refused"
        model.now = ScreenFixture.now.addingTimeInterval(12)
        let frame = Screen.render(model, UIState(), width: 140, height: 30)
        #expect(frame.grid.lines[0].contains("prom ✗ connection refused, 12 s ago"))
        // The last good edges stay on screen, dimmed.
        let row = frame.grid.lines.firstIndex { $0.contains("default/istio-ingressgateway") }
        #expect(row != nil)
        if let row { #expect(frame.grid[3, row].style.dim) }
    }

    @Test func outsideTextCannotBreakTheLayout() {
        var model = ScreenFixture.model()
        let hostile = ScreenFixture.record(
            "GET", "/storage/\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m中文🚀", code: 200, duration: 1, id: "x", inbound: true,
            authority: "例え.example", time: "25.000")
        model.requests = RequestFeed(pairing: [(hostile, "raw")])
        model.snapshot.edges[0].key.sourceWorkload = "负载均衡-🚀"
        let frame = Screen.render(model, UIState(), width: 100, height: 30)
        expectFits(frame.grid)
        let text = frame.grid.lines.joined()
        #expect(!text.unicodeScalars.contains { ControlBytes.isControl($0) })
        #expect(text.contains(#"/storage/\x1b]0"#))
        #expect(text.contains("负载均衡-🚀"))
    }
}
