import Collectors

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
        guard let ramp = load.ramp else { return PanelContent(title: title, lines: [line], wanted: 1, minimum: 1) }
        let running = load.done ? "ramp done" : "ramp step \(ramp.current)/\(ramp.total)"
        let rampTitle = title + [Segment("  " + running + (ramp.slo.map { "  SLO " + ControlBytes.sanitize($0) } ?? ""), .dimmed)]
        return PanelContent(title: rampTitle, lines: [line, steps(ramp, width: width)], wanted: 2, minimum: 1)
    }

    /// One cell a finished step, `20 ✓ p99 6 ms`, the knee marked; the latest steps when they
    /// do not all fit.
    static func steps(_ ramp: RampStatus, width: Int) -> Line {
        var cells: [Segment] = []
        for (index, step) in ramp.finished.enumerated() {
            let mark = step.held.map { $0 ? " ✓" : " ✗" } ?? ""
            let knee = ramp.knee == index + 1 ? " knee" : ""
            let style: Style = step.held == false ? .bad : step.errors > 0 ? .warn : .plain
            cells.append(Segment("\(Format.rate(step.target))\(mark) p99 \(Format.milliseconds(step.p99))\(knee)", style))
        }
        guard !cells.isEmpty else { return [Segment("steps: the first is running", .dimmed)] }
        var line: Line = []
        var used = 0
        for cell in cells.reversed() {
            let cost = cell.text.count + 3
            if used + cost > width - 2, !line.isEmpty { break }
            line.insert(cell, at: 0)
            line.insert(Segment(" · ", .dimmed), at: 0)
            used += cost
        }
        line.removeFirst()
        return line
    }
}
