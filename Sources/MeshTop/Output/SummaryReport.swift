import Collectors

/// `--summary`: the aggregate, as a text table or one JSON object.
struct SummaryReport: Encodable {
    let summary: AccessLogSummary
    let unpaired: UnpairedCounts
    let malformed: Int
    let samples: [String]

    func encode(to encoder: any Encoder) throws {
        try encoder.encodeFields([
            "records": summary.records, "pairs": summary.pairs, "chains": summary.chains, "client_only": unpaired.clientOnly,
            "server_only": unpaired.serverOnly, "malformed": malformed, "malformed_samples": samples,
            "duration_ms": summary.duration, "overhead_ms": summary.overhead, "lines_per_second": summary.linesPerSecond,
            "by_code": summary.byCode, "by_flags": summary.byFlags, "by_authority": summary.byAuthority,
            "by_direction": summary.byDirection, "with_extra_fields": summary.withExtraFields,
            "with_missing_fields": summary.withMissingFields,
        ])
    }

    func textLines() -> [String] {
        func percentiles(_ p: AccessLogSummary.Percentiles?) -> String {
            guard let p else { return "-" }
            return "p50 \(p.p50) ms  p90 \(p.p90) ms  p99 \(p.p99) ms  max \(p.max) ms"
        }
        func counts(_ table: [String: Int]) -> String {
            table.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(8)
                .map { "\(ControlBytes.sanitize($0.key)) \($0.value)" }.joined(separator: "  ")
        }
        var lines = [
            "records     \(summary.records)" + (summary.linesPerSecond.map { String(format: "  (%.1f lines/s of log time)", $0) } ?? ""),
            "pairs       \(summary.pairs)  chains \(summary.chains)  client-only \(unpaired.clientOnly)  server-only \(unpaired.serverOnly)",
            "malformed   \(malformed)",
            "uneven      \(summary.withExtraFields) with extra fields  \(summary.withMissingFields) with missing fields",
            "duration    " + percentiles(summary.duration),
            "overhead    " + percentiles(summary.overhead),
            "codes       " + counts(summary.byCode),
            "flags       " + counts(summary.byFlags),
            "authority   " + counts(summary.byAuthority),
            "direction   " + counts(summary.byDirection),
        ]
        lines += samples.map { "  malformed: \($0)" }
        return lines
    }
}
