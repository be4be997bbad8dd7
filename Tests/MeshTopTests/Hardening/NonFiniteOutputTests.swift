import Collectors
import Foundation
@testable import MeshTop
import Testing

/// Prometheus answers `NaN` and `±Inf`; JSON has no such numbers and `inf -nan%` is no
/// reading. Every output of a snapshot takes them.
@Suite struct NonFiniteOutputTests {
    private func snapshot() -> Snapshot {
        var snapshot = ScreenFixture.snapshot()
        snapshot.edges[0].rps = .infinity
        snapshot.edges[0].successRate = .nan
        snapshot.edges[0].p99 = -.infinity
        snapshot.edges[0].codes["200"] = .nan
        return snapshot
    }

    @Test func jsonSaysNullWhereANumberIsNotFinite() throws {
        let line = try JSONLine.encode(SnapshotReport(snapshot: snapshot()))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let edge = try #require((object["edges"] as? [[String: Any]])?.first)
        #expect(edge["rps"] is NSNull && edge["success_rate"] is NSNull && edge["p99_ms"] is NSNull)
        #expect((edge["codes"] as? [String: Any])?["200"] is NSNull)
        #expect(edge["p50_ms"] is Double)
    }

    @Test func textAndTheDashboardShowADash() {
        let lines = SnapshotText(snapshot: snapshot()).lines().joined(separator: "\n").lowercased()
        #expect(!lines.contains("inf") && !lines.contains("nan"))
        #expect(lines.contains("–"))
        var model = ScreenFixture.model()
        model.snapshot = snapshot()
        let screen = Screen.render(model, UIState(), width: 200, height: 50).grid.lines.joined(separator: "\n").lowercased()
        #expect(!screen.contains("inf ") && !screen.contains("nan"))
        #expect(screen.contains("–"))
    }
}
