import Collectors
import Foundation
import Histogram

/// What a load run measured, and the report it prints (text like hey/oha, or JSON).
struct LoadResult: Sendable {
    var requests = 0
    var elapsed: Duration = .zero
    var statusCodes: [Int: Int] = [:]
    var errors: [String: Int] = [:]
    /// Microseconds, from each request's intended start (open model) or its start.
    var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    var targetRate: Double?
    /// Microseconds each request waited for a free connection past its intended start (open
    /// model): the load's own queue, the first "hop" of a request.
    var queueing = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)

    var seconds: Double { elapsed.inSeconds }
    var rate: Double { seconds > 0 ? Double(requests) / seconds : 0 }
    var errorCount: Int { errors.values.reduce(0, +) }
    /// What the dashboard's Load panel counts as failed: no answer, or a 5xx (a proxy's own
    /// 503 from a fault or a circuit breaker is an answer, but not a success).
    var failedCount: Int { errorCount + statusCodes.filter { RequestOutcome.isError(status: $0.key) }.values.reduce(0, +) }

    func milliseconds(atPercentile percentile: Double) -> Double? {
        latency.totalCount == 0 ? nil : Double(latency.valueAtPercentile(percentile)) / 1_000
    }

    var maxMilliseconds: Double? { latency.totalCount == 0 ? nil : Double(latency.max) / 1_000 }

    /// The load's queue at a percentile, in whole milliseconds as Envoy's fields are.
    func queueMilliseconds(atPercentile percentile: Double) -> UInt64? {
        queueing.totalCount == 0 ? nil : queueing.valueAtPercentile(percentile) / 1_000
    }

    func text() -> [String] {
        var lines = ["Summary:"]
        lines.append("  Requests:      \(requests)")
        lines.append("  Duration:      \(Format.decimal(seconds, places: 2)) s")
        var rateLine = "  Rate:          \(Format.decimal(rate, places: 2)) req/s"
        if let targetRate { rateLine += " (target \(Format.decimal(targetRate, places: 2)))" }
        lines.append(rateLine)
        let codes = statusCodes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        lines.append("  Status codes:  " + (codes.isEmpty ? "none" : codes))
        let failures = errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        lines.append("  Errors:        " + (failures.isEmpty ? "none" : failures))
        lines.append("")
        lines.append(targetRate == nil ? "Latency:" : "Latency (from each request's intended start):")
        for (name, percentile) in [("p50", 50.0), ("p90", 90), ("p99", 99), ("p99.9", 99.9)] {
            lines.append("  \(Format.fit(name, 6)) \(Format.milliseconds(milliseconds(atPercentile: percentile)))")
        }
        lines.append("  max    \(Format.milliseconds(maxMilliseconds))")
        return lines
    }

    func json() -> String {
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return Format.decimal(value, places: 3)
        }
        let codes = statusCodes.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        let failures = errors.sorted { $0.key < $1.key }.map { "\(JSONValue.quoted($0.key)):\($0.value)" }.joined(separator: ",")
        let latencies = [("p50", 50.0), ("p90", 90), ("p99", 99), ("p999", 99.9)]
            .map { "\"\($0.0)\":\(number(milliseconds(atPercentile: $0.1)))" }.joined(separator: ",")
        return "{\"requests\":\(requests),\"duration_s\":\(number(seconds)),\"rps\":\(number(rate)),"
            + "\"status_codes\":{\(codes)},\"errors\":{\(failures)},"
            + "\"latency_ms\":{\(latencies),\"max\":\(number(maxMilliseconds))}}"
    }
}
