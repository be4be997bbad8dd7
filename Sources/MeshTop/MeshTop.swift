import ArgumentParser
import Collectors

@main
struct MeshTop: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "meshtop",
        abstract: "A terminal dashboard for a service mesh under load: Istio metrics, Envoy access logs, etcd.",
        discussion: """
            The dashboard and its one-shot modes (logs, health, snapshot, load) are being built; \
            this release carries the package, its C bindings and the storage-service workload.
            """,
        version: versionText
    )

    /// `--version`: meshtop's own version and the C libraries it is linked against.
    static var versionText: String {
        "meshtop \(version) (libcurl \(CurlEasy.libraryVersion), \(Terminal.libraryVersion))"
    }

    func run() throws {
        print("meshtop \(Self.version): the dashboard is not built yet; run `meshtop --help`.")
        throw ExitCode(2)
    }
}
