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

    @OptionGroup(title: "Limits") var limits: DiffLimits

    @Flag(help: "One JSON object.")
    var json = false

    @OptionGroup var endpoints: EndpointOptions
    @OptionGroup var logFormat: LogFormatOption

    func run() async throws {
        let resolved = try endpoints.resolve()
        let format = try logFormat.choice()
        let runs = try [a, b].map { try ReplaySnapshot(path: $0) }
        var figures: [RunFigures] = []
        for run in runs { figures.append(try await run.figures(endpoints: resolved, format: format)) }
        let diff = RunDiff(a: figures[0], b: figures[1], limits: try limits.resolve())
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
