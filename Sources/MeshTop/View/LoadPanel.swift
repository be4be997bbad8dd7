/// The Load panel, while `--load` runs in the dashboard: target and achieved rate,
/// percentiles, errors, elapsed and remaining time.
enum LoadPanel {
    static func content(_ model: ScreenModel, width: Int) -> PanelContent {
        let title: Line = [Segment("Load", .heading)]
        guard let load = model.load else {
            return PanelContent(title: title, lines: [], empty: [Segment("no load running", .dimmed)], wanted: 1, minimum: 1)
        }
        var line: Line = [Segment(load.target + "  ", .dimmed)]
        let target = load.targetRate.map { " / \(Format.rate($0)) target" } ?? " (as fast as it goes)"
        line.append(Segment("\(Format.rate(load.achievedRate)) req/s" + target))
        line.append(Segment("  \(Format.count(load.requests)) sent"))
        line.append(Segment("  \(Format.count(load.errors)) errors", load.errors > 0 ? .warn : .dimmed))
        line.append(Segment("  p50 " + Format.milliseconds(load.p50) + "  p99 " + Format.milliseconds(load.p99)))
        var time = "  \(Int(load.elapsed)) s elapsed"
        if let remaining = load.remaining { time += ", \(Int(remaining)) s left" }
        line.append(Segment(time, .dimmed))
        return PanelContent(title: title, lines: [line], wanted: 1, minimum: 1)
    }
}
