import Collectors

/// A line chart as inline SVG, drawn without scripts: a report's rate, errors and latency
/// over time. Each series is one `<path>` (a missing value breaks the line) with its name
/// as a native tooltip; the legend is HTML beside the drawing, so long names wrap instead of
/// running off it. The markup carries `data-series` and `data-points` for a reader (or a
/// test) to count what was drawn.
struct SVGChart {
    struct Series {
        var name: String
        /// x in the chart's unit (seconds from the run's start, req/s of a ramp step);
        /// y nil where the series has no value.
        var points: [(x: Double, y: Double?)]
    }

    /// A vertical line at x with a label: the knee of a ramp.
    struct Marker {
        var x: Double
        var label: String
    }

    var id: String
    var title: String
    var series: [Series]
    /// How the axes' ticks read.
    var yLabel: (Double) -> String
    var xLabel: (Double) -> String = SVGChart.offset
    var markers: [Marker] = []
    var width = 540
    var height = 200

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    private static let left = 64.0
    private static let right = 12.0
    private static let top = 12.0
    private static let bottom = 26.0

    /// A rate on an axis: two decimals below 1 (0.25 req/s of errors), else `Format.rate`.
    static func axisRate(_ value: Double) -> String {
        value > 0 && value < 1 ? Format.decimal(value, places: 2) : Format.rate(value)
    }

    /// `+m:ss` from the run's start.
    static func offset(_ seconds: Double) -> String {
        let whole = max(0, Int(seconds.rounded()))
        let tail = whole % 60 < 10 ? "0\(whole % 60)" : "\(whole % 60)"
        return "+\(whole / 60):\(tail)"
    }

    /// 1, 2 or 5 times a power of ten, at or above `value`: an axis's top.
    static func niceCeiling(_ value: Double) -> Double {
        guard value.isFinite, value > 0 else { return 1 }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        while power > value { power /= 10 }
        for step in [1.0, 2, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }

    func html() -> String {
        let drawn = series.filter { $0.points.contains { $0.y != nil } }
        var out = "<figure class=\"chart\" data-chart=\"\(HTMLText.escape(id))\" data-series=\"\(drawn.count)\">"
        out += "<figcaption>\(HTMLText.escape(title))</figcaption>"
        guard !drawn.isEmpty else { return out + "<p class=\"empty\">no data in the recording</p></figure>" }
        let xs = drawn.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = drawn.flatMap { $0.points.compactMap(\.y) }.filter(\.isFinite)
        let minX = xs.min() ?? 0
        let spanX = max((xs.max() ?? 0) - minX, 1e-9)
        // Headroom above the highest value: a flat line at the top reads as clipped.
        let maxY = Self.niceCeiling((ys.max() ?? 0) * 1.1)
        let plotWidth = Double(width) - Self.left - Self.right
        let plotHeight = Double(height) - Self.top - Self.bottom
        func px(_ x: Double) -> String { Format.decimal(Self.left + (x - minX) / spanX * plotWidth, places: 1) }
        func py(_ y: Double) -> String { Format.decimal(Self.top + plotHeight - min(max(y, 0), maxY) / maxY * plotHeight, places: 1) }

        out += "<svg viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        for tick in 0...4 {
            let y = maxY * Double(tick) / 4
            out += "<line class=\"grid\" x1=\"\(Int(Self.left))\" x2=\"\(width - Int(Self.right))\" y1=\"\(py(y))\" y2=\"\(py(y))\"/>"
            out += "<text class=\"y\" x=\"\(Int(Self.left) - 6)\" y=\"\(py(y))\">\(HTMLText.escape(yLabel(y)))</text>"
        }
        for tick in 0...4 {
            let x = minX + spanX * Double(tick) / 4
            // The first and last ticks keep inside the drawing.
            let anchor = tick == 0 ? " style=\"text-anchor:start\"" : tick == 4 ? " style=\"text-anchor:end\"" : ""
            out += "<text class=\"x\" x=\"\(px(x))\" y=\"\(height - 6)\"\(anchor)>\(HTMLText.escape(xLabel(x)))</text>"
        }
        for marker in markers {
            out += "<line class=\"marker\" x1=\"\(px(marker.x))\" x2=\"\(px(marker.x))\" y1=\"\(Int(Self.top))\" y2=\"\(Int(Self.top + plotHeight))\"/>"
            // Right of the line, or left of it in the drawing's right half.
            let anchor = marker.x - minX > spanX / 2 ? "end" : "start"
            let labelX = Self.left + (marker.x - minX) / spanX * plotWidth + (anchor == "end" ? -4 : 4)
            out += "<text class=\"marker\" x=\"\(Format.decimal(labelX, places: 1))\" y=\"\(Int(Self.top) + 10)\" "
                + "style=\"text-anchor:\(anchor)\">\(HTMLText.escape(marker.label))</text>"
        }
        for (index, one) in drawn.enumerated() {
            var path = ""
            var points = 0
            var pen = false
            for point in one.points {
                guard let y = point.y, y.isFinite else {
                    pen = false
                    continue
                }
                path += (pen ? "L" : "M") + px(point.x) + " " + py(y) + " "
                pen = true
                points += 1
            }
            let color = Self.palette[index % Self.palette.count]
            out += "<path class=\"series\" data-series=\"\(HTMLText.escape(one.name))\" data-points=\"\(points)\" "
                + "stroke=\"\(color)\" d=\"\(path)\"><title>\(HTMLText.escape(one.name))</title></path>"
            // A lone point draws no line: a dot shows it.
            if points == 1, let only = one.points.first(where: { $0.y != nil }), let y = only.y {
                out += "<circle cx=\"\(px(only.x))\" cy=\"\(py(y))\" r=\"2.5\" fill=\"\(color)\"/>"
            }
        }
        out += "</svg><ul class=\"legend\">"
        for (index, one) in drawn.enumerated() {
            let last = one.points.last { $0.y != nil }?.y
            out += "<li><span class=\"swatch\" style=\"background:\(Self.palette[index % Self.palette.count])\"></span>"
                + HTMLText.escape(one.name) + (last.map { " <span class=\"last\">(last \(HTMLText.escape(yLabel($0))))</span>" } ?? "")
                + "</li>"
        }
        return out + "</ul></figure>"
    }
}
