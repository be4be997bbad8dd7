import Collectors
import Testing

/// A run's polls over time, bounded in points and edges (`meshtop report`'s charts).
@Suite struct RunTimelineTests {
    static func stats(_ destination: String, rps: Double, failed: Double = 0, p99: Double? = nil) -> EdgeStats {
        var stats = EdgeStats(
            key: EdgeKey(
                sourceWorkload: "gateway", sourceNamespace: "istio-system", destinationWorkload: destination,
                destinationNamespace: "default", destinationService: destination))
        stats.rps = rps
        stats.failed = failed
        stats.p99 = p99
        return stats
    }

    @Test func aShortRunKeepsEachPollAsAPoint() {
        var timeline = RunTimeline(started: 0, ended: 9_000, interval: 1)
        for second in 0..<10 {
            timeline.add(time: Int64(second) * 1_000, [Self.stats("a", rps: Double(second + 1), p99: Double(10 * second))])
        }
        let series = timeline.series
        #expect(series.count == 1)
        #expect(series[0].points.map(\.rps) == (1...10).map(Double.init))
        #expect(series[0].points.map(\.p99) == (0..<10).map { Double(10 * $0) })
        #expect(series[0].requests == 55)
    }

    @Test func aLongRunIsCutIntoBoundedBucketsOfMeans() {
        var timeline = RunTimeline(started: 0, ended: 3_599_000, interval: 1, maxPoints: 240)
        for second in 0..<3_600 { timeline.add(time: Int64(second) * 1_000, [Self.stats("a", rps: second < 1_800 ? 10 : 30)]) }
        let points = timeline.series[0].points
        #expect(points.count == 240)
        // 15 polls a bucket: the first half at 10 req/s, the second at 30.
        #expect(points.first?.rps == 10 && points.last?.rps == 30)
        #expect(points.allSatisfy { $0.rps == 10 || $0.rps == 30 })
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.time < $1.time })
    }

    @Test func anEdgeThatGoesQuietDropsToZeroAndAMissingPercentileIsAGap() {
        var timeline = RunTimeline(started: 0, ended: 4_000, interval: 1)
        timeline.add(time: 0, [Self.stats("b", rps: 2)])
        timeline.add(time: 1_000, [Self.stats("a", rps: 4, failed: 1, p99: 7), Self.stats("b", rps: 2)])
        timeline.add(time: 2_000, [Self.stats("b", rps: 2)])
        timeline.add(time: 3_000, [Self.stats("a", rps: 4, p99: 9), Self.stats("b", rps: 2)])
        let series = timeline.series
        // The busier edge first; each from its first poll with traffic.
        #expect(series.map(\.key.destinationWorkload) == ["a", "b"])
        #expect(series[0].points.map(\.rps) == [4, 0, 4])
        #expect(series[0].points.map(\.failed) == [1, 0, 0])
        #expect(series[0].points.map(\.p99) == [7, nil, 9])
        #expect(series[1].points.count == 4)
    }

    @Test func edgesPastTheBoundAreCountedNotKept() {
        var timeline = RunTimeline(started: 0, ended: 0, interval: 1)
        timeline.add(time: 0, (0..<(RunTimeline.maxEdges + 5)).map { Self.stats("e\($0)", rps: 1) })
        #expect(timeline.series.count == RunTimeline.maxEdges)
        #expect(timeline.droppedEdges == 5)
    }
}
