import Collectors
import Foundation
import Testing

@testable import MeshTop

/// `meshtop report`'s page, from runs built here: what is drawn, what is bounded, and that
/// text from a recording stays text.
@Suite struct ReportPageTests {
    static let hostile = "<script>alert(1)</script>\"'&\u{1b}[2J\u{202e}fdp.exe\u{200b}"

    static func edge(_ destination: String, rps: Double, p99: Double? = 12) -> EdgeStats {
        var stats = EdgeStats(
            key: EdgeKey(
                sourceWorkload: "istio-ingressgateway", sourceNamespace: "istio-system", destinationWorkload: destination,
                destinationNamespace: "default", destinationService: destination))
        stats.rps = rps
        stats.p50 = 3
        stats.p90 = 6
        stats.p99 = p99
        return stats
    }

    static func line(_ at: Int, _ duration: Int, cluster: String?, inbound: Bool, path: String) -> AccessLogRecord {
        var record = AccessLogRecord()
        record.startTime = EnvoyTimestamp.format(seconds: 1_780_000_000, milliseconds: at)
        record.duration = duration
        record.upstreamServiceTime = duration - 1
        record.upstreamCluster = cluster ?? "inbound|9080||"
        record.direction = inbound ? .inbound : .outbound
        record.method = "GET"
        record.path = path
        record.responseCode = 200
        record.requestID = "id-" + path
        return record
    }

    /// A run of `polls` one-second polls over `edges` edges, one logged hop named `hop`, and
    /// one slow request for `path`.
    static func run(edges: Int = 1, polls: Int = 10, hop: String = "outbound|9080||storage", path: String = "/storage/k") -> RecordedRun {
        var figures = RunFigures(started: 0, interval: 1)
        figures.ended = Int64(polls - 1) * 1_000
        var run = RecordedRun(path: "/tmp/run.mtr", figures: figures, timeline: RunTimeline(started: 0, ended: figures.ended, interval: 1))
        for poll in 0..<polls {
            let stats = (0..<edges).map { edge("svc-\($0)", rps: Double(10 + $0), p99: poll == 3 ? nil : 12) }
            run.figures.add(stats)
            run.timeline.add(time: Int64(poll) * 1_000, stats)
        }
        let pair = RequestPair(
            requestID: "id-" + path, client: line(0, 40, cluster: hop, inbound: false, path: path),
            server: line(1, 30, cluster: nil, inbound: true, path: path))
        run.figures.hops.add(HopTimes([pair]))
        run.slowest.add(RequestChain(requestID: "id-" + path, hops: [pair]))
        return run
    }

