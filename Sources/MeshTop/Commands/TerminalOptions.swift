import ArgumentParser
import Foundation

/// The dashboard's terminal flags, shared by `top` and `replay`.
struct TerminalOptions: ParsableArguments {
    @Flag(help: "No colours (also NO_COLOR): bold, reverse and underline carry the meaning.")
    var noColor = false

    @Option(help: "Write diagnostics to this file (nothing is printed while the dashboard runs).")
    var debugLog: String?

    /// Colours unless --no-color or a non-empty NO_COLOR says otherwise.
    var color: Bool { !noColor && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty }
}
