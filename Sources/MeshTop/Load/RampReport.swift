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
        /// The step's requests hop by hop, from the proxies' logs (`--logs`).
        var hops: HopTable? = nil
        /// The load's count against the proxies' lines of the step's requests (`--logs`).
        var ledger: TelemetryLedger? = nil
    }

    let ramp: LoadRamp
    let slo: LoadSLO?
    var steps: [Step] = []
    /// Stopped by a signal before the last step.
    var interrupted = false
    /// The logs' byte bound cut their reading short.
    var logsTruncated = false
    /// Lines of the logs no format reads, counted and left out.
    var logsMalformed = 0

    /// The first step that broke the SLO.
    var knee: Step? { steps.first { !$0.broken.isEmpty } }

    /// The load's own queue (a request's wait for a free connection past its intended start)
    /// as the first row of the per-hop figures, where the load's hop did not pair (its queue
    /// is then in that hop's own time).
    static let queueHop = "(load) queue"

    /// Each hop's own p99 at a step, the load's first; keyed by depth and name.
    private static func ownP99(_ step: Step) -> [(key: String, name: String, depth: Int, p99: UInt64, share: Double)] {
        var rows: [(key: String, name: String, depth: Int, p99: UInt64, share: Double)] = []
        if !(step.hops?.rows.contains { $0.name.hasPrefix(LedgerLines.loadHop("")) } ?? false) {
            rows.append((key: "0 " + queueHop, name: queueHop, depth: 0, p99: step.result.queueMilliseconds(atPercentile: 99) ?? 0, share: 0.0))
        }
        for row in step.hops?.rows ?? [] {
            rows.append(("\(row.depth) \(row.name)", row.name, row.depth, row.own?.p99 ?? 0, row.shareOfP99 ?? 0))
        }
        return rows
    }

    /// The hop that broke first: at the knee, the one whose own p99 grew most since the last
    /// step that held (the load's queue among them), or, with none held, the logged hop
    /// holding most of the knee's p99.
    var brokeHop: (name: String, before: UInt64?, after: UInt64)? {
        guard let knee, knee.hops != nil else { return nil }
        let rows = Self.ownP99(knee)
        if let held = steps.last(where: { $0.number < knee.number && $0.broken.isEmpty }) {
            let before = Dictionary(Self.ownP99(held).map { ($0.key, $0.p99) }, uniquingKeysWith: max)
            let grown = rows.max { Int64($0.p99) - Int64(before[$0.key] ?? 0) < Int64($1.p99) - Int64(before[$1.key] ?? 0) }
            return grown.map { ($0.name, before[$0.key], $0.p99) }
        }
        let most = rows.filter { $0.name != Self.queueHop }.max { $0.share < $1.share }
        return most.map { ($0.name, nil, $0.p99) }
    }

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
        lines += hopLines()
        lines += ledgerLines()
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

    /// Whether each step's count and lines agree, and the worst gap where not.
    private func ledgerLines() -> [String] {
        guard steps.contains(where: { $0.ledger != nil }) else { return [] }
        var lines = ["Telemetry ledger per step (the load's count against the proxies' lines):"]
        for step in steps {
            guard let ledger = step.ledger else { continue }
            let count = ledger.gapCount
            let text = ledger.worst.map { hop, gap in
                "\(count) gap\(count == 1 ? "" : "s"), worst \(hop): \(gap.kind.rawValue) \(gap.count) of \(gap.of)"
            }
            lines.append(Self.cell(String(step.number), 5) + "  " + ControlBytes.sanitize(text ?? "balanced"))
        }
        lines.append("")
        return lines
    }

    /// Each hop's own p99 step by step, and the hop that broke first.
    private func hopLines() -> [String] {
        guard steps.contains(where: { $0.hops != nil }) else { return [] }
        var order: [String] = []
        var p99: [String: [Int: UInt64]] = [:]
        for step in steps {
            for row in Self.ownP99(step) {
                let name = String(repeating: "  ", count: row.depth) + ControlBytes.sanitize(row.name)
                if p99[name] == nil { order.append(name) }
                p99[name, default: [:]][step.number] = row.p99
            }
        }
        let width = max(3, order.map(\.count).max() ?? 0)
        func pad(_ text: String) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        var lines = ["", "Per hop, own time p99 (ms) at each step, from the proxies' logs:"]
        lines.append(pad("HOP") + steps.map { Self.cell(String($0.number), 7) }.joined())
        for name in order {
            lines.append(pad(name) + steps.map { Self.cell(p99[name]?[$0.number].map(String.init) ?? "-", 7) }.joined())
        }
        if let broke = brokeHop {
            let change = broke.before.map { "\($0) → \(broke.after) ms" } ?? "\(broke.after) ms, the most of the knee's p99"
            lines.append("The hop that broke first: \(ControlBytes.sanitize(broke.name)) (own p99 \(change))")
        }
        if logsTruncated { lines.append("(the logs were kept up to \(RampLogs.maxBytes >> 20) MiB)") }
        if logsMalformed > 0 { lines.append("(\(logsMalformed) lines of the logs no format reads, left out)") }
        lines.append("")
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
                "logged_requests": step.hops?.requests, "hops": step.hops.map { $0.rows.map(HopReport.HopObject.init) },
                "ledger": step.ledger.map(SnapshotReport.LedgerJSON.init),
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
                "interrupted": report.interrupted, "broke_hop": report.brokeHop?.name, "logs_truncated": report.logsTruncated,
                "logs_malformed": report.logsMalformed,
            ])
        }
    }

    func json() throws -> String { try JSONLine.encode(Object(report: self)) }

    private static func cell(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
