import ArgumentParser
import Collectors

/// `--format`: how access-log lines are read, for `meshtop logs` and the dashboard's `--logs`.
struct LogFormatOption: ParsableArguments {
    @Option(help: "Access-log format: auto, a built-in format name, json, or an Envoy format string.")
    var format = "auto"

    /// The decoder's choice; a format string that does not compile is bad usage.
    func choice() throws -> AccessLogDecoder.Choice {
        do {
            return try AccessLogDecoder.choice(for: format)
        } catch {
            throw ValidationError("--format: \(error)")
        }
    }
}
