import ArgumentParser
import Collectors
import Foundation

/// `meshtop diff A B`: two recorded runs compared edge by edge and hop by hop; exit 1 when a
/// change crosses a limit, so that a CI job can gate on it.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two recordings (meshtop record, --record): per edge and per hop, each run's figures and the change.",
        discussion: """
            Edges come from the recorded polls (means over the run, P50/P99 weighted by each poll's rate), hops from the \
            recorded log lines (each hop's own time and what its two proxies added). With --max-p99-increase or \
            --max-error-increase, a change past the limit is marked and the exit status is 1. A change is judged only \
            where both runs have --min-requests of the row, and a P99 that moved by less than --p99-floor never crosses.
            """)

    @Argument(help: "The run to compare against (the baseline).")
    var a: String

    @Argument(help: "The run to judge.")
    var b: String

    @Option(help: "The largest allowed P99 rise, e.g. 10% (of A's P99).")
    var maxP99Increase: String?

    @Option(help: "The largest allowed rise of the error share, e.g. 0.1% (share points).")
    var maxErrorIncrease: String?

    @Option(help: "A P99 change smaller than this never crosses a limit: Envoy logs whole milliseconds.")
    var p99Floor = "5ms"

    @Option(help: "Judge a change only where both runs have this many requests of the edge or hop.")
    var minRequests = 20

    @Flag(help: "One JSON object.")
    var json = false

    @OptionGroup var endpoints: EndpointOptions
    @OptionGroup var logFormat: LogFormatOption

    func validate() throws {
        _ = try limits()
    }

    func limits() throws -> RunDiff.Limits {
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

    func run() async throws {
        let resolved = try endpoints.resolve()
        let format = try logFormat.choice()
        let runs = try [a, b].map { try ReplaySnapshot(path: $0) }
        var figures: [RunFigures] = []
        for run in runs { figures.append(try await run.figures(endpoints: resolved, format: format)) }
        let diff = RunDiff(a: figures[0], b: figures[1], limits: try limits())
        let report = DiffReport(diff: diff, files: [a, b], runs: figures)
        let output = StdoutWriter()
        if json {
            output.line(try JSONLine.encode(report))
        } else {
            report.textLines().forEach { output.line($0) }
        }
        try output.finish()
        if diff.crossed { throw ExitCode(1) }
    }
}
