import Collectors

/// The load's progress as a recording last had it (the dashboard's --load), for `snapshot
/// --from`: one line of totals and, with --ramp, each finished step and the knee; or one
/// JSON object. The same figures the dashboard's Load panel showed at that moment.
struct RecordedLoadText {
    let load: LoadStatus

    func lines() -> [String] {
        var line = "LOAD  \(ControlBytes.sanitize(load.target, limit: 300))  \(Format.rate(load.achievedRate)) req/s"
        if let target = load.targetRate { line += " (target \(Format.rate(target)))" }
        line += "  \(Format.count(load.requests)) sent  \(Format.count(load.errors)) errors  p50 \(Format.milliseconds(load.p50))"
            + "  p99 \(Format.milliseconds(load.p99))  \(Format.decimal(load.elapsed, places: 0)) s" + (load.done ? ", done" : "")
        var lines = [line]
        guard let ramp = load.ramp else { return lines }
        lines.append("RAMP  step \(ramp.current) of \(ramp.total)" + (ramp.slo.map { "  SLO \(ControlBytes.sanitize($0, limit: 300))" } ?? ""))
        lines.append(" STEP   TARGET     RATE   ERRORS      P50      P99  SLO")
        for (index, step) in ramp.finished.enumerated() {
            let verdict = step.held.map { $0 ? "held" : "broke" } ?? "-"
            lines.append(
                [String(index + 1).leftPadded(5), Format.rate(step.target).leftPadded(8), Format.rate(step.rate).leftPadded(8),
                 Format.percent(step.errors).leftPadded(8), Format.milliseconds(step.p50).leftPadded(8),
                 Format.milliseconds(step.p99).leftPadded(8)].joined(separator: " ") + "  " + verdict)
        }
        if let knee = ramp.knee {
            lines.append("Knee: step \(knee) at \(Format.rate(ramp.finished[knee - 1].target)) req/s, the first step that broke the SLO")
        }
        return lines
    }

    /// `{target, target_rps, rps, requests, errors, p50_ms, p99_ms, elapsed_s, done, ramp}`;
    /// `ramp` null without one, else `{current, total, slo, knee_step, steps: [...]}`.
    struct Object: Encodable {
        let load: LoadStatus
        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "target": load.target, "target_rps": load.targetRate, "rps": load.achievedRate, "requests": load.requests,
                "errors": load.errors, "p50_ms": load.p50, "p99_ms": load.p99, "elapsed_s": load.elapsed, "done": load.done,
                "ramp": load.ramp.map(RampObject.init),
            ])
        }
    }

    struct RampObject: Encodable {
        let ramp: RampStatus
        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "current": ramp.current, "total": ramp.total, "slo": ramp.slo, "knee_step": ramp.knee,
                "steps": ramp.finished.enumerated().map { StepObject(number: $0.offset + 1, step: $0.element) },
            ])
        }
    }

    struct StepObject: Encodable {
        let number: Int
        let step: RampStatus.Step
        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "step": number, "target_rps": step.target, "rps": step.rate, "error_share": step.errors, "p50_ms": step.p50,
                "p99_ms": step.p99, "held": step.held,
            ])
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
