import Collectors
import Foundation

/// `meshtop report`: one or two recorded runs as one self-contained HTML page. No scripts,
/// fonts, styles or images from anywhere (the Content-Security-Policy forbids them): the
/// charts are inline SVG, the styles one inline sheet. With two runs, the comparison comes
/// first (`RunDiff`), then each run.
///
/// Every string that came from a recording goes through `HTMLText.escape`; numbers are
/// formatted here.
struct ReportPage {
    let runs: [RecordedRun]
    let diff: RunDiff?
    /// Edges drawn in the rate and error charts, and edges given a latency chart.
    static let chartedEdges = 8
    static let latencyCharts = 4
    /// Rows of the edge table and of the comparison.
    static let maxTableRows = 60

    static let policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    func html() -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(Self.policy)">
            <meta name="referrer" content="no-referrer">
            <title>meshtop report — \(HTMLText.escape(runs.map { Self.fileName($0.path) }.joined(separator: " vs ")))</title>
            <style>\(Self.style)</style></head><body>
            <h1>meshtop report</h1>

            """
        if let diff { out += comparison(diff) }
        for (index, run) in runs.enumerated() {
            out += section(run, label: runs.count > 1 ? (index == 0 ? "A" : "B") : nil)
        }
        return out + "<footer>written by meshtop \(HTMLText.escape(MeshTop.version)) from the recording; no scripts</footer></body></html>\n"
    }

    static func fileName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    private static func time(_ milliseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000))
    }

    // MARK: one run

    private func section(_ run: RecordedRun, label: String?) -> String {
        let figures = run.figures
        let id = label.map { "run-\($0.lowercased())" } ?? "run"
        var out = "<section class=\"run\" id=\"\(id)\"><h2>\(label.map { "Run \($0): " } ?? "")\(HTMLText.escape(Self.fileName(run.path)))</h2>"
        out += "<p class=\"meta\">from \(Self.time(figures.started)) · \(Format.decimal(figures.seconds, places: 1)) s · "
            + "\(figures.polls) polls · \(Format.count(figures.hops.requests)) requests paired in the logs</p>"
        out += edgeTable(figures)
        let series = Array(run.timeline.series.prefix(Self.chartedEdges))
        let start = Double(run.timeline.started)
        func x(_ point: RunTimeline.Point) -> Double { (Double(point.time) - start) / 1_000 }
        let hidden = run.timeline.series.count - series.count + run.timeline.droppedEdges
        out += "<h3>Rate and errors per edge</h3>"
        if hidden > 0 { out += "<p class=\"note\">the \(series.count) busiest edges are drawn; \(hidden) more are not</p>" }
        out += SVGChart(
            id: "\(id)-rate", title: "requests per second",
            series: series.map { .init(name: RunDiff.name($0.key), points: $0.points.map { (x($0), $0.rps) }) }, yLabel: SVGChart.axisRate
        ).html()
        out += SVGChart(
            id: "\(id)-errors", title: "failed requests per second (5xx, gRPC failures)",
            series: series.map { .init(name: RunDiff.name($0.key), points: $0.points.map { (x($0), $0.failed) }) }, yLabel: SVGChart.axisRate
        ).html()
        out += "<h3>Latency per edge</h3>"
        for (index, edge) in series.prefix(Self.latencyCharts).enumerated() {
            out += SVGChart(
                id: "\(id)-latency-\(index + 1)", title: RunDiff.name(edge.key),
                series: [
                    .init(name: "P50", points: edge.points.map { (x($0), $0.p50) }),
                    .init(name: "P90", points: edge.points.map { (x($0), $0.p90) }),
                    .init(name: "P99", points: edge.points.map { (x($0), $0.p99) }),
                ], yLabel: Format.milliseconds
            ).html()
        }
        if series.isEmpty { out += "<p class=\"empty\">no edge had traffic in the recorded polls</p>" }
        out += load(run, id: id)
        out += "<h3>Per hop, from the proxies' log lines</h3>" + HopWaterfall(table: figures.hops).html()
        out += ledger(run.ledger)
        out += slowest(run.slowest)
        return out + "</section>\n"
    }

    private func edgeTable(_ figures: RunFigures) -> String {
        let edges = figures.edges.sorted { $0.requests > $1.requests }
        guard !edges.isEmpty else { return "" }
        var out = "<table class=\"edges\"><thead><tr><th>edge</th><th>requests</th><th>req/s</th><th>errors</th><th>P50</th><th>P99</th></tr></thead><tbody>"
        for edge in edges.prefix(Self.maxTableRows) {
            out += "<tr data-edge=\"\(HTMLText.escape(RunDiff.name(edge.key)))\"><td class=\"name\">\(HTMLText.escape(RunDiff.name(edge.key)))</td>"
                + "<td>\(Format.count(Int(edge.requests.rounded())))</td><td>\(Format.rate(edge.rps))</td>"
                + "<td>\(Format.percent(edge.errorShare))</td><td>\(Format.milliseconds(edge.p50))</td><td>\(Format.milliseconds(edge.p99))</td></tr>"
        }
        out += "</tbody></table>"
        if edges.count > Self.maxTableRows { out += "<p class=\"note\">\(edges.count - Self.maxTableRows) more edges</p>" }
        return out
    }

    /// The load's own view (recorded by the dashboard's --load): its rate and latency over
    /// time, and a ramp's steps with the knee.
    private func load(_ run: RecordedRun, id: String) -> String {
        guard let last = run.load.last?.status else { return "" }
        let start = Double(run.timeline.started)
        func x(_ time: Int64) -> Double { (Double(time) - start) / 1_000 }
        var out = "<h3>The load, as it measured itself</h3><p class=\"meta\">\(HTMLText.escape(last.target)) · "
            + "\(Format.count(last.requests)) requests · \(Format.count(last.errors)) failed</p>"
        out += SVGChart(
            id: "\(id)-load-rate", title: "the load's rate (req/s)",
            series: [
                .init(name: "achieved", points: run.load.map { (x($0.time), $0.status.achievedRate) }),
                .init(name: "target", points: run.load.map { (x($0.time), $0.status.targetRate) }),
            ], yLabel: SVGChart.axisRate
        ).html()
        out += SVGChart(
            id: "\(id)-load-latency", title: "the load's latency",
            series: [
                .init(name: "P50", points: run.load.map { (x($0.time), $0.status.p50) }),
                .init(name: "P99", points: run.load.map { (x($0.time), $0.status.p99) }),
            ], yLabel: Format.milliseconds
        ).html()
        guard let ramp = run.ramp, !ramp.finished.isEmpty else { return out }
        out += "<h3>Ramp steps</h3>"
        if let slo = ramp.slo { out += "<p class=\"meta\">SLO \(HTMLText.escape(slo))</p>" }
        let knee = ramp.knee
        out += "<table class=\"ramp\"><thead><tr><th>step</th><th>target req/s</th><th>req/s</th><th>errors</th><th>P50</th><th>P99</th><th>SLO</th></tr></thead><tbody>"
        for (index, step) in ramp.finished.enumerated() {
            let verdict = step.held.map { $0 ? "held" : "broke" } ?? "-"
            out += "<tr\(knee == index + 1 ? " class=\"knee\"" : "")><td>\(index + 1)</td><td>\(Format.rate(step.target))</td>"
                + "<td>\(Format.rate(step.rate))</td><td>\(Format.percent(step.errors))</td><td>\(Format.milliseconds(step.p50))</td>"
                + "<td>\(Format.milliseconds(step.p99))</td><td>\(verdict)\(knee == index + 1 ? " (knee)" : "")</td></tr>"
        }
        out += "</tbody></table>"
        let kneeMarker = knee.map { [SVGChart.Marker(x: ramp.finished[$0 - 1].target, label: "knee")] } ?? []
        out += SVGChart(
            id: "\(id)-ramp", title: "each step's P99 by its target rate",
            series: [.init(name: "P99", points: ramp.finished.map { ($0.target, $0.p99) }),
                     .init(name: "P50", points: ramp.finished.map { ($0.target, $0.p50) })],
            yLabel: Format.milliseconds, xLabel: { Format.rate($0) + "/s" }, markers: kneeMarker
        ).html()
        out += knee.map { "<p class=\"knee\">Knee: step \($0) at \(Format.rate(ramp.finished[$0 - 1].target)) req/s, the first step that broke the SLO</p>" }
            ?? "<p>No step broke the SLO.</p>"
        return out
    }

    private func ledger(_ ledger: TelemetryLedger?) -> String {
        guard let ledger else { return "" }
        let text = LedgerText(ledger: ledger)
        let title = text.title.hasPrefix("TELEMETRY LEDGER") ? "Telemetry ledger" + text.title.dropFirst("TELEMETRY LEDGER".count) : text.title
        var out = "<h3>\(HTMLText.escape(title))</h3>"
        guard !ledger.rows.isEmpty else { return out + "<p class=\"empty\">nothing counted</p>" }
        out += "<table class=\"ledger\"><thead><tr>" + LedgerText.header.map { "<th>\($0.lowercased())</th>" }.joined() + "</tr></thead><tbody>"
        for (row, cells) in zip(ledger.rows, text.rows) {
            out += "<tr data-hop=\"\(HTMLText.escape(row.hop))\">" + cells.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>"
        }
        out += "</tbody></table>"
        let causes = text.causes
        if !causes.isEmpty { out += "<ul class=\"causes\">" + causes.map { "<li>\(HTMLText.escape($0))</li>" }.joined() + "</ul>" }
        return out
    }

    private func slowest(_ slowest: SlowestRequests) -> String {
        guard !slowest.requests.isEmpty else { return "" }
        var out = "<h3>The slowest requests</h3><table class=\"slowest\"><thead><tr><th>start</th><th>method</th><th>path</th>"
            + "<th>code</th><th>flags</th><th>duration</th><th>hops</th><th>x-request-id</th></tr></thead><tbody>"
        for request in slowest.requests {
            let line = request.first
            out += "<tr><td>\(HTMLText.escape(line.startTime ?? "-"))</td><td>\(HTMLText.escape(line.method ?? "-"))</td>"
                + "<td class=\"name\">\(HTMLText.escape(line.path ?? "-"))</td><td>\(line.responseCode.map(String.init) ?? "-")</td>"
                + "<td>\(HTMLText.escape(line.responseFlags ?? "-"))</td><td>\(Format.milliseconds(request.duration))</td>"
                + "<td>\(request.hops)</td><td>\(HTMLText.escape(request.requestID))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    // MARK: two runs

    private func comparison(_ diff: RunDiff) -> String {
        var out = "<section class=\"comparison\" id=\"comparison\"><h2>A → B</h2>"
        out += "<p class=\"meta\">A \(HTMLText.escape(Self.fileName(runs[0].path))) · B \(HTMLText.escape(Self.fileName(runs[1].path)))</p>"
        let crossed = diff.rows.contains { !$0.crossings.isEmpty }
        if diff.limits.p99Increase != nil || diff.limits.errorIncrease != nil {
            out += crossed ? "<p class=\"crossed\">past the limits</p>" : "<p class=\"held\">no change past the limits</p>"
        }
        out += "<table class=\"diff\"><thead><tr><th>kind</th><th>name</th><th>requests A / B</th><th>req/s A → B</th>"
            + "<th>errors A → B</th><th>P50 A → B</th><th>P99 A → B</th><th>proxies P99 A → B</th></tr></thead><tbody>"
        for row in diff.rows.prefix(Self.maxTableRows) {
            let marks = Set(row.crossings.map(\.figure))
            func pair(_ a: Double?, _ b: Double?, _ format: (Double) -> String) -> String {
                (a.map(format) ?? "-") + " → " + (b.map(format) ?? "-")
            }
            out += "<tr data-kind=\"\(row.kind.rawValue)\" data-name=\"\(HTMLText.escape(row.name))\"><td>\(row.kind.rawValue)</td>"
                + "<td class=\"name\" style=\"padding-left:\(6 + 14 * min(row.depth, 8))px\">\(HTMLText.escape(row.name))</td>"
                + "<td>\(DiffReport.count(row.a?.requests)) / \(DiffReport.count(row.b?.requests))</td>"
                + "<td>\(pair(row.a?.rate, row.b?.rate, Format.rate))</td>"
                + "<td\(marks.contains(.errors) ? " class=\"crossed\"" : "")>\(pair(row.a?.errorShare, row.b?.errorShare, { Format.percent($0) }))</td>"
                + "<td>\(pair(row.a?.p50, row.b?.p50, { Format.milliseconds($0) }))</td>"
                + "<td\(marks.contains(.p99) ? " class=\"crossed\"" : "")>\(pair(row.a?.p99, row.b?.p99, { Format.milliseconds($0) }))</td>"
                + "<td>\(pair(row.a?.proxyP99, row.b?.proxyP99, { Format.milliseconds($0) }))</td></tr>"
        }
        out += "</tbody></table>"
        if diff.rows.count > Self.maxTableRows { out += "<p class=\"note\">\(diff.rows.count - Self.maxTableRows) more rows</p>" }
        return out + "</section>\n"
    }

    private static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1240px}
        h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin-top:22px}
        table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
        th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
        th{background:#f4f4f4;font-weight:600}td.name,th:first-child{text-align:left}
        td.name{max-width:380px;white-space:normal;overflow-wrap:anywhere;text-align:left;font-family:ui-monospace,monospace;font-size:12px}
        table.diff th:nth-child(2),table.waterfall th:first-child{text-align:left}table.diff,table.waterfall{font-size:13px}
        figure.chart{margin:10px 20px 18px 0;display:inline-block;vertical-align:top;width:540px}figcaption{font-weight:600;margin-bottom:2px}
        svg line.grid{stroke:#e6e6e6}svg text{font-size:10px;fill:#555}svg text.y{text-anchor:end;dominant-baseline:middle}
        svg text.x{text-anchor:middle}svg path.series{fill:none;stroke-width:1.6}svg line.marker{stroke:#d62728;stroke-dasharray:4 3}
        svg text.marker{fill:#d62728;font-weight:600}
        ul.legend{list-style:none;padding:0;margin:2px 0;font-size:12px}ul.legend li{display:inline-block;margin-right:14px}
        .swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
        .meta,.note,.empty,footer{color:#666}.crossed{color:#b00020;font-weight:600}.held{color:#1b7f2a;font-weight:600}
        tr.knee td{background:#fdecea}p.knee{font-weight:600;color:#b00020}
        """
}
