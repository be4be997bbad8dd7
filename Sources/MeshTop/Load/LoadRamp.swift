import Collectors

/// `--ramp START:END:STEP:DURATION`: the open-model rate stepped from START to END req/s by
/// STEP, each rate held for DURATION (`10:400:10:5s` is 40 steps of 5 s).
struct LoadRamp: Sendable, Equatable {
    var start: Double
    var end: Double
    var step: Double
    var stepDuration: Duration

    /// Past this many steps a ramp is a typo, not a test (10:100000:1:1s).
    static let maxSteps = 1_000

    init(start: Double, end: Double, step: Double, stepDuration: Duration) {
        self.start = start
        self.end = end
        self.step = step
        self.stepDuration = stepDuration
    }

    /// Reads `START:END:STEP:DURATION`; the message says what is wrong.
    init(_ text: String) throws(LoadRampError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else { throw LoadRampError("'\(text)' is not START:END:STEP:DURATION, e.g. 10:400:10:5s") }
        guard let start = Double(parts[0]), let end = Double(parts[1]), let step = Double(parts[2]),
            start.isFinite, end.isFinite, step.isFinite
        else { throw LoadRampError("'\(text)': START, END and STEP are requests per second, e.g. 10:400:10:5s") }
        guard TrafficOptions.rates.contains(start), TrafficOptions.rates.contains(end) else {
            throw LoadRampError("'\(text)': START and END must be from 0.01 to 1000000 req/s")
        }
        guard end >= start else { throw LoadRampError("'\(text)': END must not be below START") }
        guard step > 0 else { throw LoadRampError("'\(text)': STEP must be above 0") }
        guard let duration = DurationText.parse(parts[3]), duration > .zero else {
            throw LoadRampError("'\(text)': DURATION '\(parts[3])' is not a duration such as 5s")
        }
        self.init(start: start, end: end, step: step, stepDuration: duration)
        guard Int(((end - start) / step).rounded(.down)) + 1 <= Self.maxSteps else {
            throw LoadRampError("'\(text)' has more than \(Self.maxSteps) steps")
        }
    }

    /// START, START + STEP, … up to END; END itself is the last step even off the grid.
    var rates: [Double] {
        var rates: [Double] = []
        var index = 0.0
        while start + index * step <= end + 1e-9, rates.count < Self.maxSteps {
            rates.append(start + index * step)
            index += 1
        }
        if let last = rates.last, end - last > 1e-9, rates.count < Self.maxSteps { rates.append(end) }
        return rates
    }
}

struct LoadRampError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
