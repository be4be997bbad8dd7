import Collectors

/// `--slo 'p99<50ms,errors<0.1%'`: what a run (or a ramp's step) must stay under.
///
/// - `pNN<DURATION` (p50, p90, p99, p99.9): the latency percentile, from each request's
///   intended start under an open model;
/// - `errors<PERCENT`: failed requests (no answer or a 5xx, as the Load panel counts them);
/// - `rate>PERCENT`: the achieved rate as a share of the asked one (a step the load cannot
///   reach is past the knee too, whatever its latency).
struct LoadSLO: Sendable, Equatable, CustomStringConvertible {
    enum Objective: Sendable, Equatable {
        case latency(percentile: Double, milliseconds: Double)
        case errors(fraction: Double)
        case rate(fraction: Double)
    }

    var objectives: [Objective]
    /// As given, for reports.
    var description: String

    init(_ text: String) throws(LoadRampError) {
        var objectives: [Objective] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            objectives.append(try Self.objective(part))
        }
        guard !objectives.isEmpty else { throw LoadRampError("--slo is empty: give e.g. 'p99<50ms,errors<0.1%'") }
        self.objectives = objectives
        description = text
    }

    private static func objective(_ part: String) throws(LoadRampError) -> Objective {
        let usage = "'\(part)' is not an objective such as p99<50ms, errors<0.1% or rate>95%"
        if part.hasPrefix("errors<") || part.hasPrefix("rate>") {
            let isErrors = part.hasPrefix("errors<")
            let value = part.dropFirst(isErrors ? 7 : 5)
            guard value.hasSuffix("%"), let percent = Double(value.dropLast()), percent.isFinite, (0...100).contains(percent) else {
                throw LoadRampError(usage)
            }
            return isErrors ? .errors(fraction: percent / 100) : .rate(fraction: percent / 100)
        }
        let sides = part.split(separator: "<", maxSplits: 1)
        guard sides.count == 2, sides[0].hasPrefix("p"), let percentile = Double(sides[0].dropFirst()), percentile > 0,
            percentile < 100, let limit = DurationText.parse(String(sides[1])), limit > .zero
        else { throw LoadRampError(usage) }
        return .latency(percentile: percentile, milliseconds: limit.inMilliseconds)
    }

    /// What a result broke, in words ("p99 210 ms ≥ 50 ms"); empty when it held.
    func broken(by result: LoadResult) -> [String] {
        objectives.compactMap { objective in
            switch objective {
            case .latency(let percentile, let limit):
                guard let value = result.milliseconds(atPercentile: percentile) else { return nil }
                return value < limit ? nil : "\(Self.name(percentile)) \(Format.milliseconds(value)) ≥ \(Format.milliseconds(limit))"
            case .errors(let limit):
                guard result.requests > 0 else { return nil }
                let share = Double(result.failedCount) / Double(result.requests)
                return share < limit ? nil : "errors \(Self.percent(share)) ≥ \(Self.percent(limit))"
            case .rate(let floor):
                guard let target = result.targetRate, target > 0 else { return nil }
                let share = result.rate / target
                return share > floor ? nil : "rate \(Self.percent(share)) of target ≤ \(Self.percent(floor))"
            }
        }
    }

    private static func name(_ percentile: Double) -> String {
        percentile == percentile.rounded() ? "p\(Int(percentile))" : "p\(Format.decimal(percentile, places: 1))"
    }

    /// 0.1 %, 12 %: the figures an SLO is written in, without Format.percent's ceiling.
    static func percent(_ share: Double) -> String {
        let value = share * 100
        return (value < 10 && value != value.rounded() ? Format.decimal(value, places: 2) : Format.decimal(value, places: 0)) + " %"
    }
}