    @Test func aSeriesIsOnePathWhoseGapsBreakTheLine() {
        let chart = SVGChart(
            id: "c", title: "t",
            series: [
                .init(name: "a", points: [(0, 1), (1, 2), (2, nil), (3, 4), (4, 5)]), .init(name: "empty", points: [(0, nil)]),
            ], yLabel: SVGChart.axisRate
        ).html()
        #expect(chart.contains("data-series=\"1\""))
        #expect(chart.contains("data-points=\"4\""))
        let d = chart.range(of: #" d="[^"]*""#, options: .regularExpression).map { String(chart[$0]) } ?? ""
        #expect(d.filter { $0 == "M" }.count == 2 && d.filter { $0 == "L" }.count == 2, "\(d)")
        #expect(!chart.contains("empty"))
    }

    @Test func axesEndOnARoundNumberAboveTheHighestValue() {
        #expect(SVGChart.niceCeiling(0) == 1)
        #expect(SVGChart.niceCeiling(7.5) == 10)
        #expect(SVGChart.niceCeiling(21) == 50)
        #expect(SVGChart.niceCeiling(0.03) == 0.05)
        #expect(SVGChart.offset(75) == "+1:15")
    }

    @Test func textFromARecordingIsEscapedAndItsHiddenBytesShown() {
        let text = HTMLText.escape(Self.hostile)
        #expect(!text.contains("<") && !text.contains(">") && !text.contains("\""))
        #expect(text.hasPrefix("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        #expect(text.contains("\\x1b[2J") && text.contains("\\u202e") && text.contains("\\u200b"))
        #expect(!text.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x202e || $0.value == 0x200b })
        #expect(HTMLText.escape(String(repeating: "x", count: 10_000)).utf8.count < HTMLText.maxLength + 40)
    }

    @Test func aPageLoadsNothingRunsNothingAndKeepsHostileStringsAsText() {
        let page = ReportPage(runs: [Self.run(hop: "outbound|80||" + Self.hostile, path: "/x" + Self.hostile)], diff: nil).html()
        #expect(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"\(ReportPage.policy)\">"))
        #expect(!page.contains("<script") && !page.contains("<img") && !page.contains("<link") && !page.contains("<iframe"))
        #expect(!page.contains("src=") && !page.contains("href="))
        #expect(!page.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x202e || $0.value == 0x200b })
        // The waterfall's hop and the slowest request's path, as text.
        #expect(page.contains("outbound|80||&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("/x&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test func chartsDrawTheBusiestEdgesAndSayHowManyMoreThereAre() {
        let page = ReportPage(runs: [Self.run(edges: 11, polls: 10)], diff: nil).html()
        #expect(page.contains("data-chart=\"run-rate\" data-series=\"\(ReportPage.chartedEdges)\""))
        #expect(page.contains("3 more are not"))
        #expect(page.components(separatedBy: "data-chart=\"run-latency-").count - 1 == ReportPage.latencyCharts)
        // Ten polls: ten points of rate; the P99 missing from one poll leaves nine.
        #expect(page.components(separatedBy: "data-points=\"10\"").count - 1 >= 2 * ReportPage.chartedEdges)
        #expect(page.contains("data-series=\"P99\" data-points=\"9\""))
        // The busiest edge leads the table.
        let busiest = page.range(of: "default/svc-10")!.lowerBound
        #expect(busiest < page.range(of: "default/svc-0")!.lowerBound)
    }

    @Test func twoRunsArePrecededByTheirComparison() {
        let a = Self.run()
        var b = Self.run()
        b.figures = RunFigures(started: 0, interval: 1)
        b.figures.add([Self.edge("svc-0", rps: 10, p99: 40)])
        let limits = RunDiff.Limits(p99Increase: 0.1, minRequests: 0)
        let page = ReportPage(runs: [a, b], diff: RunDiff(a: a.figures, b: b.figures, limits: limits)).html()
        #expect(page.contains("id=\"comparison\"") && page.contains("id=\"run-a\"") && page.contains("id=\"run-b\""))
        #expect(page.range(of: "id=\"comparison\"")!.lowerBound < page.range(of: "id=\"run-a\"")!.lowerBound)
        #expect(page.contains("past the limits"))
        #expect(page.contains("<td class=\"crossed\">12 ms → 40 ms</td>"))
    }

    @Test func aRampsStepsShowTheKnee() {
        var run = Self.run()
        var status = LoadStatus(target: "http://gw/storage/k", targetRate: 30, achievedRate: 30, requests: 300, errors: 0, p50: 4, p99: 90, elapsed: 15)
        status.ramp = RampStatus(
            current: 3, total: 3, target: 30,
            finished: [
                .init(target: 10, rate: 10, p50: 3, p99: 9, errors: 0, held: true),
                .init(target: 20, rate: 20, p50: 3, p99: 11, errors: 0, held: true),
                .init(target: 30, rate: 30, p50: 4, p99: 90, errors: 0, held: false),
            ], slo: "p99<50ms")
        run.addLoad(status, at: 5_000)
        let page = ReportPage(runs: [run], diff: nil).html()
        #expect(page.contains("<tr class=\"knee\"><td>3</td><td>30.0</td>"))
        #expect(page.contains("Knee: step 3 at 30.0 req/s"))
        #expect(page.contains("<line class=\"marker\""))
        #expect(page.contains("data-chart=\"run-load-rate\" data-series=\"2\""))
    }
}
