import Collectors
import Testing

/// Two runs' figures and the regression gate between them (`meshtop diff`).
@Suite struct RunDiffTests {
    static let edge = EdgeKey(
        sourceWorkload: "istio-ingressgateway", sourceNamespace: "istio-system", destinationWorkload: "proxy-etcd-storage",
        destinationNamespace: "default", destinationService: "proxy-etcd-storage.default.svc.cluster.local")

    static func stats(rps: Double, failed: Double = 0, p50: Double? = 3, p99: Double?) -> EdgeStats {
        var stats = EdgeStats(key: edge)
        stats.rps = rps
        stats.failed = failed
        stats.p50 = p50
        stats.p99 = p99
        return stats
    }

    /// A run of `requests` two-hop requests whose gateway hop keeps `delay` ms of its own.
    static func run(requests: Int, delay: Int = 0, status: Int = 200, flags: String = "-") -> RunFigures {
        var run = RunFigures(started: 0, interval: 1)
        run.ended = 10_000
        for _ in 0..<requests {
            var client = HopTimesTests.line(0, 20 + delay, upstream: 18, cluster: HopTimesTests.gateway)
            client.responseCode = status
            client.responseFlags = flags
            let hops = [
                HopTimesTests.pair(client, HopTimesTests.line(1 + delay, 16, upstream: 15, inbound: true)),
                HopTimesTests.pair(
                    HopTimesTests.line(5 + delay, 6, upstream: 5, cluster: HopTimesTests.etcd, authority: "e"),
                    HopTimesTests.line(6 + delay, 4, upstream: 3, inbound: true, authority: "e")),
            ]
            run.hops.add(HopTimes(hops))
        }
        return run
    }

    @Test func anEdgesRunFiguresAreItsPollsMeansWeightedByRate() throws {
        var run = RunFigures(started: 0, interval: 1)
        run.add([Self.stats(rps: 10, p99: 10)])
        run.add([Self.stats(rps: 30, failed: 3, p99: 50)])
        run.add([])
        let edge = try #require(run.edges.first)
        #expect(run.polls == 3 && edge.polls == 2)
        #expect(edge.rps == 20 && edge.requests == 40)
        #expect(edge.errorShare == 3.0 / 40)
        let weighted: Double = (10.0 * 10 + 50.0 * 30) / 40
        #expect(edge.p99 == weighted)
    }

    @Test func aSlowerHopCrossesTheP99LimitAndIsNamed() throws {
        let limits = RunDiff.Limits(p99Increase: 0.1)
        let diff = RunDiff(a: Self.run(requests: 50), b: Self.run(requests: 50, delay: 100), limits: limits)
        #expect(diff.crossed)
        let crossed = diff.rows.filter { !$0.crossings.isEmpty }
        #expect(crossed.map(\.name) == [HopTimesTests.gateway] && crossed[0].kind == .hop)
        let crossing = try #require(crossed[0].crossings.first)
        #expect(crossing.figure == .p99 && crossing.change == 100 && crossing.limit == 0.1)
        // The nested etcd hop kept its own time: listed, not crossed.
        #expect(diff.rows.contains { $0.name == HopTimesTests.etcd && $0.depth == 1 && $0.crossings.isEmpty })
        // Faster is never a regression.
        #expect(!RunDiff(a: Self.run(requests: 50, delay: 100), b: Self.run(requests: 50), limits: limits).crossed)
    }

    @Test func changesBelowTheFloorOrOnTooFewRequestsAreNotJudged() {
        // 2 ms more on a 2 ms own time is +100 %, but under the 5 ms floor.
        #expect(!RunDiff(a: Self.run(requests: 50), b: Self.run(requests: 50, delay: 2), limits: .init(p99Increase: 0.1)).crossed)
        #expect(RunDiff(a: Self.run(requests: 50), b: Self.run(requests: 50, delay: 2), limits: .init(p99Increase: 0.1, p99Floor: 1)).crossed)
        // Ten requests a run: shown, not judged.
        let few = RunDiff(a: Self.run(requests: 10), b: Self.run(requests: 10, delay: 100), limits: .init(p99Increase: 0.1))
        #expect(!few.crossed && few.rows.allSatisfy { !$0.judged(few.limits) })
        // Without limits nothing is judged at all.
        #expect(!RunDiff(a: Self.run(requests: 50), b: Self.run(requests: 50, delay: 100), limits: .init()).crossed)
    }

