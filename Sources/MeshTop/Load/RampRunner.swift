import Collectors
import Foundation

/// A ramp's steps run one after another, one engine a step at its rate for the step's
/// duration, stopping at the first step that breaks the SLO: the one loop of `meshtop load
/// --ramp` and the dashboard's `--load URL --ramp`.
struct RampRunner {
    let ramp: LoadRamp
    let slo: LoadSLO?
    let plan: LoadPlan
    /// Hears every step's client lines (the dashboard's Requests panel).
    var sink: (@Sendable (AccessLogRecord, String) -> Void)? = nil

    struct Outcome {
        var steps: [RampReport.Step] = []
        /// When each step began, in milliseconds since 1970: the proxies' lines are given to
        /// the step their request started in.
        var starts: [Int64] = []
        /// Stopped before the last step by `stop`.
        var interrupted = false
    }

    /// - Parameters:
    ///   - progress: the running step's index and rate, and its engine's progress.
    ///   - finished: each step as it ends.
    func run(
        stop: () -> Bool, progress: (Int, Double, LoadEngine.Progress) -> Void, finished: (RampReport.Step) -> Void = { _ in }
    ) throws -> Outcome {
        let rates = ramp.rates
        var outcome = Outcome()
        for (index, rate) in rates.enumerated() {
            outcome.starts.append(Int64(Date().timeIntervalSince1970 * 1_000))
            var plan = self.plan
            plan.rate = rate
            plan.count = nil
            plan.duration = ramp.stepDuration
            let engine = try LoadEngine(plan: plan, sink: sink)
            let result = try engine.run(stop: stop) { progress(index, rate, $0) }
            let step = RampReport.Step(number: index + 1, target: rate, result: result, broken: slo?.broken(by: result) ?? [])
            outcome.steps.append(step)
            finished(step)
            if stop() {
                outcome.interrupted = index + 1 < rates.count
                break
            }
            if !step.broken.isEmpty { break }
        }
        return outcome
    }
}
