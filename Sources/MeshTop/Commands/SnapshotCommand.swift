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

    @Flag(help: "Print the service graph, as the dashboard's g draws it, instead of the tables.")
    var graph = false

    @Flag(inversion: .prefixedNo, help: "With --graph: namespaces as one box each (default: past 40 workloads).")
    var collapse: Bool?

    @Option(help: "Poll this many times, --interval apart, and print the last: rates need two.")
    var polls = 1

    @Option(help: "Read a recording (meshtop record, --record) instead of the live sources: the run as it was --at a moment.")
    var from: String?

    @Option(help: "With --from: +DURATION from the recording's start, or a time (RFC 3339); default its end.")
    var at: String?

    func validate() throws {
        guard (1...100).contains(polls) else { throw ValidationError("--polls must be 1 to 100") }
        if at != nil, from == nil { throw ValidationError("--at goes with --from RECORDING") }
        if from != nil, !ledger.logFiles.isEmpty { throw ValidationError("--from reads the recording's answers: give it without --logs") }
        if graph, json { throw ValidationError("--graph prints a picture: give it without --json") }
        if collapse != nil, !graph { throw ValidationError("--collapse goes with --graph") }
    }

    func run() async throws {
        var snapshot: Snapshot
        var counted: TelemetryLedger
        var load: LoadStatus?
        if let from {
            let replay = try ReplaySnapshot(path: from)
            let lines: LedgerLines
            (snapshot, lines, load) = try await replay.snapshot(at: try replay.moment(at), polls: polls, endpoints: try endpoints.resolve())
            // The recording's lines to that moment, beside the metrics counted since its first poll.
            counted = TelemetryLedger(lines: lines.rows.isEmpty ? nil : lines, counts: snapshot.requestCounts, loadAuthority: replay.loadAuthority)
        } else {
            (snapshot, counted) = try await ledger.snapshot(try endpoints.resolve(), polls: polls)
        }
        let output = StdoutWriter()
        if graph {
            var cache = GraphCache()
            var view = GraphViewState()
            view.collapsed = collapse
            let picture = cache.update(snapshot, view: view, thresholds: HealthThresholds())
            let shown = picture.layout.graph
            output.line(
                "GRAPH  \(shown.nodes.count) nodes · \(shown.edges.count) edges" + (shown.members.isEmpty ? "" : "  namespaces collapsed")
                    + (picture.layout.droppedNodes > 0 ? "  \(picture.layout.droppedNodes) nodes not drawn" : ""))
            if shown.nodes.isEmpty { output.line("no edges with traffic" + (snapshot.backends[.prometheus]?.ok == true ? "" : ": Prometheus did not answer")) }
            picture.lines.forEach { output.line($0) }
            try output.finish()
            return
        }
        if json {
            output.line(try JSONLine.encode(SnapshotReport(snapshot: snapshot, ledger: counted, load: load)))
        } else {
            SnapshotText(snapshot: snapshot, ledger: counted, load: load).lines().forEach { output.line($0) }
        }
        try output.finish()
    }
}
