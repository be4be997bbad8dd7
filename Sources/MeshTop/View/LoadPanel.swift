/// The Load panel, while `--load` runs in the dashboard: target and achieved rate,
/// percentiles, errors, elapsed and remaining time.
enum LoadPanel {
    static func content(_ model: ScreenModel, width: Int) -> PanelContent {
        let title: Line = [Segment("Load", .heading)]
        guard let load = model.load else {
            return PanelContent(title: title, lines: [], empty: [Segment("no load running", .dimmed)], wanted: 1, minimum: 1)
        }
        let target = load.targetRate.map { " (target \(Format.rate($0)))" } ?? " (as fast as it goes)"
        var line: Line = [Segment("\(Format.rate(load.achievedRate)) req/s" + target)]
        line.append(Segment("  \(Format.count(load.requests)) sent"))
        line.append(Segment("  \(Format.count(load.errors)) errors", load.errors > 0 ? .warn : .dimmed))
        line.append(Segment("  p50 " + Format.milliseconds(load.p50) + "  p99 " + Format.milliseconds(load.p99)))
        var time = "  \(Int(load.elapsed)) s"
        if load.done {
            time += ", done"
        } else if let remaining = load.remaining {
            time += ", \(Int(remaining.rounded(.up))) s left"
        }
        line.append(Segment(time))
        // The URL last: on a narrow terminal it is what gets cut.
        line.append(Segment("  → " + load.target, .dimmed))
        return PanelContent(title: title, lines: [line], wanted: 1, minimum: 1)
    }
}
