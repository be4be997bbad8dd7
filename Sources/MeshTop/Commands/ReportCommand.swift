import ArgumentParser
import Collectors
import Foundation

/// `meshtop report FILE [B] -o report.html`: a recorded run (or two, compared) as one
/// self-contained page to keep or attach to a ticket.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a recording (or two, compared) as one self-contained HTML page with charts.",
        discussion: """
            The page holds rate and errors per edge over time, latency percentiles over time, the per-hop waterfall from \
            the log lines, the telemetry ledger, the slowest requests and, when the dashboard ran the load, the load's \
            own rate and latency and a ramp's steps with the knee. With B, the comparison of `meshtop diff FILE B` \
            comes first. The page loads nothing from anywhere and runs no scripts.
            """)

    @Argument(help: "The recording (meshtop record, --record); with B, the baseline.")
    var file: String

    @Argument(help: "A second recording, compared against FILE.")
    var b: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: "The page to write (replaced), or - for stdout.")
    var output: String

    @OptionGroup(title: "Limits (with B)") var limits: DiffLimits
    @OptionGroup var endpoints: EndpointOptions
    @OptionGroup var logFormat: LogFormatOption

    func validate() throws {
        let inputs = [file] + (b.map { [$0] } ?? [])
        if output != "-", inputs.contains(where: { URL(fileURLWithPath: $0).standardized == URL(fileURLWithPath: output).standardized }) {
            throw ValidationError("-o \(output) is one of the recordings")
        }
    }

    func run() async throws {
        let resolved = try endpoints.resolve()
        let format = try logFormat.choice()
        let files = [file] + (b.map { [$0] } ?? [])
        let replays = try files.map { try ReplaySnapshot(path: $0, flag: "recording") }
        var runs: [RecordedRun] = []
        for replay in replays {
            var run = try await replay.run(endpoints: resolved, format: format)
            // The ledger as `snapshot --from FILE --polls 2` has it: the lines against the
            // metrics counted from the first poll to the end.
            let (snapshot, lines, _) = try await replay.snapshot(at: replay.ended, polls: 2, endpoints: resolved)
            run.ledger = TelemetryLedger(lines: lines.rows.isEmpty ? nil : lines, counts: snapshot.requestCounts, loadAuthority: replay.loadAuthority)
            runs.append(run)
        }
        let diff = runs.count == 2 ? RunDiff(a: runs[0].figures, b: runs[1].figures, limits: try limits.resolve()) : nil
        let page = Array(ReportPage(runs: runs, diff: diff).html().utf8)
        if output == "-" {
            FileHandle.standardOutput.write(Data(page))
            return
        }
        // Written beside the target and renamed: a reader never sees half a page.
        let target = URL(fileURLWithPath: output)
        let partial = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(getpid()).partial")
        do {
            try Data(page).write(to: partial)
            guard rename(partial.path, target.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? FileManager.default.removeItem(at: partial)
            Stderr.line("meshtop: -o \(ControlBytes.sanitize(output)): \(ControlBytes.sanitize(error.localizedDescription, limit: 300))")
            throw ExitCode(1)
        }
        Stderr.line("meshtop: wrote \(Format.bytes(UInt64(page.count))) to \(ControlBytes.sanitize(output))")
    }
}
