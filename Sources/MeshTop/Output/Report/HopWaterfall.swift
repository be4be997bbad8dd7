import Collectors

/// The per-hop waterfall of a run: one row a hop (indented by depth), its figures, and two
/// bars, at P50 and at P99, each laid out as a request's time runs: the calling proxy, the
/// wire, the called proxy, the app (or the store), then the calls made while serving it,
/// which start where their parent's app time ends.
///
/// A schematic: percentiles of parts do not add up to the request's percentile, so the bars
/// show where time goes, not one request's timeline.
struct HopWaterfall {
    let table: HopTable

    /// Rows past this many are counted, not drawn.
    static let maxRows = 40
    static let barWidth = 300.0
    static let parts = [("client proxy", "#ff7f0e"), ("network", "#7f7f7f"), ("server proxy", "#9467bd"), ("app / store", "#1f77b4")]

    private struct Placed {
        var row: HopTable.Row
        /// Where each percentile's bar starts, and its parts, in milliseconds.
        var start: [Double]
        var parts: [[Double]]
    }

    private static func parts(_ row: HopTable.Row, _ percentile: KeyPath<HopTable.Percentiles, UInt64>) -> [Double] {
        [row.clientProxy, row.network, row.serverProxy, row.upstream].map { $0.map { Double($0[keyPath: percentile]) } ?? 0 }
    }

    private func placed() -> [Placed] {
        var out: [Placed] = []
        // The end of the latest row of each depth's app time: where its nested calls start.
        var nested: [Int: [Double]] = [:]
        for row in table.rows.prefix(Self.maxRows) {
            let parts = [Self.parts(row, \.p50), Self.parts(row, \.p99)]
            let start = row.depth == 0 ? [0, 0] : nested[row.depth - 1] ?? [0, 0]
            out.append(Placed(row: row, start: start, parts: parts))
            nested[row.depth] = (0..<2).map { start[$0] + parts[$0].reduce(0, +) }
        }
        return out
    }

    func html() -> String {
        let rows = placed()
        guard !rows.isEmpty else { return "<p class=\"empty\">no paired hops in the recording's log lines</p>" }
        let longest = rows.map { max($0.start[0] + $0.parts[0].reduce(0, +), $0.start[1] + $0.parts[1].reduce(0, +)) }.max() ?? 0
        let scale = Self.barWidth / max(longest, 1)
        var out = "<table class=\"waterfall\" data-rows=\"\(rows.count)\"><thead><tr><th>hop</th><th>requests</th><th>errors</th>"
            + "<th>own P50</th><th>own P99</th><th>proxies P99</th><th>share of P99</th>"
            + "<th>P50 / P99, 0 – \(HTMLText.escape(Format.milliseconds(longest)))</th></tr></thead><tbody>"
        for placed in rows {
            let row = placed.row
            out += "<tr data-hop=\"\(HTMLText.escape(row.name))\"><td class=\"name\" style=\"padding-left:\(6 + 14 * min(row.depth, 8))px\">"
                + HTMLText.escape(row.name) + "</td>"
            out += "<td>\(Format.count(row.requests))</td><td>\(Format.count(row.errors))</td>"
            out += "<td>\(Format.milliseconds(row.own.map { Int($0.p50) }))</td><td>\(Format.milliseconds(row.own.map { Int($0.p99) }))</td>"
            out += "<td>\(Format.milliseconds(row.proxy.map { Int($0.p99) }))</td><td>\(Format.percent(row.shareOfP99))</td>"
            out += "<td><svg width=\"\(Int(Self.barWidth) + 2)\" height=\"18\">"
            for (line, y) in [(0, 1), (1, 10)] {
                var x = placed.start[line] * scale
                for (index, part) in placed.parts[line].enumerated() where part > 0 {
                    let width = max(part * scale, 0.5)
                    let (name, color) = Self.parts[index]
                    out += "<rect x=\"\(Format.decimal(x, places: 1))\" y=\"\(y)\" width=\"\(Format.decimal(width, places: 1))\" "
                        + "height=\"\(line == 0 ? 8 : 6)\" fill=\"\(color)\" opacity=\"\(line == 0 ? "1" : "0.55")\">"
                        + "<title>\(line == 0 ? "P50" : "P99") \(name): \(Format.milliseconds(part))</title></rect>"
                    x += width
                }
            }
            out += "</svg></td></tr>"
        }
        out += "</tbody></table><ul class=\"legend\">"
        for (name, color) in Self.parts { out += "<li><span class=\"swatch\" style=\"background:\(color)\"></span>\(name)</li>" }
        out += "<li>upper bar P50, lower bar P99</li></ul>"
        let hidden = table.rows.count - rows.count + table.droppedHops
        if hidden > 0 { out += "<p class=\"note\">\(hidden) more hops not drawn</p>" }
        return out
    }
}