    @Test func theErrorShareIsJudgedInPoints() throws {
        var clean = RunFigures(started: 0, interval: 1)
        var failing = RunFigures(started: 0, interval: 1)
        var barely = RunFigures(started: 0, interval: 1)
        for _ in 0..<10 {
            clean.add([Self.stats(rps: 100, p99: 9)])
            failing.add([Self.stats(rps: 100, failed: 0.5, p99: 9)])
            barely.add([Self.stats(rps: 100, failed: 0.05, p99: 9)])
        }
        let limits = RunDiff.Limits(errorIncrease: 0.001)
        let diff = RunDiff(a: clean, b: failing, limits: limits)
        let crossing = try #require(diff.rows.first?.crossings.first)
        #expect(crossing.figure == .errors && abs(crossing.change - 0.005) < 1e-12)
        #expect(!RunDiff(a: clean, b: barely, limits: limits).crossed)
    }

    @Test func aHopsErrorsCountFailuresNotDelays() throws {
        let limits = RunDiff.Limits(errorIncrease: 0.001)
        let delayed = RunDiff(a: Self.run(requests: 50), b: Self.run(requests: 50, flags: "DI"), limits: limits)
        #expect(!delayed.crossed)
        let failed = RunDiff(a: Self.run(requests: 50), b: Self.run(requests: 50, status: 503), limits: limits)
        let row = try #require(failed.rows.first { $0.name == HopTimesTests.gateway })
        #expect(row.b?.errorShare == 1 && row.crossings.map(\.figure) == [.errors])
        // The gateway kept 2 ms, the storage sidecar 1.
        let proxy: Double = 3
        #expect(row.b?.proxyP99 == proxy)
    }

    @Test func aRowInOneRunOnlyIsListedAndNotJudged() {
        var withEdge = RunFigures(started: 0, interval: 1)
        for _ in 0..<30 { withEdge.add([Self.stats(rps: 10, failed: 5, p99: 900)]) }
        let diff = RunDiff(a: RunFigures(started: 0, interval: 1), b: withEdge, limits: .init(p99Increase: 0.1, errorIncrease: 0.001))
        #expect(diff.rows.count == 1 && diff.rows[0].a == nil && diff.rows[0].b != nil && !diff.crossed)
    }

    /// The dashboard's --load records the load's own lines: its run's chains start with the
    /// load's hop, the gateway's one level down. Against a run driven from outside, the mesh's
    /// hops still meet.
    @Test func hopsMatchByTheirDepthInTheMeshWithOrWithoutTheLoadsHop() {
        let outside = Self.run(requests: 40)
        var dashboard = RunFigures(started: 0, interval: 1)
        dashboard.ended = 10_000
        for _ in 0..<40 {
            let client = HopTimesTests.line(0, 2_020, upstream: 18, cluster: HopTimesTests.gateway)
            var times = HopTimes([
                HopTimesTests.pair(client, HopTimesTests.line(1, 16, upstream: 15, inbound: true)),
                HopTimesTests.pair(
                    HopTimesTests.line(5, 6, upstream: 5, cluster: HopTimesTests.etcd, authority: "e"),
                    HopTimesTests.line(6, 4, upstream: 3, inbound: true, authority: "e")),
            ])
            let load = HopTimes.Hop(name: LedgerLines.loadHop("gw:80"), depth: 0, total: 2_022, own: 2, clientProxy: 1, network: 1, serverProxy: nil, upstream: nil)
            times.hops = [load] + times.hops.map { hop in
                var hop = hop
                hop.depth += 1
                return hop
            }
            dashboard.hops.add(times)
        }
        let diff = RunDiff(a: outside, b: dashboard, limits: .init(p99Increase: 0.1))
        let hops = diff.rows.filter { $0.kind == .hop }
        #expect(hops.map(\.name) == [HopTimesTests.gateway, HopTimesTests.etcd, LedgerLines.loadHop("gw:80")])
        #expect(hops.map(\.depth) == [1, 2, 0])
        #expect(hops[0].a != nil && hops[0].b != nil && hops[1].a != nil && hops[1].b != nil && hops[2].a == nil)
        #expect(hops[0].crossings.map(\.figure) == [.p99])
    }
}
