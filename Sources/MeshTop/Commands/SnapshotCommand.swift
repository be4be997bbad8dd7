import ArgumentParser
import Collectors
import Foundation

/// `meshtop snapshot`: one poll of every source, printed.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Poll every source once and print what meshtop sees: sources, edges, etcd members, health.")

    @OptionGroup var sources: SourceOptions

    @Flag(help: "One JSON object.")
    var json = false

    @Option(help: "Poll this many times, --interval apart, and print the last: rates need two.")
    var polls = 1

    func validate() throws {
        guard (1...100).contains(polls) else { throw ValidationError("--polls must be 1 to 100") }
    }

    func run() async throws {
        let snapshot = try await sources.snapshot(polls: polls)
        let output = StdoutWriter()
        if json {
            output.line(try JSONLine.encode(SnapshotReport(snapshot: snapshot)))
        } else {
            SnapshotText(snapshot: snapshot).lines().forEach { output.line($0) }
        }
        try output.finish()
    }
}

/// `meshtop health`: the checks, like `linkerd check`; exit 1 when one failed.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check Prometheus, etcd, the storage service and Kubernetes; exit 0 when none failed, 1 when one did.")

    @OptionGroup var sources: SourceOptions

    @Flag(help: "{\"healthy\": bool, \"checks\": [...]}")
    var json = false

    struct Report: Encodable {
        var healthy: Bool
        var checks: [SnapshotReport.CheckJSON]
    }

    func run() async throws {
        let snapshot = try await sources.snapshot()
        let output = StdoutWriter()
        if json {
            output.line(try JSONLine.encode(Report(healthy: snapshot.healthy, checks: snapshot.health.map(SnapshotReport.CheckJSON.init))))
        } else {
            HealthText(unicode: HealthText.localeIsUTF8()).lines(snapshot.health).forEach { output.line($0) }
        }
        try output.finish()
        if !snapshot.healthy { throw ExitCode(1) }
    }
}
