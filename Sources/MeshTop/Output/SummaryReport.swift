import Collectors

/// `--summary`: the aggregate, as a text table or one JSON object.
struct SummaryReport: Encodable {
    let summary: AccessLogSummary
    let unpaired: UnpairedCounts
    let malformed: Int
    let samples: [String]

    private enum CodingKeys: String, CodingKey {
        case records, pairs, chains, clientOnly = "client_only", serverOnly = "server_only", malformed
        case malformedSamples = "malformed_samples", durationMs = "duration_ms", overheadMs = "overhead_ms"
        case linesPerSecond = "lines_per_second", byCode = "by_code", byFlags = "by_flags"
        case byAuthority = "by_authority", byDirection = "by_direction"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(summary.records, forKey: .records)
        try c.encode(summary.pairs, forKey: .pairs)
        try c.encode(summary.chains, forKey: .chains)
        try c.encode(unpaired.clientOnly, forKey: .clientOnly)
        try c.encode(unpaired.serverOnly, forKey: .serverOnly)
        try c.encode(malformed, forKey: .malformed)
        try c.encode(samples, forKey: .malformedSamples)
        try c.encode(summary.duration, forKey: .durationMs)
        try c.encode(summary.overhead, forKey: .overheadMs)
        try c.encode(summary.linesPerSecond, forKey: .linesPerSecond)
        try c.encode(summary.byCode, forKey: .byCode)
        try c.encode(summary.byFlags, forKey: .byFlags)
        try c.encode(summary.byAuthority, forKey: .byAuthority)
        try c.encode(summary.byDirection, forKey: .byDirection)
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
