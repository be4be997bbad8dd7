import Collectors
import Foundation
import TestSupport
import Testing

@testable import MeshTop

/// `meshtop --load URL --ramp …`: the dashboard's load thread runs the ramp's steps against
/// a real storage-service, and the Load panel draws them.
@Suite(.serialized, .enabled(if: EtcdServer.shouldRun, "etcd is not installed"))
struct LoadMonitorRampTests {
    /// The load's statuses until the ramp is done, as the dashboard's queue hands them over.
    static func statuses(_ url: String, ramp: String, slo: String) async throws -> [LoadStatus] {
        let events = EventQueue()
        let monitor = LoadMonitor(plan: LoadPlan(url: url), events: events)
        try monitor.start(postsLines: true, ramp: try LoadRamp(ramp), slo: try LoadSLO(slo))
        defer { monitor.stop() }
        // The queue's wait blocks: off the pool the tests share.
        return await OffPool.run {
            var seen: [LoadStatus] = []
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if case .load(let status) = events.next(tickAt: Date().addingTimeInterval(1)) {
                    seen.append(status)
                    if status.done { break }
                }
            }
            return seen
        }
    }

    @Test func stepsRunInTurnAndThePanelDrawsThem() async throws {
        let etcd = try await EtcdServer()
        defer { etcd.stop() }
        let service = try await ServiceProcess(etcd: etcd.clientURL)
        defer { service.stop() }

        let held = try await Self.statuses(service.url + "/", ramp: "5:15:5:1s", slo: "errors<50%")
        let last = try #require(held.last)
        #expect(last.done)
        let ramp = try #require(last.ramp)
        #expect(ramp.finished.map(\.target) == [5, 10, 15])
        #expect(ramp.finished.allSatisfy { $0.held == true } && ramp.knee == nil)
        // The requests add up over the steps (about 5 + 10 + 15), for the ledger's count.
        #expect((24...36).contains(last.requests), "\(last.requests) requests")
        #expect(held.contains { $0.ramp?.current == 2 && !$0.done }, "a status while the second step ran")
        var model = ScreenFixture.model()
        model.load = last
        let panel = LoadPanel.content(model, width: 120)
        let text = panel.lines.map { $0.map(\.text).joined() }.joined(separator: "\n")
        #expect(text.contains("5.0 ✓ p99") && text.contains("15.0 ✓ p99"), "\(text)")
        #expect(panel.title.map(\.text).joined().contains("ramp done  SLO errors<50%"))

        // An SLO no step can hold: the ramp stops at its first step, the knee.
        let broke = try await Self.statuses(service.url + "/", ramp: "5:15:5:1s", slo: "rate>100%")
        let knee = try #require(broke.last?.ramp)
        #expect(knee.finished.count == 1 && knee.knee == 1)
        model.load = broke.last
        let line = LoadPanel.content(model, width: 120).lines.last.map { $0.map(\.text).joined() } ?? ""
        #expect(line.contains("5.0 ✗ p99") && line.contains("knee"), "\(line)")
    }

    @Test func theStepsLineKeepsTheLatestStepsThatFit() {
        var ramp = RampStatus(current: 40, total: 40, target: 400)
        for step in 1...39 { ramp.finished.append(.init(target: Double(step * 10), rate: Double(step * 10), p99: 5, errors: 0, held: true)) }
        let line = LoadPanel.steps(ramp, width: 60).map(\.text).joined()
        #expect(line.count <= 60, "\(line)")
        #expect(line.hasSuffix("390.0 ✓ p99 5 ms") && !line.contains(" 10.0 ✓"), "\(line)")
    }
}
