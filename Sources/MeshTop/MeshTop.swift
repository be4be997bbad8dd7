import ArgumentParser
import Collectors
import Foundation

@main
struct MeshTop: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "meshtop",
        abstract: "A terminal dashboard for a service mesh under load: Istio metrics, Envoy access logs, etcd.",
        version: versionText,
        subcommands: [TopCommand.self, LogsCommand.self, SnapshotCommand.self, HealthCommand.self, LoadCommand.self, RecordCommand.self, ReplayCommand.self, DiffCommand.self, ReportCommand.self],
        defaultSubcommand: TopCommand.self
    )

    /// `--version`: meshtop's own version and the C libraries it is linked against.
    static var versionText: String {
        "meshtop \(version) (libcurl \(CurlEasy.libraryVersion), \(Terminal.libraryVersion))"
    }

    /// Bad usage exits 2 with one line on stderr (ArgumentParser's default is 64 with the
    /// usage text); --help, --version and other errors are reported as ArgumentParser does.
    static func main() async {
        MallocArenas.limitToOne()
        // A parent may have blocked these (a test runner, a supervisor); meshtop runs until
        // told to stop, so it must hear them.
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // Messages quote what the user typed, and errors carry peers' text: both go
            // through the sanitiser. Help and version are meshtop's own and print as they are.
            let code = exitCode(for: error)
            if code == .validationFailure {
                Stderr.line("meshtop: \(message(for: error)) (see --help)")
                Foundation.exit(2)
            }
            if code == .success || error is ExitCode { exit(withError: error) }
            Stderr.line("meshtop: \(message(for: error))")
            Foundation.exit(code.rawValue)
        }
    }
}
