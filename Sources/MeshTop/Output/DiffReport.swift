import Collectors
import Foundation

/// `meshtop diff`: a `RunDiff` as a text table, or one JSON object.
struct DiffReport: Encodable {
    let diff: RunDiff
    let files: [String]
    let runs: [RunFigures]

    /// A name column no wider than this; longer names are cut at the end.
    static let maxName = 72

    func textLines() -> [String] {
        var lines: [String] = []
        for (label, (file, run)) in zip(["A", "B"], zip(files, runs)) {
            let started = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(run.started) / 1_000))
            lines.append(
                "\(label)  \(ControlBytes.sanitize(file))  from \(started)  \(Format.decimal(run.seconds, places: 1)) s  "
                    + "\(run.polls) polls  \(run.hops.requests) requests in the logs")
        }
        let names = diff.rows.map { row in
            Format.fit(String(repeating: "  ", count: row.depth) + ControlBytes.sanitize(row.name), Self.maxName)
        }
        let width = max(4, names.map(\.count).max() ?? 0)
        func pad(_ text: String) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        func cell(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let header = cell("REQS A/B", 13) + cell("RATE/s A → B", 20) + cell("ERRORS A → B", 26) + cell("P50 A → B", 24)
            + cell("P99 A → B", 26)
        for kind in [RunDiff.Kind.edge, .hop] {
            let rows = diff.rows.indices.filter { diff.rows[$0].kind == kind }
            lines.append("")
            guard !rows.isEmpty else {
                lines.append(kind == .edge ? "no edges: neither recording has polls with traffic" : "no paired hops in either recording's log lines")
                continue
            }
            lines.append(pad(kind == .edge ? "EDGE" : "HOP (own time)") + header + (kind == .hop ? cell("PROXY P99 A → B", 24) : ""))
            for index in rows {
                let row = diff.rows[index]
                let crossed = Set(row.crossings.map(\.figure))
                var line = pad(names[index])
                line += cell(Self.count(row.a?.requests) + "/" + Self.count(row.b?.requests), 13)
                line += cell(Self.change(row.a?.rate, row.b?.rate, Format.rate, relative: true), 20)
                line += cell(Self.change(row.a?.errorShare, row.b?.errorShare, Self.share, points: true) + Self.mark(crossed.contains(.errors)), 26)
                line += cell(Self.change(row.a?.p50, row.b?.p50, Self.ms, relative: true) + "  ", 24)
                line += cell(Self.change(row.a?.p99, row.b?.p99, Self.ms, relative: true) + Self.mark(crossed.contains(.p99)), 26)
                if kind == .hop { line += cell(Self.change(row.a?.proxyP99, row.b?.proxyP99, Self.ms, relative: true), 24) }
                if !row.judged(diff.limits), row.a != nil, row.b != nil { line += "  (too few to judge)" }
                if row.a == nil { line += "  (only in B)" }
                if row.b == nil { line += "  (only in A)" }
                lines.append(line)
            }
        }
        lines.append("")
        lines += verdict()
        return lines
    }

    /// What crossed, one line each, or that nothing did.
    func verdict() -> [String] {
        guard diff.limits.p99Increase != nil || diff.limits.errorIncrease != nil else {
            return ["no limits given (--max-p99-increase, --max-error-increase): nothing judged"]
        }
        let crossings = diff.rows.flatMap { row in row.crossings.map { (row, $0) } }
        guard !crossings.isEmpty else { return ["no change past the limits"] }
        return ["past the limits:"]
            + crossings.map { row, crossing in
                let what = "\(row.kind.rawValue) \(ControlBytes.sanitize(row.name))"
                switch crossing.figure {
                case .p99:
                    let relative = crossing.relative.map { " (\(Self.signed($0 * 100)) %; limit +\(Format.decimal(crossing.limit * 100, places: 1)) %)" }
                        ?? " (from 0 ms; limit +\(Format.decimal(crossing.limit * 100, places: 1)) %)"
                    return "  \(what): p99 +\(Format.milliseconds(crossing.change))" + relative
                case .errors:
                    return "  \(what): errors +\(Format.decimal(crossing.change * 100, places: 2)) points (limit +\(Format.decimal(crossing.limit * 100, places: 2)))"
                }
            }
    }

    private static func ms(_ value: Double) -> String { Format.milliseconds(value) }

    private static func mark(_ crossed: Bool) -> String { crossed ? " !" : "  " }

    /// A row's request count: whole, grouped, `-` where the run lacks the row.
    static func count(_ value: Double?) -> String { value.map { Format.count(Int($0.rounded())) } ?? "-" }

    private static func share(_ value: Double) -> String { Format.decimal(value * 100, places: 2) + " %" }

    private static func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + Format.decimal(value, places: 0) }

    /// `A → B`, and the change: relative for rates and times, in share points for errors.
    private static func change(
        _ a: Double?, _ b: Double?, _ format: (Double) -> String, relative: Bool = false, points: Bool = false
    ) -> String {
        let text = (a.map(format) ?? "-") + " → " + (b.map(format) ?? "-")
        guard let a, let b else { return text }
        if points, a != b { return text + " " + (b >= a ? "+" : "") + Format.decimal((b - a) * 100, places: 2) }
        if relative, a > 0, abs(b - a) / a >= 0.005 { return text + " " + signed((b - a) / a * 100) + "%" }
        return text
    }

    // MARK: JSON

    /// `{a, b, limits, rows, crossed}`; a row's `a`/`b` null where the run lacks it.
    func encode(to encoder: any Encoder) throws {
        struct RunObject: Encodable {
            let file: String
            let run: RunFigures
            func encode(to encoder: any Encoder) throws {
                try encoder.encodeFields([
                    "file": file, "started_ms": run.started, "seconds": run.seconds, "polls": run.polls,
                    "log_requests": run.hops.requests, "edges_dropped": run.droppedEdges,
                ])
            }
        }
        struct SideObject: Encodable {
            let side: RunDiff.Side
            func encode(to encoder: any Encoder) throws {
                try encoder.encodeFields([
                    "requests": side.requests, "rate": side.rate, "error_share": side.errorShare, "p50_ms": side.p50,
                    "p99_ms": side.p99, "proxy_p50_ms": side.proxyP50, "proxy_p99_ms": side.proxyP99,
                ])
            }
        }
        struct CrossingObject: Encodable {
            let crossing: RunDiff.Crossing
            func encode(to encoder: any Encoder) throws {
                try encoder.encodeFields([
                    "figure": crossing.figure.rawValue, "change": crossing.change, "relative": crossing.relative,
                    "limit": crossing.limit,
                ])
            }
        }
        struct RowObject: Encodable {
            let row: RunDiff.Row
            let limits: RunDiff.Limits
            func encode(to encoder: any Encoder) throws {
                try encoder.encodeFields([
                    "kind": row.kind.rawValue, "name": row.name, "depth": row.depth, "a": row.a.map(SideObject.init),
                    "b": row.b.map(SideObject.init), "judged": row.judged(limits), "crossings": row.crossings.map(CrossingObject.init),
                ])
            }
        }
        struct LimitsObject: Encodable {
            let limits: RunDiff.Limits
            func encode(to encoder: any Encoder) throws {
                try encoder.encodeFields([
                    "max_p99_increase": limits.p99Increase, "max_error_increase": limits.errorIncrease, "p99_floor_ms": limits.p99Floor,
                    "min_requests": limits.minRequests,
                ])
            }
        }
        try encoder.encodeFields([
            "a": RunObject(file: files[0], run: runs[0]), "b": RunObject(file: files[1], run: runs[1]),
            "limits": LimitsObject(limits: diff.limits), "rows": diff.rows.map { RowObject(row: $0, limits: diff.limits) },
            "crossed": diff.crossed,
        ])
    }
}
