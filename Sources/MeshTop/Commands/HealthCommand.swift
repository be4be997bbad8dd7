import ArgumentParser
import Collectors
import Foundation

/// `meshtop health`: the checks, like `linkerd check`; exit 1 when one failed.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check Prometheus, etcd, the storage service and Kubernetes; exit 0 when none failed, 1 when one did.")

    @OptionGroup var endpoints: EndpointOptions
    @OptionGroup(title: "Telemetry ledger") var ledger: LedgerOptions

    @Flag(help: "{\"healthy\": bool, \"checks\": [...]}")
    var json = false

    struct Report: Encodable {
        var healthy: Bool
        var checks: [SnapshotReport.CheckJSON]
    }

    func run() async throws {
        let (snapshot, _) = try await ledger.snapshot(try endpoints.resolve())
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
