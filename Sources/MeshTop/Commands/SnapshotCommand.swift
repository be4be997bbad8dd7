import ArgumentParser
import Collectors
import Foundation

/// `meshtop snapshot`: one poll of every source, printed.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Poll every source once and print what meshtop sees: sources, edges, etcd members, health.")

    @OptionGroup var endpoints: EndpointOptions
    @OptionGroup(title: "Telemetry ledger") var ledger: LedgerOptions

    @Flag(help: "One JSON object.")
    var json = false

    @Option(help: "Poll this many times, --interval apart, and print the last: rates need two.")
    var polls = 1

    func validate() throws {
        guard (1...100).contains(polls) else { throw ValidationError("--polls must be 1 to 100") }
    }

    func run() async throws {
        let (snapshot, counted) = try await ledger.snapshot(try endpoints.resolve(), polls: polls)
        let output = StdoutWriter()
        if json {
            output.line(try JSONLine.encode(SnapshotReport(snapshot: snapshot, ledger: counted)))
        } else {
            SnapshotText(snapshot: snapshot, ledger: counted).lines().forEach { output.line($0) }
        }
        try output.finish()
    }
}
