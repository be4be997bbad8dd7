import ArgumentParser
import Collectors

/// The regression gate's limits, shared by `meshtop diff` and `meshtop report A B`.
struct DiffLimits: ParsableArguments {
    @Option(help: "The largest allowed P99 rise, e.g. 10% (of A's P99).")
    var maxP99Increase: String?

    @Option(help: "The largest allowed rise of the error share, e.g. 0.1% (share points).")
    var maxErrorIncrease: String?

    @Option(help: "A P99 change smaller than this never crosses a limit: Envoy logs whole milliseconds.")
    var p99Floor = "5ms"

    @Option(help: "Judge a change only where both runs have this many requests of the edge or hop.")
    var minRequests = 20

    func validate() throws {
        _ = try resolve()
    }

    func resolve() throws -> RunDiff.Limits {
        func percent(_ text: String?, _ flag: String) throws -> Double? {
            guard let text else { return nil }
            guard text.hasSuffix("%"), let value = Double(text.dropLast()), value.isFinite, value >= 0 else {
                throw ValidationError("\(flag) '\(text)' is not a percentage such as 10%")
            }
            return value / 100
        }
        guard let floor = DurationText.parse(p99Floor), floor >= .zero else {
            throw ValidationError("--p99-floor '\(p99Floor)' is not a duration such as 5ms")
        }
        guard minRequests >= 0 else { throw ValidationError("--min-requests must be 0 or more") }
        return RunDiff.Limits(
            p99Increase: try percent(maxP99Increase, "--max-p99-increase"),
            errorIncrease: try percent(maxErrorIncrease, "--max-error-increase"), p99Floor: floor.inMilliseconds,
            minRequests: Double(minRequests))
    }

}
