/// Rates from the first poll on: how long each edge's series have existed in the window,
/// and the rates of an edge younger than the window over the time it has existed.
///
/// `rate(x[1m])` divides what a counter grew by over the whole minute even when the series
/// is nine seconds old, so a load that has sent 20 requests a second for nine seconds reads
/// 3 req/s until the minute is full. Each profile asks one more query, `span`, with two
/// series an edge (label `rate_span`, one query so a poll costs one request more, not two):
/// `age`, the seconds since the first sample of the edge's oldest series in the window, and
/// `young`, the edge's rate between the first and the last sample of each series (its
/// increase over the time it covers, without the extrapolation `rate` makes at a series'
/// start). An edge younger
/// than the window has every rate (codes, flags, TCP bytes) multiplied by young / rate; with
/// no `young` answer, by window / age. Percentiles and the success rate are ratios of the
/// same counters and stay as they are.
public enum RateSpan {
    /// The query's name in each profile.
    public static let query = "span"

    /// The two parts of the answer, by their `rate_span` label.
    enum Part: String { case age, young }

    /// `span` of a counter selector.
    static func template(_ selector: String) -> String {
        // age: per edge, the seconds since its oldest series' first sample.
        let age = "max by ({edge}) (time() - \(firstSample(selector)))"
        // young: per edge, the sum of each series' increase over the seconds between its
        // first and last sample (a series with one sample has no rate yet).
        let young =
            "sum by ({edge}) ((max_over_time(\(selector)[{window}]) - min_over_time(\(selector)[{window}]))"
            + " / ((timestamp(\(selector)) - \(firstSample(selector))) > 0))"
        return #"label_replace(\#(age), "rate_span", "age", "", "") or label_replace(\#(young), "rate_span", "young", "", "")"#
    }

    /// The time of a series' first sample in the window, to the subquery's step.
    private static func firstSample(_ selector: String) -> String {
        "min_over_time(timestamp(\(selector))[{window}:{resolution}])"
    }

    /// The subquery's step in `age`: fine enough that the age is off by at most 1/120 of the
    /// window, coarse enough that a long window costs Prometheus at most 120 steps a series.
    public static func resolution(window: String) -> String {
        guard let seconds = seconds(window) else { return "1s" }
        return "\(max(1, Int((seconds / 120).rounded(.up))))s"
    }

    /// The seconds of a Prometheus duration ("1m30s" is 90); nil when it is not one.
    public static func seconds(_ duration: String) -> Double? {
        let units: [Substring: Double] = ["ms": 0.001, "s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800, "y": 31_536_000]
        var total = 0.0
        var rest = Substring(duration)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            guard let scale = units[unit] else { return nil }
            rest = rest.dropFirst(unit.count)
            total += number * scale
        }
        return total
    }

    /// What the rates of an edge `age` seconds old are multiplied by without a `young`
    /// answer: window / age, 1 once the edge fills the window. The age is never taken as less
    /// than `floor` (the subquery's step): a rate needs two samples, a younger age is rounding.
    public static func factor(window: Double, age: Double, floor: Double = 1) -> Double {
        guard window > 0, age.isFinite, age < window else { return 1 }
        return window / max(age, floor, .ulpOfOne)
    }

    /// One value per edge from one part of the answer, series of one edge combined with `combine`.
    static func perEdge(
        _ answer: PrometheusAnswer, _ part: Part, key: ([String: String]) -> EdgeKey?, _ combine: (Double, Double) -> Double
    ) -> [EdgeKey: Double] {
        var values: [EdgeKey: Double] = [:]
        for series in answer.result.series where series.labels["rate_span"] == part.rawValue {
            guard let value = series.value, value.isFinite, let edge = key(series.labels) else { continue }
            values[edge] = values[edge].map { combine($0, value) } ?? value
        }
        return values
    }

    /// The edges, those younger than the window with their rates over their age and
    /// `rateSeconds` saying so.
    static func scaled(
        _ edges: [EdgeStats], ages: [EdgeKey: Double], rates: [EdgeKey: Double], window: Double, floor: Double
    ) -> [EdgeStats] {
        edges.map { edge in
            guard let age = ages[edge.key], age < window else { return edge }
            let multiplier =
                if let rate = rates[edge.key], edge.rps > 0, rate > 0 { rate / edge.rps } else {
                    factor(window: window, age: age, floor: floor)
                }
            var scaled = edge.scaled(by: multiplier)
            scaled.rateSeconds = max(age, floor)
            return scaled
        }
    }

    /// The sparklines' back-filled rates (per edge, by time) with each step of an edge's first
    /// window scaled as a poll's rate is: an edge whose first point comes after the span's
    /// start began then, and its series were about one step old at that point.
    public static func backfilled(
        _ rates: [EdgeKey: [Double: Double]], from start: Double, step: Double, window: Double
    ) -> [EdgeKey: [Double: Double]] {
        rates.mapValues { byTime in
            guard let first = byTime.keys.min(), first > start + step else { return byTime }
            var scaled = byTime
            for (time, rps) in byTime {
                scaled[time] = rps * factor(window: window, age: time - first + step, floor: step)
            }
            return scaled
        }
    }
}
