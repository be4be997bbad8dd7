import Collectors

/// What `meshtop load --ramp` measured at each step, where the SLO broke (the knee), and
/// the report: a text table or one JSON object.
struct RampReport {
    struct Step {
        var number: Int
        var target: Double
        var result: LoadResult
        /// What the step broke of the SLO, in words; empty when it held.
        var broken: [String]
    }

    let ramp: LoadRamp
    let slo: LoadSLO?
    var steps: [Step] = []
    /// Stopped by a signal before the last step.
    var interrupted = false

    /// The first step that broke the SLO.
    var knee: Step? { steps.first { !$0.broken.isEmpty } }

    /// Whether the SLO (if any) held at every step up to END.
    var heldToTarget: Bool { knee == nil && !interrupted && steps.count == ramp.rates.count }

    func text() -> [String] {
        var lines = [
            "Ramp \(Format.rate(ramp.start)) → \(Format.rate(ramp.end)) req/s, step \(Format.rate(ramp.step)), "
                + "\(Format.milliseconds(ramp.stepDuration)) each" + (slo.map { "; SLO \(ControlBytes.sanitize($0.description))" } ?? "")
        ]
        lines.append(" STEP   TARGET     RATE  REQUESTS   ERRORS      P50      P99  SLO")
        for step in steps {
            let result = step.result
            let errors = result.requests > 0 ? LoadSLO.percent(Double(result.failedCount) / Double(result.requests)) : "-"
            let verdict = slo == nil ? "-" : step.broken.isEmpty ? "held" : "broke: " + step.broken.joined(separator: ", ")
            lines.append(
                Self.cell(String(step.number), 5) + Self.cell(Format.rate(step.target), 9) + Self.cell(Format.rate(result.rate), 9)
                    + Self.cell(String(result.requests), 10) + Self.cell(errors, 9)
                    + Self.cell(Format.milliseconds(result.milliseconds(atPercentile: 50)), 9)
                    + Self.cell(Format.milliseconds(result.milliseconds(atPercentile: 99)), 9) + "  " + verdict)
        }
        if let knee {
            let held = steps.last { $0.number < knee.number && $0.broken.isEmpty }
            lines.append(
                "Knee: \(Format.rate(knee.target)) req/s (step \(knee.number)): " + knee.broken.joined(separator: ", ")
                    + (held.map { "; the last step that held: \(Format.rate($0.target)) req/s" } ?? "; no step held"))
        } else if interrupted {
            lines.append("Stopped at step \(steps.count) of \(ramp.rates.count), before the target")
        } else if slo != nil {
            lines.append("The SLO held up to \(Format.rate(ramp.end)) req/s")
        }
        return lines
    }

    struct StepObject: Encodable {
        let step: Step
        func encode(to encoder: any Encoder) throws {
            let result = step.result
            let latency = LatencyObject(result: result)
            try encoder.encodeFields([
                "step": step.number, "target_rps": step.target, "rps": result.rate, "requests": result.requests,
                "failed": result.failedCount,
                "error_rate": result.requests > 0 ? Double(result.failedCount) / Double(result.requests) : nil,
                "latency_ms": latency, "held": step.broken.isEmpty, "broken": step.broken,
            ])
        }
    }

    struct LatencyObject: Encodable {
        let result: LoadResult
        func encode(to encoder: any Encoder) throws {
            try encoder.encodeFields([
                "p50": result.milliseconds(atPercentile: 50), "p90": result.milliseconds(atPercentile: 90),
                "p99": result.milliseconds(atPercentile: 99), "max": result.maxMilliseconds,
            ])
        }
    }

    struct Object: Encodable {
        let report: RampReport
        func encode(to encoder: any Encoder) throws {
            let ramp = report.ramp
            try encoder.encodeFields([
                "start_rps": ramp.start, "end_rps": ramp.end, "step_rps": ramp.step, "step_s": ramp.stepDuration.inSeconds,
                "slo": report.slo?.description, "steps": report.steps.map(StepObject.init),
                "knee_step": report.knee?.number, "knee_rps": report.knee?.target, "held_to_target": report.heldToTarget,
                "interrupted": report.interrupted,
            ])
        }
    }

    func json() throws -> String { try JSONLine.encode(Object(report: self)) }

    private static func cell(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
